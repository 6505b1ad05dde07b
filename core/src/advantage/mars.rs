//! MARS turn-level advantage (self-play: rewards sit at the end of each of a player's turns).
//!
//! ```text
//! per player k, over k's turn rewards in the batch:   r̃ = r − μ_k          (mean mode)
//!                                                     r̃ = (r − μ_k)/(σ_k + ε) (mean_std mode)
//! per (episode, player), over k's turns t in order:   A_t = Σ_{t' ≥ t} γ^{t'−t} r̃_{t'}   (γ = 1)
//! per player k, over the set U_k of k's *unique* A values in the batch:
//!                                                     A ← A − mean(U_k)      (mean mode)
//!                                                     A ← (A − mean(U_k)) / (std(U_k) + ε)
//! ```
//! REFERENCE.md keys the statistics per (game, player); a batch holds one game, so that is
//! per player over the batch. A player with a single unique value gets 0. The player's turns are counted in their own
//! order (the exponent is the distance in the player's turns). "Unique" compares the returns as
//! f32, as the reference implementation's f32 tensors do; returns are accumulated backwards
//! (A_t = r̃_t + γ A_{t+1}), so equal turn sequences give bit-equal returns. `mean_only` selects mean mode;
//! the default is mean_std. Both statistics follow the unbiased-std and singleton conventions.

use std::collections::BTreeMap;

use super::common::{Advantages, EstimatorOptions, KeyStats, LedgerEntry};
use crate::rollout::Batch;

/// MARS advantages and their ledger.
pub fn mars(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    let eps = f64::from(options.eps);
    let gamma = f64::from(options.mars_gamma);
    let samples = &batch.samples;
    // 1. Per-player reward normalisation.
    let mut per_player: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for s in samples {
        per_player.entry(s.agent).or_default().push(f64::from(s.reward));
    }
    let reward_stats: BTreeMap<u32, KeyStats> = per_player.iter().map(|(k, v)| (*k, KeyStats::of(v))).collect();
    let normalized: Vec<f64> =
        samples.iter().map(|s| reward_stats[&s.agent].advantage(f64::from(s.reward), options)).collect();
    // 2. Discounted turn-level returns per (episode, player), over the player's turns in order.
    let mut turns: BTreeMap<(u32, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        turns.entry((s.group, s.episode, s.agent)).or_default().push(i);
    }
    let mut returns = vec![0.0f64; samples.len()];
    for indices in turns.values_mut() {
        indices.sort_by_key(|&i| samples[i].turn);
        let mut acc = 0.0;
        for &i in indices.iter().rev() {
            acc = normalized[i] + gamma * acc;
            returns[i] = acc;
        }
    }
    // 3. Per player: normalise by the statistics of the player's unique advantage values.
    let mut unique: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (s, r) in samples.iter().zip(&returns) {
        let values = unique.entry(s.agent).or_default();
        if !values.iter().any(|v| (*v as f32) == (*r as f32)) {
            values.push(*r);
        }
    }
    let mut out = Advantages::default();
    for (i, s) in samples.iter().enumerate() {
        let values = &unique[&s.agent];
        let stats = KeyStats::of(values);
        let advantage = if values.len() < 2 {
            0.0
        } else if options.mean_only {
            returns[i] - stats.mean
        } else {
            (returns[i] - stats.mean) / (stats.std + eps)
        };
        let rs = reward_stats[&s.agent];
        out.values.push(advantage as f32);
        out.ledger.push(LedgerEntry {
            key: format!("a{}", s.agent),
            key_size: values.len() as u32,
            mean: stats.mean as f32,
            std: stats.std as f32,
            value: returns[i] as f32,
            advantage: advantage as f32,
            note: Some(format!(
                "r̃ = {:.4} (player reward μ {:.4}, σ {:.4} over {} turns); turn return {:.4}; mean/std over {} unique returns",
                normalized[i], rs.mean, rs.std, rs.size, returns[i], values.len()
            )),
        });
    }
    out
}

#[cfg(test)]
// The reference loops index plainly, straight from the formula.
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;
    use crate::advantage::test_support::*;

    fn reference(batch: &Batch, eps: f64, mean_only: bool, gamma: f64) -> Vec<f64> {
        let s = &batch.samples;
        let n = s.len();
        let mut rtilde = vec![0.0; n];
        for i in 0..n {
            let mine: Vec<f64> = s.iter().filter(|y| y.agent == s[i].agent).map(|y| f64::from(y.reward)).collect();
            rtilde[i] = reference_advantage(f64::from(s[i].reward), &mine, eps, mean_only);
        }
        let mut ret = vec![0.0; n];
        for i in 0..n {
            // later turns of the same player in the same episode, in turn order
            let mut later: Vec<usize> = (0..n)
                .filter(|&j| {
                    s[j].group == s[i].group && s[j].episode == s[i].episode && s[j].agent == s[i].agent && s[j].turn >= s[i].turn
                })
                .collect();
            later.sort_by_key(|&j| s[j].turn);
            // Σ_{d} γ^d r̃_{t+d}, accumulated from the last turn back (the order fixes the bits,
            // and uniqueness below compares bits).
            let mut total = 0.0;
            for j in later.iter().rev() {
                total = rtilde[*j] + gamma * total;
            }
            ret[i] = total;
        }
        (0..n)
            .map(|i| {
                let mut uniq: Vec<f64> = Vec::new();
                for j in 0..n {
                    if s[j].agent == s[i].agent && !uniq.iter().any(|u| *u as f32 == ret[j] as f32) {
                        uniq.push(ret[j]);
                    }
                }
                if uniq.len() < 2 {
                    return 0.0;
                }
                let (mu, sigma) = reference_stats(&uniq);
                if mean_only { ret[i] - mu } else { (ret[i] - mu) / (sigma + eps) }
            })
            .collect()
    }

    #[test]
    fn matches_reference_loop_on_random_batches() {
        for seed in 0..200 {
            // Distinct turns per (episode, agent) are what a self-play batch has; the random
            // batches number turns per episode, so they are distinct there too.
            let batch = random_batch(seed);
            for (mean_only, gamma) in [(false, 1.0), (true, 1.0), (false, 0.9)] {
                let options = EstimatorOptions { mean_only, mars_gamma: gamma as f32, ..Default::default() };
                assert_close(&mars(&batch, &options).values, &reference(&batch, 1e-6, mean_only, gamma));
            }
        }
    }

    #[test]
    fn a_player_with_one_unique_return_gets_zero() {
        let batch = Batch {
            samples: (0..3)
                .map(|e| crate::rollout::Sample {
                    group: 0,
                    episode: e,
                    agent: 0,
                    turn: 0,
                    reward: 1.0,
                    anchor: None,
                    action: None,
                })
                .collect(),
        };
        assert_eq!(mars(&batch, &EstimatorOptions::default()).values, vec![0.0; 3]);
    }
}
