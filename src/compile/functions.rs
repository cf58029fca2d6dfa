//! Functions: prototypes, and the closures made of them at run time.
//!
//! A function is compiled once to a [`Proto`]; each evaluation of a `fn` or lambda makes a
//! [`Closure`] of it, whose environment holds what the function captures, taken from the
//! creating frame by a plan made here (a slot, a part of a matched value, an entry of the
//! creating closure's environment, or the creating function itself).

use std::convert::Infallible;
use std::rc::Rc;

use super::Compiler;
use super::nesting::STACK_CHECK_EVERY;
use super::vars::part_value;
use crate::ir::{CaptureFrom, FnCell, FnIr, Part};
use crate::runtime::Ctx;
use crate::runtime::effects;
use crate::runtime::frames::Role;
use crate::runtime::function::{Closure, Code, Proto};
use crate::runtime::value::{Value, Values};

/// Where a new closure takes one captured variable from (see [`capture_env`]).
#[derive(Clone, Copy)]
enum CaptureAt {
    /// A slot of the creating frame.
    Slot(usize),
    /// A part of the value in a slot of the creating frame (see [`Place::Part`](crate::ir::Place::Part)).
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

/// The closure `clo` as a value (`()` once it is being dropped), matched rather than
/// `map_or(Value::Unit, …)`, which would drop its unused default by a call to the drop glue.
#[inline(always)]
pub(super) fn self_value(clo: &Closure) -> Value {
    match clo.me.upgrade() {
        Some(me) => Value::Func(me),
        None => Value::Unit,
    }
}

impl Compiler<'_> {
    /// Defines the top-level functions of a unit: each cell gets its closure now, at
    /// compile time, so every call compiled in the unit finds it defined when it runs.
    pub(super) fn define_global_fns(&self, fns: &[(FnCell, FnIr)]) -> Code {
        for (cell, f) in fns {
            let proto = self.function(f);
            let _ = cell.set(Closure::new(proto, Values::default()));
        }
        Box::new(|_, _| Ok(Value::Unit))
    }

    /// A lambda: a new closure of `f` each time it is evaluated.
    pub(super) fn lambda(&self, f: &FnIr) -> Code {
        let make = self.closure_maker(f);
        Box::new(move |ctx, clo| Ok(Value::Func(make(ctx, clo))))
    }

    /// Compiles a function to its prototype.
    pub(super) fn function(&self, f: &FnIr) -> Rc<Proto> {
        self.function_as(f, Role::Function, |body| body)
    }

    /// Compiles handler clause `f`, of role `role` (an operation's or the `return` clause),
    /// to its prototype, whose body is `wrap` of the compiled body (a traced clause's,
    /// which records an event when it starts).
    pub(super) fn clause_with(
        &self,
        f: &FnIr,
        role: Role,
        wrap: impl FnOnce(Code) -> Code,
    ) -> Rc<Proto> {
        self.function_as(f, role, wrap)
    }

    /// Compiles function `f`, of role `role` (its frame's, if the unit keeps frame records),
    /// to its prototype, whose body is `wrap` of the compiled body.
    fn function_as(&self, f: &FnIr, role: Role, wrap: impl FnOnce(Code) -> Code) -> Rc<Proto> {
        let inner = Compiler::new(self.unit, f.tail_resumptive, self.near.get());
        let mut body = wrap(inner.expr(&f.body));
        if self.unit.record {
            body = self.recorded_body(f.name.clone(), role, body);
        }
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
            source: self.unit.source,
            leaf_clause: f.tail_resumptive && !f.body.calls_out(),
        })
    }

    /// Code that makes a closure of `f` in the current frame.
    pub(super) fn closure_maker(
        &self,
        f: &FnIr,
    ) -> impl Fn(&Ctx, &Closure) -> Rc<Closure> + 'static {
        self.closure_maker_of(f, self.function(f))
    }

    /// Code that makes a closure of handler clause `f`, of role `role`, in the current
    /// frame.
    pub(super) fn clause_maker(
        &self,
        f: &FnIr,
        role: Role,
    ) -> impl Fn(&Ctx, &Closure) -> Rc<Closure> + 'static {
        self.closure_maker_of(f, self.clause_with(f, role, |body| body))
    }

    /// Code that makes a closure of `proto`, the prototype of `f`, in the current frame.
    pub(super) fn closure_maker_of(
        &self,
        f: &FnIr,
        proto: Rc<Proto>,
    ) -> impl Fn(&Ctx, &Closure) -> Rc<Closure> + 'static {
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
                CaptureFrom::Part(v) => match self.unit.vars[v].alias {
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
    pub(super) fn body_maker(
        &self,
        f: &FnIr,
    ) -> impl Fn(&Ctx, &Closure) -> effects::Body + 'static {
        let proto = self.function(f);
        let plan = self.capture_plan(f);
        // Inlined where it is called: the `handle` closure (and its traced form).
        #[inline(always)]
        move |ctx, clo| effects::Body::Parts(proto.clone(), capture_env(ctx, clo, &plan))
    }

    /// The closure of handler clause `f`, of role `role`, which captures nothing, made once.
    pub(super) fn closed_clause(&self, f: &FnIr, role: Role) -> Rc<Closure> {
        Closure::new(self.clause_with(f, role, |body| body), Values::default())
    }
}
