//! The embedded font: registering it with plotters, its tables (which characters it has, each glyph's advance and
//! left side bearing, read by a small sfnt/cmap parser) and drawing bitmap text glyph by glyph.

use super::render::err;
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::{Drawable, PointCollection};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, IntoFont, TextStyle};
use plotters_backend::{BackendColor, BackendTextStyle, DrawingErrorKind};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

/// The family name the embedded font is registered under.
pub(super) const FONT: &str = "sans-serif";

/// Registers the embedded font once per process; plotters looks fonts up by family name.
pub(super) fn ensure_font() -> Result<(), String> {
    static FONT_OK: OnceLock<bool> = OnceLock::new();
    let ok = *FONT_OK
        .get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the embedded font (Noto Sans) could not be loaded".to_string())
    }
}

thread_local! {
    /// Set while a bitmap is drawn: text is then placed glyph by glyph (see `glyph_run`).
    pub(super) static RASTER_TEXT: Cell<bool> = const { Cell::new(false) };
}

/// Turns glyph-by-glyph text on for the current thread until dropped (also on early return or error).
pub(super) struct GlyphByGlyph;

impl GlyphByGlyph {
    pub(super) fn on() -> GlyphByGlyph {
        RASTER_TEXT.with(|r| r.set(true));
        GlyphByGlyph
    }
}

impl Drop for GlyphByGlyph {
    fn drop(&mut self) {
        RASTER_TEXT.with(|r| r.set(false));
    }
}

/// Draws a string one glyph at a time at positions from the font's own metrics.
///
/// plotters' ab_glyph renderer puts each glyph's ink at the pen position and drops its left side bearing, so
/// at label sizes words come apart ("h ome"). Drawing each glyph separately, offset by its bearing, fixes the
/// spacing. Only bitmaps need this: in an SVG the viewer lays out whole strings, which also keeps them searchable.
pub(super) fn glyph_run<DB: DrawingBackend>(
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
    for c in s.chars() {
        let (advance, lsb) = t.hmetrics(t.glyph(c));
        if !c.is_whitespace() {
            let off = dx + pen.round() as i32 + (f64::from(lsb) * k).floor() as i32;
            let pos = if rotated {
                (at.0 + dy, at.1 - off)
            } else {
                (at.0 + off, at.1 + dy)
            };
            draw_glyph(area, c, &glyph_style, pos)?;
        }
        pen += f64::from(advance) * k;
    }
    Ok(())
}

/// A glyph's pixels as plotters draws it at the origin: position and colour (the style's, its alpha scaled by the
/// glyph's coverage of the pixel).
type GlyphPixels = Rc<[(i32, i32, BackendColor)]>;

/// What a glyph's pixels depend on: the character, and the style's size, rotation (quarter turns) and colour. Not its
/// font: bitmap text is only ever in the embedded one.
type GlyphKey = (char, u64, u8, (u8, u8, u8), u64);

thread_local! {
    /// Glyphs drawn so far on this thread. A figure's labels repeat a few dozen characters in a few styles; outlining
    /// and rasterising each one anew was most of the bitmap text's time (8.4% of a 10^4 run's processor time by `perf`,
    /// 2026-12-06, before this).
    static GLYPHS: RefCell<HashMap<GlyphKey, GlyphPixels>> = RefCell::new(HashMap::new());
}

/// Draws character `c` with `style` (anchored at its top left) at `pos` of `area`: the pixels plotters' own
/// `draw_text` draws, computed once per character and style and placed by translation, which is all that changes
/// between two places (plotters rasterises a glyph at the origin and moves it by whole pixels).
pub(super) fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: char,
    style: &TextStyle,
    pos: (i32, i32),
) -> Result<(), String> {
    let color = BackendTextStyle::color(style);
    // As plotters: an invisible style draws nothing.
    if color.alpha == 0.0 {
        return Ok(());
    }
    let quarter_turns = match BackendTextStyle::transform(style) {
        FontTransform::None => 0,
        FontTransform::Rotate90 => 1,
        FontTransform::Rotate180 => 2,
        FontTransform::Rotate270 => 3,
    };
    let key = (
        c,
        style.font.get_size().to_bits(),
        quarter_turns,
        color.rgb,
        color.alpha.to_bits(),
    );
    let pixels = match GLYPHS.with(|g| g.borrow().get(&key).cloned()) {
        Some(pixels) => pixels,
        None => {
            let pixels = glyph_pixels(c.encode_utf8(&mut [0; 4]), style)?;
            GLYPHS.with(|g| g.borrow_mut().insert(key, Rc::clone(&pixels)));
            pixels
        }
    };
    // One element for the glyph's pixels, so the backend is taken once rather than for each pixel. Placed on the
    // bitmap as plotters places text, from the area's corner: an element's own points would be moved into the area.
    let (x0, y0) = area.get_base_pixel();
    let placed = PlacedGlyph {
        at: (pos.0 + x0, pos.1 + y0),
        pixels: &pixels,
    };
    area.draw(&placed).map_err(err)
}

/// A glyph's pixels placed at a point of the bitmap.
struct PlacedGlyph<'p> {
    at: (i32, i32),
    pixels: &'p [(i32, i32, BackendColor)],
}

/// No points for plotters to map: the glyph is placed on the bitmap already.
impl<'a> PointCollection<'a, (i32, i32)> for &'a PlacedGlyph<'_> {
    type Point = &'a (i32, i32);
    type IntoIter = std::iter::Empty<&'a (i32, i32)>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::empty()
    }
}

impl<DB: DrawingBackend> Drawable<DB> for PlacedGlyph<'_> {
    fn draw<I: Iterator<Item = (i32, i32)>>(
        &self,
        _: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let (x0, y0) = self.at;
        let (w, h) = backend.get_size();
        for &(x, y, colour) in self.pixels {
            let (x, y) = (x0 + x, y0 + y);
            // As plotters' text: pixels off the bitmap are left out.
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                backend.draw_pixel((x, y), colour)?;
            }
        }
        Ok(())
    }
}

/// The pixels of `text` drawn with `style` (anchored at its top left) at the origin, as plotters' `draw_text` lays
/// them out: its layout box's corner at the origin, then the style's rotation.
fn glyph_pixels(text: &str, style: &TextStyle) -> Result<GlyphPixels, String> {
    let ((min_x, min_y), _) = BackendTextStyle::layout_box(style, text).map_err(|e| e.to_string())?;
    let transform = BackendTextStyle::transform(style);
    let mut pixels = Vec::new();
    (BackendTextStyle::draw(style, text, (0, 0), |x, y, color| {
        let (x, y) = transform.transform(x - min_x, y - min_y);
        pixels.push((x, y, color));
        Ok::<(), ()>(())
    }))
    .map_err(|e| e.to_string())?
    .map_err(|()| "a glyph could not be drawn".to_string())?;
    Ok(pixels.into())
}

// ---------------------------------------------------------------------------------------------------------------
// The embedded font's tables: which characters it has, and each glyph's advance and left side bearing.

pub(super) struct FontTables {
    glyphs: HashMap<u32, u16>,
    advance: Vec<u16>,
    lsb: Vec<i16>,
    /// Pixels per font unit at font size 1, measured through plotters so it matches its layout exactly.
    pub(super) px_per_unit: f64,
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
    pub(super) fn glyph(&self, c: char) -> u16 {
        self.glyphs.get(&u32::from(c)).copied().unwrap_or(0)
    }

    pub(super) fn hmetrics(&self, g: u16) -> (u16, i16) {
        let g = usize::from(g);
        (
            self.advance.get(g).copied().unwrap_or(0),
            self.lsb.get(g).copied().unwrap_or(0),
        )
    }
}

/// The embedded font's tables, parsed once; None if they cannot be read (text then falls back to plotters).
pub(super) fn font_tables() -> Option<&'static FontTables> {
    static TABLES: OnceLock<Option<FontTables>> = OnceLock::new();
    TABLES
        .get_or_init(|| {
            ensure_font().ok()?;
            FontTables::parse(ttf_noto_sans::REGULAR)
        })
        .as_ref()
}

/// Emoji and other pictographs: the font has none, and a row of "missing glyph" boxes reads worse than nothing.
pub(super) fn is_pictograph(c: char) -> bool {
    matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x20D0..=0x20FF)
}
