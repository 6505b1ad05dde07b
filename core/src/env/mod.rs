//! The games. Each lives in its own file with its rules and payoffs at the top, and implements
//! the one small [`Game`] trait that the rollout loop ([`crate::rollout::play`]) drives; its
//! config implements [`GameSpec`], which describes the game to the rest of the lab.
//!
//! A game is played in *groups*: [`Game::task`] draws a group's task (GRPO's "prompt": a bandit
//! context, a card deal, a gridworld layout) once, and the group's G episodes all
//! [`Game::start`] from it. Inside an episode, [`Game::acting`] names the agents that move now
//! (several for simultaneous moves, one for turn-based games), each picks a legal action from its
//! observation, and [`Game::step`] applies the joint action and hands out per-agent rewards.
//! All environment randomness comes from the run's env stream.

pub mod arithmetic;
pub mod bandit;
pub mod foraging;
pub mod game;
pub mod kuhn;
pub mod matrix;
pub mod pipeline;
pub mod tictactoe;
pub mod tiny_hanabi;

use serde::{Deserialize, Serialize};

use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field};
pub use game::{play_episode, sample_categorical, BuildGame, Figure, Game, GameSpec, PayoffOracle, PolicyView};

/// The game to train on: one variant per game, each holding that game's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum GameConfig {
    /// Multi-agent bandit with per-agent reward sculpting.
    Bandit(bandit::BanditConfig),
    /// A matrix game (2 or 3 players), e.g. `{"kind": "matrix", "name": "climbing"}`.
    Matrix(matrix::MatrixSpec),
    /// The solver–verifier(–refiner) pipeline.
    Pipeline(pipeline::PipelineConfig),
    /// Kuhn poker, self-play.
    Kuhn(kuhn::KuhnConfig),
    /// Tic-tac-toe, self-play.
    TicTacToe(tictactoe::TicTacToeConfig),
    /// Level-based foraging gridworld.
    Foraging(foraging::ForagingConfig),
    /// Tiny Hanabi (OpenSpiel's two-player signalling game).
    TinyHanabi(tiny_hanabi::TinyHanabiConfig),
    /// Arithmetic, played by language agents (a solver and a verifier writing tokens).
    Arithmetic(arithmetic::ArithmeticConfig),
}

/// `$body` with `$c` bound to the config inside any [`GameConfig`] (every variant listed: a new
/// game that is missing here does not compile).
macro_rules! with_spec {
    ($config:expr, $c:ident => $body:expr) => {
        match $config {
            GameConfig::Bandit($c) => $body,
            GameConfig::Matrix($c) => $body,
            GameConfig::Pipeline($c) => $body,
            GameConfig::Kuhn($c) => $body,
            GameConfig::TicTacToe($c) => $body,
            GameConfig::Foraging($c) => $body,
            GameConfig::TinyHanabi($c) => $body,
            GameConfig::Arithmetic($c) => $body,
        }
    };
}

macro_rules! into_game_config {
    ($($variant:ident($spec:ty)),*) => {
        $(impl From<$spec> for GameConfig {
            fn from(spec: $spec) -> Self {
                GameConfig::$variant(spec)
            }
        })*
    };
}
into_game_config!(
    Bandit(bandit::BanditConfig),
    Matrix(matrix::MatrixSpec),
    Pipeline(pipeline::PipelineConfig),
    Kuhn(kuhn::KuhnConfig),
    TicTacToe(tictactoe::TicTacToeConfig),
    Foraging(foraging::ForagingConfig),
    TinyHanabi(tiny_hanabi::TinyHanabiConfig),
    Arithmetic(arithmetic::ArithmeticConfig)
);

/// A game spec's constants, read through a value of its type (the dispatch binds values).
struct Consts {
    kind: &'static str,
    label: &'static str,
    explanation: &'static str,
    fields: &'static [Field],
}

fn consts<S: GameSpec>(_: &S) -> Consts {
    Consts { kind: S::KIND, label: S::LABEL, explanation: S::EXPLANATION, fields: S::FIELDS }
}

impl GameConfig {
    /// The default config of every kind of game, in menu order (documentation, tests, the
    /// page's game menu).
    pub fn examples() -> Vec<GameConfig> {
        let mut all = vec![GameConfig::Bandit(Default::default())];
        // The menu's order, one game after the other: a new game must say where it goes.
        while let Some(next) = match all.last() {
            Some(GameConfig::Bandit(_)) => Some(GameConfig::Matrix(Default::default())),
            Some(GameConfig::Matrix(_)) => Some(GameConfig::Pipeline(Default::default())),
            Some(GameConfig::Pipeline(_)) => Some(GameConfig::Kuhn(Default::default())),
            Some(GameConfig::Kuhn(_)) => Some(GameConfig::TicTacToe(Default::default())),
            Some(GameConfig::TicTacToe(_)) => Some(GameConfig::Foraging(Default::default())),
            Some(GameConfig::Foraging(_)) => Some(GameConfig::TinyHanabi(Default::default())),
            Some(GameConfig::TinyHanabi(_)) => Some(GameConfig::Arithmetic(Default::default())),
            Some(GameConfig::Arithmetic(_)) | None => None,
        } {
            all.push(next);
        }
        all
    }

    /// The default config of the game called `kind`.
    pub fn example(kind: &str) -> Option<GameConfig> {
        Self::examples().into_iter().find(|g| g.kind() == kind)
    }

    /// The `kind` name.
    pub fn kind(&self) -> &'static str {
        with_spec!(self, c => consts(c).kind)
    }

    /// The game's name in the page's menu.
    pub fn label(&self) -> &'static str {
        with_spec!(self, c => consts(c).label)
    }

    /// What to look at in this game.
    pub fn explanation(&self) -> &'static str {
        with_spec!(self, c => consts(c).explanation)
    }

    /// The game's fields (paths under `game.`).
    pub fn fields(&self) -> &'static [Field] {
        with_spec!(self, c => consts(c).fields)
    }

    /// The estimators the page compares when this game is chosen.
    pub fn default_estimators(&self) -> Vec<Estimator> {
        with_spec!(self, c => c.default_estimators())
    }

    /// Checks the game's own ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        with_spec!(self, c => c.validate("game"))
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        with_spec!(self, c => c.agents())
    }

    /// The most decisions (samples) one episode can hold.
    pub fn max_decisions(&self) -> usize {
        with_spec!(self, c => c.max_decisions())
    }

    /// Whether the game is one simultaneous step with an exact team payoff.
    pub fn has_payoff_oracle(&self) -> bool {
        with_spec!(self, c => c.has_payoff_oracle())
    }

    /// Whether the game is played by language agents (token policies and the token trainer)
    /// rather than by MLPs through [`Game`].
    pub fn is_language(&self) -> bool {
        matches!(self, GameConfig::Arithmetic(_))
    }
}

impl Default for GameConfig {
    fn default() -> Self {
        GameConfig::Bandit(Default::default())
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
    /// Tiny Hanabi.
    TinyHanabi(tiny_hanabi::TinyHanabi),
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
            AnyGame::TinyHanabi($g) => $body,
        }
    };
}

macro_rules! into_any_game {
    ($($variant:ident($game:ty)),*) => {
        $(impl From<$game> for AnyGame {
            fn from(game: $game) -> Self {
                AnyGame::$variant(game.into())
            }
        })*
    };
}
into_any_game!(
    Bandit(bandit::Bandit),
    Matrix(matrix::MatrixGame),
    Pipeline(pipeline::Pipeline),
    Kuhn(kuhn::Kuhn),
    TicTacToe(tictactoe::TicTacToe),
    Foraging(foraging::Foraging),
    TinyHanabi(tiny_hanabi::TinyHanabi)
);

/// Something done with a concrete game whatever its type (the rollout loop plays it):
/// [`AnyGame::visit`] calls [`GameVisitor::visit`] with the game inside.
pub trait GameVisitor {
    /// What the visit returns.
    type Output;
    /// Does it with `game`.
    fn visit<G: Game>(self, game: &G) -> Self::Output;
}

impl AnyGame {
    /// Builds the game of a config (validating it).
    pub fn new(config: &GameConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        match config {
            GameConfig::Bandit(c) => c.build().map(AnyGame::from),
            GameConfig::Matrix(c) => c.build().map(AnyGame::from),
            GameConfig::Pipeline(c) => c.build().map(AnyGame::from),
            GameConfig::Kuhn(c) => c.build().map(AnyGame::from),
            GameConfig::TicTacToe(c) => c.build().map(AnyGame::from),
            GameConfig::Foraging(c) => c.build().map(AnyGame::from),
            GameConfig::TinyHanabi(c) => c.build().map(AnyGame::from),
            GameConfig::Arithmetic(_) => {
                Err(ConfigError::new("game.kind", "arithmetic is played by language agents (the token trainer), not through the MLP games' loop"))
            }
        }
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

    /// `visitor` with the concrete game.
    pub fn visit<V: GameVisitor>(&self, visitor: V) -> V::Output {
        with_game!(self, g => visitor.visit(g))
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
            AnyGame::Pipeline(_) | AnyGame::Kuhn(_) | AnyGame::TicTacToe(_) | AnyGame::Foraging(_) | AnyGame::TinyHanabi(_) => None,
        }
    }
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

    /// A game that says it has a payoff oracle gives one, with its agents and actions (what
    /// the config's check and the CLI's `advantages` rely on).
    #[test]
    fn games_with_a_payoff_oracle_give_one() {
        let mut games = GameConfig::examples();
        games.extend(matrix::MatrixSpec::variants().into_iter().map(GameConfig::Matrix));
        for config in games {
            if config.is_language() {
                assert!(AnyGame::new(&config).is_err() && !config.has_payoff_oracle(), "language agents play through the token trainer");
                continue;
            }
            let game = AnyGame::new(&config).expect("valid");
            if config.has_payoff_oracle() {
                let oracle = game.oracle().unwrap_or_else(|| panic!("{} has no oracle", config.kind()));
                assert_eq!(oracle.agents(), game.agents(), "{}", config.kind());
                assert!((0..oracle.agents()).all(|k| oracle.actions(k) >= 1 && oracle.actions(k) <= game.actions()));
            }
        }
        assert!(!GameConfig::example("kuhn").expect("kuhn").has_payoff_oracle());
    }

    #[test]
    fn categorical_sampling_respects_mass() {
        assert_eq!(sample_categorical(&[0.0, 1.0, 0.0], 0.999_999), 1);
        assert_eq!(sample_categorical(&[0.5, 0.5], 0.0), 0);
        assert_eq!(sample_categorical(&[0.5, 0.5], 0.75), 1);
        assert_eq!(sample_categorical(&[0.3, 0.0], 1.0), 0);
    }
}
