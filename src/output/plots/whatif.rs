//! What-if figures: a measure swept against one parameter (lines with bands), over a grid of two parameters (a
//! heat map), and with one parameter at a time at its low and high values (a tornado diagram).
//!
//! A child of `plots`, so these figures share its frame, font, text fitting, tick formats, palette and rendering:
//! each public function lays its figure out once and `render` draws it as a PNG and an SVG. As there, nothing
//! trusts its input: non-finite values are skipped and counted, degenerate ranges are padded, and free text is
//! cleaned and fitted to the room it has.

use super::*;

/// How values on an axis or in cells read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueFormat {
    /// Pounds: "£12k", "−£450".
    Money,
    /// Pounds back per pound spent: "£1.20".
    PerPound,
    /// A probability 0–1 written as a percentage: "35%".
    Probability,
    /// A plain number: "0.25", "12,000".
    Number,
}

impl ValueFormat {
    fn fmt(self) -> Fmt {
        match self {
            ValueFormat::Money => Fmt::Money,
            ValueFormat::PerPound => Fmt::Ratio,
            ValueFormat::Probability => Fmt::Probability,
            ValueFormat::Number => Fmt::Number,
        }
    }

    /// One value, compact: "£12k", "£1.20", "35%", "0.25"; "n/a" if it is not a finite number.
    fn label(self, v: f64) -> String {
        if !v.is_finite() {
            return "n/a".to_string();
        }
        match self {
            ValueFormat::Money if v.abs() < 0.005 => "£0".to_string(),
            ValueFormat::Money => money_label(v),
            ValueFormat::PerPound => ratio_label(v),
            ValueFormat::Probability if (0.0..=1.0).contains(&v) => percent_label(v),
            ValueFormat::Probability => format!("{}%", number_label(v * 100.0, 0)),
            ValueFormat::Number => plain_number(v),
        }
    }

    /// One value in full where a single figure has the room: money in whole pounds below £1m ("£2,518").
    fn full(self, v: f64) -> String {
        match self {
            ValueFormat::Money if v.is_finite() && v.abs() >= 10.0 && v.abs() < 1e6 => {
                let sign = if v < 0.0 { "−" } else { "" };
                format!("{sign}£{}", number_label(v.abs(), 0))
            }
            _ => self.label(v),
        }
    }
}

/// A number to three significant figures (more for large whole numbers), with a real minus sign: "68.9", "128",
/// "0.25", "12,345".
fn plain_number(v: f64) -> String {
    let s = signed_number(v);
    match s.strip_prefix('+') {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Labels for the values of a grid axis, with the decimals their spacing needs and no more ("80", "90"; "0.10",
/// "0.15"), so neighbouring labels never read the same.
fn grid_labels(values: &[f64]) -> Vec<String> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| usable(*v)).collect();
    sorted.sort_by(f64::total_cmp);
    let step = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    values
        .iter()
        .map(|&v| {
            if !usable(v) {
                "n/a".to_string()
            } else if v == 0.0 {
                "0".to_string()
            } else if step.is_finite() {
                let significant = (2 - step.log10().floor() as i32).clamp(0, 6) as usize;
                number_label(v, decimals_for(step).min(significant))
            } else {
                plain_number(v)
            }
        })
        .collect()
}

/// `text` cleaned, or `fallback` if nothing is left.
fn or_unnamed(text: &str, fallback: &str) -> String {
    let t = clean(text);
    if t.is_empty() {
        fallback.to_string()
    } else {
        t
    }
}

/// Whether a reference at `r` can join data spanning `lo`–`hi` on one axis without squashing the data into less
/// than a quarter of it.
fn near(r: f64, (lo, hi): (f64, f64)) -> bool {
    let (lo, hi) = sane(lo, hi);
    (hi - lo) >= 0.25 * (hi.max(r) - lo.min(r))
}

// ---------------------------------------------------------------------------------------------------------------
// Lines of a measure against a varied parameter.

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

struct SweepLine {
    label: String,
    colour: RGBColor,
    line: Runs,
    /// Closed polygons; a polygon of two points is a band at a single x.
    band: Runs,
}

struct SweepFigure {
    title: String,
    x_label: String,
    y_label: String,
    lines: Vec<SweepLine>,
    /// Shown only when it fits on the chart (otherwise said in a note).
    reference: Option<(f64, String)>,
    markers: Vec<(f64, String)>,
    has_note: bool,
    x: Axis,
    y: Axis,
    notes: Vec<String>,
    empty: bool,
}

/// Height of one row of marker labels at the top of a sweep chart.
const MARKER_ROW: i32 = 26;

impl SweepFigure {
    #[allow(clippy::too_many_arguments)] // mirrors `sweep_lines`
    fn new(
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
        let at = |v: &[f64], j: usize| v.get(j).copied().unwrap_or(f64::NAN);
        let lines: Vec<SweepLine> = series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let order = lambda_order(s.x);
                bad += s.x.len() - order.len();
                bad += order.iter().filter(|&&j| !usable(at(s.y, j))).count();
                let line = runs(order.iter().map(|&j| (s.x[j], at(s.y, j))));
                let band = match s.band {
                    Some((lo, hi)) => {
                        bad += order
                            .iter()
                            .filter(|&&j| !(usable(at(lo, j)) && usable(at(hi, j))))
                            .count();
                        super::band(s.x, lo, hi, &order)
                    }
                    None => Vec::new(),
                };
                SweepLine {
                    label: or_unnamed(&s.label, "(unnamed series)"),
                    colour: arm_colour(i),
                    line,
                    band,
                }
            })
            .collect();
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
        let reference = reference
            .filter(|(r, _)| usable(*r))
            .map(|(r, l)| (r, or_unnamed(l, "reference")))
            .filter(|(r, l)| {
                let shown = ys.is_none_or(|e| near(*r, e));
                if !shown {
                    off.push(format!("{l} ({})", format.full(*r)));
                }
                shown
            });
        let markers: Vec<(f64, String)> = markers
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
            .collect();
        if !off.is_empty() {
            notes.push(format!("Off the chart: {}.", off.join("; ")));
        }
        if bad > 0 {
            notes.push(format!("{} skipped.", plural(bad, "non-finite or missing value")));
        }
        let (x0, x1) = extent(
            xs.into_iter()
                .flat_map(|e| [e.0, e.1])
                .chain(markers.iter().map(|m| m.0)),
        )
        .unwrap_or((0.0, 1.0));
        let x = Axis::new(x0, x1, 8, Fmt::Number);
        let (y0, y1) = extent(
            ys.into_iter()
                .flat_map(|e| [e.0, e.1])
                .chain(reference.as_ref().map(|r| r.0)),
        )
        .unwrap_or((0.0, 1.0));
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
}

impl Figure for SweepFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
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
        let (xr, yr) = c.plotting_area().get_pixel_range();
        let plot_w = xr.end - xr.start;
        for m in &self.markers {
            vline(&mut c, &self.y, m.0, MUTED.stroke_width(2), true)?;
        }
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
        if let Some((r, _)) = &self.reference {
            hline(&mut c, &self.x, *r, OI_BLACK.stroke_width(2), true)?;
        }
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
        // Each label beside the top of its line, joined to it; rows beyond the strip (rare: the estimate was
        // short) go inside the top of the plot.
        let px: Vec<i32> = labels.iter().map(|l| c.backend_coord(&(l.0, self.y.lo)).0).collect();
        let rows = marker_rows(
            &px.iter().zip(&labels).map(|(p, l)| (*p, l.2)).collect::<Vec<_>>(),
            xr.end,
        );
        for ((row, right), (p, (_, s, _))) in rows.iter().zip(px.iter().zip(&labels)) {
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

/// Lines (with bands) of a measure against a varied parameter: one series per comparison. `reference` draws a
/// horizontal dashed line with a label (e.g. (1.0, "break-even: £1 back per £1")); `markers` draw labelled vertical
/// lines (e.g. a threshold crossing, or the base-case value). `note` is a one-line footnote (may be empty).
///
/// A reference or marker so far from the data that it would squash them is left off and named in a note. What a
/// band is (e.g. "2.5th–97.5th percentile") is for `note` to say; the legend points there.
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface
pub fn sweep_lines(
    base: &Path,
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

// ---------------------------------------------------------------------------------------------------------------
// Heat map over a two-parameter grid.

/// Grids larger than this on an axis show every k-th row or column, so the SVG stays a sensible size.
const MAX_GRID: usize = 200;
/// Cell values are written in the cells up to this many rows and columns.
const MAX_WRITTEN: usize = 12;

/// Cells with no value: light grey, hatched.
const NO_VALUE: RGBColor = RGBColor(0xE2, 0xE2, 0xE2);
const HATCH: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Viridis at eleven evenly spaced points: sequential, perceptually even and colour-blind safe.
const VIRIDIS: [RGBColor; 11] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x48, 0x24, 0x75),
    RGBColor(0x41, 0x44, 0x87),
    RGBColor(0x35, 0x5F, 0x8D),
    RGBColor(0x2A, 0x78, 0x8E),
    RGBColor(0x21, 0x91, 0x8C),
    RGBColor(0x22, 0xA8, 0x84),
    RGBColor(0x44, 0xBF, 0x70),
    RGBColor(0x7A, 0xD1, 0x51),
    RGBColor(0xBD, 0xDF, 0x26),
    RGBColor(0xFD, 0xE7, 0x25),
];
/// The neutral middle of the diverging scale: just off white, so cells there still read as cells.
const DIVERGING_MID: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);
/// Below the centre: from the middle out to Okabe–Ito vermillion and a darker shade of it.
const BELOW: [RGBColor; 4] = [
    DIVERGING_MID,
    RGBColor(0xF5, 0xC6, 0xA3),
    OI_VERMILLION,
    RGBColor(0x8A, 0x3A, 0x00),
];
/// Above the centre: from the middle out to Okabe–Ito blue and a darker shade of it.
const ABOVE: [RGBColor; 4] = [
    DIVERGING_MID,
    RGBColor(0xB3, 0xD5, 0xEC),
    OI_BLUE,
    RGBColor(0x00, 0x3F, 0x66),
];

/// The colour at `t` (0–1) along evenly spaced stops.
fn ramp(stops: &[RGBColor], t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (stops.len() - 1) as f64;
    let i = (pos.floor() as usize).min(stops.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + f * (f64::from(q) - f64::from(p))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Relative luminance (WCAG).
fn luminance(c: RGBColor) -> f64 {
    let lin = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
}

/// White or near-black, whichever contrasts more with `background`.
fn text_on(background: RGBColor) -> RGBColor {
    let l = luminance(background);
    let (white, ink) = (1.05 / (l + 0.05), (l + 0.05) / (luminance(INK) + 0.05));
    if white > ink {
        WHITE
    } else {
        INK
    }
}

#[derive(Clone, Copy, Debug)]
enum Scale {
    /// Symmetric about `centre`: equal distances either side get equally strong colours.
    Diverging {
        centre: f64,
        half: f64,
    },
    Sequential {
        lo: f64,
        hi: f64,
    },
}

impl Scale {
    fn colour(self, v: f64) -> RGBColor {
        match self {
            Scale::Diverging { centre, half } => {
                let t = (v - centre) / half;
                if t < 0.0 {
                    ramp(&BELOW, -t)
                } else {
                    ramp(&ABOVE, t)
                }
            }
            Scale::Sequential { lo, hi } => ramp(&VIRIDIS, (v - lo) / (hi - lo)),
        }
    }
}

struct HeatFigure {
    title: String,
    subtitle: String,
    x_label: String,
    y_label: String,
    z_label: String,
    format: ValueFormat,
    /// Labels of the columns (left to right) and rows (bottom to top) shown.
    x_text: Vec<String>,
    y_text: Vec<String>,
    /// Values by shown row (bottom first), then column.
    z: Vec<Vec<f64>>,
    scale: Scale,
    bar: Axis,
    centre: Option<f64>,
    missing: usize,
    notes: Vec<String>,
}

/// Indices of usable values in increasing order, thinned to at most `MAX_GRID`; and how many were thinned.
fn grid_order(v: &[f64]) -> (Vec<usize>, usize) {
    let idx = lambda_order(v);
    let every = idx.len().div_ceil(MAX_GRID).max(1);
    (idx.iter().copied().step_by(every).collect(), every)
}

impl HeatFigure {
    #[allow(clippy::too_many_arguments)] // mirrors `heat_map`
    fn new(
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
        let scale = match (centre, data) {
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
        };
        let bar = match scale {
            Scale::Diverging { centre, .. } => {
                let (lo, hi) = data.unwrap_or((centre, centre));
                let (lo, hi) = sane(lo.min(centre), hi.max(centre));
                Axis::new(lo, hi, 6, format.fmt())
            }
            Scale::Sequential { lo, hi } => Axis::new(lo, hi, 6, format.fmt()),
        };
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
        const X_AREA: i32 = 66;
        const TOP: i32 = 10;
        const BAR_W: i32 = 24;
        let (bx, by) = body.get_pixel_range();
        let (gy0, gy1) = (by.start + TOP, by.end - X_AREA);
        let tick_h = measure("£0", TICK_PX).1;
        let label_h = measure("M", LABEL_PX).1;
        // The colour bar, shorter when a "no value" key sits below it.
        let key_h = if self.missing > 0 { 34 } else { 0 };
        let bar_bottom = gy1 - key_h;
        let bar = self.bar.fit(bar_bottom - gy0, 60, |_| tick_h);
        let bar_px =
            |v: f64| bar_bottom - ((v - bar.lo) / (bar.hi - bar.lo) * f64::from(bar_bottom - gy0)).round() as i32;
        let mut ticks: Vec<(i32, String)> = bar.ticks.iter().map(|t| (bar_px(*t), bar.label(*t))).collect();
        if let Some(c) = self.centre.filter(|c| bar.contains(*c)) {
            // The centre is always labelled; regular ticks too close to it make way.
            let pc = bar_px(c);
            ticks.retain(|(p, _)| (p - pc).abs() > tick_h + 6);
            ticks.push((pc, bar.label(c)));
        }
        let tick_w = ticks.iter().map(|t| measure(&t.1, TICK_PX).0).max().unwrap_or(0);
        let key_w = if self.missing > 0 {
            BAR_W + 8 + measure("no value", NOTE_PX).0 * 7 / 6
        } else {
            0
        };
        let panel_w = (BAR_W + 10 + tick_w * 7 / 6 + 14 + label_h + 6).max(key_w + 4);
        // The grid, left of the colour bar, with room for the y labels and the rotated description.
        let y_widest = self.y_text.iter().map(|s| measure(s, TICK_PX).0).max().unwrap_or(30);
        let left = (y_widest + 54).max(74);
        let (gx0, gx1) = (bx.start + left, bx.end - panel_w - 36);
        let cw = f64::from(gx1 - gx0) / nx as f64;
        let ch = f64::from(gy1 - gy0) / ny as f64;
        let col_x = |i: usize| gx0 + (i as f64 * cw).round() as i32;
        let row_y = |r: usize| gy1 - (r as f64 * ch).round() as i32;
        // White gaps between cells big enough for them; in a dense grid they would only add a pattern.
        let gap = i32::from(cw >= 20.0 && ch >= 20.0);
        for (r, row) in self.z.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                let rect = (col_x(i), row_y(r + 1), col_x(i + 1) - gap, row_y(r) - gap);
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
        // Values in the cells, when the grid is small enough to read them.
        if nx <= MAX_WRITTEN && ny <= MAX_WRITTEN {
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
                .find(|px| f64::from(widest(*px)) <= cw - 10.0 && f64::from(measure("0", *px).1) <= ch - 6.0);
            if let Some(px) = size {
                for (r, row) in self.z.iter().enumerate() {
                    for (i, v) in row.iter().enumerate() {
                        let at = ((col_x(i) + col_x(i + 1) - gap) / 2, (row_y(r + 1) + row_y(r) - gap) / 2);
                        let colour = if usable(*v) {
                            text_on(self.scale.colour(*v))
                        } else {
                            INK
                        };
                        text(root, &labels[r][i], px, colour, at, (HPos::Center, VPos::Center))?;
                    }
                }
            }
        }
        // Axes: lines on the left and bottom, ticks at the centres of the labelled cells.
        let axis = AXIS.stroke_width(1);
        root.draw(&PathElement::new(
            vec![(gx0 - 1, gy0), (gx0 - 1, gy1), (gx1, gy1)],
            axis,
        ))
        .map_err(err)?;
        let x_widest = self.x_text.iter().map(|s| measure(s, TICK_PX).0).max().unwrap_or(0);
        let every_x = stride(cw, x_widest + 24);
        for (i, s) in self.x_text.iter().enumerate().step_by(every_x.min(nx)) {
            let cx = (col_x(i) + col_x(i + 1)) / 2;
            root.draw(&PathElement::new(vec![(cx, gy1), (cx, gy1 + 5)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (cx, gy1 + 10), (HPos::Center, VPos::Top))?;
        }
        let every_y = stride(ch, tick_h + 8);
        for (r, s) in self.y_text.iter().enumerate().step_by(every_y.min(ny)) {
            let cy = (row_y(r) + row_y(r + 1)) / 2;
            root.draw(&PathElement::new(vec![(gx0 - 6, cy), (gx0 - 1, cy)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (gx0 - 11, cy), (HPos::Right, VPos::Center))?;
        }
        // Centred under the grid, so it has twice the room to the grid's middle.
        let x_desc = fit(&self.x_label, LABEL_PX, 2 * ((gx0 + gx1) / 2 - bx.start) - 20);
        text(
            root,
            &x_desc,
            LABEL_PX,
            INK,
            ((gx0 + gx1) / 2, gy1 + 36),
            (HPos::Center, VPos::Top),
        )?;
        let y_desc = fit(&self.y_label, LABEL_PX, gy1 - gy0);
        vertical_text(
            root,
            &y_desc,
            LABEL_PX,
            INK,
            (bx.start + 6 + label_h / 2, (gy0 + gy1) / 2),
        )?;
        // The colour bar: a gradient in 2-pixel steps, its outline, ticks and description.
        let px0 = gx1 + 36;
        let mut py = gy0;
        while py < bar_bottom {
            let v = bar.hi - (f64::from(py - gy0) + 1.0) / f64::from(bar_bottom - gy0) * (bar.hi - bar.lo);
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
        for (p, s) in &ticks {
            root.draw(&PathElement::new(vec![(px0 + BAR_W, *p), (px0 + BAR_W + 5, *p)], axis))
                .map_err(err)?;
            text(root, s, TICK_PX, INK, (px0 + BAR_W + 9, *p), (HPos::Left, VPos::Center))?;
        }
        if let Some(c) = self.centre.filter(|c| bar.contains(*c)) {
            let pc = bar_px(c);
            root.draw(&PathElement::new(
                vec![(px0 - 4, pc), (px0 + BAR_W + 5, pc)],
                OI_BLACK.stroke_width(2),
            ))
            .map_err(err)?;
        }
        let z_desc = fit(&self.z_label, LABEL_PX, bar_bottom - gy0);
        let zx = px0 + BAR_W + 9 + tick_w * 7 / 6 + 10 + label_h / 2;
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

/// A heat map of a measure over a two-parameter grid: `z[iy][ix]` at (`x[ix]`, `y[iy]`); non-finite cells drawn as
/// "no value" (hatched) and said so in the key below the colour bar and in a note. With `centre` (e.g. break-even
/// 1.0 for the BCR, 0 for net savings), a diverging vermillion–grey–blue scale symmetric about it (vermillion
/// below, blue above); without, viridis. A colour bar with ticks in `format`. Each cell's value is written in it
/// when the grid is at most 12×12 and the values fit, in black or white, whichever contrasts more.
///
/// Rows and columns are drawn in increasing order of their values; grid values that are not finite are skipped,
/// and grids over 200 on a side are thinned (both said in notes).
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface
pub fn heat_map(
    base: &Path,
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

// ---------------------------------------------------------------------------------------------------------------
// Tornado diagram.

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

/// Most bars drawn; the rest are named in a note.
const MAX_BARS: usize = 15;
const LOW_COLOUR: RGBColor = OI_BLUE;
const HIGH_COLOUR: RGBColor = OI_VERMILLION;

struct TornadoRow {
    name: String,
    /// The parameter's low and high values, "(68.9 to 128)".
    range: String,
    at_low: f64,
    at_high: f64,
}

struct TornadoFigure {
    title: String,
    measure_label: String,
    format: ValueFormat,
    base: Option<f64>,
    rows: Vec<TornadoRow>,
    /// Extent of everything drawn (base and bar ends).
    span: (f64, f64),
    notes: Vec<String>,
}

impl TornadoFigure {
    fn new(
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
        const X_AREA: i32 = 66;
        const TOP: i32 = 34;
        const RIGHT: i32 = 30;
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
        let px = |v: f64| x0 + ((v - x.lo) / (x.hi - x.lo) * f64::from(plot_w)).round() as i32;
        // Grid and axes as in the other charts.
        for t in &x.ticks {
            let p = px(*t);
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
        let desc = fit(&self.measure_label, LABEL_PX, 2 * (bx.end - (x0 + x1) / 2) - 20);
        text(
            root,
            &desc,
            LABEL_PX,
            INK,
            ((x0 + x1) / 2, y1 + 36),
            (HPos::Center, VPos::Top),
        )?;
        // Bars: each row's farther end first, so a nearer end on the same side is drawn over it and both show.
        let row_h = f64::from(y1 - y0) / self.rows.len() as f64;
        let thick = (row_h * 0.6).clamp(2.0, 40.0) as i32;
        for (i, (row, label)) in self.rows.iter().zip(&labels).enumerate() {
            let cy = y0 + (row_h * (i as f64 + 0.5)).round() as i32;
            text(root, label, TICK_PX, INK, (x0 - 10, cy), (HPos::Right, VPos::Center))?;
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
        }
        if let Some(b) = self.base {
            let p = px(b);
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

/// A tornado diagram: horizontal bars from the base value to the measure at each parameter's low and at its high
/// value (two colours, in a legend), in the order given (largest swing first, at the top), a vertical line at
/// `base_value` labelled ("base case £2,518"), and each bar's label with its low–high values
/// ("home_care_weekly (68.9 to 128)"). At most 15 bars are drawn; a note says how many more are in tornado.csv.
pub fn tornado(
    base: &Path,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws a figure into an RGB buffer through the same path as the PNG, for pixel checks.
    fn raster<F: Figure>(fig: &F) -> Vec<u8> {
        ensure_font().expect("font");
        let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let _glyphs = GlyphByGlyph::on();
            let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            fig.draw(&root).expect("draws");
            root.present().expect("presents");
        }
        buf
    }

    /// Draws a figure to a bitmap and an SVG string (no PNG encoding), and returns the SVG.
    fn draw_both<F: Figure>(fig: &F) -> String {
        raster(fig);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            fig.draw(&root).expect("draws");
            root.present().expect("presents");
        }
        assert!(svg.starts_with("<svg") && svg.contains("<text"));
        svg
    }

    /// Share of pixels in a rectangle that are not (near) white.
    fn ink(buf: &[u8], (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
        let mut inked = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * WIDTH + x) * 3) as usize;
                if buf[i..i + 3].iter().any(|c| *c < 235) {
                    inked += 1;
                }
            }
        }
        f64::from(inked) / f64::from((x1 - x0) * (y1 - y0))
    }

    /// Checks the PNG (signature, size, IEND) and the SVG (a whole document with each of `texts`); returns the SVG.
    fn check_outputs(paths: &[PathBuf], base: &Path, texts: &[&str]) -> String {
        assert_eq!(paths, &[with_suffix(base, "png"), with_suffix(base, "svg")]);
        let bytes = std::fs::read(&paths[0]).expect("png readable");
        assert!(bytes.len() > 10_000, "PNG is only {} bytes", bytes.len());
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        assert_eq!((w, h), (WIDTH, HEIGHT));
        assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND");
        let svg = std::fs::read_to_string(&paths[1]).expect("svg readable");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        for t in texts {
            assert!(svg.contains(t), "{} lacks {t:?}", paths[1].display());
        }
        svg
    }

    /// BCR of two arms against the weekly cost of home care, with 95% bands.
    fn bcr_sweep() -> (Vec<f64>, [[Vec<f64>; 3]; 2]) {
        let x: Vec<f64> = (0..=20).map(|i| 80.0 + 2.0 * f64::from(i)).collect();
        let arm = |a: f64, b: f64, w: f64| {
            let mid: Vec<f64> = x.iter().map(|c| a + b * (c - 80.0)).collect();
            let lo = mid.iter().map(|m| m - w * m).collect();
            let hi = mid.iter().map(|m| m + 1.3 * w * m).collect();
            [lo, mid, hi]
        };
        (x.clone(), [arm(0.78, 0.012, 0.35), arm(0.55, 0.006, 0.25)])
    }

    fn sweep_example(dir: &Path) -> Vec<PathBuf> {
        let (x, [a, b]) = bcr_sweep();
        let series = [
            Series {
                label: "Reablement vs usual care".into(),
                x: &x,
                y: &a[1],
                band: Some((&a[0], &a[2])),
            },
            Series {
                label: "Telecare vs usual care".into(),
                x: &x,
                y: &b[1],
                band: Some((&b[0], &b[2])),
            },
        ];
        sweep_lines(
            &dir.join("sweep"),
            "Benefit–cost ratio as the cost of home care varies",
            "Home care cost (£ per week)",
            "£ back per £1 spent (council)",
            ValueFormat::PerPound,
            &series,
            Some((1.0, "break-even: £1 back per £1")),
            &[
                (98.3, "reablement breaks even at £98.30".to_string()),
                (100.0, "base case £100".to_string()),
            ],
            "Lines: median of 10,000 iterations at each cost; shaded: 2.5th–97.5th percentile.",
        )
        .expect("renders")
    }

    fn heat_example(dir: &Path, centre: Option<f64>, missing: bool) -> Vec<PathBuf> {
        let x = [80.0, 90.0, 100.0, 110.0, 120.0];
        let y = [0.1, 0.2, 0.3, 0.4];
        let z: Vec<Vec<f64>> = y
            .iter()
            .map(|p| {
                x.iter()
                    .map(|c| -1800.0 + 40.0 * (c - 80.0) + 6000.0 * (p - 0.1))
                    .collect()
            })
            .collect();
        let mut z = z;
        if missing {
            z[3][4] = f64::NAN;
        }
        heat_map(
            &dir.join(if centre.is_some() { "heat" } else { "heat_sequential" }),
            "Net savings per person over home care cost and reablement uptake",
            "Home care cost (£ per week)",
            "Share taking up reablement",
            &x,
            &y,
            &z,
            "Net savings (£ per person)",
            ValueFormat::Money,
            centre,
            "Mean of 10,000 iterations in each cell.",
        )
        .expect("renders")
    }

    fn tornado_bars(n: usize) -> Vec<TornadoBar> {
        let names = [
            "home_care_weekly",
            "care_home_weekly",
            "reablement_cost",
            "p_admission_usual",
            "relative_risk_admission",
            "length_of_stay_days",
            "hospital_bed_day",
            "p_home_care_after",
            "discount_rate",
            "hours_saved_per_week",
            "gp_visit_cost",
            "telecare_install",
            "staff_turnover",
            "respite_nights",
            "carer_hours",
            "equipment_cost",
            "ot_assessment",
            "falls_rate",
        ];
        (0..n)
            .map(|i| {
                let swing = 1800.0 / (1.0 + i as f64 * 0.55);
                let (lo, hi) = if i % 3 == 1 { (0.7, 0.3) } else { (0.35, 0.65) };
                TornadoBar {
                    label: names[i % names.len()].to_string(),
                    low_value: 68.9 * (1.0 + i as f64 * 0.1),
                    high_value: 128.0 * (1.0 + i as f64 * 0.1),
                    at_low: 2518.0 - lo * swing,
                    at_high: 2518.0 + hi * swing * if i == 4 { -0.4 } else { 1.0 },
                }
            })
            .collect()
    }

    fn tornado_example(dir: &Path, n: usize) -> Vec<PathBuf> {
        tornado(
            &dir.join(format!("tornado{n}")),
            "Net savings per person: one-way sensitivity (reablement vs usual care)",
            "Net savings (£ per person)",
            ValueFormat::Money,
            2518.0,
            &tornado_bars(n),
            "Each parameter from its 2.5th to its 97.5th percentile, the others at their means.",
        )
        .expect("renders")
    }

    #[test]
    fn sweep_lines_render_png_and_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = sweep_example(dir.path());
        check_outputs(
            &paths,
            &dir.path().join("sweep"),
            &[
                "Benefit–cost ratio as the cost of home care varies",
                "Home care cost (£ per week)",
                "£ back per £1 spent (council)",
                "break-even: £1 back per £1",
                "reablement breaks even at £98.30",
                "£1.00",
                "Telecare vs usual care",
                "(see note)",
            ],
        );
        let (x, [a, _]) = bcr_sweep();
        let series = [Series {
            label: "A".into(),
            x: &x,
            y: &a[1],
            band: Some((&a[0], &a[2])),
        }];
        let fig = SweepFigure::new(
            "t",
            "x",
            "y",
            ValueFormat::PerPound,
            &series,
            Some((1.0, "even")),
            &[],
            "",
        );
        assert!(fig.y.contains(1.0), "break-even near the data is on the chart");
        let buf = raster(&fig);
        assert!(ink(&buf, (200, 200, 1100, 650)) > 0.1, "the band and line are drawn");
    }

    #[test]
    fn sweep_lines_edge_cases_draw() {
        // Nothing at all.
        let svg = draw_both(&SweepFigure::new(
            "Empty",
            "x",
            "y",
            ValueFormat::Money,
            &[],
            None,
            &[],
            "",
        ));
        assert!(svg.contains("nothing to show"));
        // One x value: a point and an error bar, not lines.
        let one = [Series {
            label: "One".into(),
            x: &[100.0],
            y: &[1.2],
            band: Some((&[0.9], &[1.5])),
        }];
        let fig = SweepFigure::new(
            "One",
            "x",
            "y",
            ValueFormat::PerPound,
            &one,
            Some((1.0, "even")),
            &[],
            "",
        );
        assert!(fig.x.lo < 100.0 && fig.x.hi > 100.0);
        draw_both(&fig);
        // All equal, NaN holes, ragged lengths, unsorted x, a reference far away and markers off the chart.
        let x = [3.0, 1.0, 2.0, f64::NAN, 4.0, 5.0];
        let y = [5.0, 5.0, f64::NAN, 5.0, 5.0];
        let flat = [Series {
            label: String::new(),
            x: &x,
            y: &y,
            band: Some((&y, &[f64::INFINITY])),
        }];
        let markers = [
            (f64::NAN, "nan".to_string()),
            (1e9, "far".to_string()),
            (2.5, String::new()),
        ];
        let fig = SweepFigure::new(
            "Flat",
            "x",
            "y",
            ValueFormat::Number,
            &flat,
            Some((-1e6, "zero")),
            &markers,
            "",
        );
        assert!(fig.y.hi > fig.y.lo && fig.reference.is_none() && fig.markers.len() == 1);
        let svg = draw_both(&fig);
        assert!(
            svg.contains("Off the chart: zero (−1,000,000); far (1,000,000,000)."),
            "off-chart items named"
        );
        assert!(svg.contains("skipped") && svg.contains("(unnamed series)"));
        // Probabilities read 0–100% whatever the data.
        let p = [Series {
            label: "P".into(),
            x: &[0.0, 1.0],
            y: &[0.4, 0.45],
            band: None,
        }];
        let fig = SweepFigure::new("P", "x", "y", ValueFormat::Probability, &p, None, &[], "");
        assert!(fig.y.contains(0.0) && fig.y.contains(1.0));
        assert!(draw_both(&fig).contains("100%"));
        // Every value NaN.
        let nan = [Series {
            label: "NaN".into(),
            x: &[1.0, 2.0],
            y: &[f64::NAN, f64::NAN],
            band: None,
        }];
        assert!(draw_both(&SweepFigure::new(
            "N",
            "x",
            "y",
            ValueFormat::Money,
            &nan,
            None,
            &[],
            ""
        ))
        .contains("nothing to show"));
    }

    #[test]
    fn heat_map_renders_png_and_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = heat_example(dir.path(), Some(0.0), true);
        let svg = check_outputs(
            &paths,
            &dir.path().join("heat"),
            &[
                "Net savings per person over home care cost and reablement uptake",
                "Home care cost (£ per week)",
                "Share taking up reablement",
                "Net savings (£ per person)",
                "no value",
                "1 of 20 cells without a finite value (hatched).",
                "cells above £0",
                "−£1.8k",
                "£1.2k",
                "0.4",
            ],
        );
        assert!(svg.contains("\n£0\n"), "the centre is labelled on the colour bar");
        let paths = heat_example(dir.path(), None, false);
        let svg = check_outputs(&paths, &dir.path().join("heat_sequential"), &["Net savings"]);
        assert!(!svg.contains("no value") && !svg.contains("cells above"));
    }

    #[test]
    fn heat_map_colours_are_centred_and_text_contrasts() {
        let s = Scale::Diverging { centre: 1.0, half: 0.5 };
        assert_eq!(s.colour(1.0), DIVERGING_MID);
        assert_eq!(s.colour(0.5), BELOW[3]);
        assert_eq!(s.colour(1.5), ABOVE[3]);
        assert_eq!(s.colour(9.0), ABOVE[3], "clamped");
        let v = Scale::Sequential { lo: 0.0, hi: 10.0 };
        assert_eq!((v.colour(0.0), v.colour(10.0)), (VIRIDIS[0], VIRIDIS[10]));
        assert_eq!(text_on(VIRIDIS[0]), WHITE);
        assert_eq!(text_on(VIRIDIS[10]), INK);
        assert_eq!(text_on(DIVERGING_MID), INK);
        assert_eq!(text_on(BELOW[3]), WHITE);
        assert_eq!(grid_labels(&[80.0, 90.0, 100.0]), ["80", "90", "100"]);
        assert_eq!(grid_labels(&[0.1, 0.15, 0.2]), ["0.10", "0.15", "0.20"]);
        assert_eq!(
            grid_labels(&[80.0, 86.666_666, 93.333_333]),
            ["80.00", "86.67", "93.33"]
        );
        assert_eq!(grid_labels(&[2.0, f64::NAN]), ["2", "n/a"]);
        assert_eq!(ValueFormat::Money.label(12_000.0), "£12k");
        assert_eq!(ValueFormat::PerPound.label(1.2), "£1.20");
        assert_eq!(ValueFormat::Probability.label(0.35), "35%");
        assert_eq!(ValueFormat::Number.label(0.25), "0.25");
        assert_eq!(ValueFormat::Money.full(2518.0), "£2,518");
        assert_eq!(ValueFormat::Money.full(-2518.4), "−£2,518");
        assert_eq!(plain_number(68.9), "68.9");
        assert_eq!(plain_number(128.0), "128");
    }

    #[test]
    fn heat_map_edge_cases_draw() {
        let fig = |x: &[f64], y: &[f64], z: &[Vec<f64>], centre| {
            HeatFigure::new("H", "x", "y", x, y, z, "z", ValueFormat::Number, centre, "")
        };
        assert!(draw_both(&fig(&[], &[], &[], None)).contains("nothing to show"));
        assert!(draw_both(&fig(&[1.0], &[], &[vec![1.0]], Some(0.0))).contains("nothing to show"));
        // One cell; all equal; all NaN; ragged rows; non-finite grid values; unsorted grid.
        draw_both(&fig(&[1.0], &[2.0], &[vec![3.0]], Some(3.0)));
        draw_both(&fig(&[1.0, 2.0], &[1.0, 2.0], &[vec![4.0, 4.0], vec![4.0, 4.0]], None));
        let svg = draw_both(&fig(&[1.0, 2.0], &[1.0], &[vec![f64::NAN, f64::INFINITY]], Some(1.0)));
        assert!(svg.contains("2 of 2 cells without a finite value"));
        let svg = draw_both(&fig(
            &[3.0, f64::NAN, 1.0],
            &[2.0, 1.0],
            &[vec![1.0], vec![]],
            Some(0.5),
        ));
        assert!(svg.contains("1 non-finite grid value skipped"));
        // A big grid is thinned, and its values are not written.
        let x: Vec<f64> = (0..450).map(f64::from).collect();
        let z: Vec<Vec<f64>> = (0..30).map(|r| x.iter().map(|c| c * f64::from(r)).collect()).collect();
        let big = fig(&x, &x[..30], &z, None);
        assert_eq!((big.x_text.len(), big.y_text.len()), (150, 30));
        assert!(draw_both(&big).contains("every 3rd column"));
    }

    #[test]
    fn tornado_renders_png_and_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = tornado_example(dir.path(), 12);
        let svg = check_outputs(
            &paths,
            &dir.path().join("tornado12"),
            &[
                "Net savings per person: one-way sensitivity",
                "Net savings (£ per person)",
                "parameter at its low value",
                "parameter at its high value",
                "base case £2,518",
                "home_care_weekly (68.9 to 128)",
            ],
        );
        assert!(!svg.contains("more in tornado.csv"));
        let fig = TornadoFigure::new("T", "m", ValueFormat::Money, 2518.0, &tornado_bars(20), "");
        assert_eq!(fig.rows.len(), MAX_BARS);
        let buf = raster(&fig);
        assert!(ink(&buf, (450, 150, 1150, 700)) > 0.1, "bars are drawn");
        assert!(draw_both(&fig).contains("… 5 more in tornado.csv"));
    }

    #[test]
    fn tornado_edge_cases_draw() {
        let fig = |base: f64, bars: &[TornadoBar]| TornadoFigure::new("T", "m", ValueFormat::PerPound, base, bars, "");
        assert!(draw_both(&fig(1.0, &[])).contains("nothing to show"));
        let bar = |low: f64, high: f64| TornadoBar {
            label: "p".into(),
            low_value: 1.0,
            high_value: 2.0,
            at_low: low,
            at_high: high,
        };
        draw_both(&fig(1.0, &[bar(1.0, 1.0)]));
        draw_both(&fig(f64::NAN, &[bar(0.8, 1.3), bar(f64::NAN, 1.1)]));
        let svg = draw_both(&fig(f64::INFINITY, &[bar(f64::NAN, f64::NAN)]));
        assert!(svg.contains("2 non-finite values skipped") && svg.contains("base case is not a finite number"));
        draw_both(&fig(1e300, &[bar(-1e300, 1e300)]));
    }

    #[test]
    fn caller_text_is_escaped_in_the_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let evil = "<script>alert(1)</script> & co";
        let x = [1.0, 2.0];
        let series = [Series {
            label: evil.into(),
            x: &x,
            y: &x,
            band: None,
        }];
        let markers = [(1.5, evil.to_string())];
        let mut svgs = Vec::new();
        let p = sweep_lines(
            &dir.path().join("s"),
            evil,
            evil,
            evil,
            ValueFormat::Number,
            &series,
            Some((1.0, evil)),
            &markers,
            evil,
        );
        svgs.push(p.expect("renders"));
        let z = [vec![1.0, 2.0]];
        let p = heat_map(
            &dir.path().join("h"),
            evil,
            evil,
            evil,
            &x,
            &[1.0],
            &z,
            evil,
            ValueFormat::Number,
            None,
            evil,
        );
        svgs.push(p.expect("renders"));
        let bars = [TornadoBar {
            label: evil.into(),
            low_value: 1.0,
            high_value: 2.0,
            at_low: 0.5,
            at_high: 1.5,
        }];
        svgs.push(tornado(&dir.path().join("t"), evil, evil, ValueFormat::Number, 1.0, &bars, evil).expect("renders"));
        for paths in svgs {
            let svg = std::fs::read_to_string(&paths[1]).expect("svg");
            assert!(!svg.contains("<script"), "{} has a raw script tag", paths[1].display());
            assert!(
                svg.contains("&lt;script&gt;"),
                "{} lacks the escaped text",
                paths[1].display()
            );
        }
    }

    /// Writes the example figures for looking at: `cargo test --release --lib whatif -- --ignored`, into
    /// $WHATIF_PLOTS (default /tmp/whatif-plots).
    #[test]
    #[ignore]
    fn write_examples() {
        let dir = PathBuf::from(std::env::var("WHATIF_PLOTS").unwrap_or_else(|_| "/tmp/whatif-plots".into()));
        sweep_example(&dir);
        heat_example(&dir, Some(0.0), true);
        heat_example(&dir, None, false);
        tornado_example(&dir, 12);
        tornado_example(&dir, 20);
        // Harder cases, for looking at: probabilities with markers at the edges and a hole, a one-point sweep,
        // a 12×12 BCR grid with holes, a dense grid, long labels, and the degenerate figures.
        let x: Vec<f64> = (0..=40).map(|i| f64::from(i) * 2500.0).collect();
        let p1: Vec<f64> = x
            .iter()
            .map(|l| 1.0 / (1.0 + (-(l - 30_000.0) / 12_000.0).exp()))
            .collect();
        let mut p2: Vec<f64> = p1.iter().map(|p| 0.8 * (1.0 - p)).collect();
        p2[17] = f64::NAN;
        let series = [
            Series {
                label: "Reablement".into(),
                x: &x,
                y: &p1,
                band: None,
            },
            Series {
                label: "Telecare".into(),
                x: &x,
                y: &p2,
                band: None,
            },
        ];
        let markers = [
            (0.0, "£0".to_string()),
            (30_000.0, "50%: £30k".to_string()),
            (100_000.0, "upper end".to_string()),
        ];
        sweep_lines(
            &dir.join("sweep_probability"),
            "Probability cost-effective",
            "Willingness to pay (£ per QALY)",
            "Probability",
            ValueFormat::Probability,
            &series,
            Some((0.5, "50%")),
            &markers,
            "",
        )
        .expect("renders");
        let one = [Series {
            label: "Only the base case".into(),
            x: &[100.0],
            y: &[1.3],
            band: Some((&[0.9], &[1.8])),
        }];
        sweep_lines(
            &dir.join("sweep_one_point"),
            "One point",
            "Home care cost (£ per week)",
            "£ back per £1",
            ValueFormat::PerPound,
            &one,
            Some((1.0, "break-even")),
            &[(100.0, "base case".into())],
            "",
        )
        .expect("renders");
        let gx: Vec<f64> = (0..12).map(|i| 60.0 + 7.5 * f64::from(i)).collect();
        let gy: Vec<f64> = (0..12).map(|i| 0.05 + 0.05 * f64::from(i)).collect();
        let gz: Vec<Vec<f64>> = gy
            .iter()
            .enumerate()
            .map(|(r, p)| {
                gx.iter()
                    .enumerate()
                    .map(|(c, h)| {
                        if (r + c) % 17 == 5 {
                            f64::NAN
                        } else {
                            0.4 + 0.012 * (h - 60.0) + 2.0 * p
                        }
                    })
                    .collect()
            })
            .collect();
        heat_map(
            &dir.join("heat_12x12"),
            "BCR over home care cost and uptake",
            "Home care cost (£ per week)",
            "Uptake",
            &gx,
            &gy,
            &gz,
            "£ back per £1 spent",
            ValueFormat::PerPound,
            Some(1.0),
            "",
        )
        .expect("renders");
        let dx: Vec<f64> = (0..60).map(f64::from).collect();
        let dz: Vec<Vec<f64>> = dx
            .iter()
            .map(|r| {
                dx.iter()
                    .map(|c| ((r - 30.0).powi(2) + (c - 20.0).powi(2)).sqrt() / 60.0)
                    .collect()
            })
            .collect();
        heat_map(
            &dir.join("heat_dense"),
            "Dense probability grid",
            "x",
            "y",
            &dx,
            &dx,
            &dz,
            "Probability",
            ValueFormat::Probability,
            None,
            "",
        )
        .expect("renders");
        let long = format!("{} with a very long name that keeps going and going", "p".repeat(30));
        let bars = [
            TornadoBar {
                label: long.clone(),
                low_value: 0.0123,
                high_value: 12_345.0,
                at_low: 0.2,
                at_high: 0.9,
            },
            TornadoBar {
                label: "flat".into(),
                low_value: 1.0,
                high_value: 1.0,
                at_low: 0.5,
                at_high: 0.5,
            },
            TornadoBar {
                label: "one side".into(),
                low_value: 1.0,
                high_value: 2.0,
                at_low: f64::NAN,
                at_high: 0.7,
            },
        ];
        tornado(
            &dir.join("tornado_long"),
            &long.repeat(3),
            &long,
            ValueFormat::Probability,
            0.5,
            &bars,
            &long.repeat(2),
        )
        .expect("renders");
        tornado(
            &dir.join("tornado_empty"),
            "Empty",
            "m",
            ValueFormat::Money,
            1.0,
            &[],
            "",
        )
        .expect("renders");
        heat_map(
            &dir.join("heat_empty"),
            "Empty",
            "x",
            "y",
            &[],
            &[],
            &[],
            "z",
            ValueFormat::Money,
            None,
            "",
        )
        .expect("renders");
        sweep_lines(
            &dir.join("sweep_empty"),
            "Empty",
            "x",
            "y",
            ValueFormat::Money,
            &[],
            None,
            &[],
            "",
        )
        .expect("renders");
    }
}
