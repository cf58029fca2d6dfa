//! Random numbers: `random(n)`, `random_float()` and `seed(n)`.
//!
//! One generator per thread (the `fastrand` crate's wyrand), seeded when first used from the
//! clock and the thread's id (`fastrand`'s own seeding); `seed(n)` reseeds it with `n`, so
//! the same seed gives the same sequence on every run (of the same build of kont: the numbers
//! themselves are not specified).

use std::cell::RefCell;

use fastrand::Rng;

use crate::runtime::Vm;
use crate::runtime::value::Value;
use crate::stdlib::args::{Res, expected, int};

thread_local! {
    /// The generator of the library's random numbers. It will move into the VM, so that each
    /// session has its own; until then the sessions of a thread share it.
    static GENERATOR: RefCell<Rng> = RefCell::new(Rng::new());
}

/// `random(n)`: an int in `0..n` (`n` positive).
pub fn random(_: &Vm, args: &mut [Value]) -> Res {
    match &args[0] {
        Value::Int(n) if *n > 0 => Ok(Value::Int(GENERATOR.with(|g| g.borrow_mut().i64(0..*n)))),
        v => Err(expected("random", "a positive int", v)),
    }
}

/// `random_float()`: a float in `[0, 1)`.
pub fn random_float(_: &Vm, _: &mut [Value]) -> Res {
    Ok(Value::float(GENERATOR.with(|g| g.borrow_mut().f64())))
}

/// `seed(n)`: seeds the generator with the int `n` (its bits, for a negative one); its value
/// is `()`.
pub fn seed(_: &Vm, args: &mut [Value]) -> Res {
    let n = int("seed", &args[0])?;
    GENERATOR.with(|g| g.borrow_mut().seed(n as u64));
    Ok(Value::Unit)
}
