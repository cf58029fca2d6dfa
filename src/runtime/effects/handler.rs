//! What an installed handler is: its clauses ([`HandlerValue`]), how each clause may run
//! ([`ClauseKind`]), and the entries of the VM's handler stack ([`HandlerEntry`]): a
//! handler on a fiber, or the mask a fast-path clause runs behind.

use std::rc::Rc;

use crate::runtime::function::Closure;
use crate::stack::Fiber;

/// Index of a declared effect operation: its place in [`Vm::effects`](crate::runtime::Vm),
/// and what a handler's clauses and a `suspend` name it by.
pub type OpId = usize;

/// `Print(text)`, declared by the language itself: `print` and `println` perform it.
pub const PRINT: OpId = 0;
/// `ReadLine()`, declared by the language itself: `read_line` performs it.
pub const READ_LINE: OpId = 1;
/// `Fail(message)`, declared by the language itself: recoverable runtime errors perform it.
pub const FAIL: OpId = 2;

/// The operations every program starts with, by [`OpId`]: their names and arities. A
/// program that declares an operation of one of these names gets a new one (see
/// `docs/language.md`, "Built-in effects").
pub const BUILTIN_OPERATIONS: [(&str, usize); 3] = [("Print", 1), ("ReadLine", 0), ("Fail", 1)];

/// How an operation clause may run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClauseKind {
    /// Where its handler waits, after a stack switch, with its continuation.
    General,
    /// Tail-resumptive: on the fast path, as a call on the suspending stack behind a mask.
    TailResumptive,
    /// Tail-resumptive and performing nothing (no call, no `suspend`: see
    /// [`Ir::calls_out`](crate::ir::Ir::calls_out)): on the fast path without a mask, since
    /// no handler search can happen while it runs.
    Leaf,
}

impl ClauseKind {
    /// The kind of a clause from the resolver's facts about it.
    pub fn of(tail_resumptive: bool, calls_out: bool) -> ClauseKind {
        match (tail_resumptive, calls_out) {
            (false, _) => ClauseKind::General,
            (true, true) => ClauseKind::TailResumptive,
            (true, false) => ClauseKind::Leaf,
        }
    }
}

/// The clauses of an installed handler.
pub struct HandlerValue {
    /// Operation clauses: the operation, the clause, and how it may run.
    pub ops: Vec<(OpId, Rc<Closure>, ClauseKind)>,
    /// The `return` clause.
    pub ret: Option<Rc<Closure>>,
    /// Whether it is a shallow handler (one `resume … with` installs): not part of the
    /// continuations it captures. (Kept here rather than in its [`HandlerEntry`], whose
    /// fields then are two words, copied as such.)
    pub shallow: bool,
}

impl HandlerValue {
    /// The clause for operation `op` and how it may run, if this handler has one.
    pub(super) fn clause(&self, op: OpId) -> Option<(&Rc<Closure>, ClauseKind)> {
        self.ops
            .iter()
            .find(|(o, _, _)| *o == op)
            .map(|(_, c, tr)| (c, *tr))
    }
}

/// An entry of the VM's handler stack.
pub enum HandlerEntry {
    /// A handler installed on `fiber` (a `handle` body, or a continuation resumed `with`).
    Handler {
        /// Its clauses.
        handler: Rc<HandlerValue>,
        /// The outermost fiber of the computation it handles.
        fiber: Fiber,
    },
    /// A tail-resumptive clause is running on the fast path for the handler `skip` entries
    /// below: a search for a handler passes over it and the entries above it.
    Mask {
        /// Distance from this entry down to the handler whose clause runs.
        skip: usize,
    },
}
