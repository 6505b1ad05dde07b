//! Credit Lab's page: a Leptos 0.8 client-side app around the `creditlab` core.

pub mod address;
pub mod app;
pub mod charts;
pub mod game_view;
pub mod history;
pub mod lessons;
pub mod components;
pub mod download;
pub mod session;
pub mod storage;
pub mod url;
pub mod worker;

/// Mounts the page (called by the binary's `main`).
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(loading) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("loading")) {
        loading.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
