//! Stack limits, and the last-resort handler for a stack that overflowed anyway.
//!
//! Overflow is caught in software: every stack has a limit, its bottom plus
//! [`RED_ZONE`]. [`stack_limit`](super::stack_limit) reads the running fiber's, so the
//! limit follows every switch at no cost to the switch. kont compares
//! [`approximate_sp`](super::approximate_sp) with it at every call and reports a kont
//! error past it. The red zone must hold whatever Rust code runs between two checks
//! (builtins, printing, the switch itself): 256 KiB is far more than any of it needs.
//!
//! The guard page below slot 0 of each slab (see `pool.rs`) is the last resort. A fault
//! in the guard page of the stack now running is an overflow: the SIGSEGV handler,
//! running on an alternate signal stack, prints
//! `error: stack overflow (native stack of a kont continuation exhausted)` and exits
//! with status 1. Any other fault is not ours: the handler puts the previous handler
//! back and returns, so the faulting instruction runs again and the fault reaches it
//! (Rust's own guard-page handler, or the default action).

use super::chain;
use super::pool::{PAGE, Slot};
use std::cell::Cell;
use std::mem::{MaybeUninit, zeroed};
use std::ptr;
use std::sync::{Once, OnceLock};

/// Bytes between a stack's limit and its bottom: room for any Rust code between two
/// limit checks.
pub const RED_ZONE: usize = 256 * 1024;

/// Size of the alternate signal stack given to threads that have none.
const ALTSTACK_SIZE: usize = 64 * 1024;

/// What the handler prints for an overflow of a kont stack.
pub const OVERFLOW_MESSAGE: &str =
    "error: stack overflow (native stack of a kont continuation exhausted)\n";

thread_local! {
    /// The limit of the thread's own stack; 0 until first asked for.
    static THREAD_LIMIT: Cell<usize> = const { Cell::new(0) };
}

/// The limit of the stack in `slot`.
pub fn limit_of(slot: Slot) -> usize {
    slot.base + RED_ZONE
}

/// The running stack's limit: the running fiber's, else the thread's own stack's
/// (computed on first use).
pub fn current_limit() -> usize {
    match chain::current_slot() {
        Some(slot) => limit_of(slot),
        None => match THREAD_LIMIT.get() {
            0 => {
                let limit = thread_stack_limit();
                THREAD_LIMIT.set(limit);
                limit
            }
            limit => limit,
        },
    }
}

/// The limit of the thread's own stack: its lowest address plus [`RED_ZONE`], or 1 (no
/// limit) if the C library cannot tell.
fn thread_stack_limit() -> usize {
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    let mut addr = ptr::null_mut();
    let mut size = 0;
    // SAFETY: pthread_getattr_np initialises `attr` when it returns 0; it is destroyed
    // exactly once after use.
    unsafe {
        if libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) != 0 {
            return 1;
        }
        let rc = libc::pthread_attr_getstack(attr.as_ptr(), &mut addr, &mut size);
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        if rc != 0 {
            return 1;
        }
    }
    addr as usize + RED_ZONE
}

/// The handler that was installed before ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Installs the SIGSEGV handler, once per process.
pub fn install_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: sigaction with valid pointers; our handler is async-signal-safe
        // (it reads thread-locals without destructors and calls write/_exit/sigaction).
        unsafe {
            let mut previous: libc::sigaction = zeroed();
            if libc::sigaction(libc::SIGSEGV, ptr::null(), &mut previous) != 0 {
                return;
            }
            PREVIOUS.get_or_init(|| previous);
            let mut action: libc::sigaction = zeroed();
            action.sa_sigaction = on_sigsegv as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGSEGV, &action, ptr::null_mut());
        }
    });
}

/// The SIGSEGV handler (see the module docs).
extern "C" fn on_sigsegv(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    if guard_page_of_current_stack(addr) {
        // SAFETY: write and _exit are async-signal-safe; the message is static.
        unsafe {
            libc::write(2, OVERFLOW_MESSAGE.as_ptr().cast(), OVERFLOW_MESSAGE.len());
            libc::_exit(1);
        }
    }
    let default = {
        // SAFETY: an all-zero sigaction is SIG_DFL with no flags and an empty mask.
        let mut action: libc::sigaction = unsafe { zeroed() };
        action.sa_sigaction = libc::SIG_DFL;
        action
    };
    let previous = PREVIOUS.get().unwrap_or(&default);
    // SAFETY: restores a handler that was installed before (or the default action);
    // returning then re-executes the faulting instruction under it.
    unsafe { libc::sigaction(signal, previous, ptr::null_mut()) };
}

/// Whether `addr` lies in the guard page right below the running kont stack.
fn guard_page_of_current_stack(addr: usize) -> bool {
    chain::current_slot().is_some_and(|slot| slot.base - PAGE <= addr && addr < slot.base)
}

/// An alternate signal stack this module installed for a thread; removed and unmapped
/// when dropped (at thread exit).
pub struct AltStack {
    /// Address of the mapping.
    base: usize,
}

impl AltStack {
    /// Gives the calling thread an alternate signal stack if it has none (threads
    /// started by Rust's `std` already have one). Without it the overflow handler
    /// would run on the overflowed stack.
    pub fn ensure() -> Option<AltStack> {
        // SAFETY: sigaltstack queries with valid pointers; the new stack is a fresh
        // mapping handed to the kernel only after it is mapped, and unmapped only by
        // `drop` after it was removed.
        unsafe {
            let mut current: libc::stack_t = zeroed();
            if libc::sigaltstack(ptr::null(), &mut current) != 0
                || current.ss_flags & libc::SS_DISABLE == 0
            {
                return None;
            }
            let base = libc::mmap(
                ptr::null_mut(),
                ALTSTACK_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return None;
            }
            let stack = libc::stack_t {
                ss_sp: base,
                ss_flags: 0,
                ss_size: ALTSTACK_SIZE,
            };
            if libc::sigaltstack(&stack, ptr::null_mut()) != 0 {
                libc::munmap(base, ALTSTACK_SIZE);
                return None;
            }
            Some(AltStack {
                base: base as usize,
            })
        }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: removes the alternate stack only if it is still ours, then unmaps it;
        // no signal handler runs on it now (we are in ordinary thread-exit code).
        unsafe {
            let mut current: libc::stack_t = zeroed();
            if libc::sigaltstack(ptr::null(), &mut current) != 0
                || current.ss_sp as usize != self.base
            {
                return;
            }
            let disable = libc::stack_t {
                ss_sp: ptr::null_mut(),
                ss_flags: libc::SS_DISABLE,
                ss_size: ALTSTACK_SIZE,
            };
            if libc::sigaltstack(&disable, ptr::null_mut()) == 0 {
                libc::munmap(self.base as *mut libc::c_void, ALTSTACK_SIZE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::tests::{in_child, run_in_child};
    use crate::stack::{Event, Fiber, approximate_sp, stack_limit};
    use std::hint::black_box;

    /// Recurses with a ~512-byte frame until the stack limit is reached, checking it at
    /// every level like kont's calls do; returns the depth reached.
    #[inline(never)]
    fn recurse_to_limit(depth: usize) -> usize {
        let frame = black_box([0u8; 512]);
        if approximate_sp() < stack_limit() {
            return depth;
        }
        let reached = recurse_to_limit(depth + 1);
        black_box(&frame);
        reached
    }

    /// Recurses `depth` levels with a frame of at least 256 bytes, checking the limit
    /// at every level; returns the lowest stack address reached, or 0 if the limit was
    /// crossed.
    #[inline(never)]
    fn recurse(depth: usize) -> usize {
        let frame = black_box([0u8; 256]);
        let sp = approximate_sp();
        if sp < stack_limit() {
            return 0;
        }
        let lowest = if depth == 0 { sp } else { recurse(depth - 1) };
        black_box(&frame);
        lowest
    }

    #[test]
    fn limit_is_switched_with_the_stack() {
        let outside = stack_limit();
        assert!(outside < approximate_sp());
        let fiber = Fiber::new(Box::new(|_| {
            let limit = stack_limit();
            let sp = approximate_sp();
            assert!(limit < sp && sp - limit < crate::stack::pool::stack_size());
            limit
        }))
        .unwrap();
        let Event::Returned(inside) = fiber.resume(0).unwrap() else {
            panic!("fiber did not return")
        };
        assert_ne!(inside, outside);
        assert_eq!(stack_limit(), outside);
    }

    #[test]
    fn recursion_stops_at_the_limit() {
        let fiber = Fiber::new(Box::new(|_| recurse_to_limit(0))).unwrap();
        let Event::Returned(depth) = fiber.resume(0).unwrap() else {
            panic!("fiber did not return")
        };
        // Every level uses at least its 512-byte buffer.
        let usable = crate::stack::pool::stack_size() - RED_ZONE;
        assert!(depth > 0 && depth * 512 < usable, "depth {depth}");
    }

    #[test]
    fn a_stack_holds_its_size_less_the_red_zone() {
        let fiber = Fiber::new(Box::new(|_| {
            let top = approximate_sp();
            let usable = crate::stack::pool::stack_size() - RED_ZONE;
            // Everything but the red zone and the top page (header, launch words) ...
            assert!(top - stack_limit() >= usable - crate::stack::pool::PAGE);
            // ... and a real recursion through most of it (304 bytes a level optimised,
            // 592 unoptimised). Deeper kont recursion continues on stack extensions.
            let levels = usable / 1024;
            let lowest = recurse(levels);
            if lowest == 0 {
                0
            } else {
                (top - lowest) / levels
            }
        }))
        .unwrap();
        let Event::Returned(per_level) = fiber.resume(0).unwrap() else {
            panic!("fiber did not return")
        };
        assert!(per_level >= 256, "the recursion crossed the stack limit");
    }

    /// Recurses without limit checks until the stack runs out.
    #[inline(never)]
    fn exhaust(depth: usize) -> usize {
        let frame = black_box([0u8; 1024]);
        let deeper = if black_box(depth) < usize::MAX {
            exhaust(depth + 1)
        } else {
            0
        };
        black_box(&frame);
        deeper
    }

    #[test]
    fn guard_page_overflow_reports_and_exits() {
        if in_child() {
            crate::stack::set_stack_mb(2).unwrap();
            // The thread's first fiber gets slot 0, above the guard page.
            let fiber = Fiber::new(Box::new(exhaust)).unwrap();
            let _ = fiber.resume(0);
            unreachable!("the stack did not overflow");
        }
        let output = run_in_child(
            concat!(module_path!(), "::guard_page_overflow_reports_and_exits"),
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
        assert!(stderr.contains(OVERFLOW_MESSAGE), "stderr: {stderr}");
    }
}
