//! What every check shares: fresh engines, people, a session template, and the report.

use crate::{
    Actor, BookingError, Engine, GroupSession, ManualClock, NewGroupSession, Repository, SequentialIds, SessionId,
    UserId,
};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Makes a fresh, empty store for each check.
pub type StoreFactory<'a> = &'a dyn Fn() -> Arc<dyn Repository>;

/// One named check of the suite.
#[derive(Clone, Copy)]
pub struct Check {
    /// Its stable name.
    pub name: &'static str,
    run: fn(StoreFactory<'_>) -> Result<(), String>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("name", &self.name).finish()
    }
}

impl Check {
    pub(crate) const fn new(name: &'static str, run: fn(StoreFactory<'_>) -> Result<(), String>) -> Self {
        Self { name, run }
    }

    /// Runs the check; a panic inside it (from a store, say) is caught and reported.
    pub fn run(&self, factory: StoreFactory<'_>) -> CheckOutcome {
        let result = catch_unwind(AssertUnwindSafe(|| (self.run)(factory))).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!("panicked: {message}"))
        });
        CheckOutcome { name: self.name.to_owned(), passed: result.is_ok(), detail: result.err().unwrap_or_default() }
    }
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckOutcome {
    /// The check's name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub detail: String,
}

/// The results of a suite run (JSON-serializable, for bindings and CI reports).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// One outcome per check run.
    pub checks: Vec<CheckOutcome>,
}

impl Report {
    /// Whether every check passed (and at least one ran).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.checks.iter().filter(|c| !c.passed)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            if c.passed {
                writeln!(f, "ok     {}", c.name)?;
            } else {
                writeln!(f, "FAILED {}: {}", c.name, c.detail)?;
            }
        }
        let failed = self.failures().count();
        write!(f, "{} passed, {} failed", self.checks.len() - failed, failed)
    }
}

/// The instant every check starts at.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).single().expect("valid instant")
}

/// A fresh engine over a fresh store, with a manual clock at [`t0`] and sequential ids.
pub(crate) struct Harness {
    pub engine: Engine<Arc<dyn Repository>>,
    pub clock: Arc<ManualClock>,
}

impl Harness {
    pub fn new(factory: StoreFactory<'_>) -> Self {
        let clock = Arc::new(ManualClock::new(t0()));
        let engine =
            Engine::new(factory()).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::starting_after(1 << 40));
        Self { engine, clock }
    }

    /// Like [`Harness::new`], over the store wrapped with host data, so the check decides who
    /// is enrolled in which course.
    pub fn with_host(factory: StoreFactory<'_>) -> (Self, Arc<super::host::HostData>) {
        let host = super::host::HostData::new(factory());
        let Self { engine, clock } = Self::new(&|| Arc::clone(&host) as Arc<dyn Repository>);
        (Self { engine, clock }, host)
    }

    /// Like [`Harness::new`], with the engine's in-process queueing off, so concurrent
    /// commands race through the store's version check (what the race audits test).
    pub fn racing(factory: StoreFactory<'_>) -> Self {
        let Self { engine, clock } = Self::new(factory);
        Self { engine: engine.with_local_queueing(false), clock }
    }

    /// Creates a session of `teacher(1)` starting a day after [`t0`].
    pub fn session(&self, capacity: u32, waitlist_enabled: bool) -> Result<Arc<GroupSession>, String> {
        let receipt = self
            .engine
            .create_session(Actor::Teacher(teacher(1)), new_session(teacher(1), capacity, waitlist_enabled))
            .map_err(|e| format!("creating a session: {e}"))?;
        Ok(receipt.value)
    }

    pub fn load(&self, id: SessionId) -> Result<Arc<GroupSession>, String> {
        self.engine.session(Actor::System, id).map_err(|e| format!("loading session {id}: {e}"))
    }

    /// Runs `refused`, expects `code`, and checks the session did not change.
    pub fn expect_refused<T: fmt::Debug>(
        &self,
        session: SessionId,
        code: &str,
        what: &str,
        refused: impl FnOnce() -> Result<T, BookingError>,
    ) -> Result<(), String> {
        let before = self.load(session)?;
        expect_error(code, what, refused())?;
        let after = self.load(session)?;
        ensure(before == after, || format!("{what}: refused with {code} but the session changed"))
    }
}

pub(crate) fn new_session(teacher_id: UserId, capacity: u32, waitlist_enabled: bool) -> NewGroupSession {
    NewGroupSession {
        teacher_id,
        course_id: None,
        title: "Group session".to_owned(),
        starts_at: t0() + TimeDelta::days(1),
        time_zone: "Europe/Berlin".to_owned(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/group".to_owned(),
        capacity,
        waitlist_enabled,
        waitlist_mode: Default::default(),
        rules: Default::default(),
    }
}

fn person(kind: u128, n: u32) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | u128::from(n)))
}

/// Teacher number `n`.
pub(crate) fn teacher(n: u32) -> UserId {
    person(1, n)
}

/// Student number `n`.
pub(crate) fn student(n: u32) -> UserId {
    person(2, n)
}

/// Admin number `n`.
pub(crate) fn admin(n: u32) -> UserId {
    person(3, n)
}

/// `Ok` if `result` is the error with `code`, else a message naming `what` was expected.
pub(crate) fn expect_error<T: fmt::Debug>(
    code: &str,
    what: &str,
    result: Result<T, BookingError>,
) -> Result<(), String> {
    match result {
        Ok(v) => Err(format!("{what}: expected {code}, got success {v:?}")),
        Err(e) if e.code().as_str() != code => Err(format!("{what}: expected {code}, got {} ({e})", e.code())),
        Err(_) => Ok(()),
    }
}

/// `Err(message())` unless `cond`.
pub(crate) fn ensure(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(message()) }
}

/// Equality with both sides in the message.
pub(crate) fn ensure_eq<T: PartialEq + fmt::Debug>(left: T, right: T, what: &str) -> Result<(), String> {
    ensure(left == right, || format!("{what}: {left:?} != {right:?}"))
}

/// Maps an engine error into a check failure naming the step.
pub(crate) fn step<T>(what: &str, r: Result<T, BookingError>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: unexpected {} ({e})", e.code()))
}
