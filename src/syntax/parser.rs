//! The parser: tokens to [`ast::Program`], and parse errors to [`ParseError`]s.
//!
//! The grammar is `grammar/kont.lalrpop` (its header explains how the statement and head
//! rules are expressed); `build.rs` turns it into a table-driven LR(1) parser, included here
//! as the private module `grammar`. Parsing stops at the first error. This module maps
//! LALRPOP's errors to the catalogue's ([`crate::syntax::error`]) and picks hints a learner
//! can act on: expected-token lists are written with the language's own spelling and
//! summarised ("an expression", "an operator"), and common mistakes get a specific hint (a
//! missing `;` after `let`, `suspend Op` without arguments, chained comparisons, …).
//!
//! Nothing here recurses over the input, and the generated parser keeps its stack on the
//! heap, so deeply nested input cannot overflow the native stack.

use crate::operator::{BinOp, UnOp};
use crate::span::Span;
use crate::syntax::ast::{self, Expr, ExprKind, Handler, OpClause, Param, ReturnClause, Stmt};
use crate::syntax::brackets;
use crate::syntax::error::{ParseError, ParseErrorKind, ParseHint};
use crate::syntax::lexer::{Lexer, Tok};

lalrpop_util::lalrpop_mod!(
    // Generated code (by `build.rs`, from `grammar/kont.lalrpop`): spared the lints a crate
    // may turn on for hand-written code, and the doc comments asked of every private item.
    #[allow(
        unreachable_pub,
        unused_qualifications,
        clippy::missing_docs_in_private_items
    )]
    grammar,
    "/kont.rs"
);

/// How deeply expressions may nest (see `resolve::MAX_NESTING`, which is this bound). The
/// parser rejects brackets nested deeper as it reads them (`Nesting`).
pub const MAX_NESTING: usize = 100_000;

/// How many tokens that nest what follows them without a closing bracket (`::`, a prefix
/// `-`, …: see [`Nesting`]) may wait for their operands at once. Each such token adds a
/// level to the expression it stands in, and a few may sit side by side (`a :: b == c :: d`),
/// so past this many the expression is nested more than [`MAX_NESTING`] levels deep.
const MAX_PENDING: usize = 4 * MAX_NESTING;

/// The number of tokens of `src` (up to its first lexical error, counted as one): what the
/// memory the front end takes to compile it follows (see [`crate::FRONT_END_BYTES_PER_TOKEN`]).
pub fn count_tokens(src: &str) -> usize {
    Lexer::new(src).count()
}

/// Parses a whole program (or one REPL entry).
pub fn parse_program(src: &str) -> Result<ast::Program, ParseError> {
    let mut nesting = Nesting::default();
    let tokens = Lexer::new(src).map(move |token| {
        let token = token.map_err(|error| error.to_parse_error(src))?;
        nesting.step(&token)?;
        Ok(token)
    });
    grammar::ProgramParser::new()
        .parse(tokens)
        .map(|stmts| ast::Program { stmts })
        .map_err(|error| convert_error(error, src))
}

/// The nesting of the tokens read so far, checked as the parser reads them: the parser keeps
/// what waits for a closing bracket, or for the operand of a prefix operator, on its stack,
/// so a source nested a million levels deep would take gigabytes before the resolver could
/// count the levels and reject it. Counting is
/// conservative: what it rejects, the resolver would reject too (`expression nested too
/// deeply`), but for parentheses and minus signs before a literal, which add no level to
/// the tree, and a block of more than [`MAX_PENDING`] `if … else if …` statements with no
/// `;` between them (each `else if` counts until the next `;`, `,` or closing bracket).
#[derive(Default)]
struct Nesting {
    /// For each bracket open, the pending tokens of the part of the expression around it.
    open: Vec<usize>,
    /// The pending tokens of the part being read (since the last `;`, `,` or bracket).
    chain: usize,
    /// The pending tokens in all: `chain` and those of `open`.
    pending: usize,
    /// The token before, if it ends an operand (a name, a literal, a closing bracket): a `-`
    /// after one is binary.
    after_operand: bool,
    /// Whether the token before was `else` (an `if` after it nests the rest of the chain)
    /// or `=>` (a `fn` after it is a lambda in a lambda's body).
    after: Option<Tok>,
}

impl Nesting {
    /// Counts `token` in; an error at a bracket nested more than [`MAX_NESTING`] levels
    /// deep, or at a token one more than [`MAX_PENDING`] wait for their operands.
    fn step(&mut self, (lo, tok, hi): &(usize, Tok, usize)) -> Result<(), ParseError> {
        let pends = match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                self.open.push(std::mem::take(&mut self.chain));
                self.open.len() > MAX_NESTING
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                self.pending -= self.chain;
                self.chain = self.open.pop().unwrap_or(0);
                false
            }
            Tok::Semi | Tok::Comma => {
                self.pending -= self.chain;
                self.chain = 0;
                false
            }
            Tok::ColonColon
            | Tok::PlusPlus
            | Tok::Not
            | Tok::Return
            | Tok::Cont
            | Tok::Discontinue => self.wait(),
            Tok::Minus if !self.after_operand => self.wait(),
            Tok::If if self.after == Some(Tok::Else) => self.wait(),
            Tok::Fn if self.after == Some(Tok::FatArrow) => self.wait(),
            _ => false,
        };
        self.after_operand = matches!(
            tok,
            Tok::LowerName(_)
                | Tok::UpperName(_)
                | Tok::Int(_)
                | Tok::MinIntMagnitude
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::True
                | Tok::False
                | Tok::Underscore
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
        );
        self.after = matches!(tok, Tok::Else | Tok::FatArrow).then(|| tok.clone());
        if pends {
            return Err(ParseErrorKind::NestedTooDeeply.at(span(*lo, *hi)));
        }
        Ok(())
    }

    /// One more token waiting for its operand; whether that is one too many.
    fn wait(&mut self) -> bool {
        self.chain += 1;
        self.pending += 1;
        self.pending > MAX_PENDING
    }
}

/// The error type of the generated parser.
type LalrpopError = lalrpop_util::ParseError<usize, Tok, ParseError>;

// ---------------------------------------------------------------------------------------
// Helpers for the grammar's actions.

/// The span from byte `lo` to byte `hi`.
fn span(lo: usize, hi: usize) -> Span {
    Span::new(lo, hi)
}

/// An expression of `kind` spanning `lo..hi`.
fn expr(kind: ExprKind, lo: usize, hi: usize) -> Expr {
    Expr {
        kind,
        span: span(lo, hi),
    }
}

/// `l op r`, spanning `lo..hi`.
fn binary(op: BinOp, l: Expr, r: Expr, lo: usize, hi: usize) -> Expr {
    expr(ExprKind::Binary(op, Box::new(l), Box::new(r)), lo, hi)
}

/// `-e`, spanning `lo..hi`. A number literal is folded into a negative literal (unless
/// negating it overflows, which is left to run time).
fn negate(e: Expr, lo: usize, hi: usize) -> Expr {
    let kind = match e.kind {
        ExprKind::Int(n) if n.checked_neg().is_some() => ExprKind::Int(-n),
        ExprKind::Float(x) => ExprKind::Float(-x),
        _ => ExprKind::Unary(UnOp::Neg, Box::new(e)),
    };
    expr(kind, lo, hi)
}

/// `v` with `item` appended.
fn push<T>(mut v: Vec<T>, item: T) -> Vec<T> {
    v.push(item);
    v
}

/// Records a `;` that follows the statements `v`: if the last one is an expression
/// statement still without its `;`, it now has one. Otherwise the `;` is an empty
/// statement and changes nothing.
fn end_with_semicolon(mut v: Vec<Stmt>) -> Vec<Stmt> {
    if let Some(Stmt::Expr { semi, .. }) = v.last_mut() {
        *semi = true;
    }
    v
}

/// One clause of a handler, before the clauses are sorted into a [`Handler`].
enum Clause {
    /// `Op(x, …), k => body`
    Op(OpClause),
    /// `return(x) => body`
    Return(ReturnClause),
}

impl Clause {
    /// `op(params), k => body`.
    fn op(op: ast::Ident, params: Vec<Param>, k: Param, body: Expr, span: Span) -> Clause {
        Clause::Op(OpClause {
            op,
            params,
            k,
            body: Box::new(body),
            span,
        })
    }

    /// `return(param) => body`.
    fn ret(param: Param, body: Expr, span: Span) -> Clause {
        Clause::Return(ReturnClause {
            param,
            body: Box::new(body),
            span,
        })
    }
}

/// The handler `{ clauses }` spanning `lo..hi`; an error if it has two `return` clauses.
fn build_handler(clauses: Vec<Clause>, lo: usize, hi: usize) -> Result<Handler, LalrpopError> {
    let mut handler = Handler {
        ops: Vec::new(),
        ret: None,
        span: span(lo, hi),
    };
    for clause in clauses {
        match clause {
            Clause::Op(op) => handler.ops.push(op),
            Clause::Return(ret) => {
                if handler.ret.is_some() {
                    return Err(LalrpopError::User {
                        error: ParseErrorKind::SecondReturnClause.at(ret.span),
                    });
                }
                handler.ret = Some(ret);
            }
        }
    }
    Ok(handler)
}

/// The error for a second comparison operator (at `lo..hi`) in `a < b < c`.
fn chained_comparison(lo: usize, hi: usize) -> LalrpopError {
    LalrpopError::User {
        error: ParseErrorKind::ChainedComparison.at(span(lo, hi)),
    }
}

// ---------------------------------------------------------------------------------------
// Error conversion.

/// A LALRPOP error as a [`ParseError`].
fn convert_error(error: LalrpopError, src: &str) -> ParseError {
    match error {
        LalrpopError::User { error } => error,
        LalrpopError::UnrecognizedEof { expected, .. } => {
            // Shown after the last line, not on the empty line after its line end.
            let last = src.trim_end().len();
            let end = span(last, last);
            if let Some(open) = brackets::unclosed(src)
                && expected
                    .iter()
                    .any(|e| terminal_name(e) == open.innermost_closer.to_string())
            {
                return ParseErrorKind::Unclosed {
                    bracket: open.bracket,
                    end,
                    closed_by: open.closed_by,
                }
                .at(open.span);
            }
            let before = tokens_before(src, src.len());
            let hint = context_hint(&before, None, &expected).or_else(|| expected_hint(&expected));
            ParseErrorKind::UnexpectedEnd(hint).at(span(src.len(), src.len()))
        }
        LalrpopError::UnrecognizedToken {
            token: (lo, Tok::MinIntMagnitude, hi),
            ..
        } => ParseErrorKind::MinIntMagnitude.at(span(lo, hi)),
        LalrpopError::UnrecognizedToken {
            token: (lo, tok, hi),
            expected,
        } => {
            let before = tokens_before(src, lo);
            let hint =
                context_hint(&before, Some(&tok), &expected).or_else(|| expected_hint(&expected));
            ParseErrorKind::UnexpectedToken(excerpt(src, lo, hi), hint).at(span(lo, hi))
        }
        LalrpopError::ExtraToken { token: (lo, _, hi) } => {
            ParseErrorKind::UnexpectedToken(excerpt(src, lo, hi), None).at(span(lo, hi))
        }
        LalrpopError::InvalidToken { location } => {
            ParseErrorKind::InvalidToken.at(span(location, location))
        }
    }
}

/// The source text `lo..hi`, shortened if long.
fn excerpt(src: &str, lo: usize, hi: usize) -> String {
    const MAX_CHARS: usize = 24;
    let text = src.get(lo..hi).unwrap_or("");
    if text.chars().count() <= MAX_CHARS {
        text.to_string()
    } else {
        let short: String = text.chars().take(MAX_CHARS - 1).collect();
        format!("{short}…")
    }
}

/// The tokens of `src` that end before byte `end` (which is where the parser stopped, so
/// they lexed without error).
fn tokens_before(src: &str, end: usize) -> Vec<Tok> {
    Lexer::new(src.get(..end).unwrap_or(src))
        .map_while(Result::ok)
        .map(|(_, tok, _)| tok)
        .collect()
}

/// A hint for a common mistake, recognised from the tokens `before` the error, the
/// unexpected token (`None` at the end of input) and the `expected` terminals.
fn context_hint(before: &[Tok], found: Option<&Tok>, expected: &[String]) -> Option<ParseHint> {
    let expects = |terminal: &str| expected.iter().any(|e| terminal_name(e) == terminal);
    if let Some(closer @ (Tok::RParen | Tok::RBracket | Tok::RBrace)) = found
        && !closes_an_opener(before, closer)
    {
        let opener = match closer {
            Tok::RParen => '(',
            Tok::RBracket => '[',
            _ => '{',
        };
        return Some(ParseHint::NothingToClose(opener));
    }
    let expects_expression = expects("suspend");
    let hint = match (before, found) {
        ([.., Tok::Suspend], Some(Tok::LowerName(_))) => ParseHint::OperationNameCase,
        (_, Some(Tok::LowerName(_)))
            if expects("UpperName") && expects("return") && !expects("LowerName") =>
        {
            ParseHint::OperationNameCase
        }
        ([.., Tok::LowerName(word)], Some(Tok::UpperName(op))) if word == "perform" => {
            ParseHint::Perform(op.clone())
        }
        ([.., Tok::Effect], Some(Tok::LowerName(_))) => ParseHint::EffectNameCase,
        ([.., Tok::Fn], Some(Tok::UpperName(_))) => ParseHint::FunctionNameCase,
        ([.., Tok::Suspend, Tok::UpperName(op)], _) if expects("(") => {
            ParseHint::SuspendArguments(op.clone())
        }
        ([.., Tok::Resume, Tok::LowerName(k)], _) if expects("(") => {
            ParseHint::ResumeArguments(k.clone())
        }
        (_, Some(Tok::LBrace | Tok::Fn)) if expects_expression => ParseHint::BlockInHead,
        (_, Some(Tok::Not)) if expects_expression => ParseHint::NotBindsLoosely,
        (_, Some(Tok::Return)) if expects_expression => ParseHint::ReturnInOperand,
        (_, Some(Tok::Eq)) if expects("==") && expects(";") => ParseHint::NotAssignable,
        (_, Some(Tok::Eq)) if expects("==") => ParseHint::AssignIsNotComparison,
        _ if expects("with") && !expects("}") && !expects(",") && resume_in_handle_body(before) => {
            ParseHint::WithBelongsToResume
        }
        (_, Some(_)) if expects(";") => return missing_semicolon_hint(before),
        _ => return None,
    };
    Some(hint)
}

/// Whether `closer` (`)`, `]` or `}`) after the tokens `before` closes an open bracket of
/// its kind.
fn closes_an_opener(before: &[Tok], closer: &Tok) -> bool {
    let mut open = Vec::new();
    for tok in before {
        match tok {
            Tok::LParen => open.push(Tok::RParen),
            Tok::LBracket => open.push(Tok::RBracket),
            Tok::LBrace => open.push(Tok::RBrace),
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                open.pop();
            }
            _ => {}
        }
    }
    open.contains(closer)
}

/// Whether the tokens `before` end inside the body of a `handle` that contains a `resume`.
fn resume_in_handle_body(before: &[Tok]) -> bool {
    before
        .iter()
        .rev()
        .take_while(|tok| **tok != Tok::Handle)
        .any(|tok| *tok == Tok::Resume)
}

/// When a `;` could end the statement before the error: a hint naming that statement, if
/// it is one that always needs its `;` (`let`, `var`, an assignment, `return`).
fn missing_semicolon_hint(before: &[Tok]) -> Option<ParseHint> {
    let mut depth = 0usize;
    let mut assigns = false;
    for tok in before.iter().rev() {
        match tok {
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth += 1,
            Tok::LParen | Tok::LBracket | Tok::LBrace if depth == 0 => break,
            Tok::LParen | Tok::LBracket | Tok::LBrace => depth -= 1,
            _ if depth > 0 => {}
            Tok::Semi => break,
            Tok::Let => return Some(ParseHint::SemicolonAfterBinding("let")),
            Tok::Var => return Some(ParseHint::SemicolonAfterBinding("var")),
            Tok::Return => return Some(ParseHint::SemicolonAfterReturn),
            Tok::Eq => assigns = true,
            _ => {}
        }
    }
    assigns.then_some(ParseHint::SemicolonAfterAssignment)
}

/// The terminal's name as written in the grammar: `"\"(\""` becomes `(`, `"Int"` stays.
fn terminal_name(terminal: &str) -> &str {
    terminal
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(terminal)
}

/// The terminals that can begin an expression.
const EXPRESSION_START: &[&str] = &[
    "_",
    "LowerName",
    "UpperName",
    "Int",
    "Float",
    "Str",
    "MinIntMagnitude",
    "true",
    "false",
    "(",
    "[",
    "{",
    "-",
    "not",
    "cont",
    "discontinue",
    "fn",
    "return",
    "if",
    "while",
    "for",
    "match",
    "handle",
    "suspend",
    "resume",
];

/// The terminals that can begin a pattern.
const PATTERN_START: &[&str] = &[
    "_",
    "LowerName",
    "UpperName",
    "Int",
    "Float",
    "Str",
    "MinIntMagnitude",
    "true",
    "false",
    "(",
    "[",
    "-",
];

/// The binary operators.
const OPERATORS: &[&str] = &[
    "or", "and", "==", "!=", "<", "<=", ">", ">=", "::", "++", "+", "-", "*", "/", "%",
];

/// The tokens that end or separate constructs, listed first (in this order) in a hint:
/// they are the likeliest to be missing.
const SEPARATORS: &[&str] = &[";", ")", "]", "}", ",", "=>", "=", "{", "with", "in", ".."];

/// The most expected tokens listed in a hint.
const MAX_EXPECTED: usize = 8;

/// "expected one of …" from LALRPOP's expected terminals, summarised into categories.
fn expected_hint(expected: &[String]) -> Option<ParseHint> {
    let mut names: Vec<&str> = expected.iter().map(|e| terminal_name(e)).collect();
    let has = |names: &[&str], t: &str| names.contains(&t);
    let mut summaries: Vec<&str> = Vec::new();
    if has(&names, "Int") && has(&names, "not") {
        let statement = has(&names, "let");
        names.retain(|n| !EXPRESSION_START.contains(n) && !["let", "var", "effect"].contains(n));
        summaries.push(if statement {
            "a statement"
        } else {
            "an expression"
        });
    } else if has(&names, "_") && has(&names, "Int") {
        names.retain(|n| !PATTERN_START.contains(n));
        summaries.push("a pattern");
    }
    if names.iter().filter(|n| OPERATORS.contains(n)).count() >= 5 {
        names.retain(|n| !OPERATORS.contains(n));
        summaries.push("an operator");
    }
    names.retain(|n| *n != "MinIntMagnitude");
    names.sort_by_key(|n| {
        SEPARATORS
            .iter()
            .position(|s| s == n)
            .unwrap_or(SEPARATORS.len())
    });
    let separators = names.iter().filter(|n| SEPARATORS.contains(n)).count();
    let mut items: Vec<String> = names.iter().map(|n| describe_terminal(n)).collect();
    for (offset, summary) in summaries.iter().enumerate() {
        items.insert(separators + offset, (*summary).to_string());
    }
    if items.len() > MAX_EXPECTED {
        items.truncate(MAX_EXPECTED - 1);
        items.push("…".to_string());
    }
    (!items.is_empty()).then_some(ParseHint::Expected(items))
}

/// How a terminal is written in a hint.
fn describe_terminal(name: &str) -> String {
    match name {
        "LowerName" => "a name".to_string(),
        "UpperName" => "an upper-case name".to_string(),
        "Int" => "an integer".to_string(),
        "Float" => "a float".to_string(),
        "Str" => "a string".to_string(),
        other => format!("`{other}`"),
    }
}

#[cfg(test)]
mod tests;
