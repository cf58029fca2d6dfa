//! Code compiled with frame records ([`compile_unit`]'s `record`), for `backtrace`: each
//! function body keeps a frame of its call while it runs, each call, `handle` and `resume`
//! notes where its function waits, and each `suspend` whose handler takes a continuation
//! moves its computation's frames into that continuation until it is resumed
//! ([`crate::runtime::frames`]). A unit compiled without records runs none of this code
//! but the `suspend`, which serves traced units too (it records and traces as the unit
//! says).
//!
//! [`compile_unit`]: super::compile_unit

use std::rc::Rc;

use super::operands::Arg;
use super::{CodeOf, Compiler, Outcome};
use crate::ir::Ir;
use crate::runtime::Ctx;
use crate::runtime::effects::{self, OpSite};
use crate::runtime::frames::{self, Role};
use crate::runtime::function::Code;
use crate::runtime::value::Value;
use crate::trace::record;

impl Compiler<'_> {
    /// `body`, the compiled body of function `name` (of role `role`), keeping the frame of
    /// each call. An operation clause that ends in a tail `resume`, which the code that ran
    /// it then makes (see `effects.rs`), leaves that code at the `resume`.
    pub(super) fn recorded_body(&self, name: Rc<str>, role: Role, body: Code) -> Code {
        let function = frames::function(name, self.unit.source);
        Box::new(move |ctx, clo| {
            let entered = frames::enter(function, role, ctx);
            let result = body(ctx, clo);
            frames::leave(entered);
            if role == Role::Clause
                && let Some(p) = &ctx.tail_resume
            {
                frames::resuming_at(p.source, p.site);
            }
            result
        })
    }

    /// `code`, compiled from `ir`, noting where its function waits if it is a call,
    /// `handle` or `resume`: from before the arguments are evaluated, so one in the
    /// arguments of another (`nested`) puts back the site of the other when it returns.
    pub(super) fn recorded(&self, ir: &Ir, code: Code, nested: bool) -> Code {
        let (Ir::Call { span, .. } | Ir::Handle(_, _, span) | Ir::Resume { span, .. }) = ir else {
            return code;
        };
        let span = *span;
        if !nested {
            return Box::new(move |ctx, clo| {
                frames::at(span);
                code(ctx, clo)
            });
        }
        Box::new(move |ctx, clo| {
            let before = frames::at(span);
            let result = code(ctx, clo);
            frames::back(before);
            result
        })
    }

    /// A `suspend` at `site` of `args` compiled with records, or traced, or both (as the
    /// unit is); `finish` as for [`Compiler::suspend`]. With records, its function waits at
    /// the `suspend` once the arguments are evaluated.
    pub(super) fn observed_suspend<T: Outcome>(
        &self,
        site: OpSite,
        args: Vec<Arg>,
        finish: impl Fn(&mut Ctx, Value) -> T + Copy + 'static,
    ) -> CodeOf<T> {
        let (recorded, traced) = (self.unit.record, self.unit.trace);
        Box::new(move |ctx, clo| {
            for a in &args {
                a.push(ctx, clo)?;
            }
            let noted = match recorded {
                true => frames::suspending(&ctx.vm, site.op(), site.at()),
                false => None,
            };
            if traced {
                record::suspending(ctx, &site, args.len());
            }
            let result = effects::suspend(ctx, &site, args.len());
            if traced {
                record::after();
            }
            frames::resumed(noted);
            Ok(finish(ctx, result?))
        })
    }
}
