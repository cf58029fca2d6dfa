//! The golden-program runner: kont's executable specification.
//!
//! Every `tests/programs/**/*.kont`, every `examples/*.kont` and every solution of the course's
//! exercises (`docs/learn/solutions/*.kont`, written like those under `tests/programs`) is
//! one test. The runner starts
//! the `kont` binary on the program, with the crate root as the current directory and the
//! program's path relative to the crate root as its first argument (so diagnostics print
//! `tests/programs/errors_runtime/overflow.kont:3:9`), and checks what it did against
//! expectations written in the program itself, after the model of Crafting Interpreters' test
//! suite. Its standard input is the program's sibling file `NAME.in` if there is one (piped to
//! it whole, then closed; for examples too), and empty (`/dev/null`) otherwise.
//!
//! # Expectations
//!
//! Expectations are line comments, anywhere in the file (also after code on the same line):
//!
//! | comment | meaning |
//! |---|---|
//! | `// expect: TEXT` | the next line of stdout is exactly `TEXT` (`// expect:` alone: an empty line) |
//! | `// expect runtime error: MESSAGE` | exit status 1, and stderr contains `error: MESSAGE` |
//! | `// expect compile error: MESSAGE` | exit status 2, and stderr contains `error: MESSAGE` (parse errors too) |
//! | `// expect exit: N` | exit status N (0 to 255) |
//! | `// expect stderr: TEXT` | stderr contains `TEXT` (repeatable: locations, hints, backtrace lines) |
//! | `// expect stderr ends: TEXT` | the lines of these directives, in order, are exactly the last lines of stderr (the end of an error report) |
//! | `// expect warning: MESSAGE` | kont warns `warning: MESSAGE` before running the program (repeatable, in the order of the warnings) |
//! | `// args: A B C` | extra command-line arguments after the program's path (split on whitespace) |
//! | `// flags: F G` | options of kont before the program's path (`--trace`, `--trace=stacks`, `--trace-limit N`) |
//! | `// expect trace: TEXT` | the next line of the trace on stderr is exactly `TEXT` |
//! | `// expect slow trace: TEXT` | the same, for the run with the fast path off (see below) |
//!
//! - stdout must equal the `// expect:` lines, in file order, each followed by `\n`; with no
//!   `// expect:` line stdout must be empty. This holds for failing programs too: what a
//!   program prints before a runtime error is part of its specification.
//! - The warnings kont prints before running a program (a line `warning: MESSAGE` followed
//!   by the location line `┌─ FILE:LINE:COLUMN`; a program's own `eprintln("warning: …")`
//!   is not one) must be exactly the `// expect warning:` lines, in order: a program or
//!   example with a warning it does not expect fails, so every golden program and example is
//!   also checked to be free of warnings. A program whose only expectations are warnings
//!   must print nothing and exit 0.
//! - Without an error or exit expectation the exit status must be 0. At most one of
//!   `// expect runtime error:`, `// expect compile error:` and `// expect exit:` is allowed.
//!   With `// expect exit:` stdout and `// expect stderr:` are checked as usual (and nothing
//!   else of stderr).
//! - Instead of `// expect:` lines, a program may have a sibling file with the same name and
//!   the extension `.out` holding the exact expected stdout (useful for long outputs, or for
//!   a program that must print nothing: an empty `.out`). Using both is an error.
//! - `examples/NAME.kont` is always compared with `examples/NAME.out` (exact stdout, exit
//!   status 0); a missing `.out` fails the test. `// args:` is honoured in examples; other
//!   comments are not read there. An example with a sibling `NAME.trace` runs with
//!   `--trace`, and its stderr must be exactly that text trace (docs/trace.md).
//! - The `// expect trace:` lines are the program's text trace (docs/trace.md), so they need
//!   `// flags: --trace` (or `--trace=stacks`): stderr must begin (after kont's warnings,
//!   if any) with exactly these lines, in file order, each followed by `\n`; after them
//!   comes nothing but, if the program fails, its error report (checked as usual). The
//!   trace is the same whichever path a program takes, but for the stack switches of
//!   `--trace=stacks`, which a clause on the fast path does not make: a program with
//!   `// expect slow trace:` lines has its run with the fast path off checked against them
//!   instead (its other runs against `// expect trace:`).
//! - A program under `tests/programs` with no expectation at all (no `// expect…` comment and
//!   no `.out`) fails with "no expectations", so a test cannot pass by accident.
//! - A comment that looks like a directive but is not one (`// expect error: …`,
//!   `// expected: …`) fails the test, so a typo cannot silence an expectation.
//! - Whatever is expected, the run fails if it takes longer than 120 seconds (the child is
//!   killed), if the process dies from a signal, or if stderr shows a Rust panic
//!   (`panicked at`): no input may crash the interpreter.
//!
//! # Slow path and generic path
//!
//! Every program under `tests/programs/effects*/`, `builtin_effects/`, `callbacks/` and
//! `trace/` (the programs about handlers), under `printing/` (where continuations print the
//! state the slow path records), every solution and every example runs a second time with
//! the environment variable `KONT_FAST_RESUME=0`, which turns off the interpreter's fast path
//! for tail-resumptive handlers; that trial's name ends in ` [slow path]` and its
//! expectations are the same.
//!
//! Every program and every example also runs with `KONT_GENERIC=1`, under which the compiler
//! makes the general closure of every construct and none of its specialised ones (calls of
//! known functions, int fast paths of operators, updates in place, shape matches, …); that
//! trial's name ends in ` [generic]` and its expectations are the same, so each golden
//! program checks that the specialisations it meets change nothing but speed.
//!
//! (The default run has both variables removed from its environment, and each other run the
//! one it does not set, so that every run takes the path its name says.)
//!
//! # Running
//!
//! `cargo test --test golden` runs everything; `cargo test --test golden -- PATTERN` runs the
//! trials whose name (the program's path, e.g. `tests/programs/match/guards.kont`) contains
//! `PATTERN` (one filter; `--skip PATTERN` may be repeated); `-- --exact NAME` runs one. The
//! runner also has a few `runner self-test: …` trials that check the expectation parser,
//! the checker and the piping of input themselves (`tests/golden_self_tests/mod.rs`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};

mod common;
mod golden_self_tests;
#[path = "common/run.rs"]
mod run;
use common::{FAST_RESUME_VAR, GENERIC_VAR, Paths, after_warnings, kont_command};
use run::{OUTPUT_CAP, Outcome, Status, TIMEOUT, line_diff, run_command, truncate_chars};

/// The features (directories under `tests/programs`) whose programs also run on the slow
/// path: those about handlers and their traces, and printing (continuations print what the
/// slow path records).
const SLOW_PATH_FEATURES: [&str; 6] = [
    "backtrace",
    "effects",
    "builtin_effects",
    "callbacks",
    "trace",
    "printing",
];

/// Suffix of the name of the trial of a program run with the fast path off.
const SLOW_PATH_SUFFIX: &str = " [slow path]";

/// Suffix of the name of the trial of a program run on the generic path.
const GENERIC_SUFFIX: &str = " [generic]";

/// At most this many characters of stderr are shown in a failure report.
const STDERR_SHOWN: usize = 6000;

/// The solutions of the course's exercises (docs/learn/README.md): golden programs like those
/// under `tests/programs`, all about handlers, so all also run on the slow path.
const SOLUTIONS_DIR: &str = "docs/learn/solutions";

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trials = Vec::new();

    match discover(root) {
        Ok(programs) => {
            let generic = Paths {
                generic: true,
                ..Paths::default()
            };
            for program in programs {
                trials.push(program_trial(root, program.clone(), Paths::default()));
                trials.push(program_trial(root, program.clone(), generic));
                if program.slow_path {
                    let slow = Paths {
                        slow: true,
                        ..Paths::default()
                    };
                    trials.push(program_trial(root, program, slow));
                }
            }
        }
        Err(message) => trials.push(Trial::test("discover golden programs", move || {
            Err(Failed::from(message))
        })),
    }
    trials.extend(golden_self_tests::self_tests());

    libtest_mimic::run(&args, trials).exit();
}

// ---------------------------------------------------------------------------------------------
// Discovery

/// One program to run.
#[derive(Clone, Debug)]
struct Program {
    /// Path relative to the crate root, with `/` separators: the trial name and the argument.
    rel: String,
    /// Whether it is an example (`examples/*.kont`, checked against `NAME.out`).
    example: bool,
    /// Whether it also runs with the fast path off.
    slow_path: bool,
}

/// Finds every `tests/programs/**/*.kont`, every solution of the course's exercises
/// ([`SOLUTIONS_DIR`]) and every `examples/*.kont`, sorted by path.
fn discover(root: &Path) -> Result<Vec<Program>, String> {
    let mut programs = Vec::new();

    let mut files = Vec::new();
    let tests_dir = root.join("tests/programs");
    if tests_dir.is_dir() {
        walk(&tests_dir, &mut files)?;
    }
    files.sort();
    for file in files {
        let rel = relative(root, &file)?;
        // `tests/programs/<feature>/…`: the feature directory decides the slow path.
        let feature = rel.split('/').nth(2).unwrap_or("");
        let slow_path = SLOW_PATH_FEATURES.iter().any(|f| feature.starts_with(f))
            && rel.matches('/').count() >= 3;
        programs.push(Program {
            rel,
            example: false,
            slow_path,
        });
    }

    let mut files = Vec::new();
    walk(&root.join(SOLUTIONS_DIR), &mut files)?;
    files.sort();
    for file in files {
        programs.push(Program {
            rel: relative(root, &file)?,
            example: false,
            slow_path: true,
        });
    }

    let examples_dir = root.join("examples");
    if examples_dir.is_dir() {
        let mut files = Vec::new();
        for entry in read_dir(&examples_dir)? {
            if entry.is_file() && has_kont_extension(&entry) {
                files.push(entry);
            }
        }
        files.sort();
        for file in files {
            programs.push(Program {
                rel: relative(root, &file)?,
                example: true,
                slow_path: true,
            });
        }
    }
    Ok(programs)
}

/// Collects the `.kont` files under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    for entry in read_dir(dir)? {
        if entry.is_dir() {
            walk(&entry, out)?;
        } else if has_kont_extension(&entry) {
            out.push(entry);
        }
    }
    Ok(())
}

/// The entries of `dir` (files and directories), in no particular order.
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        paths.push(entry.path());
    }
    Ok(paths)
}

/// Whether `path` has the `.kont` extension.
fn has_kont_extension(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "kont")
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> Result<String, String> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| format!("{} is not under {}", path.display(), root.display()))?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    match parts {
        Some(parts) => Ok(parts.join("/")),
        None => Err(format!("{} is not a UTF-8 path", rel.display())),
    }
}

/// The libtest trial for one run of `program`, on `paths`.
fn program_trial(root: &Path, program: Program, paths: Paths) -> Trial {
    let name = format!(
        "{}{}{}",
        program.rel,
        if paths.slow { SLOW_PATH_SUFFIX } else { "" },
        if paths.generic { GENERIC_SUFFIX } else { "" }
    );
    let root = root.to_path_buf();
    Trial::test(name, move || {
        run_program(&root, &program, paths).map_err(Failed::from)
    })
}

/// Reads `program`'s expectations, runs it once on `paths` and checks the outcome.
fn run_program(root: &Path, program: &Program, paths: Paths) -> Result<(), String> {
    let path = root.join(&program.rel);
    let source = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", program.rel))?;
    let spec = parse_spec(&String::from_utf8_lossy(&source));

    let out_path = path.with_extension("out");
    let out_file = if out_path.is_file() {
        Some(fs::read(&out_path).map_err(|e| format!("cannot read {}: {e}", out_path.display()))?)
    } else {
        None
    };

    let in_path = path.with_extension("in");
    let stdin = if in_path.is_file() {
        Some(fs::read(&in_path).map_err(|e| format!("cannot read {}: {e}", in_path.display()))?)
    } else {
        None
    };

    let expected = if program.example {
        let trace_path = path.with_extension("trace");
        let trace_file = if trace_path.is_file() {
            let text = fs::read_to_string(&trace_path)
                .map_err(|e| format!("cannot read {}: {e}", trace_path.display()))?;
            Some(text)
        } else {
            None
        };
        example_expectations(&spec, out_file, trace_file).map_err(|e| {
            format!(
                "{e} (expected stdout of an example goes in {})",
                out_name(&program.rel)
            )
        })?
    } else {
        expectations(spec, out_file)?
    };

    let expected = expected.on(paths);
    let outcome = run_kont(root, &program.rel, &expected, stdin, paths)?;
    let command = format!(
        "{}{}kont {}{}{}{}",
        if paths.slow {
            format!("{FAST_RESUME_VAR}=0 ")
        } else {
            String::new()
        },
        if paths.generic {
            format!("{GENERIC_VAR}=1 ")
        } else {
            String::new()
        },
        expected
            .flags
            .iter()
            .map(|f| format!("{f} "))
            .collect::<String>(),
        program.rel,
        expected
            .args
            .iter()
            .map(|a| format!(" {a}"))
            .collect::<String>(),
        if in_path.is_file() {
            format!(" < {}", sibling_name(&program.rel, "in"))
        } else {
            String::new()
        }
    );
    check(&expected, &outcome).map_err(|report| format!("$ {command}\n{report}"))
}

/// The expected-output file of the program `rel`: its `.kont` replaced by `.out`.
fn out_name(rel: &str) -> String {
    sibling_name(rel, "out")
}

/// The sibling file of the program `rel` with extension `ext`: `.kont` replaced by `.ext`.
fn sibling_name(rel: &str, ext: &str) -> String {
    match rel.strip_suffix(".kont") {
        Some(stem) => format!("{stem}.{ext}"),
        None => format!("{rel}.{ext}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Expectations

/// The directives found in a program's comments.
#[derive(Debug, Default, PartialEq)]
struct Spec {
    /// `// expect: TEXT` lines, in order.
    stdout: Vec<String>,
    /// `// expect runtime error:` / `// expect compile error:` / `// expect exit:`
    /// directives, in order.
    errors: Vec<ExpectedExit>,
    /// `// expect stderr: TEXT` lines.
    stderr: Vec<String>,
    /// `// expect stderr ends: TEXT` lines, in order.
    stderr_end: Vec<String>,
    /// `// expect warning: MESSAGE` lines, in order.
    warnings: Vec<String>,
    /// The words of every `// args:` line.
    args: Vec<String>,
    /// The words of every `// flags:` line.
    flags: Vec<String>,
    /// `// expect trace: TEXT` lines, in order.
    trace: Vec<String>,
    /// `// expect slow trace: TEXT` lines, in order.
    slow_trace: Vec<String>,
    /// Comments that look like directives but are not (`line N: …`).
    malformed: Vec<String>,
}

/// How a program must end.
#[derive(Clone, Debug, PartialEq)]
enum ExpectedExit {
    /// Exit status 0.
    Success,
    /// Exit status 1 and `error: MESSAGE` on stderr.
    RuntimeError(String),
    /// Exit status 2 and `error: MESSAGE` on stderr.
    CompileError(String),
    /// This exit status (`// expect exit: N`).
    Status(i32),
}

impl ExpectedExit {
    /// The exit status this expectation requires.
    fn code(&self) -> i32 {
        match self {
            ExpectedExit::Success => 0,
            ExpectedExit::RuntimeError(_) => 1,
            ExpectedExit::CompileError(_) => 2,
            ExpectedExit::Status(code) => *code,
        }
    }
}

/// Everything one run is checked against.
#[derive(Debug, PartialEq)]
struct Expected {
    /// The exact expected stdout.
    stdout: Vec<u8>,
    /// The expected exit.
    exit: ExpectedExit,
    /// Texts that stderr must contain.
    stderr: Vec<String>,
    /// The exact last lines of stderr, if given.
    stderr_end: Option<String>,
    /// The messages of the warnings kont must print before running the program, in order
    /// (no others).
    warnings: Vec<String>,
    /// Extra command-line arguments.
    args: Vec<String>,
    /// Options of kont before the program's path.
    flags: Vec<String>,
    /// The exact expected trace, which stderr begins with.
    trace: Option<String>,
    /// The trace expected instead on the slow path, if it differs.
    slow_trace: Option<String>,
}

impl Expected {
    /// The expectations of a run on `paths`: on the slow path, the slow trace if there is
    /// one.
    fn on(mut self, paths: Paths) -> Expected {
        if paths.slow && self.slow_trace.is_some() {
            self.trace = self.slow_trace.take();
        }
        self
    }
}

/// The directives, longest first where one is a prefix of another.
const DIRECTIVES: [&str; 11] = [
    "// expect runtime error:",
    "// expect compile error:",
    "// expect stderr ends:",
    "// expect slow trace:",
    "// expect stderr:",
    "// expect warning:",
    "// expect trace:",
    "// expect exit:",
    "// expect:",
    "// flags:",
    "// args:",
];

/// Extracts the directives from a program's text.
fn parse_spec(source: &str) -> Spec {
    let mut spec = Spec::default();
    for (index, line) in source.lines().enumerate() {
        let line_no = index + 1;
        let Some(start) = find_directive_start(line) else {
            continue;
        };
        let comment = &line[start..];
        let Some(directive) = DIRECTIVES.iter().find(|d| comment.starts_with(**d)) else {
            let shown: String = comment.chars().take(40).collect();
            spec.malformed
                .push(format!("line {line_no}: unknown directive `{shown}`"));
            continue;
        };
        let rest = &comment[directive.len()..];
        // One space after the colon separates the directive from its text; the text itself
        // is kept verbatim (minus a `\r` from CRLF files).
        let text = rest
            .strip_prefix(' ')
            .unwrap_or(rest)
            .trim_end_matches('\r')
            .to_string();
        match *directive {
            "// expect:" => spec.stdout.push(text),
            "// expect stderr:" => {
                if text.is_empty() {
                    spec.malformed
                        .push(format!("line {line_no}: empty `// expect stderr:`"));
                } else {
                    spec.stderr.push(text);
                }
            }
            "// expect stderr ends:" => spec.stderr_end.push(text),
            "// expect warning:" => {
                if text.is_empty() {
                    spec.malformed
                        .push(format!("line {line_no}: empty `// expect warning:`"));
                } else {
                    spec.warnings.push(text);
                }
            }
            "// args:" => spec
                .args
                .extend(text.split_whitespace().map(str::to_string)),
            "// flags:" => spec
                .flags
                .extend(text.split_whitespace().map(str::to_string)),
            "// expect trace:" => spec.trace.push(text),
            "// expect slow trace:" => spec.slow_trace.push(text),
            "// expect exit:" => match text.trim().parse::<u8>() {
                Ok(code) => spec.errors.push(ExpectedExit::Status(i32::from(code))),
                Err(_) => spec.malformed.push(format!(
                    "line {line_no}: `// expect exit:` needs a status from 0 to 255"
                )),
            },
            error => {
                if text.trim().is_empty() {
                    spec.malformed.push(format!(
                        "line {line_no}: error expectation without a message"
                    ));
                } else if error == "// expect runtime error:" {
                    spec.errors.push(ExpectedExit::RuntimeError(text));
                } else {
                    spec.errors.push(ExpectedExit::CompileError(text));
                }
            }
        }
    }
    spec
}

/// Where a directive-like comment starts in `line`: `// args:`, `// flags:`, or `// expect` followed by
/// lower-case words and a colon (so that `// expect error:` and `// expected:` are caught as
/// typos, while prose such as `// the expected value` is not).
fn find_directive_start(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = line[from..].find("//") {
        let start = from + offset;
        let comment = &line[start..];
        if comment.starts_with("// args:") || comment.starts_with("// flags:") {
            return Some(start);
        }
        let words_then_colon = comment
            .strip_prefix("// expect")
            .and_then(|after| after.find(':').map(|colon| &after[..colon]))
            .is_some_and(|words| words.chars().all(|c| c.is_ascii_lowercase() || c == ' '));
        if words_then_colon {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

/// Turns the directives of a test program (and its `.out`, if any) into expectations.
fn expectations(spec: Spec, out_file: Option<Vec<u8>>) -> Result<Expected, String> {
    if !spec.malformed.is_empty() {
        return Err(format!(
            "malformed expectations:\n  {}",
            spec.malformed.join("\n  ")
        ));
    }
    if spec.errors.len() > 1 {
        return Err(
            "more than one `// expect … error:` or `// expect exit:` directive".to_string(),
        );
    }
    if !spec.slow_trace.is_empty() && spec.trace.is_empty() {
        return Err("`// expect slow trace:` lines need `// expect trace:` lines too".to_string());
    }
    if !spec.trace.is_empty() && !spec.flags.iter().any(|f| f.starts_with("--trace")) {
        return Err(
            "`// expect trace:` needs `// flags: --trace` (or `--trace=stacks`)".to_string(),
        );
    }
    if spec.stdout.is_empty()
        && spec.errors.is_empty()
        && spec.stderr.is_empty()
        && spec.trace.is_empty()
        && spec.warnings.is_empty()
        && out_file.is_none()
    {
        return Err(
            "no expectations: add `// expect:` comments (or a .out file) so that \
                    this test cannot pass by accident"
                .to_string(),
        );
    }
    let stdout = match out_file {
        Some(bytes) => {
            if !spec.stdout.is_empty() {
                return Err(
                    "both `// expect:` comments and a .out file give the expected \
                            stdout; keep one"
                        .to_string(),
                );
            }
            bytes
        }
        None => spec
            .stdout
            .iter()
            .flat_map(|line| format!("{line}\n").into_bytes())
            .collect(),
    };
    let exit = spec
        .errors
        .into_iter()
        .next()
        .unwrap_or(ExpectedExit::Success);
    let lines = |lines: Vec<String>| {
        (!lines.is_empty()).then(|| lines.iter().map(|l| format!("{l}\n")).collect())
    };
    Ok(Expected {
        stdout,
        exit,
        stderr: spec.stderr,
        stderr_end: lines(spec.stderr_end),
        warnings: spec.warnings,
        args: spec.args,
        flags: spec.flags,
        trace: lines(spec.trace),
        slow_trace: lines(spec.slow_trace),
    })
}

/// The expectations of an example: its `.out` file, exit status 0, and, if it has a
/// `.trace` file, that text trace (`kont --trace`) on stderr.
fn example_expectations(
    spec: &Spec,
    out_file: Option<Vec<u8>>,
    trace_file: Option<String>,
) -> Result<Expected, String> {
    let flags = match trace_file {
        Some(_) => vec!["--trace".to_string()],
        None => Vec::new(),
    };
    match out_file {
        Some(stdout) => Ok(Expected {
            stdout,
            exit: ExpectedExit::Success,
            stderr: Vec::new(),
            stderr_end: None,
            warnings: Vec::new(),
            args: spec.args.clone(),
            flags,
            trace: trace_file,
            slow_trace: None,
        }),
        None => Err("missing .out file".to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Running

/// Runs `kont FLAGS… REL ARGS…` in `root` (the flags and arguments `expected` gives), on
/// `paths`, with `stdin` piped to it (then closed) if given.
fn run_kont(
    root: &Path,
    rel: &str,
    expected: &Expected,
    stdin: Option<Vec<u8>>,
    paths: Paths,
) -> Result<Outcome, String> {
    let mut command = kont_command(paths);
    command
        .current_dir(root)
        .args(&expected.flags)
        .arg(rel)
        .args(&expected.args);
    run_command(command, stdin)
}

// ---------------------------------------------------------------------------------------------
// Checking

/// Compares an outcome with the expectations; on a mismatch, returns a report of every
/// problem found, the stdout diff, the stderr and the exit status.
fn check(expected: &Expected, outcome: &Outcome) -> Result<(), String> {
    let mut problems = Vec::new();
    let stderr = String::from_utf8_lossy(&outcome.stderr);

    match outcome.status {
        None => problems.push(format!(
            "timed out after {} s (killed): a hang",
            TIMEOUT.as_secs()
        )),
        Some(Status::Signal(signal)) => problems.push(match signal {
            Some(signal) => format!("crashed: killed by signal {signal}"),
            None => "crashed: ended without an exit status".to_string(),
        }),
        Some(Status::Code(code)) if code != expected.exit.code() => problems.push(format!(
            "exit status {code}, expected {} ({})",
            expected.exit.code(),
            match &expected.exit {
                ExpectedExit::Success => "success",
                ExpectedExit::RuntimeError(_) => "runtime error",
                ExpectedExit::CompileError(_) => "compile error",
                ExpectedExit::Status(_) => "`// expect exit:`",
            }
        )),
        Some(Status::Code(_)) => {}
    }

    if outcome.truncated {
        problems.push(format!("more than {} MiB of output", OUTPUT_CAP >> 20));
    }
    if stderr.contains("panicked at") {
        problems.push("stderr shows a Rust panic".to_string());
    }

    let stdout_differs = outcome.stdout != expected.stdout;
    if stdout_differs {
        let mut problem = "stdout differs".to_string();
        if std::str::from_utf8(&outcome.stdout).is_err() {
            problem.push_str(" (and is not valid UTF-8)");
        }
        problems.push(problem);
    }

    if let ExpectedExit::RuntimeError(message) | ExpectedExit::CompileError(message) =
        &expected.exit
    {
        let wanted = format!("error: {message}");
        if !stderr.contains(&wanted) {
            problems.push(format!("stderr does not contain `{wanted}`"));
        }
    }
    for text in &expected.stderr {
        if !stderr.contains(text.as_str()) {
            problems.push(format!("stderr does not contain `{text}`"));
        }
    }
    if let Some(end) = &expected.stderr_end
        && stderr != *end
        && !stderr.ends_with(&format!("\n{end}"))
    {
        problems.push("stderr does not end with the `// expect stderr ends:` lines".to_string());
    }
    let warnings = compiler_warnings(&stderr);
    if warnings != expected.warnings {
        problems.push(format!(
            "kont warned {warnings:?}, expected (`// expect warning:`) {:?}",
            expected.warnings
        ));
    }
    let trace_differs = expected.trace.as_ref().and_then(|trace| {
        match after_warnings(&stderr).strip_prefix(trace.as_str()) {
            None => Some("stderr does not begin with the expected trace"),
            Some(rest) if expected.exit == ExpectedExit::Success && !rest.is_empty() => {
                Some("stderr has more than the expected trace")
            }
            Some(_) => None,
        }
    });
    if let Some(problem) = trace_differs {
        problems.push(problem.to_string());
    }

    if problems.is_empty() {
        return Ok(());
    }

    let mut report = String::new();
    for problem in &problems {
        let _ = writeln!(report, "- {problem}");
    }
    let status = match outcome.status {
        None => "none (killed after the timeout)".to_string(),
        Some(Status::Code(code)) => code.to_string(),
        Some(Status::Signal(Some(signal))) => format!("killed by signal {signal}"),
        Some(Status::Signal(None)) => "unknown".to_string(),
    };
    let _ = writeln!(
        report,
        "exit status: {status} (after {:.2} s)",
        outcome.elapsed.as_secs_f64()
    );
    if stdout_differs {
        let _ = writeln!(report, "stdout (- expected, + actual):");
        report.push_str(&line_diff(
            &String::from_utf8_lossy(&expected.stdout),
            &String::from_utf8_lossy(&outcome.stdout),
        ));
    } else {
        let _ = writeln!(
            report,
            "stdout: as expected ({} lines)",
            count_lines(&outcome.stdout)
        );
    }
    if let (Some(trace), Some(_)) = (&expected.trace, trace_differs) {
        let _ = writeln!(report, "trace (- expected, + actual stderr):");
        report.push_str(&line_diff(trace, &stderr));
    }
    if stderr.is_empty() {
        let _ = writeln!(report, "stderr: (empty)");
    } else {
        let _ = writeln!(report, "stderr:");
        for line in truncate_chars(&stderr, STDERR_SHOWN).lines() {
            let _ = writeln!(report, "  | {line}");
        }
    }
    Err(report)
}

/// The messages of the warnings kont printed in `stderr`, in order: each a line `warning:
/// MESSAGE` followed by its location line (`┌─ FILE:LINE:COLUMN`), which tells them from a
/// program's own output.
fn compiler_warnings(stderr: &str) -> Vec<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    lines
        .windows(2)
        .filter(|pair| pair[1].trim_start().starts_with("┌─"))
        .filter_map(|pair| pair[0].strip_prefix("warning: "))
        .map(str::to_string)
        .collect()
}

/// How many lines `bytes` holds (its newlines).
fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}
