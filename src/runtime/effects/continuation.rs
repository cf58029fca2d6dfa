//! One-shot continuations: what `suspend` captures and `cont` makes ([`Continuation`]),
//! taking one apart for a resume, and `cont` and `discontinue`.
//!
//! A continuation holds its parts in cells that a resume takes out in place: its outermost
//! fiber and its handler entries, or, for a `cont f` not yet resumed, `f`. A continuation
//! with none of them has been resumed (or discontinued): resuming it again is the error
//! `continuation already resumed`. Dropping one that still holds a fiber cancels it.
//!
//! A continuation captured by a `suspend` also keeps the operation it is suspended at, where
//! that is, and its arguments, so that it prints its state ([`Continuation::state`]). The
//! arguments travel to the clause in it: a clause that receives the continuation (a
//! general one) gets copies, one that never sees it (a tail-resumptive one on the slow
//! path) the arguments themselves ([`Continuation::args_to`]); a resume or `discontinue`
//! drops what is left.

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::rc::Rc;

use crate::runtime::ctrl::error_unwinding;
use crate::runtime::effects::observe::{Unresumed, observed, observer};
use crate::runtime::effects::spawn::{Body, spawn};
use crate::runtime::effects::suspend::OpPoint;
use crate::runtime::effects::{HandlerEntry, ended, internal};
use crate::runtime::extension::check_nesting;
use crate::runtime::function::Closure;
use crate::runtime::value::{Value, discard};
use crate::runtime::{Arity, Ctrl, ErrorKind, R, Vm, print};
use crate::span::Span;
use crate::stack::Fiber;

/// A one-shot continuation: a suspended computation (one or more fibers, a *segment*, and
/// the handler entries that go with them) until it is resumed or discontinued. Its parts are
/// taken out of it in place, each one word or two, rather than moved out as a whole: a
/// resume then carries no record of the computation from function to function.
///
/// It is kept to 64 bytes (80 with its reference counts, an allocator size class): the
/// function of a fresh `cont` and the arguments of a suspended one share a cell, and the
/// place of the operation is four 32-bit words.
pub struct Continuation {
    /// The outermost fiber, whose parent is whoever resumes the continuation; `None` once
    /// taken (the continuation is spent), and for a `cont f` not yet resumed. Declared
    /// first, so dropping a continuation drops it before the entries, as the record it
    /// replaced did.
    fiber: Cell<Option<Fiber>>,
    /// The handler entries to push back when resuming (bottom first).
    entries: Cell<Entries>,
    /// `f` of a `cont f` not yet resumed, or the arguments of the operation a suspended
    /// continuation waits at; no arguments once resumed or discontinued. Not dropped with
    /// the continuation: its drop takes what is there (what it leaves owns nothing),
    /// without a call to the drop glue.
    held: ManuallyDrop<Cell<Held>>,
    /// The operation the computation is suspended at, and where: meaningful while `fiber`
    /// is `Some` (a `cont f` holds [`NOT_SUSPENDED`]).
    point: OpPoint,
}

/// What a continuation holds for printing it and for its first resume, besides its fiber
/// and entries.
enum Held {
    /// For a `cont f` not yet resumed (nor discontinued): `f`, which its first resume starts
    /// on a fiber of its own. The continuation has no fiber then.
    Start(Rc<Closure>),
    /// For a suspended continuation: the operation's arguments as one value (`()` for none,
    /// the value for one, a tuple for more), to print; `()` once they are given to a clause
    /// that never sees the continuation, and once it is resumed or discontinued.
    Args(Value),
}

impl Default for Held {
    /// No arguments: what a resume or `discontinue` leaves.
    fn default() -> Held {
        Held::Args(Value::Unit)
    }
}

/// The `point` of a continuation that is not suspended at an operation: a `cont f`, and the
/// continuation a shallow resume wraps (see [`Continuation::rewrapped`]). Never printed: a
/// continuation prints its point only while it holds a fiber it suspended itself.
const NOT_SUSPENDED: OpPoint = OpPoint {
    op: 0,
    argc: 0,
    source: 0,
    start: 0,
};

/// What a continuation is now, as it prints.
pub enum State {
    /// Made by `cont f` and not started: `f`'s name.
    Fresh(Rc<str>),
    /// Suspended at an operation: the operation and where, and its arguments as one value
    /// (`()` for none, the value for one, a tuple for more).
    Suspended(OpPoint, Value),
    /// Used up: resumed (running now, or finished) or discontinued.
    Resumed,
}

/// The handler entries of a suspended segment. Most segments hold one, the entry of the
/// deep handler that captured them, which is kept inline: no vector to take from and give
/// back to [`Vm::spare_entries`] around each suspend and resume.
#[derive(Default)]
pub(super) enum Entries {
    /// None (a `cont` continuation, or one captured by a shallow handler alone).
    #[default]
    None,
    /// One entry.
    One(HandlerEntry),
    /// Several entries, bottom first.
    Many(Vec<HandlerEntry>),
}

impl Continuation {
    /// A continuation of the segment whose outermost fiber is `fiber`, suspended at `point`
    /// with `args` (the operation's arguments as one value: `()` for none, the value for
    /// one, a tuple for more). Made by `Rc::new_cyclic`, which allocates before it builds the
    /// value, so that it is written straight into its allocation instead of being built on
    /// the stack and copied whole (benches/README.md, "Store forwarding"); `point` is read
    /// there, in one piece.
    pub(super) fn new(
        fiber: Fiber,
        entries: Entries,
        point: &OpPoint,
        args: Value,
    ) -> Rc<Continuation> {
        Rc::new_cyclic(|_| Continuation {
            fiber: Cell::new(Some(fiber)),
            entries: Cell::new(entries),
            held: ManuallyDrop::new(Cell::new(Held::Args(args))),
            point: *point,
        })
    }

    /// A continuation of the parts taken out of another one for a shallow resume, which the
    /// fiber that wraps the resume resumes before any kont code runs: the program never sees
    /// it, so it records no operation.
    pub(super) fn rewrapped(fiber: Fiber, entries: Entries) -> Rc<Continuation> {
        Continuation::new(fiber, entries, &NOT_SUSPENDED, Value::Unit)
    }

    /// The fresh continuation of `cont f`: `f`, to be started by the first resume.
    fn fresh(f: Rc<Closure>) -> Rc<Continuation> {
        Rc::new(Continuation {
            fiber: Cell::new(None),
            entries: Cell::new(Entries::None),
            held: ManuallyDrop::new(Cell::new(Held::Start(f))),
            point: NOT_SUSPENDED,
        })
    }

    /// Pushes the arguments of the operation the continuation is suspended at onto `stack`,
    /// for the clause that handles it, and returns how many: copies if the clause receives
    /// the continuation (`keep`: it may print it), else the arguments themselves.
    #[inline(always)]
    pub(super) fn args_to(&self, stack: &mut Vec<Value>, keep: bool) -> usize {
        let argc = self.point.argc as usize;
        if argc == 0 {
            return 0;
        }
        let held = self.held.take();
        if let Held::Args(args) = &held {
            match argc {
                1 => stack.push(args.clone()),
                _ => push_fields(args, stack),
            }
        }
        if keep {
            // What `take` left owns nothing: forgotten, not dropped by a call to the drop
            // glue.
            std::mem::forget(self.held.replace(held));
        } else {
            drop_held(held);
        }
        argc
    }

    /// What the continuation is now; its cells are looked into and put back as they were.
    pub fn state(&self) -> State {
        let held = self.held.take();
        let state = match (&held, self.is_suspended()) {
            (Held::Start(f), _) => State::Fresh(f.proto.name.clone()),
            (Held::Args(args), true) => State::Suspended(self.point, args.clone()),
            (Held::Args(_), false) => State::Resumed,
        };
        self.held.set(held);
        state
    }

    /// The outermost fiber of the suspended computation, if the continuation holds one: the
    /// fiber of the `handle` body (or `cont` function) whose handler captured it.
    pub fn fiber_id(&self) -> Option<crate::stack::FiberId> {
        let fiber = self.fiber.take();
        let id = fiber.as_ref().map(Fiber::id);
        self.fiber.set(fiber);
        id
    }

    /// Whether the continuation holds a suspended computation.
    fn is_suspended(&self) -> bool {
        let fiber = self.fiber.take();
        let suspended = fiber.is_some();
        self.fiber.set(fiber);
        suspended
    }
}

/// Drops what a continuation held, checking inline for what owns nothing (no arguments, or
/// immediate ones).
#[inline(always)]
fn drop_held(held: Held) {
    match held {
        Held::Args(v) => discard(v),
        start => drop(start),
    }
}

/// Pushes copies of the fields of `args`, the arguments of an operation that has several
/// (see [`Continuation::args_to`]).
#[inline(never)]
fn push_fields(args: &Value, stack: &mut Vec<Value>) {
    if let Value::Tuple(fields) = args {
        stack.extend(fields.0.iter().cloned());
    }
}

impl Drop for Continuation {
    /// Drops the suspended computation, if the continuation was not spent: cancels its
    /// fibers (a fresh one drops its function) and drops its handler entries and the
    /// arguments of its operation. What those
    /// hold may hold further continuations (a `cont` of a function that captured the previous
    /// one, a clause that did), chains of them a million long: a continuation dropped while
    /// another one's drop is running is put on a list that the outermost drop works through,
    /// so that the native stack does not grow with the chain (without a guard page below
    /// a continuation's stack, that overwrote its neighbour's).
    #[inline(always)]
    fn drop(&mut self) {
        if self.fiber.get_mut().is_none()
            && matches!(self.entries.get_mut(), Entries::None)
            && matches!(self.held.get_mut(), Held::Args(Value::Unit))
        {
            return;
        }
        drop_parts(
            (self.fiber.take(), self.entries.take(), self.held.take()),
            self.point.op,
        );
    }
}

/// Drops the parts of a continuation that was not spent (see `Drop for Continuation`),
/// suspended at operation `op`; a tracer observing this thread hears of it first (see
/// `observe.rs`). A suspended computation dropped by a runtime error is cancelled here, and
/// its frames go to the error (see `ended.rs`).
#[inline(never)]
fn drop_parts(parts: Parts, op: u32) {
    if let Some(observer) = observer() {
        let start = match &parts.2 {
            Held::Start(f) => Some(f),
            Held::Args(_) => None,
        };
        if let Some(unresumed) = Unresumed::of(parts.0.as_ref(), start) {
            (observer.dropped)(unresumed);
        }
    }
    if let (Some(fiber), Held::Args(_)) = (&parts.0, &parts.2)
        && error_unwinding()
    {
        ended::cancel_collecting(fiber, &parts.1, print::operation_name(op));
    }
    if DROPPING.with(Cell::get) {
        // While the thread ends, the list may be gone: the parts are then dropped here,
        // with the closure that would have moved them.
        let _ = DEFERRED.try_with(move |d| d.borrow_mut().push(parts));
        return;
    }
    DROPPING.with(|d| d.set(true));
    drop(parts);
    while let Some(parts) = DEFERRED.try_with(|d| d.borrow_mut().pop()).ok().flatten() {
        drop(parts);
    }
    DROPPING.with(|d| d.set(false));
}

/// What a continuation's drop leaves to drop: its fiber, its handler entries, and the
/// function of a `cont` never resumed or the arguments of the operation it is suspended at
/// (any of which may hold further continuations).
type Parts = (Option<Fiber>, Entries, Held);

thread_local! {
    /// Whether a continuation's drop is running on this thread (see `Drop for Continuation`).
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    /// The parts of continuations dropped meanwhile, for the outermost drop to drop.
    static DEFERRED: std::cell::RefCell<Vec<Parts>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `cont f`: a fresh continuation that calls `f` when first resumed. It holds `f` alone;
/// the fiber is made by the first resume.
pub fn make_cont(f: Value, site: Span) -> R {
    match f {
        Value::Func(f) => Ok(Value::Cont(Continuation::fresh(f))),
        Value::Builtin(b) => Err(ErrorKind::ContOfBuiltin(b.name).at(site).into()),
        other => Err(ErrorKind::Expects {
            name: "cont",
            what: "a function",
            got: other.kind(),
        }
        .at(site)
        .into()),
    }
}

/// `discontinue k`: unwinds the suspended computation without running handler code (a
/// fresh `cont f` just drops `f`).
pub fn discontinue(k: &Value, site: Span) -> R {
    let Value::Cont(k) = k else {
        return Err(not_a_continuation(k, "discontinue", site));
    };
    let args = match k.held.take() {
        Held::Start(f) => {
            drop(f);
            return Ok(Value::Unit);
        }
        args => args,
    };
    let fiber = take_fiber(k, site)?;
    drop(k.entries.take());
    drop(args);
    match fiber.cancel() {
        Ok(()) => Ok(Value::Unit),
        Err(e) => Err(internal(e, site)),
    }
}

/// Takes the suspended computation out of continuation `k` for a resume with `argc`
/// arguments, checking that it has not been resumed and that the number of arguments
/// fits: its outermost fiber (started here for a fresh `cont`) and its handler entries; the
/// copy of its operation's arguments is dropped. Inlined, with the rest out of line; `k`,
/// spent, is dropped here (its reference count, inline: no call to `Value`'s drop glue).
#[inline(always)]
pub(super) fn take_for_resume(
    vm: &Rc<Vm>,
    k: Value,
    argc: usize,
    site: Span,
) -> Result<(Fiber, Entries), Ctrl> {
    let Value::Cont(k) = k else {
        return Err(not_a_continuation(&k, "resume", site));
    };
    match k.fiber.take() {
        Some(fiber) if argc <= 1 => {
            drop_held(k.held.take());
            Ok((fiber, k.entries.take()))
        }
        Some(fiber) => {
            k.fiber.set(Some(fiber));
            Err(wrong_resume_arity("continuation", 1, argc, site))
        }
        None => Ok((start_fresh(vm, &k, argc, site)?, Entries::None)),
    }
}

/// The first resume of the fresh continuation `k` of `cont f`, with `argc` arguments:
/// starts `f` on a fiber of its own, once the number of arguments is checked and one more
/// fiber may nest. On an error `k` stays as it was; without `f`, `k` has been resumed.
#[inline(never)]
fn start_fresh(vm: &Rc<Vm>, k: &Continuation, argc: usize, site: Span) -> Result<Fiber, Ctrl> {
    let Held::Start(f) = k.held.take() else {
        return Err(already_resumed(site));
    };
    let started = if argc == f.proto.arity {
        check_nesting(site).and_then(|()| spawn(vm, observed(Body::Shared(f.clone())), site))
    } else {
        Err(wrong_resume_arity(&f.proto.name, f.proto.arity, argc, site))
    };
    if started.is_err() {
        k.held.set(Held::Start(f));
    }
    started
}

/// Takes the outermost fiber out of continuation `k`: `continuation already resumed` if it
/// has been taken.
#[inline(always)]
fn take_fiber(k: &Continuation, site: Span) -> Result<Fiber, Ctrl> {
    k.fiber.take().ok_or_else(|| already_resumed(site))
}

/// The error for resuming or discontinuing `k`, which is not a continuation.
#[cold]
#[inline(never)]
fn not_a_continuation(k: &Value, what: &'static str, site: Span) -> Ctrl {
    ErrorKind::Expects {
        name: what,
        what: "a continuation",
        got: k.kind(),
    }
    .at(site)
    .into()
}

/// The error for resuming a continuation that takes `expected` arguments (`name`: the
/// function of a fresh `cont`, or `continuation`) with `argc`.
#[cold]
#[inline(never)]
fn wrong_resume_arity(name: &str, expected: usize, argc: usize, site: Span) -> Ctrl {
    ErrorKind::WrongArity {
        name: name.into(),
        expects: Arity::exactly(expected),
        got: argc,
    }
    .at(site)
    .into()
}

/// The error for resuming or discontinuing a continuation that was already resumed.
#[cold]
fn already_resumed(site: Span) -> Ctrl {
    ErrorKind::AlreadyResumed.at(site).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_continuation_keeps_to_its_allocator_size_class() {
        // 64 bytes, 80 with the reference counts (see `Continuation`).
        assert_eq!(size_of::<OpPoint>(), 16);
        assert_eq!(size_of::<Held>(), size_of::<Value>());
        assert_eq!(size_of::<Continuation>(), 64);
    }
}
