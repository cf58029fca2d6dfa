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

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::rc::Rc;

use crate::ir::{
    Arm, Bind, CaptureFrom, FnIr, HandlerIr, Ir, OpId, Part, Pat, Place, Unit, VarInfo,
};
use crate::runtime::effects::{self, HandlerValue};
use crate::runtime::function::{Builtin, Closure, Code, Proto, call_builtin, call_value, invoke};
use crate::runtime::ops;
use crate::runtime::print;
use crate::runtime::symbol::Symbol;
use crate::runtime::value::{Value, Values, discard, overwrite};
use crate::runtime::{Ctrl, Ctx, R, RuntimeError};
use crate::syntax::ast::{BinOp, Span};

/// Compiles a resolved unit; returns its top level as a function of no arguments.
pub fn compile_unit(unit: &Unit, source: u32) -> Rc<Proto> {
    let c = Compiler {
        vars: &unit.vars,
        source,
        tail_resumptive: false,
        nesting: Cell::new(0),
        near: Cell::new(Span::default()),
        code_depth: Cell::new(0),
    };
    c.function(&unit.main)
}

/// Code that binds a value to a `let`/`for` left-hand side.
type Binder = Rc<dyn Fn(&mut Ctx, Value) -> Result<(), Ctrl>>;

/// Code that makes a closure in the current frame.
type Maker = Box<dyn Fn(&Ctx, &Closure) -> Rc<Closure>>;

/// Code that tests a pattern against a value, binding its variables.
type Matcher = Box<dyn Fn(&mut Ctx, &Value) -> Result<bool, Ctrl>>;

/// Code producing a `T` (a value, a boolean for conditions, nothing for statements).
type CodeOf<T> = Box<dyn Fn(&mut Ctx, &Closure) -> Result<T, Ctrl>>;

/// Code that evaluates a condition.
type Cond = CodeOf<bool>;

/// Code run for its effect alone (a statement, a loop body): it builds no value, and its
/// result is one word, returned in a register (an [`R`] is returned through memory).
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

/// Code that builds a handler's clauses in the current frame.
type HandlerMaker = Rc<dyn Fn(&Ctx, &Closure) -> Rc<HandlerValue>>;

/// Compilation state: the unit's variables and facts about the function being compiled.
struct Compiler<'u> {
    /// The unit's variables ([`Unit::vars`]): the slot of each, and whether it is boxed.
    vars: &'u [VarInfo],
    /// The source text the unit comes from, recorded in each function's prototype for
    /// reports.
    source: u32,
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
}

/// Every this many levels of nested expressions, compiled code checks the native stack (see
/// [`Compiler::expr`]). A level takes a native frame or two, at most a few hundred bytes, so
/// the levels between two checks fit in the stack's red zone many times over.
const STACK_CHECK_EVERY: usize = 128;

/// The error for a `match` none of whose arms fits `v`.
#[cold]
fn no_match(v: &Value, span: Span) -> Ctrl {
    err(format!("no pattern matched {}", print::show(v)), span)
}

/// A runtime error with `message` at `span`.
fn err(message: String, span: Span) -> Ctrl {
    RuntimeError::new(message, span).into()
}

/// Stores `v` in frame slot `slot`, dropping the old value cheaply.
#[inline(always)]
fn set_slot(ctx: &mut Ctx, slot: usize, v: Value) {
    overwrite(ctx.local_mut(slot), v);
}

/// Reads a variable's storage: the content of a cell, or the value itself.
#[inline(always)]
fn read_cell(v: &Value) -> Value {
    match v {
        Value::Cell(c) => c.borrow().clone(),
        other => other.clone(),
    }
}

/// Writes a boxed variable's cell (or, for an unboxed slot, the slot itself).
#[inline(always)]
fn write_cell(slot: &mut Value, v: Value) {
    let old = match slot {
        Value::Cell(c) => std::mem::replace(&mut *c.borrow_mut(), v),
        other => std::mem::replace(other, v),
    };
    discard(old);
}

/// `Ok` of a copy of local `slot`: ints are copied inline, anything else by a call (an
/// inlined `Value::clone` would make every closure that reads a local large). Each arm
/// writes its result straight into the caller's slot (which `Ok(copy_value(…))` does not:
/// the copy is built in a temporary first).
#[inline(always)]
fn read_local(ctx: &Ctx, slot: usize) -> R {
    match ctx.local(slot) {
        Value::Int(i) => Ok(Value::Int(*i)),
        v => clone_value(v),
    }
}

/// A copy of `v`: ints inline, anything else by a call.
#[inline(always)]
fn copy_value(v: &Value) -> Value {
    match v {
        Value::Int(i) => Value::Int(*i),
        v => v.clone(),
    }
}

/// Drops a result known to be `Ok` of an int: nothing to drop, which a plain drop (a call
/// to the drop glue) would not tell the compiler.
#[inline(always)]
fn forget_int(r: R) {
    debug_assert!(matches!(r, Ok(Value::Int(_))));
    std::mem::forget(r);
}

/// The operator on the int `i` and the result `y` of the second operand's code.
#[inline(always)]
fn ints_then<T>(
    i: i64,
    y: R,
    fast: impl Fn(i64, i64) -> Option<T>,
    slow: impl Fn(&Value, &Value) -> Result<T, Ctrl>,
) -> Result<T, Ctrl> {
    if let Ok(Value::Int(j)) = y {
        forget_int(y);
        return match fast(i, j) {
            Some(v) => Ok(v),
            None => slow(&Value::Int(i), &Value::Int(j)),
        };
    }
    slow(&Value::Int(i), &y?)
}

/// The comparison `x op k` of a non-int `x` (kept out of line: the inline int test is the
/// hot path).
#[cold]
#[inline(never)]
fn compare_slow(op: BinOp, x: &Value, k: i64, span: Span) -> Result<bool, Ctrl> {
    expect_bool(
        ops::binary(op, x, &Value::Int(k)).map_err(|m| err(m, span))?,
        span,
    )
}

/// `x op k` for a non-int `x` or on overflow, out of line.
#[cold]
#[inline(never)]
fn arith_slow(op: BinOp, x: &Value, k: i64, span: Span) -> R {
    ops::binary(op, x, &Value::Int(k)).map_err(|m| err(m, span))
}

/// The error for calling a top-level function that is not defined yet.
#[cold]
#[inline(never)]
fn no_function(span: Span) -> Ctrl {
    err("not a function: ()".to_string(), span)
}

/// The closure `clo` as a value (`()` once it is being dropped), matched rather than
/// `map_or(Value::Unit, …)`, which would drop its unused default by a call to the drop glue.
#[inline(always)]
fn self_value(clo: &Closure) -> Value {
    match clo.me.upgrade() {
        Some(me) => Value::Func(me),
        None => Value::Unit,
    }
}

/// A result type of compiled code that can come back from a stack extension, where code
/// runs as an expression: a [`Value`], a condition's `bool`, a statement's `()`.
trait ViaValue: Sized + 'static {
    /// The result as the value of an expression.
    fn into_value(self) -> Value;
    /// The result back from the value [`ViaValue::into_value`] made.
    fn from_value(v: Value) -> Self;
}

impl ViaValue for Value {
    fn into_value(self) -> Value {
        self
    }
    fn from_value(v: Value) -> Value {
        v
    }
}

impl ViaValue for bool {
    fn into_value(self) -> Value {
        Value::bool(self)
    }
    fn from_value(v: Value) -> bool {
        matches!(v, Value::True)
    }
}

impl ViaValue for () {
    fn into_value(self) -> Value {
        Value::Unit
    }
    fn from_value(_: Value) {}
}

/// Compiled code of result type `T`, shared with a stack extension.
type SharedCodeOf<T> = Rc<dyn Fn(&mut Ctx, &Closure) -> Result<T, Ctrl>>;

/// `code`, run after a check of the native stack: on a stack extension if it is nearly
/// exhausted (see [`Compiler::nested`]).
fn stack_checked<T: ViaValue>(code: CodeOf<T>, site: Span) -> CodeOf<T> {
    let code: SharedCodeOf<T> = Rc::from(code);
    // The same code as an expression, for the extension; made once, here.
    let on_extension: effects::SharedCode = {
        let code = code.clone();
        Rc::new(move |ctx, clo| code(ctx, clo).map(T::into_value))
    };
    Box::new(move |ctx, clo| {
        if crate::stack::approximate_sp() < ctx.limit {
            return effects::extend_for_code(ctx, on_extension.clone(), clo, site)
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

/// `Ok(v.clone())`, never inlined.
#[inline(never)]
fn clone_value(v: &Value) -> R {
    Ok(v.clone())
}

/// The boolean `v` is; a type error at `span` for anything else.
#[inline(always)]
fn expect_bool(v: Value, span: Span) -> Result<bool, Ctrl> {
    match v {
        Value::True => Ok(true),
        Value::False => Ok(false),
        other => Err(err(ops::expected_bool(&other), span)),
    }
}

/// The `part` of a matched value `v` (see [`Place::Part`]), if it has it.
#[inline(always)]
fn part_of(v: &Value, part: Part) -> Option<&Value> {
    match (v, part) {
        (Value::Ctor(c), Part::Field(i)) => c.fields.get(i),
        (Value::Cons(cell), Part::Head) => Some(&cell.head),
        (Value::Cons(cell), Part::Tail) => Some(&cell.tail),
        _ => None,
    }
}

/// `part` of the scrutinee `v` holds (see [`Place::Part`]), if it has it.
#[inline(always)]
fn part_value(v: &Value, part: Part) -> Option<Value> {
    match part_of(v, part) {
        Some(v) => Some(copy_value(v)),
        None => boxed_part(v, part),
    }
}

/// Reads `part` of local `slot` (see [`Place::Part`]).
#[inline(always)]
fn read_part(ctx: &Ctx, slot: usize, part: Part) -> R {
    part_value(ctx.local(slot), part).ok_or_else(part_missing)
}

/// `part` of the value in the cell `v` holds: the scrutinee of a part may be a boxed `let`
/// (one captured by a function declared before it), whose cell is written only when
/// the `let` runs.
#[cold]
fn boxed_part(v: &Value, part: Part) -> Option<Value> {
    match v {
        Value::Cell(c) => part_of(&c.borrow(), part).cloned(),
        _ => None,
    }
}

/// The error for a pattern's name read where its scrutinee lacks the part: never, as the
/// arm that names it runs only on a value that has it, and nothing can assign the
/// scrutinee's slot meanwhile.
#[cold]
fn part_missing() -> Ctrl {
    RuntimeError::new(
        "internal error: a pattern's name was read from a value without it",
        Span::default(),
    )
    .into()
}

/// Where a new closure takes one captured variable from (see [`capture_env`]).
#[derive(Clone, Copy)]
enum CaptureAt {
    /// A slot of the creating frame.
    Slot(usize),
    /// A part of the value in a slot of the creating frame (see [`Place::Part`]).
    Part(usize, Part),
    /// An entry of the creating closure's environment.
    Env(usize),
    /// The creating function itself.
    SelfFn,
}

/// Builds a closure's environment from the creating frame.
#[inline(always)]
fn capture_env(ctx: &Ctx, clo: &Closure, plan: &[CaptureAt]) -> Values {
    let captured = Values::try_build(plan.len(), |i| {
        Ok::<_, Infallible>(match plan[i] {
            CaptureAt::Slot(s) => ctx.local(s).clone(),
            // The arm that names the part runs only on a value that has it.
            CaptureAt::Part(s, part) => part_value(ctx.local(s), part).unwrap_or_default(),
            CaptureAt::Env(j) => clo.env.at(j).clone(),
            CaptureAt::SelfFn => self_value(clo),
        })
    });
    match captured {
        Ok(values) => values,
        Err(never) => match never {},
    }
}

/// The operand shapes that get specialised arithmetic closures.
enum Operand {
    /// An unboxed local slot.
    Local(usize),
    /// An immutable captured variable (an entry of the closure's environment).
    Capture(usize),
    /// An integer constant.
    Int(i64),
    /// Anything else.
    Code(Code),
}

impl Operand {
    /// Where a simple operand is read from; `None` for code.
    fn source(&self) -> Option<Source> {
        match *self {
            Operand::Local(s) => Some(Source::Local(s)),
            Operand::Capture(i) => Some(Source::Capture(i)),
            Operand::Int(k) => Some(Source::Const(Value::Int(k))),
            Operand::Code(_) => None,
        }
    }
}

/// Where a boxed variable's cell is: in a frame slot or in the closure's environment. Not
/// a [`Source`], whose constant case makes the read a three-way match (parsing_dollars:
/// 2.3% more instructions).
#[derive(Clone, Copy)]
enum BoxedAt {
    /// A frame slot.
    Local(usize),
    /// An entry of the closure's environment.
    Capture(usize),
}

impl BoxedAt {
    /// The slot holding the cell.
    #[inline(always)]
    fn storage<'a>(self, ctx: &'a Ctx, clo: &'a Closure) -> &'a Value {
        match self {
            BoxedAt::Local(s) => ctx.local(s),
            BoxedAt::Capture(i) => clo.env.at(i),
        }
    }
}

/// A simple operand, read by reference without running code.
enum Source {
    /// A frame slot.
    Local(usize),
    /// An entry of the closure's environment.
    Capture(usize),
    /// A constant.
    Const(Value),
}

impl Source {
    /// The operand's value, by reference, without running code.
    #[inline(always)]
    fn read<'a>(&'a self, ctx: &'a Ctx, clo: &'a Closure) -> &'a Value {
        match self {
            Source::Local(s) => ctx.local(*s),
            Source::Capture(i) => clo.env.at(*i),
            Source::Const(v) => v,
        }
    }
}

impl<'u> Compiler<'u> {
    /// The frame slot of variable `v`, which must have one (not a part without a slot;
    /// checked in debug builds).
    fn slot(&self, v: usize) -> usize {
        debug_assert!(self.vars[v].alias.is_none(), "a part has no slot");
        self.vars[v].slot
    }

    /// Whether variable `v` lives in a shared cell (see [`VarInfo::boxed`]).
    fn boxed(&self, v: usize) -> bool {
        self.vars[v].boxed
    }

    /// Compiles a function to its prototype.
    fn function(&self, f: &FnIr) -> Rc<Proto> {
        let inner = Compiler {
            vars: self.vars,
            source: self.source,
            tail_resumptive: f.tail_resumptive,
            nesting: Cell::new(0),
            near: Cell::new(self.near.get()),
            code_depth: Cell::new(0),
        };
        let body = inner.expr(&f.body);
        // Code nested so deeply that dropping it could exhaust a program's stack is dropped
        // later, on the front end's (see `Proto::deep`). That counts the code of the
        // functions nested in it: a chain of 30,000 lambdas, each shallow, nests as deep.
        let depth = inner.code_depth.get();
        let deep = depth >= STACK_CHECK_EVERY;
        if !deep {
            let here = self.nesting.get() + depth;
            self.code_depth.set(self.code_depth.get().max(here));
        }
        Rc::new(Proto {
            name: f.name.clone(),
            arity: f.params.len(),
            nslots: f.nslots.max(f.params.len()),
            body,
            deep,
            source: self.source,
        })
    }

    /// Code that makes a closure of `f` in the current frame.
    fn closure_maker(&self, f: &FnIr) -> impl Fn(&Ctx, &Closure) -> Rc<Closure> + 'static {
        let proto = self.function(f);
        let plan = self.capture_plan(f);
        move |ctx, clo| Closure::new(proto.clone(), capture_env(ctx, clo, &plan))
    }

    /// Where each variable a function captures comes from in the enclosing frame or
    /// closure, for [`capture_env`].
    fn capture_plan(&self, f: &FnIr) -> Vec<CaptureAt> {
        f.captures
            .iter()
            .map(|c| match *c {
                CaptureFrom::Local(v) => CaptureAt::Slot(self.slot(v)),
                CaptureFrom::Part(v) => match self.vars[v].alias {
                    Some((of, part)) => CaptureAt::Part(self.slot(of), part),
                    None => CaptureAt::Slot(self.slot(v)),
                },
                CaptureFrom::Capture(j, _) => CaptureAt::Env(j),
                CaptureFrom::SelfFn => CaptureAt::SelfFn,
            })
            .collect()
    }

    /// Code that captures the variables of a `handle` body: the body runs as a closure
    /// built on its own fiber's stack (see [`effects::Body`]), not as an `Rc<Closure>`.
    fn body_maker(&self, f: &FnIr) -> impl Fn(&Ctx, &Closure) -> effects::Body + 'static {
        let proto = self.function(f);
        let plan = self.capture_plan(f);
        move |ctx, clo| effects::Body::Parts(proto.clone(), capture_env(ctx, clo, &plan))
    }

    /// The closure of a function that captures nothing, made once.
    fn closed_closure(&self, f: &FnIr) -> Rc<Closure> {
        Closure::new(self.function(f), Values::default())
    }

    /// Compiles each of `irs`.
    fn exprs(&self, irs: &[Ir]) -> Vec<Code> {
        irs.iter().map(|i| self.expr(i)).collect()
    }

    /// Compiles an expression (see [`Compiler::nested`]).
    fn expr(&self, ir: &Ir) -> Code {
        self.nested(ir, || self.node(ir))
    }

    /// The code `compile` makes of `ir`, one level of nesting deeper. Evaluating nested
    /// expressions, statements and conditions recurses natively, a level or two of native
    /// frames per level of nesting, with no call in between to check the stack (calls check
    /// it, see `function::invoke`); so every [`STACK_CHECK_EVERY`] levels the code checks it
    /// first and, when it is nearly exhausted, continues on a stack extension as a call does.
    /// A sum of 8,000 terms then runs, where it overflowed the stack; inside a continuation,
    /// whose stack has no guard page, it would have written over its neighbour's.
    fn nested<T: ViaValue>(&self, ir: &Ir, compile: impl FnOnce() -> CodeOf<T>) -> CodeOf<T> {
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

    /// Compiles one node (see [`Compiler::expr`]).
    fn node(&self, ir: &Ir) -> Code {
        match ir {
            Ir::Const(Value::Unit) => Box::new(|_, _| Ok(Value::Unit)),
            Ir::Const(Value::Int(k)) => {
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
            Ir::DefineGlobalFns(fns) => {
                for (cell, f) in fns {
                    let proto = self.function(f);
                    let _ = cell.set(Closure::new(proto, Values::default()));
                }
                Box::new(|_, _| Ok(Value::Unit))
            }
            Ir::If(c, t, e, span) => {
                self.if_(c, self.expr(t), e.as_deref().map(|e| self.expr(e)), *span)
            }
            Ir::Match(scrut, arms, span) => self.match_(scrut, arms, *span),
            Ir::Call {
                callee,
                args,
                tail,
                span,
            } => self.call(callee, args, *tail, *span),
            Ir::Lambda(f) => {
                let make = self.closure_maker(f);
                Box::new(move |ctx, clo| Ok(Value::Func(make(ctx, clo))))
            }
            Ir::Binary(op, a, b, span) => self.binary(*op, a, b, *span),
            Ir::And(a, b, span) => self.and_or(a, b, *span, false),
            Ir::Or(a, b, span) => self.and_or(a, b, *span, true),
            Ir::Not(a, span) => {
                let (a, span) = (self.expr(a), *span);
                Box::new(move |ctx, clo| ops::not(&a(ctx, clo)?).map_err(|m| err(m, span)))
            }
            Ir::Neg(a, span) => {
                let (a, span) = (self.expr(a), *span);
                Box::new(move |ctx, clo| ops::neg(&a(ctx, clo)?).map_err(|m| err(m, span)))
            }
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
            Ir::Handle(body, handler, span) => {
                let (make_body, handler, span) =
                    (self.body_maker(body), self.handler(handler, false), *span);
                let source = self.source;
                Box::new(move |ctx, clo| {
                    let body = make_body(ctx, clo);
                    let h = handler(ctx, clo);
                    effects::handle(ctx, body, h, source, span)
                })
            }
            Ir::Resume {
                k,
                args,
                handler,
                fast,
                clause_tail,
                span,
            } => self.resume(k, args, handler.as_deref(), (*fast, *clause_tail), *span),
            Ir::Escape(e) => {
                let e = self.expr(e);
                if self.tail_resumptive {
                    Box::new(move |ctx, clo| Err(Ctrl::escape(e(ctx, clo)?)))
                } else {
                    e
                }
            }
            Ir::Cont(f, span) => {
                let (f, span) = (self.expr(f), *span);
                Box::new(move |ctx, clo| {
                    let f = f(ctx, clo)?;
                    effects::make_cont(f, span)
                })
            }
            Ir::Discontinue(k, span) => {
                let (k, span) = (self.expr(k), *span);
                Box::new(move |ctx, clo| {
                    let k = k(ctx, clo)?;
                    effects::discontinue(&k, span)
                })
            }
        }
    }

    /// Compiles a node whose value is not used (a statement of a block, a loop body; see
    /// [`Compiler::nested`]).
    fn stmt(&self, ir: &Ir) -> Stmt {
        self.nested(ir, || self.stmt_node(ir))
    }

    /// [`Compiler::stmt`] of one node.
    fn stmt_node(&self, ir: &Ir) -> Stmt {
        match ir {
            Ir::Const(_) | Ir::Get(_) => Box::new(|_, _| Ok(())),
            Ir::Suspend(op, args, span) => self.suspend(*op, args, *span, |_, v| discard(v)),
            Ir::Let(Bind::Var(v), e)
                if !self.boxed(*v)
                    && let Ir::Suspend(op, args, span) = &**e =>
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
            } => self.block(decls, fns, stmts, value.as_deref().map(|v| self.stmt(v))),
            Ir::If(c, t, e, span) => {
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

    // ----- variables ----------------------------------------------------------------------

    /// Code that reads a variable where it lives.
    fn get(&self, place: &Place) -> Code {
        match place.clone() {
            Place::Local(v) => {
                let slot = self.slot(v);
                if self.boxed(v) {
                    Box::new(move |ctx, _| Ok(read_cell(ctx.local(slot))))
                } else {
                    Box::new(move |ctx, _| read_local(ctx, slot))
                }
            }
            Place::Part(v) => match self.vars[v].alias {
                Some((of, part)) => {
                    let slot = self.slot(of);
                    Box::new(move |ctx, _| read_part(ctx, slot, part))
                }
                None => {
                    let slot = self.slot(v);
                    Box::new(move |ctx, _| read_local(ctx, slot))
                }
            },
            Place::Capture(i, v) => {
                if self.boxed(v) {
                    Box::new(move |_, clo| Ok(read_cell(clo.env.at(i))))
                } else {
                    Box::new(move |_, clo| Ok(clo.env.at(i).clone()))
                }
            }
            Place::Global(cell) => Box::new(move |_, _| Ok(cell.borrow().clone())),
            Place::GlobalFn(cell, _) => Box::new(move |_, _| {
                Ok(match cell.get() {
                    Some(c) => Value::Func(c.clone()),
                    None => Value::Unit,
                })
            }),
            Place::SelfFn => Box::new(|_, clo| Ok(self_value(clo))),
            Place::Builtin(b) => Box::new(move |_, _| Ok(Value::Builtin(b))),
        }
    }

    /// Code that assigns the value of `e` to a variable: a local or captured `var`, or a
    /// global. Nothing else can be assigned (the resolver rejects it).
    fn set(&self, place: &Place, e: Code) -> Stmt {
        match place.clone() {
            Place::Local(v) => {
                let slot = self.slot(v);
                Box::new(move |ctx, clo| {
                    let val = e(ctx, clo)?;
                    write_cell(ctx.local_mut(slot), val);
                    Ok(())
                })
            }
            Place::Capture(i, _) => Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                if let Value::Cell(c) = clo.env.at(i) {
                    discard(std::mem::replace(&mut *c.borrow_mut(), val));
                }
                Ok(())
            }),
            Place::Global(cell) => Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                discard(std::mem::replace(&mut *cell.borrow_mut(), val));
                Ok(())
            }),
            Place::GlobalFn(..) | Place::SelfFn | Place::Builtin(_) | Place::Part(..) => {
                unreachable!("the resolver rejects assignments to functions and pattern names")
            }
        }
    }

    /// Code that binds `bind` to a value (for `let`, `for` and destructuring).
    fn binder(&self, bind: &Bind) -> Binder {
        match bind {
            Bind::Wild => Rc::new(|_, _| Ok(())),
            Bind::Var(v) => {
                let slot = self.slot(*v);
                if self.boxed(*v) {
                    Rc::new(move |ctx, val| {
                        write_cell(ctx.local_mut(slot), val);
                        Ok(())
                    })
                } else {
                    Rc::new(move |ctx, val| {
                        set_slot(ctx, slot, val);
                        Ok(())
                    })
                }
            }
            Bind::Tuple(items, span) => {
                let items: Vec<_> = items.iter().map(|b| self.binder(b)).collect();
                let span = *span;
                Rc::new(move |ctx, val| match &val {
                    Value::Tuple(fields) if fields.0.len() == items.len() => {
                        for (b, f) in items.iter().zip(fields.0.iter()) {
                            b(ctx, f.clone())?;
                        }
                        Ok(())
                    }
                    other => Err(err(
                        format!(
                            "no pattern matched: cannot bind {} to a tuple of {} elements",
                            print::show(other),
                            items.len()
                        ),
                        span,
                    )),
                })
            }
        }
    }

    /// Code for `let`/`var`: evaluates `e` and binds it; an unboxed variable gets it
    /// straight in its slot.
    fn let_(&self, bind: &Bind, e: Code) -> Stmt {
        if let Bind::Var(v) = bind
            && !self.boxed(*v)
        {
            let slot = self.slot(*v);
            return Box::new(move |ctx, clo| {
                let val = e(ctx, clo)?;
                set_slot(ctx, slot, val);
                Ok(())
            });
        }
        let b = self.binder(bind);
        Box::new(move |ctx, clo| {
            let val = e(ctx, clo)?;
            b(ctx, val)?;
            Ok(())
        })
    }

    /// `a[i]`: reads the array in place when the array and the index are simple operands
    /// (reading those has no effect, so the order of evaluation is kept).
    fn index(&self, a: &Ir, i: &Ir, span: Span) -> Code {
        match (self.operand(a), self.operand(i)) {
            (a, i) if let (Some(a), Some(i)) = (a.source(), i.source()) => {
                Box::new(move |ctx, clo| {
                    index(a.read(ctx, clo), i.read(ctx, clo)).map_err(|m| err(m, span))
                })
            }
            (a, i) => {
                let (a, i) = (self.operand_code(a), self.operand_code(i));
                Box::new(move |ctx, clo| {
                    let a = a(ctx, clo)?;
                    let i = i(ctx, clo)?;
                    index(&a, &i).map_err(|m| err(m, span))
                })
            }
        }
    }

    /// `x = x + y`, `x = x - y`, `x = x * y` for a local or captured variable `x` and a local
    /// or constant `y`: updated in place, without reading `x` out and writing it back. `None`
    /// for any other assignment.
    fn update(&self, place: &Place, e: &Ir) -> Option<Stmt> {
        let Ir::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), x, y, span) = e else {
            return None;
        };
        let same = match (place, &**x) {
            (Place::Local(v), Ir::Get(Place::Local(w))) => v == w,
            (Place::Capture(i, _), Ir::Get(Place::Capture(j, _))) => i == j,
            _ => false,
        };
        if !same {
            return None;
        }
        let y = self.simple_operand(y)?;
        let (op, span) = (*op, *span);
        by_arithmetic!(op, fast => self.update_with(place, y, op, span, fast))
    }

    /// The closure of [`Compiler::update`] for the shapes of the variable and the operand;
    /// `fast` is the checked integer operation of `op`.
    fn update_with(
        &self,
        place: &Place,
        y: Operand,
        op: BinOp,
        span: Span,
        fast: impl Fn(i64, i64) -> Option<i64> + Copy + 'static,
    ) -> Option<Stmt> {
        let apply = move |x: &mut Value, y: &Value| update_value(x, y, fast, op, span);
        Some(match (place, y) {
            (Place::Local(v), Operand::Int(k)) if !self.boxed(*v) => {
                let (s, k) = (self.slot(*v), Value::Int(k));
                Box::new(move |ctx, _| apply(ctx.local_mut(s), &k))
            }
            (Place::Local(v), Operand::Local(t)) if !self.boxed(*v) => {
                let s = self.slot(*v);
                Box::new(move |ctx, _| {
                    let y = ctx.local(t).clone();
                    let done = apply(ctx.local_mut(s), &y);
                    discard(y);
                    done
                })
            }
            (Place::Local(v), y) => {
                let (s, y) = (self.slot(*v), y.source()?);
                Box::new(move |ctx, clo| {
                    let y = y.read(ctx, clo).clone();
                    let done = match ctx.local(s) {
                        Value::Cell(c) => apply(&mut c.borrow_mut(), &y),
                        _ => apply(ctx.local_mut(s), &y),
                    };
                    discard(y);
                    done
                })
            }
            (Place::Capture(i, _), y) => {
                let (i, y) = (*i, y.source()?);
                Box::new(move |ctx, clo| match clo.env.at(i) {
                    Value::Cell(c) => apply(&mut c.borrow_mut(), y.read(ctx, clo)),
                    _ => Err(err(
                        "internal error: assigning a captured constant".into(),
                        span,
                    )),
                })
            }
            _ => return None,
        })
    }

    /// Code for `a[i] = v`; when the array is a local and the index and value are simple
    /// operands, all are read in place.
    fn set_index(&self, a: &Ir, i: &Ir, v: &Ir, span: Span) -> Stmt {
        if let (Some(Operand::Local(s)), Some(i), Some(v)) = (
            self.simple_operand(a),
            self.simple_operand(i).and_then(|i| i.source()),
            self.simple_operand(v).and_then(|v| v.source()),
        ) {
            // Only simple operands: nothing is evaluated but reads, so they are read in
            // place and the array is written in place.
            return Box::new(move |ctx, clo| {
                let val = v.read(ctx, clo).clone();
                store(ctx.local(s), i.read(ctx, clo), val, span)
            });
        }
        let (a, i, v) = (self.expr(a), self.expr(i), self.expr(v));
        Box::new(move |ctx, clo| {
            let arr = a(ctx, clo)?;
            let idx = i(ctx, clo)?;
            let val = v(ctx, clo)?;
            store(&arr, &idx, val, span)
        })
    }

    // ----- blocks and control -------------------------------------------------------------

    /// A block: its variables' cells, its functions, its statements, then its value (code
    /// producing a value, or a statement when the block is one).
    fn block<T: Outcome>(
        &self,
        decls: &[usize],
        fns: &[(usize, FnIr)],
        stmts: &[Ir],
        value: Option<CodeOf<T>>,
    ) -> CodeOf<T> {
        let cells: Vec<usize> = decls
            .iter()
            .filter(|&&v| self.boxed(v))
            .map(|&v| self.slot(v))
            .collect();
        let makers: Vec<(usize, Maker)> = fns
            .iter()
            .map(|(v, f)| {
                let m: Maker = Box::new(self.closure_maker(f));
                (self.slot(*v), m)
            })
            .collect();
        let stmts: Vec<Stmt> = stmts.iter().map(|s| self.stmt(s)).collect();
        if cells.is_empty() && makers.is_empty() {
            return match (stmts.len(), value) {
                (0, Some(v)) => v,
                (1, Some(v)) => {
                    let s = stmts.into_iter().next().expect("one statement");
                    Box::new(move |ctx, clo| {
                        s(ctx, clo)?;
                        v(ctx, clo)
                    })
                }
                (2, v) => {
                    // A loop body's usual shape: two statements, no loop over a vector.
                    let mut it = stmts.into_iter();
                    let (s, t) = (it.next().expect("two"), it.next().expect("two"));
                    match v {
                        Some(v) => Box::new(move |ctx, clo| {
                            s(ctx, clo)?;
                            t(ctx, clo)?;
                            v(ctx, clo)
                        }),
                        None => Box::new(move |ctx, clo| {
                            s(ctx, clo)?;
                            t(ctx, clo)?;
                            Ok(T::nothing())
                        }),
                    }
                }
                (_, v) => Box::new(move |ctx, clo| {
                    for s in &stmts {
                        s(ctx, clo)?;
                    }
                    run_or_nothing(&v, ctx, clo)
                }),
            };
        }
        Box::new(move |ctx, clo| {
            for &slot in &cells {
                *ctx.local_mut(slot) = Value::Cell(Rc::new(RefCell::new(Value::Unit)));
            }
            for (slot, make) in &makers {
                let f = Value::Func(make(ctx, clo));
                write_cell(ctx.local_mut(*slot), f);
            }
            for s in &stmts {
                s(ctx, clo)?;
            }
            run_or_nothing(&value, ctx, clo)
        })
    }

    /// `if c { t } else { e }`, the branches compiled as values or as statements.
    fn if_<T: Outcome>(&self, c: &Ir, t: CodeOf<T>, e: Option<CodeOf<T>>, span: Span) -> CodeOf<T> {
        if let Ir::Binary(op, a, b, cspan) = c
            && let (Some(Operand::Local(slot)), Some(Operand::Int(k))) =
                (self.simple_operand(a), self.simple_operand(b))
            && is_comparison(*op)
        {
            // `if n < 2 { … } else { … }`: the comparison inline, no condition closure.
            let (op, cspan) = (*op, *cspan);
            return by_comparison!(op, test => Box::new(move |ctx, clo| {
                let holds = match ctx.local(slot) {
                    Value::Int(x) => test(*x, k),
                    other => compare_slow(op, other, k, cspan)?,
                };
                if holds { t(ctx, clo) } else { run_or_nothing(&e, ctx, clo) }
            }));
        }
        let c = self.cond(c, span);
        Box::new(move |ctx, clo| {
            if c(ctx, clo)? {
                t(ctx, clo)
            } else {
                run_or_nothing(&e, ctx, clo)
            }
        })
    }

    /// A `while` loop, polling for an interrupt before each test of the condition.
    fn while_(&self, c: &Ir, body: &Ir, span: Span) -> Stmt {
        let (c, body) = (self.cond(c, span), self.stmt(body));
        Box::new(move |ctx, clo| {
            loop {
                ctx.poll(span)?;
                if !c(ctx, clo)? {
                    return Ok(());
                }
                body(ctx, clo)?;
            }
        })
    }

    /// `for b in a..z`: the bounds evaluated once (both must be ints), `b` bound to each
    /// int from `a` up to `z` excluded, polling for an interrupt each round.
    fn for_range(&self, b: &Bind, a: &Ir, z: &Ir, body: &Ir, span: Span) -> Stmt {
        let (bind, a, z, body) = (self.binder(b), self.expr(a), self.expr(z), self.stmt(body));
        Box::new(move |ctx, clo| {
            let (lo, hi) = match (a(ctx, clo)?, z(ctx, clo)?) {
                (Value::Int(lo), Value::Int(hi)) => (lo, hi),
                (x, y) => {
                    return Err(err(
                        format!(
                            "type error: a range needs ints, got {} and {}",
                            x.kind(),
                            y.kind()
                        ),
                        span,
                    ));
                }
            };
            let mut i = lo;
            while i < hi {
                ctx.poll(span)?;
                bind(ctx, Value::Int(i))?;
                body(ctx, clo)?;
                i += 1;
            }
            Ok(())
        })
    }

    /// `for b in e` over an array or a list (anything else is a type error at `span`),
    /// polling for an interrupt each round. An array is read by index each round, so it
    /// sees the body's changes to it.
    fn for_each(&self, b: &Bind, e: &Ir, body: &Ir, span: Span) -> Stmt {
        let (bind, e, body) = (self.binder(b), self.expr(e), self.stmt(body));
        Box::new(move |ctx, clo| match e(ctx, clo)? {
            Value::Array(items) => {
                let mut i = 0;
                loop {
                    ctx.poll(span)?;
                    let item = match items.borrow().get(i) {
                        Some(v) => v.clone(),
                        None => return Ok(()),
                    };
                    bind(ctx, item)?;
                    body(ctx, clo)?;
                    i += 1;
                }
            }
            list @ (Value::Nil | Value::Cons(_)) => {
                let mut cur = list;
                while let Value::Cons(cell) = cur {
                    ctx.poll(span)?;
                    bind(ctx, cell.head.clone())?;
                    body(ctx, clo)?;
                    cur = cell.tail.clone();
                }
                Ok(())
            }
            other => Err(err(
                format!("type error: cannot iterate over {}", other.kind()),
                span,
            )),
        })
    }

    // ----- pattern matching ---------------------------------------------------------------

    /// Code that tests pattern `p` against a value, binding the pattern's names as it goes.
    fn matcher(&self, p: &Pat) -> Matcher {
        match p {
            Pat::Wild => Box::new(|_, _| Ok(true)),
            Pat::Bind(v) => {
                let slot = self.slot(*v);
                Box::new(move |ctx, val| {
                    set_slot(ctx, slot, val.clone());
                    Ok(true)
                })
            }
            Pat::Lit(lit) => {
                let lit = lit.clone();
                Box::new(move |_, val| Ok(print::equal(&lit, val).unwrap_or(false)))
            }
            Pat::Nil => Box::new(|_, val| Ok(matches!(val, Value::Nil))),
            Pat::Cons(..) | Pat::Ctor(..) if let Some(shape) = self.shape(p) => {
                // `x :: xs`, `Node(l, v, r)`: no sub-matchers to call.
                Box::new(move |ctx, val| {
                    let fits = shape.fits(val);
                    if fits {
                        shape.bind(ctx, val);
                    }
                    Ok(fits)
                })
            }
            Pat::Cons(h, t) => {
                let (h, t) = (self.matcher(h), self.matcher(t));
                Box::new(move |ctx, val| match val {
                    Value::Cons(cell) => Ok(h(ctx, &cell.head)? && t(ctx, &cell.tail)?),
                    _ => Ok(false),
                })
            }
            Pat::Tuple(items) => {
                let items: Vec<_> = items.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| match val {
                    Value::Tuple(f) if f.0.len() == items.len() => {
                        for (m, v) in items.iter().zip(f.0.iter()) {
                            if !m(ctx, v)? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                    _ => Ok(false),
                })
            }
            Pat::Ctor(sym, items) => {
                let sym = *sym;
                let items: Vec<_> = items.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| match val {
                    Value::Atom(s) => Ok(*s == sym && items.is_empty()),
                    Value::Ctor(c) if c.name == sym && c.fields.len() == items.len() => {
                        for (m, v) in items.iter().zip(c.fields.iter()) {
                            if !m(ctx, v)? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                    _ => Ok(false),
                })
            }
            Pat::Or(alts) => {
                let alts: Vec<_> = alts.iter().map(|p| self.matcher(p)).collect();
                Box::new(move |ctx, val| {
                    for m in &alts {
                        if m(ctx, val)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })
            }
        }
    }

    /// A `match`: the arms tried in order, pattern then guard; when none fits, a runtime
    /// error at `span`. Goes through [`Compiler::shape_match`] when it can.
    fn match_(&self, scrut: &Ir, arms: &[Arm], span: Span) -> Code {
        if let Some(code) = self.shape_match(scrut, arms, span) {
            return code;
        }
        let scrut = self.expr(scrut);
        let arms: Vec<_> = arms
            .iter()
            .map(|a| {
                (
                    self.matcher(&a.pat),
                    a.guard.as_ref().map(|g| self.cond(g, span)),
                    self.expr(&a.body),
                )
            })
            .collect();
        Box::new(move |ctx, clo| {
            let v = scrut(ctx, clo)?;
            for (m, guard, body) in &arms {
                if !m(ctx, &v)? {
                    continue;
                }
                if let Some(g) = guard
                    && !g(ctx, clo)?
                {
                    continue;
                }
                // The arm's bindings hold what it needs: the body runs without `v` held here.
                drop(v);
                return body(ctx, clo);
            }
            Err(no_match(&v, span))
        })
    }

    /// A `match` whose arms have no guards and whose patterns are all [`Shape`]s: each arm
    /// is tested inline (no matcher calls), and a scrutinee that is a local is tested in
    /// place, copied only when the arm that fits binds one of its fields.
    fn shape_match(&self, scrut: &Ir, arms: &[Arm], span: Span) -> Option<Code> {
        let arms: Vec<(Shape, Code)> = arms
            .iter()
            .map(|a| match a.guard {
                None => Some((self.shape(&a.pat)?, self.expr(&a.body))),
                Some(_) => None,
            })
            .collect::<Option<_>>()?;
        if let Some(Operand::Local(slot)) = self.simple_operand(scrut) {
            let arms = match <[(Shape, Code); 2]>::try_from(arms) {
                Err(arms) => arms,
                Ok([(s0, b0), (s1, b1)]) => {
                    // Two arms, the commonest match (`[] => …, h :: t => …`, `Leaf => …,
                    // Node(l, v, r) => …`): tested one after the other, without a loop.
                    return Some(Box::new(move |ctx, clo| {
                        let v = ctx.local(slot);
                        if s0.fits(v) {
                            s0.bind_local(ctx, slot);
                            b0(ctx, clo)
                        } else if s1.fits(v) {
                            s1.bind_local(ctx, slot);
                            b1(ctx, clo)
                        } else {
                            Err(no_match(v, span))
                        }
                    }));
                }
            };
            return Some(Box::new(move |ctx, clo| {
                let v = ctx.local(slot);
                let Some((shape, body)) = arms.iter().find(|(shape, _)| shape.fits(v)) else {
                    return Err(no_match(v, span));
                };
                shape.bind_local(ctx, slot);
                body(ctx, clo)
            }));
        }
        let scrut = self.expr(scrut);
        Some(Box::new(move |ctx, clo| {
            let v = scrut(ctx, clo)?;
            let Some((shape, body)) = arms.iter().find(|(shape, _)| shape.fits(&v)) else {
                return Err(no_match(&v, span));
            };
            shape.bind(ctx, &v);
            discard(v);
            body(ctx, clo)
        }))
    }

    /// The [`Shape`] of a pattern, if it has one.
    fn shape(&self, p: &Pat) -> Option<Shape> {
        Some(match p {
            Pat::Wild => Shape::Any(None),
            Pat::Bind(v) => Shape::Any(Some(self.slot(*v))),
            Pat::Nil => Shape::Nil,
            Pat::Cons(h, t) => {
                let ht = bind_slots::<Vec<_>>(self, [&**h, &**t])?;
                Shape::Cons(ht[0], ht[1])
            }
            Pat::Ctor(sym, items)
                if !items.is_empty() && items.iter().all(|p| matches!(p, Pat::Wild)) =>
            {
                Shape::CtorOf(*sym, items.len())
            }
            Pat::Ctor(sym, items) => Shape::Ctor(*sym, bind_slots(self, items)?),
            _ => return None,
        })
    }

    // ----- calls --------------------------------------------------------------------------

    /// A call; `tail` when it is in tail position (a call of a function then reuses the
    /// caller's frame). Built-ins, top-level functions and self-calls get closures of their
    /// own.
    fn call(&self, callee: &Ir, arg_irs: &[Ir], tail: bool, span: Span) -> Code {
        let argc = arg_irs.len();
        // Each shape below compiles the arguments once (compiling them twice would make
        // the compile time of nested calls exponential in their depth).
        let pusher = || args_pusher(arg_irs.iter().map(|a| self.arg(a)).collect());
        match callee {
            Ir::Get(Place::Builtin(b)) if argc == 1 && b.min_arity <= 1 && b.max_arity >= 1 => {
                // `abs(x)`, `str(v)`, `len(xs)`: the argument is passed in an array on the
                // native stack, not pushed on the value stack and truncated off it again,
                // and its count was checked here.
                let (b, arg) = (*b, self.arg(&arg_irs[0]));
                Box::new(move |ctx, clo| {
                    let v = arg.value(ctx, clo)?;
                    run_builtin(ctx, b, [v], span)
                })
            }
            Ir::Get(Place::Builtin(b)) if argc == 2 && b.min_arity <= 2 && b.max_arity >= 2 => {
                let (b, x, y) = (*b, self.arg(&arg_irs[0]), self.arg(&arg_irs[1]));
                Box::new(move |ctx, clo| {
                    let v = x.value(ctx, clo)?;
                    let w = match y.value(ctx, clo) {
                        Ok(w) => w,
                        Err(c) => {
                            discard(v);
                            return Err(c);
                        }
                    };
                    run_builtin(ctx, b, [v, w], span)
                })
            }
            Ir::Get(Place::Builtin(b)) => {
                let (b, push_args) = (*b, pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    call_builtin(ctx, b, argc, span)
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if !tail && argc == 1 => {
                // The commonest recursive call, `f(n - 1)`, without a separate argument pusher
                // and, for `local ± constant`, with the argument computed inline.
                let cell = cell.clone();
                if let Ir::Binary(op @ (BinOp::Add | BinOp::Sub), a, b, aspan) = &arg_irs[0]
                    && let (Some(Operand::Local(slot)), Some(Operand::Int(k))) =
                        (self.simple_operand(a), self.simple_operand(b))
                {
                    let (op, aspan) = (*op, *aspan);
                    // `n - k` as `n + (-k)`, unless `-k` overflows (then the general path).
                    let delta = if op == BinOp::Sub {
                        k.checked_neg()
                    } else {
                        Some(k)
                    };
                    return Box::new(move |ctx, _| {
                        let v = match (ctx.local(slot), delta) {
                            (Value::Int(x), Some(d)) if x.checked_add(d).is_some() => {
                                Value::Int(x + d)
                            }
                            (x, _) => arith_slow(op, x, k, aspan)?,
                        };
                        ctx.stack.push(v);
                        match cell.get() {
                            Some(f) => invoke(ctx, f, 1, span),
                            None => Err(no_function(span)),
                        }
                    });
                }
                let arg = self.arg(&arg_irs[0]);
                Box::new(move |ctx, clo| {
                    arg.push(ctx, clo)?;
                    match cell.get() {
                        Some(f) => invoke(ctx, f, 1, span),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if !tail => {
                let (cell, push_args) = (cell.clone(), pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    match cell.get() {
                        Some(f) => invoke(ctx, f, argc, span),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if argc == 1 => {
                // `loop(i + 1)` in tail position: the argument goes straight into the
                // frame's first slot. One and two arguments are written out: one closure
                // generic over `[Arg; N]` (filling a `[Value; N]` in a loop) took 2–6% more
                // instructions (parsing_dollars, iterator).
                let (cell, arg) = (cell.clone(), self.arg(&arg_irs[0]));
                Box::new(move |ctx, clo| {
                    let v = arg.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [v])),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) if argc == 2 => {
                // `go(i + 1, acc + i)`: both arguments are evaluated, then written over the
                // frame's first slots.
                let (cell, a, b) = (cell.clone(), self.arg(&arg_irs[0]), self.arg(&arg_irs[1]));
                Box::new(move |ctx, clo| {
                    let x = a.value(ctx, clo)?;
                    let y = b.value(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call_in_place(ctx, f.clone(), [x, y])),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::GlobalFn(cell, _)) => {
                // A tail call of a top-level function: no callee value is built.
                let (cell, push_args) = (cell.clone(), pusher());
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    match cell.get() {
                        Some(f) => Ok(tail_call(ctx, f.clone(), argc)),
                        None => Err(no_function(span)),
                    }
                })
            }
            Ir::Get(Place::SelfFn) if !tail => {
                let push_args = pusher();
                Box::new(move |ctx, clo| {
                    push_args(ctx, clo)?;
                    invoke(ctx, clo, argc, span)
                })
            }
            _ => {
                let (callee, push_args) = (self.expr(callee), pusher());
                if tail {
                    Box::new(move |ctx, clo| {
                        let f = callee(ctx, clo)?;
                        push_args(ctx, clo)?;
                        match f {
                            Value::Func(f) => Ok(tail_call(ctx, f, argc)),
                            other => call_value(ctx, &other, argc, span),
                        }
                    })
                } else {
                    Box::new(move |ctx, clo| {
                        let f = callee(ctx, clo)?;
                        push_args(ctx, clo)?;
                        let result = call_value(ctx, &f, argc, span);
                        discard(f);
                        result
                    })
                }
            }
        }
    }

    // ----- operators ----------------------------------------------------------------------

    /// The operand shape of `ir`, compiling it to code when it is not a simple operand.
    fn operand(&self, ir: &Ir) -> Operand {
        self.simple_operand(ir)
            .unwrap_or_else(|| Operand::Code(self.expr(ir)))
    }

    /// Where the cell of a boxed (`var`, shared) variable read by `ir` is held, if `ir`
    /// reads one.
    fn boxed_at(&self, ir: &Ir) -> Option<BoxedAt> {
        match ir {
            Ir::Get(Place::Local(v)) if self.boxed(*v) => Some(BoxedAt::Local(self.slot(*v))),
            Ir::Get(Place::Capture(i, v)) if self.boxed(*v) => Some(BoxedAt::Capture(*i)),
            _ => None,
        }
    }

    /// The operand `ir` is if it is a local, a captured constant or an int (reading it has no
    /// effect); `None`, compiling nothing, for anything else.
    fn simple_operand(&self, ir: &Ir) -> Option<Operand> {
        match ir {
            Ir::Get(Place::Local(v)) if !self.boxed(*v) => Some(Operand::Local(self.slot(*v))),
            // A part that got a slot of its own (see [`Place::Part`]).
            Ir::Get(Place::Part(v)) if self.vars[*v].alias.is_none() => {
                Some(Operand::Local(self.slot(*v)))
            }
            Ir::Get(Place::Capture(i, v)) if !self.boxed(*v) => Some(Operand::Capture(*i)),
            Ir::Const(Value::Int(i)) => Some(Operand::Int(*i)),
            _ => None,
        }
    }

    /// `a and b`, or `a or b` when `is_or`, as a value: `b` runs only when `a` does not
    /// decide the result.
    fn and_or(&self, a: &Ir, b: &Ir, span: Span, is_or: bool) -> Code {
        let (a, b) = (self.cond(a, span), self.cond(b, span));
        Box::new(move |ctx, clo| {
            let left = a(ctx, clo)?;
            if left == is_or {
                return Ok(Value::bool(left));
            }
            Ok(Value::bool(b(ctx, clo)?))
        })
    }

    /// A binary operator: arithmetic and comparisons with an int fast path (see
    /// [`Compiler::specialise`]), `::`, and the rest through [`ops::binary`].
    fn binary(&self, op: BinOp, a: &Ir, b: &Ir, span: Span) -> Code {
        macro_rules! int_op {
            ($fast:expr) => {{
                let fast = $fast;
                self.specialise(op, a, b, span, fast, |v, _| Ok(v))
            }};
        }
        match op {
            BinOp::Add => int_op!(|x: i64, y: i64| x.checked_add(y).map(Value::Int)),
            BinOp::Sub => int_op!(|x: i64, y: i64| x.checked_sub(y).map(Value::Int)),
            BinOp::Mul => int_op!(|x: i64, y: i64| x.checked_mul(y).map(Value::Int)),
            // Division by zero and overflow fall through to the general path, which reports them.
            BinOp::Div => int_op!(|x: i64, y: i64| x.checked_div(y).map(Value::Int)),
            BinOp::Rem => int_op!(|x: i64, y: i64| x.checked_rem(y).map(Value::Int)),
            BinOp::Lt => int_op!(|x: i64, y: i64| Some(Value::bool(x < y))),
            BinOp::Le => int_op!(|x: i64, y: i64| Some(Value::bool(x <= y))),
            BinOp::Gt => int_op!(|x: i64, y: i64| Some(Value::bool(x > y))),
            BinOp::Ge => int_op!(|x: i64, y: i64| Some(Value::bool(x >= y))),
            BinOp::Eq => int_op!(|x: i64, y: i64| Some(Value::bool(x == y))),
            BinOp::Ne => int_op!(|x: i64, y: i64| Some(Value::bool(x != y))),
            BinOp::Cons => {
                let (a, b) = (self.expr(a), self.expr(b));
                Box::new(move |ctx, clo| {
                    let x = a(ctx, clo)?;
                    let y = b(ctx, clo)?;
                    ops::cons(x, y).map_err(|m| err(m, span))
                })
            }
            _ => {
                let (a, b) = (self.expr(a), self.expr(b));
                Box::new(move |ctx, clo| {
                    let x = a(ctx, clo)?;
                    let y = b(ctx, clo)?;
                    ops::binary(op, &x, &y).map_err(|m| err(m, span))
                })
            }
        }
    }

    /// An operator with an int–int fast path (`fast` returns `None` on overflow, which the
    /// general path then reports) and closures specialised to the operands' shapes. `finish`
    /// turns the general path's value into the result type (a value, or a boolean for a
    /// condition).
    fn specialise<T: 'static>(
        &self,
        op: BinOp,
        a: &Ir,
        b: &Ir,
        span: Span,
        fast: impl Fn(i64, i64) -> Option<T> + Copy + 'static,
        finish: impl Fn(Value, Span) -> Result<T, Ctrl> + Copy + 'static,
    ) -> CodeOf<T> {
        let slow = move |x: &Value, y: &Value| match ops::binary(op, x, y) {
            Ok(v) => finish(v, span),
            Err(m) => Err(err(m, span)),
        };
        if let Some(cell) = self.boxed_at(a)
            && let Some(y) = self.simple_operand(b).and_then(|b| b.source())
        {
            // `i > n`, `j == 0` on a shared `var` (a handler's state): the int is read in
            // its cell, without a call or a copy of the value.
            return Box::new(move |ctx, clo| {
                let storage = cell.storage(ctx, clo);
                if let Value::Cell(c) = storage
                    && let Value::Int(i) = *c.borrow()
                    && let Value::Int(j) = y.read(ctx, clo)
                    && let Some(v) = fast(i, *j)
                {
                    return Ok(v);
                }
                slow(&read_cell(storage), y.read(ctx, clo))
            });
        }
        match (self.operand(a), self.operand(b)) {
            (Operand::Local(s), Operand::Int(k)) => Box::new(move |ctx, _| {
                let x = ctx.local(s);
                if let Value::Int(i) = x
                    && let Some(v) = fast(*i, k)
                {
                    return Ok(v);
                }
                slow(x, &Value::Int(k))
            }),
            (Operand::Local(s), Operand::Local(t)) => Box::new(move |ctx, _| {
                let (x, y) = (ctx.local(s), ctx.local(t));
                if let (Value::Int(i), Value::Int(j)) = (x, y)
                    && let Some(v) = fast(*i, *j)
                {
                    return Ok(v);
                }
                slow(x, y)
            }),
            (a, b) if let (Some(x), Some(y)) = (a.source(), b.source()) => {
                // Any other pair of locals, captured constants and ints: read in place.
                Box::new(move |ctx, clo| {
                    let (x, y) = (x.read(ctx, clo), y.read(ctx, clo));
                    if let (Value::Int(i), Value::Int(j)) = (x, y)
                        && let Some(v) = fast(*i, *j)
                    {
                        return Ok(v);
                    }
                    slow(x, y)
                })
            }
            // Computed operands: `discard` tells the compiler that ints leave nothing to
            // drop, which a plain drop (a call to the drop glue) does not.
            (Operand::Code(a), Operand::Int(k)) => Box::new(move |ctx, clo| {
                let x = a(ctx, clo)?;
                if let Value::Int(i) = x
                    && let Some(v) = fast(i, k)
                {
                    discard(x);
                    return Ok(v);
                }
                slow(&x, &Value::Int(k))
            }),
            (a, Operand::Code(b)) if let Some(x) = a.source() => Box::new(move |ctx, clo| {
                // `n * f(…)`: the simple operand is read (copied first: `b` may assign it).
                let Value::Int(i) = *x.read(ctx, clo) else {
                    let x = x.read(ctx, clo).clone();
                    let y = b(ctx, clo)?;
                    return slow(&x, &y);
                };
                ints_then(i, b(ctx, clo), fast, slow)
            }),
            (a, b) => {
                let a = self.operand_code(a);
                let b = self.operand_code(b);
                Box::new(move |ctx, clo| {
                    // Results are matched where they are returned, and only the integer stays
                    // live across the second operand's code (LLVM copies a whole result
                    // byte by byte otherwise).
                    let x = a(ctx, clo);
                    if let Ok(Value::Int(i)) = x {
                        forget_int(x);
                        return ints_then(i, b(ctx, clo), fast, slow);
                    }
                    let x = x?;
                    let y = b(ctx, clo)?;
                    slow(&x, &y)
                })
            }
        }
    }

    /// Compiles a condition (of `if`, `while`, a guard, `and`/`or`/`not`) to code producing a
    /// boolean directly; anything but a boolean is a type error at `span` (see
    /// [`Compiler::nested`]).
    fn cond(&self, ir: &Ir, span: Span) -> Cond {
        self.nested(ir, || self.cond_node(ir, span))
    }

    /// [`Compiler::cond`] of one node.
    fn cond_node(&self, ir: &Ir, span: Span) -> Cond {
        match ir {
            Ir::Binary(op, a, b, span) if is_comparison(*op) => by_comparison!(*op, test => {
                self.specialise(*op, a, b, *span, move |x, y| Some(test(x, y)), expect_bool)
            }),
            Ir::Not(a, span) => {
                let a = self.cond(a, *span);
                Box::new(move |ctx, clo| Ok(!a(ctx, clo)?))
            }
            Ir::And(a, b, span) | Ir::Or(a, b, span) => {
                let is_or = matches!(ir, Ir::Or(..));
                let (a, b) = (self.cond(a, *span), self.cond(b, *span));
                Box::new(move |ctx, clo| {
                    let left = a(ctx, clo)?;
                    if left == is_or {
                        return Ok(left);
                    }
                    b(ctx, clo)
                })
            }
            other => {
                let e = self.expr(other);
                Box::new(move |ctx, clo| expect_bool(e(ctx, clo)?, span))
            }
        }
    }

    /// A call argument: read in place when it is a simple operand.
    fn arg(&self, ir: &Ir) -> Arg {
        match self.operand(ir) {
            o if let Some(s) = o.source() => Arg::Read(s),
            o => Arg::Run(self.operand_code(o)),
        }
    }

    /// Code that produces the value of operand `o`.
    fn operand_code(&self, o: Operand) -> Code {
        match o {
            Operand::Local(s) => Box::new(move |ctx, _| read_local(ctx, s)),
            Operand::Capture(i) => Box::new(move |_, clo| Ok(clo.env.at(i).clone())),
            Operand::Int(k) => Box::new(move |_, _| Ok(Value::Int(k))),
            Operand::Code(c) => c,
        }
    }

    // ----- effects ------------------------------------------------------------------------

    /// `suspend Op(args)`; `finish` makes the result of its value (the value itself, nothing
    /// when it is a statement, or a store to a `let`'s slot). One argument, the common case,
    /// is evaluated without a loop; simple arguments are read in place.
    fn suspend<T: Outcome>(
        &self,
        op: OpId,
        args: &[Ir],
        span: Span,
        finish: impl Fn(&mut Ctx, Value) -> T + Copy + 'static,
    ) -> CodeOf<T> {
        let mut args: Vec<Arg> = args.iter().map(|a| self.arg(a)).collect();
        if args.len() == 1 {
            let arg = args.pop().expect("one argument");
            return Box::new(move |ctx, clo| {
                arg.push(ctx, clo)?;
                suspend_then(ctx, op, 1, span, finish)
            });
        }
        Box::new(move |ctx, clo| {
            for a in &args {
                a.push(ctx, clo)?;
            }
            suspend_then(ctx, op, args.len(), span, finish)
        })
    }

    /// Code that builds a handler's clause closures in the current frame; `shallow` for the
    /// handler of a `resume … with`.
    fn handler(&self, h: &HandlerIr, shallow: bool) -> HandlerMaker {
        let closed = h.ops.iter().map(|(_, f)| f).chain(&h.ret);
        if closed.clone().all(|f| f.captures.is_empty()) {
            // No clause captures anything: one set of clauses serves every evaluation.
            let made = Rc::new(HandlerValue {
                ops: h
                    .ops
                    .iter()
                    .map(|(op, f)| (*op, self.closed_closure(f), clause_kind(f)))
                    .collect(),
                ret: h.ret.as_ref().map(|f| self.closed_closure(f)),
                shallow,
            });
            return Rc::new(move |_, _| made.clone());
        }
        let ops: Vec<_> = h
            .ops
            .iter()
            .map(|(op, f)| (*op, clause_kind(f), self.closure_maker(f)))
            .collect();
        let ret = h.ret.as_ref().map(|f| self.closure_maker(f));
        Rc::new(move |ctx, clo| {
            Rc::new(HandlerValue {
                ops: ops
                    .iter()
                    .map(|(op, tr, make)| (*op, make(ctx, clo), *tr))
                    .collect(),
                ret: ret.as_ref().map(|make| make(ctx, clo)),
                shallow,
            })
        })
    }

    /// `resume k(args)`; `tail` says whether it is the fast tail resume of a tail-resumptive
    /// clause, and whether it is in tail position of an operation clause.
    fn resume(
        &self,
        k: &Ir,
        args: &[Ir],
        handler: Option<&HandlerIr>,
        tail: (bool, bool),
        span: Span,
    ) -> Code {
        let (fast, clause_tail) = tail;
        // A tail-resumptive clause may run on the fast path, where no one waits to take a
        // tail resume: there the resume runs nested and its value escapes.
        let clause_tail = clause_tail && !self.tail_resumptive;
        let args = self.exprs(args);
        if fast && self.tail_resumptive {
            // The tail resume of a tail-resumptive clause: the clause's value is what `suspend`
            // returns (see `effects`).
            return match args.into_iter().next() {
                Some(a) => a,
                None => Box::new(|_, _| Ok(Value::Unit)),
            };
        }
        let parts = ResumeParts {
            k: self.expr(k),
            args,
            handler: handler.map(|h| self.handler(h, true)),
            source: self.source,
            site: span,
        };
        if clause_tail {
            Box::new(move |ctx, clo| {
                ctx.tail_resume = Some(Box::new(parts.pending(ctx, clo)?));
                Ok(Value::Unit)
            })
        } else {
            Box::new(move |ctx, clo| resume_nested(ctx, clo, &parts))
        }
    }
}

/// The parts of a `resume k(args) with { … }` expression, compiled.
struct ResumeParts {
    /// The continuation.
    k: Code,
    /// The arguments.
    args: Vec<Code>,
    /// The clauses of `with { … }`, if any.
    handler: Option<HandlerMaker>,
    /// The source text it is in.
    source: u32,
    /// Where it is.
    site: Span,
}

impl ResumeParts {
    /// The resume, evaluated: the continuation, then the arguments, then the handler.
    #[inline(always)]
    fn pending(&self, ctx: &mut Ctx, clo: &Closure) -> Result<effects::PendingResume, Ctrl> {
        let k = (self.k)(ctx, clo)?;
        let args = match self.args.as_slice() {
            [] => effects::Args::None,
            [a] => effects::Args::One(a(ctx, clo)?),
            many => effects::Args::Many(eval_all(many, ctx, clo)?),
        };
        Ok(effects::PendingResume {
            k,
            args,
            shallow: self.handler.as_ref().map(|h| h(ctx, clo)),
            source: self.source,
            site: self.site,
        })
    }
}

/// A resume in non-tail position: it nests, and the clause of every operation the resumed
/// code performs runs on top of it. The `resume` closure jumps here, so that this is the one
/// frame a nested resume adds besides the clause's own (resume_nontail piles up 20,000).
#[inline(never)]
fn resume_nested(ctx: &mut Ctx, clo: &Closure, parts: &ResumeParts) -> R {
    let resumed = begin_resume(ctx, clo, parts)?;
    effects::resume_finish(ctx, resumed)
}

/// Evaluates a nested resume and switches to its continuation (see
/// [`effects::resume_start`]); out of line, so that none of this is on the native stack
/// while the clause the resumed code suspends to runs.
#[inline(never)]
fn begin_resume(
    ctx: &mut Ctx,
    clo: &Closure,
    parts: &ResumeParts,
) -> Result<effects::Resumed, Ctrl> {
    let pending = parts.pending(ctx, clo)?;
    if parts.handler.is_some() {
        return Ok(effects::resume_start_with(ctx, pending));
    }
    Ok(effects::resume_start(ctx, pending))
}

/// The values of `codes`, in order; out of line, so that the frame of a resume's evaluation
/// does not hold the collecting iterator.
#[inline(never)]
fn eval_all(codes: &[Code], ctx: &mut Ctx, clo: &Closure) -> Result<Vec<Value>, Ctrl> {
    codes.iter().map(|a| a(ctx, clo)).collect()
}

/// How an operation clause may run (see [`effects::ClauseKind`]).
fn clause_kind(f: &FnIr) -> effects::ClauseKind {
    effects::ClauseKind::of(f.tail_resumptive, f.body.calls_out())
}

/// Whether `op` compares (`<`, `<=`, `>`, `>=`, `==`, `!=`).
fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne
    )
}

/// `by_comparison!(op, test => body)`: `body` with `test` bound to the integer test of the
/// comparison `op` (a closure `(i64, i64) -> bool`), compiled once per operator so that
/// the test is inlined into the code `body` builds. `op` must satisfy [`is_comparison`].
macro_rules! by_comparison {
    ($op:expr, $test:ident => $body:expr) => {
        match $op {
            BinOp::Lt => {
                let $test = |x: i64, y: i64| x < y;
                $body
            }
            BinOp::Le => {
                let $test = |x: i64, y: i64| x <= y;
                $body
            }
            BinOp::Gt => {
                let $test = |x: i64, y: i64| x > y;
                $body
            }
            BinOp::Ge => {
                let $test = |x: i64, y: i64| x >= y;
                $body
            }
            BinOp::Eq => {
                let $test = |x: i64, y: i64| x == y;
                $body
            }
            _ => {
                let $test = |x: i64, y: i64| x != y;
                $body
            }
        }
    };
}
use by_comparison;

/// `by_arithmetic!(op, fast => body)`: like [`by_comparison!`] for `+`, `-` and `*`, with
/// `fast` bound to the checked integer operation (`None` on overflow).
macro_rules! by_arithmetic {
    ($op:expr, $fast:ident => $body:expr) => {
        match $op {
            BinOp::Add => {
                let $fast = |x: i64, y: i64| x.checked_add(y);
                $body
            }
            BinOp::Sub => {
                let $fast = |x: i64, y: i64| x.checked_sub(y);
                $body
            }
            _ => {
                let $fast = |x: i64, y: i64| x.checked_mul(y);
                $body
            }
        }
    };
}
use by_arithmetic;

/// `suspend` with its `argc` arguments pushed, and `finish` of its value (matched where it
/// is returned, not copied out first).
#[inline(always)]
fn suspend_then<T>(
    ctx: &mut Ctx,
    op: OpId,
    argc: usize,
    span: Span,
    finish: impl Fn(&mut Ctx, Value) -> T,
) -> Result<T, Ctrl> {
    match effects::suspend(ctx, op, argc, span) {
        Ok(v) => Ok(finish(ctx, v)),
        Err(c) => Err(c),
    }
}

/// Runs built-in `b` on `args`, whose count it takes (checked by the compiler).
#[inline(always)]
fn run_builtin<const N: usize>(ctx: &Ctx, b: &Builtin, mut args: [Value; N], site: Span) -> R {
    let result = (b.run)(&ctx.vm, &mut args);
    for v in args {
        discard(v);
    }
    result.map_err(|m| RuntimeError::new(m, site).into())
}

/// A call in tail position: moves the `argc` arguments on top of the value stack into the
/// frame's first slots and leaves the call to the caller's `invoke`, which reuses the frame.
#[inline(always)]
fn tail_call(ctx: &mut Ctx, f: Rc<Closure>, argc: usize) -> Value {
    let top = ctx.stack.len() - argc;
    let base = ctx.base;
    for i in 0..argc {
        ctx.stack.swap(base + i, top + i);
    }
    ctx.tail_argc = argc;
    ctx.tail_callee = Some(f);
    Value::Unit
}

/// A tail call with the arguments `args`, already evaluated: they replace the frame's
/// first slots (a frame smaller than that grows by the rest), where [`tail_call`] pushes
/// them and then swaps them down.
#[inline(always)]
fn tail_call_in_place<const N: usize>(ctx: &mut Ctx, f: Rc<Closure>, args: [Value; N]) -> Value {
    for (i, v) in args.into_iter().enumerate() {
        if ctx.stack.len() > ctx.base + i {
            set_slot(ctx, i, v);
        } else {
            ctx.stack.push(v);
        }
    }
    ctx.tail_argc = N;
    ctx.tail_callee = Some(f);
    Value::Unit
}

/// How a call argument is evaluated: read in place, or by running its code.
enum Arg {
    /// A local, a captured constant or an int: copied without a call.
    Read(Source),
    /// Anything else.
    Run(Code),
}

impl Arg {
    /// Evaluates the argument.
    #[inline(always)]
    fn value(&self, ctx: &mut Ctx, clo: &Closure) -> R {
        match self {
            Arg::Read(s) => Ok(copy_value(s.read(ctx, clo))),
            Arg::Run(code) => code(ctx, clo),
        }
    }

    /// Evaluates the argument onto the value stack.
    #[inline(always)]
    fn push(&self, ctx: &mut Ctx, clo: &Closure) -> Result<(), Ctrl> {
        match self {
            Arg::Read(s) => {
                let v = copy_value(s.read(ctx, clo));
                ctx.stack.push(v);
            }
            Arg::Run(code) => match code(ctx, clo) {
                Ok(v) => ctx.stack.push(v),
                Err(c) => return Err(c),
            },
        }
        Ok(())
    }
}

/// Code that evaluates call arguments left to right onto the value stack; the common small
/// counts are unrolled.
fn args_pusher(args: Vec<Arg>) -> CodeOf<()> {
    let mut it = args.into_iter();
    match (it.next(), it.next(), it.next()) {
        (None, _, _) => Box::new(|_, _| Ok(())),
        (Some(a), None, _) => Box::new(move |ctx, clo| a.push(ctx, clo)),
        (Some(a), Some(b), None) => Box::new(move |ctx, clo| {
            a.push(ctx, clo)?;
            b.push(ctx, clo)
        }),
        (Some(a), Some(b), Some(c)) => {
            let rest: Vec<Arg> = it.collect();
            Box::new(move |ctx, clo| {
                for arg in [&a, &b, &c].into_iter().chain(rest.iter()) {
                    arg.push(ctx, clo)?;
                }
                Ok(())
            })
        }
    }
}

/// A pattern a `match` can test without calling a matcher: a value's tag (and, for a
/// constructor, its name and arity), with a name or `_` for each field.
enum Shape {
    /// `[]`
    Nil,
    /// `h :: t`: the slots `h` and `t` bind to (`None` for `_`).
    Cons(Option<usize>, Option<usize>),
    /// `Name` or `Name(a, b, …)`: the slots of the fields.
    Ctor(Symbol, Box<[Option<usize>]>),
    /// `Name(_, _, …)` with this many fields, binding nothing (its names, if any, are
    /// parts of the scrutinee: see [`Place::Part`]).
    CtorOf(Symbol, usize),
    /// A name or `_`: anything.
    Any(Option<usize>),
}

impl Shape {
    /// Whether `v` fits.
    #[inline(always)]
    fn fits(&self, v: &Value) -> bool {
        match (self, v) {
            (Shape::Nil, Value::Nil) | (Shape::Cons(..), Value::Cons(_)) | (Shape::Any(_), _) => {
                true
            }
            (Shape::Ctor(sym, fields), Value::Atom(s)) => s == sym && fields.is_empty(),
            (Shape::Ctor(sym, fields), Value::Ctor(c)) => {
                c.name == *sym && c.fields.len() == fields.len()
            }
            (Shape::CtorOf(sym, n), Value::Ctor(c)) => c.name == *sym && c.fields.len() == *n,
            _ => false,
        }
    }

    /// Binds the names of the shape to the parts of the value in local `slot`, which fits
    /// it. Binding may replace that slot: the parts are bound from a handle on the cell.
    #[inline(always)]
    fn bind_local(&self, ctx: &mut Ctx, slot: usize) {
        match (self, ctx.local(slot)) {
            (Shape::Cons(None, None), _)
            | (Shape::Nil | Shape::Any(None) | Shape::CtorOf(..), _) => {}
            (Shape::Cons(h, t), Value::Cons(cell)) => {
                let cell = cell.clone();
                bind_to(ctx, *h, &cell.head);
                bind_to(ctx, *t, &cell.tail);
            }
            (Shape::Ctor(_, slots), Value::Ctor(c)) => {
                let c = c.clone();
                for (slot, field) in slots.iter().zip(c.fields.iter()) {
                    bind_to(ctx, *slot, field);
                }
            }
            (Shape::Any(Some(to)), v) => {
                let v = v.clone();
                set_slot(ctx, *to, v);
            }
            _ => {}
        }
    }

    /// Binds the names of the shape to the parts of `v`, which fits it.
    #[inline(always)]
    fn bind(&self, ctx: &mut Ctx, v: &Value) {
        match (self, v) {
            (Shape::Cons(h, t), Value::Cons(cell)) => {
                bind_to(ctx, *h, &cell.head);
                bind_to(ctx, *t, &cell.tail);
            }
            (Shape::Ctor(_, slots), Value::Ctor(c)) => {
                for (slot, field) in slots.iter().zip(c.fields.iter()) {
                    bind_to(ctx, *slot, field);
                }
            }
            (Shape::Any(slot), v) => bind_to(ctx, *slot, v),
            _ => {}
        }
    }
}

/// The slots of patterns that are all names or `_` (`None` for `_`), or `None` if one is
/// anything else.
fn bind_slots<'p, C: FromIterator<Option<usize>>>(
    compiler: &Compiler,
    pats: impl IntoIterator<Item = &'p Pat>,
) -> Option<C> {
    pats.into_iter()
        .map(|p| match p {
            Pat::Wild => Some(None),
            Pat::Bind(v) => Some(Some(compiler.slot(*v))),
            _ => None,
        })
        .collect()
}

/// Binds `val` to the slot of a name pattern (nothing for `_`).
#[inline(always)]
fn bind_to(ctx: &mut Ctx, slot: Option<usize>, val: &Value) {
    if let Some(slot) = slot {
        set_slot(ctx, slot, val.clone());
    }
}

/// `x = x op y` in place: ints by `fast` (nothing to drop), anything else, or an overflow,
/// by the general operator, which reports the error.
#[inline(always)]
fn update_value(
    x: &mut Value,
    y: &Value,
    fast: impl Fn(i64, i64) -> Option<i64>,
    op: BinOp,
    span: Span,
) -> Result<(), Ctrl> {
    if let (Value::Int(i), Value::Int(j)) = (&mut *x, y)
        && let Some(r) = fast(*i, *j)
    {
        *i = r;
        return Ok(());
    }
    let r = ops::binary(op, x, y).map_err(|m| err(m, span))?;
    discard(std::mem::replace(x, r));
    Ok(())
}

/// `arr[idx] = val`.
fn store(arr: &Value, idx: &Value, val: Value, span: Span) -> Result<(), Ctrl> {
    match (arr, idx) {
        (Value::Array(items), Value::Int(n)) => {
            let mut items = items.borrow_mut();
            let len = items.len();
            match usize::try_from(*n).ok().filter(|&n| n < len) {
                Some(n) => {
                    discard(std::mem::replace(&mut items[n], val));
                    Ok(())
                }
                None => Err(err(format!("index out of range: {n} (length {len})"), span)),
            }
        }
        (Value::Array(_), other) => Err(err(
            format!("type error: an index must be an int, got {}", other.kind()),
            span,
        )),
        (other, _) => Err(err(
            format!(
                "type error: cannot assign to an element of {}",
                other.a_kind()
            ),
            span,
        )),
    }
}

/// `a[i]` on arrays and lists.
fn index(a: &Value, i: &Value) -> Result<Value, String> {
    let n = match i {
        Value::Int(n) => *n,
        other => {
            return Err(format!(
                "type error: an index must be an int, got {}",
                other.kind()
            ));
        }
    };
    match a {
        Value::Array(items) => {
            let items = items.borrow();
            usize::try_from(n)
                .ok()
                .and_then(|k| items.get(k).cloned())
                .ok_or_else(|| format!("index out of range: {n} (length {})", items.len()))
        }
        Value::Nil | Value::Cons(_) => usize::try_from(n)
            .ok()
            .and_then(|k| a.list_iter().nth(k).cloned())
            .ok_or_else(|| format!("index out of range: {n} (length {})", a.list_iter().count())),
        other => Err(format!("type error: cannot index {}", other.a_kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A comparison of Rust's integers.
    type Compare = fn(&i64, &i64) -> bool;

    #[test]
    fn integer_tests_agree_with_the_comparison_operators() {
        let ops: [(BinOp, Compare); 6] = [
            (BinOp::Lt, i64::lt),
            (BinOp::Le, i64::le),
            (BinOp::Gt, i64::gt),
            (BinOp::Ge, i64::ge),
            (BinOp::Eq, i64::eq),
            (BinOp::Ne, i64::ne),
        ];
        let samples = [i64::MIN, -7, -1, 0, 1, 2, 7, i64::MAX];
        for (op, expected) in ops {
            assert!(is_comparison(op));
            for x in samples {
                for y in samples {
                    let holds = by_comparison!(op, test => test(x, y));
                    assert_eq!(holds, expected(&x, &y), "{x} {op:?} {y}");
                }
            }
        }
        assert!(!is_comparison(BinOp::Add));
    }
}
