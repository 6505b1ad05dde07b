//! Pre-clip gradient L2 norm per agent on a log scale, with the Dr. MAS prediction overlaid.
//!
//! Solid lines: each agent's gradient norm (geometric mean over seeds, band = range over
//! seeds), smoothed over [`SMOOTHING`] points. Dashed lines, on the right-hand axis:
//! √((σ_k² + (μ_k − μ)²)/σ²), the factor by which *one global baseline* would scale agent k's
//! gradient norm on this column's batches, relative to agent-wise normalisation. Every column
//! shows what a global baseline would do to its own batches; in a column that normalises per
//! agent (agent-wise, trajectory per agent, MARS) the factor actually applied is 1, drawn as a
//! grey line at 1 and said in the caption.
//!
//! A converged agent's norm falls by decades and jitters between updates; the axis spans at most
//! [`DECADES`] decades below the largest norm, and values below it sit on the axis's floor
//! (the smoothed line and the band, not each update's raw value, so a converged agent reads as a
//! flat line at the bottom rather than as spikes).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_axes, draw_legend, polygon_between, text, update_range, Theme};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;

/// Points averaged by the solid line.
pub const SMOOTHING: usize = 8;

/// Smallest value ever shown on the log axis.
const FLOOR: f32 = 1e-6;
/// Decades the norm axis spans at most below its largest value.
pub const DECADES: f32 = 4.0;

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
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return default.0..default.1;
    }
    let floor = (hi * 10f32.powf(-DECADES)).max(FLOOR);
    let lo = lo.max(floor);
    (lo / 1.5)..(hi * 1.5).max(lo * 2.0)
}

/// The chart's caption for a column of `estimator`.
pub fn caption(estimator: creditlab::advantage::Estimator) -> &'static str {
    if estimator.normalises_per_agent() {
        "‖g‖ (log) · dashed: global-baseline factor; applied: 1"
    } else {
        "Gradient norm (log) · dashed: global-baseline factor"
    }
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
    let smooth = |points: Vec<(f32, f32)>| moving_average(&points, SMOOTHING);
    let norms = log_range(
        column
            .agents
            .iter()
            .flat_map(|a| smooth(a.grad_norm.lo.points()).into_iter().chain(smooth(a.grad_norm.hi.points())))
            .map(|p| p.1),
        (0.01, 10.0),
    );
    let bottom = norms.start;
    let factors = log_range(
        column.agents.iter().flat_map(|a| a.predicted_factor.points()).map(|p| p.1).chain([1.0]),
        (0.5, 10.0),
    );
    let per_agent = column.estimator.normalises_per_agent();
    let mut chart = ChartBuilder::on(root)
        .caption(caption(column.estimator), super::caption_font(root, caption(column.estimator), theme, 13))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(48)
        .right_y_label_area_size(46)
        .build_cartesian_2d(update_range(total, updates), norms.log_scale())
        .map_err(chart_error)?
        .set_secondary_coord(update_range(total, updates), factors.log_scale());
    draw_axes(&mut chart, theme, &|v| format!("{v:.0e}"))?;
    chart
        .configure_secondary_axes()
        .y_desc("factor")
        .y_label_formatter(&|v| crate::format::significant(Some(*v)))
        .label_style(text(theme, 11))
        .axis_style(theme.foreground)
        .draw()
        .map_err(chart_error)?;
    let mut legend = Vec::with_capacity(column.agents.len());
    for (k, agent) in column.agents.iter().enumerate() {
        let color = agent_color(k);
        if column.latest.len() > 1 {
            // The range over seeds, smoothed like the lines.
            let (lo, hi) = (smooth(agent.grad_norm.lo.points()), smooth(agent.grad_norm.hi.points()));
            chart
                .draw_series(std::iter::once(Polygon::new(polygon_between(&lo, &hi, |y| y.max(bottom)), color.mix(0.12))))
                .map_err(chart_error)?;
        }
        chart
            .draw_series(LineSeries::new(
                smooth(agent.grad_norm.mean.points()).into_iter().map(|(u, v)| (u, v.max(bottom))),
                color.stroke_width(2),
            ))
            .map_err(chart_error)?;
        legend.push((format!("{} ‖g‖", game.agent(k)), color));
        chart
            .draw_secondary_series(DashedLineSeries::new(
                moving_average(&agent.predicted_factor.points(), SMOOTHING),
                5,
                4,
                color.mix(if per_agent { 0.5 } else { 1.0 }).stroke_width(1),
            ))
            .map_err(chart_error)?;
    }
    if per_agent {
        // The factor this estimator applies: its per-agent statistics remove the inflation.
        let range = update_range(total, updates);
        chart
            .draw_secondary_series(LineSeries::new([(range.start, 1.0), (range.end, 1.0)], theme.foreground.mix(0.6).stroke_width(1)))
            .map_err(chart_error)?;
    }
    draw_legend(&chart, &legend, SeriesLabelPosition::LowerLeft, theme)?;
    root.present().map_err(chart_error)
}
