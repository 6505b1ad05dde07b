//! The game's headline figure over updates (NashConv for Kuhn poker, accuracy for the pipeline,
//! expected team payoff for matrix games …) with its reference lines; mean over seeds with the
//! range as a band.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{band_polygon, chart_error, draw_legend, draw_placeholder, text, update_chart, update_range, Theme};
use crate::game_view::GameView;
use crate::history::EstimatorHistory;

/// Draws `column`'s headline figure on `root`.
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
    let headline = &game.headline;
    let caption = format!("{} over updates", headline.label);
    let Some(band) = column.figures.get(headline.figure) else {
        return draw_placeholder(root, &caption, "no updates yet", theme);
    };
    let also: Vec<(&crate::history::Band, &String)> =
        headline.also.iter().filter_map(|(figure, label)| column.figures.get(*figure).map(|b| (b, label))).collect();
    let values = band.lo.points().into_iter().chain(band.hi.points()).map(|p| p.1).chain(headline.references.iter().map(|r| r.0));
    let values = values.chain(also.iter().flat_map(|(b, _)| b.mean.points()).map(|p| p.1));
    let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.08).max(0.02);
    let mut chart = update_chart(root, &caption, (lo - pad)..(hi + pad), (updates, total), theme, &|v| format!("{v:.2}"))?;
    let x_end = update_range(total, updates).end;
    for &(value, label) in &headline.references {
        chart
            .draw_series(DashedLineSeries::new([(0.0, value), (x_end, value)], 6, 4, theme.foreground.mix(0.6).stroke_width(1)))
            .map_err(chart_error)?;
        chart
            .draw_series(std::iter::once(Text::new(label.to_string(), (x_end * 0.02, value), text(theme, 10))))
            .map_err(chart_error)?;
    }
    let color = RGBColor(0, 114, 178);
    if column.latest.len() > 1 {
        chart.draw_series(std::iter::once(Polygon::new(band_polygon(band, |y| y), color.mix(0.15)))).map_err(chart_error)?;
    }
    chart
        .draw_series(LineSeries::new(band.mean.points(), color.stroke_width(2)))
        .map_err(chart_error)?;
    let mut legend = vec![(headline.label.to_string(), color)];
    // Further figures (the pipeline's held-out avg@k and pass@k): their means, on the same scale.
    const ALSO: [RGBColor; 2] = [RGBColor(230, 159, 0), RGBColor(0, 158, 115)];
    for (i, (band, label)) in also.iter().enumerate() {
        let c = ALSO[i % ALSO.len()];
        chart.draw_series(LineSeries::new(band.mean.points(), c.stroke_width(2))).map_err(chart_error)?;
        legend.push(((*label).clone(), c));
    }
    draw_legend(&chart, &legend, SeriesLabelPosition::UpperRight, theme)?;
    root.present().map_err(chart_error)
}
