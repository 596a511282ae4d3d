//! The self-contained HTML report (`report.html`): headline figures in words, cost-effectiveness results with their
//! plots and data, the inputs with their sources, provenance and Monte Carlo precision.
//!
//! Everything is computed here and handed to a minijinja template, which HTML-escapes every value it prints: names,
//! labels, sources and descriptions come from the scenario file, which is untrusted input. The only unescaped
//! content is the SVG carecast's own plotting code wrote (plotters escapes the text it draws).

use crate::analysis::stats::Summary;
use crate::analysis::stats::{money, per_pound};
use crate::analysis::{Analysis, Comparison, RoiRow};
use crate::error::RunError;
use crate::model::Loaded;
use minijinja::{Environment, Value};
use serde::Serialize;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = include_str!("report.html");

/// What a report needs to know beyond the analysis: the scenario (absent for `carecast analyse`) and the provenance.
pub struct ReportInput<'a> {
    pub title: String,
    pub analysis: &'a Analysis,
    /// Arm names and labels, in table order.
    pub arms: Vec<(String, String)>,
    pub loaded: Option<&'a Loaded>,
    /// Label–value rows: version, file, hash, seed, iterations, date, command...
    pub provenance: Vec<(String, String)>,
    /// The SVG files the run wrote.
    pub figures: &'a [PathBuf],
}

/// A table for the template: headers and rows of cells, all plain text.
#[derive(Serialize, Default)]
struct Table {
    caption: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// One headline figure with its plain-English reading.
#[derive(Serialize)]
struct Card {
    who: String,
    figure: String,
    interval: String,
    probability: String,
    net: String,
    sentence: String,
}

#[derive(Serialize)]
struct Headline {
    arm: String,
    comparator: String,
    cards: Vec<Card>,
    payback: String,
    spend_note: String,
}

#[derive(Serialize)]
struct Figure {
    id: String,
    title: String,
    alt: String,
    svg: Value,
    table: Table,
}

#[derive(Serialize)]
struct Context {
    title: String,
    summary: Option<String>,
    subtitle: String,
    headlines: Vec<Headline>,
    ce_table: Option<Table>,
    frontier_table: Option<Table>,
    figures: Vec<Figure>,
    per_year: Vec<Table>,
    inputs: Option<Inputs>,
    provenance: Vec<(String, String)>,
    precision: Table,
    precision_verdict: String,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct Inputs {
    settings: Vec<(String, String)>,
    parameters: Table,
    states: Table,
    transitions: Table,
    arms: Table,
    subgroups: Option<Table>,
    sources: Vec<(String, String)>,
}

/// Renders the report to `dir/report.html`.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<(), RunError> {
    let path = dir.join("report.html");
    let html = render(input).map_err(|e| RunError::cannot_write(&path, e))?;
    std::fs::write(&path, html).map_err(|e| RunError::cannot_write(&path, e))
}

/// Renders the report as a string.
pub fn render(input: &ReportInput) -> Result<String, String> {
    let mut env = Environment::new();
    // The name ends in .html, so minijinja escapes every printed value unless it is marked safe.
    env.add_template("report.html", TEMPLATE).map_err(|e| e.to_string())?;
    let context = context(input)?;
    env.get_template("report.html")
        .and_then(|t| t.render(Value::from_serialize(&context)))
        .map_err(|e| e.to_string())
}

fn label_of(input: &ReportInput, name: &str) -> String {
    input
        .arms
        .iter()
        .find(|(n, _)| n == name)
        .map_or_else(|| name.to_string(), |(_, l)| l.clone())
}

fn percent(p: f64) -> String {
    if p.is_finite() {
        format!("{:.0}%", 100.0 * p)
    } else {
        "–".into()
    }
}

fn interval(s: &Summary, f: fn(f64) -> String) -> String {
    format!("{} to {}", f(s.p2_5), f(s.p97_5))
}

fn number(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

fn context(input: &ReportInput) -> Result<Context, String> {
    let a = input.analysis;
    let years = input.loaded.map(|l| l.model.settings.horizon_years);
    let over = years.map_or(String::new(), |y| format!(" over {y} years"));
    let headlines = a.comparisons.iter().map(|c| headline(input, c, &over)).collect();
    let outcome = a.primary_outcome.clone().unwrap_or_else(|| "outcome".into());
    let ce_table = a.primary_outcome.as_ref().map(|_| ce_table(input, &outcome));
    let frontier_table = a
        .incremental
        .as_ref()
        .filter(|_| input.arms.len() > 2)
        .map(|rows| Table {
            caption: format!("Fully incremental analysis on {outcome} (arms by increasing cost)"),
            headers: [
                "Arm",
                "Mean cost",
                &format!("Mean {outcome}"),
                "Status",
                "ICER vs previous on frontier",
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
    let figures = figures(input, &outcome)?;
    let per_year = a
        .cumulative_net_savings
        .iter()
        .map(|c| Table {
            caption: format!(
                "Cumulative net savings per person by year, {} vs {} (from {} iterations)",
                label_of(input, &c.arm),
                label_of(input, &c.comparator),
                c.iterations
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
    let (precision, precision_verdict) = precision(input);
    let loaded = input.loaded;
    Ok(Context {
        title: input.title.clone(),
        summary: loaded.and_then(|l| l.model.meta.summary.clone()),
        subtitle: subtitle(input),
        headlines,
        ce_table,
        frontier_table,
        figures,
        per_year,
        inputs: loaded.map(inputs),
        provenance: input.provenance.clone(),
        precision,
        precision_verdict,
        warnings: a.warnings.clone(),
    })
}

fn subtitle(input: &ReportInput) -> String {
    match input.loaded {
        Some(l) => {
            let m = &l.model;
            let s = &m.settings;
            format!(
                "{} iterations · {} years in {} cycles · accrual: {} · discounting: {} (costs {}, outcomes {}) · prices: {}{}",
                input.analysis.iterations,
                s.horizon_years,
                s.cycle.name(),
                s.accrual.name(),
                s.discounting.name(),
                s.discount_costs.describe(),
                s.discount_outcomes.describe(),
                m.meta.currency,
                m.meta.price_year.map_or(String::new(), |y| format!(" {y}")),
            )
        }
        None => format!("{} iterations of an external PSA sample", input.analysis.iterations),
    }
}

fn roi<'a>(input: &'a ReportInput, c: &Comparison, savings: &str) -> Option<&'a RoiRow> {
    input.analysis.roi.iter().find(|r| {
        r.arm == c.arm
            && r.comparator == c.comparator
            && r.savings_payer == savings
            && r.spend_payer == "total"
            && r.basis == "all"
    })
}

fn headline(input: &ReportInput, c: &Comparison, over: &str) -> Headline {
    let arm = label_of(input, &c.arm);
    let comparator = label_of(input, &c.comparator);
    let mut cards = Vec::new();
    // (key, who, whether `who` is plural)
    let payers: [(&str, &str, bool); 4] = [
        ("council", "the council", false),
        ("nhs", "the NHS", false),
        ("person", "people and their families", true),
        ("total", "the whole system", false),
    ];
    for (key, who, plural) in payers {
        let Some(r) = roi(input, c, key) else { continue };
        let (is, saves, comes) = if plural {
            ("are", "save", "come")
        } else {
            ("is", "saves", "comes")
        };
        let (net, p_ahead) = if key == "total" {
            (c.net_savings, c.prob_cost_saving)
        } else {
            match c
                .net_savings_by_payer
                .as_ref()
                .and_then(|v| v.iter().find(|p| p.payer == key))
            {
                Some(p) => (p.net_savings, p.prob_cost_saving),
                None => continue,
            }
        };
        // A payer with no costs in either arm has nothing to report.
        if key != "total" && r.mean_savings == 0.0 && [net.mean, net.p2_5, net.p97_5].iter().all(|v| *v == 0.0) {
            continue;
        }
        let mut title = who.to_string();
        if let Some(first) = title.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let net_words = if net.mean >= 0.0 {
            format!("{} per person better off", money(net.mean))
        } else {
            format!("{} per person worse off", money(-net.mean))
        };
        cards.push(Card {
            who: title,
            figure: format!("{} back per £1 spent", per_pound(r.bcr)),
            interval: format!("95% interval {}", interval(&r.bcr_per_iteration, per_pound)),
            probability: if key == "total" {
                format!("Probability it pays for itself: {}", percent(p_ahead))
            } else {
                format!("Probability {who} {comes} out ahead: {}", percent(p_ahead))
            },
            net: format!(
                "Net savings{}{over}: {} per person (95% interval {})",
                if key == "total" { "" } else { " to this payer" },
                money(net.mean),
                interval(&net, money)
            ),
            sentence: format!(
                "For every £1 spent on {arm}, {who} {} {} on care{over} compared with {comparator}. {}, {who} {is} {net_words} on average, and {comes} out ahead in {} of the simulations.",
                if r.bcr >= 0.0 { saves } else if plural { "pay an extra" } else { "pays an extra" },
                per_pound(r.bcr.abs()),
                if key == "total" {
                    "Counting all of the spend"
                } else if plural {
                    "Counting what they spend themselves"
                } else {
                    "Counting what it spends itself"
                },
                percent(p_ahead)
            ),
        });
    }
    let payback = input
        .analysis
        .payback
        .iter()
        .find(|p| p.arm == c.arm && p.comparator == c.comparator)
        .map_or_else(String::new, |p| {
            let horizon = p.share_by_year.len();
            match p.median_year {
                Some(y) => format!(
                    "Payback: in year {y} (the median over the simulations); {} of the simulations do not pay back within {horizon} years.",
                    percent(p.share_never)
                ),
                None => format!(
                    "Payback: in most simulations ({}) it does not pay for itself within {horizon} years.",
                    percent(p.share_never)
                ),
            }
        });
    let spend_note = c.spend.map_or_else(String::new, |s| {
        format!(
            "Extra intervention spend: {} per person (95% interval {}). \"£ back per £1 spent\" divides each payer's care-cost savings by all of it.",
            money(s.mean),
            interval(&s, money)
        )
    });
    Headline {
        arm,
        comparator,
        cards,
        payback,
        spend_note,
    }
}

fn ce_table(input: &ReportInput, outcome: &str) -> Table {
    let a = input.analysis;
    Table {
        caption: format!(
            "Incremental results per person, against each arm's comparator (λ = {} per {outcome})",
            money(a.threshold)
        ),
        headers: [
            "Intervention",
            "Comparator",
            "Incremental cost (95% interval)",
            &format!("Incremental {outcome} (95% interval)"),
            "ICER",
            "INMB at λ (95% interval)",
            "Probability cost-effective at λ",
        ]
        .map(String::from)
        .to_vec(),
        rows: a
            .comparisons
            .iter()
            .map(|c| {
                let de = primary_delta(a, c);
                vec![
                    label_of(input, &c.arm),
                    label_of(input, &c.comparator),
                    format!(
                        "{} ({})",
                        money(c.incremental_cost.mean),
                        interval(&c.incremental_cost, money)
                    ),
                    de.map_or("–".into(), |d| {
                        format!("{} ({})", number(d.mean), interval(&d, number))
                    }),
                    c.icer.map_or("–".into(), |i| i.describe(outcome)),
                    c.inmb
                        .map_or("–".into(), |s| format!("{} ({})", money(s.mean), interval(&s, money))),
                    match (c.prob_cost_effective, c.prob_cost_effective_se) {
                        (Some(p), Some(se)) => format!("{:.3} (Monte Carlo SE {:.3})", p, se),
                        _ => "–".into(),
                    },
                ]
            })
            .collect(),
    }
}

/// ΔE on the primary outcome of a comparison.
fn primary_delta(a: &Analysis, c: &Comparison) -> Option<Summary> {
    let name = a.primary_outcome.as_ref()?;
    let index = a.outcome_names.iter().position(|o| o == name)?;
    c.incremental_outcomes.get(index).copied()
}

fn svg_of(input: &ReportInput, stem: &str) -> Result<Option<Value>, String> {
    let Some(path) = input
        .figures
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "svg") && p.file_stem().is_some_and(|s| s == stem))
    else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // The plot's own size is kept as its aspect ratio; the page's CSS scales it to the column width.
    Ok(Some(Value::from_safe_string(text)))
}

fn figures(input: &ReportInput, outcome: &str) -> Result<Vec<Figure>, String> {
    let a = input.analysis;
    let mut out = Vec::new();
    for c in &a.comparisons {
        let stem = format!("roi_{}", file_part(&c.arm));
        if let Some(svg) = svg_of(input, &stem)? {
            let rows = input
                .analysis
                .roi
                .iter()
                .filter(|r| r.arm == c.arm && r.spend_payer == "total" && r.basis == "all")
                .map(|r| {
                    vec![
                        r.savings_payer.clone(),
                        per_pound(r.bcr),
                        interval(&r.bcr_per_iteration, per_pound),
                        percent(r.prob_bcr_above_one),
                    ]
                })
                .collect();
            out.push(Figure {
                id: stem,
                title: format!("£ back per £1 spent: {} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator)),
                alt: format!(
                    "Histograms of the benefit–cost ratio across simulations, one panel for each payer with care costs and one for the whole system, with a line at £1 (break-even). Whole system: {} back per £1 spent.",
                    roi(input, c, "total").map_or("–".into(), |r| per_pound(r.bcr))
                ),
                svg,
                table: Table {
                    caption: "Savings per £1 of intervention spend, by whose savings".into(),
                    headers: ["Savings to", "Mean ratio", "95% interval", "P(ratio > 1)"].map(String::from).to_vec(),
                    rows,
                },
            });
        }
    }
    if let Some(svg) = svg_of(input, "ce_plane")? {
        out.push(Figure {
            id: "ce_plane".into(),
            title: "Cost-effectiveness plane".into(),
            alt: format!(
                "Scatter of incremental cost against incremental {outcome} for each simulation, with the threshold line at {} per {outcome}.",
                money(a.threshold)
            ),
            svg,
            table: Table {
                caption: "Mean incremental cost and outcome".into(),
                headers: ["Comparison", "Incremental cost", &format!("Incremental {outcome}")].map(String::from).to_vec(),
                rows: a
                    .comparisons
                    .iter()
                    .map(|c| {
                        vec![
                            format!("{} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator)),
                            money(c.incremental_cost.mean),
                            primary_delta(a, c).map_or("–".into(), |d| number(d.mean)),
                        ]
                    })
                    .collect(),
            },
        });
    }
    if let Some(acc) = &a.acceptability {
        let mut headers = vec!["λ (£ per unit)".to_string()];
        headers.extend(input.arms.iter().map(|(_, l)| format!("P({l} best)")));
        headers.extend(["Frontier arm".to_string(), "EVPI per person".to_string()]);
        let rows: Vec<Vec<String>> = (0..acc.lambda.len())
            .map(|l| {
                let mut row = vec![money(acc.lambda[l])];
                row.extend(acc.probability[l].iter().map(|p| format!("{p:.3}")));
                row.push(
                    input
                        .arms
                        .get(acc.frontier[l])
                        .map_or("–".into(), |(_, label)| label.clone()),
                );
                row.push(money(acc.evpi[l]));
                row
            })
            .collect();
        if let Some(svg) = svg_of(input, "ceac")? {
            out.push(Figure {
                id: "ceac".into(),
                title: "Cost-effectiveness acceptability curves and frontier".into(),
                alt: format!(
                    "Probability that each option has the highest net monetary benefit, for willingness to pay from {} to {} per {outcome}.",
                    money(acc.lambda.first().copied().unwrap_or(0.0)),
                    money(acc.lambda.last().copied().unwrap_or(0.0))
                ),
                svg,
                table: Table {
                    caption: "Acceptability and value of information by willingness to pay".into(),
                    headers: headers.clone(),
                    rows: rows.clone(),
                },
            });
        }
        if let Some(svg) = svg_of(input, "evpi")? {
            let max = acc.evpi.iter().copied().fold(0.0, f64::max);
            out.push(Figure {
                id: "evpi".into(),
                title: "Expected value of perfect information".into(),
                alt: format!(
                    "EVPI per person by willingness to pay; its highest value is {}.",
                    money(max)
                ),
                svg,
                table: Table {
                    caption: "EVPI per person by willingness to pay".into(),
                    headers: vec!["λ (£ per unit)".into(), "EVPI per person".into()],
                    rows: (0..acc.lambda.len())
                        .map(|l| vec![money(acc.lambda[l]), money(acc.evpi[l])])
                        .collect(),
                },
            });
        }
    }
    for c in &a.cumulative_net_savings {
        let stem = format!("cumulative_{}", file_part(&c.arm));
        if let Some(svg) = svg_of(input, &stem)? {
            let last = c.p50.len().saturating_sub(1);
            out.push(Figure {
                id: stem,
                title: format!(
                    "Cumulative net savings: {} vs {}",
                    label_of(input, &c.arm),
                    label_of(input, &c.comparator)
                ),
                alt: format!(
                    "Fan chart of cumulative net savings per person by year: median, 50% and 95% bands. By year {}, the median is {}.",
                    last + 1,
                    c.p50.get(last).map_or("–".into(), |v| money(*v))
                ),
                svg,
                table: Table {
                    caption: "See the per-year table below".into(),
                    ..Table::default()
                },
            });
        }
    }
    Ok(out)
}

fn file_part(name: &str) -> String {
    super::figures::file_part(name)
}

/// Standard errors of the headline figures, and whether the iterations were enough.
fn precision(input: &ReportInput) -> (Table, String) {
    let a = input.analysis;
    let mut rows = Vec::new();
    let mut enough = true;
    // Enough: the 95% Monte Carlo error of each headline mean is within 1% of its size, or within a penny per £1
    // (ratios) or 0.01 (probabilities).
    let mut check = |figure: String, mean: f64, se: f64, absolute: f64, show: fn(f64) -> String| {
        let ok = 1.96 * se <= (0.01 * mean.abs()).max(absolute);
        enough &= ok;
        rows.push(vec![
            figure,
            show(mean),
            show(se),
            if ok { "yes".into() } else { "no".into() },
        ]);
    };
    for c in &a.comparisons {
        let name = format!("{} vs {}", label_of(input, &c.arm), label_of(input, &c.comparator));
        if let Some(r) = roi(input, c, "total") {
            check(
                format!("{name}: £ back per £1 (whole system)"),
                r.bcr,
                r.bcr_se,
                0.01,
                per_pound,
            );
        }
        check(
            format!("{name}: net savings per person"),
            c.net_savings.mean,
            c.net_savings.se,
            1.0,
            money,
        );
        if let (Some(p), Some(se)) = (c.prob_cost_effective, c.prob_cost_effective_se) {
            check(format!("{name}: probability cost-effective"), p, se, 0.01, |x| {
                format!("{x:.3}")
            });
        }
    }
    let verdict = if enough {
        format!("{} iterations were enough: every headline figure above is known to within 1% (or a penny per £1, or 0.01 for probabilities) at 95% confidence.", a.iterations)
    } else {
        format!("{} iterations were not enough for every headline figure to be known to within 1% (or a penny per £1, or 0.01 for probabilities) at 95% confidence: run more iterations before quoting the figures marked \"no\".", a.iterations)
    };
    (
        Table {
            caption: "Monte Carlo standard errors of the headline figures".into(),
            headers: ["Figure", "Estimate", "Monte Carlo standard error", "Precise enough?"]
                .map(String::from)
                .to_vec(),
            rows,
        },
        verdict,
    )
}

/// The inputs as the scenario states them: settings, parameters with sources, states, transitions, arms.
fn inputs(loaded: &Loaded) -> Inputs {
    let m = &loaded.model;
    let s = &m.settings;
    let citation = |key: &Option<String>| -> String {
        key.as_ref().map_or("–".into(), |k| {
            m.meta
                .sources
                .iter()
                .find(|(s, _)| s == k)
                .map_or(k.clone(), |(_, c)| c.clone())
        })
    };
    let mut settings = vec![
        ("Horizon".to_string(), format!("{} years", s.horizon_years)),
        (
            "Cycle length".into(),
            format!("{} ({} cycles)", s.cycle.name(), s.cycles()),
        ),
        ("Accrual convention".into(), s.accrual.name().to_string()),
        (
            "Discounting".into(),
            format!(
                "{}; costs {}; outcomes {}",
                s.discounting.name(),
                s.discount_costs.describe(),
                s.discount_outcomes.describe()
            ),
        ),
        ("Mode".into(), format!("{:?}", s.mode).to_lowercase()),
        ("Cohort size".into(), m.cohort_size.to_string()),
        ("Threshold λ".into(), money(s.threshold)),
    ];
    let raw: Option<toml::Table> = loaded.scenario.text.parse().ok();
    let get = |path: &[&str]| -> Option<toml::Value> {
        let mut v = toml::Value::Table(raw.clone()?);
        for p in path {
            v = v.get(p)?.clone();
        }
        Some(v)
    };
    if let Some(entry) = get(&["cohort", "entry"]) {
        settings.push(("Entry of people by programme year (ramp-up)".into(), toml_text(&entry)));
    }
    let parameters = Table {
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
    };
    let mut state_rows = Vec::new();
    if let Some(toml::Value::Array(states)) = get(&["states"]) {
        for st in states {
            let field = |k: &str| st.get(k).map(toml_text).unwrap_or_default();
            state_rows.push(vec![
                field("name").trim_matches('"').to_string(),
                field("label").trim_matches('"').to_string(),
                if st.get("dead").and_then(toml::Value::as_bool) == Some(true) {
                    "dead (absorbing)".into()
                } else {
                    field("per").trim_matches('"').to_string()
                },
                field("costs"),
                field("outcomes"),
            ]);
        }
    }
    let mut transition_rows = Vec::new();
    let mut push_rows = |scope: &str, rows: &toml::Value| {
        if let Some(t) = rows.as_table() {
            for (from, row) in t {
                if let Some(r) = row.as_table() {
                    for (to, p) in r {
                        transition_rows.push(vec![
                            scope.to_string(),
                            from.clone(),
                            to.clone(),
                            toml_text(p).trim_matches('"').to_string(),
                        ]);
                    }
                }
            }
        }
    };
    if let Some(start) = get(&["start"]) {
        push_rows(
            "all arms",
            &toml::Value::Table(toml::Table::from_iter([("(start)".to_string(), start)])),
        );
    }
    if let Some(rows) = get(&["transitions"]) {
        push_rows("all arms", &rows);
    }
    let mut arm_rows = Vec::new();
    if let Some(toml::Value::Array(arms)) = get(&["arms"]) {
        for arm in arms {
            let name = arm.get("name").and_then(toml::Value::as_str).unwrap_or("").to_string();
            if let Some(start) = arm.get("start") {
                push_rows(
                    &format!("arm {name}"),
                    &toml::Value::Table(toml::Table::from_iter([("(start)".to_string(), start.clone())])),
                );
            }
            if let Some(rows) = arm.get("transitions") {
                push_rows(&format!("arm {name}"), rows);
            }
            let costs = arm
                .get("costs")
                .and_then(toml::Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|c| {
                            let f = |k: &str| {
                                c.get(k)
                                    .map(toml_text)
                                    .unwrap_or_default()
                                    .trim_matches('"')
                                    .to_string()
                            };
                            format!(
                                "{} ({}, {}, {}{})",
                                f("name"),
                                f("kind"),
                                f("payer"),
                                f("amount"),
                                c.get("per")
                                    .map_or(String::new(), |p| format!(" per {}", toml_text(p).trim_matches('"')))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            let overrides = arm
                .get("parameters")
                .and_then(toml::Value::as_table)
                .map(|t| t.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            let label = m
                .arms
                .iter()
                .find(|a| a.name == name)
                .map_or(String::new(), |a| a.label.clone());
            let comparator = m
                .arms
                .iter()
                .find(|a| a.name == name)
                .and_then(|a| a.comparator)
                .map_or("– (comparator)".to_string(), |c| m.arms[c].label.clone());
            arm_rows.push(vec![name, label, comparator, overrides, costs]);
        }
    }
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
        settings,
        parameters,
        states: Table {
            caption: "States: costs by payer and outcomes, per the stated unit".into(),
            headers: ["State", "Label", "Per", "Costs by payer", "Outcomes"].map(String::from).to_vec(),
            rows: state_rows,
        },
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
        sources: m.meta.sources.clone(),
    }
}

/// A TOML value as written in a scenario, on one line.
fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("\"{s}\""),
        toml::Value::Table(t) => {
            let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", toml_text(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(toml_text).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
