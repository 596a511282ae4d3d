//! Many small dots in an SVG, drawn as a few paths instead of one element each.
//!
//! plotters writes every dot of a cost-effectiveness plane as its own `<circle>`, and a browser then composites
//! 10,000 separate shapes: Chromium took 152–285 ms to draw the reablement plane's 10,000 dots, and 34–51 ms for
//! the same dots as 16 paths. A path of zero-length round-capped strokes ("M x y h0") paints a disc of the
//! stroke's width at each point, but one path is painted once, so dots that overlap within it would not darken each
//! other as separate translucent circles do. So each run of identical dots (same radius, colour and opacity, one
//! after another in the drawing) is split into layers in which no two dots come within one pixel of touching; each
//! layer is one path. Layers of one colour and opacity stack to the same colour in any order, so the picture is the
//! one the circles give (checked in Chromium by `tests/browser.rs`), in a file about an eighth the size.
//!
//! The dots are caught on their way to plotters' SVG backend ([`DotPaths`]), before any is written as text: drawing a
//! plane's 10,000 dots as circles and reading them back was 7.3% of the processor time of a 10,000-iteration run,
//! the plane's whole SVG 7.5% (`perf`).

use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind};
use std::cell::RefCell;

/// The centre a run's stand-in circle is written at: no figure draws anything there.
const RUN_MARK: i32 = i32::MIN;

/// The runs of two or more dots a [`DotPaths`] caught, in the order drawn: each one's centres.
pub(super) type Runs = RefCell<Vec<Vec<(i32, i32)>>>;

/// What makes dots alike enough to share a path: radius, colour with opacity, and the stroke width plotters writes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DotStyle {
    radius: u32,
    rgb: (u8, u8, u8),
    alpha: f64,
    stroke_width: u32,
}

impl BackendStyle for DotStyle {
    fn color(&self) -> BackendColor {
        BackendColor {
            alpha: self.alpha,
            rgb: self.rgb,
        }
    }

    fn stroke_width(&self) -> u32 {
        self.stroke_width
    }
}

/// An SVG backend that holds back each run of filled dots of one style (radius 1 to 64 pixels, drawn one after
/// another) and writes it as one stand-in circle at [`RUN_MARK`], its centres kept in `runs`; [`expand`] then turns
/// every stand-in into layered paths. A dot alone, and everything else, goes to the backend as it comes.
pub(super) struct DotPaths<'r, B> {
    inner: B,
    pending: Vec<(i32, i32)>,
    style: Option<DotStyle>,
    runs: &'r Runs,
}

impl<'r, B: DrawingBackend> DotPaths<'r, B> {
    /// Wraps `inner`, keeping the runs' centres in `runs`.
    pub(super) fn new(inner: B, runs: &'r Runs) -> Self {
        DotPaths {
            inner,
            pending: Vec::new(),
            style: None,
            runs,
        }
    }

    /// Writes the run held back: a dot alone as itself, two or more as a stand-in.
    fn flush(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        let Some(style) = self.style.take() else { return Ok(()) };
        let centre = match self.pending[..] {
            [alone] => alone,
            _ => {
                let mut runs = self.runs.borrow_mut();
                runs.push(std::mem::take(&mut self.pending));
                (RUN_MARK, (runs.len() - 1) as i32)
            }
        };
        self.pending.clear();
        self.inner.draw_circle(centre, style.radius, &style, true)
    }
}

impl<B: DrawingBackend> DrawingBackend for DotPaths<'_, B> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        // Only stand-ins are written at the mark: a circle there (a point far off the figure, saturated) moves by a
        // pixel, as invisible there as it was.
        let center = (center.0.max(RUN_MARK + 1), center.1);
        // What the SVG backend would not draw at all (fully transparent), or would not write as a dot.
        if !fill || color.alpha == 0.0 || !(1..=64).contains(&radius) {
            self.flush()?;
            return self.inner.draw_circle(center, radius, style, fill);
        }
        let dot = DotStyle {
            radius,
            rgb: color.rgb,
            alpha: color.alpha,
            stroke_width: style.stroke_width(),
        };
        if self.style.is_some_and(|s| s != dot) {
            self.flush()?;
        }
        self.style = Some(dot);
        self.pending.push(center);
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.draw_text(text, style, pos)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        (w, h): (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.flush()?;
        self.inner.blit_bitmap(pos, (w, h), src)
    }
}

/// `svg` as drawn through [`DotPaths`], with each run's stand-in circle replaced by the run's layered paths.
pub(super) fn expand(svg: &str, runs: &Runs) -> String {
    let runs = runs.borrow();
    if runs.is_empty() {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len() + runs.iter().map(|r| 12 * r.len()).sum::<usize>());
    for line in svg.split_inclusive('\n') {
        let stand_in = dot(line.trim_end_matches('\n')).filter(|d| d.x == RUN_MARK);
        match stand_in.and_then(|d| Some((d, runs.get(usize::try_from(d.y).ok()?)?))) {
            Some((stand_in, centres)) => {
                // The circle a dot no layer takes is written as plotters would have: the stand-in's own line with
                // the dot's centre.
                let rest = stand_in.line.split_once(" r=\"").map_or("", |(_, rest)| rest);
                write_run(&mut out, stand_in.style, centres, |out, i| {
                    let (x, y) = centres[i];
                    out.push_str(&format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"{rest}\n"));
                });
            }
            None => out.push_str(line),
        }
    }
    out
}

/// A dot as plotters writes it: `<circle cx=".." cy=".." r=".." opacity=".." fill=".." stroke="none" .../>`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dot<'a> {
    x: i32,
    y: i32,
    /// Radius, opacity and fill, as written: dots that share them can share a path.
    style: (u32, &'a str, &'a str),
    /// The line as written, for a dot left as a circle.
    line: &'a str,
}

/// The most layers a run is split into; dots that fit in none (thousands on one spot) stay circles. A plane whose
/// outcome is fixed puts every dot on one vertical line, up to 91 on one pixel (shared-lives): about 300 layers.
const MAX_LAYERS: usize = 1024;

/// The most bits the layers' bitmaps take together (8 MB).
const BITMAP_BITS: usize = 1 << 26;

/// A filled, unstroked circle with whole-pixel centre and radius, written as plotters' SVG backend writes it
/// (`<circle cx="27" cy="70" r="2" opacity="0.3" fill="#0072B2" stroke="none" stroke-width="1"/>`); else `None`.
fn dot(line: &str) -> Option<Dot<'_>> {
    // Read in the one order plotters writes: a general attribute parser took 3 ms for a 10,000-dot plane.
    let mut rest = line.strip_prefix("<circle ")?;
    let mut value = |name: &str| -> Option<&str> {
        let after = rest.strip_prefix(name)?.strip_prefix("=\"")?;
        let (v, tail) = after.split_once('"')?;
        rest = tail.strip_prefix(' ').unwrap_or(tail);
        Some(v)
    };
    let (x, y) = (value("cx")?.parse().ok()?, value("cy")?.parse().ok()?);
    let r = value("r")?.parse::<u32>().ok().filter(|r| (1..=64).contains(r))?;
    // Only characters a number or a colour uses: the values are copied into the path's attributes.
    let plain = |v: &str| v.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'#'));
    let (opacity, fill) = (
        value("opacity").filter(|v| plain(v))?,
        value("fill").filter(|v| plain(v))?,
    );
    (value("stroke")? == "none").then_some(())?;
    value("stroke-width")?;
    (rest == "/>").then_some(Dot {
        x,
        y,
        style: (r, opacity, fill),
        line,
    })
}

/// Writes the dots at `centres` (two or more, of one `style`: radius, opacity, fill) as one path per layer, then
/// each dot no layer could take through `circle` (given its index).
fn write_run(
    out: &mut String,
    (r, opacity, fill): (u32, &str, &str),
    centres: &[(i32, i32)],
    circle: impl Fn(&mut String, usize),
) {
    use std::fmt::Write;
    let (layers, left) = layers(centres, 2 * r as i64 + 1);
    for layer in layers {
        out.push_str(r#"<path d=""#);
        // Two numbers for every dot, by itoa (as the per-iteration files write theirs).
        let mut number = itoa::Buffer::new();
        for i in layer {
            let (x, y) = centres[i];
            out.push('M');
            out.push_str(number.format(x));
            out.push(' ');
            out.push_str(number.format(y));
            out.push_str("h0");
        }
        let _ = writeln!(
            out,
            r#"" fill="none" stroke="{fill}" stroke-opacity="{opacity}" stroke-width="{}" stroke-linecap="round"/>"#,
            2 * r
        );
    }
    for i in left {
        circle(out, i);
    }
}

/// Sets bits `first..=last` of `bitmap`, a word at a time.
fn set_bits(bitmap: &mut [u64], first: usize, last: usize) {
    let (w0, w1) = (first / 64, last / 64);
    let low = u64::MAX << (first % 64);
    let high = u64::MAX >> (63 - last % 64);
    if w0 == w1 {
        bitmap[w0] |= low & high;
    } else {
        bitmap[w0] |= low;
        bitmap[w0 + 1..w1].fill(u64::MAX);
        bitmap[w1] |= high;
    }
}

/// The dots of `run` (by index) split into layers in which every two dots' centres are at least `apart` pixels apart (greedily: each dot
/// goes to the first layer it fits), and the dots that fit in none of the layers there is room for.
fn layers(run: &[(i32, i32)], apart: i64) -> (Vec<Vec<usize>>, Vec<usize>) {
    // Each layer has a bitmap over the box of the run's centres, marking every pixel within `apart` of a dot in it:
    // a dot fits a layer when its own pixel is unmarked, one lookup per layer tried. (Lists of nearby dots in a
    // grid, checked by distance, spent their time waiting on memory: most of the 4.4 ms of processor time that
    // writing a 10,000-dot plane took, by `perf`, against 1.4 ms this way.)
    let (x0, x1) = run
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), d| (a.min(d.0 as i64), b.max(d.0 as i64)));
    let (y0, y1) = run
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), d| (a.min(d.1 as i64), b.max(d.1 as i64)));
    let (width, height) = (x1 - x0 + 1, y1 - y0 + 1);
    // The bitmaps together stay within 8 MB (a 1,200 by 800 box takes 120 kB a layer); a box too large for one
    // (dots far off the figure) leaves its dots as circles.
    let area = (width as u128 * height as u128).max(1);
    let room = ((BITMAP_BITS as u128 / area) as usize).min(MAX_LAYERS);
    let words = area.div_ceil(64) as usize;
    // The disc of pixels nearer than `apart`, row by row: each row's offset and half-width.
    let disc: Vec<(i64, i64)> = (-apart + 1..apart)
        .map(|dy| {
            (
                dy,
                (0..apart)
                    .take_while(|dx| dx * dx + dy * dy < apart * apart)
                    .last()
                    .unwrap_or(0),
            )
        })
        .collect();
    let mut marked: Vec<u64> = Vec::new();
    let mut layers: Vec<Vec<usize>> = Vec::new();
    let mut left = Vec::new();
    for (i, d) in run.iter().enumerate() {
        let (x, y) = (d.0 as i64 - x0, d.1 as i64 - y0);
        let bit = (x + y * width) as usize;
        let is_marked = |l: usize| marked[l * words + bit / 64] & (1 << (bit % 64)) != 0;
        let layer = match (0..layers.len()).find(|&l| !is_marked(l)) {
            Some(l) => l,
            None if layers.len() < room => {
                layers.push(Vec::new());
                marked.resize(layers.len() * words, 0);
                layers.len() - 1
            }
            None => {
                left.push(i);
                continue;
            }
        };
        layers[layer].push(i);
        let bitmap = &mut marked[layer * words..(layer + 1) * words];
        for (dy, half) in &disc {
            let py = y + dy;
            if (0..height).contains(&py) {
                let row = py * width;
                set_bits(
                    bitmap,
                    (row + (x - half).max(0)) as usize,
                    (row + (x + half).min(width - 1)) as usize,
                );
            }
        }
    }
    (layers, left)
}

/// `svg` with each run of two or more identical filled dots, written as plotters' circles, replaced by layered
/// paths; every other line as it was. What [`DotPaths`] and [`expand`] give without writing the circles first: the
/// tests' reference.
#[cfg(test)]
pub(super) fn compact(svg: &str) -> String {
    fn flush(out: &mut String, run: &mut Vec<Dot>) {
        match run.len() {
            0 => {}
            1 => {
                out.push_str(run[0].line);
                out.push('\n');
            }
            _ => {
                let centres: Vec<(i32, i32)> = run.iter().map(|d| (d.x, d.y)).collect();
                write_run(out, run[0].style, &centres, |out, i| {
                    out.push_str(run[i].line);
                    out.push('\n');
                });
            }
        }
        run.clear();
    }
    let mut out = String::with_capacity(svg.len() / 4);
    let mut run: Vec<Dot> = Vec::new();
    for line in svg.split_inclusive('\n') {
        match dot(line.trim_end_matches('\n')) {
            Some(d) if run.first().is_none_or(|first| first.style == d.style) => run.push(d),
            Some(d) => {
                flush(&mut out, &mut run);
                run.push(d);
            }
            None => {
                flush(&mut out, &mut run);
                out.push_str(line);
            }
        }
    }
    flush(&mut out, &mut run);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dot read back: centre, radius, opacity and fill.
    type ReadDot = (i32, i32, u32, String, String);

    /// A dot as plotters writes it.
    fn circle(x: i32, y: i32, r: u32, opacity: &str, fill: &str) -> String {
        format!(
            r#"<circle cx="{x}" cy="{y}" r="{r}" opacity="{opacity}" fill="{fill}" stroke="none" stroke-width="1"/>"#
        )
    }

    /// Every dot in `svg`, from circles and from paths' "M x y h0" pieces, with its radius, opacity and fill; and
    /// each path's dots, read back independently of `compact`'s own parsing.
    fn read_back(svg: &str) -> (Vec<ReadDot>, Vec<Vec<(i32, i32)>>) {
        let attr = |line: &str, name: &str| {
            let start = line.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            line[start..].split('"').next().unwrap().to_string()
        };
        let (mut dots, mut paths) = (Vec::new(), Vec::new());
        for line in svg.lines() {
            if line.starts_with("<circle") && line.contains("stroke=\"none\"") {
                let r: u32 = attr(line, "r").parse().unwrap();
                let xy = (attr(line, "cx").parse().unwrap(), attr(line, "cy").parse().unwrap());
                dots.push((xy.0, xy.1, r, attr(line, "opacity"), attr(line, "fill")));
            } else if line.starts_with("<path") {
                assert!(line.contains("stroke-linecap=\"round\"") && line.contains("fill=\"none\""));
                let r = attr(line, "stroke-width").parse::<u32>().unwrap() / 2;
                let d = attr(line, "d");
                let mut path = Vec::new();
                for piece in d.split('M').skip(1) {
                    let (x, y) = piece.strip_suffix("h0").unwrap().split_once(' ').unwrap();
                    let (x, y) = (x.parse().unwrap(), y.parse().unwrap());
                    path.push((x, y));
                    dots.push((x, y, r, attr(line, "stroke-opacity"), attr(line, "stroke")));
                }
                paths.push(path);
            }
        }
        dots.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        (dots, paths)
    }

    #[test]
    fn a_cloud_becomes_few_paths_of_dots_that_do_not_touch() {
        // A dense cloud: 5,000 dots in a 120-pixel square, from a fixed pseudo-random sequence.
        let mut state = 7u64;
        let mut draw = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 120) as i32
        };
        let mut svg = String::from("<svg>\n<rect x=\"0\"/>\n");
        for _ in 0..5000 {
            let (x, y) = (draw() + 10, draw() - 5);
            svg.push_str(&circle(x, y, 2, "0.3", "#0072B2"));
            svg.push('\n');
        }
        svg.push_str("<text>after</text>\n</svg>\n");
        let small = compact(&svg);
        assert!(small.len() * 4 < svg.len(), "{} bytes from {}", small.len(), svg.len());
        assert!(small.starts_with("<svg>\n<rect x=\"0\"/>\n<path") && small.ends_with("<text>after</text>\n</svg>\n"));
        let (before, _) = read_back(&svg);
        let (after, paths) = read_back(&small);
        assert_eq!(after, before, "the same dots, each once");
        assert!(paths.len() > 1 && paths.len() < 64, "{} layers", paths.len());
        for path in &paths {
            for (i, a) in path.iter().enumerate() {
                for b in &path[i + 1..] {
                    let (dx, dy) = (a.0 - b.0, a.1 - b.1);
                    assert!(
                        dx * dx + dy * dy >= 25,
                        "{a:?} and {b:?} share a layer but come within 5 px"
                    );
                }
            }
        }
    }

    #[test]
    fn runs_keep_their_order_and_other_circles_are_left_alone() {
        let lines = [
            circle(1, 1, 2, "0.3", "#000000"),
            circle(1, 1, 2, "0.3", "#000000"),
            circle(9, 9, 2, "0.3", "#E69F00"),
            circle(20, 20, 2, "0.3", "#E69F00"),
            // One dot alone, a ring (stroked, no fill) and a fractional centre stay as they are.
            circle(5, 5, 10, "1", "#FFFFFF"),
            r##"<circle cx="5" cy="5" r="10" opacity="1" fill="none" stroke="#000000" stroke-width="2"/>"##.to_string(),
            r##"<circle cx="5.5" cy="5" r="2" opacity="1" fill="#000000" stroke="none" stroke-width="1"/>"##
                .to_string(),
            r##"<circle cx="5.5" cy="5" r="2" opacity="1" fill="#000000" stroke="none" stroke-width="1"/>"##
                .to_string(),
        ];
        let svg = lines.join("\n") + "\n";
        let small = compact(&svg);
        let out: Vec<&str> = small.lines().collect();
        // Two black dots on one spot must darken each other: two layers, black before orange.
        assert!(out[0].starts_with("<path d=\"M1 1h0\"") && out[0].contains("stroke=\"#000000\""));
        assert!(out[1].starts_with("<path d=\"M1 1h0\""));
        assert!(out[2].starts_with("<path d=\"M9 9h0M20 20h0\"") && out[2].contains("stroke=\"#E69F00\""));
        assert_eq!(
            &out[3..],
            &lines[4..].iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn a_dot_at_the_stand_ins_mark_stays_a_dot_of_its_own() {
        use plotters::backend::SVGBackend;
        use plotters::style::{Color, BLACK};
        let runs = Runs::default();
        let mut svg = String::new();
        {
            let mut backend = DotPaths::new(SVGBackend::with_string(&mut svg, (100, 100)), &runs);
            let style = BLACK.mix(0.3).filled();
            for centre in [(5, 5), (50, 50), (RUN_MARK, 0), (RUN_MARK, 1), (7, 7)] {
                backend.draw_circle(centre, 2, &style, true).expect("draws");
            }
            backend.present().expect("presents");
        }
        assert_eq!(runs.borrow().len(), 1, "one run of five");
        let out = expand(&svg, &runs);
        let (dots, paths) = read_back(&out);
        assert_eq!(dots.len(), 5, "every dot once: {out}");
        assert!(dots.iter().filter(|d| d.0 == RUN_MARK + 1).count() == 2, "{out}");
        // So far-flung a run stays circles (its box is too large for a layer), and no stand-in is left.
        assert!(
            paths.is_empty() && !out.contains(&format!("cx=\"{RUN_MARK}\"")),
            "{out}"
        );
    }

    #[test]
    fn thousands_of_dots_on_one_spot_stay_exact() {
        let svg: String = (0..1100).map(|_| circle(50, 50, 2, "0.12", "#009E73") + "\n").collect();
        let small = compact(&svg);
        assert_eq!(small.matches("<path").count(), MAX_LAYERS);
        assert_eq!(small.matches("<circle").count(), 1100 - MAX_LAYERS);
        assert_eq!(read_back(&small).0, read_back(&svg).0);
        // Far-flung dots must not make a huge bitmap: they stay as they were.
        let far = [
            circle(-2_000_000_000, 0, 2, "0.3", "#000000"),
            circle(2_000_000_000, 7, 2, "0.3", "#000000"),
        ];
        let svg = far.join("\n") + "\n";
        assert_eq!(compact(&svg), svg);
    }
}
