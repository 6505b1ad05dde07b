//! Pre-clip gradient L2 norm per agent on a log scale, with the Dr. MAS prediction overlaid.
//!
//! Solid lines: each agent's gradient norm (geometric mean over seeds, band = range over
//! seeds), smoothed over [`SMOOTHING`] points. Dashed lines, on the right-hand axis:
//! √((σ_k² + (μ_k − μ)²)/σ²), the factor by which one global baseline is predicted to scale
//! agent k's gradient norm relative to agent-wise normalisation (1 = no inflation).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, band_polygon, chart_error, draw_axes, draw_legend, text, update_range, Theme};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;

/// Points averaged by the solid line.
pub const SMOOTHING: usize = 8;

/// Smallest value shown on the log axis.
const FLOOR: f32 = 1e-4;

/// Trailing moving average over `window` points (fewer at the start).
pub fn moving_average(points: &[(f32, f32)], window: usize) -> Vec<(f32, f32)> {
    let window = window.max(1);
    let mut sum = 0.0f64;
    points
        .iter()
        .enumerate()
        .map(|(i, &(u, v))| {
            sum += f64::from(v);
            if i >= window {
                sum -= f64::from(points[i - window].1);
            }
            (u, (sum / (i + 1).min(window) as f64) as f32)
        })
        .collect()
}

fn log_range(values: impl Iterator<Item = f32>, default: (f32, f32)) -> std::ops::Range<f32> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.max(FLOOR))
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo.is_finite() { (lo / 1.5)..(hi * 1.5).max(lo * 2.0) } else { default.0..default.1 }
}

/// Draws `column`'s per-agent gradient norms on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    (updates, total): (u32, u32),
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let norms = log_range(
        column.agents.iter().flat_map(|a| a.grad_norm.lo.points().into_iter().chain(a.grad_norm.hi.points())).map(|p| p.1),
        (0.01, 10.0),
    );
    let factors = log_range(
        column.agents.iter().flat_map(|a| a.predicted_factor.points()).map(|p| p.1).chain([1.0]),
        (0.5, 10.0),
    );
    let mut chart = ChartBuilder::on(root)
        .caption("Gradient norm per agent (log); dashed: predicted factor", text(theme, 14))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(48)
        .right_y_label_area_size(40)
        .build_cartesian_2d(update_range(total, updates), norms.log_scale())
        .map_err(chart_error)?
        .set_secondary_coord(update_range(total, updates), factors.log_scale());
    draw_axes(&mut chart, theme, &|v| format!("{v:.0e}"))?;
    chart
        .configure_secondary_axes()
        .y_desc("predicted factor")
        .y_label_formatter(&|v| format!("{v:.1}"))
        .label_style(text(theme, 11))
        .axis_style(theme.foreground)
        .draw()
        .map_err(chart_error)?;
    let mut legend = Vec::with_capacity(column.agents.len());
    for (k, agent) in column.agents.iter().enumerate() {
        let color = agent_color(k);
        if column.latest.len() > 1 {
            chart
                .draw_series(std::iter::once(Polygon::new(band_polygon(&agent.grad_norm, |y| y.max(FLOOR)), color.mix(0.12))))
                .map_err(chart_error)?;
        }
        let mean = agent.grad_norm.mean.points();
        chart
            .draw_series(LineSeries::new(mean.iter().map(|&(u, v)| (u, v.max(FLOOR))), color.mix(0.3).stroke_width(1)))
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(
                moving_average(&mean, SMOOTHING).into_iter().map(|(u, v)| (u, v.max(FLOOR))),
                color.stroke_width(2),
            ))
            .map_err(chart_error)?;
        legend.push((format!("{} ‖g‖", game.agent(k)), color));
        chart
            .draw_secondary_series(DashedLineSeries::new(
                moving_average(&agent.predicted_factor.points(), SMOOTHING),
                5,
                4,
                color.stroke_width(1),
            ))
            .map_err(chart_error)?;
    }
    draw_legend(&chart, &legend, SeriesLabelPosition::LowerLeft, theme)?;
    root.present().map_err(chart_error)
}
