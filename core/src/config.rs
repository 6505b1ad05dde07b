//! Experiment configuration: one serde struct, read from a JSON file (CLI), the URL or an import.
//!
//! Unknown fields are refused by serde; [`TrainConfig::validate`] refuses out-of-range values.
//! Both errors name the field. [`CONFIG_FIELDS`] documents every field (the CLI prints it).

use serde::{Deserialize, Serialize};

use crate::advantage::{EstimatorKind, EstimatorOptions};
use crate::env::bandit::BanditConfig;

/// Most policy rows one update may hold (runs × agents × episodes); keeps a tab's memory sane.
pub const MAX_ROWS: usize = 1 << 20;

/// A config error that names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("config field `{field}`: {message}")]
pub struct ConfigError {
    /// Dotted path of the field, e.g. `game.agents[1].activation`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// The game to train on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum GameConfig {
    /// Multi-agent bandit with per-agent reward sculpting.
    Bandit(BanditConfig),
}

impl Default for GameConfig {
    fn default() -> Self {
        GameConfig::Bandit(BanditConfig::default())
    }
}

/// One experiment: a game, the estimators to compare, the seeds and the hyperparameters.
///
/// Every (estimator, seed) pair is one *run*; all runs train in the same tensors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// The game and its parameters.
    pub game: GameConfig,
    /// Estimators to compare side by side (one run per estimator and seed).
    pub estimators: Vec<EstimatorKind>,
    /// Run seeds; each seed derives the env, init and sampling streams.
    pub seeds: Vec<u64>,
    /// Number of policy updates.
    pub updates: u32,
    /// Groups per update (distinct tasks/contexts).
    pub groups: u32,
    /// Episodes per group (GRPO's G).
    pub group_size: u32,
    /// Hidden units of each agent's MLP.
    pub hidden: u32,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// Entropy bonus coefficient β.
    pub entropy_coef: f32,
    /// Clip each run's global gradient norm to this value; `null` = off (spikes stay visible).
    pub max_grad_norm: Option<f32>,
    /// ε in (x − μ) / (σ + ε).
    pub eps: f32,
    /// Dr. GRPO mean-only variant (no division by σ + ε).
    pub mean_only: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            game: GameConfig::default(),
            estimators: vec![EstimatorKind::GrpoGlobal, EstimatorKind::GlobalStep, EstimatorKind::AgentWise],
            seeds: vec![1],
            updates: 200,
            groups: 4,
            group_size: 8,
            hidden: 32,
            learning_rate: 0.003,
            entropy_coef: 0.0,
            max_grad_norm: None,
            eps: 1e-6,
            mean_only: false,
        }
    }
}

/// Documentation of every config field: (path, default, meaning). The CLI's `train --help`
/// prints it; a test checks that every serialised field appears here.
pub const CONFIG_FIELDS: &[(&str, &str, &str)] = &[
    ("game.kind", "\"bandit\"", "the game; \"bandit\" (multi-agent bandit)"),
    ("game.arms", "4", "arms per agent (2..=16)"),
    ("game.contexts", "1", "distinct tasks a group can start from; the policy sees it one-hot (1..=16)"),
    ("game.agents", "3 agents", "per-agent reward sculptor (1..=6 agents), each:"),
    ("game.agents[k].arm_means", "[0.9,0.5,0.3,0.1] rotated by k", "mean reward of each arm before scale and offset"),
    ("game.agents[k].arm_std", "0.2", "std of each pull's noise before scale (>= 0)"),
    ("game.agents[k].scale", "1, 10, 100", "the agent's reward = offset + scale * (arm mean + arm_std * N(0,1))"),
    ("game.agents[k].offset", "0", "added to the agent's reward"),
    ("game.agents[k].activation", "1.0", "probability that the agent acts in an episode (0..=1)"),
    ("estimators", "[\"grpo-global\",\"global-step\",\"agent-wise\"]", "estimators to compare: grpo-global, agent-wise, global-step, trajectory-per-agent, rloo, mars, gigpo"),
    ("seeds", "[1]", "run seeds (1..=64 of them); one run per estimator and seed"),
    ("updates", "200", "policy updates (1..=1000000)"),
    ("groups", "4", "groups per update (1..=1024)"),
    ("group_size", "8", "episodes per group, GRPO's G (1..=1024)"),
    ("hidden", "32", "hidden units of each agent's MLP (1..=512)"),
    ("learning_rate", "0.003", "Adam learning rate (> 0, <= 1e6)"),
    ("entropy_coef", "0", "entropy bonus beta (>= 0)"),
    ("max_grad_norm", "null", "clip each run's global gradient norm; null = off"),
    ("eps", "1e-6", "epsilon of (x - mu) / (sigma + eps) (>= 0, <= 1)"),
    ("mean_only", "false", "Dr. GRPO variant: subtract the mean only"),
];

fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), ConfigError> {
    if value < min || value > max {
        return Err(ConfigError::new(field, format!("{value} is out of range {min}..={max}")));
    }
    Ok(())
}

pub(crate) fn check_finite(field: &str, value: f32) -> Result<(), ConfigError> {
    if !value.is_finite() {
        return Err(ConfigError::new(field, format!("{value} is not a finite number")));
    }
    Ok(())
}

impl TrainConfig {
    /// Parses a JSON config and validates it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let config: TrainConfig = serde_json::from_str(text).map_err(|e| {
            // serde names unknown fields and type errors in its message; keep its position too.
            ConfigError::new(json_error_field(&e.to_string()), e.to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every range; the error names the first offending field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let GameConfig::Bandit(bandit) = &self.game;
        bandit.validate("game")?;
        if self.estimators.is_empty() || self.estimators.len() > 8 {
            return Err(ConfigError::new("estimators", "give between 1 and 8 estimators"));
        }
        for (i, kind) in self.estimators.iter().enumerate() {
            if self.estimators[..i].contains(kind) {
                return Err(ConfigError::new("estimators", format!("`{kind}` is listed twice")));
            }
        }
        if self.seeds.is_empty() || self.seeds.len() > 64 {
            return Err(ConfigError::new("seeds", "give between 1 and 64 seeds"));
        }
        check_range("updates", self.updates, 1, 1_000_000)?;
        check_range("groups", self.groups, 1, 1024)?;
        check_range("group_size", self.group_size, 1, 1024)?;
        check_range("hidden", self.hidden, 1, 512)?;
        check_finite("learning_rate", self.learning_rate)?;
        if self.learning_rate <= 0.0 || self.learning_rate > 1e6 {
            return Err(ConfigError::new("learning_rate", "must be > 0 and <= 1e6"));
        }
        check_finite("entropy_coef", self.entropy_coef)?;
        check_range("entropy_coef", self.entropy_coef, 0.0, 100.0)?;
        if let Some(max) = self.max_grad_norm {
            check_finite("max_grad_norm", max)?;
            if max <= 0.0 {
                return Err(ConfigError::new("max_grad_norm", "must be > 0 (or null for off)"));
            }
        }
        check_finite("eps", self.eps)?;
        check_range("eps", self.eps, 0.0, 1.0)?;
        let rows = self.runs() * bandit.agents.len() * (self.groups * self.group_size) as usize;
        if rows > MAX_ROWS {
            return Err(ConfigError::new(
                "group_size",
                format!(
                    "runs × agents × groups × group_size = {rows} policy rows per update; at most {MAX_ROWS} fit"
                ),
            ));
        }
        Ok(())
    }

    /// Number of runs: estimators × seeds.
    pub fn runs(&self) -> usize {
        self.estimators.len() * self.seeds.len()
    }

    /// The estimator options these hyperparameters imply.
    pub fn estimator_options(&self) -> EstimatorOptions {
        EstimatorOptions { eps: self.eps, mean_only: self.mean_only, ..EstimatorOptions::default() }
    }
}

/// Pulls the field name out of a serde_json message such as "unknown field `foo`, expected …".
fn json_error_field(message: &str) -> String {
    for marker in ["unknown field `", "missing field `", "unknown variant `"] {
        if let Some(start) = message.find(marker) {
            let rest = &message[start + marker.len()..];
            if let Some(end) = rest.find('`') {
                return rest[..end].to_string();
            }
        }
    }
    "(json)".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_round_trips() {
        let config = TrainConfig::default();
        config.validate().expect("default config is valid");
        let json = serde_json::to_string_pretty(&config).expect("serialize");
        assert_eq!(TrainConfig::from_json(&json).expect("parse"), config);
    }

    #[test]
    fn every_serialised_field_is_documented() {
        fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
            if let serde_json::Value::Object(map) = value {
                for (key, child) in map {
                    let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                    out.push(path.clone());
                    if key == "agents" {
                        if let Some(first) = child.as_array().and_then(|a| a.first()) {
                            walk(&format!("{path}[k]"), first, out);
                        }
                    } else {
                        walk(&path, child, out);
                    }
                }
            }
        }
        let mut paths = Vec::new();
        walk("", &serde_json::to_value(TrainConfig::default()).expect("to_value"), &mut paths);
        for path in paths {
            if path == "game" {
                continue;
            }
            assert!(
                CONFIG_FIELDS.iter().any(|(name, _, _)| *name == path),
                "config field {path} is not documented in CONFIG_FIELDS"
            );
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_name() {
        let err = TrainConfig::from_json(r#"{"updates": 3, "learning_rat": 0.1}"#).expect_err("must be refused");
        assert_eq!(err.field, "learning_rat");
        let err = TrainConfig::from_json(r#"{"game": {"kind": "bandit", "armz": 3}}"#).expect_err("must be refused");
        assert_eq!(err.field, "armz");
        let err = TrainConfig::from_json(r#"{"estimators": ["agentwise"]}"#).expect_err("must be refused");
        assert_eq!(err.field, "agentwise");
    }

    #[test]
    fn out_of_range_values_are_refused_by_name() {
        let cases = [
            (r#"{"updates": 0}"#, "updates"),
            (r#"{"learning_rate": -1}"#, "learning_rate"),
            (r#"{"group_size": 5000}"#, "group_size"),
            (r#"{"seeds": []}"#, "seeds"),
            (r#"{"max_grad_norm": 0}"#, "max_grad_norm"),
            (r#"{"estimators": ["agent-wise", "agent-wise"]}"#, "estimators"),
            (r#"{"game": {"kind": "bandit", "arms": 1}}"#, "game.arms"),
        ];
        for (json, field) in cases {
            let err = TrainConfig::from_json(json).expect_err("must be refused");
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }
}
