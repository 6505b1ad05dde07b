//! The page: header with the backend badge and controls, then one column per run.

use creditlab::TrainConfig;
use leptos::prelude::*;

use crate::components::backend_badge::BackendBadge;
use crate::components::controls::Controls;
use crate::components::run_column::RunColumn;
use crate::session::Session;

/// The whole lab page.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::new(TrainConfig::default());
    let columns = move || {
        let config = session.config.get();
        let mut columns = Vec::new();
        for estimator in &config.estimators {
            for seed in &config.seeds {
                columns.push((columns.len(), format!("{}, seed {seed}", estimator.label())));
            }
        }
        columns
            .into_iter()
            .map(|(run, title)| view! { <RunColumn session run title /> })
            .collect_view()
    };
    view! {
        <header class="topbar">
            <h1>"Credit Lab"</h1>
            <p class="tagline">"Where does the credit go? One global baseline against per-agent normalisation."</p>
            <BackendBadge session />
        </header>
        <main>
            <Controls session />
            <p class="explain">
                "Three agents pull bandit arms; their rewards differ in scale (×1, ×10, ×100). Same seed, same first batch, three ways to normalise: "
                "global GRPO over each episode's mean reward, one global baseline over every agent's samples (step level), "
                "and each agent by its own statistics (agent-wise, Dr. MAS). "
                "Dashed lines: the predicted norm factor √((σ_k² + (μ_k − μ)²)/σ²) of one global baseline; agent-wise makes it 1."
            </p>
            {move || session.message.get().map(|m| view! { <p class="message" role="alert" data-testid="message">{m}</p> })}
            <div class="runs">{columns}</div>
        </main>
    }
}
