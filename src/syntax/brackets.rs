//! Which bracket an input that ended too early left open: the error `unexpected end of
//! input` is reported at that bracket rather than at the end of the file, where nothing
//! shows what is missing.
//!
//! When a `}` (or `)`, `]`) that starts a line is indented differently from the line of the
//! bracket it closes, it most likely was meant for an outer one, and the bracket it closed is
//! the one whose closer is missing (`if c {` left open inside a function: the function's `}`
//! closes the `if`, and the function is what seems unclosed at the end). That bracket is
//! blamed when it lies inside the innermost bracket left open.

use crate::span::Span;
use crate::syntax::lexer::{Lexer, Tok};

/// An opening bracket, as the scan meets it.
#[derive(Clone, Copy)]
struct Opener {
    /// Where it is.
    span: Span,
    /// The bracket that closes it.
    closer: char,
    /// The indentation of its line, in bytes.
    indent: usize,
}

/// The bracket an input left open.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Unclosed {
    /// The bracket that most likely lacks its closer.
    pub(super) span: Span,
    /// Which bracket it is: `(`, `[` or `{`.
    pub(super) bracket: char,
    /// The closer that closed it although its indentation says it belongs to an outer
    /// bracket, if that is why it was chosen.
    pub(super) closed_by: Option<Span>,
    /// The closer of the innermost bracket left open: the one the parser can take at the
    /// end of the input.
    pub(super) innermost_closer: char,
}

/// The bracket that `src`, which lexes without error, leaves open and most likely lacks its
/// closer; `None` if every bracket is closed.
pub(super) fn unclosed(src: &str) -> Option<Unclosed> {
    let mut open: Vec<Opener> = Vec::new();
    // The brackets closed by a closer indented unlike them, with that closer.
    let mut misclosed: Vec<(Opener, Span)> = Vec::new();
    for (lo, tok, hi) in Lexer::new(src).map_while(Result::ok) {
        let closer = match tok {
            Tok::LParen => ')',
            Tok::LBracket => ']',
            Tok::LBrace => '}',
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                let Some(opener) = open.pop() else { continue };
                let (start, indent) = line_start(src, lo);
                let first_on_line = start + indent == lo;
                if first_on_line && start > opener.span.start as usize && indent != opener.indent {
                    misclosed.push((opener, Span::new(lo, hi)));
                }
                continue;
            }
            _ => continue,
        };
        open.push(Opener {
            span: Span::new(lo, hi),
            closer,
            indent: line_start(src, lo).1,
        });
    }
    let innermost = *open.last()?;
    let (blamed, closed_by) = misclosed
        .into_iter()
        .find(|(m, _)| m.span.start > innermost.span.start)
        .map_or((innermost, None), |(m, closer)| (m, Some(closer)));
    Some(Unclosed {
        span: blamed.span,
        bracket: src[blamed.span.start as usize..]
            .chars()
            .next()
            .unwrap_or('{'),
        closed_by,
        innermost_closer: innermost.closer,
    })
}

/// Where the line holding byte `at` of `src` starts, and how many bytes of blank space
/// begin it.
fn line_start(src: &str, at: usize) -> (usize, usize) {
    let start = src[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = src[start..at]
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    (start, indent)
}

#[cfg(test)]
mod tests {
    use super::unclosed;

    /// The line (1-based) of a byte offset of `src`.
    fn line(src: &str, at: u32) -> usize {
        src[..at as usize].matches('\n').count() + 1
    }

    /// The bracket blamed, its line and the innermost closer.
    fn blamed(src: &str) -> Option<(char, usize, char)> {
        unclosed(src).map(|u| (u.bracket, line(src, u.span.start), u.innermost_closer))
    }

    #[test]
    fn the_innermost_bracket_left_open_is_blamed() {
        assert_eq!(blamed("f(g(1)"), Some(('(', 1, ')')));
        assert_eq!(blamed("fn f() {\n  [1, (2)\n"), Some(('[', 2, ']')));
        assert_eq!(unclosed("f(").and_then(|u| u.closed_by), None);
        assert_eq!(blamed("{ ( ) }"), None);
        assert_eq!(blamed("// {\n\"(\""), None);
    }

    #[test]
    fn a_closer_indented_unlike_its_opener_blames_the_bracket_it_closed() {
        let src = "fn f(x) {\n  if x {\n    1\n}\nfn g() {\n  2\n}\n";
        assert_eq!(blamed(src), Some(('{', 2, '}')));
        let closed_by = unclosed(src)
            .and_then(|u| u.closed_by)
            .map(|s| line(src, s.start));
        assert_eq!(closed_by, Some(4));
        // A mis-indented closer before the innermost bracket left open is not blamed.
        let src = "fn f(x) {\n  if x {\n    1\n}\n}\nfn g() {\n  2\n";
        assert_eq!(blamed(src), Some(('{', 6, '}')));
    }
}
