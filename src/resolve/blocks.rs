//! The top level of a unit, blocks and statements: effects declared and `fn`s hoisted before
//! anything else of their block is resolved, `let`s of the unit's top level made globals.

use super::env::Global;
use super::patterns::{bind_depth, check_pattern_depth};
use super::{Binding, Res, Resolver};
use crate::ir::{Bind, FnCell, GlobalCell, Ir, Place, VarId};
use crate::runtime::value::Value;
use crate::syntax::ast::{self, BindPat, Block, Expr, Stmt};

impl Resolver<'_> {
    /// Declares the `effect`s among `stmts` before any of them is resolved: a new operation
    /// gets the next [`OpId`]; one declared again keeps its id and takes the new arity.
    ///
    /// [`OpId`]: super::OpId
    fn declare_effects(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            if let Stmt::Effect { name, params, .. } = s {
                self.env.declare_effect(&name.name, params.len());
            }
        }
    }

    /// Resolves the unit's top-level statements: effects declared and `fn`s made globals
    /// first (so every `fn` is visible everywhere), then each statement, the `fn`s defined
    /// by a leading [`Ir::DefineGlobalFns`]. Returns the statements and the final value
    /// expression, if any.
    ///
    /// Each statement's tree is dropped once it is resolved, so that a program's syntax tree
    /// and the IR it becomes are never both whole in memory (docs/architecture.md, "Front
    /// end").
    pub(super) fn top_level(&mut self, mut stmts: Vec<Stmt>) -> Res<(Vec<Ir>, Option<Ir>)> {
        self.declare_effects(&stmts);
        let mut cells = Vec::new();
        for s in &stmts {
            if let Stmt::Fn(decl) = s {
                let cell = FnCell::default();
                self.env.define(&decl.name.name, Global::Fn(cell.clone()));
                cells.push(cell);
            }
        }
        let mut fns = Vec::new();
        let mut out = Vec::new();
        let value = match stmts.pop_if(|s| matches!(s, Stmt::Expr { semi: false, .. })) {
            Some(Stmt::Expr { expr, .. }) => Some(expr),
            _ => None,
        };
        let mut cells = cells.into_iter();
        for s in stmts {
            if let Stmt::Fn(decl) = &s {
                let f = self.function(decl, None)?;
                fns.push((cells.next().expect("a cell per fn"), f));
            } else {
                out.push(self.stmt(&s)?);
            }
        }
        let value = value.map(|e| self.expr(&e, true)).transpose()?;
        out.insert(0, Ir::DefineGlobalFns(fns));
        Ok((out, value))
    }

    /// Resolves a block in a new scope; `tail` says whether its value is in tail position.
    pub(super) fn block(&mut self, block: &Block, tail: bool) -> Res<Ir> {
        self.cur().scopes.push();
        let result = self.block_body(&block.stmts, tail);
        self.cur().scopes.pop();
        result
    }

    /// The statements of a block, in the scope just pushed for it: effects declared and
    /// `fn`s hoisted first, then each statement; the value is the final expression without
    /// `;`, or an implicit `()`.
    fn block_body(&mut self, stmts: &[Stmt], tail: bool) -> Res<Ir> {
        self.declare_effects(stmts);
        self.check_unreachable(stmts);
        let first_var = self.vars.len();
        let mut fn_vars = Vec::new();
        for s in stmts {
            if let Stmt::Fn(decl) = s {
                let v = self.declare(&decl.name.name, false, false);
                self.meta[v].is_fn = true;
                fn_vars.push(v);
            }
        }
        let (body, value) = split_value(stmts);
        let mut fns = Vec::new();
        let mut out = Vec::new();
        let mut fn_vars = fn_vars.into_iter();
        for s in body {
            if let Stmt::Fn(decl) = s {
                let v = fn_vars.next().expect("a var per fn");
                fns.push((v, self.function(decl, Some(v))?));
            } else {
                out.push(self.stmt(s)?);
            }
        }
        let value = match value {
            Some(e) => Some(Box::new(self.expr(e, tail)?)),
            None => self.implicit_unit(tail),
        };
        let decls = self.declared_in_current_scope(first_var);
        Ok(Ir::Block {
            decls: decls.into(),
            fns: fns.into(),
            stmts: out.into(),
            value,
        })
    }

    /// The variables from `first_var` on that are bound in the current function's innermost
    /// scope itself (those of nested blocks and functions, also created since, are not), in
    /// order, each once.
    fn declared_in_current_scope(&self, first_var: VarId) -> Vec<VarId> {
        let f = self.fns.last().expect("a function context");
        let mut vars: Vec<VarId> = f
            .scopes
            .innermost()
            .iter()
            .map(|&(_, v)| v)
            .filter(|&v| v >= first_var)
            .collect();
        vars.sort_unstable();
        vars.dedup();
        vars
    }

    /// Resolves a statement other than a `fn` declaration (hoisted by the enclosing block).
    fn stmt(&mut self, s: &Stmt) -> Res<Ir> {
        match s {
            Stmt::Let {
                pattern,
                mutable,
                value,
                ..
            } => {
                let value = self.expr(value, false)?;
                check_pattern_depth(bind_depth(pattern), pattern.span())?;
                if self.in_main_top_scope() {
                    return self.global_let(pattern, *mutable, value);
                }
                let bind = self.bind_pat_as(pattern, *mutable, false, true);
                Ok(Ir::Let(bind, Box::new(value)))
            }
            Stmt::Assign { target, value, .. } => {
                let value = self.expr(value, false)?;
                let place = self.assignable(target)?;
                Ok(Ir::Set(place, Box::new(value)))
            }
            Stmt::IndexAssign {
                array,
                index,
                value,
                span,
            } => Ok(Ir::SetIndex(
                Box::new(self.expr(array, false)?),
                Box::new(self.expr(index, false)?),
                Box::new(self.expr(value, false)?),
                *span,
            )),
            Stmt::Fn(_) => unreachable!("fn declarations are hoisted by the block"),
            Stmt::Effect { .. } => Ok(Ir::Const(Value::Unit)),
            Stmt::Expr { expr, .. } => self.expr(expr, false),
        }
    }

    /// A `let` or `var` at the top level: it binds globals, not locals; a tuple pattern
    /// binds temporaries of main, then copies each to its global.
    fn global_let(&mut self, pattern: &BindPat, mutable: bool, value: Ir) -> Res<Ir> {
        // A top-level destructuring binds fresh locals of main, then copies them to globals.
        match pattern {
            BindPat::Name(id) => {
                let cell = GlobalCell::default();
                self.env.define(
                    &id.name,
                    Global::Value {
                        cell: cell.clone(),
                        mutable,
                    },
                );
                Ok(Ir::Set(Place::Global(cell), Box::new(value)))
            }
            BindPat::Wildcard(_) => Ok(Ir::Let(Bind::Wild, Box::new(value))),
            BindPat::Tuple(..) => {
                // At the top level the innermost scope is the unit's outermost one.
                let scope_len = self.cur().scopes.innermost().len();
                let bind = self.bind_pat(pattern, false, false);
                let mut names = Vec::new();
                collect_bind_names(pattern, &mut names);
                let mut stmts = vec![Ir::Let(bind, Box::new(value))];
                for name in names {
                    let local = self.lookup(&name.name).expect("just bound");
                    let cell = GlobalCell::default();
                    stmts.push(Ir::Set(
                        Place::Global(cell.clone()),
                        Box::new(Ir::Get(local)),
                    ));
                    self.env.define(&name.name, Global::Value { cell, mutable });
                }
                // From here on the names refer to the globals, not the temporaries.
                self.cur().scopes.truncate_innermost(scope_len);
                Ok(Ir::Block {
                    decls: Box::default(),
                    fns: Box::default(),
                    stmts: stmts.into(),
                    value: None,
                })
            }
        }
    }

    /// Declares the names of a `let`, `var` or `for` left-hand side in the current scope;
    /// `mutable` for `var`, `early` as for [`VarMeta::initialised_early`].
    ///
    /// [`VarMeta::initialised_early`]: super::names::VarMeta::initialised_early
    pub(super) fn bind_pat(&mut self, p: &BindPat, mutable: bool, early: bool) -> Bind {
        self.bind_pat_as(p, mutable, early, false)
    }

    /// [`Resolver::bind_pat`], each name reported if nothing uses it when `checked` (the
    /// names of a `let` or `var` inside a function or block).
    fn bind_pat_as(&mut self, p: &BindPat, mutable: bool, early: bool, checked: bool) -> Bind {
        match p {
            BindPat::Name(id) if checked => {
                Bind::Var(self.declare_checked(id, Binding::Variable, mutable, early))
            }
            BindPat::Name(id) => Bind::Var(self.declare(&id.name, mutable, early)),
            BindPat::Wildcard(_) => Bind::Wild,
            BindPat::Tuple(items, span) => Bind::Tuple(
                items
                    .iter()
                    .map(|i| self.bind_pat_as(i, mutable, early, checked))
                    .collect(),
                *span,
            ),
        }
    }
}

/// Whether a statement is the value of its block: the last one, an expression, no `;`.
fn split_value(stmts: &[Stmt]) -> (&[Stmt], Option<&Expr>) {
    match stmts.last() {
        Some(Stmt::Expr { expr, semi: false }) => (&stmts[..stmts.len() - 1], Some(expr)),
        _ => (stmts, None),
    }
}

/// Appends the names a `let`/`var`/`for` left-hand side binds, left to right, to `out`.
fn collect_bind_names<'a>(p: &'a BindPat, out: &mut Vec<&'a ast::Ident>) {
    match p {
        BindPat::Name(id) => out.push(id),
        BindPat::Wildcard(_) => {}
        BindPat::Tuple(items, _) => items.iter().for_each(|i| collect_bind_names(i, out)),
    }
}
