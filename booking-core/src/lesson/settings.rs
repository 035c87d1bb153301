//! A teacher's settings: publishing and changing slots, scheduling rules, time off.

use super::*;

pub(super) fn require_teacher(actor: Actor, teacher_id: UserId, what: &str) -> Result<(), BookingError> {
    if actor.acts_for_teacher(teacher_id) {
        Ok(())
    } else {
        Err(BookingError::not_authorized(format!("{actor} cannot {what}: only the teacher or an admin can")))
    }
}

pub(super) fn build_slot(id: SlotId, teacher_id: UserId, spec: &SlotSpec) -> Result<AvailabilitySlot, BookingError> {
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
pub(super) fn publish_slot(
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
pub(super) fn update_slot(
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
pub(super) fn set_slot_active(
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
pub(crate) fn check_session_time(calendar: &Calendar, session: &crate::GroupSession) -> Result<(), BookingError> {
    match calendar.overlapping(session.starts_at, session.ends_at(), None) {
        Some(h) => Err(BookingError::TeacherBusy { teacher_id: calendar.owner, booking_id: h.booking_id }),
        None => Ok(()),
    }
}

/// Sets the scheduling rules of the teacher `calendar.owner` for `course_id`, or their default
/// rules when `None`; empty rules remove that level.
pub(super) fn set_scheduling_rules(
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
pub(super) fn add_time_off(
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
pub(super) fn remove_time_off(
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
