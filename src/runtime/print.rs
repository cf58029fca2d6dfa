//! Printing values.
//!
//! Printing walks user data of any size, so it is iterative: an explicit work list replaces
//! native recursion, and a 10,000,000-element list or a tree a million levels deep is printed
//! without exhausting a native stack (equality, in `ops.rs`, walks data the same way).
//! Data whose parts are shared prints every part wherever it occurs, so printing is bounded
//! ([`MAX_PRINTED`] bytes of text, or fewer where it is asked: an error message shows 200
//! characters of a value) and looks for an interrupt as it goes: it stops with a [`Stop`],
//! which the printing built-ins make the runtime error `value too long to print` or
//! `interrupted`.
//!
//! Arrays and dictionaries are the only data that can contain itself (`a[0] = a`), so
//! printing tracks them: an array met again inside itself prints as `#[...]`, a dictionary
//! as `{...}`. A dictionary prints its entries in insertion order: `{"a": 1, "b": 2}`.
//!
//! Printing follows docs/language.md: `println` prints a top-level string without quotes;
//! inside data strings are quoted and escaped.
//!
//! A continuation prints its state: `<continuation: Yield(3) at gen.kont:4:5>` (suspended
//! there), `<continuation: cont walk>`, `<continuation: resumed>`. The operation's name and
//! the place are the session's: they are looked up in the VM whose program runs on this
//! thread ([`naming_by`]; `run_root` and the session's echo of a value name it), since
//! printing is asked for where no VM is at hand (an error message made by an operator).

use crate::runtime::dict::{Dict, DictCell};
use crate::runtime::effects::{Continuation, OpId, OpPoint, State};
use crate::runtime::value::{ArrayCell, Value};
use crate::runtime::{ErrorKind, Vm};
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Write;
use std::rc::Rc;

/// The most text, in bytes, that printing one value makes: 256 MiB. Data may share its
/// parts (`t = Node(t, t)` forty times is a tree of 2^40 leaves built from 41 nodes), and
/// printing writes a part out wherever it occurs, so a small value can stand for more text
/// than any memory holds; past this bound printing stops with the error `value too long to
/// print` (docs/semantics.md, "Printing"). A string printed by itself (`print(s)`, `str(s)`)
/// is not walked and not bounded.
pub const MAX_PRINTED: usize = 256 << 20;

/// How much text printing makes between two looks at its bound and at a waiting interrupt
/// (Ctrl-C), which stops it: well under a millisecond of work. (Every piece of work but a
/// few bookkeeping ones makes text, so the looks come however the data is shaped; one per
/// piece cost a print-heavy loop 2% more instructions.)
const LOOK_EVERY: usize = 64 << 10;

/// Why printing a value stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Its text went past the bound printing was given.
    TooLong,
    /// An interrupt (Ctrl-C) is waiting.
    Interrupted,
}

impl Stop {
    /// The runtime error for printing that stopped so: `value too long to print`, or
    /// `interrupted`.
    pub fn error(self) -> Box<ErrorKind> {
        Box::new(match self {
            Stop::TooLong => ErrorKind::TooLongToPrint,
            Stop::Interrupted => ErrorKind::Interrupted,
        })
    }
}

/// The text `print(v)` writes: strings unquoted at top level. An error past
/// [`MAX_PRINTED`] bytes, or on an interrupt.
#[inline(always)]
pub fn show(v: &Value) -> Result<String, Box<ErrorKind>> {
    let mut out = String::new();
    write_value(&mut out, v, MAX_PRINTED).map_err(Stop::error)?;
    Ok(out)
}

/// The form of `v` as it appears inside data (strings quoted): what the REPL echoes. An
/// error past [`MAX_PRINTED`] bytes, or on an interrupt.
pub fn repr(v: &Value) -> Result<String, Box<ErrorKind>> {
    let mut out = String::new();
    write_data(&mut out, v, MAX_PRINTED).map_err(Stop::error)?;
    Ok(out)
}

/// At most this many characters of a value are shown in an error message; a longer one is
/// cut there and ends in `...`.
const SHOWN_CHARS: usize = 200;

/// [`repr`] of `v` for an error message: cut after 200 characters (`SHOWN_CHARS`). Only
/// what is shown is printed.
pub fn repr_cut(v: &Value) -> String {
    let mut out = String::new();
    let stop = write_data(&mut out, v, SHOWN_CHARS * 4);
    cut_at(out, SHOWN_CHARS, stop.is_err())
}

/// [`show`] of `v` for an error message: cut after 200 characters, as [`repr_cut`].
pub fn show_cut(v: &Value) -> String {
    let mut out = String::new();
    let stop = write_value(&mut out, v, SHOWN_CHARS * 4);
    cut_at(out, SHOWN_CHARS, stop.is_err())
}

/// [`show`] of `v` where printing may not fail (the message of a `Fail` no handler
/// catches): whole up to [`MAX_PRINTED`] bytes; past that, or on an interrupt, what was
/// printed and `...`.
pub fn show_or_cut(v: &Value) -> String {
    let mut out = String::new();
    let stop = write_value(&mut out, v, MAX_PRINTED);
    cut_at(out, usize::MAX, stop.is_err())
}

/// `text` cut after `chars` characters, ending in `...` when it was cut there or when
/// printing it stopped early (`stopped`).
fn cut_at(mut text: String, chars: usize, stopped: bool) -> String {
    let cut = text.char_indices().nth(chars).map(|(at, _)| at);
    if let Some(at) = cut {
        text.truncate(at);
    }
    if cut.is_some() || stopped {
        text.push_str("...");
    }
    text
}

/// Appends the printed form of `v` to `out`, stopping once `out` holds more than `max`
/// bytes (or on an interrupt) with what was printed so far left in `out`.
#[inline]
pub fn write_value(out: &mut String, v: &Value, max: usize) -> Result<(), Stop> {
    match v {
        Value::Str(s) => {
            out.push_str(s);
            Ok(())
        }
        _ => write_data(out, v, max),
    }
}

/// A unit of pending printing work.
enum Item {
    /// Print a value (strings quoted).
    Val(Value),
    /// Print fixed text.
    Text(&'static str),
    /// Print text made for this printing.
    Owned(String),
    /// Print `, x` for each remaining element `x` of a list, then `]`.
    ListRest(Value),
    /// The end of the array or dictionary with this address: it is no longer being printed.
    Leave(usize),
}

/// A float as kont prints it: Rust's `Debug` form (`1.0`, `1e20`), or `NaN`, `inf`, `-inf`.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{f:?}")
    }
}

/// Appends `s` to `out` quoted, with `"`, `\`, newline and tab escaped.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Pushes `open`, the items separated by `, `, and `close` onto the work list (in reverse, so
/// they pop in order).
fn push_seq(work: &mut Vec<Item>, open: &'static str, items: &[Value], close: &'static str) {
    work.push(Item::Text(close));
    for (i, item) in items.iter().enumerate().rev() {
        work.push(Item::Val(item.clone()));
        if i > 0 {
            work.push(Item::Text(", "));
        }
    }
    work.push(Item::Text(open));
}

/// Appends `v` to `out` as it appears inside data (strings quoted), with a work list rather
/// than recursion; stops once `out` holds more than `max` bytes, or on an interrupt (both
/// looked at every `LOOK_EVERY` bytes), leaving what was printed so far in `out`.
pub fn write_data(out: &mut String, v: &Value, max: usize) -> Result<(), Stop> {
    let mut work = vec![Item::Val(v.clone())];
    // The arrays being printed: the ones `work` is inside of.
    let mut open = HashSet::new();
    let mut next_look = out.len().saturating_add(LOOK_EVERY).min(max);
    while let Some(item) = work.pop() {
        match item {
            Item::Text(t) => out.push_str(t),
            Item::Owned(t) => out.push_str(&t),
            Item::Leave(id) => {
                open.remove(&id);
            }
            Item::ListRest(rest) => {
                if let Value::Cons(cell) = &rest {
                    out.push_str(", ");
                    work.push(Item::ListRest(cell.tail.clone()));
                    work.push(Item::Val(cell.head.clone()));
                } else {
                    out.push(']');
                }
            }
            Item::Val(v) => write_one(out, &mut work, &mut open, &v),
        }
        if out.len() > next_look {
            if out.len() > max {
                return Err(Stop::TooLong);
            }
            if crate::interrupt::pending() {
                return Err(Stop::Interrupted);
            }
            next_look = max.min(out.len() + LOOK_EVERY);
        }
    }
    Ok(())
}

/// Pushes `{`, the entries of a dictionary as `key: value` separated by `, `, and `}` onto
/// the work list (in reverse, so they pop in order).
fn push_entries(work: &mut Vec<Item>, dict: &Dict) {
    work.push(Item::Text("}"));
    let mut entries = dict.iter().rev().peekable();
    while let Some((key, value)) = entries.next() {
        work.push(Item::Val(value.clone()));
        work.push(Item::Text(": "));
        work.push(Item::Val(key.clone()));
        if entries.peek().is_some() {
            work.push(Item::Text(", "));
        }
    }
    work.push(Item::Text("{"));
}

/// Prints `v`, or pushes the work of printing its parts; `open` holds the arrays and
/// dictionaries being printed.
fn write_one(out: &mut String, work: &mut Vec<Item>, open: &mut HashSet<usize>, v: &Value) {
    match v {
        Value::Unit => out.push_str("()"),
        Value::True => out.push_str("true"),
        Value::False => out.push_str("false"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&float_text(f.get())),
        Value::Atom(s) => out.push_str(&s.name()),
        Value::Str(s) => quote(out, s),
        Value::Nil => out.push_str("[]"),
        Value::Cons(cell) => {
            out.push('[');
            work.push(Item::ListRest(cell.tail.clone()));
            work.push(Item::Val(cell.head.clone()));
        }
        Value::Tuple(fields) => push_seq(work, "(", &fields.0, ")"),
        Value::Ctor(c) => {
            out.push_str(&c.name.name());
            push_seq(work, "(", &c.fields, ")");
        }
        Value::Array(a) => {
            let id = ArrayCell::id(a);
            if open.insert(id) {
                work.push(Item::Leave(id));
                let items = a.borrow().clone();
                push_seq(work, "#[", &items, "]");
            } else {
                out.push_str("#[...]");
            }
        }
        Value::Dict(d) => {
            let id = DictCell::id(d);
            if open.insert(id) {
                work.push(Item::Leave(id));
                push_entries(work, &d.borrow());
            } else {
                out.push_str("{...}");
            }
        }
        Value::Func(c) => {
            let name = &c.proto.name;
            if &**name == "<fn>" {
                out.push_str("<fn>");
            } else {
                let _ = write!(out, "<fn {name}>");
            }
        }
        Value::Builtin(b) => {
            let _ = write!(out, "<fn {}>", b.name);
        }
        Value::Cont(k) => write_continuation(out, work, k),
        Value::Cell(c) => work.push(Item::Val(c.borrow().clone())),
    }
}

/// Prints continuation `k` as its state, or pushes the work of printing the arguments of
/// the operation it is suspended at (as data, like the elements of a list).
fn write_continuation(out: &mut String, work: &mut Vec<Item>, k: &Continuation) {
    match k.state() {
        State::Fresh(name) => {
            let _ = write!(out, "<continuation: cont {name}>");
        }
        State::Suspended(point, args) => {
            let (name, place) = named(&point);
            let _ = write!(out, "<continuation: {name}");
            work.push(Item::Owned(format!(" at {place}>")));
            let shown: &[Value] = match (point.argc, &args) {
                (0, _) => &[],
                (2.., Value::Tuple(fields)) => &fields.0,
                _ => std::slice::from_ref(&args),
            };
            push_seq(work, "(", shown, ")");
        }
        State::Resumed => out.push_str("<continuation: resumed>"),
    }
}

thread_local! {
    /// The VM whose program runs on this thread, if one does: it names the operation and the
    /// place of a printed continuation (see [`naming_by`]).
    static NAMING: RefCell<Option<Rc<Vm>>> = const { RefCell::new(None) };
}

/// The name of the operation of `point` and `FILE:LINE:COLUMN` of its place (`standard
/// library` in the library's code), from the VM naming them; `?` for a name or a place
/// there is no VM to name (printing outside a run, in the unit tests).
fn named(point: &OpPoint) -> (Rc<str>, String) {
    NAMING.with(|naming| match &*naming.borrow() {
        Some(vm) => {
            let op = point.op as OpId;
            let name = vm.effects.borrow().get(op).map(|(name, _)| name.clone());
            let place = vm.sources.borrow().location(point.source, point.start);
            (name.unwrap_or_else(|| "?".into()), place)
        }
        None => ("?".into(), "?".to_string()),
    })
}

/// The name of operation `op`, as the VM running on this thread declared it (`?` with none).
pub fn operation_name(op: u32) -> Rc<str> {
    NAMING.with(|naming| {
        naming
            .borrow()
            .as_ref()
            .and_then(|vm| {
                vm.effects
                    .borrow()
                    .get(op as OpId)
                    .map(|(name, _)| name.clone())
            })
            .unwrap_or_else(|| "?".into())
    })
}

/// Makes `vm` name what printed continuations show until the guard is dropped, which
/// restores the VM named before (none, outside a run).
pub fn naming_by(vm: &Rc<Vm>) -> Naming {
    Naming(NAMING.with(|naming| naming.replace(Some(vm.clone()))))
}

/// While alive, a VM names what printed continuations show (see [`naming_by`]); holds the
/// VM named before.
pub struct Naming(Option<Rc<Vm>>);

impl Drop for Naming {
    /// Names the VM named before again.
    fn drop(&mut self) {
        let before = self.0.take();
        // While the thread ends, the slot may be gone: nothing is named any more.
        let _ = NAMING.try_with(|naming| naming.replace(before));
    }
}

impl std::fmt::Debug for Value {
    /// The value as it prints inside data, up to [`MAX_PRINTED`] bytes (then `...`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        let stop = write_data(&mut out, self, MAX_PRINTED);
        f.write_str(&cut_at(out, usize::MAX, stop.is_err()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::runtime::symbol::Symbol;

    /// [`show`] of a value that prints.
    fn show(v: &Value) -> String {
        super::show(v).expect("printable")
    }

    #[test]
    fn prints_by_the_rules() {
        let node = Symbol::intern("Node");
        let leaf = Value::Atom(Symbol::intern("Leaf"));
        let tree = Value::ctor(node, vec![leaf.clone(), Value::Int(1), leaf]);
        assert_eq!(show(&tree), "Node(Leaf, 1, Leaf)");
        assert_eq!(show(&Value::str("a\"b")), "a\"b");
        let t = Value::tuple(vec![Value::Int(1), Value::str("a\n")]);
        assert_eq!(show(&t), "(1, \"a\\n\")");
        assert_eq!(
            show(&Value::list([1, 2, 3].into_iter().map(Value::Int))),
            "[1, 2, 3]"
        );
        assert_eq!(show(&Value::Nil), "[]");
        assert_eq!(
            show(&Value::array(vec![Value::Int(1), Value::Int(2)])),
            "#[1, 2]"
        );
        assert_eq!(show(&Value::float(2.0)), "2.0");
        assert_eq!(show(&Value::float(1.5)), "1.5");
        assert_eq!(show(&Value::Unit), "()");
    }

    /// A tree of 2^`depth` leaves made of `depth + 1` nodes, each shared by its parent's
    /// two fields.
    fn shared_tree(depth: usize) -> Value {
        let node = Symbol::intern("Node");
        let mut t = Value::Atom(Symbol::intern("Leaf"));
        for _ in 0..depth {
            t = Value::ctor(node, vec![t.clone(), t]);
        }
        t
    }

    #[test]
    fn printing_stops_past_its_bound_with_what_it_printed() {
        let t = shared_tree(40);
        let mut out = String::new();
        assert_eq!(write_data(&mut out, &t, 1_000), Err(Stop::TooLong));
        assert!(out.len() > 1_000 && out.len() < 1_100, "{}", out.len());
        assert!(out.starts_with("Node(Node(Node("), "{out}");
        // Within the bound, the same data prints whole.
        let small = shared_tree(3);
        let mut out = String::new();
        assert_eq!(write_data(&mut out, &small, 1_000), Ok(()));
        assert_eq!(out.matches("Leaf").count(), 8);
        assert_eq!(show_or_cut(&small), show(&small));
    }

    #[test]
    fn an_error_message_prints_only_what_it_shows() {
        let t = shared_tree(40);
        let cut = repr_cut(&t);
        assert_eq!(cut.chars().count(), SHOWN_CHARS + 3);
        assert!(cut.ends_with("..."), "{cut}");
        assert_eq!(show_cut(&t), cut);
        // A short value is not cut.
        assert_eq!(show_cut(&shared_tree(1)), "Node(Leaf, Leaf)");
        assert_eq!(repr_cut(&Value::str("a")), "\"a\"");
    }

    #[test]
    fn long_lists_print_iteratively() {
        let mut l = Value::Nil;
        for i in 0..1_000_000 {
            l = Value::cons(Value::Int(i % 10), l);
        }
        assert_eq!(show(&l).len(), 1_000_000 * 3);
    }

    /// `a[0] = a`: an array that contains itself.
    pub fn self_containing(first: i64) -> Value {
        let a = Value::array(vec![Value::Int(first), Value::Unit]);
        if let Value::Array(cells) = &a {
            cells.borrow_mut()[1] = a.clone();
        }
        a
    }

    #[test]
    fn an_array_inside_itself_prints_as_an_ellipsis() {
        let a = self_containing(1);
        assert_eq!(show(&a), "#[1, #[...]]");
        // Shared, not cyclic: printed in full each time.
        let b = Value::array(vec![Value::Int(2)]);
        let pair = Value::list([b.clone(), b].into_iter());
        assert_eq!(show(&pair), "[#[2], #[2]]");
        assert_eq!(
            show(&Value::tuple(vec![a.clone(), a.clone()])),
            "(#[1, #[...]], #[1, #[...]])"
        );
        // Break the cycle so that the test does not leak it.
        if let Value::Array(cells) = &a {
            cells.borrow_mut().clear();
        }
    }
}
