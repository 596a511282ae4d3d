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
    if message.starts_with("missing field") {
        message.push_str(" (see docs/scenario-format.md for the keys each table needs)");
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
