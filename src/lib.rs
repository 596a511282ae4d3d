//! carecast: Monte Carlo cost-effectiveness and return-on-investment simulation of adult social care interventions.
//!
//! Data flow: scenario file → [`model::load`] (parse, check, compile) → [`simulate::run`] (parallel PSA)
//! → [`analysis`] (ROI, ICER, CEAC, ...) → [`report`] (files and terminal tables).
//!
//! Running a bundled scenario from code:
//!
//! ```
//! use carecast::analysis::{analyse, AnalysisOptions, PsaTable};
//! use carecast::{model::load, simulate};
//!
//! let model = load(std::path::Path::new("scenarios/reference.toml")).unwrap().model;
//! let run = carecast::model::RunSettings { iterations: 200, ..model.run_defaults };
//! let results = simulate::run(&model, &run, None).unwrap();
//! let options = AnalysisOptions { wtp: vec![0.0, 20_000.0, 30_000.0], threshold: 30_000.0, population: None };
//! let analysis = analyse(&PsaTable::from_results(&model, &results), &options);
//! let comparison = &analysis.comparisons[0];
//! println!("{} vs {}: net savings £{:.0} per person", comparison.arm, comparison.comparator, comparison.net_savings.mean);
//! assert_eq!(results.iterations(), 200);
//! ```

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod dist;
pub mod error;
pub mod expr;
pub mod model;
pub mod output;
pub mod scenario;
pub mod simulate;
