//! Functions: compiled prototypes, closures, built-ins, and the call protocol.
//!
//! # Calling convention
//! Each continuation has its own value stack (`Ctx::stack`). A caller pushes the arguments
//! and calls [`invoke`]; the arguments become slots `0..arity` of the callee's frame, which
//! is extended with `()` up to the prototype's frame size. `Ctx::base` points at slot 0 of
//! the running frame. On exit the frame is truncated away, so the stack is exactly as the
//! caller left it before pushing the arguments.
//!
//! A call in tail position does not nest: it moves its arguments into the current frame's
//! first slots ([`tail_call`], [`tail_call_in_place`]), leaves the callee in
//! [`Ctx::tail_callee`] and returns; [`invoke`]'s loop then runs the callee in the same
//! frame. Self tail calls therefore run in constant native and value stack.
//!
//! A built-in takes its arguments as a slice: those on top of the value stack
//! ([`call_builtin`]), or an array on the native stack when the compiler knows their count
//! ([`call_builtin_with`]).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use crate::runtime::effects::{OpId, OpSite, READ_LINE, perform, perform_one, raise};
use crate::runtime::extension::extend_stack;
use crate::runtime::value::{Value, Values, discard, overwrite, truncate_stack};
use crate::runtime::{Arity, Ctrl, Ctx, ErrorKind, R, Vm};
use crate::span::{SourceSpan, Span};
use crate::stack;

/// Compiled code: a Rust closure made once from a syntax node. It receives the running
/// continuation's context and the closure whose body it belongs to (for captured variables).
pub type Code = Box<dyn Fn(&mut Ctx, &Closure) -> R>;

/// What the compiler produces for one function: its code and frame layout.
pub struct Proto {
    /// The name shown in backtraces and when printed (`<fn>` for anonymous functions).
    pub name: Rc<str>,
    /// Number of parameters.
    pub arity: usize,
    /// Number of value-stack slots of a frame (parameters first).
    pub nslots: usize,
    /// The body.
    pub body: Code,
    /// Whether the body nests so deeply that dropping it could exhaust a program's stack
    /// (see [`drop_deferred_code`]).
    pub deep: bool,
    /// Which source text the function comes from (an index into the session's source map).
    pub source: u32,
    /// Whether it is a handler clause that runs as a *leaf* (see
    /// [`ClauseKind::Leaf`](crate::runtime::effects::ClauseKind)): without a mask, so that
    /// an error it raises must find its handler to go past it (`effects::raise`).
    pub leaf_clause: bool,
}

thread_local! {
    /// The bodies of deeply nested prototypes dropped while a program ran, kept for
    /// [`drop_deferred_code`].
    static DEFERRED_CODE: RefCell<Vec<Code>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Proto {
    /// Dropping compiled code recurses natively, a level per level of nesting: a deeply
    /// nested body is not dropped on the program's stack, where the last closure over it
    /// may go, but kept until [`drop_deferred_code`].
    fn drop(&mut self) {
        if self.deep {
            let body = std::mem::replace(&mut self.body, Box::new(|_, _| Ok(Value::Unit)));
            // While the thread ends, the list may be gone (this prototype was in it, or in
            // what a value left at exit held): the body is then dropped here, on the front
            // end's stack that the thread's values are dropped on.
            let _ = DEFERRED_CODE.try_with(|deferred| deferred.borrow_mut().push(body));
        }
    }
}

/// Drops the deeply nested code whose prototypes were dropped since the last call. Called
/// on the front end's stack (made for the deepest nesting the resolver allows) once a
/// program or an entry has run.
pub fn drop_deferred_code() {
    loop {
        let batch = DEFERRED_CODE.with(|deferred| std::mem::take(&mut *deferred.borrow_mut()));
        if batch.is_empty() {
            return;
        }
        drop(batch);
    }
}

/// A function value: a prototype and the variables it captured.
pub struct Closure {
    /// The compiled function.
    pub proto: Rc<Proto>,
    /// Captured variables: boxed [`Value::Cell`]s for shared mutable variables, plain values
    /// for immutable ones.
    pub env: Values,
    /// A weak reference to this closure itself, so that a function can refer to itself
    /// without a reference cycle. Empty for a `handle` body, which is built on its fiber's
    /// stack (`effects::Body::Parts`) and has no name to refer to itself by.
    pub me: Weak<Closure>,
}

impl Closure {
    /// A new closure over `env`.
    pub fn new(proto: Rc<Proto>, env: Values) -> Rc<Closure> {
        Rc::new_cyclic(|me| Closure {
            proto,
            env,
            me: me.clone(),
        })
    }
}

/// The signature of a built-in function's implementation: it gets the shared VM state and its
/// arguments (which it may take). An error is its kind; the call site adds the location.
pub type BuiltinFn = fn(&Vm, &mut [Value]) -> Result<Value, Box<ErrorKind>>;

/// A built-in function.
pub struct Builtin {
    /// Its name, as in the language reference (`docs/language.md`).
    pub name: &'static str,
    /// The smallest number of arguments it takes.
    pub min_arity: usize,
    /// The largest number of arguments it takes.
    pub max_arity: usize,
    /// Its implementation.
    pub run: BuiltinFn,
    /// The operation it performs with what `run` gives, if it performs one (`print`, a
    /// `Print` of its text): its value is then what that operation gives.
    pub performs: Option<OpId>,
}

/// Where a call is written, as the call protocol needs it: the span an error escaping the
/// callee records in its backtrace, and the source text that span is in, for an error
/// raised at the call itself (a wrong number of arguments), which a `Fail` handler may
/// catch and whose continuation then prints that place.
///
/// The compiler's calls pass a reference to the [`SourceSpan`] their closure holds (the
/// source is read only when an error is raised there). A [`Span`] alone stands for a place
/// in the callee's own source: the compiler's calls of a top-level function of the caller's
/// unit, and the runtime's own calls (a clause, a `handle` body, a `return` clause, a call
/// moved to a stack extension), whose number of arguments always fits, so that only a tail
/// call the callee makes with the wrong number is raised there (a clause resumed from
/// another REPL entry then names the clause's source).
pub trait CallSite: Copy {
    /// The span of the call.
    fn span(self) -> Span;
    /// The source text the call is in; `callee` is the function called there.
    fn source(self, callee: &Proto) -> u32;
}

impl CallSite for Span {
    #[inline(always)]
    fn span(self) -> Span {
        self
    }

    #[inline(always)]
    fn source(self, callee: &Proto) -> u32 {
        callee.source
    }
}

impl CallSite for &SourceSpan {
    #[inline(always)]
    fn span(self) -> Span {
        self.span
    }

    #[inline(always)]
    fn source(self, _: &Proto) -> u32 {
        self.source
    }
}

/// Runs `clo` on the `argc` arguments on top of the value stack, following tail calls.
///
/// `site` is where the call is written (see [`CallSite`]); it is recorded in the backtrace
/// of an error that escapes the callee.
#[inline(always)]
pub fn invoke(ctx: &mut Ctx, clo: &Closure, argc: usize, site: impl CallSite) -> R {
    invoke_extending(ctx, clo, argc, site, extend_stack)
}

/// How a call continues where the running native stack is nearly exhausted: on a stack
/// extension, which it makes (see [`extend_stack`]).
pub type Extend = fn(&mut Ctx, &Closure, usize, Span) -> R;

/// [`invoke`], where a call that finds the stack nearly exhausted continues by `extend`
/// instead of [`extend_stack`] (a fast-path handler clause's, on an extension that does not
/// count towards the continuation's budget). The common path is the same code.
#[inline(always)]
pub fn invoke_extending(
    ctx: &mut Ctx,
    clo: &Closure,
    argc: usize,
    site: impl CallSite,
    extend: Extend,
) -> R {
    let proto = &*clo.proto;
    if argc != proto.arity || stack::approximate_sp() < ctx.limit {
        return invoke_unusual(ctx, clo, argc, site.span(), site.source(proto), extend);
    }
    run_frame(ctx, clo, argc, site)
}

/// [`invoke`] without its checks, for a call on a continuation's last allowed stack
/// extension, where every call takes the unusual path (see
/// [`extend_stack`]), once the stack is found to have room and the argument count to fit.
#[inline(never)]
pub(crate) fn invoke_unchecked(ctx: &mut Ctx, clo: &Closure, argc: usize, site: Span) -> R {
    run_frame(ctx, clo, argc, site)
}

/// The work of [`invoke`] once the call is known to fit: the frame, the body, the tail calls
/// it makes.
#[inline(always)]
fn run_frame(ctx: &mut Ctx, clo: &Closure, argc: usize, site: impl CallSite) -> R {
    let proto = &*clo.proto;
    let span = site.span();
    let saved_base = ctx.base;
    let base = ctx.stack.len() - argc;
    ctx.base = base;
    open_frame(&mut ctx.stack, proto.nslots - argc);
    let result = (proto.body)(ctx, clo);
    // A body that ends in a tail call returns `()`, dropped inline (kept until the end of
    // the match, it was dropped by a call to `Value`'s drop glue).
    let result = match result {
        Ok(v) if ctx.tail_callee.is_none() => Ok(v),
        Ok(v) => {
            discard(v);
            follow_tail_calls(ctx, base, site.source(proto), span)
        }
        // `return f(x)`: a tail call inside a `return`.
        Err(c) => match leave(c, proto, span) {
            Ok(v) if ctx.tail_callee.is_some() => {
                discard(v);
                follow_tail_calls(ctx, base, site.source(proto), span)
            }
            other => other,
        },
    };
    truncate_stack(&mut ctx.stack, base);
    ctx.base = saved_base;
    result
}

/// A call in tail position: moves the `argc` arguments on top of the value stack into the
/// frame's first slots and leaves the call to the caller's `invoke`, which reuses the frame.
/// Returns what the calling body returns meanwhile, `()`.
#[inline(always)]
pub fn tail_call(ctx: &mut Ctx, f: Rc<Closure>, argc: usize) -> Value {
    let top = ctx.stack.len() - argc;
    let base = ctx.base;
    for i in 0..argc {
        ctx.stack.swap(base + i, top + i);
    }
    ctx.tail_argc = argc;
    ctx.tail_callee = Some(f);
    Value::Unit
}

/// A tail call with the arguments `args`, already evaluated: they replace the frame's
/// first slots (a frame smaller than that grows by the rest), where [`tail_call`] pushes
/// them and then swaps them down.
#[inline(always)]
pub fn tail_call_in_place<const N: usize>(
    ctx: &mut Ctx,
    f: Rc<Closure>,
    args: [Value; N],
) -> Value {
    for (i, v) in args.into_iter().enumerate() {
        if ctx.stack.len() > ctx.base + i {
            overwrite(ctx.local_mut(i), v);
        } else {
            ctx.stack.push(v);
        }
    }
    ctx.tail_argc = N;
    ctx.tail_callee = Some(f);
    Value::Unit
}

/// Adds `n` slots holding `()` for a frame's locals: up to two inline, more by a call.
#[inline(always)]
fn open_frame(stack: &mut Vec<Value>, n: usize) {
    match n {
        0 => {}
        1 => stack.push(Value::Unit),
        2 => {
            stack.push(Value::Unit);
            stack.push(Value::Unit);
        }
        n => grow_frame(stack, n),
    }
}

/// Adds `n` slots holding `()` for the frame's locals (`open_frame` adds up to two): three
/// or four at once, more four at a time. Each extension by an array is one capacity check
/// and plain writes; a push each would check the capacity each time, and an iterator of
/// known length or `Vec::resize` took more instructions (see benches/README.md).
#[inline(never)]
fn grow_frame(stack: &mut Vec<Value>, n: usize) {
    match n {
        3 => stack.extend([Value::Unit, Value::Unit, Value::Unit]),
        4 => stack.extend([Value::Unit, Value::Unit, Value::Unit, Value::Unit]),
        mut n => {
            while n >= 4 {
                stack.extend([Value::Unit, Value::Unit, Value::Unit, Value::Unit]);
                n -= 4;
            }
            stack.extend((0..n).map(|_| Value::Unit));
        }
    }
}

/// A call that needs more than the common path: a wrong argument count (raised at `site` of
/// `source`), or a stack so nearly exhausted that the call continues on a stack extension,
/// by `extend`.
#[cold]
#[inline(never)]
fn invoke_unusual(
    ctx: &mut Ctx,
    clo: &Closure,
    argc: usize,
    site: Span,
    source: u32,
    extend: Extend,
) -> R {
    if argc != clo.proto.arity {
        let at = SourceSpan { source, span: site };
        return arity_mismatch(ctx, &clo.proto, argc, at);
    }
    extend(ctx, clo, argc, site)
}

/// Runs the pending tail calls of the frame at `base`, one after another in that frame,
/// until one returns without another; errors leave through the last callee. A tail call
/// with the wrong number of arguments is raised at `site` of `source`, the call of the
/// frame's function.
#[inline(never)]
fn follow_tail_calls(ctx: &mut Ctx, base: usize, source: u32, site: Span) -> R {
    while let Some(next) = ctx.tail_callee.take() {
        let argc = ctx.tail_argc;
        truncate_stack(&mut ctx.stack, base + argc);
        let proto = &*next.proto;
        if argc != proto.arity {
            let at = SourceSpan { source, span: site };
            return arity_mismatch(ctx, proto, argc, at);
        }
        ctx.poll(site)?;
        open_frame(&mut ctx.stack, proto.nslots - argc);
        // A callee that made a tail call of its own returned `()`: dropped inline, with no
        // call to `Value`'s drop glue (which overwriting a result kept across iterations
        // made, once per tail call).
        match (proto.body)(ctx, &next) {
            Ok(v) if ctx.tail_callee.is_none() => return Ok(v),
            Ok(v) => discard(v),
            Err(c) => match leave(c, proto, site) {
                Ok(v) if ctx.tail_callee.is_some() => discard(v),
                other => return other,
            },
        }
    }
    // Only with no tail call pending to begin with, which the callers rule out.
    Ok(Value::Unit)
}

/// The error for calling `proto` with `argc` arguments (which it drops from the stack) at
/// `at`.
#[cold]
fn arity_mismatch(ctx: &mut Ctx, proto: &Proto, argc: usize, at: SourceSpan) -> R {
    ctx.stack.truncate(ctx.stack.len() - argc);
    let kind = ErrorKind::WrongArity {
        name: proto.name.clone(),
        expects: Arity::exactly(proto.arity),
        got: argc,
    };
    raise(ctx, kind, at)
}

/// Unwinding out of a function: `return` ends here; an error records the frame; anything
/// else passes through (without reallocating: unwinding a deep recursion stays cheap).
#[cold]
fn leave(c: Ctrl, proto: &Proto, site: Span) -> R {
    c.leave_call(|e| e.leave_function(&proto.name, proto.source, site))
}

/// Calls any callable value on the `argc` arguments on top of the value stack, at `at`.
///
/// Inlined into the call closures: a call of a function value then costs no native frame
/// of its own (a frame returned through after a stack switch costs a mispredicted return;
/// see benches/README.md).
#[inline(always)]
pub fn call_value(ctx: &mut Ctx, callee: &Value, argc: usize, at: &SourceSpan) -> R {
    match callee {
        Value::Func(clo) => invoke(ctx, clo, argc, at),
        Value::Builtin(b) => call_builtin(ctx, b, argc, at),
        other => not_callable(ctx, other, argc, at),
    }
}

/// The error for calling `other`, which is not a function (its arguments are dropped).
#[cold]
#[inline(never)]
fn not_callable(ctx: &mut Ctx, other: &Value, argc: usize, at: &SourceSpan) -> R {
    ctx.stack.truncate(ctx.stack.len() - argc);
    let kind = ErrorKind::NotAFunction(Some((
        crate::runtime::print::show_cut(other),
        other.a_kind(),
    )));
    raise(ctx, kind, *at)
}

/// Calls a built-in on the `argc` arguments on top of the value stack, at `at`.
pub fn call_builtin(ctx: &mut Ctx, b: &Builtin, argc: usize, at: &SourceSpan) -> R {
    let start = ctx.stack.len() - argc;
    if argc < b.min_arity || argc > b.max_arity {
        ctx.stack.truncate(start);
        let kind = ErrorKind::WrongArity {
            name: b.name.into(),
            expects: Arity {
                min: b.min_arity,
                max: b.max_arity,
            },
            got: argc,
        };
        return raise(ctx, kind, *at);
    }
    let result = (b.run)(&ctx.vm, &mut ctx.stack[start..]);
    truncate_stack(&mut ctx.stack, start);
    builtin_done(ctx, b, result, at)
}

/// Calls built-in `b`, which performs no operation ([`Builtin::performs`]), on `args`, which
/// it takes, at `at`; their count is the caller's to check.
///
/// `at` is a reference into the calling closure: the closure keeps its own address across
/// the built-in's run anyway, and the place is read from it only for an error.
#[inline(always)]
pub fn call_builtin_with<const N: usize>(
    ctx: &mut Ctx,
    b: &Builtin,
    mut args: [Value; N],
    at: &SourceSpan,
) -> R {
    let result = (b.run)(&ctx.vm, &mut args);
    for v in args {
        discard(v);
    }
    match result {
        Ok(v) => Ok(v),
        Err(kind) => raise(ctx, *kind, *at),
    }
}

/// What built-in `b` did, once its arguments are dropped: its value; or, for a built-in that
/// performs an operation, what that operation gives; or its error, raised at `at`.
#[inline(always)]
fn builtin_done(
    ctx: &mut Ctx,
    b: &Builtin,
    result: Result<Value, Box<ErrorKind>>,
    at: &SourceSpan,
) -> R {
    match (result, b.performs) {
        (Ok(v), None) => Ok(v),
        (Ok(v), Some(op)) => perform_built_in(ctx, op, v, at),
        (Err(kind), _) => raise(ctx, *kind, *at),
    }
}

/// Performs the operation of a built-in that performs one (`print`: `Print(text)`), with the
/// argument its run gave (`()` for none), at `at`, where the built-in is called.
#[inline(never)]
fn perform_built_in(ctx: &mut Ctx, op: OpId, v: Value, at: &SourceSpan) -> R {
    let argc = usize::from(op != READ_LINE);
    let site = OpSite::new(op, argc, *at);
    if op == READ_LINE {
        perform(ctx, &site, 0)
    } else {
        perform_one(ctx, &site, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_grows_by_exactly_its_locals() {
        for n in 0..13 {
            let mut stack = vec![Value::Int(1)];
            open_frame(&mut stack, n);
            assert_eq!(stack.len(), 1 + n, "{n} locals");
            assert!(matches!(stack[0], Value::Int(1)));
            assert!(stack[1..].iter().all(|v| matches!(v, Value::Unit)));
        }
    }
}
