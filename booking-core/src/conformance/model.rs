//! The property test: random command sequences, run through the engine over the store under
//! test and through a plain reference model, compared after every step.
//!
//! The [`Model`] is written from the rules in the [group module docs](crate::group), not from
//! its code: it never calls [`group::decide`](crate::group::decide) nor
//! [`GroupSession::apply`]. It holds sessions (teacher, capacity, waitlist flag and mode, the
//! cancellation cut-off, start, cancelled flag, bookings as student, status, seats and offer
//! deadline in booking order, whether it belongs to the course), the students enrolled in the
//! course (host data, changed during the case), the clock, and the request keys recorded so
//! far, and predicts
//! for every command either the exact list of event kinds (a cancellation that overrides the
//! cut-off is told apart, see [`kinds`]) or the exact error code. It covers bookings of several
//! seats (all or nothing, strict first come first served), the waitlist by offer (offers,
//! acceptance, refusal, expiry on every command and by the host's periodic call, the clock
//! stepping past deadlines and starts), the cancellation cut-off, the minimum notice, the
//! seats per booking (the session's own, else 1), and
//! enrollment in a session's course (booking and accepting an offer need it, whoever acts;
//! cancelling, declining and promotion do not).
//!
//! Commands come from random actors (two teachers, five students, an admin, the system),
//! authorized or not, some under request keys drawn from a small pool, and a transition may
//! resend an earlier keyed command (a client retry: a replay if it was recorded, a fresh
//! decision if not, and `request_key_reused` when the same actor used the key for another
//! command). After every step the check compares the stored sessions with the model and with
//! the receipt's events (see [`Sut::step`]), and checks the invariants of [`check_invariants`].
//!
//! The model keeps every booking, finished or not; the store keeps only the live ones in the
//! session and the finished ones (cancelled, expired) in its booking history. The comparison
//! adapts: a stored session must hold exactly the model's live bookings, in order, and every
//! booking the model knows is read back by id (from the session or the history) as the model
//! has it (see [`Sut::compare_with_model`]).
//!
//! Runs [`property_cases`](super::property_cases) cases of 1 to 59 transitions with a fixed
//! seed (so a run is reproducible); set `PROPTEST_RNG_SEED` to explore other sequences.

use super::harness::{Harness, StoreFactory, admin, ensure, ensure_eq, new_session, student, t0, teacher};
use super::host::HostData;
use super::lesson_scenarios::course;
use crate::{
    Actor, BookingError, BookingId, Command, Event, EventKind, GroupSession, OutcomeValue, Receipt, Request,
    SchedulingRules, SeatBooking, SeatStatus, SessionId, WaitlistMode, group::MAX_CAPACITY,
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
        /// Offer mode with this hold in minutes (0 is a bad input), or promote mode.
        offer: Option<u32>,
        /// Its cancellation cut-off in minutes, if any.
        cutoff: Option<u32>,
        /// Its minimum notice for booking, in minutes, if any.
        notice: Option<u32>,
        /// Whether it belongs to the course (the only one of the case).
        course: bool,
        /// Its own seats per booking, if any (0 is a bad input).
        max_seats: Option<u32>,
    },
    /// Book seats.
    Book {
        /// The session.
        session: SessionRef,
        /// The student the seats are for.
        student: u32,
        /// How many seats (0 is a bad input).
        seats: u32,
    },
    /// Accept an offered seat.
    AcceptOffer {
        /// The booking.
        booking: BookingRef,
    },
    /// Decline an offered seat.
    DeclineOffer {
        /// The booking.
        booking: BookingRef,
    },
    /// Expire a session's offers that ran out.
    ExpireOffers {
        /// The session.
        session: SessionRef,
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
    /// The host's periodic call: expire every offer due now
    /// ([`Engine::process_expired_offers`](crate::Engine::process_expired_offers)).
    ProcessExpired,
    /// Host data: enroll a student in the course, or take them out of it.
    Enroll {
        /// The student.
        student: u32,
        /// Enrolled or not.
        enrolled: bool,
    },
}

/// A seat status of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// Holds a seat.
    Confirmed,
    /// Queued for a seat.
    Waitlisted,
    /// Queued, with its seats held for it until its deadline.
    Offered,
    /// Its offer ran out.
    Expired,
    /// Cancelled before the start.
    Cancelled,
    /// Held a seat and came.
    Attended,
    /// Held a seat and did not come.
    NoShow,
}

impl Status {
    /// Confirmed, waitlisted or offered.
    fn active(self) -> bool {
        matches!(self, Status::Confirmed | Status::Waitlisted | Status::Offered)
    }

    /// Cancelled or expired: over, kept in the store's booking history, not in its session.
    fn finished(self) -> bool {
        matches!(self, Status::Cancelled | Status::Expired)
    }

    /// Confirmed, offered (held) or attended.
    fn takes_seat(self) -> bool {
        matches!(self, Status::Confirmed | Status::Offered | Status::Attended)
    }

    /// The engine's status with the same meaning.
    fn seat_status(self) -> SeatStatus {
        match self {
            Status::Confirmed => SeatStatus::Confirmed,
            Status::Waitlisted => SeatStatus::Waitlisted,
            Status::Offered => SeatStatus::Offered,
            Status::Expired => SeatStatus::Expired,
            Status::Cancelled => SeatStatus::Cancelled,
            Status::Attended => SeatStatus::Attended,
            Status::NoShow => SeatStatus::NoShow,
        }
    }
}

/// A booking of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ModelBooking {
    /// The student.
    student: u32,
    /// Where it stands.
    status: Status,
    /// Seats it takes or waits for.
    seats: u32,
    /// While offered (and once expired): the offer's deadline, minutes after [`t0`].
    deadline: Option<i64>,
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
    /// Offer mode with this hold in minutes, or promote mode.
    offer: Option<i64>,
    /// Cancellation cut-off in minutes before the start, if any.
    cutoff: Option<i64>,
    /// Minimum notice for booking in minutes, if any.
    notice: Option<i64>,
    /// Minutes after [`t0`].
    starts: i64,
    /// Whether it belongs to the course.
    course: bool,
    /// At most this many seats in one booking: its own setting, else 1.
    max_seats: u32,
    /// Whether it was cancelled.
    cancelled: bool,
    /// In booking order.
    bookings: Vec<ModelBooking>,
}

impl ModelSession {
    /// Seats taken: confirmed, offered or attended bookings' seats.
    fn taken(&self) -> u32 {
        self.bookings.iter().filter(|b| b.status.takes_seat()).map(|b| b.seats).sum()
    }

    /// Seats free.
    fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.taken())
    }

    /// Whether someone is waitlisted.
    fn anyone_waits(&self) -> bool {
        self.bookings.iter().any(|b| b.status == Status::Waitlisted)
    }

    /// The waitlist is off and a newcomer could not get one seat (none free, or someone waits).
    fn closed(&self) -> bool {
        !self.waitlist && (self.free() == 0 || self.anyone_waits())
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

    /// Serves the waitlist, first booked first, while the head's seats are all free: promoted
    /// at once, or (offer mode, before the start) offered until `min(now + hold, start)`.
    fn serve(&mut self, now: i64, kinds: &mut Vec<&'static str>) {
        loop {
            let free = self.free();
            let (offer, starts) = (self.offer, self.starts);
            let Some(head) = self.bookings.iter_mut().find(|b| b.status == Status::Waitlisted) else { break };
            if head.seats > free {
                break;
            }
            match offer {
                None => {
                    head.status = Status::Confirmed;
                    kinds.push("booking_promoted");
                }
                Some(_) if now >= starts => break,
                Some(hold) => {
                    head.status = Status::Offered;
                    head.deadline = Some((now + hold).min(starts));
                    kinds.push("seat_offered");
                }
            }
        }
    }

    /// Expires the offers due at `now`, oldest booking first, then serves the waitlist.
    fn expire_due(&mut self, now: i64, kinds: &mut Vec<&'static str>) {
        let mut any = false;
        for b in self.bookings.iter_mut() {
            if b.status == Status::Offered && b.deadline.is_some_and(|d| d <= now) {
                b.status = Status::Expired;
                kinds.push("offer_expired");
                any = true;
            }
        }
        if any {
            self.serve(now, kinds);
        }
    }

    /// Whether an offer is due at `now`.
    fn offer_due(&self, now: i64) -> bool {
        self.bookings.iter().any(|b| b.status == Status::Offered && b.deadline.is_some_and(|d| d <= now))
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
    /// The host's periodic expiry: these events on these sessions (by index), nothing else.
    Processed {
        /// Each changed session with the kinds of its events.
        sessions: Vec<(usize, Vec<&'static str>)>,
    },
}

/// The reference model: plain data and the rules, spelled out.
#[derive(Clone, Debug, Default)]
struct Model {
    /// Minutes after [`t0`].
    now: i64,
    /// Every session created, in order.
    sessions: Vec<ModelSession>,
    /// The students enrolled in the course.
    enrolled: HashSet<u32>,
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
            Transition::Advance { .. } | Transition::ProcessExpired | Transition::Enroll { .. } => None,
        }
    }

    /// Applies a transition; returns the prediction for the command it sends, if any.
    fn step(&mut self, t: &Transition) -> Option<Expect> {
        match t {
            Transition::Advance { minutes } => {
                self.now += minutes;
                return None;
            }
            Transition::ProcessExpired => return Some(self.process_expired()),
            Transition::Enroll { student, enrolled } => {
                if *enrolled {
                    self.enrolled.insert(*student);
                } else {
                    self.enrolled.remove(student);
                }
                return None;
            }
            _ => {}
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

    /// The host's periodic call: every session with an offer due expires it and serves its
    /// waitlist, as the system, at the model's instant.
    fn process_expired(&mut self) -> Expect {
        let now = self.now;
        let mut sessions = Vec::new();
        for (i, s) in self.sessions.iter_mut().enumerate() {
            if !s.offer_due(now) {
                continue;
            }
            let was_closed = s.closed();
            let mut kinds = Vec::new();
            s.expire_due(now, &mut kinds);
            if !s.cancelled && now < s.starts && s.closed() != was_closed {
                kinds.push(if s.closed() { "session_closed" } else { "session_reopened" });
            }
            sessions.push((i, kinds));
        }
        Expect::Processed { sessions }
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
        if let Cmd::Create { teacher, capacity, waitlist, starts, offer, cutoff, notice, course, max_seats } = *cmd {
            if !who.for_teacher(teacher) {
                return Err("not_authorized");
            }
            if capacity == 0 || capacity > MAX_CAPACITY || offer == Some(0) || max_seats == Some(0) {
                return Err("invalid_input");
            }
            if starts <= now {
                return Err("start_in_past");
            }
            self.sessions.push(ModelSession {
                teacher,
                capacity,
                waitlist,
                offer: offer.map(i64::from),
                cutoff: cutoff.map(i64::from),
                notice: notice.map(i64::from),
                starts,
                course,
                max_seats: max_seats.unwrap_or(1),
                cancelled: false,
                bookings: Vec::new(),
            });
            return Ok((vec!["session_created"], self.sessions.len() - 1));
        }
        let (index, position) = match *cmd {
            Cmd::CancelBooking { booking }
            | Cmd::MarkAttendance { booking, .. }
            | Cmd::AcceptOffer { booking }
            | Cmd::DeclineOffer { booking } => {
                let (s, p) = self.booking_index(booking).ok_or("booking_not_found")?;
                (s, Some(p))
            }
            Cmd::Book { session, .. }
            | Cmd::ChangeCapacity { session, .. }
            | Cmd::SetWaitlist { session, .. }
            | Cmd::ExpireOffers { session }
            | Cmd::CancelSession { session } => (self.session_index(session).ok_or("session_not_found")?, None),
            Cmd::Create { .. } => return Err("model: creation handled above"),
        };
        let mut s = self.sessions[index].clone();
        let was_closed = s.closed();
        let mut kinds = Vec::new();
        let mut new_booking = None;
        // Offers due now expire first, whatever the command.
        s.expire_due(now, &mut kinds);
        match *cmd {
            Cmd::Book { student, seats, .. } => {
                if !who.for_student(student) {
                    return Err("not_authorized");
                }
                if seats == 0 || seats > s.capacity {
                    return Err("invalid_input");
                }
                if seats > s.max_seats {
                    return Err("limit_reached");
                }
                s.open_for_changes(now)?;
                if s.notice.is_some_and(|n| s.starts < now + n) {
                    return Err("outside_booking_window");
                }
                // A session of the course seats only its students, whoever books for them.
                if s.course && !self.enrolled.contains(&student) {
                    return Err("not_enrolled");
                }
                if s.bookings.iter().any(|b| b.student == student && b.status.active()) {
                    return Err("already_booked");
                }
                let status = if s.free() >= seats && !s.anyone_waits() {
                    kinds.push("booking_confirmed");
                    Status::Confirmed
                } else if s.waitlist {
                    kinds.push("booking_waitlisted");
                    Status::Waitlisted
                } else {
                    return Err("session_full");
                };
                s.bookings.push(ModelBooking { student, status, seats, deadline: None });
                new_booking = Some(s.bookings.len() - 1);
            }
            Cmd::CancelBooking { .. } => {
                let p = position.ok_or("model: no booking")?;
                let ModelBooking { student: st, status, .. } = s.bookings[p];
                if !(who.for_student(st) || who.for_teacher(s.teacher)) {
                    return Err("not_authorized");
                }
                s.open_for_changes(now)?;
                if !status.active() {
                    return Err("invalid_transition");
                }
                // Only a confirmed seat is bound by the cut-off, and only for students.
                let within_cutoff = status == Status::Confirmed && s.cutoff.is_some_and(|c| now > s.starts - c);
                let overridden = match (within_cutoff, who) {
                    (true, Who::Student(_)) => return Err("cutoff_passed"),
                    (within, _) => within,
                };
                s.bookings[p].status = Status::Cancelled;
                s.bookings[p].deadline = None;
                kinds.push(if overridden { "booking_cancelled!" } else { "booking_cancelled" });
                s.serve(now, &mut kinds);
            }
            Cmd::AcceptOffer { .. } | Cmd::DeclineOffer { .. } => {
                let p = position.ok_or("model: no booking")?;
                let ModelBooking { student: st, status, .. } = s.bookings[p];
                if !(who.for_student(st) || who.for_teacher(s.teacher)) {
                    return Err("not_authorized");
                }
                match status {
                    Status::Offered => {}
                    Status::Expired => return Err("offer_expired"),
                    _ => return Err("invalid_transition"),
                }
                // Taking the offered seat needs the enrollment, whoever accepts; declining not.
                let accept = matches!(cmd, Cmd::AcceptOffer { .. });
                if accept && s.course && !self.enrolled.contains(&st) {
                    return Err("not_enrolled");
                }
                s.bookings[p].deadline = None;
                if accept {
                    s.bookings[p].status = Status::Confirmed;
                    kinds.push("offer_accepted");
                } else {
                    s.bookings[p].status = Status::Cancelled;
                    kinds.push("offer_declined");
                    s.serve(now, &mut kinds);
                }
            }
            Cmd::ExpireOffers { .. } => {
                if !who.for_teacher(s.teacher) {
                    return Err("not_authorized");
                }
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
                    s.serve(now, &mut kinds);
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
                for b in s.bookings.iter_mut().filter(|b| b.status.active()) {
                    b.status = Status::Cancelled;
                    b.deadline = None;
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
                match s.bookings[p].status {
                    Status::Confirmed | Status::Attended | Status::NoShow => {
                        if s.bookings[p].status != target {
                            s.bookings[p].status = target;
                            kinds.push("attendance_marked");
                        }
                    }
                    Status::Waitlisted | Status::Offered | Status::Expired | Status::Cancelled => {
                        return Err("invalid_transition");
                    }
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

    /// No sessions yet; each student enrolled in the course or not.
    fn init_state() -> BoxedStrategy<Model> {
        prop::collection::vec(prop::bool::weighted(0.6), 5)
            .prop_map(|enrolled| Model {
                enrolled: (1..=5u32).zip(enrolled).filter(|(_, e)| *e).map(|(s, _)| s).collect(),
                ..Model::default()
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        let now = state.now;
        let teachers: Arc<Vec<u32>> = Arc::new(state.sessions.iter().map(|s| s.teacher).collect());
        let owners: Arc<Vec<(u32, u32)>> = Arc::new(
            state
                .bookings
                .iter()
                .map(|&(s, p)| (state.sessions[s].teacher, state.sessions[s].bookings[p].student))
                .collect(),
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
            prop_oneof![6 => 1..=2u32, 3 => 3..=4u32, 1 => Just(0u32)],
            prop::bool::weighted(0.7),
            prop_oneof![9 => 60..=180i64, 1 => -30..=0i64],
            prop_oneof![
                4 => Just(None),
                5 => prop::sample::select(vec![5u32, 10, 30, 60]).prop_map(Some),
                1 => Just(Some(0u32))
            ],
            prop_oneof![2 => Just(None), 1 => prop::sample::select(vec![30u32, 90]).prop_map(Some)],
            prop_oneof![4 => Just(None), 1 => prop::sample::select(vec![30u32, 120]).prop_map(Some)],
            prop::bool::weighted(0.4),
            prop_oneof![4 => Just(None), 5 => (1..=3u32).prop_map(Some), 1 => Just(Some(0u32))],
        )
            .prop_flat_map(move |(t, capacity, waitlist, offset, offer, cutoff, notice, course, max_seats)| {
                let starts = now + offset;
                send(
                    who_or(Who::Teacher(t)),
                    Cmd::Create { teacher: t, capacity, waitlist, starts, offer, cutoff, notice, course, max_seats },
                )
            })
            .boxed();
        let book = (session_ref.clone(), 1..=5u32, prop_oneof![14 => Just(1u32), 3 => 2..=3u32, 1 => Just(0u32)])
            .prop_flat_map(|(session, st, seats)| {
                send(who_or(Who::Student(st)), Cmd::Book { session, student: st, seats })
            })
            .boxed();
        // The booking's student, mostly, on an offer.
        let offer_reply = |booking_ref: BoxedStrategy<BookingRef>, owners: Arc<Vec<(u32, u32)>>| {
            (booking_ref, any::<bool>())
                .prop_flat_map(move |(booking, accept)| {
                    let who = match booking {
                        BookingRef::Index(i) => {
                            let (t, st) = owners[i];
                            prop_oneof![6 => Just(Who::Student(st)), 1 => Just(Who::Teacher(t)), 2 => any_who()].boxed()
                        }
                        BookingRef::Unknown => any_who(),
                    };
                    let cmd = if accept { Cmd::AcceptOffer { booking } } else { Cmd::DeclineOffer { booking } };
                    send(who, cmd)
                })
                .boxed()
        };
        let reply = offer_reply(booking_ref.clone(), Arc::clone(&owners));
        // Mostly the bookings that are offered now, when there are some.
        let offered: Vec<usize> = state
            .bookings
            .iter()
            .enumerate()
            .filter(|&(_, &(s, p))| state.sessions[s].bookings[p].status == Status::Offered)
            .map(|(i, _)| i)
            .collect();
        let any_offered = !offered.is_empty();
        let reply_offered = if offered.is_empty() {
            None
        } else {
            Some(offer_reply(prop::sample::select(offered).prop_map(BookingRef::Index).boxed(), Arc::clone(&owners)))
        };
        let expire_offers = {
            let by_teacher = by_teacher.clone();
            session_ref
                .clone()
                .prop_flat_map(move |session| send(by_teacher(session), Cmd::ExpireOffers { session }))
                .boxed()
        };
        let cancel = |booking_ref: BoxedStrategy<BookingRef>, owners: Arc<Vec<(u32, u32)>>| {
            booking_ref
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
        let cancel_booking = cancel(booking_ref.clone(), Arc::clone(&owners));
        // Seats freed where someone waits, before the start: what makes promotions and offers.
        let blocking: Vec<usize> = (state.bookings.iter().enumerate())
            .filter(|&(_, &(s, p))| {
                let session = &state.sessions[s];
                session.bookings[p].status == Status::Confirmed
                    && session.anyone_waits()
                    && session.open_for_changes(now).is_ok()
            })
            .map(|(i, _)| i)
            .collect();
        let cancel_blocking = (!blocking.is_empty())
            .then(|| cancel(prop::sample::select(blocking).prop_map(BookingRef::Index).boxed(), Arc::clone(&owners)));
        // Bookings into the offer-mode sessions still open, to fill them and queue.
        let open_offer_sessions: Vec<usize> = (state.sessions.iter().enumerate())
            .filter(|(_, s)| s.offer.is_some() && s.open_for_changes(now).is_ok())
            .map(|(i, _)| i)
            .collect();
        let book_offer = (!open_offer_sessions.is_empty()).then(|| {
            (prop::sample::select(open_offer_sessions), 1..=5u32, prop_oneof![3 => Just(1u32), 1 => Just(2u32)])
                .prop_flat_map(|(i, st, seats)| {
                    send(
                        Just(Who::Student(st)).boxed(),
                        Cmd::Book { session: SessionRef::Index(i), student: st, seats },
                    )
                })
                .boxed()
        });
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
        let advance =
            prop_oneof![3 => 0..=15i64, 2 => 16..=90i64].prop_map(|minutes| Transition::Advance { minutes }).boxed();
        let enroll = (1..=5u32, prop::bool::weighted(0.7))
            .prop_map(|(student, enrolled)| Transition::Enroll { student, enrolled })
            .boxed();
        let course_sessions = state.sessions.iter().any(|s| s.course);
        // Students offered a seat of the course, still enrolled: leaving the course now is what
        // an acceptance re-checks.
        let offered_in_course: Vec<u32> = (state.sessions.iter())
            .filter(|s| s.course)
            .flat_map(|s| &s.bookings)
            .filter(|b| b.status == Status::Offered && state.enrolled.contains(&b.student))
            .map(|b| b.student)
            .collect();

        let has_sessions = sessions > 0;
        let has_bookings = !owners.is_empty();
        let offer_sessions = state.sessions.iter().any(|s| s.offer.is_some());
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
            (if course_sessions { 4 } else { 1 }, enroll),
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
            (if has_bookings && offer_sessions { 4 } else { 1 }, reply),
            (if offer_sessions { 2 } else { 1 }, expire_offers),
            (
                if any_offered {
                    6
                } else if offer_sessions {
                    2
                } else {
                    1
                },
                Just(Transition::ProcessExpired).boxed(),
            ),
        ];
        if let Some(reply_offered) = reply_offered {
            arms.push((10, reply_offered));
        }
        // Step to the next offer deadline (or just before or after it).
        let next_deadline = (state.sessions.iter())
            .flat_map(|s| &s.bookings)
            .filter(|b| b.status == Status::Offered)
            .filter_map(|b| b.deadline)
            .min();
        if let Some(deadline) = next_deadline {
            let to = (deadline - now).max(0);
            arms.push((8, (to.saturating_sub(1)..=to + 1).prop_map(|minutes| Transition::Advance { minutes }).boxed()));
        }
        if !offered_in_course.is_empty() {
            let leave = prop::sample::select(offered_in_course)
                .prop_map(|student| Transition::Enroll { student, enrolled: false })
                .boxed();
            arms.push((3, leave));
        }
        if let Some(cancel_blocking) = cancel_blocking {
            arms.push((8, cancel_blocking));
        }
        if let Some(book_offer) = book_offer {
            arms.push((10, book_offer));
        }
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
                | Cmd::ExpireOffers { session }
                | Cmd::CancelSession { session } => session_ok(session),
                Cmd::CancelBooking { booking }
                | Cmd::MarkAttendance { booking, .. }
                | Cmd::AcceptOffer { booking }
                | Cmd::DeclineOffer { booking } => booking_ok(booking),
            },
            Transition::Repeat { index } => *index < state.sent_with_key.len(),
            Transition::Advance { .. } | Transition::ProcessExpired | Transition::Enroll { .. } => true,
        }
    }
}

/// The system under test: an engine over a fresh store, and the ids it handed out.
struct Sut {
    /// The engine, its clock and its store.
    h: Harness,
    /// The host data beside the store: who is enrolled in the course.
    host: Arc<HostData>,
    /// Model session index to id.
    sessions: Vec<SessionId>,
    /// Model booking index to id.
    bookings: Vec<BookingId>,
    /// The first run of each recorded command, parallel to `Model::records`.
    first_runs: Vec<Receipt<OutcomeValue>>,
    /// Model bookings already read back finished as the model has them.
    finished_seen: std::cell::RefCell<HashSet<usize>>,
}

/// The request key with this number.
fn key_text(k: u8) -> String {
    if k == BAD_KEY { "bad\nkey".to_owned() } else { format!("key-{k}") }
}

/// The kind names of events, a cancellation that overrode the cut-off written
/// `booking_cancelled!` (so the model predicts the flag too).
fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match e.kind {
            EventKind::BookingCancelled { cutoff_overridden: true, .. } => "booking_cancelled!",
            _ => e.kind.name(),
        })
        .collect()
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
        let (h, host) = Harness::with_host(factory);
        Self {
            h,
            host,
            sessions: Vec::new(),
            bookings: Vec::new(),
            first_runs: Vec::new(),
            finished_seen: Default::default(),
        }
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
            Cmd::Create { teacher: t, capacity, waitlist, starts, offer, cutoff, notice, course: c, max_seats } => {
                Command::CreateSession {
                    session: crate::NewGroupSession {
                        course_id: c.then(|| course(1)),
                        starts_at: t0() + TimeDelta::minutes(starts),
                        waitlist_mode: match offer {
                            Some(hold_minutes) => WaitlistMode::Offer { hold_minutes },
                            None => WaitlistMode::Promote,
                        },
                        rules: SchedulingRules {
                            cancel_cutoff_minutes: cutoff,
                            min_notice_minutes: notice,
                            max_seats_per_booking: max_seats,
                            ..SchedulingRules::default()
                        },
                        ..new_session(teacher(t), capacity, waitlist)
                    },
                }
            }
            Cmd::Book { session, student: s, seats } => {
                Command::BookSeat { session_id: self.session_id(session), student_id: student(s), seats }
            }
            Cmd::AcceptOffer { booking } => Command::AcceptOffer { booking_id: self.booking_id(booking) },
            Cmd::DeclineOffer { booking } => Command::DeclineOffer { booking_id: self.booking_id(booking) },
            Cmd::ExpireOffers { session } => Command::ExpireOffers { session_id: self.session_id(session) },
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

    /// A seat booking as the engine reads it by id (from its session or the booking history).
    fn read_booking(&self, id: BookingId) -> Result<SeatBooking, String> {
        self.h
            .engine
            .seat_booking(Actor::System, id)
            .map_err(|e| format!("reading booking {id}: unexpected {} ({e})", e.code()))
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
                Transition::Enroll { student: st, enrolled: true } => self.host.enroll(student(*st), course(1)),
                Transition::Enroll { student: st, enrolled: false } => self.host.unenroll(student(*st), course(1)),
                _ => return Err("the transition names a command that was never sent".to_owned()),
            },
            (None, Some(Expect::Processed { sessions })) => {
                let now = self.h.engine.now();
                let events = self
                    .h
                    .engine
                    .process_expired_offers(now)
                    .map_err(|e| format!("processing expired offers: unexpected {} ({e})", e.code()))
                    .and_then(super::offer_sweep::swept)?;
                self.check_processed(&before, &sessions, &events)?;
            }
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
            check_stored(s, Some(now))?;
        }
        self.compare_with_model(model, &after)?;
        self.compare_queries_with_model(model)
    }

    /// The read side ([`crate::read`]) says what the model says: every student's agenda
    /// (their live bookings, with status and waitlist position), every teacher's agenda (seats
    /// taken and left, waitlist length, cancelled), and what starts (the sessions not
    /// cancelled), each in start order over a window covering every session.
    fn compare_queries_with_model(&self, model: &Model) -> Result<(), String> {
        use crate::read::{AgendaStatus, MAX_PAGE_SIZE, PageRequest};
        let Some(first) = model.sessions.iter().map(|m| m.starts).min() else { return Ok(()) };
        let last = model.sessions.iter().map(|m| m.starts).max().unwrap_or(first);
        let (from, to) = (t0() + TimeDelta::minutes(first), t0() + TimeDelta::minutes(last + 1));
        let mut order: Vec<usize> = (0..model.sessions.len()).collect();
        order.sort_by_key(|&i| (model.sessions[i].starts, self.sessions[i].as_uuid()));
        let page = PageRequest::first(MAX_PAGE_SIZE);
        let engine = &self.h.engine;
        let failed = |what: &str, e: BookingError| format!("{what}: unexpected {} ({e})", e.code());

        let mut students: Vec<u32> = model.sessions.iter().flat_map(|m| m.bookings.iter().map(|b| b.student)).collect();
        students.sort_unstable();
        students.dedup();
        for st in students {
            let mut expected = Vec::new();
            for &i in &order {
                let m = &model.sessions[i];
                let Some(b) = m.bookings.iter().position(|b| b.student == st && !b.status.finished()) else { continue };
                let booking = m.bookings[b];
                let status = match booking.status {
                    _ if m.cancelled => AgendaStatus::Cancelled,
                    Status::Confirmed => AgendaStatus::Confirmed,
                    Status::Waitlisted => AgendaStatus::Waitlisted,
                    Status::Offered => AgendaStatus::Offered,
                    Status::Attended => AgendaStatus::Attended,
                    Status::NoShow => AgendaStatus::NoShow,
                    Status::Expired | Status::Cancelled => continue,
                };
                let ahead = m.bookings[..b].iter().filter(|x| x.status == Status::Waitlisted).count() as u32;
                let position = (booking.status == Status::Waitlisted).then_some(ahead + 1);
                expected.push((self.sessions[i], status, booking.seats, position));
            }
            let agenda = engine
                .student_agenda(Actor::System, student(st), from, to, &[], &page)
                .map_err(|e| failed("a student's agenda", e))?;
            let got: Vec<_> = agenda
                .items
                .iter()
                .map(|item| {
                    (item.session_id.unwrap_or_else(unknown_session), item.status, item.seats, item.waitlist_position)
                })
                .collect();
            ensure_eq(got, expected, &format!("student {st}'s agenda: (session, status, seats, waitlist position)"))?;
        }

        let mut teachers: Vec<u32> = model.sessions.iter().map(|m| m.teacher).collect();
        teachers.sort_unstable();
        teachers.dedup();
        for t in teachers {
            let expected: Vec<_> = order
                .iter()
                .filter(|&&i| model.sessions[i].teacher == t)
                .map(|&i| {
                    let m = &model.sessions[i];
                    let waiting = m.bookings.iter().filter(|b| b.status == Status::Waitlisted).count() as u32;
                    (self.sessions[i], m.cancelled, m.taken(), m.capacity.saturating_sub(m.taken()), waiting)
                })
                .collect();
            let agenda = engine
                .teacher_agenda(Actor::Teacher(teacher(t)), teacher(t), from, to, &page)
                .map_err(|e| failed("a teacher's agenda", e))?;
            let got: Vec<_> = agenda
                .items
                .iter()
                .map(|item| {
                    let id = item.session_id.unwrap_or_else(unknown_session);
                    (id, item.cancelled, item.seats_taken, item.seats_remaining, item.waitlist_length)
                })
                .collect();
            ensure_eq(got, expected, &format!("teacher {t}'s agenda: (session, cancelled, taken, left, waiting)"))?;
        }

        let expected: Vec<SessionId> =
            order.iter().filter(|&&i| !model.sessions[i].cancelled).map(|&i| self.sessions[i]).collect();
        let starting = engine.starting_between(Actor::System, from, to, &page).map_err(|e| failed("what starts", e))?;
        let got: Vec<SessionId> =
            starting.items.iter().map(|item| item.session_id.unwrap_or_else(unknown_session)).collect();
        ensure_eq(got, expected, "what starts: the sessions not cancelled, by start")
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
            (expect @ Expect::Processed { .. }, Ok(r)) => {
                Err(format!("model: expected {expect:?} from a command, got {r:?}"))
            }
            (expect, Err(e)) => Err(format!("expected {expect:?}, got error {} ({e})", e.code())),
        }
    }

    /// Checks the host's periodic expiry: the events of each session the model expects, and
    /// only those, each session changed exactly as its events say (one version more), the
    /// others unchanged, every event by the system at the engine's instant.
    fn check_processed(
        &self,
        before: &[Arc<GroupSession>],
        expected: &[(usize, Vec<&'static str>)],
        events: &[Event],
    ) -> Result<(), String> {
        let now = self.h.engine.now();
        let mut by_session: Vec<Vec<&Event>> = vec![Vec::new(); before.len()];
        for e in events {
            ensure(e.occurred_at == now && e.actor == Actor::System, || {
                format!("event {e:?} should be the system's at {now}")
            })?;
            let i = before
                .iter()
                .position(|s| Some(s.id) == session_of(&e.kind))
                .ok_or_else(|| format!("processing expired offers gave an event of no known session: {e:?}"))?;
            by_session[i].push(e);
        }
        let after = self.load_all()?;
        for (i, got) in by_session.iter().enumerate() {
            let want = expected.iter().find(|(s, _)| *s == i).map(|(_, k)| k.clone()).unwrap_or_default();
            let got_kinds = kinds(&got.iter().map(|e| (*e).clone()).collect::<Vec<_>>());
            ensure_eq(got_kinds, want, &format!("session #{i}: events of the expiry"))?;
            let mut state = (*before[i]).clone();
            for e in got {
                apply_checked(&mut state, e)?;
            }
            if !got.is_empty() {
                state.version += 1;
            }
            split_finished(&mut state);
            ensure_eq(&*after[i], &state, &format!("session #{i}: stored after the expiry vs. its events applied"))?;
        }
        Ok(())
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
        // The bookings the command finished left the session for the history, as they are.
        let finished = split_finished(&mut expected);
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
        for b in &finished {
            ensure_eq(self.read_booking(b.id)?, b.clone(), "a booking the command finished, read back by id")?;
        }
        #[allow(unreachable_patterns)]
        match &r.value {
            OutcomeValue::Session { session } => ensure_eq(&**session, &**stored, "returned session")?,
            OutcomeValue::SeatBooking { booking } => {
                ensure_eq(booking.clone(), self.read_booking(booking.id)?, "returned booking")?
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
            let engine = (s.teacher_id, s.course_id, s.capacity, s.waitlist_enabled, s.starts_at, s.is_cancelled());
            let expected = (
                teacher(m.teacher),
                m.course.then(|| course(1)),
                m.capacity,
                m.waitlist,
                t0() + TimeDelta::minutes(m.starts),
                m.cancelled,
            );
            ensure_eq(
                engine,
                expected,
                &format!("session #{i}: (teacher, course, capacity, waitlist, start, cancelled)"),
            )?;
            ensure_eq(
                s.waitlist_mode,
                m.offer.map_or(WaitlistMode::Promote, |h| WaitlistMode::Offer { hold_minutes: h as u32 }),
                &format!("session #{i}: waitlist mode"),
            )?;
            ensure_eq(
                (
                    s.rules.cancel_cutoff_minutes.map(i64::from),
                    s.rules.min_notice_minutes.map(i64::from),
                    s.rules.max_seats_per_booking,
                ),
                (m.cutoff, m.notice, Some(m.max_seats)),
                &format!("session #{i}: (cancellation cut-off, minimum notice, seats per booking)"),
            )?;
            // The session holds exactly the model's live bookings, in booking order.
            let held: Vec<Option<BookingId>> = s.bookings.iter().map(|b| Some(b.id)).collect();
            let live: Vec<Option<BookingId>> = (model.bookings.iter().enumerate())
                .filter(|(_, (ms, p))| *ms == i && !m.bookings[*p].status.finished())
                .map(|(n, _)| self.bookings.get(n).copied())
                .collect();
            ensure_eq(held, live, &format!("session #{i}: ids of the live bookings it holds, in order"))?;
        }
        // Every booking is the model's: a live one as its session holds it, a finished one as
        // read back by id from the history (once: a finished booking never changes).
        for (n, &(ms, p)) in model.bookings.iter().enumerate() {
            let (Some(m), Some(&id)) = (model.sessions.get(ms), self.bookings.get(n)) else {
                return Err(format!("model: booking #{n} is unknown"));
            };
            let b = &m.bookings[p];
            let read = if b.status.finished() {
                if !self.finished_seen.borrow_mut().insert(n) {
                    continue;
                }
                self.read_booking(id)?
            } else {
                let held = stored.get(ms).and_then(|s| s.booking(id)).cloned();
                held.ok_or_else(|| format!("booking #{n} ({id}) is live but not in its session"))?
            };
            ensure_eq(
                (read.session_id, read.student_id, read.status, read.seats, read.offer_expires_at),
                (
                    stored.get(ms).map_or(read.session_id, |s| s.id),
                    student(b.student),
                    b.status.seat_status(),
                    b.seats,
                    b.deadline.map(|d| t0() + TimeDelta::minutes(d)),
                ),
                &format!("booking #{n} read by id: (session, student, status, seats, offer deadline)"),
            )?;
        }
        Ok(())
    }
}

/// The session a group-session event names.
fn session_of(kind: &EventKind) -> Option<SessionId> {
    match kind {
        EventKind::SessionCreated { session } => Some(session.id),
        EventKind::BookingConfirmed { session_id, .. }
        | EventKind::BookingWaitlisted { session_id, .. }
        | EventKind::BookingPromoted { session_id, .. }
        | EventKind::BookingCancelled { session_id, .. }
        | EventKind::SeatOffered { session_id, .. }
        | EventKind::OfferAccepted { session_id, .. }
        | EventKind::OfferDeclined { session_id, .. }
        | EventKind::OfferExpired { session_id, .. }
        | EventKind::SessionClosed { session_id }
        | EventKind::SessionReopened { session_id }
        | EventKind::CapacityChanged { session_id, .. }
        | EventKind::WaitlistChanged { session_id, .. }
        | EventKind::SessionCancelled { session_id }
        | EventKind::AttendanceMarked { session_id, .. } => Some(*session_id),
        _ => None,
    }
}

/// Applies one event to `state` with [`GroupSession::apply`], after checking that it can
/// describe a change of this session: it names this session, a booking it names exists (or,
/// for a new booking, does not), a new booking is confirmed only with all its seats free and
/// nobody waiting, a waitlisted one gets the position at the back of the queue, a promotion or
/// an offer serves the head of the waitlist with all its seats free (an offer only in offer
/// mode, before the start, for the booking's seats, running out by the start), an offer is
/// answered or expires only while outstanding (and expires only at its deadline or later), and
/// a cancellation names the booking's status.
pub(super) fn apply_checked(state: &mut GroupSession, event: &Event) -> Result<(), String> {
    let fail = |why: &str| Err(format!("event {event:?} on session {}: {why}", state.id));
    let Some(session_id) = session_of(&event.kind) else { return fail("not a group-session event") };
    if session_id != state.id {
        return fail("names another session");
    }
    let existing = event.kind.booking_id().and_then(|id| state.booking(id));
    let free = state.remaining_seats();
    let head = state.waitlist().next();
    match &event.kind {
        EventKind::SessionCreated { .. } => return fail("a session is created only once"),
        EventKind::BookingConfirmed { booking_id, seats, .. }
        | EventKind::BookingWaitlisted { booking_id, seats, .. } => {
            if existing.is_some() {
                return fail(&format!("booking {booking_id} already exists"));
            }
            if *seats == 0 || *seats > state.capacity {
                return fail(&format!("{seats} seats in a session of {}", state.capacity));
            }
            if state.rules.max_seats_per_booking.is_some_and(|max| *seats > max) {
                return fail(&format!("{seats} seats in one booking, beyond the session's seats per booking"));
            }
            let waiting = state.waitlisted_count();
            match event.kind {
                EventKind::BookingConfirmed { .. } if *seats > free || waiting > 0 => {
                    return fail("confirmed without enough free seats, or ahead of the waitlist");
                }
                EventKind::BookingWaitlisted { position, .. } if position != waiting + 1 => {
                    return fail(&format!("waitlisted at position {position}, but {waiting} already wait"));
                }
                _ => {}
            }
        }
        EventKind::BookingPromoted { booking_id, .. } | EventKind::SeatOffered { booking_id, .. } => {
            let Some(head) = head.filter(|h| h.id == *booking_id) else {
                return fail("serves a booking that is not the head of the waitlist");
            };
            if head.seats > free {
                return fail("serves the head without all its seats free");
            }
            match (&event.kind, state.waitlist_mode) {
                (EventKind::BookingPromoted { .. }, WaitlistMode::Promote) => {}
                (EventKind::SeatOffered { seats, expires_at, .. }, WaitlistMode::Offer { hold_minutes }) => {
                    let at = event.occurred_at;
                    if at >= state.starts_at {
                        return fail("an offer from the start on");
                    }
                    let deadline = (at + TimeDelta::minutes(i64::from(hold_minutes))).min(state.starts_at);
                    if *seats != head.seats || *expires_at != deadline {
                        return fail(&format!(
                            "offers {seats} seats until {expires_at}, not {} until {deadline}",
                            head.seats
                        ));
                    }
                }
                _ => return fail("served in the wrong waitlist mode"),
            }
        }
        EventKind::OfferAccepted { .. } | EventKind::OfferDeclined { .. } | EventKind::OfferExpired { .. } => {
            match existing {
                Some(b) if b.status == SeatStatus::Offered => {
                    let deadline =
                        b.offer_expires_at.ok_or_else(|| format!("offered booking {} without a deadline", b.id))?;
                    let expired = matches!(event.kind, EventKind::OfferExpired { .. });
                    if expired != (event.occurred_at >= deadline) {
                        return fail(&format!("the offer runs out at {deadline}"));
                    }
                }
                Some(b) => return fail(&format!("the booking is {}", b.status)),
                None => return fail("unknown booking"),
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
/// - seats taken (the seats of confirmed, offered and attended bookings) never exceed the
///   capacity;
/// - booking ids are distinct and bookings are kept in booking order (so the waitlist, the
///   waitlisted ones in that order, is first come first served);
/// - a student holds at most one active (confirmed, waitlisted or offered) booking;
/// - no booking takes more seats than the session's seats per booking (when it records one:
///   sessions stored before the rule record none);
/// - an offered booking has a deadline no later than the start, and only offer-mode sessions
///   have offers;
/// - before the start (`now`, when given) of a session that is not cancelled, the head of the
///   waitlist does not fit in the free seats (nobody waits while their seats are free).
pub(super) fn check_invariants(s: &GroupSession, now: Option<DateTime<Utc>>) -> Result<(), String> {
    let taken: u32 = s
        .bookings
        .iter()
        .filter(|b| matches!(b.status, SeatStatus::Confirmed | SeatStatus::Offered | SeatStatus::Attended))
        .map(|b| b.seats)
        .sum();
    ensure(taken <= s.capacity, || format!("session {}: {taken} seats taken of {}", s.id, s.capacity))?;
    let mut ids = HashSet::new();
    let mut active = HashSet::new();
    for b in &s.bookings {
        ensure(ids.insert(b.id), || format!("session {}: booking id {} appears twice", s.id, b.id))?;
        ensure(b.session_id == s.id, || format!("session {}: booking {} names session {}", s.id, b.id, b.session_id))?;
        ensure(b.seats >= 1, || format!("session {}: booking {} takes no seat", s.id, b.id))?;
        ensure(s.rules.max_seats_per_booking.is_none_or(|max| b.seats <= max), || {
            format!("session {}: booking {} takes {} seats, beyond the seats per booking", s.id, b.id, b.seats)
        })?;
        if matches!(b.status, SeatStatus::Confirmed | SeatStatus::Waitlisted | SeatStatus::Offered) {
            ensure(active.insert(b.student_id), || {
                format!("session {}: student {} holds two active bookings", s.id, b.student_id)
            })?;
        }
        if b.status == SeatStatus::Offered {
            ensure(
                matches!(s.waitlist_mode, WaitlistMode::Offer { .. })
                    && b.offer_expires_at.is_some_and(|d| d <= s.starts_at),
                || format!("session {}: offer {} without offer mode or past the start", s.id, b.id),
            )?;
        }
    }
    let head = s.bookings.iter().find(|b| b.status == SeatStatus::Waitlisted);
    if let Some(now) = now
        && s.cancelled_at.is_none()
        && now < s.starts_at
        && let Some(head) = head
    {
        let free = s.capacity - taken;
        ensure(head.seats > free, || {
            format!(
                "session {}: booking {} waits for {} seats while {free} of {} are free",
                s.id, head.id, head.seats, s.capacity
            )
        })?;
    }
    Ok(())
}

/// Moves the finished bookings (cancelled, expired) out of `s`, as a store keeps a session:
/// what a session holds after the events applied to it.
pub(super) fn split_finished(s: &mut GroupSession) -> Vec<SeatBooking> {
    let (finished, live) = std::mem::take(&mut s.bookings)
        .into_iter()
        .partition(|b| matches!(b.status, SeatStatus::Cancelled | SeatStatus::Expired));
    s.bookings = live;
    finished
}

/// [`check_invariants`] of a stored session, which also holds no finished (cancelled or
/// expired) booking: those live in the store's booking history.
pub(super) fn check_stored(s: &GroupSession, now: Option<DateTime<Utc>>) -> Result<(), String> {
    if let Some(b) = s.bookings.iter().find(|b| matches!(b.status, SeatStatus::Cancelled | SeatStatus::Expired)) {
        return Err(format!("session {}: the stored session holds the finished booking {} ({})", s.id, b.id, b.status));
    }
    check_invariants(s, now)
}

/// Runs one generated case; `seen` counts the transitions run (it helps shrinking).
fn run_case(
    factory: StoreFactory<'_>,
    init: Model,
    transitions: &[Transition],
    seen: Option<&AtomicUsize>,
) -> Result<(), String> {
    let mut sut = Sut::new(factory);
    for &st in &init.enrolled {
        sut.host.enroll(student(st), course(1));
    }
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
        Err(TestError::Fail(reason, (init, transitions, _))) => {
            let mut enrolled: Vec<u32> = init.enrolled.into_iter().collect();
            enrolled.sort_unstable();
            let mut message = format!(
                "property test failed: {reason}\nstudents enrolled in the course at first: {enrolled:?}\nminimal failing sequence ({} transitions):",
                transitions.len()
            );
            for (n, t) in transitions.iter().enumerate() {
                let _ = write!(message, "\n  {n:>2}: {t:?}");
            }
            Err(message)
        }
    }
}
