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
//! ([`deliver`], [`aborted`]), and the frames are added to the error. Invariant: the request
//! and the delivered frames are empty but during [`cancel_collecting`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::runtime::ctrl::add_suspended;
use crate::runtime::effects::OpSite;
use crate::runtime::{Ctrl, CtrlKind, Suspended};
use crate::span::Span;
use crate::stack::Fiber;

thread_local! {
    /// The operation of the computation being cancelled by [`cancel_collecting`], until its
    /// `suspend` takes it ([`cancelled`]).
    static REQUEST: RefCell<Option<Rc<str>>> = const { RefCell::new(None) };
    /// The frames of the fiber of that computation that ended last, for the fiber that
    /// resumed it ([`aborted`]) or for [`cancel_collecting`].
    static DELIVERED: Cell<Option<Box<Suspended>>> = const { Cell::new(None) };
}

/// Cancels the suspended computation whose outermost fiber is `fiber`, suspended at
/// `operation`, collecting its frames, and adds them to the unwinding error.
#[cold]
#[inline(never)]
pub(super) fn cancel_collecting(fiber: &Fiber, operation: Rc<str>) {
    REQUEST.replace(Some(operation));
    let cancelled = fiber.cancel();
    REQUEST.take();
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

/// The unwinding that goes on from a `handle` or `resume` (at `site` of `source`) whose
/// fiber was cancelled: it carries the frames collected so far, if any, across the fiber's
/// boundary.
#[cold]
#[inline(never)]
pub(super) fn aborted(source: u32, site: Span) -> Ctrl {
    match DELIVERED.take() {
        Some(mut frames) => {
            frames.leave_continuation(source, site);
            Ctrl::raise(CtrlKind::Abort(Some(frames)))
        }
        None => Ctrl::abort(),
    }
}
