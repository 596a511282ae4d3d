//! carecast: Monte Carlo cost-effectiveness and return-on-investment simulation of adult social care interventions.
//!
//! Data flow: scenario file → [`model::load_scenario`] (parse, check, compile) → [`engine::run`] (parallel PSA)
//! → [`analysis`] (ROI, ICER, CEAC, ...) → [`report`] (files and terminal tables).

pub mod analysis;
pub mod app;
pub mod dist;
pub mod engine;
pub mod error;
pub mod expr;
pub mod model;
pub mod report;
pub mod scenario;
pub mod schedule;
