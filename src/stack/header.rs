//! The header of a continuation: its bookkeeping, kept in the slot right above the top
//! of its stack, and the start function that runs its closure.
//!
//! Keeping the header inside the slot makes a continuation cost no allocation besides
//! the caller's boxed closure, and keeps the header, the control context and the first
//! frames in one page. The price: a slot returns to the pool only when the last handle
//! to its continuation is dropped, not when the continuation finishes.

use super::pool::Slot;
use super::x86_64::{ControlContext, StackTop, initial_context};
use super::{FiberId, Payload, State, panic};
use std::cell::Cell;
use std::mem::{offset_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{self, NonNull};

/// The closure a fresh continuation will run.
pub type Start = Box<dyn FnOnce(Payload) -> Payload>;

/// Where a fresh continuation's closure waits (taken when it starts or is cancelled).
pub type StartSlot = Cell<Option<Start>>;

/// Bookkeeping of one continuation, at the top of its slot, just above TOS.
pub struct Header {
    /// Number of `Fiber` handles (a last-handle drop that cancels adds one meanwhile).
    pub refs: Cell<usize>,
    /// Lifecycle state. Fibers strictly inside a suspended segment stay `Running`.
    pub state: Cell<State>,
    /// Set on every fiber of a segment that is being cancelled.
    pub cancelling: Cell<bool>,
    /// The fiber this one runs under (`None`: the thread's own stack). Valid while
    /// `Running`, including inside a suspended segment.
    pub parent: Cell<Option<NonNull<Header>>>,
    /// While `Suspended`: the innermost fiber of the suspended segment (itself if it
    /// suspended alone).
    pub innermost: Cell<NonNull<Header>>,
    /// The closure, until the continuation starts or is cancelled.
    pub start: StartSlot,
    /// The message of the panic that finished the continuation, until reported.
    pub panic: Cell<Option<String>>,
    /// The slot this header lives in.
    pub slot: Slot,
    /// The pool's lease number for this use of the slot: with the header's address,
    /// names this continuation and no later one on the same slot.
    pub serial: u64,
}

impl Header {
    /// Whether this header, found at `id.header`, belongs to the fiber `id` names (not
    /// a later one on the same slot), and that fiber is not being cancelled.
    #[inline(always)]
    pub fn may_suspend_as(&self, id: FiberId) -> bool {
        self.serial == id.serial && !self.cancelling.get()
    }
}

/// Bytes reserved above TOS for the header; keeps TOS 16-byte aligned.
pub const HEADER_SIZE: usize = size_of::<Header>().next_multiple_of(16);

/// Writes a fresh continuation into `slot`: its header just below the slot's top, and
/// below that (from TOS down) the control context, the argument buffer and the four
/// launch words that `continuation_start` pops.
///
/// # Safety
///
/// `slot` must be a slot from the pool that nothing else uses.
pub unsafe fn init(slot: Slot, serial: u64, start: Start) -> NonNull<Header> {
    let tos = slot.top - HEADER_SIZE;
    let header = tos as *mut Header;
    let top = (tos - size_of::<StackTop>()) as *mut StackTop;
    // SAFETY: the caller gives us the slot; its top page is mapped read-write and both
    // writes stay inside it (the layout test checks HEADER_SIZE + 0x40 < one page).
    unsafe {
        header.write(Header {
            refs: Cell::new(1),
            state: Cell::new(State::Fresh),
            cancelling: Cell::new(false),
            parent: Cell::new(None),
            innermost: Cell::new(NonNull::new_unchecked(header)),
            start: Cell::new(Some(start)),
            panic: Cell::new(None),
            slot,
            serial,
        });
        top.write(StackTop {
            return_count: 1,
            args: ptr::addr_of_mut!((*top).arg_buffer).cast(),
            vmctx: header,
            func: ptr::addr_of!((*header).start),
            arg_buffer: [0],
            ctx: initial_context(tos),
        });
        NonNull::new_unchecked(header)
    }
}

/// The control context of the continuation whose header is `header`.
pub fn context(header: NonNull<Header>) -> *mut ControlContext {
    (header.as_ptr() as usize - size_of::<StackTop>() + offset_of!(StackTop, ctx))
        as *mut ControlContext
}

/// The start function `continuation_start` calls with the four launch words: runs the
/// closure in `func` on the first payload found in `args`, leaves its result in `args`
/// (`return_count` words: one), and records a panic's message in the header `vmctx`.
/// Catches every panic: nothing unwinds into the assembly.
pub extern "C" fn fiber_start(
    func: *const StartSlot,
    vmctx: *const Header,
    args: *mut Payload,
    return_count: usize,
) {
    debug_assert_eq!(return_count, 1, "kont continuations return one payload");
    // SAFETY: continuation_start passes the launch words `init` wrote: the header and
    // start slot of this continuation, alive while it runs (its resumer holds a reference),
    // and its argument buffer, which lies above every frame of this stack.
    let (header, start, first) = unsafe { (&*vmctx, &*func, args.read()) };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let start = start.take().expect("a fresh continuation has its closure");
        start(first)
    }));
    let result = outcome.unwrap_or_else(|payload| {
        header.panic.set(Some(panic::message(payload)));
        0
    });
    // SAFETY: as above.
    unsafe { args.write(result) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_launch_words_fit_in_the_top_page() {
        assert_eq!(HEADER_SIZE % 16, 0);
        assert!(HEADER_SIZE + size_of::<StackTop>() < super::super::pool::PAGE / 2);
    }
}
