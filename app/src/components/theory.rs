//! The theory check, live: Dr. MAS's predicted factor against the ratio measured on the same
//! batch and policy (config `theory_check`), as a scatter over every update, run and agent, with
//! the per-agent medians in words.

use std::sync::Arc;

use leptos::prelude::*;

use super::builder::{locked, try_edit};
use super::chart_canvas::{ChartCanvas, DrawFn};
use crate::charts::theory;
use crate::session::Session;

/// The scatter and its summary; a hint with a switch while the check is off.
#[component]
pub fn TheoryView(
    /// The session.
    session: Session,
) -> impl IntoView {
    let game = session.game_view();
    let on = move || session.config.with(|c| c.theory_check);
    let points = move || session.data.history.with(|h| h.theory.clone());
    let body = move || {
        let points = points();
        if points.is_empty() {
            let hint = if on() {
                "Train a few updates: each one adds a point per run and agent."
            } else {
                "Off. With the check on, every update puts each run's batch through the loss under global-step and agent-wise \
                 normalisation (and every selected estimator) at the policy that collected it, and measures each agent's \
                 gradient. One more backward pass per update."
            };
            return view! {
                <p class="hint" data-testid="theory-hint">{hint}</p>
                <Show when=move || !on()>
                    <button data-testid="theory-on" disabled=move || locked(session, "theory_check") on:click=move |_| {
                        let _ = try_edit(session, |c| { c.theory_check = true; Ok(()) });
                    }>"Turn the theory check on"</button>
                </Show>
            }
            .into_any();
        }
        let view_game = game.get_untracked();
        let medians = creditlab::metrics::theory_medians(&points)
            .into_iter()
            .map(|m| {
                let show = crate::format::significant;
                let text = format!(
                    "{}: predicted {} · second moments {} · batch gradients {}",
                    view_game.agent(m.agent),
                    show(m.predicted),
                    show(m.second_moment),
                    show(m.measured),
                );
                view! { <li>{text}</li> }
            })
            .collect_view();
        let shared = Arc::new(points);
        let draw: DrawFn = crate::chart_fn!(clone shared, game; move |root, theme| {
            theory::draw(root, &shared, &game.get_untracked(), theme)
        });
        view! {
            <ChartCanvas session test_id="chart-theory" width=520 height=360 draw />
            <p class="hint">"Medians per agent over every update and run:"</p>
            <ul class="theory-medians" data-testid="theory-medians">{medians}</ul>
        }
        .into_any()
    };
    view! {
        <section class="theory" data-testid="theory" aria-label="theory check">
            <h2>"Theory check: Dr. MAS's factor, measured"</h2>
            <p class="hint">
                "Dr. MAS: under one global baseline, agent k's gradient second moment grows like (σ_k² + (μ_k − μ)²)/σ² \
                 relative to agent-wise normalisation. Each point is one agent in one update of one run, on that run's own \
                 batch and policy: the predicted factor across, the measured ratio up. On the line y = x the theory holds. \
                 Dots: per-sample second moments Σ A²‖∇log π‖², what the factor is about. Rings: the batch gradients' \
                 squared norms, which also carry the mean gradient and fall below the line where an agent's global \
                 advantages are nearly constant."
            </p>
            {body}
        </section>
    }
}
