//! One-shot continuations: what `suspend` captures and `cont` makes ([`Continuation`]),
//! taking one apart for a resume, and `cont` and `discontinue`.
//!
//! A continuation holds its parts in cells that a resume takes out in place: its outermost
//! fiber and its handler entries, or, for a `cont f` not yet resumed, `f`. A continuation
//! with none of them has been resumed (or discontinued): resuming it again is the error
//! `continuation already resumed`. Dropping one that still holds a fiber cancels it.

use std::cell::Cell;
use std::rc::Rc;

use crate::runtime::effects::observe::{Unresumed, observed, observer};
use crate::runtime::effects::spawn::{Body, spawn};
use crate::runtime::effects::{HandlerEntry, internal};
use crate::runtime::extension::check_nesting;
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
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
    /// A continuation of the segment whose outermost fiber is `fiber`. Made by
    /// `Rc::new_cyclic`, which allocates before it builds the value, so that it is written
    /// straight into its allocation instead of being built on the stack and copied whole
    /// (benches/README.md, "Store forwarding").
    pub(super) fn new(fiber: Fiber, entries: Entries) -> Rc<Continuation> {
        Rc::new_cyclic(|_| Continuation {
            fiber: Cell::new(Some(fiber)),
            entries: Cell::new(entries),
            start: Cell::new(None),
        })
    }

    /// The fresh continuation of `cont f`: `f`, to be started by the first resume.
    fn fresh(f: Rc<Closure>) -> Rc<Continuation> {
        Rc::new(Continuation {
            fiber: Cell::new(None),
            entries: Cell::new(Entries::None),
            start: Cell::new(Some(f)),
        })
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
        {
            return;
        }
        let parts = (self.fiber.take(), self.entries.take(), self.start.take());
        drop_parts(parts);
    }
}

/// The rest of the drop of a continuation that was not spent: its `parts` (see `Drop for
/// Continuation`); a tracer observing this thread hears of it first (see `observe.rs`).
/// Out of line, so that dropping a spent continuation, the common case, stays a test where
/// it is inlined.
#[inline(never)]
fn drop_parts(parts: Parts) {
    if let Some(observer) = observer()
        && let Some(unresumed) = Unresumed::of(parts.0.as_ref(), parts.2.as_ref())
    {
        (observer.dropped)(unresumed);
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

/// What a continuation's drop leaves to drop: its fiber, its handler entries and the
/// function of a `cont` never resumed.
type Parts = (Option<Fiber>, Entries, Option<Rc<Closure>>);

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
    match fiber.cancel() {
        Ok(()) => Ok(Value::Unit),
        Err(e) => Err(internal(e, site)),
    }
}

/// Takes the suspended computation out of continuation `k` for a resume with `argc`
/// arguments, checking that it has not been resumed and that the number of arguments
/// fits: its outermost fiber (started here for a fresh `cont`) and its handler entries.
/// Inlined, with the rest out of line; `k`, spent, is dropped here (its reference count,
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
        Some(fiber) if argc <= 1 => Ok((fiber, k.entries.take())),
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
        check_nesting(site).and_then(|()| spawn(vm, observed(Body::Shared(f.clone())), site))
    } else {
        Err(wrong_resume_arity(&f.proto.name, f.proto.arity, argc, site))
    };
    if started.is_err() {
        k.start.set(Some(f));
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
