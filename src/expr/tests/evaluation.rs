//! Evaluation: hand-computed values, NaN propagation, the program constructors and lane evaluation.

use super::reference::walk;
use super::{close, program, slot_of, NAMES, VALUES};
use crate::expr::instr::Instr;
use crate::expr::{parse, Program};

// Over 100 lines on purpose: a flat table of hand-computed cases, one per line.
#[test]
fn evaluates_hand_computed_values() {
    let cases: &[(&str, f64)] = &[
        // numbers
        ("42", 42.0),
        ("0.5", 0.5),
        (".5 + 0.5", 1.0),
        ("1e-3", 0.001),
        ("2.5E+4", 25_000.0),
        ("1_000_000 * 1e-3", 1000.0),
        ("true + true + false", 2.0),
        // precedence and associativity
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("a + b * c", 14.0),
        ("10 - 4 - 3", 3.0),
        ("t - a - b", 5.0),
        ("100 / 10 / 5", 2.0),
        ("t / a / 5", 1.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("a ^ b ^ a", 512.0),
        ("(2 ^ 3) ^ 2", 64.0),
        ("2 * 3 ^ 2", 18.0),
        ("a * b ^ a", 18.0),
        // unary minus vs ^
        ("-2 ^ 2", -4.0),
        ("-a ^ 2", -4.0),
        ("(-2) ^ 2", 4.0),
        ("neg ^ 2", 4.0),
        ("2 ^ -1", 0.5),
        ("a ^ -a", 0.25),
        ("--a", 2.0),
        ("-+-a", 2.0),
        ("+a", 2.0),
        ("a * -b", -6.0),
        ("-a - -b", 1.0),
        // comparisons give 1/0 and bind looser than arithmetic
        ("a < b", 1.0),
        ("b < a", 0.0),
        ("a <= 2", 1.0),
        ("a > b", 0.0),
        ("c > b", 1.0),
        ("a >= 2.5", 0.0),
        ("a >= 2", 1.0),
        ("a == 2", 1.0),
        ("a != 2", 0.0),
        ("a + 1 == b", 1.0),
        ("a < b + 1", 1.0),
        ("(a < b) < 1", 0.0),
        // logic: result is 1/0, not/! binds tightest, and binds tighter than or
        ("a and b", 1.0),
        ("a && zero", 0.0),
        ("zero or b", 1.0),
        ("zero || zero", 0.0),
        ("a < b and b < c", 1.0),
        ("a > b or b < c", 1.0),
        ("a > b or b > c", 0.0),
        ("1 or 0 and 0", 1.0),
        ("a or zero and zero", 1.0),
        ("not a", 0.0),
        ("not zero", 1.0),
        ("!zero", 1.0),
        ("!a == 0", 1.0),
        ("not 1 + 1", 1.0),
        ("not a + 1", 1.0),
        ("a != 2 or not (b == 3)", 0.0),
        // laziness: the unchosen side is never evaluated, so no NaN leaks out
        ("if(x > 0, ln(x), 0)", 0.0),
        ("if(x < 0, 7, ln(x))", 7.0),
        ("x > 0 and ln(x) > 0", 0.0),
        ("zero and ln(x)", 0.0),
        ("0 and ln(x)", 0.0),
        ("a or ln(x)", 1.0),
        ("1 or ln(x)", 1.0),
        ("if(a, b, c)", 3.0),
        ("if(zero, b, c)", 4.0),
        ("if(a > b, 10, 20)", 20.0),
        ("if(a < b, 10, 20)", 10.0),
        ("if(t < 2, 100, 50)", 50.0),
        ("if(a < b, if(b < c, 1, 2), 3)", 1.0),
        ("a + if(zero, 1, if(a, 10, 100)) * 2", 22.0),
        // functions
        ("min(a, b)", 2.0),
        ("min(c, b, a)", 2.0),
        ("max(a, c, b)", 4.0),
        ("max(neg, x)", -1.0),
        ("min(1, 2, 3, 4, a)", 1.0),
        ("exp(0)", 1.0),
        ("exp(1)", std::f64::consts::E),
        ("exp(zero)", 1.0),
        ("ln(1)", 0.0),
        ("ln(exp(a))", 2.0),
        ("log10(1000)", 3.0),
        ("log10(a * 50)", 2.0),
        ("sqrt(16)", 4.0),
        ("sqrt(c)", 2.0),
        ("abs(neg)", 2.0),
        ("abs(a)", 2.0),
        ("floor(2.7)", 2.0),
        ("floor(-2.5)", -3.0),
        ("ceil(2.1)", 3.0),
        ("ceil(-2.5)", -2.0),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(2.4)", 2.0),
        ("pow(2, 10)", 1024.0),
        ("pow(a, b)", 8.0),
        ("clamp(5, 0, 1)", 1.0),
        ("clamp(-5, 0, 1)", 0.0),
        ("clamp(0.25, 0, 1)", 0.25),
        ("clamp(t, a, c)", 4.0),
        // 1 - e^-0.2 = 1 - 0.8187307530779818
        ("rate_to_prob(0.1, 2)", 0.181_269_246_922_018_2),
        // a rate of ln 2 per year halves survival in a year
        ("rate_to_prob(ln(2), 1)", 0.5),
        ("rate_to_prob(0, t)", 0.0),
        // -ln(1 - 0.5) / 1 = ln 2
        ("prob_to_rate(0.5, 1)", std::f64::consts::LN_2),
        // -ln(0.25) / 2 = ln 4 / 2 = ln 2
        ("prob_to_rate(0.75, 2)", std::f64::consts::LN_2),
        ("prob_to_rate(half, 1)", std::f64::consts::LN_2),
        // 1 - 0.81^0.5 = 1 - 0.9
        ("convert_prob(0.19, 1, 0.5)", 0.1),
        // 1 - 0.9^2 = 1 - 0.81
        ("convert_prob(0.1, 0.5, 1)", 0.19),
        // 1 - 0.5^(24/12) = 0.75: from a 12-month to a 24-month probability
        ("convert_prob(p, 12, 24)", 0.75),
        ("convert_prob(p_home, 1, 1)", 0.3),
        // the motivating examples
        ("p * rr ^ (t / 5)", 0.32),
        ("p * rr ^ (t / 5) + max(a, b)", 3.32),
        ("  p*rr^(t/5)+max(a,b)  ", 3.32),
        ("1 / zero", f64::INFINITY),
    ];
    for &(src, want) in cases {
        let prog = program(src);
        let got = prog.eval(VALUES);
        assert!(close(got, want), "{src:?}: got {got}, want {want}");
        let reference = walk(&parse(src).expect("parses").root, VALUES);
        assert!(close(reference, want), "{src:?}: reference gave {reference}");
    }
}

#[test]
fn nan_propagates_through_min_max_and_clamp() {
    for src in [
        "min(1, ln(x))",
        "max(ln(x), a)",
        "min(a, ln(x))",
        "clamp(ln(x), 0, 1)",
        "clamp(a, c, b)",
        "convert_prob(a, 1, 1)",
        "ln(x)",
    ] {
        assert!(program(src).eval(VALUES).is_nan(), "{src:?} should be NaN");
    }
    // NaN is not zero, so it counts as true.
    assert_eq!(program("if(ln(x), 1, 2)").eval(VALUES), 1.0);
}

#[test]
fn program_constructors() {
    let c = Program::constant(2.5);
    assert_eq!(c.eval(&[]), 2.5);
    assert_eq!(c.as_constant(), Some(2.5));
    assert!(c.reads().is_empty());
    let s = Program::slot(1);
    assert_eq!(s.eval(&[7.0, 9.0]), 9.0);
    assert_eq!(s.as_constant(), None);
    assert_eq!(s.as_slot(), Some(1));
    assert_eq!(s.reads(), &[1]);
}

#[test]
fn lane_evaluation_does_each_lanes_arithmetic_exactly() {
    // Between them these use every instruction `eval_lanes` runs, in every operand form.
    let arithmetic = [
        "a",
        "2.5",
        "a + b",
        "a + 2",
        "2 + a",
        "(a * b) + (c * x)",
        "a * b",
        "a * 3",
        "(a + b) * (c + x)",
        "a - b",
        "b - a",
        "a - 2",
        "2 - a",
        "(a * b) - (c * x)",
        "(a * b) - c",
        "c - (a * b)",
        "a / b",
        "a / 2",
        "2 / a",
        "(a + b) / (c + x)",
        "(a + b) / c",
        "c / (a + b)",
        "(a - b) / zero",
        "p * rr",
        "a - b - c - x",
        "2 - (a * b)",
        "a - (b * c)",
        "2 / (a + b)",
        "a / b / c / x",
        "(a + b) - ((a - c) / (b - x))",
        "(a + b) / ((a - c) * (b - x))",
    ];
    let mut seen = std::collections::HashSet::new();
    // Lane l's slots: VALUES scaled and shifted per lane, so the lanes differ.
    let lanes: Vec<[f64; 8]> = VALUES
        .iter()
        .map(|&v| std::array::from_fn(|l| v * (1.0 + 0.37 * l as f64) - l as f64 * 0.25))
        .collect();
    for src in arithmetic {
        let p = program(src);
        seen.extend(p.code.iter().map(std::mem::discriminant));
        let got = p
            .eval_lanes(&lanes)
            .unwrap_or_else(|| panic!("{src:?} is plain arithmetic"));
        for l in 0..8 {
            let slots: Vec<f64> = lanes.iter().map(|v| v[l]).collect();
            assert_eq!(got[l].to_bits(), p.eval(&slots).to_bits(), "{src:?}, lane {l}");
        }
    }
    let all = [
        Instr::Const(0.0),
        Instr::Slot(0),
        Instr::Add,
        Instr::AddConst(0.0),
        Instr::AddSlot(0),
        Instr::Mul,
        Instr::MulConst(0.0),
        Instr::MulSlot(0),
        Instr::Sub,
        Instr::SubSwapped,
        Instr::SubConst(0.0),
        Instr::SubSlot(0),
        Instr::ConstSub(0.0),
        Instr::SlotSub(0),
        Instr::Div,
        Instr::DivSwapped,
        Instr::DivConst(0.0),
        Instr::DivSlot(0),
        Instr::ConstDiv(0.0),
        Instr::SlotDiv(0),
    ];
    for instr in all {
        assert!(instr.is_arithmetic());
        assert!(
            seen.contains(&std::mem::discriminant(&instr)),
            "no expression used {instr:?}"
        );
    }
    // Anything else is left to `eval`, lane by lane.
    for src in [
        "exp(a)",
        "if(a > b, a, b)",
        "min(a, b) + c",
        "a < b",
        "a and b",
        "a ^ 2",
        "-a + b",
    ] {
        assert!(program(src).eval_lanes(&lanes).is_none(), "{src:?}");
    }
}

#[test]
fn lane_evaluation_of_functions_and_comparisons_gives_each_lanes_scalar_bits() {
    // Every operand form of a binary operation, functions of one to three arguments, and chains of min and max.
    let programs = [
        "a + b * c - x / 2",
        "exp(a) + ln(b) - sqrt(c) * abs(x)",
        "min(a, b) + max(c, 2, x)",
        "a < b",
        "2 >= a",
        "a ^ 2",
        "2 ^ a",
        "b ^ c",
        "(a + b) ^ (c - x)",
        "pow(a, b + c)",
        "-a + b",
        "not a",
        "clamp(x, a, b)",
        "convert_prob(p, 1, 0.25) * rr",
        "rate_to_prob(a, 0.5) - prob_to_rate(p, 1)",
        "floor(a * 3) + ceil(b) + round(c / 7) + log10(abs(x) + 1)",
        "min(1, p * rr)",
        "a != b",
        "(a == a) * 3",
    ];
    let lanes: Vec<[f64; 8]> = VALUES
        .iter()
        .map(|&v| std::array::from_fn(|l| v * (1.0 + 0.37 * l as f64) - l as f64 * 0.25))
        .collect();
    for src in programs {
        assert_lanes_are_evals(src, &lanes);
    }
}

/// `src` evaluated on all lanes at once gives each lane the bits `eval` gives it.
fn assert_lanes_are_evals(src: &str, lanes: &[[f64; 8]]) {
    let p = program(src);
    let got = p
        .eval_lanes_ops(lanes)
        .unwrap_or_else(|| panic!("{src:?} was not evaluated on lanes"));
    for l in 0..8 {
        let slots: Vec<f64> = lanes.iter().map(|v| v[l]).collect();
        assert_eq!(got[l].to_bits(), p.eval(&slots).to_bits(), "{src:?}, lane {l}");
    }
}

#[test]
fn conditionals_whose_lanes_agree_evaluate_all_lanes_at_once_to_evals_bits() {
    // Lanes that differ, except `t`, `zero` and `half`, which are the same in every lane (a time, a fixed value).
    let uniform = ["t", "zero", "half"];
    let lanes: Vec<[f64; 8]> = NAMES
        .iter()
        .zip(VALUES)
        .map(|(name, &v)| {
            std::array::from_fn(|l| {
                if uniform.contains(name) {
                    v
                } else {
                    v * (1.0 + 0.37 * l as f64)
                }
            })
        })
        .collect();
    let agree = [
        "if(t >= 5, 1 - p, 0)",
        "if(t < 5, 1 - p, rr * 2)",
        "if(t > 20, a, if(t > 5, b * rr, c)) + 1",
        "if(zero, a, b) + if(half, c, x)",
        "a * (t > 3 and half)",
        "(zero * neg) and a",
        "zero and a",
        "(t > 3) or a",
        "zero or (t == 10)",
        "zero or zero",
        "if((t > 3) and (half or zero), min(a, b), max(a, b))",
    ];
    for src in agree {
        assert_lanes_are_evals(src, &lanes);
    }
    // Lanes that part ways are left to `eval`, lane by lane: `a` is 2 in lane 0 and above 3 from lane 2.
    for src in [
        "if(a > 3, a, b)",
        "if(t > 5, if(a > 3, a, b), c)",
        "(a > 3) and b",
        "(a > 3) or b",
    ] {
        assert!(program(src).eval_lanes_ops(&lanes).is_none(), "{src:?}");
    }
}

#[test]
fn calls_of_the_callers_functions_compile_to_the_slots_it_gives() {
    use crate::expr::{compile_with, parse_with, UserValue};
    let tables = [("qx", 2), ("cost_by_year", 1)];
    let ast = parse_with("qx(a + 1, 2) * rr + cost_by_year(7)", &tables).expect("parses");
    let mut calls = Vec::new();
    let program = compile_with(&ast, &mut slot_of, NAMES, &mut |name, args, at| {
        calls.push((
            name.to_string(),
            args.len(),
            at,
            args.iter().map(|a| a.as_constant()).collect::<Vec<_>>(),
        ));
        // The first call reads slot 0 (a), the second is a constant.
        Ok(if name == "qx" {
            UserValue::Slot(0)
        } else {
            UserValue::Constant(10.0)
        })
    })
    .expect("compiles");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "qx");
    assert_eq!(calls[0].2, (0, 12));
    assert_eq!(calls[0].3, vec![None, Some(2.0)]);
    assert_eq!(calls[1].0, "cost_by_year");
    assert_eq!(calls[1].3, vec![Some(7.0)]);
    // a · rr + 10, with a = VALUES[0] and rr its own slot.
    let rr = slot_of("rr").expect("a test name");
    assert_eq!(program.eval(VALUES), VALUES[0] * VALUES[rr] + 10.0);
    // A call with the wrong number of keys, and a misspelt table.
    let e = parse_with("qx(a)", &tables).expect_err("one key of two");
    assert!(e.message.contains("takes 2 keys, but 1 were given"), "{}", e.message);
    let e = parse_with("qz(a, b)", &tables).expect_err("no such function");
    assert!(e.message.contains("did you mean `qx`"), "{}", e.message);
}
