//! Runs of like shapes in an SVG merged into one path each: a histogram's bars, a dashed line's dashes, a grid's
//! lines. plotters writes every shape as an element of its own, and a browser builds, styles, lays out and paints each
//! element apart (the teaching example's four-panel ROI figure had 177 bars and 238 lines); one path with a subpath per
//! shape is the same picture in a few elements.
//!
//! Only consecutive elements merge, so nothing is drawn in another order. A run of strokes merges only where they are
//! opaque (`opacity="1"`), where painting them together or apart gives the same pixels (translucent crossings would
//! otherwise no longer darken); a run of filled rectangles merges only where no two overlap, for the same reason.

/// A shape plotters writes on one line that can join a path: its style (the attributes a path keeps) and its
/// geometry as path data.
struct Shape<'a> {
    /// What a path of such shapes is: strokes (`fill="none"`, an outline) or fills.
    kind: Kind,
    /// The attributes the path keeps, as plotters wrote them, and whether they allow merging at all.
    style: &'a str,
    mergeable: bool,
    /// The shape as path data (`M90 725L90 176`, `M140 451h9v24h-9Z`).
    data: String,
    /// A filled rectangle's extent (x, y, x + width, y + height), to keep overlapping ones apart.
    extent: Option<[i64; 4]>,
}

impl<'a> Shape<'a> {
    /// An outline (a polyline's or a line's).
    fn stroke(style: &'a str, mergeable: bool, data: String) -> Shape<'a> {
        Shape {
            kind: Kind::Stroke,
            style,
            mergeable,
            data,
            extent: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Stroke,
    Fill,
}

/// The value of attribute `name` in an element's text or its attributes alone.
fn attribute<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("{name}=\"");
    let start = if text.starts_with(&key) {
        key.len()
    } else {
        text.find(&format!(" {key}"))? + key.len() + 1
    };
    text[start..].split('"').next()
}

/// `line` read as a shape that can join a path: a `<polyline>`, a `<line>`, or a filled `<rect>` without an outline,
/// as plotters writes them; None for anything else.
fn shape(line: &str) -> Option<Shape<'_>> {
    let opaque = |style: &str| attribute(style, "opacity") == Some("1") && !style.contains("-opacity=");
    if let Some(rest) = line.strip_prefix("<polyline ") {
        let (style, points) = rest.split_once(" points=\"")?;
        let points = points.strip_suffix("\"/>")?;
        let mut data = String::with_capacity(points.len() + 8);
        for (i, point) in points.split_whitespace().enumerate() {
            let (x, y) = point.split_once(',')?;
            data.push(if i == 0 { 'M' } else { 'L' });
            data.push_str(x);
            data.push(' ');
            data.push_str(y);
        }
        let mergeable = opaque(style) && attribute(style, "fill") == Some("none") && !data.is_empty();
        return Some(Shape::stroke(style, mergeable, data));
    }
    if let Some(rest) = line.strip_prefix("<line ") {
        let (style, ends) = rest.split_once(" x1=\"")?;
        let ends = format!(" x1=\"{ends}");
        let [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map(|n| attribute(&ends, n));
        let data = format!("M{} {}L{} {}", x1?, y1?, x2?, y2?);
        // A line has no fill: its path must say so.
        let mergeable = opaque(style) && !style.contains("fill=");
        return Some(Shape::stroke(style, mergeable, data));
    }
    let rest = line.strip_prefix("<rect ")?;
    let style = rest.split_once(" height=\"")?.1.split_once('"')?.1.strip_suffix("/>")?;
    let number = |n: &str| attribute(line, n)?.parse::<i64>().ok();
    let [x, y, w, h] = [number("x")?, number("y")?, number("width")?, number("height")?];
    let mergeable = attribute(style, "stroke") == Some("none") && w >= 0 && h >= 0;
    Some(Shape {
        kind: Kind::Fill,
        style: style.trim_start(),
        mergeable,
        data: format!("M{x} {y}h{w}v{h}h{}Z", -w),
        extent: Some([x, y, x + w, y + h]),
    })
}

/// The most shapes one path takes: a run of filled rectangles is checked for overlaps pair by pair, so a longer run (a
/// heat map of one colour) is cut into paths of this many.
const MOST_PER_PATH: usize = 1_000;

/// Whether two rectangles' insides overlap (touching edges do not).
fn overlap(a: [i64; 4], b: [i64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// `svg` with each run of two or more consecutive like shapes (see the module's comment) written as one path; every
/// other line as it was.
pub(super) fn merge_shapes(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut run: Vec<(Shape, &str)> = Vec::new();
    for line in svg.split_inclusive('\n') {
        let joins = shape(line.trim_end_matches('\n')).filter(|s| s.mergeable);
        if let Some(s) = joins {
            let fits = run.first().is_none_or(|(first, _)| {
                run.len() < MOST_PER_PATH
                    && first.kind == s.kind
                    && first.style == s.style
                    && s.extent
                        .is_none_or(|e| run.iter().all(|(r, _)| !r.extent.is_some_and(|o| overlap(o, e))))
            });
            if !fits {
                flush(&mut out, &mut run);
            }
            run.push((s, line));
        } else {
            flush(&mut out, &mut run);
            out.push_str(line);
        }
    }
    flush(&mut out, &mut run);
    out
}

/// Writes `run` and empties it: as it was where it holds one shape, else as one path.
fn flush(out: &mut String, run: &mut Vec<(Shape, &str)>) {
    match run.as_slice() {
        [] => {}
        [(_, line)] => out.push_str(line),
        [(first, _), ..] => {
            out.push_str("<path ");
            if first.kind == Kind::Stroke && !first.style.contains("fill=") {
                out.push_str("fill=\"none\" ");
            }
            out.push_str(first.style.trim());
            out.push_str(" d=\"");
            for (s, _) in run.iter() {
                out.push_str(&s.data);
            }
            out.push_str("\"/>\n");
        }
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAR: &str = "opacity=\"0.75\" fill=\"#56B4E9\" stroke=\"none\"";

    fn bar(x: i64, y: i64, w: i64, h: i64) -> String {
        format!("<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" {BAR}/>\n")
    }

    fn dash(x: i64, opacity: &str) -> String {
        format!(
            "<polyline fill=\"none\" opacity=\"{opacity}\" stroke=\"#0072B2\" stroke-width=\"2\" points=\"{x},113 {},113 \"/>\n",
            x + 8
        )
    }

    #[test]
    fn a_histograms_bars_become_one_path_of_the_same_rectangles() {
        let svg = format!(
            "<svg>\n{}{}{}</svg>\n",
            bar(140, 451, 9, 24),
            bar(149, 441, 9, 34),
            bar(158, 400, 9, 75)
        );
        assert_eq!(
            merge_shapes(&svg),
            format!("<svg>\n<path {BAR} d=\"M140 451h9v24h-9ZM149 441h9v34h-9ZM158 400h9v75h-9Z\"/>\n</svg>\n")
        );
    }

    #[test]
    fn overlapping_translucent_bars_stay_apart_and_the_order_is_kept() {
        // The second overlaps the first: it starts a run of its own, with the third, which overlaps neither.
        let svg = format!("{}{}{}", bar(0, 0, 10, 10), bar(5, 5, 10, 10), bar(20, 0, 10, 10));
        assert_eq!(
            merge_shapes(&svg),
            format!(
                "{}<path {BAR} d=\"M5 5h10v10h-10ZM20 0h10v10h-10Z\"/>\n",
                bar(0, 0, 10, 10)
            )
        );
        // Bars that only touch merge.
        let touching = format!("{}{}", bar(0, 0, 10, 10), bar(10, 0, 10, 10));
        assert!(merge_shapes(&touching).starts_with("<path "));
    }

    #[test]
    fn a_dashed_lines_dashes_become_one_path_and_translucent_ones_stay_apart() {
        let svg = format!("{}{}{}", dash(277, "1"), dash(290, "1"), dash(303, "1"));
        assert_eq!(
            merge_shapes(&svg),
            "<path fill=\"none\" opacity=\"1\" stroke=\"#0072B2\" stroke-width=\"2\" d=\"M277 113L285 113M290 113L298 113M303 113L311 113\"/>\n"
        );
        let faint = format!("{}{}", dash(277, "0.3"), dash(290, "0.3"));
        assert_eq!(merge_shapes(&faint), faint);
    }

    #[test]
    fn a_long_run_is_cut_into_paths_of_at_most_so_many_shapes() {
        let svg: String = (0..2_500).map(|i| bar(i * 10, 0, 10, 10)).collect();
        let merged = merge_shapes(&svg);
        assert_eq!(merged.lines().count(), 3);
        let sizes: Vec<usize> = merged.lines().map(|l| l.matches('Z').count()).collect();
        assert_eq!(sizes, [MOST_PER_PATH, MOST_PER_PATH, 500]);
    }

    #[test]
    fn grid_lines_become_one_path_without_fill() {
        let line = |x: i64| {
            format!("<line opacity=\"1\" stroke=\"#E4E4E4\" stroke-width=\"1\" x1=\"{x}\" y1=\"725\" x2=\"{x}\" y2=\"176\"/>\n")
        };
        assert_eq!(
            merge_shapes(&format!("{}{}", line(90), line(197))),
            "<path fill=\"none\" opacity=\"1\" stroke=\"#E4E4E4\" stroke-width=\"1\" d=\"M90 725L90 176M197 725L197 176\"/>\n"
        );
    }

    #[test]
    fn anything_between_like_shapes_ends_their_run_and_other_styles_do_too() {
        let text = "<text x=\"1\" y=\"2\">\nlabel\n</text>\n";
        let svg = format!("{}{text}{}", dash(1, "1"), dash(20, "1"));
        assert_eq!(merge_shapes(&svg), svg, "a text between two dashes keeps them apart");
        let other = dash(20, "1").replace("#0072B2", "#000000");
        let svg = format!("{}{other}", dash(1, "1"));
        assert_eq!(merge_shapes(&svg), svg, "two colours stay apart");
        let mixed = format!("{}{}", dash(1, "1"), bar(0, 0, 5, 5));
        assert_eq!(merge_shapes(&mixed), mixed, "a stroke and a fill stay apart");
        let outlined = bar(0, 0, 5, 5).replace("stroke=\"none\"", "stroke=\"#000000\"");
        let svg = format!("{outlined}{}", outlined.replace("x=\"0\"", "x=\"9\""));
        assert_eq!(merge_shapes(&svg), svg, "outlined rectangles stay apart");
    }
}
