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
//! **Rescheduling** ([`Engine::reschedule_lesson`](crate::Engine::reschedule_lesson)) moves an active lesson that has not started to another
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

mod booking;
mod calendar;
mod decide;
mod inputs;
mod listing;
#[cfg(test)]
mod rules_tests;
mod settings;
#[cfg(test)]
mod tests;
mod transitions;

pub use crate::state::{Lesson, LessonStatus};
use crate::{
    Actor, BookingError, BookingId, CourseId, Event, EventKind, MeetingLink, SchedulingRules, SeriesId, SlotId, UserId,
    availability::{AvailabilitySlot, SlotRecurrence, TimeOff, occurrence_at, occurrence_on},
    event::DecisionContext,
    time::{ZoneOffsets, parse_time_zone},
};
pub(crate) use booking::*;
pub use calendar::*;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
pub(crate) use decide::{LessonCommand, LessonContext, LessonState, decide};
pub use inputs::*;
pub use listing::*;
use serde::{Deserialize, Serialize};
pub(crate) use settings::*;
use std::fmt;
use transitions::*;
