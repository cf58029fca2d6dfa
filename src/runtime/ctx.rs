//! [`Ctx`]: the state of the running continuation, which every piece of compiled code gets.

use std::rc::Rc;

use crate::runtime::effects;
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, ErrorKind, Vm};
use crate::span::Span;

/// The capacity, in values, a new value stack starts with.
pub const INITIAL_STACK: usize = 64;

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
    /// contexts (`if`, `match`, blocks) lie between it and the [`invoke`](crate::runtime::function::invoke) whose
    /// loop runs it in the same frame.
    pub tail_callee: Option<Rc<Closure>>,
    /// Argument count of the pending tail call.
    pub tail_argc: usize,
    /// A `resume` in tail position of an operation clause (or of a function the clause
    /// tail-called: see [`Ctx::clause_frame`]) that is waiting to run: the code that ran the
    /// clause resumes it (see [`effects`]), so that a handler resuming over and over does
    /// not nest.
    pub tail_resume: Option<Box<effects::PendingResume>>,
    /// The frame base of the operation clause that the innermost `drive` loop on this
    /// stack is running (`usize::MAX` when none): a function running at that base was
    /// tail-called by the clause (its callees' frames lie above), so its value is the
    /// clause's, and a `resume` in its tail position is left in [`Ctx::tail_resume`] like
    /// one in the clause's own tail (see `effects::handle::drive`).
    pub clause_frame: usize,
    /// How many fast-path handler clauses are running nested on this stack (see
    /// `effects/fast_path.rs`).
    pub fast_nesting: u32,
    /// How many stack extensions deep calls have grown this continuation's stack by (see
    /// [`extend_stack`](crate::runtime::extension::extend_stack); the extensions nested handler clauses run on do not
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
            clause_frame: usize::MAX,
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
            Err(ErrorKind::Interrupted.at(site).into())
        } else {
            Ok(())
        }
    }
}
