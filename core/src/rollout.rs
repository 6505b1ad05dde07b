//! The batch an update sees: plain arrays on the CPU.
//!
//! A batch is made of *groups* (G episodes that start from the same task, GRPO's "prompt").
//! Every action an agent takes is one [`Sample`]. Estimators map a batch to one advantage per
//! sample, in sample order.

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::env::{sample_categorical, AnyGame, Figure, Game, GameVisitor, PolicyView};
use crate::rng::RunStreams;

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

/// What one run's rollout produced: the batch and, per sample, what the trainer needs to
/// replay the decision on the device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollout {
    /// The samples in collection order (group, episode, turn), each credited with its agent's
    /// episode return R_{i,k} (the default crediting of REFERENCE.md; in common-payoff games
    /// every agent's return is the team's).
    pub batch: Batch,
    /// Per sample, its *step* reward: what its agent received from this action until its next
    /// one (or the episode's end). Turn- and step-level estimators (MARS, GiGPO) use these.
    pub step_rewards: Vec<f32>,
    /// Per sample, its reward score: the agent's return mapped by the game's return range to
    /// 0 (worst) … 1 (best), comparable across agents on different scales.
    pub scores: Vec<f32>,
    /// Observation size O.
    pub observation_size: usize,
    /// Actions A.
    pub actions: usize,
    /// Per sample, the observation: `observations[i * O .. (i + 1) * O]`.
    pub observations: Vec<f32>,
    /// Per sample, the legal mask: `legal[i * A .. (i + 1) * A]`.
    pub legal: Vec<bool>,
    /// Per sample, the behaviour policy's probabilities: `probs[i * A .. (i + 1) * A]`.
    pub probs: Vec<f32>,
    /// Per sample, the grid cell of the acting agent (games on a grid; empty otherwise).
    pub cells: Vec<[u8; 2]>,
    /// Per episode, the team return (Σ_k R_{i,k}, or the common payoff).
    pub team_returns: Vec<f32>,
    /// The game's episode figures, averaged over the episodes that reported them.
    pub figures: BTreeMap<String, f32>,
}

impl Rollout {
    /// The batch with each sample credited with its step reward instead of its return.
    pub fn step_batch(&self) -> Batch {
        let mut batch = self.batch.clone();
        for (sample, &r) in batch.samples.iter_mut().zip(&self.step_rewards) {
            sample.reward = r;
        }
        batch
    }
}

/// Plays one run's batch of any game of the lab; see [`play`].
pub fn play_any(
    game: &AnyGame,
    policy: &dyn PolicyView,
    groups: usize,
    group_size: usize,
    streams: &mut RunStreams,
    anchors: bool,
) -> Rollout {
    struct Play<'a> {
        policy: &'a dyn PolicyView,
        groups: usize,
        group_size: usize,
        streams: &'a mut RunStreams,
        anchors: bool,
    }
    impl GameVisitor for Play<'_> {
        type Output = Rollout;
        fn visit<G: Game>(self, game: &G) -> Rollout {
            play(game, self.policy, self.groups, self.group_size, self.streams, self.anchors)
        }
    }
    game.visit(Play { policy, groups, group_size, streams, anchors })
}

/// Plays `groups × group_size` episodes of `game` with `policy`: task and environment
/// randomness from `streams.env`, one uniform draw per decision from `streams.sampling`.
/// Anchor keys are recorded when `anchors` is set (GiGPO needs them; they cost a string each).
pub fn play<G: Game>(
    game: &G,
    policy: &dyn PolicyView,
    groups: usize,
    group_size: usize,
    streams: &mut RunStreams,
    anchors: bool,
) -> Rollout {
    let (agents, actions, obs_size) = (game.agents(), game.actions(), game.observation_size());
    let mut out = Rollout { observation_size: obs_size, actions, ..Rollout::default() };
    let mut acting = Vec::with_capacity(agents);
    let mut joint = Vec::with_capacity(agents);
    let mut rewards = vec![0.0f32; agents];
    let mut figure_sums: BTreeMap<&'static str, (f64, usize)> = BTreeMap::new();
    let mut episode_figures: Vec<Figure> = Vec::new();
    let mut episode = 0u32;
    for group in 0..groups {
        let task = game.task(&mut streams.env);
        for _ in 0..group_size {
            let mut state = game.start(&task, &mut streams.env);
            let first = out.batch.len();
            let mut last_sample: Vec<Option<usize>> = vec![None; agents];
            let mut returns = vec![0.0f32; agents];
            let mut turn = 0u32;
            loop {
                acting.clear();
                game.acting(&state, &mut acting);
                if acting.is_empty() {
                    break;
                }
                joint.clear();
                for &agent in &acting {
                    let i = out.batch.len();
                    let obs_start = out.observations.len();
                    out.observations.resize(obs_start + obs_size, 0.0);
                    let obs = &mut out.observations[obs_start..];
                    game.observe(&state, agent, obs);
                    let legal_start = out.legal.len();
                    out.legal.resize(legal_start + actions, false);
                    game.legal(&state, agent, &mut out.legal[legal_start..]);
                    let probs_start = out.probs.len();
                    out.probs.resize(probs_start + actions, 0.0);
                    policy.probs(
                        agent,
                        &out.observations[obs_start..],
                        &out.legal[legal_start..],
                        &mut out.probs[probs_start..],
                    );
                    let action = sample_categorical(&out.probs[probs_start..], streams.sampling.random::<f32>());
                    out.batch.samples.push(Sample {
                        group: group as u32,
                        episode,
                        agent: agent as u32,
                        turn,
                        reward: 0.0,
                        anchor: anchors.then(|| game.anchor(&state, agent)),
                        action: Some(action as u32),
                    });
                    out.step_rewards.push(0.0);
                    if let Some(cell) = game.cell(&state, agent) {
                        out.cells.push(cell);
                    }
                    last_sample[agent] = Some(i);
                    joint.push((agent, action));
                    turn += 1;
                }
                rewards.fill(0.0);
                game.step(&mut state, &joint, &mut streams.env, &mut rewards);
                for (k, &r) in rewards.iter().enumerate() {
                    returns[k] += r;
                    if let Some(i) = last_sample[k] {
                        out.step_rewards[i] += r;
                    }
                }
            }
            for i in first..out.batch.len() {
                let k = out.batch.samples[i].agent as usize;
                out.batch.samples[i].reward = returns[k];
                let (worst, best) = game.return_range(&task, k);
                out.scores.push(if best > worst { (returns[k] - worst) / (best - worst) } else { 0.0 });
            }
            out.team_returns.push(game.team_return(&state, &returns));
            episode_figures.clear();
            game.episode_figures(&state, &mut episode_figures);
            for &(name, value) in &episode_figures {
                let entry = figure_sums.entry(name).or_default();
                entry.0 += f64::from(value);
                entry.1 += 1;
            }
            episode += 1;
        }
    }
    out.figures =
        figure_sums.into_iter().map(|(name, (sum, n))| (name.to_string(), (sum / n as f64) as f32)).collect();
    out
}

/// Plays with a plain rng pair instead of a run's streams (for tests and benches).
pub fn play_with<G: Game>(
    game: &G,
    policy: &dyn PolicyView,
    groups: usize,
    group_size: usize,
    env: ChaCha8Rng,
    sampling: ChaCha8Rng,
) -> Rollout {
    let mut streams = RunStreams { env, init: sampling.clone(), sampling };
    play(game, policy, groups, group_size, &mut streams, true)
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
