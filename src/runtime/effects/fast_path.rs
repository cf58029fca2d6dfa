//! The fast path: a tail-resumptive clause runs as an ordinary call on the suspending
//! stack, behind a mask entry on the handler stack, and its value is the value of the
//! `suspend`. No stack switch, nothing captured.
//!
//! The mask makes a handler search started by the clause skip its handler and the entries
//! above it; it records a distance, never a position, as the clause's computation may be
//! captured with it and resumed at another depth. A clause that ends without resuming, or
//! fails, unwinds to its handler's fiber ([`clause_stopped`]).
//!
//! Fast clauses nested on one stack are bounded by [`MAX_FAST_NESTING`]; the next one runs
//! on a stack extension of its own ([`run_fast_extended`]). That extension is made here
//! ([`extend_for_clause`]) from the call protocol's
//! [`crate::runtime::extension::on_extension`], not by its `extend_stack`:
//! it takes a value stack of its own and does not count towards a continuation's
//! native-stack budget, both for reasons of the fast path's own.

use std::rc::Rc;

use crate::runtime::effects::{HandlerEntry, ended, internal};
use crate::runtime::extension::{extend_for_fast_clause, on_extension};
use crate::runtime::function::{Closure, invoke, invoke_extending};
use crate::runtime::{Ctrl, CtrlKind, Ctx, R, RuntimeError, Suspended, TraceFrame};
use crate::span::Span;
use crate::stack;

/// How many fast-path clauses may run nested on one stack (a clause that performs an
/// operation handled further out, as forwarding handlers do). The next one runs on a stack
/// extension (see [`run_fast_extended`]): otherwise the stack of the innermost computation of
/// a deep handler chain would grow with every handler an operation passes, and each of the
/// chain's stacks would keep those pages for as long as it lives. Each level is two native
/// frames (about 250 bytes), so a stack holds at most about 8 KiB of them. Fewer levels per
/// stack cost more extensions, more keep more memory (benches/README.md has the trade-off
/// measured).
pub(super) const MAX_FAST_NESTING: u32 = 32;

/// The fast path: runs the tail-resumptive `clause` of the handler at `index` as a call on
/// this stack, behind a mask; its value is the value of `suspend`.
#[inline(always)]
pub(super) fn run_fast(
    ctx: &mut Ctx,
    index: usize,
    clause: &Closure,
    argc: usize,
    site: Span,
) -> R {
    mask_handlers(ctx, index);
    let result = invoke_extending(ctx, clause, argc, site, extend_for_fast_clause);
    unmask_handlers(ctx, result, site)
}

/// Before a fast-path clause of the handler at `index` runs: one more clause nested on this
/// stack, and a mask over that handler and those above it.
///
/// The mask records the distance down to the handler, not positions: the clause may
/// perform an operation whose handler captures the clause's computation (the mask and the
/// entries down to the handler move into the continuation together) and resumes it later
/// at another depth of the handler stack, or never.
#[inline(always)]
pub(super) fn mask_handlers(ctx: &mut Ctx, index: usize) {
    ctx.fast_nesting += 1;
    let mut hs = ctx.vm.handlers.borrow_mut();
    let depth = hs.len();
    // A constant entry first, its distance written in place after: pushed whole, the mask
    // was made in a stack slot (the push may call the allocator) and copied from there with
    // a 16-byte load over two 8-byte stores, which store forwarding cannot serve (see
    // benches/README.md, "Store forwarding").
    hs.push(HandlerEntry::Mask { skip: 0 });
    if let Some(HandlerEntry::Mask { skip }) = hs.last_mut() {
        *skip = depth - index;
    }
}

/// After a fast-path clause came to `result`: undoes [`mask_handlers`] and makes the result
/// the value of the `suspend`.
///
/// The clause's mask is the topmost: whatever the clause pushed is gone by the time it
/// returns (but for entries an error left, above the mask, dropped with it). If the clause's
/// continuation was discontinued or dropped instead, this runs as it unwinds, and the mask
/// went with the continuation's other entries: the handler stack is its canceller's and is
/// left alone.
#[inline(always)]
pub(super) fn unmask_handlers(ctx: &mut Ctx, result: R, site: Span) -> R {
    ctx.fast_nesting -= 1;
    let Ok(v) = result else {
        return unmask_unusual(ctx, result, site);
    };
    // A clause that returned has left its mask on top.
    let popped = ctx.vm.handlers.borrow_mut().pop();
    if matches!(popped, Some(HandlerEntry::Mask { .. })) {
        // A mask owns nothing; forgotten, it costs no call to the drop glue.
        std::mem::forget(popped);
        return Ok(v);
    }
    drop(popped);
    Err(internal("a fast-path clause lost its mask", site))
}

/// [`unmask_handlers`] after an error or an escape, or while cancelling.
#[cold]
#[inline(never)]
fn unmask_unusual(ctx: &mut Ctx, result: R, site: Span) -> R {
    if stack::cancelling() {
        if result.is_err() {
            ended::left_cancelled_clause();
        }
        return result;
    }
    let mut hs = ctx.vm.handlers.borrow_mut();
    let Some((at, skip)) = hs.iter().enumerate().rev().find_map(|(i, e)| match e {
        HandlerEntry::Mask { skip } => Some((i, *skip)),
        HandlerEntry::Handler { .. } => None,
    }) else {
        return Err(internal("a fast-path clause lost its mask", site));
    };
    let above = hs.split_off(at);
    let result = match result {
        Ok(v) => Ok(v),
        Err(c) => clause_stopped(c, &hs[at - skip], site),
    };
    drop(hs);
    drop(above);
    result
}

/// The fast path for a clause that would nest deeper than [`MAX_FAST_NESTING`] on this
/// stack: it runs on a stack extension, with a context of its own where nesting counts from
/// zero again (see [`extend_for_clause`]). The extension is a child of the running fiber,
/// so nothing is captured and no other stack is entered; its stack goes back to the pool
/// when the clause returns. (The slow path would do as well, but it captures the stacks up
/// to the handler's and moves their handler entries into a continuation and back.)
#[inline(never)]
pub(super) fn run_fast_extended(
    ctx: &mut Ctx,
    index: usize,
    clause: Rc<Closure>,
    argc: usize,
    site: Span,
) -> R {
    mask_handlers(ctx, index);
    let result = extend_for_clause(ctx, clause, argc, site);
    unmask_handlers(ctx, result, site)
}

/// Runs the fast-path `clause` (with the `argc` arguments on top of the value stack) on a
/// stack extension with a value stack of its own, taken from and given back to the spares:
/// the values of the clauses nested in it stay off this continuation's value stack, which
/// would otherwise keep the capacity the deepest chain of clauses gave it (see
/// [`run_fast_extended`]). Such an extension does not count towards
/// [`MAX_NATIVE_STACK`](crate::runtime::extension::MAX_NATIVE_STACK): it
/// uses little of its stack, and there are at most as many as handlers installed, one per
/// [`MAX_FAST_NESTING`] (each nested clause masks at least one handler).
fn extend_for_clause(ctx: &mut Ctx, clause: Rc<Closure>, argc: usize, site: Span) -> R {
    let mut own = Ctx::with_stack(ctx.vm.clone(), ctx.vm.value_stack());
    own.extensions = ctx.extensions;
    let top = ctx.stack.len() - argc;
    own.stack.extend(ctx.stack.drain(top..));
    let (back, result) = on_extension(own, move |ctx| invoke(ctx, &clause, argc, site), site)?;
    ctx.vm.keep_value_stack(back.stack);
    result
}

/// A fast-path clause (of the handler `entry`) that did not return normally: if it ended
/// without resuming, or failed, unwind to its handler's fiber with its value or error
/// (which then skips the frames of the computation beneath the clause, as on the slow
/// path); anything else passes on. An error records the frames of that computation
/// (suspended at `site`) as it unwinds them, apart from its backtrace (see [`Suspended`]);
/// the error of an outer clause passing on records none of them
/// ([`Suspended::hide_until`]).
#[cold]
pub(super) fn clause_stopped(c: Ctrl, entry: &HandlerEntry, site: Span) -> R {
    let value = match c.kind() {
        CtrlKind::Escape {
            target: None,
            value,
        } => value,
        CtrlKind::Error(mut e) => {
            e.suspended.push(Suspended::at(clause_name(&e), site));
            Err(Box::new(e))
        }
        CtrlKind::Escape {
            target,
            value: Err(mut e),
        } => {
            if let (Some(frames), HandlerEntry::Handler { fiber, .. }) =
                (e.suspended.last_mut(), entry)
            {
                frames.hide_until(fiber.id());
            }
            return Err(Ctrl::raise(CtrlKind::Escape {
                target,
                value: Err(e),
            }));
        }
        other => return Err(Ctrl::raise(other)),
    };
    match entry {
        HandlerEntry::Handler { fiber, .. } => Err(Ctrl::escape_to(fiber.id(), value)),
        HandlerEntry::Mask { .. } => Err(internal("a mask was chosen as a handler", site)),
    }
}

/// The name of the clause that `e` was raised in, and just left: the operation it handles,
/// as its backtrace line names it.
fn clause_name(e: &RuntimeError) -> Rc<str> {
    match e.trace.last() {
        Some(TraceFrame::Call { name, .. }) => name.clone(),
        _ => "?".into(),
    }
}
