//! Tests of the dictionary map: order, removal and compaction, keys and their hashing,
//! dropping.

use super::*;
use crate::runtime::symbol::Symbol;

/// `key` as a key; it must be one.
fn k(key: &Value) -> Key<'_> {
    Key::new(key).expect("a valid key")
}

/// The dictionary's int keys, in order.
fn int_keys(d: &Dict) -> Vec<i64> {
    d.iter()
        .map(|(key, _)| match key {
            Value::Int(i) => *i,
            other => panic!("not an int key: {other:?}"),
        })
        .collect()
}

/// A dictionary of the int keys `keys`, each mapped to itself.
fn of_ints(keys: impl IntoIterator<Item = i64>) -> Dict {
    let mut d = Dict::default();
    for i in keys {
        let key = Value::Int(i);
        d.insert(&k(&key), Value::Int(i)).expect("room");
    }
    d
}

/// The list of the ints `0..n`.
fn long_list(n: i64) -> Value {
    Value::list((0..n).map(Value::Int))
}

#[test]
fn entries_keep_insertion_order_and_a_set_key_its_place() {
    let mut d = of_ints([3, 1, 2]);
    let one = Value::Int(1);
    let old = d.insert(&k(&one), Value::str("one")).expect("room");
    assert!(matches!(old, Some(Value::Int(1))));
    assert_eq!(int_keys(&d), [3, 1, 2]);
    assert_eq!(d.len(), 3);
    assert!(matches!(d.get(&k(&one)), Some(Value::Str(s)) if s.as_str() == "one"));
}

#[test]
fn a_removed_key_set_again_goes_to_the_end() {
    let mut d = of_ints(0..5);
    let two = Value::Int(2);
    assert!(matches!(d.remove(&k(&two)), Some(Value::Int(2))));
    assert!(d.remove(&k(&two)).is_none());
    assert!(d.get(&k(&two)).is_none());
    assert_eq!(int_keys(&d), [0, 1, 3, 4]);
    d.insert(&k(&two), Value::Int(20)).expect("room");
    assert_eq!(int_keys(&d), [0, 1, 3, 4, 2]);
    assert_eq!(d.len(), 5);
}

#[test]
fn order_survives_many_removals_and_compactions() {
    let n = 1000;
    let mut d = of_ints(0..n);
    // Remove every key but the multiples of 7, from the front: compaction runs several times.
    for i in (0..n).filter(|i| i % 7 != 0) {
        let key = Value::Int(i);
        assert!(d.remove(&k(&key)).is_some(), "{i}");
        assert!(d.holes <= d.len(), "holes {} live {}", d.holes, d.len());
    }
    let expected: Vec<i64> = (0..n).filter(|i| i % 7 == 0).collect();
    assert_eq!(int_keys(&d), expected);
    for i in 0..n {
        let key = Value::Int(i);
        assert_eq!(d.get(&k(&key)).is_some(), i % 7 == 0, "{i}");
    }
    // New keys go after the survivors.
    let key = Value::Int(1);
    d.insert(&k(&key), Value::Unit).expect("room");
    assert_eq!(int_keys(&d).last(), Some(&1));
}

#[test]
fn compaction_squeezes_the_holes_out() {
    let mut d = of_ints(0..10);
    for i in 0..5 {
        let key = Value::Int(i);
        d.remove(&k(&key));
    }
    // Five holes, five live entries: not yet.
    assert_eq!((d.entries.len(), d.holes), (10, 5));
    let five = Value::Int(5);
    d.remove(&k(&five));
    assert_eq!((d.entries.len(), d.holes), (4, 0));
    assert_eq!(int_keys(&d), [6, 7, 8, 9]);
    for i in 6..10 {
        let key = Value::Int(i);
        assert!(matches!(d.get(&k(&key)), Some(Value::Int(v)) if *v == i));
    }
}

#[test]
fn removing_the_last_entries_leaves_no_holes_behind() {
    let mut d = of_ints(0..4);
    for i in [3, 2] {
        let key = Value::Int(i);
        d.remove(&k(&key));
    }
    assert_eq!((d.entries.len(), d.holes), (2, 0));
    let one = Value::Int(0);
    d.remove(&k(&one));
    assert_eq!((d.entries.len(), d.holes, d.len()), (2, 1, 1));
    let last = Value::Int(1);
    d.remove(&k(&last));
    assert_eq!((d.entries.len(), d.holes), (0, 0));
    assert!(d.is_empty());
}

#[test]
fn removing_many_keys_takes_linear_time() {
    // Quadratic removal (shifting the entries after each) would take minutes here.
    let n = 1_000_000;
    let mut d = of_ints(0..n);
    for i in 0..n {
        let key = Value::Int(i);
        assert!(d.remove(&k(&key)).is_some());
    }
    assert!(d.is_empty());
    assert_eq!(d.entries.len(), 0);
}

#[test]
fn equal_keys_built_apart_find_each_other() {
    let node = Symbol::intern("Node");
    let leaf = Value::Atom(Symbol::intern("Leaf"));
    let make = || {
        vec![
            Value::Unit,
            Value::True,
            Value::False,
            Value::Int(-5),
            Value::str("héllo"),
            Value::Nil,
            leaf.clone(),
            Value::tuple(vec![Value::Int(1), Value::str("a")]),
            Value::list([Value::Int(1), Value::Int(2)].into_iter()),
            Value::ctor(
                node,
                vec![
                    leaf.clone(),
                    Value::tuple(vec![Value::Int(1), Value::list([Value::True].into_iter())]),
                    leaf.clone(),
                ],
            ),
        ]
    };
    let mut d = Dict::default();
    for (i, key) in make().iter().enumerate() {
        d.insert(&k(key), Value::Int(i as i64)).expect("room");
    }
    assert_eq!(d.len(), 10);
    for (i, key) in make().iter().enumerate() {
        assert!(
            matches!(d.get(&k(key)), Some(Value::Int(v)) if *v == i as i64),
            "{key:?}"
        );
    }
}

#[test]
fn keys_of_different_kinds_or_shapes_differ() {
    let mut d = Dict::default();
    let keys = [
        Value::Int(1),
        Value::str("1"),
        Value::True,
        Value::list([Value::Int(1)].into_iter()),
        Value::tuple(vec![Value::Int(1), Value::Int(1)]),
        Value::ctor(Symbol::intern("Some"), vec![Value::Int(1)]),
        Value::ctor(Symbol::intern("Ok"), vec![Value::Int(1)]),
        Value::list([Value::Int(1), Value::Int(1)].into_iter()),
        Value::tuple(vec![Value::list([Value::Int(1)].into_iter()), Value::Nil]),
        Value::tuple(vec![Value::Nil, Value::list([Value::Int(1)].into_iter())]),
    ];
    for key in &keys {
        d.insert(&k(key), Value::Unit).expect("room");
    }
    assert_eq!(d.len(), keys.len());
}

#[test]
fn nested_keys_hash_alike_when_equal() {
    let a = Value::tuple(vec![Value::Int(1), long_list(100)]);
    let b = Value::tuple(vec![Value::Int(1), long_list(100)]);
    let c = Value::tuple(vec![Value::Int(1), long_list(99)]);
    assert_eq!(k(&a).hash, k(&b).hash);
    assert!(keys_equal(&a, &b));
    assert!(!keys_equal(&a, &c));
}

#[test]
fn what_cannot_be_a_key() {
    let builtin = Value::Builtin(&crate::runtime::builtins::BUILTINS[0]);
    let not_keys = [
        Value::float(1.0),
        Value::array(vec![]),
        Value::dict(Dict::default()),
        builtin,
        Value::tuple(vec![Value::Int(1), Value::float(2.5)]),
        Value::list([Value::Int(1), Value::array(vec![])].into_iter()),
        Value::ctor(
            Symbol::intern("Some"),
            vec![Value::list([Value::dict(Dict::default())].into_iter())],
        ),
    ];
    for v in &not_keys {
        assert!(Key::new(v).is_none(), "{v:?}");
    }
}

#[test]
fn a_million_element_list_is_a_key() {
    let mut d = Dict::default();
    let key = long_list(1_000_000);
    d.insert(&k(&key), Value::str("long")).expect("room");
    let again = long_list(1_000_000);
    assert!(d.get(&k(&again)).is_some());
    let other = Value::cons(Value::Int(-1), long_list(999_999));
    assert!(d.get(&k(&other)).is_none());
    assert!(d.remove(&k(&again)).is_some());
}

#[test]
fn a_million_level_constructor_is_a_key() {
    let node = Symbol::intern("Wrap");
    let deep = |leaf: i64| {
        let mut v = Value::Int(leaf);
        for _ in 0..1_000_000 {
            v = Value::ctor(node, vec![v]);
        }
        v
    };
    let mut d = Dict::default();
    let key = deep(1);
    d.insert(&k(&key), Value::Unit).expect("room");
    assert!(d.get(&k(&deep(1))).is_some());
    assert!(d.get(&k(&deep(2))).is_none());
}

#[test]
fn paired_values_match_keys_whatever_the_order() {
    let a = of_ints([1, 2, 3]);
    let b = of_ints([3, 1, 2]);
    let pairs = a.paired_values(&b).expect("same keys");
    assert_eq!(pairs.len(), 3);
    for (x, y) in &pairs {
        assert!(matches!((x, y), (Value::Int(p), Value::Int(q)) if p == q));
    }
    assert!(a.paired_values(&of_ints([1, 2])).is_none());
    assert!(a.paired_values(&of_ints([1, 2, 4])).is_none());
}

#[test]
fn dropping_a_dictionary_of_a_deep_value_does_not_recurse() {
    let mut d = Dict::default();
    let name = Symbol::intern("Node");
    let mut tree = Value::Unit;
    for _ in 0..1_000_000 {
        tree = Value::ctor(name, vec![tree, Value::Int(1)]);
    }
    let key = long_list(1_000_000);
    d.insert(&k(&key), tree).expect("room");
    drop(key);
    drop(Value::dict(d));
}

#[test]
fn dropping_dictionaries_nested_a_million_deep_does_not_recurse() {
    let mut v = Value::Unit;
    for _ in 0..1_000_000 {
        let mut d = Dict::default();
        let key = Value::Int(0);
        d.insert(&k(&key), v).expect("room");
        v = Value::dict(d);
    }
    drop(v);
}
