//! Per-agent histograms of the advantages in the last batch, one row per agent on a shared x
//! axis: under one global baseline the agents' spreads differ by their reward scales; agent-wise
//! normalisation gives every agent mean 0 and spread 1.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_placeholder, text, titled, Theme};
use crate::game_view::GameView;

/// Bins per histogram.
pub const BINS: usize = 24;

/// Per agent, the advantages of its samples.
pub fn by_agent(agents: usize, samples: &[creditlab::Sample], advantages: &[f32]) -> Vec<Vec<f32>> {
    let mut out = vec![Vec::new(); agents];
    for (s, &a) in samples.iter().zip(advantages) {
        if let Some(list) = out.get_mut(s.agent as usize) {
            if a.is_finite() {
                list.push(a);
            }
        }
    }
    out
}

/// Counts of `values` in `BINS` equal bins over `-max..max` (values outside go to the end bins).
pub fn histogram(values: &[f32], max: f32) -> [u32; BINS] {
    let mut counts = [0u32; BINS];
    for &v in values {
        let t = ((v + max) / (2.0 * max) * BINS as f32).floor();
        counts[(t.max(0.0) as usize).min(BINS - 1)] += 1;
    }
    counts
}

/// Draws the histograms of `per_agent` (advantages per agent) on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    per_agent: &[Vec<f32>],
    game: &GameView,
    caption: &str,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    if per_agent.iter().all(Vec::is_empty) {
        return draw_placeholder(root, caption, "no batch yet: start or step the run", theme);
    }
    root.fill(&theme.background).map_err(chart_error)?;
    let max = per_agent.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3) * 1.05;
    let body = titled(root, caption, theme)?;
    let rows = body.split_evenly((per_agent.len().max(1), 1));
    let last = rows.len().saturating_sub(1);
    for (k, (area, values)) in rows.iter().zip(per_agent).enumerate() {
        let counts = histogram(values, max);
        let top = counts.iter().copied().max().unwrap_or(0).max(1);
        let (mean, std) = creditlab::metrics::mean_std(values);
        let mut chart = ChartBuilder::on(area)
            .margin_left(8)
            .margin_right(12)
            .x_label_area_size(if k == last { 26 } else { 0 })
            .y_label_area_size(36)
            .build_cartesian_2d(-max..max, 0u32..top + top / 5 + 1)
            .map_err(chart_error)?;
        let mut mesh = chart.configure_mesh();
        mesh.max_light_lines(1)
            .bold_line_style(theme.grid)
            .axis_style(theme.foreground)
            .label_style(text(theme, 10))
            .y_labels(2)
            .x_label_formatter(&|v| format!("{v:.2}"));
        if k == last {
            mesh.x_desc("advantage");
        }
        mesh.draw().map_err(chart_error)?;
        let color = agent_color(k);
        let width = 2.0 * max / BINS as f32;
        chart
            .draw_series(counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| {
                let x0 = -max + i as f32 * width;
                Rectangle::new([(x0, 0), (x0 + width, c)], color.mix(0.75).filled())
            }))
            .map_err(chart_error)?;
        let label = format!("{}: mean {mean:.2}, std {std:.2}, n {}", game.agent(k), values.len());
        area.draw(&Text::new(label, (44, 2), text(theme, 11))).map_err(chart_error)?;
    }
    root.present().map_err(chart_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_every_value_once() {
        let values = [-1.0, -0.5, 0.0, 0.0, 0.49, 1.0, 7.0];
        let counts = histogram(&values, 1.0);
        assert_eq!(counts.iter().sum::<u32>(), values.len() as u32);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[BINS - 1], 2, "1.0 and the out-of-range 7.0 land in the last bin");
        assert_eq!(counts[BINS / 2], 2);
    }
}
