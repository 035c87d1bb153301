//! Booking races: many threads on one session through one shared engine, then an audit of
//! every attempt and of the stored history.
//!
//! The interleaving differs from run to run, but each thread's sequence of commands is fixed
//! (a seeded generator) and the audit holds for every interleaving: each thread owns its
//! students, so it knows, for every command it sends, whether it must succeed, be replayed,
//! or be refused and with which code.

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, new_session, student, teacher};
use super::model::{apply_checked, check_invariants, check_stored, split_finished};
use crate::{
    Actor, BookingError, BookingId, Engine, GroupSession, Receipt, Repository, Request, SeatBooking, SeatStatus,
    SessionId, UserId,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Barrier};

/// Threads in each race.
const THREADS: u32 = 8;
/// Rounds of the mixed race (each on a fresh store, with other sequences).
const MIXED_ROUNDS: u32 = 5;
/// Commands per thread in the mixed race.
const OPS_PER_THREAD: usize = 40;
/// Students each thread books for in the mixed race.
const STUDENTS_PER_THREAD: u32 = 3;
/// Seats of the mixed race's session (waitlist on).
const MIXED_CAPACITY: u32 = 3;
/// Seats of the seat-grab race's session (waitlist off).
const GRAB_CAPACITY: u32 = 5;
/// Students each thread books for in the seat-grab race.
const GRABBERS_PER_THREAD: u32 = 3;
/// Seats of the multi-seat grab's session (waitlist off).
const MULTI_GRAB_CAPACITY: u32 = 7;

/// `new` with bookings of up to 3 seats allowed (the default is 1 seat per booking).
fn several_seats(new: crate::NewGroupSession) -> crate::NewGroupSession {
    crate::NewGroupSession {
        rules: crate::SchedulingRules { max_seats_per_booking: Some(3), ..Default::default() },
        ..new
    }
}

/// Seats the `j`-th student of a thread books in the mixed race: 1 or 2, so a waiting pair
/// can block a single behind it.
fn mixed_seats(j: u32) -> u32 {
    1 + j % 2
}

/// An engine the threads of a race go through.
type SharedEngine = Arc<Engine<Arc<dyn Repository>>>;

/// How the threads of a race reach the store.
#[derive(Clone, Copy, Debug)]
enum Racing {
    /// Through one engine with in-process queueing off: every command races every other
    /// through the store's version check.
    Commands,
    /// Through two engines over the same store (two processes), each with group commit on:
    /// the threads on one engine are batched, and its batches race the other's through the
    /// store's version check.
    Batches,
}

/// The engines the threads of a race go through: thread `t` through
/// `engines[t % engines.len()]`.
fn racers(factory: StoreFactory<'_>, racing: Racing) -> Vec<SharedEngine> {
    match racing {
        Racing::Commands => {
            let h = Harness::racing(factory);
            vec![Arc::new(h.engine)]
        }
        Racing::Batches => {
            let h = Harness::new(factory);
            let other = Engine::new(Arc::clone(h.engine.repository()))
                .with_clock(Arc::clone(&h.clock))
                .with_ids(crate::SequentialIds::starting_after(1 << 41));
            vec![Arc::new(h.engine.with_group_commit(true)), Arc::new(other.with_group_commit(true))]
        }
    }
}

/// A small deterministic generator (xorshift64), one per thread.
struct Rng(u64);

impl Rng {
    /// The generator of one thread in one round.
    fn new(round: u32, thread: u32) -> Self {
        Self(0x9e37_79b9_7f4a_7c15 ^ (u64::from(round) << 48 | u64::from(thread) << 32 | 0x2545))
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A command a thread sends, as its own student.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Book seats for the student.
    Book {
        /// The student.
        student: UserId,
        /// How many seats.
        seats: u32,
    },
    /// Cancel one of the student's bookings.
    Cancel {
        /// The student.
        student: UserId,
        /// The booking.
        booking: BookingId,
    },
}

/// What the thread knows the outcome must be.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expected {
    /// Success, decided now.
    Fresh,
    /// The receipt of this thread's attempt number `of`, replayed.
    Replay {
        /// The attempt replayed.
        of: usize,
    },
    /// Refused with this code.
    Refused(&'static str),
}

/// One attempt and its outcome.
#[derive(Debug)]
struct Attempt {
    /// The thread (1-based).
    thread: u32,
    /// Its number in the thread.
    n: usize,
    /// The command.
    op: Op,
    /// Its request key, if any.
    key: Option<String>,
    /// The outcome the thread expects.
    expected: Expected,
    /// The outcome.
    result: Result<Receipt<SeatBooking>, BookingError>,
}

impl Attempt {
    /// The attempt, for a failure message.
    fn describe(&self) -> String {
        let outcome = match &self.result {
            Ok(r) => format!("ok (version {}, replayed {}, {:?})", r.version, r.replayed, r.value.status),
            Err(e) => format!("{} ({e})", e.code()),
        };
        format!(
            "thread {} attempt {} {:?} key {:?}: expected {:?}, got {outcome}",
            self.thread, self.n, self.op, self.key, self.expected
        )
    }
}

/// What one thread of the mixed race did, and what it believes at the end.
struct WorkerReport {
    /// Every attempt, in order.
    attempts: Vec<Attempt>,
    /// Each of its students with their active booking, as the thread knows it.
    active: Vec<(UserId, Option<BookingId>)>,
}

/// A student of a thread: their active booking and the ones they cancelled.
struct Own {
    /// The student.
    id: UserId,
    /// The seats they book each time.
    seats: u32,
    /// Their confirmed or waitlisted booking.
    active: Option<BookingId>,
    /// Their bookings cancelled so far.
    cancelled: Vec<BookingId>,
}

/// The outcome of `op` decided now, from what the thread knows of its students.
fn expect_fresh(students: &[Own], op: Op) -> Expected {
    match op {
        Op::Book { student, .. } => match students.iter().find(|s| s.id == student).and_then(|s| s.active) {
            Some(_) => Expected::Refused("already_booked"),
            None => Expected::Fresh,
        },
        Op::Cancel { student, booking } => match students.iter().find(|s| s.id == student).and_then(|s| s.active) {
            Some(active) if active == booking => Expected::Fresh,
            _ => Expected::Refused("invalid_transition"),
        },
    }
}

/// One thread of the mixed race: books, cancels its own bookings, books again, sometimes
/// books while holding a booking or cancels a cancelled one (both refused), and sends some
/// commands under request keys, retrying them right away or later.
fn mixed_worker(engine: &SharedEngine, session: SessionId, round: u32, thread: u32, barrier: &Barrier) -> WorkerReport {
    let mut rng = Rng::new(round, thread);
    let mut students: Vec<Own> = (0..STUDENTS_PER_THREAD)
        .map(|j| Own {
            id: student(1000 + thread * 10 + j),
            seats: mixed_seats(j),
            active: None,
            cancelled: Vec::new(),
        })
        .collect();
    // Every keyed command: its key, the command, and the attempt that first succeeded with it.
    let mut keyed: Vec<(String, Op, Option<usize>)> = Vec::new();
    let mut last_keyed: Option<usize> = None;
    let mut attempts = Vec::with_capacity(OPS_PER_THREAD);
    barrier.wait();
    for n in 0..OPS_PER_THREAD {
        let retry = match last_keyed {
            Some(k) if rng.below(3) == 0 => Some(k),
            _ if !keyed.is_empty() && rng.below(6) == 0 => Some(rng.below(keyed.len())),
            _ => None,
        };
        let (op, key, expected, keyed_index) = match retry {
            Some(k) => {
                let (key, op, first) = keyed[k].clone();
                let expected = first.map_or_else(|| expect_fresh(&students, op), |of| Expected::Replay { of });
                (op, Some(key), expected, Some(k))
            }
            None => {
                let own = &students[rng.below(students.len())];
                let op = match own.active {
                    Some(booking) if rng.below(5) > 0 => Op::Cancel { student: own.id, booking },
                    None if !own.cancelled.is_empty() && rng.below(5) == 0 => {
                        Op::Cancel { student: own.id, booking: own.cancelled[rng.below(own.cancelled.len())] }
                    }
                    _ => Op::Book { student: own.id, seats: own.seats },
                };
                let expected = expect_fresh(&students, op);
                if rng.below(3) == 0 {
                    let key = format!("race-{thread}-{n}");
                    keyed.push((key.clone(), op, None));
                    (op, Some(key), expected, Some(keyed.len() - 1))
                } else {
                    (op, None, expected, None)
                }
            }
        };
        last_keyed = keyed_index;
        let result = match op {
            Op::Book { student, seats } => {
                engine.book_seats(Request { actor: Actor::Student(student), key: key.clone() }, session, student, seats)
            }
            Op::Cancel { student, booking } => {
                engine.cancel_booking(Request { actor: Actor::Student(student), key: key.clone() }, booking)
            }
        };
        if let Ok(r) = &result
            && !r.replayed
        {
            match op {
                Op::Book { student, .. } => {
                    if let Some(own) = students.iter_mut().find(|s| s.id == student) {
                        own.active = Some(r.value.id);
                    }
                }
                Op::Cancel { student, booking } => {
                    if let Some(own) = students.iter_mut().find(|s| s.id == student) {
                        own.active = None;
                        own.cancelled.push(booking);
                    }
                }
            }
            if let Some(k) = keyed_index
                && keyed[k].2.is_none()
            {
                keyed[k].2 = Some(n);
            }
        }
        attempts.push(Attempt { thread, n, op, key, expected, result });
    }
    WorkerReport { attempts, active: students.iter().map(|s| (s.id, s.active)).collect() }
}

/// Runs `worker` on [`THREADS`] threads released together, and collects what they return.
fn race<T: Send>(
    engines: &[SharedEngine],
    worker: impl Fn(&SharedEngine, u32, &Barrier) -> T + Sync,
) -> Result<Vec<T>, String> {
    let barrier = Barrier::new(THREADS as usize);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=THREADS)
            .map(|thread| {
                let engine = Arc::clone(&engines[thread as usize % engines.len()]);
                let (barrier, worker) = (&barrier, &worker);
                scope.spawn(move || worker(&engine, thread, barrier))
            })
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| h.join().map_err(|_| format!("worker thread {} panicked", i + 1)))
            .collect()
    })
}

/// Audits the history of one session from the successful, non-replayed receipts of every
/// command on it:
/// - their versions are exactly `2..=stored.version`, each once (no lost update, no duplicate);
/// - replaying their events in version order with [`apply_checked`] onto the created session
///   gives, after each version, a session that passes [`check_invariants`] (seats taken <=
///   capacity, one active booking per student, nobody waits while a seat is free), in which
///   every promotion took the head of the waitlist, and whose booking equals the receipt's;
/// - after the last version, exactly the stored session.
fn audit_history(
    created: &GroupSession,
    stored: &GroupSession,
    receipts: &[&Receipt<SeatBooking>],
    now: DateTime<Utc>,
) -> Result<Vec<SeatBooking>, String> {
    let mut by_version: Vec<&Receipt<SeatBooking>> = receipts.to_vec();
    by_version.sort_by_key(|r| r.version);
    let versions: Vec<u64> = by_version.iter().map(|r| r.version).collect();
    let expected: Vec<u64> = (2..=stored.version).collect();
    if versions != expected {
        let seen: BTreeSet<u64> = versions.iter().copied().collect();
        let duplicates: Vec<u64> = versions.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        let missing: Vec<u64> = expected.iter().copied().filter(|v| !seen.contains(v)).collect();
        let beyond: Vec<u64> = seen.iter().copied().filter(|v| !(2..=stored.version).contains(v)).collect();
        return Err(format!(
            "successful commands should have versions 2..={} once each: duplicated {duplicates:?} (lost update), \
             missing {missing:?}, outside the range {beyond:?}",
            stored.version
        ));
    }
    let mut state = created.clone();
    check_invariants(&state, Some(now))?;
    for r in by_version {
        ensure(!r.events.is_empty(), || format!("the command at version {} has no events", r.version))?;
        for e in &r.events {
            apply_checked(&mut state, e).map_err(|e| format!("at version {}: {e}", r.version))?;
        }
        state.version = r.version;
        check_invariants(&state, Some(now)).map_err(|e| format!("after version {}: {e}", r.version))?;
        ensure_eq(
            state.booking(r.value.id),
            Some(&r.value),
            &format!("the booking returned at version {}", r.version),
        )?;
    }
    // The store keeps the finished bookings in its history, not in the session.
    let finished = split_finished(&mut state);
    ensure(state == *stored, || {
        format!("replaying every event onto the created session gives\n{state:?}\nbut the store holds\n{stored:?}")
    })?;
    Ok(finished)
}

/// The mixed race: [`THREADS`] threads x [`OPS_PER_THREAD`] commands on one session of
/// [`MIXED_CAPACITY`] seats with the waitlist on, by students booking one or two seats (see
/// [`mixed_seats`]), then the audit of every attempt, of the session's history and of its
/// final state.
fn mixed_race(factory: StoreFactory<'_>, round: u32, racing: Racing) -> Result<(), String> {
    let engines = racers(factory, racing);
    let engine = &engines[0];
    let now = engine.now();
    let created = engine
        .create_session(Actor::Teacher(teacher(1)), several_seats(new_session(teacher(1), MIXED_CAPACITY, true)))
        .map_err(|e| format!("creating the session: {e}"))?
        .value;
    let session = created.id;
    let reports = race(&engines, |engine, thread, barrier| mixed_worker(engine, session, round, thread, barrier))?;
    let stored =
        engine.session(Actor::System, session).map_err(|e| format!("loading the session after the race: {e}"))?;

    // Every attempt has the outcome its thread expects.
    let mut failures = Vec::new();
    let mut contention = 0;
    for report in &reports {
        for a in &report.attempts {
            let fine = match (&a.expected, &a.result) {
                (Expected::Fresh, Ok(r)) => !r.replayed,
                (Expected::Replay { of }, Ok(r)) => {
                    let first = report.attempts.get(*of).and_then(|f| f.result.as_ref().ok());
                    r.replayed
                        && first.is_some_and(|f| (&f.value, &f.events, f.version) == (&r.value, &r.events, r.version))
                }
                (Expected::Refused(code), Err(e)) => e.code().as_str() == *code,
                _ => false,
            };
            if let Err(e) = &a.result {
                match e.code().as_str() {
                    "contention" => contention += 1,
                    "session_full" => failures.push(format!("session_full with the waitlist on: {}", a.describe())),
                    "already_booked" | "invalid_transition" => {}
                    other => failures.push(format!("unexpected error code {other}: {}", a.describe())),
                }
            }
            if !fine {
                failures.push(a.describe());
            }
        }
    }
    if !failures.is_empty() {
        let total = failures.len();
        failures.truncate(10);
        return Err(format!(
            "{total} attempts had the wrong outcome ({contention} gave up with contention); first ones:\n{}",
            failures.join("\n")
        ));
    }

    // The history explains the stored session.
    let receipts: Vec<&Receipt<SeatBooking>> = reports
        .iter()
        .flat_map(|r| &r.attempts)
        .filter_map(|a| a.result.as_ref().ok())
        .filter(|r| !r.replayed)
        .collect();
    for finished in audit_history(&created, &stored, &receipts, now)? {
        let read =
            engine.seat_booking(Actor::System, finished.id).map_err(|e| format!("reading finished booking: {e}"))?;
        ensure_eq(read, finished, "a finished booking read back by id vs. its events")?;
    }

    // The final state is what the threads know: their students' active bookings, seats
    // filled first, the rest waiting.
    let mut known: HashSet<BookingId> = HashSet::new();
    for report in &reports {
        for &(id, active) in &report.active {
            ensure_eq(stored.active_booking_of(id).map(|b| b.id), active, &format!("active booking of student {id}"))?;
            known.extend(active);
        }
    }
    let active: HashSet<BookingId> = stored.bookings.iter().filter(|b| b.status.is_active()).map(|b| b.id).collect();
    ensure_eq(&active, &known, "active bookings")?;
    let asked: u32 = stored.bookings.iter().filter(|b| b.status.is_active()).map(|b| b.seats).sum();
    ensure_eq(
        stored.booked_seats() + stored.waitlisted_seats(),
        asked,
        "final seats taken plus seats waited for, against the active bookings' seats",
    )?;
    check_stored(&stored, Some(now)).map_err(|e| format!("final state: {e}"))?;
    ensure(stored.capacity == MIXED_CAPACITY && stored.waitlist_enabled, || {
        "capacity and waitlist unchanged".to_owned()
    })
}

/// The seat grab: [`THREADS`] x [`GRABBERS_PER_THREAD`] students book a session of
/// [`GRAB_CAPACITY`] seats without a waitlist at once: exactly that many are confirmed, all
/// others get `session_full`, and the history never shows more seats taken.
fn seat_grab(factory: StoreFactory<'_>, racing: Racing) -> Result<(), String> {
    let engines = racers(factory, racing);
    let engine = &engines[0];
    let now = engine.now();
    let created = engine
        .create_session(Actor::Teacher(teacher(1)), new_session(teacher(1), GRAB_CAPACITY, false))
        .map_err(|e| format!("creating the session: {e}"))?
        .value;
    let session = created.id;
    let results = race(&engines, |engine, thread, barrier| {
        barrier.wait();
        (0..GRABBERS_PER_THREAD)
            .map(|j| {
                let s = student(2000 + thread * 10 + j);
                (s, engine.book_seat(Actor::Student(s), session, s))
            })
            .collect::<Vec<_>>()
    })?;
    let stored =
        engine.session(Actor::System, session).map_err(|e| format!("loading the session after the race: {e}"))?;
    let mut confirmed = Vec::new();
    let mut failures = Vec::new();
    for (s, result) in results.iter().flatten() {
        match result {
            Ok(r) if r.value.status == SeatStatus::Confirmed && !r.replayed => confirmed.push(r),
            Err(e) if e.code().as_str() == "session_full" => {}
            other => failures.push(format!("student {s}: expected a confirmed seat or session_full, got {other:?}")),
        }
    }
    if !failures.is_empty() {
        let total = failures.len();
        failures.truncate(10);
        return Err(format!("{total} bookings had the wrong outcome; first ones:\n{}", failures.join("\n")));
    }
    ensure_eq(confirmed.len(), GRAB_CAPACITY as usize, "confirmed bookings")?;
    audit_history(&created, &stored, &confirmed, now)?;
    ensure_eq(
        (stored.booked_seats(), stored.bookings.len()),
        (GRAB_CAPACITY, GRAB_CAPACITY as usize),
        "stored (seats taken, bookings)",
    )
}

/// The multi-seat grab: [`THREADS`] x [`GRABBERS_PER_THREAD`] students book 1, 2 or 3 seats at
/// once in a session of [`MULTI_GRAB_CAPACITY`] seats without a waitlist. Every booking is
/// confirmed with all its seats or refused with `session_full`; the seats confirmed never
/// exceed the capacity, at any version of the history; and every refused booking asked for
/// more seats than are left at the end (seats are only taken, so it did not fit when refused).
fn multi_seat_grab(factory: StoreFactory<'_>, racing: Racing) -> Result<(), String> {
    let engines = racers(factory, racing);
    let engine = &engines[0];
    let now = engine.now();
    let created = engine
        .create_session(Actor::Teacher(teacher(1)), several_seats(new_session(teacher(1), MULTI_GRAB_CAPACITY, false)))
        .map_err(|e| format!("creating the session: {e}"))?
        .value;
    let session = created.id;
    let results = race(&engines, |engine, thread, barrier| {
        barrier.wait();
        (0..GRABBERS_PER_THREAD)
            .map(|j| {
                let s = student(4000 + thread * 10 + j);
                let seats = 1 + (thread + j) % 3;
                (s, seats, engine.book_seats(Actor::Student(s), session, s, seats))
            })
            .collect::<Vec<_>>()
    })?;
    let stored =
        engine.session(Actor::System, session).map_err(|e| format!("loading the session after the race: {e}"))?;
    let mut confirmed = Vec::new();
    let mut refused = Vec::new();
    let mut failures = Vec::new();
    for (s, seats, result) in results.iter().flatten() {
        match result {
            Ok(r) if r.value.status == SeatStatus::Confirmed && r.value.seats == *seats && !r.replayed => {
                confirmed.push(r)
            }
            Err(e) if e.code().as_str() == "session_full" => refused.push((*s, *seats)),
            other => failures
                .push(format!("student {s} ({seats} seats): expected a confirmation or session_full, got {other:?}")),
        }
    }
    if !failures.is_empty() {
        let total = failures.len();
        failures.truncate(10);
        return Err(format!("{total} bookings had the wrong outcome; first ones:\n{}", failures.join("\n")));
    }
    audit_history(&created, &stored, &confirmed, now)?;
    let taken: u32 = confirmed.iter().map(|r| r.value.seats).sum();
    ensure_eq(
        (stored.booked_seats(), stored.bookings.len()),
        (taken, confirmed.len()),
        "stored (seats taken, bookings)",
    )?;
    ensure(taken <= MULTI_GRAB_CAPACITY, || format!("{taken} seats confirmed of {MULTI_GRAB_CAPACITY}"))?;
    let left = stored.remaining_seats();
    match refused.iter().find(|(_, seats)| *seats <= left) {
        Some((s, seats)) => Err(format!("student {s} was refused {seats} seats though {left} are still free")),
        None => Ok(()),
    }
}

/// Checks the outcomes of one command sent at once by [`THREADS`] threads under the same
/// actor and request key: exactly one ran, and every other one is its replay, even a retry
/// that read the request records just before the run committed and the state just after.
fn one_ran_others_replayed<T: PartialEq + std::fmt::Debug>(
    what: &str,
    results: &[Result<Receipt<T>, BookingError>],
) -> Result<(), String> {
    let runs: Vec<&Receipt<T>> = results.iter().flatten().filter(|r| !r.replayed).collect();
    let run = match runs.as_slice() {
        [run] => *run,
        [] => return Err(format!("{what}: no attempt ran (results: {results:?})")),
        _ => {
            return Err(format!(
                "{what}: one request ran {} times (the store did not refuse the duplicate request key): {runs:?}",
                runs.len()
            ));
        }
    };
    for r in results {
        match r {
            Ok(r) => ensure((&r.value, &r.events, r.version) == (&run.value, &run.events, run.version), || {
                format!("{what}: a replay differs from the run it replays: {r:?} vs {run:?}")
            })?,
            Err(e) => {
                return Err(format!("{what}: a retry failed with {} ({e}) instead of replaying {run:?}", e.code()));
            }
        }
    }
    Ok(())
}

/// Rounds of the duplicate-request race.
const DUPLICATE_ROUNDS: u32 = 20;

/// The duplicate-request race: [`THREADS`] threads send the same command under the same
/// actor and request key at once (a client retrying over several connections). Exactly one
/// runs and the others replay it: for a booking the version check alone ensures that, but two
/// creations write different sessions, so only the store's refusal of a duplicate request key
/// prevents a second session.
fn duplicate_requests(factory: StoreFactory<'_>, racing: Racing) -> Result<(), String> {
    let engines = racers(factory, racing);
    let engine = &engines[0];
    let t = Actor::Teacher(teacher(1));
    let mut sessions = Vec::new();
    for round in 0..DUPLICATE_ROUNDS {
        let key = format!("create-{round}");
        let results = race(&engines, |engine, _, barrier| {
            barrier.wait();
            engine.create_session(t.with_key(key.clone()), new_session(teacher(1), 2, true))
        })?;
        one_ran_others_replayed(&format!("round {round}, keyed creation"), &results)?;
        if let Some(Ok(r)) = results.first() {
            sessions.push(r.value.id);
        }
    }
    for (round, &session) in sessions.iter().enumerate() {
        let s = student(3000 + round as u32);
        let key = format!("book-{round}");
        let results = race(&engines, |engine, _, barrier| {
            barrier.wait();
            engine.book_seat(Actor::Student(s).with_key(key.clone()), session, s)
        })?;
        one_ran_others_replayed(&format!("round {round}, keyed booking"), &results)?;
        let stored = engine.session(Actor::System, session).map_err(|e| format!("loading session {session}: {e}"))?;
        ensure_eq(
            (stored.version, stored.bookings.len()),
            (2, 1),
            &format!("round {round}: (version, bookings) after one booking"),
        )?;
    }
    Ok(())
}

/// The concurrency audit: the mixed race (book one or two seats, cancel, re-book, retries
/// under request keys, with the waitlist on), the seat grab (no waitlist), the multi-seat grab
/// and the duplicate-request race. See [`mixed_race`], [`seat_grab`], [`multi_seat_grab`] and
/// [`duplicate_requests`].
pub(crate) fn booking_race_audit(factory: StoreFactory<'_>) -> Result<(), String> {
    race_audit(factory, Racing::Commands)
}

/// The concurrency audit of [`booking_race_audit`] with group commit on: the threads go through
/// two engines over the same store, each batching the commands its threads send, so batches
/// race each other through the store's version check (see [`Racing::Batches`]).
pub(crate) fn batch_race_audit(factory: StoreFactory<'_>) -> Result<(), String> {
    race_audit(factory, Racing::Batches)
}

fn race_audit(factory: StoreFactory<'_>, racing: Racing) -> Result<(), String> {
    for round in 0..MIXED_ROUNDS {
        mixed_race(factory, round, racing).map_err(|e| format!("mixed race, round {round}: {e}"))?;
    }
    seat_grab(factory, racing).map_err(|e| format!("seat grab: {e}"))?;
    multi_seat_grab(factory, racing).map_err(|e| format!("multi-seat grab: {e}"))?;
    duplicate_requests(factory, racing).map_err(|e| format!("duplicate requests: {e}"))
}
