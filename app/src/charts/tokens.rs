//! Language agents: each agent's mean response length in tokens over updates (the end token
//! included). With several seeds: the mean line and the range over seeds as a band. Under
//! `seq-mean-token-mean` a wrong long answer costs less per token than a short one: this is
//! where the aggregation's length bias shows.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, band_polygon, chart_error, draw_legend, update_chart, Theme};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;

/// Draws `column`'s per-agent response length on `root`; `most` is the longest a response may be.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    most: u32,
    range: (u32, u32),
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let caption = "Response length per agent (tokens)";
    let top = most.max(1) as f32 + 0.5;
    let mut chart = update_chart(root, caption, 0.0..top, range, theme, &|v| format!("{v:.0}"))?;
    let mut legend = Vec::with_capacity(column.agents.len());
    for (k, agent) in column.agents.iter().enumerate() {
        let color = agent_color(k);
        if column.latest.len() > 1 {
            chart.draw_series(std::iter::once(Polygon::new(band_polygon(&agent.tokens, |y| y), color.mix(0.15)))).map_err(chart_error)?;
        }
        chart.draw_series(LineSeries::new(agent.tokens.mean.points(), color.stroke_width(2))).map_err(chart_error)?;
        legend.push((game.agent(k).to_string(), color));
    }
    draw_legend(&chart, &legend, SeriesLabelPosition::LowerRight, theme)?;
    root.present().map_err(chart_error)
}
