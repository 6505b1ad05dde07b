//! Credit Lab core: multi-agent games, policies, advantage estimators and the trainer.
//!
//! Data flows one way, and so do the imports (ARCHITECTURE.md draws the layers): config errors
//! and the fields table ([`fields`]) and the estimators' names ([`estimator`]) → the games
//! ([`env`]) → [`rollout`] and [`policy`] → the [`advantage`] estimators → [`config`],
//! [`metrics`] and [`inspect`] → [`record`] → [`train::Trainer`]: a [`config::TrainConfig`]
//! → `rollout` collects a [`rollout::Batch`] → an estimator maps it to advantages → the trainer
//! does the policy-gradient step in Burn → one [`metrics::StepReport`] per update.
//!
//! This crate compiles natively and to wasm32 and knows nothing of the browser.

pub mod advantage;
pub mod backend;
pub mod bench;
pub mod config;
pub mod env;
pub mod estimator;
pub mod exp;
pub mod fields;
pub mod import;
pub mod inspect;
pub mod metrics;
pub mod policy;
pub mod record;
pub mod rng;
pub mod rollout;
pub mod train;

pub use advantage::{Advantages, EstimatorOptions, LedgerEntry};
pub use estimator::Estimator;
pub use backend::{Backend, BackendInfo, BackendKind};
pub use config::TrainConfig;
pub use env::GameConfig;
pub use fields::ConfigError;
pub use inspect::{BatchView, SameBatch, SameBatchResult};
pub use metrics::{AgentReport, Divergence, Resume, RunReport, StepReport};
pub use rollout::{Batch, Sample};
pub use record::{figure_names, MetricsCsv, RecordError, RunRecord, RECORD_FORMAT};
pub use train::{HostRows, TrainError, Trainer, UpdateProbe};
