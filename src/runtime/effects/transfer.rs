//! Moving values across a stack switch.
//!
//! A switch carries one word. Values travel in [`Vm::transfer`](crate::runtime::Vm), a
//! [`Transfer`] with one cell per kind of switch (resume, suspend, finish): the side that
//! switches away writes its cell immediately before the switch, the side that wakes up takes
//! the cell of the event the stack layer reports immediately after. Nothing that could drop
//! a value (and so cancel a continuation, which switches too) runs in between.

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::effects::{ClauseKind, Continuation};
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
use crate::runtime::{Ctx, Escaping, R, RuntimeError};
use crate::stack::FiberId;

/// The values a `resume` passes: most pass one, and then no vector is allocated.
#[derive(Default)]
pub enum Args {
    /// No value (`resume k()`, or entering a `handle` body).
    #[default]
    None,
    /// One value.
    One(Value),
    /// Several values (the first resume of a `cont` of a function of several parameters).
    Many(Vec<Value>),
}

impl Args {
    /// How many values.
    pub(super) fn len(&self) -> usize {
        match self {
            Args::None => 0,
            Args::One(_) => 1,
            Args::Many(vs) => vs.len(),
        }
    }

    /// The value `suspend` returns when resumed with these: the last, or `()`.
    pub(super) fn into_value(self) -> Value {
        match self {
            Args::None => Value::Unit,
            Args::One(v) => v,
            Args::Many(mut vs) => vs.pop().unwrap_or_default(),
        }
    }

    /// Pushes the values on a value stack, first first. Inlined: out of line it costs a
    /// call for a push or nothing.
    #[inline(always)]
    pub(super) fn push_onto(self, stack: &mut Vec<Value>) {
        match self {
            Args::None => {}
            Args::One(v) => stack.push(v),
            Args::Many(vs) => stack.extend(vs),
        }
    }
}

/// Values in flight during a stack switch (see the module docs): one slot for each kind
/// of switch, so that each side moves only the words its kind needs and tells the kind from
/// the stack layer's [`Event`](crate::stack::Event), not from a tag in the slot.
#[derive(Default)]
pub struct Transfer {
    /// To a fiber being resumed: its arguments (a fresh `cont` continuation) or the value of
    /// its `suspend`.
    pub(super) resume: Cell<Args>,
    /// From a fiber that suspended: the operation, for its handler's clause.
    pub(super) suspended: Cell<Option<Suspension>>,
    /// From a fiber (or stack extension) that finished.
    pub(crate) finished: Cell<Outcome>,
}

/// An operation on its way to the clause that handles it, across the switch of a suspend.
pub(super) struct Suspension {
    /// The clause that handles the operation.
    pub(super) clause: Rc<Closure>,
    /// How the clause may run.
    pub(super) kind: ClauseKind,
    /// The captured continuation, which holds the operation's arguments (see
    /// [`Continuation::args_to`]).
    pub(super) k: Rc<Continuation>,
}

/// How a fiber's function (or a stack extension's job) finished.
#[derive(Default)]
pub(crate) enum Outcome {
    /// Not yet written.
    #[default]
    Empty,
    /// It returned this value.
    Returned(Value),
    /// It failed with this error.
    Failed(Box<RuntimeError>),
    /// It was cancelled and has unwound.
    Aborted,
    /// It was unwound by a clause value (or error) escaping to the handler on the given
    /// fiber.
    Escaped(FiberId, Escaping),
    /// A stack extension finished a call: the continuation's state and the call's result.
    Extended(Box<Ctx>, R),
}

/// Writes `value` into a cell of the [`Transfer`]. The other side has taken what was there,
/// so there is normally nothing to drop (`empty` says so, checked inline, without a call to
/// the drop glue); a cancelled fiber's `Outcome::Aborted`, which no one waits for, may be
/// left over and is dropped.
#[inline(always)]
pub(crate) fn put<T>(cell: &Cell<T>, value: T, empty: impl FnOnce(&T) -> bool) {
    let old = cell.replace(value);
    if empty(&old) {
        // An empty value owns nothing.
        std::mem::forget(old);
    } else {
        drop(old);
    }
}
