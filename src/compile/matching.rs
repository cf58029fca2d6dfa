//! `match` and its patterns.
//!
//! A pattern compiles to a [`Matcher`], which tests a value and binds the pattern's names
//! as it goes. A pattern that is a [`Shape`] (a tag, with names or `_` for the fields) is
//! tested inline, without matcher calls, and a `match` whose arms are all shapes (and have no
//! guards) tests a local scrutinee in place. Invariant: an arm's body runs only after its
//! pattern fitted and bound its names, and a name that is a part of the scrutinee (see
//! [`Place::Part`](crate::ir::Place::Part)) is bound nowhere.

use super::failure::{err, offered};
use super::operands::Operand;
use super::vars::set_slot;
use super::{Compiler, Special};
use crate::ir::{Arm, Ir, Pat};
use crate::runtime::function::Code;
use crate::runtime::symbol::Symbol;
use crate::runtime::value::{ConsCell, Value, discard};
use crate::runtime::{Ctrl, Ctx, ErrorKind, ops, print};
use crate::span::Span;

/// Code that tests a pattern against a value, binding its variables.
type Matcher = Box<dyn Fn(&mut Ctx, &Value) -> Result<bool, Ctrl>>;

/// The error for a `match` none of whose arms fits `v`.
#[cold]
fn no_match(v: &Value, span: Span) -> Ctrl {
    err(ErrorKind::NoMatch(print::show_cut(v)), span)
}

impl Compiler<'_> {
    /// Code that tests pattern `p` against a value, binding the pattern's names as it goes.
    fn matcher(&self, p: &Pat) -> Matcher {
        match p {
            Pat::Wild => Box::new(|_, _| Ok(true)),
            Pat::Bind(v) => {
                let slot = self.slot(*v);
                Box::new(move |ctx, val| {
                    set_slot(ctx, slot, val.clone());
                    Ok(true)
                })
            }
            Pat::Lit(lit) => {
                let lit = lit.clone();
                Box::new(move |_, val| Ok(ops::equal(&lit, val).unwrap_or(false)))
            }
            Pat::Nil => Box::new(|_, val| Ok(matches!(val, Value::Nil))),
            Pat::Cons(..) | Pat::Ctor(..)
                if let Some(shape) = self.shape(p)
                    && self.specialising(Special::Shape) =>
            {
                // `x :: xs`, `Node(l, v, r)`: no sub-matchers to call.
                Box::new(move |ctx, val| {
                    let fits = shape.fits(val);
                    if fits {
                        shape.bind(ctx, val);
                    }
                    Ok(fits)
                })
            }
            Pat::Cons(h, t) => {
                let (h, t) = (self.matcher(h), self.matcher(t));
                Box::new(move |ctx, val| match val {
                    Value::Cons(cell) => Ok(h(ctx, &cell.head)? && t(ctx, &cell.tail)?),
                    _ => Ok(false),
                })
            }
            Pat::Tuple(items) => {
                let items: Vec<_> = items.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| match val {
                    Value::Tuple(f) if f.0.len() == items.len() => all_match(&items, ctx, &f.0),
                    _ => Ok(false),
                })
            }
            Pat::Ctor(sym, items) => {
                let sym = *sym;
                let items: Vec<_> = items.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| match val {
                    Value::Atom(s) => Ok(*s == sym && items.is_empty()),
                    Value::Ctor(c) if c.name == sym && c.fields.len() == items.len() => {
                        all_match(&items, ctx, &c.fields)
                    }
                    _ => Ok(false),
                })
            }
            Pat::Or(alts) => {
                let alts: Vec<_> = alts.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| {
                    for m in &alts {
                        if m(ctx, val)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })
            }
        }
    }

    /// A `match`: the arms tried in order, pattern then guard; when none fits, a runtime
    /// error at `span`. Goes through [`Compiler::shape_match`] when it can.
    pub(super) fn match_(&self, scrut: &Ir, arms: &[Arm], span: Span) -> Code {
        if let Some(code) = self.shape_match(scrut, arms, span) {
            return code;
        }
        let scrut = self.expr(scrut);
        let arms: Vec<_> = arms
            .iter()
            .map(|a| {
                (
                    self.matcher(&a.pat),
                    a.guard.as_ref().map(|g| self.cond(g, span)),
                    self.expr(&a.body),
                )
            })
            .collect();
        Box::new(move |ctx, clo| {
            let v = scrut(ctx, clo)?;
            for (m, guard, body) in &arms {
                if !m(ctx, &v)? {
                    continue;
                }
                if let Some(g) = guard
                    && !g(ctx, clo)?
                {
                    continue;
                }
                // The arm's bindings hold what it needs: the body runs without `v` held here.
                drop(v);
                return body(ctx, clo);
            }
            let e = no_match(&v, span);
            drop(v);
            offered(ctx, clo, Err(e))
        })
    }

    /// A `match` whose arms have no guards and whose patterns are all [`Shape`]s: each arm
    /// is tested inline (no matcher calls), and a scrutinee that is a local is tested in
    /// place, copied only when the arm that fits binds one of its fields.
    fn shape_match(&self, scrut: &Ir, arms: &[Arm], span: Span) -> Option<Code> {
        // Every arm's shape first: no body is compiled for a `match` that turns out not to
        // be one (compiling them again for the general `match` would make the compile time
        // of nested matches exponential in their depth).
        let shapes: Vec<Shape> = arms
            .iter()
            .map(|a| match a.guard {
                None => self.shape(&a.pat),
                Some(_) => None,
            })
            .collect::<Option<_>>()?;
        if !self.specialising(Special::Shape) {
            return None;
        }
        let arms: Vec<(Shape, Code)> = shapes
            .into_iter()
            .zip(arms)
            .map(|(shape, a)| (shape, self.expr(&a.body)))
            .collect();
        if let Some(Operand::Local(slot)) = self.simple_operand(scrut) {
            let arms = match <[(Shape, Code); 2]>::try_from(arms) {
                Err(arms) => arms,
                Ok([(s0, b0), (s1, b1)]) => {
                    // Two arms, the commonest match (`[] => …, h :: t => …`, `Leaf => …,
                    // Node(l, v, r) => …`): tested one after the other, without a loop.
                    return Some(Box::new(move |ctx, clo| {
                        let v = ctx.local(slot);
                        if s0.fits(v) {
                            s0.bind_local(ctx, slot);
                            b0(ctx, clo)
                        } else if s1.fits(v) {
                            s1.bind_local(ctx, slot);
                            b1(ctx, clo)
                        } else {
                            let e = no_match(v, span);
                            offered(ctx, clo, Err(e))
                        }
                    }));
                }
            };
            return Some(Box::new(move |ctx, clo| {
                let v = ctx.local(slot);
                let Some((shape, body)) = arms.iter().find(|(shape, _)| shape.fits(v)) else {
                    let e = no_match(v, span);
                    return offered(ctx, clo, Err(e));
                };
                shape.bind_local(ctx, slot);
                body(ctx, clo)
            }));
        }
        let scrut = self.expr(scrut);
        Some(Box::new(move |ctx, clo| {
            let v = scrut(ctx, clo)?;
            let Some((shape, body)) = arms.iter().find(|(shape, _)| shape.fits(&v)) else {
                let e = no_match(&v, span);
                discard(v);
                return offered(ctx, clo, Err(e));
            };
            shape.bind(ctx, &v);
            discard(v);
            body(ctx, clo)
        }))
    }

    /// The [`Shape`] of a pattern, if it has one.
    fn shape(&self, p: &Pat) -> Option<Shape> {
        Some(match p {
            Pat::Wild => Shape::Any(None),
            Pat::Bind(v) => Shape::Any(Some(self.slot(*v))),
            Pat::Nil => Shape::Nil,
            Pat::Cons(h, t) => {
                let ht = bind_slots::<Vec<_>>(self, [&**h, &**t])?;
                Shape::Cons(ht[0], ht[1])
            }
            Pat::Ctor(sym, items)
                if !items.is_empty() && items.iter().all(|p| matches!(p, Pat::Wild)) =>
            {
                Shape::CtorOf(*sym, items.len())
            }
            Pat::Ctor(sym, items) => Shape::Ctor(*sym, bind_slots(self, items)?),
            _ => return None,
        })
    }
}

/// A pattern a `match` can test without calling a matcher: a value's tag (and, for a
/// constructor, its name and arity), with a name or `_` for each field.
enum Shape {
    /// `[]`
    Nil,
    /// `h :: t`: the slots `h` and `t` bind to (`None` for `_`).
    Cons(Option<usize>, Option<usize>),
    /// `Name` or `Name(a, b, …)`: the slots of the fields.
    Ctor(Symbol, Box<[Option<usize>]>),
    /// `Name(_, _, …)` with this many fields, binding nothing (its names, if any, are
    /// parts of the scrutinee: see [`Place::Part`](crate::ir::Place::Part)).
    CtorOf(Symbol, usize),
    /// A name or `_`: anything.
    Any(Option<usize>),
}

impl Shape {
    /// Whether `v` fits.
    #[inline(always)]
    fn fits(&self, v: &Value) -> bool {
        match (self, v) {
            (Shape::Nil, Value::Nil) | (Shape::Cons(..), Value::Cons(_)) | (Shape::Any(_), _) => {
                true
            }
            (Shape::Ctor(sym, fields), Value::Atom(s)) => s == sym && fields.is_empty(),
            (Shape::Ctor(sym, fields), Value::Ctor(c)) => {
                c.name == *sym && c.fields.len() == fields.len()
            }
            (Shape::CtorOf(sym, n), Value::Ctor(c)) => c.name == *sym && c.fields.len() == *n,
            _ => false,
        }
    }

    /// Binds the names of the shape to the parts of the value in local `slot`, which fits
    /// it, as [`Shape::bind`] does. Binding may replace that slot: the parts are bound from
    /// a handle on the list cell or the constructor (a reference count up and down, which
    /// moving the value out of its slot and back, or copying it whole, would cost more).
    #[inline(always)]
    fn bind_local(&self, ctx: &mut Ctx, slot: usize) {
        match (self, ctx.local(slot)) {
            (Shape::Cons(None, None), _)
            | (Shape::Nil | Shape::Any(None) | Shape::CtorOf(..), _) => {}
            (Shape::Cons(h, t), Value::Cons(cell)) => {
                let cell = cell.clone();
                bind_cons(ctx, (*h, *t), &cell);
            }
            (Shape::Ctor(_, slots), Value::Ctor(c)) => {
                let c = c.clone();
                bind_fields(ctx, slots, &c.fields);
            }
            (Shape::Any(Some(to)), v) => {
                let v = v.clone();
                set_slot(ctx, *to, v);
            }
            _ => {}
        }
    }

    /// Binds the names of the shape to the parts of `v`, which fits it.
    #[inline(always)]
    fn bind(&self, ctx: &mut Ctx, v: &Value) {
        match (self, v) {
            (Shape::Cons(h, t), Value::Cons(cell)) => bind_cons(ctx, (*h, *t), cell),
            (Shape::Ctor(_, slots), Value::Ctor(c)) => bind_fields(ctx, slots, &c.fields),
            (Shape::Any(slot), v) => bind_to(ctx, *slot, v),
            _ => {}
        }
    }
}

/// Binds the head and the tail of `cell` to the slots of `h :: t` (`None` for `_`).
#[inline(always)]
fn bind_cons(ctx: &mut Ctx, (h, t): (Option<usize>, Option<usize>), cell: &ConsCell) {
    bind_to(ctx, h, &cell.head);
    bind_to(ctx, t, &cell.tail);
}

/// Binds each field of a constructor to the slot of its name (`None` for `_`).
#[inline(always)]
fn bind_fields(ctx: &mut Ctx, slots: &[Option<usize>], fields: &[Value]) {
    for (slot, field) in slots.iter().zip(fields) {
        bind_to(ctx, *slot, field);
    }
}

/// The slots of patterns that are all names or `_` (`None` for `_`), or `None` if one is
/// anything else.
fn bind_slots<'p, C: FromIterator<Option<usize>>>(
    compiler: &Compiler,
    pats: impl IntoIterator<Item = &'p Pat>,
) -> Option<C> {
    pats.into_iter()
        .map(|p| match p {
            Pat::Wild => Some(None),
            Pat::Bind(v) => Some(Some(compiler.slot(*v))),
            _ => None,
        })
        .collect()
}

/// Whether each of `values` matches its matcher in `matchers`, tried in order until one does
/// not (binding the names of those tried).
fn all_match(matchers: &[Matcher], ctx: &mut Ctx, values: &[Value]) -> Result<bool, Ctrl> {
    for (m, v) in matchers.iter().zip(values) {
        if !m(ctx, v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Binds `val` to the slot of a name pattern (nothing for `_`).
#[inline(always)]
fn bind_to(ctx: &mut Ctx, slot: Option<usize>, val: &Value) {
    if let Some(slot) = slot {
        set_slot(ctx, slot, val.clone());
    }
}
