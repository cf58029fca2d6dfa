//! The run-time system: values, calls, built-ins, printing, effects and continuations.
//!
//! Compiled code ([`function::Code`]) runs against a [`Ctx`], the state of one continuation
//! (its value stack and native stack limit), which reaches the state shared by all
//! continuations ([`Vm`]) through an `Rc`. Every piece of code returns [`R`]: a value, or a
//! [`Ctrl`] that unwinds: an error, a `return`, an escaping clause value, or an abort that
//! tears down a cancelled continuation.
//!
//! # Map
//!
//! | file            | what it holds                                                        |
//! |-----------------|----------------------------------------------------------------------|
//! | `value.rs`      | [`Value`](value::Value), 16 bytes; data dropped without recursion    |
//! | `string.rs`     | [`Str`](string::Str): a string that knows its length in characters   |
//! | `dict.rs`       | [`Dict`](dict::Dict): dictionaries, hashing and comparing keys       |
//! | `symbol.rs`     | interned constructor names                                           |
//! | `ops.rs`        | the operators, equality included                                     |
//! | `print.rs`      | printing values                                                      |
//! | `builtins.rs`   | the built-in functions                                               |
//! | `memory.rs`     | the guard against one huge allocation                                |
//! | `function.rs`   | prototypes, closures, and the call protocol ([`function::invoke`])   |
//! | `extension.rs`  | stack extensions: where a call goes when its native stack runs out   |
//! | `effects/`      | handlers and continuations: handle, suspend, resume, the fast path   |
//! | `ctx.rs`        | [`Ctx`], the running continuation's state                            |
//! | `vm.rs`         | [`Vm`], the state the continuations of a session share               |
//! | `ctrl.rs`       | [`R`] and [`Ctrl`]: unwinding, its reason in a per-thread slot       |
//! | `error.rs`      | [`RuntimeError`] and its backtrace ([`TraceFrame`])                  |
//! | `frames.rs`     | frame records of code compiled for `backtrace`                       |
//! | `spares.rs`     | [`Spares`]: emptied vectors kept for reuse                           |
//!
//! The runtime depends on the native-stack layer ([`crate::stack`]) and on the leaf modules
//! [`crate::span`], [`crate::source_map`] and [`crate::operator`], never on the syntax tree,
//! the compiler or the diagnostics.

pub mod builtins;
mod ctrl;
mod ctx;
pub mod dict;
pub mod effects;
mod error;
pub mod extension;
pub mod frames;
pub mod function;
pub mod memory;
pub mod ops;
pub mod order;
pub mod print;
mod spares;
pub mod stdio;
pub mod string;
pub mod symbol;
pub mod value;
mod vm;

pub use ctrl::{Ctrl, CtrlKind, Escaping, R};
pub use ctx::{Ctx, INITIAL_STACK};
pub use error::{Arity, ErrorKind, Overflow, RuntimeError, Suspended, TraceFrame, Unwinding};
pub use spares::Spares;
pub use vm::{SPARE_STACK_VALUES, Vm};
