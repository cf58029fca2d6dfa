//! Frame records: what code compiled for `backtrace` keeps of its calls, so that the frames
//! of a suspended computation can be read without unwinding it (docs/architecture.md,
//! "Frames of suspended computations").
//!
//! Only code compiled with records (`compile_unit`'s `record`) calls this module, but for
//! two places of the runtime that find nothing to do unless such code runs: a built-in
//! operation a program's handler catches (`effects::perform`), and the fiber of a shallow
//! resume (`effects::run_wrapped`). A program that does not name `backtrace` runs none of
//! it.
//!
//! Code compiled with records keeps, per thread, the record of the function running now
//! ([`enter`]); each record names its function, where in it execution is ([`at`]: the call,
//! `handle`, `resume` or `suspend` it waits at) and its caller's record. The records form a
//! persistent list, shared by the computations that grew from one another. A function at
//! the bottom of a fiber (a `handle` body, the function of a `cont`) is that fiber's
//! *first*: its caller is whoever entered the fiber last, kept in [`ENTERED`] by fiber and
//! changed by each resume of a segment the fiber is the outermost of. A computation that
//! suspends to a handler that takes a continuation keeps its innermost record in
//! [`SUSPENDED`], by the fiber it suspended on; its frames are read from there out
//! ([`of_segment`]), through the fibers of its continuation's segment.
//!
//! A handler clause runs as the language has it, outside its handler: its caller is the
//! code that entered the handler's fiber (the `handle`, or the `resume` that resumed its
//! computation last), on the fast path as on the slow one ([`suspending`]). So a
//! continuation captured inside a clause has the same frames on both paths: the clause's,
//! then those around its handler, not those of the computation the clause took over.
//!
//! Invariants: every [`enter`] is paired with a [`leave`] on every exit of the function (a
//! return, an error, a tail call, which replaces the record); code that may switch stacks
//! or run code compiled without records (a call, `handle`, `resume`, `suspend`) puts back
//! the record it started with, and its site, when control comes back ([`at`], [`back`],
//! [`resumed`]). While a cancelled computation unwinds, the running record is left alone:
//! the code that cancelled it keeps its own. An entry of [`ENTERED`] lives while the first
//! function of its fiber runs (tail calls included); one of [`SUSPENDED`] while its
//! computation is suspended.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::runtime::effects::{self, OpId};
use crate::runtime::{Ctx, TraceFrame, Vm};
use crate::span::{SourceSpan, Span};
use crate::stack::{self, FiberId};

/// The record of one running (or suspended) call of a function compiled with records.
pub struct Record {
    /// The function's name.
    name: Rc<str>,
    /// The source text it comes from.
    source: u32,
    /// Where in it execution is: the call, `handle`, `resume` or `suspend` it waits at.
    site: Cell<Span>,
    /// The fiber it runs on (`None` on the thread's own stack). A call inherits its
    /// caller's unless it may be at the bottom of a fiber's value stack or is a handler
    /// clause: a call continued on a stack extension keeps the fiber it was made on, which
    /// is in every segment the extension is in.
    fiber: Option<FiberId>,
    /// Whether it is its fiber's first: its caller is in [`ENTERED`], not in `parent`.
    first: bool,
    /// Its caller's record (`None` for a fiber's first, and for a call from code compiled
    /// without records).
    parent: Option<Rc<Record>>,
}

thread_local! {
    /// The record of the function running now, if it was compiled with records.
    static TOP: RefCell<Option<Rc<Record>>> = const { RefCell::new(None) };
    /// The innermost record of each computation suspended to a handler that captured it,
    /// by the fiber it suspended on.
    static SUSPENDED: RefCell<HashMap<FiberId, Rc<Record>>> = RefCell::new(HashMap::new());
    /// For each fiber whose first function was compiled with records and runs: the record
    /// of the code that entered the fiber last (`None`: code without records), the caller
    /// of its first record.
    static ENTERED: RefCell<HashMap<FiberId, Option<Rc<Record>>>> = RefCell::new(HashMap::new());
}

/// The record of the function running now.
fn current() -> Option<Rc<Record>> {
    TOP.with(|top| top.borrow().clone())
}

/// Makes `record` the running function's record, unless a cancelled computation unwinds.
fn restore(record: Option<Rc<Record>>) {
    if !stack::cancelling() {
        TOP.with(|top| *top.borrow_mut() = record);
    }
}

/// What [`at`] changed, for [`back`] to put back.
pub struct Mark {
    /// The running record when [`at`] was called.
    record: Option<Rc<Record>>,
    /// Its site then.
    site: Span,
}

/// Notes that the running function is now at `site` (a call, `handle` or `resume`).
pub fn at(site: Span) -> Mark {
    TOP.with(|top| {
        let record = top.borrow().clone();
        let site = match &record {
            Some(r) => r.site.replace(site),
            None => Span::default(),
        };
        Mark { record, site }
    })
}

/// Control came back from what [`at`] was noted for: its record runs again, at its site
/// before.
pub fn back(mark: Mark) {
    if let Some(record) = &mark.record {
        record.site.set(mark.site);
    }
    restore(mark.record);
}

/// The caller of a call begun by [`enter`], for [`leave`].
pub enum Entered {
    /// An ordinary call, and its caller's record.
    Call(Option<Rc<Record>>),
    /// The first function of this fiber: its caller is in [`ENTERED`].
    First(FiberId),
}

/// Starts the record of a call of function `name` from `source`, whose frame is the
/// running one of `ctx`; `clause` for a handler clause, which is never a fiber's first.
///
/// A call is its fiber's first if its frame is at the bottom of a fresh value stack (a
/// `handle` body, a `cont` function, the program's top level): a frame at index 0 of a
/// context not moved to a stack extension, on another fiber than its caller's (a frame of
/// no slots at the bottom calls the next one at index 0 on the same fiber).
pub fn enter(name: &Rc<str>, source: u32, clause: bool, ctx: &Ctx) -> Entered {
    let parent = current();
    let above = parent.as_ref().and_then(|p| p.fiber);
    let bottom = ctx.base == 0;
    let fiber = if bottom || clause || parent.is_none() {
        stack::current_id()
    } else {
        above
    };
    let first = match fiber {
        Some(f) if bottom && !clause && ctx.extensions == 0 && fiber != above => {
            ENTERED.with(|e| {
                e.borrow_mut().entry(f).or_insert_with(|| parent.clone());
            });
            Some(f)
        }
        _ => None,
    };
    let record = Rc::new(Record {
        name: name.clone(),
        source,
        site: Cell::new(Span::default()),
        fiber,
        first: first.is_some(),
        parent: if first.is_some() {
            None
        } else {
            parent.clone()
        },
    });
    TOP.with(|top| *top.borrow_mut() = Some(record));
    match first {
        Some(f) => Entered::First(f),
        None => Entered::Call(parent),
    }
}

/// Ends the record of a call begun by [`enter`]; `tail` if the function's body ended in a
/// tail call, which replaces it (a fiber's first is then followed by another).
pub fn leave(entered: Entered, tail: bool) {
    let caller = match entered {
        Entered::Call(parent) => parent,
        Entered::First(fiber) => ENTERED.with(|e| {
            let mut e = e.borrow_mut();
            if tail {
                e.get(&fiber).cloned().flatten()
            } else {
                e.remove(&fiber).flatten()
            }
        }),
    };
    restore(caller);
}

/// The running function resumes a continuation at `site` of `source`, for a clause whose
/// tail `resume` it makes once the clause returned (as an error's backtrace has it, the
/// function is then at that `resume`, until its next call, `handle` or `resume`).
pub fn resuming_at(source: u32, site: Span) {
    TOP.with(|top| {
        if let Some(r) = &*top.borrow()
            && r.source == source
        {
            r.site.set(site);
        }
    });
}

/// What [`suspending`] noted of a suspend, for [`resumed`].
pub struct Suspension {
    /// The suspending function's record.
    record: Rc<Record>,
    /// Its site before the suspend.
    site: Span,
    /// The fiber of the handler that catches the operation.
    handler: FiberId,
    /// Whether the handler takes a continuation: the slow path, a stack switch.
    switched: bool,
}

/// Operation `op`, performed at `at`, is about to suspend the running function (a
/// `suspend`, or a built-in operation the runtime performs). If a program's handler
/// catches it, its clause runs as called from the code that entered the handler's fiber,
/// which becomes the running record; a computation the handler captures keeps its
/// innermost record until [`resumed`]. Nothing when no function compiled with records
/// runs.
pub fn suspending(vm: &Vm, op: OpId, at: SourceSpan) -> Option<Suspension> {
    let record = current()?;
    let catcher = effects::catcher(vm, op)?;
    let site = record.site.get();
    // A built-in operation of code compiled without records, called from this function,
    // leaves it at that call.
    if record.source == at.source {
        record.site.set(at.span);
    }
    let switched = !catcher.fast;
    if switched && let Some(here) = stack::current_id() {
        SUSPENDED.with(|s| s.borrow_mut().insert(here, record.clone()));
    }
    restore(ENTERED.with(|e| e.borrow().get(&catcher.fiber).cloned().flatten()));
    Some(Suspension {
        record,
        site,
        handler: catcher.fiber,
        switched,
    })
}

/// The suspend noted by [`suspending`] returned (its computation was resumed, its clause
/// returned on the fast path, or it unwinds): the code that resumed it entered the
/// handler's fiber, and the suspending function runs again.
pub fn resumed(noted: Option<Suspension>) {
    let Some(s) = noted else {
        return;
    };
    if s.switched {
        if let Some(here) = stack::current_id() {
            SUSPENDED.with(|m| m.borrow_mut().remove(&here));
        }
        if !stack::cancelling() {
            let resumer = current();
            ENTERED.with(|e| {
                if let Some(entered) = e.borrow_mut().get_mut(&s.handler) {
                    *entered = resumer;
                }
            });
        }
    }
    s.record.site.set(s.site);
    restore(Some(s.record));
}

/// The fiber of a shallow resume that needs one of its own (`effects::run_wrapped`) starts,
/// with no code of its own compiled with records: it is entered from the running record,
/// like a fiber's first. Returns the fiber, for [`wrapper_ended`].
pub fn wrapper_started() -> Option<FiberId> {
    let resumer = current()?;
    let here = stack::current_id()?;
    ENTERED.with(|e| e.borrow_mut().insert(here, Some(resumer)));
    Some(here)
}

/// The fiber [`wrapper_started`] noted ends: its last resumer runs again.
pub fn wrapper_ended(fiber: Option<FiberId>) {
    if let Some(f) = fiber {
        restore(ENTERED.with(|e| e.borrow_mut().remove(&f)).flatten());
    }
}

/// What [`of_segment`] found of a suspended computation.
#[derive(Debug, Default)]
pub struct Frames {
    /// Its frames, innermost first, with a [`TraceFrame::Resumed`] where it crosses from a
    /// fiber into the code that entered it.
    pub trace: Vec<TraceFrame>,
    /// Whether the list stops short: some frames were not recorded (code compiled before
    /// the session compiled records).
    pub incomplete: bool,
}

/// The frames of the computation suspended in the segment of fibers `segment` (outermost
/// first, as [`stack::Fiber::segment`] lists them): from its innermost record out to the
/// first record of its outermost fiber (the body of the `handle` whose handler caught it,
/// or the function of a `cont`), or to the last record on one of its fibers.
pub fn of_segment(segment: &[FiberId]) -> Frames {
    let (Some(&outermost), Some(innermost)) = (segment.first(), segment.last()) else {
        return Frames::default();
    };
    let inside = |r: &Record| r.fiber.is_some_and(|f| segment.contains(&f));
    let mut frames = Frames::default();
    let mut next = SUSPENDED.with(|s| s.borrow().get(innermost).cloned());
    while let Some(record) = next {
        if !inside(&record) {
            return frames;
        }
        frames.trace.push(TraceFrame::Call {
            name: record.name.clone(),
            source: record.source,
            span: record.site.get(),
        });
        next = match record.fiber {
            Some(fiber) if record.first => {
                if fiber == outermost {
                    return frames;
                }
                // The fiber was entered from its caller, in this segment (or from a fiber
                // of it with no records: a shallow resume's own, as a `handle` of the
                // resume, where the list ends).
                let caller = ENTERED.with(|e| e.borrow().get(&fiber).cloned().flatten());
                if let Some(c) = &caller {
                    frames.trace.push(TraceFrame::Resumed {
                        source: c.source,
                        span: c.site.get(),
                    });
                }
                caller
            }
            _ => record.parent.clone(),
        };
    }
    frames.incomplete = true;
    frames
}

#[cfg(test)]
mod tests;
