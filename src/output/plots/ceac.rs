//! Cost-effectiveness acceptability curves, with the acceptability frontier drawn over them.

use super::axis::{extent, Axis};
use super::colours::{arm_colour, OI_BLACK};
use super::data::{lambda_order, runs, usable, Runs};
use super::frame::{chart, Frame};
use super::labels::{plural, Fmt};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::clean;
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement};
use plotters::style::{Color, RGBColor};
use std::path::PathBuf;

/// Cost-effectiveness acceptability curves with the acceptability frontier (`frontier[i]` is the arm at `lambda[i]`);
/// `per` is what λ is per ("QALY", "bed day avoided").
pub fn ceac(
    base: impl Into<Dest>,
    title: &str,
    per: &str,
    lambda: &[f64],
    arms: &[(String, &[f64])],
    frontier: &[usize],
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &CeacFigure::new(title, per, lambda, arms, frontier),
    )
}

pub(super) struct CeacFigure {
    title: String,
    outcome: String,
    /// Per arm: label, colour, runs of (λ, probability).
    curves: Vec<(String, RGBColor, Runs)>,
    /// Runs of the frontier where one arm stays optimal: (arm, points).
    pub(super) frontier: Vec<(usize, Vec<(f64, f64)>)>,
    x: Axis,
    y: Axis,
    bad: usize,
}

impl CeacFigure {
    pub(super) fn new(
        title: &str,
        outcome: &str,
        lambda: &[f64],
        arms: &[(String, &[f64])],
        frontier: &[usize],
    ) -> CeacFigure {
        let order = lambda_order(lambda);
        let mut bad = lambda.len() - order.len();
        let curves = arms
            .iter()
            .enumerate()
            .map(|(i, (label, p))| {
                let pts = order
                    .iter()
                    .map(|&j| (lambda[j], p.get(j).copied().unwrap_or(f64::NAN)));
                bad += order.iter().filter(|&&j| !p.get(j).is_some_and(|v| usable(*v))).count();
                (clean(label), arm_colour(i), runs(pts))
            })
            .collect();
        let mut segs: Vec<(usize, Vec<(f64, f64)>)> = Vec::new();
        for &j in &order {
            let arm = frontier.get(j).copied();
            let p = arm.and_then(|a| arms.get(a)).and_then(|(_, p)| p.get(j).copied());
            match (arm, p) {
                (Some(a), Some(p)) if usable(p) => match segs.last_mut() {
                    Some((last, pts)) if *last == a && !pts.is_empty() => pts.push((lambda[j], p)),
                    _ => segs.push((a, vec![(lambda[j], p)])),
                },
                // A gap in the frontier breaks the line.
                _ => segs.push((usize::MAX, Vec::new())),
            }
        }
        segs.retain(|(a, pts)| *a != usize::MAX && !pts.is_empty());
        let (l0, l1) = extent(order.iter().map(|&j| lambda[j])).unwrap_or((0.0, 1.0));
        let x = Axis::new(l0, l1, 8, Fmt::Money);
        // A little room above 100% and below 0% so curves on the limits stay visible.
        let y = Axis::new(-0.02, 1.02, 5, Fmt::Probability);
        CeacFigure {
            title: title.to_string(),
            outcome: clean(outcome),
            curves,
            frontier: segs,
            x,
            y,
            bad,
        }
    }
}

impl Figure for CeacFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let frontier_colour = OI_BLACK.mix(0.3);
        let mut legend: Vec<Entry> = self
            .curves
            .iter()
            .map(|(label, colour, _)| Entry {
                swatch: Swatch::Line(*colour, 3),
                label: if label.is_empty() {
                    "(unnamed arm)".into()
                } else {
                    label.clone()
                },
            })
            .collect();
        if !self.frontier.is_empty() {
            legend.push(Entry {
                swatch: Swatch::Thick(frontier_colour, 10),
                label: "acceptability frontier (arm with the highest expected net benefit)".into(),
            });
        }
        let mut notes = Vec::new();
        if self.bad > 0 {
            notes.push(format!("{} skipped.", plural(self.bad, "non-finite or missing value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &notes,
        };
        let body = frame.draw(root)?;
        let unit = if self.outcome.is_empty() {
            "unit of outcome".to_string()
        } else {
            self.outcome.clone()
        };
        let x_desc = format!("Willingness to pay (£ per {unit})");
        let mut c = chart(&body, &self.x, &self.y, &x_desc, "Probability most cost-effective", 0)?;
        for (_, colour, runs) in &self.curves {
            for run in runs {
                c.draw_series(std::iter::once(PathElement::new(run.clone(), colour.stroke_width(3))))
                    .map_err(err)?;
            }
        }
        // The frontier over the curves: a wide translucent band that leaves the curve beneath visible, with a
        // marker where a stretch is a single point (a line of one point would be invisible).
        for (_, pts) in &self.frontier {
            if pts.len() == 1 {
                c.draw_series(std::iter::once(Circle::new(pts[0], 7, frontier_colour.filled())))
                    .map_err(err)?;
            } else {
                c.draw_series(std::iter::once(PathElement::new(
                    pts.clone(),
                    frontier_colour.stroke_width(10),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    }
}
