//! Plots of PSA results (PNG and SVG), drawn with plotters and an embedded font so they render on any machine.
//!
//! Every public function takes plain data, lays the figure out once, draws it twice (a PNG through the bitmap
//! backend, an SVG through the SVG backend) and returns both paths. Text uses Noto Sans compiled into the binary
//! and registered in plotters' `ab_glyph` font table, so nothing depends on system fonts or fontconfig.
//!
//! Inputs come from simulations and user scenario files, so nothing here trusts them: non-finite values are
//! skipped (and counted in a caption), degenerate ranges are padded, and free text (titles, labels) is cleaned of
//! control characters and truncated with "…" to the space it has.

use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::element::{Circle, DashedPathElement, PathElement, Polygon, Rectangle};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontStyle, IntoFont, RGBAColor, RGBColor, ShapeStyle, TextStyle, TRANSPARENT, WHITE};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    pub path: PathBuf,
    pub message: String,
}

/// A named sample of values (one per PSA iteration).
pub struct Sample<'a> {
    pub label: String,
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
const ARM_COLOURS: [RGBColor; 7] = [OI_BLUE, OI_VERMILLION, OI_GREEN, OI_PURPLE, OI_ORANGE, OI_SKY, OI_YELLOW];
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
    render(base, (WIDTH, HEIGHT), &CeacFigure::new(title, outcome, lambda, arms, frontier))
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
    render(base, (WIDTH, HEIGHT), &EvpiFigure::new(title, outcome, lambda, per_person, population))
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
    render(base, (WIDTH, HEIGHT), &FanFigure::new(title, years, [p2_5, p25, p50, p75, p97_5]))
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
    let ok = *FONT_OK.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok()
    });
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
    let fail = |path: &Path, message: String| PlotError { path: path.to_path_buf(), message };
    ensure_font().map_err(|m| fail(&png, m))?;
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(&png, format!("cannot create {}: {e}", parent.display())))?;
    }
    {
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
    TextStyle { font: (FONT, px).into_font(), color: colour.to_backend_color(), pos: Pos::new(HPos::Left, VPos::Top) }
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
        if invisible {
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

fn text<DB: DrawingBackend>(
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
    let st = style(px, colour).pos(Pos::new(anchor.0, anchor.1));
    area.draw_text(s, &st, at).map_err(err)
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
    area.draw(&Rectangle::new([(x0 - 4, y0 - 3), (x0 + w + 4, y0 + h + 4)], WHITE.mix(0.85).filled()))
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
        if i > 0 && (n - i) % 3 == 0 {
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
    let body = number_label(v, d);
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

fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let n = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 2.5 {
        2.5
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
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
    values.into_iter().filter(|v| usable(*v)).fold(None, |acc, v| match acc {
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
}

impl Axis {
    fn new(lo: f64, hi: f64, target: usize, fmt: Fmt) -> Axis {
        Axis::with_min_step(lo, hi, target, fmt, 0.0)
    }

    fn with_min_step(lo: f64, hi: f64, target: usize, fmt: Fmt, min_step: f64) -> Axis {
        let (lo, hi) = sane(lo, hi);
        let step = nice_step((hi - lo) / target.max(1) as f64).max(min_step);
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
        Axis { lo, hi, ticks, step, fmt }
    }

    fn coord(&self) -> Ticked {
        Ticked { inner: (self.lo..self.hi).into(), ticks: self.ticks.clone() }
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
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
            let i = h.floor() as usize;
            let j = (i + 1).min(n - 1);
            sorted[i] + (h - i as f64) * (sorted[j] - sorted[i])
        }
    }
}

/// Splits a sequence of optional points into runs of consecutive usable points, so gaps are not bridged.
fn runs<I: IntoIterator<Item = (f64, f64)>>(points: I) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
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
    Marker(RGBColor),
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
        let w = SWATCH_W + 10 + measure(&label, LEGEND_PX).0;
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
        Swatch::Dashed(c, w) => area.draw(&DashedPathElement::new(vec![(x0, y), (x1, y)], 8, 5, c.stroke_width(*w))),
        Swatch::Thick(c, w) => area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(*w))),
        Swatch::Fill(c) => area.draw(&Rectangle::new([(x0, y - 9), (x1, y + 9)], c.filled())),
        Swatch::Cloud(c) => {
            for (dx, dy) in [(3, -5), (9, 4), (14, -2), (6, 7), (12, -8)] {
                area.draw(&Circle::new((x0 + dx, y + dy), 2, c.mix(0.6).filled())).map_err(err)?;
            }
            area.draw(&Circle::new((x1 - 10, y), 7, c.filled())).map_err(err)?;
            area.draw(&Circle::new((x1 - 10, y), 7, OI_BLACK.stroke_width(2)))
        }
        Swatch::Marker(c) => {
            area.draw(&Circle::new((x0 + SWATCH_W / 2, y), 6, c.filled())).map_err(err)?;
            area.draw(&Circle::new((x0 + SWATCH_W / 2, y), 6, OI_BLACK.stroke_width(1)))
        }
    }
    .map_err(err)
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[Entry]) -> Result<(), String> {
    let width = area.dim_in_pixel().0 as i32;
    for ((x, row, label), e) in legend_layout(entries, width).iter().zip(entries) {
        let y = row * LEGEND_ROW + LEGEND_ROW / 2 + 2;
        draw_swatch(area, &e.swatch, *x, y)?;
        text(area, label, LEGEND_PX, INK, (x + SWATCH_W + 10, y), (HPos::Left, VPos::Center))?;
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
        let title = fit(self.title, TITLE_PX, w - 2 * SIDE);
        text(root, &title, TITLE_PX, INK, (SIDE, 14), (HPos::Left, VPos::Top))?;
        let mut top = 58;
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

/// A chart on `area` with our ticks, formats, grid and axis descriptions.
fn chart<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &Axis,
    y: &Axis,
    x_desc: &str,
    y_desc: &str,
) -> Result<Chart<'a, DB>, String> {
    // Room for the widest tick label plus the rotated axis description beside it.
    let widest = y.ticks.iter().map(|t| measure(&y.label(*t), TICK_PX).0).max().unwrap_or(30);
    let y_area = (widest + 48).max(70) as u32;
    let mut c = ChartBuilder::on(area)
        .margin_top(10)
        .margin_right(28)
        .x_label_area_size(62)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(err)?;
    let xf = |v: &f64| x.label(*v);
    let yf = |v: &f64| y.label(*v);
    let (w, _) = area.dim_in_pixel();
    let x_desc = fit(x_desc, LABEL_PX, w as i32 - y_area as i32 - 20);
    let y_desc = fit(y_desc, LABEL_PX, area.dim_in_pixel().1 as i32 - 70);
    c.configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style(style(TICK_PX, INK))
        .axis_desc_style(style(LABEL_PX, INK))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(AXIS.stroke_width(1))
        .set_all_tick_mark_size(5)
        .draw()
        .map_err(err)?;
    Ok(c)
}

/// A vertical line across the whole y range of a chart.
fn vline<DB: DrawingBackend>(c: &mut Chart<DB>, y: &Axis, x: f64, st: ShapeStyle, dashed: bool) -> Result<(), String> {
    let pts = vec![(x, y.lo), (x, y.hi)];
    if dashed {
        c.draw_series(std::iter::once(DashedPathElement::new(pts, 9, 6, st))).map_err(err)?;
    } else {
        c.draw_series(std::iter::once(PathElement::new(pts, st))).map_err(err)?;
    }
    Ok(())
}

/// A horizontal line across the whole x range of a chart.
fn hline<DB: DrawingBackend>(c: &mut Chart<DB>, x: &Axis, y: f64, st: ShapeStyle, dashed: bool) -> Result<(), String> {
    let pts = vec![(x.lo, y), (x.hi, y)];
    if dashed {
        c.draw_series(std::iter::once(DashedPathElement::new(pts, 9, 6, st))).map_err(err)?;
    } else {
        c.draw_series(std::iter::once(PathElement::new(pts, st))).map_err(err)?;
    }
    Ok(())
}

fn message_box<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, msg: &str) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new([(0, 0), (w - 1, h - 1)], GRID.stroke_width(2))).map_err(err)?;
    let msg = fit(msg, LABEL_PX, w - 20);
    text(area, &msg, LABEL_PX, MUTED, (w / 2, h / 2), (HPos::Center, VPos::Center))
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
            return RoiPanel { label, total, bad, stats: None };
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
            .map(|(i, c)| (clip_lo + i as f64 * width, clip_lo + (i + 1) as f64 * width, 100.0 * *c as f64 / n as f64))
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
        let x = Axis::new(lo, hi, 6, Fmt::Money);
        let y = Axis::new(0.0, (top * 1.1).max(1e-9), 5, Fmt::Percent);
        RoiPanel { label, total, bad, stats: Some(RoiStats { median, lo95, hi95, at_least_one, x, y, bins, clipped }) }
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = area.margin(6, 10, 4, 14);
        let (w, _) = area.dim_in_pixel();
        let w = w as i32;
        let (head, plot) = area.split_vertically(84);
        let label = if self.label.is_empty() { "(unnamed payer)".to_string() } else { fit(&self.label, PANEL_PX, w) };
        text(&head, &label, PANEL_PX, INK, (0, 4), (HPos::Left, VPos::Top))?;
        let Some(s) = &self.stats else {
            let msg = if self.total == 0 { "no spend by this payer" } else { "no finite values to plot" };
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
        text(&head, &fit(&line1, LEGEND_PX, w), LEGEND_PX, INK, (0, 34), (HPos::Left, VPos::Top))?;
        text(&head, &fit(&line2, LEGEND_PX, w), LEGEND_PX, MUTED, (0, 58), (HPos::Left, VPos::Top))?;
        let mut c = chart(&plot, &s.x, &s.y, "£ back per £1 spent", "% of iterations")?;
        let visible = |x: f64| s.x.contains(x);
        c.draw_series(s.bins.iter().filter(|b| b.2 > 0.0 && visible(b.0) && visible(b.1)).map(|b| {
            Rectangle::new([(b.0, 0.0), (b.1, b.2)], OI_SKY.mix(0.75).filled())
        }))
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
        RoiFigure { title: title.to_string(), panels: samples.iter().map(RoiPanel::new).collect() }
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
            Entry { swatch: Swatch::Line(OI_BLUE, 3), label: "median".into() },
            Entry { swatch: Swatch::Dashed(OI_BLUE, 2), label: "95% interval (2.5th–97.5th percentile)".into() },
            Entry { swatch: Swatch::Line(OI_VERMILLION, 3), label: "break-even: £1 back per £1 spent".into() },
        ];
        let mut notes = Vec::new();
        if self.panels.iter().any(|p| p.stats.as_ref().is_some_and(|s| s.clipped)) {
            notes.push(
                "x axis clipped to the central 99% of iterations; medians and intervals use all iterations.".to_string(),
            );
        }
        let bad: usize = self.panels.iter().map(|p| p.bad).sum();
        if bad > 0 {
            notes.push(format!("{} non-finite values skipped.", count_label(bad)));
        }
        let frame = Frame { title: &self.title, subtitle: "", legend: &legend, notes: &notes };
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
    every: usize,
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
                let points: Vec<(f64, f64)> =
                    (0..n).filter(|&j| ok(j)).step_by(every).map(|j| (de[j], dc[j])).collect();
                if every > 1 {
                    shown.push((points.len(), finite, every));
                }
                let mean = (finite > 0).then(|| (sx / finite as f64, sy / finite as f64));
                CeArm { label: clean(label), colour: arm_colour(i), points, mean, finite, every }
            })
            .collect();
        // Axes always include the origin: the quadrants are what people read.
        let xs = ce_arms.iter().flat_map(|a| a.points.iter().map(|p| p.0).chain(a.mean.map(|m| m.0)));
        let ys = ce_arms.iter().flat_map(|a| a.points.iter().map(|p| p.1).chain(a.mean.map(|m| m.1)));
        let (x0, x1) = extent(xs.chain([0.0])).unwrap_or((0.0, 0.0));
        let (y0, y1) = extent(ys.chain([0.0])).unwrap_or((0.0, 0.0));
        let (x0, x1) = padded(x0, x1, 0.06);
        let (y0, y1) = padded(y0, y1, 0.06);
        let x = Axis::new(x0, x1, 8, Fmt::Number);
        let y = Axis::new(y0, y1, 8, Fmt::Money);
        let mut notes = vec!["Each dot is one iteration; large ringed circles are each arm's mean.".to_string()];
        if let Some((s, t, k)) = shown.first() {
            let same = shown.iter().all(|v| v == &(*s, *t, *k));
            notes[0] = if same && shown.len() == ce_arms.len() {
                format!(
                    "Each dot is one iteration, showing {} of {} iterations per arm (every {}); large ringed circles \
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
                    "Each dot is one iteration (showing {} iterations, arm by arm; every k-th); large ringed circles \
                     are means of all iterations.",
                    parts.join(", ")
                )
            };
        }
        if bad > 0 {
            notes.push(format!("{} iterations with non-finite or missing values skipped.", count_label(bad)));
        }
        let lambda = lambda.iter().copied().filter(|l| usable(*l)).collect();
        CeFigure { title: title.to_string(), outcome: display_outcome(outcome), arms: ce_arms, lambda, x, y, notes }
    }

    /// The part of the line ΔC = λ·ΔE inside the plot, clipped to the axes' box.
    fn wtp_segment(&self, l: f64) -> Option<((f64, f64), (f64, f64))> {
        let (x, y) = (&self.x, &self.y);
        // Liang–Barsky clipping of the segment from x.lo to x.hi.
        let (p0, p1) = ((x.lo, l * x.lo), (x.hi, l * x.hi));
        let (dx, dy) = (p1.0 - p0.0, p1.1 - p0.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [(-dx, p0.0 - x.lo), (dx, x.hi - p0.0), (-dy, p0.1 - y.lo), (dy, y.hi - p0.1)] {
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
        (t0 < t1).then(|| ((p0.0 + t0 * dx, p0.1 + t0 * dy), (p0.0 + t1 * dx, p0.1 + t1 * dy)))
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
        let unit = if self.outcome.is_empty() { "unit of outcome".to_string() } else { self.outcome.clone() };
        let mut legend: Vec<Entry> = self
            .arms
            .iter()
            .map(|a| {
                let label = if a.label.is_empty() { "(unnamed arm)" } else { &a.label };
                let mean = match a.mean {
                    Some((e, c)) => format!(" — mean {} {}, {}", signed_number(e), unit, signed_money(c)),
                    None => " — no finite iterations".to_string(),
                };
                Entry { swatch: Swatch::Cloud(a.colour), label: format!("{label}{mean}") }
            })
            .collect();
        if !self.lambda.is_empty() {
            legend.push(Entry { swatch: Swatch::Dashed(REFERENCE, 2), label: "willingness-to-pay threshold".into() });
        }
        let frame = Frame { title: &self.title, subtitle: "", legend: &legend, notes: &self.notes };
        let body = frame.draw(root)?;
        let x_desc = format!("Incremental {unit}");
        let mut c = chart(&body, &self.x, &self.y, &x_desc, "Incremental cost (£)")?;
        let (x, y) = (&self.x, &self.y);
        // Axes through the origin.
        vline(&mut c, y, 0.0, OI_BLACK.stroke_width(1), false)?;
        hline(&mut c, x, 0.0, OI_BLACK.stroke_width(1), false)?;
        for a in &self.arms {
            let n = a.points.len().max(1) as f64;
            // Dense clouds need more transparency to show where iterations pile up.
            let alpha = (2500.0 / n).clamp(0.15, 0.7);
            let r = if n > 5000.0 { 2 } else { 3 };
            let st = a.colour.mix(alpha).filled();
            c.draw_series(a.points.iter().map(|p| Circle::new(*p, r, st))).map_err(err)?;
        }
        // Willingness-to-pay lines, labelled near their upper-right end; labels are nudged apart if they collide.
        let mut labels: Vec<((i32, i32), String)> = Vec::new();
        for l in &self.lambda {
            if let Some((a, b)) = self.wtp_segment(*l) {
                c.draw_series(std::iter::once(DashedPathElement::new(vec![a, b], 9, 6, REFERENCE.stroke_width(2))))
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
            boxed_text(root, &s, NOTE_PX, REFERENCE, (*px + 8, *py - 8), (HPos::Left, VPos::Bottom))?;
        }
        // Means on top of everything.
        for a in &self.arms {
            if let Some(m) = a.mean {
                c.draw_series([Circle::new(m, 9, a.colour.filled()), Circle::new(m, 9, OI_BLACK.stroke_width(2))])
                    .map_err(err)?;
            }
        }
        // Quadrant labels in the corners that lie in each quadrant.
        let corners = [
            (x.hi, y.hi, "more costly, more effective", (HPos::Right, VPos::Top), (-8, 8)),
            (x.lo, y.hi, "more costly, less effective", (HPos::Left, VPos::Top), (8, 8)),
            (x.hi, y.lo, "less costly, more effective", (HPos::Right, VPos::Bottom), (-8, -8)),
            (x.lo, y.lo, "less costly, less effective", (HPos::Left, VPos::Bottom), (8, -8)),
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
    curves: Vec<(String, RGBColor, Vec<Vec<(f64, f64)>>)>,
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
                let pts = order.iter().map(|&j| (lambda[j], p.get(j).copied().unwrap_or(f64::NAN)));
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
        let y = Axis { lo: -0.02, hi: 1.02, ticks: (0..=5).map(|k| k as f64 * 0.2).collect(), step: 0.2, fmt: Fmt::Probability };
        CeacFigure { title: title.to_string(), outcome: display_outcome(outcome), curves, frontier: segs, x, y, bad }
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
                label: if label.is_empty() { "(unnamed arm)".into() } else { label.clone() },
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
            notes.push(format!("{} non-finite or missing values skipped.", count_label(self.bad)));
        }
        let frame = Frame { title: &self.title, subtitle: "", legend: &legend, notes: &notes };
        let body = frame.draw(root)?;
        let unit = if self.outcome.is_empty() { "unit of outcome".to_string() } else { self.outcome.clone() };
        let x_desc = format!("Willingness to pay (£ per {unit})");
        let mut c = chart(&body, &self.x, &self.y, &x_desc, "Probability most cost-effective")?;
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
                c.draw_series(std::iter::once(Circle::new(pts[0], 7, frontier_colour.filled()))).map_err(err)?;
            } else {
                c.draw_series(std::iter::once(PathElement::new(pts.clone(), frontier_colour.stroke_width(10))))
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
    per_person: Vec<Vec<(f64, f64)>>,
    population: Option<Vec<Vec<(f64, f64)>>>,
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
        let series = |v: &[f64]| runs(order.iter().map(|&j| (lambda[j], v.get(j).copied().unwrap_or(f64::NAN))));
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
        let unit = if self.outcome.is_empty() { "unit of outcome".to_string() } else { self.outcome.clone() };
        let (w, _) = area.dim_in_pixel();
        let (head, plot) = area.split_vertically(30);
        let line = match peak(runs) {
            Some((l, v)) => format!("{what}: highest {} at {} per {unit}", money_label(v), money_label(l)),
            None => format!("{what}: no finite values"),
        };
        text(&head, &fit(&line, LEGEND_PX, w as i32 - 20), LEGEND_PX, INK, (10, 4), (HPos::Left, VPos::Top))?;
        let x_desc = format!("Willingness to pay (£ per {unit})");
        let mut c = chart(&plot, &self.x, y, &x_desc, y_desc)?;
        for run in runs {
            c.draw_series(std::iter::once(PathElement::new(run.clone(), colour.stroke_width(3)))).map_err(err)?;
        }
        if let Some(p) = peak(runs) {
            c.draw_series([Circle::new(p, 7, colour.filled()), Circle::new(p, 7, OI_BLACK.stroke_width(2))])
                .map_err(err)?;
        }
        Ok(())
    }
}

impl Figure for EvpiFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut notes = vec![
            "EVPI: the most it would be worth paying to remove all uncertainty in the model's parameters.".to_string()
        ];
        if self.bad > 0 {
            notes.push(format!("{} non-finite or missing values skipped.", count_label(self.bad)));
        }
        let frame = Frame { title: &self.title, subtitle: "", legend: &[], notes: &notes };
        let body = frame.draw(root)?;
        match (&self.population, &self.y_population) {
            (Some(pop), Some(yp)) => {
                let h = body.dim_in_pixel().1;
                let (top, bottom) = body.split_vertically(h / 2);
                self.panel(&top, &self.per_person, &self.y_person, "EVPI (£ per person)", "Per person", OI_BLUE)?;
                self.panel(&bottom, pop, yp, "Population EVPI (£)", "Whole population", OI_VERMILLION)
            }
            _ => self.panel(&body, &self.per_person, &self.y_person, "EVPI (£ per person)", "Per person", OI_BLUE),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Fan chart of cumulative net savings.

struct FanFigure {
    title: String,
    /// Polygons of the 95% and 50% bands (each may be split where values are missing).
    band95: Vec<Vec<(f64, f64)>>,
    band50: Vec<Vec<(f64, f64)>>,
    median: Vec<Vec<(f64, f64)>>,
    x: Axis,
    y: Axis,
    summary: String,
    bad: usize,
}

/// Closed polygons between two curves over runs of years where both are usable.
fn band(years: &[f64], lo: &[f64], hi: &[f64], order: &[usize]) -> Vec<Vec<(f64, f64)>> {
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
            + p.iter().map(|s| order.iter().filter(|&&j| !s.get(j).is_some_and(|v| usable(*v))).count()).sum::<usize>();
        let band95 = band(years, p[0], p[4], &order);
        let band50 = band(years, p[1], p[3], &order);
        let median = runs(order.iter().map(|&j| (years[j], p[2].get(j).copied().unwrap_or(f64::NAN))));
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
            summary = format!("By year {}: median {}", number_label(years[j], decimals_for(years[j]).min(2)), money_label(p[2][j]));
            if let (Some(a), Some(b)) = (get(p[0]), get(p[4])) {
                summary.push_str(&format!(" (95% interval {} to {})", money_label(a), money_label(b)));
            }
            let first_even = median.iter().flatten().find(|q| q.1 >= 0.0 && q.0 > x0);
            let starts_negative = median.first().and_then(|r| r.first()).is_some_and(|q| q.1 < 0.0);
            match first_even {
                Some(q) if starts_negative => summary.push_str(&format!("; median breaks even by year {}", number_label(q.0, decimals_for(q.0).min(2)))),
                None if median.iter().flatten().all(|q| q.1 < 0.0) => summary.push_str("; median does not break even"),
                _ => {}
            }
            summary.push('.');
        }
        FanFigure { title: title.to_string(), band95, band50, median, x, y, summary, bad }
    }
}

impl Figure for FanFigure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [
            Entry { swatch: Swatch::Line(OI_BLUE, 3), label: "median".into() },
            Entry { swatch: Swatch::Fill(OI_BLUE.mix(0.40)), label: "50% of iterations (25th–75th percentile)".into() },
            Entry { swatch: Swatch::Fill(OI_BLUE.mix(0.18)), label: "95% of iterations (2.5th–97.5th)".into() },
            Entry { swatch: Swatch::Dashed(OI_BLACK, 2), label: "break-even".into() },
        ];
        let mut notes = Vec::new();
        if self.bad > 0 {
            notes.push(format!("{} non-finite or missing values skipped.", count_label(self.bad)));
        }
        let frame = Frame { title: &self.title, subtitle: &self.summary, legend: &legend, notes: &notes };
        let body = frame.draw(root)?;
        let mut c = chart(&body, &self.x, &self.y, "Year", "Cumulative net savings (£ per person)")?;
        for poly in &self.band95 {
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.18).filled()))).map_err(err)?;
        }
        for poly in &self.band50 {
            // Drawn over the 95% band, so the two alphas add up to the 50% swatch's look.
            c.draw_series(std::iter::once(Polygon::new(poly.clone(), OI_BLUE.mix(0.27).filled()))).map_err(err)?;
        }
        hline(&mut c, &self.x, 0.0, OI_BLACK.stroke_width(2), true)?;
        for run in &self.median {
            if run.len() == 1 {
                c.draw_series(std::iter::once(Circle::new(run[0], 5, OI_BLUE.filled()))).map_err(err)?;
            } else {
                c.draw_series(std::iter::once(PathElement::new(run.clone(), OI_BLUE.stroke_width(3)))).map_err(err)?;
            }
        }
        let (px, py) = c.backend_coord(&(self.x.hi, 0.0));
        boxed_text(root, "break-even", NOTE_PX, INK, (px - 8, py - 6), (HPos::Right, VPos::Bottom))?;
        Ok(())
    }
}
