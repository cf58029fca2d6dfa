//! Declaring local variables, and finding where a name lives: a local of the current
//! function, one captured from an enclosing function (the capture threaded through each
//! function in between), a global, or a built-in.
//!
//! Invariant: every variable of the unit has a [`VarMeta`] at the same index as its
//! [`VarInfo`]; a name's uses are counted where it is looked up, which the decisions about
//! parts and tail-resumptive clauses rely on.

use super::env::Global;
use super::{Binding, CompileError, CompileErrorKind, Res, Resolver};
use crate::ir::{CaptureFrom, Part, Place, VarId, VarInfo};
use crate::span::Span;
use crate::stdlib;
use crate::syntax::ast;

/// Facts about a local variable gathered while resolving.
pub(super) struct VarMeta {
    /// Whether it is a `var` (assignable).
    pub(super) mutable: bool,
    /// Bound before any closure of its function can be made (parameters, pattern and loop
    /// variables): never needs a cell to be shared early.
    pub(super) initialised_early: bool,
    /// Whether a nested function captures it as a variable (not as a part, nor as the
    /// function naming itself).
    pub(super) captured: bool,
    /// Whether a `fn` declaration captures it: hoisted, the closure may be made before the
    /// variable is initialised.
    pub(super) captured_by_decl: bool,
    /// How many times the code names it (reads and assignments): for a clause's `k`,
    /// compared with its tail resumes; for a part, whether it keeps one (see
    /// [`Resolver::settle_parts`]).
    pub(super) uses: usize,
    /// Whether it holds a local `fn` declaration (which cannot be assigned).
    pub(super) is_fn: bool,
    /// How many loops of its function enclose its declaration.
    pub(super) loops: usize,
    /// Whether it is used inside a loop that does not enclose its declaration (or by a
    /// closure made there): for a part ([`Place::Part`]), a use that may run many times.
    pub(super) used_in_loop: bool,
    /// For a name that is reported if nothing uses it (a `let`, a `var`, a parameter, a
    /// clause's continuation): where it is bound, and by what. `None` for the others.
    pub(super) bound: Option<(Span, Binding)>,
}

impl Resolver<'_> {
    /// A new variable of the current function, with a slot of its own, not yet in scope;
    /// `early` as for [`VarMeta::initialised_early`].
    pub(super) fn new_var(&mut self, name: &str, mutable: bool, early: bool) -> VarId {
        let ctx = self.cur();
        let slot = ctx.nslots;
        ctx.nslots += 1;
        self.push_var(name, slot, None, mutable, early)
    }

    /// Records a new variable of the current function.
    fn push_var(
        &mut self,
        name: &str,
        slot: usize,
        alias: Option<(VarId, Part)>,
        mutable: bool,
        early: bool,
    ) -> VarId {
        let loops = self.cur().loops;
        let id = self.vars.len();
        self.vars.push(VarInfo {
            name: name.to_string(),
            slot,
            boxed: false,
            alias,
        });
        self.meta.push(VarMeta {
            mutable,
            initialised_early: early,
            captured: false,
            captured_by_decl: false,
            uses: 0,
            is_fn: false,
            loops,
            used_in_loop: false,
            bound: None,
        });
        id
    }

    /// Puts `name` in the current function's innermost scope, standing for `var`.
    fn bind_name(&mut self, name: &str, var: VarId) {
        self.cur().scopes.bind(name, var);
    }

    /// A new variable in the current scope, visible from now on.
    pub(super) fn declare(&mut self, name: &str, mutable: bool, early: bool) -> VarId {
        let v = self.new_var(name, mutable, early);
        self.bind_name(name, v);
        v
    }

    /// A new variable for `name`, visible from now on, reported if nothing uses it: one
    /// bound by `binding` at `name`'s place (see [`VarMeta::bound`]).
    pub(super) fn declare_checked(
        &mut self,
        name: &ast::Ident,
        binding: Binding,
        mutable: bool,
        early: bool,
    ) -> VarId {
        let v = self.declare(&name.name, mutable, early);
        self.meta[v].bound = Some((name.span, binding));
        v
    }

    /// A name for `part` of local `of`, visible from now on: a variable without a slot,
    /// until [`Resolver::settle_parts`] gives it one (see [`Place::Part`]).
    pub(super) fn declare_part(&mut self, name: &str, of: VarId, part: Part) -> VarId {
        let id = self.push_var(name, usize::MAX, Some((of, part)), false, true);
        self.bind_name(name, id);
        id
    }

    /// Whether resolution is at the unit's top level, outside any block: where `let` and
    /// `var` make globals.
    pub(super) fn in_main_top_scope(&self) -> bool {
        let f = self.fns.last().expect("a function context");
        f.is_main && f.scopes.depth() == 1
    }

    /// The variable `name` stands for in the scopes of function `level` (an index into
    /// `fns`), the latest binding first; `None` if it has none there.
    pub(super) fn lookup_local(&self, level: usize, name: &str) -> Option<VarId> {
        self.fns[level].scopes.lookup(name)
    }

    /// Where `name` lives, seen from the current function; records captures on the way,
    /// and whether the unit names the built-in `backtrace`.
    pub(super) fn lookup(&mut self, name: &str) -> Option<Place> {
        let cur = self.fns.len() - 1;
        for level in (0..=cur).rev() {
            if let Some(v) = self.lookup_local(level, name) {
                let m = &mut self.meta[v];
                m.uses += 1;
                m.used_in_loop |= self.fns[level].loops > m.loops;
                return Some(self.capture_chain(level, v));
            }
        }
        let global = self.env.globals.get(name);
        match global.or_else(|| self.env.library.get(name)) {
            Some(Global::Value { cell, .. }) => Some(Place::Global(cell.clone())),
            Some(Global::Fn(cell)) => Some(Place::GlobalFn(cell.clone(), name.into())),
            None => {
                let builtin = stdlib::lookup(name).or_else(|| {
                    self.env
                        .internal
                        .then(|| stdlib::lookup_internal(name))
                        .flatten()
                })?;
                self.names_backtrace |= builtin.name == stdlib::BACKTRACE;
                Some(Place::Builtin(builtin))
            }
        }
    }

    /// Threads variable `v` of function `level` into the current function as a capture.
    fn capture_chain(&mut self, level: usize, v: VarId) -> Place {
        let cur = self.fns.len() - 1;
        let part = self.vars[v].alias.is_some();
        if level == cur {
            return if part {
                Place::Part(v)
            } else {
                Place::Local(v)
            };
        }
        let mut from = if part {
            CaptureFrom::Part(v)
        } else {
            CaptureFrom::Local(v)
        };
        let mut place = Place::Local(v);
        for l in level + 1..=cur {
            if matches!(from, CaptureFrom::Local(x) if x == v) && self.fns[l].self_var == Some(v) {
                from = CaptureFrom::SelfFn;
                place = Place::SelfFn;
                continue;
            }
            if let CaptureFrom::Local(x) = from {
                self.meta[x].captured = true;
                if self.fns[l].is_decl {
                    self.meta[x].captured_by_decl = true;
                }
            }
            let f = &mut self.fns[l];
            let idx = match f.capture_keys.iter().position(|&k| k == v) {
                Some(i) => i,
                None => {
                    f.captures.push(from.clone());
                    f.capture_keys.push(v);
                    f.captures.len() - 1
                }
            };
            from = CaptureFrom::Capture(idx, v);
            place = Place::Capture(idx, v);
        }
        place
    }

    /// Where the target of an assignment lives; a compile error unless it is a `var`
    /// (local, captured or global).
    pub(super) fn assignable(&mut self, target: &ast::Ident) -> Res<Place> {
        let cur = self.fns.len() - 1;
        for level in (0..=cur).rev() {
            if let Some(v) = self.lookup_local(level, &target.name) {
                if !self.meta[v].mutable {
                    return Err(immutable_error(target, self.meta[v].is_fn));
                }
                self.meta[v].uses += 1;
                return Ok(self.capture_chain(level, v));
            }
        }
        match self.env.globals.get(&target.name) {
            Some(Global::Value {
                cell,
                mutable: true,
            }) => Ok(Place::Global(cell.clone())),
            Some(Global::Value { .. }) => Err(immutable_error(target, false)),
            Some(Global::Fn(_)) => Err(immutable_error(target, true)),
            None if stdlib::lookup(&target.name).is_some()
                || self.env.library.contains_key(&target.name) =>
            {
                Err(immutable_error(target, true))
            }
            None => {
                let similar = self.similar_name(&target.name);
                Err(CompileErrorKind::AssignToUnknown(target.name.clone(), similar).at(target.span))
            }
        }
    }
}

/// The error for assigning to `target`, which cannot be: a function (`is_fn`) or a `let`.
fn immutable_error(target: &ast::Ident, is_fn: bool) -> CompileError {
    let name = target.name.clone();
    let kind = if is_fn {
        CompileErrorKind::AssignToFunction(name)
    } else {
        CompileErrorKind::AssignToImmutable(name)
    };
    kind.at(target.span)
}
