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

use std::collections::HashMap;
use std::rc::Rc;

use crate::ir::{
    Arm, Bind, CaptureFrom, FnCell, FnIr, GlobalCell, HandlerIr, Ir, OpId, Part, Pat, Place, Unit,
    VarId, VarInfo,
};
use crate::runtime::builtins;
use crate::runtime::symbol::Symbol;
use crate::runtime::value::Value;
use crate::syntax::ast::{self, BinOp, BindPat, Block, Expr, ExprKind, Param, Pattern, Span, Stmt};

/// A compile-time error: a message, where, and maybe a hint.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// What is wrong (begins with a phrase from LANGUAGE.md's error table where one applies).
    pub message: String,
    /// Where.
    pub span: Span,
    /// A hint for the learner.
    pub hint: Option<String>,
}

impl CompileError {
    /// An error at `span` with no hint.
    fn new(message: impl Into<String>, span: Span) -> CompileError {
        CompileError {
            message: message.into(),
            span,
            hint: None,
        }
    }

    /// The error with `hint` added.
    fn hint(mut self, hint: impl Into<String>) -> CompileError {
        self.hint = Some(hint.into());
        self
    }
}

/// The result of a resolver step: its value, or the first compile error.
type Res<T> = Result<T, CompileError>;

/// A global binding.
#[derive(Clone)]
enum Global {
    /// A top-level `let` or `var`.
    Value {
        /// The cell holding its value for the rest of the session.
        cell: GlobalCell,
        /// Whether it is a `var` (assignable).
        mutable: bool,
    },
    /// A top-level `fn`: the cell its closure is put in when its program starts.
    Fn(FnCell),
}

/// Names that persist across the units of one session (the REPL's definitions).
#[derive(Default)]
pub struct Env {
    /// The top-level `let`s, `var`s and `fn`s, by name.
    globals: HashMap<String, Global>,
    /// The declared operations, by name: the id (kept when the operation is declared again)
    /// and the arity of its latest declaration.
    effects: HashMap<String, (OpId, usize)>,
    /// Names and arities of the operations, by id.
    op_names: Vec<(Rc<str>, usize)>,
    /// What the unit being resolved has changed, oldest first, to be undone if it fails
    /// (copying the whole environment per unit made a session of many definitions
    /// quadratic). Empty between units.
    undo: Vec<Undo>,
}

/// One change to an [`Env`], with what it replaced.
enum Undo {
    /// A global was defined; it had the binding given, or none.
    Global(String, Option<Global>),
    /// An operation was declared; it had the id and arity given, or was new (its id the
    /// last of `op_names`).
    Effect(String, Option<(OpId, usize)>),
}

impl Env {
    /// Defines the global `name`.
    fn define(&mut self, name: &str, global: Global) {
        let old = self.globals.insert(name.to_string(), global);
        self.undo.push(Undo::Global(name.to_string(), old));
    }

    /// Declares the operation `name` with `arity` parameters: a new one gets the next
    /// [`OpId`]; one declared again keeps its id and takes the new arity.
    fn declare_effect(&mut self, name: &str, arity: usize) {
        let old = self.effects.get(name).copied();
        let id = match old {
            Some((id, _)) => {
                self.op_names[id].1 = arity;
                id
            }
            None => {
                self.op_names.push((name.into(), arity));
                self.op_names.len() - 1
            }
        };
        self.effects.insert(name.to_string(), (id, arity));
        self.undo.push(Undo::Effect(name.to_string(), old));
    }

    /// Undoes the changes of the unit being resolved, newest first.
    fn roll_back(&mut self) {
        while let Some(change) = self.undo.pop() {
            match change {
                Undo::Global(name, Some(old)) => {
                    self.globals.insert(name, old);
                }
                Undo::Global(name, None) => {
                    self.globals.remove(&name);
                }
                Undo::Effect(name, Some((id, arity))) => {
                    self.op_names[id].1 = arity;
                    self.effects.insert(name, (id, arity));
                }
                Undo::Effect(name, None) => {
                    self.op_names.pop();
                    self.effects.remove(&name);
                }
            }
        }
    }

    /// The declared operations, indexed by [`OpId`].
    pub fn operations(&self) -> &[(Rc<str>, usize)] {
        &self.op_names
    }

    /// The names defined so far: top-level variables and functions, and operations.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.globals
            .keys()
            .chain(self.effects.keys())
            .map(|n| n.as_str())
    }
}

/// Facts about a local variable gathered while resolving.
struct VarMeta {
    /// Whether it is a `var` (assignable).
    mutable: bool,
    /// Bound before any closure of its function can be made (parameters, pattern and loop
    /// variables): never needs a cell to be shared early.
    initialised_early: bool,
    /// Whether a nested function captures it as a variable (not as a part, nor as the
    /// function naming itself).
    captured: bool,
    /// Whether a `fn` declaration captures it: hoisted, the closure may be made before the
    /// variable is initialised.
    captured_by_decl: bool,
    /// How many times the code names it (reads and assignments): for a clause's `k`,
    /// compared with its tail resumes; for a part, whether it keeps one (see
    /// [`Resolver::settle_parts`]).
    uses: usize,
    /// Whether it holds a local `fn` declaration (which cannot be assigned).
    is_fn: bool,
    /// How many loops of its function enclose its declaration.
    loops: usize,
    /// Whether it is used inside a loop that does not enclose its declaration (or by a
    /// closure made there): for a part ([`Place::Part`]), a use that may run many times.
    used_in_loop: bool,
}

/// The names in scope in one function: one list per block, innermost last (within a list
/// a later entry for a name shadows an earlier one), and an index from each name to its
/// bindings, latest last, so that a lookup does not scan the lists (a block of 80,000
/// `let`s took seconds). A binding always goes into the innermost list, so a name's latest
/// binding is also its innermost one, and the lists nest as its bindings do.
#[derive(Default)]
struct Scopes {
    /// The names bound in each block, innermost last.
    lists: Vec<Vec<(String, VarId)>>,
    /// The variables each name is bound to, latest last.
    index: HashMap<String, Vec<VarId>>,
}

impl Scopes {
    /// One empty scope: a function's outermost.
    fn new() -> Scopes {
        Scopes {
            lists: vec![Vec::new()],
            index: HashMap::new(),
        }
    }

    /// Opens a scope.
    fn push(&mut self) {
        self.lists.push(Vec::new());
    }

    /// Closes the innermost scope: its names stand for what they did before it.
    fn pop(&mut self) {
        self.truncate_innermost(0);
        self.lists.pop();
    }

    /// Binds `name` to `var` in the innermost scope.
    fn bind(&mut self, name: &str, var: VarId) {
        self.lists
            .last_mut()
            .expect("a scope")
            .push((name.to_string(), var));
        self.index.entry(name.to_string()).or_default().push(var);
    }

    /// Drops the latest binding of `name` from the index.
    fn unbind(&mut self, name: &str) {
        if let Some(vars) = self.index.get_mut(name) {
            vars.pop();
            if vars.is_empty() {
                self.index.remove(name);
            }
        }
    }

    /// The variable `name` stands for, if it is bound here.
    fn lookup(&self, name: &str) -> Option<VarId> {
        self.index.get(name).and_then(|vars| vars.last().copied())
    }

    /// How many scopes are open.
    fn depth(&self) -> usize {
        self.lists.len()
    }

    /// The bindings of the innermost scope, in order.
    fn innermost(&self) -> &[(String, VarId)] {
        self.lists.last().expect("a scope")
    }

    /// Unbinds the names bound in the innermost scope after its first `len`, latest first.
    fn truncate_innermost(&mut self, len: usize) {
        while self.innermost().len() > len {
            let (name, _) = self.lists.last_mut().and_then(Vec::pop).expect("a binding");
            self.unbind(&name);
        }
    }
}

/// Resolution state of one function being resolved.
#[derive(Default)]
struct FnCtx {
    /// The names in scope.
    scopes: Scopes,
    /// Where the function's creator takes each captured variable from (becomes
    /// [`FnIr::captures`]).
    captures: Vec<CaptureFrom>,
    /// The original variable of each capture, to share one capture per variable.
    capture_keys: Vec<VarId>,
    /// How many frame slots the function uses so far.
    nslots: usize,
    /// For a local `fn` declaration: the variable holding it, which its body reads as
    /// [`Place::SelfFn`] rather than capturing it.
    self_var: Option<VarId>,
    /// Whether this is a `fn` declaration (hoisted: what it captures may not be initialised
    /// yet when its closure is made).
    is_decl: bool,
    /// Whether this is the unit's top level (where `let`s of the outer scope make globals,
    /// and `return` is an error).
    is_main: bool,
    /// How many loops enclose the code being resolved (their conditions and bodies).
    loops: usize,
    /// Whether this is an operation clause of a handler.
    is_op_clause: bool,
    /// For an operation clause whose `k` has a name: how the clause uses it, to decide
    /// whether the clause is tail-resumptive.
    clause: Option<ClauseFacts>,
}

/// A flat pattern whose names were declared as parts of the scrutinee, before the arm is
/// resolved (see [`Resolver::settle_parts`]).
enum PartPattern {
    /// `Name(a, _, …)`: the constructor and each field's name (`None` for `_`).
    Ctor(Symbol, Vec<Option<VarId>>),
    /// `h :: t`.
    Cons(Option<VarId>, Option<VarId>),
}

/// What is learnt about a handler clause's use of its continuation.
struct ClauseFacts {
    /// The variable of the clause's continuation parameter.
    k: VarId,
    /// How many `resume k(…)`s of it are on the fast path (in tail position, at most one
    /// argument, no handler).
    tail_resumes: usize,
    /// Whether the clause has a `return` (which keeps it from being tail-resumptive).
    has_return: bool,
}

/// How deeply expressions may nest. The resolver, the compiled code and dropping the syntax
/// tree all recurse once per level; beyond this a program is rejected rather than risk a
/// native stack.
pub const MAX_NESTING: usize = 100_000;

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
fn bind_depth(p: &BindPat) -> usize {
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
fn check_pattern_depth(depth: usize, span: Span) -> Res<()> {
    if depth <= MAX_PATTERN_NESTING {
        return Ok(());
    }
    Err(CompileError::new(
        format!("pattern nested too deeply (more than {MAX_PATTERN_NESTING} levels)"),
        span,
    )
    .hint("match in steps: name an inner part and match it in the arm"))
}

/// The state of resolving one unit: the variables declared so far, and the functions being
/// resolved.
struct Resolver<'e> {
    /// The session's names: a scratch copy, written back by [`resolve_program`] only when
    /// the whole unit resolves.
    env: &'e mut Env,
    /// Current expression nesting depth.
    depth: usize,
    /// Every local variable of the unit so far, indexed by [`VarId`] (becomes
    /// [`Unit::vars`]).
    vars: Vec<VarInfo>,
    /// Facts about each variable of `vars`, at the same index.
    meta: Vec<VarMeta>,
    /// The functions being resolved, the current (innermost) one last; the first is the
    /// unit's top level.
    fns: Vec<FnCtx>,
}

/// Resolves a program (or REPL entry). On success `env` holds the new global definitions;
/// on failure it is unchanged.
pub fn resolve_program(program: &ast::Program, env: &mut Env) -> Res<Unit> {
    let unit = resolve_unit(program, env);
    if unit.is_err() {
        env.roll_back();
    }
    env.undo.clear();
    unit
}

/// [`resolve_program`], leaving in `env` whatever it defined before an error.
fn resolve_unit(program: &ast::Program, env: &mut Env) -> Res<Unit> {
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
    };
    let (stmts, value) = r.top_level(&program.stmts)?;
    let has_value = value.is_some();
    let body = Ir::Block {
        decls: Vec::new(),
        fns: Vec::new(),
        stmts,
        value: value.map(Box::new),
    };
    let ctx = r.fns.pop().expect("main context");
    let vars = r.finish_vars();
    Ok(Unit {
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
    })
}

/// Whether a statement is the value of its block: the last one, an expression, no `;`.
fn split_value(stmts: &[Stmt]) -> (&[Stmt], Option<&Expr>) {
    match stmts.last() {
        Some(Stmt::Expr { expr, semi: false }) => (&stmts[..stmts.len() - 1], Some(expr)),
        _ => (stmts, None),
    }
}

impl<'e> Resolver<'e> {
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

    // ----- declarations -------------------------------------------------------------------

    /// Declares the `effect`s among `stmts` before any of them is resolved: a new operation
    /// gets the next [`OpId`]; one declared again keeps its id and takes the new arity.
    fn declare_effects(&mut self, stmts: &[Stmt]) -> Res<()> {
        for s in stmts {
            if let Stmt::Effect { name, params, .. } = s {
                self.env.declare_effect(&name.name, params.len());
            }
        }
        Ok(())
    }

    /// A new variable of the current function, with a slot of its own, not yet in scope;
    /// `early` as for [`VarMeta::initialised_early`].
    fn new_var(&mut self, name: &str, mutable: bool, early: bool) -> VarId {
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
        });
        id
    }

    /// Puts `name` in the current function's innermost scope, standing for `var`.
    fn bind_name(&mut self, name: &str, var: VarId) {
        self.cur().scopes.bind(name, var);
    }

    /// A new variable in the current scope, visible from now on.
    fn declare(&mut self, name: &str, mutable: bool, early: bool) -> VarId {
        let v = self.new_var(name, mutable, early);
        self.bind_name(name, v);
        v
    }

    /// A name for `part` of local `of`, visible from now on: a variable without a slot,
    /// until [`Resolver::settle_parts`] gives it one (see [`Place::Part`]).
    fn declare_part(&mut self, name: &str, of: VarId, part: Part) -> VarId {
        let id = self.push_var(name, usize::MAX, Some((of, part)), false, true);
        self.bind_name(name, id);
        id
    }

    /// Whether resolution is at the unit's top level, outside any block: where `let` and
    /// `var` make globals.
    fn in_main_top_scope(&self) -> bool {
        let f = self.fns.last().expect("a function context");
        f.is_main && f.scopes.depth() == 1
    }

    // ----- name lookup --------------------------------------------------------------------

    /// The variable `name` stands for in the scopes of function `level` (an index into
    /// `fns`), the latest binding first; `None` if it has none there.
    fn lookup_local(&self, level: usize, name: &str) -> Option<VarId> {
        self.fns[level].scopes.lookup(name)
    }

    /// Where `name` lives, seen from the current function; records captures on the way.
    fn lookup(&mut self, name: &str) -> Option<Place> {
        let cur = self.fns.len() - 1;
        for level in (0..=cur).rev() {
            if let Some(v) = self.lookup_local(level, name) {
                let m = &mut self.meta[v];
                m.uses += 1;
                m.used_in_loop |= self.fns[level].loops > m.loops;
                return Some(self.capture_chain(level, v));
            }
        }
        match self.env.globals.get(name) {
            Some(Global::Value { cell, .. }) => Some(Place::Global(cell.clone())),
            Some(Global::Fn(cell)) => Some(Place::GlobalFn(cell.clone(), name.into())),
            None => builtins::lookup(name).map(Place::Builtin),
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

    // ----- top level ----------------------------------------------------------------------

    /// Resolves the unit's top-level statements: effects declared and `fn`s made globals
    /// first (so every `fn` is visible everywhere), then each statement, the `fn`s defined
    /// by a leading [`Ir::DefineGlobalFns`]. Returns the statements and the final value
    /// expression, if any.
    fn top_level(&mut self, stmts: &[Stmt]) -> Res<(Vec<Ir>, Option<Ir>)> {
        self.declare_effects(stmts)?;
        let mut cells = Vec::new();
        for s in stmts {
            if let Stmt::Fn(decl) = s {
                let cell = FnCell::default();
                self.env.define(&decl.name.name, Global::Fn(cell.clone()));
                cells.push(cell);
            }
        }
        let mut fns = Vec::new();
        let mut out = Vec::new();
        let (body, value) = split_value(stmts);
        let mut cells = cells.into_iter();
        for s in body {
            if let Stmt::Fn(decl) = s {
                let f = self.function(decl, None)?;
                fns.push((cells.next().expect("a cell per fn"), f));
            } else {
                out.push(self.stmt(s)?);
            }
        }
        let value = value.map(|e| self.expr(e, true)).transpose()?;
        out.insert(0, Ir::DefineGlobalFns(fns));
        Ok((out, value))
    }

    // ----- statements and blocks -----------------------------------------------------------

    /// Resolves a block in a new scope; `tail` says whether its value is in tail position.
    fn block(&mut self, block: &Block, tail: bool) -> Res<Ir> {
        self.cur().scopes.push();
        let result = self.block_body(&block.stmts, tail);
        self.cur().scopes.pop();
        result
    }

    /// The statements of a block, in the scope just pushed for it: effects declared and
    /// `fn`s hoisted first, then each statement; the value is the final expression without
    /// `;`, or an implicit `()`.
    fn block_body(&mut self, stmts: &[Stmt], tail: bool) -> Res<Ir> {
        self.declare_effects(stmts)?;
        let first_var = self.vars.len();
        let mut fn_vars = Vec::new();
        for s in stmts {
            if let Stmt::Fn(decl) = s {
                let v = self.declare(&decl.name.name, false, false);
                self.meta[v].is_fn = true;
                fn_vars.push(v);
            }
        }
        let (body, value) = split_value(stmts);
        let mut fns = Vec::new();
        let mut out = Vec::new();
        let mut fn_vars = fn_vars.into_iter();
        for s in body {
            if let Stmt::Fn(decl) = s {
                let v = fn_vars.next().expect("a var per fn");
                fns.push((v, self.function(decl, Some(v))?));
            } else {
                out.push(self.stmt(s)?);
            }
        }
        let value = match value {
            Some(e) => Some(Box::new(self.expr(e, tail)?)),
            None => self.implicit_unit(tail),
        };
        let decls = self.declared_in_current_scope(first_var);
        Ok(Ir::Block {
            decls,
            fns,
            stmts: out,
            value,
        })
    }

    /// The variables from `first_var` on that are bound in the current function's innermost
    /// scope itself (those of nested blocks and functions, also created since, are not), in
    /// order, each once.
    fn declared_in_current_scope(&self, first_var: VarId) -> Vec<VarId> {
        let f = self.fns.last().expect("a function context");
        let mut vars: Vec<VarId> = f
            .scopes
            .innermost()
            .iter()
            .map(|&(_, v)| v)
            .filter(|&v| v >= first_var)
            .collect();
        vars.sort_unstable();
        vars.dedup();
        vars
    }

    /// Resolves a statement other than a `fn` declaration (hoisted by the enclosing block).
    fn stmt(&mut self, s: &Stmt) -> Res<Ir> {
        match s {
            Stmt::Let {
                pattern,
                mutable,
                value,
                ..
            } => {
                let value = self.expr(value, false)?;
                check_pattern_depth(bind_depth(pattern), pattern.span())?;
                if self.in_main_top_scope() {
                    return self.global_let(pattern, *mutable, value);
                }
                let bind = self.bind_pat(pattern, *mutable, false);
                Ok(Ir::Let(bind, Box::new(value)))
            }
            Stmt::Assign { target, value, .. } => {
                let value = self.expr(value, false)?;
                let place = self.assignable(target)?;
                Ok(Ir::Set(place, Box::new(value)))
            }
            Stmt::IndexAssign {
                array,
                index,
                value,
                span,
            } => Ok(Ir::SetIndex(
                Box::new(self.expr(array, false)?),
                Box::new(self.expr(index, false)?),
                Box::new(self.expr(value, false)?),
                *span,
            )),
            Stmt::Fn(_) => unreachable!("fn declarations are hoisted by the block"),
            Stmt::Effect { .. } => Ok(Ir::Const(Value::Unit)),
            Stmt::Expr { expr, .. } => self.expr(expr, false),
        }
    }

    /// A `let` or `var` at the top level: it binds globals, not locals; a tuple pattern
    /// binds temporaries of main, then copies each to its global.
    fn global_let(&mut self, pattern: &BindPat, mutable: bool, value: Ir) -> Res<Ir> {
        // A top-level destructuring binds fresh locals of main, then copies them to globals.
        match pattern {
            BindPat::Name(id) => {
                let cell = GlobalCell::default();
                self.env.define(
                    &id.name,
                    Global::Value {
                        cell: cell.clone(),
                        mutable,
                    },
                );
                Ok(Ir::Set(Place::Global(cell), Box::new(value)))
            }
            BindPat::Wildcard(_) => Ok(Ir::Let(Bind::Wild, Box::new(value))),
            BindPat::Tuple(..) => {
                // At the top level the innermost scope is the unit's outermost one.
                let scope_len = self.cur().scopes.innermost().len();
                let bind = self.bind_pat(pattern, false, false);
                let mut names = Vec::new();
                collect_bind_names(pattern, &mut names);
                let mut stmts = vec![Ir::Let(bind, Box::new(value))];
                for name in names {
                    let local = self.lookup(&name.name).expect("just bound");
                    let cell = GlobalCell::default();
                    stmts.push(Ir::Set(
                        Place::Global(cell.clone()),
                        Box::new(Ir::Get(local)),
                    ));
                    self.env.define(&name.name, Global::Value { cell, mutable });
                }
                // From here on the names refer to the globals, not the temporaries.
                self.cur().scopes.truncate_innermost(scope_len);
                Ok(Ir::Block {
                    decls: Vec::new(),
                    fns: Vec::new(),
                    stmts,
                    value: None,
                })
            }
        }
    }

    /// Declares the names of a `let`, `var` or `for` left-hand side in the current scope;
    /// `mutable` for `var`, `early` as for [`VarMeta::initialised_early`].
    fn bind_pat(&mut self, p: &BindPat, mutable: bool, early: bool) -> Bind {
        match p {
            BindPat::Name(id) => Bind::Var(self.declare(&id.name, mutable, early)),
            BindPat::Wildcard(_) => Bind::Wild,
            BindPat::Tuple(items, span) => Bind::Tuple(
                items
                    .iter()
                    .map(|i| self.bind_pat(i, mutable, early))
                    .collect(),
                *span,
            ),
        }
    }

    /// Where the target of an assignment lives; a compile error unless it is a `var`
    /// (local, captured or global).
    fn assignable(&mut self, target: &ast::Ident) -> Res<Place> {
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
            None if builtins::lookup(&target.name).is_some() => Err(immutable_error(target, true)),
            None => Err(
                CompileError::new(format!("unknown name {}", target.name), target.span)
                    .hint("declare it first with `var`"),
            ),
        }
    }

    // ----- functions ----------------------------------------------------------------------

    /// Resolves a `fn` declaration; `self_var` is the local variable that holds it (`None`
    /// at the top level).
    fn function(&mut self, decl: &ast::FnDecl, self_var: Option<VarId>) -> Res<FnIr> {
        self.function_like(
            decl.name.name.as_str().into(),
            &decl.params,
            None,
            FnBody::Block(&decl.body),
            FnKind::Decl(self_var),
        )
    }

    /// Resolves a function in a context of its own: a declaration, lambda, handler body,
    /// `return` clause, or operation clause (with its continuation parameter `k`).
    fn function_like(
        &mut self,
        name: Rc<str>,
        params: &[Param],
        k: Option<&Param>,
        body: FnBody,
        kind: FnKind,
    ) -> Res<FnIr> {
        let (self_var, is_decl) = match kind {
            FnKind::Decl(v) => (v, true),
            FnKind::Other => (None, false),
        };
        self.fns.push(FnCtx {
            scopes: Scopes::new(),
            self_var,
            is_decl,
            is_op_clause: k.is_some(),
            ..FnCtx::default()
        });
        let result = self.function_body(name, params, k, body);
        self.fns.pop();
        result
    }

    /// Resolves the parameters and body of the function whose context was just pushed. A
    /// clause that turns out tail-resumptive loses its `k` parameter, and `k`'s slot when
    /// that is the last one.
    fn function_body(
        &mut self,
        name: Rc<str>,
        params: &[Param],
        k: Option<&Param>,
        body: FnBody,
    ) -> Res<FnIr> {
        let mut param_vars: Vec<Option<VarId>> = params.iter().map(|p| self.param(p)).collect();
        let k_var = k.map(|k| self.param(k));
        if let Some(Some(kv)) = k_var {
            self.cur().clause = Some(ClauseFacts {
                k: kv,
                tail_resumes: 0,
                has_return: false,
            });
        }
        let body = match body {
            FnBody::Expr(e) => self.expr(e, true)?,
            FnBody::Block(b) => self.deeper(b.span, |r| r.block(b, true))?,
        };
        let ctx = self.fns.last().expect("a function context");
        let tail_resumptive = ctx
            .clause
            .as_ref()
            .is_some_and(|c| !c.has_return && c.tail_resumes == self.meta[c.k].uses);
        let mut nslots = ctx.nslots;
        match k_var {
            Some(kv) if !tail_resumptive => param_vars.push(kv),
            // A tail-resumptive clause has no `k` parameter; when `k`'s slot is the last one
            // (the clause has no locals), the frame does without it.
            Some(Some(kv)) if self.vars[kv].slot + 1 == nslots => nslots -= 1,
            _ => {}
        }
        let ctx = self.fns.last().expect("a function context");
        Ok(FnIr {
            name,
            params: param_vars,
            captures: ctx.captures.clone(),
            nslots,
            body,
            tail_resumptive,
        })
    }

    /// Declares a parameter. Never `None`: `_` takes a slot of its own too, so that
    /// arguments line up with parameters.
    fn param(&mut self, p: &Param) -> Option<VarId> {
        match p {
            Param::Name(id) => Some(self.declare(&id.name, false, true)),
            Param::Wildcard(_) => {
                // Still occupies a slot so that arguments line up with parameters.
                Some(self.new_var("_", false, true))
            }
        }
    }

    /// Whether a tail position here is a tail position of an operation clause.
    fn in_clause_tail(&self, tail: bool) -> bool {
        tail && self.fns.last().is_some_and(|f| f.is_op_clause)
    }

    /// The value of a block or `if` that has none written: nothing to compile, unless it is
    /// in a clause's tail, where its `()` escapes (see [`Resolver::tail_leaf`]).
    fn implicit_unit(&self, tail: bool) -> Option<Box<Ir>> {
        self.in_clause_tail(tail)
            .then(|| Box::new(self.tail_leaf(tail, Ir::Const(Value::Unit))))
    }

    /// A tail position of an operation clause that does not resume the clause's `k`: its
    /// value, if the clause runs on the fast path, escapes to the handler's `handle` (or
    /// `resume`) as the value of the whole handled computation.
    fn tail_leaf(&self, tail: bool, ir: Ir) -> Ir {
        if self.in_clause_tail(tail) {
            Ir::Escape(Box::new(ir))
        } else {
            ir
        }
    }

    // ----- expressions --------------------------------------------------------------------

    /// Resolves each of `es`, none of them in tail position.
    fn exprs(&mut self, es: &[Expr]) -> Res<Vec<Ir>> {
        es.iter().map(|e| self.expr(e, false)).collect()
    }

    /// Resolves `e`, not in tail position, boxed for an [`Ir`] node.
    fn boxed(&mut self, e: &Expr) -> Res<Box<Ir>> {
        Ok(Box::new(self.expr(e, false)?))
    }

    /// Resolves `e`; `tail` says whether it is in tail position of its function.
    fn expr(&mut self, e: &Expr, tail: bool) -> Res<Ir> {
        self.deeper(e.span, |r| r.expr_inner(e, tail))
    }

    /// Runs `resolve` one level of nesting deeper, for an expression at `span`: the compile
    /// error `expression nested too deeply` past [`MAX_NESTING`] levels.
    fn deeper(&mut self, span: Span, resolve: impl FnOnce(&mut Self) -> Res<Ir>) -> Res<Ir> {
        if self.depth >= MAX_NESTING {
            return Err(CompileError::new(
                format!("expression nested too deeply (more than {MAX_NESTING} levels)"),
                span,
            )
            .hint("split it into smaller expressions with `let`"));
        }
        self.depth += 1;
        let result = resolve(self);
        self.depth -= 1;
        result
    }

    /// The work of [`Resolver::expr`]: here the expressions that may hold tail positions
    /// (`if`, blocks, `match`, calls, `resume`, `return`); the others by
    /// [`Resolver::simple_expr`], their value escaping in a clause's tail.
    fn expr_inner(&mut self, e: &Expr, tail: bool) -> Res<Ir> {
        let span = e.span;
        match &e.kind {
            ExprKind::If(c, then, els) => {
                let c = self.boxed(c)?;
                let t = self.block(then, tail)?;
                let el = match els {
                    Some(e) => Some(Box::new(self.expr(e, tail)?)),
                    None => self.implicit_unit(tail),
                };
                Ok(Ir::If(c, Box::new(t), el, span))
            }
            ExprKind::Block(b) => self.block(b, tail),
            ExprKind::Match(scrut, arms) => {
                let scrut = self.boxed(scrut)?;
                let of = match *scrut {
                    Ir::Get(Place::Local(v)) if self.never_reassigned(v) => Some(v),
                    _ => None,
                };
                let arms = arms
                    .iter()
                    .map(|a| self.arm(a, of, tail))
                    .collect::<Res<Vec<_>>>()?;
                Ok(Ir::Match(scrut, arms, span))
            }
            ExprKind::Call(callee, args) => {
                let callee = self.boxed(callee)?;
                let args = self.exprs(args)?;
                // In a clause's tail the call's value may have to escape: no tail call there.
                let is_tail_call =
                    tail && !self.fns.last().expect("fn").is_main && !self.in_clause_tail(tail);
                let call = Ir::Call {
                    callee,
                    args,
                    tail: is_tail_call,
                    span,
                };
                Ok(self.tail_leaf(tail, call))
            }
            ExprKind::Resume(k, args, handler) => {
                self.resume(k, args, handler.as_ref(), tail, span)
            }
            ExprKind::Return(v) => {
                if self.fns.last().expect("fn").is_main {
                    return Err(CompileError::new("return outside a function", span).hint(
                        "`return` ends the enclosing function; at the top level there is none",
                    ));
                }
                if let Some(c) = self.cur().clause.as_mut() {
                    c.has_return = true;
                }
                let v = match v {
                    Some(v) => self.expr(v, true)?,
                    None => Ir::Const(Value::Unit),
                };
                Ok(Ir::Return(Box::new(v)))
            }
            _ => {
                let ir = self.simple_expr(e)?;
                Ok(self.tail_leaf(tail, ir))
            }
        }
    }

    /// Expressions with no tail positions inside them.
    fn simple_expr(&mut self, e: &Expr) -> Res<Ir> {
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::Int(i) => Ir::Const(Value::Int(*i)),
            ExprKind::Float(f) => Ir::Const(Value::float(*f)),
            ExprKind::Str(s) => Ir::Const(Value::str(s.clone())),
            ExprKind::Bool(b) => Ir::Const(Value::bool(*b)),
            ExprKind::Unit => Ir::Const(Value::Unit),
            ExprKind::Var(id) => match self.lookup(&id.name) {
                Some(p) => Ir::Get(p),
                None => return Err(unknown_name(id)),
            },
            ExprKind::Ctor(id, args) => {
                let sym = Symbol::intern(&id.name);
                if args.is_empty() {
                    Ir::Const(Value::Atom(sym))
                } else {
                    Ir::Ctor(sym, self.exprs(args)?)
                }
            }
            ExprKind::List(items) => Ir::List(self.exprs(items)?),
            ExprKind::Tuple(items) => Ir::Tuple(self.exprs(items)?),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.boxed(a)?, self.boxed(b)?);
                match op {
                    BinOp::And => Ir::And(a, b, span),
                    BinOp::Or => Ir::Or(a, b, span),
                    _ => Ir::Binary(*op, a, b, span),
                }
            }
            ExprKind::Unary(ast::UnOp::Neg, a) => Ir::Neg(self.boxed(a)?, span),
            ExprKind::Unary(ast::UnOp::Not, a) => Ir::Not(self.boxed(a)?, span),
            ExprKind::Index(a, i) => Ir::Index(self.boxed(a)?, self.boxed(i)?, span),
            ExprKind::While(c, body) => {
                self.cur().loops += 1;
                let parts = self
                    .boxed(c)
                    .and_then(|c| Ok((c, self.block(body, false)?)));
                self.cur().loops -= 1;
                let (c, body) = parts?;
                Ir::While(c, Box::new(body), span)
            }
            ExprKind::For(bind, iter, body) => self.for_loop(bind, iter, body, span)?,
            ExprKind::Lambda(params, body) => Ir::Lambda(Rc::new(self.function_like(
                "<fn>".into(),
                params,
                None,
                FnBody::Expr(body),
                FnKind::Other,
            )?)),
            ExprKind::Suspend(op, args) => {
                let id = self.operation(op, args.len())?;
                Ir::Suspend(id, self.exprs(args)?, span)
            }
            ExprKind::Handle(body, handler) => {
                let body = self.function_like(
                    "<handle>".into(),
                    &[],
                    None,
                    FnBody::Expr(body),
                    FnKind::Other,
                )?;
                let handler = self.handler(handler)?;
                Ir::Handle(Rc::new(body), Rc::new(handler), span)
            }
            ExprKind::Cont(f) => Ir::Cont(self.boxed(f)?, span),
            ExprKind::Discontinue(k) => Ir::Discontinue(self.boxed(k)?, span),
            ExprKind::If(..)
            | ExprKind::Block(_)
            | ExprKind::Match(..)
            | ExprKind::Call(..)
            | ExprKind::Resume(..)
            | ExprKind::Return(_) => unreachable!("handled by expr"),
        })
    }

    /// Resolves a `for` loop: the range or sequence outside the loop's scope, the left-hand
    /// side (bound early) and the body inside it, the body counted as a loop.
    fn for_loop(
        &mut self,
        bind: &BindPat,
        iter: &ast::ForIter,
        body: &Block,
        span: Span,
    ) -> Res<Ir> {
        let head = match iter {
            ast::ForIter::Range(a, b) => (Some(self.boxed(a)?), self.boxed(b)?),
            ast::ForIter::Expr(e) => (None, self.boxed(e)?),
        };
        check_pattern_depth(bind_depth(bind), bind.span())?;
        self.cur().scopes.push();
        let b = self.bind_pat(bind, false, true);
        self.cur().loops += 1;
        let body = self.block(body, false);
        self.cur().loops -= 1;
        self.cur().scopes.pop();
        let body = Box::new(body?);
        Ok(match head {
            (Some(a), z) => Ir::ForRange(b, a, z, body, span),
            (None, e) => Ir::ForEach(b, e, body, span),
        })
    }

    /// Resolves a `match` arm; `of` is the scrutinee if it is a local whose slot nothing
    /// writes while the arm runs, so that a flat pattern's names can be its parts.
    fn arm(&mut self, arm: &ast::Arm, of: Option<VarId>, tail: bool) -> Res<Arm> {
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
    fn never_reassigned(&self, v: VarId) -> bool {
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
            return Err(CompileError::new(
                "the alternatives of an or-pattern must bind the same names",
                span,
            ));
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

    // ----- effects ------------------------------------------------------------------------

    /// The id of operation `op`, performed or handled with `argc` arguments; a compile
    /// error if it is not declared or takes another number.
    fn operation(&self, op: &ast::Ident, argc: usize) -> Res<OpId> {
        match self.env.effects.get(&op.name) {
            Some(&(id, arity)) if arity == argc => Ok(id),
            Some(&(_, arity)) => Err(CompileError::new(
                format!(
                    "wrong number of arguments: {} expects {arity}, got {argc}",
                    op.name
                ),
                op.span,
            )),
            None => Err(
                CompileError::new(format!("unknown effect {}", op.name), op.span)
                    .hint(format!("declare it with `effect {}(…)`", op.name)),
            ),
        }
    }

    /// Resolves a handler: each operation clause a function of its parameters and `k` (an
    /// operation handled twice in one handler is an error), and the `return` clause.
    fn handler(&mut self, h: &ast::Handler) -> Res<HandlerIr> {
        let mut ops = Vec::new();
        let mut handled = std::collections::HashSet::new();
        for c in &h.ops {
            let id = self.operation(&c.op, c.params.len())?;
            if !handled.insert(id) {
                return Err(CompileError::new(
                    format!("operation {} is handled twice in one handler", c.op.name),
                    c.op.span,
                ));
            }
            let f = self.function_like(
                c.op.name.as_str().into(),
                &c.params,
                Some(&c.k),
                FnBody::Expr(&c.body),
                FnKind::Other,
            )?;
            ops.push((id, f));
        }
        let ret = match &h.ret {
            Some(r) => Some(self.function_like(
                "return".into(),
                std::slice::from_ref(&r.param),
                None,
                FnBody::Expr(&r.body),
                FnKind::Other,
            )?),
            None => None,
        };
        Ok(HandlerIr { ops, ret })
    }

    /// Resolves `resume k(args)`, with its shallow handler if any. It is on the fast path
    /// when it is a tail resume of the clause's own `k`, with at most one argument and no
    /// handler; those are counted towards the clause being tail-resumptive.
    fn resume(
        &mut self,
        k: &Expr,
        args: &[Expr],
        handler: Option<&ast::Handler>,
        tail: bool,
        span: Span,
    ) -> Res<Ir> {
        let own_k = match (&k.kind, self.fns.last().and_then(|f| f.clause.as_ref())) {
            (ExprKind::Var(id), Some(c)) => {
                self.lookup_local(self.fns.len() - 1, &id.name) == Some(c.k)
            }
            _ => false,
        };
        let fast = tail && own_k && handler.is_none() && args.len() <= 1;
        let clause_tail = self.in_clause_tail(tail);
        if fast && let Some(c) = self.cur().clause.as_mut() {
            c.tail_resumes += 1;
        }
        let k = self.boxed(k)?;
        let args = self.exprs(args)?;
        let handler = handler.map(|h| self.handler(h)).transpose()?.map(Rc::new);
        let resume = Ir::Resume {
            k,
            args,
            handler,
            fast,
            clause_tail,
            span,
        };
        Ok(if fast {
            resume
        } else {
            self.tail_leaf(tail, resume)
        })
    }
}

/// The body of a function being resolved: an expression (a lambda's, a clause's), or the
/// block of a `fn` declaration (resolved in place: wrapping it in an expression copied it,
/// and with it every declaration nested inside, once per level).
#[derive(Clone, Copy)]
enum FnBody<'a> {
    /// An expression.
    Expr(&'a Expr),
    /// A declaration's block.
    Block(&'a Block),
}

/// What kind of function is being resolved.
enum FnKind {
    /// A `fn` declaration (hoisted), with the variable holding it (none at top level).
    Decl(Option<VarId>),
    /// A lambda, handler body or clause (made where it is written).
    Other,
}

/// The error for reading a name that is not defined (with a hint when the name is `_`).
fn unknown_name(id: &ast::Ident) -> CompileError {
    let e = CompileError::new(format!("unknown name {}", id.name), id.span);
    if id.name == "_" {
        e.hint("`_` ignores a value in a pattern or binding; it cannot be read")
    } else {
        e
    }
}

/// The error for assigning to `target`, which cannot be: a function (`is_fn`) or a `let`.
fn immutable_error(target: &ast::Ident, is_fn: bool) -> CompileError {
    let e = CompileError::new(
        format!("cannot assign to immutable {}", target.name),
        target.span,
    );
    if is_fn {
        e.hint("functions cannot be reassigned")
    } else {
        e.hint(format!(
            "declare it with `var {} = …` to make it assignable",
            target.name
        ))
    }
}

/// Appends the names a `let`/`var`/`for` left-hand side binds, left to right, to `out`.
fn collect_bind_names<'a>(p: &'a BindPat, out: &mut Vec<&'a ast::Ident>) {
    match p {
        BindPat::Name(id) => out.push(id),
        BindPat::Wildcard(_) => {}
        BindPat::Tuple(items, _) => items.iter().for_each(|i| collect_bind_names(i, out)),
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

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn the_latest_binding_of_a_name_is_found_and_closing_a_scope_restores_the_one_before() {
        let mut s = Scopes::new();
        s.bind("x", 0);
        s.bind("y", 1);
        s.push();
        s.bind("x", 2);
        s.bind("x", 3);
        assert_eq!(
            (s.lookup("x"), s.lookup("y"), s.lookup("z")),
            (Some(3), Some(1), None)
        );
        s.pop();
        assert_eq!(s.lookup("x"), Some(0));
        s.push();
        s.bind("z", 4);
        s.pop();
        assert_eq!((s.lookup("z"), s.depth()), (None, 1));
    }

    #[test]
    fn truncating_the_innermost_scope_unbinds_its_latest_names() {
        let mut s = Scopes::new();
        s.bind("a", 0);
        let len = s.innermost().len();
        s.bind("b", 1);
        s.bind("a", 2);
        s.truncate_innermost(len);
        assert_eq!((s.lookup("a"), s.lookup("b")), (Some(0), None));
        assert_eq!(s.innermost().len(), 1);
    }
}
