//! The process's standard streams as a script uses them: its output, buffered by line on a
//! terminal and by block otherwise, and standard input read line by line.
//!
//! # Output
//!
//! [`program_output`] writes to a duplicate of file descriptor 1 rather than through Rust's
//! `Stdout` (a line buffer of its own behind a lock, which would buffer a second time). Every
//! failure of a write or a flush reaches the caller; what it means (a closed pipe: stop
//! quietly; anything else: `cannot write output`) is decided where the output is flushed
//! (`stdlib::io::output_error`).
//!
//! # Input
//!
//! [`read_line`] reads through Rust's `Stdin` buffer (8 KiB), the one the REPL's line editor
//! reads from when standard input is not a terminal (rustyline reads a terminal through a
//! buffer of its own, and a terminal in canonical mode gives at most one line per read), so
//! that the program and the REPL never take each other's lines. Piped input is thus read a
//! buffer at a time, and a line costs a search of the buffer and a copy.
//!
//! A read that must ask the system for more input first flushes the program's output (a
//! prompt is shown before the program waits), then waits with `poll` for either the input
//! or the wake-up pipe of [`crate::interrupt`]: a Ctrl-C or SIGTERM while a program waits for
//! input stops it. Waiting first needs to know that Rust's buffer is empty, which this module
//! tracks (`BUFFERED`); while the REPL's line editor shares the buffer
//! ([`share_with_line_editor`]) that is not known, and a read may then block in the system
//! until input comes (a signal stops the program after the read).

use std::fs::File;
use std::io::{self, BufRead, BufWriter, IsTerminal, LineWriter, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::interrupt;
use crate::runtime::{ErrorKind, Vm};

/// The size of the program's output buffer when standard output is not a terminal.
const BLOCK_BUFFER: usize = 1 << 16;

/// The size of the program's output buffer on a terminal, flushed at each line end.
const LINE_BUFFER: usize = 1 << 13;

/// Standard output for a script's program: line-buffered when it is a terminal,
/// block-buffered otherwise.
pub fn program_output() -> Box<dyn Write> {
    let stdout = io::stdout();
    // File descriptor 1 is always open (Rust's start-up code opens /dev/null in place of a
    // closed one), so the duplicate fails only when the process is out of descriptors.
    let Ok(fd) = stdout.as_fd().try_clone_to_owned() else {
        return Box::new(BufWriter::with_capacity(BLOCK_BUFFER, stdout));
    };
    let file = File::from(fd);
    if file.is_terminal() {
        Box::new(LineWriter::with_capacity(LINE_BUFFER, file))
    } else {
        Box::new(BufWriter::with_capacity(BLOCK_BUFFER, file))
    }
}

/// How many bytes Rust's `Stdin` buffer holds after the last line [`read_line`] took (none
/// at the start): while there are some, the next line needs no wait.
static BUFFERED: AtomicUsize = AtomicUsize::new(0);

/// Whether the REPL's line editor reads Rust's `Stdin` buffer too, so that [`BUFFERED`] says
/// nothing when a read starts.
static SHARED: AtomicBool = AtomicBool::new(false);

/// Says that the REPL's line editor reads standard input through Rust's `Stdin` buffer (it
/// does when standard input is not a terminal): from then on a read cannot know whether the
/// buffer holds input, and blocks in the system rather than waiting for a signal too.
pub fn share_with_line_editor() {
    SHARED.store(true, Ordering::Relaxed);
}

/// The next line of standard input without its line end (`\n` or `\r\n`), `None` at the end
/// of input. `flush` runs before every read that may wait for the system: it flushes the
/// program's output (its error ends the read).
///
/// A read fails with the runtime error [`ErrorKind::Interrupted`] when a signal (Ctrl-C or
/// SIGTERM) arrives while it waits (no handler may catch it), with `read_line: cannot read
/// standard input: REASON` when the system fails, and with `read_line: standard input is
/// not valid UTF-8` for such a line (which is taken all the same).
pub fn read_line(
    flush: impl FnMut() -> Result<(), ErrorKind>,
) -> Result<Option<String>, ErrorKind> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut buffered = if SHARED.load(Ordering::Relaxed) {
        None
    } else {
        Some(BUFFERED.load(Ordering::Relaxed))
    };
    let line = next_line(&mut input, &mut buffered, flush, wait_for_input);
    BUFFERED.store(buffered.unwrap_or(0), Ordering::Relaxed);
    line
}

/// The next line of `input`, as [`read_line`] gives it. `buffered` is how many bytes
/// `input`'s buffer holds (`None`: unknown), kept up to date. Before a read that may ask the
/// system for more, `flush` runs, and then, when the buffer is known to be empty, `wait`
/// (which returns once the input is readable, or fails when a signal came first).
fn next_line<R: BufRead>(
    input: &mut R,
    buffered: &mut Option<usize>,
    mut flush: impl FnMut() -> Result<(), ErrorKind>,
    mut wait: impl FnMut() -> Result<(), ErrorKind>,
) -> Result<Option<String>, ErrorKind> {
    let mut line = Vec::new();
    loop {
        if *buffered == Some(0) || buffered.is_none() {
            flush()?;
            if buffered.is_some() {
                wait()?;
            }
        }
        let available = match input.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                *buffered = Some(0);
                return Err(read_line_error(format!(
                    "cannot read standard input: {}",
                    os_reason(&e)
                )));
            }
        };
        if available.is_empty() {
            *buffered = Some(0);
            return if line.is_empty() {
                Ok(None)
            } else {
                finish(line, false).map(Some)
            };
        }
        let end = available.iter().position(|&b| b == b'\n');
        let taken = end.map_or(available.len(), |at| at + 1);
        line.extend_from_slice(&available[..end.unwrap_or(taken)]);
        *buffered = Some(available.len() - taken);
        input.consume(taken);
        if end.is_some() {
            return finish(line, true).map(Some);
        }
    }
}

/// A line read, without its `\n` (`ended`: it had one), as a string: a `\r` before the `\n`
/// is dropped, and bytes that are not UTF-8 are an error.
fn finish(mut line: Vec<u8>, ended: bool) -> Result<String, ErrorKind> {
    if ended && line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map_err(|_| read_line_error("standard input is not valid UTF-8".to_string()))
}

/// The runtime error `read_line: PROBLEM`.
fn read_line_error(problem: String) -> ErrorKind {
    ErrorKind::Function {
        function: "read_line",
        problem,
    }
}

/// Waits until standard input is readable (or at its end, or in error: the read that follows
/// says which); fails with [`ErrorKind::Interrupted`] if a signal is waiting or arrives first.
fn wait_for_input() -> Result<(), ErrorKind> {
    let stdin = io::stdin();
    loop {
        if interrupt::pending() {
            return Err(ErrorKind::Interrupted);
        }
        let mut fds = vec![PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
        if let Some(wake) = interrupt::wake_fd() {
            fds.push(PollFd::new(wake, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            // Cannot wait: let the read itself block or fail.
            Err(_) => return Ok(()),
        }
        let woken = fds
            .get(1)
            .and_then(PollFd::revents)
            .is_some_and(|r| !r.is_empty());
        if !woken {
            return Ok(());
        }
        interrupt::drain_wake();
    }
}

/// What the system says of `e`, without the ` (os error N)` that Rust adds to its own
/// rendering: `No such file or directory`.
pub fn os_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => text
            .strip_suffix(&format!(" (os error {code})"))
            .map_or_else(|| text.clone(), str::to_string),
        None => text,
    }
}

/// The error of a failed write or flush of the program's output, `cannot write output:
/// REASON`; a closed pipe is recorded in [`Vm::output_closed`] and is
/// [`ErrorKind::OutputClosed`], which no `Fail` handler may catch: the program ends quietly.
pub fn output_error(vm: &Vm, e: &io::Error) -> ErrorKind {
    if e.kind() == io::ErrorKind::BrokenPipe {
        vm.output_closed.set(true);
        return ErrorKind::OutputClosed;
    }
    ErrorKind::CannotWrite(os_reason(e))
}

/// Writes out what the program's output holds (see [`output_error`] for a failure).
pub fn flush_output(vm: &Vm) -> Result<(), ErrorKind> {
    vm.out
        .borrow_mut()
        .flush()
        .map_err(|e| output_error(vm, &e))
}

/// The next line of standard input for `read_line()`, without its line end, or `None` at
/// the end of input; the program's output is flushed before the read waits for input. A
/// failure is the runtime error to raise: [`ErrorKind::Interrupted`] (not catchable) when a
/// signal came while it waited, `read_line: …` or `cannot write output: …` otherwise (see
/// [`read_line`]).
pub fn read_stdin_line(vm: &Vm) -> Result<Option<String>, ErrorKind> {
    read_line(|| flush_output(vm))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input that gives at most `chunk` bytes per read, as a pipe may.
    struct Chunked<'a> {
        /// What is left to give.
        rest: &'a [u8],
        /// The most one read gives.
        chunk: usize,
    }

    impl io::Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.rest.len().min(self.chunk).min(buf.len());
            buf[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    /// Every result of reading `bytes` line by line, to the first `None` or error, read `chunk`
    /// bytes at a time through a buffer of `capacity`; and how often the reader waited.
    fn lines(
        bytes: &[u8],
        chunk: usize,
        capacity: usize,
    ) -> (Vec<Result<Option<String>, ErrorKind>>, usize) {
        let mut input = io::BufReader::with_capacity(capacity, Chunked { rest: bytes, chunk });
        let mut buffered = Some(0);
        let mut waits = 0;
        let mut results = Vec::new();
        loop {
            let result = next_line(
                &mut input,
                &mut buffered,
                || Ok(()),
                || {
                    waits += 1;
                    Ok(())
                },
            );
            let last = !matches!(result, Ok(Some(_)));
            results.push(result);
            if last {
                return (results, waits);
            }
        }
    }

    fn some(text: &str) -> Result<Option<String>, ErrorKind> {
        Ok(Some(text.to_string()))
    }

    #[test]
    fn lines_lose_their_line_ends_and_the_last_needs_none() {
        let input = "first\r\n  second  \n\nhé 日本\nlast\r";
        for (chunk, capacity) in [(1000, 8192), (1, 8192), (3, 4), (7, 2)] {
            let (results, _) = lines(input.as_bytes(), chunk, capacity);
            assert_eq!(
                results,
                [
                    some("first"),
                    some("  second  "),
                    some(""),
                    some("hé 日本"),
                    some("last\r"),
                    Ok(None)
                ],
                "chunks of {chunk}, buffer of {capacity}"
            );
        }
    }

    #[test]
    fn empty_input_is_at_its_end_at_once() {
        assert_eq!(lines(b"", 10, 10).0, [Ok(None)]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_an_error() {
        let (results, _) = lines(b"ok\ncaf\xe9\nnext\n", 100, 100);
        assert_eq!(
            results,
            [
                some("ok"),
                Err(read_line_error(
                    "standard input is not valid UTF-8".to_string()
                ))
            ]
        );
    }

    #[test]
    fn the_reader_waits_only_when_its_buffer_is_empty() {
        // One read gives all three lines: a wait before it, and one before the read that
        // finds the end.
        let (results, waits) = lines(b"a\nb\nc\n", 100, 100);
        assert_eq!(results.len(), 4);
        assert_eq!(waits, 2);
        // A read per two bytes: a wait before each.
        let (results, waits) = lines(b"a\nb\nc\n", 2, 100);
        assert_eq!(results.len(), 4);
        assert_eq!(waits, 4);
    }

    #[test]
    fn a_buffer_of_unknown_content_is_read_without_waiting() {
        let mut input = io::BufReader::new(&b"x\ny\n"[..]);
        let mut buffered = None;
        let (mut flushes, mut waits) = (0, 0);
        let line = next_line(
            &mut input,
            &mut buffered,
            || {
                flushes += 1;
                Ok(())
            },
            || {
                waits += 1;
                Ok(())
            },
        );
        assert_eq!(line, some("x"));
        assert_eq!((flushes, waits, buffered), (1, 0, Some(2)));
    }

    #[test]
    fn a_failed_wait_or_flush_ends_the_read() {
        let mut input = io::BufReader::new(&b"x\n"[..]);
        let mut buffered = Some(0);
        let line = next_line(
            &mut input,
            &mut buffered,
            || Ok(()),
            || Err(ErrorKind::Interrupted),
        );
        assert_eq!(line, Err(ErrorKind::Interrupted));
        let failed = ErrorKind::CannotWrite("Broken pipe".to_string());
        let line = next_line(&mut input, &mut buffered, || Err(failed.clone()), || Ok(()));
        assert_eq!(line, Err(failed));
        // Nothing was taken: the line is still there.
        let line = next_line(&mut input, &mut buffered, || Ok(()), || Ok(()));
        assert_eq!(line, some("x"));
    }
}
