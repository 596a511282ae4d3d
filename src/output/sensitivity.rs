//! The outputs of the deterministic analyses: tornado.csv and a tornado plot per comparison; threshold.csv and the
//! measure plotted against the parameter.

use super::files::{text_cell, write_csv, OutputError};
use super::format::{figure, money, per_unit, FileNames};
use super::plots;
use crate::analysis::sensitivity::{Measure, Threshold, TornadoBar};
use crate::model::Model;
use std::path::{Path, PathBuf};

/// The model's arm names, in order.
fn arm_names(model: &Model) -> Vec<String> {
    model.arms.iter().map(|a| a.name.clone()).collect()
}

/// The arm's label, or its name where the model has no such arm.
pub(super) fn arm_label(model: &Model, arm: &str) -> String {
    (model.arms.iter())
        .find(|a| a.name == arm)
        .map_or_else(|| arm.to_string(), |a| a.label.clone())
}

/// The parameter's name with its scope (where not the base model) and its unit (where the file gives one).
pub(super) fn parameter_words(model: &Model, name: &str, scope: &str) -> String {
    let unit = (model.parameters.iter())
        .find(|p| p.name == name && p.scope == scope)
        .and_then(|p| p.unit.clone());
    let scoped = if scope == "base" {
        name.to_string()
    } else {
        format!("{name} ({scope})")
    };
    unit.map_or(scoped.clone(), |u| format!("{scoped} ({u})"))
}

/// Writes tornado.csv.
pub fn write_tornado_csv(path: &Path, measure: Measure, bars: &[TornadoBar]) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "measure",
            "parameter",
            "scope",
            "low",
            "high",
            "base",
            "at_low",
            "at_high",
            "swing",
        ])?;
        for b in bars {
            w.write_record([
                text_cell(&b.arm),
                text_cell(&b.comparator),
                measure.name().to_string(),
                text_cell(&b.parameter),
                text_cell(&b.scope),
                b.low.to_string(),
                b.high.to_string(),
                b.base.to_string(),
                b.at_low.to_string(),
                b.at_high.to_string(),
                b.swing().to_string(),
            ])?;
        }
        Ok(())
    })
}

/// Writes threshold.csv: a row per crossing (or one empty row where there is none), per comparison.
pub fn write_threshold_csv(path: &Path, thresholds: &[Threshold]) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "parameter",
            "measure",
            "break_even",
            "range_low",
            "range_high",
            "base_value",
            "base_measure",
            "crossing",
            "share_of_distribution_below",
        ])?;
        for t in thresholds {
            let rows: Vec<(String, String)> = if t.crossings.is_empty() {
                vec![(String::new(), String::new())]
            } else {
                t.crossings
                    .iter()
                    .zip(&t.share_below)
                    .map(|(c, s)| (c.to_string(), s.map_or(String::new(), |s| s.to_string())))
                    .collect()
            };
            for (crossing, share) in rows {
                w.write_record([
                    text_cell(&t.arm),
                    text_cell(&t.comparator),
                    text_cell(&t.parameter),
                    t.measure.name().to_string(),
                    t.break_even.to_string(),
                    t.range[0].to_string(),
                    t.range[1].to_string(),
                    t.base_value.to_string(),
                    t.base_measure.to_string(),
                    crossing,
                    share,
                ])?;
            }
        }
        Ok(())
    })
}

/// Tornado plots, one per comparison.
pub fn write_tornado_figures(
    dir: &Path,
    model: &Model,
    measure: Measure,
    bars: &[TornadoBar],
) -> Result<Vec<PathBuf>, OutputError> {
    let (label, format) = measure_label(measure, model);
    let mut files = Vec::new();
    let mut arms: Vec<&str> = bars.iter().map(|b| b.arm.as_str()).collect();
    arms.dedup();
    for arm in arms {
        let mine: Vec<&TornadoBar> = bars.iter().filter(|b| b.arm == arm).collect();
        let Some(first) = mine.first() else { continue };
        let plotted: Vec<plots::TornadoBar> = mine
            .iter()
            .map(|b| plots::TornadoBar {
                label: if b.scope == "base" {
                    b.parameter.clone()
                } else {
                    format!("{} ({})", b.parameter, b.scope)
                },
                low_value: b.low,
                high_value: b.high,
                at_low: b.at_low,
                at_high: b.at_high,
            })
            .collect();
        files.extend(plots::tornado(
            dir.join(format!("tornado_{}", FileNames::new(&arm_names(model)).of(arm))),
            // Without the scenario's title, which would push the arms' labels off the plot.
            &format!(
                "One-way sensitivity: {} vs {}",
                arm_label(model, &first.arm),
                arm_label(model, &first.comparator)
            ),
            &label,
            format,
            first.base,
            &plotted,
            "Each parameter at its 2.5th and 97.5th percentiles (or the given bounds), the others at their means.",
        )?);
    }
    Ok(files)
}

/// A measure's axis label and number format, for `model` (whose threshold and primary outcome the INMB uses).
pub(super) fn measure_label(measure: Measure, model: &Model) -> (String, plots::ValueFormat) {
    match measure {
        Measure::Bcr => ("£ back per £1 spent".into(), plots::ValueFormat::PerPound),
        Measure::NetSavings => (
            format!("Net savings {}", model.meta.results_for.per()),
            plots::ValueFormat::Money,
        ),
        Measure::Inmb => {
            let per = model
                .settings
                .primary_outcome
                .and_then(|o| model.outcome_info.get(o))
                .map_or_else(String::new, |o| format!(" per {}", per_unit(o)));
            (
                format!(
                    "INMB {} at λ = {}{per}",
                    model.meta.results_for.per(),
                    money(model.settings.threshold)
                ),
                plots::ValueFormat::Money,
            )
        }
    }
}

/// The measure against the parameter for each comparison, with the break-even line and the crossings marked.
pub fn write_threshold_figures(
    dir: &Path,
    model: &Model,
    thresholds: &[Threshold],
) -> Result<Vec<PathBuf>, OutputError> {
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let mut files = Vec::new();
    for t in thresholds {
        let (label, format) = measure_label(t.measure, model);
        let x: Vec<f64> = t.curve.iter().map(|p| p.0).collect();
        let y: Vec<f64> = t.curve.iter().map(|p| p.1).collect();
        let series = [plots::Series {
            label: format!("{} vs {}", arm_label(model, &t.arm), arm_label(model, &t.comparator)),
            x: &x,
            y: &y,
            band: None,
        }];
        let mut markers: Vec<(f64, String)> = t
            .crossings
            .iter()
            .map(|c| (*c, format!("threshold {}", figure(*c))))
            .collect();
        markers.push((t.base_value, format!("base case {}", figure(t.base_value))));
        let reference = if t.measure == Measure::Bcr {
            "break-even: £1 back per £1"
        } else {
            "break-even"
        };
        let mut note = "On the model at its means (the other parameters fixed at their means).".to_string();
        let whole_or_figure = |x: f64| {
            if x == x.trunc() && x.abs() < 1e15 {
                format!("{x:.0}")
            } else {
                figure(x)
            }
        };
        let undefined: Vec<String> = (t.curve.iter())
            .filter(|p| !p.1.is_finite())
            .map(|p| whole_or_figure(p.0))
            .collect();
        if t.measure == Measure::Bcr && !undefined.is_empty() {
            note.push_str(&format!(
                " There is no £ back per £1 where the extra spend is zero ({} = {}).",
                t.parameter,
                undefined.join(", ")
            ));
        }
        let x_label = parameter_words(model, &t.parameter, "base");
        files.extend(plots::sweep_lines(
            dir.join(format!("threshold_{}", FileNames::new(&arm_names(model)).of(&t.arm))),
            &format!("{title}: {label} as {} varies", t.parameter),
            &x_label,
            &label,
            format,
            &series,
            Some((t.break_even, reference)),
            &markers,
            &note,
        )?);
    }
    Ok(files)
}
