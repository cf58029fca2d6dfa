//! What a session holds: the suspended continuations reachable from its global variables
//! (the REPL's `:conts`), found by walking the globals and the data inside them.
//!
//! The walk reads values only; it runs between evaluations and costs a running program
//! nothing. It goes breadth first, so a continuation reachable along several paths is named
//! by a shortest one, and looks at each shared value once (arrays, dictionaries and
//! closures may contain themselves). It does not look inside continuations: what a
//! suspended computation's frames hold is not data a program can reach either.

use std::collections::{HashSet, VecDeque};
use std::rc::Rc;

use crate::runtime::effects::Continuation;
use crate::runtime::print;
use crate::runtime::value::Value;

/// At most this many values are looked at by one walk (a global holding a ten-million
/// element list does not stall the REPL); past it the walk stops and says so.
pub const MAX_VALUES: usize = 100_000;

/// A continuation found by the walk, and where.
pub struct Found {
    /// The global's name and the path inside its value: `gens[2]` (an element of a list,
    /// array or tuple, a field of a constructor), `d["a"]` (a dictionary's value),
    /// `f.captures[0]` (a value a closure captured).
    pub path: String,
    /// The continuation.
    pub k: Rc<Continuation>,
}

/// What a walk found.
pub struct Walk {
    /// The continuations that hold a suspended computation, in the order found.
    pub suspended: Vec<Found>,
    /// Whether the walk stopped at [`MAX_VALUES`] before it had seen everything.
    pub cut: bool,
}

/// The suspended continuations reachable from `globals` (each a name and its value), looking
/// at no more than `limit` values.
pub fn suspended_in(globals: Vec<(String, Value)>, limit: usize) -> Walk {
    let mut queue: VecDeque<(String, Value)> = globals.into_iter().collect();
    let mut seen: HashSet<usize> = HashSet::new();
    let mut walk = Walk {
        suspended: Vec::new(),
        cut: false,
    };
    let mut looked = 0;
    while let Some((path, v)) = queue.pop_front() {
        looked += 1;
        if looked > limit {
            walk.cut = true;
            break;
        }
        if let Some(address) = shared_address(&v)
            && !seen.insert(address)
        {
            continue;
        }
        match v {
            Value::Cont(k) => {
                if k.fiber_id().is_some() {
                    walk.suspended.push(Found { path, k });
                }
            }
            other => inside(&path, &other, &mut queue),
        }
    }
    walk
}

/// The address of the value `v` shares with its other copies, if it holds others (the
/// walk looks at each once).
fn shared_address(v: &Value) -> Option<usize> {
    Some(match v {
        Value::Cons(c) => Rc::as_ptr(c).addr(),
        Value::Tuple(t) => Rc::as_ptr(t).addr(),
        Value::Ctor(c) => Rc::as_ptr(c).addr(),
        Value::Array(a) => Rc::as_ptr(a).addr(),
        Value::Dict(d) => Rc::as_ptr(d).addr(),
        Value::Func(f) => Rc::as_ptr(f).addr(),
        Value::Cont(k) => Rc::as_ptr(k).addr(),
        Value::Cell(c) => Rc::as_ptr(c).addr(),
        _ => return None,
    })
}

/// Queues the values inside `v` (found at `path`), each with its own path.
fn inside(path: &str, v: &Value, queue: &mut VecDeque<(String, Value)>) {
    let mut indexed = |items: &[Value]| {
        for (i, item) in items.iter().enumerate() {
            queue.push_back((format!("{path}[{i}]"), item.clone()));
        }
    };
    match v {
        Value::Tuple(fields) => indexed(&fields.0),
        Value::Ctor(c) => indexed(&c.fields),
        Value::Array(a) => indexed(&a.borrow()),
        Value::Cons(_) => list(path, v, queue),
        Value::Dict(d) => {
            for (key, value) in d.borrow().iter() {
                let key = print::repr_cut(key);
                queue.push_back((format!("{path}[{key}]"), value.clone()));
            }
        }
        Value::Func(f) => {
            for (i, captured) in f.env.iter().enumerate() {
                queue.push_back((format!("{path}.captures[{i}]"), captured.clone()));
            }
        }
        Value::Cell(c) => queue.push_back((path.to_string(), c.borrow().clone())),
        _ => {}
    }
}

/// Queues the elements of the list `v` (found at `path`), following its cells along.
fn list(path: &str, v: &Value, queue: &mut VecDeque<(String, Value)>) {
    let mut next = v.clone();
    let mut i = 0;
    while let Value::Cons(cell) = next {
        queue.push_back((format!("{path}[{i}]"), cell.head.clone()));
        i += 1;
        next = cell.tail.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths at which a walk of `globals` finds suspended continuations.
    fn paths(globals: Vec<(String, Value)>) -> Vec<String> {
        suspended_in(globals, MAX_VALUES)
            .suspended
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn data_without_continuations_has_none_and_cycles_end() {
        let cyclic = Value::array(vec![Value::Int(1)]);
        if let Value::Array(a) = &cyclic {
            a.borrow_mut().push(cyclic.clone());
        }
        let list = Value::list([Value::Int(1), Value::Int(2)].into_iter());
        assert!(paths(vec![("a".into(), cyclic), ("xs".into(), list)]).is_empty());
    }

    #[test]
    fn a_walk_stops_at_its_limit_and_says_so() {
        let list = Value::list((0..10).map(Value::Int));
        let walk = suspended_in(vec![("xs".into(), list)], 5);
        assert!(walk.cut);
        let list = Value::list((0..3).map(Value::Int));
        assert!(!suspended_in(vec![("xs".into(), list)], 5).cut);
    }
}
