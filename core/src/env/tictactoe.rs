//! Tic-tac-toe (self-play), with an exact minimax opponent for evaluation.
//!
//! ```text
//! board      3 × 3 cells 0..9 (row-major), X (agent 0) moves first, then O (agent 1)
//! actions    the cell to mark (0..9); only empty cells are legal
//! end        three in a row (+1 to the winner, −1 to the loser) or a full board (0 each)
//! ```
//! The observation is the board from the mover's side: per cell one-hot (empty, mine, theirs),
//! 27 values. Rewards arrive at the end of each player's last turn.
//!
//! Evaluation against minimax: the minimax opponent plays a move of best game-theoretic value
//! (ties broken by the lowest cell, so it is deterministic), from a table of all 5,478 reachable
//! positions. The policy's win / draw / loss probabilities against it are computed exactly by
//! walking the game tree, as X and as O; perfect play can at best draw.

use std::collections::HashMap;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec, PolicyView};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field};

/// The eight lines.
const LINES: [[usize; 3]; 8] = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]];

/// Tic-tac-toe's (empty) parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicTacToeConfig {}

impl GameSpec for TicTacToeConfig {
    const KIND: &'static str = "tic-tac-toe";
    const LABEL: &'static str = "Tic-tac-toe (self-play)";
    const EXPLANATION: &'static str = "Tic-tac-toe in self-play: X and O learn against each other; win rates against a random player and \
        the exact minimax opponent show what they learned.";
    const FIELDS: &'static [Field] = &[];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::Mars]
    }

    fn validate(&self, _prefix: &str) -> Result<(), ConfigError> {
        Ok(())
    }

    fn agents(&self) -> usize {
        2
    }

    fn max_decisions(&self) -> usize {
        9
    }
}

impl BuildGame for TicTacToeConfig {
    type Game = TicTacToe;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(TicTacToe::default())
    }
}

/// A board: 0 empty, 1 X, 2 O.
pub type Board = [u8; 9];

/// The winner's mark (1 or 2), if any.
pub fn winner(board: &Board) -> Option<u8> {
    LINES.iter().find(|l| board[l[0]] != 0 && board[l[0]] == board[l[1]] && board[l[1]] == board[l[2]]).map(|l| board[l[0]])
}

fn to_move(board: &Board) -> usize {
    let marks = board.iter().filter(|c| **c != 0).count();
    marks % 2
}

fn is_over(board: &Board) -> bool {
    winner(board).is_some() || board.iter().all(|c| *c != 0)
}

fn code(board: &Board) -> u32 {
    board.iter().fold(0, |acc, &c| acc * 3 + u32::from(c))
}

/// The game, with its minimax table.
#[derive(Debug, Clone, PartialEq)]
pub struct TicTacToe {
    /// Game-theoretic value (+1 X wins, 0 draw, −1 O wins) of every reachable position.
    values: HashMap<u32, i8>,
}

impl Default for TicTacToe {
    fn default() -> Self {
        Self::new()
    }
}

/// Win, draw and loss probabilities.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    /// Probability of winning.
    pub win: f64,
    /// Probability of a draw.
    pub draw: f64,
    /// Probability of losing.
    pub loss: f64,
}

impl TicTacToe {
    /// Builds the minimax table.
    pub fn new() -> Self {
        let mut game = Self { values: HashMap::with_capacity(6000) };
        game.solve(&mut [0; 9]);
        game
    }

    /// Number of reachable positions.
    pub fn positions(&self) -> usize {
        self.values.len()
    }

    fn solve(&mut self, board: &mut Board) -> i8 {
        if let Some(&v) = self.values.get(&code(board)) {
            return v;
        }
        let value = match winner(board) {
            Some(1) => 1,
            Some(_) => -1,
            None if board.iter().all(|c| *c != 0) => 0,
            None => {
                let mark = to_move(board) as u8 + 1;
                let mut best = if mark == 1 { -2 } else { 2 };
                for cell in 0..9 {
                    if board[cell] == 0 {
                        board[cell] = mark;
                        let v = self.solve(board);
                        board[cell] = 0;
                        best = if mark == 1 { best.max(v) } else { best.min(v) };
                    }
                }
                best
            }
        };
        self.values.insert(code(board), value);
        value
    }

    /// The game-theoretic value of a reachable position (+1 X wins, 0 draw, −1 O wins).
    pub fn value(&self, board: &Board) -> Option<i8> {
        self.values.get(&code(board)).copied()
    }

    /// Minimax's move: the lowest cell of best value for the player to move.
    pub fn minimax_move(&self, board: &Board) -> Option<usize> {
        let mark = to_move(board) as u8 + 1;
        let mut best: Option<(usize, i8)> = None;
        for cell in (0..9).filter(|&c| board[c] == 0) {
            let mut next = *board;
            next[cell] = mark;
            let v = self.value(&next).unwrap_or(0);
            let better = match best {
                None => true,
                Some((_, b)) => if mark == 1 { v > b } else { v < b },
            };
            if better {
                best = Some((cell, v));
            }
        }
        best.map(|(c, _)| c)
    }

    /// Exact outcome probabilities of `policy` playing `seat` (0 = X, 1 = O) against `opponent`.
    pub fn against(&self, policy: &dyn PolicyView, seat: usize, opponent: Opponent) -> Outcome {
        let mut memo = vec![None; 19_683]; // 3^9 board codes
        self.outcome_from(policy, seat, opponent, &mut [0; 9], &mut memo)
    }

    /// Exact outcome probabilities of `policy` playing `seat` against minimax.
    pub fn against_minimax(&self, policy: &dyn PolicyView, seat: usize) -> Outcome {
        self.against(policy, seat, Opponent::Minimax)
    }

    /// The outcome distribution from `board` on, memoised per position (a position's future does
    /// not depend on how it was reached), so each position costs at most one policy evaluation.
    fn outcome_from(
        &self,
        policy: &dyn PolicyView,
        seat: usize,
        opponent: Opponent,
        board: &mut Board,
        memo: &mut [Option<Outcome>],
    ) -> Outcome {
        if let Some(mark) = winner(board) {
            let won = usize::from(mark - 1) == seat;
            return Outcome { win: if won { 1.0 } else { 0.0 }, draw: 0.0, loss: if won { 0.0 } else { 1.0 } };
        }
        if board.iter().all(|c| *c != 0) {
            return Outcome { win: 0.0, draw: 1.0, loss: 0.0 };
        }
        if let Some(known) = memo[code(board) as usize] {
            return known;
        }
        let mover = to_move(board);
        let mark = mover as u8 + 1;
        let legal: Vec<bool> = board.iter().map(|c| *c == 0).collect();
        let mut probs = [0.0f32; 9];
        if mover == seat {
            let mut obs = [0.0f32; 27];
            observe_board(board, mover, &mut obs);
            policy.probs(mover, &obs, &legal, &mut probs);
        } else {
            match opponent {
                Opponent::Minimax => {
                    if let Some(cell) = self.minimax_move(board) {
                        probs[cell] = 1.0;
                    }
                }
                Opponent::Random => {
                    let n = legal.iter().filter(|l| **l).count() as f32;
                    for (p, l) in probs.iter_mut().zip(&legal) {
                        *p = if *l { 1.0 / n } else { 0.0 };
                    }
                }
            }
        }
        let mut out = Outcome::default();
        for cell in 0..9 {
            if legal[cell] && probs[cell] > 0.0 {
                board[cell] = mark;
                let next = self.outcome_from(policy, seat, opponent, board, memo);
                board[cell] = 0;
                let p = f64::from(probs[cell]);
                out.win += p * next.win;
                out.draw += p * next.draw;
                out.loss += p * next.loss;
            }
        }
        memo[code(board) as usize] = Some(out);
        out
    }
}

/// Who the evaluated policy plays against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opponent {
    /// Perfect play (lowest cell among the best moves).
    Minimax,
    /// Uniformly random legal moves.
    Random,
}

fn observe_board(board: &Board, agent: usize, obs: &mut [f32]) {
    let mine = agent as u8 + 1;
    for (cell, &c) in board.iter().enumerate() {
        let channel = if c == 0 { 0 } else if c == mine { 1 } else { 2 };
        obs[cell * 3 + channel] = 1.0;
    }
}

impl Game for TicTacToe {
    type Task = ();
    type State = Board;

    fn agents(&self) -> usize {
        2
    }

    fn actions(&self) -> usize {
        9
    }

    fn observation_size(&self) -> usize {
        27
    }

    fn task(&self, _env: &mut ChaCha8Rng) {}

    fn start(&self, _task: &(), _env: &mut ChaCha8Rng) -> Board {
        [0; 9]
    }

    fn acting(&self, board: &Board, out: &mut Vec<usize>) {
        if !is_over(board) {
            out.push(to_move(board));
        }
    }

    fn legal(&self, board: &Board, _agent: usize, mask: &mut [bool]) {
        for (m, c) in mask.iter_mut().zip(board) {
            *m = *c == 0;
        }
    }

    fn observe(&self, board: &Board, agent: usize, obs: &mut [f32]) {
        observe_board(board, agent, obs);
    }

    fn anchor(&self, board: &Board, agent: usize) -> String {
        let cells: String = board.iter().map(|c| ['.', 'X', 'O'][usize::from(*c)]).collect();
        format!("a{agent}/{cells}")
    }

    fn step(&self, board: &mut Board, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        for &(agent, cell) in joint {
            if board[cell] == 0 {
                board[cell] = agent as u8 + 1;
            }
        }
        if let Some(mark) = winner(board) {
            let w = usize::from(mark - 1);
            rewards[w] += 1.0;
            rewards[1 - w] -= 1.0;
        }
    }

    fn return_range(&self, _task: &(), _agent: usize) -> (f32, f32) {
        (-1.0, 1.0)
    }

    fn team_return(&self, _state: &Board, returns: &[f32]) -> f32 {
        // Zero sum: report X's result.
        returns[0]
    }

    fn episode_figures(&self, board: &Board, figures: &mut Vec<Figure>) {
        figures.push(("draw_rate", if winner(board).is_none() { 1.0 } else { 0.0 }));
        figures.push(("x_win_rate", if winner(board) == Some(1) { 1.0 } else { 0.0 }));
    }

    /// Exactly, averaged over the two seats (X's policy as X, O's as O): against minimax
    /// `win_vs_minimax`, `draw_vs_minimax`, `loss_vs_minimax` and `not_lose_vs_minimax`
    /// (win + draw; 1 is perfect play); against a uniformly random player `win_vs_random` and
    /// `loss_vs_random`.
    fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        let x = self.against(policy, 0, Opponent::Minimax);
        let o = self.against(policy, 1, Opponent::Minimax);
        let rx = self.against(policy, 0, Opponent::Random);
        let ro = self.against(policy, 1, Opponent::Random);
        let mean = |a: f64, b: f64| ((a + b) / 2.0) as f32;
        vec![
            ("win_vs_minimax", mean(x.win, o.win)),
            ("draw_vs_minimax", mean(x.draw, o.draw)),
            ("loss_vs_minimax", mean(x.loss, o.loss)),
            ("not_lose_vs_minimax", mean(x.win + x.draw, o.win + o.draw)),
            ("win_vs_random", mean(rx.win, ro.win)),
            ("loss_vs_random", mean(rx.loss, ro.loss)),
        ]
    }

    /// X on the empty board; O after X took the centre.
    fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        let mut board = [0u8; 9];
        if agent == 1 {
            board[4] = 1;
        }
        let mut obs = vec![0.0; 27];
        observe_board(&board, agent, &mut obs);
        Some((obs, board.iter().map(|c| *c == 0).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::Uniform;
    use crate::rollout::play_with;
    use rand::SeedableRng;

    /// Plays minimax itself, as a policy.
    struct Minimax<'a>(&'a TicTacToe);

    impl PolicyView for Minimax<'_> {
        fn probs(&self, agent: usize, obs: &[f32], _legal: &[bool], out: &mut [f32]) {
            let mut board = [0u8; 9];
            for cell in 0..9 {
                if obs[cell * 3 + 1] == 1.0 {
                    board[cell] = agent as u8 + 1;
                } else if obs[cell * 3 + 2] == 1.0 {
                    board[cell] = 2 - agent as u8;
                }
            }
            out.fill(0.0);
            if let Some(cell) = self.0.minimax_move(&board) {
                out[cell] = 1.0;
            }
        }
    }

    #[test]
    fn minimax_table_knows_the_game() {
        let game = TicTacToe::new();
        assert_eq!(game.positions(), 5478, "reachable positions");
        assert_eq!(game.value(&[0; 9]), Some(0), "perfect play draws");
        // X to move with two in a row wins at once.
        let board = [1, 1, 0, 2, 2, 0, 0, 0, 0];
        assert_eq!(game.minimax_move(&board), Some(2));
        assert_eq!(winner(&[1, 1, 1, 2, 2, 0, 0, 0, 0]), Some(1));
        assert_eq!(winner(&[2, 1, 1, 1, 2, 0, 0, 0, 2]), Some(2));
    }

    #[test]
    fn rules_legal_moves_and_termination() {
        let game = TicTacToe::new();
        let mut env = ChaCha8Rng::seed_from_u64(0);
        let mut board = game.start(&(), &mut env);
        let mut rewards = [0.0f32; 2];
        let mut mask = [false; 9];
        for (i, cell) in [0usize, 3, 1, 4, 2].into_iter().enumerate() {
            let mut acting = Vec::new();
            game.acting(&board, &mut acting);
            assert_eq!(acting, vec![i % 2]);
            mask.fill(false);
            game.legal(&board, i % 2, &mut mask);
            assert!(mask[cell]);
            game.step(&mut board, &[(i % 2, cell)], &mut env, &mut rewards);
        }
        assert_eq!(rewards, [1.0, -1.0], "X completed the top row");
        let mut acting = Vec::new();
        game.acting(&board, &mut acting);
        assert!(acting.is_empty());
        mask.fill(false);
        game.legal(&board, 1, &mut mask);
        assert!(!mask[0] && mask[5]);
    }

    #[test]
    fn evaluation_against_minimax_is_exact() {
        let game = TicTacToe::new();
        // Minimax against minimax draws with certainty, from both seats.
        let perfect = game.policy_figures(&Minimax(&game));
        assert_eq!(perfect[1], ("draw_vs_minimax", 1.0));
        assert_eq!(perfect[3], ("not_lose_vs_minimax", 1.0));
        // Uniform play loses most games and never wins against minimax; the outcome sums to 1.
        let x = game.against_minimax(&Uniform, 0);
        let o = game.against_minimax(&Uniform, 1);
        for outcome in [x, o] {
            assert!((outcome.win + outcome.draw + outcome.loss - 1.0).abs() < 1e-5, "{outcome:?}");
            assert_eq!(outcome.win, 0.0);
            assert!(outcome.loss > 0.5, "{outcome:?}");
        }
        // Random against random, a known result: X wins 58.5%, O 28.8%, draws 12.7%.
        let random = game.against(&Uniform, 0, Opponent::Random);
        assert!((random.win - 0.5849).abs() < 1e-3 && (random.loss - 0.2881).abs() < 1e-3, "{random:?}");
        // Minimax never loses against a random player.
        assert_eq!(game.against(&Minimax(&game), 0, Opponent::Random).loss, 0.0);
    }

    #[test]
    fn self_play_rollouts_alternate_and_end() {
        let game = TicTacToe::new();
        let rollout = play_with(&game, &Uniform, 2, 16, ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
        assert_eq!(rollout.team_returns.len(), 32);
        for (i, s) in rollout.batch.samples.iter().enumerate() {
            assert_eq!(s.agent, s.turn % 2);
            assert!(rollout.legal[i * 9 + s.action.unwrap_or(0) as usize], "only empty cells are played");
        }
        // Rewards: a win pays +1/−1, so every sample's return is in {−1, 0, 1}.
        assert!(rollout.batch.samples.iter().all(|s| [-1.0, 0.0, 1.0].contains(&s.reward)));
    }
}
