//! Games. One file per game, payoffs and rules at the top.

pub mod bandit;
pub mod matrix;
