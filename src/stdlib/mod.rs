//! The standard library of the language reference (`docs/language.md`, "Standard library
//! (v1)"): the functions that take no callback, as built-ins.
//!
//! Each function is a [`Builtin`] like those of [`crate::runtime::builtins`], whose `lookup`
//! finds the ones of [`FUNCTIONS`] too: a program's own binding of a library name shadows it
//! as it shadows any built-in. None of them calls back into kont code.
//!
//! Argument errors read `NAME: expected a KIND, got VALUE`, the value as it prints inside
//! data (`args::expected`). Positions and lengths of strings count Unicode scalar values.
//! The choices where the reference is silent are listed in `docs/semantics.md`, "Standard
//! library".

mod args;
mod backtrace;
pub mod callbacks;
mod dicts;
mod format;
pub mod io;
mod lists;
mod numbers;
mod random;
mod strings;

use crate::runtime::builtins::function;
use crate::runtime::function::Builtin;

/// Every function of the library, by name.
pub static FUNCTIONS: &[Builtin] = &[
    function("slice", 3, strings::slice),
    function("chars", 1, strings::chars),
    function("split", 2, strings::split),
    function("lines", 1, strings::lines),
    function("join", 2, strings::join),
    function("trim", 1, strings::trim),
    function("upper", 1, strings::upper),
    function("lower", 1, strings::lower),
    function("contains", 2, strings::contains),
    function("starts_with", 2, strings::starts_with),
    function("ends_with", 2, strings::ends_with),
    function("find", 2, strings::find),
    function("replace", 3, strings::replace),
    function("repeat", 2, strings::repeat),
    function("ord", 1, strings::ord),
    function("chr", 1, strings::chr),
    function("parse_int", 1, strings::parse_int),
    function("parse_float", 1, strings::parse_float),
    function("pad_left", 2, format::pad_left),
    function("pad_right", 2, format::pad_right),
    function("fixed", 2, format::fixed),
    function("reverse", 1, lists::reverse),
    function("sort", 1, lists::sort),
    function("zip", 2, lists::zip),
    function("enumerate", 1, lists::enumerate),
    function("sum", 1, lists::sum),
    function("nth", 2, lists::nth),
    function("list", 1, lists::list),
    function("to_array", 1, lists::to_array),
    function("push", 2, lists::push),
    function("pop", 1, lists::pop),
    function("same", 2, lists::same),
    Builtin {
        name: "dict",
        min_arity: 0,
        max_arity: 1,
        run: dicts::dict,
        performs: None,
    },
    function("get", 2, dicts::get),
    function("has", 2, dicts::has),
    function("remove", 2, dicts::remove),
    function("keys", 1, dicts::keys),
    function("values", 1, dicts::values),
    function("sqrt", 1, numbers::sqrt),
    function("floor", 1, numbers::floor),
    function("ceil", 1, numbers::ceil),
    function("round", 1, numbers::round),
    function("pow", 2, numbers::pow),
    function("random", 1, random::random),
    function("random_float", 0, random::random_float),
    function("seed", 1, random::seed),
    function("read_file", 1, io::read_file),
    function("write_file", 2, io::write_file),
    function("eprint", 1, io::eprint),
    function("eprintln", 1, io::eprintln),
    function("flush", 0, io::flush),
    function("env", 1, io::env),
    function(BACKTRACE, 1, backtrace::backtrace),
];

/// The name of the built-in that reads a continuation's frames: a unit that names it is
/// compiled with frame records (see [`crate::runtime::frames`]).
pub const BACKTRACE: &str = "backtrace";

/// Every function a program can call by name: the language's built-ins
/// ([`crate::runtime::builtins::BUILTINS`]) and the library's.
pub fn all() -> impl Iterator<Item = &'static Builtin> {
    crate::runtime::builtins::BUILTINS.iter().chain(FUNCTIONS)
}

/// The built-in or library function called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static Builtin> {
    all().find(|b| b.name == name)
}

/// The internal built-in called `name`, if there is one: those only the prelude can name
/// (see [`callbacks`]).
pub fn lookup_internal(name: &str) -> Option<&'static Builtin> {
    callbacks::lookup(name)
}

#[cfg(test)]
mod tests;
