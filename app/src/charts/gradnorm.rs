//! Pre-clip gradient L2 norm per agent on a log scale, with the Dr. MAS prediction overlaid.
//!
//! Solid lines: the measured norm of each agent's gradient, averaged over the last
//! [`SMOOTHING`] updates (an agent whose samples all agree gets A = 0 and a zero gradient, so the
//! raw series, drawn faintly, drops to the floor). Dashed lines: √((σ_k² + (μ_k − μ)²)/σ²),
//! the factor by which one global baseline is predicted to scale agent k's gradient norm
//! relative to agent-wise normalisation (1 = no inflation).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_axes, draw_legend, text, Theme};
use crate::series::{moving_average, RunSeries};

/// Updates averaged by the solid line.
pub const SMOOTHING: usize = 10;

/// Smallest value shown on the log axis.
const FLOOR: f32 = 1e-4;

/// Draws run `series`' per-agent gradient norms on `root`.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, series: &RunSeries, theme: &Theme) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let x_max = series.total_updates.max(series.updates).max(1);
    let values = series
        .agents
        .iter()
        .flat_map(|a| a.grad_norm.iter().chain(&a.predicted_norm_factor).map(|(_, v)| v.max(FLOOR)));
    let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo / 1.5, hi * 1.5) } else { (0.01, 10.0) };
    let text = |size| text(theme, size);
    let mut chart = ChartBuilder::on(root)
        .caption("Gradient norm per agent (log)", text(15))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d(0u32..x_max, (lo..hi).log_scale())
        .map_err(chart_error)?;
    draw_axes(&mut chart, theme, &|v| format!("{v:.0e}"))?;
    for (k, agent) in series.agents.iter().enumerate() {
        let color = agent_color(k);
        chart
            .draw_series(LineSeries::new(
                agent.grad_norm.iter().map(|&(u, v)| (u, v.max(FLOOR))),
                color.mix(0.25).stroke_width(1),
            ))
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(
                moving_average(&agent.grad_norm, SMOOTHING).into_iter().map(|(u, v)| (u, v.max(FLOOR))),
                color.stroke_width(2),
            ))
            .map_err(chart_error)?
            .label(format!("agent {k} ‖g‖"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
        chart
            .draw_series(DashedLineSeries::new(
                moving_average(&agent.predicted_norm_factor, SMOOTHING).into_iter().map(|(u, v)| (u, v.max(FLOOR))),
                5,
                4,
                color.stroke_width(1),
            ))
            .map_err(chart_error)?;
    }
    if !series.agents.is_empty() {
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft, theme)?;
    }
    root.present().map_err(chart_error)
}
