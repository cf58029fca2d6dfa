//! Calls.
//!
//! A call evaluates its callee, then its arguments left to right, and runs the callee on
//! them (see [`function`](crate::runtime::function) for the protocol); a call in tail
//! position leaves the callee to the caller's `invoke`, which reuses the frame. Calls of
//! built-ins, of top-level functions and of the function itself get closures of their own,
//! which build no callee value (reading one has no effect, so the order is kept).

use super::operands::{Operand, args_pusher};
use super::operators::arith_slow;
use super::{Compiler, err};
use crate::ir::{Ir, Place};
use crate::runtime::Ctrl;
use crate::runtime::function::{
    Code, call_builtin, call_builtin_with, call_value, invoke, tail_call, tail_call_in_place,
};
use crate::runtime::value::{Value, discard};
use crate::syntax::ast::{BinOp, Span};

/// The error for calling a top-level function that is not defined yet.
#[cold]
#[inline(never)]
fn no_function(span: Span) -> Ctrl {
    err("not a function: ()".to_string(), span)
}

impl Compiler<'_> {
    /// A call; `tail` when it is in tail position (a call of a function then reuses the
    /// caller's frame). Built-ins, top-level functions and self-calls get closures of their
    /// own.
    pub(super) fn call(&self, callee: &Ir, arg_irs: &[Ir], tail: bool, span: Span) -> Code {
        let argc = arg_irs.len();
        // Each shape below compiles the arguments once (compiling them twice would make
        // the compile time of nested calls exponential in their depth).
        let pusher = || args_pusher(arg_irs.iter().map(|a| self.arg(a)).collect());
        match callee {
            Ir::Get(Place::Builtin(b)) if argc == 1 && b.min_arity <= 1 && b.max_arity >= 1 => {
                // `abs(x)`, `str(v)`, `len(xs)`: the argument is passed in an array on the
                // native stack, not pushed on the value stack and truncated off it again,
                // and its count was checked here.
                let (b, arg) = (*b, self.arg(&arg_irs[0]));
                Box::new(move |ctx, clo| {
                    let v = arg.value(ctx, clo)?;
                    call_builtin_with(ctx, b, [v], span)
                })
            }
            Ir::Get(Place::Builtin(b)) if argc == 2 && b.min_arity <= 2 && b.max_arity >= 2 => {
                let (b, x, y) = (*b, self.arg(&arg_irs[0]), self.arg(&arg_irs[1]));
                Box::new(move |ctx, clo| {
                    let v = x.value(ctx, clo)?;
                    let w = match y.value(ctx, clo) {
                        Ok(w) => w,
                        Err(c) => {
                            discard(v);
                            return Err(c);
                        }
                    };
                    call_builtin_with(ctx, b, [v, w], span)
                })
            }
            Ir::Get(Place::Builtin(b)) => {
                let (b, push_args) = (*b, pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    call_builtin(ctx, b, argc, span)
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if !tail && argc == 1 => {
                // The commonest recursive call, `f(n - 1)`, without a separate argument pusher
                // and, for `local ± constant`, with the argument computed inline.
                let cell = cell.clone();
                if let Ir::Binary(op @ (BinOp::Add | BinOp::Sub), a, b, aspan) = &arg_irs[0]
                    && let (Some(Operand::Local(slot)), Some(Operand::Int(k))) =
                        (self.simple_operand(a), self.simple_operand(b))
                {
                    let (op, aspan) = (*op, *aspan);
                    // `n - k` as `n + (-k)`, unless `-k` overflows (then the general path).
                    let delta = if op == BinOp::Sub {
                        k.checked_neg()
                    } else {
                        Some(k)
                    };
                    return Box::new(move |ctx, _| {
                        let v = match (ctx.local(slot), delta) {
                            (Value::Int(x), Some(d)) if x.checked_add(d).is_some() => {
                                Value::Int(x + d)
                            }
                            (x, _) => arith_slow(op, x, k, aspan)?,
                        };
                        ctx.stack.push(v);
                        match cell.get() {
                            Some(f) => invoke(ctx, f, 1, span),
                            None => Err(no_function(span)),
                        }
                    });
                }
                let arg = self.arg(&arg_irs[0]);
                Box::new(move |ctx, clo| {
                    arg.push(ctx, clo)?;
                    match cell.get() {
                        Some(f) => invoke(ctx, f, 1, span),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if !tail => {
                let (cell, push_args) = (cell.clone(), pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    match cell.get() {
                        Some(f) => invoke(ctx, f, argc, span),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if argc == 1 => {
                // `loop(i + 1)` in tail position: the argument goes straight into the
                // frame's first slot. One and two arguments are written out: one closure
                // generic over `[Arg; N]` (filling a `[Value; N]` in a loop) took more
                // instructions (see benches/README.md).
                let (cell, arg) = (cell.clone(), self.arg(&arg_irs[0]));
                Box::new(move |ctx, clo| {
                    let v = arg.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [v])),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if argc == 2 => {
                // `go(i + 1, acc + i)`: both arguments are evaluated, then written over the
                // frame's first slots.
                let (cell, a, b) = (cell.clone(), self.arg(&arg_irs[0]), self.arg(&arg_irs[1]));
                Box::new(move |ctx, clo| {
                    let x = a.value(ctx, clo)?;
                    let y = b.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [x, y])),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) => {
                // A tail call of a top-level function: no callee value is built.
                let (cell, push_args) = (cell.clone(), pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call(ctx, f.clone(), argc)),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::SelfFn) if !tail => {
                let push_args = pusher();
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    invoke(ctx, clo, argc, span)
                })
            }
            _ => {
                let (callee, push_args) = (self.expr(callee), pusher());
                if tail {
                    Box::new(move |ctx, clo| {
                        let f = callee(ctx, clo)?;
                        push_args(ctx, clo)?;
                        match f {
                            Value::Func(f) => Ok(tail_call(ctx, f, argc)),
                            other => call_value(ctx, &other, argc, span),
                        }
                    })
                } else {
                    Box::new(move |ctx, clo| {
                        let f = callee(ctx, clo)?;
                        push_args(ctx, clo)?;
                        let result = call_value(ctx, &f, argc, span);
                        discard(f);
                        result
                    })
                }
            }
        }
    }
}
