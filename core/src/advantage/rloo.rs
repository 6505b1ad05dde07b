//! RLOO: the leave-one-out baseline.
//!
//! ```text
//! A(member i of key K) = x_i − mean_{j ∈ K, j ≠ i} x_j
//! ```
//! Members are, by [`RlooScope`]: the group's episodes with x = R̄_i (their mean reward,
//! trajectory level — the default, as in RLOO), one agent's samples in the group with x = r, or
//! all the group's samples with x = r. A key with one member has no others: μ := 0, A = x (the
//! singleton convention of the group estimators). No division by a std.
//!
//! `rloo_first_sample` (episode scope only) is DrMAS's code (REFERENCE.md §5): each
//! trajectory's member is its *first* sample (in batch order), and every sample is scored with
//! its *own* reward against the n members of its group:
//! ```text
//! A(sample) = r · n/(n−1) − mean(members) · n/(n−1)        (a singleton group: A = r)
//! ```
//! It equals the default when every sample of a trajectory has the same reward.

use std::collections::BTreeMap;

use super::common::{Advantages, EstimatorOptions, LedgerEntry, RlooScope};
use crate::rollout::Batch;

/// RLOO advantages and their ledger.
pub fn rloo(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    if options.rloo_first_sample && options.rloo_scope == RlooScope::Episode {
        return rloo_first_sample(batch);
    }
    // (key name, member id) per sample, and each member's value.
    let member_of = |i: usize| {
        let s = &batch.samples[i];
        match options.rloo_scope {
            RlooScope::Episode => (format!("g{}", s.group), (s.group, s.episode, 0)),
            RlooScope::Agent => (format!("g{}/a{}", s.group, s.agent), (s.group, s.agent, i as u32)),
            RlooScope::Group => (format!("g{}", s.group), (s.group, 0, i as u32)),
        }
    };
    let mut member_sums: BTreeMap<(u32, u32, u32), (f64, usize)> = BTreeMap::new();
    let mut member_key: BTreeMap<(u32, u32, u32), String> = BTreeMap::new();
    for i in 0..batch.len() {
        let (key, member) = member_of(i);
        let entry = member_sums.entry(member).or_insert((0.0, 0));
        entry.0 += f64::from(batch.samples[i].reward);
        entry.1 += 1;
        member_key.insert(member, key);
    }
    // Per key: the sum and count of its members' values.
    let mut key_totals: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
    for (member, (sum, n)) in &member_sums {
        let entry = key_totals.entry(member_key[member].as_str()).or_insert((0.0, 0));
        entry.0 += sum / *n as f64;
        entry.1 += 1;
    }
    let mut out = Advantages::default();
    for i in 0..batch.len() {
        let (key, member) = member_of(i);
        let (sum, n) = member_sums[&member];
        let value = sum / n as f64;
        let (total, size) = key_totals[key.as_str()];
        let others_mean = if size > 1 { (total - value) / (size - 1) as f64 } else { 0.0 };
        let advantage = value - others_mean;
        out.values.push(advantage as f32);
        out.ledger.push(LedgerEntry {
            key,
            key_size: size as u32,
            mean: others_mean as f32,
            std: 1.0,
            value: value as f32,
            advantage: advantage as f32,
            note: Some("mean is the leave-one-out mean of the other members".into()),
        });
    }
    out
}

/// DrMAS's code at trajectory scope: first sample per trajectory as the member, own reward scored.
fn rloo_first_sample(batch: &Batch) -> Advantages {
    let mut first: BTreeMap<(u32, u32), f64> = BTreeMap::new();
    for s in &batch.samples {
        first.entry((s.group, s.episode)).or_insert_with(|| f64::from(s.reward));
    }
    let mut groups: BTreeMap<u32, (f64, usize)> = BTreeMap::new();
    for ((g, _), x) in &first {
        let entry = groups.entry(*g).or_insert((0.0, 0));
        entry.0 += x;
        entry.1 += 1;
    }
    let mut out = Advantages::default();
    for s in &batch.samples {
        let (sum, n) = groups[&s.group];
        let r = f64::from(s.reward);
        let mean = sum / n as f64;
        let advantage = if n > 1 { (r - mean) * n as f64 / (n - 1) as f64 } else { r };
        out.values.push(advantage as f32);
        out.ledger.push(LedgerEntry {
            key: format!("g{}", s.group),
            key_size: n as u32,
            mean: if n > 1 { mean as f32 } else { 0.0 },
            std: 1.0,
            value: s.reward,
            advantage: advantage as f32,
            note: Some(format!(
                "first sample per trajectory (DrMAS's code): mean over the {n} trajectories' first rewards, A = (r − mean)·n/(n−1); \
                 the default uses each trajectory's mean reward and its leave-one-out mean"
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

    fn reference(batch: &Batch, scope: RlooScope) -> Vec<f64> {
        let s = &batch.samples;
        let episode_mean = |g: u32, e: u32| {
            let rs: Vec<f64> = s.iter().filter(|y| y.group == g && y.episode == e).map(|y| f64::from(y.reward)).collect();
            rs.iter().sum::<f64>() / rs.len() as f64
        };
        let mut out = Vec::new();
        for (i, x) in s.iter().enumerate() {
            let (mine, others): (f64, Vec<f64>) = match scope {
                RlooScope::Episode => {
                    let mut episodes = Vec::new();
                    for y in s {
                        if y.group == x.group && y.episode != x.episode && !episodes.contains(&y.episode) {
                            episodes.push(y.episode);
                        }
                    }
                    (episode_mean(x.group, x.episode), episodes.iter().map(|&e| episode_mean(x.group, e)).collect())
                }
                RlooScope::Agent | RlooScope::Group => {
                    let others = s
                        .iter()
                        .enumerate()
                        .filter(|(j, y)| {
                            *j != i && y.group == x.group && (scope == RlooScope::Group || y.agent == x.agent)
                        })
                        .map(|(_, y)| f64::from(y.reward))
                        .collect();
                    (f64::from(x.reward), others)
                }
            };
            let baseline = if others.is_empty() { 0.0 } else { others.iter().sum::<f64>() / others.len() as f64 };
            out.push(mine - baseline);
        }
        out
    }

    /// DrMAS's `compute_rloo_outcome_advantage` at trajectory scope, written as its loop reads:
    /// the first (group, episode) occurrence is the member; every sample is scored with its own
    /// reward.
    fn reference_first_sample(batch: &Batch) -> Vec<f64> {
        let s = &batch.samples;
        let mut seen: Vec<(u32, u32)> = Vec::new();
        let mut members: Vec<(u32, f64)> = Vec::new();
        for y in s {
            if !seen.contains(&(y.group, y.episode)) {
                seen.push((y.group, y.episode));
                members.push((y.group, f64::from(y.reward)));
            }
        }
        s.iter()
            .map(|x| {
                let mine: Vec<f64> = members.iter().filter(|(g, _)| *g == x.group).map(|(_, r)| *r).collect();
                let n = mine.len() as f64;
                let r = f64::from(x.reward);
                if mine.len() == 1 {
                    r
                } else {
                    let mean = mine.iter().sum::<f64>() / n;
                    r * n / (n - 1.0) - mean * n / (n - 1.0)
                }
            })
            .collect()
    }

    #[test]
    fn first_sample_variant_matches_drmas_loop_and_differs_from_the_default() {
        let mut differs = 0;
        for seed in 0..200 {
            let batch = random_batch(seed);
            let options = EstimatorOptions { rloo_first_sample: true, ..Default::default() };
            let got = rloo(&batch, &options);
            assert_close(&got.values, &reference_first_sample(&batch));
            assert!(got.ledger[0].note.as_deref().unwrap_or("").contains("first sample"));
            differs += usize::from(got.values != rloo(&batch, &EstimatorOptions::default()).values);
            // Outside episode scope every sample is a member already: the option changes nothing.
            for scope in [RlooScope::Agent, RlooScope::Group] {
                let on = EstimatorOptions { rloo_scope: scope, rloo_first_sample: true, ..Default::default() };
                assert_eq!(rloo(&batch, &on), rloo(&batch, &EstimatorOptions { rloo_scope: scope, ..Default::default() }));
            }
        }
        assert!(differs > 100, "per-sample rewards make the readings differ ({differs} of 200)");
    }

    #[test]
    fn first_sample_variant_equals_the_default_when_a_trajectory_shares_one_reward() {
        for seed in 0..50 {
            let mut batch = random_batch(seed);
            let episode_rewards: Vec<f32> = batch.samples.iter().map(|s| (s.episode % 3) as f32 * 1.5).collect();
            for (s, r) in batch.samples.iter_mut().zip(episode_rewards) {
                s.reward = r;
            }
            let first = rloo(&batch, &EstimatorOptions { rloo_first_sample: true, ..Default::default() }).values;
            let default: Vec<f64> = rloo(&batch, &EstimatorOptions::default()).values.iter().map(|v| f64::from(*v)).collect();
            assert_close(&first, &default);
        }
    }

    #[test]
    fn matches_reference_loop_in_every_scope() {
        for seed in 0..200 {
            let batch = random_batch(seed);
            for scope in [RlooScope::Episode, RlooScope::Agent, RlooScope::Group] {
                let options = EstimatorOptions { rloo_scope: scope, ..Default::default() };
                assert_close(&rloo(&batch, &options).values, &reference(&batch, scope));
            }
        }
    }
}
