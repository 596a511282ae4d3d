//! The report of a sensitivity or value-of-information analysis (`carecast tornado`, `threshold` and `evppi`): what
//! it found in words, each finding's plot and numbers, the scenario's inputs and the provenance. The same [`Study`]
//! is a section of a run's report where the run computed it (`carecast analyse` with a parameter sample).

use super::figures::read_svg;
use super::{inputs, render_page, Figure, ScenarioFacts, Table};
use crate::output::files::{write_text, OutputError};
use serde::Serialize;
use std::path::Path;

const TEMPLATE: &str = include_str!("study.html");

/// A sensitivity or value-of-information analysis as a report section.
#[derive(Serialize)]
pub struct Study {
    /// The section's anchor: "tornado", "threshold", "evppi".
    pub id: String,
    pub heading: String,
    /// What the analysis found, in sentences.
    pub intro: Vec<String>,
    pub warnings: Vec<String>,
    pub findings: Vec<Finding>,
    /// How it was done, as notes under the findings.
    pub method: Vec<String>,
}

/// One finding: a heading (a comparison), sentences, a plot and its numbers.
#[derive(Serialize)]
pub struct Finding {
    pub heading: String,
    pub sentences: Vec<String>,
    pub figure: Option<Figure>,
    pub table: Option<Table>,
}

/// A page of its own for one study of a scenario.
pub struct StudyPage<'a> {
    pub title: String,
    pub subtitle: String,
    pub study: Study,
    pub scenario: ScenarioFacts<'a>,
    /// Label–value rows: version, file, hash, the command that reproduces it...
    pub provenance: Vec<(String, String)>,
}

#[derive(Serialize)]
struct PageContext<'a> {
    title: &'a str,
    subtitle: &'a str,
    summary: Option<&'a str>,
    study: &'a Study,
    inputs: inputs::Inputs,
    provenance: &'a [(String, String)],
    per: &'static str,
}

impl Figure {
    /// The plot saved at `svg` (a file carecast drew), with its title, alternative text and the table of its numbers.
    pub fn from_file(svg: &Path, title: String, alt: String, table: Table) -> Result<Figure, OutputError> {
        let id = svg
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().to_string());
        Ok(Figure {
            id,
            title,
            alt,
            svg: read_svg(svg).map_err(|e| OutputError::write(svg, e))?,
            table,
        })
    }
}

impl Table {
    /// A table of plain-text cells under `headers`, the first cell of each row heading it.
    pub fn new(caption: impl Into<String>, headers: &[&str], rows: Vec<Vec<String>>) -> Table {
        Table {
            caption: caption.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        }
    }
}

/// Renders `page` to `dir/report.html`.
pub fn write_study_page(dir: &Path, page: &StudyPage) -> Result<(), OutputError> {
    let path = dir.join("report.html");
    let html = render_study_page(page).map_err(|e| OutputError::write(&path, e))?;
    write_text(&path, &html)
}

/// Renders `page` as a string.
pub fn render_study_page(page: &StudyPage) -> Result<String, String> {
    let model = page.scenario.model;
    let context = PageContext {
        title: &page.title,
        subtitle: &page.subtitle,
        summary: model.meta.summary.as_deref(),
        study: &page.study,
        inputs: inputs::inputs(&page.scenario),
        provenance: &page.provenance,
        per: model.meta.results_for.per(),
    };
    render_page("study.html", TEMPLATE, &context)
}
