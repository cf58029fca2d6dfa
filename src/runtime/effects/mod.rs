//! Effect handlers and one-shot continuations, on native stacks.
//!
//! # Design
//!
//! Every computation a handler handles runs on a *fiber* of its own (a native stack from
//! [`crate::stack`]). The VM keeps a *handler stack* ([`Vm::handlers`](crate::runtime::Vm)):
//! the handlers installed by the running chain of fibers, innermost last, each entry naming
//! the outermost fiber of the computation it handles. A *continuation* is a suspended
//! *segment*: one or more fibers, with the handler entries that went with them. Values cross
//! a stack switch in the VM's transfer cells (`transfer.rs`), never in the switch itself,
//! which carries one word.
//!
//! **handle** (`handle.rs`). `handle body with { … }` spawns a fiber for `body`
//! (`spawn.rs`), pushes a handler entry naming it, and resumes it. The code that resumed a
//! fiber (`handle` first, later any `resume`) waits in `resume_segment` (`resume.rs`) for it
//! to return, fail or suspend; when it suspends to one of the handlers resumed with it,
//! `drive` (`handle.rs`) runs that handler's clause there, and runs the resume a clause ends
//! with in the same loop, so that a handler answering a million operations does not nest.
//! When the fiber returns, its handlers' `return` clauses apply to its value.
//!
//! **suspend** (`suspend.rs`). `suspend Op(args)` searches the handler stack from the top
//! for the nearest entry with a clause for `Op`, stepping over masks (see the fast path). On
//! the slow path it cuts the handler stack at that entry: the entries above it, with the
//! fibers they name, become the continuation `k`, and one stack switch goes straight to the
//! code waiting for that entry's fiber, however many fibers lie between. The clause, its
//! arguments and `k` travel there in the transfer's `suspended` cell.
//!
//! **resume** (`resume.rs`). `resume k(v)` takes the segment out of `k` (one-shot: an empty
//! `k` is the error `continuation already resumed`), pushes its entries back on the handler
//! stack and switches into the fiber that suspended, whose `suspend` returns `v`. A deep
//! handler's own entry is part of the segment, so it keeps handling. The resume is split in
//! two (`resume_start`, `resume_finish`) so that the frame that switched is gone before the
//! clause the segment suspends to runs.
//!
//! **shallow resume** (`resume.rs`). `resume k(v) with { … }` pushes an entry for the
//! shallow handler, naming `k`'s outermost fiber, below `k`'s own entries; it is not put
//! into the continuation its clause receives. If `k` carries a deep handler on that same
//! fiber, whose clauses run where the fiber is resumed from, the resume runs on a fiber of
//! its own under the shallow handler instead (`resume_wrapped`), so that those clauses run
//! inside it.
//!
//! **cont** (`continuation.rs`). `cont f` makes a continuation that holds `f` and nothing
//! else: its first resume starts a fiber that calls `f` with the resume's arguments, so a
//! `cont` never resumed costs no stack. It has no handler entry: its operations go to the
//! handlers around whoever resumes it.
//!
//! **discontinue** (`continuation.rs`). `discontinue k`, and dropping the last reference to
//! a suspended `k`, cancel its fibers ([`crate::stack::Fiber::cancel`]): the pending
//! `suspend` returns [`CtrlKind::Abort`](crate::runtime::CtrlKind), which unwinds every
//! frame without running kont code (Rust destructors run), and the stacks go back to the
//! pool. A continuation dropped by a runtime error is cancelled by an unwinding that records
//! the calls it leaves, which the error's report shows (`ended.rs`). A `cont f` not yet resumed just drops `f`.
//!
//! **The fast path** (`fast_path.rs`). A tail-resumptive clause (every exit is
//! `resume k(e)`, `k` used nowhere else) runs as an ordinary call on the suspending fiber:
//! `suspend` pushes a *mask* entry (so that operations the clause performs skip its handler
//! and the ones above it, as if the clause ran where the handler waits), calls the clause
//! and returns its value. No stack switch, nothing captured. A *leaf* clause
//! ([`ClauseKind::Leaf`]: it calls nothing and performs nothing) skips the mask too, since
//! nothing can search the handler stack while it runs. A clause that ends without resuming
//! unwinds to its handler's fiber as an *escape*. When [`Vm::fast_resume`](crate::runtime::Vm)
//! is off, such clauses take the slow path instead, with the same results.
//!
//! Calls that run out of native stack continue on *stack extensions*, fibers with no
//! handler of their own; they belong to the call protocol and live in
//! [`crate::runtime::extension`].
//!
//! # Reference cycles
//! A continuation stored in a variable that its own suspended computation captures forms an
//! `Rc` cycle (continuation → fiber → frame → cell → continuation) and is not reclaimed;
//! `discontinue` it (or resume it to the end) to free it. See `docs/effects.md`.

mod continuation;
mod ended;
mod fast_path;
mod handle;
mod handler;
mod observe;
mod resume;
mod root;
mod spawn;
mod suspend;
pub(crate) mod transfer;

pub use continuation::{Continuation, State, discontinue, make_cont};
pub use handle::handle;
pub use handler::{
    BUILTIN_OPERATIONS, ClauseKind, FAIL, HandlerEntry, HandlerValue, OpId, PRINT, READ_LINE,
};
pub use observe::{Catcher, Observer, Unresumed, catcher, observe, visible_handlers};
pub use resume::{PendingResume, Resumed, resume_finish, resume_start, resume_start_with};
pub use root::{handled, offer, perform, perform_one, raise, raise_in};
pub use spawn::{Body, run_root};
pub use suspend::{OpPoint, OpSite, suspend};
pub use transfer::{Args, Transfer};

use crate::runtime::{Ctrl, ErrorKind};
use crate::span::Span;

/// An internal error (a broken invariant of the effects machinery, reported rather than
/// panicking).
pub(crate) fn internal(message: impl std::fmt::Display, site: Span) -> Ctrl {
    ErrorKind::Internal(message.to_string()).at(site).into()
}
