//! The lexer: turns source text into tokens with byte spans, rejecting look-alike characters with a hint.

use super::ExprError;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Ident,
    And,
    Or,
    Not,
    If,
    True,
    False,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    LParen,
    RParen,
    Comma,
    Eof,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) offset: usize,
    pub(super) len: usize,
}

pub(super) struct Lexer<'a> {
    pub(super) src: &'a str,
    // Invariant: always on a char boundary (we only advance by whole chars or ASCII bytes).
    pub(super) pos: usize,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn unexpected_char(c: char, offset: usize) -> ExprError {
    let hint = match c {
        '×' | '·' | '∙' | '⋅' => "; use '*' to multiply",
        '÷' => "; use '/' to divide",
        '−' | '–' | '—' => "; use the ASCII '-' for minus",
        '≤' => "; use '<='",
        '≥' => "; use '>='",
        '≠' => "; use '!='",
        '%' => "; percentages are not supported, write 5% as 0.05",
        '[' | ']' | '{' | '}' => "; use '(' and ')' for grouping",
        '\'' | '"' => "; expressions contain no strings, refer to parameters by name",
        _ => "",
    };
    ExprError::new(format!("unexpected character {c:?}{hint}"), offset, c.len_utf8())
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    pub(super) fn next_token(&mut self) -> Result<Token, ExprError> {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
        let start = self.pos;
        let Some(c) = trimmed.chars().next() else {
            return Ok(Token {
                tok: Tok::Eof,
                offset: self.src.len(),
                len: 0,
            });
        };
        if c.is_ascii_digit() || (c == '.' && self.byte(start + 1).is_some_and(|b| b.is_ascii_digit())) {
            return self.number(start);
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut end = start;
            while self.byte(end).is_some_and(is_ident_byte) {
                end += 1;
            }
            self.pos = end;
            let tok = match &self.src[start..end] {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "if" => Tok::If,
                "true" => Tok::True,
                "false" => Tok::False,
                _ => Tok::Ident,
            };
            return Ok(Token {
                tok,
                offset: start,
                len: end - start,
            });
        }
        let next = self.byte(start + 1);
        let (tok, len) = match c {
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' if next == Some(b'*') => {
                return Err(ExprError::new("'**' is not an operator; use '^' for powers", start, 2))
            }
            '*' => (Tok::Star, 1),
            '/' => (Tok::Slash, 1),
            '^' => (Tok::Caret, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '<' if next == Some(b'=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some(b'=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '=' if next == Some(b'=') => (Tok::EqEq, 2),
            '=' => {
                return Err(ExprError::new(
                    "unexpected '='; use '==' to compare two values",
                    start,
                    1,
                ))
            }
            '!' if next == Some(b'=') => (Tok::Ne, 2),
            '!' => (Tok::Not, 1),
            '&' if next == Some(b'&') => (Tok::And, 2),
            '&' => return Err(ExprError::new("unexpected '&'; use '&&' or 'and'", start, 1)),
            '|' if next == Some(b'|') => (Tok::Or, 2),
            '|' => return Err(ExprError::new("unexpected '|'; use '||' or 'or'", start, 1)),
            other => return Err(unexpected_char(other, start)),
        };
        self.pos = start + len;
        Ok(Token {
            tok,
            offset: start,
            len,
        })
    }

    /// Lexes a number starting at `start`; every byte it looks at is ASCII, so slicing is safe.
    fn number(&mut self, start: usize) -> Result<Token, ExprError> {
        let digits = |lx: &Self, mut i: usize| {
            while lx.byte(i).is_some_and(|b| b.is_ascii_digit() || b == b'_') {
                i += 1;
            }
            i
        };
        let invalid = |end: usize, why: &str| {
            let text = self.src.get(start..end).unwrap_or("");
            ExprError::new(format!("invalid number `{text}`: {why}"), start, end - start)
        };
        let mut i = digits(self, start);
        if self.byte(i) == Some(b'.') {
            let frac = i + 1;
            i = digits(self, frac);
            if i == frac {
                return Err(invalid(i, "expected a digit after the decimal point"));
            }
        }
        if matches!(self.byte(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(self.byte(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let exp = i;
            i = digits(self, exp);
            if i == exp {
                return Err(invalid(i, "expected digits after the exponent 'e'"));
            }
        }
        let text = &self.src[start..i];
        let bytes = text.as_bytes();
        for (k, &b) in bytes.iter().enumerate() {
            if b == b'_' {
                let prev_ok = k > 0 && bytes[k - 1].is_ascii_digit();
                let next_ok = bytes.get(k + 1).is_some_and(u8::is_ascii_digit);
                if !(prev_ok && next_ok) {
                    return Err(invalid(i, "'_' may only separate two digits"));
                }
            }
        }
        match self.byte(i) {
            Some(b'.') => return Err(invalid(i + 1, "it has more than one '.'")),
            Some(b) if is_ident_byte(b) => {
                let mut end = i;
                while self.byte(end).is_some_and(is_ident_byte) {
                    end += 1;
                }
                let glued = &self.src[start..end];
                let name = &self.src[i..end];
                return Err(ExprError::new(
                    format!("`{glued}` is not a number or a name; write `{text} * {name}` to multiply"),
                    start,
                    end - start,
                ));
            }
            _ => {}
        }
        let cleaned: String = text.chars().filter(|&c| c != '_').collect();
        let value = match cleaned.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            Ok(_) => {
                return Err(ExprError::new(
                    format!("number `{text}` is too large"),
                    start,
                    i - start,
                ))
            }
            Err(_) => return Err(invalid(i, "not a valid number")),
        };
        self.pos = i;
        Ok(Token {
            tok: Tok::Num(value),
            offset: start,
            len: i - start,
        })
    }
}
