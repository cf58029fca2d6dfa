//! One-shot continuations: what `suspend` captures and `cont` makes ([`Continuation`]),
//! taking one apart for a resume, and `cont` and `discontinue`.
//!
//! A continuation holds its parts in cells that a resume takes out in place: its outermost
//! fiber and its handler entries, or, for a `cont f` not yet resumed, `f`. A continuation
//! with none of them has been resumed (or discontinued): resuming it again is the error
//! `continuation already resumed`. Dropping one that still holds a fiber cancels it.
//!
//! A suspended continuation also holds the operation it suspended at, where that was
//! performed and its arguments: the clause that handles the operation gets copies of them,
//! and printing the continuation shows them ([`Continuation::state`]) until a resume or
//! `discontinue` drops them.

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::effects::spawn::{Body, spawn};
use crate::runtime::effects::suspend::OpSite;
use crate::runtime::effects::{HandlerEntry, PRINT, internal};
use crate::runtime::extension::check_nesting;
use crate::runtime::function::Closure;
use crate::runtime::value::{Value, discard};
use crate::runtime::{Arity, Ctrl, ErrorKind, R, Vm};
use crate::span::Span;
use crate::stack::Fiber;

/// A one-shot continuation: a suspended computation (one or more fibers, a *segment*, and
/// the handler entries that go with them) until it is resumed or discontinued. Its parts are
/// taken out of it in place, each one word or two, rather than moved out as a whole: a
/// resume then carries no record of the computation from function to function.
pub struct Continuation {
    /// The outermost fiber, whose parent is whoever resumes the continuation; `None` once
    /// taken (the continuation is spent), and for a `cont f` not yet resumed. Declared
    /// first, so dropping a continuation drops it before the entries, as the record it
    /// replaced did.
    fiber: Cell<Option<Fiber>>,
    /// The handler entries to push back when resuming (bottom first).
    entries: Cell<Entries>,
    /// For a `cont f` not yet resumed (nor discontinued): `f`, which its first resume starts
    /// on a fiber of its own. At most one of `fiber` and `start` is `Some`.
    start: Cell<Option<Rc<Closure>>>,
    /// The operation the computation suspended at, and where: read only while `fiber` is
    /// `Some` (a `cont f` holds [`NOT_SUSPENDED`]).
    at: OpSite,
    /// That operation's arguments as one value (see [`Continuation::push_args`]), until the
    /// continuation is resumed or discontinued; `()` then.
    args: Cell<Value>,
}

/// The `at` of a continuation that did not suspend at an operation: a `cont f`, and the
/// continuation a shallow resume rewraps (see [`Continuation::rewrapped`]).
const NOT_SUSPENDED: OpSite = OpSite {
    op: PRINT,
    argc: 0,
    source: 0,
    span: Span { start: 0, end: 0 },
};

/// What a continuation is now, as it prints.
pub enum State {
    /// Made by `cont f` and not started: `f`'s name.
    Fresh(Rc<str>),
    /// Suspended at an operation, with these arguments.
    Suspended(OpSite, Vec<Value>),
    /// Used up: resumed (and perhaps running now) or discontinued.
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
    /// A continuation of the segment whose outermost fiber is `fiber`, suspended at `at`
    /// with `args` (`at.argc` arguments as one value: see [`Continuation::push_args`]). Made
    /// by `Rc::new_cyclic`, which allocates before it builds the value, so that it is written
    /// straight into its allocation instead of being built on the stack and copied whole
    /// (benches/README.md, "Store forwarding").
    pub(super) fn new(fiber: Fiber, entries: Entries, at: OpSite, args: Value) -> Rc<Continuation> {
        Rc::new_cyclic(|_| Continuation {
            fiber: Cell::new(Some(fiber)),
            entries: Cell::new(entries),
            start: Cell::new(None),
            at,
            args: Cell::new(args),
        })
    }

    /// A continuation of the parts taken out of another one for a shallow resume, which the
    /// fiber that wraps the resume resumes before any kont code runs: the program never sees
    /// it, so it records no operation.
    pub(super) fn rewrapped(fiber: Fiber, entries: Entries) -> Rc<Continuation> {
        Continuation::new(fiber, entries, NOT_SUSPENDED, Value::Unit)
    }

    /// The fresh continuation of `cont f`: `f`, to be started by the first resume.
    fn fresh(f: Rc<Closure>) -> Rc<Continuation> {
        Rc::new(Continuation {
            fiber: Cell::new(None),
            entries: Cell::new(Entries::None),
            start: Cell::new(Some(f)),
            at: NOT_SUSPENDED,
            args: Cell::new(Value::Unit),
        })
    }

    /// Pushes copies of the arguments of the operation the continuation suspended at onto
    /// `stack`, for the clause that handles it; returns how many. They are held as one value
    /// (none: `()`; one: itself; more: a tuple of them), so that the common case costs a
    /// copy of one value and the continuation no more than a value's room.
    #[inline(always)]
    pub(super) fn push_args(&self, stack: &mut Vec<Value>) -> usize {
        let argc = self.at.argc as usize;
        match argc {
            0 => {}
            1 => {
                let v = self.args.take();
                stack.push(v.clone());
                // What `take` left is `()`: nothing to drop.
                std::mem::forget(self.args.replace(v));
            }
            _ => push_many(&self.args, stack),
        }
        argc
    }

    /// The arguments of the operation the continuation suspended at, one by one.
    fn arg_values(&self) -> Vec<Value> {
        let args = self.args.take();
        let values = match (self.at.argc, &args) {
            (0, _) => Vec::new(),
            (1, v) => vec![v.clone()],
            (_, Value::Tuple(fields)) => fields.0.to_vec(),
            (_, v) => vec![v.clone()],
        };
        self.args.set(args);
        values
    }

    /// What the continuation is now: its cells are looked into and put back as they were.
    pub fn state(&self) -> State {
        let start = self.start.take();
        let fresh = start.as_ref().map(|f| f.proto.name.clone());
        self.start.set(start);
        if let Some(name) = fresh {
            return State::Fresh(name);
        }
        let fiber = self.fiber.take();
        let suspended = fiber.is_some();
        self.fiber.set(fiber);
        if suspended {
            State::Suspended(self.at, self.arg_values())
        } else {
            State::Resumed
        }
    }
}

impl Drop for Continuation {
    /// Drops the suspended computation, if the continuation was not spent: cancels its
    /// fibers (a fresh one drops its function) and drops its handler entries. What those
    /// hold may hold further continuations (a `cont` of a function that captured the previous
    /// one, a clause that did), chains of them a million long: a continuation dropped while
    /// another one's drop is running is put on a list that the outermost drop works through,
    /// so that the native stack does not grow with the chain (without a guard page below
    /// a continuation's stack, that overwrote its neighbour's).
    fn drop(&mut self) {
        if self.fiber.get_mut().is_none()
            && matches!(self.entries.get_mut(), Entries::None)
            && self.start.get_mut().is_none()
            && matches!(self.args.get_mut(), Value::Unit)
        {
            return;
        }
        let parts = (
            self.fiber.take(),
            self.entries.take(),
            self.start.take(),
            self.args.take(),
        );
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
}

/// What a continuation's drop leaves to drop: its fiber, its handler entries, the function
/// of a `cont` never resumed and the arguments of the operation it suspended at (any of
/// which may hold further continuations).
type Parts = (Option<Fiber>, Entries, Option<Rc<Closure>>, Value);

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
    if k.start.take().is_some() {
        return Ok(Value::Unit);
    }
    let fiber = take_fiber(k, site)?;
    drop(k.entries.take());
    drop(k.args.take());
    match fiber.cancel() {
        Ok(()) => Ok(Value::Unit),
        Err(e) => Err(internal(e, site)),
    }
}

/// Takes the suspended computation out of continuation `k` for a resume with `argc`
/// arguments, checking that it has not been resumed and that the number of arguments
/// fits: its outermost fiber (started here for a fresh `cont`) and its handler entries; the
/// copy of its arguments is dropped. Inlined, with the rest out of line; `k`, spent, is dropped here (its reference count,
/// inline: no call to `Value`'s drop glue).
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
            discard(k.args.take());
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
    let f = k.start.take().ok_or_else(|| already_resumed(site))?;
    let started = if argc == f.proto.arity {
        check_nesting(site).and_then(|()| spawn(vm, Body::Shared(f.clone()), site))
    } else {
        Err(wrong_resume_arity(&f.proto.name, f.proto.arity, argc, site))
    };
    if started.is_err() {
        k.start.set(Some(f));
    }
    started
}

/// Pushes copies of the arguments held as a tuple (see [`Continuation::push_args`]).
#[cold]
#[inline(never)]
fn push_many(args: &Cell<Value>, stack: &mut Vec<Value>) {
    let held = args.take();
    if let Value::Tuple(fields) = &held {
        stack.extend(fields.0.iter().cloned());
    }
    args.set(held);
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

