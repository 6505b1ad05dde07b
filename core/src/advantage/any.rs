//! Every estimator by name — the group-relative ones and the counterfactual ones — and the
//! same-batch comparison: several estimators computed on one identical batch.

use super::oracle::{BatchError, Counterfactual};
use super::{coma, difference, shapley, Advantages, EstimatorKind, EstimatorOptions};
use crate::rollout::Batch;

/// Any estimator of the lab; in configs and reports it is its name (`"agent-wise"`, `"coma"` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Estimator {
    /// A group-relative / turn / step estimator that needs only the batch.
    Batch(EstimatorKind),
    /// COMA's counterfactual baseline (needs the game).
    Coma,
    /// Difference rewards (needs the game); the baseline comes from the options.
    Difference,
    /// Exact Shapley credit (needs the game).
    Shapley,
}

impl Estimator {
    /// Every estimator, in a stable order.
    pub fn all() -> Vec<Estimator> {
        let mut all: Vec<Estimator> = EstimatorKind::ALL.iter().map(|&k| Estimator::Batch(k)).collect();
        all.extend([Estimator::Coma, Estimator::Difference, Estimator::Shapley]);
        all
    }

    /// The CLI/config name.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Batch(kind) => kind.name(),
            Estimator::Coma => "coma",
            Estimator::Difference => "difference",
            Estimator::Shapley => "shapley",
        }
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::all().into_iter().find(|e| e.name() == name)
    }

    /// A short human label for charts.
    pub fn label(self) -> &'static str {
        match self {
            Estimator::Batch(kind) => kind.label(),
            Estimator::Coma => "COMA (counterfactual)",
            Estimator::Difference => "Difference rewards",
            Estimator::Shapley => "Shapley credit",
        }
    }

    /// Whether the estimator reads each sample's *step* reward (MARS, GiGPO) rather than its
    /// agent's episode return.
    pub fn uses_step_rewards(self) -> bool {
        matches!(self, Estimator::Batch(EstimatorKind::Mars | EstimatorKind::Gigpo))
    }

    /// Whether the estimator normalises each agent's samples by that agent's own statistics
    /// (agent-wise, trajectory per agent, and MARS per player): the gradient-norm inflation of
    /// one global baseline (REFERENCE.md) is then removed, the factor it applies is 1. (With
    /// `mean_only` they centre per agent without rescaling: the spread factor σ_k²/σ² remains.)
    pub fn normalises_per_agent(self) -> bool {
        matches!(self, Estimator::Batch(EstimatorKind::AgentWise | EstimatorKind::TrajectoryPerAgent | EstimatorKind::Mars))
    }

    /// Whether the estimator needs the game's payoff.
    pub fn needs_game(self) -> bool {
        !matches!(self, Estimator::Batch(_))
    }

    /// Computes the advantages and ledger; the counterfactual estimators need `game`.
    pub fn compute(
        self,
        batch: &Batch,
        options: &EstimatorOptions,
        game: Option<&Counterfactual<'_>>,
    ) -> Result<Advantages, BatchError> {
        let need = || game.ok_or_else(|| BatchError(format!("{} needs the game's payoff", self.name())));
        match self {
            Estimator::Batch(kind) => Ok(kind.compute(batch, options)),
            Estimator::Coma => coma(batch, need()?),
            Estimator::Difference => difference(batch, need()?, options.difference_baseline),
            Estimator::Shapley => shapley(batch, need()?),
        }
    }
}

/// Every estimator name, for serde's "expected one of" message.
const NAMES: &[&str] = &[
    "grpo-global",
    "agent-wise",
    "global-step",
    "trajectory-per-agent",
    "rloo",
    "mars",
    "gigpo",
    "coma",
    "difference",
    "shapley",
];

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for Estimator {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Estimator {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Estimator::from_name(&name).ok_or_else(|| serde::de::Error::unknown_variant(&name, NAMES))
    }
}

impl From<EstimatorKind> for Estimator {
    fn from(kind: EstimatorKind) -> Self {
        Estimator::Batch(kind)
    }
}

/// The same-batch comparison: every estimator of `estimators` on the identical `batch`, in order.
pub fn compare(
    estimators: &[Estimator],
    batch: &Batch,
    options: &EstimatorOptions,
    game: Option<&Counterfactual<'_>>,
) -> Result<Vec<(Estimator, Advantages)>, BatchError> {
    estimators.iter().map(|&e| e.compute(batch, options, game).map(|a| (e, a))).collect()
}

#[cfg(test)]
#[test]
fn names_list_every_estimator() {
    let all: Vec<&str> = Estimator::all().into_iter().map(Estimator::name).collect();
    assert_eq!(all, NAMES);
    for e in Estimator::all() {
        let json = serde_json::to_string(&e).expect("serialize");
        assert_eq!(serde_json::from_str::<Estimator>(&json).expect("parse"), e);
    }
}

#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::advantage::oracle::PayoffOracle;
    use crate::advantage::DifferenceBaseline;
    use crate::env::bandit::{Bandit, BanditConfig};
    use crate::env::matrix::{MatrixGame, MatrixSpec};
    use crate::rollout::Sample;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Random one-step batches: several groups and episodes, every agent acting once per episode
    /// in a shuffled turn order, with random policies and default actions.
    fn random_case<'a>(game: &'a dyn PayoffOracle, seed: u64) -> (Batch, Counterfactual<'a>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = game.agents();
        let mut samples = Vec::new();
        for episode in 0..rng.random_range(1..6u32) {
            for k in 0..n {
                let action = rng.random_range(0..game.actions(k)) as u32;
                samples.push(Sample {
                    group: episode % 2,
                    episode,
                    agent: k as u32,
                    turn: k as u32,
                    reward: 0.0,
                    anchor: None,
                    action: Some(action),
                });
            }
        }
        let mut cf = Counterfactual::uniform(game);
        for k in 0..n {
            let raw: Vec<f64> = (0..game.actions(k)).map(|_| rng.random_range(0.0..1.0)).collect();
            let total: f64 = raw.iter().sum();
            cf.policies[k] = raw.iter().map(|p| p / total).collect();
            cf.default_actions[k] = rng.random_range(0..game.actions(k));
        }
        (Batch { samples }, cf)
    }

    fn joint_of(batch: &Batch, s: &Sample, n: usize) -> Vec<usize> {
        let mut joint = vec![0; n];
        for y in &batch.samples {
            if y.group == s.group && y.episode == s.episode {
                joint[y.agent as usize] = y.action.expect("action") as usize;
            }
        }
        joint
    }

    /// COMA, difference rewards (both baselines) and Shapley against plain loops written from
    /// the formulas; Shapley's reference is the permutation definition (average marginal
    /// contribution over all n! orders), independent of the subset-weight formula.
    #[test]
    fn counterfactual_estimators_match_reference_loops() {
        let matrices: Vec<MatrixGame> = [MatrixSpec::Climbing, MatrixSpec::Penalty { k: 75.0 }, MatrixSpec::PrisonersDilemma, MatrixSpec::StagHunt]
            .iter()
            .map(|s| MatrixGame::new(s).expect("valid"))
            .collect();
        let mut config = BanditConfig::default();
        config.agents.push(config.agents[0].clone());
        config.agents.push(config.agents[1].clone());
        config.agents.push(config.agents[2].clone());
        let bandit = Bandit::new(config); // 6 agents
        let mut games: Vec<&dyn PayoffOracle> = matrices.iter().map(|m| m as &dyn PayoffOracle).collect();
        games.push(&bandit);
        for game in games {
            for seed in 0..20 {
                let (batch, cf) = random_case(game, seed);
                let n = game.agents();
                let options = EstimatorOptions::default();
                let got_coma = Estimator::Coma.compute(&batch, &options, Some(&cf)).expect("valid").values;
                let got_diff = Estimator::Difference.compute(&batch, &options, Some(&cf)).expect("valid").values;
                let expected_options = EstimatorOptions { difference_baseline: DifferenceBaseline::Expected, ..options };
                let got_arist = Estimator::Difference.compute(&batch, &expected_options, Some(&cf)).expect("valid").values;
                let got_shap = Estimator::Shapley.compute(&batch, &options, Some(&cf)).expect("valid").values;
                for (i, s) in batch.samples.iter().enumerate() {
                    let k = s.agent as usize;
                    let joint = joint_of(&batch, s, n);
                    let q = game.payoff(&joint);
                    let mut expected = 0.0;
                    for a in 0..game.actions(k) {
                        let mut u = joint.clone();
                        u[k] = a;
                        expected += cf.policies[k][a] * game.payoff(&u);
                    }
                    let mut with_default = joint.clone();
                    with_default[k] = cf.default_actions[k];
                    // Shapley by permutations: k's marginal contribution when it joins after
                    // the agents before it in the order.
                    let mut orders: Vec<Vec<usize>> = vec![vec![]];
                    for _ in 0..n {
                        let mut longer = Vec::new();
                        for o in &orders {
                            for a in (0..n).filter(|a| !o.contains(a)) {
                                longer.push([o.clone(), vec![a]].concat());
                            }
                        }
                        orders = longer;
                    }
                    let value = |present: &[usize]| {
                        let u: Vec<usize> = (0..n).map(|j| if present.contains(&j) { joint[j] } else { cf.default_actions[j] }).collect();
                        game.payoff(&u)
                    };
                    let mut phi = 0.0;
                    for order in &orders {
                        let position = order.iter().position(|&a| a == k).expect("k in order");
                        let before = &order[..position];
                        let with_k: Vec<usize> = order[..=position].to_vec();
                        phi += value(&with_k) - value(before);
                    }
                    phi /= orders.len() as f64;
                    let tol = |x: f64| 1e-3 * (1.0 + x.abs());
                    assert!((f64::from(got_coma[i]) - (q - expected)).abs() < tol(q), "coma");
                    assert!((f64::from(got_arist[i]) - (q - expected)).abs() < tol(q), "aristocrat");
                    assert!((f64::from(got_diff[i]) - (q - game.payoff(&with_default))).abs() < tol(q), "difference");
                    assert!((f64::from(got_shap[i]) - phi).abs() < tol(phi), "shapley {} vs {phi}", got_shap[i]);
                }
            }
        }
    }

    #[test]
    fn one_call_compares_estimators_on_the_identical_batch() {
        let game = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        let (batch, cf) = random_case(&game, 3);
        let picks = [Estimator::Batch(EstimatorKind::AgentWise), Estimator::Coma, Estimator::Shapley];
        let out = compare(&picks, &batch, &EstimatorOptions::default(), Some(&cf)).expect("valid");
        assert_eq!(out.iter().map(|(e, _)| *e).collect::<Vec<_>>(), picks);
        for (estimator, advantages) in &out {
            assert_eq!(advantages, &estimator.compute(&batch, &EstimatorOptions::default(), Some(&cf)).expect("valid"));
            assert_eq!(advantages.values.len(), batch.len());
        }
        // Without the game the counterfactual ones refuse, naming themselves.
        let err = compare(&picks, &batch, &EstimatorOptions::default(), None).expect_err("needs the game");
        assert!(err.0.contains("coma"));
    }

    #[test]
    fn names_round_trip() {
        for e in Estimator::all() {
            assert_eq!(Estimator::from_name(e.name()), Some(e));
        }
        assert_eq!(Estimator::all().len(), 10);
    }
}
