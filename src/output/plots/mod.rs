//! Plots of PSA results (PNG and SVG), drawn with plotters and an embedded font so they render on any machine.
//!
//! Every public function takes plain data, lays the figure out once, draws it twice (a PNG through the bitmap
//! backend, an SVG through the SVG backend) and returns both paths. Text uses Noto Sans compiled into the binary
//! and registered in plotters' `ab_glyph` font table, so nothing depends on system fonts or fontconfig.
//!
//! Inputs come from simulations and user scenario files, so nothing here trusts them: non-finite values are
//! skipped (and counted in a caption), degenerate ranges are padded, and free text (titles, labels) is cleaned of
//! control characters and truncated with "…" to the space it has (a title first takes a second line).

use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::element::{Circle, DashedPathElement, PathElement, Polygon, Rectangle};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    Color, FontStyle, FontTransform, IntoFont, RGBAColor, RGBColor, ShapeStyle, TextStyle, TRANSPARENT, WHITE,
};
use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod whatif;
pub use whatif::{heat_map, sweep_lines, tornado, Series, TornadoBar, ValueFormat};

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    /// The file that was being drawn (the PNG or the SVG).
    pub path: PathBuf,
    /// What went wrong, in words.
    pub message: String,
}

/// A named sample of values (one per PSA iteration).
pub struct Sample<'a> {
    /// What the values are, e.g. the payer ("Council").
    pub label: String,
    /// One value per iteration; non-finite values are skipped and counted.
    pub values: &'a [f64],
}

/// Most points drawn per arm on the CE plane; beyond this a deterministic every-k-th subset is drawn.
pub const MAX_POINTS_PER_ARM: usize = 20_000;

// ---------------------------------------------------------------------------------------------------------------
// Look: sizes and colours.

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 800;
/// Two rows of ROI panels need more height to keep each panel readable.
const HEIGHT_TWO_ROWS: u32 = 1000;
const FONT: &str = "sans-serif";
const TITLE_PX: f64 = 30.0;
/// Distance between the baselines of a two-line title.
const TITLE_LINE: i32 = 38;
const SUBTITLE_PX: f64 = 19.0;
const PANEL_PX: f64 = 22.0;
const LABEL_PX: f64 = 20.0;
const TICK_PX: f64 = 17.0;
const LEGEND_PX: f64 = 18.0;
const NOTE_PX: f64 = 16.0;
const SIDE: i32 = 24;
/// Free text longer than this is cut before it is even measured, so a megabyte title costs nothing.
const MAX_TEXT_CHARS: usize = 300;

// Okabe–Ito, the colour-blind-safe palette.
const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const OI_SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Arm colours in order of use; yellow is last because it is faint on white. Black is kept for reference lines.
const ARM_COLOURS: [RGBColor; 7] = [
    OI_BLUE,
    OI_VERMILLION,
    OI_GREEN,
    OI_PURPLE,
    OI_ORANGE,
    OI_SKY,
    OI_YELLOW,
];
const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const AXIS: RGBColor = RGBColor(0x60, 0x60, 0x60);
const REFERENCE: RGBColor = RGBColor(0x44, 0x44, 0x44);

fn arm_colour(i: usize) -> RGBColor {
    ARM_COLOURS[i % ARM_COLOURS.len()]
}

// ---------------------------------------------------------------------------------------------------------------
// Public entry points.

/// Histograms of the benefit–cost ratio, one panel per payer, with median, 95% interval and break-even at £1.
pub fn roi_histograms(base: &Path, title: &str, panels: &[Sample]) -> Result<Vec<PathBuf>, PlotError> {
    let fig = RoiFigure::new(title, panels);
    let height = if fig.grid().0 > 1 { HEIGHT_TWO_ROWS } else { HEIGHT };
    render(base, (WIDTH, height), &fig)
}

/// Cost-effectiveness plane: incremental outcome against incremental cost per iteration, per arm, with WTP lines.
pub fn ce_plane(
    base: &Path,
    title: &str,
    outcome: &str,
    arms: &[(String, &[f64], &[f64])],
    lambda: &[f64],
) -> Result<Vec<PathBuf>, PlotError> {
    render(base, (WIDTH, HEIGHT), &CeFigure::new(title, outcome, arms, lambda))
}

/// Cost-effectiveness acceptability curves with the acceptability frontier (`frontier[i]` is the arm at `lambda[i]`).
pub fn ceac(
    base: &Path,
    title: &str,
    outcome: &str,
    lambda: &[f64],
    arms: &[(String, &[f64])],
    frontier: &[usize],
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &CeacFigure::new(title, outcome, lambda, arms, frontier),
    )
}

/// Expected value of perfect information against willingness to pay, per person and (if given) for the population.
pub fn evpi(
    base: &Path,
    title: &str,
    outcome: &str,
    lambda: &[f64],
    per_person: &[f64],
    population: Option<&[f64]>,
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &EvpiFigure::new(title, outcome, lambda, per_person, population),
    )
}

/// Fan chart of cumulative net savings by year: median, 50% and 95% bands, and the break-even line.
#[allow(clippy::too_many_arguments)] // the signature is the agreed interface: one slice per percentile
pub fn fan_chart(
    base: &Path,
    title: &str,
    years: &[f64],
    p2_5: &[f64],
    p25: &[f64],
    p50: &[f64],
    p75: &[f64],
    p97_5: &[f64],
) -> Result<Vec<PathBuf>, PlotError> {
    render(
        base,
        (WIDTH, HEIGHT),
        &FanFigure::new(title, years, [p2_5, p25, p50, p75, p97_5]),
    )
}

/// Outcome name as people read it: "qaly" becomes "QALY", "bed_days" becomes "bed days"; other text is kept.
pub fn display_outcome(name: &str) -> String {
    let cleaned = clean(name).replace('_', " ");
    let acronyms = ["qaly", "qalys", "ascot", "daly", "dalys", "ly", "lys", "lyg"];
    cleaned
        .split(' ')
        .map(|w| {
            let lower = w.to_lowercase();
            match acronyms.iter().position(|a| *a == lower) {
                // Keep a plural "s" lower case: "QALYs", not "QALYS".
                Some(_) if lower.ends_with('s') && lower.len() > 2 && lower != "ascot" => {
                    format!("{}s", lower[..lower.len() - 1].to_uppercase())
                }
                Some(_) => lower.to_uppercase(),
                None => w.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Money as people read it: "£1.23k", "−£450", "£0.80", "£1.5m" (three significant figures).
pub fn money_label(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let a = v.abs();
    let sign = if v < 0.0 && a >= 0.005 { "−" } else { "" };
    let (div, suffix) = unit(a);
    let scaled = a / div;
    let body = if div == 1.0 {
        if a < 10.0 {
            format!("{a:.2}")
        } else {
            format!("{a:.0}")
        }
    } else {
        let d = if scaled < 10.0 {
            2
        } else if scaled < 100.0 {
            1
        } else {
            0
        };
        trim_zeros(&format!("{scaled:.d$}"))
    };
    format!("{sign}£{body}{suffix}")
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering: one layout, two backends.

/// A figure whose data are already laid out; `draw` is called once per backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

fn err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// Registers the embedded font once per process; plotters looks fonts up by family name.
fn ensure_font() -> Result<(), String> {
    static FONT_OK: OnceLock<bool> = OnceLock::new();
    let ok = *FONT_OK
        .get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the embedded font (Noto Sans) could not be loaded".to_string())
    }
}

fn with_suffix(base: &Path, ext: &str) -> PathBuf {
    // Appends rather than `with_extension`, which would eat a dot in the base name ("roi.council").
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

fn render<F: Figure>(base: &Path, size: (u32, u32), fig: &F) -> Result<Vec<PathBuf>, PlotError> {
    let png = with_suffix(base, "png");
    let svg = with_suffix(base, "svg");
    let fail = |path: &Path, message: String| PlotError {
        path: path.to_path_buf(),
        message,
    };
    ensure_font().map_err(|m| fail(&png, m))?;
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(&png, format!("cannot create {}: {e}", parent.display())))?;
    }
    {
        let _glyphs = GlyphByGlyph::on();
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        fig.draw(&root).map_err(|m| fail(&png, m))?;
        root.present().map_err(|e| fail(&png, err(e)))?;
    }
    // The SVG is built in memory and written in one go, so a failure never leaves half a file behind.
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        fig.draw(&root).map_err(|m| fail(&svg, m))?;
        root.present().map_err(|e| fail(&svg, err(e)))?;
    }
    std::fs::write(&svg, text).map_err(|e| fail(&svg, e.to_string()))?;
    Ok(vec![png, svg])
}

// ---------------------------------------------------------------------------------------------------------------
// Text: cleaning, measuring, fitting, drawing.

fn style(px: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, px).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Removes what must never reach a drawing: control characters (which would also break the SVG's XML) and
/// invisible formatting characters (zero-width joiners, bidi overrides, variation selectors).
fn clean(text: &str) -> String {
    let mut out = String::new();
    let mut kept = 0;
    let mut pending_space = false;
    for c in text.chars() {
        let invisible = matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}');
        if invisible || (is_pictograph(c) && font_tables().is_some_and(|t| t.glyph(c) == 0)) {
            continue;
        }
        if c.is_control() || c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        kept += 1;
        // One past the limit is enough for `fit` to know the text was longer.
        if kept > MAX_TEXT_CHARS {
            break;
        }
    }
    out
}

/// Width and height in pixels of `text` at `px`.
fn measure(text: &str, px: f64) -> (i32, i32) {
    match (FONT, px).into_font().box_size(text) {
        Ok((w, h)) => (w as i32, h as i32),
        Err(_) => ((text.chars().count() as f64 * px * 0.6) as i32, px as i32),
    }
}

/// `text` cleaned and shortened with "…" until it fits in `max_w` pixels.
fn fit(text: &str, px: f64, max_w: i32) -> String {
    // Measured with the embedded Noto Sans, but an SVG is drawn with the viewer's sans-serif, which can be up to a
    // sixth wider (DejaVu Sans): leave that much room so that SVG text is not clipped either.
    let max_w = max_w * 6 / 7;
    let text = clean(text);
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= MAX_TEXT_CHARS && measure(&text, px).0 <= max_w {
        return text;
    }
    let cut = |n: usize| -> String {
        let prefix: String = chars[..n].iter().collect();
        format!("{}…", prefix.trim_end())
    };
    // Binary search for the longest prefix that fits with its ellipsis.
    let (mut lo, mut hi) = (0, chars.len().min(MAX_TEXT_CHARS));
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if measure(&cut(mid), px).0 <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

thread_local! {
    /// Set while a bitmap is drawn: text is then placed glyph by glyph (see `glyph_run`).
    static RASTER_TEXT: Cell<bool> = const { Cell::new(false) };
}

/// Turns glyph-by-glyph text on for the current thread until dropped (also on early return or error).
struct GlyphByGlyph;

impl GlyphByGlyph {
    fn on() -> GlyphByGlyph {
        RASTER_TEXT.with(|r| r.set(true));
        GlyphByGlyph
    }
}

impl Drop for GlyphByGlyph {
    fn drop(&mut self) {
        RASTER_TEXT.with(|r| r.set(false));
    }
}

/// Draws horizontal text anchored at `at`.
fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    px: f64,
    colour: RGBColor,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> Result<(), String> {
    draw_string(area, s, &style(px, colour), at, anchor, false)
}

/// Draws the description of a chart's x axis centred under its plotting area, below the tick labels, shortened to
/// fit the width of `area`.
fn x_description<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, c: &Chart<DB>, desc: &str) -> Result<(), String> {
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

/// Draws text reading bottom to top, centred on `at` (y axis descriptions).
fn vertical_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    px: f64,
    colour: RGBColor,
    at: (i32, i32),
) -> Result<(), String> {
    draw_string(area, s, &style(px, colour), at, (HPos::Center, VPos::Center), true)
}

fn draw_string<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    st: &TextStyle,
    at: (i32, i32),
    anchor: (HPos, VPos),
    rotated: bool,
) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    match font_tables() {
        Some(t) if RASTER_TEXT.with(|r| r.get()) => glyph_run(area, s, st, at, anchor, rotated, t),
        _ => {
            let st = st.pos(Pos::new(anchor.0, anchor.1));
            let st = if rotated {
                st.transform(FontTransform::Rotate270)
            } else {
                st
            };
            area.draw_text(s, &st, at).map_err(err)
        }
    }
}

/// Draws a string one glyph at a time at positions from the font's own metrics.
///
/// plotters' ab_glyph renderer puts each glyph's ink at the pen position and drops its left side bearing, so
/// at label sizes words come apart ("h ome"). Drawing each glyph separately, offset by its bearing, fixes the
/// spacing. Only bitmaps need this: in an SVG the viewer lays out whole strings, which also keeps them searchable.
fn glyph_run<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    st: &TextStyle,
    at: (i32, i32),
    anchor: (HPos, VPos),
    rotated: bool,
    t: &FontTables,
) -> Result<(), String> {
    let px = st.font.get_size();
    let k = t.px_per_unit * px;
    let width: f64 = s.chars().map(|c| f64::from(t.hmetrics(t.glyph(c)).0) * k).sum();
    // The same height plotters' layout uses, so anchoring matches whole-string drawing.
    let height = (px / 1.24) as i32;
    let w = width as i32;
    let dx = match anchor.0 {
        HPos::Left => 0,
        HPos::Center => -w / 2,
        HPos::Right => -w,
    };
    let dy = match anchor.1 {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    let glyph_style = st.pos(Pos::new(HPos::Left, VPos::Top));
    let glyph_style = if rotated {
        glyph_style.transform(FontTransform::Rotate270)
    } else {
        glyph_style
    };
    let mut pen = 0.0f64;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let (advance, lsb) = t.hmetrics(t.glyph(c));
        if !c.is_whitespace() {
            let off = dx + pen.round() as i32 + (f64::from(lsb) * k).floor() as i32;
            let pos = if rotated {
                (at.0 + dy, at.1 - off)
            } else {
                (at.0 + off, at.1 + dy)
            };
            area.draw_text(c.encode_utf8(&mut buf), &glyph_style, pos)
                .map_err(err)?;
        }
        pen += f64::from(advance) * k;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The embedded font's tables: which characters it has, and each glyph's advance and left side bearing.

struct FontTables {
    glyphs: HashMap<u32, u16>,
    advance: Vec<u16>,
    lsb: Vec<i16>,
    /// Pixels per font unit at font size 1, measured through plotters so it matches its layout exactly.
    px_per_unit: f64,
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

fn sfnt_table<'d>(d: &'d [u8], tag: &[u8; 4]) -> Option<&'d [u8]> {
    for i in 0..usize::from(be16(d, 4)?) {
        let rec = 12 + 16 * i;
        if d.get(rec..rec + 4)? == tag {
            let off = be32(d, rec + 8)? as usize;
            let len = be32(d, rec + 12)? as usize;
            return d.get(off..off.checked_add(len)?);
        }
    }
    None
}

/// Character to glyph map from a cmap subtable of format 12 (full Unicode) or 4 (BMP).
fn parse_cmap(cmap: &[u8]) -> Option<HashMap<u32, u16>> {
    let mut subtables: Vec<&[u8]> = Vec::new();
    for i in 0..usize::from(be16(cmap, 2)?) {
        let off = be32(cmap, 4 + 8 * i + 4)? as usize;
        subtables.push(cmap.get(off..)?);
    }
    let mut map = HashMap::new();
    if let Some(t) = subtables.iter().find(|t| be16(t, 0) == Some(12)) {
        for g in 0..be32(t, 12)? as usize {
            let (start, end, first) = (be32(t, 16 + 12 * g)?, be32(t, 20 + 12 * g)?, be32(t, 24 + 12 * g)?);
            for c in start..=end.min(0x10FFFF).max(start) {
                map.insert(c, u16::try_from(first + (c - start)).ok()?);
            }
        }
        return Some(map);
    }
    let t = subtables.iter().find(|t| be16(t, 0) == Some(4))?;
    let seg_x2 = usize::from(be16(t, 6)?);
    let (ends, starts) = (14, 16 + seg_x2);
    let (deltas, ranges) = (starts + seg_x2, starts + 2 * seg_x2);
    for i in 0..seg_x2 / 2 {
        let (end, start) = (be16(t, ends + 2 * i)?, be16(t, starts + 2 * i)?);
        let (delta, range) = (be16(t, deltas + 2 * i)?, usize::from(be16(t, ranges + 2 * i)?));
        for c in start..=end.max(start) {
            let g = if range == 0 {
                c.wrapping_add(delta)
            } else {
                match be16(t, ranges + 2 * i + range + 2 * usize::from(c - start))? {
                    0 => 0,
                    g => g.wrapping_add(delta),
                }
            };
            if g != 0 && c != 0xFFFF {
                map.insert(u32::from(c), g);
            }
        }
    }
    Some(map)
}

impl FontTables {
    fn parse(font: &[u8]) -> Option<FontTables> {
        let glyphs = parse_cmap(sfnt_table(font, b"cmap")?)?;
        let n_glyphs = usize::from(be16(sfnt_table(font, b"maxp")?, 4)?);
        let n_metrics = usize::from(be16(sfnt_table(font, b"hhea")?, 34)?).clamp(1, n_glyphs.max(1));
        let hmtx = sfnt_table(font, b"hmtx")?;
        let mut advance = Vec::with_capacity(n_glyphs);
        let mut lsb = Vec::with_capacity(n_glyphs);
        for g in 0..n_glyphs {
            if g < n_metrics {
                advance.push(be16(hmtx, 4 * g)?);
                lsb.push(be16(hmtx, 4 * g + 2)? as i16);
            } else {
                advance.push(*advance.last()?);
                lsb.push(be16(hmtx, 4 * n_metrics + 2 * (g - n_metrics))? as i16);
            }
        }
        // Calibrate units to pixels against plotters' own measurement of a long run of one glyph.
        let probe = "M".repeat(64);
        let (w, _) = (FONT, 64.0).into_font().box_size(&probe).ok()?;
        let m = f64::from(*advance.get(usize::from(*glyphs.get(&u32::from('M'))?))?);
        let px_per_unit = f64::from(w) / (64.0 * 64.0 * m);
        (px_per_unit.is_finite() && px_per_unit > 0.0).then_some(FontTables {
            glyphs,
            advance,
            lsb,
            px_per_unit,
        })
    }

    /// Glyph id for a character; 0 (the "missing" box) if the font lacks it.
    fn glyph(&self, c: char) -> u16 {
        self.glyphs.get(&u32::from(c)).copied().unwrap_or(0)
    }

    fn hmetrics(&self, g: u16) -> (u16, i16) {
        let g = usize::from(g);
        (
            self.advance.get(g).copied().unwrap_or(0),
            self.lsb.get(g).copied().unwrap_or(0),
        )
    }
}

/// The embedded font's tables, parsed once; None if they cannot be read (text then falls back to plotters).
fn font_tables() -> Option<&'static FontTables> {
    static TABLES: OnceLock<Option<FontTables>> = OnceLock::new();
    TABLES
        .get_or_init(|| {
            ensure_font().ok()?;
            FontTables::parse(ttf_noto_sans::REGULAR)
        })
        .as_ref()
}

/// Emoji and other pictographs: the font has none, and a row of "missing glyph" boxes reads worse than nothing.
fn is_pictograph(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x20D0..=0x20FF)
}

/// Text on a translucent white box, so labels stay readable over data.
fn boxed_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    px: f64,
    colour: RGBColor,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let (w, h) = measure(s, px);
    let x0 = match anchor.0 {
        HPos::Left => at.0,
        HPos::Center => at.0 - w / 2,
        HPos::Right => at.0 - w,
    };
    let y0 = match anchor.1 {
        VPos::Top => at.1,
        VPos::Center => at.1 - h / 2,
        VPos::Bottom => at.1 - h,
    };
    area.draw(&Rectangle::new(
        [(x0 - 4, y0 - 3), (x0 + w + 4, y0 + h + 4)],
        WHITE.mix(0.85).filled(),
    ))
    .map_err(err)?;
    text(area, s, px, colour, at, anchor)
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers for people.

fn usable(v: f64) -> bool {
    // Beyond ~1e200 spans overflow to infinity; such values are as unplottable as NaN.
    v.is_finite() && v.abs() < 1e200
}

fn unit(a: f64) -> (f64, &'static str) {
    if a >= 1e9 {
        (1e9, "bn")
    } else if a >= 1e6 {
        (1e6, "m")
    } else if a >= 1e3 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Fewest decimals that show multiples of `step` exactly (2.5 needs 1, 0.25 needs 2).
fn decimals_for(step: f64) -> usize {
    for d in 0..8 {
        let scaled = step * 10f64.powi(d as i32);
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
            return d;
        }
    }
    8
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    let n = digits.len();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An iteration count with thousands separators: "1,000,000".
fn count_label(n: usize) -> String {
    group_thousands(&n.to_string())
}

/// "1 iteration", "2,000 iterations".
fn plural(n: usize, noun: &str) -> String {
    format!("{} {noun}{}", count_label(n), if n == 1 { "" } else { "s" })
}

/// A plain number with `decimals`, a real minus sign and thousands separators.
fn number_label(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (s.clone(), String::new()),
    };
    let is_zero = s.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !is_zero { "−" } else { "" };
    format!("{sign}{}{frac}", group_thousands(&int))
}

/// A number to three significant figures, with an explicit sign ("+0.0213", "−1.20").
fn signed_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let mag = if v == 0.0 { 0 } else { v.abs().log10().floor() as i32 };
    let d = (2 - mag).clamp(0, 6) as usize;
    let body = trim_zeros(&number_label(v, d));
    if v > 0.0 {
        format!("+{body}")
    } else {
        body
    }
}

/// A ratio of money to money: "£0.80" below £10, otherwise as money.
fn ratio_label(v: f64) -> String {
    if v.is_finite() && v.abs() < 10.0 {
        let sign = if v < 0.0 && v.abs() >= 0.005 { "−" } else { "" };
        format!("{sign}£{:.2}", v.abs())
    } else {
        money_label(v)
    }
}

/// A share as a percentage that never rounds to a misleading 0% or 100%.
fn percent_label(p: f64) -> String {
    let pc = p * 100.0;
    if p > 0.0 && pc < 0.5 {
        "<1%".to_string()
    } else if p < 1.0 && pc >= 99.5 {
        ">99%".to_string()
    } else {
        format!("{pc:.0}%")
    }
}

/// How an axis writes its ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fmt {
    /// Pounds: "£10k", "−£2k", "£1.5m", "£0.50".
    Money,
    /// Pounds back per pound spent: always pence below £10 ("£1.00", "£0.80").
    Ratio,
    /// A plain number: "0.01", "−0.02", "12,000".
    Number,
    /// A probability 0–1 written as a percentage.
    Probability,
    /// Values already in percent.
    Percent,
}

impl Fmt {
    fn tick(self, v: f64, step: f64) -> String {
        match self {
            Fmt::Money => money_tick(v, step),
            Fmt::Ratio if v.abs() < 10.0 => ratio_label(v),
            Fmt::Ratio => money_tick(v, step),
            // A zero written "0.000" only adds noise at the origin.
            Fmt::Number if v == 0.0 => "0".to_string(),
            Fmt::Number => number_label(v, decimals_for(step).min(6)),
            Fmt::Probability => format!("{}%", number_label(v * 100.0, decimals_for(step * 100.0).min(3))),
            Fmt::Percent => format!("{}%", number_label(v, decimals_for(step).min(3))),
        }
    }
}

/// A money tick; the decimals come from the tick step so neighbouring ticks never read the same.
fn money_tick(v: f64, step: f64) -> String {
    let a = v.abs();
    if a < step * 1e-6 {
        return "£0".to_string();
    }
    let sign = if v < 0.0 { "−" } else { "" };
    let (div, suffix) = unit(a);
    let body = if div == 1.0 {
        // Under £1,000: whole pounds, or pence whenever the step needs them ("£0.80", "£1.00").
        if decimals_for(step) == 0 {
            format!("{a:.0}")
        } else {
            format!("{:.*}", decimals_for(step).max(2), a)
        }
    } else {
        trim_zeros(&format!("{:.*}", decimals_for(step / div).min(4), a / div))
    };
    format!("{sign}£{body}{suffix}")
}

/// The round step nearest `raw` (on a log scale): 1, 2 or 5 times a power of ten, and 2.5 where allowed (money
/// reads well in quarters, "£2.5k", but QALYs in steps of 0.0025 need four decimals). Nearest rather than
/// next-larger keeps short axes from ending up with only two ticks.
fn nice_step(raw: f64, quarters: bool) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let candidates: &[f64] = if quarters {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 5.0, 10.0]
    };
    let distance = |c: f64| (c / m).ln().abs();
    let n = candidates
        .iter()
        .copied()
        .fold(1.0, |best, c| if distance(c) < distance(best) { c } else { best });
    n * p
}

/// A usable, non-empty range: non-finite bounds give 0–1, and a point (or near-point) is padded around itself.
fn sane(lo: f64, hi: f64) -> (f64, f64) {
    if !(usable(lo) && usable(hi)) {
        return (0.0, 1.0);
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let mid = 0.5 * (lo + hi);
    if hi - lo <= mid.abs() * 1e-6 || hi - lo < 1e-12 {
        let pad = if mid.abs() > 1e-9 { mid.abs() * 0.1 } else { 1.0 };
        return (mid - pad, mid + pad);
    }
    (lo, hi)
}

/// Widens a range by `frac` of its span on each side.
fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let (lo, hi) = sane(lo, hi);
    let pad = (hi - lo) * frac;
    (lo - pad, hi + pad)
}

/// Minimum and maximum of the usable values, if any.
fn extent<I: IntoIterator<Item = f64>>(values: I) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| usable(*v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis: its range, the ticks we chose (plotters' own would assert on NaN and pick its own formats).
#[derive(Clone, Debug)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    step: f64,
    fmt: Fmt,
    min_step: f64,
}

impl Axis {
    fn new(lo: f64, hi: f64, target: usize, fmt: Fmt) -> Axis {
        Axis::with_min_step(lo, hi, target, fmt, 0.0)
    }

    fn with_min_step(lo: f64, hi: f64, target: usize, fmt: Fmt, min_step: f64) -> Axis {
        let (lo, hi) = sane(lo, hi);
        let quarters = matches!(fmt, Fmt::Money | Fmt::Ratio);
        let step = nice_step((hi - lo) / target.max(1) as f64, quarters).max(min_step);
        let first = (lo / step - 1e-9).ceil();
        let last = (hi / step + 1e-9).floor();
        let mut ticks = Vec::new();
        let mut k = first;
        // `sane` keeps the span at least 1e-6 of the magnitude, so this loop is short; the cap is a backstop.
        while k <= last && ticks.len() < 50 {
            let t = k * step;
            ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            k += 1.0;
        }
        Axis {
            lo,
            hi,
            ticks,
            step,
            fmt,
            min_step,
        }
    }

    /// The same range with about `target` ticks.
    fn retick(&self, target: usize) -> Axis {
        Axis::with_min_step(self.lo, self.hi, target, self.fmt, self.min_step)
    }

    /// Ticks for an axis `len` pixels long whose labels must not touch: about one per `spacing` pixels, fewer
    /// while neighbouring labels would collide.
    fn fit(&self, len: i32, spacing: i32, label_extent: impl Fn(&str) -> i32) -> Axis {
        let mut target = (len / spacing.max(1)).clamp(2, 10) as usize;
        loop {
            let a = self.retick(target);
            let gap = f64::from(len) * a.step / (a.hi - a.lo);
            let widest = a.ticks.iter().map(|t| label_extent(&a.label(*t))).max().unwrap_or(0);
            if f64::from(widest) + 16.0 <= gap || target <= 2 {
                return a;
            }
            target -= 1;
        }
    }

    fn coord(&self) -> Ticked {
        Ticked {
            inner: (self.lo..self.hi).into(),
            ticks: self.ticks.clone(),
        }
    }

    fn label(&self, v: f64) -> String {
        self.fmt.tick(v, self.step)
    }

    fn contains(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }
}

/// A linear f64 coordinate with our ticks. plotters' `WithKeyPoints` would do, but it loses the default value
/// formatting that the mesh requires even when every label goes through our own formatter.
#[derive(Clone)]
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // No light grid lines: the bold grid at our ticks is enough and keeps the plot calm.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// Quantile with linear interpolation between order statistics (R's type 7) of sorted, finite values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    crate::analysis::stats::quantile_sorted(sorted, p)
}

/// Lines as runs of points; a gap in the data starts a new run.
type Runs = Vec<Vec<(f64, f64)>>;

/// Splits a sequence of optional points into runs of consecutive usable points, so gaps are not bridged.
fn runs<I: IntoIterator<Item = (f64, f64)>>(points: I) -> Runs {
    let mut out: Runs = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in points {
        if usable(x) && usable(y) {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Indices of `lambda` with usable values, in increasing order of lambda (curves are drawn left to right).
fn lambda_order(lambda: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..lambda.len()).filter(|&i| usable(lambda[i])).collect();
    idx.sort_by(|&a, &b| lambda[a].total_cmp(&lambda[b]));
    idx
}

// ---------------------------------------------------------------------------------------------------------------
// Layout pieces shared by all figures: header, legend strip, notes, chart with our ticks.

/// What a legend entry shows beside its label.
enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor, u32),
    Thick(RGBAColor, u32),
    Fill(RGBAColor),
    /// A few small dots and a large ringed circle: an arm's iterations and its mean on the CE plane.
    Cloud(RGBColor),
}

struct Entry {
    swatch: Swatch,
    label: String,
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

fn legend_height(entries: &[Entry], width: i32) -> i32 {
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

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
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

/// The parts around a figure's plot region: title, optional subtitle, legend strip and notes at the bottom.
struct Frame<'a> {
    title: &'a str,
    subtitle: &'a str,
    legend: &'a [Entry],
    notes: &'a [String],
}

impl Frame<'_> {
    /// Draws the frame and returns the area left for the plot.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<DrawingArea<DB, Shift>, String> {
        root.fill(&WHITE).map_err(err)?;
        let (w, h) = root.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        // A long title (a scenario's title and two arms' labels) takes a second line rather than losing its end.
        let title = wrap(self.title, TITLE_PX, w - 2 * SIDE, 2);
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
        if !self.subtitle.is_empty() {
            let sub = fit(self.subtitle, SUBTITLE_PX, w - 2 * SIDE);
            text(root, &sub, SUBTITLE_PX, MUTED, (SIDE, top), (HPos::Left, VPos::Top))?;
            top += 30;
        }
        let lh = legend_height(self.legend, w);
        if lh > 0 {
            let (_, below) = root.split_vertically(top);
            draw_legend(&below, self.legend)?;
            top += lh;
        }
        let note_h = 24;
        let bottom = h - 8 - note_h * self.notes.len() as i32;
        for (i, note) in self.notes.iter().enumerate() {
            let line = fit(note, NOTE_PX, w - 2 * SIDE);
            let y = bottom + 4 + note_h * i as i32;
            text(root, &line, NOTE_PX, MUTED, (SIDE, y), (HPos::Left, VPos::Top))?;
        }
        let (_, rest) = root.split_vertically(top);
        let (body, _) = rest.split_vertically((bottom - top).max(50));
        Ok(body.margin(4, 0, 8, 8))
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// A chart on `area` with the house frame and grid lines at the ticks but no tick labels (callers draw those
/// themselves, measured, so they never collide). `margins` are top, right, x-label area and y-label area in pixels.
fn gridded_chart<'a, DB: DrawingBackend>(
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
fn chart<'a, DB: DrawingBackend>(
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
fn vline<DB: DrawingBackend>(c: &mut Chart<DB>, y: &Axis, x: f64, st: ShapeStyle, dashed: bool) -> Result<(), String> {
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
fn hline<DB: DrawingBackend>(c: &mut Chart<DB>, x: &Axis, y: f64, st: ShapeStyle, dashed: bool) -> Result<(), String> {
    let pts = vec![(x.lo, y), (x.hi, y)];
    if dashed {
        c.draw_series(std::iter::once(DashedPathElement::new(pts, 9, 6, st)))
            .map_err(err)?;
    } else {
        c.draw_series(std::iter::once(PathElement::new(pts, st))).map_err(err)?;
    }
    Ok(())
}

fn message_box<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, msg: &str) -> Result<(), String> {
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

// ---------------------------------------------------------------------------------------------------------------
// ROI histograms.

/// One payer's benefit–cost ratios, summarised and binned.
struct RoiPanel {
    label: String,
    total: usize,
    bad: usize,
    stats: Option<RoiStats>,
}

struct RoiStats {
    median: f64,
    lo95: f64,
    hi95: f64,
    /// Share of iterations returning at least £1 per £1.
    at_least_one: f64,
    x: Axis,
    y: Axis,
    /// (left edge, right edge, % of iterations).
    bins: Vec<(f64, f64, f64)>,
    clipped: bool,
}

impl RoiPanel {
    fn new(sample: &Sample) -> RoiPanel {
        let mut v: Vec<f64> = sample.values.iter().copied().filter(|x| usable(*x)).collect();
        let total = sample.values.len();
        let bad = total - v.len();
        let label = clean(&sample.label);
        if v.is_empty() {
            return RoiPanel {
                label,
                total,
                bad,
                stats: None,
            };
        }
        v.sort_unstable_by(f64::total_cmp);
        let n = v.len();
        // Statistics use every finite iteration; only the drawing range is clipped.
        let (median, lo95, hi95) = (quantile(&v, 0.5), quantile(&v, 0.025), quantile(&v, 0.975));
        let at_least_one = v.iter().filter(|x| **x >= 1.0).count() as f64 / n as f64;
        let (clip_lo, clip_hi) = sane(quantile(&v, 0.005), quantile(&v, 0.995));
        let clipped = v[0] < clip_lo || v[n - 1] > clip_hi;
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

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = area.margin(6, 10, 4, 14);
        let (w, _) = area.dim_in_pixel();
        let w = w as i32;
        let (head, plot) = area.split_vertically(84);
        let label = if self.label.is_empty() {
            "(unnamed payer)".to_string()
        } else {
            fit(&self.label, PANEL_PX, w)
        };
        text(&head, &label, PANEL_PX, INK, (0, 4), (HPos::Left, VPos::Top))?;
        let Some(s) = &self.stats else {
            let msg = if self.total == 0 {
                "no spend by this payer"
            } else {
                "no finite values to plot"
            };
            return message_box(&plot.margin(8, 8, 8, 8), msg);
        };
        let line1 = format!(
            "median {}, 95% interval {} to {}",
            ratio_label(s.median),
            ratio_label(s.lo95),
            ratio_label(s.hi95)
        );
        let mut line2 = format!("£1 or more back in {} of iterations", percent_label(s.at_least_one));
        if !s.x.contains(1.0) {
            line2.push_str(" (break-even off the chart)");
        }
        text(
            &head,
            &fit(&line1, LEGEND_PX, w),
            LEGEND_PX,
            INK,
            (0, 34),
            (HPos::Left, VPos::Top),
        )?;
        text(
            &head,
            &fit(&line2, LEGEND_PX, w),
            LEGEND_PX,
            MUTED,
            (0, 58),
            (HPos::Left, VPos::Top),
        )?;
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

struct RoiFigure {
    title: String,
    panels: Vec<RoiPanel>,
}

impl RoiFigure {
    fn new(title: &str, samples: &[Sample]) -> RoiFigure {
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
                label: "median".into(),
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
                "x axis clipped to the central 99% of iterations; medians and intervals use all iterations."
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
        for (panel, cell) in self.panels.iter().zip(body.split_evenly((rows, cols))) {
            panel.draw(&cell)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cost-effectiveness plane.

struct CeArm {
    label: String,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
    mean: Option<(f64, f64)>,
    finite: usize,
}

struct CeFigure {
    title: String,
    outcome: String,
    arms: Vec<CeArm>,
    /// Usable willingness-to-pay values.
    lambda: Vec<f64>,
    x: Axis,
    y: Axis,
    notes: Vec<String>,
}

impl CeFigure {
    fn new(title: &str, outcome: &str, arms: &[(String, &[f64], &[f64])], lambda: &[f64]) -> CeFigure {
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
            outcome: display_outcome(outcome),
            arms: ce_arms,
            lambda,
            x,
            y,
            notes,
        }
    }

    /// The part of the line ΔC = λ·ΔE inside the plot, clipped to the axes' box.
    fn wtp_segment(&self, l: f64) -> Option<((f64, f64), (f64, f64))> {
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

/// "50th", "2nd", "every 3rd".
fn ordinal(k: usize) -> String {
    let suffix = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{}{suffix}", count_label(k))
}

impl Figure for CeFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let unit = if self.outcome.is_empty() {
            "unit of outcome".to_string()
        } else {
            self.outcome.clone()
        };
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
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &legend,
            notes: &self.notes,
        };
        let body = frame.draw(root)?;
        let x_desc = format!("Incremental {unit}");
        let mut c = chart(&body, &self.x, &self.y, &x_desc, "Incremental cost (£)", 0)?;
        let (x, y) = (&self.x, &self.y);
        // Axes through the origin.
        vline(&mut c, y, 0.0, OI_BLACK.stroke_width(1), false)?;
        hline(&mut c, x, 0.0, OI_BLACK.stroke_width(1), false)?;
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
        // Means on top of everything.
        for a in &self.arms {
            if let Some(m) = a.mean {
                mean_marker(root, c.backend_coord(&m), 10, a.colour)?;
            }
        }
        // Quadrant labels in the corners that lie in each quadrant.
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

/// A mean: the arm's colour inside a white ring and a black rim, so it stands out from its own cloud.
fn mean_marker<DB: DrawingBackend>(
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

/// Money with an explicit sign: "+£1.2k", "−£300".
fn signed_money(v: f64) -> String {
    let s = money_label(v);
    if v > 0.0 && v.abs() >= 0.005 {
        format!("+{s}")
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cost-effectiveness acceptability curves.

struct CeacFigure {
    title: String,
    outcome: String,
    /// Per arm: label, colour, runs of (λ, probability).
    curves: Vec<(String, RGBColor, Runs)>,
    /// Runs of the frontier where one arm stays optimal: (arm, points).
    frontier: Vec<(usize, Vec<(f64, f64)>)>,
    x: Axis,
    y: Axis,
    bad: usize,
}

impl CeacFigure {
    fn new(title: &str, outcome: &str, lambda: &[f64], arms: &[(String, &[f64])], frontier: &[usize]) -> CeacFigure {
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
            outcome: display_outcome(outcome),
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

// ---------------------------------------------------------------------------------------------------------------
// Expected value of perfect information.

struct EvpiFigure {
    title: String,
    outcome: String,
    per_person: Runs,
    population: Option<Runs>,
    x: Axis,
    y_person: Axis,
    y_population: Option<Axis>,
    bad: usize,
}

/// The highest point over all runs.
fn peak(runs: &[Vec<(f64, f64)>]) -> Option<(f64, f64)> {
    runs.iter().flatten().copied().fold(None, |best, p| match best {
        Some(b) if b.1 >= p.1 => Some(b),
        _ => Some(p),
    })
}

fn value_axis(runs: &[Vec<(f64, f64)>]) -> Axis {
    // EVPI is never negative; the axis starts at zero so the curve's height reads as value.
    let (lo, hi) = extent(runs.iter().flatten().map(|p| p.1).chain([0.0])).unwrap_or((0.0, 1.0));
    let (lo, hi) = sane(lo, hi);
    Axis::new(lo, hi + (hi - lo) * 0.1, 5, Fmt::Money)
}

impl EvpiFigure {
    fn new(title: &str, outcome: &str, lambda: &[f64], per: &[f64], population: Option<&[f64]>) -> EvpiFigure {
        let order = lambda_order(lambda);
        let series = |v: &[f64]| {
            runs(
                order
                    .iter()
                    .map(|&j| (lambda[j], v.get(j).copied().unwrap_or(f64::NAN))),
            )
        };
        let count_bad = |v: &[f64]| order.iter().filter(|&&j| !v.get(j).is_some_and(|x| usable(*x))).count();
        let bad = lambda.len() - order.len() + count_bad(per) + population.map_or(0, count_bad);
        let per_person = series(per);
        let population = population.map(series);
        let (l0, l1) = extent(order.iter().map(|&j| lambda[j])).unwrap_or((0.0, 1.0));
        let x = Axis::new(l0, l1, 8, Fmt::Money);
        let y_person = value_axis(&per_person);
        let y_population = population.as_deref().map(value_axis);
        EvpiFigure {
            title: title.to_string(),
            outcome: display_outcome(outcome),
            per_person,
            population,
            x,
            y_person,
            y_population,
            bad,
        }
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        runs: &[Vec<(f64, f64)>],
        y: &Axis,
        y_desc: &str,
        what: &str,
        colour: RGBColor,
    ) -> Result<(), String> {
        let unit = if self.outcome.is_empty() {
            "unit of outcome".to_string()
        } else {
            self.outcome.clone()
        };
        let (w, _) = area.dim_in_pixel();
        let (head, plot) = area.split_vertically(30);
        let line = match peak(runs) {
            Some((l, v)) => format!("{what}: highest {} at {} per {unit}", money_label(v), money_label(l)),
            None => format!("{what}: no finite values"),
        };
        text(
            &head,
            &fit(&line, LEGEND_PX, w as i32 - 20),
            LEGEND_PX,
            INK,
            (10, 4),
            (HPos::Left, VPos::Top),
        )?;
        let x_desc = format!("Willingness to pay (£ per {unit})");
        // Both panels get the same label width so their x axes line up.
        let mut c = chart(&plot, &self.x, y, &x_desc, y_desc, 110)?;
        for run in runs {
            c.draw_series(std::iter::once(PathElement::new(run.clone(), colour.stroke_width(3))))
                .map_err(err)?;
        }
        if let Some(p) = peak(runs) {
            c.draw_series([
                Circle::new(p, 7, colour.filled()),
                Circle::new(p, 7, OI_BLACK.stroke_width(2)),
            ])
            .map_err(err)?;
        }
        Ok(())
    }
}

impl Figure for EvpiFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut notes = vec![
            "EVPI: the most it would be worth paying to remove all uncertainty in the model's parameters.".to_string(),
        ];
        if self.bad > 0 {
            notes.push(format!("{} skipped.", plural(self.bad, "non-finite or missing value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: "",
            legend: &[],
            notes: &notes,
        };
        let body = frame.draw(root)?;
        match (&self.population, &self.y_population) {
            (Some(pop), Some(yp)) => {
                let h = body.dim_in_pixel().1;
                let (top, bottom) = body.split_vertically(h / 2);
                self.panel(
                    &top,
                    &self.per_person,
                    &self.y_person,
                    "EVPI (£ per person)",
                    "Per person",
                    OI_BLUE,
                )?;
                self.panel(
                    &bottom,
                    pop,
                    yp,
                    "Population EVPI (£)",
                    "Whole population",
                    OI_VERMILLION,
                )
            }
            _ => self.panel(
                &body,
                &self.per_person,
                &self.y_person,
                "EVPI (£ per person)",
                "Per person",
                OI_BLUE,
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Fan chart of cumulative net savings.

struct FanFigure {
    title: String,
    /// Polygons of the 95% and 50% bands (each may be split where values are missing).
    band95: Runs,
    band50: Runs,
    median: Runs,
    x: Axis,
    y: Axis,
    summary: String,
    bad: usize,
}

/// Closed polygons between two curves over runs of years where both are usable.
fn band(years: &[f64], lo: &[f64], hi: &[f64], order: &[usize]) -> Runs {
    let mut out = Vec::new();
    let mut upper: Vec<(f64, f64)> = Vec::new();
    let mut lower: Vec<(f64, f64)> = Vec::new();
    let mut flush = |upper: &mut Vec<(f64, f64)>, lower: &mut Vec<(f64, f64)>| {
        if !upper.is_empty() {
            let mut poly = std::mem::take(upper);
            poly.extend(lower.drain(..).rev());
            out.push(poly);
        }
    };
    for &j in order {
        match (lo.get(j), hi.get(j)) {
            (Some(&a), Some(&b)) if usable(a) && usable(b) => {
                upper.push((years[j], a.max(b)));
                lower.push((years[j], a.min(b)));
            }
            _ => flush(&mut upper, &mut lower),
        }
    }
    flush(&mut upper, &mut lower);
    out
}

impl FanFigure {
    fn new(title: &str, years: &[f64], p: [&[f64]; 5]) -> FanFigure {
        let order = lambda_order(years);
        let bad = years.len() - order.len()
            + p.iter()
                .map(|s| order.iter().filter(|&&j| !s.get(j).is_some_and(|v| usable(*v))).count())
                .sum::<usize>();
        let band95 = band(years, p[0], p[4], &order);
        let band50 = band(years, p[1], p[3], &order);
        let median = runs(
            order
                .iter()
                .map(|&j| (years[j], p[2].get(j).copied().unwrap_or(f64::NAN))),
        );
        let (x0, x1) = extent(order.iter().map(|&j| years[j])).unwrap_or((0.0, 1.0));
        let integer_years = order.iter().all(|&j| years[j].fract() == 0.0);
        let x = Axis::with_min_step(x0, x1, 10, Fmt::Number, if integer_years { 1.0 } else { 0.0 });
        let all_y = band95.iter().chain(&band50).chain(&median).flatten().map(|q| q.1);
        let (y0, y1) = extent(all_y.chain([0.0])).unwrap_or((0.0, 1.0));
        let (y0, y1) = padded(y0, y1, 0.06);
        let y = Axis::new(y0, y1, 7, Fmt::Money);
        // The last year's median and 95% interval, and when the median first reaches break-even.
        let mut summary = String::new();
        if let Some(&j) = order.iter().rev().find(|&&j| p[2].get(j).is_some_and(|v| usable(*v))) {
            let get = |s: &[f64]| s.get(j).copied().filter(|v| usable(*v));
            summary = format!(
                "By year {}: median {}",
                number_label(years[j], decimals_for(years[j]).min(2)),
                money_label(p[2][j])
            );
            if let (Some(a), Some(b)) = (get(p[0]), get(p[4])) {
                summary.push_str(&format!(" (95% interval {} to {})", money_label(a), money_label(b)));
            }
            let first_even = median.iter().flatten().find(|q| q.1 >= 0.0 && q.0 > x0);
            let starts_negative = median.first().and_then(|r| r.first()).is_some_and(|q| q.1 < 0.0);
            match first_even {
                Some(q) if starts_negative => summary.push_str(&format!(
                    "; median breaks even by year {}",
                    number_label(q.0, decimals_for(q.0).min(2))
                )),
                None if median.iter().flatten().all(|q| q.1 < 0.0) => summary.push_str("; median does not break even"),
                _ => {}
            }
            summary.push('.');
        }
        FanFigure {
            title: title.to_string(),
            band95,
            band50,
            median,
            x,
            y,
            summary,
            bad,
        }
    }
}

impl Figure for FanFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [
            Entry {
                swatch: Swatch::Line(OI_BLUE, 3),
                label: "median".into(),
            },
            Entry {
                swatch: Swatch::Fill(OI_BLUE.mix(0.40)),
                label: "50% of iterations (25th–75th percentile)".into(),
            },
            Entry {
                swatch: Swatch::Fill(OI_BLUE.mix(0.18)),
                label: "95% of iterations (2.5th–97.5th)".into(),
            },
            Entry {
                swatch: Swatch::Dashed(OI_BLACK, 2),
                label: "break-even".into(),
            },
        ];
        let mut notes = Vec::new();
        if self.bad > 0 {
            notes.push(format!("{} skipped.", plural(self.bad, "non-finite or missing value")));
        }
        let frame = Frame {
            title: &self.title,
            subtitle: &self.summary,
            legend: &legend,
            notes: &notes,
        };
        let body = frame.draw(root)?;
        let mut c = chart(
            &body,
            &self.x,
            &self.y,
            "Year",
            "Cumulative net savings (£ per person)",
            0,
        )?;
        for poly in &self.band95 {
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.18).filled())))
                .map_err(err)?;
        }
        for poly in &self.band50 {
            // Drawn over the 95% band, so the two alphas add up to the 50% swatch's look.
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.27).filled())))
                .map_err(err)?;
        }
        hline(&mut c, &self.x, 0.0, OI_BLACK.stroke_width(2), true)?;
        for run in &self.median {
            if run.len() == 1 {
                c.draw_series(std::iter::once(Circle::new(run[0], 5, OI_BLUE.filled())))
                    .map_err(err)?;
            } else {
                c.draw_series(std::iter::once(PathElement::new(run.clone(), OI_BLUE.stroke_width(3))))
                    .map_err(err)?;
            }
        }
        let (px, py) = c.backend_coord(&(self.x.hi, 0.0));
        boxed_text(
            root,
            "break-even",
            NOTE_PX,
            INK,
            (px - 8, py - 6),
            (HPos::Right, VPos::Bottom),
        )?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// EVPPI by parameter: ranked horizontal bars.

/// Most bars on the EVPPI chart; the others are counted in a note.
pub const MAX_EVPPI_BARS: usize = 30;

/// EVPPI per person of parameters or groups as horizontal bars, largest first, with 95% intervals (±1.96 SE).
///
/// `bars` holds (label, EVPPI per person, its standard error); `wtp_label` says at which willingness to pay
/// ("£20,000 per QALY") and goes in the subtitle; `method` (from [`crate::analysis::evppi::Evppi::method`]) is
/// printed in the notes, because EVPPI estimators disagree; `evpi`, if given, is drawn as the reference line that
/// no bar can exceed.
pub fn evppi_bars(
    base: &Path,
    title: &str,
    wtp_label: &str,
    method: &str,
    bars: &[(String, f64, f64)],
    evpi: Option<f64>,
) -> Result<Vec<PathBuf>, PlotError> {
    let fig = EvppiFigure::new(title, wtp_label, method, bars, evpi);
    render(base, (WIDTH, fig.height()), &fig)
}

struct EvppiBar {
    label: String,
    value: f64,
    /// Half-width of the 95% interval (1.96 SE), when the SE is usable.
    half: Option<f64>,
}

impl EvppiBar {
    /// The bar's right end: its whisker's, or the bar's own.
    fn end(&self) -> f64 {
        self.value + self.half.unwrap_or(0.0)
    }

    /// "£1.23k ± £45", or the value alone.
    fn caption(&self) -> String {
        match self.half {
            Some(h) => format!("{} ± {}", money_label(self.value), money_label(h)),
            None => money_label(self.value),
        }
    }
}

struct EvppiFigure {
    title: String,
    subtitle: String,
    method: String,
    /// Ranked, largest first, at most MAX_EVPPI_BARS.
    bars: Vec<EvppiBar>,
    /// Bars with a finite estimate, before the cut to MAX_EVPPI_BARS.
    finite: usize,
    /// Bars without a finite estimate (left out).
    bad: usize,
    evpi: Option<f64>,
}

impl EvppiFigure {
    fn new(title: &str, wtp_label: &str, method: &str, bars: &[(String, f64, f64)], evpi: Option<f64>) -> EvppiFigure {
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
    fn height(&self) -> u32 {
        (HEIGHT + 30 * self.bars.len().saturating_sub(14) as u32).min(HEIGHT_TWO_ROWS + 300)
    }

    /// The bars' chart: categories down the left, money along the bottom.
    fn chart<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        const X_AREA: i32 = 66;
        const TOP: i32 = 30;
        const RIGHT: i32 = 30;
        let (aw, _) = area.dim_in_pixel();
        let aw = aw as i32;
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
            c.draw_series(std::iter::once(Rectangle::new(
                [(0.0, yc - half_h), (b.value, yc + half_h)],
                OI_BLUE.mix(0.8).filled(),
            )))
            .map_err(err)?;
            if let Some(h) = b.half {
                // EVPPI is never negative, so the interval is cut at zero (and loses its cap there).
                let (w0, w1) = ((b.value - h).max(x.lo.max(0.0)), b.value + h);
                let cap = half_h * 0.5;
                c.draw_series(std::iter::once(PathElement::new(
                    vec![(w0, yc), (w1, yc)],
                    INK.stroke_width(2),
                )))
                .map_err(err)?;
                let mut ends = vec![w1];
                if w0 > 0.0 || b.value - h >= 0.0 {
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
fn vline_categories<DB: DrawingBackend>(
    c: &mut ChartContext<DB, Cartesian2d<Ticked, Ticked>>,
    rows: f64,
    x: f64,
    st: ShapeStyle,
) -> Result<(), String> {
    c.draw_series(std::iter::once(DashedPathElement::new(
        vec![(x, 0.0), (x, rows)],
        9,
        6,
        st,
    )))
    .map_err(err)?;
    Ok(())
}

/// `text` broken into at most `max_lines` lines that fit `max_w` pixels; the last is cut with "…" if need be.
fn wrap(text: &str, px: f64, max_w: i32, max_lines: usize) -> Vec<String> {
    // Words are cleaned one by one, so a long text is not cut at the length `clean` allows a single line.
    let raw: String = text.chars().take(4 * MAX_TEXT_CHARS).collect();
    let words: Vec<String> = raw.split_whitespace().map(clean).filter(|w| !w.is_empty()).collect();
    let limit = max_w * 6 / 7;
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut k = 0;
    while k < words.len() {
        if lines.len() + 1 == max_lines.max(1) {
            // The last line takes the rest, shortened to fit.
            let rest = words[k..].join(" ");
            let rest = if line.is_empty() {
                rest
            } else {
                format!("{line} {rest}")
            };
            lines.push(fit(&rest, px, max_w));
            return lines;
        }
        let candidate = if line.is_empty() {
            words[k].clone()
        } else {
            format!("{line} {}", words[k])
        };
        if line.is_empty() || measure(&candidate, px).0 <= limit {
            line = candidate;
            k += 1;
        } else {
            lines.push(fit(&std::mem::take(&mut line), px, max_w));
        }
    }
    if !line.is_empty() {
        lines.push(fit(&line, px, max_w));
    }
    lines
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed-seed LCG, so the synthetic PSA data are the same on every run without new dependencies.
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
        }

        fn lognormal(&mut self, mu: f64, sigma: f64, n: usize) -> Vec<f64> {
            (0..n).map(|_| (mu + sigma * self.normal()).exp()).collect()
        }
    }

    /// Draws a figure into an RGB buffer through the same path as the PNG, for pixel checks.
    fn raster<F: Figure>(fig: &F, size: (u32, u32)) -> Vec<u8> {
        ensure_font().expect("font");
        let mut buf = vec![0u8; (size.0 * size.1 * 3) as usize];
        {
            let _glyphs = GlyphByGlyph::on();
            let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
            fig.draw(&root).expect("draws");
            root.present().expect("presents");
        }
        buf
    }

    /// Draws a figure to a bitmap buffer and an SVG string, skipping PNG encoding (slow in debug builds), for
    /// edge cases where only "draws without panicking, and says the right thing" matters.
    fn draw_both<F: Figure>(fig: &F) -> String {
        raster(fig, (WIDTH, HEIGHT_TWO_ROWS));
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
    fn ink(buf: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> f64 {
        let mut inked = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let i = ((y * width + x) * 3) as usize;
                if buf[i..i + 3].iter().any(|c| *c < 235) {
                    inked += 1;
                }
            }
        }
        f64::from(inked) / f64::from((x1 - x0) * (y1 - y0))
    }

    /// Checks a PNG by its structure (signature, IHDR size, IEND) and returns its width and height.
    fn check_png(path: &Path, min_bytes: u64) -> (u32, u32) {
        let bytes = std::fs::read(path).expect("png readable");
        assert!(
            bytes.len() as u64 > min_bytes,
            "{} is only {} bytes",
            path.display(),
            bytes.len()
        );
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let w = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        let h = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        assert_eq!(&bytes[bytes.len() - 8..bytes.len() - 4], b"IEND", "PNG ends with IEND");
        (w, h)
    }

    /// Checks an SVG is a whole document with text elements containing each of `texts`.
    fn check_svg(path: &Path, texts: &[&str]) -> String {
        let svg = std::fs::read_to_string(path).expect("svg readable");
        assert!(svg.starts_with("<svg"), "starts with <svg");
        assert!(svg.trim_end().ends_with("</svg>"), "ends with </svg>");
        assert!(svg.contains("<text"), "has text elements");
        assert_eq!(
            svg.matches("<text").count(),
            svg.matches("</text>").count(),
            "text elements closed"
        );
        assert!(
            !svg.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "no control characters"
        );
        for t in texts {
            assert!(svg.contains(t), "{} lacks {t:?}", path.display());
        }
        svg
    }

    fn check_outputs(paths: &[PathBuf], base: &Path, min_png_bytes: u64, texts: &[&str]) -> String {
        assert_eq!(paths, &[with_suffix(base, "png"), with_suffix(base, "svg")]);
        let (w, h) = check_png(&paths[0], min_png_bytes);
        assert!(w == WIDTH && (h == HEIGHT || h == HEIGHT_TWO_ROWS), "PNG is {w}×{h}");
        check_svg(&paths[1], texts)
    }

    fn payer_samples(r: &mut Lcg, n: usize) -> Vec<Vec<f64>> {
        vec![
            r.lognormal(0.25, 0.25, n),
            r.lognormal(0.7, 0.45, n),
            r.lognormal(-0.5, 0.2, n),
            r.lognormal(0.3, 0.2, n),
        ]
    }

    /// Incremental QALYs and costs for two arms, correlated as a real PSA's would be.
    fn ce_arms(r: &mut Lcg, n: usize) -> [(Vec<f64>, Vec<f64>); 2] {
        let mut a = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut b = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let z = r.normal();
            a.0.push(0.03 + 0.012 * z);
            a.1.push(400.0 + 700.0 * (0.5 * z + 0.87 * r.normal()));
            let z = r.normal();
            b.0.push(0.008 + 0.006 * z);
            b.1.push(-300.0 + 450.0 * (-0.3 * z + 0.95 * r.normal()));
        }
        [a, b]
    }

    #[test]
    fn roi_histograms_render_png_and_svg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = Lcg(1);
        let data = payer_samples(&mut r, 5_000);
        let names = ["Council", "NHS", "Person", "Whole system"];
        let panels: Vec<Sample> = names
            .iter()
            .zip(&data)
            .map(|(n, v)| Sample {
                label: n.to_string(),
                values: v,
            })
            .collect();
        let base = dir.path().join("roi");
        let paths = roi_histograms(&base, "Return on investment: reablement", &panels).expect("renders");
        check_outputs(
            &paths,
            &base,
            10_000,
            &[
                "Return on investment: reablement",
                "£ back per £1 spent",
                "% of iterations",
                "Council",
                "median £",
            ],
        );
        let fig = RoiFigure::new("ROI", &panels);
        let buf = raster(&fig, (WIDTH, HEIGHT_TWO_ROWS));
        // Each panel's plot region has bars in it.
        for region in [
            (100, 220, 550, 450),
            (700, 220, 1150, 450),
            (100, 650, 550, 880),
            (700, 650, 1150, 880),
        ] {
            assert!(ink(&buf, WIDTH, region) > 0.05, "panel {region:?} is empty");
        }
    }

    #[test]
    fn roi_statistics_use_all_values_but_the_axis_is_clipped() {
        let mut v: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 / 1000.0).collect();
        v.extend([1e6, f64::NAN, f64::INFINITY]);
        let p = RoiPanel::new(&Sample {
            label: "NHS".into(),
            values: &v,
        });
        let s = p.stats.expect("stats");
        assert_eq!(p.bad, 2);
        assert!(s.clipped);
        assert!(s.x.hi < 10.0, "the 1e6 outlier must not stretch the axis: {}", s.x.hi);
        // With the outlier the middle of 1,001 values is exactly 1.5; without it, 1.4995.
        assert_eq!(s.median, 1.5);
        assert!(s.x.contains(1.0), "break-even near the data is shown");
        let total: f64 = s.bins.iter().map(|b| b.2).sum();
        assert!(total > 98.0 && total <= 100.0, "bins hold the central 99%: {total}");
    }

    #[test]
    fn roi_edge_cases_draw() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nan = [f64::NAN, 1.2, f64::NEG_INFINITY, 0.9, 1.4];
        let panels = [
            Sample {
                label: "One iteration".into(),
                values: &[1.37],
            },
            Sample {
                label: "All equal".into(),
                values: &[0.8; 40],
            },
            Sample {
                label: "With NaN".into(),
                values: &nan,
            },
            Sample {
                label: "NHS".into(),
                values: &[],
            },
            Sample {
                label: "All NaN".into(),
                values: &[f64::NAN],
            },
            Sample {
                label: String::new(),
                values: &[-3.0, 250_000.0],
            },
        ];
        let base = dir.path().join("edge");
        let paths = roi_histograms(&base, "", &panels).expect("renders");
        let svg = check_outputs(
            &paths,
            &base,
            10_000,
            &["no spend by this payer", "no finite values to plot"],
        );
        assert!(svg.contains("3 non-finite values skipped"), "counts skipped values");
        // No panels at all still gives a figure.
        assert!(draw_both(&RoiFigure::new("Nothing", &[])).contains("no payer perspectives to show"));
        // More panels than the grid was designed for are cramped but still drawn.
        let many: Vec<Sample> = (0..15)
            .map(|i| Sample {
                label: format!("Payer {i}"),
                values: &nan,
            })
            .collect();
        draw_both(&RoiFigure::new("Many", &many));
    }

    #[test]
    fn ce_plane_renders_and_thins_a_million_iterations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = Lcg(2);
        let [a, b] = ce_arms(&mut r, 1_000_000);
        let arms = [
            ("Reablement".to_string(), &a.0[..], &a.1[..]),
            ("Telecare".to_string(), &b.0[..], &b.1[..]),
        ];
        let base = dir.path().join("ce");
        let paths = ce_plane(&base, "CE plane", "qaly", &arms, &[20_000.0, 30_000.0]).expect("renders");
        let svg = check_outputs(
            &paths,
            &base,
            10_000,
            &[
                "CE plane",
                "Incremental QALY",
                "Incremental cost (£)",
                "£20k per QALY",
                "£30k per QALY",
                "showing 20,000 of 1,000,000 iterations per arm (every 50th)",
                "more costly, more effective",
            ],
        );
        assert_eq!(
            svg.matches("<circle").count(),
            2 * 20_000 + 2 * 3 + 2 * (5 + 3),
            "thinned points, means, legend"
        );
        let fig = CeFigure::new("CE", "qaly", &arms, &[30_000.0]);
        assert!(fig.arms.iter().all(|a| a.points.len() == 20_000));
        // Means come from every iteration, not the thinned subset.
        let mean_a: f64 = a.0.iter().sum::<f64>() / a.0.len() as f64;
        assert_eq!(fig.arms[0].mean.map(|m| m.0), Some(mean_a));
        let buf = raster(&fig, (WIDTH, HEIGHT));
        assert!(ink(&buf, WIDTH, (300, 200, 900, 600)) > 0.3, "the clouds are drawn");
    }

    #[test]
    fn ce_plane_edge_cases_draw() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = [0.01, 0.01, 0.01];
        let c = [500.0, 500.0, 500.0];
        let nan_e = [f64::NAN, 0.02, 0.01];
        let nan_c = [1.0, f64::INFINITY, -200.0];
        let arms = [
            ("All equal".to_string(), &e[..], &c[..]),
            ("NaNs".to_string(), &nan_e[..], &nan_c[..]),
            ("One".to_string(), &[0.0][..], &[0.0][..]),
            ("Empty".to_string(), &[][..], &[][..]),
            ("Mismatched".to_string(), &[0.1, 0.2][..], &[100.0][..]),
        ];
        let base = dir.path().join("ce_edge");
        let paths = ce_plane(&base, "Edge", "ascot", &arms, &[f64::NAN, 0.0, -5.0, 1e300]).expect("renders");
        let svg = check_outputs(&paths, &base, 10_000, &["Incremental ASCOT", "no finite iterations"]);
        assert!(
            svg.contains("3 iterations with non-finite or missing values skipped"),
            "counts skipped"
        );
        let all_zero = [("Zero".to_string(), &[0.0, 0.0][..], &[0.0, 0.0][..])];
        draw_both(&CeFigure::new("Zero", "qaly", &all_zero, &[]));
        draw_both(&CeFigure::new("None", "qaly", &[], &[20_000.0]));
    }

    /// CEAC inputs from a small PSA: probability each arm has the highest net benefit, and the frontier.
    fn ceac_inputs(n: usize) -> (Vec<f64>, Vec<Vec<f64>>, Vec<usize>, Vec<f64>) {
        let mut r = Lcg(3);
        let [a, b] = ce_arms(&mut r, n);
        let lambda: Vec<f64> = (0..=50).map(|i| i as f64 * 1000.0).collect();
        let mut probs = vec![vec![0.0; lambda.len()]; 3];
        let mut frontier = vec![0; lambda.len()];
        let mut evpi = vec![0.0; lambda.len()];
        for (li, l) in lambda.iter().enumerate() {
            let (mut mean, mut best_mean) = ([0.0; 3], 0.0);
            for j in 0..n {
                let nb = [0.0, l * a.0[j] - a.1[j], l * b.0[j] - b.1[j]];
                let best = (0..3).fold(0, |m, k| if nb[k] > nb[m] { k } else { m });
                probs[best][li] += 1.0 / n as f64;
                best_mean += nb[best] / n as f64;
                for k in 0..3 {
                    mean[k] += nb[k] / n as f64;
                }
            }
            frontier[li] = (0..3).fold(0, |m, k| if mean[k] > mean[m] { k } else { m });
            evpi[li] = best_mean - mean[frontier[li]];
        }
        (lambda, probs, frontier, evpi)
    }

    #[test]
    fn ceac_renders_with_frontier() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (lambda, probs, frontier, _) = ceac_inputs(2000);
        assert!(
            frontier.contains(&1) && frontier.contains(&2),
            "test data should switch arm on the frontier"
        );
        let names = ["Usual care", "Reablement", "Telecare"];
        let arms: Vec<(String, &[f64])> = names.iter().zip(&probs).map(|(n, p)| (n.to_string(), &p[..])).collect();
        let base = dir.path().join("ceac");
        let paths = ceac(&base, "Acceptability", "qaly", &lambda, &arms, &frontier).expect("renders");
        check_outputs(
            &paths,
            &base,
            10_000,
            &[
                "Acceptability",
                "Willingness to pay (£ per QALY)",
                "Probability most cost-effective",
                "100%",
                "£50k",
            ],
        );
        let fig = CeacFigure::new("A", "qaly", &lambda, &arms, &frontier);
        assert_eq!(fig.frontier.len(), 2, "one frontier stretch per optimal arm");
        let buf = raster(&fig, (WIDTH, HEIGHT));
        assert!(ink(&buf, WIDTH, (150, 150, 1150, 700)) > 0.02, "curves are drawn");
        // Ragged and broken inputs.
        let short = [0.5];
        let nan = [f64::NAN; 51];
        let bad_arms = [("Short".to_string(), &short[..]), ("NaN".to_string(), &nan[..])];
        let svg = draw_both(&CeacFigure::new("Bad", "", &lambda, &bad_arms, &[7, 0, 1]));
        assert!(svg.contains("Willingness to pay (£ per unit of outcome)"));
        draw_both(&CeacFigure::new("One", "qaly", &[20_000.0], &arms, &[1]));
    }

    #[test]
    fn evpi_renders_per_person_and_population() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (lambda, _, _, per) = ceac_inputs(2000);
        let population: Vec<f64> = per.iter().map(|v| v * 90_000.0).collect();
        let base = dir.path().join("evpi");
        let paths = evpi(&base, "EVPI", "qaly", &lambda, &per, Some(&population)).expect("renders");
        check_outputs(
            &paths,
            &base,
            10_000,
            &["EVPI (£ per person)", "Population EVPI (£)", "highest £"],
        );
        let fig = EvpiFigure::new("EVPI", "qaly", &lambda, &per, None);
        let svg = draw_both(&fig);
        assert!(svg.contains("EVPI (£ per person)") && !svg.contains("Population EVPI"));
        let buf = raster(&fig, (WIDTH, HEIGHT));
        assert!(ink(&buf, WIDTH, (150, 150, 1150, 650)) > 0.01, "the curve is drawn");
        draw_both(&EvpiFigure::new(
            "Flat",
            "qaly",
            &[0.0, 1.0],
            &[0.0, 0.0],
            Some(&[f64::NAN, 0.0]),
        ));
        draw_both(&EvpiFigure::new("Empty", "qaly", &[], &[], None));
    }

    #[test]
    fn fan_chart_renders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let years: Vec<f64> = (0..=10).map(f64::from).collect();
        let centre: Vec<f64> = years.iter().map(|y| -1500.0 + 220.0 * y).collect();
        let band = |k: f64| {
            centre
                .iter()
                .zip(&years)
                .map(|(c, y)| c + k * (150.0 + 60.0 * y))
                .collect::<Vec<_>>()
        };
        let (p2, p25, p75, p97) = (band(-1.96), band(-0.67), band(0.67), band(1.96));
        let base = dir.path().join("fan");
        let paths = fan_chart(&base, "Net savings", &years, &p2, &p25, &centre, &p75, &p97).expect("renders");
        check_outputs(
            &paths,
            &base,
            10_000,
            &[
                "Net savings",
                "Cumulative net savings (£ per person)",
                "Year",
                "break-even",
                "median breaks even",
            ],
        );
        let fig = FanFigure::new("Fan", &years, [&p2, &p25, &centre, &p75, &p97]);
        let buf = raster(&fig, (WIDTH, HEIGHT));
        assert!(ink(&buf, WIDTH, (150, 200, 1150, 700)) > 0.3, "bands are drawn");
        // One year, all equal, and NaN holes.
        let one = [2.0];
        draw_both(&FanFigure::new("One", &one, [&one, &one, &one, &one, &one]));
        let holes = [1.0, f64::NAN, 3.0, 4.0];
        let svg = draw_both(&FanFigure::new(
            "Holes",
            &[0.0, 1.0, 2.0, 3.0],
            [&holes, &holes, &holes, &holes, &[]],
        ));
        assert!(svg.contains("skipped"));
    }

    #[test]
    fn a_title_too_long_for_one_line_takes_two_and_keeps_its_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let title =
            "Home care reablement (teaching example): £ back per £1 spent, Reablement first vs Conventional home care";
        assert!(
            fit(title, TITLE_PX, WIDTH as i32 - 2 * SIDE).ends_with('…'),
            "the title must not fit on one line"
        );
        let v = [1.0, 2.0];
        let paths = roi_histograms(
            &dir.path().join("t"),
            title,
            &[Sample {
                label: "Savings to the council".into(),
                values: &v,
            }],
        )
        .expect("ok");
        let svg = check_svg(&paths[1], &["Home care reablement", "Conventional home care"]);
        assert!(!svg.contains('…'), "nothing is cut");
    }

    #[test]
    fn long_unicode_titles_are_cleaned_and_truncated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let title = format!("Reablement 🏠👩‍⚕️ review\u{0}\u{7}<&> {}🎉", "x".repeat(200));
        assert!(title.chars().count() > 200);
        let v = [1.0, 2.0];
        let paths = roi_histograms(
            &dir.path().join("t"),
            &title,
            &[Sample {
                label: title.clone(),
                values: &v,
            }],
        )
        .expect("ok");
        let svg = check_svg(&paths[1], &["Reablement review &lt;&amp;&gt; xxx", "…"]);
        assert!(!svg.contains('🏠'), "pictographs the font lacks are dropped");
        let fitted = fit(&title, TITLE_PX, 1000);
        assert!(fitted.ends_with('…') && measure(&fitted, TITLE_PX).0 <= 1000);
        assert_eq!(fit("", TITLE_PX, 100), "");
        assert_eq!(fit("short", TITLE_PX, 0), "…");
        let huge = "é".repeat(1_000_000);
        assert!(fit(&huge, TITLE_PX, 500).chars().count() < 100);
        assert_eq!(clean("a\u{200D}b\u{202E}c\n\td  "), "abc d");
        assert_eq!(clean("Résumé — 日本"), "Résumé — 日本", "other scripts are kept");
    }

    #[test]
    fn money_and_number_labels_read_like_people_write_them() {
        assert_eq!(money_tick(10_000.0, 5_000.0), "£10k");
        assert_eq!(money_tick(1_500_000.0, 500_000.0), "£1.5m");
        assert_eq!(money_tick(-2_000.0, 1_000.0), "−£2k");
        assert_eq!(money_tick(2_500.0, 500.0), "£2.5k");
        assert_eq!(money_tick(500.0, 500.0), "£500");
        assert_eq!(money_tick(0.0, 0.2), "£0");
        assert_eq!(money_tick(0.8, 0.2), "£0.80");
        assert_eq!(money_tick(1e-12, 0.2), "£0");
        assert_eq!(Fmt::Ratio.tick(1.0, 1.0), "£1.00");
        assert_eq!(Fmt::Ratio.tick(15.0, 5.0), "£15");
        assert_eq!(money_label(1234.0), "£1.23k");
        assert_eq!(money_label(-300.0), "−£300");
        assert_eq!(money_label(0.8), "£0.80");
        assert_eq!(money_label(28_700_000.0), "£28.7m");
        assert_eq!(money_label(30_000.0), "£30k");
        assert_eq!(money_label(f64::NAN), "n/a");
        assert_eq!(ratio_label(1.2), "£1.20");
        assert_eq!(number_label(-0.02, 2), "−0.02");
        assert_eq!(number_label(-0.0001, 2), "0.00");
        assert_eq!(number_label(12_000.0, 0), "12,000");
        assert_eq!(Fmt::Number.tick(0.0, 0.005), "0");
        assert_eq!(Fmt::Probability.tick(0.2, 0.2), "20%");
        assert_eq!(signed_number(0.0213), "+0.0213");
        assert_eq!(signed_money(1200.0), "+£1.2k");
        assert_eq!(percent_label(0.999), ">99%");
        assert_eq!(percent_label(0.001), "<1%");
        assert_eq!(percent_label(0.87), "87%");
        assert_eq!(count_label(1_000_000), "1,000,000");
        assert_eq!(ordinal(50), "50th");
        assert_eq!(ordinal(2), "2nd");
        assert_eq!(ordinal(11), "11th");
        assert_eq!(display_outcome("qaly"), "QALY");
        assert_eq!(display_outcome("qalys"), "QALYs");
        assert_eq!(display_outcome("bed_days"), "bed days");
        assert_eq!(display_outcome("ASCOT"), "ASCOT");
    }

    #[test]
    fn axes_have_round_ticks_and_survive_degenerate_ranges() {
        let a = Axis::new(-0.023, 0.085, 8, Fmt::Number);
        assert!([0.01, 0.02].contains(&a.step), "step {}", a.step);
        assert!(a.ticks.contains(&0.0) && a.ticks.iter().all(|t| a.contains(*t)));
        let a = Axis::new(5.0, 5.0, 5, Fmt::Money);
        assert!(a.lo < 5.0 && a.hi > 5.0 && !a.ticks.is_empty());
        let a = Axis::new(f64::NAN, f64::INFINITY, 5, Fmt::Money);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        let a = Axis::new(1e15, 1e15 + 1.0, 5, Fmt::Money);
        assert!(a.hi > a.lo && a.ticks.len() <= 50);
        let labels: Vec<String> = Axis::new(0.0, 1e6, 8, Fmt::Money)
            .ticks
            .iter()
            .map(|t| money_tick(*t, 2e5))
            .collect();
        let mut unique = labels.clone();
        unique.dedup();
        assert_eq!(labels, unique, "neighbouring ticks never read the same");
        // Fitting to a narrow axis drops ticks rather than overlapping labels.
        let wide = Axis::new(0.0, 50_000.0, 10, Fmt::Money);
        assert!(wide.fit(200, 80, |s| measure(s, TICK_PX).0).ticks.len() < wide.ticks.len());
        let years = Axis::with_min_step(0.0, 3.0, 10, Fmt::Number, 1.0);
        assert_eq!(years.ticks, vec![0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn wtp_lines_are_clipped_to_the_plot() {
        let arms = [("A".to_string(), &[-0.01, 0.05][..], &[-500.0, 2000.0][..])];
        let fig = CeFigure::new("t", "qaly", &arms, &[]);
        let ((x0, y0), (x1, y1)) = fig.wtp_segment(30_000.0).expect("visible");
        for (x, y) in [(x0, y0), (x1, y1)] {
            assert!(fig.x.contains(x) && y >= fig.y.lo - 1e-9 && y <= fig.y.hi + 1e-9);
            assert!((y - 30_000.0 * x).abs() < 1e-6);
        }
        assert!(
            fig.wtp_segment(1e12).is_some(),
            "a near-vertical line still crosses the origin"
        );
    }

    #[test]
    fn embedded_font_has_the_characters_we_draw() {
        let t = font_tables().expect("font tables parse");
        for c in "£−–…ΔÉé%0123456789abcXYZ".chars() {
            assert_ne!(t.glyph(c), 0, "{c:?} missing");
        }
        assert_eq!(t.glyph('🏠'), 0);
        let (advance, _) = t.hmetrics(t.glyph('M'));
        let expected = f64::from(measure("MMMMMMMMMM", 20.0).0);
        let ours = 10.0 * f64::from(advance) * t.px_per_unit * 20.0;
        assert!(
            (ours - expected).abs() <= 1.0,
            "metrics agree with plotters: {ours} vs {expected}"
        );
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").expect("write");
        let e = fan_chart(
            &blocker.join("fan"),
            "t",
            &[0.0],
            &[0.0],
            &[0.0],
            &[0.0],
            &[0.0],
            &[0.0],
        )
        .unwrap_err();
        assert!(e.path.starts_with(&blocker));
        assert!(e.to_string().starts_with("cannot draw "), "{e}");
        assert!(
            !RASTER_TEXT.with(|r| r.get()),
            "glyph-by-glyph mode is reset after a failure"
        );
    }

    #[test]
    fn base_names_with_dots_keep_them() {
        assert_eq!(
            with_suffix(Path::new("out/roi.council"), "png"),
            PathBuf::from("out/roi.council.png")
        );
    }

    #[test]
    fn evppi_bars_rank_with_intervals_evpi_and_method() {
        let dir = tempfile::tempdir().expect("tempdir");
        let method = "Strong, Oakley & Brennan (2014) regression: incremental net benefit of each option against the \
                      first on the parameter, by a penalised cubic regression spline (23 B-splines, knots at \
                      quantiles, penalty on the integrated squared second derivative); smoothing by REML \
                      (Fellner–Schall); standard error from 200 draws of the coefficients (sandwich covariance, as a \
                      wild bootstrap) plus the Monte Carlo error of the mean over iterations";
        let bars = vec![
            ("Reablement effect on home care hours".to_string(), 63.2, 4.0),
            ("Home care cost per hour".to_string(), 238.6, 5.0),
            ("Costs and effects together".to_string(), 292.0, 4.9),
            ("Discount rate".to_string(), 0.0, 0.0),
            ("Staff time".to_string(), 12.5, 9.0),
        ];
        let base = dir.path().join("evppi");
        let paths = evppi_bars(
            &base,
            "Value of information",
            "£20,000 per QALY",
            method,
            &bars,
            Some(351.0),
        )
        .expect("renders");
        let svg = check_outputs(
            &paths,
            &base,
            10_000,
            &[
                "Value of information",
                "at £20,000 per QALY; EVPI £351",
                "EVPPI (£ per person)",
                "EVPI £351",
                "£292 ± £9.60",
                "Method: Strong, Oakley &amp; Brennan (2014)",
                "95% interval (estimate ± 1.96 standard errors)",
            ],
        );
        // Ranked largest first: the captions appear in order down the chart.
        let at = |s: &str| svg.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("Costs and effects together") < at("Home care cost per hour"));
        assert!(at("Home care cost per hour") < at("Reablement effect"));
        assert!(at("Staff time") < at("Discount rate"));
        let fig = EvppiFigure::new("V", "£20,000 per QALY", method, &bars, Some(351.0));
        assert_eq!(fig.bars[0].label, "Costs and effects together");
        assert_eq!(fig.bars[4].half, None, "a zero SE draws no whisker");
        let buf = raster(&fig, (WIDTH, fig.height()));
        assert!(ink(&buf, WIDTH, (450, 185, 850, 230)) > 0.9, "the largest bar is drawn");
        // The method wraps over several note lines rather than being cut short.
        let notes = wrap(&format!("Method: {method}"), NOTE_PX, WIDTH as i32 - 2 * SIDE, 4);
        assert!(
            notes.len() >= 2 && notes.len() <= 4 && !notes.concat().contains('…'),
            "{notes:?}"
        );
    }

    #[test]
    fn evppi_bars_edge_cases_draw() {
        // Non-finite values and SEs, no EVPI, a label longer than the margin, more bars than fit.
        let odd = vec![
            ("NaN".to_string(), f64::NAN, 1.0),
            ("Infinite SE".to_string(), 5.0, f64::INFINITY),
            ("x".repeat(400), 2.0, 0.5),
            (String::new(), 1.0, 0.2),
        ];
        let svg = draw_both(&EvppiFigure::new("Odd", "", "", &odd, Some(f64::NAN)));
        assert!(svg.contains("1 parameter without a finite estimate left out"));
        assert!(!svg.contains("EVPI £") && svg.contains("(unnamed)"));
        let many: Vec<(String, f64, f64)> = (0..45).map(|i| (format!("Parameter {i}"), f64::from(i), 0.3)).collect();
        let fig = EvppiFigure::new("Many", "£30,000 per QALY", "m", &many, Some(60.0));
        assert_eq!(fig.bars.len(), MAX_EVPPI_BARS);
        assert_eq!(fig.bars[0].label, "Parameter 44");
        assert!(draw_both(&fig).contains("Showing the 30 largest of 45 estimates."));
        assert!(fig.height() > HEIGHT);
        assert!(draw_both(&EvppiFigure::new("None", "", "m", &[], None)).contains("no EVPPI estimates to show"));
        // All zero: the axis still has a range.
        draw_both(&EvppiFigure::new(
            "Zero",
            "",
            "m",
            &[("a".into(), 0.0, 0.0), ("b".into(), 0.0, 0.0)],
            Some(0.0),
        ));
    }
}
