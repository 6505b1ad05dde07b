//! Agent-wise normalisation (Dr. MAS).
//!
//! ```text
//! Y_k = all samples of agent k in the group, across all episodes
//! μ_k = mean over Y_k of r,  σ_k = std over Y_k (unbiased)
//! A = (r − μ_k) / (σ_k + ε)
//! ```
//! Mean-only: A = r − μ_k. Singleton key: μ := 0, σ := 1. An agent that never acted has no
//! samples and so no key.

use super::{step_level, Advantages, EstimatorOptions};
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
            let (mu, sigma) = reference_stats(&ys);
            let all_equal = ys.len() > 1 && ys.iter().all(|v| *v == ys[0]);
            let r = f64::from(x.reward);
            out.push(if all_equal {
                0.0
            } else if mean_only {
                r - mu
            } else {
                (r - mu) / (sigma + eps)
            });
        }
        out
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        for seed in 0..200 {
            let batch = random_batch(seed);
            for mean_only in [false, true] {
                let opts = EstimatorOptions { eps: 1e-6, mean_only };
                assert_close(&agent_wise(&batch, &opts).values, &reference(&batch, 1e-6, mean_only));
            }
        }
    }
}
