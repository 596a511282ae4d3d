//! Costs in time (docs/scenario-format.md, "Timing"): a one-off cost paid after a `delay`, and a care cost avoided
//! entered as a `saving`. Every expected value is worked out by hand in closed form.

mod common;

use carecast::model::{columns, Payer};
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
    let spend = columns::spend(Payer::Council);
    let years = (0..m.settings.horizon_years)
        .map(|y| r.yearly_value(0, 1, y, spend))
        .collect();
    (
        r.total(0, 1, spend),
        years,
        r.total(0, 1, columns::care(Payer::Council)),
        r.total(0, 1, columns::cashable(Payer::Council)),
    )
}

const DOOR: &str = r#"{ name = "door widening", kind = "one_off", payer = "council", amount = 300, delay = "7 months" }"#;

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
        assert!((years[0] - by_hand).abs() < 1e-3 && years[1] == 0.0, "paid in programme year 1: {years:?}");
    }
}

#[test]
fn under_cycle_start_timing_it_is_discounted_to_the_start_of_the_cycle_it_falls_in() {
    // Weekly cycles: 7 months is 30.33 weeks, in the cycle that starts at week 30: 300 / 1.035^(30/52).
    // Quarterly: 7 months falls in the third quarter, which starts at 6 months: 300 / 1.035^0.5.
    let timing = ("discount_timing", "\"cycle-start\"");
    let (weekly, _, _, _) = service(&[("horizon_years", "2"), ("cycle", "\"week\""), timing], "0", DOOR, "");
    assert_near(weekly, 300.0 / 1.035_f64.powf(30.0 / 52.0), "weekly");
    let (quarterly, _, _, _) = service(&[("horizon_years", "2"), ("cycle", "\"quarter\""), timing], "0", DOOR, "");
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
    let settings = [("horizon_years", "1"), ("cycle", "\"month\""), ("discount_rate_costs", "0")];
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
    let settings = [("horizon_years", "1"), ("cycle", "\"week\""), ("discount_rate_costs", "0")];
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
    compile_error(&scenario_text("timed", &[("horizon_years", "2")], &body("0", costs, "")))
}

#[test]
fn bad_delays_and_savings_are_refused_with_the_field_and_place() {
    let cases = [
        (DOOR.replace("7 months", "7 fortnights"), "`fortnights` is not a unit"),
        (DOOR.replace("7 months", "seven months"), "`seven` is not a number"),
        (DOOR.replace("7 months", "7"), "it needs a unit"),
        (DOOR.replace("7 months", "0 weeks"), "more than zero"),
        (DOOR.replace("7 months", "2 years"), "at or after the end of the 2-year horizon"),
        (DOOR.replace("delay", "states = [\"home\"], delay"), "takes no `states`"),
        (
            r#"{ name = "x", kind = "recurring", payer = "council", amount = 1, per = "week", delay = "2 weeks" }"#.into(),
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
