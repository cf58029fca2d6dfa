//! The run-time system: values, calls, built-ins, printing, effects and continuations.
//!
//! Compiled code ([`function::Code`]) runs against a [`Ctx`], the state of one continuation
//! (its value stack and native stack limit), which reaches the state shared by all
//! continuations ([`Vm`]) through an `Rc`. Every piece of code returns [`R`]: a value, or a
//! [`Ctrl`] that unwinds: an error, a `return`, a tail call for the enclosing call loop, or
//! an abort that tears down a cancelled continuation.

pub mod builtins;
pub mod effects;
pub mod function;
pub mod memory;
pub mod ops;
pub mod print;
pub mod symbol;
pub mod value;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::syntax::ast::Span;
use effects::HandlerEntry;
use function::Closure;
use value::Value;

/// Emptied vectors kept for reuse, last in first out, so that the runtime's short-lived
/// vectors are not freed and allocated again (nor grown again from a small capacity): at
/// most `keep` of them, whose capacities add up to at most `budget` elements. A vector that
/// does not fit is freed, so the pool never holds more than `budget` elements of memory.
pub struct Spares<T> {
    /// The kept vectors, all empty: the last one kept is the first one taken.
    vecs: RefCell<Vec<Vec<T>>>,
    /// The most vectors `vecs` may hold.
    keep: usize,
    /// The most elements of capacity the vectors in `vecs` may hold in all.
    budget: usize,
    /// The sum of the capacities of the vectors in `vecs`.
    held: Cell<usize>,
}

impl<T> Spares<T> {
    /// A pool keeping up to `keep` vectors of at most `budget` elements of capacity in all.
    pub fn new(keep: usize, budget: usize) -> Spares<T> {
        Spares {
            vecs: RefCell::new(Vec::new()),
            keep,
            budget,
            held: Cell::new(0),
        }
    }

    /// An empty vector kept earlier, if there is one.
    pub fn take(&self) -> Option<Vec<T>> {
        let v = self.vecs.borrow_mut().pop()?;
        self.held.set(self.held.get() - v.capacity());
        Some(v)
    }

    /// Keeps the emptied vector `v` for a later [`Spares::take`], if it holds an allocation
    /// and the pool has room for it; otherwise frees it. Inlined: it is on the path of
    /// every resume (out of line it cost handler_lifecycle 40 more instructions).
    #[inline(always)]
    pub fn give(&self, v: Vec<T>) {
        debug_assert!(v.is_empty());
        let held = self.held.get() + v.capacity();
        let mut vecs = self.vecs.borrow_mut();
        if v.capacity() != 0 && held <= self.budget && vecs.len() < self.keep {
            vecs.push(v);
            self.held.set(held);
        }
    }
}

/// How many values of capacity the emptied value stacks kept for reuse may hold in all
/// (2 MiB).
pub const SPARE_STACK_VALUES: usize = 1 << 17;

/// The capacity, in values, a new value stack starts with.
pub const INITIAL_STACK: usize = 64;

/// The result of running compiled code.
pub type R = Result<Value, Ctrl>;

/// Why compiled code stopped before producing a value: a marker without data, whose reason
/// (a [`CtrlKind`]) waits in a per-thread slot until the code that handles the unwinding
/// takes it with [`Ctrl::kind`].
///
/// Keeping the reason out of the marker is what makes [`R`] two registers: with a
/// zero-sized error and a [`Value`] whose payloads are all 64-bit words, a closure's result
/// comes back in RAX:RDX instead of through a slot in its caller's frame (a store and a
/// load on every return, on the critical path of every call). A `Result` whose error holds
/// any data at all (even one word) is returned through memory.
///
/// The slot is kept per cancellation depth ([`crate::stack::cancel_depth`]): while a `Ctrl`
/// unwinds, dropping a value may cancel a suspended continuation, which unwinds with a
/// `Ctrl` of its own; that one is one level deeper and leaves the first one's reason
/// alone. At one depth only the latest `Ctrl` has its reason: raising a new one while an
/// older one is still held replaces it, so code that holds a `Ctrl` takes its reason
/// before it raises another (every handler of one here does).
pub struct Ctrl {
    /// Neither `Send` nor `Sync`: the reason is in this thread's slot.
    _slot: PhantomData<*const ()>,
}

/// The reasons for unwinding.
pub enum CtrlKind {
    /// A runtime error, unwinding to the top.
    Error(RuntimeError),
    /// `return e`: unwinds to the enclosing function call.
    Return(Value),
    /// The continuation is being cancelled (`discontinue`, or it became unreachable): unwind
    /// without running any more kont code.
    Abort,
    /// A tail-resumptive clause running on the fast path ended without resuming: unwind the
    /// handled computation up to the handler on fiber `target` (filled in where the clause
    /// was started), whose `handle` or `resume` then evaluates to `value`, or fails with its
    /// error.
    Escape {
        /// The fiber the handler is installed on.
        target: Option<crate::stack::FiberId>,
        /// The clause's value, or the error it stopped with.
        value: Escaping,
    },
}

/// What a fast-path clause that did not resume leaves for its handler: its value, or the
/// runtime error it stopped with. An error goes to the handler the same way, so that its
/// backtrace skips the frames of the handled computation the clause ran on top of, as it
/// does where the clause runs on the slow path, after the computation was suspended.
pub type Escaping = Result<Value, Box<RuntimeError>>;

impl CtrlKind {
    /// Whether a function call the unwinding leaves must look at it: an error (to record
    /// the call in its backtrace) or a `return` (which ends there).
    fn stops_at_calls(&self) -> bool {
        matches!(self, CtrlKind::Error(_) | CtrlKind::Return(_))
    }
}

thread_local! {
    /// The reason of the `Ctrl` unwinding at each cancellation depth (see [`Ctrl`]).
    static PENDING: RefCell<Vec<Option<CtrlKind>>> = const { RefCell::new(Vec::new()) };
    /// Bit `d` (for depths below 63) is set when the reason last raised at cancellation
    /// depth `d` is one a function call must look at ([`CtrlKind::stops_at_calls`]); bit 63
    /// stands for every deeper depth and is never cleared. A clear bit lets
    /// [`Ctrl::leave_call`] pass an abort or an escape on without opening the slot: they
    /// cross every frame of a deep recursion.
    static STOPS_AT_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// The bit of [`STOPS_AT_CALLS`] for cancellation depth `depth`.
#[inline(always)]
fn depth_bit(depth: usize) -> u64 {
    1 << depth.min(63)
}

/// Records whether the reason just raised at `depth` is one calls must look at.
#[inline(always)]
fn note_raised(depth: usize, stops: bool) {
    STOPS_AT_CALLS.with(|bits| {
        let bit = depth_bit(depth);
        if stops {
            bits.set(bits.get() | bit);
        } else if depth < 63 {
            bits.set(bits.get() & !bit);
        }
    });
}

/// Runs `f` on the pending reason of the running cancellation depth.
#[inline(always)]
fn with_pending<T>(f: impl FnOnce(&mut Option<CtrlKind>) -> T) -> T {
    let depth = crate::stack::cancel_depth();
    PENDING.with_borrow_mut(|p| {
        if depth >= p.len() {
            add_depths(p, depth);
        }
        f(&mut p[depth])
    })
}

/// Makes room for the pending reasons of depths up to `depth`.
#[cold]
#[inline(never)]
fn add_depths(p: &mut Vec<Option<CtrlKind>>, depth: usize) {
    while p.len() <= depth {
        p.push(None);
    }
}

impl Ctrl {
    /// Starts unwinding for `kind`.
    #[cold]
    pub fn raise(kind: CtrlKind) -> Ctrl {
        note_raised(crate::stack::cancel_depth(), kind.stops_at_calls());
        // A reason left by a `Ctrl` that was dropped unhandled is dropped after the slot is
        // released: dropping it may cancel a continuation, which uses the slot one deeper.
        let stale = with_pending(|slot| slot.replace(kind));
        drop(stale);
        Ctrl { _slot: PhantomData }
    }

    /// `return v`.
    pub fn ret(v: Value) -> Ctrl {
        Ctrl::raise(CtrlKind::Return(v))
    }

    /// A clause's value escaping to its handler (the target is set by the fast path).
    pub fn escape(value: Value) -> Ctrl {
        Ctrl::raise(CtrlKind::Escape {
            target: None,
            value: Ok(value),
        })
    }

    /// The escape of a clause's value (or error) to the handler on fiber `target`.
    pub fn escape_to(target: crate::stack::FiberId, value: Escaping) -> Ctrl {
        Ctrl::raise(CtrlKind::Escape {
            target: Some(target),
            value,
        })
    }

    /// Unwinding a cancelled continuation.
    pub fn abort() -> Ctrl {
        Ctrl::raise(CtrlKind::Abort)
    }

    /// Why: takes the reason out of the slot.
    #[cold]
    pub fn kind(self) -> CtrlKind {
        with_pending(Option::take).unwrap_or_else(|| {
            CtrlKind::Error(RuntimeError::new(
                "internal error: the reason for unwinding was lost",
                Span::default(),
            ))
        })
    }

    /// Unwinding out of a function call: a `return` ends here with its value; an error
    /// passes on after `record` has added the call to its backtrace; anything else passes
    /// on untouched, without opening the slot (an escape or an abort crosses every frame of
    /// a deep recursion through here).
    #[inline(always)]
    pub fn leave_call(self, record: impl FnOnce(&mut RuntimeError)) -> R {
        let bit = depth_bit(crate::stack::cancel_depth());
        if STOPS_AT_CALLS.with(Cell::get) & bit == 0 {
            return Err(self);
        }
        self.stop_at_call(record)
    }

    /// [`Ctrl::leave_call`] for a reason that may be an error or a `return`.
    #[cold]
    #[inline(never)]
    fn stop_at_call(self, record: impl FnOnce(&mut RuntimeError)) -> R {
        let returned = with_pending(|slot| match slot {
            Some(CtrlKind::Error(e)) => {
                record(e);
                None
            }
            Some(CtrlKind::Return(v)) => {
                let v = std::mem::take(v);
                *slot = None;
                Some(v)
            }
            _ => None,
        });
        returned.ok_or(self)
    }
}

impl From<RuntimeError> for Ctrl {
    fn from(e: RuntimeError) -> Ctrl {
        Ctrl::raise(CtrlKind::Error(e))
    }
}

/// One line of a kont backtrace.
#[derive(Clone, Debug)]
pub enum TraceFrame {
    /// Execution was inside function `name` at `span` of source `source`.
    Call {
        /// The function's name.
        name: Rc<str>,
        /// The source text the function comes from.
        source: u32,
        /// Where in that source.
        span: Span,
    },
    /// The error crossed from a continuation into the code that resumed it, here.
    Resumed {
        /// The source text of the `resume` (or `handle`).
        source: u32,
        /// Where in that source.
        span: Span,
    },
}

/// A runtime error on its way to the top, collecting its backtrace as it unwinds.
#[derive(Debug)]
pub struct RuntimeError {
    /// The message (begins with one of the phrases of LANGUAGE.md's error table).
    pub message: String,
    /// A hint for the learner, if one helps.
    pub hint: Option<String>,
    /// Where in the function being unwound the error is now (its origin at first, then the
    /// call sites of the enclosing functions).
    pub site: Span,
    /// The frames unwound so far, innermost first.
    pub trace: Vec<TraceFrame>,
}

impl RuntimeError {
    /// A new error raised at `site`.
    pub fn new(message: impl Into<String>, site: Span) -> RuntimeError {
        RuntimeError {
            message: message.into(),
            hint: None,
            site,
            trace: Vec::new(),
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> RuntimeError {
        self.hint = Some(hint.into());
        self
    }

    /// Records that the error left function `name` (from `source`) and is now at `call_site`
    /// in its caller.
    pub fn leave_function(&mut self, name: &Rc<str>, source: u32, call_site: Span) {
        self.trace.push(TraceFrame::Call {
            name: name.clone(),
            source,
            span: self.site,
        });
        self.site = call_site;
    }

    /// Records that the error crossed from a continuation into the code that resumed it.
    pub fn leave_continuation(&mut self, source: u32, resume_site: Span) {
        self.trace.push(TraceFrame::Resumed {
            source,
            span: resume_site,
        });
        self.site = resume_site;
    }
}

/// State shared by every continuation of one session.
pub struct Vm {
    /// Where `print` and `println` write.
    pub out: RefCell<Box<dyn Write>>,
    /// The script's command-line arguments (`args()`).
    pub args: Vec<String>,
    /// The handler stack: handlers installed by the running chain of continuations, innermost
    /// last (see [`effects`]).
    pub handlers: RefCell<Vec<HandlerEntry>>,
    /// Empty vectors of handler entries, kept to carry the entries of the next suspend that
    /// captures more than one (a lone entry is held inline).
    pub spare_entries: Spares<HandlerEntry>,
    /// Emptied value stacks of finished continuations, kept for the next ones (see
    /// `effects::spawn`), up to [`SPARE_STACK_VALUES`] values in all: a handler around a
    /// deep recursion, run again and again, reuses the grown stack instead of growing a new
    /// one each time.
    pub spare_stacks: Spares<Value>,
    /// Values in flight during a stack switch (see [`effects`]).
    pub transfer: effects::Transfer,
    /// The names and arities of declared effect operations, indexed by operation id.
    pub effects: RefCell<Vec<(Rc<str>, usize)>>,
    /// Whether tail-resumptive handler clauses run without switching stacks.
    pub fast_resume: bool,
    /// Set when writing the program's output failed because its reader went away (a closed
    /// pipe, as in `kont prog.kont | head -1`): the program then stops quietly.
    pub output_closed: Cell<bool>,
}

impl Vm {
    /// A VM writing to `out`, with script arguments `args`.
    pub fn new(out: Box<dyn Write>, args: Vec<String>) -> Vm {
        let fast_resume = std::env::var("KONT_FAST_RESUME").map_or(true, |v| v != "0");
        Vm {
            out: RefCell::new(out),
            args,
            handlers: RefCell::new(Vec::new()),
            spare_entries: Spares::new(64, 64 * 8),
            spare_stacks: Spares::new(64, SPARE_STACK_VALUES),
            transfer: effects::Transfer::default(),
            effects: RefCell::new(Vec::new()),
            fast_resume,
            output_closed: Cell::new(false),
        }
    }
}

/// The state of one running continuation: its value stack and native stack limit.
pub struct Ctx {
    /// The value stack: frames of the functions running on this continuation.
    pub stack: Vec<Value>,
    /// Index of slot 0 of the running frame.
    pub base: usize,
    /// Native stack addresses below this are the red zone: a call there is a stack overflow.
    pub limit: usize,
    /// A call in tail position that is waiting to run: its code put the callee here and the
    /// arguments in the frame's first [`Ctx::tail_argc`] slots, and returned; only tail
    /// contexts (`if`, `match`, blocks) lie between it and the [`function::invoke`] whose
    /// loop runs it in the same frame.
    pub tail_callee: Option<Rc<Closure>>,
    /// Argument count of the pending tail call.
    pub tail_argc: usize,
    /// A `resume` in tail position of an operation clause that is waiting to run: the code
    /// that ran the clause resumes it (see [`effects`]), so that a handler resuming over and
    /// over does not nest.
    pub tail_resume: Option<Box<effects::PendingResume>>,
    /// How many fast-path handler clauses are running nested on this stack.
    pub fast_nesting: u32,
    /// How many stack extensions deep calls have grown this continuation's stack by (see
    /// [`effects::extend_stack`]; the extensions nested handler clauses run on do not
    /// count).
    pub extensions: u32,
    /// The shared state.
    pub vm: Rc<Vm>,
}

impl Ctx {
    /// A context for code running on the current native stack.
    pub fn new(vm: Rc<Vm>) -> Ctx {
        Ctx::with_stack(vm, Vec::with_capacity(INITIAL_STACK))
    }

    /// A context for code running on the current native stack, whose value stack starts
    /// as `stack` (empty; reused for its capacity).
    pub fn with_stack(vm: Rc<Vm>, stack: Vec<Value>) -> Ctx {
        debug_assert!(stack.is_empty());
        Ctx {
            stack,
            limit: crate::stack::stack_limit(),
            ..Ctx::empty(vm)
        }
    }

    /// A context with no stack, standing in while the real one has moved to a stack
    /// extension.
    pub fn empty(vm: Rc<Vm>) -> Ctx {
        Ctx {
            stack: Vec::new(),
            base: 0,
            limit: 0,
            tail_callee: None,
            tail_argc: 0,
            tail_resume: None,
            fast_nesting: 0,
            extensions: 0,
            vm,
        }
    }

    /// The value in slot `i` of the running frame.
    #[inline(always)]
    pub fn local(&self, i: usize) -> &Value {
        &self.stack[self.base + i]
    }

    /// Slot `i` of the running frame, for writing.
    #[inline(always)]
    pub fn local_mut(&mut self, i: usize) -> &mut Value {
        &mut self.stack[self.base + i]
    }

    /// Checks for a user interrupt; loops call this on every iteration.
    #[inline(always)]
    pub fn poll(&self, site: Span) -> Result<(), Ctrl> {
        if crate::interrupt::pending() {
            Err(RuntimeError::new("interrupted", site).into())
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Ctrl, CtrlKind, RuntimeError, Spares, Value};
    use crate::syntax::ast::Span;

    #[test]
    fn a_ctrl_carries_its_reason_to_whoever_takes_it() {
        let c: Ctrl = RuntimeError::new("boom", Span::default()).into();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message == "boom"));
        // A return ends at the call it leaves; an error passes on, recording the call.
        assert!(matches!(
            Ctrl::ret(Value::Int(3)).leave_call(|_| {}),
            Ok(Value::Int(3))
        ));
        let c: Ctrl = RuntimeError::new("deep", Span::default()).into();
        let c = c.leave_call(|e| e.message.push_str(" down")).err().unwrap();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message == "deep down"));
        // An escape passes through untouched.
        let c = Ctrl::escape(Value::Int(1))
            .leave_call(|_| {})
            .err()
            .unwrap();
        assert!(matches!(
            c.kind(),
            CtrlKind::Escape {
                target: None,
                value: Ok(Value::Int(1))
            }
        ));
    }

    #[test]
    fn a_newer_ctrl_replaces_an_abandoned_one() {
        let _abandoned = Ctrl::ret(Value::Int(1));
        assert!(matches!(Ctrl::abort().kind(), CtrlKind::Abort));
        // Taken twice: the second finds nothing, and says so instead of failing.
        let c = Ctrl::abort();
        let _ = Ctrl::abort().kind();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message.contains("lost")));
    }

    #[test]
    fn calls_look_at_an_unwinding_only_for_errors_and_returns() {
        let recorded = std::cell::Cell::new(0);
        let record = |_: &mut RuntimeError| recorded.set(recorded.get() + 1);
        // An abort raised after an abandoned error passes calls without recording them.
        let _abandoned: Ctrl = RuntimeError::new("old", Span::default()).into();
        let c = Ctrl::abort().leave_call(record).err().unwrap();
        assert_eq!(recorded.get(), 0);
        assert!(matches!(c.kind(), CtrlKind::Abort));
        // An error raised after an abort records every call it leaves.
        let c: Ctrl = RuntimeError::new("new", Span::default()).into();
        let c = c.leave_call(record).err().unwrap();
        let c = c.leave_call(record).err().unwrap();
        assert_eq!(recorded.get(), 2);
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message == "new"));
        // A return after an escape still ends at the first call.
        let _ = Ctrl::escape(Value::Unit).kind();
        assert!(matches!(
            Ctrl::ret(Value::Int(7)).leave_call(record),
            Ok(Value::Int(7))
        ));
        // Depths from 63 up share one bit, which is only ever set.
        assert_eq!(super::depth_bit(63), super::depth_bit(1000));
        assert_ne!(super::depth_bit(0), super::depth_bit(1));
    }

    #[test]
    fn spares_keep_vectors_up_to_their_count_and_budget() {
        let spares: Spares<u8> = Spares::new(2, 16);
        assert!(spares.take().is_none());
        // No allocation, or one larger than the whole budget: not kept.
        spares.give(Vec::new());
        spares.give(Vec::with_capacity(17));
        assert!(spares.take().is_none());
        // Up to two; the last given comes back first.
        for capacity in [4, 8, 2] {
            spares.give(Vec::with_capacity(capacity));
        }
        assert_eq!(spares.take().map(|v| v.capacity()), Some(8));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(4));
        assert!(spares.take().is_none());
        // Within the budget: 10 + 6 fit, then 1 more does not.
        for capacity in [10, 6, 1] {
            spares.give(Vec::with_capacity(capacity));
        }
        assert_eq!(spares.take().map(|v| v.capacity()), Some(6));
        // Taking one makes room again.
        spares.give(Vec::with_capacity(5));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(5));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(10));
        assert!(spares.take().is_none());
    }
}
