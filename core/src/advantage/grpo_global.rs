//! Global GRPO, trajectory level — the vanilla baseline of Dr. MAS.
//!
//! ```text
//! R̄_i = mean of r over the samples of episode i
//! μ = mean_i R̄_i,  σ = std_i R̄_i   over the G episodes of the group (unbiased)
//! A(sample) = (R̄_i − μ) / (σ + ε)    — every sample of episode i gets the same value
//! ```
//! Mean-only (Dr. GRPO): A = R̄_i − μ. Singleton group: μ := 0, σ := 1.

use super::common::{trajectory_level, Advantages, EstimatorOptions};
use crate::rollout::Batch;

/// Global GRPO advantages (trajectory level) and their ledger.
pub fn grpo_global(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    trajectory_level(
        batch,
        |s| (s.group, s.episode),
        |&(group, _)| group,
        |group| format!("g{group}"),
        options,
    )
}

#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::advantage::test_support::*;

    /// Straight from the formula: loops, no shared helpers.
    fn reference(batch: &Batch, eps: f64, mean_only: bool) -> Vec<f64> {
        let s = &batch.samples;
        let mut out = Vec::new();
        for x in s {
            // episodes of this group and their mean rewards
            let mut episodes: Vec<u32> = Vec::new();
            for y in s {
                if y.group == x.group && !episodes.contains(&y.episode) {
                    episodes.push(y.episode);
                }
            }
            let mean_of = |e: u32| {
                let rs: Vec<f64> =
                    s.iter().filter(|y| y.group == x.group && y.episode == e).map(|y| f64::from(y.reward)).collect();
                rs.iter().sum::<f64>() / rs.len() as f64
            };
            let values: Vec<f64> = episodes.iter().map(|&e| mean_of(e)).collect();
            out.push(reference_advantage(mean_of(x.episode), &values, eps, mean_only));
        }
        out
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        check_against_reference(grpo_global, reference);
    }

    #[test]
    fn every_sample_of_an_episode_shares_its_advantage() {
        let batch = random_batch(3);
        let got = grpo_global(&batch, &EstimatorOptions::default());
        for (i, a) in batch.samples.iter().enumerate() {
            for (j, b) in batch.samples.iter().enumerate() {
                if a.group == b.group && a.episode == b.episode {
                    assert_eq!(got.values[i], got.values[j]);
                }
            }
        }
    }
}
