//! Parse and compile errors, located by byte offset so they can point at the offending text.

use std::fmt;

/// A parse or compile error, located by byte offset into the expression's source text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// Human-readable description, including what was expected and any suggestion.
    pub message: String,
    /// Byte offset of the offending text in the source.
    pub offset: usize,
    /// Length in bytes of the offending text (0 at end of input).
    pub len: usize,
}

impl ExprError {
    pub(super) fn new(message: impl Into<String>, offset: usize, len: usize) -> Self {
        ExprError {
            message: message.into(),
            offset,
            len,
        }
    }

    /// Renders the source line holding the error with `^` markers under the offending text.
    pub fn snippet(&self, src: &str) -> String {
        // Offsets come from our own lexer and are always on char boundaries, but this is a
        // public helper that may be handed a different string, so degrade instead of panicking.
        let offset = self.offset.min(src.len());
        let before = src.get(..offset).unwrap_or(src);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = src
            .get(offset..)
            .and_then(|rest| rest.find('\n'))
            .map_or(src.len(), |i| offset + i);
        let line = src.get(line_start..line_end).unwrap_or("");
        let column = before.get(line_start..).map_or(0, |s| s.chars().count());
        let end = offset.saturating_add(self.len).min(line_end);
        let width = src.get(offset..end).map_or(1, |s| s.chars().count()).max(1);
        format!("{line}\n{}{}", " ".repeat(column), "^".repeat(width))
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}
