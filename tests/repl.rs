//! The REPL, driven through a pseudo-terminal (expectrl), as a user at a terminal drives it:
//! the line editor (rustyline) runs in raw mode while reading, Ctrl-C and Ctrl-D are the
//! control bytes a terminal sends, and Ctrl-C during an evaluation reaches the REPL as SIGINT
//! through the terminal's line discipline.
//!
//! Each scenario is its own test with its own REPL process and its own `HOME` (a fresh
//! temporary directory, so `~/.kont_history` never touches the real one).
//!
//! # How output is read
//!
//! [`Repl::enter`] sends one line and returns what the REPL printed in answer to it: the bytes
//! after the echo of the line (the line editor echoes it, then ends the line with the first
//! `\n` after it) up to the next prompt (`kont> ` or the continuation prompt `  ... `), with
//! the terminal's escape sequences and carriage returns removed. So `enter("x + 2")` is
//! `"42\n"`, and an entry that prints nothing gives `""`. A prompt is recognised by the
//! line clear (`ESC [ K`) the line editor draws it after, since the same text can appear in
//! output (a backtrace line `  ... the line above repeats`). Every expectation waits at most
//! [`TIMEOUT`]; a failure shows the whole (cleaned) transcript of the session.
//!
//! A line is normally sent once the prompt for it is shown, so that each answer can be told
//! apart; `lines_typed_ahead_are_kept` sends several at once, as a paste or a fast typist
//! does (kept by rustyline's `buffer-redux` feature).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use expectrl::process::unix::WaitStatus;
use expectrl::session::OsSession;
use expectrl::{ControlCode, Eof, Expect, Regex, Session};

/// The longest any single expectation may wait (the stack-overflow scenario fills a stack of
/// some megabytes first; under a parallel test run on two cores this takes a moment).
const TIMEOUT: Duration = Duration::from_secs(30);

const PROMPT: &str = "kont> ";
const MORE: &str = "  ... ";

/// Which prompt the REPL showed after an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    /// `kont> `: the entry was complete.
    Main,
    /// `  ... `: the entry continues on the next line.
    More,
}

/// A scratch directory for one test, removed when the test ends (also when it fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kont-repl-{}-{test}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What `HOME` the REPL process gets.
enum Home<'a> {
    Dir(&'a Path),
    Unset,
}

/// A running REPL on a pseudo-terminal.
struct Repl {
    session: OsSession,
    /// Everything read so far, cleaned, for failure messages.
    transcript: String,
}

/// Removes terminal escape sequences (CSI `ESC [ … final`, and two-byte `ESC x`) and carriage
/// returns, so that what is left is the text a user reads.
fn clean(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            // `ESC [`, parameter and intermediate bytes, then one final byte in @..~; or `ESC x`.
            '\x1b' => {
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl Repl {
    /// Starts `kont` (no arguments: the REPL) in `dir`, with `HOME` set to it, and waits for
    /// its prompt.
    fn start(dir: &TempDir) -> Repl {
        Repl::start_with(Home::Dir(dir.path()), dir.path())
    }

    /// Starts `kont` (no arguments: the REPL) in `cwd` with the given `HOME`, and waits for
    /// its prompt.
    fn start_with(home: Home, cwd: &Path) -> Repl {
        Repl::start_env(home, cwd, &[])
    }

    /// Starts `kont` as [`Repl::start_with`] does, with the environment variables `vars`
    /// set too.
    fn start_env(home: Home, cwd: &Path, vars: &[(&str, &str)]) -> Repl {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kont"));
        cmd.current_dir(cwd)
            .env("TERM", "xterm")
            .env_remove("NO_COLOR")
            .env_remove("KONT_FAST_RESUME");
        for (name, value) in vars {
            cmd.env(name, value);
        }
        match home {
            Home::Dir(dir) => cmd.env("HOME", dir),
            Home::Unset => cmd.env_remove("HOME"),
        };
        Repl::spawn(cmd)
    }

    fn spawn(cmd: Command) -> Repl {
        let mut session = Session::spawn(cmd).expect("cannot start kont on a pseudo-terminal");
        session.set_expect_timeout(Some(TIMEOUT));
        // Wide enough that no entry of these tests wraps.
        session.get_process_mut().set_window_size(200, 50).unwrap();
        let mut repl = Repl {
            session,
            transcript: String::new(),
        };
        let banner = repl.expect(PROMPT);
        assert!(
            banner.contains(&format!("kont {}", env!("CARGO_PKG_VERSION"))),
            "no banner before the first prompt: {banner:?}"
        );
        repl
    }

    /// Waits for `needle` and returns the cleaned text up to and including it.
    fn expect(&mut self, needle: &str) -> String {
        match self.session.expect(needle) {
            Ok(found) => {
                let text = clean(found.as_bytes());
                self.transcript.push_str(&text);
                text
            }
            Err(e) => self.fail(&format!("waiting for {needle:?}: {e}")),
        }
    }

    fn fail(&mut self, what: &str) -> ! {
        // Whatever arrived but did not match is worth seeing too.
        let mut rest = vec![0u8; 1 << 16];
        let n = self.session.try_read(&mut rest).unwrap_or(0);
        panic!(
            "{what}\n--- transcript ---\n{}\n--- unmatched ---\n{}\n---",
            self.transcript,
            clean(&rest[..n])
        );
    }

    /// Reads up to the next prompt; returns the text before it and which prompt it was.
    fn until_prompt(&mut self) -> (String, Prompt) {
        // The line editor draws a prompt on a cleared line (`ESC [ K`), which tells it from
        // the same text in output (a backtrace has lines starting `  ... `).
        let found = match self.session.expect(Regex("\x1b\\[K(kont> |  \\.\\.\\. )")) {
            Ok(found) => found,
            Err(e) => self.fail(&format!("waiting for a prompt: {e}")),
        };
        let all = clean(found.as_bytes());
        self.transcript.push_str(&all);
        let (text, prompt) = if let Some(text) = all.strip_suffix(PROMPT) {
            (text, Prompt::Main)
        } else if let Some(text) = all.strip_suffix(MORE) {
            (text, Prompt::More)
        } else {
            unreachable!("the prompt regex matched {all:?}")
        };
        (text.to_string(), prompt)
    }

    /// Sends `line` and Enter, and waits until the line editor has accepted it (the echo of
    /// the line ends with a newline).
    fn send_line(&mut self, line: &str) {
        assert!(!line.contains('\n'), "one line at a time");
        self.transcript.push_str(&format!("«{line}⏎»"));
        if let Err(e) = self.session.send_line(line) {
            self.fail(&format!("sending {line:?}: {e}"));
        }
        self.expect("\n");
    }

    /// Enters a line and returns what the REPL printed before the next prompt, with which
    /// prompt that was.
    fn enter_prompt(&mut self, line: &str) -> (String, Prompt) {
        self.send_line(line);
        self.until_prompt()
    }

    /// Enters a line that completes an entry: returns what the REPL printed (the main prompt
    /// must follow).
    fn enter(&mut self, line: &str) -> String {
        let (text, prompt) = self.enter_prompt(line);
        if prompt != Prompt::Main {
            self.fail(&format!("{line:?} left the entry unfinished"));
        }
        text
    }

    /// Enters a line that leaves the entry unfinished: the continuation prompt must follow,
    /// with nothing printed.
    fn enter_more(&mut self, line: &str) {
        let (text, prompt) = self.enter_prompt(line);
        if prompt != Prompt::More || !text.is_empty() {
            self.fail(&format!(
                "{line:?} should continue the entry silently, printed {text:?} and {prompt:?}"
            ));
        }
    }

    /// Enters a line and checks that the REPL printed exactly `expected` (plus a newline).
    fn check(&mut self, line: &str, expected: &str) {
        let got = self.enter(line);
        if got != format!("{expected}\n") {
            self.fail(&format!("{line:?} printed {got:?}, expected {expected:?}"));
        }
    }

    /// Enters a line of definitions, which must print nothing but their echo: one line for
    /// each name defined, starting `fn `, `let `, `var ` or `effect ` (its exact text is
    /// pinned by `definitions_echo_what_they_define`).
    fn define(&mut self, line: &str) {
        let got = self.enter(line);
        let echo = |l: &str| {
            ["fn ", "let ", "var ", "effect "]
                .iter()
                .any(|k| l.starts_with(k))
        };
        if got.is_empty() || !got.lines().all(echo) {
            self.fail(&format!(
                "{line:?} printed {got:?}, expected the echo of its definitions"
            ));
        }
    }

    /// Enters a line that must print nothing.
    fn silent(&mut self, line: &str) {
        let got = self.enter(line);
        if !got.is_empty() {
            self.fail(&format!("{line:?} printed {got:?}, expected nothing"));
        }
    }

    /// Enters a line that must fail with an error report whose first line is `error: MESSAGE…`;
    /// returns the whole report.
    fn error(&mut self, line: &str, message: &str) -> String {
        let got = self.enter(line);
        if !got.starts_with(&format!("error: {message}")) {
            self.fail(&format!(
                "{line:?} printed {got:?}, expected an error `{message}`"
            ));
        }
        assert!(!got.contains("panicked"), "a Rust panic: {got}");
        got
    }

    /// Sends a control character (Ctrl-C, Ctrl-D, …) or other raw bytes without Enter.
    fn send(&mut self, bytes: impl AsRef<[u8]>) {
        if let Err(e) = self.session.send(bytes) {
            self.fail(&format!("sending: {e}"));
        }
    }

    /// Waits until the terminal has left raw mode (the line editor returned the entry and the
    /// REPL is evaluating it): from then on Ctrl-C makes the terminal send SIGINT.
    fn wait_for_cooked_mode(&mut self) {
        use std::os::fd::AsRawFd;
        let master = self.session.get_process().get_raw_handle().unwrap();
        let start = Instant::now();
        loop {
            // SAFETY: tcgetattr only writes the termios struct it is given.
            let mut t: libc::termios = unsafe { std::mem::zeroed() };
            let ok = unsafe { libc::tcgetattr(master.as_raw_fd(), &mut t) } == 0;
            if ok && t.c_lflag & libc::ISIG != 0 && t.c_lflag & libc::ICANON != 0 {
                return;
            }
            if start.elapsed() > TIMEOUT {
                self.fail("the terminal never left raw mode");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for the process to exit (draining its output meanwhile); returns its exit code.
    fn wait_exit(&mut self) -> i32 {
        match self.session.expect(Eof) {
            Ok(found) => self.transcript.push_str(&clean(found.as_bytes())),
            Err(e) => self.fail(&format!("waiting for the REPL to exit: {e}")),
        }
        let start = Instant::now();
        loop {
            match self.session.get_process().status() {
                Ok(WaitStatus::Exited(_, code)) => {
                    let transcript = &self.transcript;
                    assert!(
                        !transcript.contains("panicked"),
                        "a Rust panic:\n{transcript}"
                    );
                    return code;
                }
                Ok(WaitStatus::StillAlive) if start.elapsed() < TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                other => self.fail(&format!("the REPL did not exit normally: {other:?}")),
            }
        }
    }

    /// Leaves with `:quit` and checks the exit status is 0.
    fn quit(mut self) -> String {
        self.send_line(":quit");
        let code = self.wait_exit();
        assert_eq!(code, 0, "exit status after :quit\n{}", self.transcript);
        self.transcript
    }
}

/// A `kont` file in `dir`.
fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap();
    path
}

/// The lines of `~/.kont_history` (rustyline's format: a `#V2` header, then one entry a line,
/// a multi-line entry with its newlines written as `\n`).
fn history_lines(home: &Path) -> Vec<String> {
    let path = home.join(".kont_history");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no history file {}: {e}", path.display()));
    text.lines().map(str::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// Definitions persist between entries; values are printed.

#[test]
fn let_bindings_persist_between_entries() {
    let dir = TempDir::new("let_persists");
    let mut repl = Repl::start(&dir);
    repl.define("let x = 40;");
    repl.check("x + 2", "42");
    repl.define("let y = x * 2;");
    repl.check("(x, y)", "(40, 80)");
    // Shadowing in a later entry.
    repl.define("let x = 1;");
    repl.check("x + y", "81");
    repl.define("let (q, r) = (7 / 2, 7 % 2);");
    repl.check("q * 10 + r", "31");
    repl.quit();
}

#[test]
fn lines_typed_ahead_are_kept() {
    // A paste of three entries arrives in one read, and a line typed while an evaluation
    // runs waits in the terminal: every one of them is evaluated, in order.
    let dir = TempDir::new("typed_ahead");
    let mut repl = Repl::start(&dir);
    repl.send("let a = 20;\rlet b = a + 1;\rb * 2\r");
    repl.expect("42\r\n");
    repl.until_prompt();
    repl.send("var n = 0; while n < 3000000 { n = n + 1 }; n\r\"late\"\r");
    repl.expect("3000000\r\n");
    repl.expect("\"late\"\r\n");
    repl.until_prompt();
    repl.check("a + b", "41");
    repl.quit();
}

#[test]
fn functions_persist_between_entries() {
    let dir = TempDir::new("fn_persists");
    let mut repl = Repl::start(&dir);
    repl.define("fn square(x) { x * x }");
    repl.check("square(7)", "49");
    repl.check("square", "<fn square>");
    repl.define("let inc = fn(x) => x + 1;");
    repl.check("inc(square(3))", "10");
    // A later function calls earlier ones; a recursive one.
    repl.define("fn sum_squares(n) { if n == 0 { 0 } else { square(n) + sum_squares(n - 1) } }");
    repl.check("sum_squares(3)", "14");
    repl.check("fn(x) => x", "<fn>");
    repl.quit();
}

#[test]
fn var_assignments_persist_between_entries() {
    let dir = TempDir::new("var_persists");
    let mut repl = Repl::start(&dir);
    repl.define("var n = 0;");
    repl.silent("n = n + 1;");
    repl.silent("n = n + 1;");
    repl.check("n", "2");
    // A function defined later sees and assigns the same variable.
    repl.define("fn bump() { n = n + 10 }");
    repl.silent("bump();");
    repl.check("n", "12");
    // A closure made in one entry and called in another captures by reference.
    repl.define("let get = fn() => n;");
    repl.silent("n = 100;");
    repl.check("get()", "100");
    // Arrays are mutable across entries too.
    repl.define("let a = array(3, 0);");
    repl.silent("a[1] = 5;");
    repl.check("a", "#[0, 5, 0]");
    // A `let` stays immutable.
    repl.define("let k = 1;");
    repl.error("k = 2;", "cannot assign to immutable k");
    repl.check("k", "1");
    repl.quit();
}

#[test]
fn effects_and_handlers_persist_between_entries() {
    let dir = TempDir::new("effects_persist");
    let mut repl = Repl::start(&dir);
    repl.define("effect Get()");
    repl.define("fn ask() { suspend Get() }");
    repl.define("fn with_get(f) { handle f() with { Get(), k => resume k(10) } }");
    repl.check("with_get(fn() => ask() + 1)", "11");
    // The example of the language reference (docs/language.md), one definition per entry.
    repl.define("effect Yield(value)");
    repl.enter_more("fn range_gen(a, b) {");
    repl.enter_more("  var i = a;");
    repl.enter_more("  while i < b { suspend Yield(i); i = i + 1 }");
    repl.check("}", "fn range_gen(a, b)");
    repl.enter_more("fn sum_of(gen) {");
    repl.enter_more("  var total = 0;");
    repl.enter_more("  handle gen() with {");
    repl.enter_more("    Yield(v), k => { total = total + v; resume k(()) }");
    repl.enter_more("    return(_) => total");
    repl.enter_more("  }");
    repl.check("}", "fn sum_of(gen)");
    repl.check("sum_of(fn() => range_gen(0, 10))", "45");
    // Handlers still work after the effect list grew, and a handled effect prints its output.
    repl.check(
        "handle { println(\"in\"); suspend Get() * 2 } with { Get(), k => resume k(21) }",
        "in\n42",
    );
    repl.quit();
}

#[test]
fn trace_commands_turn_the_trace_on_and_off() {
    let dir = TempDir::new("trace_commands");
    let mut repl = Repl::start(&dir);
    repl.define("effect Yield(v)");
    // Defined before `:trace on`: traced all the same.
    repl.define("fn gen() { suspend Yield(1); 2 }");
    repl.check(":trace", "trace: off");
    repl.silent(":trace on");
    repl.check(":trace", "trace: on");
    let handled = "handle gen() with { Yield(_), k => resume k(()) }";
    repl.check(
        handled,
        "handle h1 at <repl:3>:1:1\n  \
         suspend Yield(1) → h1, k1 at <repl:2>:1:12\n\
         resume k1(()) at <repl:3>:1:36\n  \
         finished k1 → 2 at <repl:3>:1:1\n\
         2",
    );
    repl.silent(":trace stacks");
    repl.check(
        handled,
        "main  handle h2 at <repl:4>:1:1\n        \
         switch main → s2: handle h2\n\
         s2      suspend Yield(1) → h2, k2 (fast path: no switch) at <repl:2>:1:12\n\
         s2    resume k2(()) at <repl:4>:1:36\n\
         s2      finished k2 → 2 at <repl:4>:1:1\n      \
         switch s2 → main: 2\n\
         2",
    );
    repl.silent(":trace off");
    repl.check(handled, "2");
    let help = repl.enter(":help");
    for command in [":trace on", ":trace stacks", ":trace off"] {
        assert!(
            help.contains(command),
            "{command} missing from :help: {help}"
        );
    }
    repl.quit();
}

#[test]
fn conts_lists_the_suspended_continuations_the_variables_hold() {
    let dir = TempDir::new("conts");
    let mut repl = Repl::start(&dir);
    repl.check(
        ":conts",
        "no suspended continuations in the session's variables",
    );
    repl.define("effect Yield(v)");
    repl.define("fn gen(x) { suspend Yield(x); suspend Yield(\"second\") }");
    repl.define("fn start(x) { handle gen(x) with { Yield(_), k => k } }");
    // Untraced: no id, no start; found by the global's name.
    repl.define("let first = start([1, 2, 3])");
    repl.check(
        ":conts",
        "first: Yield([1, 2, 3]), suspended at <repl:2>:1:13",
    );
    // Traced: the trace's id, and the `handle` its computation started at.
    repl.silent(":trace on");
    let traced = repl.enter("let held = (0, [start(\"a long string, longer than thirty-two\")])");
    assert!(traced.contains("k1 at <repl:2>:1:13"), "{traced}");
    repl.silent(":trace off");
    // A continuation held twice is listed once, by its shortest path; one resumed is no
    // longer suspended.
    repl.define("var again = [first, first]");
    repl.check(
        ":conts",
        "first: Yield([1, 2, 3]), suspended at <repl:2>:1:13\n\
         k1 = held[1][0]: Yield(\"a long string, longer than thirt…\"), suspended at <repl:2>:1:13, started at <repl:3>:1:15",
    );
    repl.define("let next = resume first(())");
    repl.check(
        ":conts",
        "next: Yield(\"second\"), suspended at <repl:2>:1:31\n\
         k1 = held[1][0]: Yield(\"a long string, longer than thirt…\"), suspended at <repl:2>:1:13, started at <repl:3>:1:15",
    );
    repl.quit();
}

#[test]
fn effect_redeclared_in_a_later_entry_replaces_the_earlier_one() {
    let dir = TempDir::new("effect_redeclared");
    let mut repl = Repl::start(&dir);
    repl.define("effect Op()");
    repl.check("handle suspend Op() with { Op(), _ => 1 }", "1");
    repl.define("effect Op(a, b)");
    repl.check("handle suspend Op(1, 2) with { Op(a, b), _ => a + b }", "3");
    repl.error(
        "handle suspend Op() with { Op(a, b), k => 0 }",
        "wrong number of arguments: Op expects 2, got 0",
    );
    repl.quit();
}

#[test]
fn values_are_printed_as_data() {
    let dir = TempDir::new("values_printed");
    let mut repl = Repl::start(&dir);
    // Strings are quoted (data), unlike println.
    repl.check("\"hi\"", "\"hi\"");
    repl.check("\"a\\nb\" ++ \"c\"", "\"a\\nbc\"");
    repl.check("[1, \"a\", (2, \"b\")]", "[1, \"a\", (2, \"b\")]");
    repl.check("Some(\"x\")", "Some(\"x\")");
    repl.check("None", "None");
    repl.check("1.5", "1.5");
    repl.check("2.0 * 3", "6.0");
    repl.check("1 == 1", "true");
    repl.check("array(2, 0)", "#[0, 0]");
    repl.check("[1, 2] ++ [3]", "[1, 2, 3]");
    repl.check("[(), ()]", "[(), ()]");
    repl.quit();
}

#[test]
fn unit_values_and_statements_print_nothing() {
    let dir = TempDir::new("unit_silent");
    let mut repl = Repl::start(&dir);
    repl.silent("()");
    repl.silent("if false { 1 }");
    repl.define("let z = ();");
    repl.silent("z");
    repl.silent("while false { }");
    repl.define("fn nothing() { }");
    repl.silent("nothing()");
    repl.silent("5;");
    // Output of the program is shown; its unit result is not.
    repl.check("println(\"hi\")", "hi");
    repl.check("println(\"hi\"); 3", "hi\n3");
    // An empty line does nothing and does not start a continuation.
    repl.silent("");
    repl.silent("   ");
    repl.silent("// just a comment");
    repl.quit();
}

#[test]
fn output_without_a_final_newline_is_kept() {
    // The line editor clears the line it draws its prompt on, so the REPL ends a line the
    // program left unfinished before showing a value, an error or the prompt.
    let dir = TempDir::new("unfinished_output");
    let mut repl = Repl::start(&dir);
    repl.check("print(\"abc\")", "abc");
    repl.check("print(\"a\"); 5", "a\n5");
    repl.check("print(\"one\"); print(\" two\")", "one two");
    repl.silent("print(\"\")");
    repl.define("fn h() { print(\"x\"); 1 / 0 }");
    let report = repl.enter("h()");
    assert!(
        report.starts_with("x\nerror: division by zero"),
        "output then error: {report:?}"
    );
    repl.check("println(\"line\")", "line");
    repl.quit();
}

#[test]
fn a_continuation_prints_its_state_and_can_be_resumed_later() {
    let dir = TempDir::new("continuation_value");
    let mut repl = Repl::start(&dir);
    repl.define("effect Pause()");
    repl.define("var saved = 0;");
    repl.check(
        "handle { suspend Pause(); println(\"resumed\"); 5 } with { Pause(), k => { saved = k; 0 } }",
        "0",
    );
    // Where it suspended: in the entry that wrote the `suspend`, echoed by a later one.
    repl.check("saved", "<continuation: Pause() at <repl:3>:1:10>");
    repl.check("[saved]", "[<continuation: Pause() at <repl:3>:1:10>]");
    // Resumed from a later entry, under the same (deep) handler.
    repl.check("resume saved(())", "resumed\n5");
    repl.error("resume saved(())", "continuation already resumed");
    repl.check("saved", "<continuation: resumed>");
    // A function of an earlier entry suspends: the place is in that entry.
    repl.define("fn wait() { suspend Pause() }");
    repl.check(
        "handle wait() with { Pause(), k => k }",
        "<continuation: Pause() at <repl:9>:1:13>",
    );
    repl.check("cont wait", "<continuation: cont wait>");
    // A runtime error offered to `Fail` in a function of an earlier entry: there too.
    repl.define("fn half(n) { 10 / n }");
    repl.check(
        "handle half(0) with { Fail(_), k => k }",
        "<continuation: Fail(\"division by zero\") at <repl:12>:1:14>",
    );
    // An operation declared again with another number of arguments keeps its name; a
    // continuation suspended before shows the arguments it was suspended with.
    repl.define("effect Op(x)");
    repl.define("let old = handle suspend Op((1, 2)) with { Op(_), k => k };");
    repl.define("effect Op(x, y)");
    repl.check("old", "<continuation: Op((1, 2)) at <repl:15>:1:18>");
    repl.check(
        "handle suspend Op(1, 2) with { Op(_, _), k => k }",
        "<continuation: Op(1, 2) at <repl:18>:1:8>",
    );
    repl.check("1 + 1", "2");
    repl.quit();
}

// ---------------------------------------------------------------------------------------------
// Unfinished entries continue on the next line.

#[test]
fn an_unfinished_entry_continues_on_the_next_line() {
    let dir = TempDir::new("continuation_lines");
    let mut repl = Repl::start(&dir);
    repl.enter_more("fn f(x) {");
    repl.enter_more("x * 2");
    repl.check("}", "fn f(x)");
    repl.check("f(21)", "42");
    // An operator at the end of a line; an empty line in the middle.
    repl.enter_more("1 +");
    repl.enter_more("");
    repl.check("2", "3");
    // An open bracket, a block comment, a string.
    repl.enter_more("[1,");
    repl.check("2]", "[1, 2]");
    repl.enter_more("/* a comment");
    repl.check("*/ 5", "5");
    repl.enter_more("\"two");
    repl.check("lines\"", "\"two\\nlines\"");
    // A match spread over lines.
    repl.enter_more("match Some(3) {");
    repl.enter_more("  Some(n) => n * 10,");
    repl.enter_more("  None => 0,");
    repl.check("}", "30");
    repl.quit();
}

#[test]
fn an_error_in_a_continued_entry_ends_it() {
    let dir = TempDir::new("continuation_error");
    let mut repl = Repl::start(&dir);
    repl.enter_more("fn g(x) {");
    repl.enter_more("x +");
    let report = repl.error("}", "unexpected token `}`");
    // The location counts lines from the start of the entry.
    assert!(report.contains("<repl:1>:3:1"), "{report}");
    // The next line starts a new entry; `g` was not defined.
    repl.check("1 + 1", "2");
    repl.error("g(1)", "unknown name g");
    repl.quit();
}

#[test]
fn warnings_are_shown_for_the_entry_that_has_them() {
    let dir = TempDir::new("warnings");
    let mut repl = Repl::start(&dir);
    let report = repl.enter("fn f(x, unused) { x }");
    assert!(
        report.starts_with("warning: unused parameter `unused`\n"),
        "{report}"
    );
    assert!(report.contains("<repl:1>:1:9"), "{report}");
    // The entry ran: `f` is defined. A top-level `let` is never unused: a later entry may
    // use it.
    repl.check("f(5, 0)", "5");
    repl.define("let later = 1;");
    repl.check("later + 1", "2");
    repl.quit();
}

// ---------------------------------------------------------------------------------------------
// History in ~/.kont_history.

#[test]
fn history_is_saved_in_home_on_quit_and_loaded_next_time() {
    let dir = TempDir::new("history_quit");
    let mut repl = Repl::start(&dir);
    repl.define("let x = 40;");
    repl.check("x + 2", "42");
    repl.enter_more("fn f(x) {");
    repl.enter_more("x * 2");
    repl.check("}", "fn f(x)");
    repl.check("6 * 7", "42");
    repl.quit();

    let lines = history_lines(dir.path());
    assert!(lines.iter().any(|l| l == "let x = 40;"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "x + 2"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "6 * 7"), "{lines:?}");
    // A multi-line entry is one history entry, not one per line.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("fn f(x) {") && l.contains("x * 2") && l.contains('}')),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l == "x * 2"), "{lines:?}");

    // A new session starts with that history: Up twice (past `:quit`) recalls `6 * 7`.
    let mut repl = Repl::start(&dir);
    repl.send("\x1b[A\x1b[A");
    repl.check("", "42");
    repl.quit();
}

#[test]
fn long_multi_line_entries_run_and_report_their_errors() {
    // While an entry leaves brackets open, a long one is parsed again only every sixteenth
    // of its length (pasting 10,000 lines took 58 s when every line parsed the whole entry).
    let dir = TempDir::new("long_entry");
    let mut repl = Repl::start(&dir);
    repl.define("var x = 0;");
    repl.enter_more("{");
    for _ in 0..300 {
        repl.enter_more("x = x + 1;");
    }
    repl.silent("}");
    repl.check("x", "300");
    // A syntax error inside a long unfinished entry is reported within a few lines.
    repl.enter_more("{");
    for _ in 0..40 {
        repl.enter_more("x = x + 1;");
    }
    let mut reported = None;
    let mut line = "let = 1;";
    for n in 0..5 {
        let (text, prompt) = repl.enter_prompt(line);
        if prompt == Prompt::Main {
            reported = Some((n, text));
            break;
        }
        line = "x = x + 1;";
    }
    let (_, text) = reported.expect("the error was reported within 5 lines");
    assert!(text.contains("error:"), "{text}");
    // The failed entry ran nothing, and the session goes on.
    repl.check("x", "300");
    repl.quit();
}

#[test]
fn history_is_saved_on_ctrl_d() {
    let dir = TempDir::new("history_ctrl_d");
    let mut repl = Repl::start(&dir);
    repl.check("\"remember me\"", "\"remember me\"");
    repl.send(ControlCode::EndOfTransmission);
    assert_eq!(repl.wait_exit(), 0);
    let lines = history_lines(dir.path());
    assert!(lines.iter().any(|l| l == "\"remember me\""), "{lines:?}");
}

#[test]
fn works_without_home() {
    let dir = TempDir::new("no_home");
    let mut repl = Repl::start_with(Home::Unset, dir.path());
    repl.define("let x = 1;");
    repl.check("x + 1", "2");
    repl.quit();
    assert!(!dir.path().join(".kont_history").exists());
}

#[test]
fn works_with_an_empty_home() {
    let dir = TempDir::new("empty_home");
    let mut repl = Repl::start_with(Home::Dir(Path::new("")), dir.path());
    repl.define("let x = 1;");
    repl.check("x + 1", "2");
    repl.quit();
    // No history file lands in the current directory.
    assert!(!dir.path().join(".kont_history").exists());
}

#[test]
fn works_with_a_home_that_does_not_exist() {
    let dir = TempDir::new("missing_home");
    let home = dir.path().join("does-not-exist");
    let mut repl = Repl::start_with(Home::Dir(&home), dir.path());
    repl.define("let x = 1;");
    repl.check("x + 1", "2");
    repl.quit();
    assert!(!home.exists(), "the REPL created {}", home.display());
}

#[test]
fn works_with_an_unreadable_history_file() {
    let dir = TempDir::new("bad_history");
    fs::write(
        dir.path().join(".kont_history"),
        b"#V2\n\xff\xfe not UTF-8 \x00\x01\n",
    )
    .unwrap();
    let mut repl = Repl::start(&dir);
    repl.check("1 + 1", "2");
    repl.quit();
}

#[test]
fn works_when_home_is_a_file() {
    let dir = TempDir::new("home_is_file");
    let file = write_file(dir.path(), "not-a-dir", "");
    let mut repl = Repl::start_with(Home::Dir(&file), dir.path());
    repl.check("1 + 1", "2");
    repl.quit();
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C and Ctrl-D.

#[test]
fn ctrl_c_clears_the_line_being_typed() {
    let dir = TempDir::new("ctrl_c_line");
    let mut repl = Repl::start(&dir);
    repl.send("1 +");
    repl.send(ControlCode::EndOfText);
    let (_, prompt) = repl.until_prompt();
    assert_eq!(prompt, Prompt::Main, "{}", repl.transcript);
    repl.check("2 + 2", "4");
    // On an empty line it just shows a new prompt.
    repl.send(ControlCode::EndOfText);
    let (_, prompt) = repl.until_prompt();
    assert_eq!(prompt, Prompt::Main, "{}", repl.transcript);
    repl.check("3 + 3", "6");
    repl.quit();
}

#[test]
fn ctrl_c_abandons_an_unfinished_entry() {
    let dir = TempDir::new("ctrl_c_entry");
    let mut repl = Repl::start(&dir);
    repl.enter_more("fn f(x) {");
    repl.enter_more("x * 2");
    repl.send(ControlCode::EndOfText);
    let (_, prompt) = repl.until_prompt();
    assert_eq!(prompt, Prompt::Main, "{}", repl.transcript);
    repl.check("2 + 2", "4");
    repl.error("f(1)", "unknown name f");
    repl.quit();
}

/// Enters `line`, which must run until interrupted, presses Ctrl-C once the REPL is
/// evaluating, and checks the evaluation stops with the error `interrupted`; returns how long
/// after Ctrl-C the prompt came back.
fn interrupt(repl: &mut Repl, line: &str) -> Duration {
    repl.send_line(line);
    repl.wait_for_cooked_mode();
    // Let the program run a little.
    std::thread::sleep(Duration::from_millis(200));
    repl.send(ControlCode::EndOfText);
    let pressed = Instant::now();
    let (text, prompt) = repl.until_prompt();
    let took = pressed.elapsed();
    if prompt != Prompt::Main || !text.starts_with("error: interrupted") {
        repl.fail(&format!(
            "{line:?} after Ctrl-C printed {text:?}, {prompt:?}"
        ));
    }
    assert!(!text.contains("panicked"), "{text}");
    took
}

#[test]
fn ctrl_c_interrupts_a_running_loop() {
    let dir = TempDir::new("ctrl_c_loop");
    let mut repl = Repl::start(&dir);
    interrupt(&mut repl, "while true {}");
    repl.check("1 + 1", "2");
    // The program really ran, and what it did stays.
    repl.define("var i = 0;");
    interrupt(&mut repl, "while true { i = i + 1 }");
    repl.check("i > 0", "true");
    // A later evaluation is not interrupted by the earlier Ctrl-C.
    repl.check("{ var j = 0; while j < 100000 { j = j + 1 }; j }", "100000");
    repl.quit();
}

#[test]
fn ctrl_c_interrupts_endless_recursion_and_handlers() {
    let dir = TempDir::new("ctrl_c_calls");
    let mut repl = Repl::start(&dir);
    // Tail calls: no loop, only calls.
    repl.define("fn spin(n) { spin(n + 1) }");
    interrupt(&mut repl, "spin(0)");
    // A loop of effects inside a handler.
    repl.define("effect Tick()");
    interrupt(
        &mut repl,
        "handle { while true { suspend Tick() } } with { Tick(), k => resume k(()) }",
    );
    // Handlers and effects still work afterwards.
    repl.check("handle suspend Tick() with { Tick(), _ => 7 }", "7");
    repl.check(
        "handle { suspend Tick(); 1 } with { Tick(), k => resume k(()) + 1 }",
        "2",
    );
    repl.check("1 + 1", "2");
    repl.quit();
}

#[test]
fn shared_data_echoes_at_once_and_ctrl_c_stops_printing_it() {
    let dir = TempDir::new("ctrl_c_print");
    let mut repl = Repl::start(&dir);
    // 41 nodes standing for a tree of 2^40 leaves, terabytes of text: the echo of the
    // definition prints only the line it shows (it printed the whole tree before).
    let echo = repl.enter("var t = Leaf; for i in 0..40 { t = Node(t, t) }");
    if !echo.starts_with("var t = Node(Node(Node(") || !echo.ends_with("…\n") {
        repl.fail(&format!("the echo of t is {echo:?}"));
    }
    // Ctrl-C stops printing the value of an entry, and printing inside the program, at
    // once; the session goes on.
    for line in ["t", "str(t)", "println(t)"] {
        let took = interrupt(&mut repl, line);
        assert!(
            took < Duration::from_secs(1),
            "{line:?}: {took:?} after Ctrl-C\n{}",
            repl.transcript
        );
    }
    repl.check("1 + 1", "2");
    repl.quit();
}

#[test]
fn ctrl_d_exits_with_status_0() {
    let dir = TempDir::new("ctrl_d");
    let mut repl = Repl::start(&dir);
    repl.check("1 + 1", "2");
    repl.send(ControlCode::EndOfTransmission);
    assert_eq!(repl.wait_exit(), 0, "{}", repl.transcript);
}

#[test]
fn ctrl_d_in_an_unfinished_entry_discards_it_and_keeps_the_session() {
    let dir = TempDir::new("ctrl_d_more");
    let mut repl = Repl::start(&dir);
    repl.define("let kept = 1;");
    repl.enter_more("fn f(x) {");
    repl.send(ControlCode::EndOfTransmission);
    let (said, prompt) = repl.until_prompt();
    // The line editor ends the line of the prompt first.
    assert_eq!(
        said.trim_start(),
        "(unfinished entry discarded; Ctrl-D again to leave)\n"
    );
    assert_eq!(prompt, Prompt::Main, "{}", repl.transcript);
    // The session goes on: the discarded entry defined nothing, earlier ones stay.
    repl.error("f(1)", "unknown name f");
    repl.check("kept + 1", "2");
    repl.send(ControlCode::EndOfTransmission);
    assert_eq!(repl.wait_exit(), 0, "{}", repl.transcript);
}

#[test]
fn ctrl_d_after_an_error_exits_with_status_0() {
    let dir = TempDir::new("ctrl_d_error");
    let mut repl = Repl::start(&dir);
    repl.error("1 / 0", "division by zero");
    repl.send(ControlCode::EndOfTransmission);
    assert_eq!(repl.wait_exit(), 0, "{}", repl.transcript);
}

// ---------------------------------------------------------------------------------------------
// Commands.

#[test]
fn tab_completes_names_commands_and_file_names() {
    let dir = TempDir::new("completion");
    write_file(dir.path(), "tab_target.kont", "let from_file = 5;\n");
    let mut repl = Repl::start(&dir);
    // A name the session defined, completed in the middle of a line.
    repl.define("let completion_target = 41;");
    repl.check("completion_t\t + 1", "42");
    // A keyword and a built-in.
    repl.define("effect Tick()");
    repl.check(
        "hand\t suspend Tick() with { Tick(), _ => pri\tln(7) }",
        "7",
    );
    // A command, and a file name after :load (the REPL runs in `dir`).
    let help = repl.enter(":he\t");
    assert!(help.contains("Tab completes"), "{help}");
    repl.check(":load tab_t\t", "tab_target.kont defined let from_file");
    repl.check("from_file", "5");
    repl.quit();
}

#[test]
fn help_command() {
    let dir = TempDir::new("help");
    let mut repl = Repl::start(&dir);
    let help = repl.enter(":help");
    for needle in [
        ":help",
        ":load",
        ":quit",
        ":trace on",
        ":trace stacks",
        ":trace off",
        ":conts",
        "Ctrl-D",
        "Ctrl-C",
    ] {
        assert!(help.contains(needle), "{needle} missing from :help: {help}");
    }
    assert!(!help.starts_with("error"), "{help}");
    // Leading spaces are fine; the REPL carries on.
    let again = repl.enter("  :help");
    assert_eq!(again, help);
    repl.check("1 + 1", "2");
    repl.quit();
}

#[test]
fn load_command_runs_a_file_in_the_session() {
    let dir = TempDir::new("load");
    let file = write_file(
        dir.path(),
        "lib.kont",
        "// a library\n\
         effect Ask()\n\
         fn triple(x) { x * 3 }\n\
         let loaded = 7;\n\
         var counter = 0;\n\
         println(\"loading\");\n",
    );
    let mut repl = Repl::start(&dir);
    repl.check(
        &format!(":load {}", file.display()),
        &format!(
            "loading\n{} defined effect Ask, fn triple, let loaded, var counter",
            file.display()
        ),
    );
    repl.check("triple(loaded)", "21");
    repl.silent("counter = counter + 1;");
    repl.check("counter", "1");
    repl.check("handle suspend Ask() with { Ask(), k => resume k(5) }", "5");
    // A relative path (the REPL's current directory), and the short form.
    repl.check(
        ":l lib.kont",
        "loading\nlib.kont defined effect Ask, fn triple, let loaded, var counter",
    );
    // Loading again re-runs the file in the same session: counter is a fresh 0.
    repl.check("counter", "0");
    repl.quit();
}

#[test]
fn load_command_errors_do_not_end_the_session() {
    let dir = TempDir::new("load_errors");
    let mut repl = Repl::start(&dir);
    repl.define("let before = 1;");
    // A file that does not exist, and no file at all.
    let missing = dir.path().join("missing.kont");
    let report = repl.error(&format!(":load {}", missing.display()), "cannot read");
    assert!(report.contains("missing.kont"), "{report}");
    repl.error(":load", ":load needs a file name");
    // A file with a parse error: located in that file; nothing of it is defined.
    let bad = write_file(dir.path(), "bad.kont", "fn ok() { 1 }\nlet = 2;\n");
    let report = repl.error(&format!(":load {}", bad.display()), "unexpected token");
    assert!(report.contains("bad.kont:2:5"), "{report}");
    repl.error("ok()", "unknown name ok");
    // A file with an unfinished entry is a parse error, not a continuation.
    let open = write_file(dir.path(), "open.kont", "fn f(x) {\n  x\n");
    let report = repl.error(&format!(":load {}", open.display()), "");
    assert!(report.contains("open.kont"), "{report}");
    // A file with a runtime error: what ran before the error stays.
    let fails = write_file(dir.path(), "fails.kont", "let ran = 3;\n1 / 0;\n");
    let report = repl.error(&format!(":load {}", fails.display()), "division by zero");
    assert!(report.contains("fails.kont:2:1"), "{report}");
    repl.check("ran + before", "4");
    repl.quit();
}

#[test]
fn unknown_command_is_an_error_and_the_repl_continues() {
    let dir = TempDir::new("unknown_command");
    let mut repl = Repl::start(&dir);
    repl.define("let x = 5;");
    let report = repl.error(":frobnicate", "unknown command");
    assert!(report.contains(":frobnicate"), "{report}");
    repl.error(":", "unknown command");
    repl.check("x", "5");
    repl.quit();
}

#[test]
fn quit_command_exits_with_status_0() {
    let dir = TempDir::new("quit");
    let mut repl = Repl::start(&dir);
    repl.check("1", "1");
    let transcript = repl.quit();
    assert!(!transcript.contains("error"), "{transcript}");
    // The short form too.
    let mut repl = Repl::start(&dir);
    repl.send_line(":q");
    assert_eq!(repl.wait_exit(), 0, "{}", repl.transcript);
}

// ---------------------------------------------------------------------------------------------
// The REPL keeps running after any error; definitions made before it stay.

#[test]
fn keeps_running_after_a_parse_error() {
    let dir = TempDir::new("parse_error");
    let mut repl = Repl::start(&dir);
    repl.define("let before = 1;");
    let report = repl.error("let = 3;", "unexpected token `=`");
    assert!(report.contains("<repl:2>:1:5"), "{report}");
    assert!(report.contains("let = 3;"), "{report}");
    assert!(report.contains('^'), "{report}");
    repl.error("1 + )", "unexpected token");
    repl.error("1 < 2 < 3", "");
    repl.error("\"bad \\q escape\"", "");
    repl.check("before + 1", "2");
    repl.quit();
}

#[test]
fn keeps_running_after_a_compile_error() {
    let dir = TempDir::new("compile_error");
    let mut repl = Repl::start(&dir);
    repl.define("let before = 1;");
    repl.error("y + 1", "unknown name y");
    repl.error("return 5", "return outside a function");
    repl.error("suspend Nope()", "unknown effect Nope");
    // A failed entry defines nothing, even what comes before the error in it.
    repl.error("let a = 1; b", "unknown name b");
    repl.error("a", "unknown name a");
    repl.check("before + 1", "2");
    repl.quit();
}

#[test]
fn keeps_running_after_a_runtime_error() {
    let dir = TempDir::new("runtime_error");
    let mut repl = Repl::start(&dir);
    repl.define("let before = 1;");
    let report = repl.error("1 / 0", "division by zero");
    assert!(report.contains("backtrace"), "{report}");
    repl.error("9223372036854775807 + 1", "integer overflow");
    repl.error("head([])", "head of empty list");
    repl.error("match 3 { 1 => 1 }", "no pattern matched");
    repl.error("array(2, 0)[5]", "index out of range");
    repl.error("5(1)", "not a function");
    repl.define("fn two(a, _b) { a }");
    repl.error("two(1)", "wrong number of arguments: two expects 2, got 1");
    repl.error("assert(false, \"boom\")", "assertion failed: boom");
    // What ran before the error in the same entry stays.
    repl.define("var progress = 0;");
    repl.error("progress = 1; 1 / 0; progress = 2;", "division by zero");
    repl.check("progress", "1");
    repl.check("before + 1", "2");
    repl.quit();
}

#[test]
fn keeps_running_after_an_unhandled_effect() {
    let dir = TempDir::new("unhandled_effect");
    let mut repl = Repl::start(&dir);
    repl.define("effect Boom()");
    repl.define("effect Other()");
    repl.error("suspend Boom()", "unhandled effect Boom");
    // Not handled by the handler around it either.
    repl.error(
        "handle suspend Boom() with { Other(), _ => 0 }",
        "unhandled effect Boom",
    );
    repl.check("handle suspend Boom() with { Boom(), _ => 1 }", "1");
    repl.check("1 + 1", "2");
    repl.quit();
}

#[test]
fn keeps_running_after_a_double_resume() {
    let dir = TempDir::new("double_resume");
    let mut repl = Repl::start(&dir);
    repl.define("effect Ask()");
    repl.error(
        "handle suspend Ask() + 1 with { Ask(), k => { resume k(1); resume k(2) } }",
        "continuation already resumed",
    );
    repl.define("var ks = [];");
    repl.check(
        "handle { suspend Ask(); 1 } with { Ask(), k => { ks = [k]; 0 } }",
        "0",
    );
    repl.silent("discontinue head(ks)");
    repl.error("resume (head(ks))(())", "continuation already resumed");
    repl.check("handle suspend Ask() with { Ask(), k => resume k(3) }", "3");
    repl.quit();
}

#[test]
fn evaluates_deeply_nested_expressions_and_keeps_running() {
    // Such an entry exhausted the program's stack and ended the session. It is loaded from a
    // file: typing 60,000 characters through the line editor would take minutes.
    let dir = TempDir::new("deep_nesting");
    let n = 30_000;
    let sum = vec!["1"; n].join(" + ");
    let calls = format!("{}0{}", "inc(".repeat(n), ")".repeat(n));
    let deepest = vec!["1"; 99_000].join(" + ");
    let source = format!(
        "fn inc(x) {{ x + 1 }}\nlet sum = {sum};\nlet calls = {calls};\nvar g = fn() {{ {deepest} }};\n"
    );
    let file = write_file(dir.path(), "deep.kont", &source);
    let mut repl = Repl::start(&dir);
    repl.check(
        &format!(":load {}", file.display()),
        &format!(
            "{} defined fn inc, let sum, let calls, var g",
            file.display()
        ),
    );
    repl.check("sum", &n.to_string());
    repl.check("calls", &n.to_string());
    repl.check("g()", "99000");
    // The last reference to g's code goes while an entry runs, on the program's stack.
    repl.silent("g = fn() { 0 };");
    repl.check("g()", "0");
    repl.check("1 + 2", "3");
    repl.quit();
}

#[test]
fn keeps_running_after_a_stack_overflow_inside_a_handler() {
    let dir = TempDir::new("stack_overflow");
    let mut repl = Repl::start(&dir);
    repl.define("effect E()");
    repl.define("fn f(n) { 1 + f(n + 1) }");
    let report = repl.error(
        "handle f(0) with { E(), k => resume k(()) }",
        "stack overflow",
    );
    assert!(report.contains("at f ("), "{report}");
    repl.check("1 + 1", "2");
    // Again, then at top level: the guard is still in place.
    repl.error(
        "handle f(0) with { E(), k => resume k(()) }",
        "stack overflow",
    );
    repl.error("f(0)", "stack overflow");
    // Deep (but not too deep) recursion and handlers still work.
    repl.define("fn depth(n) { if n == 0 { 0 } else { 1 + depth(n - 1) } }");
    repl.check("depth(100000)", "100000");
    repl.check(
        "handle suspend E() + depth(10) with { E(), k => resume k(1) }",
        "11",
    );
    repl.quit();
}

// ---------------------------------------------------------------------------------------------
// What an entry shows: its name in reports, definitions echoed, long values cut, colour.

#[test]
fn entry_locations_name_the_entry() {
    let dir = TempDir::new("entry_names");
    let mut repl = Repl::start(&dir);
    repl.check("1 + 1", "2");
    repl.check("fn half(n) { 10 / n }", "fn half(n)");
    // A command is not an entry; a failing entry is one.
    repl.check(":set", "print: short");
    let report = repl.error("half(0)", "division by zero");
    assert!(report.contains("┌─ <repl:2>:1:14"), "{report}");
    assert!(report.contains("at half (<repl:2>:1:14)"), "{report}");
    assert!(report.contains("at <main> (<repl:3>:1:1)"), "{report}");
    // An entry of several lines is one entry, counted once.
    repl.enter_more("{");
    repl.enter_more("  1");
    repl.check("}", "1");
    let report = repl.error("  nope", "unknown name nope");
    assert!(report.contains("┌─ <repl:5>:1:3"), "{report}");
    repl.quit();
}

#[test]
fn definitions_echo_what_they_define() {
    let dir = TempDir::new("echo");
    let mut repl = Repl::start(&dir);
    repl.check(
        "fn fact(n) { if n < 2 { 1 } else { n * fact(n - 1) } }",
        "fn fact(n)",
    );
    repl.check("let x = 5", "let x = 5");
    repl.check(
        "var (a, (_, b)) = (1, (2, \"s\"));",
        "var a = 1\nvar b = \"s\"",
    );
    repl.check(
        "effect Ask(question, default)",
        "effect Ask(question, default)",
    );
    repl.silent("let _ = 3;");
    // Definitions first, then the entry's value.
    repl.check(
        "fn g() { 1 } let y = g() + 1; fact(y)",
        "fn g()\nlet y = 2\n2",
    );
    // A long value is cut to the line.
    let echo = repl.enter("let long = range(0, 1000)");
    assert!(echo.starts_with("let long = [0, 1, 2, 3,"), "{echo}");
    assert!(echo.ends_with("…\n") && echo.lines().count() == 1, "{echo}");
    assert!(echo.trim_end().chars().count() < 200, "{echo}");
    // An entry that fails echoes nothing, though what ran before the error is defined.
    let report = repl.error("let z = 1; let w = 1 / 0;", "division by zero");
    assert!(!report.lines().any(|l| l == "let z = 1"), "{report}");
    repl.check("z", "1");
    repl.quit();
}

#[test]
fn long_values_are_cut_to_a_screen_unless_print_is_full() {
    let dir = TempDir::new("long_values");
    let mut repl = Repl::start(&dir);
    // The terminal is 200 columns by 50 rows: 48 lines of 200 characters are shown.
    let text = repl.enter("range(0, 3000)");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("[0, 1, 2,"), "{text}");
    assert_eq!(lines[0].chars().count(), 200 * 48 + 1, "{text}");
    assert!(lines[0].ends_with('…'), "{text}");
    let full_len = repl.enter("len(str(range(0, 3000)))");
    let full_len: usize = full_len.trim().parse().unwrap();
    assert_eq!(
        lines[1],
        format!(
            "({} more characters not shown; :set print full shows everything)",
            group(full_len - 200 * 48)
        )
    );
    repl.silent(":set print full");
    repl.check(":set", "print: full");
    let text = repl.enter("range(0, 3000)");
    assert_eq!(text.trim_end().chars().count(), full_len, "{text}");
    assert!(text.trim_end().ends_with("2998, 2999]"));
    repl.silent(":set print short");
    assert_eq!(repl.enter("range(0, 3000)").lines().count(), 2);
    let report = repl.enter(":set print everything");
    assert!(
        report.starts_with("error: unknown :set print everything"),
        "{report}"
    );
    repl.quit();
}

/// `n` with `,` between thousands.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[test]
fn reports_are_coloured_on_a_terminal_unless_no_color_is_set() {
    let dir = TempDir::new("colour");
    let mut repl = Repl::start(&dir);
    repl.send_line("nope");
    let raw = repl
        .session
        .expect("kont> ")
        .expect("a prompt after the error");
    let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    assert!(
        raw.contains("\x1b[1;31merror\x1b[0m: unknown name nope"),
        "{raw:?}"
    );
    // The screen as the terminal got it, escape codes and all (`cat` it in a terminal).
    let screens = Path::new(env!("CARGO_TARGET_TMPDIR")).join("repl-screens");
    fs::create_dir_all(&screens).unwrap();
    fs::write(screens.join("coloured-error.ansi"), &raw).unwrap();
    repl.quit();

    let mut repl = Repl::start_env(Home::Dir(dir.path()), dir.path(), &[("NO_COLOR", "1")]);
    repl.send_line("nope");
    let raw = repl
        .session
        .expect("kont> ")
        .expect("a prompt after the error");
    let raw = String::from_utf8_lossy(raw.as_bytes()).into_owned();
    assert!(raw.contains("error: unknown name nope"), "{raw:?}");
    assert!(
        !raw.contains("\x1b[1;31m") && !raw.contains("\x1b[2m"),
        "{raw:?}"
    );
    repl.quit();
}

/// What the REPL printed (stdout, stderr) and whether it exited 0, run with `input` piped
/// to it (not a terminal), `TERM=xterm` and no `NO_COLOR`.
fn piped_repl(input: &[u8]) -> (String, String, bool) {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kont"))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn a_continuation_held_across_entries_keeps_its_frames_from_the_entries_that_made_them() {
    // Every entry keeps frame records: `asker` and `top` were compiled before an entry
    // named `backtrace`.
    let input = b"effect Ask()\nvar saved = ()\nfn asker() { let v = suspend Ask(); v }\n\
        fn top() { let r = asker(); r }\nhandle top() with { Ask(), k => { saved = k } }\n\
        println(1 + 1)\nbacktrace(saved)\nresume saved(3)\nbacktrace(saved)\n";
    let (stdout, stderr, success) = piped_repl(input);
    assert_eq!(stderr, "");
    assert!(
        stdout.ends_with("2\n[\"at asker (<repl:3>:1:22)\", \"at top (<repl:4>:1:20)\"]\n3\n[]\n"),
        "{stdout:?}"
    );
    assert!(success);
}

#[test]
fn no_colour_when_the_output_is_not_a_terminal() {
    let (stdout, stderr, success) = piped_repl(b"let x = 1\nnope\nlet u = 1; 2\n");
    assert!(
        stderr.starts_with("error: unknown name nope\n"),
        "{stderr:?}"
    );
    assert!(stdout.contains("let x = 1\n"), "{stdout:?}");
    assert!(
        !stderr.contains('\x1b') && !stdout.contains('\x1b'),
        "{stdout:?} {stderr:?}"
    );
    assert!(success);
}

#[test]
fn a_piped_line_that_is_not_utf8_is_skipped_and_the_session_goes_on() {
    let (stdout, stderr, success) = piped_repl(b"println(1)\n\xff\xfe\nprintln(2)\n");
    assert!(stdout.ends_with("1\n2\n"), "{stdout:?}");
    assert_eq!(
        stderr,
        "error: a line of input is not valid UTF-8; it was skipped\n"
    );
    assert!(success);
}

#[test]
fn the_readme_session_prints_what_the_readme_shows() {
    // README.md's "A first session" is a transcript: each `kont> ` line is typed, and what
    // follows it up to the next prompt is what the REPL must print.
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let session = readme
        .split("## A first session")
        .nth(1)
        .and_then(|rest| rest.split("```text\n").nth(1))
        .and_then(|block| block.split("\n```").next())
        .expect("README.md has a ```text transcript under \"A first session\"");
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in session.lines() {
        match line.strip_prefix(PROMPT) {
            Some(typed) => steps.push((typed.to_string(), String::new())),
            None => {
                let (_, said) = steps
                    .last_mut()
                    .expect("the transcript starts with a prompt");
                said.push_str(line);
                said.push('\n');
            }
        }
    }
    assert!(steps.len() >= 5, "{steps:?}");
    let dir = TempDir::new("readme_session");
    let mut repl = Repl::start(&dir);
    for (typed, said) in &steps {
        let got = repl.enter(typed);
        if &got != said {
            repl.fail(&format!(
                "{typed:?} printed {got:?}, README.md shows {said:?}"
            ));
        }
    }
    repl.quit();
}
