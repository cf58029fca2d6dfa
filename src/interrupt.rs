//! User interrupts (Ctrl-C) of a running evaluation.
//!
//! The REPL installs a SIGINT handler (through the `ctrlc` crate) that raises a flag; loop
//! back-edges and calls poll it and unwind with the runtime error `interrupted`, and the REPL
//! clears it before each evaluation. Scripts keep the default SIGINT behaviour.

use std::sync::atomic::{AtomicBool, Ordering};

/// Raised by Ctrl-C (or [`raise`]), read by [`pending`], lowered by [`clear`].
static FLAG: AtomicBool = AtomicBool::new(false);

/// Whether an interrupt is waiting to be handled.
#[inline(always)]
pub fn pending() -> bool {
    FLAG.load(Ordering::Relaxed)
}

/// Forgets any pending interrupt.
pub fn clear() {
    FLAG.store(false, Ordering::Relaxed);
}

/// Installs the SIGINT handler that raises the flag. Idempotent; a failure to install (e.g.
/// another handler already set by the embedding program) is reported to the caller.
pub fn install() -> Result<(), String> {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    ctrlc::set_handler(|| FLAG.store(true, Ordering::Relaxed)).map_err(|e| e.to_string())
}

/// Raises the flag, as Ctrl-C does: the running evaluation stops with `interrupted`. Used by
/// watchdogs (e.g. the fuzz test bounds each evaluation's time with it).
pub fn raise() {
    FLAG.store(true, Ordering::Relaxed);
}
