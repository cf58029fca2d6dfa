//! The library's dictionary functions: `dict`, `get`, `has`, `remove`, `keys` and `values`.
//!
//! The rest of what dictionaries do is where the same thing is done for arrays: `d[k]` and
//! `d[k] = v` in `runtime/ops.rs`, `len` in `runtime/builtins.rs`, `list` and `same` in
//! `lists.rs`, `for` in `compile/control.rs`; the map itself is `runtime/dict.rs`.
//!
//! A value that cannot be a key is the argument error `NAME: expected a dictionary key, got
//! VALUE` (`d[k]` says `invalid dictionary key: VALUE` instead).

use crate::runtime::dict::{Dict, DictCell, Key};
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, expected, list, sequence};

/// The dictionary `v` is, for function `name`.
fn dictionary<'v>(name: &'static str, v: &'v Value) -> Result<&'v DictCell, Box<ErrorKind>> {
    match v {
        Value::Dict(d) => Ok(d),
        v => Err(expected(name, "a dictionary", v)),
    }
}

/// `v` as a dictionary key, for function `name`.
fn key<'v>(name: &'static str, v: &'v Value) -> Result<Key<'v>, Box<ErrorKind>> {
    Key::new(v).ok_or_else(|| expected(name, "a dictionary key", v))
}

/// `dict()`: a new empty dictionary; `dict(pairs)`: one of the `(key, value)` tuples of
/// the list (or array) `pairs`, in order. A repeated key keeps the place of its first pair
/// and takes the value of its last, as if each pair were set in turn.
pub fn dict(_: &Vm, args: &mut [Value]) -> Res {
    let mut dict = Dict::default();
    if let Some(pairs) = args.first() {
        let not_pairs = || expected("dict", "a list of pairs", pairs);
        let items = sequence("dict", pairs).map_err(|_| not_pairs())?;
        for item in items.iter() {
            let Value::Tuple(pair) = item else {
                return Err(not_pairs());
            };
            let [k, v] = &pair.0[..] else {
                return Err(not_pairs());
            };
            let old = dict.insert(&key("dict", k)?, v.clone())?;
            drop(old);
        }
    }
    Ok(Value::dict(dict))
}

/// `get(d, k)`: `Some(v)` where `d` maps `k` to `v`, `None` where it has no key `k`.
pub fn get(_: &Vm, args: &mut [Value]) -> Res {
    let d = dictionary("get", &args[0])?;
    let k = key("get", &args[1])?;
    Ok(Value::option(d.borrow().get(&k).cloned()))
}

/// `has(d, k)`: whether `d` has the key `k`.
pub fn has(_: &Vm, args: &mut [Value]) -> Res {
    let d = dictionary("has", &args[0])?;
    let k = key("has", &args[1])?;
    Ok(Value::bool(d.borrow().get(&k).is_some()))
}

/// `remove(d, k)`: removes the key `k` from `d`, giving `Some(v)` of its value, or `None`
/// (no error) when `d` has no key `k`.
pub fn remove(_: &Vm, args: &mut [Value]) -> Res {
    let d = dictionary("remove", &args[0])?;
    let k = key("remove", &args[1])?;
    let removed = d.borrow_mut().remove(&k);
    Ok(Value::option(removed))
}

/// `keys(d)`: the list of the keys of `d`, in insertion order.
pub fn keys(_: &Vm, args: &mut [Value]) -> Res {
    let d = dictionary("keys", &args[0])?.borrow();
    Ok(list(d.iter().map(|(k, _)| k.clone()).collect()))
}

/// `values(d)`: the list of the values of `d`, in insertion order.
pub fn values(_: &Vm, args: &mut [Value]) -> Res {
    let d = dictionary("values", &args[0])?.borrow();
    Ok(list(d.iter().map(|(_, v)| v.clone()).collect()))
}
