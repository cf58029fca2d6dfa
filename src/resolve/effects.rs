//! Handlers, their operation clauses and `resume`: operations checked against their
//! declarations, and what decides whether a clause is tail-resumptive (every exit a tail
//! `resume k(…)` of its own `k`, used nowhere else).

use std::collections::HashSet;
use std::rc::Rc;

use super::functions::{FnBody, FnKind};
use super::{CompileErrorKind, OpId, Res, Resolver};
use crate::ir::{HandlerIr, Ir, ResumeTail, VarId};
use crate::span::Span;
use crate::syntax::ast::{self, Expr, ExprKind};

/// What is learnt about a handler clause's use of its continuation.
pub(super) struct ClauseFacts {
    /// The variable of the clause's continuation parameter.
    pub(super) k: VarId,
    /// How many `resume k(…)`s of it are on the fast path (in tail position, at most one
    /// argument, no handler).
    pub(super) tail_resumes: usize,
    /// Whether the clause has a `return` (which keeps it from being tail-resumptive).
    pub(super) has_return: bool,
}

impl Resolver<'_> {
    /// The id of operation `op`, performed or handled with `argc` arguments; a compile
    /// error if it is not declared or takes another number.
    pub(super) fn operation(&self, op: &ast::Ident, argc: usize) -> Res<OpId> {
        match self.env.effects.get(&op.name) {
            Some(&(id, arity)) if arity == argc => Ok(id),
            Some(&(_, arity)) => Err(CompileErrorKind::OperationArity {
                name: op.name.clone(),
                expects: arity,
                got: argc,
            }
            .at(op.span)),
            None => {
                let similar = self.similar_operation(&op.name);
                Err(CompileErrorKind::UnknownEffect(op.name.clone(), similar).at(op.span))
            }
        }
    }

    /// Resolves a handler: each operation clause a function of its parameters and `k` (an
    /// operation handled twice in one handler is an error), and the `return` clause.
    pub(super) fn handler(&mut self, h: &ast::Handler) -> Res<HandlerIr> {
        let mut ops = Vec::new();
        let mut handled = HashSet::new();
        for c in &h.ops {
            let id = self.operation(&c.op, c.params.len())?;
            if !handled.insert(id) {
                return Err(CompileErrorKind::HandledTwice(c.op.name.clone()).at(c.op.span));
            }
            let f = self.function_like(
                c.op.name.as_str().into(),
                &c.params,
                Some(&c.k),
                FnBody::Expr(&c.body),
                FnKind::Other,
            )?;
            ops.push((id, f));
        }
        let ret = match &h.ret {
            Some(r) => Some(self.function_like(
                "return".into(),
                std::slice::from_ref(&r.param),
                None,
                FnBody::Expr(&r.body),
                FnKind::Other,
            )?),
            None => None,
        };
        let ret_span = h.ret.as_ref().map_or(h.span, |r| r.span);
        Ok(HandlerIr { ops, ret, ret_span })
    }

    /// Resolves `resume k(args)`, with its shallow handler if any. It is on the fast path
    /// when it is a tail resume of the clause's own `k`, with at most one argument and no
    /// handler; those are counted towards the clause being tail-resumptive.
    pub(super) fn resume(
        &mut self,
        k: &Expr,
        args: &[Expr],
        handler: Option<&ast::Handler>,
        tail: bool,
        span: Span,
    ) -> Res<Ir> {
        let own_k = match (&k.kind, self.fns.last().and_then(|f| f.clause.as_ref())) {
            (ExprKind::Var(id), Some(c)) => {
                self.lookup_local(self.fns.len() - 1, &id.name) == Some(c.k)
            }
            _ => false,
        };
        let fast = tail && own_k && handler.is_none() && args.len() <= 1;
        let at = if self.in_clause_tail(tail) {
            ResumeTail::Clause
        } else if tail && !self.fns.last().expect("fn").is_main {
            ResumeTail::Function
        } else {
            ResumeTail::No
        };
        if fast && let Some(c) = self.cur().clause.as_mut() {
            c.tail_resumes += 1;
        }
        let k = self.boxed(k)?;
        let args = self.exprs(args)?;
        let handler = handler.map(|h| self.handler(h)).transpose()?.map(Rc::new);
        let resume = Ir::Resume {
            k,
            args,
            handler,
            fast,
            tail: at,
            span,
        };
        Ok(if fast {
            resume
        } else {
            self.tail_leaf(tail, resume)
        })
    }
}
