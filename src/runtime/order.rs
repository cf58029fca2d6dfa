//! The language's ordering of values, and a stable sort by it.
//!
//! [`order`] orders numbers (ints and floats together, by exact value), strings (byte-wise,
//! which for UTF-8 is the order of their Unicode scalar values), and tuples and lists
//! lexicographically (a prefix first). Any other pair of values has no order: comparing them
//! is the error `cannot compare KIND with KIND`, and a NaN is the error `cannot order NaN`.
//! Only the values a comparison actually reaches are checked (`[1, true]` is before
//! `[2, false]`), as in Python.
//!
//! Both are iterative: [`order`] walks the two values with an explicit work stack, and
//! [`sort`] is a bottom-up merge sort, so a 10,000,000-element list or data nested a million
//! levels deep never exhausts a native stack.

use std::cmp::Ordering;

use crate::runtime::ops::cmp_int_float;
use crate::runtime::value::Value;

/// A step of the walk of [`order`].
enum Step<'v> {
    /// Order these two values.
    Pair(&'v Value, &'v Value),
    /// The order found once the pairs pushed after this one are all equal (that of the
    /// lengths of two tuples, a shorter one first).
    Then(Ordering),
}

/// Orders `a` and `b`, or says why they have no order (`cannot compare int with string`,
/// `cannot order NaN`; the caller adds its own prefix).
pub fn order(a: &Value, b: &Value) -> Result<Ordering, String> {
    if !is_sequence(a) || !is_sequence(b) {
        return order_scalars(a, b);
    }
    let mut work = vec![Step::Pair(a, b)];
    while let Some(step) = work.pop() {
        let found = match step {
            Step::Then(found) => found,
            Step::Pair(x, y) => order_step(&mut work, x, y)?,
        };
        if found != Ordering::Equal {
            return Ok(found);
        }
    }
    Ok(Ordering::Equal)
}

/// Whether `v` is a list or a tuple, which [`order`] walks.
fn is_sequence(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::Cons(_) | Value::Tuple(_))
}

/// Orders the top level of `x` and `y`: the order of two scalars, of an empty list with
/// another list, or `Equal` after pushing the pairs of their elements onto `work`, the first
/// pair on top.
fn order_step<'v>(
    work: &mut Vec<Step<'v>>,
    x: &'v Value,
    y: &'v Value,
) -> Result<Ordering, String> {
    match (x, y) {
        (Value::Nil, Value::Nil) => Ok(Ordering::Equal),
        (Value::Nil, Value::Cons(_)) => Ok(Ordering::Less),
        (Value::Cons(_), Value::Nil) => Ok(Ordering::Greater),
        (Value::Cons(p), Value::Cons(q)) => {
            work.push(Step::Pair(&p.tail, &q.tail));
            work.push(Step::Pair(&p.head, &q.head));
            Ok(Ordering::Equal)
        }
        (Value::Tuple(p), Value::Tuple(q)) => {
            work.push(Step::Then(p.0.len().cmp(&q.0.len())));
            let pairs = p.0.iter().zip(q.0.iter()).rev();
            work.extend(pairs.map(|(a, b)| Step::Pair(a, b)));
            Ok(Ordering::Equal)
        }
        _ => order_scalars(x, y),
    }
}

/// Orders two numbers or two strings; any other pair is an error.
fn order_scalars(x: &Value, y: &Value) -> Result<Ordering, String> {
    let nan = || "cannot order NaN".to_string();
    match (x, y) {
        (Value::Int(p), Value::Int(q)) => Ok(p.cmp(q)),
        (Value::Int(p), Value::Float(q)) => cmp_int_float(*p, q.get()).ok_or_else(nan),
        (Value::Float(p), Value::Int(q)) => cmp_int_float(*q, p.get())
            .map(Ordering::reverse)
            .ok_or_else(nan),
        (Value::Float(p), Value::Float(q)) => p.get().partial_cmp(&q.get()).ok_or_else(nan),
        (Value::Str(p), Value::Str(q)) => Ok(p.as_bytes().cmp(q.as_bytes())),
        _ => Err(format!("cannot compare {} with {}", x.kind(), y.kind())),
    }
}

/// Runs shorter than this are sorted by insertion before merging.
const RUN: usize = 16;

/// `items` sorted ascending by [`order`], stably (equal values keep their order); the first
/// error of a comparison stops it.
pub fn sort(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let positions = sorted_positions(items.len(), |i, j| not_after(&items, i, j))?;
    Ok(permuted(items, positions))
}

/// `items` sorted stably by `keys` (one per item, in the same order) in ascending
/// [`order`].
pub fn sort_by_keys(items: Vec<Value>, keys: &[Value]) -> Result<Vec<Value>, String> {
    let positions = sorted_positions(items.len(), |i, j| not_after(keys, i, j))?;
    Ok(permuted(items, positions))
}

/// Whether `keys[i]` may come before `keys[j]` in ascending [`order`].
fn not_after(keys: &[Value], i: usize, j: usize) -> Result<bool, String> {
    Ok(order(&keys[i], &keys[j])? != Ordering::Greater)
}

/// The items at `positions`, in that order (each position once).
fn permuted(mut items: Vec<Value>, positions: Vec<usize>) -> Vec<Value> {
    positions
        .into_iter()
        .map(|i| std::mem::take(&mut items[i]))
        .collect()
}

/// The positions `0..n` sorted stably by `not_after` (whether the item at the first position
/// may come before the one at the second); the first error of `not_after` stops it.
///
/// A bottom-up merge sort (not `slice::sort_by`, which may panic when a comparison is not a
/// total order, as one that fails halfway is not): runs of [`RUN`] positions sorted by
/// insertion, then merged in pairs, twice as long each pass.
fn sorted_positions(
    n: usize,
    not_after: impl Fn(usize, usize) -> Result<bool, String>,
) -> Result<Vec<usize>, String> {
    let mut positions: Vec<usize> = (0..n).collect();
    for run in positions.chunks_mut(RUN) {
        insertion_sort(run, &not_after)?;
    }
    let mut merged = vec![0; n];
    let mut width = RUN;
    while width < n {
        for (from, to) in positions
            .chunks(2 * width)
            .zip(merged.chunks_mut(2 * width))
        {
            let (left, right) = from.split_at(width.min(from.len()));
            merge(left, right, to, &not_after)?;
        }
        std::mem::swap(&mut positions, &mut merged);
        width *= 2;
    }
    Ok(positions)
}

/// Sorts the positions `run` by `not_after` (whether the item at the first position may come
/// before the one at the second), stably.
fn insertion_sort(
    run: &mut [usize],
    not_after: &impl Fn(usize, usize) -> Result<bool, String>,
) -> Result<(), String> {
    for next in 1..run.len() {
        let item = run[next];
        let mut at = next;
        while at > 0 && !not_after(run[at - 1], item)? {
            run[at] = run[at - 1];
            at -= 1;
        }
        run[at] = item;
    }
    Ok(())
}

/// Merges the sorted positions `left` and `right` into `out` by `not_after`, stably (of
/// two equal items, the one on the left first).
fn merge(
    left: &[usize],
    right: &[usize],
    out: &mut [usize],
    not_after: &impl Fn(usize, usize) -> Result<bool, String>,
) -> Result<(), String> {
    if let (Some(&last), Some(&first)) = (left.last(), right.first())
        && not_after(last, first)?
    {
        out[..left.len()].copy_from_slice(left);
        out[left.len()..].copy_from_slice(right);
        return Ok(());
    }
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        let from_left = j == right.len() || (i < left.len() && not_after(left[i], right[j])?);
        if from_left {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::symbol::Symbol;

    fn ints(xs: &[i64]) -> Value {
        Value::list(xs.iter().map(|&x| Value::Int(x)))
    }

    fn pair(a: Value, b: Value) -> Value {
        Value::tuple(vec![a, b])
    }

    #[test]
    fn numbers_order_by_exact_value() {
        let two_53 = 9_007_199_254_740_992_i64;
        let cases = [
            (Value::Int(1), Value::float(1.5), Ordering::Less),
            (Value::float(1.0), Value::Int(1), Ordering::Equal),
            (
                Value::Int(two_53 + 1),
                Value::float(two_53 as f64),
                Ordering::Greater,
            ),
            (
                Value::float(two_53 as f64),
                Value::Int(two_53 + 1),
                Ordering::Less,
            ),
            (Value::Int(i64::MAX), Value::float(9.3e18), Ordering::Less),
            (Value::float(-0.0), Value::float(0.0), Ordering::Equal),
            (
                Value::float(f64::NEG_INFINITY),
                Value::Int(i64::MIN),
                Ordering::Less,
            ),
        ];
        for (a, b, expected) in cases {
            assert_eq!(order(&a, &b), Ok(expected), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn nan_has_no_order() {
        let nan = Value::float(f64::NAN);
        for other in [Value::float(1.0), Value::Int(1), nan.clone()] {
            assert_eq!(order(&nan, &other), Err("cannot order NaN".to_string()));
            assert_eq!(order(&other, &nan), Err("cannot order NaN".to_string()));
        }
        // Only when a comparison reaches it.
        let a = pair(Value::Int(1), nan.clone());
        let b = pair(Value::Int(2), nan);
        assert_eq!(order(&a, &b), Ok(Ordering::Less));
        assert!(order(&a, &a).is_err());
    }

    #[test]
    fn strings_order_byte_wise() {
        assert_eq!(
            order(&Value::str("Apple"), &Value::str("apple")),
            Ok(Ordering::Less)
        );
        assert_eq!(
            order(&Value::str("z"), &Value::str("é")),
            Ok(Ordering::Less)
        );
        assert_eq!(order(&Value::str(""), &Value::str("")), Ok(Ordering::Equal));
    }

    #[test]
    fn lists_and_tuples_order_lexicographically_prefix_first() {
        assert_eq!(order(&ints(&[]), &ints(&[0])), Ok(Ordering::Less));
        assert_eq!(order(&ints(&[1, 2]), &ints(&[1])), Ok(Ordering::Greater));
        assert_eq!(order(&ints(&[1, 2]), &ints(&[1, 3])), Ok(Ordering::Less));
        assert_eq!(order(&ints(&[1, 2]), &ints(&[1, 2])), Ok(Ordering::Equal));
        let short = pair(Value::Int(1), Value::Int(2));
        let long = Value::tuple(vec![Value::Int(1), Value::Int(2), Value::Int(0)]);
        assert_eq!(order(&short, &long), Ok(Ordering::Less));
        assert_eq!(order(&long, &short), Ok(Ordering::Greater));
        let a = pair(Value::Int(1), ints(&[2, 5]));
        let b = pair(Value::Int(1), ints(&[3]));
        assert_eq!(order(&a, &b), Ok(Ordering::Less));
    }

    #[test]
    fn other_kinds_have_no_order() {
        let none = Value::Atom(Symbol::intern("None"));
        let cases = [
            (Value::True, Value::False, "cannot compare bool with bool"),
            (
                none.clone(),
                none,
                "cannot compare constructor with constructor",
            ),
            (
                Value::Int(1),
                Value::str("a"),
                "cannot compare int with string",
            ),
            (
                ints(&[1]),
                Value::tuple(vec![Value::Int(1), Value::Int(2)]),
                "cannot compare list with tuple",
            ),
            (Value::Unit, Value::Unit, "cannot compare unit with unit"),
            (
                Value::array(vec![]),
                Value::array(vec![]),
                "cannot compare array with array",
            ),
        ];
        for (a, b, message) in cases {
            assert_eq!(order(&a, &b), Err(message.to_string()));
        }
        // Inside lists: found when reached, after equal elements.
        let a = Value::list([Value::Int(1), Value::True].into_iter());
        let b = Value::list([Value::Int(1), Value::False].into_iter());
        assert_eq!(
            order(&a, &b),
            Err("cannot compare bool with bool".to_string())
        );
        let c = Value::list([Value::Int(0), Value::False].into_iter());
        assert_eq!(order(&c, &a), Ok(Ordering::Less));
    }

    #[test]
    fn long_lists_order_without_recursion() {
        let n = 10_000_000;
        let mut a = Value::Nil;
        for i in (0..n).rev() {
            a = Value::cons(Value::Int(i), a);
        }
        let b = Value::cons(Value::Int(0), Value::Nil);
        assert_eq!(order(&a, &a.clone()), Ok(Ordering::Equal));
        assert_eq!(order(&b, &a), Ok(Ordering::Less));
        let c = Value::cons(Value::Int(-1), a.clone());
        assert_eq!(order(&a, &c), Ok(Ordering::Greater));
    }

    #[test]
    fn deeply_nested_data_orders_without_recursion() {
        let depth = 1_000_000;
        let nest = |leaf: i64| {
            let mut v = Value::Int(leaf);
            for i in 0..depth {
                v = if i % 2 == 0 {
                    Value::cons(v, Value::Nil)
                } else {
                    pair(Value::Int(0), v)
                };
            }
            v
        };
        let (a, b) = (nest(1), nest(2));
        assert_eq!(order(&a, &b), Ok(Ordering::Less));
        assert_eq!(order(&b, &a), Ok(Ordering::Greater));
        assert_eq!(order(&a, &nest(1)), Ok(Ordering::Equal));
    }

    fn sorted(items: Vec<Value>) -> Result<String, String> {
        sort(items).map(|v| format!("{:?}", Value::list(v.into_iter())))
    }

    #[test]
    fn sort_is_stable_and_mixes_ints_and_floats() {
        let items = vec![
            Value::float(2.0),
            Value::Int(1),
            Value::float(1.0),
            Value::Int(2),
            Value::Int(-3),
        ];
        assert_eq!(sorted(items).unwrap(), "[-3, 1, 1.0, 2.0, 2]");
    }

    #[test]
    fn sorted_positions_keep_equal_items_in_order() {
        for n in [5, 16, 17, 100, 1000, 4099] {
            let keys: Vec<i64> = (0..n).map(|i| (i * 7919) % 10).collect();
            let positions = sorted_positions(n as usize, |i, j| Ok(keys[i] <= keys[j])).unwrap();
            let got: Vec<(i64, usize)> = positions.iter().map(|&p| (keys[p], p)).collect();
            let mut expected = got.clone();
            expected.sort();
            assert_eq!(got, expected, "n = {n}");
        }
    }

    #[test]
    fn sort_of_many_items_matches_the_standard_sort() {
        let mut state = 12345_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as i64 % 1000
        };
        for n in [0, 1, 2, 15, 16, 17, 33, 1000, 100_000] {
            let xs: Vec<i64> = (0..n).map(|_| next()).collect();
            let out = sort(xs.iter().map(|&x| Value::Int(x)).collect()).unwrap();
            let got: Vec<i64> = out
                .iter()
                .map(|v| match v {
                    Value::Int(x) => *x,
                    _ => unreachable!(),
                })
                .collect();
            let mut expected = xs;
            expected.sort();
            assert_eq!(got, expected, "n = {n}");
        }
    }

    #[test]
    fn sort_stops_at_the_first_error() {
        let items = vec![Value::Int(3), Value::True, Value::Int(1)];
        assert!(sort(items).unwrap_err().starts_with("cannot compare"));
        assert_eq!(sorted(vec![Value::True]).unwrap(), "[true]");
        let nan = vec![Value::float(f64::NAN), Value::float(1.0)];
        assert_eq!(sort(nan).unwrap_err(), "cannot order NaN");
    }
}
