//! Rendering analysed results: the run directory and its files (tables, JSON, plots, the HTML report), the outputs of
//! each command, and the terminal summaries. Nothing here computes a number a user reads or reads engine storage or
//! scenario text: it takes analysis results and model metadata and lays them out.

pub mod budget;
pub mod cba;
pub mod compare;
pub mod evppi;
pub mod figures;
pub mod files;
pub mod format;
pub mod plots;
pub mod prices;
pub mod report;
pub mod reproduction;
pub mod run;
pub mod run_shard;
pub mod samples;
pub mod sensitivity;
pub mod studies;
pub mod subgroups;
pub mod summary;
pub mod sweep;
pub mod tables;
pub mod terminal;
pub mod twoway;
pub mod workbook;

pub use files::{OutputError, RunDir};
pub use run::{write_analyse, write_run, AnalyseReport, RunReport};
pub use summary::{Provenance, Timing};
