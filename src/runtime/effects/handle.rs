//! `handle`, and the loop that runs the clauses of the handlers a resumed computation
//! suspends to ([`drive`]), shared by `handle` and `resume`.

use std::rc::Rc;

use crate::runtime::effects::resume::{Step, resume_boxed, start_segment};
use crate::runtime::effects::spawn::{Body, spawn};
use crate::runtime::effects::transfer::Args;
use crate::runtime::effects::{
    ClauseKind, Continuation, HandlerEntry, HandlerValue, PendingResume,
};
use crate::runtime::extension::check_nesting;
use crate::runtime::function::invoke;
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, CtrlKind, Ctx, R};
use crate::span::Span;

/// `handle body with { … }`. Inlined into the compiled `handle` (one call less per
/// handler).
#[inline(always)]
pub fn handle(ctx: &mut Ctx, body: Body, handler: Rc<HandlerValue>, source: u32, site: Span) -> R {
    check_nesting(site)?;
    let fiber = spawn(&ctx.vm, body, site)?;
    ctx.vm.handlers.borrow_mut().push(HandlerEntry::Handler {
        handler,
        fiber: fiber.clone(),
    });
    let step = start_segment(ctx, fiber, source, site);
    drive_handle(ctx, step)
}

/// [`drive`] for `handle`, out of line.
#[inline(never)]
fn drive_handle(ctx: &mut Ctx, step: Step) -> R {
    drive(ctx, step)
}

/// Runs the clauses that segments suspend to, until one finishes: `step` is what the first
/// resumption came to, and a clause that ends by resuming a continuation (a tail resume, or
/// any tail-resumptive clause on the slow path) does not nest: this loop resumes it, so a
/// handler answering a million operations uses constant native stack. A clause that resumes
/// in non-tail position nests one `drive` per pending resume, so this frame holds no resume
/// of its own (the next one stays in the box a tail resume comes in): evaluating a resume,
/// taking the continuation and the work around each switch are in out-of-line callers of
/// `resume_pending` and `resume_segment` (in `resume.rs`), which have returned by the time a
/// clause runs. Inlined into [`drive_handle`] and [`resume_finish`](super::resume_finish)
/// (and that into the compiler's nested resume, which the `resume` closure jumps to): a
/// nested resume adds that one frame, and a program whose clauses resume in non-tail
/// position nests as little native stack per clause as it can, which keeps a deep nesting
/// of them in the caches.
#[inline(always)]
pub(super) fn drive(ctx: &mut Ctx, step: Step) -> R {
    let (mut clause, mut kind, mut argc, mut k, mut source, mut site) = match step {
        Step::Done(result) => match ctx.tail_resume.take() {
            None => return result,
            Some(p) => return drive_left(ctx, p),
        },
        Step::Clause {
            clause,
            kind,
            argc,
            k,
            source,
            site,
        } => (clause, kind, argc, k, source, site),
    };
    loop {
        // One call of the clause either way (each inlined call adds to this frame): a
        // general clause takes `k` as its last argument; a tail-resumptive one on the slow
        // path ends by resuming `k` with its value (plainly: a shallow handler is not part
        // of `k`).
        let general = kind == ClauseKind::General;
        let k_after = if general {
            ctx.stack.push(Value::Cont(k));
            None
        } else {
            Some(k)
        };
        // A general clause's frame is marked as the clause's (see `Ctx::clause_frame`): a
        // `resume` in tail position of a function it tail-calls is then left to this loop,
        // as one in its own tail is. (Not a tail-resumptive clause's, which tail-calls
        // nothing and may have no slots: a function it calls would share its base.)
        let outer = ctx.clause_frame;
        let args = argc + usize::from(general);
        if general {
            ctx.clause_frame = ctx.stack.len() - args;
        }
        let result = invoke(ctx, &clause, args, site);
        ctx.clause_frame = outer;
        let next = match k_after {
            None => {
                let v = result?;
                match ctx.tail_resume.take() {
                    Some(p) => p,
                    None => return Ok(v),
                }
            }
            Some(k) => match result {
                Ok(v) => resume_with(k, v, source, site),
                Err(c) => return escaped_here(c),
            },
        };
        // The next step's parts are taken straight out of the callee's return slot, field
        // by field: copying the whole `Step` into a variable first would read with wide
        // loads what the callee has just written field by field, which the processor
        // cannot forward from its store buffer (see benches/README.md, "Store forwarding").
        match resume_boxed(ctx, next) {
            Step::Done(result) => return result,
            Step::Clause {
                clause: c,
                kind: kd,
                argc: n,
                k: kk,
                source: so,
                site: si,
            } => (clause, kind, argc, k, source, site) = (c, kd, n, kk, so, si),
        }
    }
}

/// The first step of a `handle` or `resume` whose segment finished and whose `return` clause
/// ended with a resume `p` (see `run_return_clause` in `resume.rs`): runs it, and [`drive`] on
/// what it comes to. Out of line: it nests one `drive`, and only here, as the resumes that
/// `return` clauses end with later are run by [`resume_boxed`]'s loop.
#[cold]
#[inline(never)]
fn drive_left(ctx: &mut Ctx, p: Box<PendingResume>) -> R {
    let step = resume_boxed(ctx, p);
    drive_handle(ctx, step)
}

/// The resume of `k` with `v` that ends a tail-resumptive clause run on the slow path; out of
/// line, so that [`drive`]'s frame does not hold the resume it builds.
#[inline(never)]
fn resume_with(k: Rc<Continuation>, v: Value, source: u32, site: Span) -> Box<PendingResume> {
    Box::new(PendingResume {
        k: Value::Cont(k),
        args: Args::One(v),
        shallow: None,
        source,
        site,
    })
}

/// The result of a tail-resumptive clause that ran here (on the slow path) and stopped: if it
/// ended without resuming, its value is the result; anything else unwinds further.
fn escaped_here(c: Ctrl) -> R {
    match c.kind() {
        CtrlKind::Escape {
            target: None,
            value,
        } => value.map_err(|e| (*e).into()),
        other => Err(Ctrl::raise(other)),
    }
}
