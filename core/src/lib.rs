//! Credit Lab core: multi-agent games, policies, advantage estimators and the trainer.
//!
//! Data flows one way: a [`config::TrainConfig`] → `rollout` collects a [`rollout::Batch`] →
//! an [`advantage`] estimator maps it to advantages → [`train::Trainer`] does the
//! policy-gradient step in Burn → one [`metrics::StepReport`] per update.
//!
//! This crate compiles natively and to wasm32 and knows nothing of the browser.

pub mod advantage;
pub mod backend;
pub mod bench;
pub mod config;
pub mod env;
pub mod inspect;
pub mod metrics;
pub mod policy;
pub mod record;
pub mod rng;
pub mod rollout;
pub mod train;

pub use advantage::{Advantages, EstimatorKind, EstimatorOptions, LedgerEntry};
pub use backend::{Backend, BackendInfo, BackendKind};
pub use config::{ConfigError, GameConfig, TrainConfig};
pub use inspect::{BatchView, SameBatch, SameBatchResult};
pub use metrics::{AgentReport, Divergence, Resume, RunReport, StepReport};
pub use rollout::{Batch, Sample};
pub use train::{RunRecord, TrainError, Trainer};
pub use record::{figure_names, MetricsCsv, RecordError, RECORD_FORMAT};
