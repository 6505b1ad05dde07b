//! What the counterfactual estimators (COMA, difference rewards, Shapley) need besides the
//! batch: the game's exact team payoff ([`PayoffOracle`], with the games), each agent's policy
//! and default action; and the joint actions of a batch's episodes.

use std::collections::BTreeMap;

use super::common::{Advantages, LedgerEntry};
pub use crate::env::PayoffOracle;
use crate::rollout::{Batch, Sample};

/// What the counterfactual estimators need besides the game: each agent's policy π^k (for COMA
/// and aristocrat utility) and default action (difference rewards, Shapley's absent agents).
#[derive(Debug, Clone)]
pub struct Counterfactual<'a> {
    /// The game.
    pub oracle: &'a dyn PayoffOracle,
    /// `policies[k][a]` = π^k(a).
    pub policies: Vec<Vec<f64>>,
    /// `default_actions[k]`.
    pub default_actions: Vec<usize>,
}

/// One sample's counterfactual credit, as its ledger entry shows it (no std: nothing is divided).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Credit {
    /// The ledger key.
    pub key: String,
    /// How many members the key has (actions, or agents).
    pub key_size: usize,
    /// The realised value: Q(u) or G(z).
    pub value: f64,
    /// What it is compared with: the counterfactual baseline.
    pub baseline: f64,
    /// The credit.
    pub advantage: f64,
    /// How the parts combine.
    pub note: String,
}

/// Why a batch does not fit a game.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BatchError(pub String);

impl<'a> Counterfactual<'a> {
    /// Uniform policies and default action 0 for every agent.
    pub fn uniform(oracle: &'a dyn PayoffOracle) -> Self {
        let policies = (0..oracle.agents()).map(|k| vec![1.0 / oracle.actions(k) as f64; oracle.actions(k)]).collect();
        Self { oracle, policies, default_actions: vec![0; oracle.agents()] }
    }

    /// Checks the policies and default actions against the game.
    pub fn validate(&self) -> Result<(), BatchError> {
        let n = self.oracle.agents();
        if self.policies.len() != n || self.default_actions.len() != n {
            return Err(BatchError(format!("give one policy and one default action for each of the {n} agents")));
        }
        for k in 0..n {
            let actions = self.oracle.actions(k);
            let p = &self.policies[k];
            if p.len() != actions || p.iter().any(|x| !x.is_finite() || *x < 0.0) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-4 {
                return Err(BatchError(format!("policy of agent {k}: {actions} non-negative probabilities summing to 1")));
            }
            if self.default_actions[k] >= actions {
                return Err(BatchError(format!("default action of agent {k}: must be below {actions}")));
            }
        }
        Ok(())
    }

    /// Validates the game and the batch, then credits every sample, in sample order:
    /// `credit(sample, its episode's joint action)` says how its advantage was made.
    pub(crate) fn credit_each_sample(
        &self,
        batch: &Batch,
        mut credit: impl FnMut(&Sample, &[usize]) -> Credit,
    ) -> Result<Advantages, BatchError> {
        self.validate()?;
        let joints = self.joint_actions(batch)?;
        self.check_rewards(batch, &joints)?;
        let mut out = Advantages::default();
        for s in &batch.samples {
            let c = credit(s, &joints[&(s.group, s.episode)]);
            out.values.push(c.advantage as f32);
            out.ledger.push(LedgerEntry {
                key: c.key,
                key_size: c.key_size as u32,
                mean: c.baseline as f32,
                std: 1.0,
                value: c.value as f32,
                advantage: c.advantage as f32,
                note: Some(c.note),
            });
        }
        Ok(out)
    }

    /// Refuses a batch whose rewards contradict the game, naming the first such sample: in a game
    /// with exact per-player payoffs ([`PayoffOracle::player_payoffs`]) each sample's reward must
    /// be its player's payoff of the episode's joint action or the team payoff G (the common
    /// payoff, or the players' sum). Games with noisy rewards (the bandit) are not checked.
    pub fn check_rewards(&self, batch: &Batch, joints: &BTreeMap<(u32, u32), Vec<usize>>) -> Result<(), BatchError> {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-4 * (1.0 + b.abs());
        for (i, s) in batch.samples.iter().enumerate() {
            let joint = &joints[&(s.group, s.episode)];
            let Some(own) = self.oracle.player_payoffs(joint) else { return Ok(()) };
            let team = self.oracle.payoff(joint);
            let k = s.agent as usize;
            let reward = f64::from(s.reward);
            if !close(reward, own[k]) && !close(reward, team) {
                return Err(BatchError(format!(
                    "sample {i}: reward {reward} contradicts the joint action {joint:?}, which pays agent {k} {} and the team G = {team}",
                    own[k]
                )));
            }
        }
        Ok(())
    }

    /// The joint action of every episode, keyed by (group, episode): each of the n agents must
    /// act exactly once per episode, with an action in range.
    pub fn joint_actions(&self, batch: &Batch) -> Result<BTreeMap<(u32, u32), Vec<usize>>, BatchError> {
        let n = self.oracle.agents();
        let mut joints: BTreeMap<(u32, u32), Vec<Option<usize>>> = BTreeMap::new();
        for (i, s) in batch.samples.iter().enumerate() {
            let k = s.agent as usize;
            if k >= n {
                return Err(BatchError(format!("sample {i}: agent {k} does not exist (the game has {n} agents)")));
            }
            let action = s.action.ok_or_else(|| BatchError(format!("sample {i}: field `action` is required by this estimator")))?
                as usize;
            if action >= self.oracle.actions(k) {
                return Err(BatchError(format!("sample {i}: action {action} is out of range for agent {k}")));
            }
            let joint = joints.entry((s.group, s.episode)).or_insert_with(|| vec![None; n]);
            if joint[k].replace(action).is_some() {
                return Err(BatchError(format!("sample {i}: agent {k} acts twice in episode {}", s.episode)));
            }
        }
        joints
            .into_iter()
            .map(|(key, joint)| {
                let complete: Option<Vec<usize>> = joint.iter().copied().collect();
                complete
                    .map(|j| (key, j))
                    .ok_or_else(|| BatchError(format!("episode {} of group {}: every agent must act once", key.1, key.0)))
            })
            .collect()
    }
}

/// One episode in which agent k plays `actions[k]`, every sample rewarded with the team payoff
/// (for the counterfactual estimators' tests).
#[cfg(test)]
pub(crate) fn one_episode(game: &dyn PayoffOracle, actions: &[u32]) -> Batch {
    use crate::rollout::Sample;
    let joint: Vec<usize> = actions.iter().map(|&a| a as usize).collect();
    let reward = game.payoff(&joint) as f32;
    Batch {
        samples: actions
            .iter()
            .enumerate()
            .map(|(k, &a)| Sample { group: 0, episode: 0, agent: k as u32, turn: k as u32, reward, anchor: None, action: Some(a) })
            .collect(),
    }
}
