//! Start / Pause / Step / Reset, the pace and the progress read-out.

use leptos::prelude::*;

use crate::session::Session;
use crate::worker::Pace;

/// The run controls and progress.
#[component]
pub fn Controls(
    /// The session the buttons drive.
    session: Session,
) -> impl IntoView {
    let done = move || session.data.history.with(|h| h.updates);
    let total = move || session.config.with(|c| c.updates);
    let progress = move || {
        let rate = session.link.updates_per_second.get();
        let rate = if session.link.running.get() && rate > 0.0 { format!(" · {rate:.0} updates/s") } else { String::new() };
        let state = if session.link.crashed.with(Option::is_some) {
            " · the worker crashed"
        } else if session.data.imported.get() {
            " · opened run (Reset trains it again)"
        } else if !session.link.ready.get() {
            " · preparing…"
        } else {
            ""
        };
        format!("update {} of {}{}{}", done(), total(), rate, state)
    };
    let not_ready = move || !session.link.ready.get() || session.data.imported.get();
    view! {
        <div class="controls" role="group" aria-label="run controls">
            <button data-testid="start" on:click=move |_| session.start()
                disabled=move || session.link.running.get() || not_ready()>
                {move || if done() > 0 { "Resume" } else { "Start" }}
            </button>
            <button data-testid="pause" on:click=move |_| session.pause() disabled=move || !session.link.running.get()>
                "Pause"
            </button>
            <button data-testid="step" on:click=move |_| session.step()
                disabled=move || session.link.running.get() || not_ready()>
                "Step one update"
            </button>
            <button data-testid="reset" on:click=move |_| session.reset()>"Reset"</button>
            <label class="pace">"pace "
                <select data-testid="pace"
                    on:change=move |ev| {
                        let index: usize = event_target_value(&ev).parse().unwrap_or(0);
                        if let Some((pace, _)) = Pace::CHOICES.get(index) {
                            session.set_pace(*pace);
                        }
                    }>
                    {Pace::CHOICES.iter().enumerate().map(|(i, (pace, label))| {
                        let selected = move || session.link.pace.get() == *pace;
                        view! { <option value=i.to_string() selected=selected>{*label}</option> }
                    }).collect_view()}
                </select>
            </label>
            <span class="progress" data-testid="progress" role="status" aria-live="polite">{progress}</span>
            <progress max=total value=done aria-hidden="true"></progress>
        </div>
    }
}
