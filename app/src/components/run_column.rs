//! One run's column: its title, the two live charts and a per-agent read-out.

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, ChartKind};
use crate::session::Session;

/// The column of run `run`.
#[component]
pub fn RunColumn(
    /// The session.
    session: Session,
    /// Index of the run in the reports.
    run: usize,
    /// Column title.
    title: String,
) -> impl IntoView {
    let latest = move || session.reports.with(|r| r.last().and_then(|r| r.runs.get(run).cloned()));
    let rows = move || {
        latest()
            .map(|run| {
                run.agents
                    .iter()
                    .enumerate()
                    .map(|(k, a)| {
                        let norm = a.grad_norm.map_or("non-finite".to_string(), |n| format!("{n:.4}"));
                        let factor = a.predicted_inflation.map_or("—".to_string(), |f| format!("{f:.2}"));
                        view! {
                            <tr>
                                <th scope="row"><span class=format!("swatch agent-{k}")></span>{k.to_string()}</th>
                                <td data-testid="agent-reward">{format!("{:.3}", a.reward_mean)}</td>
                                <td>{format!("{:.2}", a.reward_score)}</td>
                                <td data-testid="agent-gradnorm">{norm}</td>
                                <td>{factor}</td>
                                <td>{format!("{:.2}", a.entropy)}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
    };
    let team = move || latest().map_or("—".to_string(), |r| format!("{:.2}", r.team_reward_mean));
    view! {
        <section class="run-column" aria-label=title.clone()>
            <h2>{title.clone()}</h2>
            <p class="team">"team reward " <strong data-testid="team-reward">{team}</strong></p>
            <ChartCanvas session run title=title.clone() kind=ChartKind::Reward />
            <ChartCanvas session run title=title.clone() kind=ChartKind::GradNorm />
            <table class="readout">
                <thead><tr><th>"agent"</th><th>"reward"</th><th title="0 = worst arm, 1 = best arm">"score"</th><th title="pre-clip L2 norm of the agent's gradient">"‖g‖"</th>
                    <th title="predicted second-moment factor of one global baseline, (σ_k² + (μ_k − μ)²) / σ²">"factor"</th><th>"entropy"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
