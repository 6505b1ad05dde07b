//! A canvas that redraws one chart of one run whenever the reports change.

use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use crate::charts::{self, Theme};
use crate::series::RunSeries;
use crate::session::Session;

/// Which chart a canvas shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Mean reward per agent.
    Reward,
    /// Gradient norm per agent (log scale).
    GradNorm,
}

impl ChartKind {
    fn test_id(self) -> &'static str {
        match self {
            ChartKind::Reward => "chart-reward",
            ChartKind::GradNorm => "chart-gradnorm",
        }
    }
}

/// The page's colour scheme, read from the browser.
pub fn current_theme() -> Theme {
    let dark = web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark { Theme::DARK } else { Theme::LIGHT }
}

/// Draws `kind` for `series` onto `canvas`.
pub fn draw_on_canvas(canvas: web_sys::HtmlCanvasElement, kind: ChartKind, series: &RunSeries, theme: &Theme) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    match kind {
        ChartKind::Reward => charts::reward::draw(&root, series, theme),
        ChartKind::GradNorm => charts::gradnorm::draw(&root, series, theme),
    }
}

/// One chart of run `run`.
#[component]
pub fn ChartCanvas(
    /// The session whose reports are drawn.
    session: Session,
    /// Index of the run in the reports.
    run: usize,
    /// Title of the run (estimator and seed).
    title: String,
    /// Which chart.
    kind: ChartKind,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let summary = RwSignal::new(String::new());
    Effect::new(move |_| {
        // Redraw when the session says so (throttled while training), not on every report.
        session.redraw.track();
        let Some(element) = canvas.get() else { return };
        let title = title.clone();
        // Each chart draws in a task of its own, so that a redraw of every chart never holds the
        // main thread for the sum of their times; the data is read when the task runs.
        set_timeout(
            move || {
                let total = session.config.with_untracked(|c| c.updates);
                let series = session.reports.with_untracked(|reports| RunSeries::from_reports(reports, run, title, total));
                if let Err(err) = draw_on_canvas(element, kind, &series, &current_theme()) {
                    session.message.set(Some(err));
                }
                summary.set(text_summary(kind, &series));
            },
            Duration::ZERO,
        );
    });
    view! {
        <figure class="chart">
            <canvas node_ref=canvas width="560" height="250" data-testid=kind.test_id()
                data-run=run.to_string() role="img" aria-label=move || summary.get()></canvas>
            <figcaption class="sr-only">{move || summary.get()}</figcaption>
        </figure>
    }
}

/// A text summary of the chart's latest values, for screen readers.
fn text_summary(kind: ChartKind, series: &RunSeries) -> String {
    let latest = |points: &Vec<(u32, f32)>| points.last().map_or("no data yet".to_string(), |(_, v)| format!("{v:.3}"));
    let parts: Vec<String> = series
        .agents
        .iter()
        .enumerate()
        .map(|(k, a)| match kind {
            ChartKind::Reward => format!("agent {k} reward score {}", latest(&a.reward_score)),
            ChartKind::GradNorm => format!("agent {k} gradient norm {}", latest(&a.grad_norm)),
        })
        .collect();
    format!("{} after update {}: {}", series.title, series.updates, parts.join(", "))
}
