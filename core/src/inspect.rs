//! What the page's batch views show: one run's batch with its advantages and ledger
//! ([`BatchView`]), and every selected estimator applied to one frozen batch ([`SameBatch`]).
//!
//! Both are made by the [`crate::Trainer`] from the batch it trained on in its last update, and
//! cut to whole groups so that what is shown is exactly what the statistics were computed over.

use serde::{Deserialize, Serialize};

use crate::advantage::{Advantages, Estimator};
use crate::rollout::Sample;

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
}

/// One estimator's result on a frozen batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SameBatchResult {
    /// The estimator.
    pub estimator: Estimator,
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
    /// One result per selected estimator, in config order.
    pub results: Vec<SameBatchResult>,
}
