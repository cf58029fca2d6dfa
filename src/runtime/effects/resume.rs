//! `resume` and `resume … with { … }`: taking a continuation's segment, pushing its
//! handler entries back, switching into it and seeing what it came to ([`resume_segment`]):
//! a value (through the `return` clauses), an error, or a suspend to one of its handlers,
//! whose clause [`super::handle::drive`] then runs.

use std::rc::Rc;

use crate::runtime::effects::continuation::{Entries, take_for_resume};
use crate::runtime::effects::handle::{drive, handle};
use crate::runtime::effects::observe::observed;
use crate::runtime::effects::root::offer;
use crate::runtime::effects::spawn::Body;
use crate::runtime::effects::transfer::{Args, Outcome, Suspension, put};
use crate::runtime::effects::{
    ClauseKind, Continuation, HandlerEntry, HandlerValue, ended, internal,
};
use crate::runtime::function::{Closure, invoke};
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, Ctx, R, Vm, frames};
use crate::span::Span;
use crate::stack::{Event, Fiber, FiberId};

/// A `resume` about to run: the continuation value, the arguments, the shallow handler of
/// `with { … }` if any, and where the `resume` is written.
pub struct PendingResume {
    /// The continuation (checked to be one when it runs).
    pub k: Value,
    /// The arguments.
    pub args: Args,
    /// The clauses of `resume … with { … }`.
    pub shallow: Option<Rc<HandlerValue>>,
    /// The source of the `resume`.
    pub source: u32,
    /// Where the `resume` is.
    pub site: Span,
}

/// What the resumed code came to, before the clause it suspended to (if any) runs: see
/// [`resume_start`].
pub struct Resumed(Step);

/// `resume k(args)`, in two parts: this one switches to the
/// continuation and returns when it finishes or suspends; [`resume_finish`] then runs the
/// clause it suspended to (and any resumes that clause ends with). The frame of the caller of
/// `resume_start` is gone before the clause runs, so a nested resume adds only the frame of
/// the caller of `resume_finish`.
#[inline(always)]
pub fn resume_start(ctx: &mut Ctx, p: PendingResume) -> Resumed {
    Resumed(resume_pending::<false>(ctx, p))
}

/// [`resume_start`] for `resume k(args) with { … }`, out of line.
#[inline(never)]
pub fn resume_start_with(ctx: &mut Ctx, p: PendingResume) -> Resumed {
    Resumed(resume_pending::<true>(ctx, p))
}

/// The second part of a resume (see [`resume_start`]).
#[inline(always)]
pub fn resume_finish(ctx: &mut Ctx, r: Resumed) -> R {
    drive(ctx, r.0)
}

/// What one resumption of a segment came to.
pub(super) enum Step {
    /// The segment finished, failed or unwound: the result of the `handle` or `resume`.
    Done(R),
    /// It suspended to a handler resumed with it, whose `clause` (of `kind`) runs here with
    /// the `argc` arguments on top of the value stack and the continuation `k`.
    Clause {
        /// The clause.
        clause: Rc<Closure>,
        /// How it may run.
        kind: ClauseKind,
        /// How many arguments it has on the value stack.
        argc: usize,
        /// The continuation captured by the suspend.
        k: Rc<Continuation>,
        /// The source of the `handle` or `resume` that resumed the segment.
        source: u32,
        /// Where that `handle` or `resume` is.
        site: Span,
    },
}

/// Takes the continuation of the resume `p` and resumes it (see [`resume_segment`]). With
/// `WITH`, `p` may be a `resume … with { … }` that needs a fiber of its own (see
/// [`resume_wrapped`]); without, it is a plain resume.
#[inline(always)]
fn resume_pending<const WITH: bool>(ctx: &mut Ctx, p: PendingResume) -> Step {
    let PendingResume {
        k,
        args,
        shallow,
        source,
        site,
    } = p;
    let (fiber, entries) = match take_for_resume(&ctx.vm, k, args.len(), site) {
        Ok(parts) => parts,
        Err(c) => return Step::Done(offer(ctx, c, source)),
    };
    if WITH
        && let Some(handler) = &shallow
        && clauses_run_at_resumer(&fiber, &entries)
    {
        let inner = PendingResume {
            k: Value::Cont(Continuation::rewrapped(fiber, entries)),
            args,
            shallow: None,
            source,
            site,
        };
        return Step::Done(resume_wrapped(ctx, inner, handler.clone()));
    }
    resume_segment(ctx, fiber, entries, shallow, args, source, site)
}

/// Whether the clauses of one of a segment's handlers (`entries`) run where the segment is
/// resumed from: a deep handler on its outermost fiber (the handler that captured it) has
/// its clauses run by the resumer.
fn clauses_run_at_resumer(fiber: &Fiber, entries: &Entries) -> bool {
    let on_outermost = |e: &HandlerEntry| match e {
        HandlerEntry::Handler { fiber: f, .. } => f.ptr_eq(fiber),
        HandlerEntry::Mask { .. } => false,
    };
    match entries {
        Entries::None => false,
        Entries::One(e) => on_outermost(e),
        Entries::Many(es) => es.iter().any(on_outermost),
    }
}

/// `resume k(…) with { … }` of a segment whose outermost fiber carries a deep handler (the
/// one that captured it): runs a plain resume of the segment on a new fiber, under the
/// shallow handler as that fiber's `handle`.
///
/// The clauses of a handler on the segment's outermost fiber run where that fiber was
/// resumed from. Resumed straight from here, they would run outside the shallow handler,
/// whose entry would name the outermost fiber, suspended while its clause runs: an
/// operation of such a clause meant for the shallow handler could not be captured. On the
/// new fiber they run inside it, as the language has it (the shallow handler is around
/// the resumed computation, its deep handler included).
#[cold]
#[inline(never)]
fn resume_wrapped(ctx: &mut Ctx, inner: PendingResume, handler: Rc<HandlerValue>) -> R {
    let (source, site) = (inner.source, inner.site);
    let body = observed(Body::Resume(Box::new(inner)));
    handle(ctx, body, handler, source, site)
}

/// The body of the fiber [`resume_wrapped`] makes: the plain resume, and the clauses the
/// resumed computation suspends to. The frame records of code compiled for `backtrace`
/// see it start and end ([`frames::wrapper_started`]).
#[cold]
#[inline(never)]
#[expect(
    clippy::boxed_local,
    reason = "the box keeps Body, and every handle's fiber, as small as before"
)]
pub(super) fn run_wrapped(ctx: &mut Ctx, p: Box<PendingResume>) -> R {
    let wrapper = frames::wrapper_started();
    let resumed = resume_start(ctx, *p);
    let result = resume_finish(ctx, resumed);
    frames::wrapper_ended(wrapper);
    result
}

/// The escape of a fast-path clause's value (or error) to the handler on fiber `target`,
/// going on past the `handle` or `resume` at `site` of `source`, whose fiber `left` it
/// unwound: an error's frames of the computation it ends cross into the fiber that resumed
/// it there.
#[cold]
#[inline(never)]
fn escape_on(
    target: FiberId,
    value: crate::runtime::Escaping,
    left: FiberId,
    source: u32,
    site: Span,
) -> Ctrl {
    let value = value.map_err(|mut e| {
        if let Some(frames) = e.suspended.last_mut() {
            frames.leave_fiber(left, source, site);
        }
        e
    });
    Ctrl::escape_to(target, value)
}

/// [`resume_segment`] for `handle`: enters its fresh fiber, out of line.
#[inline(never)]
pub(super) fn start_segment(ctx: &mut Ctx, fiber: Fiber, source: u32, site: Span) -> Step {
    resume_segment(ctx, fiber, Entries::None, None, Args::None, source, site)
}

/// [`resume_pending`] for [`drive`], out of line and with the resume boxed (as a tail
/// resume leaves it), so that `drive`'s frame holds no `PendingResume`; and the resumes
/// that `return` clauses end with, one after another.
#[inline(never)]
#[expect(
    clippy::boxed_local,
    reason = "the box is what keeps the resume out of drive's frame"
)]
pub(super) fn resume_boxed(ctx: &mut Ctx, mut p: Box<PendingResume>) -> Step {
    loop {
        let step = resume_pending::<true>(ctx, *p);
        // The segment finished, and the `return` clause applied last ended with a resume,
        // left to run here (see `run_return_clause`): its value is this step's.
        if let Step::Done(_) = step
            && let Some(next) = ctx.tail_resume.take()
        {
            p = next;
            continue;
        }
        return step;
    }
}

/// Resumes the segment whose outermost fiber is `fiber` and handler entries `entries` with
/// `values` (under `shallow`, if given), for the `handle` or `resume` at `site` of `source`,
/// and waits for it to return or to suspend to one of the handlers resumed with it; on
/// return, applies the `return` clauses. Inlined into its three callers
/// ([`start_segment`], [`resume_start`], [`resume_boxed`]), each out of line: one call per
/// resume instead of two.
#[inline(always)]
fn resume_segment(
    ctx: &mut Ctx,
    fiber: Fiber,
    entries: Entries,
    shallow: Option<Rc<HandlerValue>>,
    values: Args,
    source: u32,
    site: Span,
) -> Step {
    let vm = &*ctx.vm;
    push_entries(vm, &fiber, shallow, entries);
    let id = fiber.id();
    put(&vm.transfer.resume, values, |a| matches!(a, Args::None));
    let event = fiber.resume(0);
    // The fiber is now finished or owned by the continuation its clause receives; this
    // frame holds no handle to it, so dropping that continuation reclaims it.
    drop(fiber);
    match event {
        Ok(Event::Returned(_)) => {
            let outcome = vm.transfer.finished.take();
            let installed = if matches!(outcome, Outcome::Aborted) {
                Installed::default()
            } else {
                pop_entries_of(vm, id)
            };
            Step::Done(match outcome {
                Outcome::Returned(v) => apply_returns(ctx, &installed, v, site),
                Outcome::Failed(mut e) => {
                    e.leave_continuation(source, site);
                    Err((*e).into())
                }
                Outcome::Aborted => Err(ended::aborted(id, source, site)),
                // An error from a fast-path clause goes on from here, where the clause
                // would have run on the slow path.
                Outcome::Escaped(target, value) if target == id => value.map_err(|mut e| {
                    e.site = site;
                    (*e).into()
                }),
                Outcome::Escaped(target, value) => Err(escape_on(target, value, id, source, site)),
                _ => Err(internal("a continuation returned without a result", site)),
            })
        }
        Ok(Event::Suspended(_)) => match vm.transfer.suspended.take() {
            Some(Suspension { clause, kind, k }) => {
                let argc = k.args_to(&mut ctx.stack, kind == ClauseKind::General);
                Step::Clause {
                    clause,
                    kind,
                    argc,
                    k,
                    source,
                    site,
                }
            }
            _ => Step::Done(Err(internal(
                "a continuation suspended without an operation",
                site,
            ))),
        },
        Ok(Event::Panicked(msg)) => {
            drop(pop_entries_of(vm, id));
            Step::Done(Err(internal(msg, site)))
        }
        Err(e) => Step::Done(Err(internal(e, site))),
    }
}

/// Pushes a resumed segment's handler entries back on the handler stack, above the entry of
/// the shallow handler `shallow` (on the segment's outermost fiber `fiber`) if there is one.
#[inline(always)]
fn push_entries(vm: &Vm, fiber: &Fiber, shallow: Option<Rc<HandlerValue>>, entries: Entries) {
    let mut hs = vm.handlers.borrow_mut();
    if let Some(handler) = shallow {
        hs.push(HandlerEntry::Handler {
            handler,
            fiber: fiber.clone(),
        });
    }
    match entries {
        Entries::None => {}
        Entries::One(entry) => hs.push(entry),
        Entries::Many(mut many) => {
            hs.append(&mut many);
            drop(hs);
            vm.spare_entries.give(many);
        }
    }
}

/// The handlers installed on a fiber that has finished, whose `return` clauses apply to its
/// value: the deep one of its `handle` (or of the continuation it was captured in) and the
/// shallow one of the `resume … with { … }` that resumed it.
#[derive(Default)]
struct Installed {
    /// The deep handler, if any.
    deep: Option<Rc<HandlerValue>>,
    /// The shallow handler, if any.
    shallow: Option<Rc<HandlerValue>>,
}

/// Pops the handler entries that belong to fiber `id` (which has just finished) and returns
/// their handlers. The entries' fiber handles are dropped here, inside the borrow of the
/// handler stack: the finished fiber runs no code when its stack is released.
#[inline(always)]
fn pop_entries_of(vm: &Vm, id: FiberId) -> Installed {
    let mut installed = Installed::default();
    let mut hs = vm.handlers.borrow_mut();
    let of_fiber =
        |e: &mut HandlerEntry| matches!(e, HandlerEntry::Handler { fiber, .. } if fiber.id() == id);
    while let Some(HandlerEntry::Handler { handler, .. }) = hs.pop_if(of_fiber) {
        if handler.shallow {
            installed.shallow = Some(handler);
        } else {
            installed.deep = Some(handler);
        }
    }
    installed
}

/// Applies the `return` clauses of the handlers installed on a finished fiber to its value
/// `v`: the deep handler's, then the shallow one's.
#[inline(always)]
fn apply_returns(ctx: &mut Ctx, installed: &Installed, v: Value, site: Span) -> R {
    let deep = installed.deep.as_ref().and_then(|h| h.ret.as_ref());
    let shallow = installed.shallow.as_ref().and_then(|h| h.ret.as_ref());
    match (deep, shallow) {
        (None, None) => Ok(v),
        (Some(ret), None) | (None, Some(ret)) => run_return_clause(ctx, ret, v, site, true),
        (Some(deep), Some(shallow)) => {
            let v = run_return_clause(ctx, deep, v, site, false)?;
            run_return_clause(ctx, shallow, v, site, true)
        }
    }
}

/// Runs the `return` clause `ret` on `v` (the call out of line: most handlers have none).
/// The `last` one applied is in tail position of the `handle` or `resume`: its frame is
/// marked as a clause's ([`Ctx::clause_frame`]), so that a `resume` in its tail, or in the
/// tail of a function it tail-calls, is left in [`Ctx::tail_resume`] for the `drive` loop
/// this step goes to, which resumes it without nesting (a scheduler whose `return` clause
/// runs the next task).
#[inline(never)]
fn run_return_clause(ctx: &mut Ctx, ret: &Closure, v: Value, site: Span, last: bool) -> R {
    ctx.stack.push(v);
    let outer = ctx.clause_frame;
    if last {
        ctx.clause_frame = ctx.stack.len() - 1;
    }
    let result = invoke(ctx, ret, 1, site);
    ctx.clause_frame = outer;
    result
}
