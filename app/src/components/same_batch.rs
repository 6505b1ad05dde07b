//! The same-batch view: every selected estimator applied to one frozen batch, side by side, so
//! that only the credit assignment differs.

use std::sync::Arc;

use leptos::prelude::*;

use super::chart_canvas::{ChartCanvas, DrawFn};
use crate::charts::advantages;
use crate::session::Session;

/// Rows of the comparison table.
const ROWS: usize = 24;

/// The frozen-batch comparison.
#[component]
pub fn SameBatchView(
    /// The session.
    session: Session,
) -> impl IntoView {
    let run = RwSignal::new(0usize);
    let game = session.game_view();
    let has_batch = move || !session.data.views.with(Vec::is_empty);
    let runs = move || {
        session.config.with(|c| {
            let seeds = c.seeds.len();
            c.estimators
                .iter()
                .enumerate()
                .flat_map(|(e, est)| c.seeds.iter().enumerate().map(move |(s, seed)| (e * seeds + s, format!("{} · seed {seed}", est.label()))))
                .map(|(i, label)| view! { <option value=i.to_string() selected=move || run.get() == i>{label}</option> })
                .collect_view()
        })
    };
    let panels = move || {
        let Some(same) = session.data.same_batch.get() else {
            return view! { <p class="hint">"Freeze a batch to see every estimator's credit for exactly the same samples."</p> }.into_any();
        };
        let game_now = game.get();
        let header = format!(
            "update {} · batch collected by {} (seed {}) · {} of {} samples",
            same.update,
            same.collected_by.label(),
            same.seed,
            same.samples.len(),
            same.total_samples
        );
        let same = Arc::new(same);
        let charts = same
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let label = r.label().to_string();
                match (&r.advantages, &r.error) {
                    (Some(_), _) => {
                        let game = game_now.clone();
                        let draw: DrawFn = crate::chart_fn!(clone same, game, label; move |root, theme| {
                            let Some(a) = same.results[i].advantages.as_ref() else { return Ok(String::new()) };
                            let per_agent = advantages::by_agent(game.agents.len(), &same.samples, &a.values);
                            advantages::draw(root, &per_agent, &game, &label, theme)?;
                            Ok(format!("{label} on the frozen batch"))
                        });
                        let height = 40 + 56 * game_now.agents.len().max(1) as u32;
                        view! { <div class="same-panel"><ChartCanvas session test_id="chart-same-batch" width=360 height draw /></div> }.into_any()
                    }
                    (None, error) => view! {
                        <div class="same-panel"><h3>{label}</h3><p class="hint">{error.clone().unwrap_or_default()}</p></div>
                    }.into_any(),
                }
            })
            .collect_view();
        let head = same.results.iter().map(|r| view! { <th scope="col">{r.label().to_string()}</th> }).collect_view();
        let body = same
            .samples
            .iter()
            .enumerate()
            .take(ROWS)
            .map(|(i, s)| {
                let cells = same
                    .results
                    .iter()
                    .map(|r| {
                        let a = r.advantages.as_ref().and_then(|a| a.values.get(i)).copied();
                        let class = match a { Some(a) if a > 0.0 => "adv pos", Some(a) if a < 0.0 => "adv neg", _ => "adv zero" };
                        view! { <td class=class>{a.map_or("—".into(), |a| format!("{a:+.3}"))}</td> }
                    })
                    .collect_view();
                view! {
                    <tr>
                        <td>{format!("g{} e{}", s.group, s.episode)}</td>
                        <td><span class=format!("swatch agent-{}", s.agent % 6)></span>{game_now.agent(s.agent as usize)}</td>
                        <td>{s.turn.to_string()}</td>
                        <td>{format!("{:.3}", s.reward)}</td>
                        {cells}
                    </tr>
                }
            })
            .collect_view();
        view! {
            <p class="hint">{header}</p>
            <div class="same-grid">{charts}</div>
            <div class="table-scroll">
                <table class="ledger" data-testid="same-batch-table">
                    <caption>{format!("Advantages of the first {ROWS} samples under each estimator")}</caption>
                    <thead><tr><th scope="col">"episode"</th><th scope="col">"agent"</th><th scope="col">"turn"</th><th scope="col">"reward"</th>{head}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="same-batch" data-testid="same-batch" aria-label="same-batch view">
            <h2>"Same batch, every estimator"</h2>
            <div class="ledger-bar">
                <label>"batch of " <select data-testid="same-batch-run" on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() { run.set(i); }
                }>{runs}</select></label>
                <button data-testid="freeze" disabled=move || !has_batch() on:click=move |_| session.compare(run.get_untracked())>
                    "Freeze this batch and compare"
                </button>
            </div>
            {panels}
        </section>
    }
}
