//! GiGPO (group-in-group): an episode term plus a step term from anchor-state step groups.
//!
//! Here a sample's reward is its *step* reward r_t.
//! ```text
//! R_i = Σ_t r_t                                    episode i's total (within the key's scope)
//! A^E_i = (R_i − mean_j R_j) / F                   over the group's episodes; F = σ + ε in
//!                                                  mean_std mode, 1 in mean mode (the default)
//! R_t = Σ_{k ≥ t} γ^{k−t} r_k                      step return inside the episode (γ = 0.95)
//! step group = the group's samples whose anchor state s is identical
//! A^S = (R_t − mean over the step group) / F
//! A = A^E + ω · A^S                                (ω = 1)
//! ```
//! A singleton episode group passes R_i through (μ := 0, σ := 1); a singleton step group (or a
//! sample without anchor) gives A^S = 0; an all-equal key gives 0. With agent-wise grouping the
//! key becomes (group, agent): R_i, step returns and step groups use that agent's samples only.

use std::collections::BTreeMap;

use super::common::{Advantages, EstimatorOptions, KeyStats, LedgerEntry};
use crate::rollout::Batch;

/// The key of an episode term: the group, and the agent under agent-wise grouping.
type Scope = (u32, Option<u32>);

/// GiGPO advantages and their ledger.
pub fn gigpo(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    let samples = &batch.samples;
    let gamma = f64::from(options.gigpo_gamma);
    let omega = f64::from(options.gigpo_omega);
    // mean mode: F = 1 (KeyStats in mean_only mode), mean_std: F = σ + ε.
    let mode = EstimatorOptions { mean_only: !options.gigpo_mean_std, ..*options };
    let scope = |i: usize| {
        let s = &samples[i];
        (s.group, if options.gigpo_agent_wise { Some(s.agent) } else { None })
    };
    let scope_name = |(g, a): (u32, Option<u32>)| match a {
        Some(a) => format!("g{g}/a{a}"),
        None => format!("g{g}"),
    };
    // Episodes within their scope: totals and the samples in step order.
    let mut episodes: BTreeMap<(Scope, u32), Vec<usize>> = BTreeMap::new();
    for (i, sample) in samples.iter().enumerate() {
        episodes.entry((scope(i), sample.episode)).or_default().push(i);
    }
    let mut step_return = vec![0.0f64; samples.len()];
    let mut episode_total: BTreeMap<(Scope, u32), f64> = BTreeMap::new();
    for (key, indices) in episodes.iter_mut() {
        indices.sort_by_key(|&i| samples[i].turn);
        let mut acc = 0.0;
        for &i in indices.iter().rev() {
            acc = f64::from(samples[i].reward) + gamma * acc;
            step_return[i] = acc;
        }
        episode_total.insert(*key, indices.iter().map(|&i| f64::from(samples[i].reward)).sum());
    }
    // Episode term: statistics over the scope's episode totals.
    let mut scope_totals: BTreeMap<Scope, Vec<f64>> = BTreeMap::new();
    for ((s, _), total) in &episode_total {
        scope_totals.entry(*s).or_default().push(*total);
    }
    let episode_stats: BTreeMap<_, _> = scope_totals.iter().map(|(k, v)| (*k, KeyStats::of(v))).collect();
    // Step term: statistics over each anchor's step returns within the scope.
    let mut step_groups: BTreeMap<(Scope, &str), Vec<f64>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        if let Some(anchor) = &s.anchor {
            step_groups.entry((scope(i), anchor.as_str())).or_default().push(step_return[i]);
        }
    }
    let step_stats: BTreeMap<_, _> = step_groups.iter().map(|(k, v)| (*k, KeyStats::of(v))).collect();
    let mut out = Advantages::default();
    for (i, s) in samples.iter().enumerate() {
        let sc = scope(i);
        let total = episode_total[&(sc, s.episode)];
        let es = episode_stats[&sc];
        let episode_term = es.advantage(total, &mode);
        let (step_term, key, stats) = match &s.anchor {
            Some(anchor) => {
                let ss = step_stats[&(sc, anchor.as_str())];
                let term = if ss.size < 2 { 0.0 } else { ss.advantage(step_return[i], &mode) };
                (term, format!("{}/{anchor}", scope_name(sc)), ss)
            }
            None => (0.0, format!("{}/(no anchor)", scope_name(sc)), KeyStats { size: 1, mean: 0.0, std: 1.0, degenerate: false }),
        };
        let advantage = episode_term + omega * step_term;
        out.values.push(advantage as f32);
        out.ledger.push(LedgerEntry {
            key,
            key_size: stats.size as u32,
            mean: stats.mean as f32,
            std: stats.std as f32,
            value: step_return[i] as f32,
            advantage: advantage as f32,
            note: Some(format!(
                "A^E = {episode_term:.4} (R_i = {total:.4}, episode μ {:.4}, σ {:.4} over {}) + ω {omega} × A^S = {step_term:.4}",
                es.mean, es.std, es.size
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

    fn reference(batch: &Batch, eps: f64, mean_std: bool, gamma: f64, omega: f64, agent_wise: bool) -> Vec<f64> {
        let s = &batch.samples;
        let n = s.len();
        let same_scope = |i: usize, j: usize| s[i].group == s[j].group && (!agent_wise || s[i].agent == s[j].agent);
        let total_of = |i: usize| -> f64 {
            (0..n).filter(|&j| same_scope(i, j) && s[j].episode == s[i].episode).map(|j| f64::from(s[j].reward)).sum()
        };
        let step_return = |i: usize| -> f64 {
            let mut later: Vec<usize> =
                (0..n).filter(|&j| same_scope(i, j) && s[j].episode == s[i].episode && s[j].turn >= s[i].turn).collect();
            later.sort_by_key(|&j| s[j].turn);
            later.iter().enumerate().map(|(d, &j)| gamma.powi(d as i32) * f64::from(s[j].reward)).sum()
        };
        let normalize = |x: f64, members: &[f64]| reference_advantage(x, members, eps, !mean_std);
        (0..n)
            .map(|i| {
                let mut totals = Vec::new();
                let mut seen = Vec::new();
                for j in 0..n {
                    if same_scope(i, j) && !seen.contains(&s[j].episode) {
                        seen.push(s[j].episode);
                        totals.push(total_of(j));
                    }
                }
                let episode_term = normalize(total_of(i), &totals);
                let step_term = match &s[i].anchor {
                    None => 0.0,
                    Some(anchor) => {
                        let members: Vec<f64> = (0..n)
                            .filter(|&j| same_scope(i, j) && s[j].anchor.as_ref() == Some(anchor))
                            .map(step_return)
                            .collect();
                        if members.len() < 2 { 0.0 } else { normalize(step_return(i), &members) }
                    }
                };
                episode_term + omega * step_term
            })
            .collect()
    }

    #[test]
    fn matches_reference_loop_in_both_modes_and_groupings() {
        for seed in 0..200 {
            let batch = random_batch(seed);
            for (mean_std, agent_wise, gamma, omega) in
                [(false, false, 0.95, 1.0), (true, false, 0.95, 1.0), (false, true, 0.9, 0.5), (true, true, 1.0, 2.0)]
            {
                let options = EstimatorOptions {
                    gigpo_mean_std: mean_std,
                    gigpo_agent_wise: agent_wise,
                    gigpo_gamma: gamma as f32,
                    gigpo_omega: omega as f32,
                    ..Default::default()
                };
                assert_close(&gigpo(&batch, &options).values, &reference(&batch, 1e-6, mean_std, gamma, omega, agent_wise));
            }
        }
    }
}
