//! Differential property test: the fast path against the slow path, and the specialised
//! closures against the generic path.
//!
//! kont runs a tail-resumptive handler clause (`Op(x), k => { …; resume k(e) }`, `k` used
//! nowhere else) and a clause that drops `k` as a plain call on the suspending stack, without
//! capturing a continuation. `KONT_FAST_RESUME=0` turns that fast path off. Its compiler makes
//! specialised closures for common shapes of calls, operators, updates and matches;
//! `KONT_GENERIC=1` makes it compile every construct to its general closure instead. All
//! must give the same results, so this test generates random, well-formed, terminating
//! programs that use effects heavily and runs each one three times with the built binary: on
//! the default path (both variables removed from the environment), with
//! `KONT_FAST_RESUME=0`, and with `KONT_GENERIC=1`. The runs must have identical stdout,
//! stderr (error messages and backtraces) and exit status. One program in [`TRACED_EVERY`]
//! also runs traced (`--trace`, docs/trace.md), on the fast path and on the slow path:
//! tracing must change neither stdout nor the exit status, stderr must end with the
//! untraced run's, and the two traces must be the same (up to [`TRACE_LIMIT`] events). None
//! may crash (a signal, an
//! exit status other than 0, 1 or 2, a Rust panic or an `internal error` on stderr) or hang
//! (a program that runs too long in every run is skipped instead, see [`too_slow`]). Exit status 2 (a compile error) also fails: the
//! generator only writes well-formed programs, so a compile error is a bug of the
//! generator's or of kont's parser.
//!
//! The programs (see [`Gen`]) declare 2–5 operations of arity 0–2 and mix deep handlers
//! (nested, forwarding operations they do not list, clauses that perform operations
//! themselves, towers of hundreds of handlers), clauses of every shape (tail `resume`, in
//! `if`/`match` branches or after a `return`; `resume` then more work; `resume` twice; `k`
//! stored in a list, an option, a local or a closure and resumed later; `k` passed to a
//! function; `k` dropped; `discontinue k`; a shallow `resume k(v) with { … }`; a deep
//! `handle (resume k(v)) with { … }`; continuations named `k` shadowing each other), `cont f`
//! continuations resumed plainly or driven step by step with shallow handlers, functions
//! (some recursive, rarely thousands of levels deep), closures, `var`, loops, lists, arrays,
//! `match`, and rarely a very long operator chain. Every value is an int, every loop is
//! bounded, functions only call functions defined before them (or themselves with a
//! decreasing depth), and continuations are one-shot, so every program terminates. Most run
//! to completion; some end in a runtime error (`continuation already resumed`, rarely
//! `unhandled effect`), which is fine as long as the runs agree. The test also checks that
//! at least half of the programs exit with status 0, so that the generator cannot silently
//! rot into producing only errors.
//!
//! # Running
//!
//! `cargo test --test differential` runs [`DEFAULT_CASES`] programs (about 15 s). Run it
//! longer with an optimised build (about 4 ms a program on 2 cores):
//!
//! ```text
//! KONT_DIFF_CASES=20000 cargo test --release --test differential
//! ```
//!
//! A failure prints the seed, the program, and every run's output, and saves the program in
//! `$CARGO_TARGET_TMPDIR/differential/failure-SEED.kont`. No shrinking is done (a seed does
//! not shrink meaningfully): minimise a failing program by hand. Other knobs:
//!
//! | variable | effect |
//! |---|---|
//! | `KONT_DIFF_CASES=N` | check N programs |
//! | `KONT_DIFF_SEED=SEED` | check only the program of SEED (hex, as printed) |
//! | `KONT_DIFF_SHOW=1` | print every program and its exit status |
//! | `KONT_DIFF_IGNORE='TEXT\|TEXT2'` | pass a program whose runs all print one of the texts on stderr (a known bug, while hunting for others) |

use std::cell::Cell;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use wait_timeout::ChildExt;

mod common;
use common::{FAST_RESUME_VAR, GENERIC_VAR, Paths, after_warnings, kont_command};

/// How many programs `cargo test` checks without `KONT_DIFF_CASES`.
const DEFAULT_CASES: u32 = 2000;

/// How long one run may take before it counts as a hang. Generated programs take a few
/// milliseconds; very rarely one does exponentially much work (see [`too_slow`]).
const TIMEOUT: Duration = Duration::from_secs(6);

/// At most this many bytes of each output stream are kept.
const OUTPUT_CAP: usize = 1 << 20;

/// At most this many characters of each output stream are shown in a failure report.
const SHOWN: usize = 3000;

/// The traced runs trace at most this many events (`--trace-limit`).
const TRACE_LIMIT: &str = "500";

/// One program in this many (by seed) also runs traced: the traced runs nearly double the
/// time of a program, and an eighth of the programs already meet every kind of event.
const TRACED_EVERY: u64 = 8;

// ---------------------------------------------------------------------------------------------
// The test

#[test]
fn fast_slow_and_generic_paths_agree() {
    let show = std::env::var_os("KONT_DIFF_SHOW").is_some();
    let stats = Stats::default();
    if let Ok(seed) = std::env::var("KONT_DIFF_SEED") {
        let seed = u64::from_str_radix(seed.trim_start_matches("0x"), 16)
            .expect("KONT_DIFF_SEED is a hexadecimal u64");
        if let Err(report) = check_seed(seed, &stats, true) {
            panic!("{report}");
        }
        return;
    }

    let cases = env_number("KONT_DIFF_CASES").unwrap_or(DEFAULT_CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // The input is a seed: shrinking it gives unrelated programs, not smaller ones.
        max_shrink_iters: 0,
        ..Config::default()
    });
    let outcome = runner.run(&any::<u64>(), |seed| {
        check_seed(seed, &stats, show).map_err(TestCaseError::fail)
    });
    eprintln!(
        "differential: {} programs, {} exited 0, {} skipped as too slow",
        stats.total.get(),
        stats.succeeded.get(),
        stats.too_slow.get()
    );
    if let Err(error) = outcome {
        panic!("{error}");
    }
    assert!(
        stats.total.get() < 50 || stats.succeeded.get() * 2 >= stats.total.get(),
        "only {} of {} generated programs ran to completion: the generator needs a look",
        stats.succeeded.get(),
        stats.total.get()
    );
    assert!(
        stats.too_slow.get() * 100 <= stats.total.get().max(100),
        "{} of {} generated programs ran too long: the generator needs a look",
        stats.too_slow.get(),
        stats.total.get()
    );
}

#[derive(Default)]
struct Stats {
    total: Cell<u32>,
    succeeded: Cell<u32>,
    /// Programs skipped because they ran too long (see [`too_slow`]).
    too_slow: Cell<u32>,
}

fn env_number(name: &str) -> Option<u32> {
    let text = std::env::var(name).ok()?;
    Some(
        text.replace('_', "")
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {text:?}")),
    )
}

/// Generates the program for `seed`, runs it each way and compares; the error is a report.
fn check_seed(seed: u64, stats: &Stats, show: bool) -> Result<(), String> {
    let program = Gen::new(seed).program();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // One file per process: a long run and `cargo test` may share the target directory.
    let path = dir.join(format!("case-{}.kont", std::process::id()));
    fs::write(&path, &program).map_err(|e| format!("cannot write {}: {e}", path.display()))?;

    // The runs are independent: run them side by side.
    let slow = Paths {
        slow: true,
        ..Paths::default()
    };
    let ways = [
        (
            "default (fast path on)".to_string(),
            Paths::default(),
            false,
        ),
        (format!("{FAST_RESUME_VAR}=0 (slow path)"), slow, false),
        (
            format!("{GENERIC_VAR}=1 (generic path)"),
            Paths {
                generic: true,
                ..Paths::default()
            },
            false,
        ),
        ("--trace (fast path on)".to_string(), Paths::default(), true),
        (
            format!("--trace, {FAST_RESUME_VAR}=0 (slow path)"),
            slow,
            true,
        ),
    ];
    let traced = seed.is_multiple_of(TRACED_EVERY);
    let ways = &ways[..if traced { 5 } else { 3 }];
    let runs: Vec<Outcome> = thread::scope(|s| {
        let threads: Vec<_> = ways
            .iter()
            .map(|(_, paths, traced)| s.spawn(|| run_kont(&path, *paths, *traced)))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("run thread"))
            .collect()
    });
    if show {
        eprintln!("--- seed {seed:016x}: {:?}\n{program}", runs[0].status);
    }
    stats.total.set(stats.total.get() + 1);
    if runs[0].status == Some(Exit::Code(0)) {
        stats.succeeded.set(stats.succeeded.get() + 1);
    }

    if too_slow(&runs) {
        stats.too_slow.set(stats.too_slow.get() + 1);
        let _ = fs::remove_file(&path);
        return Ok(());
    }
    let named: Vec<(&str, &Outcome)> = ways.iter().map(|w| w.0.as_str()).zip(&runs).collect();
    let mut problems = problems(&named[..3]);
    if traced {
        problems.extend(trace_problems(&named[0], &named[3], &named[4]));
    }
    if problems.is_empty() || known_bug(&runs) {
        let _ = fs::remove_file(&path);
        return Ok(());
    }
    let saved = dir.join(format!("failure-{seed:016x}.kont"));
    let _ = fs::write(&saved, &program);
    let mut report = format!(
        "seed {seed:016x} (rerun with KONT_DIFF_SEED={seed:016x}): {}\n\
         program (saved as {}):\n{program}",
        problems.join("; "),
        saved.display(),
    );
    for (name, run) in named {
        let _ = write!(report, "\n=== {name} ===\n{}", run.describe());
    }
    Err(report)
}

/// Whether the program ran too long in every run, so that they cannot be compared: one
/// timed out, and each other timed out too or came near the limit. Programs that do a lot
/// of work are rare but possible: a clause that resumes in non-tail position wraps the rest
/// of the computation, and each further operation reaching it nests one more clause, whose
/// own operations may then pass through all of them.
fn too_slow(runs: &[Outcome]) -> bool {
    let slow_enough = |run: &Outcome| run.status.is_none() || run.elapsed > TIMEOUT / 2;
    runs.iter().any(|run| run.status.is_none()) && runs.iter().all(slow_enough)
}

/// Whether every run's stderr contains one of the `|`-separated texts of
/// `KONT_DIFF_IGNORE` (a known bug, so that a long run can look for others meanwhile).
fn known_bug(runs: &[Outcome]) -> bool {
    let Ok(texts) = std::env::var("KONT_DIFF_IGNORE") else {
        return false;
    };
    texts.split('|').filter(|t| !t.is_empty()).any(|text| {
        runs.iter()
            .all(|run| String::from_utf8_lossy(&run.stderr).contains(text))
    })
}

/// What is wrong with the runs, each named: empty when every run agrees with the first and
/// none crashed.
fn problems(runs: &[(&str, &Outcome)]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, run) in runs {
        if let Some(crash) = run.crash() {
            found.push(format!("{name}: {crash}"));
        }
    }
    let (first_name, first) = runs[0];
    for (name, run) in &runs[1..] {
        if first.status != run.status {
            found.push(format!(
                "exit differs: {:?} ({first_name}) vs {:?} ({name})",
                first.status, run.status
            ));
        }
        if first.stdout != run.stdout {
            found.push(format!("stdout differs: {first_name} vs {name}"));
        }
        if first.stderr != run.stderr {
            found.push(format!("stderr differs: {first_name} vs {name}"));
        }
    }
    found
}

/// What is wrong with the traced runs `fast` and `slow` of a program whose untraced run is
/// `plain`: empty when tracing changed neither its output nor its status nor its warnings
/// and errors (stderr is the untraced one's with the trace after the warnings), and the
/// trace is the same on both paths.
fn trace_problems(
    (plain_name, plain): &(&str, &Outcome),
    fast: &(&str, &Outcome),
    slow: &(&str, &Outcome),
) -> Vec<String> {
    let mut found = Vec::new();
    for (name, run) in [fast, slow] {
        if let Some(crash) = run.crash() {
            found.push(format!("{name}: {crash}"));
        }
        if run.status != plain.status {
            found.push(format!("exit differs: {plain_name} vs {name}"));
        }
        if run.stdout != plain.stdout {
            found.push(format!("stdout differs: {plain_name} vs {name}"));
        }
        let (traced, plain) = (
            String::from_utf8_lossy(&run.stderr),
            String::from_utf8_lossy(&plain.stderr),
        );
        let (traced_rest, plain_rest) = (after_warnings(&traced), after_warnings(&plain));
        let warnings = |all: &str, rest: &str| all[..all.len() - rest.len()].to_string();
        if warnings(&traced, traced_rest) != warnings(&plain, plain_rest)
            || !traced_rest.ends_with(plain_rest)
        {
            found.push(format!(
                "stderr of {name} is not that of {plain_name} with a trace after the warnings"
            ));
        }
    }
    if fast.1.stderr != slow.1.stderr {
        found.push(format!("traces differ: {} vs {}", fast.0, slow.0));
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Exit {
    Code(i32),
    Signal(i32),
}

impl From<ExitStatus> for Exit {
    fn from(status: ExitStatus) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Code(-1),
        }
    }
}

struct Outcome {
    /// `None` when the run timed out and was killed.
    status: Option<Exit>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
}

impl Outcome {
    /// Why this run counts as a crash, if it does.
    fn crash(&self) -> Option<String> {
        let stderr = String::from_utf8_lossy(&self.stderr);
        match self.status {
            None => Some(format!("timed out after {TIMEOUT:?}")),
            Some(Exit::Signal(signal)) => Some(format!("killed by signal {signal}")),
            Some(Exit::Code(2)) => Some("compile error: the generator wrote a bad program".into()),
            Some(Exit::Code(code)) if !(0..=1).contains(&code) => {
                Some(format!("exit status {code}"))
            }
            _ if stderr.contains("panicked") => Some("Rust panic".into()),
            _ if stderr.contains("internal error") => Some("internal error".into()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        format!(
            "exit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            shown(&self.stdout),
            shown(&self.stderr)
        )
    }
}

/// The end of `bytes` (where runs usually differ), at most [`SHOWN`] characters.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let count = text.chars().count();
    if count <= SHOWN {
        return text.into_owned();
    }
    let tail: String = text.chars().skip(count - SHOWN).collect();
    format!("[… {} characters before]\n{tail}", count - SHOWN)
}

/// Runs the binary on `path`, on `paths`, `traced` or not, killing it on timeout.
fn run_kont(path: &Path, paths: Paths, traced: bool) -> Outcome {
    let mut command = kont_command(paths);
    if traced {
        command.args(["--trace", "--trace-limit", TRACE_LIMIT]);
    }
    command.arg(path);
    let started = Instant::now();
    let mut child = command.spawn().expect("cannot start kont");
    let stdout = child.stdout.take().map(|p| thread::spawn(move || drain(p)));
    let stderr = child.stderr.take().map(|p| thread::spawn(move || drain(p)));
    let status = match child.wait_timeout(TIMEOUT).expect("cannot wait for kont") {
        Some(status) => Some(Exit::from(status)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };
    let join = |h: Option<thread::JoinHandle<Vec<u8>>>| h.map(|h| h.join().unwrap_or_default());
    Outcome {
        status,
        stdout: join(stdout).unwrap_or_default(),
        stderr: join(stderr).unwrap_or_default(),
        elapsed: started.elapsed(),
    }
}

/// Reads `pipe` to its end, keeping the first [`OUTPUT_CAP`] bytes.
fn drain(mut pipe: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let room = OUTPUT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..n.min(room)]);
    }
    kept
}

// ---------------------------------------------------------------------------------------------
// The generator

/// A small, fast, seedable random number generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A set of operations, by index into [`Gen::ops`].
type OpSet = u32;

/// A declared effect operation; every argument and every result is an int.
struct Op {
    name: String,
    arity: usize,
}

/// A function or closure that can be called with int arguments and returns an int.
#[derive(Clone)]
struct Callable {
    name: String,
    arity: usize,
    /// The operations it may perform (unhandled inside it): callers must handle them.
    needs: OpSet,
    /// `name(depth, x)` recursing `depth` levels; `light` ones are cheap enough to recurse
    /// thousands of levels deep.
    recursive: Option<Recursion>,
}

#[derive(Clone, Copy, PartialEq)]
enum Recursion {
    Small,
    Light,
    /// A handler per level: see [`Gen::tower_body`].
    Tower,
}

/// A coroutine driver `drvN(k, v, step)`: resumes `k` with `v` under shallow clauses for
/// `handles`, again after each caught operation.
struct Driver {
    name: String,
    handles: OpSet,
    /// Some clause resumes the coroutine plainly, so later operations go to the caller's
    /// handlers: the coroutine may perform only what the caller handles.
    plain: bool,
}

/// What the generator knows at a point of the program.
#[derive(Clone)]
struct Ctx {
    /// The operations that some handler around this point handles.
    avail: OpSet,
    /// Int variables in scope.
    vars: Vec<String>,
    /// The `var`s among them that may be assigned (loop counters are not).
    mutable: Vec<String>,
    /// Closures in scope.
    closures: Vec<Callable>,
    /// Global functions `0..fn_limit` may be called (keeps the call graph acyclic).
    fn_limit: usize,
    /// `return` is allowed (in a function, a closure, a clause or a handle body).
    may_return: bool,
    /// Nesting depth of expressions and blocks.
    depth: usize,
    /// Nesting depth of loops.
    loops: usize,
    /// No loops, calls, handlers or coroutines: cheap code for deep recursion.
    light: bool,
}

impl Ctx {
    fn deeper(&self) -> Ctx {
        Ctx {
            depth: self.depth + 1,
            ..self.clone()
        }
    }

    fn with_var(&self, name: &str) -> Ctx {
        let mut cx = self.deeper();
        cx.vars.push(name.to_string());
        cx
    }
}

/// Deepest nesting of generated expressions (beyond it, only atoms).
const MAX_DEPTH: usize = 7;

/// The program generator: one per seed.
struct Gen {
    rng: Rng,
    ops: Vec<Op>,
    funcs: Vec<Callable>,
    drivers: Vec<Driver>,
    /// Counter for fresh names.
    fresh: usize,
    /// Expressions left to generate in the current function or main program; when it runs
    /// out, only atoms are generated, which keeps programs small.
    budget: i64,
    /// Calls of recursive functions thousands of levels deep left to generate.
    deep_calls: u32,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng(seed),
            ops: Vec::new(),
            funcs: Vec::new(),
            drivers: Vec::new(),
            fresh: 0,
            budget: 0,
            deep_calls: 1,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn all_ops(&self) -> OpSet {
        (1 << self.ops.len()) - 1
    }

    fn members(&self, set: OpSet) -> Vec<usize> {
        (0..self.ops.len())
            .filter(|i| set & (1 << i) != 0)
            .collect()
    }

    /// A random subset of the operations, of size `1..=max`.
    fn some_ops(&mut self, max: usize) -> OpSet {
        let count = 1 + self.rng.below(max.min(self.ops.len()));
        let mut set = 0;
        for _ in 0..count {
            set |= 1 << self.rng.below(self.ops.len());
        }
        set
    }

    // --- The program -------------------------------------------------------------------------

    /// A whole program: declarations, helpers, drivers, functions, then the main statements.
    fn program(&mut self) -> String {
        let mut out = String::new();
        let names = ["A", "B", "C", "D", "E"];
        for name in names.iter().take(2 + self.rng.below(4)) {
            let arity = self.rng.below(3);
            let params = ["x", "y"][..arity].join(", ");
            let _ = writeln!(out, "effect {name}({params})");
            self.ops.push(Op {
                name: name.to_string(),
                arity,
            });
        }
        out.push_str("var g = 0;\nvar ks = [];\nvar slot = None;\nvar thunks = [];\n");
        out.push_str(&self.helpers());
        for _ in 0..self.rng.below(3) {
            out.push_str(&self.driver());
        }
        for _ in 0..2 + self.rng.below(5) {
            out.push_str(&self.function());
        }
        out.push_str(&self.main());
        out
    }

    /// `sum`; `flush`, `take` and `force` that resume the continuations stored in `ks`, in
    /// `slot` and (inside closures) in `thunks`; `drop_all` that cancels or drops them all;
    /// `resume_it(k, v)`.
    fn helpers(&mut self) -> String {
        let catch_all = self.catch_all();
        format!(
            "fn sum(xs) {{ match xs {{ [] => 0, x :: rest => x + sum(rest) }} }}\n\
             fn flush(v) {{\n\
             var total = 0;\nvar n = 0;\n\
             while n < 6 {{\n\
             match ks {{\n\
             [] => {{ n = 6 }}\n\
             k :: rest => {{\n\
             ks = rest;\n\
             let r = handle (resume k(v + n)) with {{ {catch_all} }};\n\
             println(\"flush \" ++ str(r));\n\
             total = total + r;\n\
             n = n + 1\n\
             }}\n}}\n}}\n\
             total\n}}\n\
             fn take(v) {{\n\
             match slot {{\n\
             Some(k) => {{ slot = None; handle (resume k(v)) with {{ {catch_all} }} }}\n\
             None => 0,\n\
             }}\n}}\n\
             fn force(v) {{\n\
             var total = 0;\nvar n = 0;\n\
             while n < 4 {{\n\
             match thunks {{\n\
             [] => {{ n = 4 }}\n\
             t :: rest => {{\n\
             thunks = rest;\n\
             let r = handle t(v + n) with {{ {catch_all} }};\n\
             println(\"force \" ++ str(r));\n\
             total = total + r;\n\
             n = n + 1\n\
             }}\n}}\n}}\n\
             total\n}}\n\
             fn resume_it(k, v) {{ resume k(v) }}\n\
             fn drop_all() {{\n\
             for k in ks {{ discontinue k }}\n\
             ks = [];\n\
             thunks = [];\n\
             match slot {{ Some(k) => {{ slot = None; discontinue k }} None => () }}\n\
             0\n}}\n"
        )
    }

    /// Clauses for every operation, so that a stored continuation resumed from anywhere
    /// finds a handler for whatever it performs.
    fn catch_all(&mut self) -> String {
        let mut clauses = Vec::new();
        for i in 0..self.ops.len() {
            let params = vec!["_"; self.ops[i].arity].join(", ");
            let body = if self.rng.chance(80) {
                format!("resume kk({})", self.rng.range(0, 9))
            } else {
                format!("{}", -self.rng.range(1, 9))
            };
            clauses.push(format!("{}({params}), kk => {body}", self.ops[i].name));
        }
        clauses.join(", ")
    }

    /// A coroutine driver: `drvN(k, v, step)` resumes `k(v)` with shallow clauses, and each
    /// clause either drives the next step, stops (`discontinue`), abandons the coroutine,
    /// stores it, or resumes it plainly.
    fn driver(&mut self) -> String {
        let name = self.fresh("drv");
        let handles = self.some_ops(3);
        let mut plain = false;
        let mut clauses = String::new();
        for op in self.members(handles) {
            let params: Vec<String> = (0..self.ops[op].arity).map(|i| format!("a{i}")).collect();
            let value = params.first().cloned().unwrap_or_else(|| "step".into());
            let body = match self.rng.below(10) {
                0..=4 => format!(
                    "{{ println(\"{name} {} \" ++ str(step) ++ \" \" ++ str({value})); \
                     {name}(nk, {value} + step, step + 1) }}",
                    self.ops[op].name
                ),
                5 => format!(
                    "if step > 2 {{ discontinue nk; step }} else {{ {name}(nk, step, step + 1) }}"
                ),
                6 => format!("{value} + 100"),
                7 => format!("{{ ks = nk :: ks; {value} }}"),
                8 => format!("{{ slot = Some(nk); {value} - 1 }}"),
                _ => {
                    plain = true;
                    format!("resume nk({value}) + 1")
                }
            };
            let _ = writeln!(
                clauses,
                "{}({}), nk => {body},",
                self.ops[op].name,
                params.join(", ")
            );
        }
        if self.rng.chance(60) {
            clauses.push_str("return(r) => r + step * 10,\n");
        }
        self.drivers.push(Driver {
            name: name.clone(),
            handles,
            plain,
        });
        format!("fn {name}(k, v, step) {{\nresume k(v) with {{\n{clauses}}}\n}}\n")
    }

    /// A global function; it may call only the functions generated before it, or itself
    /// with a decreasing depth.
    fn function(&mut self) -> String {
        let name = self.fresh("f");
        let recursive = match self.rng.below(10) {
            0 | 1 => Some(Recursion::Small),
            2 => Some(Recursion::Light),
            3 => Some(Recursion::Tower),
            _ => None,
        };
        let needs = if self.rng.chance(25) && recursive != Some(Recursion::Tower) {
            0
        } else {
            self.some_ops(3)
        };
        let arity = if recursive.is_some() {
            2
        } else {
            self.rng.below(3)
        };
        let params: Vec<String> = (0..arity).map(|i| format!("{name}_p{i}")).collect();
        let cx = Ctx {
            avail: needs,
            vars: params.iter().cloned().chain(["g".to_string()]).collect(),
            mutable: vec!["g".to_string()],
            closures: Vec::new(),
            fn_limit: self.funcs.len(),
            may_return: true,
            depth: 0,
            loops: 0,
            light: recursive == Some(Recursion::Light),
        };
        self.budget = if cx.light { 4 } else { 18 };
        let body = match recursive {
            None => {
                let count = 1 + self.rng.below(4);
                self.block_body(&cx, count)
            }
            Some(Recursion::Tower) => self.tower_body(&name, &cx),
            Some(_) => {
                // name(d, x): the base case, or some work and a call one level down.
                let base = self.expr(&cx);
                let mut inner = cx.clone();
                inner.loops = 9; // no loops: the body runs once per level
                let step = self.expr(&inner);
                let after = self.expr(&inner);
                let call = format!("{name}({0} - 1, {step})", params[0]);
                let rest = if self.rng.chance(30) {
                    call // a tail call
                } else {
                    format!("({call} + {after}) % 1000")
                };
                format!("if {} <= 0 {{ {base} }} else {{ {rest} }}", params[0])
            }
        };
        self.funcs.push(Callable {
            name: name.clone(),
            arity,
            needs,
            recursive,
        });
        format!("fn {name}({}) {{\n{body}\n}}\n", params.join(", "))
    }

    /// The body of `name(d, x)`, a tower of `d` handlers, one per level of recursion, with
    /// the same clauses for (some of) the function's operations at every level, around a
    /// base case that performs operations: they pass through many handlers, some clauses
    /// perform them again outwards (through all the levels, on the fast path with the
    /// handlers masked), some resume in non-tail position (nesting `d` resumes), some
    /// escape or store the continuation.
    fn tower_body(&mut self, name: &str, cx: &Ctx) -> String {
        let (d, x) = (format!("{name}_p0"), format!("{name}_p1"));
        let mut base = String::new();
        for _ in 0..1 + self.rng.below(3) {
            let op = self.suspend_of(cx, cx.avail);
            let _ = writeln!(base, "println({op});");
        }
        let handled = cx.avail & self.some_ops(3);
        let mut clauses = String::new();
        for op in self.members(handled) {
            let op_name = self.ops[op].name.clone();
            let params: Vec<String> = (0..self.ops[op].arity).map(|i| format!("y{i}")).collect();
            let p = params.first().cloned().unwrap_or_else(|| "1".into());
            let again = format!("suspend {op_name}({})", params.join(", "));
            let body = match self.rng.below(7) {
                0 => format!("resume k({p} + 1)"),
                1 => format!("resume k({again})"),
                2 => format!("{{ let r = resume k({p}); (r + 1) % 1000 }}"),
                3 => format!("{p} + {d}"),
                4 => format!("{{ ks = k :: ks; {p} }}"),
                5 => format!("{{ let kk = k; resume kk({p}) }}"),
                _ => format!("if {d} % 2 == 0 {{ resume k({p}) }} else {{ resume k({again}) }}"),
            };
            let _ = writeln!(clauses, "{op_name}({}), k => {body},", params.join(", "));
        }
        if self.rng.chance(30) {
            clauses.push_str("return(r) => r + 1,\n");
        }
        format!(
            "if {d} <= 0 {{\n{base}{x}\n}} else {{\nhandle {name}({d} - 1, {x} + 1) with {{\n{clauses}}}\n}}"
        )
    }

    /// The main statements, at the top level with no handler around.
    fn main(&mut self) -> String {
        let mut cx = Ctx {
            avail: 0,
            vars: vec!["g".into()],
            mutable: vec!["g".into()],
            closures: Vec::new(),
            fn_limit: self.funcs.len(),
            may_return: false,
            depth: 0,
            loops: 0,
            light: false,
        };
        self.budget = 90;
        let mut out = String::new();
        for _ in 0..4 + self.rng.below(8) {
            let stmt = match self.rng.below(12) {
                0 => "println(flush(1));\n".to_string(),
                1 => "println(take(2));\n".to_string(),
                2 => "println(drop_all());\n".to_string(),
                6 => "println(force(5));\n".to_string(),
                3..=5 => format!("println({});\n", self.handled_call(&cx)),
                _ => self.stmt(&mut cx),
            };
            out.push_str(&stmt);
        }
        out.push_str("println(flush(3));\nprintln(take(4));\nprintln(force(6));\nprintln(g);\n");
        out
    }

    // --- Statements --------------------------------------------------------------------------

    /// `count` statements then a final expression: the inside of a block.
    fn block_body(&mut self, cx: &Ctx, count: usize) -> String {
        let mut cx = cx.deeper();
        let mut out = String::new();
        for _ in 0..count {
            out.push_str(&self.stmt(&mut cx));
        }
        out.push_str(&self.expr(&cx));
        out
    }

    /// A block `{ … }` whose value is an int.
    fn block(&mut self, cx: &Ctx) -> String {
        let count = if cx.depth >= MAX_DEPTH || self.budget <= 0 {
            0
        } else {
            self.rng.below(3)
        };
        format!("{{ {} }}", self.block_body(cx, count))
    }

    /// A statement block `{ … }` (its value unused).
    fn stmt_block(&mut self, cx: &Ctx) -> String {
        let mut cx = cx.deeper();
        let mut out = String::from("{\n");
        for _ in 0..1 + self.rng.below(2) {
            out.push_str(&self.stmt(&mut cx));
        }
        out.push('}');
        out
    }

    /// One statement, ending in a newline; `let`, `var` and closures extend `cx`.
    fn stmt(&mut self, cx: &mut Ctx) -> String {
        self.budget -= 1;
        let loops_ok = !cx.light && cx.loops < 2 && cx.depth < MAX_DEPTH;
        match self.rng.below(20) {
            0..=3 => format!("println({});\n", self.expr(cx)),
            4 => {
                let e = self.expr(cx);
                format!("println(\"at {}: \" ++ str({e}));\n", self.fresh("p"))
            }
            5 | 6 => {
                let name = self.fresh("v");
                let e = self.expr(cx);
                cx.vars.push(name.clone());
                format!("let {name} = {e};\n")
            }
            7 | 8 => {
                let name = self.fresh("m");
                let e = self.expr(cx);
                cx.vars.push(name.clone());
                cx.mutable.push(name.clone());
                format!("var {name} = {e};\n")
            }
            9 | 10 => {
                let target = self.rng.pick(&cx.mutable).clone();
                let e = self.expr(cx);
                format!("{target} = ({target} + {e}) % 1000;\n")
            }
            11 if loops_ok => {
                let i = self.fresh("i");
                let mut inner = cx.with_var(&i);
                inner.loops += 1;
                let body = self.stmt_block(&inner);
                format!("for {i} in 0..{} {body}\n", self.rng.below(4))
            }
            12 if loops_ok => {
                let w = self.fresh("w");
                let mut inner = cx.with_var(&w);
                inner.loops += 1;
                let body = {
                    let count = 1 + self.rng.below(2);
                    self.stmts(&inner, count)
                };
                format!(
                    "var {w} = 0;\nwhile {w} < {} {{\n{body}{w} = {w} + 1;\n}}\n",
                    self.rng.below(4)
                )
            }
            13 => {
                let c = self.cond(cx);
                let then = self.stmt_block(cx);
                let otherwise = self.stmt_block(cx);
                format!("if {c} {then} else {otherwise}\n")
            }
            14 if cx.may_return => {
                let c = self.cond(cx);
                let e = self.expr(cx);
                format!("if {c} {{ return {e}; }}\n")
            }
            15 if !cx.light => self.closure_stmt(cx),
            16 => {
                let a = self.fresh("arr");
                let (x, y) = (self.expr(cx), self.expr(cx));
                cx.vars.push(format!("{a}[0]"));
                format!("let {a} = array(2, {x});\n{a}[1] = {y};\n{a}[0] = {a}[0] + {a}[1];\n")
            }
            _ => format!("{};\n", self.expr(cx)),
        }
    }

    /// `let cN = fn(a) { … };`: a closure over the variables in scope, callable later in
    /// this scope (where the same handlers are around).
    fn closure_stmt(&mut self, cx: &mut Ctx) -> String {
        let name = self.fresh("c");
        let param = self.fresh("a");
        let mut inner = cx.with_var(&param);
        inner.may_return = true;
        inner.loops = inner.loops.max(1);
        let body = {
            let count = self.rng.below(3);
            self.block_body(&inner, count)
        };
        cx.closures.push(Callable {
            name: name.clone(),
            arity: 1,
            needs: cx.avail,
            recursive: None,
        });
        format!("let {name} = fn({param}) {{ {body} }};\n")
    }

    // --- Expressions -------------------------------------------------------------------------

    /// A variable or a small literal.
    fn atom(&mut self, cx: &Ctx) -> String {
        if !cx.vars.is_empty() && self.rng.chance(60) {
            self.rng.pick(&cx.vars).clone()
        } else {
            let n = self.rng.range(-3, 12);
            if n < 0 {
                format!("({n})")
            } else {
                n.to_string()
            }
        }
    }

    /// An int-valued expression, parenthesised wherever it could otherwise end an `if` head
    /// or start a statement.
    fn expr(&mut self, cx: &Ctx) -> String {
        self.budget -= 1;
        if cx.depth >= MAX_DEPTH || self.budget <= 0 {
            return self.atom(cx);
        }
        let cx = &cx.deeper();
        // Without a handler around, handlers are the way to get effects going.
        let roll = if cx.avail == 0 && !cx.light && self.rng.chance(30) {
            60
        } else {
            self.rng.below(100)
        };
        match roll {
            0..=19 => self.atom(cx),
            20..=31 => self.arith(cx),
            32..=47 => self.suspend(cx),
            48..=57 if !cx.light => self.call(cx),
            58..=72 if !cx.light => self.handle(cx),
            73..=76 => {
                let (c, a, b) = (self.cond(cx), self.block(cx), self.block(cx));
                format!("(if {c} {a} else {b})")
            }
            77..=80 => self.match_expr(cx),
            81..=83 => format!("({})", self.block(cx)),
            84..=87 if !cx.light => self.coroutine(cx),
            88..=90 => self.list_expr(cx),
            91..=92 => {
                let a = self.fresh("a");
                let body = self.expr(&cx.with_var(&a));
                format!("(fn({a}) => {body})({})", self.expr(cx))
            }
            93 if !cx.light => format!("take({})", self.expr(cx)),
            94 if !cx.light => {
                let helper = if self.rng.chance(50) {
                    "flush"
                } else {
                    "force"
                };
                format!("{helper}({})", self.expr(cx))
            }
            95 if !cx.light && self.rng.chance(20) => self.long_chain(cx),
            _ => self.arith(cx),
        }
    }

    fn arith(&mut self, cx: &Ctx) -> String {
        let (a, b) = (self.expr(cx), self.expr(cx));
        match self.rng.below(8) {
            0..=2 => format!("({a} + {b})"),
            3 | 4 => format!("({a} - {b})"),
            5 => format!("(({a} * {b}) % 1009)"),
            6 => format!("({a} / (abs({b}) + 1))"),
            _ => format!(
                "{}({a}, {b})",
                if self.rng.chance(50) { "min" } else { "max" }
            ),
        }
    }

    fn cond(&mut self, cx: &Ctx) -> String {
        let (a, b) = (self.expr(cx), self.expr(cx));
        let op = *self.rng.pick(&["<", "<=", "==", "!=", ">", ">="]);
        match self.rng.below(6) {
            0 => format!("not ({a} {op} {b})"),
            1 => format!("({a} {op} {b}) and ({a} % 2 == 0)"),
            2 => format!("({a} {op} {b}) or true"),
            _ => format!("({a} {op} {b})"),
        }
    }

    /// `suspend Op(…)` of an operation handled here; very rarely of any operation, which
    /// may be an `unhandled effect` error (every run must report it the same way).
    fn suspend(&mut self, cx: &Ctx) -> String {
        let set = if cx.avail != 0 && !self.rng.chance(1) {
            cx.avail
        } else if self.rng.chance(5) {
            self.all_ops()
        } else {
            return self.arith(cx);
        };
        self.suspend_of(cx, set)
    }

    /// A call of a global function or a closure whose operations are handled here.
    fn call(&mut self, cx: &Ctx) -> String {
        let mut candidates: Vec<Callable> = self.funcs[..cx.fn_limit].to_vec();
        candidates.extend(cx.closures.iter().cloned());
        candidates.retain(|f| f.needs & !cx.avail == 0);
        if candidates.is_empty() {
            return self.arith(cx);
        }
        let f = self.rng.pick(&candidates).clone();
        self.call_of(cx, &f)
    }

    /// A call of `f` with arguments generated in `cx`.
    fn call_of(&mut self, cx: &Ctx, f: &Callable) -> String {
        let mut args: Vec<String> = (0..f.arity).map(|_| self.expr(cx)).collect();
        if let Some(kind) = f.recursive {
            // One deep call site per program: two could nest (each level of one performing
            // an operation whose clause makes the other call), and with clauses resuming in
            // non-tail position, n levels times n levels of nested resumes fill memory.
            let deep = self.deep_calls > 0 && self.rng.chance(15);
            args[0] = match kind {
                Recursion::Light if deep => self.rng.range(500, 4000).to_string(),
                Recursion::Tower if deep => self.rng.range(200, 2000).to_string(),
                Recursion::Tower => self.rng.range(0, 30).to_string(),
                _ => self.rng.range(0, 4).to_string(),
            };
            if deep && kind != Recursion::Small {
                self.deep_calls -= 1;
            }
        }
        format!("{}({})", f.name, args.join(", "))
    }

    fn match_expr(&mut self, cx: &Ctx) -> String {
        let scrutinee = self.expr(cx);
        let n = self.fresh("n");
        let (a, b) = (self.expr(cx), self.expr(cx));
        let guarded = self.expr(&cx.with_var(&n));
        let other = self.expr(cx);
        format!(
            "(match {scrutinee} {{ 0 => {a}, 1 | 2 => {b}, {n} if {n} > 5 => {guarded}, _ => {other} }})"
        )
    }

    fn list_expr(&mut self, cx: &Ctx) -> String {
        let items: Vec<String> = (0..self.rng.below(4)).map(|_| self.expr(cx)).collect();
        let list = format!("[{}]", items.join(", "));
        match self.rng.below(3) {
            0 => format!("sum({list})"),
            1 => format!("len({list})"),
            _ => {
                let default = self.expr(cx);
                format!("(match {list} {{ x :: _ => x, [] => {default} }})")
            }
        }
    }

    /// A very long operator chain with a few operations in it: kont evaluates nested
    /// expressions by native recursion, moving to a stack extension every 128 levels.
    fn long_chain(&mut self, cx: &Ctx) -> String {
        let length = self.rng.range(130, 1500) as usize;
        let nested = self.rng.chance(50);
        let mut terms: Vec<String> = (0..length).map(|i| (i % 7).to_string()).collect();
        for _ in 0..1 + self.rng.below(3) {
            let at = self.rng.below(length);
            terms[at] = self.suspend(cx);
        }
        if nested {
            // 1 + (2 + (3 + …)): nested parentheses.
            let mut out = String::new();
            for t in &terms {
                let _ = write!(out, "({t} + ");
            }
            out.push('0');
            out.push_str(&")".repeat(length));
            out
        } else {
            // 1 + 2 + 3 + …: a left-nested sum.
            format!("({})", terms.join(" + "))
        }
    }

    // --- Handlers ----------------------------------------------------------------------------

    /// `handle BODY with { clauses }` for a few operations, some maybe also handled outside
    /// (so clauses that perform them reach the outer handler), with an optional `return`.
    fn handle(&mut self, cx: &Ctx) -> String {
        let handled = self.some_ops(3);
        let body = self.handled_body(cx, handled);
        self.handle_around(cx, &body, handled)
    }

    /// The body of a handler for `handled`; it performs some of them (directly, in a loop,
    /// or in a function or continuation it runs), so that the clauses do run.
    fn handled_body(&mut self, cx: &Ctx, handled: OpSet) -> String {
        let mut inner = cx.deeper();
        inner.avail |= handled;
        inner.may_return = true;
        match self.rng.below(10) {
            0..=4 => {
                let count = self.rng.below(3);
                let at = self.rng.below(count + 1);
                let mut out = String::from("{\n");
                for i in 0..=count {
                    if i == at {
                        let op = self.suspend_of(&inner, handled);
                        let _ = writeln!(out, "println({op});");
                    }
                    out.push_str(&self.stmt(&mut inner));
                }
                out.push_str(&self.expr(&inner));
                out.push_str("\n}");
                out
            }
            5 => {
                // A generator: operations in a loop.
                let i = self.fresh("i");
                let op = self.suspend_of(&inner.with_var(&i), handled);
                let last = self.expr(&inner);
                let n = self.rng.below(5);
                format!("{{\nfor {i} in 0..{n} {{ println(\"{i} \" ++ str({op})); }}\n{last}\n}}")
            }
            6 | 7 => self.call_preferring(&inner, handled),
            _ => {
                let ops = handled;
                self.cont_resumed(&inner, ops)
            }
        }
    }

    /// `suspend Op(…)` of one of `ops`.
    fn suspend_of(&mut self, cx: &Ctx, ops: OpSet) -> String {
        let op = *self.rng.pick(&self.members(ops));
        let args: Vec<String> = (0..self.ops[op].arity).map(|_| self.expr(cx)).collect();
        format!("(suspend {}({}))", self.ops[op].name, args.join(", "))
    }

    /// A call of a global function that performs some of `ops`, if there is one.
    fn call_preferring(&mut self, cx: &Ctx, ops: OpSet) -> String {
        let candidates: Vec<Callable> = self.funcs[..cx.fn_limit]
            .iter()
            .filter(|f| f.needs & !cx.avail == 0 && f.needs & ops != 0)
            .cloned()
            .collect();
        if candidates.is_empty() {
            return self.call(cx);
        }
        let f = self.rng.pick(&candidates).clone();
        self.call_of(cx, &f)
    }

    /// `handle f(…) with { … }` for a random global function `f`, with clauses for all it
    /// performs (so that every function is likely to run).
    fn handled_call(&mut self, cx: &Ctx) -> String {
        if self.funcs.is_empty() {
            return self.handle(cx);
        }
        let f = self.rng.pick(&self.funcs).clone();
        let handled = f.needs | self.some_ops(2);
        let mut inner = cx.deeper();
        inner.avail |= handled;
        let body = self.call_of(&inner, &f);
        self.handle_around(cx, &body, handled)
    }

    /// `handle (resume (cont f)(args))`-style body: a fresh continuation resumed plainly,
    /// its operations going to the handler around it.
    fn cont_resumed(&mut self, cx: &Ctx, ops: OpSet) -> String {
        let mut candidates: Vec<Callable> = self.funcs[..cx.fn_limit]
            .iter()
            .filter(|f| f.needs & !cx.avail == 0 && f.recursive.is_none())
            .cloned()
            .collect();
        if candidates.iter().any(|f| f.needs & ops != 0) {
            candidates.retain(|f| f.needs & ops != 0);
        }
        if candidates.is_empty() {
            let a = self.fresh("a");
            let body = self.block(&cx.with_var(&a));
            return format!("(resume (cont fn({a}) {body})({}))", self.expr(cx));
        }
        let f = self.rng.pick(&candidates).clone();
        let args: Vec<String> = (0..f.arity).map(|_| self.expr(cx)).collect();
        format!("(resume (cont {})({}))", f.name, args.join(", "))
    }

    /// The `handle … with { … }` around `body`, with clauses for `handled`.
    fn handle_around(&mut self, cx: &Ctx, body: &str, handled: OpSet) -> String {
        let mut clauses = String::new();
        for op in self.members(handled) {
            let clause = self.clause(cx, op);
            let _ = writeln!(clauses, "{clause},");
        }
        if self.rng.chance(50) {
            let r = self.fresh("r");
            let value = self.expr(&cx.with_var(&r));
            let _ = writeln!(clauses, "return({r}) => ({r} + {value}) % 1000,");
        }
        format!("(handle {body} with {{\n{clauses}}})")
    }

    /// A clause `Op(params), k => body` (outside its handler, so with `cx`'s handlers).
    fn clause(&mut self, cx: &Ctx, op: usize) -> String {
        let mut inner = cx.deeper();
        inner.may_return = true;
        let mut params = Vec::new();
        for _ in 0..self.ops[op].arity {
            if self.rng.chance(15) {
                params.push("_".to_string());
            } else {
                let p = self.fresh("x");
                inner.vars.push(p.clone());
                params.push(p);
            }
        }
        // Often plain `k`, shadowing the `k` of an enclosing clause.
        let k = if self.rng.chance(30) {
            "k".to_string()
        } else {
            self.fresh("k")
        };
        let (k_shown, body) = self.clause_body(&inner, &k);
        format!(
            "{}({}), {} => {body}",
            self.ops[op].name,
            params.join(", "),
            if k_shown { k.as_str() } else { "_" }
        )
    }

    /// The body of a clause whose continuation is `k`; also says whether `k` is named.
    fn clause_body(&mut self, cx: &Ctx, k: &str) -> (bool, String) {
        let e = self.expr(cx);
        let roll = if self.rng.chance(10) {
            200 + self.rng.below(3)
        } else {
            self.rng.below(100)
        };
        let body = match roll {
            // Tail-resumptive: the fast path.
            0..=29 => {
                let prefix = {
                    let count = self.rng.below(3);
                    self.stmts(cx, count)
                };
                format!("{{ {prefix}resume {k}({e}) }}")
            }
            30..=34 => {
                let (c, other) = (self.cond(cx), self.expr(cx));
                format!("if {c} {{ resume {k}({e}) }} else {{ resume {k}({other}) }}")
            }
            35..=37 => {
                let other = self.expr(cx);
                format!("match {e} {{ 0 => resume {k}(1), _ => resume {k}({other}) }}")
            }
            38..=41 => {
                let (c, other) = (self.cond(cx), self.expr(cx));
                format!("{{ if {c} {{ return {other}; }} resume {k}({e}) }}")
            }
            // Resume, then more work.
            42..=51 => {
                let r = self.fresh("r");
                let after = self.expr(&cx.with_var(&r));
                format!(
                    "{{ let {r} = resume {k}({e}); println(\"{r} \" ++ str({r})); ({r} + {after}) % 1000 }}"
                )
            }
            52..=55 => format!("({} + resume {k}({e}))", self.expr(cx)),
            // No resume: the handled computation ends (escapes on the fast path).
            56..=63 => {
                let prefix = {
                    let count = self.rng.below(2);
                    self.stmts(cx, count)
                };
                return (false, format!("{{ {prefix}{e} }}"));
            }
            64..=66 => format!("{{ discontinue {k}; {e} }}"),
            // Stored, resumed later by flush/take (or dropped when overwritten).
            67..=71 => format!("{{ ks = {k} :: ks; {e} }}"),
            72..=74 => format!("{{ slot = Some({k}); {e} }}"),
            75 => format!("{{ let a = resume {k}({e}); a + resume {k}(0) }}"),
            76 | 77 => format!("{{ let f = fn(v) => resume {k}(v); f({e}) }}"),
            78 => format!("{{ thunks = (fn(v) => resume {k}(v)) :: thunks; {e} }}"),
            79 => format!("resume_it({k}, {e})"),
            // One branch resumes, the other does not.
            200 => {
                let (c, other) = (self.cond(cx), self.expr(cx));
                format!("if {c} {{ resume {k}({e}) }} else {{ {other} }}")
            }
            201 => format!("{{ {{ let y = {e}; {{ resume {k}(y) }} }} }}"),
            202 => {
                let (c, other) = (self.cond(cx), self.expr(cx));
                format!("{{ if {c} {{ return resume {k}({other}); }} resume {k}({e}) }}")
            }
            80..=83 => {
                let kk = self.fresh("kk");
                let prefix = {
                    let count = self.rng.below(2);
                    self.stmts(cx, count)
                };
                format!("{{ let {kk} = {k}; {prefix}resume {kk}({e}) }}")
            }
            // A deep handler around the resumed computation.
            84..=90 => {
                let handled = self.some_ops(2);
                let body = format!("(resume {k}({e}))");
                self.handle_around(cx, &body, handled)
            }
            // Shallow clauses around the resumed computation (and its deep handler).
            _ => self.shallow_resume(cx, k, &e),
        };
        (true, body)
    }

    /// `count` statements (for a clause body before its last expression).
    fn stmts(&mut self, cx: &Ctx, count: usize) -> String {
        let mut cx = cx.clone();
        (0..count).map(|_| self.stmt(&mut cx)).collect()
    }

    /// `resume k(e) with { … }`: shallow clauses that resume plainly, abandon, or store.
    fn shallow_resume(&mut self, cx: &Ctx, k: &str, e: &str) -> String {
        let mut clauses = String::new();
        let caught = self.some_ops(2);
        for op in self.members(caught) {
            let params = vec!["_"; self.ops[op].arity].join(", ");
            let k2 = self.fresh("s");
            let value = self.expr(cx);
            let body = match self.rng.below(4) {
                0 | 1 => format!("resume {k2}({value})"),
                2 => value,
                _ => format!("{{ ks = {k2} :: ks; {value} }}"),
            };
            let _ = writeln!(clauses, "{}({params}), {k2} => {body},", self.ops[op].name);
        }
        if self.rng.chance(50) {
            clauses.push_str("return(r) => r + 1000,\n");
        }
        format!("(resume {k}({e}) with {{\n{clauses}}})")
    }

    // --- Coroutines --------------------------------------------------------------------------

    /// `drvN(cont f, v, 0)`: a coroutine driven step by step by a driver's shallow clauses.
    fn coroutine(&mut self, cx: &Ctx) -> String {
        if self.drivers.is_empty() {
            return self.handle(cx);
        }
        let d = self.rng.below(self.drivers.len());
        let (name, handles, plain) = {
            let driver = &self.drivers[d];
            (driver.name.clone(), driver.handles, driver.plain)
        };
        // What the coroutine may perform: what the driver catches, plus what the caller's
        // handlers catch (all of it if the driver may resume plainly).
        let allowed = if plain { cx.avail } else { cx.avail | handles };
        let candidates: Vec<Callable> = self.funcs[..cx.fn_limit]
            .iter()
            .filter(|f| f.arity == 1 && f.needs & !allowed == 0)
            .cloned()
            .collect();
        let start = self.expr(cx);
        if !candidates.is_empty() && self.rng.chance(40) {
            let f = self.rng.pick(&candidates).name.clone();
            return format!("{name}(cont {f}, {start}, 0)");
        }
        let a = self.fresh("a");
        let mut inner = cx.with_var(&a);
        inner.avail = allowed;
        inner.may_return = true;
        let body = {
            let count = 1 + self.rng.below(3);
            self.block_body(&inner, count)
        };
        format!("{name}(cont fn({a}) {{ {body} }}, {start}, 0)")
    }
}
