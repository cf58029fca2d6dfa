//! The `kont` command: run a script, evaluate a string, or open the REPL.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kont::Session;
use kont::interrupt::{self, Mode};

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
        (None, None) => return repl::run(),
    };
    let mut session = Session::new(kont::stdio::program_output(), args);
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
