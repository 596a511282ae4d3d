//! Standard normal draws by the ziggurat method (Marsaglia & Tsang 2000, with Doornik's 2005 fix of drawing the
//! layer index and the fraction from separate bits), with carecast's own tables.
//!
//! Why not `rand_distr::StandardNormal`: the engine draws eight iterations' parameters at once in vector registers
//! (see [`super::lanes`]), and each lane must reproduce the scalar draw bit for bit; rand_distr's tables are private
//! to the crate, so the same method is written here with tables of our own, used by both the scalar and the lane
//! sampler.
//!
//! The curve is f(x) = exp(−x²/2) on x ≥ 0, cut into [`LAYERS`] layers of equal area `v`. Layer 0 is the rectangle
//! [0, r] × [0, f(r)] plus the tail beyond r; layer k ≥ 1 is the rectangle [0, x_k] × [f(x_k), f(x_{k+1})], with
//! x_1 = r and x_256 = 0. A draw picks a layer and a signed point along its width; most points fall where the
//! rectangle lies wholly under the curve and are returned at once.
use rand::Rng;

use super::ziggurat_tables::{EDGE, HEIGHT, TAIL_START};

/// Number of layers: the low 8 bits of a 64-bit draw pick one.
pub const LAYERS: usize = 256;

/// Uniform on (0, 1) from the top 52 bits: (2m + 1)·2⁻⁵³, exactly, with bit operations and one subtraction only,
/// so that the lane sampler computes the same value in vector registers (AVX2 has no 64-bit integer conversion).
#[inline(always)]
pub fn open_unit_from_bits(bits: u64) -> f64 {
    // 1 + m·2⁻⁵² minus (1 − 2⁻⁵³): both operands lie in [0.5, 2], so the subtraction is exact (Sterbenz).
    f64::from_bits(0x3FF0_0000_0000_0000 | (bits >> 12)) - (1.0 - f64::EPSILON / 2.0)
}

/// Uniform on [−1, 1) from the top 52 bits: m·2⁻⁵¹ − 1, exactly.
#[inline(always)]
fn signed_unit_from_bits(bits: u64) -> f64 {
    f64::from_bits(0x4000_0000_0000_0000 | (bits >> 12)) - 3.0
}

/// The point a 64-bit draw picks: its layer and the signed position along the layer's width, and whether that
/// position lies where the layer is wholly under the curve (about 98.8% of draws), in which case it is the draw.
#[inline(always)]
pub fn layer_point(bits: u64) -> (usize, f64, bool) {
    let layer = (bits & 0xFF) as usize;
    let x = signed_unit_from_bits(bits) * EDGE[layer];
    (layer, x, x.abs() < EDGE[layer + 1])
}

/// The rest of a draw whose point fell outside the inner rectangle: the tail beyond r for the bottom layer, else
/// the wedge test against the curve. `None` means the point was rejected and a new one is needed.
#[cold]
#[inline(never)]
pub fn finish_outer<R: Rng + ?Sized>(layer: usize, x: f64, rng: &mut R) -> Option<f64> {
    if layer == 0 {
        // Marsaglia's (1964) tail method: r + a with a ~ Exp(r), kept with probability exp(−a²/2).
        loop {
            let a = -open_unit_from_bits(rng.next_u64()).ln() / TAIL_START;
            let b = -open_unit_from_bits(rng.next_u64()).ln();
            if b + b >= a * a {
                return Some(if x < 0.0 { -(TAIL_START + a) } else { TAIL_START + a });
            }
        }
    }
    let (low, high) = (HEIGHT[layer], HEIGHT[layer + 1]);
    let y = low + open_unit_from_bits(rng.next_u64()) * (high - low);
    (y < (-0.5 * x * x).exp()).then_some(x)
}

/// A standard normal draw that continues from a first 64-bit draw `bits` already taken from `rng`.
#[inline(always)]
pub fn standard_normal_from<R: Rng + ?Sized>(mut bits: u64, rng: &mut R) -> f64 {
    loop {
        let (layer, x, inner) = layer_point(bits);
        if inner {
            return x;
        }
        if let Some(x) = finish_outer(layer, x, rng) {
            return x;
        }
        bits = rng.next_u64();
    }
}

/// A standard normal draw.
#[inline(always)]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let bits = rng.next_u64();
    standard_normal_from(bits, rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use statrs::distribution::{ContinuousCDF, Normal};

    /// f(x) = exp(−x²/2).
    fn curve(x: f64) -> f64 {
        (-0.5 * x * x).exp()
    }

    /// Area under f beyond r: √(π/2)·erfc(r/√2).
    fn tail_area(r: f64) -> f64 {
        (std::f64::consts::PI / 2.0).sqrt() * statrs::function::erf::erfc(r / std::f64::consts::SQRT_2)
    }

    /// The layer edges x_1..x_255 for a given r, and how far the top layer misses closing at height 1 (positive
    /// when r is too small: the layers are too thick and reach the top early).
    fn edges_for(r: f64) -> (Vec<f64>, f64) {
        let v = r * curve(r) + tail_area(r);
        let mut x = vec![r];
        for _ in 1..LAYERS - 1 {
            let last = *x.last().unwrap();
            let y = v / last + curve(last);
            if y >= 1.0 {
                return (x, 1.0);
            }
            x.push((-2.0 * y.ln()).sqrt());
        }
        let last = *x.last().unwrap();
        (x, v / last + curve(last) - 1.0)
    }

    /// The tables, solved afresh: r by bisection so that the top layer closes exactly at f = 1.
    fn solve_tables() -> (f64, Vec<f64>, Vec<f64>) {
        let (mut lo, mut hi) = (3.0, 4.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if edges_for(mid).1 > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let r = hi;
        let v = r * curve(r) + tail_area(r);
        let (x, _) = edges_for(r);
        let mut edge = vec![v / curve(r)];
        edge.extend(&x);
        edge.push(0.0);
        let mut height = vec![0.0];
        height.extend(x.iter().map(|&x| curve(x)));
        height.push(1.0);
        (r, edge, height)
    }

    /// Prints the tables as Rust source: `cargo test --release --lib ziggurat -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints src/dist/ziggurat_tables.rs; run by hand to regenerate it"]
    fn print_tables() {
        let (r, edge, height) = solve_tables();
        println!("pub const TAIL_START: f64 = {r:?};");
        println!("pub const EDGE: [f64; LAYERS + 1] = {edge:?};");
        println!("pub const HEIGHT: [f64; LAYERS + 1] = {height:?};");
    }

    #[test]
    fn the_tables_are_the_solved_ones() {
        let (r, edge, height) = solve_tables();
        assert!((r - TAIL_START).abs() < 1e-14, "r: solved {r}, table {TAIL_START}");
        // Marsaglia & Tsang (2000) publish r = 3.6541528853610088 for 256 layers. Ours is 1.6e-12 larger: over
        // the last 1e-12 of r, the top layer's closure changes by less than 255 rounded steps of the recursion.
        assert!((TAIL_START - 3.654_152_885_361_009).abs() < 1e-11);
        for k in 0..=LAYERS {
            assert!((edge[k] - EDGE[k]).abs() <= 1e-14 * edge[k].max(1.0), "edge {k}");
            assert!((height[k] - HEIGHT[k]).abs() <= 1e-14, "height {k}");
        }
    }

    #[test]
    fn every_layer_has_the_same_area() {
        let v = TAIL_START * curve(TAIL_START) + tail_area(TAIL_START);
        // Layer 0: its virtual width times the base height is the rectangle plus the tail.
        assert!((EDGE[0] * curve(TAIL_START) - v).abs() < 1e-15);
        assert_eq!(EDGE[1], TAIL_START);
        assert_eq!((EDGE[LAYERS], HEIGHT[LAYERS]), (0.0, 1.0));
        for k in 1..LAYERS {
            let area = EDGE[k] * (HEIGHT[k + 1] - HEIGHT[k]);
            assert!((area - v).abs() < 1e-12 * v, "layer {k}: area {area}, want {v}");
            assert!(EDGE[k + 1] < EDGE[k] && (HEIGHT[k] - curve(EDGE[k])).abs() < 1e-15);
        }
    }

    #[test]
    fn the_uniform_conversions_are_exact_and_in_range() {
        assert_eq!(open_unit_from_bits(0), f64::EPSILON / 2.0);
        assert_eq!(open_unit_from_bits(u64::MAX), 1.0 - f64::EPSILON / 2.0);
        assert_eq!(open_unit_from_bits(1 << 12), 3.0 * f64::EPSILON / 2.0);
        assert_eq!(signed_unit_from_bits(0), -1.0);
        assert_eq!(signed_unit_from_bits(1 << 63), 0.0);
        assert_eq!(signed_unit_from_bits(u64::MAX), 1.0 - 2.0 * f64::EPSILON);
        for bits in [0x0123_4567_89AB_CDEF_u64, 0xFEDC_BA98_7654_3210, 0x8000_0000_0000_1000] {
            let m = (bits >> 12) as f64;
            assert_eq!(open_unit_from_bits(bits), (2.0 * m + 1.0) * 2f64.powi(-53));
            assert_eq!(signed_unit_from_bits(bits), m * 2f64.powi(-51) - 1.0);
        }
    }

    /// The largest distance between the empirical CDF of `xs` (sorted) and the normal CDF (Kolmogorov–Smirnov).
    fn ks_distance(xs: &[f64]) -> f64 {
        let n = xs.len() as f64;
        let normal = Normal::standard();
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let c = normal.cdf(x);
                (c - i as f64 / n).abs().max(((i + 1) as f64 / n - c).abs())
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn draws_follow_the_standard_normal_in_the_body_and_the_tails() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 2_000_000;
        let mut xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let nf = n as f64;
        let mean = xs.iter().sum::<f64>() / nf;
        let var = xs.iter().map(|x| x * x).sum::<f64>() / nf - mean * mean;
        let kurtosis = xs.iter().map(|x| x.powi(4)).sum::<f64>() / nf;
        // Standard errors: mean 1/√n, variance √(2/n), fourth moment √(96/n); 5 of each.
        assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "variance {var}");
        assert!(
            (kurtosis - 3.0).abs() < 5.0 * (96.0 / nf).sqrt(),
            "fourth moment {kurtosis}"
        );
        // Tails: the share beyond r comes only from the tail method, beyond 2.5 from wedges and tail together.
        for cut in [1.0, 2.5, TAIL_START, 4.5] {
            let want = 2.0 * Normal::standard().sf(cut);
            let got = xs.iter().filter(|x| x.abs() > cut).count() as f64 / nf;
            let se = (want * (1.0 - want) / nf).sqrt();
            assert!((got - want).abs() < 5.0 * se, "P(|Z| > {cut}): got {got}, want {want}");
        }
        // Kolmogorov–Smirnov: the 0.1% critical value is 1.95/√n.
        xs.sort_by(f64::total_cmp);
        let d = ks_distance(&xs);
        assert!(d < 1.95 / nf.sqrt(), "KS distance {d}");
    }

    #[test]
    fn the_top_layer_which_is_all_wedge_gives_the_right_mass_near_zero() {
        // Layer 255 has no inner rectangle (its inner edge is 0), so every point in it goes through the wedge test:
        // check P(|Z| < x_255), the band it covers, against the normal CDF.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 1_000_000;
        let top = EDGE[LAYERS - 1];
        let got = (0..n).filter(|_| standard_normal(&mut rng).abs() < top).count() as f64 / n as f64;
        let want = 2.0 * Normal::standard().cdf(top) - 1.0;
        let se = (want * (1.0 - want) / n as f64).sqrt();
        assert!((got - want).abs() < 5.0 * se, "P(|Z| < {top}): got {got}, want {want}");
    }

    #[test]
    fn the_tail_method_draws_the_normal_beyond_r() {
        // Only about 1 draw in 4,000 reaches the tail, too few in the test above to see its shape: draw from it
        // directly and compare P(|Z| > r + t | |Z| > r) = sf(r + t) / sf(r) with the normal's.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
        let n = 200_000;
        let tail: Vec<f64> = (0..n)
            .map(|i| {
                let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
                let x = finish_outer(0, sign, &mut rng).expect("the tail always returns a draw");
                assert!(x.abs() > TAIL_START && x.signum() == sign, "{x}");
                x.abs()
            })
            .collect();
        let normal = Normal::standard();
        for t in [0.05, 0.2, 0.5, 1.0] {
            let want = normal.sf(TAIL_START + t) / normal.sf(TAIL_START);
            let got = tail.iter().filter(|&&x| x > TAIL_START + t).count() as f64 / n as f64;
            let se = (want * (1.0 - want) / n as f64).sqrt();
            assert!((got - want).abs() < 5.0 * se, "beyond r + {t}: got {got}, want {want}");
        }
    }

    #[test]
    fn continuing_from_a_first_draw_is_the_same_draw() {
        let mut a = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut b = a.clone();
        for _ in 0..10_000 {
            let first = b.next_u64();
            assert_eq!(
                standard_normal(&mut a).to_bits(),
                standard_normal_from(first, &mut b).to_bits()
            );
        }
    }
}
