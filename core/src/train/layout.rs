//! How the trainer's tensors are laid out: forward models (one per run and agent), parameter
//! models (one per run and agent, or one per run with a shared policy), and the one read-back
//! per update — the single place that says in what order its parts are concatenated and how
//! they are cut apart again.

use burn::tensor::{Bool, Tensor};

use crate::policy::{PolicyShape, PolicySharing};

/// The trainer's model counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Runs R.
    pub runs: usize,
    /// Agents per run.
    pub agents: usize,
    /// Forward models M = R × agents.
    pub models: usize,
    /// Parameter models P.
    pub params_models: usize,
    /// Parameter models per run (1 with a shared policy, else the agents).
    pub per_run: usize,
    /// Whether a run's agents share one MLP.
    pub shared: bool,
}

impl Layout {
    /// The layout of `runs` runs of `agents` agents with policy `sharing`.
    pub fn new(runs: usize, agents: usize, sharing: PolicySharing) -> Self {
        let shared = sharing == PolicySharing::Shared;
        let per_run = if shared { 1 } else { agents };
        Self { runs, agents, models: runs * agents, params_models: runs * per_run, per_run, shared }
    }

    /// One value per run, repeated for each of its parameter models: [R] → [P].
    pub fn repeat_per_model(&self, t: Tensor<1>) -> Tensor<1> {
        t.reshape([self.runs, 1]).expand([self.runs, self.per_run]).reshape([self.params_models])
    }

    /// Which parameter models belong to runs that are `ok`, as a [P, 1, 1] mask.
    pub fn models_mask(&self, ok: &Tensor<1, Bool>) -> Tensor<3, Bool> {
        self.repeat_per_model(ok.clone().float()).greater_elem(0.5).reshape([self.params_models, 1, 1])
    }
}

/// One epoch's squared norms on the device: per forward model (agent gradients) [M], per run
/// (the run's gradient) [R], per parameter model (the new parameters) [P].
#[derive(Debug)]
pub(super) struct EpochNorms {
    pub agent_sq: Tensor<1>,
    pub run_sq: Tensor<1>,
    pub param_sq: Tensor<1>,
}

/// The read-back of one update, concatenated on the device in this order: the new parameters
/// (W1, b1, W2, b2 flattened), every epoch's [`EpochNorms`] (agents, runs, parameters), which
/// runs stayed finite [R], and with checkpointing Adam's first and second moments and steps.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadBack {
    layout: Layout,
    param_len: usize,
    epochs: usize,
    checkpointing: bool,
}

/// The host's view of a [`ReadBack`].
#[derive(Debug)]
pub(super) struct ReadBackView<'a> {
    layout: Layout,
    /// The new parameters, flattened.
    pub params: &'a [f32],
    /// Per epoch: agents' squared gradient norms [M], runs' [R], new parameters' [P].
    epochs: Vec<(&'a [f32], &'a [f32], &'a [f32])>,
    /// Per run: 1 when it stayed finite.
    pub run_ok: &'a [f32],
    /// Adam's first and second moments (flattened like the parameters) and steps [P].
    pub adam: Option<(&'a [f32], &'a [f32], &'a [f32])>,
}

impl ReadBack {
    /// The read-back of an update of `epochs` epochs.
    pub fn new(layout: Layout, shape: &PolicyShape, epochs: u32, checkpointing: bool) -> Self {
        let param_len = shape.param_shapes().iter().map(|s| s[0] * s[1] * s[2]).sum();
        Self { layout, param_len, epochs: epochs as usize, checkpointing }
    }

    /// The one tensor to read back.
    pub fn concat(
        &self,
        params: &[Tensor<3>; 4],
        epochs: Vec<EpochNorms>,
        run_ok: &Tensor<1, Bool>,
        adam: (&[Tensor<3>; 4], &[Tensor<3>; 4], &Tensor<3>),
    ) -> Tensor<1> {
        debug_assert_eq!(epochs.len(), self.epochs);
        let mut parts = vec![flatten(params)];
        for e in epochs {
            parts.extend([e.agent_sq, e.run_sq, e.param_sq]);
        }
        parts.push(run_ok.clone().float());
        if self.checkpointing {
            parts.extend([flatten(adam.0), flatten(adam.1), adam.2.clone().reshape([-1])]);
        }
        Tensor::cat(parts, 0)
    }

    /// Cuts the host's copy of [`ReadBack::concat`] apart.
    pub fn split<'a>(&self, host: &'a [f32]) -> ReadBackView<'a> {
        let Layout { models, runs, params_models, .. } = self.layout;
        let (params, rest) = host.split_at(self.param_len);
        let (norms, rest) = rest.split_at((models + runs + params_models) * self.epochs);
        let epochs = norms
            .chunks_exact(models + runs + params_models)
            .map(|block| {
                let (agent_sq, rest) = block.split_at(models);
                let (run_sq, param_sq) = rest.split_at(runs);
                (agent_sq, run_sq, param_sq)
            })
            .collect();
        let (run_ok, rest) = rest.split_at(runs);
        let adam = self.checkpointing.then(|| {
            let (first, rest) = rest.split_at(self.param_len);
            let (second, steps) = rest.split_at(self.param_len);
            (first, second, steps)
        });
        ReadBackView { layout: self.layout, params, epochs, run_ok, adam }
    }
}

impl ReadBackView<'_> {
    /// The first epoch's squared norms of run `r`: its agents' [agents] and its own (the
    /// estimator's gradient before any optimizer step).
    pub fn first_epoch(&self, r: usize) -> (&[f32], f32) {
        let (agent_sq, run_sq, _) = self.epochs[0];
        let agents = self.layout.agents;
        (&agent_sq[r * agents..][..agents], run_sq[r])
    }

    /// Which number of run `r`'s update was not finite: the first agent gradient, else the
    /// run's gradient, else the first parameter model's new parameters, in the first epoch
    /// where one was — as (agent, quantity, value).
    pub fn problem(&self, r: usize) -> (Option<u32>, &'static str, String) {
        // A squared norm of +inf with finite entries means the norm itself passed ~1.8e19.
        let norm_text = |sq: f32| if sq.is_nan() { "NaN".to_string() } else { "beyond 1.8e19 (its square overflows f32)".to_string() };
        let Layout { agents, per_run, shared, .. } = self.layout;
        for &(agent_sq, run_sq, param_sq) in &self.epochs {
            if let Some(k) = (0..agents).find(|&k| !agent_sq[r * agents + k].is_finite()) {
                return (Some(k as u32), "gradient norm", norm_text(agent_sq[r * agents + k]));
            }
            if !run_sq[r].is_finite() {
                return (None, "gradient norm", norm_text(run_sq[r]));
            }
            if let Some(j) = (0..per_run).find(|&j| !param_sq[r * per_run + j].is_finite()) {
                return ((!shared).then_some(j as u32), "parameter norm", norm_text(param_sq[r * per_run + j]));
            }
        }
        (None, "update", "not finite".to_string())
    }
}

/// The four parameter tensors flattened and concatenated (W1, b1, W2, b2).
pub(super) fn flatten(params: &[Tensor<3>; 4]) -> Tensor<1> {
    Tensor::cat(params.iter().map(|p| p.clone().reshape([-1])).collect(), 0)
}
