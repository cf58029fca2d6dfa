//! What the library's functions written in kont (`prelude.kont`: `map`, `filter`, `fold`,
//! `each`, `any`, `all`, `sort_by`) need from Rust: checks of their arguments that name the
//! function, and the parts that call no kont code. These built-ins are *internal*: only the
//! prelude's names resolve to them ([`INTERNAL`]), so a program cannot call them.

use crate::runtime::builtins::function;
use crate::runtime::function::Builtin;
use crate::runtime::order;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, expected, sequence};

/// The internal built-ins, by name.
pub static INTERNAL: &[Builtin] = &[
    function("__callback_error", 3, callback_error),
    function("__test", 2, test),
    function("__like", 2, like),
    function("__sort_by_keys", 2, sort_by_keys),
];

/// The internal built-in called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    INTERNAL.iter().find(|b| b.name == name)
}

/// The name of the library function a prelude function passes as its first argument.
fn function_name(v: &Value) -> &'static str {
    let name = match v {
        Value::Str(s) => s.as_str(),
        _ => "",
    };
    ["map", "filter", "fold", "each", "any", "all", "sort_by"]
        .into_iter()
        .find(|n| *n == name)
        .unwrap_or("callback")
}

/// `__callback_error(name, xs, f)`: `()` if `xs` is a list or an array and `f` a function,
/// else the message of the error that function `name` reports (the prelude performs `Fail`
/// of it, so that a handler's resume value is the value of the whole call).
fn callback_error(_: &Vm, args: &mut [Value]) -> Res {
    let name = function_name(&args[0]);
    let problem = match sequence(name, &args[1]) {
        Err(e) => Some(e),
        Ok(_) => match &args[2] {
            Value::Func(_) | Value::Builtin(_) => None,
            f => Some(expected(name, "a function", f)),
        },
    };
    Ok(problem.map_or(Value::Unit, |e| Value::str(e.to_string())))
}

/// `__test(name, v)`: the boolean a callback of function `name` returned; an error naming the
/// function for anything else.
fn test(_: &Vm, args: &mut [Value]) -> Res {
    match &args[1] {
        Value::True | Value::False => Ok(std::mem::take(&mut args[1])),
        v => Err(expected(function_name(&args[0]), "a bool", v)),
    }
}

/// `__like(xs, list)`: `list` itself if `xs` is a list, a new array of its elements if `xs`
/// is an array.
fn like(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Array(_) => Ok(Value::array(args[1].list_iter().cloned().collect())),
        _ => Ok(std::mem::take(&mut args[1])),
    }
}

/// `__sort_by_keys(xs, keys)`: the elements of `xs` (a list or an array) sorted stably by
/// `keys` (a list, one key per element), as `xs` is: a list or a new array.
fn sort_by_keys(_: &Vm, args: &mut [Value]) -> Res {
    let items = sequence("sort_by", &args[0])?;
    let keys: Vec<Value> = args[1].list_iter().cloned().collect();
    let sorted =
        order::sort_by_keys(items.to_vec(), &keys).map_err(|problem| ErrorKind::Function {
            function: "sort_by",
            problem,
        })?;
    Ok(items.same_kind(sorted))
}
