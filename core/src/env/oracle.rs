//! A game with an exact team payoff named in a batch file (the CLI's `advantages`): the games
//! that have one implement [`PayoffOracle`] in their own files; [`OracleGame`] builds one.

use serde::{Deserialize, Serialize};

use super::bandit::{Bandit, BanditConfig};
use super::matrix::{MatrixGame, MatrixSpec};
use super::game::{GameSpec, PayoffOracle};
use crate::fields::ConfigError;

/// A game named in a batch file, for the counterfactual estimators.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OracleGame {
    /// A matrix game, e.g. `{"kind": "matrix", "name": "penalty", "k": 50}`.
    Matrix(MatrixSpec),
    /// The bandit (context 0), e.g. `{"kind": "bandit", "arms": 4}`.
    Bandit(BanditConfig),
}

impl OracleGame {
    /// Builds the game's payoff oracle.
    pub fn build(&self) -> Result<Box<dyn PayoffOracle>, ConfigError> {
        Ok(match self {
            OracleGame::Matrix(spec) => Box::new(MatrixGame::new(spec)?),
            OracleGame::Bandit(config) => {
                config.validate("game")?;
                Box::new(Bandit::new(config.clone()))
            }
        })
    }
}

