//! Colour scales for heat maps: viridis (sequential) and a vermillion–grey–blue scale diverging about a centre, and
//! the text colour that contrasts with a cell.

use super::colours::{INK, OI_BLUE, OI_VERMILLION};
use plotters::style::{RGBColor, WHITE};

/// Viridis at eleven evenly spaced points: sequential, perceptually even and colour-blind safe.
pub(super) const VIRIDIS: [RGBColor; 11] = [
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
pub(super) const DIVERGING_MID: RGBColor = RGBColor(0xF4, 0xF4, 0xF4);
/// Below the centre: from the middle out to Okabe–Ito vermillion and a darker shade of it.
pub(super) const BELOW: [RGBColor; 4] = [
    DIVERGING_MID,
    RGBColor(0xF5, 0xC6, 0xA3),
    OI_VERMILLION,
    RGBColor(0x8A, 0x3A, 0x00),
];
/// Above the centre: from the middle out to Okabe–Ito blue and a darker shade of it.
pub(super) const ABOVE: [RGBColor; 4] = [
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
pub(super) fn text_on(background: RGBColor) -> RGBColor {
    let l = luminance(background);
    let (white, ink) = (1.05 / (l + 0.05), (l + 0.05) / (luminance(INK) + 0.05));
    if white > ink {
        WHITE
    } else {
        INK
    }
}

/// How a heat map's values map to colours.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scale {
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
    /// The colour of `v`.
    pub(super) fn colour(self, v: f64) -> RGBColor {
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
