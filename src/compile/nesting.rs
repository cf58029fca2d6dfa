//! Native-stack checks in deeply nested code.
//!
//! Evaluating nested expressions recurses natively, a level or two of native frames per
//! level of nesting, with no call in between to check the stack. Every
//! [`STACK_CHECK_EVERY`] levels, the compiled code checks it first and, when it is nearly
//! exhausted, continues on a stack extension as a call does (see [`Compiler::nested`]).
//! Invariant: every expression, statement and condition is compiled through
//! [`Compiler::nested`], which also records how deep the function's code nests (for
//! [`Proto::deep`](crate::runtime::function::Proto::deep)) and the location of the innermost
//! node that has one (the site of a stack extension).

use std::rc::Rc;

use super::failure::resumed_bool;
use super::{CodeOf, Compiler};
use crate::ir::Ir;
use crate::runtime::extension;
use crate::runtime::function::Closure;
use crate::runtime::value::{Value, discard};
use crate::runtime::{Ctrl, Ctx};
use crate::span::Span;

/// Every this many levels of nested expressions, compiled code checks the native stack (see
/// [`Compiler::expr`]). A level takes a native frame or two, at most a few hundred bytes, so
/// the levels between two checks fit in the stack's red zone many times over.
pub(super) const STACK_CHECK_EVERY: usize = 128;

/// A result type of compiled code that can come back from a stack extension, where code
/// runs as an expression: a [`Value`], a condition's `bool`, a statement's `()`.
pub(super) trait ViaValue: Sized + 'static {
    /// The result as the value of an expression.
    fn into_value(self) -> Value;
    /// The result back from the value [`ViaValue::into_value`] made.
    fn from_value(v: Value) -> Self;
    /// The result a failed operation has when a `Fail` handler resumes it with `v` (see
    /// `failure`): a condition's `v` must be a boolean.
    fn from_resumed(ctx: &mut Ctx, v: Value, span: Span) -> Result<Self, Ctrl>;
}

impl ViaValue for Value {
    fn into_value(self) -> Value {
        self
    }
    fn from_value(v: Value) -> Value {
        v
    }
    fn from_resumed(_: &mut Ctx, v: Value, _: Span) -> Result<Value, Ctrl> {
        Ok(v)
    }
}

impl ViaValue for bool {
    fn into_value(self) -> Value {
        Value::bool(self)
    }
    fn from_value(v: Value) -> bool {
        matches!(v, Value::True)
    }
    fn from_resumed(ctx: &mut Ctx, v: Value, span: Span) -> Result<bool, Ctrl> {
        resumed_bool(ctx, v, span)
    }
}

impl ViaValue for () {
    fn into_value(self) -> Value {
        Value::Unit
    }
    fn from_value(_: Value) {}
    fn from_resumed(_: &mut Ctx, v: Value, _: Span) -> Result<(), Ctrl> {
        discard(v);
        Ok(())
    }
}

/// Compiled code of result type `T`, shared with a stack extension.
type SharedCodeOf<T> = Rc<dyn Fn(&mut Ctx, &Closure) -> Result<T, Ctrl>>;

/// `code`, run after a check of the native stack: on a stack extension if it is nearly
/// exhausted (see [`Compiler::nested`]).
fn stack_checked<T: ViaValue>(code: CodeOf<T>, site: Span) -> CodeOf<T> {
    let code: SharedCodeOf<T> = Rc::from(code);
    // The same code as an expression, for the extension; made once, here.
    let on_extension: extension::SharedCode = {
        let code = code.clone();
        Rc::new(move |ctx, clo| code(ctx, clo).map(T::into_value))
    };
    Box::new(move |ctx, clo| {
        if crate::stack::approximate_sp() < ctx.limit {
            return extension::extend_for_code(ctx, on_extension.clone(), clo, site)
                .map(T::from_value);
        }
        code(ctx, clo)
    })
}

/// Where `ir` is written, for the nodes that record it.
fn ir_span(ir: &Ir) -> Option<Span> {
    match ir {
        Ir::SetIndex(.., span)
        | Ir::If(.., span)
        | Ir::While(.., span)
        | Ir::ForRange(.., span)
        | Ir::ForEach(.., span)
        | Ir::Match(.., span)
        | Ir::Call { span, .. }
        | Ir::Binary(.., span)
        | Ir::And(.., span)
        | Ir::Or(.., span)
        | Ir::Not(_, span)
        | Ir::Neg(_, span)
        | Ir::Index(.., span)
        | Ir::Suspend(.., span)
        | Ir::Handle(.., span)
        | Ir::Resume { span, .. }
        | Ir::Cont(_, span)
        | Ir::Discontinue(_, span) => Some(*span),
        _ => None,
    }
}

impl Compiler<'_> {
    /// The code `compile` makes of `ir`, one level of nesting deeper. Evaluating nested
    /// expressions, statements and conditions recurses natively, a level or two of native
    /// frames per level of nesting, with no call in between to check the stack (calls check
    /// it, see `function::invoke`); so every [`STACK_CHECK_EVERY`] levels the code checks it
    /// first and, when it is nearly exhausted, continues on a stack extension as a call does.
    /// A sum of 8,000 terms then runs, where it overflowed the stack; inside a continuation,
    /// whose stack has no guard page, it would have written over its neighbour's.
    pub(super) fn nested<T: ViaValue>(
        &self,
        ir: &Ir,
        compile: impl FnOnce() -> CodeOf<T>,
    ) -> CodeOf<T> {
        let depth = self.nesting.get() + 1;
        let near = self.near.get();
        self.nesting.set(depth);
        self.code_depth.set(self.code_depth.get().max(depth));
        if let Some(span) = ir_span(ir) {
            self.near.set(span);
        }
        let code = compile();
        let site = self.near.replace(near);
        self.nesting.set(depth - 1);
        if depth.is_multiple_of(STACK_CHECK_EVERY) {
            stack_checked(code, site)
        } else {
            code
        }
    }
}
