//! The hand-worked two-year model that the deterministic sensitivity tests (tornado, threshold, two-way) share.

use carecast::analysis::sensitivity::Deterministic;
use carecast::model::compile_with;

/// Two years, annual cycles, start-of-cycle accrual, no discounting. Usual care: half the living die each year;
/// the intervention: a fifth, for a one-off £30, with council costs c·f a year (f only in the intervention arm).
///
/// By hand, with c and f fixed: usual care costs 1.5c (council) + 75 (NHS); the intervention 1.8·c·f + 90 + 30.
/// Net savings = 1.5c − 1.8cf − 45; BCR = (1.5c − 1.8cf − 15) / 30; INMB at λ = 100 per QALY (ΔE = 0.3) =
/// 30 − (1.8cf + 45 − 1.5c). At the means (c = 100, f = 0.6): −3, 0.9 and 27.
pub fn model_text() -> String {
    super::scenario_text(
        "by_hand",
        &[
            ("horizon_years", "2"),
            ("iterations", "1000"),
            ("seed", "1"),
            ("discount_rate_costs", "0"),
            ("discount_rate_outcomes", "0"),
            ("threshold", "100"),
        ],
        BODY,
    )
}

/// The scenario's body below the skeleton's settings.
pub const BODY: &str = r#"
[parameters]
c = { dist = "uniform", low = 90, high = 110 }
f = 1
p_die = 0.5
nhs = 50

[[states]]
name = "alive"
per = "year"
costs = { council = "c * f", nhs = "nhs" }
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
parameters = { f = { dist = "uniform", low = 0.4, high = 0.8 }, p_die = 0.2 }
costs = [{ name = "one-off", kind = "one_off", payer = "council", amount = 30 }]

[cohort]
size = 100
"#;

/// The model compiled with `extra` overrides, ready for deterministic analysis.
pub fn deterministic(extra: &[&str]) -> Deterministic {
    let loaded = super::loaded("by_hand.toml", &model_text());
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    Deterministic::new(compile_with(&loaded.scenario, &extra).unwrap_or_else(|e| panic!("{e}")))
}

/// Equal to within 1e-9, relative to the larger of |b| and 1.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}
