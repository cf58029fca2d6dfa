//! What the integration tests that run the built `kont` binary on files share.

use std::process::{Command, Stdio};

/// The environment variable that turns the tail-resumptive fast path off when set to `0`.
pub const FAST_RESUME_VAR: &str = "KONT_FAST_RESUME";

/// A command that runs the built `kont` with no input and its output piped: with the fast
/// path off if `slow_path`, else with [`FAST_RESUME_VAR`] removed from its environment, so
/// that it takes the default path whatever the test's environment says.
pub fn kont_command(slow_path: bool) -> Command {
    let mut command = Command::new(kont_path());
    set_up(&mut command, slow_path);
    command
}

/// The path of the built `kont`.
pub fn kont_path() -> &'static str {
    env!("CARGO_BIN_EXE_kont")
}

/// Gives `command` (kont, or a command that runs it) no input, piped output and the fast
/// path's environment variable as [`kont_command`] describes.
pub fn set_up(command: &mut Command, slow_path: bool) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if slow_path {
        command.env(FAST_RESUME_VAR, "0");
    } else {
        command.env_remove(FAST_RESUME_VAR);
    }
}
