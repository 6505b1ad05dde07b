//! Offline use after the first visit: registers `sw.js?build=<commit>` (public/sw.js) and says
//! how far it has got. Each build's service worker keeps its own cache of that build's files and
//! deletes the others once active.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::components::about::BUILD;

/// Registers the service worker of this build; `status` says what offline use looks like.
pub fn register(status: RwSignal<String>) {
    let Some(window) = web_sys::window() else { return };
    if !window.is_secure_context() || js_sys::Reflect::get(&window.navigator(), &"serviceWorker".into()).map_or(true, |v| v.is_undefined()) {
        status.set("Offline use: not available here (it needs a service worker, on https or localhost).".into());
        return;
    }
    let container = window.navigator().service_worker();
    status.set("Offline use: saving this version…".into());
    let promise = container.register(&format!("./sw.js?build={BUILD}"));
    leptos::task::spawn_local(async move {
        if let Err(e) = JsFuture::from(promise).await {
            status.set(format!("Offline use: could not be set up ({}).", e.as_string().unwrap_or_else(|| "refused".into())));
            return;
        }
        // `ready` resolves once a worker is active; this build's activates as soon as it has cached
        // every file (it does not wait), so wait for the one of this build.
        for _ in 0..120 {
            let Ok(ready) = container.ready() else { break };
            if let Ok(registration) = JsFuture::from(ready).await {
                let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
                if registration.active().is_some_and(|w| w.script_url().contains(&format!("build={BUILD}"))) {
                    status.set(format!("Offline use: ready — this version (build {BUILD}) opens without a network."));
                    return;
                }
            }
            gloo_timers::future::TimeoutFuture::new(500).await;
        }
        status.set("Offline use: not ready yet (the files are still being saved).".into());
    });
}
