//! Bad input, located in the user's file where possible (line, column, field, the offending line with a caret), and
//! the "did you mean" suggestions every input error shares. Each other concern has its own error type; a command's
//! error ([`crate::commands::Error`]) gathers them and decides the exit code.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with the user's input, located in a file where possible.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file that holds the problem.
    pub file: PathBuf,
    /// 1-based line, or 0 where no position is known.
    pub line: usize,
    /// 1-based column (in characters), or 0 where no position is known.
    pub column: usize,
    /// The field at fault, as a dotted path (e.g. `parameters.p_admit.sd`).
    pub field: String,
    /// What is wrong and what was expected, in full sentences.
    pub message: String,
    /// The offending source line with a caret under the position.
    pub snippet: Option<String>,
}

impl InputError {
    /// An error about a whole file (unreadable, missing), with no position.
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            field: String::new(),
            message: message.into(),
            snippet: None,
        }
    }

    /// An error at a byte span of the file's text.
    pub fn at(
        file: &Path,
        source: &str,
        span: std::ops::Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(source, span.start);
        let snippet = render_snippet(source, span);
        InputError {
            file: file.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
            snippet,
        }
    }

    /// An error with no position in any file (a command-line option, say).
    pub fn usage(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: PathBuf::new(),
            line: 0,
            column: 0,
            field: field.into(),
            message: message.into(),
            snippet: None,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string();
        match (file.is_empty(), self.line) {
            (true, _) => write!(f, "error")?,
            (false, 0) => write!(f, "error: {file}")?,
            (false, line) => write!(f, "error: {file}:{line}:{}", self.column)?,
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// 1-based line and column (counted in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = source[line_start..offset].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The source line holding `span.start`, with carets under the span (clipped to that line).
fn render_snippet(source: &str, span: std::ops::Range<usize>) -> Option<String> {
    if source.is_empty() {
        return None;
    }
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let text = source[line_start..line_end].trim_end_matches('\r');
    let (line, column) = line_column(source, start);
    let end = floor_char_boundary(source, span.end.clamp(start, line_end));
    let width = source[start..end].chars().count().max(1);
    let gutter = line.to_string().len();
    Some(format!(
        "{:gutter$} |\n{line} | {text}\n{:gutter$} | {}{}",
        "",
        "",
        " ".repeat(column - 1),
        "^".repeat(width)
    ))
}

/// The closest of `candidates` to `name`, if reasonably close: a typo of one letter first, then the same words
/// (see [`closest_by_words`]), then a few letters' difference.
pub fn closest(name: &str, candidates: &[&str]) -> Option<String> {
    // A shortened name ("usual" for "usual_care") is a near miss too, however many letters are missing.
    let prefix = |c: &str| name.len() >= 3 && (c.starts_with(name) || name.starts_with(c));
    let by_letters = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1) + 1 || prefix(c))
        .min_by_key(|(d, _)| *d);
    match by_letters {
        Some((d, c)) if d <= 1 => Some(c.to_string()),
        _ => closest_by_words(name, candidates)
            .or(by_letters.map(|(_, c)| c))
            .map(str::to_string),
    }
}

/// The candidate with the same words as `name` in another order ("bed_day_cost" for "cost_bed_day"), or else with
/// all its words but one the same and that one alike ("p_dead" for "p_die"); words are split at `_`, `.`, `-` and
/// spaces, in any case.
pub fn closest_by_words<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .filter(|c| **c != name)
        .filter_map(|c| word_distance(name, c).map(|w| (w, strsim::damerau_levenshtein(name, c), *c)))
        .min_by_key(|(w, d, _)| (*w, *d))
        .map(|(_, _, c)| c)
}

/// The lower-case words of a name: "Bed_day.cost" → ["bed", "day", "cost"].
fn words(name: &str) -> Vec<String> {
    name.split(['_', '.', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// How far apart two names of two or more words are by their words: 0 for the same words in another order; 1 plus
/// the edits between the odd pair where all words but one are the same and the odd pair begin alike or are within
/// a typo of each other; `None` otherwise.
fn word_distance(name: &str, candidate: &str) -> Option<usize> {
    let (mut a, mut b) = (words(name), words(candidate));
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    a.sort();
    b.sort();
    if a == b {
        return Some(0);
    }
    // The words of each not in the other, counting repeats.
    let mut rest_b = b.clone();
    let mut rest_a = Vec::new();
    for w in a {
        match rest_b.iter().position(|x| *x == w) {
            Some(i) => {
                rest_b.swap_remove(i);
            }
            None => rest_a.push(w),
        }
    }
    let ([x], [y]) = (rest_a.as_slice(), rest_b.as_slice()) else {
        return None;
    };
    let edits = strsim::damerau_levenshtein(x, y);
    let typo = edits <= (x.len().max(y.len()) / 3).max(1);
    let same_start = x.chars().next() == y.chars().next();
    (typo || same_start).then_some(1 + edits)
}

/// " did you mean `x`?" when a close name exists, or nothing.
pub fn suggest(name: &str, known: &[&str]) -> String {
    closest(name, known).map_or(String::new(), |c| format!("; did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_match_on_word_parts() {
        let known = ["cost_bed_day", "bed_days_base", "p_die", "p_die_residential", "effect"];
        // The same words in another order, though letter by letter `bed_days_base` is nearer.
        assert_eq!(closest("bed_day_cost", &known).as_deref(), Some("cost_bed_day"));
        // All words but one the same, the odd one alike.
        assert_eq!(closest("p_dead", &known).as_deref(), Some("p_die"));
        // A one-letter typo still wins over word matches.
        assert_eq!(closest("efect", &known).as_deref(), Some("effect"));
        assert_eq!(closest("p_dei", &known).as_deref(), Some("p_die"));
        // Unrelated words suggest nothing.
        assert_eq!(closest("weekly_wage", &known), None);
        assert_eq!(word_distance("a_b", "c_d"), None);
        assert_eq!(word_distance("bed_day_cost", "Cost.Bed-Day"), Some(0));
        assert_eq!(word_distance("p_dead", "p_die"), Some(4));
    }

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let src = "a = 1\nname = \"£x\" # here\n";
        // byte offset of 'x': line 2 starts at 6; "name = \"" is 8 bytes, '£' is 2 bytes
        let x = src.find('x').unwrap();
        assert_eq!(line_column(src, x), (2, 10));
        assert_eq!(line_column(src, 0), (1, 1));
    }

    #[test]
    fn display_names_file_line_column_and_field() {
        let src = "[settings]\niterations = 0\n";
        let span = src.find('0').unwrap()..src.find('0').unwrap() + 1;
        let e = InputError::at(
            Path::new("s.toml"),
            src,
            span,
            "settings.iterations",
            "must be at least 1",
        );
        let text = e.to_string();
        assert!(
            text.starts_with("error: s.toml:2:14: field `settings.iterations`: must be at least 1"),
            "{text}"
        );
        assert!(text.contains("2 | iterations = 0"), "{text}");
        assert!(text.contains("|              ^"), "{text}");
    }
}
