//! workbook.xlsx: one Excel workbook per run for sign-off, with the inputs and their sources, the headline of each
//! comparison, the budget by financial year, the return by payer, the acceptability curve and, where the run has
//! them, the local cost-benefit account and the results by subgroup.
//!
//! Every number is written as a number with a display format (money, per cent, decimals), never as text, so that a
//! finance officer can sum and chart it; the header rows are frozen and the columns wide enough to read. The values
//! are those of summary.json, unrounded: the formats only change how they show. The document's creation time is
//! fixed ([`CREATED`]) and rust_xlsxwriter dates every part of the zip the same, so the same run gives the same bytes.

mod accounts;

use super::files::OutputError;
use super::report::{citation, input_settings, ScenarioFacts};
use super::summary::Provenance;
use crate::analysis::budget::{Budget, BudgetRow};
use crate::analysis::stats::Summary;
use crate::analysis::{Analysis, Comparison, Quadrant};
use crate::model::ParameterSpec;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// The document's creation time: fixed, so that the file is the same for the same run (the run's own start time is
/// in summary.json's `timing`).
pub const CREATED: (u16, u8, u8) = (2000, 1, 1);

/// What the workbook shows: the run's model and provenance, its analyses and budget.
pub struct WorkbookInput<'a> {
    pub title: &'a str,
    pub facts: ScenarioFacts<'a>,
    pub provenance: &'a Provenance,
    pub analysis: &'a Analysis,
    pub budget: Option<&'a Budget>,
    /// The local cost-benefit account, when the scenario has a `[cba]` block.
    pub cba: Option<&'a crate::analysis::cba::Cba>,
    /// Results by subgroup (empty unless the scenario has two or more subgroups).
    pub subgroups: &'a [crate::analysis::subgroups::SubgroupResult],
}

/// The cell formats, made once: the money format follows the scenario's currency.
struct Formats {
    header: Format,
    title: Format,
    money: Format,
    percent: Format,
    decimal: Format,
    ratio: Format,
    whole: Format,
    wrap: Format,
}

impl Formats {
    fn new(currency: &str) -> Self {
        let money = if currency.eq_ignore_ascii_case("GBP") {
            "£#,##0;-£#,##0".to_string()
        } else {
            format!("#,##0 \"{currency}\";-#,##0 \"{currency}\"")
        };
        let ratio = if currency.eq_ignore_ascii_case("GBP") {
            "£0.00".to_string()
        } else {
            format!("0.00 \"{currency}\"")
        };
        Formats {
            header: Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top),
            title: Format::new().set_bold().set_font_size(14),
            money: Format::new().set_num_format(money),
            percent: Format::new().set_num_format("0.0%"),
            decimal: Format::new().set_num_format("#,##0.000"),
            ratio: Format::new().set_num_format(ratio),
            whole: Format::new().set_num_format("0"),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// How a number shows.
#[derive(Clone, Copy)]
enum Kind {
    Money,
    Percent,
    Decimal,
    Ratio,
    Whole,
}

impl Kind {
    fn format(self, f: &Formats) -> &Format {
        match self {
            Kind::Money => &f.money,
            Kind::Percent => &f.percent,
            Kind::Decimal => &f.decimal,
            Kind::Ratio => &f.ratio,
            Kind::Whole => &f.whole,
        }
    }
}

/// Writes `path`: the sheets Inputs, Parameters, Headline, Budget (when the run has one), Return by payer (when it has
/// returns), CEAC (when it has a primary outcome), Cost-benefit (with a `[cba]` block) and By subgroup (with two or
/// more subgroups).
pub fn write_workbook(path: &Path, input: &WorkbookInput) -> Result<(), OutputError> {
    fill(input)
        .and_then(|mut book| book.save(path))
        .map_err(|e| OutputError::write(path, e))
}

fn fill(input: &WorkbookInput) -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let (year, month, day) = CREATED;
    book.set_properties(
        &DocProperties::new()
            .set_title(input.title)
            .set_author("carecast")
            .set_comment(&input.provenance.command)
            .set_creation_datetime(&ExcelDateTime::from_ymd(year, month, day)?),
    );
    let f = Formats::new(&input.facts.model.meta.currency);
    inputs_sheet(book.add_worksheet(), input, &f)?;
    parameters_sheet(book.add_worksheet(), input, &f)?;
    headline_sheet(book.add_worksheet(), input, &f)?;
    if let Some(budget) = input.budget {
        budget_sheet(book.add_worksheet(), budget, &f)?;
    }
    if !input.analysis.roi.is_empty() || !input.analysis.withheld_ratios.is_empty() {
        roi_sheet(book.add_worksheet(), input.analysis, &f)?;
    }
    if input.analysis.acceptability.is_some() {
        ceac_sheet(book.add_worksheet(), input.analysis, &f)?;
    }
    if let Some(cba) = input.cba {
        accounts::cba_sheet(book.add_worksheet(), cba, &f)?;
    }
    if !input.subgroups.is_empty() {
        accounts::subgroup_sheet(book.add_worksheet(), (input.analysis, input.cba), input.subgroups, &f)?;
    }
    Ok(book)
}

/// A header row at `row`, and the column widths.
fn header(sheet: &mut Worksheet, row: u32, columns: &[(&str, f64)], f: &Formats) -> Result<(), XlsxError> {
    for (c, (name, width)) in columns.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *name, &f.header)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    Ok(())
}

/// A number, or an empty cell where there is none (never text that looks like a number).
fn number(sheet: &mut Worksheet, row: u32, col: u16, value: Option<f64>, format: &Format) -> Result<(), XlsxError> {
    match value.filter(|v| v.is_finite()) {
        Some(v) => sheet.write_number_with_format(row, col, v, format).map(|_| ()),
        None => Ok(()),
    }
}

/// Provenance, settings, arms and the sources in full, a label and a value per row.
fn inputs_sheet(sheet: &mut Worksheet, input: &WorkbookInput, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Inputs")?;
    let p = input.provenance;
    let model = input.facts.model;
    sheet.write_string_with_format(0, 0, input.title, &f.title)?;
    header(sheet, 1, &[("Input", 34.0), ("Value", 100.0)], f)?;
    let mut rows: Vec<(String, String)> = vec![
        ("Program".into(), format!("{} {}", p.program, p.version)),
        ("Scenario file".into(), p.scenario_file.clone()),
        ("Scenario SHA-256".into(), p.scenario_sha256.clone()),
        // As text: a seed is a name for a stream of random numbers, and one above 2^53 has no exact spreadsheet number.
        ("Seed".into(), p.seed.to_string()),
    ];
    let mut r = 2;
    for (label, value) in rows.drain(..) {
        sheet.write_string(r, 0, label)?;
        sheet.write_string_with_format(r, 1, value, &f.wrap)?;
        r += 1;
    }
    sheet.write_string(r, 0, "Iterations")?;
    sheet.write_number_with_format(r, 1, p.iterations as f64, &f.whole)?;
    r += 1;
    rows.push(("To reproduce".into(), p.command.clone()));
    rows.push(("Currency".into(), model.meta.currency.clone()));
    rows.push((
        "Price year".into(),
        model.meta.price_year.map_or("not stated".into(), |y| y.to_string()),
    ));
    rows.extend(input_settings(&input.facts));
    for arm in &model.arms {
        let compared = arm.comparator.map_or("the comparator".to_string(), |c| {
            format!("compared with {}", model.arms[c].name)
        });
        rows.push((format!("Arm {}", arm.name), format!("{} ({compared})", arm.label)));
    }
    for (key, text) in &model.meta.sources {
        rows.push((format!("Source {key}"), text.clone()));
    }
    for (label, value) in rows {
        sheet.write_string(r, 0, label)?;
        sheet.write_string_with_format(r, 1, value, &f.wrap)?;
        r += 1;
    }
    sheet.set_freeze_panes(2, 0)?;
    Ok(())
}

/// Every parameter: distribution, mean and 95% interval as numbers, unit, source in full and note.
fn parameters_sheet(sheet: &mut Worksheet, input: &WorkbookInput, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Parameters")?;
    let model = input.facts.model;
    header(
        sheet,
        0,
        &[
            ("Parameter", 30.0),
            ("Where", 18.0),
            ("Distribution", 30.0),
            ("Mean", 14.0),
            ("95% interval: low", 14.0),
            ("95% interval: high", 14.0),
            ("Unit", 16.0),
            ("Source", 80.0),
            ("Note", 50.0),
        ],
        f,
    )?;
    let mut r = 0;
    for info in model.parameters.iter().filter(|p| !p.name.starts_with("reproduce_")) {
        r += 1;
        let (dist, mean, low, high) = match &info.spec {
            ParameterSpec::Fixed { value } => ("fixed".to_string(), Some(*value), None, None),
            ParameterSpec::Distribution {
                distribution,
                mean,
                low95,
                high95,
            } => (distribution.clone(), Some(*mean), Some(*low95), Some(*high95)),
            ParameterSpec::DirichletComponent {
                alpha,
                component,
                mean,
                low95,
                high95,
            } => (
                format!("Dirichlet component {} of {alpha:?}", component + 1),
                Some(*mean),
                Some(*low95),
                Some(*high95),
            ),
            ParameterSpec::Expression { expression } => (format!("= {expression}"), None, None, None),
        };
        sheet.write_string(r, 0, &info.name)?;
        sheet.write_string(
            r,
            1,
            info.scope.replace("arm:", "arm ").replace("subgroup:", "subgroup "),
        )?;
        // Written as text (a string cell is never a formula, even one that starts with `=`).
        sheet.write_string(r, 2, &dist)?;
        for (col, v) in [(3, mean), (4, low), (5, high)] {
            number(sheet, r, col, v, &f.decimal)?;
        }
        sheet.write_string(r, 6, info.unit.as_deref().unwrap_or(""))?;
        sheet.write_string_with_format(r, 7, citation(&model.meta.sources, &info.source), &f.wrap)?;
        sheet.write_string_with_format(r, 8, info.note.as_deref().unwrap_or(""), &f.wrap)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    Ok(())
}

/// One line of the headline: what, its unit, mean and 95% interval, and how the numbers show.
struct Line {
    what: String,
    unit: String,
    mean: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    kind: Kind,
}

impl Line {
    fn of(what: impl Into<String>, unit: &str, s: &Summary, kind: Kind) -> Self {
        Line {
            what: what.into(),
            unit: unit.into(),
            mean: Some(s.mean),
            low: Some(s.p2_5),
            high: Some(s.p97_5),
            kind,
        }
    }

    fn single(what: impl Into<String>, unit: &str, value: Option<f64>, kind: Kind) -> Self {
        Line {
            what: what.into(),
            unit: unit.into(),
            mean: value,
            low: None,
            high: None,
            kind,
        }
    }
}

/// The headline of one comparison, per person: incremental cost and outcomes, net savings (all payers and each
/// payer), ICER, INMB and P(cost-effective) at λ, £ back per £1 by payer and payback, each with its 95% interval
/// where it has one.
fn headline_lines(analysis: &Analysis, c: &Comparison) -> Vec<Line> {
    let mut lines = vec![Line::of(
        "Incremental cost",
        "per person",
        &c.incremental_cost,
        Kind::Money,
    )];
    for (o, s) in analysis.outcomes.iter().zip(&c.incremental_outcomes) {
        let unit = super::format::per_unit(o);
        lines.push(Line::of(format!("Incremental {}", o.label), &unit, s, Kind::Decimal));
    }
    lines.push(Line::of(
        "Net savings, all payers",
        "per person",
        &c.net_savings,
        Kind::Money,
    ));
    lines.push(Line::single(
        "P(cost-saving)",
        "share",
        Some(c.prob_cost_saving),
        Kind::Percent,
    ));
    for p in c.net_savings_by_payer.iter().flatten() {
        lines.push(Line::of(
            format!("Net savings, {}", p.payer),
            "per person",
            &p.net_savings,
            Kind::Money,
        ));
    }
    if let Some(icer) = &c.icer {
        let unit = analysis
            .primary()
            .map_or(String::new(), |o| format!("per {}", super::format::per_unit(o)));
        lines.push(Line::single(
            format!("ICER ({})", quadrant_words(icer.quadrant)),
            &unit,
            icer.value,
            Kind::Money,
        ));
    }
    if let Some(inmb) = &c.inmb {
        lines.push(Line::of("INMB at the threshold λ", "per person", inmb, Kind::Money));
    }
    if let Some(p) = c.prob_cost_effective {
        let se = c.prob_cost_effective_se.unwrap_or(0.0);
        lines.push(Line {
            what: "P(cost-effective) at the threshold λ".into(),
            unit: "share (interval ±1.96 Monte Carlo SE)".into(),
            mean: Some(p),
            low: Some((p - 1.96 * se).max(0.0)),
            high: Some((p + 1.96 * se).min(1.0)),
            kind: Kind::Percent,
        });
    }
    let roi = analysis.roi.iter().filter(|r| r.arm == c.arm && r.basis == "all");
    for r in roi.filter(|r| r.savings_payer == r.spend_payer) {
        lines.push(Line {
            what: format!("Back per £1 spent, {}", r.savings_payer),
            unit: "savings per £1 of extra spend (interval per iteration)".into(),
            mean: Some(r.bcr),
            low: Some(r.bcr_per_iteration.p2_5),
            high: Some(r.bcr_per_iteration.p97_5),
            kind: Kind::Ratio,
        });
    }
    for w in analysis
        .withheld_ratios
        .iter()
        .filter(|w| w.arm == c.arm && w.basis == "all")
    {
        if w.savings_payer == w.spend_payer {
            lines.push(Line::single(
                format!("Back per £1 spent, {}: no ratio ({})", w.savings_payer, w.reason.note()),
                "",
                None,
                Kind::Ratio,
            ));
        }
    }
    for p in analysis.payback_cycles.iter().filter(|p| p.arm == c.arm) {
        lines.push(Line {
            what: "Payback (median; empty: beyond the horizon)".into(),
            unit: format!("{}s", p.unit),
            mean: p.median.map(f64::from),
            low: p.p2_5.map(f64::from),
            high: p.p97_5.map(f64::from),
            kind: Kind::Whole,
        });
    }
    lines
}

/// Where a comparison sits on the cost-effectiveness plane, which decides how its ICER reads.
fn quadrant_words(q: Quadrant) -> &'static str {
    match q {
        Quadrant::MoreCostlyMoreEffective => "more costly, more effective",
        Quadrant::Dominant => "dominant: no more costly, more effective",
        Quadrant::Dominated => "dominated: no less costly, less effective",
        Quadrant::LessCostlyLessEffective => "saving per unit given up: less costly, less effective",
        Quadrant::NoOutcomeDifference => "no outcome difference",
    }
}

/// The headline, a block of lines per comparison.
fn headline_sheet(sheet: &mut Worksheet, input: &WorkbookInput, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Headline")?;
    header(
        sheet,
        0,
        &[
            ("Arm", 18.0),
            ("Comparator", 18.0),
            ("Measure", 46.0),
            ("Unit", 34.0),
            ("Mean", 14.0),
            ("95% interval: low", 14.0),
            ("95% interval: high", 14.0),
        ],
        f,
    )?;
    let mut r = 0;
    for c in &input.analysis.comparisons {
        for line in headline_lines(input.analysis, c) {
            r += 1;
            sheet.write_string(r, 0, &c.arm)?;
            sheet.write_string(r, 1, &c.comparator)?;
            sheet.write_string(r, 2, &line.what)?;
            sheet.write_string(r, 3, &line.unit)?;
            let format = line.kind.format(f);
            for (col, v) in [(4, line.mean), (5, line.low), (6, line.high)] {
                number(sheet, r, col, v, format)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The budget impact, as budget.csv: every comparison, basis, payer and year, for the population.
fn budget_sheet(sheet: &mut Worksheet, budget: &Budget, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Budget")?;
    header(
        sheet,
        0,
        &[
            ("Arm", 18.0),
            ("Comparator", 18.0),
            ("Programme year", 10.0),
            ("Financial year", 10.0),
            ("Payer", 12.0),
            ("Basis", 12.0),
            ("Population", 12.0),
            ("Comparator cost", 15.0),
            ("Arm cost", 15.0),
            ("Extra spend", 15.0),
            ("Care savings", 15.0),
            ("Budget impact (+ costs more)", 15.0),
            ("95% interval: low", 15.0),
            ("95% interval: high", 15.0),
        ],
        f,
    )?;
    for (i, row) in budget.rows.iter().enumerate() {
        budget_row(sheet, i as u32 + 1, budget.population, row, f)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn budget_row(sheet: &mut Worksheet, r: u32, population: f64, row: &BudgetRow, f: &Formats) -> Result<(), XlsxError> {
    sheet.write_string(r, 0, &row.arm)?;
    sheet.write_string(r, 1, &row.comparator)?;
    sheet.write_number_with_format(r, 2, row.year as f64, &f.whole)?;
    sheet.write_string(r, 3, &row.financial_year)?;
    sheet.write_string(r, 4, &row.payer)?;
    sheet.write_string(r, 5, row.basis.name())?;
    number(sheet, r, 6, Some(population), &f.whole)?;
    let values = [
        row.comparator_cost,
        row.arm_cost,
        row.extra_spend,
        row.care_savings,
        row.impact,
        row.impact_p2_5,
        row.impact_p97_5,
    ];
    for (k, v) in values.into_iter().enumerate() {
        number(sheet, r, 7 + k as u16, Some(v), &f.money)?;
    }
    Ok(())
}

/// roi.csv's content: whose savings per £1 of whose spend, all or cashable savings, then the withheld ratios.
fn roi_sheet(sheet: &mut Worksheet, analysis: &Analysis, f: &Formats) -> Result<(), XlsxError> {
    sheet.set_name("Return by payer")?;
    header(
        sheet,
        0,
        &[
            ("Arm", 18.0),
            ("Comparator", 18.0),
            ("Savings to", 12.0),
            ("Spend by", 12.0),
            ("Savings counted", 12.0),
            ("Mean savings", 14.0),
            ("Mean extra spend", 14.0),
            ("Back per £1", 12.0),
            ("Net ROI", 12.0),
            ("Per-iteration ratio: low", 14.0),
            ("Per-iteration ratio: high", 14.0),
            ("P(ratio > 1)", 12.0),
            ("Net benefit", 14.0),
            ("Net benefit: low", 14.0),
            ("Net benefit: high", 14.0),
            ("Note", 40.0),
        ],
        f,
    )?;
    let mut r = 0;
    for row in &analysis.roi {
        r += 1;
        let names = [
            &row.arm,
            &row.comparator,
            &row.savings_payer,
            &row.spend_payer,
            &row.basis,
        ];
        for (c, name) in names.into_iter().enumerate() {
            sheet.write_string(r, c as u16, name)?;
        }
        let b = &row.bcr_per_iteration;
        let n = &row.net_benefit;
        let values = [
            (row.mean_savings, &f.money),
            (row.mean_spend, &f.money),
            (row.bcr, &f.ratio),
            (row.net_roi, &f.percent),
            (b.p2_5, &f.ratio),
            (b.p97_5, &f.ratio),
            (row.prob_bcr_above_one, &f.percent),
            (n.mean, &f.money),
            (n.p2_5, &f.money),
            (n.p97_5, &f.money),
        ];
        for (k, (v, format)) in values.into_iter().enumerate() {
            number(sheet, r, 5 + k as u16, Some(v), format)?;
        }
    }
    for w in &analysis.withheld_ratios {
        r += 1;
        let names = [&w.arm, &w.comparator, &w.savings_payer, &w.spend_payer, &w.basis];
        for (c, name) in names.into_iter().enumerate() {
            sheet.write_string(r, c as u16, name)?;
        }
        number(sheet, r, 5, Some(w.mean_savings), &f.money)?;
        number(sheet, r, 6, Some(w.mean_spend), &f.money)?;
        for (k, v) in [w.net_benefit.mean, w.net_benefit.p2_5, w.net_benefit.p97_5]
            .into_iter()
            .enumerate()
        {
            number(sheet, r, 12 + k as u16, Some(v), &f.money)?;
        }
        sheet.write_string(r, 15, w.reason.note())?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The acceptability curve: a row per λ, a column per arm with its probability of being the most cost-effective.
fn ceac_sheet(sheet: &mut Worksheet, analysis: &Analysis, f: &Formats) -> Result<(), XlsxError> {
    let Some(acc) = &analysis.acceptability else {
        return Ok(());
    };
    sheet.set_name("CEAC")?;
    let unit = analysis.primary().map_or(String::new(), super::format::per_unit);
    let lambda = format!("Willingness to pay λ per {unit}");
    let mut columns = vec![(lambda.as_str(), 18.0)];
    let names: Vec<String> = analysis
        .arms
        .iter()
        .map(|a| format!("P({} is most cost-effective)", a.label))
        .collect();
    columns.extend(names.iter().map(|n| (n.as_str(), 22.0)));
    header(sheet, 0, &columns, f)?;
    for (l, lambda) in acc.lambda.iter().enumerate() {
        let r = l as u32 + 1;
        number(sheet, r, 0, Some(*lambda), &f.money)?;
        for (a, p) in acc.probability[l].iter().enumerate() {
            number(sheet, r, 1 + a as u16, Some(*p), &f.percent)?;
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    Ok(())
}
