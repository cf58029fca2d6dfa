//! The docs runner: every kont program written in the documentation is run, and what it
//! prints is checked against the output printed beside it in the text, so that the docs
//! cannot drift from what kont does.
//!
//! It reads the Markdown files of [`DOCS`] (a directory stands for every `*.md` under it)
//! and looks only at their fenced code blocks. Each block's info string (the word after the
//! opening fence) says what it is:
//!
//! | block | meaning |
//! |---|---|
//! | ```` ```kont ```` | a complete program, run (as `main.kont`) |
//! | ```` ```kont NAME.kont ```` | the same, run as `NAME.kont` (the name its error locations and traces show) |
//! | ```` ```kont fragment ```` | kont code that is not a whole program: not run |
//! | ```` ```output ```` | the exact standard output of the program above |
//! | ```` ```stdin ```` | the standard input given to the program above (else it reads an empty input) |
//! | ```` ```error ```` | the program above fails: its exact standard error, and exit status 1 (`error status=N`: status N) |
//! | ```` ```stderr ```` | the exact standard error of the program above, which succeeds (warnings, `eprintln`) |
//! | ```` ```trace ```` | the exact standard error of `kont --trace NAME.kont` |
//! | ```` ```trace stacks ```` | the same for `kont --trace=stacks`, with the fast path on |
//! | ```` ```trace stacks slow ```` | the same with the fast path off (`KONT_FAST_RESUME=0`) |
//! | any other language (```` ```sh ````, ```` ```text ````, ```` ```ocaml ````) | shown, not run |
//! | no language (a bare ```` ``` ````) | an error: say what the block is |
//!
//! - The blocks `output`, `stdin`, `error`, `stderr` and `trace` belong to the nearest
//!   ```` ```kont ```` block above them; prose and blocks in other languages may come
//!   between (a ```` ```sh ```` block with the command, say). Each appears at most once for a
//!   program (`trace` once per kind), and `error` and `stderr` exclude each other.
//! - A program's standard output must equal its `output` block, or be empty if it has none;
//!   its standard error must equal its `error` or `stderr` block, or be empty (so a program
//!   in the docs has no warning it does not show). Each block's lines end with a newline.
//! - A runnable program with no `output`, `error`, `stderr` or `trace` block is an error, and
//!   so is one of those blocks with no runnable program above it: skipping a program is a
//!   choice written in the text (`kont fragment`), never an accident.
//! - Every program runs three times: as is, with the fast path off and on the generic path
//!   (docs/testing.md), with the same expectations. Each `trace` block adds runs with its
//!   flag (on the paths where that trace holds: a `trace stacks` block pins the fast path's
//!   switches, `trace stacks slow` the slow path's): their standard error must be the trace
//!   followed by the `error` block, if any, and their standard output the same as untraced.
//! - Each run is one trial, named `FILE: block N, line L` (the `kont` block's number among
//!   the file's fenced blocks, and the line of its opening fence), then the flag and the
//!   path. A failure shows the command, each problem with the line of the block it concerns,
//!   and a line diff of expected (`-`) and actual (`+`) text. A file whose blocks break these
//!   rules is one failing trial, `FILE: blocks`, that lists every problem with its line.
//!
//! The program is written to a fresh directory under the test's temporary directory and run
//! there, with its name as the argument, so locations read `NAME.kont:LINE:COLUMN`.
//!
//! `cargo test --test docs` runs everything; `cargo test --test docs -- 04_generators` the
//! programs of one file. The self-tests of the runner are `docs self-test: …` trials
//! (`tests/docs_self_tests/mod.rs`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};

mod common;
mod docs_self_tests;
#[path = "common/run.rs"]
mod run;
use common::{FAST_RESUME_VAR, GENERIC_VAR, Paths, after_warnings, kont_command};
use run::{OUTPUT_CAP, Outcome, Status, TIMEOUT, line_diff, run_command, truncate_chars};

/// The Markdown files whose programs are run, relative to the crate root; a directory stands
/// for every `*.md` file under it.
const DOCS: [&str; 2] = ["README.md", "docs"];

/// The name a program runs as when its `kont` block gives none.
const DEFAULT_NAME: &str = "main.kont";

/// At most this many characters of an unexpected stderr are shown in a failure report.
const STDERR_SHOWN: usize = 6000;

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut trials = Vec::new();
    match markdown_files(root) {
        Ok(files) => {
            for file in files {
                trials.extend(file_trials(root, &file));
            }
        }
        Err(message) => trials.push(Trial::test("discover docs", move || {
            Err(Failed::from(message))
        })),
    }
    trials.extend(docs_self_tests::self_tests());
    libtest_mimic::run(&args, trials).exit();
}

// ---------------------------------------------------------------------------------------------
// Discovery

/// Every Markdown file that [`DOCS`] names, relative to `root` with `/` separators, sorted.
fn markdown_files(root: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    for doc in DOCS {
        let path = root.join(doc);
        if path.is_dir() {
            walk(&path, &mut files)?;
        } else if path.is_file() {
            files.push(path);
        } else {
            return Err(format!("{doc} (in DOCS, tests/docs.rs) does not exist"));
        }
    }
    let mut rels = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .map_err(|_| format!("{} is not under the crate root", file.display()))?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        match parts {
            Some(parts) => rels.push(parts.join("/")),
            None => return Err(format!("{} is not a UTF-8 path", rel.display())),
        }
    }
    rels.sort();
    rels.dedup();
    Ok(rels)
}

/// Collects the `*.md` files under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// The trials of one Markdown file: one per run of each of its programs, or one failing
/// trial if its blocks break the conventions.
fn file_trials(root: &Path, rel: &str) -> Vec<Trial> {
    let text = match fs::read_to_string(root.join(rel)) {
        Ok(text) => text,
        Err(e) => {
            let message = format!("cannot read {rel}: {e}");
            return vec![Trial::test(format!("{rel}: blocks"), move || {
                Err(Failed::from(message))
            })];
        }
    };
    match programs(&blocks(&text)) {
        Ok(programs) => programs
            .into_iter()
            .flat_map(|program| {
                let program = Arc::new(program);
                runs(&program)
                    .into_iter()
                    .map(|run| {
                        let program = Arc::clone(&program);
                        let name = format!("{rel}: {}", run.name(&program));
                        let rel = rel.to_string();
                        Trial::test(name, move || {
                            run_program(&rel, &program, &run).map_err(Failed::from)
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        Err(problems) => {
            let message = format!(
                "{rel}: the blocks break the conventions of tests/docs.rs:\n  {}",
                problems.join("\n  ")
            );
            vec![Trial::test(format!("{rel}: blocks"), move || {
                Err(Failed::from(message))
            })]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the Markdown

/// A fenced code block.
#[derive(Clone, Debug, PartialEq)]
struct Block {
    /// Its number among the file's fenced blocks, from 1.
    number: usize,
    /// The line of its opening fence, from 1.
    line: usize,
    /// Its info string, trimmed (`kont gen.kont`, `output`, ``).
    info: String,
    /// Its lines, each followed by `\n`, with the fence's indentation removed.
    text: String,
}

/// The fenced code blocks of a Markdown text (fences of three or more backticks or tildes,
/// indented by at most three spaces, as CommonMark has them). A block left open runs to the
/// end of the text.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(Block, char, usize, usize)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let fence = rest.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = fence.map_or(0, |c| rest.chars().take_while(|x| *x == c).count());
        match &mut open {
            Some((block, c, length, block_indent)) => {
                if indent <= 3
                    && fence == Some(*c)
                    && run >= *length
                    && rest.trim_end().len() == run
                {
                    blocks.push(block.clone());
                    open = None;
                } else {
                    let strip = indent.min(*block_indent);
                    block.text.push_str(&line[strip..]);
                    block.text.push('\n');
                }
            }
            None if indent <= 3 && run >= 3 => {
                let block = Block {
                    number: blocks.len() + 1,
                    line: index + 1,
                    info: rest[run..].trim().to_string(),
                    text: String::new(),
                };
                open = Some((block, fence.unwrap_or('`'), run, indent));
            }
            None => {}
        }
    }
    if let Some((block, ..)) = open {
        blocks.push(block);
    }
    blocks
}

/// Text shown in the docs, with the line of the block that shows it.
#[derive(Clone, Debug, PartialEq)]
struct Shown {
    /// The line of the block's opening fence.
    line: usize,
    /// The block's text.
    text: String,
}

/// One kind of trace a `trace` block shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TraceKind {
    /// `kont --trace`: the same on every path.
    Events,
    /// `kont --trace=stacks` with the fast path on.
    Stacks,
    /// `kont --trace=stacks` with the fast path off.
    SlowStacks,
}

impl TraceKind {
    /// The option of kont that makes this trace.
    fn flag(self) -> &'static str {
        match self {
            TraceKind::Events => "--trace",
            TraceKind::Stacks | TraceKind::SlowStacks => "--trace=stacks",
        }
    }

    /// The paths this trace holds on.
    fn paths(self) -> Vec<Paths> {
        match self {
            TraceKind::Events => all_paths(),
            TraceKind::Stacks => vec![Paths::default(), GENERIC],
            TraceKind::SlowStacks => vec![SLOW],
        }
    }
}

/// The slow path: the tail-resumptive fast path off.
const SLOW: Paths = Paths {
    slow: true,
    generic: false,
};

/// The generic path: no specialised closures.
const GENERIC: Paths = Paths {
    slow: false,
    generic: true,
};

/// The paths every program runs on.
fn all_paths() -> Vec<Paths> {
    vec![Paths::default(), SLOW, GENERIC]
}

/// A program of the docs and everything its blocks expect of it.
#[derive(Debug, Default, PartialEq)]
struct Program {
    /// The number of its `kont` block among the file's fenced blocks.
    number: usize,
    /// The line of its `kont` block's opening fence.
    line: usize,
    /// The file name it runs as.
    name: String,
    /// Its source.
    source: String,
    /// Its standard input (`stdin` block).
    stdin: Option<Shown>,
    /// Its exact standard output (`output` block).
    stdout: Option<Shown>,
    /// Its exact standard error (`error` or `stderr` block).
    stderr: Option<Shown>,
    /// Its exit status: 0, or that of its `error` block.
    status: i32,
    /// Its traces (`trace` blocks), at most one of each kind.
    traces: Vec<(TraceKind, Shown)>,
}

impl Program {
    /// Whether any block states what the program does.
    fn has_expectations(&self) -> bool {
        self.stdout.is_some() || self.stderr.is_some() || !self.traces.is_empty()
    }
}

/// The programs a file's blocks describe, or every way in which they break the conventions
/// (each starting with the line of the block concerned).
fn programs(blocks: &[Block]) -> Result<Vec<Program>, Vec<String>> {
    let mut programs: Vec<Program> = Vec::new();
    let mut problems = Vec::new();
    // Whether the last `kont` block was a runnable program (the last of `programs`).
    let mut current = false;
    for block in blocks {
        let mut words = block.info.split_whitespace();
        let language = words.next().unwrap_or("");
        let words: Vec<&str> = words.collect();
        let at =
            |problem: String| format!("line {}: block {}: {problem}", block.line, block.number);
        if language == "kont" {
            finish(programs.last(), current, &mut problems);
            match kont_block(block, &words) {
                Ok(Some(program)) => {
                    programs.push(program);
                    current = true;
                }
                Ok(None) => current = false,
                Err(problem) => {
                    problems.push(at(problem));
                    current = false;
                }
            }
        } else if language.is_empty() {
            problems.push(at(
                "a fenced block needs a language: `kont` for a program, \
                `kont fragment` for kont code that is not run, `text` for anything else"
                    .to_string(),
            ));
        } else if EXPECTATIONS.contains(&language) {
            match programs.last_mut().filter(|_| current) {
                Some(program) => {
                    if let Err(problem) = expect(program, block, language, &words) {
                        problems.push(at(problem));
                    }
                }
                None => problems.push(at(format!(
                    "an `{language}` block with no runnable `kont` block above it"
                ))),
            }
        }
    }
    finish(programs.last(), current, &mut problems);
    if problems.is_empty() {
        Ok(programs)
    } else {
        Err(problems)
    }
}

/// The languages of the blocks that state what the program above them does.
const EXPECTATIONS: [&str; 5] = ["output", "stdin", "error", "stderr", "trace"];

/// Notes a problem if the current program (`last`, if `current`) has no expectations.
fn finish(last: Option<&Program>, current: bool, problems: &mut Vec<String>) {
    if let Some(program) = last.filter(|p| current && !p.has_expectations()) {
        problems.push(format!(
            "line {}: block {}: a `kont` program with nothing to check: add an `output` \
             block (or `error`, `stderr`, `trace`), or mark it `kont fragment`",
            program.line, program.number
        ));
    }
}

/// The program of a `kont` block with the words after `kont`, or `None` for a fragment.
fn kont_block(block: &Block, words: &[&str]) -> Result<Option<Program>, String> {
    match words {
        ["fragment"] => Ok(None),
        [] | [_] => {
            let name = words.first().copied().unwrap_or(DEFAULT_NAME);
            let valid = name.len() > ".kont".len()
                && name.ends_with(".kont")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
            if !valid {
                return Err(format!(
                    "`kont {name}`: after `kont` comes `fragment` or a file name `NAME.kont`"
                ));
            }
            Ok(Some(Program {
                number: block.number,
                line: block.line,
                name: name.to_string(),
                source: block.text.clone(),
                ..Program::default()
            }))
        }
        _ => Err(format!(
            "`kont {}`: after `kont` comes `fragment` or one file name",
            words.join(" ")
        )),
    }
}

/// Records in `program` what an expectation block (`language`, with `words`) says.
fn expect(
    program: &mut Program,
    block: &Block,
    language: &str,
    words: &[&str],
) -> Result<(), String> {
    let shown = Shown {
        line: block.line,
        text: block.text.clone(),
    };
    let slot = match (language, words) {
        ("output", []) => &mut program.stdout,
        ("stdin", []) => &mut program.stdin,
        ("stderr", []) if program.status == 0 => &mut program.stderr,
        ("error", []) | ("error", [_]) if program.stderr.is_none() => {
            program.status = match words.first() {
                None => 1,
                Some(word) => word
                    .strip_prefix("status=")
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| *n != 0)
                    .map(i32::from)
                    .ok_or_else(|| {
                        format!("`error {word}`: write `error status=N`, N from 1 to 255")
                    })?,
            };
            &mut program.stderr
        }
        ("error" | "stderr", _) => {
            return Err("a program has at most one `error` or `stderr` block".to_string());
        }
        ("trace", _) => {
            let kind = match words {
                [] => TraceKind::Events,
                ["stacks"] => TraceKind::Stacks,
                ["stacks", "slow"] => TraceKind::SlowStacks,
                _ => {
                    return Err(format!(
                        "`trace {}`: write `trace`, `trace stacks` or `trace stacks slow`",
                        words.join(" ")
                    ));
                }
            };
            if program.traces.iter().any(|(k, _)| *k == kind) {
                return Err(format!("a second `{}` block for one program", block.info));
            }
            program.traces.push((kind, shown));
            return Ok(());
        }
        _ => {
            return Err(format!(
                "`{}`: `{language}` takes no words after it",
                block.info
            ));
        }
    };
    if slot.is_some() {
        return Err(format!("a second `{language}` block for one program"));
    }
    *slot = Some(shown);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running and checking

/// One run of a program: kont's flag, the path, and the trace expected, if any.
#[derive(Clone, Debug)]
struct Run {
    /// The trace this run is checked against, with its kind (its flag).
    trace: Option<(TraceKind, Shown)>,
    /// The path the run takes.
    paths: Paths,
}

impl Run {
    /// The trial's name, after the file's.
    fn name(&self, program: &Program) -> String {
        let mut name = format!("block {}, line {}", program.number, program.line);
        if let Some((kind, _)) = &self.trace {
            let _ = write!(name, " {}", kind.flag());
        }
        if self.paths.slow {
            name.push_str(" [slow path]");
        }
        if self.paths.generic {
            name.push_str(" [generic]");
        }
        name
    }
}

/// The runs of a program: untraced on every path, and each trace on the paths it holds on.
fn runs(program: &Program) -> Vec<Run> {
    let mut runs: Vec<Run> = all_paths()
        .into_iter()
        .map(|paths| Run { trace: None, paths })
        .collect();
    for (kind, shown) in &program.traces {
        for paths in kind.paths() {
            runs.push(Run {
                trace: Some((*kind, shown.clone())),
                paths,
            });
        }
    }
    runs
}

/// Runs `program` of the file `rel` once, as `run` says, and checks the outcome.
fn run_program(rel: &str, program: &Program, run: &Run) -> Result<(), String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("docs")
        .join(format!(
            "{}-{}",
            rel.replace('/', "_"),
            run.name(program).replace([' ', ',', '[', ']', '='], "_")
        ));
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(&program.name);
    fs::write(&path, &program.source)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut command = kont_command(run.paths);
    command.current_dir(&dir);
    if let Some((kind, _)) = &run.trace {
        command.arg(kind.flag());
    }
    command.arg(&program.name);
    let stdin = program.stdin.as_ref().map(|s| s.text.clone().into_bytes());
    let outcome = run_command(command, stdin);
    let _ = fs::remove_dir_all(&dir);
    check(program, run, &outcome?).map_err(|report| {
        format!(
            "{rel}:{}: block {} (`kont {}`)\n$ {}\n{report}",
            program.line,
            program.number,
            program.name,
            command_line(program, run)
        )
    })
}

/// The command line a reader would type for `run` of `program`.
fn command_line(program: &Program, run: &Run) -> String {
    let mut line = String::new();
    if run.paths.slow {
        let _ = write!(line, "{FAST_RESUME_VAR}=0 ");
    }
    if run.paths.generic {
        let _ = write!(line, "{GENERIC_VAR}=1 ");
    }
    line.push_str("kont ");
    if let Some((kind, _)) = &run.trace {
        let _ = write!(line, "{} ", kind.flag());
    }
    line.push_str(&program.name);
    if let Some(stdin) = &program.stdin {
        let _ = write!(line, " < (the `stdin` block at line {})", stdin.line);
    }
    line
}

/// Compares an outcome with what the program's blocks show; on a mismatch, a report of every
/// problem found (with the line of the block concerned), the exit status and the diffs.
fn check(program: &Program, run: &Run, outcome: &Outcome) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut diffs = String::new();
    let stdout = String::from_utf8_lossy(&outcome.stdout);
    let stderr = String::from_utf8_lossy(&outcome.stderr);

    match outcome.status {
        None => problems.push(format!(
            "timed out after {} s (killed): a hang",
            TIMEOUT.as_secs()
        )),
        Some(Status::Signal(signal)) => {
            problems.push(format!("crashed: ended by signal {signal:?}"))
        }
        Some(Status::Code(code)) if code != program.status => problems.push(format!(
            "exit status {code}, expected {}{}",
            program.status,
            match &program.stderr {
                Some(shown) if program.status != 0 =>
                    format!(" (the `error` block at line {})", shown.line),
                _ => String::new(),
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

    let (expected_stdout, stdout_source) = shown_or_empty(&program.stdout, "output");
    if stdout != expected_stdout {
        problems.push(format!("stdout differs from {stdout_source}"));
        let _ = writeln!(diffs, "stdout (- expected, + actual):");
        diffs.push_str(&line_diff(expected_stdout, &stdout));
    }

    let stderr_language = if program.status == 0 {
        "stderr"
    } else {
        "error"
    };
    let (mut expected_stderr, mut stderr_source) = shown_or_empty(&program.stderr, stderr_language);
    let traced;
    if let Some((_, trace)) = &run.trace {
        traced = format!("{}{expected_stderr}", trace.text);
        stderr_source = if program.stderr.is_some() {
            format!(
                "the `trace` block at line {} and then {stderr_source}",
                trace.line
            )
        } else {
            format!("the `trace` block at line {}", trace.line)
        };
        expected_stderr = &traced;
    }
    if stderr != expected_stderr {
        problems.push(format!("stderr differs from {stderr_source}"));
        if after_warnings(&stderr).len() < stderr.len() && !expected_stderr.starts_with("warning: ")
        {
            problems.push(
                "kont warned before running the program: fix the program (docs/diagnostics.md), \
                 or show its warnings in a `stderr` block"
                    .to_string(),
            );
        }
        let _ = writeln!(diffs, "stderr (- expected, + actual):");
        diffs.push_str(&line_diff(
            expected_stderr,
            &truncate_chars(&stderr, STDERR_SHOWN),
        ));
    }

    if problems.is_empty() {
        return Ok(());
    }
    let mut report = String::new();
    for problem in &problems {
        let _ = writeln!(report, "- {problem}");
    }
    let _ = writeln!(
        report,
        "exit status: {} (after {:.2} s)",
        match outcome.status {
            None => "none (killed after the timeout)".to_string(),
            Some(Status::Code(code)) => code.to_string(),
            Some(Status::Signal(signal)) => format!("ended by signal {signal:?}"),
        },
        outcome.elapsed.as_secs_f64()
    );
    report.push_str(&diffs);
    Err(report)
}

/// The text of an expectation block and a description of where it is, or an empty text and
/// the note that no `language` block means none.
fn shown_or_empty<'a>(shown: &'a Option<Shown>, language: &str) -> (&'a str, String) {
    match shown {
        Some(shown) => (
            &shown.text,
            format!("the `{language}` block at line {}", shown.line),
        ),
        None => ("", format!("nothing (no `{language}` block)")),
    }
}
