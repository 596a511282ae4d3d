//! Legends: swatches and labels laid out left to right in rows, and the marker of an arm's mean.

use super::colours::{INK, OI_BLACK};
use super::frame::SIDE;
use super::render::err;
use super::text::{fit, measure, text, LEGEND_PX};
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Circle, DashedPathElement, PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBAColor, RGBColor, WHITE};

/// What a legend entry shows beside its label.
pub(super) enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor, u32),
    Thick(RGBAColor, u32),
    Fill(RGBAColor),
    /// A few small dots and a large ringed circle: an arm's iterations and its mean on the CE plane.
    Cloud(RGBColor),
}

/// One entry of a legend: a swatch and its label.
pub(super) struct Entry {
    pub(super) swatch: Swatch,
    pub(super) label: String,
}

const SWATCH_W: i32 = 40;
const LEGEND_ROW: i32 = 30;

/// Places legend entries left to right, wrapping to new rows; returns (x, row, fitted label) per entry.
fn legend_layout(entries: &[Entry], width: i32) -> Vec<(i32, i32, String)> {
    let avail = (width - 2 * SIDE).max(100);
    let mut out = Vec::new();
    let (mut x, mut row) = (SIDE, 0);
    for e in entries {
        let label = fit(&e.label, LEGEND_PX, avail - SWATCH_W - 10);
        // Room for a wider fallback font in SVG viewers, as in `fit`.
        let w = SWATCH_W + 10 + measure(&label, LEGEND_PX).0 * 7 / 6;
        if x > SIDE && x + w > SIDE + avail {
            x = SIDE;
            row += 1;
        }
        out.push((x, row, label));
        x += w + 30;
    }
    out
}

pub(super) fn legend_height(entries: &[Entry], width: i32) -> i32 {
    match legend_layout(entries, width).last() {
        Some((_, rows, _)) => (rows + 1) * LEGEND_ROW + 6,
        None => 0,
    }
}

fn draw_swatch<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, s: &Swatch, x: i32, y: i32) -> Result<(), String> {
    let (x0, x1) = (x, x + SWATCH_W);
    match s {
        Swatch::Line(c, w) => area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(*w))),
        Swatch::Dashed(c, w) => area.draw(&DashedPathElement::new(
            vec![(x0, y), (x1, y)],
            8,
            5,
            c.stroke_width(*w),
        )),
        Swatch::Thick(c, w) => area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(*w))),
        Swatch::Fill(c) => area.draw(&Rectangle::new([(x0, y - 9), (x1, y + 9)], c.filled())),
        Swatch::Cloud(c) => {
            for (dx, dy) in [(3, -5), (9, 4), (14, -2), (6, 7), (12, -8)] {
                area.draw(&Circle::new((x0 + dx, y + dy), 2, c.mix(0.6).filled()))
                    .map_err(err)?;
            }
            return mean_marker(area, (x1 - 10, y), 8, *c);
        }
    }
    .map_err(err)
}

pub(super) fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
    let width = area.dim_in_pixel().0 as i32;
    for ((x, row, label), e) in legend_layout(entries, width).iter().zip(entries) {
        let y = row * LEGEND_ROW + LEGEND_ROW / 2 + 2;
        draw_swatch(area, &e.swatch, *x, y)?;
        text(
            area,
            label,
            LEGEND_PX,
            INK,
            (x + SWATCH_W + 10, y),
            (HPos::Left, VPos::Center),
        )?;
    }
    Ok(())
}

/// A mean: the arm's colour inside a white ring and a black rim, so it stands out from its own cloud.
pub(super) fn mean_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    r: i32,
    colour: RGBColor,
) -> Result<(), String> {
    area.draw(&Circle::new(at, r as u32, WHITE.filled())).map_err(err)?;
    area.draw(&Circle::new(at, (r - 3) as u32, colour.filled()))
        .map_err(err)?;
    area.draw(&Circle::new(at, r as u32, OI_BLACK.stroke_width(2)))
        .map_err(err)
}
