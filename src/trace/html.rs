//! The HTML page of a trace (`kont --trace-html OUT.html FILE`): one self-contained document
//! that draws the run as a sequence diagram, one lane per native stack and time downward,
//! and steps through its events beside the source (docs/trace-html.md says how to read it).
//!
//! The page is `page.html` with `page.css`, `page.js` and the trace as JSON (`json.rs`)
//! put in: no external file, library or network access (its Content-Security-Policy allows
//! none). It draws only the rows in view, so a step or a scroll costs the same however long
//! the trace; a trace longer than [`MAX_EVENTS`] is cut to its first [`MAX_EVENTS`], and
//! the page says so.
//!
//! A run traced for a page records with [`settings`] (every event and every stack switch,
//! kept, up to a limit: [`DEFAULT_LIMIT`] unless `--trace-limit` says otherwise), then
//! [`page_of_run`] makes its page: `kont --trace-html` and the browser test do the same.

use std::rc::Rc;

use super::event::Event;
use super::{Sink, TraceSettings, json};
use crate::{Failure, FailureKind, Session};

/// The most events a page holds: at 24 pixels a row, more would make the diagram taller
/// than the tallest element a browser lays out (Chromium's: 2^25 pixels). A page this long
/// takes seconds to open (docs/trace-html.md has figures).
pub const MAX_EVENTS: usize = 1_000_000;

/// How many events `kont --trace-html` records unless `--trace-limit` says otherwise: a
/// page of 100,000 events is about 8 MB and opens in about a second (docs/trace-html.md).
pub const DEFAULT_LIMIT: usize = 100_000;

/// The name the trace gives the standard library's places (which have no line).
const LIBRARY: &str = "standard library";

/// What a page says of its run besides the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Recording stopped at this many events, the limit: the program went on untraced.
    pub stopped_at: Option<usize>,
    /// How the run ended, when it did not end normally: its error report (as written to
    /// standard error), or what stopped it.
    pub ending: Option<String>,
}

/// The settings of a run traced for a page: every event and stack switch, kept, up to
/// `limit` events.
pub fn settings(limit: usize) -> TraceSettings {
    TraceSettings {
        recording: true,
        stacks: true,
        limit: Some(limit),
        sink: Sink::Collect,
    }
}

/// The page of the run `session` just made of the source `name` whose text is `text`:
/// `events` (which the caller took from the session, [`Session::take_trace`]), the text of
/// every source they name, and how the run ended (`failure`, the evaluation's error).
pub fn page_of_run(
    session: &Session,
    name: &str,
    text: &str,
    events: &[Event],
    failure: Option<&Failure>,
) -> String {
    let mut sources: Vec<(Rc<str>, String)> = vec![(name.into(), text.to_string())];
    for place in events.iter().filter_map(|e| e.at.as_ref()) {
        let named = &*place.file;
        if named != LIBRARY
            && !sources.iter().any(|(n, _)| &**n == named)
            && let Some(text) = session.source_text(named)
        {
            sources.push((place.file.clone(), text));
        }
    }
    let stopped_at = session.trace_limit_reached().then_some(events.len());
    let outcome = Outcome {
        stopped_at,
        ending: failure.map(ending),
    };
    page(name, events, &sources, &outcome)
}

/// How a run that failed with `failure` ended, as the page says it.
fn ending(failure: &Failure) -> String {
    match failure.kind {
        FailureKind::Exit(code) => format!("exit({code}): the program ended with status {code}"),
        FailureKind::Terminated => "terminated (SIGTERM)".to_string(),
        FailureKind::OutputClosed => "its output was closed by its reader".to_string(),
        FailureKind::Incomplete
        | FailureKind::Compile
        | FailureKind::Runtime
        | FailureKind::Interrupted => failure.report.trim_end().to_string(),
    }
}

/// The page's skeleton: `{{title}}`, `{{css}}`, `{{js}}` and `{{data}}` mark what goes in.
const TEMPLATE: &str = include_str!("page.html");
/// The page's style sheet.
const CSS: &str = include_str!("page.css");
/// The page's script: the model of the diagram, drawing, stepping.
const JS: &str = include_str!("page.js");

/// The page for `events` (the first [`MAX_EVENTS`] of them), titled `title`, of a run that
/// ended as `outcome` says; `sources` are the name and text of each source the events'
/// places name (a source left out is shown as missing).
pub fn page(
    title: &str,
    events: &[Event],
    sources: &[(Rc<str>, String)],
    outcome: &Outcome,
) -> String {
    page_of_at_most(title, events, sources, outcome, MAX_EVENTS)
}

/// [`page`] holding at most `max` events.
fn page_of_at_most(
    title: &str,
    events: &[Event],
    sources: &[(Rc<str>, String)],
    outcome: &Outcome,
    max: usize,
) -> String {
    let shown = &events[..events.len().min(max)];
    let data = json::document(title, shown, events.len(), sources, outcome);
    let title = escape(title);
    fill(TEMPLATE, |name| match name {
        "title" => &title,
        "css" => CSS,
        "js" => JS,
        "data" => &data,
        _ => unreachable!("page.html names {name}, which the page does not fill"),
    })
}

/// `template` with each `{{name}}` replaced by `value(name)`, in one pass (so a value that
/// contains `{{…}}` is left as it is).
fn fill<'a>(template: &str, value: impl Fn(&str) -> &'a str) -> String {
    let mut out = String::with_capacity(template.len() + CSS.len() + JS.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let close = open
            + rest[open..]
                .find("}}")
                .expect("page.html: `{{` without `}}`");
        out.push_str(&rest[..open]);
        out.push_str(value(&rest[open + 2..close]));
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    out
}

/// `text` escaped for HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use crate::trace::event::{EventKind, Place};

    /// A session that records for a page, at most `limit` events, its output discarded.
    fn traced_session(limit: usize) -> Session {
        let options = Options {
            trace: Some(settings(limit)),
            ..Options::default()
        };
        Session::new(Box::new(std::io::sink()), Vec::new(), options)
    }

    /// The JSON data of `html`.
    fn data(html: &str) -> &str {
        let data = html.split("id=\"trace-data\">").nth(1).unwrap();
        &data[..data.find("</script>").unwrap()]
    }

    /// A switch from main to s1 carrying `label`, at line 1 of `a.kont`.
    fn switch(label: &str) -> Event {
        Event {
            kind: EventKind::Switch {
                from: 0,
                to: 1,
                label: Some(label.into()),
            },
            at: Some(Place {
                file: "a.kont".into(),
                line: 1,
                column: 1,
            }),
            depth: 0,
            stack: 0,
        }
    }

    #[test]
    fn the_page_is_one_document_with_everything_inline() {
        let sources = [("a.kont".into(), "x".into())];
        let html = page("a <b>", &[switch("()")], &sources, &Outcome::default());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>a &lt;b&gt; · kont trace</title>"));
        assert!(!html.contains("{{"), "every mark filled");
        assert!(html.contains(CSS) && html.contains(JS));
        assert!(html.contains(r#""events":[{"t":"switch","from":0,"to":1,"label":"()""#));
        for external in ["src=", "href=", "@import", "url(http"] {
            assert!(!html.contains(external), "{external} in the page");
        }
    }

    #[test]
    fn nothing_in_the_trace_can_end_the_script_element() {
        let label = switch("</script><script>alert(1)</script>");
        let html = page("t", &[label], &[], &Outcome::default());
        let data = html.split("id=\"trace-data\">").nth(1).unwrap();
        let data = &data[..data.find("</script>").unwrap()];
        assert!(data.ends_with("]}"), "the JSON ends where the element does");
        assert!(!data.contains('<'));
    }

    #[test]
    fn a_long_trace_is_cut_to_the_most_a_page_holds() {
        let events = vec![switch("()"); 8];
        let html = page_of_at_most("t", &events, &[], &Outcome::default(), 5);
        assert!(html.contains("\"total\":8"));
        assert_eq!(html.matches("\"t\":\"switch\"").count(), 5);
    }

    #[test]
    fn fill_replaces_marks_once() {
        let out = fill(
            "a{{x}}b{{y}}c",
            |name| if name == "x" { "{{y}}" } else { "Y" },
        );
        assert_eq!(out, "a{{y}}bYc");
    }

    #[test]
    fn a_run_s_page_holds_its_events_with_switches_its_source_and_its_error() {
        let mut session = traced_session(DEFAULT_LIMIT);
        let text = "effect E()\nhandle suspend E() with { E(), k => resume k(()) };\nmap([1], fn(x) => x);\n1 / 0\n";
        let failure = session.eval("p.kont", text).unwrap_err();
        let events = session.take_trace();
        assert!(
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Switch { .. })),
            "the switches are recorded: {events:?}"
        );
        let html = page_of_run(&session, "p.kont", text, &events, Some(&failure));
        let data = data(&html);
        assert!(data.starts_with(r#"{"title":"p.kont","total":"#), "{data}");
        assert!(
            data.contains(r#""stopped":null,"ending":"error: division by zero"#),
            "{data}"
        );
        assert!(
            data.contains(r#""sources":[{"name":"p.kont","text":"effect E()\n"#),
            "{data}"
        );
        assert_eq!(data.matches(r#""t":"#).count(), events.len());
    }

    #[test]
    fn a_run_s_page_says_where_recording_stopped() {
        let mut session = traced_session(2);
        let text =
            "effect E()\nfor i in 0..5 { handle suspend E() with { E(), k => resume k(()) } }";
        session.eval("<eval>", text).unwrap();
        let events = session.take_trace();
        assert_eq!(events.len(), 2);
        let html = page_of_run(&session, "<eval>", text, &events, None);
        assert!(data(&html).contains(r#""total":2,"stopped":2,"ending":null,"#));
    }

    #[test]
    fn an_exit_is_an_ending_the_page_names() {
        let mut session = traced_session(DEFAULT_LIMIT);
        let failure = session.eval("<eval>", "exit(3)").unwrap_err();
        let html = page_of_run(&session, "<eval>", "exit(3)", &[], Some(&failure));
        assert!(data(&html).contains(r#""ending":"exit(3): the program ended with status 3""#));
    }
}
