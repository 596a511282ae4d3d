//! The outputs of `carecast reproduce`: reproduction.csv and reproduction.md, each written whole and renamed into
//! place, and the Markdown table the terminal shows.

use super::files::{text_cell, write_atomically, write_csv, write_text, OutputError};
use super::format::{figure, share, ShareStyle};
use crate::analysis::reproduce::{Reproduced, Status};
use crate::model::Metric;
use std::path::Path;

/// Whether a figure is within tolerance, in the words the tables use.
fn describe(status: Status) -> &'static str {
    match status {
        Status::Within => "yes",
        Status::Outside => "NO",
        Status::NotReproducible => "not reproducible from published inputs",
    }
}

/// Writes reproduction.csv and reproduction.md into `dir`.
pub fn write_reproduction(dir: &Path, rows: &[Reproduced]) -> Result<(), OutputError> {
    write_atomically(&dir.join("reproduction.csv"), |p| write_csv_table(rows, p))?;
    let markdown = format!(
        "# Published figures reproduced by carecast {}\n\nEach row: a published figure, the value carecast computes from the bundled scenario's inputs (mean, with the 95% interval across the PSA; for a probability, its Monte Carlo interval), and whether it lies in the range the scenario accepts. The scenarios' comments say why each range is what it is.\n\n{}",
        env!("CARGO_PKG_VERSION"),
        markdown_table(rows)
    ) + "\n" + &counts(rows);
    write_atomically(&dir.join("reproduction.md"), |p| write_text(p, &markdown))
}

/// The results table as CSV.
fn write_csv_table(rows: &[Reproduced], path: &Path) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "scenario",
            "figure",
            "source",
            "citation",
            "metric",
            "arm",
            "published",
            "published_low",
            "published_high",
            "reproduced",
            "reproduced_low",
            "reproduced_high",
            "accept_low",
            "accept_high",
            "within_tolerance",
            "published_figure_is_an_input",
            "iterations",
            "why",
        ])?;
        let num = |x: f64| if x.is_finite() { format!("{x}") } else { String::new() };
        for r in rows {
            let t = &r.target;
            let (pl, ph) = t
                .published_interval
                .map_or((String::new(), String::new()), |[a, b]| (num(a), num(b)));
            let status = match r.status {
                Status::Within => "yes",
                Status::Outside => "no",
                Status::NotReproducible => "not_reproducible",
            };
            w.write_record([
                text_cell(&r.scenario).as_str(),
                text_cell(&t.figure).as_str(),
                text_cell(&t.source).as_str(),
                text_cell(&r.citation).as_str(),
                t.metric.name(),
                text_cell(&r.arm).as_str(),
                &num(t.published),
                &pl,
                &ph,
                &num(r.value),
                &num(r.low),
                &num(r.high),
                &num(t.accept[0]),
                &num(t.accept[1]),
                status,
                if t.input { "true" } else { "false" },
                &r.iterations.to_string(),
                text_cell(&t.why).as_str(),
            ])?;
        }
        Ok(())
    })
}

/// The results table as Markdown (also what the terminal shows).
pub fn markdown_table(rows: &[Reproduced]) -> String {
    let escape = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut md = String::from(
        "| scenario | figure | source | published | reproduced (95% interval) | accepted range | within tolerance |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let t = &r.target;
        // A share computed from the iterations never reads as 0 or 1 unless it is.
        let reproduced = |x: f64| match t.metric {
            Metric::ProbCostEffective { .. } | Metric::StateShare { .. } if x.is_finite() => {
                share(x, ShareStyle::Decimal, 3)
            }
            _ => figure(x),
        };
        let published = match t.published_interval {
            Some([a, b]) => format!("{} ({} to {})", figure(t.published), figure(a), figure(b)),
            None => figure(t.published),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} ({} to {}) | {} to {} | {} |\n",
            escape(&r.scenario),
            escape(&t.figure),
            escape(&t.source),
            published,
            reproduced(r.value),
            reproduced(r.low),
            reproduced(r.high),
            figure(t.accept[0]),
            figure(t.accept[1]),
            match (r.status, t.input) {
                (Status::Within, true) => "yes, but the figure is an input (a check that the model carries it through)",
                (status, _) => describe(status),
            }
        ));
    }
    md
}

/// How many figures emerge within tolerance, are inputs, cannot be reproduced, or fall outside their range: the
/// line the terminal and reproduction.md end with, which README's account of the bundled figures must match.
pub fn counts(rows: &[Reproduced]) -> String {
    let count = |f: &dyn Fn(&Reproduced) -> bool| rows.iter().filter(|r| f(r)).count();
    let emerge = count(&|r| r.status == Status::Within && !r.target.input);
    let inputs = count(&|r| r.status == Status::Within && r.target.input);
    let cannot = count(&|r| r.status == Status::NotReproducible);
    let outside = count(&|r| r.status == Status::Outside);
    let mut scenarios: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.dedup();
    format!(
        "Of {} published figures in {} scenario{}: {emerge} emerge from published inputs within tolerance, {inputs} are themselves inputs, {cannot} cannot be reproduced from published inputs, {outside} lie outside their accepted range.\n",
        rows.len(),
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" }
    )
}
