//! Four worker processes book, cancel and book again on one session, with request keys and
//! client retries; then the test audits every attempt and the outbox. Needs `BOOKING_PG_URL`.
//! The workers are this test binary again (`common::worker`).

mod common;

use booking_core::{
    Actor, BookingId, Engine, NewGroupSession, Receipt, SeatBooking, SeatStatus, SessionId, UserId,
    repository::Repository,
};
use chrono::{TimeDelta, Utc};
use common::worker;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::process::Stdio;

/// The test whose process the workers run in.
const TEST_NAME: &str = "four_processes_book_cancel_and_rebook_one_session";
const WORKERS: u32 = 4;
const STUDENTS: u32 = 4;
const ROUNDS: u32 = 15;
const CAPACITY: u32 = 5;

pub fn new_session(teacher: UserId, capacity: u32) -> NewGroupSession {
    NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Hot session".into(),
        starts_at: Utc::now() + TimeDelta::days(30),
        time_zone: "Europe/Berlin".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/hot".into(),
        capacity,
        waitlist_enabled: true,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

struct Line {
    worker: u32,
    attempt: u32,
    op: String,
    repeat_of: Option<u32>,
    tries: u32,
    receipt: Option<Receipt<SeatBooking>>,
    error: Option<String>,
    raw: Value,
}

fn parse(line: &str) -> Result<Line, String> {
    let raw: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
    let number = |k: &str| raw[k].as_u64().and_then(|n| u32::try_from(n).ok()).ok_or(format!("no {k} in {line}"));
    Ok(Line {
        worker: number("worker")?,
        attempt: number("attempt")?,
        op: raw["op"].as_str().ok_or(format!("no op in {line}"))?.to_owned(),
        repeat_of: raw["repeat_of"].as_u64().and_then(|n| u32::try_from(n).ok()),
        tries: number("tries")?,
        receipt: serde_json::from_value(raw["receipt"].clone()).map_err(|e| format!("receipt ({e}): {line}"))?,
        error: raw["error"].as_str().map(str::to_owned),
        raw,
    })
}

#[test]
fn four_processes_book_cancel_and_rebook_one_session() {
    worker::run_if_worker();
    let test = common::test_store();
    let teacher = UserId::from_uuid(uuid::Uuid::from_u128(7 << 96));
    let engine = Engine::new(test.store.clone());
    let session =
        engine.create_session(Actor::Teacher(teacher), new_session(teacher, CAPACITY)).expect("creating").value;

    // Every worker opens its store, then all start at the same instant.
    let start_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() + 1500;
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            let args: Vec<String> = [
                "--url",
                &common::url(),
                "--schema",
                &test.guard.name,
                "--session",
                &session.id.to_string(),
                "--worker",
                &w.to_string(),
                "--students",
                &STUDENTS.to_string(),
                "--rounds",
                &ROUNDS.to_string(),
                "--repeat-every",
                "3",
                "--start-at",
                &start_at.to_string(),
            ]
            .iter()
            .map(|arg| arg.to_string())
            .collect();
            worker::command(TEST_NAME, &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starting a worker")
        })
        .collect();
    let mut lines = Vec::new();
    for (w, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("waiting for a worker");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "worker {w} failed ({}): {}\n{stdout}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        for line in stdout.lines().filter(|line| worker::is_report(line)) {
            lines.push(parse(line).unwrap_or_else(|e| panic!("worker {w}: {e}")));
        }
    }
    audit(&test, session.id, &lines);
}

fn audit(test: &common::TestStore, session_id: SessionId, lines: &[Line]) {
    // Exactly one outcome per attempt, and none of them a transient failure.
    let mut seen: HashMap<(u32, u32), &Line> = HashMap::new();
    for line in lines {
        assert!(seen.insert((line.worker, line.attempt), line).is_none(), "two lines for {}", line.raw);
        assert!(line.receipt.is_some() != line.error.is_some(), "an attempt needs exactly one outcome: {}", line.raw);
        if let Some(code) = &line.error {
            panic!("attempt failed with {code} after {} tries: {}", line.tries, line.raw);
        }
    }
    for w in 0..WORKERS {
        for a in 0..STUDENTS * ROUNDS {
            assert!(seen.contains_key(&(w, a)), "worker {w} printed no line for attempt {a}");
        }
    }
    assert_eq!(lines.len() as u32, WORKERS * STUDENTS * ROUNDS);

    // Retried keys replayed the first outcome.
    let mut repeats = 0;
    for line in lines.iter().filter(|l| l.repeat_of.is_some()) {
        let first = seen[&(line.worker, line.repeat_of.unwrap())];
        let (Some(again), Some(original)) = (&line.receipt, &first.receipt) else { unreachable!() };
        assert!(again.replayed, "a repeated key was run again: {}", line.raw);
        assert!(!original.replayed, "a first run says replayed: {}", first.raw);
        let mut again = again.clone();
        again.replayed = false;
        assert_eq!(&again, original, "a repeated key got another outcome: {}", line.raw);
        repeats += 1;
    }
    assert!(repeats > 0);

    // The outbox replays to the stored session, within capacity and in FIFO order.
    let replay = common::audit::replay_outbox(&test.store, session_id).unwrap_or_else(|e| panic!("outbox: {e}"));
    let firsts: Vec<&Line> = lines.iter().filter(|l| l.repeat_of.is_none()).collect();
    let booked: HashSet<BookingId> =
        firsts.iter().filter(|l| l.op == "book").map(|l| l.receipt.as_ref().unwrap().value.id).collect();
    let cancelled: HashSet<BookingId> =
        firsts.iter().filter(|l| l.op == "cancel").map(|l| l.receipt.as_ref().unwrap().value.id).collect();
    assert_eq!(booked.len(), firsts.iter().filter(|l| l.op == "book").count(), "two bookings share an id");
    // Every booking and cancellation a worker was told about happened exactly once, and
    // nothing else did.
    let created: HashSet<BookingId> = replay.created.keys().copied().collect();
    assert_eq!(created, booked, "bookings in the outbox differ from the receipts");
    assert!(replay.created.values().all(|&n| n == 1), "a booking was created twice");
    let outbox_cancelled: HashSet<BookingId> = replay.cancelled.keys().copied().collect();
    assert_eq!(outbox_cancelled, cancelled, "cancellations in the outbox differ from the receipts");
    assert!(replay.cancelled.values().all(|&n| n == 1), "a booking was cancelled twice");
    assert!(replay.promotions > 0, "the run promoted nobody: too little contention to test anything");
    // The workers ran at the same time: their bookings interleave in commit order.
    let worker_of = |student: UserId| (student.as_uuid().as_u128() >> 32) as u32 - 1;
    let order: Vec<u32> = test
        .store
        .session_events(session_id)
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event.kind {
            booking_core::EventKind::BookingConfirmed { student_id, .. }
            | booking_core::EventKind::BookingWaitlisted { student_id, .. } => Some(worker_of(*student_id)),
            _ => None,
        })
        .collect();
    let switches = order.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches >= 8, "the workers barely overlapped ({switches} switches): {order:?}");

    let stored = test.store.load_session(session_id).unwrap().unwrap();
    for line in firsts.iter().filter(|l| l.op == "book") {
        let id = line.receipt.as_ref().unwrap().value.id;
        // Live in the session, or cancelled and kept in the booking history.
        let booking = stored
            .booking(id)
            .cloned()
            .or_else(|| test.store.load_finished_booking(id).unwrap())
            .unwrap_or_else(|| panic!("booking {id} is lost"));
        let expect_cancelled = cancelled.contains(&id);
        assert_eq!(booking.status == SeatStatus::Cancelled, expect_cancelled, "booking {id}: {booking:?}");
    }
    eprintln!(
        "{} attempts, {repeats} repeats, {} events, {} promotions, final version {}",
        lines.len(),
        replay.events,
        replay.promotions,
        stored.version
    );
}
