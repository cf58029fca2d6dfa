//! Run-time values.
//!
//! [`Value`] is 16 bytes: immediates (unit, booleans, ints, floats, nullary constructors) sit
//! inline, everything else lives behind an `Rc`. Cloning an int or reading a local never
//! allocates. Lists are immutable cons cells; arrays and dictionaries (`dict.rs`) are the
//! mutable aggregates. Strings are `string.rs`'s [`Str`], which knows its length in
//! characters.
//!
//! Invariant: dropping a value never recurses deeper than a constant number of native frames,
//! however long a list or deep a tree is, whatever holds the next level: a list cell, tuple,
//! constructor, array, dictionary, closure or shared variable (the *nodes*). Nodes hand the children
//! that they own, or will own once their own other references to them are gone
//! (`Node(t, v, t)`), to `drop_iteratively`, which empties them with an explicit work list.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Rc;

use crate::runtime::dict::{Dict, DictCell};
use crate::runtime::effects::Continuation;
use crate::runtime::function::{Builtin, Closure};
use crate::runtime::string::Str;
use crate::runtime::symbol::Symbol;

/// A kont value.
#[derive(Default)]
pub enum Value {
    /// `()`
    #[default]
    Unit,
    /// `false`
    False,
    /// `true`
    True,
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float, kept as its bits (see [`F64`]).
    Float(F64),
    /// A nullary constructor such as `None` or `Leaf`.
    Atom(Symbol),
    /// The empty list `[]`.
    Nil,
    /// An immutable UTF-8 string that knows its length in characters (`Rc<Str>` rather
    /// than `Rc<str>`: a thin pointer keeps `Value` at 16 bytes).
    Str(Rc<Str>),
    /// A non-empty list `head :: tail`.
    Cons(Rc<ConsCell>),
    /// A tuple of at least two elements.
    Tuple(Rc<Fields>),
    /// A constructor applied to arguments, such as `Node(l, 1, r)`.
    Ctor(Rc<CtorValue>),
    /// A mutable array.
    Array(Rc<ArrayCell>),
    /// A mutable dictionary, in insertion order.
    Dict(Rc<DictCell>),
    /// A kont function (closure).
    Func(Rc<Closure>),
    /// A one-shot continuation.
    Cont(Rc<Continuation>),
    /// A mutable variable shared between a frame and the closures that capture it. Never
    /// visible to programs: reading a boxed variable yields its content.
    Cell(Rc<VarCell>),
    /// A built-in function.
    Builtin(&'static Builtin),
}

impl Clone for Value {
    /// A copy of an immediate, or one more reference to a heap value. Always inlined: it is
    /// on every hot path (reading a variable, an element, a field), and the derived
    /// `clone`'s inlining is left to the compiler's size heuristic, which a larger `Value`
    /// enum tips over into an out-of-line call at most of its uses.
    #[inline(always)]
    fn clone(&self) -> Value {
        match self {
            Value::Unit => Value::Unit,
            Value::False => Value::False,
            Value::True => Value::True,
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            Value::Atom(name) => Value::Atom(*name),
            Value::Str(s) => Value::Str(Rc::clone(s)),
            Value::Nil => Value::Nil,
            Value::Cons(cell) => Value::Cons(Rc::clone(cell)),
            Value::Tuple(fields) => Value::Tuple(Rc::clone(fields)),
            Value::Ctor(c) => Value::Ctor(Rc::clone(c)),
            Value::Array(a) => Value::Array(Rc::clone(a)),
            Value::Dict(d) => Value::Dict(Rc::clone(d)),
            Value::Func(f) => Value::Func(Rc::clone(f)),
            Value::Builtin(b) => Value::Builtin(b),
            Value::Cont(k) => Value::Cont(Rc::clone(k)),
            Value::Cell(c) => Value::Cell(Rc::clone(c)),
        }
    }
}

/// The storage of a captured mutable variable.
pub type VarCell = RefCell<Value>;

/// The storage of an array: its elements, which dropping the array drops without native
/// recursion (arrays may nest a million deep).
pub struct ArrayCell(RefCell<Vec<Value>>);

impl std::ops::Deref for ArrayCell {
    type Target = RefCell<Vec<Value>>;

    fn deref(&self) -> &RefCell<Vec<Value>> {
        &self.0
    }
}

impl ArrayCell {
    /// The address of the array `a`, which identifies it while it is alive: printing and
    /// equality track by it the arrays they are inside of, as an array may contain itself.
    pub fn id(a: &Rc<ArrayCell>) -> usize {
        Rc::as_ptr(a) as usize
    }
}

impl Drop for ArrayCell {
    fn drop(&mut self) {
        drop_nodes(self.0.get_mut());
    }
}

/// A cons cell of a list.
pub struct ConsCell {
    /// The first element.
    pub head: Value,
    /// The rest of the list: `Nil` or `Cons`.
    pub tail: Value,
}

/// The elements of a tuple.
pub struct Fields(pub Values);

/// A constructor applied to arguments.
pub struct CtorValue {
    /// The constructor's name.
    pub name: Symbol,
    /// Its arguments (at least one).
    pub fields: Values,
}

/// How many values [`Values`] keeps inline.
pub const INLINE_VALUES: usize = 3;

/// A fixed, usually short sequence of values: the fields of a constructor or a tuple, the
/// captured variables of a closure. Up to [`INLINE_VALUES`] are kept inline, so that the
/// object holding them is a single allocation (most constructors and closures have one to
/// three); longer sequences are on the heap. Reads go through `Deref<Target = [Value]>`.
pub enum Values {
    /// The first `len` entries of `vals` (the others hold `()`, which owns nothing: the array
    /// is not dropped as a whole, see the `Drop` impl).
    Inline {
        /// How many.
        len: usize,
        /// The values, then `()`.
        vals: ManuallyDrop<[Value; INLINE_VALUES]>,
    },
    /// More than [`INLINE_VALUES`] values.
    Heap(Box<[Value]>),
}

impl Default for Values {
    /// No values.
    fn default() -> Values {
        Values::Inline {
            len: 0,
            vals: ManuallyDrop::new(Default::default()),
        }
    }
}

impl Drop for Values {
    /// Drops the values (the fields of a constructor or tuple, the variables a closure
    /// captured) one by one, each checked inline for an immediate; the array's own drop
    /// glue would call `Value`'s for every entry, the unused ones included (three calls for
    /// any closure or constructor, whatever it holds). Values among which there are nodes
    /// go to `drop_nodes`: from the first that could own children once this node's
    /// references to it are gone (`Node(t, v, t)`), the rest are dropped without native
    /// recursion, as such values nest a million deep.
    fn drop(&mut self) {
        if let Values::Inline { len, vals } = self
            && !vals.iter().take(*len).any(is_node)
        {
            for v in vals.iter_mut().take(*len) {
                discard(std::mem::take(v));
            }
            return;
        }
        drop_nodes(self);
    }
}

impl std::ops::Deref for Values {
    type Target = [Value];

    #[inline(always)]
    fn deref(&self) -> &[Value] {
        match self {
            Values::Inline { len, vals } => vals.get(..*len).unwrap_or(&[]),
            Values::Heap(vals) => vals,
        }
    }
}

impl std::ops::DerefMut for Values {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [Value] {
        match self {
            Values::Inline { len, vals } => vals.get_mut(..*len).unwrap_or(&mut []),
            Values::Heap(vals) => vals,
        }
    }
}

impl Values {
    /// The value at `i` (which must be below the length): one test of where the values are
    /// and one bounds check, fewer than through the slice. Captured variables are read so.
    #[inline(always)]
    pub fn at(&self, i: usize) -> &Value {
        match self {
            Values::Inline { vals, .. } => &vals[i],
            Values::Heap(vals) => &vals[i],
        }
    }

    /// The `n` values `f(0)`, …, `f(n - 1)`, made in order; the first error stops it (the
    /// values made so far are dropped).
    #[inline(always)]
    pub fn try_build<E>(
        n: usize,
        mut f: impl FnMut(usize) -> Result<Value, E>,
    ) -> Result<Values, E> {
        if n > INLINE_VALUES {
            return (0..n)
                .map(f)
                .collect::<Result<Box<[Value]>, E>>()
                .map(Values::Heap);
        }
        let mut vals: [Value; INLINE_VALUES] = Default::default();
        for (i, slot) in vals.iter_mut().enumerate().take(n) {
            overwrite(slot, f(i)?);
        }
        Ok(Values::Inline {
            len: n,
            vals: ManuallyDrop::new(vals),
        })
    }
}

impl From<Vec<Value>> for Values {
    fn from(items: Vec<Value>) -> Values {
        if items.len() > INLINE_VALUES {
            return Values::Heap(items.into_boxed_slice());
        }
        let len = items.len();
        let mut vals: [Value; INLINE_VALUES] = Default::default();
        for (slot, v) in vals.iter_mut().zip(items) {
            *slot = v;
        }
        Values::Inline {
            len,
            vals: ManuallyDrop::new(vals),
        }
    }
}

/// A float as its IEEE 754 bits. Every payload of [`Value`] is then a 64-bit integer or a
/// pointer, which makes `Value` (and [`R`](crate::runtime::R)) a pair of registers in Rust's
/// calling convention: compiled code returns its results in RAX:RDX instead of through
/// memory. An `f64` payload (or a `bool`) would break that.
#[derive(Clone, Copy, Debug)]
pub struct F64(u64);

impl F64 {
    /// The float's value.
    #[inline(always)]
    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl Value {
    /// A boolean value.
    #[inline(always)]
    pub fn bool(b: bool) -> Value {
        if b { Value::True } else { Value::False }
    }

    /// A float value.
    #[inline(always)]
    pub fn float(f: f64) -> Value {
        Value::Float(F64(f.to_bits()))
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(Str::new(s.into())))
    }

    /// The list `head :: tail`.
    pub fn cons(head: Value, tail: Value) -> Value {
        Value::Cons(Rc::new(ConsCell { head, tail }))
    }

    /// A list of the given elements, in order.
    pub fn list(items: impl DoubleEndedIterator<Item = Value>) -> Value {
        items
            .rev()
            .fold(Value::Nil, |tail, head| Value::cons(head, tail))
    }

    /// A tuple of the given elements.
    pub fn tuple(items: impl Into<Values>) -> Value {
        Value::Tuple(Rc::new(Fields(items.into())))
    }

    /// `Some(v)` for `Some(v)`, `None` for `None`: what the library's searches and reads
    /// give.
    pub fn option(v: Option<Value>) -> Value {
        match v {
            Some(v) => Value::ctor(Symbol::intern("Some"), vec![v]),
            None => Value::Atom(Symbol::intern("None")),
        }
    }

    /// A constructor value: an atom when there are no arguments.
    pub fn ctor(name: Symbol, fields: impl Into<Values>) -> Value {
        let fields = fields.into();
        if fields.is_empty() {
            Value::Atom(name)
        } else {
            Value::Ctor(Rc::new(CtorValue { name, fields }))
        }
    }

    /// A constructor value of `n` arguments `f(0)`, …, `f(n - 1)`, made in order (an atom
    /// when `n` is 0); the first error stops it. Up to [`INLINE_VALUES`] arguments are
    /// written straight into the new constructor's allocation (`Rc::new_cyclic` allocates
    /// before it builds the value), one by one, instead of building the constructor on the
    /// stack and copying it whole into its allocation (see benches/README.md, "Store
    /// forwarding").
    #[inline(always)]
    pub fn try_ctor<E>(
        name: Symbol,
        n: usize,
        mut f: impl FnMut(usize) -> Result<Value, E>,
    ) -> Result<Value, E> {
        if n == 0 {
            return Ok(Value::Atom(name));
        }
        if n > INLINE_VALUES {
            return Values::try_build(n, f).map(|fields| Value::ctor(name, fields));
        }
        let mut ctor = Rc::new_cyclic(|_| CtorValue {
            name,
            fields: Values::default(),
        });
        let Some(CtorValue {
            fields: Values::Inline { len, vals },
            ..
        }) = Rc::get_mut(&mut ctor)
        else {
            unreachable!("a constructor just made is not shared and holds its fields inline");
        };
        for i in 0..n {
            match f(i) {
                Ok(v) => overwrite(&mut vals[i], v),
                Err(e) => {
                    // The fields made so far are dropped with the constructor.
                    *len = i;
                    return Err(e);
                }
            }
        }
        *len = n;
        Ok(Value::Ctor(ctor))
    }

    /// A new mutable array.
    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Rc::new(ArrayCell(RefCell::new(items))))
    }

    /// A new mutable dictionary.
    pub fn dict(entries: Dict) -> Value {
        Value::Dict(Rc::new(DictCell::new(entries)))
    }

    /// The name of this value's kind, for error messages (`int`, `string`, `list`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unit => "unit",
            Value::False | Value::True => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Atom(_) | Value::Ctor(_) => "constructor",
            Value::Str(_) => "string",
            Value::Nil | Value::Cons(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Array(_) => "array",
            Value::Dict(_) => "dictionary",
            Value::Func(_) | Value::Builtin(_) => "function",
            Value::Cont(_) => "continuation",
            Value::Cell(_) => "cell",
        }
    }

    /// [`Value::kind`] with its indefinite article, for messages: `an int`, `a string`.
    pub fn a_kind(&self) -> String {
        let kind = self.kind();
        let article = if matches!(kind, "int" | "array") {
            "an"
        } else {
            "a"
        };
        format!("{article} {kind}")
    }

    /// Iterates over the elements of a list value (`Nil`/`Cons`); stops at anything else.
    pub fn list_iter(&self) -> ListIter<'_> {
        ListIter { cur: self }
    }
}

/// Drops a value, checking inline for the immediates (most values dropped on hot paths are
/// `()` or ints) so that the general drop glue runs only for heap values.
#[inline(always)]
pub fn discard(v: Value) {
    match v {
        Value::Unit
        | Value::False
        | Value::True
        | Value::Int(_)
        | Value::Float(_)
        | Value::Atom(_)
        | Value::Nil => std::mem::forget(v),
        heap => drop_heap(heap),
    }
}

/// Drops a value that owns heap data: the out-of-line path of [`discard`].
#[cold]
#[inline(never)]
fn drop_heap(v: Value) {
    drop(v);
}

/// Stores `v` in `slot`, dropping the old value with [`discard`] (a plain assignment drops
/// it by a call to the drop glue, even where it is `()`).
#[inline(always)]
pub fn overwrite(slot: &mut Value, v: Value) {
    discard(std::mem::replace(slot, v));
}

/// Drops the values of `stack` above `len` (a frame being popped).
#[inline(always)]
pub fn truncate_stack(stack: &mut Vec<Value>, len: usize) {
    while stack.len() > len {
        if let Some(v) = stack.pop() {
            discard(v);
        }
    }
}

/// An iterator over the elements of a kont list.
pub struct ListIter<'a> {
    /// The rest of the list: the next element is its head, if it is a cons.
    cur: &'a Value,
}

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a Value;

    fn next(&mut self) -> Option<&'a Value> {
        match self.cur {
            Value::Cons(cell) => {
                self.cur = &cell.tail;
                Some(&cell.head)
            }
            _ => None,
        }
    }
}

thread_local! {
    /// Whether a `drop_iteratively` loop is running on this thread.
    static DRAINING: Cell<bool> = const { Cell::new(false) };
    /// Values waiting to be dropped by the running loop.
    static PENDING: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Whether `v` is a node that holds other values that may be nodes (a list cell, tuple,
/// constructor, array, dictionary, closure or shared variable): dropping it may reach them.
pub(super) fn is_node(v: &Value) -> bool {
    matches!(
        v,
        Value::Cons(_)
            | Value::Tuple(_)
            | Value::Ctor(_)
            | Value::Array(_)
            | Value::Dict(_)
            | Value::Func(_)
            | Value::Cell(_)
    )
}

/// Whether dropping `v` could recurse: it is the last reference to a node with children.
fn owns_children(v: &Value) -> bool {
    holds_children(v, 1)
}

/// Whether `v` is a node with children that has at most `refs` references: dropping
/// `refs` of them could recurse. A closure or a shared variable counts only if it holds a
/// node itself (most closures capture none, and are dropped as they are).
fn holds_children(v: &Value, refs: usize) -> bool {
    match v {
        Value::Cons(rc) => Rc::strong_count(rc) <= refs,
        Value::Tuple(rc) => Rc::strong_count(rc) <= refs,
        Value::Ctor(rc) => Rc::strong_count(rc) <= refs,
        Value::Array(rc) => Rc::strong_count(rc) <= refs,
        Value::Dict(rc) => Rc::strong_count(rc) <= refs,
        Value::Func(rc) => Rc::strong_count(rc) <= refs && rc.env.iter().any(is_node),
        Value::Cell(rc) => {
            Rc::strong_count(rc) <= refs && rc.try_borrow().is_ok_and(|v| is_node(&v))
        }
        _ => false,
    }
}

/// Drops `values` (the fields of a node, the elements of an array, the keys and values of a
/// dictionary) one by one; from the first that could own children once this node's
/// references to it are gone (`Node(t, v, t)`), without native recursion.
#[inline(never)]
pub(super) fn drop_nodes(values: &mut [Value]) {
    let n = values.len();
    for i in 0..n {
        if holds_children(&values[i], n) {
            drop_iteratively(values[i..].iter_mut().map(std::mem::take));
            return;
        }
        discard(std::mem::take(&mut values[i]));
    }
}

/// Drops `children` without native recursion: the outermost call runs a loop over a work list
/// and nested calls (from the drops it performs) only append to that list.
fn drop_iteratively(children: impl Iterator<Item = Value>) {
    let mut owned = children.filter(owns_children).peekable();
    if owned.peek().is_none() {
        return;
    }
    if DRAINING.with(Cell::get) {
        PENDING.with(|p| p.borrow_mut().extend(owned));
        return;
    }
    DRAINING.with(|d| d.set(true));
    let mut work: Vec<Value> = owned.collect();
    while let Some(v) = work.pop() {
        drop(v);
        PENDING.with(|p| work.append(&mut p.borrow_mut()));
    }
    DRAINING.with(|d| d.set(false));
}

impl Drop for ConsCell {
    fn drop(&mut self) {
        // The common case, a cell whose tail is shared and whose head owns no children:
        // nothing to walk, the fields are dropped as they are.
        if !holds_children(&self.tail, 2) && !holds_children(&self.head, 2) {
            return;
        }
        let mut heads = Vec::new();
        // A head that owns no children is dropped at once: if it is the tail too
        // (`t :: t`), the tail is then the last reference, and is walked.
        let mut keep = |head: Value| {
            if owns_children(&head) {
                heads.push(head);
            }
        };
        keep(std::mem::take(&mut self.head));
        let mut tail = std::mem::take(&mut self.tail);
        // Walk the uniquely owned spine of the list without recursion.
        while let Value::Cons(rc) = tail {
            match Rc::try_unwrap(rc) {
                Ok(mut cell) => {
                    keep(std::mem::take(&mut cell.head));
                    tail = std::mem::take(&mut cell.tail);
                }
                Err(_) => break,
            }
        }
        drop_iteratively(heads.into_iter());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        // Every compiled closure returns an `R`: two words come back in registers.
        assert_eq!(std::mem::size_of::<crate::runtime::R>(), 16);
    }

    #[test]
    fn dropping_a_long_list_does_not_recurse() {
        let mut list = Value::Nil;
        for i in 0..2_000_000 {
            list = Value::cons(Value::Int(i), list);
        }
        drop(list);
    }

    #[test]
    fn dropping_a_list_keeps_a_shared_tail_and_frees_the_rest() {
        let probe = Rc::new(Str::new(String::from("probe")));
        let shared = Value::list((0..3).map(|_| Value::Str(probe.clone())));
        let a = Value::cons(Value::Str(probe.clone()), shared.clone());
        let b = Value::cons(Value::Int(1), shared.clone());
        drop(shared);
        assert_eq!(Rc::strong_count(&probe), 5);
        drop(a);
        assert_eq!(Rc::strong_count(&probe), 4);
        assert_eq!(b.list_iter().count(), 4);
        drop(b);
        assert_eq!(Rc::strong_count(&probe), 1);
    }

    #[test]
    fn dropping_a_long_list_of_long_lists_does_not_recurse() {
        let mut inner = Value::Nil;
        for i in 0..1_000_000 {
            inner = Value::cons(Value::Int(i), inner);
        }
        let outer = Value::cons(inner, Value::cons(Value::Int(0), Value::Nil));
        let keep = match &outer {
            Value::Cons(cell) => cell.tail.clone(),
            _ => unreachable!(),
        };
        drop(outer);
        assert_eq!(keep.list_iter().count(), 1);
    }

    #[test]
    fn dropping_a_deep_tree_does_not_recurse() {
        let name = Symbol::intern("Node");
        let mut tree = Value::Unit;
        for _ in 0..1_000_000 {
            tree = Value::ctor(name, vec![tree, Value::Int(1)]);
        }
        drop(tree);
    }

    #[test]
    fn values_keep_up_to_three_inline_and_more_on_the_heap() {
        for n in 0..=6 {
            let items: Vec<Value> = (0..n).map(Value::Int).collect();
            let values = Values::from(items);
            assert_eq!(
                matches!(values, Values::Inline { .. }),
                n <= INLINE_VALUES as i64
            );
            assert_eq!(values.len(), n as usize);
            for (i, v) in values.iter().enumerate() {
                assert!(matches!(v, Value::Int(x) if *x == i as i64));
                assert!(matches!(values.at(i), Value::Int(x) if *x == i as i64));
            }
            let built = Values::try_build(n as usize, |i| Ok::<_, ()>(Value::Int(i as i64)));
            assert!(built.is_ok_and(|b| b.len() == n as usize));
        }
    }

    #[test]
    fn building_values_stops_at_the_first_error_and_drops_what_it_made() {
        for n in [3, 6] {
            let probe = Rc::new(Str::new(String::from("probe")));
            let built = Values::try_build(n, |i| match i {
                1 => Err("stop"),
                _ => Ok(Value::Str(probe.clone())),
            });
            assert!(matches!(built, Err("stop")));
            assert_eq!(Rc::strong_count(&probe), 1);
        }
    }

    #[test]
    fn values_drop_what_they_hold_inline_and_on_the_heap() {
        for n in 0..=6 {
            let probe = Rc::new(Str::new(String::from("probe")));
            let values = Values::from(vec![Value::Str(probe.clone()); n]);
            assert_eq!(Rc::strong_count(&probe), n + 1);
            drop(values);
            assert_eq!(Rc::strong_count(&probe), 1);
        }
    }

    #[test]
    fn a_constructor_stops_at_the_first_error_and_drops_the_fields_it_made() {
        let name = Symbol::intern("Three");
        for fail_at in 0..3 {
            let probe = Rc::new(Str::new(String::from("probe")));
            let built = Value::try_ctor(name, 3, |i| {
                if i == fail_at {
                    Err("stop")
                } else {
                    Ok(Value::Str(probe.clone()))
                }
            });
            assert!(matches!(built, Err("stop")));
            assert_eq!(Rc::strong_count(&probe), 1);
        }
        let probe = Rc::new(Str::new(String::from("probe")));
        let built = Value::try_ctor(name, 3, |_| Ok::<_, ()>(Value::Str(probe.clone())));
        assert_eq!(Rc::strong_count(&probe), 4);
        drop(built);
        assert_eq!(Rc::strong_count(&probe), 1);
    }

    #[test]
    fn dropping_a_deep_chain_of_wide_constructors_does_not_recurse() {
        let name = Symbol::intern("Five");
        let mut chain = Value::Unit;
        for i in 0..1_000_000 {
            let fields = vec![chain, Value::Int(i), Value::Unit, Value::Unit, Value::Unit];
            chain = Value::ctor(name, fields);
        }
        drop(chain);
    }

    #[test]
    fn dropping_a_deep_chain_shared_with_a_sibling_does_not_recurse() {
        let name = Symbol::intern("Node");
        let mut chain = Value::Unit;
        for i in 0..1_000_000 {
            chain = Value::ctor(name, vec![chain.clone(), Value::Int(i), chain]);
        }
        drop(chain);
    }

    #[test]
    fn dropping_a_deep_list_whose_heads_are_their_tails_does_not_recurse() {
        let mut list = Value::Nil;
        for _ in 0..1_000_000 {
            list = Value::cons(list.clone(), list);
        }
        drop(list);
    }

    #[test]
    fn dropping_deeply_nested_arrays_does_not_recurse() {
        let mut a = Value::Int(0);
        for _ in 0..1_000_000 {
            a = Value::array(vec![a.clone(), a]);
        }
        drop(a);
    }

    #[test]
    fn list_iter_yields_elements_in_order() {
        let l = Value::list([1, 2, 3].into_iter().map(Value::Int));
        let got: Vec<i64> = l
            .list_iter()
            .map(|v| match v {
                Value::Int(i) => *i,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, vec![1, 2, 3]);
    }
}
