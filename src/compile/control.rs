//! Blocks, `if`, and loops.
//!
//! Each compiles to code generic over its result type ([`Outcome`]): a value when the
//! construct's value is used, nothing when it is a statement. Loops are statements, and poll
//! for an interrupt each round.

use std::cell::RefCell;
use std::rc::Rc;

use super::failure::{err, offered};
use super::operands::Operand;
use super::operators::{by_comparison, compare_slow, is_comparison};
use super::vars::write_cell;
use super::{CodeOf, Compiler, Outcome, Special, Stmt, run_or_nothing};
use crate::ir::{Bind, FnIr, Ir};
use crate::operator::BinOp;
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
use crate::runtime::{Ctx, ErrorKind};
use crate::span::Span;

/// Code that makes a closure in the current frame.
type Maker = Box<dyn Fn(&Ctx, &Closure) -> Rc<Closure>>;

impl Compiler<'_> {
    /// A block: its variables' cells, its functions, its statements, then its value (code
    /// producing a value, or a statement when the block is one).
    pub(super) fn block<T: Outcome>(
        &self,
        decls: &[usize],
        fns: &[(usize, FnIr)],
        stmts: &[Ir],
        value: Option<CodeOf<T>>,
    ) -> CodeOf<T> {
        let cells: Vec<usize> = decls
            .iter()
            .filter(|&&v| self.boxed(v))
            .map(|&v| self.slot(v))
            .collect();
        let makers: Vec<(usize, Maker)> = fns
            .iter()
            .map(|(v, f)| {
                let m: Maker = Box::new(self.closure_maker(f));
                (self.slot(*v), m)
            })
            .collect();
        let stmts: Vec<Stmt> = stmts.iter().map(|s| self.stmt(s)).collect();
        if cells.is_empty() && makers.is_empty() && self.specialising(Special::Block) {
            return match (stmts.len(), value) {
                (0, Some(v)) => v,
                (1, Some(v)) => {
                    let s = stmts.into_iter().next().expect("one statement");
                    Box::new(move |ctx, clo| {
                        s(ctx, clo)?;
                        v(ctx, clo)
                    })
                }
                (2, v) => {
                    // A loop body's usual shape: two statements, no loop over a vector.
                    let mut it = stmts.into_iter();
                    let (s, t) = (it.next().expect("two"), it.next().expect("two"));
                    match v {
                        Some(v) => Box::new(move |ctx, clo| {
                            s(ctx, clo)?;
                            t(ctx, clo)?;
                            v(ctx, clo)
                        }),
                        None => Box::new(move |ctx, clo| {
                            s(ctx, clo)?;
                            t(ctx, clo)?;
                            Ok(T::nothing())
                        }),
                    }
                }
                (_, v) => Box::new(move |ctx, clo| {
                    for s in &stmts {
                        s(ctx, clo)?;
                    }
                    run_or_nothing(&v, ctx, clo)
                }),
            };
        }
        Box::new(move |ctx, clo| {
            for &slot in &cells {
                *ctx.local_mut(slot) = Value::Cell(Rc::new(RefCell::new(Value::Unit)));
            }
            for (slot, make) in &makers {
                let f = Value::Func(make(ctx, clo));
                write_cell(ctx.local_mut(*slot), f);
            }
            for s in &stmts {
                s(ctx, clo)?;
            }
            run_or_nothing(&value, ctx, clo)
        })
    }

    /// `if c { t } else { e }`, the branches compiled as values or as statements.
    pub(super) fn if_<T: Outcome>(
        &self,
        c: &Ir,
        t: CodeOf<T>,
        e: Option<CodeOf<T>>,
        span: Span,
    ) -> CodeOf<T> {
        if let Ir::Binary(op, a, b, cspan) = c
            && let (Some(Operand::Local(slot)), Some(Operand::Int(k))) =
                (self.simple_operand(a), self.simple_operand(b))
            && is_comparison(*op)
            && self.specialising(Special::Operator)
        {
            // `if n < 2 { … } else { … }`: the comparison inline, no condition closure.
            let (op, cspan) = (*op, *cspan);
            return by_comparison!(op, test => Box::new(move |ctx, clo| {
                let holds = match ctx.local(slot) {
                    Value::Int(x) => test(*x, k),
                    other => {
                        let r = compare_slow(op, other, k, cspan);
                        offered(ctx, clo, r)?
                    }
                };
                if holds { t(ctx, clo) } else { run_or_nothing(&e, ctx, clo) }
            }));
        }
        let c = self.cond(c, span);
        Box::new(move |ctx, clo| {
            if c(ctx, clo)? {
                t(ctx, clo)
            } else {
                run_or_nothing(&e, ctx, clo)
            }
        })
    }

    /// A `while` loop, polling for an interrupt before each test of the condition.
    pub(super) fn while_(&self, c: &Ir, body: &Ir, span: Span) -> Stmt {
        let (c, body) = (self.cond(c, span), self.stmt(body));
        Box::new(move |ctx, clo| {
            loop {
                ctx.poll(span)?;
                if !c(ctx, clo)? {
                    return Ok(());
                }
                body(ctx, clo)?;
            }
        })
    }

    /// `for b in a..z`: the bounds evaluated once (both must be ints), `b` bound to each
    /// int from `a` up to `z` excluded, polling for an interrupt each round.
    pub(super) fn for_range(&self, b: &Bind, a: &Ir, z: &Ir, body: &Ir, span: Span) -> Stmt {
        let (bind, a, z, body) = (self.binder(b), self.expr(a), self.expr(z), self.stmt(body));
        Box::new(move |ctx, clo| {
            let (lo, hi) = match (a(ctx, clo)?, z(ctx, clo)?) {
                (Value::Int(lo), Value::Int(hi)) => (lo, hi),
                (x, y) => {
                    let e = err(ErrorKind::RangeNeedsInts(x.kind(), y.kind()), span);
                    return offered(ctx, clo, Err(e));
                }
            };
            let mut i = lo;
            while i < hi {
                ctx.poll(span)?;
                bind(ctx, Value::Int(i))?;
                body(ctx, clo)?;
                i += 1;
            }
            Ok(())
        })
    }

    /// `for b in e` over an array, a list or a dictionary (anything else is a type error at
    /// `span`), polling for an interrupt each round. An array is read by index each round,
    /// so it sees the body's changes to it; a dictionary's `(key, value)` tuples are taken
    /// when the loop starts, so the body's changes to it are not seen.
    pub(super) fn for_each(&self, b: &Bind, e: &Ir, body: &Ir, span: Span) -> Stmt {
        let (bind, e, body) = (self.binder(b), self.expr(e), self.stmt(body));
        Box::new(move |ctx, clo| match e(ctx, clo)? {
            Value::Array(items) => {
                let mut i = 0;
                loop {
                    ctx.poll(span)?;
                    let item = match items.borrow().get(i) {
                        Some(v) => v.clone(),
                        None => return Ok(()),
                    };
                    bind(ctx, item)?;
                    body(ctx, clo)?;
                    i += 1;
                }
            }
            list @ (Value::Nil | Value::Cons(_)) => {
                let mut cur = list;
                while let Value::Cons(cell) = cur {
                    ctx.poll(span)?;
                    bind(ctx, cell.head.clone())?;
                    body(ctx, clo)?;
                    cur = cell.tail.clone();
                }
                Ok(())
            }
            Value::Dict(d) => {
                let pairs = d.borrow().pairs();
                for pair in pairs {
                    ctx.poll(span)?;
                    bind(ctx, pair)?;
                    body(ctx, clo)?;
                }
                Ok(())
            }
            other => offered(
                ctx,
                clo,
                Err(err(ErrorKind::CannotIterate(other.kind()), span)),
            ),
        })
    }
}
