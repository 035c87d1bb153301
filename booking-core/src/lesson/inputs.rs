//! What the host and the client hand to lesson decisions (approval settings, slot and series
//! requests, meeting links), and what a decision returns.

use super::*;

/// The host's settings that decide whether 1:1 bookings of a course need approval.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalSettings {
    /// The course's setting (`Course.requires_booking_approval`), if it has one.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub course: Option<bool>,
    /// The teacher's override for this course (`CourseTeacher.requires_booking_approval`).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSpec {
    /// The course the slot is for, if any.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub course_id: Option<CourseId>,
    /// The IANA zone its wall times are in.
    pub time_zone: String,
    /// Weekly or one-time, with its wall times.
    pub recurrence: SlotRecurrence,
    /// Whether it is offered.
    #[cfg_attr(feature = "uniffi", uniffi(default = true))]
    pub active: bool,
    /// The slot's own scheduling rules (unset fields come from the teacher's); the seats per
    /// booking, a group-session rule, is refused here.
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub rules: SchedulingRules,
}

/// How a series ends.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SeriesEnd {
    /// After this many lessons (1 to [`MAX_SERIES_LESSONS`]).
    Count(u32),
    /// With the last lesson on or before this date, in the slot's zone.
    Until(NaiveDate),
}

/// What to do with occurrences of a series that cannot be booked.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRequest {
    /// The weekly slot.
    pub slot_id: SlotId,
    /// The student.
    pub student_id: UserId,
    /// The start of the first lesson (an occurrence of the slot).
    pub first_starts_at: DateTime<Utc>,
    /// Weeks between lessons (1 to [`MAX_SERIES_INTERVAL_WEEKS`]).
    #[cfg_attr(feature = "uniffi", uniffi(default = 1))]
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
pub(crate) struct LessonDecision {
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
    pub(super) fn emit(&mut self, ctx: &DecisionContext, kind: EventKind) {
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

    pub(super) fn calendar(&self, owner: UserId) -> &Calendar {
        self.calendars.iter().find(|c| c.owner == owner).expect("the decision loaded this calendar")
    }
}
