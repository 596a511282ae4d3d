//! `carecast analyse`: the analyses of a run applied to another model's PSA output, read from CSV.

use super::{Context, Error};
use crate::analysis::csv_input::{parse_psa_csv, CsvOptions};
use crate::analysis::plot_data::plot_data;
use crate::analysis::{analyse, Analysis, AnalysisOptions, PsaTable};
use crate::error::InputError;
use crate::output::format::file_part;
use crate::output::{self, AnalyseReport};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A finished `carecast analyse`.
#[derive(Debug)]
pub struct AnalyseOutcome {
    pub table: PsaTable,
    pub analysis: Analysis,
    pub dir: PathBuf,
}

/// Analyses the PSA sample in the CSV file `path` and writes the same tables, plots and report as a run.
pub fn analyse_file(
    ctx: &Context,
    path: &Path,
    csv: &CsvOptions,
    options: &AnalysisOptions,
) -> Result<AnalyseOutcome, Error> {
    let bytes = std::fs::read(path).map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| InputError::file(path, "cannot read the file: stream did not contain valid UTF-8"))?;
    let table = parse_psa_csv(path, text, csv)?;
    let analysis = ctx.install(|| analyse(&table, options));
    let plot_data = plot_data(&table);
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = path
        .file_stem()
        .map_or_else(|| "input".to_string(), |s| file_part(&s.to_string_lossy()));
    let dir = ctx.run_dir(&format!("analyse-{stem}"), "analyse")?;
    let dir = ctx.publish(dir, |dir| {
        let report = AnalyseReport {
            input: path,
            sha256: &sha256,
            table: &table,
            analysis: &analysis,
            plot_data: &plot_data,
        };
        Ok(output::write_analyse(dir, &report)?)
    })?;
    Ok(AnalyseOutcome { table, analysis, dir })
}
