//! What the page's batch views show: one run's batch with its advantages and ledger
//! ([`BatchView`]), and every selected estimator applied to one frozen batch ([`SameBatch`]).
//!
//! Both are made from the batch the [`crate::Trainer`] trained on in its last update, and cut
//! to whole groups so that what is shown is exactly what the statistics were computed over.

use serde::{Deserialize, Serialize};

use crate::advantage::{Advantages, EstimatorOptions};
use crate::estimator::Estimator;
use crate::rollout::{Batch, Rollout, Sample};

/// The most samples a view carries by default (whole groups; the first group always).
pub const VIEW_SAMPLES: usize = 512;

/// One run's batch of one update, as trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchView {
    /// The update that trained on this batch (1-based).
    pub update: u32,
    /// The run's index in the reports.
    pub run: u32,
    /// The run's estimator.
    pub estimator: Estimator,
    /// The run's seed.
    pub seed: u64,
    /// Samples in the whole batch (`samples` may hold fewer: whole groups only).
    pub total_samples: u32,
    /// The samples shown, each credited with its agent's episode return.
    pub samples: Vec<Sample>,
    /// Per sample shown, its step reward (what MARS and GiGPO normalise).
    pub step_rewards: Vec<f32>,
    /// Per sample shown, the acting agent's grid cell (row, column); empty off the grid.
    pub cells: Vec<[u8; 2]>,
    /// Per sample shown, its advantage and ledger entry.
    pub advantages: Advantages,
    /// Language agents: per sample shown, the response as written; empty for the MLP games.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<ResponseView>,
}

/// One response of a language agent, as the token views show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseView {
    /// The prompt it read, as text.
    pub prompt: String,
    /// Its tokens, each as text (the end token ⏎ included where written).
    pub tokens: Vec<String>,
    /// Round (0-based).
    pub round: u32,
    /// The solver's answer is right / the verifier's verdict is.
    pub correct: bool,
}

/// One estimator's result on a frozen batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameBatchResult {
    /// The estimator.
    pub estimator: Estimator,
    /// Set where this is another reading of the estimator than the configured one (the
    /// reference code's variant, see [`Estimator::variants`]): its label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Its advantages and ledger for the samples shown, when it applies to the game.
    pub advantages: Option<Advantages>,
    /// Why it does not apply, otherwise.
    pub error: Option<String>,
}

/// Every selected estimator applied to one frozen batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameBatch {
    /// The update that trained on this batch (1-based).
    pub update: u32,
    /// The run whose batch it is.
    pub run: u32,
    /// The estimator that run trained with.
    pub collected_by: Estimator,
    /// The run's seed.
    pub seed: u64,
    /// Samples in the whole batch.
    pub total_samples: u32,
    /// The samples shown (whole groups).
    pub samples: Vec<Sample>,
    /// One result per selected estimator, in config order, each followed by its variants.
    pub results: Vec<SameBatchResult>,
}

/// The length of the longest prefix of `batch` made of whole groups with at most `max`
/// samples (at least the first group).
pub fn whole_groups(batch: &Batch, max: usize) -> usize {
    let samples = &batch.samples;
    let mut end = 0;
    while end < samples.len() {
        let group = samples[end].group;
        let next = end + samples[end..].iter().take_while(|s| s.group == group).count();
        if end > 0 && next > max {
            break;
        }
        end = next;
    }
    end
}

/// Which run a view is of: its index, estimator and seed, and the update that trained on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId {
    /// The update (1-based).
    pub update: u32,
    /// The run's index in the reports.
    pub run: u32,
    /// The run's estimator.
    pub estimator: Estimator,
    /// The run's seed.
    pub seed: u64,
}

impl BatchView {
    /// Run `id`'s batch `rollout` with its `advantages`, cut to whole groups of at most
    /// `max_samples` samples.
    pub fn of(id: RunId, rollout: &Rollout, advantages: &Advantages, max_samples: usize) -> BatchView {
        let keep = whole_groups(&rollout.batch, max_samples);
        BatchView {
            update: id.update,
            run: id.run,
            estimator: id.estimator,
            seed: id.seed,
            total_samples: rollout.batch.len() as u32,
            samples: rollout.batch.samples[..keep].to_vec(),
            step_rewards: rollout.step_rewards[..keep].to_vec(),
            cells: rollout.cells.get(..keep).map(<[_]>::to_vec).unwrap_or_default(),
            advantages: advantages.prefix(keep),
            responses: Vec::new(),
        }
    }
}

impl SameBatchResult {
    /// Its column label: the estimator's, or the variant's.
    pub fn label(&self) -> &str {
        self.variant.as_deref().unwrap_or(self.estimator.label())
    }
}

impl SameBatch {
    /// Every estimator's result (`estimate`) on run `id`'s frozen batch under `options`, each
    /// followed by its variants ([`Estimator::variants`]), the samples cut as in
    /// [`BatchView::of`] (the statistics use the whole batch).
    pub fn of(
        id: RunId,
        batch: &Batch,
        estimators: &[Estimator],
        options: &EstimatorOptions,
        max_samples: usize,
        estimate: impl Fn(Estimator, &EstimatorOptions) -> Result<Advantages, String>,
    ) -> SameBatch {
        let keep = whole_groups(batch, max_samples);
        let result = |estimator, variant: Option<&str>, options: &EstimatorOptions| {
            let variant = variant.map(str::to_string);
            match estimate(estimator, options) {
                Ok(a) => SameBatchResult { estimator, variant, advantages: Some(a.prefix(keep)), error: None },
                Err(error) => SameBatchResult { estimator, variant, advantages: None, error: Some(error) },
            }
        };
        let results = estimators
            .iter()
            .flat_map(|&estimator| {
                let variants = estimator.variants(options).into_iter().map(|(label, o)| result(estimator, Some(label), &o));
                std::iter::once(result(estimator, None, options)).chain(variants).collect::<Vec<_>>()
            })
            .collect();
        SameBatch {
            update: id.update,
            run: id.run,
            collected_by: id.estimator,
            seed: id.seed,
            total_samples: batch.len() as u32,
            samples: batch.samples[..keep].to_vec(),
            results,
        }
    }
}
