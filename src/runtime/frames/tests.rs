//! The records' list: nesting, sites put back, a fiber's first and its caller.

use super::*;
use crate::runtime::value::Value;
use crate::stack::{Event, Fiber};

/// A context whose running frame starts at `base` of its value stack.
fn ctx_at(base: usize) -> Ctx {
    let vm = Rc::new(Vm::new(Box::new(std::io::sink()), Vec::new(), true));
    let mut ctx = Ctx::new(vm);
    ctx.stack.resize(base + 1, Value::Unit);
    ctx.base = base;
    ctx
}

/// The records from the running one out, each as `name@site` (a fiber's first as
/// `name@site*`, followed by its caller).
fn names() -> Vec<String> {
    let mut out = Vec::new();
    let mut next = current();
    while let Some(record) = next {
        let first = if record.first { "*" } else { "" };
        out.push(format!(
            "{}@{}{first}",
            record.name,
            record.site.get().start
        ));
        next = match record.fiber {
            Some(f) if record.first => ENTERED.with(|e| e.borrow().get(&f).cloned().flatten()),
            _ => record.parent.clone(),
        };
    }
    out
}

#[test]
fn calls_nest_and_each_leaves_its_caller_at_its_site() {
    let (f, g): (Rc<str>, Rc<str>) = ("f".into(), "g".into());
    let ctx = ctx_at(1);
    let outer = enter(&f, 0, false, &ctx);
    let call = at(Span::new(3, 4));
    let inner = enter(&g, 0, false, &ctx);
    // A call in the arguments of the call at 3 moves the site, and puts it back.
    let argument = at(Span::new(7, 8));
    assert_eq!(names(), ["g@7", "f@3"]);
    back(argument);
    assert_eq!(names(), ["g@0", "f@3"]);
    leave(inner, false);
    back(call);
    assert_eq!(names(), ["f@0"]);
    // A tail call: the record is replaced, not nested.
    leave(outer, true);
    let tail = enter(&g, 0, false, &ctx);
    assert_eq!(names(), ["g@0"]);
    leave(tail, false);
    assert!(current().is_none());
}

#[test]
fn back_puts_back_the_record_code_started_with() {
    let f: Rc<str> = "f".into();
    let ctx = ctx_at(1);
    let outer = enter(&f, 0, false, &ctx);
    let mark = at(Span::new(5, 6));
    let _stray = enter(&f, 1, false, &ctx);
    // Control came back without the stray record's `leave` (a stack switch).
    back(mark);
    assert_eq!(names(), ["f@0"]);
    leave(outer, false);
    assert!(current().is_none());
}

#[test]
fn the_first_function_of_a_fiber_has_the_code_that_entered_it_as_caller() {
    let (main, body, next): (Rc<str>, Rc<str>, Rc<str>) =
        ("main".into(), "body".into(), "next".into());
    let outer = enter(&main, 0, false, &ctx_at(1));
    let mark = at(Span::new(9, 10));
    let fiber = Fiber::new(move |_| {
        let ctx = ctx_at(0);
        let first = enter(&body, 0, false, &ctx);
        assert_eq!(names(), ["body@0*", "main@9"]);
        // A tail call at the bottom of the fiber is its first in turn, with the same
        // caller; a call from a frame of no slots at the bottom is not.
        leave(first, true);
        let first = enter(&next, 0, false, &ctx);
        let call = enter(&next, 0, false, &ctx);
        assert_eq!(names(), ["next@0", "next@0*", "main@9"]);
        leave(call, false);
        leave(first, false);
        // The fiber's end leaves its caller running, and forgets it.
        assert_eq!(names(), ["main@9"]);
        assert!(ENTERED.with(|e| e.borrow().is_empty()));
        0
    })
    .expect("a stack");
    assert_eq!(fiber.resume(0), Ok(Event::Returned(0)));
    back(mark);
    leave(outer, false);
    assert!(current().is_none());
}

#[test]
fn a_clause_is_never_a_fibers_first() {
    let clause: Rc<str> = "Op".into();
    let fiber = Fiber::new(move |_| {
        let entered = enter(&clause, 0, true, &ctx_at(0));
        let first = current().is_some_and(|r| r.first);
        leave(entered, false);
        usize::from(first)
    })
    .expect("a stack");
    assert_eq!(fiber.resume(0), Ok(Event::Returned(0)));
}

#[test]
fn a_computation_not_recorded_has_no_frames() {
    let fiber = Fiber::new(|p| p).expect("a stack");
    let frames = of_segment(&[fiber.id()]);
    assert!(frames.trace.is_empty());
    assert!(frames.incomplete);
    assert!(of_segment(&[]).trace.is_empty());
}
