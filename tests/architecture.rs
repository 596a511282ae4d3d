//! The architecture the README describes, checked on the source: which top-level modules each may import (data
//! flows one way, so the table has no cycle), no source file over 800 lines, and no function over 100 lines without
//! a comment beside it saying why.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Each top-level module and the top-level modules it may import, as the README's architecture section states them.
const ALLOWED: [(&str, &[&str]); 12] = [
    ("error", &[]),
    ("dist", &[]),
    ("expr", &["error"]),
    ("scenario", &["error"]),
    ("model", &["scenario", "expr", "dist", "error"]),
    ("simulate", &["model", "expr", "dist", "error"]),
    ("analysis", &["simulate", "model", "dist", "error"]),
    ("output", &["analysis", "model", "error"]),
    (
        "commands",
        &["output", "analysis", "simulate", "model", "scenario", "error"],
    ),
    (
        "serve",
        &["commands", "output", "simulate", "model", "scenario", "error"],
    ),
    (
        "cli",
        &[
            "serve", "commands", "output", "analysis", "simulate", "model", "scenario", "error",
        ],
    ),
    (
        "lib",
        &[
            "analysis", "cli", "commands", "dist", "error", "expr", "model", "output", "scenario", "serve", "simulate",
        ],
    ),
];

/// Generated tables, exempt from the size limit.
const GENERATED: [&str; 1] = ["src/dist/ziggurat_tables.rs"];

const MAX_FILE_LINES: usize = 800;
const MAX_FUNCTION_LINES: usize = 100;

/// What a function over the limit must have in a comment just above it (or on its first lines).
const LONG_FUNCTION_MARK: &str = "Over 100 lines";

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    files.sort();
    files
}

/// The library's sources and the tests, benchmarks and examples: everything a person reads.
fn all_code() -> Vec<PathBuf> {
    let mut files = all_sources();
    for dir in ["tests", "benches", "examples"] {
        sources(Path::new(dir), &mut files);
    }
    files.sort();
    files
}

/// The top-level module a source file belongs to (`main` for the binary).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix("src").expect("under src");
    let first = rel.components().next().expect("a component");
    let name = first.as_os_str().to_string_lossy();
    name.trim_end_matches(".rs").to_string()
}

/// The top-level modules a file's code names through `crate::` (comments aside), with a line where each appears.
fn imports(text: &str) -> BTreeMap<String, usize> {
    let mut found = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                top_level_items(group)
                    .iter()
                    .map(|n| n.trim().split("::").next().unwrap_or("").to_string())
                    .collect()
            } else {
                vec![rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()]
            };
            for name in names.into_iter().filter(|n| !n.is_empty()) {
                found.entry(name).or_insert(n + 1);
            }
        }
    }
    found
}

/// The items of a `{...}` group (the text after its `{`) at its own level: `a::{b, c}, d}` gives `a::{b, c}` and `d`.
fn top_level_items(group: &str) -> Vec<String> {
    let (mut items, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items.into_iter().filter(|i| !i.trim().is_empty()).collect()
}

#[test]
fn each_module_imports_only_what_the_architecture_allows() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    let mut problems = Vec::new();
    for path in all_sources() {
        let module = module_of(&path);
        if module == "main" {
            let text = fs::read_to_string(&path).expect("readable");
            assert!(
                !text.contains("crate::"),
                "main.rs uses the library only through `carecast::`"
            );
            let used: Vec<&str> = ["carecast::cli", "carecast::"]
                .into_iter()
                .filter(|p| text.contains(p))
                .collect();
            assert!(used.contains(&"carecast::cli"), "main.rs calls the cli");
            for line in text.lines().filter(|l| l.contains("carecast::")) {
                assert!(line.contains("carecast::cli"), "main.rs reaches past the cli: {line}");
            }
            continue;
        }
        let permitted = allowed
            .get(module.as_str())
            .unwrap_or_else(|| panic!("{}: module `{module}` is not in the architecture table", path.display()));
        let text = fs::read_to_string(&path).expect("readable");
        for (name, line) in imports(&text) {
            if name != module && !permitted.contains(&name.as_str()) {
                problems.push(format!("{}:{line}: `{module}` may not import `{name}`", path.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the architecture:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_import_table_has_no_cycle() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.into_iter().collect();
    // Depth-first search from every module; a module met again on the current path is a cycle.
    fn visit<'a>(m: &'a str, allowed: &BTreeMap<&'a str, &'a [&'a str]>, path: &mut Vec<&'a str>) {
        assert!(!path.contains(&m), "cycle: {} -> {m}", path.join(" -> "));
        path.push(m);
        for next in allowed.get(m).copied().unwrap_or(&[]) {
            visit(next, allowed, path);
        }
        path.pop();
    }
    for m in allowed.keys() {
        visit(m, &allowed, &mut Vec::new());
    }
}

#[test]
fn no_source_file_is_longer_than_a_person_can_hold_in_their_head() {
    let mut long = Vec::new();
    for path in all_code() {
        let name = path.to_string_lossy().to_string();
        let lines = fs::read_to_string(&path).expect("readable").lines().count();
        if lines > MAX_FILE_LINES && !GENERATED.contains(&name.as_str()) {
            long.push(format!("{name}: {lines} lines"));
        }
    }
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The functions of a file and their lengths in lines: from the `fn` line to the closing brace rustfmt puts at the
/// same indentation. A comment with [`LONG_FUNCTION_MARK`] in the lines just above (doc comments and attributes
/// included) or in the first lines of the body excuses one.
fn long_functions(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let is_fn = trimmed.starts_with("fn ")
            || [
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "const fn ",
                "pub const fn ",
                "unsafe fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
        if !is_fn {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let closing = format!("{}}}", " ".repeat(indent));
        let Some(end) = (i + 1..lines.len()).find(|&j| lines[j] == closing) else {
            continue;
        };
        // A declaration without a body (in a trait) ends at its `;` before any closing brace.
        if lines[i..end]
            .iter()
            .any(|l| l.trim_end().ends_with(';') && !l.contains('{'))
            && !lines[i].contains('{')
        {
            let opens = lines[i..end].iter().any(|l| l.trim_end().ends_with('{'));
            if !opens {
                continue;
            }
        }
        let length = end - i + 1;
        if length <= MAX_FUNCTION_LINES {
            continue;
        }
        let mut above = i;
        while above > 0 {
            let t = lines[above - 1].trim_start();
            if t.starts_with("//") || t.starts_with("#[") {
                above -= 1;
            } else {
                break;
            }
        }
        let excused = lines[above..(i + 4).min(lines.len())]
            .iter()
            .any(|l| l.contains(LONG_FUNCTION_MARK));
        if !excused {
            found.push((i + 1, length));
        }
    }
    found
}

#[test]
fn no_function_is_over_100_lines_without_saying_why() {
    let mut long = Vec::new();
    for path in all_sources() {
        let text = fs::read_to_string(&path).expect("readable");
        for (line, length) in long_functions(&text) {
            long.push(format!("{}:{line}: {length} lines", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines with no `// {LONG_FUNCTION_MARK} ...: why` comment:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_checks_find_what_they_look_for() {
    // Imports: plain paths, groups, and comments left out.
    let found = imports(
        "use crate::model::{a, b};\nuse crate::{output, simulate::{Results, run}};\n// crate::cli\nx(crate::error::E)",
    );
    assert_eq!(
        found.keys().cloned().collect::<Vec<_>>(),
        ["error", "model", "output", "simulate"]
    );
    // A long function is found, and excused by the mark.
    let body = "    let x = 1;\n".repeat(MAX_FUNCTION_LINES);
    let long = format!("fn long() {{\n{body}}}\n");
    assert_eq!(long_functions(&long), [(1, MAX_FUNCTION_LINES + 2)]);
    let excused = format!("// {LONG_FUNCTION_MARK} on purpose: a flat table.\n{long}");
    assert!(long_functions(&excused).is_empty());
    let short = "pub fn short() {\n    1\n}\n";
    assert!(long_functions(short).is_empty());
}
