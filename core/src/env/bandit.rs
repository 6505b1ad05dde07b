//! Multi-agent bandit with a per-agent reward sculptor.
//!
//! Rules:
//! * An episode starts from a context c ∈ {0..C} drawn once per group (the group's "task");
//!   all G episodes of the group share it. The policy sees c one-hot.
//! * Each agent k acts with probability `activation_k` (agents act in index order; `turn`
//!   counts only the agents that acted), choosing one of A arms.
//! * Agent k pulling arm a in context c earns its own reward term
//!   `r_k = offset_k + scale_k · (m_k[(a + c) mod A] + arm_std_k · z)`, z ~ N(0, 1).
//!   That term is the reward credited to k's sample; the team reward is the sum of the terms.
//!
//! With the default scales 1, 10, 100 the agents' reward distributions differ by two orders of
//! magnitude: the regime in which one global baseline fits none of them (Dr. MAS).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec, PayoffOracle};
use crate::estimator::Estimator;
use crate::fields::{check_finite, ConfigError, Field, Range};

/// Default arm means before scale and offset; agent k's are rotated by k so that agents
/// prefer different arms.
const DEFAULT_ARM_MEANS: [f32; 4] = [0.9, 0.5, 0.3, 0.1];
/// Default per-agent reward scales: the Dr. MAS regime.
const DEFAULT_SCALES: [f32; 3] = [1.0, 10.0, 100.0];

/// One agent's reward sculpting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BanditAgent {
    /// Mean of each arm before scale and offset; `None` = the default means rotated by the
    /// agent index (resized to the number of arms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_means: Option<Vec<f32>>,
    /// Std of a pull's noise before scale.
    pub arm_std: f32,
    /// Multiplies the agent's reward.
    pub scale: f32,
    /// Added to the agent's reward.
    pub offset: f32,
    /// Probability that the agent acts in an episode.
    pub activation: f32,
}

impl Default for BanditAgent {
    fn default() -> Self {
        Self { arm_means: None, arm_std: 0.2, scale: 1.0, offset: 0.0, activation: 1.0 }
    }
}

/// The bandit's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BanditConfig {
    /// Arms per agent.
    pub arms: u32,
    /// Number of distinct contexts (tasks).
    pub contexts: u32,
    /// The agents, each with its reward sculpting.
    pub agents: Vec<BanditAgent>,
}

impl Default for BanditConfig {
    fn default() -> Self {
        Self {
            arms: 4,
            contexts: 1,
            agents: DEFAULT_SCALES
                .iter()
                .map(|&scale| BanditAgent { scale, ..BanditAgent::default() })
                .collect(),
        }
    }
}

const ARMS: Field = Field::new("arms", "arms", "4", Range::whole(2, 16), "arms per agent");
const CONTEXTS: Field =
    Field::new("contexts", "contexts", "1", Range::whole(1, 16), "distinct tasks a group can start from; the policy sees it one-hot");
const AGENTS: Field = Field::new("agents", "agents", "3 agents", Range::whole(1, 6), "per-agent reward sculptor, each:");
const ARM_MEANS: Field =
    Field::new("agents[k].arm_means", "arm means", "[0.9,0.5,0.3,0.1] rotated by k", Range::Other, "mean reward of each arm before scale and offset");
const ARM_STD: Field = Field::new("agents[k].arm_std", "spread (noise σ)", "0.2", Range::at_least(0.0), "std of each pull's noise before scale");
const SCALE: Field = Field::new(
    "agents[k].scale",
    "scale ×",
    "1, 10, 100",
    Range::at_least(0.0),
    "the agent's reward = offset + scale * (arm mean + arm_std * N(0,1))",
);
const OFFSET: Field = Field::new("agents[k].offset", "offset +", "0", Range::ANY, "added to the agent's reward");
const ACTIVATION: Field =
    Field::new("agents[k].activation", "activation p", "1.0", Range::real(0.0, 1.0), "probability that the agent acts in an episode");

impl GameSpec for BanditConfig {
    const KIND: &'static str = "bandit";
    const LABEL: &'static str = "Bandit (reward sculptor)";
    const EXPLANATION: &'static str = "Agents pull bandit arms; their rewards differ in scale (×1, ×10, ×100 by default). One global baseline \
        (GRPO over episode means, or step level over every agent's samples) against each agent normalised by its own \
        statistics (agent-wise, Dr. MAS). Dashed lines: the norm factor √((σ_k² + (μ_k − μ)²)/σ²) one global baseline \
        would apply to this column's batches; agent-wise applies 1 (the grey line in its column).";
    const FIELDS: &'static [Field] = &[ARMS, CONTEXTS, AGENTS, ARM_MEANS, ARM_STD, SCALE, OFFSET, ACTIVATION];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::GlobalStep, Estimator::AgentWise]
    }

    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        ARMS.check_whole(prefix, self.arms)?;
        CONTEXTS.check_whole(prefix, self.contexts)?;
        if self.agents.is_empty() || self.agents.len() > 6 {
            return Err(ConfigError::new(AGENTS.path(prefix), format!("give between 1 and 6 agents, got {}", self.agents.len())));
        }
        for (k, agent) in self.agents.iter().enumerate() {
            let agent_prefix = format!("{prefix}.agents[{k}]");
            let field = |f: &Field| format!("{agent_prefix}.{}", f.name.trim_start_matches("agents[k]."));
            let check = |f: &Field, v: f32| f.check_real_at(&field(f), v);
            if let Some(means) = &agent.arm_means {
                if means.len() != self.arms as usize {
                    return Err(ConfigError::new(
                        field(&ARM_MEANS),
                        format!("has {} entries but the game has {} arms", means.len(), self.arms),
                    ));
                }
                for mean in means {
                    check_finite(&field(&ARM_MEANS), *mean)?;
                }
            }
            check(&ARM_STD, agent.arm_std)?;
            if agent.scale < 0.0 {
                // A negative scale would turn the agent's best arm into its worst: not a scale.
                return Err(ConfigError::new(field(&SCALE), format!("{} is below 0 (shift rewards with offset instead)", agent.scale)));
            }
            check(&SCALE, agent.scale)?;
            check(&OFFSET, agent.offset)?;
            check(&ACTIVATION, agent.activation)?;
        }
        Ok(())
    }

    fn agents(&self) -> usize {
        self.agents.len()
    }

    fn max_decisions(&self) -> usize {
        self.agents.len()
    }

    fn has_payoff_oracle(&self) -> bool {
        self.contexts == 1 && self.agents.iter().all(|a| a.activation == 1.0)
    }
}

impl BuildGame for BanditConfig {
    type Game = Bandit;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(Bandit::new(self.clone()))
    }
}


/// The bandit, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Bandit {
    config: BanditConfig,
    /// `arm_means[k][a]`, resolved from the config.
    arm_means: Vec<Vec<f32>>,
}

impl Bandit {
    /// Builds the game from a validated config.
    pub fn new(config: BanditConfig) -> Self {
        let arms = config.arms as usize;
        let arm_means = config
            .agents
            .iter()
            .enumerate()
            .map(|(k, agent)| match &agent.arm_means {
                Some(means) => means.clone(),
                None => (0..arms)
                    .map(|a| {
                        // Spread the default means over the arms, then rotate by the agent index.
                        let pos = ((a + k) % arms) as f32 / (arms - 1).max(1) as f32;
                        let idx = pos * (DEFAULT_ARM_MEANS.len() - 1) as f32;
                        let lo = idx.floor() as usize;
                        let hi = (lo + 1).min(DEFAULT_ARM_MEANS.len() - 1);
                        let t = idx - lo as f32;
                        DEFAULT_ARM_MEANS[lo] * (1.0 - t) + DEFAULT_ARM_MEANS[hi] * t
                    })
                    .collect(),
            })
            .collect();
        Self { config, arm_means }
    }

    /// Number of agents.
    pub fn agents(&self) -> usize {
        self.config.agents.len()
    }

    /// `arm_means[k][a]`: each agent's arm means before scale and offset, defaults resolved.
    pub fn arm_means(&self) -> &[Vec<f32>] {
        &self.arm_means
    }

    /// Number of arms (actions) per agent.
    pub fn actions(&self) -> usize {
        self.config.arms as usize
    }

    /// Observation size: the one-hot context.
    pub fn observation_size(&self) -> usize {
        self.config.contexts as usize
    }

    /// Number of contexts.
    pub fn contexts(&self) -> usize {
        self.config.contexts as usize
    }

    /// Expected reward term of agent `k` pulling `arm` in `context` (noise-free).
    pub fn expected_reward(&self, agent: usize, context: usize, arm: usize) -> f32 {
        let a = &self.config.agents[agent];
        let arms = self.actions();
        a.offset + a.scale * self.arm_means[agent][(arm + context) % arms]
    }

    /// Where `reward` lies between agent `agent`'s worst (0) and best (1) expected reward in
    /// `context`; 0 when all arms are equal.
    pub fn reward_score(&self, agent: usize, context: usize, reward: f32) -> f32 {
        let expected = (0..self.actions()).map(|a| self.expected_reward(agent, context, a));
        let (worst, best) = expected.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if best > worst { (reward - worst) / (best - worst) } else { 0.0 }
    }

    /// The arm with the highest expected reward term for `agent` in `context`.
    pub fn best_arm(&self, agent: usize, context: usize) -> usize {
        (0..self.actions())
            .max_by(|&x, &y| {
                self.expected_reward(agent, context, x).total_cmp(&self.expected_reward(agent, context, y))
            })
            .unwrap_or(0)
    }

}

/// One bandit episode: the context, which agents act, their noise draws and chosen arms.
#[derive(Debug, Clone, PartialEq)]
pub struct BanditState {
    context: usize,
    acts: Vec<bool>,
    noise: Vec<f32>,
    chosen: Vec<Option<usize>>,
    done: bool,
}

impl Game for Bandit {
    /// The group's context.
    type Task = usize;
    type State = BanditState;

    fn agents(&self) -> usize {
        Bandit::agents(self)
    }

    fn actions(&self) -> usize {
        Bandit::actions(self)
    }

    fn observation_size(&self) -> usize {
        Bandit::observation_size(self)
    }

    fn task(&self, env: &mut ChaCha8Rng) -> usize {
        env.random_range(0..self.contexts())
    }

    fn start(&self, &context: &usize, env: &mut ChaCha8Rng) -> BanditState {
        let agents = self.agents();
        let mut acts = Vec::with_capacity(agents);
        let mut noise = Vec::with_capacity(agents);
        for agent in &self.config.agents {
            // Draw the activation and the noise for every agent, acting or not, so that the env
            // stream does not depend on the policy.
            acts.push(env.random::<f32>() < agent.activation);
            noise.push(StandardNormal.sample(env));
        }
        BanditState { context, acts, noise, chosen: vec![None; agents], done: false }
    }

    fn acting(&self, state: &BanditState, out: &mut Vec<usize>) {
        if !state.done {
            out.extend((0..self.agents()).filter(|&k| state.acts[k]));
        }
    }

    fn legal(&self, _state: &BanditState, _agent: usize, mask: &mut [bool]) {
        mask.fill(true);
    }

    fn observe(&self, state: &BanditState, _agent: usize, obs: &mut [f32]) {
        obs[state.context] = 1.0;
    }

    fn anchor(&self, state: &BanditState, agent: usize) -> String {
        format!("a{agent}/c{}", state.context)
    }

    fn step(&self, state: &mut BanditState, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        let arms = self.actions();
        for &(k, arm) in joint {
            let agent = &self.config.agents[k];
            let mean = self.arm_means[k][(arm + state.context) % arms];
            rewards[k] += agent.offset + agent.scale * (mean + agent.arm_std * state.noise[k]);
            state.chosen[k] = Some(arm);
        }
        state.done = true;
    }

    fn return_range(&self, &context: &usize, agent: usize) -> (f32, f32) {
        let expected = (0..self.actions()).map(|a| self.expected_reward(agent, context, a));
        expected.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }

    fn episode_figures(&self, state: &BanditState, figures: &mut Vec<Figure>) {
        let acted: Vec<(usize, usize)> =
            state.chosen.iter().enumerate().filter_map(|(k, a)| a.map(|a| (k, a))).collect();
        if !acted.is_empty() {
            let best = acted.iter().filter(|&&(k, a)| self.best_arm(k, state.context) == a).count();
            figures.push(("optimal_action_rate", best as f32 / acted.len() as f32));
        }
    }

    fn reference_decision(&self, _agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        let mut obs = vec![0.0; self.observation_size()];
        obs[0] = 1.0;
        Some((obs, vec![true; self.actions()]))
    }
}

/// The bandit in context 0: the team payoff is the sum of the agents' expected reward terms.
impl PayoffOracle for Bandit {
    fn agents(&self) -> usize {
        Bandit::agents(self)
    }
    fn actions(&self, _agent: usize) -> usize {
        Bandit::actions(self)
    }
    fn payoff(&self, joint: &[usize]) -> f64 {
        joint.iter().enumerate().map(|(k, &a)| f64::from(self.expected_reward(k, 0, a))).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::{Table, Uniform};
    use crate::rollout::play_with;
    use rand::SeedableRng;

    #[test]
    fn a_negative_scale_is_refused_by_name() {
        let mut config = BanditConfig::default();
        config.agents[1].scale = -3.0;
        let err = config.validate("game").expect_err("negative scale");
        assert_eq!(err.field, "game.agents[1].scale");
        assert!(err.message.contains("below 0"), "{}", err.message);
        config.agents[1].scale = 0.0;
        assert!(config.validate("game").is_ok(), "the slider's minimum, 0, is a scale");
    }

    #[test]
    fn default_means_rotate_per_agent() {
        let bandit = Bandit::new(BanditConfig::default());
        assert_eq!(bandit.arm_means[0], vec![0.9, 0.5, 0.3, 0.1]);
        assert_eq!(bandit.arm_means[1], vec![0.5, 0.3, 0.1, 0.9]);
        assert_eq!(bandit.best_arm(0, 0), 0);
        assert_eq!(bandit.best_arm(1, 0), 3);
        assert!((bandit.expected_reward(2, 0, 2) - 100.0 * 0.9).abs() < 1e-4);
    }

    #[test]
    fn rewards_follow_scale_and_offset() {
        let mut config = BanditConfig::default();
        config.agents[1].offset = 5.0;
        config.agents[1].arm_std = 0.0;
        let bandit = Bandit::new(config);
        // Deterministic policy: agent 1 always pulls arm 3 (mean 0.9 after rotation).
        let policy = Table(vec![vec![0.25; 4], vec![0.0, 0.0, 0.0, 1.0], vec![0.25; 4]]);
        let out = play_with(&bandit, &policy, 2, 3, ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
        assert_eq!(out.batch.len(), 2 * 3 * 3);
        assert_eq!(out.team_returns.len(), 6);
        for s in &out.batch.samples {
            if s.agent == 1 {
                assert_eq!(s.action, Some(3));
                assert!((s.reward - (5.0 + 10.0 * 0.9)).abs() < 1e-4);
            }
        }
        // Agent 1 always picks its best arm, the others a quarter of the time: 0.5 expected.
        assert!(out.figures["optimal_action_rate"] > 0.33, "{:?}", out.figures);
        // Team reward is the sum of the episode's terms; one step, so step reward = return.
        let ep0: f32 = out.batch.samples.iter().filter(|s| s.episode == 0).map(|s| s.reward).sum();
        assert!((out.team_returns[0] - ep0).abs() < 1e-3);
        assert_eq!(out.step_rewards, out.batch.rewards());
        // Episodes of a group are numbered consecutively and turns count from 0.
        assert!(out.batch.samples.iter().all(|s| s.turn == s.agent));
    }

    #[test]
    fn activation_makes_agents_act_at_different_frequencies() {
        let mut config = BanditConfig::default();
        config.agents[0].activation = 0.0;
        config.agents[2].activation = 0.5;
        let bandit = Bandit::new(config);
        let out = play_with(&bandit, &Uniform, 10, 20, ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(4));
        let count = |k| out.batch.samples.iter().filter(|s| s.agent == k).count();
        assert_eq!(count(0), 0);
        assert_eq!(count(1), 200);
        let c2 = count(2);
        assert!((70..130).contains(&c2), "agent 2 acted {c2} of 200 times");
        // Turns count only acting agents.
        for s in &out.batch.samples {
            if s.agent == 1 {
                assert_eq!(s.turn, 0);
            }
        }
    }

    #[test]
    fn reward_score_maps_worst_arm_to_zero_and_best_to_one() {
        let mut config = BanditConfig::default();
        config.agents[2].offset = -50.0;
        let bandit = Bandit::new(config);
        // Agent 2 (scale 100, offset −50): arms 0.3, 0.1, 0.9, 0.5 → expected −20, −40, 40, 0.
        assert!((bandit.reward_score(2, 0, -40.0) - 0.0).abs() < 1e-6);
        assert!((bandit.reward_score(2, 0, 40.0) - 1.0).abs() < 1e-6);
        assert!((bandit.reward_score(2, 0, 0.0) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn config_validation_names_fields() {
        let mut config = BanditConfig::default();
        config.agents[2].activation = 1.5;
        assert_eq!(config.validate("game").expect_err("must be refused").field, "game.agents[2].activation");
        let mut config = BanditConfig::default();
        config.agents[0].arm_means = Some(vec![1.0, 2.0]);
        assert_eq!(config.validate("game").expect_err("must be refused").field, "game.agents[0].arm_means");
    }
}
