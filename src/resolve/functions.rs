//! The context of each function being resolved (declarations, lambdas, handler bodies and
//! clauses), its parameters, and tail positions: which calls are tail calls, and which
//! values of an operation clause escape to its handler.
//!
//! Invariant: a function's context is pushed when its resolution starts and popped when it
//! ends, error or not, so that the innermost context is always the function being resolved.

use std::rc::Rc;

use super::effects::ClauseFacts;
use super::scopes::Scopes;
use super::{Binding, Res, Resolver};
use crate::ir::{CaptureFrom, FnIr, Ir, VarId};
use crate::runtime::value::Value;
use crate::syntax::ast::{self, Block, Expr, Param};

/// Resolution state of one function being resolved.
#[derive(Default)]
pub(super) struct FnCtx {
    /// The names in scope.
    pub(super) scopes: Scopes,
    /// Where the function's creator takes each captured variable from (becomes
    /// [`FnIr::captures`]).
    pub(super) captures: Vec<CaptureFrom>,
    /// The original variable of each capture, to share one capture per variable.
    pub(super) capture_keys: Vec<VarId>,
    /// How many frame slots the function uses so far.
    pub(super) nslots: usize,
    /// For a local `fn` declaration: the variable holding it, which its body reads as
    /// [`Place::SelfFn`](crate::ir::Place::SelfFn) rather than capturing it.
    pub(super) self_var: Option<VarId>,
    /// Whether this is a `fn` declaration (hoisted: what it captures may not be initialised
    /// yet when its closure is made).
    pub(super) is_decl: bool,
    /// Whether this is the unit's top level (where `let`s of the outer scope make globals,
    /// and `return` is an error).
    pub(super) is_main: bool,
    /// How many loops enclose the code being resolved (their conditions and bodies).
    pub(super) loops: usize,
    /// Whether this is an operation clause of a handler.
    pub(super) is_op_clause: bool,
    /// For an operation clause whose `k` has a name: how the clause uses it, to decide
    /// whether the clause is tail-resumptive.
    pub(super) clause: Option<ClauseFacts>,
}

/// The body of a function being resolved: an expression (a lambda's, a clause's), or the
/// block of a `fn` declaration (resolved in place: wrapping it in an expression copied it,
/// and with it every declaration nested inside, once per level).
#[derive(Clone, Copy)]
pub(super) enum FnBody<'a> {
    /// An expression.
    Expr(&'a Expr),
    /// A declaration's block.
    Block(&'a Block),
}

/// What kind of function is being resolved.
pub(super) enum FnKind {
    /// A `fn` declaration (hoisted), with the variable holding it (none at top level).
    Decl(Option<VarId>),
    /// A lambda, handler body or clause (made where it is written).
    Other,
}

impl Resolver<'_> {
    /// Resolves a `fn` declaration; `self_var` is the local variable that holds it (`None`
    /// at the top level).
    pub(super) fn function(&mut self, decl: &ast::FnDecl, self_var: Option<VarId>) -> Res<FnIr> {
        self.function_like(
            decl.name.name.as_str().into(),
            &decl.params,
            None,
            FnBody::Block(&decl.body),
            FnKind::Decl(self_var),
        )
    }

    /// Resolves a function in a context of its own: a declaration, lambda, handler body,
    /// `return` clause, or operation clause (with its continuation parameter `k`).
    pub(super) fn function_like(
        &mut self,
        name: Rc<str>,
        params: &[Param],
        k: Option<&Param>,
        body: FnBody,
        kind: FnKind,
    ) -> Res<FnIr> {
        let (self_var, is_decl) = match kind {
            FnKind::Decl(v) => (v, true),
            FnKind::Other => (None, false),
        };
        self.fns.push(FnCtx {
            scopes: Scopes::new(),
            self_var,
            is_decl,
            is_op_clause: k.is_some(),
            ..FnCtx::default()
        });
        let result = self.function_body(name, params, k, body);
        self.fns.pop();
        result
    }

    /// Resolves the parameters and body of the function whose context was just pushed. A
    /// clause that turns out tail-resumptive loses its `k` parameter, and `k`'s slot when
    /// that is the last one.
    fn function_body(
        &mut self,
        name: Rc<str>,
        params: &[Param],
        k: Option<&Param>,
        body: FnBody,
    ) -> Res<FnIr> {
        let mut param_vars: Vec<Option<VarId>> = params
            .iter()
            .map(|p| self.param(p, Binding::Parameter))
            .collect();
        let k_var = k.map(|k| self.param(k, Binding::Continuation));
        if let Some(Some(kv)) = k_var {
            self.cur().clause = Some(ClauseFacts {
                k: kv,
                tail_resumes: 0,
                has_return: false,
            });
        }
        let body = match body {
            FnBody::Expr(e) => self.expr(e, true)?,
            FnBody::Block(b) => self.deeper(b.span, |r| r.block(b, true))?,
        };
        let ctx = self.fns.last().expect("a function context");
        let tail_resumptive = ctx
            .clause
            .as_ref()
            .is_some_and(|c| !c.has_return && c.tail_resumes == self.meta[c.k].uses);
        let mut nslots = ctx.nslots;
        match k_var {
            Some(kv) if !tail_resumptive => param_vars.push(kv),
            // A tail-resumptive clause has no `k` parameter; when `k`'s slot is the last one
            // (the clause has no locals), the frame does without it.
            Some(Some(kv)) if self.vars[kv].slot + 1 == nslots => nslots -= 1,
            _ => {}
        }
        let ctx = self.fns.last().expect("a function context");
        Ok(FnIr {
            name,
            params: param_vars,
            captures: ctx.captures.clone(),
            nslots,
            body,
            tail_resumptive,
        })
    }

    /// Declares a parameter (a clause's continuation when `binding` says so), reported if
    /// nothing uses it. Never `None`: `_` takes a slot of its own too, so that arguments
    /// line up with parameters.
    fn param(&mut self, p: &Param, binding: Binding) -> Option<VarId> {
        match p {
            Param::Name(id) => Some(self.declare_checked(id, binding, false, true)),
            Param::Wildcard(_) => {
                // Still occupies a slot so that arguments line up with parameters.
                Some(self.new_var("_", false, true))
            }
        }
    }

    /// Whether a tail position here is a tail position of an operation clause.
    pub(super) fn in_clause_tail(&self, tail: bool) -> bool {
        tail && self.fns.last().is_some_and(|f| f.is_op_clause)
    }

    /// The value of a block or `if` that has none written: nothing to compile, unless it is
    /// in a clause's tail, where its `()` escapes (see [`Resolver::tail_leaf`]).
    pub(super) fn implicit_unit(&self, tail: bool) -> Option<Box<Ir>> {
        self.in_clause_tail(tail)
            .then(|| Box::new(self.tail_leaf(tail, Ir::Const(Value::Unit))))
    }

    /// A tail position of an operation clause that does not resume the clause's `k`: its
    /// value, if the clause runs on the fast path, escapes to the handler's `handle` (or
    /// `resume`) as the value of the whole handled computation.
    pub(super) fn tail_leaf(&self, tail: bool, ir: Ir) -> Ir {
        if self.in_clause_tail(tail) {
            Ir::Escape(Box::new(ir))
        } else {
            ir
        }
    }
}
