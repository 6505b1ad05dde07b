//! Matrix games: payoff tables (row player's payoff, then column's), as in REFERENCE.md.
//!
//! ```text
//! climbing            [[11, −30, 0], [−30, 7, 0], [0, 6, 5]]   common payoff; optimum 11, traps 7 and 5
//! penalty-k           [[−k, 0, 10], [0, 2, 0], [10, 0, −k]]    common payoff; k ∈ {0, 25, 50, 75, 100}
//! prisoners-dilemma   (C,C)=(5,5) (C,D)=(0,10) (D,C)=(10,0) (D,D)=(1,1)   defect dominant
//! stag-hunt           (S,S)=(2,2) (S,H)=(0,1) (H,S)=(1,0) (H,H)=(1,1)
//! matching-pennies    (H,H)=(1,−1) (H,T)=(−1,1) (T,H)=(−1,1) (T,T)=(1,−1)
//! custom              any table [row][col] = [row payoff, column payoff]
//! ```
//! The *team payoff* used by the counterfactual estimators is the common value in
//! common-payoff games, and the sum of the players' payoffs otherwise.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Which matrix game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MatrixSpec {
    /// Climbing game (common payoff).
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
    /// A user-defined table: `payoffs[row][col] = [row payoff, column payoff]`.
    Custom {
        /// The table.
        payoffs: Vec<Vec<[f32; 2]>>,
        /// Whether both players receive the same payoff (team payoff = the common value).
        #[serde(default)]
        common: bool,
    },
}

/// A two-player matrix game.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixGame {
    /// `payoffs[row][col] = [row payoff, column payoff]`.
    pub payoffs: Vec<Vec<[f32; 2]>>,
    /// Common payoff (both players get the same value).
    pub common: bool,
}

fn common(table: [[f32; 3]; 3]) -> Vec<Vec<[f32; 2]>> {
    table.iter().map(|row| row.iter().map(|&v| [v, v]).collect()).collect()
}

impl MatrixGame {
    /// Builds the game of `spec`, checking a custom table's shape.
    pub fn new(spec: &MatrixSpec) -> Result<Self, ConfigError> {
        let game = match spec {
            MatrixSpec::Climbing => {
                MatrixGame { payoffs: common([[11.0, -30.0, 0.0], [-30.0, 7.0, 0.0], [0.0, 6.0, 5.0]]), common: true }
            }
            MatrixSpec::Penalty { k } => {
                if !k.is_finite() {
                    return Err(ConfigError::new("game.k", "must be a finite number"));
                }
                MatrixGame { payoffs: common([[-k, 0.0, 10.0], [0.0, 2.0, 0.0], [10.0, 0.0, -k]]), common: true }
            }
            MatrixSpec::PrisonersDilemma => {
                MatrixGame { payoffs: vec![vec![[5.0, 5.0], [0.0, 10.0]], vec![[10.0, 0.0], [1.0, 1.0]]], common: false }
            }
            MatrixSpec::StagHunt => {
                MatrixGame { payoffs: vec![vec![[2.0, 2.0], [0.0, 1.0]], vec![[1.0, 0.0], [1.0, 1.0]]], common: false }
            }
            MatrixSpec::MatchingPennies => {
                MatrixGame { payoffs: vec![vec![[1.0, -1.0], [-1.0, 1.0]], vec![[-1.0, 1.0], [1.0, -1.0]]], common: false }
            }
            MatrixSpec::Custom { payoffs, common } => {
                let cols = payoffs.first().map_or(0, Vec::len);
                if payoffs.is_empty() || cols == 0 || payoffs.iter().any(|row| row.len() != cols) {
                    return Err(ConfigError::new("game.payoffs", "must be a non-empty rectangular table"));
                }
                if payoffs.len() > 16 || cols > 16 {
                    return Err(ConfigError::new("game.payoffs", "at most 16 actions per player"));
                }
                if payoffs.iter().flatten().flatten().any(|v| !v.is_finite()) {
                    return Err(ConfigError::new("game.payoffs", "every payoff must be a finite number"));
                }
                MatrixGame { payoffs: payoffs.clone(), common: *common }
            }
        };
        Ok(game)
    }

    /// Actions of player `player` (0 = row, 1 = column).
    pub fn actions(&self, player: usize) -> usize {
        if player == 0 { self.payoffs.len() } else { self.payoffs[0].len() }
    }

    /// Each player's payoff for (row, col).
    pub fn payoff(&self, row: usize, col: usize) -> [f32; 2] {
        self.payoffs[row][col]
    }

    /// Team payoff: the common value, or the sum of the players' payoffs.
    pub fn team_payoff(&self, row: usize, col: usize) -> f32 {
        let [a, b] = self.payoff(row, col);
        if self.common { a } else { a + b }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_payoffs() {
        let climbing = MatrixGame::new(&MatrixSpec::Climbing).expect("valid");
        assert_eq!(climbing.team_payoff(0, 0), 11.0);
        assert_eq!(climbing.team_payoff(1, 1), 7.0);
        assert_eq!(climbing.team_payoff(2, 2), 5.0);
        assert_eq!(climbing.team_payoff(0, 1), -30.0);
        let penalty = MatrixGame::new(&MatrixSpec::Penalty { k: 50.0 }).expect("valid");
        assert_eq!(penalty.team_payoff(0, 0), -50.0);
        assert_eq!(penalty.team_payoff(0, 2), 10.0);
        let pd = MatrixGame::new(&MatrixSpec::PrisonersDilemma).expect("valid");
        assert_eq!(pd.payoff(1, 1), [1.0, 1.0]);
        assert_eq!(pd.payoff(0, 1), [0.0, 10.0]);
        let pennies = MatrixGame::new(&MatrixSpec::MatchingPennies).expect("valid");
        assert_eq!(pennies.team_payoff(0, 1), 0.0);
    }

    #[test]
    fn custom_tables_are_checked() {
        let ragged = MatrixSpec::Custom { payoffs: vec![vec![[1.0, 1.0]], vec![]], common: false };
        assert_eq!(MatrixGame::new(&ragged).expect_err("must be refused").field, "game.payoffs");
    }
}
