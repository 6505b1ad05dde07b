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

/// Why a JSON batch was refused; names the sample and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sample {index}, field `{field}`: {message}")]
pub struct SampleError {
    /// 0-based index of the sample in the input array.
    pub index: usize,
    /// The offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Batch {
    /// Reads a batch from a JSON array of sample objects, checking every field by name:
    /// `group`, `episode`, `agent`, `turn` are non-negative integers (< 2³²), `reward` a finite
    /// number, `anchor` an optional string, `action` an optional non-negative integer; any other
    /// field is refused.
    pub fn from_json_value(value: &serde_json::Value) -> Result<Self, SampleError> {
        let error = |index: usize, field: &str, message: &str| SampleError {
            index,
            field: field.to_string(),
            message: message.to_string(),
        };
        let items = value.as_array().ok_or_else(|| error(0, "(batch)", "the batch must be a JSON array of sample objects"))?;
        let mut samples = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let object = item.as_object().ok_or_else(|| error(index, "(sample)", "must be a JSON object"))?;
            for key in object.keys() {
                if !["group", "episode", "agent", "turn", "reward", "anchor", "action"].contains(&key.as_str()) {
                    return Err(error(index, key, "unknown field"));
                }
            }
            let integer = |field: &str, required: bool| -> Result<Option<u32>, SampleError> {
                match object.get(field) {
                    None | Some(serde_json::Value::Null) if !required => Ok(None),
                    None => Err(error(index, field, "is missing")),
                    Some(v) => v
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .map(Some)
                        .ok_or_else(|| error(index, field, &format!("must be a non-negative integer below 2^32, got {v}"))),
                }
            };
            let required = |field: &str| integer(field, true).map(|v| v.unwrap_or_default());
            let reward = match object.get("reward") {
                None => return Err(error(index, "reward", "is missing")),
                Some(v) => v
                    .as_f64()
                    .filter(|r| r.is_finite() && r.abs() <= f64::from(f32::MAX))
                    .ok_or_else(|| error(index, "reward", &format!("must be a finite number, got {v}")))?,
            };
            let anchor = match object.get("anchor") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(v) => return Err(error(index, "anchor", &format!("must be a string, got {v}"))),
            };
            samples.push(Sample {
                group: required("group")?,
                episode: required("episode")?,
                agent: required("agent")?,
                turn: required("turn")?,
                reward: reward as f32,
                anchor,
                action: integer("action", false)?,
            });
        }
        Ok(Batch { samples })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_batches_are_read_and_errors_name_sample_and_field() {
        let ok = serde_json::json!([
            {"group": 0, "episode": 0, "agent": 1, "turn": 0, "reward": 1.5, "anchor": "s0"},
            {"group": 0, "episode": 1, "agent": 0, "turn": 0, "reward": -2, "action": 2}
        ]);
        let batch = Batch::from_json_value(&ok).expect("valid batch");
        assert_eq!(batch.samples[0].anchor.as_deref(), Some("s0"));
        assert_eq!(batch.samples[1].action, Some(2));
        let cases = [
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 0}]), 0, "reward"),
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1},
                                {"group": -1, "episode": 0, "agent": 0, "turn": 0, "reward": 1}]), 1, "group"),
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 1.5, "reward": 1}]), 0, "turn"),
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": "x"}]), 0, "reward"),
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1, "agnet": 2}]), 0, "agnet"),
            (serde_json::json!([{"group": 0, "episode": 0, "agent": 0, "turn": 0, "reward": 1, "anchor": 3}]), 0, "anchor"),
        ];
        for (value, index, field) in cases {
            let err = Batch::from_json_value(&value).expect_err("must be refused");
            assert_eq!((err.index, err.field.as_str()), (index, field), "{err}");
        }
    }
}
