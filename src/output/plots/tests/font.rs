//! Tests of the embedded font's tables.

use super::super::font::font_tables;
use super::super::text::measure;

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
fn a_glyph_drawn_from_its_kept_pixels_is_the_glyph_plotters_draws() {
    use super::super::font::{draw_glyph, ensure_font, FONT};
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    use plotters::style::FontTransform;
    ensure_font().unwrap();
    let size = (120u32, 90u32);
    let plum = RGBColor(200, 30, 60).mix(0.7);
    // Each character in each style twice (the second from the kept pixels), upright and rotated, in a sub-area 40
    // pixels in from the left, at places inside and partly off the bitmap; the same character in another style
    // before it, so that a style missing from what keys the kept pixels would show.
    for rotated in [false, true] {
        for (c, px, colour) in [
            ('g', 13.0, BLACK.mix(1.0)),
            ('g', 20.0, plum),
            ('£', 20.0, plum),
            ('W', 9.5, BLUE.mix(0.4)),
        ] {
            let style = TextStyle::from((FONT, px).into_font())
                .color(&colour)
                .pos(Pos::new(HPos::Left, VPos::Top));
            let style = if rotated {
                style.transform(FontTransform::Rotate270)
            } else {
                style
            };
            for at in [(5, 7), (60, 40), (-45, 2), (75, 85), (30, -6)] {
                let mut ours = vec![255u8; (size.0 * size.1 * 3) as usize];
                let mut theirs = ours.clone();
                let text = c.to_string();
                {
                    let root = super::super::raster::Raster::new(&mut ours, size).into_drawing_area();
                    let (_, right) = root.split_horizontally(40);
                    for _ in 0..2 {
                        draw_glyph(&right, c, &style, at).unwrap();
                    }
                    root.present().unwrap();
                }
                {
                    let root = BitMapBackend::with_buffer(&mut theirs, size).into_drawing_area();
                    let (_, right) = root.split_horizontally(40);
                    for _ in 0..2 {
                        right.draw_text(&text, &style, at).unwrap();
                    }
                    root.present().unwrap();
                }
                assert!(
                    ours == theirs,
                    "{c:?} at {px} px, rotated {rotated}, at {at:?}: pixels differ"
                );
                assert!(
                    at != (5, 7) || ours.iter().any(|&b| b != 255),
                    "{c:?} at {at:?} drew nothing"
                );
            }
        }
    }
}
