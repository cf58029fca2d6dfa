//! Calls.
//!
//! A call evaluates its callee, then its arguments left to right, and runs the callee on
//! them (see [`function`](crate::runtime::function) for the protocol); a call in tail
//! position leaves the callee to the caller's `invoke`, which reuses the frame. Calls of
//! built-ins, of top-level functions and of the function itself get closures of their own
//! ([`Special::Call`], [`Special::BuiltinArgs`]), which build no callee value (reading one
//! has no effect, so the order is kept).

use std::rc::Rc;

use super::failure::{err, offered};
use super::operands::Operand;
use super::operators::arith_slow;
use super::{CodeOf, Compiler, Special};
use crate::ir::{FnCell, Ir, Place};
use crate::operator::BinOp;
use crate::runtime::function::{
    Builtin, CallSite, Closure, Code, call_builtin, call_builtin_with, call_value, invoke,
    tail_call, tail_call_in_place,
};
use crate::runtime::value::{Value, discard};
use crate::runtime::{Ctrl, ErrorKind};
use crate::span::{SourceSpan, Span};

/// The error for calling a top-level function that is not defined yet.
#[cold]
#[inline(never)]
fn no_function(span: Span) -> Ctrl {
    err(ErrorKind::NotAFunction(None), span)
}

/// The place of a call as its closure holds it: its span alone (the callee's source stands
/// for the caller's), or with its source.
trait HeldSite: Copy + 'static {
    /// The place as the call protocol takes it.
    fn call_site(&self) -> impl CallSite + '_;
    /// The span.
    fn span(&self) -> Span;
}

impl HeldSite for Span {
    #[inline(always)]
    fn call_site(&self) -> impl CallSite + '_ {
        *self
    }

    #[inline(always)]
    fn span(&self) -> Span {
        *self
    }
}

impl HeldSite for SourceSpan {
    #[inline(always)]
    fn call_site(&self) -> impl CallSite + '_ {
        self
    }

    #[inline(always)]
    fn span(&self) -> Span {
        self.span
    }
}

/// The closure of the top-level function of `cell`, called at `span`.
#[inline(always)]
fn defined(cell: &FnCell, span: Span) -> Result<&Rc<Closure>, Ctrl> {
    cell.get().ok_or_else(|| no_function(span))
}

impl Compiler<'_> {
    /// A call; `tail` when it is in tail position (a call of a function then reuses the
    /// caller's frame). Built-ins, top-level functions and self-calls get closures of their
    /// own. Each closure compiles the arguments once (compiling them twice would make the
    /// compile time of nested calls exponential in their depth).
    pub(super) fn call(&self, callee: &Ir, args: &[Ir], tail: bool, span: Span) -> Code {
        let argc = args.len();
        match callee {
            Ir::Get(Place::Builtin(b))
                if (1..=2).contains(&argc)
                    && (b.min_arity..=b.max_arity).contains(&argc)
                    && b.performs.is_none()
                    && self.specialising(Special::BuiltinArgs) =>
            {
                self.builtin_with_args(b, args, span)
            }
            Ir::Get(Place::Builtin(b)) if self.specialising(Special::Call) => {
                let (b, push_args, at) = (*b, self.pusher(args), self.at(span));
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    call_builtin(ctx, b, argc, &at)
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if self.specialising(Special::Call) => {
                if tail {
                    self.tail_call_global(cell.clone(), args, span)
                } else {
                    self.call_global(cell.clone(), args, span)
                }
            }
            Ir::Get(Place::SelfFn) if !tail && self.specialising(Special::Call) => {
                let push_args = self.pusher(args);
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    invoke(ctx, clo, argc, span)
                })
            }
            _ => self.call_general(callee, args, tail, span),
        }
    }

    /// Code that pushes the values of `args` on the value stack.
    fn pusher(&self, args: &[Ir]) -> CodeOf<()> {
        self.args_pusher(args.iter().map(|a| self.arg(a)).collect())
    }

    /// A call of built-in `b`, which performs no operation, with one or two arguments, which
    /// it takes: `abs(x)`, `str(v)`, `max(a, b)`. The arguments are passed in an array on the native stack, not
    /// pushed on the value stack and truncated off it again, and their count was checked
    /// here.
    fn builtin_with_args(&self, b: &'static Builtin, args: &[Ir], span: Span) -> Code {
        let at = self.at(span);
        if let [x] = args {
            let x = self.arg(x);
            return Box::new(move |ctx, clo| {
                let v = x.value(ctx, clo)?;
                call_builtin_with(ctx, b, [v], &at)
            });
        }
        let (x, y) = (self.arg(&args[0]), self.arg(&args[1]));
        Box::new(move |ctx, clo| {
            let v = x.value(ctx, clo)?;
            let w = match y.value(ctx, clo) {
                Ok(w) => w,
                Err(c) => {
                    discard(v);
                    return Err(c);
                }
            };
            call_builtin_with(ctx, b, [v, w], &at)
        })
    }

    /// A call of the top-level function of `cell`, not in tail position. A function not yet
    /// defined when its caller is compiled is defined by the caller's own unit (a top-level
    /// function's cell is set once, when its unit runs): the call then holds its span alone,
    /// the callee's source standing for the caller's, and keeps nothing more across the call
    /// than the span (see [`CallSite`]). A function of another unit (an earlier REPL entry,
    /// the library) may come from another source: the call holds its own.
    fn call_global(&self, cell: FnCell, args: &[Ir], span: Span) -> Code {
        if cell.get().is_none() {
            self.call_global_at(cell, args, span)
        } else {
            self.call_global_at(cell, args, self.at(span))
        }
    }

    /// [`Compiler::call_global`], the place of the call held as `site`.
    fn call_global_at(&self, cell: FnCell, args: &[Ir], site: impl HeldSite) -> Code {
        let [arg] = args else {
            let (argc, push_args) = (args.len(), self.pusher(args));
            return Box::new(move |ctx, clo| {
                push_args(ctx, clo)?;
                invoke(ctx, defined(&cell, site.span())?, argc, site.call_site())
            });
        };
        // The commonest recursive call, `f(n - 1)`, without a separate argument pusher
        // and, for `local ± constant`, with the argument computed inline.
        if let Ir::Binary(op @ (BinOp::Add | BinOp::Sub), a, b, aspan) = arg
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
            return Box::new(move |ctx, clo| {
                let v = match (ctx.local(slot), delta) {
                    (Value::Int(x), Some(d)) if x.checked_add(d).is_some() => Value::Int(x + d),
                    (x, _) => {
                        let r = arith_slow(op, x, k, aspan);
                        offered(ctx, clo, r)?
                    }
                };
                ctx.stack.push(v);
                invoke(ctx, defined(&cell, site.span())?, 1, site.call_site())
            });
        }
        let arg = self.arg(arg);
        Box::new(move |ctx, clo| {
            arg.push(ctx, clo)?;
            invoke(ctx, defined(&cell, site.span())?, 1, site.call_site())
        })
    }

    /// A call of the top-level function of `cell` in tail position: no callee value is
    /// built. One and two arguments (`loop(i + 1)`, `go(i + 1, acc + i)`) are evaluated, then
    /// written straight over the frame's first slots; they are written out, as one closure
    /// generic over `[Arg; N]` (filling a `[Value; N]` in a loop) took more instructions
    /// (see benches/README.md). Their callee is matched where the arguments are moved, not
    /// taken by [`defined`] first: its early return, which drops the arguments, took more
    /// instructions.
    fn tail_call_global(&self, cell: FnCell, args: &[Ir], span: Span) -> Code {
        match args {
            [a] => {
                let a = self.arg(a);
                Box::new(move |ctx, clo| {
                    let v = a.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [v])),
                        None => Err(no_function(span)),
                    }
                })
            }
            [a, b] => {
                let (a, b) = (self.arg(a), self.arg(b));
                Box::new(move |ctx, clo| {
                    let x = a.value(ctx, clo)?;
                    let y = b.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [x, y])),
                        None => Err(no_function(span)),
                    }
                })
            }
            _ => {
                let (argc, push_args) = (args.len(), self.pusher(args));
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    Ok(tail_call(ctx, defined(&cell, span)?.clone(), argc))
                })
            }
        }
    }

    /// A call as the language defines it, whatever the callee: the callee's value, then
    /// the arguments, then the call of the value (a tail call when it is a function in tail
    /// position).
    fn call_general(&self, callee: &Ir, args: &[Ir], tail: bool, span: Span) -> Code {
        let (argc, callee, push_args) = (args.len(), self.expr(callee), self.pusher(args));
        let at = self.at(span);
        if tail {
            return Box::new(move |ctx, clo| {
                let f = callee(ctx, clo)?;
                push_args(ctx, clo)?;
                match f {
                    Value::Func(f) => Ok(tail_call(ctx, f, argc)),
                    other => call_value(ctx, &other, argc, &at),
                }
            });
        }
        Box::new(move |ctx, clo| {
            let f = callee(ctx, clo)?;
            push_args(ctx, clo)?;
            let result = call_value(ctx, &f, argc, &at);
            discard(f);
            result
        })
    }
}
