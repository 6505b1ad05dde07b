//! The page: the header with the backend badge; the experiment builder beside the run controls,
//! one column per estimator (seeds aggregated), the ledger and the same-batch view.

use leptos::prelude::*;

use crate::address;
use crate::components::about::About;
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
use crate::components::theory::TheoryView;
use crate::components::your_run::{open_example, YourRunView};
use crate::session::Session;
use crate::url::PageState;

/// The whole lab page.
#[component]
pub fn App() -> impl IntoView {
    let decoded = address::read();
    let PageState { config, inspect, teacher } = decoded.state.clone();
    let session = Session::new(config, inspect, teacher, decoded.fault);
    address::show_ignored(session, &decoded);
    address::follow(session);
    if let Some(file) = &decoded.run {
        open_example(session, file);
    }
    let hides = move |part: &str| session.teacher.with(|t| t.hides(part));
    let columns = move || {
        let estimators = session.config.with(|c| c.estimators.len());
        (0..estimators).map(|index| view! { <Column session index /> }).collect_view()
    };
    let explain = move || session.config.with(|c| c.game.explanation());
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
                <Show when=move || !hides("theory")><TheoryView session /></Show>
                <Show when=move || !hides("share")><Share session /></Show>
                <YourRunView session />
                <About />
            </main>
        </div>
    }
}
