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
//! The lexer stops at its first error: the parser reports only the first one anyway.

use logos::{Logos, Skip};
use std::ops::Range;

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

    /// The message, e.g. "unexpected character `@`"; `src` is the lexed source.
    pub fn message(&self, src: &str) -> String {
        let raw = src.get(self.span.clone()).unwrap_or("");
        let text = &visible(raw);
        match self.kind {
            LexErrorKind::UnexpectedChars if raw.chars().count() > 1 => {
                format!("unexpected characters `{text}`")
            }
            LexErrorKind::UnexpectedChars => format!("unexpected character `{text}`"),
            LexErrorKind::UnterminatedString => "unterminated string".to_string(),
            LexErrorKind::UnterminatedComment => "unterminated block comment".to_string(),
            LexErrorKind::InvalidEscape => format!("invalid escape `{text}` in string"),
            LexErrorKind::IntTooLarge => "integer literal too large".to_string(),
            LexErrorKind::FloatTooLarge => "float literal too large".to_string(),
            LexErrorKind::InvalidNumber => format!("invalid number literal `{text}`"),
        }
    }

    /// A hint that helps fix the error, if there is a useful one.
    pub fn hint(&self, src: &str) -> Option<String> {
        let text = src.get(self.span.clone()).unwrap_or("");
        match self.kind {
            LexErrorKind::UnexpectedChars => unexpected_chars_hint(src, self.span.clone()),
            LexErrorKind::UnterminatedString => {
                Some("the string starts here and has no closing `\"`".to_string())
            }
            LexErrorKind::UnterminatedComment => Some(
                "the comment starts here and has no closing `*/` (block comments do not nest)"
                    .to_string(),
            ),
            LexErrorKind::InvalidEscape => {
                Some("the escapes are `\\n`, `\\t`, `\\\"` and `\\\\`".to_string())
            }
            LexErrorKind::IntTooLarge => Some(format!(
                "integers must lie between {} and {}",
                i64::MIN,
                i64::MAX
            )),
            LexErrorKind::FloatTooLarge => None,
            LexErrorKind::InvalidNumber => Some(invalid_number_hint(text)),
        }
    }

    /// Whether the error is that the input ended too early (an open string or comment):
    /// more input could fix it.
    pub fn at_eof(&self) -> bool {
        matches!(
            self.kind,
            LexErrorKind::UnterminatedString | LexErrorKind::UnterminatedComment
        )
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

/// The hint for a run of unexpected characters.
fn unexpected_chars_hint(src: &str, span: Range<usize>) -> Option<String> {
    let text = src.get(span.clone())?;
    let before = src.get(..span.start)?;
    let after = src.get(span.end..)?;
    let hint = match text {
        "." => {
            let digits_before = before
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
                .len();
            let int = &before[digits_before..];
            let starts_number = after.starts_with(|c: char| c.is_ascii_digit());
            let int_starts = int.starts_with(|c: char| c.is_ascii_digit())
                && !before[..digits_before].ends_with(|c: char| is_name_char(c) || c == '.');
            if int_starts {
                format!("`{int}.` is not a float: write `{int}.0`")
            } else if starts_number && !before.ends_with(|c: char| is_name_char(c) || c == '.') {
                let frac: String = after.chars().take_while(char::is_ascii_digit).collect();
                format!("`.{frac}` is not a float: write `0.{frac}`")
            } else {
                "kont has no `.` operator; ranges are written `a..b`".to_string()
            }
        }
        "!" => "write `not` for negation".to_string(),
        "&" | "&&" => "write `and` for logical and".to_string(),
        "'" => "strings are written in double quotes: `\"a\"`".to_string(),
        _ => return None,
    };
    Some(hint)
}

/// The hint for a number directly followed by letters.
fn invalid_number_hint(text: &str) -> String {
    let exponent = text
        .find(['e', 'E'])
        .filter(|&at| {
            let mantissa = &text[..at];
            let rest = text[at + 1..].trim_start_matches(['+', '-']);
            !mantissa.contains('.')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_digit() || c == '_')
        })
        .map(|at| text.split_at(at));
    match exponent {
        Some((mantissa, exp)) => {
            format!("`{text}` is not a float: write `{mantissa}.0{exp}`")
        }
        None => "a number cannot be directly followed by a letter".to_string(),
    }
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
