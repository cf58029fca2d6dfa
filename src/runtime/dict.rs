//! Dictionaries: mutable maps from keys to values that keep their insertion order.
//!
//! [`Value::Dict`] holds an `Rc<DictCell>`, shared by reference like an array. A [`Dict`] is
//! laid out as Python's compact dict:
//! - `entries`, the entries in insertion order; removing one leaves a hole (`None`) in its
//!   place, so that the others keep their positions;
//! - `table`, a hash table (`hashbrown::HashTable`) of positions in `entries`, found by the
//!   entry's hash and key.
//!
//! Setting a key that is there changes its value in place; a new key, or one removed and set
//! again, goes at the end. Once the holes outnumber the live entries they are squeezed out
//! and the table is rebuilt (*compaction*): the work is at most twice the number of removals
//! since the last compaction, so removing many keys takes linear time in all.
//!
//! Keys are ints, strings, booleans, `()`, nullary constructors, and tuples, lists and
//! constructors of these: immutable data that cannot contain itself. [`Key::new`] checks a
//! key and hashes it in one walk, and key equality walks two keys side by side; both are
//! iterative (a key may be a 1,000,000-element list). Every dictionary hashes with one
//! process-wide random state, so an entry's stored hash also finds its key in another
//! dictionary (`==`, [`Dict::paired_values`]).
//!
//! Invariants: every position in `table` is that of a live entry, inserted with that entry's
//! stored hash; `holes` is the number of holes in `entries`, which never ends in one; no two
//! live entries have equal keys. A dictionary is a *node* for dropping (see `value.rs`): its
//! keys and values are dropped without native recursion.

use std::cell::RefCell;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::rc::Rc;
use std::sync::LazyLock;

use hashbrown::HashTable;

use crate::runtime::error::ErrorKind;
use crate::runtime::value::{Value, drop_nodes, is_node};

/// The storage of a dictionary.
pub struct DictCell(RefCell<Dict>);

impl std::ops::Deref for DictCell {
    type Target = RefCell<Dict>;

    fn deref(&self) -> &RefCell<Dict> {
        &self.0
    }
}

impl DictCell {
    /// The storage of `dict`.
    pub fn new(dict: Dict) -> DictCell {
        DictCell(RefCell::new(dict))
    }

    /// The address of the dictionary `d`, which identifies it while it is alive: printing and
    /// equality track by it the dictionaries they are inside of, as one may contain itself.
    pub fn id(d: &Rc<DictCell>) -> usize {
        Rc::as_ptr(d) as usize
    }
}

impl Drop for DictCell {
    /// Drops the keys and values; when some of them hold other values, without native
    /// recursion (a dictionary may hold a million-level tree, or nest a million deep).
    fn drop(&mut self) {
        let dict = self.0.get_mut();
        if !dict.iter().any(|(k, v)| is_node(k) || is_node(v)) {
            return;
        }
        let mut children: Vec<Value> = std::mem::take(&mut dict.entries)
            .into_iter()
            .flatten()
            .flat_map(|e| [e.key, e.value])
            .collect();
        drop_nodes(&mut children);
    }
}

/// An entry of a dictionary.
struct Entry {
    /// The hash of `key` ([`Key::new`]).
    hash: u64,
    /// The key.
    key: Value,
    /// The value.
    value: Value,
}

/// A map from keys to values in insertion order (see the module documentation).
#[derive(Default)]
pub struct Dict {
    /// The entries in insertion order, `None` where one was removed.
    entries: Vec<Option<Entry>>,
    /// The positions in `entries` of the live entries, by their hashes.
    table: HashTable<usize>,
    /// How many entries are `None`.
    holes: usize,
}

/// A value checked to be a dictionary key, and its hash.
pub struct Key<'k> {
    /// The key.
    value: &'k Value,
    /// Its hash, by the process-wide state.
    hash: u64,
}

impl<'k> Key<'k> {
    /// `value` as a key, or `None` if it is not one: a float, function, continuation, array
    /// or dictionary, also inside a tuple, list or constructor.
    pub fn new(value: &'k Value) -> Option<Key<'k>> {
        hash_key(value).map(|hash| Key { value, hash })
    }
}

/// What a position in the table must find: a live entry.
const LIVE: &str = "a position in the table is a live entry";

impl Dict {
    /// How many entries the dictionary has.
    pub fn len(&self) -> usize {
        self.entries.len() - self.holes
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position in `entries` of the entry whose key is `key`.
    fn position(&self, key: &Key) -> Option<usize> {
        let entries = &self.entries;
        self.table
            .find(key.hash, |&i| holds(entries, i, key))
            .copied()
    }

    /// The value of `key`, if it is there.
    pub fn get(&self, key: &Key) -> Option<&Value> {
        let i = self.position(key)?;
        self.entries[i].as_ref().map(|e| &e.value)
    }

    /// Sets `key` to `value`: in place if the key is there (its old value is returned), at
    /// the end if not. `out of memory` if the dictionary cannot grow.
    pub fn insert(&mut self, key: &Key, value: Value) -> Result<Option<Value>, Box<ErrorKind>> {
        if let Some(i) = self.position(key) {
            let entry = self.entries[i].as_mut().expect(LIVE);
            return Ok(Some(std::mem::replace(&mut entry.value, value)));
        }
        let entries = &self.entries;
        let table_grown = self.table.try_reserve(1, |&i| hash_at(entries, i)).is_ok();
        if !table_grown || self.entries.try_reserve(1).is_err() {
            return Err(Box::new(ErrorKind::OutOfMemory(format!(
                "a dictionary of {} entries cannot grow",
                self.len()
            ))));
        }
        let at = self.entries.len();
        self.entries.push(Some(Entry {
            hash: key.hash,
            key: key.value.clone(),
            value,
        }));
        let entries = &self.entries;
        self.table
            .insert_unique(key.hash, at, |&i| hash_at(entries, i));
        Ok(None)
    }

    /// Removes `key` and gives its value, if it was there.
    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        let entries = &self.entries;
        let (at, _) = self
            .table
            .find_entry(key.hash, |&i| holds(entries, i, key))
            .ok()?
            .remove();
        let entry = self.entries[at].take().expect(LIVE);
        self.holes += 1;
        while let Some(None) = self.entries.last() {
            self.entries.pop();
            self.holes -= 1;
        }
        if self.holes > self.len() {
            self.compact();
        }
        Some(entry.value)
    }

    /// Squeezes the holes out of `entries` and rebuilds the table for the new positions.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        self.holes = 0;
        self.table.clear();
        let entries = &self.entries;
        for (at, entry) in entries.iter().enumerate() {
            let hash = entry.as_ref().expect(LIVE).hash;
            self.table.insert_unique(hash, at, |&i| hash_at(entries, i));
        }
    }

    /// The keys and values, in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Value, &Value)> {
        self.entries.iter().flatten().map(|e| (&e.key, &e.value))
    }

    /// The `(key, value)` tuples, in insertion order.
    pub fn pairs(&self) -> Vec<Value> {
        self.iter()
            .map(|(k, v)| Value::tuple(vec![k.clone(), v.clone()]))
            .collect()
    }

    /// If `other` has the same keys, the pairs of the values the two hold under each key
    /// (in this dictionary's order), for `==` to compare; `None` if the keys differ.
    pub fn paired_values(&self, other: &Dict) -> Option<Vec<(Value, Value)>> {
        if self.len() != other.len() {
            return None;
        }
        self.entries
            .iter()
            .flatten()
            .map(|e| {
                let key = Key {
                    value: &e.key,
                    hash: e.hash,
                };
                other.get(&key).map(|v| (e.value.clone(), v.clone()))
            })
            .collect()
    }
}

/// The stored hash of the entry at `at` (a live one).
fn hash_at(entries: &[Option<Entry>], at: usize) -> u64 {
    entries[at].as_ref().expect(LIVE).hash
}

/// Whether the entry at `at` (a live one) has the key `key`.
fn holds(entries: &[Option<Entry>], at: usize, key: &Key) -> bool {
    let entry = entries[at].as_ref().expect(LIVE);
    entry.hash == key.hash && keys_equal(&entry.key, key.value)
}

/// The hash state of every dictionary of the process (random, so that no input can be
/// made to collide on purpose; the order of a dictionary never depends on it).
static HASH_STATE: LazyLock<RandomState> = LazyLock::new(RandomState::new);

/// The hash of `key`, or `None` if it is not a key. Walks the key with a work list.
fn hash_key(key: &Value) -> Option<u64> {
    let mut hasher = HASH_STATE.build_hasher();
    let mut work = Vec::new();
    hash_one(&mut hasher, &mut work, key)?;
    while let Some(v) = work.pop() {
        hash_one(&mut hasher, &mut work, v)?;
    }
    Some(hasher.finish())
}

/// Hashes the top level of `v` into `hasher` (a tag for its kind, then its scalar content
/// or the number of its parts) and pushes its parts onto `work`, the first on top; `None`
/// if `v` cannot be part of a key.
fn hash_one<'v>(hasher: &mut impl Hasher, work: &mut Vec<&'v Value>, v: &'v Value) -> Option<()> {
    match v {
        Value::Unit => hasher.write_u8(0),
        Value::False => hasher.write_u8(1),
        Value::True => hasher.write_u8(2),
        Value::Int(i) => {
            hasher.write_u8(3);
            hasher.write_i64(*i);
        }
        Value::Str(s) => {
            hasher.write_u8(4);
            s.as_str().hash(hasher);
        }
        Value::Atom(name) => {
            hasher.write_u8(5);
            name.hash(hasher);
        }
        Value::Nil => hasher.write_u8(6),
        Value::Cons(cell) => {
            hasher.write_u8(7);
            work.push(&cell.tail);
            work.push(&cell.head);
        }
        Value::Tuple(fields) => {
            hasher.write_u8(8);
            hasher.write_usize(fields.0.len());
            work.extend(fields.0.iter().rev());
        }
        Value::Ctor(c) => {
            hasher.write_u8(9);
            c.name.hash(hasher);
            hasher.write_usize(c.fields.len());
            work.extend(c.fields.iter().rev());
        }
        _ => return None,
    }
    Some(())
}

/// Whether the keys `a` and `b` are equal (as `==` finds them), walking both side by side
/// with a work list. Keys are immutable, so a part shared by both is equal without a walk.
fn keys_equal(a: &Value, b: &Value) -> bool {
    let mut work = Vec::new();
    let (mut x, mut y) = (a, b);
    loop {
        let equal = match (x, y) {
            (Value::Unit, Value::Unit)
            | (Value::False, Value::False)
            | (Value::True, Value::True)
            | (Value::Nil, Value::Nil) => true,
            (Value::Int(p), Value::Int(q)) => p == q,
            (Value::Str(p), Value::Str(q)) => Rc::ptr_eq(p, q) || p == q,
            (Value::Atom(p), Value::Atom(q)) => p == q,
            (Value::Cons(p), Value::Cons(q)) => {
                if !Rc::ptr_eq(p, q) {
                    work.push((&p.tail, &q.tail));
                    work.push((&p.head, &q.head));
                }
                true
            }
            (Value::Tuple(p), Value::Tuple(q)) => {
                Rc::ptr_eq(p, q) || push_parts(&mut work, &p.0, &q.0)
            }
            (Value::Ctor(p), Value::Ctor(q)) => {
                Rc::ptr_eq(p, q)
                    || (p.name == q.name && push_parts(&mut work, &p.fields, &q.fields))
            }
            _ => false,
        };
        if !equal {
            return false;
        }
        match work.pop() {
            Some((p, q)) => (x, y) = (p, q),
            None => return true,
        }
    }
}

/// Pushes the pairs of corresponding parts of `xs` and `ys` onto `work`, the first on top;
/// `false`, pushing nothing, when their numbers differ.
fn push_parts<'v>(
    work: &mut Vec<(&'v Value, &'v Value)>,
    xs: &'v [Value],
    ys: &'v [Value],
) -> bool {
    if xs.len() != ys.len() {
        return false;
    }
    work.extend(xs.iter().zip(ys).rev());
    true
}

#[cfg(test)]
mod tests;
