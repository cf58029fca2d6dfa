//! The traces the browser test draws, all of real runs, each run through the library as
//! `kont --trace-html` runs it (`kont::trace::html::settings`, then `page_of_run`):
//! examples/generators.kont and examples/scheduler.kont, tests/browser/every_kind.kont
//! (every kind of event, and a runtime error at its end), and the scheduler with many
//! workers for a long trace cut at a limit.

use kont::trace::event::Event;
use kont::trace::html;
use kont::{Options, Session};

/// A traced run: its events and its page.
pub struct Trace {
    /// The events, in order.
    pub events: Vec<Event>,
    /// The page `kont --trace-html` writes for the run.
    pub page: String,
}

/// Runs `text`, named `name`, recording at most `limit` events for a page, its output
/// discarded.
pub fn run(name: &str, text: &str, limit: usize) -> Trace {
    let options = Options {
        trace: Some(html::settings(limit)),
        ..Options::default()
    };
    let mut session = Session::new(Box::new(std::io::sink()), Vec::new(), options);
    let result = session.eval(name, text);
    let events = session.take_trace();
    let page = html::page_of_run(&session, name, text, &events, result.as_ref().err());
    Trace { events, page }
}

/// The run of the program at `path` (relative to the crate), with the default limit.
pub fn of_file(path: &str) -> Trace {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    run(path, &text, html::DEFAULT_LIMIT)
}

/// The scheduler example made to run `workers` tasks of `steps` steps each.
fn scheduler_with(workers: usize, steps: usize) -> String {
    let path = "examples/scheduler.kont";
    let text = std::fs::read_to_string(path).expect("examples/scheduler.kont");
    let main = text
        .find("run_all(fn() {")
        .expect("the example's main task");
    format!(
        "{}run_all(fn() {{\n  for i in 0..{workers} {{ suspend Fork(worker(\"T\" ++ str(i), {steps})) }}\n}});\n",
        &text[..main]
    )
}

/// A run of the scheduler example with 50 workers, long enough to make more than `count`
/// events, recorded up to the limit `count`.
pub fn long(count: usize) -> Trace {
    // Each step of a worker makes four events: its suspend, the switch to the scheduler,
    // the resume, the switch back.
    let text = scheduler_with(50, count / 200 + 2);
    let trace = run("long.kont", &text, count);
    assert_eq!(trace.events.len(), count, "the run reached the limit");
    trace
}
