//! Exact Shapley credit (n ≤ 6 agents).
//!
//! ```text
//! φ_k = Σ_{S ⊆ N∖{k}} |S|! (n − |S| − 1)! / n! · [v(S ∪ {k}) − v(S)]
//! v(S) = G(joint action where the agents in S act as sampled and the others take their default)
//! ```
//! Efficiency: Σ_k φ_k = v(N) − v(∅) = G(z) − G(all default).

use std::collections::BTreeMap;

use super::counterfactual::{BatchError, Counterfactual, Credit};
use super::common::Advantages;
use crate::rollout::Batch;

/// Most agents the exact enumeration (2^n coalitions per agent) is offered for.
pub const MAX_SHAPLEY_AGENTS: usize = 6;

fn factorial(n: usize) -> f64 {
    (1..=n).map(|i| i as f64).product()
}

/// v(S) for the coalition bit mask `coalition`.
fn value(cf: &Counterfactual<'_>, joint: &[usize], coalition: u32) -> f64 {
    let actions: Vec<usize> = (0..joint.len())
        .map(|k| if coalition & (1 << k) != 0 { joint[k] } else { cf.default_actions[k] })
        .collect();
    cf.oracle.payoff(&actions)
}

/// Every agent's Shapley value for one joint action.
pub fn shapley_values(cf: &Counterfactual<'_>, joint: &[usize]) -> Vec<f64> {
    let n = joint.len();
    let values: Vec<f64> = (0..1u32 << n).map(|coalition| value(cf, joint, coalition)).collect();
    (0..n)
        .map(|k| {
            (0..1u32 << n)
                .filter(|s| s & (1 << k) == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    let weight = factorial(size) * factorial(n - size - 1) / factorial(n);
                    weight * (values[(s | (1 << k)) as usize] - values[s as usize])
                })
                .sum()
        })
        .collect()
}

/// Shapley credit per sample and its ledger.
pub fn shapley(batch: &Batch, cf: &Counterfactual<'_>) -> Result<Advantages, BatchError> {
    let n = cf.oracle.agents();
    if n > MAX_SHAPLEY_AGENTS {
        return Err(BatchError(format!("exact Shapley credit is offered for at most {MAX_SHAPLEY_AGENTS} agents, not {n}")));
    }
    // Each episode's values are computed once, for all its agents.
    let mut per_episode: BTreeMap<(u32, u32), Vec<f64>> = BTreeMap::new();
    cf.credit_each_sample(batch, |s, joint| {
        let k = s.agent as usize;
        let phi = per_episode.entry((s.group, s.episode)).or_insert_with(|| shapley_values(cf, joint))[k];
        let (all, none) = (value(cf, joint, (1 << n) - 1), value(cf, joint, 0));
        Credit {
            key: format!("g{}/e{}", s.group, s.episode),
            key_size: n,
            value: all,
            baseline: none,
            advantage: phi,
            note: format!("φ_{k} over 2^{} coalitions; Σ_k φ_k = G(z) − G(all default) = {:.4}", n - 1, all - none),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::PayoffOracle;
    use crate::env::bandit::{Bandit, BanditConfig};
    use crate::env::matrix::{MatrixGame, MatrixSpec};
    use crate::advantage::counterfactual::one_episode as episode;

    /// Stag hunt (team payoff = sum), both play S, default H:
    /// v(∅) = G(H,H) = 2, v({0}) = G(S,H) = 1, v({1}) = G(H,S) = 1, v(N) = G(S,S) = 4.
    /// φ_0 = ½[v({0}) − v(∅)] + ½[v(N) − v({1})] = ½(−1) + ½(3) = 1 = φ_1; sum 2 = 4 − 2.
    #[test]
    fn hand_computed_stag_hunt() {
        let game = MatrixGame::new(&MatrixSpec::StagHunt).expect("valid");
        let mut cf = Counterfactual::uniform(&game);
        cf.default_actions = vec![1, 1];
        assert_eq!(shapley(&episode(&game, &[0, 0]), &cf).expect("valid").values, vec![1.0, 1.0]);
    }

    /// A 3-agent bandit's payoff is additive, so each agent's Shapley value is its own term's
    /// gain over its default arm, and the values sum to the team payoff minus the all-default one.
    #[test]
    fn three_agent_bandit_is_additive_and_efficient() {
        let bandit = Bandit::new(BanditConfig::default());
        let cf = Counterfactual::uniform(&bandit);
        let joint = [3u32, 0, 2];
        let got = shapley(&episode(&bandit, &joint), &cf).expect("valid");
        // Default arm 0. Agent 0: arm 3 (0.1) vs arm 0 (0.9) at scale 1 → −0.8.
        // Agent 1: arm 0 both → 0. Agent 2: arm 2 (0.9) vs arm 0 (0.3) at scale 100 → 60.
        let expected = [-0.8f32, 0.0, 60.0];
        for (g, e) in got.values.iter().zip(expected) {
            assert!((g - e).abs() < 1e-4, "{:?}", got.values);
        }
        let total: f32 = got.values.iter().sum();
        let all = cf.oracle.payoff(&[3, 0, 2]) - cf.oracle.payoff(&[0, 0, 0]);
        assert!((f64::from(total) - all).abs() < 1e-4);
    }

    /// Efficiency and symmetry on random custom games with up to 6 agents (an additive-plus-
    /// interaction payoff built from a seed).
    #[test]
    fn efficiency_holds_for_random_payoffs() {
        struct Random {
            n: usize,
            seed: u64,
        }
        impl PayoffOracle for Random {
            fn agents(&self) -> usize {
                self.n
            }
            fn actions(&self, _agent: usize) -> usize {
                3
            }
            fn payoff(&self, joint: &[usize]) -> f64 {
                // A deterministic pseudo-random function of the joint action.
                let mut h = self.seed;
                for a in joint {
                    h = h.wrapping_mul(6364136223846793005).wrapping_add(*a as u64 + 1442695040888963407);
                }
                (h >> 40) as f64 / (1u64 << 24) as f64 * 10.0 - 5.0
            }
        }
        for n in 1..=6 {
            for seed in 0..20 {
                let game = Random { n, seed };
                let cf = Counterfactual::uniform(&game);
                let joint: Vec<usize> = (0..n).map(|k| (k + seed as usize) % 3).collect();
                let phi = shapley_values(&cf, &joint);
                let sum: f64 = phi.iter().sum();
                let expected = game.payoff(&joint) - game.payoff(&vec![0; n]);
                assert!((sum - expected).abs() < 1e-9, "n {n} seed {seed}: {sum} vs {expected}");
            }
        }
    }
}
