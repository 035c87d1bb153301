//! Four processes book, cancel and re-book seats of one session in one database file at
//! once; then every attempt, the session's history and the final state are audited. The
//! processes are this test binary again (`common::worker`).

mod common;

use booking_core::{Receipt, Repository, SeatBooking, UserId};
use booking_sqlite::SqliteRepository;
use common::{Attempt, CAPACITY, audit_index, audit_outbox, check_invariants, ensure, replay, summary, worker};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

/// The test whose process the workers run in.
const TEST_NAME: &str = "four_processes_share_one_session";
/// Worker processes.
const PROCESSES: u32 = 4;
/// Commands per process.
const COMMANDS: usize = 60;

/// What one worker reported.
struct Report {
    attempts: Vec<Attempt>,
    /// Each student's active booking at the end, as the worker knows it.
    active: Vec<(UserId, Option<booking_core::BookingId>)>,
}

/// Spawns the workers, starts them together, and collects their reports.
fn run_workers(path: &std::path::Path, session: &str) -> Vec<Report> {
    let mut children: Vec<_> = (1..=PROCESSES)
        .map(|w| {
            let args = [path.to_str().expect("a UTF-8 path"), session, &w.to_string(), "mixed", &COMMANDS.to_string()];
            worker::command(TEST_NAME, &args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning a worker")
        })
        .collect();
    // Every worker has opened the database before any starts.
    let mut outputs: Vec<_> = children.iter_mut().map(|c| BufReader::new(c.stdout.take().expect("stdout"))).collect();
    for (w, out) in outputs.iter_mut().enumerate() {
        // The harness's own lines come first.
        let mut ready = String::new();
        while !worker::is_report(&ready) {
            ready.clear();
            assert!(
                out.read_line(&mut ready).expect("reading a worker") > 0,
                "worker {} ended before it started",
                w + 1
            );
        }
        assert!(ready.contains("\"ready\""), "worker {} did not start: {ready:?}", w + 1);
    }
    for child in &mut children {
        child.stdin.take().expect("stdin").write_all(b"go\n").expect("starting a worker");
    }
    let readers: Vec<_> = outputs
        .into_iter()
        .map(|out| std::thread::spawn(move || out.lines().collect::<Result<Vec<String>, _>>().expect("reading")))
        .collect();
    let mut reports = Vec::new();
    for (w, (mut child, reader)) in children.into_iter().zip(readers).enumerate() {
        let lines = reader.join().expect("a reader thread");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr).expect("stderr");
        let status = child.wait().expect("waiting for a worker");
        assert!(status.success(), "worker {} failed ({status}): {stderr}", w + 1);
        let mut attempts = Vec::new();
        let mut active = None;
        for line in lines.iter().filter(|line| worker::is_report(line)) {
            match Attempt::parse(line).expect("a well-formed line") {
                Some(a) => attempts.push(a),
                None => {
                    let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
                    if v["type"] == "final" {
                        active = Some(serde_json::from_value(v["active"].clone()).expect("the final line"));
                    }
                }
            }
        }
        reports.push(Report { attempts, active: active.expect("a final line") });
    }
    reports
}

/// Checks every attempt against what its worker expected; returns the fresh successes.
fn audit_attempts(reports: &[Report]) -> Result<Vec<&Receipt<SeatBooking>>, String> {
    let mut failures = Vec::new();
    let mut fresh = Vec::new();
    for (w, report) in reports.iter().enumerate() {
        let numbers: Vec<usize> = report.attempts.iter().map(|a| a.n).collect();
        ensure(numbers == (0..COMMANDS).collect::<Vec<_>>(), || {
            format!("worker {} reported attempts {numbers:?}, not each of 0..{COMMANDS} once", w + 1)
        })?;
        for a in &report.attempts {
            let fine = match (&a.result, a.expected.as_object().and_then(|o| o.iter().next())) {
                (Ok(r), Some((kind, _))) if kind == "fresh" => !r.replayed,
                (Ok(r), Some((kind, of))) if kind == "replay_of" => {
                    let first = of.as_u64().and_then(|of| report.attempts.get(of as usize));
                    let first = first.and_then(|f| f.result.as_ref().ok());
                    r.replayed
                        && first.is_some_and(|f| (&f.value, &f.events, f.version) == (&r.value, &r.events, r.version))
                }
                (Err(e), Some((kind, code))) if kind == "refused" => code == e.code().as_str(),
                _ => false,
            };
            if let Err(e) = &a.result
                && common::is_failure_code(e)
            {
                failures.push(format!("unacceptable error code {}: {}", e.code(), a.describe()));
            }
            if !fine {
                failures.push(a.describe());
            }
            if let Ok(r) = &a.result
                && !r.replayed
            {
                fresh.push(r);
            }
        }
    }
    if failures.is_empty() {
        Ok(fresh)
    } else {
        let total = failures.len();
        failures.truncate(10);
        Err(format!("{total} attempts had the wrong outcome; first ones:\n{}", failures.join("\n")))
    }
}

#[test]
fn four_processes_share_one_session() -> Result<(), String> {
    worker::run_if_worker();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("shared.db");
    let (created, creation) = common::create_session(&path);
    let reports = run_workers(&path, &common::arg(created.id));
    let fresh = audit_attempts(&reports)?;

    let store = SqliteRepository::open(&path).map_err(|e| e.to_string())?;
    store.check_integrity().map_err(|e| e.to_string())?;
    let stored = store.load_session(created.id).map_err(|e| e.to_string())?.ok_or("the session is gone")?;

    // The fresh successes are exactly versions 2..=stored: no lost update, none twice.
    let mut by_version = fresh;
    by_version.sort_by_key(|r| r.version);
    let versions: Vec<u64> = by_version.iter().map(|r| r.version).collect();
    ensure(versions == (2..=stored.version).collect::<Vec<_>>(), || {
        let duplicated: Vec<_> = versions.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
        format!("versions of the successes should be 2..={} once each; duplicated: {duplicated:?}", stored.version)
    })?;

    // Replaying the receipts in version order explains every step and the stored session.
    let mut state = (*created).clone();
    let mut history = creation.clone();
    for r in &by_version {
        replay(&mut state, &r.events).map_err(|e| format!("version {}: {e}", r.version))?;
        state.version = r.version;
        check_invariants(&state).map_err(|e| format!("after version {}: {e}", r.version))?;
        ensure(state.booking(r.value.id) == Some(&r.value), || {
            format!("the booking returned at version {} is not the booking in the history", r.version)
        })?;
        history.extend(r.events.iter().cloned());
    }
    // The finished bookings left the session for the booking history, as the receipts left them.
    for finished in state.take_finished() {
        let kept = store.load_finished_booking(finished.id).map_err(|e| e.to_string())?;
        ensure(kept.as_ref() == Some(&finished), || {
            format!("finished booking {}: the history holds {kept:?}", finished.id)
        })?;
    }
    ensure(state == *stored, || format!("the receipts replayed give\n{state:?}\nbut the store holds\n{stored:?}"))?;

    // The outbox holds exactly those events, in version (= commit) order.
    ensure(common::outbox(&store) == history, || "the outbox differs from the receipts in version order".to_owned())?;
    audit_outbox(&store, &created, &creation)?;

    // The final state is what the workers know, and consistent with the index.
    let mut known = BTreeSet::new();
    for report in &reports {
        for (student, active) in &report.active {
            let stored_active = stored.active_booking_of(*student).map(|b| b.id);
            ensure(stored_active == *active, || {
                format!("student {student}: the store has {stored_active:?}, the worker knows {active:?}")
            })?;
            known.extend(*active);
        }
    }
    let active: BTreeSet<_> = stored.bookings.iter().filter(|b| b.status.is_active()).map(|b| b.id).collect();
    ensure(active == known, || "the active bookings are not the ones the workers hold".to_owned())?;
    let n = active.len() as u32;
    ensure(
        (stored.booked_seats(), stored.waitlisted_count()) == (n.min(CAPACITY), n.saturating_sub(CAPACITY)),
        || format!("seats filled first, then the waitlist: {}", summary(&stored)),
    )?;
    audit_index(&store, &stored)?;

    // The races really happened across processes: every worker committed, and retries replayed.
    let per_worker: BTreeMap<u32, usize> = by_version.iter().fold(BTreeMap::new(), |mut m, r| {
        let w = reports.iter().position(|rep| rep.attempts.iter().any(|a| a.result.as_ref().ok() == Some(*r)));
        *m.entry(w.map_or(0, |w| w as u32 + 1)).or_default() += 1;
        m
    });
    ensure(per_worker.len() == PROCESSES as usize, || format!("commits per worker: {per_worker:?}"))?;
    let owner = |r: &Receipt<SeatBooking>| {
        reports.iter().position(|rep| rep.attempts.iter().any(|a| a.result.as_ref().ok() == Some(r)))
    };
    let switches = by_version.windows(2).filter(|w| owner(w[0]) != owner(w[1])).count();
    eprintln!("{} commits by {per_worker:?}, {switches} switches between processes", by_version.len());
    ensure(switches >= PROCESSES as usize, || format!("the processes hardly interleaved ({switches} switches)"))?;
    let replays = reports.iter().flat_map(|r| &r.attempts).filter(|a| a.result.as_ref().is_ok_and(|r| r.replayed));
    ensure(replays.count() > 0, || "no retried key was replayed".to_owned())?;
    Ok(())
}
