//! What went wrong, said plainly: a crashed training worker (with a button that starts a new
//! one) and every diverged run (where, which agent, what; roll it back and go on).

use leptos::prelude::*;

use crate::session::Session;

/// The learning-rate factors offered when a diverged run is rolled back.
const ROLL_BACK: [(f32, &str); 2] = [(0.1, "Roll back, go on at learning rate ×0.1"), (1.0, "Roll back, same learning rate")];

/// The crash banner and the list of diverged runs (nothing when all is well).
#[component]
pub fn Health(
    /// The session whose worker and runs are watched.
    session: Session,
) -> impl IntoView {
    let crash = move || {
        session.link.crashed.get().map(|message| {
            let kept = session.data.reports.with_value(|r| r.len());
            view! {
                <div class="health crash" role="alert" data-testid="crash">
                    <strong>"The training worker crashed: "</strong>
                    <span data-testid="crash-message">{message}</span>
                    <p>
                        {format!("The {kept} updates received before it are kept: they are in the run history below and can be exported. ")}
                        "A new worker trains the experiment again from its seeds; the page does not need a reload."
                    </p>
                    <button data-testid="restart-worker" on:click=move |_| session.restart_worker()>"Start a new worker"</button>
                </div>
            }
        })
    };
    let diverged = move || {
        session.data.reports_changed.track();
        let seeds = session.config.with(|c| c.seeds.len());
        session
            .data
            .reports
            .with_value(|r| r.last().map(|last| last.runs.clone()))
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(run, report)| report.diverged.map(|d| (run, report.estimator, report.seed, d)))
            .map(|(run, estimator, seed, divergence)| {
                let kept = divergence.update - 1;
                let pending = move || session.link.resuming.with(|r| r.contains(&run));
                let buttons = ROLL_BACK
                    .iter()
                    .enumerate()
                    .map(|(i, &(factor, label))| {
                        view! {
                            <button
                                data-testid=format!("roll-back-{run}-{i}")
                                disabled=pending
                                on:click=move |_| session.resume_run(run, factor)
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect_view();
                view! {
                    <li data-testid=format!("diverged-{run}")>
                        <strong>{format!("{} · seed {seed}", estimator.label())}</strong>
                        {format!(
                            " diverged at {}. It stopped at update {kept}, its last finite state; its curves end there{}.",
                            divergence.describe(),
                            if seeds > 1 || session.config.with(|c| c.estimators.len()) > 1 { " and the other runs go on" } else { "" }
                        )}
                        " " {buttons}
                        <Show when=pending>
                            <span class="muted">" rolls back with the next update…"</span>
                        </Show>
                    </li>
                }
            })
            .collect::<Vec<_>>()
    };
    let any_diverged = move || !diverged().is_empty();
    view! {
        {crash}
        <Show when=any_diverged>
            <div class="health diverged" role="status" data-testid="diverged">
                <strong>"Diverged runs"</strong>
                " — a number stopped being finite (too large a learning rate or reward scale)."
                <ul>{diverged}</ul>
            </div>
        </Show>
    }
}
