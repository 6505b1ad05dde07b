//! The language agents' trainer: token-level policy gradient for games played by token
//! policies (`env::arithmetic`), one [`TokenModel`] per agent of each run (or one per run,
//! shared by its agents).
//!
//! An update, in the order it happens (REFERENCE.md, "Token-level policy gradient"):
//!
//! 1. **Collect**: each run plays `groups × group_size` episodes; every response the task asks
//!    for is sampled from its agent's model, all of one round's responses at once (the run's
//!    sampling stream, one uniform per token). Each response is one sample, credited with its
//!    agent's episode return; its anchor is its prompt (GiGPO's step groups).
//! 2. **Advantages**: the run's estimator maps the batch to one advantage A per response.
//! 3. **Loss per agent**: A is broadcast to the response's tokens; per token
//!    ℓ_t = −A log π_θ(o_t|·) (or PPO's clipped −min(ρ_t A, clip(ρ_t, 1−ε, 1+ε) A) with
//!    ρ_t = π_θ/π_old, π_old the collecting model), minus β times the token's entropy; the
//!    agent's tokens are aggregated by `loss_agg` ([`token_loss`]).
//! 4. **Gradients**: each agent's loss is back-propagated on its own, so its pre-clip gradient
//!    norm is its own (with a shared model, its contribution to the shared gradient); a model's
//!    gradient is the sum over its agents; `max_grad_norm` clips the run's whole gradient.
//! 5. **Adam** (burn's, per model, the agent's learning rate), `epochs` times.
//! 6. **Reports**: the same [`RunReport`] as the MLP games', with the task's figures
//!    (`accuracy`, …) and each agent's mean response length (`tokens`).
//!
//! A run whose batch or gradient holds a non-finite number stops, as in the MLP trainer; its
//! models keep their last finite state.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Tensor, TensorData};
use web_time::Instant;

use super::adam::{ADAM_BETA1, ADAM_BETA2, ADAM_EPS};
use super::error::{read_back, TrainError};
use crate::advantage::Advantages;
use crate::backend::{Backend, BackendInfo};
use crate::config::{LossAgg, TrainConfig};
use crate::env::arithmetic::{self, ArithmeticConfig, Episodes, Response, END, PAD, VOCAB_SIZE};
use crate::env::GameConfig;
use crate::estimator::{Estimator, Rewards};
use crate::inspect::{BatchView, ResponseView, RunId, SameBatch};
use crate::metrics::{mean_std, predicted_inflations, AgentReport, Divergence, RunReport, StepReport};
use crate::policy::transformer::{Sampling, TokenModel, TokenRows, TokenShape};
use crate::policy::PolicySharing;
use crate::rng::RunStreams;
use crate::rollout::{Rollout, Sample};
use crate::EstimatorOptions;

/// The per-token losses of a batch of N responses aggregated by `agg` (REFERENCE.md):
/// `log_p`, `mask` [N, T]; `advantages` [N, 1], broadcast to the tokens; with `clip` = Some((ε,
/// old log-probs)) the PPO-clipped loss. `t_max` is T_max of `seq-mean-token-sum-norm`.
pub fn token_loss(log_p: Tensor<2>, advantages: Tensor<2>, mask: Tensor<2>, agg: LossAgg, clip: Option<(f32, Tensor<2>)>, t_max: usize) -> Tensor<1> {
    let [n, _] = log_p.dims();
    let per_token = match clip {
        Some((eps, old)) => {
            let ratio = log_p.sub(old).exp();
            let unclipped = ratio.clone().mul(advantages.clone());
            let clipped = ratio.clamp(1.0 - eps, 1.0 + eps).mul(advantages);
            unclipped.min_pair(clipped).neg()
        }
        None => log_p.mul(advantages).neg(),
    };
    aggregate(per_token, mask, agg, n, t_max)
}

/// Σ over the masked tokens of `per_token` [N, T], normalised as `agg` says.
fn aggregate(per_token: Tensor<2>, mask: Tensor<2>, agg: LossAgg, n: usize, t_max: usize) -> Tensor<1> {
    let masked = per_token.mul(mask.clone());
    let n = n.max(1) as f32;
    match agg {
        LossAgg::TokenMean => masked.sum().div(mask.sum().clamp_min(1.0)),
        LossAgg::SeqMeanTokenSum => masked.sum().div_scalar(n),
        LossAgg::SeqMeanTokenMean => masked.sum_dim(1).div(mask.sum_dim(1).clamp_min(1.0)).sum().div_scalar(n),
        LossAgg::SeqMeanTokenSumNorm => masked.sum().div_scalar(n * t_max.max(1) as f32),
    }
}

/// One run: its models (one per agent, or one shared), their optimizers and streams.
struct TokenRun {
    estimator: Estimator,
    seed: u64,
    streams: RunStreams,
    models: Vec<TokenModel>,
    optimizers: Vec<ModuleOptimizer>,
    stopped: Option<Divergence>,
    last_good: Option<RunReport>,
}

/// One run's batch of the last update (for the views).
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// The update that collected it (1-based).
    pub update: u32,
    /// The batch as the estimators see it.
    pub rollout: Rollout,
    /// Its advantages.
    pub advantages: Advantages,
    /// Every response, in sample order.
    pub responses: Vec<Response>,
}

/// The language agents' trainer (see the module's doc).
pub struct TokenTrainer {
    config: TrainConfig,
    task: ArithmeticConfig,
    backend: Backend,
    runs: Vec<TokenRun>,
    update: u32,
    last: Vec<Option<TokenBatch>>,
    last_update_ms: f64,
}

impl std::fmt::Debug for TokenTrainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenTrainer({} runs, update {})", self.runs.len(), self.update)
    }
}

impl TokenTrainer {
    /// Validates `config` (a language game) and initialises every run's models.
    pub fn new(config: TrainConfig, backend: Backend) -> Result<Self, TrainError> {
        config.validate()?;
        let GameConfig::Arithmetic(task) = &config.game else {
            return Err(TrainError::Config(crate::ConfigError::new("game.kind", "the token trainer trains language games only")));
        };
        let task = task.clone();
        let device = backend.device.clone().autodiff();
        let shared = config.policy == PolicySharing::Shared;
        let positions = task.max_positions();
        let mut runs = Vec::with_capacity(config.runs());
        for &estimator in &config.estimators {
            for &seed in &config.seeds {
                let mut streams = RunStreams::from_seed(seed);
                let sizes = if shared { &task.agents[..1] } else { &task.agents[..] };
                let models: Vec<TokenModel> = sizes
                    .iter()
                    .map(|s| {
                        let shape = TokenShape {
                            vocab: VOCAB_SIZE,
                            positions,
                            width: s.width as usize,
                            blocks: s.blocks as usize,
                            heads: s.heads as usize,
                        };
                        TokenModel::new(shape, &device, &mut streams.init)
                    })
                    .collect();
                let optimizers = models.iter().map(|_| adam()).collect();
                runs.push(TokenRun { estimator, seed, streams, models, optimizers, stopped: None, last_good: None });
            }
        }
        Ok(Self { last: (0..runs.len()).map(|_| None).collect(), config, task, backend, runs, update: 0, last_update_ms: 0.0 })
    }

    /// The config being trained.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The backend.
    pub fn backend(&self) -> &BackendInfo {
        &self.backend.info
    }

    /// Updates done.
    pub fn updates_done(&self) -> u32 {
        self.update
    }

    /// Whether every configured update is done.
    pub fn is_finished(&self) -> bool {
        self.update >= self.config.updates
    }

    /// Wall time (ms) of the last update's loss, backward passes and Adam steps.
    pub fn last_update_ms(&self) -> f64 {
        self.last_update_ms
    }

    /// Run `run`'s divergence, if it stopped.
    pub fn divergence(&self, run: usize) -> Option<&Divergence> {
        self.runs.get(run)?.stopped.as_ref()
    }

    /// Whether every run has stopped.
    pub fn all_stopped(&self) -> bool {
        self.runs.iter().all(|r| r.stopped.is_some())
    }

    /// Run `run`'s batch of the last update.
    pub fn last_batch(&self, run: usize) -> Option<&TokenBatch> {
        self.last.get(run)?.as_ref()
    }

    fn model_of(&self, agent: usize) -> usize {
        if self.config.policy == PolicySharing::Shared { 0 } else { agent }
    }

    fn learning_rate(&self, agent: usize) -> f32 {
        match (&self.config.agent_learning_rates, self.config.policy) {
            (Some(rates), PolicySharing::Separate) => rates[agent],
            _ => self.config.learning_rate,
        }
    }

    /// One update of every run (see the module's doc).
    pub async fn step(&mut self) -> Result<StepReport, TrainError> {
        if self.is_finished() {
            return Err(TrainError::Finished(self.config.updates));
        }
        let start = Instant::now();
        let next = self.update + 1;
        let mut update_ms = 0.0;
        let mut reports = Vec::with_capacity(self.runs.len());
        for r in 0..self.runs.len() {
            let id = (self.runs[r].estimator, self.runs[r].seed);
            if let Some(divergence) = self.runs[r].stopped.clone() {
                reports.push(RunReport::stopped(id, 2, self.runs[r].last_good.as_ref(), divergence));
                continue;
            }
            let episodes = self.play(r).await?;
            let (rollout, responses) = rollout_of(&episodes);
            let advantages = estimate(self.runs[r].estimator, &self.config.estimator_options(), &rollout)?;
            if let Some(divergence) = Divergence::in_batch(next, &rollout, &advantages, 2) {
                self.runs[r].stopped = Some(divergence.clone());
                reports.push(RunReport::stopped(id, 2, self.runs[r].last_good.as_ref(), divergence));
                continue;
            }
            let update_start = Instant::now();
            let outcome = self.train_run(r, &advantages, &responses).await?;
            update_ms += update_start.elapsed().as_secs_f64() * 1e3;
            match outcome {
                Ok(norms) => {
                    let report = self.report(r, &rollout, &advantages, &responses, norms);
                    self.runs[r].last_good = Some(report.clone());
                    self.last[r] = Some(TokenBatch { update: next, rollout, advantages, responses });
                    reports.push(report);
                }
                Err(divergence) => {
                    self.runs[r].stopped = Some(divergence.clone());
                    reports.push(RunReport::stopped(id, 2, self.runs[r].last_good.as_ref(), divergence));
                }
            }
        }
        self.update = next;
        self.last_update_ms = update_ms;
        Ok(StepReport { update: next, wall_ms: start.elapsed().as_secs_f64() as f32 * 1e3, runs: reports })
    }

    /// Plays run `r`'s batch with its models.
    async fn play(&mut self, r: usize) -> Result<Episodes, TrainError> {
        let device = self.backend.device.clone();
        let (groups, group_size) = (self.config.groups as usize, self.config.group_size as usize);
        let sampling: Vec<TokenModel> = self.runs[r].models.iter().map(|m| m.valid()).collect();
        let run = &mut self.runs[r];
        let mut episodes = Episodes::new(&self.task, groups, group_size, &mut run.streams.env);
        loop {
            let requests = episodes.requests();
            let Some(first) = requests.first() else { break };
            let agent = first.agent;
            let model = &sampling[if self.config.policy == PolicySharing::Shared { 0 } else { agent }];
            let prompts: Vec<Vec<u32>> = requests.iter().map(|q| q.prompt.clone()).collect();
            let legal = arithmetic::legal(agent);
            let max_len = arithmetic::response_length(&self.task, agent);
            let how = Sampling { legal: &legal, end: END, pad: PAD, max_len, temperature: self.task.temperature };
            let responses = model.sample(&prompts, &how, &mut run.streams.sampling, &device).await.map_err(TrainError::Device)?;
            episodes.respond(&requests, responses);
        }
        Ok(episodes)
    }

    /// The loss, backward passes and Adam steps of run `r`: each agent's squared gradient norm
    /// and the run's, or the divergence that stopped it.
    async fn train_run(
        &mut self,
        r: usize,
        advantages: &Advantages,
        responses: &[Response],
    ) -> Result<Result<Norms, Divergence>, TrainError> {
        let device = self.backend.device.clone().autodiff();
        let next = self.update + 1;
        let agents = 2;
        // Each agent's rows: its responses, their advantages.
        let parts: Vec<AgentRows> = (0..agents)
            .map(|k| {
                let mine: Vec<usize> = (0..responses.len()).filter(|&i| responses[i].agent as usize == k).collect();
                let pairs: Vec<(&[u32], &[u32])> = mine.iter().map(|&i| (&responses[i].prompt[..], &responses[i].tokens[..])).collect();
                let t_max = arithmetic::response_length(&self.task, k);
                let rows = TokenRows::pack(&pairs, t_max, PAD);
                let adv: Vec<f32> = mine.iter().map(|&i| advantages.values[i]).collect();
                AgentRows { rows, advantages: adv, t_max }
            })
            .collect();
        let legal: Vec<[bool; VOCAB_SIZE]> = (0..agents).map(arithmetic::legal).collect();
        let tau = self.task.temperature;
        // π_old: the collecting models' log-probs, for PPO's ratio (off the graph, on the device).
        let old: Vec<Option<Tensor<2>>> = (0..agents)
            .map(|k| {
                let part = &parts[k];
                (self.config.ppo_clip.is_some() && part.rows.rows > 0).then(|| {
                    let model = &self.runs[r].models[self.model_of(k)];
                    model.response_log_probs(&part.rows, &legal[k], tau, &device).0.detach()
                })
            })
            .collect();
        // The models and optimizers before the update: an epoch that goes non-finite undoes the
        // whole update, as in the MLP trainer.
        let start_models = self.runs[r].models.clone();
        // (A clone, not a record: a record reads the Adam state back synchronously, which panics
        // on WebGPU in the browser.)
        let start_optimizers = self.runs[r].optimizers.clone();
        let mut first: Option<(Vec<f32>, f32)> = None;
        let mut entropies = vec![0.0f32; agents];
        for _ in 0..self.config.epochs {
            let models = self.runs[r].models.len();
            let mut grads: Vec<Option<GradientsParams>> = (0..models).map(|_| None).collect();
            // Read back at once (asynchronously: WebGPU in the browser cannot read synchronously):
            // each agent's squared norm, the run's, and in the first epoch each agent's entropy.
            let zero = || Tensor::<1>::zeros([1], &device);
            let mut agent_sq: Vec<Tensor<1>> = (0..agents).map(|_| zero()).collect();
            let mut entropy_means: Vec<Tensor<1>> = (0..agents).map(|_| zero()).collect();
            for k in 0..agents {
                let part = &parts[k];
                if part.rows.rows == 0 {
                    continue;
                }
                let m = self.model_of(k);
                let model = &self.runs[r].models[m];
                let (log_p, entropy) = model.response_log_probs(&part.rows, &legal[k], tau, &device);
                let n = part.rows.rows;
                let adv = Tensor::<2>::from_data(TensorData::new(part.advantages.clone(), [n, 1]), &device);
                let mask = Tensor::<2>::from_data(TensorData::new(part.rows.mask.clone(), [n, part.t_max]), &device);
                if first.is_none() {
                    // The behaviour policy's mean entropy per written token (the first epoch's
                    // model is the collecting one).
                    entropy_means[k] = entropy.clone().detach().mul(mask.clone()).sum().div(mask.clone().sum().clamp_min(1.0));
                }
                let clip = self.config.ppo_clip.zip(old[k].clone());
                let mut loss = token_loss(log_p, adv, mask.clone(), self.config.loss_agg, clip, part.t_max);
                if self.config.entropy_coef > 0.0 {
                    let bonus = aggregate(entropy, mask, self.config.loss_agg, n, part.t_max);
                    loss = loss.sub(bonus.mul_scalar(self.config.entropy_coef));
                }
                let g = GradientsParams::from_grads(loss.backward(), model);
                agent_sq[k] = squared_norm(model, &g, &device);
                grads[m] = Some(match grads[m].take() {
                    None => g,
                    Some(sum) => add_grads(model, sum, g),
                });
            }
            let run_sq = if self.model_of(1) == 0 {
                // A shared model: the norm of the summed gradient.
                grads[0].as_ref().map_or_else(zero, |g| squared_norm(&self.runs[r].models[0], g, &device))
            } else {
                agent_sq.iter().cloned().fold(zero(), Tensor::add)
            };
            let read = Tensor::cat(agent_sq.into_iter().chain([run_sq]).chain(entropy_means).collect(), 0);
            let host = read_back(read).await?;
            let (agent_sq, run_sq) = (host[..agents].to_vec(), host[agents]);
            if first.is_none() {
                entropies = host[agents + 1..].to_vec();
                first = Some((agent_sq.clone(), run_sq));
            }
            if let Some((k, v)) = agent_sq.iter().enumerate().find(|(_, v)| !v.is_finite()).map(|(k, v)| (Some(k as u32), *v)).or((!run_sq.is_finite()).then_some((None, run_sq))) {
                let run = &mut self.runs[r];
                run.models = start_models;
                run.optimizers = start_optimizers;
                return Ok(Err(Divergence { update: next, agent: k, quantity: "gradient norm".into(), value: format!("{}", v.sqrt()) }));
            }
            let scale = match self.config.max_grad_norm {
                Some(max) if run_sq.sqrt() > max => max / run_sq.sqrt(),
                _ => 1.0,
            };
            for (m, g) in grads.into_iter().enumerate() {
                let Some(mut g) = g else { continue };
                if scale != 1.0 {
                    g = scale_grads(&self.runs[r].models[m], g, scale);
                }
                let agent = if models == 1 { 0 } else { m };
                let rate = f64::from(self.learning_rate(agent));
                let run = &mut self.runs[r];
                let model = run.models[m].clone();
                run.models[m] = run.optimizers[m].step(rate, model, g);
            }
        }
        let (agent_sq, run_sq) = first.unwrap_or((vec![0.0; agents], 0.0));
        Ok(Ok(Norms { agent_sq, run_sq, entropies }))
    }

    /// Run `r`'s report of this update.
    fn report(&self, r: usize, rollout: &Rollout, advantages: &Advantages, responses: &[Response], norms: Norms) -> RunReport {
        let Norms { agent_sq, run_sq, entropies } = norms;
        let run = &self.runs[r];
        let batch = &rollout.batch;
        let predicted = predicted_inflations(batch, 2);
        let finite = |v: f32| v.is_finite().then_some(v);
        let agents = (0..2)
            .map(|k| {
                let mine: Vec<usize> = (0..batch.len()).filter(|&i| batch.samples[i].agent as usize == k).collect();
                let rewards: Vec<f32> = mine.iter().map(|&i| batch.samples[i].reward).collect();
                let advs: Vec<f32> = mine.iter().map(|&i| advantages.values[i]).collect();
                let scores: Vec<f32> = mine.iter().map(|&i| rollout.scores[i]).collect();
                let lengths: Vec<f32> = mine.iter().map(|&i| responses[i].tokens.len() as f32).collect();
                let (reward_mean, reward_std) = mean_std(&rewards);
                let (advantage_mean, advantage_std) = mean_std(&advs);
                AgentReport {
                    samples: mine.len() as u32,
                    reward_mean,
                    reward_std,
                    reward_score: mean_std(&scores).0,
                    advantage_mean,
                    advantage_std,
                    advantage_min: advs.iter().copied().fold(f32::INFINITY, f32::min).min(f32::MAX),
                    advantage_max: advs.iter().copied().fold(f32::NEG_INFINITY, f32::max).max(f32::MIN),
                    grad_norm: finite(agent_sq[k].sqrt()),
                    entropy: entropies[k],
                    action_probs: Vec::new(),
                    update_norm: None,
                    predicted_inflation: predicted[k],
                    tokens: (!lengths.is_empty()).then(|| mean_std(&lengths).0),
                }
            })
            .collect();
        RunReport {
            estimator: run.estimator,
            seed: run.seed,
            team_reward_mean: mean_std(&rollout.team_returns).0,
            figures: rollout.figures.clone(),
            grad_norm: finite(run_sq.sqrt()),
            agents,
            diverged: None,
            resumed: None,
            theory: None,
        }
    }

    fn run_id(&self, run: usize, update: u32) -> RunId {
        let info = &self.runs[run];
        RunId { update, run: run as u32, estimator: info.estimator, seed: info.seed }
    }

    /// Run `run`'s batch of the last update as the page's views show it.
    pub fn batch_view(&self, run: usize, max_samples: usize) -> Option<BatchView> {
        let b = self.last.get(run)?.as_ref()?;
        let mut view = BatchView::of(self.run_id(run, b.update), &b.rollout, &b.advantages, max_samples);
        view.responses = b.responses[..view.samples.len()]
            .iter()
            .map(|r| ResponseView {
                prompt: arithmetic::text(&r.prompt),
                tokens: r.tokens.iter().map(|&t| arithmetic::text(&[t])).collect(),
                round: r.round,
                correct: r.correct,
            })
            .collect();
        Some(view)
    }

    /// Every estimator of the config applied to run `run`'s frozen batch of the last update.
    pub fn same_batch(&self, run: usize, max_samples: usize) -> Option<SameBatch> {
        let b = self.last.get(run)?.as_ref()?;
        let options = self.config.estimator_options();
        let estimate = |e: Estimator, o: &EstimatorOptions| estimate(e, o, &b.rollout).map_err(|err| err.to_string());
        Some(SameBatch::of(self.run_id(run, b.update), &b.rollout.batch, &self.config.estimators, &options, max_samples, estimate))
    }
}

/// What an update measured of one run: each agent's and the run's squared pre-clip gradient
/// norm (first epoch) and each agent's mean entropy per written token.
struct Norms {
    agent_sq: Vec<f32>,
    run_sq: f32,
    entropies: Vec<f32>,
}

/// One agent's packed responses.
struct AgentRows {
    rows: TokenRows,
    advantages: Vec<f32>,
    t_max: usize,
}

/// `estimator`'s advantages on a token rollout (episode returns or step rewards, as it needs;
/// no payoff oracle: the config refuses those estimators).
fn estimate(estimator: Estimator, options: &EstimatorOptions, rollout: &Rollout) -> Result<Advantages, TrainError> {
    let step_batch;
    let batch = match estimator.needs().rewards {
        Rewards::StepRewards => {
            step_batch = rollout.step_batch();
            &step_batch
        }
        Rewards::EpisodeReturns => &rollout.batch,
    };
    estimator.compute(batch, options, None).map_err(|e| TrainError::Estimator(e.to_string()))
}

/// The batch the estimators see: one sample per response, credited with its agent's episode
/// return; step rewards paid where they fall (a verdict's judgement at the verdict, the outcome at
/// each agent's last response of the episode); the anchor is the prompt's text.
pub fn rollout_of(episodes: &Episodes) -> (Rollout, Vec<Response>) {
    let mut responses = episodes.responses.clone();
    responses.sort_by_key(|r| (r.episode, r.turn));
    let mut rollout = Rollout { actions: VOCAB_SIZE, ..Rollout::default() };
    for (i, resp) in responses.iter().enumerate() {
        let (episode, agent) = (resp.episode as usize, resp.agent as usize);
        let last_of_agent = responses[i + 1..].iter().take_while(|r| r.episode == resp.episode).all(|r| r.agent != resp.agent);
        let total = episodes.episode_return(episode, agent);
        let step = match agent {
            _ if episodes.judged(agent) => f32::from(u8::from(resp.correct)) * episodes.scale(agent),
            _ if last_of_agent => total,
            _ => 0.0,
        };
        rollout.batch.samples.push(Sample {
            group: resp.group,
            episode: resp.episode,
            agent: resp.agent,
            turn: resp.turn,
            reward: total,
            anchor: Some(arithmetic::text(&resp.prompt)),
            action: None,
        });
        rollout.step_rewards.push(step);
        rollout.scores.push(total / episodes.best_return(agent));
    }
    rollout.team_returns = (0..episodes.len()).map(|e| episodes.episode_return(e, 0) + episodes.episode_return(e, 1)).collect();
    rollout.figures = episodes.figures().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    (rollout, responses)
}

/// Σ‖g‖² over a module's parameters, on the device ([1]).
fn squared_norm<M: Module>(model: &M, grads: &GradientsParams, device: &burn::tensor::Device) -> Tensor<1> {
    struct Norm<'a> {
        grads: &'a GradientsParams,
        sum: Option<Tensor<1>>,
    }
    impl ModuleVisitor for Norm<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.get::<D>(param.id) {
                let sq = g.square().sum();
                self.sum = Some(match self.sum.take() {
                    Some(total) => total.add(sq),
                    None => sq,
                });
            }
        }
    }
    let mut norm = Norm { grads, sum: None };
    model.visit(&mut norm);
    norm.sum.unwrap_or_else(|| Tensor::<1>::zeros([1], device))
}

/// A fresh Adam (burn's) with the MLP trainer's β₁, β₂ and ε.
fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_beta_1(ADAM_BETA1).with_beta_2(ADAM_BETA2).with_epsilon(ADAM_EPS).init()
}


/// a + b, parameter by parameter.
fn add_grads<M: Module>(model: &M, a: GradientsParams, b: GradientsParams) -> GradientsParams {
    struct Add {
        a: GradientsParams,
        b: GradientsParams,
    }
    impl ModuleVisitor for Add {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            match (self.a.remove::<D>(param.id), self.b.remove::<D>(param.id)) {
                (Some(x), Some(y)) => self.a.register(param.id, x.add(y)),
                (Some(x), None) | (None, Some(x)) => self.a.register(param.id, x),
                (None, None) => {}
            }
        }
    }
    let mut add = Add { a, b };
    model.visit(&mut add);
    add.a
}

/// c · g, parameter by parameter.
fn scale_grads<M: Module>(model: &M, grads: GradientsParams, c: f32) -> GradientsParams {
    struct Scale {
        grads: GradientsParams,
        c: f32,
    }
    impl ModuleVisitor for Scale {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                self.grads.register(param.id, g.mul_scalar(self.c));
            }
        }
    }
    let mut scale = Scale { grads, c };
    model.visit(&mut scale);
    scale.grads
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn loss_of(agg: LossAgg, clip: Option<(f32, Vec<f32>)>) -> f32 {
        let device = Device::flex();
        // Two responses: 3 tokens (A = 2) and 1 token (A = −1); T_max = 4.
        let log_p = Tensor::<2>::from_data(TensorData::new(vec![-0.5f32, -1.0, -2.0, 0.0, -0.25, 0.0, 0.0, 0.0], [2, 4]), &device);
        let adv = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, -1.0], [2, 1]), &device);
        let mask = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0], [2, 4]), &device);
        let clip = clip.map(|(eps, old)| (eps, Tensor::<2>::from_data(TensorData::new(old, [2, 4]), &device)));
        token_loss(log_p, adv, mask, agg, clip, 4).into_scalar::<f32>()
    }

    /// ℓ = −A log π: response 1's tokens 1, 2, 4 (sum 7), response 2's token −0.25.
    #[test]
    fn each_aggregation_matches_the_hand_computed_batch() {
        let cases = [
            (LossAgg::TokenMean, (7.0 - 0.25) / 4.0),
            (LossAgg::SeqMeanTokenSum, (7.0 - 0.25) / 2.0),
            (LossAgg::SeqMeanTokenMean, (7.0 / 3.0 - 0.25) / 2.0),
            (LossAgg::SeqMeanTokenSumNorm, (7.0 - 0.25) / (2.0 * 4.0)),
        ];
        for (agg, want) in cases {
            let got = loss_of(agg, None);
            assert!((got - want).abs() < 1e-6, "{}: {got} vs {want}", agg.name());
        }
    }

    /// With π_old = π every ratio is 1 and the clipped loss is the plain one; with π_old
    /// smaller on a token of positive advantage the ratio is clipped at 1 + ε.
    #[test]
    fn ppo_clip_at_token_level() {
        let same = vec![-0.5f32, -1.0, -2.0, 0.0, -0.25, 0.0, 0.0, 0.0];
        assert!((loss_of(LossAgg::SeqMeanTokenSum, Some((0.2, same))) - (-(2.0 * 3.0) + 1.0) / 2.0).abs() < 1e-6);
        // Token 1 of response 1: ρ = e^{−0.5 − (−1.5)} = e ≈ 2.72 > 1.2 with A = 2: clipped to 1.2 · 2.
        let old = vec![-1.5f32, -1.0, -2.0, 0.0, -0.25, 0.0, 0.0, 0.0];
        let want = (-(1.2 * 2.0 + 2.0 + 2.0) + 1.0) / 2.0;
        assert!((loss_of(LossAgg::SeqMeanTokenSum, Some((0.2, old))) - want).abs() < 1e-5);
    }
}
