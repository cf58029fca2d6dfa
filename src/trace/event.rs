//! One traced effect event, as the text trace prints it and the HTML page draws it.
//!
//! Invariants: ids are numbered from 1 in the order a run makes them, per kind (handlers
//! `h1, h2, …`, continuations `k1, k2, …`); stack 0 is the main stack and other stacks are
//! numbered in the order the trace first sees them (`s1, s2, …`), so two runs of the same
//! program give the same trace. Values are kept already shown and abbreviated (see
//! [`Event`]), so that an event holds no reference to the program's values and keeping
//! 10,000 of them keeps nothing else alive.

use std::rc::Rc;

/// The number of a native stack in a trace: 0 is the main stack, `n` is `sn`.
pub type StackId = u32;

/// A place in the program's source, as error messages give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The source's name (a file, `<eval>`, `<repl:N>`, or `standard library`).
    pub file: Rc<str>,
    /// The line, from 1; 0 in the standard library, whose lines are not shown.
    pub line: u32,
    /// The column, from 1 (counting characters); 0 in the standard library.
    pub column: u32,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `handle … with { … }` installed handler `handler`.
    Handle {
        /// The handler's id.
        handler: u32,
    },
    /// `suspend Op(args)`: the operation, caught by `handler` (`None`: by the handler that
    /// encloses the whole program, whose clauses get no continuation), which got continuation
    /// `k`. A built-in operation (`Print`, `ReadLine`, `Fail`) that `println`, `read_line` or
    /// a runtime error performs is recorded so too, when a handler of the program's catches
    /// it.
    Suspend {
        /// The operation's name, as the program declared it.
        op: Rc<str>,
        /// The arguments, each shown as a value prints and abbreviated.
        args: Vec<String>,
        /// The handler whose clause caught it.
        handler: Option<u32>,
        /// The continuation the clause got (`None` with the root handler). A clause on the
        /// fast path gets none that the program can see, but its `resume` resumes this id.
        k: Option<u32>,
        /// Whether the clause ran on the fast path, on the suspending stack, without a
        /// switch (`docs/effects.md`).
        fast: bool,
    },
    /// `resume k(value)`, or a shallow resume `resume k(value) with { … }`.
    Resume {
        /// The continuation (`None`: the value resumed is not one the trace has seen, such
        /// as something other than a continuation, which is an error).
        k: Option<u32>,
        /// The value `suspend` returns (or, for a `cont`, the arguments), shown and
        /// abbreviated.
        value: String,
        /// For a shallow resume, the handler `with { … }` installs.
        shallow: Option<u32>,
    },
    /// Handler `handler`'s `return` clause runs with the handled computation's value.
    Return {
        /// The handler.
        handler: u32,
        /// The computation's value, shown and abbreviated.
        value: String,
    },
    /// `discontinue k`.
    Discontinue {
        /// The continuation (`None`: not one the trace has seen).
        k: Option<u32>,
    },
    /// `cont f` made continuation `k`, not started.
    Cont {
        /// The continuation.
        k: u32,
        /// The function's name (`<fn>` for an anonymous one).
        function: Rc<str>,
    },
    /// The computation of continuation `k` finished: its outermost stack returned `value`
    /// (the body of a `handle`, before the `return` clause, or a `cont`'s function).
    Finished {
        /// The continuation.
        k: u32,
        /// What it returned, shown and abbreviated.
        value: String,
    },
    /// Continuation `k` was dropped without being resumed (its last reference went away,
    /// or a fast-path clause ended without resuming): its stack was reclaimed.
    Reclaimed {
        /// The continuation.
        k: u32,
    },
    /// Control moved from one native stack to another (recorded with `--trace=stacks` and
    /// for the HTML page), carrying `label`: the operation and its arguments on the way to
    /// a handler, the value on the way back.
    Switch {
        /// The stack that ran.
        from: StackId,
        /// The stack that runs now.
        to: StackId,
        /// What the switch carries, shown and abbreviated: `handle hN` for the start of a
        /// handler's body, the operation on the way to a handler, the value on the way
        /// back. `None` for a switch the trace saw only by its effect (a call continuing on
        /// a stack extension, a handler whose fiber was made by the runtime).
        label: Option<String>,
    },
}

/// One event: what happened, where in the source, how deep in handlers, on which stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The source location of the construct that made the event (`None` where there is
    /// none, e.g. a continuation reclaimed when its last reference went away).
    pub at: Option<Place>,
    /// How many handlers enclose the code that made the event (the text trace indents by
    /// it).
    pub depth: u32,
    /// The native stack running when it happened.
    pub stack: StackId,
}
