//! The trainer. A config's game decides which one trains it:
//!
//! - the MLP games (bandit, matrix games, the pipeline, the board and card games) train in
//!   [`mlp::MlpTrainer`]: every run of every seed and estimator in one set of stacked tensors,
//!   `MlpTrainer::step` reading as the algorithm (collect → check → pack rows → epochs → one
//!   read-back → reports);
//! - the language agents' tasks (arithmetic) train in [`token::TokenTrainer`]: tiny causal
//!   transformers writing tokens, token-level policy gradient with `loss_agg`.
//!
//! [`Trainer`] is the one face both wear for the page, the CLI, the Python package and the
//! benchmarks: the same [`StepReport`]s, batch views and same-batch comparisons. What only the MLP
//! trainer does (the theory check, the update probe, device-loss recovery, resuming a stopped
//! run) says so through its result.

mod adam;
mod batch;
mod checkpoint;
mod error;
mod layout;
mod loss;
pub mod mlp;
#[cfg(feature = "language")]
pub mod token;

pub use error::TrainError;
pub use loss::HostRows;
pub use mlp::UpdateProbe;

use crate::backend::{Backend, BackendInfo};
use crate::config::TrainConfig;
use crate::env::AnyGame;
use crate::inspect::{BatchView, SameBatch};
use crate::metrics::{Divergence, StepReport};
use crate::policy::{HostPolicy, PolicyShape};
use mlp::MlpTrainer;
#[cfg(feature = "language")]
use token::TokenTrainer;

/// Trains every (estimator, seed) run of a config: the MLP trainer or the token trainer, as the
/// game asks.
#[derive(Debug)]
pub enum Trainer {
    /// The MLP games.
    Mlp(Box<MlpTrainer>),
    /// The language agents' tasks (with the `language` feature).
    #[cfg(feature = "language")]
    Token(Box<TokenTrainer>),
}

/// `$body` with `$t` bound to the trainer inside.
macro_rules! with_trainer {
    ($trainer:expr, $t:ident => $body:expr) => {
        match $trainer {
            Trainer::Mlp($t) => $body,
            #[cfg(feature = "language")]
            Trainer::Token($t) => $body,
        }
    };
}

impl Trainer {
    /// Validates `config`, initialises every run's policy on `backend` (the MLP trainer reads
    /// the initial parameters back).
    pub async fn new(config: TrainConfig, backend: Backend) -> Result<Self, TrainError> {
        if config.game.is_language() {
            #[cfg(feature = "language")]
            return Ok(Trainer::Token(Box::new(TokenTrainer::new(config, backend)?)));
            #[cfg(not(feature = "language"))]
            return Err(TrainError::Config(crate::ConfigError::new(
                "game.kind",
                format!("{} is played by language agents, which this build does not train (the core's `language` feature)", config.game.kind()),
            )));
        }
        Ok(Trainer::Mlp(Box::new(MlpTrainer::new(config, backend).await?)))
    }

    /// The MLP trainer, where the game is an MLP game.
    pub fn mlp(&self) -> Option<&MlpTrainer> {
        match self {
            Trainer::Mlp(t) => Some(t),
            #[cfg(feature = "language")]
            Trainer::Token(_) => None,
        }
    }

    /// The token trainer, where the game is played by language agents.
    #[cfg(feature = "language")]
    pub fn token(&self) -> Option<&TokenTrainer> {
        match self {
            Trainer::Token(t) => Some(t),
            Trainer::Mlp(_) => None,
        }
    }

    /// The config being trained.
    pub fn config(&self) -> &TrainConfig {
        with_trainer!(self, t => t.config())
    }

    /// The backend and why it was chosen.
    pub fn backend(&self) -> &BackendInfo {
        with_trainer!(self, t => t.backend())
    }

    /// The MLP game being played (`None` for language agents).
    pub fn game(&self) -> Option<&AnyGame> {
        self.mlp().map(MlpTrainer::game)
    }

    /// The MLP policy as last read back (`None` for language agents).
    pub fn host_policy(&self) -> Option<&HostPolicy> {
        self.mlp().map(MlpTrainer::host_policy)
    }

    /// The MLP policy's shape (`None` for language agents).
    pub fn policy_shape(&self) -> Option<PolicyShape> {
        self.mlp().map(MlpTrainer::policy_shape)
    }

    /// Updates done so far.
    pub fn updates_done(&self) -> u32 {
        with_trainer!(self, t => t.updates_done())
    }

    /// Wall time (ms) of the last update step proper (loss, backward passes, optimizer).
    pub fn last_update_ms(&self) -> f64 {
        with_trainer!(self, t => t.last_update_ms())
    }

    /// Whether every configured update has been done.
    pub fn is_finished(&self) -> bool {
        with_trainer!(self, t => t.is_finished())
    }

    /// Run `run`'s divergence, while it is stopped.
    pub fn divergence(&self, run: usize) -> Option<&Divergence> {
        with_trainer!(self, t => t.divergence(run))
    }

    /// Whether every run has diverged (nothing would train).
    pub fn all_stopped(&self) -> bool {
        with_trainer!(self, t => t.all_stopped())
    }

    /// Takes stopped run `run` on from its last finite state (the MLP games; see
    /// [`MlpTrainer::resume`]).
    pub fn resume(&mut self, run: usize, learning_rate_factor: f32) -> Result<(), TrainError> {
        match self {
            Trainer::Mlp(t) => t.resume(run, learning_rate_factor),
            #[cfg(feature = "language")]
            Trainer::Token(_) => Err(TrainError::Resume("resuming a stopped run is not yet available for language agents".into())),
        }
    }

    /// Checkpointing for device-loss recovery (the MLP games; language agents ignore it).
    pub fn set_checkpointing(&mut self, on: bool) {
        #[allow(irrefutable_let_patterns)]
        if let Trainer::Mlp(t) = self {
            t.set_checkpointing(on);
        }
    }

    /// Whether [`Trainer::recover`] can go on from the last report.
    pub fn can_recover(&self) -> bool {
        self.mlp().is_some_and(MlpTrainer::can_recover)
    }

    /// Fault injection for tests (the MLP games).
    pub fn inject_device_failure(&mut self, update: u32) {
        #[allow(irrefutable_let_patterns)]
        if let Trainer::Mlp(t) = self {
            t.inject_device_failure(update);
        }
    }

    /// After a failed step (a lost device), the same trainer on `backend` (see
    /// [`MlpTrainer::recover`]).
    pub async fn recover(self, backend: Backend) -> Result<Trainer, TrainError> {
        match self {
            Trainer::Mlp(t) => Ok(Trainer::Mlp(Box::new(t.recover(backend).await?))),
            #[cfg(feature = "language")]
            Trainer::Token(_) => Err(TrainError::Device("device-loss recovery is not yet available for language agents".into())),
        }
    }

    /// One update of every run.
    pub async fn step(&mut self) -> Result<StepReport, TrainError> {
        with_trainer!(self, t => t.step().await)
    }

    /// The next update's problem for the benchmark's peers (the MLP games; see
    /// [`MlpTrainer::update_probe`]).
    pub async fn update_probe(&mut self) -> Result<UpdateProbe, TrainError> {
        match self {
            Trainer::Mlp(t) => t.update_probe().await,
            #[cfg(feature = "language")]
            Trainer::Token(_) => Err(TrainError::Device("the update probe is the MLP policy's".into())),
        }
    }

    /// Run `run`'s batch of the last update as the page's views show it.
    pub fn batch_view(&self, run: usize, max_samples: usize) -> Option<BatchView> {
        with_trainer!(self, t => t.batch_view(run, max_samples))
    }

    /// Every estimator of the config applied to run `run`'s frozen batch of the last update.
    pub fn same_batch(&self, run: usize, max_samples: usize) -> Option<SameBatch> {
        with_trainer!(self, t => t.same_batch(run, max_samples))
    }
}
