//! Property tests: random and mutated source text never makes kont panic or hang.
//!
//! Every input must give a value or a diagnostic. Two generators: token soup (random
//! sequences of kont's tokens and some garbage) and mutations of the golden programs
//! (deleting, duplicating and swapping byte ranges). A watchdog interrupts any evaluation that
//! runs longer than a moment, the way Ctrl-C does in the REPL, so a mutated program that
//! loops forever ends with the runtime error `interrupted`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use kont::{Options, Session};
use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "let ",
    "var ",
    "fn ",
    "if ",
    "else ",
    "while ",
    "for ",
    "in ",
    "match ",
    "return ",
    "effect ",
    "suspend ",
    "handle ",
    "with ",
    "resume ",
    "cont ",
    "discontinue ",
    "true",
    "false",
    " and ",
    " or ",
    "not ",
    "x",
    "y",
    "f",
    "k",
    "Yield",
    "Some",
    "None",
    "_",
    "0",
    "1",
    "42",
    "-7",
    "1.5",
    "\"s\"",
    "\"\\n\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    "=",
    "==",
    "<",
    "+",
    "-",
    "*",
    "/",
    "%",
    "++",
    "::",
    "..",
    "=>",
    "|",
    ":",
    "\n",
    " ",
    "//c\n",
    "/*",
    "*/",
    "@",
    "\"",
    "9223372036854775808",
    "1.",
    ".5",
];

/// Evaluates `src` in a fresh session with a watchdog; panics propagate to the test, and
/// so does an internal error.
fn eval_bounded(src: &str) {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let watchdog = std::thread::spawn(move || {
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(10));
            if flag.load(Ordering::Relaxed) {
                return;
            }
        }
        kont::interrupt::raise();
    });
    kont::interrupt::clear();
    let mut session = Session::new(
        Box::new(std::io::sink()),
        vec!["5".into()],
        Options::default(),
    );
    let outcome = session.eval("<fuzz>", src);
    done.store(true, Ordering::Relaxed);
    watchdog.join().expect("watchdog thread");
    kont::interrupt::clear();
    // An internal error is a bug of kont's, not a diagnostic of the program's.
    if let Err(failure) = outcome {
        let headline = failure.report.lines().next().unwrap_or_default();
        assert!(
            !headline.contains("internal error"),
            "{headline}\nfor the program:\n{src}"
        );
    }
}

fn golden_sources() -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "kont")
                && let Ok(text) = std::fs::read_to_string(&p)
            {
                // Skip the heavy programs: mutations of them are slow, not interesting.
                if text.len() < 4000 && !text.contains("000_000") && !text.contains("000000") {
                    out.push(text);
                }
            }
        }
    }
    out.sort();
    out
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..60).prop_map(|ts| ts.concat())
}

/// A mutation: (kind, position, length, other position), applied on char boundaries.
fn mutate(src: &str, kind: u8, a: usize, len: usize, b: usize) -> String {
    let chars: Vec<char> = src.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let n = chars.len();
    let a = a % n;
    let end = (a + len % 16 + 1).min(n);
    let b = b % n;
    let piece: String = chars[a..end].iter().collect();
    let mut out: Vec<char> = chars.clone();
    match kind % 3 {
        0 => {
            out.drain(a..end);
        }
        1 => {
            out.splice(b..b, piece.chars());
        }
        _ => {
            out.drain(a..end);
            let b = b.min(out.len());
            out.splice(b..b, piece.chars());
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_gives_a_result_or_a_diagnostic(src in token_soup()) {
        eval_bounded(&src);
    }

    #[test]
    fn mutated_programs_give_a_result_or_a_diagnostic(
        which in any::<prop::sample::Index>(),
        kind in any::<u8>(), a in any::<usize>(), len in any::<usize>(), b in any::<usize>(),
    ) {
        let sources = golden_sources();
        prop_assume!(!sources.is_empty());
        let src = which.get(&sources);
        eval_bounded(&mutate(src, kind, a, len, b));
    }

    #[test]
    fn arbitrary_text_gives_a_result_or_a_diagnostic(src in "\\PC{0,80}") {
        eval_bounded(&src);
    }
}
