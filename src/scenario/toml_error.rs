//! TOML parse errors in the user's terms: file, line, column, the dotted field and a "did you mean".

use crate::error::{closest, InputError};
use std::path::Path;

/// Turns a TOML/serde error into an InputError, adding the field path and a "did you mean" where it can.
pub(super) fn toml_error(path: &Path, src: &str, e: &toml::de::Error) -> InputError {
    let span = e.span().unwrap_or(0..0);
    let mut message = e.message().trim().to_string();
    if let Some(suggestion) = unknown_field_suggestion(&message) {
        message.push_str(&format!("; did you mean `{suggestion}`?"));
    }
    // A bare TOML date (`start_date = 2027-04-01`) reaches serde as a map; say what to write instead.
    let field = field_at(src, span.start);
    if message == "invalid type: map, expected a string" && field.ends_with("start_date") {
        message = "write the date in quotes, as text: \"2027-04-01\"".to_string();
    }
    if let Some(key) = message
        .strip_prefix("missing field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        let table = field.split('.').next().unwrap_or("");
        match allowed_for(table, key) {
            Some((section, allowed)) => {
                message = format!("{message}: it takes {allowed} (docs/scenario-format.md, {section})");
            }
            None => message.push_str(" (see docs/scenario-format.md for the keys each table needs)"),
        }
    }
    InputError::at(path, src, span.clone(), field, message)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", the closest expected name.
fn unknown_field_suggestion(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    closest(unknown, &candidates)
}

/// The dotted key path at a byte offset, from the nearest table header above and the key on that line.
fn field_at(src: &str, offset: usize) -> String {
    let mut offset = offset.min(src.len());
    while offset > 0 && !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[line_start..].lines().next().unwrap_or("");
    let header = src[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    let trimmed = line.trim();
    if trimmed.starts_with('[') {
        return trimmed.trim_matches(|c| c == '[' || c == ']').trim().to_string();
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#'));
    match (header, key) {
        (Some(h), Some(k)) => format!("{h}.{k}"),
        (Some(h), None) => h,
        (None, Some(k)) => k,
        (None, None) => String::new(),
    }
}

/// The scenario format's reference: its tables of keys say what each key takes, so a missing key's error quotes it.
const FORMAT_DOC: &str = include_str!("../../docs/scenario-format.md");

/// What docs/scenario-format.md says `key` takes, with the section it is in: the row of `key` in the section about
/// `table` (`[settings]`, `[[arms]]`), or else the first row for `key` that marks it required.
fn allowed_for(table: &str, key: &str) -> Option<(String, String)> {
    let mut section = "";
    let mut required_elsewhere = None;
    let row_start = format!("| `{key}` |");
    for line in FORMAT_DOC.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading;
            continue;
        }
        let Some(row) = line.strip_prefix(row_start.as_str()) else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        let Some(allowed) = cells.last() else {
            continue;
        };
        let found = (section.to_string(), (*allowed).to_string());
        let names_table = !table.is_empty()
            && (section.contains(&format!("`[{table}]`")) || section.contains(&format!("`[[{table}]]`")));
        if names_table {
            return Some(found);
        }
        if required_elsewhere.is_none() && cells.first() == Some(&"yes") {
            required_elsewhere = Some(found);
        }
    }
    required_elsewhere
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_key_says_what_it_takes() {
        let example = include_str!("../../scenarios/example.toml");
        let src = example.replace("accrual = \"half-cycle\"", "");
        let e = toml::from_str::<super::super::raw::RawScenario>(&src).unwrap_err();
        let text = toml_error(Path::new("s.toml"), &src, &e).to_string();
        assert!(
            text.contains("missing field `accrual`: it takes `start`, `end`, `half-cycle`"),
            "{text}"
        );
        assert!(text.contains("`simpson`") && text.contains("[settings]"), "{text}");
        // A key in another table is looked up in its own section: `beyond` in [tables].
        let (section, allowed) = allowed_for("tables", "beyond").unwrap();
        assert!(
            section.contains("[tables]") && allowed.contains("\"error\""),
            "{allowed}"
        );
        // A key the format does not document gets the general pointer, not a wrong list.
        assert_eq!(allowed_for("settings", "no_such_key"), None);
    }
}
