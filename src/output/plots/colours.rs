//! The palette: Okabe–Ito colours for arms and data, and the greys of text, grid, axes and reference lines.

use plotters::style::RGBColor;

// Okabe–Ito, the colour-blind-safe palette.
const OI_ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
pub(super) const OI_SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const OI_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const OI_YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
pub(super) const OI_BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
pub(super) const OI_VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const OI_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
pub(super) const OI_BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
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
pub(super) const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
pub(super) const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(super) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub(super) const AXIS: RGBColor = RGBColor(0x60, 0x60, 0x60);
pub(super) const REFERENCE: RGBColor = RGBColor(0x44, 0x44, 0x44);

/// The colour of the `i`-th arm or series.
pub(super) fn arm_colour(i: usize) -> RGBColor {
    ARM_COLOURS[i % ARM_COLOURS.len()]
}
