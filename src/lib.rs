//! carecast: Monte Carlo cost-effectiveness and return-on-investment simulation of adult social care interventions.
//!
//! Data flows one way:
//!
//! ```text
//! scenario text ─ scenario::Scenario::parse ─▶ Scenario ─ model::compile_with_overrides ─▶ Model
//!   ─ simulate::run ─▶ Results ─ analysis::analyse_run ─▶ RunAnalysis ─ output::write_run ─▶ files
//! ```
//!
//! [`scenario`] reads the file format, [`model`] checks and compiles it, [`simulate`] runs the PSA in parallel,
//! [`analysis`] computes every number a user reads and [`output`] lays them out as files and terminal text.
//! [`commands`] run each command of the program on a [`commands::Context`] (thread pool, progress, output
//! directory), and [`cli`] is the command line. Everything up to [`analysis`] works without the file system:
//!
//! ```
//! use carecast::scenario::{Override, Scenario};
//! use carecast::{analysis, model, simulate};
//! use std::path::Path;
//!
//! // Scenario text from anywhere (here a bundled file); the path only names it in messages.
//! let text = std::fs::read_to_string("scenarios/reablement.toml").unwrap();
//! let scenario = Scenario::parse(Path::new("reablement.toml"), &text).unwrap();
//! // What if home care cost £120 a week?
//! let changes = [Override::parse("home_care_weekly=120").unwrap()];
//! let model = model::compile_with_overrides(&scenario, &changes).unwrap();
//! let run = model::RunSettings { iterations: 1_000, ..model.run_defaults };
//! let results = simulate::run(&model, &run, None).unwrap();
//! let analysed = analysis::analyse_run(&model, &results);
//! let c = &analysed.analysis.comparisons[0];
//! println!("{} vs {}: £{:.2} back per £1 spent", c.arm, c.comparator, c.bcr.unwrap());
//! assert_eq!(analysed.analysis.iterations, 1_000);
//! ```
//!
//! `examples/what_if.rs` runs such a what-if over several values and prints a table.

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod dist;
pub mod error;
pub mod expr;
pub mod model;
pub mod output;
pub mod scenario;
pub mod serve;
pub mod simulate;
