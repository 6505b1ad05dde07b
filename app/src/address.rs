//! The browser's side of [`crate::url`]: reads the page's address on load, keeps it in step
//! with the session (knob changes replace the history entry, a new experiment pushes one), and
//! reopens an entry's experiment on Back/Forward.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

use crate::session::Session;
use crate::url::{self, Decoded, PageState};

/// The query string of the page's address.
fn location_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// A seed for a link that gives none (written back into the address).
fn fresh_seed() -> u64 {
    (js_sys::Math::random() * 1e6).floor() as u64
}

/// Writes `query` into the address bar: a new history entry, or in place of the current one.
fn write(query: &str, push: bool) {
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

/// Reads the current address (a fresh seed where it gives none).
pub fn read() -> Decoded {
    url::decode(&location_query(), fresh_seed())
}

/// Tells the user which parameters of the address were ignored, if any.
pub fn show_ignored(session: Session, decoded: &Decoded) {
    if let Some(message) = decoded.ignored_message() {
        session.message.set(Some(message));
    }
}

/// Keeps the address in step with `session`, and Back/Forward with the session.
pub fn follow(session: Session) {
    Effect::new(move |previous: Option<PageState>| {
        let state = PageState {
            config: session.config.get(),
            inspect: session.data.inspect_seed.get(),
            teacher: session.teacher.get(),
        };
        let query = url::encode(&state);
        let pushed = session.push_url.get_value();
        session.push_url.set_value(false);
        // On load a drawn seed or an ignored field is written back in place; after Back/Forward
        // the address already shows this state and nothing is written.
        if location_query().trim_start_matches('?') != query {
            let new_experiment = previous.as_ref().is_some_and(|old| {
                pushed
                    || old.config.game.kind() != state.config.game.kind()
                    || old.teacher.lesson != state.teacher.lesson
                    || old.teacher.step != state.teacher.step
            });
            write(&query, new_experiment);
        }
        state
    });
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        let decoded = read();
        show_ignored(session, &decoded);
        let PageState { config, inspect, teacher } = decoded.state;
        session.teacher.set(teacher);
        session.inspect(inspect);
        if config != session.config.get_untracked() {
            session.apply(config);
        }
    });
}
