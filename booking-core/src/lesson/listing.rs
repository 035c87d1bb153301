//! Listing the occurrences a student can book.

use super::booking::TeacherLoad;
use super::*;
use crate::time::seconds::{DAY, Dates, Seconds};

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
    // Time-zone look-ups are most of the cost: the window's local dates (and, for zones with
    // many occurrences, the zone's offsets) are found once per zone of the teacher's slots,
    // one-time slots far from the window are skipped before anything is resolved, and the
    // wall times the expansion already knows are reused.
    // And the teacher's load per day and week in the zone, counted once when a slot's rules
    // limit it.
    let mut zones: Vec<(crate::availability::LocalWindow, ZoneOffsets, Option<TeacherLoad>)> = Vec::new();
    // At most one occurrence per weekly slot and week of the window, and one per one-time
    // slot: reserved once, to avoid regrowing (and no more, so that a long window with few
    // slots does not map and fault in a large buffer on every call).
    let weeks = usize::try_from((query.to - from).num_weeks()).unwrap_or(0) + 1;
    // At most this many occurrences of the slots in a zone (`None`: in any zone).
    let occurrences_in = |tz: Option<Tz>| -> usize {
        calendar
            .slots
            .iter()
            .filter(|s| s.active && tz.is_none_or(|tz| s.time_zone == tz))
            .map(|s| match s.recurrence {
                SlotRecurrence::Weekly { .. } => weeks,
                SlotRecurrence::OneTime { .. } => 1,
            })
            .sum()
    };
    let capacity = occurrences_in(None);
    // Capped as before: a calendar with thousands of slots lists few of them in practice.
    out.reserve(capacity.min(64 * weeks));
    let mut keys = Vec::with_capacity(out.capacity());
    let from_seconds = crate::time::seconds::of_instant(from);
    // A zone's offsets over the window are taken from the years the process keeps (found once:
    // a chrono-tz look-up per day, and a few per change of offset) when its slots can produce
    // more occurrences than the window has days; otherwise each wall time is looked up alone
    // (two to four look-ups per occurrence). Both give the same instants and wall times (see
    // `ZoneOffsets`).
    let days = (query.to - from).num_days() + 1;
    let offsets_of = |tz: Tz, occurrences: usize, over: (DateTime<Utc>, DateTime<Utc>)| {
        if i64::try_from(occurrences).unwrap_or(i64::MAX) >= days {
            ZoneOffsets::over(tz, over.0, over.1)
        } else {
            ZoneOffsets::direct(tz)
        }
    };
    // The teacher's wall dates reach a day around the window (and a gap moves a start by up to
    // a day); an occurrence ends at most a day after its start.
    let teacher_span = (from - chrono::TimeDelta::days(4), query.to + chrono::TimeDelta::days(4));
    let viewer_span = (from, query.to + chrono::TimeDelta::days(2));
    // Instants and wall times are resolved in seconds and become chrono's types with the dates
    // of the days around the window, found once (each conversion is otherwise a walk through
    // chrono's calendar).
    let dates = Dates::between(teacher_span.0.timestamp() - DAY, teacher_span.1.timestamp() + DAY);
    let wall = |offsets: &ZoneOffsets, instant: Seconds| {
        dates.wall((instant.0 + offsets.offset_seconds(instant.0), instant.1))
    };
    let mut viewer_offsets: Option<ZoneOffsets> = None;
    let mut viewer_offset: (i64, std::ops::Range<i64>) = (0, 0..0);
    for slot in calendar.slots.iter().filter(|s| s.active) {
        if query.course_id.is_some() && slot.course_id != query.course_id {
            continue;
        }
        let tz = slot.time_zone;
        let zone = match zones.iter().position(|(w, ..)| w.tz == tz) {
            Some(i) => i,
            None => {
                let local = crate::availability::LocalWindow::new(from, query.to, tz);
                zones.push((local, offsets_of(tz, occurrences_in(Some(tz)), teacher_span), None));
                zones.len() - 1
            }
        };
        let local = zones[zone].0;
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
        let limited = rules.max_lessons_per_day.is_some() || rules.max_lessons_per_week.is_some();
        if limited && zones[zone].2.is_none() {
            zones[zone].2 = Some(TeacherLoad::new(calendar, None, &zones[zone].1));
        }
        let (offsets, load) = (&zones[zone].1, zones[zone].2.as_ref().filter(|_| limited));
        crate::availability::expand(slot, from, query.to, &local).resolve_each(offsets, |r| {
            let (starts_at, ends_at) = (dates.instant(r.starts), dates.instant(r.ends));
            if starts_at < earliest || latest.is_some_and(|l| starts_at > l) {
                return;
            }
            if time_off.iter().any(|&(s, e)| crate::time::intervals_overlap(s, e, starts_at, ends_at)) {
                return;
            }
            let (busy_from, busy_until) = rules.buffered(starts_at, ends_at);
            if calendar.overlapping(busy_from, busy_until, None).is_some()
                || calendar.overlapping_session(busy_from, busy_until).is_some()
            {
                return;
            }
            let teacher_local_start = if r.shown { dates.wall(r.local_start) } else { wall(offsets, r.starts) };
            if load.is_some_and(|load| load.limit_passed(&rules, teacher_local_start.date()).is_some()) {
                return;
            }
            // The end's wall time with the start's offset, unless the offset changes between.
            let teacher_local_end = if r.shown && r.ends.0 < r.offset_until {
                dates.wall((r.ends.0 + (r.local_start.0 - r.starts.0), r.ends.1))
            } else {
                wall(offsets, r.ends)
            };
            let (viewer_local_start, viewer_local_end) = if viewer == tz {
                (teacher_local_start, teacher_local_end)
            } else if viewer == Tz::UTC {
                // UTC's wall time is the instant itself: no zone look-up.
                (starts_at.naive_utc(), ends_at.naive_utc())
            } else {
                let viewer_offsets = viewer_offsets.get_or_insert_with(|| offsets_of(viewer, capacity, viewer_span));
                // The last row's offset and the instants it holds over, unless this row starts
                // outside them.
                if !viewer_offset.1.contains(&r.starts.0) {
                    viewer_offset = viewer_offsets.span_at(r.starts.0);
                }
                let (offset, span) = (viewer_offset.0, &viewer_offset.1);
                let end_offset =
                    if span.contains(&r.ends.0) { offset } else { viewer_offsets.offset_seconds(r.ends.0) };
                (dates.wall((r.starts.0 + offset, r.starts.1)), dates.wall((r.ends.0 + end_offset, r.ends.1)))
            };
            keys.push(sort_key(r.starts, from_seconds, out.len()));
            out.push(BookableOccurrence {
                slot_id: slot.id,
                course_id: slot.course_id,
                starts_at,
                ends_at,
                teacher_time_zone: tz,
                teacher_local_start,
                teacher_local_end,
                viewer_time_zone: viewer,
                viewer_local_start,
                viewer_local_end,
            });
        });
    }
    Ok(sorted_by_start(out, keys))
}

/// The sort key of row `index` of a listing, which starts at `starts` (at `from` or later): its
/// start's whole seconds after `from` (a window is at most a year and a day: 25 bits) and its
/// index (32 bits).
fn sort_key(starts: Seconds, from: Seconds, index: usize) -> u64 {
    let seconds = u64::try_from(starts.0 - from.0).expect("a start in the window");
    // Row indexes fit: a listing holds at most a few occurrences per slot and day.
    let index = u32::try_from(index).expect("fewer than 2^32 rows");
    seconds << 32 | u64::from(index)
}

/// `rows` sorted by start, then slot id (unique per occurrence, so the order is total), with
/// `keys` their [`sort_key`]s.
///
/// The rows are about 130 bytes, and each slot contributes a sorted run too short for the
/// standard sort to merge (it sorts them from scratch, moving whole rows): the keys are sorted
/// instead, rows starting in the same second are then put in order of start and slot id, and
/// each row is copied once, to its place.
fn sorted_by_start(rows: Vec<BookableOccurrence>, mut keys: Vec<u64>) -> Vec<BookableOccurrence> {
    let row = |k: u64| &rows[(k & u64::from(u32::MAX)) as usize];
    keys.sort_unstable();
    for same_second in keys.chunk_by_mut(|a, b| a >> 32 == b >> 32).filter(|run| run.len() > 1) {
        same_second.sort_unstable_by_key(|&k| (row(k).starts_at, row(k).slot_id));
    }
    keys.iter().map(|&k| row(k).clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::{AvailabilitySlot, occurrences};
    use crate::time::wall_time;
    use chrono::{NaiveTime, TimeDelta, Weekday};
    use chrono_tz::TZ_VARIANTS;
    use proptest::prelude::*;

    /// Zones with gaps and folds of every kind (an hour, 30 minutes, a whole day, at midnight,
    /// non-whole-hour offsets), then any zone.
    const CHANGING: [Tz; 8] = [
        chrono_tz::America::New_York,
        chrono_tz::Europe::Berlin,
        chrono_tz::Australia::Sydney,
        chrono_tz::Australia::Lord_Howe,
        chrono_tz::Pacific::Chatham,
        chrono_tz::America::Havana,
        chrono_tz::Pacific::Apia,
        chrono_tz::America::St_Johns,
    ];

    fn weekly(n: u128, tz: Tz, weekday: u8, start: u32, minutes: i64, valid_from: NaiveDate) -> AvailabilitySlot {
        let start_time = NaiveTime::from_num_seconds_from_midnight_opt(start * 60, 0).unwrap();
        AvailabilitySlot {
            id: SlotId::from_uuid(uuid::Uuid::from_u128(100 + n)),
            teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
            course_id: None,
            time_zone: tz,
            recurrence: SlotRecurrence::Weekly {
                weekday: Weekday::try_from(weekday).unwrap(),
                start_time,
                end_time: start_time + TimeDelta::minutes(minutes),
                valid_from,
                valid_until: None,
            },
            active: true,
            rules: SchedulingRules::default(),
        }
    }

    /// A listing of weekly slots `(weekday, start minute, minutes, zone index)` without rules,
    /// lessons or time off, and what it must be: every occurrence of every slot, with the wall
    /// times each of its instants has. The calendar holds the slots in descending order of id,
    /// so occurrences at the same instant are not listed in slot-id order by accident.
    fn listed_and_expected(
        zones: &[Tz],
        viewer: Option<Tz>,
        slots: &[(u8, u32, i64, usize)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> (Vec<BookableOccurrence>, Vec<BookableOccurrence>) {
        let valid_from = (from - TimeDelta::days(30)).date_naive().max(NaiveDate::from_ymd_opt(1, 1, 1).unwrap());
        let calendar = Calendar {
            slots: slots
                .iter()
                .enumerate()
                .map(|(n, &(weekday, start, minutes, zone))| {
                    let id = (slots.len() - n) as u128;
                    weekly(id, zones[zone % zones.len()], weekday, start, minutes, valid_from)
                })
                .collect(),
            ..Calendar::new(UserId::from_uuid(uuid::Uuid::from_u128(1)))
        };
        let query = OccurrenceQuery {
            teacher_id: calendar.owner,
            course_id: None,
            student_id: None,
            from,
            to,
            time_zone: viewer.map(|v| v.name().to_owned()),
        };
        let listed =
            bookable_occurrences(&calendar, None, &query, from - TimeDelta::days(1), &mut |_| Ok(true)).unwrap();

        let viewer = viewer.unwrap_or(Tz::UTC);
        let mut expected: Vec<BookableOccurrence> = calendar
            .slots
            .iter()
            .flat_map(|slot| {
                let tz = slot.time_zone;
                occurrences(slot, from, to).unwrap().map(move |o| BookableOccurrence {
                    slot_id: slot.id,
                    course_id: None,
                    starts_at: o.starts_at,
                    ends_at: o.ends_at,
                    teacher_time_zone: tz,
                    teacher_local_start: wall_time(o.starts_at, tz),
                    teacher_local_end: wall_time(o.ends_at, tz),
                    viewer_time_zone: viewer,
                    viewer_local_start: wall_time(o.starts_at, viewer),
                    viewer_local_end: wall_time(o.ends_at, viewer),
                })
            })
            .collect();
        expected.sort_by_key(|o| (o.starts_at, o.slot_id));
        (listed, expected)
    }

    #[test]
    fn listings_at_the_ends_of_time_are_their_slots_occurrences() {
        // Enough slots for the offsets tables, in zones 14 hours ahead of and 12 behind UTC,
        // in the first and last month the engine accepts.
        let zones = [chrono_tz::Pacific::Kiritimati, chrono_tz::Etc::GMTPlus12];
        let slots: Vec<(u8, u32, i64, usize)> = (0..24)
            .map(|i| ((i % 7) as u8, (i * 97 % 1440) as u32, 60 + i64::from(i) * 50, (i % 2) as usize))
            .collect();
        for (from, to) in
            [("0001-01-01T00:00:00Z", "0001-02-01T00:00:00Z"), ("9999-12-01T00:00:00Z", "9999-12-31T23:59:59Z")]
        {
            let (from, to) = (from.parse().unwrap(), to.parse().unwrap());
            for viewer in [None, Some(chrono_tz::Pacific::Kiritimati), Some(chrono_tz::Etc::GMTPlus12)] {
                let (listed, expected) = listed_and_expected(&zones, viewer, &slots, from, to);
                assert!(!listed.is_empty());
                assert_eq!(listed, expected, "{from}..{to} shown in {viewer:?}");
            }
        }
    }

    #[test]
    fn occurrences_at_the_same_instant_are_listed_in_slot_id_order() {
        // Mondays at 09:00 in Berlin three times, and at 08:00 in London (the same instants),
        // among enough other slots for the offsets tables.
        let zones = [chrono_tz::Europe::Berlin, chrono_tz::Europe::London];
        let mut slots = vec![(0, 540, 60, 0), (0, 540, 30, 0), (0, 480, 90, 1), (0, 540, 45, 0)];
        slots.extend((1..7).map(|d| (d, 600, 60, 0)));
        let from = "2026-03-02T00:00:00Z".parse().unwrap();
        let (listed, expected) = listed_and_expected(&zones, None, &slots, from, from + TimeDelta::days(60));
        assert_eq!(listed, expected);
        let first_monday: Vec<u128> = listed.iter().take(4).map(|o| o.slot_id.as_uuid().as_u128()).collect();
        assert_eq!(first_monday, [107, 108, 109, 110]);
    }

    #[test]
    fn occurrences_in_the_same_second_are_listed_by_start_then_slot_id() {
        // Mondays at 09:00:00.75, 09:00:00.25 (twice) and 09:00:00 in Berlin, the slots with
        // the later starts having the lower ids.
        let valid_from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let starts = [750_000_000, 250_000_000, 250_000_000, 0];
        let slots: Vec<AvailabilitySlot> = starts
            .iter()
            .enumerate()
            .map(|(n, &nanos)| {
                let mut slot = weekly(n as u128, chrono_tz::Europe::Berlin, 0, 540, 60, valid_from);
                if let SlotRecurrence::Weekly { start_time, end_time, .. } = &mut slot.recurrence {
                    *start_time = NaiveTime::from_hms_nano_opt(9, 0, 0, nanos).unwrap();
                    *end_time = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
                }
                slot
            })
            .collect();
        let calendar = Calendar { slots, ..Calendar::new(UserId::from_uuid(uuid::Uuid::from_u128(1))) };
        let from: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
        let query = OccurrenceQuery {
            teacher_id: calendar.owner,
            course_id: None,
            student_id: None,
            from,
            to: from + TimeDelta::days(7),
            time_zone: None,
        };
        let listed = bookable_occurrences(&calendar, None, &query, from, &mut |_| Ok(true)).unwrap();
        let order: Vec<(u32, u128)> =
            listed.iter().map(|o| (o.starts_at.timestamp_subsec_nanos(), o.slot_id.as_uuid().as_u128())).collect();
        assert_eq!(order, [(0, 103), (250_000_000, 101), (250_000_000, 102), (750_000_000, 100)]);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// A listing without rules, lessons or time off is every occurrence of every slot, with
        /// the wall times each instant has: whether the listing finds a zone's offsets once
        /// for the window (many slots for the window's days) or looks each up alone (few).
        #[test]
        fn a_listing_is_its_slots_occurrences_at_their_wall_times(
            zones in proptest::collection::vec(prop_oneof![
                3 => proptest::sample::select(CHANGING.to_vec()),
                1 => proptest::sample::select(TZ_VARIANTS.to_vec()),
            ], 1..=2),
            viewer in proptest::option::of(proptest::sample::select(TZ_VARIANTS.to_vec())),
            // Some slots at the same wall time (occurrences at the same instant).
            slots in proptest::collection::vec(
                (0u8..7, prop_oneof![0u32..1440, Just(540)], 1i64..1440, 0usize..2),
                1..=24,
            ),
            from in -2_208_988_800i64..3_155_760_000,
            days in 1i64..=120,
            seconds in 0i64..86_400,
        ) {
            let from = DateTime::from_timestamp(from, 0).unwrap();
            let to = from + TimeDelta::days(days) + TimeDelta::seconds(seconds);
            let (listed, expected) = listed_and_expected(&zones, viewer, &slots, from, to);
            prop_assert_eq!(listed, expected);
        }
    }
}
