//! The text trace: one line per event (docs/trace.md has the format and an example of
//! each kind).
//!
//! A line is the event indented by two spaces per enclosing handler (up to
//! [`MAX_INDENT`] levels), then where in the
//! source it happened: ` at FILE:LINE:COLUMN`, ` in the standard library`, or
//! ` (no source location)` for an event no construct made. With `--trace=stacks`, each
//! line starts with the name of the native stack it ran on (`main`, `s1`, …) in a column of
//! its own, switch lines leave that column blank, and a suspend whose clause ran on the
//! fast path says so.

use std::fmt::Write;

use super::event::{Event, EventKind, Place, StackId};

/// The width of the column of stack names with `--trace=stacks` (a name and a space).
const STACK_COLUMN: usize = 6;

/// Lines are indented by at most this many levels; a deeper one says its depth
/// (`[depth 40] …`), so that a tower of handlers does not make lines of thousands of spaces.
pub const MAX_INDENT: u32 = 16;

/// The name of native stack `id`: `main` or `sN`.
pub fn stack_name(id: StackId) -> String {
    if id == 0 {
        "main".to_string()
    } else {
        format!("s{id}")
    }
}

/// The line of `event`, without its line end; `stacks` for the format of
/// `--trace=stacks`.
pub fn line(event: &Event, stacks: bool) -> String {
    let mut out = String::new();
    if stacks {
        let name = match event.kind {
            EventKind::Switch { .. } => String::new(),
            _ => stack_name(event.stack),
        };
        let _ = write!(out, "{name:<STACK_COLUMN$}");
    }
    for _ in 0..event.depth.min(MAX_INDENT) {
        out.push_str("  ");
    }
    if event.depth > MAX_INDENT {
        let _ = write!(out, "[depth {}] ", event.depth);
    }
    out.push_str(&what(&event.kind, stacks));
    match (&event.kind, &event.at) {
        (EventKind::Switch { .. }, _) => {}
        (_, Some(place)) => where_(&mut out, place),
        (_, None) => out.push_str(" (no source location)"),
    }
    out
}

/// The note that ends a trace stopped by `--trace-limit N`.
pub fn limit_note(limit: usize) -> String {
    format!("trace: stopped after {limit} events (--trace-limit); the program goes on untraced")
}

/// What happened: the event without its place.
fn what(kind: &EventKind, stacks: bool) -> String {
    match kind {
        EventKind::Handle { handler } => format!("handle h{handler}"),
        EventKind::Suspend {
            op,
            args,
            handler,
            k,
            fast,
        } => {
            let caught = match (handler, k) {
                (Some(h), Some(k)) => format!("h{h}, k{k}"),
                (Some(h), None) => format!("h{h}"),
                (None, _) => "root".to_string(),
            };
            let fast = if *fast && stacks {
                " (fast path: no switch)"
            } else {
                ""
            };
            format!("suspend {op}({}) → {caught}{fast}", args.join(", "))
        }
        EventKind::Resume { k, value, shallow } => match shallow {
            Some(h) => format!("resume {}({value}) with h{h}", k_name(*k)),
            None => format!("resume {}({value})", k_name(*k)),
        },
        EventKind::Return { handler, value } => format!("return({value}) in h{handler}"),
        EventKind::Discontinue { k } => format!("discontinue {}", k_name(*k)),
        EventKind::Cont { k, function } => format!("cont {function} → k{k}"),
        EventKind::Finished { k, value } => format!("finished k{k} → {value}"),
        EventKind::Reclaimed { k } => format!("reclaimed k{k}, never resumed"),
        EventKind::Switch { from, to, label } => {
            let (from, to) = (stack_name(*from), stack_name(*to));
            match label {
                Some(label) => format!("switch {from} → {to}: {label}"),
                None => format!("switch {from} → {to}"),
            }
        }
    }
}

/// A continuation's name: `kN`, or `k?` for one the trace has not seen.
fn k_name(k: Option<u32>) -> String {
    match k {
        Some(k) => format!("k{k}"),
        None => "k?".to_string(),
    }
}

/// Appends where: ` at FILE:LINE:COLUMN`, or ` in the standard library`.
fn where_(out: &mut String, place: &Place) {
    out.push(' ');
    out.push_str(&self::place(place));
}

/// Where, as a trace line ends: `at FILE:LINE:COLUMN`, or `in the standard library`.
pub fn place(place: &Place) -> String {
    if place.line == 0 {
        "in the standard library".to_string()
    } else {
        format!("at {}:{}:{}", place.file, place.line, place.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, at: Option<Place>, depth: u32, stack: StackId) -> Event {
        Event {
            kind,
            at,
            depth,
            stack,
        }
    }

    fn place(line: u32, column: u32) -> Option<Place> {
        Some(Place {
            file: "gen.kont".into(),
            line,
            column,
        })
    }

    #[test]
    fn a_line_is_indented_by_depth_and_ends_with_its_place() {
        let suspend = event(
            EventKind::Suspend {
                op: "Yield".into(),
                args: vec!["1".into()],
                handler: Some(1),
                k: Some(2),
                fast: true,
            },
            place(4, 5),
            1,
            1,
        );
        assert_eq!(
            line(&suspend, false),
            "  suspend Yield(1) → h1, k2 at gen.kont:4:5"
        );
        assert_eq!(
            line(&suspend, true),
            "s1      suspend Yield(1) → h1, k2 (fast path: no switch) at gen.kont:4:5"
        );
        let reclaimed = event(EventKind::Reclaimed { k: 3 }, None, 0, 0);
        assert_eq!(
            line(&reclaimed, false),
            "reclaimed k3, never resumed (no source location)"
        );
        let switch = event(
            EventKind::Switch {
                from: 1,
                to: 0,
                label: Some("Yield(1)".into()),
            },
            None,
            0,
            0,
        );
        assert_eq!(line(&switch, true), "      switch s1 → main: Yield(1)");
        let deep = event(EventKind::Handle { handler: 9 }, place(2, 1), 40, 0);
        let indent = " ".repeat(2 * MAX_INDENT as usize);
        assert_eq!(
            line(&deep, false),
            format!("{indent}[depth 40] handle h9 at gen.kont:2:1")
        );
    }
}
