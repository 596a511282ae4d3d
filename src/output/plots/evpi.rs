//! Expected value of perfect information against willingness to pay: per person, and for the population if given.

use super::axis::{extent, sane, Axis};
use super::colours::{INK, OI_BLACK, OI_BLUE, OI_VERMILLION};
use super::data::{lambda_order, runs, usable, Runs};
use super::frame::{chart, Frame};
use super::labels::{plural, Fmt};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{clean, fit, text, LEGEND_PX};
use crate::output::format::money_label;
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};
use std::path::PathBuf;

/// Expected value of perfect information against willingness to pay, per person and (if given) for the population;
/// `per` is what λ is per ("QALY", "bed day avoided").
pub fn evpi(
    base: impl Into<Dest>,
    title: &str,
    per: &str,
    lambda: &[f64],
    per_person: &[f64],
    population: Option<&[f64]>,
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &EvpiFigure::new(title, per, lambda, per_person, population),
    )
}

pub(super) struct EvpiFigure {
    title: String,
    outcome: String,
    per_person: Runs,
    population: Option<Runs>,
    x: Axis,
    y_person: Axis,
    y_population: Option<Axis>,
    bad: usize,
}

/// The highest point over all runs.
fn peak(runs: &[Vec<(f64, f64)>]) -> Option<(f64, f64)> {
    runs.iter().flatten().copied().fold(None, |best, p| match best {
        Some(b) if b.1 >= p.1 => Some(b),
        _ => Some(p),
    })
}

fn value_axis(runs: &[Vec<(f64, f64)>]) -> Axis {
    // EVPI is never negative; the axis starts at zero so the curve's height reads as value.
    let (lo, hi) = extent(runs.iter().flatten().map(|p| p.1).chain([0.0])).unwrap_or((0.0, 1.0));
    let (lo, hi) = sane(lo, hi);
    Axis::new(lo, hi + (hi - lo) * 0.1, 5, Fmt::Money)
}

impl EvpiFigure {
    pub(super) fn new(
        title: &str,
        outcome: &str,
        lambda: &[f64],
        per: &[f64],
        population: Option<&[f64]>,
    ) -> EvpiFigure {
        let order = lambda_order(lambda);
        let series = |v: &[f64]| {
            runs(
                order
                    .iter()
                    .map(|&j| (lambda[j], v.get(j).copied().unwrap_or(f64::NAN))),
            )
        };
        let count_bad = |v: &[f64]| order.iter().filter(|&&j| !v.get(j).is_some_and(|x| usable(*x))).count();
        let bad = lambda.len() - order.len() + count_bad(per) + population.map_or(0, count_bad);
        let per_person = series(per);
        let population = population.map(series);
        let (l0, l1) = extent(order.iter().map(|&j| lambda[j])).unwrap_or((0.0, 1.0));
        let x = Axis::new(l0, l1, 8, Fmt::Money);
        let y_person = value_axis(&per_person);
        let y_population = population.as_deref().map(value_axis);
        EvpiFigure {
            title: title.to_string(),
            outcome: clean(outcome),
            per_person,
            population,
            x,
            y_person,
            y_population,
            bad,
        }
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        runs: &[Vec<(f64, f64)>],
        y: &Axis,
        y_desc: &str,
        what: &str,
        colour: RGBColor,
    ) -> Result<(), String> {
        let unit = if self.outcome.is_empty() {
            "unit of outcome".to_string()
        } else {
            self.outcome.clone()
        };
        let (w, _) = area.dim_in_pixel();
        let (head, plot) = area.split_vertically(30);
        let line = match peak(runs) {
            Some((l, v)) => format!("{what}: highest {} at {} per {unit}", money_label(v), money_label(l)),
            None => format!("{what}: no finite values"),
        };
        text(
            &head,
            &fit(&line, LEGEND_PX, w as i32 - 20),
            LEGEND_PX,
            INK,
            (10, 4),
            (HPos::Left, VPos::Top),
        )?;
        let x_desc = format!("Willingness to pay (£ per {unit})");
        // Both panels get the same label width so their x axes line up.
        let mut c = chart(&plot, &self.x, y, &x_desc, y_desc, 110)?;
        for run in runs {
            c.draw_series(std::iter::once(PathElement::new(run.clone(), colour.stroke_width(3))))
                .map_err(err)?;
        }
        if let Some(p) = peak(runs) {
            c.draw_series([
                Circle::new(p, 7, colour.filled()),
                Circle::new(p, 7, OI_BLACK.stroke_width(2)),
            ])
            .map_err(err)?;
        }
        Ok(())
    }
}

impl Figure for EvpiFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut notes = vec![
            "EVPI: the most it would be worth paying to remove all uncertainty in the model's parameters.".to_string(),
        ];
        if self.bad > 0 {
            notes.push(format!("{} skipped.", plural(self.bad, "non-finite or missing value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &[],
            notes: &notes,
        };
        let body = frame.draw(root)?;
        match (&self.population, &self.y_population) {
            (Some(pop), Some(yp)) => {
                let h = body.dim_in_pixel().1;
                let (top, bottom) = body.split_vertically(h / 2);
                self.panel(
                    &top,
                    &self.per_person,
                    &self.y_person,
                    "EVPI (£ per person)",
                    "Per person",
                    OI_BLUE,
                )?;
                self.panel(
                    &bottom,
                    pop,
                    yp,
                    "Population EVPI (£)",
                    "Whole population",
                    OI_VERMILLION,
                )
            }
            _ => self.panel(
                &body,
                &self.per_person,
                &self.y_person,
                "EVPI (£ per person)",
                "Per person",
                OI_BLUE,
            ),
        }
    }
}
