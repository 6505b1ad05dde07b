//! Your own run: a logged batch (or one per training step) from a real multi-agent RL training,
//! read from JSONL, JSON or CSV ([`parse`]), analysed per step — who acts how often, the reward
//! distributions per group and agent, every batch estimator's advantages with their ledger, the
//! predicted inflation per agent — and the framework's own advantages checked against the
//! reference semantics ([`conformance`]). Pure: the page's worker, the CLI's `inspect` and the
//! Python package share it.

pub mod conformance;
pub mod parse;
pub mod report;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::advantage::Advantages;
use crate::metrics::predicted_inflations;
use crate::rollout::{Batch, Sample};
pub use conformance::{check, Deviation, Differing, Reference, Verdict, BATCH_ESTIMATORS};
pub use parse::{parse, read_from, ImportError, ImportedRun, ImportedSample, Importer, Layout, LoggedNorm, ReadError, FIELDS};

/// Bins of the advantage histograms.
pub const HISTOGRAM_BINS: usize = 24;
/// Turns of the credit map (later turns are counted in the last column).
pub const CREDIT_TURNS: usize = 16;
/// Samples of a step kept with every estimator's ledger for the detail views (the page's ledger
/// shows them all; more made the page's message of a large file slow to decode).
pub const DETAIL_SAMPLES: usize = 60;
/// Groups of a step listed one by one.
pub const LISTED_GROUPS: usize = 200;

/// Mean, sample std and count of some values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    /// How many.
    pub count: usize,
    /// Their mean.
    pub mean: f32,
    /// Their sample std (0 for fewer than two).
    pub std: f32,
    /// The largest |value|.
    pub max_abs: f32,
}

impl Moments {
    /// The moments of `values`.
    pub fn of(values: impl IntoIterator<Item = f32>) -> Self {
        let (mut n, mut sum, mut sq, mut max_abs) = (0usize, 0.0f64, 0.0f64, 0.0f32);
        for v in values {
            n += 1;
            sum += f64::from(v);
            sq += f64::from(v) * f64::from(v);
            max_abs = max_abs.max(v.abs());
        }
        if n == 0 {
            return Self::default();
        }
        let mean = sum / n as f64;
        let var = if n > 1 { ((sq - n as f64 * mean * mean) / (n as f64 - 1.0)).max(0.0) } else { 0.0 };
        Self { count: n, mean: mean as f32, std: var.sqrt() as f32, max_abs }
    }
}

/// One agent in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    /// The agent's name in the file.
    pub agent: String,
    /// Its samples.
    pub samples: usize,
    /// Episodes it acts in, of the step's episodes.
    pub episodes_acting: usize,
    /// Its samples per episode it acts in.
    pub acts_per_episode: f32,
    /// Its rewards.
    pub reward: Moments,
    /// Its rewards in [`HISTOGRAM_BINS`] bins over the step's [`StepAnalysis::reward_range`].
    pub reward_histogram: Vec<u32>,
    /// Its response lengths, where the file gives them.
    pub tokens: Option<Moments>,
    /// Dr. MAS's predicted inflation (σ_k² + (μ_k − μ)²)/σ² under one global baseline, from this
    /// step's own statistics (None where no group has σ > 0 and two of its samples).
    pub predicted_inflation: Option<f32>,
    /// The gradient norm the file logs for it at this step.
    pub logged_grad_norm: Option<f32>,
    /// The file's advantages for it.
    pub file_advantage: Option<Moments>,
}

/// One group in one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group's name (prompt uid) in the file.
    pub group: String,
    /// Its episodes.
    pub episodes: usize,
    /// Per agent (in the step's agent order): its samples and their rewards.
    pub agents: Vec<Moments>,
}

/// One estimator on one step's batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatorSummary {
    /// Its CLI name.
    pub estimator: String,
    /// Its label.
    pub label: String,
    /// Per agent, its advantages.
    pub agents: Vec<Moments>,
    /// The histograms' range [lo, hi] (shared by the agents).
    pub range: [f32; 2],
    /// Per agent, [`HISTOGRAM_BINS`] counts.
    pub histograms: Vec<Vec<u32>>,
    /// The credit map: per agent, the mean advantage at turns 0..[`CREDIT_TURNS`] (None where
    /// the agent never acts at that turn; each row ends at the agent's last turn).
    pub credit: Vec<Vec<Option<f32>>>,
}

/// The first samples of a step with every estimator's advantages and ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// The samples as the estimators saw them (ids: the step's names below).
    pub samples: Vec<Sample>,
    /// Each sample's line in the file.
    pub lines: Vec<u32>,
    /// The file's advantages, where given.
    pub file: Option<Vec<f32>>,
    /// Per estimator (as in [`StepAnalysis::estimators`]), its advantages and ledger.
    pub estimators: Vec<Advantages>,
}

/// The analysis of one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepAnalysis {
    /// The training step.
    pub step: u32,
    /// Samples.
    pub samples: usize,
    /// Groups.
    pub groups: usize,
    /// Episodes.
    pub episodes: usize,
    /// Episodes per group: the smallest and the largest.
    pub group_sizes: [usize; 2],
    /// Per agent (in the file's agent order; agents absent at this step left out).
    pub agents: Vec<AgentSummary>,
    /// The reward histograms' range [lo, hi] (shared by the agents).
    pub reward_range: [f32; 2],
    /// The first [`LISTED_GROUPS`] groups (in [`analyse`], for the first step and the verdict's only).
    pub groups_listed: Vec<GroupSummary>,
    /// Every batch estimator.
    pub estimators: Vec<EstimatorSummary>,
    /// The conformance verdict of the file's advantages.
    pub verdict: Verdict,
}

/// The analysis of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// Samples in the file.
    pub samples: usize,
    /// The agents' names.
    pub agents: Vec<String>,
    /// Fields the format does not use.
    pub ignored_fields: Vec<String>,
    /// Whether the file gives advantages.
    pub has_advantages: bool,
    /// Whether the file gives response lengths.
    pub has_tokens: bool,
    /// Per step, in ascending order.
    pub steps: Vec<StepAnalysis>,
    /// The verdict over the file: the first step's that does not pass, else the first step's.
    pub verdict: Verdict,
    /// The step the verdict comes from.
    pub verdict_step: u32,
    /// The detail of [`Analysis::verdict_step`].
    pub detail: Detail,
}

impl Analysis {
    /// Whether the file passes the conformance check (the CLI's exit code).
    pub fn passes(&self) -> bool {
        self.verdict.passes()
    }
}

/// One step's batch, as the estimators take it: agents, groups and episodes numbered in the
/// file's order (agents across the file, groups and episodes within the step).
#[derive(Debug, Clone)]
pub struct StepBatch {
    /// The step.
    pub step: u32,
    /// The batch.
    pub batch: Batch,
    /// Per sample, its index in the file's samples.
    pub indices: Vec<usize>,
    /// The group names, by the batch's group ids.
    pub group_names: Vec<String>,
}

/// Splits the run into one batch per step, steps ascending.
pub fn step_batches(run: &ImportedRun) -> Vec<StepBatch> {
    let mut by_step: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, s) in run.samples.iter().enumerate() {
        by_step.entry(s.step).or_default().push(i);
    }
    by_step
        .into_iter()
        .map(|(step, indices)| {
            let mut groups: HashMap<u32, u32> = HashMap::new();
            let mut group_names = Vec::new();
            let mut episodes: HashMap<u32, u32> = HashMap::new();
            let samples = indices
                .iter()
                .map(|&i| {
                    let s = &run.samples[i];
                    let next = groups.len() as u32;
                    let group = *groups.entry(s.group).or_insert_with(|| {
                        group_names.push(run.groups.name(s.group).to_string());
                        next
                    });
                    let next = episodes.len() as u32;
                    let episode = *episodes.entry(s.episode).or_insert(next);
                    Sample {
                        group,
                        episode,
                        agent: s.agent,
                        turn: s.turn,
                        reward: s.reward,
                        anchor: s.anchor.map(|a| run.anchors.name(a).to_string()),
                        action: None,
                    }
                })
                .collect();
            StepBatch { step, batch: Batch { samples }, indices, group_names }
        })
        .collect()
}

/// [lo, hi] of the finite values (widened by ±0.5 when they are all equal).
fn value_range<'a>(values: impl Iterator<Item = &'a f32> + Clone) -> [f32; 2] {
    let finite = values.filter(|v| v.is_finite());
    let lo = finite.clone().fold(f32::INFINITY, |m, v| m.min(*v));
    let hi = finite.fold(f32::NEG_INFINITY, |m, v| m.max(*v));
    if lo.is_finite() && hi > lo {
        [lo, hi]
    } else if lo.is_finite() {
        [lo - 0.5, lo + 0.5]
    } else {
        [-1.0, 1.0]
    }
}

fn histogram(values: &[f32], [lo, hi]: [f32; 2]) -> Vec<u32> {
    let mut bins = vec![0u32; HISTOGRAM_BINS];
    let width = (hi - lo).max(f32::MIN_POSITIVE);
    for v in values {
        let b = (((v - lo) / width) * HISTOGRAM_BINS as f32).floor();
        bins[(b.max(0.0) as usize).min(HISTOGRAM_BINS - 1)] += 1;
    }
    bins
}

fn estimator_summary(reference: &Reference, batch: &Batch, advantages: &Advantages, agents: usize) -> EstimatorSummary {
    let mut per_agent: Vec<Vec<f32>> = vec![Vec::new(); agents];
    let mut credit_sum = vec![vec![(0.0f64, 0usize); CREDIT_TURNS]; agents];
    for (s, &a) in batch.samples.iter().zip(&advantages.values) {
        per_agent[s.agent as usize].push(a);
        let cell = &mut credit_sum[s.agent as usize][(s.turn as usize).min(CREDIT_TURNS - 1)];
        cell.0 += f64::from(a);
        cell.1 += 1;
    }
    let range = value_range(advantages.values.iter());
    EstimatorSummary {
        estimator: reference.estimator.name().to_string(),
        label: reference.estimator.label().to_string(),
        agents: per_agent.iter().map(|v| Moments::of(v.iter().copied())).collect(),
        range,
        histograms: per_agent.iter().map(|v| histogram(v, range)).collect(),
        // Each agent's row ends at its last turn (the page's message stays small).
        credit: credit_sum
            .into_iter()
            .map(|turns| {
                let mut row: Vec<Option<f32>> = turns.into_iter().map(|(sum, n)| (n > 0).then(|| (sum / n as f64) as f32)).collect();
                while row.last() == Some(&None) {
                    row.pop();
                }
                row
            })
            .collect(),
    }
}

/// Analyses one step; `expect` as in [`check`].
pub fn analyse_step(run: &ImportedRun, step: &StepBatch, expect: Option<&Reference>) -> StepAnalysis {
    analyse_step_with_hint(run, step, expect, None)
}

/// [`analyse_step`] with the step before's verdict as a hint ([`conformance::check_with_hint`]).
fn analyse_step_with_hint(run: &ImportedRun, step: &StepBatch, expect: Option<&Reference>, hint: Option<&Verdict>) -> StepAnalysis {
    let batch = &step.batch;
    let agents = run.agents.len();
    let file: Option<Vec<f32>> = step.indices.iter().map(|&i| run.samples[i].advantage).collect();
    let mut episodes_of_agent: Vec<std::collections::HashSet<u32>> = vec![Default::default(); agents];
    let mut rewards: Vec<Vec<f32>> = vec![Vec::new(); agents];
    let mut tokens: Vec<Vec<f32>> = vec![Vec::new(); agents];
    let mut file_adv: Vec<Vec<f32>> = vec![Vec::new(); agents];
    let mut episodes_in_group: HashMap<u32, std::collections::HashSet<u32>> = HashMap::new();
    for (k, s) in batch.samples.iter().enumerate() {
        let a = s.agent as usize;
        episodes_of_agent[a].insert(s.episode);
        rewards[a].push(s.reward);
        if let Some(t) = run.samples[step.indices[k]].tokens {
            tokens[a].push(t as f32);
        }
        if let Some(f) = &file {
            file_adv[a].push(f[k]);
        }
        episodes_in_group.entry(s.group).or_default().insert(s.episode);
    }
    let inflation = predicted_inflations(batch, agents);
    let episodes: usize = episodes_in_group.values().map(|e| e.len()).sum();
    let sizes = episodes_in_group.values().map(|e| e.len());
    let group_sizes = [sizes.clone().min().unwrap_or(0), sizes.max().unwrap_or(0)];
    let present: Vec<usize> = (0..agents).filter(|&a| !rewards[a].is_empty()).collect();
    let reward_range = value_range(rewards.iter().flatten());
    let agent_summaries = present
        .iter()
        .map(|&a| AgentSummary {
            agent: run.agents.name(a as u32).to_string(),
            samples: rewards[a].len(),
            episodes_acting: episodes_of_agent[a].len(),
            acts_per_episode: rewards[a].len() as f32 / episodes_of_agent[a].len().max(1) as f32,
            reward: Moments::of(rewards[a].iter().copied()),
            reward_histogram: histogram(&rewards[a], reward_range),
            tokens: (!tokens[a].is_empty()).then(|| Moments::of(tokens[a].iter().copied())),
            predicted_inflation: inflation[a],
            logged_grad_norm: run.norms.iter().rev().find(|n| n.step == step.step && n.agent as usize == a).map(|n| n.norm),
            file_advantage: file.as_ref().map(|_| Moments::of(file_adv[a].iter().copied())),
        })
        .collect();
    let mut listed: Vec<GroupSummary> = Vec::new();
    let mut group_rewards: Vec<Vec<Vec<f32>>> = Vec::new();
    for s in &batch.samples {
        let g = s.group as usize;
        if g >= LISTED_GROUPS {
            continue;
        }
        while group_rewards.len() <= g {
            group_rewards.push(vec![Vec::new(); present.len()]);
        }
        if let Some(p) = present.iter().position(|&a| a == s.agent as usize) {
            group_rewards[g][p].push(s.reward);
        }
    }
    for (g, per_agent) in group_rewards.iter().enumerate() {
        listed.push(GroupSummary {
            group: step.group_names[g].clone(),
            episodes: episodes_in_group.get(&(g as u32)).map_or(0, |e| e.len()),
            agents: per_agent.iter().map(|v| Moments::of(v.iter().copied())).collect(),
        });
    }
    let references: Vec<Reference> = BATCH_ESTIMATORS.iter().map(|&e| Reference { estimator: e, variant: None, options: Default::default() }).collect();
    let advantages: Vec<Advantages> = references.iter().map(|r| r.compute(batch)).collect();
    let estimators = references.iter().zip(&advantages).map(|(r, a)| estimator_summary(r, batch, a, agents)).collect();
    let mut verdict = conformance::check_with_hint(batch, file.as_deref(), expect, hint);
    if let Some(differing) = verdict.differing_mut() {
        for d in differing {
            let sample = &run.samples[step.indices[d.index]];
            d.line = sample.line;
            d.group = run.groups.name(sample.group).to_string();
            d.episode = run.episodes.name(sample.episode).to_string();
            d.agent = run.agents.name(sample.agent).to_string();
        }
    }
    StepAnalysis {
        step: step.step,
        samples: batch.len(),
        groups: episodes_in_group.len(),
        episodes,
        group_sizes,
        agents: agent_summaries,
        reward_range,
        groups_listed: listed,
        estimators,
        verdict,
    }
}

/// The first [`DETAIL_SAMPLES`] samples of `step` with every batch estimator's advantages and
/// ledger.
pub fn detail(run: &ImportedRun, step: &StepBatch) -> Detail {
    let batch = &step.batch;
    let keep = batch.len().min(DETAIL_SAMPLES);
    let file: Option<Vec<f32>> = step.indices[..keep].iter().map(|&i| run.samples[i].advantage).collect();
    Detail {
        samples: batch.samples[..keep].to_vec(),
        lines: step.indices[..keep].iter().map(|&i| run.samples[i].line).collect(),
        file,
        // Without GiGPO's and MARS's notes: no view shows them, and they were a quarter of it.
        estimators: BATCH_ESTIMATORS
            .iter()
            .map(|e| e.compute_without_notes(batch, &Default::default()).unwrap_or_default().prefix(keep))
            .collect(),
    }
}

/// Analyses every step of `run`; `progress(done, total)` is called after each step.
pub fn analyse(run: &ImportedRun, expect: Option<&Reference>, mut progress: impl FnMut(usize, usize)) -> Analysis {
    let steps = step_batches(run);
    let total = steps.len();
    let mut analyses: Vec<StepAnalysis> = Vec::with_capacity(total);
    // The verdict over the file: the first step that fails, else the first step.
    let mut chosen: Option<usize> = None;
    for (i, step) in steps.iter().enumerate() {
        let hint = analyses.last().map(|a| &a.verdict);
        let analysis = analyse_step_with_hint(run, step, expect, hint);
        if chosen.is_none() || (!analysis.verdict.passes() && chosen.is_some_and(|c| analyses[c].verdict.passes())) {
            chosen = Some(i);
        }
        analyses.push(analysis);
        progress(i + 1, total);
    }
    let chosen = chosen.unwrap_or(0);
    let (verdict_step, verdict) = analyses.get(chosen).map_or((0, Verdict::NoAdvantages), |a| (a.step, a.verdict.clone()));
    let detail = steps.get(chosen).map_or_else(|| Detail { samples: Vec::new(), lines: Vec::new(), file: None, estimators: Vec::new() }, |s| detail(run, s));
    // Groups are listed for the first step and the verdict's (a file of many steps stays small).
    for (i, analysis) in analyses.iter_mut().enumerate() {
        if i != 0 && i != chosen {
            analysis.groups_listed.clear();
        }
    }
    Analysis {
        samples: run.samples.len(),
        agents: run.agents.names.clone(),
        ignored_fields: run.ignored_fields.clone(),
        has_advantages: run.samples.first().is_some_and(|s| s.advantage.is_some()),
        has_tokens: run.samples.iter().any(|s| s.tokens.is_some()),
        steps: analyses,
        verdict,
        verdict_step,
        detail,
    }
}
