//! The checks that find the unit's warnings ([`super::warning`]): names that nothing uses
//! (counted where names are looked up, so known once the unit is resolved), a clause's
//! continuation that nothing resumes, and statements after a `return`.
//!
//! Invariant: each check costs time in proportion to the code it looks at, so that
//! warnings do not slow compilation down: the unused names are one pass over the unit's
//! variables, and a block's statements are looked into at most [`RETURN_DEPTH`] levels deep.

use super::Resolver;
use super::warning::{Binding, Warning, WarningKind};
use crate::syntax::ast::{Block, Expr, ExprKind, Stmt};

/// How many levels of nested blocks, `if`s and `match`es are looked into to decide whether
/// a statement always returns (a `return` nested deeper is not seen, and nothing after it
/// is reported): each block is looked into by the blocks around it too, so a limit keeps
/// the check linear in the size of the unit.
const RETURN_DEPTH: usize = 8;

impl Resolver<'_> {
    /// The unit's warnings, in the order of their places: those found while resolving, and
    /// the names that nothing used.
    pub(super) fn finish_warnings(&mut self) -> Vec<Warning> {
        let unused = self.meta.iter().zip(&self.vars).filter_map(|(m, info)| {
            let (span, binding) = m.bound?;
            if m.uses > 0 || info.name.starts_with('_') {
                return None;
            }
            let kind = match binding {
                Binding::Continuation => WarningKind::ContinuationDropped(info.name.clone()),
                _ => WarningKind::Unused(binding, info.name.clone()),
            };
            Some(kind.at(span))
        });
        let mut warnings: Vec<Warning> = std::mem::take(&mut self.warnings);
        warnings.extend(unused);
        warnings.sort_by_key(|w| (w.span.start, w.span.end));
        warnings
    }

    /// Warns about the first statement of a block (`fn` and `effect` declarations apart)
    /// that follows one that always returns.
    pub(super) fn check_unreachable(&mut self, stmts: &[Stmt]) {
        let Some(at) = stmts.iter().position(|s| returns(s, RETURN_DEPTH)) else {
            return;
        };
        let next = stmts[at + 1..]
            .iter()
            .find(|s| !matches!(s, Stmt::Fn(_) | Stmt::Effect { .. }));
        if let (Some(next), Some(ret)) = (next.and_then(stmt_span), stmt_span(&stmts[at])) {
            let mut warning = WarningKind::Unreachable.at(next);
            warning.because = Some(ret);
            self.warnings.push(warning);
        }
    }
}

/// Where a statement is (`None` for declarations, which are not code that runs there).
fn stmt_span(s: &Stmt) -> Option<crate::span::Span> {
    match s {
        Stmt::Let { span, .. } | Stmt::Assign { span, .. } | Stmt::IndexAssign { span, .. } => {
            Some(*span)
        }
        Stmt::Expr { expr, .. } => Some(expr.span),
        Stmt::Fn(_) | Stmt::Effect { .. } => None,
    }
}

/// Whether statement `s` always ends its function with a `return`, looking `depth` levels
/// into nested code.
fn returns(s: &Stmt, depth: usize) -> bool {
    match s {
        Stmt::Expr { expr, .. } => expr_returns(expr, depth),
        _ => false,
    }
}

/// Whether `e` always ends its function with a `return`: a `return`, a block holding a
/// statement that does, an `if` with an `else` both branches of which do, a `match` all of
/// whose arms do; looking `depth` levels into nested code.
fn expr_returns(e: &Expr, depth: usize) -> bool {
    let Some(depth) = depth.checked_sub(1) else {
        return false;
    };
    match &e.kind {
        ExprKind::Return(_) => true,
        ExprKind::Block(b) => block_returns(b, depth),
        ExprKind::If(_, then, Some(els)) => block_returns(then, depth) && expr_returns(els, depth),
        ExprKind::Match(_, arms) => {
            !arms.is_empty() && arms.iter().all(|a| expr_returns(&a.body, depth))
        }
        _ => false,
    }
}

/// Whether one of the statements of `b` always returns (see [`expr_returns`]).
fn block_returns(b: &Block, depth: usize) -> bool {
    b.stmts.iter().any(|s| returns(s, depth))
}
