//! Bad input: the first problem found is reported with its message, its field path and where it is (line:column).
//!
//! Each test changes one line of [`LAYOUT`] (lines 13–32 of the file, after the 12-line header), so the expected
//! position can be read off the line written in the test.

use super::{error, scenario, with_line};

/// A scenario that compiles; line numbers are those of the whole file.
const LAYOUT: &str = r#"[parameters]
x = 1
[[states]]
name = "well"
per = "year"
costs = { council = 100 }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = 0.1, well = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
label = "New"
[cohort]
size = 10
"#;

/// Lines of [`LAYOUT`] the tests change.
const PARAMETER: usize = 14;
const PER: usize = 17;
const COSTS: usize = 18;
const DEAD: usize = 21;
const ROW: usize = 25;
const ARM: usize = 30;

/// Checks the error of [`LAYOUT`] with `line` replaced by `text`.
fn assert_error(line: usize, text: &str, field: &str, position: (usize, usize), message: &str) {
    let e = error(&with_line(&scenario(LAYOUT), line, text));
    assert_eq!(e.message, message);
    assert_eq!(e.field, field);
    assert_eq!((e.line, e.column), position, "line:column of {message}");
    assert_eq!(e.file, std::path::Path::new("test.toml"));
}

#[test]
fn the_layout_compiles() {
    super::compiled(&scenario(LAYOUT));
    assert_eq!(with_line(&scenario(LAYOUT), ROW, "X").lines().nth(ROW - 1), Some("X"));
    assert_eq!(
        scenario(LAYOUT).lines().nth(ROW - 1),
        Some(r#"well = { dead = 0.1, well = "remainder" }"#)
    );
}

#[test]
fn an_unknown_state_in_a_row() {
    assert_error(
        ROW,
        r#"well = { wel = 0.1, well = "remainder" }"#,
        "transitions.well.wel",
        (ROW, 10),
        "no state is named `wel`; did you mean `well`?",
    );
}

#[test]
fn a_row_summing_over_one() {
    // 0.4 + 0.7 = 1.1; the position is the row's opening brace.
    assert_error(
        ROW,
        "well = { well = 0.7, dead = 0.4 }",
        "transitions.well",
        (ROW, 8),
        "the probabilities in this row sum to 1.1, above 1",
    );
}

#[test]
fn a_row_of_constants_summing_under_one_without_a_remainder() {
    assert_error(
        ROW,
        "well = { well = 0.5, dead = 0.4 }",
        "transitions.well",
        (ROW, 8),
        "the probabilities in this row sum to 0.9, not 1: make one entry \"remainder\" or correct them",
    );
}

#[test]
fn two_remainders_in_a_row() {
    // Entries are read in key order, so `well` is the second remainder; its value starts at column 37.
    assert_error(
        ROW,
        r#"well = { dead = "remainder", well = "remainder" }"#,
        "transitions.well.well",
        (ROW, 37),
        "a row may have only one \"remainder\" entry (it is one minus the others)",
    );
}

#[test]
fn a_living_state_with_no_row() {
    // `dead` is no longer marked dead, so it needs a row; the position is the [transitions] table.
    assert_error(
        DEAD,
        "dead = false",
        "transitions",
        (24, 1),
        "state `dead` has no transition row: give one (use `dead = \"remainder\"` for staying), or mark the state `dead = true` if nobody leaves it",
    );
}

#[test]
fn a_constant_probability_outside_zero_to_one() {
    assert_error(
        ROW,
        r#"well = { dead = 1.5, well = "remainder" }"#,
        "transitions.well.dead",
        (ROW, 17),
        "a probability must be between 0 and 1, not 1.5",
    );
}

#[test]
fn a_probability_whose_distribution_can_leave_zero_to_one() {
    let text = with_line(
        &scenario(LAYOUT),
        PARAMETER,
        r#"p = { dist = "normal", mean = 0.1, sd = 0.05 }"#,
    );
    let e = error(&with_line(&text, ROW, r#"well = { dead = "p", well = "remainder" }"#));
    assert_eq!(e.field, "transitions.well.dead");
    assert_eq!((e.line, e.column), (ROW, 17));
    assert_eq!(
        e.message,
        "`p` is used as a probability but its distribution can take values outside [0, 1] (-inf to inf); use a beta distribution (or a Dirichlet for a whole row)"
    );
}

#[test]
fn an_unknown_payer_of_a_state_cost() {
    assert_error(
        COSTS,
        "costs = { counsil = 100 }",
        "states[0].costs",
        (COSTS, 11),
        "unknown payer `counsil`: costs are split by council, nhs and person; did you mean `council`?",
    );
}

#[test]
fn an_unknown_payer_of_an_arm_cost() {
    assert_error(
        ARM,
        r#"costs = [{ name = "visit", kind = "one_off", payer = "nhs_england", amount = 50 }]"#,
        "arms[1].costs[0].payer",
        (ARM, 54),
        "unknown payer `nhs_england`: use council, nhs or person; did you mean `nhs`?",
    );
}

#[test]
fn a_cashable_share_above_one() {
    assert_error(
        COSTS,
        "costs = { council = { amount = 100, cashable = 1.5 } }",
        "states[0].costs.council.cashable",
        (COSTS, 48),
        "the cashable share is the fraction of a saving that is released as cash, from 0 to 1, not 1.5",
    );
}

#[test]
fn an_unknown_unit() {
    assert_error(
        PER,
        r#"per = "fortnight""#,
        "states[0].per",
        (PER, 7),
        "unknown unit `fortnight`: amounts are per year, quarter, month, week or cycle",
    );
}

#[test]
fn an_unknown_distribution() {
    assert_error(
        PARAMETER,
        r#"x = { dist = "betta", mean = 0.1, sd = 0.05 }"#,
        "parameters.x.dist",
        (PARAMETER, 14),
        "unknown distribution `betta`: use one of fixed, uniform, normal, lognormal, gamma, beta, triangular, pert, dirichlet, mvnormal; did you mean `beta`?",
    );
}

#[test]
fn a_key_the_distribution_does_not_take() {
    // With `sd` given, a beta is fitted from its mean and sd, so `alpha` (whose value is at column 30) has no use.
    assert_error(
        PARAMETER,
        r#"x = { dist = "beta", alpha = 2, beta = 8, sd = 0.1 }"#,
        "parameters.x.alpha",
        (PARAMETER, 30),
        "`alpha` is not used by a beta distribution given by its mean and sd; it takes mean, sd",
    );
}

#[test]
fn a_reserved_name() {
    assert_error(
        PARAMETER,
        "t = 1",
        "parameters.t",
        (PARAMETER, 1),
        "`t` is a reserved name (the time variables are cycle, t, calendar_t and time_in_state; age and sex are the cohort's); choose another name",
    );
}

#[test]
fn an_arm_overriding_a_parameter_the_base_lacks() {
    assert_error(
        ARM,
        "parameters = { y = 2 }",
        "arms[1].parameters.y",
        (ARM, 16),
        "`y` overrides no parameter of the base model: define it under [parameters] first; did you mean `x`?",
    );
}

#[test]
fn a_parameter_that_depends_on_itself() {
    // The position is the first character inside the expression's quotes.
    assert_error(
        PARAMETER,
        r#"x = "x + 1""#,
        "parameters.x",
        (PARAMETER, 6),
        "parameters depend on each other in a cycle: x → x",
    );
}

#[test]
fn a_one_off_cost_that_depends_on_time() {
    assert_error(
        ARM,
        r#"costs = [{ name = "visit", kind = "one_off", payer = "nhs", amount = "10 * t" }]"#,
        "arms[1].costs[0].amount",
        (ARM, 70),
        "a one-off cost is paid at entry, so its amount cannot depend on time",
    );
}

#[test]
fn an_arm_compared_with_itself() {
    assert_error(
        ARM,
        r#"compare_to = "new""#,
        "arms[1].compare_to",
        (ARM, 14),
        "an arm cannot be compared with itself",
    );
}

#[test]
fn an_unknown_cycle_length() {
    assert_error(
        5,
        r#"cycle = "fortnight""#,
        "settings.cycle",
        (5, 9),
        "unknown cycle length `fortnight`: use one of year, quarter, month, week (a cycle must divide a year)",
    );
}

#[test]
fn entry_shares_that_do_not_sum_to_one() {
    let text = scenario(&format!("{LAYOUT}entry = [0.5, 0.6]\n"));
    let e = error(&text);
    assert_eq!(e.field, "cohort.entry");
    assert_eq!((e.line, e.column), (33, 9));
    assert_eq!(
        e.message,
        "entry gives the share of the cohort entering in each programme year: non-negative shares summing to 1, at most one per year of the horizon (2 years)"
    );
}

#[test]
fn the_first_error_in_the_file_order_of_checks_is_the_one_reported() {
    // Both the settings and a row are wrong; settings are checked first.
    let text = with_line(&scenario(LAYOUT), 5, r#"cycle = "fortnight""#);
    let e = error(&with_line(&text, ROW, "well = { well = 0.7, dead = 0.4 }"));
    assert_eq!(e.field, "settings.cycle");
    // A bad state name is found before a bad parameter distribution (states come first).
    let text = with_line(&scenario(LAYOUT), PARAMETER, r#"x = { dist = "betta" }"#);
    let e = error(&with_line(&text, 16, r#"name = "9lives""#));
    assert_eq!(e.field, "states[0].name");
    assert_eq!(
        e.message,
        "`9lives` is not a valid name: use letters, digits and '_', starting with a letter"
    );
}
