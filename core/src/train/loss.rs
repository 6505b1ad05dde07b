//! The loss and the gradient norms, per forward model m = (run r, agent k) with n_m samples b,
//! ρ_b = π_m(a_b | o_b) / π_old(a_b | o_b):
//!
//! `L_m = −(1/n_m) Σ_b S_b − β (1/n_m) Σ_b H(π_m(·|o_b)) + β_KL (1/n_m) Σ_b KL(π_m ‖ π_init)(o_b)`
//!
//! with `S_b = A_b · log π_m(a_b|o_b)` (plain policy gradient) or, with `ppo_clip` = c,
//! `S_b = min(ρ_b A_b, clip(ρ_b, 1 − c, 1 + c) A_b)`; `L = Σ_m L_m`. With *separate* policies
//! the models are independent, so ∇L restricted to model m is ∇L_m. With a *shared* policy each
//! agent's forward uses its own copy of the run's parameters, so one backward pass yields every
//! agent's gradient g_k separately; the shared gradient is Σ_k g_k.
//!
//! The norms are the pre-clip L2 norms of each agent's gradient and of each run's whole
//! gradient (burn's own clipping is per tensor, so the global norm is computed here); optional
//! clipping scales a run's gradient by `min(1, max_norm / (‖g‖ + 1e-6))`.

use burn::tensor::{Tensor, TensorData};

use super::adam::sum_sq;
use super::layout::Layout;
use crate::advantage::Advantages;
use crate::rollout::Rollout;
use super::error::TrainError;
use crate::config::TrainConfig;
use crate::policy::StackedMlp;

/// The batch on the host, as it goes to the device: one row per sample of each forward model,
/// padded to the longest model, each array row-major [M, B, ·].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HostRows {
    /// Forward models M.
    pub models: usize,
    /// Rows per model B (the longest model's samples).
    pub rows: usize,
    /// Observations [M, B, input].
    pub x: Vec<f32>,
    /// The chosen action, one-hot [M, B, actions].
    pub chosen: Vec<f32>,
    /// 1 for a legal action, 0 for an illegal one [M, B, actions].
    pub legal: Vec<f32>,
    /// The advantages [M, B] (0 in padding and in runs that sit out).
    pub advantage: Vec<f32>,
    /// Each row's weight 1/n_m [M, B] (0 in padding and in runs that sit out).
    pub weight: Vec<f32>,
}

impl HostRows {
    /// Packs every run's samples; a run that is not `active` keeps its rows (so the shapes stay)
    /// but contributes nothing to the loss.
    pub(super) fn pack(
        batches: &[(&Rollout, &Advantages)],
        active: &[bool],
        layout: &Layout,
        (obs, input, actions): (usize, usize, usize),
    ) -> HostRows {
        let (models, agents) = (layout.models, layout.agents);
        let mut counts = vec![0usize; models];
        for (r, (rollout, _)) in batches.iter().enumerate() {
            for s in &rollout.batch.samples {
                counts[r * agents + s.agent as usize] += 1;
            }
        }
        let rows = counts.iter().copied().max().unwrap_or(0).max(1);
        let mut x = vec![0.0f32; models * rows * input];
        let mut chosen = vec![0.0f32; models * rows * actions];
        let mut legal = vec![1.0f32; models * rows * actions];
        let mut advantage = vec![0.0f32; models * rows];
        let mut weight = vec![0.0f32; models * rows];
        let mut filled = vec![0usize; models];
        for (r, (rollout, advantages)) in batches.iter().enumerate() {
            let on = active[r];
            for (i, sample) in rollout.batch.samples.iter().enumerate() {
                let k = sample.agent as usize;
                let m = r * agents + k;
                let row = m * rows + filled[m];
                filled[m] += 1;
                x[row * input..row * input + obs].copy_from_slice(&rollout.observations[i * obs..(i + 1) * obs]);
                if layout.shared {
                    x[row * input + obs + k] = 1.0;
                }
                for a in 0..actions {
                    legal[row * actions + a] = if rollout.legal[i * actions + a] { 1.0 } else { 0.0 };
                }
                chosen[row * actions + sample.action.unwrap_or(0) as usize] = 1.0;
                // A run that sits out contributes nothing (zero, not NaN × 0).
                if on {
                    advantage[row] = advantages.values[i];
                    weight[row] = 1.0 / counts[m] as f32;
                }
            }
        }
        HostRows { models, rows, x, chosen, legal, advantage, weight }
    }

    /// The rows on `device`.
    pub(super) fn upload(self, device: &burn::tensor::Device) -> Rows {
        let (models, rows) = (self.models, self.rows);
        let width = |len: usize| len / (models * rows);
        let tensor = |data: Vec<f32>| {
            let w = width(data.len());
            Tensor::<3>::from_data(TensorData::new(data, [models, rows, w]), device)
        };
        Rows {
            x: tensor(self.x),
            chosen: tensor(self.chosen),
            legal: tensor(self.legal),
            advantage: tensor(self.advantage),
            weight: tensor(self.weight),
        }
    }
}

/// The batch on the device ([`HostRows`] uploaded); [M, B, ·].
#[derive(Debug)]
pub(super) struct Rows {
    pub x: Tensor<3>,
    pub chosen: Tensor<3>,
    pub legal: Tensor<3>,
    pub advantage: Tensor<3>,
    pub weight: Tensor<3>,
}

impl Rows {
    /// Packs every run's samples and uploads them (see [`HostRows::pack`]).
    pub fn pack(
        batches: &[(&Rollout, &Advantages)],
        active: &[bool],
        layout: &Layout,
        sizes: (usize, usize, usize),
        device: &burn::tensor::Device,
    ) -> Rows {
        HostRows::pack(batches, active, layout, sizes).upload(device)
    }

    /// Log-probabilities of every action under `params` (per forward model), without autodiff.
    pub fn log_probs(&self, params: &[Tensor<3>; 4]) -> Tensor<3> {
        StackedMlp::log_probs(params, self.x.clone(), Some(self.legal.clone()))
    }
}

/// What the loss compares against, fixed for the update: the behaviour policy's
/// log-probabilities of the chosen actions (PPO's π_old) and the initial policy's
/// log-probabilities (the KL anchor).
#[derive(Debug)]
pub(super) struct Anchors {
    pub old_chosen: Option<Tensor<3>>,
    pub init_log_probs: Option<Tensor<3>>,
}

/// One epoch's gradients: per forward model (each agent's own), reduced to the parameter
/// models, with the squared norms.
#[derive(Debug)]
pub(super) struct Gradients {
    /// Per parameter model [P, ·, ·] (with a shared policy, the sum over the run's agents).
    pub params: Vec<Tensor<3>>,
    /// Each agent's squared gradient norm [M].
    pub agent_sq: Tensor<1>,
    /// Each run's squared gradient norm [R].
    pub run_sq: Tensor<1>,
}

/// The loss L = Σ_m L_m (see the module's doc) of `params` on `rows`: tracked (autodiff)
/// parameters for [`gradients`], plain ones for its value alone.
pub(super) fn loss(config: &TrainConfig, params: &[Tensor<3>; 4], rows: &Rows, anchors: &Anchors) -> Tensor<1> {
    let log_probs = StackedMlp::log_probs(params, rows.x.clone(), Some(rows.legal.clone()));
    let chosen_log_prob = (log_probs.clone() * rows.chosen.clone()).sum_dim(2); // [M, B, 1]
    let surrogate = match (config.ppo_clip, &anchors.old_chosen) {
        (Some(clip), Some(old)) => {
            let ratio = (chosen_log_prob - old.clone()).exp();
            let unclipped = ratio.clone() * rows.advantage.clone();
            let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * rows.advantage.clone();
            unclipped.min_pair(clipped)
        }
        _ => chosen_log_prob * rows.advantage.clone(),
    };
    let mut loss = (surrogate * rows.weight.clone()).sum().neg();
    if config.entropy_coef > 0.0 {
        let entropy = (log_probs.clone().exp() * log_probs.clone()).sum_dim(2).neg(); // [M, B, 1]
        loss = loss - (entropy * rows.weight.clone()).sum().mul_scalar(config.entropy_coef);
    }
    if let Some(init) = &anchors.init_log_probs {
        let kl = (log_probs.clone().exp() * (log_probs.clone() - init.clone())).sum_dim(2);
        loss = loss + (kl * rows.weight.clone()).sum().mul_scalar(config.kl_coef);
    }
    loss
}

/// The loss on per-agent copies of the parameters (`tracked`, autodiff) and its gradients.
pub(super) fn gradients(
    config: &TrainConfig,
    tracked: [Tensor<3>; 4],
    rows: &Rows,
    anchors: &Anchors,
    layout: &Layout,
) -> Result<Gradients, TrainError> {
    let loss = loss(config, &tracked, rows, anchors);
    let backward = loss.backward();
    let mut grads: Vec<Tensor<3>> = Vec::with_capacity(4);
    for p in &tracked {
        grads.push(p.grad(&backward).ok_or_else(|| TrainError::Device("a parameter has no gradient".into()))?);
    }
    let Layout { models, runs, agents, shared, .. } = *layout;
    let agent_sq = sum_sq(&grads, models)?; // [M]
    let params: Vec<Tensor<3>> = if shared {
        grads
            .into_iter()
            .map(|g| {
                let [_, rows, cols] = g.dims();
                g.reshape([runs, agents, rows, cols]).sum_dim(1).reshape([runs, rows, cols])
            })
            .collect()
    } else {
        grads
    };
    let run_sq: Tensor<1> =
        if shared { sum_sq(&params, runs)? } else { agent_sq.clone().reshape([runs, agents]).sum_dim(1).reshape([runs]) };
    Ok(Gradients { params, agent_sq, run_sq })
}

/// The factor each parameter model's gradient is scaled by: 1, or with `max_grad_norm` its
/// run's `min(1, max / (‖g‖ + 1e-6))`.
pub(super) fn clip_scale(config: &TrainConfig, run_sq: &Tensor<1>, layout: &Layout, device: &burn::tensor::Device) -> Tensor<1> {
    match config.max_grad_norm {
        Some(max) => layout.repeat_per_model(run_sq.clone().sqrt().add_scalar(1e-6).recip().mul_scalar(max).clamp_max(1.0)),
        None => Tensor::ones([layout.params_models], device),
    }
}
