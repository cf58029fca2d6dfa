//! The catalogue of compile errors: every error the resolver reports, each with its message
//! and its hint, written here and nowhere else. It follows the pattern of the syntax errors'
//! catalogue ([`crate::syntax::error`]): a [`CompileErrorKind`] holds the data its text
//! needs, its `Display` is the message, its [`CompileErrorKind::hint`] the hint, and a
//! [`CompileError`] places it at a span.

use std::fmt;

use super::{MAX_NESTING, MAX_PATTERN_NESTING};
use crate::span::Span;

/// A compile error, and where it is.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// What is wrong.
    pub kind: CompileErrorKind,
    /// Where.
    pub span: Span,
}

impl CompileError {
    /// What is wrong (begins with a phrase of `docs/language.md`'s error table where one
    /// applies).
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// A hint for the learner, if there is a useful one.
    pub fn hint(&self) -> Option<String> {
        self.kind.hint()
    }
}

/// Every compile error.
#[derive(Debug, Clone)]
pub enum CompileErrorKind {
    /// Reading a name that nothing in scope defines, and the name in scope closest to it,
    /// if one is close.
    UnknownName(String, Option<String>),
    /// Assigning to a name that nothing in scope defines, and the closest name in scope.
    AssignToUnknown(String, Option<String>),
    /// Assigning to an immutable variable: a `let`, a parameter, a pattern's name.
    AssignToImmutable(String),
    /// Assigning to a function: a `fn` declaration or a built-in.
    AssignToFunction(String),
    /// `return` at the top level of a unit.
    ReturnOutsideFunction,
    /// Performing or handling an operation that no `effect` declares, and the declared
    /// operation closest to it, if one is close.
    UnknownEffect(String, Option<String>),
    /// Performing or handling an operation with a number of arguments other than its
    /// declaration's.
    OperationArity {
        /// The operation.
        name: String,
        /// How many parameters its declaration has.
        expects: usize,
        /// How many arguments were given.
        got: usize,
    },
    /// An operation with two clauses in one handler.
    HandledTwice(String),
    /// An or-pattern whose alternatives bind different names.
    OrPatternNames,
    /// An expression nested more than [`MAX_NESTING`] levels deep.
    NestedTooDeeply,
    /// A pattern nested more than [`MAX_PATTERN_NESTING`] levels deep.
    PatternNestedTooDeeply,
}

impl CompileErrorKind {
    /// The error at `span`.
    pub fn at(self, span: Span) -> CompileError {
        CompileError { kind: self, span }
    }

    /// A hint for the learner, if there is a useful one.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            CompileErrorKind::UnknownName(name, _) if name == "_" => {
                "`_` ignores a value in a pattern or binding; it cannot be read".to_string()
            }
            CompileErrorKind::UnknownName(name, _) if name == "perform" => {
                "kont performs an operation with `suspend`: `suspend Op(…)`".to_string()
            }
            CompileErrorKind::UnknownName(_, Some(similar))
            | CompileErrorKind::AssignToUnknown(_, Some(similar))
            | CompileErrorKind::UnknownEffect(_, Some(similar)) => {
                format!("did you mean `{similar}`?")
            }
            CompileErrorKind::AssignToUnknown(_, None) => "declare it first with `var`".to_string(),
            CompileErrorKind::AssignToImmutable(name) => {
                format!("declare it with `var {name} = …` to make it assignable")
            }
            CompileErrorKind::AssignToFunction(_) => "functions cannot be reassigned".to_string(),
            CompileErrorKind::ReturnOutsideFunction => {
                "`return` ends the enclosing function; at the top level there is none".to_string()
            }
            CompileErrorKind::UnknownEffect(name, None) => {
                format!("declare it with `effect {name}(…)`")
            }
            CompileErrorKind::NestedTooDeeply => {
                "split it into smaller expressions with `let`".to_string()
            }
            CompileErrorKind::PatternNestedTooDeeply => {
                "match in steps: name an inner part and match it in the arm".to_string()
            }
            CompileErrorKind::UnknownName(_, None)
            | CompileErrorKind::OperationArity { .. }
            | CompileErrorKind::HandledTwice(_)
            | CompileErrorKind::OrPatternNames => return None,
        };
        Some(hint)
    }
}

impl fmt::Display for CompileErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompileErrorKind::UnknownName(name, _) | CompileErrorKind::AssignToUnknown(name, _) => {
                write!(f, "unknown name {name}")
            }
            CompileErrorKind::AssignToImmutable(name)
            | CompileErrorKind::AssignToFunction(name) => {
                write!(f, "cannot assign to immutable {name}")
            }
            CompileErrorKind::ReturnOutsideFunction => f.write_str("return outside a function"),
            CompileErrorKind::UnknownEffect(name, _) => write!(f, "unknown effect {name}"),
            CompileErrorKind::OperationArity { name, expects, got } => write!(
                f,
                "wrong number of arguments: {name} expects {expects}, got {got}"
            ),
            CompileErrorKind::HandledTwice(name) => {
                write!(f, "operation {name} is handled twice in one handler")
            }
            CompileErrorKind::OrPatternNames => {
                f.write_str("the alternatives of an or-pattern must bind the same names")
            }
            CompileErrorKind::NestedTooDeeply => write!(
                f,
                "expression nested too deeply (more than {MAX_NESTING} levels)"
            ),
            CompileErrorKind::PatternNestedTooDeeply => write!(
                f,
                "pattern nested too deeply (more than {MAX_PATTERN_NESTING} levels)"
            ),
        }
    }
}
