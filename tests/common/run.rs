//! Running a command as the integration tests that check kont's output do, and showing how
//! its output differs from what was expected: shared by the golden runner (tests/golden.rs)
//! and the docs runner (tests/docs.rs).
//!
//! A run is bounded: it is killed after [`TIMEOUT`] (a hang), and at most [`OUTPUT_CAP`]
//! bytes of each stream are kept, so that no program under test can stall or flood a test.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use wait_timeout::ChildExt;

/// How long one run of the interpreter may take before it counts as a hang.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// At most this many bytes of each output stream are kept (the rest is drained and dropped).
pub const OUTPUT_CAP: usize = 64 << 20;

/// At most this many diff lines are shown in a failure report.
const DIFF_LINES_SHOWN: usize = 120;

/// What one run of the interpreter did.
#[derive(Debug)]
pub struct Outcome {
    /// The exit status, or `None` if the run timed out and was killed.
    pub status: Option<Status>,
    /// Everything written to stdout (at most [`OUTPUT_CAP`] bytes).
    pub stdout: Vec<u8>,
    /// Everything written to stderr (at most [`OUTPUT_CAP`] bytes).
    pub stderr: Vec<u8>,
    /// Whether either stream went over [`OUTPUT_CAP`].
    pub truncated: bool,
    /// How long the run took.
    pub elapsed: Duration,
}

/// How the process ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Status {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal (or ended in some other way without a code).
    Signal(Option<i32>),
}

impl From<ExitStatus> for Status {
    fn from(status: ExitStatus) -> Status {
        match status.code() {
            Some(code) => Status::Code(code),
            None => Status::Signal(signal_of(&status)),
        }
    }
}

/// The signal that ended the process, if a signal did.
#[cfg(unix)]
fn signal_of(status: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// The signal that ended the process: none known outside Unix.
#[cfg(not(unix))]
fn signal_of(_: &ExitStatus) -> Option<i32> {
    None
}

/// Runs `command`, its stdout and stderr collected, with `stdin` piped to it (then closed)
/// if given (else with the stdin `command` has), for at most [`TIMEOUT`].
pub fn run_command(mut command: Command, stdin: Option<Vec<u8>>) -> Result<Outcome, String> {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }

    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    // Written from a thread of its own, so that a program that prints before it reads
    // cannot block on a full stdout pipe; a program that stops reading early closes the pipe
    // (the failed write is not an error of the test).
    let feeder = child.stdin.take().zip(stdin).map(|(mut pipe, bytes)| {
        thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = child
        .stdout
        .take()
        .map(|pipe| thread::spawn(move || drain(pipe)));
    let stderr = child
        .stderr
        .take()
        .map(|pipe| thread::spawn(move || drain(pipe)));

    let status = match child.wait_timeout(TIMEOUT) {
        Ok(Some(status)) => Some(Status::from(status)),
        Ok(None) => {
            // A hang: kill the child and reap it, so that the pipes close.
            let _ = child.kill();
            let _ = child.wait();
            None
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("cannot wait for {:?}: {e}", command.get_program()));
        }
    };
    let elapsed = started.elapsed();
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }

    let join = |handle: Option<thread::JoinHandle<(Vec<u8>, bool)>>| match handle {
        Some(handle) => handle.join().unwrap_or_else(|_| (Vec::new(), false)),
        None => (Vec::new(), false),
    };
    let (stdout, stdout_truncated) = join(stdout);
    let (stderr, stderr_truncated) = join(stderr);
    Ok(Outcome {
        status,
        stdout,
        stderr,
        truncated: stdout_truncated || stderr_truncated,
        elapsed,
    })
}

/// Reads `pipe` to its end, keeping the first [`OUTPUT_CAP`] bytes; says whether it dropped any.
fn drain(mut pipe: impl Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buffer = [0u8; 1 << 16];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(kept.len());
                if n > room {
                    truncated = true;
                }
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    (kept, truncated)
}

/// `text` cut after its first `max` characters, with a note of how many bytes were cut.
pub fn truncate_chars(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((cut, _)) => Cow::Owned(format!(
            "{}\n… ({} more bytes)",
            &text[..cut],
            text.len() - cut
        )),
        None => Cow::Borrowed(text),
    }
}

/// A line diff of `expected` against `actual`: `  ` common, `- ` only expected, `+ ` only
/// actual, with a final-newline note. Long outputs are diffed around their first difference.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let ends = |s: &str| s.is_empty() || s.ends_with('\n');
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();

    // Skip the common prefix and suffix; LCS only on the middle, and only if it is small.
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];

    let mut lines: Vec<(char, &str)> = Vec::new();
    let context = 3;
    if prefix > context {
        lines.push(('@', ""));
    }
    for line in &old[prefix.saturating_sub(context)..prefix] {
        lines.push((' ', line));
    }
    if old_mid.len().saturating_mul(new_mid.len()) <= 4_000_000 {
        lines.extend(lcs_diff(old_mid, new_mid));
    } else {
        lines.extend(old_mid.iter().map(|l| ('-', *l)));
        lines.extend(new_mid.iter().map(|l| ('+', *l)));
    }
    let tail = &old[old.len() - suffix..];
    for line in &tail[..suffix.min(context)] {
        lines.push((' ', line));
    }
    if suffix > context {
        lines.push(('@', ""));
    }

    for (shown, (mark, line)) in lines.iter().enumerate() {
        if shown == DIFF_LINES_SHOWN {
            let _ = writeln!(out, "  … ({} more diff lines)", lines.len() - shown);
            break;
        }
        if *mark == '@' {
            let _ = writeln!(out, "  …");
        } else {
            let _ = writeln!(out, "  {mark} {}", truncate_chars(line, 300));
        }
    }
    if ends(expected) != ends(actual) {
        let which = if ends(actual) { "expected" } else { "actual" };
        let _ = writeln!(out, "  (the {which} stdout does not end with a newline)");
    }
    if old.is_empty() && new.is_empty() && expected != actual {
        let _ = writeln!(
            out,
            "  (outputs differ only in blank space: {expected:?} vs {actual:?})"
        );
    }
    out
}

/// The classic longest-common-subsequence diff of two line slices.
fn lcs_diff<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (old.len(), new.len());
    // lengths[i][j] = LCS length of old[i..] and new[j..].
    let mut lengths = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lengths[at(i, j)] = if old[i] == new[j] {
                lengths[at(i + 1, j + 1)] + 1
            } else {
                lengths[at(i + 1, j)].max(lengths[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((' ', old[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lengths[at(i, j + 1)] >= lengths[at(i + 1, j)]) {
            out.push(('+', new[j]));
            j += 1;
        } else {
            out.push(('-', old[i]));
            i += 1;
        }
    }
    out
}
