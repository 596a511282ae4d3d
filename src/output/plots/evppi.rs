//! EVPPI by parameter: ranked horizontal bars with 95% intervals, and EVPI as the line no bar can exceed.

use super::axis::{Axis, Ticked};
use super::colours::{INK, OI_BLUE, OI_VERMILLION};
use super::data::usable;
use super::frame::{gridded_chart, message_box, x_description, Chart, Frame, SIDE};
use super::labels::{plural, Fmt};
use super::legend::{Entry, Swatch};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, HEIGHT_TWO_ROWS, WIDTH};
use super::text::{boxed_text, clean, fit, measure, text, wrap, NOTE_PX, TICK_PX};
use crate::output::format::{money_label, money_label_error};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{DashedPathElement, PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, ShapeStyle};
use std::path::PathBuf;

/// Most bars on the EVPPI chart; the others are counted in a note.
pub const MAX_EVPPI_BARS: usize = 30;

// The bars' chart: room below it for the money axis, above it for the EVPI label, and right of it.
const X_AREA: i32 = 66;
const TOP: i32 = 30;
const RIGHT: i32 = 30;

/// EVPPI per person of parameters or groups as horizontal bars, largest first, with 95% intervals (±1.96 SE).
///
/// `bars` holds (label, EVPPI per person, its standard error); `wtp_label` says at which willingness to pay
/// ("£20,000 per QALY") and goes in the subtitle; `method` (from [`crate::analysis::evppi::Evppi::method`]) is
/// printed in the notes, because EVPPI estimators disagree; `evpi`, if given, is drawn as the reference line that
/// no bar can exceed.
pub fn evppi_bars(
    base: impl Into<Dest>,
    title: &str,
    wtp_label: &str,
    method: &str,
    bars: &[(String, f64, f64)],
    evpi: Option<f64>,
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = EvppiFigure::new(title, wtp_label, method, bars, evpi);
    render(base, (WIDTH, fig.height()), &fig)
}

pub(super) struct EvppiBar {
    pub(super) label: String,
    value: f64,
    /// Half-width of the 95% interval (1.96 SE), when the SE is usable.
    pub(super) half: Option<f64>,
}

impl EvppiBar {
    /// The bar's right end: its whisker's, or the bar's own.
    fn end(&self) -> f64 {
        self.value + self.half.unwrap_or(0.0)
    }

    /// "£1.23k ± £45", or the value alone; an interval never reads as none when it is not ("± £0.0020").
    pub(super) fn caption(&self) -> String {
        match self.half {
            Some(h) => format!("{} ± {}", money_label(self.value), money_label_error(h, self.value)),
            None => money_label(self.value),
        }
    }

    /// The bar centred at `yc`, `half_h` of a row either side, with its interval's whisker; `x_lo` is the axis' start.
    fn draw<DB: DrawingBackend>(&self, c: &mut Chart<DB>, x_lo: f64, yc: f64, half_h: f64) -> Result<(), String> {
        c.draw_series(std::iter::once(Rectangle::new(
            [(0.0, yc - half_h), (self.value, yc + half_h)],
            OI_BLUE.mix(0.8).filled(),
        )))
        .map_err(err)?;
        if let Some(h) = self.half {
            // EVPPI is never negative, so the interval is cut at zero (and loses its cap there).
            let (w0, w1) = ((self.value - h).max(x_lo.max(0.0)), self.value + h);
            let cap = half_h * 0.5;
            c.draw_series(std::iter::once(PathElement::new(
                vec![(w0, yc), (w1, yc)],
                INK.stroke_width(2),
            )))
            .map_err(err)?;
            let mut ends = vec![w1];
            if w0 > 0.0 || self.value - h >= 0.0 {
                ends.push(w0);
            }
            for e in ends {
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(e, yc - cap), (e, yc + cap)],
                    INK.stroke_width(2),
                )))
                .map_err(err)?;
            }
        }
        Ok(())
    }
}

pub(super) struct EvppiFigure {
    title: String,
    subtitle: String,
    method: String,
    /// Ranked, largest first, at most MAX_EVPPI_BARS.
    pub(super) bars: Vec<EvppiBar>,
    /// Bars with a finite estimate, before the cut to MAX_EVPPI_BARS.
    finite: usize,
    /// Bars without a finite estimate (left out).
    bad: usize,
    evpi: Option<f64>,
}

impl EvppiFigure {
    pub(super) fn new(
        title: &str,
        wtp_label: &str,
        method: &str,
        bars: &[(String, f64, f64)],
        evpi: Option<f64>,
    ) -> EvppiFigure {
        let mut ranked: Vec<EvppiBar> = bars
            .iter()
            .filter(|b| usable(b.1))
            .map(|(label, value, se)| EvppiBar {
                label: clean(label),
                value: *value,
                half: Some(1.96 * se).filter(|h| usable(*h) && *h > 0.0),
            })
            .collect();
        let bad = bars.len() - ranked.len();
        // Stable: equal values keep the caller's order.
        ranked.sort_by(|a, b| b.value.total_cmp(&a.value));
        let finite = ranked.len();
        ranked.truncate(MAX_EVPPI_BARS);
        let evpi = evpi.filter(|e| usable(*e));
        let wtp = clean(wtp_label);
        let mut subtitle = "Expected value of partial perfect information per person".to_string();
        if !wtp.is_empty() {
            subtitle.push_str(&format!(" at {wtp}"));
        }
        if let Some(e) = evpi {
            subtitle.push_str(&format!("; EVPI {}", money_label(e)));
        }
        EvppiFigure {
            title: title.to_string(),
            subtitle,
            method: method.to_string(),
            bars: ranked,
            finite,
            bad,
            evpi,
        }
    }

    /// Taller for many bars, so each keeps about 30 pixels.
    pub(super) fn height(&self) -> u32 {
        (HEIGHT + 30 * self.bars.len().saturating_sub(14) as u32).min(HEIGHT_TWO_ROWS + 300)
    }

    /// The width of the category labels' column, and the money axis: far enough right for every caption.
    fn layout(&self, aw: i32) -> (i32, Axis) {
        // Room for the longest label (with the SVG viewer's wider fallback font), at most two fifths of the width.
        let widest = self
            .bars
            .iter()
            .map(|b| measure(&b.label, TICK_PX).0)
            .max()
            .unwrap_or(0);
        let y_area = (widest * 7 / 6 + 32).clamp(120, aw * 2 / 5);
        let plot_w = f64::from((aw - y_area - RIGHT).max(100));
        // The axis reaches far enough right that every caption fits beside its bar: end/hi·w + gap + width ≤ w.
        let lo = self.bars.iter().map(|b| b.value).fold(0.0, f64::min);
        // EVPI a little inside the right edge, so its line does not sit on the frame.
        let mut hi = self
            .bars
            .iter()
            .map(EvppiBar::end)
            .chain(self.evpi.map(|e| e * 1.04))
            .fold(0.0, f64::max);
        for b in &self.bars {
            let room = plot_w - f64::from(measure(&b.caption(), TICK_PX).0 * 7 / 6 + 14);
            if b.end() > 0.0 {
                hi = hi.max(b.end() * plot_w / room.max(plot_w / 4.0));
            }
        }
        let x = Axis::new(lo, hi, 6, Fmt::Money).fit(plot_w as i32, 60, |s| measure(s, TICK_PX).0);
        (y_area, x)
    }

    /// The bars' chart: categories down the left, money along the bottom.
    fn chart<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (aw, _) = area.dim_in_pixel();
        let (y_area, x) = self.layout(aw as i32);
        let rows = self.bars.len() as f64;
        let y = Ticked {
            inner: (0.0..rows).into(),
            ticks: Vec::new(),
        };
        let mut c = gridded_chart(area, x.coord(), y, [TOP, RIGHT, X_AREA, y_area])?;
        let (ax, ay) = area.get_base_pixel();
        let (px, py) = c.plotting_area().get_pixel_range();
        for t in &x.ticks {
            let (tx, _) = c.backend_coord(&(*t, 0.0));
            let label = x.label(*t);
            text(
                area,
                &label,
                TICK_PX,
                INK,
                (tx - ax, py.end - ay + 10),
                (HPos::Center, VPos::Top),
            )?;
        }
        x_description(area, &c, "EVPPI (£ per person)")?;
        // Row j (0 = largest) is centred at rows − j − ½, so the ranking reads from the top.
        for (j, b) in self.bars.iter().enumerate() {
            let yc = rows - j as f64 - 0.5;
            let (_, ty) = c.backend_coord(&(x.lo, yc));
            let label = fit(&b.label, TICK_PX, y_area - 20);
            let label = if label.is_empty() {
                "(unnamed)".to_string()
            } else {
                label
            };
            text(
                area,
                &label,
                TICK_PX,
                INK,
                (px.start - ax - 12, ty - ay),
                (HPos::Right, VPos::Center),
            )?;
            // At most 64% of a row, leaving at least 6 pixels between bars.
            let half_h = 0.32f64
                .min(0.5 - 3.0 * rows / f64::from((py.end - py.start).max(1)))
                .max(0.1);
            b.draw(&mut c, x.lo, yc, half_h)?;
            let (ex, ey) = c.backend_coord(&(b.end().max(0.0), yc));
            let caption = b.caption();
            text(
                area,
                &caption,
                TICK_PX,
                INK,
                (ex - ax + 8, ey - ay),
                (HPos::Left, VPos::Center),
            )?;
        }
        if let Some(e) = self.evpi.filter(|e| x.contains(*e)) {
            vline_categories(&mut c, rows, e, OI_VERMILLION.stroke_width(2))?;
            let (ex, ey) = c.backend_coord(&(e, rows));
            let label = format!("EVPI {}", money_label(e));
            // Beside the line's top, on whichever side has room.
            let (anchor, dx) = if px.end - ex > measure(&label, NOTE_PX).0 + 16 {
                (HPos::Left, 6)
            } else {
                (HPos::Right, -6)
            };
            let at = (ex - ax + dx, ey - ay - 4);
            boxed_text(area, &label, NOTE_PX, OI_VERMILLION, at, (anchor, VPos::Bottom))?;
        }
        Ok(())
    }
}

/// A dashed vertical line across all the categories of a bar chart.
fn vline_categories<DB: DrawingBackend>(c: &mut Chart<DB>, rows: f64, x: f64, st: ShapeStyle) -> Result<(), String> {
    c.draw_series(std::iter::once(DashedPathElement::new(
        vec![(x, 0.0), (x, rows)],
        9,
        6,
        st,
    )))
    .map_err(err)?;
    Ok(())
}

impl Figure for EvppiFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let width = root.dim_in_pixel().0 as i32;
        let mut legend = vec![
            Entry {
                swatch: Swatch::Fill(OI_BLUE.mix(0.8)),
                label: "EVPPI per person".into(),
            },
            Entry {
                swatch: Swatch::Line(INK, 2),
                label: "95% interval (estimate ± 1.96 standard errors)".into(),
            },
        ];
        if self.evpi.is_some() {
            legend.push(Entry {
                swatch: Swatch::Dashed(OI_VERMILLION, 2),
                label: "EVPI: the value of learning every parameter".into(),
            });
        }
        let mut notes = Vec::new();
        if self.finite > self.bars.len() {
            notes.push(format!(
                "Showing the {} largest of {}.",
                self.bars.len(),
                plural(self.finite, "estimate")
            ));
        }
        if self.bad > 0 {
            notes.push(format!(
                "{} without a finite estimate left out.",
                plural(self.bad, "parameter")
            ));
        }
        if !self.method.trim().is_empty() {
            notes.extend(wrap(&format!("Method: {}", self.method), NOTE_PX, width - 2 * SIDE, 4));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: &self.subtitle,
            legend: &legend,
            notes: &notes,
        };
        let body = frame.draw(root)?;
        if self.bars.is_empty() {
            return message_box(&body, "no EVPPI estimates to show");
        }
        self.chart(&body)
    }
}
