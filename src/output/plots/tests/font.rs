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
