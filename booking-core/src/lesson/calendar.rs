//! The calendar aggregate (slots, holds, rules, time off, sessions) and how calendars and
//! lessons apply their events.

use super::*;

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

/// One person's availability slots and active lessons; see the [module docs](crate::lesson).
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
    pub(super) fn upcoming_lessons_like(
        &self,
        slot: &AvailabilitySlot,
        now: DateTime<Utc>,
        except: Option<BookingId>,
    ) -> usize {
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
    #[inline]
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
    #[inline]
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
