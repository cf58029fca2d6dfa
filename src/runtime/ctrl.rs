//! Unwinding: the result [`R`] every piece of compiled code returns, and [`Ctrl`], the
//! zero-sized marker of an unwinding whose reason ([`CtrlKind`]) waits in a per-thread
//! slot, one per cancellation depth, with a bit per depth saying whether function calls
//! must look at it.
//!
//! Invariant: at one cancellation depth only the latest `Ctrl` has its reason; code that
//! holds a `Ctrl` takes its reason ([`Ctrl::kind`]) before it raises another.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, RuntimeError, Suspended, Unwinding};
use crate::span::Span;

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
    /// without running any more kont code. Cancelled because a runtime error dropped it, the
    /// unwinding records the calls it leaves (see [`Suspended`]); otherwise it carries
    /// nothing and passes calls by.
    Abort(Option<Box<Suspended>>),
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
    /// the call in its backtrace), a `return` (which ends there), or the unwinding of a
    /// suspended computation that an error ends (to record the call among its frames).
    fn stops_at_calls(&self) -> bool {
        matches!(
            self,
            CtrlKind::Error(_)
                | CtrlKind::Return(_)
                | CtrlKind::Abort(Some(_))
                | CtrlKind::Escape { value: Err(_), .. }
        )
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
        Ctrl::raise(CtrlKind::Abort(None))
    }

    /// Why: takes the reason out of the slot.
    #[cold]
    pub fn kind(self) -> CtrlKind {
        with_pending(Option::take).unwrap_or_else(|| {
            CtrlKind::Error(
                ErrorKind::Internal("the reason for unwinding was lost".to_string())
                    .at(Span::default()),
            )
        })
    }

    /// Unwinding out of a function call: a `return` ends here with its value; an error
    /// passes on after `record` has added the call to its backtrace, and so does the
    /// unwinding of a suspended computation an error ends, to its frames (see
    /// [`Suspended`]); anything else passes on untouched, without opening the slot (an
    /// escape or an abort crosses every frame of a deep recursion through here).
    #[inline(always)]
    pub fn leave_call(self, record: impl FnOnce(&mut dyn Unwinding)) -> R {
        let bit = depth_bit(crate::stack::cancel_depth());
        if STOPS_AT_CALLS.with(Cell::get) & bit == 0 {
            return Err(self);
        }
        self.stop_at_call(record)
    }

    /// [`Ctrl::leave_call`] for a reason that may be an error or a `return`.
    #[cold]
    #[inline(never)]
    fn stop_at_call(self, record: impl FnOnce(&mut dyn Unwinding)) -> R {
        let returned = with_pending(|slot| match slot {
            Some(CtrlKind::Error(e)) => {
                record(e);
                None
            }
            Some(CtrlKind::Abort(Some(frames))) => {
                record(&mut **frames);
                None
            }
            Some(CtrlKind::Escape { value: Err(e), .. }) => {
                if let Some(frames) = e.suspended.last_mut() {
                    record(frames);
                }
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

/// Whether the unwinding at the running cancellation depth is a runtime error: a
/// continuation dropped now is dropped by that error (see [`Suspended`]). Read only where a
/// continuation is dropped unresumed, which cancels its stacks.
pub fn error_unwinding() -> bool {
    let bit = depth_bit(crate::stack::cancel_depth());
    STOPS_AT_CALLS.with(Cell::get) & bit != 0
        && with_pending(|slot| matches!(slot, Some(CtrlKind::Error(_))))
}

/// Runs `f` on the frames that the unwinding at the running cancellation depth records, if
/// it is the cancellation of a suspended computation that an error ends (see [`Suspended`]).
pub fn with_ended_frames(f: impl FnOnce(&mut Suspended)) {
    let bit = depth_bit(crate::stack::cancel_depth());
    if STOPS_AT_CALLS.with(Cell::get) & bit == 0 {
        return;
    }
    with_pending(|slot| {
        if let Some(CtrlKind::Abort(Some(frames))) = slot {
            f(frames);
        }
    });
}

/// Adds `frames`, those of a suspended computation the running error ended, to that error.
pub fn add_suspended(frames: Suspended) {
    with_pending(|slot| {
        if let Some(CtrlKind::Error(e)) = slot {
            e.suspended.push(frames);
        }
    });
}

impl From<RuntimeError> for Ctrl {
    fn from(e: RuntimeError) -> Ctrl {
        Ctrl::raise(CtrlKind::Error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::{Ctrl, CtrlKind, Value};
    use crate::runtime::{ErrorKind, Suspended, Unwinding};
    use crate::span::Span;

    #[test]
    fn a_ctrl_carries_its_reason_to_whoever_takes_it() {
        let c: Ctrl = ErrorKind::Failed("boom".to_string())
            .at(Span::default())
            .into();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message() == "boom"));
        // A return ends at the call it leaves; an error passes on, recording the call.
        assert!(matches!(
            Ctrl::ret(Value::Int(3)).leave_call(|_| {}),
            Ok(Value::Int(3))
        ));
        let c: Ctrl = ErrorKind::Failed("deep".to_string())
            .at(Span::default())
            .into();
        let name: std::rc::Rc<str> = "f".into();
        let c = c
            .leave_call(|e| e.leave_function(&name, 0, Span::new(1, 2)))
            .err()
            .unwrap();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.site == Span::new(1, 2)));
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
    fn an_abort_ending_a_computation_for_an_error_records_the_calls_it_leaves() {
        let name: std::rc::Rc<str> = "walk".into();
        let leave = |c: Ctrl, at| {
            c.leave_call(|e| e.leave_function(&name, 0, Span::new(at, at + 1)))
                .err()
                .unwrap()
        };
        let frames = Suspended::at("Yield".into(), Span::new(3, 4));
        let c = Ctrl::raise(CtrlKind::Abort(Some(Box::new(frames))));
        let c = leave(leave(c, 10), 20);
        let CtrlKind::Abort(Some(frames)) = c.kind() else {
            panic!("the abort lost its frames");
        };
        assert_eq!(frames.trace.len(), 2);
        assert_eq!(frames.site, Span::new(20, 21));
        // An escape carrying an error records into the error's last section of frames.
        let mut e = ErrorKind::DivisionByZero.at(Span::new(1, 2));
        e.suspended
            .push(Suspended::at("Yield".into(), Span::new(3, 4)));
        let c = leave(
            Ctrl::raise(CtrlKind::Escape {
                target: None,
                value: Err(Box::new(e)),
            }),
            10,
        );
        let CtrlKind::Escape { value: Err(e), .. } = c.kind() else {
            panic!("the escape lost its error");
        };
        assert_eq!((e.trace.len(), e.suspended[0].trace.len()), (0, 1));
    }

    #[test]
    fn a_newer_ctrl_replaces_an_abandoned_one() {
        let _abandoned = Ctrl::ret(Value::Int(1));
        assert!(matches!(Ctrl::abort().kind(), CtrlKind::Abort(None)));
        // Taken twice: the second finds nothing, and says so instead of failing.
        let c = Ctrl::abort();
        let _ = Ctrl::abort().kind();
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message().contains("lost")));
    }

    #[test]
    fn calls_look_at_an_unwinding_only_for_errors_and_returns() {
        let recorded = std::cell::Cell::new(0);
        let record = |_: &mut dyn Unwinding| recorded.set(recorded.get() + 1);
        // An abort raised after an abandoned error passes calls without recording them.
        let _abandoned: Ctrl = ErrorKind::Failed("old".to_string())
            .at(Span::default())
            .into();
        let c = Ctrl::abort().leave_call(record).err().unwrap();
        assert_eq!(recorded.get(), 0);
        assert!(matches!(c.kind(), CtrlKind::Abort(None)));
        // An error raised after an abort records every call it leaves.
        let c: Ctrl = ErrorKind::Failed("new".to_string())
            .at(Span::default())
            .into();
        let c = c.leave_call(record).err().unwrap();
        let c = c.leave_call(record).err().unwrap();
        assert_eq!(recorded.get(), 2);
        assert!(matches!(c.kind(), CtrlKind::Error(e) if e.message() == "new"));
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
}
