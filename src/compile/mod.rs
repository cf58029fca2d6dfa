//! The closure compiler: [`ir`](crate::ir) to a tree of Rust closures, once, before running.
//!
//! Every IR node becomes one boxed closure `Fn(&mut Ctx, &Closure) -> R` that evaluates the
//! node by calling its children's closures. Nothing looks at the syntax tree at run time.
//! A node whose value is not used (a statement, a loop body) is compiled to a `Stmt`
//! instead, which builds no value and returns one word in a register.
//! Common shapes get closures of their own so that the hot paths do little work: integer
//! arithmetic and comparisons with a local or constant operand, calls to top-level functions
//! and self-calls (no reference-count traffic), and calls in tail position (which reuse the
//! caller's frame; see `runtime::function`).
//!
//! Each such closure is a *specialisation* (the kinds are listed by `Special`): the construct
//! also has a general closure, which handles every shape, and the specialised one must give
//! the same results. On the *generic path* ([`compile_unit`]'s `generic`, `kont --generic`,
//! `KONT_GENERIC=1`) the compiler makes the general closure of every construct and no
//! specialised one; the golden programs and the differential test run both ways, so each
//! specialisation is checked against its general closure. Invariants: a specialised closure
//! is made only where `Compiler::specialising` says so, asked once the construct's shape is
//! known to fit; each part of a construct is compiled once, whichever closure is made.
//!
//! The compiler is split by construct:
//! - this module: the entry point, the types of compiled code, and the dispatch of a node to
//!   the code for its construct (as a value, `Compiler::expr`, or as a statement,
//!   `Compiler::stmt`);
//! - `nesting`: the native-stack checks that deeply nested expressions run;
//! - `functions`: prototypes and closures (what a new closure captures);
//! - `operands`: operands read in place (locals, captured constants, ints) and call
//!   arguments;
//! - `vars`: reading, assigning, binding and updating variables, and `a[i] = v`;
//! - `control`: blocks, `if`, loops;
//! - `matching`: `match` and its patterns;
//! - `calls`: calls, with the shapes of call that get closures of their own;
//! - `operators`: operators, `a[i]` and conditions;
//! - `effects`: `suspend`, `handle`, `resume` and continuations;
//! - `traced`: their traced closures, which record each effect event for a trace;
//! - `recorded`: frame records kept around calls and function bodies, for `backtrace`;
//! - `failure`: runtime errors the compiled code raises, offered to `Fail` handlers.
//!
//! What an operator, an index or a store does to values is the runtime's
//! ([`ops`]); how a call or a tail call moves its arguments is the call
//! protocol's ([`function`](crate::runtime::function)). The compiler chooses which of those
//! operations a node runs, on what operands, and in what order.

mod calls;
mod control;
mod effects;
mod failure;
mod functions;
mod matching;
mod nesting;
mod operands;
mod operators;
mod recorded;
mod traced;
mod vars;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::rc::Rc;

use vars::set_slot;

use crate::ir::{Bind, Ir, Unit, VarInfo};
use crate::runtime::function::{Closure, Code, Proto};
use crate::runtime::value::{Value, Values, discard};
use crate::runtime::{Ctrl, Ctx, ops};
use crate::span::{SourceSpan, Span};

/// Compiles a resolved unit that comes from source text `source`; returns its top level as
/// a function of no arguments. With `generic`, every construct compiles to its general
/// closure only, none of its specialised ones (the kinds are listed by `Special`). With
/// `trace`, the effect constructs compile to traced closures, which record their events
/// for the session's tracer ([`crate::trace`]; `traced.rs`). With `record`, each function
/// keeps a record of its calls, which `backtrace` reads ([`crate::runtime::frames`];
/// `recorded.rs`).
pub fn compile_unit(
    unit: &Unit,
    source: u32,
    generic: bool,
    trace: bool,
    record: bool,
) -> Rc<Proto> {
    let shared = Shared::new(unit, source, generic, trace, record);
    Compiler::new(&shared, false, Span::default()).function(&unit.main)
}

/// The specialisations: closures the compiler makes for a construct, in place of its general
/// closure, when the construct has a shape that allows one. Each gives the same results as
/// the general closure, with less work; on the generic path ([`compile_unit`]'s `generic`)
/// none is made, so that running a program both ways checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    /// A constant `()` or int, made without a clone.
    Constant,
    /// An expression whose value is not used (a block, an `if`, a `suspend`, a variable)
    /// compiled as a statement, which builds no value; a `let` of an unboxed variable, or of
    /// `suspend`, writing its slot directly.
    Statement,
    /// A condition (of `if`, `while`, a guard, `and`, `or`) that is a `not`, an `and`, an
    /// `or`: code producing a `bool` without building a value.
    Condition,
    /// A block of up to two statements and no cells or functions, run without a loop.
    Block,
    /// Arithmetic or a comparison with an int fast path inlined, in a closure for the
    /// shapes of its operands (a local, a captured constant, an int, a boxed variable read in
    /// its cell), and `if x < k` with the comparison inline.
    Operator,
    /// `x = x + y`, `x = x - y`, `x = x * y` updated in place.
    Update,
    /// `a[i]` and `a[i] = v` with their operands read in place.
    Element,
    /// A pattern, or every arm of a `match`, tested by its shape without matcher calls.
    Shape,
    /// A call of a top-level function or of the function itself, building no callee value
    /// (`f(n - k)` computing its argument inline, a tail call writing its arguments over the
    /// frame's), or of a built-in without dispatch on the callee.
    Call,
    /// A call of a built-in with one or two arguments, passed in an array on the native
    /// stack, their count checked by the compiler.
    BuiltinArgs,
    /// An argument (of a call, of `suspend`) read in place; the arguments of a call pushed
    /// without a loop when there are up to two, and that of a `suspend` when it has one.
    Arguments,
    /// A handler whose clauses capture nothing, made once.
    Handler,
}

/// What the compilers of a unit's functions share.
struct Shared<'u> {
    /// The unit's variables ([`Unit::vars`]): the slot of each, and whether it is boxed.
    vars: &'u [VarInfo],
    /// The source text the unit comes from, recorded in each function's prototype for
    /// reports.
    source: u32,
    /// Whether every construct compiles to its general closure only (see [`Special`]).
    generic: bool,
    /// Whether the effect constructs compile to traced closures (see `traced.rs`).
    trace: bool,
    /// Whether functions keep frame records (see `recorded.rs`).
    record: bool,
    /// The specialised closures made so far, by kind, for the tests.
    #[cfg(test)]
    made: std::cell::RefCell<Vec<Special>>,
}

impl<'u> Shared<'u> {
    /// What compiling `unit`, from source text `source`, shares.
    fn new(unit: &'u Unit, source: u32, generic: bool, trace: bool, record: bool) -> Shared<'u> {
        Shared {
            vars: &unit.vars,
            source,
            generic,
            trace,
            record,
            #[cfg(test)]
            made: Default::default(),
        }
    }

    /// Notes that a specialised closure of kind `kind` is made, for the tests.
    #[cfg(test)]
    fn record(&self, kind: Special) {
        self.made.borrow_mut().push(kind);
    }

    /// Notes nothing outside the tests.
    #[cfg(not(test))]
    #[inline(always)]
    fn record(&self, _: Special) {}
}

/// Code that binds a value to a `let`/`for` left-hand side.
type Binder = Rc<dyn Fn(&mut Ctx, Value) -> Result<(), Ctrl>>;

/// Code producing a `T` (a value, a boolean for conditions, nothing for statements).
type CodeOf<T> = Box<dyn Fn(&mut Ctx, &Closure) -> Result<T, Ctrl>>;

/// Code that evaluates a condition.
type Cond = CodeOf<bool>;

/// Code run for its effect alone (a statement, a loop body): it builds no value, and its
/// result is one word, returned in a register (an [`R`](crate::runtime::R) is returned through memory).
type Stmt = CodeOf<()>;

/// A result type of compiled code ([`Value`] for expressions, `()` for statements) and the
/// result of code that does nothing (an empty block, an `if` without `else` not taken).
trait Outcome: 'static {
    /// The result of code that does nothing: `()` as a value, or no value.
    fn nothing() -> Self;
}

impl Outcome for Value {
    #[inline(always)]
    fn nothing() -> Value {
        Value::Unit
    }
}

impl Outcome for () {
    #[inline(always)]
    fn nothing() {}
}

/// Runs `code` if there is any (an `else` branch), else does nothing, without a call.
#[inline(always)]
fn run_or_nothing<T: Outcome>(
    code: &Option<CodeOf<T>>,
    ctx: &mut Ctx,
    clo: &Closure,
) -> Result<T, Ctrl> {
    match code {
        Some(code) => code(ctx, clo),
        None => Ok(T::nothing()),
    }
}

/// A statement as an expression: runs it, then evaluates to `()`.
fn unit_of(s: Stmt) -> Code {
    Box::new(move |ctx, clo| {
        s(ctx, clo)?;
        Ok(Value::Unit)
    })
}

/// Compilation state: what the unit's functions share, and facts about the function being
/// compiled.
struct Compiler<'u> {
    /// What the compilers of the unit's functions share.
    unit: &'u Shared<'u>,
    /// Whether the function being compiled is a tail-resumptive handler clause.
    tail_resumptive: bool,
    /// How deeply the expression being compiled is nested in its function's body.
    nesting: Cell<usize>,
    /// The location of the innermost enclosing expression that has one.
    near: Cell<Span>,
    /// How deeply dropping the function's code so far recurses natively: the deepest
    /// nesting of its expressions, counting in the code of the functions it contains that is
    /// dropped with it (see [`Compiler::function`]).
    code_depth: Cell<usize>,
    /// With frame records: whether the expression being compiled is a part of a call or
    /// `resume` of its function, whose site is noted before its parts are evaluated (see
    /// `recorded.rs`).
    in_call: Cell<bool>,
}

impl<'u> Compiler<'u> {
    /// The compiler of a function of the unit `unit`; `tail_resumptive` if it is a
    /// tail-resumptive handler clause, `near` the location of the nearest node that has one.
    fn new(unit: &'u Shared<'u>, tail_resumptive: bool, near: Span) -> Compiler<'u> {
        Compiler {
            unit,
            tail_resumptive,
            nesting: Cell::new(0),
            near: Cell::new(near),
            code_depth: Cell::new(0),
            in_call: Cell::new(false),
        }
    }

    /// Whether to make the specialised closure of kind `kind` for a construct whose shape has
    /// one: not on the generic path. Called last in the test of the shape, once it holds
    /// (it notes, for the tests, that the closure is made).
    fn specialising(&self, kind: Special) -> bool {
        if self.unit.generic {
            return false;
        }
        self.unit.record(kind);
        true
    }

    /// `span` of the unit's source text: where code the closure being made runs is, for
    /// the runtime records that name a place (a suspended continuation, a runtime error
    /// offered to a `Fail` handler).
    fn at(&self, span: Span) -> SourceSpan {
        SourceSpan {
            source: self.unit.source,
            span,
        }
    }

    /// The frame slot of variable `v`, which must have one (not a part without a slot;
    /// checked in debug builds).
    fn slot(&self, v: usize) -> usize {
        debug_assert!(self.unit.vars[v].alias.is_none(), "a part has no slot");
        self.unit.vars[v].slot
    }

    /// Whether variable `v` lives in a shared cell (see [`VarInfo::boxed`]).
    fn boxed(&self, v: usize) -> bool {
        self.unit.vars[v].boxed
    }

    /// Compiles each of `irs`.
    fn exprs(&self, irs: &[Ir]) -> Vec<Code> {
        irs.iter().map(|i| self.expr(i)).collect()
    }

    /// Compiles an expression (see [`Compiler::nested`]).
    fn expr(&self, ir: &Ir) -> Code {
        self.nested(ir, || {
            if !self.unit.record {
                return self.node(ir);
            }
            // With frame records, a call or `resume` notes its site before its parts are
            // evaluated, which then are in its arguments (see `recorded.rs`).
            let nested = self.in_call.get();
            let noting = matches!(ir, Ir::Call { .. } | Ir::Resume { .. });
            self.in_call.set(nested || noting);
            let code = self.node(ir);
            self.in_call.set(nested);
            self.recorded(ir, code, nested)
        })
    }

    /// Compiles one node (see [`Compiler::expr`]).
    fn node(&self, ir: &Ir) -> Code {
        match ir {
            Ir::Const(Value::Unit) if self.specialising(Special::Constant) => {
                Box::new(|_, _| Ok(Value::Unit))
            }
            Ir::Const(Value::Int(k)) if self.specialising(Special::Constant) => {
                let k = *k;
                Box::new(move |_, _| Ok(Value::Int(k)))
            }
            Ir::Const(v) => {
                let v = v.clone();
                Box::new(move |_, _| Ok(v.clone()))
            }
            Ir::Get(place) => self.get(place),
            Ir::Set(..)
            | Ir::Let(..)
            | Ir::SetIndex(..)
            | Ir::While(..)
            | Ir::ForRange(..)
            | Ir::ForEach(..) => unit_of(self.stmt(ir)),
            Ir::Block {
                decls,
                fns,
                stmts,
                value,
            } => self.block(decls, fns, stmts, value.as_deref().map(|v| self.expr(v))),
            Ir::DefineGlobalFns(fns) => self.define_global_fns(fns),
            Ir::If(c, t, e, span) => {
                self.if_(c, self.expr(t), e.as_deref().map(|e| self.expr(e)), *span)
            }
            Ir::Match(scrut, arms, span) => self.match_(scrut, arms, *span),
            Ir::Call {
                callee,
                args,
                tail,
                span,
            } => self.call(callee, args, *tail && !self.tail_resumptive, *span),
            Ir::Lambda(f) => self.lambda(f),
            Ir::Binary(op, a, b, span) => self.binary(*op, a, b, *span),
            Ir::And(a, b, span) => self.short_circuit(a, b, *span, false, Value::bool),
            Ir::Or(a, b, span) => self.short_circuit(a, b, *span, true, Value::bool),
            Ir::Not(a, span) => self.unary(ops::not, a, *span),
            Ir::Neg(a, span) => self.unary(ops::neg, a, *span),
            Ir::List(items) => {
                let items = self.exprs(items);
                Box::new(move |ctx, clo| {
                    let mut vals = Vec::with_capacity(items.len());
                    for i in &items {
                        vals.push(i(ctx, clo)?);
                    }
                    Ok(Value::list(vals.into_iter()))
                })
            }
            Ir::Tuple(items) => {
                let items = self.exprs(items);
                Box::new(move |ctx, clo| {
                    let vals = Values::try_build(items.len(), |i| items[i](ctx, clo))?;
                    Ok(Value::tuple(vals))
                })
            }
            Ir::Ctor(sym, items) => {
                let (sym, items) = (*sym, self.exprs(items));
                Box::new(move |ctx, clo| Value::try_ctor(sym, items.len(), |i| items[i](ctx, clo)))
            }
            Ir::Index(a, i, span) => self.index(a, i, *span),
            Ir::Return(e) => {
                let e = self.expr(e);
                Box::new(move |ctx, clo| Err(Ctrl::ret(e(ctx, clo)?)))
            }
            Ir::Suspend(op, args, span) => self.suspend(*op, args, *span, |_, v| v),
            Ir::Handle(body, handler, span) => self.handle(body, handler, *span),
            Ir::Resume {
                k,
                args,
                handler,
                fast,
                tail,
                span,
            } => self.resume(k, args, handler.as_deref(), (*fast, *tail), *span),
            Ir::Escape(e) => self.escape(e),
            Ir::Cont(f, span) => self.cont(f, *span),
            Ir::Discontinue(k, span) => self.discontinue(k, *span),
        }
    }

    /// Compiles a node whose value is not used (a statement of a block, a loop body; see
    /// [`Compiler::nested`]).
    fn stmt(&self, ir: &Ir) -> Stmt {
        self.nested(ir, || self.stmt_node(ir))
    }

    /// [`Compiler::stmt`] of one node: a construct that is a statement (an assignment, a
    /// `let`, a loop), or an expression whose value is dropped.
    fn stmt_node(&self, ir: &Ir) -> Stmt {
        match ir {
            Ir::Const(_) | Ir::Get(_) if self.specialising(Special::Statement) => {
                Box::new(|_, _| Ok(()))
            }
            Ir::Suspend(op, args, span) if self.specialising(Special::Statement) => {
                self.suspend(*op, args, *span, |_, v| discard(v))
            }
            Ir::Let(Bind::Var(v), e)
                if !self.boxed(*v)
                    && let Ir::Suspend(op, args, span) = &**e
                    && self.specialising(Special::Statement) =>
            {
                // `let x = suspend Op(…)`: the value goes straight to its slot.
                let slot = self.slot(*v);
                self.suspend(*op, args, *span, move |ctx, v| set_slot(ctx, slot, v))
            }
            Ir::Set(place, e) => self
                .update(place, e)
                .unwrap_or_else(|| self.set(place, self.expr(e))),
            Ir::Let(bind, e) => self.let_(bind, self.expr(e)),
            Ir::SetIndex(a, i, v, span) => self.set_index(a, i, v, *span),
            Ir::Block {
                decls,
                fns,
                stmts,
                value,
            } if self.specialising(Special::Statement) => {
                self.block(decls, fns, stmts, value.as_deref().map(|v| self.stmt(v)))
            }
            Ir::If(c, t, e, span) if self.specialising(Special::Statement) => {
                self.if_(c, self.stmt(t), e.as_deref().map(|e| self.stmt(e)), *span)
            }
            Ir::While(c, body, span) => self.while_(c, body, *span),
            Ir::ForRange(b, a, z, body, span) => self.for_range(b, a, z, body, *span),
            Ir::ForEach(b, e, body, span) => self.for_each(b, e, body, *span),
            other => {
                let e = self.expr(other);
                Box::new(move |ctx, clo| {
                    discard(e(ctx, clo)?);
                    Ok(())
                })
            }
        }
    }
}
