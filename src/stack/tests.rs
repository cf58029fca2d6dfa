//! Behaviour of the safe API: switching, nesting, multi-level suspend, cancellation,
//! ownership, capacity and panics.

use super::*;
use std::cell::Cell;
use std::rc::Rc;

/// A fiber running `f`.
fn fiber(f: impl FnOnce(Payload) -> Payload + 'static) -> Fiber {
    Fiber::new(f).unwrap()
}

/// The running fiber (panics if none).
fn me() -> Fiber {
    current().expect("running on a fiber")
}

/// The running fiber's id (panics if none).
fn my_id() -> FiberId {
    current_id().expect("running on a fiber")
}

/// Address of the header of `fiber` (identifies its slot).
fn slot_of(fiber: &Fiber) -> usize {
    fiber.header.as_ptr() as usize
}

/// Set in the environment of a test binary re-run by [`run_in_child`].
pub const CHILD: &str = "KONT_STACK_TEST_CHILD";

/// Runs the test named by `test_path` (its `module_path!()` and name) alone in a new
/// process of this test binary, with [`CHILD`] and `env` set, and returns its output.
pub fn run_in_child(test_path: &str, env: &[(&str, &str)]) -> std::process::Output {
    // Test names leave out the crate name that module_path! starts with.
    let name = test_path.split_once("::").unwrap().1;
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Whether this process is a child started by [`run_in_child`].
pub fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn a_fresh_fiber_runs_and_returns() {
    let f = fiber(|x| x * 2);
    assert_eq!(f.state(), State::Fresh);
    assert_eq!(f.resume(21), Ok(Event::Returned(42)));
    assert_eq!(f.state(), State::Finished);
    assert_eq!(f.resume(0), Err(ResumeError::Finished));
    assert_eq!(
        ResumeError::Finished.to_string(),
        "continuation already finished"
    );
}

#[test]
fn a_million_round_trips() {
    let f = fiber(|mut x| {
        let me = me();
        loop {
            x = suspend(&me, x + 1).unwrap();
            if x == usize::MAX {
                return 7;
            }
        }
    });
    let mut x = 0;
    for _ in 0..1_000_000 {
        match f.resume(x).unwrap() {
            Event::Suspended(y) => {
                assert_eq!(y, x + 1);
                x = y;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(f.resume(usize::MAX), Ok(Event::Returned(7)));
}

#[test]
fn nested_three_deep_with_values_both_ways() {
    let outer = fiber(|x| {
        let middle = fiber(|x| {
            let inner = fiber(|x| {
                let got = suspend(&me(), x + 1).unwrap();
                got * 10
            });
            assert_eq!(inner.resume(x + 1), Ok(Event::Suspended(x + 2)));
            let Ok(Event::Returned(r)) = inner.resume(5) else {
                panic!()
            };
            let got = suspend(&me(), r + 1).unwrap();
            got + r
        });
        assert_eq!(middle.resume(x + 1), Ok(Event::Suspended(51)));
        let Ok(Event::Returned(r)) = middle.resume(1000) else {
            panic!()
        };
        r + 1
    });
    // 1 → outer 1 → middle 2 → inner 3 suspends 4; inner returns 50; middle suspends 51,
    // gets 1000 and returns 1050; outer returns 1051.
    assert_eq!(outer.resume(1), Ok(Event::Returned(1051)));
}

#[test]
fn multi_level_suspend_captures_the_segment() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let outer = fiber(move |_| {
        let outer_me = me();
        let middle = fiber(move |_| {
            let inner = fiber(move |_| {
                // Suspend the whole segment inner..=outer to the test's stack.
                let got = suspend(&outer_me, 100).unwrap();
                l3.borrow_mut().push(("inner", got));
                3
            });
            let r = inner.resume(0).unwrap();
            l2.borrow_mut().push(("middle", 0));
            assert_eq!(r, Event::Returned(3));
            2
        });
        let r = middle.resume(0).unwrap();
        l1.borrow_mut().push(("outer", 0));
        assert_eq!(r, Event::Returned(2));
        1
    });
    assert_eq!(outer.resume(0), Ok(Event::Suspended(100)));
    assert_eq!(outer.state(), State::Suspended);
    assert!(log.borrow().is_empty());
    // Resume from another fiber than the original parent: the segment's new parent.
    let other = fiber({
        let outer = outer.clone();
        move |_| match outer.resume(200).unwrap() {
            Event::Returned(r) => r + 10,
            e => panic!("{e:?}"),
        }
    });
    assert_eq!(other.resume(0), Ok(Event::Returned(11)));
    assert_eq!(
        *log.borrow(),
        vec![("inner", 200), ("middle", 0), ("outer", 0)]
    );
    assert_eq!(outer.state(), State::Finished);
}

#[test]
fn parent_and_innermost_follow_every_change() {
    // A segment's parent and innermost fiber are written only when they change: resume
    // one fiber from the thread's stack and from another fiber in turn, and let it
    // suspend alone, through its new parent, and from an inner fiber.
    let parent_id = Rc::new(Cell::new(None::<FiberId>));
    let seen = parent_id.clone();
    let o = fiber(move |x| {
        let o_id = my_id();
        // Alone, to the thread's stack; resumed by P.
        let x = suspend_to(o_id, x + 1).unwrap();
        // To P's parent, found through our parent link (now P).
        let x = suspend_to(seen.get().unwrap(), x + 1).unwrap();
        // From an inner fiber, the segment inner..=O to P.
        let inner = fiber(move |y| suspend_to(o_id, y + 1).unwrap() + 1);
        let Ok(Event::Returned(y)) = inner.resume(x) else {
            panic!()
        };
        // Alone again, to the thread's stack.
        suspend_to(o_id, y + 1).unwrap() + 1
    });
    assert_eq!(o.resume(1), Ok(Event::Suspended(2)));
    let o2 = o.clone();
    let p = fiber(move |x| match o2.resume(x).unwrap() {
        Event::Suspended(v) => v,
        e => panic!("{e:?}"),
    });
    parent_id.set(Some(p.id()));
    assert_eq!(p.resume(10), Ok(Event::Suspended(11)));
    assert_eq!(o.state(), State::Running);
    assert_eq!(o.resume(0), Err(ResumeError::Running));
    assert_eq!(p.state(), State::Suspended);
    assert_eq!(p.resume(20), Ok(Event::Returned(21)));
    assert_eq!(o.state(), State::Suspended);
    assert_eq!(o.resume(30), Ok(Event::Suspended(32)));
    assert_eq!(o.resume(40), Ok(Event::Returned(41)));
    assert_eq!(o.state(), State::Finished);
}

#[test]
fn resuming_a_running_or_inner_fiber_is_an_error() {
    let inner_handle = Rc::new(Cell::new(None::<Fiber>));
    let keep = inner_handle.clone();
    let outer = fiber(move |_| {
        let me = me();
        assert_eq!(me.resume(0), Err(ResumeError::Running));
        assert_eq!(me.cancel(), Err(ResumeError::Running));
        let outer_me = me.clone();
        let inner = fiber(move |_| {
            suspend(&outer_me, 1).unwrap();
            0
        });
        keep.set(Some(inner.clone()));
        inner.resume(0).unwrap();
        0
    });
    assert_eq!(outer.resume(0), Ok(Event::Suspended(1)));
    let inner = inner_handle.take().unwrap();
    // The inner fiber is inside the suspended segment: not resumable on its own.
    assert_eq!(inner.state(), State::Running);
    assert_eq!(inner.resume(0), Err(ResumeError::Running));
    assert_eq!(inner.cancel(), Err(ResumeError::Running));
    assert_eq!(ResumeError::Running.to_string(), "continuation is running");
    assert_eq!(outer.resume(0), Ok(Event::Returned(0)));
    assert_eq!(inner.state(), State::Finished);
}

#[test]
fn suspending_to_a_non_ancestor_is_an_error() {
    let stranger = fiber(|x| x);
    let stranger2 = stranger.clone();
    let f = fiber(move |_| {
        assert_eq!(suspend(&stranger2, 0), Err(SuspendError::NotAncestor));
        9
    });
    assert_eq!(f.resume(0), Ok(Event::Returned(9)));
    // Not on a fiber at all.
    assert_eq!(suspend(&stranger, 0), Err(SuspendError::NotAncestor));
    // A sibling: created by the same parent, not an ancestor.
    let sibling = fiber(|_| 0);
    let s2 = sibling.clone();
    let g = fiber(move |_| {
        assert_eq!(suspend(&s2, 0), Err(SuspendError::NotAncestor));
        1
    });
    assert_eq!(g.resume(0), Ok(Event::Returned(1)));
    assert_eq!(sibling.resume(4), Ok(Event::Returned(0)));
}

/// What the innermost of [`nested`]'s fibers runs.
type Innermost = Rc<dyn Fn(&[FiberId]) -> Payload>;

/// A fiber with `depth - 1` fibers nested inside it. Each resumes the one inside it until
/// that returns, passing on one more than what it suspended with; the innermost runs
/// `innermost` on the ids of all of them, outermost first.
fn nested(depth: usize, ids: Vec<FiberId>, innermost: Innermost) -> Fiber {
    fiber(move |_| {
        let mut ids = ids;
        ids.push(my_id());
        if depth == 1 {
            return innermost(&ids);
        }
        let child = nested(depth - 1, ids, innermost);
        let mut event = child.resume(0).unwrap();
        loop {
            match event {
                Event::Returned(v) => return v,
                Event::Suspended(v) => event = child.resume(v + 1).unwrap(),
                e => panic!("{e:?}"),
            }
        }
    })
}

#[test]
fn a_segment_of_many_fibers_is_cut_and_put_back_in_order() {
    // 200 fibers deep, the innermost suspends to the 100th (its parent resumes it), then to
    // the outermost, which is resumed from another fiber: each time the fibers of the
    // segment leave the active chain and come back in order. (Debug builds check the
    // chain against the parent links at every suspend that is not to the running fiber.)
    let outer = nested(
        200,
        Vec::new(),
        Rc::new(|ids: &[FiberId]| {
            assert_eq!(ids.len(), 200);
            let a = suspend_to(ids[99], 1).unwrap();
            assert_eq!(a, 2);
            let b = suspend_to(ids[0], a + 1).unwrap();
            // Alone, to its parent, which resumes it; then from the middle again.
            let c = suspend_to(ids[199], b + 1).unwrap();
            let d = suspend_to(ids[150], c + 1).unwrap();
            d + 1
        }),
    );
    let Ok(Event::Suspended(3)) = outer.resume(0) else {
        panic!("expected the whole segment to suspend with 3")
    };
    let o = outer.clone();
    let p = fiber(move |x| {
        // The suspended segment is not on the active chain.
        assert_eq!(suspend_to(o.id(), 0), Err(SuspendError::NotAncestor));
        match o.resume(x).unwrap() {
            Event::Returned(v) => v,
            e => panic!("{e:?}"),
        }
    });
    // b = 10, c = 11 + 1, d = 13 + 1, then 15.
    assert_eq!(p.resume(10), Ok(Event::Returned(15)));
    assert_eq!(outer.state(), State::Finished);
}

/// Counts drops.
struct Tally(Rc<Cell<usize>>);

impl Drop for Tally {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn cancel_runs_destructors_and_reuses_the_stack() {
    let drops = Rc::new(Cell::new(0));
    let tally = Tally(drops.clone());
    let f = fiber(move |_| {
        let _held = tally;
        let me = me();
        assert_eq!(suspend(&me, 1), Err(SuspendError::Cancelled));
        // Suspending again while cancelling fails at once, without a switch.
        assert_eq!(suspend(&me, 2), Err(SuspendError::Cancelled));
        0
    });
    let slot = slot_of(&f);
    assert_eq!(f.resume(0), Ok(Event::Suspended(1)));
    assert_eq!(drops.get(), 0);
    assert_eq!(f.cancel(), Ok(()));
    assert_eq!(drops.get(), 1);
    assert_eq!(f.state(), State::Finished);
    assert_eq!(f.cancel(), Ok(()));
    drop(f);
    let g = fiber(|x| x);
    assert_eq!(slot_of(&g), slot, "the cancelled fiber's stack is reused");
}

#[test]
fn cancel_of_a_fresh_fiber_drops_its_closure() {
    let drops = Rc::new(Cell::new(0));
    let tally = Tally(drops.clone());
    let f = fiber(move |_| {
        drop(tally);
        0
    });
    assert_eq!(f.cancel(), Ok(()));
    assert_eq!(drops.get(), 1);
    assert_eq!(f.state(), State::Finished);
    assert_eq!(f.resume(0), Err(ResumeError::Finished));
    let drops2 = Rc::new(Cell::new(0));
    let tally2 = Tally(drops2.clone());
    drop(fiber(move |_| {
        drop(tally2);
        0
    }));
    assert_eq!(drops2.get(), 1);
}

#[test]
fn closures_too_large_for_the_header_are_boxed_and_run_or_dropped_once() {
    let drops = Rc::new(Cell::new(0));
    let big = [7usize; 40];
    let tally = Tally(drops.clone());
    let f = fiber(move |x| {
        drop(tally);
        big.iter().sum::<usize>() + x
    });
    assert_eq!(f.resume(2), Ok(Event::Returned(282)));
    assert_eq!(drops.get(), 1, "run: its captures dropped once");
    let tally = Tally(drops.clone());
    drop(fiber(move |x| {
        drop(tally);
        big[0] + x
    }));
    assert_eq!(drops.get(), 2, "never run: its captures dropped once");
}

#[test]
fn dropping_a_suspended_fiber_cancels_it() {
    let drops = Rc::new(Cell::new(0));
    let unwound = Rc::new(Cell::new(false));
    let (tally, flag) = (Tally(drops.clone()), unwound.clone());
    let f = fiber(move |_| {
        let _held = tally;
        if suspend_to(my_id(), 0) == Err(SuspendError::Cancelled) {
            flag.set(true);
        }
        0
    });
    let slot = slot_of(&f);
    assert_eq!(f.resume(0), Ok(Event::Suspended(0)));
    drop(f);
    assert!(unwound.get());
    assert_eq!(drops.get(), 1);
    assert_eq!(slot_of(&fiber(|x| x)), slot);
}

#[test]
fn cancelling_a_segment_unwinds_every_fiber_in_it() {
    let drops = Rc::new(Cell::new(0));
    let (t1, t2, t3) = (
        Tally(drops.clone()),
        Tally(drops.clone()),
        Tally(drops.clone()),
    );
    let outer = fiber(move |_| {
        let _t1 = t1;
        let outer_id = my_id();
        let middle = fiber(move |_| {
            let _t2 = t2;
            let inner = fiber(move |_| {
                let _t3 = t3;
                assert_eq!(suspend_to(outer_id, 5), Err(SuspendError::Cancelled));
                0
            });
            assert_eq!(inner.resume(0), Ok(Event::Returned(0)));
            // Still cancelling: a suspend here fails at once too.
            assert_eq!(suspend_to(my_id(), 0), Err(SuspendError::Cancelled));
            0
        });
        assert_eq!(middle.resume(0), Ok(Event::Returned(0)));
        0
    });
    assert_eq!(outer.resume(0), Ok(Event::Suspended(5)));
    // Ok: every fiber unwound and returned without a failed assertion.
    assert_eq!(outer.cancel(), Ok(()));
    assert_eq!(drops.get(), 3);
}

#[test]
fn cancellations_count_their_depth() {
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let record = seen.clone();
    let outer = fiber(move |_| {
        let inner_record = record.clone();
        let held = fiber(move |_| {
            let _ = suspend_to(my_id(), 0);
            inner_record.borrow_mut().push(cancel_depth());
            0
        });
        let _ = held.resume(0);
        let _ = suspend_to(my_id(), 0);
        // Cancelled by the last handle's drop: one deep; cancelling `held` from here, two.
        record.borrow_mut().push(cancel_depth());
        let _ = held.cancel();
        record.borrow_mut().push(cancel_depth());
        0
    });
    assert_eq!(outer.resume(0), Ok(Event::Suspended(0)));
    assert_eq!(cancel_depth(), 0);
    drop(outer);
    assert_eq!(*seen.borrow(), vec![1, 2, 1]);
    assert_eq!(cancel_depth(), 0);
}

#[test]
fn only_a_fiber_being_cancelled_is_cancelling() {
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let record = seen.clone();
    let f = fiber(move |_| {
        record.borrow_mut().push(cancelling());
        // A fiber this one runs while it is being cancelled is not: it was not cancelled.
        let inner_record = record.clone();
        let _ = suspend_to(my_id(), 0);
        record.borrow_mut().push(cancelling());
        let helper = fiber(move |_| {
            inner_record.borrow_mut().push(cancelling());
            0
        });
        let _ = helper.resume(0);
        record.borrow_mut().push(cancelling());
        0
    });
    assert!(!cancelling());
    assert_eq!(f.resume(0), Ok(Event::Suspended(0)));
    assert_eq!(f.cancel(), Ok(()));
    assert!(!cancelling());
    assert_eq!(*seen.borrow(), vec![false, true, false, true]);
}

#[test]
fn a_panic_is_contained() {
    let f = fiber(|_| panic!("boom {}", 42));
    match f.resume(0).unwrap() {
        Event::Panicked(message) => {
            assert!(message.starts_with("boom 42 (panicked at "), "{message}");
            assert!(message.contains("tests.rs"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(f.state(), State::Finished);
    // A payload that is not a string.
    let g = fiber(|_| std::panic::panic_any(17_u32));
    assert!(matches!(g.resume(0), Ok(Event::Panicked(m)) if m.starts_with("Box<dyn Any>")));
    // A panic while cancelling is reported by cancel.
    let h = fiber(|_| {
        let _ = suspend(&me(), 0);
        panic!("unwinding went wrong")
    });
    h.resume(0).unwrap();
    assert!(matches!(h.cancel(), Err(ResumeError::Panicked(m)) if m.contains("went wrong")));
}

#[test]
fn a_panic_on_a_fiber_is_not_printed() {
    if in_child() {
        let f = fiber(|_| panic!("quiet, please"));
        assert!(matches!(f.resume(0), Ok(Event::Panicked(_))));
        eprintln!("child done");
        return;
    }
    let output = run_in_child(
        concat!(module_path!(), "::a_panic_on_a_fiber_is_not_printed"),
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("child done"), "{stderr}");
    assert!(!stderr.contains("quiet, please"), "{stderr}");
}

#[test]
fn running_out_of_address_space_is_an_error() {
    if in_child() {
        // A first fiber sets the pool up and maps a slab; then leave far less address
        // space than the next slab needs, and fill this one.
        let mut held = vec![Fiber::new(Box::new(|x| x)).unwrap()];
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let vm_kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmSize:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        let slab = (super::pool::SLOTS_PER_SLAB * super::pool::stack_size()) as u64;
        let cur = (vm_kib << 10) + slab / 4;
        let limit = libc::rlimit {
            rlim_cur: cur,
            rlim_max: cur,
        };
        // SAFETY: setrlimit with a valid struct; lowering the limit is always allowed.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
        let error = loop {
            match Fiber::new(Box::new(|x| x)) {
                Ok(fiber) => held.push(fiber),
                Err(error) => break error,
            }
            assert!(
                held.len() <= super::pool::SLOTS_PER_SLAB,
                "a second slab was mapped"
            );
        };
        assert_eq!(error, StackError::OutOfMemory);
        assert_eq!(error.to_string(), "out of memory for continuation stacks");
        eprintln!("child done");
        return;
    }
    let output = run_in_child(
        concat!(module_path!(), "::running_out_of_address_space_is_an_error"),
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("child done"), "{stderr}");
}

#[test]
fn a_stale_id_names_no_later_fiber() {
    let first = fiber(|x| x);
    let stale = first.id();
    let slot = slot_of(&first);
    drop(first);
    let again = Rc::new(Cell::new(None));
    let out = again.clone();
    let second = fiber(move |_| {
        out.set(Some(suspend_to(stale, 0)));
        0
    });
    assert_eq!(slot_of(&second), slot, "the slot is reused");
    assert_ne!(second.id(), stale);
    assert_eq!(second.resume(0), Ok(Event::Returned(0)));
    assert_eq!(again.get(), Some(Err(SuspendError::NotAncestor)));
}

#[test]
fn fibers_made_in_one_fiber_run_from_another() {
    let made = Rc::new(Cell::new(None::<Fiber>));
    let out = made.clone();
    let maker = fiber(move |_| {
        out.set(Some(fiber(|x| {
            let y = suspend(&me(), x + 1).unwrap();
            y * 2
        })));
        0
    });
    maker.resume(0).unwrap();
    let child = made.take().unwrap();
    let c1 = child.clone();
    let runner1 = fiber(move |x| match c1.resume(x).unwrap() {
        Event::Suspended(y) => y,
        e => panic!("{e:?}"),
    });
    let c2 = child.clone();
    let runner2 = fiber(move |x| match c2.resume(x).unwrap() {
        Event::Returned(y) => y,
        e => panic!("{e:?}"),
    });
    assert_eq!(runner1.resume(10), Ok(Event::Returned(11)));
    assert_eq!(runner2.resume(20), Ok(Event::Returned(40)));
}

#[test]
fn current_names_the_running_fiber() {
    assert!(current().is_none());
    let slot = Rc::new(Cell::new(None::<Fiber>));
    let out = slot.clone();
    let f = fiber(move |_| {
        out.set(current());
        0
    });
    f.resume(0).unwrap();
    let seen = slot.take().unwrap();
    assert!(seen.ptr_eq(&f));
    assert!(!seen.ptr_eq(&fiber(|x| x)));
}

#[test]
fn a_fiber_survives_dropping_its_last_handle_while_running() {
    let holder = Rc::new(Cell::new(None::<Fiber>));
    let inside = holder.clone();
    let f = fiber(move |_| {
        drop(inside.take()); // the last handle, while running
        let me = me();
        suspend(&me, 1).unwrap_or(2)
    });
    holder.set(Some(f.clone()));
    let f2 = f.clone();
    drop(f);
    // Resume through a temporary handle made from the only other one.
    let event = f2.resume(0);
    assert_eq!(event, Ok(Event::Suspended(1)));
    assert_eq!(f2.resume(5), Ok(Event::Returned(5)));
}

#[test]
fn a_hundred_thousand_suspended_stacks() {
    fn map_count() -> usize {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .count()
    }
    let before = map_count();
    let unwound = Rc::new(Cell::new(0));
    let fibers: Vec<Fiber> = (0..100_000)
        .map(|i| {
            let tally = Tally(unwound.clone());
            let f = fiber(move |_| {
                let _tally = tally;
                suspend_to(my_id(), i).unwrap_or(0)
            });
            assert_eq!(f.resume(0), Ok(Event::Suspended(i)));
            f
        })
        .collect();
    let during = map_count();
    assert!(during < 65_530 / 4, "{before} → {during} mappings");
    for (i, f) in fibers.iter().enumerate().step_by(1000) {
        assert_eq!(f.resume(i + 1), Ok(Event::Returned(i + 1)));
    }
    assert_eq!(unwound.get(), 100);
    // Dropping the rest cancels them: every frame unwinds.
    drop(fibers);
    assert_eq!(unwound.get(), 100_000);
}

#[test]
fn the_frame_pointer_chain_runs_into_the_parent() {
    /// Walks one link from `continuation_start`'s frame record (at the RBP slot of the
    /// running fiber's control context) and returns (next frame record, its return
    /// address, the RIP slot).
    fn first_link() -> (usize, usize, usize) {
        let header = chain::current().unwrap();
        let rbp_slot = header.as_ptr() as usize - 0x10;
        // SAFETY: the control context sits at the top of the running stack; while the
        // fiber runs its RBP slot holds the frame record the parent's switch pushed on
        // the parent's (intact, suspended) stack.
        unsafe {
            let next = *(rbp_slot as *const usize);
            let rip = *((rbp_slot + 8) as *const usize);
            (next, *((next + 8) as *const usize), rip)
        }
    }
    // Parent on the thread's stack.
    let sp = approximate_sp();
    let f = fiber(|_| {
        let (next, ret, rip) = first_link();
        // The parent's record returns where the RIP slot says.
        assert_eq!(ret, rip);
        suspend(&me(), next).unwrap();
        0
    });
    let Ok(Event::Suspended(next)) = f.resume(0) else {
        panic!()
    };
    assert!(
        next < sp && sp - next < 64 * 1024,
        "{next:#x} vs sp {sp:#x}"
    );
    assert_eq!(f.resume(0), Ok(Event::Returned(0)));
    // Parent on a fiber: the link lands inside the parent fiber's slot.
    let outer = fiber(|_| {
        let parent = chain::current_slot().unwrap();
        let inner = fiber(|_| first_link().0);
        let Ok(Event::Returned(next)) = inner.resume(0) else {
            panic!()
        };
        assert!(parent.base < next && next < parent.top);
        1
    });
    assert_eq!(outer.resume(0), Ok(Event::Returned(1)));
}
