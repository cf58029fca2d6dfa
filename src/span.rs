//! Where in a source text something was written: the [`Span`] every layer carries, from
//! the parser's syntax tree through the resolved program and compiled code to runtime errors
//! and their reports.
//!
//! A span is a range of bytes of one source text, the text the code that carries it comes
//! from; a [`SourceSpan`] also names that text, for the few runtime records that outlive the
//! code they point into (where a continuation is suspended, where a runtime error offered to
//! a handler happened).
//!
//! A leaf module: it depends on nothing in the crate, so that the runtime and the
//! diagnostics can name a place in the source without depending on the syntax tree.

use std::fmt;

/// A byte range `start..end` in one source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// The span from byte `start` to byte `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A span of a given source text: the text's id in the session's
/// [`SourceMap`](crate::source_map::SourceMap), and the span in it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SourceSpan {
    /// The source text.
    pub source: u32,
    /// Where in it.
    pub span: Span,
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
