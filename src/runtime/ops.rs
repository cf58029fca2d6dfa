//! The operators: arithmetic, comparison, equality, concatenation and cons, and reading and
//! writing an element (`a[i]`, `a[i] = v`) of an array, a list or a string (reading only),
//! or a dictionary (`d[k]`, `d[k] = v`).
//!
//! Each function takes operand values and returns the result or an error message; the
//! compiled code attaches the location. The compiler inlines the int–int fast paths and calls
//! these for everything else.
//!
//! Equality walks user data of any size, so it is iterative: an explicit work list replaces
//! native recursion, and a 10,000,000-element list or a tree a million levels deep is
//! compared without exhausting a native stack. Arrays and dictionaries are the only data
//! that can contain itself (`a[0] = a`), so it tracks them: two arrays (or dictionaries)
//! already being compared are not compared again (so `==` on cyclic data ends; it is `true`
//! when walking both finds no difference). Dictionaries are equal when they have the same
//! keys with equal values, whatever their order.
//!
//! Ordering (`<`, `min`, `max`) is the language's, [`order()`]: the one `sort` uses.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::rc::Rc;

use crate::operator::BinOp;
use crate::runtime::dict::{DictCell, Key};
use crate::runtime::error::ErrorKind;
use crate::runtime::memory;
use crate::runtime::order::order;
use crate::runtime::print;
use crate::runtime::string::{Str, char_value};
use crate::runtime::value::{ArrayCell, Value, discard};

/// The result of an operator: a value or what went wrong.
pub type OpResult = Result<Value, Box<ErrorKind>>;

/// The error for an int result out of range.
fn overflow() -> Box<ErrorKind> {
    Box::new(ErrorKind::IntegerOverflow)
}

/// The error for applying operator `verb` (e.g. `add`) to operands of kinds it does not
/// take.
fn type_error(verb: &'static str, a: &Value, b: &Value) -> Box<ErrorKind> {
    Box::new(ErrorKind::Operands {
        verb,
        left: a.kind(),
        right: b.kind(),
    })
}

/// Both operands as floats when one is a float and the other a float or an int; `None`
/// otherwise (two ints are the caller's own case).
fn float_pair(a: &Value, b: &Value) -> Option<(f64, f64)> {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Some((x.get(), y.get())),
        (Value::Int(x), Value::Float(y)) => Some((*x as f64, y.get())),
        (Value::Float(x), Value::Int(y)) => Some((x.get(), *y as f64)),
        _ => None,
    }
}

/// `a + b`
pub fn add(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_add(*y).map(Value::Int).ok_or_else(overflow),
        _ => float_pair(a, b)
            .map(|(x, y)| Value::float(x + y))
            .ok_or_else(|| type_error("add", a, b)),
    }
}

/// `a - b`
pub fn sub(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_sub(*y).map(Value::Int).ok_or_else(overflow),
        _ => float_pair(a, b)
            .map(|(x, y)| Value::float(x - y))
            .ok_or_else(|| type_error("subtract", a, b)),
    }
}

/// `a * b`
pub fn mul(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.checked_mul(*y).map(Value::Int).ok_or_else(overflow),
        _ => float_pair(a, b)
            .map(|(x, y)| Value::float(x * y))
            .ok_or_else(|| type_error("multiply", a, b)),
    }
}

/// `a / b`, truncating toward zero on ints.
pub fn div(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(Box::new(ErrorKind::DivisionByZero)),
        (Value::Int(x), Value::Int(y)) => x.checked_div(*y).map(Value::Int).ok_or_else(overflow),
        _ => float_pair(a, b)
            .map(|(x, y)| Value::float(x / y))
            .ok_or_else(|| type_error("divide", a, b)),
    }
}

/// `a % b`, with the sign of `a` on ints.
pub fn rem(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Int(_), Value::Int(0)) => Err(Box::new(ErrorKind::DivisionByZero)),
        (Value::Int(x), Value::Int(y)) => x.checked_rem(*y).map(Value::Int).ok_or_else(overflow),
        _ => float_pair(a, b)
            .map(|(x, y)| Value::float(x % y))
            .ok_or_else(|| type_error("take the remainder of", a, b)),
    }
}

/// `-a`
pub fn neg(a: &Value) -> OpResult {
    match a {
        Value::Int(x) => x.checked_neg().map(Value::Int).ok_or_else(overflow),
        Value::Float(x) => Ok(Value::float(-x.get())),
        _ => Err(Box::new(ErrorKind::Operand {
            verb: "negate",
            kind: a.kind(),
        })),
    }
}

/// `not a`
pub fn not(a: &Value) -> OpResult {
    match a {
        Value::True => Ok(Value::False),
        Value::False => Ok(Value::True),
        _ => Err(expected_bool(a)),
    }
}

/// The error for a non-boolean where a boolean is needed.
pub fn expected_bool(v: &Value) -> Box<ErrorKind> {
    Box::new(ErrorKind::ExpectedBool(v.kind()))
}

/// `a ++ b` on strings or lists.
pub fn concat(a: &Value, b: &Value) -> OpResult {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => {
            let len = x.len() + y.len();
            memory::check("++", len as u64, 1, "bytes")?;
            let mut s = String::new();
            s.try_reserve_exact(len).map_err(|_| {
                Box::new(ErrorKind::Function {
                    function: "++",
                    problem: format!("cannot allocate {len} bytes"),
                })
            })?;
            s.push_str(x);
            s.push_str(y);
            Ok(Value::str(s))
        }
        (Value::Nil | Value::Cons(_), Value::Nil | Value::Cons(_)) => {
            let items: Vec<Value> = a.list_iter().cloned().collect();
            Ok(items
                .into_iter()
                .rev()
                .fold(b.clone(), |tail, head| Value::cons(head, tail)))
        }
        _ => Err(type_error("concatenate", a, b)),
    }
}

/// `a :: b`
pub fn cons(a: Value, b: Value) -> OpResult {
    match b {
        Value::Nil | Value::Cons(_) => Ok(Value::cons(a, b)),
        other => Err(Box::new(ErrorKind::ConsOntoNonList(other.kind()))),
    }
}

/// Orders an int and a float by their exact values (the int is not rounded to a float
/// first: `2^53 + 1` is greater than `2^53` as a float); `None` if the float is NaN.
pub fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    /// 2^63, the first float above every int.
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return None;
    }
    if f >= TWO_TO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_TO_63 {
        return Some(Ordering::Greater);
    }
    // In range, so the whole part is an exact int and `f - whole` the exact fraction.
    let whole = f.trunc();
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => 0.0_f64.partial_cmp(&(f - whole)),
        other => Some(other),
    }
}

/// Orders two values by the language's ordering ([`order()`]: numbers, an int and a float
/// exactly; strings; tuples and lists lexicographically); anything else is a type error
/// (`type error: cannot compare bool with bool`, `type error: cannot order NaN`).
pub fn compare(a: &Value, b: &Value) -> Result<Ordering, Box<ErrorKind>> {
    order(a, b).map_err(|problem| Box::new(ErrorKind::Order(problem)))
}

/// A comparison or arithmetic operator applied to two values (not `and`/`or`/`::`).
pub fn binary(op: BinOp, a: &Value, b: &Value) -> OpResult {
    match op {
        BinOp::Add => add(a, b),
        BinOp::Sub => sub(a, b),
        BinOp::Mul => mul(a, b),
        BinOp::Div => div(a, b),
        BinOp::Rem => rem(a, b),
        BinOp::Concat => concat(a, b),
        BinOp::Eq => equal(a, b).map(Value::bool),
        BinOp::Ne => equal(a, b).map(|e| Value::bool(!e)),
        BinOp::Lt => compare(a, b).map(|o| Value::bool(o == Ordering::Less)),
        BinOp::Le => compare(a, b).map(|o| Value::bool(o != Ordering::Greater)),
        BinOp::Gt => compare(a, b).map(|o| Value::bool(o == Ordering::Greater)),
        BinOp::Ge => compare(a, b).map(|o| Value::bool(o != Ordering::Less)),
        BinOp::Cons => cons(a.clone(), b.clone()),
        BinOp::And | BinOp::Or => unreachable!("short-circuit operators are compiled separately"),
    }
}

/// The error for an index that is not an int.
fn index_not_int(i: &Value) -> Box<ErrorKind> {
    Box::new(ErrorKind::IndexNotInt(i.kind()))
}

/// The error for index `n` of a sequence of `len` elements, which has none.
pub fn out_of_range(n: i64, len: usize) -> Box<ErrorKind> {
    Box::new(ErrorKind::IndexOutOfRange { index: n, len })
}

/// `a[i]` on arrays, lists and strings (a one-character string), and `d[k]` on
/// dictionaries. An element of an array within its bounds is read inline; anything else,
/// errors included, out of line.
#[inline(always)]
pub fn index(a: &Value, i: &Value) -> OpResult {
    if let (Value::Array(items), Value::Int(n)) = (a, i)
        && let Some(v) = usize::try_from(*n)
            .ok()
            .and_then(|k| items.borrow().get(k).cloned())
    {
        return Ok(v);
    }
    index_other(a, i)
}

/// [`index`] of anything but an array element within bounds.
#[inline(never)]
fn index_other(a: &Value, i: &Value) -> OpResult {
    if let Value::Dict(d) = a {
        return dict_get(d, i);
    }
    let n = match i {
        Value::Int(n) => *n,
        other => return Err(index_not_int(other)),
    };
    match a {
        Value::Array(items) => {
            let items = items.borrow();
            usize::try_from(n)
                .ok()
                .and_then(|k| items.get(k).cloned())
                .ok_or_else(|| out_of_range(n, items.len()))
        }
        Value::Nil | Value::Cons(_) => usize::try_from(n)
            .ok()
            .and_then(|k| a.list_iter().nth(k).cloned())
            .ok_or_else(|| out_of_range(n, a.list_iter().count())),
        Value::Str(s) => string_char(s, n),
        other => Err(Box::new(ErrorKind::CannotIndex(other.a_kind()))),
    }
}

/// `s[n]`: the character at position `n` of `s` as a string (O(1) on an ASCII string).
/// Out of line, as [`dict_get`]: inlined, either would make [`index`] save and restore
/// registers on every array read.
#[inline(never)]
fn string_char(s: &Str, n: i64) -> OpResult {
    usize::try_from(n)
        .ok()
        .and_then(|k| s.char_at(k))
        .map(char_value)
        .ok_or_else(|| out_of_range(n, s.char_count()))
}

/// The error for a value that cannot be a dictionary key, in `d[k]` or `d[k] = v`.
fn invalid_key(k: &Value) -> Box<ErrorKind> {
    Box::new(ErrorKind::InvalidKey(print::repr_cut(k)))
}

/// `d[k]`: the value of key `k` in `d`.
#[inline(never)]
fn dict_get(d: &DictCell, k: &Value) -> OpResult {
    let key = Key::new(k).ok_or_else(|| invalid_key(k))?;
    d.borrow()
        .get(&key)
        .cloned()
        .ok_or_else(|| Box::new(ErrorKind::KeyNotFound(print::repr_cut(k))))
}

/// `d[k] = v`: sets key `k` of `d` to `v` (in place if it is there, at the end if not).
#[inline(never)]
fn dict_store(d: &DictCell, k: &Value, v: Value) -> Result<(), Box<ErrorKind>> {
    let key = Key::new(k).ok_or_else(|| invalid_key(k))?;
    let old = d.borrow_mut().insert(&key, v)?;
    // Dropped once the dictionary is no longer borrowed.
    drop(old);
    Ok(())
}

/// `arr[idx] = val` on an array.
#[inline(always)]
pub fn store(arr: &Value, idx: &Value, val: Value) -> Result<(), Box<ErrorKind>> {
    match (arr, idx) {
        (Value::Array(items), Value::Int(n)) => {
            let mut items = items.borrow_mut();
            let len = items.len();
            match usize::try_from(*n).ok().filter(|&n| n < len) {
                Some(n) => {
                    discard(std::mem::replace(&mut items[n], val));
                    Ok(())
                }
                None => Err(out_of_range(*n, len)),
            }
        }
        (Value::Array(_), other) => Err(index_not_int(other)),
        (Value::Dict(d), k) => dict_store(d, k, val),
        (other, _) => Err(Box::new(ErrorKind::CannotAssignElement(other.a_kind()))),
    }
}

/// How many pairs of values equality compares before it starts remembering the pairs of
/// shared nodes it has compared: fewer, and it allocates nothing for them.
const REMEMBER_AFTER: usize = 100_000;

/// How many pairs of values equality compares between two looks at a waiting interrupt.
const POLL_EVERY: usize = 4096;

/// Structural equality (`==`). Ints and floats compare numerically; functions and
/// continuations cannot be compared.
///
/// Data can share nodes (`t = Node(t, t)` forty times is a tree of 2^40 leaves built from
/// 41 nodes), so after `REMEMBER_AFTER` pairs the comparison remembers each pair of
/// lists, tuples and constructors it has compared and never compares one twice: its time is
/// then bounded by the number of distinct pairs of nodes, not the size of the trees they
/// stand for. A pair met again is either equal (else the comparison ended) or still being
/// compared, so skipping it changes no result. Ctrl-C stops a long comparison (`interrupted`).
pub fn equal(a: &Value, b: &Value) -> Result<bool, Box<ErrorKind>> {
    // Scalars (and the top level of anything else) are compared without allocating.
    let mut work = Vec::new();
    if !equal_one(&mut work, a, b)? {
        return Ok(false);
    }
    // The pairs of arrays (or dictionaries) whose elements are compared already (or are on
    // `work`).
    let mut compared = HashSet::new();
    if let Some(ids) = mutable_pair(a, b) {
        compared.insert(ids);
    }
    let mut pairs: usize = 0;
    while let Some((x, y)) = work.pop() {
        pairs += 1;
        if let Some(ids) = mutable_pair(&x, &y)
            && !compared.insert(ids)
        {
            continue;
        }
        if pairs > REMEMBER_AFTER
            && let Some(ids) = shared_pair(&x, &y)
            && !compared.insert(ids)
        {
            continue;
        }
        if pairs.is_multiple_of(POLL_EVERY) && crate::interrupt::pending() {
            return Err(Box::new(ErrorKind::Interrupted));
        }
        if !equal_one(&mut work, &x, &y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The addresses of `x` and `y` when both are lists, tuples or constructors: the immutable
/// data whose nodes may be shared, which a long comparison remembers (see [`equal`]).
fn shared_pair(x: &Value, y: &Value) -> Option<(usize, usize)> {
    match (x, y) {
        (Value::Cons(p), Value::Cons(q)) => Some((Rc::as_ptr(p).addr(), Rc::as_ptr(q).addr())),
        (Value::Tuple(p), Value::Tuple(q)) => Some((Rc::as_ptr(p).addr(), Rc::as_ptr(q).addr())),
        (Value::Ctor(p), Value::Ctor(q)) => Some((Rc::as_ptr(p).addr(), Rc::as_ptr(q).addr())),
        _ => None,
    }
}

/// The addresses of `x` and `y` when both are arrays or both are dictionaries: the data
/// that may contain itself, which equality tracks.
fn mutable_pair(x: &Value, y: &Value) -> Option<(usize, usize)> {
    match (x, y) {
        (Value::Array(p), Value::Array(q)) => Some((ArrayCell::id(p), ArrayCell::id(q))),
        (Value::Dict(p), Value::Dict(q)) => Some((DictCell::id(p), DictCell::id(q))),
        _ => None,
    }
}

/// Pushes the pairs of corresponding elements of `xs` and `ys` onto `work`; `false`,
/// pushing nothing, when their lengths differ.
fn push_pairs(work: &mut Vec<(Value, Value)>, xs: &[Value], ys: &[Value]) -> bool {
    if xs.len() != ys.len() {
        return false;
    }
    work.extend(xs.iter().cloned().zip(ys.iter().cloned()));
    true
}

/// Compares the top level of `x` and `y`, pushing their children onto `work`.
fn equal_one(work: &mut Vec<(Value, Value)>, x: &Value, y: &Value) -> Result<bool, Box<ErrorKind>> {
    Ok(match (x, y) {
        (Value::Func(_) | Value::Builtin(_), _) | (_, Value::Func(_) | Value::Builtin(_)) => {
            return Err(Box::new(ErrorKind::Uncomparable("functions")));
        }
        (Value::Cont(_), _) | (_, Value::Cont(_)) => {
            return Err(Box::new(ErrorKind::Uncomparable("continuations")));
        }
        (Value::Unit, Value::Unit) | (Value::Nil, Value::Nil) => true,
        (Value::True, Value::True) | (Value::False, Value::False) => true,
        (Value::Int(p), Value::Int(q)) => p == q,
        (Value::Float(p), Value::Float(q)) => p.get() == q.get(),
        (Value::Int(p), Value::Float(q)) | (Value::Float(q), Value::Int(p)) => {
            cmp_int_float(*p, q.get()) == Some(Ordering::Equal)
        }
        (Value::Atom(p), Value::Atom(q)) => p == q,
        (Value::Str(p), Value::Str(q)) => p == q,
        (Value::Cons(p), Value::Cons(q)) => {
            work.push((p.tail.clone(), q.tail.clone()));
            work.push((p.head.clone(), q.head.clone()));
            true
        }
        (Value::Tuple(p), Value::Tuple(q)) => push_pairs(work, &p.0, &q.0),
        (Value::Ctor(p), Value::Ctor(q)) => {
            p.name == q.name && push_pairs(work, &p.fields, &q.fields)
        }
        (Value::Array(p), Value::Array(q)) => {
            let (p, q) = (p.borrow().clone(), q.borrow().clone());
            push_pairs(work, &p, &q)
        }
        (Value::Dict(p), Value::Dict(q)) => match p.borrow().paired_values(&q.borrow()) {
            Some(pairs) => {
                work.extend(pairs);
                true
            }
            None => false,
        },
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::print::tests::self_containing;

    #[test]
    fn int_arithmetic_checks_overflow_and_zero() {
        assert!(
            matches!(add(&Value::Int(i64::MAX), &Value::Int(1)), Err(m) if m.to_string() == "integer overflow")
        );
        assert!(
            matches!(div(&Value::Int(1), &Value::Int(0)), Err(m) if m.to_string() == "division by zero")
        );
        assert!(
            matches!(rem(&Value::Int(1), &Value::Int(0)), Err(m) if m.to_string() == "division by zero")
        );
        assert!(
            matches!(div(&Value::Int(i64::MIN), &Value::Int(-1)), Err(m) if m.to_string() == "integer overflow")
        );
        assert!(matches!(
            div(&Value::Int(-7), &Value::Int(2)),
            Ok(Value::Int(-3))
        ));
        assert!(matches!(
            rem(&Value::Int(-7), &Value::Int(2)),
            Ok(Value::Int(-1))
        ));
    }

    #[test]
    fn mixing_ints_and_floats_gives_floats() {
        assert!(
            matches!(add(&Value::Int(1), &Value::float(0.5)), Ok(Value::Float(f)) if f.get() == 1.5)
        );
        assert!(
            matches!(div(&Value::float(1.0), &Value::Int(0)), Ok(Value::Float(f)) if f.get().is_infinite())
        );
    }

    #[test]
    fn type_errors_name_both_kinds() {
        assert_eq!(
            add(&Value::Int(1), &Value::str("a"))
                .unwrap_err()
                .to_string(),
            "type error: cannot add int and string"
        );
        assert_eq!(
            compare(&Value::Int(1), &Value::str("a"))
                .unwrap_err()
                .to_string(),
            "type error: cannot compare int with string"
        );
    }

    #[test]
    fn long_lists_compare_iteratively() {
        let build = || {
            let mut l = Value::Nil;
            for i in 0..1_000_000 {
                l = Value::cons(Value::Int(i % 10), l);
            }
            l
        };
        assert_eq!(equal(&build(), &build()), Ok(true));
    }

    #[test]
    fn equality_of_cyclic_arrays_ends() {
        let (a, b, c) = (self_containing(1), self_containing(1), self_containing(2));
        assert_eq!(equal(&a, &b), Ok(true));
        assert_eq!(equal(&a, &c), Ok(false));
        for v in [a, b, c] {
            if let Value::Array(cells) = &v {
                cells.borrow_mut().clear();
            }
        }
    }

    #[test]
    fn equality_is_structural_and_numeric() {
        assert_eq!(equal(&Value::Int(1), &Value::float(1.0)), Ok(true));
        assert_eq!(equal(&Value::Int(1), &Value::str("1")), Ok(false));
        let l1 = Value::list([1, 2].into_iter().map(Value::Int));
        let l2 = Value::list([1, 3].into_iter().map(Value::Int));
        assert_eq!(equal(&l1, &l2), Ok(false));
    }
}
