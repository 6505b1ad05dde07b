//! What a game is to the rest of the lab: the [`Game`] trait the rollout loop drives, the
//! [`GameSpec`] trait every game's config implements, the exact team payoff of one-step games
//! ([`PayoffOracle`], for COMA, difference rewards and Shapley) and the policy view the games'
//! evaluations query. A leaf of `env`: each game's file imports it, it imports no game.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use serde::{Deserialize, Serialize};

use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field, Range};

/// What the verifier is paid (the pipeline and the arithmetic task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifierReward {
    /// The shared outcome (in the pipeline minus its call costs), like the other agents.
    Outcome,
    /// 1 for each correct verdict, 0 otherwise (minus its call costs): the default, so that the
    /// verifier's reward distribution differs from the solver's, as in Dr. MAS's pipelines.
    #[default]
    Judgement,
}

/// The `verifier_reward` field of the games that have a verifier (the pipeline, arithmetic).
pub const VERIFIER_REWARD: Field = Field::new(
    "verifier_reward",
    "verifier paid",
    "\"judgement\"",
    Range::Choice(&["judgement", "outcome"]),
    "judgement (1 per correct verdict) or outcome (the shared outcome)",
);

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

/// What every game's config says about itself: the one place a game is described to the rest
/// of the lab (validation, the trainer's sizes, the CLI's help, the page's menu and texts).
/// `GameConfig` (in `env`) dispatches to it; adding a game is the recipe in ARCHITECTURE.md.
pub trait GameSpec: Default + Clone {
    /// The config's `kind` (in JSON, URLs and the CLI).
    const KIND: &'static str;
    /// The game's name in the page's menu.
    const LABEL: &'static str;
    /// What to look at in this game (the page's paragraph under the controls).
    const EXPLANATION: &'static str;
    /// Its fields (paths under `game.`), their meaning, default and range.
    const FIELDS: &'static [Field];
    /// The estimators the page compares when this game is chosen: global against agent-wise,
    /// and the one the game is the lesson for.
    fn default_estimators(&self) -> Vec<Estimator>;
    /// Checks the fields' ranges; `prefix` is the config's path (`game`).
    fn validate(&self, prefix: &str) -> Result<(), ConfigError>;
    /// Number of agents.
    fn agents(&self) -> usize;
    /// The most decisions (samples) one episode can hold.
    fn max_decisions(&self) -> usize;
    /// Whether the game is one simultaneous step with an exact team payoff (what COMA,
    /// difference rewards and Shapley need).
    fn has_payoff_oracle(&self) -> bool {
        false
    }
}

/// A game the MLP policies play through the [`Game`] trait: every game but the language agents'
/// tasks, which the token trainer plays itself (`env::arithmetic`).
pub trait BuildGame: GameSpec {
    /// The game it builds.
    type Game: Game;
    /// Builds the game (the config is valid).
    fn build(&self) -> Result<Self::Game, ConfigError>;
}

/// A game whose team payoff can be evaluated for any joint action.
pub trait PayoffOracle {
    /// Number of agents n.
    fn agents(&self) -> usize;
    /// Number of actions of `agent`.
    fn actions(&self, agent: usize) -> usize;
    /// Expected team payoff G (= the exact Q of a one-step game) of `joint`, one action per
    /// agent: the common payoff in a common-payoff game, the sum of the players' payoffs
    /// otherwise (so 0 for every joint action of a zero-sum game).
    fn payoff(&self, joint: &[usize]) -> f64;
    /// Each player's own payoff of `joint`, where rewards are exact (not noisy): what a batch's
    /// rewards are checked against. `None` where they are drawn (the bandit).
    fn player_payoffs(&self, _joint: &[usize]) -> Option<Vec<f64>> {
        None
    }
}

impl std::fmt::Debug for dyn PayoffOracle + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayoffOracle({} agents)", self.agents())
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

/// Plays one episode of `task` with `policy`, every draw (the policy's actions and the game's
/// own randomness) from `rng`, and returns its final state: for evaluations that play the
/// policy apart from training (the pipeline's held-out questions).
pub fn play_episode<G: Game>(game: &G, task: &G::Task, policy: &dyn PolicyView, rng: &mut ChaCha8Rng) -> G::State {
    let (actions, size) = (game.actions(), game.observation_size());
    let mut state = game.start(task, rng);
    let (mut acting, mut joint) = (Vec::new(), Vec::new());
    let mut rewards = vec![0.0; game.agents()];
    let (mut obs, mut legal, mut probs) = (vec![0.0; size], vec![false; actions], vec![0.0; actions]);
    loop {
        acting.clear();
        game.acting(&state, &mut acting);
        if acting.is_empty() {
            return state;
        }
        joint.clear();
        for &k in &acting {
            obs.fill(0.0);
            legal.fill(false);
            game.legal(&state, k, &mut legal);
            game.observe(&state, k, &mut obs);
            policy.probs(k, &obs, &legal, &mut probs);
            joint.push((k, sample_categorical(&probs, rng.random::<f32>())));
        }
        rewards.fill(0.0);
        game.step(&mut state, &joint, rng, &mut rewards);
    }
}
