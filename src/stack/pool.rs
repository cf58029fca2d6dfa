//! Stack memory: slabs of address space carved into equal slots, recycled through a
//! thread-local pool.
//!
//! ```text
//!  one slab = one mmap (MAP_NORESERVE), two mappings in /proc/self/maps
//!  low                                                                       high
//!  +-------+-------------------+-------------------+-----+-------------------+
//!  | guard |      slot 0       |      slot 1       | ... |    slot N-1       |
//!  | page  | bottom ... | top  | bottom ... | top  |     | bottom ... | top  |
//!  +-------+-------------------+-------------------+-----+-------------------+
//!   PROT_NONE  each slot: STACK_SIZE bytes; the stack grows down from its top page,
//!              which holds the continuation's header and control context
//! ```
//!
//! - A slab holds [`SLOTS_PER_SLAB`] slots and costs two mappings (the guard page and the
//!   read-write rest), so a million live stacks need about 31,000 mappings, well under
//!   the default `vm.max_map_count` of 65,530. Pages are committed only when touched.
//! - Slots are carved from the bottom of a slab up, so the first continuation of a
//!   thread (kont's root continuation) gets slot 0, the one with the guard page below
//!   it. The other slots border their neighbour's top page: their overflow is caught in
//!   software only (`stack_limit`, see `overflow.rs`).
//! - Released slots go to a LIFO list of up to [`warm_slots`] warm slots, reused as they
//!   are (no system call). Beyond that a released slot gives its memory back with
//!   `madvise(MADV_DONTNEED)` on everything but its top page and joins the cold list.
//! - Slabs are never unmapped while a thread runs. When a thread exits with no
//!   continuation left, its slabs are unmapped; otherwise they are leaked, since a
//!   handle that outlives the pool may still point into them.

use super::overflow::{self, AltStack};
use super::panic;
use super::{StackError, StackSizeError};
use std::cell::RefCell;
use std::sync::OnceLock;

/// Page size; the layout tests check it against `sysconf`.
pub const PAGE: usize = 4096;

/// Default address space reserved per stack: 1 MiB (see the module docs of `stack`).
pub const DEFAULT_STACK_MB: usize = 1;

/// The most address space [`set_stack_mb`] reserves per stack: 1 GiB.
pub const MAX_STACK_MB: usize = 1024;

/// Slots per slab (a 64 MiB slab with the default stack size).
pub const SLOTS_PER_SLAB: usize = 64;

/// Address space of the released slots kept with their memory (their last user's stack
/// pages stay resident, so reuse costs no page faults): 512 warm slots of the default
/// 1 MiB, 8 of 64 MiB. It bounds what warm slots can hold resident, and lets the stack
/// extensions of a deep recursion that comes back again and again (resume_nontail's
/// 20,000 nested resumes take 8) stay warm.
pub const WARM_BYTES: usize = 512 << 20;

/// How many released slots stay warm: [`WARM_BYTES`] of them, and at least 8.
pub fn warm_slots() -> usize {
    (WARM_BYTES / stack_size()).max(8)
}

/// Bytes at the top of a slot that stay resident when it goes cold.
pub const KEEP_RESIDENT: usize = PAGE;

/// One stack's address range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Lowest address.
    pub base: usize,
    /// One past the highest address.
    pub top: usize,
}

/// The address space reserved per stack, in bytes, for the whole process: fixed by
/// [`set_stack_mb`], or else by the first use of [`stack_size`] (the first stack made).
static STACK_SIZE: OnceLock<usize> = OnceLock::new();

/// Address space reserved per stack, in bytes: what [`set_stack_mb`] set, else
/// `DEFAULT_STACK_MB` MiB. The same for every stack of the process.
pub fn stack_size() -> usize {
    *STACK_SIZE.get_or_init(|| DEFAULT_STACK_MB << 20)
}

/// Reserves `mb` MiB of address space per stack, from 1 to [`MAX_STACK_MB`], for the whole
/// process. Only before the size is first used: once a stack is made, every later one has
/// its size (setting that same size again is fine).
pub fn set_stack_mb(mb: usize) -> Result<(), StackSizeError> {
    if !(1..=MAX_STACK_MB).contains(&mb) {
        return Err(StackSizeError::OutOfRange(mb));
    }
    let size = mb << 20;
    match *STACK_SIZE.get_or_init(|| size) {
        fixed if fixed == size => Ok(()),
        fixed => Err(StackSizeError::Fixed(fixed >> 20)),
    }
}

/// A thread's slots.
struct Pool {
    /// Bytes per slot (the process-wide stack size).
    stack_size: usize,
    /// How many released slots stay warm ([`warm_slots`]).
    warm_slots: usize,
    /// Recently released slots, memory intact; used first, last in first out.
    warm: Vec<Slot>,
    /// Released slots whose memory below the top page was given back.
    cold: Vec<Slot>,
    /// Next uncarved slot of the newest slab.
    next: usize,
    /// End of the newest slab.
    end: usize,
    /// Every slab mapped by this thread: (address, length).
    slabs: Vec<(usize, usize)>,
    /// Slots handed out and not yet released.
    live: usize,
    /// Number of slots handed out so far: names each use of a slot.
    leases: u64,
    /// The alternate signal stack installed for this thread, if it had none.
    _altstack: Option<AltStack>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::new());
}

impl Pool {
    /// First use on a thread: also makes sure the process-wide panic hook and overflow
    /// handler are installed and this thread has an alternate signal stack.
    fn new() -> Pool {
        panic::install_hook();
        overflow::install_handler();
        Pool {
            stack_size: stack_size(),
            warm_slots: warm_slots(),
            warm: Vec::new(),
            cold: Vec::new(),
            next: 0,
            end: 0,
            slabs: Vec::new(),
            live: 0,
            leases: 0,
            _altstack: AltStack::ensure(),
        }
    }

    /// A slot for a new continuation (warm first, then cold, then freshly carved), and
    /// the number of this lease.
    fn acquire(&mut self) -> Result<(Slot, u64), StackError> {
        let slot = match self.warm.pop().or_else(|| self.cold.pop()) {
            Some(slot) => slot,
            None => self.carve()?,
        };
        self.live += 1;
        self.leases += 1;
        Ok((slot, self.leases))
    }

    /// The next never-used slot, mapping a new slab when the newest is used up.
    fn carve(&mut self) -> Result<Slot, StackError> {
        if self.next == self.end {
            let len = PAGE + SLOTS_PER_SLAB * self.stack_size;
            let base = map_slab(len)?;
            self.slabs.push((base, len));
            self.next = base + PAGE;
            self.end = base + len;
        }
        let base = self.next;
        self.next += self.stack_size;
        Ok(Slot {
            base,
            top: base + self.stack_size,
        })
    }

    /// Takes a slot back.
    fn release(&mut self, slot: Slot) {
        self.live -= 1;
        if self.warm.len() < self.warm_slots {
            self.warm.push(slot);
        } else {
            // SAFETY: the slot is ours and unused; everything below its top page is
            // plain private anonymous memory whose contents nobody needs.
            unsafe {
                libc::madvise(
                    slot.base as *mut libc::c_void,
                    self.stack_size - KEEP_RESIDENT,
                    libc::MADV_DONTNEED,
                );
            }
            self.cold.push(slot);
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        super::chain::free_active();
        if self.live == 0 {
            for &(base, len) in &self.slabs {
                // SAFETY: no continuation uses the slab (none is live), and no handle
                // can reach it: every header in it is dead.
                unsafe { libc::munmap(base as *mut libc::c_void, len) };
            }
        }
    }
}

/// Maps a slab of `len` bytes: read-write, lazily committed, with the lowest page made
/// inaccessible.
fn map_slab(len: usize) -> Result<usize, StackError> {
    // SAFETY: a fresh anonymous private mapping at an address of the kernel's choosing
    // aliases nothing.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(StackError::from_errno());
    }
    // SAFETY: both calls act on the mapping just made, which nothing else knows about.
    unsafe {
        if libc::mprotect(base, PAGE, libc::PROT_NONE) != 0 {
            let error = StackError::from_errno();
            libc::munmap(base, len);
            return Err(error);
        }
        // Transparent huge pages would commit 2 MiB for a stack's first touched page.
        // Failure (a kernel without THP) changes nothing we rely on.
        libc::madvise(
            base.cast::<u8>().add(PAGE).cast(),
            len - PAGE,
            libc::MADV_NOHUGEPAGE,
        );
    }
    Ok(base as usize)
}

/// A slot for a new continuation, from this thread's pool, and a number that no other
/// lease of a slot on this thread shares.
pub fn acquire() -> Result<(Slot, u64), StackError> {
    POOL.with(|pool| pool.borrow_mut().acquire())
}

/// Returns a slot to this thread's pool. During thread exit, after the pool is gone,
/// the slot is leaked.
///
/// # Safety
///
/// `slot` came from [`acquire`] on this thread, is released once, and no code runs on
/// it or reads its header any more.
pub unsafe fn release(slot: Slot) {
    // An Err means the pool was already destroyed: leaking is the safe choice.
    let _ = POOL.try_with(|pool| pool.borrow_mut().release(slot));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_4096() {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        assert_eq!(page, PAGE as libc::c_long);
    }

    #[test]
    fn the_stack_size_is_set_once_in_range() {
        let mb = stack_size() >> 20;
        assert_eq!(set_stack_mb(mb), Ok(()));
        assert_eq!(set_stack_mb(mb + 1), Err(StackSizeError::Fixed(mb)));
        assert_eq!(set_stack_mb(0), Err(StackSizeError::OutOfRange(0)));
        assert_eq!(
            set_stack_mb(MAX_STACK_MB + 1),
            Err(StackSizeError::OutOfRange(MAX_STACK_MB + 1))
        );
        assert_eq!(stack_size(), mb << 20);
    }

    #[test]
    fn slots_are_reused_last_in_first_out() {
        let (a, _) = acquire().unwrap();
        let (b, _) = acquire().unwrap();
        assert_ne!(a, b);
        // SAFETY: both slots are unused.
        unsafe {
            release(a);
            release(b);
        }
        assert_eq!(acquire().unwrap().0, b);
        assert_eq!(acquire().unwrap().0, a);
        // SAFETY: as above.
        unsafe {
            release(a);
            release(b);
        }
    }

    #[test]
    fn slot_zero_sits_on_an_inaccessible_guard_page() {
        let (slot, _) = acquire().unwrap();
        let guard = slot.base - PAGE;
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let line = maps
            .lines()
            .find(|line| {
                let range = line.split(' ').next().unwrap();
                let (lo, hi) = range.split_once('-').unwrap();
                let lo = usize::from_str_radix(lo, 16).unwrap();
                let hi = usize::from_str_radix(hi, 16).unwrap();
                lo <= guard && guard < hi
            })
            .expect("guard page mapped");
        assert!(line.contains(" ---p "), "guard page is accessible: {line}");
        // SAFETY: the slot is unused.
        unsafe { release(slot) };
    }

    /// Whether the page at `addr` is resident.
    fn resident(addr: usize) -> bool {
        let mut vec = 0u8;
        // SAFETY: `addr` is page-aligned and inside a mapping; `vec` holds one entry.
        let rc = unsafe { libc::mincore(addr as *mut libc::c_void, PAGE, &mut vec) };
        assert_eq!(rc, 0);
        vec & 1 == 1
    }

    #[test]
    fn cold_slots_give_their_memory_back() {
        let slots: Vec<Slot> = (0..warm_slots() + 1)
            .map(|_| acquire().unwrap().0)
            .collect();
        for slot in &slots {
            let deep = slot.top - 16 * PAGE;
            // SAFETY: the slot is ours and mapped read-write.
            unsafe {
                (deep as *mut u8).write_volatile(1);
                ((slot.top - 1) as *mut u8).write_volatile(1);
            }
            assert!(resident(deep));
        }
        for &slot in &slots {
            // SAFETY: the slot is unused.
            unsafe { release(slot) };
        }
        let warm = slots[0];
        let cold = slots[warm_slots()];
        assert!(
            resident(warm.top - 16 * PAGE),
            "a warm slot keeps its memory"
        );
        assert!(
            !resident(cold.top - 16 * PAGE),
            "a cold slot gives its memory back"
        );
        assert!(resident(cold.top - PAGE), "a cold slot keeps its top page");
        let again: Vec<Slot> = (0..warm_slots() + 1)
            .map(|_| acquire().unwrap().0)
            .collect();
        for slot in again {
            // SAFETY: the slot is unused.
            unsafe { release(slot) };
        }
    }
}
