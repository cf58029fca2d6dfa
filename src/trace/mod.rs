//! Tracing a run's effect events (`kont --trace`, `--trace=stacks`, `--trace-html`, the
//! REPL's `:trace`): what happens at each `handle`, `suspend`, `resume`, `discontinue` and
//! `cont`, which handler catches an operation and which native stack runs.
//!
//! [`event`] is the record of one event, shared by the text trace (one line per event on
//! standard error, docs/trace.md) and the HTML page ([`html`], a sequence diagram of the
//! stacks, docs/trace-html.md, which reads the events as JSON, `json`).
//! Tracing is decided when a program is compiled: with it off, no traced code exists and a
//! run pays nothing for it.

pub mod event;
pub mod html;
mod json;
