//! Decisions on an existing lesson: approve, decline, cancel, meeting link, attendance.

use super::*;

/// The lessons a decision on `target` applies to: the target alone, or every pending lesson of
/// its series that has not started (for approval and decline).
pub(super) fn decided_together<'a>(target: &'a Lesson, series: &'a [Lesson], now: DateTime<Utc>) -> Vec<&'a Lesson> {
    let rest = series.iter().filter(|l| l.id != target.id && l.status == LessonStatus::Pending && l.starts_at > now);
    std::iter::once(target).chain(rest).collect()
}

pub(super) fn invalid_transition(lesson: &Lesson, action: &str) -> BookingError {
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
/// word from the context's courses (a lesson of a series moved by a reschedule may sit on a slot of
/// another course than its siblings). A course missing from `courses` counts as not enrolled.
pub(super) fn approve(
    state: &LessonState<'_>,
    context: &LessonContext<'_>,
    link: Option<&str>,
) -> Result<LessonDecision, BookingError> {
    let (teacher, student, target, series) = (state.teacher(), state.student(), state.lesson(), state.series);
    let decision = context.decision;
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
        let ctx = &context.booking(slot.course_id);
        check_occurrence(
            &d,
            ctx,
            slot,
            &lesson.rules,
            lesson.student_id,
            times,
            Scope::Approval { except: lesson.id },
        )?;
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
pub(super) fn decline(
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
pub(super) fn cancel(
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
pub(super) fn set_meeting_link(
    lesson: &Lesson,
    ctx: &DecisionContext,
    link: &str,
) -> Result<LessonDecision, BookingError> {
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
pub(super) fn mark_attendance(
    lesson: &Lesson,
    ctx: &DecisionContext,
    attended: bool,
) -> Result<LessonDecision, BookingError> {
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
