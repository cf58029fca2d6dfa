//! The tracer's state: the ids it gives handlers, continuations and native stacks, what it
//! must remember between two events to tell them, and where events go.
//!
//! Ids are kept in side tables keyed by address (a handler's clauses, a continuation) or by
//! fiber, not in the runtime's structures, which tracing leaves as they are. An address
//! can be reused once what lived there is gone: every table is written when an id is given
//! (the handler installed, the continuation made), so a stale entry is overwritten before it
//! could be read for its new owner. A continuation dropped unresumed is named by the runtime
//! by what it holds ([`Unresumed`]); the trace keeps a weak reference to each continuation
//! not yet resumed under that name, which tells which one is being dropped and keeps its
//! address from being reused meanwhile.
//!
//! Stack switches are seen by their effect: every event, and every point where traced code
//! continues after a switch may have happened (a clause starting, a `suspend`, `resume` or
//! `handle` returning, a traced fiber starting), looks at which native stack runs
//! ([`State::arrive`]); if it is another than the last one seen, a switch is recorded, with
//! the label the code that switched away left ([`State::depart`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::{Rc, Weak};

use super::event::{Event, EventKind, Place, StackId};
use super::{Sink, TraceSettings, show, text};
use crate::runtime::Vm;
use crate::runtime::effects::{Continuation, HandlerValue, Unresumed, visible_handlers};
use crate::runtime::value::Value;
use crate::span::SourceSpan;
use crate::stack::{self, FiberId};

thread_local! {
    /// The state of the tracer installed on this thread (see [`super::Tracer::install`]).
    static CURRENT: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

/// Installs `state` as this thread's tracer (or none).
pub(super) fn install(state: Option<Rc<RefCell<State>>>) {
    let old = CURRENT.replace(state);
    if let Some(old) = &old
        && let Ok(mut old) = old.try_borrow_mut()
    {
        old.send_reclaimed();
    }
    drop(old);
}

/// Runs `f` on the installed tracer's state if there is one and it is recording; `None`
/// otherwise (also when the state is in use: an event that happens while the tracer
/// records another, such as a continuation dropped meanwhile, is not recorded).
pub(super) fn with<T>(f: impl FnOnce(&mut State) -> T) -> Option<T> {
    let state = CURRENT.with_borrow(Clone::clone)?;
    let mut state = state.try_borrow_mut().ok()?;
    if !state.recording() {
        return None;
    }
    Some(f(&mut state))
}

/// What the trace knows of a continuation the program holds.
pub(super) struct Cont {
    /// Its id.
    pub(super) id: u32,
    /// How many handlers enclose the code it was given to (the clause that got it, or the
    /// `cont` that made it): its events that no code runs for (reclaimed) are shown
    /// there, as a `resume` of it would be, wherever it is dropped.
    pub(super) depth: u32,
    /// For a `cont f` not yet resumed: where it was made (its fiber's computation starts
    /// there).
    pub(super) fresh: Option<Option<Place>>,
    /// How the runtime tells it when it is dropped unresumed, until it is resumed or
    /// discontinued.
    pub(super) unresumed: Option<Unresumed>,
}

/// The run of an operation clause, from the `suspend` that started it.
#[derive(Clone, Copy)]
pub(super) struct ClauseRun {
    /// The continuation the clause got (on the fast path, the id its `resume` resumes).
    pub(super) k: u32,
    /// The outermost fiber of that continuation.
    pub(super) fiber: FiberId,
    /// How many handlers enclose the clause (those outside its own).
    pub(super) depth: u32,
    /// Whether it runs on the fast path, without a switch.
    pub(super) fast: bool,
}

/// What a traced fiber computes: where its computation starts, and the continuation it is
/// the outermost fiber of, if one was made (the one a return of the fiber finishes).
#[derive(Default)]
pub(super) struct FiberRun {
    /// The `handle` whose body it runs, or the `cont` whose function.
    pub(super) place: Option<Place>,
    /// The last continuation made with it as its outermost fiber.
    pub(super) k: Option<u32>,
}

/// The tracer's state.
pub(super) struct State {
    /// The settings.
    settings: TraceSettings,
    /// The session's runtime: its handler stack and sources.
    vm: Rc<Vm>,
    /// The events kept ([`Sink::Collect`]).
    events: Vec<Event>,
    /// The continuations reclaimed since the last other event, not yet sent: a run of them
    /// is sent latest made first, whichever order the runtime dropped them in (it differs
    /// between the fast and the slow path when one unwinding drops several).
    reclaimed: Vec<Event>,
    /// How many events were recorded since the settings were last set.
    count: usize,
    /// Whether recording stopped at the limit.
    stopped: bool,
    /// The last id given to a handler (ids start at 1).
    handler_ids: u32,
    /// The last id given to a continuation.
    k_ids: u32,
    /// The last number given to a native stack other than the main one.
    stack_ids: u32,
    /// The handlers by the address of their clauses (every clause, and the `return` clause).
    clauses: HashMap<usize, u32>,
    /// The handlers by their address.
    handlers: HashMap<usize, u32>,
    /// The continuations the program holds, by address.
    conts: HashMap<usize, Cont>,
    /// The continuations not yet resumed, by how the runtime tells them when they are
    /// dropped. More than one may be told the same way (`cont`s of one function): the one
    /// dropped is the one no longer alive. Held weakly, so that their memory is not reused
    /// by another continuation while they are here.
    unresumed: HashMap<Unresumed, Vec<Weak<Continuation>>>,
    /// The runs of tail-resumptive clauses, by the clause's address: a clause runs once at
    /// a time (it runs outside its own handler, which installs it afresh each time).
    pub(super) clause_runs: HashMap<usize, ClauseRun>,
    /// The clause (by address) a `suspend` just chose, and its run, until it starts.
    pub(super) pending_clause: Option<(usize, ClauseRun)>,
    /// What the next traced fiber to start computes.
    pub(super) pending_start: FiberRun,
    /// The traced fibers running or suspended.
    pub(super) fibers: HashMap<FiberId, FiberRun>,
    /// The numbers of the native stacks seen, by fiber.
    stacks: HashMap<FiberId, StackId>,
    /// The stack the last event or arrival ran on.
    last_stack: Option<StackId>,
    /// The label of the switch the running code is about to make.
    departing: Option<String>,
    /// The depth of the last event (for an event that happens while the handler stack is
    /// being changed, and cannot be looked at).
    last_depth: u32,
}

impl State {
    /// A tracer's state for the runtime `vm`.
    pub(super) fn new(settings: TraceSettings, vm: Rc<Vm>) -> State {
        State {
            settings,
            vm,
            events: Vec::new(),
            reclaimed: Vec::new(),
            count: 0,
            stopped: false,
            handler_ids: 0,
            k_ids: 0,
            stack_ids: 0,
            clauses: HashMap::new(),
            handlers: HashMap::new(),
            conts: HashMap::new(),
            unresumed: HashMap::new(),
            clause_runs: HashMap::new(),
            pending_clause: None,
            pending_start: FiberRun::default(),
            fibers: HashMap::new(),
            stacks: HashMap::new(),
            last_stack: None,
            departing: None,
            last_depth: 0,
        }
    }

    /// The settings.
    pub(super) fn settings(&self) -> TraceSettings {
        self.settings
    }

    /// Changes the settings; the count towards the limit starts again.
    pub(super) fn set(&mut self, settings: TraceSettings) {
        self.settings = settings;
        self.count = 0;
        self.stopped = false;
    }

    /// Whether events are recorded now.
    fn recording(&self) -> bool {
        self.settings.recording && !self.stopped
    }

    /// The events kept so far, given away.
    pub(super) fn take_events(&mut self) -> Vec<Event> {
        self.send_reclaimed();
        std::mem::take(&mut self.events)
    }

    /// Whether recording stopped at the limit.
    pub(super) fn limit_reached(&self) -> bool {
        self.stopped
    }

    /// A new evaluation starts: its top level runs on the main stack.
    pub(super) fn begin_run(&mut self) {
        self.last_stack = Some(0);
        self.departing = None;
    }

    /// A new id for `handler`, about to be installed: its clauses and itself are known by
    /// it from now on.
    pub(super) fn new_handler(&mut self, handler: &Rc<HandlerValue>) -> u32 {
        self.handler_ids += 1;
        let id = self.handler_ids;
        self.handlers.insert(Rc::as_ptr(handler).addr(), id);
        let clauses = handler.ops.iter().map(|(_, c, _)| c).chain(&handler.ret);
        for clause in clauses {
            self.clauses.insert(Rc::as_ptr(clause).addr(), id);
        }
        id
    }

    /// The id of installed handler `handler` (a new one if the trace did not see it
    /// installed).
    pub(super) fn handler_id(&mut self, handler: &Rc<HandlerValue>) -> u32 {
        match self.handlers.get(&Rc::as_ptr(handler).addr()) {
            Some(&id) => id,
            None => self.new_handler(handler),
        }
    }

    /// The id of the handler whose clause (or `return` clause) is at `clause`.
    pub(super) fn handler_of_clause(&self, clause: usize) -> Option<u32> {
        self.clauses.get(&clause).copied()
    }

    /// A new continuation id.
    pub(super) fn new_k(&mut self) -> u32 {
        self.k_ids += 1;
        self.k_ids
    }

    /// Knows continuation `k` as `cont` from now on.
    pub(super) fn add_k(&mut self, k: &Rc<Continuation>, cont: Cont) {
        if let Some(key) = cont.unresumed {
            let same = self.unresumed.entry(key).or_default();
            same.retain(|k| k.strong_count() > 0);
            same.push(Rc::downgrade(k));
        }
        self.conts.insert(Rc::as_ptr(k).addr(), cont);
    }

    /// The continuation at `address` is resumed or discontinued: its id, and if it was a
    /// fresh `cont`, where that was made.
    pub(super) fn spend_k(&mut self, address: usize) -> Option<(u32, Option<Option<Place>>)> {
        let cont = self.conts.get_mut(&address)?;
        let spent = (cont.id, cont.fresh.take());
        if let Some(key) = cont.unresumed.take()
            && let Some(same) = self.unresumed.get_mut(&key)
        {
            same.retain(|k| k.as_ptr().addr() != address);
        }
        Some(spent)
    }

    /// The continuation the runtime drops as `key`, unresumed (the one of that key no longer
    /// alive): its id and depth, forgotten.
    pub(super) fn drop_k(&mut self, key: Unresumed) -> Option<(u32, u32)> {
        let same = self.unresumed.get_mut(&key)?;
        let dying = same.iter().position(|k| k.strong_count() == 0)?;
        let address = same.swap_remove(dying).as_ptr().addr();
        let cont = self.conts.remove(&address)?;
        Some((cont.id, cont.depth))
    }

    /// The id of `k`, alive and not yet resumed, if the trace numbered it: its entry by
    /// address counts only if the trace still holds `k` among the continuations not yet
    /// resumed (an address the trace saw may have been reused while it was not recording).
    pub(super) fn id_of(&self, k: &Rc<Continuation>) -> Option<u32> {
        let cont = self.conts.get(&Rc::as_ptr(k).addr())?;
        let key = cont.unresumed?;
        let same = self.unresumed.get(&key)?;
        same.iter()
            .any(|held| std::ptr::eq(held.as_ptr(), Rc::as_ptr(k)))
            .then_some(cont.id)
    }

    /// Where the computation whose outermost fiber is `fiber` started (the `handle` whose
    /// body it runs, or the `cont` whose function), if the trace saw it start.
    pub(super) fn started_at(&self, fiber: FiberId) -> Option<Place> {
        self.fibers.get(&fiber).and_then(|run| run.place.clone())
    }

    /// The id of the continuation at `address`, if the trace knows it.
    fn k_at(&self, address: usize) -> Option<u32> {
        self.conts.get(&address).map(|c| c.id)
    }

    /// `v` as the trace shows it.
    pub(super) fn show(&self, v: &Value) -> String {
        show::value(v, &|address| self.k_at(address))
    }

    /// `vs` as the trace shows a list of values: separated by `, `.
    pub(super) fn show_all<'a>(&self, vs: impl IntoIterator<Item = &'a Value>) -> String {
        show::values(vs, &|address| self.k_at(address)).join(", ")
    }

    /// How many handlers enclose the running code.
    pub(super) fn depth(&mut self) -> u32 {
        if let Ok(hs) = self.vm.handlers.try_borrow() {
            self.last_depth = visible_handlers(&hs) as u32;
        }
        self.last_depth
    }

    /// The place of `at`.
    pub(super) fn place(&mut self, at: SourceSpan) -> Option<Place> {
        let SourceSpan { source, span } = at;
        let sources = self.vm.sources.try_borrow().ok()?;
        if sources.is_library(source) {
            return Some(Place {
                file: "standard library".into(),
                line: 0,
                column: 0,
            });
        }
        let (line, column) = sources.line_column(source, span.start)?;
        Some(Place {
            file: sources.name(source).into(),
            line: line as u32,
            column: column as u32,
        })
    }

    /// The native stack running now: 0 for the main one (the program's top level), else
    /// its number, given in the order stacks are first seen.
    fn stack_now(&mut self) -> StackId {
        if stack::active_depth() <= 1 {
            return 0;
        }
        let Some(fiber) = stack::current_id() else {
            return 0;
        };
        if let Some(&id) = self.stacks.get(&fiber) {
            return id;
        }
        self.stack_ids += 1;
        self.stacks.insert(fiber, self.stack_ids);
        self.stack_ids
    }

    /// The running code is about to switch stacks, carrying `label` (with
    /// `--trace=stacks`, the label of the switch recorded where the code arrives).
    pub(super) fn depart(&mut self, label: String) {
        if self.settings.stacks {
            self.departing = Some(label);
        }
    }

    /// Code continues here, perhaps after a switch, `depth` handlers deep: with
    /// `--trace=stacks`, a switch from the last stack seen is recorded if this is another.
    pub(super) fn arrive(&mut self, depth: u32) {
        let now = self.stack_now();
        let label = self.departing.take();
        if let Some(last) = self.last_stack.replace(now)
            && last != now
            && self.settings.stacks
        {
            let kind = EventKind::Switch {
                from: last,
                to: now,
                label,
            };
            self.emit(kind, None, depth, now);
        }
    }

    /// Records an event of kind `kind` at `at`, `depth` handlers deep, after the switch
    /// that led here if there was one.
    pub(super) fn record(&mut self, kind: EventKind, at: Option<Place>, depth: u32) {
        self.arrive(depth);
        let stack = self.last_stack.unwrap_or(0);
        self.emit(kind, at, depth, stack);
    }

    /// Records an event that does not run code where it is recorded (a continuation
    /// reclaimed, perhaps while a stack is cancelled): no switch is looked for.
    pub(super) fn record_here(&mut self, kind: EventKind, at: Option<Place>, depth: u32) {
        let stack = self.stack_now();
        self.emit(kind, at, depth, stack);
    }

    /// Sends an event to the sink (a continuation reclaimed waits for the next other event,
    /// see [`State::send_reclaimed`]).
    fn emit(&mut self, kind: EventKind, at: Option<Place>, depth: u32, stack: StackId) {
        if !self.recording() {
            return;
        }
        let event = Event {
            kind,
            at,
            depth,
            stack,
        };
        if matches!(event.kind, EventKind::Reclaimed { .. }) {
            self.reclaimed.push(event);
            return;
        }
        self.send_reclaimed();
        self.send(event);
    }

    /// Sends the continuations reclaimed since the last other event, latest made first.
    pub(super) fn send_reclaimed(&mut self) {
        let mut run = std::mem::take(&mut self.reclaimed);
        run.sort_by_key(|e| match e.kind {
            EventKind::Reclaimed { k } => std::cmp::Reverse(k),
            _ => std::cmp::Reverse(0),
        });
        for event in run {
            if self.recording() {
                self.send(event);
            }
        }
    }

    /// Sends `event` to the sink, and stops recording at the limit.
    fn send(&mut self, event: Event) {
        self.count += 1;
        let stop = self.settings.limit.is_some_and(|n| self.count >= n);
        match self.settings.sink {
            Sink::Print => print(
                Some(&event),
                self.settings.stacks,
                stop.then_some(self.count),
            ),
            Sink::Collect => self.events.push(event),
            Sink::PrintAndCollect { print_stacks } => {
                let shown = print_stacks || !matches!(event.kind, EventKind::Switch { .. });
                let line = shown.then_some(&event);
                print(line, print_stacks, stop.then_some(self.count));
                self.events.push(event);
            }
        }
        self.stopped = stop;
    }
}

/// Writes `event`, if there is one, as one line of the text trace on standard error (in the
/// format of `--trace=stacks` if `stacks`), then the limit's note if recording stops at
/// `stopped_at` events.
fn print(event: Option<&Event>, stacks: bool, stopped_at: Option<usize>) {
    let mut err = std::io::stderr().lock();
    if let Some(event) = event {
        let _ = writeln!(err, "{}", text::line(event, stacks));
    }
    if let Some(count) = stopped_at {
        let _ = writeln!(err, "{}", text::limit_note(count));
    }
}
