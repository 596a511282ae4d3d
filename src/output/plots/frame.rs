//! Layout shared by all figures: the frame (title, subtitle, legend strip, notes), charts with our ticks, grid and
//! axis descriptions, reference lines and the message box that stands in for an empty plot.

use super::axis::{Axis, Ticked};
use super::colours::{AXIS, GRID, INK, MUTED};
use super::legend::{draw_legend, legend_height, Entry};
use super::render::err;
use super::text::{fit, measure, text, vertical_text, wrap, LABEL_PX, NOTE_PX, SUBTITLE_PX, TICK_PX, TITLE_PX};
use plotters::backend::DrawingBackend;
use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{DashedPathElement, PathElement, Rectangle};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, ShapeStyle, TRANSPARENT, WHITE};

/// Distance between the baselines of a two-line title.
const TITLE_LINE: i32 = 38;
/// The margin left and right of a figure, in pixels.
pub(super) const SIDE: i32 = 24;

/// The parts around a figure's plot region: title, optional subtitle, legend strip and notes at the bottom.
pub(super) struct Frame<'a> {
    pub(super) title: &'a str,
    pub(super) subtitle: &'a str,
    pub(super) legend: &'a [Entry],
    pub(super) notes: &'a [String],
}

impl Frame<'_> {
    /// Draws the frame and returns the area left for the plot.
    pub(super) fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<DrawingArea<DB, Shift>, String> {
        root.fill(&WHITE).map_err(err)?;
        let (w, h) = root.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        // A long title (a scenario's title, a subgroup and two arms' labels) takes up to three lines rather than
        // losing its end.
        let title = wrap(self.title, TITLE_PX, w - 2 * SIDE, 3);
        for (i, line) in title.iter().enumerate() {
            text(
                root,
                line,
                TITLE_PX,
                INK,
                (SIDE, 14 + TITLE_LINE * i as i32),
                (HPos::Left, VPos::Top),
            )?;
        }
        let mut top = 58 + TITLE_LINE * (title.len().max(1) as i32 - 1);
        for line in wrap(self.subtitle, SUBTITLE_PX, w - 2 * SIDE, 2) {
            text(root, &line, SUBTITLE_PX, MUTED, (SIDE, top), (HPos::Left, VPos::Top))?;
            top += 30;
        }
        let lh = legend_height(self.legend, w);
        if lh > 0 {
            let (_, below) = root.split_vertically(top);
            draw_legend(&below, self.legend)?;
            top += lh;
        }
        let note_h = 24;
        let notes: Vec<String> = (self.notes.iter())
            .flat_map(|note| wrap(note, NOTE_PX, w - 2 * SIDE, 3))
            .collect();
        let bottom = h - 8 - note_h * notes.len() as i32;
        for (i, line) in notes.iter().enumerate() {
            let y = bottom + 4 + note_h * i as i32;
            text(root, line, NOTE_PX, MUTED, (SIDE, y), (HPos::Left, VPos::Top))?;
        }
        let (_, rest) = root.split_vertically(top);
        let (body, _) = rest.split_vertically((bottom - top).max(50));
        Ok(body.margin(4, 0, 8, 8))
    }
}

/// A chart with our ticked coordinates on both axes.
pub(super) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// A chart on `area` with the house frame and grid lines at the ticks but no tick labels (callers draw those
/// themselves, measured, so they never collide). `margins` are top, right, x-label area and y-label area in pixels.
pub(super) fn gridded_chart<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: Ticked,
    y: Ticked,
    margins: [i32; 4],
) -> Result<Chart<'a, DB>, String> {
    let [top, right, x_area, y_area] = margins;
    let mut c = ChartBuilder::on(area)
        .margin_top(top)
        .margin_right(right)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    let blank = |_: &f64| String::new();
    c.configure_mesh()
        .x_label_formatter(&blank)
        .y_label_formatter(&blank)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(1))
        .set_all_tick_mark_size(5)
        .draw()
        .map_err(err)?;
    Ok(c)
}

/// A chart on `area` with our ticks, formats, grid and axis descriptions.
///
/// Tick labels and axis descriptions are drawn here rather than by plotters, so they get the same text
/// rendering as everything else, and so the number of ticks can follow the space the chart actually has.
pub(super) fn chart<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
    y_area_min: i32,
) -> Result<Chart<'a, DB>, String> {
    const X_AREA: i32 = 66;
    const TOP: i32 = 10;
    const RIGHT: i32 = 30;
    let (aw, ah) = area.dim_in_pixel();
    let (aw, ah) = (aw as i32, ah as i32);
    let tick_h = measure("£0", TICK_PX).1;
    let y = y.fit(ah - X_AREA - TOP, 60, |_| tick_h);
    let widest = y
        .ticks
        .iter()
        .map(|t| measure(&y.label(*t), TICK_PX).0)
        .max()
        .unwrap_or(30);
    // Room for the widest tick label, the gap to the axis and the rotated description beside them.
    let y_area = (widest + 54).max(74).max(y_area_min);
    let x = x.fit(aw - y_area - RIGHT, 60, |s| measure(s, TICK_PX).0);
    let c = gridded_chart(area, x.coord(), y.coord(), [TOP, RIGHT, X_AREA, y_area])?;
    // Positions from the chart are absolute; `area` draws relative to its own corner.
    let (ax, ay) = area.get_base_pixel();
    let (px, py) = c.plotting_area().get_pixel_range();
    for t in &x.ticks {
        let (tx, _) = c.backend_coord(&(*t, y.lo));
        text(
            area,
            &x.label(*t),
            TICK_PX,
            INK,
            (tx - ax, py.end - ay + 10),
            (HPos::Center, VPos::Top),
        )?;
    }
    for t in &y.ticks {
        let (_, ty) = c.backend_coord(&(x.lo, *t));
        text(
            area,
            &y.label(*t),
            TICK_PX,
            INK,
            (px.start - ax - 11, ty - ay),
            (HPos::Right, VPos::Center),
        )?;
    }
    x_description(area, &c, x_desc)?;
    let mid_y = (py.start + py.end) / 2 - ay;
    let y_desc = fit(y_desc, LABEL_PX, py.end - py.start);
    vertical_text(area, &y_desc, LABEL_PX, INK, (6 + measure("M", LABEL_PX).1 / 2, mid_y))?;
    Ok(c)
}

/// A vertical line across the whole y range of a chart.
pub(super) fn vline<DB: DrawingBackend>(
    c: &mut Chart<DB>,
    y: &Axis,
    x: f64,
    st: ShapeStyle,
    dashed: bool,
) -> Result<(), String> {
    let pts = vec![(x, y.lo), (x, y.hi)];
    if dashed {
        c.draw_series(std::iter::once(DashedPathElement::new(pts, 9, 6, st)))
            .map_err(err)?;
    } else {
        c.draw_series(std::iter::once(PathElement::new(pts, st))).map_err(err)?;
    }
    Ok(())
}

/// A horizontal line across the whole x range of a chart.
pub(super) fn hline<DB: DrawingBackend>(
    c: &mut Chart<DB>,
    x: &Axis,
    y: f64,
    st: ShapeStyle,
    dashed: bool,
) -> Result<(), String> {
    let pts = vec![(x.lo, y), (x.hi, y)];
    if dashed {
        c.draw_series(std::iter::once(DashedPathElement::new(pts, 9, 6, st)))
            .map_err(err)?;
    } else {
        c.draw_series(std::iter::once(PathElement::new(pts, st))).map_err(err)?;
    }
    Ok(())
}

/// A light grey frame with `msg` in its middle, in place of a plot that has nothing to show.
pub(super) fn message_box<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, msg: &str) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new([(0, 0), (w - 1, h - 1)], GRID.stroke_width(2)))
        .map_err(err)?;
    let msg = fit(msg, LABEL_PX, w - 20);
    text(
        area,
        &msg,
        LABEL_PX,
        MUTED,
        (w / 2, h / 2),
        (HPos::Center, VPos::Center),
    )
}

/// Draws the description of a chart's x axis centred under its plotting area, below the tick labels, shortened to
/// fit the width of `area`.
pub(super) fn x_description<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Chart<DB>,
    desc: &str,
) -> Result<(), String> {
    // Positions from the chart are absolute; `area` draws relative to its own corner.
    let (ax, ay) = area.get_base_pixel();
    let (px, py) = c.plotting_area().get_pixel_range();
    let desc = fit(desc, LABEL_PX, area.dim_in_pixel().0 as i32 - 20);
    let mid_x = (px.start + px.end) / 2 - ax;
    text(
        area,
        &desc,
        LABEL_PX,
        INK,
        (mid_x, py.end - ay + 36),
        (HPos::Center, VPos::Top),
    )
}
