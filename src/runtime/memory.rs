//! A guard against single requests for more memory than the machine has.
//!
//! `array(100000000000, 0)` asks for 1.5 TiB at once. The allocator grants such a request
//! lazily (its pages are reserved, not committed), so the program would fill memory page by
//! page until the kernel killed it. Operations whose size comes from the program (`array`,
//! `range`, string concatenation) check it here first and fail with a runtime error instead.
//! Memory that grows by many ordinary allocations is not limited.

use std::sync::OnceLock;

/// The machine's physical memory in bytes (`MemTotal` of `/proc/meminfo`), or `None` where
/// it cannot be read (then nothing is refused).
fn physical_memory() -> Option<u64> {
    static TOTAL: OnceLock<Option<u64>> = OnceLock::new();
    *TOTAL.get_or_init(|| {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// Checks that `count` items of `item_bytes` bytes each fit in the machine's memory; the
/// error names `what` was asked for, e.g. `array: 100000000000 elements need 1490 GiB,
/// more than this machine's 23 GiB of memory`.
pub fn check(what: &str, count: u64, item_bytes: u64, unit: &str) -> Result<(), String> {
    let Some(total) = physical_memory() else {
        return Ok(());
    };
    let need = count.saturating_mul(item_bytes);
    if need <= total {
        return Ok(());
    }
    Err(format!(
        "{what}: {count} {unit} need {}, more than this machine's {} of memory",
        gib(need),
        gib(total)
    ))
}

/// `bytes` in whole GiB (at least 1), for messages.
fn gib(bytes: u64) -> String {
    format!("{} GiB", (bytes >> 30).max(1))
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
        let err = check("array", count, 16, "elements").unwrap_err();
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
    fn sizes_are_shown_in_gib() {
        assert_eq!(gib(1), "1 GiB");
        assert_eq!(gib(25 << 30), "25 GiB");
    }
}
