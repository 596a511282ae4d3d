//! Results by subgroup (client group), where a scenario has two or more: subgroups.csv (the headline figures of the
//! whole cohort and of each subgroup) and a folder per subgroup, `subgroups/<name>/`, with the run's tables for that
//! subgroup alone (per_year.csv, roi.csv, payback.csv, by_year.csv, ceac.csv, evpi.csv, budget.csv and cba.csv, as
//! the run writes them).

use super::files::{text_cell, write_csv, OutputError};
use super::format::{capitalised, money, number, per_pound, percent};
use super::{budget, samples, tables};
use crate::analysis::cba::Cba;
use crate::analysis::subgroups::SubgroupResult;
use crate::analysis::{Analysis, Comparison};
use std::fmt::Write as _;
use std::path::Path;

/// The name subgroups.csv gives the whole cohort.
pub const ALL: &str = "all";

/// One headline figure of a comparison: its machine name, its words, its value (a mean, a median or a share) and
/// 95% interval where it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub measure: String,
    pub words: String,
    pub value: Option<f64>,
    pub interval: Option<(f64, f64)>,
    pub kind: Kind,
}

/// What a headline figure counts, for writing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Money per person.
    Money,
    /// An outcome's amount per person.
    Amount,
    /// A share of the iterations.
    Share,
    /// £ back per £1.
    Ratio,
    /// Cycles (weeks, months, quarters or years).
    Cycles,
}

/// The headline figures of comparison `c` of `analysis`: incremental cost, each outcome's gain, net savings in total
/// and by payer (those the analysis has), the spend, the savings, P(cost-saving), the £ back per £1 (where a ratio is
/// shown) and payback in the model's own cycles.
pub fn headline(analysis: &Analysis, c: &Comparison) -> Vec<Figure> {
    let summary = |measure: String, words: String, s: &crate::analysis::stats::Summary| Figure {
        measure,
        words,
        value: Some(s.mean),
        interval: Some((s.p2_5, s.p97_5)),
        kind: Kind::Money,
    };
    let mut out = vec![summary(
        "incremental_cost".into(),
        "Incremental cost".into(),
        &c.incremental_cost,
    )];
    for (o, d) in analysis.outcomes.iter().zip(&c.incremental_outcomes) {
        let words = super::format::gain_name(o);
        out.push(Figure {
            kind: Kind::Amount,
            ..summary(format!("gain_{}", o.name), capitalised(&words), d)
        });
    }
    out.push(summary("net_savings".into(), "Net savings".into(), &c.net_savings));
    for p in c.net_savings_by_payer.iter().flatten() {
        let words = format!("Net savings to the {}", payer_words(&p.payer));
        out.push(summary(format!("net_savings_{}", p.payer), words, &p.net_savings));
    }
    if let Some(s) = &c.spend {
        out.push(summary("extra_spend".into(), "Extra spend".into(), s));
    }
    if let Some(s) = &c.savings {
        out.push(summary("care_savings".into(), "Care costs saved".into(), s));
    }
    out.push(Figure {
        measure: "prob_cost_saving".into(),
        words: "Chance of saving money".into(),
        value: Some(c.prob_cost_saving),
        interval: None,
        kind: Kind::Share,
    });
    if let Some(bcr) = c.bcr {
        out.push(Figure {
            measure: "back_per_pound".into(),
            words: "Back per £1 spent (all payers)".into(),
            value: Some(bcr),
            interval: None,
            kind: Kind::Ratio,
        });
    }
    if let Some(p) = analysis.payback_cycles.iter().find(|p| p.arm == c.arm) {
        // A percentile beyond the horizon is NaN: an empty cell in CSV, "beyond the horizon" in words.
        let cycles = |c: Option<u32>| c.map_or(f64::NAN, f64::from);
        let interval = p.median.map(|_| (cycles(p.p2_5), cycles(p.p97_5)));
        out.push(Figure {
            measure: format!("payback_{}s", p.unit),
            words: format!("Payback in {}s (median)", p.unit),
            value: p.median.map(f64::from),
            interval,
            kind: Kind::Cycles,
        });
    }
    out
}

/// The headline figures of comparison `c` (see [`headline`]) and, with a local cost-benefit account, its net present
/// public value and public value per £1 of cost (where the ratio rule allows one).
pub fn headline_with_cba(analysis: &Analysis, cba: Option<&Cba>, c: &Comparison) -> Vec<Figure> {
    let mut out = headline(analysis, c);
    let Some(account) = cba.and_then(|cba| cba.comparisons.iter().find(|a| a.arm == c.arm)) else {
        return out;
    };
    if let Some(nppv) = account.line("net", "nppv") {
        out.push(Figure {
            measure: "nppv".into(),
            words: "Net present public value (cost-benefit account)".into(),
            value: Some(nppv.figure.mean),
            interval: Some((nppv.figure.p2_5, nppv.figure.p97_5)),
            kind: Kind::Money,
        });
    }
    if let Some(value) = (account.ratios.iter().find(|r| r.key == "public_value")).and_then(|r| r.value) {
        out.push(Figure {
            measure: "public_value_per_pound".into(),
            words: "Public value per £1 of cost (cost-benefit account)".into(),
            value: Some(value),
            interval: None,
            kind: Kind::Ratio,
        });
    }
    out
}

/// "council", "NHS", "person", or the payer's own name.
fn payer_words(payer: &str) -> String {
    match payer {
        "nhs" => "NHS".into(),
        other => other.replace('_', " "),
    }
}

/// Writes subgroups.csv and each subgroup's folder of tables into `dir`; nothing when there are no subgroup results.
pub fn write_subgroups(
    dir: &Path,
    total: (&Analysis, Option<&Cba>),
    subgroups: &[SubgroupResult],
    arms: &[String],
    comparators: &[Option<usize>],
) -> Result<(), OutputError> {
    if subgroups.is_empty() {
        return Ok(());
    }
    write_summary(&dir.join("subgroups.csv"), total, subgroups)?;
    for g in subgroups {
        let folder = dir.join("subgroups").join(&g.name);
        // Inside the run's directory, never making it again (see `plots::render`): each level on its own.
        for level in [dir.join("subgroups"), folder.clone()] {
            match std::fs::create_dir(&level) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(OutputError::write(&level, e)),
                _ => {}
            }
        }
        samples::write_per_year(&folder.join("per_year.csv"), arms, &g.per_year)?;
        tables::write_tables(&folder, &g.analysis, arms, comparators)?;
        if let Some(b) = &g.budget {
            budget::write_budget(&folder.join("budget.csv"), b)?;
        }
        if let Some(c) = &g.cba {
            super::cba::write_cba(&folder.join("cba.csv"), c)?;
        }
    }
    Ok(())
}

/// One row group of subgroups.csv (and the workbook's By subgroup): the whole cohort or one subgroup.
pub(crate) struct Group<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub share: f64,
    pub people: u64,
    pub analysis: &'a Analysis,
    pub cba: Option<&'a Cba>,
}

impl<'a> Group<'a> {
    /// Every comparison's headline figures (see [`headline_with_cba`]), in order.
    pub(crate) fn figures(&self) -> Vec<(&'a Comparison, Figure)> {
        (self.analysis.comparisons.iter())
            .flat_map(|c| {
                headline_with_cba(self.analysis, self.cba, c)
                    .into_iter()
                    .map(move |f| (c, f))
            })
            .collect()
    }
}

/// The whole cohort (as `all`, with every subgroup's people), then each subgroup.
pub(crate) fn groups<'a>(
    total: (&'a Analysis, Option<&'a Cba>),
    subgroups: &'a [SubgroupResult],
) -> impl Iterator<Item = Group<'a>> {
    let whole = Group {
        name: ALL,
        label: "Whole cohort",
        share: 1.0,
        people: subgroups.iter().map(|g| g.people).sum(),
        analysis: total.0,
        cba: total.1,
    };
    std::iter::once(whole).chain(subgroups.iter().map(|g| Group {
        name: &g.name,
        label: &g.label,
        share: g.share,
        people: g.people,
        analysis: &g.analysis,
        cba: g.cba.as_ref(),
    }))
}

/// subgroups.csv: one row per subgroup (the whole cohort first, as `all`), comparison and headline figure (see
/// [`headline_with_cba`]), per person of the subgroup: its mean (the median for payback, the share for a
/// probability) and 95% interval (an empty percentile of payback is beyond the horizon).
fn write_summary(
    path: &Path,
    total: (&Analysis, Option<&Cba>),
    subgroups: &[SubgroupResult],
) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "subgroup",
            "label",
            "share",
            "people",
            "arm",
            "comparator",
            "measure",
            "value",
            "p2_5",
            "p97_5",
        ])?;
        for g in groups(total, subgroups) {
            for (c, f) in g.figures() {
                let cell = |v: f64| if v.is_nan() { String::new() } else { v.to_string() };
                let (lo, hi) = f
                    .interval
                    .map_or((String::new(), String::new()), |(lo, hi)| (cell(lo), cell(hi)));
                w.write_record([
                    g.name.to_string(),
                    text_cell(g.label),
                    g.share.to_string(),
                    g.people.to_string(),
                    text_cell(&c.arm),
                    text_cell(&c.comparator),
                    f.measure,
                    f.value.map_or(String::new(), |v| v.to_string()),
                    lo,
                    hi,
                ])?;
            }
        }
        Ok(())
    })
}

/// A figure as tables show it: the value, with its interval where it has one; "–" where it has no value ("beyond
/// the horizon" for payback).
pub fn written(f: &Figure) -> String {
    let write = |v: f64| match f.kind {
        Kind::Money => money(v),
        Kind::Amount => number(v),
        Kind::Share => percent(v),
        Kind::Ratio => per_pound(v),
        Kind::Cycles if v.is_nan() => "beyond the horizon".to_string(),
        Kind::Cycles => format!("{v:.0}"),
    };
    let Some(value) = f.value else {
        return match f.kind {
            Kind::Cycles => "beyond the horizon".to_string(),
            _ => "–".to_string(),
        };
    };
    match f.interval {
        Some((lo, hi)) => format!("{} ({} to {})", write(value), write(lo), write(hi)),
        None => write(value),
    }
}

/// The terminal's lines by subgroup, after the whole cohort's: for each comparison and subgroup, its net savings,
/// outcome gains and payback per person, with 95% intervals. Empty when there are no subgroup results.
pub fn terminal_lines(total: &Analysis, subgroups: &[SubgroupResult]) -> String {
    let mut s = String::new();
    if subgroups.is_empty() {
        return s;
    }
    let _ = writeln!(
        s,
        "\nBy subgroup, each run alone (mean per person of the group, 95% interval; subgroups.csv has every figure):"
    );
    for c in &total.comparisons {
        let _ = writeln!(s, "{} vs {}:", c.arm, c.comparator);
        for g in subgroups {
            let Some(mine) = g.analysis.comparisons.iter().find(|m| m.arm == c.arm) else {
                continue;
            };
            let _ = writeln!(s, "  {} ({:.0}%, {} people)", g.label, 100.0 * g.share, g.people);
            let mut shown: Vec<String> = (headline(&g.analysis, mine).iter())
                .filter(|f| f.measure == "net_savings" || f.measure.starts_with("gain_"))
                .map(|f| format!("{} {}", lower_first(&f.words), written(f)))
                .collect();
            if let Some(p) = g.analysis.payback_cycles.iter().find(|p| p.arm == c.arm) {
                shown.push(match p.median {
                    Some(_) => format!("pays back in {}", p.describe()),
                    // "not within the horizon (5 years)"
                    None => format!("does not pay back {}", p.describe().trim_start_matches("not ")),
                });
            }
            let _ = writeln!(s, "    {}", shown.join("; "));
        }
    }
    s
}

/// The text with its first letter lower case.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(chars).collect())
}
