//! The credit map: where the advantage went, coloured on a symmetric diverging scale
//! (blue < 0 < red). The scale's end is the largest value the map draws (a cell's mean, or a
//! decision's advantage); the page gives every column the same scale ([`draw_scaled`] with the
//! largest [`scale_of`] over the columns), so that side by side the colours compare.
//!
//! * Turn-based games and the bandit: sampled episodes (rows) × decisions in turn order
//!   (columns), each cell's top strip in the acting agent's colour.
//! * The gridworld: per agent, the mean advantage of its decisions in each cell (the cell's
//!   ground), and of each move made from it (a bar on that side of the cell: north, south, west,
//!   east; stay and load in the middle). A step-level estimator such as GiGPO ranks the moves
//!   made from one state against each other — its credit averages out within a cell and shows
//!   in the bars — while an episode-level one gives every move of an episode the same value.
//! * Matrix games: per agent, the mean advantage it got for each joint action
//!   (rows: player 1's action; columns: the others' actions), with the count.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{agent_color, chart_error, draw_placeholder, text, titled, Theme};
use crate::game_view::GameView;

/// Episodes shown in the turn map.
pub const EPISODES: usize = 12;

/// What the credit map is drawn from: one batch's samples, their advantages and (gridworld)
/// cells.
#[derive(Debug, Clone, Copy)]
pub struct CreditData<'a> {
    /// The samples.
    pub samples: &'a [creditlab::Sample],
    /// One advantage per sample.
    pub advantages: &'a [f32],
    /// One cell per sample (gridworld), or empty.
    pub cells: &'a [[u8; 2]],
}

/// Draws the credit map of `data` on `root`, on its own colour scale.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: CreditData<'_>,
    game: &GameView,
    caption: &str,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    draw_scaled(root, data, game, caption, scale_of(data, game), theme)
}

/// The largest |value| the map of `data` draws: a cell's mean advantage (gridworld, matrix
/// games) or one decision's advantage (the turn map's episodes).
pub fn scale_of(data: CreditData<'_>, game: &GameView) -> f32 {
    let largest_mean = |sums: Vec<Vec<(f64, u32)>>| {
        sums.iter().flatten().filter(|(_, n)| *n > 0).fold(0.0f32, |m, (sum, n)| m.max((sum / f64::from(*n)).abs() as f32))
    };
    let max = if let (Some(size), false) = (game.grid, data.cells.is_empty()) {
        largest_mean(grid_sums(data, game.agents.len().max(1), size as usize).into_iter().map(|cells| cells.concat()).collect())
    } else if let Some(matrix) = &game.matrix {
        largest_mean(joint_sums(data, matrix))
    } else {
        turn_episodes(data).iter().flat_map(|e| &e.2).filter_map(|&i| data.advantages.get(i)).filter(|a| a.is_finite()).fold(0.0f32, |m, a| m.max(a.abs()))
    };
    max.max(1e-6)
}

/// Draws the credit map of `data` on `root` on the colour scale ±`max` (shared by the columns).
pub fn draw_scaled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: CreditData<'_>,
    game: &GameView,
    caption: &str,
    max: f32,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    if data.samples.is_empty() {
        return draw_placeholder(root, caption, "no batch yet: start or step the run", theme);
    }
    root.fill(&theme.background).map_err(chart_error)?;
    let max = if max.is_finite() && max > 0.0 { max } else { scale_of(data, game) };
    let rest = titled(root, caption, theme)?;
    let (_, h) = rest.dim_in_pixel();
    let (body, scale) = rest.split_vertically(h.saturating_sub(24));
    if let (Some(size), false) = (game.grid, data.cells.is_empty()) {
        draw_grid(&body, data, game, size as usize, max, theme)?;
    } else if let Some(matrix) = &game.matrix {
        draw_joint(&body, data, game, matrix, max, theme)?;
    } else {
        draw_turns(&body, data, game, max, theme)?;
    }
    draw_scale(&scale, max, theme)?;
    root.present().map_err(chart_error)
}

fn cell<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, from: (i32, i32), to: (i32, i32), color: RGBColor) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    area.draw(&Rectangle::new([from, to], color.filled())).map_err(chart_error)
}

fn centred(theme: &Theme, size: u32) -> TextStyle<'static> {
    text(theme, size).pos(Pos::new(HPos::Center, VPos::Center))
}

fn draw_turns<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: CreditData<'_>,
    game: &GameView,
    max: f32,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let episodes = turn_episodes(data);
    let turns = episodes.iter().map(|e| e.2.len()).max().unwrap_or(1).max(1);
    let (w, h) = area.dim_in_pixel();
    let (left, top) = (64i32, 16i32);
    let cw = ((w as i32 - left - 8) / turns as i32).max(2);
    let ch = ((h as i32 - top - 4) / episodes.len().max(1) as i32).clamp(4, 28);
    for t in 0..turns {
        if turns <= 24 || t % 4 == 0 {
            area.draw(&Text::new(format!("{t}"), (left + t as i32 * cw + cw / 2, top / 2), centred(theme, 10)))
                .map_err(chart_error)?;
        }
    }
    for (row, (group, episode, samples)) in episodes.iter().enumerate() {
        let y = top + row as i32 * ch;
        area.draw(&Text::new(format!("g{group} e{episode}"), (4, y + ch / 2 - 6), text(theme, 10))).map_err(chart_error)?;
        for (t, &i) in samples.iter().enumerate() {
            let x = left + t as i32 * cw;
            let a = data.advantages.get(i).copied().unwrap_or(0.0);
            cell(area, (x, y), (x + cw - 1, y + ch - 1), theme.diverging(a, max))?;
            let strip = (ch / 5).max(2);
            cell(area, (x, y), (x + cw - 1, y + strip), agent_color(data.samples[i].agent as usize))?;
        }
    }
    let legend: Vec<String> = (0..game.agents.len()).map(|k| game.agent(k)).collect();
    let mut x = left;
    let y = (top + episodes.len() as i32 * ch + 4).min(h as i32 - 12);
    for (k, name) in legend.iter().enumerate() {
        cell(area, (x, y + 2), (x + 10, y + 10), agent_color(k))?;
        area.draw(&Text::new(name.clone(), (x + 14, y), text(theme, 10))).map_err(chart_error)?;
        x += 20 + 6 * name.len() as i32;
    }
    Ok(())
}

/// The turn map's first [`EPISODES`] episodes in order of appearance: (group, episode, the
/// indices of its samples in turn order).
fn turn_episodes(data: CreditData<'_>) -> Vec<(u32, u32, Vec<usize>)> {
    let mut episodes: Vec<(u32, u32, Vec<usize>)> = Vec::new();
    for (i, s) in data.samples.iter().enumerate() {
        let same = episodes.last().is_some_and(|(g, e, _)| *g == s.group && *e == s.episode);
        if same {
            if let Some(last) = episodes.last_mut() {
                last.2.push(i);
            }
        } else if episodes.len() >= EPISODES {
            break;
        } else {
            episodes.push((s.group, s.episode, vec![i]));
        }
    }
    episodes
}

/// The foraging actions (stay, north, south, west, east, load) as the part of a cell they are
/// drawn in: 0 the middle, 1–4 the side moved towards.
const ACTION_PART: [usize; 6] = [0, 1, 2, 3, 4, 0];

/// Per agent and grid cell (row-major), the sum of the agent's advantages there and their count:
/// `[k][cell][0]` over every decision in the cell, `[k][cell][1 + part]` per part of
/// [`ACTION_PART`].
fn grid_sums(data: CreditData<'_>, agents: usize, size: usize) -> Vec<Vec<[(f64, u32); 6]>> {
    let mut sums = vec![vec![[(0.0f64, 0u32); 6]; size * size]; agents];
    for ((s, &a), c) in data.samples.iter().zip(data.advantages).zip(data.cells) {
        let (k, r, col) = (s.agent as usize, c[0] as usize, c[1] as usize);
        if k < agents && r < size && col < size && a.is_finite() {
            let cell = &mut sums[k][r * size + col];
            let mut add = |i: usize| {
                cell[i].0 += f64::from(a);
                cell[i].1 += 1;
            };
            add(0);
            if let Some(part) = s.action.and_then(|action| ACTION_PART.get(action as usize)) {
                add(1 + part);
            }
        }
    }
    sums
}

/// Per agent and joint action (player 1's action × the others' joint action, row-major): the
/// sum of the agent's advantages and their count.
fn joint_sums(data: CreditData<'_>, matrix: &creditlab::env::matrix::MatrixGame) -> Vec<Vec<(f64, u32)>> {
    let players = matrix.players();
    let mut joints: BTreeMap<(u32, u32), Vec<usize>> = BTreeMap::new();
    for s in data.samples {
        let joint = joints.entry((s.group, s.episode)).or_insert_with(|| vec![0; players]);
        if let (Some(slot), Some(a)) = (joint.get_mut(s.agent as usize), s.action) {
            *slot = a as usize;
        }
    }
    let rows = matrix.actions[0];
    let cols: usize = matrix.actions[1..].iter().product();
    let mut sums = vec![vec![(0.0f64, 0u32); rows * cols]; players];
    for (s, &a) in data.samples.iter().zip(data.advantages) {
        let Some(joint) = joints.get(&(s.group, s.episode)) else { continue };
        let col = joint[1..].iter().zip(&matrix.actions[1..]).fold(0, |i, (&a, &n)| i * n + a);
        if let (Some(agent), true) = (sums.get_mut(s.agent as usize), a.is_finite()) {
            if let Some(slot) = agent.get_mut(joint[0] * cols + col) {
                slot.0 += f64::from(a);
                slot.1 += 1;
            }
        }
    }
    sums
}

fn draw_grid<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: CreditData<'_>,
    game: &GameView,
    size: usize,
    max: f32,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let agents = game.agents.len().max(1);
    let sums = grid_sums(data, agents, size);
    let panels = area.split_evenly((1, agents));
    for (k, panel) in panels.iter().enumerate() {
        let (w, h) = panel.dim_in_pixel();
        let side = ((w as i32 - 16).min(h as i32 - 22) / size as i32).max(4);
        let x0 = (w as i32 - side * size as i32) / 2;
        panel.draw(&Text::new(game.agent(k), (x0, 2), text(theme, 11).color(&agent_color(k)))).map_err(chart_error)?;
        let mean = |(sum, n): (f64, u32)| (n > 0).then(|| (sum / f64::from(n)) as f32);
        for r in 0..size {
            for c in 0..size {
                let (x, y) = (x0 + c as i32 * side, 18 + r as i32 * side);
                let parts = &sums[k][r * size + c];
                let ground = mean(parts[0]).map_or(theme.grid, |m| theme.diverging(m, max));
                cell(panel, (x, y), (x + side - 2, y + side - 2), ground)?;
                // The moves out of the cell: a bar on the side moved to, stay/load in the middle.
                let third = (side - 2) / 3;
                if third >= 2 {
                    let at = |col: i32, row: i32| (x + col * third, y + row * third);
                    for (part, (col, row)) in [(1, 1), (1, 0), (1, 2), (0, 1), (2, 1)].into_iter().enumerate() {
                        if let Some(m) = mean(parts[1 + part]) {
                            let (from, to) = (at(col, row), at(col + 1, row + 1));
                            cell(panel, from, (to.0 - 1, to.1 - 1), theme.diverging(m, max))?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn draw_joint<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: CreditData<'_>,
    game: &GameView,
    matrix: &creditlab::env::matrix::MatrixGame,
    max: f32,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let players = matrix.players();
    let rows = matrix.actions[0];
    let cols: usize = matrix.actions[1..].iter().product();
    let sums = joint_sums(data, matrix);
    let name = |k: usize, a: usize| game.actions.get(k).and_then(|n| n.get(a)).cloned().unwrap_or_else(|| a.to_string());
    let col_name = |mut c: usize| {
        let mut parts = Vec::new();
        for k in (1..players).rev() {
            parts.push(name(k, c % matrix.actions[k]));
            c /= matrix.actions[k];
        }
        parts.reverse();
        parts.join("")
    };
    let panels = area.split_evenly((1, players));
    for (k, panel) in panels.iter().enumerate() {
        let (w, h) = panel.dim_in_pixel();
        let side = ((w as i32 - 30).min(h as i32 - 34) / rows.max(cols) as i32).max(8);
        let x0 = 22;
        let y0 = 30;
        panel.draw(&Text::new(format!("credit of {}", game.agent(k)), (4, 0), text(theme, 11).color(&agent_color(k))))
            .map_err(chart_error)?;
        for c in 0..cols {
            panel.draw(&Text::new(col_name(c), (x0 + c as i32 * side + side / 2, y0 - 8), centred(theme, 10)))
                .map_err(chart_error)?;
        }
        for r in 0..rows {
            panel.draw(&Text::new(name(0, r), (10, y0 + r as i32 * side + side / 2), centred(theme, 10))).map_err(chart_error)?;
            for c in 0..cols {
                let (x, y) = (x0 + c as i32 * side, y0 + r as i32 * side);
                let (sum, n) = sums[k][r * cols + c];
                let color = if n == 0 { theme.grid } else { theme.diverging((sum / f64::from(n)) as f32, max) };
                cell(panel, (x, y), (x + side - 2, y + side - 2), color)?;
                if n > 0 && side >= 26 {
                    let label = format!("{:.2}", sum / f64::from(n));
                    panel.draw(&Text::new(label, (x + side / 2, y + side / 2 - 5), centred(theme, 10))).map_err(chart_error)?;
                    panel.draw(&Text::new(format!("n={n}"), (x + side / 2, y + side / 2 + 7), centred(theme, 9)))
                        .map_err(chart_error)?;
                }
            }
        }
    }
    Ok(())
}

fn draw_scale<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, max: f32, theme: &Theme) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let (w, _) = area.dim_in_pixel();
    let (x0, width) = (70i32, (w as i32 - 140).max(40));
    let steps = 40;
    for i in 0..steps {
        let v = -max + 2.0 * max * (i as f32 + 0.5) / steps as f32;
        let x = x0 + width * i / steps;
        cell(area, (x, 6), (x0 + width * (i + 1) / steps, 16), theme.diverging(v, max))?;
    }
    area.draw(&Text::new(format!("{:.2}", -max), (x0 - 6, 11), text(theme, 10).pos(Pos::new(HPos::Right, VPos::Center))))
        .map_err(chart_error)?;
    area.draw(&Text::new(format!("+{max:.2}"), (x0 + width + 6, 11), text(theme, 10).pos(Pos::new(HPos::Left, VPos::Center))))
        .map_err(chart_error)?;
    area.draw(&Text::new("0", (x0 + width / 2, 11), centred(theme, 9))).map_err(chart_error)?;
    Ok(())
}
