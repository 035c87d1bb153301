//! A fixed workload to profile under callgrind (instruction counts are repeatable on a noisy
//! machine, unlike times):
//!
//! ```sh
//! cargo build --release -p booking-benches --bin profile
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/listing.out target/release/profile listing 90 2000
//! callgrind_annotate --inclusive=yes /tmp/listing.out | head -60
//! ```
//!
//! Workloads: `listing DAYS N` lists the availability teacher (see `availability_engine`)
//! N times over DAYS days (`listing-limited DAYS N`: with the teacher's lessons limited per day
//! and per week); `expand DAYS N` only expands its slots; `book N` books N seats round robin
//! over 10,000 sessions of 10 seats; `cancel N` books all 100,000 of those seats,
//! then cancels N of them; `hot N` runs N hot-session rounds on one
//! thread. Setup is included in the counts: compare with N = 0 to subtract it.

use booking_benches::{availability_engine, book, cancel, create_session, engine, query, slot_teacher, student};
use booking_core::availability::occurrences;
use booking_core::{BookingId, SessionId, UserId};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("listing") => {
            let e = availability_engine(1);
            let q = query(slot_teacher(0), num(1, 90) as i64);
            for _ in 0..num(2, 1000) {
                black_box(e.list_occurrences(black_box(&q)).expect("a listing"));
            }
        }
        Some("listing-limited") => {
            // The same listing, the teacher's default rules limiting lessons per day and week
            // (each slot's rules then check the teacher's 200 lessons).
            let e = availability_engine(1);
            let rules = booking_core::SchedulingRules {
                max_lessons_per_day: Some(8),
                max_lessons_per_week: Some(40),
                ..Default::default()
            };
            let teacher = slot_teacher(0);
            let command = booking_core::Command::SetSchedulingRules { teacher_id: teacher, course_id: None, rules };
            e.execute(booking_core::Actor::Teacher(teacher), command).expect("the teacher's rules");
            let q = query(teacher, num(1, 90) as i64);
            for _ in 0..num(2, 1000) {
                black_box(e.list_occurrences(black_box(&q)).expect("a listing"));
            }
        }
        Some("expand") => {
            let e = availability_engine(1);
            let slots = e.calendar(booking_core::Actor::System, slot_teacher(0)).expect("a calendar").slots.clone();
            let q = query(slot_teacher(0), num(1, 90) as i64);
            for _ in 0..num(2, 1000) {
                let mut all: Vec<_> =
                    slots.iter().flat_map(|s| occurrences(s, black_box(q.from), q.to).expect("a window")).collect();
                all.sort_unstable_by_key(|o| (o.starts_at, o.slot_id));
                black_box(all);
            }
        }
        Some("book") => {
            let e = engine();
            let sessions: Vec<SessionId> = (0..10_000).map(|_| create_session(&e, 10, true)).collect();
            for k in 0..num(1, 100_000).min(100_000) {
                black_box(book(&e, sessions[(k % 10_000) as usize], student(k / 10_000)));
            }
        }
        Some("cancel") => {
            // Books all 100,000 seats first (as `book 100000` does), then cancels N of them.
            let e = engine();
            let sessions: Vec<SessionId> = (0..10_000).map(|_| create_session(&e, 10, true)).collect();
            let booked: Vec<(BookingId, UserId)> = (0..100_000u64)
                .map(|k| {
                    let st = student(k / 10_000);
                    (book(&e, sessions[(k % 10_000) as usize], st), st)
                })
                .collect();
            for &(id, st) in booked.iter().take(num(1, 100_000) as usize) {
                cancel(&e, black_box(id), st);
            }
        }
        Some("hot") => {
            let e = engine();
            for _ in 0..num(1, 100) {
                let s = create_session(&e, 30, true);
                let students: Vec<UserId> = (0..60).map(student).collect();
                let ids: Vec<BookingId> = students.iter().map(|&st| book(&e, s, st)).collect();
                for (id, st) in ids.into_iter().zip(students) {
                    cancel(&e, id, st);
                }
            }
        }
        Some("hot2") => {
            // Two threads on one hot session (the default engine), counting how often each
            // thread was put to sleep (voluntary context switches) per command it ran.
            let e = engine();
            let rounds = num(1, 1000);
            let sessions: Vec<SessionId> = (0..rounds).map(|_| create_session(&e, 30, true)).collect();
            let barrier = std::sync::Barrier::new(2);
            // Which thread completed the last command, and how often the next one came from the
            // other thread: how often the session's turn changed cores.
            let last = std::sync::atomic::AtomicU64::new(u64::MAX);
            let handovers = std::sync::atomic::AtomicU64::new(0);
            let done = |t: u64| {
                if last.swap(t, std::sync::atomic::Ordering::Relaxed) != t {
                    handovers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            };
            // `hot2 N spin`: each command first takes its turn on a spinning lock of our own,
            // as the `2_threads_spin_turns` diagnostic bench does.
            let turn = Turn { spin: args.get(2).is_some_and(|a| a == "spin"), taken: AtomicBool::new(false) };
            let started = std::time::Instant::now();
            std::thread::scope(|scope| {
                for t in 0..2u64 {
                    let (e, sessions, barrier, done, turn) = (&e, &sessions, &barrier, &done, &turn);
                    scope.spawn(move || {
                        let before = switches();
                        for &s in sessions {
                            barrier.wait();
                            let students: Vec<UserId> = (t..60).step_by(2).map(student).collect();
                            let ids: Vec<BookingId> = students
                                .iter()
                                .map(|&st| {
                                    turn.run(|| {
                                        let id = book(e, s, st);
                                        done(t);
                                        id
                                    })
                                })
                                .collect();
                            for (id, st) in ids.into_iter().zip(students) {
                                turn.run(|| {
                                    cancel(e, id, st);
                                    done(t);
                                });
                            }
                        }
                        let (v, n) = switches();
                        let commands = rounds as f64 * 60.0;
                        println!(
                            "thread {t}: {:.2} voluntary, {:.2} involuntary context switches per command ({} rounds barrier included)",
                            (v - before.0) as f64 / commands,
                            (n - before.1) as f64 / commands,
                            rounds
                        );
                    });
                }
            });
            let commands = rounds as f64 * 120.0;
            let per = started.elapsed().as_secs_f64() * 1e6 / commands;
            let handed = handovers.load(std::sync::atomic::Ordering::Relaxed) as f64 / commands;
            let c = e.counters();
            println!(
                "{per:.3} µs per command; the next command came from the other thread {handed:.2} of the time; \
                 {} batches of {:.2} commits",
                c.batches,
                c.batched_commits as f64 / c.batches.max(1) as f64
            );
        }
        _ => {
            eprintln!("usage: profile listing|listing-limited|expand DAYS N | book N | hot N | hot2 N [spin]");
            std::process::exit(2);
        }
    }
}

/// This thread's (voluntary, involuntary) context switches so far, from /proc/thread-self/status.
fn switches() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap_or_default();
    let field =
        |name: &str| status.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    (field("voluntary_ctxt_switches:"), field("nonvoluntary_ctxt_switches:"))
}

/// Optionally, a spin-then-yield lock around each command.
struct Turn {
    spin: bool,
    taken: AtomicBool,
}

impl Turn {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        if !self.spin {
            return f();
        }
        let mut spins = 0u32;
        while self.taken.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            spins += 1;
            if spins.is_multiple_of(1024) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        let value = f();
        self.taken.store(false, Ordering::Release);
        value
    }
}
