//! Costs in time (docs/scenario-format.md, "Timing"): a one-off cost paid after a `delay`, and a care cost avoided
//! entered as a `saving`. Every expected value is worked out by hand in closed form.

mod common;

use carecast::model::{Columns, Payer};

const COLUMNS: Columns = Columns::BUILT_IN;
use common::{compile_error, model, rel, scenario_text};

/// Two states (at home, dead), everyone starting at home and dying with probability `p_die` each cycle; the
/// intervention arm pays the costs `costs` (TOML array items); the cohort is `cohort` (TOML lines).
fn body(p_die: &str, costs: &str, cohort: &str) -> String {
    format!(
        r#"
[[states]]
name = "home"
per = "week"
costs = {{ council = 0 }}
outcomes = {{ weeks_at_home = 1 }}

[[states]]
name = "dead"
dead = true

[start]
home = 1

[transitions]
home = {{ dead = {p_die}, home = "remainder" }}

[[arms]]
name = "usual"

[[arms]]
name = "service"
costs = [{costs}]

[cohort]
size = 100
{cohort}
"#
    )
}

/// The council's discounted spend (total, and in each programme year of the first kept iteration) and care costs
/// (total, cashable) of the service arm, per person.
fn service(settings: &[(&str, &str)], p_die: &str, costs: &str, cohort: &str) -> (f64, Vec<f64>, f64, f64) {
    let m = model(&scenario_text("timed", settings, &body(p_die, costs, cohort)));
    let r = common::run(&m, 1);
    let spend = COLUMNS.spend(Payer::Council);
    let years = (0..m.settings.horizon_years)
        .map(|y| r.yearly_value(0, 1, y, spend))
        .collect();
    (
        r.total(0, 1, spend),
        years,
        r.total(0, 1, COLUMNS.care(Payer::Council)),
        r.total(0, 1, COLUMNS.cashable(Payer::Council)),
    )
}

const DOOR: &str =
    r#"{ name = "door widening", kind = "one_off", payer = "council", amount = 300, delay = "7 months" }"#;

fn assert_near(actual: f64, by_hand: f64, what: &str) {
    assert!(
        rel(actual, by_hand) < 1e-12,
        "{what}: {actual} against {by_hand} worked by hand"
    );
}

#[test]
fn a_one_off_cost_after_seven_months_is_discounted_to_seven_months_under_any_cycle() {
    // £300 at 7/12 of a year, 3.5% a year: 300 / 1.035^(7/12) = 294.04, whatever the cycle length, under the
    // default `boundary` timing (the payment's own time).
    let by_hand = 300.0 / 1.035_f64.powf(7.0 / 12.0);
    assert!((by_hand - 294.04).abs() < 0.005);
    for cycle in ["\"year\"", "\"quarter\"", "\"month\"", "\"week\""] {
        let (spend, years, _, _) = service(&[("horizon_years", "2"), ("cycle", cycle)], "0", DOOR, "");
        assert_near(spend, by_hand, &format!("{cycle} cycles"));
        assert!(
            (years[0] - by_hand).abs() < 1e-3 && years[1] == 0.0,
            "paid in programme year 1: {years:?}"
        );
    }
}

#[test]
fn under_cycle_start_timing_it_is_discounted_to_the_start_of_the_cycle_it_falls_in() {
    // Weekly cycles: 7 months is 30.33 weeks, in the cycle that starts at week 30: 300 / 1.035^(30/52).
    // Quarterly: 7 months falls in the third quarter, which starts at 6 months: 300 / 1.035^0.5.
    let timing = ("discount_timing", "\"cycle-start\"");
    let (weekly, _, _, _) = service(&[("horizon_years", "2"), ("cycle", "\"week\""), timing], "0", DOOR, "");
    assert_near(weekly, 300.0 / 1.035_f64.powf(30.0 / 52.0), "weekly");
    let (quarterly, _, _, _) = service(
        &[("horizon_years", "2"), ("cycle", "\"quarter\""), timing],
        "0",
        DOOR,
        "",
    );
    assert_near(quarterly, 300.0 / 1.035_f64.sqrt(), "quarterly");
    // On a boundary, both timings agree: 7 months with monthly cycles.
    let (monthly, _, _, _) = service(&[("horizon_years", "2"), ("cycle", "\"month\""), timing], "0", DOOR, "");
    assert_near(monthly, 300.0 / 1.035_f64.powf(7.0 / 12.0), "monthly");
}

#[test]
fn each_entry_wave_pays_its_delay_after_its_own_entry_in_the_programme_year_it_falls_in() {
    // Half enter in year 1 (paid at 7 months, programme year 1), half in year 2 (paid at 1 + 7/12, year 2).
    let cohort = "entry = [0.5, 0.5]";
    let (spend, years, _, _) = service(&[("horizon_years", "3")], "0", DOOR, cohort);
    let first = 0.5 * 300.0 / 1.035_f64.powf(7.0 / 12.0);
    let second = 0.5 * 300.0 / 1.035_f64.powf(19.0 / 12.0);
    assert_near(spend, first + second, "both waves");
    assert!((years[0] - first).abs() < 1e-3, "{years:?}");
    assert!((years[1] - second).abs() < 1e-3, "{years:?}");
    assert_eq!(years[2], 0.0);
    // 18 months after entry: the first wave pays at 1.5 years (programme year 2); the second's payment, at 2.5
    // years, is after the two-year horizon and is not counted.
    let late = DOOR.replace("7 months", "18 months");
    let (spend, years, _, _) = service(&[("horizon_years", "2")], "0", &late, cohort);
    let only = 0.5 * 300.0 / 1.035_f64.powf(1.5);
    assert_near(spend, only, "the second wave's payment is past the horizon");
    assert!(years[0] == 0.0 && (years[1] - only).abs() < 1e-3, "{years:?}");
}

#[test]
fn a_delayed_one_off_cost_is_paid_for_everyone_who_entered_whatever_their_state_then() {
    // Half die each month, but the cost was committed at entry: £300 for each person, undiscounted here.
    let settings = [
        ("horizon_years", "1"),
        ("cycle", "\"month\""),
        ("discount_rate_costs", "0"),
    ];
    let (spend, _, _, _) = service(&settings, "0.5", DOOR, "");
    assert_eq!(spend, 300.0);
    // The same in individual mode, with whole people.
    let mut individual = settings.to_vec();
    individual.push(("mode", "\"individual\""));
    let (spend, _, _, _) = service(&individual, "0.5", DOOR, "");
    assert_near(spend, 300.0, "individual mode");
}

#[test]
fn a_saving_lowers_its_payers_care_costs_and_not_the_spend() {
    // £490 a week avoided while at home, weekly cycles, start accrual, no discounting, one year, nobody dies:
    // care costs 0 − 490 × 52 = −25,480; spend 0; cashable part, at a cashable share of 0.25, −6,370.
    let settings = [
        ("horizon_years", "1"),
        ("cycle", "\"week\""),
        ("discount_rate_costs", "0"),
    ];
    let saving = r#"{ name = "residential care avoided", kind = "saving", payer = "council", amount = 490, per = "week", states = ["home"], cashable = 0.25 }"#;
    let (spend, _, care, cashable) = service(&settings, "0", saving, "");
    assert_eq!(spend, 0.0);
    assert_near(care, -25_480.0, "care costs");
    assert_near(cashable, -6_370.0, "cashable care costs");
    // Without a cashable share the whole saving is cashable; with deaths it stops with the people: monthly deaths
    // of 10% per week under start accrual give 490 × (1 − 0.9^52) / 0.1.
    let plain = r#"{ name = "avoided", kind = "saving", payer = "council", amount = 490, per = "week" }"#;
    let (_, _, care, cashable) = service(&settings, "0.1", plain, "");
    let by_hand = -490.0 * (1.0 - 0.9_f64.powi(52)) / 0.1;
    assert_near(care, by_hand, "care costs while alive");
    assert_near(cashable, by_hand, "all cashable");
}

/// The compile error for the service arm's costs `costs`, with a two-year horizon.
fn error(costs: &str) -> String {
    compile_error(&scenario_text(
        "timed",
        &[("horizon_years", "2")],
        &body("0", costs, ""),
    ))
}

#[test]
fn bad_delays_and_savings_are_refused_with_the_field_and_place() {
    let cases = [
        (DOOR.replace("7 months", "7 fortnights"), "`fortnights` is not a unit"),
        (DOOR.replace("7 months", "seven months"), "`seven` is not a number"),
        (DOOR.replace("7 months", "7"), "it needs a unit"),
        (DOOR.replace("7 months", "0 weeks"), "more than zero"),
        (
            DOOR.replace("7 months", "2 years"),
            "at or after the end of the 2-year horizon",
        ),
        (DOOR.replace("delay", "states = [\"home\"], delay"), "takes no `states`"),
        (
            r#"{ name = "x", kind = "recurring", payer = "council", amount = 1, per = "week", delay = "2 weeks" }"#
                .into(),
            "`delay` does not apply to a recurring cost",
        ),
        (
            r#"{ name = "x", kind = "saving", payer = "council", amount = 1, per = "week", cashable = 1.5 }"#.into(),
            "from 0 to 1, not 1.5",
        ),
        (
            r#"{ name = "x", kind = "saving", payer = "council", amount = 1 }"#.into(),
            "a saving needs `per`",
        ),
        (
            r#"{ name = "x", kind = "setup", payer = "council", amount = 1, delay = "2 weeks" }"#.into(),
            "`delay` does not apply to a set-up cost",
        ),
        (
            r#"{ name = "x", kind = "one_off", payer = "council", amount = 1, cashable = 0.5 }"#.into(),
            "`cashable` does not apply to a one-off cost",
        ),
        (
            r#"{ name = "x", kind = "savings", payer = "council", amount = 1 }"#.into(),
            "did you mean",
        ),
    ];
    for (costs, expected) in cases {
        let e = error(&costs);
        assert!(e.contains(expected), "{costs}: {e}");
        assert!(e.contains("arms[1].costs[0]"), "names the field: {e}");
        assert!(e.contains("test.toml:"), "names the file and line: {e}");
    }
}

/// A service compared as a whole: `costs_a` and `costs_b` are the two arms' costs (TOML array items), `cohort` the
/// `[cohort]` lines and `settings` the settings changed.
fn service_text(settings: &[(&str, &str)], costs_a: &str, costs_b: &str, cohort: &str) -> String {
    scenario_text(
        "service",
        settings,
        &format!(
            r#"
[[states]]
name = "running"

[start]
running = 1

[transitions]
running = {{ running = 1 }}

[[arms]]
name = "six_teams"
costs = [{costs_a}]

[[arms]]
name = "one_team"
costs = [{costs_b}]

[cohort]
{cohort}
"#
        ),
    )
}

const SIX: &str = r#"{ name = "six", kind = "annual", payer = "council", amount = 812000 }"#;
const ONE: &str = r#"{ name = "one", kind = "annual", payer = "council", amount = 420000 }"#;

#[test]
fn a_services_costs_are_for_the_service_as_a_whole_divided_by_nothing() {
    // Three years paid at the start of each, 3.5%: 812,000 × (1 + 1/1.035 + 1/1.035²) and 420,000 × the same.
    let text = service_text(&[("horizon_years", "3")], SIX, ONE, r#"results = "service""#);
    let m = model(&text);
    assert_eq!(m.cohort_size, 1);
    assert_eq!(m.meta.results_for.per(), "for the service");
    let r = common::run(&m, 1);
    let annuity = 1.0 + 1.0 / 1.035 + 1.0 / 1.035_f64.powi(2);
    let spend = COLUMNS.spend(Payer::Council);
    assert_near(r.total(0, 0, spend), 812_000.0 * annuity, "six locality teams");
    assert_near(r.total(0, 1, spend), 420_000.0 * annuity, "one access team");
    // The same scenario per person of a cohort of 10 divides by 10: the service's figures are not per person.
    let per_person = model(&service_text(&[("horizon_years", "3")], SIX, ONE, "size = 10"));
    assert_eq!(per_person.meta.results_for.per(), "per person");
    let r10 = common::run(&per_person, 1);
    assert_near(r10.total(0, 0, spend), 81_200.0 * annuity, "per person of 10");
}

#[test]
fn a_service_has_no_people_and_every_per_person_input_is_refused() {
    let service = r#"results = "service""#;
    let cases = [
        (
            service_text(&[], SIX, ONE, "results = \"services\""),
            "cohort.results",
            "did you mean `service`",
        ),
        (
            service_text(&[], SIX, ONE, ""),
            "cohort.size",
            "write `results = \"service\"`",
        ),
        (
            service_text(&[], SIX, ONE, &format!("{service}\nsize = 10")),
            "cohort.size",
            "no cohort of people",
        ),
        (
            service_text(&[], SIX, ONE, &format!("{service}\nentry = [1.0]")),
            "cohort.entry",
            "no cohort",
        ),
        (
            service_text(&[("population", "1200")], SIX, ONE, service),
            "settings.population",
            "no population to count",
        ),
        (
            service_text(&[("mode", "\"individual\"")], SIX, ONE, service),
            "settings.mode",
            "person by person",
        ),
        (
            service_text(&[], SIX, DOOR, service),
            "arms[1].costs[0].kind",
            "a `one_off` cost is paid per person",
        ),
        (
            service_text(
                &[],
                SIX,
                &ONE.replace("420000", "420000, capacity = 20, states = [\"running\"]"),
                service,
            ),
            "arms[1].costs[0].capacity",
            "counts the people served",
        ),
        (
            service_text(&[], SIX, ONE, service).replace(
                "name = \"running\"\n",
                "name = \"running\"\nper = \"year\"\ncosts = { council = 5 }\n",
            ),
            "states[0].costs",
            "per person",
        ),
    ];
    for (text, field, expected) in cases {
        let e = compile_error(&text);
        assert!(e.contains(field) && e.contains(expected), "{field}: {e}");
    }
}

/// The discounted total per person of `column` in arm `arm` of a bundled scenario, in its one deterministic run.
fn bundled_total(name: &str, arm: usize, column: usize) -> f64 {
    let loaded = common::bundled(name, None, &[]);
    common::run(&loaded.model, 1).total(0, arm, column)
}

#[test]
fn the_door_widening_case_adds_up_by_hand() {
    // Delayed: £300 at 7 months, 300 / 1.035^(7/12), and £45 a week for weeks 0–31, each at its start (start
    // accrual): 45 × Σ 1.035^(−k/52), k = 0..31. Now: £300 at entry, undiscounted.
    let care: f64 = (0..32).map(|k| 45.0 / 1.035_f64.powf(k as f64 / 52.0)).sum();
    let (spend, care_col) = (COLUMNS.spend(Payer::Council), COLUMNS.care(Payer::Council));
    assert_near(
        bundled_total("door-widening", 0, spend),
        300.0 / 1.035_f64.powf(7.0 / 12.0),
        "the delayed door",
    );
    assert_near(bundled_total("door-widening", 0, care_col), care, "the extra home care");
    assert_eq!(bundled_total("door-widening", 1, spend), 300.0);
    assert_eq!(bundled_total("door-widening", 1, care_col), 0.0);
}

#[test]
fn the_equipment_store_case_adds_up_by_hand() {
    // £37,000 for 10 people at the start (set-up, undiscounted): £3,700 each; £490 a week each avoided, from week 0
    // to 51 at each week's start: −490 × Σ 1.035^(−k/52).
    let care: f64 = (0..52).map(|k| -490.0 / 1.035_f64.powf(k as f64 / 52.0)).sum();
    let (spend, care_col) = (COLUMNS.spend(Payer::Council), COLUMNS.care(Payer::Council));
    assert_near(bundled_total("equipment-store", 1, spend), 3_700.0, "the equipment");
    assert_near(
        bundled_total("equipment-store", 1, care_col),
        care,
        "residential care avoided",
    );
    assert_eq!(bundled_total("equipment-store", 0, care_col), 0.0);
}
