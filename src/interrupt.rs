//! Signals that stop a running evaluation: Ctrl-C (SIGINT) and, in a script, SIGTERM.
//!
//! A flag says which signal is waiting; loop back-edges and calls poll it ([`pending`]) and
//! unwind with the runtime error `interrupted`, and the code that started the evaluation
//! asks [`signal`] which one it was (`interrupted` with status 130, or a quiet exit with
//! status 143 for SIGTERM). Unwinding on the interpreter's own thread is what lets the
//! buffered output be flushed: the signal itself arrives on another thread.
//!
//! [`install`] blocks the signals in the calling thread, before any other thread is started
//! (threads inherit the mask, so no thread ever runs a handler), and starts a watcher thread
//! that accepts them with `sigwait`, raises the flag and writes a byte to a wake-up pipe. A
//! read of standard input waits on that pipe beside its input ([`wake_fd`]), so that a
//! signal stops a program blocked in `read_line` too. In a script a second signal that
//! arrives while the first is still waiting ends the process at once (the first could not
//! stop it: a long library call, or a write to a reader that does not read), with status
//! 128 + its number; in the REPL, which clears the flag before each entry, Ctrl-C only
//! raises the flag and SIGTERM keeps its default action.

use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::signal::{SigSet, SigmaskHow, Signal as OsSignal};

/// No signal is waiting.
const NONE: u8 = 0;
/// Ctrl-C (SIGINT) is waiting, or [`raise`] was called.
const INTERRUPT: u8 = 1;
/// SIGTERM is waiting.
const TERMINATE: u8 = 2;

/// The signal waiting to be handled: [`NONE`], [`INTERRUPT`] or [`TERMINATE`]. Raised by the
/// watcher thread (or [`raise`]), read by [`pending`] and [`signal`], lowered by [`clear`].
static FLAG: AtomicU8 = AtomicU8::new(NONE);

/// The wake-up pipe: the watcher writes a byte to it for each signal; a blocked read of
/// standard input waits on its other end. Both ends are non-blocking. Made by [`install`].
static WAKE: OnceLock<(PipeReader, PipeWriter)> = OnceLock::new();

/// Which signal stopped, or is to stop, the running evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT), or [`raise`]: the runtime error `interrupted`, status 130.
    Interrupt,
    /// SIGTERM: output flushed, no report, status 143.
    Terminate,
}

/// Which signals [`install`] catches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A script: SIGINT and SIGTERM; a second signal while one is waiting ends the process.
    Script,
    /// The REPL: SIGINT only, however often; SIGTERM keeps its default action.
    Repl,
}

/// Whether a signal is waiting to be handled.
#[inline(always)]
pub fn pending() -> bool {
    FLAG.load(Ordering::Relaxed) != NONE
}

/// The signal waiting to be handled, if any.
pub fn signal() -> Option<Signal> {
    match FLAG.load(Ordering::Relaxed) {
        NONE => None,
        TERMINATE => Some(Signal::Terminate),
        _ => Some(Signal::Interrupt),
    }
}

/// Forgets any waiting signal (and empties the wake-up pipe).
pub fn clear() {
    FLAG.store(NONE, Ordering::Relaxed);
    drain_wake();
}

/// Raises the flag, as Ctrl-C does: the running evaluation stops with `interrupted`. Used by
/// watchdogs (e.g. the fuzz test bounds each evaluation's time with it).
pub fn raise() {
    FLAG.store(INTERRUPT, Ordering::Relaxed);
    wake();
}

/// The end of the wake-up pipe that becomes readable when a signal arrives, once
/// [`install`] has run.
pub fn wake_fd() -> Option<BorrowedFd<'static>> {
    WAKE.get().map(|(reader, _)| reader.as_fd())
}

/// Empties the wake-up pipe (after a wait on [`wake_fd`] returned), so that the next wait
/// blocks until the next signal.
pub fn drain_wake() {
    if let Some((reader, _)) = WAKE.get() {
        let mut reader: &PipeReader = reader;
        let mut bytes = [0u8; 64];
        // Non-blocking: reads until the pipe is empty (an error: would block).
        while matches!(reader.read(&mut bytes), Ok(n) if n > 0) {}
    }
}

/// Writes a byte to the wake-up pipe; a full pipe already holds a wake-up.
fn wake() {
    if let Some((_, writer)) = WAKE.get() {
        let mut writer: &PipeWriter = writer;
        let _ = writer.write(&[1]);
    }
}

/// Catches the signals of `mode` from now on, as the module's documentation describes. Must
/// be called before the process starts any other thread (a thread started earlier would
/// still take the signals' default action). Idempotent; on failure nothing is changed and
/// the signals keep their default action.
pub fn install(mode: Mode) -> Result<(), String> {
    if WAKE.get().is_some() {
        return Ok(());
    }
    let pipe = wake_pipe().map_err(|e| format!("cannot make a pipe: {e}"))?;
    let mut signals = SigSet::empty();
    signals.add(OsSignal::SIGINT);
    if mode == Mode::Script {
        signals.add(OsSignal::SIGTERM);
    }
    let previous = signals
        .thread_swap_mask(SigmaskHow::SIG_BLOCK)
        .map_err(|e| format!("cannot block signals: {e}"))?;
    let _ = WAKE.set(pipe);
    let watcher = std::thread::Builder::new()
        .name("kont-signals".to_string())
        .spawn(move || watch(signals, mode));
    if let Err(e) = watcher {
        let _ = previous.thread_set_mask();
        return Err(format!("cannot start the signal watcher: {e}"));
    }
    Ok(())
}

/// The wake-up pipe, both ends non-blocking.
fn wake_pipe() -> std::io::Result<(PipeReader, PipeWriter)> {
    let (reader, writer) = std::io::pipe()?;
    for fd in [reader.as_fd(), writer.as_fd()] {
        fcntl(fd, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    }
    Ok((reader, writer))
}

/// The watcher thread: accepts each signal of `signals` (blocked in every thread) and raises
/// the flag, as [`install`] describes for `mode`.
fn watch(signals: SigSet, mode: Mode) {
    while let Ok(accepted) = signals.wait() {
        let (raised, status) = match accepted {
            OsSignal::SIGTERM => (TERMINATE, 143),
            _ => (INTERRUPT, 130),
        };
        let before = FLAG.swap(raised, Ordering::Relaxed);
        if mode == Mode::Script && before != NONE {
            std::process::exit(status);
        }
        wake();
    }
}
