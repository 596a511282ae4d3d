//! Where a string value's characters are written in the file: TOML's four kinds of string decoded as the parser
//! decodes them, keeping for each byte of the value the source bytes it came from, so that a problem found inside a
//! value (an unknown name in an expression, say) is reported at its own line and column.
//!
//! The rules (TOML 1.0, and the `\e` and `\xHH` escapes of TOML 1.1, which the parser also accepts):
//! - a basic string `"..."` turns each escape (`\"`, `\\`, `\b`, `\e`, `\f`, `\n`, `\r`, `\t`, `\xHH`, `\uHHHH`,
//!   `\UHHHHHHHH`) into one character;
//! - a multi-line basic string `"""..."""` does the same, drops a newline right after the opening quotes, and drops a
//!   backslash that ends a line together with all the spaces, tabs and newlines after it;
//! - a literal string `'...'` is its text, with no escapes;
//! - a multi-line literal string `'''...'''` is its text, less a newline right after the opening quotes.
//!
//! Newlines inside multi-line strings are kept as written (`\r\n` stays two bytes), as the parser keeps them.

use std::ops::Range;

/// The source bytes (offsets into `src`) that `part` of a string value was written as: `value` is the string's
/// decoded text and `token` the span of the string as written, quotes included. A `part` that is empty gives the
/// empty range where it would start. `None` when the token is not a string, or does not decode to `value` (a value
/// that was not read from this text).
pub fn value_range(src: &str, token: Range<usize>, value: &str, part: Range<usize>) -> Option<Range<usize>> {
    let decoded = Decoded::of(src.get(token.clone())?)?;
    if decoded.text != value || part.start > part.end || part.end > value.len() {
        return None;
    }
    let start = decoded.starts.get(part.start).copied().unwrap_or(decoded.close);
    let end = match part.end.checked_sub(1) {
        Some(last) if part.end > part.start => decoded.ends[last],
        _ => start,
    };
    Some(token.start + start..token.start + end)
}

/// A string's decoded text, with where each of its bytes was written (offsets into the string as written).
#[derive(Debug)]
struct Decoded {
    text: String,
    /// Offset of the first source byte each value byte comes from (an escape's backslash for all its bytes).
    starts: Vec<usize>,
    /// Offset just past the last source byte each value byte comes from.
    ends: Vec<usize>,
    /// Offset of the closing quotes: where the end of the value is written.
    close: usize,
}

/// The four kinds of string, by how they open.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Basic,
    MultiLineBasic,
    Literal,
    MultiLineLiteral,
}

impl Kind {
    fn of(raw: &str) -> Option<Kind> {
        Some(if raw.starts_with("\"\"\"") {
            Kind::MultiLineBasic
        } else if raw.starts_with("'''") {
            Kind::MultiLineLiteral
        } else if raw.starts_with('"') {
            Kind::Basic
        } else if raw.starts_with('\'') {
            Kind::Literal
        } else {
            return None;
        })
    }

    fn quotes(self) -> usize {
        match self {
            Kind::Basic | Kind::Literal => 1,
            Kind::MultiLineBasic | Kind::MultiLineLiteral => 3,
        }
    }

    fn multi_line(self) -> bool {
        self.quotes() == 3
    }

    fn has_escapes(self) -> bool {
        matches!(self, Kind::Basic | Kind::MultiLineBasic)
    }
}

impl Decoded {
    /// Decodes a string as written, quotes included; `None` if it is not a well-formed TOML string.
    fn of(raw: &str) -> Option<Decoded> {
        let kind = Kind::of(raw)?;
        let quotes = kind.quotes();
        let close = raw.len().checked_sub(quotes).filter(|&c| c >= quotes)?;
        let mut at = quotes;
        if kind.multi_line() {
            let body = raw.get(at..close)?;
            at += newline_len(body);
        }
        let mut out = Decoded {
            text: String::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            close,
        };
        while at < close {
            let rest = raw.get(at..close)?;
            let written = match rest.strip_prefix('\\') {
                Some(after) if kind.has_escapes() => {
                    if kind.multi_line() && after.starts_with([' ', '\t', '\r', '\n']) {
                        line_continuation_len(rest)?
                    } else {
                        let (c, len) = escape(rest)?;
                        out.push(c, at..at + len);
                        len
                    }
                }
                _ => {
                    let c = rest.chars().next()?;
                    let len = c.len_utf8();
                    // Each byte of a character written as itself comes from the same byte of the source.
                    out.text.push(c);
                    out.starts.extend(at..at + len);
                    out.ends.extend(at + 1..at + len + 1);
                    len
                }
            };
            at += written;
        }
        Some(out)
    }

    /// Adds a character that the source bytes `from` stand for (an escape): each of its bytes comes from all of them.
    fn push(&mut self, c: char, from: Range<usize>) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.starts.push(from.start);
            self.ends.push(from.end);
        }
    }
}

/// Length of a newline (`\n` or `\r\n`) at the start of `s`, or 0.
fn newline_len(s: &str) -> usize {
    if s.starts_with('\n') {
        1
    } else if s.starts_with("\r\n") {
        2
    } else {
        0
    }
}

/// Length of a line-ending backslash at the start of `s` with the spaces, tabs and newlines it removes: spaces or
/// tabs, one newline, then any mix of spaces, tabs and newlines. `None` if no newline follows the spaces.
fn line_continuation_len(s: &str) -> Option<usize> {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let bytes = s.as_bytes();
    let mut at = 1 + bytes[1..].iter().take_while(|b| is_blank(b)).count();
    let first = newline_len(s.get(at..)?);
    if first == 0 {
        return None;
    }
    at += first;
    loop {
        at += bytes[at..].iter().take_while(|b| is_blank(b)).count();
        match newline_len(s.get(at..)?) {
            0 => return Some(at),
            n => at += n,
        }
    }
}

/// The character an escape at the start of `s` (which starts with a backslash) stands for, and its written length.
fn escape(s: &str) -> Option<(char, usize)> {
    let hex = |digits: usize| {
        let code = s.get(2..2 + digits)?;
        if !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(code, 16).ok()?)?;
        Some((c, 2 + digits))
    };
    match s.as_bytes().get(1)? {
        b'"' => Some(('"', 2)),
        b'\\' => Some(('\\', 2)),
        b'b' => Some(('\u{8}', 2)),
        b'e' => Some(('\u{1b}', 2)),
        b'f' => Some(('\u{c}', 2)),
        b'n' => Some(('\n', 2)),
        b'r' => Some(('\r', 2)),
        b't' => Some(('\t', 2)),
        b'x' => hex(2),
        b'u' => hex(4),
        b'U' => hex(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value the TOML parser reads from `v = <written>`.
    fn parsed(written: &str) -> String {
        let table: toml::Table = toml::from_str(&format!("v = {written}")).expect("valid TOML");
        table["v"].as_str().expect("a string").to_string()
    }

    /// Where `part` of the value of `written` (a string as written) is, as offsets into `written`.
    fn range(written: &str, part: Range<usize>) -> Range<usize> {
        let value = parsed(written);
        value_range(written, 0..written.len(), &value, part).expect("maps")
    }

    /// The source text `part` of the value maps to.
    fn source_of(written: &str, part: Range<usize>) -> &str {
        &written[range(written, part)]
    }

    #[test]
    fn a_basic_string_maps_past_its_opening_quote() {
        // "a + b": value byte 4 (`b`) is written at byte 5, after the quote.
        assert_eq!(range(r#""a + b""#, 4..5), 5..6);
        assert_eq!(range(r#""a + b""#, 0..1), 1..2);
        // The end of the value is the closing quote.
        assert_eq!(range(r#""a + b""#, 5..5), 6..6);
        assert_eq!(range(r#""""#, 0..0), 1..1);
    }

    #[test]
    fn an_escape_is_one_character_written_as_several() {
        // "a\"b": the value a"b has `b` at byte 2, written at byte 4 (1 quote + a + two-byte escape).
        let written = r#""a\"b""#;
        assert_eq!(parsed(written), "a\"b");
        assert_eq!(range(written, 2..3), 4..5);
        assert_eq!(source_of(written, 1..2), r#"\""#);
        // Backslash, newline and tab escapes: `x` is value byte 3 and written at byte 7.
        let written = r#""\\\n\tx""#;
        assert_eq!(parsed(written), "\\\n\tx");
        assert_eq!(range(written, 3..4), 7..8);
        assert_eq!(source_of(written, 0..3), r#"\\\n\t"#);
    }

    #[test]
    fn unicode_escapes_map_every_byte_of_their_character_to_the_escape() {
        // é is two bytes in the value and six (\u00e9) in the source; 😀 four and ten.
        let written = r#""\u00e9 + \U0001F600 + z""#;
        assert_eq!(parsed(written), "é + 😀 + z");
        assert_eq!(source_of(written, 0..2), r"\u00e9");
        assert_eq!(range(written, 0..2), 1..7);
        assert_eq!(range(written, 1..2), 1..7);
        assert_eq!(source_of(written, 5..9), r"\U0001F600");
        // `z`: value byte 12; source 1 + 6 + 3 + 10 + 3 = 23.
        assert_eq!(range(written, 12..13), 23..24);
        // The TOML 1.1 escapes the parser also accepts.
        let written = r#""\x41\e.""#;
        assert_eq!(parsed(written), "A\u{1b}.");
        assert_eq!(range(written, 2..3), 7..8);
    }

    #[test]
    fn characters_written_as_themselves_keep_their_bytes() {
        // "£ + x": £ is two bytes in both; `x` is value byte 5, source byte 6.
        let written = "\"£ + x\"";
        assert_eq!(range(written, 0..2), 1..3);
        assert_eq!(range(written, 5..6), 6..7);
    }

    #[test]
    fn a_multi_line_basic_string_drops_its_first_newline() {
        // The value starts on the line after the quotes: `x` is value byte 0, written at byte 4.
        let written = "\"\"\"\nx + y\n\"\"\"";
        assert_eq!(parsed(written), "x + y\n");
        assert_eq!(range(written, 0..1), 4..5);
        assert_eq!(range(written, 4..5), 8..9);
        // Only one newline is dropped, and \r\n counts as one newline but stays two bytes in the value.
        let written = "\"\"\"\r\n\r\nx\"\"\"";
        assert_eq!(parsed(written), "\r\nx");
        assert_eq!(range(written, 2..3), 7..8);
        // With no newline after the quotes, nothing is dropped.
        assert_eq!(range("\"\"\"x\"\"\"", 0..1), 3..4);
        // The end of the value is the closing quotes, even with quotes inside them.
        let written = "\"\"\"a\"\"\"\"\"";
        assert_eq!(parsed(written), "a\"\"");
        assert_eq!(range(written, 3..3), 6..6);
        assert_eq!(range(written, 1..3), 4..6);
    }

    #[test]
    fn a_line_ending_backslash_joins_lines() {
        // """\<nl>  a + \<nl>   <nl>  b""": the value is `a + b`; `b` (value byte 4) is written at byte 19.
        let written = "\"\"\"\\\n  a + \\\n   \n  b\"\"\"";
        assert_eq!(parsed(written), "a + b");
        assert_eq!(range(written, 0..1), 7..8);
        assert_eq!(range(written, 4..5), 19..20);
        // Spaces between the backslash and the newline, and \r\n newlines, are dropped too.
        let written = "\"\"\"a\\  \r\n\t\r\n b\"\"\"";
        assert_eq!(parsed(written), "ab");
        assert_eq!(range(written, 1..2), 13..14);
        // An escaped backslash at the end of a line is a backslash, not a join.
        let written = "\"\"\"a\\\\\nb\"\"\"";
        assert_eq!(parsed(written), "a\\\nb");
        assert_eq!(range(written, 3..4), 7..8);
    }

    #[test]
    fn literal_strings_have_no_escapes() {
        let written = r"'a\tb'";
        assert_eq!(parsed(written), r"a\tb");
        assert_eq!(range(written, 3..4), 4..5);
        assert_eq!(range(written, 4..4), 5..5);
    }

    #[test]
    fn a_multi_line_literal_string_drops_its_first_newline_only() {
        let written = "'''\nx \\\ny'''";
        assert_eq!(parsed(written), "x \\\ny");
        assert_eq!(range(written, 0..1), 4..5);
        // No line joining: `y` is value byte 4, written at byte 8.
        assert_eq!(range(written, 4..5), 8..9);
        let written = "''''a'''''";
        assert_eq!(parsed(written), "'a''");
        assert_eq!(range(written, 1..2), 4..5);
    }

    #[test]
    fn a_string_placed_in_a_file_maps_to_file_offsets() {
        let src = "[p]\nv = \"\"\"\nx\"\"\"\n";
        let token = src.find("\"\"\"").unwrap()..src.rfind("\"\"\"").unwrap() + 3;
        // `x` is on the third line, at byte 12.
        assert_eq!(value_range(src, token, "x", 0..1), Some(12..13));
    }

    #[test]
    fn text_that_does_not_decode_to_the_value_maps_nowhere() {
        let written = r#""a + b""#;
        assert_eq!(value_range(written, 0..written.len(), "a + c", 0..1), None);
        assert_eq!(value_range(written, 0..written.len(), "a + b", 4..6), None);
        assert_eq!(value_range("12", 0..2, "12", 0..1), None);
        assert_eq!(value_range(r#""a\q""#, 0..5, "a", 0..1), None);
        assert_eq!(value_range(r#"""#, 0..1, "", 0..0), None);
        assert_eq!(value_range(written, 0..99, "a + b", 0..1), None);
    }
}
