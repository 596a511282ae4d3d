//! No input makes carecast panic: mutated scenario files must load into a model or give an error, and a model that
//! loads must run (a few iterations) to results or an error.
//!
//! CI runs 5,000 cases per scenario (about 3 seconds) from a fixed seed. For a longer search set PROPTEST_CASES:
//! `PROPTEST_CASES=50000 cargo test --release --test fuzz` took 19 s on the 2-core development machine. Runs with
//! random seeds (240,000 cases) found one hang, a gamma of shape 4e57 whose quantile never converged; such shapes are
//! now refused at load time (regression test in tests/cli.rs).

use carecast::model::compile_text;
use proptest::prelude::*;
use std::path::Path;

/// One edit to a scenario's text.
#[derive(Debug, Clone)]
enum Edit {
    /// Delete the character at a position (taken modulo the length).
    Delete(usize),
    /// Insert a character that matters to TOML or to expressions.
    Insert(usize, char),
    /// Delete a whole line.
    DeleteLine(usize),
    /// Duplicate a whole line.
    DuplicateLine(usize),
    /// Replace the number at a position with an extreme one.
    Number(usize, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let chars: Vec<char> = "=\"'[]{},.-+*/^()0123456789eE_ abcdrtx\n#£".chars().collect();
    let numbers = [
        "0",
        "-1",
        "1e308",
        "-1e308",
        "1e-320",
        "nan",
        "inf",
        "99999999999999999999",
        "0.5",
        "2",
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), proptest::sample::select(chars)).prop_map(|(p, c)| Edit::Insert(p, c)),
        any::<usize>().prop_map(Edit::DeleteLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), proptest::sample::select(numbers.to_vec())).prop_map(|(p, n)| Edit::Number(p, n)),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.lines().collect();
    match *edit {
        Edit::Delete(p) if !chars.is_empty() => {
            let p = p % chars.len();
            chars[..p].iter().chain(&chars[p + 1..]).collect()
        }
        Edit::Insert(p, c) => {
            let p = p % (chars.len() + 1);
            chars[..p]
                .iter()
                .chain(std::iter::once(&c))
                .chain(&chars[p..])
                .collect()
        }
        Edit::DeleteLine(l) if !lines.is_empty() => {
            let l = l % lines.len();
            lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != l)
                .map(|(_, s)| *s)
                .collect::<Vec<_>>()
                .join("\n")
        }
        Edit::DuplicateLine(l) if !lines.is_empty() => {
            let l = l % lines.len();
            let mut out: Vec<&str> = lines.clone();
            out.insert(l, lines[l]);
            out.join("\n")
        }
        Edit::Number(p, n) => {
            // Replace the run of digits nearest after position p.
            let p = p % (chars.len() + 1);
            match chars[p..].iter().position(|c| c.is_ascii_digit()) {
                Some(start) => {
                    let start = p + start;
                    let end = chars[start..]
                        .iter()
                        .position(|c| !(c.is_ascii_digit() || *c == '.'))
                        .map_or(chars.len(), |e| start + e);
                    chars[..start].iter().collect::<String>() + n + &chars[end..].iter().collect::<String>()
                }
                None => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

fn check(original: &str, edits: &[Edit]) {
    let text = edits.iter().fold(original.to_string(), |t, e| apply(&t, e));
    if let Ok(mut model) = compile_text(Path::new("fuzz.toml"), &text) {
        // A model that loads must also run; a few iterations suffice to reach every code path of the kernel.
        model.run_defaults.iterations = 3;
        if model.settings.cycles() <= 5_000 && model.cohort_size <= 10_000_000 {
            let _ = carecast::simulate::run(&model, &model.run_defaults, None);
        }
    }
}

proptest! {
    // A fixed seed keeps CI reproducible; more cases (PROPTEST_CASES) search further along the same stream.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(5000),
        rng_seed: proptest::test_runner::RngSeed::Fixed(20_261_122),
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_example_scenarios_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        check(include_str!("../scenarios/example.toml"), &edits);
    }

    #[test]
    fn mutated_reference_scenarios_never_panic(edits in proptest::collection::vec(edit(), 1..6)) {
        check(include_str!("../scenarios/reference.toml"), &edits);
    }
}
