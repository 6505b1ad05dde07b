//! The trainer: policy gradient (REINFORCE / GRPO-style, optionally PPO-clipped) with Adam, every
//! run of every seed and estimator in one set of tensors.
//!
//! One update, in the order it happens (CleanRL style: the whole algorithm is in this file):
//!
//! 1. **Rollout** (CPU): each run plays `groups × group_size` episodes of its game with the
//!    policy parameters read back at the end of the previous update (the forward pass for one
//!    decision is tiny and sequential; [`HostPolicy`] evaluates it on the CPU).
//! 2. **Advantages** (CPU): the run's estimator maps its batch to one advantage per sample
//!    (samples credited with their agent's episode return, or with their step reward for the
//!    turn/step-level estimators MARS and GiGPO).
//! 3. **Loss** (device, autodiff), per forward model m = (run r, agent k) with n_m samples b,
//!    ρ_b = π_m(a_b | o_b) / π_old(a_b | o_b):
//!    `L_m = −(1/n_m) Σ_b S_b − β (1/n_m) Σ_b H(π_m(·|o_b)) + β_KL (1/n_m) Σ_b KL(π_m ‖ π_init)(o_b)`
//!    with `S_b = A_b · log π_m(a_b|o_b)` (plain policy gradient) or, with `ppo_clip` = c,
//!    `S_b = min(ρ_b A_b, clip(ρ_b, 1 − c, 1 + c) A_b)`; `L = Σ_m L_m`.
//!    With *separate* policies the models are independent, so ∇L restricted to model m is ∇L_m.
//!    With a *shared* policy each agent's forward uses its own copy of the run's parameters, so
//!    one backward pass yields every agent's gradient g_k separately; the shared gradient is
//!    Σ_k g_k.
//! 4. **Gradient norms** (device): the pre-clip L2 norm of each agent's gradient, and per run the
//!    norm of its whole gradient. Burn's own clipping is per tensor, so we compute the global
//!    norm ourselves (and plot it anyway). Optional clipping scales a run's gradient by
//!    `min(1, max_norm / (‖g‖ + 1e-6))`.
//! 5. **Adam** (device), written out because every parameter model needs its own learning rate,
//!    step count and skip mask, which burn's optimizer, treating a stacked tensor as one
//!    parameter, cannot express; step counts live on the device so that nothing is read back
//!    between epochs: `t ← t + 1[finite]; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
//!    p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)`. Steps 3–5 repeat for `epochs`.
//! 6. **Readback**: the new parameters and every epoch's norms are concatenated and read back
//!    once, asynchronously (a synchronous read panics on WebGPU in the browser).
//!
//! **Divergence.** A run whose batch holds a non-finite number (reward, return, advantage,
//! baseline; checked on the host before the loss) or whose update would (gradient norm, new
//! parameters; checked on the device in every epoch) is *stopped*: its rows are zeroed out of the
//! loss, its parameters and Adam state stay those of its last finite update (a multi-epoch
//! update is undone as a whole), and its reports carry a [`Divergence`] naming the update,
//! agent and quantity. Other runs train on. [`Trainer::resume`] takes a stopped run on from
//! that last finite state, optionally with a smaller learning rate.
//!
//! **Device loss.** With checkpointing on (the page's worker), each readback also brings the
//! Adam state home, and the random streams are kept as they were after the last finished
//! update; when the device fails, [`Trainer::recover`] rebuilds the trainer on another backend
//! from that state and training goes on from the last report, as if nothing had happened.

use burn::tensor::{Bool, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::advantage::oracle::Counterfactual;
use crate::advantage::{Advantages, Estimator};
use crate::inspect::{BatchView, SameBatch, SameBatchResult};
use crate::backend::{Backend, BackendInfo};
use crate::config::{ConfigError, TrainConfig};
use crate::env::AnyGame;
use crate::metrics::{mean_std, predicted_inflation, AgentReport, Divergence, Resume, RunReport, StepReport};
use crate::policy::{HostPolicy, PolicyShape, PolicySharing, RunPolicy, StackedMlp};
use crate::rng::RunStreams;
use crate::rollout::{Batch, Rollout};

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
    /// A run cannot be resumed (not stopped, no such run, a bad factor).
    #[error("cannot resume: {0}")]
    Resume(String),
    /// An estimator refused the batch.
    #[error("estimator: {0}")]
    Estimator(String),
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
            format: crate::record::RECORD_FORMAT.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            backend,
            config,
            reports: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
struct RunState {
    estimator: Estimator,
    seed: u64,
    streams: RunStreams,
    /// Set when the run diverged; it no longer trains.
    stopped: Option<Divergence>,
    /// Its last report with measured (finite) figures.
    last_good: Option<RunReport>,
    /// Set by [`Trainer::resume`] until the next report carries it.
    resumed: Option<Resume>,
}

/// Adam moments and per-parameter-model step counts, on the device.
#[derive(Debug, Clone)]
struct AdamState {
    first: [Tensor<3>; 4],
    second: [Tensor<3>; 4],
    /// Steps taken per parameter model, [P, 1, 1] (as floats).
    steps: Tensor<3>,
}

/// The state after the last finished update that the device holds, read back to the host.
#[derive(Debug, Clone)]
struct Checkpoint {
    /// Adam's moments, (W1, b1, W2, b2) each flattened as on the device.
    first: [Vec<f32>; 4],
    second: [Vec<f32>; 4],
    steps: Vec<f32>,
    /// Every run's random streams as they were after that update.
    streams: Vec<RunStreams>,
}

/// One run's batch after the estimator.
#[derive(Debug)]
struct RunBatch {
    rollout: Rollout,
    advantages: Advantages,
    /// The collecting policies at the game's one state (games with a payoff oracle).
    policies: Option<Vec<Vec<f64>>>,
    /// The update that collected it (1-based).
    update: u32,
}

/// `v` as a divergence names it.
fn value_text(v: f32) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v:e}, beyond f32's range")
    }
}

/// The first non-finite number of a run's batch: (agent, quantity, value).
fn batch_problem(b: &RunBatch, agents: usize) -> Option<(Option<u32>, &'static str, f32)> {
    let rollout = &b.rollout;
    let samples = &rollout.batch.samples;
    for (i, s) in samples.iter().enumerate() {
        if !s.reward.is_finite() {
            return Some((Some(s.agent), "reward", s.reward));
        }
        if let Some(v) = rollout.step_rewards.get(i).filter(|v| !v.is_finite()) {
            return Some((Some(s.agent), "step reward", *v));
        }
    }
    let (team_mean, _) = mean_std(&rollout.team_returns);
    if let Some(v) = rollout.team_returns.iter().copied().chain([team_mean]).find(|v| !v.is_finite()) {
        return Some((None, "team return", v));
    }
    for k in 0..agents {
        let rewards: Vec<f32> = samples.iter().filter(|s| s.agent as usize == k).map(|s| s.reward).collect();
        let (mean, std) = mean_std(&rewards);
        if let Some(v) = [mean, std].into_iter().find(|v| !v.is_finite()) {
            return Some((Some(k as u32), "reward statistics", v));
        }
    }
    for (i, (value, entry)) in b.advantages.values.iter().zip(&b.advantages.ledger).enumerate() {
        let agent = samples.get(i).map(|s| s.agent);
        if !value.is_finite() {
            return Some((agent, "advantage", *value));
        }
        if let Some(v) = [entry.mean, entry.std, entry.value, entry.advantage].into_iter().find(|v| !v.is_finite()) {
            return Some((agent, "baseline", v));
        }
    }
    if let Some(v) = rollout.figures.values().find(|v| !v.is_finite()) {
        return Some((None, "game figure", *v));
    }
    None
}

/// The length of the longest prefix of `batch` made of whole groups with at most `max`
/// samples (at least the first group).
fn whole_groups(batch: &Batch, max: usize) -> usize {
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

/// Trains every (estimator, seed) run of a config in one set of tensors.
#[derive(Debug)]
pub struct Trainer {
    config: TrainConfig,
    game: AnyGame,
    backend: Backend,
    runs: Vec<RunState>,
    /// Shapes with `models` = parameter models P.
    shape: PolicyShape,
    /// The parameters [P, ·, ·], without autodiff.
    params: [Tensor<3>; 4],
    /// The initial parameters, for the KL penalty.
    init_params: [Tensor<3>; 4],
    adam: AdamState,
    /// Learning rate per parameter model, [P, 1, 1].
    learning_rates: Tensor<3>,
    /// The parameters as last read back, for rollouts and evaluations.
    host: HostPolicy,
    update: u32,
    /// Every run's last finite batch (for the page's batch views); `None` before the first.
    last: Vec<Option<RunBatch>>,
    /// The learning rate per parameter model, as `learning_rates` holds it.
    host_learning_rates: Vec<f32>,
    /// Whether each readback brings the Adam state home (see [`Trainer::set_checkpointing`]).
    checkpointing: bool,
    checkpoint: Option<Checkpoint>,
    /// A simulated device failure at this update (fault injection for tests).
    fault: Option<u32>,
    /// Wall time (ms) of the last update step proper (see [`Trainer::last_update_ms`]).
    last_update_ms: f64,
}

impl Trainer {
    /// Validates `config`, initialises every run's policy on `backend` and reads the initial
    /// parameters back.
    pub async fn new(config: TrainConfig, backend: Backend) -> Result<Self, TrainError> {
        config.validate()?;
        let game = AnyGame::new(&config.game)?;
        let config_runs = config.runs();
        let mut runs = Vec::with_capacity(config_runs);
        for &estimator in &config.estimators {
            for &seed in &config.seeds {
                runs.push(RunState {
                    estimator,
                    seed,
                    streams: RunStreams::from_seed(seed),
                    stopped: None,
                    last_good: None,
                    resumed: None,
                });
            }
        }
        let agents = game.agents();
        let shared = config.policy == PolicySharing::Shared;
        let per_run = if shared { 1 } else { agents };
        let shape = PolicyShape {
            models: runs.len() * per_run,
            input: game.observation_size() + if shared { agents } else { 0 },
            hidden: config.hidden as usize,
            actions: game.actions(),
        };
        let device = backend.device.clone();
        let mut init_rngs: Vec<_> = runs.iter().map(|r| r.streams.init.clone()).collect();
        let policy = StackedMlp::init(shape, per_run, &mut init_rngs, &device);
        let zeros = || shape.param_shapes().map(|s| Tensor::zeros(s, &device));
        let adam = AdamState { first: zeros(), second: zeros(), steps: Tensor::zeros([shape.models, 1, 1], &device) };
        let rates: Vec<f32> = (0..shape.models)
            .map(|p| match (&config.agent_learning_rates, shared) {
                (Some(rates), false) => rates[p % agents],
                _ => config.learning_rate,
            })
            .collect();
        let learning_rates = per_model(&rates, &device);
        let flat = read_back(flatten(&policy.params)).await?;
        let host = HostPolicy::from_flat(shape, agents, config.policy, &flat);
        Ok(Self {
            config,
            game,
            backend,
            runs,
            shape,
            init_params: policy.params.clone(),
            params: policy.params,
            adam,
            learning_rates,
            host,
            update: 0,
            last: (0..config_runs).map(|_| None).collect(),
            host_learning_rates: rates,
            checkpointing: false,
            checkpoint: None,
            fault: None,
            last_update_ms: 0.0,
        })
    }

    /// The config being trained.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The backend and why it was chosen.
    pub fn backend(&self) -> &BackendInfo {
        &self.backend.info
    }

    /// The game being played.
    pub fn game(&self) -> &AnyGame {
        &self.game
    }

    /// The policy as last read back (run r's agent k: `host_policy().probs(r, k, ..)`).
    pub fn host_policy(&self) -> &HostPolicy {
        &self.host
    }

    /// Updates done so far.
    pub fn updates_done(&self) -> u32 {
        self.update
    }

    /// The policy's shape (models, observation size, hidden units, actions).
    pub fn policy_shape(&self) -> PolicyShape {
        self.shape
    }

    /// Wall time (ms) of the last update step proper: the rows to the device, the loss, the
    /// backward pass, Adam and the one readback (not the rollouts or the estimators). The
    /// update-step benchmark compares it with the same update in numpy and PyTorch.
    pub fn last_update_ms(&self) -> f64 {
        self.last_update_ms
    }

    /// Whether every configured update has been done.
    pub fn is_finished(&self) -> bool {
        self.update >= self.config.updates
    }

    /// Run `run`'s divergence, while it is stopped.
    pub fn divergence(&self, run: usize) -> Option<&Divergence> {
        self.runs.get(run)?.stopped.as_ref()
    }

    /// Whether every run has diverged (nothing would train).
    pub fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| r.stopped.is_some())
    }

    /// Takes stopped run `run` on from its last finite state (parameters, Adam moments and
    /// steps as after its last finite update), its learning rate multiplied by
    /// `learning_rate_factor` (0 < factor <= 1) from now on. The next report says so.
    pub fn resume(&mut self, run: usize, learning_rate_factor: f32) -> Result<(), TrainError> {
        if !(learning_rate_factor > 0.0 && learning_rate_factor <= 1.0) {
            return Err(TrainError::Resume(format!("the learning-rate factor {learning_rate_factor} is not in (0, 1]")));
        }
        let runs = self.runs.len();
        let state = self.runs.get_mut(run).ok_or_else(|| TrainError::Resume(format!("there is no run {run}")))?;
        let divergence = state.stopped.take().ok_or_else(|| TrainError::Resume(format!("run {run} has not diverged")))?;
        state.resumed = Some(Resume { from_update: divergence.update - 1, learning_rate_factor });
        if learning_rate_factor != 1.0 {
            let per_run = self.shape.models / runs;
            for rate in &mut self.host_learning_rates[run * per_run..][..per_run] {
                *rate *= learning_rate_factor;
            }
            self.learning_rates = per_model(&self.host_learning_rates, &self.backend.device);
        }
        Ok(())
    }

    /// With checkpointing on, every update also reads the Adam state back (three times the
    /// parameters' size) so that [`Trainer::recover`] can go on elsewhere after a device
    /// failure. Off by default (the CLI and the benchmarks do not need it).
    pub fn set_checkpointing(&mut self, on: bool) {
        self.checkpointing = on;
        self.checkpoint = None;
        if on && self.update == 0 {
            let zeros = self.host.params.clone().map(|p| vec![0.0; p.len()]);
            self.checkpoint = Some(Checkpoint {
                first: zeros.clone(),
                second: zeros,
                steps: vec![0.0; self.shape.models],
                streams: self.runs.iter().map(|r| r.streams.clone()).collect(),
            });
        }
    }

    /// Whether [`Trainer::recover`] can go on from the last report.
    pub fn can_recover(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// Fault injection for tests: the readback of update `update` fails as a lost device would.
    pub fn inject_device_failure(&mut self, update: u32) {
        self.fault = Some(update);
    }

    /// After a failed step (a lost device), the same trainer on `backend`, at the state of its
    /// last report: parameters, Adam moments and steps, learning rates, random streams, stopped
    /// runs and batch views. Its next update is the one that failed.
    pub async fn recover(self, backend: Backend) -> Result<Trainer, TrainError> {
        let checkpoint = self.checkpoint.clone().ok_or_else(|| TrainError::Device("no checkpoint to recover from".into()))?;
        let device = backend.device.clone();
        let shapes = self.shape.param_shapes();
        let to_device = |parts: &[Vec<f32>; 4]| -> [Tensor<3>; 4] {
            std::array::from_fn(|i| Tensor::from_data(TensorData::new(parts[i].clone(), shapes[i]), &device))
        };
        let params = to_device(&self.host.params);
        let per_run = self.shape.models / self.runs.len();
        let mut init_rngs: Vec<_> = self.runs.iter().map(|r| RunStreams::from_seed(r.seed).init).collect();
        let init_params = StackedMlp::init(self.shape, per_run, &mut init_rngs, &device).params;
        let adam = AdamState {
            first: to_device(&checkpoint.first),
            second: to_device(&checkpoint.second),
            steps: per_model(&checkpoint.steps, &device),
        };
        let learning_rates = per_model(&self.host_learning_rates, &device);
        let mut runs = self.runs;
        for (run, streams) in runs.iter_mut().zip(&checkpoint.streams) {
            run.streams = streams.clone();
        }
        Ok(Trainer {
            config: self.config,
            game: self.game,
            backend,
            runs,
            shape: self.shape,
            params,
            init_params,
            adam,
            learning_rates,
            host: self.host,
            update: self.update,
            last: self.last,
            host_learning_rates: self.host_learning_rates,
            checkpointing: true,
            checkpoint: Some(checkpoint),
            fault: None,
            last_update_ms: 0.0,
        })
    }

    /// The parameters each forward model uses, [M = runs × agents, ·, ·]: with a shared policy,
    /// run r's parameters repeated for each of its agents.
    fn forward_params(&self, params: &[Tensor<3>; 4]) -> [Tensor<3>; 4] {
        let agents = self.game.agents();
        match self.config.policy {
            PolicySharing::Separate => params.clone(),
            PolicySharing::Shared => params.clone().map(|p| {
                let [runs, rows, cols] = p.dims();
                p.reshape([runs, 1, rows, cols]).expand([runs, agents, rows, cols]).reshape([runs * agents, rows, cols])
            }),
        }
    }

    /// π^k at the game's one state for run `r`'s current policy, renormalised in f64 over the
    /// agent's own actions (what the counterfactual estimators average over); `None` for games
    /// without a payoff oracle.
    fn counterfactual_policies(&self, r: usize) -> Option<Vec<Vec<f64>>> {
        let oracle = self.game.oracle()?;
        let policy = RunPolicy { host: &self.host, run: r };
        let policies = (0..self.game.agents())
            .map(|k| {
                let (obs, legal) = self.game.reference_decision(k).unwrap_or_default();
                let mut p = vec![0.0f32; self.game.actions()];
                policy.host.probs(r, k, &obs, &legal, &mut p);
                let p = &p[..oracle.actions(k)];
                let total: f64 = p.iter().map(|&x| f64::from(x)).sum();
                p.iter().map(|&x| f64::from(x) / total).collect()
            })
            .collect();
        Some(policies)
    }

    /// `estimator`'s advantages and ledger on a rollout (step rewards for MARS and GiGPO, the
    /// game's payoffs and the collecting policies for the counterfactual estimators).
    fn estimate(
        &self,
        estimator: Estimator,
        rollout: &Rollout,
        policies: Option<&Vec<Vec<f64>>>,
    ) -> Result<Advantages, TrainError> {
        let options = self.config.estimator_options();
        let result = if estimator.uses_step_rewards() {
            estimator.compute(&rollout.step_batch(), &options, None)
        } else if estimator.needs_game() {
            let (Some(oracle), Some(policies)) = (self.game.oracle(), policies) else {
                return Err(TrainError::Estimator(format!("{estimator} needs a payoff oracle")));
            };
            let cf = Counterfactual { oracle, policies: policies.clone(), default_actions: vec![0; self.game.agents()] };
            estimator.compute(&rollout.batch, &options, Some(&cf))
        } else {
            estimator.compute(&rollout.batch, &options, None)
        };
        result.map_err(|e| TrainError::Estimator(e.to_string()))
    }

    /// Plays every run's batch and computes its advantages.
    fn collect(&mut self) -> Result<Vec<RunBatch>, TrainError> {
        let (groups, group_size) = (self.config.groups as usize, self.config.group_size as usize);
        let mut batches = Vec::with_capacity(self.runs.len());
        for r in 0..self.runs.len() {
            let estimator = self.runs[r].estimator;
            let anchors = estimator == Estimator::Batch(crate::EstimatorKind::Gigpo);
            let policy = RunPolicy { host: &self.host, run: r };
            let rollout = self.game.play(&policy, groups, group_size, &mut self.runs[r].streams, anchors);
            let policies = self.counterfactual_policies(r);
            let advantages = self.estimate(estimator, &rollout, policies.as_ref())?;
            batches.push(RunBatch { rollout, advantages, policies, update: self.update + 1 });
        }
        Ok(batches)
    }

    /// Run `run`'s batch of the last update as the page's views show it: its first groups (at
    /// most `max_samples` samples, whole groups only, at least one group) with the advantages
    /// and ledger its estimator gave them. `None` before the first update.
    pub fn batch_view(&self, run: usize, max_samples: usize) -> Option<BatchView> {
        let b = self.last.get(run)?.as_ref()?;
        let keep = whole_groups(&b.rollout.batch, max_samples);
        let info = &self.runs[run];
        Some(BatchView {
            update: b.update,
            run: run as u32,
            estimator: info.estimator,
            seed: info.seed,
            total_samples: b.rollout.batch.len() as u32,
            samples: b.rollout.batch.samples[..keep].to_vec(),
            step_rewards: b.rollout.step_rewards[..keep].to_vec(),
            cells: b.rollout.cells.get(..keep).map(<[_]>::to_vec).unwrap_or_default(),
            advantages: b.advantages.prefix(keep),
        })
    }

    /// Every estimator of the config applied to run `run`'s frozen batch of the last update
    /// (the counterfactual ones with the policies that collected it); the samples are cut to
    /// whole groups as in [`Trainer::batch_view`], the statistics use the whole batch.
    pub fn same_batch(&self, run: usize, max_samples: usize) -> Option<SameBatch> {
        let b = self.last.get(run)?.as_ref()?;
        let keep = whole_groups(&b.rollout.batch, max_samples);
        let info = &self.runs[run];
        let results = self
            .config
            .estimators
            .iter()
            .map(|&estimator| match self.estimate(estimator, &b.rollout, b.policies.as_ref()) {
                Ok(a) => SameBatchResult { estimator, advantages: Some(a.prefix(keep)), error: None },
                Err(err) => SameBatchResult { estimator, advantages: None, error: Some(err.to_string()) },
            })
            .collect();
        Some(SameBatch {
            update: b.update,
            run: run as u32,
            collected_by: info.estimator,
            seed: info.seed,
            total_samples: b.rollout.batch.len() as u32,
            samples: b.rollout.batch.samples[..keep].to_vec(),
            results,
        })
    }

    /// Does one update of every run and reports it.
    pub async fn step(&mut self) -> Result<StepReport, TrainError> {
        if self.is_finished() {
            return Err(TrainError::Finished(self.config.updates));
        }
        let start = Instant::now();
        let batches = self.collect()?;
        let agents = self.game.agents();
        let runs = self.runs.len();
        let next = self.update + 1;
        // Runs whose batch holds a non-finite number stop here; stopped runs sit out.
        let mut diverged: Vec<Option<Divergence>> = (0..runs)
            .map(|r| {
                if self.runs[r].stopped.is_some() {
                    return None;
                }
                batch_problem(&batches[r], agents).map(|(agent, quantity, v)| Divergence {
                    update: next,
                    agent,
                    quantity: quantity.into(),
                    value: value_text(v),
                })
            })
            .collect();
        let active: Vec<bool> = (0..runs).map(|r| self.runs[r].stopped.is_none() && diverged[r].is_none()).collect();
        // The update step proper (rows to the device, loss, backward, Adam, readback) is timed
        // for the benchmark: everything after the rollouts and estimators.
        let update_start = Instant::now();
        let models = runs * agents; // forward models M
        let params_models = self.shape.models; // parameter models P
        let (obs, actions, input) = (self.game.observation_size(), self.shape.actions, self.shape.input);
        let shared = self.config.policy == PolicySharing::Shared;

        // Host tensors, one row per sample of each forward model, padded to the longest model.
        let mut counts = vec![0usize; models];
        for (r, b) in batches.iter().enumerate() {
            for s in &b.rollout.batch.samples {
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
        for (r, b) in batches.iter().enumerate() {
            let rollout = &b.rollout;
            let on = active[r];
            for (i, sample) in rollout.batch.samples.iter().enumerate() {
                let k = sample.agent as usize;
                let m = r * agents + k;
                let row = m * rows + filled[m];
                filled[m] += 1;
                x[row * input..row * input + obs].copy_from_slice(&rollout.observations[i * obs..(i + 1) * obs]);
                if shared {
                    x[row * input + obs + k] = 1.0;
                }
                for a in 0..actions {
                    legal[row * actions + a] = if rollout.legal[i * actions + a] { 1.0 } else { 0.0 };
                }
                chosen[row * actions + sample.action.unwrap_or(0) as usize] = 1.0;
                // A run that sits out contributes nothing (zero, not NaN × 0).
                if on {
                    advantage[row] = b.advantages.values[i];
                    weight[row] = 1.0 / counts[m] as f32;
                }
            }
        }
        let device = self.backend.device.clone();
        let x = Tensor::<3>::from_data(TensorData::new(x, [models, rows, input]), &device);
        let chosen = Tensor::<3>::from_data(TensorData::new(chosen, [models, rows, actions]), &device);
        let legal = Tensor::<3>::from_data(TensorData::new(legal, [models, rows, actions]), &device);
        let advantage = Tensor::<3>::from_data(TensorData::new(advantage, [models, rows, 1]), &device);
        let weight = Tensor::<3>::from_data(TensorData::new(weight, [models, rows, 1]), &device);

        // The behaviour policy's log-probabilities of the chosen actions (PPO's π_old) and the
        // initial policy's log-probabilities (the KL anchor), both without autodiff.
        let old_chosen = self.config.ppo_clip.map(|_| {
            let lp = StackedMlp::log_probs(&self.forward_params(&self.params), x.clone(), Some(legal.clone()));
            (lp * chosen.clone()).sum_dim(2)
        });
        let init_log_probs = (self.config.kl_coef > 0.0)
            .then(|| StackedMlp::log_probs(&self.forward_params(&self.init_params), x.clone(), Some(legal.clone())));

        // Which runs are still finite, on the device: active ones, then every epoch ANDs in
        // "gradient norm and new parameters finite".
        let active_flags: Vec<f32> = active.iter().map(|&a| if a { 1.0 } else { 0.0 }).collect();
        let mut run_ok: Tensor<1, Bool> =
            Tensor::<1>::from_data(TensorData::new(active_flags, [runs]), &device).greater_elem(0.5);
        let (start_params, start_adam) = (self.params.clone(), self.adam.clone());
        let per_run = params_models / runs; // parameter models per run
        let to_models = |t: Tensor<1>| t.reshape([runs, 1]).expand([runs, per_run]).reshape([params_models]);
        let models_mask = |ok: &Tensor<1, Bool>| to_models(ok.clone().float()).greater_elem(0.5).reshape([params_models, 1, 1]);
        let mut norms: Vec<Tensor<1>> = Vec::with_capacity(3 * self.config.epochs as usize + 1);
        for _ in 0..self.config.epochs {
            // 3. Loss and backward, on per-agent copies of the parameters.
            let tracked: [Tensor<3>; 4] = self.forward_params(&self.params).map(|p| p.autodiff().require_grad());
            let log_probs = StackedMlp::log_probs(&tracked, x.clone(), Some(legal.clone()));
            let chosen_log_prob = (log_probs.clone() * chosen.clone()).sum_dim(2); // [M, B, 1]
            let surrogate = match (self.config.ppo_clip, &old_chosen) {
                (Some(clip), Some(old)) => {
                    let ratio = (chosen_log_prob - old.clone()).exp();
                    let unclipped = ratio.clone() * advantage.clone();
                    let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantage.clone();
                    unclipped.min_pair(clipped)
                }
                _ => chosen_log_prob * advantage.clone(),
            };
            let mut loss = (surrogate * weight.clone()).sum().neg();
            if self.config.entropy_coef > 0.0 {
                let entropy = (log_probs.clone().exp() * log_probs.clone()).sum_dim(2).neg(); // [M, B, 1]
                loss = loss - (entropy * weight.clone()).sum().mul_scalar(self.config.entropy_coef);
            }
            if let Some(init) = &init_log_probs {
                let kl = (log_probs.clone().exp() * (log_probs.clone() - init.clone())).sum_dim(2);
                loss = loss + (kl * weight.clone()).sum().mul_scalar(self.config.kl_coef);
            }
            let gradients = loss.backward();
            let mut grads: Vec<Tensor<3>> = Vec::with_capacity(4);
            for p in &tracked {
                grads.push(p.grad(&gradients).ok_or_else(|| TrainError::Device("a parameter has no gradient".into()))?);
            }

            // 4. Per-agent pre-clip norms, the parameter gradients, clipping and the skip mask.
            let sum_sq = |gs: &[Tensor<3>], n: usize| -> Result<Tensor<1>, TrainError> {
                gs.iter()
                    .map(|g| g.clone().square().sum_dims(&[1, 2]).reshape([n]))
                    .reduce(|a, b| a + b)
                    .ok_or_else(|| TrainError::Device("no parameters".into()))
            };
            let agent_norm_sq = sum_sq(&grads, models)?; // [M]
            let param_grads: Vec<Tensor<3>> = if shared {
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
            let run_norm_sq: Tensor<1> = if shared {
                sum_sq(&param_grads, runs)?
            } else {
                agent_norm_sq.clone().reshape([runs, agents]).sum_dim(1).reshape([runs])
            };
            let scale: Tensor<1> = match self.config.max_grad_norm {
                Some(max) => to_models(run_norm_sq.clone().sqrt().add_scalar(1e-6).recip().mul_scalar(max).clamp_max(1.0)),
                None => Tensor::ones([params_models], &device),
            };

            // 5. Adam, per parameter model: the candidate step of every model, then only the
            // runs whose gradient and new parameters are finite take it.
            let steps = self.adam.steps.clone().add_scalar(1.0);
            let bias1 = steps.clone().mul_scalar(ADAM_BETA1.ln()).exp().neg().add_scalar(1.0);
            let bias2 = steps.clone().mul_scalar(ADAM_BETA2.ln()).exp().neg().add_scalar(1.0);
            let step_size = self.learning_rates.clone() / bias1;
            let sqrt_bias2 = bias2.sqrt();
            let scale = scale.reshape([params_models, 1, 1]);
            let mut candidates = Vec::with_capacity(4);
            for (i, grad) in param_grads.into_iter().enumerate() {
                let grad = grad * scale.clone();
                let first = self.adam.first[i].clone().mul_scalar(ADAM_BETA1) + grad.clone().mul_scalar(1.0 - ADAM_BETA1);
                let second =
                    self.adam.second[i].clone().mul_scalar(ADAM_BETA2) + grad.square().mul_scalar(1.0 - ADAM_BETA2);
                let denom = second.clone().sqrt().div(sqrt_bias2.clone()).add_scalar(ADAM_EPS);
                let param = self.params[i].clone() - first.clone().div(denom) * step_size.clone();
                candidates.push((param, first, second));
            }
            let param_sq = sum_sq(&candidates.iter().map(|c| c.0.clone()).collect::<Vec<_>>(), params_models)?; // [P]
            let run_param_sq = param_sq.clone().reshape([runs, per_run]).sum_dim(1).reshape([runs]);
            run_ok = run_ok.bool_and(run_norm_sq.clone().is_finite()).bool_and(run_param_sq.is_finite());
            let ok3 = models_mask(&run_ok);
            for (i, (param, first, second)) in candidates.into_iter().enumerate() {
                let mask = ok3.clone().expand(self.params[i].dims());
                self.params[i] = self.params[i].clone().mask_where(mask.clone(), param);
                self.adam.first[i] = self.adam.first[i].clone().mask_where(mask.clone(), first);
                self.adam.second[i] = self.adam.second[i].clone().mask_where(mask, second);
            }
            self.adam.steps = self.adam.steps.clone().mask_where(ok3, steps);
            norms.push(agent_norm_sq);
            norms.push(run_norm_sq);
            norms.push(param_sq);
        }
        if self.config.epochs > 1 {
            // A run that went bad in a later epoch goes back to where this update started.
            let ok3 = models_mask(&run_ok);
            let starts = start_params.into_iter().zip(start_adam.first).zip(start_adam.second);
            for (i, ((param, first), second)) in starts.enumerate() {
                let mask = ok3.clone().expand(self.params[i].dims());
                self.params[i] = param.mask_where(mask.clone(), self.params[i].clone());
                self.adam.first[i] = first.mask_where(mask.clone(), self.adam.first[i].clone());
                self.adam.second[i] = second.mask_where(mask, self.adam.second[i].clone());
            }
            self.adam.steps = start_adam.steps.clone().mask_where(ok3, self.adam.steps.clone());
        }
        norms.push(run_ok.float());
        if self.checkpointing {
            norms.push(flatten(&self.adam.first));
            norms.push(flatten(&self.adam.second));
            norms.push(self.adam.steps.clone().reshape([-1]));
        }
        if self.fault == Some(next) {
            self.fault = None;
            return Err(TrainError::Device(format!("device lost (simulated at update {next})")));
        }

        // 6. One readback: the new parameters, then every epoch's squared norms (agents, runs,
        // new parameters), then which runs stayed finite.
        let mut parts = vec![flatten(&self.params)];
        parts.extend(norms);
        let host = read_back(Tensor::cat(parts, 0)).await?;
        self.last_update_ms = update_start.elapsed().as_secs_f64() * 1e3;
        let param_len: usize = self.shape.param_shapes().iter().map(|s| s[0] * s[1] * s[2]).sum();
        let (flat, norm_sq) = host.split_at(param_len);
        let per_epoch = models + runs + params_models;
        let (epoch_norms, rest) = norm_sq.split_at(per_epoch * self.config.epochs as usize);
        let (run_ok, adam_state) = rest.split_at(runs);
        if self.checkpointing {
            let (first, rest) = adam_state.split_at(param_len);
            let (second, steps) = rest.split_at(param_len);
            self.checkpoint = Some(Checkpoint {
                first: self.shape.split_flat(first),
                second: self.shape.split_flat(second),
                steps: steps.to_vec(),
                streams: self.runs.iter().map(|r| r.streams.clone()).collect(),
            });
        }
        let before = std::mem::replace(&mut self.host, HostPolicy::from_flat(self.shape, agents, self.config.policy, flat));
        self.update += 1;

        // First epoch's norms: the estimator's gradient before any optimizer step.
        let (agent_norm_sq, run_norm_sq) = (&epoch_norms[..models], &epoch_norms[models..models + runs]);
        let mut reports = Vec::with_capacity(runs);
        for (r, b) in batches.into_iter().enumerate() {
            if active[r] && run_ok[r] > 0.5 {
                let mut report = self.run_report(r, &b, &agent_norm_sq[r * agents..][..agents], run_norm_sq[r], &before);
                report.resumed = self.runs[r].resumed.take();
                self.runs[r].last_good = Some(RunReport { resumed: None, ..report.clone() });
                self.last[r] = Some(b);
                reports.push(report);
                continue;
            }
            if self.runs[r].stopped.is_none() {
                let divergence = diverged[r].take().unwrap_or_else(|| {
                    let (agent, quantity, value) = update_problem(epoch_norms, r, [models, runs, params_models], agents, shared);
                    Divergence { update: self.update, agent, quantity: quantity.into(), value }
                });
                self.runs[r].stopped = Some(divergence);
                self.runs[r].resumed = None;
            }
            reports.push(self.stopped_report(r));
        }
        Ok(StepReport { update: self.update, wall_ms: start.elapsed().as_secs_f32() * 1e3, runs: reports })
    }

    /// A stopped run's report: its last finite figures (zeros if it had none) and its divergence.
    fn stopped_report(&self, r: usize) -> RunReport {
        let state = &self.runs[r];
        let mut report = state.last_good.clone().unwrap_or_else(|| RunReport {
            estimator: state.estimator,
            seed: state.seed,
            team_reward_mean: 0.0,
            figures: Default::default(),
            grad_norm: None,
            agents: (0..self.game.agents())
                .map(|_| AgentReport {
                    samples: 0,
                    reward_mean: 0.0,
                    reward_std: 0.0,
                    reward_score: 0.0,
                    advantage_mean: 0.0,
                    advantage_std: 0.0,
                    advantage_min: 0.0,
                    advantage_max: 0.0,
                    grad_norm: None,
                    entropy: 0.0,
                    action_probs: Vec::new(),
                    update_norm: None,
                    predicted_inflation: None,
                })
                .collect(),
            diverged: None,
            resumed: None,
        });
        report.diverged = state.stopped.clone();
        report.resumed = None;
        report
    }

    fn run_report(&self, r: usize, b: &RunBatch, agent_norm_sq: &[f32], run_norm_sq: f32, before: &HostPolicy) -> RunReport {
        let rollout = &b.rollout;
        let batch: &Batch = &rollout.batch;
        let actions = rollout.actions;
        let run = &self.runs[r];
        let finite = |v: f32| v.is_finite().then_some(v);
        let policy = RunPolicy { host: &self.host, run: r };
        let agent_reports = (0..self.game.agents())
            .map(|k| {
                let mine: Vec<usize> = (0..batch.len()).filter(|&i| batch.samples[i].agent as usize == k).collect();
                let rewards: Vec<f32> = mine.iter().map(|&i| batch.samples[i].reward).collect();
                let advs: Vec<f32> = mine.iter().map(|&i| b.advantages.values[i]).collect();
                let scores: Vec<f32> = mine.iter().map(|&i| rollout.scores[i]).collect();
                let (reward_mean, reward_std) = mean_std(&rewards);
                let (reward_score, _) = mean_std(&scores);
                let (advantage_mean, advantage_std) = mean_std(&advs);
                let entropies: Vec<f32> = mine
                    .iter()
                    .map(|&i| rollout.probs[i * actions..(i + 1) * actions].iter().filter(|p| **p > 0.0).map(|p| -p * p.ln()).sum())
                    .collect();
                let action_probs = self
                    .game
                    .reference_decision(k)
                    .map(|(obs, legal)| {
                        let mut p = vec![0.0; actions];
                        crate::env::PolicyView::probs(&policy, k, &obs, &legal, &mut p);
                        p
                    })
                    .unwrap_or_default();
                AgentReport {
                    samples: mine.len() as u32,
                    reward_mean,
                    reward_std,
                    reward_score,
                    advantage_mean,
                    advantage_std,
                    advantage_min: advs.iter().copied().fold(f32::INFINITY, f32::min).min(f32::MAX),
                    advantage_max: advs.iter().copied().fold(f32::NEG_INFINITY, f32::max).max(f32::MIN),
                    grad_norm: finite(agent_norm_sq[k].sqrt()),
                    entropy: mean_std(&entropies).0,
                    action_probs,
                    update_norm: finite(self.host.model_change(before, self.host.model(r, k))),
                    predicted_inflation: predicted_inflation(batch, k as u32),
                }
            })
            .collect();
        let mut figures = rollout.figures.clone();
        for (name, value) in self.game.policy_figures(&policy) {
            figures.insert(name.to_string(), value);
        }
        RunReport {
            estimator: run.estimator,
            seed: run.seed,
            team_reward_mean: mean_std(&rollout.team_returns).0,
            figures,
            grad_norm: finite(run_norm_sq.sqrt()),
            agents: agent_reports,
            diverged: None,
            resumed: None,
        }
    }
}

/// Which number of run `r`'s update was not finite, from the read-back squared norms of every
/// epoch (`sizes` = [forward models, runs, parameter models] per epoch): the first agent
/// gradient, else the run's gradient, else the first parameter model's new parameters.
fn update_problem(
    epoch_norms: &[f32],
    r: usize,
    sizes: [usize; 3],
    agents: usize,
    shared: bool,
) -> (Option<u32>, &'static str, String) {
    // A squared norm of +inf with finite entries means the norm itself passed ~1.8e19.
    let norm_text = |sq: f32| if sq.is_nan() { "NaN".to_string() } else { "beyond 1.8e19 (its square overflows f32)".to_string() };
    let [models, runs, params_models] = sizes;
    let per_run = params_models / runs;
    for block in epoch_norms.chunks_exact(models + runs + params_models) {
        let (agent_sq, rest) = block.split_at(models);
        let (run_sq, param_sq) = rest.split_at(runs);
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

/// One value per parameter model as a [P, 1, 1] tensor (learning rates, Adam step counts).
fn per_model(values: &[f32], device: &burn::tensor::Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1, 1]), device)
}

/// The four parameter tensors flattened and concatenated (W1, b1, W2, b2).
fn flatten(params: &[Tensor<3>; 4]) -> Tensor<1> {
    Tensor::cat(params.iter().map(|p| p.clone().reshape([-1])).collect(), 0)
}

/// Reads a tensor back to the host asynchronously.
async fn read_back(tensor: Tensor<1>) -> Result<Vec<f32>, TrainError> {
    let data = tensor.into_data_async().await.map_err(|e| TrainError::Device(format!("{e:?}")))?;
    data.try_to_vec::<f32>().map_err(|e| TrainError::Device(format!("{e:?}")))
}
