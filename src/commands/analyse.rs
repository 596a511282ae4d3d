//! `carecast analyse`: the analyses of a run applied to another model's PSA output, read from CSV; with its parameter
//! sample, the EVPPI of each parameter and of named groups too.

use super::{Context, Error};
use crate::analysis::csv_input::{read_psa_csv, CsvOptions};
use crate::analysis::csv_parameters::parse_parameter_csv;
use crate::analysis::plot_data::plot_data;
use crate::analysis::voi::{external_evppi_rows, EvppiRow};
use crate::analysis::{analyse, Analysis, AnalysisOptions, PsaTable};
use crate::error::{suggest, InputError};
use crate::output::evppi::write_evppi;
use crate::output::format::{file_part, per_unit};
use crate::output::studies::evppi_study;
use crate::output::{self, AnalyseReport};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A parameter sample to value: its file (one row per iteration) and the groups of parameters to value together.
#[derive(Debug, Clone, Default)]
pub struct ParameterInput {
    pub path: PathBuf,
    /// `(group name, members)`: a member names a column, or a parameter in every scope (`effect` for
    /// `effect@arm:new` and `effect@base`).
    pub groups: Vec<(String, Vec<String>)>,
}

/// A finished `carecast analyse`.
#[derive(Debug)]
pub struct AnalyseOutcome {
    pub table: PsaTable,
    pub analysis: Analysis,
    /// The EVPPI of each parameter and group, at the threshold λ, when a parameter sample was given.
    pub evppi: Option<Vec<EvppiRow>>,
    pub dir: PathBuf,
}

/// Reads a file whole as UTF-8 text, with its bytes as stored (for the SHA-256); a gzip file (a run's
/// `--gzip` iterations.csv.gz, say), known by its first two bytes, is read decompressed.
fn read_text(path: &Path) -> Result<(Vec<u8>, String), InputError> {
    let bytes = std::fs::read(path).map_err(|e| InputError::file(path, format!("cannot read the file: {e}")))?;
    let plain = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut plain)
            .map_err(|e| InputError::file(path, format!("cannot decompress the gzip file: {e}")))?;
        plain
    } else {
        bytes.clone()
    };
    let text = String::from_utf8(plain)
        .map_err(|_| InputError::file(path, "cannot read the file: stream did not contain valid UTF-8"))?;
    Ok((bytes, text))
}

/// Analyses the PSA sample in the CSV file `path` and writes the same tables, plots and report as a run; with
/// `parameters`, also the EVPPI (evppi.csv and its plot) of each parameter and group at the threshold λ.
pub fn analyse_file(
    ctx: &Context,
    path: &Path,
    csv: &CsvOptions,
    options: &AnalysisOptions,
    parameters: Option<&ParameterInput>,
) -> Result<AnalyseOutcome, Error> {
    let (bytes, text) = read_text(path)?;
    let (table, iterations) = read_psa_csv(path, &text, csv)?;
    // The parameter sample is read and joined before anything is computed: a mismatch is the user's to fix.
    let sample = match parameters {
        Some(p) => {
            let (_, text) = read_text(&p.path)?;
            let sample = parse_parameter_csv(&p.path, &text)?;
            check_groups(&p.path, &sample.parameters, &p.groups)?;
            let draws = sample.aligned(&p.path, path, &iterations)?;
            Some((sample.parameters, draws, &p.groups))
        }
        None => None,
    };
    let analysis = ctx.install(|| analyse(&table, options));
    let evppi = sample.as_ref().map(|(parameters, draws, groups)| {
        ctx.install(|| external_evppi_rows(&table, draws.view(), parameters, options.threshold, groups))
    });
    let plot_data = plot_data(&table, &analysis);
    let sha256: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let stem = path
        .file_stem()
        .map_or_else(|| "input".to_string(), |s| file_part(&s.to_string_lossy()));
    let dir = ctx.run_dir(&format!("analyse-{stem}"), "analyse")?;
    let dir = ctx.publish(dir, |dir| {
        // The EVPPI first: its plot goes into the report as a section of its own.
        let mut studies = Vec::new();
        if let Some(rows) = &evppi {
            let title = path
                .file_name()
                .map_or("PSA sample".to_string(), |f| f.to_string_lossy().to_string());
            let per = table
                .outcomes
                .first()
                .map_or_else(|| "unit of outcome".into(), per_unit);
            let files = write_evppi(dir, &title, options.threshold, &per, options.population, rows)?;
            studies.push(evppi_study(rows, options.threshold, &per, options.population, &files)?);
        }
        let report = AnalyseReport {
            input: path,
            sha256: &sha256,
            parameters: parameters.map(|p| p.path.as_path()),
            table: &table,
            analysis: &analysis,
            plot_data: &plot_data,
            studies: &studies,
        };
        output::write_analyse(dir, &report)?;
        Ok(())
    })?;
    Ok(AnalyseOutcome {
        table,
        analysis,
        evppi,
        dir,
    })
}

/// Every group member must name a column of the parameter sample (or a parameter in every scope).
fn check_groups(
    path: &Path,
    parameters: &[crate::analysis::voi::SampledParameter],
    groups: &[(String, Vec<String>)],
) -> Result<(), InputError> {
    for (group, members) in groups {
        for m in members {
            if !parameters.iter().any(|p| p.is_named(m)) {
                let known: Vec<&str> = parameters.iter().map(|p| p.column.as_str()).collect();
                return Err(InputError::usage(
                    "--group",
                    format!(
                        "group `{group}`: `{m}` is not a column of {}{}",
                        path.display(),
                        suggest(m, &known)
                    ),
                ));
            }
        }
    }
    Ok(())
}
