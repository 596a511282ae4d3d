//! The outputs of `carecast twoway`: twoway.csv (the measure at every point of the grid, per comparison) and a heat
//! map per comparison, its colours diverging about break-even with the break-even contour drawn.

use super::files::{text_cell, write_csv, OutputError};
use super::format::{figure, money, per_pound, FileNames};
use super::plots;
use super::sensitivity::measure_label;
use crate::analysis::sensitivity::Measure;
use crate::analysis::twoway::TwoWay;
use crate::model::Model;
use std::path::{Path, PathBuf};

/// Writes twoway.csv: a row per comparison and grid point (the y parameter varies slowest), with the measure's value
/// there (empty where it has none, such as a BCR without spend).
pub fn write_twoway_csv(path: &Path, grids: &[TwoWay]) -> Result<(), OutputError> {
    write_csv(path, |w| {
        w.write_record([
            "arm",
            "comparator",
            "measure",
            "x_parameter",
            "x",
            "y_parameter",
            "y",
            "value",
            "break_even",
        ])?;
        for g in grids {
            for (iy, row) in g.values.iter().enumerate() {
                for (ix, v) in row.iter().enumerate() {
                    w.write_record([
                        text_cell(&g.arm),
                        text_cell(&g.comparator),
                        g.measure.name().to_string(),
                        text_cell(&g.x.parameter),
                        g.x.values[ix].to_string(),
                        text_cell(&g.y.parameter),
                        g.y.values[iy].to_string(),
                        if v.is_finite() { v.to_string() } else { String::new() },
                        g.break_even.to_string(),
                    ])?;
                }
            }
        }
        Ok(())
    })
}

/// A heat map of the measure over the grid per comparison (`twoway_<arm>.png/.svg`).
pub fn write_twoway_figures(dir: &Path, model: &Model, grids: &[TwoWay]) -> Result<Vec<PathBuf>, OutputError> {
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let arms: Vec<String> = model.arms.iter().map(|a| a.name.clone()).collect();
    let label_of = |name: &str| {
        model
            .arms
            .iter()
            .find(|a| a.name == name)
            .map_or_else(|| name.to_string(), |a| a.label.clone())
    };
    let mut files = Vec::new();
    for g in grids {
        let (label, format) = measure_label(g.measure, model);
        let note = format!(
            "On the model at its means, the other parameters fixed at their means. Base case: {} = {}, {} = {}: {}.",
            g.x.parameter,
            figure(g.x.base),
            g.y.parameter,
            figure(g.y.base),
            if g.measure == Measure::Bcr {
                per_pound(g.base)
            } else {
                money(g.base)
            }
        );
        files.extend(plots::heat_map(
            dir.join(format!("twoway_{}", FileNames::new(&arms).of(&g.arm))),
            &format!("{title}: {label}, {} vs {}", label_of(&g.arm), label_of(&g.comparator)),
            &g.x.parameter,
            &g.y.parameter,
            &g.x.values,
            &g.y.values,
            &g.values,
            &label,
            format,
            Some(g.break_even),
            &note,
        )?);
    }
    Ok(files)
}
