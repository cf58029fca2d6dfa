//! The header of a continuation: its bookkeeping, kept in the slot right above the top
//! of its stack, and the start function that runs its closure.
//!
//! Keeping the header inside the slot makes a continuation cost no allocation (its
//! closure waits in the header too, when it fits in [`START_BYTES`]), and keeps the
//! header, the control context and the first frames in one page. The price: a slot
//! returns to the pool only when the last handle to its continuation is dropped, not when
//! the continuation finishes.

use super::pool::Slot;
use super::x86_64::{ControlContext, StackTop, initial_context};
use super::{FiberId, Payload, State, panic};
use std::cell::{Cell, UnsafeCell};
use std::mem::{MaybeUninit, align_of, offset_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{self, NonNull};

/// Bytes of a fresh continuation's closure that its header holds itself; a larger closure
/// is boxed. Enough for kont's fibers (a handle body or `cont`: 24 bytes; a stack extension,
/// which carries the moved `Ctx`: 112), so none of them allocates.
pub const START_BYTES: usize = 128;

/// Room for a closure in the header, aligned for any closure that fits.
#[repr(C, align(16))]
struct StartBuf(MaybeUninit<[u8; START_BYTES]>);

/// What to do with the closure in a [`StartBuf`], made for its type.
#[derive(Clone, Copy)]
struct StartFns {
    /// Moves the closure out of the buffer and calls it.
    call: unsafe fn(*mut StartBuf, Payload) -> Payload,
    /// Drops the closure in the buffer.
    drop: unsafe fn(*mut StartBuf),
}

/// Where a fresh continuation's closure waits, in its header (a `Box<dyn FnOnce>` without
/// the allocation). It runs in place when the continuation starts; cancelling a fresh
/// continuation moves it out (see [`StartSlot::take`]).
pub struct StartSlot {
    /// The closure's bytes, while `fns` is set.
    buf: UnsafeCell<StartBuf>,
    /// Set while `buf` holds a closure, for its type.
    fns: Cell<Option<StartFns>>,
}

impl StartSlot {
    /// A slot with no closure.
    fn empty() -> StartSlot {
        StartSlot {
            buf: UnsafeCell::new(StartBuf(MaybeUninit::uninit())),
            fns: Cell::new(None),
        }
    }

    /// Puts `f` in the empty slot: in place if it fits in [`START_BYTES`], else boxed.
    fn fill<F: FnOnce(Payload) -> Payload + 'static>(&self, f: F) {
        if fits::<F>() {
            self.fill_in_place(f);
        } else {
            let boxed = Box::new(f);
            self.fill_in_place(boxed);
        }
    }

    /// Puts `f`, which [`fits`], in the empty slot.
    fn fill_in_place<F: FnOnce(Payload) -> Payload + 'static>(&self, f: F) {
        assert!(fits::<F>() && self.fns.get().is_none());
        // SAFETY: the buffer is large and aligned enough for an `F` (asserted above) and
        // holds nothing (no `fns`); no reference into it exists.
        unsafe { self.buf.get().cast::<F>().write(f) };
        self.fns.set(Some(StartFns {
            call: call_in_place::<F>,
            drop: drop_in_place::<F>,
        }));
    }

    /// Takes the closure out and runs it on `payload`, if there is one.
    pub fn run(&self, payload: Payload) -> Option<Payload> {
        let fns = self.fns.take()?;
        // SAFETY: the buffer holds the closure `fns` was made for; with `fns` cleared,
        // nothing uses or drops it again after `call` moves it out.
        Some(unsafe { (fns.call)(self.buf.get(), payload) })
    }

    /// Moves the closure out, if there is one, so that it can be dropped after the slot
    /// is gone.
    pub fn take(&self) -> Option<Start> {
        let fns = self.fns.take()?;
        // SAFETY: the buffer holds the closure `fns` was made for; with `fns` cleared,
        // its bytes now belong to the returned `Start` alone.
        let buf = unsafe { self.buf.get().read() };
        Some(Start { buf, fns })
    }
}

impl Drop for StartSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// A closure moved out of a [`StartSlot`]; dropping it drops the closure.
pub struct Start {
    /// The closure's bytes.
    buf: StartBuf,
    /// What to do with them.
    fns: StartFns,
}

impl Drop for Start {
    fn drop(&mut self) {
        // SAFETY: `buf` holds the closure `fns` was made for, owned by this `Start` alone.
        unsafe { (self.fns.drop)(&mut self.buf) }
    }
}

/// Whether a closure of type `F` fits in a [`StartBuf`].
const fn fits<F>() -> bool {
    size_of::<F>() <= START_BYTES && align_of::<F>() <= align_of::<StartBuf>()
}

/// [`StartFns::call`] for a closure of type `F`.
///
/// # Safety
///
/// `buf` holds an `F`, which the caller never uses or drops again.
unsafe fn call_in_place<F: FnOnce(Payload) -> Payload>(
    buf: *mut StartBuf,
    payload: Payload,
) -> Payload {
    // SAFETY: the caller guarantees `buf` holds an `F` and gives up its bytes.
    let f = unsafe { buf.cast::<F>().read() };
    f(payload)
}

/// [`StartFns::drop`] for a closure of type `F`.
///
/// # Safety
///
/// `buf` holds an `F`, which the caller never uses again.
unsafe fn drop_in_place<F>(buf: *mut StartBuf) {
    // SAFETY: the caller guarantees `buf` holds an `F` it will not use again.
    unsafe { buf.cast::<F>().drop_in_place() }
}

/// How far a continuation is in its life. Whether a started one runs or is suspended is
/// not stored: its control context tells (see [`Header::at_rest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Made, its closure not yet taken.
    Fresh,
    /// Its closure has started (`fiber_start` took it).
    Started,
    /// Its closure returned or panicked, or it was cancelled while fresh.
    Finished,
}

/// Bookkeeping of one continuation, at the top of its slot, just above TOS.
///
/// A round trip writes none of it in the common case (the parent and innermost fiber
/// stay the same from one resume to the next): only the thread's `CURRENT` and the
/// control context change.
pub struct Header {
    /// Number of `Fiber` handles (a last-handle drop that cancels adds one meanwhile).
    pub refs: Cell<usize>,
    /// Fresh, started or finished.
    pub phase: Cell<Phase>,
    /// The fiber this one runs under (`None`: the thread's own stack). Valid while
    /// running, including inside a suspended segment; written by a resume only when it
    /// changes.
    pub parent: Cell<Option<NonNull<Header>>>,
    /// The innermost fiber of the segment when it last suspended (itself if it
    /// suspended alone, or while fresh); written only when it changes. Meaningful while
    /// at rest; while running it may name a fiber since finished.
    pub innermost: Cell<NonNull<Header>>,
    /// While suspended: the fibers of its segment inside it, outermost first (empty if it
    /// suspended alone); they go back on the thread's active chain when it is resumed
    /// (see `chain`). Its capacity is kept from one suspend to the next.
    pub inside: UnsafeCell<Vec<NonNull<Header>>>,
    /// The closure, until the continuation starts or is cancelled.
    pub start: StartSlot,
    /// The message of the panic that finished the continuation, until reported.
    pub panic: Cell<Option<String>>,
    /// The slot this header lives in.
    pub slot: Slot,
    /// How far below the header a resting context's RSP may lie: the slot's size less
    /// the header (see [`Header::at_rest`]; stored so the check loads one word).
    pub rest_depth: usize,
    /// The pool's lease number for this use of the slot (which, with the header's
    /// address, names this continuation and no later one on the same slot), with
    /// [`CANCELLING`] set once its segment is being cancelled. One word, so that a
    /// suspend checks both with one comparison.
    lease: Cell<u64>,
}

/// The bit of [`Header`]'s lease word that says the fiber is being cancelled. Lease
/// numbers count up from 1 and never reach it.
const CANCELLING: u64 = 1 << 63;

impl Header {
    /// Whether this header, found at `id.header`, belongs to the fiber `id` names (not
    /// a later one on the same slot), and that fiber is not being cancelled.
    #[inline(always)]
    pub fn may_suspend_as(&self, id: FiberId) -> bool {
        self.lease.get() == id.serial
    }

    /// The pool's lease number for this continuation.
    #[inline(always)]
    pub fn serial(&self) -> u64 {
        self.lease.get() & !CANCELLING
    }

    /// Whether the continuation's segment is being cancelled.
    pub fn cancelling(&self) -> bool {
        self.lease.get() & CANCELLING != 0
    }

    /// Marks the continuation as being cancelled: a `suspend` on it now fails.
    pub fn mark_cancelling(&self) {
        self.lease.set(self.lease.get() | CANCELLING);
    }

    /// Whether the continuation's segment is at rest (fresh or suspended), so that it
    /// can be resumed. Its control context's RSP then points into the stack of the
    /// innermost fiber: below that fiber's header, by less than a slot less the header.
    /// While the segment runs (even inside a larger suspended segment) the RSP slot
    /// holds the frame record of the parent instead, on a stack that is never the
    /// innermost fiber's: the parent was running when it resumed the segment, so it was
    /// none of the segment's fibers, and it keeps its stack while the segment runs.
    /// The innermost fiber's slot may have been released meanwhile; only its address is
    /// used. A finished continuation is never at rest: [`Header::finish`] leaves its
    /// innermost fiber and its context's RSP both at its own header, 0 bytes apart.
    #[inline(always)]
    pub fn at_rest(&self) -> bool {
        // SAFETY: the control context lies just below this live header; the switches
        // write it only while no Rust reference to it exists.
        let rsp = unsafe { (*context(NonNull::from(self))).rsp };
        let below = (self.innermost.get().as_ptr() as usize).wrapping_sub(rsp);
        below.wrapping_sub(1) < self.rest_depth
    }

    /// Marks the continuation finished: its closure returned or panicked, or it was
    /// cancelled before it started. Its context, no longer needed, is pointed at the
    /// header itself, so that [`Header::at_rest`] is false from now on.
    pub fn finish(&self) {
        let me = NonNull::from(self);
        self.phase.set(Phase::Finished);
        self.innermost.set(me);
        // SAFETY: as in `at_rest`; nothing runs on a finished stack, so nothing will
        // switch through this context again.
        unsafe { (*context(me)).rsp = me.as_ptr() as usize };
    }

    /// The continuation's state.
    pub fn state(&self) -> State {
        match (self.phase.get(), self.at_rest()) {
            (Phase::Finished, _) => State::Finished,
            (_, false) => State::Running,
            (Phase::Fresh, true) => State::Fresh,
            (Phase::Started, true) => State::Suspended,
        }
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
pub unsafe fn init<F: FnOnce(Payload) -> Payload + 'static>(
    slot: Slot,
    serial: u64,
    start: F,
) -> NonNull<Header> {
    let tos = slot.top - HEADER_SIZE;
    let header = tos as *mut Header;
    let top = (tos - size_of::<StackTop>()) as *mut StackTop;
    // SAFETY: the caller gives us the slot; its top page is mapped read-write and the
    // writes stay inside it (the layout test checks HEADER_SIZE + 0x40 < one page); the
    // start slot, written last, is empty until `fill`.
    unsafe {
        header.write(Header {
            refs: Cell::new(1),
            phase: Cell::new(Phase::Fresh),
            parent: Cell::new(None),
            innermost: Cell::new(NonNull::new_unchecked(header)),
            inside: UnsafeCell::new(Vec::new()),
            start: StartSlot::empty(),
            panic: Cell::new(None),
            slot,
            rest_depth: slot.top - slot.base - HEADER_SIZE,
            lease: Cell::new(serial),
        });
        top.write(StackTop {
            return_count: 1,
            args: ptr::addr_of_mut!((*top).arg_buffer).cast(),
            vmctx: header,
            func: ptr::addr_of!((*header).start),
            arg_buffer: [0],
            ctx: initial_context(tos),
        });
        (*header).start.fill(start);
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
    header.phase.set(Phase::Started);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        start
            .run(first)
            .expect("a fresh continuation has its closure")
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
