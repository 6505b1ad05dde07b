//! The page: the header with the backend badge; the experiment builder beside the run controls,
//! one column per estimator (seeds aggregated), the ledger and the same-batch view.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::components::backend_badge::BackendBadge;
use crate::components::builder::Builder;
use crate::components::column::Column;
use crate::components::controls::Controls;
use crate::components::ledger::Ledger;
use crate::components::lesson_panel::LessonPanel;
use crate::components::predict::Predict;
use crate::components::same_batch::SameBatchView;
use crate::components::share::Share;
use crate::components::step_through::StepThrough;
use crate::session::Session;
use crate::url::{self, PageState};

/// The query string of the page's address.
fn location_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// A seed for a link that gives none (written back into the address).
fn fresh_seed() -> u64 {
    (js_sys::Math::random() * 1e6).floor() as u64
}

/// Writes `query` into the address bar: a new history entry, or in place of the current one.
fn write_address(query: &str, push: bool) {
    let Some(window) = web_sys::window() else { return };
    let Ok(history) = window.history() else { return };
    let path = window.location().pathname().unwrap_or_default();
    let address = format!("{path}?{query}");
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&address))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&address))
    };
}

/// Applies a decoded address to the session (on load and on Back/Forward).
fn show_ignored(session: Session, decoded: &url::Decoded) {
    if let Some(message) = decoded.ignored_message() {
        session.message.set(Some(message));
    }
}

/// What to look at in each game, under the controls.
pub fn explanation(kind: &str) -> &'static str {
    match kind {
        "bandit" => "Agents pull bandit arms; their rewards differ in scale (×1, ×10, ×100 by default). One global baseline \
            (GRPO over episode means, or step level over every agent's samples) against each agent normalised by its own \
            statistics (agent-wise, Dr. MAS). Dashed lines: the predicted norm factor √((σ_k² + (μ_k − μ)²)/σ²) of one global \
            baseline; agent-wise makes it 1.",
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
    let decoded = url::decode(&location_query(), fresh_seed());
    let PageState { config, inspect, teacher } = decoded.state.clone();
    let session = Session::new(config, inspect, teacher);
    show_ignored(session, &decoded);
    // The address follows the page: knob changes replace the entry, a new experiment (another
    // game or lesson step, an opened run) pushes one. A drawn seed is written back at once.
    Effect::new(move |previous: Option<(String, String, Option<String>, usize)>| {
        let state = PageState {
            config: session.config.get(),
            inspect: session.inspect_seed.get(),
            teacher: session.teacher.get(),
        };
        let query = url::encode(&state);
        let kind = state.config.game.kind().to_string();
        let lesson = state.teacher.lesson.clone();
        let step = state.teacher.step;
        let pushed = session.push_url.get_value();
        session.push_url.set_value(false);
        // After Back/Forward the address already shows this state: nothing to write.
        let shown = location_query().trim_start_matches('?') == query;
        if let Some((old_query, old_kind, old_lesson, old_step)) = &previous {
            if *old_query != query && !shown {
                let new_experiment = pushed || *old_kind != kind || *old_lesson != lesson || *old_step != step;
                write_address(&query, new_experiment);
            }
        } else if !shown {
            write_address(&query, false);
        }
        (query, kind, lesson, step)
    });
    // Back and Forward reopen the experiment of that entry.
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        let decoded = url::decode(&location_query(), fresh_seed());
        show_ignored(session, &decoded);
        let PageState { config, inspect, teacher } = decoded.state;
        session.teacher.set(teacher);
        session.inspect(inspect);
        if config != session.config.get_untracked() {
            session.apply(config);
        }
    });
    let hides = move |part: &str| session.teacher.with(|t| t.hides(part));
    let columns = move || {
        let estimators = session.config.with(|c| c.estimators.len());
        (0..estimators).map(|index| view! { <Column session index /> }).collect_view()
    };
    let explain = move || explanation(session.config.with(|c| c.game.kind()));
    view! {
        <header class="topbar">
            <h1>"Credit Lab"</h1>
            <p class="tagline">"Where does the credit go? One global baseline against per-agent normalisation."</p>
            <BackendBadge session />
        </header>
        <div class="layout" class:full=move || hides("builder")>
            <Show when=move || !hides("builder")><Builder session /></Show>
            <main>
                <div class="sticky-controls"><Controls session /></div>
                <LessonPanel session />
                <p class="explain">{explain}</p>
                {move || session.message.get().map(|m| view! {
                    <p class="message" role="alert" data-testid="message">{m}
                        <button class="dismiss" aria-label="dismiss message" on:click=move |_| session.message.set(None)>"×"</button>
                    </p>
                })}
                <div class="columns">{columns}</div>
                <Show when=move || !hides("predict")><Predict session /></Show>
                <Show when=move || !hides("ledger")><Ledger session /></Show>
                <Show when=move || !hides("step-through")><StepThrough session /></Show>
                <Show when=move || !hides("same-batch")><SameBatchView session /></Show>
                <Show when=move || !hides("share")><Share session /></Show>
            </main>
        </div>
    }
}
