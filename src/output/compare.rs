//! The files and terminal text of `carecast compare`: `compare.csv` (every figure of every run, one row each, to
//! pivot in a spreadsheet), `compare_inputs.csv` (each input that differs, with its value in every run), and the same
//! side by side on the terminal.

use super::files::{text_cell, write_csv, OutputError};
use super::format::{money, per_pound};
use crate::analysis::compare::{Comparison, Figure, FigureKey};
use std::fmt::Write;
use std::path::Path;

/// Writes compare.csv and compare_inputs.csv into `dir`.
pub fn write_compare(dir: &Path, c: &Comparison) -> Result<(), OutputError> {
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    write_csv(&dir.join("compare.csv"), |w| {
        w.write_record([
            "section",
            "comparison",
            "measure",
            "run",
            "run_dir",
            "mean",
            "p2_5",
            "p97_5",
        ])?;
        for (key, values) in &c.figures {
            for (k, (run, v)) in c.runs.iter().zip(values).enumerate() {
                let Some(v) = v else { continue };
                w.write_record([
                    key.section.to_string(),
                    text_cell(&key.comparison),
                    text_cell(&key.measure),
                    (k + 1).to_string(),
                    text_cell(&run.dir.display().to_string()),
                    cell(v.mean),
                    cell(v.p2_5),
                    cell(v.p97_5),
                ])?;
            }
        }
        Ok(())
    })?;
    write_csv(&dir.join("compare_inputs.csv"), |w| {
        let mut header = vec!["input".to_string()];
        header.extend((1..=c.runs.len()).map(|k| format!("run_{k}")));
        w.write_record(&header)?;
        for (name, values) in &c.differences {
            let mut record = vec![text_cell(name)];
            record.extend(values.iter().map(|v| text_cell(v.as_deref().unwrap_or(""))));
            w.write_record(&record)?;
        }
        Ok(())
    })
}

/// A figure in a cell: "£1,234 (£900 to £1,500)", "0.93", "–" where the run lacks it.
fn shown(measure: &str, v: Option<&Figure>) -> String {
    let Some(v) = v else { return "–".into() };
    let as_money = measure.contains("(£");
    let one = |x: Option<f64>| match x {
        None => "–".to_string(),
        Some(x) if as_money => money(x),
        Some(x) if measure.starts_with("£ back") => per_pound(x),
        Some(x) if measure.starts_with('P') => format!("{:.1}%", 100.0 * x),
        Some(x) if measure.starts_with("payback") => format!("{x:.0}"),
        Some(x) => super::format::number(x),
    };
    match (v.p2_5, v.p97_5) {
        (None, None) => one(v.mean),
        (lo, hi) => format!("{} ({} to {})", one(v.mean), one(lo), one(hi)),
    }
}

/// What a measure is before the payer it names: rows of the same kind may repeat one another.
fn measure_kind(measure: &str) -> &str {
    measure.split([',', ':']).next().unwrap_or(measure)
}

/// Whether a figure is zero in every run, its interval too (a payer with no costs): left off the terminal.
fn zero_everywhere(values: &[Option<Figure>]) -> bool {
    values
        .iter()
        .all(|v| v.is_some_and(|f| [f.mean, f.p2_5, f.p97_5].iter().all(|x| x.is_none_or(|x| x == 0.0))))
}

/// The runs, their figures side by side (a column per run; figures zero in every run, and figures the same in every
/// run as one shown just before them in their table, left out), and the inputs that differ.
pub fn compare_lines(c: &Comparison) -> String {
    let mut s = String::new();
    for (k, run) in c.runs.iter().enumerate() {
        let _ = writeln!(s, "run {}: {}", k + 1, run.dir.display());
    }
    let (mut zeros, mut repeats) = (0, 0);
    let mut shown_rows: Vec<(&FigureKey, &Vec<Option<Figure>>)> = Vec::new();
    for (key, values) in &c.figures {
        let same_table = |k: &FigureKey| k.section == key.section && k.comparison == key.comparison;
        if zero_everywhere(values) {
            zeros += 1;
        } else if (shown_rows.iter())
            .any(|(k, v)| same_table(k) && *v == values && k.measure.starts_with(measure_kind(&key.measure)))
        {
            // "savings to all payers" when only the council pays: the same figures as the council's row.
            repeats += 1;
        } else {
            shown_rows.push((key, values));
        }
    }
    let cells: Vec<Vec<String>> = (shown_rows.iter())
        .map(|(key, values)| values.iter().map(|v| shown(&key.measure, v.as_ref())).collect())
        .collect();
    let label = shown_rows
        .iter()
        .map(|(k, _)| k.measure.chars().count())
        .max()
        .unwrap_or(0);
    let width = |k: usize| {
        (cells.iter())
            .map(|row| row[k].chars().count())
            .max()
            .unwrap_or(0)
            .max(5)
    };
    let mut previous: Option<&FigureKey> = None;
    for ((key, _), row) in shown_rows.iter().zip(&cells) {
        if previous.is_none_or(|p| p.section != key.section || p.comparison != key.comparison) {
            let title = match key.section {
                "headline" => "Headline, per person",
                "return" => "Return by payer, per person",
                _ => "Budget impact, for the population (+ costs more)",
            };
            let mut header = format!("\n{title}: {}\n  {:<label$}", key.comparison, "");
            for k in 0..c.runs.len() {
                let _ = write!(header, " {:<w$}", format!("run {}", k + 1), w = width(k));
            }
            let _ = writeln!(s, "{}", header.trim_end());
        }
        previous = Some(key);
        let mut line = format!("  {:<label$}", key.measure);
        for (k, cell) in row.iter().enumerate() {
            let _ = write!(line, " {cell:<w$}", w = width(k));
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if zeros + repeats > 0 {
        let _ = writeln!(
            s,
            "\n(left out here, and kept in compare.csv: {zeros} figures zero in every run, such as a payer with no costs, and {repeats} the same in every run as a figure shown above, such as all payers' where one payer bears everything)"
        );
    }
    if c.differences.is_empty() {
        let _ = writeln!(s, "\nInputs: the same in every run");
    } else {
        let _ = writeln!(s, "\nInputs that differ:");
        for (name, values) in &c.differences {
            let _ = writeln!(s, "  {name}");
            for (k, v) in values.iter().enumerate() {
                let _ = writeln!(s, "    run {}: {}", k + 1, v.as_deref().unwrap_or("(absent)"));
            }
        }
    }
    s
}
