//! Expressions, and the limit on how deeply they nest ([`MAX_NESTING`]): each level of
//! nesting is one native call of the resolver, of the compiled code and of dropping the tree.

use std::rc::Rc;

use super::functions::{FnBody, FnKind};
use super::patterns::{bind_depth, check_pattern_depth};
use super::{CompileErrorKind, MAX_NESTING, Res, Resolver};
use crate::ir::{Ir, Place};
use crate::operator::{BinOp, UnOp};
use crate::runtime::symbol::Symbol;
use crate::runtime::value::Value;
use crate::span::Span;
use crate::syntax::ast::{self, BindPat, Block, Expr, ExprKind};

impl Resolver<'_> {
    /// Resolves each of `es`, none of them in tail position.
    pub(super) fn exprs(&mut self, es: &[Expr]) -> Res<Vec<Ir>> {
        es.iter().map(|e| self.expr(e, false)).collect()
    }

    /// Resolves `e`, not in tail position, boxed for an [`Ir`] node.
    pub(super) fn boxed(&mut self, e: &Expr) -> Res<Box<Ir>> {
        Ok(Box::new(self.expr(e, false)?))
    }

    /// Resolves `e`; `tail` says whether it is in tail position of its function.
    pub(super) fn expr(&mut self, e: &Expr, tail: bool) -> Res<Ir> {
        self.deeper(e.span, |r| r.expr_inner(e, tail))
    }

    /// Runs `resolve` one level of nesting deeper, for an expression at `span`: the compile
    /// error `expression nested too deeply` past [`MAX_NESTING`] levels.
    pub(super) fn deeper(
        &mut self,
        span: Span,
        resolve: impl FnOnce(&mut Self) -> Res<Ir>,
    ) -> Res<Ir> {
        if self.depth >= MAX_NESTING {
            return Err(CompileErrorKind::NestedTooDeeply.at(span));
        }
        self.depth += 1;
        let result = resolve(self);
        self.depth -= 1;
        result
    }

    /// The work of [`Resolver::expr`]: here the expressions that may hold tail positions
    /// (`if`, blocks, `match`, calls, `resume`, `return`); the others by
    /// [`Resolver::simple_expr`], their value escaping in a clause's tail.
    fn expr_inner(&mut self, e: &Expr, tail: bool) -> Res<Ir> {
        let span = e.span;
        match &e.kind {
            ExprKind::If(c, then, els) => {
                let c = self.boxed(c)?;
                let t = self.block(then, tail)?;
                let el = match els {
                    Some(e) => Some(Box::new(self.expr(e, tail)?)),
                    None => self.implicit_unit(tail),
                };
                Ok(Ir::If(c, Box::new(t), el, span))
            }
            ExprKind::Block(b) => self.block(b, tail),
            ExprKind::Match(scrut, arms) => {
                let scrut = self.boxed(scrut)?;
                let of = match *scrut {
                    Ir::Get(Place::Local(v)) if self.never_reassigned(v) => Some(v),
                    _ => None,
                };
                let arms = arms
                    .iter()
                    .map(|a| self.arm(a, of, tail))
                    .collect::<Res<Vec<_>>>()?;
                Ok(Ir::Match(scrut, arms, span))
            }
            ExprKind::Call(callee, args) => {
                let callee = self.boxed(callee)?;
                let args = self.exprs(args)?;
                // In a clause's tail the call's value may have to escape: the compiler makes
                // it a tail call only in a clause that is not tail-resumptive (see `Ir::Call`).
                let is_tail_call = tail && !self.fns.last().expect("fn").is_main;
                let call = Ir::Call {
                    callee,
                    args,
                    tail: is_tail_call,
                    span,
                };
                Ok(self.tail_leaf(tail, call))
            }
            ExprKind::Resume(k, args, handler) => {
                self.resume(k, args, handler.as_deref(), tail, span)
            }
            ExprKind::Return(v) => {
                if self.fns.last().expect("fn").is_main {
                    return Err(CompileErrorKind::ReturnOutsideFunction.at(span));
                }
                if let Some(c) = self.cur().clause.as_mut() {
                    c.has_return = true;
                }
                let v = match v {
                    Some(v) => self.expr(v, true)?,
                    None => Ir::Const(Value::Unit),
                };
                Ok(Ir::Return(Box::new(v)))
            }
            _ => {
                let ir = self.simple_expr(e)?;
                Ok(self.tail_leaf(tail, ir))
            }
        }
    }

    /// Expressions with no tail positions inside them.
    fn simple_expr(&mut self, e: &Expr) -> Res<Ir> {
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::Int(i) => Ir::Const(Value::Int(*i)),
            ExprKind::Float(f) => Ir::Const(Value::float(*f)),
            ExprKind::Str(s) => Ir::Const(Value::str(s.clone())),
            ExprKind::Bool(b) => Ir::Const(Value::bool(*b)),
            ExprKind::Unit => Ir::Const(Value::Unit),
            ExprKind::Var(id) => match self.lookup(&id.name) {
                Some(p) => Ir::Get(p),
                None => {
                    let similar = self.similar_name(&id.name);
                    return Err(CompileErrorKind::UnknownName(id.name.clone(), similar).at(id.span));
                }
            },
            ExprKind::Ctor(id, args) => {
                let sym = Symbol::intern(&id.name);
                if args.is_empty() {
                    Ir::Const(Value::Atom(sym))
                } else {
                    Ir::Ctor(sym, self.exprs(args)?)
                }
            }
            ExprKind::List(items) => Ir::List(self.exprs(items)?),
            ExprKind::Tuple(items) => Ir::Tuple(self.exprs(items)?),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.boxed(a)?, self.boxed(b)?);
                match op {
                    BinOp::And => Ir::And(a, b, span),
                    BinOp::Or => Ir::Or(a, b, span),
                    _ => Ir::Binary(*op, a, b, span),
                }
            }
            ExprKind::Unary(UnOp::Neg, a) => Ir::Neg(self.boxed(a)?, span),
            ExprKind::Unary(UnOp::Not, a) => Ir::Not(self.boxed(a)?, span),
            ExprKind::Index(a, i) => Ir::Index(self.boxed(a)?, self.boxed(i)?, span),
            ExprKind::While(c, body) => {
                self.cur().loops += 1;
                let parts = self
                    .boxed(c)
                    .and_then(|c| Ok((c, self.block(body, false)?)));
                self.cur().loops -= 1;
                let (c, body) = parts?;
                Ir::While(c, Box::new(body), span)
            }
            ExprKind::For(bind, iter, body) => self.for_loop(bind, iter, body, span)?,
            ExprKind::Lambda(params, body) => Ir::Lambda(Rc::new(self.function_like(
                "<fn>".into(),
                params,
                None,
                FnBody::Expr(body),
                FnKind::Other,
            )?)),
            ExprKind::Suspend(op, args) => {
                let id = self.operation(op, args.len())?;
                Ir::Suspend(id, self.exprs(args)?, span)
            }
            ExprKind::Handle(body, handler) => {
                let body = self.function_like(
                    "<handle>".into(),
                    &[],
                    None,
                    FnBody::Expr(body),
                    FnKind::Other,
                )?;
                let handler = self.handler(handler)?;
                Ir::Handle(Rc::new(body), Rc::new(handler), span)
            }
            ExprKind::Cont(f) => Ir::Cont(self.boxed(f)?, span),
            ExprKind::Discontinue(k) => Ir::Discontinue(self.boxed(k)?, span),
            ExprKind::If(..)
            | ExprKind::Block(_)
            | ExprKind::Match(..)
            | ExprKind::Call(..)
            | ExprKind::Resume(..)
            | ExprKind::Return(_) => unreachable!("handled by expr"),
        })
    }

    /// Resolves a `for` loop: the range or sequence outside the loop's scope, the left-hand
    /// side (bound early) and the body inside it, the body counted as a loop.
    fn for_loop(
        &mut self,
        bind: &BindPat,
        iter: &ast::ForIter,
        body: &Block,
        span: Span,
    ) -> Res<Ir> {
        let head = match iter {
            ast::ForIter::Range(a, b) => (Some(self.boxed(a)?), self.boxed(b)?),
            ast::ForIter::Expr(e) => (None, self.boxed(e)?),
        };
        check_pattern_depth(bind_depth(bind), bind.span())?;
        self.cur().scopes.push();
        let b = self.bind_pat(bind, false, true);
        self.cur().loops += 1;
        let body = self.block(body, false);
        self.cur().loops -= 1;
        self.cur().scopes.pop();
        let body = Box::new(body?);
        Ok(match head {
            (Some(a), z) => Ir::ForRange(Box::new(b), a, z, body, span),
            (None, e) => Ir::ForEach(Box::new(b), e, body, span),
        })
    }
}
