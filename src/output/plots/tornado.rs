//! Tornado diagram: for one parameter at a time, bars from the base case to the measure at its low and high
//! values, largest swing first.

use super::axis::{extent, padded, Axis};
use super::colours::{AXIS, GRID, INK, MUTED, OI_BLACK, OI_BLUE, OI_VERMILLION};
use super::data::usable;
use super::frame::{message_box, Frame};
use super::labels::{count_label, plain_number, plural, ValueFormat};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{boxed_text, clean, fit, measure, or_unnamed, text, LABEL_PX, NOTE_PX, TICK_PX};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};
use std::ops::Range;
use std::path::PathBuf;

/// One bar of a tornado diagram.
pub struct TornadoBar {
    /// The parameter, e.g. "home_care_weekly".
    pub label: String,
    /// The parameter's low and high values.
    pub low_value: f64,
    pub high_value: f64,
    /// The measure with the parameter at its low and at its high value.
    pub at_low: f64,
    pub at_high: f64,
}

/// A tornado diagram: horizontal bars from the base value to the measure at each parameter's low and at its high
/// value (two colours, in a legend), in the order given (largest swing first, at the top), a vertical line at
/// `base_value` labelled ("base case £2,518"), and each bar's label with its low–high values
/// ("home_care_weekly (68.9 to 128)"). At most 15 bars are drawn; a note says how many more are in tornado.csv.
pub fn tornado(
    base: impl Into<Dest>,
    title: &str,
    measure_label: &str,
    format: ValueFormat,
    base_value: f64,
    bars: &[TornadoBar],
    note: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = TornadoFigure::new(title, measure_label, format, base_value, bars, note);
    render(base, (WIDTH, HEIGHT), &fig)
}

/// Most bars drawn; the rest are named in a note.
pub(super) const MAX_BARS: usize = 15;
const LOW_COLOUR: RGBColor = OI_BLUE;
const HIGH_COLOUR: RGBColor = OI_VERMILLION;

pub(super) struct TornadoRow {
    name: String,
    /// The parameter's low and high values, "(68.9 to 128)".
    range: String,
    at_low: f64,
    at_high: f64,
}

pub(super) struct TornadoFigure {
    title: String,
    measure_label: String,
    format: ValueFormat,
    base: Option<f64>,
    pub(super) rows: Vec<TornadoRow>,
    /// Extent of everything drawn (base and bar ends).
    span: (f64, f64),
    notes: Vec<String>,
}

impl TornadoFigure {
    pub(super) fn new(
        title: &str,
        measure_label: &str,
        format: ValueFormat,
        base_value: f64,
        bars: &[TornadoBar],
        note: &str,
    ) -> TornadoFigure {
        let base = Some(base_value).filter(|b| usable(*b));
        let rows: Vec<TornadoRow> = bars
            .iter()
            .take(MAX_BARS)
            .map(|b| TornadoRow {
                name: or_unnamed(&b.label, "(unnamed parameter)"),
                range: format!("({} to {})", plain_number(b.low_value), plain_number(b.high_value)),
                at_low: b.at_low,
                at_high: b.at_high,
            })
            .collect();
        let bad = rows
            .iter()
            .flat_map(|r| [r.at_low, r.at_high])
            .filter(|v| !usable(*v))
            .count();
        let span = extent(rows.iter().flat_map(|r| [r.at_low, r.at_high]).chain(base)).unwrap_or((0.0, 1.0));
        let mut notes = Vec::new();
        if !clean(note).is_empty() {
            notes.push(note.to_string());
        }
        if bars.len() > MAX_BARS {
            notes.push(format!("… {} more in tornado.csv", count_label(bars.len() - MAX_BARS)));
        }
        if bad > 0 {
            notes.push(format!("{} skipped.", plural(bad, "non-finite value")));
        }
        if base.is_none() && !rows.is_empty() {
            notes.push("The base case is not a finite number: bars are drawn from their midpoints.".to_string());
        }
        TornadoFigure {
            title: title.to_string(),
            measure_label: measure_label.to_string(),
            format,
            base,
            rows,
            span,
            notes,
        }
    }
}

// Room below the bars for the axis, above them for the base case's label, and right of them.
const X_AREA: i32 = 66;
const TOP: i32 = 34;
const RIGHT: i32 = 30;

/// Where the bars go: the value axis `x` from `x0` to `x1` pixels, rows from `y0` down to `y1`.
struct Plot {
    x: Axis,
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
}

impl Plot {
    /// The pixel column of `v`.
    fn px(&self, v: f64) -> i32 {
        let x = &self.x;
        self.x0 + ((v - x.lo) / (x.hi - x.lo) * f64::from(self.x1 - self.x0)).round() as i32
    }
}

impl TornadoFigure {
    /// The plot in a body spanning `bx` and `by`, right of labels `widest` pixels wide (at most `max_label`).
    fn plot(&self, bx: &Range<i32>, by: &Range<i32>, widest: i32, max_label: i32) -> Plot {
        let (x0, x1) = (bx.start + widest.min(max_label) + 18, bx.end - RIGHT);
        let (y0, y1) = (by.start + TOP, by.end - X_AREA);
        // Room at both ends for the values written beyond the bars.
        let end_w = self
            .rows
            .iter()
            .flat_map(|r| [r.at_low, r.at_high])
            .filter(|v| usable(*v))
            .map(|v| measure(&self.format.label(v), NOTE_PX).0 * 7 / 6 + 12)
            .max()
            .unwrap_or(0);
        let plot_w = x1 - x0;
        let frac = f64::from(end_w) / f64::from((plot_w - 2 * end_w).max(50));
        let (lo, hi) = padded(self.span.0, self.span.1, frac.clamp(0.03, 1.0));
        let x = Axis::new(lo, hi, 8, self.format.fmt()).fit(plot_w, 60, |s| measure(s, TICK_PX).0);
        Plot { x, x0, x1, y0, y1 }
    }

    /// The grid, the axis with its ticks, and the measure's description centred under the plot (`right` is the
    /// body's right edge).
    fn draw_axis<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        plot: &Plot,
        right: i32,
    ) -> Result<(), String> {
        let (x, x0, x1, y0, y1) = (&plot.x, plot.x0, plot.x1, plot.y0, plot.y1);
        // Grid and axes as in the other charts.
        for t in &x.ticks {
            let p = plot.px(*t);
            root.draw(&PathElement::new(vec![(p, y0), (p, y1)], GRID.stroke_width(1)))
                .map_err(err)?;
            root.draw(&PathElement::new(vec![(p, y1), (p, y1 + 5)], AXIS.stroke_width(1)))
                .map_err(err)?;
            text(
                root,
                &x.label(*t),
                TICK_PX,
                INK,
                (p, y1 + 10),
                (HPos::Center, VPos::Top),
            )?;
        }
        root.draw(&PathElement::new(
            vec![(x0, y0), (x0, y1), (x1, y1)],
            AXIS.stroke_width(1),
        ))
        .map_err(err)?;
        let desc = fit(&self.measure_label, LABEL_PX, 2 * (right - (x0 + x1) / 2) - 20);
        text(
            root,
            &desc,
            LABEL_PX,
            INK,
            ((x0 + x1) / 2, y1 + 36),
            (HPos::Center, VPos::Top),
        )
    }

    /// One row centred on `cy`: its label, its bars `thick` pixels high and the values beyond their ends.
    fn draw_row<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        plot: &Plot,
        (row, label): (&TornadoRow, &str),
        cy: i32,
        thick: i32,
    ) -> Result<(), String> {
        let px = |v: f64| plot.px(v);
        text(
            root,
            label,
            TICK_PX,
            INK,
            (plot.x0 - 10, cy),
            (HPos::Right, VPos::Center),
        )?;
        let ends: Vec<(f64, RGBColor)> = [(row.at_low, LOW_COLOUR), (row.at_high, HIGH_COLOUR)]
            .into_iter()
            .filter(|e| usable(e.0))
            .collect();
        let from = self
            .base
            .unwrap_or_else(|| ends.iter().map(|e| e.0).sum::<f64>() / ends.len().max(1) as f64);
        let mut order = ends.clone();
        order.sort_by(|a, b| (b.0 - from).abs().total_cmp(&(a.0 - from).abs()));
        let (top, bottom) = (cy - thick / 2, cy - thick / 2 + thick);
        for (v, colour) in &order {
            let (a, b) = (px(from).min(px(*v)), px(from).max(px(*v)));
            // No swing still shows as a sliver, so the row does not look forgotten.
            let (a, b) = if b - a < 2 { (a - 1, a + 1) } else { (a, b) };
            root.draw(&Rectangle::new([(a, top), (b, bottom)], colour.filled()))
                .map_err(err)?;
        }
        if !ends.is_empty() && ends.iter().all(|e| (px(e.0) - px(from)).abs() < 2) {
            text(
                root,
                "no change",
                NOTE_PX,
                MUTED,
                (px(from) + 8, cy),
                (HPos::Left, VPos::Center),
            )?;
        }
        // Values beyond the outer end on each side of the base.
        for side in [-1.0, 1.0] {
            let outer = ends
                .iter()
                .filter(|e| (e.0 - from) * side > 0.0)
                .max_by(|a, b| ((a.0 - from) * side).total_cmp(&((b.0 - from) * side)));
            if let Some((v, _)) = outer {
                let s = self.format.label(*v);
                let (at, anchor) = if side > 0.0 {
                    ((px(*v) + 6, cy), HPos::Left)
                } else {
                    ((px(*v) - 6, cy), HPos::Right)
                };
                text(root, &s, NOTE_PX, INK, at, (anchor, VPos::Center))?;
            }
        }
        Ok(())
    }
}

impl Figure for TornadoFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [
            Entry {
                swatch: Swatch::Fill(LOW_COLOUR.mix(1.0)),
                label: "parameter at its low value".into(),
            },
            Entry {
                swatch: Swatch::Fill(HIGH_COLOUR.mix(1.0)),
                label: "parameter at its high value".into(),
            },
        ];
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &self.notes,
        };
        let body = frame.draw(root)?;
        if self.rows.is_empty() {
            return message_box(&body, "nothing to show: no parameters");
        }
        let (bx, by) = body.get_pixel_range();
        // The label column takes what the longest label needs, up to two fifths of the width.
        let max_label = (bx.end - bx.start) * 2 / 5;
        // A long name is shortened rather than its range.
        let labels: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                let room = max_label - measure(&r.range, TICK_PX).0 * 7 / 6 - 8;
                format!("{} {}", fit(&r.name, TICK_PX, room.max(40)), r.range)
            })
            .collect();
        let widest = labels.iter().map(|s| measure(s, TICK_PX).0 * 7 / 6).max().unwrap_or(0);
        let plot = self.plot(&bx, &by, widest, max_label);
        let (y0, y1) = (plot.y0, plot.y1);
        self.draw_axis(root, &plot, bx.end)?;
        // Bars: each row's farther end first, so a nearer end on the same side is drawn over it and both show.
        let row_h = f64::from(y1 - y0) / self.rows.len() as f64;
        let thick = (row_h * 0.6).clamp(2.0, 40.0) as i32;
        for (i, (row, label)) in self.rows.iter().zip(&labels).enumerate() {
            let cy = y0 + (row_h * (i as f64 + 0.5)).round() as i32;
            self.draw_row(root, &plot, (row, label), cy, thick)?;
        }
        if let Some(b) = self.base {
            let p = plot.px(b);
            root.draw(&PathElement::new(vec![(p, y0 - 6), (p, y1)], OI_BLACK.stroke_width(2)))
                .map_err(err)?;
            let s = fit(
                &format!("base case {}", self.format.full(b)),
                NOTE_PX,
                bx.end - bx.start,
            );
            let w = measure(&s, NOTE_PX).0;
            let cx = p.clamp(bx.start + w / 2 + 4, bx.end - w / 2 - 4);
            boxed_text(root, &s, NOTE_PX, INK, (cx, y0 - 10), (HPos::Center, VPos::Bottom))?;
        }
        Ok(())
    }
}
