//! Native stacks for continuations, and the switch between them. The only layer of
//! kont with `unsafe` code; its assembly lives in `x86_64.rs`.
//!
//! # Layout of a stack
//!
//! Each continuation (a [`Fiber`]) runs on a stack of its own, one slot of
//! [`stack_size()`] bytes of address space (see `pool.rs` for how slots are carved from
//! slabs). The top of a slot, after the WebAssembly stack-switching design:
//!
//! ```text
//!  slot top ──► +-----------------------------------+   high addresses
//!               | Header: refs, phase, parent,      |   HEADER_SIZE bytes: the
//!               | innermost, closure, panic message,|   continuation's bookkeeping
//!               | slot, resting depth, lease word   |   (header.rs)
//!  TOS ───────► +-----------------------------------+   16-byte aligned
//!   TOS - 0x08  | RIP  ┐                            |
//!   TOS - 0x10  | RBP  ├ control context            |  ◄─ continuation_start's RBP
//!   TOS - 0x18  | RSP  ┘                            |
//!   TOS - 0x20  | argument buffer: one payload      |  first payload in, result out
//!   TOS - 0x28  | func         = &Header::start     |  ┐ launch words, popped by
//!   TOS - 0x30  | vmctx        = &Header            |  │ continuation_start into
//!   TOS - 0x38  | args         = &argument buffer   |  │ the argument registers
//!   TOS - 0x40  | return count = 1                  |  ┘ ◄─ initial RSP
//!               +-----------------------------------+
//!               | frames: fiber_start, the closure, |
//!               | ... growing down                  |
//!               ~                                   ~
//!               +-----------------------------------+  ◄─ stack_limit()
//!               | red zone, RED_ZONE = 256 KiB      |
//!  slot bottom ►+-----------------------------------+
//!               | guard page (below slot 0 of each  |
//!               | slab) or the slot below's top     |
//! ```
//!
//! What the control context (`x86_64::ControlContext`) holds, by state:
//!
//! | state                            | RSP and RBP               | RIP                     |
//! |----------------------------------|---------------------------|-------------------------|
//! | Fresh                            | TOS − 0x40 and TOS − 0x10 | `continuation_start`    |
//! | Running, on the active chain     | parent's frame record     | parent's resume point   |
//! | Suspended (segment's outermost)  | innermost's RSP and RBP   | innermost's resume point|
//! | Running, in a suspended segment  | parent's record (kept)    | parent's resume point   |
//!
//! A frame record is the pair (saved RBP, return address) a resume leaves on the
//! parent's stack; while a fiber runs, RSP and RBP both point at it. `continuation_start`
//! keeps RBP at the RBP slot, so the frame-pointer chain runs from a continuation into
//! its parent. A suspended context holds the innermost fiber's registers themselves
//! (its RSP points at the RBX its switch pushed).
//!
//! The context also says whether a continuation can be resumed: its RSP points into the
//! stack of the segment's innermost fiber exactly when the segment is fresh or
//! suspended, and at a frame record on its parent's stack while it runs
//! (`Header::at_rest`). No state is written on a round trip: it stores the registers,
//! the thread's running fiber twice, a push and a pop on the array of the active chain
//! (`chain.rs`: a suspend past several fibers looks its target up there instead of
//! following their parent links), and a fiber's parent and innermost fiber only when they
//! change. On x86-64 a round trip is bound by its stores, about a cycle each.
//!
//! # Primitives
//!
//! **Resume.** [`Fiber::resume`] links the fiber under the running one (or the thread's
//! own stack) and calls into its control context: a fresh fiber starts in
//! `continuation_start`, a suspended one continues in its innermost fiber's `suspend`.
//! The entry code leaves the parent's registers in the context.
//!
//! **Suspend.** [`suspend`] (or [`suspend_to`]) from code on fiber `I`, naming an
//! ancestor `O` on the active chain (or `I` itself), stores `I`'s registers in `O`'s
//! control context, records `I` as `O`'s innermost fiber and returns to `O`'s parent.
//! `O` is now suspended and its context says where the whole segment `I..=O`
//! continues; the fibers strictly inside keep their contexts (their parents'
//! registers) and their parent links. A later `O.resume(p)`, from anywhere, goes
//! straight back into `I`, whose `suspend` returns `Ok(p)`. An effect handled N handlers
//! up therefore captures N stacks with one switch, and since the segment's resume point
//! lives in the outermost context, the innermost context never has to be saved aside.
//!
//! **Return.** When the closure returns, `fiber_start` leaves the result in the argument
//! buffer and `continuation_start` returns through the fiber's context, which holds its
//! parent's registers; the parent's `resume` reports [`Event::Returned`]. A panic is
//! caught in `fiber_start` and reported as [`Event::Panicked`]: nothing ever unwinds
//! through the assembly.
//!
//! **Cancel.** [`Fiber::cancel`] marks every fiber of the suspended segment cancelling
//! and resumes it: the pending `suspend` returns `Err(Cancelled)`, as does, without
//! switching, every later `suspend` that crosses a cancelling fiber, so the code
//! unwinds (running destructors) and returns. Dropping the last handle of a suspended
//! fiber cancels it the same way, from the dropping context.
//!
//! # Ownership
//!
//! A [`Fiber`] is a counted handle to the header at the top of its slot, which also
//! holds the closure (boxed only if larger than `header::START_BYTES`), so a
//! continuation costs no allocation. The active chain is never freed: the
//! `resume` that entered a fiber holds a handle to it until control comes back (and an
//! inner fiber's `resume` runs on its parent's stack). The last handle's drop ends a
//! continuation: a fresh one drops its closure, a suspended one is cancelled, a finished
//! one returns its slot to the pool. A cancelled continuation always finishes (its
//! `suspend`s fail); were one ever left unfinished, its slot would be leaked, never
//! reused.
//!
//! Code inside a continuation should name suspend targets by [`FiberId`], which does
//! not keep them alive: a handle held by a suspended segment's own frames is a
//! reference cycle, and dropping every other handle then cannot cancel it.
//!
//! Everything is per thread: the pool and the chain are thread-locals, and `Fiber` is
//! neither `Send` nor `Sync`. No Rust borrow may be held across a switch (code on the
//! other stack may touch the same object); the header's `Cell`s are read and written in
//! short steps around it.
//!
//! # Sizes
//!
//! - **Stack size, 1 MiB of address space** ([`set_stack_mb`] sets another, 1–1024 MiB,
//!   for the whole process before its first stack; the CLI takes it from `KONT_STACK_MB`).
//!   A stack holds its size less the red zone, 768 KiB: a few thousand kont call levels.
//!   Deeper kont recursion continues on *stack extensions*
//!   (`runtime::extension::extend_stack`), up to 1 GiB of native stack per continuation,
//!   so 100,000-deep non-tail recursion runs inside any continuation. Small slots keep the
//!   stacks a program switches between close together: two 1 MiB stacks share each
//!   page-table page, where stacks 64 MiB apart need a page-table page, and a page walk,
//!   each (benches/README.md has the measurements). The price is a call at an
//!   extension's boundary: a loop calling there makes an extension per call, a fiber
//!   made and finished per call. Reserving is free: pages are committed only when touched
//!   (`MAP_NORESERVE`), so a suspended continuation that touched little costs one resident
//!   page, plus half a page-table page.
//! - **Red zone, 256 KiB** (`overflow.rs`): the stack limit is the slot's bottom plus
//!   this; it must hold whatever Rust code runs between two limit checks.
//! - **Slabs of 64 slots** (64 MiB by default), two mappings each (`pool.rs`): 100,000
//!   live stacks need about 3,200 mappings, a million about 31,000 (the default
//!   `vm.max_map_count` is 65,530; a guarded mapping per stack would cap near 32,000).
//! - **512 MiB of warm slots** per thread (512 of 1 MiB, at least 8) are reused as they
//!   are; further released slots give back all but their top page
//!   (`madvise(MADV_DONTNEED)`). So many warm slots keep a deep recursion's extensions
//!   warm when it comes back again and again.
//!
//! # Stack overflow
//!
//! See `overflow.rs`: a software limit per stack ([`stack_limit`], compared with
//! [`approximate_sp`]) is the rule; the guard page below slot 0 of each slab, with a
//! SIGSEGV handler on an alternate signal stack, is the last resort. Slot 0 goes to a
//! thread's first continuation, kont's root continuation.

mod chain;
mod header;
mod panic;
#[cfg(test)]
mod tests;

// The platform backend: the switch's assembly (`x86_64.rs`), and stack memory and overflow
// detection on Linux system calls (`pool.rs`, `overflow.rs`). Only x86_64 Linux has one; on
// any other target the build stops here, with this one error. The rest of the layer names
// the backend only in `use` declarations with `self::` or `super::` paths, which rustc does
// not report again once the module is configured out; a path to it written out in code
// would add an error of its own.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod overflow;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod pool;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x86_64;
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
compile_error!(
    "kont runs on x86_64 Linux only: its continuations switch native stacks with x86_64 \
     assembly (src/stack/x86_64.rs) and map them with Linux system calls; no other target \
     has a backend"
);

use self::overflow::current_limit;
use self::pool::acquire;
use header::{Header, Phase};
use std::fmt;
use std::ptr::NonNull;

pub use self::overflow::RED_ZONE;
pub use self::pool::{MAX_STACK_MB, set_stack_mb, stack_size};
pub use chain::{active_depth, cancel_depth};

/// One machine word passed between a continuation and its parent.
pub type Payload = usize;

/// What a `resume` saw: how control came back to the parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The resumed segment suspended with this payload; it can be resumed again.
    Suspended(Payload),
    /// The continuation's closure returned this payload; it is finished.
    Returned(Payload),
    /// The continuation's closure panicked with this message (and location); it is
    /// finished. The panic was not printed.
    Panicked(String),
}

/// Making a continuation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// The kernel refused to map or protect stack memory (`ENOMEM`): out of memory,
    /// address space or memory mappings.
    OutOfMemory,
    /// Mapping stack memory failed with this other `errno`.
    Os(i32),
}

impl StackError {
    /// The error for the `errno` a failed `mmap` or `mprotect` left.
    fn from_errno() -> StackError {
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ENOMEM) | None => StackError::OutOfMemory,
            Some(errno) => StackError::Os(errno),
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackError::OutOfMemory => f.write_str("out of memory for continuation stacks"),
            StackError::Os(errno) => write!(
                f,
                "mapping a continuation stack failed: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for StackError {}

/// Setting the stack size ([`set_stack_mb`]) failed; the size is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackSizeError {
    /// The size asked for, in MiB, is not from 1 to [`MAX_STACK_MB`].
    OutOfRange(usize),
    /// The size was fixed already (a stack was made) at this many MiB.
    Fixed(usize),
}

impl fmt::Display for StackSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackSizeError::OutOfRange(mb) => write!(
                f,
                "a stack size of {mb} MiB is not from 1 to {} MiB",
                MAX_STACK_MB
            ),
            StackSizeError::Fixed(mb) => write!(f, "the stack size is fixed at {mb} MiB already"),
        }
    }
}

impl std::error::Error for StackSizeError {}

/// Resuming or cancelling a continuation failed; nothing happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeError {
    /// It is running: on the active chain, or inside a suspended segment below its
    /// outermost fiber.
    Running,
    /// It has finished.
    Finished,
    /// It is being cancelled.
    Cancelling,
    /// (`cancel` only.) It panicked while unwinding; it is finished.
    Panicked(String),
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeError::Running => f.write_str("continuation is running"),
            ResumeError::Finished => f.write_str("continuation already finished"),
            ResumeError::Cancelling => f.write_str("continuation is being cancelled"),
            ResumeError::Panicked(message) => {
                write!(f, "continuation panicked while cancelled: {message}")
            }
        }
    }
}

impl std::error::Error for ResumeError {}

/// `suspend` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspendError {
    /// The target is neither the running fiber nor one of its ancestors on the active
    /// chain (or no fiber is running). Nothing happened.
    NotAncestor,
    /// The fiber is being cancelled: unwind and return. Returned again, without a
    /// switch, by every `suspend` that crosses a cancelling fiber.
    Cancelled,
}

impl fmt::Display for SuspendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuspendError::NotAncestor => {
                f.write_str("suspend target is not the running continuation or an ancestor")
            }
            SuspendError::Cancelled => f.write_str("continuation is being cancelled"),
        }
    }
}

impl std::error::Error for SuspendError {}

/// Where a continuation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Made, not yet resumed.
    Fresh,
    /// On the active chain, or inside a suspended segment below its outermost fiber.
    Running,
    /// The outermost fiber of a suspended segment: resumable.
    Suspended,
    /// Its closure returned or panicked.
    Finished,
}

/// A handle to one continuation: a native stack plus its control context.
///
/// Cheap to clone (a counter in the continuation's header); neither `Send` nor `Sync`.
/// Dropping the last handle ends the continuation (see the module docs: a suspended
/// one is cancelled first).
pub struct Fiber {
    /// The header at the top of the continuation's slot.
    header: NonNull<Header>,
}

impl Fiber {
    /// A new, not yet started continuation that will run `start(first_payload)` on a
    /// stack from this thread's pool. Its return value becomes [`Event::Returned`].
    pub fn new<F: FnOnce(Payload) -> Payload + 'static>(start: F) -> Result<Fiber, StackError> {
        let (slot, serial) = acquire()?;
        // SAFETY: the pool just handed out this slot; nothing else uses it.
        let header = unsafe { header::init(slot, serial, start) };
        Ok(Fiber { header })
    }

    /// The header; alive as long as this handle.
    fn header(&self) -> &Header {
        // SAFETY: a handle keeps its header alive.
        unsafe { self.header.as_ref() }
    }

    /// Resumes this continuation with `payload`: links it under the running fiber (or
    /// the thread's own stack) and switches into the innermost fiber of its suspended
    /// segment (itself if it suspended alone, or if fresh). Returns when the segment
    /// suspends to here, or this continuation returns or panics. Always inlined: with the
    /// active chain's bookkeeping it grew past what the inliner takes, and it is on the
    /// path of every resume.
    #[inline(always)]
    pub fn resume(&self, payload: Payload) -> Result<Event, ResumeError> {
        if self.header().at_rest() {
            // SAFETY: alive (we hold a handle) and fresh or suspended.
            Ok(unsafe { chain::enter(self.header, payload, false) })
        } else {
            Err(self.not_resumable())
        }
    }

    /// Ok if fresh or suspended, else why not.
    fn resumable(&self) -> Result<(), ResumeError> {
        if self.header().at_rest() {
            Ok(())
        } else {
            Err(self.not_resumable())
        }
    }

    /// Why this continuation cannot be resumed (it is running or finished).
    #[cold]
    #[inline(never)]
    fn not_resumable(&self) -> ResumeError {
        let header = self.header();
        match header.phase.get() {
            Phase::Finished => ResumeError::Finished,
            _ if header.cancelling() => ResumeError::Cancelling,
            _ => ResumeError::Running,
        }
    }

    /// Where this continuation is in its life.
    pub fn state(&self) -> State {
        self.header().state()
    }

    /// Cancels this continuation. Suspended: resumes it so that its pending `suspend`
    /// returns `Err(Cancelled)`; the code must unwind and return. Fresh: drops the
    /// closure. Finished: nothing. Its stack goes back to the pool when the last handle
    /// is dropped.
    pub fn cancel(&self) -> Result<(), ResumeError> {
        let header = self.header();
        match header.state() {
            State::Finished => Ok(()),
            State::Fresh => {
                header.finish();
                drop(header.start.take());
                Ok(())
            }
            _ => {
                self.resumable()?;
                // SAFETY: alive (we hold a handle) and suspended.
                match unsafe { chain::enter_cancelling(self.header) } {
                    Event::Returned(_) => Ok(()),
                    Event::Panicked(message) => Err(ResumeError::Panicked(message)),
                    Event::Suspended(_) => unreachable!("a cancelled segment cannot suspend"),
                }
            }
        }
    }

    /// Whether both handles name the same continuation.
    pub fn ptr_eq(&self, other: &Fiber) -> bool {
        self.header == other.header
    }

    /// This continuation's name, which does not keep it alive.
    #[inline]
    pub fn id(&self) -> FiberId {
        FiberId {
            header: self.header,
            serial: self.header().serial(),
        }
    }
}

impl Clone for Fiber {
    fn clone(&self) -> Fiber {
        // SAFETY: alive, as we hold a handle.
        unsafe { chain::add_ref(self.header) };
        Fiber {
            header: self.header,
        }
    }
}

impl Drop for Fiber {
    fn drop(&mut self) {
        // SAFETY: we own this handle's reference.
        unsafe { chain::drop_ref(self.header) };
    }
}

impl fmt::Debug for Fiber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fiber")
            .field("header", &self.header)
            .field("state", &self.state())
            .finish()
    }
}

/// A name for a continuation that does not keep it alive (unlike a [`Fiber`] handle):
/// what code running inside a continuation should hold to name a suspend target.
///
/// A handle held across a `suspend` by the suspended segment's own frames (or by
/// anything they keep alive) is a reference cycle: dropping every other handle then
/// cannot cancel the continuation, which is leaked. An id never compares equal to a
/// later continuation that reuses the same stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiberId {
    /// The continuation's header (possibly dead: never dereferenced unless found on
    /// the active chain).
    header: NonNull<Header>,
    /// The header's lease number, told apart from later continuations on the slot.
    serial: u64,
}

/// From code running on a fiber: suspends the segment made of the running fiber and
/// its ancestors up to and including `outermost`, switching to `outermost`'s parent,
/// whose `outermost.resume(..)` returns `Event::Suspended(payload)`. A later
/// `outermost.resume(p)` (from anywhere) switches straight back here, and this returns
/// `Ok(p)`.
///
/// Errors, without switching: [`SuspendError::NotAncestor`] if `outermost` is not the
/// running fiber or an ancestor on the active chain; [`SuspendError::Cancelled`] if a
/// fiber of the segment is being cancelled. `Cancelled` is also what a suspended
/// segment's `suspend` returns when it is cancelled.
///
/// Code on the suspended segment that holds a handle to `outermost` keeps it alive (see
/// [`FiberId`]); [`suspend_to`] names the target without a handle.
#[inline]
pub fn suspend(outermost: &Fiber, payload: Payload) -> Result<Payload, SuspendError> {
    chain::suspend(outermost.id(), payload)
}

/// [`suspend`], naming the outermost fiber of the segment by its [`FiberId`].
#[inline]
pub fn suspend_to(outermost: FiberId, payload: Payload) -> Result<Payload, SuspendError> {
    chain::suspend(outermost, payload)
}

/// The fiber now running, if any.
pub fn current() -> Option<Fiber> {
    chain::current().map(|header| {
        // SAFETY: the running fiber is alive (it is on the active chain).
        unsafe { chain::add_ref(header) };
        Fiber { header }
    })
}

/// The id of the fiber now running, if any.
#[inline]
pub fn current_id() -> Option<FiberId> {
    chain::current().map(|header| FiberId {
        header,
        // SAFETY: the running fiber is alive (it is on the active chain).
        serial: unsafe { header.as_ref() }.serial(),
    })
}

/// Whether the running fiber is being cancelled: its segment was discontinued or dropped,
/// and its code is unwinding (see [`Fiber::cancel`]). The state of whoever resumes the
/// segment normally (the runtime's handler stack) is not its own then.
#[inline]
pub fn cancelling() -> bool {
    chain::cancel_depth() > 0
        && chain::current().is_some_and(|header| {
            // SAFETY: the running fiber's header is alive (it is on the active chain).
            unsafe { header.as_ref() }.cancelling()
        })
}

/// The lowest stack address the running code may go down to: the running stack's
/// bottom plus [`RED_ZONE`] (256 KiB, room for any Rust code between two checks). It
/// changes with every switch; on the thread's own stack it is that stack's bottom plus
/// the red zone. Compare [`approximate_sp`] against it.
#[inline]
pub fn stack_limit() -> usize {
    current_limit()
}

/// The current stack pointer, approximately (the address of a local).
#[inline(always)]
pub fn approximate_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}
