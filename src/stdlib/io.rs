//! Input, output and the process: `read_file`, `write_file`, `eprint`, `eprintln`, `flush`
//! and `env`.
//!
//! Failures of the system read `NAME: cannot read PATH: REASON` with REASON as the system
//! says it ([`os_reason`]: `No such file or directory`, without Rust's ` (os error 2)`).
//! A closed pipe on either output stream is recorded in [`Vm::output_closed`]: the program
//! then ends quietly, as when `print` meets one (see `docs/semantics.md`, "Input and
//! output").

use std::io::{self, Write};

use crate::runtime::print;
use crate::runtime::stdio::{flush_output, os_reason};
use crate::runtime::value::Value;
use crate::runtime::{ErrorKind, Vm};
use crate::stdlib::args::{Res, string};

/// `read_file(path)`: the text of the file at `path`, which must be UTF-8.
pub fn read_file(_: &Vm, args: &mut [Value]) -> Res {
    let path = string("read_file", &args[0])?;
    let cannot = |reason: String| ErrorKind::Function {
        function: "read_file",
        problem: format!("cannot read {path}: {reason}"),
    };
    let bytes = std::fs::read(path).map_err(|e| cannot(os_reason(&e)))?;
    let text = String::from_utf8(bytes).map_err(|_| cannot("not valid UTF-8".to_string()))?;
    Ok(Value::str(text))
}

/// `write_file(path, text)`: makes the file at `path` hold `text` (created, or emptied
/// first; its directory must exist).
pub fn write_file(_: &Vm, args: &mut [Value]) -> Res {
    let path = string("write_file", &args[0])?;
    let text = string("write_file", &args[1])?;
    std::fs::write(path, text).map_err(|e| ErrorKind::Function {
        function: "write_file",
        problem: format!("cannot write {path}: {}", os_reason(&e)),
    })?;
    Ok(Value::Unit)
}

/// `eprint(x)`: writes `x` as `print` shows it to standard error, at once.
pub fn eprint(vm: &Vm, args: &mut [Value]) -> Res {
    write_error(vm, "eprint", &print::show(&args[0])?)
}

/// `eprintln(x)`: writes `x` as `print` shows it and a line end to standard error, at once.
pub fn eprintln(vm: &Vm, args: &mut [Value]) -> Res {
    let mut text = print::show(&args[0])?;
    text.push('\n');
    write_error(vm, "eprintln", &text)
}

/// Writes `text` to standard error (unbuffered, in one write) for function `name`.
fn write_error(vm: &Vm, name: &'static str, text: &str) -> Res {
    io::stderr().write_all(text.as_bytes()).map_err(|e| {
        if e.kind() == io::ErrorKind::BrokenPipe {
            vm.output_closed.set(true);
        }
        ErrorKind::Function {
            function: name,
            problem: format!("cannot write to standard error: {}", os_reason(&e)),
        }
    })?;
    Ok(Value::Unit)
}

/// `flush()`: writes out the program's buffered output now.
pub fn flush(vm: &Vm, _: &mut [Value]) -> Res {
    flush_output(vm)?;
    Ok(Value::Unit)
}

/// `env(name)`: `Some(value)` of the environment variable `name`, or `None` when it is not
/// set or no variable can have that name (empty, or holding `=` or NUL). A value that is not
/// UTF-8 has its bad bytes replaced by U+FFFD.
pub fn env(_: &Vm, args: &mut [Value]) -> Res {
    let name = string("env", &args[0])?;
    if name.is_empty() || name.contains(['=', '\0']) {
        return Ok(Value::option(None));
    }
    let value = std::env::var_os(name).map(|v| Value::str(v.to_string_lossy().into_owned()));
    Ok(Value::option(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::stdio::output_error;
    use crate::{Options, Session};

    /// The first line of the report of `program`'s failure (a runtime error is expected).
    fn error_of(program: &str) -> String {
        let mut session = Session::new(Box::new(io::sink()), Vec::new(), Options::default());
        match session.eval("<test>", program) {
            Ok(_) => panic!("{program}: no error"),
            Err(failure) => failure.report.lines().next().unwrap_or("").to_string(),
        }
    }

    #[test]
    fn arguments_of_the_wrong_kind_name_the_function() {
        for (program, message) in [
            ("read_file(3)", "read_file: expected a string, got 3"),
            (
                "write_file(3, \"x\")",
                "write_file: expected a string, got 3",
            ),
            (
                "write_file(\"x\", [1])",
                "write_file: expected a string, got [1]",
            ),
            ("env(1)", "env: expected a string, got 1"),
            ("env(None)", "env: expected a string, got None"),
            (
                "eprint()",
                "wrong number of arguments: eprint expects 1, got 0",
            ),
            (
                "flush(1)",
                "wrong number of arguments: flush expects 0, got 1",
            ),
        ] {
            assert_eq!(error_of(program), format!("error: {message}"), "{program}");
        }
    }

    #[test]
    fn system_errors_read_as_the_system_says_them() {
        assert_eq!(
            os_reason(&io::Error::from_raw_os_error(2)),
            "No such file or directory"
        );
        assert_eq!(os_reason(&io::Error::other("odd")), "odd");
        assert_eq!(
            error_of("read_file(\"target/kont_io_unit_no_such_file\")"),
            "error: read_file: cannot read target/kont_io_unit_no_such_file: \
             No such file or directory"
        );
    }

    #[test]
    fn only_a_closed_pipe_marks_the_output_closed() {
        let vm = Vm::new(Box::new(io::sink()), Vec::new(), true);
        let full = io::Error::from_raw_os_error(28);
        assert_eq!(
            output_error(&vm, &full).to_string(),
            "cannot write output: No space left on device"
        );
        assert!(!vm.output_closed.get());
        let closed = io::Error::from_raw_os_error(32);
        let closed = output_error(&vm, &closed);
        assert_eq!(closed.to_string(), "cannot write output: Broken pipe");
        assert!(vm.output_closed.get());
        // A closed pipe ends the program: no `Fail` handler may resume it.
        assert!(!closed.catchable());
    }
}
