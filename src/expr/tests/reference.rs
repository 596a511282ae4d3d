//! An independent tree-walking evaluator, and checks that compiled programs agree with it, on chosen and random input.

use super::{build, program, same, slot_of, NAMES, VALUES};
use crate::expr::ast::{Kind, Node};
use crate::expr::functions::Func;
use crate::expr::ops::Bin;
use crate::expr::{compile, parse};

/// Reference semantics: a direct tree-walking evaluator, written independently of the
/// compiler, lowering and stack machine (only the textbook formulas are shared).
pub(super) fn walk(node: &Node, slots: &[f64]) -> f64 {
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    let nan_aware = |a: f64, c: f64, pick_a: bool| {
        if a.is_nan() || c.is_nan() {
            f64::NAN
        } else if pick_a {
            a
        } else {
            c
        }
    };
    match &node.kind {
        Kind::Num(v) => *v,
        Kind::Name(n) => slots[slot_of(n).expect("test name")],
        Kind::Neg(x) => -walk(x, slots),
        Kind::Not(x) => b(walk(x, slots) == 0.0),
        Kind::And(l, r) => b(walk(l, slots) != 0.0 && walk(r, slots) != 0.0),
        Kind::Or(l, r) => b(walk(l, slots) != 0.0 || walk(r, slots) != 0.0),
        Kind::Binary(op, l, r) => {
            let (x, y) = (walk(l, slots), walk(r, slots));
            match op {
                Bin::Add => x + y,
                Bin::Sub => x - y,
                Bin::Mul => x * y,
                Bin::Div => x / y,
                Bin::Pow => x.powf(y),
                Bin::Lt => b(x < y),
                Bin::Le => b(x <= y),
                Bin::Gt => b(x > y),
                Bin::Ge => b(x >= y),
                Bin::Eq => b(x == y),
                Bin::Ne => b(x != y),
                other => panic!("{other:?} is not an infix operator"),
            }
        }
        Kind::Call(f, args) => {
            let v: Vec<f64> = match f {
                // Lazy: evaluate the condition only, then one branch.
                Func::If => {
                    return if walk(&args[0], slots) != 0.0 {
                        walk(&args[1], slots)
                    } else {
                        walk(&args[2], slots)
                    }
                }
                _ => args.iter().map(|a| walk(a, slots)).collect(),
            };
            match f {
                Func::Min => v[1..].iter().fold(v[0], |m, &y| nan_aware(m, y, m <= y)),
                Func::Max => v[1..].iter().fold(v[0], |m, &y| nan_aware(m, y, m >= y)),
                Func::Exp => v[0].exp(),
                Func::Ln => v[0].ln(),
                Func::Log10 => v[0].log10(),
                Func::Sqrt => v[0].sqrt(),
                Func::Abs => v[0].abs(),
                Func::Floor => v[0].floor(),
                Func::Ceil => v[0].ceil(),
                Func::Round => v[0].round(),
                Func::Pow => v[0].powf(v[1]),
                Func::Clamp => {
                    let (x, lo, hi) = (v[0], v[1], v[2]);
                    if x.is_nan() || lo.is_nan() || hi.is_nan() || lo > hi {
                        f64::NAN
                    } else {
                        x.max(lo).min(hi)
                    }
                }
                Func::RateToProb => -(-v[0] * v[1]).exp_m1(),
                Func::ProbToRate => -(-v[0]).ln_1p() / v[1],
                Func::ConvertProb => -((v[2] / v[1]) * (-v[0]).ln_1p()).exp_m1(),
                Func::If => unreachable!(),
            }
        }
        Kind::Table(name, _) => panic!("the reference evaluator has no table `{name}`"),
    }
}

#[test]
fn every_operand_form_agrees_with_the_reference() {
    // Each operator with leaf/compound operands on either side, in both stack orders.
    let shapes: &[(&str, &str)] = &[
        ("b", "c"),
        ("b", "2.5"),
        ("2.5", "b"),
        ("(a + b)", "(c * a)"),
        ("(c * a)", "(t - (b * (a - c)))"),
        ("(t - (b * (a - c)))", "(c * a)"),
        ("neg", "(a - c)"),
        ("(a - c)", "neg"),
    ];
    let ops = ["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or"];
    let funcs = ["min", "max", "pow", "rate_to_prob", "prob_to_rate"];
    for &(l, r) in shapes {
        let srcs = ops
            .iter()
            .map(|op| format!("{l} {op} {r}"))
            .chain(funcs.iter().map(|f| format!("{f}({l}, {r})")));
        for src in srcs {
            let ast = parse(&src).expect("parses");
            let want = walk(&ast.root, VALUES);
            let got = program(&src).eval(VALUES);
            assert!(same(got, want), "{src:?}: compiled {got}, reference {want}");
        }
    }
}

/// A tiny deterministic generator (SplitMix64), so the test needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.below(items.len())]
    }
}

/// Renders a random expression of at most `depth` levels, parenthesising operands at
/// random so that both explicit grouping and the precedence rules get exercised.
fn random_expr(rng: &mut Rng, depth: usize) -> String {
    const LITERALS: &[&str] = &["0", "1", "2", "0.5", "3", "true", "false", "1e-2", "-1"];
    const BINARY: &[&str] = &[
        "+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or", "&&", "||",
    ];
    const UNARY: &[&str] = &["-", "+", "not ", "!"];
    const FUNCS: &[(&str, usize)] = &[
        ("min", 2),
        ("min", 3),
        ("max", 2),
        ("max", 4),
        ("exp", 1),
        ("ln", 1),
        ("log10", 1),
        ("sqrt", 1),
        ("abs", 1),
        ("floor", 1),
        ("ceil", 1),
        ("round", 1),
        ("pow", 2),
        ("clamp", 3),
        ("if", 3),
        ("rate_to_prob", 2),
        ("prob_to_rate", 2),
        ("convert_prob", 3),
    ];
    let operand = |rng: &mut Rng| {
        let e = random_expr(rng, depth - 1);
        if rng.below(2) == 0 {
            format!("({e})")
        } else {
            e
        }
    };
    if depth == 0 || rng.below(4) == 0 {
        return if rng.below(2) == 0 {
            rng.pick(LITERALS).to_string()
        } else {
            rng.pick(NAMES).to_string()
        };
    }
    match rng.below(3) {
        0 => {
            let op = rng.pick(UNARY);
            format!("{op}{}", operand(rng))
        }
        1 => {
            let op = rng.pick(BINARY);
            let (l, r) = (operand(rng), operand(rng));
            format!("{l} {op} {r}")
        }
        _ => {
            let (name, arity) = FUNCS[rng.below(FUNCS.len())];
            let args: Vec<String> = (0..arity).map(|_| random_expr(rng, depth - 1)).collect();
            format!("{name}({})", args.join(", "))
        }
    }
}

#[test]
fn compiled_programs_match_a_tree_walking_evaluator() {
    let mut rng = Rng(0x5EED_CA5E);
    let pool = [0.0, 1.0, -1.0, 0.5, 2.0, -0.25, 3.0, 1e-3, 10.0];
    let (mut checked, mut rejected, mut refused) = (0, 0, 0);
    for case in 0..20_000 {
        let src = random_expr(&mut rng, 1 + case % 5);
        let ast = match parse(&src) {
            Ok(ast) => ast,
            // Unparenthesised random comparisons can chain, which is rightly rejected.
            Err(e) if e.message.contains("chained") => {
                rejected += 1;
                continue;
            }
            Err(e) => panic!("{src:?}: {e}"),
        };
        let prog = match compile(&ast, &mut slot_of, NAMES) {
            Ok(prog) => prog,
            // A part whose value needs no name (`ln(0)`, `1 / 0`, `(2 or a) / 0`) and is not finite is rightly
            // refused: check with the tree-walker that the part alone is not finite, whatever the names hold.
            Err(e) if e.message.contains("whatever the parameters") => {
                let part = &src[e.offset..e.offset + e.len];
                let alone = parse(part).unwrap_or_else(|e| panic!("{src:?}: refused {part:?}, which fails: {e}"));
                for _ in 0..3 {
                    let slots: Vec<f64> = NAMES.iter().map(|_| pool[rng.below(pool.len())]).collect();
                    let value = walk(&alone.root, &slots);
                    assert!(
                        !value.is_finite(),
                        "{src:?}: refused {part:?}, which is {value} with {slots:?}"
                    );
                }
                refused += 1;
                continue;
            }
            Err(e) => panic!("{src:?}: {e}"),
        };
        for _ in 0..3 {
            let slots: Vec<f64> = NAMES.iter().map(|_| pool[rng.below(pool.len())]).collect();
            let want = walk(&ast.root, &slots);
            let got = prog.eval(&slots);
            assert!(
                same(got, want),
                "{src:?} with {slots:?}: compiled {got}, tree-walker {want}\n{prog:?}"
            );
        }
        checked += 1;
    }
    assert!(
        checked > 15_000,
        "only {checked} checked, {rejected} rejected, {refused} refused"
    );
}

#[test]
fn random_strings_never_panic() {
    let mut rng = Rng(42);
    let alphabet: Vec<char> = "ab1.e_+-*/^()<>=!&|, £×\u{0}ifandornot9xE".chars().collect();
    for _ in 0..20_000 {
        let len = rng.below(16);
        let src: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
        if let Err(e) = build(&src) {
            assert!(e.offset + e.len <= src.len(), "{src:?}: {e:?}");
            assert!(src.is_char_boundary(e.offset), "{src:?}: {e:?}");
            let _ = e.snippet(&src);
        }
    }
}
