//! The library's number functions: `sqrt`, `floor`, `ceil`, `round` and `pow`.
//!
//! `floor`, `ceil` and `round` give ints (an int argument as it is); a result outside the
//! int range, an infinity or NaN included, is `integer overflow`, as int arithmetic's is.

use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, expected, number};

/// The error for an int result out of range.
fn overflow() -> Box<ErrorKind> {
    Box::new(ErrorKind::IntegerOverflow)
}

/// `sqrt(x)`: the square root of a number, as a float (IEEE 754: NaN for a negative number).
pub fn sqrt(_: &Vm, args: &mut [Value]) -> Res {
    Ok(Value::float(number("sqrt", &args[0])?.sqrt()))
}

/// The int whose value is `f`, which must be a whole number: `integer overflow` if no int
/// is (NaN, an infinity, or a magnitude of 2^63 or more, except -2^63 itself).
fn whole_to_int(f: f64) -> Res {
    /// 2^63, the first float above every int.
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_TO_63..TWO_TO_63).contains(&f) {
        Ok(Value::Int(f as i64))
    } else {
        Err(overflow())
    }
}

/// A number rounded to an int by `to_whole` (which keeps whole floats as they are), for
/// function `name`: an int as it is.
fn to_int(name: &'static str, v: &Value, to_whole: fn(f64) -> f64) -> Res {
    match v {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(f) => whole_to_int(to_whole(f.get())),
        v => Err(expected(name, "a number", v)),
    }
}

/// `floor(x)`: the greatest int not above `x`.
pub fn floor(_: &Vm, args: &mut [Value]) -> Res {
    to_int("floor", &args[0], f64::floor)
}

/// `ceil(x)`: the least int not below `x`.
pub fn ceil(_: &Vm, args: &mut [Value]) -> Res {
    to_int("ceil", &args[0], f64::ceil)
}

/// `round(x)`: the nearest int to `x`, a half away from zero (`round(2.5)` is 3,
/// `round(-2.5)` is -3).
pub fn round(_: &Vm, args: &mut [Value]) -> Res {
    to_int("round", &args[0], f64::round)
}

/// `pow(a, b)`: `a` to the power `b`; an exact int for ints with `b >= 0` (overflow
/// checked), a float otherwise.
pub fn pow(_: &Vm, args: &mut [Value]) -> Res {
    match (&args[0], &args[1]) {
        (Value::Int(base), Value::Int(exponent)) if *exponent >= 0 => {
            int_pow(*base, exponent.unsigned_abs())
                .map(Value::Int)
                .ok_or_else(overflow)
        }
        (a, b) => Ok(Value::float(number("pow", a)?.powf(number("pow", b)?))),
    }
}

/// `base` to the power `exponent` by squaring (a step per bit of `exponent`, so exact and
/// quick for any exponent), or `None` on overflow.
///
/// The square of the base is only taken when a higher bit of the exponent is set, so the
/// result would hold that square as a factor: an overflowing square means an overflowing
/// result (the bases 0, 1 and -1 never overflow, so `pow(-1, 10_000_000_001)` is -1).
fn int_pow(mut base: i64, mut exponent: u64) -> Option<i64> {
    let mut result: i64 = 1;
    loop {
        if exponent & 1 == 1 {
            result = result.checked_mul(base)?;
        }
        exponent >>= 1;
        if exponent == 0 {
            return Some(result);
        }
        base = base.checked_mul(base)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_pow_is_exact_and_checks_overflow() {
        assert_eq!(int_pow(2, 62), Some(1 << 62));
        assert_eq!(int_pow(2, 63), None);
        assert_eq!(int_pow(-2, 63), Some(i64::MIN));
        assert_eq!(int_pow(-2, 64), None);
        assert_eq!(int_pow(3, 39), Some(4_052_555_153_018_976_267));
        assert_eq!(int_pow(3, 40), None);
        assert_eq!(int_pow(0, 0), Some(1));
        assert_eq!(int_pow(0, u64::MAX), Some(0));
        assert_eq!(int_pow(1, u64::MAX), Some(1));
        assert_eq!(int_pow(-1, u64::MAX), Some(-1));
        assert_eq!(int_pow(-1, u64::MAX - 1), Some(1));
        assert_eq!(int_pow(10, 18), Some(1_000_000_000_000_000_000));
        assert_eq!(int_pow(10, 19), None);
        assert_eq!(int_pow(i64::MIN, 1), Some(i64::MIN));
        for base in -20_i64..=20 {
            for exponent in 0..70_u32 {
                let expected = (base as i128)
                    .checked_pow(exponent)
                    .filter(|r| (i64::MIN as i128..=i64::MAX as i128).contains(r));
                assert_eq!(
                    int_pow(base, u64::from(exponent)).map(i128::from),
                    expected,
                    "{base}^{exponent}"
                );
            }
        }
    }

    #[test]
    fn whole_floats_convert_up_to_the_int_range() {
        assert!(matches!(
            whole_to_int(-(2.0_f64.powi(63))),
            Ok(Value::Int(i64::MIN))
        ));
        assert!(whole_to_int(2.0_f64.powi(63)).is_err());
        assert!(whole_to_int(f64::NAN).is_err());
        assert!(whole_to_int(f64::NEG_INFINITY).is_err());
        assert!(matches!(whole_to_int(-0.0), Ok(Value::Int(0))));
    }
}
