//! Input that crashed carecast or got a misleading answer, and must now get a clear one: definitions chained or in a
//! cycle as long as the file, expressions nested 10,000 deep, errors inside multi-line strings and after escapes,
//! and parts of expressions that are not a finite number whatever the parameters. Each goes through the library and
//! through `carecast check`, where the main thread's stack is the one a deep recursion would overflow.
//!
//! Every scenario is [`LAYOUT`] with line 15 (`y = 2`) replaced, so positions are worked out from that line.

mod common;

use common::{carecast, compile_error, model, tempdir};
use std::fs;

/// A scenario that compiles; `y`, defined on line 15, is read by the council cost on line 19.
const LAYOUT: &str = r#"[scenario]
name = "test"
[settings]
horizon_years = 2
cycle = "year"
iterations = 1
seed = 1
mode = "cohort"
accrual = "start"
discounting = "discrete"
discount_rate_costs = 0.0
discount_rate_outcomes = 0.0
[parameters]
x = 1
y = 2
[[states]]
name = "well"
per = "year"
costs = { council = "x + y" }
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
[cohort]
size = 10
"#;

/// [`LAYOUT`] with line 15 (`y = 2`) replaced by `lines` (one or more lines).
fn with_y(lines: &str) -> String {
    assert!(LAYOUT.lines().nth(14) == Some("y = 2"));
    LAYOUT.replacen("y = 2\n", &format!("{lines}\n"), 1)
}

/// `y = "p0"` and `n` parameters `p0`, `p1`, ... on lines 16 onwards, each defined by the next and the last by `last`.
fn chain(n: usize, last: &str) -> String {
    let mut lines = vec!["y = \"p0\"".to_string()];
    lines.extend((0..n - 1).map(|i| format!("p{i} = \"p{} + 1\"", i + 1)));
    lines.push(format!("p{} = {last}", n - 1));
    with_y(&lines.join("\n"))
}

/// What `carecast check` says of scenario text: its exit code, standard output and standard error.
fn check(text: &str) -> (Option<i32>, String, String) {
    let dir = tempdir();
    let path = dir.path().join("robust.toml");
    fs::write(&path, text).expect("writes the scenario");
    let output = carecast().arg("check").arg(&path).output().expect("runs carecast");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), stdout, stderr)
}

/// `carecast check` refuses the text with exit code 2 and an error that starts with `start` (after the file name).
fn assert_check_refuses(text: &str, start: &str) -> String {
    let (code, _, stderr) = check(text);
    assert_eq!(code, Some(2), "{}", stderr.chars().take(2000).collect::<String>());
    let expected = format!("robust.toml:{start}");
    assert!(
        stderr.contains(&expected) && !stderr.contains("panicked") && !stderr.contains("overflow"),
        "expected {expected:?} in:\n{}",
        stderr.chars().take(2000).collect::<String>()
    );
    stderr
}

/// The library refuses the text with an error that starts with `start` (after the file name).
fn assert_compile_refuses(text: &str, start: &str) -> String {
    let e = compile_error(text);
    assert!(
        e.starts_with(&format!("error: test.toml:{start}")),
        "expected test.toml:{start} in:\n{}",
        e.chars().take(2000).collect::<String>()
    );
    e
}

// Definitions as deep as the file.

#[test]
fn a_chain_of_definitions_as_long_as_the_file_compiles() {
    for n in [10_000, 100_000] {
        let text = chain(n, "1");
        // y = p0 = n - 1 + p(n-1) = n: the cost reads x + y = n + 1, a constant.
        let m = model(&text);
        assert_eq!(m.parameters.len(), n + 2, "x, y and p0 to p{}", n - 1);
        let (code, stdout, stderr) = check(&text);
        assert_eq!(code, Some(0), "{n}: {}", stderr.chars().take(2000).collect::<String>());
        // With thousands separators: "10,002 parameters".
        let grouped = format!("{},{:03}", (n + 2) / 1000, (n + 2) % 1000);
        assert!(stdout.contains(&format!("{grouped} parameters")), "{stdout}");
    }
}

#[test]
fn a_chain_of_definitions_reports_a_mistake_at_its_far_end() {
    // The last of 10,000 reads a name nothing defines: p9999 is on line 16 + 9999 = 10015, its `nosuch` at column 10.
    let text = chain(10_000, "\"nosuch\"");
    let message = "10015:10: field `parameters.p9999`: unknown name `nosuch`";
    assert_compile_refuses(&text, message);
    assert_check_refuses(&text, message);
}

#[test]
fn a_long_cycle_of_definitions_is_named_and_located() {
    for n in [10_000, 100_000] {
        // p0 reads p1, ..., p(n-1) reads p0; the council cost reads y, which reads p0, so the walk enters the cycle
        // at p0, whose definition is on line 16: `p0 = "p1"`, the expression's first character at column 7.
        let text = chain(n, "\"p0\"");
        let text = text.replace("p0 = \"p1 + 1\"", "p0 = \"p1\"");
        let start = format!(
            "16:7: field `parameters.p0`: parameters depend on each other in a cycle of {n} parameters: \
             p0 → p1 → p2 → p3 → p4 → … → p{} → p{} → p0",
            n - 2,
            n - 1
        );
        assert_compile_refuses(&text, &start);
        assert_check_refuses(&text, &start);
    }
}

#[test]
fn a_short_cycle_is_named_in_full() {
    let text = with_y("y = \"p0\"\np0 = \"p1 * 2\"\np1 = \"p2\"\np2 = \"1 + p0\"");
    assert_compile_refuses(
        &text,
        "16:7: field `parameters.p0`: parameters depend on each other in a cycle: p0 → p1 → p2 → p0",
    );
}

// Expressions nested 10,000 deep stop at MAX_NESTING, with a position.

#[test]
fn deeply_nested_expressions_are_refused_with_a_position() {
    let n = 10_000;
    // `y = "` is 5 characters, so the expression's byte k is at column 6 + k. The parser counts a level for each
    // '(' and for the expression inside it, each prefix operator and each '^'; a level past 128 is refused where
    // the parser is: the 65th '(' (byte 64), the 128th '-' (byte 127), the 128th '^' (byte 255), the 65th `abs`
    // (byte 256). A flat sum is refused as a whole once its tree is 128 levels high, at its start.
    let cases = [
        ("(".repeat(n) + "1" + &")".repeat(n), 6 + 64),
        ("-".repeat(n) + "1", 6 + 127),
        (vec!["1"; n].join("^"), 6 + 255),
        ("abs(".repeat(n) + "1" + &")".repeat(n), 6 + 256),
        (vec!["x"; 100_000].join(" + "), 6),
    ];
    for (expression, column) in cases {
        let text = with_y(&format!("y = \"{expression}\""));
        let start = format!(
            "15:{column}: field `parameters.y`: expression nested too deeply; split it into intermediate parameters"
        );
        assert_compile_refuses(&text, &start);
        assert_check_refuses(&text, &start);
    }
    // A call with 100,000 arguments is flat, and compiles: min(x, ..., x) = 1.
    let text = with_y(&format!("y = \"min({})\"", vec!["x"; 100_000].join(", ")));
    model(&text);
}

#[test]
fn deeply_nested_toml_is_refused() {
    let n = 10_000;
    let text = with_y(&format!("y = 2\nq = {}1{}", "[".repeat(n), "]".repeat(n)));
    assert_check_refuses(&text, "16:");
}

// Errors inside multi-line strings and after escapes are placed where they are written.

#[test]
fn errors_in_multi_line_basic_strings_are_on_their_own_line() {
    // The newline after the opening quotes is not part of the value: `x + nosuch` starts line 16.
    assert_compile_refuses(
        &with_y("y = \"\"\"\nx + nosuch\"\"\""),
        "16:5: field `parameters.y`: unknown name `nosuch`",
    );
    assert_compile_refuses(
        &with_y("y = \"\"\"\nnosuch\"\"\""),
        "16:1: field `parameters.y`: unknown name `nosuch`",
    );
    // A syntax error at the start of line 17.
    assert_compile_refuses(
        &with_y("y = \"\"\"\nx +\n* 2\"\"\""),
        "17:1: field `parameters.y`: expected a number, name or '(' after '+', found '*'",
    );
    // Line-ending backslashes join the lines and drop the indentation: `nosuch` is on line 17 at column 5.
    assert_check_refuses(
        &with_y("y = \"\"\"\\\n    x + \\\n    nosuch\"\"\""),
        "17:5: field `parameters.y`: unknown name `nosuch`",
    );
    // With \r\n line endings.
    assert_compile_refuses(
        &with_y("y = \"\"\"\r\nx + \\\r\n  nosuch\"\"\""),
        "17:3: field `parameters.y`: unknown name `nosuch`",
    );
    // A cycle points at the expression's first character, on the line after the quotes.
    assert_compile_refuses(
        &with_y("y = \"\"\"\ny + 1\"\"\""),
        "16:1: field `parameters.y`: parameters depend on each other in a cycle: y → y",
    );
}

#[test]
fn errors_in_literal_strings_are_where_they_are_written() {
    assert_compile_refuses(
        &with_y("y = '''\nx + nosuch'''"),
        "16:5: field `parameters.y`: unknown name `nosuch`",
    );
    // A backslash ends no line in a literal string: it is in the expression, at line 16 column 3.
    assert_compile_refuses(
        &with_y("y = '''\nx \\\n+ 1'''"),
        "16:3: field `parameters.y`: unexpected character '\\\\'",
    );
    assert_compile_refuses(
        &with_y("y = 'x + nosuch'"),
        "15:10: field `parameters.y`: unknown name `nosuch`",
    );
}

#[test]
fn errors_after_escapes_are_past_them() {
    // `y = "` is 5 characters; each escape is one character of the value written as 2, 6 or 10.
    // \u0078 is `x` (columns 6-11), so `nosuch` starts at column 15.
    assert_compile_refuses(
        &with_y(r#"y = "\u0078 + nosuch""#),
        "15:15: field `parameters.y`: unknown name `nosuch`",
    );
    // x at 6, \t at 7-8, `nosuch` at 9 (value byte 2).
    assert_compile_refuses(
        &with_y(r#"y = "x\tnosuch""#),
        "15:9: field `parameters.y`: expected an operator or the end of the expression, found name `nosuch`",
    );
    // x 6, \n 7-8, + 9, \n 10-11, `nosuch` 12.
    assert_compile_refuses(
        &with_y(r#"y = "x\n+\nnosuch""#),
        "15:12: field `parameters.y`: unknown name `nosuch`",
    );
    // An escaped character the expression refuses is pointed at as a whole escape: x 6-11, ' + ' 12-14, é 15-20.
    let e = assert_compile_refuses(
        &with_y(r#"y = "\u0078 + \u00e9""#),
        "15:15: field `parameters.y`: unexpected character 'é'",
    );
    assert!(e.ends_with(&format!("\n   | {}^^^^^^", " ".repeat(14))), "{e}");
    // x 6, \t 7-8, + 9, space 10, 😀 written as \U0001F600 at 11-20.
    assert_compile_refuses(
        &with_y(r#"y = "x\t+ \U0001F600""#),
        "15:11: field `parameters.y`: unexpected character '😀'",
    );
    // A backslash written as \\ is the character the expression refuses: columns 10-11.
    assert_compile_refuses(
        &with_y(r#"y = "x + \\""#),
        "15:10: field `parameters.y`: unexpected character '\\\\'",
    );
}

#[test]
fn errors_in_costs_and_expression_tables_are_placed_too() {
    // A state's cost (line 19): `costs = { council = "` is 21 characters; \t is one character written as two.
    let text = LAYOUT.replace(
        r#"costs = { council = "x + y" }"#,
        r#"costs = { council = "x +\tnosuch" }"#,
    );
    assert_compile_refuses(&text, "19:27: field `states[0].costs.council`: unknown name `nosuch`");
    // An expression parameter written as a table: `y = { expr = """` then a newline; `nosuch` on line 16.
    assert_compile_refuses(
        &with_y("y = { expr = \"\"\"\nx * nosuch\"\"\", unit = \"£\" }"),
        "16:5: field `parameters.y.expr`: unknown name `nosuch`",
    );
}

// Parts of expressions that are not a finite number whatever the parameters are refused when the file is read.

#[test]
fn constants_that_are_not_finite_are_refused_at_load_time() {
    let tail = "whatever the parameters; every step of an expression must give a finite number";
    let cases = [
        // (y's expression, column of the part refused, the part and its value)
        ("1/0", 6, "`1/0` is ∞"),
        ("ln(0)", 6, "`ln(0)` is -∞"),
        ("exp(1000)", 6, "`exp(1000)` is ∞"),
        ("sqrt(-1)", 6, "`sqrt(-1)` is not a number (NaN)"),
        // Nested in a larger expression with parameters: `ln(0)` is bytes 9-13.
        ("x * (2 + ln(0))", 6 + 9, "`ln(0)` is -∞"),
        ("max(x, 1 / (1 - 1))", 6 + 7, "`1 / (1 - 1)` is ∞"),
    ];
    for (expression, column, part) in cases {
        let text = with_y(&format!("y = \"{expression}\""));
        let start = format!("15:{column}: field `parameters.y`: {part} {tail}");
        assert_compile_refuses(&text, &start);
        assert_check_refuses(&text, &start);
    }
    // In a state's cost (line 19): `costs = { council = "` is 21 characters, `exp(1000)` starts at byte 4.
    let text = LAYOUT.replace(r#""x + y" }"#, r#""x + exp(1000) * y" }"#);
    assert_check_refuses(
        &text,
        &format!("19:26: field `states[0].costs.council`: `exp(1000)` is ∞ {tail}"),
    );
    // In a multi-line string, on the line it is written on.
    assert_compile_refuses(
        &with_y("y = \"\"\"\nx +\n  0/0\"\"\""),
        &format!("17:3: field `parameters.y`: `0/0` is not a number (NaN) {tail}"),
    );
}

#[test]
fn finite_constants_are_accepted() {
    // e^-1000 underflows to 0, a finite number; the others are ordinary.
    for expression in ["exp(-1000)", "min(2, 3)", "x * exp(-1000)", "1e308 * 1", "ln(1e-300)"] {
        let text = with_y(&format!("y = \"{expression}\""));
        model(&text);
        let (code, _, stderr) = check(&text);
        assert_eq!(code, Some(0), "{expression}: {stderr}");
    }
}
