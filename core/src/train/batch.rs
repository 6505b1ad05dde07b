//! One run's batch after the estimator: what an update is made of, and what the batch views
//! show afterwards (a leaf of `train`).

use crate::advantage::Advantages;
use crate::rollout::Rollout;

/// One run's batch after the estimator.
#[derive(Debug)]
pub(super) struct RunBatch {
    pub rollout: Rollout,
    pub advantages: Advantages,
    /// The collecting policies at the game's one state (games with a payoff oracle).
    pub policies: Option<Vec<Vec<f64>>>,
    /// The update that collected it (1-based).
    pub update: u32,
}
