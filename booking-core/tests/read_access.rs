//! Who may read what by id: every read takes the asking actor, and a student never reads
//! another student's booking, lesson, calendar or id (see `booking_core::read`).

use booking_core::availability::SlotRecurrence;
use booking_core::lesson::SlotSpec;
use booking_core::read::AgendaStatus;
use booking_core::*;
use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};

fn user(n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128(n))
}

const TEACHER: u128 = 1;
const OTHER_TEACHER: u128 = 2;
const ANA: u128 = 10;
const BEN: u128 = 11;
const CLEO: u128 = 12;

struct Played {
    engine: Engine<InMemoryRepository>,
    session: SessionId,
    ana_seat: BookingId,
    ben_seat: BookingId,
    ana_lesson: BookingId,
    ben_lesson: BookingId,
}

/// A session of one seat (Ana has it, Ben waits) and a lesson each for Ana and Ben.
fn played() -> Played {
    let engine = Engine::new(InMemoryRepository::new())
        .with_clock(ManualClock::new(Utc.with_ymd_and_hms(2030, 3, 1, 8, 0, 0).unwrap()));
    let teacher = Actor::Teacher(user(TEACHER));
    let session = engine
        .create_session(
            teacher,
            NewGroupSession {
                teacher_id: user(TEACHER),
                course_id: None,
                title: "Choir".into(),
                starts_at: Utc.with_ymd_and_hms(2030, 3, 10, 17, 0, 0).unwrap(),
                time_zone: "Europe/Vienna".into(),
                duration_minutes: 60,
                meeting_link: "https://meet.example.com/choir".into(),
                capacity: 1,
                waitlist_enabled: true,
                waitlist_mode: Default::default(),
                rules: Default::default(),
            },
        )
        .unwrap()
        .value
        .id;
    let ana_seat = engine.book_seat(Actor::Student(user(ANA)), session, user(ANA)).unwrap().value.id;
    let ben_seat = engine.book_seat(Actor::Student(user(BEN)), session, user(BEN)).unwrap().value.id;
    let spec = SlotSpec {
        course_id: None,
        time_zone: "Europe/Berlin".into(),
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Tue,
            start_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            end_time: NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(),
            valid_until: None,
        },
        active: true,
        rules: Default::default(),
    };
    let slot = engine.publish_slot(teacher, user(TEACHER), spec).unwrap().value.id;
    let tuesday = Utc.with_ymd_and_hms(2030, 3, 5, 9, 0, 0).unwrap();
    let ana_lesson = engine.book_lesson(Actor::Student(user(ANA)), slot, tuesday, user(ANA)).unwrap().value.id;
    let ben_lesson =
        engine.book_lesson(Actor::Student(user(BEN)), slot, tuesday + TimeDelta::days(7), user(BEN)).unwrap().value.id;
    Played { engine, session, ana_seat, ben_seat, ana_lesson, ben_lesson }
}

fn refused<T: std::fmt::Debug>(what: &str, result: Result<T, BookingError>) {
    match result {
        Err(e) => assert_eq!(e.code(), ErrorCode::NotAuthorized, "{what}: {e}"),
        Ok(v) => panic!("{what}: expected not_authorized, read {v:?}"),
    }
}

fn operators() -> [Actor; 3] {
    [Actor::Teacher(user(TEACHER)), Actor::Admin(user(99)), Actor::System]
}

#[test]
fn a_whole_session_is_for_its_teacher_and_operators() {
    let p = played();
    for actor in operators() {
        assert_eq!(p.engine.session(actor, p.session).unwrap().bookings.len(), 2, "{actor:?}");
        assert!(p.engine.session_ical(actor, p.session).is_ok(), "{actor:?}");
    }
    for actor in [Actor::Student(user(ANA)), Actor::Student(user(CLEO)), Actor::Teacher(user(OTHER_TEACHER))] {
        refused("session", p.engine.session(actor, p.session));
        refused("session_ical", p.engine.session_ical(actor, p.session));
    }
    let unknown = SessionId::from_uuid(uuid::Uuid::from_u128(404));
    assert_eq!(p.engine.session(Actor::System, unknown).unwrap_err().code(), ErrorCode::SessionNotFound);
}

#[test]
fn the_session_its_summary_and_its_roster_agree_on_who_sees_it_whole() {
    let p = played();
    let page = read::PageRequest::first(10);
    let actors = [
        Actor::Teacher(user(TEACHER)),
        Actor::Student(user(TEACHER)), // the teacher, signed in as a student
        Actor::Admin(user(99)),
        Actor::System,
        Actor::Student(user(ANA)),
        Actor::Student(user(CLEO)),
        Actor::Teacher(user(OTHER_TEACHER)),
    ];
    for actor in actors {
        let whole = p.engine.session(actor, p.session).is_ok();
        let summary = p.engine.session_summary(actor, p.session).unwrap();
        // A whole view shows the link without a booking of one's own; others see it only with a seat.
        assert_eq!(whole, summary.own_booking.is_none() && summary.meeting_link.is_some(), "{actor:?}");
        match p.engine.roster(actor, p.session, &page) {
            Ok(roster) => {
                let named = roster.entries.items.iter().filter(|e| e.student_id.is_some()).count();
                let own = usize::from(summary.own_booking.is_some());
                assert_eq!(named, if whole { 2 } else { own }, "{actor:?} reads every student's id exactly when whole");
            }
            Err(e) => {
                assert_eq!(e.code(), ErrorCode::NotAuthorized);
                assert!(!whole && matches!(actor, Actor::Teacher(_)), "{actor:?}: only another teacher is refused");
            }
        }
    }
}

#[test]
fn a_summary_shows_counts_and_only_the_askers_own_booking() {
    let p = played();
    let ana = p.engine.session_summary(Actor::Student(user(ANA)), p.session).unwrap();
    assert_eq!((ana.capacity, ana.seats_taken, ana.seats_remaining, ana.waitlist_length), (1, 1, 0, 1));
    assert_eq!(ana.availability, BookingAvailability::WaitlistOnly);
    let own = ana.own_booking.as_ref().expect("Ana's seat");
    assert_eq!((own.booking_id, own.status), (p.ana_seat, AgendaStatus::Confirmed));
    assert_eq!(ana.meeting_link.as_ref().map(|l| l.as_str()), Some("https://meet.example.com/choir"));

    let ben = p.engine.session_summary(Actor::Student(user(BEN)), p.session).unwrap();
    let own = ben.own_booking.as_ref().expect("Ben's place on the waitlist");
    assert_eq!((own.booking_id, own.status, own.waitlist_position), (p.ben_seat, AgendaStatus::Waitlisted, Some(1)));
    assert!(ben.meeting_link.is_none(), "no link before a seat");

    let cleo = p.engine.session_summary(Actor::Student(user(CLEO)), p.session).unwrap();
    assert!(cleo.own_booking.is_none() && cleo.meeting_link.is_none());
    // Nothing in a student's summary names another student.
    let text = format!("{cleo:?} {ben:?}");
    assert!(!text.contains(&p.ana_seat.to_string()) && !text.contains(&user(ANA).to_string()), "{text}");

    let teacher = p.engine.session_summary(Actor::Teacher(user(TEACHER)), p.session).unwrap();
    assert!(teacher.own_booking.is_none() && teacher.meeting_link.is_some());
    let stranger = p.engine.session_summary(Actor::Teacher(user(OTHER_TEACHER)), p.session).unwrap();
    assert!(stranger.meeting_link.is_none());
}

#[test]
fn a_seat_booking_is_for_its_student_and_the_sessions_teacher() {
    let p = played();
    // Ana reads her own booking in either role (a person's calendar holds what they teach and
    // what they take).
    for actor in operators().into_iter().chain([Actor::Student(user(ANA)), Actor::Teacher(user(ANA))]) {
        assert_eq!(p.engine.seat_booking(actor, p.ana_seat).unwrap().student_id, user(ANA), "{actor:?}");
        assert!(p.engine.booking_ical(actor, p.ana_seat).is_ok(), "{actor:?}");
    }
    for actor in [Actor::Student(user(BEN)), Actor::Teacher(user(OTHER_TEACHER)), Actor::Student(user(OTHER_TEACHER))] {
        refused("seat_booking", p.engine.seat_booking(actor, p.ana_seat));
        refused("booking_ical", p.engine.booking_ical(actor, p.ana_seat));
    }
    // A finished booking, read from the history, is checked the same way.
    p.engine.cancel_booking(Actor::Student(user(ANA)), p.ana_seat).unwrap();
    assert!(p.engine.seat_booking(Actor::Student(user(ANA)), p.ana_seat).is_ok());
    refused("finished seat_booking", p.engine.seat_booking(Actor::Student(user(BEN)), p.ana_seat));
}

#[test]
fn a_lesson_and_a_calendar_are_for_their_people() {
    let p = played();
    for actor in operators().into_iter().chain([Actor::Student(user(ANA))]) {
        assert_eq!(p.engine.lesson(actor, p.ana_lesson).unwrap().student_id, user(ANA), "{actor:?}");
        assert!(p.engine.booking_ical(actor, p.ana_lesson).is_ok(), "{actor:?}");
    }
    for actor in [Actor::Student(user(BEN)), Actor::Teacher(user(OTHER_TEACHER))] {
        refused("lesson", p.engine.lesson(actor, p.ana_lesson));
        refused("booking_ical of a lesson", p.engine.booking_ical(actor, p.ana_lesson));
    }
    // Several lessons: every one must be the reader's.
    assert!(p.engine.lessons_ical(Actor::Teacher(user(TEACHER)), &[p.ana_lesson, p.ben_lesson]).is_ok());
    refused("lessons_ical", p.engine.lessons_ical(Actor::Student(user(ANA)), &[p.ana_lesson, p.ben_lesson]));

    // A calendar is its owner's (as teacher or as student), an admin's or the system's.
    assert_eq!(p.engine.calendar(Actor::Teacher(user(TEACHER)), user(TEACHER)).unwrap().slots.len(), 1);
    assert_eq!(p.engine.calendar(Actor::Student(user(ANA)), user(ANA)).unwrap().holds.len(), 1);
    assert!(p.engine.calendar(Actor::Admin(user(99)), user(ANA)).is_ok());
    refused("another student's calendar", p.engine.calendar(Actor::Student(user(BEN)), user(ANA)));
    refused("a teacher reading a student's calendar", p.engine.calendar(Actor::Teacher(user(TEACHER)), user(ANA)));
    refused("a student reading a teacher's calendar", p.engine.calendar(Actor::Student(user(ANA)), user(TEACHER)));
}
