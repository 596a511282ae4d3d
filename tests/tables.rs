//! Lookup tables, life tables and cohort strata, per-quantity accrual and discount timing: totals derived by hand
//! (survival as the product of (1 − qx) read here from the bundled CSV file, geometric series for the conventions),
//! the errors a user meets (file, line, column, field, exit code 2), and the bundled life-table scenario on 1, 2 and
//! 8 threads.

mod common;
use carecast::model::{Columns, Payer};
use common::*;
use std::collections::HashMap;

/// qx by (age, sex) from the bundled ONS table, read from its CSV file with no help from carecast.
fn ons_qx() -> HashMap<(u32, String), f64> {
    let text = std::fs::read_to_string("data/ons-life-table-england-2017-2019.csv").expect("the bundled table");
    text.lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (
                (cells[0].parse().unwrap(), cells[1].to_string()),
                cells[2].parse().unwrap(),
            )
        })
        .collect()
}

/// Undiscounted life-years over `years` yearly cycles, start-of-cycle accrual, from `age`: Σ_k Π_{j<k} (1 − q(age + j)),
/// with q = `past` beyond age 100.
fn life_years(qx: &HashMap<(u32, String), f64>, age: u32, sex: &str, years: u32, past: Option<f64>) -> f64 {
    let mut alive = 1.0;
    let mut total = 0.0;
    for k in 0..years {
        total += alive;
        let a = age + k;
        let q = if a <= 100 {
            qx[&(a, sex.to_string())]
        } else {
            past.unwrap_or(qx[&(100, sex.to_string())])
        };
        alive *= 1.0 - q;
    }
    total
}

/// One living state with a life-year outcome (and a cost of 1 a year) that people leave only by dying with
/// probability `death`; undiscounted, start-of-cycle accrual, over `years` yearly cycles.
fn life_table_model(tables: &str, death: &str, cohort: &str, years: u32) -> String {
    scenario_text(
        "life",
        &[
            ("horizon_years", &years.to_string()),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        &format!(
            r#"
{tables}

[[states]]
name = "alive"
per = "year"
costs = {{ council = 1 }}
outcomes = {{ ly = 1 }}

[[states]]
name = "dead"
dead = true

[start]
alive = 1

[transitions]
alive = {{ dead = "{death}", alive = "remainder" }}

[[arms]]
name = "a"

[[arms]]
name = "b"

[cohort]
size = 1
{cohort}
"#
        ),
    )
}

const ONS: &str = "[tables.qx]\nbuiltin = \"ons_england_2017_2019\"\nbeyond = 1";

#[test]
fn survival_under_the_national_life_table_is_the_product_of_one_minus_qx() {
    let qx = ons_qx();
    // 45 years from 60 passes the table's last age (100): `beyond = 1` ends every life at 101.
    for sex in ["male", "female"] {
        let male = if sex == "male" { 1 } else { 0 };
        let text = life_table_model(ONS, "qx(age, sex)", &format!("age = 60\nmale = {male}"), 45);
        let ly = run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.outcome(0));
        let expected = life_years(&qx, 60, sex, 45, Some(1.0));
        assert!(rel(ly, expected) < 1e-12, "{sex}: {ly} vs {expected}");
    }
    // `beyond = "last"` keeps q100 past 100 instead: more life-years, as the hand sum says.
    let text = life_table_model(
        &ONS.replace("beyond = 1", "beyond = \"last\""),
        "qx(age, sex)",
        "age = 80\nmale = 1",
        40,
    );
    let ly = run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.outcome(0));
    let expected = life_years(&qx, 80, "male", 40, None);
    assert!(rel(ly, expected) < 1e-12, "last: {ly} vs {expected}");
    assert!(expected > life_years(&qx, 80, "male", 40, Some(1.0)) + 1e-3);
}

#[test]
fn a_cohort_of_several_ages_and_both_sexes_is_the_share_weighted_sum_of_its_strata() {
    let qx = ons_qx();
    let text = life_table_model(ONS, "qx(age, sex)", "age = { 80 = 0.75, 60 = 0.25 }\nmale = 0.4", 30);
    let ly = run(&model(&text), 1).total(0, 1, Columns::BUILT_IN.outcome(0));
    let mut expected = 0.0;
    for (age, a_share) in [(60, 0.25), (80, 0.75)] {
        for (sex, s_share) in [("male", 0.4), ("female", 0.6)] {
            expected += a_share * s_share * life_years(&qx, age, sex, 30, Some(1.0));
        }
    }
    assert!(rel(ly, expected) < 1e-12, "{ly} vs {expected}");
}

#[test]
fn age_advances_with_time_and_a_lookup_rounds_it_down() {
    // Quarterly cycles, nobody dies; a cost of 100 a year at age 60 and 200 a year from 61 (inline table). Boundaries
    // 0–3 are at ages 60, 60.25, 60.5, 60.75 (row 60), 4–7 at 61 to 61.75 (row 61): 4 × 100/4 + 4 × 200/4 = 300.
    let tables =
        "[tables.cost]\nby = \"age\"\nbeyond = \"last\"\nrows = [{ age = 60, value = 100 }, { age = 61, value = 200 }]";
    let text = life_table_model(tables, "0", "age = 60", 2)
        .replace("cycle = \"year\"", "cycle = \"quarter\"")
        .replace("council = 1", "council = \"cost(age)\"");
    let cost = run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    assert!(rel(cost, 300.0) < 1e-12, "{cost}");
}

#[test]
fn a_table_by_cycle_gives_its_number_past_the_last_row() {
    // Rows for cycles 0, 1, 2 (1, 2, 3), then `beyond = 10`: over 5 yearly cycles 1 + 2 + 3 + 10 + 10 = 26.
    let tables =
        "[tables.effect]\nby = \"cycle\"\nbeyond = 10\nrows = [{ cycle = 0, value = 1 }, { cycle = 2, value = 3 }, \
                  { cycle = 1, value = 2 }]";
    let text = life_table_model(tables, "0", "", 5).replace("council = 1", "council = \"effect(cycle)\"");
    let cost = run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    assert!(rel(cost, 26.0) < 1e-12, "{cost}");
}

/// Σ_{k=a}^{b} q^k.
fn geometric(q: f64, a: i32, b: i32) -> f64 {
    (a..=b).map(|k| q.powi(k)).sum()
}

/// Two states, alive (1,000 a year to the council, 0.8 QALY a year; in arm `b` a recurring intervention cost of
/// 50 a year) and dead; 10% die each cycle; 10 yearly cycles, 3.5% discounting; `settings` and `extra` added.
fn two_state(settings: &[(&str, &str)], extra: &str) -> carecast::simulate::Results {
    let body = format!(
        r#"
[parameters]
p_die = 0.1

[[states]]
name = "alive"
per = "year"
costs = {{ council = 1000 }}
outcomes = {{ qaly = 0.8 }}

[[states]]
name = "dead"
dead = true

[start]
alive = 1

[transitions]
alive = {{ dead = "p_die", alive = "remainder" }}

[[arms]]
name = "a"

[[arms]]
name = "b"
costs = [{{ name = "support", kind = "recurring", payer = "council", amount = 50, per = "year" }}]

[cohort]
size = 1

{extra}
"#
    );
    run(&model(&scenario_text("two", settings, &body)), 1)
}

#[test]
fn each_quantity_accrues_under_its_own_convention() {
    // Boundary value f_k = q^k with q = 0.9/1.035 (survival times discount), n = 10 cycles.
    let q = 0.9 / 1.035;
    let (start, end) = (geometric(q, 0, 9), geometric(q, 1, 10));
    let half = (start + end) / 2.0;
    let r = two_state(
        &[("accrual", "\"start\"")],
        "[accrual]\ncare_costs = \"end\"\noutcomes = { qaly = \"half-cycle\" }\nintervention_costs = \"half-cycle\"",
    );
    let care = r.total(0, 1, Columns::BUILT_IN.care(Payer::Council));
    let qaly = r.total(0, 1, Columns::BUILT_IN.outcome(0));
    let spend = r.total(0, 1, Columns::BUILT_IN.spend(Payer::Council));
    assert!(
        rel(care, 1000.0 * end) < 1e-12,
        "care costs at the end of each cycle: {care}"
    );
    assert!(
        rel(qaly, 0.8 * half) < 1e-12,
        "QALYs with the half-cycle correction: {qaly}"
    );
    assert!(
        rel(spend, 50.0 * half) < 1e-12,
        "intervention costs, half-cycle: {spend}"
    );
    // Setting the scenario's own convention apart changes nothing.
    let same = two_state(&[("accrual", "\"start\"")], "[accrual]\ncare_costs = \"start\"");
    assert!(rel(same.total(0, 1, Columns::BUILT_IN.care(Payer::Council)), 1000.0 * start) < 1e-12);
}

#[test]
fn cycle_start_timing_discounts_each_cycle_at_its_start() {
    // Cycle c's value under half-cycle accrual is (S_c + S_{c+1})/2 with S_k = 0.9^k. Discounted at the cycle's
    // start: Σ_c 0.95 · 0.9^c / 1.035^c. Each boundary at its own time (the default) gives the trapezoid instead.
    let q = 0.9 / 1.035;
    let timing = ("discount_timing", "\"cycle-start\"");
    let r = two_state(&[("accrual", "\"half-cycle\""), timing], "");
    let cost = r.total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    let expected = 1000.0 * 0.95 * geometric(q, 0, 9);
    assert!(rel(cost, expected) < 1e-12, "cycle-start: {cost} vs {expected}");
    let boundary = two_state(&[("accrual", "\"half-cycle\"")], "").total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    let trapezoid = 1000.0 * (geometric(q, 0, 9) + geometric(q, 1, 10)) / 2.0;
    assert!(rel(boundary, trapezoid) < 1e-12, "boundary: {boundary} vs {trapezoid}");
    // End-of-cycle values discounted at the cycle's start: Σ_c 0.9^(c+1) / 1.035^c, for a convention set apart too.
    let r = two_state(
        &[("accrual", "\"half-cycle\""), timing],
        "[accrual]\ncare_costs = \"end\"",
    );
    let cost = r.total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    let expected = 1000.0 * 0.9 * geometric(q, 0, 9);
    assert!(rel(cost, expected) < 1e-12, "end, cycle-start: {cost} vs {expected}");
}

/// Runs `carecast check` on `scenario` written to a temporary folder with the files `others` beside it; returns
/// the exit code and what it printed to stderr.
fn check(scenario: &str, others: &[(&str, &str)]) -> (i32, String) {
    let dir = tempdir();
    std::fs::write(dir.path().join("s.toml"), scenario).unwrap();
    for (name, text) in others {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = carecast().arg("check").arg(dir.path().join("s.toml")).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The life-table model with a table `extra` by age read from `extra.csv` (beyond `beyond`) and used in the
/// transition; returns it and the line and column where `extra(age)` is written.
fn with_csv_table(beyond: &str) -> String {
    let tables = format!("{ONS}\n\n[tables.extra]\nfile = \"extra.csv\"\nby = \"age\"\nbeyond = {beyond}");
    life_table_model(&tables, "qx(age, sex) * extra(age)", "age = 60\nmale = 0.5", 10)
}

/// The 1-based line and column of the first `needle` in `text`.
fn line_col(text: &str, needle: &str) -> String {
    let at = text.find(needle).expect("present");
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

#[test]
fn bad_table_files_are_refused_with_the_file_line_column_and_field() {
    let text = with_csv_table("\"last\"");
    let good: String = (60..=70).map(|a| format!("{a},1\n")).collect();
    let (code, err) = check(&text, &[("extra.csv", &format!("age,value\n{good}"))]);
    assert_eq!(code, 0, "{err}");
    // A path that is not there: said at the scenario's `file`.
    let (code, err) = check(&text, &[]);
    assert_eq!(code, 2);
    let at = line_col(&text, "\"extra.csv\"");
    assert!(
        err.contains(&format!(
            "s.toml:{at}: field `tables.extra.file`: cannot read the table file"
        )),
        "{err}"
    );
    // A missing column: said at the CSV file's header.
    let (code, err) = check(&text, &[("extra.csv", &format!("age,val\n{good}"))]);
    assert_eq!(code, 2);
    assert!(
        err.contains("extra.csv:1:1: field `header`: no `value` column; the header has: age, val"),
        "{err}"
    );
    // A cell that is not a number: said at the cell (line 4, column 4).
    let (code, err) = check(&text, &[("extra.csv", "age,value\n60,1\n61,1\n62,one\n")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("extra.csv:4:4: field `value`: `one` is not a finite number"),
        "{err}"
    );
    // An age that is not a whole number.
    let (code, err) = check(&text, &[("extra.csv", "age,value\n60,1\n60.5,1\n")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("extra.csv:3:1: field `age`: `60.5` is not a whole number"),
        "{err}"
    );
    // A gap: no row for age 61.
    let (code, err) = check(&text, &[("extra.csv", "age,value\n60,1\n62,1\n")]);
    assert_eq!(code, 2);
    assert!(err.contains("no row for age 61"), "{err}");
    // The same age twice.
    let (code, err) = check(&text, &[("extra.csv", "age,value\n60,1\n60,2\n")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("extra.csv:3:1: field `row`: a second row for age 60"),
        "{err}"
    );
}

#[test]
fn an_age_past_the_table_is_refused_unless_the_table_says_what_it_gives() {
    // Ages 60 to 65 only, followed for 10 years: age 66 is reached at cycle 6.
    let rows: String = (60..=65).map(|a| format!("{a},1\n")).collect();
    let csv = format!("age,value\n{rows}");
    let text = with_csv_table("\"error\"");
    let (code, err) = check(&text, &[("extra.csv", &csv)]);
    assert_eq!(code, 2);
    let at = line_col(&text, "extra(age)");
    assert!(
        err.contains(&format!(
            "s.toml:{at}: field `transitions.alive.dead`: the key `age` of table `extra` is 66, past its last row \
             (65), and the table's `beyond` is \"error\" at cycle 6"
        )),
        "{err}"
    );
    // With no rule at all, the table is refused: extrapolation is never silent.
    let text = with_csv_table("\"error\"").replace("beyond = \"error\"", "");
    let (code, err) = check(&text, &[("extra.csv", &csv)]);
    assert_eq!(code, 2);
    assert!(err.contains("missing field `beyond`"), "{err}");
    assert!(err.contains("field `tables.extra`"), "{err}");
    // An unknown rule names the known ones.
    let (code, err) = check(&with_csv_table("\"clamp\""), &[("extra.csv", &csv)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("field `tables.extra.beyond`: unknown rule `clamp`"),
        "{err}"
    );
}

#[test]
fn mistakes_in_tables_cohorts_and_conventions_are_refused_where_they_are_written() {
    let cases: [(&str, &str, &str, &str); 8] = [
        (
            "builtin = \"ons_england_2017_2019\"",
            "builtin = \"ons_england\"",
            "\"ons_england\"",
            "tables.qx.builtin",
        ),
        ("male = 0.5", "male = 1.5", "1.5", "cohort.male"),
        ("age = 60", "age = { 60 = 0.5, 70 = 0.4 }", "{ 60", "cohort.age"),
        ("age = 60", "age = { 60 = 0.5, old = 0.5 }", "old = ", "cohort.age.old"),
        (
            "[[states]]",
            "[accrual]\noutcomes = { qualy = \"end\" }\n\n[[states]]",
            "qualy",
            "accrual.outcomes.qualy",
        ),
        (
            "[[states]]",
            "[accrual]\ncare_costs = \"middle\"\n\n[[states]]",
            "\"middle\"",
            "accrual.care_costs",
        ),
        (
            "seed = 7",
            "seed = 7\ndiscount_timing = \"mid-cycle\"",
            "\"mid-cycle\"",
            "settings.discount_timing",
        ),
        ("male = 0.5\n", "", "sex)", "transitions.alive.dead"),
    ];
    let base = life_table_model(ONS, "qx(age, sex)", "age = 60\nmale = 0.5", 10);
    for (from, to, at, field) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replacen(from, to, 1);
        let (code, err) = check(&text, &[]);
        assert_eq!(code, 2, "{to}: {err}");
        let place = line_col(&text, at);
        assert!(err.contains(&format!("s.toml:{place}: field `{field}`")), "{to}: {err}");
    }
    // A table's keys must be known before sampling.
    let text = base
        .replace(
            "[tables.qx]",
            "[parameters]\nshift = { dist = \"uniform\", low = 0, high = 5 }\n\n[tables.qx]",
        )
        .replace("qx(age, sex)\"", "qx(age + shift, sex)\"");
    let (code, err) = check(&text, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("depends on the sampled parameter `shift`"), "{err}");
}

#[test]
fn the_life_table_scenario_gives_the_same_bits_on_1_2_and_8_threads() {
    let loaded = bundled("life-table", Some(600), &[]);
    let strata = &loaded.model.strata;
    assert_eq!(strata.len(), 6, "three starting ages by two sexes");
    let one = run(&loaded.model, 1);
    for threads in [2, 8] {
        let other = run(&loaded.model, threads);
        let bits = |r: &carecast::simulate::Results| {
            let totals = r.kernel_totals.iter().map(|v| v.to_bits());
            let means = r.yearly_mean.iter().map(|v| v.to_bits());
            totals.chain(means).collect::<Vec<_>>()
        };
        assert_eq!(bits(&one), bits(&other), "{threads} threads");
    }
}

#[test]
fn a_table_by_time_in_state_gives_each_step_of_a_tunnel_its_row() {
    // A 3-cycle tunnel nobody leaves, over 5 yearly cycles: steps 1, 2, 3, 3, 3 read rows 1 (100), 2 (50), then past
    // the last row (`beyond = "last"`: 50): 100 + 50 + 50 + 50 + 50 = 300.
    let body = r#"
[tables.stay]
by = "time_in_state"
beyond = "last"
rows = [{ time_in_state = 1, value = 100 }, { time_in_state = 2, value = 50 }]

[[states]]
name = "care"
per = "year"
tunnel = { cycles = 3 }
costs = { council = "stay(time_in_state)" }
outcomes = { ly = 1 }

[start]
care = 1

[transitions]
care = { care = 1 }

[[arms]]
name = "a"

[[arms]]
name = "b"

[cohort]
size = 1
"#;
    let text = scenario_text("stay", &[("horizon_years", "5"), ("discount_rate_costs", "0")], body);
    let cost = run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.care(Payer::Council));
    assert!(rel(cost, 300.0) < 1e-12, "{cost}");
}
