//! The HTML page of a trace (`kont --trace-html OUT.html FILE`): one self-contained document
//! that draws the run as a sequence diagram, one lane per native stack and time downward,
//! and steps through its events beside the source (docs/trace-html.md says how to read it).
//!
//! The page is `page.html` with `page.css`, `page.js` and the trace as JSON (`json.rs`)
//! put in: no external file, library or network access (its Content-Security-Policy allows
//! none). It draws only the rows in view, so a step or a scroll costs the same however long
//! the trace; a trace longer than [`MAX_EVENTS`] is cut to its first [`MAX_EVENTS`], and
//! the page says so.

use std::rc::Rc;

use super::event::Event;
use super::json;

/// The most events a page holds: at 24 pixels a row, more would make the diagram taller
/// than the tallest element a browser lays out (Chromium's: 2^25 pixels). A page this long
/// takes seconds to open (docs/trace-html.md has figures).
pub const MAX_EVENTS: usize = 1_000_000;

/// The page's skeleton: `{{title}}`, `{{css}}`, `{{js}}` and `{{data}}` mark what goes in.
const TEMPLATE: &str = include_str!("page.html");
/// The page's style sheet.
const CSS: &str = include_str!("page.css");
/// The page's script: the model of the diagram, drawing, stepping.
const JS: &str = include_str!("page.js");

/// The page for `events` (the first [`MAX_EVENTS`] of them), titled `title`; `sources` are
/// the name and text of each source the events' places name (a source left out is shown
/// as missing).
pub fn page(title: &str, events: &[Event], sources: &[(Rc<str>, String)]) -> String {
    page_of_at_most(title, events, sources, MAX_EVENTS)
}

/// [`page`] holding at most `max` events.
fn page_of_at_most(
    title: &str,
    events: &[Event],
    sources: &[(Rc<str>, String)],
    max: usize,
) -> String {
    let shown = &events[..events.len().min(max)];
    let data = json::document(title, shown, events.len(), sources);
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
    use crate::trace::event::{EventKind, Place};

    /// A switch from main to s1 carrying `label`, at line 1 of `a.kont`.
    fn switch(label: &str) -> Event {
        Event {
            kind: EventKind::Switch {
                from: 0,
                to: 1,
                label: label.into(),
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
        let html = page("a <b>", &[switch("()")], &[("a.kont".into(), "x".into())]);
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
        let html = page("t", &[switch("</script><script>alert(1)</script>")], &[]);
        let data = html.split("id=\"trace-data\">").nth(1).unwrap();
        let data = &data[..data.find("</script>").unwrap()];
        assert!(data.ends_with("]}"), "the JSON ends where the element does");
        assert!(!data.contains('<'));
    }

    #[test]
    fn a_long_trace_is_cut_to_the_most_a_page_holds() {
        let events = vec![switch("()"); 8];
        let html = page_of_at_most("t", &events, &[], 5);
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
}
