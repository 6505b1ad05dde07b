//! The MLP games' trainer: policy gradient (REINFORCE / GRPO-style, optionally PPO-clipped) with Adam, every
//! run of every seed and estimator in one set of tensors. [`MlpTrainer::step`] is the algorithm,
//! in the order it happens:
//!
//! 1. **Collect** (CPU): each run plays `groups × group_size` episodes of its game with the
//!    policy parameters read back at the end of the previous update (the forward pass for one
//!    decision is tiny and sequential; [`HostPolicy`] evaluates it on the CPU), and its
//!    estimator maps the batch to one advantage per sample, given what the estimator
//!    [`needs`](crate::estimator::Needs): episode returns or step rewards, anchor states, the
//!    game's payoff oracle.
//! 2. **Check** (CPU): a run whose batch holds a non-finite number stops (see below).
//! 3. **Pack rows**: one row per sample of each forward model m = (run, agent) ([`loss::Rows`]).
//! 4. **Epochs** (device): the loss and its gradients with every agent's and run's norm
//!    ([`loss`]), optional clipping, and the stacked Adam step ([`adam`]); repeated `epochs`
//!    times, a run that went bad in a later epoch undone as a whole.
//! 5. **One read-back**: the new parameters and every epoch's norms are concatenated and read
//!    back once, asynchronously (a synchronous read panics on WebGPU in the browser); the layout
//!    is [`layout::ReadBack`]'s.
//! 6. **Reports**: one [`RunReport`] per run ([`RunReport::measured`], in `metrics`).
//!
//! With `theory_check` on, between 2 and 3 every run's batch is also put through the loss under
//! each compared estimator at the policy that collected it, and each agent's gradient norm read
//! back ([`Trainer::theory_check`]): the same batch and policy, only the credit differs.
//!
//! **Divergence.** A run whose batch holds a non-finite number (reward, return, advantage,
//! baseline; checked on the host before the loss) or whose update would (gradient norm, new
//! parameters; checked on the device in every epoch) is *stopped*: its rows are zeroed out of the
//! loss, its parameters and Adam state stay those of its last finite update, and its reports
//! carry a [`Divergence`] naming the update, agent and quantity. Other runs train on.
//! [`MlpTrainer::resume`] takes a stopped run on from that last finite state, optionally with a
//! smaller learning rate. Device loss and recovery are in [`checkpoint`].


use burn::tensor::{Bool, Tensor, TensorData};
use web_time::Instant;

use crate::advantage::counterfactual::Counterfactual;
use crate::advantage::{Advantages, EstimatorOptions};
use crate::backend::{Backend, BackendInfo};
use crate::config::TrainConfig;
use crate::env::AnyGame;
use crate::estimator::{Estimator, Rewards};
use crate::inspect::{BatchView, RunId, SameBatch};
use crate::metrics::{Divergence, Resume, RunReport, StepReport, TheoryCheck};
use crate::policy::{HostPolicy, MemoPolicy, PolicyShape, PolicySharing, RunPolicy, StackedMlp};
use crate::rng::RunStreams;
use crate::rollout::{play_any, Rollout};
use super::adam::StackedAdam;
use super::batch::RunBatch;
use super::checkpoint::Recovery;
use super::error::{read_back, TrainError};
use super::loss::{self, HostRows};
use super::layout::{flatten, EpochNorms, Layout, ReadBack};
use super::loss::{Anchors, Rows};

#[derive(Debug, Clone)]
struct RunState {
    estimator: Estimator,
    seed: u64,
    streams: RunStreams,
    /// Set when the run diverged; it no longer trains.
    stopped: Option<Divergence>,
    /// Its last report with measured (finite) figures.
    last_good: Option<RunReport>,
    /// Set by [`MlpTrainer::resume`] until the next report carries it.
    resumed: Option<Resume>,
}

/// Trains every (estimator, seed) run of a config in one set of tensors.
#[derive(Debug)]
pub struct MlpTrainer {
    config: TrainConfig,
    game: AnyGame,
    backend: Backend,
    runs: Vec<RunState>,
    /// Shapes with `models` = parameter models P.
    shape: PolicyShape,
    layout: Layout,
    /// The parameters [P, ·, ·], without autodiff.
    params: [Tensor<3>; 4],
    /// The initial parameters, for the KL penalty.
    init_params: [Tensor<3>; 4],
    adam: StackedAdam,
    /// The parameters as last read back, for rollouts and evaluations.
    host: HostPolicy,
    update: u32,
    /// Every run's last finite batch (for the page's batch views); `None` before the first.
    last: Vec<Option<RunBatch>>,
    /// Checkpoints for device loss, and fault injection (see [`MlpTrainer::set_checkpointing`]).
    recovery: Recovery,
    /// Wall time (ms) of the last update step proper (see [`MlpTrainer::last_update_ms`]).
    last_update_ms: f64,
}

impl MlpTrainer {
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
        let layout = Layout::new(runs.len(), agents, config.policy);
        let shape = PolicyShape {
            models: layout.params_models,
            input: game.observation_size() + if layout.shared { agents } else { 0 },
            hidden: config.hidden as usize,
            actions: game.actions(),
        };
        let device = backend.device.clone();
        let mut init_rngs: Vec<_> = runs.iter().map(|r| r.streams.init.clone()).collect();
        let policy = StackedMlp::init(shape, layout.per_run, &mut init_rngs, &device);
        let rates: Vec<f32> = (0..shape.models)
            .map(|p| match (&config.agent_learning_rates, layout.shared) {
                (Some(rates), false) => rates[p % agents],
                _ => config.learning_rate,
            })
            .collect();
        let adam = StackedAdam::new(shape.param_shapes(), rates, &device);
        let flat = read_back(flatten(&policy.params)).await?;
        let host = HostPolicy::from_flat(shape, agents, config.policy, &flat);
        Ok(Self {
            config,
            game,
            backend,
            runs,
            shape,
            layout,
            init_params: policy.params.clone(),
            params: policy.params,
            adam,
            host,
            update: 0,
            last: (0..config_runs).map(|_| None).collect(),
            recovery: Recovery::default(),
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
        let state = self.runs.get_mut(run).ok_or_else(|| TrainError::Resume(format!("there is no run {run}")))?;
        let divergence = state.stopped.take().ok_or_else(|| TrainError::Resume(format!("run {run} has not diverged")))?;
        state.resumed = Some(Resume { from_update: divergence.update - 1, learning_rate_factor });
        if learning_rate_factor != 1.0 {
            let per_run = self.layout.per_run;
            self.adam.scale_learning_rates(run * per_run..(run + 1) * per_run, learning_rate_factor, &self.backend.device);
        }
        Ok(())
    }

    /// With checkpointing on, every update also reads the Adam state back (three times the
    /// parameters' size) so that [`MlpTrainer::recover`] can go on elsewhere after a device
    /// failure. Off by default (the CLI and the benchmarks do not need it).
    pub fn set_checkpointing(&mut self, on: bool) {
        let streams = self.runs.iter().map(|r| r.streams.clone()).collect();
        let start = (self.update == 0).then_some((&self.host.params, self.shape.models, streams));
        self.recovery.set(on, start);
    }

    /// Whether [`MlpTrainer::recover`] can go on from the last report.
    pub fn can_recover(&self) -> bool {
        self.recovery.can_recover()
    }

    /// Fault injection for tests: the readback of update `update` fails as a lost device would.
    pub fn inject_device_failure(&mut self, update: u32) {
        self.recovery.inject(update);
    }

    /// After a failed step (a lost device), the same trainer on `backend`, at the state of its
    /// last report: parameters, Adam moments and steps, learning rates, random streams, stopped
    /// runs and batch views. Its next update is the one that failed.
    pub async fn recover(self, backend: Backend) -> Result<MlpTrainer, TrainError> {
        let seeds: Vec<u64> = self.runs.iter().map(|r| r.seed).collect();
        let restored = self.recovery.restore(self.shape, &self.host.params, &seeds, self.adam.learning_rates(), &backend.device)?;
        let mut runs = self.runs;
        for (run, streams) in runs.iter_mut().zip(restored.streams) {
            run.streams = streams;
        }
        Ok(MlpTrainer {
            backend,
            runs,
            params: restored.params,
            init_params: restored.init_params,
            adam: restored.adam,
            recovery: restored.recovery,
            last_update_ms: 0.0,
            ..self
        })
    }

    /// Does one update of every run and reports it.
    pub async fn step(&mut self) -> Result<StepReport, TrainError> {
        if self.is_finished() {
            return Err(TrainError::Finished(self.config.updates));
        }
        let start = Instant::now();
        let next = self.update + 1;

        // 1. Collect every run's batch and its advantages.
        let batches = self.collect()?;

        // 2. Check: a run whose batch holds a non-finite number stops here; stopped runs sit out.
        let agents = self.layout.agents;
        let mut diverged: Vec<Option<Divergence>> = batches
            .iter()
            .zip(&self.runs)
            .map(|(b, run)| run.stopped.is_none().then(|| Divergence::in_batch(next, &b.rollout, &b.advantages, agents)).flatten())
            .collect();
        let active: Vec<bool> = (0..batches.len()).map(|r| self.runs[r].stopped.is_none() && diverged[r].is_none()).collect();

        // The update step proper (rows to the device, loss, backward, Adam, readback) is timed
        // for the benchmark: everything after the rollouts and estimators.
        let update_start = Instant::now();
        let device = self.backend.device.clone();

        // 3. Pack one row per sample of each forward model.
        let sizes = (self.game.observation_size(), self.shape.input, self.shape.actions);
        let theory = if self.config.theory_check { self.theory_check(&batches, &active).await? } else { vec![None; batches.len()] };
        let pairs: Vec<(&Rollout, &Advantages)> = batches.iter().map(|b| (&b.rollout, &b.advantages)).collect();
        let rows = Rows::pack(&pairs, &active, &self.layout, sizes, &device);
        let anchors = Anchors {
            old_chosen: self.config.ppo_clip.map(|_| (rows.log_probs(&self.forward_params(&self.params)) * rows.chosen.clone()).sum_dim(2)),
            init_log_probs: (self.config.kl_coef > 0.0).then(|| rows.log_probs(&self.forward_params(&self.init_params))),
        };

        // 4. Epochs. Which runs are still finite lives on the device: the active ones, then
        // every epoch ANDs in "gradient norm and new parameters finite".
        let flags: Vec<f32> = active.iter().map(|&a| if a { 1.0 } else { 0.0 }).collect();
        let mut run_ok: Tensor<1, Bool> = Tensor::<1>::from_data(TensorData::new(flags, [active.len()]), &device).greater_elem(0.5);
        let start_state = self.adam.snapshot(&self.params);
        let mut epochs = Vec::with_capacity(self.config.epochs as usize);
        for _ in 0..self.config.epochs {
            let tracked = self.forward_params(&self.params).map(|p| p.autodiff().require_grad());
            let grads = loss::gradients(&self.config, tracked, &rows, &anchors, &self.layout)?;
            let scale = loss::clip_scale(&self.config, &grads.run_sq, &self.layout, &device);
            let param_sq = self.adam.step(&mut self.params, grads.params, scale, &grads.run_sq, &mut run_ok, &self.layout)?;
            epochs.push(EpochNorms { agent_sq: grads.agent_sq, run_sq: grads.run_sq, param_sq });
        }
        if self.config.epochs > 1 {
            self.adam.undo(&mut self.params, start_state, &run_ok, &self.layout);
        }
        self.recovery.check_fault(next)?;

        // 5. One read-back.
        let read = ReadBack::new(self.layout, &self.shape, self.config.epochs, self.recovery.checkpointing);
        let adam = (&self.adam.first, &self.adam.second, &self.adam.steps);
        let host = read_back(read.concat(&self.params, epochs, &run_ok, adam)).await?;
        self.last_update_ms = update_start.elapsed().as_secs_f64() * 1e3;
        let view = read.split(&host);
        if let Some(state) = view.adam {
            self.recovery.keep(&self.shape, state, self.runs.iter().map(|r| r.streams.clone()).collect());
        }
        let new_host = HostPolicy::from_flat(self.shape, agents, self.config.policy, view.params);
        let before = std::mem::replace(&mut self.host, new_host);
        self.update += 1;

        // 6. Reports.
        let mut reports = Vec::with_capacity(batches.len());
        for (r, b) in batches.into_iter().enumerate() {
            let id = (self.runs[r].estimator, self.runs[r].seed);
            if active[r] && view.run_ok[r] > 0.5 {
                let policy = RunPolicy { host: &self.host, run: r };
                let mut report = RunReport::measured(id, &self.game, &b.rollout, &b.advantages, view.first_epoch(r), policy, &before);
                report.resumed = self.runs[r].resumed.take();
                report.theory = theory[r].clone();
                self.runs[r].last_good = Some(RunReport { resumed: None, ..report.clone() });
                self.last[r] = Some(b);
                reports.push(report);
                continue;
            }
            let state = &mut self.runs[r];
            let divergence = state.stopped.get_or_insert_with(|| {
                diverged[r].take().unwrap_or_else(|| {
                    let (agent, quantity, value) = view.problem(r);
                    Divergence { update: next, agent, quantity: quantity.into(), value }
                })
            });
            let divergence = divergence.clone();
            state.resumed = None;
            reports.push(RunReport::stopped(id, agents, state.last_good.as_ref(), divergence));
        }
        Ok(StepReport { update: self.update, wall_ms: start.elapsed().as_secs_f32() * 1e3, runs: reports })
    }

    /// The same-batch gradient comparison of every active run's batch (config `theory_check`):
    /// under each compared estimator (the config's, then global-step and agent-wise), the loss
    /// of a plain policy gradient (no clipping, entropy or KL: the credit's own gradient) at the
    /// parameters that collected the batch, and each agent's gradient norm, in one backward pass
    /// and one read-back.
    async fn theory_check(&self, batches: &[RunBatch], active: &[bool]) -> Result<Vec<Option<TheoryCheck>>, TrainError> {
        let mut compared = self.config.estimators.clone();
        for e in [Estimator::GlobalStep, Estimator::AgentWise] {
            if !compared.contains(&e) {
                compared.push(e);
            }
        }
        // One virtual run per (active run, compared estimator); an estimator that does not apply
        // keeps zero advantages (its rows add nothing) and its error.
        let mut cases: Vec<(usize, Estimator, Result<Advantages, String>)> = Vec::new();
        for (r, b) in batches.iter().enumerate().filter(|(r, _)| active[*r]) {
            for &e in &compared {
                let result = if e == self.runs[r].estimator {
                    Ok(b.advantages.clone())
                } else {
                    self.estimate(e, &b.rollout, b.policies.as_ref()).map_err(|err| err.to_string())
                };
                cases.push((r, e, result));
            }
        }
        if cases.is_empty() {
            return Ok(vec![None; batches.len()]);
        }
        let zeros: Vec<Advantages> =
            batches.iter().map(|b| Advantages { values: vec![0.0; b.rollout.batch.len()], ledger: Vec::new() }).collect();
        let pairs: Vec<(&Rollout, &Advantages)> =
            cases.iter().map(|(r, _, result)| (&batches[*r].rollout, result.as_ref().unwrap_or(&zeros[*r]))).collect();
        let agents = self.layout.agents;
        let layout = Layout::new(cases.len(), agents, self.config.policy);
        let device = self.backend.device.clone();
        let sizes = (self.game.observation_size(), self.shape.input, self.shape.actions);
        let rows = Rows::pack(&pairs, &vec![true; cases.len()], &layout, sizes, &device);
        // Each case's copy of its run's parameter models.
        let per_run = self.layout.per_run;
        let index: Vec<i64> = cases.iter().flat_map(|(r, _, _)| (r * per_run..(r + 1) * per_run).map(|m| m as i64)).collect();
        let index = Tensor::<1, burn::tensor::Int>::from_data(TensorData::new(index, [cases.len() * per_run]), &device);
        let selected = self.params.clone().map(|p| p.select(0, index.clone()));
        let tracked = self.forward_params(&selected).map(|p| p.autodiff().require_grad());
        let plain = TrainConfig { ppo_clip: None, entropy_coef: 0.0, kl_coef: 0.0, ..self.config.clone() };
        let grads = loss::gradients(&plain, tracked, &rows, &Anchors { old_chosen: None, init_log_probs: None }, &layout)?;
        let squares = read_back(grads.agent_sq).await?;
        // Per-sample second moments on the host: Σ_i A_i² ‖∇log π_i‖² per (case, agent).
        let mut moments = vec![0.0f64; cases.len() * agents];
        for (r, b) in batches.iter().enumerate().filter(|(r, _)| active[*r]) {
            let rollout = &b.rollout;
            let (obs, actions) = (self.game.observation_size(), rollout.actions);
            let scores: Vec<f64> = rollout
                .batch
                .samples
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let (o, l) = (&rollout.observations[i * obs..(i + 1) * obs], &rollout.legal[i * actions..(i + 1) * actions]);
                    self.host.score_norm_sq(r, s.agent as usize, o, l, s.action.unwrap_or(0) as usize)
                })
                .collect();
            for (c, _) in cases.iter().enumerate().filter(|(_, (run, _, _))| *run == r) {
                for (i, s) in rollout.batch.samples.iter().enumerate() {
                    moments[c * agents + s.agent as usize] += f64::from(pairs[c].1.values[i]).powi(2) * scores[i];
                }
            }
        }
        let mut per_run: Vec<Vec<ComparedNorms>> = vec![Vec::new(); batches.len()];
        let mut ratios: Vec<Vec<Option<f32>>> = vec![Vec::new(); batches.len()];
        let case_of = |r: usize, e: Estimator| cases.iter().position(|(run, est, res)| *run == r && *est == e && res.is_ok());
        for (r, ratio) in ratios.iter_mut().enumerate() {
            if let (Some(g), Some(w)) = (case_of(r, Estimator::GlobalStep), case_of(r, Estimator::AgentWise)) {
                *ratio = (0..agents)
                    .map(|k| {
                        let (num, den) = (moments[g * agents + k], moments[w * agents + k]);
                        (den > 0.0).then(|| (num / den) as f32).filter(|v| v.is_finite())
                    })
                    .collect();
            }
        }
        drop(pairs);
        for (c, (r, e, result)) in cases.into_iter().enumerate() {
            let sq = squares[c * agents..(c + 1) * agents].to_vec();
            per_run[r].push((e, result.map(|_| sq)));
        }
        Ok(per_run
            .into_iter()
            .zip(ratios)
            .enumerate()
            .map(|(r, (compared, ratio))| (!compared.is_empty()).then(|| TheoryCheck::new(compared, ratio, &batches[r].rollout.batch, agents)))
            .collect())
    }

    /// Plays every run's batch and computes its advantages.
    fn collect(&mut self) -> Result<Vec<RunBatch>, TrainError> {
        let (groups, group_size) = (self.config.groups as usize, self.config.group_size as usize);
        let mut batches = Vec::with_capacity(self.runs.len());
        for r in 0..self.runs.len() {
            let estimator = self.runs[r].estimator;
            let policy = MemoPolicy::new(RunPolicy { host: &self.host, run: r });
            let anchors = estimator.needs().anchors;
            let rollout = play_any(&self.game, &policy, groups, group_size, &mut self.runs[r].streams, anchors);
            let policies = self.counterfactual_policies(r);
            let advantages = self.estimate(estimator, &rollout, policies.as_ref())?;
            batches.push(RunBatch { rollout, advantages, policies, update: self.update + 1 });
        }
        Ok(batches)
    }

    /// The next update's problem as the device gets it, for the benchmark's in-browser peers
    /// (TensorFlow.js, jax-js), which start from it and must compute the same loss: the current
    /// parameters, the rows of a freshly collected batch (every run's, as [`MlpTrainer::step`]
    /// packs them) and the loss the lab computes there. It plays one batch, so the runs' random
    /// streams move on; the parameters do not change.
    pub async fn update_probe(&mut self) -> Result<UpdateProbe, TrainError> {
        let batches = self.collect()?;
        let pairs: Vec<(&Rollout, &Advantages)> = batches.iter().map(|b| (&b.rollout, &b.advantages)).collect();
        let sizes = (self.game.observation_size(), self.shape.input, self.shape.actions);
        let rows = HostRows::pack(&pairs, &vec![true; pairs.len()], &self.layout, sizes);
        let plain = TrainConfig { ppo_clip: None, entropy_coef: 0.0, kl_coef: 0.0, ..self.config.clone() };
        let device = self.backend.device.clone();
        let loss = loss::loss(&plain, &self.forward_params(&self.params), &rows.clone().upload(&device), &Anchors { old_chosen: None, init_log_probs: None });
        let loss = read_back(loss).await?.first().copied().unwrap_or(f32::NAN);
        let [w1, b1, w2, b2] = self.host.params.clone();
        Ok(UpdateProbe {
            input: self.shape.input,
            hidden: self.shape.hidden,
            actions: self.shape.actions,
            w1,
            b1,
            w2,
            b2,
            learning_rates: self.adam.learning_rates().to_vec(),
            rows,
            loss,
        })
    }

    /// `estimator`'s advantages and ledger on a rollout, with what it needs: step rewards or
    /// episode returns, and the game's payoffs with the collecting policies.
    fn estimate(&self, estimator: Estimator, rollout: &Rollout, policies: Option<&Vec<Vec<f64>>>) -> Result<Advantages, TrainError> {
        self.estimate_with(estimator, &self.config.estimator_options(), rollout, policies)
    }

    /// [`MlpTrainer::estimate`] under other estimator options (the same-batch view's variants).
    fn estimate_with(
        &self,
        estimator: Estimator,
        options: &EstimatorOptions,
        rollout: &Rollout,
        policies: Option<&Vec<Vec<f64>>>,
    ) -> Result<Advantages, TrainError> {
        let options = *options;
        let needs = estimator.needs();
        let step_batch;
        let batch = match needs.rewards {
            Rewards::StepRewards => {
                step_batch = rollout.step_batch();
                &step_batch
            }
            Rewards::EpisodeReturns => &rollout.batch,
        };
        let result = if needs.payoff_oracle {
            let (Some(oracle), Some(policies)) = (self.game.oracle(), policies) else {
                return Err(TrainError::Estimator(format!("{estimator} needs a payoff oracle")));
            };
            let cf = Counterfactual { oracle, policies: policies.clone(), default_actions: vec![0; self.game.agents()] };
            estimator.compute(batch, &options, Some(&cf))
        } else {
            estimator.compute(batch, &options, None)
        };
        result.map_err(|e| TrainError::Estimator(e.to_string()))
    }

    /// The parameters each forward model uses, [M = runs × agents, ·, ·]: with a shared policy,
    /// run r's parameters repeated for each of its agents.
    fn forward_params(&self, params: &[Tensor<3>; 4]) -> [Tensor<3>; 4] {
        let agents = self.layout.agents;
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
        let policies = (0..self.game.agents())
            .map(|k| {
                let (obs, legal) = self.game.reference_decision(k).unwrap_or_default();
                let mut p = vec![0.0f32; self.game.actions()];
                self.host.probs(r, k, &obs, &legal, &mut p);
                let p = &p[..oracle.actions(k)];
                let total: f64 = p.iter().map(|&x| f64::from(x)).sum();
                p.iter().map(|&x| f64::from(x) / total).collect()
            })
            .collect();
        Some(policies)
    }

    fn run_id(&self, run: usize, update: u32) -> RunId {
        let info = &self.runs[run];
        RunId { update, run: run as u32, estimator: info.estimator, seed: info.seed }
    }

    /// Run `run`'s batch of the last update as the page's views show it (see
    /// [`BatchView::of`]). `None` before the first update.
    pub fn batch_view(&self, run: usize, max_samples: usize) -> Option<BatchView> {
        let b = self.last.get(run)?.as_ref()?;
        Some(BatchView::of(self.run_id(run, b.update), &b.rollout, &b.advantages, max_samples))
    }

    /// Every estimator of the config applied to run `run`'s frozen batch of the last update
    /// (the counterfactual ones with the policies that collected it); see [`SameBatch::of`].
    pub fn same_batch(&self, run: usize, max_samples: usize) -> Option<SameBatch> {
        let b = self.last.get(run)?.as_ref()?;
        let estimate = |e, o: &EstimatorOptions| self.estimate_with(e, o, &b.rollout, b.policies.as_ref()).map_err(|err| err.to_string());
        let options = self.config.estimator_options();
        Some(SameBatch::of(self.run_id(run, b.update), &b.rollout.batch, &self.config.estimators, &options, max_samples, estimate))
    }
}

/// One update's problem as the device gets it ([`MlpTrainer::update_probe`]): the plain policy
/// gradient (no clipping, entropy or KL). The parameters are per parameter model and the rows per
/// forward model: the two coincide with separate policies, as in the benchmark's cases.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UpdateProbe {
    /// Observation size O.
    pub input: usize,
    /// Hidden units H.
    pub hidden: usize,
    /// Actions A.
    pub actions: usize,
    /// W1 [M, O, H], row-major.
    pub w1: Vec<f32>,
    /// b1 [M, 1, H].
    pub b1: Vec<f32>,
    /// W2 [M, H, A].
    pub w2: Vec<f32>,
    /// b2 [M, 1, A].
    pub b2: Vec<f32>,
    /// Adam's learning rate per model [M].
    pub learning_rates: Vec<f32>,
    /// The rows.
    pub rows: HostRows,
    /// The lab's loss L = −Σ_m Σ_b w_b A_b log π_m(a_b | o_b) at these parameters.
    pub loss: f32,
}

/// One compared estimator's squared agent norms, or why it does not apply.
type ComparedNorms = (Estimator, Result<Vec<f32>, String>);

