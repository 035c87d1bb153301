//! Worker processes writing without pause are killed with SIGKILL mid-run, again and again;
//! after each kill the database opens, is sound, and its state is consistent. The workers are
//! this test binary again (`common::worker`).

#![cfg(unix)]

mod common;

use booking_core::Repository;
use booking_sqlite::SqliteRepository;
use common::{Attempt, audit_index, audit_outbox, ensure, summary, worker};
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The test whose process the writers run in (as workers).
const WRITERS_TEST: &str = "killed_writers_leave_a_consistent_database";
/// The test whose process the workers that create the database run in.
const CREATING_TEST: &str = "killed_while_creating_the_database";

/// Rounds of kills.
const ROUNDS: u64 = 6;
/// Workers running at once in each round.
const WORKERS: u32 = 2;

/// A running worker and the thread draining its stdout.
struct Running {
    child: Child,
    lines: Arc<AtomicUsize>,
    reader: JoinHandle<Vec<String>>,
}

fn spawn(path: &std::path::Path, session: &str, number: u32) -> Running {
    let mut child =
        worker::command(WRITERS_TEST, &[path.to_str().expect("a UTF-8 path"), session, &number.to_string(), "churn"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawning a worker");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let lines = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&lines);
    // Drained all the time, so a worker never stops on a full pipe: it is killed mid-write.
    let reader = std::thread::spawn(move || {
        out.lines()
            .map_while(Result::ok)
            .filter(|line| worker::is_report(line))
            .inspect(|_| {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .collect()
    });
    Running { child, lines, reader }
}

/// Kills the worker once it has written `after` lines (or after 20 s); returns its lines.
fn kill_after(mut running: Running, after: usize) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.lines.load(Ordering::SeqCst) < after && Instant::now() < deadline {
        if let Some(status) = running.child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("a worker stopped by itself ({status}) before it was killed"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    running.child.kill().map_err(|e| format!("killing a worker: {e}"))?;
    let status = running.child.wait().map_err(|e| e.to_string())?;
    ensure(status.signal() == Some(9), || format!("the worker was not killed mid-run: {status}"))?;
    running.reader.join().map_err(|_| "a reader thread panicked".to_owned())
}

/// The audit after a round: the file is sound, the session consistent, the outbox explains it.
fn audit(
    path: &std::path::Path,
    created: &booking_core::GroupSession,
    creation: &[booking_core::Event],
) -> Result<(), String> {
    let store = SqliteRepository::open(path).map_err(|e| format!("opening after the kill: {e}"))?;
    store.check_integrity().map_err(|e| e.to_string())?;
    let integrity: String =
        common::raw(path).query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| e.to_string())?;
    ensure(integrity == "ok", || format!("integrity_check says {integrity}"))?;
    let stored = store.load_session(created.id).map_err(|e| e.to_string())?.ok_or("the session is gone")?;
    audit_outbox(&store, created, creation).map_err(|e| format!("{e} ({})", summary(&stored)))?;
    audit_index(&store, &stored)
}

#[test]
fn killed_writers_leave_a_consistent_database() -> Result<(), String> {
    worker::run_if_worker();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("crash.db");
    let (created, creation) = common::create_session(&path);
    let session = common::arg(created.id);
    let mut attempts = 0;
    for round in 0..ROUNDS {
        // The same workers (so the same students) every round: each learns its bookings anew.
        let running: Vec<Running> = (1..=WORKERS).map(|w| spawn(&path, &session, w)).collect();
        for (i, worker) in running.into_iter().enumerate() {
            // A different moment in each round and for each worker; the other keeps writing.
            let after = 5 + ((round * 7 + i as u64 * 13) % 25) as usize;
            let lines = kill_after(worker, after)?;
            for line in &lines {
                // The last line may be cut short by the kill.
                if let Ok(Some(a)) = Attempt::parse(line) {
                    attempts += 1;
                    if let Err(e) = &a.result {
                        ensure(!common::is_failure_code(e), || format!("round {round}: {}", a.describe()))?;
                    }
                }
            }
        }
        audit(&path, &created, &creation).map_err(|e| format!("after round {round}: {e}"))?;
    }
    ensure(attempts >= ROUNDS as usize * WORKERS as usize * 5, || format!("only {attempts} attempts were made"))
}

#[test]
fn killed_while_creating_the_database() -> Result<(), String> {
    worker::run_if_worker();
    let dir = tempfile::tempdir().expect("a temporary directory");
    for i in 0..8u64 {
        let path = dir.path().join(format!("new-{i}.db"));
        // The session does not exist: the worker opens (creates and migrates) the file, then
        // fails, unless it is killed first, at a different moment each time.
        let mut child = worker::command(
            CREATING_TEST,
            &[path.to_str().expect("a UTF-8 path"), &uuid::Uuid::nil().to_string(), "1", "churn"],
        )
        .spawn()
        .map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_micros(500 * i));
        child.kill().map_err(|e| e.to_string())?;
        child.wait().map_err(|e| e.to_string())?;
        let store = SqliteRepository::open(&path).map_err(|e| format!("opening after a kill at {i}: {e}"))?;
        store.check_integrity().map_err(|e| e.to_string())?;
        ensure(store.events_since(0, 10).map_err(|e| e.to_string())?.is_empty(), || "events in a new file".to_owned())?;
    }
    Ok(())
}
