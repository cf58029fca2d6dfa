//! What traced code calls at each effect event, and the runtime's hooks ([`OBSERVER`]).
//!
//! The compiler's traced closures (`compile/traced.rs`) call these around the runtime
//! functions the untraced closures call: before (the event: `handle`, `suspend`, `resume`,
//! `cont`, `discontinue`), and after the runtime returns ([`after`]: the code continues
//! here, perhaps after a stack switch). Handler clauses start with [`clause_started`] or
//! [`return_clause`]. Each does nothing when no tracer is installed or recording.
//!
//! How a continuation gets its id: a `suspend` that a program's handler catches gives one
//! and leaves it, with the clause it chose, for that clause to pick up when it starts
//! ([`clause_started`]), which it does before any other kont code runs (at once on the fast
//! path; on the slow path right after the switch). A general clause finds the continuation
//! in its last parameter and the trace keeps its address; a tail-resumptive clause gets no
//! continuation the program could see (none exists on the fast path), and its `resume`
//! resumes the id the clause's run holds ([`tail_resume`]).

use std::rc::Rc;

use super::event::EventKind;
use super::state::{self, ClauseRun, Cont, FiberRun, State};
use crate::runtime::effects::{
    self, Args, HandlerValue, Observer, OpSite, PendingResume, Unresumed,
};
use crate::runtime::function::Closure;
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, CtrlKind, Ctx, R};
use crate::span::{SourceSpan, Span};
use crate::stack;

/// The hooks the runtime calls while a tracer is installed (see
/// `runtime/effects/observe.rs`).
pub static OBSERVER: Observer = Observer {
    started,
    ended,
    dropped,
    perform,
};

/// The address of a clause, which stands for it in the trace's tables.
fn clause_address(clause: &Closure) -> usize {
    std::ptr::from_ref(clause).addr()
}

/// `handle` at `site` of `source` is about to install `handler` and start its body.
pub fn handling(handler: &Rc<HandlerValue>, source: u32, site: Span) {
    state::with(|s| {
        let id = s.new_handler(handler);
        let at = s.place(SourceSpan { source, span: site });
        let depth = s.depth();
        s.record(EventKind::Handle { handler: id }, at.clone(), depth);
        s.pending_start = FiberRun { place: at, k: None };
        s.depart(format!("handle h{id}"));
    });
}

/// The traced code goes on after the runtime returned (from a `handle`, `suspend` or
/// `resume`): perhaps on another stack than it left. Not when it unwinds a cancelled
/// continuation: its canceller switched to it and will switch back, to record nothing.
pub fn after() {
    if stack::cancelling() {
        return;
    }
    state::with(|s| {
        let depth = s.depth();
        s.arrive(depth);
    });
}

/// `suspend` at `site`, with its `argc` arguments on top of the value stack, is about to
/// run.
pub fn suspending(ctx: &Ctx, site: &OpSite, argc: usize) {
    state::with(|s| suspend(s, ctx, site, argc, true));
}

/// Records the operation performed at `site` (see [`suspending`]); unless `to_root` is
/// allowed (an explicit `suspend`), only when a handler of the program's catches it (a
/// built-in operation the runtime performs: the root handler's are not traced).
fn suspend(s: &mut State, ctx: &Ctx, site: &OpSite, argc: usize, to_root: bool) {
    let op = site.op();
    let catcher = effects::catcher(&ctx.vm, op);
    if !to_root && catcher.is_none() {
        return;
    }
    let name = ctx.vm.effects.borrow().get(op).map(|(n, _)| n.clone());
    let name = name.unwrap_or_else(|| "?".into());
    let args = ctx.stack[ctx.stack.len() - argc..].iter();
    let args: Vec<String> = args.map(|v| s.show(v)).collect();
    let label = format!("{name}({})", args.join(", "));
    let at = s.place(site.at());
    let depth = s.depth();
    let Some(c) = catcher else {
        let kind = EventKind::Suspend {
            op: name,
            args,
            handler: None,
            k: None,
            fast: false,
        };
        s.record(kind, at, depth);
        return;
    };
    let (handler, k) = (s.handler_id(&c.handler), s.new_k());
    let kind = EventKind::Suspend {
        op: name,
        args,
        handler: Some(handler),
        k: Some(k),
        fast: c.fast,
    };
    s.record(kind, at, depth);
    let below = effects::visible_handlers(&ctx.vm.handlers.borrow()[..c.index]) as u32;
    let run = ClauseRun {
        k,
        fiber: c.fiber,
        depth: below,
        fast: c.fast,
    };
    s.pending_clause = Some((clause_address(&c.clause), run));
    if let Some(fiber) = s.fibers.get_mut(&c.fiber) {
        fiber.k = Some(k);
    }
    if !c.fast {
        s.depart(label);
    }
}

/// Operation clause `clause` starts, its arguments in its frame (and, if it is `general`,
/// not tail-resumptive, its continuation last): it picks up the continuation id its
/// `suspend` left.
pub fn clause_started(ctx: &Ctx, clause: &Closure, general: bool) {
    state::with(|s| {
        let depth = s.depth();
        s.arrive(depth);
        let address = clause_address(clause);
        let Some((pending, run)) = s.pending_clause.take() else {
            return;
        };
        if pending != address {
            return;
        }
        if !general {
            s.clause_runs.insert(address, run);
        } else if let Some(Value::Cont(k)) = clause.proto.arity.checked_sub(1).map(|i| ctx.local(i))
        {
            let cont = Cont {
                id: run.k,
                depth: run.depth,
                fresh: None,
                unresumed: Some(Unresumed::Suspended(run.fiber)),
            };
            s.add_k(k, cont);
        }
    });
}

/// The tail `resume` at `site` of `source` ends tail-resumptive clause `clause` with
/// `value`: it resumes the continuation of the clause's run (on the fast path, the value
/// is returned to the `suspend` without a switch).
pub fn tail_resume(clause: &Closure, value: &Value, source: u32, site: Span) {
    state::with(|s| {
        let run = s.clause_runs.remove(&clause_address(clause));
        let at = s.place(SourceSpan { source, span: site });
        let depth = run.map_or_else(|| s.depth(), |r| r.depth);
        let value = s.show(value);
        let kind = EventKind::Resume {
            k: run.map(|r| r.k),
            value: value.clone(),
            shallow: None,
        };
        s.record(kind, at, depth);
        if run.is_some_and(|r| !r.fast) {
            s.depart(value);
        }
    });
}

/// Tail-resumptive clause `clause` ends without resuming (with a value, an error, or
/// unwound because the computation it runs in was cancelled): the computation it would
/// have resumed is dropped (on the fast path it was never captured). Nothing if it resumed.
pub fn clause_escapes(clause: &Closure) {
    state::with(|s| {
        if let Some(run) = s.clause_runs.remove(&clause_address(clause)) {
            s.record_here(EventKind::Reclaimed { k: run.k }, None, run.depth);
        }
    });
}

/// The `resume` (or `resume … with`) `p` is about to run, at `site` of `source`.
pub fn resuming(p: &PendingResume, source: u32, site: Span) {
    state::with(|s| {
        let (k, fresh) = match &p.k {
            Value::Cont(k) => s.spend_k(Rc::as_ptr(k).addr()).unzip(),
            _ => (None, None),
        };
        let fresh = fresh.flatten();
        // A `cont` of no parameters is started with no arguments (`resume k()`); any other
        // `resume k()` passes `()`.
        let value = match &p.args {
            Args::None if fresh.is_some() => String::new(),
            Args::None => "()".to_string(),
            Args::One(v) => s.show(v),
            Args::Many(vs) => s.show_all(vs),
        };
        let shallow = p.shallow.as_ref().map(|h| s.new_handler(h));
        let at = s.place(SourceSpan { source, span: site });
        let at_resume = at.clone();
        let depth = s.depth();
        let kind = EventKind::Resume {
            k,
            value: value.clone(),
            shallow,
        };
        s.record(kind, at, depth);
        // A fiber this resume starts runs a `cont`'s function, or the resume itself under
        // the handler of `with`.
        s.pending_start = match fresh {
            Some(place) => FiberRun { place, k },
            None => FiberRun {
                place: at_resume,
                k: None,
            },
        };
        s.depart(if value.is_empty() {
            "()".to_string()
        } else {
            value
        });
    });
}

/// `return` clause `clause` of a handler starts, on the value in its first slot, at
/// `site` of `source` (where the clause is written).
pub fn return_clause(ctx: &Ctx, clause: &Closure, source: u32, site: Span) {
    state::with(|s| {
        let Some(handler) = s.handler_of_clause(clause_address(clause)) else {
            return;
        };
        let value = s.show(ctx.local(0));
        let at = s.place(SourceSpan { source, span: site });
        let depth = s.depth();
        s.record(EventKind::Return { handler, value }, at, depth);
    });
}

/// `discontinue k` at `site` of `source` is about to run.
pub fn discontinuing(k: &Value, source: u32, site: Span) {
    state::with(|s| {
        let id = match k {
            Value::Cont(k) => s.spend_k(Rc::as_ptr(k).addr()).map(|(id, _)| id),
            _ => None,
        };
        let at = s.place(SourceSpan { source, span: site });
        let depth = s.depth();
        s.record(EventKind::Discontinue { k: id }, at, depth);
    });
}

/// `cont` at `site` of `source` made `k` of function `f`.
pub fn cont_made(k: &Value, f: &Rc<Closure>, source: u32, site: Span) {
    state::with(|s| {
        let Value::Cont(cont) = k else {
            return;
        };
        let id = s.new_k();
        let at = s.place(SourceSpan { source, span: site });
        let depth = s.depth();
        let fresh = Cont {
            id,
            depth,
            fresh: Some(at.clone()),
            unresumed: Some(Unresumed::Fresh(Rc::as_ptr(f).addr())),
        };
        s.add_k(cont, fresh);
        let function = f.proto.name.clone();
        s.record(EventKind::Cont { k: id, function }, at, depth);
    });
}

/// [`Observer::started`]: a traced fiber (a `handle` body, a `cont`'s function) starts.
fn started() {
    state::with(|s| {
        let depth = s.depth();
        s.arrive(depth);
        let run = std::mem::take(&mut s.pending_start);
        if let Some(fiber) = stack::current_id() {
            s.fibers.insert(fiber, run);
        }
    });
}

/// [`Observer::ended`]: a traced fiber's function ended with `result`. A value finishes
/// the continuation the fiber is the outermost fiber of, if there is one, and goes back
/// to whoever resumed it; an error, or the value of a fast-path clause that did not
/// resume, unwinds to it (only a value finishes the continuation); a cancelled fiber
/// just ends.
fn ended(result: R) -> R {
    let (result, returned) = match result {
        Ok(v) => {
            let shown = state::with(|s| s.show(&v));
            (Ok(v), shown.map(Ok))
        }
        Err(c) => {
            let kind = c.kind();
            let shown = state::with(|s| match &kind {
                CtrlKind::Return(v) => Ok(s.show(v)),
                CtrlKind::Escape { value: Ok(v), .. } => Err(Some(s.show(v))),
                CtrlKind::Error(_) | CtrlKind::Escape { .. } => Err(Some("error".to_string())),
                CtrlKind::Abort(_) => Err(None),
            });
            (Err(Ctrl::raise(kind)), shown)
        }
    };
    state::with(|s| {
        let fiber = stack::current_id().and_then(|f| s.fibers.remove(&f));
        let depth = s.depth();
        match returned {
            Some(Ok(value)) => {
                if let Some(FiberRun { place, k: Some(k) }) = fiber {
                    let kind = EventKind::Finished {
                        k,
                        value: value.clone(),
                    };
                    s.record(kind, place, depth);
                }
                s.depart(value);
            }
            Some(Err(Some(label))) => s.depart(label),
            _ => {}
        }
    });
    result
}

/// [`Observer::dropped`]: a continuation is dropped before it was resumed.
fn dropped(unresumed: Unresumed) {
    state::with(|s| {
        if let Some((k, depth)) = s.drop_k(unresumed) {
            s.record_here(EventKind::Reclaimed { k }, None, depth);
        }
    });
}

/// [`Observer::perform`]: a built-in operation the runtime performs (`Print`, `ReadLine`,
/// `Fail`), recorded when a handler of the program's catches it.
fn perform(ctx: &mut Ctx, site: &OpSite, argc: usize) -> R {
    state::with(|s| suspend(s, ctx, site, argc, false));
    let result = effects::suspend(ctx, site, argc);
    after();
    result
}
