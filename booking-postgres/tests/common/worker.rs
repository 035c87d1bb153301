//! A load worker for one group session, for the multi-process test: its students book,
//! cancel and book again, every command under a request key, and it prints one JSON line per
//! attempt on stdout. The worker is the test binary itself, started again by [`command`] with
//! the worker's arguments in [`WORKER_ENV`]; the test it names calls [`run_if_worker`] first,
//! which runs the worker and exits. So no worker binary ships with the crate.
//!
//! ```text
//! --url URL [--schema NAME] --session UUID --worker N
//! [--students 4] [--rounds 6] [--repeat-every 3] [--start-at UNIX_MS]
//! ```
//!
//! With `--start-at`, the worker opens the store and then waits until that instant (Unix
//! time in milliseconds) before its first command, so several workers start together.
//!
//! Student `j` of worker `N` is the user `(N + 1) << 32 | j`. Each round, a student without
//! an active booking books a seat and one with a booking cancels it. Every `repeat-every`-th
//! attempt sends the previous command again under the same key (a client retry): the line
//! says `"repeat_of"`, and the engine must replay the first outcome. A command that fails
//! with `contention`, `store_unavailable` or `store_error` is sent again under its key, up to
//! 50 times, and its line counts the `tries`. The process exits 0 after printing every line.
//! The test harness's own lines on stdout (such as `running 1 test`) are not JSON:
//! [`is_report`] tells them apart.

use booking_core::{Actor, BookingError, Engine, Receipt, SeatBooking, SeatStatus, SessionId, UserId};
use booking_postgres::PgOptions;
use serde_json::json;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

struct Args {
    url: String,
    schema: Option<String>,
    session: SessionId,
    worker: u32,
    students: u32,
    rounds: u32,
    repeat_every: u32,
    start_at: Option<u64>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut url = None;
    let mut schema = None;
    let mut session = None;
    let mut worker = None;
    let (mut students, mut rounds, mut repeat_every) = (4, 6, 3);
    let mut start_at = None;
    let mut it = args.iter().cloned();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<u32>().map_err(|e| format!("{v}: {e}"));
        match flag.as_str() {
            "--url" => url = Some(value()?),
            "--schema" => schema = Some(value()?),
            "--session" => session = Some(value()?.parse::<SessionId>().map_err(|e| e.to_string())?),
            "--worker" => worker = Some(number(value()?)?),
            "--students" => students = number(value()?)?,
            "--rounds" => rounds = number(value()?)?,
            "--repeat-every" => repeat_every = number(value()?)?,
            "--start-at" => start_at = Some(value()?.parse::<u64>().map_err(|e| format!("--start-at: {e}"))?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        url: url.ok_or("--url is required")?,
        schema,
        session: session.ok_or("--session is required")?,
        worker: worker.ok_or("--worker is required")?,
        students,
        rounds,
        repeat_every,
        start_at,
    })
}

/// Student `j` of worker `worker`.
fn student(worker: u32, j: u32) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((u128::from(worker) + 1) << 32 | u128::from(j)))
}

#[derive(Clone)]
enum Op {
    Book,
    Cancel(booking_core::BookingId),
}

/// Sends `op` under `key` until it succeeds, is refused, or 50 tries failed for a transient
/// reason (`contention`, `store_unavailable`, `store_error`).
fn run<R: booking_core::Repository>(
    engine: &Engine<R>,
    session: SessionId,
    who: UserId,
    op: &Op,
    key: &str,
) -> (Result<Receipt<SeatBooking>, BookingError>, u32) {
    let mut tries = 0;
    loop {
        tries += 1;
        let request = Actor::Student(who).with_key(key);
        let result = match op {
            Op::Book => engine.book_seat(request, session, who),
            Op::Cancel(booking) => engine.cancel_booking(request, *booking),
        };
        match &result {
            Err(e) if (e.code().is_retryable() || e.code().as_str() == "store_error") && tries < 50 => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => return (result, tries),
        }
    }
}

/// Runs the worker with `args` (the flags above).
fn run_worker(args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    let mut options = PgOptions::new(&args.url).map_err(|e| e.to_string())?.max_connections(4).min_idle(0);
    if let Some(schema) = &args.schema {
        options = options.schema(schema.clone());
    }
    let store = options.open().map_err(|e| format!("opening the store: {e}"))?;
    let engine = Engine::new(store);
    if let Some(start_at) = args.start_at {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        std::thread::sleep(Duration::from_millis(start_at).saturating_sub(now));
    }
    let mut active: Vec<Option<booking_core::BookingId>> = vec![None; args.students as usize];
    let mut last: Option<(u32, UserId, Op, String)> = None;
    let mut out = std::io::stdout().lock();
    let mut attempt = 0u32;
    for round in 0..args.rounds {
        for j in 0..args.students {
            let repeat = args.repeat_every > 0 && attempt % args.repeat_every == args.repeat_every - 1;
            let (repeat_of, who, op, key) = match (&last, repeat) {
                (Some((first, who, op, key)), true) => (Some(*first), *who, op.clone(), key.clone()),
                _ => {
                    let who = student(args.worker, j);
                    let (op, name) = match active[j as usize] {
                        None => (Op::Book, "book"),
                        Some(booking) => (Op::Cancel(booking), "cancel"),
                    };
                    (None, who, op, format!("w{}-s{j}-r{round}-{name}", args.worker))
                }
            };
            let (result, tries) = run(&engine, args.session, who, &op, &key);
            if repeat_of.is_none()
                && let Ok(receipt) = &result
            {
                let j = (0..args.students).find(|&j| student(args.worker, j) == who).unwrap_or(j) as usize;
                active[j] = match receipt.value.status {
                    SeatStatus::Confirmed | SeatStatus::Waitlisted => Some(receipt.value.id),
                    _ => None,
                };
            }
            let line = json!({
                "worker": args.worker,
                "attempt": attempt,
                "key": key,
                "op": match op { Op::Book => "book", Op::Cancel(_) => "cancel" },
                "student": who,
                "repeat_of": repeat_of,
                "tries": tries,
                "receipt": result.as_ref().ok(),
                "error": result.as_ref().err().map(|e| e.code().as_str()),
            });
            writeln!(out, "{line}").map_err(|e| format!("writing to stdout: {e}"))?;
            if repeat_of.is_none() {
                last = Some((attempt, who, op, key));
            }
            attempt += 1;
        }
    }
    out.flush().map_err(|e| format!("writing to stdout: {e}"))
}

/// Set in a worker's environment: its arguments, as a JSON array of strings.
pub const WORKER_ENV: &str = "BOOKING_PG_WORKER";

/// A worker process with `args`: this test binary again, running only the test `test` (which
/// must call [`run_if_worker`] first). Its stdin, stdout and stderr are null until set.
pub fn command(test: &str, args: &[String]) -> Command {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(WORKER_ENV, json!(args).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Whether a line of a worker's stdout is one of its JSON reports (not a line of the harness).
pub fn is_report(line: &str) -> bool {
    line.starts_with('{')
}

/// In a process started by [`command`], runs the worker and exits the process: 0 when it is
/// done, 1 with the reason on stderr when it fails. Anywhere else, returns at once.
pub fn run_if_worker() {
    let Ok(args) = std::env::var(WORKER_ENV) else { return };
    // The harness has printed `test NAME ... ` without ending the line: end it, so that every
    // report starts a line of its own.
    let mut stdout = std::io::stdout();
    if writeln!(stdout).and_then(|()| stdout.flush()).is_err() {
        std::process::exit(1);
    }
    let result = serde_json::from_str::<Vec<String>>(&args)
        .map_err(|e| format!("{WORKER_ENV} is not a JSON array of strings: {e}"))
        .and_then(|args| run_worker(&args));
    let code = match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("worker: {message}");
            1
        }
    };
    std::process::exit(code);
}
