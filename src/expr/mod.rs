//! The scenario expression language: parsed and checked once, evaluated on the hot path without allocation.
//!
//! Scenario authors write small formulas such as `p_admit * rr ^ (t / 5)` or
//! `if(t < 2, cost_high, cost_low)`. They go through three stages:
//!
//! 1. [`parse`] turns the source into an [`Ast`] whose nodes carry byte spans, so every
//!    error can point at the offending text.
//! 2. [`compile`] resolves names to value slots, folds constant sub-expressions and lowers
//!    the tree to a flat instruction list (a [`Program`]) for a small stack machine.
//! 3. [`Program::eval`] runs that list against a slice of slot values. It allocates nothing
//!    and touches no strings, because it runs on the order of 10^8 times a minute.
//!
//! Semantics worth knowing: comparisons and logic give 1.0 or 0.0; a value is true when it
//! is not equal to 0 (so NaN counts as true); `and`, `or` and `if` are lazy; `min`, `max` and
//! `clamp` propagate NaN instead of silently dropping it, so a broken input stays visible in
//! the results; `round` rounds halves away from zero.

use std::fmt;

/// Capacity of the evaluation stack; deeper programs are rejected at compile time.
pub const MAX_STACK: usize = 32;

/// Maximum syntactic nesting (and syntax-tree height, so also the length of a flat chain like
/// `a + b + ...`); bounds every recursion so hostile input cannot overflow the thread stack.
pub const MAX_NESTING: usize = 128;

// Program::run masks stack indices, which needs power-of-two array sizes.
const _: () = assert!(MAX_STACK.is_power_of_two());

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

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
    fn new(message: impl Into<String>, offset: usize, len: usize) -> Self {
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

// ---------------------------------------------------------------------------------------
// Operations shared by constant folding and evaluation
// ---------------------------------------------------------------------------------------
//
// Folding calls exactly the same functions as the interpreter (whose specialised `+ - * /`
// instructions are the same IEEE operations), so a folded constant is bit-identical to what
// the unfolded program would have computed at run time.

#[inline(always)]
fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

// f64::min/max return the other operand when one is NaN; a model input that went NaN
// would then vanish silently, so these propagate it instead.
#[inline(always)]
fn min_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[inline(always)]
fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// One-operand operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Un {
    Neg,
    Not,
    /// Normalises a value to 1.0/0.0; ends the right operand of `and`/`or`.
    Truthy,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Round,
}

impl Un {
    #[inline(always)]
    fn apply(self, x: f64) -> f64 {
        match self {
            Un::Neg => -x,
            Un::Not => truth(x == 0.0),
            Un::Truthy => truth(x != 0.0),
            Un::Exp => x.exp(),
            Un::Ln => x.ln(),
            Un::Log10 => x.log10(),
            Un::Sqrt => x.sqrt(),
            Un::Abs => x.abs(),
            Un::Floor => x.floor(),
            Un::Ceil => x.ceil(),
            Un::Round => x.round(),
        }
    }
}

/// Two-operand operations (left operand first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Min,
    Max,
    RateToProb,
    ProbToRate,
}

impl Bin {
    #[inline(always)]
    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Bin::Add => a + b,
            Bin::Sub => a - b,
            Bin::Mul => a * b,
            Bin::Div => a / b,
            Bin::Pow => a.powf(b),
            Bin::Lt => truth(a < b),
            Bin::Le => truth(a <= b),
            Bin::Gt => truth(a > b),
            Bin::Ge => truth(a >= b),
            Bin::Eq => truth(a == b),
            Bin::Ne => truth(a != b),
            Bin::Min => min_nan(a, b),
            Bin::Max => max_nan(a, b),
            // 1 - exp(-r t), written with exp_m1 so small rates keep full precision.
            Bin::RateToProb => -(-a * b).exp_m1(),
            // -ln(1 - p) / t, written with ln_1p for the same reason.
            Bin::ProbToRate => -(-a).ln_1p() / b,
        }
    }
}

/// Three-operand operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tri {
    Clamp,
    ConvertProb,
}

impl Tri {
    #[inline(always)]
    fn apply(self, a: f64, b: f64, c: f64) -> f64 {
        match self {
            // f64::clamp panics when lo > hi; a sampled pair can cross, and that must
            // show up as NaN in the output rather than abort a run.
            Tri::Clamp => {
                if a.is_nan() || b.is_nan() || c.is_nan() || b > c {
                    f64::NAN
                } else if a < b {
                    b
                } else if a > c {
                    c
                } else {
                    a
                }
            }
            // 1 - (1 - p)^(to / from) = -expm1((to / from) * ln(1 - p)).
            Tri::ConvertProb => -((c / b) * (-a).ln_1p()).exp_m1(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Min,
    Max,
    Exp,
    Ln,
    Log10,
    Sqrt,
    Abs,
    Floor,
    Ceil,
    Round,
    Pow,
    Clamp,
    If,
    RateToProb,
    ProbToRate,
    ConvertProb,
}

struct FuncInfo {
    name: &'static str,
    func: Func,
    min_args: usize,
    max_args: usize,
    usage: &'static str,
}

const fn info(name: &'static str, func: Func, min_args: usize, max_args: usize, usage: &'static str) -> FuncInfo {
    FuncInfo {
        name,
        func,
        min_args,
        max_args,
        usage,
    }
}

const FUNCTIONS: &[FuncInfo] = &[
    info("min", Func::Min, 2, usize::MAX, "min(a, b, ...)"),
    info("max", Func::Max, 2, usize::MAX, "max(a, b, ...)"),
    info("exp", Func::Exp, 1, 1, "exp(x)"),
    info("ln", Func::Ln, 1, 1, "ln(x)"),
    info("log10", Func::Log10, 1, 1, "log10(x)"),
    info("sqrt", Func::Sqrt, 1, 1, "sqrt(x)"),
    info("abs", Func::Abs, 1, 1, "abs(x)"),
    info("floor", Func::Floor, 1, 1, "floor(x)"),
    info("ceil", Func::Ceil, 1, 1, "ceil(x)"),
    info("round", Func::Round, 1, 1, "round(x)"),
    info("pow", Func::Pow, 2, 2, "pow(base, exponent)"),
    info("clamp", Func::Clamp, 3, 3, "clamp(x, lo, hi)"),
    info("if", Func::If, 3, 3, "if(condition, value_if_true, value_if_false)"),
    info("rate_to_prob", Func::RateToProb, 2, 2, "rate_to_prob(rate, years)"),
    info("prob_to_rate", Func::ProbToRate, 2, 2, "prob_to_rate(prob, years)"),
    info(
        "convert_prob",
        Func::ConvertProb,
        3,
        3,
        "convert_prob(prob, from_years, to_years)",
    ),
];

/// Names of every built-in function, e.g. for editor completion or documentation.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo.
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    // One edit is always a plausible typo (except for one-letter names, where every other
    // one-letter name would qualify); longer names tolerate about one edit per three chars.
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &cand.to_lowercase());
        let plausible = d <= limit && (d < name.chars().count() || d == 0);
        if plausible && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

// ---------------------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
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
struct Token {
    tok: Tok,
    offset: usize,
    len: usize,
}

struct Lexer<'a> {
    src: &'a str,
    // Invariant: always on a char boundary (we only advance by whole chars or ASCII bytes).
    pos: usize,
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

    fn next_token(&mut self) -> Result<Token, ExprError> {
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

// ---------------------------------------------------------------------------------------
// Syntax tree and parser
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Num(f64),
    Name(String),
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Binary(Bin, Box<Node>, Box<Node>),
    Call(Func, Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
struct Node {
    kind: Kind,
    offset: usize,
    len: usize,
    // Tree height, bounded by MAX_NESTING so the recursive compile (and drop) stay shallow
    // even for a long flat chain like `a + a + ... + a`, which the parser builds in a loop.
    height: usize,
}

impl Node {
    fn leaf(kind: Kind, t: Token) -> Node {
        Node {
            kind,
            offset: t.offset,
            len: t.len,
            height: 1,
        }
    }

    /// Builds a non-leaf node spanning `offset..end`, enforcing the height bound.
    fn interior(kind: Kind, offset: usize, end: usize) -> Result<Node, ExprError> {
        let below = match &kind {
            Kind::Num(_) | Kind::Name(_) => 0,
            Kind::Neg(x) | Kind::Not(x) => x.height,
            Kind::And(l, r) | Kind::Or(l, r) | Kind::Binary(_, l, r) => l.height.max(r.height),
            Kind::Call(_, args) => args.iter().map(|a| a.height).max().unwrap_or(0),
        };
        if below >= MAX_NESTING {
            return Err(too_deep(offset, end.saturating_sub(offset)));
        }
        Ok(Node {
            kind,
            offset,
            len: end.saturating_sub(offset),
            height: below + 1,
        })
    }
}

/// A parsed expression (syntax tree with byte spans).
#[derive(Debug, Clone, PartialEq)]
pub struct Ast {
    root: Node,
}

impl Ast {
    /// Every identifier the expression reads, with its byte offset, in order of appearance (duplicates kept).
    pub fn names(&self) -> Vec<(&str, usize)> {
        fn walk<'n>(node: &'n Node, out: &mut Vec<(&'n str, usize)>) {
            match &node.kind {
                Kind::Num(_) => {}
                Kind::Name(name) => out.push((name.as_str(), node.offset)),
                Kind::Neg(x) | Kind::Not(x) => walk(x, out),
                Kind::And(l, r) | Kind::Or(l, r) | Kind::Binary(_, l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Kind::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        // Pre-order already follows the source, but sorting keeps that true whatever the tree shape.
        out.sort_by_key(|&(_, offset)| offset);
        out
    }

    /// Byte offset and length of the whole expression in its source.
    pub fn span(&self) -> (usize, usize) {
        (self.root.offset, self.root.len)
    }
}

// Binding powers for the Pratt loop; `^` and the prefix operators bind tighter than all
// of these and are handled by `unary`/`power` directly.
const BP_OR: u8 = 1;
const BP_AND: u8 = 2;
const BP_CMP: u8 = 3;
const BP_ADD: u8 = 4;
const BP_MUL: u8 = 5;

#[derive(Clone, Copy, PartialEq)]
enum Infix {
    Or,
    And,
    Op(Bin),
}

fn infix(tok: Tok) -> Option<(Infix, u8)> {
    Some(match tok {
        Tok::Or => (Infix::Or, BP_OR),
        Tok::And => (Infix::And, BP_AND),
        Tok::Lt => (Infix::Op(Bin::Lt), BP_CMP),
        Tok::Le => (Infix::Op(Bin::Le), BP_CMP),
        Tok::Gt => (Infix::Op(Bin::Gt), BP_CMP),
        Tok::Ge => (Infix::Op(Bin::Ge), BP_CMP),
        Tok::EqEq => (Infix::Op(Bin::Eq), BP_CMP),
        Tok::Ne => (Infix::Op(Bin::Ne), BP_CMP),
        Tok::Plus => (Infix::Op(Bin::Add), BP_ADD),
        Tok::Minus => (Infix::Op(Bin::Sub), BP_ADD),
        Tok::Star => (Infix::Op(Bin::Mul), BP_MUL),
        Tok::Slash => (Infix::Op(Bin::Div), BP_MUL),
        _ => return None,
    })
}

const EXPECTED_OPERAND: &str = "expected a number, name or '('";

fn too_deep(offset: usize, len: usize) -> ExprError {
    ExprError::new(
        "expression nested too deeply; split it into intermediate parameters",
        offset,
        len,
    )
}

// A hand-written recursive-descent (Pratt) parser rather than a generator or combinator
// crate: the grammar is tiny, and we need full control over error positions and wording
// ("expected ... after '*'", pointing at the unclosed '('), which is the part that matters
// to scenario authors.
struct Parser<'a> {
    lex: Lexer<'a>,
    cur: Token,
    prev: Option<Token>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn text(&self, t: Token) -> &'a str {
        self.lex.src.get(t.offset..t.offset + t.len).unwrap_or("")
    }

    fn describe(&self, t: Token) -> String {
        match t.tok {
            Tok::Num(_) => format!("number `{}`", self.text(t)),
            Tok::Ident => format!("name `{}`", self.text(t)),
            Tok::Eof => "end of input".to_string(),
            _ => format!("'{}'", self.text(t)),
        }
    }

    fn advance(&mut self) -> Result<Token, ExprError> {
        let t = self.cur;
        self.prev = Some(t);
        self.cur = self.lex.next_token()?;
        Ok(t)
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(too_deep(self.cur.offset, self.cur.len));
        }
        Ok(())
    }

    /// End of the last consumed token: where the node just parsed ends, closing ')' included.
    fn prev_end(&self) -> usize {
        self.prev.map_or(0, |p| p.offset + p.len)
    }

    fn binary(&self, op: Infix, l: Node, r: Node, offset: usize) -> Result<Node, ExprError> {
        let end = self.prev_end();
        let kind = match op {
            Infix::Or => Kind::Or(Box::new(l), Box::new(r)),
            Infix::And => Kind::And(Box::new(l), Box::new(r)),
            Infix::Op(b) => Kind::Binary(b, Box::new(l), Box::new(r)),
        };
        Node::interior(kind, offset, end)
    }

    fn expr(&mut self, min_bp: u8) -> Result<Node, ExprError> {
        self.enter()?;
        // Spans start here rather than at the left node, so they include any opening '('.
        let start = self.cur.offset;
        let mut lhs = self.unary()?;
        while let Some((op, bp)) = infix(self.cur.tok) {
            if bp < min_bp {
                break;
            }
            self.advance()?;
            // bp + 1: every binary operator here is left-associative.
            let rhs = self.expr(bp + 1)?;
            lhs = self.binary(op, lhs, rhs, start)?;
            if bp == BP_CMP && infix(self.cur.tok).is_some_and(|(_, b)| b == BP_CMP) {
                return Err(self.chained_comparison());
            }
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Node, ExprError> {
        match self.cur.tok {
            Tok::Minus | Tok::Plus | Tok::Not => {
                self.enter()?;
                let op = self.advance()?;
                let operand = self.unary()?;
                self.depth -= 1;
                let end = self.prev_end();
                match op.tok {
                    Tok::Plus => Ok(operand),
                    Tok::Minus => Node::interior(Kind::Neg(Box::new(operand)), op.offset, end),
                    _ => Node::interior(Kind::Not(Box::new(operand)), op.offset, end),
                }
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Node, ExprError> {
        let start = self.cur.offset;
        let base = self.primary()?;
        if self.cur.tok != Tok::Caret {
            return Ok(base);
        }
        self.enter()?;
        self.advance()?;
        // The exponent is a full unary expression: that makes `^` right-associative
        // (`2^3^2` = 2^9) and allows `2^-1`, while `-2^2` still negates the power.
        let exponent = self.unary()?;
        self.depth -= 1;
        self.binary(Infix::Op(Bin::Pow), base, exponent, start)
    }

    fn primary(&mut self) -> Result<Node, ExprError> {
        let t = self.cur;
        match t.tok {
            Tok::Num(v) => {
                self.advance()?;
                Ok(Node::leaf(Kind::Num(v), t))
            }
            Tok::True | Tok::False => {
                self.advance()?;
                Ok(Node::leaf(Kind::Num(truth(t.tok == Tok::True)), t))
            }
            Tok::Ident => {
                self.advance()?;
                if self.cur.tok == Tok::LParen {
                    self.call(t)
                } else {
                    Ok(Node::leaf(Kind::Name(self.text(t).to_string()), t))
                }
            }
            Tok::If => {
                self.advance()?;
                if self.cur.tok != Tok::LParen {
                    return Err(self.if_without_paren());
                }
                self.call(t)
            }
            Tok::LParen => self.group(t),
            _ => Err(self.missing_operand(t)),
        }
    }

    /// Parses `( expr )`; `open` is the current token.
    fn group(&mut self, open: Token) -> Result<Node, ExprError> {
        self.enter()?;
        self.advance()?;
        let inner = self.expr(0)?;
        self.depth -= 1;
        if self.cur.tok != Tok::RParen {
            return Err(self.unclosed_group(open));
        }
        self.advance()?;
        Ok(inner)
    }

    // Error builders live outside the recursive functions to keep their frames small.

    #[cold]
    fn unclosed_group(&self, open: Token) -> ExprError {
        if self.cur.tok == Tok::Eof {
            return ExprError::new(
                "unclosed '(': expected a matching ')' before the end",
                open.offset,
                open.len,
            );
        }
        ExprError::new(
            format!(
                "expected an operator or ')' to close the '(' at byte {}, found {}",
                open.offset,
                self.describe(self.cur)
            ),
            self.cur.offset,
            self.cur.len,
        )
    }

    #[cold]
    fn if_without_paren(&self) -> ExprError {
        ExprError::new(
            format!(
                "expected '(' after 'if', found {}; write \
                 `if(condition, value_if_true, value_if_false)`",
                self.describe(self.cur)
            ),
            self.cur.offset,
            self.cur.len,
        )
    }

    #[cold]
    fn missing_operand(&self, t: Token) -> ExprError {
        match (t.tok, self.prev) {
            (Tok::Eof, None) => ExprError::new("empty expression", 0, 0),
            (Tok::Eof, Some(p)) => ExprError::new(
                format!("unexpected end of input: {EXPECTED_OPERAND} after {}", self.describe(p)),
                t.offset,
                0,
            ),
            (_, prev) => {
                let after = prev.map(|p| format!(" after {}", self.describe(p))).unwrap_or_default();
                ExprError::new(
                    format!("{EXPECTED_OPERAND}{after}, found {}", self.describe(t)),
                    t.offset,
                    t.len,
                )
            }
        }
    }

    #[cold]
    fn chained_comparison(&self) -> ExprError {
        ExprError::new(
            "comparisons cannot be chained; combine them with 'and', e.g. `a < b and b < c`",
            self.cur.offset,
            self.cur.len,
        )
    }

    #[cold]
    fn unknown_function(name: &str, t: Token) -> ExprError {
        let message = if name == "log" {
            "`log` is ambiguous: use `ln` for the natural logarithm or `log10` for base 10".to_string()
        } else {
            match closest(name, function_names()) {
                Some(s) => format!("unknown function `{name}`; did you mean `{s}`?"),
                None => format!(
                    "unknown function `{name}`; the functions are {}",
                    function_names().collect::<Vec<_>>().join(", ")
                ),
            }
        };
        ExprError::new(message, t.offset, t.len)
    }

    #[cold]
    fn bad_call_separator(&self, name: &str, open: Token) -> ExprError {
        if self.cur.tok == Tok::Eof {
            return ExprError::new(
                format!("unclosed '(' in the call to `{name}`: expected a matching ')'"),
                open.offset,
                open.len,
            );
        }
        ExprError::new(
            format!(
                "expected ',' or ')' in the call to `{name}`, found {}",
                self.describe(self.cur)
            ),
            self.cur.offset,
            self.cur.len,
        )
    }

    #[cold]
    fn wrong_arity(f: &FuncInfo, n: usize, t: Token) -> ExprError {
        let plural = |k: usize| if k == 1 { "" } else { "s" };
        let least = if f.max_args == usize::MAX { "at least " } else { "" };
        let given = if n == 1 {
            "1 was given".to_string()
        } else {
            format!("{n} were given")
        };
        ExprError::new(
            format!(
                "`{}` takes {least}{} argument{}, but {given}: `{}`",
                f.name,
                f.min_args,
                plural(f.min_args),
                f.usage
            ),
            t.offset,
            t.len,
        )
    }

    /// Parses a call whose name token has been consumed; `self.cur` is the '('.
    fn call(&mut self, name_tok: Token) -> Result<Node, ExprError> {
        let name = self.text(name_tok);
        let Some(f) = FUNCTIONS.iter().find(|f| f.name == name) else {
            return Err(Self::unknown_function(name, name_tok));
        };
        self.enter()?;
        let open = self.advance()?;
        let mut args = Vec::new();
        if self.cur.tok == Tok::RParen {
            self.advance()?;
        } else {
            loop {
                args.push(self.expr(0)?);
                match self.cur.tok {
                    Tok::Comma => self.advance()?,
                    Tok::RParen => break,
                    _ => return Err(self.bad_call_separator(name, open)),
                };
            }
            self.advance()?;
        }
        self.depth -= 1;
        if args.len() < f.min_args || args.len() > f.max_args {
            return Err(Self::wrong_arity(f, args.len(), name_tok));
        }
        Node::interior(Kind::Call(f.func, args), name_tok.offset, self.prev_end())
    }
}

/// Parses an expression into a syntax tree, reporting the first syntax error with its byte offset.
pub fn parse(src: &str) -> Result<Ast, ExprError> {
    let mut lex = Lexer { src, pos: 0 };
    let first = lex.next_token()?;
    if first.tok == Tok::Eof {
        return Err(ExprError::new("empty expression", 0, 0));
    }
    let mut p = Parser {
        lex,
        cur: first,
        prev: None,
        depth: 0,
    };
    let root = p.expr(0)?;
    match p.cur.tok {
        Tok::Eof => Ok(Ast { root }),
        Tok::RParen => Err(ExprError::new(
            "unmatched ')': there is no '(' for it to close",
            p.cur.offset,
            p.cur.len,
        )),
        _ => Err(ExprError::new(
            format!(
                "expected an operator or the end of the expression, found {}",
                p.describe(p.cur)
            ),
            p.cur.offset,
            p.cur.len,
        )),
    }
}

// ---------------------------------------------------------------------------------------
// Lowering: name resolution and constant folding
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
enum IrKind {
    Const(f64),
    Slot(usize),
    Un(Un, Box<Ir>),
    Bin(Bin, Box<Ir>, Box<Ir>),
    Tri(Tri, Box<[Ir; 3]>),
    /// `op(op(op(a, b), c), ...)` for min/max with three or more arguments: kept flat so
    /// that a call with thousands of arguments does not become a thousands-deep tree.
    Chain(Bin, Vec<Ir>),
    If(Box<[Ir; 3]>),
    And(Box<Ir>, Box<Ir>),
    Or(Box<Ir>, Box<Ir>),
}

#[derive(Debug)]
struct Ir {
    kind: IrKind,
    offset: usize,
    len: usize,
}

impl Ir {
    fn constant(&self) -> Option<f64> {
        match self.kind {
            IrKind::Const(c) => Some(c),
            _ => None,
        }
    }
}

type Resolver<'r> = dyn FnMut(&str) -> Option<usize> + 'r;

fn at(kind: IrKind, node: &Node) -> Ir {
    Ir {
        kind,
        offset: node.offset,
        len: node.len,
    }
}

// Only whole-constant operations are folded: rewriting `0 * x` to 0 or reassociating
// `x * 2 * 3` would change results for NaN/inf inputs or by rounding.
fn fold_un(op: Un, x: Ir, node: &Node) -> Ir {
    match x.constant() {
        Some(v) => at(IrKind::Const(op.apply(v)), node),
        None => at(IrKind::Un(op, Box::new(x)), node),
    }
}

fn fold_bin(op: Bin, l: Ir, r: Ir, node: &Node) -> Ir {
    match (l.constant(), r.constant()) {
        (Some(a), Some(b)) => at(IrKind::Const(op.apply(a, b)), node),
        _ => at(IrKind::Bin(op, Box::new(l), Box::new(r)), node),
    }
}

fn fold_tri(op: Tri, [a, b, c]: [Ir; 3], node: &Node) -> Ir {
    match (a.constant(), b.constant(), c.constant()) {
        (Some(x), Some(y), Some(z)) => at(IrKind::Const(op.apply(x, y, z)), node),
        _ => at(IrKind::Tri(op, Box::new([a, b, c])), node),
    }
}

fn fold_if([c, a, b]: [Ir; 3], node: &Node) -> Ir {
    match c.constant() {
        Some(v) if v != 0.0 => a,
        Some(_) => b,
        None => at(IrKind::If(Box::new([c, a, b])), node),
    }
}

fn fold_logic(is_and: bool, l: Ir, r: Ir, node: &Node) -> Ir {
    match l.constant() {
        // `0 and _` and `nonzero or _` are decided by the left side alone.
        Some(c) if (c == 0.0) == is_and => at(IrKind::Const(truth(!is_and)), node),
        Some(_) => fold_un(Un::Truthy, r, node),
        None if is_and => at(IrKind::And(Box::new(l), Box::new(r)), node),
        None => at(IrKind::Or(Box::new(l), Box::new(r)), node),
    }
}

fn unknown_name(name: &str, node: &Node, known: &[&str]) -> ExprError {
    let message = match closest(name, known.iter().copied()) {
        // The caller knows the name but its resolver refused it (say, a self-reference).
        _ if known.contains(&name) => format!("`{name}` cannot be used in this expression"),
        _ if name == "log" => "unknown name `log`; for logarithms use `ln(x)` (natural) or `log10(x)`".to_string(),
        Some(s) => format!("unknown name `{name}`; did you mean `{s}`?"),
        None if FUNCTIONS.iter().any(|f| f.name == name) => {
            format!("unknown name `{name}`; `{name}` is a function, call it like `{name}(x)`")
        }
        None => format!("unknown name `{name}`"),
    };
    ExprError::new(message, node.offset, node.len)
}

fn arity_bug(node: &Node) -> ExprError {
    ExprError::new(
        "internal error: a call with the wrong number of arguments survived parsing",
        node.offset,
        node.len,
    )
}

/// Resolves names and folds constants, turning the syntax tree into the compiler's tree.
///
/// Each tree level costs one `lower` frame, so the work for rarer node kinds lives in
/// helpers: that keeps the recursive frame small, which matters in unoptimised builds.
struct Lowering<'r, 'k> {
    resolve: &'r mut Resolver<'r>,
    known: &'k [&'k str],
}

impl Lowering<'_, '_> {
    fn lower(&mut self, node: &Node) -> Result<Ir, ExprError> {
        match &node.kind {
            Kind::Num(v) => Ok(at(IrKind::Const(*v), node)),
            Kind::Name(name) => self.name(name, node),
            Kind::Neg(x) => self.unary(Un::Neg, x, node),
            Kind::Not(x) => self.unary(Un::Not, x, node),
            Kind::And(l, r) => self.logic(true, l, r, node),
            Kind::Or(l, r) => self.logic(false, l, r, node),
            Kind::Binary(op, l, r) => self.binary(*op, l, r, node),
            Kind::Call(func, args) => self.call(*func, args, node),
        }
    }

    fn name(&mut self, name: &str, node: &Node) -> Result<Ir, ExprError> {
        match (self.resolve)(name) {
            Some(slot) => Ok(at(IrKind::Slot(slot), node)),
            None => Err(unknown_name(name, node, self.known)),
        }
    }

    fn unary(&mut self, op: Un, x: &Node, node: &Node) -> Result<Ir, ExprError> {
        let x = self.lower(x)?;
        Ok(fold_un(op, x, node))
    }

    fn binary(&mut self, op: Bin, l: &Node, r: &Node, node: &Node) -> Result<Ir, ExprError> {
        let l = self.lower(l)?;
        let r = self.lower(r)?;
        Ok(fold_bin(op, l, r, node))
    }

    fn logic(&mut self, is_and: bool, l: &Node, r: &Node, node: &Node) -> Result<Ir, ExprError> {
        // Both sides are lowered even when one is dead so that typos are always reported.
        let l = self.lower(l)?;
        let r = self.lower(r)?;
        Ok(fold_logic(is_and, l, r, node))
    }

    fn call(&mut self, func: Func, args: &[Node], node: &Node) -> Result<Ir, ExprError> {
        let mut irs = Vec::with_capacity(args.len());
        for a in args {
            irs.push(self.lower(a)?);
        }
        build_call(func, irs, node)
    }
}

/// Combines a call's lowered arguments; kept out of the recursion, see [`Lowering`].
fn build_call(func: Func, irs: Vec<Ir>, node: &Node) -> Result<Ir, ExprError> {
    let unary = |op: Un, irs: Vec<Ir>| match <[Ir; 1]>::try_from(irs) {
        Ok([x]) => Ok(fold_un(op, x, node)),
        Err(_) => Err(arity_bug(node)),
    };
    let binary = |op: Bin, irs: Vec<Ir>| match <[Ir; 2]>::try_from(irs) {
        Ok([x, y]) => Ok(fold_bin(op, x, y, node)),
        Err(_) => Err(arity_bug(node)),
    };
    let three = |irs: Vec<Ir>| <[Ir; 3]>::try_from(irs).map_err(|_| arity_bug(node));
    match func {
        Func::Min | Func::Max => {
            let op = if func == Func::Min { Bin::Min } else { Bin::Max };
            // Fold the leading run of constants, keeping strict left-to-right semantics.
            let mut it = irs.into_iter();
            let mut acc = it.next().ok_or_else(|| arity_bug(node))?;
            let mut rest = Vec::new();
            for x in it {
                match (acc.constant(), x.constant(), rest.is_empty()) {
                    (Some(a), Some(b), true) => acc = at(IrKind::Const(op.apply(a, b)), node),
                    _ => rest.push(x),
                }
            }
            Ok(match rest.len() {
                0 => acc,
                1 => fold_bin(op, acc, rest.remove(0), node),
                _ => {
                    rest.insert(0, acc);
                    at(IrKind::Chain(op, rest), node)
                }
            })
        }
        Func::Exp => unary(Un::Exp, irs),
        Func::Ln => unary(Un::Ln, irs),
        Func::Log10 => unary(Un::Log10, irs),
        Func::Sqrt => unary(Un::Sqrt, irs),
        Func::Abs => unary(Un::Abs, irs),
        Func::Floor => unary(Un::Floor, irs),
        Func::Ceil => unary(Un::Ceil, irs),
        Func::Round => unary(Un::Round, irs),
        Func::Pow => binary(Bin::Pow, irs),
        Func::RateToProb => binary(Bin::RateToProb, irs),
        Func::ProbToRate => binary(Bin::ProbToRate, irs),
        Func::Clamp => Ok(fold_tri(Tri::Clamp, three(irs)?, node)),
        Func::ConvertProb => Ok(fold_tri(Tri::ConvertProb, three(irs)?, node)),
        Func::If => Ok(fold_if(three(irs)?, node)),
    }
}

// ---------------------------------------------------------------------------------------
// Code generation
// ---------------------------------------------------------------------------------------

/// One stack-machine instruction.
///
/// Every binary operation comes in six operand forms: both operands on the stack
/// (`Bin`, or `BinSwapped` when the right one was pushed first), or one of them taken
/// straight from the instruction as a constant or slot. The `+ - * /` forms also get
/// variants of their own: they measured 15-20% faster on arithmetic-heavy expressions than
/// the generic `Bin*(op, ..)` forms, whose second `match` on the operation is a second
/// indirect jump.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Instr {
    Const(f64),
    Slot(usize),
    // Addition and multiplication are commutative in IEEE 754, so they need no swapped
    // or constant-on-the-left forms.
    Add,
    AddConst(f64),
    AddSlot(usize),
    Mul,
    MulConst(f64),
    MulSlot(usize),
    Sub,
    SubSwapped,
    SubConst(f64),
    SubSlot(usize),
    ConstSub(f64),
    SlotSub(usize),
    Div,
    DivSwapped,
    DivConst(f64),
    DivSlot(usize),
    ConstDiv(f64),
    SlotDiv(usize),
    Un(Un),
    /// Pops the right operand, applies the operation to the top and it.
    Bin(Bin),
    /// Like `Bin`, but the right operand was pushed first, so it is the one beneath.
    BinSwapped(Bin),
    /// Right operand from the instruction: `x < 2`.
    BinConst(Bin, f64),
    BinSlot(Bin, usize),
    /// Left operand from the instruction: `2 ^ x`.
    ConstBin(Bin, f64),
    SlotBin(Bin, usize),
    Tri(Tri),
    Jump(usize),
    /// Pops the condition; jumps when it is zero.
    JumpIfFalse(usize),
    /// `and`: if the top is zero, leaves 0 and jumps; otherwise pops it.
    AndJump(usize),
    /// `or`: if the top is non-zero, leaves 1 and jumps; otherwise pops it.
    OrJump(usize),
}

/// Where a binary operation finds its operands.
#[derive(Clone, Copy)]
enum Form {
    Stack,
    Swapped,
    RightConst(f64),
    RightSlot(usize),
    LeftConst(f64),
    LeftSlot(usize),
}

impl Instr {
    /// The instruction for `op` with operands in `form`, specialised where one exists.
    fn binary(op: Bin, form: Form) -> Instr {
        use Form::*;
        match (op, form) {
            (Bin::Add, Stack | Swapped) => Instr::Add,
            (Bin::Add, RightConst(c) | LeftConst(c)) => Instr::AddConst(c),
            (Bin::Add, RightSlot(i) | LeftSlot(i)) => Instr::AddSlot(i),
            (Bin::Mul, Stack | Swapped) => Instr::Mul,
            (Bin::Mul, RightConst(c) | LeftConst(c)) => Instr::MulConst(c),
            (Bin::Mul, RightSlot(i) | LeftSlot(i)) => Instr::MulSlot(i),
            (Bin::Sub, Stack) => Instr::Sub,
            (Bin::Sub, Swapped) => Instr::SubSwapped,
            (Bin::Sub, RightConst(c)) => Instr::SubConst(c),
            (Bin::Sub, RightSlot(i)) => Instr::SubSlot(i),
            (Bin::Sub, LeftConst(c)) => Instr::ConstSub(c),
            (Bin::Sub, LeftSlot(i)) => Instr::SlotSub(i),
            (Bin::Div, Stack) => Instr::Div,
            (Bin::Div, Swapped) => Instr::DivSwapped,
            (Bin::Div, RightConst(c)) => Instr::DivConst(c),
            (Bin::Div, RightSlot(i)) => Instr::DivSlot(i),
            (Bin::Div, LeftConst(c)) => Instr::ConstDiv(c),
            (Bin::Div, LeftSlot(i)) => Instr::SlotDiv(i),
            (op, Stack) => Instr::Bin(op),
            (op, Swapped) => Instr::BinSwapped(op),
            (op, RightConst(c)) => Instr::BinConst(op, c),
            (op, RightSlot(i)) => Instr::BinSlot(op, i),
            (op, LeftConst(c)) => Instr::ConstBin(op, c),
            (op, LeftSlot(i)) => Instr::SlotBin(op, i),
        }
    }

    /// Whether this is one of the plain arithmetic instructions [`Program::eval_lanes`] runs.
    fn is_arithmetic(&self) -> bool {
        matches!(
            self,
            Instr::Const(_)
                | Instr::Slot(_)
                | Instr::Add
                | Instr::AddConst(_)
                | Instr::AddSlot(_)
                | Instr::Mul
                | Instr::MulConst(_)
                | Instr::MulSlot(_)
                | Instr::Sub
                | Instr::SubSwapped
                | Instr::SubConst(_)
                | Instr::SubSlot(_)
                | Instr::ConstSub(_)
                | Instr::SlotSub(_)
                | Instr::Div
                | Instr::DivSwapped
                | Instr::DivConst(_)
                | Instr::DivSlot(_)
                | Instr::ConstDiv(_)
                | Instr::SlotDiv(_)
        )
    }

    /// The slot this instruction reads, if any.
    fn slot(&self) -> Option<usize> {
        match *self {
            Instr::Slot(i)
            | Instr::AddSlot(i)
            | Instr::MulSlot(i)
            | Instr::SubSlot(i)
            | Instr::SlotSub(i)
            | Instr::DivSlot(i)
            | Instr::SlotDiv(i)
            | Instr::BinSlot(_, i)
            | Instr::SlotBin(_, i) => Some(i),
            _ => None,
        }
    }
}

struct Codegen {
    code: Vec<Instr>,
    depth: usize,
    max_depth: usize,
}

/// How many stack entries `emit` will use for `ir`; mirrors its choices exactly.
fn stack_need(ir: &Ir) -> usize {
    let is_leaf = |x: &Ir| matches!(x.kind, IrKind::Const(_) | IrKind::Slot(_));
    match &ir.kind {
        IrKind::Const(_) | IrKind::Slot(_) => 1,
        IrKind::Un(_, x) => stack_need(x),
        IrKind::Bin(_, l, r) if is_leaf(r) => stack_need(l),
        IrKind::Bin(_, l, r) if is_leaf(l) => stack_need(r),
        IrKind::Bin(_, l, r) => {
            let (a, b) = (stack_need(l), stack_need(r));
            if a == b {
                a + 1
            } else {
                a.max(b)
            }
        }
        IrKind::Tri(_, args) => {
            let [a, b, c] = &**args;
            stack_need(a).max(stack_need(b) + 1).max(stack_need(c) + 2)
        }
        IrKind::Chain(_, items) => items
            .iter()
            .enumerate()
            .map(|(k, x)| match k {
                0 => stack_need(x),
                _ if is_leaf(x) => 1,
                _ => stack_need(x) + 1,
            })
            .max()
            .unwrap_or(1),
        IrKind::If(args) => args.iter().map(stack_need).max().unwrap_or(1),
        IrKind::And(l, r) | IrKind::Or(l, r) => stack_need(l).max(stack_need(r)),
    }
}

fn too_many_values(ir: &Ir) -> ExprError {
    ExprError::new(
        format!(
            "expression nested too deeply: evaluating it needs more than {MAX_STACK} \
             intermediate values; split it into intermediate parameters"
        ),
        ir.offset,
        ir.len,
    )
}

impl Codegen {
    fn push(&mut self, ir: &Ir, instr: Instr) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_STACK {
            return Err(too_many_values(ir));
        }
        self.max_depth = self.max_depth.max(self.depth);
        self.code.push(instr);
        Ok(())
    }

    fn patch(&mut self, at: usize) {
        let target = self.code.len();
        if let Some(Instr::Jump(t) | Instr::JumpIfFalse(t) | Instr::AndJump(t) | Instr::OrJump(t)) =
            self.code.get_mut(at)
        {
            *t = target;
        }
    }

    // As with lowering, the recursive function stays small and the rarer shapes live in helpers.
    fn emit(&mut self, ir: &Ir) -> Result<(), ExprError> {
        match &ir.kind {
            IrKind::Const(c) => self.push(ir, Instr::Const(*c)),
            IrKind::Slot(i) => self.push(ir, Instr::Slot(*i)),
            IrKind::Un(op, x) => {
                self.emit(x)?;
                self.code.push(Instr::Un(*op));
                Ok(())
            }
            IrKind::Bin(op, l, r) => self.emit_bin(*op, l, r),
            IrKind::Tri(op, args) => self.emit_tri(*op, args),
            IrKind::Chain(op, items) => self.emit_chain(*op, items),
            IrKind::If(args) => self.emit_if(args),
            IrKind::And(l, r) => self.emit_logic(Instr::AndJump(0), l, r),
            IrKind::Or(l, r) => self.emit_logic(Instr::OrJump(0), l, r),
        }
    }

    fn emit_bin(&mut self, op: Bin, l: &Ir, r: &Ir) -> Result<(), ExprError> {
        // A leaf operand is folded into the instruction, on either side, so the common
        // `x * 2`, `1 - x` and `p * f(...)` shapes never touch the stack array.
        let form = match (&l.kind, &r.kind) {
            (_, IrKind::Const(c)) => {
                self.emit(l)?;
                Form::RightConst(*c)
            }
            (_, IrKind::Slot(i)) => {
                self.emit(l)?;
                Form::RightSlot(*i)
            }
            (IrKind::Const(c), _) => {
                self.emit(r)?;
                Form::LeftConst(*c)
            }
            (IrKind::Slot(i), _) => {
                self.emit(r)?;
                Form::LeftSlot(*i)
            }
            // Both sides are compound: evaluate the hungrier one first (Sethi-Ullman
            // ordering), which keeps the stack as shallow as possible. Operations have no
            // side effects, so the order is unobservable.
            _ if stack_need(r) > stack_need(l) => {
                self.emit(r)?;
                self.emit(l)?;
                self.depth -= 1;
                Form::Swapped
            }
            _ => {
                self.emit(l)?;
                self.emit(r)?;
                self.depth -= 1;
                Form::Stack
            }
        };
        self.code.push(Instr::binary(op, form));
        Ok(())
    }

    fn emit_chain(&mut self, op: Bin, items: &[Ir]) -> Result<(), ExprError> {
        let Some((first, rest)) = items.split_first() else {
            return Ok(());
        };
        self.emit(first)?;
        for x in rest {
            let form = match x.kind {
                IrKind::Const(c) => Form::RightConst(c),
                IrKind::Slot(i) => Form::RightSlot(i),
                _ => {
                    self.emit(x)?;
                    self.depth -= 1;
                    Form::Stack
                }
            };
            self.code.push(Instr::binary(op, form));
        }
        Ok(())
    }

    fn emit_tri(&mut self, op: Tri, args: &[Ir; 3]) -> Result<(), ExprError> {
        for a in args {
            self.emit(a)?;
        }
        self.code.push(Instr::Tri(op));
        self.depth -= 2;
        Ok(())
    }

    fn emit_if(&mut self, [c, a, b]: &[Ir; 3]) -> Result<(), ExprError> {
        self.emit(c)?;
        let jump_else = self.code.len();
        self.code.push(Instr::JumpIfFalse(0));
        self.depth -= 1;
        self.emit(a)?;
        let jump_end = self.code.len();
        self.code.push(Instr::Jump(0));
        self.patch(jump_else);
        // The else branch starts from the same stack as the then branch did.
        self.depth -= 1;
        self.emit(b)?;
        self.patch(jump_end);
        Ok(())
    }

    fn emit_logic(&mut self, jump: Instr, l: &Ir, r: &Ir) -> Result<(), ExprError> {
        self.emit(l)?;
        let at = self.code.len();
        self.code.push(jump);
        self.depth -= 1;
        self.emit(r)?;
        self.code.push(Instr::Un(Un::Truthy));
        self.patch(at);
        Ok(())
    }
}

/// A compiled expression: a compact instruction list over a fixed-size value stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    code: Vec<Instr>,
    reads: Vec<usize>,
    /// Most values on the stack at once, including the top; at most `MAX_STACK`.
    depth: usize,
    /// Whether [`Program::eval_lanes`] can run it: only + − × ÷ on constants and slots, at most
    /// [`LANE_STACK`] values deep.
    lane_arithmetic: bool,
}

/// The deepest stack [`Program::eval_lanes`] handles (`p * rr`, `a + b * c` and the like need 1 to 3).
const LANE_STACK: usize = 4;

/// Compiles an AST, resolving names to slots via `resolve` and suggesting the closest of `known` for unknown names.
pub fn compile(
    ast: &Ast,
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
) -> Result<Program, ExprError> {
    let ir = Lowering { resolve, known }.lower(&ast.root)?;
    let mut cg = Codegen {
        code: Vec::new(),
        depth: 0,
        max_depth: 0,
    };
    cg.emit(&ir)?;
    Ok(Program::from_code(cg.code, cg.max_depth))
}

/// Parses and compiles in one step.
pub fn parse_and_compile(
    src: &str,
    resolve: &mut dyn FnMut(&str) -> Option<usize>,
    known: &[&str],
) -> Result<Program, ExprError> {
    compile(&parse(src)?, resolve, known)
}

impl Program {
    fn from_code(code: Vec<Instr>, depth: usize) -> Program {
        let mut reads: Vec<usize> = code.iter().filter_map(Instr::slot).collect();
        reads.sort_unstable();
        reads.dedup();
        let lane_arithmetic = depth <= LANE_STACK && code.iter().all(Instr::is_arithmetic);
        Program {
            code,
            reads,
            depth,
            lane_arithmetic,
        }
    }

    /// A program that always yields `value`.
    pub fn constant(value: f64) -> Program {
        Program::from_code(vec![Instr::Const(value)], 1)
    }

    /// A program that yields the value of slot `index`.
    pub fn slot(index: usize) -> Program {
        Program::from_code(vec![Instr::Slot(index)], 1)
    }

    /// Evaluates with the current slot values. No allocation, no string handling.
    ///
    /// Panics if `slots` is too short for an index in [`Program::reads`]; that is a bug in
    /// the caller's slot layout, not something an expression can cause.
    pub fn eval(&self, slots: &[f64]) -> f64 {
        // Zeroing the value array is a measurable share of a short evaluation, so run with
        // the smallest array that fits; most real expressions need only one or two values.
        match self.depth {
            0..=2 => self.run::<2>(slots),
            3..=4 => self.run::<4>(slots),
            5..=8 => self.run::<8>(slots),
            _ => self.run::<MAX_STACK>(slots),
        }
    }

    /// The interpreter loop, with a value array of `N` (a power of two, at least `self.depth`).
    #[inline(always)]
    fn run<const N: usize>(&self, slots: &[f64]) -> f64 {
        // Indices are masked instead of bounds-checked: compile() guarantees the stack never
        // exceeds `depth` <= N, so the mask never changes an index; it only lets the
        // optimiser drop the check without `unsafe`.
        let mask = N - 1;
        // The top of the stack lives in a local (register) and only the values beneath it
        // go to the array, which saves a store and a load on most instructions.
        let mut top = 0.0_f64;
        let mut rest = [0.0_f64; N];
        let mut sp = 0_usize;
        let code = self.code.as_slice();
        let mut pc = 0;
        while let Some(&instr) = code.get(pc) {
            pc += 1;
            match instr {
                Instr::Const(c) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = c;
                }
                Instr::Slot(i) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    top = slots[i];
                }
                Instr::Add => {
                    sp -= 1;
                    top += rest[sp & mask];
                }
                Instr::AddConst(c) => top += c,
                Instr::AddSlot(i) => top += slots[i],
                Instr::Mul => {
                    sp -= 1;
                    top *= rest[sp & mask];
                }
                Instr::MulConst(c) => top *= c,
                Instr::MulSlot(i) => top *= slots[i],
                Instr::Sub => {
                    sp -= 1;
                    top = rest[sp & mask] - top;
                }
                Instr::SubSwapped => {
                    sp -= 1;
                    top -= rest[sp & mask];
                }
                Instr::SubConst(c) => top -= c,
                Instr::SubSlot(i) => top -= slots[i],
                Instr::ConstSub(c) => top = c - top,
                Instr::SlotSub(i) => top = slots[i] - top,
                Instr::Div => {
                    sp -= 1;
                    top = rest[sp & mask] / top;
                }
                Instr::DivSwapped => {
                    sp -= 1;
                    top /= rest[sp & mask];
                }
                Instr::DivConst(c) => top /= c,
                Instr::DivSlot(i) => top /= slots[i],
                Instr::ConstDiv(c) => top = c / top,
                Instr::SlotDiv(i) => top = slots[i] / top,
                Instr::Un(op) => top = op.apply(top),
                Instr::Bin(op) => {
                    sp -= 1;
                    top = op.apply(rest[sp & mask], top);
                }
                Instr::BinSwapped(op) => {
                    sp -= 1;
                    top = op.apply(top, rest[sp & mask]);
                }
                Instr::BinConst(op, c) => top = op.apply(top, c),
                Instr::BinSlot(op, i) => top = op.apply(top, slots[i]),
                Instr::ConstBin(op, c) => top = op.apply(c, top),
                Instr::SlotBin(op, i) => top = op.apply(slots[i], top),
                Instr::Tri(op) => {
                    sp -= 2;
                    top = op.apply(rest[sp & mask], rest[(sp + 1) & mask], top);
                }
                Instr::Jump(t) => pc = t,
                Instr::JumpIfFalse(t) => {
                    let cond = top;
                    sp -= 1;
                    top = rest[sp & mask];
                    if cond == 0.0 {
                        pc = t;
                    }
                }
                Instr::AndJump(t) => {
                    if top == 0.0 {
                        top = 0.0; // normalise -0.0
                        pc = t;
                    } else {
                        sp -= 1;
                        top = rest[sp & mask];
                    }
                }
                Instr::OrJump(t) => {
                    if top != 0.0 {
                        top = 1.0;
                        pc = t;
                    } else {
                        sp -= 1;
                        top = rest[sp & mask];
                    }
                }
            }
        }
        top
    }

    /// Evaluates the program for `L` sets of slot values at once (slot i of set l is `slots[i][l]`), doing exactly
    /// the arithmetic [`Program::eval`] does on each set, so every lane's result is the same bits. Returns None for
    /// programs that are not plain arithmetic (functions, comparisons, conditionals): evaluate those set by set.
    ///
    /// Why a second interpreter: the cohort fast path runs 8 iterations together, and evaluating their derived
    /// parameters (`p * rr`) one iteration at a time cost 6% of its instructions; here each instruction is dispatched
    /// once for all 8 and its arithmetic compiles to vector instructions.
    pub fn eval_lanes<const L: usize>(&self, slots: &[[f64; L]]) -> Option<[f64; L]> {
        if !self.lane_arithmetic {
            return None;
        }
        let zip =
            |a: [f64; L], b: [f64; L], f: fn(f64, f64) -> f64| -> [f64; L] { std::array::from_fn(|l| f(a[l], b[l])) };
        // As in `run`: the top of the stack apart, the values beneath it in `rest`.
        let mut top = [0.0; L];
        let mut rest = [[0.0; L]; LANE_STACK];
        let mut sp = 0_usize;
        let mask = LANE_STACK - 1;
        for &instr in &self.code {
            top = match instr {
                Instr::Const(c) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    [c; L]
                }
                Instr::Slot(i) => {
                    rest[sp & mask] = top;
                    sp += 1;
                    slots[i]
                }
                Instr::Add | Instr::Mul | Instr::Sub | Instr::SubSwapped | Instr::Div | Instr::DivSwapped => {
                    sp -= 1;
                    let below = rest[sp & mask];
                    match instr {
                        Instr::Add => zip(top, below, |t, b| t + b),
                        Instr::Mul => zip(top, below, |t, b| t * b),
                        Instr::Sub => zip(top, below, |t, b| b - t),
                        Instr::SubSwapped => zip(top, below, |t, b| t - b),
                        Instr::Div => zip(top, below, |t, b| b / t),
                        _ => zip(top, below, |t, b| t / b),
                    }
                }
                Instr::AddConst(c) => zip(top, [c; L], |t, c| t + c),
                Instr::AddSlot(i) => zip(top, slots[i], |t, v| t + v),
                Instr::MulConst(c) => zip(top, [c; L], |t, c| t * c),
                Instr::MulSlot(i) => zip(top, slots[i], |t, v| t * v),
                Instr::SubConst(c) => zip(top, [c; L], |t, c| t - c),
                Instr::SubSlot(i) => zip(top, slots[i], |t, v| t - v),
                Instr::ConstSub(c) => zip(top, [c; L], |t, c| c - t),
                Instr::SlotSub(i) => zip(top, slots[i], |t, v| v - t),
                Instr::DivConst(c) => zip(top, [c; L], |t, c| t / c),
                Instr::DivSlot(i) => zip(top, slots[i], |t, v| t / v),
                Instr::ConstDiv(c) => zip(top, [c; L], |t, c| c / t),
                Instr::SlotDiv(i) => zip(top, slots[i], |t, v| v / t),
                _ => unreachable!("lane_arithmetic admits only the instructions above"),
            };
        }
        Some(top)
    }

    /// Distinct slot indices this program reads (sorted).
    pub fn reads(&self) -> &[usize] {
        &self.reads
    }

    /// The value if the program is a constant after folding.
    pub fn as_constant(&self) -> Option<f64> {
        match self.code.as_slice() {
            [Instr::Const(c)] => Some(*c),
            _ => None,
        }
    }

    /// The slot index if the program just reads one slot, letting callers skip evaluation.
    pub fn as_slot(&self) -> Option<usize> {
        match self.code.as_slice() {
            [Instr::Slot(i)] => Some(*i),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test environment: slot i holds VALUES[i] and is named NAMES[i].
    const NAMES: &[&str] = &["a", "b", "c", "x", "zero", "neg", "t", "p", "rr", "p_home", "half"];
    const VALUES: &[f64] = &[2.0, 3.0, 4.0, -1.0, 0.0, -2.0, 10.0, 0.5, 0.8, 0.3, 0.5];

    fn slot_of(name: &str) -> Option<usize> {
        NAMES.iter().position(|n| *n == name)
    }

    fn build(src: &str) -> Result<Program, ExprError> {
        parse_and_compile(src, &mut slot_of, NAMES)
    }

    fn program(src: &str) -> Program {
        build(src).unwrap_or_else(|e| panic!("{src:?} failed: {e}\n{}", e.snippet(src)))
    }

    #[test]
    fn lane_evaluation_does_each_lanes_arithmetic_exactly() {
        // Between them these use every instruction `eval_lanes` runs, in every operand form.
        let arithmetic = [
            "a",
            "2.5",
            "a + b",
            "a + 2",
            "2 + a",
            "(a * b) + (c * x)",
            "a * b",
            "a * 3",
            "(a + b) * (c + x)",
            "a - b",
            "b - a",
            "a - 2",
            "2 - a",
            "(a * b) - (c * x)",
            "(a * b) - c",
            "c - (a * b)",
            "a / b",
            "a / 2",
            "2 / a",
            "(a + b) / (c + x)",
            "(a + b) / c",
            "c / (a + b)",
            "(a - b) / zero",
            "p * rr",
            "a - b - c - x",
            "2 - (a * b)",
            "a - (b * c)",
            "2 / (a + b)",
            "a / b / c / x",
            "(a + b) - ((a - c) / (b - x))",
            "(a + b) / ((a - c) * (b - x))",
        ];
        let mut seen = std::collections::HashSet::new();
        // Lane l's slots: VALUES scaled and shifted per lane, so the lanes differ.
        let lanes: Vec<[f64; 8]> = VALUES
            .iter()
            .map(|&v| std::array::from_fn(|l| v * (1.0 + 0.37 * l as f64) - l as f64 * 0.25))
            .collect();
        for src in arithmetic {
            let p = program(src);
            seen.extend(p.code.iter().map(std::mem::discriminant));
            let got = p
                .eval_lanes(&lanes)
                .unwrap_or_else(|| panic!("{src:?} is plain arithmetic"));
            for l in 0..8 {
                let slots: Vec<f64> = lanes.iter().map(|v| v[l]).collect();
                assert_eq!(got[l].to_bits(), p.eval(&slots).to_bits(), "{src:?}, lane {l}");
            }
        }
        let all = [
            Instr::Const(0.0),
            Instr::Slot(0),
            Instr::Add,
            Instr::AddConst(0.0),
            Instr::AddSlot(0),
            Instr::Mul,
            Instr::MulConst(0.0),
            Instr::MulSlot(0),
            Instr::Sub,
            Instr::SubSwapped,
            Instr::SubConst(0.0),
            Instr::SubSlot(0),
            Instr::ConstSub(0.0),
            Instr::SlotSub(0),
            Instr::Div,
            Instr::DivSwapped,
            Instr::DivConst(0.0),
            Instr::DivSlot(0),
            Instr::ConstDiv(0.0),
            Instr::SlotDiv(0),
        ];
        for instr in all {
            assert!(instr.is_arithmetic());
            assert!(
                seen.contains(&std::mem::discriminant(&instr)),
                "no expression used {instr:?}"
            );
        }
        // Anything else is left to `eval`, lane by lane.
        for src in [
            "exp(a)",
            "if(a > b, a, b)",
            "min(a, b) + c",
            "a < b",
            "a and b",
            "a ^ 2",
            "-a + b",
        ] {
            assert!(program(src).eval_lanes(&lanes).is_none(), "{src:?}");
        }
    }

    fn err(src: &str) -> ExprError {
        match build(src) {
            Ok(p) => panic!("{src:?} should fail but compiled to {p:?}"),
            Err(e) => e,
        }
    }

    /// Asserts the error's message contains every part and that it points at `offset..offset+len`.
    fn check_err(src: &str, offset: usize, len: usize, parts: &[&str]) {
        let e = err(src);
        for part in parts {
            assert!(
                e.message.contains(part),
                "{src:?}: message {:?} lacks {part:?}",
                e.message
            );
        }
        assert_eq!((e.offset, e.len), (offset, len), "{src:?}: {}", e.message);
    }

    /// Reference semantics: a direct tree-walking evaluator, written independently of the
    /// compiler, lowering and stack machine (only the textbook formulas are shared).
    fn walk(node: &Node, slots: &[f64]) -> f64 {
        let b = |v: bool| if v { 1.0 } else { 0.0 };
        let nan_aware = |a: f64, c: f64, pick_a: bool| {
            if a.is_nan() || c.is_nan() {
                f64::NAN
            } else if pick_a {
                a
            } else {
                c
            }
        };
        match &node.kind {
            Kind::Num(v) => *v,
            Kind::Name(n) => slots[slot_of(n).expect("test name")],
            Kind::Neg(x) => -walk(x, slots),
            Kind::Not(x) => b(walk(x, slots) == 0.0),
            Kind::And(l, r) => b(walk(l, slots) != 0.0 && walk(r, slots) != 0.0),
            Kind::Or(l, r) => b(walk(l, slots) != 0.0 || walk(r, slots) != 0.0),
            Kind::Binary(op, l, r) => {
                let (x, y) = (walk(l, slots), walk(r, slots));
                match op {
                    Bin::Add => x + y,
                    Bin::Sub => x - y,
                    Bin::Mul => x * y,
                    Bin::Div => x / y,
                    Bin::Pow => x.powf(y),
                    Bin::Lt => b(x < y),
                    Bin::Le => b(x <= y),
                    Bin::Gt => b(x > y),
                    Bin::Ge => b(x >= y),
                    Bin::Eq => b(x == y),
                    Bin::Ne => b(x != y),
                    other => panic!("{other:?} is not an infix operator"),
                }
            }
            Kind::Call(f, args) => {
                let v: Vec<f64> = match f {
                    // Lazy: evaluate the condition only, then one branch.
                    Func::If => {
                        return if walk(&args[0], slots) != 0.0 {
                            walk(&args[1], slots)
                        } else {
                            walk(&args[2], slots)
                        }
                    }
                    _ => args.iter().map(|a| walk(a, slots)).collect(),
                };
                match f {
                    Func::Min => v[1..].iter().fold(v[0], |m, &y| nan_aware(m, y, m <= y)),
                    Func::Max => v[1..].iter().fold(v[0], |m, &y| nan_aware(m, y, m >= y)),
                    Func::Exp => v[0].exp(),
                    Func::Ln => v[0].ln(),
                    Func::Log10 => v[0].log10(),
                    Func::Sqrt => v[0].sqrt(),
                    Func::Abs => v[0].abs(),
                    Func::Floor => v[0].floor(),
                    Func::Ceil => v[0].ceil(),
                    Func::Round => v[0].round(),
                    Func::Pow => v[0].powf(v[1]),
                    Func::Clamp => {
                        let (x, lo, hi) = (v[0], v[1], v[2]);
                        if x.is_nan() || lo.is_nan() || hi.is_nan() || lo > hi {
                            f64::NAN
                        } else {
                            x.max(lo).min(hi)
                        }
                    }
                    Func::RateToProb => -(-v[0] * v[1]).exp_m1(),
                    Func::ProbToRate => -(-v[0]).ln_1p() / v[1],
                    Func::ConvertProb => -((v[2] / v[1]) * (-v[0]).ln_1p()).exp_m1(),
                    Func::If => unreachable!(),
                }
            }
        }
    }

    fn same(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() && b.is_nan())
    }

    fn close(a: f64, b: f64) -> bool {
        same(a, b) || (a - b).abs() <= 1e-12 * a.abs().max(1.0)
    }

    #[test]
    fn evaluates_hand_computed_values() {
        let cases: &[(&str, f64)] = &[
            // numbers
            ("42", 42.0),
            ("0.5", 0.5),
            (".5 + 0.5", 1.0),
            ("1e-3", 0.001),
            ("2.5E+4", 25_000.0),
            ("1_000_000 * 1e-3", 1000.0),
            ("true + true + false", 2.0),
            // precedence and associativity
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("a + b * c", 14.0),
            ("10 - 4 - 3", 3.0),
            ("t - a - b", 5.0),
            ("100 / 10 / 5", 2.0),
            ("t / a / 5", 1.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("a ^ b ^ a", 512.0),
            ("(2 ^ 3) ^ 2", 64.0),
            ("2 * 3 ^ 2", 18.0),
            ("a * b ^ a", 18.0),
            // unary minus vs ^
            ("-2 ^ 2", -4.0),
            ("-a ^ 2", -4.0),
            ("(-2) ^ 2", 4.0),
            ("neg ^ 2", 4.0),
            ("2 ^ -1", 0.5),
            ("a ^ -a", 0.25),
            ("--a", 2.0),
            ("-+-a", 2.0),
            ("+a", 2.0),
            ("a * -b", -6.0),
            ("-a - -b", 1.0),
            // comparisons give 1/0 and bind looser than arithmetic
            ("a < b", 1.0),
            ("b < a", 0.0),
            ("a <= 2", 1.0),
            ("a > b", 0.0),
            ("c > b", 1.0),
            ("a >= 2.5", 0.0),
            ("a >= 2", 1.0),
            ("a == 2", 1.0),
            ("a != 2", 0.0),
            ("a + 1 == b", 1.0),
            ("a < b + 1", 1.0),
            ("(a < b) < 1", 0.0),
            // logic: result is 1/0, not/! binds tightest, and binds tighter than or
            ("a and b", 1.0),
            ("a && zero", 0.0),
            ("zero or b", 1.0),
            ("zero || zero", 0.0),
            ("a < b and b < c", 1.0),
            ("a > b or b < c", 1.0),
            ("a > b or b > c", 0.0),
            ("1 or 0 and 0", 1.0),
            ("a or zero and zero", 1.0),
            ("not a", 0.0),
            ("not zero", 1.0),
            ("!zero", 1.0),
            ("!a == 0", 1.0),
            ("not 1 + 1", 1.0),
            ("not a + 1", 1.0),
            ("a != 2 or not (b == 3)", 0.0),
            // laziness: the unchosen side is never evaluated, so no NaN leaks out
            ("if(x > 0, ln(x), 0)", 0.0),
            ("if(x < 0, 7, ln(x))", 7.0),
            ("x > 0 and ln(x) > 0", 0.0),
            ("zero and ln(x)", 0.0),
            ("0 and ln(-1)", 0.0),
            ("a or ln(x)", 1.0),
            ("1 or ln(-1)", 1.0),
            ("if(a, b, c)", 3.0),
            ("if(zero, b, c)", 4.0),
            ("if(a > b, 10, 20)", 20.0),
            ("if(a < b, 10, 20)", 10.0),
            ("if(t < 2, 100, 50)", 50.0),
            ("if(a < b, if(b < c, 1, 2), 3)", 1.0),
            ("a + if(zero, 1, if(a, 10, 100)) * 2", 22.0),
            // functions
            ("min(a, b)", 2.0),
            ("min(c, b, a)", 2.0),
            ("max(a, c, b)", 4.0),
            ("max(neg, x)", -1.0),
            ("min(1, 2, 3, 4, a)", 1.0),
            ("exp(0)", 1.0),
            ("exp(1)", std::f64::consts::E),
            ("exp(zero)", 1.0),
            ("ln(1)", 0.0),
            ("ln(exp(a))", 2.0),
            ("log10(1000)", 3.0),
            ("log10(a * 50)", 2.0),
            ("sqrt(16)", 4.0),
            ("sqrt(c)", 2.0),
            ("abs(neg)", 2.0),
            ("abs(a)", 2.0),
            ("floor(2.7)", 2.0),
            ("floor(-2.5)", -3.0),
            ("ceil(2.1)", 3.0),
            ("ceil(-2.5)", -2.0),
            ("round(2.5)", 3.0),
            ("round(-2.5)", -3.0),
            ("round(2.4)", 2.0),
            ("pow(2, 10)", 1024.0),
            ("pow(a, b)", 8.0),
            ("clamp(5, 0, 1)", 1.0),
            ("clamp(-5, 0, 1)", 0.0),
            ("clamp(0.25, 0, 1)", 0.25),
            ("clamp(t, a, c)", 4.0),
            // 1 - e^-0.2 = 1 - 0.8187307530779818
            ("rate_to_prob(0.1, 2)", 0.181_269_246_922_018_2),
            // a rate of ln 2 per year halves survival in a year
            ("rate_to_prob(ln(2), 1)", 0.5),
            ("rate_to_prob(0, t)", 0.0),
            // -ln(1 - 0.5) / 1 = ln 2
            ("prob_to_rate(0.5, 1)", std::f64::consts::LN_2),
            // -ln(0.25) / 2 = ln 4 / 2 = ln 2
            ("prob_to_rate(0.75, 2)", std::f64::consts::LN_2),
            ("prob_to_rate(half, 1)", std::f64::consts::LN_2),
            // 1 - 0.81^0.5 = 1 - 0.9
            ("convert_prob(0.19, 1, 0.5)", 0.1),
            // 1 - 0.9^2 = 1 - 0.81
            ("convert_prob(0.1, 0.5, 1)", 0.19),
            // 1 - 0.5^(24/12) = 0.75: from a 12-month to a 24-month probability
            ("convert_prob(p, 12, 24)", 0.75),
            ("convert_prob(p_home, 1, 1)", 0.3),
            // the motivating examples
            ("p * rr ^ (t / 5)", 0.32),
            ("p * rr ^ (t / 5) + max(a, b)", 3.32),
            ("  p*rr^(t/5)+max(a,b)  ", 3.32),
            ("1 / zero", f64::INFINITY),
        ];
        for &(src, want) in cases {
            let prog = program(src);
            let got = prog.eval(VALUES);
            assert!(close(got, want), "{src:?}: got {got}, want {want}");
            let reference = walk(&parse(src).expect("parses").root, VALUES);
            assert!(close(reference, want), "{src:?}: reference gave {reference}");
        }
    }

    #[test]
    fn nan_propagates_through_min_max_and_clamp() {
        for src in [
            "min(1, 0 / 0)",
            "max(0 / 0, a)",
            "min(a, ln(x))",
            "clamp(ln(x), 0, 1)",
            "clamp(a, c, b)",
            "convert_prob(2, 1, 1)",
            "ln(x)",
        ] {
            assert!(program(src).eval(VALUES).is_nan(), "{src:?} should be NaN");
        }
        // NaN is not zero, so it counts as true.
        assert_eq!(program("if(ln(x), 1, 2)").eval(VALUES), 1.0);
    }

    #[test]
    fn folds_constants() {
        let cases: &[(&str, f64)] = &[
            ("2 * 3 + 4", 10.0),
            ("-2 ^ 2", -4.0),
            ("min(3, 1, 2) + max(1, 2)", 3.0),
            ("if(1 > 2, 10, 20)", 20.0),
            ("0 and 5", 0.0),
            ("2 and 5", 1.0),
            ("0 or 0", 0.0),
            ("not true", 0.0),
            ("clamp(5, 0, 1)", 1.0),
            ("convert_prob(0.19, 1, 0.5)", 0.1),
            ("rate_to_prob(0.1, 2) * 0", 0.0),
        ];
        for &(src, want) in cases {
            let prog = program(src);
            let got = prog.as_constant();
            assert!(got.is_some_and(|v| close(v, want)), "{src:?}: {got:?}");
            assert!(prog.reads().is_empty(), "{src:?}");
            assert_eq!(prog.code.len(), 1, "{src:?}");
        }
        // Leading constant arguments of min/max fold; later ones keep their place.
        let prog = program("min(3, 1, x, 2, 5)");
        assert_eq!(
            prog.code,
            vec![
                Instr::Const(1.0),
                Instr::BinSlot(Bin::Min, 3),
                Instr::BinConst(Bin::Min, 2.0),
                Instr::BinConst(Bin::Min, 5.0),
            ]
        );
        assert_eq!(prog.eval(VALUES), -1.0);
        // A NaN constant is still a constant.
        assert!(program("ln(-1)").as_constant().is_some_and(f64::is_nan));

        // Constant operands fold even beside a variable...
        let prog = program("2 * 3 + x");
        assert_eq!(prog.as_constant(), None);
        assert_eq!(prog.code, vec![Instr::Const(6.0), Instr::AddSlot(3)]);
        assert_eq!(prog.eval(VALUES), 5.0);
        let prog = program("x * (2 + 3)");
        assert_eq!(prog.code, vec![Instr::Slot(3), Instr::MulConst(5.0)]);

        // ...but never by algebra: 0 * x stays, because x may be NaN or infinite.
        let prog = program("0 * a");
        assert_eq!(prog.as_constant(), None);
        assert_eq!(prog.reads(), &[0]);

        // Dead branches and short-circuited operands disappear, and are not read.
        let prog = program("if(1 < 2, a, b)");
        assert_eq!(prog.as_slot(), Some(0));
        assert_eq!(prog.reads(), &[0]);
        let prog = program("0 and a");
        assert_eq!(prog.as_constant(), Some(0.0));
        assert!(prog.reads().is_empty());
        let prog = program("1 or a");
        assert_eq!(prog.as_constant(), Some(1.0));
        let prog = program("1 and c");
        assert_eq!(prog.reads(), &[2]);
        assert_eq!(prog.eval(VALUES), 1.0);
        // ...but names in them are still checked.
        check_err("if(1, a, nosuch)", 9, 6, &["unknown name `nosuch`"]);
        check_err("0 and nosuch", 6, 6, &["unknown name"]);
    }

    #[test]
    fn reads_are_sorted_and_distinct() {
        let prog = program("c + a * b - a + c / b");
        assert_eq!(prog.reads(), &[0, 1, 2]);
        let prog = program("if(t > 1, rr, p) + rr");
        assert_eq!(prog.reads(), &[6, 7, 8]);
        assert_eq!(program("min(x, x, x)").reads(), &[3]);
    }

    #[test]
    fn names_in_order_with_offsets() {
        let ast = parse("p_admit * rr ^ (t / 5) + max(a, 2)").expect("parses");
        assert_eq!(ast.names(), vec![("p_admit", 0), ("rr", 10), ("t", 16), ("a", 29)]);
        let ast = parse("x + x*(x)").expect("parses");
        assert_eq!(ast.names(), vec![("x", 0), ("x", 4), ("x", 7)]);
        // Keywords, constants and function names are not names.
        let ast = parse("if(true and not y, ln(z), false)").expect("parses");
        assert_eq!(ast.names(), vec![("y", 16), ("z", 22)]);
        assert_eq!(ast.span(), (0, 32));
        // Spans cover whole operands, parentheses included.
        assert_eq!(parse("(a + b) * c").expect("parses").span(), (0, 11));
        assert_eq!(parse(" c * (a + b) ").expect("parses").span(), (1, 11));
        assert_eq!(parse("-(a)^2").expect("parses").span(), (0, 6));
        assert!(parse("1 + 2").expect("parses").names().is_empty());
    }

    #[test]
    fn program_constructors() {
        let c = Program::constant(2.5);
        assert_eq!(c.eval(&[]), 2.5);
        assert_eq!(c.as_constant(), Some(2.5));
        assert!(c.reads().is_empty());
        let s = Program::slot(1);
        assert_eq!(s.eval(&[7.0, 9.0]), 9.0);
        assert_eq!(s.as_constant(), None);
        assert_eq!(s.as_slot(), Some(1));
        assert_eq!(s.reads(), &[1]);
    }

    #[test]
    fn unknown_names_and_functions() {
        check_err("p_hom + 1", 0, 5, &["unknown name `p_hom`; did you mean `p_home`?"]);
        check_err("2 * P_HOME", 4, 6, &["did you mean `p_home`?"]);
        let e = err("a + zzz");
        assert_eq!((e.offset, e.len), (4, 3));
        assert_eq!(e.message, "unknown name `zzz`");
        // A one-letter name is not "close" to every other one-letter name.
        assert!(!err("y").message.contains("did you mean"));
        check_err("exp + 1", 0, 3, &["`exp` is a function"]);
        check_err("a + mx(a, b)", 4, 2, &["unknown function `mx`; did you mean `max`?"]);
        check_err("sqr(a)", 0, 3, &["did you mean `sqrt`?"]);
        check_err("rate_to_probability(a, b)", 0, 19, &["unknown function"]);
        check_err("foo(1)", 0, 3, &["unknown function `foo`", "clamp"]);
        check_err("1 + log(a)", 4, 3, &["`log`", "`ln`", "`log10`"]);
        check_err("log", 0, 3, &["`ln(x)`", "`log10(x)`"]);
        // Known to the caller but refused by its resolver.
        let e = parse_and_compile("a + b", &mut |n| (n == "a").then_some(0), &["a", "b"]);
        assert_eq!(
            e.map_err(|e| (e.message, e.offset)),
            Err(("`b` cannot be used in this expression".to_string(), 4))
        );
    }

    #[test]
    fn wrong_arity() {
        check_err("exp(a, b)", 0, 3, &["`exp` takes 1 argument, but 2 were given"]);
        check_err("1 + min(a)", 4, 3, &["at least 2 arguments", "1 was given"]);
        check_err("max()", 0, 3, &["at least 2", "0 were given"]);
        check_err("if(a, b)", 0, 2, &["`if` takes 3 arguments", "value_if_false"]);
        check_err("clamp(a, b)", 0, 5, &["clamp(x, lo, hi)"]);
        check_err("convert_prob(p, 1)", 0, 12, &["3 arguments"]);
        check_err("pow(2)", 0, 3, &["2 arguments"]);
    }

    #[test]
    fn syntax_errors() {
        check_err("", 0, 0, &["empty expression"]);
        check_err("   ", 0, 0, &["empty expression"]);
        check_err("a < b < c", 6, 1, &["cannot be chained", "'and'", "a < b and b < c"]);
        check_err("a == b != c", 7, 2, &["cannot be chained"]);
        check_err("a + 1 >= b - 1 <= c", 15, 2, &["cannot be chained"]);
        check_err("(a + b", 0, 1, &["unclosed '('"]);
        check_err("a * ((b + c) * 2", 4, 1, &["unclosed '('"]);
        check_err("max(a, b", 3, 1, &["unclosed '('", "`max`"]);
        check_err("(a b)", 3, 1, &["expected an operator or ')'", "name `b`"]);
        check_err("max(a b)", 6, 1, &["expected ',' or ')' in the call to `max`"]);
        check_err("a + b)", 5, 1, &["unmatched ')'"]);
        check_err(
            "a b",
            2,
            1,
            &["expected an operator or the end of the expression, found name `b`"],
        );
        check_err("1 2", 2, 1, &["found number `2`"]);
        check_err(
            "a * ",
            4,
            0,
            &["unexpected end of input: expected a number, name or '(' after '*'"],
        );
        check_err("a * )", 4, 1, &["expected a number, name or '(' after '*', found ')'"]);
        check_err("()", 1, 1, &["after '(', found ')'"]);
        check_err("max(a,)", 6, 1, &["after ','"]);
        check_err("* a", 0, 1, &["expected a number, name or '(', found '*'"]);
        check_err("and", 0, 3, &["found 'and'"]);
        check_err("a + or", 4, 2, &["after '+', found 'or'"]);
        check_err("if a", 3, 1, &["expected '(' after 'if'"]);
        check_err("if", 2, 0, &["expected '(' after 'if', found end of input"]);
        check_err("a = b", 2, 1, &["'=='"]);
        check_err("a & b", 2, 1, &["'&&'"]);
        check_err("a | b", 2, 1, &["'||'"]);
        check_err("a ** 2", 2, 2, &["'^'"]);
    }

    #[test]
    fn bad_numbers() {
        check_err("1e", 0, 2, &["invalid number `1e`", "exponent"]);
        check_err("a + 1e+", 4, 3, &["invalid number `1e+`"]);
        check_err("2.5E-x", 0, 5, &["invalid number"]);
        check_err("1. + a", 0, 2, &["invalid number `1.`", "decimal point"]);
        check_err("1.5.2", 0, 4, &["more than one '.'"]);
        check_err("1__000", 0, 6, &["'_'"]);
        check_err("1000_", 0, 5, &["'_'"]);
        check_err("1_.5", 0, 4, &["'_'"]);
        check_err("1e_5", 0, 4, &["'_'"]);
        check_err("2x + 1", 0, 2, &["write `2 * x`"]);
        check_err("1e999", 0, 5, &["too large"]);
    }

    #[test]
    fn unexpected_characters_including_multibyte() {
        check_err("£5 + a", 0, 2, &["unexpected character '£'"]);
        check_err("a × b", 2, 2, &["unexpected character '×'", "'*'"]);
        check_err("a + é", 4, 2, &["unexpected character 'é'"]);
        check_err("a − b", 2, 3, &["'-'"]);
        check_err("ab😀", 2, 4, &["unexpected character"]);
        check_err("5%", 1, 1, &["0.05"]);
        check_err("a $ b", 2, 1, &["unexpected character '$'"]);
        check_err("a\u{0}", 1, 1, &["unexpected character"]);
        // Non-ASCII whitespace is still whitespace.
        assert_eq!(program("a\u{00a0}+\tb\n").eval(VALUES), 5.0);
    }

    #[test]
    fn nesting_limits() {
        // The evaluation stack. Binary operations take leaf operands from the instruction
        // and evaluate the hungrier side first, so only the fixed-order three-argument
        // functions can use it up with a small expression: each `clamp(a, <inner>, c)`
        // level holds `a` while its inner call runs, and the innermost needs 3 values.
        let nested = |levels: usize| {
            let mut s = "clamp(a, b, c)".to_string();
            for _ in 0..levels {
                s = format!("clamp(a, {s}, c)");
            }
            s
        };
        let ok = program(&nested(MAX_STACK - 3));
        assert_eq!(ok.eval(VALUES), 3.0);
        let src = nested(MAX_STACK - 2);
        let e = err(&src);
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
        assert!(e.offset < src.len());
        // Right-nested arithmetic, by contrast, runs in constant stack.
        let mut deep_sum = "a".to_string();
        for _ in 0..40 {
            deep_sum = format!("a + ({deep_sum})");
        }
        assert_eq!(program(&deep_sum).eval(VALUES), 82.0);

        // The parser: hostile input must produce an error, not overflow the thread stack.
        let n = 100_000;
        let hostile = [
            format!("{}1{}", "(".repeat(n), ")".repeat(n)),
            format!("{}1", "-".repeat(n)),
            format!("{}1", "not ".repeat(n)),
            format!("2{}", "^2".repeat(n)),
            format!("1{}", "+1".repeat(n)),
            format!("{}1{}", "max(1,".repeat(n), ")".repeat(n)),
            format!("{}1", "if(1,".repeat(n)),
        ];
        for src in &hostile {
            let e = err(src);
            assert!(e.message.contains("nested too deeply"), "{}", e.message);
        }
        // A call's arguments are not nesting: thousands of them are fine.
        let wide = format!("max({}c)", "a, ".repeat(10_000));
        assert_eq!(program(&wide).eval(VALUES), 4.0);
        // A flat chain is one tree level per operator: fine up to the limit, an error beyond.
        let sum = format!("a{}", " + a".repeat(MAX_NESTING - 1));
        assert_eq!(program(&sum).eval(VALUES), 2.0 * MAX_NESTING as f64);
        let sum = format!("a{}", " + a".repeat(MAX_NESTING));
        assert!(err(&sum).message.contains("nested too deeply"));
    }

    #[test]
    fn errors_display_and_snippet() {
        let src = "p * £";
        let e = err(src);
        assert_eq!(e.to_string(), e.message);
        assert_eq!(e.snippet(src), "p * £\n    ^");
        let src = "a +\n  mx(a, b)";
        let e = err(src);
        assert_eq!(e.snippet(src), "  mx(a, b)\n  ^^");
        // Garbage offsets do not panic.
        let odd = ExprError::new("x", 99, 5);
        let _ = odd.snippet("£");
        let odd = ExprError::new("x", 1, 1);
        let _ = odd.snippet("£");
    }

    #[test]
    fn every_operand_form_agrees_with_the_reference() {
        // Each operator with leaf/compound operands on either side, in both stack orders.
        let shapes: &[(&str, &str)] = &[
            ("b", "c"),
            ("b", "2.5"),
            ("2.5", "b"),
            ("(a + b)", "(c * a)"),
            ("(c * a)", "(t - (b * (a - c)))"),
            ("(t - (b * (a - c)))", "(c * a)"),
            ("neg", "(a - c)"),
            ("(a - c)", "neg"),
        ];
        let ops = ["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or"];
        let funcs = ["min", "max", "pow", "rate_to_prob", "prob_to_rate"];
        for &(l, r) in shapes {
            let srcs = ops
                .iter()
                .map(|op| format!("{l} {op} {r}"))
                .chain(funcs.iter().map(|f| format!("{f}({l}, {r})")));
            for src in srcs {
                let ast = parse(&src).expect("parses");
                let want = walk(&ast.root, VALUES);
                let got = program(&src).eval(VALUES);
                assert!(same(got, want), "{src:?}: compiled {got}, reference {want}");
            }
        }
    }

    #[test]
    fn hot_path_code_is_compact() {
        // Guards the shape that makes the motivating example fast: 7 instructions, one push.
        let prog = program("p * rr ^ (t / 5) + max(a, b)");
        assert_eq!(
            prog.code,
            vec![
                Instr::Slot(6),
                Instr::DivConst(5.0),
                Instr::SlotBin(Bin::Pow, 8),
                Instr::MulSlot(7),
                Instr::Slot(0),
                Instr::BinSlot(Bin::Max, 1),
                Instr::Add,
            ]
        );
        assert_eq!(prog.reads(), &[0, 1, 6, 7, 8]);
    }

    #[test]
    fn stack_is_kept_shallow() {
        // The right side needs two values and the left one, so the right goes first and
        // the whole expression fits in two; left-first would need three.
        let src = "(a + b) - ((a - c) / (b - t))";
        let prog = program(src);
        assert_eq!(prog.depth, 2);
        assert_eq!(prog.code.last(), Some(&Instr::SubSwapped));
        assert_eq!(prog.eval(VALUES), 5.0 - (-2.0 / -7.0));
        let prog = program("((a + b) - (a - c)) / ((c - t) * (c + t))");
        assert_eq!(prog.depth, 3);
        assert_eq!(prog.eval(VALUES), 7.0 / -84.0);
    }

    /// A tiny deterministic generator (SplitMix64), so the test needs no extra dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
            items[self.below(items.len())]
        }
    }

    /// Renders a random expression of at most `depth` levels, parenthesising operands at
    /// random so that both explicit grouping and the precedence rules get exercised.
    fn random_expr(rng: &mut Rng, depth: usize) -> String {
        const LITERALS: &[&str] = &["0", "1", "2", "0.5", "3", "true", "false", "1e-2", "-1"];
        const BINARY: &[&str] = &[
            "+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "and", "or", "&&", "||",
        ];
        const UNARY: &[&str] = &["-", "+", "not ", "!"];
        const FUNCS: &[(&str, usize)] = &[
            ("min", 2),
            ("min", 3),
            ("max", 2),
            ("max", 4),
            ("exp", 1),
            ("ln", 1),
            ("log10", 1),
            ("sqrt", 1),
            ("abs", 1),
            ("floor", 1),
            ("ceil", 1),
            ("round", 1),
            ("pow", 2),
            ("clamp", 3),
            ("if", 3),
            ("rate_to_prob", 2),
            ("prob_to_rate", 2),
            ("convert_prob", 3),
        ];
        let operand = |rng: &mut Rng| {
            let e = random_expr(rng, depth - 1);
            if rng.below(2) == 0 {
                format!("({e})")
            } else {
                e
            }
        };
        if depth == 0 || rng.below(4) == 0 {
            return if rng.below(2) == 0 {
                rng.pick(LITERALS).to_string()
            } else {
                rng.pick(NAMES).to_string()
            };
        }
        match rng.below(3) {
            0 => {
                let op = rng.pick(UNARY);
                format!("{op}{}", operand(rng))
            }
            1 => {
                let op = rng.pick(BINARY);
                let (l, r) = (operand(rng), operand(rng));
                format!("{l} {op} {r}")
            }
            _ => {
                let (name, arity) = FUNCS[rng.below(FUNCS.len())];
                let args: Vec<String> = (0..arity).map(|_| random_expr(rng, depth - 1)).collect();
                format!("{name}({})", args.join(", "))
            }
        }
    }

    #[test]
    fn compiled_programs_match_a_tree_walking_evaluator() {
        let mut rng = Rng(0x5EED_CA5E);
        let pool = [0.0, 1.0, -1.0, 0.5, 2.0, -0.25, 3.0, 1e-3, 10.0];
        let (mut checked, mut rejected) = (0, 0);
        for case in 0..20_000 {
            let src = random_expr(&mut rng, 1 + case % 5);
            let ast = match parse(&src) {
                Ok(ast) => ast,
                // Unparenthesised random comparisons can chain, which is rightly rejected.
                Err(e) if e.message.contains("chained") => {
                    rejected += 1;
                    continue;
                }
                Err(e) => panic!("{src:?}: {e}"),
            };
            let prog = compile(&ast, &mut slot_of, NAMES).unwrap_or_else(|e| panic!("{src:?}: {e}"));
            for _ in 0..3 {
                let slots: Vec<f64> = NAMES.iter().map(|_| pool[rng.below(pool.len())]).collect();
                let want = walk(&ast.root, &slots);
                let got = prog.eval(&slots);
                assert!(
                    same(got, want),
                    "{src:?} with {slots:?}: compiled {got}, tree-walker {want}\n{prog:?}"
                );
            }
            checked += 1;
        }
        assert!(checked > 15_000, "only {checked} checked, {rejected} rejected");
    }

    #[test]
    fn random_strings_never_panic() {
        let mut rng = Rng(42);
        let alphabet: Vec<char> = "ab1.e_+-*/^()<>=!&|, £×\u{0}ifandornot9xE".chars().collect();
        for _ in 0..20_000 {
            let len = rng.below(16);
            let src: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            if let Err(e) = build(&src) {
                assert!(e.offset + e.len <= src.len(), "{src:?}: {e:?}");
                assert!(src.is_char_boundary(e.offset), "{src:?}: {e:?}");
                let _ = e.snippet(&src);
            }
        }
    }
}
