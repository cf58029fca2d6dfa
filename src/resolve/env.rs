//! The session's names: the top-level variables and functions and the declared
//! operations, which persist from one unit to the next (the REPL's definitions).
//!
//! Invariants: the undo list holds the changes of the latest unit resolved, oldest first
//! (it is emptied when the next unit starts), so that a unit that fails, or whose warnings
//! are denied before it runs, is undone newest first and leaves the [`Env`] exactly as it
//! found it (operation ids included: a new one is always the last).

use std::collections::HashMap;
use std::rc::Rc;

use super::OpId;
use crate::ir::{FnCell, GlobalCell};
use crate::runtime::effects::BUILTIN_OPERATIONS;
use crate::runtime::value::Value;

/// A global binding.
#[derive(Clone)]
pub(super) enum Global {
    /// A top-level `let` or `var`.
    Value {
        /// The cell holding its value for the rest of the session.
        cell: GlobalCell,
        /// Whether it is a `var` (assignable).
        mutable: bool,
    },
    /// A top-level `fn`: the cell its closure is put in when its program starts.
    Fn(FnCell),
}

/// Names that persist across the units of one session (the REPL's definitions).
pub struct Env {
    /// The top-level `let`s, `var`s and `fn`s, by name.
    pub(super) globals: HashMap<String, Global>,
    /// The declared operations, by name: the id (kept when the operation is declared again)
    /// and the arity of its latest declaration.
    pub(super) effects: HashMap<String, (OpId, usize)>,
    /// Names and arities of the operations, by id.
    op_names: Vec<(Rc<str>, usize)>,
    /// What the latest unit resolved has changed, oldest first, to be undone if it fails
    /// (copying the whole environment per unit made a session of many definitions
    /// quadratic).
    undo: Vec<Undo>,
    /// The standard library's functions written in kont (the prelude's top-level `fn`s),
    /// found after the globals: a program's own definition of a name shadows them.
    pub(super) library: Rc<HashMap<String, Global>>,
    /// Whether the library's internal built-ins (`__callback_error`, …) resolve: only while
    /// the prelude itself is resolved.
    pub(super) internal: bool,
}

/// One change to an [`Env`], with what it replaced.
enum Undo {
    /// A global was defined; it had the binding given, or none.
    Global(String, Option<Global>),
    /// An operation was declared: the name had the id and arity given, or none; whether
    /// the declaration took a new id (then the last of `op_names`).
    Effect(String, Option<(OpId, usize)>, bool),
}

impl Default for Env {
    /// An environment with no definitions but the built-in operations (`Print`, `ReadLine`,
    /// `Fail`), whose ids are the runtime's [`BUILTIN_OPERATIONS`] indexes.
    fn default() -> Env {
        let mut env = Env {
            globals: HashMap::new(),
            effects: HashMap::new(),
            op_names: Vec::new(),
            undo: Vec::new(),
            library: Rc::default(),
            internal: false,
        };
        for (name, arity) in BUILTIN_OPERATIONS {
            env.op_names.push((name.into(), arity));
            env.effects
                .insert(name.to_string(), (env.op_names.len() - 1, arity));
        }
        env
    }
}

impl Env {
    /// The environment the prelude is resolved in: its internal built-ins resolve.
    pub fn for_prelude() -> Env {
        Env {
            internal: true,
            ..Env::default()
        }
    }

    /// An environment whose library is what `prelude`, the environment the prelude was
    /// resolved in, defined.
    pub fn with_library(prelude: &Env) -> Env {
        Env {
            library: Rc::new(prelude.globals.clone()),
            ..Env::default()
        }
    }

    /// Replaces the library by what `prelude`, the environment the prelude was resolved in
    /// again, defined (the prelude compiled with frame records).
    pub fn set_library(&mut self, prelude: &Env) {
        self.library = Rc::new(prelude.globals.clone());
    }

    /// Defines the global `name`.
    pub(super) fn define(&mut self, name: &str, global: Global) {
        let old = self.globals.insert(name.to_string(), global);
        self.undo.push(Undo::Global(name.to_string(), old));
    }

    /// Declares the operation `name` with `arity` parameters: a new one gets the next
    /// [`OpId`]; one declared again keeps its id and takes the new arity, except a built-in
    /// operation, which the program's own declaration shadows with a new one (`print` and
    /// runtime errors keep performing the built-in one).
    pub(super) fn declare_effect(&mut self, name: &str, arity: usize) {
        let old = self.effects.get(name).copied();
        let (id, new) = match old {
            Some((id, _)) if id >= BUILTIN_OPERATIONS.len() => {
                self.op_names[id].1 = arity;
                (id, false)
            }
            _ => {
                self.op_names.push((name.into(), arity));
                (self.op_names.len() - 1, true)
            }
        };
        self.effects.insert(name.to_string(), (id, arity));
        self.undo.push(Undo::Effect(name.to_string(), old, new));
    }

    /// Starts a unit: the changes of the one before are kept for good.
    pub(super) fn begin_unit(&mut self) {
        self.undo.clear();
    }

    /// Ends the unit being resolved: keeps its changes if it `succeeded`, else undoes them.
    pub(super) fn end_unit(&mut self, succeeded: bool) {
        if !succeeded {
            self.roll_back();
        }
    }

    /// Undoes what the latest unit resolved defined, which has not run (its warnings were
    /// denied).
    pub fn undo_unit(&mut self) {
        self.roll_back();
    }

    /// Undoes the changes of the unit being resolved, newest first.
    fn roll_back(&mut self) {
        while let Some(change) = self.undo.pop() {
            match change {
                Undo::Global(name, Some(old)) => {
                    self.globals.insert(name, old);
                }
                Undo::Global(name, None) => {
                    self.globals.remove(&name);
                }
                Undo::Effect(name, old, new) => {
                    if new {
                        self.op_names.pop();
                    }
                    match old {
                        Some((id, arity)) => {
                            self.op_names[id].1 = arity;
                            self.effects.insert(name, (id, arity));
                        }
                        None => {
                            self.effects.remove(&name);
                        }
                    }
                }
            }
        }
    }

    /// The program's global variables and top-level functions that have a value, sorted by
    /// name (the library's are not among them): where the REPL's `:conts` looks for the
    /// continuations the session holds.
    pub fn global_values(&self) -> Vec<(String, Value)> {
        let mut found: Vec<(String, Value)> = self
            .globals
            .iter()
            .filter_map(|(name, global)| {
                let value = match global {
                    Global::Value { cell, .. } => cell.borrow().clone(),
                    Global::Fn(cell) => Value::Func(cell.get()?.clone()),
                };
                Some((name.clone(), value))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// The declared operations, indexed by [`OpId`].
    pub fn operations(&self) -> &[(Rc<str>, usize)] {
        &self.op_names
    }

    /// The value of the global `let` or `var` called `name`, if there is one (not a
    /// function's: its closure is made when its program starts).
    pub fn value_of(&self, name: &str) -> Option<crate::runtime::value::Value> {
        match self.globals.get(name)? {
            Global::Value { cell, .. } => Some(cell.borrow().clone()),
            Global::Fn(_) => None,
        }
    }

    /// The names defined so far: top-level variables and functions, operations, and the
    /// library's functions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.globals
            .keys()
            .chain(self.effects.keys())
            .chain(self.library.keys())
            .map(|n| n.as_str())
    }
}
