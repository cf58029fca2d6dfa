//! The library's functions for columns of output: `pad_left`, `pad_right` and `fixed`.
//!
//! Rust's `format!` takes widths and precisions up to `u16::MAX` only (and panics past it),
//! so padding and the digits past a float's exact value are added here by hand.

use crate::runtime::print;
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, check_string_size, count, expected, int};

/// The most digits after the point that the exact value of a float can have (that of the
/// least subnormal, 2^-1074); every further digit is 0.
const EXACT_FLOAT_DIGITS: u64 = 1074;

/// `str(x)` and the number of spaces that pad it to `width` characters for function `name`
/// (none when it is as long already).
fn text_and_padding(name: &'static str, args: &[Value]) -> Result<(String, usize), Box<ErrorKind>> {
    let width = int(name, &args[1])?;
    let text = print::show(&args[0])?;
    let length = text.chars().count() as u64;
    let padding = u64::try_from(width).unwrap_or(0).saturating_sub(length);
    check_string_size(name, padding.checked_add(text.len() as u64))?;
    Ok((text, padding as usize))
}

/// `pad_left(x, width)`: `str(x)` with spaces before it up to `width` characters; never cut.
pub fn pad_left(_: &Vm, args: &mut [Value]) -> Res {
    let (text, padding) = text_and_padding("pad_left", args)?;
    Ok(Value::str(" ".repeat(padding) + &text))
}

/// `pad_right(x, width)`: `str(x)` with spaces after it up to `width` characters; never cut.
pub fn pad_right(_: &Vm, args: &mut [Value]) -> Res {
    let (mut text, padding) = text_and_padding("pad_right", args)?;
    text.extend(std::iter::repeat_n(' ', padding));
    Ok(Value::str(text))
}

/// `fixed(x, digits)`: the number `x` written with `digits` digits after the point (and no
/// point for 0 digits). A float is rounded from its exact binary value, ties to even (as
/// Rust's `{:.2}` and C's `printf("%.2f")`); an int is written exactly; NaN and the
/// infinities print as they always do.
pub fn fixed(_: &Vm, args: &mut [Value]) -> Res {
    if !matches!(args[0], Value::Int(_) | Value::Float(_)) {
        return Err(expected("fixed", "a number", &args[0]));
    }
    let digits = count("fixed", &args[1])?;
    // The sign, up to 309 digits before the point, the point and the digits after it.
    check_string_size("fixed", digits.checked_add(311))?;
    let (mut text, zeros) = match &args[0] {
        Value::Float(f) if !f.get().is_finite() => return Ok(Value::str(print::show(&args[0])?)),
        Value::Float(f) => {
            let exact = digits.min(EXACT_FLOAT_DIGITS);
            (format!("{:.*}", exact as usize, f.get()), digits - exact)
        }
        other => {
            let mut text = print::show(other)?;
            if digits > 0 {
                text.push('.');
            }
            (text, digits)
        }
    };
    text.extend(std::iter::repeat_n('0', zeros as usize));
    Ok(Value::str(text))
}
