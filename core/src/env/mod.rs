//! The games. Each lives in its own file with its rules and payoffs at the top, and implements
//! the one small [`Game`] trait that the rollout loop ([`crate::rollout::play`]) drives.
//!
//! A game is played in *groups*: [`Game::task`] draws a group's task (GRPO's "prompt": a bandit
//! context, a card deal, a gridworld layout) once, and the group's G episodes all
//! [`Game::start`] from it. Inside an episode, [`Game::acting`] names the agents that move now
//! (several for simultaneous moves, one for turn-based games), each picks a legal action from its
//! observation, and [`Game::step`] applies the joint action and hands out per-agent rewards.
//! All environment randomness comes from the run's env stream.

pub mod bandit;
pub mod foraging;
pub mod kuhn;
pub mod matrix;
pub mod pipeline;
pub mod tictactoe;

use rand_chacha::ChaCha8Rng;

use crate::advantage::oracle::PayoffOracle;
use crate::config::{ConfigError, GameConfig};
use crate::rng::RunStreams;
use crate::rollout::{play, Rollout};

/// A policy the games can query: for evaluations (NashConv, win rate against minimax) and for
/// the rollout loop.
pub trait PolicyView {
    /// Writes agent `agent`'s action probabilities for observation `obs` into `out` (one per
    /// action); actions whose `legal` entry is false get probability 0.
    fn probs(&self, agent: usize, obs: &[f32], legal: &[bool], out: &mut [f32]);
}

/// One named figure of a game (e.g. `nash_conv`), averaged over episodes or computed exactly.
pub type Figure = (&'static str, f32);

/// The interface every game implements.
pub trait Game {
    /// What a group shares: its initial state / task.
    type Task: Clone;
    /// The state of one episode.
    type State: Clone;

    /// Number of agents (roles with their own policy).
    fn agents(&self) -> usize;
    /// Actions A (the same index space for every agent; [`Game::legal`] masks the rest).
    fn actions(&self) -> usize;
    /// Length O of an observation vector.
    fn observation_size(&self) -> usize;
    /// Draws a group's task from the env stream.
    fn task(&self, env: &mut ChaCha8Rng) -> Self::Task;
    /// Starts one episode of the group (may draw per-episode randomness).
    fn start(&self, task: &Self::Task, env: &mut ChaCha8Rng) -> Self::State;
    /// The agents that act now, in order (several for simultaneous moves); empty once the
    /// episode is over. Every game ends after a bounded number of steps.
    fn acting(&self, state: &Self::State, out: &mut Vec<usize>);
    /// Agent `agent`'s legal actions now (`mask.len() == actions()`, all false on entry).
    fn legal(&self, state: &Self::State, agent: usize, mask: &mut [bool]);
    /// Agent `agent`'s observation now (`obs.len() == observation_size()`, all 0 on entry).
    fn observe(&self, state: &Self::State, agent: usize, obs: &mut [f32]);
    /// The anchor-state key of agent `agent`'s decision now (for GiGPO's step groups): equal
    /// keys mean the same situation for the same agent.
    fn anchor(&self, state: &Self::State, agent: usize) -> String;
    /// Applies the joint action `(agent, action)` of the acting agents and adds each agent's
    /// reward for this step to `rewards` (`rewards.len() == agents()`, all 0 on entry).
    fn step(&self, state: &mut Self::State, joint: &[(usize, usize)], env: &mut ChaCha8Rng, rewards: &mut [f32]);
    /// The range (worst, best) of agent `agent`'s episode return in `task`: the reward score
    /// maps it to 0..1 so that agents on different scales can be compared.
    fn return_range(&self, task: &Self::Task, agent: usize) -> (f32, f32);
    /// The team's return from the agents' returns: their sum, unless every agent is paid the
    /// team's reward (common payoff), where it is that common value.
    fn team_return(&self, _state: &Self::State, returns: &[f32]) -> f32 {
        returns.iter().sum()
    }
    /// Figures of one finished episode (averaged over the batch), e.g. `food_collected`.
    fn episode_figures(&self, _state: &Self::State, _figures: &mut Vec<Figure>) {}
    /// Figures of a policy, computed exactly (NashConv, results against minimax, expected payoff).
    fn policy_figures(&self, _policy: &dyn PolicyView) -> Vec<Figure> {
        Vec::new()
    }
    /// The decision whose action probabilities a report shows for agent `agent` (an observation
    /// and its legal mask), where the game has a natural one.
    fn reference_decision(&self, _agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        None
    }
    /// The grid cell (row, column) where agent `agent` stands now, in games played on a grid
    /// (the page's credit map shows advantages per cell).
    fn cell(&self, _state: &Self::State, _agent: usize) -> Option<[u8; 2]> {
        None
    }
}

/// Any game of the lab, built from its config; dispatches to the concrete game.
#[derive(Debug, Clone)]
pub enum AnyGame {
    /// The sculptable bandit.
    Bandit(bandit::Bandit),
    /// A matrix game.
    Matrix(matrix::MatrixGame),
    /// The solver–verifier pipeline.
    Pipeline(pipeline::Pipeline),
    /// Kuhn poker.
    Kuhn(kuhn::Kuhn),
    /// Tic-tac-toe.
    TicTacToe(Box<tictactoe::TicTacToe>),
    /// Level-based foraging.
    Foraging(foraging::Foraging),
}

macro_rules! with_game {
    ($game:expr, $g:ident => $body:expr) => {
        match $game {
            AnyGame::Bandit($g) => $body,
            AnyGame::Matrix($g) => $body,
            AnyGame::Pipeline($g) => $body,
            AnyGame::Kuhn($g) => $body,
            AnyGame::TicTacToe($g) => {
                let $g = &**$g;
                $body
            }
            AnyGame::Foraging($g) => $body,
        }
    };
}

impl AnyGame {
    /// Builds the game of a config (validating it).
    pub fn new(config: &GameConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(match config {
            GameConfig::Bandit(c) => AnyGame::Bandit(bandit::Bandit::new(c.clone())),
            GameConfig::Matrix(spec) => AnyGame::Matrix(matrix::MatrixGame::new(spec)?),
            GameConfig::Pipeline(c) => AnyGame::Pipeline(pipeline::Pipeline::new(c.clone())),
            GameConfig::Kuhn(_) => AnyGame::Kuhn(kuhn::Kuhn),
            GameConfig::TicTacToe(_) => AnyGame::TicTacToe(Box::default()),
            GameConfig::Foraging(c) => AnyGame::Foraging(foraging::Foraging::new(c.clone())),
        })
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        with_game!(self, g => Game::agents(g))
    }

    /// Actions A.
    pub fn actions(&self) -> usize {
        with_game!(self, g => Game::actions(g))
    }

    /// Observation size O.
    pub fn observation_size(&self) -> usize {
        with_game!(self, g => Game::observation_size(g))
    }

    /// Plays one run's batch; see [`play`].
    pub fn play(
        &self,
        policy: &dyn PolicyView,
        groups: usize,
        group_size: usize,
        streams: &mut RunStreams,
        anchors: bool,
    ) -> Rollout {
        with_game!(self, g => play(g, policy, groups, group_size, streams, anchors))
    }

    /// The game's exact figures of a policy.
    pub fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        with_game!(self, g => g.policy_figures(policy))
    }

    /// The decision a report shows for `agent`.
    pub fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        with_game!(self, g => g.reference_decision(agent))
    }

    /// The exact team payoff, for one-step games (COMA, difference rewards, Shapley).
    pub fn oracle(&self) -> Option<&dyn PayoffOracle> {
        match self {
            AnyGame::Bandit(g) => Some(g),
            AnyGame::Matrix(g) => Some(g),
            _ => None,
        }
    }
}

/// Inverse-CDF sampling from one probability row with a uniform `u ∈ [0, 1)`.
pub fn sample_categorical(probs: &[f32], u: f32) -> usize {
    let total: f32 = probs.iter().sum();
    let target = u * total;
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if target < acc {
            return i;
        }
    }
    // Rounding can leave target == total; the last action with mass takes it.
    probs.iter().rposition(|p| *p > 0.0).unwrap_or(probs.len() - 1)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A table policy for the games' tests.
    use super::PolicyView;

    /// Uniform over the legal actions.
    #[derive(Debug)]
    pub struct Uniform;

    impl PolicyView for Uniform {
        fn probs(&self, _agent: usize, _obs: &[f32], legal: &[bool], out: &mut [f32]) {
            let n = legal.iter().filter(|l| **l).count() as f32;
            for (p, l) in out.iter_mut().zip(legal) {
                *p = if *l { 1.0 / n } else { 0.0 };
            }
        }
    }

    /// Fixed probabilities per agent, whatever the observation.
    #[derive(Debug)]
    pub struct Table(pub Vec<Vec<f32>>);

    impl PolicyView for Table {
        fn probs(&self, agent: usize, _obs: &[f32], _legal: &[bool], out: &mut [f32]) {
            out.copy_from_slice(&self.0[agent]);
        }
    }

    /// Always the first legal action.
    #[derive(Debug)]
    pub struct FirstLegal;

    impl PolicyView for FirstLegal {
        fn probs(&self, _agent: usize, _obs: &[f32], legal: &[bool], out: &mut [f32]) {
            let first = legal.iter().position(|l| *l).unwrap_or(0);
            for (i, p) in out.iter_mut().enumerate() {
                *p = if i == first { 1.0 } else { 0.0 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categorical_sampling_respects_mass() {
        assert_eq!(sample_categorical(&[0.0, 1.0, 0.0], 0.999_999), 1);
        assert_eq!(sample_categorical(&[0.5, 0.5], 0.0), 0);
        assert_eq!(sample_categorical(&[0.5, 0.5], 0.75), 1);
        assert_eq!(sample_categorical(&[0.3, 0.0], 1.0), 0);
    }
}
