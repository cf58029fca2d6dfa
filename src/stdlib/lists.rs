//! The library's functions on lists and arrays that take no callback.
//!
//! Those that take "a list or array" read both alike ([`sequence`]); `reverse` and `sort`
//! give back the kind they were given (a new array for an array), the others a list.
//! `push` and `pop` take arrays, `same` arrays and dictionaries.

use std::rc::Rc;

use crate::runtime::ops;
use crate::runtime::order;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, Sequence, expected, int, list as list_of, sequence};
use crate::stdlib::strings::char_list;

/// `reverse(xs)`: the elements of `xs` in reverse order, as a list for a list and a new
/// array for an array.
pub fn reverse(_: &Vm, args: &mut [Value]) -> Res {
    let items = sequence("reverse", &args[0])?;
    Ok(match &items {
        Sequence::List(xs) => xs
            .list_iter()
            .fold(Value::Nil, |tail, x| Value::cons(x.clone(), tail)),
        Sequence::Array(xs) => Value::array(xs.iter().rev().cloned().collect()),
    })
}

/// `sort(xs)`: the elements of `xs` in ascending [`order`](order::order), stably, as a list
/// for a list and a new array for an array.
pub fn sort(_: &Vm, args: &mut [Value]) -> Res {
    let items = sequence("sort", &args[0])?;
    let sorted = order::sort(items.to_vec()).map_err(|problem| {
        Box::new(ErrorKind::Function {
            function: "sort",
            problem,
        })
    })?;
    Ok(items.same_kind(sorted))
}

/// `zip(xs, ys)`: the list of the pairs `(x, y)` of the elements of `xs` and `ys` at the same
/// positions, as long as the shorter.
pub fn zip(_: &Vm, args: &mut [Value]) -> Res {
    let xs = sequence("zip", &args[0])?;
    let ys = sequence("zip", &args[1])?;
    let pairs = xs.iter().zip(ys.iter());
    Ok(list_of(
        pairs
            .map(|(x, y)| Value::tuple(vec![x.clone(), y.clone()]))
            .collect(),
    ))
}

/// `enumerate(xs)`: the list of the pairs `(i, x)` of the elements `x` of `xs` and their
/// positions `i`, from 0.
pub fn enumerate(_: &Vm, args: &mut [Value]) -> Res {
    let items = sequence("enumerate", &args[0])?;
    let pairs = items.iter().enumerate();
    Ok(list_of(
        pairs
            .map(|(i, x)| Value::tuple(vec![Value::Int(i as i64), x.clone()]))
            .collect(),
    ))
}

/// `sum(xs)`: the sum of the numbers of `xs`, added left to right as `+` adds them (an int
/// for ints, overflow checked; a float from the first float on); `0` for no numbers.
pub fn sum(_: &Vm, args: &mut [Value]) -> Res {
    let not_numbers = || expected("sum", "a list of numbers", &args[0]);
    let items = sequence("sum", &args[0]).map_err(|_| not_numbers())?;
    items.iter().try_fold(Value::Int(0), |total, x| match x {
        Value::Int(_) | Value::Float(_) => ops::add(&total, x),
        _ => Err(not_numbers()),
    })
}

/// `nth(xs, i)`: the element of `xs` at position `i`; `index out of range` outside it, as
/// for `a[i]`.
pub fn nth(_: &Vm, args: &mut [Value]) -> Res {
    let items = sequence("nth", &args[0])?;
    let i = int("nth", &args[1])?;
    let found = usize::try_from(i).ok().and_then(|i| items.iter().nth(i));
    match found {
        Some(x) => Ok(x.clone()),
        None => Err(ops::out_of_range(i, items.iter().count())),
    }
}

/// `list(x)`: the list of the elements of an array, of the characters of a string, of the
/// `(key, value)` tuples of a dictionary (in insertion order), or a list itself.
pub fn list(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Nil | Value::Cons(_) => Ok(std::mem::take(&mut args[0])),
        Value::Array(items) => Ok(Value::list(items.borrow().iter().cloned())),
        Value::Str(s) => Ok(char_list(s)),
        Value::Dict(d) => Ok(list_of(d.borrow().pairs())),
        v => Err(expected("list", "a list, array, string or dictionary", v)),
    }
}

/// `to_array(xs)`: a new array of the elements of the list or array `xs`.
pub fn to_array(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::array(sequence("to_array", &args[0])?.to_vec()))
}

/// `push(a, v)`: appends `v` to the array `a`; its value is `()`.
pub fn push(_: &Vm, args: &mut [Value]) -> Res {
    let [array, v] = args else {
        unreachable!("push takes two arguments");
    };
    let Value::Array(items) = array else {
        return Err(expected("push", "an array", array));
    };
    let mut items = items.borrow_mut();
    items.try_reserve(1).map_err(|_| {
        Box::new(ErrorKind::Function {
            function: "push",
            problem: format!("cannot grow an array of {} elements", items.len()),
        })
    })?;
    items.push(std::mem::take(v));
    Ok(Value::Unit)
}

/// `pop(a)`: removes the last element of the array `a` and gives `Some` of it, or `None`
/// when `a` is empty.
pub fn pop(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Array(items) => Ok(Value::option(items.borrow_mut().pop())),
        v => Err(expected("pop", "an array", v)),
    }
}

/// `same(a, b)`: whether `a` and `b` are the very same array or dictionary (`==` compares
/// contents).
pub fn same(_: &Vm, args: &mut [Value]) -> Res {
    let identity = |v: &Value| match v {
        Value::Array(items) => Ok(Rc::as_ptr(items).cast::<()>()),
        Value::Dict(d) => Ok(Rc::as_ptr(d).cast::<()>()),
        v => Err(expected("same", "an array or dictionary", v)),
    };
    Ok(Value::bool(identity(&args[0])? == identity(&args[1])?))
}
