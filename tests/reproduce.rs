//! The reproduction metrics against values worked out by hand on a deterministic two-year model.

mod common;

use carecast::analysis::reproduce::{Reproduced, Status};
use carecast::commands::reproduce_scenario;

/// Two years, annual cycles, costs accrued at the start of each cycle, discounting at 10% (so that discounted and
/// undiscounted values differ visibly). Usual care: half the living die each year; the intervention: a fifth, and its
/// council cost per person-year is 60% of usual care's (100 → 60; 200 → 120 in subgroup `y`), for a one-off £30.
///
/// By hand, undiscounted, subgroup `x` (costs as the base): the living share at the start of years 1 and 2 is 1 and
/// 0.5 in usual care, 1 and 0.8 with the intervention. Council care: 100 + 50 = 150 against 60 + 48 = 108; NHS
/// (£50 a year in both arms): 75 against 90; QALYs (1 a year): 1.5 against 1.8.
fn model_text() -> String {
    common::scenario_text(
        "by_hand",
        &[
            ("horizon_years", "2"),
            ("iterations", "4"),
            ("seed", "1"),
            ("discount_rate_costs", "0.1"),
            ("discount_rate_outcomes", "0.1"),
            ("threshold", "20000"),
        ],
        BODY,
    )
}

const BODY: &str = r#"
[sources]
hand = "Worked by hand"

[parameters]
c = 100
f = 1
p_die = 0.5

[[states]]
name = "alive"
per = "year"
costs = { council = "c * f", nhs = 50 }
outcomes = { qaly = 1 }

[[states]]
name = "dead"
dead = true

[start]
alive = 1

[transitions]
alive = { dead = "p_die", alive = "remainder" }

[[arms]]
name = "usual"

[[arms]]
name = "new"
parameters = { f = 0.6, p_die = 0.2 }
costs = [{ name = "one-off", kind = "one_off", payer = "council", amount = 30 }]

[cohort]
size = 100
subgroups = [
  { name = "x", share = 0.25 },
  { name = "y", share = 0.75, parameters = { c = 200 } },
]
"#;

/// The targets under test; each `published` is the value worked out by hand, and `accept` is ±1e-9 around it.
fn target(metric: &str, extra: &str, by_hand: f64) -> String {
    format!(
        "\n[[reproduce]]\nfigure = '{metric} {extra}'\nsource = \"hand\"\npublished = {by_hand}\nmetric = \"{metric}\"\narm = \"new\"\naccept = [{}, {}]\nwhy = \"worked by hand\"\n{}\n",
        by_hand - 1e-9,
        by_hand + 1e-9,
        extra.replace("; ", "\n")
    )
}

fn run_targets(targets: &[String]) -> Vec<Reproduced> {
    let text = format!("{}{}", model_text(), targets.concat());
    let loaded = common::loaded("by_hand.toml", &text);
    reproduce_scenario(&loaded).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_metric_matches_its_value_worked_by_hand() {
    let d = 1.0 / 1.1; // discount factor of year 2's costs (accrued at t = 1)
                       // Subgroup x alone, undiscounted: the figures in the comment on model_text.
    let x = "subgroup = \"x\"; undiscounted = true";
    let x_year2 = "subgroup = \"x\"; undiscounted = true; year = 2";
    // The whole cohort, discounted: a quarter x and three quarters y (council costs doubled).
    let council_usual = 0.25 * (100.0 + 50.0 * d) + 0.75 * (200.0 + 100.0 * d);
    let council_new = 0.25 * (60.0 + 48.0 * d) + 0.75 * (120.0 + 96.0 * d);
    let cases: Vec<(String, f64)> = vec![
        // (150 − 108) / 30 and (150 + 75 − 108 − 90) / 30.
        (target("bcr", &format!("savings = \"council\"; {x}"), 1.4), 1.4),
        (target("bcr", x, 0.9), 0.9),
        // 225 − (108 + 90 + 30).
        (target("net_savings", x, -3.0), -3.0),
        (target("care_savings", &format!("payer = \"nhs\"; {x}"), -15.0), -15.0),
        (
            target("care_cost_change", &format!("payer = \"council\"; {x}"), -0.28),
            -0.28,
        ),
        (target("incremental_cost", x, 3.0), 3.0),
        (target("outcome_change", &format!("outcome = \"qaly\"; {x}"), 0.2), 0.2),
        (
            target("incremental_outcome", &format!("outcome = \"qaly\"; {x}"), 0.3),
            0.3,
        ),
        (target("icer", x, 10.0), 10.0),
        // λ·0.3 − 3 > 0 needs λ > 10.
        (target("prob_cost_effective", &format!("lambda = 11; {x}"), 1.0), 1.0),
        (target("prob_cost_effective", &format!("lambda = 9; {x}"), 0.0), 0.0),
        // Year 2 alone: council 50 against 48.
        (
            target("care_savings", &format!("payer = \"council\"; {x_year2}"), 2.0),
            2.0,
        ),
        // Discounted, whole cohort, whole horizon.
        (
            target("care_savings", "payer = \"council\"", council_usual - council_new),
            council_usual - council_new,
        ),
        // Year 2 discounted: (0.25·2 + 0.75·4) / 1.1.
        (
            target("care_savings", "payer = \"council\"; year = 2", 3.5 * d),
            3.5 * d,
        ),
        // Subgroup y alone, undiscounted: 300 − 216.
        (
            target(
                "care_savings",
                "payer = \"council\"; subgroup = \"y\"; undiscounted = true",
                84.0,
            ),
            84.0,
        ),
        // Occupancy at the end of year 1 and 2 (not discounted, whatever the settings say): 0.8 and 0.64.
        (target("state_share", "states = [\"alive\"]; year = 1", 0.8), 0.8),
        (target("state_share", "states = [\"alive\"]; year = 2", 0.64), 0.64),
        (
            target(
                "state_share",
                "states = [\"alive\"]; among = [\"alive\"]; year = 2",
                1.0,
            ),
            1.0,
        ),
        // ×10 per ten people.
        (target("net_savings", &format!("{x}; scale = 10"), -30.0), -30.0),
    ];
    let targets: Vec<String> = cases.iter().map(|(t, _)| t.clone()).collect();
    let rows = run_targets(&targets);
    assert_eq!(rows.len(), cases.len());
    for (row, (_, expected)) in rows.iter().zip(&cases) {
        assert!(
            (row.value - expected).abs() < 1e-9,
            "{}: reproduced {} but by hand {}",
            row.target.figure,
            row.value,
            expected
        );
        assert_eq!(row.status, Status::Within, "{}", row.target.figure);
    }
}

#[test]
fn a_value_outside_its_range_fails_and_a_figure_marked_not_reproducible_neither_passes_nor_fails() {
    let outside = target("icer", "subgroup = \"x\"; undiscounted = true", 12.0);
    let marked = target(
        "icer",
        "subgroup = \"x\"; undiscounted = true; reproducible = false",
        12.0,
    );
    let rows = run_targets(&[outside, marked]);
    assert_eq!(rows[0].status, Status::Outside);
    assert_eq!(rows[1].status, Status::NotReproducible);
    assert!((rows[1].value - 10.0).abs() < 1e-9, "the value is still computed");
}

#[test]
fn mistakes_in_targets_are_errors_that_point_at_them() {
    let cases = [
        (target("bcrr", "", 1.0), "unknown metric `bcrr`; did you mean `bcr`?"),
        (
            target("bcr", "payer = \"council\"", 1.0),
            "`payer` means nothing for the metric `bcr`",
        ),
        (
            target("state_share", "states = [\"dead\"]; year = 1", 1.0),
            "`dead` is a dead state",
        ),
        (target("state_share", "states = [\"alive\"]", 1.0), "needs `year`"),
        (
            target("net_savings", "year = 3", 1.0),
            "must be a programme year from 1 to 2",
        ),
        (
            target("net_savings", "subgroup = \"z\"", 1.0),
            "no subgroup is named `z`",
        ),
        (
            target("outcome_change", "outcome = \"qalys\"", 1.0),
            "no state has an outcome named `qalys`; did you mean `qaly`?",
        ),
        (
            target("bcr", "savings = \"everyone\"", 1.0),
            "`everyone` is not a payer",
        ),
    ];
    for (text, expected) in cases {
        let error = common::compile_error(&format!("{}{text}", model_text()));
        assert!(error.contains(expected), "expected `{expected}` in:\n{error}");
        assert!(
            error.contains("test.toml:"),
            "names the file, line and column:\n{error}"
        );
        assert!(error.contains("field `reproduce[0]."), "names the field:\n{error}");
    }
    let comparator = format!(
        "{}{}",
        model_text(),
        target("bcr", "", 1.0).replace("arm = \"new\"", "arm = \"usual\"")
    );
    assert!(common::compile_error(&comparator).contains("`usual` is the comparator"));
    let bad_source = format!(
        "{}{}",
        model_text(),
        target("bcr", "", 1.0).replace("source = \"hand\"", "source = \"hnd\"")
    );
    assert!(common::compile_error(&bad_source).contains("did you mean `hand`?"));
}
