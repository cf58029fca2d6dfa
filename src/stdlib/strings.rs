//! The string functions of the library: slicing and splitting, searching and replacing, case
//! and white space, characters and their numbers, parsing numbers.
//!
//! Positions and lengths count Unicode scalar values (Rust's `char`s), never bytes.

use crate::runtime::string::char_value;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, check_string_size, count, expected, int, list, sequence, string};

/// The byte offset in `s` of the character at position `i`, clamped to the string: 0 for a
/// negative `i`, the end of `s` for one past its last character.
fn byte_offset(s: &str, i: i64) -> usize {
    let Ok(i) = usize::try_from(i) else {
        return 0;
    };
    if s.is_ascii() {
        return i.min(s.len());
    }
    s.char_indices().nth(i).map_or(s.len(), |(at, _)| at)
}

/// The list of the characters of `s`, each a one-character string (shared, for an ASCII
/// character: [`char_value`]).
pub fn char_list(s: &str) -> Value {
    Value::list(s.chars().map(char_value))
}

/// `slice(s, a, b)`: the characters of `s` from position `a` to `b`, `b` excluded, both
/// clamped to the string; `""` when `a >= b`.
pub fn slice(_: &Vm, args: &mut [Value]) -> Res {
    let s = string("slice", &args[0])?;
    let start = byte_offset(s, int("slice", &args[1])?);
    let end = byte_offset(s, int("slice", &args[2])?);
    Ok(Value::str(s.get(start..end).unwrap_or("")))
}

/// `chars(s)`: the list of the characters of `s`.
pub fn chars(_: &Vm, args: &mut [Value]) -> Res {
    Ok(char_list(string("chars", &args[0])?))
}

/// `split(s, sep)`: the parts of `s` between the occurrences of `sep` (not empty), as Rust's
/// `str::split`: `split("", ",")` is `[""]`.
pub fn split(_: &Vm, args: &mut [Value]) -> Res {
    let s = string("split", &args[0])?;
    let sep = string("split", &args[1])?;
    if sep.is_empty() {
        return Err(Box::new(ErrorKind::Function {
            function: "split",
            problem: "empty separator".to_string(),
        }));
    }
    Ok(list(s.split(sep).map(Value::str).collect()))
}

/// `lines(s)`: the lines of `s` without their ends (`"\n"` or `"\r\n"`), as Rust's
/// `str::lines`: a final line end starts no other line.
pub fn lines(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::list(
        string("lines", &args[0])?.lines().map(Value::str),
    ))
}

/// `join(xs, sep)`: the strings of the list or array `xs`, with `sep` between them.
pub fn join(_: &Vm, args: &mut [Value]) -> Res {
    let not_strings = || expected("join", "a list of strings", &args[0]);
    let items = sequence("join", &args[0]).map_err(|_| not_strings())?;
    let parts = items
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.as_str()),
            _ => Err(not_strings()),
        })
        .collect::<Result<Vec<&str>, Box<ErrorKind>>>()?;
    let sep = string("join", &args[1])?;
    let seps = (sep.len() as u64).checked_mul(parts.len().saturating_sub(1) as u64);
    let bytes = seps.and_then(|seps| {
        parts
            .iter()
            .try_fold(seps, |total, part| total.checked_add(part.len() as u64))
    });
    check_string_size("join", bytes)?;
    Ok(Value::str(parts.join(sep)))
}

/// `trim(s)`: `s` without the Unicode white space at either end.
pub fn trim(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::str(string("trim", &args[0])?.trim()))
}

/// `upper(s)`: `s` in upper case, by the full Unicode mapping (`"ß"` becomes `"SS"`).
pub fn upper(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::str(string("upper", &args[0])?.to_uppercase()))
}

/// `lower(s)`: `s` in lower case, by the full Unicode mapping.
pub fn lower(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::str(string("lower", &args[0])?.to_lowercase()))
}

/// The two string arguments of function `name`.
fn two_strings<'v>(
    name: &'static str,
    args: &'v [Value],
) -> Result<(&'v str, &'v str), Box<ErrorKind>> {
    Ok((string(name, &args[0])?, string(name, &args[1])?))
}

/// `contains(s, sub)`: whether `sub` occurs in `s`.
pub fn contains(_: &Vm, args: &mut [Value]) -> Res {
    let (s, sub) = two_strings("contains", args)?;
    Ok(Value::bool(s.contains(sub)))
}

/// `starts_with(s, p)`: whether `s` begins with `p`.
pub fn starts_with(_: &Vm, args: &mut [Value]) -> Res {
    let (s, p) = two_strings("starts_with", args)?;
    Ok(Value::bool(s.starts_with(p)))
}

/// `ends_with(s, p)`: whether `s` ends with `p`.
pub fn ends_with(_: &Vm, args: &mut [Value]) -> Res {
    let (s, p) = two_strings("ends_with", args)?;
    Ok(Value::bool(s.ends_with(p)))
}

/// `find(s, sub)`: `Some(i)`, the position of the first occurrence of `sub` in `s` (0 for
/// an empty `sub`), or `None`.
pub fn find(_: &Vm, args: &mut [Value]) -> Res {
    let (s, sub) = two_strings("find", args)?;
    let position = s.find(sub).map(|at| s[..at].chars().count() as i64);
    Ok(Value::option(position.map(Value::Int)))
}

/// `replace(s, from, to)`: `s` with every occurrence of `from` replaced by `to`, left to
/// right and without overlaps, as Rust's `str::replace` (an empty `from` matches at every
/// character boundary).
pub fn replace(_: &Vm, args: &mut [Value]) -> Res {
    let (s, from) = two_strings("replace", args)?;
    let to = string("replace", &args[2])?;
    if to.len() > from.len() {
        let matches = if from.is_empty() {
            s.chars().count() + 1
        } else {
            s.matches(from).count()
        };
        let growth = ((to.len() - from.len()) as u64).checked_mul(matches as u64);
        check_string_size(
            "replace",
            growth.and_then(|g| g.checked_add(s.len() as u64)),
        )?;
    }
    Ok(Value::str(s.replace(from, to)))
}

/// `repeat(s, n)`: `n` copies of `s` (`n` not negative).
pub fn repeat(_: &Vm, args: &mut [Value]) -> Res {
    let s = string("repeat", &args[0])?;
    let n = count("repeat", &args[1])?;
    if s.is_empty() {
        return Ok(Value::str(""));
    }
    check_string_size("repeat", (s.len() as u64).checked_mul(n))?;
    Ok(Value::str(s.repeat(n as usize)))
}

/// `ord(c)`: the Unicode scalar value of the one-character string `c`.
pub fn ord(_: &Vm, args: &mut [Value]) -> Res {
    let one_char = match &args[0] {
        Value::Str(s) => {
            let mut chars = s.chars();
            chars.next().filter(|_| chars.next().is_none())
        }
        _ => None,
    };
    one_char
        .map(|c| Value::Int(i64::from(u32::from(c))))
        .ok_or_else(|| expected("ord", "a string of one character", &args[0]))
}

/// `chr(n)`: the one-character string of the Unicode scalar value `n`.
pub fn chr(_: &Vm, args: &mut [Value]) -> Res {
    let c = match &args[0] {
        Value::Int(n) => u32::try_from(*n).ok().and_then(char::from_u32),
        _ => None,
    };
    c.map(Value::str)
        .ok_or_else(|| expected("chr", "a Unicode scalar value", &args[0]))
}

/// `parse_int(s)`: `Some(n)` where `int(s)` gives `n` (surrounding white space ignored),
/// `None` where it fails.
pub fn parse_int(_: &Vm, args: &mut [Value]) -> Res {
    let s = string("parse_int", &args[0])?;
    Ok(Value::option(s.trim().parse::<i64>().ok().map(Value::Int)))
}

/// `parse_float(s)`: `Some(x)` where `float(s)` gives `x` (surrounding white space
/// ignored), `None` where it fails.
pub fn parse_float(_: &Vm, args: &mut [Value]) -> Res {
    let s = string("parse_float", &args[0])?;
    Ok(Value::option(
        s.trim().parse::<f64>().ok().map(Value::float),
    ))
}
