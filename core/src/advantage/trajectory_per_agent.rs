//! Trajectory level per agent: the fourth cell of the (statistics × weighting) table.
//!
//! ```text
//! R̄_{i,k} = mean of r over agent k's samples in episode i   (episodes where k acted)
//! μ_k = mean_i R̄_{i,k},  σ_k = std_i R̄_{i,k}   over the group's episodes (unbiased)
//! A(sample of agent k in episode i) = (R̄_{i,k} − μ_k) / (σ_k + ε)
//! ```
//! Mean-only: A = R̄_{i,k} − μ_k. Singleton key: μ := 0, σ := 1.

use super::common::{trajectory_level, Advantages, EstimatorOptions};
use crate::rollout::Batch;

/// Trajectory-level per-agent advantages and their ledger.
pub fn trajectory_per_agent(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    trajectory_level(
        batch,
        |s| (s.group, s.agent, s.episode),
        |&(group, agent, _)| (group, agent),
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
        let episode_mean = |g: u32, k: u32, e: u32| {
            let rs: Vec<f64> = s
                .iter()
                .filter(|y| y.group == g && y.agent == k && y.episode == e)
                .map(|y| f64::from(y.reward))
                .collect();
            rs.iter().sum::<f64>() / rs.len() as f64
        };
        s.iter()
            .map(|x| {
                let mut episodes = Vec::new();
                for y in s {
                    if y.group == x.group && y.agent == x.agent && !episodes.contains(&y.episode) {
                        episodes.push(y.episode);
                    }
                }
                let values: Vec<f64> =
                    episodes.iter().map(|&e| episode_mean(x.group, x.agent, e)).collect();
                reference_advantage(episode_mean(x.group, x.agent, x.episode), &values, eps, mean_only)
            })
            .collect()
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        check_against_reference(trajectory_per_agent, reference);
    }
}
