//! Mean reward per agent over updates.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, padded_range, Theme};
use crate::series::RunSeries;

/// Draws run `series`' per-agent mean reward on `root`.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, series: &RunSeries, theme: &Theme) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let x_max = series.total_updates.max(series.updates).max(1) as f32;
    let (lo, hi) = padded_range(series.agents.iter().flat_map(|a| a.reward.iter().map(|(_, v)| *v)));
    let text = |size| ("sans-serif", size).into_font().color(&theme.foreground);
    let mut chart = ChartBuilder::on(root)
        .caption("Mean reward per agent", text(15))
        .margin(8)
        .x_label_area_size(26)
        .y_label_area_size(52)
        .build_cartesian_2d(0f32..x_max, lo..hi)
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc("update")
        .label_style(text(11))
        .axis_style(theme.foreground)
        .light_line_style(theme.grid)
        .bold_line_style(theme.grid)
        .draw()
        .map_err(chart_error)?;
    for (k, agent) in series.agents.iter().enumerate() {
        let color = agent_color(k);
        chart
            .draw_series(LineSeries::new(agent.reward.iter().map(|&(u, v)| (u as f32, v)), color.stroke_width(2)))
            .map_err(chart_error)?
            .label(format!("agent {k}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
    }
    if !series.agents.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(theme.background.mix(0.85))
            .border_style(theme.grid)
            .label_font(text(11))
            .draw()
            .map_err(chart_error)?;
    }
    root.present().map_err(chart_error)
}
