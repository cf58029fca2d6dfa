//! Traced closures of the effect constructs. With tracing on ([`compile_unit`]'s `trace`),
//! `handle`, `suspend` (its closure is in `recorded.rs`, shared with frame records),
//! `resume`, `cont`, `discontinue` and handler clauses compile to these instead of the
//! closures of `effects.rs`: each records its event for the session's tracer
//! ([`crate::trace::record`]) and calls the same runtime functions. Without tracing none of
//! this code exists, and the program runs as if tracing had never been written.
//!
//! Three things differ from the untraced closures beyond the recording: a traced handler's
//! clauses are made afresh every time it is installed (never the one set a closed handler
//! shares), so that the trace tells installations apart by the address of their clauses;
//! a *leaf* clause runs behind a mask like any other tail-resumptive one, so that the
//! handler stack says how many handlers are around it when a continuation is dropped
//! there; and a `handle`'s body runs as [`effects::Body::Observed`], so that the trace sees
//! it start and end.
//!
//! [`compile_unit`]: super::compile_unit

use super::Compiler;
use super::effects::{HandlerMaker, ResumeParts, clause_kind, handler_maker, in_clause_frame};
use crate::ir::{FnIr, HandlerIr, Ir, ResumeTail};
use crate::runtime::effects::{self, ClauseKind};
use crate::runtime::frames::Role;
use crate::runtime::function::{Closure, Code};
use crate::runtime::value::Value;
use crate::runtime::{Ctx, R};
use crate::span::Span;
use crate::trace::record;

/// How a traced clause of kind `kind` runs: a leaf clause as any tail-resumptive one.
fn traced_kind(kind: ClauseKind) -> ClauseKind {
    match kind {
        ClauseKind::Leaf => ClauseKind::TailResumptive,
        other => other,
    }
}

/// A traced `resume` that runs here, nested.
fn traced_nested(ctx: &mut Ctx, clo: &Closure, parts: &ResumeParts) -> R {
    let p = parts.pending(ctx, clo)?;
    record::resuming(&p, parts.source, parts.site);
    let resumed = if parts.handler.is_some() {
        effects::resume_start_with(ctx, p)
    } else {
        effects::resume_start(ctx, p)
    };
    let result = effects::resume_finish(ctx, resumed);
    record::after();
    result
}

impl Compiler<'_> {
    /// A traced `handle body with { … }`.
    pub(super) fn traced_handle(&self, body: &FnIr, handler: &HandlerIr, span: Span) -> Code {
        let (make_body, handler) = (self.body_maker(body), self.traced_handler(handler, false));
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let body = effects::Body::Observed(Box::new(make_body(ctx, clo)));
            let h = handler(ctx, clo);
            record::handling(&h, source, span);
            let result = effects::handle(ctx, body, h, source, span);
            record::after();
            result
        })
    }

    /// Code that builds a traced handler's clauses in the current frame, each time anew:
    /// an operation clause starts by taking up its continuation's id
    /// ([`record::clause_started`]) and, if tail-resumptive, records the continuation
    /// reclaimed when it ends without resuming it, however it ends
    /// ([`record::clause_escapes`]); a `return` clause starts by recording its event.
    pub(super) fn traced_handler(&self, h: &HandlerIr, shallow: bool) -> HandlerMaker {
        let source = self.unit.source;
        let ops = h
            .ops
            .iter()
            .map(|(op, f)| {
                let general = !f.tail_resumptive;
                let proto = self.clause_with(f, Role::Clause, |body| {
                    Box::new(move |ctx, clo| {
                        record::clause_started(ctx, clo, general);
                        let result = body(ctx, clo);
                        if !general && result.is_err() {
                            record::clause_escapes(clo);
                        }
                        result
                    })
                });
                (
                    *op,
                    traced_kind(clause_kind(f)),
                    self.closure_maker_of(f, proto),
                )
            })
            .collect();
        let ret_span = h.ret_span;
        let ret = h.ret.as_ref().map(|f| {
            let proto = self.clause_with(f, Role::Return, |body| {
                Box::new(move |ctx, clo| {
                    record::return_clause(ctx, clo, source, ret_span);
                    body(ctx, clo)
                })
            });
            self.closure_maker_of(f, proto)
        });
        handler_maker(ops, ret, shallow)
    }

    /// The traced tail `resume k(e)` of a tail-resumptive clause: like the untraced one, it
    /// is `e`, the value the clause gives its `suspend`.
    pub(super) fn traced_tail_resume(&self, value: Option<Code>, span: Span) -> Code {
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let v = match &value {
                Some(e) => e(ctx, clo)?,
                None => Value::Unit,
            };
            record::tail_resume(clo, &v, source, span);
            Ok(v)
        })
    }

    /// A traced `resume k(args)` (or `resume … with { … }`), left for the code that ran the
    /// operation clause to run when it is in the clause's tail (`at`, see [`ResumeTail`]),
    /// else run here.
    pub(super) fn traced_resume(&self, parts: ResumeParts, at: ResumeTail) -> Code {
        if at != ResumeTail::No {
            return Box::new(move |ctx, clo| {
                if at == ResumeTail::Function && !in_clause_frame(ctx) {
                    return traced_nested(ctx, clo, &parts);
                }
                let p = parts.pending(ctx, clo)?;
                record::resuming(&p, parts.source, parts.site);
                ctx.tail_resume = Some(Box::new(p));
                Ok(Value::Unit)
            });
        }
        Box::new(move |ctx, clo| traced_nested(ctx, clo, &parts))
    }

    /// A traced `cont f`.
    pub(super) fn traced_cont(&self, f: &Ir, span: Span) -> Code {
        let f = self.expr(f);
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let f = f(ctx, clo)?;
            let function = match &f {
                Value::Func(function) => Some(function.clone()),
                _ => None,
            };
            let k = effects::make_cont(f, span);
            if let (Ok(k), Some(function)) = (&k, &function) {
                record::cont_made(k, function, source, span);
            }
            super::failure::offered(ctx, clo, k)
        })
    }

    /// A traced `discontinue k`.
    pub(super) fn traced_discontinue(&self, k: &Ir, span: Span) -> Code {
        let k = self.expr(k);
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let k = k(ctx, clo)?;
            record::discontinuing(&k, source, span);
            let r = effects::discontinue(&k, span);
            drop(k);
            super::failure::offered(ctx, clo, r)
        })
    }
}
