//! Heat map of a measure over a grid of two parameters, with a colour bar, hatched cells where there is no value,
//! the break-even contour where the scale diverges about a centre, and each cell's value written in it when the grid
//! is small.

use super::axis::{extent, sane, Axis};
use super::colour_scale::{text_on, Scale};
use super::colours::{AXIS, INK, OI_BLACK};
use super::data::{lambda_order, usable};
use super::frame::{message_box, Frame};
use super::labels::{count_label, grid_labels, ordinal, plural, ValueFormat};
use super::render::{err, render, Dest, Figure, PlotError, HEIGHT, WIDTH};
use super::text::{clean, fit, measure, or_unnamed, text, vertical_text, LABEL_PX, LEGEND_PX, NOTE_PX, TICK_PX};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor};
use std::path::PathBuf;

/// A heat map of a measure over a two-parameter grid: `z[iy][ix]` at (`x[ix]`, `y[iy]`); non-finite cells drawn as
/// "no value" (hatched) and said so in the key below the colour bar and in a note. With `centre` (e.g. break-even
/// 1.0 for the BCR, 0 for net savings), a diverging vermillion–grey–blue scale symmetric about it (vermillion
/// below, blue above); without, viridis. A colour bar with ticks in `format`. Each cell's value is written in it
/// when the grid is at most 12×12 and the values fit, in black or white, whichever contrasts more. With a centre,
/// a black line follows the cell edges between cells below it and cells at or above it (the break-even contour).
///
/// Rows and columns are drawn in increasing order of their values; grid values that are not finite are skipped,
/// and grids over 200 on a side are thinned (both said in notes).
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface
pub fn heat_map(
    base: impl Into<Dest>,
    title: &str,
    x_label: &str,
    y_label: &str,
    x: &[f64],
    y: &[f64],
    z: &[Vec<f64>],
    z_label: &str,
    format: ValueFormat,
    centre: Option<f64>,
    note: &str,
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = HeatFigure::new(title, x_label, y_label, x, y, z, z_label, format, centre, note);
    render(base, (WIDTH, HEIGHT), &fig)
}

/// Grids larger than this on an axis show every k-th row or column, so the SVG stays a sensible size.
const MAX_GRID: usize = 200;
/// Cell values are written in the cells up to this many rows and columns.
const MAX_WRITTEN: usize = 12;

pub(super) struct HeatFigure {
    title: String,
    subtitle: String,
    x_label: String,
    y_label: String,
    z_label: String,
    format: ValueFormat,
    /// Labels of the columns (left to right) and rows (bottom to top) shown.
    pub(super) x_text: Vec<String>,
    pub(super) y_text: Vec<String>,
    /// Values by shown row (bottom first), then column.
    z: Vec<Vec<f64>>,
    scale: Scale,
    bar: Axis,
    centre: Option<f64>,
    missing: usize,
    notes: Vec<String>,
}

/// One edge of the break-even contour: between cell (`row`, `col`) and its neighbour to the right (`vertical`) or
/// above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ContourEdge {
    pub(super) row: usize,
    pub(super) col: usize,
    pub(super) vertical: bool,
}

/// Indices of usable values in increasing order, thinned to at most `MAX_GRID`; and how many were thinned.
fn grid_order(v: &[f64]) -> (Vec<usize>, usize) {
    let idx = lambda_order(v);
    let every = idx.len().div_ceil(MAX_GRID).max(1);
    (idx.iter().copied().step_by(every).collect(), every)
}

/// The colour scale for values spanning `data`: diverging about `centre` if there is one, otherwise sequential.
fn scale_for(centre: Option<f64>, data: Option<(f64, f64)>, format: ValueFormat) -> Scale {
    match (centre, data) {
        (Some(c), _) => {
            let (lo, hi) = data.unwrap_or((c, c));
            let half = (c - lo).max(hi - c);
            let half = if half > 0.0 { half } else { sane(c, c).1 - c };
            Scale::Diverging { centre: c, half }
        }
        (None, Some((lo, hi))) if format == ValueFormat::Probability && lo >= 0.0 && hi <= 1.0 => {
            Scale::Sequential { lo: 0.0, hi: 1.0 }
        }
        (None, Some((lo, hi))) => {
            let (lo, hi) = sane(lo, hi);
            Scale::Sequential { lo, hi }
        }
        (None, None) => Scale::Sequential { lo: 0.0, hi: 1.0 },
    }
}

/// The colour bar's axis: the data's range `data`, and the centre of a diverging scale.
fn bar_axis(scale: Scale, data: Option<(f64, f64)>, format: ValueFormat) -> Axis {
    match scale {
        Scale::Diverging { centre, .. } => {
            let (lo, hi) = data.unwrap_or((centre, centre));
            let (lo, hi) = sane(lo.min(centre), hi.max(centre));
            Axis::new(lo, hi, 6, format.fmt())
        }
        Scale::Sequential { lo, hi } => Axis::new(lo, hi, 6, format.fmt()),
    }
}

impl HeatFigure {
    #[allow(clippy::too_many_arguments)] // mirrors `heat_map`
    pub(super) fn new(
        title: &str,
        x_label: &str,
        y_label: &str,
        x: &[f64],
        y: &[f64],
        z: &[Vec<f64>],
        z_label: &str,
        format: ValueFormat,
        centre: Option<f64>,
        note: &str,
    ) -> HeatFigure {
        let (cols, every_x) = grid_order(x);
        let (rows, every_y) = grid_order(y);
        let cell = |iy: usize, ix: usize| z.get(iy).and_then(|r| r.get(ix)).copied().unwrap_or(f64::NAN);
        let grid: Vec<Vec<f64>> = rows
            .iter()
            .map(|&iy| cols.iter().map(|&ix| cell(iy, ix)).collect())
            .collect();
        let values = || grid.iter().flatten().copied().filter(|v| usable(*v));
        let n = grid.len() * cols.len();
        let finite = values().count();
        let missing = n - finite;
        let centre = centre.filter(|c| usable(*c));
        let data = extent(values());
        let scale = scale_for(centre, data, format);
        let bar = bar_axis(scale, data, format);
        let what = or_unnamed(z_label, "Values");
        let mut subtitle = String::new();
        if let Some((lo, hi)) = data {
            subtitle = if lo == hi {
                format!("{what}: {} in every cell with a value", format.label(lo))
            } else {
                format!("{what}: from {} to {}", format.label(lo), format.label(hi))
            };
            if let Some(c) = centre {
                let above = values().filter(|v| *v > c).count();
                subtitle.push_str(&format!("; {above} of {finite} cells above {}", format.label(c)));
            }
        }
        let mut notes = Vec::new();
        if !clean(note).is_empty() {
            notes.push(note.to_string());
        }
        if missing > 0 && n > 0 {
            notes.push(format!(
                "{} of {} without a finite value (hatched).",
                count_label(missing),
                plural(n, "cell")
            ));
        }
        let dropped = (x.len() - lambda_order(x).len()) + (y.len() - lambda_order(y).len());
        if dropped > 0 {
            notes.push(format!("{} skipped.", plural(dropped, "non-finite grid value")));
        }
        if every_x > 1 || every_y > 1 {
            notes.push(format!(
                "Grid thinned for drawing: every {} column and every {} row shown.",
                ordinal(every_x),
                ordinal(every_y)
            ));
        }
        let pick = |v: &[f64], idx: &[usize]| grid_labels(&idx.iter().map(|&i| v[i]).collect::<Vec<_>>());
        if let Some(c) = centre {
            if !contour(&grid, c).is_empty() {
                notes.push(format!(
                    "Black line: break-even, between cells below {} and cells at or above it.",
                    format.label(c)
                ));
            }
        }
        HeatFigure {
            title: title.to_string(),
            subtitle,
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            z_label: clean(z_label),
            format,
            x_text: pick(x, &cols),
            y_text: pick(y, &rows),
            z: grid,
            scale,
            bar,
            centre,
            missing,
            notes,
        }
    }
}

/// The break-even contour of `z` (by shown row, bottom first, then column) about `centre`: every edge between two
/// neighbouring cells with values, one below the centre and the other at or above it.
pub(super) fn contour(z: &[Vec<f64>], centre: f64) -> Vec<ContourEdge> {
    let at_or_above = |v: f64| usable(v).then_some(v >= centre);
    let mut edges = Vec::new();
    for (row, values) in z.iter().enumerate() {
        for (col, &v) in values.iter().enumerate() {
            let Some(side) = at_or_above(v) else { continue };
            let right = values.get(col + 1).copied().and_then(at_or_above);
            let up = z.get(row + 1).and_then(|r| r.get(col)).copied().and_then(at_or_above);
            if right.is_some_and(|r| r != side) {
                edges.push(ContourEdge {
                    row,
                    col,
                    vertical: true,
                });
            }
            if up.is_some_and(|u| u != side) {
                edges.push(ContourEdge {
                    row,
                    col,
                    vertical: false,
                });
            }
        }
    }
    edges
}

/// Cells with no value: light grey, hatched.
const NO_VALUE: RGBColor = RGBColor(0xE2, 0xE2, 0xE2);
const HATCH: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// A cell with no value: light grey with diagonal hatching, in pixels.
fn hatched<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0, x1, y1): (i32, i32, i32, i32),
) -> Result<(), String> {
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], NO_VALUE.filled()))
        .map_err(err)?;
    let (w, h) = (x1 - x0, y1 - y0);
    let mut d = 5;
    while d < w + h {
        // The line x' + y' = d inside the cell, from its top or right edge to its left or bottom edge.
        let a = (x0 + d.min(w), y0 + (d - w).max(0));
        let b = (x0 + (d - h).max(0), y0 + d.min(h));
        area.draw(&PathElement::new(vec![a, b], HATCH.stroke_width(1)))
            .map_err(err)?;
        d += 8;
    }
    Ok(())
}

/// Which labels of a row of cells `gap` pixels apart to write so that each has `need` pixels: every k-th, with k
/// the smallest of 1, 2, 5, 10, 20, 50, … that leaves the room.
fn stride(gap: f64, need: i32) -> usize {
    if gap <= 0.0 {
        return usize::MAX;
    }
    let k = (f64::from(need) / gap).ceil().max(1.0) as usize;
    let mut p = 1usize;
    loop {
        for m in [1, 2, 5] {
            if m * p >= k {
                return m * p;
            }
        }
        p = p.saturating_mul(10);
    }
}

// Room below the grid for the x axis, above it, and the width of the colour bar.
const X_AREA: i32 = 66;
const TOP: i32 = 10;
const BAR_W: i32 = 24;

/// Where the grid's cells lie, in pixels: columns from `x0` to `x1`, rows from `y1` (bottom) up to `y0`.
struct Cells {
    x0: i32,
    x1: i32,
    y0: i32,
    y1: i32,
    /// Width and height of a cell.
    cw: f64,
    ch: f64,
    /// White space between cells.
    gap: i32,
}

impl Cells {
    fn new((x0, x1): (i32, i32), (y0, y1): (i32, i32), nx: usize, ny: usize) -> Cells {
        let cw = f64::from(x1 - x0) / nx as f64;
        let ch = f64::from(y1 - y0) / ny as f64;
        // White gaps between cells big enough for them; in a dense grid they would only add a pattern.
        let gap = i32::from(cw >= 20.0 && ch >= 20.0);
        Cells {
            x0,
            x1,
            y0,
            y1,
            cw,
            ch,
            gap,
        }
    }

    /// The left edge of column `i`.
    fn col_x(&self, i: usize) -> i32 {
        self.x0 + (i as f64 * self.cw).round() as i32
    }

    /// The bottom edge of row `r`.
    fn row_y(&self, r: usize) -> i32 {
        self.y1 - (r as f64 * self.ch).round() as i32
    }
}

/// The colour bar's axis fitted to its height (from `top` down to `bottom`), and its tick labels.
struct ColourBar {
    axis: Axis,
    top: i32,
    bottom: i32,
    /// Pixel row and label of each tick.
    ticks: Vec<(i32, String)>,
    /// Width of the widest tick label.
    tick_w: i32,
}

impl ColourBar {
    /// The pixel row of `v`.
    fn px(&self, v: f64) -> i32 {
        let bar = &self.axis;
        self.bottom - ((v - bar.lo) / (bar.hi - bar.lo) * f64::from(self.bottom - self.top)).round() as i32
    }
}

impl HeatFigure {
    /// The colour bar beside a grid from `gy0` down to `gy1`.
    fn colour_bar(&self, gy0: i32, gy1: i32) -> ColourBar {
        let tick_h = measure("£0", TICK_PX).1;
        // The colour bar, shorter when a "no value" key sits below it.
        let key_h = if self.missing > 0 { 34 } else { 0 };
        let bar_bottom = gy1 - key_h;
        let mut bar = ColourBar {
            axis: self.bar.fit(bar_bottom - gy0, 60, |_| tick_h),
            top: gy0,
            bottom: bar_bottom,
            ticks: Vec::new(),
            tick_w: 0,
        };
        let mut ticks: Vec<(i32, String)> = bar
            .axis
            .ticks
            .iter()
            .map(|t| (bar.px(*t), bar.axis.label(*t)))
            .collect();
        if let Some(c) = self.centre.filter(|c| bar.axis.contains(*c)) {
            // The centre is always labelled; regular ticks too close to it make way.
            let pc = bar.px(c);
            ticks.retain(|(p, _)| (p - pc).abs() > tick_h + 6);
            ticks.push((pc, bar.axis.label(c)));
        }
        bar.tick_w = ticks.iter().map(|t| measure(&t.1, TICK_PX).0).max().unwrap_or(0);
        bar.ticks = ticks;
        bar
    }

    /// Every cell in its colour, or hatched where it has no value.
    fn draw_cells<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, g: &Cells) -> Result<(), String> {
        for (r, row) in self.z.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                let rect = (g.col_x(i), g.row_y(r + 1), g.col_x(i + 1) - g.gap, g.row_y(r) - g.gap);
                if usable(*v) {
                    root.draw(&Rectangle::new(
                        [(rect.0, rect.1), (rect.2, rect.3)],
                        self.scale.colour(*v).filled(),
                    ))
                    .map_err(err)?;
                } else {
                    hatched(root, rect)?;
                }
            }
        }
        Ok(())
    }

    /// The break-even contour along the cell edges, when the scale has a centre.
    fn draw_contour<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, g: &Cells) -> Result<(), String> {
        let Some(c) = self.centre else { return Ok(()) };
        // Edges run through the middle of the white gap between cells.
        let half = g.gap / 2;
        for e in contour(&self.z, c) {
            let line = if e.vertical {
                let x = g.col_x(e.col + 1) - g.gap + half;
                vec![(x, g.row_y(e.row + 1)), (x, g.row_y(e.row))]
            } else {
                let y = g.row_y(e.row + 1) - g.gap + half;
                vec![(g.col_x(e.col), y), (g.col_x(e.col + 1), y)]
            };
            root.draw(&PathElement::new(line, OI_BLACK.stroke_width(3)))
                .map_err(err)?;
        }
        Ok(())
    }

    /// Values in the cells, when the grid is small enough to read them.
    fn write_values<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, g: &Cells) -> Result<(), String> {
        if self.x_text.len() > MAX_WRITTEN || self.y_text.len() > MAX_WRITTEN {
            return Ok(());
        }
        let labels: Vec<Vec<String>> = self
            .z
            .iter()
            .map(|row| {
                row.iter()
                    .map(|v| {
                        if usable(*v) {
                            self.format.label(*v)
                        } else {
                            "no value".into()
                        }
                    })
                    .collect()
            })
            .collect();
        let widest = |px: f64| {
            labels
                .iter()
                .flatten()
                .map(|s| measure(s, px).0 * 7 / 6)
                .max()
                .unwrap_or(0)
        };
        let size = [LEGEND_PX, TICK_PX, NOTE_PX, 14.0]
            .into_iter()
            .find(|px| f64::from(widest(*px)) <= g.cw - 10.0 && f64::from(measure("0", *px).1) <= g.ch - 6.0);
        if let Some(px) = size {
            for (r, row) in self.z.iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    let at = (
                        (g.col_x(i) + g.col_x(i + 1) - g.gap) / 2,
                        (g.row_y(r + 1) + g.row_y(r) - g.gap) / 2,
                    );
                    let colour = if usable(*v) {
                        text_on(self.scale.colour(*v))
                    } else {
                        INK
                    };
                    text(root, &labels[r][i], px, colour, at, (HPos::Center, VPos::Center))?;
                }
            }
        }
        Ok(())
    }

    /// The axes' lines, ticks, labels and descriptions; `left` is the body's left edge.
    fn draw_axes<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, g: &Cells, left: i32) -> Result<(), String> {
        let (gx0, gx1, gy0, gy1) = (g.x0, g.x1, g.y0, g.y1);
        let (nx, ny) = (self.x_text.len(), self.y_text.len());
        let tick_h = measure("£0", TICK_PX).1;
        let label_h = measure("M", LABEL_PX).1;
        // Axes: lines on the left and bottom, ticks at the centres of the labelled cells.
        let axis = AXIS.stroke_width(1);
        root.draw(&PathElement::new(
            vec![(gx0 - 1, gy0), (gx0 - 1, gy1), (gx1, gy1)],
            axis,
        ))
        .map_err(err)?;
        let x_widest = self.x_text.iter().map(|s| measure(s, TICK_PX).0).max().unwrap_or(0);
        let every_x = stride(g.cw, x_widest + 24);
        for (i, s) in self.x_text.iter().enumerate().step_by(every_x.min(nx)) {
            let cx = (g.col_x(i) + g.col_x(i + 1)) / 2;
            root.draw(&PathElement::new(vec![(cx, gy1), (cx, gy1 + 5)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (cx, gy1 + 10), (HPos::Center, VPos::Top))?;
        }
        let every_y = stride(g.ch, tick_h + 8);
        for (r, s) in self.y_text.iter().enumerate().step_by(every_y.min(ny)) {
            let cy = (g.row_y(r) + g.row_y(r + 1)) / 2;
            root.draw(&PathElement::new(vec![(gx0 - 6, cy), (gx0 - 1, cy)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (gx0 - 11, cy), (HPos::Right, VPos::Center))?;
        }
        // Centred under the grid, so it has twice the room to the grid's middle.
        let x_desc = fit(&self.x_label, LABEL_PX, 2 * ((gx0 + gx1) / 2 - left) - 20);
        text(
            root,
            &x_desc,
            LABEL_PX,
            INK,
            ((gx0 + gx1) / 2, gy1 + 36),
            (HPos::Center, VPos::Top),
        )?;
        let y_desc = fit(&self.y_label, LABEL_PX, gy1 - gy0);
        vertical_text(root, &y_desc, LABEL_PX, INK, (left + 6 + label_h / 2, (gy0 + gy1) / 2))
    }

    /// The colour bar with its left edge at `px0`, and below it, down to `gy1`, the key to cells with no value.
    fn draw_colour_bar<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        bar: &ColourBar,
        px0: i32,
        gy1: i32,
    ) -> Result<(), String> {
        let (gy0, bar_bottom) = (bar.top, bar.bottom);
        let label_h = measure("M", LABEL_PX).1;
        let axis = AXIS.stroke_width(1);
        // The colour bar: a gradient in 2-pixel steps, its outline, ticks and description.
        let mut py = gy0;
        while py < bar_bottom {
            let v =
                bar.axis.hi - (f64::from(py - gy0) + 1.0) / f64::from(bar_bottom - gy0) * (bar.axis.hi - bar.axis.lo);
            let next = (py + 2).min(bar_bottom);
            root.draw(&Rectangle::new(
                [(px0, py), (px0 + BAR_W, next)],
                self.scale.colour(v).filled(),
            ))
            .map_err(err)?;
            py = next;
        }
        root.draw(&Rectangle::new([(px0, gy0), (px0 + BAR_W, bar_bottom)], axis))
            .map_err(err)?;
        for (p, s) in &bar.ticks {
            root.draw(&PathElement::new(vec![(px0 + BAR_W, *p), (px0 + BAR_W + 5, *p)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (px0 + BAR_W + 9, *p), (HPos::Left, VPos::Center))?;
        }
        if let Some(c) = self.centre.filter(|c| bar.axis.contains(*c)) {
            let pc = bar.px(c);
            root.draw(&PathElement::new(
                vec![(px0 - 4, pc), (px0 + BAR_W + 5, pc)],
                OI_BLACK.stroke_width(2),
            ))
            .map_err(err)?;
        }
        let z_desc = fit(&self.z_label, LABEL_PX, bar_bottom - gy0);
        let zx = px0 + BAR_W + 9 + bar.tick_w * 7 / 6 + 10 + label_h / 2;
        vertical_text(root, &z_desc, LABEL_PX, INK, (zx, (gy0 + bar_bottom) / 2))?;
        if self.missing > 0 {
            let top = gy1 - 20;
            hatched(root, (px0, top, px0 + BAR_W, gy1))?;
            root.draw(&Rectangle::new([(px0, top), (px0 + BAR_W, gy1)], axis))
                .map_err(err)?;
            text(
                root,
                "no value",
                NOTE_PX,
                INK,
                (px0 + BAR_W + 8, top + 10),
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }
}

impl Figure for HeatFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let frame = Frame {
            title: &self.title,
            subtitle: &self.subtitle,
            legend: &[],
            notes: &self.notes,
        };
        let body = frame.draw(root)?;
        let (nx, ny) = (self.x_text.len(), self.y_text.len());
        if nx == 0 || ny == 0 {
            return message_box(&body, "nothing to show: the grid is empty");
        }
        let (bx, by) = body.get_pixel_range();
        let (gy0, gy1) = (by.start + TOP, by.end - X_AREA);
        let label_h = measure("M", LABEL_PX).1;
        let bar = self.colour_bar(gy0, gy1);
        let key_w = if self.missing > 0 {
            BAR_W + 8 + measure("no value", NOTE_PX).0 * 7 / 6
        } else {
            0
        };
        let panel_w = (BAR_W + 10 + bar.tick_w * 7 / 6 + 14 + label_h + 6).max(key_w + 4);
        // The grid, left of the colour bar, with room for the y labels and the rotated description.
        let y_widest = self.y_text.iter().map(|s| measure(s, TICK_PX).0).max().unwrap_or(30);
        let left = (y_widest + 54).max(74);
        let cells = Cells::new((bx.start + left, bx.end - panel_w - 36), (gy0, gy1), nx, ny);
        self.draw_cells(root, &cells)?;
        self.draw_contour(root, &cells)?;
        self.write_values(root, &cells)?;
        self.draw_axes(root, &cells, bx.start)?;
        self.draw_colour_bar(root, &bar, cells.x1 + 36, gy1)
    }
}
