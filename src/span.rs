//! Where in a source text something was written: the [`Span`] every layer carries, from
//! the parser's syntax tree through the resolved program and compiled code to runtime errors
//! and their reports.
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

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
