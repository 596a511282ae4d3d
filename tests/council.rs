//! The council's view: what a finance officer reads when extra spend is zero or near it, each figure worked out by
//! hand.

mod common;

use common::{carecast, run_scenario as run, scenario_text, tempdir};
use std::fs;
use std::path::Path;

/// The rows of a CSV file as maps from column name to cell.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn number(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|_| panic!("not a number: {cell:?}"))
}

/// One state everyone stays in, whose council care cost per year is `care_cost` (the arm `cheaper` overrides it), and
/// the arms' intervention costs `usual_costs` and `new_costs`.
fn one_state(care_new: f64, usual_costs: &str, new_costs: &str) -> String {
    format!(
        r#"
[parameters]
care_cost = 1000

[[states]]
name = "home"
per = "year"
costs = {{ council = "care_cost" }}

[start]
home = 1

[transitions]
home = {{ home = 1 }}

[[arms]]
name = "usual"
costs = {usual_costs}

[[arms]]
name = "cheaper"
parameters = {{ care_cost = {care_new} }}
costs = {new_costs}

[cohort]
size = 100
"#
    )
}

#[test]
fn a_cheaper_way_of_doing_the_same_thing_says_what_it_saves_and_writes_roi_csv() {
    // Two years at £1,000 against two at £800, undiscounted: £400 per person saved with no spend in either arm.
    let text = scenario_text(
        "cheaper",
        &[("horizon_years", "2"), ("discount_rate_costs", "0")],
        &one_state(800.0, "[]", "[]"),
    );
    let dir = tempdir();
    let (terminal, run_dir) = run(dir.path(), &text);
    assert!(
        terminal.contains("saves £400 per person with no extra spend (95% interval £400 to £400)"),
        "{terminal}"
    );
    assert!(
        terminal.contains("not shown: it costs no more to provide than the comparator"),
        "{terminal}"
    );
    assert!(!terminal.contains("back per £1 spent (savings"), "{terminal}");
    let rows = csv_rows(&run_dir.join("roi.csv"));
    // The whole system's spend perspective only (nobody spends), savings to the council and to everyone, all and
    // cashable; the NHS and the person have the same (no) care costs in both arms.
    assert_eq!(rows.len(), 4, "{rows:?}");
    for r in &rows {
        assert_eq!(r["spend_payer"], "total");
        assert!(["council", "total"].contains(&r["savings_payer"].as_str()), "{r:?}");
        assert_eq!(number(&r["mean_savings"]), 400.0);
        assert_eq!(number(&r["mean_spend"]), 0.0);
        assert_eq!(number(&r["net_benefit_mean"]), 400.0);
        assert_eq!((r["bcr"].as_str(), r["net_roi"].as_str()), ("", ""));
        assert_eq!(r["ratio_note"], "no extra spend");
    }
    // No plot of ratios there are none of.
    assert!(!run_dir.join("roi_cheaper.png").exists());
    let report = fs::read_to_string(run_dir.join("report.html")).expect("report");
    assert!(
        report.contains("Saves £400 per person with no extra spend"),
        "the report's card"
    );

    // With a start date and a stated population of 980: £200 a year each, £196,000 a year, in words whose interval
    // reads as savings.
    let text = text.replace(
        "horizon_years = 2",
        "horizon_years = 2\nstart_date = \"2027-04-01\"\npopulation = 980",
    );
    let dir = tempdir();
    let (_, run_dir) = run(dir.path(), &text);
    let report = fs::read_to_string(run_dir.join("report.html"))
        .expect("report")
        .replace("&#x2f;", "/");
    assert!(
        report.contains(
            "with no extra spend, it saves the council £196,000 in 2027/28 (95% interval £196,000 to £196,000)."
        ),
        "the budget's sentence"
    );
}

#[test]
fn a_spend_brought_forward_gives_no_ratio_and_says_why() {
    // Usual care pays £1,000 at the start of year 2 (discounted at 3.5% for one year: 1000 / 1.035 = £966.18); the
    // new arm pays it at entry (£1,000). Extra spend: 1000 − 966.183574879 = £33.816425121. Care costs £10,000 a year
    // against £7,500: savings 2500 × (1 + 1/1.035) = £4,915.458937198, a ratio of 145.4, above the 100 the rule
    // allows. Net savings 4915.458937198 − 33.816425121 = £4,881.642512077.
    let usual =
        r#"[{ name = "kit", kind = "recurring", payer = "council", amount = "if(t >= 1, 1000, 0)", per = "year" }]"#;
    let new = r#"[{ name = "kit", kind = "one_off", payer = "council", amount = 1000 }]"#;
    let text = scenario_text("forward", &[("horizon_years", "2")], &one_state(7500.0, usual, new))
        .replace("care_cost = 1000", "care_cost = 10000");
    let dir = tempdir();
    let (terminal, run_dir) = run(dir.path(), &text);
    assert!(
        terminal.contains("not shown: the extra spend is too close to zero"),
        "{terminal}"
    );
    assert!(
        terminal.contains("care savings £4,915 for £33.82 of extra spend per person; net savings £4,882"),
        "{terminal}"
    );
    let rows = csv_rows(&run_dir.join("roi.csv"));
    let total = rows
        .iter()
        .find(|r| r["savings_payer"] == "total" && r["spend_payer"] == "total" && r["basis"] == "all")
        .expect("the whole system's row");
    assert!((number(&total["mean_spend"]) - 33.816425120773).abs() < 1e-9);
    assert!((number(&total["mean_savings"]) - 4915.458937198068).abs() < 1e-9);
    assert!((number(&total["net_benefit_mean"]) - 4881.642512077295).abs() < 1e-9);
    assert_eq!(total["bcr"], "");
    assert_eq!(total["ratio_note"], "extra spend within noise of zero");
}

/// Weekly cycles for a year: care costs £500 a week in usual care and £(500 − saving) with the service, which costs
/// £800 a person at entry (undiscounted, start-of-cycle accrual).
fn weekly_payback(saving: &str, iterations: &str) -> String {
    let body = format!(
        r#"
[parameters]
saving = {saving}

[[states]]
name = "home"
per = "week"
costs = {{ council = "500 - if(arm_new, saving, 0)" }}

[start]
home = 1

[transitions]
home = {{ home = 1 }}

[[arms]]
name = "usual"
parameters = {{ arm_new = 0 }}

[[arms]]
name = "service"
parameters = {{ arm_new = 1 }}
costs = [{{ name = "visit", kind = "one_off", payer = "council", amount = 800 }}]

[cohort]
size = 100
"#
    );
    scenario_text(
        "weekly",
        &[
            ("horizon_years", "1"),
            ("cycle", "\"week\""),
            ("iterations", iterations),
            ("discount_rate_costs", "0"),
        ],
        &body,
    )
    .replace("[parameters]\n", "[parameters]\narm_new = 0\n")
}

#[test]
fn payback_is_counted_in_weeks_when_cycles_are_weeks() {
    // £100 a week saved against £800 at entry: cumulative net savings −800 + 100·c reach zero after week 8.
    let dir = tempdir();
    let (terminal, run_dir) = run(dir.path(), &weekly_payback("100", "1"));
    assert!(
        terminal.contains("payback               in 8 weeks (95% interval 8 to 8)"),
        "{terminal}"
    );
    let rows = csv_rows(&run_dir.join("payback.csv"));
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (
            r["unit"].as_str(),
            r["horizon"].as_str(),
            r["median"].as_str(),
            r["p2_5"].as_str(),
            r["p97_5"].as_str()
        ),
        ("week", "52", "8", "8", "8")
    );
    let report = fs::read_to_string(run_dir.join("report.html")).expect("report");
    assert!(
        report.contains("Payback: in 8 weeks (95% interval 8 to 8)"),
        "the report's payback"
    );
}

#[test]
fn the_payback_interval_in_weeks_matches_its_closed_form() {
    // A saving s ~ Uniform(60, 160) a week pays back £800 in c = ⌈800 / s⌉ weeks, so P(c ≤ k) = (160 − 800/k) / 100
    // for 800/k in [60, 160]: 0 for k = 5, 0.267 for 6 (the 2.5th percentile is week 6); 0.457 for 7, 0.600 for 8
    // (the median is week 8); 0.933 for 12, 0.985 for 13 (the 97.5th is week 13). Over 10,000 iterations the shares'
    // Monte Carlo error (under 0.005) is far from every boundary.
    let dir = tempdir();
    let (terminal, run_dir) = run(
        dir.path(),
        &weekly_payback("{ dist = \"uniform\", low = 60, high = 160 }", "10000"),
    );
    assert!(terminal.contains("in 8 weeks (95% interval 6 to 13)"), "{terminal}");
    let r = &csv_rows(&run_dir.join("payback.csv"))[0];
    assert_eq!(
        (r["median"].as_str(), r["p2_5"].as_str(), r["p97_5"].as_str()),
        ("8", "6", "13")
    );
    assert_eq!(number(&r["share_never"]), 0.0);
}

#[test]
fn payback_in_years_where_cycles_are_years() {
    // The cheaper arm of the first test "pays back" in its first year; payback.csv says so in years.
    let text = scenario_text(
        "cheaper",
        &[("horizon_years", "2"), ("discount_rate_costs", "0")],
        &one_state(800.0, "[]", "[]"),
    );
    let dir = tempdir();
    let (_, run_dir) = run(dir.path(), &text);
    let r = &csv_rows(&run_dir.join("payback.csv"))[0];
    assert_eq!(
        (r["unit"].as_str(), r["horizon"].as_str(), r["median"].as_str()),
        ("year", "2", "1")
    );
}

/// Three years for 100 people from 1 April 2027: council care £1,000 a year against £800 with the service, which
/// costs the council £300 a person at entry; NHS care £500 a year against £400. Costs discounted at 3.5%.
fn three_years(extra_settings: &[(&str, &str)]) -> String {
    let usual = "[]";
    let new = r#"[{ name = "visit", kind = "one_off", payer = "council", amount = 300 }]"#;
    let mut settings = vec![("horizon_years", "3"), ("start_date", "\"2027-04-01\"")];
    settings.extend_from_slice(extra_settings);
    scenario_text("budget", &settings, &one_state(800.0, usual, new))
        .replace(
            "costs = { council = \"care_cost\" }",
            "costs = { council = \"care_cost\", nhs = \"nhs_cost\" }",
        )
        .replace("care_cost = 1000\n", "care_cost = 1000\nnhs_cost = 500\n")
        .replace(
            "parameters = { care_cost = 800 }",
            "parameters = { care_cost = 800, nhs_cost = 400 }",
        )
}

/// The budget.csv row of a payer, basis and financial year.
fn budget_row<'a>(
    rows: &'a [std::collections::HashMap<String, String>],
    payer: &str,
    basis: &str,
    year: &str,
) -> &'a std::collections::HashMap<String, String> {
    rows.iter()
        .find(|r| r["payer"] == payer && r["basis"] == basis && r["financial_year"] == year)
        .unwrap_or_else(|| panic!("no row for {payer} {basis} {year}"))
}

#[test]
fn a_three_year_budget_for_100_people_by_payer_and_financial_year() {
    let dir = tempdir();
    let (terminal, run_dir) = run(dir.path(), &three_years(&[]));
    let rows = csv_rows(&run_dir.join("budget.csv"));
    assert!(terminal.contains("Budget impact for 100 people in cash"), "{terminal}");
    assert!(
        terminal.split_whitespace().collect::<Vec<_>>().join(" ").contains(
            "2028/29 −£20,000 (−£20,000 to −£20,000) −£10,000 (−£10,000 to −£10,000) −£30,000 (−£30,000 to −£30,000)"
        ),
        "{terminal}"
    );
    // 1 comparison × 2 bases × 4 payers (council, NHS, person, all) × 3 years.
    assert_eq!(rows.len(), 24);
    // Per person in cash: year 1 the council pays 800 + 300 against 1,000 (+100), the NHS 400 against 500 (−100);
    // years 2 and 3, −200 and −100. For 100 people: +£10,000 and −£10,000, then −£20,000 and −£10,000 a year.
    let expect = [
        ("council", "2027/28", 100_000.0, 110_000.0, 30_000.0, 20_000.0, 10_000.0),
        ("council", "2028/29", 100_000.0, 80_000.0, 0.0, 20_000.0, -20_000.0),
        ("council", "2029/30", 100_000.0, 80_000.0, 0.0, 20_000.0, -20_000.0),
        ("nhs", "2027/28", 50_000.0, 40_000.0, 0.0, 10_000.0, -10_000.0),
        ("nhs", "2029/30", 50_000.0, 40_000.0, 0.0, 10_000.0, -10_000.0),
        ("total", "2027/28", 150_000.0, 150_000.0, 30_000.0, 30_000.0, 0.0),
        ("total", "2028/29", 150_000.0, 120_000.0, 0.0, 30_000.0, -30_000.0),
        ("person", "2028/29", 0.0, 0.0, 0.0, 0.0, 0.0),
    ];
    for (payer, year, usual, new, spend, savings, impact) in expect {
        let r = budget_row(&rows, payer, "cash", year);
        let got = [
            "comparator_cost",
            "arm_cost",
            "extra_spend",
            "care_savings",
            "budget_impact",
        ]
        .map(|k| number(&r[k]));
        assert_eq!(got, [usual, new, spend, savings, impact], "{payer} {year}");
        assert_eq!(
            number(&r["budget_impact_p2_5"]),
            impact,
            "one iteration: the interval is the value"
        );
        assert_eq!(number(&r["population"]), 100.0);
    }
    // Discounted at 3.5% from the start of each programme year: year 2 by 1/1.035, year 3 by 1/1.035².
    let council2 = number(&budget_row(&rows, "council", "discounted", "2028/29")["budget_impact"]);
    let council3 = number(&budget_row(&rows, "council", "discounted", "2029/30")["budget_impact"]);
    assert!((council2 - -19_323.671497584543).abs() < 1e-6, "{council2}");
    assert!((council3 - -18_670.214_007_328_06).abs() < 1e-6, "{council3}");
    let council1 = number(&budget_row(&rows, "council", "discounted", "2027/28")["budget_impact"]);
    assert!((council1 - 10_000.0).abs() < 1e-6);
    // The council bears the extra spend, so the plot and the sentence are its: −£10,000 after 2027/28, +£10,000
    // after 2028/29 (break-even), +£30,000 after 2029/30.
    assert!(run_dir.join("budget_cheaper.png").exists() && run_dir.join("budget_cheaper.svg").exists());
    // The template escapes "/" as every other character that could end an HTML context.
    let report = fs::read_to_string(run_dir.join("report.html"))
        .expect("report")
        .replace("&#x2f;", "/");
    assert!(report.contains("What it costs and saves, year by year"));
    assert!(
        report.contains("in 2027/28 it costs the council £10,000 more (95% interval £10,000 to £10,000); by the end of 2029/30 its cumulative net savings to the council are £30,000 (95% interval £30,000 to £30,000), and the cumulative position breaks even in 2028/29 (median)."),
        "the budget holder's sentence"
    );
    assert!(report.contains("ISPOR Budget Impact Analysis Good Practice II Task Force"));
}

#[test]
fn a_stated_population_scales_the_budget() {
    // 250 people instead of the cohort's 100: the council's first year is +£25,000.
    let dir = tempdir();
    let (_, run_dir) = run(dir.path(), &three_years(&[("population", "250")]));
    let rows = csv_rows(&run_dir.join("budget.csv"));
    let r = budget_row(&rows, "council", "cash", "2027/28");
    assert_eq!(
        (number(&r["budget_impact"]), number(&r["population"])),
        (25_000.0, 250.0)
    );
}

#[test]
fn without_a_start_date_there_is_no_budget() {
    let text = three_years(&[]).replace("start_date = \"2027-04-01\"\n", "");
    let dir = tempdir();
    let (_, run_dir) = run(dir.path(), &text);
    assert!(!run_dir.join("budget.csv").exists());
}

#[test]
fn a_start_date_that_is_not_1_april_is_refused_with_where_and_why() {
    for (date, says) in [
        ("\"2027-01-01\"", "must be 1 April (\"2027-04-01\"), not \"2027-01-01\""),
        ("\"1 April 2027\"", "must be a date written \"YYYY-MM-DD\""),
        ("\"2500-04-01\"", "the year must be from 1900 to 2200"),
        ("2027-04-01", "write the date in quotes, as text: \"2027-04-01\""),
    ] {
        let dir = tempdir();
        let file = dir.path().join("scenario.toml");
        fs::write(&file, three_years(&[]).replace("\"2027-04-01\"", date)).expect("write");
        let output = carecast().arg("check").arg(&file).output().expect("runs");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("settings.start_date") && stderr.contains(says),
            "{stderr}"
        );
        assert!(stderr.contains("scenario.toml:"), "names the file and line: {stderr}");
    }
}

#[test]
fn payback_is_a_reproduce_target_in_the_models_own_cycles() {
    // The two weekly scenarios above, with a target of 8 weeks: 8 (8 to 8) for a saving of exactly £100 a week, and
    // 8 (6 to 13) for a saving drawn from Uniform(60, 160).
    let target = "\n[sources]\nhand = \"worked by hand\"\n\n[[reproduce]]\nfigure = \"pays back in 8 weeks\"\nsource = \"hand\"\npublished = 8\nmetric = \"payback\"\narm = \"service\"\naccept = [8, 8]\nwhy = \"worked by hand\"\n";
    for (saving, iterations, interval) in [
        ("100", "1", (8.0, 8.0)),
        ("{ dist = \"uniform\", low = 60, high = 160 }", "10000", (6.0, 13.0)),
    ] {
        let text = format!("{}{target}", weekly_payback(saving, iterations));
        let loaded = common::loaded("weekly.toml", &text);
        let rows = carecast::commands::reproduce_scenario(&loaded).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (rows[0].value, rows[0].low, rows[0].high),
            (8.0, interval.0, interval.1)
        );
        assert_eq!(rows[0].status, carecast::analysis::reproduce::Status::Within);
    }
    // Over a whole horizon only.
    let text = format!("{}{target}year = 1\n", weekly_payback("100", "1"));
    let error = common::compile_error(&text);
    assert!(error.contains("`payback` is over the whole horizon"), "{error}");
}

#[test]
fn the_cash_run_is_the_scenario_with_both_rates_zero_bit_for_bit() {
    // The budget's cash figures come from the model with its discounting taken out; they must be those of the same
    // scenario written with both rates 0 (uncertain care costs, so that the draws matter).
    let text = three_years(&[])
        .replace(
            "care_cost = 1000\n",
            "care_cost = { dist = \"gamma\", mean = 1000, sd = 150 }\n",
        )
        .replace("iterations = 1\n", "iterations = 300\n");
    let discounted = common::model(&text);
    let cash = discounted.undiscounted().expect("discounted at 3.5%");
    let zero = common::model(
        &text
            .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0")
            .replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0"),
    );
    assert!(zero.undiscounted().is_none(), "nothing to take out");
    let (a, b) = (common::run(&cash, 2), common::run(&zero, 2));
    let bits = |v: &ndarray::Array3<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.yearly_mean), bits(&b.yearly_mean));
    assert_eq!(bits(&a.kernel_totals), bits(&b.kernel_totals));
}

#[test]
fn the_life_table_scenarios_cash_run_is_the_scenario_with_both_rates_zero_bit_for_bit() {
    // The bundled life-table scenario (strata by age and sex, values looked up per cycle when it loads), as written
    // and with conventions set apart per quantity, cycle-start discounting and different rates for costs and
    // outcomes: the model with its discounting taken out must be the scenario written with both rates 0.
    let text = fs::read_to_string("scenarios/life-table.toml")
        .expect("the bundled scenario")
        .replace("iterations = 5000\n", "iterations = 200\n");
    let apart = text
        .replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0.015")
        .replace(
            "primary_outcome = \"qaly\"\n",
            "primary_outcome = \"qaly\"\ndiscount_timing = \"cycle-start\"\n",
        )
        + "\n[accrual]\ncare_costs = \"end\"\noutcomes = { qaly = \"start\" }\n";
    let bits = |v: &ndarray::Array3<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for text in [text.clone(), apart] {
        let discounted = common::model(&text);
        assert_eq!(discounted.strata.len(), 6, "three starting ages by two sexes");
        let cash = discounted.undiscounted().expect("discounted");
        let zero = common::model(
            &text
                .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0")
                .replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0")
                .replace("discount_rate_outcomes = 0.015", "discount_rate_outcomes = 0"),
        );
        assert!(zero.undiscounted().is_none(), "nothing to take out");
        let (a, b) = (common::run(&cash, 2), common::run(&zero, 2));
        assert_eq!(bits(&a.yearly_mean), bits(&b.yearly_mean));
        assert_eq!(bits(&a.kernel_totals), bits(&b.kernel_totals));
        let discounted = common::run(&discounted, 2);
        assert!(
            discounted.total_cost(0, 0) < a.total_cost(0, 0),
            "discounting lowers costs"
        );
    }
}

/// A monthly model of three years: strata by age and sex reading the national life table, a cost from a table by
/// `cycle`, a tunnel whose stay cost is a table by `time_in_state`, entry over two years, care costs and QALYs under
/// conventions of their own, cycle-start discounting, and the arm's recurring and annual programme costs.
fn monthly_depth() -> String {
    let body = r#"
[tables.qx]
builtin = "ons_england_2017_2019"
beyond = 1

[tables.checks]
by = "cycle"
beyond = "last"
rows = [{ cycle = 0, value = 120 }, { cycle = 1, value = 60 }, { cycle = 2, value = 30 }]

[tables.stay]
by = "time_in_state"
beyond = "last"
rows = [{ time_in_state = 1, value = 2400 }, { time_in_state = 2, value = 1200 }]

[accrual]
care_costs = "end"
outcomes = { qaly = "half-cycle" }

[parameters]
p_care = { dist = "beta", mean = 0.02, sd = 0.005 }
cost_care = { dist = "gamma", mean = 1500, sd = 200 }
rr = 1

[[states]]
name = "well"
per = "year"
costs = { council = "checks(cycle)" }
outcomes = { qaly = 0.8 }

[[states]]
name = "care"
per = "year"
tunnel = { cycles = 3 }
costs = { council = "stay(time_in_state) + cost_care" }
outcomes = { qaly = 0.5 }

[[states]]
name = "dead"
dead = true

[start]
well = 1

[transitions]
well = { dead = "convert_prob(qx(age, sex), 1, 1 / 12)", care = "p_care * rr", well = "remainder" }
care = { dead = "convert_prob(qx(age, sex), 1, 1 / 12)", well = "0.05", care = "remainder" }

[[arms]]
name = "usual_care"

[[arms]]
name = "support"
parameters = { rr = { dist = "lognormal", ci95 = [0.6, 0.9] } }
costs = [{ name = "visits", kind = "recurring", payer = "council", amount = 600, per = "year" }, { name = "team", kind = "annual", payer = "nhs", amount = 20000, from_year = 0, to_year = 2 }]

[cohort]
size = 1000
entry = [0.6, 0.4]
age = { 70 = 0.5, 85 = 0.5 }
male = 0.4
"#;
    let settings = [
        ("horizon_years", "3"),
        ("cycle", "\"month\""),
        ("iterations", "40"),
        ("discount_rate_outcomes", "0.015"),
        ("discount_timing", "\"cycle-start\""),
    ];
    scenario_text("monthly", &settings, body)
}

#[test]
fn a_monthly_model_binned_by_cycle_gives_the_yearly_runs_years() {
    let model = common::model(&monthly_depth());
    assert_eq!(
        (model.strata.len(), model.states.len()),
        (4, 5),
        "4 strata; well, care[1], [2], [3+], dead"
    );
    // Binned by month with every column accrued (the run behind payback accrues only the costs it reads).
    let by_cycle = model.binned_by_cycle().expect("monthly cycles");
    assert_eq!(by_cycle.settings.bins(), 36);
    let (yearly, monthly) = (common::run(&model, 2), common::run(&by_cycle, 2));
    let for_payback = common::run(&model.by_cycle().expect("monthly cycles"), 2);
    assert_eq!(for_payback.payback_year, monthly.payback_year);
    // The same draws and trace, only summed by month: twelve months make each year, in every column.
    let shape = yearly.yearly_mean.shape().to_vec();
    for arm in 0..shape[0] {
        for year in 0..shape[1] {
            for c in 0..shape[2] {
                let months: f64 = (0..12).map(|m| monthly.yearly_mean[[arm, 12 * year + m, c]]).sum();
                let v = yearly.yearly_mean[[arm, year, c]];
                assert!(
                    (months - v).abs() <= 1e-9 * v.abs().max(1.0),
                    "{arm} {year} {c}: {months} vs {v}"
                );
            }
        }
    }
    for i in 0..40 {
        for arm in 0..2 {
            let (a, b) = (monthly.total_cost(i, arm), yearly.total_cost(i, arm));
            assert!(common::rel(a, b) < 1e-12, "{i} {arm}: {a} vs {b}");
        }
    }
}

#[test]
fn a_table_by_cycle_is_read_per_model_cycle_when_binned_by_cycle() {
    // One state nobody leaves, monthly cycles for a year, undiscounted, start accrual, a cost per year of
    // checks(cycle) = 120, 60, 30, then 0 past the last row: month m holds checks(m) / 12 = 10, 5, 2.5, 0, ..., 0.
    let body = r#"
[tables.checks]
by = "cycle"
beyond = 0
rows = [{ cycle = 0, value = 120 }, { cycle = 1, value = 60 }, { cycle = 2, value = 30 }]

[[states]]
name = "well"
per = "year"
costs = { council = "checks(cycle)" }

[start]
well = 1

[transitions]
well = { well = 1 }

[[arms]]
name = "a"

[[arms]]
name = "b"

[cohort]
size = 1
"#;
    let settings = [
        ("horizon_years", "1"),
        ("cycle", "\"month\""),
        ("discount_rate_costs", "0"),
        ("discount_rate_outcomes", "0"),
    ];
    let model = common::model(&scenario_text("checks", &settings, body));
    let monthly = common::run(&model.by_cycle().expect("monthly"), 1);
    let council = carecast::model::Columns::BUILT_IN.care(carecast::model::Payer::Council);
    let expected = [10.0, 5.0, 2.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    for (m, e) in expected.iter().enumerate() {
        let v = monthly.yearly_mean[[0, m, council]];
        assert!((v - e).abs() < 1e-12, "month {m}: {v} vs {e}");
    }
    let yearly = common::run(&model, 1).yearly_mean[[0, 0, council]];
    assert!((yearly - 17.5).abs() < 1e-12, "{yearly}");
}
