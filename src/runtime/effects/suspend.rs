//! `suspend`: finding the handler for an operation, then the fast path (a call, see
//! [`fast_path`](super::fast_path)) or the slow path ([`suspend_slow`]): cutting the
//! handler stack into a continuation and switching to the code waiting for the handler's
//! fiber.

use std::rc::Rc;

use crate::runtime::effects::continuation::Entries;
use crate::runtime::effects::fast_path::{
    MAX_FAST_NESTING, clause_stopped, run_fast, run_fast_extended,
};
use crate::runtime::effects::root::at_root;
use crate::runtime::effects::transfer::{Suspension, put};
use crate::runtime::effects::{
    ClauseKind, Continuation, HandlerEntry, HandlerValue, OpId, internal,
};
use crate::runtime::function::{Closure, invoke};
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, Ctx, R, Vm};
use crate::span::Span;
use crate::stack::{self, Fiber};

/// An operation performed, and where: a `suspend`, or the code that performs a built-in
/// operation (a `println`, a `read_line()`, a runtime error offered to `Fail`). A continuation
/// captured there records it, to print it.
#[derive(Clone, Copy, Debug)]
pub struct OpSite {
    /// The operation.
    pub op: OpId,
    /// How many arguments it is performed with.
    pub argc: u32,
    /// The source text the code is in.
    pub source: u32,
    /// Where in that source: the span an error there would be reported at.
    pub span: Span,
}

/// `suspend Op(args)` at `at`, with the `argc` (`at.argc`) arguments on top of the value
/// stack.
///
/// Inlined into each `suspend` closure, so that a fast-path clause runs one native frame
/// closer to the code that suspended and a slow-path switch has one frame fewer to return
/// through. `at` is the closure's own: the fast path reads the operation and the span from
/// it as it read them from the closure before, and the slow path copies it into the
/// continuation without a further argument. `argc` comes on its own, a constant where the
/// compiler knows it.
#[inline(always)]
pub fn suspend(ctx: &mut Ctx, at: &OpSite, argc: usize) -> R {
    let (op, site) = (at.op, at.span);
    let found = find_handler(&ctx.vm.handlers.borrow(), op);
    let Some(Found {
        index,
        clause,
        kind,
        shallow,
    }) = found
    else {
        return at_root(ctx, at, argc);
    };
    let fast = ctx.vm.fast_resume && !shallow;
    if kind == ClauseKind::Leaf && fast {
        // Nothing but an error it raises can search the handler stack while it runs: no
        // mask needed (such an error finds the clause's handler: see `raise_in`).
        match invoke(ctx, &clause, argc, site) {
            Ok(v) => Ok(v),
            Err(c) => clause_stopped(c, &ctx.vm.handlers.borrow()[index], site),
        }
    } else if kind == ClauseKind::TailResumptive && fast {
        if ctx.fast_nesting < MAX_FAST_NESTING {
            run_fast(ctx, index, &clause, argc, at)
        } else {
            run_fast_extended(ctx, index, clause, argc, at)
        }
    } else {
        suspend_slow(ctx, clause, kind, index, argc, at)
    }
}

/// The handler found for an operation.
pub(super) struct Found {
    /// Its position in the handler stack.
    index: usize,
    /// The clause for the operation.
    clause: Rc<Closure>,
    /// How the clause may run; it fixes how the clause is called (a general clause takes
    /// the continuation as a last argument, a tail-resumptive one does not).
    kind: ClauseKind,
    /// Whether the handler is shallow: then its clause runs on the slow path, as the
    /// handler must be gone once the clause has run.
    shallow: bool,
}

/// Finds the handler for `op`.
#[inline(always)]
pub(super) fn find_handler(hs: &[HandlerEntry], op: OpId) -> Option<Found> {
    search(hs, |handler, index| {
        handler.clause(op).map(|(clause, kind)| Found {
            index,
            clause: clause.clone(),
            kind,
            shallow: handler.shallow,
        })
    })
}

/// The first of `pick(handler, position)` that is something, over the handlers of the
/// handler stack from the top, stepping over the entries masks hide: the search of an
/// operation's handler.
#[inline(always)]
pub(super) fn search<T>(
    hs: &[HandlerEntry],
    mut pick: impl FnMut(&HandlerValue, usize) -> Option<T>,
) -> Option<T> {
    let mut i = hs.len();
    while i > 0 {
        i -= 1;
        match &hs[i] {
            HandlerEntry::Mask { skip } => i -= skip,
            HandlerEntry::Handler { handler, .. } => {
                if let Some(found) = pick(handler, i) {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// The slow path: captures the handler stack from `index` up as a continuation and switches
/// to the code waiting for that handler's fiber, which runs `clause` (of `kind`). Nothing on
/// this stack keeps the suspended fibers alive across the switch (that would be a cycle):
/// the clause and the continuation travel in the transfer slot. The operation's arguments
/// travel in the continuation, which keeps them, with `at`, to print them (the clause gets
/// copies: see [`Continuation::push_args`]).
#[inline(never)]
fn suspend_slow(
    ctx: &mut Ctx,
    clause: Rc<Closure>,
    kind: ClauseKind,
    index: usize,
    argc: usize,
    at: &OpSite,
) -> R {
    let vm = &*ctx.vm;
    let site = at.span;
    let args = take_args(&mut ctx.stack, argc);
    let (fiber, entries) = cut_entries(vm, index, site)?;
    // The target is named by id: no handle to the suspended fibers stays on this stack.
    let target = fiber.id();
    let k = Continuation::new(fiber, entries, *at, args);
    let suspension = Suspension { clause, kind, k };
    put(&vm.transfer.suspended, Some(suspension), Option::is_none);
    match stack::suspend_to(target, 0) {
        Ok(_) => Ok(vm.transfer.resume.take().into_value()),
        Err(stack::SuspendError::Cancelled) => Err(Ctrl::abort()),
        Err(e) => Err(internal(e, site)),
    }
}

/// Takes the `argc` values on top of `stack`, as one value: `()` for none, the value for
/// one, a tuple of them for more (see [`Continuation::push_args`]).
fn take_args(stack: &mut Vec<Value>, argc: usize) -> Value {
    match argc {
        0 => Value::Unit,
        1 => stack.pop().unwrap_or_default(),
        _ => Value::tuple(stack.split_off(stack.len() - argc)),
    }
}

/// Cuts the handler stack at the handler entry at `index`: returns that handler's fiber and
/// the entries from `index` up, less the handler's own entry if it is shallow (a shallow
/// handler is not part of the continuations it captures). A lone entry stays inline; more
/// go into a recycled vector when there is one.
fn cut_entries(vm: &Vm, index: usize, site: Span) -> Result<(Fiber, Entries), Ctrl> {
    let mut hs = vm.handlers.borrow_mut();
    let (fiber, shallow) = match &hs[index] {
        HandlerEntry::Handler { fiber, handler } => (fiber.clone(), handler.shallow),
        HandlerEntry::Mask { .. } => return Err(internal("a mask was chosen as a handler", site)),
    };
    let from = index + usize::from(shallow);
    let entries = match hs.len() - from {
        0 => Entries::None,
        // Matched, not `map_or(Entries::None, …)`: that builds the default whatever the
        // outcome and drops it by a call to the drop glue.
        1 => match hs.pop() {
            Some(entry) => Entries::One(entry),
            None => Entries::None,
        },
        _ => {
            let mut many = vm.spare_entries.take().unwrap_or_default();
            many.extend(hs.drain(from..));
            Entries::Many(many)
        }
    };
    // The shallow handler's own entry, dropped once the handler stack is released.
    let own = if shallow { hs.pop() } else { None };
    drop(hs);
    drop(own);
    Ok((fiber, entries))
}
