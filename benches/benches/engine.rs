//! Issue 7, item 1: the in-memory engine, booking and cancelling on many sessions, and on one
//! hot session from one and from two threads, each next to its floor (see
//! [`booking_benches::Floor`]) measured in the same run.
//!
//! `cargo bench -p booking-benches --bench engine`; `benches/run-all` prints the ratios.

use booking_benches::{BenchEngine, Floor, book, cancel, create_session, engine, student};
use booking_core::{BookingId, SessionId, UserId};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

/// Sessions per batch in the many-sessions benchmarks.
const SESSIONS: u64 = 10_000;
/// Seats per session there: a batch is 100,000 bookings.
const SEATS: u64 = 10;

/// Seats of the hot session.
const HOT_SEATS: u32 = 30;
/// Students rushing to the hot session: 30 get a seat, 30 wait, then all cancel (each
/// cancellation of a seat promotes the next in line). One round is 120 commands.
const HOT_STUDENTS: u64 = 60;
/// Commands per hot round.
const HOT_COMMANDS: u64 = 2 * HOT_STUDENTS;

/// The `k`-th booking of a batch, round robin over the sessions: (session index, student).
fn seat(k: u64) -> (usize, UserId) {
    ((k % SESSIONS) as usize, student(k / SESSIONS))
}

/// Runs `iters` operations in batches of `SESSIONS * SEATS`, each batch on fresh state made
/// by `setup` (not timed); `run` times one batch's operations `0..n`.
fn batched<S>(iters: u64, mut setup: impl FnMut() -> S, mut run: impl FnMut(&mut S, u64) -> Duration) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(SESSIONS * SEATS);
        let mut state = setup();
        total += run(&mut state, n);
        drop(state);
        left -= n;
    }
    total
}

/// `iters` bookings round robin over fresh sessions (see [`batched`]), by an engine with group
/// commit `on` or off.
fn book_many(iters: u64, group_commit: bool) -> Duration {
    batched(
        iters,
        || {
            let e = engine().with_group_commit(group_commit);
            let sessions: Vec<SessionId> = (0..SESSIONS).map(|_| create_session(&e, SEATS as u32, true)).collect();
            (e, sessions)
        },
        |(e, sessions), n| {
            let start = Instant::now();
            for k in 0..n {
                let (s, st) = seat(k);
                black_box(book(e, sessions[s], st));
            }
            start.elapsed()
        },
    )
}

fn many_sessions(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine_many_sessions");
    g.throughput(Throughput::Elements(1)).sample_size(30).measurement_time(Duration::from_secs(5));

    g.bench_function("book", |b| b.iter_custom(|iters| book_many(iters, true)));

    // The same with group commit off: a single client never waits for a batch, so the two
    // should be the same (group commit is on by default only if it costs a single client
    // nothing).
    g.bench_function("book_group_commit_off", |b| b.iter_custom(|iters| book_many(iters, false)));

    g.bench_function("book_floor", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                || {
                    let mut f = Floor::default();
                    let sessions: Vec<SessionId> =
                        (0..SESSIONS).map(|i| SessionId::from_uuid(uuid::Uuid::from_u128(u128::from(i) + 1))).collect();
                    for s in &sessions {
                        f.create_session(*s, SEATS as u32);
                    }
                    (f, sessions)
                },
                |(f, sessions), n| {
                    let start = Instant::now();
                    for k in 0..n {
                        let (s, st) = seat(k);
                        black_box(f.book(sessions[s], st).expect("a free seat"));
                    }
                    start.elapsed()
                },
            )
        })
    });

    g.bench_function("cancel", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                || {
                    let e = engine();
                    let sessions: Vec<SessionId> =
                        (0..SESSIONS).map(|_| create_session(&e, SEATS as u32, true)).collect();
                    let bookings: Vec<(BookingId, UserId)> = (0..SESSIONS * SEATS)
                        .map(|k| {
                            let (s, st) = seat(k);
                            (book(&e, sessions[s], st), st)
                        })
                        .collect();
                    (e, bookings)
                },
                |(e, bookings), n| {
                    let start = Instant::now();
                    for &(id, st) in &bookings[..n as usize] {
                        cancel(e, id, st);
                    }
                    start.elapsed()
                },
            )
        })
    });

    g.bench_function("cancel_floor", |b| {
        b.iter_custom(|iters| {
            batched(
                iters,
                || {
                    let mut f = Floor::default();
                    let sessions: Vec<SessionId> =
                        (0..SESSIONS).map(|i| SessionId::from_uuid(uuid::Uuid::from_u128(u128::from(i) + 1))).collect();
                    for s in &sessions {
                        f.create_session(*s, SEATS as u32);
                    }
                    let bookings: Vec<u64> = (0..SESSIONS * SEATS)
                        .map(|k| {
                            let (s, st) = seat(k);
                            f.book(sessions[s], st).expect("a free seat")
                        })
                        .collect();
                    (f, bookings)
                },
                |(f, bookings), n| {
                    let start = Instant::now();
                    for &id in &bookings[..n as usize] {
                        assert!(black_box(f.cancel(id)));
                    }
                    start.elapsed()
                },
            )
        })
    });
    g.finish();
}

/// One thread's share of a hot round on `session`: students `first, first + step, ...` book,
/// then cancel.
fn hot_share(e: &booking_benches::BenchEngine, session: SessionId, first: u64, step: u64) {
    let students: Vec<UserId> = (first..HOT_STUDENTS).step_by(step as usize).map(student).collect();
    let bookings: Vec<BookingId> = students.iter().map(|&st| book(e, session, st)).collect();
    for (id, st) in bookings.into_iter().zip(students) {
        cancel(e, id, st);
    }
}

/// The floor's share of a hot round: the same work on a mutex-guarded [`Floor`] (the least a
/// shared store must add: a lock).
fn hot_floor_share(f: &Mutex<Floor>, session: SessionId, first: u64, step: u64) {
    let students: Vec<UserId> = (first..HOT_STUDENTS).step_by(step as usize).map(student).collect();
    let bookings: Vec<Option<u64>> = students.iter().map(|&st| f.lock().unwrap().book(session, st)).collect();
    for id in bookings.into_iter().flatten() {
        black_box(f.lock().unwrap().cancel(id));
    }
}

/// A lock that spins (then yields) instead of sleeping: what the diagnostic
/// `2_threads_spin_turns` puts in front of the engine.
#[derive(Default)]
struct SpinTurn(AtomicBool);

impl SpinTurn {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        let mut spins = 0u32;
        while self.0.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            spins += 1;
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        let value = f();
        self.0.store(false, Ordering::Release);
        value
    }
}

/// `iters` hot rounds, each on a fresh session of `e` by two threads at once.
fn hot_two_threads(iters: u64, e: BenchEngine) -> Duration {
    let sessions: Vec<SessionId> = (0..iters).map(|_| create_session(&e, HOT_SEATS, true)).collect();
    let barrier = Barrier::new(2);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (e, sessions, barrier) = (&e, &sessions, &barrier);
            scope.spawn(move || {
                for &s in sessions {
                    // Both threads work on the same session at the same time.
                    barrier.wait();
                    hot_share(e, s, t, 2);
                }
            });
        }
    });
    start.elapsed()
}

fn hot_session(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine_hot_session");
    // One iteration is one round of HOT_COMMANDS commands on a fresh session.
    g.throughput(Throughput::Elements(HOT_COMMANDS)).sample_size(30).measurement_time(Duration::from_secs(5));

    g.bench_function("1_thread", |b| {
        b.iter_custom(|iters| {
            let e = engine();
            let sessions: Vec<SessionId> = (0..iters).map(|_| create_session(&e, HOT_SEATS, true)).collect();
            let start = Instant::now();
            for &s in &sessions {
                hot_share(&e, s, 0, 1);
            }
            start.elapsed()
        })
    });

    g.bench_function("2_threads", |b| b.iter_custom(|iters| hot_two_threads(iters, engine())));

    g.bench_function("2_threads_group_commit_off", |b| {
        b.iter_custom(|iters| hot_two_threads(iters, engine().with_group_commit(false)))
    });

    // Diagnostics (not targets): the same two threads each on a session of its own (the
    // machine's and the store's parallelism without a shared aggregate; a round is then
    // 2 x HOT_COMMANDS commands, see the report), and on one session with the in-process queue
    // turned off (racing through the version check, as separate processes would).
    g.throughput(Throughput::Elements(2 * HOT_COMMANDS));
    g.bench_function("2_threads_2_sessions", |b| {
        b.iter_custom(|iters| {
            let e = engine();
            let sessions: Vec<[SessionId; 2]> = (0..iters)
                .map(|_| [create_session(&e, HOT_SEATS, true), create_session(&e, HOT_SEATS, true)])
                .collect();
            let barrier = Barrier::new(2);
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2 {
                    let (e, sessions, barrier) = (&e, &sessions, &barrier);
                    scope.spawn(move || {
                        for pair in sessions {
                            barrier.wait();
                            hot_share(e, pair[t], 0, 1);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });

    g.throughput(Throughput::Elements(HOT_COMMANDS));
    g.bench_function("2_threads_no_queue", |b| {
        b.iter_custom(|iters| hot_two_threads(iters, engine().with_local_queueing(false)))
    });

    // Diagnostic: the same two threads on one session, each command waiting its turn on a
    // spin-then-yield lock of the benchmark's own before it enters the engine, so the
    // engine's queue mutex is never contended and no thread sleeps in it.
    g.bench_function("2_threads_spin_turns", |b| {
        b.iter_custom(|iters| {
            let e = engine();
            let sessions: Vec<SessionId> = (0..iters).map(|_| create_session(&e, HOT_SEATS, true)).collect();
            let barrier = Barrier::new(2);
            let turn = SpinTurn::default();
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2 {
                    let (e, sessions, barrier, turn) = (&e, &sessions, &barrier, &turn);
                    scope.spawn(move || {
                        for &s in sessions {
                            barrier.wait();
                            let students: Vec<UserId> = (t..HOT_STUDENTS).step_by(2).map(student).collect();
                            let bookings: Vec<BookingId> =
                                students.iter().map(|&st| turn.run(|| book(e, s, st))).collect();
                            for (id, st) in bookings.into_iter().zip(students) {
                                turn.run(|| cancel(e, id, st));
                            }
                        }
                    });
                }
            });
            start.elapsed()
        })
    });

    let floor = |iters: u64| {
        let mut f = Floor::default();
        let sessions: Vec<SessionId> =
            (0..iters).map(|i| SessionId::from_uuid(uuid::Uuid::from_u128(u128::from(i) + 1))).collect();
        for &s in &sessions {
            // No waitlist in the floor: every student gets a seat.
            f.create_session(s, HOT_STUDENTS as u32);
        }
        (Mutex::new(f), sessions)
    };

    g.bench_function("floor_1_thread", |b| {
        b.iter_custom(|iters| {
            let (f, sessions) = floor(iters);
            let start = Instant::now();
            for &s in &sessions {
                hot_floor_share(&f, s, 0, 1);
            }
            start.elapsed()
        })
    });

    g.bench_function("floor_2_threads", |b| {
        b.iter_custom(|iters| {
            let (f, sessions) = floor(iters);
            let barrier = Barrier::new(2);
            let start = Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2 {
                    let (f, sessions, barrier) = (&f, &sessions, &barrier);
                    scope.spawn(move || {
                        for &s in sessions {
                            barrier.wait();
                            hot_floor_share(f, s, t, 2);
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, many_sessions, hot_session);
criterion_main!(benches);
