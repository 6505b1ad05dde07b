//! Difference rewards.
//!
//! ```text
//! D_k = G(z) − G(z_{−k})
//! ```
//! z_{−k} replaces agent k's action by its default action ([`DifferenceBaseline::DefaultAction`]),
//! or takes the expectation over k's policy ([`DifferenceBaseline::Expected`], "aristocrat
//! utility": D_k = G(z) − Σ_{u'} π^k(u') G(z with k playing u'), which with an exact G equals
//! COMA's advantage).

use super::coma::expected_over_own_action;
use super::counterfactual::{BatchError, Counterfactual, Credit};
use super::common::{Advantages, DifferenceBaseline};
use crate::rollout::Batch;

/// Difference-reward advantages and their ledger.
pub fn difference(batch: &Batch, cf: &Counterfactual<'_>, baseline: DifferenceBaseline) -> Result<Advantages, BatchError> {
    cf.credit_each_sample(batch, |s, joint| {
        let k = s.agent as usize;
        let g = cf.oracle.payoff(joint);
        let (counterfactual, note) = match baseline {
            DifferenceBaseline::DefaultAction => {
                let mut without = joint.to_vec();
                without[k] = cf.default_actions[k];
                let c = cf.oracle.payoff(&without);
                (c, format!("G(z) = {g:.4} − G(z with agent {k} on default action {}) = {c:.4}", cf.default_actions[k]))
            }
            DifferenceBaseline::Expected => {
                let c = expected_over_own_action(cf, joint, k);
                (c, format!("G(z) = {g:.4} − E_π[G] over agent {k}'s actions = {c:.4}"))
            }
        };
        Credit {
            key: format!("g{}/e{}/a{k}", s.group, s.episode),
            key_size: 1,
            value: g,
            baseline: counterfactual,
            advantage: g - counterfactual,
            note,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advantage::coma::coma;
    use crate::env::matrix::{MatrixGame, MatrixSpec};
    use crate::advantage::counterfactual::one_episode as episode;

    /// Climbing, both play action 1 (payoff 7), default action 2:
    /// D_0 = G(1,1) − G(2,1) = 7 − 6 = 1;  D_1 = G(1,1) − G(1,2) = 7 − 0 = 7.
    #[test]
    fn hand_computed_climbing() {
        let game = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        let mut cf = Counterfactual::uniform(&game);
        cf.default_actions = vec![2, 2];
        let got = difference(&episode(&game, &[1, 1]), &cf, DifferenceBaseline::DefaultAction).expect("valid");
        assert_eq!(got.values, vec![1.0, 7.0]);
    }

    #[test]
    fn aristocrat_utility_equals_coma_with_exact_q() {
        let game = MatrixGame::new(&MatrixSpec::Penalty { k: 25.0 }).expect("valid");
        let mut cf = Counterfactual::uniform(&game);
        cf.policies = vec![vec![0.2, 0.5, 0.3], vec![0.6, 0.1, 0.3]];
        for (a, b) in [(0, 0), (0, 2), (1, 1), (2, 0)] {
            let batch = episode(&game, &[a, b]);
            let d = difference(&batch, &cf, DifferenceBaseline::Expected).expect("valid");
            assert_eq!(d.values, coma(&batch, &cf).expect("valid").values);
        }
    }
}
