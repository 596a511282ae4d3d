//! The largest models carecast supports: iterations, cycles, states and cohort size.

/// Largest supported number of iterations: 10^9, which a run analysed a block at a time takes in the memory of one
/// block (a run that holds every iteration is refused well before, by the memory check).
pub const MAX_ITERATIONS: usize = 1_000_000_000;
/// Largest supported number of cycles in a horizon.
pub const MAX_CYCLES: usize = 100_000;
/// Largest supported number of states.
pub const MAX_STATES: usize = 256;
/// Largest supported cohort (counts stay exact in f64 below 2^53).
pub const MAX_COHORT: u64 = 1_000_000_000_000;

/// Longest name of a scenario, state, arm, subgroup or parameter: names make file names (`roi_<arm>.svg`, the output
/// directory), which file systems limit to 255 bytes.
pub const MAX_NAME_LENGTH: usize = 64;
