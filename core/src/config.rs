//! Experiment configuration: one serde struct, read from a JSON file (CLI), the URL or an import.
//!
//! Unknown fields are refused by serde; [`TrainConfig::validate`] refuses out-of-range values,
//! checking each against its entry in the one table of fields ([`field`], [`TRAIN_FIELDS`] and
//! each game's [`crate::env::GameSpec::FIELDS`]). Both errors name the field.

use serde::{Deserialize, Serialize};

use crate::advantage::{DifferenceBaseline, EstimatorOptions, RlooScope};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field};
use crate::policy::PolicySharing;
pub use crate::env::GameConfig;

/// Most policy rows one update may hold (runs × agents × episodes); keeps a tab's memory sane.
pub const MAX_ROWS: usize = 1 << 20;

/// How a language agent's per-token losses are aggregated over a batch of N responses
/// (REFERENCE.md, "Token-level policy gradient"; verl's names). m is the mask of written tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossAgg {
    /// Σ_i Σ_t m_it ℓ_it / Σ_i Σ_t m_it: every token weighs the same (long responses weigh more).
    #[default]
    TokenMean,
    /// (1/N) Σ_i Σ_t m_it ℓ_it.
    SeqMeanTokenSum,
    /// (1/N) Σ_i (Σ_t m_it ℓ_it / Σ_t m_it): GRPO's original, with Dr. GRPO's length bias.
    SeqMeanTokenMean,
    /// Σ_i Σ_t m_it ℓ_it / (N · T_max): Dr. GRPO's constant normaliser.
    SeqMeanTokenSumNorm,
}

impl LossAgg {
    /// Every aggregation, in REFERENCE.md's order.
    pub const ALL: [LossAgg; 4] = [LossAgg::TokenMean, LossAgg::SeqMeanTokenSum, LossAgg::SeqMeanTokenMean, LossAgg::SeqMeanTokenSumNorm];

    /// Its config name (`token-mean`).
    pub fn name(self) -> &'static str {
        match self {
            LossAgg::TokenMean => "token-mean",
            LossAgg::SeqMeanTokenSum => "seq-mean-token-sum",
            LossAgg::SeqMeanTokenMean => "seq-mean-token-mean",
            LossAgg::SeqMeanTokenSumNorm => "seq-mean-token-sum-norm",
        }
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
    /// How language agents' per-token losses are aggregated (token games only).
    pub loss_agg: LossAgg,
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
    /// GiGPO with (group, agent) keys, as Dr. MAS's code computes them.
    pub gigpo_agent_wise: bool,
    /// Agent-wise GiGPO over each agent's own part of the episode (needs `gigpo_agent_wise`).
    pub gigpo_own_steps: bool,
    /// RLOO at episode scope as DrMAS's code: first sample per trajectory, own reward scored.
    pub rloo_first_sample: bool,
    /// MARS's unique values over the padded tensor, as its code takes them.
    pub mars_padded_unique: bool,
    /// Difference rewards' counterfactual: default-action or expected.
    pub difference_baseline: DifferenceBaseline,
    /// Dr. MAS's theory checked live: each update, every run's batch under every compared
    /// estimator at the collecting policy, and each agent's gradient norm (one extra backward
    /// pass and read-back per update).
    pub theory_check: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            game: GameConfig::default(),
            estimators: vec![Estimator::GrpoGlobal, Estimator::GlobalStep, Estimator::AgentWise],
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
            loss_agg: LossAgg::TokenMean,
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
            gigpo_own_steps: false,
            rloo_first_sample: false,
            mars_padded_unique: false,
            difference_baseline: DifferenceBaseline::DefaultAction,
            theory_check: false,
        }
    }
}

/// The fields of [`TrainConfig`] besides the game, each with its range: validation checks
/// against them, the CLI's `train --help` prints them (with every game's, see [`help_fields`])
/// and the page's builder takes its controls and bounds from them.
pub mod field {
    use crate::estimator::Estimator;
    use crate::fields::{Field, Range};

    /// The game.
    pub const GAME: Field = Field::new("game", "game", "{\"kind\": \"bandit\"}", Range::Other, "the game and its parameters (below)");
    /// The estimators.
    pub const ESTIMATORS: Field = Field::new(
        "estimators",
        "estimators",
        "[\"grpo-global\",\"global-step\",\"agent-wise\"]",
        Range::whole(1, Estimator::ALL.len() as u64),
        "estimators to compare (one run per estimator and seed)",
    )
    .unit("estimators");
    /// The seeds.
    pub const SEEDS: Field = Field::new("seeds", "seeds", "[1]", Range::whole(1, 64), "run seeds; each derives the env, init and sampling streams").unit("seeds");
    /// Updates.
    pub const UPDATES: Field = Field::new("updates", "updates", "200", Range::whole(1, 1_000_000), "policy updates").unit("updates");
    /// Groups per update.
    pub const GROUPS: Field = Field::new("groups", "groups per update", "4", Range::whole(1, 1024), "groups per update (distinct tasks)").unit("groups");
    /// Group size.
    pub const GROUP_SIZE: Field = Field::new("group_size", "group size G", "8", Range::whole(1, 1024), "episodes per group, GRPO's G").unit("episodes");
    /// Hidden units.
    pub const HIDDEN: Field = Field::new("hidden", "hidden units", "32", Range::whole(1, 512), "hidden units of each agent's MLP").unit("units");
    /// Policy sharing.
    pub const POLICY: Field = Field::new(
        "policy",
        "policy",
        "\"separate\"",
        Range::Choice(&["separate", "shared"]),
        "separate (one MLP per agent) or shared (one MLP, one-hot agent id appended)",
    );
    /// Learning rate.
    pub const LEARNING_RATE: Field = Field::new("learning_rate", "learning rate", "0.003", Range::above(0.0, 1e6), "Adam learning rate");
    /// Per-agent learning rates.
    pub const AGENT_LEARNING_RATES: Field = Field::new(
        "agent_learning_rates",
        "agent learning rates",
        "null",
        Range::above(0.0, 1e6),
        "one learning rate per agent (separate policies only); null = learning_rate",
    )
    .list();
    /// PPO clip.
    pub const PPO_CLIP: Field =
        Field::new("ppo_clip", "PPO clip ε", "null", Range::above(0.0, 10.0), "PPO clip range of the probability ratio; null = plain policy gradient")
            .optional();
    /// Epochs.
    pub const EPOCHS: Field = Field::new("epochs", "epochs", "1", Range::whole(1, 32), "optimizer epochs over each batch").unit("epochs");
    /// Language agents' loss aggregation over tokens.
    pub const LOSS_AGG: Field = Field::new(
        "loss_agg",
        "loss aggregation (tokens)",
        "\"token-mean\"",
        Range::Choice(&["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"]),
        "language agents only: how per-token losses are averaged over a batch (verl's names; REFERENCE.md)",
    );
    /// Entropy bonus.
    pub const ENTROPY_COEF: Field = Field::new("entropy_coef", "entropy bonus β", "0", Range::real(0.0, 100.0), "entropy bonus beta").slider(0.0, 0.1);
    /// KL penalty.
    pub const KL_COEF: Field =
        Field::new("kl_coef", "KL penalty β_KL", "0", Range::real(0.0, 100.0), "KL(pi || pi_init) penalty to the initial policy").slider(0.0, 1.0);
    /// Gradient clipping.
    pub const MAX_GRAD_NORM: Field =
        Field::new("max_grad_norm", "max gradient norm", "null", Range::Real { min: 0.0, max: f64::INFINITY, above_min: true }, "clip each run's global gradient norm")
            .optional();
    /// ε of the normalisation.
    pub const EPS: Field = Field::new("eps", "ε (std floor)", "1e-6", Range::real(0.0, 1.0), "epsilon of (x - mu) / (sigma + eps)");
    /// Mean only.
    pub const MEAN_ONLY: Field = Field::new("mean_only", "mean only (Dr. GRPO)", "false", Range::Flag, "Dr. GRPO variant: subtract the mean only");
    /// RLOO's members.
    pub const RLOO_SCOPE: Field =
        Field::new("rloo_scope", "RLOO members", "\"episode\"", Range::Choice(&["episode", "agent", "group"]), "RLOO's members: episode, agent or group");
    /// MARS's γ.
    pub const MARS_GAMMA: Field = Field::new("mars_gamma", "MARS γ", "1", Range::real(0.0, 1.0), "MARS discount over a player's turns").slider(0.0, 1.0);
    /// GiGPO's γ.
    pub const GIGPO_GAMMA: Field = Field::new("gigpo_gamma", "GiGPO γ", "0.95", Range::real(0.0, 1.0), "GiGPO discount over steps").slider(0.0, 1.0);
    /// GiGPO's ω.
    pub const GIGPO_OMEGA: Field = Field::new("gigpo_omega", "GiGPO ω", "1", Range::real(0.0, 100.0), "GiGPO weight of the step term").slider(0.0, 2.0);
    /// GiGPO's mean_std mode.
    pub const GIGPO_MEAN_STD: Field =
        Field::new("gigpo_mean_std", "GiGPO divides by σ", "false", Range::Flag, "GiGPO divides by sigma + eps (mean_std mode)");
    /// GiGPO's agent-wise keys.
    pub const GIGPO_AGENT_WISE: Field = Field::new(
        "gigpo_agent_wise",
        "GiGPO keys per agent (Dr. MAS)",
        "false",
        Range::Flag,
        "GiGPO keys per (group, agent) as Dr. MAS's code: whole-episode totals, one value per agent step, step groups (group, agent, anchor)",
    );
    /// GiGPO's own-steps reading of agent-wise keys.
    pub const GIGPO_OWN_STEPS: Field = Field::new(
        "gigpo_own_steps",
        "GiGPO agent-wise: own steps",
        "false",
        Range::Flag,
        "with gigpo_agent_wise: each agent's own part of the episode is its episode (own total, own step returns, one value per episode) instead of Dr. MAS's reading",
    );
    /// RLOO's first-sample rule.
    pub const RLOO_FIRST_SAMPLE: Field = Field::new(
        "rloo_first_sample",
        "RLOO first sample (DrMAS code)",
        "false",
        Range::Flag,
        "at rloo_scope episode, as DrMAS's code: each trajectory's first sample is its member and every sample is scored with its own reward, A = (r - mean)·n/(n-1); the default uses the trajectory's mean reward",
    );
    /// MARS's padded unique values.
    pub const MARS_PADDED_UNIQUE: Field = Field::new(
        "mars_padded_unique",
        "MARS padded unique (code)",
        "false",
        Range::Flag,
        "as MARS's code: 0 joins a player's unique values when one of its rows is shorter than the batch's longest; the default takes the turns only",
    );
    /// The theory check.
    pub const THEORY_CHECK: Field = Field::new(
        "theory_check",
        "theory check (same-batch gradients)",
        "false",
        Range::Flag,
        "each update, every run's batch under each selected estimator plus global-step and agent-wise, at the policy that collected it: each agent's gradient norm, and the measured ratio |g_global-step|^2 / |g_agent-wise|^2 beside the predicted (sigma_k^2 + (mu_k - mu)^2) / sigma^2",
    );
    /// Difference rewards' baseline.
    pub const DIFFERENCE_BASELINE: Field = Field::new(
        "difference_baseline",
        "difference baseline",
        "\"default-action\"",
        Range::Choice(&["default-action", "expected"]),
        "difference rewards' counterfactual: default-action or expected (aristocrat utility)",
    );
}

/// Every field of [`TrainConfig`] besides the game's, in the struct's order.
pub const TRAIN_FIELDS: &[Field] = &[
    field::GAME,
    field::ESTIMATORS,
    field::SEEDS,
    field::UPDATES,
    field::GROUPS,
    field::GROUP_SIZE,
    field::HIDDEN,
    field::POLICY,
    field::LEARNING_RATE,
    field::AGENT_LEARNING_RATES,
    field::PPO_CLIP,
    field::EPOCHS,
    field::LOSS_AGG,
    field::ENTROPY_COEF,
    field::KL_COEF,
    field::MAX_GRAD_NORM,
    field::EPS,
    field::MEAN_ONLY,
    field::RLOO_SCOPE,
    field::MARS_GAMMA,
    field::GIGPO_GAMMA,
    field::GIGPO_OMEGA,
    field::GIGPO_MEAN_STD,
    field::GIGPO_AGENT_WISE,
    field::GIGPO_OWN_STEPS,
    field::RLOO_FIRST_SAMPLE,
    field::MARS_PADDED_UNIQUE,
    field::DIFFERENCE_BASELINE,
    field::THEORY_CHECK,
];

/// Every documented config path with its default and meaning, as `train --help` prints it:
/// the trainer's fields, `game.kind`, then each game's fields (`game.size`, "5 (foraging)").
pub fn help_fields() -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> =
        TRAIN_FIELDS.iter().map(|f| (f.name.to_string(), f.default.to_string(), f.describe())).collect();
    // The estimators' and games' names come from their registries, not from prose.
    let (general, payoff): (Vec<Estimator>, Vec<Estimator>) = Estimator::ALL.into_iter().partition(|e| !e.needs_game());
    let names = |list: &[Estimator]| list.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ");
    let one_step: Vec<&str> = GameConfig::examples().iter().filter(|g| g.has_payoff_oracle()).map(GameConfig::kind).collect();
    if let Some(row) = out.iter_mut().find(|(name, _, _)| name == field::ESTIMATORS.name) {
        row.2.push_str(&format!(
            ", of: {}; and on one-step games with an exact payoff ({}): {}",
            names(&general),
            one_step.join(", "),
            names(&payoff)
        ));
    }
    let kinds: Vec<&str> = GameConfig::examples().iter().map(GameConfig::kind).collect();
    out.insert(1, ("game.kind".into(), "\"bandit\"".into(), format!("the game: {}", kinds.join(", "))));
    let mut at = 2;
    for game in GameConfig::examples() {
        for f in game.fields() {
            let path = f.path("game");
            if out.iter().any(|(p, _, _)| *p == path) {
                continue;
            }
            out.insert(at, (path, format!("{} ({})", f.default, game.kind()), f.describe()));
            at += 1;
        }
    }
    out
}

impl TrainConfig {
    /// The defaults with `game`. Language agents learn from scratch, so their defaults give
    /// the solver exploration and signal: entropy bonus 0.03, 8 groups of 16 episodes, 300
    /// updates (in our runs the solver's accuracy went from ~3 % to 75–90 % agent-wise); the MLP
    /// games' defaults are [`TrainConfig::default`]'s, which old links are read against.
    pub fn for_game(game: GameConfig) -> Self {
        let language = game.is_language();
        let base = TrainConfig { game, ..TrainConfig::default() };
        if language {
            TrainConfig { entropy_coef: 0.03, groups: 8, group_size: 16, updates: 300, ..base }
        } else {
            base
        }
    }

    /// Parses a JSON config and validates it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let config: TrainConfig = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            // serde names an unknown field or variant in its message: that name is the field
            // (`learning_rat`, `agentwise`); serde_path_to_error knows where it was (`loss_agg`;
            // inside the game only `game`, which serde buffers to read its `kind`): the message
            // leads with that path, and a type error is named by it. serde keeps its position.
            let path = e.path().to_string();
            let known = !path.is_empty() && path != ".";
            let message = e.inner().to_string();
            let named = json_error_field(&message);
            let field = if named == "(json)" && known { path.clone() } else { named };
            ConfigError::new(field, if known { format!("{path}: {message}") } else { message })
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every range; the error names the first offending field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.game.validate()?;
        if self.estimators.is_empty() || self.estimators.len() > Estimator::ALL.len() {
            return Err(ConfigError::new(field::ESTIMATORS.name, format!("give between 1 and {} estimators", Estimator::ALL.len())));
        }
        for (i, estimator) in self.estimators.iter().enumerate() {
            if self.estimators[..i].contains(estimator) {
                return Err(ConfigError::new(field::ESTIMATORS.name, format!("`{}` is listed twice", estimator.name())));
            }
            if estimator.needs().payoff_oracle && !self.game.has_payoff_oracle() {
                return Err(ConfigError::new(
                    field::ESTIMATORS.name,
                    format!(
                        "`{}` needs a one-step game with an exact payoff: a matrix game, or the bandit with one context and every activation 1",
                        estimator.name()
                    ),
                ));
            }
        }
        if self.seeds.is_empty() || self.seeds.len() > 64 {
            return Err(ConfigError::new(field::SEEDS.name, "give between 1 and 64 seeds"));
        }
        field::UPDATES.check_whole("", self.updates)?;
        field::GROUPS.check_whole("", self.groups)?;
        field::GROUP_SIZE.check_whole("", self.group_size)?;
        field::HIDDEN.check_whole("", self.hidden)?;
        field::LEARNING_RATE.check_real("", self.learning_rate)?;
        if let Some(rates) = &self.agent_learning_rates {
            let name = field::AGENT_LEARNING_RATES.name;
            if self.policy == PolicySharing::Shared {
                return Err(ConfigError::new(name, "per-agent learning rates need separate policies"));
            }
            let agents = self.game.agents();
            if rates.len() != agents {
                return Err(ConfigError::new(name, format!("give one rate for each of the {agents} agents, got {}", rates.len())));
            }
            for (k, &rate) in rates.iter().enumerate() {
                field::AGENT_LEARNING_RATES.check_real_at(&format!("{name}[{k}]"), rate)?;
            }
        }
        if let Some(clip) = self.ppo_clip {
            field::PPO_CLIP.check_real("", clip)?;
        }
        field::EPOCHS.check_whole("", self.epochs)?;
        field::ENTROPY_COEF.check_real("", self.entropy_coef)?;
        field::KL_COEF.check_real("", self.kl_coef)?;
        field::MARS_GAMMA.check_real("", self.mars_gamma)?;
        field::GIGPO_GAMMA.check_real("", self.gigpo_gamma)?;
        field::GIGPO_OMEGA.check_real("", self.gigpo_omega)?;
        if self.gigpo_own_steps && !self.gigpo_agent_wise {
            return Err(ConfigError::new(field::GIGPO_OWN_STEPS.name, "reads agent-wise keys only: set gigpo_agent_wise too"));
        }
        if self.rloo_first_sample && self.rloo_scope != RlooScope::Episode {
            return Err(ConfigError::new(
                field::RLOO_FIRST_SAMPLE.name,
                "applies at rloo_scope \"episode\" only (at agent or group scope every sample is a member already)",
            ));
        }
        if let Some(max) = self.max_grad_norm {
            field::MAX_GRAD_NORM.check_real("", max)?;
        }
        field::EPS.check_real("", self.eps)?;
        if self.game.is_language() {
            if self.theory_check {
                return Err(ConfigError::new(field::THEORY_CHECK.name, "is measured for the MLP games only, not yet for language agents"));
            }
            if self.kl_coef > 0.0 {
                return Err(ConfigError::new(field::KL_COEF.name, "is applied to the MLP games only, not yet to language agents: set it to 0"));
            }
        }
        let rows = self.runs() * self.game.max_decisions() * (self.groups * self.group_size) as usize;
        if rows > MAX_ROWS {
            return Err(ConfigError::new(
                field::GROUP_SIZE.name,
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
            gigpo_own_steps: self.gigpo_own_steps,
            rloo_first_sample: self.rloo_first_sample,
            mars_padded_unique: self.mars_padded_unique,
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
    use crate::env::matrix::MatrixSpec;

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
                help_fields().iter().any(|(name, _, _)| *name == path),
                "config field {path} is not documented in the fields table"
            );
        }
    }

    /// The fields table's defaults are the config's: the help and the builder show what a
    /// config without the field gets.
    #[test]
    fn every_field_default_is_the_config_default() {
        fn check(path: &str, documented: &str, actual: &serde_json::Value) {
            let documented: serde_json::Value = serde_json::from_str(documented).unwrap_or_else(|e| panic!("{path}: default {documented}: {e}"));
            let same = match (documented.as_f64(), actual.as_f64()) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                _ => documented == *actual,
            };
            assert!(same, "{path}: documented default {documented}, config default {actual}");
        }
        let config = serde_json::to_value(TrainConfig::default()).expect("to_value");
        // `game` is documented as its kind; the games' own fields follow.
        for f in TRAIN_FIELDS.iter().filter(|f| f.name != "game") {
            check(f.name, f.default, &config[f.name]);
        }
        for game in GameConfig::examples() {
            let value = serde_json::to_value(&game).expect("to_value");
            for f in game.fields() {
                // Per-agent fields (`agents[k].scale`) vary by agent; their own tests cover them.
                if f.name.contains('[') || f.name.contains('.') {
                    continue;
                }
                // A list documented by its length (`agents`: "3 agents") is not a JSON default.
                let Some(actual) = value.get(f.name).filter(|v| !v.is_array() || f.default.starts_with('[')) else { continue };
                check(&format!("{} game.{}", game.kind(), f.name), f.default, actual);
            }
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
            (r#"{"gigpo_own_steps": true}"#, "gigpo_own_steps"),
            (r#"{"rloo_scope": "agent", "rloo_first_sample": true}"#, "rloo_first_sample"),
        ];
        for (json, field) in cases {
            let err = TrainConfig::from_json(json).expect_err("must be refused");
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }
}
