//! The compile errors of the resolver.

use crate::syntax::ast::Span;

/// A compile-time error: a message, where, and maybe a hint.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// What is wrong (begins with a phrase from LANGUAGE.md's error table where one applies).
    pub message: String,
    /// Where.
    pub span: Span,
    /// A hint for the learner.
    pub hint: Option<String>,
}

impl CompileError {
    /// An error at `span` with no hint.
    pub(super) fn new(message: impl Into<String>, span: Span) -> CompileError {
        CompileError {
            message: message.into(),
            span,
            hint: None,
        }
    }

    /// The error with `hint` added.
    pub(super) fn hint(mut self, hint: impl Into<String>) -> CompileError {
        self.hint = Some(hint.into());
        self
    }
}
