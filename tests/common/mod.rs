//! What the integration tests that run the built `kont` binary on files share.

use std::process::{Command, Stdio};

/// The environment variable that turns the tail-resumptive fast path off when set to `0`.
pub const FAST_RESUME_VAR: &str = "KONT_FAST_RESUME";

/// The environment variable that turns the generic path on when set to `1`: every construct
/// compiled to its general closure, none of the specialised ones.
pub const GENERIC_VAR: &str = "KONT_GENERIC";

/// Which of kont's paths a run takes, chosen through its environment: by default the fast
/// path and the specialised closures, whatever the test's own environment says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paths {
    /// The tail-resumptive fast path off ([`FAST_RESUME_VAR`]`=0`).
    pub slow: bool,
    /// The generic path on ([`GENERIC_VAR`]`=1`).
    pub generic: bool,
}

/// A command that runs the built `kont` with no input and its output piped, on `paths`.
pub fn kont_command(paths: Paths) -> Command {
    let mut command = Command::new(kont_path());
    set_up(&mut command, paths);
    command
}

/// The path of the built `kont`.
pub fn kont_path() -> &'static str {
    env!("CARGO_BIN_EXE_kont")
}

/// Gives `command` (kont, or a command that runs it) no input, piped output and the
/// environment that makes kont take `paths`: each variable set for a path that is not the
/// default, removed otherwise.
pub fn set_up(command: &mut Command, paths: Paths) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (var, on, value) in [
        (FAST_RESUME_VAR, paths.slow, "0"),
        (GENERIC_VAR, paths.generic, "1"),
    ] {
        if on {
            command.env(var, value);
        } else {
            command.env_remove(var);
        }
    }
}

/// `stderr` after the warnings kont printed before running the program (each a report that
/// starts with `warning: `, its place on the next line, and ends with an empty line; and a
/// last line `warning: N more warnings not shown` when there were many): where a traced
/// program's trace starts (docs/trace.md), or its error report.
pub fn after_warnings(stderr: &str) -> &str {
    let mut rest = stderr;
    while rest.starts_with("warning: ") {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let report = rest[line_end..].trim_start().starts_with("┌─");
        let end = match rest.find("\n\n") {
            Some(blank) if report => blank + 2,
            _ => line_end,
        };
        rest = &rest[end..];
    }
    rest
}
