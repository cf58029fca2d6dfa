//! The resolved program: the AST with names replaced by where they live.
//!
//! The resolver (`crate::resolve`) produces this tree once per program or REPL entry; the
//! closure compiler (`crate::compile`) turns it into Rust closures. Local variables are
//! numbered across the whole unit ([`VarId`]); [`VarInfo`] says which frame slot each one
//! occupies and whether it is *boxed* (kept in a shared cell because a closure captures it
//! and it can change, or may not be initialised yet, when the closure is made).

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use crate::operator::BinOp;
use crate::runtime::effects::OpId;
use crate::runtime::function::{Builtin, Closure};
use crate::runtime::symbol::Symbol;
use crate::runtime::value::Value;
use crate::span::Span;

/// Index of a local variable in [`Unit::vars`].
pub type VarId = usize;

/// What the compiler needs to know about one local variable.
#[derive(Clone, Debug)]
pub struct VarInfo {
    /// The name, for debugging.
    pub name: String,
    /// The frame slot it occupies in its function.
    pub slot: usize,
    /// Whether it lives in a shared cell rather than directly in its slot.
    pub boxed: bool,
    /// For a name that a `match` arm makes a part of its scrutinee (see [`Place::Part`]):
    /// the scrutinee's variable and the part. Such a name has no slot of its own (`slot` is
    /// meaningless).
    pub alias: Option<(VarId, Part)>,
}

/// A part of a matched value that a pattern's name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The field at this index of a constructor.
    Field(usize),
    /// The head of a list.
    Head,
    /// The tail of a list.
    Tail,
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
    /// A local variable of the running function that a `match` arm may have made a *part*
    /// of its scrutinee: a name of a flat pattern (`Node(l, v, r)`, `h :: t`) matched
    /// against an immutable local (a parameter, a `let`, a pattern's or a `for` loop's
    /// name), which nothing can assign while the arm runs. If the name is used at most once, and not in a loop, it is an alias
    /// ([`VarInfo::alias`]): the arm binds nothing to it, it takes no slot, and its use reads
    /// the field from the scrutinee. Otherwise it is an ordinary local with a slot.
    Part(VarId),
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
    /// A local variable of the creating function that may be a part (see [`Place::Part`]).
    Part(VarId),
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
    /// Where the `return` clause is written (the handler's clauses when it has none): a
    /// trace names the place of its events by it.
    pub ret_span: Span,
}

/// Which tail position a `resume` (other than a tail-resumptive clause's fast tail resume)
/// is in, which says who runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResumeTail {
    /// None: it runs where it is, nested.
    No,
    /// Tail position of an operation clause: the clause's value is the resume's, so the code
    /// that ran the clause resumes instead (no nesting).
    Clause,
    /// Tail position of another function. When that function runs in an operation clause's
    /// frame (the clause tail-called it, perhaps through others), its value is the clause's,
    /// and the resume is left to the code that ran the clause as in [`ResumeTail::Clause`];
    /// elsewhere it runs nested.
    Function,
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
    /// `fn`s; then the statements; then the value (`()` when absent). (Boxed slices, not
    /// vectors: every node is as large as this one, and a program's IR has a node for
    /// nearly every node of its syntax tree.)
    Block {
        /// Variables declared directly in the block.
        decls: Box<[VarId]>,
        /// Local `fn` declarations, made at block entry.
        fns: Box<[(VarId, FnIr)]>,
        /// Statements, evaluated for their effects.
        stmts: Box<[Ir]>,
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
    ForRange(Box<Bind>, Box<Ir>, Box<Ir>, Box<Ir>, Span),
    /// `for b in e { body }`
    ForEach(Box<Bind>, Box<Ir>, Box<Ir>, Span),
    /// `match e { arms }`
    Match(Box<Ir>, Vec<Arm>, Span),
    /// `f(args)`; `tail` when the call is the last action of its function.
    Call {
        /// The callee.
        callee: Box<Ir>,
        /// The arguments.
        args: Vec<Ir>,
        /// Whether the call is in tail position. In a tail-resumptive clause, which may run
        /// on the fast path, such a call's value escapes ([`Ir::Escape`]) and the call is
        /// compiled as an ordinary one.
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
        /// Which tail position, if any, it is in (see [`ResumeTail`]).
        tail: ResumeTail,
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

impl Ir {
    /// Whether evaluating this may run code outside it or touch the handler stack: call a
    /// function (a built-in may call back into kont), `suspend`, install a handler, resume,
    /// make or discontinue a continuation. Function bodies written inside (lambdas, local
    /// `fn`s) do not count: making a closure does not run it. A handler clause for which
    /// this is false performs no operation, so on the fast path it needs no mask.
    pub fn calls_out(&self) -> bool {
        match self {
            Ir::Const(_) | Ir::Get(_) | Ir::Lambda(_) | Ir::DefineGlobalFns(_) => false,
            Ir::Call { .. }
            | Ir::Suspend(..)
            | Ir::Handle(..)
            | Ir::Cont(..)
            | Ir::Discontinue(..)
            | Ir::Resume { fast: false, .. } => true,
            Ir::Resume {
                fast: true, args, ..
            }
            | Ir::List(args)
            | Ir::Tuple(args)
            | Ir::Ctor(_, args) => args.iter().any(Ir::calls_out),
            // Destructuring may fail: the error performs `Fail`.
            Ir::Let(Bind::Tuple(..), _) => true,
            Ir::Set(_, e)
            | Ir::Let(_, e)
            | Ir::Not(e, _)
            | Ir::Neg(e, _)
            | Ir::Return(e)
            | Ir::Escape(e) => e.calls_out(),
            Ir::Binary(_, a, b, _) | Ir::And(a, b, _) | Ir::Or(a, b, _) | Ir::Index(a, b, _) => {
                a.calls_out() || b.calls_out()
            }
            Ir::While(c, body, _) | Ir::ForEach(_, c, body, _) => c.calls_out() || body.calls_out(),
            Ir::SetIndex(a, i, v, _) | Ir::ForRange(_, a, i, v, _) => {
                a.calls_out() || i.calls_out() || v.calls_out()
            }
            Ir::If(c, t, e, _) => {
                c.calls_out() || t.calls_out() || e.as_deref().is_some_and(Ir::calls_out)
            }
            Ir::Block { stmts, value, .. } => {
                stmts.iter().any(Ir::calls_out) || value.as_deref().is_some_and(Ir::calls_out)
            }
            Ir::Match(e, arms, _) => {
                e.calls_out()
                    || arms
                        .iter()
                        .any(|a| a.guard.as_ref().is_some_and(Ir::calls_out) || a.body.calls_out())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{Env, resolve_program};
    use crate::syntax::parse_program;

    #[test]
    fn the_ir_stays_small() {
        // A program's IR has a node for nearly every node of its syntax tree, each as large
        // as the largest kind (a block was 80 bytes with its vectors).
        assert!(size_of::<Ir>() <= 64, "Ir: {}", size_of::<Ir>());
    }

    /// For each clause of the handler in `let h = handle … with { … };`: whether it is
    /// tail-resumptive and whether its body calls out.
    fn clause_facts(src: &str) -> Vec<(bool, bool)> {
        let program = parse_program(src).expect("parses");
        let Ok(crate::resolve::Resolved { unit, .. }) =
            resolve_program(program, &mut Env::default())
        else {
            panic!("does not resolve")
        };
        let Ir::Block { stmts, .. } = &unit.main.body else {
            panic!("a block")
        };
        // (A top-level `let` is a global: its IR is an assignment.)
        let handler = stmts.iter().find_map(|s| match s {
            Ir::Let(_, e) | Ir::Set(_, e) => match &**e {
                Ir::Handle(_, h, _) => Some(h.clone()),
                _ => None,
            },
            _ => None,
        });
        let handler = handler.expect("a handle");
        handler
            .ops
            .iter()
            .map(|(_, f)| (f.tail_resumptive, f.body.calls_out()))
            .collect()
    }

    #[test]
    fn clauses_that_perform_nothing_do_not_call_out() {
        let facts = clause_facts(
            "effect A() effect B(x) effect C() effect D() effect E(x) effect F()
             var s = 0;
             let h = handle { 1 } with {
               A(), k => resume k(s),
               B(x), k => { s = x; resume k(()) }
               C(), k => { println(1); resume k(()) }
               D(), k => resume k(suspend A()),
               E(x), _ => [x, (x, x), Some(x)],
               F(), k => if s > 0 { resume k(fn() { suspend A() }) } else { resume k(abs(s)) },
             };",
        );
        assert_eq!(
            facts,
            vec![
                (true, false), // reads a variable
                (true, false), // assigns one
                (true, true),  // calls a built-in
                (true, true),  // suspends
                (true, false), // stops without resuming, building data
                (true, true),  // a lambda's body does not count, but `abs(s)` does
            ]
        );
    }

    #[test]
    fn a_clause_keeping_its_continuation_is_not_tail_resumptive() {
        let facts = clause_facts(
            "effect A()
             let h = handle { 1 } with { A(), k => k };",
        );
        assert_eq!(facts, vec![(false, false)]);
    }
}
