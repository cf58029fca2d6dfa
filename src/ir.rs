//! The resolved program: the AST with names replaced by where they live.
//!
//! The resolver (`crate::resolve`) produces this tree once per program or REPL entry; the
//! closure compiler (`crate::compile`) turns it into Rust closures. Local variables are
//! numbered across the whole unit ([`VarId`]); [`VarInfo`] says which frame slot each one
//! occupies and whether it is *boxed* (kept in a shared cell because a closure captures it
//! and it can change, or may not be initialised yet, when the closure is made).

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use crate::runtime::function::{Builtin, Closure};
use crate::runtime::symbol::Symbol;
use crate::runtime::value::Value;
use crate::syntax::ast::{BinOp, Span};

/// Index of a local variable in [`Unit::vars`].
pub type VarId = usize;

/// Index of a declared effect operation.
pub type OpId = usize;

/// What the compiler needs to know about one local variable.
#[derive(Clone, Debug)]
pub struct VarInfo {
    /// The name, for debugging.
    pub name: String,
    /// The frame slot it occupies in its function.
    pub slot: usize,
    /// Whether it lives in a shared cell rather than directly in its slot.
    pub boxed: bool,
}

/// A global `let` or `var` binding: one cell for the whole session.
pub type GlobalCell = Rc<RefCell<Value>>;

/// A global (top-level) function: its closure is made once, when its program starts.
pub type FnCell = Rc<OnceCell<Rc<Closure>>>;

/// Where a name lives.
#[derive(Clone)]
pub enum Place {
    /// A local variable of the running function.
    Local(VarId),
    /// The `i`th captured variable of the running closure; the `VarId` is the original.
    Capture(usize, VarId),
    /// A top-level `let` or `var`.
    Global(GlobalCell),
    /// A top-level function.
    GlobalFn(FnCell, Rc<str>),
    /// The running function itself (a function naming itself inside its own body).
    SelfFn,
    /// A built-in function.
    Builtin(&'static Builtin),
}

/// Where a new closure takes each captured variable from, in the function that creates it.
#[derive(Clone, Debug)]
pub enum CaptureFrom {
    /// A local variable of the creating function.
    Local(VarId),
    /// A captured variable of the creating closure (`index`, original `VarId`).
    Capture(usize, VarId),
    /// The creating function itself.
    SelfFn,
}

/// A function to be compiled: a `fn` declaration, lambda, handler body or handler clause.
pub struct FnIr {
    /// Its name (`<fn>` for lambdas, `<handle>` for handler bodies, the operation's name for
    /// clauses).
    pub name: Rc<str>,
    /// The parameters' variables (`None` for `_`), in order; they occupy the first slots.
    pub params: Vec<Option<VarId>>,
    /// The variables it captures, and where from.
    pub captures: Vec<CaptureFrom>,
    /// Number of frame slots.
    pub nslots: usize,
    /// The body.
    pub body: Ir,
    /// For a handler clause: whether it is tail-resumptive (`k` is used only as `resume k(e)`
    /// in tail position, and there is no `return`), so that it can run as an ordinary call.
    /// Such a clause is compiled without its `k` parameter; its tail resumes just produce
    /// the value to resume with, and its other exits escape (see [`Ir::Escape`]).
    pub tail_resumptive: bool,
}

/// The left-hand side of `let`, `var` and `for`.
pub enum Bind {
    /// Bind a variable.
    Var(VarId),
    /// `_`
    Wild,
    /// Destructure a tuple.
    Tuple(Vec<Bind>, Span),
}

/// A resolved pattern.
pub enum Pat {
    /// `_`
    Wild,
    /// A name: binds the value.
    Bind(VarId),
    /// A literal compared with `==`.
    Lit(Value),
    /// `(p, q, …)`
    Tuple(Vec<Pat>),
    /// `[]`
    Nil,
    /// `p :: q`
    Cons(Box<Pat>, Box<Pat>),
    /// `Ctor(p, …)` or `Ctor`.
    Ctor(Symbol, Vec<Pat>),
    /// `p | q`
    Or(Vec<Pat>),
}

/// One arm of a `match`.
pub struct Arm {
    /// The pattern.
    pub pat: Pat,
    /// The guard.
    pub guard: Option<Ir>,
    /// The body.
    pub body: Ir,
}

/// The clauses of a handler.
pub struct HandlerIr {
    /// Operation clauses: the operation and the clause function (parameters, then `k` unless
    /// tail-resumptive).
    pub ops: Vec<(OpId, FnIr)>,
    /// The `return` clause (one parameter).
    pub ret: Option<FnIr>,
}

/// A resolved expression or statement.
pub enum Ir {
    /// A constant.
    Const(Value),
    /// Read a variable.
    Get(Place),
    /// Assign a variable (`var`s only; checked by the resolver).
    Set(Place, Box<Ir>),
    /// `let`/`var`: evaluate and bind.
    Let(Bind, Box<Ir>),
    /// `a[i] = v`
    SetIndex(Box<Ir>, Box<Ir>, Box<Ir>, Span),
    /// A block: at entry, fresh cells for its boxed variables (`decls`) and closures for its
    /// `fn`s; then the statements; then the value (`()` when absent).
    Block {
        /// Variables declared directly in the block.
        decls: Vec<VarId>,
        /// Local `fn` declarations, made at block entry.
        fns: Vec<(VarId, FnIr)>,
        /// Statements, evaluated for their effects.
        stmts: Vec<Ir>,
        /// The block's value.
        value: Option<Box<Ir>>,
    },
    /// Top-level `fn` declarations, made when the program starts.
    DefineGlobalFns(Vec<(FnCell, FnIr)>),
    /// `if c { t } else { e }`
    If(Box<Ir>, Box<Ir>, Option<Box<Ir>>, Span),
    /// `while c { body }`
    While(Box<Ir>, Box<Ir>, Span),
    /// `for b in a..z { body }`
    ForRange(Bind, Box<Ir>, Box<Ir>, Box<Ir>, Span),
    /// `for b in e { body }`
    ForEach(Bind, Box<Ir>, Box<Ir>, Span),
    /// `match e { arms }`
    Match(Box<Ir>, Vec<Arm>, Span),
    /// `f(args)`; `tail` when the call is the last action of its function.
    Call {
        /// The callee.
        callee: Box<Ir>,
        /// The arguments.
        args: Vec<Ir>,
        /// Whether the call is in tail position.
        tail: bool,
        /// The call's location.
        span: Span,
    },
    /// A function value (`fn(…) { … }`).
    Lambda(Rc<FnIr>),
    /// An arithmetic or comparison operator, `++` or `::`.
    Binary(BinOp, Box<Ir>, Box<Ir>, Span),
    /// `a and b`
    And(Box<Ir>, Box<Ir>, Span),
    /// `a or b`
    Or(Box<Ir>, Box<Ir>, Span),
    /// `not a`
    Not(Box<Ir>, Span),
    /// `-a`
    Neg(Box<Ir>, Span),
    /// `[a, b, …]`
    List(Vec<Ir>),
    /// `(a, b, …)`
    Tuple(Vec<Ir>),
    /// `C(a, …)`
    Ctor(Symbol, Vec<Ir>),
    /// `a[i]`
    Index(Box<Ir>, Box<Ir>, Span),
    /// `return e`
    Return(Box<Ir>),
    /// `suspend Op(args)`
    Suspend(OpId, Vec<Ir>, Span),
    /// `handle body with { … }`: the body as a function of no arguments.
    Handle(Rc<FnIr>, Rc<HandlerIr>, Span),
    /// `resume k(args)` (with an optional shallow handler). `fast` marks a tail resume of the
    /// enclosing tail-resumptive clause's own `k`: it just yields its argument.
    Resume {
        /// The continuation.
        k: Box<Ir>,
        /// The arguments.
        args: Vec<Ir>,
        /// `with { … }`
        handler: Option<Rc<HandlerIr>>,
        /// Whether this is the tail resume of a tail-resumptive clause.
        fast: bool,
        /// Whether it is in tail position of an operation clause: the clause's value is
        /// the resume's, so the code waiting for the clause resumes instead (no nesting).
        clause_tail: bool,
        /// Location.
        span: Span,
    },
    /// A tail position of an operation clause that does not resume its `k`. In a
    /// tail-resumptive clause (which may run on the fast path, on the suspending stack) the
    /// value escapes to the code waiting for the handler, unwinding the handled computation;
    /// elsewhere it is just the value.
    Escape(Box<Ir>),
    /// `cont f`
    Cont(Box<Ir>, Span),
    /// `discontinue k`
    Discontinue(Box<Ir>, Span),
}

/// A resolved compilation unit: a program or one REPL entry.
pub struct Unit {
    /// Every local variable of every function in the unit.
    pub vars: Vec<VarInfo>,
    /// The top level, as a function of no arguments.
    pub main: FnIr,
    /// Whether the unit ends with an expression whose value the REPL should print.
    pub has_value: bool,
}
