//! Per-agent histograms of the advantages in the last batch, one row per agent on a shared x
//! axis: under one global baseline the agents' spreads differ by their reward scales; agent-wise
//! normalisation gives every agent mean 0 and spread 1.

use plotters::coord::Shift;
use plotters::prelude::*;

use creditlab::import::Moments;

use super::{draw_placeholder, Theme};
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
    let max = per_agent.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3) * 1.05;
    let counts: Vec<Vec<u32>> = per_agent.iter().map(|values| histogram(values, max).to_vec()).collect();
    let moments: Vec<Moments> = per_agent.iter().map(|values| Moments::of(values.iter().copied())).collect();
    let names: Vec<String> = (0..per_agent.len()).map(|k| game.agent(k).to_string()).collect();
    let data = super::imported::Histograms { names: &names, counts: &counts, moments: &moments, range: [-max, max] };
    super::imported::histograms(root, caption, data, "advantage", theme).map(|_| ())
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
