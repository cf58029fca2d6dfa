//! The traces the browser test draws: made by hand, shaped like what the tracer records for
//! examples/generators.kont and examples/scheduler.kont (every switch between stacks, the
//! fast path where the example's clause is tail-resumptive), plus a long synthetic one.
//!
//! [`of`] is the one place the test gets its events from: once the tracer records real
//! runs, it can run the example instead and nothing else in the test changes (every check
//! is computed from the events).

use std::collections::VecDeque;
use std::rc::Rc;

use kont::trace::event::{Event, EventKind, Place, StackId};

/// A trace and the sources its places name.
pub struct Trace {
    /// The events, in order.
    pub events: Vec<Event>,
    /// Each source's name and text.
    pub sources: Vec<(Rc<str>, String)>,
}

/// The trace of the example `examples/NAME.kont`.
pub fn of(name: &str) -> Trace {
    let path = format!("examples/{name}.kont");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut recorder = Recorder::new(&path, text);
    match name {
        "generators" => generators(&mut recorder),
        "scheduler" => scheduler(&mut recorder, &["A", "B", "C"], &[3, 2, 3]),
        _ => panic!("no trace made for {name}"),
    }
    recorder.finish()
}

/// A trace of `count` events: the start of examples/scheduler.kont run with enough
/// workers.
pub fn long(count: usize) -> Trace {
    let path = "examples/scheduler.kont";
    let text = std::fs::read_to_string(path).expect("examples/scheduler.kont");
    let mut recorder = Recorder::new(path, text);
    let names: Vec<String> = (0..count / 30 + 1).map(|i| format!("T{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let steps: Vec<usize> = (0..names.len()).map(|i| 3 + i % 4).collect();
    scheduler(&mut recorder, &names, &steps);
    let mut trace = recorder.finish();
    trace.events.truncate(count);
    trace
}

/// Records events as the tracer would: on the stack that runs, at a depth, with places
/// found in the source by a snippet of it.
struct Recorder {
    /// The source's name.
    file: Rc<str>,
    /// The source's text.
    text: String,
    /// The events so far.
    events: Vec<Event>,
    /// The stack running.
    stack: StackId,
    /// The handler depth of the code running.
    depth: u32,
    /// The last handler id given.
    handlers: u32,
    /// The last continuation id given.
    konts: u32,
}

impl Recorder {
    /// A recorder for the source `file` whose text is `text`, on the main stack.
    fn new(file: &str, text: String) -> Self {
        Recorder {
            file: file.into(),
            text,
            events: Vec::new(),
            stack: 0,
            depth: 0,
            handlers: 0,
            konts: 0,
        }
    }

    /// The events and the one source.
    fn finish(self) -> Trace {
        Trace {
            events: self.events,
            sources: vec![(self.file, self.text)],
        }
    }

    /// Where `snippet` first occurs in the source; `"ANCHOR » SNIPPET"`: where SNIPPET
    /// first occurs after ANCHOR.
    fn at(&self, snippet: &str) -> Place {
        let (from, snippet) = match snippet.split_once(" » ") {
            Some((anchor, snippet)) => (self.find(anchor, 0), snippet),
            None => (0, snippet),
        };
        let offset = self.find(snippet, from);
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Place {
            file: self.file.clone(),
            line: before.matches('\n').count() as u32 + 1,
            column: before[line_start..].chars().count() as u32 + 1,
        }
    }

    /// The offset of `snippet` at or after `from`.
    fn find(&self, snippet: &str, from: usize) -> usize {
        from + self.text[from..]
            .find(snippet)
            .unwrap_or_else(|| panic!("{}: no {snippet:?}", self.file))
    }

    /// Code runs on `stack` at handler depth `depth` from now on.
    fn on(&mut self, stack: StackId, depth: u32) {
        self.stack = stack;
        self.depth = depth;
    }

    /// Records `kind` at `at` (a snippet) or at no place.
    fn push(&mut self, kind: EventKind, at: Option<&str>) {
        let at = at.map(|snippet| self.at(snippet));
        self.events.push(Event {
            kind,
            at,
            depth: self.depth,
            stack: self.stack,
        });
    }

    /// `handle` installs a handler; its body starts on stack `body`, one handler deeper.
    fn handle(&mut self, at: &str, body: StackId) -> u32 {
        self.handlers += 1;
        let handler = self.handlers;
        self.push(EventKind::Handle { handler }, Some(at));
        self.switch(body, "start", None);
        self.on(body, self.depth + 1);
        handler
    }

    /// A switch to `to` carrying `label`, then code runs on `to` at `depth` (or the same).
    fn switch(&mut self, to: StackId, label: &str, depth: Option<u32>) {
        let from = self.stack;
        self.push(
            EventKind::Switch {
                from,
                to,
                label: label.into(),
            },
            None,
        );
        self.on(to, depth.unwrap_or(self.depth));
    }

    /// `suspend op(args)` caught by `handler`, on the fast path or not; its continuation.
    fn suspend(
        &mut self,
        at: &str,
        op: &str,
        args: &[&str],
        handler: Option<u32>,
        fast: bool,
    ) -> u32 {
        self.konts += 1;
        let k = self.konts;
        let kind = EventKind::Suspend {
            op: op.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            handler,
            k,
            fast,
        };
        self.push(kind, Some(at));
        k
    }

    /// `resume k(value)`.
    fn resume(&mut self, at: &str, k: u32, value: &str) {
        let kind = EventKind::Resume {
            k,
            value: value.into(),
            shallow: false,
        };
        self.push(kind, Some(at));
    }

    /// `println` at `at`: a `Print` the program's own handler takes on the fast path.
    fn print(&mut self, at: &str, line: &str) {
        let shown = format!("{:?}", format!("{line}\n"));
        let k = self.suspend(at, "Print", &[&shown], None, true);
        self.resume(at, k, "()");
    }
}

/// examples/generators.kont: sum_of's tail-resumptive clause on the fast path; take's on
/// the slow path, switching to main and back for every value; squares' clause passing each
/// value on to take's handler from inside a fast clause.
fn generators(r: &mut Recorder) {
    let h = r.handle("fn sum_of » handle gen()", 1);
    for i in 1..11 {
        let k = r.suspend(
            "suspend Yield(i)",
            "Yield",
            &[&i.to_string()],
            Some(h),
            true,
        );
        r.on(1, 0);
        r.resume("fn sum_of » resume k(())", k, "()");
        r.on(1, 1);
    }
    r.switch(0, "()", Some(0));
    let kind = EventKind::Return {
        handler: h,
        value: "()".into(),
    };
    r.push(kind, Some("fn sum_of » return(_)"));
    r.print("println(sum_of", "55");
    take(r, 5, "suspend Yield(n)", (0..).take(5));
    r.print("println(take(5", "[0, 1, 2, 3, 4]");
    take(r, 10, "suspend Yield(i)", 0..3);
    r.print("println(take(10", "[0, 1, 2]");
    squares(r, 6);
    r.print("println(take(6", "[0, 1, 4, 9, 16, 25]");
}

/// `take(n, gen)` where the generator yields `values` at the snippet `yields`, on stack 1.
fn take(r: &mut Recorder, n: usize, yields: &str, values: impl Iterator<Item = usize>) {
    let h = r.handle("fn take » handle gen()", 1);
    let mut got = 0;
    for v in values {
        let k = r.suspend(yields, "Yield", &[&v.to_string()], Some(h), false);
        r.switch(0, &format!("Yield({v})"), Some(0));
        got += 1;
        if got == n {
            r.push(EventKind::Reclaimed { k }, None);
            return;
        }
        r.resume("fn take » { resume k(()) }", k, "()");
        r.switch(1, "()", Some(1));
    }
    r.switch(0, "()", Some(0));
    let kind = EventKind::Return {
        handler: h,
        value: "()".into(),
    };
    r.push(kind, Some("fn take » return(_)"));
}

/// `take(n, squares)`: take's handler on main around squares on s1, whose handler is
/// around naturals on s2.
fn squares(r: &mut Recorder, n: usize) {
    let outer = r.handle("fn take » handle gen()", 1);
    let inner = r.handle("fn squares » handle naturals()", 2);
    for v in 0..n {
        let k = r.suspend(
            "suspend Yield(n)",
            "Yield",
            &[&v.to_string()],
            Some(inner),
            true,
        );
        r.on(2, 1);
        let square = (v * v).to_string();
        let k2 = r.suspend(
            "suspend Yield(v * v)",
            "Yield",
            &[&square],
            Some(outer),
            false,
        );
        r.switch(0, &format!("Yield({square})"), Some(0));
        if v + 1 == n {
            r.push(EventKind::Reclaimed { k: k2 }, None);
            return;
        }
        r.resume("fn take » { resume k(()) }", k2, "()");
        r.switch(2, "()", Some(1));
        r.resume("fn squares » resume k(())", k, "()");
        r.on(2, 2);
    }
}

/// examples/scheduler.kont with workers `names` taking `steps` each: the main task on s1,
/// each worker on a stack of its own (a finished worker's stack goes back to a pool, and
/// the next worker takes the last one given back); every Fork and Yield a slow clause on
/// main (the clauses keep k).
fn scheduler(r: &mut Recorder, names: &[&str], steps: &[usize]) {
    let mut s = Scheduler {
        names,
        steps,
        queue: VecDeque::new(),
        forked: 0,
        workers: Vec::new(),
        free_stacks: Vec::new(),
        stacks: 1,
        main_handler: 0,
    };
    s.main_handler = r.handle("fn spawn » handle task()", 1);
    r.print("println(\"main: forking", "main: forking three tasks");
    s.run_main(r, None);
    while let Some((task, k)) = s.queue.pop_front() {
        r.resume("fn run_all » resume k(())", k, "()");
        match task {
            Task::Main => {
                r.switch(1, "()", Some(1));
                s.run_main(r, Some(k));
            }
            Task::Worker(i) => {
                r.switch(s.workers[i].stack, "()", Some(1));
                s.run_worker(r, i, Some(k));
            }
        }
    }
}

/// A task of the scheduler.
#[derive(Clone, Copy)]
enum Task {
    /// The main task, which forks the workers.
    Main,
    /// Worker `i`.
    Worker(usize),
}

/// A worker that has started.
#[derive(Clone, Copy)]
struct Worker {
    /// Its stack.
    stack: StackId,
    /// The handler `spawn` put around it.
    handler: u32,
    /// How many steps it has done.
    done: usize,
}

/// The scheduler's state while its trace is made.
struct Scheduler<'a> {
    /// The workers' names.
    names: &'a [&'a str],
    /// How many steps each worker takes.
    steps: &'a [usize],
    /// The paused tasks and their continuations, oldest first.
    queue: VecDeque<(Task, u32)>,
    /// How many workers the main task has forked.
    forked: usize,
    /// The workers started.
    workers: Vec<Worker>,
    /// Stacks given back by finished workers.
    free_stacks: Vec<StackId>,
    /// The last stack used.
    stacks: StackId,
    /// The handler around the main task.
    main_handler: u32,
}

impl Scheduler<'_> {
    /// The main task runs (resumed as `k`): forks the next worker, or finishes.
    fn run_main(&mut self, r: &mut Recorder, k: Option<u32>) {
        if self.forked == self.names.len() {
            r.print("println(\"main: done", "main: done forking");
            self.finish(r, k);
            return;
        }
        let fork = [
            "Fork(worker(\"A\"",
            "Fork(worker(\"B\"",
            "Fork(worker(\"C\"",
        ];
        let at = format!("suspend {}", fork[self.forked % 3]);
        let k = r.suspend(&at, "Fork", &["<fn>"], Some(self.main_handler), false);
        r.switch(0, "Fork(<fn>)", Some(0));
        self.queue.push_back((Task::Main, k));
        let stack = self.free_stacks.pop().unwrap_or_else(|| {
            self.stacks += 1;
            self.stacks
        });
        let handler = r.handle("fn spawn » handle task()", stack);
        self.workers.push(Worker {
            stack,
            handler,
            done: 0,
        });
        self.forked += 1;
        self.run_worker(r, self.forked - 1, None);
    }

    /// Worker `i` runs (resumed as `k`): one step, or finishes.
    fn run_worker(&mut self, r: &mut Recorder, i: usize, k: Option<u32>) {
        let name = self.names[i];
        let Worker {
            stack,
            handler,
            done,
        } = self.workers[i];
        if done == self.steps[i] {
            r.print("println(name ++ \" finished", &format!("{name} finished"));
            self.free_stacks.push(stack);
            self.finish(r, k);
            return;
        }
        self.workers[i].done += 1;
        r.print(
            "println(name ++ \" step",
            &format!("{name} step {}", done + 1),
        );
        let k = r.suspend(
            "fn worker » suspend Yield()",
            "Yield",
            &[],
            Some(handler),
            false,
        );
        r.switch(0, "Yield()", Some(0));
        self.queue.push_back((Task::Worker(i), k));
    }

    /// The task resumed as `k` returns: its stack finishes and main runs on.
    fn finish(&mut self, r: &mut Recorder, k: Option<u32>) {
        let k = k.expect("a task finishes after it was resumed");
        r.push(EventKind::Finished { k }, None);
        r.switch(0, "()", Some(0));
    }
}
