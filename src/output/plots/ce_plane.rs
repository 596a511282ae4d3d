//! The cost-effectiveness plane: incremental outcome against incremental cost per iteration and arm, thinned to a
//! sensible number of points, with each arm's mean, willingness-to-pay lines and quadrant labels.

use super::axis::{extent, padded, Axis};
use super::colours::{arm_colour, MUTED, OI_BLACK, REFERENCE};
use super::data::usable;
use super::frame::{chart, hline, vline, Chart, Frame};
use super::labels::{count_label, ordinal, plural, signed_number, Fmt};
use super::legend::{mean_marker, Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{boxed_text, clean, fit, NOTE_PX};
use crate::output::format::{money_label, signed_money_label as signed_money};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, DashedPathElement};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};
use std::path::PathBuf;

/// Most points drawn per arm on the CE plane; beyond this a deterministic every-k-th subset is drawn.
pub const MAX_POINTS_PER_ARM: usize = 20_000;

/// How the cost-effectiveness plane names the outcome; the gain is in the decision's direction (the amount avoided,
/// where less of the outcome is better), so the quadrants read the same way for every outcome.
#[derive(Debug, Clone, Copy)]
pub struct PlaneOutcome<'a> {
    /// The x axis: "Incremental QALY", "Emergency bed days avoided".
    pub axis: &'a str,
    /// The unit of a mean gain in the legend: "QALY", "emergency bed days avoided".
    pub gain: &'a str,
    /// What λ is per: "QALY", "bed day avoided".
    pub per: &'a str,
}

/// Cost-effectiveness plane: incremental outcome against incremental cost per iteration, per arm, with WTP lines.
pub fn ce_plane(
    base: impl Into<Dest>,
    title: &str,
    outcome: PlaneOutcome,
    arms: &[(String, &[f64], &[f64])],
    lambda: &[f64],
) -> Result<Vec<PathBuf>, PlotError> {
    render(base, (WIDTH, HEIGHT), &CeFigure::new(title, outcome, arms, lambda))
}

pub(super) struct CeArm {
    label: String,
    colour: RGBColor,
    pub(super) points: Vec<(f64, f64)>,
    pub(super) mean: Option<(f64, f64)>,
    finite: usize,
}

pub(super) struct CeFigure {
    title: String,
    /// The x axis, a mean gain's unit and what λ is per (see [`PlaneOutcome`]), cleaned.
    axis: String,
    gain: String,
    per: String,
    pub(super) arms: Vec<CeArm>,
    /// Usable willingness-to-pay values.
    lambda: Vec<f64>,
    pub(super) x: Axis,
    pub(super) y: Axis,
    notes: Vec<String>,
}

impl CeFigure {
    pub(super) fn new(
        title: &str,
        outcome: PlaneOutcome,
        arms: &[(String, &[f64], &[f64])],
        lambda: &[f64],
    ) -> CeFigure {
        // Bound the total drawn too, so many arms do not make a huge SVG.
        let cap = (2 * MAX_POINTS_PER_ARM / arms.len().max(1)).clamp(MAX_POINTS_PER_ARM / 4, MAX_POINTS_PER_ARM);
        let mut bad = 0;
        let mut shown = Vec::new();
        let ce_arms: Vec<CeArm> = arms
            .iter()
            .enumerate()
            .map(|(i, (label, de, dc))| {
                let n = de.len().min(dc.len());
                bad += de.len().max(dc.len()) - n;
                let ok = |j: usize| usable(de[j]) && usable(dc[j]);
                let (mut sx, mut sy, mut finite) = (0.0, 0.0, 0usize);
                for j in (0..n).filter(|&j| ok(j)) {
                    sx += de[j];
                    sy += dc[j];
                    finite += 1;
                }
                bad += n - finite;
                let every = finite.div_ceil(cap).max(1);
                let points: Vec<(f64, f64)> = (0..n)
                    .filter(|&j| ok(j))
                    .step_by(every)
                    .map(|j| (de[j], dc[j]))
                    .collect();
                if every > 1 {
                    shown.push((points.len(), finite, every));
                }
                let mean = (finite > 0).then(|| (sx / finite as f64, sy / finite as f64));
                CeArm {
                    label: clean(label),
                    colour: arm_colour(i),
                    points,
                    mean,
                    finite,
                }
            })
            .collect();
        // Axes always include the origin: the quadrants are what people read.
        let xs = ce_arms
            .iter()
            .flat_map(|a| a.points.iter().map(|p| p.0).chain(a.mean.map(|m| m.0)));
        let ys = ce_arms
            .iter()
            .flat_map(|a| a.points.iter().map(|p| p.1).chain(a.mean.map(|m| m.1)));
        let (x0, x1) = extent(xs.chain([0.0])).unwrap_or((0.0, 0.0));
        let (y0, y1) = extent(ys.chain([0.0])).unwrap_or((0.0, 0.0));
        // Generous padding: mean markers are large and corner labels must not sit on them.
        let (x0, x1) = padded(x0, x1, 0.08);
        let (y0, y1) = padded(y0, y1, 0.08);
        let x = Axis::new(x0, x1, 8, Fmt::Number);
        let y = Axis::new(y0, y1, 8, Fmt::Money);
        let mut notes = vec!["Each dot is one iteration; large ringed circles are each arm's mean.".to_string()];
        if let Some((s, t, k)) = shown.first() {
            let same = shown.iter().all(|v| v == &(*s, *t, *k));
            notes[0] = if same && shown.len() == ce_arms.len() {
                format!(
                    "Each dot is one iteration: showing {} of {} iterations per arm (every {}); large ringed circles \
                     are means of all iterations.",
                    count_label(*s),
                    count_label(*t),
                    ordinal(*k)
                )
            } else {
                let parts: Vec<String> = ce_arms
                    .iter()
                    .map(|a| format!("{} of {}", count_label(a.points.len()), count_label(a.finite)))
                    .collect();
                format!(
                    "Each dot is one iteration: showing {} iterations (arms in legend order; every k-th where thinned); \
                     large ringed circles are means of all iterations.",
                    parts.join(", ")
                )
            };
        }
        if bad > 0 {
            notes.push(format!(
                "{} with non-finite or missing values skipped.",
                plural(bad, "iteration")
            ));
        }
        let lambda = lambda.iter().copied().filter(|l| usable(*l)).collect();
        CeFigure {
            title: title.to_string(),
            axis: clean(outcome.axis),
            gain: clean(outcome.gain),
            per: clean(outcome.per),
            arms: ce_arms,
            lambda,
            x,
            y,
            notes,
        }
    }

    /// The part of the line ΔC = λ·ΔE inside the plot, clipped to the axes' box.
    pub(super) fn wtp_segment(&self, l: f64) -> Option<((f64, f64), (f64, f64))> {
        let (x, y) = (&self.x, &self.y);
        // Liang–Barsky clipping of the segment from x.lo to x.hi.
        let (p0, p1) = ((x.lo, l * x.lo), (x.hi, l * x.hi));
        let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, p0.0 - x.lo),
            (dx, x.hi - p0.0),
            (-dy, p0.1 - y.lo),
            (dy, y.hi - p0.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        (t0 < t1).then_some(((p0.0 + t0 * dx, p0.1 + t0 * dy), (p0.0 + t1 * dx, p0.1 + t1 * dy)))
    }
}

impl Figure for CeFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let or_unit = |text: &str| {
            if text.is_empty() {
                "unit of outcome".to_string()
            } else {
                text.to_string()
            }
        };
        let (gain, per) = (or_unit(&self.gain), or_unit(&self.per));
        let legend = self.legend(&gain);
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &self.notes,
        };
        let body = frame.draw(root)?;
        let x_desc = if self.axis.is_empty() {
            "Incremental outcome".to_string()
        } else {
            self.axis.clone()
        };
        let mut c = chart(&body, &self.x, &self.y, &x_desc, "Incremental cost (£)", 0)?;
        let (x, y) = (&self.x, &self.y);
        // Axes through the origin.
        vline(&mut c, y, 0.0, OI_BLACK.stroke_width(1), false)?;
        hline(&mut c, x, 0.0, OI_BLACK.stroke_width(1), false)?;
        self.draw_clouds(&mut c)?;
        self.draw_wtp_lines(root, &mut c, &per)?;
        // Means on top of everything.
        for a in &self.arms {
            if let Some(m) = a.mean {
                mean_marker(root, c.backend_coord(&m), 10, a.colour)?;
            }
        }
        self.draw_quadrant_labels(root, &c)
    }
}

impl CeFigure {
    /// Each arm with its mean, then the willingness-to-pay line if there is one.
    fn legend(&self, unit: &str) -> Vec<Entry> {
        let mut legend: Vec<Entry> = self
            .arms
            .iter()
            .map(|a| {
                let label = if a.label.is_empty() { "(unnamed arm)" } else { &a.label };
                let mean = match a.mean {
                    Some((e, c)) => format!(" — mean {} {}, {}", signed_number(e), unit, signed_money(c)),
                    None => " — no finite iterations".to_string(),
                };
                Entry {
                    swatch: Swatch::Cloud(a.colour),
                    label: format!("{label}{mean}"),
                }
            })
            .collect();
        if !self.lambda.is_empty() {
            legend.push(Entry {
                swatch: Swatch::Dashed(REFERENCE, 2),
                label: "willingness-to-pay threshold".into(),
            });
        }
        legend
    }

    /// Every arm's iterations as dots.
    fn draw_clouds<DB: DrawingBackend>(&self, c: &mut Chart<DB>) -> Result<(), String> {
        // Arms are drawn in alternating chunks so that no arm's cloud is painted wholly over another's.
        const CHUNK: usize = 500;
        let longest = self.arms.iter().map(|a| a.points.len()).max().unwrap_or(0);
        // Dense clouds (all arms together) need more transparency and smaller dots to show where iterations pile up.
        let total = self.arms.iter().map(|a| a.points.len()).sum::<usize>().max(1) as f64;
        let alpha = (3000.0 / total).clamp(0.12, 0.7);
        let r = if total > 4000.0 { 2 } else { 3 };
        for start in (0..longest).step_by(CHUNK) {
            for a in &self.arms {
                let st = a.colour.mix(alpha).filled();
                let chunk = a.points.iter().skip(start).take(CHUNK);
                c.draw_series(chunk.map(|p| Circle::new(*p, r, st))).map_err(err)?;
            }
        }
        Ok(())
    }

    /// The willingness-to-pay lines and their labels.
    fn draw_wtp_lines<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &mut Chart<DB>,
        unit: &str,
    ) -> Result<(), String> {
        // Willingness-to-pay lines, labelled near their upper-right end; labels are nudged apart if they collide.
        let mut labels: Vec<((i32, i32), String)> = Vec::new();
        for l in &self.lambda {
            if let Some((a, b)) = self.wtp_segment(*l) {
                c.draw_series(std::iter::once(DashedPathElement::new(
                    vec![a, b],
                    9,
                    6,
                    REFERENCE.stroke_width(2),
                )))
                .map_err(err)?;
                let t = 0.78;
                let at = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
                labels.push((c.backend_coord(&at), format!("{} per {unit}", money_label(*l))));
            }
        }
        labels.sort_by_key(|l| l.0 .1);
        let mut last_y = i32::MIN;
        for ((px, py), s) in labels.iter_mut() {
            if *py < last_y + 26 {
                *py = last_y + 26;
            }
            last_y = *py;
            let s = fit(s, NOTE_PX, 300);
            boxed_text(
                root,
                &s,
                NOTE_PX,
                REFERENCE,
                (*px + 8, *py - 8),
                (HPos::Left, VPos::Bottom),
            )?;
        }
        Ok(())
    }

    /// Quadrant labels in the corners that lie in each quadrant.
    fn draw_quadrant_labels<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        c: &Chart<DB>,
    ) -> Result<(), String> {
        let (x, y) = (&self.x, &self.y);
        let corners = [
            (
                x.hi,
                y.hi,
                "more costly, more effective",
                (HPos::Right, VPos::Top),
                (-8, 8),
            ),
            (
                x.lo,
                y.hi,
                "more costly, less effective",
                (HPos::Left, VPos::Top),
                (8, 8),
            ),
            (
                x.hi,
                y.lo,
                "less costly, more effective",
                (HPos::Right, VPos::Bottom),
                (-8, -8),
            ),
            (
                x.lo,
                y.lo,
                "less costly, less effective",
                (HPos::Left, VPos::Bottom),
                (8, -8),
            ),
        ];
        for (cx, cy, s, anchor, (dx, dy)) in corners {
            if cx != 0.0 && cy != 0.0 {
                let (px, py) = c.backend_coord(&(cx, cy));
                boxed_text(root, s, NOTE_PX, MUTED, (px + dx, py + dy), anchor)?;
            }
        }
        Ok(())
    }
}
