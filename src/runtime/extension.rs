//! Stack extensions: where a call goes when the running native stack is nearly exhausted,
//! and the limits that bound them.
//!
//! Every call compares the native stack pointer with the continuation's limit
//! ([`crate::runtime::function::invoke`]); past it, the call continues on an
//! *extension*, a fresh fiber with no handler of its own that the continuation's context
//! ([`Ctx`]) moves to and back from ([`extend_stack`]). Deeply nested expressions check the
//! stack every so many levels and continue the same way ([`extend_for_code`]). An
//! operation suspended inside an extension captures it like any fiber of the segment.
//!
//! Two limits keep a runaway recursion from taking the machine's memory:
//! - one continuation's native stack, over its stack and all its extensions, is at most
//!   [`MAX_NATIVE_STACK`] (a call beyond it is `stack overflow`);
//! - at most [`MAX_NESTED_CONTINUATIONS`] continuations run nested (`handle` bodies, first
//!   resumes of `cont`s and extensions; starting one more is `stack overflow`).

use std::rc::Rc;

use crate::runtime::effects::internal;
use crate::runtime::effects::transfer::{Outcome, put};
use crate::runtime::function::{Closure, invoke, invoke_unchecked};
use crate::runtime::value::Values;
use crate::runtime::{Ctrl, Ctx, ErrorKind, Overflow, R};
use crate::span::Span;
use crate::stack::{self, Event, Fiber};

/// Runs `clo` (with the `argc` arguments on top of the value stack) on a fresh stack: the
/// *extension* a call moves to when the running stack is nearly exhausted. The extension is a
/// fiber with no handler of its own, so a `suspend` inside it simply captures it along with
/// the stacks below (see `stack::suspend`). `ctx` moves to the extension and back.
///
/// On the last extension a continuation may have, every call comes here (see
/// `extend_with`) and runs on that stack while it has room.
pub fn extend_stack(ctx: &mut Ctx, clo: &Closure, argc: usize, site: Span) -> R {
    if ctx.extensions >= max_extensions() && has_room() {
        return invoke_unchecked(ctx, clo, argc, site);
    }
    let (Some(f), true) = (clo.me.upgrade(), ctx.extensions < max_extensions()) else {
        ctx.stack.truncate(ctx.stack.len() - argc);
        return Err(stack_overflow(site));
    };
    extend_with(ctx, site, true, move |ctx| invoke(ctx, &f, argc, site))
}

/// Runs a fast-path handler clause `clo` (with the `argc` arguments on top of the value
/// stack) on a stack extension that does not count towards the continuation's budget: where
/// the running stack is nearly exhausted, or anywhere on the continuation's last allowed
/// extension (see `extend_with`). So neither calling the clause nor a call it makes (in
/// the stack this gives it) is where a `stack overflow` is found: the handled computation's
/// own call is, as on the slow path, where the clause runs on another stack, and the error
/// has the same place and backtrace on both paths. There are at most as many of these as
/// counted extensions and handlers, as each nests a clause.
pub fn extend_for_fast_clause(ctx: &mut Ctx, clo: &Closure, argc: usize, site: Span) -> R {
    let Some(f) = clo.me.upgrade() else {
        return extend_stack(ctx, clo, argc, site);
    };
    extend_with(ctx, site, false, move |ctx| invoke(ctx, &f, argc, site))
}

/// Whether the running stack has room for a call: the stack pointer is above its limit.
fn has_room() -> bool {
    stack::approximate_sp() >= stack::stack_limit()
}

/// Evaluates compiled code `code` of the closure `clo` on a stack extension, as
/// [`extend_stack`] runs a call: deeply nested expressions check the stack every so many
/// levels and continue so when it is nearly exhausted (see `compile`). A closure that
/// cannot name itself (a `handle` body) goes there as a copy: the same code over the same
/// captured values and cells.
pub fn extend_for_code(ctx: &mut Ctx, code: SharedCode, clo: &Closure, site: Span) -> R {
    if ctx.extensions >= max_extensions() {
        if has_room() {
            return code(ctx, clo);
        }
        return Err(stack_overflow(site));
    }
    let f = clo
        .me
        .upgrade()
        .unwrap_or_else(|| Closure::new(clo.proto.clone(), Values::from(clo.env.to_vec())));
    extend_with(ctx, site, true, move |ctx| code(ctx, &f))
}

/// Compiled code shared with a stack extension (see [`extend_for_code`]).
pub type SharedCode = Rc<dyn Fn(&mut Ctx, &Closure) -> R>;

/// Runs `job` on a stack extension with `ctx`, which moves there and back; one extension
/// deeper if `counted` (see [`MAX_NATIVE_STACK`]).
///
/// On the last extension a continuation may have, the limit is raised out of reach, so that
/// every call and every check of deeply nested code takes the unusual path: the
/// continuation's own calls run there while the stack has room ([`extend_stack`],
/// [`extend_for_code`]), and a fast-path handler clause runs on an extension of its own,
/// which does not count ([`extend_for_fast_clause`]). So where the stack
/// overflows, and the backtrace, do not depend on whether the clauses of the handlers the
/// computation performs operations to run on its stack (the fast path) or elsewhere.
fn extend_with(
    ctx: &mut Ctx,
    site: Span,
    counted: bool,
    job: impl FnOnce(&mut Ctx) -> R + 'static,
) -> R {
    let limit = ctx.limit;
    let mut moved = std::mem::replace(ctx, Ctx::empty(ctx.vm.clone()));
    moved.extensions += u32::from(counted);
    let last = counted && moved.extensions >= max_extensions();
    let job = move |ctx: &mut Ctx| {
        if last {
            ctx.limit = usize::MAX;
        }
        job(ctx)
    };
    let (back, result) = on_extension(moved, job, site)?;
    *ctx = *back;
    ctx.extensions -= u32::from(counted);
    ctx.limit = limit;
    result
}

/// Runs `job` on a new fiber, the extension, with `ctx` as its context; returns the
/// context and the job's result once it finishes. What the job holds (a function, and what
/// it captured) is dropped when it returns, before the outcome is written: dropping a
/// continuation cancels it, which uses the transfer slot.
pub(crate) fn on_extension(
    ctx: Ctx,
    job: impl FnOnce(&mut Ctx) -> R + 'static,
    site: Span,
) -> Result<(Box<Ctx>, R), Ctrl> {
    check_nesting(site)?;
    let vm = ctx.vm.clone();
    let fiber = Fiber::new(move |_| {
        let mut ctx = ctx;
        ctx.limit = stack::stack_limit();
        let result = job(&mut ctx);
        let vm = ctx.vm.clone();
        put(
            &vm.transfer.finished,
            Outcome::Extended(Box::new(ctx), result),
            |o| matches!(o, Outcome::Empty),
        );
        0
    })
    .map_err(|e| {
        ErrorKind::OutOfMemory(format!("cannot create a stack extension ({e})")).at(site)
    })?;
    match (fiber.resume(0), vm.transfer.finished.take()) {
        (Ok(Event::Returned(_)), Outcome::Extended(back, result)) => Ok((back, result)),
        (Ok(Event::Panicked(msg)), _) => Err(internal(msg, site)),
        _ => Err(internal("a stack extension did not finish", site)),
    }
}

/// The error for a call beyond [`MAX_NATIVE_STACK`].
fn stack_overflow(site: Span) -> Ctrl {
    ErrorKind::StackOverflow(Overflow::NativeStack)
        .at(site)
        .into()
}

/// Native stack one continuation may use, over its stack and all the extensions deep calls
/// grew it by ([`extend_stack`]; less their red zones): 1 GiB, committed only as used. A
/// call beyond it is a `stack overflow`.
pub const MAX_NATIVE_STACK: usize = 1 << 30;

/// How many extensions one continuation's stack may grow by: as many as make
/// [`MAX_NATIVE_STACK`] of usable stack with the stack itself (1,364 of the default 1 MiB,
/// 15 of 64 MiB).
fn max_extensions() -> u32 {
    let n = MAX_NATIVE_STACK / (stack::stack_size() - stack::RED_ZONE);
    u32::try_from(n.saturating_sub(1)).unwrap_or(u32::MAX)
}

/// How many continuations may run nested: `handle` bodies, `cont` functions and stack
/// extensions, each waiting for the one it resumed (a fiber each, with at least a page of
/// native stack and its own value stack: about 5 KiB, 1.3 GB for this many). Starting one
/// more is a `stack overflow`: a recursion through `handle` or `cont` never ends in one of a
/// single continuation's stack, which is bounded by [`MAX_NATIVE_STACK`], and without this
/// bound grew until the machine ran out of memory. (Suspended continuations do not count:
/// a program may keep millions.)
pub const MAX_NESTED_CONTINUATIONS: usize = 1 << 18;

/// An error if starting one more continuation would nest more than
/// [`MAX_NESTED_CONTINUATIONS`].
#[inline(always)]
pub(crate) fn check_nesting(site: Span) -> Result<(), Ctrl> {
    if stack::active_depth() >= MAX_NESTED_CONTINUATIONS {
        return Err(too_many_nested(site));
    }
    Ok(())
}

/// The error for one continuation too many nested.
#[cold]
#[inline(never)]
fn too_many_nested(site: Span) -> Ctrl {
    ErrorKind::StackOverflow(Overflow::NestedContinuations)
        .at(site)
        .into()
}
