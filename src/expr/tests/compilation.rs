//! Compilation: constant folding, slot reads, instruction shapes and stack depth limits.

use super::{build, check_err, close, err, program, VALUES};
use crate::expr::instr::Instr;
use crate::expr::ops::Bin;
use crate::expr::{MAX_NESTING, MAX_STACK};

#[test]
fn folds_constants() {
    let cases: &[(&str, f64)] = &[
        ("2 * 3 + 4", 10.0),
        ("-2 ^ 2", -4.0),
        ("min(3, 1, 2) + max(1, 2)", 3.0),
        ("if(1 > 2, 10, 20)", 20.0),
        ("0 and 5", 0.0),
        ("2 and 5", 1.0),
        ("0 or 0", 0.0),
        ("not true", 0.0),
        ("clamp(5, 0, 1)", 1.0),
        ("convert_prob(0.19, 1, 0.5)", 0.1),
        ("rate_to_prob(0.1, 2) * 0", 0.0),
    ];
    for &(src, want) in cases {
        let prog = program(src);
        let got = prog.as_constant();
        assert!(got.is_some_and(|v| close(v, want)), "{src:?}: {got:?}");
        assert!(prog.reads().is_empty(), "{src:?}");
        assert_eq!(prog.code.len(), 1, "{src:?}");
    }
    // Leading constant arguments of min/max fold; later ones keep their place.
    let prog = program("min(3, 1, x, 2, 5)");
    assert_eq!(
        prog.code,
        vec![
            Instr::Const(1.0),
            Instr::BinSlot(Bin::Min, 3),
            Instr::BinConst(Bin::Min, 2.0),
            Instr::BinConst(Bin::Min, 5.0),
        ]
    );
    assert_eq!(prog.eval(VALUES), -1.0);
    // A constant that is not a finite number is refused (see `non_finite_constants_are_refused`).
    assert!(err("ln(-1)")
        .message
        .contains("is not a number (NaN) whatever the parameters"));

    // Constant operands fold even beside a variable...
    let prog = program("2 * 3 + x");
    assert_eq!(prog.as_constant(), None);
    assert_eq!(prog.code, vec![Instr::Const(6.0), Instr::AddSlot(3)]);
    assert_eq!(prog.eval(VALUES), 5.0);
    let prog = program("x * (2 + 3)");
    assert_eq!(prog.code, vec![Instr::Slot(3), Instr::MulConst(5.0)]);

    // ...but never by algebra: 0 * x stays, because x may be NaN or infinite.
    let prog = program("0 * a");
    assert_eq!(prog.as_constant(), None);
    assert_eq!(prog.reads(), &[0]);

    // Dead branches and short-circuited operands disappear, and are not read.
    let prog = program("if(1 < 2, a, b)");
    assert_eq!(prog.as_slot(), Some(0));
    assert_eq!(prog.reads(), &[0]);
    let prog = program("0 and a");
    assert_eq!(prog.as_constant(), Some(0.0));
    assert!(prog.reads().is_empty());
    let prog = program("1 or a");
    assert_eq!(prog.as_constant(), Some(1.0));
    let prog = program("1 and c");
    assert_eq!(prog.reads(), &[2]);
    assert_eq!(prog.eval(VALUES), 1.0);
    // ...but names in them are still checked.
    check_err("if(1, a, nosuch)", 9, 6, &["unknown name `nosuch`"]);
    check_err("0 and nosuch", 6, 6, &["unknown name"]);
}

#[test]
fn non_finite_constants_are_refused() {
    // (expression, offset and length of the part refused, its value as the message gives it)
    let cases: &[(&str, usize, usize, &str)] = &[
        ("1/0", 0, 3, "`1/0` is ∞ whatever the parameters"),
        ("-1/0", 0, 4, "`-1/0` is -∞"),
        ("0/0", 0, 3, "`0/0` is not a number (NaN)"),
        ("ln(0)", 0, 5, "`ln(0)` is -∞"),
        ("log10(0)", 0, 8, "`log10(0)` is -∞"),
        ("exp(1000)", 0, 9, "`exp(1000)` is ∞"),
        ("sqrt(-1)", 0, 8, "`sqrt(-1)` is not a number (NaN)"),
        ("pow(0, -1)", 0, 10, "`pow(0, -1)` is ∞"),
        // -ln(1 - 1) / 1
        ("prob_to_rate(1, 1)", 0, 18, "is ∞"),
        // Overflow of a product of two finite numbers.
        ("1e308 * 10", 0, 10, "`1e308 * 10` is ∞"),
        // Inside a larger expression with names: the smallest part that is not finite.
        ("a * (2 + 1/0)", 9, 3, "`1/0` is ∞"),
        ("max(t, 2 * exp(1000))", 11, 9, "`exp(1000)` is ∞"),
        // Even in a branch the condition would not take.
        ("if(a > 1, 2, ln(0))", 13, 5, "`ln(0)` is -∞"),
        ("if(1, 2, ln(0))", 9, 5, "`ln(0)` is -∞"),
    ];
    for &(src, offset, len, message) in cases {
        check_err(
            src,
            offset,
            len,
            &[message, "every step of an expression must give a finite number"],
        );
    }
    // Finite folds are kept: e^-1000 underflows to 0, and the rest are ordinary numbers.
    for (src, want) in [
        ("exp(-1000)", 0.0),
        ("min(2, 3)", 2.0),
        ("sqrt(0)", 0.0),
        ("1e308 * 1", 1e308),
        ("0 * exp(700)", 0.0),
    ] {
        assert_eq!(program(src).as_constant(), Some(want), "{src:?}");
    }
    // A part that reads a name is left to run time, where it may or may not be finite.
    assert_eq!(program("1 / zero").eval(VALUES), f64::INFINITY);
}

#[test]
fn reads_are_sorted_and_distinct() {
    let prog = program("c + a * b - a + c / b");
    assert_eq!(prog.reads(), &[0, 1, 2]);
    let prog = program("if(t > 1, rr, p) + rr");
    assert_eq!(prog.reads(), &[6, 7, 8]);
    assert_eq!(program("min(x, x, x)").reads(), &[3]);
}

#[test]
fn hot_path_code_is_compact() {
    // Guards the shape that makes the motivating example fast: 7 instructions, one push.
    let prog = program("p * rr ^ (t / 5) + max(a, b)");
    assert_eq!(
        prog.code,
        vec![
            Instr::Slot(6),
            Instr::DivConst(5.0),
            Instr::SlotBin(Bin::Pow, 8),
            Instr::MulSlot(7),
            Instr::Slot(0),
            Instr::BinSlot(Bin::Max, 1),
            Instr::Add,
        ]
    );
    assert_eq!(prog.reads(), &[0, 1, 6, 7, 8]);
}

#[test]
fn stack_is_kept_shallow() {
    // The right side needs two values and the left one, so the right goes first and
    // the whole expression fits in two; left-first would need three.
    let src = "(a + b) - ((a - c) / (b - t))";
    let prog = program(src);
    assert_eq!(prog.depth, 2);
    assert_eq!(prog.code.last(), Some(&Instr::SubSwapped));
    assert_eq!(prog.eval(VALUES), 5.0 - (-2.0 / -7.0));
    let prog = program("((a + b) - (a - c)) / ((c - t) * (c + t))");
    assert_eq!(prog.depth, 3);
    assert_eq!(prog.eval(VALUES), 7.0 / -84.0);
}

#[test]
fn nesting_limits() {
    // The evaluation stack. Binary operations take leaf operands from the instruction
    // and evaluate the hungrier side first, so only the fixed-order three-argument
    // functions can use it up with a small expression: each `clamp(a, <inner>, c)`
    // level holds `a` while its inner call runs, and the innermost needs 3 values.
    let nested = |levels: usize| {
        let mut s = "clamp(a, b, c)".to_string();
        for _ in 0..levels {
            s = format!("clamp(a, {s}, c)");
        }
        s
    };
    let ok = program(&nested(MAX_STACK - 3));
    assert_eq!(ok.eval(VALUES), 3.0);
    let src = nested(MAX_STACK - 2);
    let e = err(&src);
    assert!(e.message.contains("nested too deeply"), "{}", e.message);
    assert!(e.offset < src.len());
    // Right-nested arithmetic, by contrast, runs in constant stack.
    let mut deep_sum = "a".to_string();
    for _ in 0..40 {
        deep_sum = format!("a + ({deep_sum})");
    }
    assert_eq!(program(&deep_sum).eval(VALUES), 82.0);

    // The parser: hostile input must produce an error, not overflow the thread stack.
    let n = 100_000;
    let hostile = [
        format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}1", "-".repeat(n)),
        format!("{}1", "not ".repeat(n)),
        format!("2{}", "^2".repeat(n)),
        format!("1{}", "+1".repeat(n)),
        format!("{}1{}", "max(1,".repeat(n), ")".repeat(n)),
        format!("{}1", "if(1,".repeat(n)),
    ];
    for src in &hostile {
        let e = err(src);
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }
    // A call's arguments are not nesting: thousands of them are fine.
    let wide = format!("max({}c)", "a, ".repeat(10_000));
    assert_eq!(program(&wide).eval(VALUES), 4.0);
    // A flat chain is one tree level per operator: fine up to the limit, an error beyond.
    let sum = format!("a{}", " + a".repeat(MAX_NESTING - 1));
    assert_eq!(program(&sum).eval(VALUES), 2.0 * MAX_NESTING as f64);
    let sum = format!("a{}", " + a".repeat(MAX_NESTING));
    assert!(err(&sum).message.contains("nested too deeply"));
}

#[test]
fn the_deepest_expressions_accepted_compile_on_a_small_stack() {
    // Every recursion over an expression (parsing, listing its names, lowering, stack need, code generation,
    // dropping the tree) is as deep as the tree, which MAX_NESTING bounds: the deepest expression of each shape that
    // is accepted compiles on a thread with a quarter of a test thread's usual 2 MiB of stack, and one level more is
    // refused.
    let shapes: [fn(usize) -> String; 7] = [
        |k| format!("{}a{}", "(".repeat(k), ")".repeat(k)),
        |k| format!("{}a", "-".repeat(k)),
        |k| format!("a{}", "^a".repeat(k)),
        |k| format!("{}a{}", "abs(".repeat(k), ")".repeat(k)),
        |k| format!("{}a{}", "if(a, b, ".repeat(k), ")".repeat(k)),
        |k| format!("{}a{}", "(a - c) * (".repeat(k), ")".repeat(k)),
        |k| format!("a{}", " + a".repeat(k)),
    ];
    let small = std::thread::Builder::new().stack_size(512 * 1024);
    let checked = small.spawn(move || {
        for shape in shapes {
            let deepest = (1..=2 * MAX_NESTING)
                .rev()
                .find(|&k| build(&shape(k)).is_ok())
                .expect("a shallow one compiles");
            // A repetition counts one to three levels: a group counts two, itself and the expression inside it.
            assert!(deepest >= MAX_NESTING / 3 - 1, "{}: only {deepest} deep", shape(1));
            let e = err(&shape(deepest + 1));
            assert!(e.message.contains("nested too deeply"), "{}: {}", shape(1), e.message);
        }
    });
    checked.expect("a thread starts").join().expect("no overflow");
}
