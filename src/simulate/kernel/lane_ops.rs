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

/// A buffer of lane values, each starting on a 64-byte boundary (a cache line), read as a slice of [`Lanes`]. A
/// `Vec<Lanes>` is only as aligned as an `f64` is, so that most of its values straddled two cache lines, and every
/// AVX-512 load or store of one (and half of the AVX2 ones) touched both.
pub(super) struct AlignedLanes {
    numbers: Vec<f64>,
    /// Where the first value starts in `numbers`, and how many values there are.
    start: usize,
    len: usize,
}

impl AlignedLanes {
    /// `len` values of zero.
    pub(super) fn zeros(len: usize) -> Self {
        let numbers = vec![0.0; len * LANES + LANES - 1];
        // An f64 pointer is 8-byte aligned, so a 64-byte boundary is at most 7 numbers on.
        let start = numbers.as_ptr().align_offset(64).min(LANES - 1);
        AlignedLanes { numbers, start, len }
    }
}

impl std::ops::Deref for AlignedLanes {
    type Target = [Lanes];
    fn deref(&self) -> &[Lanes] {
        self.numbers[self.start..self.start + self.len * LANES]
            .as_chunks::<LANES>()
            .0
    }
}

impl std::ops::DerefMut for AlignedLanes {
    fn deref_mut(&mut self) -> &mut [Lanes] {
        self.numbers[self.start..self.start + self.len * LANES]
            .as_chunks_mut::<LANES>()
            .0
    }
}
