//! Adam over stacked parameters: every parameter model (a run's agent, or a run's shared MLP)
//! has its own learning rate, step count and skip mask, which burn's optimizer — treating a
//! stacked tensor as one parameter — cannot express. Step counts live on the device so that
//! nothing is read back between epochs:
//!
//! `t ← t + 1[finite]; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
//!  p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`.

use burn::tensor::{Bool, Tensor, TensorData};

use super::layout::Layout;
use super::error::TrainError;

pub(super) const ADAM_BETA1: f32 = 0.9;
pub(super) const ADAM_BETA2: f32 = 0.999;
pub(super) const ADAM_EPS: f32 = 1e-8;

/// Adam's moments and per-parameter-model step counts, on the device, with the learning rates.
#[derive(Debug, Clone)]
pub(super) struct StackedAdam {
    pub first: [Tensor<3>; 4],
    pub second: [Tensor<3>; 4],
    /// Steps taken per parameter model, [P, 1, 1] (as floats).
    pub steps: Tensor<3>,
    /// Learning rate per parameter model, [P, 1, 1].
    learning_rates: Tensor<3>,
    /// The same learning rates on the host.
    host_learning_rates: Vec<f32>,
}

/// Where Adam stood before an update: what [`StackedAdam::undo`] goes back to.
#[derive(Debug, Clone)]
pub(super) struct Snapshot {
    params: [Tensor<3>; 4],
    first: [Tensor<3>; 4],
    second: [Tensor<3>; 4],
    steps: Tensor<3>,
}

impl StackedAdam {
    /// Zero moments and steps for parameters of `shapes`, with one learning rate per model.
    pub fn new(shapes: [[usize; 3]; 4], rates: Vec<f32>, device: &burn::tensor::Device) -> Self {
        let zeros = || shapes.map(|s| Tensor::zeros(s, device));
        Self {
            first: zeros(),
            second: zeros(),
            steps: Tensor::zeros([rates.len(), 1, 1], device),
            learning_rates: per_model(&rates, device),
            host_learning_rates: rates,
        }
    }

    /// Moments and steps from the host (a checkpoint), with the learning rates.
    pub fn from_host(
        shapes: [[usize; 3]; 4],
        moments: (&[Vec<f32>; 4], &[Vec<f32>; 4], &[f32]),
        rates: Vec<f32>,
        device: &burn::tensor::Device,
    ) -> Self {
        let to_device = |parts: &[Vec<f32>; 4]| -> [Tensor<3>; 4] {
            std::array::from_fn(|i| Tensor::from_data(TensorData::new(parts[i].clone(), shapes[i]), device))
        };
        Self {
            first: to_device(moments.0),
            second: to_device(moments.1),
            steps: per_model(moments.2, device),
            learning_rates: per_model(&rates, device),
            host_learning_rates: rates,
        }
    }

    /// The learning rate of each parameter model.
    pub fn learning_rates(&self) -> &[f32] {
        &self.host_learning_rates
    }

    /// Multiplies the learning rates of parameter models `models` by `factor`.
    pub fn scale_learning_rates(&mut self, models: std::ops::Range<usize>, factor: f32, device: &burn::tensor::Device) {
        for rate in &mut self.host_learning_rates[models] {
            *rate *= factor;
        }
        self.learning_rates = per_model(&self.host_learning_rates, device);
    }

    /// The state to go back to if a later epoch fails.
    pub fn snapshot(&self, params: &[Tensor<3>; 4]) -> Snapshot {
        Snapshot { params: params.clone(), first: self.first.clone(), second: self.second.clone(), steps: self.steps.clone() }
    }

    /// One step of every parameter model with `grads` (per parameter model, before clipping)
    /// scaled by `scale` [P]: the candidate step of every model, then only the runs whose
    /// gradient (`run_norm_sq`) and new parameters are finite take it; `run_ok` loses the
    /// others. Returns the new parameters' squared norms per model [P].
    pub fn step(
        &mut self,
        params: &mut [Tensor<3>; 4],
        grads: Vec<Tensor<3>>,
        scale: Tensor<1>,
        run_norm_sq: &Tensor<1>,
        run_ok: &mut Tensor<1, Bool>,
        layout: &Layout,
    ) -> Result<Tensor<1>, TrainError> {
        let params_models = layout.params_models;
        let steps = self.steps.clone().add_scalar(1.0);
        let bias1 = steps.clone().mul_scalar(ADAM_BETA1.ln()).exp().neg().add_scalar(1.0);
        let bias2 = steps.clone().mul_scalar(ADAM_BETA2.ln()).exp().neg().add_scalar(1.0);
        let step_size = self.learning_rates.clone() / bias1;
        let sqrt_bias2 = bias2.sqrt();
        let scale = scale.reshape([params_models, 1, 1]);
        let mut candidates = Vec::with_capacity(4);
        for (i, grad) in grads.into_iter().enumerate() {
            let grad = grad * scale.clone();
            let first = self.first[i].clone().mul_scalar(ADAM_BETA1) + grad.clone().mul_scalar(1.0 - ADAM_BETA1);
            let second = self.second[i].clone().mul_scalar(ADAM_BETA2) + grad.square().mul_scalar(1.0 - ADAM_BETA2);
            let denom = second.clone().sqrt().div(sqrt_bias2.clone()).add_scalar(ADAM_EPS);
            let param = params[i].clone() - first.clone().div(denom) * step_size.clone();
            candidates.push((param, first, second));
        }
        let param_sq = sum_sq(&candidates.iter().map(|c| c.0.clone()).collect::<Vec<_>>(), params_models)?; // [P]
        let run_param_sq = param_sq.clone().reshape([layout.runs, layout.per_run]).sum_dim(1).reshape([layout.runs]);
        *run_ok = run_ok.clone().bool_and(run_norm_sq.clone().is_finite()).bool_and(run_param_sq.is_finite());
        let ok3 = layout.models_mask(run_ok);
        for (i, (param, first, second)) in candidates.into_iter().enumerate() {
            let mask = ok3.clone().expand(params[i].dims());
            params[i] = params[i].clone().mask_where(mask.clone(), param);
            self.first[i] = self.first[i].clone().mask_where(mask.clone(), first);
            self.second[i] = self.second[i].clone().mask_where(mask, second);
        }
        self.steps = self.steps.clone().mask_where(ok3, steps);
        Ok(param_sq)
    }

    /// Sends every run that is not `run_ok` back to `start` (a multi-epoch update is undone as
    /// a whole when a later epoch went bad).
    pub fn undo(&mut self, params: &mut [Tensor<3>; 4], start: Snapshot, run_ok: &Tensor<1, Bool>, layout: &Layout) {
        let ok3 = layout.models_mask(run_ok);
        let starts = start.params.into_iter().zip(start.first).zip(start.second);
        for (i, ((param, first), second)) in starts.enumerate() {
            let mask = ok3.clone().expand(params[i].dims());
            params[i] = param.mask_where(mask.clone(), params[i].clone());
            self.first[i] = first.mask_where(mask.clone(), self.first[i].clone());
            self.second[i] = second.mask_where(mask, self.second[i].clone());
        }
        self.steps = start.steps.mask_where(ok3, self.steps.clone());
    }
}

/// Σ of the squares of `grads` per model, [n].
pub(super) fn sum_sq(grads: &[Tensor<3>], n: usize) -> Result<Tensor<1>, TrainError> {
    grads
        .iter()
        .map(|g| g.clone().square().sum_dims(&[1, 2]).reshape([n]))
        .reduce(|a, b| a + b)
        .ok_or_else(|| TrainError::Device("no parameters".into()))
}

/// One value per parameter model as a [P, 1, 1] tensor (learning rates, Adam step counts).
fn per_model(values: &[f32], device: &burn::tensor::Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1, 1]), device)
}
