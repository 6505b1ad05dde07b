//! One estimator's column: its live charts (seeds aggregated) and a per-agent read-out.


use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, DrawFn};
use super::tokens::{TokenMap, Transcripts};
use crate::charts::{self, advantages, credit};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;
use crate::session::Session;

fn fmt(v: Option<f32>, digits: usize) -> String {
    crate::format::fixed(v, digits)
}

/// A text summary of a column for screen readers: the latest value per agent.
fn summary(column: &EstimatorHistory, game: &GameView, what: &str, value: impl Fn(usize) -> Option<f32>) -> String {
    let parts: Vec<String> = (0..column.agents.len()).map(|k| format!("{} {}", game.agent(k), fmt(value(k), 3))).collect();
    format!("{}: {what}: {}", column.estimator.label(), parts.join(", "))
}

/// Draws from one column's history and the update range (done, total); returns the summary.
type ColumnDraw<'a> = dyn Fn(&EstimatorHistory, (u32, u32)) -> Result<String, String> + 'a;

/// The column of estimator `index`.
#[component]
pub fn Column(
    /// The session.
    session: Session,
    /// Index of the estimator in the config.
    index: usize,
) -> impl IntoView {
    let game = session.game_view();
    let title = move || session.config.with(|c| c.estimators.get(index).map(|e| e.label().to_string()).unwrap_or_default());
    let with_column = move |f: &ColumnDraw<'_>| {
        session.data.history.with_untracked(|h| match h.columns.get(index) {
            Some(column) => f(column, (h.updates, h.total)),
            None => Ok(String::new()),
        })
    };

    let reward: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        with_column(&|c, range| {
            charts::reward::draw(root, c, &game, range, theme)?;
            Ok(summary(c, &game, "reward score", |k| c.agents[k].reward_score.mean.last()))
        })
    });
    let gradnorm: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        with_column(&|c, range| {
            charts::gradnorm::draw(root, c, &game, range, theme)?;
            let norms = summary(c, &game, "gradient norm", |k| c.agents[k].grad_norm.mean.last());
            let factors: Vec<String> =
                (0..c.agents.len()).map(|k| format!("{} {}", game.agent(k), fmt(c.agents[k].predicted_factor.last(), 2))).collect();
            let applied = if c.estimator.normalises_per_agent() {
                "; this estimator normalises per agent, so the factor it applies is 1"
            } else {
                ""
            };
            Ok(format!("{norms}; the factor one global baseline would apply to these batches (√ of (σ_k² + (μ_k − μ)²)/σ²): {}{applied}", factors.join(", ")))
        })
    });
    let figure: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        with_column(&|c, range| {
            charts::figure::draw(root, c, &game, range, theme)?;
            let latest = c.figures.get(game.headline.figure).and_then(|b| b.mean.last());
            Ok(format!("{}: {} {}", c.estimator.label(), game.headline.label, fmt(latest, 3)))
        })
    });
    let policy: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        with_column(&|c, range| {
            charts::policy::draw(root, c, &game, range, theme)?;
            Ok(summary(c, &game, "probability of the first action", |k| {
                c.agents[k].action_probs.first().and_then(|p| p.first()).and_then(|s| s.last())
            }))
        })
    });
    let tokens: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        with_column(&|c, range| {
            charts::tokens::draw(root, c, &game, game.tokens.unwrap_or(1), range, theme)?;
            Ok(summary(c, &game, "mean response length in tokens", |k| c.agents[k].tokens.mean.last()))
        })
    });
    let view_of = move || session.data.views.with_untracked(|v| v.get(index).cloned());
    let histograms: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        let caption = "Advantages of the last batch, per agent";
        match view_of() {
            Some(view) => {
                let per_agent = advantages::by_agent(game.agents.len(), &view.samples, &view.advantages.values);
                advantages::draw(root, &per_agent, &game, caption, theme)?;
                let parts: Vec<String> = per_agent
                    .iter()
                    .enumerate()
                    .map(|(k, a)| {
                        let (m, s) = creditlab::metrics::mean_std(a);
                        format!("{} mean {m:.2} std {s:.2}", game.agent(k))
                    })
                    .collect();
                Ok(format!("advantage histograms at update {}: {}", view.update, parts.join(", ")))
            }
            None => {
                advantages::draw(root, &[], &game, caption, theme)?;
                Ok("no batch yet".into())
            }
        }
    });
    let credit_map: DrawFn = crate::chart_fn!(move |root, theme| {
        let game = game.get_untracked();
        let caption = match (&game.grid, &game.matrix) {
            (Some(_), _) => "Credit map: mean advantage per cell and agent",
            (_, Some(_)) => "Credit map: mean advantage per joint action",
            _ => "Credit map: advantage of each decision (episodes × turns)",
        };
        let view = view_of();
        fn data_of(v: &creditlab::BatchView) -> credit::CreditData<'_> {
            credit::CreditData { samples: &v.samples, advantages: &v.advantages.values, cells: &v.cells }
        }
        let data = view.as_ref().map_or(credit::CreditData { samples: &[], advantages: &[], cells: &[] }, data_of);
        // One colour scale for every column, so that side by side the colours compare.
        let shared = session.data.views.with_untracked(|views| views.iter().map(|v| credit::scale_of(data_of(v), &game)).fold(0.0f32, f32::max));
        credit::draw_scaled(root, data, &game, caption, shared, theme)?;
        let own = credit::scale_of(data, &game);
        Ok(view.as_ref().map_or("no batch yet".into(), |v| {
            format!(
                "credit map of update {}, {} samples; colour scale ±{} (the largest of every column's map, shared; this column's own largest is {})",
                v.update,
                v.samples.len(),
                crate::format::significant(Some(shared)),
                crate::format::significant(Some(own))
            )
        }))
    });

    let agents = move || game.with(|g| g.agents.len());
    let rows = move || {
        let latest = session.data.history.with(|h| h.columns.get(index).map(|c| c.latest.clone()).unwrap_or_default());
        let game = game.get();
        (0..agents())
            .map(|k| {
                let mean = |f: &dyn Fn(&creditlab::AgentReport) -> Option<f32>| {
                    let v: Vec<f32> = latest.iter().filter_map(|r| r.agents.get(k)).filter_map(f).collect();
                    (!v.is_empty()).then(|| v.iter().sum::<f32>() / v.len() as f32)
                };
                view! {
                    <tr>
                        <th scope="row"><span class=format!("swatch agent-{}", k % 6)></span>{game.agent(k)}</th>
                        <td data-testid="agent-reward">{fmt(mean(&|a| Some(a.reward_mean)), 3)}</td>
                        <td>{fmt(mean(&|a| Some(a.reward_score)), 2)}</td>
                        <td data-testid="agent-gradnorm">{crate::format::significant(mean(&|a| a.grad_norm))}</td>
                        <td>{fmt(mean(&|a| a.predicted_inflation), 2)}</td>
                        <td>{fmt(mean(&|a| Some(a.entropy)), 2)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    let team = move || {
        fmt(session.data.history.with(|h| h.columns.get(index).and_then(|c| c.team.mean.last())), 2)
    };
    let headline = move || {
        let g = game.get();
        let value = session.data.history.with(|h| h.columns.get(index).and_then(|c| c.figures.get(g.headline.figure)).and_then(|b| b.mean.last()));
        format!("{} {}", g.headline.label, fmt(value, 3))
    };
    let advantages_height = move || 40 + 64 * agents().max(1) as u32;
    view! {
        <section class="column" aria-label=title>
            <h2><span class="estimator-dot"></span>{title}</h2>
            <p class="team"><span title=move || game.with(|g| g.team.1)>{move || game.with(|g| g.team.0)}</span>" "
                <strong data-testid="team-reward">{team}</strong>" · " <span data-testid="headline">{headline}</span></p>
            <ChartCanvas session test_id="chart-reward" draw=reward />
            <ChartCanvas session test_id="chart-gradnorm" draw=gradnorm />
            {move || {
                let id = game.with(|g| g.headline.test_id);
                let figure = figure.clone();
                view! { <ChartCanvas session test_id=id draw=figure /> }
            }}
            {move || {
                // Language agents: response lengths instead of action probabilities.
                if game.with(|g| g.tokens.is_some()) {
                    let tokens = tokens.clone();
                    view! { <ChartCanvas session test_id="chart-tokens" draw=tokens /> }.into_any()
                } else {
                    let policy = policy.clone();
                    view! { <ChartCanvas session test_id="chart-policy" height=260 draw=policy /> }.into_any()
                }
            }}
            {move || {
                let histograms = histograms.clone();
                view! { <ChartCanvas session test_id="chart-advantages" height=advantages_height() draw=histograms /> }
            }}
            {move || {
                // Language agents: the token credit map and transcripts instead of the per-decision map.
                if game.with(|g| g.tokens.is_some()) {
                    view! { <TokenMap session index /> <Transcripts session index /> }.into_any()
                } else {
                    let credit_map = credit_map.clone();
                    view! { <ChartCanvas session test_id="chart-credit" height=300 draw=credit_map /> }.into_any()
                }
            }}
            <table class="readout">
                <caption class="sr-only">"Latest figures per agent (mean over seeds)"</caption>
                <thead><tr><th scope="col">"agent"</th><th scope="col">"reward"</th>
                    <th scope="col" title="0 = worst return, 1 = best">"score"</th>
                    <th scope="col" title="pre-clip L2 norm of the agent's gradient">"‖g‖"</th>
                    <th scope="col" title="predicted second-moment factor of one global baseline, (σ_k² + (μ_k − μ)²) / σ²">"factor"</th>
                    <th scope="col">"entropy"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}
