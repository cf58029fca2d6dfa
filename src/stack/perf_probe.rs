use super::*;
use header::Header;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::Instant;

fn time(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let t = Instant::now();
    f(n);
    t.elapsed().as_nanos() as f64 / n as f64
}

fn fiber_full() -> Fiber {
    Fiber::new(Box::new(|mut x| {
        let me = current_id().unwrap();
        while let Ok(y) = suspend_to(me, x) {
            x = y;
        }
        0
    }))
    .unwrap()
}
fn fiber_raw<const ST: bool, const TLS: bool>() -> Fiber {
    let f = Fiber::new(Box::new(|mut x| {
        let h = chain::current().unwrap();
        let ctx = header::context(h);
        loop {
            if TLS {
                black_box(chain::current());
            }
            if ST {
                unsafe { h.as_ref() }.state.set(State::Suspended);
            }
            x = unsafe { x86_64::switch_out(ctx, x) };
            if x == usize::MAX {
                return 0;
            }
        }
    }))
    .unwrap();
    f.resume(0).unwrap();
    f
}

#[inline(always)]
fn with_tls(outer: NonNull<Header>, payload: usize) -> usize {
    let p = chain::swap_current(Some(outer));
    let r = unsafe { x86_64::switch_into(header::context(outer), payload) };
    chain::swap_current(p);
    r
}

#[test]
fn probe() {
    use corosensei::{Coroutine, Yielder};
    let n = 2_000_000;
    let g = fiber_full();
    g.resume(0).unwrap();
    let r = fiber_raw::<false, false>();
    let rs = fiber_raw::<true, false>();
    let rst = fiber_raw::<true, true>();
    let mut co = Coroutine::new(|y: &Yielder<usize, usize>, mut x| {
        loop {
            x = y.suspend(x)
        }
    });
    let mut best = [f64::MAX; 8];
    for _ in 0..10 {
        let ctx = header::context(r.header);
        best[0] = best[0].min(time(n, |n| {
            for i in 0..n {
                black_box(unsafe { x86_64::switch_into(ctx, black_box(i)) });
            }
        }));
        best[1] = best[1].min(time(n, |n| {
            for i in 0..n {
                black_box(with_tls(r.header, black_box(i)));
            }
        }));
        best[2] = best[2].min(time(n, |n| {
            for i in 0..n {
                black_box(rs.resume(black_box(i)).unwrap());
            }
        }));
        best[3] = best[3].min(time(n, |n| {
            for i in 0..n {
                black_box(rst.resume(black_box(i)).unwrap());
            }
        }));
        best[4] = best[4].min(time(n, |n| {
            for i in 0..n {
                black_box(with_tls(g.header, black_box(i)));
            }
        }));
        best[5] = best[5].min(time(n, |n| {
            for i in 0..n {
                black_box(g.resume(black_box(i)).unwrap());
            }
        }));
        best[6] = best[6].min(time(n, |n| {
            for i in 0..n {
                black_box(co.resume(black_box(i)));
            }
        }));
    }
    eprintln!(
        "raw {:.2} raw+tls {:.2} resume/rawfiber+state {:.2} resume/rawfiber+state+tlsread {:.2} tls/fullfiber {:.2} full {:.2} coro {:.2}",
        best[0], best[1], best[2], best[3], best[4], best[5], best[6]
    );
}
