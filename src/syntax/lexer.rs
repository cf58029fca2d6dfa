//! The lexer: source text to tokens, with `logos`.
//!
//! [`Tok`] is both the `logos` token type and the terminal type of the LALRPOP grammar
//! (`grammar/kont.lalrpop`); [`Lexer`] adapts the `logos` lexer to LALRPOP's external-lexer
//! interface, an iterator of `Result<(start, Tok, end), LexError>` with byte offsets.
//!
//! Lexical rules (`docs/language.md` § Lexical), and the choices made where it is silent:
//! - Whitespace is space, tab, carriage return, newline and form feed. Comments are
//!   `// to end of line` and `/* block */`; block comments do not nest, and one left open
//!   is an error at the end of the input.
//! - Names are `[A-Za-z_][A-Za-z0-9_]*`; `_` alone is [`Tok::Underscore`]; a name with an
//!   upper-case initial is a [`Tok::UpperName`] (constructor or operation), any other a
//!   [`Tok::LowerName`]. Keywords are never names.
//! - Integers are decimal digits with optional `_` separators after the first digit
//!   (`1_000`). A value above `i64::MAX` is an error, except exactly `9223372036854775808`,
//!   which lexes as [`Tok::MinIntMagnitude`]: the grammar accepts it only right after a
//!   unary `-`.
//! - Floats are `digits.digits` with an optional exponent `e`/`E`, optional sign, digits;
//!   the digit runs may contain `_` like integers. `1.`, `.5` and `1e3` are not floats: a
//!   `.` that is not part of `..` is an error (with a hint for these two cases), and so is a
//!   number directly followed by letters (`1e3`, `2x`). A float too large for `f64` is an
//!   error.
//! - Strings are `"…"`, may span lines, and know exactly the escapes `\n`, `\t`, `\"` and
//!   `\\`; any other escape is an error, and so is a string left open.
//! - A run of characters that start no token (`@`, `#`, `!`, `é`, …) is one error.
//!
//! The lexer stops at its first error: the parser reports only the first one anyway. Its
//! errors are classified by [`LexErrorKind`]; [`LexError::to_parse_error`] turns one into
//! its entry of the catalogue of syntax errors ([`crate::syntax::error`]), which holds the
//! words.

use logos::{Logos, Skip};
use std::ops::Range;

use crate::span::Span;
use crate::syntax::error::{ParseError, ParseErrorKind};

/// The keywords, in alphabetical order: what the REPL completes besides names.
pub const KEYWORDS: &[&str] = &[
    "and",
    "cont",
    "discontinue",
    "effect",
    "else",
    "false",
    "fn",
    "for",
    "handle",
    "if",
    "in",
    "let",
    "match",
    "not",
    "or",
    "resume",
    "return",
    "suspend",
    "true",
    "var",
    "while",
    "with",
];

/// A token. Names and literals carry their value; string escapes are already decoded.
#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(error(LexError, LexError::unexpected_chars))]
#[logos(skip r"[ \t\r\n\x0C]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
#[logos(skip("/\\*", block_comment))]
pub enum Tok {
    /// `let`
    #[token("let")]
    Let,
    /// `var`
    #[token("var")]
    Var,
    /// `fn`
    #[token("fn")]
    Fn,
    /// `if`
    #[token("if")]
    If,
    /// `else`
    #[token("else")]
    Else,
    /// `while`
    #[token("while")]
    While,
    /// `for`
    #[token("for")]
    For,
    /// `in`
    #[token("in")]
    In,
    /// `match`
    #[token("match")]
    Match,
    /// `return`
    #[token("return")]
    Return,
    /// `effect`
    #[token("effect")]
    Effect,
    /// `suspend`
    #[token("suspend")]
    Suspend,
    /// `handle`
    #[token("handle")]
    Handle,
    /// `with`
    #[token("with")]
    With,
    /// `resume`
    #[token("resume")]
    Resume,
    /// `cont`
    #[token("cont")]
    Cont,
    /// `discontinue`
    #[token("discontinue")]
    Discontinue,
    /// `true`
    #[token("true")]
    True,
    /// `false`
    #[token("false")]
    False,
    /// `and`
    #[token("and")]
    And,
    /// `or`
    #[token("or")]
    Or,
    /// `not`
    #[token("not")]
    Not,
    /// `+`
    #[token("+")]
    Plus,
    /// `-`
    #[token("-")]
    Minus,
    /// `*`
    #[token("*")]
    Star,
    /// `/`
    #[token("/")]
    Slash,
    /// `%`
    #[token("%")]
    Percent,
    /// `==`
    #[token("==")]
    EqEq,
    /// `!=`
    #[token("!=")]
    NotEq,
    /// `<`
    #[token("<")]
    Lt,
    /// `<=`
    #[token("<=")]
    Le,
    /// `>`
    #[token(">")]
    Gt,
    /// `>=`
    #[token(">=")]
    Ge,
    /// `=`
    #[token("=")]
    Eq,
    /// `++`
    #[token("++")]
    PlusPlus,
    /// `::`
    #[token("::")]
    ColonColon,
    /// `..`
    #[token("..")]
    DotDot,
    /// `=>`
    #[token("=>")]
    FatArrow,
    /// `,`
    #[token(",")]
    Comma,
    /// `;`
    #[token(";")]
    Semi,
    /// `(`
    #[token("(")]
    LParen,
    /// `)`
    #[token(")")]
    RParen,
    /// `[`
    #[token("[")]
    LBracket,
    /// `]`
    #[token("]")]
    RBracket,
    /// `{`
    #[token("{")]
    LBrace,
    /// `}`
    #[token("}")]
    RBrace,
    /// `|`
    #[token("|")]
    Bar,
    /// `_`: the wildcard.
    #[token("_", priority = 3)]
    Underscore,
    /// A name with a lower-case (or `_`) initial.
    #[regex("[a-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    LowerName(String),
    /// A name with an upper-case initial: a constructor or an effect operation.
    #[regex("[A-Z][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    UpperName(String),
    /// An integer literal that fits in an `i64`.
    Int(i64),
    /// The literal `9223372036854775808` (`-i64::MIN`), valid only right after a unary `-`.
    /// The integer regex lives on this variant because its callback chooses between
    /// [`Tok::Int`] and this one.
    #[regex("[0-9][0-9_]*", int_literal)]
    MinIntMagnitude,
    /// A float literal.
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9][0-9_]*)?", float_literal)]
    Float(f64),
    /// A string literal, escapes decoded.
    #[token("\"", string_literal)]
    Str(String),
}

/// What kind of lexical error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LexErrorKind {
    /// Characters that start no token.
    #[default]
    UnexpectedChars,
    /// A string with no closing `"`; the span is its opening quote.
    UnterminatedString,
    /// A `/*` with no closing `*/`; the span is the `/*`.
    UnterminatedComment,
    /// A `\` escape other than `\n`, `\t`, `\"`, `\\`; the span is the escape.
    InvalidEscape,
    /// An integer literal above `i64::MAX` (other than right after `-`).
    IntTooLarge,
    /// A float literal that is infinite as an `f64`.
    FloatTooLarge,
    /// A number directly followed by letters, such as `1e3` or `2x`.
    InvalidNumber,
}

/// A lexical error: its kind and the byte range of the offending text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LexError {
    /// What went wrong.
    pub kind: LexErrorKind,
    /// Where, as byte offsets into the source.
    pub span: Range<usize>,
}

impl LexError {
    /// The `logos` error for text that matches no token: one unexpected character (the
    /// [`Lexer`] merges runs of them).
    fn unexpected_chars(lex: &mut logos::Lexer<'_, Tok>) -> LexError {
        LexError {
            kind: LexErrorKind::UnexpectedChars,
            span: lex.span(),
        }
    }

    /// The error as it is reported, with the text it names; `src` is the lexed source.
    /// Number-like text that is not a float (`1.`, `.5`, `1e3`) is reported as an invalid
    /// float literal covering the whole literal.
    pub fn to_parse_error(&self, src: &str) -> ParseError {
        let text = || src.get(self.span.clone()).unwrap_or("").to_string();
        let kind = match self.kind {
            LexErrorKind::UnexpectedChars => match float_around_dot(src, self.span.clone()) {
                Some(literal) => {
                    let span = Span::new(literal.start, literal.end);
                    return ParseErrorKind::InvalidFloat(src[literal].to_string()).at(span);
                }
                None => ParseErrorKind::UnexpectedChars(text()),
            },
            LexErrorKind::InvalidNumber if is_float_without_fraction(&text()) => {
                ParseErrorKind::InvalidFloat(text())
            }
            LexErrorKind::InvalidNumber => ParseErrorKind::InvalidNumber(text()),
            LexErrorKind::UnterminatedString => ParseErrorKind::UnterminatedString,
            LexErrorKind::UnterminatedComment => ParseErrorKind::UnterminatedComment,
            LexErrorKind::InvalidEscape => ParseErrorKind::InvalidEscape(text()),
            LexErrorKind::IntTooLarge => ParseErrorKind::IntTooLarge,
            LexErrorKind::FloatTooLarge => ParseErrorKind::FloatTooLarge,
        };
        kind.at(Span::new(self.span.start, self.span.end))
    }
}

/// When the unexpected `span` of `src` is a `.` that ends an integer (`12.`) or begins a
/// fraction (`.5`): the byte range of that number-like literal.
fn float_around_dot(src: &str, span: Range<usize>) -> Option<Range<usize>> {
    if src.get(span.clone())? != "." {
        return None;
    }
    let before = src.get(..span.start)?;
    let after = src.get(span.end..)?;
    let int_start = before
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
        .len();
    let int = &before[int_start..];
    let follows_name_or_dot = |text: &str| text.ends_with(|c: char| is_name_char(c) || c == '.');
    if int.starts_with(|c: char| c.is_ascii_digit()) && !follows_name_or_dot(&before[..int_start]) {
        return Some(int_start..span.end);
    }
    if after.starts_with(|c: char| c.is_ascii_digit()) && !follows_name_or_dot(before) {
        let fraction = after.bytes().take_while(u8::is_ascii_digit).count();
        return Some(span.start..span.end + fraction);
    }
    None
}

/// Whether a number directly followed by letters is a float written without its fraction:
/// digits, then `e` or `E`, an optional sign and digits (`1e3`, `2E-5`).
fn is_float_without_fraction(text: &str) -> bool {
    text.find(['e', 'E']).is_some_and(|at| {
        let mantissa = &text[..at];
        let rest = text[at + 1..].trim_start_matches(['+', '-']);
        !mantissa.contains('.')
            && !rest.is_empty()
            && rest.chars().all(|c| c.is_ascii_digit() || c == '_')
    })
}

/// Whether `c` can continue a name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Rejects a number directly followed by letters (`1e3`, `2x`, `1.5f`): consumes them and
/// returns the error; the lexer must not go on to lex them as a name.
fn reject_letter_suffix(lex: &mut logos::Lexer<'_, Tok>) -> Result<(), LexError> {
    let rest = lex.remainder();
    if !rest.starts_with(is_name_char) {
        return Ok(());
    }
    let mut len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    // Take a signed exponent whole, so that `1e-3` is reported as one literal.
    if rest[..len].ends_with(['e', 'E'])
        && rest[len..].starts_with(['+', '-'])
        && rest[len + 1..].starts_with(|c: char| c.is_ascii_digit())
    {
        let exp = &rest[len + 1..];
        len += 1 + exp.find(|c: char| !is_name_char(c)).unwrap_or(exp.len());
    }
    lex.bump(len);
    Err(LexError {
        kind: LexErrorKind::InvalidNumber,
        span: lex.span(),
    })
}

/// Callback for the integer regex: an [`Tok::Int`], or [`Tok::MinIntMagnitude`] for
/// exactly `9223372036854775808`.
fn int_literal(lex: &mut logos::Lexer<'_, Tok>) -> Result<Tok, LexError> {
    reject_letter_suffix(lex)?;
    let too_large = LexError {
        kind: LexErrorKind::IntTooLarge,
        span: lex.span(),
    };
    let mut value: u64 = 0;
    for digit in lex.slice().bytes().filter(u8::is_ascii_digit) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            .ok_or_else(|| too_large.clone())?;
    }
    match i64::try_from(value) {
        Ok(n) => Ok(Tok::Int(n)),
        Err(_) if value == i64::MIN.unsigned_abs() => Ok(Tok::MinIntMagnitude),
        Err(_) => Err(too_large),
    }
}

/// Callback for the float regex.
fn float_literal(lex: &mut logos::Lexer<'_, Tok>) -> Result<f64, LexError> {
    reject_letter_suffix(lex)?;
    let digits: String = lex.slice().chars().filter(|&c| c != '_').collect();
    match digits.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(LexError {
            kind: LexErrorKind::FloatTooLarge,
            span: lex.span(),
        }),
    }
}

/// Callback for an opening `"`: reads the rest of the string and decodes its escapes.
fn string_literal(lex: &mut logos::Lexer<'_, Tok>) -> Result<String, LexError> {
    let open = lex.span();
    let body_start = open.end;
    let rest = lex.remainder();
    let mut value = String::new();
    let mut chars = rest.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                lex.bump(at + 1);
                return Ok(value);
            }
            '\\' => {
                let decoded = match chars.next() {
                    Some((_, 'n')) => '\n',
                    Some((_, 't')) => '\t',
                    Some((_, '"')) => '"',
                    Some((_, '\\')) => '\\',
                    Some((escaped_at, escaped)) => {
                        let end = escaped_at + escaped.len_utf8();
                        lex.bump(end);
                        return Err(LexError {
                            kind: LexErrorKind::InvalidEscape,
                            span: body_start + at..body_start + end,
                        });
                    }
                    None => break,
                };
                value.push(decoded);
            }
            c => value.push(c),
        }
    }
    lex.bump(rest.len());
    Err(LexError {
        kind: LexErrorKind::UnterminatedString,
        span: open,
    })
}

/// Callback for `/*`: skips the comment up to its `*/`.
fn block_comment(lex: &mut logos::Lexer<'_, Tok>) -> Result<Skip, LexError> {
    let open = lex.span();
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(at) => {
            lex.bump(at + 2);
            Ok(Skip)
        }
        None => {
            lex.bump(rest.len());
            Err(LexError {
                kind: LexErrorKind::UnterminatedComment,
                span: open,
            })
        }
    }
}

/// The token stream of one source text, in the form LALRPOP's generated parser consumes.
///
/// Yields `Ok((start, token, end))` with byte offsets, and after the first error yields
/// that error and then ends.
pub struct Lexer<'src> {
    /// The underlying `logos` lexer.
    inner: logos::Lexer<'src, Tok>,
    /// Set once an error has been yielded.
    failed: bool,
}

impl<'src> Lexer<'src> {
    /// A lexer over `src`.
    pub fn new(src: &'src str) -> Lexer<'src> {
        Lexer {
            inner: Tok::lexer(src),
            failed: false,
        }
    }
}

/// How many brackets (`(`, `[`, `{`) `src` leaves open: more opening than closing ones
/// lexed; or the kind of the first lexical error. A cheap test of whether a REPL entry can
/// be complete.
pub fn open_brackets(src: &str) -> Result<i64, LexErrorKind> {
    let mut open = 0i64;
    for token in Lexer::new(src) {
        match token.map_err(|e| e.kind)?.1 {
            Tok::LParen | Tok::LBracket | Tok::LBrace => open += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace => open -= 1,
            _ => {}
        }
    }
    Ok(open)
}

impl Iterator for Lexer<'_> {
    type Item = Result<(usize, Tok, usize), LexError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = self.inner.next()?;
        let span = self.inner.span();
        match result {
            Ok(tok) => Some(Ok((span.start, tok, span.end))),
            Err(mut error) => {
                self.failed = true;
                if error.kind == LexErrorKind::UnexpectedChars {
                    // Merge the run of unexpected characters that follows into one error.
                    while let Some(Err(LexError {
                        kind: LexErrorKind::UnexpectedChars,
                        span: next,
                    })) = self.inner.next()
                    {
                        if next.start != error.span.end {
                            break;
                        }
                        error.span.end = next.end;
                    }
                }
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests;
