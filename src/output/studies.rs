//! The report sections of the sensitivity and value-of-information analyses: what `carecast tornado`, `threshold`
//! and `evppi` found, in sentences, with each plot they drew and the numbers behind it.

use super::files::OutputError;
use super::format::{
    capitalised, count, figure, money, money_error, per_pound, share, thousands, FileNames, ShareStyle,
};
use super::report::{settings_line, svg_path, Figure, Finding, Study, Table};
use super::sensitivity::{arm_label as label, parameter_words};
use crate::analysis::sensitivity::{Measure, Threshold, TornadoBar};
use crate::analysis::voi::EvppiRow;
use crate::model::Model;
use std::path::{Path, PathBuf};

/// The measure's value as people read it: "£2.21" back per £1, or an amount of money.
fn shown(measure: Measure, v: f64) -> String {
    match measure {
        Measure::Bcr => per_pound(v),
        _ => money(v),
    }
}

/// "each £1 spent brings back £2.21", "net savings per person are −£150", "the INMB per person is £400".
fn measure_is(measure: Measure, per: &str, v: f64) -> String {
    match measure {
        Measure::Bcr => format!(
            "each £1 of extra spend brings back {} in care costs avoided",
            per_pound(v)
        ),
        Measure::NetSavings => format!("net savings {per} are {}", money(v)),
        Measure::Inmb => format!("the incremental net monetary benefit (INMB) {per} is {}", money(v)),
    }
}

/// A finding shown as the plot `stem` among `files` with `table` as the numbers behind it, or as the table alone
/// where no such plot was drawn.
fn finding(
    heading: String,
    sentences: Vec<String>,
    plot: Option<(&[PathBuf], &str, String, String)>,
    table: Table,
) -> Result<Finding, OutputError> {
    let Some((path, title, alt)) =
        plot.and_then(|(files, stem, title, alt)| svg_path(files, stem).map(|p| (p, title, alt)))
    else {
        return Ok(Finding {
            heading,
            sentences,
            figure: None,
            table: Some(table),
        });
    };
    Ok(Finding {
        heading,
        sentences,
        figure: Some(Figure::from_file(path, title, alt, table)?),
        table: None,
    })
}

/// The one-way analysis: per comparison, the widest bars in words, the parameters that alone cross break-even, the
/// tornado plot and every bar's numbers.
pub fn tornado_study(
    model: &Model,
    measure: Measure,
    bars: &[TornadoBar],
    files: &[PathBuf],
) -> Result<Study, OutputError> {
    let names = FileNames::new(&model.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>());
    let mut arms: Vec<&str> = bars.iter().map(|b| b.arm.as_str()).collect();
    arms.dedup();
    let mut findings = Vec::new();
    for arm in arms {
        let mine: Vec<&TornadoBar> = bars.iter().filter(|b| b.arm == arm).collect();
        let Some(first) = mine.first() else { continue };
        let heading = format!(
            "{} compared with {}",
            label(model, arm),
            label(model, &first.comparator)
        );
        let sentences = tornado_sentences(model, measure, &mine);
        let stem = format!("tornado_{}", names.of(arm));
        let words = measure.words();
        let table = Table::new(
            format!("Each parameter from its low to its high value, the others at their means, widest first ({words})"),
            &[
                "Parameter",
                "Low value",
                "High value",
                &format!("At low ({words})"),
                &format!("At high ({words})"),
                "Swing",
            ],
            (mine.iter())
                .map(|b| {
                    vec![
                        parameter_words(model, &b.parameter, &b.scope),
                        figure(b.low),
                        figure(b.high),
                        shown(measure, b.at_low),
                        shown(measure, b.at_high),
                        shown(measure, b.swing()).replace("−", ""),
                    ]
                })
                .collect(),
        );
        let title = format!("One-way sensitivity: {heading}");
        let alt = format!(
            "Tornado diagram of {words}: a bar for each of {}, from its value at the parameter's low value to its \
             value at the high, widest at the top, about the base case {}.",
            count(mine.len() as u64, "parameter"),
            shown(measure, first.base)
        );
        findings.push(finding(heading, sentences, Some((files, &stem, title, alt)), table)?);
    }
    Ok(Study {
        id: "tornado".into(),
        heading: format!("One-way sensitivity of {}", measure.words()),
        intro: vec![format!(
            "Each parameter is moved on its own from its low to its high value (its 2.5th and 97.5th percentiles, or \
             the bounds given), with every other parameter at its mean, on the model without sampling. A long bar \
             means {} depends on that parameter; a bar that crosses break-even means the decision could change.",
            measure.words()
        )],
        warnings: Vec::new(),
        findings,
        method: vec![
            "One-way analysis ignores how parameters vary together; the probabilistic analysis (carecast run) and EVPPI \
             (carecast evppi) take that into account."
                .into(),
        ],
    })
}

/// What one comparison's tornado shows, in sentences: the base case, the three widest bars, and the parameters that
/// alone take the result across break-even. `mine` are its bars, widest first.
fn tornado_sentences(model: &Model, measure: Measure, mine: &[&TornadoBar]) -> Vec<String> {
    let per = model.meta.results_for.per();
    let be = measure.break_even();
    let Some(first) = mine.first() else { return Vec::new() };
    let mut sentences = vec![format!(
        "With every parameter at its mean, {}.",
        measure_is(measure, per, first.base)
    )];
    let widest: Vec<String> = (mine.iter().take(3))
        .map(|b| {
            format!(
                "{}: {} at {} and {} at {}",
                parameter_words(model, &b.parameter, &b.scope),
                shown(measure, b.at_low),
                figure(b.low),
                shown(measure, b.at_high),
                figure(b.high)
            )
        })
        .collect();
    sentences.push(format!(
        "It moves most with {}: {}.",
        if widest.len() == 1 {
            "one parameter"
        } else {
            "these parameters"
        },
        widest.join("; ")
    ));
    let crossing: Vec<String> = (mine.iter())
        .filter(|b| (b.at_low - be) * (b.at_high - be) < 0.0)
        .map(|b| parameter_words(model, &b.parameter, &b.scope))
        .collect();
    sentences.push(if crossing.is_empty() {
        format!(
            "No parameter on its own, anywhere in its range, takes the result across break-even ({}).",
            shown(measure, be)
        )
    } else {
        format!(
            "On its own, within its range, each of these takes the result across break-even ({}): {}. The \
             decision rests on what is known about them.",
            shown(measure, be),
            crossing.join("; ")
        )
    });
    sentences
}

/// The threshold analysis: per comparison, the value of the parameter at which the decision changes, how much of
/// its distribution lies below it, and the measure across the range.
pub fn threshold_study(model: &Model, thresholds: &[Threshold], files: &[PathBuf]) -> Result<Study, OutputError> {
    let per = model.meta.results_for.per();
    let names = FileNames::new(&model.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>());
    let mut findings = Vec::new();
    let parameter = thresholds.first().map_or("", |t| t.parameter.as_str());
    let measure = thresholds.first().map_or(Measure::Bcr, |t| t.measure);
    for t in thresholds {
        let name = parameter_words(model, &t.parameter, "base");
        let heading = format!("{} compared with {}", label(model, &t.arm), label(model, &t.comparator));
        let be = shown(t.measure, t.break_even);
        let mut sentences = vec![format!(
            "At {} = {} (its mean), {}.",
            t.parameter,
            figure(t.base_value),
            measure_is(t.measure, per, t.base_measure)
        )];
        if t.crossings.is_empty() {
            let finite: Vec<f64> = t.curve.iter().map(|p| p.1).filter(|y| y.is_finite()).collect();
            let side = if finite.iter().all(|y| *y > t.break_even) {
                "it stays above break-even throughout"
            } else if finite.iter().all(|y| *y < t.break_even) {
                "it stays below break-even throughout"
            } else {
                "it touches break-even without crossing it"
            };
            sentences.push(format!(
                "It does not cross break-even ({be}) anywhere from {} to {}: {side}, so within that range this \
                 parameter alone does not change the decision.",
                figure(t.range[0]),
                figure(t.range[1])
            ));
        }
        for (c, below) in t.crossings.iter().zip(&t.share_below) {
            let where_ = below.map_or_else(
                || " The file fixes this parameter, so there is no distribution to weigh that value against.".into(),
                |p| {
                    format!(
                        " {} of the parameter's distribution lies below that value.",
                        capitalised(&share(p, ShareStyle::Percent, 1))
                    )
                },
            );
            sentences.push(format!(
                "It reaches break-even ({be}) at {} = {}.{where_}",
                t.parameter,
                figure(*c)
            ));
        }
        let stem = format!("threshold_{}", names.of(&t.arm));
        let words = t.measure.words();
        let table = Table::new(
            format!(
                "{words} at each of the {} values of {} scanned",
                t.curve.len(),
                t.parameter
            ),
            &[&name, words],
            (t.curve.iter())
                .map(|(x, y)| vec![figure(*x), shown(t.measure, *y)])
                .collect(),
        );
        let title = format!("Threshold: {heading}");
        let alt = format!(
            "Line of {words} as {} varies from {} to {}, with the break-even line at {be} and the base case and any \
             crossing marked.",
            t.parameter,
            figure(t.range[0]),
            figure(t.range[1])
        );
        findings.push(finding(heading, sentences, Some((files, &stem, title, alt)), table)?);
    }
    Ok(Study {
        id: "threshold".into(),
        heading: format!("Threshold analysis of {parameter}"),
        intro: vec![format!(
            "The parameter {} is moved across its range (by default its 0.1st to 99.9th percentiles) with every other \
             parameter at its mean, on the model without sampling, to find the value at which {} reaches break-even \
             ({}).{}",
            parameter_words(model, parameter, "base"),
            measure.words(),
            shown(measure, measure.break_even()),
            (model.parameters.iter())
                .find(|p| p.name == parameter && p.note.is_some())
                .and_then(|p| p.note.as_ref())
                .map_or_else(String::new, |note| format!(
                    " The scenario describes it as: {}.",
                    note.trim_end_matches('.')
                ))
        )],
        warnings: Vec::new(),
        findings,
        method: vec![
            "Each crossing is bracketed on a grid of 201 values and refined by bisection to 1e-12 of the range.".into(),
        ],
    })
}

/// The EVPPI of each parameter and group: the EVPI it is part of, the largest in words, the estimates that cannot be
/// told from zero at this number of iterations, and the ranked bar chart. `per` is what λ is per.
pub fn evppi_study(
    rows: &[EvppiRow],
    lambda: f64,
    per: &str,
    population: Option<f64>,
    files: &[PathBuf],
) -> Result<Study, OutputError> {
    let mut ranked: Vec<&EvppiRow> = rows.iter().collect();
    ranked.sort_by(|a, b| (b.estimate.value.total_cmp(&a.estimate.value)).then(a.label.cmp(&b.label)));
    let evpi = rows.first().map_or(f64::NAN, |r| r.estimate.evpi);
    let iterations = rows.first().map_or(0, |r| r.estimate.iterations);
    let for_population = |v: f64| {
        population.map_or(String::new(), |p| {
            format!(
                " ({} for a population of {})",
                money(p * v),
                thousands(p.round() as u64)
            )
        })
    };
    let mut intro = vec![format!(
        "At λ = {} per {per}, the expected value of perfect information (EVPI) is {} per person{}: the most that \
         removing every uncertainty could be worth, from {}.",
        money(lambda),
        money(evpi),
        for_population(evpi),
        count(iterations as u64, "iteration")
    )];
    if evpi == 0.0 {
        intro.push(
            "The EVPI is zero: the same option is best in every iteration at this λ, so no research could change the \
             decision, and every EVPPI is zero too."
                .into(),
        );
    } else if ranked.first().is_some_and(|r| r.estimate.value <= 0.0) {
        intro.push(
            "No parameter or group on its own has an EVPPI above £0 at this λ: the EVPI is what learning all of them \
             together could be worth, and none alone would change the decision often enough to show."
                .into(),
        );
    } else if let Some(top) = ranked.first().filter(|r| r.estimate.value.is_finite()) {
        intro.push(format!(
            "Learning {} for certain would be worth most: {} per person{} (standard error {}), {} of the EVPI.",
            name(top),
            money(top.estimate.value),
            for_population(top.estimate.value),
            money_error(top.estimate.se, top.estimate.value),
            share(top.estimate.value / evpi, ShareStyle::Percent, 0)
        ));
    }
    let unclear = (rows.iter())
        .filter(|r| r.estimate.value.is_finite() && r.estimate.value < 2.0 * r.estimate.se)
        .count();
    if unclear > 0 && evpi > 0.0 {
        intro.push(format!(
            "{} of the {} estimates are within two standard errors of zero: at {} they cannot be told apart from \
             nothing, and more iterations would be needed to rank them.",
            unclear,
            rows.len(),
            count(iterations as u64, "iteration")
        ));
    }
    let table = evppi_table(&ranked, lambda, per, population);
    let alt = format!(
        "Bar chart of the EVPPI per person of {} parameters and groups, largest first, with its standard error, and \
         the EVPI as a line: the most any of them can be.",
        rows.len()
    );
    let title = "Expected value of partial perfect information".to_string();
    let ranked_finding = finding(String::new(), Vec::new(), Some((files, "evppi", title, alt)), table)?;
    let mut methods: Vec<String> = rows.iter().map(|r| r.estimate.method.clone()).collect();
    methods.sort_unstable();
    methods.dedup();
    Ok(Study {
        id: "evppi".into(),
        heading: "Value of further research (EVPPI)".into(),
        intro,
        warnings: Vec::new(),
        findings: vec![ranked_finding],
        method: methods.into_iter().map(|m| format!("Method: {m}.")).collect(),
    })
}

/// The parameter or group as the EVPPI report names it: a group with its members.
fn name(r: &EvppiRow) -> String {
    if r.kind == "group" {
        format!("{} (group: {})", r.label, r.members.join(", "))
    } else {
        r.label.clone()
    }
}

/// The EVPPI of each parameter and group, `ranked` largest first, with its share of the EVPI.
fn evppi_table(ranked: &[&EvppiRow], lambda: f64, per: &str, population: Option<f64>) -> Table {
    let evpi = ranked.first().map_or(f64::NAN, |r| r.estimate.evpi);
    let mut headers = vec![
        "Parameter or group",
        "EVPPI per person",
        "Standard error",
        "Share of the EVPI",
    ];
    if population.is_some() {
        headers.push("EVPPI for the population");
    }
    headers.push("Notes");
    Table::new(
        format!("EVPPI at λ = {} per {per}, largest first", money(lambda)),
        &headers,
        (ranked.iter())
            .map(|r| {
                let e = &r.estimate;
                let mut row = vec![
                    name(r),
                    money(e.value),
                    money_error(e.se, e.value),
                    if evpi > 0.0 {
                        share(e.value / evpi, ShareStyle::Percent, 1)
                    } else {
                        "–".into()
                    },
                ];
                if let Some(p) = population {
                    row.push(money(p * e.value));
                }
                row.push(e.notes.join("; "));
                row
            })
            .collect(),
    )
}

/// What a study's own report needs beyond the study: the scenario it was run on and how to run it again.
pub struct StudySource<'a> {
    pub model: &'a Model,
    /// The scenario's inputs as its file writes them.
    pub as_written: &'a crate::model::AsWritten,
    pub file: &'a Path,
    pub sha256: &'a str,
    /// Label–value rows particular to the study (seed, iterations, parameter changes).
    pub details: Vec<(String, String)>,
    /// The command that reproduces it.
    pub command: String,
}

/// Writes `study` as `dir/report.html`, with the scenario's inputs and the provenance.
pub fn write_study_report(dir: &Path, source: &StudySource, study: Study) -> Result<(), OutputError> {
    let model = source.model;
    let title = model.meta.title.as_deref().unwrap_or(&model.meta.name);
    let mut provenance = vec![
        ("Program".to_string(), format!("carecast {}", env!("CARGO_PKG_VERSION"))),
        ("Scenario file".to_string(), source.file.display().to_string()),
        ("Scenario SHA-256".to_string(), source.sha256.to_string()),
    ];
    provenance.extend(source.details.iter().cloned());
    provenance.push((
        "Written (UTC)".to_string(),
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    ));
    provenance.push(("To reproduce".to_string(), source.command.clone()));
    let page = super::report::StudyPage {
        title: format!("{title}: {}", lowercase_first(&study.heading)),
        subtitle: settings_line(model),
        study,
        scenario: super::report::ScenarioFacts {
            model,
            as_written: source.as_written,
        },
        provenance,
    };
    super::report::write_study_page(dir, &page)
}

/// "one-way sensitivity" from "One-way sensitivity": a heading after a colon.
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}
