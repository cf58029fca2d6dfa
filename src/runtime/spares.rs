//! Emptied vectors kept for reuse ([`Spares`]): the runtime's short-lived vectors (the
//! handler entries of a suspend, the value stacks of finished continuations) go back to
//! one instead of to the allocator. A pool never holds more than its budget.

use std::cell::{Cell, RefCell};

/// Emptied vectors kept for reuse, last in first out, so that the runtime's short-lived
/// vectors are not freed and allocated again (nor grown again from a small capacity): at
/// most `keep` of them, whose capacities add up to at most `budget` elements. A vector that
/// does not fit is freed, so the pool never holds more than `budget` elements of memory.
pub struct Spares<T> {
    /// The kept vectors, all empty: the last one kept is the first one taken.
    vecs: RefCell<Vec<Vec<T>>>,
    /// The most vectors `vecs` may hold.
    keep: usize,
    /// The most elements of capacity the vectors in `vecs` may hold in all.
    budget: usize,
    /// The sum of the capacities of the vectors in `vecs`.
    held: Cell<usize>,
}

impl<T> Spares<T> {
    /// A pool keeping up to `keep` vectors of at most `budget` elements of capacity in all.
    pub fn new(keep: usize, budget: usize) -> Spares<T> {
        Spares {
            vecs: RefCell::new(Vec::new()),
            keep,
            budget,
            held: Cell::new(0),
        }
    }

    /// An empty vector kept earlier, if there is one.
    pub fn take(&self) -> Option<Vec<T>> {
        let v = self.vecs.borrow_mut().pop()?;
        self.held.set(self.held.get() - v.capacity());
        Some(v)
    }

    /// Keeps the emptied vector `v` for a later [`Spares::take`], if it holds an allocation
    /// and the pool has room for it; otherwise frees it. Inlined: it is on the path of
    /// every resume.
    #[inline(always)]
    pub fn give(&self, v: Vec<T>) {
        debug_assert!(v.is_empty());
        let held = self.held.get() + v.capacity();
        let mut vecs = self.vecs.borrow_mut();
        if v.capacity() != 0 && held <= self.budget && vecs.len() < self.keep {
            vecs.push(v);
            self.held.set(held);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Spares;

    #[test]
    fn spares_keep_vectors_up_to_their_count_and_budget() {
        let spares: Spares<u8> = Spares::new(2, 16);
        assert!(spares.take().is_none());
        // No allocation, or one larger than the whole budget: not kept.
        spares.give(Vec::new());
        spares.give(Vec::with_capacity(17));
        assert!(spares.take().is_none());
        // Up to two; the last given comes back first.
        for capacity in [4, 8, 2] {
            spares.give(Vec::with_capacity(capacity));
        }
        assert_eq!(spares.take().map(|v| v.capacity()), Some(8));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(4));
        assert!(spares.take().is_none());
        // Within the budget: 10 + 6 fit, then 1 more does not.
        for capacity in [10, 6, 1] {
            spares.give(Vec::with_capacity(capacity));
        }
        assert_eq!(spares.take().map(|v| v.capacity()), Some(6));
        // Taking one makes room again.
        spares.give(Vec::with_capacity(5));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(5));
        assert_eq!(spares.take().map(|v| v.capacity()), Some(10));
        assert!(spares.take().is_none());
    }
}
