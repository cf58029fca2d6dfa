//! The `kont` command: run a script, evaluate a string, or open the REPL.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Parser, ValueEnum};
use kont::interrupt::{self, Mode};
use kont::trace::{Sink, TraceSettings, html};
use kont::{Failure, Options, Session};

mod repl;

/// kont runs programs in a small language with first-class effect handlers.
#[derive(Parser)]
#[command(
    name = "kont",
    version,
    about,
    long_about = None,
    override_usage = "kont [OPTIONS] [FILE [ARGS]...]\n       kont [OPTIONS] -e SOURCE [ARGS]...",
    group = ArgGroup::new("tracing").args(["trace", "trace_html"]).multiple(true)
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
    /// Write one line per effect event (handle, suspend, resume, …) to standard error
    /// (docs/trace.md); `--trace=stacks` adds the switches between native stacks.
    #[arg(
        long,
        value_name = "WHAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "events"
    )]
    trace: Option<TraceMode>,
    /// Write the run's effect events as one self-contained HTML page, a diagram of the
    /// native stacks to step through (docs/trace-html.md); at most 100000 events unless
    /// --trace-limit says otherwise.
    #[arg(long, value_name = "OUT.html")]
    trace_html: Option<PathBuf>,
    /// Stop tracing after N events (the program goes on).
    #[arg(long, value_name = "N", requires = "tracing")]
    trace_limit: Option<usize>,
}

/// What `--trace` traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TraceMode {
    /// The effect events (`--trace`).
    Events,
    /// The effect events and the switches between native stacks (`--trace=stacks`).
    Stacks,
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
        record_frames: false,
        trace: trace_settings(cli),
    }
}

/// How the session traces: as `--trace` says, or for the page of `--trace-html` (every
/// event and switch, kept, up to the limit; printed too with `--trace`).
fn trace_settings(cli: &Cli) -> Option<TraceSettings> {
    let print_stacks = cli.trace.map(|mode| mode == TraceMode::Stacks);
    if cli.trace_html.is_none() {
        return print_stacks.map(|stacks| TraceSettings {
            stacks,
            limit: cli.trace_limit,
            ..TraceSettings::default()
        });
    }
    let limit = cli.trace_limit.unwrap_or(html::DEFAULT_LIMIT);
    Some(TraceSettings {
        sink: match print_stacks {
            Some(print_stacks) => Sink::PrintAndCollect { print_stacks },
            None => Sink::Collect,
        },
        ..html::settings(limit)
    })
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
    if let Some(limit) = cli.trace_limit.filter(|&n| n > html::MAX_EVENTS)
        && cli.trace_html.is_some()
    {
        return fail(&format!(
            "--trace-limit {limit}: a trace page holds at most {} events",
            html::MAX_EVENTS
        ));
    }
    let mut positional = cli.script.into_iter();
    let file = if cli.eval.is_some() {
        None
    } else {
        positional.next().map(PathBuf::from)
    };
    let args: Vec<String> = positional
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (name, text) = match (cli.eval, &file) {
        (Some(src), _) => ("<eval>".to_string(), src),
        (None, Some(path)) => match kont::source_file::read(path) {
            Ok(text) => (path.display().to_string(), text),
            Err(message) => return fail(&message),
        },
        (None, None) if cli.trace_html.is_some() => {
            return fail("--trace-html needs a FILE or -e SOURCE to run");
        }
        (None, None) => return repl::run(options),
    };
    let page = match cli
        .trace_html
        .map(|out| PageFile::create(out, file.as_deref()))
    {
        Some(Ok(page)) => Some(page),
        Some(Err(message)) => return fail(&message),
        None => None,
    };
    let mut session = Session::new(kont::runtime::stdio::program_output(), args, options);
    session.show_warnings(Box::new(std::io::stderr()));
    // The evaluation flushes the output at its end, whatever the outcome.
    let result = session.eval(&name, &text);
    if let Err(f) = &result {
        let _ = std::io::stderr().write_all(f.report.as_bytes());
    }
    let failure = result.err();
    let status = failure.as_ref().map_or(0, Failure::exit_status) as u8;
    match page.map(|page| page.write(&mut session, &name, &text, failure.as_ref())) {
        Some(Err(message)) if status == 0 => fail(&message),
        Some(Err(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(status)
        }
        _ => ExitCode::from(status),
    }
}

/// The file `--trace-html` writes the page to, opened before the program runs so that a
/// path that cannot be written is reported before anything else happens.
struct PageFile {
    /// Where it is.
    path: PathBuf,
    /// The file, created (or emptied) and open for writing.
    file: File,
}

impl PageFile {
    /// Creates the page's file at `path`, unless it is the program's own `script`; or the
    /// message of the error.
    fn create(path: PathBuf, script: Option<&Path>) -> Result<PageFile, String> {
        let shown = path.display();
        let same = |script: &Path| {
            let canonical = |p: &Path| p.canonicalize().ok();
            canonical(script).is_some_and(|s| Some(s) == canonical(&path))
        };
        if script.is_some_and(same) {
            return Err(format!(
                "the trace page {shown} would overwrite the program"
            ));
        }
        let file =
            File::create(&path).map_err(|e| format!("cannot write the trace page {shown}: {e}"))?;
        Ok(PageFile { path, file })
    }

    /// Writes the page of the run `session` just made of `name` (`text`), which ended with
    /// `failure` if it failed; says on stderr if recording stopped at the limit. The error's
    /// message if the page could not be written.
    fn write(
        mut self,
        session: &mut Session,
        name: &str,
        text: &str,
        failure: Option<&Failure>,
    ) -> Result<(), String> {
        let events = session.take_trace();
        let page = html::page_of_run(session, name, text, &events, failure);
        if session.trace_limit_reached() {
            eprintln!(
                "note: the trace page {} holds the first {} events: recording stopped there \
                 (--trace-limit N changes the limit)",
                self.path.display(),
                events.len()
            );
        }
        self.file
            .write_all(page.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("cannot write the trace page {}: {e}", self.path.display()))
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

    #[test]
    fn the_trace_flags_set_the_trace_settings() {
        let trace = |args: &[&str]| options(&Cli::parse_from(args)).trace;
        assert_eq!(trace(&["kont", "-e", "1"]), None);
        let events = trace(&["kont", "--trace", "-e", "1"]).expect("traced");
        assert!(events.recording && !events.stacks && events.limit.is_none());
        let stacks = trace(&["kont", "--trace=stacks", "--trace-limit", "5", "p.kont"]);
        let stacks = stacks.expect("traced");
        assert!(stacks.stacks);
        assert_eq!(stacks.limit, Some(5));
        assert!(Cli::try_parse_from(["kont", "--trace-limit", "5", "p.kont"]).is_err());
        let cli = Cli::parse_from(["kont", "--trace", "p.kont"]);
        assert_eq!(
            cli.script,
            ["p.kont"],
            "--trace takes no value but after `=`"
        );
    }

    #[test]
    fn the_page_flag_records_every_event_and_switch_up_to_a_limit() {
        let trace = |args: &[&str]| options(&Cli::parse_from(args)).trace;
        let page = trace(&["kont", "--trace-html", "o.html", "p.kont"]).expect("traced");
        assert_eq!(page, html::settings(html::DEFAULT_LIMIT));
        let limited = trace(&[
            "kont",
            "--trace-html",
            "o.html",
            "--trace-limit",
            "7",
            "p.kont",
        ]);
        assert_eq!(limited, Some(html::settings(7)));
        let both = trace(&["kont", "--trace", "--trace-html", "o.html", "p.kont"]);
        let both = both.expect("traced");
        assert!(both.stacks, "the page needs the switches");
        assert_eq!(
            both.sink,
            Sink::PrintAndCollect {
                print_stacks: false
            }
        );
        let both = trace(&["kont", "--trace=stacks", "--trace-html", "o.html", "p.kont"]);
        assert_eq!(
            both.unwrap().sink,
            Sink::PrintAndCollect { print_stacks: true }
        );
    }
}
