//! Chart data derived from the core's `StepReport`s: one series per run and agent.

use creditlab::StepReport;

/// One agent's curves over updates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentSeries {
    /// (update, mean reward on the agent's own scale: 0 = worst arm, 1 = best arm).
    pub reward_score: Vec<(u32, f32)>,
    /// (update, pre-clip gradient L2 norm); non-finite norms are left out.
    pub grad_norm: Vec<(u32, f32)>,
    /// (update, √ of the predicted second-moment factor under one global baseline).
    pub predicted_norm_factor: Vec<(u32, f32)>,
}

/// Trailing moving average over `window` points (fewer at the start).
pub fn moving_average(points: &[(u32, f32)], window: usize) -> Vec<(u32, f32)> {
    let window = window.max(1);
    let mut sum = 0.0f64;
    points
        .iter()
        .enumerate()
        .map(|(i, &(u, v))| {
            sum += f64::from(v);
            if i >= window {
                sum -= f64::from(points[i - window].1);
            }
            (u, (sum / (i + 1).min(window) as f64) as f32)
        })
        .collect()
}

/// One run's curves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSeries {
    /// Chart title, e.g. "Agent-wise (Dr. MAS), seed 1".
    pub title: String,
    /// Updates covered so far.
    pub updates: u32,
    /// Updates the run will do in all (for a stable x axis).
    pub total_updates: u32,
    /// Per-agent curves.
    pub agents: Vec<AgentSeries>,
}

impl RunSeries {
    /// Extracts run `run`'s curves from `reports`.
    pub fn from_reports(reports: &[StepReport], run: usize, title: String, total_updates: u32) -> Self {
        let agents = reports.first().and_then(|r| r.runs.get(run)).map_or(0, |r| r.agents.len());
        let mut series = RunSeries { title, updates: 0, total_updates, agents: vec![AgentSeries::default(); agents] };
        for report in reports {
            let Some(run) = report.runs.get(run) else { continue };
            series.updates = report.update;
            for (agent, out) in run.agents.iter().zip(series.agents.iter_mut()) {
                out.reward_score.push((report.update, agent.reward_score));
                if let Some(norm) = agent.grad_norm {
                    out.grad_norm.push((report.update, norm));
                }
                if let Some(factor) = agent.predicted_inflation {
                    out.predicted_norm_factor.push((report.update, factor.sqrt()));
                }
            }
        }
        series
    }
}
