//! Simulation: the parallel PSA engine, the per-iteration kernel, and the results they produce.

mod engine;
pub mod kernel;

pub use engine::*;
