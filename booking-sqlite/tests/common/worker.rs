//! A worker process for the multi-process and crash tests: it drives one booking database
//! from its own process. The worker is the test binary itself, started again by [`command`]
//! with the worker's arguments in [`WORKER_ENV`]; the test it names calls [`run_if_worker`]
//! first, which runs the worker and exits. So no worker binary ships with the crate.
//!
//! ```text
//! <db> <session-id> <worker-number> mixed <commands>
//! <db> <session-id> <worker-number> churn
//! ```
//!
//! The worker books seats in the session for its own three students (student ids
//! `2 << 64 | worker * 100 + j`), cancels them and books again, under request keys now and then,
//! and writes every attempt with its outcome as one JSON line to stdout (the test harness's own
//! lines, such as `running 1 test`, are not JSON: [`is_report`] tells them apart):
//!
//! ```text
//! {"type":"attempt","worker":1,"n":0,"op":"book","student":"..","booking":null,"key":"w1-0",
//!  "expected":{"fresh":null},"result":{"ok":{..receipt..}}}
//! ```
//!
//! - `mixed`: prints `{"type":"ready"}`, waits for a line on stdin (so that several workers
//!   start together), sends `<commands>` commands, some of them retries of earlier keyed ones,
//!   each with the outcome it expects (`fresh`, `replay_of` an earlier attempt, or `refused`
//!   with a code), and ends with `{"type":"final","active":[[student, booking or null], ..]}`.
//! - `churn`: learns its students' active bookings from the stored session, prints
//!   `{"type":"ready"}` and books and cancels without pause until it is killed.

use booking_core::{Actor, BookingError, BookingId, Engine, Receipt, Request, SeatBooking, SessionId, UserId};
use booking_sqlite::SqliteRepository;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::process::{Command, Stdio};

/// Students per worker.
const STUDENTS: u128 = 3;

/// A small deterministic generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Student `j` of worker `worker`.
fn student(worker: u32, j: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((2 << 64) | (u128::from(worker) * 100 + j)))
}

/// A command of the worker.
#[derive(Clone, Copy, Debug)]
enum Op {
    Book { student: UserId },
    Cancel { student: UserId, booking: BookingId },
}

/// One of the worker's students.
struct Own {
    id: UserId,
    active: Option<BookingId>,
    cancelled: Vec<BookingId>,
}

/// What the worker knows the outcome must be.
fn expect_fresh(students: &[Own], op: Op) -> Value {
    let active = |s: UserId| students.iter().find(|o| o.id == s).and_then(|o| o.active);
    match op {
        Op::Book { student } if active(student).is_some() => json!({ "refused": "already_booked" }),
        Op::Cancel { student, booking } if active(student) != Some(booking) => {
            json!({ "refused": "invalid_transition" })
        }
        _ => json!({ "fresh": null }),
    }
}

struct Worker {
    engine: Engine<SqliteRepository>,
    session: SessionId,
    number: u32,
    students: Vec<Own>,
    out: std::io::StdoutLock<'static>,
}

impl Worker {
    fn send(&self, op: Op, key: Option<&str>) -> Result<Receipt<SeatBooking>, BookingError> {
        match op {
            Op::Book { student } => {
                let request = Request { actor: Actor::Student(student), key: key.map(str::to_owned) };
                self.engine.book_seat(request, self.session, student)
            }
            Op::Cancel { student, booking } => {
                let request = Request { actor: Actor::Student(student), key: key.map(str::to_owned) };
                self.engine.cancel_booking(request, booking)
            }
        }
    }

    /// Notes a fresh success in what the worker knows of its students.
    fn learn(&mut self, op: Op, receipt: &Receipt<SeatBooking>) {
        if receipt.replayed {
            return;
        }
        match op {
            Op::Book { student } => {
                if let Some(own) = self.students.iter_mut().find(|s| s.id == student) {
                    own.active = Some(receipt.value.id);
                }
            }
            Op::Cancel { student, booking } => {
                if let Some(own) = self.students.iter_mut().find(|s| s.id == student) {
                    own.active = None;
                    own.cancelled.push(booking);
                }
            }
        }
    }

    fn print(&mut self, line: &Value) -> std::io::Result<()> {
        writeln!(self.out, "{line}")?;
        self.out.flush()
    }

    fn report(
        &mut self,
        n: usize,
        op: Op,
        key: Option<&str>,
        expected: Value,
        result: &Result<Receipt<SeatBooking>, BookingError>,
    ) -> std::io::Result<()> {
        let (name, student, booking) = match op {
            Op::Book { student } => ("book", student, None),
            Op::Cancel { student, booking } => ("cancel", student, Some(booking)),
        };
        let result = match result {
            Ok(receipt) => json!({ "ok": receipt }),
            Err(error) => json!({ "err": error }),
        };
        let line = json!({
            "type": "attempt", "worker": self.number, "n": n, "op": name, "student": student,
            "booking": booking, "key": key, "expected": expected, "result": result,
        });
        self.print(&line)
    }

    /// `commands` commands: book, cancel, book again, sometimes a command that must be refused,
    /// some under request keys, retried right away or later.
    fn mixed(&mut self, commands: usize) -> std::io::Result<()> {
        let mut rng = Rng::new(u64::from(self.number));
        // Every keyed command: its key, the command, and the attempt that first succeeded.
        let mut keyed: Vec<(String, Op, Option<usize>)> = Vec::new();
        let mut last_keyed: Option<usize> = None;
        for n in 0..commands {
            let retry = match last_keyed {
                Some(k) if rng.below(3) == 0 => Some(k),
                _ if !keyed.is_empty() && rng.below(6) == 0 => Some(rng.below(keyed.len())),
                _ => None,
            };
            let (op, key, expected, keyed_index) = match retry {
                Some(k) => {
                    let (key, op, first) = keyed[k].clone();
                    let expected =
                        first.map_or_else(|| expect_fresh(&self.students, op), |of| json!({ "replay_of": of }));
                    (op, Some(key), expected, Some(k))
                }
                None => {
                    let own = &self.students[rng.below(self.students.len())];
                    let op = match own.active {
                        Some(booking) if rng.below(5) > 0 => Op::Cancel { student: own.id, booking },
                        None if !own.cancelled.is_empty() && rng.below(5) == 0 => {
                            Op::Cancel { student: own.id, booking: own.cancelled[rng.below(own.cancelled.len())] }
                        }
                        _ => Op::Book { student: own.id },
                    };
                    let expected = expect_fresh(&self.students, op);
                    if rng.below(3) == 0 {
                        let key = format!("w{}-{n}", self.number);
                        keyed.push((key.clone(), op, None));
                        (op, Some(key), expected, Some(keyed.len() - 1))
                    } else {
                        (op, None, expected, None)
                    }
                }
            };
            last_keyed = keyed_index;
            let result = self.send(op, key.as_deref());
            if let Ok(receipt) = &result {
                self.learn(op, receipt);
                if !receipt.replayed
                    && let Some(k) = keyed_index
                    && keyed[k].2.is_none()
                {
                    keyed[k].2 = Some(n);
                }
            }
            self.report(n, op, key.as_deref(), expected, &result)?;
        }
        let active: Vec<Value> = self.students.iter().map(|s| json!([s.id, s.active])).collect();
        self.print(&json!({ "type": "final", "active": active }))
    }

    /// Books and cancels until killed.
    fn churn(&mut self) -> std::io::Result<()> {
        let mut rng = Rng::new(u64::from(self.number) ^ u64::from(std::process::id()));
        for n in 0.. {
            let own = &self.students[rng.below(self.students.len())];
            let op = match own.active {
                Some(booking) => Op::Cancel { student: own.id, booking },
                None => Op::Book { student: own.id },
            };
            let key = (rng.below(2) == 0).then(|| format!("churn-{}-{}-{n}", self.number, std::process::id()));
            let expected = expect_fresh(&self.students, op);
            let result = self.send(op, key.as_deref());
            match &result {
                Ok(receipt) => self.learn(op, receipt),
                // Not expected; learn the truth again rather than stop.
                Err(_) => self.sync()?,
            }
            self.report(n, op, key.as_deref(), expected, &result)?;
        }
        Ok(())
    }

    /// Learns the students' active bookings from the stored session.
    fn sync(&mut self) -> std::io::Result<()> {
        let session = self.engine.session(Actor::System, self.session).map_err(std::io::Error::other)?;
        for own in &mut self.students {
            own.active = session.active_booking_of(own.id).map(|b| b.id);
        }
        Ok(())
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let usage = "worker arguments: <db> <session-id> <worker-number> (mixed <commands> | churn)";
    let [db, session, number, mode, rest @ ..] = args else { return Err(usage.to_owned()) };
    let session: SessionId = session.parse().map_err(|e| format!("session id: {e}"))?;
    let number: u32 = number.parse().map_err(|e| format!("worker number: {e}"))?;
    let store = SqliteRepository::open(db).map_err(|e| format!("opening {db}: {e}"))?;
    let mut worker = Worker {
        engine: Engine::new(store),
        session,
        number,
        students: (0..STUDENTS).map(|j| Own { id: student(number, j), active: None, cancelled: Vec::new() }).collect(),
        out: std::io::stdout().lock(),
    };
    let io = |e: std::io::Error| format!("writing to stdout: {e}");
    match (mode.as_str(), rest) {
        ("mixed", [commands]) => {
            let commands: usize = commands.parse().map_err(|e| format!("commands: {e}"))?;
            worker.print(&json!({ "type": "ready" })).map_err(io)?;
            let mut go = String::new();
            std::io::stdin().lock().read_line(&mut go).map_err(|e| format!("reading stdin: {e}"))?;
            worker.mixed(commands).map_err(io)
        }
        ("churn", []) => {
            worker.sync().map_err(io)?;
            worker.print(&json!({ "type": "ready" })).map_err(io)?;
            worker.churn().map_err(io)
        }
        _ => Err(usage.to_owned()),
    }
}

/// Set in a worker's environment: its arguments, as a JSON array of strings.
pub const WORKER_ENV: &str = "BOOKING_SQLITE_WORKER";

/// A worker process with `args`: this test binary again, running only the test `test` (which
/// must call [`run_if_worker`] first). Its stdin, stdout and stderr are null until set.
pub fn command(test: &str, args: &[&str]) -> Command {
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
    let code = match serde_json::from_str::<Vec<String>>(&args) {
        Ok(args) => match run(&args) {
            Ok(()) => 0,
            Err(message) => {
                eprintln!("worker: {message}");
                1
            }
        },
        Err(e) => {
            eprintln!("worker: {WORKER_ENV} is not a JSON array of strings: {e}");
            1
        }
    };
    std::process::exit(code);
}
