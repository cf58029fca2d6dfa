//! Values as a trace shows them: as they print inside data (strings quoted, as the REPL
//! shows them), abbreviated so that an event's line stays short whatever the program passes
//! (docs/trace.md, "Values").
//!
//! The limits: a string shows its first [`MAX_STRING`] characters, a list, array, tuple,
//! constructor or dictionary its first [`MAX_ITEMS`] elements, data nested deeper than
//! [`MAX_DEPTH`] levels shows as `…`, and a whole value at most [`MAX_CHARS`] characters;
//! what is cut ends in `…`. Showing a value walks at most what it shows, so an event costs
//! as little with a million-element list as with a short one. A continuation the trace
//! knows shows its id (`<continuation k3>`).

use std::fmt::Write;

use crate::runtime::print;
use crate::runtime::value::Value;

/// At most this many characters of a string are shown.
pub const MAX_STRING: usize = 32;

/// At most this many elements of a list, array, tuple, constructor or dictionary are shown.
pub const MAX_ITEMS: usize = 8;

/// Data nested deeper than this shows as `…`.
pub const MAX_DEPTH: usize = 3;

/// At most this many characters of one value are shown.
pub const MAX_CHARS: usize = 80;

/// The mark of what was cut.
const CUT: &str = "…";

/// `v` as a trace shows it; `k_id` gives the trace's id of a continuation, from its
/// address, if it has one.
pub fn value(v: &Value, k_id: &dyn Fn(usize) -> Option<u32>) -> String {
    let mut out = String::new();
    write(&mut out, v, 0, k_id);
    if let Some((cut, _)) = out.char_indices().nth(MAX_CHARS) {
        out.truncate(cut);
        out.push_str(CUT);
    }
    out
}

/// Several values as a trace shows them, separated by `, ` (the arguments of an
/// operation, the values of a resume).
pub fn values<'a>(
    vs: impl IntoIterator<Item = &'a Value>,
    k_id: &dyn Fn(usize) -> Option<u32>,
) -> Vec<String> {
    vs.into_iter().map(|v| value(v, k_id)).collect()
}

/// Appends `v`, at nesting depth `depth`, to `out`. Recursion is bounded by
/// [`MAX_DEPTH`].
fn write(out: &mut String, v: &Value, depth: usize, k_id: &dyn Fn(usize) -> Option<u32>) {
    let compound = matches!(
        v,
        Value::Cons(_) | Value::Tuple(_) | Value::Ctor(_) | Value::Array(_) | Value::Dict(_)
    );
    if compound && depth >= MAX_DEPTH {
        out.push_str(CUT);
        return;
    }
    let inner = depth + 1;
    match v {
        Value::Str(s) if s.char_count() > MAX_STRING => {
            let kept: String = s.chars().take(MAX_STRING).collect();
            let quoted = print::repr_cut(&Value::str(kept));
            out.push_str(&quoted[..quoted.len() - 1]);
            out.push_str(CUT);
            out.push('"');
        }
        Value::Cons(_) => {
            let mut items = Vec::new();
            let mut rest = v;
            while let Value::Cons(cell) = rest {
                if items.len() == MAX_ITEMS {
                    break;
                }
                items.push(&cell.head);
                rest = &cell.tail;
            }
            let more = matches!(rest, Value::Cons(_));
            seq(out, "[", items, more, "]", inner, k_id);
        }
        Value::Tuple(fields) => seq(out, "(", fields.0.iter(), false, ")", inner, k_id),
        Value::Ctor(c) => {
            out.push_str(&c.name.name());
            seq(out, "(", c.fields.iter(), false, ")", inner, k_id);
        }
        Value::Array(a) => seq(out, "#[", a.borrow().iter(), false, "]", inner, k_id),
        Value::Dict(d) => {
            let d = d.borrow();
            out.push('{');
            for (i, (key, value)) in d.iter().enumerate() {
                if i == MAX_ITEMS {
                    out.push_str(", ");
                    out.push_str(CUT);
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, key, inner, k_id);
                out.push_str(": ");
                write(out, value, inner, k_id);
            }
            out.push('}');
        }
        Value::Cont(k) => match k_id(std::rc::Rc::as_ptr(k).addr()) {
            Some(id) => {
                let _ = write!(out, "<continuation k{id}>");
            }
            None => out.push_str("<continuation>"),
        },
        other => out.push_str(&print::repr_cut(other)),
    }
}

/// Appends `open`, the first [`MAX_ITEMS`] of `items` separated by `, `, `…` if there are
/// more (or if `more`), and `close`.
fn seq<'a>(
    out: &mut String,
    open: &str,
    items: impl IntoIterator<Item = &'a Value>,
    more: bool,
    close: &str,
    depth: usize,
    k_id: &dyn Fn(usize) -> Option<u32>,
) {
    out.push_str(open);
    let mut items = items.into_iter();
    for (i, item) in items.by_ref().take(MAX_ITEMS).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write(out, item, depth, k_id);
    }
    if more || items.next().is_some() {
        out.push_str(", ");
        out.push_str(CUT);
    }
    out.push_str(close);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &Value) -> String {
        value(v, &|_| None)
    }

    #[test]
    fn short_values_show_as_they_print_inside_data() {
        assert_eq!(shown(&Value::Int(3)), "3");
        assert_eq!(shown(&Value::str("hi")), "\"hi\"");
        assert_eq!(shown(&Value::list((1..=3).map(Value::Int))), "[1, 2, 3]");
        assert_eq!(shown(&Value::Unit), "()");
    }

    #[test]
    fn long_strings_and_lists_are_cut() {
        let long = "a".repeat(40);
        assert_eq!(
            shown(&Value::str(long)),
            format!("\"{}…\"", "a".repeat(MAX_STRING))
        );
        let many = Value::list((1..=1_000_000).map(Value::Int));
        assert_eq!(shown(&many), "[1, 2, 3, 4, 5, 6, 7, 8, …]");
        let eight = Value::list((1..=8).map(Value::Int));
        assert_eq!(shown(&eight), "[1, 2, 3, 4, 5, 6, 7, 8]");
    }

    #[test]
    fn deep_data_and_long_values_are_cut() {
        let mut v = Value::Nil;
        for _ in 0..10 {
            v = Value::list([v].into_iter());
        }
        assert_eq!(shown(&v), "[[[…]]]");
        let words = Value::list((0..8).map(|i| Value::str(format!("word number {i}"))));
        let text = shown(&words);
        assert_eq!(text.chars().count(), MAX_CHARS + 1, "{text}");
        assert!(text.ends_with('…'), "{text}");
    }
}
