//! The names in scope in one function being resolved.

use std::collections::HashMap;

use crate::ir::VarId;

/// The names in scope in one function: one list per block, innermost last (within a list
/// a later entry for a name shadows an earlier one), and an index from each name to its
/// bindings, latest last, so that a lookup does not scan the lists (a block of 80,000
/// `let`s took seconds). A binding always goes into the innermost list, so a name's latest
/// binding is also its innermost one, and the lists nest as its bindings do.
#[derive(Default)]
pub(super) struct Scopes {
    /// The names bound in each block, innermost last.
    lists: Vec<Vec<(String, VarId)>>,
    /// The variables each name is bound to, latest last.
    index: HashMap<String, Vec<VarId>>,
}

impl Scopes {
    /// One empty scope: a function's outermost.
    pub(super) fn new() -> Scopes {
        Scopes {
            lists: vec![Vec::new()],
            index: HashMap::new(),
        }
    }

    /// Opens a scope.
    pub(super) fn push(&mut self) {
        self.lists.push(Vec::new());
    }

    /// Closes the innermost scope: its names stand for what they did before it.
    pub(super) fn pop(&mut self) {
        self.truncate_innermost(0);
        self.lists.pop();
    }

    /// Binds `name` to `var` in the innermost scope.
    pub(super) fn bind(&mut self, name: &str, var: VarId) {
        self.lists
            .last_mut()
            .expect("a scope")
            .push((name.to_string(), var));
        self.index.entry(name.to_string()).or_default().push(var);
    }

    /// Drops the latest binding of `name` from the index.
    fn unbind(&mut self, name: &str) {
        if let Some(vars) = self.index.get_mut(name) {
            vars.pop();
            if vars.is_empty() {
                self.index.remove(name);
            }
        }
    }

    /// The variable `name` stands for, if it is bound here.
    pub(super) fn lookup(&self, name: &str) -> Option<VarId> {
        self.index.get(name).and_then(|vars| vars.last().copied())
    }

    /// Every name bound here, each once, in no particular order.
    pub(super) fn names(&self) -> impl Iterator<Item = &String> {
        self.index.keys()
    }

    /// How many scopes are open.
    pub(super) fn depth(&self) -> usize {
        self.lists.len()
    }

    /// The bindings of the innermost scope, in order.
    pub(super) fn innermost(&self) -> &[(String, VarId)] {
        self.lists.last().expect("a scope")
    }

    /// Unbinds the names bound in the innermost scope after its first `len`, latest first.
    pub(super) fn truncate_innermost(&mut self, len: usize) {
        while self.innermost().len() > len {
            let (name, _) = self.lists.last_mut().and_then(Vec::pop).expect("a binding");
            self.unbind(&name);
        }
    }
}
