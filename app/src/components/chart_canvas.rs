//! A canvas that redraws one chart whenever the session asks (throttled while training), with
//! a text summary for screen readers.

use std::sync::Arc;
use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

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

/// The page's plotters backend: plotters' canvas backend, with text measured by the canvas.
///
/// On wasm plotters measures every label by adding a `<span>` to the document and reading its
/// `offsetWidth`/`offsetHeight`, which forces a style and layout pass of the whole page per label:
/// in a trace of the first second after Start, one chart's draw spent ~70 ms in that layout, the
/// freshly mounted batch views' first. `measureText` on the chart's own 2D context measures the same font
/// without touching the page's layout. Everything else is plotters-canvas's.
pub struct PageCanvas {
    canvas: CanvasBackend,
    context: CanvasRenderingContext2d,
    /// Backing pixels per CSS pixel (the screen's `devicePixelRatio` when the page sized the
    /// canvas for it): the chart draws in CSS pixels, the context scales them.
    scale: f64,
}

impl std::fmt::Debug for PageCanvas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageCanvas")
    }
}

impl PageCanvas {
    /// The backend for `element`, or `None` if it has no 2D context.
    pub fn new(element: HtmlCanvasElement) -> Option<Self> {
        Self::scaled(element, 1.0)
    }

    /// The backend for `element` whose backing store has `scale` pixels per CSS pixel: the chart
    /// is drawn at the element's size divided by `scale`, each coordinate scaled by the context,
    /// so text keeps its CSS size and stays sharp on a high-density screen.
    pub fn scaled(element: HtmlCanvasElement, scale: f64) -> Option<Self> {
        let context = element.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()?;
        let scale = if scale.is_finite() && scale >= 1.0 { scale } else { 1.0 };
        context.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0).ok()?;
        let canvas = CanvasBackend::with_canvas_object(element)?;
        Some(Self { canvas, context, scale })
    }
}

impl DrawingBackend for PageCanvas {
    type ErrorType = <CanvasBackend as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        let (w, h) = self.canvas.get_size();
        ((f64::from(w) / self.scale).round() as u32, (f64::from(h) / self.scale).round() as u32)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_path(path, style)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.fill_polygon(vert, style)
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_circle(center, radius, style, fill)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.canvas.draw_text(text, style, pos)
    }

    /// The text's advance width (rounded, as the DOM's `offsetWidth`) and its font's ascent +
    /// descent, in the font string `draw_text` sets. Falls back to plotters' own measurement if
    /// the context refuses.
    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.context.set_font(&canvas_font(style.style().as_str(), style.size(), style.family().as_str()));
        match self.context.measure_text(text) {
            Ok(m) => Ok((m.width().round() as u32, (m.font_bounding_box_ascent() + m.font_bounding_box_descent()).round() as u32)),
            Err(_) => {
                let ((x0, y0), (x1, y1)) = style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
                Ok(((x1 - x0) as u32, (y1 - y0) as u32))
            }
        }
    }
}

/// The canvas font string plotters-canvas's `draw_text` sets: "{style} {size}px {family}".
fn canvas_font(style: &str, size: f64, family: &str) -> String {
    format!("{style} {size}px {family}")
}

/// Resolves the charts' fonts once, at start-up, before anything trains.
///
/// The first text drawn at a new size asks the browser process for the font's rendering
/// settings (a synchronous IPC: `FontCache::GetFontPlatformData` →
/// `GetWebFontRenderStyleForStrike` in a trace). With a run training at full speed on two cores
/// that answer took ~100 ms, one long task in the first second after Start, when the batch
/// views drew their first 9- and 10-px labels. One glyph at every size the charts use, drawn
/// while the page is idle, moves that cost to start-up (a few ms in all).
pub fn warm_chart_fonts() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(canvas) = document.create_element("canvas").ok().and_then(|c| c.dyn_into::<HtmlCanvasElement>().ok()) else { return };
    canvas.set_width(1);
    canvas.set_height(1);
    let Some(context) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else { return };
    for size in crate::charts::TEXT_SIZES {
        context.set_font(&canvas_font("normal", f64::from(size), crate::charts::FONT_FAMILY));
        let _ = context.fill_text("0", 0.0, 0.0);
    }
}

/// Draws a chart on a plotters canvas area and returns its text summary.
pub type CanvasDraw = Arc<dyn Fn(&DrawingArea<PageCanvas, Shift>, &Theme) -> Result<String, String> + Send + Sync>;
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
pub fn draw_on_canvas(canvas: HtmlCanvasElement, draw: &DrawFn, theme: &Theme, scale: f64) -> Result<String, String> {
    let backend = PageCanvas::scaled(canvas, scale).ok_or("the canvas has no 2D context")?;
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
    /// Canvas width in pixels at most (the SVG export's width): where the chart's place on the
    /// page is narrower, the canvas is drawn at the width it is shown at, so that its text keeps
    /// its size in pixels instead of being scaled down with the picture.
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
        format!("creditlab-{}-{}-update{}.{ext}", config.game.kind(), test_id.trim_start_matches("chart-"), session.data.history.with_untracked(|h| h.updates))
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
    // The width the chart is shown at, kept by a `ResizeObserver` on its figure. Reading the
    // figure's `clientWidth` at each draw forced a layout of the whole page whenever the chart
    // drawn before had changed its summary text: one layout per chart per redraw while training.
    // The observer's callback runs after the browser's own layout, when the width costs nothing.
    let shown_width = StoredValue::new(None::<i32>);
    let observer = StoredValue::new_local(None::<(web_sys::ResizeObserver, Closure<dyn FnMut(js_sys::Array)>)>);
    Effect::new(move |_| {
        let Some(figure) = canvas.get().and_then(|element| element.parent_element()) else { return };
        if observer.with_value(Option::is_some) {
            return;
        }
        let observed = figure.clone();
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            shown_width.try_set_value(Some(observed.client_width()));
        });
        if let Ok(resize) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            resize.observe(&figure);
            observer.set_value(Some((resize, on_resize)));
        }
    });
    on_cleanup(move || {
        if let Some((resize, _)) = observer.try_update_value(Option::take).flatten() {
            resize.disconnect();
        }
    });
    Effect::new(move |_| {
        session.clock.redraw.track();
        let Some(element) = canvas.get() else { return };
        let draw = draw.clone();
        session.clock.draw_load.update_value(|load| load.pending += 1);
        // Each chart draws in a task of its own, so that a redraw of every chart never holds the
        // main thread for the sum of their times; the data is read when the task runs.
        set_timeout(
            move || {
                let started = web_time::Instant::now();
                // The chart may be gone by now (its column removed — its canvas can even be
                // reused by the next column — or the page unmounted): its reactive data is
                // disposed with it, so draw nothing.
                if !summary.is_disposed() && element.is_connected() {
                    // Before the observer's first callback (the first draw), the width is read once.
                    let shown = shown_width.get_value().unwrap_or_else(|| element.parent_element().map_or(0, |figure| figure.client_width()));
                    let fitted = if shown >= 200 { (shown as u32).min(width) } else { width };
                    let scale = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 3.0);
                    let (backing_w, backing_h) = ((f64::from(fitted) * scale).round() as u32, (f64::from(height) * scale).round() as u32);
                    if element.width() != backing_w || element.height() != backing_h {
                        element.set_width(backing_w);
                        element.set_height(backing_h);
                    }
                    match draw_on_canvas(element, &draw, &current_theme(), scale) {
                        Ok(text) => summary.set(text),
                        Err(err) => session.message.set(Some(err)),
                    }
                }
                session.clock.draw_load.try_update_value(|load| {
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
