//! `match` arms and patterns: names bound to slots, names read as parts of a scrutinee that
//! nothing reassigns ([`Place::Part`]), or-patterns whose alternatives share their
//! variables, and the limit on how deeply patterns nest ([`MAX_PATTERN_NESTING`]).
//!
//! [`Place::Part`]: crate::ir::Place::Part

use super::{CompileErrorKind, Res, Resolver};
use crate::ir::{Arm, Part, Pat, VarId};
use crate::runtime::symbol::Symbol;
use crate::runtime::value::Value;
use crate::span::Span;
use crate::syntax::ast::{self, BindPat, Pattern};

/// How deeply patterns (and the names and tuples of `let` and `for`) may nest, a list
/// pattern `[p, q, …]` counting a level per element. Matching one recurses natively once
/// per level, on the stack of a continuation, between two checks of it: 1,000 levels take
/// well under the stack's red zone (about 50 bytes each).
pub const MAX_PATTERN_NESTING: usize = 1_000;

/// How deeply `p` nests (a name or literal is one level), counted without recursion.
fn pattern_depth(p: &Pattern) -> usize {
    let mut deepest = 0;
    let mut work = vec![(p, 1)];
    while let Some((p, depth)) = work.pop() {
        deepest = deepest.max(depth);
        match p {
            Pattern::Tuple(items, _) | Pattern::Ctor(_, items, _) | Pattern::Or(items, _) => {
                work.extend(items.iter().map(|q| (q, depth + 1)));
            }
            // `[p, q]` is `p :: q :: []`.
            Pattern::List(items, _) => {
                deepest = deepest.max(depth + items.len());
                work.extend(items.iter().enumerate().map(|(i, q)| (q, depth + i + 1)));
            }
            Pattern::Cons(h, t, _) => work.extend([(&**h, depth + 1), (&**t, depth + 1)]),
            _ => {}
        }
    }
    deepest
}

/// How deeply the left-hand side of a `let` or `for` nests, counted without recursion.
pub(super) fn bind_depth(p: &BindPat) -> usize {
    let mut deepest = 0;
    let mut work = vec![(p, 1)];
    while let Some((p, depth)) = work.pop() {
        deepest = deepest.max(depth);
        if let BindPat::Tuple(items, _) = p {
            work.extend(items.iter().map(|q| (q, depth + 1)));
        }
    }
    deepest
}

/// The error for a pattern nested deeper than [`MAX_PATTERN_NESTING`] levels.
pub(super) fn check_pattern_depth(depth: usize, span: Span) -> Res<()> {
    if depth <= MAX_PATTERN_NESTING {
        return Ok(());
    }
    Err(CompileErrorKind::PatternNestedTooDeeply.at(span))
}

/// A flat pattern whose names were declared as parts of the scrutinee, before the arm is
/// resolved (see [`Resolver::settle_parts`]).
enum PartPattern {
    /// `Name(a, _, …)`: the constructor and each field's name (`None` for `_`).
    Ctor(Symbol, Vec<Option<VarId>>),
    /// `h :: t`.
    Cons(Option<VarId>, Option<VarId>),
}

impl Resolver<'_> {
    /// Resolves a `match` arm; `of` is the scrutinee if it is a local whose slot nothing
    /// writes while the arm runs, so that a flat pattern's names can be its parts.
    pub(super) fn arm(&mut self, arm: &ast::Arm, of: Option<VarId>, tail: bool) -> Res<Arm> {
        check_pattern_depth(pattern_depth(&arm.pattern), arm.pattern.span())?;
        self.cur().scopes.push();
        let result = (|| {
            let parts = of.and_then(|of| self.part_pattern(&arm.pattern, of));
            let pat = match parts {
                Some(_) => Pat::Wild,
                None => self.pattern(&arm.pattern)?,
            };
            let guard = arm
                .guard
                .as_ref()
                .map(|g| self.expr(g, false))
                .transpose()?;
            let body = self.expr(&arm.body, tail)?;
            let pat = match parts {
                Some(parts) => self.settle_parts(parts),
                None => pat,
            };
            Ok(Arm { pat, guard, body })
        })();
        self.cur().scopes.pop();
        result
    }

    /// Whether local `v` keeps its value while the code in its scope that follows runs: an
    /// immutable variable with a slot of its own (a parameter, a `let`, a pattern's or a
    /// `for` loop's name). Only its binding writes it, and that runs again only once
    /// control has left such code (the next round of a loop, the next call). Tail calls
    /// write parameters' slots, but only after evaluating every argument, as control leaves
    /// the function's body. A `let` may be boxed (captured by a function declared before
    /// it): its cell is written only by the `let` too.
    pub(super) fn never_reassigned(&self, v: VarId) -> bool {
        let m = &self.meta[v];
        !m.mutable && !m.is_fn && self.vars[v].alias.is_none()
    }

    /// A constructor pattern whose fields are all names or `_`, or `h :: t` with names or
    /// `_`, matched against local `of` (see [`Resolver::never_reassigned`]): its names are
    /// declared as parts of `of`, to be settled once the arm is resolved. `None` for other
    /// patterns.
    fn part_pattern(&mut self, p: &Pattern, of: VarId) -> Option<PartPattern> {
        let simple = |p: &Pattern| matches!(p, Pattern::Bind(_) | Pattern::Wildcard(_));
        let mut part = |p: &Pattern, part| match p {
            Pattern::Bind(name) => Some(self.declare_part(&name.name, of, part)),
            _ => None,
        };
        match p {
            Pattern::Ctor(id, args, _) if !args.is_empty() && args.iter().all(simple) => {
                let fields = args
                    .iter()
                    .enumerate()
                    .map(|(i, arg)| part(arg, Part::Field(i)))
                    .collect();
                Some(PartPattern::Ctor(Symbol::intern(&id.name), fields))
            }
            Pattern::Cons(h, t, _) if simple(h) && simple(t) => {
                let head = part(h, Part::Head);
                Some(PartPattern::Cons(head, part(t, Part::Tail)))
            }
            _ => None,
        }
    }

    /// The pattern of an arm whose names were declared as parts (see [`Place::Part`]), now
    /// that its uses are known: a name used at most once, and not in a loop, stays a part
    /// and the pattern binds nothing to it; any other gets a slot of its own and is bound
    /// to it as usual (a read through the scrutinee each time would cost more than one
    /// copy into a slot).
    ///
    /// [`Place::Part`]: crate::ir::Place::Part
    fn settle_parts(&mut self, parts: PartPattern) -> Pat {
        let mut settle = |v: Option<VarId>| match v {
            Some(v) if self.meta[v].uses > 1 || self.meta[v].used_in_loop => {
                let f = self.fns.last_mut().expect("a function context");
                self.vars[v].slot = f.nslots;
                self.vars[v].alias = None;
                f.nslots += 1;
                Pat::Bind(v)
            }
            _ => Pat::Wild,
        };
        match parts {
            PartPattern::Ctor(sym, fields) => {
                Pat::Ctor(sym, fields.into_iter().map(settle).collect())
            }
            PartPattern::Cons(h, t) => Pat::Cons(Box::new(settle(h)), Box::new(settle(t))),
        }
    }

    /// Resolves a pattern, declaring its names in the current scope; a list pattern
    /// `[p, q]` becomes `p :: q :: []`.
    fn pattern(&mut self, p: &Pattern) -> Res<Pat> {
        Ok(match p {
            Pattern::Wildcard(_) => Pat::Wild,
            Pattern::Bind(id) => Pat::Bind(self.declare(&id.name, false, true)),
            Pattern::Int(i, _) => Pat::Lit(Value::Int(*i)),
            Pattern::Float(f, _) => Pat::Lit(Value::float(*f)),
            Pattern::Str(s, _) => Pat::Lit(Value::str(s.clone())),
            Pattern::Bool(b, _) => Pat::Lit(Value::bool(*b)),
            Pattern::Unit(_) => Pat::Lit(Value::Unit),
            Pattern::Tuple(items, _) => Pat::Tuple(self.patterns(items)?),
            Pattern::List(items, _) => items.iter().rev().try_fold(Pat::Nil, |tail, item| {
                Ok(Pat::Cons(Box::new(self.pattern(item)?), Box::new(tail)))
            })?,
            Pattern::Cons(h, t, _) => {
                Pat::Cons(Box::new(self.pattern(h)?), Box::new(self.pattern(t)?))
            }
            Pattern::Ctor(id, args, _) => Pat::Ctor(Symbol::intern(&id.name), self.patterns(args)?),
            Pattern::Or(alts, span) => self.or_pattern(alts, *span)?,
        })
    }

    /// Resolves each of `ps` (see [`Resolver::pattern`]).
    fn patterns(&mut self, ps: &[Pattern]) -> Res<Vec<Pat>> {
        ps.iter().map(|p| self.pattern(p)).collect()
    }

    /// `p | q`: every alternative must bind the same names; they share the variables.
    fn or_pattern(&mut self, alts: &[Pattern], span: Span) -> Res<Pat> {
        let mut names: Vec<Vec<String>> = Vec::new();
        for a in alts {
            let mut n = Vec::new();
            collect_pattern_names(a, &mut n);
            n.sort();
            names.push(n);
        }
        if names.windows(2).any(|w| w[0] != w[1]) {
            return Err(CompileErrorKind::OrPatternNames.at(span));
        }
        let scope_len = self.fns.last().expect("fn").scopes.innermost().len();
        let first = self.pattern(&alts[0])?;
        let mut out = vec![first];
        for a in &alts[1..] {
            // Resolve the next alternative with the same variables as the first.
            let bound: Vec<(String, VarId)> = self.cur().scopes.innermost()[scope_len..].to_vec();
            out.push(self.pattern_reusing(a, &bound)?);
        }
        Ok(Pat::Or(out))
    }

    /// Resolves an alternative of an or-pattern after the first: its names stand for the
    /// variables the first one bound, in `bound`, rather than new ones.
    fn pattern_reusing(&mut self, p: &Pattern, bound: &[(String, VarId)]) -> Res<Pat> {
        Ok(match p {
            Pattern::Bind(id) => {
                let v = bound
                    .iter()
                    .find(|(n, _)| *n == id.name)
                    .map(|&(_, v)| v)
                    .expect("checked: same names in every alternative");
                Pat::Bind(v)
            }
            Pattern::Tuple(items, _) => Pat::Tuple(self.patterns_reusing(items, bound)?),
            Pattern::List(items, _) => items.iter().rev().try_fold(Pat::Nil, |tail, item| {
                Ok(Pat::Cons(
                    Box::new(self.pattern_reusing(item, bound)?),
                    Box::new(tail),
                ))
            })?,
            Pattern::Cons(h, t, _) => Pat::Cons(
                Box::new(self.pattern_reusing(h, bound)?),
                Box::new(self.pattern_reusing(t, bound)?),
            ),
            Pattern::Ctor(id, args, _) => Pat::Ctor(
                Symbol::intern(&id.name),
                self.patterns_reusing(args, bound)?,
            ),
            Pattern::Or(alts, _) => Pat::Or(self.patterns_reusing(alts, bound)?),
            other => self.pattern(other)?,
        })
    }

    /// Resolves each of `ps` (see [`Resolver::pattern_reusing`]).
    fn patterns_reusing(&mut self, ps: &[Pattern], bound: &[(String, VarId)]) -> Res<Vec<Pat>> {
        ps.iter().map(|p| self.pattern_reusing(p, bound)).collect()
    }
}

/// Appends the names a pattern binds to `out` (of an or-pattern, those of its first
/// alternative).
fn collect_pattern_names(p: &Pattern, out: &mut Vec<String>) {
    match p {
        Pattern::Bind(id) => out.push(id.name.clone()),
        Pattern::Tuple(items, _) | Pattern::List(items, _) | Pattern::Ctor(_, items, _) => {
            items.iter().for_each(|i| collect_pattern_names(i, out))
        }
        Pattern::Cons(h, t, _) => {
            collect_pattern_names(h, out);
            collect_pattern_names(t, out);
        }
        Pattern::Or(alts, _) => {
            if let Some(first) = alts.first() {
                collect_pattern_names(first, out);
            }
        }
        _ => {}
    }
}
