//! `backtrace(k)`: the frames of a suspended continuation as a list of strings, innermost
//! first, each as a line of an error's backtrace reads (docs/semantics.md, "Backtraces of
//! continuations"). kont's addition to the library of the language reference.
//!
//! The frames are those that code compiled with frame records kept
//! ([`crate::runtime::frames`]). A session compiles them from the first unit that names
//! `backtrace` on (the REPL from its first entry), so only the code of units it ran before
//! has none: a program run by `kont FILE` or `-e` is one unit, and its frames are all
//! recorded. When the frames run out before the continuation's end, the list ends with
//! [`NOT_RECORDED`].

use crate::runtime::frames;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};

/// The last line of a backtrace whose outer frames were not recorded.
pub const NOT_RECORDED: &str = "... earlier frames were compiled without records";

/// `backtrace(k)`: the frames of continuation `k` if it is suspended; `[]` for one that
/// is not (a `cont` not yet started, one resumed or discontinued).
pub fn backtrace(vm: &Vm, args: &mut [Value]) -> Result<Value, Box<ErrorKind>> {
    let Value::Cont(k) = &args[0] else {
        return Err(Box::new(ErrorKind::Expects {
            name: "backtrace",
            what: "a continuation",
            got: args[0].kind(),
        }));
    };
    let Some(outermost) = k.fiber_id() else {
        return Ok(Value::list(std::iter::empty()));
    };
    let found = frames::of_continuation(outermost);
    let mut lines = vm.sources.borrow().backtrace_lines(&found.trace);
    if found.incomplete {
        lines.push(NOT_RECORDED.to_string());
    }
    Ok(Value::list(lines.into_iter().map(Value::str)))
}
