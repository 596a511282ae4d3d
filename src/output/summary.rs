//! summary.json: where a run came from (provenance), every setting spelled out, the model's states, arms, subgroups
//! and parameters, and all results; and the smaller summary of `carecast analyse`.

use super::files::{write_text, OutputError};
use crate::analysis::budget::Budget;
use crate::analysis::Analysis;
use crate::model::{Mode, Model};
use serde::Serialize;
use std::path::Path;

/// Where a run came from and how it ran; written into summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub program: String,
    pub version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub iterations: usize,
    pub mode: Mode,
    /// The command that reproduces this run.
    pub command: String,
    /// Parameter changes made on the command line (`--set`), as written there.
    pub overrides: Vec<String>,
}

impl Provenance {
    /// The provenance of a run of the scenario file `file` (with its SHA-256) for `iterations` from `seed`, with the
    /// parameter changes `overrides` as written on the command line.
    pub fn of_run(file: &Path, sha256: &str, mode: Mode, seed: u64, iterations: usize, overrides: Vec<String>) -> Self {
        let mut command = format!(
            "carecast run {} --seed {seed} --iterations {iterations}",
            file.display()
        );
        for o in &overrides {
            command.push_str(&format!(" --set {o}"));
        }
        Provenance {
            program: "carecast".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            scenario_file: file.display().to_string(),
            scenario_sha256: sha256.to_string(),
            seed,
            iterations,
            mode,
            command,
            overrides,
        }
    }
}

/// Facts about this particular execution that legitimately differ between identical runs.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    pub started_utc: String,
    pub wall_seconds: f64,
    pub simulation_seconds: f64,
    pub threads: usize,
    /// How many shards' results a merge put together (absent: simulated in this run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards_merged: Option<usize>,
}

/// The settings as they appear in summary.json (every convention spelled out, none silent).
#[derive(Debug, Serialize)]
struct SettingsEcho<'a> {
    horizon_years: usize,
    cycle: crate::model::schedule::CycleLength,
    cycles: usize,
    accrual: &'static str,
    /// Conventions of single outcomes and cost groups that differ from `accrual` (absent when none does).
    #[serde(skip_serializing_if = "Option::is_none")]
    accrual_of: Option<std::collections::BTreeMap<String, &'static str>>,
    discounting: crate::model::schedule::Discounting,
    /// When a cycle's value is discounted: `boundary` or `cycle-start`.
    discount_timing: crate::model::schedule::DiscountTiming,
    discount_costs: String,
    discount_outcomes: String,
    cohort_size: u64,
    threshold: f64,
    wtp_points: usize,
    primary_outcome: Option<&'a str>,
    per_year_percentiles_from_iterations: usize,
}

#[derive(Serialize)]
struct SummaryFile<'a> {
    provenance: &'a Provenance,
    scenario: &'a crate::model::Meta,
    settings: SettingsEcho<'a>,
    states: &'a [crate::model::StateInfo],
    arms: &'a [crate::model::ArmInfo],
    subgroups: &'a [crate::model::SubgroupInfo],
    /// The cohort's strata by starting age and sex (absent when it gives neither).
    #[serde(skip_serializing_if = "Option::is_none")]
    strata: Option<&'a [crate::model::Stratum]>,
    /// The lookup tables (absent when there are none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tables: &'a [crate::model::Table],
    parameters: &'a [crate::model::ParameterInfo],
    /// Groups of correlated parameters (absent when there are none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    correlations: &'a [crate::model::CorrelationInfo],
    /// How the file was read where it is not an error, such as a fitted interval missing the published one (absent
    /// when there are none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [String],
    results: &'a Analysis,
    /// The local cost-benefit account (absent without a `[cba]` block).
    #[serde(skip_serializing_if = "Option::is_none")]
    cba: Option<&'a crate::analysis::cba::Cba>,
    /// Results by subgroup, each subgroup alone, per person of it (absent unless the scenario has two or more
    /// subgroups).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    results_by_subgroup: Vec<SubgroupResults<'a>>,
    /// The budget impact, as in budget.csv (absent when the scenario gives no start date).
    #[serde(skip_serializing_if = "Option::is_none")]
    budget: Option<BudgetEcho<'a>>,
    /// What the per-iteration files hold (`--keep`, `--gzip`).
    per_iteration_files: KeptFiles,
    /// What every percentile is of (see [`crate::analysis::stats::PERCENTILE_VALUES`]).
    percentiles_of: String,
    /// Kept apart so that everything above is byte-identical for the same scenario and seed.
    timing: &'a Timing,
}

/// The per-iteration files of a run in summary.json: their names (none with `--keep none`) and how many of the
/// run's iterations they hold (the first ones).
#[derive(Serialize)]
struct KeptFiles {
    files: Vec<String>,
    iterations_kept: usize,
    of_iterations: usize,
    gzip: bool,
}

/// One subgroup's results in summary.json.
#[derive(Serialize)]
struct SubgroupResults<'a> {
    subgroup: &'a str,
    label: &'a str,
    share: f64,
    people: u64,
    results: &'a Analysis,
    /// Its local cost-benefit account (absent without a `[cba]` block).
    #[serde(skip_serializing_if = "Option::is_none")]
    cba: Option<&'a crate::analysis::cba::Cba>,
}

/// The budget impact in summary.json: for the population, per comparison, payer (and `total`), basis (`cash`,
/// `discounted`) and programme year, with its financial year; the same rows as budget.csv.
#[derive(Serialize)]
struct BudgetEcho<'a> {
    population: f64,
    /// The financial year of programme year 1: "2027/28".
    first_financial_year: String,
    /// How many iterations the 95% intervals come from.
    intervals_from_iterations: usize,
    rows: &'a [crate::analysis::budget::BudgetRow],
}

impl<'a> BudgetEcho<'a> {
    fn of(budget: &'a Budget) -> Self {
        BudgetEcho {
            population: budget.population,
            first_financial_year: crate::analysis::budget::financial_year(budget.start_year, 1),
            intervals_from_iterations: budget.sample_size,
            rows: &budget.rows,
        }
    }
}

/// Writes a run's summary.json.
pub fn write_run_summary(path: &Path, run: &super::run::RunReport) -> Result<(), OutputError> {
    let (model, provenance, timing, analysis) = (run.model, run.provenance, run.timing, run.analysis);
    let (budget, cba, subgroups) = (run.budget, run.cba, run.subgroups);
    let per_year_sample = run.per_year.sample_size;
    let s = &model.settings;
    let summary = SummaryFile {
        provenance,
        scenario: &model.meta,
        settings: SettingsEcho {
            horizon_years: s.horizon_years,
            cycle: s.cycle,
            cycles: s.cycles(),
            accrual: s.accrual.name(),
            accrual_of: accrual_of(model),
            discounting: s.discounting,
            discount_timing: s.discount_timing,
            discount_costs: s.discount_costs.describe(),
            discount_outcomes: s.discount_outcomes.describe(),
            cohort_size: model.cohort_size,
            threshold: s.threshold,
            wtp_points: s.wtp.len(),
            primary_outcome: s.primary_outcome.map(|o| model.outcomes[o].as_str()),
            per_year_percentiles_from_iterations: per_year_sample,
        },
        states: &model.states,
        arms: &model.arms,
        subgroups: &model.subgroups,
        strata: (model.strata.len() > 1 || !model.strata[0].describe().is_empty()).then_some(&model.strata[..]),
        tables: &model.tables,
        parameters: &model.parameters,
        correlations: &model.correlations,
        warnings: &model.warnings,
        results: analysis,
        cba,
        results_by_subgroup: (subgroups.iter())
            .map(|g| SubgroupResults {
                subgroup: &g.name,
                label: &g.label,
                share: g.share,
                people: g.people,
                results: &g.analysis,
                cba: g.cba.as_ref(),
            })
            .collect(),
        budget: budget.map(BudgetEcho::of),
        per_iteration_files: {
            let kept = run.keep.rows(provenance.iterations);
            KeptFiles {
                files: run.keep.files(provenance.iterations),
                iterations_kept: kept,
                of_iterations: provenance.iterations,
                gzip: run.keep.gzip,
            }
        },
        percentiles_of: super::format::percentiles_of(provenance.iterations),
        timing,
    };
    write_json(path, &summary)
}

/// The accrual conventions set apart from the scenario's, by what they apply to (`care_costs`,
/// `intervention_costs`, `outcome:<name>`); None when there are none.
fn accrual_of(model: &Model) -> Option<std::collections::BTreeMap<String, &'static str>> {
    let of = &model.settings.accrual_of;
    let mut out = std::collections::BTreeMap::new();
    let groups = [
        ("care_costs", of.care_costs),
        ("intervention_costs", of.intervention_costs),
    ];
    for (what, accrual) in groups {
        if let Some(a) = accrual {
            out.insert(what.to_string(), a.name());
        }
    }
    for (name, accrual) in model.outcomes.iter().zip(&of.outcomes) {
        if let Some(a) = accrual {
            out.insert(format!("outcome:{name}"), a.name());
        }
    }
    (!out.is_empty()).then_some(out)
}

/// summary.json of `carecast analyse`: where the sample came from, and the analyses.
#[derive(Serialize)]
struct AnalyseSummary<'a> {
    provenance: AnalyseProvenance<'a>,
    results: &'a Analysis,
}

/// Where an analysed PSA sample came from.
#[derive(Serialize)]
pub struct AnalyseProvenance<'a> {
    pub program: &'static str,
    pub version: &'static str,
    pub input_file: String,
    pub input_sha256: &'a str,
    pub comparator: &'a str,
    pub effect: &'a str,
    /// `higher` or `lower`: which way the effect is better.
    pub effect_better: &'a str,
    /// The parameter sample valued for EVPPI (`--parameters`), if any.
    pub parameter_sample: Option<String>,
    pub wtp_points: usize,
    pub threshold: f64,
}

/// Writes the summary.json of `carecast analyse`.
pub fn write_analyse_summary(
    path: &Path,
    provenance: AnalyseProvenance,
    analysis: &Analysis,
) -> Result<(), OutputError> {
    write_json(
        path,
        &AnalyseSummary {
            provenance,
            results: analysis,
        },
    )
}

/// Pretty JSON with a final newline.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), OutputError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| OutputError::write(path, e))?;
    write_text(path, &(text + "\n"))
}
