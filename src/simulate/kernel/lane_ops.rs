//! Values on lanes (one per iteration of a block) and the elementwise operations of the lane path.

use super::LANES;

/// One value per lane (per iteration of a block).
pub type Lanes = [f64; LANES];

pub(super) const ZERO: Lanes = [0.0; LANES];

// Elementwise operations on whole lane arrays. Written over fixed-size arrays by value, they compile to vector
// instructions; the same loops as zipped slice iterators were left scalar by the optimiser.

/// acc += a · b, lane by lane (a multiply then an add, never fused, so results match the scalar path).
#[inline(always)]
pub(super) fn add_product(acc: &mut Lanes, a: &Lanes, b: &Lanes) {
    let (mut x, a, b) = (*acc, *a, *b);
    for l in 0..LANES {
        x[l] += a[l] * b[l];
    }
    *acc = x;
}

/// acc += w · a, lane by lane.
#[inline(always)]
pub(super) fn add_scaled(acc: &mut Lanes, w: f64, a: &Lanes) {
    let (mut x, a) = (*acc, *a);
    for l in 0..LANES {
        x[l] += w * a[l];
    }
    *acc = x;
}

/// w · a, lane by lane.
#[inline(always)]
pub(super) fn scaled(w: f64, a: &Lanes) -> Lanes {
    let mut x = *a;
    for v in &mut x {
        *v *= w;
    }
    x
}

/// acc += a, lane by lane.
#[inline(always)]
pub(crate) fn add_lanes(acc: &mut Lanes, a: &Lanes) {
    let (mut x, a) = (*acc, *a);
    for l in 0..LANES {
        x[l] += a[l];
    }
    *acc = x;
}
