//! Reading another model's PSA output from CSV, so `carecast analyse` gives it the same analyses as a carecast run.
//!
//! One row per iteration and arm. Required columns: `iteration`, `arm`, a total cost (`cost_total` or `cost`, not
//! both) and the effect: the column named by `--effect`, else `effect`, else the one column that has no other role
//! (several such columns are refused as ambiguous). Optional: costs by payer and kind as carecast writes
//! them (`spend_council`, `spend_nhs`, `spend_person`, `care_council`, `care_nhs`, `care_person`, and optionally
//! `cashable_care_*`), which enable return-on-investment analysis; a payer a scenario declared (`housing`) has its
//! own `spend_housing` and `care_housing` (and `cashable_care_housing`) after them. A carecast `iterations.csv`
//! reads back as is.

use super::table::{PayerCosts, PsaTable};
use crate::error::InputError;
use crate::model::{is_reserved_column, Better, OutcomeInfo, Payers};
use ndarray::{Array2, Array3};
use std::collections::BTreeMap;
use std::path::Path;

/// How to read the file: which column is the effect, how it reads and which way is better, and which arm is the
/// comparator.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// Effect column (default `effect`, else the one column with no other role).
    pub effect: Option<String>,
    /// The comparator arm (default: the first arm in the file).
    pub comparator: Option<String>,
    /// Which way the effect is better (default: more is better). The file holds the amounts as accrued.
    pub better: Better,
    /// How people read the effect (default: its column's name made readable).
    pub label: Option<String>,
    /// One unit of the effect, singular (default: the label).
    pub unit: Option<String>,
}

/// The columns the table is read from.
struct Columns {
    headers: csv::StringRecord,
    iteration: usize,
    arm: usize,
    cost: usize,
    effect: usize,
    /// The payers whose costs the file has: the built-in three, then any other with `spend_` and `care_` columns.
    payers: Payers,
    /// Spend, care and cashable care costs by payer, where the file has every payer's column of a kind.
    spend: Option<Vec<usize>>,
    care: Option<Vec<usize>>,
    cashable: Option<Vec<usize>>,
}

/// One arm's values in one iteration: total cost, effect, and spend, care and cashable care by payer (each kind's
/// payers together, in that order).
type RowValues = (f64, f64, Vec<f64>);

/// Values by (iteration, arm index), and the arms' names in order of first appearance.
type Rows = (BTreeMap<(u64, usize), RowValues>, Vec<String>);

/// Parses a PSA sample in CSV into a table; every problem names the file (`path`, which is not read), line and
/// column.
pub fn parse_psa_csv(path: &Path, text: &str, options: &CsvOptions) -> Result<PsaTable, InputError> {
    read_psa_csv(path, text, options).map(|(table, _)| table)
}

/// [`parse_psa_csv`], with the file's iteration numbers in the table's row order (ascending).
pub fn read_psa_csv(path: &Path, text: &str, options: &CsvOptions) -> Result<(PsaTable, Vec<u64>), InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InputError::file(path, format!("cannot read the header row: {e}")))?
        .iter()
        .map(unneutralised)
        .collect();
    let columns = columns(path, headers, options)?;
    let (rows, arms) = read_rows(path, &mut reader, &columns)?;
    let iterations = complete_iterations(path, &rows, &arms)?;
    let comparator = match &options.comparator {
        Some(name) => arms.iter().position(|a| a == name).ok_or_else(|| {
            InputError::usage(
                "--comparator",
                format!(
                    "no arm `{name}` in {}; the arms are {}",
                    path.display(),
                    arms.join(", ")
                ),
            )
        })?,
        None => 0,
    };
    let effect = columns.headers.get(columns.effect).unwrap_or("effect");
    let mut outcome = OutcomeInfo::named(effect);
    if let Some(label) = &options.label {
        outcome.label = label.clone();
        outcome.unit = label.clone();
    }
    if let Some(unit) = &options.unit {
        outcome.unit = unit.clone();
    }
    outcome.better = options.better;
    let table = table(&columns, &rows, arms, &iterations, comparator, outcome);
    Ok((table, iterations))
}

/// Finds the columns in the header row.
fn columns(path: &Path, headers: csv::StringRecord, options: &CsvOptions) -> Result<Columns, InputError> {
    let find = |name: &str| headers.iter().position(|h| h == name);
    let at_header = |message: String| InputError {
        line: 1,
        column: 1,
        field: "header".into(),
        ..InputError::file(path, message)
    };
    let need = |names: &[&str]| -> Result<usize, InputError> {
        names.iter().find_map(|n| find(n)).ok_or_else(|| {
            at_header(format!(
                "no `{}` column; the header has: {}",
                names.join("` or `"),
                headers.iter().collect::<Vec<_>>().join(", ")
            ))
        })
    };
    let iteration = need(&["iteration"])?;
    let arm = need(&["arm"])?;
    if find("cost").is_some() && find("cost_total").is_some() {
        return Err(at_header(
            "the header has both `cost` and `cost_total`, so which is the total cost is ambiguous; keep one".into(),
        ));
    }
    let cost = need(&["cost_total", "cost"])?;
    let payers = payers_in(&headers, &at_header)?;
    let effect = match &options.effect {
        Some(name) if is_reserved_column(name, &payers) => {
            return Err(InputError::usage(
                "--effect",
                format!(
                    "`{name}` is a column with its own role (cost, iteration, arm, or a cost by payer), not an effect"
                ),
            ))
        }
        Some(name) => need(&[name.as_str()])?,
        None => effect_column(&headers, &payers, &at_header)?,
    };
    let payer_cols = |kind: &str| -> Option<Vec<usize>> {
        (payers.all())
            .map(|p| find(&format!("{kind}_{}", payers.name(p))))
            .collect()
    };
    let (spend, care, cashable) = (payer_cols("spend"), payer_cols("care"), payer_cols("cashable_care"));
    Ok(Columns {
        payers,
        spend,
        care,
        cashable,
        headers,
        iteration,
        arm,
        cost,
        effect,
    })
}

/// The payers whose costs the header has: the council, the NHS and the person, then each other name with both a
/// `spend_` and a `care_` column, in the order of its `care_` column. A `spend_` or `cashable_care_` column of a payer
/// with no `care_` column is refused (its costs could not be read as a payer's), as is another payer's column where
/// the built-in three have none (the whole-system figures would miss their costs).
fn payers_in(headers: &csv::StringRecord, at_header: &dyn Fn(String) -> InputError) -> Result<Payers, InputError> {
    let builtin = Payers::default();
    let has = |name: &str| headers.iter().any(|h| h == name);
    let payer_of = |h: &str, kind: &str| -> Option<String> {
        let name = h.strip_prefix(kind)?.strip_prefix('_')?;
        let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (identifier && builtin.parse(name).is_none() && name != "total").then(|| name.to_string())
    };
    let mut extra: Vec<String> = Vec::new();
    for h in headers.iter() {
        if let Some(name) = payer_of(h, "care") {
            if has(&format!("spend_{name}")) && !extra.contains(&name) {
                extra.push(name);
            }
        }
    }
    for kind in ["spend", "cashable_care"] {
        if let Some(name) = headers
            .iter()
            .find_map(|h| payer_of(h, kind).filter(|n| !extra.contains(n)))
        {
            return Err(at_header(format!(
                "`{kind}_{name}` reads as a cost of a payer `{name}`, but the header has no `care_{name}` (and `spend_{name}`) to go with it: give both, or rename the column"
            )));
        }
    }
    let builtin_complete = (builtin.names().iter()).all(|p| has(&format!("spend_{p}")) && has(&format!("care_{p}")));
    if let Some(name) = extra.first().filter(|_| !builtin_complete) {
        return Err(at_header(format!(
            "the header has costs of a payer `{name}` but not `spend_` and `care_` columns for each of council, nhs and person, which costs by payer need"
        )));
    }
    Ok(Payers::named(&extra))
}

/// A text cell as it was before carecast's writers guarded it against spreadsheet formula injection: a leading `'`
/// before `=`, `+`, `-`, `@`, a tab or a carriage return is theirs (see `crate::output::files::text_cell`).
pub(super) fn unneutralised(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// The effect column when `--effect` does not name one: `effect` if there is one, else the only column with no other
/// role. With several candidates the choice is the user's: guessing could analyse the wrong outcome.
fn effect_column(
    headers: &csv::StringRecord,
    payers: &Payers,
    at_header: &dyn Fn(String) -> InputError,
) -> Result<usize, InputError> {
    if let Some(i) = headers.iter().position(|h| h == "effect") {
        return Ok(i);
    }
    let candidates: Vec<(usize, &str)> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !is_reserved_column(h, payers))
        .collect();
    match candidates[..] {
        [(i, _)] => Ok(i),
        [] => Err(at_header(format!(
            "no effect column: every column has another role; the header has: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ))),
        _ => Err(at_header(format!(
            "several columns could be the effect ({}); say which with --effect NAME",
            candidates
                .iter()
                .map(|(_, h)| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Reads every row: its iteration, arm and values, refusing a second row for the same iteration and arm.
fn read_rows(path: &Path, reader: &mut csv::Reader<&[u8]>, columns: &Columns) -> Result<Rows, InputError> {
    let headers = &columns.headers;
    let mut arms: Vec<String> = Vec::new();
    let mut rows: BTreeMap<(u64, usize), RowValues> = BTreeMap::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = record.map_err(|e| InputError {
            line,
            column: 1,
            field: String::new(),
            ..InputError::file(path, format!("malformed row: {e}"))
        })?;
        let number = |col: usize| -> Result<f64, InputError> {
            let raw = record.get(col).unwrap_or("");
            raw.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| InputError {
                    line,
                    column: col + 1,
                    field: headers.get(col).unwrap_or("").to_string(),
                    ..InputError::file(path, format!("`{raw}` is not a finite number"))
                })
        };
        let iteration = record
            .get(columns.iteration)
            .unwrap_or("")
            .parse::<u64>()
            .map_err(|_| InputError {
                line,
                column: columns.iteration + 1,
                field: "iteration".into(),
                ..InputError::file(path, "the iteration must be a whole number")
            })?;
        let arm_name = unneutralised(record.get(columns.arm).unwrap_or("")).to_string();
        let arm = match arms.iter().position(|a| *a == arm_name) {
            Some(a) => a,
            None => {
                arms.push(arm_name);
                arms.len() - 1
            }
        };
        let n_payers = columns.payers.len();
        let mut split = vec![0.0; 3 * n_payers];
        for (k, cols) in [&columns.spend, &columns.care, &columns.cashable].iter().enumerate() {
            if let Some(cols) = cols {
                for (p, &c) in cols.iter().enumerate() {
                    split[k * n_payers + p] = number(c)?;
                }
            }
        }
        let values = (number(columns.cost)?, number(columns.effect)?, split);
        if rows.insert((iteration, arm), values).is_some() {
            return Err(InputError {
                line,
                column: columns.arm + 1,
                field: "arm".into(),
                ..InputError::file(
                    path,
                    format!("iteration {iteration} has more than one row for arm `{}`", arms[arm]),
                )
            });
        }
    }
    Ok((rows, arms))
}

/// The iterations, in order, after checking that there are two arms or more and that every iteration has them all.
fn complete_iterations(
    path: &Path,
    rows: &BTreeMap<(u64, usize), RowValues>,
    arms: &[String],
) -> Result<Vec<u64>, InputError> {
    if arms.len() < 2 {
        return Err(InputError::file(
            path,
            "the file needs at least two arms (the comparator and an intervention)",
        ));
    }
    let mut iterations: Vec<u64> = rows.keys().map(|(i, _)| *i).collect();
    iterations.dedup();
    for &i in &iterations {
        if let Some(missing) = (0..arms.len()).find(|a| !rows.contains_key(&(i, *a))) {
            return Err(InputError::file(
                path,
                format!(
                    "iteration {i} has no row for arm `{}`: every iteration needs every arm",
                    arms[missing]
                ),
            ));
        }
    }
    Ok(iterations)
}

/// The table of the rows read, every arm compared with `comparator`.
fn table(
    columns: &Columns,
    rows: &BTreeMap<(u64, usize), RowValues>,
    arms: Vec<String>,
    iterations: &[u64],
    comparator: usize,
    outcome: OutcomeInfo,
) -> PsaTable {
    let n = iterations.len();
    let k = arms.len();
    let value = |i: usize, a: usize| &rows[&(iterations[i], a)];
    let cost = Array2::from_shape_fn((n, k), |(i, a)| value(i, a).0);
    let outcome_values = Array3::from_shape_fn((n, k, 1), |(i, a, _)| value(i, a).1);
    let payers = match (&columns.spend, &columns.care) {
        (Some(_), Some(_)) => {
            let n_payers = columns.payers.len();
            let part =
                |kind: usize| Array3::from_shape_fn((n, k, n_payers), |(i, a, p)| value(i, a).2[kind * n_payers + p]);
            let care = part(1);
            // Columns of cashable costs that are the care costs to the bit are kept as no columns.
            let cashable = (columns.cashable.is_some())
                .then(|| part(2))
                .filter(|cashable| !super::table::same_bits(&care, cashable));
            Some(PayerCosts {
                may_spend: vec![true; columns.payers.len()],
                payers: columns.payers.clone(),
                spend: part(0),
                care,
                cashable,
            })
        }
        _ => None,
    };
    PsaTable {
        labels: arms.clone(),
        comparators: (0..k).map(|a| (a != comparator).then_some(comparator)).collect(),
        arms,
        outcomes: vec![outcome],
        primary: Some(0),
        cost,
        outcome_values,
        payers,
        payback: None,
        yearly: None,
    }
}
