//! Overrides of a compiled model: [`compile_with`] keeping named parameters changeable, and [`apply_overrides`]
//! setting a value or one field of a distribution (refitted as the file's own would be), or refusing.

use super::{assert_close, scenario};
use crate::dist::Distribution;
use crate::model::{apply_overrides, compile, compile_with, Draw, Model, ParameterSpec};
use crate::scenario::{Override, Scenario};
use std::path::Path;

/// A probability, a gamma cost (overridden by the `new` arm), a number and an expression.
const BODY: &str = r#"[parameters]
p_ill = { dist = "beta", alpha = 2, beta = 8 }
cost = { dist = "gamma", shape = 4, scale = 250 }
visits = 12
rate = "visits * 2"
[[states]]
name = "well"
per = "year"
costs = { council = "cost + rate" }
[[states]]
name = "dead"
dead = true
[start]
well = 1
[transitions]
well = { dead = "p_ill", well = "remainder" }
[[arms]]
name = "usual"
[[arms]]
name = "new"
parameters = { cost = { dist = "gamma", shape = 2, scale = 250 } }
[cohort]
size = 10
"#;

fn parsed() -> Scenario {
    Scenario::parse(Path::new("test.toml"), &scenario(BODY)).expect("parses")
}

/// The model with every parameter kept overridable.
fn overridable() -> (Scenario, Model) {
    let s = parsed();
    let names = ["cost", "p_ill", "rate", "visits"].map(String::from);
    let m = compile_with(&s, &names).unwrap_or_else(|e| panic!("{e}"));
    (s, m)
}

/// The distribution of draw `i`.
fn draw(m: &Model, i: usize) -> Distribution {
    match &m.draws[i] {
        Draw::One { distribution, .. } => *distribution,
        other => panic!("draw {i} is {other:?}"),
    }
}

fn set(m: &mut Model, s: &Scenario, text: &str) -> Result<(), crate::error::InputError> {
    apply_overrides(m, s, &[Override::parse(text).expect("a valid --set")])
}

#[test]
fn compile_with_makes_every_named_definition_a_draw_slot() {
    // Plain compilation samples the three distributions only: base cost, p_ill, the arm's cost.
    let plain = compile(&parsed()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.n_draws, 3);
    assert!(plain.overridable.is_empty());

    // Kept overridable, the number and the expression take slots too: in key order cost, p_ill, rate, visits, then
    // the arm's cost.
    let (_, m) = overridable();
    assert_eq!(m.n_draws, 5);
    let entries: Vec<(&str, &str, usize, usize, bool, bool)> = m
        .overridable
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.scope.as_str(),
                o.draw,
                o.info,
                o.expression,
                o.table.is_some(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("cost", "base", 0, 0, false, true),
            ("p_ill", "base", 1, 1, false, true),
            ("rate", "base", 2, 2, true, false),
            ("visits", "base", 3, 3, false, false),
            ("cost", "arm:new", 4, 4, false, true),
        ]
    );
    let slots: Vec<Option<usize>> = m.parameters.iter().map(|p| p.draw_slot).collect();
    assert_eq!(slots, [Some(0), Some(1), Some(2), Some(3), Some(4)]);
    // A number is drawn as itself; an expression is 0 until a value is set for it.
    assert_eq!(draw(&m, 3), Distribution::Fixed(12.0));
    assert_eq!(draw(&m, 2), Distribution::Fixed(0.0));
    assert_eq!(m.probability_slots.first(), Some(&1));
}

#[test]
fn setting_a_value_fixes_every_definition_of_the_name() {
    let (s, mut m) = overridable();
    set(&mut m, &s, "visits=20").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draw(&m, 3), Distribution::Fixed(20.0));
    assert!(matches!(m.parameters[3].spec, ParameterSpec::Fixed { value } if value == 20.0));
    // Both definitions of cost (base and arm) become fixed.
    set(&mut m, &s, "cost=900").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draw(&m, 0), Distribution::Fixed(900.0));
    assert_eq!(draw(&m, 4), Distribution::Fixed(900.0));
}

#[test]
fn setting_a_field_refits_each_definition_from_its_own_table() {
    let (s, mut m) = overridable();
    set(&mut m, &s, "cost.scale=100").unwrap_or_else(|e| panic!("{e}"));
    // Gamma(shape 4, scale 100) has mean 400; the arm's Gamma(shape 2, scale 100) has mean 200.
    assert_eq!(
        draw(&m, 0),
        Distribution::Gamma {
            shape: 4.0,
            scale: 100.0
        }
    );
    assert_eq!(
        draw(&m, 4),
        Distribution::Gamma {
            shape: 2.0,
            scale: 100.0
        }
    );
    assert_close(draw(&m, 0).mean(), 400.0);
    assert_close(draw(&m, 4).mean(), 200.0);
    match m.parameters[4].spec {
        ParameterSpec::Distribution { mean, .. } => assert_close(mean, 200.0),
        ref other => panic!("{other:?}"),
    }
    // The draw keeps its slot.
    assert!(matches!(m.draws[4], Draw::One { slot: 4, .. }));
    // Beta(α 4, β 8) stays inside [0, 1], so a probability may take it: mean 4/12.
    set(&mut m, &s, "p_ill.alpha=4").unwrap_or_else(|e| panic!("{e}"));
    assert_close(draw(&m, 1).mean(), 1.0 / 3.0);
}

/// The field and message of a refused override (which has no position in the file).
fn refused(text: &str) -> (String, String) {
    let (s, mut m) = overridable();
    let e = set(&mut m, &s, text).expect_err("the override should be refused");
    assert_eq!((e.line, e.column), (0, 0));
    (e.field, e.message)
}

#[test]
fn a_probability_cannot_be_set_outside_zero_to_one() {
    assert_eq!(
        refused("p_ill=1.5"),
        (
            "--set p_ill=1.5".to_string(),
            "`p_ill` is used as a probability, but this sets it to 1.5, outside [0, 1]".to_string()
        )
    );
}

#[test]
fn overrides_name_what_they_cannot_change() {
    assert_eq!(
        refused("visits.mean=3"),
        (
            "--set visits.mean=3".to_string(),
            "`visits` is a number or an expression in the scenario, not a distribution: set its value with --set visits=VALUE".to_string()
        )
    );
    assert_eq!(
        refused("rate.mean=3").1,
        "`rate` is an expression in base; only its value can be set (--set rate=VALUE)"
    );
    assert_eq!(refused("nope=1").1, "no parameter is named `nope`");
    // Adding sd to a shape-and-scale gamma makes it a mean-and-sd gamma, which takes no shape.
    assert_eq!(
        refused("cost.sd=1").1,
        "`cost` (base): `shape` is not used by a gamma distribution given by its mean and sd; it takes mean, sd"
    );
}

#[test]
fn changes_of_two_fields_of_one_parameter_both_hold() {
    // The second change starts from the first's table: Gamma(shape 8, scale 100), not shape 4 with scale 100.
    let (s, mut m) = overridable();
    set(&mut m, &s, "cost.shape=8").unwrap_or_else(|e| panic!("{e}"));
    set(&mut m, &s, "cost.scale=100").unwrap_or_else(|e| panic!("{e}"));
    let base = m
        .overridable
        .iter()
        .find(|o| o.name == "cost" && o.scope == "base")
        .expect("base cost");
    assert_close(draw(&m, base.draw).mean(), 8.0 * 100.0);
    // Given in one call, in the same order, the same.
    let (s, mut one_call) = overridable();
    let both = ["cost.shape=8", "cost.scale=100"].map(|t| Override::parse(t).expect("valid"));
    apply_overrides(&mut one_call, &s, &both).unwrap_or_else(|e| panic!("{e}"));
    assert_close(draw(&one_call, base.draw).mean(), 800.0);
}
