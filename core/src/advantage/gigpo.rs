//! GiGPO (group-in-group): an episode term plus a step term from anchor-state step groups.
//!
//! Here a sample's reward is its *step* reward r_t.
//! ```text
//! R_i = Σ_t r_t                                    episode i's total
//! A^E_i = (R_i − mean_j R_j) / F                   over the group's episodes; F = σ + ε in
//!                                                  mean_std mode, 1 in mean mode (the default)
//! R_t = Σ_{k ≥ t} γ^{k−t} r_k                      step return inside the episode (γ = 0.95)
//! step group = the group's samples whose anchor state s is identical
//! A^S = (R_t − mean over the step group) / F
//! A = A^E + ω · A^S                                (ω = 1)
//! ```
//! A singleton episode group passes R_i through (μ := 0, σ := 1); a singleton step group (or a
//! sample without anchor) gives A^S = 0; an all-equal key gives 0.
//!
//! With agent-wise grouping (`gigpo_agent_wise`), as Dr. MAS's code computes it (REFERENCE.md
//! §8 (a)–(d)): (a) every sample carries its whole episode's total R_i (all agents' step
//! rewards); (b) the episode term's statistics run over every *sample* of the key (group,
//! agent), so an agent acting three times in an episode puts R_i in three times; (c) step
//! returns run over the whole episode's steps in turn order (all agents); (d) step groups are
//! keyed (group, agent, anchor). With `gigpo_own_steps` as well, each agent's own part of the
//! episode is its episode instead: R_i is the agent's own total (one value per episode in the
//! statistics), and step returns run over the agent's own steps only.

use std::collections::BTreeMap;

use super::common::{Advantages, EstimatorOptions, KeyStats, LedgerEntry};
use crate::rollout::Batch;

/// How GiGPO groups, from its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// One key per group.
    Global,
    /// Keys per (group, agent), episodes whole: Dr. MAS's code.
    DrMas,
    /// Keys per (group, agent), each agent's own part of the episode as its episode.
    OwnSteps,
}

impl Reading {
    fn of(options: &EstimatorOptions) -> Self {
        match (options.gigpo_agent_wise, options.gigpo_own_steps) {
            (false, _) => Reading::Global,
            (true, false) => Reading::DrMas,
            (true, true) => Reading::OwnSteps,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Reading::Global => "global keys",
            Reading::DrMas => "agent-wise keys as Dr. MAS's code: whole-episode totals, one per agent step",
            Reading::OwnSteps => "agent-wise keys, own steps: the agent's own total and step returns, one per episode",
        }
    }
}

/// The group, and the agent where the reading keys per agent.
type Scope = (u32, Option<u32>);

/// GiGPO advantages and their ledger.
pub fn gigpo(batch: &Batch, options: &EstimatorOptions) -> Advantages {
    gigpo_with(batch, options, true)
}

/// [`gigpo`], with each ledger entry's note written out only if `notes` (formatting them is most
/// of the cost on a large batch whose ledger nobody reads).
pub(crate) fn gigpo_with(batch: &Batch, options: &EstimatorOptions, notes: bool) -> Advantages {
    let samples = &batch.samples;
    let gamma = f64::from(options.gigpo_gamma);
    let omega = f64::from(options.gigpo_omega);
    let reading = Reading::of(options);
    // mean mode: F = 1 (KeyStats in mean_only mode), mean_std: F = σ + ε.
    let mode = EstimatorOptions { mean_only: !options.gigpo_mean_std, ..*options };
    let agent_if = |on: bool, i: usize| on.then_some(samples[i].agent);
    // Whose steps make an episode (totals, step returns), and whose statistics a sample joins.
    let part = |i: usize| -> Scope { (samples[i].group, agent_if(reading == Reading::OwnSteps, i)) };
    let key = |i: usize| -> Scope { (samples[i].group, agent_if(reading != Reading::Global, i)) };
    let scope_name = |(g, a): Scope| match a {
        Some(a) => format!("g{g}/a{a}"),
        None => format!("g{g}"),
    };
    // Episodes (or an agent's part of one): totals and step returns in turn order.
    let mut episodes: BTreeMap<(Scope, u32), Vec<usize>> = BTreeMap::new();
    for (i, sample) in samples.iter().enumerate() {
        episodes.entry((part(i), sample.episode)).or_default().push(i);
    }
    let mut step_return = vec![0.0f64; samples.len()];
    let mut episode_total: BTreeMap<(Scope, u32), f64> = BTreeMap::new();
    for (id, indices) in episodes.iter_mut() {
        indices.sort_by_key(|&i| samples[i].turn);
        let mut acc = 0.0;
        for &i in indices.iter().rev() {
            acc = f64::from(samples[i].reward) + gamma * acc;
            step_return[i] = acc;
        }
        episode_total.insert(*id, indices.iter().map(|&i| f64::from(samples[i].reward)).sum());
    }
    let total_of = |i: usize| episode_total[&(part(i), samples[i].episode)];
    // Episode term: one value per episode of the key, or (Dr. MAS) one per sample of the key.
    let mut members: BTreeMap<Scope, Vec<f64>> = BTreeMap::new();
    if reading == Reading::DrMas {
        for i in 0..samples.len() {
            members.entry(key(i)).or_default().push(total_of(i));
        }
    } else {
        for ((scope, _), total) in &episode_total {
            members.entry(*scope).or_default().push(*total);
        }
    }
    let episode_stats: BTreeMap<_, _> = members.iter().map(|(k, v)| (*k, KeyStats::of(v))).collect();
    // Step term: statistics over each anchor's step returns within the key.
    let mut step_groups: BTreeMap<(Scope, &str), Vec<f64>> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        if let Some(anchor) = &s.anchor {
            step_groups.entry((key(i), anchor.as_str())).or_default().push(step_return[i]);
        }
    }
    let step_stats: BTreeMap<_, _> = step_groups.iter().map(|(k, v)| (*k, KeyStats::of(v))).collect();
    let mut out = Advantages::default();
    for (i, s) in samples.iter().enumerate() {
        let sc = key(i);
        let total = total_of(i);
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
            note: notes.then(|| format!(
                "{}: A^E = {episode_term:.4} (R_i = {total:.4}, episode μ {:.4}, σ {:.4} over {}) + ω {omega} × A^S = {step_term:.4}",
                reading.describe(),
                es.mean,
                es.std,
                es.size
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

    /// Agent-wise GiGPO as Dr. MAS's code computes it, from REFERENCE.md §8 (a)–(d): every
    /// sample carries its whole episode's total; the episode statistics of (group, agent) run
    /// over one value per sample; step returns run over the whole episode; step groups are
    /// (group, agent, anchor).
    fn reference_dr_mas(batch: &Batch, eps: f64, mean_std: bool, gamma: f64, omega: f64) -> Vec<f64> {
        let s = &batch.samples;
        let n = s.len();
        let same_episode = |i: usize, j: usize| s[i].group == s[j].group && s[i].episode == s[j].episode;
        let total_of = |i: usize| -> f64 { (0..n).filter(|&j| same_episode(i, j)).map(|j| f64::from(s[j].reward)).sum() };
        let step_return = |i: usize| -> f64 {
            let mut later: Vec<usize> = (0..n).filter(|&j| same_episode(i, j) && s[j].turn >= s[i].turn).collect();
            later.sort_by_key(|&j| s[j].turn);
            later.iter().enumerate().map(|(d, &j)| gamma.powi(d as i32) * f64::from(s[j].reward)).sum()
        };
        let normalize = |x: f64, members: &[f64]| reference_advantage(x, members, eps, !mean_std);
        (0..n)
            .map(|i| {
                let same_key = |j: usize| s[j].group == s[i].group && s[j].agent == s[i].agent;
                let totals: Vec<f64> = (0..n).filter(|&j| same_key(j)).map(total_of).collect();
                let episode_term = normalize(total_of(i), &totals);
                let step_term = match &s[i].anchor {
                    None => 0.0,
                    Some(anchor) => {
                        let members: Vec<f64> =
                            (0..n).filter(|&j| same_key(j) && s[j].anchor.as_ref() == Some(anchor)).map(step_return).collect();
                        if members.len() < 2 { 0.0 } else { normalize(step_return(i), &members) }
                    }
                };
                episode_term + omega * step_term
            })
            .collect()
    }

    fn options(mean_std: bool, agent_wise: bool, own_steps: bool, gamma: f64, omega: f64) -> EstimatorOptions {
        EstimatorOptions {
            gigpo_mean_std: mean_std,
            gigpo_agent_wise: agent_wise,
            gigpo_own_steps: own_steps,
            gigpo_gamma: gamma as f32,
            gigpo_omega: omega as f32,
            ..Default::default()
        }
    }

    const CASES: [(bool, f64, f64); 4] = [(false, 0.95, 1.0), (true, 0.95, 1.0), (false, 0.9, 0.5), (true, 1.0, 2.0)];

    /// Global keys, and agent-wise keys with each agent's own part of the episode.
    #[test]
    fn global_and_own_steps_match_their_reference_loop() {
        for seed in 0..200 {
            let batch = random_batch(seed);
            for (mean_std, gamma, omega) in CASES {
                let global = gigpo(&batch, &options(mean_std, false, false, gamma, omega));
                assert_close(&global.values, &reference(&batch, 1e-6, mean_std, gamma, omega, false));
                // Own steps is a reading of agent-wise keys only; without them it changes nothing.
                assert_eq!(gigpo(&batch, &options(mean_std, false, true, gamma, omega)), global);
                let own = gigpo(&batch, &options(mean_std, true, true, gamma, omega)).values;
                assert_close(&own, &reference(&batch, 1e-6, mean_std, gamma, omega, true));
            }
        }
    }

    /// Agents act 0 to 5 times per episode in the random batches, so every difference between
    /// the readings (repeated totals, whole-episode returns) is exercised.
    #[test]
    fn agent_wise_matches_dr_mas_reference_loop() {
        let mut differs = 0;
        for seed in 0..200 {
            let batch = random_batch(seed);
            for (mean_std, gamma, omega) in CASES {
                let got = gigpo(&batch, &options(mean_std, true, false, gamma, omega)).values;
                assert_close(&got, &reference_dr_mas(&batch, 1e-6, mean_std, gamma, omega));
                let own = reference(&batch, 1e-6, mean_std, gamma, omega, true);
                differs += usize::from(got.iter().zip(&own).any(|(a, b)| (f64::from(*a) - b).abs() > 1e-3));
            }
        }
        assert!(differs > 400, "the two agent-wise readings differ on most random batches ({differs} of 800)");
    }

    #[test]
    fn ledger_names_the_reading() {
        let batch = random_batch(7);
        let note = |o| gigpo(&batch, &o).ledger[0].note.clone().expect("note");
        assert!(note(options(false, true, false, 0.95, 1.0)).contains("Dr. MAS"));
        assert!(note(options(false, true, true, 0.95, 1.0)).contains("own steps"));
        assert!(note(options(false, false, false, 0.95, 1.0)).contains("global keys"));
    }
}
