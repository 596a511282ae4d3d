//! The bundled scenarios cite publications a reader can follow: no text a user sees points at files only the
//! maintainers have (evidence.md, its S/T numbers, the seed documents), and every `[sources]` entry other than
//! `assumption` is a full citation with a year and a title.

mod common;

use std::path::PathBuf;

/// Every bundled scenario with its parsed TOML.
fn bundled() -> Vec<(String, toml::Table)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "expected the bundled scenarios in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let table = text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, table)
        })
        .collect()
}

/// Every string value in the document with its dotted path. Comments are not values, so the maintainers' notes in
/// them are left alone; everything else may reach the report, summary.json or the workbook.
fn strings(path: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
    match value {
        toml::Value::String(s) => out.push((path.to_string(), s.clone())),
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(&format!("{path}[{i}]"), item, out);
            }
        }
        toml::Value::Table(t) => {
            for (k, v) in t {
                strings(&format!("{path}.{k}"), v, out);
            }
        }
        _ => {}
    }
}

/// Why a text points at something a reader does not have, if it does: evidence.md, a bracketed S reference such as
/// "[S41]", a reproduction-target number such as "T23", or a seed document.
fn private_reference(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    if lower.contains("evidence.md") {
        return Some("names evidence.md".into());
    }
    if lower.contains("seed 0") || lower.contains("seeds/") || lower.contains("the seed") {
        return Some("names a seed document".into());
    }
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let digits = bytes[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let after = bytes.get(i + 1 + digits);
        let after_ok = after.is_none_or(|c| !c.is_ascii_alphanumeric());
        if b == b'[' && bytes.get(i + 1) == Some(&b'S') {
            let n = bytes[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n > 0 {
                return Some(format!("cites a bracketed S reference at byte {i}"));
            }
        }
        if b == b'T' && before_ok && digits > 0 && after_ok {
            return Some(format!("cites a target number \"{}\"", &text[i..i + 1 + digits]));
        }
    }
    None
}

/// Whether a citation has a four-digit year in parentheses: "(2010)", "(2013/14)", "(c.2010)", or "(2009b)" for
/// the second of a source's publications that year.
fn has_year_in_parentheses(text: &str) -> bool {
    text.split('(').skip(1).any(|rest| {
        let rest = rest.strip_prefix("c.").unwrap_or(rest).trim_start();
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let mut after = rest.chars().skip(4);
        let next = after.next();
        let year_letter = next.is_some_and(|c| c.is_ascii_lowercase()) && after.next() == Some(')');
        digits == 4 && (year_letter || next.is_some_and(|c| matches!(c, ')' | '/' | '-' | ',')))
    })
}

#[test]
fn the_checks_catch_what_they_are_for() {
    for bad in [
        "evidence.md section 1",
        "Windle 2009 [S1]",
        "see T8 in the notes",
        "as T23 says",
        "seed 001, lines 1216-1254",
        "the seed's 'one year and three months'",
    ] {
        assert!(private_reference(bad).is_some(), "{bad}");
    }
    for good in [
        "Unit Costs of Health and Social Care 2010, Table 11.2",
        "Type 2 diabetes",
        "HM Treasury (2022) The Green Book",
        "NHS T-level",
    ] {
        assert_eq!(private_reference(good), None, "{good}");
    }
    assert!(has_year_in_parentheses("Curtis L (2010) Unit Costs"));
    assert!(has_year_in_parentheses("Social Finance (2013/14) Investing"));
    assert!(!has_year_in_parentheses("Curtis L 2010 Unit Costs"));
    assert!(has_year_in_parentheses("Tunstall (c.2010) Investing to Save"));
    assert!(has_year_in_parentheses("CSED (2009b) access management"));
    assert!(!has_year_in_parentheses("Curtis L (ed.) Unit Costs 2010"));
    assert!(!has_year_in_parentheses("Curtis L (20101) Unit Costs"));
}

#[test]
fn no_text_a_user_sees_points_at_files_the_user_does_not_have() {
    let mut problems = Vec::new();
    for (name, doc) in bundled() {
        let mut texts = Vec::new();
        for (k, v) in &doc {
            strings(k, v, &mut texts);
        }
        for (path, text) in texts {
            if let Some(why) = private_reference(&text) {
                problems.push(format!("{name} {path}: {why}: {text:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_source_is_a_full_citation_with_a_year_and_a_title() {
    let mut problems = Vec::new();
    for (name, doc) in bundled() {
        let Some(sources) = doc.get("sources").and_then(toml::Value::as_table) else {
            problems.push(format!("{name}: no [sources]"));
            continue;
        };
        for (key, value) in sources {
            if key == "assumption" {
                continue;
            }
            let text = value.as_str().unwrap_or_default();
            if !has_year_in_parentheses(text) {
                problems.push(format!("{name} sources.{key}: no year in parentheses: {text:?}"));
            }
            if text.chars().count() <= 60 {
                problems.push(format!(
                    "{name} sources.{key}: too short to name a publication: {text:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_runs_summary_points_at_nothing_the_user_does_not_have() {
    let out = common::tempdir();
    let dir = common::run_quiet(out.path(), &["scenarios/reablement.toml", "--iterations", "50"]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let mut problems = Vec::new();
    let mut stack = vec![("summary".to_string(), &summary)];
    while let Some((path, value)) = stack.pop() {
        match value {
            serde_json::Value::String(s) => {
                if let Some(why) = private_reference(s) {
                    problems.push(format!("{path}: {why}: {s:?}"));
                }
            }
            serde_json::Value::Array(items) => {
                stack.extend(items.iter().enumerate().map(|(i, v)| (format!("{path}[{i}]"), v)));
            }
            serde_json::Value::Object(map) => stack.extend(map.iter().map(|(k, v)| (format!("{path}.{k}"), v))),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The citations and the reasoning behind assumptions reach the summary, not only the scenario file.
    let text = summary.to_string();
    assert!(text.contains("Home Care Re-ablement Services: Investigating the longer-term impacts"));
    assert!(text.contains("no standard error is published: CV 0.15 assumed"));
}
