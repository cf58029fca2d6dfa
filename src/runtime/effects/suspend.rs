//! `suspend`: finding the handler for an operation, then the fast path (a call, see
//! [`fast_path`](super::fast_path)) or the slow path ([`suspend_slow`]): cutting the
//! handler stack into a continuation and switching to the code waiting for the handler's
//! fiber.

use std::convert::Infallible;
use std::mem::take;
use std::rc::Rc;

use crate::runtime::effects::continuation::Entries;
use crate::runtime::effects::fast_path::{
    MAX_FAST_NESTING, clause_stopped, run_fast, run_fast_extended,
};
use crate::runtime::effects::root::at_root;
use crate::runtime::effects::transfer::{Suspension, put};
use crate::runtime::effects::{
    ClauseKind, Continuation, HandlerEntry, HandlerValue, OpId, ended, internal,
};
use crate::runtime::extension::extend_for_fast_clause;
use crate::runtime::function::{Closure, invoke_extending};
use crate::runtime::value::{Value, Values};
use crate::runtime::{Ctrl, Ctx, R, Vm};
use crate::span::{SourceSpan, Span};
use crate::stack::{self, Fiber};

/// An operation performed, and where: at a `suspend`, or where a built-in operation is
/// performed (a call of `print`, `println` or `read_line`, a runtime error offered to
/// `Fail`). A `suspend` closure holds one; a continuation captured there keeps its
/// [`OpPoint`], to print it.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct OpSite {
    /// The operation, its number of arguments, and where its span starts.
    pub point: OpPoint,
    /// Where its span ends.
    pub end: u32,
}

/// An operation performed with a number of arguments at a place: what a suspended
/// continuation keeps of its [`OpSite`], four 32-bit words copied in one piece.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct OpPoint {
    /// The operation (an [`OpId`]).
    pub op: u32,
    /// How many arguments it is performed with.
    pub argc: u32,
    /// The source text of the code that performs it.
    pub source: u32,
    /// Where in that text: the start of the span an error raised there would be reported
    /// at.
    pub start: u32,
}

impl OpSite {
    /// Operation `op` with `argc` arguments, performed at `at`.
    pub fn new(op: OpId, argc: usize, at: SourceSpan) -> OpSite {
        OpSite {
            point: OpPoint {
                op: op as u32,
                argc: argc as u32,
                source: at.source,
                start: at.span.start,
            },
            end: at.span.end,
        }
    }

    /// The operation.
    #[inline(always)]
    pub fn op(&self) -> OpId {
        self.point.op as OpId
    }

    /// Where it is performed: the span an error raised there is reported at.
    #[inline(always)]
    pub fn span(&self) -> Span {
        Span {
            start: self.point.start,
            end: self.end,
        }
    }

    /// Where it is performed, with the source text.
    pub fn at(&self) -> SourceSpan {
        SourceSpan {
            source: self.point.source,
            span: self.span(),
        }
    }
}

/// `suspend Op(args)` at `site`, with the `argc` arguments on top of the value stack.
///
/// Inlined into each `suspend` closure, so that a fast-path clause runs one native frame
/// closer to the code that suspended and a slow-path switch has one frame fewer to return
/// through. `site` is a reference into the closure: the fast path reads the operation and
/// the span from it, and only the slow path, which captures a continuation, copies it.
#[inline(always)]
pub fn suspend(ctx: &mut Ctx, site: &OpSite, argc: usize) -> R {
    let (op, span) = (site.op(), site.span());
    let found = find_handler(&ctx.vm.handlers.borrow(), op);
    let Some(Found {
        index,
        clause,
        kind,
        shallow,
    }) = found
    else {
        return at_root(ctx, site, argc);
    };
    let fast = ctx.vm.fast_resume && !shallow;
    if kind == ClauseKind::Leaf && fast {
        // Nothing but an error it raises can search the handler stack while it runs: no
        // mask needed (such an error finds the clause's handler: see `raise_in`).
        match invoke_extending(ctx, &clause, argc, span, extend_for_fast_clause) {
            Ok(v) => Ok(v),
            Err(c) => clause_stopped(c, &ctx.vm.handlers.borrow()[index], span),
        }
    } else if kind == ClauseKind::TailResumptive && fast {
        if ctx.fast_nesting < MAX_FAST_NESTING {
            run_fast(ctx, index, &clause, argc, span)
        } else {
            run_fast_extended(ctx, index, clause, argc, span)
        }
    } else {
        suspend_slow(ctx, clause, kind, index, argc, site)
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
/// the clause and the continuation travel in the transfer slot, the operation's arguments
/// in the continuation, which keeps `site` (see [`Continuation::args_to`]).
#[inline(never)]
fn suspend_slow(
    ctx: &mut Ctx,
    clause: Rc<Closure>,
    kind: ClauseKind,
    index: usize,
    argc: usize,
    site: &OpSite,
) -> R {
    let vm = &*ctx.vm;
    let args = take_args(&mut ctx.stack, argc);
    let Some((fiber, entries)) = cut_entries(vm, index) else {
        return Err(off_site("a mask was chosen as a handler", site));
    };
    // The target is named by id: no handle to the suspended fibers stays on this stack.
    let target = fiber.id();
    let k = Continuation::new(fiber, entries, &site.point, args);
    let suspension = Suspension { clause, kind, k };
    put(&vm.transfer.suspended, Some(suspension), Option::is_none);
    match stack::suspend_to(target, 0) {
        Ok(_) => Ok(vm.transfer.resume.take().into_value()),
        Err(stack::SuspendError::Cancelled) => Err(ended::cancelled(site)),
        Err(e) => Err(off_site(e, site)),
    }
}

/// An internal error at `site`, out of line: `site` is read only here and where the
/// continuation copies it, in one piece.
#[cold]
#[inline(never)]
fn off_site(message: impl std::fmt::Display, site: &OpSite) -> Ctrl {
    internal(message, site.span())
}

/// Takes the `argc` values on top of `stack`, as one value: `()` for none, the value for
/// one, a tuple of them for more (see [`Continuation::new`]).
#[inline(always)]
fn take_args(stack: &mut Vec<Value>, argc: usize) -> Value {
    match argc {
        0 => Value::Unit,
        1 => stack.pop().unwrap_or_default(),
        _ => take_tuple(stack, argc),
    }
}

/// The `argc` values on top of `stack`, taken off it as a tuple (see [`take_args`]).
#[inline(never)]
fn take_tuple(stack: &mut Vec<Value>, argc: usize) -> Value {
    let top = stack.len() - argc;
    let Ok(fields) = Values::try_build(argc, |i| Ok::<_, Infallible>(take(&mut stack[top + i])));
    // What is left there is `()`.
    stack.truncate(top);
    Value::tuple(fields)
}

/// Cuts the handler stack at the handler entry at `index`: returns that handler's fiber and
/// the entries from `index` up, less the handler's own entry if it is shallow (a shallow
/// handler is not part of the continuations it captures). A lone entry stays inline; more
/// go into a recycled vector when there is one.
/// `None` if the entry at `index` is a mask (a broken invariant).
fn cut_entries(vm: &Vm, index: usize) -> Option<(Fiber, Entries)> {
    let mut hs = vm.handlers.borrow_mut();
    let (fiber, shallow) = match &hs[index] {
        HandlerEntry::Handler { fiber, handler } => (fiber.clone(), handler.shallow),
        HandlerEntry::Mask { .. } => return None,
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
    Some((fiber, entries))
}
