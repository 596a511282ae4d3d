//! Parse and compile errors: their wording and location, and the names and spans a parsed tree reports.

use super::{check_err, err, program, VALUES};
use crate::expr::{parse, parse_and_compile, ExprError};

#[test]
fn names_in_order_with_offsets() {
    let ast = parse("p_admit * rr ^ (t / 5) + max(a, 2)").expect("parses");
    assert_eq!(ast.names(), vec![("p_admit", 0), ("rr", 10), ("t", 16), ("a", 29)]);
    let ast = parse("x + x*(x)").expect("parses");
    assert_eq!(ast.names(), vec![("x", 0), ("x", 4), ("x", 7)]);
    // Keywords, constants and function names are not names.
    let ast = parse("if(true and not y, ln(z), false)").expect("parses");
    assert_eq!(ast.names(), vec![("y", 16), ("z", 22)]);
    assert_eq!(ast.span(), (0, 32));
    // Spans cover whole operands, parentheses included.
    assert_eq!(parse("(a + b) * c").expect("parses").span(), (0, 11));
    assert_eq!(parse(" c * (a + b) ").expect("parses").span(), (1, 11));
    assert_eq!(parse("-(a)^2").expect("parses").span(), (0, 6));
    assert!(parse("1 + 2").expect("parses").names().is_empty());
}

#[test]
fn unknown_names_and_functions() {
    check_err("p_hom + 1", 0, 5, &["unknown name `p_hom`; did you mean `p_home`?"]);
    check_err("2 * P_HOME", 4, 6, &["did you mean `p_home`?"]);
    let e = err("a + zzz");
    assert_eq!((e.offset, e.len), (4, 3));
    assert_eq!(e.message, "unknown name `zzz`");
    // A one-letter name is not "close" to every other one-letter name.
    assert!(!err("y").message.contains("did you mean"));
    check_err("exp + 1", 0, 3, &["`exp` is a function"]);
    check_err("a + mx(a, b)", 4, 2, &["unknown function `mx`; did you mean `max`?"]);
    check_err("sqr(a)", 0, 3, &["did you mean `sqrt`?"]);
    check_err("rate_to_probability(a, b)", 0, 19, &["unknown function"]);
    check_err("foo(1)", 0, 3, &["unknown function `foo`", "clamp"]);
    check_err("1 + log(a)", 4, 3, &["`log`", "`ln`", "`log10`"]);
    check_err("log", 0, 3, &["`ln(x)`", "`log10(x)`"]);
    // Known to the caller but refused by its resolver.
    let e = parse_and_compile("a + b", &mut |n| (n == "a").then_some(0), &["a", "b"]);
    assert_eq!(
        e.map_err(|e| (e.message, e.offset)),
        Err(("`b` cannot be used in this expression".to_string(), 4))
    );
}

#[test]
fn wrong_arity() {
    check_err("exp(a, b)", 0, 3, &["`exp` takes 1 argument, but 2 were given"]);
    check_err("1 + min(a)", 4, 3, &["at least 2 arguments", "1 was given"]);
    check_err("max()", 0, 3, &["at least 2", "0 were given"]);
    check_err("if(a, b)", 0, 2, &["`if` takes 3 arguments", "value_if_false"]);
    check_err("clamp(a, b)", 0, 5, &["clamp(x, lo, hi)"]);
    check_err("convert_prob(p, 1)", 0, 12, &["3 arguments"]);
    check_err("pow(2)", 0, 3, &["2 arguments"]);
}

#[test]
fn syntax_errors() {
    check_err("", 0, 0, &["empty expression"]);
    check_err("   ", 0, 0, &["empty expression"]);
    check_err("a < b < c", 6, 1, &["cannot be chained", "'and'", "a < b and b < c"]);
    check_err("a == b != c", 7, 2, &["cannot be chained"]);
    check_err("a + 1 >= b - 1 <= c", 15, 2, &["cannot be chained"]);
    check_err("(a + b", 0, 1, &["unclosed '('"]);
    check_err("a * ((b + c) * 2", 4, 1, &["unclosed '('"]);
    check_err("max(a, b", 3, 1, &["unclosed '('", "`max`"]);
    check_err("(a b)", 3, 1, &["expected an operator or ')'", "name `b`"]);
    check_err("max(a b)", 6, 1, &["expected ',' or ')' in the call to `max`"]);
    check_err("a + b)", 5, 1, &["unmatched ')'"]);
    check_err(
        "a b",
        2,
        1,
        &["expected an operator or the end of the expression, found name `b`"],
    );
    check_err("1 2", 2, 1, &["found number `2`"]);
    check_err(
        "a * ",
        4,
        0,
        &["unexpected end of input: expected a number, name or '(' after '*'"],
    );
    check_err("a * )", 4, 1, &["expected a number, name or '(' after '*', found ')'"]);
    check_err("()", 1, 1, &["after '(', found ')'"]);
    check_err("max(a,)", 6, 1, &["after ','"]);
    check_err("* a", 0, 1, &["expected a number, name or '(', found '*'"]);
    check_err("and", 0, 3, &["found 'and'"]);
    check_err("a + or", 4, 2, &["after '+', found 'or'"]);
    check_err("if a", 3, 1, &["expected '(' after 'if'"]);
    check_err("if", 2, 0, &["expected '(' after 'if', found end of input"]);
    check_err("a = b", 2, 1, &["'=='"]);
    check_err("a & b", 2, 1, &["'&&'"]);
    check_err("a | b", 2, 1, &["'||'"]);
    check_err("a ** 2", 2, 2, &["'^'"]);
}

#[test]
fn bad_numbers() {
    check_err("1e", 0, 2, &["invalid number `1e`", "exponent"]);
    check_err("a + 1e+", 4, 3, &["invalid number `1e+`"]);
    check_err("2.5E-x", 0, 5, &["invalid number"]);
    check_err("1. + a", 0, 2, &["invalid number `1.`", "decimal point"]);
    check_err("1.5.2", 0, 4, &["more than one '.'"]);
    check_err("1__000", 0, 6, &["'_'"]);
    check_err("1000_", 0, 5, &["'_'"]);
    check_err("1_.5", 0, 4, &["'_'"]);
    check_err("1e_5", 0, 4, &["'_'"]);
    check_err("2x + 1", 0, 2, &["write `2 * x`"]);
    check_err("1e999", 0, 5, &["too large"]);
}

#[test]
fn unexpected_characters_including_multibyte() {
    check_err("£5 + a", 0, 2, &["unexpected character '£'"]);
    check_err("a × b", 2, 2, &["unexpected character '×'", "'*'"]);
    check_err("a + é", 4, 2, &["unexpected character 'é'"]);
    check_err("a − b", 2, 3, &["'-'"]);
    check_err("ab😀", 2, 4, &["unexpected character"]);
    check_err("5%", 1, 1, &["0.05"]);
    check_err("a $ b", 2, 1, &["unexpected character '$'"]);
    check_err("a\u{0}", 1, 1, &["unexpected character"]);
    // Non-ASCII whitespace is still whitespace.
    assert_eq!(program("a\u{00a0}+\tb\n").eval(VALUES), 5.0);
}

#[test]
fn errors_display_and_snippet() {
    let src = "p * £";
    let e = err(src);
    assert_eq!(e.to_string(), e.message);
    assert_eq!(e.snippet(src), "p * £\n    ^");
    let src = "a +\n  mx(a, b)";
    let e = err(src);
    assert_eq!(e.snippet(src), "  mx(a, b)\n  ^^");
    // Garbage offsets do not panic.
    let odd = ExprError::new("x", 99, 5);
    let _ = odd.snippet("£");
    let odd = ExprError::new("x", 1, 1);
    let _ = odd.snippet("£");
}
