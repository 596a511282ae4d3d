//! The self-contained HTML report (`report.html`): headline figures in words, cost-effectiveness results with their
//! plots and data, the inputs with their sources, provenance and Monte Carlo precision.
//!
//! Everything is computed here and handed to a minijinja template, which HTML-escapes every value it prints: names,
//! labels, sources and descriptions come from the scenario file, which is untrusted input. The only unescaped
//! content is the SVG carecast's own plotting code wrote (plotters escapes the text it draws).

mod budget;
mod cba;
mod figures;
mod headline;
mod inputs;
pub mod live;
mod study;
mod subgroups;

pub(in crate::output) use figures::svg_path;
pub use study::{render_study_page, write_study_page, Finding, Study, StudyPage};

pub(in crate::output) use inputs::{citation, settings as input_settings};

use crate::analysis::budget::Budget;
use crate::analysis::stats::Summary;
use crate::analysis::Analysis;
use crate::model::{AsWritten, Model};
use crate::output::files::{write_text, OutputError};
use crate::output::format::{count, money, number, per_unit};
use minijinja::{escape_formatter, Environment, Value};
use serde::Serialize;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = include_str!("report.html");
/// The macros every page shares: tables, figures, inputs, provenance and studies.
const PARTS: &str = include_str!("parts.html");
/// The stylesheet every page shares, inlined (the page's security policy allows no other).
const STYLE: &str = include_str!("style.css");

/// What a report needs to know beyond the analysis: the scenario (absent for `carecast analyse`) and the provenance.
pub struct ReportInput<'a> {
    pub title: String,
    pub analysis: &'a Analysis,
    /// Arm names and labels, in table order.
    pub arms: Vec<(String, String)>,
    /// The budget impact, when the scenario gives a start date.
    pub budget: Option<&'a Budget>,
    /// The local cost-benefit account, when the scenario has a `[cba]` block.
    pub cba: Option<&'a crate::analysis::cba::Cba>,
    /// Results by subgroup, where the scenario has two or more subgroups (else empty).
    pub subgroups: &'a [crate::analysis::subgroups::SubgroupResult],
    /// The scenario behind the run (absent for `carecast analyse`).
    pub scenario: Option<ScenarioFacts<'a>>,
    /// Label–value rows: version, file, hash, seed, iterations, date, command...
    pub provenance: Vec<(String, String)>,
    /// The plots the run drew.
    pub figures: Figures<'a>,
    /// Sensitivity and value-of-information analyses the run computed (EVPPI of a parameter sample).
    pub studies: &'a [Study],
}

/// The plots a report inlines: the SVG files a run wrote, or SVG text drawn in memory (`carecast serve`).
#[derive(Clone, Copy)]
pub enum Figures<'a> {
    Files(&'a [PathBuf]),
    Memory(&'a crate::output::plots::SvgSink),
}

/// The scenario a report describes: its compiled model and its inputs as the file writes them.
#[derive(Clone, Copy)]
pub struct ScenarioFacts<'a> {
    pub model: &'a Model,
    pub as_written: &'a AsWritten,
}

/// A table for the template: headers and rows of cells, all plain text.
#[derive(Serialize, Default)]
pub struct Table {
    caption: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One headline figure with its plain-English reading.
#[derive(Serialize)]
pub(super) struct Card {
    who: String,
    figure: String,
    interval: String,
    probability: String,
    net: String,
    sentence: String,
}

#[derive(Serialize)]
pub(super) struct Headline {
    arm: String,
    comparator: String,
    cards: Vec<Card>,
    payback: String,
    spend_note: String,
}

/// A plot as the report shows it: its SVG inlined, with a title, alternative text and the numbers behind it.
#[derive(Serialize)]
pub struct Figure {
    id: String,
    title: String,
    alt: String,
    svg: Value,
    table: Table,
}

#[derive(Serialize)]
struct Context<'a> {
    title: String,
    summary: Option<String>,
    subtitle: String,
    headlines: Vec<Headline>,
    budget: Option<budget::BudgetSection>,
    cba: Option<cba::CbaSection>,
    subgroups: Option<subgroups::SubgroupSection>,
    ce_table: Option<Table>,
    frontier_table: Option<Table>,
    figures: Vec<Figure>,
    per_year: Vec<Table>,
    inputs: Option<inputs::Inputs>,
    provenance: Vec<(String, String)>,
    precision: Table,
    precision_verdict: String,
    warnings: Vec<String>,
    studies: &'a [Study],
    /// Whom every figure is for unless it says otherwise: "per person", or "for the service".
    per: &'static str,
}

/// Renders the report to `dir/report.html`.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<(), OutputError> {
    let path = dir.join("report.html");
    let html = render(input).map_err(|e| OutputError::write(&path, e))?;
    write_text(&path, &html)
}

/// Renders the report as a string.
pub fn render(input: &ReportInput) -> Result<String, String> {
    render_page("report.html", TEMPLATE, &context(input)?)
}

/// Renders the page template `source` (named `name`) with `context`, in the [`environment`] every page shares.
fn render_page(name: &'static str, source: &'static str, context: &impl Serialize) -> Result<String, String> {
    let mut env = environment()?;
    env.add_template(name, source).map_err(|e| e.to_string())?;
    env.get_template(name)
        .and_then(|t| t.render(Value::from_serialize(context)))
        .map_err(|e| e.to_string())
}

/// The template environment, with the shared macros and stylesheet: every printed value is HTML-escaped (templates
/// named *.html), and every minus sign in it is tied to the number after it, so that no text in the report, prose
/// or table cell, breaks a line between "−" and "£1,120". Values marked safe (carecast's own SVG) are printed as
/// they are.
fn environment() -> Result<Environment<'static>, String> {
    let mut env = Environment::new();
    env.add_template("parts.html", PARTS).map_err(|e| e.to_string())?;
    env.add_template("style.css", STYLE).map_err(|e| e.to_string())?;
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if !value.is_safe() && text.contains('−') => {
            escape_formatter(out, state, &Value::from(keep_minus_with_number(text)))
        }
        _ => escape_formatter(out, state, value),
    });
    Ok(env)
}

/// Puts a word joiner (U+2060) after each minus sign, so that a line never breaks between the sign and its number;
/// text that already has one keeps exactly one.
fn keep_minus_with_number(text: &str) -> String {
    text.replace("−\u{2060}", "−").replace('−', "−\u{2060}")
}

pub(super) fn label_of(input: &ReportInput, name: &str) -> String {
    input
        .arms
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| name.to_string(), |(_, l)| l.clone())
}

pub(super) fn interval(s: &Summary, f: fn(f64) -> String) -> String {
    format!("{} to {}", f(s.p2_5), f(s.p97_5))
}

fn context<'a>(input: &ReportInput<'a>) -> Result<Context<'a>, String> {
    let a = input.analysis;
    let years = input.scenario.map(|s| s.model.settings.horizon_years);
    let over = years.map_or(String::new(), |y| format!(" over {}", count(y as u64, "year")));
    let headlines = a
        .comparisons
        .iter()
        .map(|c| headline::headline(input, c, &over))
        .collect();
    let primary = a.primary();
    let ce_table = primary.map(|o| headline::ce_table(input, o));
    let frontier_table = a
        .incremental
        .as_ref()
        .zip(primary)
        .filter(|_| input.arms.len() > 2)
        .map(|(rows, o)| Table {
            caption: format!("Fully incremental analysis on {} (arms by increasing cost)", o.label),
            headers: [
                "Arm",
                "Mean cost",
                &format!("Mean {}", o.label),
                "Status",
                &format!("ICER vs previous on frontier (£ per {})", per_unit(o)),
            ]
            .map(String::from)
            .to_vec(),
            rows: rows
                .iter()
                .map(|r| {
                    vec![
                        label_of(input, &r.arm),
                        money(r.row.mean_cost),
                        number(r.row.mean_effect),
                        r.row.status.replace('_', " "),
                        r.row.icer.map_or("–".into(), money),
                    ]
                })
                .collect(),
        });
    let figures = figures::figures(input, primary)?;
    let per_year = a
        .cumulative_net_savings
        .iter()
        .map(|c| Table {
            caption: format!(
                "Cumulative net savings {} by year, {} vs {} (from {})",
                a.per,
                label_of(input, &c.arm),
                label_of(input, &c.comparator),
                count(c.iterations as u64, "iteration")
            ),
            headers: ["Year", "Mean", "2.5%", "25%", "Median", "75%", "97.5%"]
                .map(String::from)
                .to_vec(),
            rows: (0..c.mean.len())
                .map(|y| {
                    vec![
                        (y + 1).to_string(),
                        money(c.mean[y]),
                        money(c.p2_5[y]),
                        money(c.p25[y]),
                        money(c.p50[y]),
                        money(c.p75[y]),
                        money(c.p97_5[y]),
                    ]
                })
                .collect(),
        })
        .collect();
    let (precision, precision_verdict) = headline::precision(input);
    let scenario = input.scenario;
    Ok(Context {
        title: input.title.clone(),
        summary: scenario.and_then(|s| s.model.meta.summary.clone()),
        subtitle: subtitle(input),
        headlines,
        budget: budget::section(input)?,
        cba: cba::section(input),
        subgroups: subgroups::section(input),
        ce_table,
        frontier_table,
        figures,
        per_year,
        inputs: scenario.as_ref().map(inputs::inputs),
        provenance: input.provenance.clone(),
        precision,
        precision_verdict,
        warnings: a.warnings.clone(),
        studies: input.studies,
        per: a.per,
    })
}

fn subtitle(input: &ReportInput) -> String {
    let iterations = count(input.analysis.iterations as u64, "iteration");
    match input.scenario {
        Some(scenario) => format!("{iterations} · {}", settings_line(scenario.model)),
        None => format!("{iterations} of an external PSA sample"),
    }
}

/// The model's settings in one line, as every page's subtitle gives them: "10 years in year cycles · accrual: … ·
/// discounting: … · prices: GBP 2010".
pub(in crate::output) fn settings_line(m: &Model) -> String {
    let s = &m.settings;
    format!(
        "{} in {} cycles · accrual: {} · discounting: {}, {} (costs {}, outcomes {}) · prices: {}{}",
        count(s.horizon_years as u64, "year"),
        s.cycle.name(),
        s.describe_accrual(&m.outcomes),
        s.discounting.name(),
        s.discount_timing.describe(),
        s.discount_costs.describe(),
        s.discount_outcomes.describe(),
        m.meta.currency,
        m.meta.price_year.map_or(String::new(), |y| format!(" {y}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(template: &str, text: &str) -> String {
        let mut env = environment().unwrap();
        env.add_template("t.html", template).unwrap();
        env.get_template("t.html")
            .unwrap()
            .render(minijinja::context! { text => text, svg => Value::from_safe_string(text.to_string()) })
            .unwrap()
    }

    #[test]
    fn every_printed_minus_sign_is_joined_to_its_number() {
        let joined = "95% interval −\u{2060}£1,120 to −\u{2060}£30";
        assert_eq!(
            printed("<p>{{ text }}</p>", "95% interval −£1,120 to −£30"),
            format!("<p>{joined}</p>")
        );
        // In attributes too, and through a macro (as every table cell is printed).
        assert_eq!(printed(r#"<b title="{{ text }}">"#, "−1"), "<b title=\"−\u{2060}1\">");
        let through_macro = "{% macro cell(c) %}<td>{{ c }}</td>{% endmacro %}{{ cell(text) }}";
        assert_eq!(printed(through_macro, "−£5"), "<td>−\u{2060}£5</td>");
        // Text already joined (the subgroup table does it itself) keeps one joiner, not two.
        assert_eq!(printed("{{ text }}", joined), joined);
    }

    #[test]
    fn escaping_still_applies_and_safe_markup_is_left_alone() {
        assert_eq!(
            printed("{{ text }}", "<b>−1 & 2</b>"),
            "&lt;b&gt;−\u{2060}1 &amp; 2&lt;&#x2f;b&gt;"
        );
        assert_eq!(printed("{{ svg }}", "<text>−1</text>"), "<text>−1</text>");
        assert_eq!(printed("{{ text }}", "no minus - here"), "no minus - here");
    }
}
