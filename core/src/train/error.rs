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

/// A tensor's values on the host, read asynchronously (a synchronous read panics on WebGPU in
/// the browser): the trainers' one way back from the device.
pub(super) async fn read_back(tensor: burn::tensor::Tensor<1>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.into_data_async().await.map_err(|e| TrainError::Device(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| TrainError::Device(format!("{e:?}")))
}
