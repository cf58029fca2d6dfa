//! kont's native stacks against corosensei, measured in the same run.
//!
//! `cargo bench --bench stack_switch`. Each time is the best of [`ROUNDS`] runs of a
//! plain `Instant` loop, the two sides alternating so that both see the same machine.
//! Memory is the growth of VmRSS (and of VmPTE, the page tables, which VmRSS leaves
//! out) over [`LIVE`] continuations suspended at once.

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use kont::stack::{Event, Fiber, FiberId, current_id, suspend_to};
use std::hint::black_box;
use std::time::Instant;

/// Timed runs per measurement and side; the best one counts.
const ROUNDS: usize = 15;
/// Continuations held at once for the memory figures.
const LIVE: usize = 100_000;

/// Nanoseconds per iteration of one run of `body(iterations)`.
fn ns_per_iteration(iterations: usize, body: &mut dyn FnMut(usize)) -> f64 {
    let start = Instant::now();
    body(iterations);
    start.elapsed().as_nanos() as f64 / iterations as f64
}

/// Best nanoseconds per iteration of `kont` and of `coro`, alternating runs.
fn race(iterations: usize, kont: &mut dyn FnMut(usize), coro: &mut dyn FnMut(usize)) -> (f64, f64) {
    (0..ROUNDS).fold((f64::INFINITY, f64::INFINITY), |(k, c), _| {
        (
            k.min(ns_per_iteration(iterations, kont)),
            c.min(ns_per_iteration(iterations, coro)),
        )
    })
}

/// A field of /proc/self/status, in bytes.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with(field))
        .unwrap_or_else(|| panic!("{field} missing from /proc/self/status"));
    let kib: usize = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

/// Resident and page-table bytes per continuation while `make` holds up to `n` of them
/// suspended, and how many it managed to make.
fn memory_per_continuation<T>(n: usize, make: impl FnMut(usize) -> Option<T>) -> (f64, f64, usize) {
    let (rss, pte) = (status_bytes("VmRSS:"), status_bytes("VmPTE:"));
    let held: Vec<T> = (0..n).map_while(make).collect();
    let count = held.len();
    let rss = (status_bytes("VmRSS:") - rss) as f64 / count as f64;
    let pte = (status_bytes("VmPTE:") - pte) as f64 / count as f64;
    drop(held);
    (rss, pte, count)
}

/// A kont fiber that suspends every payload back until cancelled.
fn kont_echo() -> Fiber {
    Fiber::new(Box::new(|mut x| {
        let me = current_id().unwrap();
        while let Ok(y) = suspend_to(me, x) {
            x = y;
        }
        0
    }))
    .unwrap()
}

/// A corosensei coroutine that yields every input back.
fn coro_echo<S: corosensei::stack::Stack + 'static>(stack: S) -> Coroutine<usize, usize, (), S> {
    Coroutine::with_stack(stack, |y: &Yielder<usize, usize>, mut x| {
        loop {
            x = y.suspend(x)
        }
    })
}

/// How many native frames each side returns through between two switches, in the
/// measurement of what such returns cost.
const FRAMES: usize = 16;

/// Suspends to `me` from `depth` native frames down, and returns what it is resumed with.
#[inline(never)]
fn kont_suspend_from(depth: usize, me: FiberId, x: usize) -> usize {
    if depth == 0 {
        suspend_to(me, x).unwrap_or(usize::MAX)
    } else {
        black_box(kont_suspend_from(black_box(depth - 1), me, x))
    }
}

/// Resumes `fiber` from `depth` native frames down, and returns what it suspends with.
#[inline(never)]
fn kont_resume_from(depth: usize, fiber: &Fiber, x: usize) -> usize {
    if depth == 0 {
        match fiber.resume(x) {
            Ok(Event::Suspended(v)) => v,
            other => panic!("{other:?}"),
        }
    } else {
        black_box(kont_resume_from(black_box(depth - 1), fiber, x))
    }
}

/// Suspends from `depth` native frames down in a corosensei coroutine.
#[inline(never)]
fn coro_suspend_from(depth: usize, y: &Yielder<usize, usize>, x: usize) -> usize {
    if depth == 0 {
        y.suspend(x)
    } else {
        black_box(coro_suspend_from(black_box(depth - 1), y, x))
    }
}

/// Resumes a corosensei coroutine from `depth` native frames down.
#[inline(never)]
fn coro_resume_from<S: corosensei::stack::Stack>(
    depth: usize,
    co: &mut Coroutine<usize, usize, (), S>,
    x: usize,
) -> usize {
    if depth == 0 {
        match co.resume(x) {
            CoroutineResult::Yield(v) => v,
            CoroutineResult::Return(()) => unreachable!(),
        }
    } else {
        black_box(coro_resume_from(black_box(depth - 1), co, x))
    }
}

/// Prints one row of the table.
fn row(name: &str, kont: f64, coro: f64, unit: &str, goal: f64) {
    let ratio = kont / coro;
    let verdict = if ratio <= goal { "met" } else { "MISSED" };
    println!(
        "{name:<44} {kont:>8.2} {unit:<3} {coro:>8.2} {unit:<3} {ratio:>6.2}  <= {goal:<4}  {verdict}"
    );
}

fn main() {
    println!(
        "{:<44} {:>12} {:>12} {:>6}  goal",
        "benchmark", "kont", "corosensei", "ratio"
    );

    // Memory first, while neither side has stacks lying around.
    let (kont_rss, kont_pte, kont_n) = memory_per_continuation(LIVE, |i| {
        let fiber = kont_echo();
        assert_eq!(fiber.resume(i), Ok(Event::Suspended(i)));
        Some(fiber)
    });
    let (coro_rss, coro_pte, coro_n) = memory_per_continuation(LIVE, |i| {
        // A DefaultStack of the default size (1 MiB and a guard page: two mappings)
        // runs out of mappings near 32,000 stacks on the default vm.max_map_count.
        let mut co = coro_echo(DefaultStack::new(1 << 20).ok()?);
        assert!(matches!(co.resume(i), CoroutineResult::Yield(v) if v == i));
        Some(co)
    });

    // Switch round trip: one resume and one suspend, the result matched as a caller
    // would.
    let fiber = kont_echo();
    let mut co = coro_echo(DefaultStack::default());
    let (kont_switch, coro_switch) = race(
        2_000_000,
        &mut |n| {
            let mut sum = 0;
            for i in 0..n {
                match fiber.resume(i) {
                    Ok(Event::Suspended(v)) => sum += v,
                    other => panic!("{other:?}"),
                }
            }
            black_box(sum);
        },
        &mut |n| {
            let mut sum = 0;
            for i in 0..n {
                match co.resume(i) {
                    CoroutineResult::Yield(v) => sum += v,
                    CoroutineResult::Return(()) => unreachable!(),
                }
            }
            black_box(sum);
        },
    );
    drop(fiber);
    row(
        "switch round trip (resume + suspend)",
        kont_switch,
        coro_switch,
        "ns",
        1.5,
    );

    // The same round trip when each side returns through FRAMES native frames after each
    // switch (and calls that deep again before the next): a return into a frame made
    // before a switch is not in the processor's return-address predictor, which holds the
    // other stack's calls, so each one is mispredicted. kont's slow-path effects return
    // through the frames of the kont code around each `suspend` and `resume`.
    let deep = Fiber::new(Box::new(|mut x| {
        let me = current_id().unwrap();
        while x != usize::MAX {
            x = kont_suspend_from(FRAMES, me, x);
        }
        0
    }))
    .unwrap();
    let mut deep_co = Coroutine::new(|y: &Yielder<usize, usize>, mut x| {
        loop {
            x = coro_suspend_from(FRAMES, y, x)
        }
    });
    let (kont_deep, coro_deep) = race(
        1_000_000,
        &mut |n| {
            black_box(
                (0..n)
                    .map(|i| kont_resume_from(FRAMES, &deep, i))
                    .sum::<usize>(),
            );
        },
        &mut |n| {
            let sum = (0..n).map(|i| coro_resume_from(FRAMES, &mut deep_co, i));
            black_box(sum.sum::<usize>());
        },
    );
    drop(deep);
    println!(
        "{:<44} {kont_deep:>8.2} {:<3} {coro_deep:>8.2} {:<3} {:>6.2}  (for information: {:.1} ns per frame on kont's side)",
        format!("the same, {FRAMES} frames returned through per side"),
        "ns",
        "ns",
        kont_deep / coro_deep,
        (kont_deep - kont_switch) / (2 * FRAMES) as f64,
    );

    // Create + run + finish on a reused stack; the closure captures one word and, like
    // corosensei's, waits in the stack itself (kont boxes only closures over 128 bytes).
    let mut stack = Some(DefaultStack::default());
    let (kont_create, coro_create) = race(
        1_000_000,
        &mut |n| {
            let mut sum = 0;
            for i in 0..n {
                let k = black_box(i);
                let fiber = Fiber::new(move |x| x + k).unwrap();
                match fiber.resume(i) {
                    Ok(Event::Returned(v)) => sum += v,
                    other => panic!("{other:?}"),
                }
            }
            black_box(sum);
        },
        &mut |n| {
            let mut sum = 0;
            for i in 0..n {
                let k = black_box(i);
                let mut co = Coroutine::with_stack(
                    stack.take().unwrap(),
                    move |_: &Yielder<usize, ()>, x: usize| x + k,
                );
                match co.resume(i) {
                    CoroutineResult::Return(v) => sum += v,
                    CoroutineResult::Yield(()) => unreachable!(),
                }
                stack = Some(co.into_stack());
            }
            black_box(sum);
        },
    );
    row(
        "create + run + finish (reused stack)",
        kont_create,
        coro_create,
        "ns",
        2.0,
    );

    row(
        &format!("resident per suspended ({kont_n} vs {coro_n} live)"),
        kont_rss / 1024.0,
        coro_rss / 1024.0,
        "KiB",
        1.25,
    );
    println!(
        "{:<44} {:>8.2} {:<3} {:>8.2} {:<3}  (not in VmRSS; for information)",
        "page tables per suspended",
        kont_pte / 1024.0,
        "KiB",
        coro_pte / 1024.0,
        "KiB"
    );
}
