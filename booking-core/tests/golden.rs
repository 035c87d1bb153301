//! Golden trace: every command run once (and a few refusals) through the engine over the
//! reference document store, with fixed ids and a fixed clock. The JSON of each receipt, each
//! error and every stored document is compared with `tests/golden/engine_trace.txt`, so a
//! refactor proves it changed no command, outcome, event, request record or document.
//!
//! Regenerate (only for an intended change) with `BLESS=1 cargo test -p booking-core --test golden`.

use booking_core::availability::{SlotRecurrence, TimeOffSpec};
use booking_core::document::{DocumentRepository, MemoryDocumentStore};
use booking_core::lesson::{ApprovalSettings, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec};
use booking_core::*;
use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::fmt::Write as _;
use std::sync::Arc;

fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(n))
}

struct Trace {
    out: String,
    step: u32,
}

impl Trace {
    fn record<T: serde::Serialize>(&mut self, what: &str, result: Result<Receipt<T>, BookingError>) -> Option<T> {
        self.step += 1;
        match result {
            Ok(receipt) => {
                writeln!(self.out, "{} {what} ok {}", self.step, serde_json::to_string(&receipt).unwrap()).unwrap();
                Some(receipt.value)
            }
            Err(error) => {
                writeln!(self.out, "{} {what} err {}", self.step, serde_json::to_string(&error).unwrap()).unwrap();
                None
            }
        }
    }
}

fn monday_slot(course: Option<CourseId>, hour: u32) -> SlotSpec {
    SlotSpec {
        course_id: course,
        time_zone: "Europe/Paris".into(),
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(hour + 1, 0, 0).unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            valid_until: None,
        },
        active: true,
        rules: SchedulingRules::default(),
    }
}

#[test]
fn every_command_produces_the_recorded_json() {
    let now = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let store = Arc::new(MemoryDocumentStore::new());
    let engine = Engine::new(DocumentRepository::new(Arc::clone(&store)))
        .with_clock(Arc::clone(&clock))
        .with_ids(SequentialIds::starting_after(0));
    let (teacher, ana, ben, cleo) = (user(1), user(2), user(3), user(4));
    let course = CourseId::from_uuid(uuid::Uuid::from_u128(50));
    store.enroll(ana, course);
    store.set_approval_settings(course, teacher, ApprovalSettings { course: Some(true), teacher_override: None });
    let t = Actor::Teacher(teacher);
    let mut trace = Trace { out: String::new(), step: 0 };
    let key = |n: u32| format!("k{n}");

    // Group sessions.
    let new = |capacity, mode| NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Chess".into(),
        starts_at: Utc.with_ymd_and_hms(2030, 1, 3, 17, 0, 0).unwrap(),
        time_zone: "Europe/Paris".into(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/chess".into(),
        capacity,
        waitlist_enabled: true,
        waitlist_mode: mode,
        rules: Default::default(),
    };
    let session = trace
        .record(
            "create_session",
            engine.create_session(t.with_key(key(1)), new(1, WaitlistMode::Offer { hold_minutes: 30 })),
        )
        .unwrap();
    trace.record(
        "create_session replay",
        engine.create_session(t.with_key(key(1)), new(1, WaitlistMode::Offer { hold_minutes: 30 })),
    );
    trace.record(
        "key reused",
        engine.create_session(t.with_key(key(1)), new(2, WaitlistMode::Offer { hold_minutes: 30 })),
    );
    let a = trace.record("book_seat", engine.book_seat(Actor::Student(ana).with_key(key(2)), session.id, ana)).unwrap();
    let b = trace.record("book_seat", engine.book_seat(Actor::Student(ben).with_key(key(3)), session.id, ben)).unwrap();
    let c = trace.record("book_seat", engine.book_seat(Actor::Student(cleo), session.id, cleo)).unwrap();
    trace.record("book_seat again", engine.book_seat(Actor::Student(ana), session.id, ana));
    trace.record("cancel_booking", engine.cancel_booking(Actor::Student(ana).with_key(key(4)), a.id));
    trace.record("decline_offer", engine.decline_offer(Actor::Student(ben), b.id));
    trace.record("accept_offer", engine.accept_offer(Actor::Student(cleo), c.id));
    trace.record("cancel_booking teacher", engine.cancel_booking(t, b.id));
    clock.advance(TimeDelta::minutes(31));
    let sweep = engine.process_expired_offers(clock.now()).unwrap();
    writeln!(trace.out, "sweep {}", serde_json::to_string(&sweep.events).unwrap()).unwrap();
    trace.record("change_capacity", engine.change_capacity(t.with_key(key(5)), session.id, 3));
    trace.record("change_capacity same", engine.change_capacity(t, session.id, 3));
    trace.record("set_waitlist", engine.set_waitlist(t, session.id, false));
    trace.record("book_seats", engine.book_seats(Actor::Student(ben), session.id, ben, 2));
    trace.record("execute expire_offers", engine.execute(t, Command::ExpireOffers { session_id: session.id }));
    clock.set(Utc.with_ymd_and_hms(2030, 1, 3, 17, 30, 0).unwrap());
    trace.record("mark_attendance", engine.mark_attendance(t.with_key(key(6)), c.id, true));
    clock.set(now + TimeDelta::hours(1));
    let other = trace
        .record(
            "create_session",
            engine.create_session(t, {
                let mut s = new(2, WaitlistMode::Promote);
                s.starts_at = Utc.with_ymd_and_hms(2030, 1, 4, 17, 0, 0).unwrap();
                s
            }),
        )
        .unwrap();
    trace.record("cancel_session", engine.cancel_session(t.with_key(key(7)), other.id));

    // Lessons.
    let slot =
        trace.record("publish_slot", engine.publish_slot(t.with_key(key(8)), teacher, monday_slot(None, 10))).unwrap();
    let course_slot =
        trace.record("publish_slot", engine.publish_slot(t, teacher, monday_slot(Some(course), 14))).unwrap();
    let spare = trace.record("publish_slot", engine.publish_slot(t, teacher, monday_slot(None, 16))).unwrap();
    trace.record("update_slot", engine.update_slot(t.with_key(key(9)), spare.id, monday_slot(None, 17)));
    trace.record("set_slot_active", engine.set_slot_active(t, spare.id, false));
    trace.record("set_slot_active", engine.set_slot_active(t, spare.id, true));
    trace.record("publish_slot refused", engine.publish_slot(Actor::Student(ana), teacher, monday_slot(None, 8)));
    let monday =
        |weeks: i64, hour: u32| Utc.with_ymd_and_hms(2030, 1, 7, hour - 1, 0, 0).unwrap() + TimeDelta::weeks(weeks);
    let lesson = trace
        .record("book_lesson", engine.book_lesson(Actor::Student(ana).with_key(key(10)), slot.id, monday(0, 10), ana))
        .unwrap();
    trace.record("book_lesson taken", engine.book_lesson(Actor::Student(ben), slot.id, monday(0, 10), ben));
    let pending = trace
        .record("book_lesson pending", engine.book_lesson(Actor::Student(ana), course_slot.id, monday(0, 14), ana))
        .unwrap();
    trace.record(
        "approve_lesson",
        engine.approve_lesson(t.with_key(key(11)), pending.id, Some("https://meet.example.com/x".into())),
    );
    let pending2 = trace
        .record("book_lesson pending", engine.book_lesson(Actor::Student(ana), course_slot.id, monday(1, 14), ana))
        .unwrap();
    trace.record("decline_lesson", engine.decline_lesson(t, pending2.id, Some("Busy\nsorry".into())));
    let series = trace
        .record(
            "book_series",
            engine.book_series(
                Actor::Student(ben).with_key(key(12)),
                SeriesRequest {
                    slot_id: slot.id,
                    student_id: ben,
                    first_starts_at: monday(1, 10),
                    every_weeks: 1,
                    end: SeriesEnd::Count(4),
                    mode: SeriesMode::BookAvailable,
                },
            ),
        )
        .unwrap();
    let series_pending = trace
        .record(
            "book_series approval",
            engine.book_series(
                Actor::Student(ana),
                SeriesRequest {
                    slot_id: course_slot.id,
                    student_id: ana,
                    first_starts_at: monday(2, 14),
                    every_weeks: 2,
                    end: SeriesEnd::Until(NaiveDate::from_ymd_opt(2030, 3, 1).unwrap()),
                    mode: SeriesMode::AllOrNothing,
                },
            ),
        )
        .unwrap();
    trace.record("approve series", engine.approve_lesson(t, series_pending.lessons[0].id, None));
    trace.record(
        "set_meeting_link",
        engine.set_meeting_link(t.with_key(key(13)), lesson.id, "https://meet.example.com/l".to_owned()),
    );
    trace.record(
        "reschedule_lesson",
        engine.reschedule_lesson(Actor::Student(ana).with_key(key(14)), lesson.id, spare.id, monday(0, 17)),
    );
    trace.record("cancel_lesson", engine.cancel_lesson(Actor::Student(ben), series.lessons[0].id));
    trace.record(
        "cancel_series_from",
        engine.cancel_series_from(Actor::Student(ben).with_key(key(15)), series.lessons[2].id),
    );
    trace.record("cancel_lesson not found", engine.cancel_lesson(Actor::Student(ben), c.id));
    trace.record(
        "set_scheduling_rules",
        engine.set_scheduling_rules(
            t.with_key(key(16)),
            teacher,
            Some(course),
            SchedulingRules { min_notice_minutes: Some(60), ..Default::default() },
        ),
    );
    trace.record(
        "set_scheduling_rules default",
        engine.set_scheduling_rules(
            t,
            teacher,
            None,
            SchedulingRules { max_advance_days: Some(300), ..Default::default() },
        ),
    );
    let off = trace
        .record(
            "add_time_off",
            engine.add_time_off(
                t.with_key(key(17)),
                teacher,
                TimeOffSpec {
                    first_day: NaiveDate::from_ymd_opt(2030, 2, 1).unwrap(),
                    last_day: NaiveDate::from_ymd_opt(2030, 2, 3).unwrap(),
                    time_zone: "Europe/Paris".into(),
                    note: Some("Holiday".into()),
                },
            ),
        )
        .unwrap();
    trace.record("remove_time_off", engine.remove_time_off(t.with_key(key(18)), teacher, off.id));
    trace.record("remove_time_off again", engine.remove_time_off(t, teacher, off.id));
    clock.set(monday(0, 17) + TimeDelta::minutes(10));
    trace.record("mark_lesson_attendance", engine.mark_lesson_attendance(t.with_key(key(19)), lesson.id, false));
    trace.record(
        "execute cancel_lesson",
        engine.execute(t, Command::CancelLesson { booking_id: pending.id, and_later_in_series: false }),
    );

    let keyed = [(t, 1), (Actor::Student(ana), 2), (Actor::Student(ben), 3), (Actor::Student(ana), 4)]
        .into_iter()
        .chain([5, 6, 7, 8, 9, 11, 13, 16, 17, 18, 19].map(|n| (t, n)))
        .chain([
            (Actor::Student(ana), 10),
            (Actor::Student(ben), 12),
            (Actor::Student(ana), 14),
            (Actor::Student(ben), 15),
        ]);
    for (actor, n) in keyed {
        let record = engine.repository().load_request(&actor, &RequestKey::new(key(n)).unwrap()).unwrap();
        writeln!(trace.out, "request k{n} {}", serde_json::to_string(&record).unwrap()).unwrap();
    }
    for (key, document) in store.documents() {
        writeln!(trace.out, "document {} {} {}", serde_json::to_string(&key).unwrap(), document.version, document.body)
            .unwrap();
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/engine_trace.txt");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &trace.out).unwrap();
    }
    let expected = std::fs::read_to_string(path).expect("the golden file (BLESS=1 writes it)");
    for (n, (got, want)) in trace.out.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {} differs", n + 1);
    }
    assert_eq!(trace.out.lines().count(), expected.lines().count());
}
