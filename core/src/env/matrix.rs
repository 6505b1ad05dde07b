//! Matrix games: one simultaneous move by 2 or 3 players, payoffs as in REFERENCE.md.
//!
//! ```text
//! climbing            [[11, −30, 0], [−30, 7, 0], [0, 6, 5]]   common payoff; optimum 11, traps 7 and 5
//! penalty-k           [[−k, 0, 10], [0, 2, 0], [10, 0, −k]]    common payoff; k ∈ {0, 25, 50, 75, 100}
//! prisoners-dilemma   (C,C)=(5,5) (C,D)=(0,10) (D,C)=(10,0) (D,D)=(1,1)   defect dominant, equilibrium pays 1
//! stag-hunt           (S,S)=(2,2) (S,H)=(0,1) (H,S)=(1,0) (H,H)=(1,1)     pure equilibria (S,S), (H,H); mixed at P(S) = ½
//! matching-pennies    (H,H)=(1,−1) (H,T)=(−1,1) (T,H)=(−1,1) (T,T)=(1,−1) unique mixed equilibrium (½, ½), value 0
//! coordination        n ∈ {2, 3} players, m actions: everyone is paid 1 if all pick the same action, else 0
//! custom              a user table for 2 players (payoffs[a][b] = [p0, p1]) or 3 (payoffs[a][b][c] = [p0, p1, p2])
//! ```
//! Every player is paid its own payoff (in common-payoff games, the common value). The *team
//! payoff* is the common value in common-payoff games and the players' sum otherwise; the
//! counterfactual estimators and the "optimal joint action" figure use it.
//!
//! As an environment: one task, one step; every player acts at once; the observation is the
//! constant 1 (a matrix game has one state).

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec, PayoffOracle, PolicyView};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field, Range};

/// Which matrix game.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MatrixSpec {
    /// Climbing game (common payoff).
    #[default]
    Climbing,
    /// Penalty game with penalty k (common payoff).
    Penalty {
        /// The penalty k.
        k: f32,
    },
    /// Prisoner's dilemma.
    PrisonersDilemma,
    /// Stag hunt.
    StagHunt,
    /// Matching pennies (zero sum).
    MatchingPennies,
    /// Pure coordination (common payoff): 1 when every player picks the same action.
    Coordination {
        /// Players: 2 or 3.
        #[serde(default = "two")]
        players: u32,
        /// Actions per player (2..=8).
        #[serde(default = "two")]
        actions: u32,
    },
    /// A user-defined table.
    Custom {
        /// `payoffs[a][b] = [p0, p1]` (2 players) or `payoffs[a][b][c] = [p0, p1, p2]` (3).
        payoffs: PayoffTable,
        /// Whether all players receive the same payoff (team payoff = the common value).
        #[serde(default)]
        common: bool,
    },
}


impl MatrixSpec {
    /// Every variant with the parameters it starts with in the page and in links, in menu order.
    pub fn variants() -> Vec<MatrixSpec> {
        vec![
            MatrixSpec::Climbing,
            MatrixSpec::Penalty { k: 50.0 },
            MatrixSpec::PrisonersDilemma,
            MatrixSpec::StagHunt,
            MatrixSpec::MatchingPennies,
            MatrixSpec::Coordination { players: 2, actions: 3 },
            MatrixSpec::Custom {
                payoffs: PayoffTable::Two(vec![vec![vec![1.0, 1.0], vec![0.0, 0.0]], vec![vec![0.0, 0.0], vec![1.0, 1.0]]]),
                common: true,
            },
        ]
    }

    /// The variant's `name`.
    pub fn name(&self) -> &'static str {
        match self {
            MatrixSpec::Climbing => "climbing",
            MatrixSpec::Penalty { .. } => "penalty",
            MatrixSpec::PrisonersDilemma => "prisoners-dilemma",
            MatrixSpec::StagHunt => "stag-hunt",
            MatrixSpec::MatchingPennies => "matching-pennies",
            MatrixSpec::Coordination { .. } => "coordination",
            MatrixSpec::Custom { .. } => "custom",
        }
    }

    /// The variant called `name` with its starting parameters.
    pub fn variant(name: &str) -> Option<MatrixSpec> {
        Self::variants().into_iter().find(|v| v.name() == name)
    }
}

const NAME: Field = Field::new(
    "name",
    "matrix game",
    "\"climbing\"",
    Range::Choice(&["climbing", "penalty", "prisoners-dilemma", "stag-hunt", "matching-pennies", "coordination", "custom"]),
    "which matrix game",
);
const K: Field =
    Field::new("k", "penalty k", "50 (penalty)", Range::real(-1e6, 1e6), "the penalty k of penalty-k (e.g. 0, 25, 50, 75, 100)").slider(0.0, 100.0);
const PLAYERS: Field = Field::new("players", "players", "2 (coordination)", Range::whole(2, 3), "players of the coordination game");
const ACTIONS: Field = Field::new("actions", "actions", "3 (coordination)", Range::whole(2, 8), "actions per player of the coordination game");
const PAYOFFS: Field = Field::new("payoffs", "payoffs", "(custom)", Range::Other, "[a][b] = [p0, p1] or [a][b][c] = [p0, p1, p2]");
const COMMON: Field = Field::new("common", "common payoff", "false (custom)", Range::Flag, "every player gets the same payoff");

impl GameSpec for MatrixSpec {
    const KIND: &'static str = "matrix";
    const LABEL: &'static str = "Matrix games";
    const EXPLANATION: &'static str = "Two or three players move once, together. Independent learners with a shared payoff fall into relative \
        overgeneralisation on climbing and penalty-k; the credit map shows which joint actions each estimator rewards, \
        the policy paths where the players go (■ pure, ◆ mixed Nash equilibria).";
    const FIELDS: &'static [Field] = &[NAME, K, PLAYERS, ACTIONS, PAYOFFS, COMMON];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::Coma]
    }

    fn validate(&self, _prefix: &str) -> Result<(), ConfigError> {
        MatrixGame::new(self).map(|_| ())
    }

    fn agents(&self) -> usize {
        MatrixGame::new(self).map_or(2, |g| g.players())
    }

    fn max_decisions(&self) -> usize {
        GameSpec::agents(self)
    }

    fn has_payoff_oracle(&self) -> bool {
        true
    }
}

impl BuildGame for MatrixSpec {
    type Game = MatrixGame;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        MatrixGame::new(self)
    }
}

fn two() -> u32 {
    2
}

/// A user's payoff table, for 2 or 3 players.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PayoffTable {
    /// `[a][b] = [p0, p1]`.
    Two(Vec<Vec<Vec<f32>>>),
    /// `[a][b][c] = [p0, p1, p2]`.
    Three(Vec<Vec<Vec<Vec<f32>>>>),
}

/// A matrix game with 2 or 3 players.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixGame {
    /// Actions of each player.
    pub actions: Vec<usize>,
    /// Per joint action (row-major over the players), each player's payoff.
    pub payoffs: Vec<Vec<f32>>,
    /// Common payoff (every player gets the same value).
    pub common: bool,
}

fn common(table: [[f32; 3]; 3]) -> MatrixGame {
    MatrixGame {
        actions: vec![3, 3],
        payoffs: table.iter().flatten().map(|&v| vec![v, v]).collect(),
        common: true,
    }
}

fn general(table: [[f32; 2]; 4]) -> MatrixGame {
    MatrixGame { actions: vec![2, 2], payoffs: table.iter().map(|p| p.to_vec()).collect(), common: false }
}

fn custom_error(message: &str) -> ConfigError {
    ConfigError::new(PAYOFFS.path("game"), message)
}

impl MatrixGame {
    /// Builds the game of `spec`, checking a custom table's shape.
    pub fn new(spec: &MatrixSpec) -> Result<Self, ConfigError> {
        let game = match spec {
            MatrixSpec::Climbing => common([[11.0, -30.0, 0.0], [-30.0, 7.0, 0.0], [0.0, 6.0, 5.0]]),
            MatrixSpec::Penalty { k } => {
                K.check_real("game", *k)?;
                common([[-k, 0.0, 10.0], [0.0, 2.0, 0.0], [10.0, 0.0, -k]])
            }
            MatrixSpec::PrisonersDilemma => general([[5.0, 5.0], [0.0, 10.0], [10.0, 0.0], [1.0, 1.0]]),
            MatrixSpec::StagHunt => general([[2.0, 2.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
            MatrixSpec::MatchingPennies => general([[1.0, -1.0], [-1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]]),
            MatrixSpec::Coordination { players, actions } => {
                PLAYERS.check_whole("game", *players)?;
                ACTIONS.check_whole("game", *actions)?;
                let (n, m) = (*players as usize, *actions as usize);
                let mut game = MatrixGame { actions: vec![m; n], payoffs: Vec::new(), common: true };
                game.payoffs = (0..m.pow(n as u32))
                    .map(|j| {
                        let joint = game.joint_of(j);
                        let v = if joint.iter().all(|&a| a == joint[0]) { 1.0 } else { 0.0 };
                        vec![v; n]
                    })
                    .collect();
                game
            }
            MatrixSpec::Custom { payoffs, common } => {
                let (actions, cells): (Vec<usize>, Vec<Vec<f32>>) = match payoffs {
                    PayoffTable::Two(rows) => {
                        let cols = rows.first().map_or(0, Vec::len);
                        if rows.is_empty() || cols == 0 || rows.iter().any(|r| r.len() != cols) {
                            return Err(custom_error("must be a non-empty rectangular table"));
                        }
                        (vec![rows.len(), cols], rows.iter().flatten().cloned().collect())
                    }
                    PayoffTable::Three(cube) => {
                        let b = cube.first().map_or(0, Vec::len);
                        let c = cube.first().and_then(|m| m.first()).map_or(0, Vec::len);
                        if cube.is_empty() || b == 0 || c == 0 || cube.iter().any(|m| m.len() != b || m.iter().any(|r| r.len() != c)) {
                            return Err(custom_error("must be a non-empty a × b × c table"));
                        }
                        (vec![cube.len(), b, c], cube.iter().flatten().flatten().cloned().collect())
                    }
                };
                if actions.iter().any(|&a| a > 16) {
                    return Err(custom_error("at most 16 actions per player"));
                }
                let n = actions.len();
                if let Some(cell) = cells.iter().find(|cell| cell.len() != n) {
                    return Err(custom_error(&format!("every cell needs one payoff per player ({n}), got {}", cell.len())));
                }
                if cells.iter().flatten().any(|v| !v.is_finite() || v.abs() > 1e6) {
                    return Err(custom_error("every payoff must be a finite number of at most 1e6 in size"));
                }
                if *common && cells.iter().any(|cell| cell.iter().any(|v| *v != cell[0])) {
                    return Err(ConfigError::new(COMMON.path("game"), "a common-payoff table needs equal payoffs in every cell"));
                }
                MatrixGame { actions, payoffs: cells, common: *common }
            }
        };
        Ok(game)
    }

    /// Number of players.
    pub fn players(&self) -> usize {
        self.actions.len()
    }

    /// Index of a joint action in [`MatrixGame::payoffs`].
    pub fn joint_index(&self, joint: &[usize]) -> usize {
        joint.iter().zip(&self.actions).fold(0, |index, (&a, &n)| index * n + a)
    }

    /// The joint action at `index`.
    pub fn joint_of(&self, mut index: usize) -> Vec<usize> {
        let mut joint = vec![0; self.players()];
        for (slot, &n) in joint.iter_mut().zip(&self.actions).rev() {
            *slot = index % n;
            index /= n;
        }
        joint
    }

    /// Each player's payoff for `joint`.
    pub fn player_payoffs(&self, joint: &[usize]) -> &[f32] {
        &self.payoffs[self.joint_index(joint)]
    }

    /// Team payoff: the common value, or the sum of the players' payoffs.
    pub fn team_payoff(&self, joint: &[usize]) -> f32 {
        let p = self.player_payoffs(joint);
        if self.common { p[0] } else { p.iter().sum() }
    }

    /// The highest team payoff of any joint action.
    pub fn best_team_payoff(&self) -> f32 {
        (0..self.payoffs.len()).map(|j| self.team_payoff(&self.joint_of(j))).fold(f32::NEG_INFINITY, f32::max)
    }

    /// The pure Nash equilibria: joint actions from which no player gains by deviating alone.
    pub fn pure_equilibria(&self) -> Vec<Vec<usize>> {
        (0..self.payoffs.len())
            .map(|j| self.joint_of(j))
            .filter(|joint| {
                (0..self.players()).all(|k| {
                    let own = self.player_payoffs(joint)[k];
                    (0..self.actions[k]).all(|a| {
                        let mut deviation = joint.clone();
                        deviation[k] = a;
                        self.player_payoffs(&deviation)[k] <= own
                    })
                })
            })
            .collect()
    }

    /// The fully mixed equilibrium of a 2×2 game, as each player's probability of action 0,
    /// where one exists (each player's mix makes the other indifferent).
    pub fn mixed_equilibrium_2x2(&self) -> Option<[f64; 2]> {
        if self.actions != [2, 2] {
            return None;
        }
        let u = |k: usize, a: usize, b: usize| f64::from(self.player_payoffs(&[a, b])[k]);
        // Player 0 plays 0 with p so that player 1 is indifferent between its actions.
        let p_den = u(1, 0, 0) - u(1, 1, 0) - u(1, 0, 1) + u(1, 1, 1);
        let q_den = u(0, 0, 0) - u(0, 0, 1) - u(0, 1, 0) + u(0, 1, 1);
        if p_den == 0.0 || q_den == 0.0 {
            return None;
        }
        let p = (u(1, 1, 1) - u(1, 1, 0)) / p_den;
        let q = (u(0, 1, 1) - u(0, 0, 1)) / q_den;
        (p > 0.0 && p < 1.0 && q > 0.0 && q < 1.0).then_some([p, q])
    }
}

/// One play of a matrix game.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixState {
    joint: Vec<usize>,
    done: bool,
}

impl Game for MatrixGame {
    type Task = ();
    type State = MatrixState;

    fn agents(&self) -> usize {
        self.players()
    }

    fn actions(&self) -> usize {
        self.actions.iter().copied().max().unwrap_or(1)
    }

    fn observation_size(&self) -> usize {
        1
    }

    fn task(&self, _env: &mut ChaCha8Rng) {}

    fn start(&self, _task: &(), _env: &mut ChaCha8Rng) -> MatrixState {
        MatrixState { joint: vec![0; self.players()], done: false }
    }

    fn acting(&self, state: &MatrixState, out: &mut Vec<usize>) {
        if !state.done {
            out.extend(0..self.players());
        }
    }

    fn legal(&self, _state: &MatrixState, agent: usize, mask: &mut [bool]) {
        mask[..self.actions[agent]].fill(true);
    }

    fn observe(&self, _state: &MatrixState, _agent: usize, obs: &mut [f32]) {
        obs[0] = 1.0;
    }

    fn anchor(&self, _state: &MatrixState, agent: usize) -> String {
        format!("a{agent}")
    }

    fn step(&self, state: &mut MatrixState, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        for &(k, a) in joint {
            state.joint[k] = a;
        }
        for (r, p) in rewards.iter_mut().zip(self.player_payoffs(&state.joint)) {
            *r += p;
        }
        state.done = true;
    }

    fn team_return(&self, _state: &MatrixState, returns: &[f32]) -> f32 {
        if self.common { returns[0] } else { returns.iter().sum() }
    }

    fn return_range(&self, _task: &(), agent: usize) -> (f32, f32) {
        self.payoffs.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), p| (lo.min(p[agent]), hi.max(p[agent])))
    }

    fn episode_figures(&self, state: &MatrixState, figures: &mut Vec<Figure>) {
        let optimal = self.team_payoff(&state.joint) >= self.best_team_payoff();
        figures.push(("optimal_joint_rate", if optimal { 1.0 } else { 0.0 }));
    }

    /// `expected_team_payoff` and `optimal_joint_prob` (the probability of a joint action with
    /// the best team payoff) under the policy, exactly.
    fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        let a = Game::actions(self);
        let policies: Vec<Vec<f32>> = (0..self.players())
            .map(|k| {
                let (obs, legal) = self.reference_decision(k).unwrap_or_default();
                let mut p = vec![0.0; a];
                policy.probs(k, &obs, &legal, &mut p);
                p
            })
            .collect();
        let best = self.best_team_payoff();
        let (mut expected, mut optimal) = (0.0f64, 0.0f64);
        for j in 0..self.payoffs.len() {
            let joint = self.joint_of(j);
            let prob: f64 = joint.iter().enumerate().map(|(k, &u)| f64::from(policies[k][u])).product();
            let team = self.team_payoff(&joint);
            expected += prob * f64::from(team);
            if team >= best {
                optimal += prob;
            }
        }
        vec![("expected_team_payoff", expected as f32), ("optimal_joint_prob", optimal as f32)]
    }

    fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        let mut legal = vec![false; Game::actions(self)];
        legal[..self.actions[agent]].fill(true);
        Some((vec![1.0], legal))
    }
}

impl PayoffOracle for MatrixGame {
    fn agents(&self) -> usize {
        self.players()
    }
    fn actions(&self, agent: usize) -> usize {
        self.actions[agent]
    }
    fn payoff(&self, joint: &[usize]) -> f64 {
        f64::from(self.team_payoff(joint))
    }
    fn player_payoffs(&self, joint: &[usize]) -> Option<Vec<f64>> {
        Some(MatrixGame::player_payoffs(self, joint).iter().map(|&p| f64::from(p)).collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn equilibria_of_the_classic_games() {
        let game = |spec| MatrixGame::new(&spec).expect("valid");
        assert_eq!(game(MatrixSpec::Climbing).pure_equilibria(), vec![vec![0, 0], vec![1, 1]]);
        assert_eq!(game(MatrixSpec::StagHunt).pure_equilibria(), vec![vec![0, 0], vec![1, 1]]);
        assert_eq!(game(MatrixSpec::PrisonersDilemma).pure_equilibria(), vec![vec![1, 1]]);
        assert!(game(MatrixSpec::MatchingPennies).pure_equilibria().is_empty());
        assert_eq!(game(MatrixSpec::MatchingPennies).mixed_equilibrium_2x2(), Some([0.5, 0.5]));
        // Stag hunt (2,2 / 0,1 / 1,0 / 1,1): each hunts the stag with probability 1/2.
        assert_eq!(game(MatrixSpec::StagHunt).mixed_equilibrium_2x2(), Some([0.5, 0.5]));
        assert_eq!(game(MatrixSpec::PrisonersDilemma).mixed_equilibrium_2x2(), None);
        assert_eq!(game(MatrixSpec::Climbing).mixed_equilibrium_2x2(), None);
    }

    use super::*;
    use crate::env::test_support::Uniform;
    use crate::rollout::play_with;
    use rand::SeedableRng;

    #[test]
    fn known_payoffs() {
        let climbing = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        assert_eq!(climbing.team_payoff(&[0, 0]), 11.0);
        assert_eq!(climbing.team_payoff(&[1, 1]), 7.0);
        assert_eq!(climbing.team_payoff(&[2, 2]), 5.0);
        assert_eq!(climbing.team_payoff(&[0, 1]), -30.0);
        assert_eq!(climbing.team_payoff(&[2, 1]), 6.0);
        assert_eq!(climbing.best_team_payoff(), 11.0);
        let penalty = MatrixGame::new(&MatrixSpec::Penalty { k: 50.0 }).expect("valid");
        assert_eq!(penalty.team_payoff(&[0, 0]), -50.0);
        assert_eq!(penalty.team_payoff(&[0, 2]), 10.0);
        assert_eq!(penalty.team_payoff(&[1, 1]), 2.0);
        let pd = MatrixGame::new(&MatrixSpec::PrisonersDilemma).expect("valid");
        assert_eq!(pd.player_payoffs(&[1, 1]), &[1.0, 1.0]);
        assert_eq!(pd.player_payoffs(&[0, 1]), &[0.0, 10.0]);
        assert_eq!(pd.player_payoffs(&[1, 0]), &[10.0, 0.0]);
        let stag = MatrixGame::new(&MatrixSpec::StagHunt).expect("valid");
        assert_eq!(stag.player_payoffs(&[0, 0]), &[2.0, 2.0]);
        assert_eq!(stag.player_payoffs(&[0, 1]), &[0.0, 1.0]);
        let pennies = MatrixGame::new(&MatrixSpec::MatchingPennies).expect("valid");
        assert_eq!(pennies.team_payoff(&[0, 1]), 0.0);
        assert_eq!(pennies.player_payoffs(&[0, 0]), &[1.0, -1.0]);
        let coord = MatrixGame::new(&MatrixSpec::Coordination { players: 3, actions: 2 }).expect("valid");
        assert_eq!(coord.team_payoff(&[1, 1, 1]), 1.0);
        assert_eq!(coord.team_payoff(&[1, 0, 1]), 0.0);
        assert_eq!(coord.joint_of(coord.joint_index(&[1, 0, 1])), vec![1, 0, 1]);
    }

    #[test]
    fn defection_dominates_in_the_prisoners_dilemma() {
        let pd = MatrixGame::new(&MatrixSpec::PrisonersDilemma).expect("valid");
        for other in 0..2 {
            assert!(pd.player_payoffs(&[1, other])[0] > pd.player_payoffs(&[0, other])[0]);
            assert!(pd.player_payoffs(&[other, 1])[1] > pd.player_payoffs(&[other, 0])[1]);
        }
    }

    #[test]
    fn custom_tables_are_checked() {
        let ragged = MatrixSpec::Custom { payoffs: PayoffTable::Two(vec![vec![vec![1.0, 1.0]], vec![]]), common: false };
        assert_eq!(MatrixGame::new(&ragged).expect_err("must be refused").field, "game.payoffs");
        let short = MatrixSpec::Custom { payoffs: PayoffTable::Two(vec![vec![vec![1.0]]]), common: false };
        assert_eq!(MatrixGame::new(&short).expect_err("must be refused").field, "game.payoffs");
        let three: MatrixSpec = serde_json::from_str(
            r#"{"name": "custom", "payoffs": [[[[1,1,1],[0,0,0]],[[0,0,0],[0,0,0]]],[[[0,0,0],[0,0,0]],[[0,0,0],[2,2,2]]]], "common": true}"#,
        )
        .expect("parses");
        let game = MatrixGame::new(&three).expect("valid");
        assert_eq!(game.players(), 3);
        assert_eq!(game.team_payoff(&[1, 1, 1]), 2.0);
    }

    #[test]
    fn one_simultaneous_step_pays_each_player_its_payoff() {
        let game = MatrixGame::new(&MatrixSpec::PrisonersDilemma).expect("valid");
        let rollout = play_with(&game, &Uniform, 3, 10, ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
        assert_eq!(rollout.batch.len(), 60);
        for pair in rollout.batch.samples.chunks(2) {
            let joint = [pair[0].action.expect("action") as usize, pair[1].action.expect("action") as usize];
            assert_eq!(pair[0].reward, game.player_payoffs(&joint)[0]);
            assert_eq!(pair[1].reward, game.player_payoffs(&joint)[1]);
            assert_eq!((pair[0].turn, pair[1].turn), (0, 1));
        }
        // Uniform play of climbing: expected team payoff (11 − 30 − 30 + 7 + 6 + 5) / 9 = −31/9.
        let climbing = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        let figures = climbing.policy_figures(&Uniform);
        assert!((figures[0].1 - (-31.0 / 9.0)).abs() < 1e-5, "{figures:?}");
        assert!((figures[1].1 - 1.0 / 9.0).abs() < 1e-6);
    }
}
