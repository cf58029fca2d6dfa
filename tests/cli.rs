//! The `kont` command line: running a file with arguments, `-e`, `--help`, `--version`, exit
//! statuses, and the shape of error reports on stderr.
//!
//! Every run has stdin closed (`kont` never needs it to run a script), a time limit, and must
//! never print a Rust panic. The process section checks what happens to the output when the
//! program is stopped by a signal or its output cannot be written.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use wait_timeout::ChildExt;

mod common;
use common::{Paths, after_warnings, kont_command, kont_path, set_up};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A scratch directory for one test, removed when the test ends (also when it fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kont-cli-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to the script `name` and runs it, with no arguments.
    fn run_file(&self, name: &str, contents: impl AsRef<[u8]>) -> Run {
        self.write(name, contents);
        run(self.path(), &[name])
    }

    /// Writes `name` (relative to the directory) and returns its full path.
    fn write(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What one run of `kont` did.
#[derive(Debug)]
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The exit code; fails if the process was killed by a signal.
    fn code(&self) -> i32 {
        match self.status.code() {
            Some(code) => code,
            None => panic!("kont died from a signal: {self:?}"),
        }
    }

    /// Checks a successful run that printed `stdout` and nothing on stderr.
    fn ok(&self, stdout: &str) {
        assert_eq!(self.code(), 0, "{self:#?}");
        assert_eq!(self.stdout, stdout, "{self:#?}");
        assert_eq!(self.stderr, "", "{self:#?}");
    }

    /// Checks a failed run: exit `code`, stderr begins with `error: MESSAGE`.
    fn error(&self, code: i32, message: &str) {
        assert_eq!(self.code(), code, "{self:#?}");
        assert!(
            self.stderr.starts_with(&format!("error: {message}")),
            "expected `error: {message}` on stderr: {self:#?}"
        );
    }
}

fn reader(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn command(dir: &Path, args: &[&OsStr]) -> Command {
    command_on_path(dir, args, false)
}

/// [`command`] with the fast path for tail-resumptive clauses off if `slow_path`.
fn command_on_path(dir: &Path, args: &[&OsStr], slow_path: bool) -> Command {
    let mut cmd = kont_command(Paths {
        slow: slow_path,
        ..Paths::default()
    });
    cmd.args(args).current_dir(dir);
    cmd
}

/// Waits for `child` (at most [`TIMEOUT`]) and collects its output.
fn finish(mut child: Child) -> Run {
    // (A test may have taken stdout already.)
    let out = child.stdout.take().map(reader);
    let err = reader(child.stderr.take().unwrap());
    let status = match child.wait_timeout(TIMEOUT).unwrap() {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kont did not finish in {TIMEOUT:?}");
        }
    };
    let run = Run {
        status,
        stdout: out.map_or(String::new(), |out| out.join().unwrap()),
        stderr: err.join().unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "a Rust panic: {run:#?}");
    assert!(!run.stdout.contains("panicked"), "a Rust panic: {run:#?}");
    run
}

/// Runs `kont ARGS…` in `dir`.
fn run_os(dir: &Path, args: &[&OsStr]) -> Run {
    finish(command(dir, args).spawn().expect("cannot start kont"))
}

/// Runs `kont ARGS…` in `dir`.
fn run(dir: &Path, args: &[&str]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    run_os(dir, &args)
}

/// Runs `kont ARGS…` in `dir` with its address space capped at `gib` GiB (bash's
/// `ulimit -v`), its environment as [`kont_command`] makes it.
fn run_capped(dir: &Path, gib: u64, args: &[&str]) -> Run {
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "ulimit -v \"$0\" && exec \"$@\""])
        .arg((gib << 20).to_string())
        .arg(kont_path())
        .args(args)
        .current_dir(dir);
    set_up(&mut cmd, Paths::default());
    finish(cmd.spawn().expect("cannot start bash"))
}

/// The line of `report` that shows source line `line` (`N │ text`), and the caret line under
/// it; panics if there is none.
fn source_and_caret(report: &str, line: usize) -> (String, String) {
    let lines: Vec<&str> = report.lines().collect();
    let prefix = format!("{line} │ ");
    let i = lines
        .iter()
        .position(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no source line {line} in {report}"));
    let caret = lines
        .get(i + 1)
        .unwrap_or_else(|| panic!("no caret line in {report}"));
    (lines[i].to_string(), caret.to_string())
}

/// The column (0-based, in characters) where `^` starts in `caret`, and where `text` starts in
/// `source`: they must agree.
fn assert_caret_under(source: &str, caret: &str, text: &str) {
    let at = source
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} not in {source:?}"));
    let at = source[..at].chars().count();
    let hat = caret
        .find('^')
        .unwrap_or_else(|| panic!("no caret in {caret:?}"));
    let hat = caret[..hat].chars().count();
    assert_eq!(hat, at, "caret not under {text:?}:\n{source}\n{caret}");
}

// ---------------------------------------------------------------------------------------------
// Running a file, with arguments.

#[test]
fn runs_a_file() {
    let dir = TempDir::new("runs_a_file");
    dir.run_file(
        "hello.kont",
        "effect Yield(value)\n\
         fn gen() { suspend Yield(1); suspend Yield(2) }\n\
         var total = 0;\n\
         handle gen() with { Yield(v), k => { total = total + v; resume k(()) } }\n\
         println(\"total: \" ++ str(total));\n",
    )
    .ok("total: 3\n");
    // A final expression's value is not printed by a script (only the REPL shows values).
    dir.run_file("value.kont", "1 + 1").ok("");
}

#[test]
fn runs_an_empty_file_and_a_file_of_comments() {
    let dir = TempDir::new("empty_file");
    dir.run_file("empty.kont", "").ok("");
    dir.run_file("comments.kont", "// nothing\n/* at\n all */\n")
        .ok("");
}

#[test]
fn runs_a_file_with_crlf_line_endings() {
    let dir = TempDir::new("crlf");
    dir.run_file(
        "crlf.kont",
        "let a = 1;\r\nprintln(a);\r\nprintln(\"b\");\r\n",
    )
    .ok("1\nb\n");
}

#[test]
fn args_gets_the_arguments_after_the_file() {
    let dir = TempDir::new("args");
    dir.run_file("args.kont", "println(args());\n").ok("[]\n");
    run(dir.path(), &["args.kont", "a", "b c", ""]).ok("[\"a\", \"b c\", \"\"]\n");
    // `int` parses them.
    dir.write(
        "sum.kont",
        "var s = 0; for a in args() { s = s + int(a) }; println(s);",
    );
    run(dir.path(), &["sum.kont", "1", "2", "39"]).ok("42\n");
}

#[test]
fn args_starting_with_a_dash_go_to_the_script() {
    let dir = TempDir::new("args_dash");
    dir.write("args.kont", "println(args());\n");
    run(dir.path(), &["args.kont", "-x", "--flag", "-5"]).ok("[\"-x\", \"--flag\", \"-5\"]\n");
    // Even kont's own options, after the file, belong to the script.
    for opt in ["--help", "-h", "--version", "-V", "-e", "--eval", "--"] {
        run(dir.path(), &["args.kont", opt]).ok(&format!("[\"{opt}\"]\n"));
    }
    run(dir.path(), &["args.kont", "-e", "1/0", "x"]).ok("[\"-e\", \"1/0\", \"x\"]\n");
    run(dir.path(), &["args.kont", "a", "--", "-b"]).ok("[\"a\", \"--\", \"-b\"]\n");
    // `--` before the file ends kont's options: a file whose name starts with `-`.
    dir.write("-dash.kont", "println(args());\n");
    run(dir.path(), &["--", "-dash.kont", "-x"]).ok("[\"-x\"]\n");
}

#[test]
fn non_utf8_file_names_and_arguments() {
    let dir = TempDir::new("non_utf8_names");
    let name = OsString::from_vec(b"caf\xe9.kont".to_vec());
    dir.write(&name, "println(len(args()));\n");
    let arg = OsStr::from_bytes(b"\xff");
    run_os(dir.path(), &[&name, arg]).ok("1\n");
}

// ---------------------------------------------------------------------------------------------
// -e SOURCE.

#[test]
fn eval_runs_its_source() {
    let dir = TempDir::new("eval");
    run(dir.path(), &["-e", "println(6 * 7)"]).ok("42\n");
    run(dir.path(), &["--eval", "println(\"long\")"]).ok("long\n");
    run(dir.path(), &["--eval=println(1)"]).ok("1\n");
    // A source that begins with `-` is the source, not an option.
    run(dir.path(), &["-e", "-1 + 2;\nprintln(-3)"]).ok("-3\n");
    run(dir.path(), &["-e", ""]).ok("");
    // Several lines.
    run(dir.path(), &["-e", "let a = 2;\nprintln(a * a)"]).ok("4\n");
}

#[test]
fn eval_passes_the_positional_arguments_to_args() {
    let dir = TempDir::new("eval_args");
    run(dir.path(), &["-e", "println(args())"]).ok("[]\n");
    run(dir.path(), &["-e", "println(args())", "a", "b"]).ok("[\"a\", \"b\"]\n");
    // After the first argument everything is an argument; before it, `--` escapes.
    run(dir.path(), &["-e", "println(args())", "a", "-b", "--help"])
        .ok("[\"a\", \"-b\", \"--help\"]\n");
    run(dir.path(), &["-e", "println(args())", "--", "-x", "--help"]).ok("[\"-x\", \"--help\"]\n");
    // kont's options come before the file: here `a` is the file and `-e …` its arguments.
    run(dir.path(), &["a", "-e", "println(args())"]).error(2, "cannot read a");
}

#[test]
fn eval_is_named_eval_in_errors() {
    let dir = TempDir::new("eval_errors");
    let r = run(dir.path(), &["-e", "println(\"out\");\n1 / 0"]);
    r.error(1, "division by zero");
    assert_eq!(r.stdout, "out\n");
    assert!(r.stderr.contains("<eval>:2:1"), "{r:#?}");
    let r = run(dir.path(), &["-e", "let = 1"]);
    r.error(2, "unexpected token `=`");
    assert!(r.stderr.contains("<eval>:1:5"), "{r:#?}");
    let r = run(dir.path(), &["-e", "nope"]);
    r.error(2, "unknown name nope");
    assert!(r.stderr.contains("<eval>:1:1"), "{r:#?}");
}

#[test]
fn eval_without_source_is_a_usage_error() {
    let dir = TempDir::new("eval_missing");
    let r = run(dir.path(), &["-e"]);
    assert_eq!(r.code(), 2, "{r:#?}");
    assert!(r.stderr.starts_with("error:"), "{r:#?}");
    assert_eq!(r.stdout, "");
}

// ---------------------------------------------------------------------------------------------
// --help, --version, usage errors.

#[test]
fn help() {
    let dir = TempDir::new("help");
    for flag in ["--help", "-h"] {
        let r = run(dir.path(), &[flag]);
        assert_eq!(r.code(), 0, "{r:#?}");
        assert_eq!(r.stderr, "", "{r:#?}");
        for needle in [
            "Usage: kont",
            "FILE",
            "ARGS",
            "-e",
            "--eval",
            "--help",
            "--version",
            "--deny-warnings",
        ] {
            assert!(
                r.stdout.contains(needle),
                "{needle} missing from {flag}: {r:#?}"
            );
        }
    }
}

#[test]
fn version() {
    let dir = TempDir::new("version");
    for flag in ["--version", "-V"] {
        run(dir.path(), &[flag]).ok(&format!("kont {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn unknown_option_is_a_usage_error() {
    let dir = TempDir::new("unknown_option");
    for opt in ["--bogus", "-x"] {
        let r = run(dir.path(), &[opt]);
        assert_eq!(r.code(), 2, "{r:#?}");
        assert!(r.stderr.starts_with("error:"), "{r:#?}");
        assert!(r.stderr.contains(opt), "{r:#?}");
        assert_eq!(r.stdout, "", "{r:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Exit statuses and error reports.

#[test]
fn runtime_error_exits_1_with_a_located_report_and_a_backtrace() {
    let dir = TempDir::new("runtime_error");
    let r = dir.run_file(
        "divide.kont",
        "fn divide(a, b) {\n  a / b\n}\nprintln(\"start\");\ndivide(1, 0);\nprintln(\"never\");\n",
    );
    r.error(1, "division by zero");
    // What ran before the error is on stdout, and only there.
    assert_eq!(r.stdout, "start\n", "{r:#?}");
    assert!(r.stderr.contains("divide.kont:2:3"), "{r:#?}");
    let (source, caret) = source_and_caret(&r.stderr, 2);
    assert!(source.ends_with("  a / b"), "{source}");
    assert_caret_under(&source, &caret, "a / b");
    assert!(caret.contains("^^^^^"), "{caret}");
    assert!(r.stderr.contains("backtrace"), "{r:#?}");
    assert!(r.stderr.contains("at divide (divide.kont:2:3)"), "{r:#?}");
    assert!(r.stderr.contains("at <main> (divide.kont:5:1)"), "{r:#?}");
}

#[test]
fn runtime_errors_of_every_kind_exit_1() {
    let dir = TempDir::new("runtime_kinds");
    for (source, message) in [
        ("effect Boom()\nsuspend Boom()", "unhandled effect Boom"),
        (
            "effect A()\nhandle suspend A() with { A(), k => { resume k(1); resume k(2) } }",
            "continuation already resumed",
        ),
        ("fn f(n) { 1 + f(n + 1) }\nf(0)", "stack overflow"),
        (
            "effect E()\nfn f(n) { 1 + f(n + 1) }\nhandle f(0) with { E(), k => resume k(()) }",
            "stack overflow",
        ),
        ("9223372036854775807 + 1", "integer overflow"),
        (
            "fn f(a, _b) { a }\nf(1)",
            "wrong number of arguments: f expects 2, got 1",
        ),
        ("match 1 { 2 => 0 }", "no pattern matched"),
        ("array(1, 0)[3]", "index out of range"),
        ("1(2)", "not a function"),
        ("assert(false)", "assertion failed"),
    ] {
        let r = run(dir.path(), &["-e", source]);
        r.error(1, message);
        assert!(r.stderr.contains("<eval>:"), "{r:#?}");
    }
}

#[test]
fn parse_error_exits_2_with_a_located_report() {
    let dir = TempDir::new("parse_error");
    let r = dir.run_file("bad.kont", "let a = 1;\nlet b = (a + ;\n");
    r.error(2, "unexpected token");
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("bad.kont:2:14"), "{r:#?}");
    let (source, caret) = source_and_caret(&r.stderr, 2);
    assert!(source.ends_with("let b = (a + ;"), "{source}");
    assert_caret_under(&source, &caret, ";");
    // An unfinished program (end of input) is a parse error too.
    let r = dir.run_file("open.kont", "fn f(x) {\n  x\n");
    assert_eq!(r.code(), 2, "{r:#?}");
    assert!(r.stderr.starts_with("error: "), "{r:#?}");
    assert!(r.stderr.contains("open.kont:"), "{r:#?}");
}

#[test]
fn compile_error_exits_2_before_running_anything() {
    let dir = TempDir::new("compile_error");
    let r = dir.run_file(
        "unknown.kont",
        "println(\"never printed\");\nlet a = 1;\nlet b = c + a;\n",
    );
    r.error(2, "unknown name c");
    assert_eq!(r.stdout, "", "a compile error runs nothing: {r:#?}");
    assert!(r.stderr.contains("unknown.kont:3:9"), "{r:#?}");
    let (source, caret) = source_and_caret(&r.stderr, 3);
    assert_caret_under(&source, &caret, "c + a");
    for (source, message) in [
        ("let k = 1;\nk = 2;", "cannot assign to immutable k"),
        ("return 1", "return outside a function"),
        ("suspend Nope()", "unknown effect Nope"),
    ] {
        run(dir.path(), &["-e", source]).error(2, message);
    }
}

#[test]
fn warnings_go_to_stderr_before_the_program_runs_which_exits_as_usual() {
    let dir = TempDir::new("warnings");
    let source = "fn f(x, unused) { x }\nprintln(f(1, 2));\n";
    let r = dir.run_file("warn.kont", source);
    assert_eq!((r.code(), r.stdout.as_str()), (0, "1\n"), "{r:#?}");
    assert!(
        r.stderr.starts_with("warning: unused parameter `unused`\n"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("warn.kont:1:9"), "{r:#?}");
    let (line, caret) = source_and_caret(&r.stderr, 1);
    assert_caret_under(&line, &caret, "unused");
    assert!(
        r.stderr
            .contains("= hint: if that is intended, name it `_unused`"),
        "{r:#?}"
    );
    // A runtime error keeps its status.
    let r = run(dir.path(), &["-e", "fn g(y) { 1 / 0 } g(1)"]);
    assert_eq!(r.code(), 1, "{r:#?}");
    assert!(
        r.stderr.starts_with("warning: unused parameter `y`"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("error: division by zero"), "{r:#?}");
}

#[test]
fn deny_warnings_makes_them_errors_and_runs_nothing() {
    let dir = TempDir::new("deny_warnings");
    let source = "println(\"never printed\");\nfn f(x) { let y = 2; 1 }\n";
    let path = dir.write("warn.kont", source);
    let r = run(dir.path(), &["--deny-warnings", path.to_str().unwrap()]);
    r.error(2, "unused parameter `x`");
    assert_eq!(r.stdout, "", "{r:#?}");
    assert!(r.stderr.contains("error: unused variable `y`"), "{r:#?}");
    assert!(!r.stderr.contains("warning:"), "{r:#?}");
    // Without warnings, the flag changes nothing.
    run(dir.path(), &["--deny-warnings", "-e", "println(1)"]).ok("1\n");
    // After the script, it is the script's argument.
    let r = run(dir.path(), &[path.to_str().unwrap(), "--deny-warnings"]);
    assert_eq!(
        (r.code(), r.stdout.as_str()),
        (0, "never printed\n"),
        "{r:#?}"
    );
}

#[test]
fn errors_in_a_subdirectory_are_located_by_the_path_given() {
    let dir = TempDir::new("subdir");
    fs::create_dir(dir.path().join("sub")).unwrap();
    let r = dir.run_file("sub/x.kont", "\n\n  1 / 0;\n");
    r.error(1, "division by zero");
    assert!(r.stderr.contains("sub/x.kont:3:3"), "{r:#?}");
}

#[test]
fn a_missing_file_exits_2() {
    let dir = TempDir::new("missing_file");
    let r = run(dir.path(), &["missing.kont"]);
    r.error(2, "cannot read missing.kont");
    assert_eq!(r.stdout, "");
}

#[test]
fn a_directory_exits_2() {
    let dir = TempDir::new("directory");
    fs::create_dir(dir.path().join("d.kont")).unwrap();
    run(dir.path(), &["d.kont"]).error(2, "cannot read d.kont");
}

#[test]
fn a_non_utf8_file_exits_2() {
    let dir = TempDir::new("non_utf8_file");
    let r = dir.run_file("latin1.kont", b"println(\"caf\xe9\");\n");
    r.error(2, "latin1.kont is not UTF-8");
    assert_eq!(r.stdout, "");
}

#[test]
fn malformed_input_never_panics() {
    let dir = TempDir::new("malformed");
    for source in [
        "\"unterminated",
        "/* unterminated",
        "\"bad \\q escape\"",
        "99999999999999999999",
        "1.",
        "((((((((((",
        "}}}}",
        "let (a, b) = 1;",
        "match 1 { }",
        "\u{0}\u{1}\u{7f}",
        "handle 1 with { return(x) => x, return(y) => y }",
        "effect E(a)\nsuspend E()",
        "\u{feff}println(1)",
    ] {
        // In a file, since an argument cannot hold a NUL.
        let r = dir.run_file("malformed.kont", source);
        assert!(
            matches!(r.code(), 0..=2),
            "unexpected status for {source:?}: {r:#?}"
        );
        if r.code() != 0 {
            assert!(r.stderr.starts_with("error: "), "{source:?}: {r:#?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Process behaviour.

#[test]
fn output_is_complete_when_it_is_large() {
    let dir = TempDir::new("large_output");
    let r = run(dir.path(), &["-e", "for i in 0..100000 { println(i) }"]);
    assert_eq!(r.code(), 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 100_000);
    assert_eq!(lines[99_999], "99999");
}

#[test]
fn a_closed_stdout_ends_the_program() {
    // A reader that goes away (`kont … | head -1`) must not leave kont running or panicking,
    // nor make it report an error about output nobody reads; not even a `Fail` handler that
    // resumes every error keeps it running.
    let printing = "while true { println(\"y\") }";
    let resuming = "handle { while true { println(\"y\") } } with { Fail(_), k => resume k(()) }";
    for source in [printing, resuming] {
        let dir = TempDir::new("closed_stdout");
        let mut child = command(dir.path(), &[OsStr::new("-e"), OsStr::new(source)])
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 2];
        stdout.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"y\n");
        drop(stdout);
        let r = finish(child);
        // Quietly, with the status a shell shows for a command stopped by a closed pipe.
        assert_eq!(r.code(), 141, "{source}: {r:#?}");
        assert_eq!(r.stderr, "", "{source}: {r:#?}");
    }
}

/// Runs `kont -e SOURCE` in `dir` with its stdout redirected to the file `out.txt` there,
/// waits until the program has made the file `ready` (after printing), and sends it
/// `signal`; returns the run (stdout empty) and what `out.txt` then holds.
fn signalled_after_printing(dir: &TempDir, source: &str, signal: Signal) -> (Run, String) {
    let out = dir.path().join("out.txt");
    let child = command(dir.path(), &[OsStr::new("-e"), OsStr::new(source)])
        .stdout(fs::File::create(&out).unwrap())
        .spawn()
        .unwrap();
    let ready = dir.path().join("ready");
    let started = Instant::now();
    while !ready.exists() {
        assert!(started.elapsed() < TIMEOUT, "the program never got ready");
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(Pid::from_raw(child.id() as i32), signal).unwrap();
    let run = finish(child);
    (run, fs::read_to_string(&out).unwrap())
}

#[test]
fn sigint_stops_printing_shared_data_at_once() {
    // 41 nodes standing for a tree of 2^40 leaves: printing it would write terabytes (it
    // ran until memory ran out, deaf to Ctrl-C). SIGINT stops it within a second.
    let dir = TempDir::new("sigint_print");
    let source = "var t = Leaf; for i in 0..40 { t = Node(t, t) }\n\
                  write_file(\"ready\", \"\");\n\
                  println(t)\n";
    let mut child = command(dir.path(), &[OsStr::new("-e"), OsStr::new(source)])
        .spawn()
        .unwrap();
    let ready = dir.path().join("ready");
    let started = Instant::now();
    while !ready.exists() {
        assert!(started.elapsed() < TIMEOUT, "the program never got ready");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Well into the printing.
    std::thread::sleep(Duration::from_millis(200));
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let sent = Instant::now();
    let status = child.wait_timeout(Duration::from_secs(1)).unwrap();
    let took = sent.elapsed();
    if status.is_none() {
        let _ = child.kill();
    }
    let run = finish(child);
    assert!(
        status.is_some(),
        "still printing 1 s after SIGINT: {run:#?}"
    );
    run.error(130, "interrupted");
    assert!(run.stderr.contains("<eval>:3:1"), "{run:#?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// A script that prints a line and a half (block-buffered: nothing is written yet), says it
/// is ready, and loops forever.
const PRINT_THEN_LOOP: &str =
    "println(\"kept 1\"); print(\"kept 2\"); write_file(\"ready\", \"\"); while true {}";

#[test]
fn sigint_stops_a_script_with_interrupted_and_keeps_its_output() {
    let dir = TempDir::new("sigint");
    let (run, out) = signalled_after_printing(&dir, PRINT_THEN_LOOP, Signal::SIGINT);
    run.error(130, "interrupted");
    assert!(
        run.stderr.contains("backtrace (innermost first):"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("at <main> (<eval>:1:"), "{run:#?}");
    assert_eq!(out, "kept 1\nkept 2");
}

#[test]
fn a_fail_handler_does_not_catch_an_interrupt() {
    // `interrupted` is not a recoverable error: a handler that resumes every `Fail` does not
    // see it, and the program stops as it would without the handler.
    let dir = TempDir::new("sigint_fail");
    let source = format!("handle {{ {PRINT_THEN_LOOP} }} with {{ Fail(_), k => resume k(0) }}");
    let (run, out) = signalled_after_printing(&dir, &source, Signal::SIGINT);
    run.error(130, "interrupted");
    assert_eq!(out, "kept 1\nkept 2");
}

#[test]
fn sigterm_flushes_and_exits_143_quietly() {
    let dir = TempDir::new("sigterm");
    let (run, out) = signalled_after_printing(&dir, PRINT_THEN_LOOP, Signal::SIGTERM);
    assert_eq!(run.code(), 143, "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
    assert_eq!(out, "kept 1\nkept 2");
}

#[test]
fn a_second_sigterm_ends_a_script_that_the_first_could_not_stop() {
    // Blocked in a write to a pipe nobody reads, the program never reaches a check of the
    // first signal; the second ends the process at once.
    let dir = TempDir::new("sigterm_twice");
    let mut child = command(
        dir.path(),
        &[
            OsStr::new("-e"),
            OsStr::new("while true { println(\"y\") }"),
        ],
    )
    .spawn()
    .unwrap();
    let unread = child.stdout.take().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = Pid::from_raw(child.id() as i32);
    kill(pid, Signal::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let _ = kill(pid, Signal::SIGTERM);
    let run = finish(child);
    drop(unread);
    assert_eq!(run.code(), 143, "{run:#?}");
}

#[test]
fn a_reader_that_takes_one_line_stops_kont_quietly() {
    // `kont big.kont | head -1`: no error message, kont's status 141.
    let dir = TempDir::new("head");
    dir.write("big.kont", "for i in 0..1000000 { println(i) }\n");
    let mut cmd = Command::new("bash");
    cmd.args([
        "-c",
        "\"$0\" big.kont | head -1; echo \"kont: ${PIPESTATUS[0]}\" >&2",
    ])
    .arg(kont_path())
    .current_dir(dir.path());
    set_up(&mut cmd, Paths::default());
    let run = finish(cmd.spawn().unwrap());
    assert_eq!(run.stdout, "0\n", "{run:#?}");
    assert_eq!(run.stderr, "kont: 141\n", "{run:#?}");
}

#[test]
fn a_reader_gone_before_the_final_flush_ends_kont_as_a_closed_pipe() {
    // `kont f.kont | true`: the output is still buffered when the reader has already left.
    let dir = TempDir::new("reader_gone");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = command(dir.path(), &[OsStr::new("-e"), OsStr::new("println(1)")])
        .stdout(writer)
        .spawn()
        .unwrap();
    let run = finish(child);
    assert_eq!(run.code(), 141, "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
}

#[test]
fn a_full_device_is_reported_as_cannot_write_output() {
    let dir = TempDir::new("dev_full");
    for source in ["println(1)", "print(\"no line end\")"] {
        // The failure comes at the final flush: no location.
        let child = command(dir.path(), &[OsStr::new("-e"), OsStr::new(source)])
            .stdout(fs::File::create("/dev/full").unwrap())
            .spawn()
            .unwrap();
        let run = finish(child);
        assert_eq!(run.code(), 1, "{run:#?}");
        assert_eq!(
            run.stderr, "error: cannot write output: No space left on device\n",
            "{run:#?}"
        );
    }
    // More than the buffer holds: the failure comes at a `println`, a runtime error there.
    let child = command(
        dir.path(),
        &[
            OsStr::new("-e"),
            OsStr::new("for i in 0..100000 { println(i) }"),
        ],
    )
    .stdout(fs::File::create("/dev/full").unwrap())
    .spawn()
    .unwrap();
    finish(child).error(1, "cannot write output: No space left on device");
}

#[test]
fn deeply_nested_expressions_run() {
    // Evaluating nested expressions recurses natively, a level or two of frames per level of
    // nesting: deep ones continue on stack extensions, and their compiled code is dropped on
    // the front end's stack, not on the program's.
    let dir = TempDir::new("deep_nesting");
    let n = 60_000;
    let sum = format!("println({});\n", vec!["1"; n].join(" + "));
    dir.run_file("sum.kont", &sum).ok(&format!("{n}\n"));
    // The same sum as a handle body (a closure that cannot name itself), in a function and
    // in a continuation.
    let terms = vec!["1"; n].join(" + ");
    let bodies = format!(
        "effect E()\nprintln(handle {terms} with {{ E(), _ => 0 }});\n\
         let f = fn() {{ {terms} }};\nprintln(f());\n\
         let c = cont fn(x) {{ x + {terms} }};\nprintln(resume c(1));\n"
    );
    dir.run_file("bodies.kont", &bodies)
        .ok(&format!("{n}\n{n}\n{}\n", n + 1));
    let calls = format!(
        "fn f(x) {{ x + 1 }}\nprintln({}0{});\n",
        "f(".repeat(20_000),
        ")".repeat(20_000)
    );
    dir.run_file("calls.kont", &calls).ok("20000\n");
    let lists = format!(
        "let l = {}1{};\nprintln(len(l));\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    dir.run_file("lists.kont", &lists).ok("1\n");
    let ctors = format!(
        "fn depth(v) {{ var d = 0; var x = v; while x != 0 {{ x = match x {{ Some(y) => y, _ => 0 }}; d = d + 1; }} d }}\n\
         println(depth({}1{}));\n",
        "Some(".repeat(20_000),
        ")".repeat(20_000)
    );
    dir.run_file("ctors.kont", &ctors).ok("20001\n");
    // A deeply nested function holding a deeply nested closure, both alive until the
    // program ends: their code is dropped as the process exits (that aborted once).
    let nested = format!(
        "fn f() {{ {}(fn(a) {{ {}a }})(1){} }}\nprintln(f());\n",
        "0 + (".repeat(300),
        "1 + ".repeat(300),
        ")".repeat(300)
    );
    dir.run_file("nested.kont", &nested).ok("301\n");
}

#[test]
fn deeply_nested_statements_and_conditions_run() {
    // Statements (`while`, `for`, `if`, blocks) and conditions (`and`, `or`, `not`) nest
    // natively too: their code checks the stack every so many levels, as expressions' does.
    // Unchecked, 8,000 nested loops in a handle body overwrote the neighbouring stack
    // (SIGSEGV), 5,000 in a `cont` aborted, and 45,000 `if`s at top level or a 30,000-term
    // `and` ran out of stack.
    let dir = TempDir::new("deep_statements");
    let nest = |open: &str, n: usize| format!("{}x = x + 1;{}", open.repeat(n), " }".repeat(n));
    let whiles = nest("while x < 1 { ", 8_000);
    let fors = nest("for i in 0..1 { ", 5_000);
    let ifs = nest("if c { ", 45_000);
    let blocks = nest("{ let _y = 1; ", 30_000);
    let program = format!(
        "effect E()\nvar x = 0;\nlet c = true;\n\
         handle {{ {whiles}; 1 }} with {{ E(), _ => 0 }};\nprintln(x);\n\
         let k = cont fn() {{ {fors}; 1 }};\nresume k();\nprintln(x);\n\
         {ifs}\nprintln(x);\n\
         handle {{ {blocks}; 1 }} with {{ E(), _ => 0 }};\nprintln(x);\n"
    );
    dir.run_file("statements.kont", &program).ok("1\n2\n3\n4\n");
    let ands = vec!["c"; 90_000].join(" and ");
    let ors = vec!["d"; 40_000].join(" or ");
    let nots = "not ".repeat(60_000);
    let program = format!(
        "effect E()\nlet c = true;\nlet d = false;\n\
         println(handle {{ let v = {ands}; v }} with {{ E(), _ => 0 }});\n\
         println(handle {{ match 1 {{ n if {ands} => n, _ => 0 }} }} with {{ E(), _ => 0 }});\n\
         println(handle {{ while {ors} {{ }}; 2 }} with {{ E(), _ => 0 }});\n\
         let k = cont (fn() => if {nots}c {{ 3 }} else {{ 4 }});\nprintln(resume k());\n"
    );
    dir.run_file("conditions.kont", &program)
        .ok("true\n1\n2\n3\n");
}

#[test]
fn deeply_nested_functions_are_dropped_on_the_front_ends_stack() {
    // Dropping compiled code recurses natively through the functions nested in it: a chain
    // of 20,000 lambdas (or handles, or conts), each shallow, is dropped like one function
    // nested as deep, later and on the front end's stack, not where its last closure goes.
    // Dropped on a continuation's stack (a `handle` body's, a `cont`'s), the chain ran into
    // the stack below (an error only because that one happened to be the guarded first).
    let dir = TempDir::new("deep_functions");
    let n = 20_000;
    let lambdas = format!("{}1", "fn() => ".repeat(n));
    let program = format!(
        "effect E()\n\
         println(handle {{ if false {{ let _v = {lambdas}; 1 }} else {{ 2 }} }} with {{ E(), _ => 0 }});\n\
         let c = cont fn() {{ if false {{ let _v = {lambdas}; 1 }} else {{ 3 }} }};\n\
         println(resume c());\n"
    );
    dir.run_file("lambdas.kont", &program).ok("2\n3\n");
    let handles = format!(
        "effect E()\nprintln({}1{});\n",
        "handle { ".repeat(n),
        " } with { E(), _ => 0 }".repeat(n)
    );
    dir.run_file("handles.kont", &handles).ok("1\n");
    let conts = format!(
        "println({}resume (cont (fn(x) => x))(1){});\n",
        "resume (cont (fn(_) => ".repeat(n - 1),
        "))(1)".repeat(n - 1)
    );
    dir.run_file("conts.kont", &conts).ok("1\n");
    // Nested `fn` declarations, each calling the one it declares: the resolver copied the
    // rest of the body at every level (8,000 levels: 43 s, then out of memory).
    let n = 8_000;
    let decls = format!(
        "{}fn g() {{ 1 }}{}\nprintln(g());\n",
        "fn g() { ".repeat(n),
        " g() }".repeat(n)
    );
    dir.run_file("decls.kont", &decls).ok("1\n");
}

#[test]
fn endless_recursion_through_handle_or_cont_is_a_stack_overflow() {
    // Each level of such a recursion is a continuation of its own, whose stack stays small:
    // the bound of one continuation's native stack never applied, and memory grew until the
    // machine ran out. More than 262,144 nested continuations (about 1.3 GB) are now a
    // `stack overflow` error; a recursion 200,000 deep still runs.
    let dir = TempDir::new("nested_continuations");
    let hint = "more than 262144 continuations (handle bodies, conts) run nested";
    let r = dir.run_file(
        "handles.kont",
        "effect E()\nfn f(n) { 1 + handle f(n + 1) with { E(), _ => 0 } }\nprintln(f(0));\n",
    );
    r.error(1, "stack overflow");
    assert!(r.stderr.contains(hint), "{r:#?}");
    assert!(r.stderr.contains("handles.kont:2:15"), "{r:#?}");
    let r = dir.run_file(
        "conts.kont",
        "fn g(n) { 1 + resume (cont (fn() => g(n + 1)))() }\nprintln(g(0));\n",
    );
    r.error(1, "stack overflow");
    assert!(r.stderr.contains(hint), "{r:#?}");
    dir.run_file(
        "bounded.kont",
        "effect E()\n\
         fn f(n) { if n == 0 { 0 } else { 1 + handle f(n - 1) with { E(), _ => 0 } } }\n\
         println(f(200000));\n",
    )
    .ok("200000\n");
}

#[test]
fn a_cont_takes_no_stack_until_its_first_resume() {
    // `cont f` holds `f` alone; its first resume starts it on a stack of its own. A million
    // of them fit in 3 GiB of address space (1 GiB of it is the front end's thread stack),
    // where reserving a 1 MiB stack slot each, as `cont` did, failed after about 2,000 with
    // `out of memory: cannot create a continuation` (and, without a cap, made each one
    // cost a resident page: 1,000,000 took 4.2 GB). Every tenth of a million is resumed,
    // the others are discontinued.
    let dir = TempDir::new("fresh_conts");
    dir.write(
        "conts.kont",
        "fn square(x) { x * x }\n\
         fn make(n) { var ks = []; var i = 0; while i < n { ks = (cont square) :: ks; i = i + 1; } ks }\n\
         fn run(ks, i, total) {\n\
         match ks {\n\
         [] => total,\n\
         k :: rest => if i % 100000 == 0 {\n\
         run(rest, i + 1, total + resume k(i))\n\
         } else {\n\
         discontinue k;\n\
         run(rest, i + 1, total)\n\
         }\n\
         }\n\
         }\n\
         let ks = make(1000000);\n\
         println(len(ks));\n\
         println(run(ks, 0, 0));\n",
    );
    run_capped(dir.path(), 3, &["conts.kont"]).ok("1000000\n2850000000000\n");
}

#[test]
fn requests_past_an_address_space_limit_are_runtime_errors() {
    // Under `ulimit -v`, a string or list the program asks for at once that does not fit in
    // what is left of the address space is refused before it is allocated: the allocator's
    // failure ended kont with an abort (exit 134, "memory allocation of … bytes failed").
    let dir = TempDir::new("address_space_limit");
    dir.write(
        "concat.kont",
        "var s = \"x\"; var i = 0; while i < 32 { s = s ++ s; i = i + 1 } println(len(s));\n",
    );
    dir.write("range.kont", "println(len(range(0, 200_000_000)));\n");
    dir.write("array.kont", "println(len(array(200_000_000, 0)));\n");
    for (file, what) in [
        ("concat.kont", "++"),
        ("range.kont", "range"),
        ("array.kont", "array"),
    ] {
        let r = run_capped(dir.path(), 3, &[file]);
        r.error(1, &format!("{what}: "));
        assert!(
            r.stderr.contains("of address space left to this process"),
            "{r:#?}"
        );
    }
}

#[test]
fn a_deeply_nested_source_is_refused_while_it_is_parsed() {
    // A million nested blocks (4 MB): the parser kept every open one on its stack, some
    // 2.4 GB, before the resolver counted the levels, and under a 3 GiB address-space limit
    // kont aborted. The parser now stops at the first bracket past the bound.
    let dir = TempDir::new("deep_source");
    let n = 1_000_000;
    dir.write(
        "deep.kont",
        format!("println({}1{})\n", "{ ".repeat(n), " }".repeat(n)),
    );
    let started = Instant::now();
    let r = run_capped(dir.path(), 3, &["deep.kont"]);
    r.error(2, "expression nested too deeply (more than 100000 levels)");
    // The `(` of the call and 100,000 `{`: the last is at column 9 + 2 × 99,999.
    assert!(r.stderr.contains("deep.kont:1:200007"), "{r:#?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{r:#?}");
}

#[test]
fn a_source_too_large_to_compile_in_the_memory_left_is_refused_before_parsing() {
    // 25 million tokens: compiling them takes up to 160 bytes each, 3.8 GiB, more than is
    // left under a 3 GiB limit. kont says so at once, where it aborted when an allocation
    // failed halfway through.
    let dir = TempDir::new("big_source");
    let n = 12_500_000;
    dir.write(
        "big.kont",
        format!("let l = [{}1];\nprintln(len(l))\n", "1,".repeat(n)),
    );
    let r = run_capped(dir.path(), 3, &["big.kont"]);
    r.error(2, "big.kont: 25000014 tokens need 3814 MiB, more than the ");
    assert!(
        r.stderr
            .contains("of address space left to this process (its limit is 3072 MiB"),
        "{r:#?}"
    );
    assert_eq!(r.stdout, "", "{r:#?}");
}

#[test]
fn control_characters_in_a_source_are_not_sent_to_the_terminal() {
    // An escape sequence in a file was printed as it is in the error's message and snippet,
    // so showing the error cleared the screen. Now the message names it and the snippet
    // shows `?` in its place (a zero-width space is named too).
    let dir = TempDir::new("control_chars");
    let r = dir.run_file("esc.kont", "let x = 1; \x1b[2Jprintln(x)\n");
    r.error(2, "unexpected character `\\u{1b}`");
    assert!(!r.stderr.contains('\x1b'), "{r:#?}");
    assert!(r.stderr.contains("let x = 1; ?[2Jprintln(x)"), "{r:#?}");
    let r = dir.run_file("zwsp.kont", "let x = 1;\u{200b}println(x)\n");
    r.error(2, "unexpected character `\\u{200b}`");
}

#[test]
fn deeply_nested_patterns_match_or_are_rejected() {
    // Matching a nested pattern recurses natively once per level, unchecked: up to the
    // limit it fits in the red zone of any continuation's stack, even at the bottom of a
    // deep recursion in a handled computation (past it, on a stack without a guard page,
    // it overwrote the neighbouring stack and kont died with SIGSEGV).
    let dir = TempDir::new("deep_patterns");
    let n = 1_000;
    let program = |depth: usize| {
        let (inner, open, close) = (depth - 1, "W(".repeat(depth - 1), ")".repeat(depth - 1));
        let tuple_open = "(".repeat(depth - 1);
        let tuple_close = ", _)".repeat(depth - 1);
        format!(
            "effect Ask()\n\
             fn build(i, acc) {{ if i == 0 {{ acc }} else {{ build(i - 1, W(acc)) }} }}\n\
             let v = build({inner}, 7);\n\
             fn m(w) {{ match w {{ {open}x{close} => x, _ => 0 }} }}\n\
             fn deep(d) {{ if d == 0 {{ m(v) }} else {{ 1 + deep(d - 1) }} }}\n\
             println(handle deep(50000) with {{ Ask(), k => resume k(1) }});\n\
             fn tup(i, acc) {{ if i == 0 {{ acc }} else {{ tup(i - 1, (acc, 0)) }} }}\n\
             let t = tup({inner}, 5);\n\
             fn lt(d) {{ if d == 0 {{ let {tuple_open}a{tuple_close} = t; a }} else {{ 1 + lt(d - 1) }} }}\n\
             println(handle lt(50000) with {{ Ask(), k => resume k(1) }});\n"
        )
    };
    dir.run_file("limit.kont", program(n)).ok("50007\n50005\n");
    dir.run_file("past.kont", program(n + 1))
        .error(2, "pattern nested too deeply (more than 1000 levels)");
    let list = format!(
        "match [] {{ [{}] => 1, _ => 0 }};\n",
        vec!["_"; n].join(", ")
    );
    dir.run_file("list.kont", &list)
        .error(2, "pattern nested too deeply");
}

#[test]
fn an_error_in_a_clause_has_the_same_backtrace_on_both_paths() {
    // A tail-resumptive clause runs on the suspending stack (the fast path) or after the
    // computation was suspended (`KONT_FAST_RESUME=0`); an error in it must not show the
    // computation's frames beneath the clause on one path only.
    let dir = TempDir::new("clause_backtrace");
    dir.write(
        "clause.kont",
        "effect B()\n\
         effect Other()\n\
         fn deep(n) { if n == 0 { suspend B() } else { deep(n - 1) + 0 } }\n\
         fn divide(a, b) { a / b }\n\
         fn direct() { handle deep(2) with { B(), k => resume k(1 / 0) } }\n\
         fn called() { handle deep(2) with { B(), k => resume k(divide(1, 0)) } }\n\
         fn forwarded() {\n\
           handle { handle deep(3) with { Other(), k => resume k(0) } }\n\
           with { B(), k => resume k(divide(2, 0)) }\n\
         }\n\
         let which = head(args());\n\
         if which == \"direct\" { direct() } else if which == \"called\" { called() } else { forwarded() };\n",
    );
    let expected = [
        (
            "direct",
            "  at B (clause.kont:5:56)\n  at direct (clause.kont:5:15)\n  at <main> (clause.kont:12:24)\n",
        ),
        (
            "called",
            "  at divide (clause.kont:4:19)\n  at B (clause.kont:6:56)\n  at called (clause.kont:6:15)\n  at <main> (clause.kont:12:63)\n",
        ),
        (
            "forwarded",
            "  at divide (clause.kont:4:19)\n  at B (clause.kont:9:27)\n  at forwarded (clause.kont:8:1)\n  at <main> (clause.kont:12:81)\n",
        ),
    ];
    for (which, trace) in expected {
        for slow_path in [false, true] {
            let args = [OsStr::new("clause.kont"), OsStr::new(which)];
            let mut cmd = command_on_path(dir.path(), &args, slow_path);
            let run = finish(cmd.spawn().unwrap());
            run.error(1, "division by zero");
            let (_, got) = run
                .stderr
                .split_once("backtrace (innermost first):\n")
                .unwrap();
            // The frames of the computation the clause took over come after the backtrace,
            // in a section of their own.
            let (got, suspended) = got
                .split_once("the suspended computation (B) was at:\n")
                .unwrap_or((got, ""));
            assert_eq!(got, trace, "{which}, slow path {slow_path}: {run:#?}");
            assert!(
                suspended.starts_with("  at deep (clause.kont:3:26)\n"),
                "{which}, slow path {slow_path}: {run:#?}"
            );
        }
    }
}

#[test]
fn a_stack_overflow_beside_a_fast_path_clause_reports_the_same_on_both_paths() {
    // Every level of the recursion performs an operation whose clause runs on the fast path
    // (a call on the suspending stack): a leaf clause, and one behind a mask. The overflow is
    // found at the recursion's own call on both paths, with the same backtrace, to the
    // number of repeated lines: the whole of stderr is the same. (With 64 MiB stacks: with
    // the default 1 MiB, each of the slow path's 4.8 million suspends moves the up to 1,364
    // stack extensions of the recursion into its continuation, a minute in all.)
    let dir = TempDir::new("overflow_fast_clause");
    for (name, clause) in [
        ("leaf.kont", "resume k(v)"),
        ("masked.kont", "resume k(v + id(0))"),
    ] {
        let src = format!(
            "effect A(x)\n\
             fn id(x) {{ x }}\n\
             fn f(n) {{ suspend A(1); 1 + f(n + 1) }}\n\
             println(handle f(0) with {{ A(v), k => {clause} }})\n"
        );
        dir.write(name, src);
        let runs = [false, true].map(|slow_path| {
            let mut cmd = command_on_path(dir.path(), &[OsStr::new(name)], slow_path);
            finish(cmd.env("KONT_STACK_MB", "64").spawn().unwrap())
        });
        let [fast, slow] = &runs;
        fast.error(1, "stack overflow");
        assert!(
            fast.stderr.contains(&format!("  ┌─ {name}:3:29\n")),
            "{name}: {fast:#?}"
        );
        assert!(
            fast.stderr.contains(&format!("  at f ({name}:3:29)\n")),
            "{name}: {fast:#?}"
        );
        assert_eq!(fast.stderr, slow.stderr, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// --trace (the format itself is pinned by tests/programs/trace/).

#[test]
fn trace_of_an_eval_string_goes_to_stderr_with_its_places() {
    let dir = TempDir::new("trace_eval");
    let src = "effect E(x) println(handle suspend E(1) with { E(x), k => resume k(x + 1) })";
    let r = run(dir.path(), &["--trace", "-e", src]);
    assert_eq!(r.code(), 0, "{r:#?}");
    assert_eq!(r.stdout, "2\n", "{r:#?}");
    assert_eq!(
        r.stderr,
        "handle h1 at <eval>:1:21\n\
         \x20 suspend E(1) → h1, k1 at <eval>:1:28\n\
         resume k1(2) at <eval>:1:59\n\
         \x20 finished k1 → 2 at <eval>:1:21\n",
        "{r:#?}"
    );
}

#[test]
fn tracing_changes_neither_output_nor_errors_nor_status() {
    let dir = TempDir::new("trace_same");
    // A warning (an unused name) before the run, then the trace, then the error.
    let src = "effect E()\nprintln(1);\nhandle suspend E() with { E(), k => resume k(()) };\n\
               fn f(unused) { 0 }\nf(1) / 0\n";
    let plain = dir.run_file("p.kont", src);
    let traced = run(dir.path(), &["--trace", "p.kont"]);
    assert_eq!(traced.status.code(), plain.status.code(), "{traced:#?}");
    assert_eq!(traced.stdout, plain.stdout, "{traced:#?}");
    let (trace, after) = (
        after_warnings(&traced.stderr),
        after_warnings(&plain.stderr),
    );
    assert!(plain.stderr.starts_with("warning: unused"), "{plain:#?}");
    assert!(
        traced
            .stderr
            .starts_with(&plain.stderr[..plain.stderr.len() - after.len()])
    );
    assert!(
        trace.starts_with("handle h1 at p.kont:3:1\n"),
        "{traced:#?}"
    );
    assert!(trace.ends_with(after), "{traced:#?}");
}

#[test]
fn the_trace_limit_needs_the_trace() {
    let dir = TempDir::new("trace_limit_alone");
    let r = run(dir.path(), &["--trace-limit", "3", "-e", "1"]);
    assert_eq!(r.code(), 2, "{r:#?}");
    assert!(r.stderr.contains("--trace"), "{r:#?}");
    let r = run(dir.path(), &["--trace=everything", "-e", "1"]);
    assert_eq!(r.code(), 2, "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// --trace-html (the page itself is tested in a browser by tests/browser.rs).

/// The page `kont --trace-html` wrote at `path`: its text, checked to be one self-contained
/// document (no address other than the SVG namespace's name, no attribute that loads
/// anything, a policy that forbids every request).
fn trace_page(path: &Path) -> String {
    let page = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(page.starts_with("<!DOCTYPE html>"), "{page:.200}");
    assert!(page.trim_end().ends_with("</html>"));
    assert!(page.contains("content=\"default-src 'none';"), "no policy");
    let names = page.replace("http://www.w3.org/2000/svg", "");
    for outside in [
        "http:", "https:", "src=", "href=", "@import", "<link", "<iframe",
    ] {
        assert!(!names.contains(outside), "{outside} in the page");
    }
    // Only references to the page's own SVG markers.
    for (at, _) in page.match_indices("url(") {
        assert!(page[at..].starts_with("url(#"), "{}", &page[at..at + 40]);
    }
    page
}

/// The JSON data of a trace page.
fn trace_data(page: &str) -> &str {
    let data = page.split("id=\"trace-data\">").nth(1).expect("the data");
    &data[..data.find("</script>").unwrap()]
}

/// The number of events in a trace page's data.
fn page_events(page: &str) -> usize {
    trace_data(page).matches("{\"t\":\"").count()
}

/// examples/generators.kont, copied into `dir`.
fn generators_in(dir: &TempDir) -> &'static str {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/generators.kont");
    dir.write("generators.kont", fs::read(example).unwrap());
    "generators.kont"
}

#[test]
fn trace_html_writes_a_self_contained_page_of_every_event_and_changes_nothing_else() {
    let dir = TempDir::new("trace_html");
    let program = generators_in(&dir);
    let plain = run(dir.path(), &[program]);
    let traced = run(dir.path(), &["--trace-html", "out.html", program]);
    traced.ok(&plain.stdout);
    let page = trace_page(&dir.path().join("out.html"));
    // The same events as the text trace with the switches.
    let text = run(dir.path(), &["--trace=stacks", program]);
    assert_eq!(page_events(&page), text.stderr.lines().count(), "{text:#?}");
    let data = trace_data(&page);
    let switches = text
        .stderr
        .lines()
        .filter(|l| l.contains("switch "))
        .count();
    assert!(switches > 0);
    assert_eq!(data.matches("{\"t\":\"switch\"").count(), switches);
    assert!(data.starts_with(r#"{"title":"generators.kont","total":"#));
    assert!(
        data.contains(r#""stopped":null,"ending":null,"#),
        "{data:.200}"
    );
    assert!(data.contains(r#""op":"Yield","args":["1"]"#));
    assert!(data.contains(r#"{"name":"generators.kont","text":"// generators.kont"#));
}

#[test]
fn trace_html_with_trace_writes_both_each_as_alone() {
    let dir = TempDir::new("trace_html_both");
    let program = generators_in(&dir);
    for mode in ["--trace", "--trace=stacks"] {
        let text = run(dir.path(), &[mode, program]);
        let both = run(dir.path(), &[mode, "--trace-html", "both.html", program]);
        assert_eq!((both.code(), &both.stdout), (0, &text.stdout));
        assert_eq!(both.stderr, text.stderr, "{mode}: the text trace as alone");
        run(dir.path(), &["--trace-html", "alone.html", program]).ok(&text.stdout);
        let both = fs::read_to_string(dir.path().join("both.html")).unwrap();
        let alone = fs::read_to_string(dir.path().join("alone.html")).unwrap();
        assert!(both == alone, "{mode}: the same page as alone");
    }
}

#[test]
fn trace_html_of_a_failing_program_writes_the_page_with_its_error() {
    let dir = TempDir::new("trace_html_error");
    let src = "effect E()\nprintln(handle suspend E() with { E(), k => resume k(7) });\n[1][3]\n";
    let plain = dir.run_file("p.kont", src);
    assert_eq!(plain.code(), 1);
    let traced = run(dir.path(), &["--trace-html", "p.html", "p.kont"]);
    assert_eq!(traced.code(), 1, "{traced:#?}");
    assert_eq!(traced.stdout, plain.stdout);
    assert_eq!(traced.stderr, plain.stderr, "nothing said about the page");
    let page = trace_page(&dir.path().join("p.html"));
    let data = trace_data(&page);
    assert!(
        data.contains(r#""ending":"error: index out of range: 3 (length 1)\n"#),
        "{data:.300}"
    );
    assert!(data.contains(r#"{"t":"resume","k":1,"shallow":null,"v":"7""#));
    // A program that does not compile runs nothing: the page has no event and the error.
    let bad = run(dir.path(), &["--trace-html", "bad.html", "-e", "1 +"]);
    assert_eq!(bad.code(), 2, "{bad:#?}");
    let page = trace_page(&dir.path().join("bad.html"));
    assert_eq!(page_events(&page), 0);
    assert!(trace_data(&page).contains(r#""ending":"error: "#));
}

#[test]
fn trace_html_of_an_eval_string() {
    let dir = TempDir::new("trace_html_eval");
    let src = "effect E(x) println(handle suspend E(1) with { E(x), k => resume k(x + 1) })";
    let r = run(dir.path(), &["--trace-html", "e.html", "-e", src]);
    r.ok("2\n");
    let page = trace_page(&dir.path().join("e.html"));
    assert!(page.contains("<title>&lt;eval&gt; · kont trace</title>"));
    let data = trace_data(&page);
    assert!(
        data.starts_with(r#"{"title":"\u003ceval>","#),
        "{data:.100}"
    );
    assert!(data.contains(r#"{"name":"\u003ceval>","text":"effect E(x) println"#));
    assert_eq!(
        page_events(&page),
        6,
        "handle, start, suspend, resume, finished, back"
    );
}

#[test]
fn trace_html_to_a_path_that_cannot_be_written_fails_before_the_program_runs() {
    let dir = TempDir::new("trace_html_unwritable");
    dir.write("p.kont", "println(\"ran\")\n");
    for (out, why) in [
        ("missing/p.html", "No such file or directory"),
        (".", "Is a directory"),
    ] {
        let r = run(dir.path(), &["--trace-html", out, "p.kont"]);
        r.error(2, &format!("cannot write the trace page {out}: {why}"));
        assert_eq!(r.stdout, "", "the program did not run: {r:#?}");
    }
    let r = run(dir.path(), &["--trace-html", "./p.kont", "p.kont"]);
    r.error(2, "the trace page ./p.kont would overwrite the program");
    assert_eq!(
        fs::read_to_string(dir.path().join("p.kont")).unwrap(),
        "println(\"ran\")\n"
    );
    // Without a program to run: the REPL makes no page.
    let r = run(dir.path(), &["--trace-html", "x.html"]);
    r.error(2, "--trace-html needs a FILE or -e SOURCE to run");
    assert!(!dir.path().join("x.html").exists());
}

#[test]
fn trace_html_stops_recording_at_the_limit_and_says_so() {
    let dir = TempDir::new("trace_html_limit");
    let program = generators_in(&dir);
    let r = run(
        dir.path(),
        &["--trace-html", "l.html", "--trace-limit", "5", program],
    );
    assert_eq!(r.code(), 0, "{r:#?}");
    assert_eq!(r.stdout, run(dir.path(), &[program]).stdout);
    assert_eq!(
        r.stderr,
        "note: the trace page l.html holds the first 5 events: recording stopped there \
         (--trace-limit N changes the limit)\n"
    );
    let page = trace_page(&dir.path().join("l.html"));
    assert_eq!(page_events(&page), 5);
    assert!(trace_data(&page).contains(r#""total":5,"stopped":5,"#));
    let r = run(
        dir.path(),
        &[
            "--trace-html",
            "l.html",
            "--trace-limit",
            "1000001",
            program,
        ],
    );
    r.error(
        2,
        "--trace-limit 1000001: a trace page holds at most 1000000 events",
    );
}

#[test]
fn trace_html_records_at_most_100000_events_by_default() {
    let dir = TempDir::new("trace_html_default_limit");
    // Each round: handle, start, suspend, resume, finished, back: 6 events.
    let src = "effect E()\nvar n = 0;\nwhile n < 20000 {\n  handle suspend E() with { E(), k => resume k(()) };\n  n = n + 1\n}\nprintln(n);\n";
    dir.write("many.kont", src);
    let r = run(dir.path(), &["--trace-html", "many.html", "many.kont"]);
    assert_eq!((r.code(), r.stdout.as_str()), (0, "20000\n"), "{r:#?}");
    assert!(r.stderr.contains("holds the first 100000 events"), "{r:#?}");
    let page = trace_page(&dir.path().join("many.html"));
    assert_eq!(page_events(&page), 100_000);
    assert!(trace_data(&page).contains(r#""total":100000,"stopped":100000,"#));
}
