//! The frame stack: nesting, sites put back, a fiber's first frame, and frames left by
//! code that switched stacks without records.

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

/// The running frames from the innermost out, each as `name@site` (a fiber's first as
/// `name@site*`), following each frame's caller.
fn names() -> Vec<String> {
    RUNNING.with(|r| {
        let r = r.borrow();
        let mut out = Vec::new();
        let mut i = r.stack.len();
        while i > 0 {
            let f = &r.stack[i - 1];
            let first = if f.first { "*" } else { "" };
            out.push(format!(
                "{}@{}{first}",
                function_of(f.function).0,
                f.site.start
            ));
            if f.down == 0 {
                break;
            }
            i -= f.down as usize;
        }
        out
    })
}

/// How many fibers have their first frames on the stack.
fn fibers() -> usize {
    RUNNING.with(|r| r.borrow().fibers.len())
}

#[test]
fn calls_nest_and_each_leaves_its_caller_at_its_site() {
    let (f, g) = (function("f".into(), 0), function("g".into(), 0));
    let ctx = ctx_at(1);
    let outer = enter(f, Role::Function, &ctx);
    let call = at(Span::new(3, 4));
    let inner = enter(g, Role::Function, &ctx);
    // A call in the arguments of the call at 3 moves the site, and puts it back.
    let argument = at(Span::new(7, 8));
    assert_eq!(names(), ["g@7", "f@3"]);
    back(argument);
    assert_eq!(names(), ["g@0", "f@3"]);
    leave(inner);
    back(call);
    assert_eq!(names(), ["f@0"]);
    leave(outer);
    assert!(names().is_empty());
}

#[test]
fn a_frame_left_above_by_a_switch_goes_with_the_frame_below() {
    let f = function("f".into(), 0);
    let ctx = ctx_at(1);
    let outer = enter(f, Role::Function, &ctx);
    let _stray = enter(f, Role::Function, &ctx);
    // Control came back without the stray frame's `leave`.
    leave(outer);
    assert!(names().is_empty());
}

#[test]
fn the_first_function_of_a_fiber_has_the_code_that_entered_it_as_caller() {
    let (main, body, next) = (
        function("main".into(), 0),
        function("body".into(), 0),
        function("next".into(), 0),
    );
    let outer = enter(main, Role::Function, &ctx_at(1));
    let mark = at(Span::new(9, 10));
    let fiber = Fiber::new(move |_| {
        let ctx = ctx_at(0);
        let first = enter(body, Role::Function, &ctx);
        assert_eq!(names(), ["body@0*", "main@9"]);
        // A tail call at the bottom of the fiber is its first in turn; a call from a
        // frame of no slots at the bottom is not.
        leave(first);
        let first = enter(next, Role::Function, &ctx);
        let call = enter(next, Role::Function, &ctx);
        assert_eq!(names(), ["next@0", "next@0*", "main@9"]);
        assert_eq!(fibers(), 1);
        leave(call);
        leave(first);
        assert_eq!(names(), ["main@9"]);
        assert_eq!(fibers(), 0);
        0
    })
    .expect("a stack");
    assert_eq!(fiber.resume(0), Ok(Event::Returned(0)));
    back(mark);
    leave(outer);
    assert!(names().is_empty());
}

#[test]
fn a_clause_is_never_a_fibers_first_and_is_called_by_its_waiter() {
    let (main, clause) = (function("main".into(), 0), function("Op".into(), 0));
    let outer = enter(main, Role::Function, &ctx_at(1));
    at(Span::new(4, 5));
    let fiber = Fiber::new(move |_| {
        let ctx = ctx_at(0);
        let body = enter(clause, Role::Function, &ctx);
        // As `suspending` leaves it for a clause of the handler whose fiber this is, run
        // here (the fast path): its caller is the code that entered the fiber.
        RUNNING.with(|r| r.borrow_mut().waiter = Some(Some(0)));
        let run = enter(clause, Role::Clause, &ctx_at(0));
        assert_eq!(names(), ["Op@0", "main@4"]);
        assert_eq!(fibers(), 1);
        leave(run);
        leave(body);
        0
    })
    .expect("a stack");
    assert_eq!(fiber.resume(0), Ok(Event::Returned(0)));
    leave(outer);
}

#[test]
fn a_computation_not_recorded_has_no_frames() {
    let fiber = Fiber::new(|p| p).expect("a stack");
    let frames = of_continuation(fiber.id());
    assert!(frames.trace.is_empty());
    assert!(frames.incomplete);
}
