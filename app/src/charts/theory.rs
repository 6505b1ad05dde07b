//! The theory check's scatter: for every run's agent in every update, the ratio measured on the
//! same batch (global-step against agent-wise, at the collecting policy) against Dr. MAS's
//! predicted factor (σ_k² + (μ_k − μ)²)/σ², both on log scales, with the line y = x.
//!
//! Filled dots: the ratio of the per-sample second moments Σ A²‖∇log π‖² (what the factor is
//! about). Rings: the ratio of the batch gradients' squared norms, which also hold the mean
//! gradient and fall below the line where an agent's global advantages are nearly constant.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_legend, text, Theme};
use crate::game_view::GameView;
use creditlab::metrics::{log_correlation, second_moment_log_correlation, TheoryPoint};

/// The chart's caption, with both correlations.
pub fn caption(points: &[TheoryPoint]) -> String {
    let r = |v: Option<f64>| v.map_or("–".to_string(), |r| format!("{r:.2}"));
    format!(
        "measured vs predicted (log–log) · r = {} second moments, {} batch gradients",
        r(second_moment_log_correlation(points)),
        r(log_correlation(points))
    )
}

/// Draws the scatter of `points` on `root`.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, points: &[TheoryPoint], game: &GameView, theme: &Theme) -> Result<String, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    // The axes span the 1st to 99th percentile of every value (and 0.5–2 at least): a ratio whose
    // agent-wise gradient is nearly 0 can be 10¹⁵ and would flatten the rest; such points sit on
    // the edge.
    let mut values: Vec<f32> =
        points.iter().flat_map(|p| [Some(p.predicted), Some(p.measured), p.second_moment]).flatten().filter(|v| *v > 0.0 && v.is_finite()).collect();
    values.sort_by(f32::total_cmp);
    let quantile = |q: f32| values.get(((values.len() - 1) as f32 * q).round() as usize).copied();
    let (lo, hi) = match (quantile(0.01), quantile(0.99)) {
        (Some(lo), Some(hi)) => (lo.min(0.5) / 1.5, hi.max(2.0) * 1.5),
        _ => (0.1, 10.0),
    };
    let clamp = |v: f32| v.clamp(lo, hi);
    let caption = caption(points);
    let mut chart = ChartBuilder::on(root)
        .caption(&caption, super::caption_font(root, &caption, theme, 13))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(52)
        .build_cartesian_2d((lo..hi).log_scale(), (lo..hi).log_scale())
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc("predicted (σ_k² + (μ_k − μ)²)/σ²")
        .y_desc("measured ratio")
        .x_label_formatter(&|v| crate::format::significant(Some(*v)))
        .y_label_formatter(&|v| crate::format::significant(Some(*v)))
        .label_style(text(theme, 11))
        .axis_style(theme.foreground)
        .max_light_lines(1)
        .bold_line_style(theme.grid)
        .draw()
        .map_err(chart_error)?;
    chart.draw_series(LineSeries::new([(lo, lo), (hi, hi)], theme.foreground.mix(0.6).stroke_width(1))).map_err(chart_error)?;
    let agents = points.iter().map(|p| p.agent + 1).max().unwrap_or(0);
    for k in 0..agents {
        let color = agent_color(k);
        let mine = points.iter().filter(|p| p.agent == k);
        chart
            .draw_series(mine.clone().map(|p| Circle::new((clamp(p.predicted), clamp(p.measured)), 3, color.mix(0.7).stroke_width(1))))
            .map_err(chart_error)?;
        chart
            .draw_series(mine.filter_map(|p| Some(Circle::new((clamp(p.predicted), clamp(p.second_moment?)), 2, color.mix(0.8).filled()))))
            .map_err(chart_error)?;
    }
    let legend: Vec<(String, RGBColor)> = (0..agents).map(|k| (game.agent(k), agent_color(k))).collect();
    draw_legend(&chart, &legend, SeriesLabelPosition::UpperLeft, theme)?;
    Ok(format!("{} points; {caption}", points.len()))
}
