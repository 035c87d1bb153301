//! 1:1 lessons booked from a teacher's availability: calendars, lessons, approval and series.
//!
//! # Aggregates
//! - A [`Calendar`] belongs to one person. A teacher's calendar holds their availability
//!   slots; every calendar holds one [`Hold`] per active (pending or confirmed) lesson the
//!   person teaches *or* takes that has not ended yet. Holds never overlap, and booking adds
//!   the lesson's hold to the teacher's and the student's calendars in the same atomic commit,
//!   so neither can be double-booked, whichever slots the lessons came from. A teacher's
//!   calendar also holds their scheduling rules, their time off and the group sessions they
//!   teach, so every rule a booking is checked against is read under one version check. (One person may
//!   teach and learn: their one calendar keeps both kinds of lesson apart.)
//! - A [`Lesson`] is one booking, with its own version: attendance or a meeting link touch only
//!   the lesson.
//!
//! # Rules
//! - **Occurrences, not slots, are booked.** A booking names a slot and the UTC start of one
//!   of its occurrences ([`occurrence_at`]). Booking takes that occurrence only: the other weeks
//!   of a weekly slot stay bookable, and a one-time slot is bookable again as soon as its
//!   lesson is cancelled or declined. (The seed deactivated the slot on booking, which takes a
//!   whole weekly slot away for one lesson; slots are never deactivated by bookings here.)
//! - **Enrollment.** A slot tied to a course is offered only to students enrolled in it; a slot
//!   without a course is offered to every student. Enrollments and course settings belong to
//!   the host and are read through the [`Repository`](crate::Repository) when a command is
//!   decided.
//! - **Approval.** The teacher's override for the course wins, then the course's setting, then
//!   "no approval" ([`approval_required`]). Slots without a course never need approval. Without
//!   approval a lesson is confirmed at once; with approval it is pending and holds its time
//!   until the slot's teacher (or an admin) approves or declines it. Approving re-checks
//!   everything that may have changed since the request: the start is still in the future, the
//!   slot still offers the occurrence, the student is still enrolled, and neither calendar has
//!   an overlapping lesson. A series is approved or declined as a whole: deciding on one of its
//!   lessons decides every pending lesson of the series that has not started.
//! - **Editing availability** changes what is offered from then on. Lessons already booked
//!   from an edited or deactivated slot keep their time and status: a booking is a promise, and
//!   only an explicit cancellation or decline breaks it.
//! - **Series.** A student books a weekly slot every N weeks, for a count or until a date, and
//!   *every* occurrence is checked. By default all or nothing: the first occurrence that cannot
//!   be booked refuses the whole series with its reason. With [`SeriesMode::BookAvailable`] the
//!   free occurrences are booked and the others are reported in [`SeriesBooking::skipped`].
//! - **Meeting links** are set by the teacher when approving or later, or produced by a
//!   host-supplied [`MeetingLinkGenerator`] when a lesson is confirmed; the engine never
//!   invents a URL.
//!
//! # Scheduling rules
//! A booking is governed by the slot's effective [`SchedulingRules`] ([`Calendar::rules_for_slot`]:
//! the slot's, then the teacher's for its course, then the teacher's; see [`crate::rules`]),
//! which the lesson keeps as [`Lesson::rules`]: its cut-offs and buffers stay those it was
//! booked (or last moved) with, whatever the teacher changes later. An occurrence is checked in
//! this order, and the first rule it breaks is the error:
//! 1. it starts in the future ([`BookingError::StartInPast`]);
//! 2. it starts inside the booking window: at least the minimum notice from now, at most the
//!    maximum advance ([`BookingError::OutsideBookingWindow`]);
//! 3. it overlaps none of the teacher's time off ([`BookingError::OccurrenceNotOffered`]: the
//!    slot does not offer it then);
//! 4. the student is enrolled in the slot's course ([`BookingError::NotEnrolled`]);
//! 5. the lesson *with its buffers* overlaps no busy time of the teacher: another lesson with
//!    that lesson's own buffers, a lesson the teacher takes, or one of the teacher's group
//!    sessions ([`BookingError::SlotUnavailable`], the reason naming the lesson or the
//!    session). Buffers are the teacher's: the student's calendar keeps the bare times;
//! 6. the bare lesson overlaps nothing in the student's calendar ([`BookingError::StudentBusy`]);
//! 7. the limits ([`BookingError::LimitReached`]): the teacher's lessons (pending ones count)
//!    that day and that ISO week, both read in the slot's zone, are fewer than
//!    `max_lessons_per_day` and `max_lessons_per_week`; the student's lessons of the slot's
//!    course that have not ended (for a slot without a course: their lessons without a course
//!    with this teacher) are fewer than `max_upcoming_lessons_per_student`. The lessons of a
//!    series count as they are booked, so a series stops (or skips) where a limit is reached.
//!
//! **Approval** re-checks 1, 4, 5 and 6 only (with the lesson's own buffers, its own hold left
//! out). The window, the time off and the limits were checked when the student asked, and the
//! request has held its time and counted towards the limits ever since; the teacher approving
//! is deciding to teach it, so approval does not apply the rules the teacher set for the
//! student's requests to the teacher's own decision.
//!
//! **Cut-offs** bind students: a student may not cancel within the lesson's cancellation
//! cut-off, nor move it within its reschedule cut-off ([`BookingError::CutoffPassed`]); the
//! teacher, an admin or the system may, and [`EventKind::LessonCancelled`] and
//! [`EventKind::LessonRescheduled`] record it (`cutoff_overridden`). **A lesson whose rules set
//! no reschedule cut-off is moved under its cancellation cut-off**: a move is refused to a
//! student (action `"rescheduled"`) and recorded as an override for anyone else exactly where a
//! cancellation would be, so moving a lesson away and cancelling it at its new time cannot
//! escape the cancellation cut-off. A reschedule cut-off the teacher set explicitly governs
//! moves alone (see [`crate::rules`] for the consequence of a shorter one). Cancelling "this
//! lesson and the later ones" of a series checks the cut-off of the named lesson only: the
//! later ones start after it.
//!
//! **Listings** ([`bookable_occurrences`]) apply the same rules, so what is listed can be booked
//! (a student's own other lessons aside) and what is not listed cannot.
//!
//! **Rescheduling** ([`reschedule`]) moves an active lesson that has not started to another
//! occurrence of its teacher's slots in one atomic commit: the new time is checked like a new
//! booking (rules of the new slot, its own hold and count left out), and either the lesson,
//! both holds and the event change together, or nothing does. It keeps its id, series, meeting
//! link and request time; a student's move follows the new slot's approval rule (pending when
//! its course needs approval, confirmed otherwise), while the teacher's, an admin's or the
//! system's move keeps the status (moving a request is not approving it).
//!
//! # Lesson transitions
//!
//! | from | to | by |
//! |---|---|---|
//! | (new) | `Pending` | booking, when approval is required |
//! | (new) | `Confirmed` | booking, when it is not |
//! | `Pending` | `Confirmed` | approval by the teacher or an admin, before the start |
//! | `Pending` | `Declined` | the teacher or an admin |
//! | `Pending`, `Confirmed` | `Cancelled` | the student\*, the teacher or an admin, before the start |
//! | `Pending`, `Confirmed` | moved: `Pending`, `Confirmed` | the student\*, the teacher or an admin, before it |
//! | `Confirmed` | `Attended`, `NoShow` | the teacher or an admin, from the start |
//! | `Attended`, `NoShow` | `NoShow`, `Attended` | correcting attendance |
//!
//! \* Not within the lesson's cancellation (reschedule) cut-off; a lesson without a reschedule
//! cut-off is moved under its cancellation cut-off. A move by the student follows
//! the new slot's approval rule; by the teacher or an admin it keeps the status. Anything else
//! is refused with [`BookingError::InvalidTransition`].

pub use crate::state::{Lesson, LessonStatus};
use crate::{
    Actor, BookingError, BookingId, CourseId, Event, EventKind, MeetingLink, SchedulingRules, SeriesId, SlotId, UserId,
    availability::{AvailabilitySlot, SlotRecurrence, TimeOff, occurrence_at, occurrence_on},
    event::DecisionContext,
    time::{parse_time_zone, wall_time},
};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Most lessons one series may book.
pub const MAX_SERIES_LESSONS: u32 = 104;
/// Longest gap between the lessons of a series, in weeks.
pub const MAX_SERIES_INTERVAL_WEEKS: u32 = 52;

/// How long a lesson's hold stays in a calendar after the lesson ended: long enough for the
/// per-day and per-week limits to count every lesson of the current week.
pub const HOLD_RETENTION_DAYS: i64 = 8;

/// An active lesson's place in a calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The lesson.
    pub booking_id: BookingId,
    /// Its series, if any.
    pub series_id: Option<SeriesId>,
    /// Its course, if any.
    pub course_id: Option<CourseId>,
    /// Its teacher (the calendar's owner when the owner teaches it).
    pub teacher_id: UserId,
    /// Its start.
    pub starts_at: DateTime<Utc>,
    /// Its end.
    pub ends_at: DateTime<Utc>,
    /// The start of the time it keeps busy here: its start, less the teacher's buffer before
    /// it in the teacher's calendar.
    pub busy_from: DateTime<Utc>,
    /// The end of the time it keeps busy here: its end, plus the teacher's buffer after it in
    /// the teacher's calendar.
    pub busy_until: DateTime<Utc>,
}

/// A group session the calendar's owner teaches, so 1:1 lessons cannot be booked over it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionHold {
    /// The session.
    pub session_id: crate::SessionId,
    /// Its start.
    pub starts_at: DateTime<Utc>,
    /// Its end.
    pub ends_at: DateTime<Utc>,
}

/// A teacher's scheduling rules for one course (the seed's `CourseTeacher` settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseRules {
    /// The course.
    pub course_id: CourseId,
    /// The rules for its slots and sessions with this teacher.
    pub rules: SchedulingRules,
}

/// One person's availability slots and active lessons; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    /// Whose calendar.
    pub owner: UserId,
    /// Optimistic-concurrency version: 0 before it is first stored.
    pub version: u64,
    /// The availability slots the owner offers as a teacher.
    pub slots: Vec<AvailabilitySlot>,
    /// The owner's active lessons (taught or taken), by start, kept until
    /// [`HOLD_RETENTION_DAYS`] after they end; their busy times never overlap.
    pub holds: Vec<Hold>,
    /// The group sessions the owner teaches that have not ended, by start.
    #[serde(default)]
    pub sessions: Vec<SessionHold>,
    /// The owner's default scheduling rules as a teacher.
    #[serde(default)]
    pub rules: SchedulingRules,
    /// The owner's scheduling rules per course, which win over `rules`.
    #[serde(default)]
    pub course_rules: Vec<CourseRules>,
    /// The owner's time off, by first day.
    #[serde(default)]
    pub time_off: Vec<TimeOff>,
}

impl Calendar {
    /// An empty calendar, not stored yet.
    pub fn new(owner: UserId) -> Self {
        Self {
            owner,
            version: 0,
            slots: Vec::new(),
            holds: Vec::new(),
            sessions: Vec::new(),
            rules: SchedulingRules::default(),
            course_rules: Vec::new(),
            time_off: Vec::new(),
        }
    }

    /// The rules set at one level: the owner's for `course_id`, or their default rules when
    /// `None` (empty when nothing is set there). Unlike [`rules_for_course`](Self::rules_for_course),
    /// nothing falls back to another level.
    pub fn rules_set_at(&self, course_id: Option<CourseId>) -> SchedulingRules {
        match course_id {
            None => self.rules,
            Some(id) => self.course_rules.iter().find(|c| c.course_id == id).map(|c| c.rules).unwrap_or_default(),
        }
    }

    /// The owner's rules for a course (their course rules over their default rules), before
    /// any slot's own rules.
    pub fn rules_for_course(&self, course_id: Option<CourseId>) -> SchedulingRules {
        match course_id {
            Some(_) => self.rules_set_at(course_id).or(&self.rules),
            None => self.rules,
        }
    }

    /// How many lessons the owner takes as a student that have not ended at `now`, of the
    /// course of `slot` (for a slot without a course: course-less lessons with the same
    /// teacher), leaving out `except`: what the per-student limit counts.
    fn upcoming_lessons_like(&self, slot: &AvailabilitySlot, now: DateTime<Utc>, except: Option<BookingId>) -> usize {
        self.holds
            .iter()
            .filter(|h| h.teacher_id != self.owner && Some(h.booking_id) != except && h.ends_at > now)
            .filter(|h| same_course(h, slot))
            .count()
    }

    /// The rules in force for bookings of `slot`: the slot's, then the owner's for its course,
    /// then the owner's (see [`crate::rules`]), without the seats per booking (a group-session
    /// rule).
    pub fn rules_for_slot(&self, slot: &AvailabilitySlot) -> SchedulingRules {
        slot.rules.or(&self.rules_for_course(slot.course_id)).for_lessons()
    }

    /// A slot of this calendar.
    pub fn slot(&self, id: SlotId) -> Option<&AvailabilitySlot> {
        self.slots.iter().find(|s| s.id == id)
    }

    /// The hold whose busy time overlaps `[from, until)`, if any, ignoring `except`.
    pub fn overlapping(&self, from: DateTime<Utc>, until: DateTime<Utc>, except: Option<BookingId>) -> Option<&Hold> {
        // Busy times are sorted and never overlap, so their ends are sorted too: only the
        // holds just before the first one starting at or after `until` can overlap.
        let end = self.holds.partition_point(|h| h.busy_from < until);
        self.holds[..end]
            .iter()
            .rev()
            .filter(|h| Some(h.booking_id) != except)
            .take_while(|h| h.busy_until > from)
            .next()
    }

    /// The group session the owner teaches that overlaps `[from, until)`, if any.
    pub fn overlapping_session(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Option<&SessionHold> {
        let end = self.sessions.partition_point(|s| s.starts_at < until);
        self.sessions[..end].iter().find(|s| s.ends_at > from)
    }

    /// The owner's time off that overlaps `[from, until)`, if any.
    pub fn time_off_during(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> Option<&TimeOff> {
        self.time_off.iter().find(|t| t.overlaps(from, until))
    }

    /// The active lessons of a series held in this calendar.
    pub fn series_holds(&self, series_id: SeriesId) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(move |h| h.series_id == Some(series_id))
    }

    /// Applies an event. Holds that ended more than [`HOLD_RETENTION_DAYS`] before the event's
    /// instant, and sessions that ended, are dropped on the way: they can no longer conflict
    /// with anything, since nothing is booked in the past, nor count towards a limit.
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        let retention = chrono::TimeDelta::days(HOLD_RETENTION_DAYS);
        self.holds.retain(|h| h.ends_at + retention > at);
        self.sessions.retain(|s| s.ends_at > at);
        match &event.kind {
            EventKind::SessionCreated { session } if session.teacher_id == self.owner => {
                let hold =
                    SessionHold { session_id: session.id, starts_at: session.starts_at, ends_at: session.ends_at() };
                let at = self.sessions.partition_point(|s| s.starts_at <= hold.starts_at);
                self.sessions.insert(at, hold);
            }
            EventKind::SessionCancelled { session_id } => self.sessions.retain(|s| s.session_id != *session_id),
            EventKind::SchedulingRulesSet { teacher_id, course_id, rules } if *teacher_id == self.owner => {
                match course_id {
                    None => self.rules = **rules,
                    Some(course_id) => {
                        self.course_rules.retain(|c| c.course_id != *course_id);
                        if !rules.is_empty() {
                            self.course_rules.push(CourseRules { course_id: *course_id, rules: **rules });
                        }
                    }
                }
            }
            EventKind::TimeOffAdded { time_off } if time_off.teacher_id == self.owner => {
                let at = self.time_off.partition_point(|t| t.first_day <= time_off.first_day);
                self.time_off.insert(at, (**time_off).clone());
            }
            EventKind::TimeOffRemoved { teacher_id, time_off_id } if *teacher_id == self.owner => {
                self.time_off.retain(|t| t.id != *time_off_id)
            }
            EventKind::SlotPublished { slot } if slot.teacher_id == self.owner => self.slots.push((**slot).clone()),
            EventKind::SlotUpdated { slot } if slot.teacher_id == self.owner => {
                if let Some(s) = self.slots.iter_mut().find(|s| s.id == slot.id) {
                    *s = (**slot).clone();
                }
            }
            EventKind::LessonRequested { lesson } | EventKind::LessonBooked { lesson }
                if lesson.teacher_id == self.owner || lesson.student_id == self.owner =>
            {
                self.insert_hold(lesson)
            }
            EventKind::LessonRescheduled { lesson, .. }
                if lesson.teacher_id == self.owner || lesson.student_id == self.owner =>
            {
                self.holds.retain(|h| h.booking_id != lesson.id);
                self.insert_hold(lesson)
            }
            EventKind::LessonDeclined { booking_id, .. } | EventKind::LessonCancelled { booking_id, .. } => {
                self.holds.retain(|h| h.booking_id != *booking_id)
            }
            _ => {}
        }
    }
}

impl Calendar {
    /// Adds the hold of an active lesson, busy with the teacher's buffers when the owner
    /// teaches it.
    fn insert_hold(&mut self, lesson: &Lesson) {
        let (busy_from, busy_until) = if lesson.teacher_id == self.owner {
            lesson.rules.buffered(lesson.starts_at, lesson.ends_at)
        } else {
            (lesson.starts_at, lesson.ends_at)
        };
        let hold = Hold {
            booking_id: lesson.id,
            series_id: lesson.series_id,
            course_id: lesson.course_id,
            teacher_id: lesson.teacher_id,
            starts_at: lesson.starts_at,
            ends_at: lesson.ends_at,
            busy_from,
            busy_until,
        };
        let at = self.holds.partition_point(|h| h.busy_from < hold.busy_from);
        self.holds.insert(at, hold);
    }
}

impl Lesson {
    /// Applies an event about this lesson (others are ignored).
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        if let EventKind::LessonRescheduled { lesson, .. } = &event.kind {
            if lesson.id == self.id {
                let version = self.version;
                *self = Lesson { version, updated_at: at, ..(**lesson).clone() };
            }
            return;
        }
        let (id, status, link) = match &event.kind {
            EventKind::LessonApproved { booking_id, meeting_link, .. } => {
                (*booking_id, LessonStatus::Confirmed, meeting_link.clone())
            }
            EventKind::LessonDeclined { booking_id, .. } => (*booking_id, LessonStatus::Declined, None),
            EventKind::LessonCancelled { booking_id, .. } => (*booking_id, LessonStatus::Cancelled, None),
            EventKind::LessonAttendanceMarked { booking_id, status, .. } => (*booking_id, *status, None),
            EventKind::MeetingLinkSet { booking_id, meeting_link } => {
                (*booking_id, self.status, Some(meeting_link.clone()))
            }
            _ => return,
        };
        if id == self.id {
            self.status = status;
            if link.is_some() {
                self.meeting_link = link;
            }
            self.updated_at = at;
        }
    }
}

/// The host's settings that decide whether 1:1 bookings of a course need approval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalSettings {
    /// The course's setting (`Course.requires_booking_approval`), if it has one.
    pub course: Option<bool>,
    /// The teacher's override for this course (`CourseTeacher.requires_booking_approval`).
    pub teacher_override: Option<bool>,
}

/// The approval precedence: the teacher's override, then the course setting, then none.
///
/// ```
/// use booking_core::lesson::{approval_required, ApprovalSettings};
/// assert!(!approval_required(ApprovalSettings::default()));
/// assert!(approval_required(ApprovalSettings { course: Some(true), teacher_override: None }));
/// assert!(!approval_required(ApprovalSettings { course: Some(true), teacher_override: Some(false) }));
/// assert!(approval_required(ApprovalSettings { course: Some(false), teacher_override: Some(true) }));
/// ```
pub fn approval_required(settings: ApprovalSettings) -> bool {
    settings.teacher_override.or(settings.course).unwrap_or(false)
}

/// What the host says about a student and a slot's course when a command is decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseAccess {
    /// Whether the student is enrolled (always `true` for slots without a course).
    pub enrolled: bool,
    /// The approval settings (default for slots without a course).
    pub approval: ApprovalSettings,
}

/// Produces meeting links for lessons as they are confirmed (a video-call integration, say).
///
/// It may be called more than once for one lesson when a command is decided again after
/// losing a race, so it should return the same link for the same lesson (derive it from the
/// lesson's id) or create rooms lazily.
pub trait MeetingLinkGenerator: Send + Sync {
    /// The link for `lesson`, or `None` to leave it unset. Must be an http(s) URL.
    fn meeting_link(&self, lesson: &Lesson) -> Option<String>;
}

/// What a teacher fills in for an availability slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSpec {
    /// The course the slot is for, if any.
    pub course_id: Option<CourseId>,
    /// The IANA zone its wall times are in.
    pub time_zone: String,
    /// Weekly or one-time, with its wall times.
    pub recurrence: SlotRecurrence,
    /// Whether it is offered.
    pub active: bool,
    /// The slot's own scheduling rules (unset fields come from the teacher's); the seats per
    /// booking, a group-session rule, is refused here.
    #[serde(default)]
    pub rules: SchedulingRules,
}

/// How a series ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SeriesEnd {
    /// After this many lessons (1 to [`MAX_SERIES_LESSONS`]).
    Count(u32),
    /// With the last lesson on or before this date, in the slot's zone.
    Until(NaiveDate),
}

/// What to do with occurrences of a series that cannot be booked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesMode {
    /// Refuse the whole series (the default).
    #[default]
    AllOrNothing,
    /// Book the free occurrences and report the others.
    BookAvailable,
}

/// A student's request for a recurring series of lessons from one weekly slot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRequest {
    /// The weekly slot.
    pub slot_id: SlotId,
    /// The student.
    pub student_id: UserId,
    /// The start of the first lesson (an occurrence of the slot).
    pub first_starts_at: DateTime<Utc>,
    /// Weeks between lessons (1 to [`MAX_SERIES_INTERVAL_WEEKS`]).
    pub every_weeks: u32,
    /// When it ends.
    pub end: SeriesEnd,
    /// All or nothing, or what is free.
    pub mode: SeriesMode,
}

/// An occurrence of a series that was not booked, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedOccurrence {
    /// The occurrence's date in the slot's zone.
    pub local_date: NaiveDate,
    /// Its start, if the slot offers one that day.
    pub starts_at: Option<DateTime<Utc>>,
    /// Why it was not booked.
    pub reason: BookingError,
}

/// A booked series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesBooking {
    /// The series.
    pub series_id: SeriesId,
    /// Its lessons, in order.
    pub lessons: Vec<Lesson>,
    /// Occurrences not booked ([`SeriesMode::BookAvailable`] only).
    pub skipped: Vec<SkippedOccurrence>,
}

/// The result of a lesson decision: changed calendars and lessons (versions not bumped yet),
/// with the events that changed them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonDecision {
    /// Calendars to write (changed, or read in a way that must be serialized).
    pub calendars: Vec<Calendar>,
    /// Lessons created or changed.
    pub lessons: Vec<Lesson>,
    /// What happened.
    pub events: Vec<Event>,
    /// Occurrences a series skipped.
    pub skipped: Vec<SkippedOccurrence>,
}

impl LessonDecision {
    fn emit(&mut self, ctx: &DecisionContext, kind: EventKind) {
        let event = Event { occurred_at: ctx.now, actor: ctx.actor, kind };
        for c in &mut self.calendars {
            c.apply(&event);
        }
        for l in &mut self.lessons {
            l.apply(&event);
        }
        if let EventKind::LessonRequested { lesson } | EventKind::LessonBooked { lesson } = &event.kind {
            self.lessons.push((**lesson).clone());
        }
        self.events.push(event);
    }

    fn calendar(&self, owner: UserId) -> &Calendar {
        self.calendars.iter().find(|c| c.owner == owner).expect("the decision loaded this calendar")
    }
}

fn require_teacher(actor: Actor, teacher_id: UserId, what: &str) -> Result<(), BookingError> {
    if actor.acts_for_teacher(teacher_id) {
        Ok(())
    } else {
        Err(BookingError::not_authorized(format!("{actor} cannot {what}: only the teacher or an admin can")))
    }
}

fn build_slot(id: SlotId, teacher_id: UserId, spec: &SlotSpec) -> Result<AvailabilitySlot, BookingError> {
    let slot = AvailabilitySlot {
        id,
        teacher_id,
        course_id: spec.course_id,
        time_zone: parse_time_zone(&spec.time_zone)?,
        recurrence: spec.recurrence.clone(),
        active: spec.active,
        rules: spec.rules,
    };
    slot.validate()?;
    if spec.rules.max_seats_per_booking.is_some() {
        return Err(BookingError::invalid(
            "max_seats_per_booking",
            "applies to group sessions only; set it on a session, for a course or as the teacher's default",
        ));
    }
    Ok(slot)
}

/// Publishes a new slot in the teacher's calendar (`calendar.owner`).
pub fn publish_slot(
    calendar: &Calendar,
    ctx: &DecisionContext,
    spec: &SlotSpec,
) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, calendar.owner, "publish availability for this teacher")?;
    let slot = build_slot(SlotId(ctx.fresh_id), calendar.owner, spec)?;
    let mut d = LessonDecision { calendars: vec![calendar.clone()], ..LessonDecision::default() };
    d.emit(ctx, EventKind::SlotPublished { slot: Box::new(slot) });
    Ok(d)
}

/// Replaces a slot's course, zone, times and active flag. Lessons already booked from it keep
/// their time and status.
pub fn update_slot(
    calendar: &Calendar,
    ctx: &DecisionContext,
    slot_id: SlotId,
    spec: &SlotSpec,
) -> Result<LessonDecision, BookingError> {
    let current = calendar.slot(slot_id).ok_or(BookingError::SlotNotFound { id: slot_id })?;
    require_teacher(ctx.actor, calendar.owner, "edit this teacher's availability")?;
    let slot = build_slot(slot_id, calendar.owner, spec)?;
    let mut d = LessonDecision { calendars: vec![calendar.clone()], ..LessonDecision::default() };
    if slot != *current {
        d.emit(ctx, EventKind::SlotUpdated { slot: Box::new(slot) });
    }
    Ok(d)
}

/// Activates or deactivates a slot; booked lessons keep their time.
pub fn set_slot_active(
    calendar: &Calendar,
    ctx: &DecisionContext,
    slot_id: SlotId,
    active: bool,
) -> Result<LessonDecision, BookingError> {
    let slot = calendar.slot(slot_id).ok_or(BookingError::SlotNotFound { id: slot_id })?;
    let spec = SlotSpec {
        course_id: slot.course_id,
        time_zone: slot.time_zone.name().to_owned(),
        recurrence: slot.recurrence.clone(),
        active,
        rules: slot.rules,
    };
    update_slot(calendar, ctx, slot_id, &spec)
}

/// Refuses a group session over an active 1:1 lesson of its teacher (whose calendar is
/// `calendar`), buffers included: the teacher cannot be in both.
pub fn check_session_time(calendar: &Calendar, session: &crate::GroupSession) -> Result<(), BookingError> {
    match calendar.overlapping(session.starts_at, session.ends_at(), None) {
        Some(h) => Err(BookingError::TeacherBusy { teacher_id: calendar.owner, booking_id: h.booking_id }),
        None => Ok(()),
    }
}

/// Sets the scheduling rules of the teacher `calendar.owner` for `course_id`, or their default
/// rules when `None`; empty rules remove that level.
pub fn set_scheduling_rules(
    calendar: &Calendar,
    ctx: &DecisionContext,
    course_id: Option<CourseId>,
    rules: &SchedulingRules,
) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, calendar.owner, "set this teacher's scheduling rules")?;
    rules.validate()?;
    let current = calendar.rules_set_at(course_id);
    let mut d = LessonDecision { calendars: vec![calendar.clone()], ..LessonDecision::default() };
    if current != *rules {
        d.emit(ctx, EventKind::SchedulingRulesSet { teacher_id: calendar.owner, course_id, rules: Box::new(*rules) });
    }
    Ok(d)
}

/// Longest time off, in days.
pub const MAX_TIME_OFF_DAYS: i64 = 366;
/// Longest time-off note, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// Adds time off to the teacher `calendar.owner`'s calendar (its id is the context's fresh id).
pub fn add_time_off(
    calendar: &Calendar,
    ctx: &DecisionContext,
    spec: &crate::availability::TimeOffSpec,
) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, calendar.owner, "take time off for this teacher")?;
    let time_zone = parse_time_zone(&spec.time_zone)?;
    if spec.last_day < spec.first_day {
        return Err(BookingError::invalid("last_day", "must not be before first_day"));
    }
    let days = (spec.last_day - spec.first_day).num_days() + 1;
    if days > MAX_TIME_OFF_DAYS {
        return Err(BookingError::TooLarge {
            what: "time off in days".into(),
            requested: days.unsigned_abs(),
            max: MAX_TIME_OFF_DAYS.unsigned_abs(),
        });
    }
    for (field, day) in [("first_day", spec.first_day), ("last_day", spec.last_day)] {
        if !(1..=9998).contains(&chrono::Datelike::year(&day)) {
            return Err(BookingError::invalid(field, "the year must be 1 to 9998"));
        }
    }
    let note = spec
        .note
        .as_deref()
        .map(|n| crate::text::check_text("note", n, crate::text::TextKind::MultiLine))
        .transpose()?;
    let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(BookingError::invalid("note", format!("longer than {MAX_NOTE_CHARS} characters")));
    }
    let time_off = TimeOff {
        id: crate::TimeOffId(ctx.fresh_id),
        teacher_id: calendar.owner,
        first_day: spec.first_day,
        last_day: spec.last_day,
        time_zone,
        note,
    };
    let mut d = LessonDecision { calendars: vec![calendar.clone()], ..LessonDecision::default() };
    d.emit(ctx, EventKind::TimeOffAdded { time_off: Box::new(time_off) });
    Ok(d)
}

/// Withdraws time off from the teacher `calendar.owner`'s calendar.
pub fn remove_time_off(
    calendar: &Calendar,
    ctx: &DecisionContext,
    time_off_id: crate::TimeOffId,
) -> Result<LessonDecision, BookingError> {
    if !calendar.time_off.iter().any(|t| t.id == time_off_id) {
        return Err(BookingError::TimeOffNotFound { teacher_id: calendar.owner, id: time_off_id });
    }
    require_teacher(ctx.actor, calendar.owner, "withdraw this teacher's time off")?;
    let mut d = LessonDecision { calendars: vec![calendar.clone()], ..LessonDecision::default() };
    d.emit(ctx, EventKind::TimeOffRemoved { teacher_id: calendar.owner, time_off_id });
    Ok(d)
}

/// Moves `target` to the occurrence of `slot_id` starting at `starts_at`; see
/// [`Engine::reschedule_lesson`](crate::Engine::reschedule_lesson). `teacher` is the lesson's
/// teacher's calendar (so a slot of another teacher is [`BookingError::SlotNotFound`]),
/// `student` its student's, and `ctx.access` is the host's word on the new slot's course.
///
/// Checked in order: the actor is the lesson's student, its teacher, an admin or the system;
/// the lesson is pending or confirmed and has not started; the slot exists and offers an
/// occurrence at `starts_at`; a student is still before the reschedule cut-off of the lesson's
/// *current* start, or, when the lesson's rules set none, before its cancellation cut-off
/// ([`BookingError::CutoffPassed`], action `"rescheduled"`; anyone else acting after it is
/// recorded as `cutoff_overridden`); then the new time like a new booking
/// (see the module docs), with the lesson's own hold and count left out. Moving a lesson to
/// the time and slot it already has changes nothing (no event).
///
/// The lesson keeps its id, series, meeting link and request time, and takes the new slot's
/// course, zone and rules. A student's move follows the new slot's approval rule: pending when
/// it needs approval, confirmed when it does not. The teacher, an admin or the system keeps
/// its status: a teacher's move of a pending request does not approve it.
pub fn reschedule(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &BookingContext<'_>,
    target: &Lesson,
    slot_id: SlotId,
    starts_at: DateTime<Utc>,
) -> Result<LessonDecision, BookingError> {
    let actor = ctx.decision.actor;
    let now = ctx.decision.now;
    if !(actor.acts_for_student(target.student_id) || actor.acts_for_teacher(target.teacher_id)) {
        return Err(BookingError::not_authorized(format!(
            "{actor} cannot reschedule lesson {}: only its student, its teacher or an admin can",
            target.id
        )));
    }
    if !target.status.is_active() {
        return Err(invalid_transition(target, "reschedule it"));
    }
    if target.starts_at <= now {
        return Err(BookingError::LessonStarted { booking_id: target.id, starts_at: target.starts_at });
    }
    let slot = teacher.slot(slot_id).ok_or(BookingError::SlotNotFound { id: slot_id })?;
    let occurrence = occurrence_at(slot, starts_at)?;
    let mut d = LessonDecision {
        calendars: vec![teacher.clone(), student.clone()],
        lessons: vec![target.clone()],
        ..LessonDecision::default()
    };
    if slot_id == target.slot_id && starts_at == target.starts_at {
        return Ok(d);
    }
    let cutoff = target.rules.reschedule_cutoff(target.starts_at);
    let cutoff_overridden = crate::rules::cutoff_check(actor, target.id, "rescheduled", cutoff, now)?;
    let rules = teacher.rules_for_slot(slot);
    let times = (occurrence.starts_at, occurrence.ends_at);
    check_occurrence(&d, ctx, slot, &rules, target.student_id, times, Some(target.id), Scope::Booking)?;
    let status = match actor {
        Actor::Student(_) if slot.course_id.is_some() && approval_required(ctx.access.approval) => {
            LessonStatus::Pending
        }
        Actor::Student(_) => LessonStatus::Confirmed,
        _ => target.status,
    };
    let mut lesson = Lesson {
        slot_id,
        course_id: slot.course_id,
        starts_at: occurrence.starts_at,
        ends_at: occurrence.ends_at,
        time_zone: slot.time_zone,
        status,
        updated_at: now,
        // The version the lesson will have once stored, so the event carries it as it is.
        version: target.version + 1,
        rules,
        ..target.clone()
    };
    if status == LessonStatus::Confirmed && target.status == LessonStatus::Pending {
        lesson.meeting_link = meeting_link_for(ctx, &lesson)?.or(lesson.meeting_link);
    }
    d.emit(
        ctx.decision,
        EventKind::LessonRescheduled {
            lesson: Box::new(lesson),
            previous_slot_id: target.slot_id,
            previous_starts_at: target.starts_at,
            previous_ends_at: target.ends_at,
            cutoff_overridden,
        },
    );
    Ok(d)
}

/// Which occurrences to list: a teacher's, in a window, for whom, shown in which zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceQuery {
    /// The teacher.
    pub teacher_id: UserId,
    /// Only slots of this course (`None`: every course, and slots without one).
    pub course_id: Option<CourseId>,
    /// The student asking: slots of courses they are not enrolled in are left out. `None`
    /// lists every course (a teacher's or an admin's view).
    pub student_id: Option<UserId>,
    /// The window's start (inclusive).
    pub from: DateTime<Utc>,
    /// The window's end (exclusive); at most [`MAX_WINDOW_DAYS`](crate::availability::MAX_WINDOW_DAYS) after `from`.
    pub to: DateTime<Utc>,
    /// The IANA zone to show wall times in, besides the teacher's (`None`: UTC).
    pub time_zone: Option<String>,
}

/// One bookable occurrence, as an instant and as wall times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookableOccurrence {
    /// The slot producing it (book it with this id and `starts_at`).
    pub slot_id: SlotId,
    /// The slot's course, if any.
    pub course_id: Option<CourseId>,
    /// Its start.
    pub starts_at: DateTime<Utc>,
    /// Its end.
    pub ends_at: DateTime<Utc>,
    /// The teacher's zone (the slot's).
    pub teacher_time_zone: Tz,
    /// Start as a wall time in the teacher's zone.
    pub teacher_local_start: NaiveDateTime,
    /// End as a wall time in the teacher's zone.
    pub teacher_local_end: NaiveDateTime,
    /// The zone the caller asked for.
    pub viewer_time_zone: Tz,
    /// Start as a wall time in the caller's zone.
    pub viewer_local_start: NaiveDateTime,
    /// End as a wall time in the caller's zone.
    pub viewer_local_end: NaiveDateTime,
}

/// The occurrences of `calendar`'s active slots that start in `[query.from, query.to)` and can
/// be booked at `now`, by the rules a booking is checked against (see the module docs): in the
/// future and inside the booking window of the slot's rules, outside the teacher's time off, of
/// a course `offered` says the student may book (asked once per course), overlapping none of
/// the teacher's busy times with the occurrence's buffers (lessons and group sessions), on a
/// day and in a week where the teacher's limits leave room, and, when `student` (the calendar
/// of `query.student_id`) is given, within the student's per-course limit. Sorted by start,
/// then slot id. A teacher viewing their own slots as a student is offered nothing.
///
/// The student's own other lessons are not left out (a listing is the teacher's offer; a
/// booking over them is refused with [`BookingError::StudentBusy`]).
///
/// # Errors
/// The window's errors ([`crate::availability::check_window`]), an unknown display zone, or
/// whatever `offered` returns.
pub fn bookable_occurrences(
    calendar: &Calendar,
    student: Option<&Calendar>,
    query: &OccurrenceQuery,
    now: DateTime<Utc>,
    offered: &mut dyn FnMut(CourseId) -> Result<bool, BookingError>,
) -> Result<Vec<BookableOccurrence>, BookingError> {
    crate::availability::check_window(query.from, query.to)?;
    let viewer = query.time_zone.as_deref().map(parse_time_zone).transpose()?.unwrap_or(Tz::UTC);
    let from = query.from.max(now + chrono::TimeDelta::nanoseconds(1));
    let mut out = Vec::new();
    // A teacher cannot book their own slots, so they are offered none of them.
    if from >= query.to || query.student_id == Some(calendar.owner) {
        return Ok(out);
    }
    let student = student.filter(|s| Some(s.owner) == query.student_id);
    // Time off resolved once, not per occurrence.
    let time_off: Vec<(DateTime<Utc>, DateTime<Utc>)> = calendar
        .time_off
        .iter()
        .map(|t| (t.starts_at(), t.ends_at()))
        .filter(|(s, e)| *s < query.to && *e > from)
        .collect();
    // Time-zone look-ups are most of the cost: the window's local dates are computed once per
    // zone, one-time slots far from the window are skipped before anything is resolved, and
    // the wall times the expansion already knows are reused.
    let mut window: Option<crate::availability::LocalWindow> = None;
    // About one occurrence per weekly slot and week of the window, to avoid regrowing.
    let weeks = usize::try_from((query.to - from).num_weeks()).unwrap_or(0) + 1;
    out.reserve(calendar.slots.len().min(64) * weeks);
    for slot in calendar.slots.iter().filter(|s| s.active) {
        if query.course_id.is_some() && slot.course_id != query.course_id {
            continue;
        }
        let tz = slot.time_zone;
        let local = match window {
            Some(w) if w.tz == tz => w,
            _ => *window.insert(crate::availability::LocalWindow::new(from, query.to, tz)),
        };
        if !local.may_hold(&slot.recurrence) {
            continue;
        }
        slot.validate()?;
        let rules = calendar.rules_for_slot(slot);
        let earliest = rules.earliest_start(now);
        let latest = rules.latest_start(now);
        if latest.is_some_and(|l| l < from) || earliest >= query.to {
            continue;
        }
        if let (Some(max), Some(student)) = (rules.max_upcoming_lessons_per_student, student)
            && student.upcoming_lessons_like(slot, now, None) >= max as usize
        {
            continue;
        }
        if let Some(course_id) = slot.course_id
            && !offered(course_id)?
        {
            continue;
        }
        let limits = TeacherLoad::new(calendar, &rules, tz);
        let mut expansion = crate::availability::expand(slot, from, query.to, &local);
        while let Some(r) = expansion.next_resolved() {
            let o = r.occurrence;
            if o.starts_at < earliest || latest.is_some_and(|l| o.starts_at > l) {
                continue;
            }
            if time_off.iter().any(|&(s, e)| crate::time::intervals_overlap(s, e, o.starts_at, o.ends_at)) {
                continue;
            }
            let (busy_from, busy_until) = rules.buffered(o.starts_at, o.ends_at);
            if calendar.overlapping(busy_from, busy_until, None).is_some()
                || calendar.overlapping_session(busy_from, busy_until).is_some()
            {
                continue;
            }
            let teacher_local_start = r.wall_start.unwrap_or_else(|| wall_time(o.starts_at, tz));
            if !limits.has_room(teacher_local_start.date()) {
                continue;
            }
            let teacher_local_end = wall_time(o.ends_at, tz);
            let (viewer_local_start, viewer_local_end) = if viewer == tz {
                (teacher_local_start, teacher_local_end)
            } else {
                (wall_time(o.starts_at, viewer), wall_time(o.ends_at, viewer))
            };
            out.push(BookableOccurrence {
                slot_id: slot.id,
                course_id: slot.course_id,
                starts_at: o.starts_at,
                ends_at: o.ends_at,
                teacher_time_zone: tz,
                teacher_local_start,
                teacher_local_end,
                viewer_time_zone: viewer,
                viewer_local_start,
                viewer_local_end,
            });
        }
    }
    // (start, slot) is unique per occurrence, so an unstable sort gives the same order.
    out.sort_unstable_by_key(|o| (o.starts_at, o.slot_id));
    Ok(out)
}

/// The lessons a teacher teaches per day and per ISO week in one zone, counted once per slot
/// for the listing's limit checks (empty when the slot's rules set no limit).
struct TeacherLoad {
    per_day: Option<(u32, HashMap<NaiveDate, u32>)>,
    per_week: Option<(u32, HashMap<chrono::IsoWeek, u32>)>,
}

impl TeacherLoad {
    fn new(calendar: &Calendar, rules: &SchedulingRules, tz: Tz) -> Self {
        if rules.max_lessons_per_day.is_none() && rules.max_lessons_per_week.is_none() {
            return Self { per_day: None, per_week: None };
        }
        let (mut days, mut weeks) = (HashMap::new(), HashMap::new());
        for h in calendar.holds.iter().filter(|h| h.teacher_id == calendar.owner) {
            let day = wall_time(h.starts_at, tz).date();
            *days.entry(day).or_insert(0) += 1;
            *weeks.entry(day.iso_week()).or_insert(0) += 1;
        }
        Self {
            per_day: rules.max_lessons_per_day.map(|max| (max, days)),
            per_week: rules.max_lessons_per_week.map(|max| (max, weeks)),
        }
    }

    /// Whether one more lesson on `day` stays within the limits.
    fn has_room(&self, day: NaiveDate) -> bool {
        let below = |max: u32, count: Option<&u32>| count.copied().unwrap_or(0) < max;
        self.per_day.as_ref().is_none_or(|(max, days)| below(*max, days.get(&day)))
            && self.per_week.as_ref().is_none_or(|(max, weeks)| below(*max, weeks.get(&day.iso_week())))
    }
}

/// Everything a booking decision reads.
#[derive(Clone, Copy, Debug)]
pub struct BookingContext<'a> {
    /// Who, when, and a fresh id.
    pub decision: &'a DecisionContext,
    /// The host's word on the slot's course.
    pub access: CourseAccess,
    /// The host's meeting-link generator, if any.
    pub links: Option<&'a dyn MeetingLinkGenerator>,
}

impl fmt::Debug for dyn MeetingLinkGenerator + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MeetingLinkGenerator")
    }
}

/// How much of the booking rules [`check_occurrence`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// A new booking or a reschedule: every rule.
    Booking,
    /// The approval of a pending lesson: what may have changed since the request and must
    /// still hold (start, enrollment, overlaps); not the booking window, time off or limits,
    /// which the request passed when it was made and which count it since.
    Approval,
}

/// Why `student_id` cannot take the occurrence `[starts_at, ends_at)` of `slot` now under
/// `rules`, if so. `except` is a lesson whose own hold does not count (the one being approved
/// or rescheduled). The checks run in this order, and the first failing one is reported:
/// 1. the start is in the future ([`BookingError::StartInPast`]);
/// 2. the start is inside the booking window ([`BookingError::OutsideBookingWindow`]);
/// 3. the teacher has no time off then ([`BookingError::OccurrenceNotOffered`]);
/// 4. the student is enrolled in the slot's course ([`BookingError::NotEnrolled`]);
/// 5. the lesson with its buffers overlaps no busy time of the teacher, lesson or group
///    session ([`BookingError::SlotUnavailable`]);
/// 6. the bare lesson overlaps no busy time of the student ([`BookingError::StudentBusy`]);
/// 7. the teacher's per-day and per-week limits and the student's per-course limit
///    ([`BookingError::LimitReached`]).
///
/// Approval ([`Scope::Approval`]) runs 1, 4, 5 and 6 only.
#[allow(clippy::too_many_arguments)]
fn check_occurrence(
    d: &LessonDecision,
    ctx: &BookingContext<'_>,
    slot: &AvailabilitySlot,
    rules: &SchedulingRules,
    student_id: UserId,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
    except: Option<BookingId>,
    scope: Scope,
) -> Result<(), BookingError> {
    let now = ctx.decision.now;
    if starts_at <= now {
        return Err(BookingError::StartInPast { starts_at, now });
    }
    let teacher = d.calendar(slot.teacher_id);
    if scope == Scope::Booking {
        rules.check_window(starts_at, now)?;
        if teacher.time_off_during(starts_at, ends_at).is_some() {
            return Err(BookingError::OccurrenceNotOffered { slot_id: slot.id, starts_at });
        }
    }
    if let Some(course_id) = slot.course_id
        && !ctx.access.enrolled
    {
        return Err(BookingError::NotEnrolled { student_id, course_id });
    }
    let (busy_from, busy_until) = rules.buffered(starts_at, ends_at);
    if let Some(h) = teacher.overlapping(busy_from, busy_until, except) {
        return Err(BookingError::SlotUnavailable {
            slot_id: slot.id,
            starts_at,
            reason: format!("the teacher has lesson {} at that time", h.booking_id),
        });
    }
    if let Some(s) = teacher.overlapping_session(busy_from, busy_until) {
        return Err(BookingError::SlotUnavailable {
            slot_id: slot.id,
            starts_at,
            reason: format!("the teacher teaches group session {} at that time", s.session_id),
        });
    }
    let student = d.calendar(student_id);
    if let Some(h) = student.overlapping(starts_at, ends_at, except) {
        return Err(BookingError::StudentBusy { student_id, booking_id: h.booking_id });
    }
    if scope == Scope::Booking {
        check_limits(teacher, student, slot, rules, starts_at, except, now)?;
    }
    Ok(())
}

/// Whether a hold of a lesson `student` takes counts towards the per-student limit of bookings
/// of `slot`: a lesson of the slot's course, or, for a slot without a course, a lesson without
/// a course with the same teacher.
fn same_course(hold: &Hold, slot: &AvailabilitySlot) -> bool {
    hold.course_id == slot.course_id && (slot.course_id.is_some() || hold.teacher_id == slot.teacher_id)
}

/// Refuses a booking of `slot` at `starts_at` beyond the teacher's per-day or per-week limit
/// (lessons the teacher teaches, pending ones too, days and ISO weeks read in the slot's zone)
/// or the student's limit of lessons of the course that have not ended.
fn check_limits(
    teacher: &Calendar,
    student: &Calendar,
    slot: &AvailabilitySlot,
    rules: &SchedulingRules,
    starts_at: DateTime<Utc>,
    except: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if rules.max_lessons_per_day.is_some() || rules.max_lessons_per_week.is_some() {
        let day = wall_time(starts_at, slot.time_zone).date();
        let (mut per_day, mut per_week) = (0u32, 0u32);
        for h in teacher.holds.iter().filter(|h| h.teacher_id == teacher.owner && Some(h.booking_id) != except) {
            let d = wall_time(h.starts_at, slot.time_zone).date();
            per_day += u32::from(d == day);
            per_week += u32::from(d.iso_week() == day.iso_week());
        }
        if let Some(max) = rules.max_lessons_per_day
            && per_day >= max
        {
            return Err(BookingError::LimitReached { limit: "lessons per day for this teacher".into(), max });
        }
        if let Some(max) = rules.max_lessons_per_week
            && per_week >= max
        {
            return Err(BookingError::LimitReached { limit: "lessons per week for this teacher".into(), max });
        }
    }
    if let Some(max) = rules.max_upcoming_lessons_per_student
        && student.upcoming_lessons_like(slot, now, except) >= max as usize
    {
        return Err(BookingError::LimitReached { limit: "upcoming lessons per student in this course".into(), max });
    }
    Ok(())
}

fn meeting_link_for(ctx: &BookingContext<'_>, lesson: &Lesson) -> Result<Option<MeetingLink>, BookingError> {
    ctx.links.and_then(|g| g.meeting_link(lesson)).map(|link| MeetingLink::parse(&link)).transpose()
}

/// Books the lesson `[starts_at, ends_at)` of `slot` in `d` (whose calendars are the teacher's
/// and the student's), pending or confirmed by the approval rule.
#[allow(clippy::too_many_arguments)]
fn book_one(
    d: &mut LessonDecision,
    ctx: &BookingContext<'_>,
    slot: &AvailabilitySlot,
    student_id: UserId,
    id: BookingId,
    series_id: Option<SeriesId>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), BookingError> {
    let rules = d.calendar(slot.teacher_id).rules_for_slot(slot);
    check_occurrence(d, ctx, slot, &rules, student_id, (starts_at, ends_at), None, Scope::Booking)?;
    let pending = slot.course_id.is_some() && approval_required(ctx.access.approval);
    let now = ctx.decision.now;
    let mut lesson = Lesson {
        id,
        teacher_id: slot.teacher_id,
        student_id,
        slot_id: slot.id,
        course_id: slot.course_id,
        series_id,
        starts_at,
        ends_at,
        time_zone: slot.time_zone,
        status: if pending { LessonStatus::Pending } else { LessonStatus::Confirmed },
        meeting_link: None,
        requested_at: now,
        updated_at: now,
        version: 1,
        rules,
    };
    if pending {
        d.emit(ctx.decision, EventKind::LessonRequested { lesson: Box::new(lesson) });
    } else {
        lesson.meeting_link = meeting_link_for(ctx, &lesson)?;
        d.emit(ctx.decision, EventKind::LessonBooked { lesson: Box::new(lesson) });
    }
    Ok(())
}

fn start_booking(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &BookingContext<'_>,
    slot_id: SlotId,
    student_id: UserId,
) -> Result<(LessonDecision, AvailabilitySlot), BookingError> {
    if !ctx.decision.actor.acts_for_student(student_id) {
        return Err(BookingError::not_authorized(format!(
            "{} cannot book for student {student_id}: students book only for themselves",
            ctx.decision.actor
        )));
    }
    let slot = teacher.slot(slot_id).cloned().ok_or(BookingError::SlotNotFound { id: slot_id })?;
    if student_id == teacher.owner || student.owner != student_id {
        return Err(BookingError::invalid("student_id", "a teacher cannot book their own slot"));
    }
    Ok((LessonDecision { calendars: vec![teacher.clone(), student.clone()], ..LessonDecision::default() }, slot))
}

/// Books one occurrence of a slot of `teacher` for `student_id`, whose calendar is `student`.
pub fn book_lesson(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &BookingContext<'_>,
    slot_id: SlotId,
    starts_at: DateTime<Utc>,
    student_id: UserId,
) -> Result<LessonDecision, BookingError> {
    let (mut d, slot) = start_booking(teacher, student, ctx, slot_id, student_id)?;
    let occurrence = occurrence_at(&slot, starts_at)?;
    book_one(&mut d, ctx, &slot, student_id, BookingId(ctx.decision.fresh_id), None, starts_at, occurrence.ends_at)?;
    Ok(d)
}

/// Books a recurring series; `booking_ids` yields a fresh id per lesson. The series id is the
/// context's fresh id.
pub fn book_series(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &BookingContext<'_>,
    request: &SeriesRequest,
    mut booking_ids: impl FnMut() -> BookingId,
) -> Result<LessonDecision, BookingError> {
    let (mut d, slot) = start_booking(teacher, student, ctx, request.slot_id, request.student_id)?;
    if !matches!(slot.recurrence, SlotRecurrence::Weekly { .. }) {
        return Err(BookingError::invalid("slot_id", "a series needs a weekly slot"));
    }
    if request.every_weeks == 0 || request.every_weeks > MAX_SERIES_INTERVAL_WEEKS {
        return Err(BookingError::invalid(
            "every_weeks",
            format!("must be 1 to {MAX_SERIES_INTERVAL_WEEKS}, got {}", request.every_weeks),
        ));
    }
    let first = occurrence_at(&slot, request.first_starts_at)?;
    let step = Days::new(7 * u64::from(request.every_weeks));
    let dates: Vec<NaiveDate> = match request.end {
        SeriesEnd::Count(0) => return Err(BookingError::invalid("end", "a series has at least one lesson")),
        SeriesEnd::Count(n) if n > MAX_SERIES_LESSONS => {
            return Err(too_many(u64::from(n)));
        }
        SeriesEnd::Count(n) => {
            std::iter::successors(Some(first.local_date), |d| d.checked_add_days(step)).take(n as usize).collect()
        }
        SeriesEnd::Until(until) => {
            if until < first.local_date {
                return Err(BookingError::invalid("end", "the end date is before the first lesson"));
            }
            let weeks = (until - first.local_date).num_weeks().unsigned_abs();
            let count = weeks / u64::from(request.every_weeks) + 1;
            if count > u64::from(MAX_SERIES_LESSONS) {
                return Err(too_many(count));
            }
            std::iter::successors(Some(first.local_date), |d| d.checked_add_days(step))
                .take_while(|d| *d <= until)
                .collect()
        }
    };
    let series_id = SeriesId(ctx.decision.fresh_id);
    for date in dates {
        let result = match occurrence_on(&slot, date) {
            Some(o) => {
                book_one(&mut d, ctx, &slot, request.student_id, booking_ids(), Some(series_id), o.starts_at, o.ends_at)
                    .map_err(|e| (Some(o.starts_at), e))
            }
            None => Err((
                None,
                BookingError::OccurrenceNotOffered { slot_id: slot.id, starts_at: resolve_start(&slot, date) },
            )),
        };
        if let Err((starts_at, reason)) = result {
            match request.mode {
                SeriesMode::AllOrNothing => return Err(reason),
                SeriesMode::BookAvailable => d.skipped.push(SkippedOccurrence { local_date: date, starts_at, reason }),
            }
        }
    }
    if d.lessons.is_empty() {
        return Err(d.skipped.swap_remove(0).reason);
    }
    let lessons = d.lessons.iter().map(|l| l.id).collect();
    let skipped = d.skipped.len() as u32;
    d.emit(ctx.decision, EventKind::SeriesBooked { series_id, student_id: request.student_id, lessons, skipped });
    Ok(d)
}

fn too_many(requested: u64) -> BookingError {
    BookingError::TooLarge { what: "lessons in a series".into(), requested, max: u64::from(MAX_SERIES_LESSONS) }
}

/// The instant a weekly slot's start would have on `date` (for error messages when the slot
/// offers nothing that day).
fn resolve_start(slot: &AvailabilitySlot, date: NaiveDate) -> DateTime<Utc> {
    match slot.recurrence {
        SlotRecurrence::Weekly { start_time, .. } => {
            crate::time::resolve_local(slot.time_zone, date.and_time(start_time))
        }
        SlotRecurrence::OneTime { start, .. } => crate::time::resolve_local(slot.time_zone, start),
    }
}

/// The lessons a decision on `target` applies to: the target alone, or every pending lesson of
/// its series that has not started (for approval and decline).
fn decided_together<'a>(target: &'a Lesson, series: &'a [Lesson], now: DateTime<Utc>) -> Vec<&'a Lesson> {
    let rest = series.iter().filter(|l| l.id != target.id && l.status == LessonStatus::Pending && l.starts_at > now);
    std::iter::once(target).chain(rest).collect()
}

fn invalid_transition(lesson: &Lesson, action: &str) -> BookingError {
    BookingError::InvalidTransition {
        booking_id: lesson.id,
        from: lesson.status.as_str().to_owned(),
        action: action.to_owned(),
    }
}

/// Approves a pending lesson (and the rest of its series), re-checking everything that may
/// have changed. `series` holds the target's active series lessons (empty for a single
/// lesson); `link` is the teacher's meeting link, else the generator's is used.
///
/// Each lesson's enrollment is checked against the course of its own slot, with the host's
/// word from `courses` (a lesson of a series moved by a reschedule may sit on a slot of
/// another course than its siblings). A course missing from `courses` counts as not enrolled.
#[allow(clippy::too_many_arguments)]
pub fn approve(
    teacher: &Calendar,
    student: &Calendar,
    decision: &DecisionContext,
    links: Option<&dyn MeetingLinkGenerator>,
    courses: &[(Option<CourseId>, CourseAccess)],
    target: &Lesson,
    series: &[Lesson],
    link: Option<&str>,
) -> Result<LessonDecision, BookingError> {
    require_teacher(decision.actor, target.teacher_id, "approve this lesson")?;
    if target.status != LessonStatus::Pending {
        return Err(invalid_transition(target, "approve it"));
    }
    let explicit = link.map(MeetingLink::parse).transpose()?;
    let mut d = LessonDecision { calendars: vec![teacher.clone(), student.clone()], ..LessonDecision::default() };
    for lesson in decided_together(target, series, decision.now) {
        if lesson.starts_at <= decision.now {
            return Err(BookingError::LessonStarted { booking_id: lesson.id, starts_at: lesson.starts_at });
        }
        let slot = teacher.slot(lesson.slot_id).ok_or(BookingError::SlotNotFound { id: lesson.slot_id })?;
        occurrence_at(slot, lesson.starts_at)?;
        let times = (lesson.starts_at, lesson.ends_at);
        let access = courses.iter().find(|(c, _)| *c == slot.course_id).map_or_else(CourseAccess::default, |a| a.1);
        let ctx = &BookingContext { decision, access, links };
        check_occurrence(&d, ctx, slot, &lesson.rules, lesson.student_id, times, Some(lesson.id), Scope::Approval)?;
        let meeting_link = match &explicit {
            Some(link) => Some(link.clone()),
            None => meeting_link_for(ctx, lesson)?.or_else(|| lesson.meeting_link.clone()),
        };
        d.lessons.push(lesson.clone());
        d.emit(
            ctx.decision,
            EventKind::LessonApproved {
                booking_id: lesson.id,
                teacher_id: lesson.teacher_id,
                student_id: lesson.student_id,
                meeting_link,
            },
        );
    }
    Ok(d)
}

/// Declines a pending lesson (and the rest of its series); its time is free again.
pub fn decline(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &DecisionContext,
    target: &Lesson,
    series: &[Lesson],
    reason: Option<&str>,
) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, target.teacher_id, "decline this lesson")?;
    if target.status != LessonStatus::Pending {
        return Err(invalid_transition(target, "decline it"));
    }
    let reason = reason.map(|r| crate::text::check_text("reason", r, crate::text::TextKind::MultiLine)).transpose()?;
    let reason = reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if reason.as_ref().is_some_and(|r| r.chars().count() > 1000) {
        return Err(BookingError::invalid("reason", "longer than 1000 characters"));
    }
    let mut d = LessonDecision { calendars: vec![teacher.clone(), student.clone()], ..LessonDecision::default() };
    for lesson in decided_together(target, series, ctx.now) {
        d.lessons.push(lesson.clone());
        d.emit(
            ctx,
            EventKind::LessonDeclined {
                booking_id: lesson.id,
                teacher_id: lesson.teacher_id,
                student_id: lesson.student_id,
                reason: reason.clone(),
            },
        );
    }
    Ok(d)
}

/// Cancels `target` before its start, and with it every active lesson of `later_in_series`
/// that starts after it (pass its series' lessons to cancel "this one and all later ones", or
/// nothing to cancel the target alone).
///
/// A student may not cancel within the target's cancellation cut-off (the one snapshot in
/// [`Lesson::rules`] when it was booked): [`BookingError::CutoffPassed`]. The cut-off is checked
/// on the target only: the later lessons start after it, so a student who may still cancel the
/// target may cancel them too. The teacher, an admin or the system may cancel at any time
/// before the start; each [`EventKind::LessonCancelled`] records whether they acted within that
/// lesson's cut-off (`cutoff_overridden`).
pub fn cancel(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &DecisionContext,
    target: &Lesson,
    later_in_series: &[Lesson],
) -> Result<LessonDecision, BookingError> {
    let actor = ctx.actor;
    if !(actor.acts_for_student(target.student_id) || actor.acts_for_teacher(target.teacher_id)) {
        return Err(BookingError::not_authorized(format!(
            "{actor} cannot cancel lesson {}: only its student, its teacher or an admin can",
            target.id
        )));
    }
    if !target.status.is_active() {
        return Err(invalid_transition(target, "cancel it"));
    }
    if target.starts_at <= ctx.now {
        return Err(BookingError::LessonStarted { booking_id: target.id, starts_at: target.starts_at });
    }
    let cutoff = |lesson: &Lesson| lesson.rules.cancel_cutoff(lesson.starts_at);
    crate::rules::cutoff_check(actor, target.id, "cancelled", cutoff(target), ctx.now)?;
    let mut d = LessonDecision { calendars: vec![teacher.clone(), student.clone()], ..LessonDecision::default() };
    let later =
        later_in_series.iter().filter(|l| l.id != target.id && l.status.is_active() && l.starts_at > target.starts_at);
    for lesson in std::iter::once(target).chain(later) {
        // Only the target's cut-off binds a student: the later lessons start after it. For
        // anyone else each lesson records whether its own cut-off was overridden.
        let cutoff_overridden = !matches!(actor, Actor::Student(_)) && cutoff(lesson).is_some_and(|at| ctx.now > at);
        d.lessons.push(lesson.clone());
        d.emit(
            ctx,
            EventKind::LessonCancelled {
                booking_id: lesson.id,
                teacher_id: lesson.teacher_id,
                student_id: lesson.student_id,
                previous_status: lesson.status,
                cutoff_overridden,
            },
        );
    }
    Ok(d)
}

/// Sets or replaces the meeting link of an active lesson.
pub fn set_meeting_link(lesson: &Lesson, ctx: &DecisionContext, link: &str) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, lesson.teacher_id, "set this lesson's meeting link")?;
    let meeting_link = MeetingLink::parse(link)?;
    if !lesson.status.is_active() {
        return Err(invalid_transition(lesson, "set its meeting link"));
    }
    let mut d = LessonDecision { lessons: vec![lesson.clone()], ..LessonDecision::default() };
    if lesson.meeting_link.as_ref() != Some(&meeting_link) {
        d.emit(ctx, EventKind::MeetingLinkSet { booking_id: lesson.id, meeting_link });
    }
    Ok(d)
}

/// Marks a confirmed lesson attended or no-show (or corrects the mark), from its start.
pub fn mark_attendance(lesson: &Lesson, ctx: &DecisionContext, attended: bool) -> Result<LessonDecision, BookingError> {
    require_teacher(ctx.actor, lesson.teacher_id, "mark attendance")?;
    if ctx.now < lesson.starts_at {
        return Err(BookingError::LessonNotStarted { booking_id: lesson.id, starts_at: lesson.starts_at });
    }
    let status = if attended { LessonStatus::Attended } else { LessonStatus::NoShow };
    if !matches!(lesson.status, LessonStatus::Confirmed | LessonStatus::Attended | LessonStatus::NoShow) {
        return Err(invalid_transition(lesson, &format!("mark it {status}")));
    }
    let mut d = LessonDecision { lessons: vec![lesson.clone()], ..LessonDecision::default() };
    if lesson.status != status {
        d.emit(
            ctx,
            EventKind::LessonAttendanceMarked {
                booking_id: lesson.id,
                teacher_id: lesson.teacher_id,
                student_id: lesson.student_id,
                status,
            },
        );
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0).unwrap()
    }

    fn hold(n: u128, from: (u32, u32), to: (u32, u32)) -> Hold {
        Hold {
            booking_id: BookingId::from_uuid(uuid::Uuid::from_u128(n)),
            series_id: None,
            course_id: None,
            teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            starts_at: at(from.0, from.1),
            ends_at: at(to.0, to.1),
            busy_from: at(from.0, from.1),
            busy_until: at(to.0, to.1),
        }
    }

    fn calendar() -> Calendar {
        let mut c = Calendar::new(UserId::from_uuid(uuid::Uuid::from_u128(1)));
        c.holds = vec![hold(1, (9, 0), (10, 0)), hold(2, (10, 0), (11, 0)), hold(3, (13, 0), (14, 30))];
        c
    }

    fn found(c: &Calendar, from: (u32, u32), to: (u32, u32), except: Option<u128>) -> Option<u128> {
        let except = except.map(|n| BookingId::from_uuid(uuid::Uuid::from_u128(n)));
        c.overlapping(at(from.0, from.1), at(to.0, to.1), except).map(|h| h.booking_id.as_uuid().as_u128())
    }

    #[test]
    fn overlap_search_matches_a_linear_scan() {
        let c = calendar();
        let minutes: Vec<(u32, u32)> = (8 * 60..16 * 60).step_by(15).map(|m| (m / 60, m % 60)).collect();
        for (i, &a) in minutes.iter().enumerate() {
            for &b in &minutes[i + 1..] {
                for except in [None, Some(1), Some(2), Some(3)] {
                    let linear = c.holds.iter().find(|h| {
                        Some(h.booking_id.as_uuid().as_u128()) != except
                            && crate::time::intervals_overlap(h.starts_at, h.ends_at, at(a.0, a.1), at(b.0, b.1))
                    });
                    let linear = linear.map(|h| h.booking_id.as_uuid().as_u128());
                    let fast = found(&c, a, b, except);
                    assert_eq!(
                        fast.is_some(),
                        linear.is_some(),
                        "{a:?}-{b:?} except {except:?}: {fast:?} vs {linear:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn touching_lessons_do_not_overlap() {
        let c = calendar();
        assert_eq!(found(&c, (11, 0), (13, 0), None), None);
        assert_eq!(found(&c, (8, 0), (9, 0), None), None);
        assert_eq!(found(&c, (10, 59), (11, 1), None), Some(2));
        assert_eq!(found(&c, (9, 30), (10, 30), Some(2)), Some(1));
        assert_eq!(found(&c, (10, 30), (10, 45), Some(2)), None);
    }

    #[test]
    fn holds_expire_when_an_event_is_applied_long_after_their_end() {
        let mut c = calendar();
        let event = Event {
            occurred_at: at(10, 30) + chrono::TimeDelta::days(HOLD_RETENTION_DAYS),
            actor: Actor::System,
            kind: EventKind::SessionClosed { session_id: crate::SessionId::from_uuid(uuid::Uuid::nil()) },
        };
        c.apply(&event);
        assert_eq!(c.holds.iter().map(|h| h.booking_id.as_uuid().as_u128()).collect::<Vec<_>>(), [2, 3]);
    }
}

#[cfg(test)]
mod rules_tests {
    use super::*;
    use chrono::{NaiveTime, TimeDelta, TimeZone, Weekday};

    const T: u128 = 1;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n))
    }

    /// Monday 7 January 2030 at `h:m` UTC, plus `weeks`.
    fn monday(weeks: i64, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0).unwrap() + TimeDelta::weeks(weeks)
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
    }

    fn ctx(actor: Actor, n: u128) -> DecisionContext {
        DecisionContext { actor, now: now(), fresh_id: uuid::Uuid::from_u128(1000 + n) }
    }

    fn slot(
        n: u128,
        course: Option<CourseId>,
        start: (u32, u32),
        minutes: i64,
        rules: SchedulingRules,
    ) -> AvailabilitySlot {
        let start_time = NaiveTime::from_hms_opt(start.0, start.1, 0).unwrap();
        AvailabilitySlot {
            id: SlotId::from_uuid(uuid::Uuid::from_u128(100 + n)),
            teacher_id: user(T),
            course_id: course,
            time_zone: Tz::UTC,
            recurrence: SlotRecurrence::Weekly {
                weekday: Weekday::Mon,
                start_time,
                end_time: start_time + TimeDelta::minutes(minutes),
                valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                valid_until: None,
            },
            active: true,
            rules,
        }
    }

    fn teacher(rules: SchedulingRules, slots: Vec<AvailabilitySlot>) -> Calendar {
        Calendar { rules, slots, ..Calendar::new(user(T)) }
    }

    fn access() -> CourseAccess {
        CourseAccess { enrolled: true, approval: ApprovalSettings::default() }
    }

    /// Books for student `s` at `at` and returns the calendars after it and the lesson.
    fn book(
        t: &Calendar,
        st: &Calendar,
        slot: usize,
        at: DateTime<Utc>,
        n: u128,
    ) -> Result<(Calendar, Calendar, Lesson), BookingError> {
        let c = ctx(Actor::Student(st.owner), n);
        let b = BookingContext { decision: &c, access: access(), links: None };
        let d = book_lesson(t, st, &b, t.slots[slot].id, at, st.owner)?;
        Ok((d.calendars[0].clone(), d.calendars[1].clone(), d.lessons[0].clone()))
    }

    #[test]
    fn buffers_keep_a_gap_in_the_teachers_calendar_only() {
        let rules =
            SchedulingRules { buffer_before_minutes: Some(10), buffer_after_minutes: Some(15), ..Default::default() };
        let t = teacher(
            rules,
            vec![
                slot(1, None, (10, 0), 60, SchedulingRules::default()),
                slot(2, None, (11, 0), 60, SchedulingRules::default()),
                slot(3, None, (11, 25), 60, SchedulingRules::default()),
            ],
        );
        let (t, s1, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
        assert_eq!(lesson.rules, rules);
        assert_eq!((t.holds[0].busy_from, t.holds[0].busy_until), (monday(0, 9, 50), monday(0, 11, 15)));
        assert_eq!((s1.holds[0].busy_from, s1.holds[0].busy_until), (monday(0, 10, 0), monday(0, 11, 0)));
        let refused = book(&t, &Calendar::new(user(12)), 1, monday(0, 11, 0), 2).unwrap_err();
        assert_eq!(refused.code().as_str(), "slot_unavailable");
        assert!(book(&t, &Calendar::new(user(12)), 2, monday(0, 11, 25), 3).is_ok());
    }

    #[test]
    fn the_window_time_off_and_checks_come_in_order() {
        let rules =
            SchedulingRules { min_notice_minutes: Some(7 * 24 * 60), max_advance_days: Some(21), ..Default::default() };
        let mut t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
        let s = Calendar::new(user(11));
        // 6 days ahead: inside the notice; 4 weeks ahead: beyond the advance.
        assert_eq!(book(&t, &s, 0, monday(0, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
        assert_eq!(book(&t, &s, 0, monday(3, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
        t.time_off.push(TimeOff {
            id: crate::TimeOffId::from_uuid(uuid::Uuid::from_u128(5)),
            teacher_id: user(T),
            first_day: NaiveDate::from_ymd_opt(2030, 1, 14).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2030, 1, 14).unwrap(),
            time_zone: Tz::UTC,
            note: None,
        });
        assert_eq!(book(&t, &s, 0, monday(1, 10, 0), 1).unwrap_err().code().as_str(), "occurrence_not_offered");
        assert!(book(&t, &s, 0, monday(2, 10, 0), 1).is_ok());
        // The window is checked before the time off, and both before the overlaps.
        assert_eq!(book(&t, &s, 0, monday(0, 10, 0), 1).unwrap_err().code().as_str(), "outside_booking_window");
    }

    #[test]
    fn limits_count_pending_lessons_and_the_series_own() {
        let course = CourseId::from_uuid(uuid::Uuid::from_u128(77));
        let rules = SchedulingRules {
            max_lessons_per_day: Some(1),
            max_upcoming_lessons_per_student: Some(2),
            ..Default::default()
        };
        let t = teacher(
            rules,
            vec![
                slot(1, Some(course), (10, 0), 60, SchedulingRules::default()),
                slot(2, Some(course), (12, 0), 60, SchedulingRules::default()),
            ],
        );
        let s = Calendar::new(user(11));
        let (t, s, _) = book(&t, &s, 0, monday(0, 10, 0), 1).unwrap();
        match book(&t, &Calendar::new(user(12)), 1, monday(0, 12, 0), 2) {
            Err(BookingError::LimitReached { max: 1, .. }) => {}
            other => panic!("expected the per-day limit, got {other:?}"),
        }
        // The student holds one lesson of the course: a series of three books one more.
        let c = ctx(Actor::Student(user(11)), 3);
        let b = BookingContext { decision: &c, access: access(), links: None };
        let request = SeriesRequest {
            slot_id: t.slots[1].id,
            student_id: user(11),
            first_starts_at: monday(1, 12, 0),
            every_weeks: 1,
            end: SeriesEnd::Count(3),
            mode: SeriesMode::BookAvailable,
        };
        let mut n = 0;
        let d = book_series(&t, &s, &b, &request, || {
            n += 1;
            BookingId::from_uuid(uuid::Uuid::from_u128(500 + n))
        })
        .unwrap();
        assert_eq!(d.lessons.len(), 1);
        assert_eq!(d.skipped.iter().map(|k| k.reason.code().as_str()).collect::<Vec<_>>(), ["limit_reached"; 2]);
    }

    #[test]
    fn reschedule_moves_atomically_and_records_overrides() {
        let rules = SchedulingRules { reschedule_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
        let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
        let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(2, 10, 0), 1).unwrap();
        let to = |who: Actor, at| {
            let c = ctx(who, 9);
            let b = BookingContext { decision: &c, access: access(), links: None };
            reschedule(&t, &s, &b, &lesson, t.slots[0].id, at)
        };
        // The lesson starts 20 days ahead, outside its student's 10-day cut-off.
        let d = to(Actor::Student(user(11)), monday(3, 10, 0)).unwrap();
        assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: false, .. }));
        assert_eq!((d.lessons[0].starts_at, d.lessons[0].id), (monday(3, 10, 0), lesson.id));
        for c in &d.calendars {
            assert_eq!(c.holds.iter().map(|h| h.starts_at).collect::<Vec<_>>(), [monday(3, 10, 0)]);
        }
        // The same time: no event.
        assert!(to(Actor::Student(user(11)), monday(2, 10, 0)).unwrap().events.is_empty());
        // A lesson a week away is within the cut-off for its student, not for its teacher.
        let (t2, s2, near) = book(&t, &Calendar::new(user(12)), 0, monday(0, 10, 0), 2).unwrap();
        let c = ctx(Actor::Student(user(12)), 9);
        let b = BookingContext { decision: &c, access: access(), links: None };
        let refused = reschedule(&t2, &s2, &b, &near, t.slots[0].id, monday(1, 10, 0)).unwrap_err();
        assert_eq!(refused.code().as_str(), "cutoff_passed");
        let c = ctx(Actor::Teacher(user(T)), 9);
        let b = BookingContext { decision: &c, access: access(), links: None };
        let d = reschedule(&t2, &s2, &b, &near, t.slots[0].id, monday(1, 10, 0)).unwrap();
        assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: true, .. }));
    }

    #[test]
    fn cancellation_cutoff_binds_students_only() {
        let rules = SchedulingRules { cancel_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
        let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
        let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
        let refused = cancel(&t, &s, &ctx(Actor::Student(user(11)), 2), &lesson, &[]).unwrap_err();
        assert_eq!(refused.code().as_str(), "cutoff_passed");
        let d = cancel(&t, &s, &ctx(Actor::Teacher(user(T)), 2), &lesson, &[]).unwrap();
        assert!(matches!(d.events[0].kind, EventKind::LessonCancelled { cutoff_overridden: true, .. }));
    }

    #[test]
    fn without_a_reschedule_cutoff_the_cancellation_cutoff_governs_moves() {
        let rules = SchedulingRules { cancel_cutoff_minutes: Some(10 * 24 * 60), ..Default::default() };
        let t = teacher(rules, vec![slot(1, None, (10, 0), 60, SchedulingRules::default())]);
        let (t, s, lesson) = book(&t, &Calendar::new(user(11)), 0, monday(0, 10, 0), 1).unwrap();
        let to = |who: Actor, lesson: &Lesson| {
            let c = ctx(who, 2);
            let b = BookingContext { decision: &c, access: access(), links: None };
            reschedule(&t, &s, &b, lesson, t.slots[0].id, monday(2, 10, 0))
        };
        let refused = to(Actor::Student(user(11)), &lesson).unwrap_err();
        assert!(matches!(&refused, BookingError::CutoffPassed { action, .. } if action == "rescheduled"), "{refused}");
        let d = to(Actor::Teacher(user(T)), &lesson).unwrap();
        assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: true, .. }));
        // An explicit reschedule cut-off, even a shorter one, governs moves alone.
        let late =
            Lesson { rules: SchedulingRules { reschedule_cutoff_minutes: Some(60), ..lesson.rules }, ..lesson.clone() };
        let d = to(Actor::Student(user(11)), &late).unwrap();
        assert!(matches!(d.events[0].kind, EventKind::LessonRescheduled { cutoff_overridden: false, .. }));
    }

    #[test]
    fn listings_leave_out_what_the_rules_forbid() {
        let rules =
            SchedulingRules { max_lessons_per_week: Some(1), buffer_after_minutes: Some(30), ..Default::default() };
        let t = teacher(
            rules,
            vec![
                slot(1, None, (10, 0), 60, SchedulingRules::default()),
                slot(2, None, (11, 15), 30, SchedulingRules::default()),
            ],
        );
        let (t, _, _) = book(&t, &Calendar::new(user(11)), 0, monday(1, 10, 0), 1).unwrap();
        let query = OccurrenceQuery {
            teacher_id: user(T),
            course_id: None,
            student_id: Some(user(12)),
            from: now(),
            to: now() + TimeDelta::days(21),
            time_zone: None,
        };
        let listed: Vec<_> = bookable_occurrences(&t, None, &query, now(), &mut |_| Ok(true))
            .unwrap()
            .into_iter()
            .map(|o| o.starts_at)
            .collect();
        // Week 1 is full (and its 11:15 is in the buffer anyway); weeks 0 and 2 offer both.
        assert_eq!(listed, [monday(0, 10, 0), monday(0, 11, 15), monday(2, 10, 0), monday(2, 11, 15)]);
    }
}
