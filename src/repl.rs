//! The interactive REPL.
//!
//! Definitions persist between entries (one [`Session`]). An entry that ends while the parser
//! still expects more continues on the next line. Ctrl-C clears the line being typed, or
//! interrupts a running evaluation; Ctrl-D or `:quit` leaves. History is kept in
//! `~/.kont_history` when there is a home directory. Tab completes keywords, built-ins and
//! the session's names, the `:` commands, and file names after `:load` ([`Completion`]).
//! `:trace on`, `:trace stacks` and `:trace off` turn the text trace of effect events
//! (docs/trace.md) on and off; the session compiles every entry traced, so that turning it
//! on shows what functions defined before do. `:conts` lists the suspended continuations
//! the session's variables hold.
//!
//! Entries are named `<repl:1>`, `<repl:2>`, … in reports, so that a place in an earlier
//! entry is told apart. An entry that defines something echoes it; a long value is cut to
//! a screen (`:set print full` prints it all) ([`show`]); reports are coloured on a
//! terminal ([`colour`]). Ctrl-D in an unfinished entry discards it and keeps the session.

mod colour;
mod show;

use std::cell::{Cell, RefCell};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use colour::{ColouredStderr, Palette};
use kont::runtime::ErrorKind;
use kont::runtime::print::MAX_PRINTED;
use kont::trace::TraceSettings;
use kont::{FailureKind, Options, Session};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use show::Screen;

/// What `:help` prints.
const HELP: &str = "\
Type kont statements and expressions; an expression's value is printed.
Definitions (let, var, fn, effect) stay for the rest of the session.
An unfinished entry continues on the next line.
  :help          this text
  :load FILE     run a file in this session
  :trace on      trace effect events (handle, suspend, resume, …) on stderr
  :trace stacks  the same, and the switches between native stacks
  :trace off     stop tracing
  :conts         the suspended continuations the session's variables hold
  :set print full   print long values whole
  :set print short  cut a value longer than a screen (the default)
  :quit          leave (or press Ctrl-D)
Tab completes names, commands and (after :load) file names.
Ctrl-C clears the current entry or interrupts a running program;
Ctrl-D discards an unfinished entry, and leaves at an empty prompt.
Colour is off when NO_COLOR is set or the output is not a terminal.";

/// The `:` commands, for completion.
const COMMANDS: &[&str] = &[":conts", ":help", ":load", ":quit", ":set", ":trace"];

/// Tab completion for the line editor: a name (keywords, built-ins and what the session has
/// defined), a `:` command at the start of the line, or a file name after `:load`. A word
/// that one candidate fits is completed; Tab again on an ambiguous one lists them.
struct Completion {
    /// The session, asked for the names a word may complete to ([`Session::completions`])
    /// when Tab is pressed: the line editor runs only between evaluations, when nothing
    /// else borrows it. (Collecting every name after every entry made a paste of thousands
    /// of definitions quadratic.)
    session: Rc<RefCell<Session>>,
    /// Completes the file name after `:load`.
    files: FilenameCompleter,
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let trimmed = before.trim_start();
        if trimmed.starts_with(":l ") || trimmed.starts_with(":load ") {
            return self.files.complete(line, pos, ctx);
        }
        if trimmed.starts_with(':') && !trimmed.contains(char::is_whitespace) {
            let start = pos - trimmed.len();
            return Ok((start, candidates(COMMANDS.iter().copied(), trimmed)));
        }
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let word = &before[start..];
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok((pos, Vec::new()));
        }
        // The session's completions already start with `word`.
        let words = match self.session.try_borrow() {
            Ok(session) => session.completions(word),
            Err(_) => Vec::new(),
        };
        Ok((start, words.into_iter().map(pair).collect()))
    }
}

/// The words that start with `prefix`, as completion candidates.
fn candidates<'a>(words: impl Iterator<Item = &'a str>, prefix: &str) -> Vec<Pair> {
    words
        .filter(|w| w.starts_with(prefix))
        .map(|w| pair(w.to_string()))
        .collect()
}

/// A completion candidate shown and inserted as `word`.
fn pair(word: String) -> Pair {
    Pair {
        display: word.clone(),
        replacement: word,
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}

/// The program's standard output. It remembers whether the last byte written ended a line:
/// when a program leaves a line unfinished (`print("a")`), the REPL ends it before printing
/// anything else, because the line editor clears the current line when it draws its prompt.
struct ProgramOut {
    /// Whether the last byte written ended a line; shared with the REPL, which ends an
    /// unfinished line before printing and sets it again.
    at_line_start: Rc<Cell<bool>>,
}

impl Write for ProgramOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = std::io::stdout().write(buf)?;
        if n > 0 {
            self.at_line_start.set(buf[n - 1] == b'\n');
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// Where the history is kept, `~/.kont_history`; `None` when there is no home directory.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".kont_history"))
}

/// Runs the REPL, compiling and running entries as `options` says, until the user leaves.
/// Every entry is compiled traced; tracing records nothing until `:trace on` (or
/// `kont --trace` with no program).
pub fn run(options: Options) -> ExitCode {
    let quiet = TraceSettings {
        recording: false,
        ..TraceSettings::default()
    };
    let options = Options {
        trace: Some(options.trace.unwrap_or(quiet)),
        record_frames: true,
        ..options
    };
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<Completion, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(1);
        }
    };
    let palette = Palette::detect();
    let at_line_start = Rc::new(Cell::new(true));
    let out = ProgramOut {
        at_line_start: at_line_start.clone(),
    };
    let mut session = Session::new(Box::new(out), Vec::new(), options);
    session.show_warnings(Box::new(ColouredStderr::new(palette)));
    let session = Rc::new(RefCell::new(session));
    editor.set_helper(Some(Completion {
        session: session.clone(),
        files: FilenameCompleter::new(),
    }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    if !std::io::stdin().is_terminal() {
        // The line editor then reads through the same buffer as `read_line`.
        kont::runtime::stdio::share_with_line_editor();
    }
    println!(
        "kont {} — :help for help, Ctrl-D to quit",
        env!("CARGO_PKG_VERSION")
    );
    let mut repl = Repl {
        session,
        at_line_start,
        palette,
        print_full: false,
        screen: Screen::DEFAULT,
        entries: 0,
    };
    repl.read_eval_print(&mut editor);
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}

/// How many lines that are not UTF-8 the REPL skips before it takes its input for
/// something else than text and stops.
const MAX_BAD_LINES: usize = 1000;

/// The REPL's state between entries.
struct Repl {
    /// The session every entry runs in.
    session: Rc<RefCell<Session>>,
    /// Whether the program's output so far ends with a newline (see [`ProgramOut`]).
    at_line_start: Rc<Cell<bool>>,
    /// Colour, or none.
    palette: Palette,
    /// `:set print full`: values are printed whole however long.
    print_full: bool,
    /// The terminal's size, as last asked before an entry ran.
    screen: Screen,
    /// How many entries have been run (`<repl:N>` names the next one `N + 1`).
    entries: usize,
}

impl Repl {
    /// Reads entries and commands from `editor` and runs them until the user leaves.
    fn read_eval_print(&mut self, editor: &mut Editor<Completion, DefaultHistory>) {
        let mut entry = Entry::default();
        let mut bad_lines = 0;
        loop {
            let prompt = if entry.text.is_empty() {
                "kont> "
            } else {
                "  ... "
            };
            let read = editor.readline(prompt);
            self.screen = editor
                .dimensions()
                .map_or(Screen::DEFAULT, |(cols, rows)| Screen {
                    cols: cols.into(),
                    rows: rows.into(),
                });
            match read {
                Ok(line) => {
                    if entry.text.is_empty() && line.trim_start().starts_with(':') {
                        let _ = editor.add_history_entry(line.as_str());
                        if !self.command(line.trim()) {
                            break;
                        }
                        continue;
                    }
                    entry.push(&line);
                    if !entry.worth_parsing() {
                        continue;
                    }
                    let name = format!("<repl:{}>", self.entries + 1);
                    if self.evaluate(&name, &entry.text, true) {
                        self.entries += 1;
                        let _ = editor.add_history_entry(entry.text.trim_end());
                        entry = Entry::default();
                    }
                }
                Err(ReadlineError::Interrupted) => entry = Entry::default(),
                Err(ReadlineError::Eof) if !entry.text.is_empty() => {
                    let note = "(unfinished entry discarded; Ctrl-D again to leave)";
                    eprintln!("{}", self.palette.dim(note));
                    entry = Entry::default();
                }
                Err(ReadlineError::Eof) => break,
                // A line that is not UTF-8 (from a pipe: a terminal's line editor never
                // gives one) is skipped, not the end of the session; its bytes were read.
                Err(ReadlineError::Io(e))
                    if e.kind() == std::io::ErrorKind::InvalidData && bad_lines < MAX_BAD_LINES =>
                {
                    bad_lines += 1;
                    eprintln!("error: a line of input is not valid UTF-8; it was skipped");
                    entry = Entry::default();
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    break;
                }
            }
        }
    }

    /// Evaluates one entry (`typed`) or file; returns false when a typed entry is
    /// incomplete and more lines are needed.
    fn evaluate(&mut self, name: &str, text: &str, typed: bool) -> bool {
        kont::interrupt::clear();
        let result = self.session.borrow_mut().eval(name, text);
        kont::interrupt::clear();
        if !self.at_line_start.replace(true) {
            println!();
        }
        let session = self.session.borrow();
        match result {
            Ok(v) => {
                if let Err(e) = self.echo(&session, name, v, typed) {
                    let _ = std::io::stdout().flush();
                    eprint!("{}", self.palette.report(&show::error(&e)));
                }
            }
            Err(f) if f.kind == FailureKind::Incomplete && typed => return false,
            // Nothing can be shown any more: the REPL's own output is gone.
            Err(f) if f.kind == FailureKind::OutputClosed => std::process::exit(f.exit_status()),
            // `exit(code)` ends the session with that status.
            Err(f) if matches!(f.kind, FailureKind::Exit(_)) => std::process::exit(f.exit_status()),
            Err(f) => {
                let _ = std::io::stdout().flush();
                eprint!("{}", self.palette.report(&f.report));
            }
        }
        true
    }

    /// After an entry (`typed`) or the file `name` ran to its end with the value `v`: echoes
    /// what it defined and prints its value. The error `interrupted` if Ctrl-C stops
    /// printing a value, and `value too long to print` for one past `print::MAX_PRINTED`
    /// bytes printed whole (`:set print full`).
    fn echo(
        &self,
        session: &Session,
        name: &str,
        v: Option<kont::runtime::value::Value>,
        typed: bool,
    ) -> Result<(), ErrorKind> {
        if typed {
            for def in session.definitions() {
                print!(
                    "{}",
                    show::definition(def, session, self.screen, self.palette)?
                );
            }
        } else {
            self.loaded(name, session);
        }
        if let Some(v) = v.filter(|v| !matches!(v, kont::runtime::value::Value::Unit)) {
            let shown = session.show_value(&v, MAX_PRINTED)?;
            if self.print_full && !shown.whole {
                return Err(ErrorKind::TooLongToPrint);
            }
            print!(
                "{}",
                show::value(&shown, self.screen, self.print_full, self.palette)
            );
        }
        Ok(())
    }

    /// After `:load FILE` ran: one line naming what the file defined, cut to the screen.
    fn loaded(&self, name: &str, session: &Session) {
        if let Some(line) = show::loaded(name, session.definitions(), self.screen, self.palette) {
            print!("{line}");
        }
    }

    /// Runs a `:` command; returns false to leave the REPL.
    fn command(&mut self, line: &str) -> bool {
        let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        match cmd {
            ":quit" | ":q" => return false,
            ":help" | ":h" => println!("{HELP}"),
            ":load" | ":l" if !arg.trim().is_empty() => {
                let path = arg.trim();
                match kont::source_file::read(std::path::Path::new(path)) {
                    Ok(text) => {
                        self.evaluate(path, &text, false);
                    }
                    Err(message) => eprintln!("error: {message}"),
                }
            }
            ":load" | ":l" => eprintln!("error: :load needs a file name"),
            ":trace" => trace(&mut self.session.borrow_mut(), arg.trim()),
            ":set" => self.set(arg.split_whitespace().collect::<Vec<_>>().as_slice()),
            ":conts" => conts(&self.session.borrow()),
            other => eprintln!("error: unknown command {other} (try :help)"),
        }
        true
    }

    /// `:set print full`, `:set print short`; `:set` alone shows the settings.
    fn set(&mut self, words: &[&str]) {
        match words {
            [] => println!("print: {}", if self.print_full { "full" } else { "short" }),
            ["print", "full"] => self.print_full = true,
            ["print", "short"] => self.print_full = false,
            _ => eprintln!(
                "error: unknown :set {} (try :set print full or :set print short)",
                words.join(" ")
            ),
        }
    }
}

/// An entry being typed, and what is known of it so far, kept so that each line added costs
/// time for that line alone: a pasted block of 10,000 lines was lexed whole after each.
#[derive(Default)]
struct Entry {
    /// The lines so far, each ended by `\n`.
    text: String,
    /// How many lines.
    lines: usize,
    /// How many lines it had when it was last parsed.
    parsed_at: usize,
    /// How much of `text` (whole lines) has lexed without error: a point where no comment
    /// or string is open, from which the rest lexes on its own.
    lexed: usize,
    /// The brackets `text[..lexed]` leaves open.
    open: i64,
    /// Where the last line starts.
    last_line: usize,
    /// While a string or comment is left open at the end: the text that can close it (`"`
    /// or `*/`). Until a line holds it, the entry is not lexed again (lexing the open string
    /// or comment after every line made a long one quadratic).
    closer: Option<&'static str>,
}

impl Entry {
    /// Adds a line.
    fn push(&mut self, line: &str) {
        self.last_line = self.text.len();
        self.text.push_str(line);
        self.text.push('\n');
        self.lines += 1;
    }

    /// Whether the unfinished entry is to be parsed now (and if so records that). A short
    /// one is parsed after every line; a long one after every sixteenth of its length, or
    /// when its brackets may all be closed: parsing a pasted block of 10,000 lines again
    /// after each took minutes. A syntax error in a long unfinished entry is then reported
    /// a few lines late.
    fn worth_parsing(&mut self) -> bool {
        if self.lines - self.parsed_at >= (self.lines / 16).max(1) || self.may_be_closed() {
            self.parsed_at = self.lines;
            return true;
        }
        false
    }

    /// Whether the entry's brackets may all be closed: true if they are, or if the entry
    /// has a lexical error (then the parser reports it); false while a string or comment is
    /// left open. Lexes only what was added since the last point that lexed.
    fn may_be_closed(&mut self) -> bool {
        use kont::syntax::lexer::{LexErrorKind, open_brackets};
        if let Some(closer) = self.closer
            && !self.text[self.last_line..].contains(closer)
        {
            return false;
        }
        self.closer = None;
        match open_brackets(&self.text[self.lexed..]) {
            Ok(open) => {
                self.lexed = self.text.len();
                self.open += open;
                self.open <= 0
            }
            Err(LexErrorKind::UnterminatedString) => {
                self.closer = Some("\"");
                false
            }
            Err(LexErrorKind::UnterminatedComment) => {
                self.closer = Some("*/");
                false
            }
            Err(_) => true,
        }
    }
}

/// `:trace on`, `:trace stacks`, `:trace off`; `:trace` alone says which is on.
fn trace(session: &mut Session, arg: &str) {
    let now = session.trace_settings().unwrap_or_default();
    let (recording, stacks) = match arg {
        "on" => (true, false),
        "stacks" => (true, true),
        "off" => (false, now.stacks),
        "" => {
            let state = match (now.recording, now.stacks) {
                (false, _) => "off",
                (true, false) => "on",
                (true, true) => "stacks",
            };
            println!("trace: {state}");
            return;
        }
        other => {
            eprintln!("error: unknown :trace {other} (try :trace on, :trace stacks or :trace off)");
            return;
        }
    };
    session.set_trace(TraceSettings {
        recording,
        stacks,
        ..now
    });
}

/// `:conts`: one line per suspended continuation the session's global variables hold
/// (docs/repl.md): its trace id if the trace numbered it, where it is held, the operation it
/// is suspended at and where, and where its computation started if the trace saw it.
fn conts(session: &Session) {
    let (held, cut) = session.held_continuations();
    if held.is_empty() && !cut {
        println!("no suspended continuations in the session's variables");
    }
    for k in &held {
        let id = k.id.map(|id| format!("k{id} = ")).unwrap_or_default();
        let started = match &k.started {
            Some(place) => format!(", started {place}"),
            None => String::new(),
        };
        println!(
            "{id}{}: {}, suspended at {}{started}",
            k.path, k.operation, k.at
        );
    }
    if cut {
        println!(
            "(stopped looking after {} values)",
            kont::inspect::MAX_VALUES
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Entry;

    /// An entry made of `lines`, asked after each whether its brackets may be closed.
    fn closed_after_each(lines: &[&str]) -> Vec<bool> {
        let mut entry = Entry::default();
        lines
            .iter()
            .map(|line| {
                entry.push(line);
                entry.may_be_closed()
            })
            .collect()
    }

    #[test]
    fn brackets_are_counted_over_the_lines_lexed_so_far() {
        assert_eq!(
            closed_after_each(&["fn f(x) {", "  [x, (x)]", "}"]),
            [false, false, true]
        );
        assert_eq!(
            closed_after_each(&["{ {", "}", "} }"]),
            [false, false, true]
        );
    }

    #[test]
    fn a_comment_or_string_open_at_a_line_end_is_lexed_again_with_what_follows() {
        // While the comment or string is open the entry is unfinished; the brackets inside
        // it never count.
        assert_eq!(
            closed_after_each(&["{ /* a {", "b ( */", "1", "}"]),
            [false, false, false, true]
        );
        assert_eq!(
            closed_after_each(&["[\"a", "b\", 1", "]"]),
            [false, false, true]
        );
        assert_eq!(
            closed_after_each(&["\"a", "b", "c\""]),
            [false, false, true]
        );
        // A lexical error is for the parser to report.
        assert_eq!(closed_after_each(&["{ 1 @", "}"]), [true, true]);
    }

    #[test]
    fn a_long_entry_is_parsed_every_sixteenth_of_its_length_while_brackets_are_open() {
        let mut entry = Entry::default();
        entry.push("fn f() {");
        let parsed: Vec<usize> = (2..=64)
            .filter(|_| {
                entry.push("  1;");
                entry.worth_parsing()
            })
            .collect();
        // Every line up to 31 lines, then every second, third and fourth.
        assert_eq!(parsed[..3], [2, 3, 4]);
        assert!(parsed.contains(&31) && !parsed.contains(&32), "{parsed:?}");
        assert!(parsed.windows(2).all(|w| w[1] - w[0] <= 4), "{parsed:?}");
        assert!(!parsed.contains(&63), "{parsed:?}");
    }
}
