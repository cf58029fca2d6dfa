//! Code compiled with frame records ([`compile_unit`]'s `record`), for `backtrace`: each
//! function body keeps a record of its call while it runs, each call, `handle` and `resume`
//! notes where its function waits and puts back the running record when control comes
//! back, and each `suspend` hands its computation's records over while it is suspended
//! ([`crate::runtime::frames`]). A unit compiled without records runs none of this code.
//!
//! [`compile_unit`]: super::compile_unit

use std::rc::Rc;

use super::operands::Arg;
use super::{CodeOf, Compiler, Outcome};
use crate::ir::Ir;
use crate::runtime::Ctx;
use crate::runtime::effects::{self, OpSite};
use crate::runtime::frames;
use crate::runtime::function::Code;
use crate::runtime::value::Value;
use crate::trace::record;

impl Compiler<'_> {
    /// `body`, the compiled body of function `name`, keeping the record of each call;
    /// `clause` for a handler clause's. A clause that ends in a tail `resume`, which the
    /// code that ran it then makes (see `effects.rs`), leaves that code at the `resume`.
    pub(super) fn recorded_body(&self, name: Rc<str>, clause: bool, body: Code) -> Code {
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let entered = frames::enter(&name, source, clause, ctx);
            let result = body(ctx, clo);
            frames::leave(entered, ctx.tail_callee.is_some());
            if clause && let Some(p) = &ctx.tail_resume {
                frames::resuming_at(p.source, p.site);
            }
            result
        })
    }

    /// `code`, compiled from `ir`, noting where its function waits if it is a call,
    /// `handle` or `resume` (each may switch stacks, or run code compiled without records).
    pub(super) fn recorded(&self, ir: &Ir, code: Code) -> Code {
        match ir {
            Ir::Call { span, .. } | Ir::Handle(_, _, span) | Ir::Resume { span, .. } => {
                let span = *span;
                Box::new(move |ctx, clo| {
                    let mark = frames::at(span);
                    let result = code(ctx, clo);
                    frames::back(mark);
                    result
                })
            }
            _ => code,
        }
    }

    /// A `suspend` at `site` of `args` compiled with records (and traced, if the unit is);
    /// `finish` as for [`Compiler::suspend`]. Its function waits at the `suspend` once the
    /// arguments are evaluated.
    pub(super) fn recorded_suspend<T: Outcome>(
        &self,
        site: OpSite,
        args: Vec<Arg>,
        finish: impl Fn(&mut Ctx, Value) -> T + Copy + 'static,
    ) -> CodeOf<T> {
        let traced = self.unit.trace;
        Box::new(move |ctx, clo| {
            for a in &args {
                a.push(ctx, clo)?;
            }
            let noted = frames::suspending(&ctx.vm, site.op(), site.at());
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
