//! Every estimator of the lab by name, and what each needs from a batch.
//!
//! A leaf, like the config errors: the games name their default estimators with it, and the
//! formulas in [`crate::advantage`] implement [`Estimator::compute`] on it. In configs, URLs,
//! reports and the CLI an estimator is its kebab-case name (`"agent-wise"`, `"coma"` …).

use serde::{Deserialize, Serialize};

/// What a sample is credited with before an estimator normalises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rewards {
    /// Its agent's episode return.
    EpisodeReturns,
    /// Its own step reward (turn- and step-level estimators).
    StepRewards,
}

/// What an estimator needs from a batch and its game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// What each sample's reward is.
    pub rewards: Rewards,
    /// The anchor-state key of every decision (GiGPO's step groups).
    pub anchors: bool,
    /// The game's exact payoff for any joint action (one-step games only).
    pub payoff_oracle: bool,
}

/// One row per estimator: its doc, variant, name (in configs, URLs and the CLI; serde's
/// kebab-case of the variant, checked by a test), chart label and [`Needs`]. The enum, the
/// `ALL` list and the lookups are generated from it, so a new estimator is one row here (and
/// its formula in `advantage/`, which the compiler then asks for in `Estimator::compute`).
macro_rules! estimators {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $label:literal, $needs:expr;)*) => {
        /// Any estimator of the lab.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Estimator {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Estimator {
            /// Every estimator, in a stable order (the page's menu, `--help`).
            pub const ALL: [Estimator; [$($name),*].len()] = [$(Estimator::$variant),*];

            /// The name used in configs, URLs and the CLI.
            pub fn name(self) -> &'static str {
                match self {
                    $(Estimator::$variant => $name,)*
                }
            }

            /// A short human label for charts.
            pub fn label(self) -> &'static str {
                match self {
                    $(Estimator::$variant => $label,)*
                }
            }

            /// What the estimator needs: the trainer collects it, the config refuses a game that
            /// cannot give it.
            pub fn needs(self) -> Needs {
                match self {
                    $(Estimator::$variant => $needs,)*
                }
            }
        }
    };
}

const RETURNS: Needs = Needs { rewards: Rewards::EpisodeReturns, anchors: false, payoff_oracle: false };
const STEP_REWARDS: Needs = Needs { rewards: Rewards::StepRewards, ..RETURNS };
const STEP_REWARDS_AND_ANCHORS: Needs = Needs { anchors: true, ..STEP_REWARDS };
const PAYOFF_ORACLE: Needs = Needs { payoff_oracle: true, ..RETURNS };

estimators! {
    /// Global GRPO at trajectory level (the vanilla baseline of Dr. MAS).
    GrpoGlobal = "grpo-global", "Global GRPO (trajectory)", RETURNS;
    /// Agent-wise normalisation (Dr. MAS): statistics per (group, agent) over that agent's samples.
    AgentWise = "agent-wise", "Agent-wise (Dr. MAS)", RETURNS;
    /// Global step level: statistics per group over all samples of all agents.
    GlobalStep = "global-step", "Global (step level)", RETURNS;
    /// Trajectory level per agent: per-episode means of agent k's samples, statistics per
    /// (group, agent) over episodes.
    TrajectoryPerAgent = "trajectory-per-agent", "Trajectory per agent", RETURNS;
    /// RLOO: leave-one-out mean baseline.
    Rloo = "rloo", "RLOO (leave one out)", RETURNS;
    /// MARS turn-level advantage with per-player reward and unique-value normalisation.
    Mars = "mars", "MARS (turn level)", STEP_REWARDS;
    /// GiGPO: episode term plus anchor-state step term.
    Gigpo = "gigpo", "GiGPO (step groups)", STEP_REWARDS_AND_ANCHORS;
    /// COMA's counterfactual baseline (needs the game's payoff).
    Coma = "coma", "COMA (counterfactual)", PAYOFF_ORACLE;
    /// Difference rewards (needs the game's payoff); the baseline comes from the options.
    Difference = "difference", "Difference rewards", PAYOFF_ORACLE;
    /// Exact Shapley credit (needs the game's payoff).
    Shapley = "shapley", "Shapley credit", PAYOFF_ORACLE;
}

impl Estimator {
    /// Whether the estimator normalises each agent's samples by that agent's own statistics
    /// (agent-wise, trajectory per agent, and MARS per player): the gradient-norm inflation of
    /// one global baseline (REFERENCE.md) is then removed, the factor it applies is 1. (With
    /// `mean_only` they centre per agent without rescaling: the spread factor σ_k²/σ² remains.)
    pub fn normalises_per_agent(self) -> bool {
        matches!(self, Estimator::AgentWise | Estimator::TrajectoryPerAgent | Estimator::Mars)
    }

    /// Parses a name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Whether the estimator reads each sample's *step* reward rather than its agent's episode
    /// return.
    pub fn uses_step_rewards(self) -> bool {
        self.needs().rewards == Rewards::StepRewards
    }

    /// Whether the estimator needs the game's payoff.
    pub fn needs_game(self) -> bool {
        self.needs().payoff_oracle
    }
}

impl std::fmt::Display for Estimator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_name() {
        for e in Estimator::ALL {
            assert_eq!(Estimator::from_name(e.name()), Some(e));
            let json = serde_json::to_string(&e).expect("serialize");
            assert_eq!(json, format!("\"{}\"", e.name()));
            assert_eq!(serde_json::from_str::<Estimator>(&json).expect("parse"), e);
        }
        let err = serde_json::from_str::<Estimator>("\"agentwise\"").expect_err("unknown");
        assert!(err.to_string().contains("unknown variant `agentwise`"), "{err}");
    }
}
