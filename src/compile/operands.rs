//! Operands read in place, and call arguments.
//!
//! A local, a captured constant or an int constant is read without running code (a
//! [`Source`]): reading it has no effect, so the order of evaluation is kept whether it is
//! read in place or evaluated in turn. The specialised closures of operators, calls, indexes
//! and updates are chosen by the [`Operand`] shapes of their operands.

use super::{CodeOf, Compiler, Special};
use crate::ir::{Ir, Place};
use crate::runtime::function::{Closure, Code};
use crate::runtime::value::Value;
use crate::runtime::{Ctrl, Ctx, R};

/// The operand shapes that get specialised arithmetic closures.
pub(super) enum Operand {
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
    pub(super) fn source(&self) -> Option<Source> {
        match *self {
            Operand::Local(s) => Some(Source::Local(s)),
            Operand::Capture(i) => Some(Source::Capture(i)),
            Operand::Int(k) => Some(Source::Const(Value::Int(k))),
            Operand::Code(_) => None,
        }
    }
}

/// Where a boxed variable's cell is: in a frame slot or in the closure's environment. Not
/// a [`Source`], whose constant case makes the read a three-way match, which costs more
/// instructions (see benches/README.md).
#[derive(Clone, Copy)]
pub(super) enum BoxedAt {
    /// A frame slot.
    Local(usize),
    /// An entry of the closure's environment.
    Capture(usize),
}

impl BoxedAt {
    /// The slot holding the cell.
    #[inline(always)]
    pub(super) fn storage<'a>(self, ctx: &'a Ctx, clo: &'a Closure) -> &'a Value {
        match self {
            BoxedAt::Local(s) => ctx.local(s),
            BoxedAt::Capture(i) => clo.env.at(i),
        }
    }
}

/// A simple operand, read by reference without running code.
pub(super) enum Source {
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
    pub(super) fn read<'a>(&'a self, ctx: &'a Ctx, clo: &'a Closure) -> &'a Value {
        match self {
            Source::Local(s) => ctx.local(*s),
            Source::Capture(i) => clo.env.at(*i),
            Source::Const(v) => v,
        }
    }
}

/// How a call argument is evaluated: read in place, or by running its code.
pub(super) enum Arg {
    /// A local, a captured constant or an int: copied without a call.
    Read(Source),
    /// Anything else.
    Run(Code),
}

impl Arg {
    /// Evaluates the argument.
    #[inline(always)]
    pub(super) fn value(&self, ctx: &mut Ctx, clo: &Closure) -> R {
        match self {
            Arg::Read(s) => Ok(copy_value(s.read(ctx, clo))),
            Arg::Run(code) => code(ctx, clo),
        }
    }

    /// Evaluates the argument onto the value stack.
    #[inline(always)]
    pub(super) fn push(&self, ctx: &mut Ctx, clo: &Closure) -> Result<(), Ctrl> {
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

/// Code that evaluates call arguments left to right onto the value stack, the common small
/// counts unrolled (the first three arguments held in the closure itself).
fn unrolled_pusher(args: Vec<Arg>) -> CodeOf<()> {
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

/// `Ok` of a copy of local `slot`: ints are copied inline, anything else by a call (an
/// inlined `Value::clone` would make every closure that reads a local large). Each arm
/// writes its result straight into the caller's slot (which `Ok(copy_value(…))` does not:
/// the copy is built in a temporary first).
#[inline(always)]
pub(super) fn read_local(ctx: &Ctx, slot: usize) -> R {
    match ctx.local(slot) {
        Value::Int(i) => Ok(Value::Int(*i)),
        v => clone_value(v),
    }
}

/// A copy of `v`: ints inline, anything else by a call.
#[inline(always)]
pub(super) fn copy_value(v: &Value) -> Value {
    match v {
        Value::Int(i) => Value::Int(*i),
        v => v.clone(),
    }
}

/// `Ok(v.clone())`, never inlined.
#[inline(never)]
fn clone_value(v: &Value) -> R {
    Ok(v.clone())
}

impl Compiler<'_> {
    /// The operand shape of `ir`, compiling it to code when it is not a simple operand.
    pub(super) fn operand(&self, ir: &Ir) -> Operand {
        self.simple_operand(ir)
            .unwrap_or_else(|| Operand::Code(self.expr(ir)))
    }

    /// Where the cell of a boxed (`var`, shared) variable read by `ir` is held, if `ir`
    /// reads one.
    pub(super) fn boxed_at(&self, ir: &Ir) -> Option<BoxedAt> {
        match ir {
            Ir::Get(Place::Local(v)) if self.boxed(*v) => Some(BoxedAt::Local(self.slot(*v))),
            Ir::Get(Place::Capture(i, v)) if self.boxed(*v) => Some(BoxedAt::Capture(*i)),
            _ => None,
        }
    }

    /// The operand `ir` is if it is a local, a captured constant or an int (reading it has no
    /// effect); `None`, compiling nothing, for anything else.
    pub(super) fn simple_operand(&self, ir: &Ir) -> Option<Operand> {
        match ir {
            Ir::Get(Place::Local(v)) if !self.boxed(*v) => Some(Operand::Local(self.slot(*v))),
            // A part that got a slot of its own (see [`Place::Part`]).
            Ir::Get(Place::Part(v)) if self.unit.vars[*v].alias.is_none() => {
                Some(Operand::Local(self.slot(*v)))
            }
            Ir::Get(Place::Capture(i, v)) if !self.boxed(*v) => Some(Operand::Capture(*i)),
            Ir::Const(Value::Int(i)) => Some(Operand::Int(*i)),
            _ => None,
        }
    }

    /// Where `ir` is read from if it is a simple operand (see [`Compiler::simple_operand`]).
    pub(super) fn source(&self, ir: &Ir) -> Option<Source> {
        self.simple_operand(ir)?.source()
    }

    /// A call argument: read in place when it is a simple operand.
    pub(super) fn arg(&self, ir: &Ir) -> Arg {
        match self.source(ir) {
            Some(s) if self.specialising(Special::Arguments) => Arg::Read(s),
            _ => Arg::Run(self.expr(ir)),
        }
    }

    /// Code that evaluates call arguments left to right onto the value stack.
    pub(super) fn args_pusher(&self, args: Vec<Arg>) -> CodeOf<()> {
        if self.specialising(Special::Arguments) {
            return unrolled_pusher(args);
        }
        Box::new(move |ctx, clo| {
            for arg in &args {
                arg.push(ctx, clo)?;
            }
            Ok(())
        })
    }

    /// Code that produces the value of operand `o`.
    pub(super) fn operand_code(&self, o: Operand) -> Code {
        match o {
            Operand::Local(s) => Box::new(move |ctx, _| read_local(ctx, s)),
            Operand::Capture(i) => Box::new(move |_, clo| Ok(clo.env.at(i).clone())),
            Operand::Int(k) => Box::new(move |_, _| Ok(Value::Int(k))),
            Operand::Code(c) => c,
        }
    }
}
