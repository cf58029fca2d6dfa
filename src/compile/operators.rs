//! Operators, `a[i]`, and conditions.
//!
//! Arithmetic and comparisons have an int fast path inlined in their closures (see
//! [`Compiler::specialise`]), with closures of their own for the shapes of their operands;
//! anything else, and an int result that overflows, goes through [`ops::binary`], which
//! reports the error. A condition (of `if`, `while`, a guard, `and`/`or`/`not`) compiles to
//! code producing a `bool` directly. Invariant: a fast path gives what [`ops::binary`] would
//! on the same ints, or `None` to let it decide.

use super::failure::{err, offered};
use super::nesting::ViaValue;
use super::operands::Operand;
use super::vars::read_cell;
use super::{CodeOf, Compiler, Cond, Special};
use crate::ir::Ir;
use crate::operator::BinOp;
use crate::runtime::function::{Closure, Code};
use crate::runtime::value::{Value, discard};
use crate::runtime::{Ctrl, Ctx, R, ops};
use crate::span::Span;

/// Drops a result known to be `Ok` of an int: nothing to drop, which a plain drop (a call
/// to the drop glue) would not tell the compiler.
#[inline(always)]
fn forget_int(r: R) {
    debug_assert!(matches!(r, Ok(Value::Int(_))));
    std::mem::forget(r);
}

/// The operator on the int `i` and the result `y` of the second operand's code (whose
/// error passes on as it is; the operator's own is offered to a `Fail` handler).
#[inline(always)]
fn ints_then<T: ViaValue>(
    ctx: &mut Ctx,
    clo: &Closure,
    i: i64,
    y: R,
    fast: impl Fn(i64, i64) -> Option<T>,
    slow: impl Fn(&mut Ctx, &Closure, Value, Value) -> Result<T, Ctrl>,
) -> Result<T, Ctrl> {
    if let Ok(Value::Int(j)) = y {
        forget_int(y);
        return match fast(i, j) {
            Some(v) => Ok(v),
            None => slow(ctx, clo, Value::Int(i), Value::Int(j)),
        };
    }
    let y = y?;
    slow(ctx, clo, Value::Int(i), y)
}

/// The general path of a specialised operator, out of line and called last, so that the
/// inline fast paths keep nothing live across it: `op` on any two values, its error offered
/// to a `Fail` handler, its value turned into the result type by `finish`.
#[inline(never)]
fn general<T: ViaValue>(
    ctx: &mut Ctx,
    clo: &Closure,
    (op, span): (BinOp, Span),
    x: Value,
    y: Value,
    finish: impl Fn(Value, Span) -> Result<T, Ctrl>,
) -> Result<T, Ctrl> {
    let r = match ops::binary(op, &x, &y) {
        Ok(v) => finish(v, span),
        Err(m) => Err(err(m, span)),
    };
    drop((x, y));
    offered(ctx, clo, r)
}

/// The comparison `x op k` of a non-int `x` (kept out of line: the inline int test is the
/// hot path).
#[cold]
#[inline(never)]
pub(super) fn compare_slow(op: BinOp, x: &Value, k: i64, span: Span) -> Result<bool, Ctrl> {
    expect_bool(
        ops::binary(op, x, &Value::Int(k)).map_err(|m| err(m, span))?,
        span,
    )
}

/// `x op k` for a non-int `x` or on overflow, out of line.
#[cold]
#[inline(never)]
pub(super) fn arith_slow(op: BinOp, x: &Value, k: i64, span: Span) -> R {
    ops::binary(op, x, &Value::Int(k)).map_err(|m| err(m, span))
}

/// The boolean `v` is; a type error at `span` for anything else.
#[inline(always)]
fn expect_bool(v: Value, span: Span) -> Result<bool, Ctrl> {
    match v {
        Value::True => Ok(true),
        Value::False => Ok(false),
        other => Err(err(ops::expected_bool(&other), span)),
    }
}

impl Compiler<'_> {
    /// A unary operator (`not`, `-`): `op` of the operand's value.
    pub(super) fn unary(&self, op: fn(&Value) -> ops::OpResult, a: &Ir, span: Span) -> Code {
        let a = self.expr(a);
        Box::new(move |ctx, clo| {
            let r = op(&a(ctx, clo)?).map_err(|m| err(m, span));
            offered(ctx, clo, r)
        })
    }

    /// `a[i]`: reads the array in place when the array and the index are simple operands
    /// (reading those has no effect, so the order of evaluation is kept).
    pub(super) fn index(&self, a: &Ir, i: &Ir, span: Span) -> Code {
        if let (Some(a), Some(i)) = (self.source(a), self.source(i))
            && self.specialising(Special::Element)
        {
            return Box::new(move |ctx, clo| {
                let r = ops::index(a.read(ctx, clo), i.read(ctx, clo)).map_err(|m| err(m, span));
                offered(ctx, clo, r)
            });
        }
        let (a, i) = (self.expr(a), self.expr(i));
        Box::new(move |ctx, clo| {
            let a = a(ctx, clo)?;
            let i = i(ctx, clo)?;
            let r = ops::index(&a, &i).map_err(|m| err(m, span));
            offered(ctx, clo, r)
        })
    }

    /// `a and b`, or `a or b` when `is_or`: `b` runs only when `a` does not decide the
    /// result. `finish` makes the result of the boolean: a value, or the boolean itself for a
    /// condition.
    pub(super) fn short_circuit<T: 'static>(
        &self,
        a: &Ir,
        b: &Ir,
        span: Span,
        is_or: bool,
        finish: impl Fn(bool) -> T + Copy + 'static,
    ) -> CodeOf<T> {
        let (a, b) = (self.cond(a, span), self.cond(b, span));
        Box::new(move |ctx, clo| {
            let left = a(ctx, clo)?;
            if left == is_or {
                return Ok(finish(left));
            }
            Ok(finish(b(ctx, clo)?))
        })
    }

    /// A binary operator: arithmetic and comparisons with an int fast path (see
    /// [`Compiler::specialise`]), `::`, and the rest through [`ops::binary`].
    pub(super) fn binary(&self, op: BinOp, a: &Ir, b: &Ir, span: Span) -> Code {
        let as_value = |v, _| Ok(v);
        if is_comparison(op) && self.specialising(Special::Operator) {
            return by_comparison!(op, test => {
                let fast = move |x, y| Some(Value::bool(test(x, y)));
                self.specialise(op, a, b, span, fast, as_value)
            });
        }
        if is_arithmetic(op) && self.specialising(Special::Operator) {
            // Division by zero and overflow fall through to the general path, which reports
            // them.
            return by_arithmetic!(op, checked => {
                let fast = move |x, y| checked(x, y).map(Value::Int);
                self.specialise(op, a, b, span, fast, as_value)
            });
        }
        let (a, b) = (self.expr(a), self.expr(b));
        if op == BinOp::Cons {
            return Box::new(move |ctx, clo| {
                let x = a(ctx, clo)?;
                let y = b(ctx, clo)?;
                let r = ops::cons(x, y).map_err(|m| err(m, span));
                offered(ctx, clo, r)
            });
        }
        Box::new(move |ctx, clo| {
            let x = a(ctx, clo)?;
            let y = b(ctx, clo)?;
            let r = ops::binary(op, &x, &y).map_err(|m| err(m, span));
            offered(ctx, clo, r)
        })
    }

    /// An operator with an int–int fast path (`fast` returns `None` on overflow, which the
    /// general path then reports) and closures specialised to the operands' shapes. `finish`
    /// turns the general path's value into the result type (a value, or a boolean for a
    /// condition).
    fn specialise<T: ViaValue>(
        &self,
        op: BinOp,
        a: &Ir,
        b: &Ir,
        span: Span,
        fast: impl Fn(i64, i64) -> Option<T> + Copy + 'static,
        finish: impl Fn(Value, Span) -> Result<T, Ctrl> + Copy + 'static,
    ) -> CodeOf<T> {
        let slow = move |ctx: &mut Ctx, clo: &Closure, x: Value, y: Value| {
            general(ctx, clo, (op, span), x, y, finish)
        };
        if let Some(cell) = self.boxed_at(a)
            && let Some(y) = self.simple_operand(b).and_then(|b| b.source())
        {
            // `i > n`, `j == 0` on a shared `var` (a handler's state): the int is read in
            // its cell, without a call or a copy of the value.
            return Box::new(move |ctx, clo| {
                let storage = cell.storage(ctx, clo);
                if let Value::Cell(c) = storage
                    && let Value::Int(i) = *c.borrow()
                    && let Value::Int(j) = y.read(ctx, clo)
                    && let Some(v) = fast(i, *j)
                {
                    return Ok(v);
                }
                let x = read_cell(storage);
                let y = y.read(ctx, clo).clone();
                slow(ctx, clo, x, y)
            });
        }
        match (self.operand(a), self.operand(b)) {
            (Operand::Local(s), Operand::Int(k)) => Box::new(move |ctx, clo| {
                let x = ctx.local(s);
                if let Value::Int(i) = x
                    && let Some(v) = fast(*i, k)
                {
                    return Ok(v);
                }
                let x = x.clone();
                slow(ctx, clo, x, Value::Int(k))
            }),
            (Operand::Local(s), Operand::Local(t)) => Box::new(move |ctx, clo| {
                let (x, y) = (ctx.local(s), ctx.local(t));
                if let (Value::Int(i), Value::Int(j)) = (x, y)
                    && let Some(v) = fast(*i, *j)
                {
                    return Ok(v);
                }
                let (x, y) = (x.clone(), y.clone());
                slow(ctx, clo, x, y)
            }),
            (a, b) if let (Some(x), Some(y)) = (a.source(), b.source()) => {
                // Any other pair of locals, captured constants and ints: read in place.
                Box::new(move |ctx, clo| {
                    let (x, y) = (x.read(ctx, clo), y.read(ctx, clo));
                    if let (Value::Int(i), Value::Int(j)) = (x, y)
                        && let Some(v) = fast(*i, *j)
                    {
                        return Ok(v);
                    }
                    let (x, y) = (x.clone(), y.clone());
                    slow(ctx, clo, x, y)
                })
            }
            // Computed operands: `discard` tells the compiler that ints leave nothing to
            // drop, which a plain drop (a call to the drop glue) does not.
            (Operand::Code(a), Operand::Int(k)) => Box::new(move |ctx, clo| {
                let x = a(ctx, clo)?;
                if let Value::Int(i) = x
                    && let Some(v) = fast(i, k)
                {
                    discard(x);
                    return Ok(v);
                }
                slow(ctx, clo, x, Value::Int(k))
            }),
            (a, Operand::Code(b)) if let Some(x) = a.source() => Box::new(move |ctx, clo| {
                // `n * f(…)`: the simple operand is read (copied first: `b` may assign it).
                let Value::Int(i) = *x.read(ctx, clo) else {
                    let x = x.read(ctx, clo).clone();
                    let y = b(ctx, clo)?;
                    return slow(ctx, clo, x, y);
                };
                let y = b(ctx, clo);
                ints_then(ctx, clo, i, y, fast, slow)
            }),
            (a, b) => {
                let a = self.operand_code(a);
                let b = self.operand_code(b);
                Box::new(move |ctx, clo| {
                    // Results are matched where they are returned, and only the integer stays
                    // live across the second operand's code (LLVM copies a whole result
                    // byte by byte otherwise).
                    let x = a(ctx, clo);
                    if let Ok(Value::Int(i)) = x {
                        forget_int(x);
                        let y = b(ctx, clo);
                        return ints_then(ctx, clo, i, y, fast, slow);
                    }
                    let x = x?;
                    let y = b(ctx, clo)?;
                    slow(ctx, clo, x, y)
                })
            }
        }
    }

    /// Compiles a condition (of `if`, `while`, a guard, `and`/`or`/`not`) to code producing a
    /// boolean directly; anything but a boolean is a type error at `span` (see
    /// [`Compiler::nested`]).
    pub(super) fn cond(&self, ir: &Ir, span: Span) -> Cond {
        self.nested(ir, || self.cond_node(ir, span))
    }

    /// [`Compiler::cond`] of one node.
    fn cond_node(&self, ir: &Ir, span: Span) -> Cond {
        match ir {
            Ir::Binary(op, a, b, span)
                if is_comparison(*op) && self.specialising(Special::Operator) =>
            {
                by_comparison!(*op, test => {
                    self.specialise(*op, a, b, *span, move |x, y| Some(test(x, y)), expect_bool)
                })
            }
            Ir::Not(a, span) if self.specialising(Special::Condition) => {
                let a = self.cond(a, *span);
                Box::new(move |ctx, clo| Ok(!a(ctx, clo)?))
            }
            Ir::And(a, b, span) if self.specialising(Special::Condition) => {
                self.short_circuit(a, b, *span, false, |holds| holds)
            }
            Ir::Or(a, b, span) if self.specialising(Special::Condition) => {
                self.short_circuit(a, b, *span, true, |holds| holds)
            }
            other => {
                let e = self.expr(other);
                Box::new(move |ctx, clo| {
                    let r = expect_bool(e(ctx, clo)?, span);
                    offered(ctx, clo, r)
                })
            }
        }
    }
}

/// Whether `op` compares (`<`, `<=`, `>`, `>=`, `==`, `!=`).
pub(super) fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
    )
}

/// Whether `op` is arithmetic (`+`, `-`, `*`, `/`, `%`).
pub(super) fn is_arithmetic(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
    )
}

/// `by_comparison!(op, test => body)`: `body` with `test` bound to the integer test of the
/// comparison `op` (a closure `(i64, i64) -> bool`), compiled once per operator so that
/// the test is inlined into the code `body` builds. `op` must satisfy [`is_comparison`].
macro_rules! by_comparison {
    ($op:expr, $test:ident => $body:expr) => {
        match $op {
            BinOp::Lt => {
                let $test = |x: i64, y: i64| x < y;
                $body
            }
            BinOp::Le => {
                let $test = |x: i64, y: i64| x <= y;
                $body
            }
            BinOp::Gt => {
                let $test = |x: i64, y: i64| x > y;
                $body
            }
            BinOp::Ge => {
                let $test = |x: i64, y: i64| x >= y;
                $body
            }
            BinOp::Eq => {
                let $test = |x: i64, y: i64| x == y;
                $body
            }
            _ => {
                let $test = |x: i64, y: i64| x != y;
                $body
            }
        }
    };
}
pub(crate) use by_comparison;

/// `by_arithmetic!(op, fast => body)`: like [`by_comparison!`] for arithmetic, with `fast`
/// bound to the checked integer operation (`None` on overflow and division by zero). `op`
/// must satisfy [`is_arithmetic`].
macro_rules! by_arithmetic {
    ($op:expr, $fast:ident => $body:expr) => {
        match $op {
            BinOp::Add => {
                let $fast = |x: i64, y: i64| x.checked_add(y);
                $body
            }
            BinOp::Sub => {
                let $fast = |x: i64, y: i64| x.checked_sub(y);
                $body
            }
            BinOp::Mul => {
                let $fast = |x: i64, y: i64| x.checked_mul(y);
                $body
            }
            BinOp::Div => {
                let $fast = |x: i64, y: i64| x.checked_div(y);
                $body
            }
            _ => {
                let $fast = |x: i64, y: i64| x.checked_rem(y);
                $body
            }
        }
    };
}
pub(crate) use by_arithmetic;
