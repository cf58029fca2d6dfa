//! Variables: reading, assigning, binding (`let`, `for`, destructuring), updating in place
//! (`x = x + y`), and assigning an element (`a[i] = v`).
//!
//! A variable lives in a frame slot, in the closure's environment (captured), or in a
//! global cell; a variable that is shared and assigned (a captured `var`) is *boxed*: its
//! slot or environment entry holds a [`Value::Cell`]. A pattern's name may instead be a
//! *part* of its scrutinee, read from the scrutinee's slot (see [`Place::Part`]).

use std::rc::Rc;

use super::failure::{err, offered};
use super::functions::self_value;
use super::operands::{Operand, copy_value, read_local};
use super::operators::by_arithmetic;
use super::{Binder, Compiler, Special, Stmt};
use crate::ir::{Bind, Ir, Part, Place};
use crate::operator::BinOp;
use crate::runtime::effects::raise;
use crate::runtime::function::{Closure, Code};
use crate::runtime::value::{Value, discard, overwrite};
use crate::runtime::{Ctrl, Ctx, ErrorKind, R, ops, print};
use crate::span::Span;

/// Stores `v` in frame slot `slot`, dropping the old value cheaply.
#[inline(always)]
pub(super) fn set_slot(ctx: &mut Ctx, slot: usize, v: Value) {
    overwrite(ctx.local_mut(slot), v);
}

/// `arr[idx] = val` (see [`ops::store`]), an error located at `span`, inlined into both
/// closures of `a[i] = v` (a call of it cost `loop` 12 instructions a store).
#[inline(always)]
fn store_at(arr: &Value, idx: &Value, val: Value, span: Span) -> Result<(), Ctrl> {
    ops::store(arr, idx, val).map_err(|m| err(m, span))
}

/// The variable an update in place (`x = x + y`) writes: a frame slot (holding the value, or
/// the cell of a shared variable) or a captured variable's cell.
#[derive(Clone, Copy)]
enum Updated {
    /// Frame slot `n`.
    Slot(usize),
    /// Captured variable `n` of the running closure.
    Capture(usize),
}

/// `f` of the storage of the variable at `at`: the slot, or the content of its cell.
fn with_variable<T>(
    ctx: &mut Ctx,
    clo: &Closure,
    at: Updated,
    f: impl FnOnce(&mut Value) -> T,
) -> Option<T> {
    match at {
        Updated::Slot(s) => match ctx.local_mut(s) {
            Value::Cell(cell) => Some(f(&mut cell.borrow_mut())),
            slot => Some(f(slot)),
        },
        Updated::Capture(i) => match clo.env.at(i) {
            Value::Cell(cell) => Some(f(&mut cell.borrow_mut())),
            _ => None,
        },
    }
}

/// `x = x op y` for the variable at `at` when it is not the int–int case: by [`ops::binary`].
/// If the operation fails, its error is offered to a `Fail` handler, and the variable then
/// holds the handler's resume value, as if the operation had made it.
#[cold]
#[inline(never)]
fn update_slow(
    ctx: &mut Ctx,
    clo: &Closure,
    at: Updated,
    y: &Value,
    op: BinOp,
    span: Span,
) -> Result<(), Ctrl> {
    let done = with_variable(ctx, clo, at, |x| match ops::binary(op, x, y) {
        Ok(r) => {
            discard(std::mem::replace(x, r));
            Ok(())
        }
        Err(kind) => Err(kind),
    });
    let failed = match done {
        Some(Ok(())) => return Ok(()),
        Some(Err(kind)) => err(kind, span),
        None => err(
            ErrorKind::Internal("assigning a captured constant".to_string()),
            span,
        ),
    };
    let v: Value = offered(ctx, clo, Err(failed))?;
    if let Some(old) = with_variable(ctx, clo, at, |x| std::mem::replace(x, v)) {
        discard(old);
    }
    Ok(())
}

/// Reads a variable's storage: the content of a cell, or the value itself.
#[inline(always)]
pub(super) fn read_cell(v: &Value) -> Value {
    match v {
        Value::Cell(c) => c.borrow().clone(),
        other => other.clone(),
    }
}

/// Writes a boxed variable's cell (or, for an unboxed slot, the slot itself).
#[inline(always)]
pub(super) fn write_cell(slot: &mut Value, v: Value) {
    let old = match slot {
        Value::Cell(c) => std::mem::replace(&mut *c.borrow_mut(), v),
        other => std::mem::replace(other, v),
    };
    discard(old);
}

/// The `part` of a matched value `v` (see [`Place::Part`]), if it has it.
#[inline(always)]
fn part_of(v: &Value, part: Part) -> Option<&Value> {
    match (v, part) {
        (Value::Ctor(c), Part::Field(i)) => c.fields.get(i),
        (Value::Cons(cell), Part::Head) => Some(&cell.head),
        (Value::Cons(cell), Part::Tail) => Some(&cell.tail),
        _ => None,
    }
}

/// `part` of the scrutinee `v` holds (see [`Place::Part`]), if it has it.
#[inline(always)]
pub(super) fn part_value(v: &Value, part: Part) -> Option<Value> {
    match part_of(v, part) {
        Some(v) => Some(copy_value(v)),
        None => boxed_part(v, part),
    }
}

/// Reads `part` of local `slot` (see [`Place::Part`]).
#[inline(always)]
fn read_part(ctx: &Ctx, slot: usize, part: Part) -> R {
    part_value(ctx.local(slot), part).ok_or_else(part_missing)
}

/// `part` of the value in the cell `v` holds: the scrutinee of a part may be a boxed `let`
/// (one captured by a function declared before it), whose cell is written only when
/// the `let` runs.
#[cold]
fn boxed_part(v: &Value, part: Part) -> Option<Value> {
    match v {
        Value::Cell(c) => part_of(&c.borrow(), part).cloned(),
        _ => None,
    }
}

/// The error for a pattern's name read where its scrutinee lacks the part: never, as the
/// arm that names it runs only on a value that has it, and nothing can assign the
/// scrutinee's slot meanwhile.
#[cold]
fn part_missing() -> Ctrl {
    ErrorKind::Internal("a pattern's name was read from a value without it".to_string())
        .at(Span::default())
        .into()
}

impl Compiler<'_> {
    /// Code that reads a variable where it lives.
    pub(super) fn get(&self, place: &Place) -> Code {
        match place.clone() {
            Place::Local(v) => {
                let slot = self.slot(v);
                if self.boxed(v) {
                    Box::new(move |ctx, _| Ok(read_cell(ctx.local(slot))))
                } else {
                    Box::new(move |ctx, _| read_local(ctx, slot))
                }
            }
            Place::Part(v) => match self.unit.vars[v].alias {
                Some((of, part)) => {
                    let slot = self.slot(of);
                    Box::new(move |ctx, _| read_part(ctx, slot, part))
                }
                None => {
                    let slot = self.slot(v);
                    Box::new(move |ctx, _| read_local(ctx, slot))
                }
            },
            Place::Capture(i, v) => {
                if self.boxed(v) {
                    Box::new(move |_, clo| Ok(read_cell(clo.env.at(i))))
                } else {
                    Box::new(move |_, clo| Ok(clo.env.at(i).clone()))
                }
            }
            Place::Global(cell) => Box::new(move |_, _| Ok(cell.borrow().clone())),
            Place::GlobalFn(cell, _) => Box::new(move |_, _| {
                Ok(match cell.get() {
                    Some(c) => Value::Func(c.clone()),
                    None => Value::Unit,
                })
            }),
            Place::SelfFn => Box::new(|_, clo| Ok(self_value(clo))),
            Place::Builtin(b) => Box::new(move |_, _| Ok(Value::Builtin(b))),
        }
    }

    /// Code that assigns the value of `e` to a variable: a local or captured `var`, or a
    /// global. Nothing else can be assigned (the resolver rejects it).
    pub(super) fn set(&self, place: &Place, e: Code) -> Stmt {
        match place.clone() {
            Place::Local(v) => {
                let slot = self.slot(v);
                Box::new(move |ctx, clo| {
                    let val = e(ctx, clo)?;
                    write_cell(ctx.local_mut(slot), val);
                    Ok(())
                })
            }
            Place::Capture(i, _) => Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                if let Value::Cell(c) = clo.env.at(i) {
                    discard(std::mem::replace(&mut *c.borrow_mut(), val));
                }
                Ok(())
            }),
            Place::Global(cell) => Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                discard(std::mem::replace(&mut *cell.borrow_mut(), val));
                Ok(())
            }),
            Place::GlobalFn(..) | Place::SelfFn | Place::Builtin(_) | Place::Part(..) => {
                unreachable!("the resolver rejects assignments to functions and pattern names")
            }
        }
    }

    /// Code that binds `bind` to a value (for `let`, `for` and destructuring).
    pub(super) fn binder(&self, bind: &Bind) -> Binder {
        match bind {
            Bind::Wild => Rc::new(|_, _| Ok(())),
            Bind::Var(v) => {
                let slot = self.slot(*v);
                if self.boxed(*v) {
                    Rc::new(move |ctx, val| {
                        write_cell(ctx.local_mut(slot), val);
                        Ok(())
                    })
                } else {
                    Rc::new(move |ctx, val| {
                        set_slot(ctx, slot, val);
                        Ok(())
                    })
                }
            }
            Bind::Tuple(items, span) => {
                let items: Vec<_> = items.iter().map(|b| self.binder(b)).collect();
                let at = self.at(*span);
                // A value that does not fit is a runtime error; a `Fail` handler's resume
                // value is bound instead.
                Rc::new(move |ctx, mut val| {
                    loop {
                        match &val {
                            Value::Tuple(fields) if fields.0.len() == items.len() => {
                                for (b, f) in items.iter().zip(fields.0.iter()) {
                                    b(ctx, f.clone())?;
                                }
                                return Ok(());
                            }
                            other => {
                                let kind = ErrorKind::TupleMismatch {
                                    value: print::show_cut(other),
                                    size: items.len(),
                                };
                                // (Never in a leaf clause: see `Ir::calls_out`.)
                                val = raise(ctx, kind, at)?;
                            }
                        }
                    }
                })
            }
        }
    }

    /// Code for `let`/`var`: evaluates `e` and binds it; an unboxed variable gets it
    /// straight in its slot.
    pub(super) fn let_(&self, bind: &Bind, e: Code) -> Stmt {
        if let Bind::Var(v) = bind
            && !self.boxed(*v)
            && self.specialising(Special::Statement)
        {
            let slot = self.slot(*v);
            return Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                set_slot(ctx, slot, val);
                Ok(())
            });
        }
        let b = self.binder(bind);
        Box::new(move |ctx, clo| {
            let val = e(ctx, clo)?;
            b(ctx, val)?;
            Ok(())
        })
    }

    /// `x = x + y`, `x = x - y`, `x = x * y` for a local or captured variable `x` and a local
    /// or constant `y`: updated in place, without reading `x` out and writing it back. `None`
    /// for any other assignment.
    pub(super) fn update(&self, place: &Place, e: &Ir) -> Option<Stmt> {
        let Ir::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), x, y, span) = e else {
            return None;
        };
        let same = match (place, &**x) {
            (Place::Local(v), Ir::Get(Place::Local(w))) => v == w,
            (Place::Capture(i, _), Ir::Get(Place::Capture(j, _))) => i == j,
            _ => false,
        };
        let y = self.simple_operand(y).filter(|_| same)?;
        if !self.specialising(Special::Update) {
            return None;
        }
        let (op, span) = (*op, *span);
        Some(by_arithmetic!(op, fast => self.update_with(place, y, op, span, fast)))
    }

    /// The closure of [`Compiler::update`] for the shapes of the variable (a local or a
    /// captured variable) and the operand (a simple one); `fast` is the checked integer
    /// operation of `op`.
    fn update_with(
        &self,
        place: &Place,
        y: Operand,
        op: BinOp,
        span: Span,
        fast: impl Fn(i64, i64) -> Option<i64> + Copy + 'static,
    ) -> Stmt {
        // The int–int case in place; anything else, an overflow included, out of line.
        let ints = move |x: &mut Value, y: &Value| {
            if let (Value::Int(i), Value::Int(j)) = (&mut *x, y)
                && let Some(r) = fast(*i, *j)
            {
                *i = r;
                return true;
            }
            false
        };
        let simple = "an update's operand is simple";
        match (place, y) {
            (Place::Local(v), Operand::Int(k)) if !self.boxed(*v) => {
                let (s, k) = (self.slot(*v), Value::Int(k));
                Box::new(move |ctx, clo| {
                    if ints(ctx.local_mut(s), &k) {
                        return Ok(());
                    }
                    update_slow(ctx, clo, Updated::Slot(s), &k, op, span)
                })
            }
            (Place::Local(v), Operand::Local(t)) if !self.boxed(*v) => {
                let s = self.slot(*v);
                Box::new(move |ctx, clo| {
                    if let Value::Int(j) = *ctx.local(t)
                        && ints(ctx.local_mut(s), &Value::Int(j))
                    {
                        return Ok(());
                    }
                    let y = ctx.local(t).clone();
                    let done = update_slow(ctx, clo, Updated::Slot(s), &y, op, span);
                    discard(y);
                    done
                })
            }
            (Place::Local(v), y) => {
                let (s, y) = (self.slot(*v), y.source().expect(simple));
                Box::new(move |ctx, clo| {
                    let done = match (ctx.local(s), y.read(ctx, clo)) {
                        (Value::Cell(c), y) => ints(&mut c.borrow_mut(), y),
                        (_, &Value::Int(j)) => ints(ctx.local_mut(s), &Value::Int(j)),
                        _ => false,
                    };
                    if done {
                        return Ok(());
                    }
                    let y = y.read(ctx, clo).clone();
                    let done = update_slow(ctx, clo, Updated::Slot(s), &y, op, span);
                    discard(y);
                    done
                })
            }
            (Place::Capture(i, _), y) => {
                let (i, y) = (*i, y.source().expect(simple));
                Box::new(move |ctx, clo| {
                    if let Value::Cell(c) = clo.env.at(i)
                        && ints(&mut c.borrow_mut(), y.read(ctx, clo))
                    {
                        return Ok(());
                    }
                    let y = y.read(ctx, clo).clone();
                    let done = update_slow(ctx, clo, Updated::Capture(i), &y, op, span);
                    discard(y);
                    done
                })
            }
            _ => unreachable!("an update is of a local or a captured variable"),
        }
    }

    /// Code for `a[i] = v`; when the array is a local and the index and value are simple
    /// operands, all are read in place.
    pub(super) fn set_index(&self, a: &Ir, i: &Ir, v: &Ir, span: Span) -> Stmt {
        if let (Some(Operand::Local(s)), Some(i), Some(v)) =
            (self.simple_operand(a), self.source(i), self.source(v))
            && self.specialising(Special::Element)
        {
            // Only simple operands: nothing is evaluated but reads, so they are read in
            // place and the array is written in place.
            return Box::new(move |ctx, clo| {
                let val = v.read(ctx, clo).clone();
                let r = store_at(ctx.local(s), i.read(ctx, clo), val, span);
                offered(ctx, clo, r)
            });
        }
        let (a, i, v) = (self.expr(a), self.expr(i), self.expr(v));
        Box::new(move |ctx, clo| {
            let arr = a(ctx, clo)?;
            let idx = i(ctx, clo)?;
            let val = v(ctx, clo)?;
            let r = store_at(&arr, &idx, val, span);
            offered(ctx, clo, r)
        })
    }
}
