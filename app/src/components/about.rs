//! What the page is: the version and the commit it was built from, the lessons, the source and
//! the licence (the footer's "About").

use leptos::prelude::*;

use super::your_run::{LESSON_FILE, LESSON_TITLE};
use crate::lessons::LESSONS;

/// The commit the page was built from (`app/build.rs`).
pub const BUILD: &str = env!("CREDITLAB_BUILD");

/// Where the source lives, when the build was told (`CREDITLAB_SOURCE_URL`).
pub const SOURCE_URL: Option<&str> = option_env!("CREDITLAB_SOURCE_URL");

/// The footer with "About".
#[component]
pub fn About() -> impl IntoView {
    let offline = RwSignal::new(String::new());
    crate::offline::register(offline);
    let lessons = LESSONS
        .iter()
        .map(|l| {
            // Relative: the link keeps whatever path the page is served under.
            let href = format!("?lesson={}", l.id);
            view! { <li><a href=href>{l.title}</a></li> }
        })
        .collect_view();
    let run_lesson = format!("?run={LESSON_FILE}");
    let source = match SOURCE_URL {
        Some(url) => view! { <a href=url data-testid="about-source">"the source"</a> }.into_any(),
        None => view! { <span data-testid="about-source">"the source (README.md and ARCHITECTURE.md in the repository)"</span> }.into_any(),
    };
    view! {
        <footer class="about">
            <details data-testid="about">
                <summary>"About Credit Lab"</summary>
                <p>
                    "Credit Lab trains small multi-agent policies in your browser and shows where the credit goes: one global \
                     baseline against per-agent normalisation (Dr. MAS), turn- and step-level credit (MARS, GiGPO), RLOO and \
                     counterfactual credit (COMA, difference rewards, Shapley). Everything runs on this page; nothing is sent anywhere."
                </p>
                <p data-testid="about-version">
                    {format!("Version {} · build {BUILD} · licence MIT OR Apache-2.0 · ", env!("CARGO_PKG_VERSION"))}
                    {source}
                </p>
                <p data-testid="offline-status">{move || offline.get()}</p>
                <p>"Lessons:"</p>
                <ul class="about-lessons">{lessons}<li><a href=run_lesson>{LESSON_TITLE}</a></li></ul>
            </details>
        </footer>
    }
}
