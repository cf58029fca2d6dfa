// A WORD OF CAUTION
//
// This file must stay consistent with itself. The layout of the top of a stack
// (`StackTop`), the initial control context (`initial_context`), the two switches
// (`switch_into`, `switch_out`) and `continuation_start` all depend on each other:
// which register carries what, what each side pushes and pops, and which context slot
// is loaded before which is stored. Change one and you must change the others. Read the
// whole file, and the diagram in `mod.rs`, before touching any of it. The layout test
// at the bottom pins every offset the assembly uses to `offset_of!`.

//! All of kont's assembly: the words at the top of a stack, the two switches, and
//! `continuation_start`, the first frame of every continuation (x86-64, System V).
//!
//! # The switch protocol
//!
//! Both switches work on one [`ControlContext`], the outermost fiber's (see `mod.rs`),
//! and load from it before they store to it. RDI carries the payload both ways. On the
//! way into a stack RSI holds the context's address and RCX whether the resumed
//! `suspend` must report a cancellation; on the way back to a parent RSI says what
//! happened: the suspending (innermost) fiber's header, or 0 when the stack's start
//! function returned.
//!
//! - [`switch_into`] (resume) pushes RBX and *calls* the context's RIP. Every entry point
//!   (`continuation_start`, and the resume label inside [`switch_out`]) starts with the
//!   same entry sequence: it pushes RBP onto the caller's stack, completing a frame
//!   record (saved RBP, return address of the call); loads its own RSP and RBP from the
//!   context; and stores the caller's frame record as RSP and RBP and the call's return
//!   address as RIP.
//! - [`switch_out`] (suspend) pushes RBX, stores its RSP, its RBP and its resume label as
//!   the context's RSP, RBP and RIP, then loads the caller's RSP from the context, pops
//!   the caller's RBP and *returns* into `switch_into`.
//! - `continuation_start` finishes the same way as `switch_out`, without saving.
//!
//! Pairing every resume's `call` with a `ret` keeps the CPU's return-address predictor
//! in step across stacks (jumping both ways costs two mispredicted returns per round
//! trip). A suspend that crosses several fibers still unbalances it, once.
//!
//! While a fiber runs, its context thus names a valid frame record on its parent's
//! stack, even when the Rust code around the switch omits frame pointers, and a
//! frame-pointer walk from `continuation_start` (whose RBP is the context's RBP slot)
//! steps onto the parent's stack. A suspended context holds the registers themselves:
//! a round trip is bound by its stores (about a cycle each), and a suspend that pushed
//! a frame record of its own would add two.
//!
//! Callee-saved registers: R12–R15 are declared clobbered, so the compiler saves them
//! around a switch only where they hold live values; RBX (reserved by LLVM) is pushed
//! and popped by the switch itself; RBP is saved in the frame record (resume) or in the
//! context (suspend).
//!
//! MXCSR and the x87 control word are callee-saved in the System V ABI but are not
//! switched: Rust code never changes rounding modes or exception masks, so every stack
//! runs with the process defaults, and saving them (`stmxcsr`/`ldmxcsr`, `fnstcw`/
//! `fldcw`) would add a serialising instruction pair to every switch. Code that changes
//! either must restore it before it can reach a switch.

use super::Payload;
use super::header::{Header, StartSlot, fiber_start};
use core::arch::{asm, naked_asm};
use core::mem::{offset_of, size_of};

/// Where a stack continues: the three registers a switch loads and stores.
///
/// It sits at the very top of each stack (TOS − 0x18). While the fiber runs it holds
/// its parent's frame record (as RSP and RBP) and resume point: where to go back. While
/// its segment is suspended it holds the registers at which the segment continues.
#[repr(C)]
pub struct ControlContext {
    /// Stack pointer (TOS − 0x18).
    pub rsp: usize,
    /// Frame pointer (TOS − 0x10).
    pub rbp: usize,
    /// Instruction pointer (TOS − 0x08).
    pub rip: usize,
}

/// The top 0x40 bytes of a stack, lowest address first: the four words
/// `continuation_start` pops, the argument buffer, then the control context.
#[repr(C)]
pub struct StackTop {
    /// TOS − 0x40: how many result words the start function leaves in the argument
    /// buffer (one payload). The initial RSP points here.
    pub return_count: usize,
    /// TOS − 0x38: address of the argument buffer.
    pub args: *mut Payload,
    /// TOS − 0x30: the continuation's header (its bookkeeping, above TOS).
    pub vmctx: *const Header,
    /// TOS − 0x28: the slot holding the start closure.
    pub func: *const StartSlot,
    /// TOS − 0x20: the first payload (stored there by `continuation_start`); the start
    /// closure's result on return.
    pub arg_buffer: [Payload; 1],
    /// TOS − 0x18 .. TOS: where to continue.
    pub ctx: ControlContext,
}

/// Offset of the saved RSP within a [`ControlContext`].
const CTX_RSP: usize = offset_of!(ControlContext, rsp);
/// Offset of the saved RBP within a [`ControlContext`].
const CTX_RBP: usize = offset_of!(ControlContext, rbp);
/// Offset of the saved RIP within a [`ControlContext`].
const CTX_RIP: usize = offset_of!(ControlContext, rip);
/// `continuation_start` runs with RBP at the context's RBP slot; the RSP slot relative
/// to it.
const FP_TO_RSP: isize = CTX_RSP as isize - CTX_RBP as isize;
/// The argument buffer relative to `continuation_start`'s RBP.
const FP_TO_ARGS: isize =
    offset_of!(StackTop, arg_buffer) as isize - (offset_of!(StackTop, ctx) + CTX_RBP) as isize;

/// The initial control context of a fresh stack whose top of stack is `tos`:
/// [`switch_into`] calls `continuation_start`, which takes RSP (the four launch words)
/// and RBP (the context's RBP slot) from it.
pub fn initial_context(tos: usize) -> ControlContext {
    ControlContext {
        rsp: tos - size_of::<StackTop>(),
        rbp: tos - size_of::<StackTop>() + offset_of!(StackTop, ctx) + CTX_RBP,
        rip: continuation_start as *const () as usize,
    }
}

/// Resumes the stack described by `*ctx` (a fresh stack's initial context, or a
/// suspended segment's resume point), passing `payload` and `cancel` (what the
/// resumed [`switch_out`] returns as its flag); leaves this side's registers in `*ctx`.
/// Returns when that stack suspends or returns to here: the payload it passed, and the
/// `innermost` value its [`switch_out`] passed (0 if it returned).
///
/// # Safety
///
/// `ctx` must be the control context of a live stack, holding its initial context or
/// the registers [`switch_out`] saved on a stack that is still intact. The caller holds
/// no borrow that code on the other stack could invalidate, and must not unwind
/// across this call (nothing unwinds through it).
#[inline(always)]
pub unsafe fn switch_into(
    ctx: *mut ControlContext,
    payload: Payload,
    cancel: bool,
) -> (Payload, usize) {
    let received: Payload;
    let innermost: usize;
    // SAFETY: the caller guarantees `ctx` describes a stack we may continue on. The
    // entry point there saves our frame record and return address in `*ctx`, and
    // whoever leaves through it restores RSP and RBP and returns here. RBX is pushed
    // below, R12–R15 are declared clobbered, the rest is caller-saved (`clobber_abi`).
    unsafe {
        asm!(
            "push rbx",                   // RBX is reserved by LLVM: save it by hand
            "call [rsi + {rip}]",         // enter the other side; it returns here
            "pop rbx",                    // restore RBX
            rip = const CTX_RIP,
            inout("rdi") payload => received,
            inout("rsi") ctx => innermost,
            inout("rcx") usize::from(cancel) => _,
            out("r12") _,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            clobber_abi("sysv64"),
        );
    }
    (received, innermost)
}

/// Suspends the running stack to the side that entered `*ctx` (through
/// [`switch_into`]), passing `payload` and `innermost` (never 0); leaves this side's
/// registers in `*ctx`. Returns the payload and the `cancel` flag of the
/// `switch_into` that resumes it.
///
/// # Safety
///
/// `ctx` must be the control context of a fiber on the active chain, holding the
/// registers its parent's [`switch_into`] saved (the parent's stack is intact). Same
/// rules on borrows and unwinding as [`switch_into`].
#[inline(always)]
pub unsafe fn switch_out(
    ctx: *mut ControlContext,
    payload: Payload,
    innermost: usize,
) -> (Payload, bool) {
    let received: Payload;
    let cancel: usize;
    // SAFETY: the caller guarantees `*ctx` holds the parent's frame record, whose
    // return address leads into its `switch_into`. We resume at label 2 only through
    // a `switch_into` on this context, whose entry sequence below restores our RSP and
    // RBP; our RBX comes back from our stack. R12–R15 are declared clobbered, the
    // rest is caller-saved (`clobber_abi`).
    unsafe {
        asm!(
            "push rbx",                   // RBX is reserved by LLVM: save it by hand
            "lea r8, [rip + 2f]",         // r8 = where this side resumes (label 2)
            "mov rax, [rdx + {rsp}]",     // load the parent's RSP before overwriting it
            "mov [rdx + {rsp}], rsp",     // store our RSP (it points at our RBX)
            "mov [rdx + {rbp}], rbp",     // store our RBP
            "mov [rdx + {rip}], r8",      // store our RIP: label 2
            "mov rsp, rax",               // onto the parent's stack, at its frame record
            "pop rbp",                    // the parent's RBP
            "ret",                        // into the parent's switch_into; RDI = payload,
                                          // RSI = innermost
            "2:",                         // entry point: a switch_into called us, RSI = ctx
            "push rbp",                   // complete the caller's frame record
            "mov rax, [rsi + {rsp}]",     // load our RSP ...
            "mov rdx, [rsi + {rbp}]",     // ... and RBP before overwriting them
            "mov r8, [rsp + 8]",          // the caller's RIP: its call's return address
            "mov [rsi + {rsp}], rsp",     // store the caller's RSP: its frame record
            "mov [rsi + {rbp}], rsp",     // store the caller's RBP: the same record
            "mov [rsi + {rip}], r8",      // store the caller's RIP
            "mov rsp, rax",               // back on our stack, at our saved RBX
            "mov rbp, rdx",               // our RBP
            "pop rbx",                    // our RBX; RCX holds the cancel flag
            rsp = const CTX_RSP,
            rbp = const CTX_RBP,
            rip = const CTX_RIP,
            inout("rdi") payload => received,
            inout("rdx") ctx => _,
            inout("rsi") innermost => _,
            lateout("rcx") cancel,
            out("r12") _,
            out("r13") _,
            out("r14") _,
            out("r15") _,
            clobber_abi("sysv64"),
        );
    }
    (received, cancel != 0)
}

/// The first frame of every continuation. Never called by name: the first
/// [`switch_into`] to a fresh stack calls it through the initial context (see
/// [`initial_context`]), with RSI at the context, RDI the first payload, and RSP still
/// on the resumer's stack.
///
/// After the entry sequence (as in [`switch_out`]) it runs on its own stack with RSP at
/// `StackTop::return_count` and RBP at the context's RBP slot. It stores the first
/// payload in the argument buffer, pops the four launch words into the argument
/// registers and calls [`fiber_start`], which catches every
/// panic, so nothing unwinds into this frame. Then it returns to the parent through the
/// control context, which by then holds the parent's registers: RSP from `[rbp - 8]`,
/// RBP from the frame record that RSP points at (the RBP slot `[rbp]` names the same
/// record), and RIP by `ret` from that record, which holds the RIP slot's value
/// `[rbp + 8]`. RDI carries the result word of the argument buffer; RSI = 0 says
/// "returned".
///
/// While the continuation runs, `[rbp]` and `[rbp + 8]` form a frame record that links
/// the frame-pointer chain into the parent's stack. The DWARF unwind information marks
/// this frame as the outermost one of its stack (`rip` undefined), so debuggers and
/// unwinders stop here rather than misread the launch words.
///
/// # Safety
///
/// Only ever entered through a [`switch_into`] on a context made by
/// [`initial_context`], on a stack whose [`StackTop`] launch words were written by
/// `header::init`.
#[unsafe(naked)]
pub unsafe extern "C" fn continuation_start() {
    naked_asm!(
        ".cfi_startproc",
        ".cfi_undefined rip",             // outermost frame for DWARF unwinders
        "push rbp",                       // complete the caller's frame record
        "mov rax, [rsi + {rsp}]",         // load our RSP (TOS - 0x40) ...
        "mov rcx, [rsi + {rbp}]",         // ... and RBP (TOS - 0x10) before overwriting
        "mov [rsi + {rsp}], rsp",         // store the caller's RSP: its frame record
        "mov [rsi + {rbp}], rsp",         // store the caller's RBP: the same record
        "mov rdx, [rsp + 8]",             // the caller's RIP: its call's return address
        "mov [rsi + {rip}], rdx",         // store it
        "mov rsp, rax",                   // onto our stack, at the launch words
        "mov rbp, rcx",                   // our frame pointer: the context's RBP slot
        "mov [rbp + {args}], rdi",        // the first payload into the argument buffer
        "pop rcx",                        // 4th argument: return count
        "pop rdx",                        // 3rd argument: address of the argument buffer
        "pop rsi",                        // 2nd argument: the header (vmctx)
        "pop rdi",                        // 1st argument: the start slot (func)
        "call {start}",                   // RSP = TOS - 0x20: 16-byte aligned at the call
        "mov rdi, [rbp + {args}]",        // payload for the parent: the result word
        "xor esi, esi",                   // RSI = 0: "returned" (a suspend passes non-zero)
        "mov rsp, [rbp + {fp_to_rsp}]",   // the parent's RSP: its frame record
        "pop rbp",                        // the parent's RBP (RBP is callee-saved: ours
                                          // was still the RBP slot until here)
        "ret",                            // to the parent's RIP, into its switch_into
        ".cfi_endproc",
        rsp = const CTX_RSP,
        rbp = const CTX_RBP,
        rip = const CTX_RIP,
        start = sym fiber_start,
        args = const FP_TO_ARGS,
        fp_to_rsp = const FP_TO_RSP,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{Event, Fiber, suspend};
    use std::cell::Cell;

    #[test]
    fn layout_matches_the_webassembly_control_context() {
        let top = size_of::<StackTop>();
        let ctx = offset_of!(StackTop, ctx);
        assert_eq!(top, 0x40);
        assert_eq!(top - (ctx + offset_of!(ControlContext, rip)), 0x08);
        assert_eq!(top - (ctx + offset_of!(ControlContext, rbp)), 0x10);
        assert_eq!(top - (ctx + offset_of!(ControlContext, rsp)), 0x18);
        assert_eq!(top - offset_of!(StackTop, arg_buffer), 0x20);
        assert_eq!(top - offset_of!(StackTop, func), 0x28);
        assert_eq!(top - offset_of!(StackTop, vmctx), 0x30);
        assert_eq!(top - offset_of!(StackTop, args), 0x38);
        assert_eq!(top - offset_of!(StackTop, return_count), 0x40);
        // The constants baked into the assembly.
        assert_eq!((CTX_RSP, CTX_RBP, CTX_RIP), (0, 8, 16));
        assert_eq!((FP_TO_RSP, FP_TO_ARGS), (-8, -0x10));
        // continuation_start pops four words, then calls with RSP 16-byte aligned.
        assert_eq!((top - 4 * 8) % 16, 0);
        let init = initial_context(0x10_0000);
        assert_eq!(init.rsp, 0x10_0000 - 0x40);
        assert_eq!(init.rbp, 0x10_0000 - 0x10);
    }

    /// Loads distinctive values (derived from `arg`) into RBX, RBP and R12–R15, calls
    /// `f(arg)`, and returns 0 if they all came back unchanged (else the OR of the
    /// differences).
    ///
    /// # Safety
    ///
    /// `f` must be safe to call with `arg`.
    #[unsafe(naked)]
    unsafe extern "C" fn callee_saved_survive(f: extern "C" fn(usize), arg: usize) -> usize {
        naked_asm!(
            "push rbp",                // save the caller's callee-saved registers
            "push rbx",                // ...
            "push r12",                // ...
            "push r13",                // ...
            "push r14",                // ...
            "push r15",                // ...
            "push rsi",                // keep arg; RSP is now 16-byte aligned
            "mov rax, rdi",            // RAX = f
            "mov rdi, rsi",            // f's argument: arg
            "lea rbx, [rsi + 0x1111]", // the distinctive values
            "lea rbp, [rsi + 0x2222]", // ...
            "lea r12, [rsi + 0x3333]", // ...
            "lea r13, [rsi + 0x4444]", // ...
            "lea r14, [rsi + 0x5555]", // ...
            "lea r15, [rsi + 0x6666]", // ...
            "call rax",                // f(arg): switches away and back
            "mov rsi, [rsp]",          // arg again
            "lea rax, [rsi + 0x1111]", // RAX = RBX's difference ...
            "xor rax, rbx",            // ...
            "lea rcx, [rsi + 0x2222]", // ... ORed with RBP's ...
            "xor rcx, rbp",            // ...
            "or rax, rcx",             // ...
            "lea rcx, [rsi + 0x3333]", // ... R12's ...
            "xor rcx, r12",            // ...
            "or rax, rcx",             // ...
            "lea rcx, [rsi + 0x4444]", // ... R13's ...
            "xor rcx, r13",            // ...
            "or rax, rcx",             // ...
            "lea rcx, [rsi + 0x5555]", // ... R14's ...
            "xor rcx, r14",            // ...
            "or rax, rcx",             // ...
            "lea rcx, [rsi + 0x6666]", // ... and R15's
            "xor rcx, r15",            // ...
            "or rax, rcx",             // ...
            "pop rsi",                 // drop the saved arg
            "pop r15",                 // restore the caller's registers
            "pop r14",                 // ...
            "pop r13",                 // ...
            "pop r12",                 // ...
            "pop rbx",                 // ...
            "pop rbp",                 // ...
            "ret",                     // RAX = 0 if all survived
        );
    }

    thread_local! {
        /// The context both raw switches below use.
        static RAW_CTX: Cell<usize> = const { Cell::new(0) };
        /// What the raw switch into the fiber last received.
        static RAW_RECEIVED: Cell<(Payload, usize)> = const { Cell::new((0, 0)) };
    }

    /// Nothing but a `switch_into` on `RAW_CTX`.
    extern "C" fn raw_into(payload: usize) {
        let ctx = RAW_CTX.get() as *mut ControlContext;
        // SAFETY: the test keeps RAW_CTX at a live stack's context.
        RAW_RECEIVED.set(unsafe { switch_into(ctx, payload, false) });
    }

    /// Nothing but a `switch_out` on `RAW_CTX`.
    extern "C" fn raw_out(payload: usize) {
        let ctx = RAW_CTX.get() as *mut ControlContext;
        // SAFETY: called on the fiber that `raw_into` entered through RAW_CTX.
        let (received, cancel) = unsafe { switch_out(ctx, payload, 1) };
        assert_eq!((received, cancel), (payload + 1, false));
    }

    #[test]
    fn callee_saved_registers_survive_the_raw_switches() {
        // The fiber holds distinctive values across its switch_out ...
        let fiber = Fiber::new(Box::new(|_| {
            // SAFETY: raw_out is called on the fiber raw_into entered.
            unsafe { callee_saved_survive(raw_out, 0x100_0000) }
        }))
        .unwrap();
        RAW_CTX.set(super::super::header::context(fiber.header) as usize);
        // ... and the parent holds others across each switch_into.
        // SAFETY: RAW_CTX is the fresh fiber's context.
        assert_eq!(unsafe { callee_saved_survive(raw_into, 7) }, 0);
        assert_eq!(RAW_RECEIVED.get(), (0x100_0000, 1));
        // SAFETY: RAW_CTX now holds the suspended fiber's context.
        assert_eq!(unsafe { callee_saved_survive(raw_into, 0x100_0001) }, 0);
        // The fiber's own check is its result; 0 in RSI says it returned.
        assert_eq!(RAW_RECEIVED.get(), (0, 0));
        // The handle never saw the raw switches: mark the fiber finished, as `enter`
        // would have, so that dropping the handle frees the finished stack.
        fiber.header().finish();
        assert_eq!(fiber.state(), crate::stack::State::Finished);
    }

    thread_local! {
        static TARGET: Cell<Option<Fiber>> = const { Cell::new(None) };
        static LAST_EVENT: Cell<Option<Event>> = const { Cell::new(None) };
    }

    /// Resumes the fiber in `TARGET` with the payload its `suspend_current` expects.
    extern "C" fn resume_target(_: usize) {
        let fiber = TARGET.with(|t| t.take()).expect("target set");
        let event = fiber.resume(0x100_0001).expect("resumable");
        LAST_EVENT.with(|e| e.set(Some(event)));
        TARGET.with(|t| t.set(Some(fiber)));
    }

    /// Suspends the current fiber with `payload` and checks the payload it is resumed with.
    extern "C" fn suspend_current(payload: usize) {
        let me = crate::stack::current().expect("on a fiber");
        assert_eq!(suspend(&me, payload), Ok(0x100_0001));
    }

    #[test]
    fn callee_saved_registers_survive_switches() {
        // The fiber holds its own distinctive values across a suspend/resume pair ...
        let fiber = Fiber::new(Box::new(|_| {
            // SAFETY: suspend_current is safe to call on a fiber.
            unsafe { callee_saved_survive(suspend_current, 0x100_0000) }
        }))
        .unwrap();
        TARGET.with(|t| t.set(Some(fiber)));
        // ... while the parent holds others across each resume.
        for (round, expected) in [(7, Event::Suspended(0x100_0000)), (8, Event::Returned(0))] {
            // SAFETY: resume_target is safe to call with the target set.
            let mask = unsafe { callee_saved_survive(resume_target, round) };
            assert_eq!(mask, 0, "parent registers changed across a switch");
            assert_eq!(LAST_EVENT.with(|e| e.take()), Some(expected));
        }
        TARGET.with(|t| t.take());
    }
}
