//! Effects: `suspend`, `handle`, `resume`, and continuations.
//!
//! The compiled code evaluates the parts (arguments, clauses, the continuation) and hands
//! them to [`runtime::effects`](crate::runtime::effects), which switches stacks. A
//! tail-resumptive clause's tail `resume` compiles to the resumed value itself (the clause
//! returns it to the `suspend`, see the runtime's fast path); a `resume` in tail position of
//! another clause, or of a function running in a clause's frame (one the clause tail-called),
//! is left pending for the handler to take once the clause returns.

use std::rc::Rc;

use super::failure::offered;
use super::operands::Arg;
use super::{CodeOf, Compiler, Outcome, Special};
use crate::ir::{FnIr, HandlerIr, Ir, ResumeTail};
use crate::runtime::effects::{self, HandlerValue, OpId, OpSite};
use crate::runtime::frames::Role;
use crate::runtime::function::{Closure, Code};
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, Ctx, R};
use crate::span::Span;

/// Code that builds a handler's clauses in the current frame.
pub(super) type HandlerMaker = Rc<dyn Fn(&Ctx, &Closure) -> Rc<HandlerValue>>;

impl Compiler<'_> {
    /// `handle body with { … }`: the body's closure and the handler's clauses, made in the
    /// current frame, then run by the runtime.
    pub(super) fn handle(&self, body: &FnIr, handler: &HandlerIr, span: Span) -> Code {
        if self.unit.trace {
            return self.traced_handle(body, handler, span);
        }
        let (make_body, handler) = (self.body_maker(body), self.handler(handler, false));
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let body = make_body(ctx, clo);
            let h = handler(ctx, clo);
            effects::handle(ctx, body, h, source, span)
        })
    }

    /// The value of a tail-resumptive clause that ends without resuming: in such a clause,
    /// which may run on the fast path, it escapes to the handler (see [`Ctrl::escape`]);
    /// in any other it is the clause's value.
    pub(super) fn escape(&self, e: &Ir) -> Code {
        let e = self.expr(e);
        if self.tail_resumptive {
            Box::new(move |ctx, clo| Err(Ctrl::escape(e(ctx, clo)?)))
        } else {
            e
        }
    }

    /// `cont f`: a continuation that runs `f` when first resumed.
    pub(super) fn cont(&self, f: &Ir, span: Span) -> Code {
        if self.unit.trace {
            return self.traced_cont(f, span);
        }
        let f = self.expr(f);
        Box::new(move |ctx, clo| {
            let f = f(ctx, clo)?;
            let r = effects::make_cont(f, span);
            offered(ctx, clo, r)
        })
    }

    /// `discontinue k`.
    pub(super) fn discontinue(&self, k: &Ir, span: Span) -> Code {
        if self.unit.trace {
            return self.traced_discontinue(k, span);
        }
        let k = self.expr(k);
        Box::new(move |ctx, clo| {
            let k = k(ctx, clo)?;
            let r = effects::discontinue(&k, span);
            drop(k);
            offered(ctx, clo, r)
        })
    }

    /// `suspend Op(args)`; `finish` makes the result of its value (the value itself, nothing
    /// when it is a statement, or a store to a `let`'s slot). One argument, the common case,
    /// is evaluated without a loop; simple arguments are read in place.
    pub(super) fn suspend<T: Outcome>(
        &self,
        op: OpId,
        args: &[Ir],
        span: Span,
        finish: impl Fn(&mut Ctx, Value) -> T + Copy + 'static,
    ) -> CodeOf<T> {
        let mut args: Vec<Arg> = args.iter().map(|a| self.arg(a)).collect();
        let site = OpSite::new(op, args.len(), self.at(span));
        if self.unit.record || self.unit.trace {
            return self.observed_suspend(site, args, finish);
        }
        if args.len() == 1 && self.specialising(Special::Arguments) {
            let arg = args.pop().expect("one argument");
            let s = Suspending {
                site,
                args: arg,
                finish,
            };
            return Box::new(move |ctx, clo| {
                // The whole of `s`, not its fields one by one.
                let s = &s;
                s.args.push(ctx, clo)?;
                suspend_then(ctx, &s.site, 1, s.finish)
            });
        }
        let s = Suspending { site, args, finish };
        Box::new(move |ctx, clo| {
            let s = &s;
            for a in &s.args {
                a.push(ctx, clo)?;
            }
            suspend_then(ctx, &s.site, s.args.len(), s.finish)
        })
    }

    /// Code that builds a handler's clause closures in the current frame; `shallow` for the
    /// handler of a `resume … with`.
    pub(super) fn handler(&self, h: &HandlerIr, shallow: bool) -> HandlerMaker {
        if self.unit.trace {
            return self.traced_handler(h, shallow);
        }
        let closed = h.ops.iter().map(|(_, f)| f).chain(&h.ret);
        if closed.clone().all(|f| f.captures.is_empty()) && self.specialising(Special::Handler) {
            // No clause captures anything: one set of clauses serves every evaluation.
            let made = Rc::new(HandlerValue {
                ops: h
                    .ops
                    .iter()
                    .map(|(op, f)| (*op, self.closed_clause(f, Role::Clause), clause_kind(f)))
                    .collect(),
                ret: h.ret.as_ref().map(|f| self.closed_clause(f, Role::Return)),
                shallow,
            });
            return Rc::new(move |_, _| made.clone());
        }
        let ops = h
            .ops
            .iter()
            .map(|(op, f)| (*op, clause_kind(f), self.clause_maker(f, Role::Clause)))
            .collect();
        let ret = h.ret.as_ref().map(|f| self.clause_maker(f, Role::Return));
        handler_maker(ops, ret, shallow)
    }

    /// `resume k(args)`; `tail` says whether it is the fast tail resume of a tail-resumptive
    /// clause, and which tail position it is in.
    pub(super) fn resume(
        &self,
        k: &Ir,
        args: &[Ir],
        handler: Option<&HandlerIr>,
        tail: (bool, ResumeTail),
        span: Span,
    ) -> Code {
        let (fast, at) = tail;
        // A tail-resumptive clause may run on the fast path, where no one waits to take a
        // tail resume: there the resume runs nested and its value escapes.
        let at = if self.tail_resumptive {
            ResumeTail::No
        } else {
            at
        };
        let args = self.exprs(args);
        if fast && self.tail_resumptive {
            if self.unit.trace {
                return self.traced_tail_resume(args.into_iter().next(), span);
            }
            // The tail resume of a tail-resumptive clause: the clause's value is what `suspend`
            // returns (see `effects`).
            return match args.into_iter().next() {
                Some(a) => a,
                None => Box::new(|_, _| Ok(Value::Unit)),
            };
        }
        let parts = ResumeParts {
            k: self.expr(k),
            args,
            handler: handler.map(|h| self.handler(h, true)),
            source: self.unit.source,
            site: span,
        };
        if self.unit.trace {
            return self.traced_resume(parts, at);
        }
        match at {
            ResumeTail::Clause => {
                Box::new(move |ctx, clo| leave_to_clause_runner(ctx, clo, &parts))
            }
            // Both ways a jump out of line, so that the closure, nested in a resumed
            // computation's every frame, adds nothing to the native stack.
            ResumeTail::Function => Box::new(move |ctx, clo| {
                if in_clause_frame(ctx) {
                    leave_from_function(ctx, clo, &parts)
                } else {
                    resume_nested(ctx, clo, &parts)
                }
            }),
            ResumeTail::No => Box::new(move |ctx, clo| resume_nested(ctx, clo, &parts)),
        }
    }
}

/// Whether the running frame is that of the operation clause the innermost `drive` loop on
/// this stack runs (see [`Ctx::clause_frame`]): a function running there was tail-called by
/// the clause, so its value is the clause's.
#[inline(always)]
pub(super) fn in_clause_frame(ctx: &Ctx) -> bool {
    ctx.base == ctx.clause_frame
}

/// A resume whose value is the value of the operation clause running (it is in the
/// clause's tail, or in the tail of a function the clause tail-called): evaluated and left
/// in [`Ctx::tail_resume`] for the code that ran the clause, which resumes it instead of
/// nesting it here.
#[inline(always)]
fn leave_to_clause_runner(ctx: &mut Ctx, clo: &Closure, parts: &ResumeParts) -> R {
    ctx.tail_resume = Some(Box::new(parts.pending(ctx, clo)?));
    Ok(Value::Unit)
}

/// The parts of a `resume k(args) with { … }` expression, compiled.
pub(super) struct ResumeParts {
    /// The continuation.
    k: Code,
    /// The arguments.
    args: Vec<Code>,
    /// The clauses of `with { … }`, if any.
    pub(super) handler: Option<HandlerMaker>,
    /// The source text it is in.
    pub(super) source: u32,
    /// Where it is.
    pub(super) site: Span,
}

impl ResumeParts {
    /// The resume, evaluated: the continuation, then the arguments, then the handler.
    #[inline(always)]
    pub(super) fn pending(
        &self,
        ctx: &mut Ctx,
        clo: &Closure,
    ) -> Result<effects::PendingResume, Ctrl> {
        let k = (self.k)(ctx, clo)?;
        let args = match self.args.as_slice() {
            [] => effects::Args::None,
            [a] => effects::Args::One(a(ctx, clo)?),
            many => effects::Args::Many(eval_all(many, ctx, clo)?),
        };
        Ok(effects::PendingResume {
            k,
            args,
            shallow: self.handler.as_ref().map(|h| h(ctx, clo)),
            source: self.source,
            site: self.site,
        })
    }
}

/// [`leave_to_clause_runner`] for a `resume` in tail position of a function that runs in an
/// operation clause's frame, out of line.
#[inline(never)]
fn leave_from_function(ctx: &mut Ctx, clo: &Closure, parts: &ResumeParts) -> R {
    leave_to_clause_runner(ctx, clo, parts)
}

/// A resume in non-tail position: it nests, and the clause of every operation the resumed
/// code performs runs on top of it. The `resume` closure jumps here, so that this is the one
/// frame a nested resume adds besides the clause's own (a program may pile up tens of
/// thousands of nested resumes).
#[inline(never)]
fn resume_nested(ctx: &mut Ctx, clo: &Closure, parts: &ResumeParts) -> R {
    let resumed = begin_resume(ctx, clo, parts)?;
    effects::resume_finish(ctx, resumed)
}

/// Evaluates a nested resume and switches to its continuation (see
/// [`effects::resume_start`]); out of line, so that none of this is on the native stack
/// while the clause the resumed code suspends to runs.
#[inline(never)]
fn begin_resume(
    ctx: &mut Ctx,
    clo: &Closure,
    parts: &ResumeParts,
) -> Result<effects::Resumed, Ctrl> {
    let pending = parts.pending(ctx, clo)?;
    if parts.handler.is_some() {
        return Ok(effects::resume_start_with(ctx, pending));
    }
    Ok(effects::resume_start(ctx, pending))
}

/// The values of `codes`, in order; out of line, so that the frame of a resume's evaluation
/// does not hold the collecting iterator.
#[inline(never)]
fn eval_all(codes: &[Code], ctx: &mut Ctx, clo: &Closure) -> Result<Vec<Value>, Ctrl> {
    codes.iter().map(|a| a(ctx, clo)).collect()
}

/// Code that builds, in the current frame, a handler of the clauses that `ops` (each with
/// its operation and how it may run) and `ret` make; `shallow` for a `resume … with`.
pub(super) fn handler_maker<M>(
    ops: Vec<(OpId, effects::ClauseKind, M)>,
    ret: Option<M>,
    shallow: bool,
) -> HandlerMaker
where
    M: Fn(&Ctx, &Closure) -> Rc<Closure> + 'static,
{
    Rc::new(move |ctx, clo| {
        Rc::new(HandlerValue {
            ops: ops
                .iter()
                .map(|(op, tr, make)| (*op, make(ctx, clo), *tr))
                .collect(),
            ret: ret.as_ref().map(|make| make(ctx, clo)),
            shallow,
        })
    })
}

/// How an operation clause may run (see [`effects::ClauseKind`]).
pub(super) fn clause_kind(f: &FnIr) -> effects::ClauseKind {
    effects::ClauseKind::of(f.tail_resumptive, f.body.calls_out())
}

/// What a `suspend` closure holds, as one value: the site first, so that the address it
/// passes for it is the closure's own (no address is computed for it, and kept, on every
/// suspend).
#[repr(C)]
struct Suspending<A, F> {
    /// The operation and where.
    site: OpSite,
    /// The code of its arguments.
    args: A,
    /// What makes the result of its value.
    finish: F,
}

/// `suspend` at `site` with its `argc` arguments pushed, and `finish` of its value (matched
/// where it is returned, not copied out first).
#[inline(always)]
fn suspend_then<T>(
    ctx: &mut Ctx,
    site: &OpSite,
    argc: usize,
    finish: impl Fn(&mut Ctx, Value) -> T,
) -> Result<T, Ctrl> {
    match effects::suspend(ctx, site, argc) {
        Ok(v) => Ok(finish(ctx, v)),
        Err(c) => Err(c),
    }
}
