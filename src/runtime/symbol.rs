//! Interned names of constructors.
//!
//! A [`Symbol`] is a small integer standing for a constructor name such as `Some` or `Leaf`;
//! comparing two constructors compares two integers. The table lives for the whole thread and
//! only grows (constructor names come from source text, so it stays small).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// An interned constructor name: an index into the table. A full 64-bit word, like every
/// other payload of a [`Value`](crate::runtime::value::Value) (see
/// [`F64`](crate::runtime::value::F64) for why).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Symbol(usize);

/// The interned names of the thread, both ways.
#[derive(Default)]
struct Table {
    /// The name of each symbol, indexed by its number.
    names: Vec<Rc<str>>,
    /// The number of each interned name.
    ids: HashMap<Rc<str>, usize>,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

impl Symbol {
    /// The symbol for `name`, creating it on first use.
    pub fn intern(name: &str) -> Symbol {
        TABLE.with(|t| {
            let mut t = t.borrow_mut();
            if let Some(&id) = t.ids.get(name) {
                return Symbol(id);
            }
            let id = t.names.len();
            let name: Rc<str> = Rc::from(name);
            t.names.push(name.clone());
            t.ids.insert(name, id);
            Symbol(id)
        })
    }

    /// The name this symbol stands for.
    pub fn name(self) -> Rc<str> {
        TABLE.with(|t| t.borrow().names[self.0].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent() {
        let a = Symbol::intern("Node");
        let b = Symbol::intern("Node");
        let c = Symbol::intern("Leaf");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&*a.name(), "Node");
    }
}
