//! The timing section of docs/scenario-format.md: its worked example of an effect for the first two years only,
//! yearly and quarterly, and its table of what "£500 a year for the first two years" adds up to under each accrual
//! convention, each figure worked out by hand and checked against a run.

mod common;

use carecast::model::{Columns, Payer};
use common::{model, rel, scenario_text};

/// The documented example; `{p_admit}` is the per-cycle admission probability for the cycle length.
const EXAMPLE: &str = r#"
[parameters]
p_admit = "{p_admit}"
rr = 1

[[states]]
name = "home"
per = "year"
costs = { council = 1000 }

[[states]]
name = "residential"
per = "year"
costs = { council = 30000 }

[start]
home = 1

[transitions]
home = { residential = "p_admit * if(t < 2, rr, 1)", home = "remainder" }
residential = { residential = 1 }

[[arms]]
name = "usual"

[[arms]]
name = "service"
parameters = { rr = 0.5 }
costs = [
  { name = "support", kind = "recurring", payer = "council", amount = "if(t < 2, 500, 0)", per = "year", states = ["home"] },
  { name = "team", kind = "annual", payer = "council", amount = 20000, from_year = 0, to_year = 2 },
]

[cohort]
size = 100
"#;

/// Care costs of usual care and the service, and the service's spend, per person (council pays everything).
fn example(cycle: &str, p_admit: &str) -> (f64, f64, f64) {
    let text = scenario_text(
        "timing",
        &[
            ("horizon_years", "4"),
            ("cycle", cycle),
            ("accrual", "\"start\""),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        &EXAMPLE.replace("{p_admit}", p_admit),
    );
    let m = model(&text);
    let r = common::run(&m, 1);
    let (care, spend) = (
        Columns::BUILT_IN.care(Payer::Council),
        Columns::BUILT_IN.spend(Payer::Council),
    );
    assert_eq!(r.total(0, 0, spend), 0.0);
    (r.total(0, 0, care), r.total(0, 1, care), r.total(0, 1, spend))
}

fn assert_near(actual: f64, by_hand: f64, what: &str) {
    assert!(
        rel(actual, by_hand) < 1e-12,
        "{what}: {actual} against {by_hand} worked by hand"
    );
}

#[test]
fn the_worked_example_yearly() {
    // At home at boundaries 0–3: usual care 1, 0.9, 0.81, 0.729 (sum 3.439); the service 1, 0.95, 0.9025, 0.81225
    // (sum 3.66475; the moves out of boundaries 0 and 1 at 5%, the third at 10%). In residential care: one minus.
    let (usual, service, spend) = example("\"year\"", "convert_prob(0.1, 1, 1)");
    assert_near(usual, 1000.0 * 3.439 + 30000.0 * 0.561, "usual care");
    assert_near(service, 1000.0 * 3.66475 + 30000.0 * 0.33525, "the service");
    assert_near(usual, 20269.0, "usual care, as the docs print it");
    assert_near(service, 13722.25, "the service, as the docs print it");
    // Support at boundaries 0 and 1: 500 × (1 + 0.95); the team: 2 × £20,000 for 100 people.
    assert_near(spend, 975.0 + 400.0, "spend");
}

#[test]
fn the_worked_example_quarterly() {
    // A quarter's admission probability q = 1 − 0.9^(1/4). At home at boundary k: usual care y^k with y = 1 − q;
    // the service x^k for k ≤ 8 (the 8 moves of the first two years at q/2, x = 1 − q/2), then x^8·y^(k−8).
    // Over boundaries 0–15 (start accrual): Σ y^k = (1 − y^16)/(1 − y); the service's sum splits at k = 8.
    let q = 1.0 - 0.9f64.powf(0.25);
    let (x, y) = (1.0 - q / 2.0, 1.0 - q);
    let geometric = |r: f64, n: i32| (1.0 - r.powi(n)) / (1.0 - r);
    let home_usual = geometric(y, 16);
    let home_service = geometric(x, 8) + x.powi(8) * geometric(y, 8);
    // £ per quarter: 1000/4 at home, 30000/4 in residential care, over 16 quarters of which those at home.
    let care = |home: f64| 250.0 * home + 7500.0 * (16.0 - home);
    let (usual, service, spend) = example("\"quarter\"", "convert_prob(0.1, 1, 0.25)");
    assert_near(usual, care(home_usual), "usual care");
    assert_near(service, care(home_service), "the service");
    // Support: £125 a quarter at boundaries 0–7, for those at home; the team as yearly.
    assert_near(spend, 125.0 * geometric(x, 8) + 400.0, "spend");
    // The figures the docs print, to the penny.
    let pence = |v: f64| (v * 100.0).round() / 100.0;
    assert_eq!(pence(usual), 24090.99);
    assert_eq!(pence(service), 16848.47);
    assert_eq!(pence(usual - service), 7242.52);
    assert_eq!(pence(spend), 1355.67);
    assert_eq!(pence(spend - 400.0), 955.67);
}

/// What `if(t <= 2, 500, 0)` or `if(t < 2, 500, 0)` (£ a year) adds up to over four years for one person who stays.
fn two_years_of(condition: &str, cycle: &str, accrual: &str) -> f64 {
    let body = format!(
        r#"
[[states]]
name = "home"
per = "year"
costs = {{ council = "if({condition}, 500, 0)" }}
[start]
home = 1
[transitions]
home = {{ home = 1 }}
[[arms]]
name = "usual"
[[arms]]
name = "same"
[cohort]
size = 1
"#
    );
    let text = scenario_text(
        "timing",
        &[
            ("horizon_years", "4"),
            ("cycle", cycle),
            ("accrual", accrual),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        &body,
    );
    common::run(&model(&text), 1).total(0, 0, Columns::BUILT_IN.care(Payer::Council))
}

#[test]
fn two_years_of_a_value_under_each_accrual_convention() {
    // Per-cycle values f_k at boundaries k: yearly £500 at k = 0, 1 (t < 2) or k = 0, 1, 2 (t <= 2); quarterly £125
    // at k = 0..7 or 0..8. Start counts boundaries 0..n−1, end 1..n, half-cycle each boundary half per cycle beside
    // it (boundary 0 and n once, half), Simpson's composite weights 1/3, 4/3, 2/3, ..., 4/3, 1/3 (n even here).
    let yearly = "\"year\"";
    let quarterly = "\"quarter\"";
    let cases = [
        ("\"start\"", [1000.0, 1500.0, 1000.0, 1125.0]),
        // End: boundaries 1 (and 2); quarterly 1..7 (and 8).
        ("\"end\"", [500.0, 1000.0, 875.0, 1000.0]),
        // Half-cycle: cycle c takes ½f_c + ½f_(c+1), so the total is ½f0 + f1 + ... : ½·500 + 500 (+ 500 for
        // t <= 2); quarterly ½·125 + 7·125 (+ 125).
        ("\"half-cycle\"", [750.0, 1250.0, 937.5, 1062.5]),
        // Simpson, yearly: 500·(1/3 + 4/3) and 500·(1/3 + 4/3 + 2/3); quarterly: 125·(1/3 + 4·4/3 + 3·2/3) = 125·23/3
        // and 125·25/3 with boundary 8's 2/3.
        (
            "\"simpson\"",
            [
                500.0 * 5.0 / 3.0,
                500.0 * 7.0 / 3.0,
                125.0 * 23.0 / 3.0,
                125.0 * 25.0 / 3.0,
            ],
        ),
    ];
    for (accrual, by_hand) in cases {
        let got = [
            two_years_of("t < 2", yearly, accrual),
            two_years_of("t <= 2", yearly, accrual),
            two_years_of("t < 2", quarterly, accrual),
            two_years_of("t <= 2", quarterly, accrual),
        ];
        for (g, h) in got.iter().zip(by_hand) {
            assert!(rel(*g, h) < 1e-12, "{accrual}: {got:?} against {by_hand:?}");
        }
    }
    // The figures the docs print for Simpson, to the penny.
    assert_eq!((500.0 * 5.0 / 3.0 * 100.0f64).round() / 100.0, 833.33);
    assert_eq!((125.0 * 25.0 / 3.0 * 100.0f64).round() / 100.0, 1041.67);
}

/// The tunnel example in the docs: weekly, weeks 1–5 leaving at 5% a week, everyone gone after week 6.
#[test]
fn the_documented_reablement_tunnel_ends_every_stay_by_week_six() {
    let body = r#"
[parameters]
u_reablement = 0.52
[[states]]
name = "reablement"
per = "week"
tunnel = { cycles = 6 }
costs = { council = "if(time_in_state == 1, 600, 300)" }
outcomes = { qaly = "u_reablement / 52" }
[[states]]
name = "independent"
[[states]]
name = "home_care"
[start]
reablement = 1
[transitions]
reablement = { independent = "if(time_in_state == 6, 0.7, 0.05)", home_care = "if(time_in_state == 6, 0.3, 0)", reablement = "remainder" }
independent = { independent = 1 }
home_care = { home_care = 1 }
[[arms]]
name = "usual"
[[arms]]
name = "same"
[cohort]
size = 1
"#;
    let text = scenario_text(
        "timing",
        &[
            ("horizon_years", "1"),
            ("cycle", "\"week\""),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
        ],
        body,
    );
    let m = model(&text);
    assert_eq!(m.states.len(), 8);
    let r = common::run(&m, 1);
    // In the episode at boundaries 0..5: 0.95^k (start accrual), nobody from boundary 6 on. £600 in week 1, £300
    // after; 0.01 QALYs a week.
    let weeks: f64 = (0..6).map(|k| 0.95f64.powi(k)).sum();
    assert!(
        rel(
            r.total(0, 0, Columns::BUILT_IN.care(Payer::Council)),
            600.0 + 300.0 * (weeks - 1.0)
        ) < 1e-12
    );
    assert!(rel(r.total(0, 0, Columns::BUILT_IN.outcome(0)), 0.01 * weeks) < 1e-12);
}
