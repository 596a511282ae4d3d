//! `carecast serve`'s pages: the list of scenarios, a scenario's page (its inputs as a form, with their sources and
//! distributions, its settings and arms, and the results), and the results alone, as each change redraws them. The
//! results are the report's own parts: its headline, cost-effectiveness table and plots, through the same templates.

use super::{context, environment, ReportInput, ScenarioFacts, Table};
use crate::model::{EditableInput, InputForm, ParameterSpec};
use crate::output::format::number;
use minijinja::Value;
use serde::Serialize;

const PAGE: &str = include_str!("live.html");
const RESULTS: &str = include_str!("live_results.html");
const INDEX: &str = include_str!("live_index.html");
/// The page's own layout, after the report's stylesheet.
const LIVE_STYLE: &str = include_str!("live.css");

/// Renders `source` (named `name`) with `context` in the report's template environment, with the live stylesheet.
fn render(name: &'static str, source: &'static str, context: &impl Serialize) -> Result<String, String> {
    let mut env = environment()?;
    env.add_template("live.css", LIVE_STYLE).map_err(|e| e.to_string())?;
    env.add_template(name, source).map_err(|e| e.to_string())?;
    env.get_template(name)
        .and_then(|t| t.render(Value::from_serialize(context)))
        .map_err(|e| e.to_string())
}

/// A scenario in the list.
#[derive(Serialize)]
pub struct ListedScenario {
    /// Its address on the server (`/s/<id>`).
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    /// The file, as given on the command line.
    pub file: String,
}

/// The list of scenarios; `unreadable` says which files could not be read, and why.
pub fn render_index(scenarios: &[ListedScenario], unreadable: &[String]) -> Result<String, String> {
    #[derive(Serialize)]
    struct Index<'a> {
        scenarios: &'a [ListedScenario],
        unreadable: &'a [String],
    }
    render("live_index.html", INDEX, &Index { scenarios, unreadable })
}

/// The results of a run as the page shows them: the report's headline (with the run's warnings), its
/// cost-effectiveness table, and its plots of £ back per £1, the cost-effectiveness plane, acceptability and
/// cumulative net savings, each the report's SVG inlined as the report inlines it. Inlined, Chromium drew a change's
/// results 15–24 ms sooner in a 1280 × 900 window than with each plot an image of the same SVG (each image an SVG
/// document of its own to build), as timed by the page's script (README, `carecast serve`).
pub fn render_results(input: &ReportInput) -> Result<String, String> {
    #[derive(Serialize)]
    struct Results {
        headlines: Vec<super::Headline>,
        warnings: Vec<String>,
        ce_table: Option<Table>,
        figures: Vec<super::Figure>,
    }
    let all = context(input)?;
    let shown = |id: &str| id.starts_with("roi_") || id == "ce_plane" || id == "ceac" || id.starts_with("cumulative_");
    let results = Results {
        headlines: all.headlines,
        warnings: all.warnings,
        ce_table: all.ce_table,
        figures: all.figures.into_iter().filter(|f| shown(&f.id)).collect(),
    };
    render("live_results.html", RESULTS, &results)
}

/// A parameter's distribution in words, as the page shows it beside its fields: "Gamma(k = 44.4, θ = 2.16): mean
/// 96, 95% interval 70.5 to 126", "fixed at 0.7", "= a * b".
pub fn spec_words(spec: &ParameterSpec) -> String {
    match spec {
        ParameterSpec::Fixed { value } => format!("fixed at {}", number(*value)),
        ParameterSpec::Distribution {
            distribution,
            mean,
            low95,
            high95,
        } => format!(
            "{distribution}: mean {}, 95% interval {} to {}",
            number(*mean),
            number(*low95),
            number(*high95)
        ),
        ParameterSpec::DirichletComponent {
            component,
            mean,
            low95,
            high95,
            ..
        } => format!(
            "Dirichlet component {}: mean {}, 95% interval {} to {}",
            component + 1,
            number(*mean),
            number(*low95),
            number(*high95)
        ),
        ParameterSpec::Expression { expression } => format!("= {expression}"),
    }
}

/// A field of the form: one number a change can set.
#[derive(Serialize)]
struct FieldView {
    /// What `--set` takes: `name` or `name.field`.
    key: String,
    label: String,
    /// What the field holds now (the change, or the file's number).
    value: String,
    /// The file's number, or empty for an expression.
    original: String,
    error: Option<String>,
}

/// A parameter of the form.
#[derive(Serialize)]
struct InputView {
    name: String,
    unit: String,
    spec: String,
    source: String,
    citation: String,
    note: String,
    /// Where the file gives it at a price year of its own, that it is shown at the scenario's.
    price_note: Option<String>,
    /// Where else it is defined, in words (empty where only once).
    scopes: String,
    fields: Vec<FieldView>,
    /// Why it cannot be changed here, if it cannot.
    locked: Option<String>,
}

#[derive(Serialize)]
struct Group {
    title: String,
    inputs: Vec<InputView>,
}

/// A scenario's page.
pub struct LivePage<'a> {
    /// Its address on the server (`/s/<id>`).
    pub id: &'a str,
    /// The model as changed, and the file's inputs as written.
    pub facts: ScenarioFacts<'a>,
    /// Every input a change can reach, as the file writes it.
    pub inputs: &'a [EditableInput],
    /// The changes on the page, `name[.field]` and the text given for it.
    pub changes: &'a [(String, String)],
    /// Messages by `name[.field]`, `iterations` or `seed` (shown beside that field), or "" (above the results).
    pub errors: &'a [(String, String)],
    /// The run's iterations and seed, and the file's.
    pub iterations: (String, usize),
    pub seed: (String, u64),
    /// The most iterations the server runs.
    pub max_iterations: usize,
    /// The results, rendered by [`render_results`], where the changes ran.
    pub results: Option<String>,
    /// One line on the run ("10,000 iterations in 84 ms").
    pub status: String,
}

impl LivePage<'_> {
    /// The message for field `key`, if it has one.
    fn error(&self, key: &str) -> Option<String> {
        self.errors.iter().find(|(k, _)| k == key).map(|(_, e)| e.clone())
    }

    /// The run's field `key` (`iterations` or `seed`): what is typed, and the file's value.
    fn run_field(&self, key: &str, label: &str, (value, original): (&str, String)) -> FieldView {
        FieldView {
            key: key.into(),
            label: label.into(),
            value: value.into(),
            original,
            error: self.error(key),
        }
    }
}

/// How a field is labelled: "mean", "95% interval: low end", ...
fn field_label(field: &str) -> String {
    match field {
        "value" => "value".into(),
        "sd" => "standard deviation".into(),
        "ci95_low" => "95% interval: low end".into(),
        "ci95_high" => "95% interval: high end".into(),
        other => other.into(),
    }
}

/// A number as a field shows it: to 6 significant figures (the file's 477.258415236826 as 477.258). A field left as
/// shown is not a change, so the run keeps the file's exact number.
fn shown(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    let rounded: f64 = if digits > 0 {
        format!("{v:.*}", digits.min(15) as usize).parse().unwrap_or(v)
    } else {
        v
    };
    format!("{rounded}")
}

/// The parameters as the form shows them, grouped as the file groups them: by its headings in `[parameters]`, then
/// by the arm or subgroup that defines them.
fn groups(page: &LivePage) -> Vec<Group> {
    let m = page.facts.model;
    let mut out: Vec<Group> = Vec::new();
    for input in page.inputs {
        let info = &input.info;
        let title = match (&input.heading, info.scope.split_once(':')) {
            (Some(h), _) => h.clone(),
            (None, Some(("arm", arm))) => format!("Arm: {}", label_of_arm(m, arm)),
            (None, Some((_, group))) => format!("Subgroup: {group}"),
            (None, None) => "Parameters".to_string(),
        };
        let now = (m.parameters.iter())
            .find(|p| p.name == info.name && p.scope == info.scope)
            .map_or(&info.spec, |p| &p.spec);
        let changed = |key: &str| page.changes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let field = |key: String, label: String, original: String| FieldView {
            value: changed(&key).unwrap_or_else(|| original.clone()),
            error: page.error(&key),
            key,
            label,
            original,
        };
        let (fields, locked) = match &input.form {
            InputForm::Number(v) => (vec![field(info.name.clone(), "value".into(), shown(*v))], None),
            InputForm::Expression(e) => (
                vec![field(
                    info.name.clone(),
                    format!("value (the file computes = {e})"),
                    String::new(),
                )],
                None,
            ),
            InputForm::Table { fields, .. } => (
                (fields.iter())
                    .map(|(f, v)| field(format!("{}.{f}", info.name), field_label(f), shown(*v)))
                    .collect(),
                None,
            ),
            InputForm::Locked => (
                Vec::new(),
                Some("A member of a Dirichlet or multivariate normal: change it in the file.".to_string()),
            ),
        };
        // A cost the file gives at a price year of its own is shown, and changed, at the scenario's.
        let price_note = (m.meta.prices.iter())
            .flat_map(|p| p.costs.iter().map(move |c| (p, c)))
            .find(|(_, c)| c.name == info.name)
            .map(|(p, c)| {
                format!(
                    "At {} prices: the file gives it at {} prices, converted by {} (× {}).",
                    p.to,
                    c.from,
                    p.index,
                    crate::output::prices::factor(c)
                )
            });
        let view = InputView {
            price_note,
            name: info.name.clone(),
            unit: info.unit.clone().unwrap_or_default(),
            spec: spec_words(now),
            source: info.source.clone().unwrap_or_else(|| "none given".into()),
            citation: super::citation(&m.meta.sources, &info.source),
            note: info.note.clone().unwrap_or_default(),
            scopes: if input.scopes.len() > 1 {
                let words: Vec<String> = input.scopes.iter().map(|s| s.replace(':', " ")).collect();
                format!("Defined in {}: a change reaches every one.", words.join(", "))
            } else {
                String::new()
            },
            fields,
            locked,
        };
        match out.iter_mut().find(|g| g.title == title) {
            Some(g) => g.inputs.push(view),
            None => out.push(Group {
                title,
                inputs: vec![view],
            }),
        }
    }
    out
}

fn label_of_arm(m: &crate::model::Model, arm: &str) -> String {
    m.arms
        .iter()
        .find(|a| a.name == arm)
        .map_or_else(|| arm.to_string(), |a| a.label.clone())
}

/// Renders a scenario's page.
pub fn render_page(page: &LivePage) -> Result<String, String> {
    #[derive(Serialize)]
    struct Page<'a> {
        id: &'a str,
        title: String,
        subtitle: String,
        summary: Option<String>,
        groups: Vec<Group>,
        settings: Vec<(String, String)>,
        arms: Vec<(String, String)>,
        iterations: FieldView,
        seed: FieldView,
        max_iterations: String,
        general_error: Option<String>,
        results: Value,
        status: &'a str,
    }
    let m = page.facts.model;
    let arms = (m.arms.iter())
        .map(|a| {
            let role = a.comparator.map_or("the comparator".to_string(), |c| {
                format!("compared with {}", m.arms[c].label)
            });
            (a.label.clone(), role)
        })
        .collect();
    render(
        "live.html",
        PAGE,
        &Page {
            id: page.id,
            title: m.meta.title.clone().unwrap_or_else(|| m.meta.name.clone()),
            subtitle: super::settings_line(m),
            summary: m.meta.summary.clone(),
            groups: groups(page),
            settings: super::inputs::settings(&page.facts),
            arms,
            iterations: page.run_field(
                "iterations",
                "Iterations",
                (&page.iterations.0, page.iterations.1.to_string()),
            ),
            seed: page.run_field("seed", "Seed", (&page.seed.0, page.seed.1.to_string())),
            max_iterations: crate::output::format::thousands(page.max_iterations as u64),
            general_error: page.error(""),
            results: Value::from_safe_string(page.results.clone().unwrap_or_default()),
            status: &page.status,
        },
    )
}
