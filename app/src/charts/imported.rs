//! The charts of an imported run ("Your run"): histograms per agent from counts (rewards, each
//! estimator's advantages) and per-step trends per agent (predicted inflation, logged gradient
//! norms).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_placeholder, text, titled, Theme};
use creditlab::import::Moments;

/// Histograms per agent, from counts.
#[derive(Debug, Clone, Copy)]
pub struct Histograms<'a> {
    /// The agents' names.
    pub names: &'a [String],
    /// Per agent, the counts of its bins.
    pub counts: &'a [Vec<u32>],
    /// Per agent, the moments of its values.
    pub moments: &'a [Moments],
    /// The bins' range [lo, hi].
    pub range: [f32; 2],
}

/// Draws one histogram row per agent; returns the summary.
pub fn histograms<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &str,
    Histograms { names, counts, moments, range }: Histograms<'_>,
    x_desc: &str,
    theme: &Theme,
) -> Result<String, String>
where
    DB::ErrorType: 'static,
{
    if counts.iter().all(|c| c.iter().all(|&n| n == 0)) {
        draw_placeholder(root, caption, "no samples", theme)?;
        return Ok(format!("{caption}: no samples"));
    }
    root.fill(&theme.background).map_err(chart_error)?;
    let body = titled(root, caption, theme)?;
    let rows = body.split_evenly((counts.len().max(1), 1));
    let last = rows.len().saturating_sub(1);
    let [lo, hi] = range;
    let mut summary = Vec::new();
    for (k, (area, bins)) in rows.iter().zip(counts).enumerate() {
        let top = bins.iter().copied().max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(area)
            .margin_left(8)
            .margin_right(12)
            .x_label_area_size(if k == last { 26 } else { 0 })
            .y_label_area_size(36)
            .build_cartesian_2d(lo..hi, 0u32..top + top / 5 + 1)
            .map_err(chart_error)?;
        let mut mesh = chart.configure_mesh();
        mesh.max_light_lines(1)
            .bold_line_style(theme.grid)
            .axis_style(theme.foreground)
            .label_style(text(theme, 10))
            .y_labels(2)
            .x_label_formatter(&|v| format!("{v:.2}"));
        if k == last {
            mesh.x_desc(x_desc);
        }
        mesh.draw().map_err(chart_error)?;
        let width = (hi - lo) / bins.len().max(1) as f32;
        let color = agent_color(k);
        chart
            .draw_series(bins.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| {
                let x0 = lo + i as f32 * width;
                Rectangle::new([(x0, 0), (x0 + width, c)], color.mix(0.75).filled())
            }))
            .map_err(chart_error)?;
        let name = names.get(k).map_or("?", String::as_str);
        let m = moments.get(k).copied().unwrap_or_default();
        let label = format!("{name}: mean {:.2}, std {:.2}, n {}", m.mean, m.std, m.count);
        area.draw(&Text::new(label.clone(), (44, 2), text(theme, 11))).map_err(chart_error)?;
        summary.push(label);
    }
    root.present().map_err(chart_error)?;
    Ok(format!("{caption}: {}", summary.join("; ")))
}

/// Draws one line per agent over the steps (`series[k][i]` at `steps[i]`, gaps where None) on
/// a log scale; returns the summary.
pub fn trends<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &str,
    names: &[String],
    steps: &[u32],
    series: &[Vec<Option<f32>>],
    theme: &Theme,
) -> Result<String, String>
where
    DB::ErrorType: 'static,
{
    let values: Vec<f32> = series.iter().flatten().flatten().copied().filter(|v| v.is_finite() && *v > 0.0).collect();
    if values.is_empty() || steps.is_empty() {
        draw_placeholder(root, caption, "nothing to show for this file", theme)?;
        return Ok(format!("{caption}: nothing to show"));
    }
    root.fill(&theme.background).map_err(chart_error)?;
    let body = titled(root, caption, theme)?;
    let lo = values.iter().copied().fold(f32::INFINITY, f32::min) * 0.8;
    let hi = values.iter().copied().fold(0.0f32, f32::max) * 1.25;
    // Steps are integers: the x axis counts them (one more at the end when there is one step).
    let first = steps[0];
    let last = steps[steps.len() - 1].max(first + 1);
    let mut chart = ChartBuilder::on(&body)
        .margin(8)
        .margin_top(18)
        .x_label_area_size(26)
        .y_label_area_size(44)
        .build_cartesian_2d(first..last, (lo..hi).log_scale())
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .bold_line_style(theme.grid)
        .axis_style(theme.foreground)
        .label_style(text(theme, 10))
        .x_labels(((last - first) as usize + 1).min(10))
        .x_desc("training step")
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(chart_error)?;
    let mut summary = Vec::new();
    let mut legend_x = 50;
    for (k, line) in series.iter().enumerate() {
        let color = agent_color(k);
        let points: Vec<(u32, f32)> =
            steps.iter().zip(line).filter_map(|(s, v)| v.filter(|v| v.is_finite() && *v > 0.0).map(|v| (*s, v))).collect();
        chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2))).map_err(chart_error)?;
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(chart_error)?;
        // The legend: each agent's name in its colour, above the plot.
        let name = names.get(k).map_or("?", String::as_str);
        body.draw(&Text::new(format!("● {name}"), (legend_x, 2), text(theme, 11).color(&color))).map_err(chart_error)?;
        legend_x += 16 + 7 * name.chars().count() as i32;
        if let Some((_, v)) = points.last() {
            summary.push(format!("{name} {v:.2} at the last step"));
        }
    }
    root.present().map_err(chart_error)?;
    Ok(format!("{caption}: {}", summary.join(", ")))
}
