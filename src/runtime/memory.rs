//! A guard against single requests for more memory than the process can have.
//!
//! `array(100000000000, 0)` asks for 1.5 TiB at once. The allocator grants such a request
//! lazily (its pages are reserved, not committed), so the program would fill memory page by
//! page until the kernel killed it; and under an address-space limit (`ulimit -v`) a request
//! past it made the allocator fail, which ends a Rust program with an abort. Operations whose
//! size comes from the program (`array`, `range`, string concatenation) check it here first
//! and fail with a runtime error instead. Memory that grows by many ordinary allocations is
//! not limited.

use std::sync::OnceLock;

use crate::runtime::error::ErrorKind;

/// Requests below this many bytes are not compared with the address space left (that takes
/// a read of `/proc/self/status`).
const SMALL_REQUEST: u64 = 64 << 20;

/// The number in the `field`th word (counting from 0) of the line of the `/proc` file
/// `path` that starts with `key`; `None` if there is none (or it is not a number, such as
/// `unlimited`).
fn proc_number(path: &str, key: &str, field: usize) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(field)?.parse().ok()
}

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where
/// it cannot be read (then nothing is refused on that ground).
fn physical_memory() -> Option<u64> {
    static TOTAL: OnceLock<Option<u64>> = OnceLock::new();
    *TOTAL.get_or_init(|| proc_number("/proc/meminfo", "MemTotal:", 1)?.checked_mul(1024))
}

/// The process's address-space limit in bytes (the soft `Max address space` of
/// `/proc/self/limits`, set by `ulimit -v`), or `None` if there is none or it cannot be read.
fn address_space_limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| proc_number("/proc/self/limits", "Max address space", 3))
}

/// The address space the process uses now (`VmSize` of `/proc/self/status`), in bytes.
fn address_space_used() -> Option<u64> {
    proc_number("/proc/self/status", "VmSize:", 1)?.checked_mul(1024)
}

/// Checks that `count` items of `item_bytes` bytes each fit in the machine's memory and in
/// what is left of the process's address-space limit, if it has one; the error names `what`
/// was asked for, e.g. `array: 100000000000 elements need 1490 GiB, more than this machine's
/// 23 GiB of memory`.
pub fn check(what: &str, count: u64, item_bytes: u64, unit: &str) -> Result<(), Box<ErrorKind>> {
    let need = count.saturating_mul(item_bytes);
    if let Some(total) = physical_memory()
        && need > total
    {
        return Err(Box::new(ErrorKind::TooLarge(format!(
            "{what}: {count} {unit} need {}, more than this machine's {} of memory",
            size(need),
            size(total)
        ))));
    }
    if need >= SMALL_REQUEST
        && let Some(limit) = address_space_limit()
    {
        let left = limit.saturating_sub(address_space_used().unwrap_or(0));
        if need > left {
            return Err(Box::new(ErrorKind::TooLarge(format!(
                "{what}: {count} {unit} need {}, more than the {} of address space left to this process (its limit is {}, see ulimit -v)",
                size(need),
                size(left),
                size(limit)
            ))));
        }
    }
    Ok(())
}

/// `bytes` for messages: in whole GiB from 10 GiB up, else in whole MiB (at least 1).
fn size(bytes: u64) -> String {
    if bytes >= 10 << 30 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", (bytes >> 20).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_within_memory_passes() {
        assert_eq!(check("array", 1000, 16, "elements"), Ok(()));
    }

    #[test]
    fn a_request_beyond_memory_is_refused_with_its_size() {
        let Some(total) = physical_memory() else {
            return;
        };
        let count = total / 16 + 1;
        let err = check("array", count, 16, "elements")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("array: {count} elements need ")),
            "{err}"
        );
        assert!(err.ends_with("of memory"), "{err}");
    }

    #[test]
    fn an_overflowing_request_is_refused() {
        if physical_memory().is_some() {
            assert!(check("range", u64::MAX, 48, "elements").is_err());
        }
    }

    #[test]
    fn sizes_are_shown_in_gib_or_mib() {
        assert_eq!(size(1), "1 MiB");
        assert_eq!(size(3 << 30), "3072 MiB");
        assert_eq!(size(25 << 30), "25 GiB");
    }
}
