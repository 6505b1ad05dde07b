//! Charts: one file per chart, each one `draw` function generic over the plotters backend, so
//! the same chart renders on a canvas in the page and to SVG in tests and exports.

pub mod gradnorm;
pub mod reward;

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordu32;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::RGBColor;

/// Colours of a chart, light or dark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Background fill.
    pub background: RGBColor,
    /// Axis, label and caption colour.
    pub foreground: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
}

impl Theme {
    /// Light theme.
    pub const LIGHT: Theme = Theme {
        background: RGBColor(255, 255, 255),
        foreground: RGBColor(30, 30, 36),
        grid: RGBColor(226, 228, 234),
    };
    /// Dark theme.
    pub const DARK: Theme = Theme {
        background: RGBColor(24, 26, 32),
        foreground: RGBColor(222, 224, 230),
        grid: RGBColor(52, 56, 66),
    };
}

/// Agent colours (colour-blind-friendly Okabe–Ito order).
pub const AGENT_COLORS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

/// The colour of agent `k`.
pub fn agent_color(k: usize) -> RGBColor {
    AGENT_COLORS[k % AGENT_COLORS.len()]
}

/// Turns a plotters error into a message.
pub(crate) fn chart_error<E: std::error::Error + Send + Sync>(
    err: plotters::drawing::DrawingAreaErrorKind<E>,
) -> String {
    format!("chart drawing failed: {err}")
}

/// The font of a chart's texts, in the theme's colour.
pub(crate) fn text(theme: &Theme, size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&theme.foreground)
}

/// Draws the series legend at `position`, in the theme's colours.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(theme.background.mix(0.85))
        .border_style(theme.grid)
        .label_font(text(theme, 11))
        .draw()
        .map_err(chart_error)
}

/// Draws the axes and the grid: updates along x, `y_label` formatting the y ticks.
pub(crate) fn draw_axes<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordu32, Y>>,
    theme: &Theme,
    y_label: &dyn Fn(&Y::ValueType) -> String,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: Ranged + ValueFormatter<<Y as Ranged>::ValueType>,
{
    chart
        .configure_mesh()
        .x_desc("update")
        .y_label_formatter(y_label)
        .label_style(text(theme, 11))
        .axis_style(theme.foreground)
        // Light points capped at the bold ones: no extra grid strokes (0 makes plotters loop forever).
        .max_light_lines(1)
        .bold_line_style(theme.grid)
        .draw()
        .map_err(chart_error)
}
