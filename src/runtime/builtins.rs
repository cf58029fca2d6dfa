//! The built-in functions of docs/language.md.
//!
//! Built-ins are plain Rust functions over values; none of them calls back into kont code, so
//! no built-in is ever on a native stack that a continuation captures (see `docs/effects.md`).

use std::cmp::Ordering;
use std::io::Write;

use crate::runtime::Vm;
use crate::runtime::function::Builtin;
use crate::runtime::print;
use crate::runtime::value::ConsCell;
use crate::runtime::value::Value;
use crate::runtime::{memory, ops};

/// Every built-in, by name.
pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "print",
        min_arity: 1,
        max_arity: 1,
        run: print_,
    },
    Builtin {
        name: "println",
        min_arity: 1,
        max_arity: 1,
        run: println_,
    },
    Builtin {
        name: "str",
        min_arity: 1,
        max_arity: 1,
        run: str_,
    },
    Builtin {
        name: "int",
        min_arity: 1,
        max_arity: 1,
        run: int_,
    },
    Builtin {
        name: "float",
        min_arity: 1,
        max_arity: 1,
        run: float_,
    },
    Builtin {
        name: "len",
        min_arity: 1,
        max_arity: 1,
        run: len_,
    },
    Builtin {
        name: "head",
        min_arity: 1,
        max_arity: 1,
        run: head_,
    },
    Builtin {
        name: "tail",
        min_arity: 1,
        max_arity: 1,
        run: tail_,
    },
    Builtin {
        name: "array",
        min_arity: 2,
        max_arity: 2,
        run: array_,
    },
    Builtin {
        name: "range",
        min_arity: 2,
        max_arity: 2,
        run: range_,
    },
    Builtin {
        name: "abs",
        min_arity: 1,
        max_arity: 1,
        run: abs_,
    },
    Builtin {
        name: "min",
        min_arity: 2,
        max_arity: 2,
        run: min_,
    },
    Builtin {
        name: "max",
        min_arity: 2,
        max_arity: 2,
        run: max_,
    },
    Builtin {
        name: "assert",
        min_arity: 1,
        max_arity: 2,
        run: assert_,
    },
    Builtin {
        name: "time_ms",
        min_arity: 0,
        max_arity: 0,
        run: time_ms_,
    },
    Builtin {
        name: "args",
        min_arity: 0,
        max_arity: 0,
        run: args_,
    },
];

/// Every built-in: those above and the standard library's.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    BUILTINS.iter().chain(crate::stdlib::FUNCTIONS)
}

/// The built-in called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

/// What a built-in returns: its value, or an error message (the caller adds the location).
type Res = Result<Value, String>;

/// Writes `text` to the session's output. A failed write is an error; a closed pipe is also
/// recorded in [`Vm::output_closed`].
fn write_out(vm: &Vm, text: &str) -> Res {
    vm.out
        .borrow_mut()
        .write_all(text.as_bytes())
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                vm.output_closed.set(true);
            }
            format!("cannot write output: {e}")
        })?;
    Ok(Value::Unit)
}

/// `print(v)`: writes `v` as [`print::show`] shows it (a string without quotes), with no
/// newline.
fn print_(vm: &Vm, args: &mut [Value]) -> Res {
    write_out(vm, &print::show(&args[0]))
}

/// `println(v)`: writes `v` as `print` does, then a newline.
fn println_(vm: &Vm, args: &mut [Value]) -> Res {
    let mut text = print::show(&args[0]);
    text.push('\n');
    write_out(vm, &text)
}

/// `str(v)`: `v` as `print` shows it; a string is returned as it is.
fn str_(_: &Vm, args: &mut [Value]) -> Res {
    Ok(match &args[0] {
        Value::Str(s) => Value::Str(s.clone()),
        v => Value::str(print::show(v)),
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
                Err(format!("int: {} is out of range", print::show(&args[0])))
            }
        }
        Value::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("int: cannot parse {:?}", s.as_str())),
        v => Err(format!(
            "type error: int expects a number or a string, got {}",
            v.kind()
        )),
    }
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
            .map_err(|_| format!("float: cannot parse {:?}", s.as_str())),
        v => Err(format!(
            "type error: float expects a number or a string, got {}",
            v.kind()
        )),
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
            return Err(format!(
                "type error: len expects a string, list, array or dictionary, got {}",
                v.kind()
            ));
        }
    };
    Ok(Value::Int(n as i64))
}

/// `head(xs)`: the first element of a non-empty list.
fn head_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Cons(c) => Ok(c.head.clone()),
        Value::Nil => Err("head of empty list".to_string()),
        v => Err(format!("type error: head expects a list, got {}", v.kind())),
    }
}

/// `tail(xs)`: a non-empty list without its first element.
fn tail_(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Cons(c) => Ok(c.tail.clone()),
        Value::Nil => Err("tail of empty list".to_string()),
        v => Err(format!("type error: tail expects a list, got {}", v.kind())),
    }
}

/// The int `v` holds; a type error naming the built-in `what` for anything else.
fn int_arg(v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        v => Err(format!(
            "type error: {what} expects an int, got {}",
            v.kind()
        )),
    }
}

/// `array(n, v)`: an array of `n` elements, all `v` (shared, if `v` is on the heap); an
/// error for a negative `n` or one too large to allocate.
fn array_(_: &Vm, args: &mut [Value]) -> Res {
    let n = int_arg(&args[0], "array")?;
    if n < 0 {
        return Err(format!("array: negative length {n}"));
    }
    memory::check("array", n as u64, size_of::<Value>() as u64, "elements")?;
    let n = usize::try_from(n).map_err(|_| format!("array: length {n} is too large"))?;
    let mut items = Vec::new();
    items
        .try_reserve_exact(n)
        .map_err(|_| format!("array: cannot allocate {n} elements"))?;
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
            .ok_or_else(|| "integer overflow".to_string()),
        Value::Float(f) => Ok(Value::float(f.get().abs())),
        v => Err(format!(
            "type error: abs expects a number, got {}",
            v.kind()
        )),
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
        Value::False => Err(match args.get(1) {
            Some(m) => format!("assertion failed: {}", print::show(m)),
            None => "assertion failed".to_string(),
        }),
        v => Err(ops::expected_bool(v)),
    }
}

/// `time_ms()`: the milliseconds since the Unix epoch.
fn time_ms_(_: &Vm, _: &mut [Value]) -> Res {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("time_ms: {e}"))?;
    Ok(Value::Int(now.as_millis() as i64))
}

/// `args()`: the program's command-line arguments, as a list of strings.
fn args_(vm: &Vm, _: &mut [Value]) -> Res {
    Ok(Value::list(vm.args.iter().map(|a| Value::str(a.as_str()))))
}
