//! COMA's counterfactual baseline, with the exact Q of a one-step game (no critic).
//!
//! ```text
//! A^k = Q(s, u) − Σ_{u'} π^k(u' | τ^k) · Q(s, (u^{−k}, u'))
//! ```
//! In matrix games and bandits Q(s, u) is the expected team payoff of the joint action u, so the
//! advantage is exact. Every sample of agent k in an episode gets that episode's A^k.

use super::counterfactual::{BatchError, Counterfactual, Credit};
use super::common::Advantages;
use crate::rollout::Batch;

/// Agent k's counterfactual baseline Σ_{u'} π^k(u') Q(u^{−k}, u').
pub(crate) fn expected_over_own_action(cf: &Counterfactual<'_>, joint: &[usize], agent: usize) -> f64 {
    let mut counterfactual = joint.to_vec();
    cf.policies[agent]
        .iter()
        .enumerate()
        .map(|(action, p)| {
            counterfactual[agent] = action;
            p * cf.oracle.payoff(&counterfactual)
        })
        .sum()
}

/// COMA advantages and their ledger.
pub fn coma(batch: &Batch, cf: &Counterfactual<'_>) -> Result<Advantages, BatchError> {
    cf.credit_each_sample(batch, |s, joint| {
        let k = s.agent as usize;
        let q = cf.oracle.payoff(joint);
        let baseline = expected_over_own_action(cf, joint, k);
        Credit {
            key: format!("g{}/e{}/a{k}", s.group, s.episode),
            key_size: cf.policies[k].len(),
            value: q,
            baseline,
            advantage: q - baseline,
            note: format!("Q(u) = {q:.4} − Σ π^{k}(u') Q(u^-{k}, u') = {baseline:.4}; joint action {joint:?}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::matrix::{MatrixGame, MatrixSpec};
    use crate::advantage::counterfactual::one_episode as episode;

    /// Stag hunt, team payoff = sum: (S,S)=4, (S,H)=1, (H,S)=1, (H,H)=2. Both play S; uniform π.
    /// A^0 = Q(S,S) − ½ Q(S,S) − ½ Q(H,S) = 4 − 2 − 0.5 = 1.5, and A^1 the same by symmetry.
    #[test]
    fn hand_computed_stag_hunt() {
        let game = MatrixGame::new(&MatrixSpec::StagHunt).expect("valid");
        let cf = Counterfactual::uniform(&game);
        let got = coma(&episode(&game, &[0, 0]), &cf).expect("valid batch");
        assert_eq!(got.values, vec![1.5, 1.5]);
        // Column player hunts hare instead: Q(S,H) = 1.
        // A^0 = 1 − (½·1 + ½·2) = −0.5;  A^1 = 1 − (½·4 + ½·1) = −1.5.
        let got = coma(&episode(&game, &[0, 1]), &cf).expect("valid batch");
        assert_eq!(got.values, vec![-0.5, -1.5]);
    }

    /// Climbing, row player sure to play 0, column player plays 0: A^1 = 11 − (11 − 30 + 0)/3.
    #[test]
    fn hand_computed_climbing_with_a_non_uniform_policy() {
        let game = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        let mut cf = Counterfactual::uniform(&game);
        cf.policies[0] = vec![1.0, 0.0, 0.0];
        let got = coma(&episode(&game, &[0, 0]), &cf).expect("valid batch");
        assert_eq!(got.values[0], 0.0, "a deterministic agent's counterfactual is its own action");
        assert!((got.values[1] - (11.0 - (11.0 - 30.0 + 0.0) / 3.0)).abs() < 1e-5);
    }

    #[test]
    fn incomplete_episodes_are_refused() {
        let game = MatrixGame::new(&MatrixSpec::StagHunt).expect("valid");
        let cf = Counterfactual::uniform(&game);
        let mut batch = episode(&game, &[0, 0]);
        batch.samples.pop();
        assert!(coma(&batch, &cf).is_err());
        let mut batch = episode(&game, &[0, 0]);
        batch.samples[1].action = None;
        assert!(coma(&batch, &cf).expect_err("must be refused").0.contains("sample 1"));
    }
}
