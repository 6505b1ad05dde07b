//! Why training could not go on (a leaf of `train`).

use crate::fields::ConfigError;

/// Why training could not go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The device failed (readback error, lost device).
    #[error("device error: {0}")]
    Device(String),
    /// The run has done all its updates.
    #[error("the run is finished ({0} updates)")]
    Finished(u32),
    /// A run cannot be resumed (not stopped, no such run, a bad factor).
    #[error("cannot resume: {0}")]
    Resume(String),
    /// An estimator refused the batch.
    #[error("estimator: {0}")]
    Estimator(String),
}
