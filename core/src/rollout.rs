//! The batch an update sees: plain arrays on the CPU.
//!
//! A batch is made of *groups* (G episodes that start from the same task, GRPO's "prompt").
//! Every action an agent takes is one [`Sample`]. Estimators map a batch to one advantage per
//! sample, in sample order.

use serde::{Deserialize, Serialize};

/// One action of one agent: the unit an advantage is assigned to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// Group index: episodes of one group share the initial state / task.
    pub group: u32,
    /// Episode index (unique within the batch, or at least within its group).
    pub episode: u32,
    /// The agent that acted.
    pub agent: u32,
    /// 0-based order of this sample inside its episode.
    pub turn: u32,
    /// Reward credited to this sample.
    pub reward: f32,
    /// Optional anchor-state key (the environment state the action was taken in), for
    /// step-level grouping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
    /// The action taken, where the estimator needs it (COMA, difference rewards, Shapley).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<u32>,
}

/// All samples of one update.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Batch {
    /// The samples, in collection order.
    pub samples: Vec<Sample>,
}

impl Batch {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the batch holds no sample.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Rewards in sample order.
    pub fn rewards(&self) -> Vec<f32> {
        self.samples.iter().map(|s| s.reward).collect()
    }
}
