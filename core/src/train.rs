//! The trainer: REINFORCE / GRPO-style policy gradient with Adam, every run in one set of tensors.
//!
//! One update, in the order it happens (CleanRL style: the whole algorithm is in this file):
//!
//! 1. **Rollout** (CPU): each run plays `groups × group_size` episodes with the action
//!    probabilities read back at the end of the previous update.
//! 2. **Advantages** (CPU): the run's estimator maps its batch to one advantage per sample.
//! 3. **Loss** (device, autodiff): for model m (run r, agent k) with n_m samples,
//!    `L_m = −(1/n_m) Σ_b A_b · log π_m(a_b | o_b) − β · (1/n_m) Σ_b H(π_m(· | o_b))`,
//!    and `L = Σ_m L_m`: the models are independent, so ∇L restricted to model m is ∇L_m.
//! 4. **Gradient norms** (device): the pre-clip L2 norm over each model's parameters, and per run
//!    the global norm over its agents. Burn's own clipping is per tensor, so we compute the
//!    global norm ourselves (and plot it anyway). Optional clipping scales a run's gradients by
//!    `min(1, max_norm / (‖g‖ + 1e-6))`. A non-finite norm skips that model's step (with
//!    clipping on: the whole run's step).
//! 5. **Adam** (device), written out because every model needs its own step count and skip mask,
//!    which burn's optimizer, treating a stacked tensor as one parameter, cannot express:
//!    `m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²; p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`.
//! 6. **Readback**: the new action probabilities and the norms are concatenated and read back
//!    once, asynchronously (a synchronous read panics on WebGPU in the browser).

use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::advantage::EstimatorKind;
use crate::backend::{Backend, BackendInfo};
use crate::config::{ConfigError, GameConfig, TrainConfig};
use crate::env::bandit::{Bandit, BanditRollout};
use crate::metrics::{mean_std, predicted_inflation, AgentReport, RunReport, StepReport};
use crate::policy::{PolicyShape, StackedMlp};
use crate::rng::RunStreams;

const ADAM_BETA1: f32 = 0.9;
const ADAM_BETA2: f32 = 0.999;
const ADAM_EPS: f32 = 1e-8;

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
}

/// A run's full record: what the CLI writes and the page exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// Always "creditlab-run".
    pub format: String,
    /// The crate version that produced it.
    pub version: String,
    /// The backend the run trained on.
    pub backend: BackendInfo,
    /// The config.
    pub config: TrainConfig,
    /// Every report, in update order.
    pub reports: Vec<StepReport>,
}

impl RunRecord {
    /// An empty record for `config` on `backend`.
    pub fn new(config: TrainConfig, backend: BackendInfo) -> Self {
        Self {
            format: "creditlab-run".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            backend,
            config,
            reports: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct RunState {
    estimator: EstimatorKind,
    seed: u64,
    streams: RunStreams,
}

/// Adam moments and per-model step counts.
#[derive(Debug, Clone)]
struct AdamState {
    first: [Tensor<3>; 4],
    second: [Tensor<3>; 4],
    steps: Vec<u32>,
}

/// Trains every (estimator, seed) run of a config in one set of tensors.
#[derive(Debug)]
pub struct Trainer {
    config: TrainConfig,
    bandit: Bandit,
    backend: Backend,
    runs: Vec<RunState>,
    policy: StackedMlp,
    adam: AdamState,
    /// One-hot context rows [M, C, O], to evaluate the policy in every context.
    context_rows: Tensor<3>,
    /// Action probabilities [M, C, A] after the last update, read back.
    probs: Vec<f32>,
    update: u32,
}

impl Trainer {
    /// Validates `config`, initialises every run's policy on `backend` and reads back the
    /// initial action probabilities.
    pub async fn new(config: TrainConfig, backend: Backend) -> Result<Self, TrainError> {
        config.validate()?;
        let GameConfig::Bandit(bandit_config) = &config.game;
        let bandit = Bandit::new(bandit_config.clone());
        let mut runs = Vec::with_capacity(config.runs());
        for &estimator in &config.estimators {
            for &seed in &config.seeds {
                runs.push(RunState { estimator, seed, streams: RunStreams::from_seed(seed) });
            }
        }
        let agents = bandit.agents();
        let shape = PolicyShape {
            models: runs.len() * agents,
            input: bandit.observation_size(),
            hidden: config.hidden as usize,
            actions: bandit.actions(),
        };
        let device = backend.device.clone();
        let mut init_rngs: Vec<_> = runs.iter().map(|r| r.streams.init.clone()).collect();
        let policy = StackedMlp::init(shape, agents, &mut init_rngs, &device);
        let zeros = || shape.param_shapes().map(|s| Tensor::zeros(s, &device));
        let adam = AdamState { first: zeros(), second: zeros(), steps: vec![0; shape.models] };
        let contexts = bandit.contexts();
        let mut rows = vec![0.0f32; shape.models * contexts * shape.input];
        for m in 0..shape.models {
            for c in 0..contexts {
                rows[(m * contexts + c) * shape.input + c] = 1.0;
            }
        }
        let context_rows = Tensor::from_data(TensorData::new(rows, [shape.models, contexts, shape.input]), &device);
        let mut trainer =
            Self { config, bandit, backend, runs, policy, adam, context_rows, probs: Vec::new(), update: 0 };
        let probs = trainer.context_probs().reshape([-1]);
        trainer.probs = read_back(probs).await?;
        Ok(trainer)
    }

    /// The config being trained.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The backend and why it was chosen.
    pub fn backend(&self) -> &BackendInfo {
        &self.backend.info
    }

    /// Updates done so far.
    pub fn updates_done(&self) -> u32 {
        self.update
    }

    /// Whether every configured update has been done.
    pub fn is_finished(&self) -> bool {
        self.update >= self.config.updates
    }

    /// Action probabilities [M, C, A] of the current policy in every context.
    fn context_probs(&self) -> Tensor<3> {
        StackedMlp::log_probs(&self.policy.params, self.context_rows.clone(), None).exp()
    }

    /// Does one update of every run and reports it.
    pub async fn step(&mut self) -> Result<StepReport, TrainError> {
        if self.is_finished() {
            return Err(TrainError::Finished(self.config.updates));
        }
        let start = Instant::now();
        let shape = self.policy.shape;
        let (agents, arms, contexts, obs) =
            (self.bandit.agents(), self.bandit.actions(), self.bandit.contexts(), shape.input);
        let (groups, group_size) = (self.config.groups as usize, self.config.group_size as usize);
        let rows = groups * group_size; // B: the most samples one agent can have in a batch
        let models = shape.models;
        let options = self.config.estimator_options();

        // 1–2. Rollouts and advantages, per run, on the CPU.
        let per_run = agents * contexts * arms;
        let mut rollouts: Vec<(BanditRollout, Vec<f32>)> = Vec::with_capacity(self.runs.len());
        for (r, run) in self.runs.iter_mut().enumerate() {
            let probs = &self.probs[r * per_run..(r + 1) * per_run];
            let rollout =
                self.bandit.rollout(probs, groups, group_size, &mut run.streams.env, &mut run.streams.sampling);
            let advantages = run.estimator.compute(&rollout.batch, &options).values;
            rollouts.push((rollout, advantages));
        }

        // Host tensors: observation rows, chosen-action one-hots and per-row loss weights.
        let mut x = vec![0.0f32; models * rows * obs];
        let mut chosen = vec![0.0f32; models * rows * arms];
        let mut pg_weight = vec![0.0f32; models * rows];
        let mut entropy_weight = vec![0.0f32; models * rows];
        let mut counts = vec![0usize; models];
        for (r, (rollout, advantages)) in rollouts.iter().enumerate() {
            for (i, sample) in rollout.batch.samples.iter().enumerate() {
                let m = r * agents + sample.agent as usize;
                let b = counts[m];
                counts[m] += 1;
                let row = m * rows + b;
                x[row * obs + rollout.contexts[i] as usize] = 1.0;
                chosen[row * arms + rollout.actions[i] as usize] = 1.0;
                pg_weight[row] = advantages[i];
                entropy_weight[row] = 1.0;
            }
        }
        for m in 0..models {
            if counts[m] > 0 {
                let inv = 1.0 / counts[m] as f32;
                for b in 0..counts[m] {
                    pg_weight[m * rows + b] *= inv;
                    entropy_weight[m * rows + b] *= inv;
                }
            }
        }
        let device = &self.backend.device;
        let x = Tensor::<3>::from_data(TensorData::new(x, [models, rows, obs]), device);
        let chosen = Tensor::<3>::from_data(TensorData::new(chosen, [models, rows, arms]), device);
        let pg_weight = Tensor::<3>::from_data(TensorData::new(pg_weight, [models, rows, 1]), device);
        let entropy_weight = Tensor::<3>::from_data(TensorData::new(entropy_weight, [models, rows, 1]), device);

        // 3. Loss and backward.
        let tracked: [Tensor<3>; 4] = self.policy.params.clone().map(|p| p.autodiff().require_grad());
        let log_probs = StackedMlp::log_probs(&tracked, x, None);
        let chosen_log_prob = (log_probs.clone() * chosen).sum_dim(2); // [M, B, 1]
        let mut loss = (chosen_log_prob * pg_weight).sum().neg();
        if self.config.entropy_coef > 0.0 {
            let entropy = (log_probs.clone().exp() * log_probs).sum_dim(2).neg(); // [M, B, 1]
            loss = loss - (entropy * entropy_weight).sum().mul_scalar(self.config.entropy_coef);
        }
        let gradients = loss.backward();
        let mut grads: Vec<Tensor<3>> = Vec::with_capacity(4);
        for p in &tracked {
            grads.push(p.grad(&gradients).ok_or_else(|| TrainError::Device("a parameter has no gradient".into()))?);
        }

        // 4. Pre-clip norms, clipping and the skip mask.
        let norm_sq: Tensor<1> = grads
            .iter()
            .map(|g| g.clone().square().sum_dims(&[1, 2]).reshape([models]))
            .reduce(|a, b| a + b)
            .ok_or_else(|| TrainError::Device("no parameters".into()))?;
        let runs = self.runs.len();
        let run_norm = norm_sq.clone().reshape([runs, agents]).sum_dim(1).sqrt(); // [R, 1]
        let (scale, finite): (Tensor<1>, Tensor<1, Bool>) = match self.config.max_grad_norm {
            Some(max) => {
                let coef = run_norm.clone().add_scalar(1e-6).recip().mul_scalar(max).clamp_max(1.0);
                let finite = run_norm.is_finite().expand([runs, agents]).reshape([models]);
                (coef.expand([runs, agents]).reshape([models]), finite)
            }
            None => (Tensor::ones([models], device), norm_sq.clone().is_finite()),
        };

        // 5. Adam, per model.
        let mut lr_over_bc1 = Vec::with_capacity(models);
        let mut sqrt_bc2 = Vec::with_capacity(models);
        for &t in &self.adam.steps {
            let t = (t + 1) as i32;
            lr_over_bc1.push(self.config.learning_rate / (1.0 - ADAM_BETA1.powi(t)));
            sqrt_bc2.push((1.0 - ADAM_BETA2.powi(t)).sqrt());
        }
        let per_model = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, [models, 1, 1]), device);
        let (lr_over_bc1, sqrt_bc2) = (per_model(lr_over_bc1), per_model(sqrt_bc2));
        let scale = scale.reshape([models, 1, 1]);
        let finite3 = finite.reshape([models, 1, 1]);
        for (i, grad) in grads.into_iter().enumerate() {
            let dims = self.policy.params[i].dims();
            let mask = finite3.clone().expand(dims);
            let grad = grad * scale.clone();
            let first = self.adam.first[i].clone().mul_scalar(ADAM_BETA1) + grad.clone().mul_scalar(1.0 - ADAM_BETA1);
            let second = self.adam.second[i].clone().mul_scalar(ADAM_BETA2) + grad.square().mul_scalar(1.0 - ADAM_BETA2);
            let denom = second.clone().sqrt().div(sqrt_bc2.clone()).add_scalar(ADAM_EPS);
            let param = self.policy.params[i].clone() - first.clone().div(denom) * lr_over_bc1.clone();
            self.policy.params[i] = self.policy.params[i].clone().mask_where(mask.clone(), param);
            self.adam.first[i] = self.adam.first[i].clone().mask_where(mask.clone(), first);
            self.adam.second[i] = self.adam.second[i].clone().mask_where(mask, second);
        }

        // 6. One readback: new probabilities, then the squared norms.
        let probs = self.context_probs().reshape([-1]);
        let host = read_back(Tensor::cat(vec![probs, norm_sq], 0)).await?;
        let (probs, norm_sq) = host.split_at(models * contexts * arms);
        self.probs = probs.to_vec();
        for (m, t) in self.adam.steps.iter_mut().enumerate() {
            let run_finite = self.config.max_grad_norm.is_none()
                || norm_sq[(m / agents) * agents..(m / agents + 1) * agents].iter().sum::<f32>().is_finite();
            if norm_sq[m].is_finite() && run_finite {
                *t += 1;
            }
        }
        self.update += 1;

        let report = StepReport {
            update: self.update,
            wall_ms: 0.0,
            runs: rollouts
                .iter()
                .enumerate()
                .map(|(r, (rollout, advantages))| self.run_report(r, rollout, advantages, &norm_sq[r * agents..][..agents]))
                .collect(),
        };
        Ok(StepReport { wall_ms: start.elapsed().as_secs_f32() * 1e3, ..report })
    }

    fn run_report(&self, r: usize, rollout: &BanditRollout, advantages: &[f32], norm_sq: &[f32]) -> RunReport {
        let (agents, arms, contexts) = (self.bandit.agents(), self.bandit.actions(), self.bandit.contexts());
        let run = &self.runs[r];
        let finite = |v: f32| v.is_finite().then_some(v);
        let agent_reports = (0..agents)
            .map(|k| {
                let mine: Vec<usize> =
                    (0..rollout.batch.len()).filter(|&i| rollout.batch.samples[i].agent as usize == k).collect();
                let rewards: Vec<f32> = mine.iter().map(|&i| rollout.batch.samples[i].reward).collect();
                let advs: Vec<f32> = mine.iter().map(|&i| advantages[i]).collect();
                let (reward_mean, reward_std) = mean_std(&rewards);
                let scores: Vec<f32> = mine
                    .iter()
                    .map(|&i| {
                        let s = &rollout.batch.samples[i];
                        self.bandit.reward_score(k, rollout.contexts[i] as usize, s.reward)
                    })
                    .collect();
                let (reward_score, _) = mean_std(&scores);
                let (advantage_mean, advantage_std) = mean_std(&advs);
                let probs_of = |c: usize| {
                    let start = ((r * agents + k) * contexts + c) * arms;
                    &self.probs[start..start + arms]
                };
                let entropy = (0..contexts)
                    .map(|c| probs_of(c).iter().filter(|p| **p > 0.0).map(|p| -p * p.ln()).sum::<f32>())
                    .sum::<f32>()
                    / contexts as f32;
                AgentReport {
                    samples: mine.len() as u32,
                    reward_mean,
                    reward_std,
                    reward_score,
                    advantage_mean,
                    advantage_std,
                    advantage_min: advs.iter().copied().fold(f32::INFINITY, f32::min).min(f32::MAX),
                    advantage_max: advs.iter().copied().fold(f32::NEG_INFINITY, f32::max).max(f32::MIN),
                    grad_norm: finite(norm_sq[k].sqrt()),
                    entropy,
                    action_probs: probs_of(0).to_vec(),
                    predicted_inflation: predicted_inflation(&rollout.batch, k as u32),
                }
            })
            .collect();
        let optimal = rollout
            .batch
            .samples
            .iter()
            .zip(&rollout.actions)
            .zip(&rollout.contexts)
            .filter(|((s, a), c)| self.bandit.best_arm(s.agent as usize, **c as usize) == **a as usize)
            .count();
        let (team_reward_mean, _) = mean_std(&rollout.team_rewards);
        RunReport {
            estimator: run.estimator,
            seed: run.seed,
            team_reward_mean,
            optimal_action_rate: optimal as f32 / rollout.batch.len().max(1) as f32,
            grad_norm: finite(norm_sq.iter().sum::<f32>().sqrt()),
            agents: agent_reports,
        }
    }
}

/// Reads a tensor back to the host asynchronously.
async fn read_back(tensor: Tensor<1>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.into_data_async().await.map_err(|e| TrainError::Device(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| TrainError::Device(format!("{e:?}")))
}
