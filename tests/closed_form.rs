//! Deterministic models whose discounted totals are derived by hand (closed forms written out in each test), so
//! the trace, accrual conventions, discounting, unit conversion and intervention costs are checked independently.

mod common;
use carecast::model::{Columns, Payer};
use common::*;

/// Two states: alive (cost 1,000 a year to the council, utility 0.8) and dead; 10% die each year.
fn two_state(settings_override: &str, accrual: &str) -> carecast::simulate::Results {
    let text = scenario(
        settings_override,
        r#"
[parameters]
p_die = 0.1
[[states]]
name = "alive"
per = "year"
costs = { council = 1000 }
outcomes = { qaly = 0.8 }
[[states]]
name = "dead"
dead = true
[start]
alive = 1
[transitions]
alive = { dead = "p_die", alive = "remainder" }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 1
"#,
    )
    .replace("accrual = \"start\"", &format!("accrual = \"{accrual}\""));
    run(&model(&text), 1)
}

/// Σ_{k=a}^{b} q^k for 0 < q < 1, by the geometric series formula.
fn geometric(q: f64, a: i32, b: i32) -> f64 {
    if b < a {
        return 0.0;
    }
    q.powi(a) * (1.0 - q.powi(b - a + 1)) / (1.0 - q)
}

#[test]
fn two_state_totals_match_geometric_series_for_each_accrual_convention() {
    // Boundary value f_k = 1000·q^k with q = 0.9/1.035 (survival times discount); n = 10 cycles.
    let q = 0.9 / 1.035;
    let n = 10;
    let start = 1000.0 * geometric(q, 0, n - 1);
    let end = 1000.0 * geometric(q, 1, n);
    let trapezoid = (start + end) / 2.0;
    // Simpson (n even): (1/3)[f0 + fn + 4·Σ odd k + 2·Σ even interior k]; Σ over odd k = Σ_{j=0}^{4} q·(q²)^j.
    let odd: f64 = q * geometric(q * q, 0, 4);
    let even_interior: f64 = q * q * geometric(q * q, 0, 3);
    let simpson = 1000.0 / 3.0 * (1.0 + q.powi(n) + 4.0 * odd + 2.0 * even_interior);
    for (accrual, expected) in [
        ("start", start),
        ("end", end),
        ("half-cycle", trapezoid),
        ("simpson", simpson),
    ] {
        let r = two_state("", accrual);
        let cost = r.total(0, 0, Columns::BUILT_IN.care(Payer::Council));
        assert!(rel(cost, expected) < 1e-12, "{accrual}: {cost} vs {expected}");
        let qaly = r.total(0, 0, Columns::BUILT_IN.outcome(0));
        assert!(rel(qaly, expected * 0.8 / 1000.0) < 1e-12, "{accrual} qaly: {qaly}");
    }
}

#[test]
fn accrual_conventions_differ_as_expected() {
    // Guard against a convention silently falling back to another: the four totals are all different.
    let totals: Vec<f64> = ["start", "end", "half-cycle", "simpson"]
        .iter()
        .map(|a| two_state("", a).total(0, 0, 0))
        .collect();
    for i in 0..4 {
        for j in i + 1..4 {
            assert!((totals[i] - totals[j]).abs() > 1.0, "{totals:?}");
        }
    }
}

#[test]
fn continuous_discounting_uses_exponential_factors() {
    let discrete = two_state_with("discounting = \"discrete\"");
    // q = 0.9·e^(−0.035)
    let q = 0.9 * (-0.035f64).exp();
    let expected = 1000.0 * geometric(q, 0, 9);
    let cont = two_state_with("discounting = \"continuous\"");
    assert!(rel(cont, expected) < 1e-12, "{cont} vs {expected}");
    assert!(cont < discrete);
}

fn two_state_with(replacement: &str) -> f64 {
    let text = scenario(
        "",
        r#"
[[states]]
name = "alive"
per = "year"
costs = { council = 1000 }
[[states]]
name = "dead"
dead = true
[start]
alive = 1
[transitions]
alive = { dead = 0.1, alive = "remainder" }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 1
"#,
    )
    .replace("discounting = \"discrete\"", replacement);
    run(&model(&text), 1).total(0, 0, 0)
}

#[test]
fn three_state_illness_death_model_matches_closed_form() {
    // healthy → sick (p_hs = 0.15), healthy → dead (p_hd = 0.05), sick → dead (p_sd = 0.3).
    // With a = 1 − p_hs − p_hd and b = 1 − p_sd: h_k = a^k, s_k = p_hs·(a^k − b^k)/(a − b).
    // Start-of-cycle accrual, discount d = 1/1.035 a year, n = 10:
    // C = c_h·Σ(ad)^k + c_s·p_hs/(a − b)·[Σ(ad)^k − Σ(bd)^k], k = 0..n−1.
    let text = scenario(
        "",
        r#"
[[states]]
name = "healthy"
per = "year"
costs = { nhs = 500 }
outcomes = { qaly = 0.9 }
[[states]]
name = "sick"
per = "month"
costs = { nhs = 400, council = 250 }
outcomes = { qaly = "0.5 / 12" }
[[states]]
name = "dead"
dead = true
[start]
healthy = 1
[transitions]
healthy = { sick = 0.15, dead = 0.05, healthy = "remainder" }
sick = { dead = 0.3, sick = "remainder" }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 100
"#,
    );
    let r = run(&model(&text), 1);
    let (a, b, d, p_hs) = (0.8f64, 0.7f64, 1.0 / 1.035, 0.15);
    let sum_a = geometric(a * d, 0, 9);
    let sum_b = geometric(b * d, 0, 9);
    let sick_time = p_hs / (a - b) * (sum_a - sum_b);
    // Monthly amounts ×12 give the yearly value of a yearly cycle.
    let nhs = 500.0 * sum_a + 400.0 * 12.0 * sick_time;
    let council = 250.0 * 12.0 * sick_time;
    let qaly = 0.9 * sum_a + 0.5 * sick_time;
    assert!(rel(r.total(0, 0, Columns::BUILT_IN.care(Payer::Nhs)), nhs) < 1e-12);
    assert!(rel(r.total(0, 0, Columns::BUILT_IN.care(Payer::Council)), council) < 1e-12);
    assert!(rel(r.total(0, 0, Columns::BUILT_IN.outcome(0)), qaly) < 1e-12);
}

#[test]
fn treasury_declining_schedule_in_a_model() {
    // Nobody leaves, cost 1 a year, 40 years, start-of-cycle: total = Σ_{k=0}^{39} DF(k), with
    // DF(k) = 1.035^−k for k ≤ 30 and DF(30)·1.03^−(k−30) after.
    let text = scenario(
        "",
        r#"
[[states]]
name = "alive"
per = "year"
costs = { person = 1 }
[start]
alive = 1
[transitions]
alive = { alive = 1 }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 1
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 40")
    .replace("discount_rate_costs = 0.035", "discount_rate_costs = \"treasury\"");
    let r = run(&model(&text), 1);
    let df30 = 1.035f64.powi(-30);
    let expected: f64 = (0..40)
        .map(|k| {
            if k <= 30 {
                1.035f64.powi(-k)
            } else {
                df30 * 1.03f64.powi(-(k - 30))
            }
        })
        .sum();
    assert!(rel(r.total(0, 0, Columns::BUILT_IN.care(Payer::Person)), expected) < 1e-12);
}

#[test]
fn quarterly_cycles_discount_at_fractional_years_and_per_year_figures_add_up() {
    // Nobody leaves; £100 per quarter; 2 years of quarterly cycles; start-of-cycle: Σ_{k=0}^{7} 100·1.035^(−k/4).
    let text = scenario(
        "",
        r#"
[[states]]
name = "alive"
per = "quarter"
costs = { council = 100 }
[start]
alive = 1
[transitions]
alive = { alive = "remainder" }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 1
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 2")
    .replace("cycle = \"year\"", "cycle = \"quarter\"");
    let r = run(&model(&text), 1);
    let expected: f64 = (0..8).map(|k| 100.0 * 1.035f64.powf(-k as f64 / 4.0)).sum();
    assert!(rel(r.total(0, 0, 0), expected) < 1e-12);
    let year1: f64 = (0..4).map(|k| 100.0 * 1.035f64.powf(-k as f64 / 4.0)).sum();
    assert!(rel(r.yearly_mean[[0, 0, 0]], year1) < 1e-12);
    assert!(rel(r.yearly_mean[[0, 0, 0]] + r.yearly_mean[[0, 1, 0]], expected) < 1e-12);
}

#[test]
fn intervention_costs_one_off_recurring_setup_and_capacity() {
    // Cohort of 100, nobody dies for 3 years, no discounting, start-of-cycle accrual.
    // Arm b pays: one-off £500 per person (council); recurring £10 a week per person (NHS) = £520 a year;
    // set-up £20,000 (council); annual £30,000 per 40 people served (council) → ceil(100/40) = 3 units a year.
    // Per person: council = 500 + 20,000/100 + 3·3·30,000/100 = 3,400; NHS = 3·520 = 1,560.
    let text = scenario(
        "",
        r#"
[[states]]
name = "home"
per = "year"
costs = { council = 1000 }
[start]
home = 1
[transitions]
home = { home = 1 }
[[arms]]
name = "a"
[[arms]]
name = "b"
costs = [
  { name = "assessment", kind = "one_off", payer = "council", amount = 500 },
  { name = "monitoring", kind = "recurring", payer = "nhs", amount = 10, per = "week" },
  { name = "set-up", kind = "setup", payer = "council", amount = 20000 },
  { name = "team", kind = "annual", payer = "council", amount = 30000, capacity = 40 },
]
[cohort]
size = 100
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 3")
    .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0")
    .replace("discount_rate_outcomes = 0.035", "discount_rate_outcomes = 0");
    let r = run(&model(&text), 1);
    assert!(
        rel(r.total(0, 1, Columns::BUILT_IN.spend(Payer::Council)), 3400.0) < 1e-12,
        "{}",
        r.total(0, 1, Columns::BUILT_IN.spend(Payer::Council))
    );
    assert!(rel(r.total(0, 1, Columns::BUILT_IN.spend(Payer::Nhs)), 1560.0) < 1e-12);
    assert_eq!(r.total(0, 0, Columns::BUILT_IN.spend(Payer::Council)), 0.0);
    // Care costs are the same in both arms: 3 years × £1,000.
    assert!(rel(r.total(0, 1, Columns::BUILT_IN.care(Payer::Council)), 3000.0) < 1e-12);
    // Payback never happens: the intervention saves nothing.
    assert_eq!(r.payback_year[[0, 1]], None);
}

#[test]
fn ramp_up_entry_and_subgroups_weight_per_person_results() {
    // Half the cohort enters in year 1 and half in year 2 (followed to the 3-year horizon); no discounting.
    // Subgroup "high" (40%) costs £2,000 a year, "low" (60%) £1,000; nobody leaves; start-of-cycle.
    // Per person = (0.5·3 + 0.5·2 years) × (0.4·2,000 + 0.6·1,000) = 2.5 × 1,400 = 3,500.
    let text = scenario(
        "",
        r#"
[parameters]
yearly_cost = 1000
[[states]]
name = "home"
per = "year"
costs = { council = "yearly_cost" }
[start]
home = 1
[transitions]
home = { home = 1 }
[[arms]]
name = "a"
[[arms]]
name = "b"
[cohort]
size = 10
entry = [0.5, 0.5, 0]
subgroups = [
  { name = "high", share = 0.4, parameters = { yearly_cost = 2000 } },
  { name = "low", share = 0.6 },
]
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 3")
    .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0");
    let r = run(&model(&text), 1);
    assert!(rel(r.total(0, 0, 0), 3500.0) < 1e-12, "{}", r.total(0, 0, 0));
    // Year 1: only the first wave (0.5 × 1,400 = 700); years 2 and 3: everyone (1,400).
    assert!(rel(r.yearly_mean[[0, 0, 0]], 700.0) < 1e-12);
    assert!(rel(r.yearly_mean[[0, 1, 0]], 1400.0) < 1e-12);
}

#[test]
fn time_dependent_expressions_and_payback() {
    // Arm b pays £1,000 up front and then saves £300 a year (care £1,000 vs £700); undiscounted, start-of-cycle.
    // Cumulative net savings: year 1 −700, year 2 −400, year 3 −100, year 4 +200 → payback in year 4.
    // The saving is written as a time-dependent expression to exercise per-boundary evaluation.
    let text = scenario(
        "",
        r#"
[parameters]
saving = 0
[[states]]
name = "home"
per = "year"
costs = { council = "1000 - saving * (t >= 0)" }
[start]
home = 1
[transitions]
home = { home = 1 }
[[arms]]
name = "a"
[[arms]]
name = "b"
parameters = { saving = 300 }
costs = [{ name = "kit", kind = "one_off", payer = "council", amount = 1000 }]
[cohort]
size = 1
"#,
    )
    .replace("horizon_years = 10", "horizon_years = 6")
    .replace("discount_rate_costs = 0.035", "discount_rate_costs = 0");
    let r = run(&model(&text), 1);
    assert_eq!(r.payback_year[[0, 1]], Some(4));
    assert_eq!(r.payback_year[[0, 0]], None);
    assert!(rel(r.total(0, 1, 0), 4200.0) < 1e-12);
}
