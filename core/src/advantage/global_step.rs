//! Global step level: one key per group, statistics over every sample of the group.
//!
//! ```text
//! μ = mean of r over all samples of the group,  σ = std over the same samples (unbiased)
//! A = (r − μ) / (σ + ε)
//! ```
//! Every agent's steps count, weighted by how often that agent acts. Compared with the
//! trajectory-level global estimator and the agent-wise one, this isolates "per-agent
//! statistics" from "step-frequency weighting". It is also the estimator under which agent k's
//! gradient second moment scales like (σ_k² + (μ_k − μ)²) / σ² (Dr. MAS, Sec. 4).

use super::common::{step_level, Advantages, EstimatorOptions};
use crate::rollout::Batch;

/// Global step-level advantages and their ledger.
pub fn global_step(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    step_level(batch, |s| s.group, |group| format!("g{group}"), options)
}

#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::advantage::test_support::*;

    fn reference(batch: &Batch, eps: f64, mean_only: bool) -> Vec<f64> {
        let s = &batch.samples;
        s.iter()
            .map(|x| {
                let ys: Vec<f64> =
                    s.iter().filter(|y| y.group == x.group).map(|y| f64::from(y.reward)).collect();
                reference_advantage(f64::from(x.reward), &ys, eps, mean_only)
            })
            .collect()
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        check_against_reference(global_step, reference);
    }
}
