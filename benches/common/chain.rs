//! Generated chain models of any size, for benches/model_size.rs and the engine's tests of large models
//! (src/simulate/tests.rs includes this file).
//!
//! A chain of care levels `level0` ... and `dead`: from each level people stay (the remainder), move one level on,
//! die, and from every other level also jump two levels on; the last level moves back one level instead of on. So
//! each living state has two or three exits besides staying. Every living state has a council and an NHS cost and a
//! QALY weight that rise (costs) and fall (QALYs) along the chain. 8 sampled parameters (7 beta and gamma, and the
//! prevention arm's lognormal relative risk), 2 arms, 20 yearly cycles, as in scenarios/reference.toml.

/// The TOML text of a chain of `n_states` states (`n_states - 1` levels and `dead`; at least 3 states). With
/// `time_varying`, the death probabilities rise with time, so rows are recomputed at every boundary.
pub fn chain_scenario(n_states: usize, time_varying: bool) -> String {
    assert!(n_states >= 3, "a chain has two levels and dead at least");
    let levels = n_states - 1;
    let mut text = String::from(
        r#"[scenario]
name = "chain"
title = "Generated chain model"
currency = "GBP"
price_year = 2024

[sources]
assumption = "Illustrative assumption for a generated benchmark model."

[settings]
horizon_years = 20
cycle = "year"
iterations = 1000
seed = 1
mode = "cohort"
accrual = "half-cycle"
discounting = "discrete"
discount_rate_costs = 0.035
discount_rate_outcomes = 0.035
threshold = 30000
primary_outcome = "qaly"

[parameters]
p_on = { dist = "beta", mean = 0.15, sd = 0.03, source = "assumption" }
p_jump = { dist = "beta", mean = 0.05, sd = 0.01, source = "assumption" }
p_back = { dist = "beta", mean = 0.08, sd = 0.02, source = "assumption" }
p_die = { dist = "beta", mean = 0.06, sd = 0.01, source = "assumption" }
cost_care = { dist = "gamma", mean = 9000, sd = 1500, source = "assumption", unit = "£/year" }
cost_nhs = { dist = "gamma", mean = 2500, sd = 600, source = "assumption", unit = "£/year" }
u_care = { dist = "beta", mean = 0.7, sd = 0.04, source = "assumption" }
rr = 1
"#,
    );
    for i in 0..levels {
        let cost = 1.0 + 0.1 * i as f64;
        let utility = 1.0 - 0.5 * i as f64 / levels as f64;
        text += &format!(
            "\n[[states]]\nname = \"level{i}\"\nper = \"year\"\ncosts = {{ council = \"cost_care * {cost}\", nhs = \
             \"cost_nhs\" }}\noutcomes = {{ qaly = \"u_care * {utility}\" }}\n"
        );
    }
    text += "\n[[states]]\nname = \"dead\"\ndead = true\n\n[start]\nlevel0 = 0.7\nlevel1 = 0.3\n\n[transitions]\n";
    let die = if time_varying {
        "p_die * (1 + 0.05 * t)"
    } else {
        "p_die"
    };
    for i in 0..levels {
        let mut exits = vec![format!("dead = \"{die}\""), format!("level{i} = \"remainder\"")];
        if i + 1 < levels {
            exits.push(format!("level{} = \"p_on * rr\"", i + 1));
        } else {
            exits.push(format!("level{} = \"p_back\"", i - 1));
        }
        if i % 2 == 0 && i + 2 < levels {
            exits.push(format!("level{} = \"p_jump * rr\"", i + 2));
        }
        text += &format!("level{i} = {{ {} }}\n", exits.join(", "));
    }
    text += r#"
[[arms]]
name = "usual_care"
label = "Usual care"

[[arms]]
name = "prevention"
label = "Prevention programme"
parameters = { rr = { dist = "lognormal", ci95 = [0.6, 0.95], source = "assumption" } }
costs = [{ name = "prevention package", kind = "one_off", payer = "council", amount = 1500 }]

[cohort]
size = 1000
"#;
    text
}
