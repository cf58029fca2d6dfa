//! kont: a virtual machine for a small language with first-class effect handlers.
//!
//! The pipeline (see `docs/architecture.md`):
//! source text → [`syntax`] (logos lexer, LALRPOP parser) → AST → [`resolve`] (names to
//! slots, captures, tail positions) → [`ir`] → [`compile`] (a tree of Rust closures, made
//! once) → [`runtime`] (values, calls, effect handlers) on [`stack`] (native stacks and the
//! x86_64 switch, the only `unsafe` code).
//!
//! The CLI, the REPL and the tests all enter through [`Session::eval`].

pub mod compile;
pub mod definitions;
pub mod diagnostic;
pub mod inspect;
pub mod interrupt;
pub mod ir;
pub mod operator;
pub mod resolve;
pub mod runtime;
pub mod source_file;
pub mod source_map;
pub mod span;
pub mod stack;
pub mod stdlib;
pub mod syntax;
pub mod trace;

use std::io::Write;
use std::rc::Rc;

use diagnostic::{Report, Severity};
use runtime::function::Closure;
use runtime::value::Value;
use runtime::{ErrorKind, Vm, print};
use source_map::SourceMap;
use trace::event::Event;
use trace::{TraceSettings, Tracer};

/// How an evaluation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The parser reached the end of the input while it still expected more (the REPL then
    /// reads another line).
    Incomplete,
    /// A parse or compile error (exit status 2).
    Compile,
    /// A runtime error (exit status 1).
    Runtime,
    /// Ctrl-C (SIGINT) stopped the program: the runtime error `interrupted` (exit status
    /// 130, 128 + SIGINT).
    Interrupted,
    /// SIGTERM stopped the program: its output was flushed; an empty report and exit status
    /// 143 (128 + SIGTERM).
    Terminated,
    /// The program called `exit(code)`: its output was flushed; an empty report and that
    /// exit status.
    Exit(u8),
    /// The program's output was closed by its reader (`kont prog.kont | head -1`): the
    /// program stopped quietly, with an empty report and exit status 141 (128 + SIGPIPE, what
    /// a shell shows for a command that a closed pipe stopped).
    OutputClosed,
}

/// A failed evaluation: its kind and the rendered report (for stderr).
#[derive(Debug, Clone)]
pub struct Failure {
    /// Which kind of failure.
    pub kind: FailureKind,
    /// The rendered diagnostic, ending in a newline.
    pub report: String,
}

impl Failure {
    /// The process exit status for this failure.
    pub fn exit_status(&self) -> i32 {
        match self.kind {
            FailureKind::Runtime => 1,
            FailureKind::Compile | FailureKind::Incomplete => 2,
            FailureKind::Interrupted => 130,
            FailureKind::OutputClosed => 141,
            FailureKind::Terminated => 143,
            FailureKind::Exit(code) => i32::from(code),
        }
    }
}

/// How a session compiles and runs programs. The CLI builds it from its flags and
/// environment; the library reads no setting of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Compile every construct to its general closure only, none of the specialised
    /// closures of the common shapes (see [`compile::compile_unit`]): slower, with the same
    /// results, which the tests check by running programs both ways. `kont --generic`, or
    /// `KONT_GENERIC=1`.
    pub generic: bool,
    /// Run tail-resumptive handler clauses without switching stacks (the fast path; see
    /// `docs/effects.md`). Off, they take the slow path, with the same results, which the
    /// tests check. On by default; `KONT_FAST_RESUME=0` turns it off.
    pub fast_resume: bool,
    /// The address space reserved for each native stack, in MiB (1 MiB when `None`; see
    /// [`stack::set_stack_mb`]). The size is fixed once per process, by the first session
    /// that runs a program: a later session's setting, or one out of range, is ignored.
    /// `KONT_STACK_MB`.
    pub stack_mb: Option<usize>,
    /// Trace the effect events of the session's programs, as these settings say (see
    /// [`trace`] and docs/trace.md): their effect constructs are compiled to traced code.
    /// `kont --trace`, `--trace=stacks`, `--trace-limit N`; the REPL's `:trace`. `None`
    /// compiles no traced code at all.
    pub trace: Option<TraceSettings>,
    /// Report a unit's warnings as errors and run nothing of it (`kont --deny-warnings`): a
    /// compile failure, exit status 2.
    pub deny_warnings: bool,
    /// Compile every unit, and the library, with frame records, for `backtrace` (see
    /// [`runtime::frames`]): the REPL's entries, a later one of which may name it. Without
    /// it, a session compiles records from the first unit that names `backtrace` on
    /// (see [`Session::keeps_frame_records`]).
    pub record_frames: bool,
}

impl Default for Options {
    /// The specialised closures, the fast path, 1 MiB stacks, warnings only warn.
    fn default() -> Options {
        Options {
            generic: false,
            fast_resume: true,
            stack_mb: None,
            trace: None,
            deny_warnings: false,
            record_frames: false,
        }
    }
}

/// A kont session: the definitions made so far and where output goes. A script is one
/// session with one evaluation; the REPL evaluates each entry in the same session.
pub struct Session {
    /// The definitions made so far (globals and effect operations), visible to every later
    /// evaluation.
    env: resolve::Env,
    /// The runtime state every evaluation of the session shares: output, arguments,
    /// operations, and every source text evaluated (for error reports, printed
    /// continuations and traces).
    vm: Rc<Vm>,
    /// How the session compiles programs.
    options: Options,
    /// The session's tracer, if it traces: then every unit is compiled to traced code.
    tracer: Option<Tracer>,
    /// Where the warnings of each unit are written, before it runs (discarded unless
    /// [`Session::show_warnings`] says where).
    warnings: Box<dyn Write>,
    /// What the last evaluation defined at its top level, if it ran to its end (see
    /// [`Session::definitions`]).
    defined: Vec<definitions::Definition>,
    /// Whether units are compiled with frame records, for `backtrace` (see
    /// [`Session::keeps_frame_records`]): once one is, every later one is.
    records: bool,
}

/// The most warnings shown for one unit: a generated program may have thousands, each shown
/// with its source line.
const MAX_WARNINGS_SHOWN: usize = 50;

/// The standard library's functions that take a function, in kont (see
/// `src/stdlib/prelude.kont`).
pub(crate) const PRELUDE: &str = include_str!("stdlib/prelude.kont");

/// The most memory, in bytes, that parsing, resolving and compiling a source takes per token
/// of it: 160, the largest measured over shapes of code (dense arithmetic `1+1+…`, long
/// lists, chains of lambdas waiting on the parser's stack up to the nesting bound), of which
/// ordinary code takes about half. A source whose tokens times this does not fit in the
/// memory the process may have (the machine's, and the address space left under `ulimit
/// -v`) is refused before it is parsed (docs/architecture.md, "Front end").
pub const FRONT_END_BYTES_PER_TOKEN: u64 = 160;

/// A source shorter than this many bytes takes too little memory to compile to be counted
/// first: 400 KiB, which cannot take more than 64 MiB (a byte per token at most).
const UNCOUNTED_SOURCE: u64 = (64 << 20) / FRONT_END_BYTES_PER_TOKEN;

/// Checks that compiling `text` (named `name`) fits in the memory the process may have; a
/// compile failure, before anything is parsed, if it does not.
fn front_end_fits(name: &str, text: &str) -> Result<(), Failure> {
    if (text.len() as u64) < UNCOUNTED_SOURCE {
        return Ok(());
    }
    let tokens = syntax::parser::count_tokens(text) as u64;
    runtime::memory::check(name, tokens, FRONT_END_BYTES_PER_TOKEN, "tokens").map_err(|e| Failure {
        kind: FailureKind::Compile,
        report: format!("error: {e}\n  = hint: split the program into smaller files\n"),
    })
}

/// A value as the REPL shows it (see [`Session::show_value`]).
pub struct Shown {
    /// Its text: all of it, or the beginning.
    pub text: String,
    /// Whether `text` is all of it.
    pub whole: bool,
}

/// A suspended continuation the session holds (see [`Session::held_continuations`]).
pub struct HeldContinuation {
    /// Where: a global's name and the path inside its value (`gens[2]`; see [`inspect`]).
    pub path: String,
    /// Its id in the trace (`3` for `k3`), if the tracer numbered it.
    pub id: Option<u32>,
    /// The operation it is suspended at and its arguments, abbreviated as the trace shows
    /// them: `Yield(3)`.
    pub operation: String,
    /// Where it suspended: `FILE:LINE:COLUMN`, or `standard library`.
    pub at: String,
    /// Where its computation started, if the tracer saw it start (it was recording then):
    /// the place of the `handle` whose body it is, or of the `cont`, as the trace shows a
    /// place (`at FILE:LINE:COLUMN`, `in the standard library`).
    pub started: Option<String>,
}

impl Session {
    /// A session printing to `out`, whose `args()` are `args`, compiling and running
    /// programs as `options` says.
    pub fn new(out: Box<dyn Write>, args: Vec<String>, options: Options) -> Session {
        if let Some(mb) = options.stack_mb {
            // Out of range, or too late: the stacks keep the size they have.
            let _ = stack::set_stack_mb(mb);
        }
        let vm = Rc::new(Vm::new(out, args, options.fast_resume));
        let mut session = Session {
            env: resolve::Env::for_prelude(),
            tracer: options.trace.map(|t| Tracer::new(t, vm.clone())),
            vm,
            options,
            warnings: Box::new(std::io::sink()),
            defined: Vec::new(),
            records: options.record_frames,
        };
        session.load_prelude();
        session
    }

    /// Compiles and runs the prelude (which only defines functions), and makes its
    /// functions the library of the session's environment. The prelude is kont's own and
    /// always compiles; should running it fail (no memory for a stack), its functions stay
    /// undefined and calling one is a runtime error, as any evaluation would fail then.
    fn load_prelude(&mut self) {
        self.env = resolve::Env::with_library(&self.prelude());
    }

    /// Compiles (as the session compiles now) and runs the prelude; returns the
    /// environment it was resolved in, which holds its functions.
    fn prelude(&self) -> resolve::Env {
        let mut env = resolve::Env::for_prelude();
        let source = self.vm.sources.borrow_mut().add_library(PRELUDE);
        if let Ok(program) = syntax::parse_program(PRELUDE)
            && let Ok(resolve::Resolved { unit, .. }) = resolve::resolve_program(program, &mut env)
        {
            let main = self.compile(&unit, source);
            let _ = runtime::effects::run_root(
                &self.vm,
                Closure::new(main, runtime::value::Values::default()),
            );
        }
        env
    }

    /// Compiles every unit from now on with frame records, for `backtrace`, and the
    /// library again with them, so that its frames show: for the first unit that names
    /// `backtrace`. The session's environment finds the new library's functions from then
    /// on; what earlier units made of the old one keeps it.
    fn start_records(&mut self) {
        self.records = true;
        let prelude = self.prelude();
        self.env.set_library(&prelude);
    }

    /// Whether the session compiles its units with frame records, which `backtrace` reads
    /// (see [`runtime::frames`]): from the first unit that names the built-in `backtrace`
    /// on (a name resolved to it, not the word in a string or a comment, nor a variable or
    /// function of the program's called so), or from the start with
    /// [`Options::record_frames`]. A unit with records pays a record on each of its calls.
    pub fn keeps_frame_records(&self) -> bool {
        self.records
    }

    /// Resolves `program`, parsed from `text`, the text of source `source`, in the
    /// session's environment; a unit that names `backtrace` first is parsed and resolved
    /// again once records are on, against the library compiled with them (the resolver
    /// consumes the syntax tree, so that it is dropped as soon as it is resolved).
    fn resolve(
        &mut self,
        program: syntax::ast::Program,
        text: &str,
        source: u32,
    ) -> Result<resolve::Resolved, Failure> {
        let resolved = resolve::resolve_program(program, &mut self.env).map_err(|e| Failure {
            kind: FailureKind::Compile,
            report: self.vm.sources.borrow().render(
                &e.message(),
                source,
                e.span,
                e.hint().as_deref(),
                &[],
            ),
        })?;
        if !resolved.names_backtrace || self.records {
            return Ok(resolved);
        }
        self.env.undo_unit();
        self.start_records();
        let again = syntax::parse_program(text).expect("a text that parsed parses again");
        self.resolve(again, text, source)
    }

    /// Parses, compiles and runs `text` (named `name` in reports). Returns the value of a
    /// final expression without `;`, if there is one.
    pub fn eval(&mut self, name: &str, text: &str) -> Result<Option<Value>, Failure> {
        front_end_fits(name, text)?;
        // A text that does not parse is reported from a map of its own: it never runs, so no
        // later report can point into it, and the REPL, which parses an unfinished entry
        // again after every line, would otherwise keep a copy of each attempt.
        let program = syntax::parse_program(text).map_err(|e| {
            let mut own = SourceMap::default();
            let source = own.add(name, text);
            Failure {
                kind: if e.at_eof() {
                    FailureKind::Incomplete
                } else {
                    FailureKind::Compile
                },
                report: own.render_report(&Report {
                    secondary: &e.secondary(),
                    hint: e.hint().as_deref(),
                    ..Report::error(&e.message(), source, e.span)
                }),
            }
        })?;
        self.defined.clear();
        let defined = definitions::of_program(&program);
        let source = self.vm.sources.borrow_mut().add(name, text);
        let resolved = self.resolve(program, text, source)?;
        let unit = self.warn(source, resolved)?;
        *self.vm.effects.borrow_mut() = self.env.operations().to_vec();
        let main = self.compile(&unit, source);
        // The IR is not needed to run the code made of it.
        let has_value = unit.has_value;
        drop(unit);
        let traced = self.tracer.as_ref().map(Tracer::install);
        let result = runtime::effects::run_root(
            &self.vm,
            Closure::new(main, runtime::value::Values::default()),
        );
        drop(traced);
        runtime::function::drop_deferred_code();
        let flushed = self.flush();
        if self.vm.output_closed.get() {
            return Err(Failure {
                kind: FailureKind::OutputClosed,
                report: String::new(),
            });
        }
        match result {
            Ok(v) => flushed.map(|()| {
                self.defined = defined;
                has_value.then_some(v)
            }),
            Err(e) => match (&e.kind, flushed) {
                (&runtime::ErrorKind::Exit(code), Ok(())) => Err(Failure {
                    kind: FailureKind::Exit(code),
                    report: String::new(),
                }),
                (_, flushed) => Err(self.runtime_failure(&e, source, flushed.err())),
            },
        }
    }

    /// Sends where warnings go: the CLI and the REPL show them on standard error. Each
    /// evaluation writes its unit's warnings there before the unit runs.
    pub fn show_warnings(&mut self, out: Box<dyn Write>) {
        self.warnings = out;
    }

    /// Reports the warnings of `resolved`, a unit of `source`, and returns the unit to run;
    /// with [`Options::deny_warnings`], a unit with warnings is a compile failure that
    /// reports them as errors, and what it defined is undone.
    fn warn(&mut self, source: u32, resolved: resolve::Resolved) -> Result<ir::Unit, Failure> {
        let deny = self.options.deny_warnings && !resolved.warnings.is_empty();
        let severity = if deny {
            Severity::Error
        } else {
            Severity::Warning
        };
        let shown = resolved.warnings.len().min(MAX_WARNINGS_SHOWN);
        let sources = self.vm.sources.borrow();
        let mut report: String = resolved.warnings[..shown]
            .iter()
            .map(|w| {
                sources.render_report(&Report {
                    severity,
                    secondary: &w.secondary(),
                    hint: Some(&w.hint()),
                    ..Report::error(&w.message(), source, w.span)
                })
            })
            .collect();
        drop(sources);
        let hidden = resolved.warnings.len() - shown;
        if hidden > 0 {
            report.push_str(&format!("{severity}: {hidden} more warnings not shown\n"));
        }
        if deny {
            self.env.undo_unit();
            return Err(Failure {
                kind: FailureKind::Compile,
                report,
            });
        }
        let _ = self.warnings.write_all(report.as_bytes());
        let _ = self.warnings.flush();
        Ok(resolved.unit)
    }

    /// Compiles `unit`, from source `source`, as the session's options say (traced if the
    /// session has a tracer).
    fn compile(&self, unit: &ir::Unit, source: u32) -> Rc<runtime::function::Proto> {
        compile::compile_unit(
            unit,
            source,
            self.options.generic,
            self.tracer.is_some(),
            self.records,
        )
    }

    /// The failure of an evaluation of `source` that stopped with the runtime error `e`,
    /// after which the output could not be flushed if `unflushed`: a signal that is waiting
    /// says that it stopped the program ([`interrupt::signal`]).
    fn runtime_failure(
        &self,
        e: &runtime::RuntimeError,
        source: u32,
        unflushed: Option<Failure>,
    ) -> Failure {
        let kind = match interrupt::signal() {
            Some(interrupt::Signal::Terminate) => {
                return Failure {
                    kind: FailureKind::Terminated,
                    report: String::new(),
                };
            }
            Some(interrupt::Signal::Interrupt) => FailureKind::Interrupted,
            None => FailureKind::Runtime,
        };
        let sources = self.vm.sources.borrow();
        // The first place in the program's own code: an error in the library is shown
        // where the program called it.
        let own = e.trace.iter().find_map(|frame| match frame {
            runtime::TraceFrame::Call { source, span, .. } if !sources.is_library(*source) => {
                Some((*source, *span))
            }
            _ => None,
        });
        let (src, span) = match (e.trace.first(), own) {
            (Some(runtime::TraceFrame::Call { source, .. }), Some(own))
                if sources.is_library(*source) =>
            {
                own
            }
            (Some(runtime::TraceFrame::Call { source, span, .. }), _) => (*source, *span),
            _ => (source, e.site),
        };
        let mut report = sources.render_report(&Report {
            hint: e.hint().as_deref(),
            ..Report::error(&e.message(), src, span)
        });
        report.push_str(&sources.render_backtrace(&e.trace));
        report.push_str(&sources.render_suspended(&e.suspended));
        if let Some(unflushed) = unflushed {
            report.push_str(&unflushed.report);
        }
        Failure { kind, report }
    }

    /// Writes out the program's buffered output. A closed pipe is the failure
    /// [`FailureKind::OutputClosed`]; any other failure is a runtime one reported as `error:
    /// cannot write output: REASON`.
    pub fn flush(&self) -> Result<(), Failure> {
        runtime::stdio::flush_output(&self.vm).map_err(|kind| {
            if self.vm.output_closed.get() {
                Failure {
                    kind: FailureKind::OutputClosed,
                    report: String::new(),
                }
            } else {
                Failure {
                    kind: FailureKind::Runtime,
                    report: format!("error: {kind}\n"),
                }
            }
        })
    }

    /// Traces the session's programs as `settings` say from now on (the REPL's `:trace`).
    /// A session made without [`Options::trace`] gets a tracer here: only the code it
    /// compiles from now on is traced.
    pub fn set_trace(&mut self, settings: TraceSettings) {
        match &self.tracer {
            Some(tracer) => tracer.set(settings),
            None => self.tracer = Some(Tracer::new(settings, self.vm.clone())),
        }
    }

    /// How the session traces, if it has a tracer.
    pub fn trace_settings(&self) -> Option<TraceSettings> {
        self.tracer.as_ref().map(Tracer::settings)
    }

    /// The events recorded so far with [`trace::Sink::Collect`] (for the HTML page), which
    /// the session no longer keeps; none without a tracer.
    pub fn take_trace(&mut self) -> Vec<Event> {
        self.tracer
            .as_ref()
            .map(Tracer::take_events)
            .unwrap_or_default()
    }

    /// Whether the trace stopped at its limit ([`TraceSettings::limit`]).
    pub fn trace_limit_reached(&self) -> bool {
        self.tracer.as_ref().is_some_and(Tracer::limit_reached)
    }

    /// The text of the source evaluated under `name` (a file's path, `<eval>`, `<repl:N>`;
    /// the last one of that name), as the places of trace events refer to it.
    pub fn source_text(&self, name: &str) -> Option<String> {
        self.vm
            .sources
            .borrow()
            .text_named(name)
            .map(str::to_string)
    }

    /// The suspended continuations the session holds in its global variables and the data
    /// inside them (the REPL's `:conts`), and whether the search stopped at
    /// [`inspect::MAX_VALUES`] values.
    pub fn held_continuations(&self) -> (Vec<HeldContinuation>, bool) {
        let walk = inspect::suspended_in(self.env.global_values(), inspect::MAX_VALUES);
        let _naming = print::naming_by(&self.vm);
        let held = walk
            .suspended
            .into_iter()
            .filter_map(|found| {
                let runtime::effects::State::Suspended(point, args) = found.k.state() else {
                    return None;
                };
                let shown: &[Value] = match (point.argc, &args) {
                    (0, _) => &[],
                    (2.., Value::Tuple(fields)) => &fields.0,
                    _ => std::slice::from_ref(&args),
                };
                let vm = &self.vm;
                let name = vm
                    .effects
                    .borrow()
                    .get(point.op as usize)
                    .map(|(n, _)| n.clone());
                let args = match &self.tracer {
                    Some(tracer) => tracer.show_args(shown),
                    None => trace::show::values(shown, &|_| None).join(", "),
                };
                let tracer = self.tracer.as_ref();
                Some(HeldContinuation {
                    id: tracer.and_then(|t| t.k_id(&found.k)),
                    started: tracer
                        .and_then(|t| t.started_at(&found.k))
                        .map(|p| trace::text::place(&p)),
                    path: found.path,
                    operation: format!("{}({args})", name.as_deref().unwrap_or("?")),
                    at: vm.sources.borrow().location(point.source, point.start),
                })
            })
            .collect();
        (held, walk.cut)
    }

    /// How the REPL shows a value: like data inside a list (strings quoted), a continuation
    /// named by this session's operations and sources; printed up to about `max` bytes, the
    /// rest left out ([`Shown::whole`]). The error `interrupted` when Ctrl-C stops it.
    pub fn show_value(&self, v: &Value, max: usize) -> Result<Shown, ErrorKind> {
        let _naming = print::naming_by(&self.vm);
        let mut text = String::new();
        match print::write_data(&mut text, v, max) {
            Ok(()) => Ok(Shown { text, whole: true }),
            Err(print::Stop::TooLong) => Ok(Shown { text, whole: false }),
            Err(stop) => Err(*stop.error()),
        }
    }

    /// The top-level definitions of the last evaluation, in source order, if it ran to its
    /// end (none after a failure): the REPL echoes them.
    pub fn definitions(&self) -> &[definitions::Definition] {
        &self.defined
    }

    /// The value of the global `let` or `var` called `name`, if the session has one.
    pub fn global_value(&self, name: &str) -> Option<Value> {
        self.env.value_of(name)
    }

    /// The words that can follow where `prefix` is typed, for the REPL's completion: the
    /// keywords, the built-in functions and the names this session has defined that start
    /// with `prefix`, sorted, each once.
    pub fn completions(&self, prefix: &str) -> Vec<String> {
        let builtins = stdlib::all().map(|b| b.name);
        let mut words: Vec<String> = syntax::lexer::KEYWORDS
            .iter()
            .copied()
            .chain(builtins)
            .chain(self.env.names())
            .filter(|w| w.starts_with(prefix))
            .map(str::to_string)
            .collect();
        words.sort_unstable();
        words.dedup();
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session::new(Box::new(std::io::sink()), Vec::new(), Options::default())
    }

    #[test]
    fn an_error_shows_the_frames_of_the_suspended_computations_it_ends_only() {
        let program = |keep: &str| {
            format!(
                "effect Yield(v)\nvar saved = ();\nfn walk() {{ suspend Yield(1) }}\n\
                 handle walk() with {{ Yield(_), k => {{ {keep}; 1 / 0 }} }}"
            )
        };
        let report = |text: &str| session().eval("<test>", text).unwrap_err().report;
        // Dropped by the error: its frames are shown.
        let dropped = report(&program("()"));
        assert!(
            dropped.contains("the suspended computation (Yield) was at:\n  at walk (<test>:3:13)"),
            "{dropped}"
        );
        // Kept in a variable, it lives on (the REPL could resume it): nothing is shown.
        let kept = report(&program("saved = k"));
        assert!(kept.contains("division by zero"), "{kept}");
        assert!(!kept.contains("suspended computation"), "{kept}");
    }

    #[test]
    fn completions_hold_keywords_builtins_and_definitions() {
        let mut s = session();
        assert_eq!(s.completions("con"), ["cont", "contains"]);
        assert_eq!(s.completions("print"), ["print", "println"]);
        assert_eq!(s.completions("starts"), ["starts_with"]);
        s.eval(
            "<test>",
            "let counter = 1; fn count_up() { 2 } effect Count(n)",
        )
        .unwrap();
        assert_eq!(
            s.completions("co"),
            ["cont", "contains", "count_up", "counter"]
        );
        assert_eq!(s.completions("Co"), ["Count"]);
        assert_eq!(s.completions("zz"), Vec::<String>::new());
    }

    #[test]
    fn an_entry_that_does_not_compile_changes_no_definition() {
        let mut s = session();
        s.eval("<test>", "let a = 1; effect E(x) fn f() { 10 }")
            .unwrap();
        // Redefines a and f, redeclares E with another arity, declares F and defines b:
        // all undone by the unknown name at the end.
        let failed = s.eval(
            "<test>",
            "let a = \"x\"; fn f() { 20 } effect E(x, y) effect F() let b = 2; nope",
        );
        assert_eq!(failed.unwrap_err().kind, FailureKind::Compile);
        let value = s.eval(
            "<test>",
            "a + f() + handle suspend E(1) with { E(x), k => x }",
        );
        assert!(matches!(value, Ok(Some(Value::Int(12)))), "{value:?}");
        for unknown in ["b", "suspend F()"] {
            let r = s.eval("<test>", unknown);
            assert_eq!(r.unwrap_err().kind, FailureKind::Compile, "{unknown}");
        }
        // F is gone; the built-in Fail stays.
        assert_eq!(s.completions("F"), ["Fail"]);
        // The operation ids the failed entry took are given back: G gets F's.
        s.eval(
            "<test>",
            "effect G() handle suspend G() with { G(), k => 0 }",
        )
        .unwrap();
    }

    /// Output whose writes succeed and whose flush fails with the OS error `code`.
    struct FailingFlush(i32);

    impl Write for FailingFlush {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(self.0))
        }
    }

    #[test]
    fn a_failed_final_flush_is_reported_and_a_closed_pipe_is_quiet() {
        let mut full = Session::new(Box::new(FailingFlush(28)), Vec::new(), Options::default());
        let failure = full.eval("<test>", "println(1)").unwrap_err();
        assert_eq!(failure.kind, FailureKind::Runtime);
        assert_eq!(
            failure.report,
            "error: cannot write output: No space left on device\n"
        );
        // After a runtime error the failed flush is reported too.
        let failure = full.eval("<test>", "1 / 0").unwrap_err();
        assert!(failure.report.starts_with("error: division by zero"));
        assert!(
            failure
                .report
                .ends_with("error: cannot write output: No space left on device\n")
        );
        let mut closed = Session::new(Box::new(FailingFlush(32)), Vec::new(), Options::default());
        let failure = closed.eval("<test>", "println(1)").unwrap_err();
        assert_eq!(
            (failure.kind, failure.exit_status()),
            (FailureKind::OutputClosed, 141)
        );
        assert_eq!(failure.report, "");
    }

    /// Output that keeps what is written, shared with the test that reads it (the library's
    /// tests use it too).
    #[derive(Clone, Default)]
    pub(crate) struct Kept(pub(crate) Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Kept {
        /// What was written so far.
        pub(crate) fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.borrow()).into_owned()
        }
    }

    #[test]
    fn warnings_go_where_the_session_shows_them_and_the_unit_runs() {
        let (out, warnings) = (Kept::default(), Kept::default());
        let mut s = Session::new(Box::new(out.clone()), Vec::new(), Options::default());
        s.eval("<test>", "fn f(x) { 1 } println(f(2))").unwrap();
        assert_eq!(out.text(), "1\n");
        // Discarded until the session is told where they go.
        s.show_warnings(Box::new(warnings.clone()));
        s.eval("<test>", "fn g(y) { 2 } println(g(3))").unwrap();
        assert_eq!(out.text(), "1\n2\n");
        assert!(
            warnings
                .text()
                .starts_with("warning: unused parameter `y`\n"),
            "{}",
            warnings.text()
        );
        assert!(warnings.text().contains("<test>:1:6"));
    }

    #[test]
    fn a_unit_with_many_warnings_shows_the_first_ones() {
        let warnings = Kept::default();
        let mut s = session();
        s.show_warnings(Box::new(warnings.clone()));
        let lets = "let x = 1; ".repeat(MAX_WARNINGS_SHOWN + 7);
        s.eval("<test>", &format!("fn f() {{ {lets} }}")).unwrap();
        let text = warnings.text();
        let shown = text.matches("warning: unused variable `x`").count();
        assert_eq!(shown, MAX_WARNINGS_SHOWN);
        assert!(
            text.ends_with("warning: 7 more warnings not shown\n"),
            "{text}"
        );
    }

    #[test]
    fn denied_warnings_are_errors_and_undo_the_unit() {
        let options = Options {
            deny_warnings: true,
            ..Options::default()
        };
        let out = Kept::default();
        let mut s = Session::new(Box::new(out.clone()), Vec::new(), options);
        s.eval("<test>", "let a = 1; fn f() { 10 }").unwrap();
        let failure = s
            .eval("<test>", "let a = 2; fn f(x) { 20 } effect E() println(3)")
            .unwrap_err();
        assert_eq!(
            (failure.kind, failure.exit_status()),
            (FailureKind::Compile, 2)
        );
        assert!(
            failure.report.starts_with("error: unused parameter `x`"),
            "{}",
            failure.report
        );
        assert_eq!(out.text(), "", "nothing ran");
        let value = s.eval("<test>", "a + f()").unwrap();
        assert!(matches!(value, Some(Value::Int(11))), "{value:?}");
        assert_eq!(s.completions("E"), Vec::<String>::new());
    }

    #[test]
    fn only_a_unit_that_names_the_builtin_backtrace_keeps_frame_records() {
        let records = |text: &str| {
            let mut s = session();
            s.eval("<test>", text).unwrap();
            s.keeps_frame_records()
        };
        // The word in a string or a comment, or a name of the program's own: no records.
        assert!(!records("println(\"backtrace\") // backtrace(k)"));
        assert!(!records("fn backtrace(k) { k } println(backtrace(1))"));
        assert!(!records("let backtrace = 2; println(backtrace)"));
        assert!(!records("fn f(backtrace) { backtrace } println(f(3))"));
        assert!(!records(
            "fn f() { let backtrace = 4; backtrace } println(f())"
        ));
        // The built-in, called or not: records.
        assert!(records("fn f(k) { backtrace(k) } println(1)"));
        assert!(records("let _b = backtrace;"));
        // A unit that does not compile runs nothing, and starts nothing.
        let mut s = session();
        assert!(s.eval("<test>", "backtrace(").is_err());
        assert!(s.eval("<test>", "backtrace(nope)").is_err());
        assert!(!s.keeps_frame_records());
    }

    #[test]
    fn frame_records_start_with_the_first_unit_that_names_backtrace() {
        let out = Kept::default();
        let mut s = Session::new(Box::new(out.clone()), Vec::new(), Options::default());
        // A computation suspended by code compiled without records: its frames are not
        // known.
        s.eval(
            "<test>",
            "effect Yield(x) var saved = (); fn walk() { suspend Yield(1) } \
             handle walk() with { Yield(_), k => { saved = k } }",
        )
        .unwrap();
        assert!(!s.keeps_frame_records());
        s.eval("<test>", "println(backtrace(saved))").unwrap();
        assert!(s.keeps_frame_records());
        // From then on, every unit keeps them, whether it names `backtrace` or not.
        s.eval(
            "<test>",
            "fn walk2() { suspend Yield(2) } handle walk2() with { Yield(_), k => { saved = k } }",
        )
        .unwrap();
        s.eval("<test>", "println(backtrace(saved))").unwrap();
        assert_eq!(
            out.text(),
            "[\"... earlier frames were compiled without records\"]\n\
             [\"at walk2 (<test>:1:14)\"]\n"
        );
    }

    #[test]
    fn a_session_told_to_keep_frame_records_keeps_them_from_the_start() {
        let options = Options {
            record_frames: true,
            ..Options::default()
        };
        let s = Session::new(Box::new(std::io::sink()), Vec::new(), options);
        assert!(s.keeps_frame_records());
    }

    #[test]
    fn a_name_defined_twice_is_completed_once() {
        let mut s = session();
        s.eval("<test>", "var total = 1;").unwrap();
        s.eval("<test>", "var total = 2;").unwrap();
        assert_eq!(s.completions("tot"), ["total"]);
        assert!(s.completions("").len() > 30);
    }
}
