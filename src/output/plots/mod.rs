//! Plots of PSA results (PNG and SVG), drawn with plotters and an embedded font so they render on any machine.
//!
//! Every public function takes plain data, lays the figure out once, draws it twice (a PNG on carecast's bitmap,
//! which draws the pixels plotters' bitmap backend would, and an SVG through plotters' SVG backend) and returns both
//! paths. Text uses Noto Sans compiled into the binary and registered in plotters' `ab_glyph` font table, so nothing
//! depends on system fonts or fontconfig.
//!
//! Inputs come from simulations and user scenario files, so nothing here trusts them: non-finite values are
//! skipped (and counted in a caption), degenerate ranges are padded, and free text (titles, labels) is cleaned of
//! control characters and wrapped to the space it has (up to three lines for a title, two for a subtitle, three for
//! each note, three for an ROI panel's label and nine for its statistics); only past that, or a word too long for a
//! line, is it cut with "…". No figure of the bundled scenarios cuts any (the golden test checks).
//!
//! Each figure has its own file: ROI histograms, the cost-effectiveness plane, acceptability curves, EVPI, the fan
//! chart of cumulative savings and EVPPI bars; and the what-if figures: a measure swept against one parameter
//! (lines with bands), over a grid of two parameters (a heat map), and with one parameter at a time at its low and
//! high values (a tornado diagram). They share the machinery in the other files: rendering, the font, text, labels,
//! axes, legends, the frame and the palette.

mod axis;
mod ce_plane;
mod ceac;
mod colour_scale;
mod colours;
mod data;
mod dots;
mod evpi;
mod evppi;
mod fan;
mod font;
mod frame;
mod heat_map;
mod labels;
mod legend;
mod merge;
mod png_encode;
mod raster;
mod render;
mod roi;
mod sweep_lines;
mod text;
mod tornado;

pub use ce_plane::{ce_plane, PlaneOutcome, MAX_POINTS_PER_ARM};
pub use ceac::ceac;
pub use evpi::evpi;
pub use evppi::{evppi_bars, MAX_EVPPI_BARS};
pub use fan::{budget_fan_chart, fan_chart};
pub use heat_map::heat_map;
pub use labels::{display_outcome, ValueFormat};
pub use render::{Canvas, Dest, PlotError, SvgSink};
pub use roi::{roi_histograms, Sample};
pub use sweep_lines::{sweep_lines, Series};
pub use tornado::{tornado, TornadoBar};

#[cfg(test)]
mod tests;
