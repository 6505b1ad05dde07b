//! A canvas that redraws one chart whenever the session asks (throttled while training), with
//! a text summary for screen readers.

use std::sync::Arc;
use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use crate::charts::Theme;
use crate::download;
use crate::session::Session;

/// The page's colour scheme, read from the browser.
pub fn current_theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark { Theme::DARK } else { Theme::LIGHT }
}

/// Draws a chart on a plotters canvas area and returns its text summary.
pub type CanvasDraw = Arc<dyn Fn(&DrawingArea<CanvasBackend, Shift>, &Theme) -> Result<String, String> + Send + Sync>;
/// The same chart drawn as SVG (for the SVG export).
pub type SvgDraw = Arc<dyn Fn(&DrawingArea<SVGBackend<'_>, Shift>, &Theme) -> Result<String, String> + Send + Sync>;

/// A chart: one drawing, for the canvas and for SVG. Made by [`chart_fn!`](crate::chart_fn).
#[derive(Clone)]
pub struct DrawFn {
    /// Draws on the page's canvas.
    pub canvas: CanvasDraw,
    /// Draws as SVG.
    pub svg: SvgDraw,
}

impl std::fmt::Debug for DrawFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DrawFn")
    }
}

/// Makes a [`DrawFn`] from one closure body, written once and compiled for both backends:
/// `chart_fn!(clone a, b; move |root, theme| { … })` (the `clone` list is optional).
#[macro_export]
macro_rules! chart_fn {
    ($(clone $($c:ident),+ ;)? move |$root:ident, $theme:ident| $body:expr) => {
        $crate::components::chart_canvas::DrawFn {
            canvas: { $($(let $c = $c.clone();)+)? std::sync::Arc::new(move |$root, $theme| $body) },
            svg: { $($(let $c = $c.clone();)+)? std::sync::Arc::new(move |$root, $theme| $body) },
        }
    };
}

/// Draws `draw` onto `canvas`; returns the summary.
pub fn draw_on_canvas(canvas: web_sys::HtmlCanvasElement, draw: &DrawFn, theme: &Theme) -> Result<String, String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    (draw.canvas)(&root, theme)
}

/// The chart as an SVG document of `size` pixels.
pub fn draw_svg(draw: &DrawFn, size: (u32, u32), theme: &Theme) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        (draw.svg)(&root, theme)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
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
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let summary = RwSignal::new(String::new());
    let svg_draw = draw.clone();
    let name = move |ext: &str| {
        let config = session.config.get_untracked();
        format!("creditlab-{}-{}-update{}.{ext}", config.game.kind(), test_id.trim_start_matches("chart-"), session.history.with_untracked(|h| h.updates))
    };
    let export_png = move |_| {
        let Some(element) = canvas.get_untracked() else { return };
        let result = element
            .to_data_url()
            .map_err(|_| "the browser refused to export the canvas".to_string())
            .and_then(|url| download::link(&name("png"), &url));
        if let Err(e) = result {
            session.message.set(Some(format!("PNG export failed: {e}")));
        }
    };
    let export_svg = move |_| {
        let result = draw_svg(&svg_draw, (width, height), &current_theme())
            .and_then(|svg| download::text(&name("svg"), "image/svg+xml", &svg));
        if let Err(e) = result {
            session.message.set(Some(format!("SVG export failed: {e}")));
        }
    };
    Effect::new(move |_| {
        session.redraw.track();
        let Some(element) = canvas.get() else { return };
        let draw = draw.clone();
        session.draw_load.update_value(|load| load.pending += 1);
        // Each chart draws in a task of its own, so that a redraw of every chart never holds the
        // main thread for the sum of their times; the data is read when the task runs.
        set_timeout(
            move || {
                let started = web_time::Instant::now();
                // The chart may be gone by now (its column removed — its canvas can even be
                // reused by the next column — or the page unmounted): its reactive data is
                // disposed with it, so draw nothing.
                if !summary.is_disposed() && element.is_connected() {
                    match draw_on_canvas(element, &draw, &current_theme()) {
                        Ok(text) => summary.set(text),
                        Err(err) => session.message.set(Some(err)),
                    }
                }
                session.draw_load.try_update_value(|load| {
                    load.pending = load.pending.saturating_sub(1);
                    load.round_ms += started.elapsed().as_secs_f64() * 1e3;
                    if load.pending == 0 {
                        load.last_round_ms = std::mem::take(&mut load.round_ms);
                    }
                });
            },
            Duration::ZERO,
        );
    });
    view! {
        <figure class="chart">
            <canvas node_ref=canvas width=width.to_string() height=height.to_string() data-testid=test_id
                role="img" aria-label=move || summary.get()></canvas>
            <figcaption class="sr-only">{move || summary.get()}</figcaption>
            <div class="chart-export">
                <button class="link" data-testid=format!("png-{test_id}") title="download this chart as PNG" on:click=export_png>"PNG"</button>
                <button class="link" data-testid=format!("svg-{test_id}") title="download this chart as SVG" on:click=export_svg>"SVG"</button>
            </div>
        </figure>
    }
}
