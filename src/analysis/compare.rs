//! Finished runs side by side (`carecast compare`): their headline figures, budget impact and return by payer, read
//! from each run's summary.json, and what differs in their inputs (provenance, settings, arms and parameters).
//!
//! A run directory is refused, with its path, when it is not one (no summary.json, or the summary of `carecast
//! analyse`), when it is incomplete (a hidden `.incomplete-` directory of a run that has not finished, or a summary
//! without results), or when another version of carecast wrote it in a layout this one may read differently.

use crate::error::InputError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One figure of one run: its mean and, where it has one, its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub mean: Option<f64>,
    pub p2_5: Option<f64>,
    pub p97_5: Option<f64>,
}

/// What a figure is: its section (`headline`, `return`, `budget`), the comparison (`arm vs comparator`) and the
/// measure, which names its unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FigureKey {
    pub section: &'static str,
    pub comparison: String,
    pub measure: String,
}

/// A finished run as summary.json describes it.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub dir: PathBuf,
    /// The carecast version that wrote it.
    pub version: String,
    /// Each figure, in the order the run gives them.
    pub figures: Vec<(FigureKey, Figure)>,
    /// Each input as text, by what it is ("seed", "setting horizon_years", "parameter p (base)"...).
    pub inputs: BTreeMap<String, String>,
}

/// Runs side by side: the runs, each figure with its value in every run (None where a run lacks it), and the
/// inputs that differ with their value in every run.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub runs: Vec<RunSummary>,
    pub figures: Vec<(FigureKey, Vec<Option<Figure>>)>,
    pub differences: Vec<(String, Vec<Option<String>>)>,
}

/// Reads the run in `dir`, refusing what is not a finished run of a compatible version of carecast.
pub fn read_run(dir: &Path) -> Result<RunSummary, InputError> {
    let refuse = |why: String| InputError::file(dir, why);
    if !dir.is_dir() {
        return Err(refuse("is not a run directory: there is no such directory".into()));
    }
    let hidden = dir
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(".incomplete"));
    let path = dir.join("summary.json");
    if hidden || (!path.exists() && dir.join(".lock").exists()) {
        return Err(refuse(
            "is an incomplete run: carecast was still writing it, or the run stopped before it finished".into(),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        refuse(format!(
            "is not a run directory: it has no readable summary.json ({e}); give a directory that `carecast run` wrote, such as output/<scenario>/<run-id>"
        ))
    })?;
    let json: Value = serde_json::from_str(&text)
        .map_err(|e| InputError::file(&path, format!("is not a complete summary of a run: {e}")))?;
    let provenance = &json["provenance"];
    if provenance["program"] != "carecast" || provenance["input_file"].is_string() {
        return Err(refuse(
            "is not the directory of a `carecast run` (its summary.json is another program's, or that of `carecast analyse`)".into(),
        ));
    }
    let version = provenance["version"].as_str().unwrap_or("").to_string();
    if !compatible(&version, env!("CARGO_PKG_VERSION")) {
        return Err(refuse(format!(
            "was written by carecast {version}, whose summary.json this carecast {} may read wrongly; compare runs of the same version (rerun it with this version)",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if !json["results"]["comparisons"].is_array() {
        return Err(InputError::file(&path, "is incomplete: it has no results"));
    }
    Ok(RunSummary {
        dir: dir.to_path_buf(),
        version,
        figures: figures(&json),
        inputs: inputs(&json),
    })
}

/// Whether a summary written by carecast `theirs` reads the same in carecast `ours`: the same major version, and
/// for versions 0.x the same minor version (semantic versioning's rule for what may change).
pub fn compatible(theirs: &str, ours: &str) -> bool {
    let parts = |v: &str| -> Option<(u64, u64)> {
        let mut it = v.split('.');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
    };
    match (parts(theirs), parts(ours)) {
        (Some((a, b)), Some((c, d))) => a == c && (a > 0 || b == d),
        _ => false,
    }
}

/// The runs side by side; the runs must be at least two.
pub fn compare(runs: Vec<RunSummary>) -> Comparison {
    let mut keys: Vec<FigureKey> = Vec::new();
    for run in &runs {
        for (k, _) in &run.figures {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let figures = keys
        .into_iter()
        .map(|k| {
            let values = runs
                .iter()
                .map(|r| r.figures.iter().find(|(key, _)| *key == k).map(|(_, f)| *f))
                .collect();
            (k, values)
        })
        .collect();
    let mut names: Vec<&String> = runs.iter().flat_map(|r| r.inputs.keys()).collect();
    names.sort();
    names.dedup();
    let differences = names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<Option<String>> = runs.iter().map(|r| r.inputs.get(name).cloned()).collect();
            values.iter().any(|v| *v != values[0]).then(|| (name.clone(), values))
        })
        .collect();
    Comparison {
        runs,
        figures,
        differences,
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// A summary's mean and 95% interval (`{mean, p2_5, p97_5}`).
fn summary(v: &Value) -> Option<Figure> {
    v.is_object().then(|| Figure {
        mean: num(&v["mean"]),
        p2_5: num(&v["p2_5"]),
        p97_5: num(&v["p97_5"]),
    })
}

fn single(v: Option<f64>) -> Figure {
    Figure {
        mean: v,
        p2_5: None,
        p97_5: None,
    }
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// The figures of one comparison, as they are read.
struct Figures<'a> {
    comparison: String,
    out: &'a mut Vec<(FigureKey, Figure)>,
}

impl Figures<'_> {
    fn push(&mut self, section: &'static str, measure: impl Into<String>, figure: Option<Figure>) {
        if let Some(f) = figure {
            let key = FigureKey {
                section,
                comparison: self.comparison.clone(),
                measure: measure.into(),
            };
            self.out.push((key, f));
        }
    }
}

/// A payer as summary.json names it, in words: "total" is all payers.
fn payer(v: &Value) -> String {
    match v.as_str() {
        Some("total") => "all payers".to_string(),
        _ => text(v),
    }
}

/// A number as an input's text, without the last digits of floating-point noise: 15638.000000000002 is 15638.
fn rounded(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.is_finite() && x != 0.0 => {
            let digits = 10 - x.abs().log10().ceil() as i32;
            let scale = 10f64.powi(digits.clamp(0, 15));
            ((x * scale).round() / scale).to_string()
        }
        _ => text(v),
    }
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Every figure compared: the headline of each comparison, its return by payer and its budget impact.
fn figures(json: &Value) -> Vec<(FigureKey, Figure)> {
    let results = &json["results"];
    let mut out = Vec::new();
    for c in list(&results["comparisons"]) {
        let mut figures = Figures {
            comparison: format!("{} vs {}", text(&c["arm"]), text(&c["comparator"])),
            out: &mut out,
        };
        headline(&mut figures, results, c);
        for r in list(&results["roi"]).iter().filter(|r| r["arm"] == c["arm"]) {
            let measure = format!(
                "£ back per £1: savings to {} per £1 spent by {} ({} savings)",
                payer(&r["savings_payer"]),
                payer(&r["spend_payer"]),
                text(&r["basis"])
            );
            let b = &r["bcr_per_iteration"];
            let figure = Figure {
                mean: num(&r["bcr"]),
                p2_5: num(&b["p2_5"]),
                p97_5: num(&b["p97_5"]),
            };
            figures.push("return", measure, Some(figure));
        }
        for row in list(&json["budget"]["rows"]).iter().filter(|r| r["arm"] == c["arm"]) {
            let measure = format!(
                "budget impact, {}, {} {} (£, population)",
                payer(&row["payer"]),
                text(&row["financial_year"]),
                text(&row["basis"])
            );
            let figure = Figure {
                mean: num(&row["impact"]),
                p2_5: num(&row["impact_p2_5"]),
                p97_5: num(&row["impact_p97_5"]),
            };
            figures.push("budget", measure, Some(figure));
        }
    }
    out
}

/// The headline of comparison `c`: incremental cost and outcomes, net savings (all payers and each payer), ICER,
/// INMB, P(cost-effective) and payback.
fn headline(figures: &mut Figures, results: &Value, c: &Value) {
    let h = "headline";
    figures.push(h, "incremental cost (£ per person)", summary(&c["incremental_cost"]));
    for (o, s) in list(&results["outcomes"]).iter().zip(list(&c["incremental_outcomes"])) {
        figures.push(h, format!("incremental {} (per person)", text(&o["label"])), summary(s));
    }
    figures.push(h, "net savings, all payers (£ per person)", summary(&c["net_savings"]));
    figures.push(h, "P(cost-saving)", Some(single(num(&c["prob_cost_saving"]))));
    for p in list(&c["net_savings_by_payer"]) {
        let measure = format!("net savings, {} (£ per person)", text(&p["payer"]));
        figures.push(h, measure, summary(&p["net_savings"]));
    }
    if c["icer"].is_object() {
        let icer = Some(single(num(&c["icer"]["value"])));
        figures.push(h, "ICER (£ per unit of the primary outcome)", icer);
    }
    figures.push(h, "INMB at λ (£ per person)", summary(&c["inmb"]));
    if let Some(p) = num(&c["prob_cost_effective"]) {
        figures.push(h, "P(cost-effective) at λ", Some(single(Some(p))));
    }
    for p in list(&results["payback_cycles"]).iter().filter(|p| p["arm"] == c["arm"]) {
        let figure = Figure {
            mean: num(&p["median"]),
            p2_5: num(&p["p2_5"]),
            p97_5: num(&p["p97_5"]),
        };
        figures.push(
            h,
            format!("payback ({}s; empty: beyond the horizon)", text(&p["unit"])),
            Some(figure),
        );
    }
}

/// Every input as text: provenance (version, scenario file and hash, seed, iterations, mode, parameter changes),
/// settings, arms, and each parameter's distribution and mean.
fn inputs(json: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let p = &json["provenance"];
    for key in [
        "version",
        "scenario_file",
        "scenario_sha256",
        "seed",
        "iterations",
        "mode",
        "overrides",
    ] {
        out.insert(key.replace('_', " "), text(&p[key]));
    }
    if let Some(settings) = json["settings"].as_object() {
        for (k, v) in settings {
            out.insert(format!("setting {k}"), text(v));
        }
    }
    for arm in json["arms"].as_array().into_iter().flatten() {
        let comparator = arm["comparator"]
            .as_u64()
            .and_then(|c| json["arms"][c as usize]["name"].as_str())
            .map_or("the comparator".to_string(), |c| format!("compared with {c}"));
        out.insert(
            format!("arm {}", text(&arm["name"])),
            format!("{} ({comparator})", text(&arm["label"])),
        );
    }
    for parameter in json["parameters"].as_array().into_iter().flatten() {
        let spec = &parameter["spec"];
        let value = match spec["kind"].as_str() {
            Some("fixed") => format!("fixed {}", text(&spec["value"])),
            Some("expression") => format!("= {}", text(&spec["expression"])),
            _ => {
                let what = spec["distribution"]
                    .as_str()
                    .map_or_else(|| "Dirichlet component".to_string(), String::from);
                format!("{what}, mean {}", rounded(&spec["mean"]))
            }
        };
        let name = format!("parameter {} ({})", text(&parameter["name"]), text(&parameter["scope"]));
        out.insert(name, value);
    }
    if let Some(b) = json["budget"].as_object() {
        out.insert("budget population".into(), text(&b["population"]));
        out.insert("budget first financial year".into(), text(&b["first_financial_year"]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::compatible;

    #[test]
    fn versions_are_compatible_by_semantic_versioning() {
        assert!(compatible("0.1.0", "0.1.7"));
        assert!(!compatible("0.2.0", "0.1.0"));
        assert!(compatible("1.2.0", "1.9.1"));
        assert!(!compatible("2.0.0", "1.9.1"));
        assert!(!compatible("", "0.1.0"));
        assert!(!compatible("x.y", "0.1.0"));
    }
}
