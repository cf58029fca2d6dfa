//! The resolver: AST to [`ir`](crate::ir), deciding where every name lives.
//!
//! - Local variables get frame slots; a variable captured by a closure is *boxed* (kept in
//!   a shared cell) when it is a `var`, or when a hoisted `fn` captures it before it may be
//!   initialised. Immutable variables captured by lambdas are copied into the closure.
//! - Top-level `let`/`var`/`fn` become globals that persist across REPL entries.
//! - `fn`s are hoisted: every `fn` of a block is visible in the whole block.
//! - Assigning to a `let`, to a function or to an unknown name is a compile error.
//! - Calls in tail position are marked, and handler clauses whose every exit is a tail
//!   `resume k(e)` (with `k` used nowhere else) are marked tail-resumptive.
//! - Effect operations are checked against their declarations (name and arity).
//!
//! One `Resolver` resolves one unit (a program or a REPL entry) in a single pass over its
//! tree, holding a context per function being resolved. Its work is split by concern:
//! - `env`: the session's globals and operations ([`Env`]), and the undo list that leaves
//!   them as they were when a unit fails;
//! - `scopes`: the names in scope in one function;
//! - `names`: declaring variables and finding where a name lives, threading captures
//!   through the functions in between;
//! - `blocks`: the top level, blocks and statements (hoisting, global `let`s);
//! - `functions`: the context of one function, parameters, and tail positions;
//! - `expressions`: expressions, and the nesting limit;
//! - `patterns`: `match` arms and patterns, including names read as parts of the scrutinee;
//! - `effects`: handlers, their clauses, `resume`, and operations checked against their
//!   declarations;
//! - `error`: the compile errors this layer reports;
//! - `warning` and `lints`: the warnings (unused names, a dropped continuation, unreachable
//!   code), and the checks that find them;
//! - `suggest`: the names a misspelt one may have meant, for the errors' hints.
//!
//! Invariants: `fns` is never empty while a unit resolves (its first context is the unit's
//! top level); every scope pushed is popped on the way out, error or not; a unit that fails
//! leaves the [`Env`] as it found it.

mod blocks;
mod effects;
mod env;
mod error;
mod expressions;
mod functions;
mod lints;
mod names;
mod patterns;
mod scopes;
mod suggest;
#[cfg(test)]
mod tests;
mod warning;

use crate::ir::{FnIr, Ir, Unit, VarInfo};
use crate::runtime::effects::OpId;
use crate::syntax::ast;

pub use env::Env;
pub use error::{CompileError, CompileErrorKind};
use functions::FnCtx;
use names::VarMeta;
pub use patterns::MAX_PATTERN_NESTING;
use scopes::Scopes;
pub use warning::{Binding, Warning, WarningKind};

/// The result of a resolver step: its value, or the first compile error.
type Res<T> = Result<T, CompileError>;

/// How deeply expressions may nest. The resolver, the compiled code and dropping the syntax
/// tree all recurse once per level; beyond this a program is rejected rather than risk a
/// native stack. (The parser rejects brackets nested deeper as it reads them, before the
/// tree is built: [`crate::syntax::parser::MAX_NESTING`], the same bound.)
pub use crate::syntax::parser::MAX_NESTING;

/// The state of resolving one unit: the variables declared so far, and the functions being
/// resolved.
struct Resolver<'e> {
    /// The session's names; [`resolve_program`] undoes what the unit changed in them if it
    /// fails.
    env: &'e mut Env,
    /// Current expression nesting depth.
    depth: usize,
    /// Every local variable of the unit so far, indexed by [`VarId`](crate::ir::VarId) (becomes
    /// [`Unit::vars`]).
    vars: Vec<VarInfo>,
    /// Facts about each variable of `vars`, at the same index.
    meta: Vec<VarMeta>,
    /// The functions being resolved, the current (innermost) one last; the first is the
    /// unit's top level.
    fns: Vec<FnCtx>,
    /// The warnings found so far (those about unused names are added at the end).
    warnings: Vec<Warning>,
    /// Whether a name of the unit refers to the built-in `backtrace` (see
    /// [`Resolved::names_backtrace`]).
    names_backtrace: bool,
}

/// A unit ready to compile, and what looks wrong in it.
pub struct Resolved {
    /// The unit.
    pub unit: Unit,
    /// Its warnings, in the order of their places in the source.
    pub warnings: Vec<Warning>,
    /// Whether a name of the unit refers to the built-in `backtrace` (not to a variable or
    /// function of the program's called so): the unit reads frame records, and is compiled
    /// to keep them.
    pub names_backtrace: bool,
}

/// Resolves a program (or REPL entry). On success `env` holds the new global definitions;
/// on failure it is unchanged.
pub fn resolve_program(program: ast::Program, env: &mut Env) -> Res<Resolved> {
    env.begin_unit();
    let unit = resolve_unit(program, env);
    env.end_unit(unit.is_ok());
    unit
}

/// [`resolve_program`], leaving in `env` whatever it defined before an error.
fn resolve_unit(program: ast::Program, env: &mut Env) -> Res<Resolved> {
    let mut r = Resolver {
        env,
        depth: 0,
        vars: Vec::new(),
        meta: Vec::new(),
        fns: vec![FnCtx {
            is_main: true,
            scopes: Scopes::new(),
            ..FnCtx::default()
        }],
        warnings: Vec::new(),
        names_backtrace: false,
    };
    let (stmts, value) = r.top_level(program.stmts)?;
    let has_value = value.is_some();
    let body = Ir::Block {
        decls: Box::default(),
        fns: Box::default(),
        stmts: stmts.into(),
        value: value.map(Box::new),
    };
    let ctx = r.fns.pop().expect("main context");
    let warnings = r.finish_warnings();
    let vars = r.finish_vars();
    let unit = Unit {
        vars,
        main: FnIr {
            name: "<main>".into(),
            params: Vec::new(),
            captures: Vec::new(),
            nslots: ctx.nslots,
            body,
            tail_resumptive: false,
        },
        has_value,
    };
    Ok(Resolved {
        unit,
        warnings,
        names_backtrace: r.names_backtrace,
    })
}

impl Resolver<'_> {
    /// Takes the unit's variables, each marked boxed if a closure captures it and it is a
    /// `var` or may be read by a `fn` declaration's closure before it is initialised.
    fn finish_vars(&mut self) -> Vec<VarInfo> {
        let mut vars = std::mem::take(&mut self.vars);
        for (info, m) in vars.iter_mut().zip(&self.meta) {
            info.boxed = m.captured && (m.mutable || (m.captured_by_decl && !m.initialised_early));
        }
        vars
    }

    /// The context of the function being resolved (the innermost).
    fn cur(&mut self) -> &mut FnCtx {
        self.fns.last_mut().expect("a function context")
    }
}
