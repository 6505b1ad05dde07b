//! Tiny Hanabi (OpenSpiel's `tiny_hanabi`, the game of the Bayesian Action Decoder paper): two
//! players, two cards, one move each, one common payoff.
//!
//! ```text
//! deal       each player is dealt card 0 or 1 (uniformly, independently) and sees only its own
//! player 1   sees its card, plays a1 ∈ {0, 1, 2}
//! player 2   sees its card and a1, plays a2 ∈ {0, 1, 2}
//! payoff     both are paid PAYOFF[c1][c2][a1][a2] (common payoff):
//!              cards (0,0)  a1=0: 10 0 0 · a1=1: 4 8 4 · a1=2: 10 0  0
//!              cards (0,1)  a1=0:  0 0 10 · a1=1: 4 8 4 · a1=2:  0 0 10
//!              cards (1,0)  a1=0:  0 0 10 · a1=1: 4 8 4 · a1=2:  0 0  0
//!              cards (1,1)  a1=0: 10 0 0 · a1=1: 4 8 4 · a1=2: 10 0  0
//! ```
//! Known values (REFERENCE.md): the optimum is 10 — player 1 signals its card with its move
//! (card 0 → a1 = 2, card 1 → a1 = 0) and player 2 reads it; the no-cooperation equilibrium pays 8
//! (a1 = 1 tells nothing, and a2 = 1 pays 8 whatever the cards). Independent learners are known to
//! settle at 8: a signal only pays once the partner reads it, and reading only pays once the
//! other signals.
//!
//! As an environment: a group's task is the deal, so a group's G episodes replay one deal; both
//! players are paid the common payoff at the end. The observation is the player's card one-hot (2)
//! and player 1's move one-hot (3, zero for player 1).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec, PolicyView};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field};

/// OpenSpiel's default payoff, `PAYOFF[c1][c2][a1][a2]`.
pub const PAYOFF: [[[[f32; 3]; 3]; 2]; 2] = [
    [[[10.0, 0.0, 0.0], [4.0, 8.0, 4.0], [10.0, 0.0, 0.0]], [[0.0, 0.0, 10.0], [4.0, 8.0, 4.0], [0.0, 0.0, 10.0]]],
    [[[0.0, 0.0, 10.0], [4.0, 8.0, 4.0], [0.0, 0.0, 0.0]], [[10.0, 0.0, 0.0], [4.0, 8.0, 4.0], [10.0, 0.0, 0.0]]],
];

/// The best expected payoff of any pair of policies.
pub const OPTIMUM: f32 = 10.0;
/// The value of the no-cooperation equilibrium (a1 = 1, a2 = 1).
pub const NO_COOPERATION: f32 = 8.0;

/// Tiny Hanabi's (empty) parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TinyHanabiConfig {}

impl GameSpec for TinyHanabiConfig {
    const KIND: &'static str = "tiny-hanabi";
    const LABEL: &'static str = "Tiny Hanabi (signalling)";
    const EXPLANATION: &'static str = "Two players, one card each, one move each, one common payoff. Player 1 can tell player 2 its card only \
        through its move: the optimum is 10, and the safe move that tells nothing pays 8. Watch the expected payoff against those two lines.";
    const FIELDS: &'static [Field] = &[];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::Gigpo]
    }

    fn validate(&self, _prefix: &str) -> Result<(), ConfigError> {
        Ok(())
    }

    fn agents(&self) -> usize {
        2
    }

    fn max_decisions(&self) -> usize {
        2
    }
}

impl BuildGame for TinyHanabiConfig {
    type Game = TinyHanabi;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(TinyHanabi)
    }
}

/// The game.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TinyHanabi;

/// One episode: the deal and the moves so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TinyHanabiState {
    cards: [usize; 2],
    moves: Vec<usize>,
}

/// The observation of a player holding `card`, after player 1's move `first` (if any).
pub fn observation(card: usize, first: Option<usize>) -> [f32; 5] {
    let mut obs = [0.0; 5];
    obs[card] = 1.0;
    if let Some(a) = first {
        obs[2 + a] = 1.0;
    }
    obs
}

/// The expected common payoff when player 1 plays `p1[c1]` and player 2 plays `p2[c2][a1]`
/// (probabilities over the three moves), the deal uniform.
pub fn expected_payoff(p1: &[[f64; 3]; 2], p2: &[[[f64; 3]; 3]; 2]) -> f64 {
    let mut total = 0.0;
    for c1 in 0..2 {
        for c2 in 0..2 {
            for a1 in 0..3 {
                for a2 in 0..3 {
                    total += 0.25 * p1[c1][a1] * p2[c2][a1][a2] * f64::from(PAYOFF[c1][c2][a1][a2]);
                }
            }
        }
    }
    total
}

impl Game for TinyHanabi {
    /// The deal: (player 1's card, player 2's card).
    type Task = [usize; 2];
    type State = TinyHanabiState;

    fn agents(&self) -> usize {
        2
    }

    fn actions(&self) -> usize {
        3
    }

    fn observation_size(&self) -> usize {
        5
    }

    fn task(&self, env: &mut ChaCha8Rng) -> [usize; 2] {
        [env.random_range(0..2), env.random_range(0..2)]
    }

    fn start(&self, &cards: &[usize; 2], _env: &mut ChaCha8Rng) -> TinyHanabiState {
        TinyHanabiState { cards, moves: Vec::with_capacity(2) }
    }

    fn acting(&self, state: &TinyHanabiState, out: &mut Vec<usize>) {
        if state.moves.len() < 2 {
            out.push(state.moves.len());
        }
    }

    fn legal(&self, _state: &TinyHanabiState, _agent: usize, mask: &mut [bool]) {
        mask.fill(true);
    }

    fn observe(&self, state: &TinyHanabiState, agent: usize, obs: &mut [f32]) {
        let first = if agent == 1 { state.moves.first().copied() } else { None };
        obs.copy_from_slice(&observation(state.cards[agent], first));
    }

    fn anchor(&self, state: &TinyHanabiState, agent: usize) -> String {
        match (agent, state.moves.first()) {
            (1, Some(a1)) => format!("a1/c{}/m{a1}", state.cards[1]),
            _ => format!("a{agent}/c{}", state.cards[agent]),
        }
    }

    fn step(&self, state: &mut TinyHanabiState, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        for &(_, action) in joint {
            state.moves.push(action);
        }
        if let [a1, a2] = state.moves[..] {
            let payoff = PAYOFF[state.cards[0]][state.cards[1]][a1][a2];
            rewards[0] += payoff;
            rewards[1] += payoff;
        }
    }

    fn return_range(&self, _task: &[usize; 2], _agent: usize) -> (f32, f32) {
        (0.0, OPTIMUM)
    }

    fn team_return(&self, _state: &TinyHanabiState, returns: &[f32]) -> f32 {
        // Common payoff: the team's return is the one payoff both are paid.
        returns[0]
    }

    fn episode_figures(&self, state: &TinyHanabiState, figures: &mut Vec<Figure>) {
        if let [a1, a2] = state.moves[..] {
            figures.push(("optimal_rate", if PAYOFF[state.cards[0]][state.cards[1]][a1][a2] >= OPTIMUM { 1.0 } else { 0.0 }));
        }
    }

    /// `expected_team_payoff` of the policy over the uniform deal, exactly (10 at the optimum,
    /// 8 at the no-cooperation equilibrium).
    fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        let legal = [true; 3];
        let mut out = [0.0f32; 3];
        let mut read = |agent: usize, obs: [f32; 5]| {
            policy.probs(agent, &obs, &legal, &mut out);
            out.map(f64::from)
        };
        let p1 = [read(0, observation(0, None)), read(0, observation(1, None))];
        let p2 = [0, 1].map(|c2| [0, 1, 2].map(|a1| read(1, observation(c2, Some(a1)))));
        vec![("expected_team_payoff", expected_payoff(&p1, &p2) as f32)]
    }

    /// Player 1 holding card 0 (does it signal?), player 2 holding card 0 after a1 = 2.
    fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        let first = (agent == 1).then_some(2);
        Some((observation(0, first).to_vec(), vec![true; 3]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::Uniform;
    use crate::rollout::play_with;
    use rand::SeedableRng;

    fn pure<const N: usize>(a: usize) -> [f64; N] {
        let mut p = [0.0; N];
        p[a] = 1.0;
        p
    }

    /// Every deterministic pair of policies: player 1's move per card (3² of them) and player
    /// 2's per (card, move) (3⁶), as tables.
    fn every_pure_pair() -> impl Iterator<Item = ([[f64; 3]; 2], [[[f64; 3]; 3]; 2])> {
        (0..9usize).flat_map(|i| {
            (0..729usize).map(move |j| {
                let p1 = [pure(i % 3), pure(i / 3)];
                let digit = |k: u32| (j / 3usize.pow(k)) % 3;
                let p2 = [0, 1].map(|c| [0, 1, 2].map(|a| pure(digit((c * 3 + a) as u32))));
                (p1, p2)
            })
        })
    }

    #[test]
    fn the_payoff_is_openspiels() {
        // OpenSpiel's default payoff string, in its order (c1, c2, a1, a2).
        let openspiel = "10;0;0;4;8;4;10;0;0;0;0;10;4;8;4;0;0;10;0;0;10;4;8;4;0;0;0;10;0;0;4;8;4;10;0;0";
        let flat: Vec<f32> = PAYOFF.iter().flatten().flatten().flatten().copied().collect();
        let parsed: Vec<f32> = openspiel.split(';').map(|v| v.parse().expect("number")).collect();
        assert_eq!(flat, parsed);
    }

    #[test]
    fn the_optimum_is_10_and_signalling_reaches_it() {
        let best = every_pure_pair().map(|(p1, p2)| expected_payoff(&p1, &p2)).fold(f64::MIN, f64::max);
        assert_eq!(best, f64::from(OPTIMUM));
        // Card 0 → move 2, card 1 → move 0; player 2 reads the move and its own card.
        let p1 = [pure(2), pure(0)];
        let p2 = [[pure(2), pure(0), pure(0)], [pure(0), pure(0), pure(2)]];
        assert_eq!(expected_payoff(&p1, &p2), 10.0);
    }

    #[test]
    fn the_no_cooperation_equilibrium_pays_8() {
        let p1 = [pure(1), pure(1)];
        let p2 = [[pure(1); 3]; 2];
        let value = expected_payoff(&p1, &p2);
        assert_eq!(value, f64::from(NO_COOPERATION));
        // No player gains by deviating alone to any pure policy.
        for (q1, q2) in every_pure_pair() {
            assert!(expected_payoff(&q1, &p2) <= value + 1e-12);
            assert!(expected_payoff(&p1, &q2) <= value + 1e-12);
        }
    }

    #[test]
    fn played_episodes_pay_the_table_and_the_figures_agree() {
        let game = TinyHanabi;
        // The policy view path: uniform play's exact value is the table's mean.
        let mean: f32 = PAYOFF.iter().flatten().flatten().flatten().sum::<f32>() / 36.0;
        let figures = game.policy_figures(&Uniform);
        assert!((figures[0].1 - mean).abs() < 1e-5);
        let rng = ChaCha8Rng::seed_from_u64(3);
        let rollout = play_with(&game, &Uniform, 4, 8, rng.clone(), rng);
        let samples = &rollout.batch.samples;
        assert_eq!(samples.len(), 4 * 8 * 2, "two decisions per episode");
        for pair in samples.chunks(2) {
            assert_eq!((pair[0].agent, pair[1].agent), (0, 1));
            assert_eq!(pair[0].reward, pair[1].reward, "common payoff");
            assert!(PAYOFF.iter().flatten().flatten().flatten().any(|p| *p == pair[0].reward));
        }
    }
}
