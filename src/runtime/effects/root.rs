//! The handler around the whole program (and around each REPL entry): the clauses of the
//! language's own operations, `Print(text)`, `ReadLine()` and `Fail(message)`, which run when
//! no handler of the program's catches them, and the way a runtime error reaches a `Fail`
//! handler.
//!
//! This handler is not an entry of the handler stack: it is what an operation finds when the
//! search reaches the bottom ([`at_root`]), so that the program's own handlers, at any depth,
//! see these operations first, and nothing is searched or pushed for it when a program starts.
//! Its clauses resume at once (`Print`, `ReadLine`) or end the program with an error
//! (`Fail`, and any other operation: `unhandled effect Op`).
//!
//! A runtime error is *raised* ([`raise`]) where it happens: if a handler with a `Fail`
//! clause is installed where the computation runs, the error performs `Fail(message)` there,
//! and the value the clause resumes with becomes the value of the failed operation; if none
//! is, the error unwinds to the top as it always has (message, backtrace, status 1), so a
//! program that handles no `Fail` pays nothing. `stack overflow`, running out of memory and
//! `interrupted` are never offered to a handler ([`ErrorKind::catchable`]).

use std::io::Write;

use crate::runtime::effects::fast_path::{mask_handlers, unmask_handlers};
use crate::runtime::effects::observe::observer;
use crate::runtime::effects::suspend::{OpSite, find_handler, search, suspend};
use crate::runtime::effects::{FAIL, HandlerEntry, OpId, PRINT, READ_LINE};
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, CtrlKind, Ctx, ErrorKind, R, Vm, frames, print, stdio};
use crate::span::{SourceSpan, Span};

/// Whether a handler of the program's, where the computation runs now, catches `op`.
pub fn handled(vm: &Vm, op: OpId) -> bool {
    find_handler(&vm.handlers.borrow(), op).is_some()
}

/// Raises runtime error `kind` at `at`: performs `Fail(message)` there if a handler catches
/// it (its resume value is then the value of the failed operation), else unwinds with it.
#[cold]
#[inline(never)]
pub fn raise(ctx: &mut Ctx, kind: ErrorKind, at: SourceSpan) -> R {
    if kind.catchable() && handled(&ctx.vm, FAIL) {
        ctx.stack.push(Value::str(kind.to_string()));
        return perform(ctx, &OpSite::new(FAIL, 1, at), 1);
    }
    Err(kind.at(at.span).into())
}

/// [`raise`] in the code of function `clo`, at `site`. A *leaf* clause runs without the
/// mask other fast-path clauses run behind (nothing else it does can search the handler
/// stack): only the handlers outside its own may catch its error, so the error masks its
/// handler first.
#[cold]
#[inline(never)]
pub fn raise_in(ctx: &mut Ctx, clo: &Closure, kind: ErrorKind, site: Span) -> R {
    let at = SourceSpan {
        source: clo.proto.source,
        span: site,
    };
    if !clo.proto.leaf_clause || !kind.catchable() {
        return raise(ctx, kind, at);
    }
    let Some(index) = handler_of(&ctx.vm.handlers.borrow(), clo) else {
        return raise(ctx, kind, at);
    };
    if find_handler(&ctx.vm.handlers.borrow()[..index], FAIL).is_none() {
        return Err(kind.at(site).into());
    }
    mask_handlers(ctx, index);
    ctx.stack.push(Value::str(kind.to_string()));
    let raised = perform(ctx, &OpSite::new(FAIL, 1, at), 1);
    unmask_handlers(ctx, raised, site)
}

/// The position of the handler whose clause `clause` is, searched as the handler of an
/// operation is (from the top, stepping over masked entries): the handler the running leaf
/// clause was found in.
fn handler_of(hs: &[HandlerEntry], clause: &Closure) -> Option<usize> {
    search(hs, |handler, index| {
        let has = handler
            .ops
            .iter()
            .any(|(_, c, _)| std::ptr::eq(&**c, clause));
        has.then_some(index)
    })
}

/// Offers the error the operation that returned `c` raised itself (so none has offered it
/// yet), in the code of source `source`, to a `Fail` handler, as [`raise`] does; anything
/// else `c` stands for unwinds on.
#[cold]
#[inline(never)]
pub fn offer(ctx: &mut Ctx, c: Ctrl, source: u32) -> R {
    match c.kind() {
        CtrlKind::Error(e) if e.trace.is_empty() => {
            let at = SourceSpan {
                source,
                span: e.site,
            };
            raise(ctx, e.kind, at)
        }
        other => Err(Ctrl::raise(other)),
    }
}

/// Performs the built-in operation of `site` with the one argument `arg` (`print`'s text):
/// a handler of the program's gets it if there is one; else the root's clause runs at once.
#[inline(never)]
pub fn perform_one(ctx: &mut Ctx, site: &OpSite, arg: Value) -> R {
    ctx.stack.push(arg);
    if handled(&ctx.vm, site.op()) {
        perform(ctx, site, 1)
    } else {
        at_root(ctx, site, 1)
    }
}

/// `suspend` at `site` with the `argc` arguments on top of the value stack, out of line
/// (the `suspend` of the program's code is inlined where it is written); a traced
/// session's observer sees it (see `observe.rs`), and so do the frame records of code
/// compiled for `backtrace` ([`frames::suspending`]).
#[inline(never)]
pub fn perform(ctx: &mut Ctx, site: &OpSite, argc: usize) -> R {
    let noted = frames::suspending(&ctx.vm, site.op(), site.at());
    let result = match observer() {
        Some(observer) => (observer.perform)(ctx, site, argc),
        None => suspend(ctx, site, argc),
    };
    frames::resumed(noted);
    result
}

/// The root handler's clause for the operation of `site`, with its `argc` arguments on top
/// of the value stack: an operation no handler of the program's catches.
#[cold]
#[inline(never)]
pub(super) fn at_root(ctx: &mut Ctx, site: &OpSite, argc: usize) -> R {
    let (op, at) = (site.op(), site.at());
    let start = ctx.stack.len() - argc;
    let arg = (argc == 1).then(|| ctx.stack.pop().unwrap_or_default());
    ctx.stack.truncate(start);
    match (op, arg) {
        (PRINT, Some(text)) => match write_out(&ctx.vm, &text) {
            Ok(()) => Ok(Value::Unit),
            Err(kind) => raise(ctx, kind, at),
        },
        (READ_LINE, None) => match stdio::read_stdin_line(&ctx.vm) {
            Ok(line) => Ok(Value::option(line.map(Value::str))),
            Err(kind) => raise(ctx, kind, at),
        },
        (FAIL, Some(message)) => Err(ErrorKind::Failed(print::show_or_cut(&message))
            .at(at.span)
            .into()),
        _ => {
            let name = ctx.vm.effects.borrow().get(op).map(|(n, _)| n.clone());
            let name = name.unwrap_or_else(|| "?".into());
            raise(ctx, ErrorKind::UnhandledEffect(name), at)
        }
    }
}

/// Writes `text` (a string as it is, anything else as `print` shows it) to the program's
/// output; an error if it cannot be printed or written.
fn write_out(vm: &Vm, text: &Value) -> Result<(), ErrorKind> {
    let written = match text {
        Value::Str(s) => vm.out.borrow_mut().write_all(s.as_bytes()),
        other => {
            let shown = print::show(other).map_err(|e| *e)?;
            vm.out.borrow_mut().write_all(shown.as_bytes())
        }
    };
    written.map_err(|e| stdio::output_error(vm, &e))
}
