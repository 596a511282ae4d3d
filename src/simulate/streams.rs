//! The random streams of a run: one per iteration, seeded from the run's seed and the iteration's index, and the
//! same streams eight at a time for the lane path.

use crate::dist::LaneRng;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The random stream of one iteration: a SplitMix64 mix of (seed, iteration) seeds a Xoshiro256++ generator.
pub fn iteration_rng(seed: u64, iteration: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(iteration_seed(seed, iteration))
}

/// The streams of iterations `first..first + LANES`, each the one [`iteration_rng`] gives.
pub(super) fn lane_rng(seed: u64, first: usize) -> LaneRng {
    LaneRng::seed_from_u64s(std::array::from_fn(|l| iteration_seed(seed, (first + l) as u64)))
}

/// What an iteration's generator is seeded with.
fn iteration_seed(seed: u64, iteration: u64) -> u64 {
    splitmix64(seed ^ splitmix64(iteration.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
