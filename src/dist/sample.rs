//! Hand-written samplers for the hot path: Marsaglia–Tsang gamma, beta from two gammas, and [`Sampler`], a
//! distribution with its constants precomputed.
use rand::Rng;

use super::{ziggurat, Distribution};

/// Uniform draw in [0, 1) from the top 53 bits, the standard conversion.
#[inline(always)]
pub(super) fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform draw in the open interval (0, 1): safe for `ln` and for `powf` with a large exponent.
#[inline(always)]
pub(super) fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ziggurat::open_unit_from_bits(rng.next_u64())
}

/// Marsaglia–Tsang gamma (unit scale) with its constants precomputed; shapes below 1 use the u^(1/shape) boost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct GammaCore {
    /// shape − 1/3 (of shape + 1 when boosted).
    pub(super) d: f64,
    /// 1/√(9d).
    pub(super) c: f64,
    /// 1/shape, the boost exponent.
    inv_shape: f64,
    /// Whether shape < 1: Marsaglia–Tsang needs shape ≥ 1, so draw Gamma(shape + 1)·U^(1/shape).
    pub(super) boost: bool,
}

impl GammaCore {
    /// Precomputes the constants for a given shape.
    pub(super) fn new(shape: f64) -> Self {
        let boost = shape < 1.0;
        let d = if boost { shape + 1.0 } else { shape } - 1.0 / 3.0;
        Self {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape: 1.0 / shape,
            boost,
        }
    }

    /// A Gamma(max(shape, shape + 1)) draw: the rejection loop of Marsaglia & Tsang (2000).
    #[inline(always)]
    pub(super) fn core<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = ziggurat::standard_normal(rng);
        self.core_from(x, rng)
    }

    /// [`Self::core`] continued from its first normal draw `x` (the lane sampler's way back to the scalar loop).
    #[inline(always)]
    pub(super) fn core_from<R: Rng + ?Sized>(&self, mut x: f64, rng: &mut R) -> f64 {
        loop {
            let y = self.c * x;
            let v = 1.0 + y;
            if v > 0.0 {
                let v3 = v * v * v;
                let u = open_unit(rng);
                if self.squeeze_accepts(u, y, v) || self.log_test_accepts(u, x * x, v3) {
                    return self.d * v3;
                }
            }
            x = ziggurat::standard_normal(rng);
        }
    }

    /// A squeeze on Marsaglia and Tsang's test that needs no logarithm, tight for every shape.
    ///
    /// With y = c·x and v = 1 + y, the test ln u < x²/2 + d·(1 − v³ + ln v³) is ln u < 3d·g(y), where
    /// g(y) = ln(1 + y) − y + y²/2 − y³/3 = −y⁴/4 + y⁵/5 − … . From g′(y) = −y³/(1 + y): g(y) ≥ −y⁴/4 for y ≥ 0, and
    /// g(y) ≥ −y⁴/(4(1 + y)) for −1 < y < 0 (all terms negative, bounded by a geometric series). As ln u ≤ u − 1,
    /// u < 1 − ¾·d·y⁴/w (w = 1, or 1 + y below 0) implies the test. It fails for about 1 draw in 36·d (under 0.3%
    /// of draws for shapes above 10), where Marsaglia and Tsang's own squeeze, u < 1 − 0.0331·x⁴, fails for 1 in 9
    /// at any shape: so the lane sampler needs the logarithm for 1 block of 8 in 40, not 6 in 10.
    #[inline(always)]
    pub(super) fn squeeze_accepts(&self, u: f64, y: f64, v: f64) -> bool {
        let y2 = y * y;
        u < 1.0 - 0.75 * self.d * (y2 * y2) / if y < 0.0 { v } else { 1.0 }
    }

    /// The exact acceptance test, for the draws the squeeze leaves undecided.
    #[inline(always)]
    pub(super) fn log_test_accepts(&self, u: f64, x2: f64, v3: f64) -> bool {
        u.ln() < 0.5 * x2 + self.d * (1.0 - v3 + v3.ln())
    }

    /// One Gamma(shape, 1) draw split as (core, ln boost), the draw being core·exp(ln boost) (ln boost = 0 without
    /// a boost): kept apart so callers can finish on the log scale when a tiny shape would underflow the product.
    #[inline(always)]
    pub(super) fn parts<R: Rng + ?Sized>(&self, rng: &mut R) -> (f64, f64) {
        let g = self.core(rng);
        let ln_boost = if self.boost {
            open_unit(rng).ln() * self.inv_shape
        } else {
            0.0
        };
        (g, ln_boost)
    }

    /// Recombines `parts`, skipping the exponential when there is no boost.
    #[inline(always)]
    pub(super) fn join(&self, g: f64, ln_boost: f64) -> f64 {
        if self.boost {
            g * ln_boost.exp()
        } else {
            g
        }
    }

    /// A Gamma(shape, 1) draw.
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (g, ln_boost) = self.parts(rng);
        self.join(g, ln_boost)
    }
}

/// X/(X+Y) from ln X and ln Y, for draws too small to divide directly.
#[cold]
pub(super) fn ratio_from_logs(ln_x: f64, ln_y: f64) -> f64 {
    1.0 / (1.0 + (ln_y - ln_x).exp())
}

/// Beta as X/(X+Y) from two gamma draws: faster than rand_distr::Beta and exact for every shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct BetaCore {
    /// Gamma(α) constants.
    pub(super) a: GammaCore,
    /// Gamma(β) constants.
    pub(super) b: GammaCore,
}

impl BetaCore {
    /// Precomputes both gammas' constants.
    fn new(alpha: f64, beta: f64) -> Self {
        Self {
            a: GammaCore::new(alpha),
            b: GammaCore::new(beta),
        }
    }

    /// A Beta(α, β) draw.
    #[inline(always)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (gx, bx) = self.a.parts(rng);
        let (gy, by) = self.b.parts(rng);
        let (x, y) = (self.a.join(gx, bx), self.b.join(gy, by));
        let s = x + y;
        // Only tiny shapes get here below 1e-290, where the draws lose bits to underflow (or are both 0, giving
        // 0/0): finish from the logarithms of the same draws, so the result stays exact rather than redrawn.
        if s >= 1e-290 {
            x / s
        } else {
            ratio_from_logs(gx.ln() + bx, gy.ln() + by)
        }
    }
}

/// Per-variant precomputed constants.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// The value itself.
    Fixed(f64),
    /// low + width·U.
    Uniform { low: f64, width: f64 },
    /// mean + sd·Z.
    Normal { mean: f64, sd: f64 },
    /// exp(meanlog + sdlog·Z).
    LogNormal { meanlog: f64, sdlog: f64 },
    /// scale·Gamma(shape, 1).
    Gamma { g: GammaCore, scale: f64 },
    /// X/(X+Y).
    Beta(BetaCore),
    /// Inversion: `split` is the CDF at the mode; `left`/`right` are the squared-root scale factors.
    Triangular {
        min: f64,
        max: f64,
        split: f64,
        left: f64,
        right: f64,
    },
    /// min + range·Beta.
    Pert { beta: BetaCore, min: f64, range: f64 },
}

/// A distribution ready to sample: constants precomputed, no allocation, no branches beyond the variant match.
#[derive(Debug, Clone, Copy)]
pub struct Sampler {
    /// What to draw and with which constants.
    pub(super) kind: Kind,
}

impl Sampler {
    /// One draw; a fixed value consumes no randomness.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // By reference: matching by value copied the beta's constants (64 bytes) out on every draw.
        match &self.kind {
            &Kind::Fixed(v) => v,
            &Kind::Uniform { low, width } => low + width * unit(rng),
            &Kind::Normal { mean, sd } => {
                let z = ziggurat::standard_normal(rng);
                mean + sd * z
            }
            &Kind::LogNormal { meanlog, sdlog } => {
                let z = ziggurat::standard_normal(rng);
                (meanlog + sdlog * z).exp()
            }
            Kind::Gamma { g, scale } => scale * g.sample(rng),
            Kind::Beta(b) => b.sample(rng),
            &Kind::Triangular {
                min,
                max,
                split,
                left,
                right,
            } => {
                let u = unit(rng);
                if u < split {
                    min + (u * left).sqrt()
                } else {
                    max - ((1.0 - u) * right).sqrt()
                }
            }
            &Kind::Pert { ref beta, min, range } => min + range * beta.sample(rng),
        }
    }
}

impl Distribution {
    /// A sampler with this distribution's constants precomputed, for the hot path.
    pub fn sampler(&self) -> Sampler {
        let kind = match *self {
            Self::Fixed(v) => Kind::Fixed(v),
            Self::Uniform { low, high } => Kind::Uniform { low, width: high - low },
            Self::Normal { mean, sd } => Kind::Normal { mean, sd },
            Self::LogNormal { meanlog, sdlog } => Kind::LogNormal { meanlog, sdlog },
            Self::Gamma { shape, scale } => Kind::Gamma {
                g: GammaCore::new(shape),
                scale,
            },
            Self::Beta { alpha, beta } => Kind::Beta(BetaCore::new(alpha, beta)),
            Self::Triangular { min, mode, max } => {
                let range = max - min;
                Kind::Triangular {
                    min,
                    max,
                    split: (mode - min) / range,
                    left: range * (mode - min),
                    right: range * (max - mode),
                }
            }
            Self::Pert { .. } => {
                let (a, b, min, range) = self.pert_beta();
                Kind::Pert {
                    beta: BetaCore::new(a, b),
                    min,
                    range,
                }
            }
        };
        Sampler { kind }
    }
}
