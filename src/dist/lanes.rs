//! Sampling [`LANES`] iterations' parameters at once: each iteration keeps its own Xoshiro256++ stream, the streams
//! are stored word by word so that one step of all of them is a handful of vector instructions, and each sampler
//! runs its common path (the ziggurat's inner rectangles, the gamma sampler's squeeze) on all lanes together.
//!
//! Every lane gets exactly the bits the scalar sampler would give its iteration: a lane leaves the common path at
//! the point where the scalar sampler would branch (a ziggurat point outside the inner rectangle, a gamma draw the
//! squeeze does not accept) and finishes through the scalar code on its own stream ([`LaneRng::lane`]). These
//! exits are rare (about 1% of a lane's draws each), so they are cold code, not masked vector code.
//!
//! Why by hand: no crate keeps several generators' states interleaved, and the samplers must match the scalar ones
//! bit for bit, which rules out a vector maths library.
use std::convert::Infallible;

use rand::rand_core::utils;
use rand::SeedableRng as _;
use rand::{Rng, TryRng};
use rand_xoshiro::SplitMix64;

use super::ziggurat::{layer_point, open_unit_from_bits, standard_normal_from};
use super::{ratio_from_logs, BetaCore, GammaCore, Kind, Sampler};

/// Iterations the cohort fast path advances together, one per lane of every array it works on. A single iteration
/// of a small model has too few states to fill vector registers; the same operation on 8 iterations does, so every
/// elementwise loop over lanes compiles to vector instructions.
pub const LANES: usize = 8;

/// Xoshiro256++ generators for [`LANES`] iterations, stored as four state words × lanes.
///
/// Aligned to a cache line, so that each state word's vector load and store never straddles two: where the generator
/// lands in its caller's stack frame changes from build to build, and a build that put it off a 32-byte boundary
/// sampled the reference workload's parameters a fifth slower with the same instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[repr(align(64))]
pub struct LaneRng {
    /// `state[w][l]` is word w of lane l's generator.
    state: [[u64; LANES]; 4],
    /// The rotations' shift amounts: 23, 41, 45 and 19, read at run time (see [`LaneRng::next_lanes`]).
    shifts: [u64; 4],
}

impl LaneRng {
    /// Lane l starts as `Xoshiro256PlusPlus::seed_from_u64(seeds[l])` does: four SplitMix64 words.
    pub fn seed_from_u64s(seeds: [u64; LANES]) -> Self {
        let mut state = [[0; LANES]; 4];
        for (l, &seed) in seeds.iter().enumerate() {
            let mut words = splitmix_words(seed);
            if words == [0; 4] {
                // rand_xoshiro's fallback for an all-zero seed, which is SplitMix64 seeded with 0.
                words = splitmix_words(0);
            }
            for (w, word) in words.into_iter().enumerate() {
                state[w][l] = word;
            }
        }
        // Hidden from the optimiser: with the amounts known, it turns each pair of shifts back into a rotation and
        // does every lane's in a scalar register (AVX2 has no 64-bit rotation), taking ~2.5x the instructions.
        let shifts = std::hint::black_box([23, 64 - 23, 45, 64 - 45]);
        Self { state, shifts }
    }

    /// The next 64 bits of every lane's stream.
    #[inline(always)]
    pub fn next_lanes(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.state;
        let [a_left, a_right, b_left, b_right] = self.shifts;
        let mut out = [0; LANES];
        for l in 0..LANES {
            let sum = s0[l].wrapping_add(s3[l]);
            out[l] = ((sum << a_left) | (sum >> a_right)).wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = (s3[l] << b_left) | (s3[l] >> b_right);
        }
        out
    }

    /// Lane `lane`'s stream on its own, as a scalar generator.
    pub fn lane(&mut self, lane: usize) -> Lane<'_> {
        assert!(lane < LANES, "lane {lane} of {LANES}");
        Lane { rng: self, lane }
    }
}

/// The four words `Xoshiro256PlusPlus::seed_from_u64` fills its state with.
fn splitmix_words(seed: u64) -> [u64; 4] {
    let mut sm = SplitMix64::seed_from_u64(seed);
    std::array::from_fn(|_| sm.next_u64())
}

/// One lane of a [`LaneRng`], stepping only that lane's generator.
#[derive(Debug)]
pub struct Lane<'a> {
    rng: &'a mut LaneRng,
    lane: usize,
}

impl TryRng for Lane<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        // As rand_xoshiro does: the upper bits, since the lowest have linear dependencies.
        Ok((self.try_next_u64()? >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        // The step of `LaneRng::next_lanes` for one lane, written again on purpose: that loop turns into vector code
        // only in its own shape (through a helper shared with this, sampling took 20–30% more instructions). The
        // tests check both against rand_xoshiro.
        let l = self.lane;
        let [s0, s1, s2, s3] = &mut self.rng.state;
        let out = s0[l].wrapping_add(s3[l]).rotate_left(23).wrapping_add(s0[l]);
        let t = s1[l] << 17;
        s2[l] ^= s0[l];
        s3[l] ^= s1[l];
        s1[l] ^= s2[l];
        s0[l] ^= s3[l];
        s2[l] ^= t;
        s3[l] = s3[l].rotate_left(45);
        Ok(out)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        utils::fill_bytes_via_next_word(dest, || self.try_next_u64())
    }
}

/// One standard normal draw per lane.
#[inline(always)]
fn normal_lanes(rng: &mut LaneRng) -> [f64; LANES] {
    let bits = rng.next_lanes();
    let mut x = [0.0; LANES];
    let mut all_inner = true;
    for l in 0..LANES {
        let (_, xl, inner) = layer_point(bits[l]);
        x[l] = xl;
        all_inner &= inner;
    }
    if !all_inner {
        finish_outer_lanes(bits, &mut x, rng);
    }
    x
}

/// The lanes whose first point fell outside its layer's inner rectangle, finished by the scalar ziggurat.
#[cold]
#[inline(never)]
fn finish_outer_lanes(bits: [u64; LANES], x: &mut [f64; LANES], rng: &mut LaneRng) {
    for l in 0..LANES {
        if !layer_point(bits[l]).2 {
            x[l] = standard_normal_from(bits[l], &mut rng.lane(l));
        }
    }
}

impl GammaCore {
    /// [`GammaCore::core`] on every lane; only for shapes of at least 1 (no boost).
    #[inline(always)]
    fn core_lanes(&self, rng: &mut LaneRng) -> [f64; LANES] {
        let x = normal_lanes(rng);
        let y: [f64; LANES] = std::array::from_fn(|l| self.c * x[l]);
        let v = y.map(|y| 1.0 + y);
        if v.iter().any(|&v| v <= 0.0) {
            // The scalar loop draws a new normal here rather than a uniform: let every lane finish that way.
            return self.core_from_lanes(x, rng);
        }
        let u_bits = rng.next_lanes();
        let v3 = v.map(|v| v * v * v);
        let mut all_accepted = true;
        for l in 0..LANES {
            all_accepted &= self.squeeze_accepts(open_unit_from_bits(u_bits[l]), y[l], v[l]);
        }
        let mut out = v3.map(|v| self.d * v);
        if !all_accepted {
            self.finish_unsqueezed_lanes(x, u_bits, (y, v, v3), &mut out, rng);
        }
        out
    }

    /// Every lane's draw continued by the scalar loop from its first normal.
    #[cold]
    #[inline(never)]
    fn core_from_lanes(&self, x: [f64; LANES], rng: &mut LaneRng) -> [f64; LANES] {
        std::array::from_fn(|l| self.core_from(x[l], &mut rng.lane(l)))
    }

    /// The lanes the squeeze did not accept: the exact test, and if that rejects too, a fresh scalar draw.
    #[cold]
    #[inline(never)]
    fn finish_unsqueezed_lanes(
        &self,
        x: [f64; LANES],
        u_bits: [u64; LANES],
        (y, v, v3): ([f64; LANES], [f64; LANES], [f64; LANES]),
        out: &mut [f64; LANES],
        rng: &mut LaneRng,
    ) {
        for l in 0..LANES {
            let u = open_unit_from_bits(u_bits[l]);
            if !self.squeeze_accepts(u, y[l], v[l]) && !self.log_test_accepts(u, x[l] * x[l], v3[l]) {
                out[l] = self.core(&mut rng.lane(l));
            }
        }
    }
}

impl BetaCore {
    /// [`BetaCore::sample`] on every lane; only when neither shape is below 1 (no boost).
    #[inline(always)]
    fn sample_lanes(&self, rng: &mut LaneRng) -> [f64; LANES] {
        let x = self.a.core_lanes(rng);
        let y = self.b.core_lanes(rng);
        // A plain loop: `std::array::from_fn` here was left as a call, costing 75 instructions a block.
        let mut out = [0.0; LANES];
        for l in 0..LANES {
            let s = x[l] + y[l];
            // As the scalar sampler does (its ln boosts are 0 here).
            out[l] = if s >= 1e-290 {
                x[l] / s
            } else {
                ratio_from_logs(x[l].ln() + 0.0, y[l].ln() + 0.0)
            };
        }
        out
    }
}

impl Sampler {
    /// One draw per lane, lane l's from lane l's stream, each the value [`Sampler::sample`] gives on that stream.
    #[inline(always)]
    pub fn sample_lanes(&self, rng: &mut LaneRng) -> [f64; LANES] {
        match &self.kind {
            &Kind::Fixed(v) => [v; LANES],
            &Kind::Normal { mean, sd } => normal_lanes(rng).map(|z| mean + sd * z),
            &Kind::LogNormal { meanlog, sdlog } => normal_lanes(rng).map(|z| (meanlog + sdlog * z).exp()),
            Kind::Gamma { g, scale } if !g.boost => g.core_lanes(rng).map(|x| scale * x),
            Kind::Beta(b) if !b.a.boost && !b.b.boost => b.sample_lanes(rng),
            Kind::Pert { beta, min, range } if !beta.a.boost && !beta.b.boost => {
                beta.sample_lanes(rng).map(|x| min + range * x)
            }
            // Uniform and triangular draws are cheap already; boosted shapes take a logarithm and an exponential.
            _ => std::array::from_fn(|l| self.sample(&mut rng.lane(l))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Distribution;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn seeds(first: u64) -> [u64; LANES] {
        std::array::from_fn(|l| first.wrapping_mul(0x9E37_79B9).wrapping_add(l as u64 * 7919))
    }

    #[test]
    fn each_lane_is_the_xoshiro_stream_of_its_seed() {
        for first in [0, 1, 42, u64::MAX / 3] {
            let seeds = seeds(first);
            let mut lanes = LaneRng::seed_from_u64s(seeds);
            let mut scalar: Vec<Xoshiro256PlusPlus> =
                seeds.iter().map(|&s| Xoshiro256PlusPlus::seed_from_u64(s)).collect();
            for step in 0..100 {
                let got = if step % 3 == 0 {
                    lanes.next_lanes()
                } else {
                    std::array::from_fn(|l| lanes.lane(l).next_u64())
                };
                for l in 0..LANES {
                    assert_eq!(got[l], scalar[l].next_u64(), "seed {}, step {step}, lane {l}", seeds[l]);
                }
            }
        }
    }

    #[test]
    fn a_seed_whose_words_are_all_zero_falls_back_as_rand_xoshiro_does() {
        // No u64 seed is known to give four zero SplitMix64 words, so check the fallback itself: rand_xoshiro
        // replaces an all-zero state with SplitMix64(0)'s four words, which `seed_from_u64s` also uses, and which
        // are what seed 0 gives.
        let mut fallback = Xoshiro256PlusPlus::from_seed([0; 32]);
        let mut lanes = LaneRng::seed_from_u64s([0; LANES]);
        for _ in 0..10 {
            assert_eq!(lanes.lane(0).next_u64(), fallback.next_u64());
        }
    }

    /// Draws many blocks through both samplers and compares every value bit for bit.
    fn assert_lanes_match_scalar(d: &Distribution, blocks: u64) {
        let sampler = d.sampler();
        for block in 0..blocks {
            let seeds = seeds(block);
            let mut lanes = LaneRng::seed_from_u64s(seeds);
            let mut scalar: Vec<Xoshiro256PlusPlus> =
                seeds.iter().map(|&s| Xoshiro256PlusPlus::seed_from_u64(s)).collect();
            // Several parameters in a row, as an iteration draws them, so a lane's later draws depend on how many
            // numbers its earlier ones consumed.
            for draw in 0..4 {
                let got = sampler.sample_lanes(&mut lanes);
                for l in 0..LANES {
                    let want = sampler.sample(&mut scalar[l]);
                    assert_eq!(
                        got[l].to_bits(),
                        want.to_bits(),
                        "{d}: block {block}, draw {draw}, lane {l}"
                    );
                }
            }
            for (l, rng) in scalar.iter_mut().enumerate() {
                assert_eq!(
                    lanes.lane(l).next_u64(),
                    rng.next_u64(),
                    "{d}: streams apart after block {block}"
                );
            }
        }
    }

    #[test]
    fn every_family_on_lanes_draws_what_the_scalar_sampler_draws() {
        let families = [
            Distribution::fixed(2.5).unwrap(),
            Distribution::normal(10.0, 2.0).unwrap(),
            Distribution::lognormal(-0.2, 0.3).unwrap(),
            Distribution::gamma(4.0, 250.0).unwrap(),
            // Shape 1: c = 1/√6, so v ≤ 0 (x < −2.45) in ~0.7% of draws, which takes the scalar exit.
            Distribution::gamma(1.0, 3.0).unwrap(),
            // Shape below 1: the boosted sampler, lane by lane.
            Distribution::gamma(0.4, 1.0).unwrap(),
            Distribution::beta(153.27, 48.40).unwrap(),
            Distribution::beta(1.0, 1.2).unwrap(),
            Distribution::beta(0.5, 3.0).unwrap(),
            Distribution::uniform(1.0, 3.0).unwrap(),
            Distribution::triangular(0.0, 1.0, 4.0).unwrap(),
            Distribution::pert(0.0, 1.0, 4.0, 4.0).unwrap(),
        ];
        for d in &families {
            assert_lanes_match_scalar(d, 3_000);
        }
    }
}
