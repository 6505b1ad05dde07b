//! Experiment configuration: one serde struct, read from a JSON file (CLI), the URL or an import.
//!
//! Unknown fields are refused by serde; [`TrainConfig::validate`] refuses out-of-range values.
//! Both errors name the field. [`CONFIG_FIELDS`] documents every field (the CLI prints it).

use serde::{Deserialize, Serialize};

use crate::advantage::{DifferenceBaseline, Estimator, EstimatorKind, EstimatorOptions, RlooScope};
use crate::env::bandit::BanditConfig;
use crate::env::foraging::ForagingConfig;
use crate::env::kuhn::KuhnConfig;
use crate::env::matrix::{MatrixGame, MatrixSpec};
use crate::env::pipeline::PipelineConfig;
use crate::env::tictactoe::TicTacToeConfig;
use crate::policy::PolicySharing;

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
    /// A matrix game (2 or 3 players), e.g. `{"kind": "matrix", "name": "climbing"}`.
    Matrix(MatrixSpec),
    /// The solver–verifier(–refiner) pipeline.
    Pipeline(PipelineConfig),
    /// Kuhn poker, self-play.
    Kuhn(KuhnConfig),
    /// Tic-tac-toe, self-play.
    TicTacToe(TicTacToeConfig),
    /// Level-based foraging gridworld.
    Foraging(ForagingConfig),
}

impl GameConfig {
    /// The default config of every kind of game (documentation, tests, the page's game menu).
    pub fn examples() -> Vec<GameConfig> {
        vec![
            GameConfig::Bandit(BanditConfig::default()),
            GameConfig::Matrix(MatrixSpec::Climbing),
            GameConfig::Pipeline(PipelineConfig::default()),
            GameConfig::Kuhn(KuhnConfig::default()),
            GameConfig::TicTacToe(TicTacToeConfig::default()),
            GameConfig::Foraging(ForagingConfig::default()),
        ]
    }

    /// The `kind` name.
    pub fn kind(&self) -> &'static str {
        match self {
            GameConfig::Bandit(_) => "bandit",
            GameConfig::Matrix(_) => "matrix",
            GameConfig::Pipeline(_) => "pipeline",
            GameConfig::Kuhn(_) => "kuhn",
            GameConfig::TicTacToe(_) => "tic-tac-toe",
            GameConfig::Foraging(_) => "foraging",
        }
    }

    /// Checks the game's own ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            GameConfig::Bandit(c) => c.validate("game"),
            GameConfig::Matrix(spec) => MatrixGame::new(spec).map(|_| ()),
            GameConfig::Pipeline(c) => c.validate("game"),
            GameConfig::Kuhn(_) | GameConfig::TicTacToe(_) => Ok(()),
            GameConfig::Foraging(c) => c.validate("game"),
        }
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        match self {
            GameConfig::Bandit(c) => c.agents.len(),
            GameConfig::Matrix(spec) => MatrixGame::new(spec).map_or(2, |g| g.players()),
            GameConfig::Pipeline(c) => if c.refiner { 3 } else { 2 },
            GameConfig::Kuhn(_) | GameConfig::TicTacToe(_) => 2,
            GameConfig::Foraging(c) => c.agent_levels.len(),
        }
    }

    /// The most decisions (samples) one episode can hold.
    pub fn max_decisions(&self) -> usize {
        match self {
            GameConfig::Bandit(c) => c.agents.len(),
            GameConfig::Matrix(_) => self.agents(),
            GameConfig::Pipeline(c) => (c.rounds * (c.answer_length + 1)) as usize,
            GameConfig::Kuhn(_) => 3,
            GameConfig::TicTacToe(_) => 9,
            GameConfig::Foraging(c) => (c.max_steps as usize) * c.agent_levels.len(),
        }
    }

    /// Whether the game is one simultaneous step with an exact team payoff (what COMA,
    /// difference rewards and Shapley need).
    pub fn has_payoff_oracle(&self) -> bool {
        match self {
            GameConfig::Bandit(c) => c.contexts == 1 && c.agents.iter().all(|a| a.activation == 1.0),
            GameConfig::Matrix(_) => true,
            _ => false,
        }
    }
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
    pub estimators: Vec<Estimator>,
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
    /// One MLP per agent, or one shared MLP with a one-hot agent id.
    pub policy: PolicySharing,
    /// Adam learning rate.
    pub learning_rate: f32,
    /// Per-agent learning rates (separate policies only); `null` = `learning_rate` for all.
    pub agent_learning_rates: Option<Vec<f32>>,
    /// PPO's clip range ε of the probability ratio; `null` = plain policy gradient.
    pub ppo_clip: Option<f32>,
    /// Optimizer epochs over each batch (PPO-style; 1 = one step per update).
    pub epochs: u32,
    /// Entropy bonus coefficient β.
    pub entropy_coef: f32,
    /// Coefficient of the KL(π ‖ π_init) penalty to the initial policy.
    pub kl_coef: f32,
    /// Clip each run's global gradient norm to this value; `null` = off (spikes stay visible).
    pub max_grad_norm: Option<f32>,
    /// ε in (x − μ) / (σ + ε).
    pub eps: f32,
    /// Dr. GRPO mean-only variant (no division by σ + ε).
    pub mean_only: bool,
    /// RLOO's members: episode, agent or group.
    pub rloo_scope: RlooScope,
    /// MARS's discount over a player's turns.
    pub mars_gamma: f32,
    /// GiGPO's discount over steps.
    pub gigpo_gamma: f32,
    /// GiGPO's weight ω of the step term.
    pub gigpo_omega: f32,
    /// GiGPO's mean_std mode.
    pub gigpo_mean_std: bool,
    /// GiGPO with (group, agent) keys.
    pub gigpo_agent_wise: bool,
    /// Difference rewards' counterfactual: default-action or expected.
    pub difference_baseline: DifferenceBaseline,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            game: GameConfig::default(),
            estimators: [EstimatorKind::GrpoGlobal, EstimatorKind::GlobalStep, EstimatorKind::AgentWise]
                .map(Estimator::Batch)
                .to_vec(),
            seeds: vec![1],
            updates: 200,
            groups: 4,
            group_size: 8,
            hidden: 32,
            policy: PolicySharing::Separate,
            learning_rate: 0.003,
            agent_learning_rates: None,
            ppo_clip: None,
            epochs: 1,
            entropy_coef: 0.0,
            kl_coef: 0.0,
            max_grad_norm: None,
            eps: 1e-6,
            mean_only: false,
            rloo_scope: RlooScope::Episode,
            mars_gamma: 1.0,
            gigpo_gamma: 0.95,
            gigpo_omega: 1.0,
            gigpo_mean_std: false,
            gigpo_agent_wise: false,
            difference_baseline: DifferenceBaseline::DefaultAction,
        }
    }
}

/// Documentation of every config field: (path, default, meaning). The CLI's `train --help`
/// prints it; a test checks that every serialised field appears here.
pub const CONFIG_FIELDS: &[(&str, &str, &str)] = &[
    ("game.kind", "\"bandit\"", "the game: bandit, matrix, pipeline, kuhn, tic-tac-toe, foraging"),
    ("game.arms", "4", "arms per agent (2..=16)"),
    ("game.contexts", "1", "distinct tasks a group can start from; the policy sees it one-hot (1..=16)"),
    ("game.agents", "3 agents", "per-agent reward sculptor (1..=6 agents), each:"),
    ("game.agents[k].arm_means", "[0.9,0.5,0.3,0.1] rotated by k", "mean reward of each arm before scale and offset"),
    ("game.agents[k].arm_std", "0.2", "std of each pull's noise before scale (>= 0)"),
    ("game.agents[k].scale", "1, 10, 100", "the agent's reward = offset + scale * (arm mean + arm_std * N(0,1))"),
    ("game.agents[k].offset", "0", "added to the agent's reward"),
    ("game.agents[k].activation", "1.0", "probability that the agent acts in an episode (0..=1)"),
    ("game.name", "(matrix)", "climbing, penalty, prisoners-dilemma, stag-hunt, matching-pennies, coordination, custom"),
    ("game.k", "(matrix penalty)", "the penalty k of penalty-k (e.g. 0, 25, 50, 75, 100)"),
    ("game.players", "2 (matrix coordination)", "players of the coordination game (2..=3)"),
    ("game.actions", "2 (matrix coordination)", "actions per player of the coordination game (2..=8)"),
    ("game.payoffs", "(matrix custom)", "[a][b] = [p0, p1] or [a][b][c] = [p0, p1, p2]"),
    ("game.common", "false (matrix custom)", "every player gets the same payoff"),
    ("game.tasks", "4 (pipeline)", "tasks T (1..=16); task t's answer digit s is (t(s+1)+s) mod D"),
    ("game.digits", "3 (pipeline)", "digits D per answer position (2..=8)"),
    ("game.answer_length", "2 (pipeline)", "digits per proposal = the solver's decisions per round (1..=4)"),
    ("game.rounds", "3 (pipeline)", "rounds K of propose-and-verify (1..=6)"),
    ("game.solver_noise", "0.3 (pipeline)", "probability that a written digit is replaced by a random one (0..=1)"),
    ("game.refiner", "false (pipeline)", "a third agent writes the proposals after a send-back"),
    ("game.call_cost", "0.05 (pipeline)", "cost charged to an agent per decision (0..=1)"),
    ("game.verifier_reward", "\"judgement\" (pipeline)", "judgement (1 per correct verdict) or outcome (the shared outcome)"),
    ("game.size", "5 (foraging)", "grid side (3..=8)"),
    ("game.agent_levels", "[1, 2] (foraging)", "one level (1..=3) per agent, 2..=4 agents"),
    ("game.food", "2 (foraging)", "food items (1..=4)"),
    ("game.cooperative", "false (foraging)", "every food needs all agents (level = sum of agent levels)"),
    ("game.max_steps", "20 (foraging)", "steps per episode (1..=100)"),
    ("game.shared_reward", "true (foraging)", "every agent is paid the team's reward"),
    ("estimators", "[\"grpo-global\",\"global-step\",\"agent-wise\"]", "estimators to compare: grpo-global, agent-wise, global-step, trajectory-per-agent, rloo, mars, gigpo, coma, difference, shapley (the last three on one-step games: bandit with 1 context and activation 1, matrix)"),
    ("seeds", "[1]", "run seeds (1..=64 of them); one run per estimator and seed"),
    ("updates", "200", "policy updates (1..=1000000)"),
    ("groups", "4", "groups per update (1..=1024)"),
    ("group_size", "8", "episodes per group, GRPO's G (1..=1024)"),
    ("hidden", "32", "hidden units of each agent's MLP (1..=512)"),
    ("policy", "\"separate\"", "separate (one MLP per agent) or shared (one MLP, one-hot agent id appended)"),
    ("learning_rate", "0.003", "Adam learning rate (> 0, <= 1e6)"),
    ("agent_learning_rates", "null", "one learning rate per agent (separate policies only); null = learning_rate"),
    ("ppo_clip", "null", "PPO clip range of the probability ratio (0 < eps <= 10); null = plain policy gradient"),
    ("epochs", "1", "optimizer epochs over each batch (1..=32)"),
    ("entropy_coef", "0", "entropy bonus beta (0..=100)"),
    ("kl_coef", "0", "KL(pi || pi_init) penalty to the initial policy (0..=100)"),
    ("max_grad_norm", "null", "clip each run's global gradient norm; null = off"),
    ("eps", "1e-6", "epsilon of (x - mu) / (sigma + eps) (>= 0, <= 1)"),
    ("mean_only", "false", "Dr. GRPO variant: subtract the mean only"),
    ("rloo_scope", "\"episode\"", "RLOO's members: episode, agent or group"),
    ("mars_gamma", "1", "MARS discount over a player's turns (0..=1)"),
    ("gigpo_gamma", "0.95", "GiGPO discount over steps (0..=1)"),
    ("gigpo_omega", "1", "GiGPO weight of the step term (0..=100)"),
    ("gigpo_mean_std", "false", "GiGPO divides by sigma + eps (mean_std mode)"),
    ("gigpo_agent_wise", "false", "GiGPO keys per (group, agent)"),
    ("difference_baseline", "\"default-action\"", "difference rewards' counterfactual: default-action or expected (aristocrat utility)"),
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
        self.game.validate()?;
        if self.estimators.is_empty() || self.estimators.len() > 10 {
            return Err(ConfigError::new("estimators", "give between 1 and 10 estimators"));
        }
        for (i, estimator) in self.estimators.iter().enumerate() {
            if self.estimators[..i].contains(estimator) {
                return Err(ConfigError::new("estimators", format!("`{}` is listed twice", estimator.name())));
            }
            if estimator.needs_game() && !self.game.has_payoff_oracle() {
                return Err(ConfigError::new(
                    "estimators",
                    format!(
                        "`{}` needs a one-step game with an exact payoff: a matrix game, or the bandit with one context and every activation 1",
                        estimator.name()
                    ),
                ));
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
        if let Some(rates) = &self.agent_learning_rates {
            if self.policy == PolicySharing::Shared {
                return Err(ConfigError::new("agent_learning_rates", "per-agent learning rates need separate policies"));
            }
            let agents = self.game.agents();
            if rates.len() != agents {
                return Err(ConfigError::new(
                    "agent_learning_rates",
                    format!("give one rate for each of the {agents} agents, got {}", rates.len()),
                ));
            }
            for (k, &rate) in rates.iter().enumerate() {
                let field = format!("agent_learning_rates[{k}]");
                check_finite(&field, rate)?;
                if rate <= 0.0 || rate > 1e6 {
                    return Err(ConfigError::new(field, "must be > 0 and <= 1e6"));
                }
            }
        }
        if let Some(clip) = self.ppo_clip {
            check_finite("ppo_clip", clip)?;
            if clip <= 0.0 || clip > 10.0 {
                return Err(ConfigError::new("ppo_clip", format!("{clip} is out of range 0 < clip <= 10 (or null for off)")));
            }
        }
        check_range("epochs", self.epochs, 1, 32)?;
        check_finite("entropy_coef", self.entropy_coef)?;
        check_range("entropy_coef", self.entropy_coef, 0.0, 100.0)?;
        check_finite("kl_coef", self.kl_coef)?;
        check_range("kl_coef", self.kl_coef, 0.0, 100.0)?;
        for (field, value) in [("mars_gamma", self.mars_gamma), ("gigpo_gamma", self.gigpo_gamma)] {
            check_finite(field, value)?;
            check_range(field, value, 0.0, 1.0)?;
        }
        check_finite("gigpo_omega", self.gigpo_omega)?;
        check_range("gigpo_omega", self.gigpo_omega, 0.0, 100.0)?;
        if let Some(max) = self.max_grad_norm {
            check_finite("max_grad_norm", max)?;
            if max <= 0.0 {
                return Err(ConfigError::new("max_grad_norm", "must be > 0 (or null for off)"));
            }
        }
        check_finite("eps", self.eps)?;
        check_range("eps", self.eps, 0.0, 1.0)?;
        let rows = self.runs() * self.game.max_decisions() * (self.groups * self.group_size) as usize;
        if rows > MAX_ROWS {
            return Err(ConfigError::new(
                "group_size",
                format!(
                    "runs × decisions per episode × groups × group_size = {rows} policy rows per update; at most {MAX_ROWS} fit"
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
        EstimatorOptions {
            eps: self.eps,
            mean_only: self.mean_only,
            rloo_scope: self.rloo_scope,
            mars_gamma: self.mars_gamma,
            gigpo_gamma: self.gigpo_gamma,
            gigpo_omega: self.gigpo_omega,
            gigpo_mean_std: self.gigpo_mean_std,
            gigpo_agent_wise: self.gigpo_agent_wise,
            difference_baseline: self.difference_baseline,
        }
    }
}

/// Pulls the field name out of a serde_json message such as "unknown field `foo`, expected …".
fn json_error_field(message: &str) -> String {
    for marker in ["unknown field `", "missing field `", "unknown variant `", "duplicate field `"] {
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
    fn every_game_default_is_valid_and_round_trips() {
        for game in GameConfig::examples() {
            let config = TrainConfig { game, ..TrainConfig::default() };
            config.validate().expect("default config is valid");
            let json = serde_json::to_string_pretty(&config).expect("serialize");
            assert_eq!(TrainConfig::from_json(&json).expect("parse"), config, "{json}");
        }
        let every_option: TrainConfig = TrainConfig::from_json(
            r#"{"game": {"kind": "matrix", "name": "penalty", "k": 25}, "policy": "shared", "ppo_clip": 0.2,
                "epochs": 4, "kl_coef": 0.1, "entropy_coef": 0.01, "max_grad_norm": 1.0,
                "estimators": ["coma", "difference", "shapley", "rloo", "mars", "gigpo"],
                "rloo_scope": "agent", "difference_baseline": "expected", "gigpo_agent_wise": true}"#,
        )
        .expect("valid");
        let json = serde_json::to_string(&every_option).expect("serialize");
        assert_eq!(TrainConfig::from_json(&json).expect("parse"), every_option);
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
        let mut games = GameConfig::examples();
        games.push(GameConfig::Matrix(MatrixSpec::Penalty { k: 50.0 }));
        games.push(GameConfig::Matrix(MatrixSpec::Coordination { players: 3, actions: 2 }));
        games.push(GameConfig::Matrix(MatrixSpec::Custom {
            payoffs: crate::env::matrix::PayoffTable::Two(vec![vec![vec![1.0, 1.0]]]),
            common: true,
        }));
        for game in games {
            walk("game", &serde_json::to_value(game).expect("to_value"), &mut paths);
        }
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
        let err = TrainConfig::from_json(r#"{"game": {"kind": "kuhn", "cards": 4}}"#).expect_err("must be refused");
        assert_eq!(err.field, "cards");
        let err = TrainConfig::from_json(r#"{"game": {"kind": "chess"}}"#).expect_err("must be refused");
        assert_eq!(err.field, "chess");
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
            (r#"{"epochs": 0}"#, "epochs"),
            (r#"{"ppo_clip": -0.2}"#, "ppo_clip"),
            (r#"{"agent_learning_rates": [0.1]}"#, "agent_learning_rates"),
            (r#"{"policy": "shared", "agent_learning_rates": [0.1, 0.1, 0.1]}"#, "agent_learning_rates"),
            (r#"{"agent_learning_rates": [0.1, -1, 0.1]}"#, "agent_learning_rates[1]"),
            (r#"{"game": {"kind": "kuhn"}, "estimators": ["coma"]}"#, "estimators"),
            (r#"{"game": {"kind": "matrix", "name": "coordination", "players": 4}}"#, "game.players"),
            (r#"{"game": {"kind": "pipeline", "rounds": 9}}"#, "game.rounds"),
            (r#"{"game": {"kind": "foraging", "size": 2}}"#, "game.size"),
            (r#"{"gigpo_gamma": 1.5}"#, "gigpo_gamma"),
        ];
        for (json, field) in cases {
            let err = TrainConfig::from_json(json).expect_err("must be refused");
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }
}
