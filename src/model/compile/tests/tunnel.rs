//! Tunnel states: what a state with `tunnel = { cycles = N }` compiles into (one model state per cycle of a stay,
//! rows that move people one step on, values with each step's `time_in_state` folded in), and the errors bad
//! tunnels and misplaced `time_in_state` get, with their positions.

use super::{compiled, constant, error, scenario, with_line};
use crate::model::{Columns, Context, Payer, ProbSource, TunnelStep};

/// A tunnel state `care` of 3 cycles between `home` and `dead`; line numbers are those of the whole file.
const LAYOUT: &str = r#"[parameters]
p_leave = { dist = "beta", mean = 0.3, sd = 0.05 }
[[states]]
name = "home"
per = "year"
costs = { council = 100 }
[[states]]
name = "care"
per = "year"
tunnel = { cycles = 3 }
costs = { council = "if(time_in_state == 1, 1000, 200)" }
outcomes = { qaly = "0.5 + 0.1 * time_in_state" }
[[states]]
name = "dead"
dead = true
[start]
home = 0.5
care = "remainder"
[transitions]
home = { care = 0.2, dead = 0.1, home = "remainder" }
care = { care = "remainder", dead = "0.05 * time_in_state", home = "p_leave" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
costs = [{ name = "visits", kind = "recurring", payer = "council", amount = 50, per = "year", states = ["care[1]"] }]
[cohort]
size = 10
"#;

/// Lines of [`LAYOUT`] the tests change (the 12-line header comes first).
const PARAMETER: usize = 14;
const HOME_COSTS: usize = 18;
const TUNNEL: usize = 22;
const CARE_COSTS: usize = 23;
const DEAD_FLAG: usize = 27;
const START_CARE: usize = 30;
const CARE_ROW: usize = 33;
const ARM_COSTS: usize = 38;

/// The constant value of each flow into `column` out of model state `state`, in flow order.
fn flow_values(ctx: &Context, state: usize, column: usize) -> Vec<f64> {
    ctx.static_flows
        .iter()
        .chain(&ctx.dynamic_flows)
        .filter(|f| f.state == state && f.column == column)
        .map(|f| constant(ctx, f.slot) * f.factor)
        .collect()
}

#[test]
fn a_tunnel_state_becomes_one_model_state_per_cycle_of_a_stay() {
    let m = compiled(&scenario(LAYOUT));
    let names: Vec<&str> = m.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["home", "care[1]", "care[2]", "care[3+]", "dead"]);
    assert_eq!(m.states[1].label, "care (cycle 1 of the stay)");
    assert_eq!(m.states[3].label, "care (cycle 3 of the stay onwards)");
    let step = |k, rest_of_stay| {
        Some(TunnelStep {
            state: "care".into(),
            time_in_state: k,
            rest_of_stay,
        })
    };
    assert_eq!(m.states[0].tunnel, None);
    assert_eq!(m.states[2].tunnel, step(2, false));
    assert_eq!(m.states[3].tunnel, step(3, true));
    assert_eq!(m.states[3].declared_name(), "care");
    assert_eq!(m.states[0].declared_name(), "home");
}

#[test]
fn entries_go_to_the_first_step_and_staying_moves_one_step_on() {
    let m = compiled(&scenario(LAYOUT));
    let ctx = &m.contexts[0];
    // The start: `care` (key order before `home`) is its first step, model state 1.
    let start: Vec<usize> = ctx.start.entries.iter().map(|(to, _)| *to).collect();
    assert_eq!(start, [1, 0]);
    assert_eq!(ctx.start.entries[0].1, ProbSource::Remainder);
    // One row per living model state, in model order; the dead state has none.
    let rows: Vec<(usize, Vec<usize>)> = ctx
        .rows
        .iter()
        .map(|r| (r.from, r.entries.iter().map(|(to, _)| *to).collect()))
        .collect();
    assert_eq!(
        rows,
        [
            (0, vec![1, 4, 0]), // home: into care's first step, dead, stay
            (1, vec![2, 4, 0]), // care[1]: stay moves to care[2]
            (2, vec![3, 4, 0]), // care[2]: stay moves to care[3+]
            (3, vec![3, 4, 0]), // care[3+]: stay stays
        ]
    );
    // The exit to `dead` is 0.05 × time_in_state, folded to a constant for each step.
    for (row, k) in ctx.rows[1..].iter().zip([1.0, 2.0, 3.0]) {
        let ProbSource::Slot(slot) = row.entries[1].1 else {
            panic!("a probability slot")
        };
        assert_eq!(constant(ctx, slot), 0.05 * k);
    }
    // The exit home reads the sampled parameter in every step.
    assert!(ctx.rows[1..].iter().all(|r| r.entries[2].1 == ProbSource::Slot(0)));
}

#[test]
fn each_step_has_the_states_values_for_its_time_in_state() {
    let m = compiled(&scenario(LAYOUT));
    let council = Columns::BUILT_IN.care(Payer::Council);
    let qaly = Columns::BUILT_IN.outcome(0);
    let index = |full: usize| m.kernel_columns.iter().position(|&c| c == full).expect("a used column");
    let (council, qaly, spend) = (
        index(council),
        index(qaly),
        index(Columns::BUILT_IN.spend(Payer::Council)),
    );
    for ctx in &m.contexts {
        assert!(ctx.dynamic_flows.is_empty() && ctx.dynamic_programs.is_empty());
        assert_eq!(flow_values(ctx, 0, council), [100.0]);
        assert_eq!(flow_values(ctx, 1, council), [1000.0]);
        assert_eq!(flow_values(ctx, 2, council), [200.0]);
        assert_eq!(flow_values(ctx, 3, council), [200.0]);
        for (state, k) in [(1, 1.0), (2, 2.0), (3, 3.0)] {
            assert_eq!(flow_values(ctx, state, qaly), [0.5 + 0.1 * k]);
        }
    }
    // The arm's visits are paid in the first cycle of a stay only (`states = ["care[1]"]`).
    let new = &m.contexts[1];
    let visits: Vec<usize> = new
        .static_flows
        .iter()
        .filter(|f| f.column == spend)
        .map(|f| f.state)
        .collect();
    assert_eq!(visits, [1]);
    // Naming the tunnel state names every step of it.
    let every_step = r#"costs = [{ name = "visits", kind = "recurring", payer = "council", amount = 50, per = "year", states = ["care"] }]"#;
    let m = compiled(&with_line(&scenario(LAYOUT), ARM_COSTS, every_step));
    let visits: Vec<usize> = m.contexts[1]
        .static_flows
        .iter()
        .filter(|f| f.column == spend)
        .map(|f| f.state)
        .collect();
    assert_eq!(visits, [1, 2, 3]);
}

/// Checks the error of [`LAYOUT`] with `line` replaced by `text`.
fn assert_error(line: usize, text: &str, field: &str, position: (usize, usize), message: &str) {
    let e = error(&with_line(&scenario(LAYOUT), line, text));
    assert_eq!(e.message, message);
    assert_eq!(e.field, field);
    assert_eq!((e.line, e.column), position, "line:column of {message}");
}

#[test]
fn a_tunnel_needs_two_cycles_or_more() {
    for n in ["0", "1", "-3", "257"] {
        assert_error(
            TUNNEL,
            &format!("tunnel = {{ cycles = {n} }}"),
            "states[1].tunnel.cycles",
            (TUNNEL, 21),
            &format!("a tunnel follows the first cycles of a stay one by one: from 2 to 256 cycles (the last holds the rest of the stay), not {n}"),
        );
    }
}

#[test]
fn a_tunnel_gives_its_length_with_its_unit() {
    let e = error(&with_line(&scenario(LAYOUT), TUNNEL, "tunnel = 3"));
    assert!(
        e.message
            .contains("give the tunnel's length with its unit, `tunnel = { cycles = 3 }`: units are never guessed"),
        "{}",
        e.message
    );
    assert_eq!((e.line, e.column), (TUNNEL, 10));
    let e = error(&with_line(&scenario(LAYOUT), TUNNEL, "tunnel = { years = 3 }"));
    assert!(
        e.message.contains("unknown field `years`, expected `cycles`"),
        "{}",
        e.message
    );
    assert_eq!(e.line, TUNNEL);
}

#[test]
fn a_dead_state_cannot_have_a_tunnel() {
    let text = with_line(&scenario(LAYOUT), DEAD_FLAG, "dead = true\ntunnel = { cycles = 2 }");
    let e = error(&text);
    assert_eq!(
        e.message,
        "state `dead` is marked `dead = true`, where nobody leaves and nothing accrues, so time in it changes nothing; remove the tunnel"
    );
    assert_eq!(e.field, "states[2].tunnel");
    assert_eq!((e.line, e.column), (DEAD_FLAG + 1, 10));
}

#[test]
fn too_many_states_once_tunnels_are_counted() {
    // 1 + 255 + 1 model states: one more than supported; the error points at the tunnel that crosses the limit.
    assert_error(
        TUNNEL,
        "tunnel = { cycles = 255 }",
        "states",
        (TUNNEL, 10),
        "at most 256 states are supported, counting each cycle of a tunnel as a state (257 in all)",
    );
}

#[test]
fn time_in_state_outside_a_tunnel_state_is_refused_where_it_is_written() {
    let outside = "`time_in_state` has a value only in the costs, outcomes and transition row of a state with a tunnel (`tunnel = { cycles = N }` in its [[states]] entry)";
    assert_error(
        HOME_COSTS,
        r#"costs = { council = "100 * time_in_state" }"#,
        "states[0].costs.council",
        (HOME_COSTS, 28),
        outside,
    );
    assert_error(
        START_CARE,
        r#"care = "0.1 * time_in_state""#,
        "start.care",
        (START_CARE, 15),
        outside,
    );
    assert_error(
        ARM_COSTS,
        r#"costs = [{ name = "visits", kind = "recurring", payer = "council", amount = "time_in_state", per = "year", states = ["care"] }]"#,
        "arms[1].costs[0].amount",
        (ARM_COSTS, 78),
        outside,
    );
    assert_error(
        PARAMETER,
        r#"p_leave = "0.1 * time_in_state""#,
        "parameters.p_leave",
        (PARAMETER, 18),
        "`time_in_state` cannot be read by a parameter, which has one value in an iteration whichever state people are in: write the expression where it is used, in a tunnel state's costs, outcomes or transition row",
    );
    assert_error(
        PARAMETER,
        "time_in_state = 2",
        "parameters.time_in_state",
        (PARAMETER, 1),
        "`time_in_state` is a reserved name (the time variables are cycle, t, calendar_t and time_in_state; age and sex are the cohort's); choose another name",
    );
}

#[test]
fn an_error_in_one_step_says_which_step() {
    // 0.5 × time_in_state leaves [0, 1] in the third step only.
    assert_error(
        CARE_ROW,
        r#"care = { care = "remainder", dead = "0.5 * time_in_state", home = "p_leave" }"#,
        "transitions.care.dead",
        (CARE_ROW, 37),
        "a probability must be between 0 and 1, not 1.5 (where time_in_state = 3)",
    );
    // 1 / (time_in_state − 2) is infinite in the second step, and the error points at the part that is.
    assert_error(
        CARE_COSTS,
        r#"costs = { council = "1 / (time_in_state - 2)" }"#,
        "states[1].costs.council",
        (CARE_COSTS, 22),
        "`1 / (time_in_state - 2)` is ∞ whatever the parameters; every step of an expression must give a finite number (where time_in_state = 2)",
    );
    // A row whose constant entries sum above 1 in a later step.
    assert_error(
        CARE_ROW,
        r#"care = { care = "remainder", dead = "0.3 * time_in_state", home = 0.2 }"#,
        "transitions.care",
        (CARE_ROW, 8),
        "the probabilities in this row sum to 1.1, above 1 (where time_in_state = 3)",
    );
    // An error that no step causes says nothing of steps.
    assert_error(
        CARE_COSTS,
        r#"costs = { council = "1000 * cost_typo" }"#,
        "states[1].costs.council",
        (CARE_COSTS, 29),
        "unknown name `cost_typo`",
    );
    assert_error(
        ARM_COSTS,
        r#"costs = [{ name = "visits", kind = "recurring", payer = "council", amount = 50, per = "year", states = ["care[4]"] }]"#,
        "arms[1].costs[0].states",
        (ARM_COSTS, 105),
        "no state is named `care[4]`; did you mean `care`?",
    );
}
