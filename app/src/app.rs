//! The page: the header with the backend badge; the experiment builder beside the run controls,
//! one column per estimator (seeds aggregated), the ledger and the same-batch view.

use leptos::prelude::*;

use crate::address;
use crate::components::backend_badge::BackendBadge;
use crate::components::builder::Builder;
use crate::components::column::Column;
use crate::components::controls::Controls;
use crate::components::health::Health;
use crate::components::ledger::Ledger;
use crate::components::lesson_panel::LessonPanel;
use crate::components::predict::Predict;
use crate::components::same_batch::SameBatchView;
use crate::components::share::Share;
use crate::components::step_through::StepThrough;
use crate::session::Session;
use crate::url::PageState;

/// What to look at in each game, under the controls.
pub fn explanation(kind: &str) -> &'static str {
    match kind {
        "bandit" => "Agents pull bandit arms; their rewards differ in scale (×1, ×10, ×100 by default). One global baseline \
            (GRPO over episode means, or step level over every agent's samples) against each agent normalised by its own \
            statistics (agent-wise, Dr. MAS). Dashed lines: the norm factor √((σ_k² + (μ_k − μ)²)/σ²) one global baseline \
            would apply to this column's batches; agent-wise applies 1 (the grey line in its column).",
        "matrix" => "Two or three players move once, together. Independent learners with a shared payoff fall into relative \
            overgeneralisation on climbing and penalty-k; the credit map shows which joint actions each estimator rewards, \
            the policy paths where the players go (■ pure, ◆ mixed Nash equilibria).",
        "pipeline" => "A solver writes an answer digit by digit, a verifier accepts it or sends it back. The solver acts many \
            times per episode, the verifier once per round: one baseline over all their samples mixes very different \
            reward distributions.",
        "kuhn" => "Kuhn poker in self-play. NashConv measures how exploitable the pair of policies is (11/12 for uniform \
            play, 0 at equilibrium); MARS normalises per player and turn.",
        "tic-tac-toe" => "Tic-tac-toe in self-play: X and O learn against each other; win rates against a random player and \
            the exact minimax opponent show what they learned.",
        _ => "Level-based foraging: agents move on a grid and load food together. The credit map shows each agent's mean \
            advantage per cell; GiGPO groups the steps that start from the same situation (anchor states).",
    }
}

/// The whole lab page.
#[component]
pub fn App() -> impl IntoView {
    let decoded = address::read();
    let PageState { config, inspect, teacher } = decoded.state.clone();
    let session = Session::new(config, inspect, teacher, decoded.fault);
    address::show_ignored(session, &decoded);
    address::follow(session);
    let hides = move |part: &str| session.teacher.with(|t| t.hides(part));
    let columns = move || {
        let estimators = session.config.with(|c| c.estimators.len());
        (0..estimators).map(|index| view! { <Column session index /> }).collect_view()
    };
    let explain = move || explanation(session.config.with(|c| c.game.kind()));
    let count = move || session.config.with(|c| c.estimators.len()).to_string();
    view! {
        // Moves the focus without touching the address (a `#fragment` would add a history entry).
        <a class="skip-link" href="#run-controls" data-testid="skip-link" on:click=move |ev| {
            ev.prevent_default();
            let target = document().get_element_by_id("run-controls");
            if let Some(el) = target.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok()) {
                let _ = el.focus();
            }
        }>"Skip to the run controls"</a>
        <header class="topbar">
            <h1>"Credit Lab"</h1>
            <p class="tagline">"Where does the credit go? One global baseline against per-agent normalisation."</p>
            <BackendBadge session />
        </header>
        <div class="layout" class:full=move || hides("builder")>
            <Show when=move || !hides("builder")><Builder session /></Show>
            <main>
                <div class="sticky-controls" id="run-controls" tabindex="-1"><Controls session /></div>
                <LessonPanel session />
                <p class="explain">{explain}</p>
                {move || session.message.get().map(|m| view! {
                    <p class="message" role="alert" data-testid="message">{m}
                        <button class="dismiss" aria-label="dismiss message" on:click=move |_| session.message.set(None)>"×"</button>
                    </p>
                })}
                <Health session />
                <div class="columns" data-count=count>{columns}</div>
                <Show when=move || !hides("predict")><Predict session /></Show>
                <Show when=move || !hides("ledger")><Ledger session /></Show>
                <Show when=move || !hides("step-through")><StepThrough session /></Show>
                <Show when=move || !hides("same-batch")><SameBatchView session /></Show>
                <Show when=move || !hides("share")><Share session /></Show>
            </main>
        </div>
    }
}
