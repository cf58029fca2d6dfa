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
//! The frames of the running computation are a stack, per thread (`Running`): a call
//! pushes its function's frame ([`enter`]) and pops it when it ends ([`leave`]); each frame
//! says where in its function execution is ([`at`]: the call, `handle`, `resume` or
//! `suspend` it waits at, noted before their arguments are evaluated, so that one in the
//! arguments of another puts the other's back when it returns, [`back`]). A frame names
//! its function by a number given when the function is compiled ([`function`]), and says
//! how far below it its caller's is: the next one down, but for a handler clause's, whose
//! caller is the code that entered its handler's fiber (the `handle`, or the `resume` that
//! resumed its computation last), which on the fast path lies below the computation the
//! clause runs on top of. The first frame of a fiber (a `handle` body, a `cont` function)
//! is marked, with the fiber, in a list of the fibers whose first frames are on the stack.
//!
//! A suspend to a handler that takes a continuation moves the frames of the captured
//! computation (from the first frame of the handler's fiber up) into the continuation's
//! `Segment`, kept by the handler's fiber (`SUSPENDED`): the clause then runs on the
//! frames of the code that entered that fiber, as the language has it. The resume that
//! goes on with the computation puts them back on top of its own frames ([`resumed`]): the
//! first frame's caller is then its latest resumer. `backtrace(k)` reads the segment of
//! `k`'s outermost fiber ([`of_continuation`]). This is what the runtime does with handler
//! entries (`cut_entries`, `push_entries`), for frames.
//!
//! Invariants: every [`enter`] is paired with a [`leave`] on every exit of the function (a
//! return, an error, a tail call), every [`suspending`] with a [`resumed`], so that code
//! that switched stacks finds its frame on top when control comes back (code compiled
//! without records may leave frames above it, which [`leave`] drops). While a cancelled computation unwinds, none of these touch the stack: its
//! frames went with its segment, and the stack is its canceller's. An entry of the fibers'
//! list is on the stack exactly while the first frame it marks is (a frameless one, for a
//! shallow resume's fiber, from [`wrapper_started`] to [`wrapper_ended`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::runtime::effects::{self, OpId};
use crate::runtime::{Ctx, TraceFrame, Vm};
use crate::span::{SourceSpan, Span};
use crate::stack::{self, FiberId};

/// The frame of one running (or suspended) call of a function compiled with records.
struct Frame {
    /// Where in its function execution is: the call, `handle`, `resume` or `suspend` it
    /// waits at.
    site: Span,
    /// Its function, by its number in [`FUNCTIONS`].
    function: u32,
    /// How many frames below this one its caller's is (0: none, or code compiled without
    /// records).
    down: u32,
    /// The fiber it runs on (`None` on the thread's own stack). A call inherits its
    /// caller's unless it may be at the bottom of a fiber's value stack or is a handler
    /// clause; only a frame at the bottom reads it, to tell whether it is its fiber's
    /// first.
    fiber: Option<FiberId>,
    /// Its number among the frames the thread made, which names it for [`leave`].
    serial: u64,
    /// Whether it is its fiber's first: crossing to its caller crosses into the code that
    /// entered the fiber.
    first: bool,
}

/// What a function's frame is, for [`enter`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// A function called, or started at the bottom of a fiber.
    Function,
    /// An operation clause: called by the code that entered its handler's fiber.
    Clause,
    /// A `return` clause: called where its handler's body returned to.
    Return,
}

/// The running computation's frames, and the fibers whose first frames are among them.
struct Running {
    /// The frames, innermost last.
    stack: Vec<Frame>,
    /// The fibers whose first frames are on the stack, each with the index of that frame
    /// (where its frames begin, for a frameless shallow resume's fiber), innermost last.
    fibers: Vec<(FiberId, usize)>,
    /// For the operation clause about to run: the index of its caller's frame (`None`: its
    /// caller was not recorded), set by [`suspending`].
    waiter: Option<Option<usize>>,
    /// The serial number of the next frame.
    serial: u64,
}

/// The frames of a computation suspended to a handler that took a continuation, moved off
/// the stack: the continuation's.
struct Segment {
    /// The frames, from the first of the handler's fiber up, innermost last.
    frames: Vec<Frame>,
    /// The fibers whose first frames are among them, with indexes into `frames`.
    fibers: Vec<(FiberId, usize)>,
    /// The source and site of the frame below them, which entered the handler's fiber.
    entered: Option<(u32, Span)>,
}

thread_local! {
    /// The running computation's frames.
    static RUNNING: RefCell<Running> = const {
        RefCell::new(Running {
            stack: Vec::new(),
            fibers: Vec::new(),
            waiter: None,
            serial: 0,
        })
    };
    /// The functions compiled with records, by number: each one's name and source.
    static FUNCTIONS: RefCell<Vec<(Rc<str>, u32)>> = const { RefCell::new(Vec::new()) };
    /// The segments of the suspended computations, by their handler's fiber: the
    /// outermost fiber of the continuation that holds them.
    static SUSPENDED: RefCell<HashMap<FiberId, Segment>> = RefCell::new(HashMap::new());
}

/// A frame begun by [`enter`], for [`leave`].
pub struct Entered(u64);

/// The number that names function `name` from `source` in the frames of its calls: given
/// once, when the function is compiled with records.
pub fn function(name: Rc<str>, source: u32) -> u32 {
    FUNCTIONS.with(|f| {
        let mut f = f.borrow_mut();
        f.push((name, source));
        u32::try_from(f.len() - 1).unwrap_or(u32::MAX)
    })
}

/// The name and source of function number `function` (see [`function`]).
fn function_of(function: u32) -> (Rc<str>, u32) {
    FUNCTIONS.with(|f| {
        let f = f.borrow();
        f.get(function as usize)
            .cloned()
            .unwrap_or_else(|| ("?".into(), 0))
    })
}

/// Pushes the frame of a call of function number `function` (see [`function`]), whose value
/// stack frame is the running one of `ctx`, in role `role`.
///
/// A function's frame is its fiber's first if its value stack frame is at the bottom of a
/// fresh value stack (a `handle` body, a `cont` function, the program's top level): at
/// index 0 of a context not moved to a stack extension, on another fiber than its caller's
/// (a frame of no slots at the bottom calls the next one at index 0 on the same fiber).
pub fn enter(function: u32, role: Role, ctx: &Ctx) -> Entered {
    RUNNING.with(|r| {
        let r = &mut *r.borrow_mut();
        let len = r.stack.len();
        let above = r.stack.last().and_then(|f| f.fiber);
        let bottom = ctx.base == 0;
        let fiber = if bottom || role != Role::Function || len == 0 {
            stack::current_id()
        } else {
            above
        };
        let first = match fiber {
            Some(f)
                if bottom && role == Role::Function && ctx.extensions == 0 && fiber != above =>
            {
                r.fibers.push((f, len));
                true
            }
            _ => false,
        };
        let waiter = match role {
            Role::Clause => r.waiter.take(),
            _ => None,
        };
        let down = match waiter {
            Some(w) => w.and_then(|w| len.checked_sub(w)).unwrap_or(0),
            None => usize::from(len > 0),
        };
        let down = u32::try_from(down).unwrap_or(0);
        let serial = r.serial;
        r.serial += 1;
        r.stack.push(Frame {
            site: Span::default(),
            function,
            down,
            fiber,
            serial,
            first,
        });
        Entered(serial)
    })
}

/// Pops the frame [`enter`] pushed, the running one.
pub fn leave(entered: Entered) {
    if stack::cancelling() {
        return;
    }
    RUNNING.with(|r| {
        let r = &mut *r.borrow_mut();
        match r.stack.last() {
            Some(top) if top.serial == entered.0 => {
                let at = r.stack.len() - 1;
                let first = top.first.then_some(top.fiber).flatten();
                r.stack.pop();
                if let Some(f) = first {
                    drop_fiber(r, at, f);
                }
            }
            _ => leave_below(r, entered.0),
        }
    });
}

/// Takes off the fibers' list the entry of fiber `fiber`, whose first frame, at `at`, is
/// gone.
fn drop_fiber(r: &mut Running, at: usize, fiber: FiberId) {
    if r.fibers.last() == Some(&(fiber, at)) {
        r.fibers.pop();
    }
}

/// [`leave`] of frame `serial`, which is not on top: code compiled without records
/// switched stacks and left frames above it, which go with it.
#[cold]
fn leave_below(r: &mut Running, serial: u64) {
    let Some(at) = r.stack.iter().rposition(|f| f.serial == serial) else {
        return;
    };
    let first = r.stack[at].first.then_some(r.stack[at].fiber).flatten();
    r.stack.truncate(at);
    while r.fibers.last().is_some_and(|&(_, i)| i > at) {
        r.fibers.pop();
    }
    if let Some(f) = first {
        drop_fiber(r, at, f);
    }
}

/// Notes that the running function is now at `site` (a call, `handle` or `resume`);
/// returns where it was before, for [`back`].
pub fn at(site: Span) -> Span {
    RUNNING.with(|r| match r.borrow_mut().stack.last_mut() {
        Some(top) => std::mem::replace(&mut top.site, site),
        None => site,
    })
}

/// The call, `handle` or `resume` [`at`] was noted for, in the arguments of another whose
/// site was noted before them, returned: the running function is at `site` again.
pub fn back(site: Span) {
    if stack::cancelling() {
        return;
    }
    RUNNING.with(|r| {
        if let Some(top) = r.borrow_mut().stack.last_mut() {
            top.site = site;
        }
    });
}

/// The running function resumes a continuation at `site` of `source`, for a clause whose
/// tail `resume` it makes once the clause returned (as an error's backtrace has it, the
/// function is then at that `resume`, until its next call, `handle` or `resume`).
pub fn resuming_at(source: u32, site: Span) {
    RUNNING.with(|r| {
        if let Some(top) = r.borrow_mut().stack.last_mut()
            && function_of(top.function).1 == source
        {
            top.site = site;
        }
    });
}

/// What [`suspending`] noted of a suspend, for [`resumed`].
pub struct Suspension {
    /// The suspending frame's serial number, and its site before.
    frame: (u64, Span),
    /// The fiber of the handler that catches the operation.
    handler: FiberId,
    /// Whether the handler takes a continuation: the slow path, a stack switch.
    switched: bool,
}

/// Operation `op`, performed at `at`, is about to suspend the running function (a
/// `suspend`, or a built-in operation the runtime performs). If a program's handler
/// catches it, its clause runs as called from the code that entered the handler's fiber;
/// a computation the handler captures takes its frames with it until [`resumed`]. Nothing
/// when no function compiled with records runs.
pub fn suspending(vm: &Vm, op: OpId, at: SourceSpan) -> Option<Suspension> {
    let frame = RUNNING.with(|r| {
        let mut r = r.borrow_mut();
        let top = r.stack.last_mut()?;
        let before = top.site;
        // A built-in operation of code compiled without records, called from this
        // function, leaves it at that call.
        if function_of(top.function).1 == at.source {
            top.site = at.span;
        }
        Some((top.serial, before))
    })?;
    let catcher = effects::catcher(vm, op)?;
    let handler = catcher.fiber;
    let switched = !catcher.fast;
    RUNNING.with(|r| {
        let r = &mut *r.borrow_mut();
        let Some(k) = r.fibers.iter().rposition(|&(f, _)| f == handler) else {
            r.waiter = Some(None);
            return;
        };
        let base = r.fibers[k].1;
        r.waiter = Some(base.checked_sub(1));
        if switched {
            let segment = Segment {
                frames: r.stack.split_off(base),
                fibers: r
                    .fibers
                    .split_off(k)
                    .into_iter()
                    .map(|(f, i)| (f, i - base))
                    .collect(),
                entered: r.stack.last().map(|f| (function_of(f.function).1, f.site)),
            };
            SUSPENDED.with(|s| s.borrow_mut().insert(handler, segment));
        }
    });
    Some(Suspension {
        frame,
        handler,
        switched,
    })
}

/// The suspend noted by [`suspending`] returned (its computation was resumed, its clause
/// returned on the fast path, or it unwinds): a computation that was captured has its
/// frames put back on top of its resumer's, and the suspending function is where it was.
pub fn resumed(noted: Option<Suspension>) {
    let Some(s) = noted else {
        return;
    };
    let segment = match s.switched {
        true => SUSPENDED.with(|m| m.borrow_mut().remove(&s.handler)),
        false => None,
    };
    if stack::cancelling() {
        return;
    }
    RUNNING.with(|r| {
        let r = &mut *r.borrow_mut();
        r.waiter = None;
        if let Some(segment) = segment {
            let base = r.stack.len();
            r.stack.extend(segment.frames);
            r.fibers
                .extend(segment.fibers.into_iter().map(|(f, i)| (f, i + base)));
        }
        if let Some(top) = r.stack.last_mut()
            && top.serial == s.frame.0
        {
            top.site = s.frame.1;
        }
    });
}

/// The fiber of a shallow resume that needs one of its own (`effects::run_wrapped`) starts:
/// it has no frames of its own, but a continuation captured by its handler begins where it
/// does. Returns the fiber, for [`wrapper_ended`].
pub fn wrapper_started() -> Option<FiberId> {
    let here = stack::current_id()?;
    RUNNING.with(|r| {
        let r = &mut *r.borrow_mut();
        let len = r.stack.len();
        (len > 0).then(|| r.fibers.push((here, len)))
    })?;
    Some(here)
}

/// The fiber [`wrapper_started`] noted ends.
pub fn wrapper_ended(fiber: Option<FiberId>) {
    if let Some(f) = fiber {
        RUNNING.with(|r| {
            let r = &mut *r.borrow_mut();
            if let Some(k) = r.fibers.iter().rposition(|&(g, _)| g == f) {
                r.fibers.truncate(k);
            }
        });
    }
}

/// What [`of_continuation`] found of a suspended computation.
#[derive(Debug, Default)]
pub struct Frames {
    /// Its frames, innermost first, with a [`TraceFrame::Resumed`] where it crosses from a
    /// fiber into the code that entered it.
    pub trace: Vec<TraceFrame>,
    /// Whether the list stops short: some frames were not recorded (code compiled before
    /// the session compiled records).
    pub incomplete: bool,
}

/// The frames of the computation suspended to the handler on fiber `outermost` (the
/// outermost fiber of its continuation): from its innermost frame out to the first frame
/// of that fiber (the body of the `handle` whose handler caught it, or the function of a
/// `cont`).
pub fn of_continuation(outermost: FiberId) -> Frames {
    SUSPENDED.with(|s| {
        let s = s.borrow();
        let mut found = Frames::default();
        let Some(segment) = s.get(&outermost) else {
            found.incomplete = true;
            return found;
        };
        let frames = &segment.frames;
        let mut i = frames.len();
        while i > 0 {
            let f = &frames[i - 1];
            let (name, source) = function_of(f.function);
            found.trace.push(TraceFrame::Call {
                name,
                source,
                span: f.site,
            });
            if f.first && f.fiber == Some(outermost) {
                return found;
            }
            if f.down == 0 {
                break;
            }
            // Crossing from a fiber's first frame into the code that entered the fiber
            // (into the code below the continuation: a shallow resume's fiber, as a
            // `handle` of the resume, where the list ends).
            let below = (i - 1).checked_sub(f.down as usize);
            let entered = match below {
                Some(j) => Some((function_of(frames[j].function).1, frames[j].site)),
                None => segment.entered,
            };
            if f.first
                && let Some((source, span)) = entered
            {
                found.trace.push(TraceFrame::Resumed { source, span });
            }
            match below {
                Some(j) => i = j + 1,
                None => return found,
            }
        }
        found.incomplete = true;
        found
    })
}

#[cfg(test)]
mod tests;
