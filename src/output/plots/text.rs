//! Text: cleaning, measuring, fitting and wrapping free text to the room it has, and drawing it.

use super::font::{font_tables, glyph_run, is_pictograph, FONT, RASTER_TEXT};
use super::render::err;
use plotters::backend::DrawingBackend;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::element::Rectangle;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontTransform, IntoFont, RGBColor, TextStyle, WHITE};

// Text sizes in pixels.
pub(super) const TITLE_PX: f64 = 30.0;
pub(super) const SUBTITLE_PX: f64 = 19.0;
pub(super) const PANEL_PX: f64 = 22.0;
pub(super) const LABEL_PX: f64 = 20.0;
pub(super) const TICK_PX: f64 = 17.0;
pub(super) const LEGEND_PX: f64 = 18.0;
pub(super) const NOTE_PX: f64 = 16.0;

/// Free text longer than this is cut before it is even measured, so a megabyte title costs nothing.
const MAX_TEXT_CHARS: usize = 300;

fn style(px: f64, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, px).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::new(HPos::Left, VPos::Top),
    }
}

/// Removes what must never reach a drawing: control characters (which would also break the SVG's XML) and
/// invisible formatting characters (zero-width joiners, bidi overrides, variation selectors).
pub(super) fn clean(text: &str) -> String {
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
pub(super) fn measure(text: &str, px: f64) -> (i32, i32) {
    // Every figure measures the same labels and the same candidate lines of a wrap again and again (each of its
    // backends, each of its frames), and `carecast serve` draws the same figures at every change, while plotters lays
    // a string out glyph by glyph each time: the sizes are kept per thread and text size, as the glyphs are
    // (`font::draw_glyph`), looked up by the text itself (no copy of it made to look), and emptied when full, since
    // every change brings new tick labels.
    const KEPT: usize = 4096;
    type Sizes = std::collections::HashMap<u64, std::collections::HashMap<String, (i32, i32)>>;
    thread_local! {
        static MEASURED: std::cell::RefCell<Sizes> = std::cell::RefCell::new(Sizes::new());
    }
    let kept = MEASURED.with(|m| m.borrow().get(&px.to_bits()).and_then(|sizes| sizes.get(text).copied()));
    if let Some(size) = kept {
        return size;
    }
    let size = match (FONT, px).into_font().box_size(text) {
        Ok((w, h)) => (w as i32, h as i32),
        // An estimate is not kept: the font may yet be registered (`font::ensure_font`).
        Err(_) => return ((text.chars().count() as f64 * px * 0.6) as i32, px as i32),
    };
    MEASURED.with(|m| {
        let mut m = m.borrow_mut();
        let sizes = m.entry(px.to_bits()).or_default();
        if sizes.len() >= KEPT {
            sizes.clear();
        }
        sizes.insert(text.to_string(), size);
    });
    size
}

/// `text` cleaned and shortened with "…" until it fits in `max_w` pixels.
pub(super) fn fit(text: &str, px: f64, max_w: i32) -> String {
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

/// Draws horizontal text anchored at `at`.
pub(super) fn text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &str,
    px: f64,
    colour: RGBColor,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> Result<(), String> {
    draw_string(area, s, &style(px, colour), at, anchor, false)
}

/// Draws text reading bottom to top, centred on `at` (y axis descriptions).
pub(super) fn vertical_text<DB: DrawingBackend>(
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

/// Text on a translucent white box, so labels stay readable over data.
pub(super) fn boxed_text<DB: DrawingBackend>(
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

/// `text` broken into at most `max_lines` lines that fit `max_w` pixels; the last is cut with "…" if need be.
pub(super) fn wrap(text: &str, px: f64, max_w: i32, max_lines: usize) -> Vec<String> {
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

/// `clauses` joined by "; " into lines that fit `max_w` pixels, a clause moving whole to the next line where it does
/// not fit beside the last (a clause too long for a line of its own is wrapped by words); at most `max_lines`, what
/// is left for the last of them wrapped by words and cut with "…" if need be. A figure's statistics read as whole
/// clauses this way ("median of the iterations £5.34" is not split across lines).
pub(super) fn wrap_clauses(clauses: &[String], px: f64, max_w: i32, max_lines: usize) -> Vec<String> {
    let max_lines = max_lines.max(1);
    let limit = max_w * 6 / 7;
    let clauses: Vec<String> = clauses.iter().map(|c| clean(c)).filter(|c| !c.is_empty()).collect();
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (k, clause) in clauses.iter().enumerate() {
        let candidate = if line.is_empty() {
            clause.clone()
        } else {
            format!("{line}; {clause}")
        };
        if measure(&candidate, px).0 <= limit {
            line = candidate;
            continue;
        }
        let rest = clauses[k..].join("; ");
        if !line.is_empty() {
            if lines.len() + 1 == max_lines {
                lines.extend(wrap(&format!("{line}; {rest}"), px, max_w, 1));
                return lines;
            }
            lines.push(std::mem::take(&mut line));
        }
        let room = max_lines - lines.len();
        let mut words = wrap(clause, px, max_w, usize::MAX);
        if words.len() >= room {
            // No room for this clause and the ones after it: what is left, wrapped by words into the lines there are.
            lines.extend(wrap(&rest, px, max_w, room));
            return lines;
        }
        line = words.pop().unwrap_or_default();
        lines.extend(words);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cleaned, or `fallback` if nothing is left.
pub(super) fn or_unnamed(text: &str, fallback: &str) -> String {
    let t = clean(text);
    if t.is_empty() {
        fallback.to_string()
    } else {
        t
    }
}
