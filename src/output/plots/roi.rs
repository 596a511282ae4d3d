//! ROI histograms: the benefit–cost ratio, one panel per payer, with median, 95% interval and break-even at £1.

use super::axis::{padded, sane, Axis};
use super::colours::{INK, MUTED, OI_BLUE, OI_SKY, OI_VERMILLION};
use super::data::usable;
use super::frame::{chart, message_box, vline, Frame};
use super::labels::{count_label, percent_label, plural, ratio_label, Fmt};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, HEIGHT_TWO_ROWS, WIDTH};
use super::text::{clean, text, wrap, wrap_clauses, LEGEND_PX, PANEL_PX};
use crate::analysis::stats::quantiles;
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::Rectangle;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::Color;
use std::path::PathBuf;

/// A named sample of values (one per PSA iteration).
pub struct Sample<'a> {
    /// What the values are, e.g. the payer ("Council").
    pub label: String,
    /// One value per iteration; non-finite values are skipped and counted.
    pub values: &'a [f64],
    /// Mean savings over mean spend, the headline's ratio, shown beside the median of the iterations' ratios.
    pub ratio_of_means: Option<f64>,
}

/// Histograms of the benefit–cost ratio, one panel per payer, with median, 95% interval and break-even at £1.
pub fn roi_histograms(base: impl Into<Dest>, title: &str, panels: &[Sample]) -> Result<Vec<PathBuf>, PlotError> {
    let fig = RoiFigure::new(title, panels);
    let height = if fig.grid().0 > 1 { HEIGHT_TWO_ROWS } else { HEIGHT };
    render(base, (WIDTH, height), &fig)
}

/// One payer's benefit–cost ratios, summarised and binned.
pub(super) struct RoiPanel {
    label: String,
    ratio_of_means: Option<f64>,
    total: usize,
    pub(super) bad: usize,
    pub(super) stats: Option<RoiStats>,
}

pub(super) struct RoiStats {
    pub(super) median: f64,
    lo95: f64,
    hi95: f64,
    /// Share of iterations returning at least £1 per £1.
    at_least_one: f64,
    pub(super) x: Axis,
    y: Axis,
    /// (left edge, right edge, % of iterations).
    pub(super) bins: Vec<(f64, f64, f64)>,
    pub(super) clipped: bool,
}

impl RoiPanel {
    pub(super) fn new(sample: &Sample) -> RoiPanel {
        let v: Vec<f64> = sample.values.iter().copied().filter(|x| usable(*x)).collect();
        let total = sample.values.len();
        let bad = total - v.len();
        let label = clean(&sample.label);
        if v.is_empty() {
            return RoiPanel {
                label,
                ratio_of_means: sample.ratio_of_means,
                total,
                bad,
                stats: None,
            };
        }
        let n = v.len();
        // The percentiles are those the tables give (of at most the first 100,000 finite iterations, by selection:
        // sorting a million values took most of a large run's plotting); the share above £1 and the histogram use
        // every finite iteration, and only the drawing range is clipped.
        let [median, lo95, hi95, clip_lo, clip_hi] = quantiles(&v, [0.5, 0.025, 0.975, 0.005, 0.995]);
        let at_least_one = v.iter().filter(|x| **x >= 1.0).count() as f64 / n as f64;
        let (clip_lo, clip_hi) = sane(clip_lo, clip_hi);
        let (least, most) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, m), &x| (l.min(x), m.max(x)));
        let clipped = least < clip_lo || most > clip_hi;
        let nb = ((2.0 * (n as f64).cbrt()).ceil() as usize).clamp(5, 60);
        let width = (clip_hi - clip_lo) / nb as f64;
        let mut counts = vec![0usize; nb];
        for x in v.iter().filter(|x| **x >= clip_lo && **x <= clip_hi) {
            counts[(((x - clip_lo) / width) as usize).min(nb - 1)] += 1;
        }
        let bins: Vec<(f64, f64, f64)> = counts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    clip_lo + i as f64 * width,
                    clip_lo + (i + 1) as f64 * width,
                    100.0 * *c as f64 / n as f64,
                )
            })
            .collect();
        // Show break-even when it is near the data; far away it would squash the histogram.
        let span = clip_hi - clip_lo;
        let (mut lo, mut hi) = (clip_lo, clip_hi);
        if (clip_lo - span..=clip_hi + span).contains(&1.0) {
            lo = lo.min(1.0);
            hi = hi.max(1.0);
        }
        let (lo, hi) = padded(lo, hi, 0.04);
        let top = bins.iter().map(|b| b.2).fold(0.0, f64::max);
        let x = Axis::new(lo, hi, 6, Fmt::Ratio);
        let y = Axis::new(0.0, (top * 1.1).max(1e-9), 5, Fmt::Percent);
        RoiPanel {
            label,
            ratio_of_means: sample.ratio_of_means,
            total,
            bad,
            stats: Some(RoiStats {
                median,
                lo95,
                hi95,
                at_least_one,
                x,
                y,
                bins,
                clipped,
            }),
        }
    }

    /// The panel's head at `width` pixels: its label, then what its histogram shows (ink, then muted), each wrapped
    /// to the width rather than cut, so that no figure is lost.
    fn head(&self, width: i32) -> Head {
        let label = if self.label.is_empty() {
            vec!["(unnamed payer)".to_string()]
        } else {
            wrap(&self.label, PANEL_PX, width, 3)
        };
        let Some(s) = &self.stats else {
            return Head {
                label,
                ink: Vec::new(),
                muted: Vec::new(),
            };
        };
        // The headline's figure is mean savings over mean spend; the histogram is of each iteration's own ratio,
        // whose median differs from it (the average of ratios is not the ratio of averages): both are named.
        let mut ink = Vec::new();
        if let Some(r) = self.ratio_of_means.filter(|r| r.is_finite()) {
            ink.push(format!("mean savings ÷ mean spend {}", ratio_label(r)));
        }
        ink.push(format!("median of the iterations {}", ratio_label(s.median)));
        let mut muted = vec![
            format!("95% interval {} to {}", ratio_label(s.lo95), ratio_label(s.hi95)),
            format!(
                "£1 or more back in {} of {} iterations",
                percent_label(s.at_least_one),
                count_label(self.total - self.bad)
            ),
        ];
        if !s.x.contains(1.0) {
            muted.push("break-even off the chart".to_string());
        }
        Head {
            label,
            ink: wrap_clauses(&ink, LEGEND_PX, width, 4),
            muted: wrap_clauses(&muted, LEGEND_PX, width, 5),
        }
    }

    /// Draws the panel, its head `head_height` pixels tall (the tallest of its row's, so that the plots line up).
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, head_height: i32) -> Result<(), String> {
        let (w, _) = area.dim_in_pixel();
        let head = self.head(w as i32);
        let (top, plot) = area.split_vertically(head_height);
        head.draw(&top)?;
        let Some(s) = &self.stats else {
            let msg = if self.total == 0 {
                "no spend by this payer"
            } else {
                "no finite values to plot"
            };
            return message_box(&plot.margin(8, 8, 8, 8), msg);
        };
        let mut c = chart(&plot, &s.x, &s.y, "£ back per £1 spent", "% of iterations", 0)?;
        let visible = |x: f64| s.x.contains(x);
        c.draw_series(
            s.bins
                .iter()
                .filter(|b| b.2 > 0.0 && visible(b.0) && visible(b.1))
                .map(|b| Rectangle::new([(b.0, 0.0), (b.1, b.2)], OI_SKY.mix(0.75).filled())),
        )
        .map_err(err)?;
        if visible(1.0) {
            vline(&mut c, &s.y, 1.0, OI_VERMILLION.stroke_width(3), false)?;
        }
        for q in [s.lo95, s.hi95] {
            if visible(q) {
                vline(&mut c, &s.y, q, OI_BLUE.stroke_width(2), true)?;
            }
        }
        if visible(s.median) {
            vline(&mut c, &s.y, s.median, OI_BLUE.stroke_width(3), false)?;
        }
        Ok(())
    }
}

/// A panel's head as laid out for its width: the label's lines, then the statistics' (ink, then muted).
struct Head {
    label: Vec<String>,
    ink: Vec<String>,
    muted: Vec<String>,
}

/// Distance between the lines of a panel's label, and between the lines of its statistics, in pixels.
const LABEL_LINE: i32 = 28;
const STATS_LINE: i32 = 24;

impl Head {
    /// Pixels from the head's top to the plot: its lines and the space below them.
    fn height(&self) -> i32 {
        let stats = (self.ink.len() + self.muted.len()) as i32;
        4 + LABEL_LINE * self.label.len() as i32 + 2 + STATS_LINE * stats + 2
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut y = 4;
        for line in &self.label {
            text(area, line, PANEL_PX, INK, (0, y), (HPos::Left, VPos::Top))?;
            y += LABEL_LINE;
        }
        y += 2;
        let lines = (self.ink.iter().map(|l| (l, INK))).chain(self.muted.iter().map(|l| (l, MUTED)));
        for (line, colour) in lines {
            text(area, line, LEGEND_PX, colour, (0, y), (HPos::Left, VPos::Top))?;
            y += STATS_LINE;
        }
        Ok(())
    }
}

pub(super) struct RoiFigure {
    title: String,
    panels: Vec<RoiPanel>,
}

impl RoiFigure {
    pub(super) fn new(title: &str, samples: &[Sample]) -> RoiFigure {
        RoiFigure {
            title: title.to_string(),
            panels: samples.iter().map(RoiPanel::new).collect(),
        }
    }

    /// Rows and columns: up to three side by side, four as 2×2, then rows of three.
    fn grid(&self) -> (usize, usize) {
        let n = self.panels.len().max(1);
        let cols = match n {
            1..=3 => n,
            4 => 2,
            _ => 3,
        };
        (n.div_ceil(cols), cols)
    }
}

impl Figure for RoiFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [
            Entry {
                swatch: Swatch::Line(OI_BLUE, 3),
                label: "median of the iterations".into(),
            },
            Entry {
                swatch: Swatch::Dashed(OI_BLUE, 2),
                label: "95% interval (2.5th–97.5th percentile)".into(),
            },
            Entry {
                swatch: Swatch::Line(OI_VERMILLION, 3),
                label: "break-even: £1 back per £1 spent".into(),
            },
        ];
        let mut notes = Vec::new();
        if self.panels.iter().any(|p| p.stats.as_ref().is_some_and(|s| s.clipped)) {
            notes.push(
                "x axis clipped to the central 99% of iterations; medians and intervals are of the values before clipping."
                    .to_string(),
            );
        }
        let bad: usize = self.panels.iter().map(|p| p.bad).sum();
        if bad > 0 {
            notes.push(format!("{} skipped.", plural(bad, "non-finite value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &notes,
        };
        let body = frame.draw(root)?;
        if self.panels.is_empty() {
            return message_box(&body, "no payer perspectives to show");
        }
        let (rows, cols) = self.grid();
        let cells: Vec<_> = (body.split_evenly((rows, cols)).iter())
            .map(|cell| cell.margin(6, 10, 4, 14))
            .collect();
        // Every head as tall as the tallest, so that the histograms of a row start at the same height.
        let head_height = (self.panels.iter().zip(&cells))
            .map(|(panel, cell)| panel.head(cell.dim_in_pixel().0 as i32).height())
            .max()
            .unwrap_or(0);
        for (panel, cell) in self.panels.iter().zip(&cells) {
            panel.draw(cell, head_height)?;
        }
        Ok(())
    }
}
