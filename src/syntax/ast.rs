//! The abstract syntax tree produced by the parser.
//!
//! Every node carries a [`Span`]: the byte range of the source text it was parsed from. The
//! tree mirrors the language reference (`docs/language.md`) closely and makes no decisions
//! about names or scopes; that is the resolver's job (`crate::resolve`). Nothing walks this
//! tree at run time: the resolver and the closure compiler consume it once.

use crate::operator::{BinOp, UnOp};
use crate::span::Span;

/// A name as written in the source, with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name itself.
    pub name: String,
    /// Where it appears.
    pub span: Span,
}

/// A whole program (or one REPL entry): a sequence of statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    /// The statements in source order. A final expression statement without `;` is kept as
    /// `Stmt::Expr { semi: false, .. }`; its value is the program's value (the REPL prints it).
    pub stmts: Vec<Stmt>,
}

/// A statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `let p = e;` (`mutable: false`) or `var p = e;` (`mutable: true`).
    Let {
        /// What is bound: a name, `_`, or a tuple of those.
        pattern: BindPat,
        /// Whether the binding is a `var`.
        mutable: bool,
        /// The initialiser.
        value: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `name = e;`
    Assign {
        /// The variable assigned to.
        target: Ident,
        /// The new value.
        value: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `a[i] = v;` (its parts boxed: a statement sits inline in a block's statements)
    IndexAssign {
        /// The array expression.
        array: Box<Expr>,
        /// The index expression.
        index: Box<Expr>,
        /// The new element.
        value: Box<Expr>,
        /// The whole statement.
        span: Span,
    },
    /// `fn name(params) { body }`: a named, recursive, hoisted function.
    Fn(FnDecl),
    /// `effect Op(p1, p2)`: declares an operation and its parameter count.
    Effect {
        /// The operation's name (upper-case initial).
        name: Ident,
        /// The parameter names (only their count matters).
        params: Vec<Ident>,
        /// The whole declaration.
        span: Span,
    },
    /// An expression used as a statement. `semi` records whether a `;` followed it; the last
    /// statement of a block with `semi: false` is the block's value.
    Expr {
        /// The expression.
        expr: Expr,
        /// Whether a `;` followed it.
        semi: bool,
    },
}

/// `fn name(params) { body }`.
#[derive(Clone, Debug, PartialEq)]
pub struct FnDecl {
    /// The function's name.
    pub name: Ident,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its body.
    pub body: Block,
    /// The whole declaration.
    pub span: Span,
}

/// A function parameter: a name or `_`.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// A named parameter.
    Name(Ident),
    /// `_`: the argument is ignored.
    Wildcard(Span),
}

/// The left-hand side of `let`, `var` and `for`: a name, `_`, or a tuple of those.
#[derive(Clone, Debug, PartialEq)]
pub enum BindPat {
    /// A name.
    Name(Ident),
    /// `_`.
    Wildcard(Span),
    /// `(p, q, …)`: at least two elements.
    Tuple(Vec<BindPat>, Span),
}

impl BindPat {
    /// The pattern's span.
    pub fn span(&self) -> Span {
        match self {
            BindPat::Name(id) => id.span,
            BindPat::Wildcard(s) | BindPat::Tuple(_, s) => *s,
        }
    }
}

/// `{ s1; s2; e }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    /// The statements; a last `Stmt::Expr { semi: false }` is the block's value.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The head of a `for` loop.
#[derive(Clone, Debug, PartialEq)]
pub enum ForIter {
    /// `a..b`: the integers from `a` up to but excluding `b`.
    Range(Box<Expr>, Box<Expr>),
    /// Any other expression: a list, an array or a range value.
    Expr(Box<Expr>),
}

/// One arm of a `match`.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    /// The pattern (possibly an or-pattern).
    pub pattern: Pattern,
    /// An optional guard `if cond`.
    pub guard: Option<Box<Expr>>,
    /// The arm's body (boxed, as the guard: arms sit inline in a `match`'s list, and an arm
    /// waits on the parser's stack while the next is parsed).
    pub body: Box<Expr>,
    /// From the pattern to the end of the body.
    pub span: Span,
}

/// One operation clause of a handler: `Op(x, y), k => body`.
#[derive(Clone, Debug, PartialEq)]
pub struct OpClause {
    /// The operation's name.
    pub op: Ident,
    /// The parameters (names or `_`).
    pub params: Vec<Param>,
    /// The continuation parameter (a name or `_`).
    pub k: Param,
    /// The clause body (boxed: clauses sit inline in a handler's list).
    pub body: Box<Expr>,
    /// The whole clause.
    pub span: Span,
}

/// `return(x) => body`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReturnClause {
    /// The parameter that receives the body's value.
    pub param: Param,
    /// The clause body (boxed: a handler sits inline in `ExprKind::Handle`).
    pub body: Box<Expr>,
    /// The whole clause.
    pub span: Span,
}

/// The clauses between `with {` and `}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Handler {
    /// The operation clauses in source order.
    pub ops: Vec<OpClause>,
    /// The `return` clause, if any (at most one; the parser reports a second one).
    pub ret: Option<ReturnClause>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A pattern in a `match` arm.
#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// `_`
    Wildcard(Span),
    /// A lower-case name: binds the value.
    Bind(Ident),
    /// An integer literal, possibly negative.
    Int(i64, Span),
    /// A float literal, possibly negative.
    Float(f64, Span),
    /// A string literal.
    Str(String, Span),
    /// `true` or `false`.
    Bool(bool, Span),
    /// `()`
    Unit(Span),
    /// `(p, q, …)`, at least two elements.
    Tuple(Vec<Pattern>, Span),
    /// `[p, q, …]` (empty for `[]`).
    List(Vec<Pattern>, Span),
    /// `p :: q`
    Cons(Box<Pattern>, Box<Pattern>, Span),
    /// `Ctor(p, …)` or a bare `Ctor` (empty `args`; `C()` is the same as `C`).
    Ctor(Ident, Vec<Pattern>, Span),
    /// `p | q | …`
    Or(Vec<Pattern>, Span),
}

impl Pattern {
    /// The pattern's span.
    pub fn span(&self) -> Span {
        match self {
            Pattern::Wildcard(s)
            | Pattern::Int(_, s)
            | Pattern::Float(_, s)
            | Pattern::Str(_, s)
            | Pattern::Bool(_, s)
            | Pattern::Unit(s)
            | Pattern::Tuple(_, s)
            | Pattern::List(_, s)
            | Pattern::Cons(_, _, s)
            | Pattern::Ctor(_, _, s)
            | Pattern::Or(_, s) => *s,
            Pattern::Bind(id) => id.span,
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal (already range-checked by the parser).
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal with its escapes already decoded.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `()`
    Unit,
    /// A lower-case name.
    Var(Ident),
    /// An upper-case name, applied (`Node(l, v, r)`) or bare (`Leaf`, `C()`: empty `args`).
    Ctor(Ident, Vec<Expr>),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `(a, b, …)`, at least two elements.
    Tuple(Vec<Expr>),
    /// `l op r`, including `::`, `++`, `and`, `or`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `-e`, `not e`.
    Unary(UnOp, Box<Expr>),
    /// `f(a, b)`
    Call(Box<Expr>, Vec<Expr>),
    /// `a[i]`
    Index(Box<Expr>, Box<Expr>),
    /// `if c { … } else …`; `else_` is a `Block` or another `If` expression.
    If(Box<Expr>, Block, Option<Box<Expr>>),
    /// `while c { … }`
    While(Box<Expr>, Block),
    /// `for p in head { … }`
    For(Box<BindPat>, ForIter, Block),
    /// `match e { arms }`
    Match(Box<Expr>, Vec<Arm>),
    /// `{ … }` used as an expression.
    Block(Block),
    /// `fn(params) { body }` or `fn(params) => e`. The body of the short form is wrapped
    /// as an expression, the long form's as `ExprKind::Block`.
    Lambda(Vec<Param>, Box<Expr>),
    /// `return e` (or `return` alone: returns `()`).
    Return(Option<Box<Expr>>),
    /// `suspend Op(args)`
    Suspend(Ident, Vec<Expr>),
    /// `handle body with { clauses }`
    Handle(Box<Expr>, Box<Handler>),
    /// `resume k(args)` or `resume k(args) with { clauses }` (shallow).
    Resume(Box<Expr>, Vec<Expr>, Option<Box<Handler>>),
    /// `cont f`
    Cont(Box<Expr>),
    /// `discontinue k`
    Discontinue(Box<Expr>),
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_stays_small() {
        // Every node of a program's tree is one of these, and a statement, an arm or an
        // expression waits on the parser's stack in a slot as large as the largest of them:
        // the front end's memory per byte of source follows these sizes (docs/architecture.md,
        // "Front end"). The rare big parts are boxed.
        assert!(size_of::<Expr>() <= 72, "Expr: {}", size_of::<Expr>());
        assert!(size_of::<Stmt>() <= 128, "Stmt: {}", size_of::<Stmt>());
        assert!(size_of::<Arm>() <= 88, "Arm: {}", size_of::<Arm>());
        assert!(
            size_of::<OpClause>() <= 104,
            "OpClause: {}",
            size_of::<OpClause>()
        );
    }
}
