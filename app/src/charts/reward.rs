//! Mean reward per agent over updates, each agent on its own scale (0 = worst arm, 1 = best arm),
//! so that an agent with rewards a hundred times smaller is as visible as the others.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_axes, draw_legend, text, Theme};
use crate::series::RunSeries;

/// Draws run `series`' per-agent reward score on `root`.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, series: &RunSeries, theme: &Theme) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let x_max = series.total_updates.max(series.updates).max(1);
    let text = |size| text(theme, size);
    let mut chart = ChartBuilder::on(root)
        .caption("Reward per agent, own scale (0 = worst arm, 1 = best)", text(14))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(40)
        .build_cartesian_2d(0u32..x_max, -0.05f32..1.05f32)
        .map_err(chart_error)?;
    draw_axes(&mut chart, theme, &|v| format!("{v:.1}"))?;
    for (k, agent) in series.agents.iter().enumerate() {
        let color = agent_color(k);
        chart
            .draw_series(LineSeries::new(agent.reward_score.iter().copied(), color.stroke_width(2)))
            .map_err(chart_error)?
            .label(format!("agent {k}"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2)));
    }
    if !series.agents.is_empty() {
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, theme)?;
    }
    root.present().map_err(chart_error)
}
