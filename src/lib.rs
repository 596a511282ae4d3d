//! carecast: Monte Carlo cost-effectiveness and return-on-investment simulation of adult social care interventions.
//!
//! Data flow: scenario file → [`model::load_scenario`] (parse, check, compile) → [`engine::run`] (parallel PSA)
//! → [`analysis`] (ROI, ICER, CEAC, ...) → [`report`] (files and terminal tables).
//!
//! Running a bundled scenario from code:
//!
//! ```
//! use carecast::analysis::{analyse, AnalysisOptions, PsaTable};
//! use carecast::{engine, model::load_scenario};
//!
//! let mut model = load_scenario(std::path::Path::new("scenarios/reference.toml")).unwrap().model;
//! model.settings.iterations = 200;
//! let results = engine::run(&model, None).unwrap();
//! let options = AnalysisOptions { wtp: vec![0.0, 20_000.0, 30_000.0], threshold: 30_000.0, population: None };
//! let analysis = analyse(&PsaTable::from_results(&model, &results), &options);
//! let comparison = &analysis.comparisons[0];
//! println!("{} vs {}: net savings £{:.0} per person", comparison.arm, comparison.comparator, comparison.net_savings.mean);
//! assert_eq!(results.iterations(), 200);
//! ```

pub mod analysis;
pub mod app;
pub mod dist;
pub mod engine;
pub mod error;
pub mod expr;
pub mod model;
pub mod report;
pub mod reproduce;
pub mod scenario;
pub mod schedule;
pub mod sensitivity;
pub mod sweep;
