//! Runtime errors: the message, the place, and the backtrace an error collects as it
//! unwinds (a line per function it leaves, a marker per continuation it crosses).

use std::rc::Rc;

use crate::span::Span;

/// One line of a kont backtrace.
#[derive(Clone, Debug)]
pub enum TraceFrame {
    /// Execution was inside function `name` at `span` of source `source`.
    Call {
        /// The function's name.
        name: Rc<str>,
        /// The source text the function comes from.
        source: u32,
        /// Where in that source.
        span: Span,
    },
    /// The error crossed from a continuation into the code that resumed it, here.
    Resumed {
        /// The source text of the `resume` (or `handle`).
        source: u32,
        /// Where in that source.
        span: Span,
    },
}

/// A runtime error on its way to the top, collecting its backtrace as it unwinds.
#[derive(Debug)]
pub struct RuntimeError {
    /// The message (begins with one of the phrases of docs/language.md's error table).
    pub message: String,
    /// A hint for the learner, if one helps.
    pub hint: Option<String>,
    /// Where in the function being unwound the error is now (its origin at first, then the
    /// call sites of the enclosing functions).
    pub site: Span,
    /// The frames unwound so far, innermost first.
    pub trace: Vec<TraceFrame>,
}

impl RuntimeError {
    /// A new error raised at `site`.
    pub fn new(message: impl Into<String>, site: Span) -> RuntimeError {
        RuntimeError {
            message: message.into(),
            hint: None,
            site,
            trace: Vec::new(),
        }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> RuntimeError {
        self.hint = Some(hint.into());
        self
    }

    /// Records that the error left function `name` (from `source`) and is now at `call_site`
    /// in its caller.
    pub fn leave_function(&mut self, name: &Rc<str>, source: u32, call_site: Span) {
        self.trace.push(TraceFrame::Call {
            name: name.clone(),
            source,
            span: self.site,
        });
        self.site = call_site;
    }

    /// Records that the error crossed from a continuation into the code that resumed it.
    pub fn leave_continuation(&mut self, source: u32, resume_site: Span) {
        self.trace.push(TraceFrame::Resumed {
            source,
            span: resume_site,
        });
        self.site = resume_site;
    }
}
