//! The catalogue of syntax errors: every lexical and parse error kont reports, each with its
//! message and its hint, written here and nowhere else.
//!
//! The lexer ([`LexError::to_parse_error`](super::lexer::LexError::to_parse_error)) and the
//! parser decide *which* error applies, and which hint fits the mistake; the words are
//! this module's.
//!
//! # The pattern of an error catalogue
//! Each layer that reports errors to the learner keeps them in one catalogue like this one
//! (the resolver's is `resolve/error.rs`; the runtime's is to follow the same pattern):
//! - an enum with one variant per error ([`ParseErrorKind`]), holding the data its text
//!   needs (a name, a count, an excerpt of the source), never a formatted message;
//! - its `Display` writes the message and its `hint()` the hint, side by side, so that one
//!   place holds each error's phrase (beginning with the phrase of the error table of
//!   `docs/language.md` where that table has one) and grepping a message finds one line;
//!   what a caller decides from the kind (here [`ParseErrorKind::at_eof`]) is a method of
//!   the enum too;
//! - a struct that pairs a variant with where it happened ([`ParseError`]: a span) is what
//!   the layer returns, and `message()` and `hint()` on it are what a report renders. Code
//!   that finds an error picks its variant and places it: `ParseErrorKind::X.at(span)`.

use std::fmt;

use crate::span::Span;

/// A syntax error: the first one in the source, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// Where: the offending text, or an empty span at the end for an unexpected end of input.
    pub span: Span,
}

impl ParseError {
    /// What is wrong, e.g. "unexpected token `)`" or "unexpected end of input".
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// How to fix it, e.g. "expected one of `;`, `}`" or "`1.` is not a float: write `1.0`".
    pub fn hint(&self) -> Option<String> {
        self.kind.hint()
    }

    /// Whether the input ended too early, so that more input could complete it (the REPL
    /// then reads another line).
    pub fn at_eof(&self) -> bool {
        self.kind.at_eof()
    }

    /// Other places that explain the error, each with its label: for a bracket left open,
    /// where the input ends, and the closer that seems meant for another bracket.
    pub fn secondary(&self) -> Vec<(Span, String)> {
        let ParseErrorKind::Unclosed {
            bracket,
            end,
            closed_by,
        } = self.kind
        else {
            return Vec::new();
        };
        let closer = closer_of(bracket);
        let misread = closed_by.map(|span| {
            let label = format!(
                "this `{closer}` closes it, but is indented like an outer `{bracket}`'s line"
            );
            (span, label)
        });
        misread
            .into_iter()
            .chain([(end, "the input ends here".to_string())])
            .collect()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hint() {
            Some(hint) => write!(f, "{} ({hint})", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ParseError {}

/// Every syntax error: the lexical ones first, then those of the grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A run of characters that start no token, as written.
    UnexpectedChars(String),
    /// Number-like text that is not a float (`1.`, `.5`, `1e3`), as written.
    InvalidFloat(String),
    /// A number directly followed by letters (`2x`), as written.
    InvalidNumber(String),
    /// An integer literal above `i64::MAX`.
    IntTooLarge,
    /// `9223372036854775808` (`-i64::MIN`) anywhere but right after a unary `-`.
    MinIntMagnitude,
    /// A float literal that is infinite as an `f64`.
    FloatTooLarge,
    /// A `\` escape other than `\n`, `\t`, `\"`, `\\`, as written.
    InvalidEscape(String),
    /// A string with no closing `"`.
    UnterminatedString,
    /// A `/*` with no closing `*/`.
    UnterminatedComment,
    /// The input ended where the grammar expected more, with a hint if one fits.
    UnexpectedEnd(Option<ParseHint>),
    /// The input ended with a bracket left open, which is where the error is.
    Unclosed {
        /// The bracket: `(`, `[` or `{`.
        bracket: char,
        /// Where the input ends.
        end: Span,
        /// A closer that closed the bracket although its indentation matches an outer one's
        /// line, which is why this bracket is blamed.
        closed_by: Option<Span>,
    },
    /// A token the grammar does not allow where it stands (an excerpt of its text), with a
    /// hint if one fits.
    UnexpectedToken(String, Option<ParseHint>),
    /// Text that is no token, as LALRPOP's own lexer reports it (kont's lexer reports its
    /// errors itself, so this is not expected to happen).
    InvalidToken,
    /// A second `return` clause in one handler.
    SecondReturnClause,
    /// A comparison operator after another, as in `a < b < c`.
    ChainedComparison,
    /// Brackets nested more than `parser::MAX_NESTING` levels deep (the compile error of an
    /// expression nested too deeply, found while parsing).
    NestedTooDeeply,
}

impl ParseErrorKind {
    /// The error at `span`.
    pub fn at(self, span: Span) -> ParseError {
        ParseError { kind: self, span }
    }

    /// How to fix the error, if there is a useful hint.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            ParseErrorKind::UnexpectedChars(text) => unexpected_chars_hint(text)?.to_string(),
            ParseErrorKind::InvalidFloat(literal) => {
                format!("`{literal}` is not a float: write `{}`", float_fix(literal))
            }
            ParseErrorKind::InvalidNumber(_) => {
                "a number cannot be directly followed by a letter".to_string()
            }
            ParseErrorKind::IntTooLarge => {
                format!("integers must lie between {} and {}", i64::MIN, i64::MAX)
            }
            ParseErrorKind::MinIntMagnitude => {
                "`9223372036854775808` is allowed only right after a `-`".to_string()
            }
            ParseErrorKind::InvalidEscape(_) => {
                "the escapes are `\\n`, `\\t`, `\\\"` and `\\\\`".to_string()
            }
            ParseErrorKind::UnterminatedString => {
                "the string starts here and has no closing `\"`".to_string()
            }
            ParseErrorKind::UnterminatedComment => {
                "the comment starts here and has no closing `*/` (block comments do not nest)"
                    .to_string()
            }
            ParseErrorKind::UnexpectedEnd(hint) | ParseErrorKind::UnexpectedToken(_, hint) => {
                hint.as_ref()?.to_string()
            }
            ParseErrorKind::SecondReturnClause => {
                "merge the two `return` clauses into one".to_string()
            }
            ParseErrorKind::Unclosed { bracket, .. } => {
                format!("add the `{}` that closes it", closer_of(*bracket))
            }
            ParseErrorKind::ChainedComparison => {
                "comparison operators do not chain: use `and`, as in `a < b and b < c`".to_string()
            }
            ParseErrorKind::NestedTooDeeply => {
                "split it into smaller expressions with `let`".to_string()
            }
            ParseErrorKind::FloatTooLarge | ParseErrorKind::InvalidToken => return None,
        };
        Some(hint)
    }

    /// Whether the error is that the input ended too early (an open string or comment, or
    /// a construct left unfinished): more input could fix it.
    pub fn at_eof(&self) -> bool {
        matches!(
            self,
            ParseErrorKind::UnexpectedEnd(_)
                | ParseErrorKind::Unclosed { .. }
                | ParseErrorKind::UnterminatedString
                | ParseErrorKind::UnterminatedComment
        )
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::UnexpectedChars(text) if text.chars().count() > 1 => {
                write!(f, "unexpected characters `{}`", visible(text))
            }
            ParseErrorKind::UnexpectedChars(text) => {
                write!(f, "unexpected character `{}`", visible(text))
            }
            ParseErrorKind::InvalidFloat(literal) => write!(f, "invalid float literal `{literal}`"),
            ParseErrorKind::InvalidNumber(text) => {
                write!(f, "invalid number literal `{}`", visible(text))
            }
            ParseErrorKind::IntTooLarge | ParseErrorKind::MinIntMagnitude => {
                f.write_str("integer literal too large")
            }
            ParseErrorKind::FloatTooLarge => f.write_str("float literal too large"),
            ParseErrorKind::InvalidEscape(text) => {
                write!(f, "invalid escape `{}` in string", visible(text))
            }
            ParseErrorKind::UnterminatedString => f.write_str("unterminated string"),
            ParseErrorKind::UnterminatedComment => f.write_str("unterminated block comment"),
            ParseErrorKind::UnexpectedEnd(_) => f.write_str("unexpected end of input"),
            ParseErrorKind::Unclosed {
                bracket,
                closed_by: None,
                ..
            } => write!(
                f,
                "unexpected end of input: this `{bracket}` is never closed"
            ),
            ParseErrorKind::Unclosed { bracket, .. } => write!(
                f,
                "unexpected end of input: this `{bracket}` most likely lacks its `{}`",
                closer_of(*bracket)
            ),
            ParseErrorKind::UnexpectedToken(text, _) => write!(f, "unexpected token `{text}`"),
            ParseErrorKind::InvalidToken => f.write_str("invalid token"),
            ParseErrorKind::SecondReturnClause => {
                f.write_str("a handler has at most one `return` clause")
            }
            ParseErrorKind::ChainedComparison => {
                f.write_str("comparison operators cannot be chained")
            }
            ParseErrorKind::NestedTooDeeply => write!(
                f,
                "expression nested too deeply (more than {} levels)",
                super::parser::MAX_NESTING
            ),
        }
    }
}

/// The bracket that closes `opener`.
fn closer_of(opener: char) -> char {
    match opener {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// The hint for a run of unexpected characters, if one fits. (A `.` that begins or ends a
/// number is reported as [`ParseErrorKind::InvalidFloat`] instead.)
fn unexpected_chars_hint(text: &str) -> Option<&'static str> {
    Some(match text {
        "." => "kont has no `.` operator; ranges are written `a..b`",
        "!" => "write `not` for negation",
        "&" | "&&" => "write `and` for logical and",
        "'" => "strings are written in double quotes: `\"a\"`",
        _ => return None,
    })
}

/// How to write the number-like `literal` as a float: `1.` → `1.0`, `.5` → `0.5`,
/// `1e3` → `1.0e3` (a literal neither ending nor starting with `.` has an exponent).
fn float_fix(literal: &str) -> String {
    if literal.ends_with('.') {
        format!("{literal}0")
    } else if literal.starts_with('.') {
        format!("0{literal}")
    } else {
        let (mantissa, exponent) = literal.split_at(literal.find(['e', 'E']).unwrap_or(0));
        format!("{mantissa}.0{exponent}")
    }
}

/// `text` with its control and invisible formatting characters written as `\u{…}`, so that
/// an error message names them rather than letting the terminal act on them (an escape
/// sequence in a source file could clear the screen).
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            let invisible = c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}');
            if invisible {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A hint for an unexpected token or end of input: the mistake it most likely is, or what
/// the grammar expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseHint {
    /// A closing bracket (`)`, `]` or `}`) with no open one of its kind before it; the
    /// opening bracket.
    NothingToClose(char),
    /// `suspend op`, or a handler clause `op(…)`: a lower-case operation name.
    OperationNameCase,
    /// `perform Op`, as OCaml writes `suspend Op`; the operation.
    Perform(String),
    /// `effect op`: a lower-case operation name.
    EffectNameCase,
    /// `fn Name`: an upper-case function name.
    FunctionNameCase,
    /// `suspend Op` without an argument list; the operation.
    SuspendArguments(String),
    /// `resume k` without an argument list; the continuation's name.
    ResumeArguments(String),
    /// A `{` or a `fn` lambda in the head of `if`, `while`, `for` or `match`.
    BlockInHead,
    /// `not` as the operand of another operator.
    NotBindsLoosely,
    /// `return` as the operand of an operator.
    ReturnInOperand,
    /// `=` after something that cannot be assigned.
    NotAssignable,
    /// `=` where an expression goes on.
    AssignIsNotComparison,
    /// `handle … resume k(…) with { … }`, where the `with` belongs to the resume.
    WithBelongsToResume,
    /// A `let` or `var` (the keyword) without its `;`.
    SemicolonAfterBinding(&'static str),
    /// A `return` without its `;`.
    SemicolonAfterReturn,
    /// An assignment without its `;`.
    SemicolonAfterAssignment,
    /// What the grammar expected, each item as it is to be shown (never empty).
    Expected(Vec<String>),
}

impl fmt::Display for ParseHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseHint::NothingToClose(opener) => {
                write!(f, "nothing before it is an open `{opener}` to close")
            }
            ParseHint::OperationNameCase => {
                f.write_str("operation names start with an upper-case letter")
            }
            ParseHint::Perform(op) => write!(
                f,
                "kont performs an operation with `suspend`: `suspend {op}(…)`"
            ),
            ParseHint::EffectNameCase => {
                f.write_str("operation names start with an upper-case letter: `effect Get()`")
            }
            ParseHint::FunctionNameCase => f.write_str(
                "function names start with a lower-case letter (upper-case names are \
                 constructors)",
            ),
            ParseHint::SuspendArguments(op) => write!(
                f,
                "`suspend` needs an argument list, even an empty one: `suspend {op}()`"
            ),
            ParseHint::ResumeArguments(k) => {
                write!(f, "`resume` needs an argument list: `resume {k}(v)`")
            }
            ParseHint::BlockInHead => f.write_str(
                "the head of `if`, `while`, `for` or `match` ends at its first `{`: put a block \
                 or a `fn(…) { … }` lambda inside it in parentheses",
            ),
            ParseHint::NotBindsLoosely => f.write_str(
                "`not` binds more loosely than the other operators: put it in parentheses",
            ),
            ParseHint::ReturnInOperand => f.write_str(
                "`return` can only stand where a whole expression can: put it in parentheses",
            ),
            ParseHint::NotAssignable => f.write_str(
                "only a variable or an array element `a[i]` can be assigned (compare with `==`)",
            ),
            ParseHint::AssignIsNotComparison => {
                f.write_str("`=` assigns, in a statement: compare with `==`")
            }
            ParseHint::WithBelongsToResume => f.write_str(
                "a `with { … }` right after `resume k(…)` belongs to the `resume`: write \
                 `handle (resume k(v)) with { … }` to handle a plain resume",
            ),
            ParseHint::SemicolonAfterBinding(keyword) => write!(
                f,
                "a `;` is needed after `{keyword}`, even when the value ends with `}}`"
            ),
            ParseHint::SemicolonAfterReturn => f.write_str("a `;` is needed after `return`"),
            ParseHint::SemicolonAfterAssignment => {
                f.write_str("a `;` is needed after an assignment")
            }
            ParseHint::Expected(items) => match items.as_slice() {
                [one] => write!(f, "expected {one}"),
                [a, b] => write!(f, "expected {a} or {b}"),
                _ => write!(f, "expected one of {}", items.join(", ")),
            },
        }
    }
}
