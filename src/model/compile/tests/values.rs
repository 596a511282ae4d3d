//! Values per cycle: amounts per week, month, quarter, year or cycle converted to per-cycle factors, cashable
//! shares of care costs, and the intervention costs an arm pays per person.

use super::{assert_close, compiled, constant, scenario, with_line, HEADER};
use crate::model::{Columns, Flow, Model, Payer};

/// Five living states costing the council 10 per week, month, quarter, year and cycle; everyone stays put.
const UNITS: &str = r#"[[states]]
name = "weekly"
per = "week"
costs = { council = 10 }
[[states]]
name = "monthly"
per = "month"
costs = { council = 10 }
[[states]]
name = "quarterly"
per = "quarter"
costs = { council = 10 }
[[states]]
name = "yearly"
per = "year"
costs = { council = 10 }
[[states]]
name = "each_cycle"
per = "cycle"
costs = { council = 10 }
[start]
weekly = 1
[transitions]
weekly = { weekly = 1 }
monthly = { monthly = 1 }
quarterly = { quarterly = 1 }
yearly = { yearly = 1 }
each_cycle = { each_cycle = 1 }
[[arms]]
name = "usual"
[[arms]]
name = "new"
costs = [{ name = "visits", kind = "recurring", payer = "nhs", amount = 40, per = "month", states = ["yearly"] }]
[cohort]
size = 10
"#;

/// The factor of the one flow of `state` into full column `column` in arm `arm`'s context.
fn factor(m: &Model, arm: usize, state: usize, column: usize) -> f64 {
    let flows: Vec<&Flow> = m
        .context(arm, 0)
        .static_flows
        .iter()
        .filter(|f| f.state == state && m.kernel_columns[f.column] == column)
        .collect();
    assert_eq!(flows.len(), 1, "one flow of state {state} into column {column}");
    flows[0].factor
}

/// `UNITS` with cycles of the given length (line 5 of the header).
fn units_with_cycle(cycle: &str) -> Model {
    assert_eq!(HEADER.lines().nth(4), Some("cycle = \"year\""));
    compiled(&with_line(&scenario(UNITS), 5, &format!("cycle = \"{cycle}\"")))
}

#[test]
fn amounts_per_unit_become_amounts_per_quarterly_cycle() {
    let m = units_with_cycle("quarter");
    let care = Columns::BUILT_IN.care(Payer::Council);
    // A quarter is 13 weeks (52 a year), 3 months, one quarter, a quarter of a year, and one cycle.
    let expected = [13.0, 3.0, 1.0, 0.25, 1.0];
    for (state, want) in expected.into_iter().enumerate() {
        assert_close(factor(&m, 0, state, care), want);
    }
    // The value itself stays as written; only the factor converts it.
    let ctx = m.context(0, 0);
    assert!(ctx.static_flows.iter().all(|f| constant(ctx, f.slot) == 10.0));
}

#[test]
fn amounts_per_unit_become_amounts_per_monthly_cycle() {
    let m = units_with_cycle("month");
    let care = Columns::BUILT_IN.care(Payer::Council);
    // A month is 52/12 weeks, one month, a third of a quarter, a twelfth of a year, and one cycle.
    let expected = [52.0 / 12.0, 1.0, 1.0 / 3.0, 1.0 / 12.0, 1.0];
    for (state, want) in expected.into_iter().enumerate() {
        assert_close(factor(&m, 0, state, care), want);
    }
}

#[test]
fn a_recurring_cost_flows_per_cycle_in_the_states_it_names() {
    let m = units_with_cycle("quarter");
    let spend = Columns::BUILT_IN.spend(Payer::Nhs);
    // 40 a month in state `yearly` (index 3) is 40 × 3 a quarter.
    assert_close(factor(&m, 1, 3, spend), 3.0);
    let new = m.context(1, 0);
    let visits: Vec<&Flow> = new
        .static_flows
        .iter()
        .filter(|f| m.kernel_columns[f.column] == spend)
        .collect();
    assert_eq!(visits.len(), 1);
    assert!(visits[0].is_cost);
    assert_eq!(constant(new, visits[0].slot), 40.0);
    // The comparator pays nothing.
    assert!(m
        .context(0, 0)
        .static_flows
        .iter()
        .all(|f| m.kernel_columns[f.column] != spend));
}

#[test]
fn a_recurring_cost_without_states_applies_in_every_living_state() {
    let text = scenario(&UNITS.replace(", states = [\"yearly\"]", "").replace(
        "[[states]]\nname = \"each_cycle\"",
        "[[states]]\nname = \"gone\"\ndead = true\n[[states]]\nname = \"each_cycle\"",
    ));
    let m = compiled(&text);
    let spend = Columns::BUILT_IN.spend(Payer::Nhs);
    let mut states: Vec<usize> = m
        .context(1, 0)
        .static_flows
        .iter()
        .filter(|f| m.kernel_columns[f.column] == spend)
        .map(|f| f.state)
        .collect();
    states.sort_unstable();
    // States 0–3 and 5: not `gone` (4), which is dead. 40 a month with yearly cycles is 480 a cycle.
    assert_eq!(states, [0, 1, 2, 3, 5]);
    assert_close(factor(&m, 1, 5, spend), 12.0);
}

/// One state whose council cost of 100 a month is a quarter cashable; its nhs cost of 50 a month is all cashable.
const CASHABLE: &str = r#"[[states]]
name = "home"
per = "month"
costs = { council = { amount = 100, cashable = 0.25 }, nhs = 50 }
[[states]]
name = "dead"
dead = true
[start]
home = 1
[transitions]
home = { dead = 0.1, home = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
[cohort]
size = 10
"#;

#[test]
fn cashable_shares_scale_a_second_flow_of_the_same_value() {
    let m = compiled(&scenario(CASHABLE));
    assert!(m.has_noncashable);
    let ctx = m.context(0, 0);
    // 100 a month is 1,200 a year (factor 12); its cashable part has factor 12 × 0.25 = 3. The nhs cost is all
    // cashable: factor 12 in both columns.
    assert_close(factor(&m, 0, 0, Columns::BUILT_IN.care(Payer::Council)), 12.0);
    assert_close(factor(&m, 0, 0, Columns::BUILT_IN.cashable(Payer::Council)), 3.0);
    assert_close(factor(&m, 0, 0, Columns::BUILT_IN.care(Payer::Nhs)), 12.0);
    assert_close(factor(&m, 0, 0, Columns::BUILT_IN.cashable(Payer::Nhs)), 12.0);
    // Care and cashable flows read the same slot: the amount as written.
    let council: Vec<f64> = ctx
        .static_flows
        .iter()
        .filter(|f| [0, 3].contains(&m.kernel_columns[f.column]))
        .map(|f| constant(ctx, f.slot))
        .collect();
    assert_eq!(council, [100.0, 100.0]);
    assert_eq!(m.kernel_columns, [0, 1, 3, 4]);
}

#[test]
fn without_a_share_below_one_no_cashable_flows_are_kept() {
    let text = scenario(&CASHABLE.replace("cashable = 0.25", "cashable = 1"));
    let m = compiled(&text);
    assert!(!m.has_noncashable);
    assert_eq!(m.kernel_columns, [0, 1]);
    assert_eq!(m.context(0, 0).static_flows.len(), 2);
}
