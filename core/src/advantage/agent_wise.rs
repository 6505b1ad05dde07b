//! Agent-wise normalisation (Dr. MAS).
//!
//! ```text
//! Y_k = all samples of agent k in the group, across all episodes
//! μ_k = mean over Y_k of r,  σ_k = std over Y_k (unbiased)
//! A = (r − μ_k) / (σ_k + ε)
//! ```
//! Mean-only: A = r − μ_k. Singleton key: μ := 0, σ := 1. An agent that never acted has no
//! samples and so no key.

use super::common::{step_level, Advantages, EstimatorOptions};
use crate::rollout::Batch;

/// Agent-wise advantages and their ledger.
pub fn agent_wise(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    step_level(
        batch,
        |s| (s.group, s.agent),
        |(group, agent)| format!("g{group}/a{agent}"),
        options,
    )
}

#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::advantage::test_support::*;

    fn reference(batch: &Batch, eps: f64, mean_only: bool) -> Vec<f64> {
        let s = &batch.samples;
        let mut out = Vec::new();
        for x in s {
            let ys: Vec<f64> = s
                .iter()
                .filter(|y| y.group == x.group && y.agent == x.agent)
                .map(|y| f64::from(y.reward))
                .collect();
            out.push(reference_advantage(f64::from(x.reward), &ys, eps, mean_only));
        }
        out
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        check_against_reference(agent_wise, reference);
    }
}
