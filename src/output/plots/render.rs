//! Rendering: one layout, two backends. The `Figure` trait, the figure sizes, and `render`, which draws a figure
//! as a PNG and an SVG beside each other, or as SVG text alone in memory (for `carecast serve`'s live page).

use super::dots::{expand, DotPaths, Runs};
use super::font::{ensure_font, GlyphByGlyph};
use super::merge::merge_shapes;
use super::png_encode::encode_png;
use super::raster::Raster;
use plotters::backend::{DrawingBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A figure could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    /// The file that was being drawn (the PNG or the SVG).
    pub path: PathBuf,
    /// What went wrong, in words.
    pub message: String,
}

// Figure sizes in pixels.
pub(super) const WIDTH: u32 = 1200;
pub(super) const HEIGHT: u32 = 800;
/// Two rows of ROI panels need more height to keep each panel readable.
pub(super) const HEIGHT_TWO_ROWS: u32 = 1000;

/// Figures drawn in memory as SVG text, by file stem (`roi_reablement`, `ce_plane`, ...): what a run directory's
/// `<stem>.svg` would hold.
#[derive(Debug, Default)]
pub struct SvgSink(Mutex<Vec<(String, String)>>);

impl SvgSink {
    /// The SVG drawn for `stem`, if one was.
    pub fn get(&self, stem: &str) -> Option<String> {
        let figures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        figures.iter().find(|(s, _)| s == stem).map(|(_, svg)| svg.clone())
    }

    fn put(&self, stem: String, svg: String) {
        let mut figures = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        figures.push((stem, svg));
    }
}

/// Where one figure goes: PNG and SVG files beside a base path (`dir/ceac` → `dir/ceac.png`, `dir/ceac.svg`), or SVG
/// text into a sink under a file stem.
pub enum Dest {
    Files(PathBuf),
    Memory(Arc<SvgSink>, String),
}

impl From<&Path> for Dest {
    fn from(base: &Path) -> Dest {
        Dest::Files(base.to_path_buf())
    }
}

impl From<&PathBuf> for Dest {
    fn from(base: &PathBuf) -> Dest {
        Dest::Files(base.clone())
    }
}

impl From<PathBuf> for Dest {
    fn from(base: PathBuf) -> Dest {
        Dest::Files(base)
    }
}

/// Where a set of figures goes: files in a folder, or SVG text in memory.
#[derive(Clone, Copy)]
pub enum Canvas<'a> {
    Folder(&'a Path),
    Memory(&'a Arc<SvgSink>),
}

impl Canvas<'_> {
    /// Where the figure with file stem `stem` goes.
    pub fn dest(&self, stem: &str) -> Dest {
        match self {
            Canvas::Folder(dir) => Dest::Files(dir.join(stem)),
            Canvas::Memory(sink) => Dest::Memory(Arc::clone(sink), stem.to_string()),
        }
    }
}

/// A figure whose data are already laid out; `draw` is called once per backend.
pub(super) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// A drawing error, in words.
pub(super) fn err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// `base` with `.ext` appended.
pub(super) fn with_suffix(base: &Path, ext: &str) -> PathBuf {
    // Appends rather than `with_extension`, which would eat a dot in the base name ("roi.council").
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Draws `fig` at `size` where `to` says: as `base`.png and `base`.svg, the two at once where the pool has a free
/// thread, returning both paths; or as SVG text into a sink, returning no path.
pub(super) fn render<F: Figure + Sync>(
    to: impl Into<Dest>,
    size: (u32, u32),
    fig: &F,
) -> Result<Vec<PathBuf>, PlotError> {
    let base = match to.into() {
        Dest::Files(base) => base,
        Dest::Memory(sink, stem) => {
            let fail = |message: String| PlotError {
                path: PathBuf::from(format!("{stem}.svg")),
                message,
            };
            ensure_font().map_err(fail)?;
            let svg = draw_svg(size, fig).map_err(fail)?;
            sink.put(stem, svg);
            return Ok(Vec::new());
        }
    };
    let base = base.as_path();
    let png = with_suffix(base, "png");
    let svg = with_suffix(base, "svg");
    let fail = |path: &Path, message: String| PlotError {
        path: path.to_path_buf(),
        message,
    };
    ensure_font().map_err(|m| fail(&png, m))?;
    // The folder must exist already (the run's directory, or one its writer made): a figure never creates it. After
    // Ctrl-C the process removes its incomplete run directory while the figures may still be drawing, and a figure
    // that made its folder again left the directory behind.
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
        return Err(fail(&png, format!("the folder {} does not exist", parent.display())));
    }
    let (bitmap, text) = rayon::join(
        || {
            let _glyphs = GlyphByGlyph::on();
            with_kept_pixels(size.0 as usize * size.1 as usize * 3, |pixels| {
                {
                    let root = Raster::new(pixels, size).into_drawing_area();
                    fig.draw(&root)?;
                    root.present().map_err(err)?;
                }
                encode_png(pixels, size)
            })
        },
        // The SVG is built in memory and written in one go, so a failure never leaves half a file behind.
        || draw_svg(size, fig),
    );
    let bitmap = bitmap.map_err(|m| fail(&png, m))?;
    std::fs::write(&png, bitmap).map_err(|e| fail(&png, e.to_string()))?;
    std::fs::write(&svg, text.map_err(|m| fail(&svg, m))?).map_err(|e| fail(&svg, e.to_string()))?;
    Ok(vec![png, svg])
}

thread_local! {
    /// The bitmap buffer last drawn on by this thread, kept for its next figure. A new buffer is new memory: the
    /// kernel's page faults on first touching each figure's 2.9 MB were 12% of a 10-iteration run's processor time
    /// (`perf`, 2026-12-07); a kept one is only cleared.
    static KEPT_PIXELS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `draw` on a zeroed buffer of `len` bytes, this thread's kept one where it has one. The buffer is taken out
/// while drawing, so a figure drawn meanwhile on the same thread (rayon may run one inside a join) gets a new one.
pub(super) fn with_kept_pixels<R>(len: usize, draw: impl FnOnce(&mut [u8]) -> R) -> R {
    let mut pixels = KEPT_PIXELS.with(|kept| std::mem::take(&mut *kept.borrow_mut()));
    pixels.clear();
    pixels.resize(len, 0);
    let result = draw(&mut pixels);
    KEPT_PIXELS.with(|kept| *kept.borrow_mut() = pixels);
    result
}

/// `fig` drawn at `size` as SVG text.
pub(super) fn draw_svg<F: Figure>(size: (u32, u32), fig: &F) -> Result<String, String> {
    let mut text = String::new();
    // A plane's thousands of dots as a few paths: the same picture, drawn by a browser in a fifth of the time.
    let runs = Runs::default();
    {
        let root = DotPaths::new(SVGBackend::with_string(&mut text, size), &runs).into_drawing_area();
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    // And the bars, dashes and grid lines, run by run, as one path each (see `merge`).
    Ok(merge_shapes(&expand(&text, &runs)))
}
