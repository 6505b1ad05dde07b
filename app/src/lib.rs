//! Credit Lab's page: a Leptos 0.8 client-side app around the `creditlab` core.

pub mod address;
pub mod app;
pub mod charts;
pub mod game_view;
pub mod history;
pub mod lessons;
pub mod report_log;
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

/// Bytes of this module's linear memory (the page's, or the worker's: both link this crate).
/// The long-run memory check reads it as `wasmBindings.wasm_memory_bytes()` in the page and
/// `wasm_bindgen.wasm_memory_bytes()` in the worker.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}
