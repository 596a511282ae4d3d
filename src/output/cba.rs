//! The local cost-benefit account's outputs: `cba.csv` (every line of every comparison) and the terminal's block.

use super::files::{text_cell, write_csv, OutputError};
use super::format::{money, per_pound};
use crate::analysis::cba::{Cba, CbaComparison, Line, BENEFIT_ADJUSTMENTS};
use crate::model::cba::CbaSettings;
use std::fmt::Write;
use std::path::Path;

/// A share as a percentage with no more decimals than it needs: "15%", "2.5%".
pub fn share(x: f64) -> String {
    let text = format!("{:.2}", 100.0 * x);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The share a line's adjustment applied, where it is one.
pub fn share_of(settings: &CbaSettings, line: &Line) -> Option<f64> {
    let shares = [
        settings.optimism_bias_benefits,
        settings.deadweight,
        settings.attribution_to_others,
        settings.displacement,
        settings.drop_off,
    ];
    match (line.group, line.key.as_str()) {
        ("adjustment", key) => (BENEFIT_ADJUSTMENTS.iter().position(|(k, _)| *k == key)).map(|i| shares[i]),
        ("cost", "optimism_bias_costs") => Some(settings.optimism_bias_costs),
        _ => None,
    }
}

/// cba.csv: per comparison, every line of the account (gross benefits by stream, what each adjustment removed with
/// its share, benefits by category, cost, NPPV) with its mean and 95% interval, then the ratios or why each is
/// withheld. Per person, discounted.
pub fn write_cba(path: &Path, cba: &Cba) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "group",
            "line",
            "share",
            "mean",
            "p2_5",
            "p97_5",
            "note",
        ])?;
        for c in &cba.comparisons {
            for l in &c.lines {
                w.write_record([
                    text_cell(&c.arm),
                    text_cell(&c.comparator),
                    l.group.to_string(),
                    text_cell(&l.key),
                    share_of(&cba.settings, l).map_or(String::new(), |s| s.to_string()),
                    l.figure.mean.to_string(),
                    l.figure.p2_5.to_string(),
                    l.figure.p97_5.to_string(),
                    String::new(),
                ])?;
            }
            for r in &c.ratios {
                w.write_record([
                    text_cell(&c.arm),
                    text_cell(&c.comparator),
                    "ratio".to_string(),
                    r.key.to_string(),
                    String::new(),
                    r.value.map_or(String::new(), |v| v.to_string()),
                    String::new(),
                    String::new(),
                    r.withheld.map_or(String::new(), |n| n.note().to_string()),
                ])?;
            }
        }
        Ok(())
    })
}

/// A line's figure with its interval: "£1,234 (95% interval £1,000 to £1,500)".
pub fn with_interval(l: &Line) -> String {
    format!(
        "{} (95% interval {} to {})",
        money(l.figure.mean),
        money(l.figure.p2_5),
        money(l.figure.p97_5)
    )
}

/// The lines a reader needs, in order, each with its words: benefits by category, what each adjustment removed,
/// the cost and the NPPV. Fiscal streams by payer are left to `cba.csv`.
pub fn summary_lines<'a>(c: &'a CbaComparison, settings: &CbaSettings) -> Vec<(String, &'a Line)> {
    let mut out = Vec::new();
    let mut push = |group: &str, key: &str, words: String| {
        if let Some(l) = c.line(group, key) {
            out.push((words, l));
        }
    };
    push("gross_benefit", "total", "benefits before adjustment".into());
    for (key, words) in BENEFIT_ADJUSTMENTS {
        let s = c
            .line("adjustment", key)
            .and_then(|l| share_of(settings, l))
            .unwrap_or(0.0);
        push("adjustment", key, format!("− {words} ({})", share(s)));
    }
    for (key, words, shown) in [
        ("fiscal_cashable", "fiscal benefits, cashable", true),
        ("fiscal_non_cashable", "fiscal benefits, non-cashable", true),
        ("economic", "economic benefits", !settings.economic.is_empty()),
        ("social", "social benefits", !settings.social.is_empty()),
        ("total", "all benefits after adjustment", true),
    ] {
        if shown {
            push("benefit", key, words.into());
        }
    }
    push("cost", "before_optimism_bias", "extra spend".into());
    push(
        "cost",
        "optimism_bias_costs",
        format!("+ optimism bias on costs ({})", share(settings.optimism_bias_costs)),
    );
    push("cost", "total", "cost".into());
    push("net", "nppv", "net present public value".into());
    out
}

/// The terminal's block: per comparison, the account line by line and the ratios.
pub fn cba_lines(cba: &Cba) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nLocal cost-benefit account (HM Treasury guidance for local partnerships, 2014), per person, discounted; cba.csv has every line by payer"
    );
    for c in &cba.comparisons {
        let _ = writeln!(s, "{} vs {}:", c.arm, c.comparator);
        for (words, l) in summary_lines(c, &cba.settings) {
            let _ = writeln!(s, "  {words:<52} {}", with_interval(l));
        }
        for r in &c.ratios {
            let shown = match (r.value, r.withheld) {
                (Some(v), _) => per_pound(v),
                (None, Some(why)) => format!("not shown: {}", why.explanation()),
                (None, None) => "–".into(),
            };
            let _ = writeln!(s, "  {:<52} {shown}", r.label);
        }
    }
    s
}
