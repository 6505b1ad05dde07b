//! Mean reward per agent over updates, each agent on its own scale (0 = its worst return,
//! 1 = its best), so that an agent with rewards a hundred times smaller is as visible as the
//! others. With several seeds: the mean line and the range over seeds as a band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, band_polygon, chart_error, draw_legend, update_chart, Theme};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;

/// Draws `column`'s per-agent reward score on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    range: (u32, u32),
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let caption = "Reward per agent, own scale (0 = worst, 1 = best)";
    let mut chart = update_chart(root, caption, -0.05..1.05, range, theme, &|v| format!("{v:.1}"))?;
    let mut legend = Vec::with_capacity(column.agents.len());
    for (k, agent) in column.agents.iter().enumerate() {
        let color = agent_color(k);
        if column.latest.len() > 1 {
            chart
                .draw_series(std::iter::once(Polygon::new(band_polygon(&agent.reward_score, |y| y), color.mix(0.15))))
                .map_err(chart_error)?;
        }
        chart
            .draw_series(LineSeries::new(agent.reward_score.mean.points(), color.stroke_width(2)))
            .map_err(chart_error)?;
        legend.push((game.agent(k).to_string(), color));
    }
    draw_legend(&chart, &legend, SeriesLabelPosition::LowerRight, theme)?;
    root.present().map_err(chart_error)
}
