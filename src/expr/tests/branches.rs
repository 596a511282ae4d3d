//! A conditional split at its top level and put back with its condition read from a slot (`expr/branch.rs`).

use super::{program, slot_of, VALUES};
use crate::expr::Program;

#[test]
fn a_top_level_conditional_splits_into_its_condition_and_branches_and_goes_back_together() {
    // With t = 10, a = 2, b = 3, c = 4: the condition t >= a is 1, the then-branch 1 - b is -2, the else-branch
    // c * 2 + a is 10.
    let whole = program("if(t >= a, 1 - b, c * 2 + a)");
    let [condition, then, otherwise] = whole.split_if().expect("a top-level if");
    assert_eq!(condition.eval(VALUES), 1.0);
    assert_eq!(then.eval(VALUES), -2.0);
    assert_eq!(otherwise.eval(VALUES), 10.0);
    // Put back with the condition in slot `zero` (0): the else-branch; in slot `half` (0.5, not zero): the
    // then-branch; NaN counts as true, as it does in `if`.
    let at = |name: &str| slot_of(name).expect("a test slot");
    assert_eq!(Program::if_slot(at("zero"), &then, &otherwise).eval(VALUES), 10.0);
    assert_eq!(Program::if_slot(at("half"), &then, &otherwise).eval(VALUES), -2.0);
    let mut values = VALUES.to_vec();
    values[at("half")] = f64::NAN;
    assert_eq!(Program::if_slot(at("half"), &then, &otherwise).eval(&values), -2.0);
    // Each branch alone is plain arithmetic, which the lane path evaluates without the interpreter's stack.
    let lanes: Vec<[f64; 8]> = VALUES.iter().map(|&v| [v; 8]).collect();
    assert_eq!(then.eval_lanes_inlined(&lanes), Some([-2.0; 8]));
    assert_eq!(otherwise.eval_lanes_inlined(&lanes), Some([10.0; 8]));
    assert_eq!(whole.eval_lanes_inlined(&lanes), None, "the whole is a conditional");
}

#[test]
fn only_a_conditional_at_the_top_with_plain_parts_splits() {
    for src in [
        "1 - b",
        "2 * if(t >= a, b, c)",
        "if(t >= a and b > 1, b, c)",
        "if(t >= a, if(b > 1, b, c), c)",
        "if(t >= a, b, if(b > 1, b, c))",
        "min(a, b)",
    ] {
        assert!(program(src).split_if().is_none(), "{src}");
    }
    // A constant condition is folded away when compiling: nothing to split.
    assert!(program("if(2 > 1, a, b)").split_if().is_none());
    assert!(program("if(a, b, 1)").split_if().is_some());
}
