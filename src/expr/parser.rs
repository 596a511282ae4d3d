//! The hand-written Pratt parser, with its wording of syntax errors.

use super::ast::{too_deep, Ast, Kind, Node};
use super::functions::{closest, function_names, FuncInfo, FUNCTIONS};
use super::lexer::{Lexer, Tok, Token};
use super::ops::{truth, Bin};
use super::{ExprError, MAX_NESTING};

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

// A hand-written recursive-descent (Pratt) parser rather than a generator or combinator
// crate: the grammar is tiny, and we need full control over error positions and wording
// ("expected ... after '*'", pointing at the unclosed '('), which is the part that matters
// to scenario authors.
struct Parser<'a> {
    lex: Lexer<'a>,
    cur: Token,
    prev: Option<Token>,
    depth: usize,
    /// Functions the caller defines (a scenario's tables), with the number of arguments each takes.
    user: &'a [(&'a str, usize)],
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
    fn unknown_function(&self, name: &str, t: Token) -> ExprError {
        let message = if name == "log" {
            "`log` is ambiguous: use `ln` for the natural logarithm or `log10` for base 10".to_string()
        } else {
            let mut candidates: Vec<&str> = function_names().collect();
            candidates.extend(self.user.iter().map(|u| u.0));
            match closest(name, candidates) {
                Some(s) => format!("unknown function `{name}`; did you mean `{s}`?"),
                None if self.user.is_empty() => format!(
                    "unknown function `{name}`; the functions are {}",
                    function_names().collect::<Vec<_>>().join(", ")
                ),
                None => format!(
                    "unknown function `{name}`; the functions are {}, and the scenario's tables {}",
                    function_names().collect::<Vec<_>>().join(", "),
                    self.user.iter().map(|u| u.0).collect::<Vec<_>>().join(", ")
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
            return match self.user.iter().find(|u| u.0 == name) {
                Some(&(_, arity)) => self.table_call(name_tok, arity),
                None => Err(self.unknown_function(name, name_tok)),
            };
        };
        let args = self.arguments(name)?;
        if args.len() < f.min_args || args.len() > f.max_args {
            return Err(Self::wrong_arity(f, args.len(), name_tok));
        }
        Node::interior(Kind::Call(f.func, args), name_tok.offset, self.prev_end())
    }

    /// Parses a call of the caller's function `name_tok`, which takes `arity` arguments.
    fn table_call(&mut self, name_tok: Token, arity: usize) -> Result<Node, ExprError> {
        let name = self.text(name_tok);
        let args = self.arguments(name)?;
        if args.len() != arity {
            let keys = if arity == 1 { "key" } else { "keys" };
            return Err(ExprError::new(
                format!("the table `{name}` takes {arity} {keys}, but {} were given", args.len()),
                name_tok.offset,
                name_tok.len,
            ));
        }
        Node::interior(Kind::Table(name.to_string(), args), name_tok.offset, self.prev_end())
    }

    /// Parses a call's parenthesised arguments; `self.cur` is the '('.
    fn arguments(&mut self, name: &str) -> Result<Vec<Node>, ExprError> {
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
        Ok(args)
    }
}

/// Parses an expression into a syntax tree, reporting the first syntax error with its byte offset.
pub fn parse(src: &str) -> Result<Ast, ExprError> {
    parse_with(src, &[])
}

/// [`parse`], with functions the caller defines besides the built-in ones (a scenario's tables): `user` gives each
/// one's name and the number of arguments it takes. Their calls are resolved by [`super::compile_with`].
pub fn parse_with(src: &str, user: &[(&str, usize)]) -> Result<Ast, ExprError> {
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
        user,
    };
    let root = p.expr(0)?;
    match p.cur.tok {
        Tok::Eof => Ok(Ast {
            root,
            source: src.to_string(),
        }),
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
