//! Effect handlers and one-shot continuations, on native stacks.
//!
//! # Design
//! - **handle.** `handle body with { … }` runs `body` on a fiber of its own (a native stack
//!   from `crate::stack`) and pushes a *handler entry* (its clauses and that fiber) on the
//!   VM's handler stack while the fiber runs. The code that resumed a fiber — `handle` first,
//!   later any `resume` — waits in `resume_segment` for it to return or suspend.
//! - **suspend.** `suspend Op(args)` searches the handler stack from the top for the nearest
//!   entry with a clause for `Op`, stepping over *masks* (below). On the slow path it cuts
//!   the handler stack at that entry: the entries above it, with the fibers they name, become
//!   the continuation `k` (a *segment* of one or more fibers), and one stack switch goes
//!   straight to the code waiting for that entry's fiber, however many handlers lie between
//!   (no switch per level). That code runs the clause with the arguments and `k`.
//! - **resume.** `resume k(v)` takes the segment out of `k` (one-shot: an empty `k` is the
//!   error `continuation already resumed`), pushes its entries back on the handler stack and
//!   switches into the fiber that suspended. A deep handler's own entry is part of the
//!   segment, so it keeps handling; a shallow handler (`resume k(v) with { … }`) gets an
//!   entry of its own that is *not* put into the continuation its clause receives.
//! - **cont.** `cont f` makes a fresh continuation that holds `f` and nothing else: its
//!   first `resume` starts a fiber that calls `f` with the resume's arguments (so a `cont`
//!   never resumed costs no stack). It has no handler entry, so its operations go to the
//!   handlers around whoever resumes it.
//! - **Fast path.** A tail-resumptive clause (every exit is `resume k(e)`, `k` used nowhere
//!   else) runs as an ordinary call on the suspending fiber: `suspend` pushes a mask (so that
//!   operations the clause performs skip the handler and the ones above it, exactly as if the
//!   clause ran in the handler's context), calls the clause, and returns its value. No stack
//!   switch. A *leaf* clause ([`ClauseKind::Leaf`]: it calls nothing and performs nothing)
//!   skips the mask too: nothing can search the handler stack while it runs. With
//!   `KONT_FAST_RESUME=0` such clauses take the slow path instead: the clause runs where the
//!   handler waits and then resumes `k` with its value; the results are the same.
//! - **Cancelling.** `discontinue k`, and dropping the last reference to a suspended `k`,
//!   cancel its fibers (`crate::stack::Fiber::cancel`): the pending `suspend` returns
//!   [`CtrlKind::Abort`], which unwinds every frame without running kont code (destructors run),
//!   and the stacks go back to the pool.
//!
//! # Moving values across a switch
//! A switch carries one word. Values travel in [`Vm::transfer`](crate::runtime::Vm), a
//! [`Transfer`] with one cell per kind of switch (resume, suspend, finish): the side that
//! switches away writes its cell immediately before the switch, the side that wakes up takes
//! the cell of the event the stack layer reports immediately after. Nothing that could drop
//! a value (and so cancel a continuation, which switches too) runs in between.
//!
//! # Reference cycles
//! A continuation stored in a variable that its own suspended computation captures forms an
//! `Rc` cycle (continuation → fiber → frame → cell → continuation) and is not reclaimed;
//! `discontinue` it (or resume it to the end) to free it. See `docs/effects.md`.

use std::cell::Cell;
use std::rc::{Rc, Weak};

use crate::ir::OpId;
use crate::runtime::function::{Closure, Proto, invoke};
use crate::runtime::value::{Value, Values};
use crate::runtime::{Ctrl, CtrlKind, Ctx, Escaping, R, RuntimeError, Vm};
use crate::stack::{self, Event, Fiber, FiberId};
use crate::syntax::ast::Span;

/// How an operation clause may run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ClauseKind {
    /// Where its handler waits, after a stack switch, with its continuation.
    General,
    /// Tail-resumptive: on the fast path, as a call on the suspending stack behind a mask.
    TailResumptive,
    /// Tail-resumptive and performing nothing (no call, no `suspend`: see
    /// [`Ir::calls_out`](crate::ir::Ir::calls_out)): on the fast path without a mask, since
    /// no handler search can happen while it runs.
    Leaf,
}

impl ClauseKind {
    /// The kind of a clause from the resolver's facts about it.
    pub fn of(tail_resumptive: bool, calls_out: bool) -> ClauseKind {
        match (tail_resumptive, calls_out) {
            (false, _) => ClauseKind::General,
            (true, true) => ClauseKind::TailResumptive,
            (true, false) => ClauseKind::Leaf,
        }
    }
}

/// The clauses of an installed handler.
pub struct HandlerValue {
    /// Operation clauses: the operation, the clause, and how it may run.
    pub ops: Vec<(OpId, Rc<Closure>, ClauseKind)>,
    /// The `return` clause.
    pub ret: Option<Rc<Closure>>,
    /// Whether it is a shallow handler (one `resume … with` installs): not part of the
    /// continuations it captures. (Kept here rather than in its [`HandlerEntry`], whose
    /// fields then are two words, copied as such.)
    pub shallow: bool,
}

impl HandlerValue {
    /// The clause for operation `op` and how it may run, if this handler has one.
    fn clause(&self, op: OpId) -> Option<(&Rc<Closure>, ClauseKind)> {
        self.ops
            .iter()
            .find(|(o, _, _)| *o == op)
            .map(|(_, c, tr)| (c, *tr))
    }
}

/// An entry of the VM's handler stack.
pub enum HandlerEntry {
    /// A handler installed on `fiber` (a `handle` body, or a continuation resumed `with`).
    Handler {
        /// Its clauses.
        handler: Rc<HandlerValue>,
        /// The outermost fiber of the computation it handles.
        fiber: Fiber,
    },
    /// A tail-resumptive clause is running on the fast path for the handler `skip` entries
    /// below: a search for a handler passes over it and the entries above it.
    Mask {
        /// Distance from this entry down to the handler whose clause runs.
        skip: usize,
    },
}

/// The values a `resume` passes: most pass one, and then no vector is allocated.
#[derive(Default)]
pub enum Args {
    /// No value (`resume k()`, or entering a `handle` body).
    #[default]
    None,
    /// One value.
    One(Value),
    /// Several values (the first resume of a `cont` of a function of several parameters).
    Many(Vec<Value>),
}

impl Args {
    /// How many values.
    fn len(&self) -> usize {
        match self {
            Args::None => 0,
            Args::One(_) => 1,
            Args::Many(vs) => vs.len(),
        }
    }

    /// The value `suspend` returns when resumed with these: the last, or `()`.
    fn into_value(self) -> Value {
        match self {
            Args::None => Value::Unit,
            Args::One(v) => v,
            Args::Many(mut vs) => vs.pop().unwrap_or_default(),
        }
    }

    /// Pushes the values on a value stack, first first. Inlined: out of line it cost
    /// about 20 instructions per call, for a push or nothing (handler_lifecycle 2,953 →
    /// 2,899 instructions).
    #[inline(always)]
    fn push_onto(self, stack: &mut Vec<Value>) {
        match self {
            Args::None => {}
            Args::One(v) => stack.push(v),
            Args::Many(vs) => stack.extend(vs),
        }
    }
}

/// Values in flight during a stack switch (see the module docs): one slot for each kind
/// of switch, so that each side moves only the words its kind needs and tells the kind from
/// the stack layer's [`Event`], not from a tag in the slot.
#[derive(Default)]
pub struct Transfer {
    /// To a fiber being resumed: its arguments (a fresh `cont` continuation) or the value of
    /// its `suspend`.
    resume: Cell<Args>,
    /// From a fiber that suspended: the operation, for its handler's clause.
    suspended: Cell<Option<Suspension>>,
    /// From a fiber (or stack extension) that finished.
    finished: Cell<Outcome>,
}

/// An operation on its way to the clause that handles it, across the switch of a suspend.
struct Suspension {
    /// The clause that handles the operation.
    clause: Rc<Closure>,
    /// How the clause may run.
    kind: ClauseKind,
    /// The operation's arguments.
    args: Args,
    /// The captured continuation.
    k: Rc<Continuation>,
}

/// How a fiber's function (or a stack extension's job) finished.
#[derive(Default)]
enum Outcome {
    /// Not yet written.
    #[default]
    Empty,
    /// It returned this value.
    Returned(Value),
    /// It failed with this error.
    Failed(Box<RuntimeError>),
    /// It was cancelled and has unwound.
    Aborted,
    /// It was unwound by a clause value (or error) escaping to the handler on the given
    /// fiber.
    Escaped(FiberId, Escaping),
    /// A stack extension finished a call: the continuation's state and the call's result.
    Extended(Box<Ctx>, R),
}

/// Writes `value` into a cell of the [`Transfer`]. The other side has taken what was there,
/// so there is normally nothing to drop (`empty` says so, checked inline, without a call to
/// the drop glue); a cancelled fiber's `Outcome::Aborted`, which no one waits for, may be
/// left over and is dropped.
#[inline(always)]
fn put<T>(cell: &Cell<T>, value: T, empty: impl FnOnce(&T) -> bool) {
    let old = cell.replace(value);
    if empty(&old) {
        // An empty value owns nothing.
        std::mem::forget(old);
    } else {
        drop(old);
    }
}

/// A one-shot continuation: a suspended computation (one or more fibers, a *segment*, and
/// the handler entries that go with them) until it is resumed or discontinued. Its parts are
/// taken out of it in place, each one word or two, rather than moved out as a whole: a
/// resume then carries no record of the computation from function to function.
pub struct Continuation {
    /// The outermost fiber, whose parent is whoever resumes the continuation; `None` once
    /// taken (the continuation is spent), and for a `cont f` not yet resumed. Declared
    /// first, so dropping a continuation drops it before the entries, as the record it
    /// replaced did.
    fiber: Cell<Option<Fiber>>,
    /// The handler entries to push back when resuming (bottom first).
    entries: Cell<Entries>,
    /// For a `cont f` not yet resumed (nor discontinued): `f`, which its first resume starts
    /// on a fiber of its own. At most one of `fiber` and `start` is `Some`.
    start: Cell<Option<Rc<Closure>>>,
}

/// The handler entries of a suspended segment. Most segments hold one, the entry of the
/// deep handler that captured them, which is kept inline: no vector to take from and give
/// back to [`Vm::spare_entries`] around each suspend and resume.
#[derive(Default)]
enum Entries {
    /// None (a `cont` continuation, or one captured by a shallow handler alone).
    #[default]
    None,
    /// One entry.
    One(HandlerEntry),
    /// Several entries, bottom first.
    Many(Vec<HandlerEntry>),
}

/// Whether the clauses of one of a segment's handlers (`entries`) run where the segment is
/// resumed from: a deep handler on its outermost fiber (the handler that captured it) has
/// its clauses run by the resumer.
fn clauses_run_at_resumer(fiber: &Fiber, entries: &Entries) -> bool {
    let on_outermost = |e: &HandlerEntry| match e {
        HandlerEntry::Handler { fiber: f, .. } => f.ptr_eq(fiber),
        HandlerEntry::Mask { .. } => false,
    };
    match entries {
        Entries::None => false,
        Entries::One(e) => on_outermost(e),
        Entries::Many(es) => es.iter().any(on_outermost),
    }
}

impl Continuation {
    /// A continuation of the segment whose outermost fiber is `fiber`. Made by
    /// `Rc::new_cyclic`, which allocates before it builds the value, so that it is written
    /// straight into its allocation instead of being built on the stack and copied whole
    /// (benches/README.md, "Store forwarding").
    fn new(fiber: Fiber, entries: Entries) -> Rc<Continuation> {
        Rc::new_cyclic(|_| Continuation {
            fiber: Cell::new(Some(fiber)),
            entries: Cell::new(entries),
            start: Cell::new(None),
        })
    }

    /// The fresh continuation of `cont f`: `f`, to be started by the first resume.
    fn fresh(f: Rc<Closure>) -> Rc<Continuation> {
        Rc::new(Continuation {
            fiber: Cell::new(None),
            entries: Cell::new(Entries::None),
            start: Cell::new(Some(f)),
        })
    }
}

impl Drop for Continuation {
    /// Drops the suspended computation, if the continuation was not spent: cancels its
    /// fibers (a fresh one drops its function) and drops its handler entries. What those
    /// hold may hold further continuations (a `cont` of a function that captured the previous
    /// one, a clause that did), chains of them a million long: a continuation dropped while
    /// another one's drop is running is put on a list that the outermost drop works through,
    /// so that the native stack does not grow with the chain (without a guard page below
    /// a continuation's stack, that overwrote its neighbour's).
    fn drop(&mut self) {
        if self.fiber.get_mut().is_none()
            && matches!(self.entries.get_mut(), Entries::None)
            && self.start.get_mut().is_none()
        {
            return;
        }
        let parts = (self.fiber.take(), self.entries.take(), self.start.take());
        if DROPPING.with(Cell::get) {
            // While the thread ends, the list may be gone: the parts are then dropped here,
            // with the closure that would have moved them.
            let _ = DEFERRED.try_with(move |d| d.borrow_mut().push(parts));
            return;
        }
        DROPPING.with(|d| d.set(true));
        drop(parts);
        while let Some(parts) = DEFERRED.try_with(|d| d.borrow_mut().pop()).ok().flatten() {
            drop(parts);
        }
        DROPPING.with(|d| d.set(false));
    }
}

/// What a continuation's drop leaves to drop: its fiber, its handler entries and the
/// function of a `cont` never resumed.
type Parts = (Option<Fiber>, Entries, Option<Rc<Closure>>);

thread_local! {
    /// Whether a continuation's drop is running on this thread (see `Drop for Continuation`).
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    /// The parts of continuations dropped meanwhile, for the outermost drop to drop.
    static DEFERRED: std::cell::RefCell<Vec<Parts>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A `resume` about to run: the continuation value, the arguments, the shallow handler of
/// `with { … }` if any, and where the `resume` is written.
pub struct PendingResume {
    /// The continuation (checked to be one when it runs).
    pub k: Value,
    /// The arguments.
    pub args: Args,
    /// The clauses of `resume … with { … }`.
    pub shallow: Option<Rc<HandlerValue>>,
    /// The source of the `resume`.
    pub source: u32,
    /// Where the `resume` is.
    pub site: Span,
}

/// An internal error (a broken invariant of this module, reported rather than panicking).
fn internal(message: impl std::fmt::Display, site: Span) -> Ctrl {
    RuntimeError::new(format!("internal error: {message}"), site).into()
}

/// The function a fiber runs.
pub enum Body {
    /// A function value (`cont f`, the program's top level).
    Shared(Rc<Closure>),
    /// A `handle` body: its prototype and captured variables, made into a [`Closure`] on the
    /// fiber's own stack when it starts (no allocation; such a closure cannot name itself,
    /// so it needs no [`Closure::me`]).
    Parts(Rc<Proto>, Values),
    /// A plain resume, run by the fiber that a shallow handler wraps around it (see
    /// `resume_wrapped`).
    Resume(Box<PendingResume>),
}

impl Body {
    /// Calls the function on the `argc` arguments on top of the value stack, then drops it.
    fn run(self, ctx: &mut Ctx, argc: usize, site: Span) -> R {
        match self {
            Body::Shared(f) => invoke(ctx, &f, argc, site),
            Body::Parts(proto, env) => {
                let clo = Closure {
                    proto,
                    env,
                    me: Weak::new(),
                };
                invoke(ctx, &clo, argc, site)
            }
            Body::Resume(p) => run_wrapped(ctx, p),
        }
    }
}

/// A value stack for a new context: an emptied one kept in the spares, or a new one.
#[inline(always)]
fn spare_value_stack(vm: &Vm) -> Vec<Value> {
    vm.spare_stacks
        .take()
        .unwrap_or_else(|| Vec::with_capacity(crate::runtime::INITIAL_STACK))
}

/// Empties the value stack of a context that has finished and keeps it in the spares.
#[inline(always)]
fn give_value_stack(vm: &Vm, mut stack: Vec<Value>) {
    stack.clear();
    vm.spare_stacks.give(stack);
}

/// A new fiber that runs `f` on the values of the first resume's transfer.
fn spawn(vm: &Rc<Vm>, f: Body, site: Span) -> Result<Fiber, Ctrl> {
    let vm = vm.clone();
    Fiber::new(move |_| {
        let mut ctx = Ctx::with_stack(vm.clone(), spare_value_stack(&vm));
        let args = vm.transfer.resume.take();
        let argc = args.len();
        args.push_onto(&mut ctx.stack);
        // `run` drops the function (and what it captured) when it returns: like everything
        // else that could hold a continuation, before the outcome is written (dropping one
        // cancels it, which switches stacks and uses the transfer slot).
        let result = f.run(&mut ctx, argc, site);
        let stack = std::mem::take(&mut ctx.stack);
        drop(ctx);
        give_value_stack(&vm, stack);
        let outcome = match result.map_err(Ctrl::kind) {
            Ok(v) | Err(CtrlKind::Return(v)) => Outcome::Returned(v),
            Err(CtrlKind::Error(e)) => Outcome::Failed(Box::new(e)),
            Err(CtrlKind::Abort) => Outcome::Aborted,
            Err(CtrlKind::Escape {
                target: Some(target),
                value,
            }) => Outcome::Escaped(target, value),
            Err(CtrlKind::Escape { target: None, .. }) => Outcome::Failed(Box::new(
                RuntimeError::new("internal error: a clause value escaped no handler", site),
            )),
        };
        put(&vm.transfer.finished, outcome, |o| {
            matches!(o, Outcome::Empty)
        });
        0
    })
    .map_err(|e| {
        RuntimeError::new(
            format!("out of memory: cannot create a continuation ({e})"),
            site,
        )
        .into()
    })
}

/// Runs a whole program's top level on a root fiber of its own.
pub fn run_root(vm: &Rc<Vm>, main: Rc<Closure>) -> Result<Value, Box<RuntimeError>> {
    let fiber = spawn(vm, Body::Shared(main), Span::default()).map_err(|c| match c.kind() {
        CtrlKind::Error(e) => Box::new(e),
        _ => Box::new(RuntimeError::new("internal error", Span::default())),
    })?;
    put(&vm.transfer.resume, Args::None, |a| matches!(a, Args::None));
    let event = fiber.resume(0);
    let outcome = vm.transfer.finished.take();
    vm.handlers.borrow_mut().clear();
    match (event, outcome) {
        (Ok(Event::Returned(_)), Outcome::Returned(v)) => Ok(v),
        (Ok(Event::Returned(_)), Outcome::Failed(e)) => Err(e),
        (Ok(Event::Panicked(msg)), _) => Err(Box::new(RuntimeError::new(
            format!("internal error: {msg}"),
            Span::default(),
        ))),
        _ => Err(Box::new(RuntimeError::new(
            "internal error: the program's root continuation did not finish",
            Span::default(),
        ))),
    }
}

/// Runs `clo` (with the `argc` arguments on top of the value stack) on a fresh stack: the
/// *extension* a call moves to when the running stack is nearly exhausted. The extension is a
/// fiber with no handler of its own, so a `suspend` inside it simply captures it along with
/// the stacks below (see `stack::suspend`). `ctx` moves to the extension and back.
pub fn extend_stack(ctx: &mut Ctx, clo: &Closure, argc: usize, site: Span) -> R {
    let (Some(f), true) = (clo.me.upgrade(), ctx.extensions < max_extensions()) else {
        ctx.stack.truncate(ctx.stack.len() - argc);
        return Err(stack_overflow(site));
    };
    extend_with(ctx, site, move |ctx| invoke(ctx, &f, argc, site))
}

/// Evaluates compiled code `code` of the closure `clo` on a stack extension, as
/// [`extend_stack`] runs a call: deeply nested expressions check the stack every so many
/// levels and continue so when it is nearly exhausted (see `compile`). A closure that
/// cannot name itself (a `handle` body) goes there as a copy: the same code over the same
/// captured values and cells.
pub fn extend_for_code(ctx: &mut Ctx, code: SharedCode, clo: &Closure, site: Span) -> R {
    if ctx.extensions >= max_extensions() {
        return Err(stack_overflow(site));
    }
    let f = clo
        .me
        .upgrade()
        .unwrap_or_else(|| Closure::new(clo.proto.clone(), Values::from(clo.env.to_vec())));
    extend_with(ctx, site, move |ctx| code(ctx, &f))
}

/// Compiled code shared with a stack extension (see [`extend_for_code`]).
pub type SharedCode = Rc<dyn Fn(&mut Ctx, &Closure) -> R>;

/// Runs `job` on a stack extension with `ctx`, which moves there and back, one extension
/// deeper.
fn extend_with(ctx: &mut Ctx, site: Span, job: impl FnOnce(&mut Ctx) -> R + 'static) -> R {
    let limit = ctx.limit;
    let mut moved = std::mem::replace(ctx, Ctx::empty(ctx.vm.clone()));
    moved.extensions += 1;
    let (back, result) = on_extension(moved, job, site)?;
    *ctx = *back;
    ctx.extensions -= 1;
    ctx.limit = limit;
    result
}

/// Runs the fast-path `clause` (with the `argc` arguments on top of the value stack) on a
/// stack extension with a value stack of its own, taken from and given back to the spares:
/// the values of the clauses nested in it stay off this continuation's value stack, which
/// would otherwise keep the capacity the deepest chain of clauses gave it (see
/// [`run_fast_extended`]). Such an extension does not count towards [`MAX_NATIVE_STACK`]: it
/// uses little of its stack, and there are at most as many as handlers installed, one per
/// [`MAX_FAST_NESTING`] (each nested clause masks at least one handler).
fn extend_for_clause(ctx: &mut Ctx, clause: Rc<Closure>, argc: usize, site: Span) -> R {
    let mut own = Ctx::with_stack(ctx.vm.clone(), spare_value_stack(&ctx.vm));
    own.extensions = ctx.extensions;
    let top = ctx.stack.len() - argc;
    own.stack.extend(ctx.stack.drain(top..));
    let (back, result) = on_extension(own, move |ctx| invoke(ctx, &clause, argc, site), site)?;
    give_value_stack(&ctx.vm, back.stack);
    result
}

/// Runs `job` on a new fiber, the extension, with `ctx` as its context; returns the
/// context and the job's result once it finishes. What the job holds (a function, and what
/// it captured) is dropped when it returns, before the outcome is written: dropping a
/// continuation cancels it, which uses the transfer slot.
fn on_extension(
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
        RuntimeError::new(
            format!("out of memory: cannot create a stack extension ({e})"),
            site,
        )
    })?;
    match (fiber.resume(0), vm.transfer.finished.take()) {
        (Ok(Event::Returned(_)), Outcome::Extended(back, result)) => Ok((back, result)),
        (Ok(Event::Panicked(msg)), _) => Err(internal(msg, site)),
        _ => Err(internal("a stack extension did not finish", site)),
    }
}

/// The error for a call beyond [`MAX_NATIVE_STACK`].
fn stack_overflow(site: Span) -> Ctrl {
    RuntimeError::new("stack overflow", site)
        .with_hint("the recursion is too deep; a tail call (the call as the last action of a function) runs in constant stack")
        .into()
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
fn check_nesting(site: Span) -> Result<(), Ctrl> {
    if stack::active_depth() >= MAX_NESTED_CONTINUATIONS {
        return Err(too_many_nested(site));
    }
    Ok(())
}

/// The error for one continuation too many nested.
#[cold]
#[inline(never)]
fn too_many_nested(site: Span) -> Ctrl {
    RuntimeError::new("stack overflow", site)
        .with_hint(format!(
            "more than {MAX_NESTED_CONTINUATIONS} continuations (handle bodies, conts) run nested; the recursion through `handle` or `cont` is too deep"
        ))
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

/// `handle body with { … }`. Inlined into the compiled `handle` (one call less per
/// handler; handler_lifecycle +21 instructions when it was not).
#[inline(always)]
pub fn handle(ctx: &mut Ctx, body: Body, handler: Rc<HandlerValue>, source: u32, site: Span) -> R {
    check_nesting(site)?;
    let fiber = spawn(&ctx.vm, body, site)?;
    ctx.vm.handlers.borrow_mut().push(HandlerEntry::Handler {
        handler,
        fiber: fiber.clone(),
    });
    let step = start_segment(ctx, fiber, source, site);
    drive_handle(ctx, step)
}

/// [`drive`] for `handle`, out of line.
#[inline(never)]
fn drive_handle(ctx: &mut Ctx, step: Step) -> R {
    drive(ctx, step)
}

/// The handlers installed on a fiber that has finished, whose `return` clauses apply to its
/// value: the deep one of its `handle` (or of the continuation it was captured in) and the
/// shallow one of the `resume … with { … }` that resumed it.
#[derive(Default)]
struct Installed {
    /// The deep handler, if any.
    deep: Option<Rc<HandlerValue>>,
    /// The shallow handler, if any.
    shallow: Option<Rc<HandlerValue>>,
}

/// Pops the handler entries that belong to fiber `id` (which has just finished) and returns
/// their handlers. The entries' fiber handles are dropped here, inside the borrow of the
/// handler stack: the finished fiber runs no code when its stack is released.
#[inline(always)]
fn pop_entries_of(vm: &Vm, id: FiberId) -> Installed {
    let mut installed = Installed::default();
    let mut hs = vm.handlers.borrow_mut();
    let of_fiber =
        |e: &mut HandlerEntry| matches!(e, HandlerEntry::Handler { fiber, .. } if fiber.id() == id);
    while let Some(HandlerEntry::Handler { handler, .. }) = hs.pop_if(of_fiber) {
        if handler.shallow {
            installed.shallow = Some(handler);
        } else {
            installed.deep = Some(handler);
        }
    }
    installed
}

/// Applies a `return` clause, if there is one (the call out of line: most handlers have
/// none).
#[inline(always)]
fn apply_return(ctx: &mut Ctx, h: Option<&Rc<HandlerValue>>, v: Value, site: Span) -> R {
    match h.and_then(|h| h.ret.as_ref()) {
        Some(ret) => run_return_clause(ctx, ret, v, site),
        None => Ok(v),
    }
}

/// Runs the `return` clause `ret` on `v`.
#[inline(never)]
fn run_return_clause(ctx: &mut Ctx, ret: &Closure, v: Value, site: Span) -> R {
    ctx.stack.push(v);
    invoke(ctx, ret, 1, site)
}

/// What one resumption of a segment came to.
enum Step {
    /// The segment finished, failed or unwound: the result of the `handle` or `resume`.
    Done(R),
    /// It suspended to a handler resumed with it, whose `clause` (of `kind`) runs here with
    /// the `argc` arguments on top of the value stack and the continuation `k`.
    Clause {
        /// The clause.
        clause: Rc<Closure>,
        /// How it may run.
        kind: ClauseKind,
        /// How many arguments it has on the value stack.
        argc: usize,
        /// The continuation captured by the suspend.
        k: Rc<Continuation>,
        /// The source of the `handle` or `resume` that resumed the segment.
        source: u32,
        /// Where that `handle` or `resume` is.
        site: Span,
    },
}

/// Runs the clauses that segments suspend to, until one finishes: `step` is what the first
/// resumption came to, and a clause that ends by resuming a continuation (a tail resume, or
/// any tail-resumptive clause on the slow path) does not nest: this loop resumes it, so a
/// handler answering a million operations uses constant native stack. A clause that resumes
/// in non-tail position nests one `drive` per pending resume, so this frame holds no resume
/// of its own (the next one stays in the box a tail resume comes in): evaluating a resume,
/// taking the continuation and the work around each switch are in out-of-line callers of
/// [`resume_pending`] and [`resume_segment`], which have returned by the time a clause runs.
/// Inlined into [`drive_handle`] and [`resume_finish`] (and that into the compiler's nested
/// resume, which the `resume` closure jumps to): a nested resume adds that one frame
/// (resume_nontail: 832 → 528 → 320 bytes of native stack per nested resume; the first step
/// took 12% off its time, the second 20–29%).
#[inline(always)]
fn drive(ctx: &mut Ctx, step: Step) -> R {
    let (mut clause, mut kind, mut argc, mut k, mut source, mut site) = match step {
        Step::Done(result) => return result,
        Step::Clause {
            clause,
            kind,
            argc,
            k,
            source,
            site,
        } => (clause, kind, argc, k, source, site),
    };
    loop {
        // One call of the clause either way (each inlined call adds to this frame): a
        // general clause takes `k` as its last argument; a tail-resumptive one on the slow
        // path ends by resuming `k` with its value (plainly: a shallow handler is not part
        // of `k`).
        let general = kind == ClauseKind::General;
        let k_after = if general {
            ctx.stack.push(Value::Cont(k));
            None
        } else {
            Some(k)
        };
        let result = invoke(ctx, &clause, argc + usize::from(general), site);
        let next = match k_after {
            None => {
                let v = result?;
                match ctx.tail_resume.take() {
                    Some(p) => p,
                    None => return Ok(v),
                }
            }
            Some(k) => match result {
                Ok(v) => resume_with(k, v, source, site),
                Err(c) => return escaped_here(c),
            },
        };
        // The next step's parts are taken straight out of the callee's return slot, field
        // by field: copying the whole `Step` into a variable first would read with wide
        // loads what the callee has just written field by field, which the processor
        // cannot forward from its store buffer (see benches/README.md, "Store forwarding").
        match resume_boxed(ctx, next) {
            Step::Done(result) => return result,
            Step::Clause {
                clause: c,
                kind: kd,
                argc: n,
                k: kk,
                source: so,
                site: si,
            } => (clause, kind, argc, k, source, site) = (c, kd, n, kk, so, si),
        }
    }
}

/// The resume of `k` with `v` that ends a tail-resumptive clause run on the slow path; out of
/// line, so that [`drive`]'s frame does not hold the resume it builds.
#[inline(never)]
fn resume_with(k: Rc<Continuation>, v: Value, source: u32, site: Span) -> Box<PendingResume> {
    Box::new(PendingResume {
        k: Value::Cont(k),
        args: Args::One(v),
        shallow: None,
        source,
        site,
    })
}

/// Takes the continuation of the resume `p` and resumes it (see [`resume_segment`]). With
/// `WITH`, `p` may be a `resume … with { … }` that needs a fiber of its own (see
/// [`resume_wrapped`]); without, it is a plain resume.
#[inline(always)]
fn resume_pending<const WITH: bool>(ctx: &mut Ctx, p: PendingResume) -> Step {
    let PendingResume {
        k,
        args,
        shallow,
        source,
        site,
    } = p;
    let (fiber, entries) = match take_for_resume(&ctx.vm, k, args.len(), site) {
        Ok(parts) => parts,
        Err(c) => return Step::Done(Err(c)),
    };
    if WITH
        && let Some(handler) = &shallow
        && clauses_run_at_resumer(&fiber, &entries)
    {
        let inner = PendingResume {
            k: Value::Cont(Continuation::new(fiber, entries)),
            args,
            shallow: None,
            source,
            site,
        };
        return Step::Done(resume_wrapped(ctx, inner, handler.clone()));
    }
    resume_segment(ctx, fiber, entries, shallow, args, source, site)
}

/// `resume k(…) with { … }` of a segment whose outermost fiber carries a deep handler (the
/// one that captured it): runs a plain resume of the segment on a new fiber, under the
/// shallow handler as that fiber's `handle`.
///
/// The clauses of a handler on the segment's outermost fiber run where that fiber was
/// resumed from. Resumed straight from here, they would run outside the shallow handler,
/// whose entry would name the outermost fiber, suspended while its clause runs: an
/// operation of such a clause meant for the shallow handler could not be captured. On the
/// new fiber they run inside it, as the language has it (the shallow handler is around
/// the resumed computation, its deep handler included).
#[cold]
#[inline(never)]
fn resume_wrapped(ctx: &mut Ctx, inner: PendingResume, handler: Rc<HandlerValue>) -> R {
    let (source, site) = (inner.source, inner.site);
    handle(ctx, Body::Resume(Box::new(inner)), handler, source, site)
}

/// The body of the fiber [`resume_wrapped`] makes: the plain resume, and the clauses the
/// resumed computation suspends to.
#[cold]
#[inline(never)]
#[expect(
    clippy::boxed_local,
    reason = "the box keeps Body, and every handle's fiber, as small as before"
)]
fn run_wrapped(ctx: &mut Ctx, p: Box<PendingResume>) -> R {
    let resumed = resume_start(ctx, *p);
    resume_finish(ctx, resumed)
}

/// [`resume_segment`] for `handle`: enters its fresh fiber, out of line.
#[inline(never)]
fn start_segment(ctx: &mut Ctx, fiber: Fiber, source: u32, site: Span) -> Step {
    resume_segment(ctx, fiber, Entries::None, None, Args::None, source, site)
}

/// [`resume_pending`] for [`drive`], out of line and with the resume boxed (as a tail
/// resume leaves it), so that `drive`'s frame holds no `PendingResume`.
#[inline(never)]
#[expect(
    clippy::boxed_local,
    reason = "the box is what keeps the resume out of drive's frame"
)]
fn resume_boxed(ctx: &mut Ctx, p: Box<PendingResume>) -> Step {
    resume_pending::<true>(ctx, *p)
}

/// Resumes the segment whose outermost fiber is `fiber` and handler entries `entries` with
/// `values` (under `shallow`, if given), for the `handle` or `resume` at `site` of `source`,
/// and waits for it to return or to suspend to one of the handlers resumed with it; on
/// return, applies the `return` clauses. Inlined into its three callers
/// ([`start_segment`], [`resume_start`], [`resume_boxed`]), each out of line: one call per
/// resume instead of two.
#[inline(always)]
fn resume_segment(
    ctx: &mut Ctx,
    fiber: Fiber,
    entries: Entries,
    shallow: Option<Rc<HandlerValue>>,
    values: Args,
    source: u32,
    site: Span,
) -> Step {
    let vm = &*ctx.vm;
    push_entries(vm, &fiber, shallow, entries);
    let id = fiber.id();
    put(&vm.transfer.resume, values, |a| matches!(a, Args::None));
    let event = fiber.resume(0);
    // The fiber is now finished or owned by the continuation its clause receives; this
    // frame holds no handle to it, so dropping that continuation reclaims it.
    drop(fiber);
    match event {
        Ok(Event::Returned(_)) => {
            let outcome = vm.transfer.finished.take();
            let installed = if matches!(outcome, Outcome::Aborted) {
                Installed::default()
            } else {
                pop_entries_of(vm, id)
            };
            Step::Done(match outcome {
                Outcome::Returned(v) => apply_return(ctx, installed.deep.as_ref(), v, site)
                    .and_then(|v| apply_return(ctx, installed.shallow.as_ref(), v, site)),
                Outcome::Failed(mut e) => {
                    e.leave_continuation(source, site);
                    Err((*e).into())
                }
                Outcome::Aborted => Err(Ctrl::abort()),
                // An error from a fast-path clause goes on from here, where the clause
                // would have run on the slow path.
                Outcome::Escaped(target, value) if target == id => value.map_err(|mut e| {
                    e.site = site;
                    (*e).into()
                }),
                Outcome::Escaped(target, value) => Err(Ctrl::escape_to(target, value)),
                _ => Err(internal("a continuation returned without a result", site)),
            })
        }
        Ok(Event::Suspended(_)) => match vm.transfer.suspended.take() {
            Some(Suspension {
                clause,
                kind,
                args,
                k,
            }) => {
                let argc = args.len();
                args.push_onto(&mut ctx.stack);
                Step::Clause {
                    clause,
                    kind,
                    argc,
                    k,
                    source,
                    site,
                }
            }
            _ => Step::Done(Err(internal(
                "a continuation suspended without an operation",
                site,
            ))),
        },
        Ok(Event::Panicked(msg)) => {
            drop(pop_entries_of(vm, id));
            Step::Done(Err(internal(msg, site)))
        }
        Err(e) => Step::Done(Err(internal(e, site))),
    }
}

/// Pushes a resumed segment's handler entries back on the handler stack, above the entry of
/// the shallow handler `shallow` (on the segment's outermost fiber `fiber`) if there is one.
#[inline(always)]
fn push_entries(vm: &Vm, fiber: &Fiber, shallow: Option<Rc<HandlerValue>>, entries: Entries) {
    let mut hs = vm.handlers.borrow_mut();
    if let Some(handler) = shallow {
        hs.push(HandlerEntry::Handler {
            handler,
            fiber: fiber.clone(),
        });
    }
    match entries {
        Entries::None => {}
        Entries::One(entry) => hs.push(entry),
        Entries::Many(mut many) => {
            hs.append(&mut many);
            drop(hs);
            vm.spare_entries.give(many);
        }
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

/// The result of a tail-resumptive clause that ran here (on the slow path) and stopped: if it
/// ended without resuming, its value is the result; anything else unwinds further.
fn escaped_here(c: Ctrl) -> R {
    match c.kind() {
        CtrlKind::Escape {
            target: None,
            value,
        } => value.map_err(|e| (*e).into()),
        other => Err(Ctrl::raise(other)),
    }
}

/// Takes the outermost fiber out of continuation `k`: `continuation already resumed` if it
/// has been taken.
#[inline(always)]
fn take_fiber(k: &Continuation, site: Span) -> Result<Fiber, Ctrl> {
    k.fiber.take().ok_or_else(|| already_resumed(site))
}

/// The error for resuming or discontinuing `k`, which is not a continuation.
#[cold]
#[inline(never)]
fn not_a_continuation(k: &Value, what: &str, site: Span) -> Ctrl {
    RuntimeError::new(
        format!(
            "type error: {what} expects a continuation, got {}",
            k.kind()
        ),
        site,
    )
    .into()
}

/// Takes the suspended computation out of continuation `k` for a resume with `argc`
/// arguments, checking that it has not been resumed and that the number of arguments
/// fits: its outermost fiber (started here for a fresh `cont`) and its handler entries.
/// Inlined, with the rest out of line; `k`, spent, is dropped here (its reference count,
/// inline: no call to `Value`'s drop glue).
#[inline(always)]
fn take_for_resume(
    vm: &Rc<Vm>,
    k: Value,
    argc: usize,
    site: Span,
) -> Result<(Fiber, Entries), Ctrl> {
    let Value::Cont(k) = k else {
        return Err(not_a_continuation(&k, "resume", site));
    };
    match k.fiber.take() {
        Some(fiber) if argc <= 1 => Ok((fiber, k.entries.take())),
        Some(fiber) => {
            k.fiber.set(Some(fiber));
            Err(wrong_resume_arity("continuation", 1, argc, site))
        }
        None => Ok((start_fresh(vm, &k, argc, site)?, Entries::None)),
    }
}

/// The first resume of the fresh continuation `k` of `cont f`, with `argc` arguments:
/// starts `f` on a fiber of its own, once the number of arguments is checked and one more
/// fiber may nest. On an error `k` stays as it was; without `f`, `k` has been resumed.
#[inline(never)]
fn start_fresh(vm: &Rc<Vm>, k: &Continuation, argc: usize, site: Span) -> Result<Fiber, Ctrl> {
    let f = k.start.take().ok_or_else(|| already_resumed(site))?;
    let started = if argc == f.proto.arity {
        check_nesting(site).and_then(|()| spawn(vm, Body::Shared(f.clone()), site))
    } else {
        Err(wrong_resume_arity(&f.proto.name, f.proto.arity, argc, site))
    };
    if started.is_err() {
        k.start.set(Some(f));
    }
    started
}

/// The error for resuming a continuation that takes `expected` arguments (`name`: the
/// function of a fresh `cont`, or `continuation`) with `argc`.
#[cold]
#[inline(never)]
fn wrong_resume_arity(name: &str, expected: usize, argc: usize, site: Span) -> Ctrl {
    RuntimeError::new(
        format!("wrong number of arguments: {name} expects {expected}, got {argc}"),
        site,
    )
    .into()
}

/// The error for resuming or discontinuing a continuation that was already resumed.
#[cold]
fn already_resumed(site: Span) -> Ctrl {
    RuntimeError::new("continuation already resumed", site)
        .with_hint("a continuation is one-shot: it can be resumed or discontinued once")
        .into()
}

/// The handler found for an operation.
struct Found {
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
fn find_handler(hs: &[HandlerEntry], op: OpId) -> Option<Found> {
    let mut i = hs.len();
    while i > 0 {
        i -= 1;
        match &hs[i] {
            HandlerEntry::Mask { skip } => i -= skip,
            HandlerEntry::Handler { handler, .. } => {
                if let Some((clause, kind)) = handler.clause(op) {
                    return Some(Found {
                        index: i,
                        clause: clause.clone(),
                        kind,
                        shallow: handler.shallow,
                    });
                }
            }
        }
    }
    None
}

/// The error for an operation no handler handles (its arguments are dropped).
#[cold]
fn unhandled(ctx: &mut Ctx, op: OpId, argc: usize, site: Span) -> Ctrl {
    ctx.stack.truncate(ctx.stack.len() - argc);
    let name = ctx
        .vm
        .effects
        .borrow()
        .get(op)
        .map(|(n, _)| n.clone())
        .unwrap_or_else(|| "?".into());
    RuntimeError::new(format!("unhandled effect {name}"), site)
        .with_hint(format!("no enclosing `handle` has a clause for {name}"))
        .into()
}

/// How many fast-path clauses may run nested on one stack (a clause that performs an
/// operation handled further out, as forwarding handlers do). The next one runs on a stack
/// extension (see [`run_fast_extended`]): otherwise the stack of the innermost computation of
/// a deep handler chain would grow with every handler an operation passes, and each of the
/// chain's stacks would keep those pages for as long as it lives. Each level is two native
/// frames (about 250 bytes), so a stack holds at most about 8 KiB of them. Fewer levels per
/// stack cost more extensions, more keep more memory: handler_sieve at 60,000 took 6.2 s in
/// 67 MB with 16, 5.6 s in 116 MB with 32, 5.2 s in 193 MB with 64.
const MAX_FAST_NESTING: u32 = 32;

/// Takes the `argc` values on top of `stack`.
fn take_args(stack: &mut Vec<Value>, argc: usize) -> Args {
    match argc {
        0 => Args::None,
        1 => Args::One(stack.pop().unwrap_or_default()),
        _ => Args::Many(stack.split_off(stack.len() - argc)),
    }
}

/// `suspend Op(args)`, with the `argc` arguments on top of the value stack.
///
/// Inlined into each `suspend` closure, so that a fast-path clause runs one native frame
/// closer to the code that suspended and a slow-path switch has one frame fewer to return
/// through (`2c59fb8` → `86c8bc1`: countdown 674 → 633 instructions per iteration,
/// handler_sieve@3000 −5%, parsing_dollars −3%; handler_sieve's peak RSS at 20,000
/// 67 → 58 MB).
#[inline(always)]
pub fn suspend(ctx: &mut Ctx, op: OpId, argc: usize, site: Span) -> R {
    let found = find_handler(&ctx.vm.handlers.borrow(), op);
    let Some(Found {
        index,
        clause,
        kind,
        shallow,
    }) = found
    else {
        return Err(unhandled(ctx, op, argc, site));
    };
    let fast = ctx.vm.fast_resume && !shallow;
    if kind == ClauseKind::Leaf && fast {
        // Nothing can search the handler stack while it runs: no mask needed.
        match invoke(ctx, &clause, argc, site) {
            Ok(v) => Ok(v),
            Err(c) => clause_stopped(c, &ctx.vm.handlers.borrow()[index], site),
        }
    } else if kind == ClauseKind::TailResumptive && fast {
        if ctx.fast_nesting < MAX_FAST_NESTING {
            run_fast(ctx, index, &clause, argc, site)
        } else {
            run_fast_extended(ctx, index, clause, argc, site)
        }
    } else {
        suspend_slow(ctx, clause, kind, index, argc, site)
    }
}

/// The fast path: runs the tail-resumptive `clause` of the handler at `index` as a call on
/// this stack, behind a mask; its value is the value of `suspend`.
#[inline(always)]
fn run_fast(ctx: &mut Ctx, index: usize, clause: &Closure, argc: usize, site: Span) -> R {
    mask_handlers(ctx, index);
    let result = invoke(ctx, clause, argc, site);
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
fn mask_handlers(ctx: &mut Ctx, index: usize) {
    ctx.fast_nesting += 1;
    let mut hs = ctx.vm.handlers.borrow_mut();
    let depth = hs.len();
    // A constant entry first, its distance written in place after: pushed whole, the mask
    // was made in a stack slot (the push may call the allocator) and copied from there with
    // a 16-byte load over two 8-byte stores, which store forwarding cannot serve
    // (parsing_dollars spent a fifth of its time on that load).
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
fn unmask_handlers(ctx: &mut Ctx, result: R, site: Span) -> R {
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
/// to the handler's and moves their handler entries into a continuation and back; and its
/// suspend, before the active chain was kept as an array, followed a parent link per fiber,
/// one page each: handler_sieve at 60,000, where an operation can pass 6,057 handlers,
/// spent 80% of its time there.)
#[inline(never)]
fn run_fast_extended(
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

/// A fast-path clause that did not return normally: if it ended without resuming, or failed,
/// unwind to its handler's fiber with its value or error (which then skips the frames of
/// the computation beneath the clause, as on the slow path); anything else passes on.
#[cold]
fn clause_stopped(c: Ctrl, entry: &HandlerEntry, site: Span) -> R {
    let value = match c.kind() {
        CtrlKind::Escape {
            target: None,
            value,
        } => value,
        CtrlKind::Error(e) => Err(Box::new(e)),
        other => return Err(Ctrl::raise(other)),
    };
    match entry {
        HandlerEntry::Handler { fiber, .. } => Err(Ctrl::escape_to(fiber.id(), value)),
        HandlerEntry::Mask { .. } => Err(internal("a mask was chosen as a handler", site)),
    }
}

/// The slow path: captures the handler stack from `index` up as a continuation and switches
/// to the code waiting for that handler's fiber, which runs `clause` (of `kind`). Nothing on
/// this stack keeps the suspended fibers alive across the switch (that would be a cycle):
/// the clause and the continuation travel in the transfer slot.
#[inline(never)]
fn suspend_slow(
    ctx: &mut Ctx,
    clause: Rc<Closure>,
    kind: ClauseKind,
    index: usize,
    argc: usize,
    site: Span,
) -> R {
    let vm = &*ctx.vm;
    let args = take_args(&mut ctx.stack, argc);
    let (fiber, entries) = cut_entries(vm, index, site)?;
    // The target is named by id: no handle to the suspended fibers stays on this stack.
    let target = fiber.id();
    let k = Continuation::new(fiber, entries);
    let suspension = Suspension {
        clause,
        kind,
        args,
        k,
    };
    put(&vm.transfer.suspended, Some(suspension), Option::is_none);
    match stack::suspend_to(target, 0) {
        Ok(_) => Ok(vm.transfer.resume.take().into_value()),
        Err(stack::SuspendError::Cancelled) => Err(Ctrl::abort()),
        Err(e) => Err(internal(e, site)),
    }
}

/// What the resumed code came to, before the clause it suspended to (if any) runs: see
/// [`resume_start`].
pub struct Resumed(Step);

/// `resume k(args)`, in two parts: this one switches to the
/// continuation and returns when it finishes or suspends; [`resume_finish`] then runs the
/// clause it suspended to (and any resumes that clause ends with). The frame of the caller of
/// `resume_start` is gone before the clause runs, so a nested resume adds only the frame of
/// the caller of `resume_finish`.
#[inline(always)]
pub fn resume_start(ctx: &mut Ctx, p: PendingResume) -> Resumed {
    Resumed(resume_pending::<false>(ctx, p))
}

/// [`resume_start`] for `resume k(args) with { … }`, out of line.
#[inline(never)]
pub fn resume_start_with(ctx: &mut Ctx, p: PendingResume) -> Resumed {
    Resumed(resume_pending::<true>(ctx, p))
}

/// The second part of a resume (see [`resume_start`]).
#[inline(always)]
pub fn resume_finish(ctx: &mut Ctx, r: Resumed) -> R {
    drive(ctx, r.0)
}

/// `cont f`: a fresh continuation that calls `f` when first resumed. It holds `f` alone;
/// the fiber is made by the first resume.
pub fn make_cont(f: Value, site: Span) -> R {
    match f {
        Value::Func(f) => Ok(Value::Cont(Continuation::fresh(f))),
        Value::Builtin(b) => Err(RuntimeError::new(
            format!(
                "type error: cont expects a function written in kont, got the built-in {}",
                b.name
            ),
            site,
        )
        .with_hint(format!("wrap it in one: cont (fn(x) => {}(x))", b.name))
        .into()),
        other => Err(RuntimeError::new(
            format!("type error: cont expects a function, got {}", other.kind()),
            site,
        )
        .into()),
    }
}

/// `discontinue k`: unwinds the suspended computation without running handler code (a
/// fresh `cont f` just drops `f`).
pub fn discontinue(k: &Value, site: Span) -> R {
    let Value::Cont(k) = k else {
        return Err(not_a_continuation(k, "discontinue", site));
    };
    if k.start.take().is_some() {
        return Ok(Value::Unit);
    }
    let fiber = take_fiber(k, site)?;
    drop(k.entries.take());
    match fiber.cancel() {
        Ok(()) => Ok(Value::Unit),
        Err(e) => Err(internal(e, site)),
    }
}
