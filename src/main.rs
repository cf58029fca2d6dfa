//! The `kont` command: run a script, evaluate a string, or open the REPL.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kont::interrupt::{self, Mode};
use kont::{Options, Session};

mod repl;

/// kont runs programs in a small language with first-class effect handlers.
#[derive(Parser)]
#[command(
    name = "kont",
    version,
    about,
    long_about = None,
    override_usage = "kont [OPTIONS] [FILE [ARGS]...]\n       kont [OPTIONS] -e SOURCE [ARGS]..."
)]
struct Cli {
    /// Evaluate SOURCE instead of reading a file (positional arguments become `args()`).
    #[arg(
        short = 'e',
        long = "eval",
        value_name = "SOURCE",
        allow_hyphen_values = true
    )]
    eval: Option<String>,
    /// The script to run, then its arguments, returned by `args()` (everything after the
    /// script goes to it, options included); without a script (and without -e), kont opens
    /// the REPL.
    // One positional list, so that nothing after the script is taken for an option of kont
    // (`kont script.kont --help` passes `--help` to the script).
    #[arg(value_name = "FILE [ARGS]", trailing_var_arg = true)]
    script: Vec<OsString>,
    /// Compile every construct to its general code only, without the specialised code of
    /// common shapes: slower, with the same results (for testing kont; also KONT_GENERIC=1).
    #[arg(long)]
    generic: bool,
    /// Treat warnings as errors: report them as errors and run nothing (exit status 2).
    #[arg(long)]
    deny_warnings: bool,
}

/// The environment variable that turns the generic path on (`KONT_GENERIC=1`), as
/// `--generic` does.
const GENERIC_VAR: &str = "KONT_GENERIC";

/// The environment variable that turns the tail-resumptive fast path off (`KONT_FAST_RESUME=0`).
const FAST_RESUME_VAR: &str = "KONT_FAST_RESUME";

/// The environment variable that sets the native stacks' size in MiB (`KONT_STACK_MB=8`).
const STACK_MB_VAR: &str = "KONT_STACK_MB";

/// The session's options: those the flags give, and those the environment sets.
fn options(cli: &Cli) -> Options {
    Options {
        generic: cli.generic || is_on(std::env::var_os(GENERIC_VAR)),
        fast_resume: std::env::var_os(FAST_RESUME_VAR).is_none_or(|v| v != "0"),
        stack_mb: std::env::var(STACK_MB_VAR)
            .ok()
            .and_then(|v| v.trim().parse().ok()),
        deny_warnings: cli.deny_warnings,
    }
}

/// Whether a switch in the environment with value `value` is on: set, and neither empty nor
/// `0`.
fn is_on(value: Option<OsString>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// The stack of the thread that parses, resolves and compiles (programs run on stacks of
/// their own): nesting as deep as the resolver allows must fit. Reserved, not committed.
const FRONT_END_STACK: usize = 1 << 30;

/// mimalloc rather than the system allocator: continuations, closures, lists and handler
/// records are small, short-lived allocations, and mimalloc serves them in a fraction of the
/// instructions glibc's malloc takes (see benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = if cli.eval.is_none() && cli.script.is_empty() {
        Mode::Repl
    } else {
        Mode::Script
    };
    // Before any other thread starts: the signals are blocked in every thread.
    if let Err(e) = interrupt::install(mode)
        && mode == Mode::Repl
    {
        eprintln!("warning: Ctrl-C will not interrupt running programs: {e}");
    }
    let worker = std::thread::Builder::new()
        .name("kont".to_string())
        .stack_size(FRONT_END_STACK)
        .spawn(|| run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => ExitCode::from(1),
        Err(e) => fail(&format!("cannot start: {e}")),
    }
}

/// The command proper, run on the front-end thread: runs a script or a `-e` string, or
/// opens the REPL; returns the exit status.
fn run(cli: Cli) -> ExitCode {
    let options = options(&cli);
    let mut positional = cli.script.into_iter();
    let file = if cli.eval.is_some() {
        None
    } else {
        positional.next().map(PathBuf::from)
    };
    let args: Vec<String> = positional
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (name, text, args) = match (cli.eval, file) {
        (Some(src), _) => ("<eval>".to_string(), src, args),
        (None, Some(path)) => match kont::source_file::read(&path) {
            Ok(text) => (path.display().to_string(), text, args),
            Err(message) => return fail(&message),
        },
        (None, None) => return repl::run(options),
    };
    let mut session = Session::new(kont::runtime::stdio::program_output(), args, options);
    session.show_warnings(Box::new(std::io::stderr()));
    // The evaluation flushes the output at its end, whatever the outcome.
    match session.eval(&name, &text) {
        Ok(_) => ExitCode::SUCCESS,
        Err(f) => {
            let _ = std::io::stderr().write_all(f.report.as_bytes());
            ExitCode::from(f.exit_status() as u8)
        }
    }
}

/// Reports `message` as an error on stderr; the exit status is 2.
fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_in_the_environment_is_on_unless_unset_empty_or_0() {
        assert!(is_on(Some("1".into())));
        assert!(is_on(Some("yes".into())));
        for off in [None, Some(""), Some("0")] {
            assert!(!is_on(off.map(OsString::from)), "{off:?}");
        }
    }

    #[test]
    fn the_generic_flag_turns_the_generic_path_on() {
        let cli = Cli::parse_from(["kont", "--generic", "-e", "1"]);
        assert!(options(&cli).generic);
        let cli = Cli::parse_from(["kont", "prog.kont", "--generic"]);
        assert!(!cli.generic, "a flag after the script belongs to args()");
    }
}
