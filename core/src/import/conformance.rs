//! The conformance check: which reference estimator a framework's logged advantages match,
//! or which known normalisation bug they show.
//!
//! A file's advantages `a` match a candidate `c` when every sample has
//! `|a − c| ≤ ATOL + RTOL · |c|` (float32 logs, any summation order). Candidates are tried in
//! order:
//!
//! 1. **Reference estimators**, each batch estimator of the lab in its default semantics and its
//!    named variants: mean-only (Dr. GRPO), ε ∈ {0, 1e-8, 1e-5, 1e-4} besides 1e-6, RLOO's
//!    scopes and DrMAS's first-sample rule, MARS's mean mode and padded unique values, GiGPO's
//!    mean_std mode and agent-wise readings. A match is a pass.
//! 2. **Known deviations** (each one a bug reported against a real framework), derived from the
//!    reference estimators that normalise by key (global GRPO, agent-wise, global step level,
//!    trajectory level per agent):
//!    - batch-wide normalisation: the statistics over the whole batch, not per group (with groups
//!      of uneven size, three identical rewards no longer get 0);
//!    - double normalisation: the reference's advantages normalised again over the batch;
//!    - per-turn rewards replaced by the final turn's (every sample of an episode scored with the
//!      reward of its last turn);
//!    - a singleton key given 0 instead of its raw reward;
//!    - population (n) instead of sample (n − 1) std;
//!    - ε inside the square root, (r − μ)/√(σ² + ε);
//!    - all-zero advantages;
//!    - with an expectation (`expect`): the std division missing, or applied where mean-only was
//!      asked for (a "don't divide by std" switch ignored).
//! 3. Otherwise **unrecognised**: the reference estimator closest to the file (the most samples
//!    matched), the first group where they differ, and its differing samples.

use serde::{Deserialize, Serialize};

use crate::advantage::{Advantages, EstimatorOptions, RlooScope};
use crate::estimator::Estimator;
use crate::rollout::Batch;

/// Absolute tolerance of a match.
pub const ATOL: f32 = 1e-4;
/// Relative tolerance of a match.
pub const RTOL: f32 = 1e-3;

/// The batch estimators (no game needed), in the order a match is reported.
pub const BATCH_ESTIMATORS: [Estimator; 7] = [
    Estimator::GrpoGlobal,
    Estimator::AgentWise,
    Estimator::GlobalStep,
    Estimator::TrajectoryPerAgent,
    Estimator::Rloo,
    Estimator::Mars,
    Estimator::Gigpo,
];

/// The estimators that normalise by key with the shared rule (the deviations derive from them).
const KEYED: [Estimator; 4] = [Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::GlobalStep, Estimator::TrajectoryPerAgent];

/// A reference candidate: an estimator with options, and the variant's name (None: default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The estimator's CLI name.
    pub estimator: Estimator,
    /// The named variant, or None for the default semantics.
    pub variant: Option<String>,
    /// The options it ran with.
    pub options: EstimatorOptions,
}

impl Reference {
    fn new(estimator: Estimator, variant: Option<String>, options: EstimatorOptions) -> Self {
        Self { estimator, variant, options }
    }

    /// `agent-wise`, or `agent-wise (mean-only)`.
    pub fn describe(&self) -> String {
        match &self.variant {
            Some(v) => format!("{} ({v})", self.estimator.name()),
            None => self.estimator.name().to_string(),
        }
    }

    /// Its advantages on `batch` (the ledger without notes).
    pub fn compute(&self, batch: &Batch) -> Advantages {
        // The batch estimators need no game, so they cannot fail.
        self.estimator.compute_without_notes(batch, &self.options).unwrap_or_default()
    }
}

/// Every reference candidate: each batch estimator in its default semantics, then its variants.
pub fn references() -> Vec<Reference> {
    let base = EstimatorOptions::default();
    let mut out = Vec::new();
    for estimator in BATCH_ESTIMATORS {
        out.push(Reference::new(estimator, None, base));
    }
    let eps_variants = [0.0f32, 1e-8, 1e-5, 1e-4];
    for estimator in KEYED {
        out.push(Reference::new(estimator, Some("mean-only".into()), EstimatorOptions { mean_only: true, ..base }));
        for eps in eps_variants {
            out.push(Reference::new(estimator, Some(eps_name(eps)), EstimatorOptions { eps, ..base }));
        }
    }
    for (scope, name) in [(RlooScope::Agent, "scope agent"), (RlooScope::Group, "scope group")] {
        out.push(Reference::new(Estimator::Rloo, Some(name.into()), EstimatorOptions { rloo_scope: scope, ..base }));
    }
    out.push(Reference::new(Estimator::Rloo, Some("first sample (DrMAS code)".into()), EstimatorOptions { rloo_first_sample: true, ..base }));
    out.push(Reference::new(Estimator::Mars, Some("mean mode".into()), EstimatorOptions { mean_only: true, ..base }));
    out.push(Reference::new(Estimator::Mars, Some("padded unique (code)".into()), EstimatorOptions { mars_padded_unique: true, ..base }));
    out.push(Reference::new(Estimator::Mars, Some("mean mode, padded unique (code)".into()), EstimatorOptions { mean_only: true, mars_padded_unique: true, ..base }));
    for (mean_std, agent_wise, own, name) in [
        (true, false, false, "mean_std"),
        (false, true, false, "agent-wise (Dr. MAS code)"),
        (false, true, true, "agent-wise, own steps"),
        (true, true, false, "mean_std, agent-wise (Dr. MAS code)"),
        (true, true, true, "mean_std, agent-wise, own steps"),
    ] {
        out.push(Reference::new(
            Estimator::Gigpo,
            Some(name.into()),
            EstimatorOptions { gigpo_mean_std: mean_std, gigpo_agent_wise: agent_wise, gigpo_own_steps: own, ..base },
        ));
    }
    for eps in eps_variants {
        out.push(Reference::new(Estimator::Mars, Some(eps_name(eps)), EstimatorOptions { eps, ..base }));
    }
    out
}

fn eps_name(eps: f32) -> String {
    if eps == 0.0 { "ε = 0".into() } else { format!("ε = {eps:e}") }
}

/// A known deviation from the reference semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deviation {
    /// Statistics over the whole batch instead of per group.
    BatchWide,
    /// The reference's advantages normalised a second time over the batch.
    DoubleNormalised,
    /// Every sample scored with its episode's final-turn reward.
    FinalTurnReward,
    /// A singleton key given 0 instead of its raw reward.
    SingletonZero,
    /// Population (n) instead of sample (n − 1) std.
    PopulationStd,
    /// ε inside the square root: (r − μ)/√(σ² + ε).
    EpsInsideSqrt,
    /// Every advantage 0.
    AllZero,
    /// The std division missing where it was expected.
    StdMissing,
    /// The std division applied where mean-only was expected.
    StdNotSkipped,
}

impl Deviation {
    /// What the deviation is, in a sentence.
    pub fn explain(self) -> &'static str {
        match self {
            Deviation::BatchWide => "the statistics run over the whole batch instead of each group: with groups of uneven size or different means, samples are centred on other groups' rewards (three identical rewards no longer get 0)",
            Deviation::DoubleNormalised => "the advantages were normalised twice: the reference's values normalised again over the whole batch",
            Deviation::FinalTurnReward => "per-turn rewards were overwritten by the final turn's: every sample of an episode is scored with its last turn's reward",
            Deviation::SingletonZero => "a key with one member got 0; the reference convention (μ := 0, σ := 1) gives it its raw reward",
            Deviation::PopulationStd => "the std is the population std (divided by n), not the sample std (n − 1)",
            Deviation::EpsInsideSqrt => "ε sits inside the square root, (r − μ)/√(σ² + ε), not (r − μ)/(σ + ε)",
            Deviation::AllZero => "every advantage is 0: nothing is learned from this batch (often a key that makes every group a singleton of equal rewards, or rewards attached to the wrong field)",
            Deviation::StdMissing => "the division by the std is missing: the advantages are the mean-only ones, but the expected estimator divides by σ + ε",
            Deviation::StdNotSkipped => "a \"don't divide by std\" setting was ignored: mean-only was expected, the advantages are divided by σ + ε",
        }
    }
}

/// A sample where the file and a reference differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Differing {
    /// Index of the sample in its step's batch.
    pub index: usize,
    /// Its line in the file (0 until the import names it).
    pub line: u32,
    /// Its group, episode and agent, by their names in the file (ids until the import names
    /// them).
    pub group: String,
    /// Its episode.
    pub episode: String,
    /// Its agent.
    pub agent: String,
    /// Its turn.
    pub turn: u32,
    /// Its reward.
    pub reward: f32,
    /// The file's advantage.
    pub file: f32,
    /// The reference's.
    pub reference: f32,
}

/// The check's outcome on one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The file has no advantages to check.
    NoAdvantages,
    /// The advantages match a reference estimator.
    Matches {
        /// The first matching reference.
        reference: Reference,
        /// Other references that match too (they agree on this batch).
        also: Vec<String>,
        /// The largest |file − reference|.
        max_error: f32,
    },
    /// The advantages show a known deviation from `reference`.
    Deviates {
        /// Which bug.
        deviation: Deviation,
        /// The reference estimator the file deviates from.
        reference: Reference,
        /// The first group (its index in the batch) where the file and the reference differ.
        first_group: Option<u32>,
        /// That group's differing samples.
        differing: Vec<Differing>,
        /// Samples that differ in the whole batch.
        differing_total: usize,
    },
    /// Neither a reference nor a known deviation.
    Unrecognised {
        /// The reference closest to the file (the most samples within tolerance).
        closest: Reference,
        /// Samples within tolerance of it.
        matched: usize,
        /// The first group where the file and the closest reference differ.
        first_group: Option<u32>,
        /// That group's differing samples.
        differing: Vec<Differing>,
        /// Samples that differ in the whole batch.
        differing_total: usize,
    },
}

impl Verdict {
    /// The differing samples it lists.
    pub fn differing_mut(&mut self) -> Option<&mut Vec<Differing>> {
        match self {
            Verdict::Deviates { differing, .. } | Verdict::Unrecognised { differing, .. } => Some(differing),
            _ => None,
        }
    }

    /// The first group where the file and the reference differ (its id in the batch).
    pub fn first_group(&self) -> Option<u32> {
        match self {
            Verdict::Deviates { first_group, .. } | Verdict::Unrecognised { first_group, .. } => *first_group,
            _ => None,
        }
    }

    /// A pass: the advantages match a reference, or there are none.
    pub fn passes(&self) -> bool {
        matches!(self, Verdict::NoAdvantages | Verdict::Matches { .. })
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        match self {
            Verdict::NoAdvantages => "the file has no advantages to check".into(),
            Verdict::Matches { reference, also, max_error } => {
                // The other estimators that agree on this batch (their variants counted, not listed).
                let mut others: Vec<&str> = Vec::new();
                for name in also.iter().map(|a| a.split(" (").next().unwrap_or(a)) {
                    if name != reference.estimator.name() && !others.contains(&name) {
                        others.push(name);
                    }
                }
                let also = match (others.is_empty(), also.len()) {
                    (_, 0) => String::new(),
                    (true, n) => format!("; {n} of its variants agree on this batch"),
                    (false, n) => format!("; {n} other readings agree on this batch, among them {}", others.join(", ")),
                };
                format!("the advantages match {} (largest difference {max_error:.2e}){also}", reference.describe())
            }
            Verdict::Deviates { deviation, reference, differing_total, .. } => format!(
                "deviation from {}: {} ({differing_total} samples differ)",
                reference.describe(),
                deviation.explain()
            ),
            Verdict::Unrecognised { closest, matched, differing_total, .. } => format!(
                "the advantages match no reference estimator and no known deviation; closest: {} ({matched} samples agree, {differing_total} differ)",
                closest.describe()
            ),
        }
    }
}

fn close(file: f32, reference: f32) -> bool {
    (file - reference).abs() <= ATOL + RTOL * reference.abs()
}

fn all_close(file: &[f32], reference: &[f32]) -> bool {
    file.len() == reference.len() && file.iter().zip(reference).all(|(a, b)| close(*a, *b))
}

fn max_error(file: &[f32], reference: &[f32]) -> f32 {
    file.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
}

/// The first group (in sample order) with a differing sample, its differing samples, and the
/// count over the batch.
fn differences(batch: &Batch, file: &[f32], reference: &[f32]) -> (Option<u32>, Vec<Differing>, usize) {
    let differs: Vec<usize> = (0..file.len()).filter(|&i| !close(file[i], reference[i])).collect();
    let first_group = differs.first().map(|&i| batch.samples[i].group);
    let in_group = differs
        .iter()
        .filter(|&&i| Some(batch.samples[i].group) == first_group)
        .take(64)
        .map(|&i| {
            let s = &batch.samples[i];
            Differing {
                index: i,
                line: 0,
                group: s.group.to_string(),
                episode: s.episode.to_string(),
                agent: s.agent.to_string(),
                turn: s.turn,
                reward: s.reward,
                file: file[i],
                reference: reference[i],
            }
        })
        .collect();
    (first_group, in_group, differs.len())
}

/// The batch with every group merged into one.
fn merged(batch: &Batch) -> Batch {
    let mut merged = batch.clone();
    for s in &mut merged.samples {
        s.group = 0;
    }
    merged
}

/// The batch with each sample's reward replaced by its episode's final-turn reward.
fn final_turn_rewards(batch: &Batch) -> Batch {
    let mut last: std::collections::HashMap<(u32, u32), (u32, f32)> = std::collections::HashMap::new();
    for s in &batch.samples {
        let entry = last.entry((s.group, s.episode)).or_insert((s.turn, s.reward));
        if s.turn >= entry.0 {
            *entry = (s.turn, s.reward);
        }
    }
    let mut out = batch.clone();
    for s in &mut out.samples {
        s.reward = last[&(s.group, s.episode)].1;
    }
    out
}

/// `values` normalised over the whole batch: (v − mean)/(std + ε), sample std.
fn whitened(values: &[f32], eps: f32) -> Vec<f32> {
    let n = values.len() as f64;
    if values.len() < 2 {
        return values.to_vec();
    }
    let mean = values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let std = (values.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    values.iter().map(|v| ((f64::from(*v) - mean) / (std + f64::from(eps))) as f32).collect()
}

/// Recomputes a keyed estimator's advantages from its ledger with another rule.
fn from_ledger(advantages: &Advantages, rule: impl Fn(f64, f64, f64, u32) -> f64) -> Vec<f32> {
    advantages
        .ledger
        .iter()
        .map(|e| {
            if e.key_size < 2 || e.std == 0.0 {
                e.advantage
            } else {
                rule(f64::from(e.value), f64::from(e.mean), f64::from(e.std), e.key_size) as f32
            }
        })
        .collect()
}

/// The deviations of one keyed reference, each with the advantages it would give.
fn deviations_of(reference: &Reference, batch: &Batch, advantages: &Advantages) -> Vec<(Deviation, Vec<f32>)> {
    let eps = f64::from(reference.options.eps);
    let mut out = Vec::new();
    if batch.samples.iter().any(|s| s.group != batch.samples[0].group) {
        out.push((Deviation::BatchWide, reference.compute(&merged(batch)).values));
    }
    out.push((Deviation::DoubleNormalised, whitened(&advantages.values, reference.options.eps)));
    let finals = final_turn_rewards(batch);
    if finals.samples.iter().zip(&batch.samples).any(|(a, b)| a.reward != b.reward) {
        out.push((Deviation::FinalTurnReward, reference.compute(&finals).values));
    }
    out.push((
        Deviation::SingletonZero,
        advantages.ledger.iter().map(|e| if e.key_size == 1 { 0.0 } else { e.advantage }).collect(),
    ));
    if !reference.options.mean_only {
        out.push((
            Deviation::PopulationStd,
            from_ledger(advantages, |v, m, s, n| (v - m) / (s * ((f64::from(n) - 1.0) / f64::from(n)).sqrt() + eps)),
        ));
        out.push((Deviation::EpsInsideSqrt, from_ledger(advantages, |v, m, s, _| (v - m) / (s * s + eps).sqrt())));
    }
    out
}

/// Checks the file's advantages `file` (one per sample of `batch`) against the references and
/// the known deviations; `expect`, where given, is the estimator the framework was set up to
/// compute (a match of another one is then a deviation where it is a known one).
pub fn check(batch: &Batch, file: Option<&[f32]>, expect: Option<&Reference>) -> Verdict {
    check_with_hint(batch, file, expect, None)
}

/// A keyed estimator's advantages under other ε or mean-only, from its default run's ledger
/// (the value, μ and σ of each sample's key), without running it again; the edge conventions
/// stay (a singleton keeps μ := 0, σ := 1; all members equal give 0).
fn derived(default: &Advantages, options: &EstimatorOptions) -> Advantages {
    let mut out = default.clone();
    let eps = f64::from(options.eps);
    for (value, entry) in out.values.iter_mut().zip(out.ledger.iter_mut()) {
        if entry.key_size >= 2 && entry.std == 0.0 {
            continue;
        }
        let centred = f64::from(entry.value) - f64::from(entry.mean);
        let a = if options.mean_only { centred } else { centred / (f64::from(entry.std) + eps) };
        *value = a as f32;
        entry.advantage = a as f32;
    }
    out
}

/// [`check`], trying `hint` first: the verdict of the step before. A real framework's file
/// conforms, or deviates the same way, at every step, so a later step usually costs one
/// estimator's run; only a step that breaks the pattern runs every candidate (and a match then
/// reports no `also`, which the hinted run does not look for).
pub fn check_with_hint(batch: &Batch, file: Option<&[f32]>, expect: Option<&Reference>, hint: Option<&Verdict>) -> Verdict {
    let Some(file) = file else { return Verdict::NoAdvantages };
    match hint {
        Some(Verdict::Matches { reference, .. }) => {
            let values = reference.compute(batch).values;
            if all_close(file, &values) {
                return Verdict::Matches { reference: reference.clone(), also: Vec::new(), max_error: max_error(file, &values) };
            }
        }
        Some(Verdict::Deviates { deviation, reference, .. }) if KEYED.contains(&reference.estimator) => {
            let advantages = reference.compute(batch);
            if let Some((_, values)) = deviations_of(reference, batch, &advantages).into_iter().find(|(d, _)| d == deviation) {
                if all_close(file, &values) && !all_close(&values, &advantages.values) {
                    let (first_group, differing, differing_total) = differences(batch, file, &advantages.values);
                    return Verdict::Deviates { deviation: *deviation, reference: reference.clone(), first_group, differing, differing_total };
                }
            }
        }
        _ => {}
    }
    let references = references();
    let mut computed: Vec<(Reference, Advantages)> = Vec::with_capacity(references.len());
    for reference in references {
        let default = (KEYED.contains(&reference.estimator) && reference.variant.is_some())
            .then(|| computed.iter().find(|(r, _)| r.estimator == reference.estimator && r.variant.is_none()))
            .flatten();
        let advantages = match default {
            Some((_, default)) => derived(default, &reference.options),
            None => reference.compute(batch),
        };
        computed.push((reference, advantages));
    }
    let matching: Vec<usize> = (0..computed.len()).filter(|&i| all_close(file, &computed[i].1.values)).collect();
    if let Some(expect) = expect {
        let expected = expect.compute(batch);
        if all_close(file, &expected.values) {
            let also = matching.iter().map(|&i| computed[i].0.describe()).filter(|d| *d != expect.describe()).collect();
            return Verdict::Matches { reference: expect.clone(), also, max_error: max_error(file, &expected.values) };
        }
        // The std switch: the file matches the same estimator with the division flipped.
        let flipped = Reference::new(
            expect.estimator,
            None,
            EstimatorOptions { mean_only: !expect.options.mean_only, ..expect.options },
        );
        if all_close(file, &flipped.compute(batch).values) {
            let deviation = if expect.options.mean_only { Deviation::StdNotSkipped } else { Deviation::StdMissing };
            let (first_group, differing, differing_total) = differences(batch, file, &expected.values);
            return Verdict::Deviates { deviation, reference: expect.clone(), first_group, differing, differing_total };
        }
    } else if let Some(&first) = matching.first() {
        let (reference, advantages) = &computed[first];
        let also = matching[1..].iter().map(|&i| computed[i].0.describe()).collect();
        return Verdict::Matches { reference: reference.clone(), also, max_error: max_error(file, &advantages.values) };
    }
    let any_nonzero_reference = computed.iter().any(|(_, a)| a.values.iter().any(|v| !close(0.0, *v)));
    if file.iter().all(|v| close(*v, 0.0)) && any_nonzero_reference {
        let reference = expect.cloned().unwrap_or_else(|| computed[0].0.clone());
        let values = reference.compute(batch).values;
        let (first_group, differing, differing_total) = differences(batch, file, &values);
        return Verdict::Deviates { deviation: Deviation::AllZero, reference, first_group, differing, differing_total };
    }
    // The deviations derive from the expected estimator, or from each keyed one (default and
    // mean-only).
    let bases: Vec<(Reference, Advantages)> = match expect {
        Some(expect) => vec![(expect.clone(), expect.compute(batch))],
        None => computed
            .iter()
            .filter(|(r, _)| KEYED.contains(&r.estimator) && (r.variant.is_none() || r.options.mean_only))
            .cloned()
            .collect(),
    };
    for (reference, advantages) in &bases {
        if !KEYED.contains(&reference.estimator) {
            continue;
        }
        for (deviation, values) in deviations_of(reference, batch, advantages) {
            if all_close(file, &values) && !all_close(&values, &advantages.values) {
                let (first_group, differing, differing_total) = differences(batch, file, &advantages.values);
                return Verdict::Deviates { deviation, reference: reference.clone(), first_group, differing, differing_total };
            }
        }
    }
    let (closest, matched) = computed
        .iter()
        .map(|(r, a)| (r, file.iter().zip(&a.values).filter(|(x, y)| close(**x, **y)).count()))
        .fold(None::<(&Reference, usize)>, |best, (r, n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((r, n)),
        })
        .map(|(r, n)| (r.clone(), n))
        .unwrap_or_else(|| (computed[0].0.clone(), 0));
    let closest = expect.cloned().unwrap_or(closest);
    let values = closest.compute(batch).values;
    let matched = if expect.is_some() { file.iter().zip(&values).filter(|(x, y)| close(**x, **y)).count() } else { matched };
    let (first_group, differing, differing_total) = differences(batch, file, &values);
    Verdict::Unrecognised { closest, matched, first_group, differing, differing_total }
}
