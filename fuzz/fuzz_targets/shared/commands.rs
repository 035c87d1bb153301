//! The command-sequence harness of the `commands` and `commands_sqlite` targets: random
//! sequences of group and lesson commands by random actors (authorized or not, some under
//! request keys, some retried), host-data changes and clock steps, applied through an `Engine`
//! over a store ([`Store`]: the in-memory one, or SQLite in a temporary file). After every
//! step:
//!
//! - every session: seats taken (summed over multi-seat bookings, offered seats included) <=
//!   capacity, no booking takes more seats than the session's seats per booking, at most one
//!   active booking per student, the head of the queue never waits while its seats are free
//!   before the start, offers only in offer mode and never past the start, booking ids
//!   distinct, and no finished (cancelled, expired) booking in the stored session;
//! - every seat booking ever made is found exactly once: live in its session, or finished in the
//!   booking history (with its session's id);
//! - a seat is booked, queued for or accepted in a session of a course only for a student
//!   enrolled in it at that moment;
//! - every person: no two active (pending or confirmed) lessons overlap; their calendar's holds
//!   are sorted, their busy times (buffers included) do not overlap, and they hold every active
//!   lesson of theirs that has not ended; a teacher's lessons never overlap their own group
//!   sessions;
//! - a refused command, a replay, a command without events and a listing changed nothing:
//!   every stored session, calendar and lesson, the indexes, the booking history and the
//!   request record are as before, and no aggregate appeared;
//! - no command fails with a store, contention or corrupt-record error;
//! - listings are sorted, within the window, in the future, free in the teacher's calendar
//!   (buffers, group sessions and time off included), and name real occurrences;
//! - processing expired offers never fails, and leaves no offer past its deadline.
use arbitrary::Arbitrary;
use booking_core::availability::TimeOffSpec;
use booking_core::availability::{SlotRecurrence, occurrence_at, occurrences};
use booking_core::lesson::{
    Calendar, Lesson, LessonStatus, OccurrenceQuery, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec,
};
use booking_core::repository::{BookingLocation, Repository, RequestRecord};
use booking_core::{
    Actor, BookingId, Command, CourseId, Engine, Event, EventKind, GroupSession, InMemoryRepository, ManualClock,
    NewGroupSession, OutcomeValue, Receipt, Request, RequestKey, SchedulingRules, SeatBooking, SeatStatus,
    SequentialIds, SessionId, SlotId, TimeOffId, UserId, WaitlistMode,
};
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::collections::HashSet;
use std::sync::Arc;

/// People 0 to 4 (any of them may act as a teacher or a student), plus an admin.
const PEOPLE: u8 = 5;
/// Steps played of one input.
pub const MAX_OPS: usize = 96;

fn person(n: u8) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0x100 + u128::from(n % PEOPLE)))
}

fn admin() -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(0x200))
}

fn course(n: u8) -> CourseId {
    CourseId::from_uuid(uuid::Uuid::from_u128(0x300 + u128::from(n % 3)))
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 18, 8, 0, 0).unwrap()
}

const ZONES: &[&str] =
    &["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata", "Mars/Base"];
const LINKS: &[&str] = &[
    "https://meet.example.com/room",
    "http://video.example.org/x?y=1",
    "ftp://files.example.com",
    "not a link",
    " https://a.b",
    "https://meet.example.com/x\nATTACH:https://evil.example/a",
    "HTTPS://Meet.Example.com/a b",
];
const TITLES: &[&str] = &["Algebra", "", "   ", "Ünïcode ✓", "Algebra\u{0}", "END:VEVENT\r\nBEGIN:VEVENT"];

#[derive(Clone, Copy, Debug, Arbitrary)]
pub enum Who {
    Teacher(u8),
    Student(u8),
    Admin,
    System,
}

impl Who {
    fn actor(self) -> Actor {
        match self {
            Who::Teacher(n) => Actor::Teacher(person(n)),
            Who::Student(n) => Actor::Student(person(n)),
            Who::Admin => Actor::Admin(admin()),
            Who::System => Actor::System,
        }
    }
}

/// Who sends a command, and under which request key: one of four, or an invalid one.
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct By {
    who: Who,
    key: Option<u8>,
}

impl By {
    fn request(self) -> Request {
        match self.key {
            None => self.who.actor().into(),
            Some(255) => self.who.actor().with_key("bad\u{7}key"),
            Some(k) => self.who.actor().with_key(format!("key-{}", k % 4)),
        }
    }
}

#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct Spec {
    course: Option<u8>,
    zone: u8,
    weekly: bool,
    weekday: u8,
    /// Start, in quarter hours of the day.
    start_quarter: u8,
    /// Length in quarter hours (0: refused; past midnight: overnight).
    length_quarters: u8,
    /// Days after the first day: a weekly slot's `valid_from`, a one-time slot's date.
    day: u8,
    /// Weeks a weekly slot stays valid, if not open-ended.
    valid_weeks: Option<u8>,
    active: bool,
    rules: Rules,
}

/// Scheduling rules, each field small so that they bite (or out of range, to be refused).
#[derive(Clone, Copy, Debug, Arbitrary)]
pub struct Rules {
    /// Minimum notice, in hours.
    notice: Option<u8>,
    /// Maximum advance, in days (0 is refused).
    advance: Option<u8>,
    /// Buffers, in quarter hours.
    before: Option<u8>,
    after: Option<u8>,
    /// Cut-offs, in hours.
    cancel: Option<u8>,
    reschedule: Option<u8>,
    /// Limits (0 is refused).
    per_day: Option<u8>,
    per_week: Option<u8>,
    per_student: Option<u8>,
    /// Seats per booking of a group session (0 is refused; a slot refuses any).
    seats: Option<u8>,
}

impl Rules {
    fn rules(self) -> SchedulingRules {
        let hours = |h: Option<u8>| h.map(|h| u32::from(h % 100) * 60);
        let quarters = |q: Option<u8>| q.map(|q| u32::from(q % 8) * 15);
        let small = |n: Option<u8>| n.map(|n| u32::from(n % 6));
        SchedulingRules {
            min_notice_minutes: hours(self.notice),
            max_advance_days: self.advance.map(|d| u32::from(d % 60)),
            buffer_before_minutes: quarters(self.before),
            buffer_after_minutes: quarters(self.after),
            cancel_cutoff_minutes: hours(self.cancel),
            reschedule_cutoff_minutes: hours(self.reschedule),
            max_lessons_per_day: small(self.per_day),
            max_lessons_per_week: small(self.per_week),
            max_upcoming_lessons_per_student: small(self.per_student),
            max_seats_per_booking: small(self.seats),
        }
    }
}

impl Spec {
    fn slot_spec(self) -> SlotSpec {
        let first: NaiveDate = start().date_naive() - Days::new(14);
        let day = first + Days::new(u64::from(self.day % 120));
        let start_time = NaiveTime::MIN + TimeDelta::minutes(15 * i64::from(self.start_quarter % 96));
        let length = TimeDelta::minutes(15 * i64::from(self.length_quarters % 100));
        let recurrence = if self.weekly {
            SlotRecurrence::Weekly {
                weekday: Weekday::try_from(self.weekday % 7).unwrap(),
                start_time,
                end_time: start_time + length,
                valid_from: day,
                valid_until: self.valid_weeks.map(|w| day + Days::new(7 * u64::from(w % 30))),
            }
        } else {
            let start = day.and_time(start_time);
            SlotRecurrence::OneTime { start, end: start + length }
        };
        SlotSpec {
            course_id: self.course.map(course),
            time_zone: ZONES[usize::from(self.zone) % ZONES.len()].to_owned(),
            recurrence,
            active: self.active,
            // A slot refuses a seats per booking: set it only now and then, so most slots stand.
            rules: SchedulingRules {
                max_seats_per_booking: self.rules.seats.filter(|n| n % 16 == 1).map(u32::from),
                ..self.rules.rules()
            },
        }
    }
}

#[derive(Clone, Copy, Debug, Arbitrary)]
pub enum End {
    Count(u8),
    Weeks(u8),
}

#[derive(Clone, Debug, Arbitrary)]
pub enum Op {
    CreateSession {
        by: By,
        teacher: u8,
        starts_in_hours: i16,
        duration: u16,
        capacity: u8,
        waitlist: bool,
        zone: u8,
        link: u8,
        title: u8,
        /// Offer mode, with the hold in minutes (0 is refused).
        offer: Option<u8>,
        rules: Rules,
        course: Option<u8>,
    },
    BookSeat {
        by: By,
        session: u8,
        student: u8,
        /// Seats (0 is refused).
        seats: u8,
    },
    AcceptOffer {
        by: By,
        booking: u8,
    },
    DeclineOffer {
        by: By,
        booking: u8,
    },
    /// The host's periodic call, with the clock's now.
    ProcessExpiredOffers,
    RescheduleLesson {
        by: By,
        lesson: u8,
        slot: u8,
        pick: u8,
    },
    SetSchedulingRules {
        by: By,
        teacher: u8,
        course: Option<u8>,
        rules: Rules,
    },
    AddTimeOff {
        by: By,
        teacher: u8,
        /// Days after the first day.
        day: u8,
        /// Days off after the first (0 as given: a last day before the first, refused).
        days: u8,
        zone: u8,
    },
    RemoveTimeOff {
        by: By,
        teacher: u8,
        time_off: u8,
    },
    CancelBooking {
        by: By,
        booking: u8,
    },
    ChangeCapacity {
        by: By,
        session: u8,
        capacity: u8,
    },
    SetWaitlist {
        by: By,
        session: u8,
        enabled: bool,
    },
    CancelSession {
        by: By,
        session: u8,
    },
    MarkAttendance {
        by: By,
        booking: u8,
        attended: bool,
    },
    PublishSlot {
        by: By,
        teacher: u8,
        spec: Spec,
    },
    UpdateSlot {
        by: By,
        slot: u8,
        spec: Spec,
    },
    SetSlotActive {
        by: By,
        slot: u8,
        active: bool,
    },
    BookLesson {
        by: By,
        slot: u8,
        pick: u8,
        student: u8,
    },
    BookSeries {
        by: By,
        slot: u8,
        pick: u8,
        student: u8,
        every_weeks: u8,
        end: End,
        book_available: bool,
    },
    ApproveLesson {
        by: By,
        lesson: u8,
        link: Option<u8>,
    },
    DeclineLesson {
        by: By,
        lesson: u8,
        reason: Option<bool>,
    },
    CancelLesson {
        by: By,
        lesson: u8,
        and_later: bool,
    },
    SetMeetingLink {
        by: By,
        lesson: u8,
        link: u8,
    },
    MarkLessonAttendance {
        by: By,
        lesson: u8,
        attended: bool,
    },
    /// Sends the `n`-th command sent so far again, as it was (a client retry).
    Resend(u8),
    Advance(u16),
    Enroll {
        student: u8,
        course: u8,
        enrolled: bool,
    },
    CourseApproval {
        course: u8,
        setting: Option<bool>,
    },
    TeacherApproval {
        teacher: u8,
        course: u8,
        setting: Option<bool>,
    },
    List {
        teacher: u8,
        course: Option<u8>,
        student: Option<u8>,
        days: u16,
        zone: Option<u8>,
        from_hours: i16,
    },
}

/// Everything stored, as far as the fuzzer knows its ids.
#[derive(Debug, PartialEq)]
struct Snapshot {
    aggregates: usize,
    sessions: Vec<Option<Arc<GroupSession>>>,
    calendars: Vec<Option<Arc<Calendar>>>,
    lessons: Vec<Option<Arc<Lesson>>>,
    seat_index: Vec<Option<BookingLocation>>,
    finished: Vec<Option<SeatBooking>>,
    lesson_index: Vec<Option<BookingLocation>>,
    slot_index: Vec<Option<UserId>>,
    request: Option<RequestRecord>,
}

/// A store under test, with what the harness needs beyond [`Repository`]: its size and the
/// host data. Every call must succeed (the harness panics otherwise).
pub trait Store: Repository + Sized + 'static {
    /// How many aggregates (sessions, calendars, lessons) are stored.
    fn aggregate_count(&self) -> usize;
    /// Enrolls the student in the course, or removes the enrollment.
    fn enroll(&self, student: UserId, course: CourseId, enrolled: bool);
    /// Sets or removes a course's approval setting.
    fn set_course_approval(&self, course: CourseId, setting: Option<bool>);
    /// Sets or removes a teacher's approval override for a course.
    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, setting: Option<bool>);
    /// The store's own checks at the end of an input; `committed` is every event of every
    /// command that changed something, in the order the engine reported them.
    fn check_end(&self, committed: &[Event]) {
        let _ = committed;
    }
}

impl Store for InMemoryRepository {
    fn aggregate_count(&self) -> usize {
        InMemoryRepository::aggregate_count(self)
    }

    fn enroll(&self, student: UserId, course: CourseId, enrolled: bool) {
        if enrolled {
            InMemoryRepository::enroll(self, student, course);
        } else {
            self.unenroll(student, course);
        }
    }

    fn set_course_approval(&self, course: CourseId, setting: Option<bool>) {
        InMemoryRepository::set_course_approval(self, course, setting);
    }

    fn set_teacher_approval(&self, teacher: UserId, course: CourseId, setting: Option<bool>) {
        InMemoryRepository::set_teacher_approval(self, teacher, course, setting);
    }
}

struct Harness<S: Store> {
    store: Arc<S>,
    engine: Engine<Arc<S>>,
    clock: Arc<ManualClock>,
    sessions: Vec<SessionId>,
    seats: Vec<BookingId>,
    slots: Vec<SlotId>,
    lessons: Vec<BookingId>,
    time_off: Vec<TimeOffId>,
    sent: Vec<(Request, Command)>,
    /// The events of every command that changed something, in order.
    committed: Vec<Event>,
}

/// The `i`-th of `ids`, or an id nobody has (255, or while there is none).
fn pick<T: Copy>(ids: &[T], i: u8, unknown: T) -> T {
    if ids.is_empty() || i == 255 { unknown } else { ids[usize::from(i) % ids.len()] }
}

fn unknown_uuid() -> uuid::Uuid {
    uuid::Uuid::from_u128(0xdead_0000_0000_0000_0000_0000_0000_0001)
}

impl<S: Store> Harness<S> {
    fn new(store: S) -> Self {
        let store = Arc::new(store);
        let clock = Arc::new(ManualClock::new(start()));
        let engine = Engine::new(Arc::clone(&store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::default());
        Harness {
            store,
            engine,
            clock,
            sessions: Vec::new(),
            seats: Vec::new(),
            slots: Vec::new(),
            lessons: Vec::new(),
            time_off: Vec::new(),
            sent: Vec::new(),
            committed: Vec::new(),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.engine.now()
    }

    fn people(&self) -> impl Iterator<Item = UserId> {
        (0..PEOPLE).map(person).chain([admin()])
    }

    fn snapshot(&self, request: Option<&Request>) -> Snapshot {
        let s = &self.store;
        let request = request.and_then(|r| {
            let key = RequestKey::new(r.key.clone()?).ok()?;
            s.load_request(&r.actor, &key).expect("the store works")
        });
        Snapshot {
            aggregates: s.aggregate_count(),
            sessions: self.sessions.iter().map(|id| s.load_session(*id).unwrap()).collect(),
            calendars: self.people().map(|p| s.load_calendar(p).unwrap()).collect(),
            lessons: self.lessons.iter().map(|id| s.load_lesson(*id).unwrap()).collect(),
            seat_index: self.seats.iter().map(|id| s.locate_booking(*id).unwrap()).collect(),
            finished: self.seats.iter().map(|id| s.load_finished_booking(*id).unwrap()).collect(),
            lesson_index: self.lessons.iter().map(|id| s.locate_booking(*id).unwrap()).collect(),
            slot_index: self.slots.iter().map(|id| s.locate_slot(*id).unwrap()).collect(),
            request,
        }
    }

    /// A start instant for a lesson of `slot`: one of its occurrences from two weeks ago to
    /// two months ahead (taken or free), or, when it has none, an instant near now.
    fn occurrence(&self, slot: SlotId, pick: u8) -> DateTime<Utc> {
        let now = self.now();
        let fallback = now + TimeDelta::hours(i64::from(pick) - 16);
        let Ok(slot) = self.engine.slot(slot) else { return fallback };
        let Ok(listing) = occurrences(&slot, now - TimeDelta::days(14), now + TimeDelta::days(60)) else {
            return fallback;
        };
        let all: Vec<_> = listing.map(|o| o.starts_at).collect();
        if all.is_empty() || pick == 255 { fallback } else { all[usize::from(pick) % all.len()] }
    }

    fn command(&self, op: &Op) -> Option<(Request, Command)> {
        let session = |i| pick(&self.sessions, i, SessionId::from_uuid(unknown_uuid()));
        let seat = |i| pick(&self.seats, i, BookingId::from_uuid(unknown_uuid()));
        let slot = |i| pick(&self.slots, i, SlotId::from_uuid(unknown_uuid()));
        let lesson = |i| pick(&self.lessons, i, BookingId::from_uuid(unknown_uuid()));
        let link = |i: u8| LINKS[usize::from(i) % LINKS.len()].to_owned();
        Some(match *op {
            Op::CreateSession {
                by,
                teacher,
                starts_in_hours,
                duration,
                capacity,
                waitlist,
                zone,
                link: l,
                title,
                offer,
                rules,
                course: c,
            } => (
                by.request(),
                Command::CreateSession {
                    session: NewGroupSession {
                        teacher_id: person(teacher),
                        course_id: c.map(course),
                        title: TITLES[usize::from(title) % TITLES.len()].to_owned(),
                        starts_at: self.now() + TimeDelta::minutes(15 * i64::from(starts_in_hours)),
                        time_zone: ZONES[usize::from(zone) % ZONES.len()].to_owned(),
                        duration_minutes: u32::from(duration % 1500),
                        meeting_link: link(l),
                        capacity: u32::from(capacity % 8),
                        waitlist_enabled: waitlist,
                        waitlist_mode: match offer {
                            None => WaitlistMode::Promote,
                            Some(m) => WaitlistMode::Offer { hold_minutes: u32::from(m) * 5 },
                        },
                        rules: rules.rules(),
                    },
                },
            ),
            Op::BookSeat { by, session: s, student, seats } => (
                by.request(),
                Command::BookSeat { session_id: session(s), student_id: person(student), seats: u32::from(seats % 4) },
            ),
            Op::AcceptOffer { by, booking } => (by.request(), Command::AcceptOffer { booking_id: seat(booking) }),
            Op::DeclineOffer { by, booking } => (by.request(), Command::DeclineOffer { booking_id: seat(booking) }),
            Op::RescheduleLesson { by, lesson: l, slot: s, pick } => {
                let slot_id = slot(s);
                let starts_at = self.occurrence(slot_id, pick);
                (by.request(), Command::RescheduleLesson { booking_id: lesson(l), slot_id, starts_at })
            }
            Op::SetSchedulingRules { by, teacher, course: c, rules } => (
                by.request(),
                Command::SetSchedulingRules {
                    teacher_id: person(teacher),
                    course_id: c.map(course),
                    rules: rules.rules(),
                },
            ),
            Op::AddTimeOff { by, teacher, day, days, zone } => {
                let first_day = start().date_naive() + Days::new(u64::from(day % 60));
                let last_day =
                    if days == 0 { first_day - Days::new(1) } else { first_day + Days::new(u64::from(days % 20)) };
                let time_off = TimeOffSpec {
                    first_day,
                    last_day,
                    time_zone: ZONES[usize::from(zone) % ZONES.len()].to_owned(),
                    note: None,
                };
                (by.request(), Command::AddTimeOff { teacher_id: person(teacher), time_off })
            }
            Op::RemoveTimeOff { by, teacher, time_off } => (
                by.request(),
                Command::RemoveTimeOff {
                    teacher_id: person(teacher),
                    time_off_id: pick(&self.time_off, time_off, TimeOffId::from_uuid(unknown_uuid())),
                },
            ),
            Op::CancelBooking { by, booking } => (by.request(), Command::CancelBooking { booking_id: seat(booking) }),
            Op::ChangeCapacity { by, session: s, capacity } => {
                (by.request(), Command::ChangeCapacity { session_id: session(s), capacity: u32::from(capacity % 10) })
            }
            Op::SetWaitlist { by, session: s, enabled } => {
                (by.request(), Command::SetWaitlist { session_id: session(s), enabled })
            }
            Op::CancelSession { by, session: s } => (by.request(), Command::CancelSession { session_id: session(s) }),
            Op::MarkAttendance { by, booking, attended } => {
                (by.request(), Command::MarkAttendance { booking_id: seat(booking), attended })
            }
            Op::PublishSlot { by, teacher, spec } => {
                (by.request(), Command::PublishSlot { teacher_id: person(teacher), slot: spec.slot_spec() })
            }
            Op::UpdateSlot { by, slot: s, spec } => {
                (by.request(), Command::UpdateSlot { slot_id: slot(s), slot: spec.slot_spec() })
            }
            Op::SetSlotActive { by, slot: s, active } => {
                (by.request(), Command::SetSlotActive { slot_id: slot(s), active })
            }
            Op::BookLesson { by, slot: s, pick, student } => {
                let slot_id = slot(s);
                let starts_at = self.occurrence(slot_id, pick);
                (by.request(), Command::BookLesson { slot_id, starts_at, student_id: person(student) })
            }
            Op::BookSeries { by, slot: s, pick, student, every_weeks, end, book_available } => {
                let slot_id = slot(s);
                let first_starts_at = self.occurrence(slot_id, pick);
                let end = match end {
                    End::Count(n) => SeriesEnd::Count(u32::from(n % 110)),
                    End::Weeks(w) => {
                        SeriesEnd::Until(first_starts_at.date_naive() + Days::new(7 * u64::from(w % 40)) - Days::new(1))
                    }
                };
                let series = SeriesRequest {
                    slot_id,
                    student_id: person(student),
                    first_starts_at,
                    every_weeks: u32::from(every_weeks % 5),
                    end,
                    mode: if book_available { SeriesMode::BookAvailable } else { SeriesMode::AllOrNothing },
                };
                (by.request(), Command::BookSeries { series })
            }
            Op::ApproveLesson { by, lesson: l, link: li } => {
                (by.request(), Command::ApproveLesson { booking_id: lesson(l), meeting_link: li.map(link) })
            }
            Op::DeclineLesson { by, lesson: l, reason } => (
                by.request(),
                Command::DeclineLesson {
                    booking_id: lesson(l),
                    reason: reason.map(|long| if long { "x".repeat(1001) } else { " too busy ".to_owned() }),
                },
            ),
            Op::CancelLesson { by, lesson: l, and_later } => {
                (by.request(), Command::CancelLesson { booking_id: lesson(l), and_later_in_series: and_later })
            }
            Op::SetMeetingLink { by, lesson: l, link: li } => {
                (by.request(), Command::SetMeetingLink { booking_id: lesson(l), meeting_link: link(li) })
            }
            Op::MarkLessonAttendance { by, lesson: l, attended } => {
                (by.request(), Command::MarkLessonAttendance { booking_id: lesson(l), attended })
            }
            Op::Resend(n) => {
                if self.sent.is_empty() {
                    return None;
                }
                self.sent[usize::from(n) % self.sent.len()].clone()
            }
            _ => return None,
        })
    }

    fn step(&mut self, op: &Op) {
        match *op {
            Op::Advance(minutes) => {
                self.clock.advance(TimeDelta::minutes(i64::from(minutes % 20_000)));
                return;
            }
            Op::Enroll { student, course: c, enrolled } => {
                self.store.enroll(person(student), course(c), enrolled);
                return;
            }
            Op::CourseApproval { course: c, setting } => {
                self.store.set_course_approval(course(c), setting);
                return;
            }
            Op::TeacherApproval { teacher, course: c, setting } => {
                self.store.set_teacher_approval(person(teacher), course(c), setting);
                return;
            }
            Op::List { teacher, course: c, student, days, zone, from_hours } => {
                self.list(teacher, c, student, days, zone, from_hours);
                return;
            }
            Op::ProcessExpiredOffers => {
                let now = self.now();
                let sweep = self.engine.process_expired_offers(now).expect("listing the due sessions never fails here");
                assert!(sweep.failures.is_empty(), "processing expiries never fails here: {:?}", sweep.failures);
                let events = sweep.events;
                self.committed.extend(events.iter().cloned());
                for id in &self.sessions {
                    let s = self.store.load_session(*id).unwrap().expect("a created session is stored");
                    for b in s.bookings.iter().filter(|b| b.status == SeatStatus::Offered) {
                        assert!(
                            b.offer_expires_at.is_some_and(|d| d > now),
                            "an offer past its deadline: {b:?} ({events:?})"
                        );
                    }
                }
                self.check();
                return;
            }
            _ => {}
        }
        let Some((request, command)) = self.command(op) else { return };
        let before = self.snapshot(Some(&request));
        let result = self.engine.execute(request.clone(), command.clone());
        self.sent.push((request.clone(), command.clone()));
        match result {
            Err(e) => {
                let code = e.code().as_str();
                assert!(
                    !matches!(code, "store_error" | "contention" | "corrupt_record"),
                    "{command:?} failed in the store: {e:?}"
                );
                let after = self.snapshot(Some(&request));
                assert_eq!(before, after, "the refused {command:?} ({e:?}) changed the store");
            }
            Ok(receipt) => {
                self.track(&receipt);
                if !receipt.replayed {
                    self.committed.extend(receipt.events.iter().cloned());
                    self.check_enrolled(&receipt);
                }
                let after = self.snapshot(Some(&request));
                if receipt.replayed || receipt.events.is_empty() {
                    let (mut b, mut a) = (before, after);
                    // A keyed command is recorded even when it changes nothing.
                    if !receipt.replayed {
                        b.request = None;
                        a.request = None;
                    }
                    assert_eq!(b, a, "{command:?} changed the store without events (replayed: {})", receipt.replayed);
                } else {
                    assert_ne!(before, after, "{command:?} had events {:?} but changed nothing", receipt.events);
                }
            }
        }
        self.check();
    }

    /// Learns the ids a successful command created.
    fn track(&mut self, receipt: &Receipt<OutcomeValue>) {
        for event in &receipt.events {
            match &event.kind {
                EventKind::SessionCreated { session } => push_new(&mut self.sessions, session.id),
                EventKind::BookingConfirmed { booking_id, .. } | EventKind::BookingWaitlisted { booking_id, .. } => {
                    push_new(&mut self.seats, *booking_id)
                }
                EventKind::SlotPublished { slot } => push_new(&mut self.slots, slot.id),
                EventKind::LessonBooked { lesson } | EventKind::LessonRequested { lesson } => {
                    push_new(&mut self.lessons, lesson.id)
                }
                EventKind::TimeOffAdded { time_off } => push_new(&mut self.time_off, time_off.id),
                _ => {}
            }
        }
    }

    /// A command decided now seats, queues or confirms a student in a session of a course only
    /// if the student is enrolled in it (host data does not change during a command).
    fn check_enrolled(&self, receipt: &Receipt<OutcomeValue>) {
        for event in &receipt.events {
            let (session_id, student_id) = match &event.kind {
                EventKind::BookingConfirmed { session_id, student_id, .. }
                | EventKind::BookingWaitlisted { session_id, student_id, .. }
                | EventKind::OfferAccepted { session_id, student_id, .. } => (*session_id, *student_id),
                _ => continue,
            };
            let session = self.store.load_session(session_id).unwrap().expect("the session is stored");
            if let Some(course_id) = session.course_id {
                assert!(
                    self.store.is_enrolled(student_id, course_id).unwrap(),
                    "{event:?}: student {student_id} is not enrolled in course {course_id}"
                );
            }
        }
    }

    /// The invariants over everything stored.
    fn check(&self) {
        let now = self.now();
        for id in &self.sessions {
            let s = self.store.load_session(*id).unwrap().expect("a created session is stored");
            check_session(&s, now);
        }
        for id in &self.seats {
            let Some(BookingLocation::Session(session)) = self.store.locate_booking(*id).unwrap() else {
                panic!("seat booking {id} is not indexed to a session");
            };
            let s = self.store.load_session(session).unwrap().expect("a booking's session is stored");
            let finished = self.store.load_finished_booking(*id).unwrap();
            match (s.booking(*id), finished) {
                (Some(_), None) => {}
                (None, Some(b)) => assert!(
                    b.session_id == session && b.status.is_finished(),
                    "the history holds {b:?} for session {session}"
                ),
                (live, finished) => panic!("booking {id}: in the session {live:?}, in the history {finished:?}"),
            }
        }
        let lessons: Vec<Arc<Lesson>> = self
            .lessons
            .iter()
            .map(|id| self.store.load_lesson(*id).unwrap().expect("a booked lesson is stored"))
            .collect();
        for p in self.people() {
            let mine: Vec<&Arc<Lesson>> =
                lessons.iter().filter(|l| l.status.is_active() && (l.teacher_id == p || l.student_id == p)).collect();
            for (i, a) in mine.iter().enumerate() {
                for b in &mine[i + 1..] {
                    assert!(
                        a.ends_at <= b.starts_at || b.ends_at <= a.starts_at,
                        "person {p}: active lessons overlap: {a:?} and {b:?}"
                    );
                }
            }
            let calendar = self.store.load_calendar(p).unwrap();
            let holds = calendar.as_ref().map_or(&[][..], |c| &c.holds[..]);
            for pair in holds.windows(2) {
                assert!(
                    pair[0].busy_until <= pair[1].busy_from,
                    "person {p}: busy times unsorted or overlapping: {pair:?}"
                );
            }
            for h in holds {
                assert!(
                    h.busy_from <= h.starts_at && h.ends_at <= h.busy_until,
                    "person {p}: busy time short of {h:?}"
                );
            }
            let sessions = calendar.as_ref().map_or(&[][..], |c| &c.sessions[..]);
            for l in mine.iter().filter(|l| l.teacher_id == p && l.ends_at > now) {
                let (from, until) = l.rules.buffered(l.starts_at, l.ends_at);
                // A session blocks a lesson booked after it, and a session is refused over a lesson.
                let clash = sessions.iter().find(|s| s.starts_at < until && from < s.ends_at);
                assert!(clash.is_none(), "teacher {p}: lesson {l:?} overlaps their group session {clash:?}");
            }
            for l in &mine {
                if l.ends_at > now {
                    assert!(
                        holds
                            .iter()
                            .any(|h| h.booking_id == l.id && h.starts_at == l.starts_at && h.ends_at == l.ends_at),
                        "person {p}: the active lesson {l:?} is not held in {holds:?}"
                    );
                }
            }
            for h in holds {
                let l = lessons.iter().find(|l| l.id == h.booking_id).expect("a hold names a known lesson");
                assert!(l.teacher_id == p || l.student_id == p, "person {p} holds someone else's lesson {l:?}");
                assert!(l.status.is_active() || l.starts_at <= now, "person {p} holds a lesson {l:?} no longer active");
            }
        }
        for l in &lessons {
            assert!(l.starts_at < l.ends_at, "{l:?}");
            if l.status == LessonStatus::Confirmed || l.status == LessonStatus::Pending {
                assert_ne!(l.teacher_id, l.student_id, "a teacher booked their own slot: {l:?}");
            }
        }
    }

    fn list(&self, teacher: u8, c: Option<u8>, student: Option<u8>, days: u16, zone: Option<u8>, from_hours: i16) {
        let now = self.now();
        let from = now + TimeDelta::hours(i64::from(from_hours % 2000));
        let query = OccurrenceQuery {
            teacher_id: person(teacher),
            course_id: c.map(course),
            student_id: student.map(person),
            from,
            to: from + TimeDelta::hours(i64::from(days % 10_000)),
            time_zone: zone.map(|z| ZONES[usize::from(z) % ZONES.len()].to_owned()),
        };
        let before = self.snapshot(None);
        let result = self.engine.list_occurrences(&query);
        assert_eq!(before, self.snapshot(None), "listing changed the store");
        let listed = match result {
            Ok(listed) => listed,
            Err(e) => {
                let code = e.code().as_str();
                assert!(matches!(code, "invalid_input" | "too_large" | "unknown_time_zone"), "listing refused: {e:?}");
                return;
            }
        };
        for pair in listed.windows(2) {
            assert!((pair[0].starts_at, pair[0].slot_id) <= (pair[1].starts_at, pair[1].slot_id), "unsorted: {pair:?}");
        }
        let calendar = self.engine.calendar(Actor::System, query.teacher_id).expect("a calendar");
        for o in &listed {
            assert!(calendar.overlapping_session(o.starts_at, o.ends_at).is_none(), "{o:?} overlaps a group session");
            assert!(calendar.time_off_during(o.starts_at, o.ends_at).is_none(), "{o:?} falls in time off");
            assert!(
                o.starts_at > now && query.from <= o.starts_at && o.starts_at < query.to,
                "{o:?} outside the window"
            );
            assert!(calendar.overlapping(o.starts_at, o.ends_at, None).is_none(), "{o:?} overlaps a lesson");
            let slot = calendar.slot(o.slot_id).expect("a listed slot is the teacher's");
            assert!(slot.active, "{o:?} of an inactive slot");
            let found = occurrence_at(slot, o.starts_at).expect("a listed occurrence exists");
            assert_eq!((found.starts_at, found.ends_at), (o.starts_at, o.ends_at));
            if query.student_id == Some(query.teacher_id) {
                panic!("a teacher is offered their own slot: {o:?}");
            }
        }
    }
}

fn push_new<T: PartialEq>(ids: &mut Vec<T>, id: T) {
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// The property test's invariants of a session.
fn check_session(s: &GroupSession, now: DateTime<Utc>) {
    assert!(
        s.bookings.iter().all(|b| !matches!(b.status, SeatStatus::Cancelled | SeatStatus::Expired)),
        "session {}: a finished booking stayed in the stored session: {:?}",
        s.id,
        s.bookings
    );
    let taken: u32 = s.bookings.iter().filter(|b| b.status.takes_seat()).map(|b| b.seats).sum();
    assert!(taken <= s.capacity, "session {}: {taken} seats taken of {}", s.id, s.capacity);
    let mut ids = HashSet::new();
    let mut active = HashSet::new();
    for b in &s.bookings {
        assert!(ids.insert(b.id), "session {}: booking {} twice", s.id, b.id);
        assert_eq!(b.session_id, s.id);
        // Every session here was created with the rule: it always records its seats per booking.
        let max = s.rules.max_seats_per_booking.expect("a new session records its seats per booking");
        assert!(b.seats <= max, "session {}: {b:?} takes more than {max} seats per booking", s.id);
        if b.status.is_active() {
            assert!(
                active.insert(b.student_id),
                "session {}: student {} holds two active bookings",
                s.id,
                b.student_id
            );
        }
    }
    let head = s.bookings.iter().find(|b| b.status == SeatStatus::Waitlisted);
    if s.cancelled_at.is_none()
        && now < s.starts_at
        && let Some(head) = head
    {
        assert!(
            taken + head.seats > s.capacity,
            "session {}: {head:?} waits while its seats are free ({taken} of {} taken)",
            s.id,
            s.capacity
        );
    }
    for b in s.bookings.iter().filter(|b| b.status == SeatStatus::Offered) {
        assert!(matches!(s.waitlist_mode, WaitlistMode::Offer { .. }), "session {}: an offer in promote mode", s.id);
        let deadline = b.offer_expires_at.expect("an offer has a deadline");
        assert!(deadline <= s.starts_at, "session {}: the offer {b:?} outlives the start", s.id);
    }
    if s.cancelled_at.is_some() {
        assert_eq!(active.len(), 0, "a cancelled session {} has active bookings", s.id);
    }
}

/// Plays `ops` (at most [`MAX_OPS`] of them) on a fresh `store`, checking the invariants after
/// every step and the store's own ones ([`Store::check_end`]) at the end.
pub fn run<S: Store>(store: S, ops: &[Op]) {
    let mut h = Harness::new(store);
    for op in ops.iter().take(MAX_OPS) {
        h.step(op);
    }
    h.store.check_end(&h.committed);
}
