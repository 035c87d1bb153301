//! Booking checks and booking decisions: one lesson, a series, and moving a lesson.

use super::*;

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
pub(super) fn reschedule(
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
    check_occurrence(&d, ctx, slot, &rules, target.student_id, times, Scope::Booking { except: Some(target.id) })?;
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

/// Everything a booking decision reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BookingContext<'a> {
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

/// How much of the booking rules [`check_occurrence`] applies, and which lesson's own hold
/// does not count (the one being rescheduled or approved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scope {
    /// A new booking (`except: None`) or a reschedule (the moved lesson): every rule.
    Booking {
        /// The lesson whose hold does not count.
        except: Option<BookingId>,
    },
    /// The approval of a pending lesson: what may have changed since the request and must
    /// still hold (start, enrollment, overlaps); not the booking window, time off or limits,
    /// which the request passed when it was made and which count it since.
    Approval {
        /// The lesson approved, whose hold does not count.
        except: BookingId,
    },
}

/// Why `student_id` cannot take the occurrence `[starts_at, ends_at)` of `slot` now under
/// `rules`, if so (the scope names a lesson whose own hold does not count). The checks run in this order, and the first failing one is reported:
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
pub(super) fn check_occurrence(
    d: &LessonDecision,
    ctx: &BookingContext<'_>,
    slot: &AvailabilitySlot,
    rules: &SchedulingRules,
    student_id: UserId,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
    scope: Scope,
) -> Result<(), BookingError> {
    let except = match scope {
        Scope::Booking { except } => except,
        Scope::Approval { except } => Some(except),
    };
    let booking = matches!(scope, Scope::Booking { .. });
    let now = ctx.decision.now;
    if starts_at <= now {
        return Err(BookingError::StartInPast { starts_at, now });
    }
    let teacher = d.calendar(slot.teacher_id);
    if booking {
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
    if booking {
        check_limits(teacher, student, slot, rules, starts_at, except, now)?;
    }
    Ok(())
}

/// Whether a hold of a lesson `student` takes counts towards the per-student limit of bookings
/// of `slot`: a lesson of the slot's course, or, for a slot without a course, a lesson without
/// a course with the same teacher.
pub(super) fn same_course(hold: &Hold, slot: &AvailabilitySlot) -> bool {
    hold.course_id == slot.course_id && (slot.course_id.is_some() || hold.teacher_id == slot.teacher_id)
}

/// Refuses a booking of `slot` at `starts_at` beyond the teacher's per-day or per-week limit
/// (lessons the teacher teaches, pending ones too, days and ISO weeks read in the slot's zone)
/// or the student's limit of lessons of the course that have not ended.
pub(super) fn check_limits(
    teacher: &Calendar,
    student: &Calendar,
    slot: &AvailabilitySlot,
    rules: &SchedulingRules,
    starts_at: DateTime<Utc>,
    except: Option<BookingId>,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if rules.max_lessons_per_day.is_some() || rules.max_lessons_per_week.is_some() {
        let offsets = ZoneOffsets::direct(slot.time_zone);
        let day = offsets.wall_time(starts_at).date();
        if let Some((limit, max)) = TeacherLoad::new(teacher, except, &offsets).limit_passed(rules, day) {
            return Err(BookingError::LimitReached { limit: limit.into(), max });
        }
    }
    if let Some(max) = rules.max_upcoming_lessons_per_student
        && student.upcoming_lessons_like(slot, now, except) >= max as usize
    {
        return Err(BookingError::LimitReached { limit: "upcoming lessons per student in this course".into(), max });
    }
    Ok(())
}

/// The lessons a teacher teaches (pending ones too) by their wall date in one zone: what the
/// per-day and per-week limits count, for a booking and for a listing alike (a listing counts
/// them once per zone of the teacher's slots).
pub(super) struct TeacherLoad {
    /// Each lesson's wall date, ascending.
    days: Vec<NaiveDate>,
}

impl TeacherLoad {
    /// The lessons `teacher` teaches, but `except`, dated in the zone of `offsets`.
    pub(super) fn new(teacher: &Calendar, except: Option<BookingId>, offsets: &ZoneOffsets) -> Self {
        let mut days: Vec<NaiveDate> = teacher
            .holds
            .iter()
            .filter(|h| h.teacher_id == teacher.owner && Some(h.booking_id) != except)
            .map(|h| offsets.wall_time(h.starts_at).date())
            .collect();
        days.sort_unstable();
        Self { days }
    }

    /// The lessons on the `days` days from `first`.
    fn on(&self, first: NaiveDate, days: u64) -> usize {
        let before = self.days.partition_point(|d| *d < first);
        let until = first
            .checked_add_days(Days::new(days))
            .map_or(self.days.len(), |end| self.days.partition_point(|d| *d < end));
        until - before
    }

    /// The limit of `rules` that one more lesson on `day` would pass, by name, and its maximum:
    /// the lessons of that day, then of its ISO week (Monday to Sunday).
    pub(super) fn limit_passed(&self, rules: &SchedulingRules, day: NaiveDate) -> Option<(&'static str, u32)> {
        if let Some(max) = rules.max_lessons_per_day
            && self.on(day, 1) >= max as usize
        {
            return Some(("lessons per day for this teacher", max));
        }
        let monday = day.checked_sub_days(Days::new(day.weekday().num_days_from_monday().into())).unwrap_or(day);
        if let Some(max) = rules.max_lessons_per_week
            && self.on(monday, 7) >= max as usize
        {
            return Some(("lessons per week for this teacher", max));
        }
        None
    }
}

pub(super) fn meeting_link_for(ctx: &BookingContext<'_>, lesson: &Lesson) -> Result<Option<MeetingLink>, BookingError> {
    ctx.links.and_then(|g| g.meeting_link(lesson)).map(|link| MeetingLink::parse(&link)).transpose()
}

/// Books the lesson `[starts_at, ends_at)` of `slot` in `d` (whose calendars are the teacher's
/// and the student's), pending or confirmed by the approval rule.
pub(super) fn book_one(
    d: &mut LessonDecision,
    ctx: &BookingContext<'_>,
    slot: &AvailabilitySlot,
    student_id: UserId,
    id: BookingId,
    series_id: Option<SeriesId>,
    (starts_at, ends_at): (DateTime<Utc>, DateTime<Utc>),
) -> Result<(), BookingError> {
    let rules = d.calendar(slot.teacher_id).rules_for_slot(slot);
    check_occurrence(d, ctx, slot, &rules, student_id, (starts_at, ends_at), Scope::Booking { except: None })?;
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

pub(super) fn start_booking(
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
pub(super) fn book_lesson(
    teacher: &Calendar,
    student: &Calendar,
    ctx: &BookingContext<'_>,
    slot_id: SlotId,
    starts_at: DateTime<Utc>,
    student_id: UserId,
) -> Result<LessonDecision, BookingError> {
    let (mut d, slot) = start_booking(teacher, student, ctx, slot_id, student_id)?;
    let occurrence = occurrence_at(&slot, starts_at)?;
    book_one(&mut d, ctx, &slot, student_id, BookingId(ctx.decision.fresh_id), None, (starts_at, occurrence.ends_at))?;
    Ok(d)
}

/// Books a recurring series; `booking_ids` yields a fresh id per lesson. The series id is the
/// context's fresh id.
pub(super) fn book_series(
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
            Some(o) => book_one(
                &mut d,
                ctx,
                &slot,
                request.student_id,
                booking_ids(),
                Some(series_id),
                (o.starts_at, o.ends_at),
            )
            .map_err(|e| (Some(o.starts_at), e)),
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

pub(super) fn too_many(requested: u64) -> BookingError {
    BookingError::TooLarge { what: "lessons in a series".into(), requested, max: u64::from(MAX_SERIES_LESSONS) }
}

/// The instant a weekly slot's start would have on `date` (for error messages when the slot
/// offers nothing that day).
pub(super) fn resolve_start(slot: &AvailabilitySlot, date: NaiveDate) -> DateTime<Utc> {
    match slot.recurrence {
        SlotRecurrence::Weekly { start_time, .. } => {
            crate::time::resolve_local(slot.time_zone, date.and_time(start_time))
        }
        SlotRecurrence::OneTime { start, .. } => crate::time::resolve_local(slot.time_zone, start),
    }
}
