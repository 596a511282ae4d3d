//! The bitmap the PNGs are drawn on: an RGB buffer that draws exactly the pixels plotters' `BitMapBackend` draws,
//! with two of its slow paths done directly.
//!
//! Why by hand: `BitMapBackend` keeps its pixel buffer to itself, so every translucent pixel goes through a call that
//! clamps, rounds in software and slices anew. A filled band is blended one column at a time, and a plane's dots each
//! run the circle rasteriser (square roots and roundings for a few pixels); together they were about 10% of a run's
//! processor time at 10^4 iterations (`perf`, the cost-effectiveness plane's and the fan chart's bitmaps). Here a
//! column is blended in place, and a small filled dot's pixels are worked out once per radius, colour and alpha and
//! placed by translation. Every operation follows `BitMapBackend`'s arithmetic pixel for pixel (its two blends round
//! differently, and which one a pixel gets depends on where it falls in a row), which the tests check against it.

use plotters_backend::rasterizer;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, DrawingBackend, DrawingErrorKind};
use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::rc::Rc;

/// The largest dot drawn from kept pixels: its rows are at most 8 pixels long, which `BitMapBackend` blends one
/// byte at a time (longer rows are blended eight pixels at a time, with the other rounding).
const LARGEST_KEPT_DOT: u32 = 3;

/// An RGB bitmap of `size` over a borrowed buffer (three bytes a pixel, row by row), drawn as `BitMapBackend` draws.
pub(super) struct Raster<'a> {
    pixels: &'a mut [u8],
    size: (u32, u32),
}

impl<'a> Raster<'a> {
    /// A bitmap drawing on `pixels`, which holds at least `size`'s pixels.
    pub(super) fn new(pixels: &'a mut [u8], size: (u32, u32)) -> Raster<'a> {
        assert!(
            pixels.len() >= size.0 as usize * size.1 as usize * 3,
            "a bitmap's buffer holds its pixels"
        );
        Raster { pixels, size }
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
        let alpha = alpha.clamp(0.0, 1.0);
        if alpha == 0.0 {
            return;
        }
        let Some((x0, y0, x1, y1)) = self.clip(a, b) else {
            return;
        };
        let weight = (256.0 * alpha).floor() as u64;
        let colour = [rgb.0, rgb.1, rgb.2];
        let count = (x1 - x0) as usize;
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

    /// Paints or blends pixel `(x, y)`, which is on the bitmap, as `BitMapBackend`'s `draw_pixel`.
    fn put(&mut self, x: i32, y: i32, rgb: (u8, u8, u8), alpha: f64) {
        let at = self.at(x, y);
        let p = &mut self.pixels[at..at + 3];
        if alpha >= 1.0 - 1.0 / 256.0 {
            p.copy_from_slice(&[rgb.0, rgb.1, rgb.2]);
        } else if alpha > 0.0 {
            let weight = (alpha * 256.0).floor() as u64;
            blend(&mut p[0], rgb.0, weight);
            blend(&mut p[1], rgb.1, weight);
            blend(&mut p[2], rgb.2, weight);
        }
    }

    /// Whether `(x, y)` is on the bitmap.
    fn on(&self, (x, y): BackendCoord) -> bool {
        x >= 0 && y >= 0 && (x as u32) < self.size.0 && (y as u32) < self.size.1
    }
}

/// `BitMapBackend`'s blend of one byte: towards `new` by `weight`/256 of the difference, rounded towards the old value.
fn blend(old: &mut u8, new: u8, weight: u64) {
    if new > *old {
        *old += (u64::from(new - *old) * weight / 256) as u8;
    } else {
        *old -= (u64::from(*old - new) * weight / 256) as u8;
    }
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
        if (from.0 == to.0 || from.1 == to.1) && style.stroke_width() == 1 {
            // As `BitMapBackend`: the rectangle from one end to just past the other (which, for a line drawn from its
            // greater end, leaves both ends out), but an opaque vertical line has both ends whichever way it runs.
            let end = (to.0 + 1, to.1 + 1);
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
        let Some(dot) = fill.then(|| kept_dot(radius, color)).flatten() else {
            return rasterizer::draw_circle(self, center, radius, style, fill);
        };
        for &(dx, dy, weight) in dot.iter() {
            let (x, y) = (center.0 + dx, center.1 + dy);
            if self.on((x, y)) {
                let at = self.at(x, y);
                let p = &mut self.pixels[at..at + 3];
                blend(&mut p[0], color.rgb.0, weight);
                blend(&mut p[1], color.rgb.1, weight);
                blend(&mut p[2], color.rgb.2, weight);
            }
        }
        Ok(())
    }
}

/// A filled dot's pixels around its centre, in the order they are drawn, each with its blend's weight (out of 256).
type DotPixels = Rc<[(i32, i32, u64)]>;

/// What a filled dot's pixels depend on: its radius, colour and alpha (the bits).
type DotKey = (u32, (u8, u8, u8), u64);

thread_local! {
    /// Dots worked out so far on this thread (a figure's dots come in a few colours at one alpha, so a few entries);
    /// None where a dot cannot be kept.
    static DOTS: RefCell<HashMap<DotKey, Option<DotPixels>>> = RefCell::new(HashMap::new());
}

/// The pixels plotters' circle rasteriser blends for a filled dot of `radius` in `color`, if every one of them is a
/// one-byte-at-a-time blend: a translucent dot no wider than [`LARGEST_KEPT_DOT`]. None otherwise (drawn as usual).
fn kept_dot(radius: u32, color: BackendColor) -> Option<DotPixels> {
    if radius > LARGEST_KEPT_DOT || !(color.alpha > 0.0 && color.alpha < 1.0 - 1.0 / 256.0) {
        return None;
    }
    let key = (radius, color.rgb, color.alpha.to_bits());
    DOTS.with(|dots| {
        dots.borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                let mut record = DotRecorder::default();
                rasterizer::draw_circle(&mut record, (0, 0), radius, &color, true).ok()?;
                (!record.declined).then(|| record.pixels.into())
            })
            .clone()
    })
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
        if color.alpha >= 1.0 - 1.0 / 256.0 {
            self.declined = true;
        } else if color.alpha > 0.0 {
            self.pixels.push((x, y, (color.alpha * 256.0).floor() as u64));
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
        let straight = (from.0 == to.0 || from.1 == to.1) && style.stroke_width() == 1;
        // The same rectangle as [`Raster::draw_line`]'s.
        let end = (to.0 + 1, to.1 + 1);
        let (x0, y0, x1, y1) = (
            from.0.min(end.0),
            from.1.min(end.1),
            from.0.max(end.0),
            from.1.max(end.1),
        );
        // As [`Raster::blend_rect`] on rows of at most eight pixels; anything else is declined.
        if !(straight && color.alpha > 0.0 && color.alpha < 1.0) || x1 - x0 > 8 {
            self.declined = true;
            return Ok(());
        }
        let weight = (256.0 * color.alpha).floor() as u64;
        for y in y0..y1 {
            for x in x0..x1 {
                self.pixels.push((x, y, weight));
            }
        }
        Ok(())
    }
}
