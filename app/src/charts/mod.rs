//! Charts: one file per chart, each one `draw` function generic over the plotters backend, so
//! the same chart renders on a canvas in the page and to SVG in tests and exports.

pub mod advantages;
pub mod credit;
pub mod figure;
pub mod gradnorm;
pub mod imported;
pub mod policy;
pub mod reward;
pub mod theory;
pub mod tokens;

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf32;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

use crate::history::Band;

/// Colours of a chart, light or dark.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    /// Background fill.
    pub background: RGBColor,
    /// Axis, label and caption colour.
    pub foreground: RGBColor,
    /// Grid lines.
    pub grid: RGBColor,
    /// Negative advantages in heatmaps.
    pub negative: RGBColor,
    /// Positive advantages in heatmaps.
    pub positive: RGBColor,
}

impl Theme {
    /// Light theme.
    pub const LIGHT: Theme = Theme {
        background: RGBColor(255, 255, 255),
        foreground: RGBColor(30, 30, 36),
        grid: RGBColor(226, 228, 234),
        negative: RGBColor(33, 102, 172),
        positive: RGBColor(178, 24, 43),
    };
    /// Dark theme.
    pub const DARK: Theme = Theme {
        background: RGBColor(24, 26, 32),
        foreground: RGBColor(222, 224, 230),
        grid: RGBColor(52, 56, 66),
        negative: RGBColor(103, 169, 207),
        positive: RGBColor(239, 138, 98),
    };

    /// The heatmap colour of `value` on a symmetric scale of ±`max`.
    pub fn diverging(&self, value: f32, max: f32) -> RGBColor {
        let t = if max > 0.0 { (value / max).clamp(-1.0, 1.0) } else { 0.0 };
        let end = if t < 0.0 { self.negative } else { self.positive };
        let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t.abs()).round() as u8;
        RGBColor(mix(self.background.0, end.0), mix(self.background.1, end.1), mix(self.background.2, end.2))
    }
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

/// Decimals that tell apart the ~6 labels of an axis spanning `span` (no "0.1, 0.1, 0.1").
pub fn decimals_for(span: f32) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 1;
    }
    let step = span / 5.0;
    (-step.log10().floor()).clamp(0.0, 6.0) as usize
}

/// The charts' font family.
pub const FONT_FAMILY: &str = "sans-serif";
/// Every size (px) the charts' texts use; the page resolves each at start-up
/// (`chart_canvas::warm_chart_fonts`), so a new size must be added here.
pub const TEXT_SIZES: [u32; 6] = [9, 10, 11, 12, 13, 14];

/// The font of a chart's texts, in the theme's colour.
pub(crate) fn text(theme: &Theme, size: u32) -> TextStyle<'static> {
    debug_assert!(TEXT_SIZES.contains(&size), "chart text at {size} px: add it to TEXT_SIZES");
    (FONT_FAMILY, size).into_font().color(&theme.foreground)
}

/// The font of a chart's caption: `largest` px, or smaller (down to 10 px) until `caption` fits
/// `root`'s width — a chart in a narrow column keeps its whole title instead of losing both ends.
pub(crate) fn caption_font<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    theme: &Theme,
    largest: u32,
) -> TextStyle<'static> {
    let (width, _) = root.dim_in_pixel();
    (10..=largest)
        .rev()
        .map(|size| text(theme, size))
        .find(|style| root.estimate_text_size(caption, style).map_or(true, |(w, _)| w + 16 <= width))
        .unwrap_or_else(|| text(theme, 10))
}

/// One legend entry: a series' label and its line colour.
pub(crate) type LegendEntry = (String, RGBColor);

/// Draws a legend in a corner (`position`) of the chart's plotting area: a short line in each
/// entry's colour and its label, on the theme's background.
///
/// Not plotters' series labels: those measure every label by adding a `<span>` to the document
/// and reading its size, which on the page forces a layout of the whole page per label. This
/// measures through the backend: on the page, the canvas's own `measureText` (`PageCanvas`).
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &ChartContext<'a, DB, CT>,
    entries: &[LegendEntry],
    position: SeriesLabelPosition,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    const LINE: i32 = 14;
    const GAP: i32 = 5;
    const PAD: i32 = 5;
    const MARGIN: i32 = 6;
    if entries.is_empty() {
        return Ok(());
    }
    let area = chart.plotting_area().strip_coord_spec();
    let (width, height) = area.dim_in_pixel();
    let style = text(theme, 11);
    let sizes = entries.iter().map(|(label, _)| area.estimate_text_size(label, &style)).collect::<Result<Vec<_>, _>>().map_err(chart_error)?;
    let row = sizes.iter().map(|s| s.1 as i32).max().unwrap_or(0).max(12) + 2;
    let text_width = sizes.iter().map(|s| s.0 as i32).max().unwrap_or(0);
    let (w, h) = (2 * PAD + LINE + GAP + text_width, 2 * PAD + row * entries.len() as i32);
    let (right, bottom) = (width as i32 - w - MARGIN, height as i32 - h - MARGIN);
    let (x, y) = match position {
        SeriesLabelPosition::UpperLeft => (MARGIN, MARGIN),
        SeriesLabelPosition::LowerLeft => (MARGIN, bottom),
        SeriesLabelPosition::LowerRight => (right, bottom),
        _ => (right, MARGIN),
    };
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], theme.background.mix(0.85).filled())).map_err(chart_error)?;
    area.draw(&Rectangle::new([(x, y), (x + w, y + h)], theme.grid)).map_err(chart_error)?;
    let label_style = style.pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (label, color)) in entries.iter().enumerate() {
        let mid = y + PAD + row * i as i32 + row / 2;
        area.draw(&PathElement::new(vec![(x + PAD, mid), (x + PAD + LINE, mid)], color.stroke_width(2))).map_err(chart_error)?;
        area.draw(&Text::new(label.as_str(), (x + PAD + LINE + GAP, mid), label_style.clone())).map_err(chart_error)?;
    }
    Ok(())
}

/// Draws the axes and the grid: updates along x, `y_label` formatting the y ticks.
pub(crate) fn draw_axes<'a, DB, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf32, Y>>,
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
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(y_label)
        .y_labels(6)
        .x_labels(6)
        .label_style(text(theme, 11))
        .axis_style(theme.foreground)
        // Light points capped at the bold ones: no extra grid strokes (0 makes plotters loop forever).
        .max_light_lines(1)
        .bold_line_style(theme.grid)
        .draw()
        .map_err(chart_error)
}

/// The x range of an update axis: 0 … the run's length.
pub(crate) fn update_range(total: u32, updates: u32) -> std::ops::Range<f32> {
    0.0..total.max(updates).max(1) as f32
}

/// The band's area (lo … hi) as a closed polygon, for a shaded range over seeds.
pub(crate) fn band_polygon(band: &Band, map: impl Fn(f32) -> f32) -> Vec<(f32, f32)> {
    polygon_between(&band.lo.points(), &band.hi.points(), map)
}

/// The area between the `lo` and `hi` lines as a closed polygon.
pub(crate) fn polygon_between(lo: &[(f32, f32)], hi: &[(f32, f32)], map: impl Fn(f32) -> f32) -> Vec<(f32, f32)> {
    let mut polygon: Vec<(f32, f32)> = lo.iter().map(|&(x, y)| (x, map(y))).collect();
    polygon.extend(hi.iter().rev().map(|&(x, y)| (x, map(y))));
    polygon
}

/// The plot of a value over updates: the background filled, a caption, the x axis of the run's
/// updates against a linear `y` axis, axes and grid drawn.
#[allow(clippy::type_complexity)]
pub(crate) fn update_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    y: std::ops::Range<f32>,
    (updates, total): (u32, u32),
    theme: &Theme,
    y_label: &dyn Fn(&f32) -> String,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf32, RangedCoordf32>>, String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let mut chart = ChartBuilder::on(root)
        .caption(caption, caption_font(root, caption, theme, 14))
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(40)
        .build_cartesian_2d(update_range(total, updates), y)
        .map_err(chart_error)?;
    draw_axes(&mut chart, theme, y_label)?;
    Ok(chart)
}

/// Draws `caption` in a strip at the top of `root` and returns the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    theme: &Theme,
) -> Result<DrawingArea<DB, plotters::coord::Shift>, String>
where
    DB::ErrorType: 'static,
{
    let (title, body) = root.split_vertically(22);
    title.draw(&Text::new(caption.to_string(), (8, 4), caption_font(root, caption, theme, 14))).map_err(chart_error)?;
    Ok(body)
}

/// A message in the middle of an empty chart.
pub(crate) fn draw_placeholder<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    message: &str,
    theme: &Theme,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&theme.background).map_err(chart_error)?;
    let (w, h) = root.dim_in_pixel();
    root.draw(&Text::new(title.to_string(), (10, 8), caption_font(root, title, theme, 14))).map_err(chart_error)?;
    let style = text(theme, 13).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    root.draw(&Text::new(message.to_string(), (w as i32 / 2, h as i32 / 2), style)).map_err(chart_error)?;
    root.present().map_err(chart_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_scale_is_symmetric_and_clamped() {
        let t = Theme::LIGHT;
        assert_eq!(t.diverging(0.0, 1.0), t.background);
        assert_eq!(t.diverging(1.0, 1.0), t.positive);
        assert_eq!(t.diverging(-5.0, 1.0), t.negative);
        assert_eq!(t.diverging(3.0, 0.0), t.background);
    }

    #[test]
    fn axis_labels_are_told_apart_on_any_span() {
        for top in [0.11f32, 1.5, 2.2, 40.0, 0.003] {
            let digits = decimals_for(top);
            let labels: Vec<String> = (0..=5).map(|i| format!("{:.digits$}", top * i as f32 / 5.0)).collect();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "span {top}: {labels:?}");
        }
    }
}
