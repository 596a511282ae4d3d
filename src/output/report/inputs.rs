//! The inputs section of the report: settings, parameters with their sources, states, transitions, arms and
//! subgroups, as the scenario states them.

use super::{ScenarioFacts, Table};
use crate::model::{Better, Model, ResultsFor};
use crate::output::format::{count, money, number, percent};
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct Inputs {
    settings: Vec<(String, String)>,
    parameters: Table,
    states: Table,
    outcomes: Option<Table>,
    transitions: Table,
    arms: Table,
    subgroups: Option<Table>,
    correlations: Option<Table>,
    /// Costs converted from their own price year (none when the scenario names no index).
    prices: Option<Table>,
    /// The index they were converted with, its years and source.
    price_index: Option<String>,
    /// How the file was read where it is not an error (a fitted interval that misses the published one).
    warnings: Vec<String>,
    sources: Vec<(String, String)>,
}

/// The inputs as the scenario states them: settings, parameters with sources, states, transitions, arms.
pub(super) fn inputs(facts: &ScenarioFacts) -> Inputs {
    let m = facts.model;
    let written = facts.as_written;
    let parameters = parameters(m);
    let state_rows = written
        .states
        .iter()
        .map(|st| {
            vec![
                st.name.clone(),
                st.label.clone(),
                if st.dead {
                    "dead (absorbing)".into()
                } else {
                    st.per.clone()
                },
                st.costs.clone(),
                st.outcomes.clone(),
            ]
        })
        .collect();
    let transition_rows = written
        .transitions
        .iter()
        .map(|t| vec![t.scope.clone(), t.from.clone(), t.to.clone(), t.probability.clone()])
        .collect();
    let arm_rows = written
        .arms
        .iter()
        .map(|arm| {
            let info = m.arms.iter().find(|a| a.name == arm.name);
            let label = info.map_or(String::new(), |a| a.label.clone());
            let comparator = info
                .and_then(|a| a.comparator)
                .map_or("– (comparator)".to_string(), |c| m.arms[c].label.clone());
            vec![
                arm.name.clone(),
                label,
                comparator,
                arm.overrides.clone(),
                arm.costs.clone(),
            ]
        })
        .collect();
    let subgroups = (m.subgroups.len() > 1).then(|| Table {
        caption: "Subgroups".into(),
        headers: ["Subgroup", "Label", "Share of the cohort", "Overrides"]
            .map(String::from)
            .to_vec(),
        rows: m
            .subgroups
            .iter()
            .map(|g| {
                let overrides = m
                    .parameters
                    .iter()
                    .filter(|p| p.scope == format!("subgroup:{}", g.name))
                    .map(|p| p.name.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                vec![g.name.clone(), g.label.clone(), percent(g.share), overrides]
            })
            .collect(),
    });
    Inputs {
        settings: settings(facts),
        parameters,
        states: Table {
            caption: "States: costs by payer and outcomes, per the stated unit".into(),
            headers: ["State", "Label", "Per", "Costs by payer", "Outcomes"].map(String::from).to_vec(),
            rows: state_rows,
        },
        outcomes: outcomes(m),
        transitions: Table {
            caption: "Starting shares and transition probabilities per cycle (\"remainder\" is one minus the rest of the row)".into(),
            headers: ["Applies to", "From", "To", "Probability"].map(String::from).to_vec(),
            rows: transition_rows,
        },
        arms: Table {
            caption: "Arms, their comparators, parameter overrides and intervention spend".into(),
            headers: ["Arm", "Label", "Compared with", "Parameters overridden", "Intervention spend"].map(String::from).to_vec(),
            rows: arm_rows,
        },
        subgroups,
        correlations: correlations(m),
        prices: prices(m),
        price_index: m.meta.prices.as_ref().map(|p| {
            let note = p.note.as_ref().map_or(String::new(), |n| format!(" {n}"));
            format!("{}.{note}", crate::output::prices::index_line(p))
        }),
        warnings: m.warnings.clone(),
        sources: m.meta.sources.clone(),
    }
}

/// Each pair of correlated parameters with the correlation of the normal draws behind them (none without any).
fn correlations(m: &Model) -> Option<Table> {
    (!m.correlations.is_empty()).then(|| Table {
        caption: "Correlated parameters: each pair's correlation on the normal scale (a Gaussian copula keeps each parameter's own distribution; a multivariate normal is normal throughout)".into(),
        headers: ["Group", "Where", "Parameter", "With", "Correlation", "Source"].map(String::from).to_vec(),
        rows: m
            .correlations
            .iter()
            .enumerate()
            .flat_map(|(g, c)| {
                let group = match c.kind {
                    "mvnormal" => format!("{}: multivariate normal", g + 1),
                    _ => format!("{}: Gaussian copula", g + 1),
                };
                let source = citation(&m.meta.sources, &c.source);
                c.matrix.iter().enumerate().flat_map(move |(i, row)| {
                    let (group, source) = (group.clone(), source.clone());
                    row.iter().enumerate().skip(i + 1).map(move |(j, r)| {
                        vec![
                            group.clone(),
                            c.scope.clone(),
                            c.parameters[i].clone(),
                            c.parameters[j].clone(),
                            number(*r),
                            source.clone(),
                        ]
                    })
                })
            })
            .collect(),
    })
}

/// Each cost converted to the scenario's price year: as written, its year, the factor and as converted.
fn prices(m: &Model) -> Option<Table> {
    use crate::output::prices::{factor, values};
    let p = m.meta.prices.as_ref()?;
    Some(Table {
        caption: format!(
            "Costs converted to {} prices with the index {}: each money value as written, times index({}) / index(its year)",
            p.to, p.index, p.to
        ),
        headers: ["Cost", "Where", "As written", "Price year", "Factor", "Converted"]
            .map(String::from)
            .to_vec(),
        rows: p
            .costs
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.field.clone(),
                    values(&c.original),
                    c.from.to_string(),
                    factor(c),
                    values(&c.converted),
                ]
            })
            .collect(),
    })
}

/// Each outcome's name in the file, label, unit and direction (none when the model has no outcome).
fn outcomes(m: &Model) -> Option<Table> {
    (!m.outcome_info.is_empty()).then(|| Table {
        caption: "Outcomes: how each reads and which way is better".into(),
        headers: ["Outcome", "Label", "Unit", "Better"].map(String::from).to_vec(),
        rows: m
            .outcome_info
            .iter()
            .map(|o| {
                vec![
                    o.name.clone(),
                    o.label.clone(),
                    o.unit.clone(),
                    match o.better {
                        Better::Higher => "higher: more is better".into(),
                        Better::Lower => "lower: less is better (decisions value the amount avoided)".into(),
                    },
                ]
            })
            .collect(),
    })
}

/// The settings, every convention spelled out.
pub(in crate::output) fn settings(facts: &ScenarioFacts) -> Vec<(String, String)> {
    let m = facts.model;
    let s = &m.settings;
    let mut settings = vec![
        ("Horizon".to_string(), count(s.horizon_years as u64, "year")),
        (
            "Cycle length".into(),
            format!("{} ({})", s.cycle.name(), count(s.cycles() as u64, "cycle")),
        ),
        ("Accrual convention".into(), s.describe_accrual(&m.outcomes)),
        (
            "Discounting".into(),
            format!(
                "{}, {}; costs {}; outcomes {}",
                s.discounting.name(),
                s.discount_timing.describe(),
                s.discount_costs.describe(),
                s.discount_outcomes.describe()
            ),
        ),
        ("Mode".into(), format!("{:?}", s.mode).to_lowercase()),
        match m.meta.results_for {
            ResultsFor::Person => ("Cohort size".into(), m.cohort_size.to_string()),
            ResultsFor::Service => (
                "Results".into(),
                "for the service as a whole (no cohort of people)".into(),
            ),
        },
        ("Threshold λ".into(), money(s.threshold)),
    ];
    if let Some(o) = s.primary_outcome.and_then(|o| m.outcome_info.get(o)) {
        settings.push((
            "Primary outcome (the ICER's denominator)".into(),
            format!(
                "{} (λ and the ICER are per {})",
                o.label,
                crate::output::format::per_unit(o)
            ),
        ));
    }
    let written = facts.as_written;
    if let Some(entry) = &written.entry {
        settings.push(("Entry of people by programme year (ramp-up)".into(), entry.clone()));
    }
    let strata: Vec<String> = m
        .strata
        .iter()
        .map(|st| format!("{}: share {}", st.describe(), number(st.share)))
        .filter(|_| !m.strata[0].describe().is_empty())
        .collect();
    if !strata.is_empty() {
        settings.push(("Cohort by starting age and sex".into(), strata.join("; ")));
    }
    for t in &m.tables {
        settings.push((format!("Table `{}`", t.name), describe_table(t)));
    }
    settings
}

/// A table in words: its keys, rows, value column, rule past its last row and origin.
fn describe_table(t: &crate::model::Table) -> String {
    use crate::model::{KeyKind, Origin};
    let keys: Vec<String> = t
        .keys
        .iter()
        .map(|k| match k.kind {
            KeyKind::Sex => "sex (male, female)".to_string(),
            KeyKind::Whole { first, count } => format!("{} {first} to {}", k.name, first + count as i64 - 1),
        })
        .collect();
    let origin = match &t.origin {
        Origin::Builtin { name, citation, .. } => format!("built-in table {name}: {citation}"),
        Origin::File { path } => format!("file {path}"),
        Origin::Inline => "written in the scenario".to_string(),
    };
    let source = t.source.as_ref().map_or(String::new(), |s| format!("; source: {s}"));
    format!(
        "{} rows by {}; values `{}`; past the last row: {}; {origin}{source}",
        t.rows(),
        keys.join(" × "),
        t.value_column,
        t.beyond.describe()
    )
}

/// The full citation of a source key (the key itself when the scenario does not list it; "–" for none).
pub(in crate::output) fn citation(sources: &[(String, String)], key: &Option<String>) -> String {
    key.as_ref().map_or("–".into(), |k| {
        sources
            .iter()
            .find(|(s, _)| s == k)
            .map_or(k.clone(), |(_, c)| c.clone())
    })
}

/// Every parameter with its distribution, mean, 95% interval, unit, source and note.
fn parameters(m: &Model) -> Table {
    let citation = |key: &Option<String>| citation(&m.meta.sources, key);
    Table {
        caption: "Parameters: every input, with its distribution, mean and 95% interval, and its source".into(),
        headers: [
            "Parameter",
            "Where",
            "Distribution",
            "Mean",
            "95% interval",
            "Unit",
            "Source",
            "Note",
        ]
        .map(String::from)
        .to_vec(),
        rows: m
            .parameters
            .iter()
            .filter(|p| !p.name.starts_with("reproduce_"))
            .map(|p| {
                let (dist, mean, ci) = match &p.spec {
                    crate::model::ParameterSpec::Fixed { value } => {
                        ("fixed".to_string(), number(*value), "–".to_string())
                    }
                    crate::model::ParameterSpec::Distribution {
                        distribution,
                        mean,
                        low95,
                        high95,
                    } => (
                        distribution.clone(),
                        number(*mean),
                        format!("{} to {}", number(*low95), number(*high95)),
                    ),
                    crate::model::ParameterSpec::DirichletComponent {
                        alpha,
                        component,
                        mean,
                        low95,
                        high95,
                    } => (
                        format!("Dirichlet component {} of {:?}", component + 1, alpha),
                        number(*mean),
                        format!("{} to {}", number(*low95), number(*high95)),
                    ),
                    crate::model::ParameterSpec::Expression { expression } => {
                        (format!("= {expression}"), "–".into(), "–".into())
                    }
                };
                vec![
                    p.name.clone(),
                    p.scope.replace("arm:", "arm ").replace("subgroup:", "subgroup "),
                    dist,
                    mean,
                    ci,
                    p.unit.clone().unwrap_or_default(),
                    citation(&p.source),
                    p.note.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    }
}
