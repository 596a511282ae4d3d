//! Axes: usable ranges, round tick steps, the ticks we choose and the coordinate that carries them to plotters.

use super::data::usable;
use super::labels::Fmt;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// The round step nearest `raw` (on a log scale): 1, 2 or 5 times a power of ten, and 2.5 where allowed (money
/// reads well in quarters, "£2.5k", but QALYs in steps of 0.0025 need four decimals). Nearest rather than
/// next-larger keeps short axes from ending up with only two ticks.
fn nice_step(raw: f64, quarters: bool) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    let m = raw / p;
    let candidates: &[f64] = if quarters {
        &[1.0, 2.0, 2.5, 5.0, 10.0]
    } else {
        &[1.0, 2.0, 5.0, 10.0]
    };
    let distance = |c: f64| (c / m).ln().abs();
    let n = candidates
        .iter()
        .copied()
        .fold(1.0, |best, c| if distance(c) < distance(best) { c } else { best });
    n * p
}

/// A usable, non-empty range: non-finite bounds give 0–1, and a point (or near-point) is padded around itself.
pub(super) fn sane(lo: f64, hi: f64) -> (f64, f64) {
    if !(usable(lo) && usable(hi)) {
        return (0.0, 1.0);
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let mid = 0.5 * (lo + hi);
    if hi - lo <= mid.abs() * 1e-6 || hi - lo < 1e-12 {
        let pad = if mid.abs() > 1e-9 { mid.abs() * 0.1 } else { 1.0 };
        return (mid - pad, mid + pad);
    }
    (lo, hi)
}

/// Widens a range by `frac` of its span on each side.
pub(super) fn padded(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let (lo, hi) = sane(lo, hi);
    let pad = (hi - lo) * frac;
    (lo - pad, hi + pad)
}

/// Minimum and maximum of the usable values, if any.
pub(super) fn extent<I: IntoIterator<Item = f64>>(values: I) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| usable(*v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// An axis: its range, the ticks we chose (plotters' own would assert on NaN and pick its own formats).
#[derive(Clone, Debug)]
pub(super) struct Axis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
    pub(super) step: f64,
    fmt: Fmt,
    min_step: f64,
}

impl Axis {
    pub(super) fn new(lo: f64, hi: f64, target: usize, fmt: Fmt) -> Axis {
        Axis::with_min_step(lo, hi, target, fmt, 0.0)
    }

    pub(super) fn with_min_step(lo: f64, hi: f64, target: usize, fmt: Fmt, min_step: f64) -> Axis {
        let (lo, hi) = sane(lo, hi);
        let quarters = matches!(fmt, Fmt::Money | Fmt::Ratio);
        let step = nice_step((hi - lo) / target.max(1) as f64, quarters).max(min_step);
        let first = (lo / step - 1e-9).ceil();
        let last = (hi / step + 1e-9).floor();
        let mut ticks = Vec::new();
        let mut k = first;
        // `sane` keeps the span at least 1e-6 of the magnitude, so this loop is short; the cap is a backstop.
        while k <= last && ticks.len() < 50 {
            let t = k * step;
            ticks.push(if t.abs() < step * 1e-9 { 0.0 } else { t });
            k += 1.0;
        }
        Axis {
            lo,
            hi,
            ticks,
            step,
            fmt,
            min_step,
        }
    }

    /// The same range with about `target` ticks.
    fn retick(&self, target: usize) -> Axis {
        Axis::with_min_step(self.lo, self.hi, target, self.fmt, self.min_step)
    }

    /// Ticks for an axis `len` pixels long whose labels must not touch: about one per `spacing` pixels, fewer
    /// while neighbouring labels would collide.
    pub(super) fn fit(&self, len: i32, spacing: i32, label_extent: impl Fn(&str) -> i32) -> Axis {
        let mut target = (len / spacing.max(1)).clamp(2, 10) as usize;
        loop {
            let a = self.retick(target);
            let gap = f64::from(len) * a.step / (a.hi - a.lo);
            let widest = a.ticks.iter().map(|t| label_extent(&a.label(*t))).max().unwrap_or(0);
            if f64::from(widest) + 16.0 <= gap || target <= 2 {
                return a;
            }
            target -= 1;
        }
    }

    pub(super) fn coord(&self) -> Ticked {
        Ticked {
            inner: (self.lo..self.hi).into(),
            ticks: self.ticks.clone(),
        }
    }

    pub(super) fn label(&self, v: f64) -> String {
        self.fmt.tick(v, self.step)
    }

    pub(super) fn contains(&self, v: f64) -> bool {
        v >= self.lo && v <= self.hi
    }
}

/// A linear f64 coordinate with our ticks. plotters' `WithKeyPoints` would do, but it loses the default value
/// formatting that the mesh requires even when every label goes through our own formatter.
#[derive(Clone)]
pub(super) struct Ticked {
    pub(super) inner: RangedCoordf64,
    pub(super) ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // No light grid lines: the bold grid at our ticks is enough and keeps the plot calm.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}
