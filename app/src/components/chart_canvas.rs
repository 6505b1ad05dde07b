//! A canvas that redraws one chart whenever the session asks (throttled while training), with
//! a text summary for screen readers.

use std::sync::Arc;
use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use crate::charts::Theme;
use crate::session::Session;

/// The page's colour scheme, read from the browser.
pub fn current_theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark { Theme::DARK } else { Theme::LIGHT }
}

/// Draws a chart on a plotters canvas area and returns its text summary.
pub type DrawFn = Arc<dyn Fn(&DrawingArea<CanvasBackend, plotters::coord::Shift>, &Theme) -> Result<String, String> + Send + Sync>;

/// Draws `draw` onto `canvas`; returns the summary.
pub fn draw_on_canvas(canvas: web_sys::HtmlCanvasElement, draw: &DrawFn, theme: &Theme) -> Result<String, String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    draw(&root, theme)
}

/// One chart on a canvas.
#[component]
pub fn ChartCanvas(
    /// The session (its `redraw` signal schedules the drawing).
    session: Session,
    /// `data-testid` of the canvas.
    test_id: &'static str,
    /// Canvas width in pixels.
    #[prop(default = 440)]
    width: u32,
    /// Canvas height in pixels.
    #[prop(default = 230)]
    height: u32,
    /// Draws the chart; reads its data untracked when it runs.
    draw: DrawFn,
    /// Extra signal that should also trigger a redraw (e.g. the batch views).
    #[prop(optional)]
    also: Option<Signal<u64>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let summary = RwSignal::new(String::new());
    Effect::new(move |_| {
        session.redraw.track();
        if let Some(also) = also {
            also.track();
        }
        let Some(element) = canvas.get() else { return };
        let draw = draw.clone();
        // Each chart draws in a task of its own, so that a redraw of every chart never holds the
        // main thread for the sum of their times; the data is read when the task runs.
        set_timeout(
            move || match draw_on_canvas(element, &draw, &current_theme()) {
                Ok(text) => summary.set(text),
                Err(err) => session.message.set(Some(err)),
            },
            Duration::ZERO,
        );
    });
    view! {
        <figure class="chart">
            <canvas node_ref=canvas width=width.to_string() height=height.to_string() data-testid=test_id
                role="img" aria-label=move || summary.get()></canvas>
            <figcaption class="sr-only">{move || summary.get()}</figcaption>
        </figure>
    }
}
