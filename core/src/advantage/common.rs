//! What every estimator shares: its options, the ledger, the [`Advantages`] it returns, and the
//! one normalisation rule ([`normalize_by_key`]) with its edge conventions. A leaf of
//! `advantage`: each estimator's file imports it, it imports no estimator.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::rollout::Batch;

/// Which members RLOO's leave-one-out mean runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RlooScope {
    /// Episodes of a group, each with its mean reward R̄_i (trajectory level, as in RLOO).
    #[default]
    Episode,
    /// Samples of one agent in a group (agent-wise).
    Agent,
    /// All samples of a group (step level).
    Group,
}

/// Which action stands in for agent k in difference rewards' counterfactual G(z_{−k}).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceBaseline {
    /// The agent's default action.
    #[default]
    DefaultAction,
    /// The expectation under the agent's policy ("aristocrat utility").
    Expected,
}

/// Options of the estimators; each reads the fields that concern it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EstimatorOptions {
    /// ε in (x − μ) / (σ + ε).
    pub eps: f32,
    /// Mean-only variant (Dr. GRPO) of the group estimators; MARS's "mean" mode.
    pub mean_only: bool,
    /// RLOO's members.
    pub rloo_scope: RlooScope,
    /// MARS's discount γ over a player's turns.
    pub mars_gamma: f32,
    /// GiGPO's discount γ over steps.
    pub gigpo_gamma: f32,
    /// GiGPO's weight ω of the step term.
    pub gigpo_omega: f32,
    /// GiGPO's mean_std mode (divide by σ + ε); the reference default is mean mode.
    pub gigpo_mean_std: bool,
    /// GiGPO with agent-wise grouping: keys become (group, agent), computed as Dr. MAS's code
    /// does (whole-episode totals, one value per agent step).
    pub gigpo_agent_wise: bool,
    /// With `gigpo_agent_wise`: each agent's own part of the episode is its episode (its own
    /// total and step returns, one value per episode) instead of Dr. MAS's reading.
    pub gigpo_own_steps: bool,
    /// RLOO at episode scope as DrMAS's code: the first sample of each trajectory is its
    /// member, and every sample is scored with its own reward.
    pub rloo_first_sample: bool,
    /// MARS's unique values as its code takes them over the right-padded tensor: 0 joins a
    /// player's unique values when one of its rows is shorter than the batch's longest.
    pub mars_padded_unique: bool,
    /// Difference rewards' counterfactual.
    pub difference_baseline: DifferenceBaseline,
}

impl Default for EstimatorOptions {
    fn default() -> Self {
        Self {
            eps: 1e-6,
            mean_only: false,
            rloo_scope: RlooScope::Episode,
            mars_gamma: 1.0,
            gigpo_gamma: 0.95,
            gigpo_omega: 1.0,
            gigpo_mean_std: false,
            gigpo_agent_wise: false,
            gigpo_own_steps: false,
            rloo_first_sample: false,
            mars_padded_unique: false,
            difference_baseline: DifferenceBaseline::DefaultAction,
        }
    }
}

/// How one sample's advantage was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The key the sample's statistics were computed under, e.g. `g0/a2` or `g1`.
    pub key: String,
    /// Number of members of the key (samples, or episodes for trajectory-level estimators).
    pub key_size: u32,
    /// The key's mean μ as used (0 for a singleton key).
    pub mean: f32,
    /// The key's std σ as used (1 for a singleton key; unbiased).
    pub std: f32,
    /// The value that was normalised: the sample's reward, or its episode's mean reward.
    pub value: f32,
    /// The resulting advantage.
    pub advantage: f32,
    /// How the parts combine, where more than one key made the value (GiGPO, MARS, COMA …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Advantages of one estimator on one batch, with the ledger that explains them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Advantages {
    /// One advantage per sample, in sample order (`advantages` in JSON).
    #[serde(rename = "advantages")]
    pub values: Vec<f32>,
    /// One ledger entry per sample, in sample order.
    pub ledger: Vec<LedgerEntry>,
}

impl Advantages {
    /// The first `len` samples' advantages and ledger entries.
    pub fn prefix(&self, len: usize) -> Advantages {
        let len = len.min(self.values.len()).min(self.ledger.len());
        Advantages { values: self.values[..len].to_vec(), ledger: self.ledger[..len].to_vec() }
    }
}

/// Statistics of one key, after the edge conventions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KeyStats {
    pub size: usize,
    pub mean: f64,
    pub std: f64,
    /// All members equal (σ = 0, A = 0 exactly) — never set for a singleton.
    pub degenerate: bool,
}

impl KeyStats {
    /// Unbiased statistics of `values` with the singleton convention μ := 0, σ := 1.
    pub(crate) fn of(values: &[f64]) -> Self {
        let size = values.len();
        if size == 1 {
            return Self { size, mean: 0.0, std: 1.0, degenerate: false };
        }
        let mean = values.iter().sum::<f64>() / size as f64;
        let degenerate = values.iter().all(|v| *v == values[0]);
        let std = if degenerate {
            0.0
        } else {
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (size as f64 - 1.0)).sqrt()
        };
        Self { size, mean, std, degenerate }
    }

    /// The advantage of one member's value under these statistics.
    pub(crate) fn advantage(&self, value: f64, options: &EstimatorOptions) -> f64 {
        if self.degenerate {
            return 0.0;
        }
        let centred = value - self.mean;
        if options.mean_only {
            centred
        } else {
            centred / (self.std + f64::from(options.eps))
        }
    }
}

/// Each key's dense index (in order of first appearance) and the keys in that order.
pub(crate) fn dense_keys<K: Hash + Eq>(keys: &[K]) -> (Vec<usize>, Vec<&K>) {
    let mut index: HashMap<&K, usize> = HashMap::new();
    let mut order: Vec<&K> = Vec::new();
    let ids = keys
        .iter()
        .map(|key| {
            *index.entry(key).or_insert_with(|| {
                order.push(key);
                order.len() - 1
            })
        })
        .collect();
    (ids, order)
}

/// Each dense key's statistics over the values that carry it (in the values' order).
fn stats_by_id(ids: &[usize], keys: usize, values: &[f64]) -> Vec<KeyStats> {
    // The members of each key laid out one key after the other (a counting sort by id).
    let mut start = vec![0usize; keys + 1];
    for &id in ids {
        start[id + 1] += 1;
    }
    for k in 0..keys {
        start[k + 1] += start[k];
    }
    let mut next = start.clone();
    let mut members = vec![0.0f64; values.len()];
    for (&id, &value) in ids.iter().zip(values) {
        members[next[id]] = value;
        next[id] += 1;
    }
    (0..keys)
        .map(|k| KeyStats::of(&members[start[k]..start[k + 1]]))
        .collect()
}

/// Normalises `values[i]` within the key `keys[i]`; returns (advantage, stats) per item.
///
/// This is the one place where the group-relative rule and its edge conventions live.
pub(crate) fn normalize_by_key<K: Hash + Eq>(
    keys: &[K],
    values: &[f64],
    options: &EstimatorOptions,
) -> Vec<(f64, KeyStats)> {
    debug_assert_eq!(keys.len(), values.len());
    let (ids, order) = dense_keys(keys);
    let stats = stats_by_id(&ids, order.len(), values);
    ids.iter()
        .zip(values)
        .map(|(&id, value)| {
            let s = stats[id];
            (s.advantage(*value, options), s)
        })
        .collect()
}

/// Builds a ledger entry.
pub(crate) fn ledger_entry(key: String, stats: &KeyStats, value: f64, advantage: f64) -> LedgerEntry {
    LedgerEntry {
        key,
        key_size: stats.size as u32,
        mean: stats.mean as f32,
        std: stats.std as f32,
        value: value as f32,
        advantage: advantage as f32,
        note: None,
    }
}

/// Per-sample normalisation of `sample_values` under per-sample keys (the step-level estimators).
pub(crate) fn step_level<K: Hash + Eq>(
    batch: &Batch,
    key_of: impl Fn(&crate::rollout::Sample) -> K,
    key_name: impl Fn(&K) -> String,
    options: &EstimatorOptions,
) -> Advantages {
    let keys: Vec<K> = batch.samples.iter().map(&key_of).collect();
    let values: Vec<f64> = batch.samples.iter().map(|s| f64::from(s.reward)).collect();
    let (ids, order) = dense_keys(&keys);
    let stats = stats_by_id(&ids, order.len(), &values);
    // Each key's name is formatted once (a batch has few keys and many samples).
    let names: Vec<String> = order.iter().map(|k| key_name(k)).collect();
    let mut out = Advantages::default();
    out.values.reserve(values.len());
    out.ledger.reserve(values.len());
    for (&id, &value) in ids.iter().zip(&values) {
        let stats = &stats[id];
        let adv = stats.advantage(value, options);
        out.values.push(adv as f32);
        out.ledger
            .push(ledger_entry(names[id].clone(), stats, value, adv));
    }
    out
}

/// Trajectory-level normalisation: each episode (per `episode_key`) is one member with value
/// R̄ = the mean reward of its samples; members are normalised within `group_key`, and every
/// sample receives its episode's advantage.
pub(crate) fn trajectory_level<E: Ord + Clone, G: Hash + Eq>(
    batch: &Batch,
    episode_key: impl Fn(&crate::rollout::Sample) -> E,
    group_key: impl Fn(&E) -> G,
    key_name: impl Fn(&G) -> String,
    options: &EstimatorOptions,
) -> Advantages {
    let mut episodes: BTreeMap<E, (f64, usize)> = BTreeMap::new();
    for sample in &batch.samples {
        let entry = episodes.entry(episode_key(sample)).or_insert((0.0, 0));
        entry.0 += f64::from(sample.reward);
        entry.1 += 1;
    }
    let episode_keys: Vec<E> = episodes.keys().cloned().collect();
    let episode_means: Vec<f64> = episodes.values().map(|(sum, n)| sum / *n as f64).collect();
    let groups: Vec<G> = episode_keys.iter().map(&group_key).collect();
    let normalized = normalize_by_key(&groups, &episode_means, options);
    let per_episode: BTreeMap<E, (f64, f64, KeyStats, String)> = episode_keys
        .into_iter()
        .zip(episode_means)
        .zip(normalized)
        .zip(&groups)
        .map(|(((e, mean), (adv, stats)), g)| (e, (mean, adv, stats, key_name(g))))
        .collect();
    let mut out = Advantages::default();
    for sample in &batch.samples {
        let (value, adv, stats, key) = &per_episode[&episode_key(sample)];
        out.values.push(*adv as f32);
        out.ledger.push(ledger_entry(key.clone(), stats, *value, *adv));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singleton_key_passes_the_raw_value_through() {
        let s = KeyStats::of(&[3.5]);
        assert_eq!((s.mean, s.std), (0.0, 1.0));
        let opts = EstimatorOptions::default();
        assert!((s.advantage(3.5, &opts) - 3.5 / (1.0 + 1e-6)).abs() < 1e-12);
        let mean_only = EstimatorOptions { mean_only: true, ..opts };
        assert_eq!(s.advantage(3.5, &mean_only), 3.5);
    }

    #[test]
    fn zero_variance_key_gives_exact_zero() {
        let s = KeyStats::of(&[0.1, 0.1, 0.1]);
        assert_eq!(s.std, 0.0);
        assert_eq!(s.advantage(0.1, &EstimatorOptions::default()), 0.0);
    }

    #[test]
    fn std_is_unbiased() {
        let s = KeyStats::of(&[1.0, 2.0, 3.0, 4.0]);
        assert!((s.mean - 2.5).abs() < 1e-12);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
    }
}
