//! Starting fibers: what a fiber runs ([`Body`]), making one ([`spawn`]) and the root fiber
//! a program's top level runs on ([`run_root`]). A fiber reports how its function finished
//! through the transfer's `finished` cell.

use std::rc::{Rc, Weak};

use crate::runtime::effects::observe::run_observed;
use crate::runtime::effects::resume::run_wrapped;
use crate::runtime::effects::transfer::{Args, Outcome, put};
use crate::runtime::effects::{PendingResume, ended};
use crate::runtime::function::{Closure, Proto, invoke};
use crate::runtime::value::{Value, Values};
use crate::runtime::{Ctrl, CtrlKind, Ctx, ErrorKind, R, RuntimeError, Vm, print};
use crate::span::Span;
use crate::stack::{Event, Fiber};

/// The function a fiber runs.
pub enum Body {
    /// A function value (`cont f`, the program's top level).
    Shared(Rc<Closure>),
    /// A `handle` body: its prototype and captured variables, made into a [`Closure`] on the
    /// fiber's own stack when it starts (no allocation; such a closure cannot name itself,
    /// so it needs no [`Closure::me`]).
    Parts(Rc<Proto>, Values),
    /// A plain resume, run by the fiber that a shallow handler wraps around it (see
    /// `resume_wrapped` in `resume.rs`).
    Resume(Box<PendingResume>),
    /// A body whose start and end a tracer observes (see `observe.rs`): made by traced
    /// code only.
    Observed(Box<Body>),
}

impl Body {
    /// Calls the function on the `argc` arguments on top of the value stack, then drops it.
    /// Inlined into the fiber's start (an observed body runs out of line, in
    /// [`run_observed`]).
    #[inline(always)]
    pub(super) fn run(self, ctx: &mut Ctx, argc: usize, site: Span) -> R {
        match self {
            Body::Shared(f) => invoke(ctx, &f, argc, site),
            Body::Parts(proto, env) => {
                let clo = Closure {
                    proto,
                    env,
                    me: Weak::new(),
                };
                invoke(ctx, &clo, argc, site)
            }
            Body::Resume(p) => run_wrapped(ctx, p),
            Body::Observed(body) => run_observed(*body, ctx, argc, site),
        }
    }
}

/// A new fiber that runs `f` on the values of the first resume's transfer.
pub(super) fn spawn(vm: &Rc<Vm>, f: Body, site: Span) -> Result<Fiber, Ctrl> {
    let vm = vm.clone();
    Fiber::new(move |_| {
        let mut ctx = Ctx::with_stack(vm.clone(), vm.value_stack());
        let args = vm.transfer.resume.take();
        let argc = args.len();
        args.push_onto(&mut ctx.stack);
        // `run` drops the function (and what it captured) when it returns: like everything
        // else that could hold a continuation, before the outcome is written (dropping one
        // cancels it, which switches stacks and uses the transfer slot).
        let result = f.run(&mut ctx, argc, site);
        let stack = std::mem::take(&mut ctx.stack);
        drop(ctx);
        vm.keep_value_stack(stack);
        let outcome = match result.map_err(Ctrl::kind) {
            Ok(v) | Err(CtrlKind::Return(v)) => Outcome::Returned(v),
            Err(CtrlKind::Error(e)) => Outcome::Failed(Box::new(e)),
            Err(CtrlKind::Abort(frames)) => {
                ended::deliver(frames);
                Outcome::Aborted
            }
            Err(CtrlKind::Escape {
                target: Some(target),
                value,
            }) => Outcome::Escaped(target, value),
            Err(CtrlKind::Escape { target: None, .. }) => Outcome::Failed(Box::new(
                ErrorKind::Internal("a clause value escaped no handler".to_string()).at(site),
            )),
        };
        put(&vm.transfer.finished, outcome, |o| {
            matches!(o, Outcome::Empty)
        });
        0
    })
    .map_err(|e| {
        ErrorKind::OutOfMemory(format!("cannot create a continuation ({e})"))
            .at(site)
            .into()
    })
}

/// Runs a whole program's top level on a root fiber of its own; meanwhile `vm` names what
/// printed continuations show.
pub fn run_root(vm: &Rc<Vm>, main: Rc<Closure>) -> Result<Value, Box<RuntimeError>> {
    let _naming = print::naming_by(vm);
    let fiber = spawn(vm, Body::Shared(main), Span::default()).map_err(|c| match c.kind() {
        CtrlKind::Error(e) => Box::new(e),
        _ => Box::new(
            ErrorKind::Internal("the program could not start".to_string()).at(Span::default()),
        ),
    })?;
    put(&vm.transfer.resume, Args::None, |a| matches!(a, Args::None));
    let event = fiber.resume(0);
    let outcome = vm.transfer.finished.take();
    vm.handlers.borrow_mut().clear();
    match (event, outcome) {
        (Ok(Event::Returned(_)), Outcome::Returned(v)) => Ok(v),
        (Ok(Event::Returned(_)), Outcome::Failed(e)) => Err(e),
        (Ok(Event::Panicked(msg)), _) => Err(Box::new(
            ErrorKind::Internal(msg.to_string()).at(Span::default()),
        )),
        _ => Err(Box::new(
            ErrorKind::Internal("the program's root continuation did not finish".to_string())
                .at(Span::default()),
        )),
    }
}
