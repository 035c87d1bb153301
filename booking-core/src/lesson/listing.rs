//! Listing the occurrences a student can book.

use super::*;

/// Which occurrences to list: a teacher's, in a window, for whom, shown in which zone.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OccurrenceQuery {
    /// The teacher.
    pub teacher_id: UserId,
    /// Only slots of this course (`None`: every course, and slots without one).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub course_id: Option<CourseId>,
    /// The student asking: slots of courses they are not enrolled in are left out. `None`
    /// lists every course (a teacher's or an admin's view).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub student_id: Option<UserId>,
    /// The window's start (inclusive).
    pub from: DateTime<Utc>,
    /// The window's end (exclusive); at most [`MAX_WINDOW_DAYS`](crate::availability::MAX_WINDOW_DAYS) after `from`.
    pub to: DateTime<Utc>,
    /// The IANA zone to show wall times in, besides the teacher's (`None`: UTC).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub time_zone: Option<String>,
}

/// One bookable occurrence, as an instant and as wall times.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    // At most one occurrence per weekly slot and week of the window, and one per one-time
    // slot: reserved once, to avoid regrowing (and no more, so that a long window with few
    // slots does not map and fault in a large buffer on every call).
    let weeks = usize::try_from((query.to - from).num_weeks()).unwrap_or(0) + 1;
    let capacity: usize = calendar
        .slots
        .iter()
        .filter(|s| s.active)
        .map(|s| match s.recurrence {
            SlotRecurrence::Weekly { .. } => weeks,
            SlotRecurrence::OneTime { .. } => 1,
        })
        .sum();
    // Capped as before: a calendar with thousands of slots lists few of them in practice.
    out.reserve(capacity.min(64 * weeks));
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
            } else if viewer == Tz::UTC {
                // UTC's wall time is the instant itself: no zone look-up.
                (o.starts_at.naive_utc(), o.ends_at.naive_utc())
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
    Ok(sorted_by_start(out))
}

/// `rows` sorted by start, then slot id (unique per occurrence, so the order is total).
///
/// The rows are about 130 bytes, and each slot contributes a sorted run too short for the
/// standard sort to merge (it sorts them from scratch, moving whole rows): compact keys are
/// sorted instead, and each row is then moved once, to its place.
fn sorted_by_start(rows: Vec<BookableOccurrence>) -> Vec<BookableOccurrence> {
    let mut keys: Vec<(i64, u32, u128, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, o)| {
            // Row indexes fit: a listing holds at most a few occurrences per slot and day.
            let index = u32::try_from(i).expect("fewer than 2^32 rows");
            (o.starts_at.timestamp(), o.starts_at.timestamp_subsec_nanos(), o.slot_id.as_uuid().as_u128(), index)
        })
        .collect();
    if keys.is_sorted() {
        return rows;
    }
    keys.sort_unstable();
    let mut rows: Vec<Option<BookableOccurrence>> = rows.into_iter().map(Some).collect();
    keys.iter().map(|&(.., i)| rows[i as usize].take().expect("each row is moved once")).collect()
}


/// The lessons a teacher teaches per day and per ISO week in one zone, counted once per slot
/// for the listing's limit checks (empty when the slot's rules set no limit).
pub(super) struct TeacherLoad {
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
