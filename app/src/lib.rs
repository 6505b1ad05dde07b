//! Credit Lab's page: a Leptos 0.8 client-side app around the `creditlab` core.

pub mod address;
pub mod app;
pub mod charts;
pub mod codec;
pub mod game_view;
pub mod history;
pub mod lessons;
pub mod offline;
pub mod report_log;
pub mod components;
pub mod download;
pub mod format;
pub mod session;
pub mod storage;
pub mod sweep;
pub mod url;
pub mod worker;

/// Runs the module's static constructors (cubecl registers its IR dialects with `inventory`)
/// once, explicitly; later calls do nothing. The binaries call it first thing in `main`; the
/// browser tests (which have no `main`) first thing in every test.
///
/// Without a call to `__wasm_call_ctors` anywhere in a module, wasm-ld treats it as a
/// "command" and wraps *every* export in a call to it, so every call from JavaScript into wasm
/// (each closure, event handler, timer and `externref` slot) re-ran all the constructors: in a
/// CDP profile of the page training at full speed, 4.6 s of 7.1 s of the main thread. With
/// the call below linked in, the linker drops those wrappers — so every module that links this
/// crate must call this function before it uses WebGPU.
pub fn run_constructors() {
    #[cfg(target_family = "wasm")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        extern "C" {
            fn __wasm_call_ctors();
        }
        // SAFETY: `__wasm_call_ctors` is synthesised by wasm-ld; it runs the constructors in
        // `.init_array`. It runs once per module instance (the `Once`), before the code that
        // needs the registrations; inventory's constructors are idempotent in any case.
        #[allow(unsafe_code)]
        ONCE.call_once(|| unsafe { __wasm_call_ctors() });
    }
}

/// Mounts the page (called by the binary's `main`).
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(loading) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("loading")) {
        loading.remove();
    }
    leptos::mount::mount_to_body(app::App);
    // After the first paint, while nothing trains yet (see `warm_chart_fonts`).
    leptos::prelude::set_timeout(components::chart_canvas::warm_chart_fonts, std::time::Duration::ZERO);
}

/// What the page holds of the experiment (see [`session::buffers_json`]), for the long-run test
/// as `wasmBindings.page_buffers()`.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn page_buffers() -> String {
    session::buffers_json()
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
