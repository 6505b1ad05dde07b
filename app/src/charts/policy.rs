//! Policy paths: how each agent's action probabilities at its reference decision move over
//! updates.
//!
//! * 2-player, 2-action matrix games: one path in the unit square (x = P(player 0 plays A),
//!   y = P(player 1 plays A)) with the pure (■) and mixed (◆) Nash equilibria marked.
//! * 2-player matrix games with 3 actions: each player's path on its probability simplex, the
//!   actions of the pure equilibria marked at the vertices.
//! * Every other game: the probabilities over updates, one panel per agent (or, where a game
//!   has no reference decision, each agent's policy entropy).
//!
//! Paths of the first seed are drawn bold, other seeds faint.

use plotters::coord::types::RangedCoordf32;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::{agent_color, chart_error, draw_axes, text, titled, update_chart, update_range, Theme, AGENT_COLORS};
use crate::game_view::GameView;
use crate::history::{Bounded, EstimatorHistory};

/// Colours of the actions in the per-agent panels.
fn action_color(a: usize) -> RGBColor {
    const EXTRA: [RGBColor; 4] = [RGBColor(120, 120, 120), RGBColor(0, 0, 0), RGBColor(150, 90, 40), RGBColor(90, 60, 160)];
    if a < AGENT_COLORS.len() { AGENT_COLORS[a] } else { EXTRA[(a - AGENT_COLORS.len()) % EXTRA.len()] }
}

/// Draws `column`'s policy paths on `root`.
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
    let has_probs = column.agents.iter().any(|a| a.action_probs.iter().any(|s| !s.is_empty()));
    match &game.matrix {
        Some(m) if m.actions == [2, 2] && has_probs => square(root, column, game, m, theme)?,
        Some(m) if m.players() == 2 && m.actions.iter().all(|&n| n == 3) && has_probs => simplex(root, column, game, m, theme)?,
        _ if has_probs => lines(root, column, game, (updates, total), theme)?,
        _ => entropy(root, column, game, (updates, total), theme)?,
    }
    root.present().map_err(chart_error)
}

/// (x, y) points of seed `s`: agent `kx`'s probability of action `ax` against agent `ky`'s of `ay`.
fn pair(column: &EstimatorHistory, s: usize, (kx, ax): (usize, usize), (ky, ay): (usize, usize)) -> Vec<(f32, f32)> {
    let series = |k: usize, a: usize| column.agents.get(k).and_then(|g| g.action_probs.get(s)).and_then(|p| p.get(a)).map(Bounded::points);
    match (series(kx, ax), series(ky, ay)) {
        (Some(x), Some(y)) => x.iter().zip(&y).map(|(p, q)| (p.1, q.1)).collect(),
        _ => Vec::new(),
    }
}

/// One seed's path: bold for the first seed, faint for the others; a dot where it starts and a
/// ring where it is now.
fn draw_path<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf32, RangedCoordf32>>,
    path: Vec<(f32, f32)>,
    color: RGBColor,
    bold: bool,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (Some(&first), Some(&last)) = (path.first(), path.last()) else { return Ok(()) };
    let style = if bold { color.stroke_width(2) } else { color.mix(0.3).stroke_width(1) };
    chart.draw_series(LineSeries::new(path, style)).map_err(chart_error)?;
    chart.draw_series([Circle::new(first, 3, color.filled()), Circle::new(last, 5, color.stroke_width(2))]).map_err(chart_error)?;
    Ok(())
}

fn seeds(column: &EstimatorHistory) -> usize {
    column.agents.iter().map(|a| a.action_probs.len()).max().unwrap_or(0)
}

fn square<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    matrix: &creditlab::env::matrix::MatrixGame,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (w, h) = root.dim_in_pixel();
    let side = w.min(h) as i32;
    let area = root.margin(0, 0, (w as i32 - side).max(0) / 2, (w as i32 - side).max(0) / 2);
    let mut chart = ChartBuilder::on(&area)
        .caption("Policy path: P(A) of both players", super::caption_font(&area, "Policy path: P(A) of both players", theme, 14))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(36)
        .build_cartesian_2d(-0.02f32..1.02f32, -0.02f32..1.02f32)
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc(format!("{} P(A)", game.agent(0)))
        .y_desc(format!("{} P(A)", game.agent(1)))
        .max_light_lines(1)
        .bold_line_style(theme.grid)
        .axis_style(theme.foreground)
        .label_style(text(theme, 11))
        .draw()
        .map_err(chart_error)?;
    for joint in matrix.pure_equilibria() {
        let point = (if joint[0] == 0 { 1.0 } else { 0.0 }, if joint[1] == 0 { 1.0 } else { 0.0 });
        chart.draw_series(std::iter::once(Rectangle::new(
            [(point.0 - 0.02, point.1 - 0.02), (point.0 + 0.02, point.1 + 0.02)],
            theme.foreground.filled(),
        ))).map_err(chart_error)?;
    }
    if let Some([p, q]) = matrix.mixed_equilibrium_2x2() {
        let (p, q) = (p as f32, q as f32);
        chart.draw_series(std::iter::once(Polygon::new(
            vec![(p, q - 0.03), (p + 0.03, q), (p, q + 0.03), (p - 0.03, q)],
            theme.foreground.filled(),
        ))).map_err(chart_error)?;
    }
    for s in (0..seeds(column)).rev() {
        let path = pair(column, s, (0, 0), (1, 0));
        let color = agent_color(0);
        draw_path(&mut chart, path, color, s == 0)?;
    }
    Ok(())
}

/// The ternary projection: A at the bottom left, B at the bottom right, C at the top.
fn ternary(p: [f32; 3]) -> (f32, f32) {
    (p[1] + p[2] / 2.0, p[2] * 0.866_025_4)
}

fn simplex<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    matrix: &creditlab::env::matrix::MatrixGame,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let body = titled(root, "Policy paths on each player's simplex", theme)?;
    let equilibria = matrix.pure_equilibria();
    for (k, panel) in body.split_evenly((1, 2)).iter().enumerate() {
        let mut chart = ChartBuilder::on(panel)
            .margin(14)
            .build_cartesian_2d(-0.08f32..1.08f32, -0.08f32..0.95f32)
            .map_err(chart_error)?;
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.5, 0.866_025_4), (0.0, 0.0)];
        chart.draw_series(LineSeries::new(corners, theme.foreground.stroke_width(1))).map_err(chart_error)?;
        for (a, &(x, y)) in corners[..3].iter().enumerate() {
            let name = game.actions.get(k).and_then(|n| n.get(a)).cloned().unwrap_or_default();
            let nudge = if a == 2 { (0.0, 0.06) } else { (if a == 0 { -0.05 } else { 0.05 }, -0.05) };
            chart.draw_series(std::iter::once(Text::new(name, (x + nudge.0, y + nudge.1), text(theme, 12)))).map_err(chart_error)?;
        }
        for joint in &equilibria {
            let mut p = [0.0f32; 3];
            p[joint[k]] = 1.0;
            let (x, y) = ternary(p);
            chart.draw_series(std::iter::once(Rectangle::new([(x - 0.025, y - 0.025), (x + 0.025, y + 0.025)], theme.foreground.filled())))
                .map_err(chart_error)?;
        }
        let color = agent_color(k);
        for s in (0..seeds(column)).rev() {
            let Some(probs) = column.agents.get(k).and_then(|a| a.action_probs.get(s)) else { continue };
            if probs.len() < 3 {
                continue;
            }
            let series: Vec<Vec<(f32, f32)>> = probs.iter().take(3).map(Bounded::points).collect();
            let path: Vec<(f32, f32)> =
                (0..series[0].len()).map(|i| ternary([series[0][i].1, series[1][i].1, series[2][i].1])).collect();
            draw_path(&mut chart, path, color, s == 0)?;
        }
        panel.draw(&Text::new(game.agent(k), (4, 0), text(theme, 11).color(&color))).map_err(chart_error)?;
    }
    Ok(())
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    (updates, total): (u32, u32),
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let body = titled(root, &format!("Action probabilities at {}", game.reference), theme)?;
    let agents = column.agents.len().max(1);
    for (k, panel) in body.split_evenly((1, agents)).iter().enumerate() {
        let mut chart = ChartBuilder::on(panel)
            .caption(game.agent(k), text(theme, 11).color(&agent_color(k)))
            .margin(4)
            .x_label_area_size(24)
            .y_label_area_size(if k == 0 { 30 } else { 8 })
            .build_cartesian_2d(update_range(total, updates), 0f32..1.02f32)
            .map_err(chart_error)?;
        draw_axes(&mut chart, theme, &|v| if k == 0 { format!("{v:.1}") } else { String::new() })?;
        let Some(agent) = column.agents.get(k) else { continue };
        let mut legend = Vec::new();
        for s in (0..agent.action_probs.len()).rev() {
            for (a, series) in agent.action_probs[s].iter().enumerate() {
                let color = action_color(a);
                let style = if s == 0 { color.stroke_width(2) } else { color.mix(0.25).stroke_width(1) };
                chart.draw_series(LineSeries::new(series.points(), style)).map_err(chart_error)?;
                if s == 0 && agent.action_probs[s].len() <= 6 {
                    let name = game.actions.get(k).and_then(|n| n.get(a)).cloned().unwrap_or_else(|| format!("{a}"));
                    legend.push((name, color));
                }
            }
        }
        super::draw_legend(&chart, &legend, SeriesLabelPosition::UpperRight, theme)?;
    }
    Ok(())
}

fn entropy<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    column: &EstimatorHistory,
    game: &GameView,
    range: (u32, u32),
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let top = column.agents.iter().flat_map(|a| a.entropy.hi.points()).map(|p| p.1).fold(0.1f32, f32::max) * 1.1;
    let caption = "Policy entropy per agent (nats; no single reference decision)";
    let digits = super::decimals_for(top);
    let mut chart = update_chart(root, caption, 0.0..top, range, theme, &move |v| format!("{v:.digits$}"))?;
    let mut legend = Vec::with_capacity(column.agents.len());
    for (k, agent) in column.agents.iter().enumerate() {
        let color = agent_color(k);
        chart.draw_series(LineSeries::new(agent.entropy.mean.points(), color.stroke_width(2))).map_err(chart_error)?;
        legend.push((game.agent(k).to_string(), color));
    }
    super::draw_legend(&chart, &legend, SeriesLabelPosition::UpperRight, theme)?;
    Ok(())
}
