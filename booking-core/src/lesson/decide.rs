//! One decision shape for lessons, as for group sessions ([`crate::group::decide`]): a pure
//! function of the loaded state, the context and a [`LessonCommand`], returning the changed
//! calendars and lessons with their events ([`LessonDecision`]) or a typed error.

use super::*;
use crate::{TimeOffId, availability::TimeOffSpec};

/// A command on a teacher's calendar or on a lesson, decided by [`decide()`]. It borrows its
/// inputs from the engine's [`Command`](crate::Command).
#[derive(Clone, Copy, Debug)]
pub(crate) enum LessonCommand<'a> {
    /// Publish a slot (its id is the context's fresh id).
    PublishSlot { slot: &'a SlotSpec },
    /// Replace a slot.
    UpdateSlot { slot_id: SlotId, slot: &'a SlotSpec },
    /// Activate or deactivate a slot.
    SetSlotActive { slot_id: SlotId, active: bool },
    /// Set the teacher's rules for a course, or their default.
    SetSchedulingRules { course_id: Option<CourseId>, rules: &'a SchedulingRules },
    /// Take time off (its id is the context's fresh id).
    AddTimeOff { time_off: &'a TimeOffSpec },
    /// Withdraw time off.
    RemoveTimeOff { time_off_id: TimeOffId },
    /// Book one occurrence of a slot (the lesson's id is the context's fresh id).
    BookLesson { slot_id: SlotId, starts_at: DateTime<Utc>, student_id: UserId },
    /// Book a series (its id is the context's fresh id; the lessons' ids come from
    /// [`LessonContext::lesson_ids`]).
    BookSeries { series: &'a SeriesRequest },
    /// Approve the lesson (and the rest of its series).
    Approve { meeting_link: Option<&'a str> },
    /// Decline the lesson (and the rest of its series).
    Decline { reason: Option<&'a str> },
    /// Cancel the lesson (and the later lessons of its series loaded with it).
    Cancel,
    /// Set the lesson's meeting link.
    SetMeetingLink { meeting_link: &'a str },
    /// Mark the lesson attended or no-show.
    MarkAttendance { attended: bool },
    /// Move the lesson to another occurrence of its teacher's slots.
    Reschedule { slot_id: SlotId, starts_at: DateTime<Utc> },
}

/// What a lesson command is decided on, as the engine loaded it: the teacher's calendar for
/// calendar commands; both calendars for bookings; the lesson alone for its link and
/// attendance; the lesson, both calendars and the series lessons decided with it otherwise.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LessonState<'a> {
    /// The teacher's calendar (the slot's teacher, or the lesson's).
    pub(crate) teacher: Option<&'a Calendar>,
    /// The student's calendar.
    pub(crate) student: Option<&'a Calendar>,
    /// The lesson the command names.
    pub(crate) lesson: Option<&'a Lesson>,
    /// The lessons decided with it: the active lessons of its series (approve, decline) or the
    /// later ones to cancel with it.
    pub(crate) series: &'a [Lesson],
}

impl<'a> LessonState<'a> {
    pub(super) fn teacher(&self) -> &'a Calendar {
        self.teacher.expect("the engine loads the teacher's calendar for this command")
    }

    pub(super) fn student(&self) -> &'a Calendar {
        self.student.expect("the engine loads the student's calendar for this command")
    }

    pub(super) fn lesson(&self) -> &'a Lesson {
        self.lesson.expect("the engine loads the lesson this command names")
    }
}

/// What a lesson decision reads besides state and command: who, when and a fresh id; the
/// host's word on the courses the command touches; the meeting-link generator; fresh ids for
/// the lessons of a series.
#[derive(Clone, Copy)]
pub(crate) struct LessonContext<'a> {
    /// Who asks, when, and a fresh id.
    pub(crate) decision: &'a DecisionContext,
    /// The host's word on each course the command touches (a course missing here counts as
    /// not enrolled, without approval).
    pub(crate) courses: &'a [(Option<CourseId>, CourseAccess)],
    /// The host's meeting-link generator, if any.
    pub(crate) links: Option<&'a dyn MeetingLinkGenerator>,
    /// Yields a fresh id per lesson of a series.
    pub(crate) lesson_ids: &'a dyn Fn() -> BookingId,
}

impl<'a> LessonContext<'a> {
    /// The booking context for a slot's course.
    pub(super) fn booking(&self, course_id: Option<CourseId>) -> BookingContext<'a> {
        let access = self.courses.iter().find(|(c, _)| *c == course_id).map_or_else(CourseAccess::default, |a| a.1);
        BookingContext { decision: self.decision, access, links: self.links }
    }
}

/// Decides a lesson command on the loaded state; nothing is stored.
pub(crate) fn decide(
    state: &LessonState<'_>,
    ctx: &LessonContext<'_>,
    command: &LessonCommand<'_>,
) -> Result<LessonDecision, BookingError> {
    let decision = ctx.decision;
    let slot_course = |slot_id: SlotId| state.teacher().slot(slot_id).and_then(|s| s.course_id);
    match *command {
        LessonCommand::PublishSlot { slot } => publish_slot(state.teacher(), decision, slot),
        LessonCommand::UpdateSlot { slot_id, slot } => update_slot(state.teacher(), decision, slot_id, slot),
        LessonCommand::SetSlotActive { slot_id, active } => set_slot_active(state.teacher(), decision, slot_id, active),
        LessonCommand::SetSchedulingRules { course_id, rules } => {
            set_scheduling_rules(state.teacher(), decision, course_id, rules)
        }
        LessonCommand::AddTimeOff { time_off } => add_time_off(state.teacher(), decision, time_off),
        LessonCommand::RemoveTimeOff { time_off_id } => remove_time_off(state.teacher(), decision, time_off_id),
        LessonCommand::BookLesson { slot_id, starts_at, student_id } => {
            let booking = ctx.booking(slot_course(slot_id));
            book_lesson(state.teacher(), state.student(), &booking, slot_id, starts_at, student_id)
        }
        LessonCommand::BookSeries { series } => {
            let booking = ctx.booking(slot_course(series.slot_id));
            book_series(state.teacher(), state.student(), &booking, series, ctx.lesson_ids)
        }
        LessonCommand::Approve { meeting_link } => approve(state, ctx, meeting_link),
        LessonCommand::Decline { reason } => {
            decline(state.teacher(), state.student(), decision, state.lesson(), state.series, reason)
        }
        LessonCommand::Cancel => cancel(state.teacher(), state.student(), decision, state.lesson(), state.series),
        LessonCommand::SetMeetingLink { meeting_link } => set_meeting_link(state.lesson(), decision, meeting_link),
        LessonCommand::MarkAttendance { attended } => mark_attendance(state.lesson(), decision, attended),
        LessonCommand::Reschedule { slot_id, starts_at } => {
            let booking = ctx.booking(slot_course(slot_id));
            reschedule(state.teacher(), state.student(), &booking, state.lesson(), slot_id, starts_at)
        }
    }
}
