//! The property test: random command sequences, run through the engine over the store under
//! test and through a plain reference model, compared after every step.
//!
//! The [`Model`] is written from the rules in the [group module docs](crate::group), not from
//! its code: it never calls [`group::decide`](crate::group::decide) nor
//! [`GroupSession::apply`]. It holds sessions (teacher, capacity, waitlist flag, start,
//! cancelled flag, bookings as `(student, status)` in booking order), the clock, and the request
//! keys recorded so far, and predicts for every command either the exact list of event kinds
//! or the exact error code.
//!
//! Commands come from random actors (two teachers, five students, an admin, the system),
//! authorized or not, some under request keys drawn from a small pool, and a transition may
//! resend an earlier keyed command (a client retry: a replay if it was recorded, a fresh
//! decision if not, and `request_key_reused` when the same actor used the key for another
//! command). After every step the check compares the stored sessions with the model and with
//! the receipt's events (see [`Sut::step`]), and checks the invariants of [`check_invariants`].
//!
//! Runs [`property_cases`](super::property_cases) cases of 1 to 59 transitions with a fixed
//! seed (so a run is reproducible); set `PROPTEST_RNG_SEED` to explore other sequences.

use super::harness::{Harness, StoreFactory, admin, ensure, ensure_eq, new_session, student, t0, teacher};
use crate::{
    Actor, BookingError, BookingId, Command, Event, EventKind, GroupSession, OutcomeValue, Receipt, Request,
    SeatStatus, SessionId, group::MAX_CAPACITY,
};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The seed used unless `PROPTEST_RNG_SEED` names another one.
const DEFAULT_SEED: u64 = 0x0b00_c1e5_5eed;

/// A request key that [`RequestKey::new`](crate::RequestKey::new) refuses (a control character).
const BAD_KEY: u8 = 9;

/// A session id no store ever hands out (sequential ids stay far below it).
fn unknown_session() -> SessionId {
    SessionId::from_uuid(uuid::Uuid::from_u128(0xdead_5e55_0000_0000_0000_0000_0000_0001))
}

/// A booking id no store ever hands out.
fn unknown_booking() -> BookingId {
    BookingId::from_uuid(uuid::Uuid::from_u128(0xdead_b00c_0000_0000_0000_0000_0000_0001))
}

/// Who sends a command: teacher 1 or 2, student 1 to 5, admin 1, or the system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// Teacher `n` of the harness.
    Teacher(u32),
    /// Student `n` of the harness.
    Student(u32),
    /// Admin 1.
    Admin,
    /// The host itself.
    System,
}

impl Who {
    /// The engine's actor for this person.
    fn actor(self) -> Actor {
        match self {
            Who::Teacher(n) => Actor::Teacher(teacher(n)),
            Who::Student(n) => Actor::Student(student(n)),
            Who::Admin => Actor::Admin(admin(1)),
            Who::System => Actor::System,
        }
    }

    /// An admin or the system: may act for anyone.
    fn privileged(self) -> bool {
        matches!(self, Who::Admin | Who::System)
    }

    /// May act as teacher `t` (create for them, manage their sessions).
    fn for_teacher(self, t: u32) -> bool {
        self.privileged() || self == Who::Teacher(t)
    }

    /// May act as student `s` (book for them, cancel their bookings).
    fn for_student(self, s: u32) -> bool {
        self.privileged() || self == Who::Student(s)
    }
}

/// A session of the model, by its index in creation order, or an id nobody created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionRef {
    /// The `n`-th session created.
    Index(usize),
    /// An id no session has.
    Unknown,
}

/// A booking of the model, by its index in the order bookings were made, or an unknown id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BookingRef {
    /// The `n`-th booking made (in any session).
    Index(usize),
    /// An id no booking has.
    Unknown,
}

/// A command of the model; maps one to one onto an engine [`Command`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cmd {
    /// Create a session (the harness's template with these values).
    Create {
        /// Its teacher.
        teacher: u32,
        /// Its seats (0 is a bad input).
        capacity: u32,
        /// Its waitlist.
        waitlist: bool,
        /// Its start in minutes after [`t0`]: absolute, so a resent command is the same command.
        starts: i64,
    },
    /// Book a seat.
    Book {
        /// The session.
        session: SessionRef,
        /// The student the seat is for.
        student: u32,
    },
    /// Cancel a booking.
    CancelBooking {
        /// The booking.
        booking: BookingRef,
    },
    /// Set the number of seats.
    ChangeCapacity {
        /// The session.
        session: SessionRef,
        /// The new number of seats.
        capacity: u32,
    },
    /// Turn the waitlist on or off.
    SetWaitlist {
        /// The session.
        session: SessionRef,
        /// On or off.
        enabled: bool,
    },
    /// Cancel a session.
    CancelSession {
        /// The session.
        session: SessionRef,
    },
    /// Mark attendance.
    MarkAttendance {
        /// The booking.
        booking: BookingRef,
        /// Attended, or no-show.
        attended: bool,
    },
}

/// One generated step.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Transition {
    /// Send `cmd` as `who`, under request key `key-<n>` if `key` is `Some(n)` (`Some(9)`: an
    /// invalid key).
    Send {
        /// The actor.
        who: Who,
        /// The request key's number, if any.
        key: Option<u8>,
        /// The command.
        cmd: Cmd,
    },
    /// Send again the `index`-th command that was sent with a key, with its actor and key.
    Repeat {
        /// Index into [`Model::sent_with_key`].
        index: usize,
    },
    /// Move the clock forward.
    Advance {
        /// By this many minutes.
        minutes: i64,
    },
}

/// A seat status of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Holds a seat.
    Confirmed,
    /// Queued for a seat.
    Waitlisted,
    /// Cancelled before the start.
    Cancelled,
    /// Held a seat and came.
    Attended,
    /// Held a seat and did not come.
    NoShow,
}

impl Status {
    /// Confirmed or waitlisted.
    fn active(self) -> bool {
        matches!(self, Status::Confirmed | Status::Waitlisted)
    }

    /// Confirmed or attended.
    fn takes_seat(self) -> bool {
        matches!(self, Status::Confirmed | Status::Attended)
    }

    /// The engine's status with the same meaning.
    fn seat_status(self) -> SeatStatus {
        match self {
            Status::Confirmed => SeatStatus::Confirmed,
            Status::Waitlisted => SeatStatus::Waitlisted,
            Status::Cancelled => SeatStatus::Cancelled,
            Status::Attended => SeatStatus::Attended,
            Status::NoShow => SeatStatus::NoShow,
        }
    }
}

/// A session of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelSession {
    /// Its teacher.
    teacher: u32,
    /// Its seats.
    capacity: u32,
    /// Whether new students may queue.
    waitlist: bool,
    /// Minutes after [`t0`].
    starts: i64,
    /// Whether it was cancelled.
    cancelled: bool,
    /// `(student, status)`, in booking order.
    bookings: Vec<(u32, Status)>,
}

impl ModelSession {
    /// Seats taken: confirmed or attended.
    fn taken(&self) -> u32 {
        self.bookings.iter().filter(|(_, s)| s.takes_seat()).count() as u32
    }

    /// Every seat taken and the waitlist off.
    fn closed(&self) -> bool {
        !self.waitlist && self.taken() >= self.capacity
    }

    /// Seats may change: not cancelled, not started.
    fn open_for_changes(&self, now: i64) -> Result<(), &'static str> {
        if self.cancelled {
            Err("session_cancelled")
        } else if now >= self.starts {
            Err("session_started")
        } else {
            Ok(())
        }
    }

    /// Fills free seats from the waitlist, first booked first.
    fn promote(&mut self, kinds: &mut Vec<&'static str>) {
        while self.taken() < self.capacity {
            let Some(head) = self.bookings.iter_mut().find(|(_, s)| *s == Status::Waitlisted) else { break };
            head.1 = Status::Confirmed;
            kinds.push("booking_promoted");
        }
    }
}

/// A command that succeeded under a key, with changes: resending it replays this.
#[derive(Clone, Debug)]
struct Record {
    /// Who sent it.
    who: Who,
    /// The key's number.
    key: u8,
    /// The command.
    cmd: Cmd,
    /// The event kinds of its first run.
    kinds: Vec<&'static str>,
}

/// What the model predicts for one command.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expect {
    /// Decided now: these events, on the session with this index (for a creation: the new one).
    Done {
        /// The kinds of its events, in order.
        kinds: Vec<&'static str>,
        /// The session's index.
        session: usize,
    },
    /// A recorded outcome again, nothing changed.
    Replay {
        /// Its index in [`Model::records`].
        record: usize,
    },
    /// Refused with this code, nothing changed.
    Refused(&'static str),
}

/// The reference model: plain data and the rules, spelled out.
#[derive(Clone, Debug, Default)]
struct Model {
    /// Minutes after [`t0`].
    now: i64,
    /// Every session created, in order.
    sessions: Vec<ModelSession>,
    /// Every booking made, in order: `(session index, index in that session's bookings)`.
    bookings: Vec<(usize, usize)>,
    /// Every command sent with a key, for [`Transition::Repeat`].
    sent_with_key: Vec<(Who, u8, Cmd)>,
    /// The commands that succeeded, with changes, under a key.
    records: Vec<Record>,
}

impl Model {
    /// The command a transition sends, if it sends one.
    fn resolve(&self, t: &Transition) -> Option<(Who, Option<u8>, Cmd)> {
        match t {
            Transition::Send { who, key, cmd } => Some((*who, *key, cmd.clone())),
            Transition::Repeat { index } => self.sent_with_key.get(*index).map(|(w, k, c)| (*w, Some(*k), c.clone())),
            Transition::Advance { .. } => None,
        }
    }

    /// Applies a transition; returns the prediction for the command it sends, if any.
    fn step(&mut self, t: &Transition) -> Option<Expect> {
        if let Transition::Advance { minutes } = t {
            self.now += minutes;
            return None;
        }
        let (who, key, cmd) = self.resolve(t)?;
        if let (Transition::Send { .. }, Some(k)) = (t, key) {
            self.sent_with_key.push((who, k, cmd.clone()));
        }
        Some(self.send(who, key, &cmd))
    }

    /// Sends a command: the request key first (invalid, replayed, or reused for another
    /// command), then the decision; a keyed success is recorded, even one that changed nothing.
    fn send(&mut self, who: Who, key: Option<u8>, cmd: &Cmd) -> Expect {
        if let Some(k) = key {
            if k == BAD_KEY {
                return Expect::Refused("invalid_input");
            }
            if let Some(i) = self.records.iter().position(|r| r.who == who && r.key == k) {
                return if self.records[i].cmd == *cmd {
                    Expect::Replay { record: i }
                } else {
                    Expect::Refused("request_key_reused")
                };
            }
        }
        match self.decide(who, cmd) {
            Err(code) => Expect::Refused(code),
            Ok((kinds, session)) => {
                if let Some(k) = key {
                    self.records.push(Record { who, key: k, cmd: cmd.clone(), kinds: kinds.clone() });
                }
                Expect::Done { kinds, session }
            }
        }
    }

    /// The index of an existing session.
    fn session_index(&self, r: SessionRef) -> Option<usize> {
        match r {
            SessionRef::Index(i) if i < self.sessions.len() => Some(i),
            _ => None,
        }
    }

    /// The session index and position of an existing booking.
    fn booking_index(&self, r: BookingRef) -> Option<(usize, usize)> {
        match r {
            BookingRef::Index(i) => self.bookings.get(i).copied(),
            BookingRef::Unknown => None,
        }
    }

    /// Decides a command; on success changes the model and returns the event kinds and the
    /// session's index, else changes nothing and returns the error code.
    fn decide(&mut self, who: Who, cmd: &Cmd) -> Result<(Vec<&'static str>, usize), &'static str> {
        let now = self.now;
        if let Cmd::Create { teacher, capacity, waitlist, starts } = *cmd {
            if !who.for_teacher(teacher) {
                return Err("not_authorized");
            }
            if capacity == 0 || capacity > MAX_CAPACITY {
                return Err("invalid_input");
            }
            if starts <= now {
                return Err("start_in_past");
            }
            self.sessions.push(ModelSession {
                teacher,
                capacity,
                waitlist,
                starts,
                cancelled: false,
                bookings: Vec::new(),
            });
            return Ok((vec!["session_created"], self.sessions.len() - 1));
        }
        let (index, position) = match *cmd {
            Cmd::CancelBooking { booking } | Cmd::MarkAttendance { booking, .. } => {
                let (s, p) = self.booking_index(booking).ok_or("booking_not_found")?;
                (s, Some(p))
            }
            Cmd::Book { session, .. }
            | Cmd::ChangeCapacity { session, .. }
            | Cmd::SetWaitlist { session, .. }
            | Cmd::CancelSession { session } => (self.session_index(session).ok_or("session_not_found")?, None),
            Cmd::Create { .. } => return Err("model: creation handled above"),
        };
        let mut s = self.sessions[index].clone();
        let was_closed = s.closed();
        let mut kinds = Vec::new();
        let mut new_booking = None;
        match *cmd {
            Cmd::Book { student, .. } => {
                if !who.for_student(student) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                if s.bookings.iter().any(|&(st, status)| st == student && status.active()) {
                    return Err("already_booked");
                }
                let status = if s.taken() < s.capacity {
                    kinds.push("booking_confirmed");
                    Status::Confirmed
                } else if s.waitlist {
                    kinds.push("booking_waitlisted");
                    Status::Waitlisted
                } else {
                    return Err("session_full");
                };
                s.bookings.push((student, status));
                new_booking = Some(s.bookings.len() - 1);
            }
            Cmd::CancelBooking { .. } => {
                let p = position.ok_or("model: no booking")?;
                let (st, status) = s.bookings[p];
                if !(who.for_student(st) || who.for_teacher(s.teacher)) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                if !status.active() {
                    return Err("invalid_transition");
                }
                s.bookings[p].1 = Status::Cancelled;
                kinds.push("booking_cancelled");
                s.promote(&mut kinds);
            }
            Cmd::ChangeCapacity { capacity, .. } => {
                if !who.for_teacher(s.teacher) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                if capacity == 0 || capacity > MAX_CAPACITY {
                    return Err("invalid_input");
                }
                if capacity < s.taken() {
                    return Err("capacity_below_booked");
                }
                if capacity != s.capacity {
                    s.capacity = capacity;
                    kinds.push("capacity_changed");
                    s.promote(&mut kinds);
                }
            }
            Cmd::SetWaitlist { enabled, .. } => {
                if !who.for_teacher(s.teacher) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                if enabled != s.waitlist {
                    s.waitlist = enabled;
                    kinds.push("waitlist_changed");
                }
            }
            Cmd::CancelSession { .. } => {
                if !who.for_teacher(s.teacher) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                for b in s.bookings.iter_mut().filter(|(_, status)| status.active()) {
                    b.1 = Status::Cancelled;
                    kinds.push("booking_cancelled");
                }
                s.cancelled = true;
                kinds.push("session_cancelled");
            }
            Cmd::MarkAttendance { attended, .. } => {
                let p = position.ok_or("model: no booking")?;
                if !who.for_teacher(s.teacher) {
                    return Err("not_authorized");
                }
                if s.cancelled {
                    return Err("session_cancelled");
                }
                if now < s.starts {
                    return Err("session_not_started");
                }
                let target = if attended { Status::Attended } else { Status::NoShow };
                match s.bookings[p].1 {
                    Status::Confirmed | Status::Attended | Status::NoShow => {
                        if s.bookings[p].1 != target {
                            s.bookings[p].1 = target;
                            kinds.push("attendance_marked");
                        }
                    }
                    Status::Waitlisted | Status::Cancelled => return Err("invalid_transition"),
                }
            }
            Cmd::Create { .. } => return Err("model: creation handled above"),
        }
        // Closed for booking is derived (full and no waitlist); its changes are reported before
        // the start of a session that is not cancelled.
        if !s.cancelled && self.now < s.starts && s.closed() != was_closed {
            kinds.push(if s.closed() { "session_closed" } else { "session_reopened" });
        }
        self.sessions[index] = s;
        if let Some(p) = new_booking {
            self.bookings.push((index, p));
        }
        Ok((kinds, index))
    }
}

/// Generates the transitions and keeps the model for generation and shrinking.
struct Reference;

/// Any of the nine actors, people weighted by how many there are.
fn any_who() -> BoxedStrategy<Who> {
    prop_oneof![
        2 => (1..=2u32).prop_map(Who::Teacher),
        5 => (1..=5u32).prop_map(Who::Student),
        1 => Just(Who::Admin),
        1 => Just(Who::System),
    ]
    .boxed()
}

/// The actor who would normally send a command (with probability 3/4), or anyone.
fn who_or(natural: Who) -> BoxedStrategy<Who> {
    prop_oneof![3 => Just(natural), 1 => any_who()].boxed()
}

/// No key (mostly), one of three keys, or rarely an invalid one.
fn key() -> BoxedStrategy<Option<u8>> {
    prop_oneof![28 => Just(None), 12 => (0..3u8).prop_map(Some), 1 => Just(Some(BAD_KEY))].boxed()
}

/// Sends `cmd` as an actor drawn from `who`, with a drawn key.
fn send(who: BoxedStrategy<Who>, cmd: Cmd) -> BoxedStrategy<Transition> {
    (who, key()).prop_map(move |(who, key)| Transition::Send { who, key, cmd: cmd.clone() }).boxed()
}

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        let now = state.now;
        let teachers: Arc<Vec<u32>> = Arc::new(state.sessions.iter().map(|s| s.teacher).collect());
        let owners: Arc<Vec<(u32, u32)>> = Arc::new(
            state.bookings.iter().map(|&(s, p)| (state.sessions[s].teacher, state.sessions[s].bookings[p].0)).collect(),
        );
        let sessions = teachers.len();
        let session_ref = if sessions == 0 {
            Just(SessionRef::Unknown).boxed()
        } else {
            prop_oneof![15 => (0..sessions).prop_map(SessionRef::Index), 1 => Just(SessionRef::Unknown)].boxed()
        };
        let booking_ref = if owners.is_empty() {
            Just(BookingRef::Unknown).boxed()
        } else {
            prop_oneof![15 => (0..owners.len()).prop_map(BookingRef::Index), 1 => Just(BookingRef::Unknown)].boxed()
        };
        // The session's teacher acting on a session command, mostly.
        let by_teacher = {
            let teachers = Arc::clone(&teachers);
            move |r: SessionRef| match r {
                SessionRef::Index(i) => who_or(Who::Teacher(teachers[i])),
                SessionRef::Unknown => any_who(),
            }
        };

        let create = (
            1..=2u32,
            prop_oneof![9 => 1..4u32, 1 => Just(0u32)],
            prop::bool::weighted(0.7),
            prop_oneof![9 => 60..=180i64, 1 => -30..=0i64],
        )
            .prop_flat_map(move |(t, capacity, waitlist, offset)| {
                send(who_or(Who::Teacher(t)), Cmd::Create { teacher: t, capacity, waitlist, starts: now + offset })
            })
            .boxed();
        let book = (session_ref.clone(), 1..=5u32)
            .prop_flat_map(|(session, st)| send(who_or(Who::Student(st)), Cmd::Book { session, student: st }))
            .boxed();
        let cancel_booking = {
            let owners = Arc::clone(&owners);
            booking_ref
                .clone()
                .prop_flat_map(move |booking| {
                    let who = match booking {
                        BookingRef::Index(i) => {
                            let (t, st) = owners[i];
                            prop_oneof![6 => Just(Who::Student(st)), 2 => Just(Who::Teacher(t)), 3 => any_who()].boxed()
                        }
                        BookingRef::Unknown => any_who(),
                    };
                    send(who, Cmd::CancelBooking { booking })
                })
                .boxed()
        };
        let change_capacity = {
            let by_teacher = by_teacher.clone();
            (session_ref.clone(), 0..=6u32)
                .prop_flat_map(move |(session, capacity)| {
                    send(by_teacher(session), Cmd::ChangeCapacity { session, capacity })
                })
                .boxed()
        };
        let set_waitlist = {
            let by_teacher = by_teacher.clone();
            (session_ref.clone(), any::<bool>())
                .prop_flat_map(move |(session, enabled)| {
                    send(by_teacher(session), Cmd::SetWaitlist { session, enabled })
                })
                .boxed()
        };
        let cancel_session = {
            let by_teacher = by_teacher.clone();
            session_ref.prop_flat_map(move |session| send(by_teacher(session), Cmd::CancelSession { session })).boxed()
        };
        let mark_attendance = {
            let owners = Arc::clone(&owners);
            (booking_ref, prop::bool::weighted(0.7))
                .prop_flat_map(move |(booking, attended)| {
                    let who = match booking {
                        BookingRef::Index(i) => who_or(Who::Teacher(owners[i].0)),
                        BookingRef::Unknown => any_who(),
                    };
                    send(who, Cmd::MarkAttendance { booking, attended })
                })
                .boxed()
        };
        let advance = (0..=90i64).prop_map(|minutes| Transition::Advance { minutes }).boxed();

        let has_sessions = sessions > 0;
        let has_bookings = !owners.is_empty();
        let started = state.bookings.iter().any(|&(s, _)| now >= state.sessions[s].starts);
        let mut arms: Vec<(u32, BoxedStrategy<Transition>)> = vec![
            (
                if sessions >= 3 {
                    2
                } else if has_sessions {
                    4
                } else {
                    24
                },
                create,
            ),
            (5, advance),
            (if has_sessions { 20 } else { 1 }, book),
            (if has_bookings { 10 } else { 1 }, cancel_booking),
            (if has_sessions { 5 } else { 1 }, change_capacity),
            (if has_sessions { 4 } else { 1 }, set_waitlist),
            (1, cancel_session),
            (
                if started {
                    12
                } else if has_bookings {
                    3
                } else {
                    1
                },
                mark_attendance,
            ),
        ];
        if !state.sent_with_key.is_empty() {
            arms.push((5, (0..state.sent_with_key.len()).prop_map(|index| Transition::Repeat { index }).boxed()));
        }
        Union::new_weighted(arms).boxed()
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        state.step(transition);
        state
    }

    /// Only keeps indices in range (they may fall out of range while shrinking).
    fn preconditions(state: &Model, transition: &Transition) -> bool {
        let session_ok = |r: &SessionRef| {
            matches!(r, SessionRef::Unknown) || matches!(r, SessionRef::Index(i) if *i < state.sessions.len())
        };
        let booking_ok = |r: &BookingRef| {
            matches!(r, BookingRef::Unknown) || matches!(r, BookingRef::Index(i) if *i < state.bookings.len())
        };
        match transition {
            Transition::Send { cmd, .. } => match cmd {
                Cmd::Create { .. } => true,
                Cmd::Book { session, .. }
                | Cmd::ChangeCapacity { session, .. }
                | Cmd::SetWaitlist { session, .. }
                | Cmd::CancelSession { session } => session_ok(session),
                Cmd::CancelBooking { booking } | Cmd::MarkAttendance { booking, .. } => booking_ok(booking),
            },
            Transition::Repeat { index } => *index < state.sent_with_key.len(),
            Transition::Advance { .. } => true,
        }
    }
}

/// The system under test: an engine over a fresh store, and the ids it handed out.
struct Sut {
    /// The engine, its clock and its store.
    h: Harness,
    /// Model session index to id.
    sessions: Vec<SessionId>,
    /// Model booking index to id.
    bookings: Vec<BookingId>,
    /// The first run of each recorded command, parallel to `Model::records`.
    first_runs: Vec<Receipt<OutcomeValue>>,
}

/// The request key with this number.
fn key_text(k: u8) -> String {
    if k == BAD_KEY { "bad\nkey".to_owned() } else { format!("key-{k}") }
}

/// The kind names of events.
fn kinds(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

/// An engine result, for a failure message.
fn describe<T: std::fmt::Debug>(r: &Result<T, BookingError>) -> String {
    match r {
        Ok(v) => format!("success {v:?}"),
        Err(e) => format!("error {} ({e})", e.code()),
    }
}

impl Sut {
    /// A fresh engine over a fresh store from `factory`.
    fn new(factory: StoreFactory<'_>) -> Self {
        Self { h: Harness::new(factory), sessions: Vec::new(), bookings: Vec::new(), first_runs: Vec::new() }
    }

    /// The engine id of a model session.
    fn session_id(&self, r: SessionRef) -> SessionId {
        match r {
            SessionRef::Index(i) => self.sessions.get(i).copied().unwrap_or_else(unknown_session),
            SessionRef::Unknown => unknown_session(),
        }
    }

    /// The engine id of a model booking.
    fn booking_id(&self, r: BookingRef) -> BookingId {
        match r {
            BookingRef::Index(i) => self.bookings.get(i).copied().unwrap_or_else(unknown_booking),
            BookingRef::Unknown => unknown_booking(),
        }
    }

    /// The engine command for a model command.
    fn command(&self, cmd: &Cmd) -> Command {
        match *cmd {
            Cmd::Create { teacher: t, capacity, waitlist, starts } => Command::CreateSession {
                session: crate::NewGroupSession {
                    starts_at: t0() + TimeDelta::minutes(starts),
                    ..new_session(teacher(t), capacity, waitlist)
                },
            },
            Cmd::Book { session, student: s } => {
                Command::BookSeat { session_id: self.session_id(session), student_id: student(s), seats: 1 }
            }
            Cmd::CancelBooking { booking } => Command::CancelBooking { booking_id: self.booking_id(booking) },
            Cmd::ChangeCapacity { session, capacity } => {
                Command::ChangeCapacity { session_id: self.session_id(session), capacity }
            }
            Cmd::SetWaitlist { session, enabled } => {
                Command::SetWaitlist { session_id: self.session_id(session), enabled }
            }
            Cmd::CancelSession { session } => Command::CancelSession { session_id: self.session_id(session) },
            Cmd::MarkAttendance { booking, attended } => {
                Command::MarkAttendance { booking_id: self.booking_id(booking), attended }
            }
        }
    }

    /// Every session created so far, as stored now.
    fn load_all(&self) -> Result<Vec<Arc<GroupSession>>, String> {
        self.sessions.iter().map(|&id| self.h.load(id)).collect()
    }

    /// Runs one transition on the engine and the model and checks everything that must hold
    /// after it:
    /// - the engine's result is the model's prediction (the same error code; a replay equal to
    ///   the first run; or the same event kinds, not replayed);
    /// - a refused or replayed command changed no stored session;
    /// - a command decided now changed only its session, exactly as its events say: the events
    ///   applied to the stored state before (plus one version if there were events) give the
    ///   stored state after, the receipt's version and value are the stored ones, and every
    ///   event carries the command's actor and the engine's instant;
    /// - every stored session passes [`check_invariants`] and equals the model's.
    fn step(&mut self, model: &mut Model, t: &Transition) -> Result<(), String> {
        let before = self.load_all()?;
        let sent = model.resolve(t);
        let expect = model.step(t);
        match (sent, expect) {
            (None, None) => match t {
                Transition::Advance { minutes } => self.h.clock.advance(TimeDelta::minutes(*minutes)),
                _ => return Err("the transition names a command that was never sent".to_owned()),
            },
            (Some((who, key, cmd)), Some(expect)) => {
                let command = self.command(&cmd);
                let request = Request { actor: who.actor(), key: key.map(key_text) };
                let result = self.h.engine.execute(request, command);
                self.check_outcome(model, &before, who, expect, result)?;
            }
            (sent, expect) => return Err(format!("model inconsistency: sent {sent:?}, expected {expect:?}")),
        }
        let after = self.load_all()?;
        let now = self.h.engine.now();
        for s in &after {
            check_invariants(s, Some(now))?;
        }
        self.compare_with_model(model, &after)
    }

    /// Checks the engine's result against the model's prediction and the stored sessions.
    fn check_outcome(
        &mut self,
        model: &Model,
        before: &[Arc<GroupSession>],
        who: Who,
        expect: Expect,
        result: Result<Receipt<OutcomeValue>, BookingError>,
    ) -> Result<(), String> {
        match (expect, result) {
            (Expect::Refused(code), Err(e)) if e.code().as_str() == code => {
                let after = self.load_all()?;
                ensure(after == before, || format!("refused with {code} but the stored sessions changed"))
            }
            (Expect::Refused(code), other) => Err(format!("expected refusal {code}, got {}", describe(&other))),
            (Expect::Replay { record }, Ok(r)) => {
                let first = self.first_runs.get(record).ok_or("model: record without a first run")?;
                ensure(r.replayed, || format!("expected a replay of {first:?}, got a fresh run {r:?}"))?;
                ensure_eq(
                    (&r.value, &r.events, r.version),
                    (&first.value, &first.events, first.version),
                    "replay equals the first run",
                )?;
                ensure_eq(kinds(&r.events), model.records[record].kinds.clone(), "replayed event kinds")?;
                let after = self.load_all()?;
                ensure(after == before, || "a replay changed the stored sessions".to_owned())
            }
            (Expect::Done { kinds: expected, session }, Ok(r)) => {
                ensure(!r.replayed, || format!("expected a fresh run with events {expected:?}, got a replay {r:?}"))?;
                ensure_eq(kinds(&r.events), expected, "event kinds")?;
                let now = self.h.engine.now();
                for e in &r.events {
                    ensure(e.occurred_at == now && e.actor == who.actor(), || {
                        format!("event {e:?} should carry actor {} and instant {now}", who.actor())
                    })?;
                }
                if session == before.len() {
                    self.check_created(before, &r)?;
                } else {
                    self.check_changed(model, before, session, &r)?;
                }
                if model.records.len() > self.first_runs.len() {
                    self.first_runs.push(r);
                }
                Ok(())
            }
            (expect, Err(e)) => Err(format!("expected {expect:?}, got error {} ({e})", e.code())),
        }
    }

    /// Checks a creation: a new id, stored as returned and as its event says, nothing else
    /// changed; learns the id.
    fn check_created(&mut self, before: &[Arc<GroupSession>], r: &Receipt<OutcomeValue>) -> Result<(), String> {
        let OutcomeValue::Session { session } = &r.value else {
            return Err(format!("creation returned {:?}, not a session", r.value));
        };
        ensure(!self.sessions.contains(&session.id), || format!("creation reused the id of session {}", session.id))?;
        self.sessions.push(session.id);
        let after = self.load_all()?;
        let stored = &after[before.len()];
        ensure_eq(&**stored, &**session, "stored session equals the returned one")?;
        ensure_eq((stored.version, r.version), (1, 1), "version of a new session")?;
        match r.events.as_slice() {
            [Event { kind: EventKind::SessionCreated { session: created }, .. }] => {
                ensure_eq(&**created, &**stored, "the session_created event carries the stored session")?
            }
            other => return Err(format!("creation events: {other:?}")),
        }
        ensure(after[..before.len()] == *before, || "creating a session changed another one".to_owned())
    }

    /// Checks a command decided now on session `index` (see [`Sut::step`]); learns the id of
    /// a new booking.
    fn check_changed(
        &mut self,
        model: &Model,
        before: &[Arc<GroupSession>],
        index: usize,
        r: &Receipt<OutcomeValue>,
    ) -> Result<(), String> {
        let old = before.get(index).ok_or("model: no such session")?;
        let mut expected = (**old).clone();
        for e in &r.events {
            apply_checked(&mut expected, e)?;
        }
        if !r.events.is_empty() {
            expected.version += 1;
        }
        // A new booking: learn its id (the model pushed it already).
        if model.bookings.len() > self.bookings.len() {
            let OutcomeValue::SeatBooking { booking } = &r.value else {
                return Err(format!("booking returned {:?}, not a booking", r.value));
            };
            ensure(old.booking(booking.id).is_none() && !self.bookings.contains(&booking.id), || {
                format!("the new booking reuses id {}", booking.id)
            })?;
            self.bookings.push(booking.id);
        }
        let after = self.load_all()?;
        let stored = &after[index];
        ensure_eq(
            &**stored,
            &expected,
            "stored session after the command vs. the session before with the receipt's events applied",
        )?;
        ensure_eq(r.version, stored.version, "receipt version")?;
        #[allow(unreachable_patterns)]
        match &r.value {
            OutcomeValue::Session { session } => ensure_eq(&**session, &**stored, "returned session")?,
            OutcomeValue::SeatBooking { booking } => {
                ensure_eq(Some(booking), stored.booking(booking.id), "returned booking")?
            }
            other => return Err(format!("a group command returned {other:?}")),
        }
        for (i, (a, b)) in after.iter().zip(before).enumerate() {
            ensure(i == index || a == b, || format!("a command on session #{index} changed session #{i}"))?;
        }
        Ok(())
    }

    /// Compares every stored session with the model's, booking by booking, ids included.
    fn compare_with_model(&self, model: &Model, stored: &[Arc<GroupSession>]) -> Result<(), String> {
        ensure_eq(stored.len(), model.sessions.len(), "number of sessions")?;
        for (i, (m, s)) in model.sessions.iter().zip(stored).enumerate() {
            let engine = (s.teacher_id, s.capacity, s.waitlist_enabled, s.starts_at, s.is_cancelled());
            let expected =
                (teacher(m.teacher), m.capacity, m.waitlist, t0() + TimeDelta::minutes(m.starts), m.cancelled);
            ensure_eq(engine, expected, &format!("session #{i}: (teacher, capacity, waitlist, start, cancelled)"))?;
            let engine: Vec<_> = s.bookings.iter().map(|b| (b.student_id, b.status)).collect();
            let expected: Vec<_> = m.bookings.iter().map(|&(st, status)| (student(st), status.seat_status())).collect();
            ensure_eq(engine, expected, &format!("session #{i}: bookings (student, status)"))?;
        }
        for (n, &(s, p)) in model.bookings.iter().enumerate() {
            let id = stored.get(s).and_then(|s| s.bookings.get(p)).map(|b| b.id);
            ensure_eq(id, self.bookings.get(n).copied(), &format!("id of booking #{n}"))?;
        }
        Ok(())
    }
}

/// Applies one event to `state` with [`GroupSession::apply`], after checking that it can
/// describe a change of this session: it names this session, a booking it names exists (or,
/// for a new booking, does not), a promotion promotes the head of the waitlist into a free
/// seat, a new booking is confirmed only with a free seat and nobody waiting, a waitlisted one
/// gets the position at the back of the queue, and a cancellation names the booking's status.
pub(super) fn apply_checked(state: &mut GroupSession, event: &Event) -> Result<(), String> {
    let fail = |why: &str| Err(format!("event {event:?} on session {}: {why}", state.id));
    #[allow(unreachable_patterns)]
    let session_id = match &event.kind {
        EventKind::SessionCreated { session } => session.id,
        EventKind::BookingConfirmed { session_id, .. }
        | EventKind::BookingWaitlisted { session_id, .. }
        | EventKind::BookingPromoted { session_id, .. }
        | EventKind::BookingCancelled { session_id, .. }
        | EventKind::SessionClosed { session_id }
        | EventKind::SessionReopened { session_id }
        | EventKind::CapacityChanged { session_id, .. }
        | EventKind::WaitlistChanged { session_id, .. }
        | EventKind::SessionCancelled { session_id }
        | EventKind::AttendanceMarked { session_id, .. } => *session_id,
        _ => return fail("not a group-session event"),
    };
    if session_id != state.id {
        return fail("names another session");
    }
    let existing = event.kind.booking_id().and_then(|id| state.booking(id));
    match &event.kind {
        EventKind::SessionCreated { .. } => return fail("a session is created only once"),
        EventKind::BookingConfirmed { booking_id, .. } | EventKind::BookingWaitlisted { booking_id, .. } => {
            if existing.is_some() {
                return fail(&format!("booking {booking_id} already exists"));
            }
            let free = state.booked_seats() < state.capacity;
            let waiting = state.waitlisted_count();
            match event.kind {
                EventKind::BookingConfirmed { .. } if !free || waiting > 0 => {
                    return fail("confirmed without a free seat, or ahead of the waitlist");
                }
                EventKind::BookingWaitlisted { position, .. } if position != waiting + 1 => {
                    return fail(&format!("waitlisted at position {position}, but {waiting} already wait"));
                }
                _ => {}
            }
        }
        EventKind::BookingPromoted { booking_id, .. } => {
            if state.waitlist().next().map(|b| b.id) != Some(*booking_id) {
                return fail("promotes a booking that is not the head of the waitlist");
            }
            if state.booked_seats() >= state.capacity {
                return fail("promotes without a free seat");
            }
        }
        EventKind::BookingCancelled { previous_status, .. } => match existing {
            Some(b) if b.status == *previous_status && b.status.is_active() => {}
            Some(b) => return fail(&format!("the booking is {}", b.status)),
            None => return fail("unknown booking"),
        },
        EventKind::AttendanceMarked { .. } if existing.is_none() => return fail("unknown booking"),
        _ => {}
    }
    if let EventKind::BookingConfirmed { student_id, .. } | EventKind::BookingWaitlisted { student_id, .. } =
        &event.kind
        && state.active_booking_of(*student_id).is_some()
    {
        return fail("the student already holds an active booking");
    }
    state.apply(event);
    Ok(())
}

/// The invariants every stored session satisfies at any time:
/// - seats taken (confirmed + attended) never exceed the capacity;
/// - booking ids are distinct and bookings are kept in booking order (so the waitlist, the
///   waitlisted ones in that order, is first come first served);
/// - a student holds at most one active (confirmed or waitlisted) booking;
/// - before the start (`now`, when given) of a session that is not cancelled, nobody waits
///   while a seat is free.
pub(super) fn check_invariants(s: &GroupSession, now: Option<DateTime<Utc>>) -> Result<(), String> {
    let taken =
        s.bookings.iter().filter(|b| matches!(b.status, SeatStatus::Confirmed | SeatStatus::Attended)).count() as u32;
    ensure(taken <= s.capacity, || format!("session {}: {taken} seats taken of {}", s.id, s.capacity))?;
    let mut ids = HashSet::new();
    let mut active = HashSet::new();
    for b in &s.bookings {
        ensure(ids.insert(b.id), || format!("session {}: booking id {} appears twice", s.id, b.id))?;
        ensure(b.session_id == s.id, || format!("session {}: booking {} names session {}", s.id, b.id, b.session_id))?;
        if matches!(b.status, SeatStatus::Confirmed | SeatStatus::Waitlisted) {
            ensure(active.insert(b.student_id), || {
                format!("session {}: student {} holds two active bookings", s.id, b.student_id)
            })?;
        }
    }
    let waiting = s.bookings.iter().filter(|b| b.status == SeatStatus::Waitlisted).count();
    if let Some(now) = now
        && s.cancelled_at.is_none()
        && now < s.starts_at
    {
        ensure(waiting == 0 || taken >= s.capacity, || {
            format!(
                "session {}: {waiting} students wait while {} of {} seats are free",
                s.id,
                s.capacity - taken,
                s.capacity
            )
        })?;
    }
    Ok(())
}

/// Runs one generated case; `seen` counts the transitions run (it helps shrinking).
fn run_case(
    factory: StoreFactory<'_>,
    init: Model,
    transitions: &[Transition],
    seen: Option<&AtomicUsize>,
) -> Result<(), String> {
    let mut sut = Sut::new(factory);
    let mut model = init;
    for (n, t) in transitions.iter().enumerate() {
        if let Some(seen) = seen {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        sut.step(&mut model, t).map_err(|e| format!("step {n} {t:?}: {e}"))?;
    }
    Ok(())
}

/// Random command sequences (1 to 59 transitions, [`property_cases`](super::property_cases)
/// cases) against the reference [`Model`]; see the [module docs](self). A failure names the
/// first diverging step and lists the shrunk transition sequence.
pub(crate) fn group_property_test(factory: StoreFactory<'_>) -> Result<(), String> {
    let mut config = Config { cases: super::property_cases(), failure_persistence: None, ..Config::default() };
    if matches!(config.rng_seed, RngSeed::Random) {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    let mut runner = TestRunner::new(config);
    let result = runner.run(&Reference::sequential_strategy(1..60), |(init, transitions, seen)| {
        run_case(factory, init, &transitions, seen.as_deref()).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Abort(reason)) => Err(format!("property test aborted: {reason}")),
        Err(TestError::Fail(reason, (_, transitions, _))) => {
            let mut message = format!(
                "property test failed: {reason}\nminimal failing sequence ({} transitions):",
                transitions.len()
            );
            for (n, t) in transitions.iter().enumerate() {
                let _ = write!(message, "\n  {n:>2}: {t:?}");
            }
            Err(message)
        }
    }
}
