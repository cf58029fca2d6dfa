//! Frame records: what code compiled for `backtrace` keeps of its calls, so that the frames
//! of a suspended computation can be read without unwinding it (docs/architecture.md,
//! "Frames of suspended computations").
//!
//! Only code compiled with records (`compile_unit`'s `record`) calls this module: a
//! program that does not name `backtrace` runs none of it. Such code keeps, per thread, the
//! record of the function running now ([`enter`]); each record names its function, where
//! in it execution is ([`at`]: the call or `suspend` it waits at), and the record of its
//! caller. The records form a persistent list, shared by the computations that grew from
//! one another: a computation suspended keeps its innermost record ([`suspending`]), and
//! the list from there out is its backtrace ([`of_fiber`]).
//!
//! Invariants: every [`enter`] is paired with a [`leave`] on every exit of the function
//! (a return, an error, a tail call, which replaces the record); code that may switch
//! stacks (a call, a `suspend`, `handle`, `resume`) puts back the record it started with
//! when control comes back ([`current`], [`restore`]). While a cancelled computation
//! unwinds, its records are left alone: the code that cancelled it keeps its own.
//! A record that is a fiber's first (a `handle` body, the function of a started `cont`)
//! names its fiber, so that a backtrace stops where its continuation's segment does and
//! marks the fibers it crosses.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use crate::runtime::TraceFrame;
use crate::span::Span;
use crate::stack::{self, FiberId};

/// The record of one running (or suspended) call of a function compiled with records.
pub struct Record {
    /// The function's name.
    name: Rc<str>,
    /// The source text it comes from.
    source: u32,
    /// Where in it execution is: the call or `suspend` it last started.
    site: Cell<Span>,
    /// The fiber it runs on, if it is the first record of that fiber.
    fiber: Option<FiberId>,
    /// The record of whoever called it (for a fiber's first, of the code that started the
    /// fiber).
    parent: Option<Rc<Record>>,
}

thread_local! {
    /// The record of the function running now, if it was compiled with records.
    static TOP: RefCell<Option<Rc<Record>>> = const { RefCell::new(None) };
    /// The innermost record of each suspended computation, by the fiber it suspended on.
    static SUSPENDED: RefCell<HashMap<FiberId, Rc<Record>>> = RefCell::new(HashMap::new());
}

/// The record of the function running now.
pub fn current() -> Option<Rc<Record>> {
    TOP.with(|top| top.borrow().clone())
}

/// Makes `record` the running function's record again, after code that may have switched
/// stacks; not while a cancelled computation unwinds (see the module docs).
pub fn restore(record: Option<Rc<Record>>) {
    if !stack::cancelling() {
        TOP.with(|top| *top.borrow_mut() = record);
    }
}

/// Notes that the running function is now at `site` (a call, a `suspend`).
pub fn at(site: Span) {
    TOP.with(|top| {
        if let Some(record) = &*top.borrow() {
            record.site.set(site);
        }
    });
}

/// The caller's record, from [`enter`] to [`leave`], which makes it the running one again.
pub struct Entered(Option<Rc<Record>>);

/// Starts the record of a call of function `name` from `source`. `first` says whether the
/// call is at the bottom of its value stack, its fiber's first (a frame at the bottom of
/// the thread's own stack names no fiber).
pub fn enter(name: &Rc<str>, source: u32, first: bool) -> Entered {
    let parent = current();
    let fiber = if first { stack::current_id() } else { None };
    let record = Rc::new(Record {
        name: name.clone(),
        source,
        site: Cell::new(Span::default()),
        fiber,
        parent: parent.clone(),
    });
    TOP.with(|top| *top.borrow_mut() = Some(record));
    Entered(parent)
}

/// Ends the record of a call begun by [`enter`].
pub fn leave(entered: Entered) {
    restore(entered.0);
}

/// Notes that the running computation suspends at `site`: its records are kept under its
/// fiber until [`resumed`].
pub fn suspending(site: Span) {
    at(site);
    if let (Some(record), Some(id)) = (current(), stack::current_id()) {
        SUSPENDED.with(|s| s.borrow_mut().insert(id, record));
    }
}

/// Notes that the computation that suspended on the running fiber runs again.
pub fn resumed() {
    if let Some(id) = stack::current_id() {
        SUSPENDED.with(|s| s.borrow_mut().remove(&id));
    }
}

/// What [`of_fiber`] found of a suspended computation.
#[derive(Debug, Default)]
pub struct Frames {
    /// Its frames, innermost first, with a [`TraceFrame::Resumed`] where it crosses from a
    /// fiber into the one that resumed it.
    pub trace: Vec<TraceFrame>,
    /// Whether some of its frames were not recorded (code compiled before the session
    /// compiled records), so that the list stops short.
    pub incomplete: bool,
}

/// The frames of the computation suspended on fiber `innermost`, out to fiber
/// `outermost`'s first record (the body of the `handle` whose handler caught it, or the
/// function of a `cont`).
pub fn of_fiber(innermost: FiberId, outermost: FiberId) -> Frames {
    let mut next = SUSPENDED.with(|s| s.borrow().get(&innermost).cloned());
    let mut frames = Frames {
        incomplete: next.is_none(),
        ..Frames::default()
    };
    while let Some(record) = next {
        frames.trace.push(TraceFrame::Call {
            name: record.name.clone(),
            source: record.source,
            span: record.site.get(),
        });
        if record.fiber == Some(outermost) {
            return frames;
        }
        next = record.parent.clone();
        if record.fiber.is_some()
            && let Some(caller) = &next
        {
            frames.trace.push(TraceFrame::Resumed {
                source: caller.source,
                span: caller.site.get(),
            });
        }
    }
    frames.incomplete = true;
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the records from the running one out.
    fn names() -> Vec<String> {
        let mut out = Vec::new();
        let mut next = current();
        while let Some(record) = next {
            out.push(format!("{}@{}", record.name, record.site.get().start));
            next = record.parent.clone();
        }
        out
    }

    #[test]
    fn calls_nest_and_leave_their_caller_running() {
        let (f, g): (Rc<str>, Rc<str>) = ("f".into(), "g".into());
        let outer = enter(&f, 0, false);
        at(Span::new(3, 4));
        let inner = enter(&g, 0, false);
        at(Span::new(7, 8));
        assert_eq!(names(), ["g@7", "f@3"]);
        leave(inner);
        assert_eq!(names(), ["f@3"]);
        // A tail call: the record is replaced, not nested.
        leave(outer);
        let tail = enter(&g, 0, false);
        assert_eq!(names(), ["g@0"]);
        leave(tail);
        assert!(current().is_none());
    }

    #[test]
    fn restore_puts_back_the_record_code_started_with() {
        let f: Rc<str> = "f".into();
        let outer = enter(&f, 0, false);
        let saved = current();
        let stray = enter(&f, 1, false);
        // Control came back without the stray record's `leave` (a stack switch).
        restore(saved);
        assert_eq!(names(), ["f@0"]);
        drop(stray);
        leave(outer);
        assert!(current().is_none());
    }

    #[test]
    fn a_computation_not_recorded_has_no_frames() {
        let fiber = stack::Fiber::new(|p| p).expect("a stack");
        let frames = of_fiber(fiber.id(), fiber.id());
        assert!(frames.trace.is_empty());
        assert!(frames.incomplete);
    }
}
