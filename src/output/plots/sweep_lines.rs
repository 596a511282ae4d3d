//! Lines (with bands) of a measure swept against one varied parameter, with a reference line and labelled markers.

use super::axis::{extent, padded, sane, Axis};
use super::colours::{arm_colour, INK, MUTED, OI_BLACK};
use super::data::{self, lambda_order, runs, usable, Runs};
use super::frame::{chart, hline, message_box, vline, Chart, Frame};
use super::labels::{plain_number, plural, Fmt, ValueFormat};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{boxed_text, clean, fit, measure, or_unnamed, NOTE_PX};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, PathElement, Polygon};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};
use std::path::PathBuf;

/// One line against the varied parameter, optionally with a band (e.g. the 2.5th–97.5th percentiles).
pub struct Series<'a> {
    /// What the line is, e.g. the comparison ("Reablement vs usual care").
    pub label: String,
    /// Values of the varied parameter (any order; non-finite ones are skipped).
    pub x: &'a [f64],
    /// The measure at each `x`.
    pub y: &'a [f64],
    /// Lower and upper edges of a band around the line at each `x`.
    pub band: Option<(&'a [f64], &'a [f64])>,
}

/// Lines (with bands) of a measure against a varied parameter: one series per comparison. `reference` draws a
/// horizontal dashed line with a label (e.g. (1.0, "break-even: £1 back per £1")); `markers` draw labelled vertical
/// lines (e.g. a threshold crossing, or the base-case value). `note` is a one-line footnote (may be empty).
///
/// A reference or marker so far from the data that it would squash them is left off and named in a note. What a
/// band is (e.g. "2.5th–97.5th percentile") is for `note` to say; the legend points there.
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface
pub fn sweep_lines(
    base: impl Into<Dest>,
    title: &str,
    x_label: &str,
    y_label: &str,
    format: ValueFormat,
    series: &[Series],
    reference: Option<(f64, &str)>,
    markers: &[(f64, String)],
    note: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = SweepFigure::new(title, x_label, y_label, format, series, reference, markers, note);
    render(base, (WIDTH, HEIGHT), &fig)
}

/// Whether a reference at `r` can join data spanning `lo`–`hi` on one axis without squashing the data into less
/// than a quarter of it.
fn near(r: f64, (lo, hi): (f64, f64)) -> bool {
    let (lo, hi) = sane(lo, hi);
    (hi - lo) >= 0.25 * (hi.max(r) - lo.min(r))
}

struct SweepLine {
    label: String,
    colour: RGBColor,
    line: Runs,
    /// Closed polygons; a polygon of two points is a band at a single x.
    band: Runs,
}

pub(super) struct SweepFigure {
    title: String,
    x_label: String,
    y_label: String,
    lines: Vec<SweepLine>,
    /// Shown only when it fits on the chart (otherwise said in a note).
    pub(super) reference: Option<(f64, String)>,
    pub(super) markers: Vec<(f64, String)>,
    has_note: bool,
    pub(super) x: Axis,
    pub(super) y: Axis,
    notes: Vec<String>,
    empty: bool,
}

/// Height of one row of marker labels at the top of a sweep chart.
const MARKER_ROW: i32 = 26;

impl SweepLine {
    /// The `i`-th series as runs of usable points, with its band; the values it skips are added to `bad`.
    fn new(i: usize, s: &Series, bad: &mut usize) -> SweepLine {
        let at = |v: &[f64], j: usize| v.get(j).copied().unwrap_or(f64::NAN);
        let order = lambda_order(s.x);
        *bad += s.x.len() - order.len();
        *bad += order.iter().filter(|&&j| !usable(at(s.y, j))).count();
        let line = runs(order.iter().map(|&j| (s.x[j], at(s.y, j))));
        let band = match s.band {
            Some((lo, hi)) => {
                *bad += order
                    .iter()
                    .filter(|&&j| !(usable(at(lo, j)) && usable(at(hi, j))))
                    .count();
                data::band(s.x, lo, hi, &order)
            }
            None => Vec::new(),
        };
        SweepLine {
            label: or_unnamed(&s.label, "(unnamed series)"),
            colour: arm_colour(i),
            line,
            band,
        }
    }
}

/// The reference, if it is usable and near the data's `ys`; one that is not is named in `off`.
fn shown_reference(
    reference: Option<(f64, &str)>,
    ys: Option<(f64, f64)>,
    format: ValueFormat,
    off: &mut Vec<String>,
) -> Option<(f64, String)> {
    reference
        .filter(|(r, _)| usable(*r))
        .map(|(r, l)| (r, or_unnamed(l, "reference")))
        .filter(|(r, l)| {
            let shown = ys.is_none_or(|e| near(*r, e));
            if !shown {
                off.push(format!("{l} ({})", format.full(*r)));
            }
            shown
        })
}

/// The usable markers near the data's `xs`; those that are not are named in `off`.
fn shown_markers(markers: &[(f64, String)], xs: Option<(f64, f64)>, off: &mut Vec<String>) -> Vec<(f64, String)> {
    markers
        .iter()
        .filter(|(m, _)| usable(*m))
        .map(|(m, l)| (*m, clean(l)))
        .filter(|(m, l)| {
            let shown = xs.is_none_or(|e| near(*m, e));
            if !shown {
                off.push(format!(
                    "{} ({})",
                    if l.is_empty() { "marker" } else { l },
                    plain_number(*m)
                ));
            }
            shown
        })
        .collect()
}

/// Where a few values run far beyond the rest, the range that shows the rest: the 10th to 90th percentile of `ys`
/// widened by that span on each side (a straight line always fits in it); None when every value fits.
pub(super) fn robust_range(ys: &[f64]) -> Option<(f64, f64)> {
    if ys.len() < 10 {
        return None;
    }
    let mut v = ys.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let (q10, q90) = (at(0.1), at(0.9));
    let span = q90 - q10;
    let (lo, hi) = (q10 - span, q90 + span);
    (span > 0.0 && (v[0] < lo || v[v.len() - 1] > hi)).then_some((lo.max(v[0]), hi.min(v[v.len() - 1])))
}

/// The runs with the points outside `lo`–`hi` taken out, split where they were.
fn within(runs: &Runs, lo: f64, hi: f64) -> Runs {
    let mut out = Vec::new();
    for run in runs {
        let mut current = Vec::new();
        for &p in run {
            if (lo..=hi).contains(&p.1) {
                current.push(p);
            } else if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// The x axis over the data's `xs` and the markers; the y axis over the data's `ys` and the reference.
fn axes(
    xs: Option<(f64, f64)>,
    ys: Option<(f64, f64)>,
    markers: &[(f64, String)],
    reference: Option<&(f64, String)>,
    format: ValueFormat,
) -> (Axis, Axis) {
    let (x0, x1) = extent(
        xs.into_iter()
            .flat_map(|e| [e.0, e.1])
            .chain(markers.iter().map(|m| m.0)),
    )
    .unwrap_or((0.0, 1.0));
    let x = Axis::new(x0, x1, 8, Fmt::Number);
    let (y0, y1) = extent(ys.into_iter().flat_map(|e| [e.0, e.1]).chain(reference.map(|r| r.0))).unwrap_or((0.0, 1.0));
    let y = match format {
        ValueFormat::Probability => {
            let (lo, hi) = (y0.min(0.0), y1.max(1.0));
            let pad = 0.02 * (hi - lo);
            Axis::new(lo - pad, hi + pad, 5, Fmt::Probability)
        }
        _ => {
            let (lo, hi) = padded(y0, y1, 0.06);
            Axis::new(lo, hi, 7, format.fmt())
        }
    };
    (x, y)
}

impl SweepFigure {
    #[allow(clippy::too_many_arguments)] // mirrors `sweep_lines`
    pub(super) fn new(
        title: &str,
        x_label: &str,
        y_label: &str,
        format: ValueFormat,
        series: &[Series],
        reference: Option<(f64, &str)>,
        markers: &[(f64, String)],
        note: &str,
    ) -> SweepFigure {
        let mut bad = 0;
        let mut lines: Vec<SweepLine> = series
            .iter()
            .enumerate()
            .map(|(i, s)| SweepLine::new(i, s, &mut bad))
            .collect();
        // A line that shoots off near an asymptote (a ratio whose denominator nears zero) would flatten everything
        // else: its far values are left off the top (or bottom), and a note says how many and from where.
        let mut steep = None;
        if lines.iter().all(|l| l.band.is_empty()) {
            let ys: Vec<f64> = lines
                .iter()
                .flat_map(|l| l.line.iter().flatten().map(|p| p.1))
                .collect();
            if let Some((lo, hi)) = robust_range(&ys) {
                let cut = ys.iter().filter(|y| **y < lo || **y > hi).count();
                for l in &mut lines {
                    l.line = within(&l.line, lo, hi);
                }
                steep = Some((cut, lo, hi));
            }
        }
        let points = || lines.iter().flat_map(|l| l.line.iter().chain(&l.band)).flatten();
        let empty = points().next().is_none();
        let xs = extent(points().map(|p| p.0));
        let ys = extent(points().map(|p| p.1));
        let mut notes = Vec::new();
        let has_note = !clean(note).is_empty();
        if has_note {
            notes.push(note.to_string());
        }
        let mut off = Vec::new();
        let reference = shown_reference(reference, ys, format, &mut off);
        let markers = shown_markers(markers, xs, &mut off);
        if !off.is_empty() {
            notes.push(format!("Off the chart: {}.", off.join("; ")));
        }
        if let Some((cut, lo, hi)) = steep {
            notes.push(format!(
                "{} outside {} to {}, where the line rises or falls steeply, left off so that the rest can be read.",
                plural(cut, "value"),
                format.full(lo),
                format.full(hi)
            ));
        }
        if bad > 0 {
            notes.push(format!("{} skipped.", plural(bad, "non-finite or missing value")));
        }
        let (x, y) = axes(xs, ys, &markers, reference.as_ref(), format);
        SweepFigure {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            lines,
            reference,
            markers,
            has_note,
            x,
            y,
            notes,
            empty,
        }
    }

    /// A line per series, the shading of the bands, and the reference line.
    fn legend(&self) -> Vec<Entry> {
        let mut legend: Vec<Entry> = self
            .lines
            .iter()
            .map(|l| Entry {
                swatch: Swatch::Line(l.colour, 3),
                label: l.label.clone(),
            })
            .collect();
        let banded: Vec<&SweepLine> = self.lines.iter().filter(|l| !l.band.is_empty()).collect();
        if !banded.is_empty() {
            let (colour, what) = match banded.as_slice() {
                [one] if self.lines.len() == 1 => (one.colour.mix(0.25), "shaded: interval around the line"),
                _ => (MUTED.mix(0.25), "shaded: interval around each line, in its colour"),
            };
            let see = if self.has_note { " (see note)" } else { "" };
            legend.push(Entry {
                swatch: Swatch::Fill(colour),
                label: format!("{what}{see}"),
            });
        }
        if let Some((_, label)) = &self.reference {
            legend.push(Entry {
                swatch: Swatch::Dashed(OI_BLACK, 2),
                label: label.clone(),
            });
        }
        legend
    }

    /// Every series' band: shaded, or an error bar where the band is at a single x.
    fn draw_bands<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, c: &mut Chart<DB>) -> Result<(), String> {
        for l in &self.lines {
            for poly in &l.band {
                if poly.len() <= 2 {
                    // A band at a single x: an error bar with caps.
                    let (x, lo, hi) = (poly[0].0, poly[0].1, poly[poly.len() - 1].1);
                    let ((px, plo), (_, phi)) = (c.backend_coord(&(x, lo)), c.backend_coord(&(x, hi)));
                    let st = l.colour.mix(0.6).stroke_width(2);
                    for seg in [
                        [(px, plo), (px, phi)],
                        [(px - 7, plo), (px + 7, plo)],
                        [(px - 7, phi), (px + 7, phi)],
                    ] {
                        root.draw(&PathElement::new(seg.to_vec(), st)).map_err(err)?;
                    }
                } else {
                    c.draw_series(std::iter::once(Polygon::new(poly.clone(), l.colour.mix(0.18).filled())))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }

    /// Every series' line: a dot where a run is a single point.
    fn draw_lines<DB: DrawingBackend>(&self, c: &mut Chart<DB>) -> Result<(), String> {
        for l in &self.lines {
            for run in &l.line {
                if run.len() == 1 {
                    c.draw_series(std::iter::once(Circle::new(run[0], 5, l.colour.filled())))
                        .map_err(err)?;
                } else {
                    c.draw_series(std::iter::once(PathElement::new(run.clone(), l.colour.stroke_width(3))))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }

    /// The markers' `labels` (value, text, width), in `strip` rows above the plot and any more inside its top.
    fn draw_marker_labels<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Chart<DB>,
        labels: &[(f64, String, i32)],
        strip: i32,
    ) -> Result<(), String> {
        let (xr, yr) = c.plotting_area().get_pixel_range();
        // Each label beside the top of its line, joined to it; rows beyond the strip (rare: the estimate was
        // short) go inside the top of the plot.
        let px: Vec<i32> = labels.iter().map(|l| c.backend_coord(&(l.0, self.y.lo)).0).collect();
        let rows = marker_rows(
            &px.iter().zip(labels).map(|(p, l)| (*p, l.2)).collect::<Vec<_>>(),
            xr.end,
        );
        for ((row, right), (p, (_, s, _))) in rows.iter().zip(px.iter().zip(labels)) {
            let (y, v) = if *row < strip {
                (yr.start - 8 - row * MARKER_ROW, VPos::Bottom)
            } else {
                (yr.start + 6 + (row - strip) * MARKER_ROW, VPos::Top)
            };
            if *row < strip {
                let mid = y - measure(s, NOTE_PX).1 / 2;
                root.draw(&PathElement::new(
                    vec![(*p, yr.start), (*p, mid)],
                    MUTED.stroke_width(1),
                ))
                .map_err(err)?;
            }
            let (x, h) = if *right {
                (p + 8, HPos::Left)
            } else {
                (p - 8, HPos::Right)
            };
            boxed_text(root, s, NOTE_PX, INK, (x, y), (h, v))?;
        }
        Ok(())
    }
}

impl Figure for SweepFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = self.legend();
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &self.notes,
        };
        let body = frame.draw(root)?;
        if self.empty {
            return message_box(&body, "nothing to show: no finite values");
        }
        // Marker labels go in a strip above the plot, as many rows as they need (estimated before the chart is
        // laid out, from the body's width; the chart's y labels take about 100 pixels).
        let (bx, _) = body.get_pixel_range();
        let labels: Vec<(f64, String, i32)> = self
            .markers
            .iter()
            .filter(|m| !m.1.is_empty())
            .map(|(m, l)| {
                let s = fit(l, NOTE_PX, (bx.end - bx.start) / 2);
                let w = measure(&s, NOTE_PX).0 * 7 / 6 + 8;
                (*m, s, w)
            })
            .collect();
        let (ex0, ex1) = (bx.start + 100, bx.end - 30);
        let est = |m: f64| ex0 + ((m - self.x.lo) / (self.x.hi - self.x.lo) * f64::from(ex1 - ex0)) as i32;
        let est_rows = marker_rows(&labels.iter().map(|l| (est(l.0), l.2)).collect::<Vec<_>>(), ex1);
        let strip = est_rows.iter().map(|r| r.0 + 1).max().unwrap_or(0);
        let (_, plot) = body.split_vertically(strip * MARKER_ROW);
        let mut c = chart(&plot, &self.x, &self.y, &self.x_label, &self.y_label, 0)?;
        let (xr, _) = c.plotting_area().get_pixel_range();
        let plot_w = xr.end - xr.start;
        for m in &self.markers {
            vline(&mut c, &self.y, m.0, MUTED.stroke_width(2), true)?;
        }
        self.draw_bands(root, &mut c)?;
        if let Some((r, _)) = &self.reference {
            hline(&mut c, &self.x, *r, OI_BLACK.stroke_width(2), true)?;
        }
        self.draw_lines(&mut c)?;
        if let Some((r, label)) = &self.reference {
            let (_, py) = c.backend_coord(&(self.x.hi, *r));
            let s = fit(label, NOTE_PX, plot_w * 2 / 5);
            boxed_text(
                root,
                &s,
                NOTE_PX,
                INK,
                (xr.end - 8, py - 6),
                (HPos::Right, VPos::Bottom),
            )?;
        }
        self.draw_marker_labels(root, &c, &labels, strip)
    }
}

/// Rows for labels of vertical lines at pixel positions `px` (with label widths `w`), so that labels in a row do not
/// overlap: per label (row, whether it sits right of its line). A label sits right of its line unless it would pass
/// `right_edge`. Labels are taken left to right; the result is in the order given.
fn marker_rows(items: &[(i32, i32)], right_edge: i32) -> Vec<(i32, bool)> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| items[i].0);
    let mut placed: Vec<(i32, i32, i32)> = Vec::new();
    let mut out = vec![(0, true); items.len()];
    for i in order {
        let (px, w) = items[i];
        let right = px + 8 + w <= right_edge;
        let (a, b) = if right { (px, px + 8 + w) } else { (px - 8 - w, px) };
        let row = (0..)
            .find(|r| !placed.iter().any(|p| p.0 == *r && a < p.2 + 8 && b > p.1 - 8))
            .unwrap_or(0);
        placed.push((row, a, b));
        out[i] = (row, right);
    }
    out
}
