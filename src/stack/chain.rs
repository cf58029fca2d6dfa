//! The active chain: which continuation runs, the switches between continuations, and
//! the end of a continuation's life.
//!
//! The chain is the list of running fibers linked by `Header::parent`, from the one now
//! running (`CURRENT`) up to the one whose parent is the thread's own stack. Every
//! fiber on it is kept alive: the outermost by the `resume` (or `cancel`, or last-handle
//! drop) that entered it, which holds a reference until control comes back; each inner
//! one likewise by the frames of its parent, which are inside that inner fiber's
//! `resume`. A fiber's code dropping its own last handle while it runs therefore frees
//! nothing.
//!
//! The same chain is also kept as an array (`ACTIVE`, outermost first, `CURRENT` last),
//! so that a suspend finds its target among addresses next to each other instead of
//! following parent links through a header per fiber, each on a page of its own (a cache
//! and TLB miss per fiber). A suspend
//! moves the fibers above its target into the target's header (`Header::inside`), and a
//! resume puts them back.

use super::header::{self, Header, Phase};
use super::pool::{self, Slot};
use super::x86_64::{switch_into, switch_out};
use super::{Event, FiberId, Payload, State, SuspendError};
use std::cell::{Cell, UnsafeCell};
use std::mem::ManuallyDrop;
use std::ptr::{self, NonNull};

thread_local! {
    /// The fiber now running; `None` on the thread's own stack.
    static CURRENT: Cell<Option<NonNull<Header>>> = const { Cell::new(None) };
    /// The active chain, outermost first: `CURRENT` and the fibers its parent links lead
    /// through, in order (see the module docs).
    static ACTIVE: Active = const { Active(UnsafeCell::new(ManuallyDrop::new(Vec::new()))) };
    /// How many cancellations are unwinding, nested, on this thread (see [`cancel_depth`]).
    static CANCEL_DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// The thread's active chain as an array. Without a destructor (the pool frees its
/// buffer, see [`free_active`]), so that reaching it costs no check of the thread-local's
/// state; without a `RefCell`, as only [`with_active`] reaches it.
struct Active(UnsafeCell<ManuallyDrop<Vec<NonNull<Header>>>>);

/// Runs `f` on the active chain's array. Only this module's functions call it, each with a
/// closure that does its work on the vector and calls nothing that could reach it again.
#[inline(always)]
fn with_active<R>(f: impl FnOnce(&mut Vec<NonNull<Header>>) -> R) -> R {
    ACTIVE.with(|active| {
        // SAFETY: no other reference to the vector exists: every use is one `with_active`
        // call whose closure does not call `with_active` (see above), on this thread.
        f(unsafe { &mut *active.0.get() })
    })
}

/// How many fibers are on the active chain: running, or waiting for one they resumed.
pub fn active_depth() -> usize {
    with_active(|active| active.len())
}

/// Frees the active chain's buffer when the thread's pool goes (the chain is empty then:
/// no fiber runs).
pub fn free_active() {
    with_active(|active| {
        debug_assert!(active.is_empty());
        *active = Vec::new();
    });
}

/// The fibers that were inside the suspended segment of the fiber whose header is
/// `header`, outermost first (see `Header::inside`).
///
/// # Safety
///
/// No other reference to them exists while the result is used: only this module's
/// functions call this, and keep the result for a few steps that call nothing else.
#[inline(always)]
#[expect(
    clippy::mut_from_ref,
    reason = "the header's cell, used in short steps here"
)]
unsafe fn inside(header: &Header) -> &mut Vec<NonNull<Header>> {
    // SAFETY: as guaranteed by the caller.
    unsafe { &mut *header.inside.get() }
}

/// How many cancellations are unwinding, one inside the other, on this thread: 0 for
/// ordinary code, n + 1 for code unwinding a segment that a cancellation at depth n
/// entered. A cancellation runs to its end before the code that started it goes on, so
/// state kept per depth (such as the runtime's pending unwinding reason) is never touched
/// by the code of a cancellation it did not start.
pub fn cancel_depth() -> usize {
    CANCEL_DEPTH.get()
}

/// [`enter`] to cancel `outer`'s segment, one cancellation deeper while it unwinds.
///
/// # Safety
///
/// As for [`enter`].
pub unsafe fn enter_cancelling(outer: NonNull<Header>) -> Event {
    CANCEL_DEPTH.set(CANCEL_DEPTH.get() + 1);
    // SAFETY: as guaranteed by the caller.
    let event = unsafe { enter(outer, 0, true) };
    CANCEL_DEPTH.set(CANCEL_DEPTH.get() - 1);
    event
}

/// The fiber now running.
pub fn current() -> Option<NonNull<Header>> {
    CURRENT.get()
}

/// The slot of the fiber now running (read by the SIGSEGV handler: no allocation, no
/// destructor).
pub fn current_slot() -> Option<Slot> {
    // SAFETY: the running fiber's header is alive (it is on the chain).
    CURRENT.get().map(|header| unsafe { header.as_ref() }.slot)
}

/// Switches into the segment of `outer`, which must be at rest (`Fresh` or `Suspended`):
/// to `outer` itself if fresh, else to the innermost fiber of its suspended segment.
/// Returns when the segment suspends to us, or `outer` returns or panics. With `cancel`,
/// every fiber of the segment is marked cancelling first, so the pending `suspend`
/// returns `Err(Cancelled)`.
///
/// Besides the array of the active chain, the round trip stores only `CURRENT` (twice):
/// `outer`'s parent and innermost fiber are written when they change (the latter by
/// `suspend`), and whether it runs is read off its control context (see
/// `Header::at_rest`).
///
/// # Safety
///
/// `outer` is at rest, and the caller holds a reference to it until this returns (the
/// active chain's reference to its outermost fiber).
#[inline]
pub unsafe fn enter(outer: NonNull<Header>, payload: Payload, cancel: bool) -> Event {
    // SAFETY: the caller holds a reference until we return.
    let header = unsafe { outer.as_ref() };
    // A fresh fiber is its own innermost fiber.
    let inner = header.innermost.get();
    if cancel {
        mark_cancelling(inner, outer);
    }
    let parent = CURRENT.replace(Some(inner));
    // Only if it changed: a store costs more than the comparison.
    if address(header.parent.get()) != address(parent) {
        header.parent.set(parent);
    }
    push_segment(outer, header);
    // SAFETY: `outer`'s context holds its own initial context (fresh) or the registers
    // its segment's innermost fiber saved when it suspended; that stack is intact.
    let (received, suspended) = unsafe { switch_into(header::context(outer), payload, cancel) };
    CURRENT.set(header.parent.get());
    if suspended != 0 {
        // The suspend took the segment off the active chain (see `cut_segment`).
        Event::Suspended(received)
    } else {
        with_active(Vec::pop);
        finished(header, received)
    }
}

/// Puts the segment of `outer` (whose header is `header`) on the active chain: `outer`,
/// then the fibers that were inside it when it suspended.
#[inline(always)]
fn push_segment(outer: NonNull<Header>, header: &Header) {
    with_active(|active| active.push(outer));
    // SAFETY: used only here, for this step.
    if !unsafe { inside(header) }.is_empty() {
        push_inside(header);
    }
}

/// Puts back on the active chain the fibers that were inside a suspended segment, whose
/// outermost fiber has the header `header` and was just put back; out of line, as most
/// segments suspend alone.
#[cold]
#[inline(never)]
fn push_inside(header: &Header) {
    with_active(|active| {
        // SAFETY: used only here, for these steps.
        let inside = unsafe { inside(header) };
        active.extend_from_slice(inside);
        inside.clear();
    });
}

/// Takes the segment about to suspend off the active chain: its outermost fiber, whose
/// header is `header`, at index `at` (the last entry if `None`: it suspends alone), and
/// the fibers above it, which wait in that header until the segment is resumed.
#[inline(always)]
fn cut_segment(header: &Header, at: Option<usize>) {
    match at {
        None => {
            with_active(Vec::pop);
        }
        Some(i) => cut_inside(header, i),
    }
}

/// [`cut_segment`] for a segment of several fibers, out of line.
#[cold]
#[inline(never)]
fn cut_inside(header: &Header, at: usize) {
    with_active(|active| {
        // SAFETY: used only here, for this step.
        unsafe { inside(header) }.extend_from_slice(&active[at + 1..]);
        active.truncate(at);
    });
}

/// The address of a fiber's header, 0 for the thread's own stack: compares without
/// branching on `None`.
#[inline(always)]
fn address(fiber: Option<NonNull<Header>>) -> usize {
    fiber.map_or(0, |header| header.as_ptr() as usize)
}

/// The event for a continuation whose start function returned `result`. Inlined: were
/// it a call returning the event through memory, the compiler would pass every
/// `Event::Suspended` through memory as well (five more stores per round trip).
#[inline(always)]
fn finished(header: &Header, result: Payload) -> Event {
    header.finish();
    match header.panic.take() {
        Some(message) => Event::Panicked(message),
        None => Event::Returned(result),
    }
}

/// Marks the fibers from `inner` up to `outer` (following parent links) cancelling.
fn mark_cancelling(inner: NonNull<Header>, outer: NonNull<Header>) {
    let mut fiber = inner;
    loop {
        // SAFETY: the fibers of a suspended segment are alive (see the module docs).
        let header = unsafe { fiber.as_ref() };
        header.mark_cancelling();
        match header.parent.get() {
            Some(parent) if fiber != outer => fiber = parent,
            _ => break,
        }
    }
}

/// Suspends the segment from the running fiber up to the fiber named `target` (see
/// `stack::suspend_to`). Only fibers found on the active chain are dereferenced, so a
/// stale or foreign `target` is merely not found.
#[inline(always)]
pub fn suspend(target: FiberId, payload: Payload) -> Result<Payload, SuspendError> {
    // The common case, a fiber suspending itself, checks one header; otherwise look the
    // target up on the active chain.
    let (current, outer, at) = match CURRENT.get() {
        Some(current)
            if current == target.header && {
                // SAFETY: the running fiber is alive (it is on the chain).
                unsafe { current.as_ref() }.may_suspend_as(target)
            } =>
        {
            (current, current, None)
        }
        current => {
            let (current, outer, at) = find_outermost(current, target)?;
            (current, outer, Some(at))
        }
    };
    // SAFETY: fibers on the active chain are alive.
    let header = unsafe { outer.as_ref() };
    cut_segment(header, at);
    // Record the segment's innermost fiber, only if it changed (a store costs more than
    // the comparison).
    if header.innermost.get() != current {
        header.innermost.set(current);
    }
    // SAFETY: `outer` is running, so its context holds the registers of its parent,
    // which is inside `enter(outer)` on an intact stack. Our switch leaves `outer` at
    // rest (see `Header::at_rest`), and that `enter` tells us on resumption whether we
    // are being cancelled.
    let (received, cancelled) =
        unsafe { switch_out(header::context(outer), payload, current.as_ptr() as usize) };
    if cancelled {
        Err(SuspendError::Cancelled)
    } else {
        Ok(received)
    }
}

/// Finds the fiber named `target` on the active chain, the outermost fiber of the segment
/// that the running fiber `current` suspends; returns both and the target's index on the
/// chain. Fails if it is not there, or a fiber of the segment is being cancelled.
///
/// Fibers are marked cancelling only while a cancellation runs (`enter_cancelling`), and a
/// cancelling fiber cannot suspend, so it finishes before that returns: with no
/// cancellation running, no fiber on the chain is cancelling, and only the target's own
/// mark is checked.
#[cold]
#[inline(never)]
fn find_outermost(
    current: Option<NonNull<Header>>,
    target: FiberId,
) -> Result<(NonNull<Header>, NonNull<Header>, usize), SuspendError> {
    let current = current.ok_or(SuspendError::NotAncestor)?;
    let at = with_active(|active| active.iter().rposition(|&fiber| fiber == target.header))
        .ok_or(SuspendError::NotAncestor)?;
    // SAFETY: fibers on the active chain are alive (see the module docs).
    let header = unsafe { target.header.as_ref() };
    if header.serial() != target.serial {
        return Err(SuspendError::NotAncestor);
    }
    let cancelling = if CANCEL_DEPTH.get() == 0 {
        header.cancelling()
    } else {
        with_active(|active| {
            active[at..].iter().any(|fiber| {
                // SAFETY: as above.
                unsafe { fiber.as_ref() }.cancelling()
            })
        })
    };
    debug_assert_eq!(walk_up(current, target.header), Some(at));
    if cancelling {
        Err(SuspendError::Cancelled)
    } else {
        Ok((current, target.header, at))
    }
}

/// The index on the active chain of `target`, found by following parent links up from
/// `current`: what `ACTIVE` must agree with (checked in debug builds).
fn walk_up(current: NonNull<Header>, target: NonNull<Header>) -> Option<usize> {
    let mut fiber = current;
    let mut above = 0;
    while fiber != target {
        // SAFETY: fibers on the active chain are alive (see the module docs).
        fiber = unsafe { fiber.as_ref() }.parent.get()?;
        above += 1;
    }
    with_active(|active| {
        let at = active.len().checked_sub(above + 1)?;
        (active[at] == target && active.last() == Some(&current)).then_some(at)
    })
}

/// Adds a handle.
///
/// # Safety
///
/// `fiber` is a live header.
pub unsafe fn add_ref(fiber: NonNull<Header>) {
    // SAFETY: the caller guarantees `fiber` is alive.
    let header = unsafe { fiber.as_ref() };
    header.refs.set(header.refs.get() + 1);
}

/// Drops a handle; the last one ends the continuation's life (see [`release`]).
///
/// # Safety
///
/// `fiber` is a live header and the caller owns one of its references.
#[inline(always)]
pub unsafe fn drop_ref(fiber: NonNull<Header>) {
    // SAFETY: the caller owns a reference, so `fiber` is alive.
    let header = unsafe { fiber.as_ref() };
    let refs = header.refs.get() - 1;
    header.refs.set(refs);
    if refs == 0 {
        // SAFETY: that was the last reference.
        unsafe { release(fiber) };
    }
}

/// Ends the life of a continuation whose last reference is gone: a fresh one drops
/// its closure, a suspended one is cancelled (resumed from here until it finishes),
/// and a finished one gives its slot back to the pool.
///
/// A continuation that is still running or suspended after that (never, for code that
/// does not hold on to a handle while it is cancelled) keeps its slot forever: a slot
/// that might still hold live frames is never reused.
///
/// # Safety
///
/// `fiber` is a live header with no reference left.
#[cold]
#[inline(never)]
unsafe fn release(fiber: NonNull<Header>) {
    // SAFETY: the caller guarantees `fiber` is alive.
    let header = unsafe { fiber.as_ref() };
    match header.state() {
        State::Fresh => {
            let start = header.start.take();
            // SAFETY: no reference is left and the fiber never ran.
            unsafe { free(fiber) };
            drop(start);
        }
        // SAFETY: no reference is left and nothing runs on the stack.
        State::Finished => unsafe { free(fiber) },
        State::Suspended => {
            // Hold a reference while cancelling, so that handles made and dropped on
            // the way do not end its life a second time.
            header.refs.set(1);
            // SAFETY: alive (we hold a reference) and suspended.
            drop(unsafe { enter_cancelling(fiber) });
            let refs = header.refs.get() - 1;
            header.refs.set(refs);
            // With refs left, a handle made while cancelling frees it later; unfinished
            // (see above), it is leaked.
            if refs == 0 && header.phase.get() == Phase::Finished {
                // SAFETY: the last reference is gone and nothing runs on the stack.
                unsafe { free(fiber) };
            }
        }
        State::Running => {}
    }
}

/// Returns a dead continuation's slot to the pool.
///
/// # Safety
///
/// No reference to `fiber` remains and nothing runs on its stack.
unsafe fn free(fiber: NonNull<Header>) {
    // SAFETY: the header is alive until here and never used again.
    unsafe {
        let slot = fiber.as_ref().slot;
        ptr::drop_in_place(fiber.as_ptr());
        pool::release(slot);
    }
}
