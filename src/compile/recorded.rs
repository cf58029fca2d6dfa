//! Code compiled with frame records ([`compile_unit`]'s `record`), for `backtrace`: each
//! function body keeps a record of its call while it runs, and each construct that calls
//! or may switch stacks notes where its function is and puts back the running record when
//! control comes back ([`crate::runtime::frames`]). A unit compiled without records runs
//! none of this code.
//!
//! [`compile_unit`]: super::compile_unit

use std::rc::Rc;

use super::Compiler;
use crate::ir::Ir;
use crate::runtime::frames;
use crate::runtime::function::Code;

impl Compiler<'_> {
    /// `body`, the compiled body of function `name`, keeping the record of each call.
    pub(super) fn recorded_body(&self, name: Rc<str>, body: Code) -> Code {
        let source = self.unit.source;
        Box::new(move |ctx, clo| {
            let entered = frames::enter(&name, source, ctx.base == 0);
            let result = body(ctx, clo);
            frames::leave(entered);
            result
        })
    }

    /// `code`, compiled from `ir`, with the records kept around it if it calls or may switch
    /// stacks: a call and a `suspend` note where the function waits; a `suspend` keeps its
    /// computation's records while it is suspended.
    pub(super) fn recorded(&self, ir: &Ir, code: Code) -> Code {
        match ir {
            Ir::Call { span, .. } => {
                let span = *span;
                Box::new(move |ctx, clo| {
                    let saved = frames::current();
                    frames::at(span);
                    let result = code(ctx, clo);
                    frames::restore(saved);
                    result
                })
            }
            Ir::Suspend(_, _, span) => {
                let span = *span;
                Box::new(move |ctx, clo| {
                    let saved = frames::current();
                    frames::suspending(span);
                    let result = code(ctx, clo);
                    frames::resumed();
                    frames::restore(saved);
                    result
                })
            }
            Ir::Handle(_, _, span)
            | Ir::Resume { span, .. }
            | Ir::Discontinue(_, span)
            | Ir::Cont(_, span) => {
                let span = *span;
                Box::new(move |ctx, clo| {
                    let saved = frames::current();
                    frames::at(span);
                    let result = code(ctx, clo);
                    frames::restore(saved);
                    result
                })
            }
            _ => code,
        }
    }
}
