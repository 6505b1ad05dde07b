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
//!
//! `mars_padded_unique` reproduces MARS's code (REFERENCE.md §7), whose unique-value step runs
//! over the right-padded tensor of rows: a row is one player's turns in one episode (where the
//! player acts), and when any of player k's rows is shorter than the batch's longest row, the
//! padding's 0 joins U_k (once, unless a return already equals 0).

use std::collections::BTreeMap;

use super::common::{Advantages, EstimatorOptions, KeyStats, LedgerEntry};
use crate::rollout::Batch;

/// MARS advantages and their ledger.
pub fn mars(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    mars_with(batch, options, true)
}

/// [`mars`], with each ledger entry's note written out only if `notes`.
pub(crate) fn mars_with(batch: &Batch, options: &EstimatorOptions, notes: bool) -> Advantages {
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
    let mut join = |agent: u32, r: f64| {
        let values = unique.entry(agent).or_default();
        if !values.iter().any(|v| (*v as f32) == (r as f32)) {
            values.push(r);
        }
    };
    for (s, r) in samples.iter().zip(&returns) {
        join(s.agent, *r);
    }
    if options.mars_padded_unique {
        let longest = turns.values().map(Vec::len).max().unwrap_or(0);
        for ((_, _, agent), row) in &turns {
            if row.len() < longest {
                join(*agent, 0.0);
            }
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
            note: notes.then(|| format!(
                "r̃ = {:.4} (player reward μ {:.4}, σ {:.4} over {} turns); turn return {:.4}; mean/std over {} unique returns{}",
                normalized[i],
                rs.mean,
                rs.std,
                rs.size,
                returns[i],
                values.len(),
                if options.mars_padded_unique {
                    " (padded as MARS's code: 0 joins them when a row of this player is shorter than the longest; the default takes the turns only)"
                } else {
                    ""
                }
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
        reference_with(batch, eps, mean_only, gamma, false)
    }

    /// With `padded`, MARS's code: each (episode, player) row is right-padded with 0 to the
    /// longest row of the batch, and the padding joins the unique values.
    fn reference_with(batch: &Batch, eps: f64, mean_only: bool, gamma: f64, padded: bool) -> Vec<f64> {
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
                if padded {
                    let row_len = |j: usize| {
                        (0..n).filter(|&m| s[m].group == s[j].group && s[m].episode == s[j].episode && s[m].agent == s[j].agent).count()
                    };
                    let longest = (0..n).map(row_len).max().unwrap_or(0);
                    let short_row = (0..n).any(|j| s[j].agent == s[i].agent && row_len(j) < longest);
                    if short_row && !uniq.iter().any(|u| *u as f32 == 0.0) {
                        uniq.push(0.0);
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
    fn padded_unique_variant_matches_its_reference_loop_and_differs_from_the_default() {
        let mut differs = 0;
        for seed in 0..200 {
            let batch = random_batch(seed);
            for (mean_only, gamma) in [(false, 1.0), (true, 1.0), (false, 0.9)] {
                let options = EstimatorOptions { mean_only, mars_gamma: gamma as f32, mars_padded_unique: true, ..Default::default() };
                let got = mars(&batch, &options);
                // A return that is 0 in one summation order and 1e-16 in another is the one case
                // where bit-exact uniqueness depends on the order; such batches are skipped.
                if got.ledger.iter().any(|l| l.value != 0.0 && l.value.abs() < 1e-6) {
                    continue;
                }
                assert_close(&got.values, &reference_with(&batch, 1e-6, mean_only, gamma, true));
                assert!(got.ledger[0].note.as_deref().unwrap_or("").contains("padded"));
                let default = EstimatorOptions { mars_padded_unique: false, ..options };
                differs += usize::from(got.values != mars(&batch, &default).values);
            }
        }
        assert!(differs > 100, "rows of different lengths make the readings differ ({differs} of 600)");
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
