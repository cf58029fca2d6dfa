//! The catalogue of warnings: what the resolver finds in a unit that compiles but most
//! likely does not do what its author meant. It follows the pattern of the error catalogues
//! ([`crate::syntax::error`]): a [`WarningKind`] holds the data its text needs, its
//! `Display` is the message, [`WarningKind::hint`] the hint and [`WarningKind::label`] the
//! label of the place that explains it, and a [`Warning`] places it at a span.
//!
//! A warning never stops a program: the front end prints it before the program runs (or,
//! with `--deny-warnings`, reports it as an error). A name that starts with `_` is never
//! reported as unused, so `_x` (or `_`) says "unused on purpose", as in Rust.

use std::fmt;

use crate::span::Span;

/// A warning, where it is, and the place that explains it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What looks wrong.
    pub kind: WarningKind,
    /// Where.
    pub span: Span,
    /// The place that explains it (the `return` before unreachable code).
    pub because: Option<Span>,
}

impl Warning {
    /// What looks wrong (the text after `warning: `).
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// How to fix it, or say that it is intended.
    pub fn hint(&self) -> String {
        self.kind.hint()
    }

    /// The place that explains it, with its label.
    pub fn secondary(&self) -> Vec<(Span, String)> {
        self.because
            .zip(self.kind.label())
            .map(|(span, label)| (span, label.to_string()))
            .into_iter()
            .collect()
    }
}

/// What a name that may go unused was bound by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A `let` or `var` (or a name in its tuple).
    Variable,
    /// A parameter of a function, a lambda or a handler clause.
    Parameter,
    /// The continuation of a handler clause (`k` in `Op(x), k => …`): unused, it is
    /// [`WarningKind::ContinuationDropped`].
    Continuation,
}

/// Every warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningKind {
    /// A `let`, `var` or parameter that nothing reads or assigns: its kind and its name.
    Unused(Binding, String),
    /// A clause that names its continuation and never uses it, so the rest of the
    /// handled computation is dropped: the continuation's name.
    ContinuationDropped(String),
    /// A statement after a `return` (or after an `if` or `match` every branch of which
    /// returns) in the same block.
    Unreachable,
}

impl WarningKind {
    /// The warning at `span`.
    pub fn at(self, span: Span) -> Warning {
        Warning {
            kind: self,
            span,
            because: None,
        }
    }

    /// How to fix it, or say that it is intended.
    pub fn hint(&self) -> String {
        match self {
            WarningKind::Unused(_, name) => {
                format!("if that is intended, name it `_{name}`")
            }
            WarningKind::ContinuationDropped(k) => format!(
                "`resume {k}(v)` continues the computation; name it `_` if that is intended"
            ),
            WarningKind::Unreachable => "remove it, or move it before the `return`".to_string(),
        }
    }

    /// The label of the place that explains the warning ([`Warning::because`]), for the
    /// warnings that have one.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            WarningKind::Unreachable => Some("the function returns here"),
            WarningKind::Unused(..) | WarningKind::ContinuationDropped(_) => None,
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WarningKind::Unused(binding, name) => {
                let what = match binding {
                    Binding::Variable => "variable",
                    Binding::Parameter | Binding::Continuation => "parameter",
                };
                write!(f, "unused {what} `{name}`")
            }
            WarningKind::ContinuationDropped(k) => write!(
                f,
                "the rest of the computation is dropped: `{k}` is never resumed"
            ),
            WarningKind::Unreachable => f.write_str("unreachable code after `return`"),
        }
    }
}
