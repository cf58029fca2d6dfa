//! Runtime errors that compiled code raises, offered to the program's `Fail` handlers.
//!
//! An operation that fails (an operator, an index, a `match` with no arm for its value)
//! makes its error where it cannot always reach the context: an operand may still be
//! borrowed from the frame. So it returns the error as an unwinding ([`err`]), and the
//! closure that ran the operation passes its result through [`offered`] once the borrows
//! end: if a handler catches `Fail` there, the error performs `Fail(message)`, and the value
//! the handler resumes with is the value of the failed operation (see
//! `runtime::effects::raise`).
//!
//! Invariant: [`offered`] is given only results whose error, if any, the operation itself
//! raised, never one that came out of code the operation ran (an operand's code, a call):
//! such an error was offered where it was raised, and offering it again would let a
//! handler that was not around the failure catch it (one masked while a fast-path clause
//! ran, say).

use crate::runtime::effects::raise;
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, CtrlKind, Ctx, ErrorKind};
use crate::span::Span;

use super::nesting::ViaValue;

/// Runtime error `kind` (as the runtime's operations return it, boxed, or as the compiler
/// makes it), raised at `span` by the operation that returns it.
pub(super) fn err(kind: impl Into<Box<ErrorKind>>, span: Span) -> Ctrl {
    let kind: Box<ErrorKind> = kind.into();
    (*kind).at(span).into()
}

/// `r`, the result of an operation, with its error offered to a `Fail` handler: the handler's
/// resume value, converted to the result's type, is then the result.
#[inline(always)]
pub(super) fn offered<T: ViaValue>(ctx: &mut Ctx, r: Result<T, Ctrl>) -> Result<T, Ctrl> {
    match r {
        Ok(v) => Ok(v),
        Err(c) => offer(ctx, c),
    }
}

/// Offers the error `c` unwinds with to a `Fail` handler (anything else unwinds on).
#[cold]
#[inline(never)]
fn offer<T: ViaValue>(ctx: &mut Ctx, c: Ctrl) -> Result<T, Ctrl> {
    match c.kind() {
        CtrlKind::Error(e) if e.trace.is_empty() => {
            let site = e.site;
            let v = raise(ctx, e.kind, site)?;
            T::from_resumed(ctx, v, site)
        }
        other => Err(Ctrl::raise(other)),
    }
}

/// The boolean `v` is; a type error at `span` for anything else, itself offered to a `Fail`
/// handler.
pub(super) fn resumed_bool(ctx: &mut Ctx, v: Value, span: Span) -> Result<bool, Ctrl> {
    match v {
        Value::True => Ok(true),
        Value::False => Ok(false),
        other => offered(ctx, Err(err(ErrorKind::ExpectedBool(other.kind()), span))),
    }
}
