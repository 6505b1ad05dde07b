//! The backend badge: "WebGPU", or "CPU — reason"; and the switch between the CPU worker (the
//! default) and the WebGPU one, offered where the browser has WebGPU.

use creditlab::BackendKind;
use leptos::prelude::*;

use crate::session::Session;

/// Shows which backend trains, and why.
#[component]
pub fn BackendBadge(
    /// The session whose backend is shown.
    session: Session,
) -> impl IntoView {
    let text = move || match session.link.backend.get() {
        None => "choosing backend…".to_string(),
        Some(info) => info.badge(),
    };
    let class = move || match session.link.backend.get().map(|b| b.kind) {
        Some(BackendKind::WebGpu) => "badge badge-gpu",
        Some(BackendKind::Cpu) => "badge badge-cpu",
        None => "badge",
    };
    let title = move || session.link.backend.get().map(|b| b.reason).unwrap_or_default();
    let switch = move || {
        let on = session.link.use_gpu.get();
        (on || browser_has_webgpu()).then(|| {
            let (label, hint) = if on {
                ("use the CPU", "train on the CPU again (restarts the experiment)")
            } else {
                ("try WebGPU", "fetch the WebGPU trainer and train on the GPU (restarts the experiment)")
            };
            view! {
                <button class="link" data-testid="backend-switch" title=hint on:click=move |_| session.set_use_gpu(!on)>{label}</button>
            }
        })
    };
    view! {
        <span class=class data-testid="backend" title=title role="status" aria-label="training backend">
            {text}
        </span>
        {switch}
    }
}

/// Whether the browser exposes WebGPU (`navigator.gpu`); an adapter may still be missing.
fn browser_has_webgpu() -> bool {
    web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()).ok())
        .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}
