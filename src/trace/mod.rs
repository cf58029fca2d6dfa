//! Tracing a run's effect events (`kont --trace`, `--trace=stacks`, `--trace-html`, the
//! REPL's `:trace`): what happens at each `handle`, `suspend`, `resume`, `discontinue` and
//! `cont`, which handler catches an operation and which native stack runs. The format of
//! the text trace is docs/trace.md.
//!
//! - [`event`]: the record of one event, shared by the text trace (one line per event on
//!   standard error, [`text`]) and the HTML page ([`html`], a sequence diagram of the
//!   stacks, docs/trace-html.md, which reads the events as JSON, `json`);
//! - `state`: the tracer's state: the ids it gives handlers, continuations and stacks, the
//!   events, the sink;
//! - [`record`]: what traced code and the runtime's hooks call at each event;
//! - [`show`]: values as a trace shows them, abbreviated.
//!
//! Tracing is decided when a program is compiled ([`crate::compile::compile_unit`]'s
//! `trace`): the compiler makes traced closures for the effect constructs, which record
//! their events and call the same runtime functions as the closures they replace. With it
//! off, no traced code exists and a run pays nothing for it; the runtime's own hooks
//! (`runtime/effects/observe.rs`) are reached only through data that traced code made,
//! or on paths that are rare already.
//!
//! A session that traces owns a [`Tracer`]; while it evaluates, the tracer is installed on
//! the thread ([`Tracer::install`]), where the traced code and the runtime's hooks find it.

pub mod event;
pub mod html;
mod json;
pub mod record;
pub mod show;
mod state;
pub mod text;

use std::cell::RefCell;
use std::rc::Rc;

use crate::runtime::Vm;
use crate::runtime::effects::{self, Continuation};
use crate::runtime::value::Value;
use event::{Event, Place};
use state::State;

/// How a session traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceSettings {
    /// Whether events are recorded now. The REPL's `:trace off` keeps the code traced
    /// (so that `:trace on` shows what functions defined before do) and records nothing.
    pub recording: bool,
    /// Whether stack switches are recorded, and suspends marked that ran on the fast path
    /// (`--trace=stacks`).
    pub stacks: bool,
    /// Recording stops after this many events (`--trace-limit N`); the program goes on.
    pub limit: Option<usize>,
    /// Where events go.
    pub sink: Sink,
}

impl Default for TraceSettings {
    /// Recording, without stacks or limit, one line per event on standard error.
    fn default() -> TraceSettings {
        TraceSettings {
            recording: true,
            stacks: false,
            limit: None,
            sink: Sink::Print,
        }
    }
}

/// Where a tracer's events go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Each is written as one line to standard error as it happens (docs/trace.md); the
    /// limit's note too.
    Print,
    /// They are kept, to be taken by [`crate::Session::take_trace`] (the HTML page).
    Collect,
    /// Both (`--trace` with `--trace-html`): kept, and printed as [`Sink::Print`] prints
    /// them in the format of `--trace=stacks` if `print_stacks`, else of `--trace` (the
    /// switches, which the page needs whatever the text trace shows, are then kept but not
    /// printed).
    PrintAndCollect {
        /// Whether the printed lines are those of `--trace=stacks`.
        print_stacks: bool,
    },
}

/// A session's tracer: its settings, the ids it has given, and the events it kept.
pub struct Tracer {
    /// The state, shared with the thread while the tracer is installed.
    state: Rc<RefCell<State>>,
}

impl Tracer {
    /// A tracer for the session whose runtime is `vm` (whose handler stack gives the
    /// depth of events and whose sources name their places).
    pub fn new(settings: TraceSettings, vm: Rc<Vm>) -> Tracer {
        Tracer {
            state: Rc::new(RefCell::new(State::new(settings, vm))),
        }
    }

    /// Changes the settings; the count towards the limit starts again.
    pub fn set(&self, settings: TraceSettings) {
        self.state.borrow_mut().set(settings);
    }

    /// The settings.
    pub fn settings(&self) -> TraceSettings {
        self.state.borrow().settings()
    }

    /// The events kept so far (with [`Sink::Collect`]), which the tracer no longer holds.
    pub fn take_events(&self) -> Vec<Event> {
        self.state.borrow_mut().take_events()
    }

    /// Whether recording stopped at the limit.
    pub fn limit_reached(&self) -> bool {
        self.state.borrow().limit_reached()
    }

    /// The trace's id of continuation `k` (`3` for `k3`), if the trace numbered it.
    pub fn k_id(&self, k: &Rc<Continuation>) -> Option<u32> {
        self.state.borrow().id_of(k)
    }

    /// Where the computation of `k` started, if the trace saw it: the `handle` whose body
    /// is its outermost fiber, or the `cont` whose function it runs.
    pub fn started_at(&self, k: &Continuation) -> Option<Place> {
        self.state.borrow().started_at(k.fiber_id()?)
    }

    /// `vs` as the trace shows the arguments of an operation: abbreviated, separated by
    /// `, `, a continuation by its trace id.
    pub fn show_args(&self, vs: &[Value]) -> String {
        self.state.borrow().show_all(vs)
    }

    /// Makes this the tracer of the code that runs on this thread until the guard is
    /// dropped (one evaluation of the session): the traced code records into it and the
    /// runtime's hooks report to it.
    pub fn install(&self) -> Installed {
        state::install(Some(self.state.clone()));
        effects::observe(Some(&record::OBSERVER));
        self.state.borrow_mut().begin_run();
        Installed(())
    }
}

/// While alive, a tracer is installed on this thread (see [`Tracer::install`]).
pub struct Installed(());

impl Drop for Installed {
    /// Uninstalls the tracer.
    fn drop(&mut self) {
        effects::observe(None);
        state::install(None);
    }
}
