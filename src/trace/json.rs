//! The trace as JSON, the data the HTML page ([`super::html`]) reads: a small encoder for
//! events, places and sources, written for these types only.
//!
//! The shape (every key short, since a page may hold 100,000 events):
//! `{"title", "total", "stopped", "ending", "sources": [{"name", "text"}], "events": [EVENT…]}`
//! where `total` is the number of events recorded (more than `events` holds when the page
//! was capped), `stopped` the limit at which recording stopped (`null`: it did not),
//! `ending` how the run ended when not normally (its error report; `null`: normally),
//! `text` is `null` for a source named by a place but not given, and an EVENT is
//! `{"t": KIND, "s": STACK, "d": DEPTH, "at": [SOURCE, LINE, COLUMN]}` (no `at` when the event
//! has no place; SOURCE indexes `sources`) with the kind's own fields: `handle` `h`;
//! `suspend` `op`, `args`, `h` (`null`: the handler around the program), `k` (`null` with
//! it), `fast`; `resume` `k` (`null`: not a continuation the trace knows), `v`, `shallow`
//! (the handler of `with { … }`, or `null`); `return` `h`, `v`; `discontinue` `k` (as for
//! `resume`); `finished` `k`, `v`; `reclaimed` `k`; `cont` `k`, `f`; `switch` `from`, `to`,
//! `label` (`null`: a switch seen only by its effect).
//!
//! Invariant: the output never contains `<` (it is written `\u003c`), nor U+2028 or U+2029,
//! so it can sit inside a `<script>` element as it is: no `</script>` or `<!--` can end or
//! change the element.

use std::collections::HashMap;
use std::fmt::Write;
use std::rc::Rc;

use super::event::{Event, EventKind, Place};
use super::html::Outcome;

/// The sources of a trace: each name once, in the order given and then in the order the
/// events' places first name a source that was not given.
struct Sources<'a> {
    /// Each source's name and text (`None`: not given).
    list: Vec<(&'a str, Option<&'a str>)>,
    /// Where each name is in `list`.
    index: HashMap<&'a str, usize>,
}

impl<'a> Sources<'a> {
    /// The sources given, then those the events name.
    fn new(given: &'a [(Rc<str>, String)], events: &'a [Event]) -> Self {
        let mut sources = Sources {
            list: Vec::new(),
            index: HashMap::new(),
        };
        for (name, text) in given {
            sources.add(name, Some(text));
        }
        for place in events.iter().filter_map(|e| e.at.as_ref()) {
            sources.add(&place.file, None);
        }
        sources
    }

    /// Adds a source unless one of that name is already there.
    fn add(&mut self, name: &'a str, text: Option<&'a str>) {
        if !self.index.contains_key(name) {
            self.index.insert(name, self.list.len());
            self.list.push((name, text));
        }
    }
}

/// The JSON document for a page titled `title` showing `events`, the first of `total`, of
/// a run that ended as `outcome` says.
pub fn document(
    title: &str,
    events: &[Event],
    total: usize,
    sources: &[(Rc<str>, String)],
    outcome: &Outcome,
) -> String {
    let sources = Sources::new(sources, events);
    let mut out = String::with_capacity(128 + events.len() * 96);
    out.push_str("{\"title\":");
    string(&mut out, title);
    let _ = write!(out, ",\"total\":{total},\"stopped\":");
    match outcome.stopped_at {
        Some(limit) => _ = write!(out, "{limit}"),
        None => out.push_str("null"),
    }
    out.push_str(",\"ending\":");
    match &outcome.ending {
        Some(ending) => string(&mut out, ending),
        None => out.push_str("null"),
    }
    out.push_str(",\"sources\":[");
    for (i, (name, text)) in sources.list.iter().enumerate() {
        out.push_str(if i == 0 { "{\"name\":" } else { ",{\"name\":" });
        string(&mut out, name);
        out.push_str(",\"text\":");
        match text {
            Some(text) => string(&mut out, text),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("],\"events\":[");
    for (i, event) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_event(&mut out, event, &sources);
    }
    out.push_str("]}");
    out
}

/// One event as a JSON object. (Writing to a `String` cannot fail: the `fmt::Result`s are
/// dropped.)
fn write_event(out: &mut String, event: &Event, sources: &Sources) {
    out.push_str("{\"t\":");
    match &event.kind {
        EventKind::Handle { handler } => {
            let _ = write!(out, "\"handle\",\"h\":{handler}");
        }
        EventKind::Suspend {
            op,
            args,
            handler,
            k,
            fast,
        } => {
            out.push_str("\"suspend\",\"op\":");
            string(out, op);
            out.push_str(",\"args\":[");
            for (i, arg) in args.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(out, arg);
            }
            out.push_str("],\"h\":");
            id(out, *handler);
            out.push_str(",\"k\":");
            id(out, *k);
            let _ = write!(out, ",\"fast\":{fast}");
        }
        EventKind::Resume { k, value, shallow } => {
            out.push_str("\"resume\",\"k\":");
            id(out, *k);
            out.push_str(",\"shallow\":");
            id(out, *shallow);
            out.push_str(",\"v\":");
            string(out, value);
        }
        EventKind::Return { handler, value } => {
            let _ = write!(out, "\"return\",\"h\":{handler},\"v\":");
            string(out, value);
        }
        EventKind::Discontinue { k } => {
            out.push_str("\"discontinue\",\"k\":");
            id(out, *k);
        }
        EventKind::Cont { k, function } => {
            let _ = write!(out, "\"cont\",\"k\":{k},\"f\":");
            string(out, function);
        }
        EventKind::Finished { k, value } => {
            let _ = write!(out, "\"finished\",\"k\":{k},\"v\":");
            string(out, value);
        }
        EventKind::Reclaimed { k } => {
            let _ = write!(out, "\"reclaimed\",\"k\":{k}");
        }
        EventKind::Switch { from, to, label } => {
            let _ = write!(out, "\"switch\",\"from\":{from},\"to\":{to},\"label\":");
            match label {
                Some(label) => string(out, label),
                None => out.push_str("null"),
            }
        }
    }
    let _ = write!(out, ",\"s\":{},\"d\":{}", event.stack, event.depth);
    if let Some(place) = &event.at {
        write_place(out, place, sources);
    }
    out.push('}');
}

/// An id, or `null` for none.
fn id(out: &mut String, id: Option<u32>) {
    match id {
        Some(id) => _ = write!(out, "{id}"),
        None => out.push_str("null"),
    }
}

/// An event's place, `,"at":[SOURCE,LINE,COLUMN]`.
fn write_place(out: &mut String, place: &Place, sources: &Sources) {
    let source = sources.index[&*place.file];
    let _ = write!(out, ",\"at\":[{source},{},{}]", place.line, place.column);
}

/// `s` as a JSON string, quoted; `<`, U+2028 and U+2029 escaped besides what JSON requires.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `s` as [`string`] writes it.
    fn quoted(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    #[test]
    fn strings_escape_what_json_and_a_script_element_need() {
        assert_eq!(quoted("plain"), r#""plain""#);
        assert_eq!(quoted("a \"b\" \\c"), r#""a \"b\" \\c""#);
        assert_eq!(quoted("1\n2\t3\r\u{1}"), r#""1\n2\t3\r\u0001""#);
        assert_eq!(quoted("</script><!--"), r#""\u003c/script>\u003c!--""#);
        assert_eq!(quoted("a\u{2028}b\u{2029}"), r#""a\u2028b\u2029""#);
        assert_eq!(quoted("λ → ✓"), "\"λ → ✓\"");
    }

    /// An event on stack 1 at depth 2, at `f.kont:3:4` when `placed`.
    fn event(kind: EventKind, placed: bool) -> Event {
        Event {
            kind,
            at: placed.then(|| Place {
                file: "f.kont".into(),
                line: 3,
                column: 4,
            }),
            depth: 2,
            stack: 1,
        }
    }

    #[test]
    fn a_document_holds_every_kind_of_event_and_names_missing_sources() {
        let events = [
            event(EventKind::Handle { handler: 1 }, true),
            event(
                EventKind::Suspend {
                    op: "Yield".into(),
                    args: vec!["1".into(), "\"x\"".into()],
                    handler: None,
                    k: None,
                    fast: true,
                },
                true,
            ),
            event(
                EventKind::Resume {
                    k: Some(2),
                    value: "()".into(),
                    shallow: Some(6),
                },
                true,
            ),
            event(
                EventKind::Return {
                    handler: 1,
                    value: "[1, …]".into(),
                },
                true,
            ),
            event(EventKind::Discontinue { k: None }, true),
            event(
                EventKind::Cont {
                    k: 4,
                    function: "<fn>".into(),
                },
                true,
            ),
            event(
                EventKind::Finished {
                    k: 4,
                    value: "7".into(),
                },
                false,
            ),
            event(EventKind::Reclaimed { k: 5 }, false),
            event(
                EventKind::Switch {
                    from: 1,
                    to: 0,
                    label: Some("Yield(1)".into()),
                },
                false,
            ),
            event(
                EventKind::Switch {
                    from: 2,
                    to: 3,
                    label: None,
                },
                false,
            ),
        ];
        let sources = [("other.kont".into(), "x".to_string())];
        let json = document("t", &events, 12, &sources, &Outcome::default());
        assert_eq!(
            json,
            concat!(
                r#"{"title":"t","total":12,"stopped":null,"ending":null,"sources":[{"name":"other.kont","text":"x"},"#,
                r#"{"name":"f.kont","text":null}],"events":["#,
                r#"{"t":"handle","h":1,"s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"suspend","op":"Yield","args":["1","\"x\""],"h":null,"k":null,"fast":true,"s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"resume","k":2,"shallow":6,"v":"()","s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"return","h":1,"v":"[1, …]","s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"discontinue","k":null,"s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"cont","k":4,"f":"\u003cfn>","s":1,"d":2,"at":[1,3,4]},"#,
                r#"{"t":"finished","k":4,"v":"7","s":1,"d":2},"#,
                r#"{"t":"reclaimed","k":5,"s":1,"d":2},"#,
                r#"{"t":"switch","from":1,"to":0,"label":"Yield(1)","s":1,"d":2},"#,
                r#"{"t":"switch","from":2,"to":3,"label":null,"s":1,"d":2}]}"#,
            )
        );
    }

    #[test]
    fn a_document_says_where_recording_stopped_and_how_the_run_ended() {
        let outcome = Outcome {
            stopped_at: Some(3),
            ending: Some("error: division by zero\n  --> <eval>:1:1".into()),
        };
        let json = document("t", &[], 3, &[], &outcome);
        assert_eq!(
            json,
            concat!(
                r#"{"title":"t","total":3,"stopped":3,"#,
                r#""ending":"error: division by zero\n  --> \u003ceval>:1:1","#,
                r#""sources":[],"events":[]}"#,
            )
        );
    }
}
