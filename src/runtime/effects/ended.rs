//! The frames of suspended computations that a runtime error ends ([`Suspended`]),
//! collected on the error path only: an error report then shows where the computation a
//! failing handler clause had taken over was, and where any other suspended computation the
//! error dropped was.
//!
//! Nothing records frames while a computation runs or suspends: they exist only as the
//! native frames of the suspended stacks. They are read by unwinding those stacks, which
//! ending the computation does anyway. On the fast path, a failing clause's error unwinds
//! the computation beneath it as an escape (`fast_path.rs`, `clause_stopped`), which records
//! the calls it leaves into the section it opens. On the slow path, a continuation dropped
//! while an error unwinds (`ctrl::error_unwinding`) is cancelled here with a request
//! ([`cancel_collecting`]): the cancelled `suspend` then unwinds with an abort that records
//! the calls it leaves ([`cancelled`]), carried from fiber to fiber of the segment
//! ([`deliver`], [`aborted`]), and the frames are added to the error. Invariant: the request,
//! the delivered frames and the marks are empty but during [`cancel_collecting`].
//!
//! A fast-path clause nested in the cancelled computation ran on top of the computation of
//! its own operation, which is not part of this one (see [`Suspended::hide_until`]): its
//! handler's fiber is found among the cancelled computation's handler entries, which the
//! handler stack no longer holds ([`MARKS`], [`left_cancelled_clause`]).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::runtime::ctrl::{add_suspended, with_ended_frames};
use crate::runtime::effects::continuation::Entries;
use crate::runtime::effects::{HandlerEntry, OpSite};
use crate::runtime::{Ctrl, CtrlKind, Suspended};
use crate::span::Span;
use crate::stack::{Fiber, FiberId};

thread_local! {
    /// The operation of the computation being cancelled by [`cancel_collecting`], until its
    /// `suspend` takes it ([`cancelled`]).
    static REQUEST: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
    /// The frames of the fiber of that computation that ended last, for the fiber that
    /// resumed it ([`aborted`]) or for [`cancel_collecting`].
    static DELIVERED: Cell<Option<Box<Suspended>>> = const { Cell::new(None) };
    /// The handler entries of the computation being cancelled by [`cancel_collecting`],
    /// bottom first, but for those of the fast-path clauses its unwinding has left.
    static MARKS: RefCell<Vec<Mark>> = const { RefCell::new(Vec::new()) };
}

/// What the unwinding of a cancelled computation needs of one of its handler entries.
#[derive(Clone, Copy)]
enum Mark {
    /// A handler installed on this fiber.
    Handler(FiberId),
    /// The mask of a fast-path clause, this many entries above its handler.
    Mask(usize),
}

impl Mark {
    /// The mark of `entry`.
    fn of(entry: &HandlerEntry) -> Mark {
        match entry {
            HandlerEntry::Handler { fiber, .. } => Mark::Handler(fiber.id()),
            HandlerEntry::Mask { skip } => Mark::Mask(*skip),
        }
    }
}

/// Cancels the suspended computation whose outermost fiber is `fiber` and handler entries
/// `entries`, suspended at `operation`, collecting its frames, and adds them to the
/// unwinding error.
#[cold]
#[inline(never)]
pub(super) fn cancel_collecting(fiber: &Fiber, entries: &Entries, operation: Rc<str>) {
    MARKS.with_borrow_mut(|marks| match entries {
        Entries::None => {}
        Entries::One(entry) => marks.push(Mark::of(entry)),
        Entries::Many(many) => marks.extend(many.iter().map(Mark::of)),
    });
    REQUEST.replace(Some(operation));
    let cancelled = fiber.cancel();
    REQUEST.take();
    MARKS.with_borrow_mut(Vec::clear);
    let frames = DELIVERED.take();
    if let (Ok(()), Some(frames)) = (cancelled, frames) {
        add_suspended(*frames);
    }
}

/// What a `suspend` that finds itself cancelled unwinds with, at `site`: an abort that
/// records the calls it leaves if the cancellation asked for them, a plain one otherwise.
#[cold]
#[inline(never)]
pub(super) fn cancelled(site: &OpSite) -> Ctrl {
    match REQUEST.take() {
        Some(operation) => Ctrl::raise(CtrlKind::Abort(Some(Box::new(Suspended::at(
            operation,
            site.span(),
        ))))),
        None => Ctrl::abort(),
    }
}

/// A fiber's function was unwound by a cancellation that carried `frames` (if it asked for
/// them): they wait for the code the fiber returns to.
pub(super) fn deliver(frames: Option<Box<Suspended>>) {
    if frames.is_some() {
        DELIVERED.set(frames);
    }
}

/// The cancellation of a computation that an error ends left a fast-path clause that ran
/// inside it (the clause's mask is the topmost of [`MARKS`]): the frames beneath the clause
/// are hidden out to its handler's fiber, and the entries from that handler up are gone
/// with them. Any other cancellation passes by.
#[cold]
#[inline(never)]
pub(super) fn left_cancelled_clause() {
    with_ended_frames(|frames| {
        let handler = MARKS.with_borrow_mut(|marks| {
            let at = marks.iter().rposition(|m| matches!(m, Mark::Mask(_)))?;
            let Mark::Mask(skip) = marks[at] else {
                return None;
            };
            let below = at.checked_sub(skip)?;
            let handler = match marks[below] {
                Mark::Handler(fiber) => Some(fiber),
                Mark::Mask(_) => None,
            };
            marks.truncate(below);
            handler
        });
        if let Some(fiber) = handler {
            frames.hide_until(fiber);
        }
    });
}

/// The unwinding that goes on from a `handle` or `resume` (at `site` of `source`) whose
/// fiber `left` was cancelled: it carries the frames collected so far, if any, across the
/// fiber's boundary.
#[cold]
#[inline(never)]
pub(super) fn aborted(left: FiberId, source: u32, site: Span) -> Ctrl {
    match DELIVERED.take() {
        Some(mut frames) => {
            frames.leave_fiber(left, source, site);
            Ctrl::raise(CtrlKind::Abort(Some(frames)))
        }
        None => Ctrl::abort(),
    }
}
