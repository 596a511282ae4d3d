//! The bitmap the PNGs are drawn on: an RGB buffer that draws exactly the pixels plotters' `BitMapBackend` draws,
//! with two of its slow paths done directly.
//!
//! Why by hand: `BitMapBackend` keeps its pixel buffer to itself, so every translucent pixel goes through a call that
//! clamps, rounds in software and slices anew. A filled band is blended one column at a time, and a plane's dots each
//! run the circle rasteriser (square roots and roundings for a few pixels); together they were about 10% of a run's
//! processor time at 10^4 iterations (`perf`, the cost-effectiveness plane's and the fan chart's bitmaps). Here a
//! column is blended in place, and a small filled dot's pixels are worked out once per figure, radius, colour and
//! alpha and placed by translation. Every operation follows `BitMapBackend`'s arithmetic pixel for pixel (its two blends round
//! differently, and which one a pixel gets depends on where it falls in a row), which the tests check against it.

use plotters_backend::rasterizer;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, DrawingBackend, DrawingErrorKind};
use std::convert::Infallible;

/// The largest dot drawn from kept pixels: its rows are at most 8 pixels long, which `BitMapBackend` blends one
/// byte at a time (longer rows are blended eight pixels at a time, with the other rounding).
const LARGEST_KEPT_DOT: u32 = 3;

/// An RGB bitmap of `size` over a borrowed buffer (three bytes a pixel, row by row), drawn as `BitMapBackend` draws.
pub(super) struct Raster<'a> {
    pixels: &'a mut [u8],
    size: (u32, u32),
    /// Filled dots worked out so far, by radius, colour and alpha (the bits); None where a dot cannot be kept. A
    /// figure's dots come in a few colours at one alpha, so a few entries, searched in turn.
    dots: Vec<(DotKey, Option<Box<[DotPixel]>>)>,
}

impl<'a> Raster<'a> {
    /// A bitmap drawing on `pixels`, which holds at least `size`'s pixels.
    pub(super) fn new(pixels: &'a mut [u8], size: (u32, u32)) -> Raster<'a> {
        assert!(
            pixels.len() >= size.0 as usize * size.1 as usize * 3,
            "a bitmap's buffer holds its pixels"
        );
        Raster {
            pixels,
            size,
            dots: Vec::new(),
        }
    }

    /// The byte offset of pixel `(x, y)`, which is on the bitmap.
    fn at(&self, x: i32, y: i32) -> usize {
        (y as usize * self.size.0 as usize + x as usize) * 3
    }

    /// The rectangle from `a` to `b` (both corners in any order, `b` excluded) clipped to the bitmap, if any of it is
    /// on it.
    fn clip(&self, a: BackendCoord, b: BackendCoord) -> Option<(i32, i32, i32, i32)> {
        let (w, h) = (self.size.0 as i32, self.size.1 as i32);
        let (x0, y0) = (a.0.min(b.0).max(0), a.1.min(b.1).max(0));
        let (x1, y1) = (a.0.max(b.0).min(w), a.1.max(b.1).min(h));
        (x0 < x1 && y0 < y1).then_some((x0, y0, x1, y1))
    }

    /// Paints the rectangle from `a` to `b` (excluded) opaque.
    fn fill_rect(&mut self, a: BackendCoord, b: BackendCoord, rgb: (u8, u8, u8)) {
        let Some((x0, y0, x1, y1)) = self.clip(a, b) else {
            return;
        };
        for y in y0..y1 {
            let (from, to) = (self.at(x0, y), self.at(x1 - 1, y) + 3);
            let row = &mut self.pixels[from..to];
            if rgb.0 == rgb.1 && rgb.1 == rgb.2 {
                row.fill(rgb.0);
            } else {
                for p in row.chunks_exact_mut(3) {
                    p.copy_from_slice(&[rgb.0, rgb.1, rgb.2]);
                }
            }
        }
    }

    /// Blends the rectangle from `a` to `b` (excluded) with `rgb` at `alpha`, as `BitMapBackend`'s `blend_rect_fast`:
    /// in each row, whole groups of eight pixels that leave at least one pixel after them take the rounded-down mix,
    /// the rest [`blend`]'s.
    fn blend_rect(&mut self, a: BackendCoord, b: BackendCoord, rgb: (u8, u8, u8), alpha: f64) {
        let (Some(weight), Some((x0, y0, x1, y1))) = (rect_weight(alpha), self.clip(a, b)) else {
            return;
        };
        let colour = [rgb.0, rgb.1, rgb.2];
        let count = (x1 - x0) as usize;
        if count == 1 {
            self.blend_column(x0, y0..y1, rgb, weight);
            return;
        }
        let grouped = (count - 1) / 8 * 8;
        for y in y0..y1 {
            let from = self.at(x0, y);
            let row = &mut self.pixels[from..from + count * 3];
            let (groups, rest) = row.split_at_mut(grouped * 3);
            for p in groups.chunks_exact_mut(3) {
                for (d, &c) in p.iter_mut().zip(&colour) {
                    *d = ((u64::from(*d) * (256 - weight) + u64::from(c) * weight) >> 8) as u8;
                }
            }
            for p in rest.chunks_exact_mut(3) {
                for (d, &c) in p.iter_mut().zip(&colour) {
                    blend(d, c, weight);
                }
            }
        }
    }

    /// [`Raster::blend_rect`] of a rectangle one pixel wide: column `x`'s `rows` (on the bitmap), each pixel by
    /// [`blend`]. Plotters fills a translucent band a column at a time, and down a column most pixels are like the one
    /// above (the background, a grid line), so a pixel like the one before takes the blend worked out for that one:
    /// the cumulative-savings fan's bitmap took about 0.7 of its time (its share of `perf` samples of the figures), and
    /// the reference workload's whole run at 10^4 iterations 0.97 (200 runs alternated with the build before),
    /// 2026-12-08.
    fn blend_column(&mut self, x: i32, rows: std::ops::Range<i32>, rgb: (u8, u8, u8), weight: u64) {
        let stride = self.size.0 as usize * 3;
        let mut at = self.at(x, rows.start);
        let mut last: Option<([u8; 3], [u8; 3])> = None;
        for _ in rows {
            let pixel = &mut self.pixels[at..at + 3];
            let old = [pixel[0], pixel[1], pixel[2]];
            let new = match last {
                Some((before, after)) if before == old => after,
                _ => {
                    let mut new = old;
                    blend_pixel(&mut new, rgb, weight);
                    last = Some((old, new));
                    new
                }
            };
            pixel.copy_from_slice(&new);
            at += stride;
        }
    }

    /// Paints or blends pixel `(x, y)`, which is on the bitmap, as `BitMapBackend`'s `draw_pixel`.
    fn put(&mut self, x: i32, y: i32, rgb: (u8, u8, u8), alpha: f64) {
        match ink(alpha) {
            Ink::Paint => {
                let at = self.at(x, y);
                self.pixels[at..at + 3].copy_from_slice(&[rgb.0, rgb.1, rgb.2]);
            }
            Ink::Blend(weight) => {
                let at = self.at(x, y);
                blend_pixel(&mut self.pixels[at..at + 3], rgb, weight);
            }
            Ink::Nothing => {}
        }
    }

    /// Whether `(x, y)` is on the bitmap.
    fn on(&self, (x, y): BackendCoord) -> bool {
        x >= 0 && y >= 0 && (x as u32) < self.size.0 && (y as u32) < self.size.1
    }
}

/// Blends a pixel's three bytes towards `rgb` by `weight`/256, a byte at a time ([`blend`]).
fn blend_pixel(p: &mut [u8], rgb: (u8, u8, u8), weight: u64) {
    blend(&mut p[0], rgb.0, weight);
    blend(&mut p[1], rgb.1, weight);
    blend(&mut p[2], rgb.2, weight);
}

/// `BitMapBackend`'s blend of one byte: towards `new` by `weight`/256 of the difference, rounded towards the old value.
fn blend(old: &mut u8, new: u8, weight: u64) {
    if new > *old {
        *old += (u64::from(new - *old) * weight / 256) as u8;
    } else {
        *old -= (u64::from(*old - new) * weight / 256) as u8;
    }
}

/// What `BitMapBackend` does to a pixel drawn in a colour of `alpha`: paints it when all but opaque, blends it by
/// `alpha` rounded down to 256ths when visible, else leaves it.
enum Ink {
    Paint,
    Blend(u64),
    Nothing,
}

/// The ink of a pixel drawn in a colour of `alpha` (see [`Ink`]).
fn ink(alpha: f64) -> Ink {
    if alpha >= 1.0 - 1.0 / 256.0 {
        Ink::Paint
    } else if alpha > 0.0 {
        Ink::Blend((alpha * 256.0).floor() as u64)
    } else {
        Ink::Nothing
    }
}

/// The weight (out of 256) `BitMapBackend` blends a rectangle of `alpha` with; None for a rectangle it leaves out.
fn rect_weight(alpha: f64) -> Option<u64> {
    let alpha = alpha.clamp(0.0, 1.0);
    (alpha != 0.0).then(|| (256.0 * alpha).floor() as u64)
}

/// For a line `BitMapBackend` draws as a rectangle (straight and one pixel wide), the rectangle's far corner, just past
/// `to`: the rectangle runs from `from` to it, which for a line drawn from its greater end leaves both ends out.
fn straight_line_end<S: BackendStyle>(from: BackendCoord, to: BackendCoord, style: &S) -> Option<BackendCoord> {
    ((from.0 == to.0 || from.1 == to.1) && style.stroke_width() == 1).then_some((to.0 + 1, to.1 + 1))
}

impl DrawingBackend for Raster<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<Infallible>> {
        if self.on(point) {
            self.put(point.0, point.1, color.rgb, color.alpha);
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let color = style.color();
        if let Some(end) = straight_line_end(from, to, style) {
            // As `BitMapBackend`, but for an opaque vertical line, which has both ends whichever way it runs.
            if color.alpha >= 1.0 {
                if from.1 == to.1 {
                    self.fill_rect(from, end, color.rgb);
                } else {
                    let (x, (y0, y1)) = (from.0, (from.1.min(to.1), from.1.max(to.1)));
                    self.fill_rect((x, y0), (x + 1, y1 + 1), color.rgb);
                }
            } else {
                self.blend_rect(from, end, color.rgb, color.alpha);
            }
            return Ok(());
        }
        rasterizer::draw_line(self, from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        if !fill {
            return rasterizer::draw_rect(self, upper_left, bottom_right, style, fill);
        }
        let color = style.color();
        if color.alpha >= 1.0 {
            self.fill_rect(upper_left, bottom_right, color.rgb);
        } else {
            self.blend_rect(upper_left, bottom_right, color.rgb, color.alpha);
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let color = style.color();
        let kept = if fill {
            kept_dot(&mut self.dots, radius, color)
        } else {
            None
        };
        let Some(dot) = kept else {
            return rasterizer::draw_circle(self, center, radius, style, fill);
        };
        let (w, h) = (self.size.0 as i32, self.size.1 as i32);
        for &(dx, dy, weight) in dot {
            let (x, y) = (center.0 + dx, center.1 + dy);
            if (0..w).contains(&x) && (0..h).contains(&y) {
                let at = (y as usize * w as usize + x as usize) * 3;
                blend_pixel(&mut self.pixels[at..at + 3], color.rgb, weight);
            }
        }
        Ok(())
    }
}

/// One of a filled dot's pixels: its place from the dot's centre and its blend's weight (out of 256).
type DotPixel = (i32, i32, u64);

/// What a filled dot's pixels depend on: its radius, colour and alpha (the bits).
type DotKey = (u32, (u8, u8, u8), u64);

/// The pixels, in the order they are drawn, that plotters' circle rasteriser blends for a filled dot of `radius` in
/// `color`, worked out once into `dots`, if every one of them is a one-byte-at-a-time blend: a translucent dot no wider
/// than [`LARGEST_KEPT_DOT`]. None otherwise (drawn as usual).
fn kept_dot(
    dots: &mut Vec<(DotKey, Option<Box<[DotPixel]>>)>,
    radius: u32,
    color: BackendColor,
) -> Option<&[DotPixel]> {
    if radius > LARGEST_KEPT_DOT || !matches!(ink(color.alpha), Ink::Blend(_)) {
        return None;
    }
    let key = (radius, color.rgb, color.alpha.to_bits());
    let found = match dots.iter().position(|(k, _)| *k == key) {
        Some(found) => found,
        None => {
            let mut record = DotRecorder::default();
            let drawn = rasterizer::draw_circle(&mut record, (0, 0), radius, &color, true).is_ok();
            dots.push((
                key,
                (drawn && !record.declined).then(|| record.pixels.into_boxed_slice()),
            ));
            dots.len() - 1
        }
    };
    dots[found].1.as_deref()
}

/// A backend that keeps the pixels a filled dot blends, as [`Raster`] would blend them, on an unbounded bitmap
/// (clipping is per pixel, so it is done when the dot is placed).
#[derive(Default)]
struct DotRecorder {
    pixels: Vec<(i32, i32, u64)>,
    /// Set when the rasteriser asks for something other than a one-byte-at-a-time blend.
    declined: bool,
}

impl DrawingBackend for DotRecorder {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        (u32::MAX, u32::MAX)
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(&mut self, (x, y): BackendCoord, color: BackendColor) -> Result<(), DrawingErrorKind<Infallible>> {
        // As [`Raster::put`]: a pixel all but opaque is painted, which is not a blend.
        match ink(color.alpha) {
            Ink::Paint => self.declined = true,
            Ink::Blend(weight) => self.pixels.push((x, y, weight)),
            Ink::Nothing => {}
        }
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let color = style.color();
        // As [`Raster::draw_line`] blends a straight line's rectangle, on rows of at most eight pixels; anything else
        // (an opaque line, a slanting one, a longer row) is declined.
        let end = straight_line_end(from, to, style).filter(|_| color.alpha < 1.0);
        let (Some(end), Some(weight)) = (end, rect_weight(color.alpha)) else {
            self.declined = true;
            return Ok(());
        };
        let (x0, y0, x1, y1) = (
            from.0.min(end.0),
            from.1.min(end.1),
            from.0.max(end.0),
            from.1.max(end.1),
        );
        if x1 - x0 > 8 {
            self.declined = true;
            return Ok(());
        }
        for y in y0..y1 {
            for x in x0..x1 {
                self.pixels.push((x, y, weight));
            }
        }
        Ok(())
    }
}
