//! What a tracer (`kont --trace`, `src/trace/`) sees of the effects machinery that the
//! traced code it compiles cannot see itself: a traced fiber starting and ending, a
//! continuation dropped before it was resumed, a built-in operation (`Print`, `ReadLine`,
//! `Fail`) performed by the runtime rather than by a `suspend`; and which handler an
//! operation will reach ([`catcher`]).
//!
//! Tracing is decided when a program is compiled: the traced code records its own events
//! and hands fibers to the runtime as [`Body::Observed`], so a program compiled without
//! tracing reaches none of these hooks on its hot paths. The [`Observer`] a traced session
//! installs for the length of an evaluation is read on a few paths only, each already rare
//! and costly next to one read of a thread-local: a continuation dropped unresumed (its
//! stacks are cancelled), the first resume of a `cont` and a shallow resume of a segment
//! whose deep handler is on its outermost fiber (a fiber is made for each), and a built-in
//! operation that a handler of the program's catches (a handler search was made).
//!
//! [`catcher`] also serves the frame records of code compiled for `backtrace`
//! ([`crate::runtime::frames`]), which move a computation's frames into the continuation
//! its handler captures.

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::effects::spawn::Body;
use crate::runtime::effects::suspend::search;
use crate::runtime::effects::{ClauseKind, HandlerEntry, HandlerValue, OpId, OpSite};
use crate::runtime::function::Closure;
use crate::runtime::{Ctx, R, Vm};
use crate::span::Span;
use crate::stack::{Fiber, FiberId};

/// The tracer's hooks: plain functions, which find the tracer's state themselves.
pub struct Observer {
    /// A fiber of [`Body::Observed`] starts running, on that fiber.
    pub started: fn(),
    /// That fiber's function ended with `result`, on that fiber: returns the result to
    /// report (the same; an unwinding's reason may be taken and raised again).
    pub ended: fn(R) -> R,
    /// A continuation not yet resumed (nor discontinued) is being dropped.
    pub dropped: fn(Unresumed),
    /// Performs the built-in operation of `site` with the `argc` arguments on top of the
    /// value stack: the tracer records it (if a handler of the program's catches it) and
    /// calls [`suspend`](super::suspend()).
    pub perform: fn(&mut Ctx, &OpSite, usize) -> R,
}

thread_local! {
    /// The observer installed for the evaluation running on this thread, if it is traced.
    static OBSERVER: Cell<Option<&'static Observer>> = const { Cell::new(None) };
}

/// Installs `observer` (or none) for the evaluations that follow on this thread; returns
/// the one it replaces.
pub fn observe(observer: Option<&'static Observer>) -> Option<&'static Observer> {
    OBSERVER.replace(observer)
}

/// The observer installed on this thread, if any.
#[inline(always)]
pub(super) fn observer() -> Option<&'static Observer> {
    OBSERVER.get()
}

/// `body` as the body of a fiber whose start and end are observed, if an observer is
/// installed: for the fibers the runtime makes of its own accord (the first resume of a
/// `cont`, a shallow resume that needs a fiber of its own), which do not know whether the
/// code that asked for them is traced.
pub(super) fn observed(body: Body) -> Body {
    match observer() {
        Some(_) => Body::Observed(Box::new(body)),
        None => body,
    }
}

/// Runs `body` on the fiber it was spawned for, between the observer's hooks (see
/// [`Body::Observed`]); out of line, as `Body::run`, which calls it, is inlined.
#[inline(never)]
pub(super) fn run_observed(body: Body, ctx: &mut Ctx, argc: usize, site: Span) -> R {
    let Some(observer) = observer() else {
        return body.run(ctx, argc, site);
    };
    (observer.started)();
    let result = body.run(ctx, argc, site);
    (observer.ended)(result)
}

/// A continuation dropped before it was resumed, told apart from others as a tracer can:
/// not by its own address (the drop of every continuation would then have to give it out,
/// which costs the drop of a spent one, the common case, its speed) but by what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unresumed {
    /// A suspended computation, by its outermost fiber (the fiber of the handler that
    /// captured it: a continuation made later with the same one is not alive yet).
    Suspended(FiberId),
    /// A `cont f` never resumed, by the address of `f`.
    Fresh(usize),
}

impl Unresumed {
    /// The continuation whose outermost fiber is `fiber` or, if it has none, whose function
    /// to start is `start`.
    pub(super) fn of(fiber: Option<&Fiber>, start: Option<&Rc<Closure>>) -> Option<Unresumed> {
        match (fiber, start) {
            (Some(fiber), _) => Some(Unresumed::Suspended(fiber.id())),
            (None, Some(f)) => Some(Unresumed::Fresh(Rc::as_ptr(f).addr())),
            (None, None) => None,
        }
    }
}

/// The handler whose clause an operation performed now would run, as
/// [`suspend`](super::suspend()) finds it.
pub struct Catcher {
    /// The handler.
    pub handler: Rc<HandlerValue>,
    /// Its clause for the operation.
    pub clause: Rc<Closure>,
    /// The fiber the handler is installed on: the outermost fiber of the continuation
    /// the operation makes.
    pub fiber: FiberId,
    /// Whether the clause runs on the fast path, on the suspending stack without a switch
    /// (as `suspend` chooses: a tail-resumptive clause of a deep handler, with
    /// [`Vm::fast_resume`] on).
    pub fast: bool,
    /// The handler's position in the handler stack.
    pub index: usize,
}

/// The handler that catches operation `op` where the computation runs now, if one of the
/// program's does (none: the root handler's clauses run).
pub fn catcher(vm: &Vm, op: OpId) -> Option<Catcher> {
    let hs = vm.handlers.borrow();
    let (index, clause, kind, shallow) = search(&hs, |handler, index| {
        handler
            .clause(op)
            .map(|(clause, kind)| (index, clause.clone(), kind, handler.shallow))
    })?;
    let HandlerEntry::Handler { handler, fiber } = &hs[index] else {
        return None;
    };
    Some(Catcher {
        handler: handler.clone(),
        clause,
        fiber: fiber.id(),
        fast: vm.fast_resume && !shallow && kind != ClauseKind::General,
        index,
    })
}

/// How many of the handler entries `hs` are handlers that an operation performed above
/// them could reach: the handlers, less those that masks hide (see `fast_path.rs`). The
/// text trace indents an event by it.
pub fn visible_handlers(hs: &[HandlerEntry]) -> usize {
    let mut count = 0;
    let mut i = hs.len();
    while i > 0 {
        i -= 1;
        match &hs[i] {
            HandlerEntry::Mask { skip } => i -= skip,
            HandlerEntry::Handler { .. } => count += 1,
        }
    }
    count
}
