//! The built-in functions of docs/language.md.
//!
//! Built-ins are plain Rust functions over values; none of them calls back into kont code, so
//! no built-in is ever on a native stack that a continuation captures (see `docs/effects.md`).
//! Those that do I/O through the language's operations (`print`, `println`, `read_line`)
//! only make the operation's argument: the call then performs it (see
//! [`Builtin::performs`]), so that a handler of the program's can catch it.

use std::cmp::Ordering;

use crate::runtime::effects::{OpId, PRINT, READ_LINE};
use crate::runtime::function::{Builtin, BuiltinFn};
use crate::runtime::print;
use crate::runtime::value::ConsCell;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::runtime::{memory, ops};

/// The table entry of the built-in `name`, which takes exactly `arity` arguments.
pub const fn function(name: &'static str, arity: usize, run: BuiltinFn) -> Builtin {
    Builtin {
        name,
        min_arity: arity,
        max_arity: arity,
        run,
        performs: None,
    }
}

/// The table entry of the built-in `name`, which performs `op` with what `run` makes of its
/// arguments (a `print` of `x` performs `Print` of the text of `x`).
const fn performing(name: &'static str, run: BuiltinFn, op: OpId) -> Builtin {
    Builtin {
        name,
        min_arity: if op == READ_LINE { 0 } else { 1 },
        max_arity: if op == READ_LINE { 0 } else { 1 },
        run,
        performs: Some(op),
    }
}

/// Every built-in, by name.
pub static BUILTINS: &[Builtin] = &[
    performing("print", print_, PRINT),
    performing("println", println_, PRINT),
    performing("read_line", read_line_, READ_LINE),
    function("str", 1, str_),
    function("int", 1, int_),
    function("float", 1, float_),
    function("len", 1, len_),
    function("head", 1, head_),
    function("tail", 1, tail_),
    function("array", 2, array_),
    function("range", 2, range_),
    function("abs", 1, abs_),
    function("min", 2, min_),
    function("max", 2, max_),
    Builtin {
        name: "assert",
        min_arity: 1,
        max_arity: 2,
        run: assert_,
        performs: None,
    },
    function("time_ms", 0, time_ms_),
    function("args", 0, args_),
    function("exit", 1, exit_),
];

/// What a built-in returns: its value, or what went wrong (the caller adds the location).
type Res = Result<Value, Box<ErrorKind>>;

/// `print(v)`: performs `Print` of the text of `v` as [`print::show`] shows it (a string
/// without quotes), with no newline; the handler around the program writes it.
fn print_(_: &Vm, args: &mut [Value]) -> Res {
    Ok(match std::mem::take(&mut args[0]) {
        Value::Str(s) => Value::Str(s),
        v => Value::str(print::show(&v)?),
    })
}

/// `println(v)`: performs `Print` of the text `print` would write, then a newline, in one
/// text.
fn println_(_: &Vm, args: &mut [Value]) -> Res {
    let mut text = print::show(&args[0])?;
    text.push('\n');
    Ok(Value::str(text))
}

/// `read_line()`: performs `ReadLine()`; the handler around the program reads the next line
/// of standard input.
fn read_line_(_: &Vm, _: &mut [Value]) -> Res {
    Ok(Value::Unit)
}

/// `str(v)`: `v` as `print` shows it; a string is returned as it is.
fn str_(_: &Vm, args: &mut [Value]) -> Res {
    Ok(match &args[0] {
        Value::Str(s) => Value::Str(s.clone()),
        v => Value::str(print::show(v)?),
    })
}

/// `int(x)`: an int as it is, a float truncated toward zero (an error if not finite or out
/// of range), a string parsed (surrounding whitespace ignored).
fn int_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) => {
            let t = f.get().trunc();
            if t.is_finite() && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&t) {
                Ok(Value::Int(t as i64))
            } else {
                Err(Box::new(ErrorKind::Function {
                    function: "int",
                    problem: format!("{} is out of range", print::show_cut(&args[0])),
                }))
            }
        }
        Value::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| unparsable("int", s.as_str())),
        v => Err(Box::new(ErrorKind::Expects {
            name: "int",
            what: "a number or a string",
            got: v.kind(),
        })),
    }
}

/// The error of `function` (`int`, `float`) given a string that is not a number.
fn unparsable(function: &'static str, text: &str) -> Box<ErrorKind> {
    Box::new(ErrorKind::Function {
        function,
        problem: format!("cannot parse {text:?}"),
    })
}

/// `float(x)`: an int converted, a float as it is, a string parsed (surrounding whitespace
/// ignored).
fn float_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Int(i) => Ok(Value::float(*i as f64)),
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .map(Value::float)
            .map_err(|_| unparsable("float", s.as_str())),
        v => Err(Box::new(ErrorKind::Expects {
            name: "float",
            what: "a number or a string",
            got: v.kind(),
        })),
    }
}

/// `len(x)`: the number of characters of a string, of elements of a list or array, or of
/// entries of a dictionary.
fn len_(_: &Vm, args: &mut [Value]) -> Res {
    let n = match &args[0] {
        Value::Str(s) => s.char_count(),
        Value::Nil | Value::Cons(_) => args[0].list_iter().count(),
        Value::Array(a) => a.borrow().len(),
        Value::Dict(d) => d.borrow().len(),
        v => {
            return Err(Box::new(ErrorKind::Expects {
                name: "len",
                what: "a string, list, array or dictionary",
                got: v.kind(),
            }));
        }
    };
    Ok(Value::Int(n as i64))
}

/// `head(xs)`: the first element of a non-empty list.
fn head_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Cons(c) => Ok(c.head.clone()),
        Value::Nil => Err(Box::new(ErrorKind::EmptyList("head"))),
        v => Err(Box::new(ErrorKind::Expects {
            name: "head",
            what: "a list",
            got: v.kind(),
        })),
    }
}

/// `tail(xs)`: a non-empty list without its first element.
fn tail_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Cons(c) => Ok(c.tail.clone()),
        Value::Nil => Err(Box::new(ErrorKind::EmptyList("tail"))),
        v => Err(Box::new(ErrorKind::Expects {
            name: "tail",
            what: "a list",
            got: v.kind(),
        })),
    }
}

/// The int `v` holds; a type error naming the built-in `what` for anything else.
fn int_arg(v: &Value, what: &'static str) -> Result<i64, Box<ErrorKind>> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(Box::new(ErrorKind::Expects {
            name: what,
            what: "an int",
            got: v.kind(),
        })),
    }
}

/// `array(n, v)`: an array of `n` elements, all `v` (shared, if `v` is on the heap); an
/// error for a negative `n` or one too large to allocate.
fn array_(_: &Vm, args: &mut [Value]) -> Res {
    let n = int_arg(&args[0], "array")?;
    if n < 0 {
        return Err(Box::new(ErrorKind::Function {
            function: "array",
            problem: format!("negative length {n}"),
        }));
    }
    memory::check("array", n as u64, size_of::<Value>() as u64, "elements")?;
    let n = usize::try_from(n).map_err(|_| {
        Box::new(ErrorKind::Function {
            function: "array",
            problem: format!("length {n} is too large"),
        })
    })?;
    let mut items = Vec::new();
    items.try_reserve_exact(n).map_err(|_| {
        Box::new(ErrorKind::Function {
            function: "array",
            problem: format!("cannot allocate {n} elements"),
        })
    })?;
    items.resize(n, std::mem::take(&mut args[1]));
    Ok(Value::array(items))
}

/// `range(a, b)`: the list of the ints from `a` up to `b` excluded (empty unless `a < b`);
/// an error if it is too long to allocate.
fn range_(_: &Vm, args: &mut [Value]) -> Res {
    let a = int_arg(&args[0], "range")?;
    let b = int_arg(&args[1], "range")?;
    if b > a {
        let cell = size_of::<ConsCell>() + 2 * size_of::<usize>();
        memory::check("range", b.abs_diff(a), cell as u64, "elements")?;
    }
    let mut list = Value::Nil;
    let mut i = b;
    while i > a {
        i -= 1;
        list = Value::cons(Value::Int(i), list);
    }
    Ok(list)
}

/// `abs(x)`: the absolute value of an int (an overflow error for the least int, whose
/// absolute value has none) or a float.
fn abs_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| Box::new(ErrorKind::IntegerOverflow)),
        Value::Float(f) => Ok(Value::float(f.get().abs())),
        v => Err(Box::new(ErrorKind::Expects {
            name: "abs",
            what: "a number",
            got: v.kind(),
        })),
    }
}

/// `min(a, b)`: the lesser by [`ops::compare`], `a` when they are equal.
fn min_(_: &Vm, args: &mut [Value]) -> Res {
    let pick = ops::compare(&args[0], &args[1])? != Ordering::Greater;
    Ok(std::mem::take(&mut args[if pick { 0 } else { 1 }]))
}

/// `max(a, b)`: the greater by [`ops::compare`], `a` when they are equal.
fn max_(_: &Vm, args: &mut [Value]) -> Res {
    let pick = ops::compare(&args[0], &args[1])? != Ordering::Less;
    Ok(std::mem::take(&mut args[if pick { 0 } else { 1 }]))
}

/// `assert(c)` or `assert(c, message)`: `()` if `c` is true; an `assertion failed` error
/// (with the message) if it is false; a type error if it is not a boolean.
fn assert_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::True => Ok(Value::Unit),
        Value::False => Err(Box::new(ErrorKind::AssertionFailed(
            args.get(1).map(print::show_or_cut),
        ))),
        v => Err(ops::expected_bool(v)),
    }
}

/// `time_ms()`: the milliseconds since the Unix epoch.
fn time_ms_(_: &Vm, _: &mut [Value]) -> Res {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| {
            Box::new(ErrorKind::Function {
                function: "time_ms",
                problem: e.to_string(),
            })
        })?;
    Ok(Value::Int(now.as_millis() as i64))
}

/// `args()`: the program's command-line arguments, as a list of strings.
fn args_(vm: &Vm, _: &mut [Value]) -> Res {
    Ok(Value::list(vm.args.iter().map(|a| Value::str(a.as_str()))))
}

/// `exit(code)`: ends the program with status `code` (0 to 255), its output flushed, from
/// any depth of handlers and continuations: it unwinds as an error no handler can catch.
fn exit_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Int(code) if (0..=255).contains(code) => Err(Box::new(ErrorKind::Exit(*code as u8))),
        v => Err(Box::new(ErrorKind::Argument {
            function: "exit",
            expected: "an int from 0 to 255",
            got: print::repr_cut(v),
        })),
    }
}
