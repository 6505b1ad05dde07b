//! Advantage estimators: pure functions from a [`Batch`](crate::rollout::Batch) to one advantage per sample.
//!
//! Each estimator lives in its own file with its formula first, in the notation of
//! `REFERENCE.md`. They share one normalisation rule (`normalize_by_key`, in `common`) so that the edge
//! conventions hold identically everywhere:
//!
//! * std is the unbiased (n−1) sample std, ε = 1e-6 unless configured;
//! * a key with exactly one member uses μ := 0, σ := 1, so A equals the raw value (not 0);
//! * a key whose members are all equal has σ = 0 and A = 0 exactly.
//!
//! Every estimator also returns the *ledger*: for each sample, the key it was grouped under,
//! the key's size, mean and std, the value that was normalised and the resulting advantage.

mod agent_wise;
mod coma;
mod common;
mod difference;
mod gigpo;
mod global_step;
mod grpo_global;
mod mars;
pub mod counterfactual;
mod rloo;
mod shapley;
mod trajectory_per_agent;

pub use agent_wise::agent_wise;
pub use coma::coma;
pub use common::{Advantages, DifferenceBaseline, EstimatorOptions, LedgerEntry, RlooScope};
pub use counterfactual::{BatchError, Counterfactual};
pub use difference::difference;
pub use gigpo::gigpo;
pub use global_step::global_step;
pub use grpo_global::grpo_global;
pub use mars::mars;
pub use rloo::rloo;
pub use shapley::{shapley, shapley_values, MAX_SHAPLEY_AGENTS};
pub use trajectory_per_agent::trajectory_per_agent;

pub use crate::estimator::{Estimator, Needs, Rewards};
use crate::rollout::Batch;

/// Every estimator's formula by name: the one place an [`Estimator`] meets its function.
impl Estimator {
    /// Computes the advantages and ledger; the counterfactual estimators need `game`.
    pub fn compute(
        self,
        batch: &Batch,
        options: &EstimatorOptions,
        game: Option<&Counterfactual<'_>>,
    ) -> Result<Advantages, BatchError> {
        let need = || game.ok_or_else(|| BatchError(format!("{} needs the game's payoff", self.name())));
        Ok(match self {
            Estimator::GrpoGlobal => grpo_global(batch, options),
            Estimator::AgentWise => agent_wise(batch, options),
            Estimator::GlobalStep => global_step(batch, options),
            Estimator::TrajectoryPerAgent => trajectory_per_agent(batch, options),
            Estimator::Rloo => rloo(batch, options),
            Estimator::Mars => mars(batch, options),
            Estimator::Gigpo => gigpo(batch, options),
            Estimator::Coma => coma(batch, need()?)?,
            Estimator::Difference => difference(batch, need()?, options.difference_baseline)?,
            Estimator::Shapley => shapley(batch, need()?)?,
        })
    }
}

impl Estimator {
    /// [`Estimator::compute`] for a batch estimator without the ledger's notes (the same values
    /// and ledger otherwise), for callers that run many estimators over large batches and read
    /// the values only (the conformance check of an imported run). Counterfactual estimators
    /// need a game, so `None` for them.
    pub fn compute_without_notes(self, batch: &Batch, options: &EstimatorOptions) -> Option<Advantages> {
        match self {
            Estimator::Gigpo => Some(gigpo::gigpo_with(batch, options, false)),
            Estimator::Mars => Some(mars::mars_with(batch, options, false)),
            _ if self.needs().payoff_oracle => None,
            _ => self.compute(batch, options, None).ok(),
        }
    }
}

impl Estimator {
    /// The other readings of this estimator that the reference code computes, each with its
    /// label and options (the same-batch view shows them beside the configured one): GiGPO's
    /// agent-wise readings (Dr. MAS's code, own steps), RLOO's first-sample rule at episode
    /// scope, MARS's padded unique values. Empty for the others.
    pub fn variants(self, options: &EstimatorOptions) -> Vec<(&'static str, EstimatorOptions)> {
        let o = *options;
        match self {
            Estimator::Gigpo => {
                let dr_mas = ("GiGPO agent-wise (Dr. MAS code)", EstimatorOptions { gigpo_agent_wise: true, gigpo_own_steps: false, ..o });
                let own = ("GiGPO agent-wise, own steps", EstimatorOptions { gigpo_agent_wise: true, gigpo_own_steps: true, ..o });
                let global = ("GiGPO global keys", EstimatorOptions { gigpo_agent_wise: false, gigpo_own_steps: false, ..o });
                match (o.gigpo_agent_wise, o.gigpo_own_steps) {
                    (false, _) => vec![dr_mas, own],
                    (true, false) => vec![own, global],
                    (true, true) => vec![dr_mas, global],
                }
            }
            Estimator::Rloo if o.rloo_scope == RlooScope::Episode => vec![if o.rloo_first_sample {
                ("RLOO trajectory mean (default)", EstimatorOptions { rloo_first_sample: false, ..o })
            } else {
                ("RLOO first sample (DrMAS code)", EstimatorOptions { rloo_first_sample: true, ..o })
            }],
            Estimator::Mars => vec![if o.mars_padded_unique {
                ("MARS turns only (default)", EstimatorOptions { mars_padded_unique: false, ..o })
            } else {
                ("MARS padded unique (code)", EstimatorOptions { mars_padded_unique: true, ..o })
            }],
            _ => Vec::new(),
        }
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
pub(crate) mod test_support {
    //! Random batches with the awkward cases: uneven groups, agents acting 0, 1 or many
    //! times, ties and singletons.
    use crate::rollout::{Batch, Sample};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    pub fn random_batch(seed: u64) -> Batch {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut samples = Vec::new();
        let groups = rng.random_range(1..4u32);
        let mut episode = 0;
        for group in 0..groups {
            let episodes = rng.random_range(1..5u32);
            for _ in 0..episodes {
                let steps = rng.random_range(1..6u32);
                for turn in 0..steps {
                    // Rewards from a small set so that ties and zero-variance keys happen.
                    let reward = if rng.random_bool(0.5) {
                        f32::from(rng.random_range(0..3u8))
                    } else {
                        rng.random_range(-5.0..5.0f32)
                    };
                    // Anchors from a small set, so that step groups of every size occur.
                    let anchor = rng.random_bool(0.8).then(|| format!("s{}", rng.random_range(0..3u8)));
                    samples.push(Sample {
                        group,
                        episode,
                        agent: rng.random_range(0..3u32),
                        turn,
                        reward,
                        anchor,
                        action: None,
                    });
                }
                episode += 1;
            }
        }
        Batch { samples }
    }

    /// Unbiased mean/std with the singleton convention, written out plainly.
    pub fn reference_stats(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        if values.len() == 1 {
            return (0.0, 1.0);
        }
        let mut sum = 0.0;
        for v in values {
            sum += v;
        }
        let mean = sum / n;
        let mut sq = 0.0;
        for v in values {
            sq += (v - mean) * (v - mean);
        }
        (mean, (sq / (n - 1.0)).sqrt())
    }

    /// The reference advantage of `value` within a key whose members are `members`: written
    /// straight from REFERENCE.md's conventions (singleton: μ := 0, σ := 1; all equal: 0).
    pub fn reference_advantage(value: f64, members: &[f64], eps: f64, mean_only: bool) -> f64 {
        let (mu, sigma) = reference_stats(members);
        let all_equal = members.len() > 1 && members.iter().all(|v| *v == members[0]);
        if all_equal {
            0.0
        } else if mean_only {
            value - mu
        } else {
            (value - mu) / (sigma + eps)
        }
    }

    /// Checks `estimator` against its `reference` loop on 200 random batches, with and without
    /// the mean-only variant.
    pub fn check_against_reference(
        estimator: fn(&Batch, &super::EstimatorOptions) -> super::Advantages,
        reference: fn(&Batch, f64, bool) -> Vec<f64>,
    ) {
        for seed in 0..200 {
            let batch = random_batch(seed);
            for mean_only in [false, true] {
                let options = super::EstimatorOptions { eps: 1e-6, mean_only, ..Default::default() };
                let got = estimator(&batch, &options);
                assert_eq!(got.ledger.len(), batch.len(), "one ledger entry per sample");
                assert_close(&got.values, &reference(&batch, 1e-6, mean_only));
            }
        }
    }

    pub fn assert_close(actual: &[f32], expected: &[f64]) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            let tol = 1e-4 * (1.0 + e.abs());
            assert!(
                (f64::from(*a) - e).abs() <= tol,
                "sample {i}: got {a}, expected {e}"
            );
        }
    }
}


#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod dispatch_tests {
    use super::*;
    use crate::env::PayoffOracle;
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
            // Each sample is rewarded with its episode's team payoff, as the game pays it.
            let start = samples.len() - n;
            let joint: Vec<usize> = samples[start..].iter().map(|s| s.action.unwrap_or(0) as usize).collect();
            let team = game.payoff(&joint) as f32;
            for s in &mut samples[start..] {
                s.reward = team;
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

    /// REFERENCE.md: a batch whose reward contradicts its joint action's payoff is refused, naming
    /// the sample; a player's own payoff and the team payoff are both accepted.
    #[test]
    fn a_batch_contradicting_the_payoff_is_refused_by_sample() {
        let game = MatrixGame::new(&MatrixSpec::PrisonersDilemma).expect("valid");
        let cf = Counterfactual::uniform(&game);
        // (C, D): the row player gets 0, the column player 10, the team 10.
        let sample = |agent: u32, reward: f32, action: u32| Sample { group: 0, episode: 0, agent, turn: agent, reward, anchor: None, action: Some(action) };
        let own = Batch { samples: vec![sample(0, 0.0, 0), sample(1, 10.0, 1)] };
        let team = Batch { samples: vec![sample(0, 10.0, 0), sample(1, 10.0, 1)] };
        for estimator in [Estimator::Coma, Estimator::Difference, Estimator::Shapley] {
            assert!(estimator.compute(&own, &EstimatorOptions::default(), Some(&cf)).is_ok(), "{estimator}: own payoffs");
            assert!(estimator.compute(&team, &EstimatorOptions::default(), Some(&cf)).is_ok(), "{estimator}: team payoff");
            let wrong = Batch { samples: vec![sample(0, 0.0, 0), sample(1, 5.0, 1)] };
            let err = estimator.compute(&wrong, &EstimatorOptions::default(), Some(&cf)).expect_err("contradicts the game");
            assert!(err.0.starts_with("sample 1: reward 5"), "{err}");
            assert!(err.0.contains("pays agent 1 10") && err.0.contains("G = 10"), "{err}");
        }
    }

    /// Matching pennies is zero-sum: the team payoff is 0 for every joint action, so every
    /// counterfactual credit is 0, whatever the players did and were paid.
    #[test]
    fn matching_pennies_gives_zero_counterfactual_credit() {
        let game = MatrixGame::new(&MatrixSpec::MatchingPennies).expect("valid");
        for seed in 0..20 {
            let (mut batch, cf) = random_case(&game, seed);
            // Rewarded with each player's own payoff (±1), as training pays them.
            let joints = cf.joint_actions(&batch).expect("complete");
            for s in &mut batch.samples {
                s.reward = game.player_payoffs(&joints[&(s.group, s.episode)])[s.agent as usize];
            }
            for estimator in [Estimator::Coma, Estimator::Difference, Estimator::Shapley] {
                let got = estimator.compute(&batch, &EstimatorOptions::default(), Some(&cf)).expect("valid");
                assert!(got.values.iter().all(|v| *v == 0.0), "{estimator}: {:?}", got.values);
            }
        }
    }

    #[test]
    fn one_call_compares_estimators_on_the_identical_batch() {
        let game = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        let (batch, cf) = random_case(&game, 3);
        let picks = [Estimator::AgentWise, Estimator::Coma, Estimator::Shapley];
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
}
