//! What one update reports, how a report is assembled from a trained batch, how a run's
//! divergence is found in its batch, and the statistics behind them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::advantage::Advantages;
use crate::env::{AnyGame, PolicyView};
use crate::estimator::Estimator;
use crate::policy::{HostPolicy, RunPolicy};
use crate::rollout::{Batch, Rollout};

/// Per-agent figures of one run in one update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentReport {
    /// Samples (decisions) the agent contributed to this batch.
    pub samples: u32,
    /// Mean of the agent's episode return over its samples (each sample is credited its agent's
    /// return).
    pub reward_mean: f32,
    /// Unbiased std of those rewards (0 with fewer than 2 samples).
    pub reward_std: f32,
    /// The mean reward on the agent's own scale: 0 = the worst return the game allows it (for
    /// the bandit: its worst arm's expected reward in the sample's context), 1 = the best.
    /// Comparable across agents whatever their scales.
    pub reward_score: f32,
    /// Mean of the agent's advantages.
    pub advantage_mean: f32,
    /// Unbiased std of the agent's advantages.
    pub advantage_std: f32,
    /// Smallest advantage.
    pub advantage_min: f32,
    /// Largest advantage.
    pub advantage_max: f32,
    /// Pre-clip L2 norm of the gradient of the agent's loss terms over its parameters (with a
    /// shared policy: the agent's contribution to the shared gradient), at the first epoch;
    /// `None` if non-finite (the optimizer step was then skipped).
    pub grad_norm: Option<f32>,
    /// Mean policy entropy (nats) at the agent's decisions in this batch (behaviour policy).
    pub entropy: f32,
    /// Action probabilities at the game's reference decision for this agent, after the update
    /// (bandit: context 0; matrix: the one state; see each game); empty where there is none.
    pub action_probs: Vec<f32>,
    /// L2 norm of the change of the agent's parameters made by this update (with a shared
    /// policy: of the run's shared MLP); `None` in records written before it was measured.
    #[serde(default)]
    pub update_norm: Option<f32>,
    /// Predicted gradient second-moment factor under one global baseline,
    /// (σ_k² + (μ_k − μ)²) / σ², averaged over the groups where it is defined.
    pub predicted_inflation: Option<f32>,
    /// Language agents: the mean length of the agent's responses in tokens (the end token
    /// included); absent for the MLP games.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<f32>,
}

/// One run's figures in one update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunReport {
    /// The run's estimator.
    pub estimator: Estimator,
    /// The run's seed.
    pub seed: u64,
    /// Mean team return per episode (the sum of the agents' returns, or the common payoff;
    /// player 1's payoff in zero-sum games).
    pub team_reward_mean: f32,
    /// The game's figures: episode averages of this batch (e.g. `optimal_action_rate`,
    /// `optimal_joint_rate`, `accuracy`, `food_collected`) and exact figures of the policy after
    /// the update (e.g. `nash_conv`, `not_lose_vs_minimax`, `expected_team_payoff`).
    pub figures: BTreeMap<String, f32>,
    /// Pre-clip norm of the run's whole gradient (all agents; the shared gradient with a shared
    /// policy), at the first epoch; `None` if non-finite.
    pub grad_norm: Option<f32>,
    /// Per-agent figures.
    pub agents: Vec<AgentReport>,
    /// Set from the update where the run diverged on: the run is stopped, its figures in this
    /// and every later report are copies of its last finite report (zeros if it had none), not
    /// measurements; plots and the CSV leave them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diverged: Option<Divergence>,
    /// Set on the first report after the run was rolled back and resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Resume>,
    /// With `theory_check` on: the same-batch gradient comparison of this update's batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theory: Option<TheoryCheck>,
}

/// Dr. MAS's theory checked on one run's batch (config `theory_check`): the same batch, at the
/// policy that collected it, under each compared estimator, and each agent's gradient norm.
/// The measured ratio ‖g_k, global step‖² / ‖g_k, agent-wise‖² stands beside the predicted
/// factor (σ_k² + (μ_k − μ)²) / σ² (see [`predicted_inflation`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheoryCheck {
    /// Per compared estimator (the config's, then global-step and agent-wise where missing):
    /// each agent's pre-clip policy-gradient norm on the batch.
    pub norms: Vec<EstimatorNorms>,
    /// Per agent: the measured ratio ‖g_k, global-step‖² / ‖g_k, agent-wise‖²; `None` where a
    /// norm is not finite or the agent-wise norm is 0.
    pub measured: Vec<Option<f32>>,
    /// Per agent: the predicted factor (σ_k² + (μ_k − μ)²) / σ² on the same batch.
    pub predicted: Vec<Option<f32>>,
    /// Per agent: the ratio of the per-sample second moments, Σ_i A_i,global-step² ‖∇log π_i‖² /
    /// Σ_i A_i,agent-wise² ‖∇log π_i‖² over the agent's samples — the quantity Dr. MAS's factor
    /// is about. The batch gradient's ratio (`measured`) also holds the signal term
    /// ‖Σ_i A_i ∇log π_i‖'s mean part, which grows with the batch and pulls it below the factor
    /// where an agent's global advantages are nearly constant.
    pub second_moment: Vec<Option<f32>>,
}

/// One estimator's per-agent gradient norms on a frozen batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimatorNorms {
    /// The estimator.
    pub estimator: Estimator,
    /// Each agent's gradient norm; `None` if not finite.
    pub norms: Vec<Option<f32>>,
    /// Why the estimator does not apply to this batch, where it does not (its norms are then
    /// empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TheoryCheck {
    /// The check from each compared estimator's squared agent norms (`Err`: why it does not
    /// apply) on `batch`.
    pub fn new(
        compared: Vec<(Estimator, Result<Vec<f32>, String>)>,
        second_moment: Vec<Option<f32>>,
        batch: &Batch,
        agents: usize,
    ) -> TheoryCheck {
        let finite = |v: f32| v.is_finite().then_some(v);
        let squares = |e: Estimator| compared.iter().find(|(x, _)| *x == e).and_then(|(_, r)| r.as_ref().ok());
        let measured = (0..agents)
            .map(|k| {
                let (global, own) = (squares(Estimator::GlobalStep)?.get(k)?, squares(Estimator::AgentWise)?.get(k)?);
                (*own > 0.0).then(|| global / own).and_then(finite)
            })
            .collect();
        let predicted = predicted_inflations(batch, agents);
        let norms = compared
            .into_iter()
            .map(|(estimator, result)| match result {
                Ok(sq) => EstimatorNorms { estimator, norms: sq.iter().map(|v| finite(v.sqrt())).collect(), error: None },
                Err(error) => EstimatorNorms { estimator, norms: Vec::new(), error: Some(error) },
            })
            .collect();
        TheoryCheck { norms, measured, predicted, second_moment }
    }
}

/// One point of the theory scatter: a run's agent in one update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheoryPoint {
    /// The update (1-based).
    pub update: u32,
    /// The run's index in the reports.
    pub run: usize,
    /// The agent.
    pub agent: usize,
    /// The predicted factor.
    pub predicted: f32,
    /// The measured ratio of the batch gradients' squared norms.
    pub measured: f32,
    /// The ratio of the per-sample second moments, where defined.
    pub second_moment: Option<f32>,
}

/// Every (predicted, measured) pair of the reports' theory checks, both finite and positive
/// (measured runs only).
pub fn theory_points(reports: &[StepReport]) -> Vec<TheoryPoint> {
    let mut out = Vec::new();
    for report in reports {
        for (run, r) in report.runs.iter().enumerate() {
            let Some(check) = r.theory.as_ref().filter(|_| r.is_measured()) else { continue };
            for (agent, (p, m)) in check.predicted.iter().zip(&check.measured).enumerate() {
                if let (Some(p), Some(m)) = (p, m) {
                    if *p > 0.0 && *m > 0.0 && p.is_finite() && m.is_finite() {
                        let second_moment = check.second_moment.get(agent).copied().flatten().filter(|v| *v > 0.0 && v.is_finite());
                        out.push(TheoryPoint { update: report.update, run, agent, predicted: *p, measured: *m, second_moment });
                    }
                }
            }
        }
    }
    out
}

/// Pearson's correlation of log10(measured) against log10(predicted) over `points` (the
/// factors span decades, so the scatter and its correlation are on log scales); `None` with
/// fewer than 3 points or no spread.
pub fn log_correlation(points: &[TheoryPoint]) -> Option<f64> {
    log_pearson(points.iter().map(|p| (p.predicted, p.measured)))
}

/// [`log_correlation`] of the per-sample second moments against the predicted factor.
pub fn second_moment_log_correlation(points: &[TheoryPoint]) -> Option<f64> {
    log_pearson(points.iter().filter_map(|p| Some((p.predicted, p.second_moment?))))
}

/// The theory check in words, one line each: how many points, both correlations, and per agent
/// the median predicted factor beside the median measured ratios (the CLI prints it after
/// `train`; empty without theory checks).
pub fn theory_summary(reports: &[StepReport]) -> Vec<String> {
    let points = theory_points(reports);
    if points.is_empty() {
        return Vec::new();
    }
    let r = |v: Option<f64>| v.map_or("undefined".to_string(), |r| format!("{r:.3}"));
    let mut lines = vec![format!(
        "theory check: {} points (update × run × agent); log-log correlation with the predicted factor (σ_k² + (μ_k − μ)²)/σ²: \
         per-sample second moments r = {}, batch gradients r = {}",
        points.len(),
        r(second_moment_log_correlation(&points)),
        r(log_correlation(&points))
    )];
    let show = |v: Option<f32>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
    for m in theory_medians(&points) {
        lines.push(format!(
            "  agent {}: median predicted {}, second moments {}, batch gradients {}",
            m.agent,
            show(m.predicted),
            show(m.second_moment),
            show(m.measured)
        ));
    }
    lines
}

/// One agent's medians over the theory points: the predicted factor and both measured ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgentMedians {
    /// The agent.
    pub agent: usize,
    /// Median predicted factor.
    pub predicted: Option<f32>,
    /// Median ratio of the per-sample second moments.
    pub second_moment: Option<f32>,
    /// Median ratio of the batch gradients.
    pub measured: Option<f32>,
}

/// Per agent (0 … the highest agent among `points`), the medians of its points (the CLI's
/// summary and the page's list).
pub fn theory_medians(points: &[TheoryPoint]) -> Vec<AgentMedians> {
    let median = |mut v: Vec<f32>| -> Option<f32> {
        v.sort_by(f32::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let agents = points.iter().map(|p| p.agent + 1).max().unwrap_or(0);
    (0..agents)
        .map(|agent| {
            let mine: Vec<&TheoryPoint> = points.iter().filter(|p| p.agent == agent).collect();
            AgentMedians {
                agent,
                predicted: median(mine.iter().map(|p| p.predicted).collect()),
                second_moment: median(mine.iter().filter_map(|p| p.second_moment).collect()),
                measured: median(mine.iter().map(|p| p.measured).collect()),
            }
        })
        .collect()
}

fn log_pearson(pairs: impl Iterator<Item = (f32, f32)>) -> Option<f64> {
    let (xs, ys): (Vec<f64>, Vec<f64>) = pairs.map(|(x, y)| (f64::from(x).log10(), f64::from(y).log10())).unzip();
    if xs.len() < 3 {
        return None;
    }
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(&ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

impl RunReport {
    /// Whether the figures are measurements of this update (not a stopped run's copies).
    pub fn is_measured(&self) -> bool {
        self.diverged.is_none()
    }
}

/// Where and how a run diverged: the first update at which one of its numbers was not finite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Divergence {
    /// The update that produced the non-finite number (1-based); the run's state is that after
    /// update `update − 1`, its last finite one.
    pub update: u32,
    /// The agent whose number it was, where it belongs to one.
    pub agent: Option<u32>,
    /// What was not finite: `reward`, `step reward`, `team return`, `reward statistics`,
    /// `advantage`, `baseline`, `game figure`, `gradient norm` or `parameter norm`.
    pub quantity: String,
    /// The value as text (`NaN`, `inf`, `-inf`, or how a norm left f32's range).
    pub value: String,
}

impl Divergence {
    /// "update 3: agent 2's advantage is NaN" (agents counted from 0, as the page and the CSV
    /// count them).
    pub fn describe(&self) -> String {
        let whose = match self.agent {
            Some(k) => format!("agent {k}'s {}", self.quantity),
            None => format!("the {}", self.quantity),
        };
        format!("update {}: {whose} is {}", self.update, self.value)
    }
}

/// A rolled-back run going on from its last finite state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    /// The last finite update it went on from.
    pub from_update: u32,
    /// The factor its learning rate was multiplied by from then on.
    pub learning_rate_factor: f32,
}

/// Everything one update produced: one per update, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepReport {
    /// 1-based update index.
    pub update: u32,
    /// Wall time of the update in milliseconds (env, estimator, forward, backward, Adam, readback).
    pub wall_ms: f32,
    /// One entry per run, in config order (estimators outer, seeds inner).
    pub runs: Vec<RunReport>,
}

impl RunReport {
    /// The report of a run that trained this update on `rollout` with `advantages`: per agent
    /// its batch statistics, its gradient norms (squared, from the first epoch: `agent_norm_sq`
    /// per agent and `run_norm_sq`), its policy at the game's reference decision after the
    /// update (`policy`) and how far its parameters moved (from `before`); the game's figures.
    #[allow(clippy::too_many_arguments)]
    pub fn measured(
        (estimator, seed): (Estimator, u64),
        game: &AnyGame,
        rollout: &Rollout,
        advantages: &Advantages,
        (agent_norm_sq, run_norm_sq): (&[f32], f32),
        policy: RunPolicy<'_>,
        before: &HostPolicy,
    ) -> RunReport {
        let batch: &Batch = &rollout.batch;
        let actions = rollout.actions;
        let finite = |v: f32| v.is_finite().then_some(v);
        let predicted = predicted_inflations(batch, game.agents());
        let agent_reports = (0..game.agents())
            .map(|k| {
                let mine: Vec<usize> = (0..batch.len()).filter(|&i| batch.samples[i].agent as usize == k).collect();
                let rewards: Vec<f32> = mine.iter().map(|&i| batch.samples[i].reward).collect();
                let advs: Vec<f32> = mine.iter().map(|&i| advantages.values[i]).collect();
                let scores: Vec<f32> = mine.iter().map(|&i| rollout.scores[i]).collect();
                let (reward_mean, reward_std) = mean_std(&rewards);
                let (reward_score, _) = mean_std(&scores);
                let (advantage_mean, advantage_std) = mean_std(&advs);
                let entropies: Vec<f32> = mine
                    .iter()
                    .map(|&i| rollout.probs[i * actions..(i + 1) * actions].iter().filter(|p| **p > 0.0).map(|p| -p * p.ln()).sum())
                    .collect();
                let action_probs = game
                    .reference_decision(k)
                    .map(|(obs, legal)| {
                        let mut p = vec![0.0; actions];
                        PolicyView::probs(&policy, k, &obs, &legal, &mut p);
                        p
                    })
                    .unwrap_or_default();
                AgentReport {
                    samples: mine.len() as u32,
                    reward_mean,
                    reward_std,
                    reward_score,
                    advantage_mean,
                    advantage_std,
                    advantage_min: advs.iter().copied().fold(f32::INFINITY, f32::min).min(f32::MAX),
                    advantage_max: advs.iter().copied().fold(f32::NEG_INFINITY, f32::max).max(f32::MIN),
                    grad_norm: finite(agent_norm_sq[k].sqrt()),
                    entropy: mean_std(&entropies).0,
                    action_probs,
                    update_norm: finite(policy.host.model_change(before, policy.host.model(policy.run, k))),
                    predicted_inflation: predicted[k],
                    tokens: None,
                }
            })
            .collect();
        let mut figures = rollout.figures.clone();
        for (name, value) in game.policy_figures(&policy) {
            figures.insert(name.to_string(), value);
        }
        RunReport {
            estimator,
            seed,
            team_reward_mean: mean_std(&rollout.team_returns).0,
            figures,
            grad_norm: finite(run_norm_sq.sqrt()),
            agents: agent_reports,
            diverged: None,
            resumed: None,
            theory: None,
        }
    }

    /// A stopped run's report: its last finite figures (`last_good`; zeros for `agents` agents
    /// if it had none) and its divergence.
    pub fn stopped((estimator, seed): (Estimator, u64), agents: usize, last_good: Option<&RunReport>, divergence: Divergence) -> RunReport {
        let mut report = last_good.cloned().unwrap_or_else(|| RunReport {
            estimator,
            seed,
            team_reward_mean: 0.0,
            figures: Default::default(),
            grad_norm: None,
            agents: (0..agents)
                .map(|_| AgentReport {
                    samples: 0,
                    reward_mean: 0.0,
                    reward_std: 0.0,
                    reward_score: 0.0,
                    advantage_mean: 0.0,
                    advantage_std: 0.0,
                    advantage_min: 0.0,
                    advantage_max: 0.0,
                    grad_norm: None,
                    entropy: 0.0,
                    action_probs: Vec::new(),
                    update_norm: None,
                    predicted_inflation: None,
                    tokens: None,
                })
                .collect(),
            diverged: None,
            resumed: None,
            theory: None,
        });
        report.diverged = Some(divergence);
        report.resumed = None;
        report.theory = None;
        report
    }
}

impl Divergence {
    /// The first non-finite number of a batch, checked on the host before the loss (reward,
    /// step reward, team return, reward statistics, advantage, baseline, game figure), as the
    /// divergence of update `update`.
    pub fn in_batch(update: u32, rollout: &Rollout, advantages: &Advantages, agents: usize) -> Option<Divergence> {
        let (agent, quantity, v) = batch_problem(rollout, advantages, agents)?;
        Some(Divergence { update, agent, quantity: quantity.into(), value: value_text(v) })
    }
}

/// `v` as a divergence names it.
fn value_text(v: f32) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v:e}, beyond f32's range")
    }
}

/// The first non-finite number of a run's batch: (agent, quantity, value).
fn batch_problem(rollout: &Rollout, advantages: &Advantages, agents: usize) -> Option<(Option<u32>, &'static str, f32)> {
    let samples = &rollout.batch.samples;
    for (i, s) in samples.iter().enumerate() {
        if !s.reward.is_finite() {
            return Some((Some(s.agent), "reward", s.reward));
        }
        if let Some(v) = rollout.step_rewards.get(i).filter(|v| !v.is_finite()) {
            return Some((Some(s.agent), "step reward", *v));
        }
    }
    let (team_mean, _) = mean_std(&rollout.team_returns);
    if let Some(v) = rollout.team_returns.iter().copied().chain([team_mean]).find(|v| !v.is_finite()) {
        return Some((None, "team return", v));
    }
    for k in 0..agents {
        let rewards: Vec<f32> = samples.iter().filter(|s| s.agent as usize == k).map(|s| s.reward).collect();
        let (mean, std) = mean_std(&rewards);
        if let Some(v) = [mean, std].into_iter().find(|v| !v.is_finite()) {
            return Some((Some(k as u32), "reward statistics", v));
        }
    }
    for (i, (value, entry)) in advantages.values.iter().zip(&advantages.ledger).enumerate() {
        let agent = samples.get(i).map(|s| s.agent);
        if !value.is_finite() {
            return Some((agent, "advantage", *value));
        }
        if let Some(v) = [entry.mean, entry.std, entry.value, entry.advantage].into_iter().find(|v| !v.is_finite()) {
            return Some((agent, "baseline", v));
        }
    }
    if let Some(v) = rollout.figures.values().find(|v| !v.is_finite()) {
        return Some((None, "game figure", *v));
    }
    None
}

/// Mean and unbiased std (std = 0 for fewer than two values).
pub fn mean_std(values: &[f32]) -> (f32, f32) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    if values.len() < 2 {
        return (mean as f32, 0.0);
    }
    let var = values.iter().map(|v| (f64::from(*v) - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean as f32, var.sqrt() as f32)
}

/// Dr. MAS's predicted inflation of agent `agent`'s gradient second moment under one global
/// (pooled) baseline: (σ_k² + (μ_k − μ)²) / σ², with μ, σ over all samples of a group and μ_k,
/// σ_k over the agent's samples in that group; averaged over groups where σ > 0 and the agent
/// has at least two samples. Agent-wise normalisation makes this factor 1.
pub fn predicted_inflation(batch: &Batch, agent: u32) -> Option<f32> {
    predicted_inflations(batch, agent as usize + 1)[agent as usize]
}

/// [`predicted_inflation`] of agents 0..`agents`, in one pass over the batch.
pub fn predicted_inflations(batch: &Batch, agents: usize) -> Vec<Option<f32>> {
    // Every group's rewards in sample order, all and each agent's own (groups in ascending
    // order, as the sums always ran).
    let mut groups: std::collections::BTreeMap<u32, (Vec<f32>, Vec<Vec<f32>>)> = std::collections::BTreeMap::new();
    for s in &batch.samples {
        let (pooled, own) = groups.entry(s.group).or_insert_with(|| (Vec::new(), vec![Vec::new(); agents]));
        pooled.push(s.reward);
        if let Some(own) = own.get_mut(s.agent as usize) {
            own.push(s.reward);
        }
    }
    let mut total = vec![0.0f64; agents];
    let mut count = vec![0usize; agents];
    for (pooled, own) in groups.values() {
        if pooled.len() < 2 {
            continue;
        }
        let (mu, sigma) = mean_std(pooled);
        if sigma <= 0.0 {
            continue;
        }
        let (mu, sigma) = (f64::from(mu), f64::from(sigma));
        for (k, own) in own.iter().enumerate().filter(|(_, own)| own.len() >= 2) {
            let (mu_k, sigma_k) = mean_std(own);
            let (mu_k, sigma_k) = (f64::from(mu_k), f64::from(sigma_k));
            total[k] += (sigma_k * sigma_k + (mu_k - mu).powi(2)) / (sigma * sigma);
            count[k] += 1;
        }
    }
    total.iter().zip(&count).map(|(t, &c)| (c > 0).then(|| (t / c as f64) as f32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::Sample;

    fn sample(group: u32, agent: u32, reward: f32) -> Sample {
        Sample { group, episode: 0, agent, turn: 0, reward, anchor: None, action: None }
    }

    #[test]
    fn log_correlation_of_a_hand_computed_scatter() {
        let point = |predicted: f32, measured: f32| TheoryPoint { update: 1, run: 0, agent: 0, predicted, measured, second_moment: None };
        // measured = predicted² on a log scale is a perfect line: r = 1; reversed: −1.
        let line: Vec<TheoryPoint> = [1.0, 10.0, 100.0, 1000.0].iter().map(|&p| point(p, p * p)).collect();
        assert!((log_correlation(&line).expect("defined") - 1.0).abs() < 1e-12);
        let reversed: Vec<TheoryPoint> = [1.0, 10.0, 100.0].iter().map(|&p| point(p, 1.0 / p)).collect();
        assert!((log_correlation(&reversed).expect("defined") + 1.0).abs() < 1e-12);
        // (0,0), (1,1), (2,0) in log10: r = 0.
        let flat = [point(1.0, 1.0), point(10.0, 10.0), point(100.0, 1.0)];
        assert!(log_correlation(&flat).expect("defined").abs() < 1e-12);
        assert_eq!(log_correlation(&line[..2]), None, "too few points");
    }

    #[test]
    fn inflation_matches_hand_computation() {
        // Agent 0: {0, 2} (μ0 = 1, σ0² = 2); agent 1: {10, 12} (μ1 = 11, σ1² = 2).
        // Pooled {0, 2, 10, 12}: μ = 6, σ² = (36 + 16 + 16 + 36) / 3 = 104/3.
        let batch = Batch {
            samples: vec![sample(0, 0, 0.0), sample(0, 0, 2.0), sample(0, 1, 10.0), sample(0, 1, 12.0)],
        };
        let expected = (2.0 + 25.0) / (104.0 / 3.0);
        assert!((predicted_inflation(&batch, 0).expect("defined") - expected).abs() < 1e-5);
        assert!((predicted_inflation(&batch, 1).expect("defined") - expected).abs() < 1e-5);
        assert_eq!(predicted_inflation(&batch, 2), None);
    }

    #[test]
    fn identical_agents_have_factor_near_one() {
        let rewards = [1.0, 3.0, 2.0, 5.0];
        let mut samples = Vec::new();
        for agent in 0..2 {
            for r in rewards {
                samples.push(sample(0, agent, r));
            }
        }
        let f = predicted_inflation(&Batch { samples }, 0).expect("defined");
        // Pooled unbiased σ² = 2S/7 against σ_k² = S/3 (S = sum of squares): factor 7/6.
        assert!((f - 7.0 / 6.0).abs() < 1e-5, "{f}");
    }
}
