//! Fan chart of cumulative net savings by year: median, 50% and 95% bands, and the break-even line.

use super::axis::{extent, padded, Axis};
use super::colours::{INK, OI_BLACK, OI_BLUE};
use super::data::{band, lambda_order, runs, usable, Runs};
use super::frame::{chart, hline, Frame};
use super::labels::{number_label, plural, Fmt};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{boxed_text, NOTE_PX};
use crate::output::format::{decimals_for, money_label};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement, Polygon};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::Color;
use std::path::PathBuf;

/// Fan chart of cumulative net savings by year: median, 50% and 95% bands, and the break-even line.
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface: one slice per percentile
pub fn fan_chart(
    base: impl Into<Dest>,
    title: &str,
    years: &[f64],
    p2_5: &[f64],
    p25: &[f64],
    p50: &[f64],
    p75: &[f64],
    p97_5: &[f64],
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &FanFigure::new(title, years, [p2_5, p25, p50, p75, p97_5]),
    )
}

/// A fan chart of cumulative totals by year (per person, or the population in cash for the budget impact), drawn from
/// year 0 at £0, with its axes' titles.
pub fn budget_fan_chart(
    base: impl Into<Dest>,
    title: &str,
    x_title: &str,
    y_title: &str,
    years: &[f64],
    p: [&[f64]; 5],
) -> Result<Vec<PathBuf>, PlotError> {
    // Every cumulative position starts from nothing: year 0 at £0 makes a one-year horizon a line, not a lone dot.
    let with_start = |values: &[f64]| -> Vec<f64> { std::iter::once(0.0).chain(values.iter().copied()).collect() };
    let starts_later = years.first().is_some_and(|y| *y > 0.0);
    let (years, p): (Vec<f64>, Vec<Vec<f64>>) = if starts_later {
        (with_start(years), p.iter().map(|s| with_start(s)).collect())
    } else {
        (years.to_vec(), p.iter().map(|s| s.to_vec()).collect())
    };
    let mut figure = FanFigure::new(title, &years, [&p[0], &p[1], &p[2], &p[3], &p[4]]);
    figure.x_title = x_title.to_string();
    figure.y_title = y_title.to_string();
    render(base, (WIDTH, HEIGHT), &figure)
}

pub(super) struct FanFigure {
    title: String,
    /// The axes' titles: the year, and what is cumulated.
    x_title: String,
    y_title: String,
    /// Polygons of the 95% and 50% bands (each may be split where values are missing).
    band95: Runs,
    band50: Runs,
    median: Runs,
    x: Axis,
    y: Axis,
    summary: String,
    bad: usize,
}

impl FanFigure {
    pub(super) fn new(title: &str, years: &[f64], p: [&[f64]; 5]) -> FanFigure {
        let order = lambda_order(years);
        let bad = years.len() - order.len()
            + p.iter()
                .map(|s| order.iter().filter(|&&j| !s.get(j).is_some_and(|v| usable(*v))).count())
                .sum::<usize>();
        let band95 = band(years, p[0], p[4], &order);
        let band50 = band(years, p[1], p[3], &order);
        let median = runs(
            order
                .iter()
                .map(|&j| (years[j], p[2].get(j).copied().unwrap_or(f64::NAN))),
        );
        let (x0, x1) = extent(order.iter().map(|&j| years[j])).unwrap_or((0.0, 1.0));
        let integer_years = order.iter().all(|&j| years[j].fract() == 0.0);
        let x = Axis::with_min_step(x0, x1, 10, Fmt::Number, if integer_years { 1.0 } else { 0.0 });
        let all_y = band95.iter().chain(&band50).chain(&median).flatten().map(|q| q.1);
        let (y0, y1) = extent(all_y.chain([0.0])).unwrap_or((0.0, 1.0));
        let (y0, y1) = padded(y0, y1, 0.06);
        let y = Axis::new(y0, y1, 7, Fmt::Money);
        // The last year's median and 95% interval, and when the median first reaches break-even.
        let mut summary = String::new();
        if let Some(&j) = order.iter().rev().find(|&&j| p[2].get(j).is_some_and(|v| usable(*v))) {
            let get = |s: &[f64]| s.get(j).copied().filter(|v| usable(*v));
            summary = format!(
                "By year {}: median {}",
                number_label(years[j], decimals_for(years[j]).min(2)),
                money_label(p[2][j])
            );
            if let (Some(a), Some(b)) = (get(p[0]), get(p[4])) {
                summary.push_str(&format!(" (95% interval {} to {})", money_label(a), money_label(b)));
            }
            // The first position that is not the start at £0 (year 0) says whether the programme starts in debt.
            let first = median.iter().flatten().find(|q| !(q.0 == 0.0 && q.1 == 0.0));
            let first_even = median
                .iter()
                .flatten()
                .find(|q| q.1 >= 0.0 && first.is_some_and(|f| q.0 > f.0));
            let starts_negative = first.is_some_and(|q| q.1 < 0.0);
            match first_even {
                Some(q) if starts_negative => summary.push_str(&format!(
                    "; median breaks even by year {}",
                    number_label(q.0, decimals_for(q.0).min(2))
                )),
                None if median.iter().flatten().all(|q| q.1 < 0.0) => summary.push_str("; median does not break even"),
                _ => {}
            }
            summary.push('.');
        }
        FanFigure {
            title: title.to_string(),
            x_title: "Year".to_string(),
            y_title: "Cumulative net savings (£ per person)".to_string(),
            band95,
            band50,
            median,
            x,
            y,
            summary,
            bad,
        }
    }
}

impl Figure for FanFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [
            Entry {
                swatch: Swatch::Line(OI_BLUE, 3),
                label: "median".into(),
            },
            Entry {
                swatch: Swatch::Fill(OI_BLUE.mix(0.40)),
                label: "50% of iterations (25th–75th percentile)".into(),
            },
            Entry {
                swatch: Swatch::Fill(OI_BLUE.mix(0.18)),
                label: "95% of iterations (2.5th–97.5th)".into(),
            },
            Entry {
                swatch: Swatch::Dashed(OI_BLACK, 2),
                label: "break-even".into(),
            },
        ];
        let mut notes = Vec::new();
        if self.bad > 0 {
            notes.push(format!("{} skipped.", plural(self.bad, "non-finite or missing value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: &self.summary,
            legend: &legend,
            notes: &notes,
        };
        let body = frame.draw(root)?;
        let mut c = chart(&body, &self.x, &self.y, &self.x_title, &self.y_title, 0)?;
        for poly in &self.band95 {
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.18).filled())))
                .map_err(err)?;
        }
        for poly in &self.band50 {
            // Drawn over the 95% band, so the two alphas add up to the 50% swatch's look.
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.27).filled())))
                .map_err(err)?;
        }
        hline(&mut c, &self.x, 0.0, OI_BLACK.stroke_width(2), true)?;
        for run in &self.median {
            if run.len() == 1 {
                c.draw_series(std::iter::once(Circle::new(run[0], 5, OI_BLUE.filled())))
                    .map_err(err)?;
            } else {
                c.draw_series(std::iter::once(PathElement::new(run.clone(), OI_BLUE.stroke_width(3))))
                    .map_err(err)?;
            }
        }
        let (px, py) = c.backend_coord(&(self.x.hi, 0.0));
        boxed_text(
            root,
            "break-even",
            NOTE_PX,
            INK,
            (px - 8, py - 6),
            (HPos::Right, VPos::Bottom),
        )?;
        Ok(())
    }
}
