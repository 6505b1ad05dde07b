//! The backend badge: "WebGPU", or "CPU — reason".

use creditlab::BackendKind;
use leptos::prelude::*;

use crate::session::Session;

/// Shows which backend trains, and why.
#[component]
pub fn BackendBadge(
    /// The session whose backend is shown.
    session: Session,
) -> impl IntoView {
    let text = move || match session.backend.get() {
        None => "choosing backend…".to_string(),
        Some(info) => info.badge(),
    };
    let class = move || match session.backend.get().map(|b| b.kind) {
        Some(BackendKind::WebGpu) => "badge badge-gpu",
        Some(BackendKind::Cpu) => "badge badge-cpu",
        None => "badge",
    };
    let title = move || session.backend.get().map(|b| b.reason).unwrap_or_default();
    view! {
        <span class=class data-testid="backend" title=title role="status" aria-label="training backend">
            {text}
        </span>
    }
}
