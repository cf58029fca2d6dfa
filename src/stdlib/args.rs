//! Reading the library functions' arguments, and the values they give back.
//!
//! Every reader names the function it reads for, so that a wrong argument is the error
//! `NAME: expected a KIND, got VALUE` ([`expected`]).

use std::cell::Ref;

use crate::runtime::print;
use crate::runtime::value::{ListIter, Value};
use crate::runtime::{ErrorKind, memory};

/// What a library function returns: its value, or what went wrong (the caller adds the
/// location).
pub type Res = Result<Value, Box<ErrorKind>>;

/// The error of function `name` given `got` where it needs `what` (`a string`, `an int`);
/// a long value is cut ([`print::repr_cut`]).
pub fn expected(name: &'static str, what: &'static str, got: &Value) -> Box<ErrorKind> {
    Box::new(ErrorKind::Argument {
        function: name,
        expected: what,
        got: print::repr_cut(got),
    })
}

/// The string `v` holds, for function `name`.
pub fn string<'v>(name: &'static str, v: &'v Value) -> Result<&'v str, Box<ErrorKind>> {
    match v {
        Value::Str(s) => Ok(s.as_str()),
        v => Err(expected(name, "a string", v)),
    }
}

/// The int `v` holds, for function `name`.
pub fn int(name: &'static str, v: &Value) -> Result<i64, Box<ErrorKind>> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(expected(name, "an int", v)),
    }
}

/// The non-negative int `v` holds, for function `name`, as a count.
pub fn count(name: &'static str, v: &Value) -> Result<u64, Box<ErrorKind>> {
    match v {
        Value::Int(i) if *i >= 0 => Ok(i.unsigned_abs()),
        v => Err(expected(name, "a non-negative int", v)),
    }
}

/// The number `v` holds (an int or a float) as a float, for function `name`.
pub fn number(name: &'static str, v: &Value) -> Result<f64, Box<ErrorKind>> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(f.get()),
        v => Err(expected(name, "a number", v)),
    }
}

/// A list or an array being read: the array stays borrowed while its elements are read (no
/// library function runs kont code, so nothing can change it meanwhile).
pub enum Sequence<'v> {
    /// A list (`Nil` or `Cons`).
    List(&'v Value),
    /// An array's elements.
    Array(Ref<'v, Vec<Value>>),
}

impl Sequence<'_> {
    /// The elements, in order.
    pub fn iter(&self) -> Items<'_> {
        match self {
            Sequence::List(list) => Items::List(list.list_iter()),
            Sequence::Array(items) => Items::Array(items.iter()),
        }
    }

    /// The elements, cloned into a vector.
    pub fn to_vec(&self) -> Vec<Value> {
        match self {
            Sequence::List(list) => list.list_iter().cloned().collect(),
            Sequence::Array(items) => items.to_vec(),
        }
    }

    /// A list of `items` if this is a list, a new array of them if it is an array.
    pub fn same_kind(&self, items: Vec<Value>) -> Value {
        match self {
            Sequence::List(_) => list(items),
            Sequence::Array(_) => Value::array(items),
        }
    }
}

/// The elements of a [`Sequence`].
pub enum Items<'v> {
    /// A list's.
    List(ListIter<'v>),
    /// An array's.
    Array(std::slice::Iter<'v, Value>),
}

impl<'v> Iterator for Items<'v> {
    type Item = &'v Value;

    fn next(&mut self) -> Option<&'v Value> {
        match self {
            Items::List(items) => items.next(),
            Items::Array(items) => items.next(),
        }
    }
}

/// The list or array `v` holds, for function `name`.
pub fn sequence<'v>(name: &'static str, v: &'v Value) -> Result<Sequence<'v>, Box<ErrorKind>> {
    match v {
        Value::Nil | Value::Cons(_) => Ok(Sequence::List(v)),
        Value::Array(a) => Ok(Sequence::Array(a.borrow())),
        v => Err(expected(name, "a list or array", v)),
    }
}

/// The list of `items`, in order.
pub fn list(items: Vec<Value>) -> Value {
    Value::list(items.into_iter())
}

/// Checks that function `name` may make a string of `bytes` bytes (`None`: more than a `u64`
/// counts): that it fits in memory (see [`memory::check`]) and in a Rust string.
pub fn check_string_size(name: &'static str, bytes: Option<u64>) -> Result<usize, Box<ErrorKind>> {
    let bytes = bytes.unwrap_or(u64::MAX);
    memory::check(name, bytes, 1, "bytes")?;
    usize::try_from(bytes)
        .ok()
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| {
            Box::new(ErrorKind::Function {
                function: name,
                problem: format!("a string of {bytes} bytes is too long"),
            })
        })
}
