//! The files and terminal text of `carecast compare`: `compare.csv` (every figure of every run, one row each, to
//! pivot in a spreadsheet), `compare_inputs.csv` (each input that differs, with its value in every run), and the same
//! side by side on the terminal.

use super::files::{text_cell, write_csv, OutputError};
use super::format::money;
use crate::analysis::compare::{Comparison, Figure};
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
        Some(x) if measure.starts_with("£ back") => format!("£{x:.2}"),
        Some(x) if measure.starts_with('P') => format!("{:.1}%", 100.0 * x),
        Some(x) if measure.starts_with("payback") => format!("{x:.0}"),
        Some(x) => super::format::number(x),
    };
    match (v.p2_5, v.p97_5) {
        (None, None) => one(v.mean),
        (lo, hi) => format!("{} ({} to {})", one(v.mean), one(lo), one(hi)),
    }
}

/// Whether a figure is zero in every run, its interval too (a payer with no costs): left off the terminal.
fn zero_everywhere(values: &[Option<Figure>]) -> bool {
    values
        .iter()
        .all(|v| v.is_some_and(|f| [f.mean, f.p2_5, f.p97_5].iter().all(|x| x.is_none_or(|x| x == 0.0))))
}

/// The runs, their figures side by side (a column per run; figures zero in every run left out), and the inputs
/// that differ.
pub fn compare_lines(c: &Comparison) -> String {
    let mut s = String::new();
    for (k, run) in c.runs.iter().enumerate() {
        let _ = writeln!(s, "run {}: {}", k + 1, run.dir.display());
    }
    let width = 34;
    let label = c
        .figures
        .iter()
        .map(|(k, _)| k.measure.chars().count())
        .max()
        .unwrap_or(0);
    let mut section = "";
    let mut comparison = "";
    let mut zeros = 0;
    for (key, values) in &c.figures {
        if zero_everywhere(values) {
            zeros += 1;
            continue;
        }
        if key.section != section || key.comparison != comparison {
            section = key.section;
            comparison = &key.comparison;
            let title = match section {
                "headline" => "Headline, per person",
                "return" => "Return by payer, per person",
                _ => "Budget impact, for the population (+ costs more)",
            };
            let _ = write!(s, "\n{title}: {comparison}\n  {:<label$}", "");
            for k in 1..=c.runs.len() {
                let _ = write!(s, " {:<width$}", format!("run {k}"));
            }
            s = s.trim_end().to_string();
            s.push('\n');
        }
        let mut line = format!("  {:<label$}", key.measure);
        for v in values {
            let _ = write!(line, " {:<width$}", shown(&key.measure, v.as_ref()));
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if zeros > 0 {
        let _ = writeln!(s, "\n({zeros} figures zero in every run, such as a payer with no costs, are left out here; compare.csv has them)");
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
