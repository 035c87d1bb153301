use super::*;
use crate::Actor;
use chrono::TimeZone;

fn user(kind: u128, n: u128) -> UserId {
    UserId::from_uuid(uuid::Uuid::from_u128((kind << 64) | n))
}
fn teacher() -> UserId {
    user(1, 1)
}
fn student(n: u128) -> UserId {
    user(2, n)
}
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
}

/// A session's decisions, with a clock and fresh ids.
struct Fixture {
    session: GroupSession,
    now: DateTime<Utc>,
    next_id: u128,
    /// The host's word on enrollment for every command.
    enrolled: bool,
}

impl Fixture {
    fn new(capacity: u32, waitlist: bool, mode: WaitlistMode, rules: SchedulingRules) -> Self {
        let new = NewGroupSession {
            teacher_id: teacher(),
            course_id: None,
            title: "Group".into(),
            starts_at: t0() + TimeDelta::days(1),
            time_zone: "Europe/Berlin".into(),
            duration_minutes: 60,
            meeting_link: "https://meet.example.com/g".into(),
            capacity,
            waitlist_enabled: waitlist,
            waitlist_mode: mode,
            rules,
        };
        let ctx = DecisionContext { actor: Actor::Teacher(teacher()), now: t0(), fresh_id: uuid::Uuid::from_u128(1) };
        let (session, _) = create(&ctx, &new, &SchedulingRules::default()).unwrap();
        Self { session, now: t0(), next_id: 100, enrolled: true }
    }

    /// An offer-mode session whose bookings may take every seat.
    fn offer(capacity: u32, hold_minutes: u32) -> Self {
        let rules = SchedulingRules { max_seats_per_booking: Some(capacity), ..SchedulingRules::default() };
        Self::new(capacity, true, WaitlistMode::Offer { hold_minutes }, rules)
    }

    fn run(&mut self, actor: Actor, command: SessionCommand) -> Result<Vec<&'static str>, BookingError> {
        self.next_id += 1;
        let ctx = DecisionContext { actor, now: self.now, fresh_id: uuid::Uuid::from_u128(self.next_id) };
        let (next, events) = decide(&self.session, &ctx, SeatAccess { enrolled: self.enrolled }, &command)?;
        let mut replayed = self.session.clone();
        for e in &events {
            replayed.apply(e);
        }
        assert_eq!(replayed, next, "the next state is the events applied");
        self.session = next;
        Ok(events.iter().map(|e| e.kind.name()).collect())
    }

    fn book(&mut self, n: u128, seats: u32) -> Result<(BookingId, Vec<&'static str>), BookingError> {
        let kinds = self.run(Actor::Student(student(n)), SessionCommand::BookSeat { student_id: student(n), seats })?;
        Ok((BookingId(uuid::Uuid::from_u128(self.next_id)), kinds))
    }

    fn status(&self, id: BookingId) -> SeatStatus {
        self.session.booking(id).unwrap().status
    }
}

fn code(e: BookingError) -> &'static str {
    e.code().as_str()
}

#[test]
fn create_refuses_lesson_rules_and_bad_offer_holds() {
    let base = Fixture::new(3, true, WaitlistMode::Promote, SchedulingRules::default());
    let ctx = DecisionContext { actor: Actor::Teacher(teacher()), now: t0(), fresh_id: uuid::Uuid::from_u128(2) };
    let mut new = NewGroupSession {
        teacher_id: teacher(),
        course_id: None,
        title: "x".into(),
        starts_at: base.session.starts_at,
        time_zone: "UTC".into(),
        duration_minutes: 30,
        meeting_link: "https://meet.example.com/x".into(),
        capacity: 2,
        waitlist_enabled: true,
        waitlist_mode: WaitlistMode::Offer { hold_minutes: 0 },
        rules: SchedulingRules::default(),
    };
    let none = SchedulingRules::default();
    let err = create(&ctx, &new, &none).unwrap_err();
    assert!(err.to_string().contains("hold_minutes"), "{err}");
    new.waitlist_mode = WaitlistMode::Offer { hold_minutes: MAX_OFFER_HOLD_MINUTES + 1 };
    assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
    new.waitlist_mode = WaitlistMode::Offer { hold_minutes: MAX_OFFER_HOLD_MINUTES };
    assert!(create(&ctx, &new, &none).is_ok());
    new.rules = SchedulingRules { buffer_after_minutes: Some(10), ..Default::default() };
    let err = create(&ctx, &new, &none).unwrap_err();
    assert!(err.to_string().contains("buffer_after_minutes"), "{err}");
    new.rules = SchedulingRules { max_lessons_per_day: Some(3), ..Default::default() };
    assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
    new.rules = SchedulingRules { max_advance_days: Some(0), ..Default::default() };
    assert_eq!(code(create(&ctx, &new, &none).unwrap_err()), "invalid_input");
    // The session's own window and cut-off win; the teacher's fill the gaps; the teacher's
    // lesson-only rules are dropped; a start sooner than the notice may be created.
    new.rules = SchedulingRules { cancel_cutoff_minutes: Some(60), ..Default::default() };
    let teacher_rules = SchedulingRules {
        cancel_cutoff_minutes: Some(600),
        min_notice_minutes: Some(3 * 24 * 60),
        buffer_before_minutes: Some(5),
        ..Default::default()
    };
    let (s, _) = create(&ctx, &new, &teacher_rules).unwrap();
    assert_eq!(
        s.rules,
        SchedulingRules {
            cancel_cutoff_minutes: Some(60),
            min_notice_minutes: Some(3 * 24 * 60),
            max_seats_per_booking: Some(1),
            ..Default::default()
        },
        "unset everywhere, one seat per booking is recorded"
    );
    // Seats per booking: the session's own, else the teacher's, else 1; 0 is refused.
    let teacher_rules = SchedulingRules { max_seats_per_booking: Some(4), ..Default::default() };
    assert_eq!(create(&ctx, &new, &teacher_rules).unwrap().0.rules.max_seats_per_booking, Some(4));
    new.rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
    assert_eq!(create(&ctx, &new, &teacher_rules).unwrap().0.rules.max_seats_per_booking, Some(2));
    new.rules = SchedulingRules { max_seats_per_booking: Some(0), ..Default::default() };
    let err = create(&ctx, &new, &none).unwrap_err();
    assert!(err.to_string().contains("max_seats_per_booking"), "{err}");
}

#[test]
fn one_booking_takes_at_most_the_seats_per_booking() {
    let mut f = Fixture::new(4, true, WaitlistMode::Promote, SchedulingRules::default());
    let before = f.session.clone();
    let e = f.book(1, 2).unwrap_err();
    assert!(matches!(&e, BookingError::LimitReached { max: 1, .. }), "{e}");
    assert_eq!(f.session, before, "a refusal changes nothing");
    assert_eq!(code(f.book(1, 5).unwrap_err()), "invalid_input", "the capacity is checked first");
    let rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
    let mut f = Fixture::new(3, true, WaitlistMode::Promote, rules);
    f.book(1, 2).unwrap();
    assert_eq!(code(f.book(2, 3).unwrap_err()), "limit_reached", "also on the waitlist");
    let (w, _) = f.book(2, 2).unwrap();
    assert_eq!(f.status(w), SeatStatus::Waitlisted);
    // A session stored before the rule existed records no limit: the capacity bounds it.
    f.session.rules.max_seats_per_booking = None;
    f.book(3, 3).unwrap();
}

#[test]
fn multi_seat_bookings_are_all_or_nothing_and_wait_as_one() {
    let rules = SchedulingRules { max_seats_per_booking: Some(3), ..Default::default() };
    let mut f = Fixture::new(4, true, WaitlistMode::Promote, rules);
    assert_eq!(code(f.book(1, 0).unwrap_err()), "invalid_input");
    assert_eq!(code(f.book(1, 5).unwrap_err()), "invalid_input");
    assert_eq!(code(f.book(1, 4).unwrap_err()), "limit_reached");
    let (a, kinds) = f.book(1, 3).unwrap();
    assert_eq!((f.status(a), kinds), (SeatStatus::Confirmed, vec!["booking_confirmed"]));
    assert_eq!((f.session.booked_seats(), f.session.remaining_seats()), (3, 1));
    // Two seats do not fit in one: the group waits as one.
    let (b, _) = f.book(2, 2).unwrap();
    assert_eq!(f.status(b), SeatStatus::Waitlisted);
    assert_eq!((f.session.waitlisted_count(), f.session.waitlisted_seats()), (1, 2));
    // Strict FIFO: one seat is free, but the group is ahead.
    let (c, _) = f.book(3, 1).unwrap();
    assert_eq!(f.status(c), SeatStatus::Waitlisted);
    assert_eq!(f.session.availability(f.now), BookingAvailability::WaitlistOnly);
    // Capacity below the seats taken is refused.
    assert_eq!(
        code(f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 2 }).unwrap_err()),
        "capacity_below_booked"
    );
    // Freeing 3 seats serves the group (2) and then the single (1).
    let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled", "booking_promoted", "booking_promoted"]);
    assert_eq!((f.status(b), f.status(c), f.session.booked_seats()), (SeatStatus::Confirmed, SeatStatus::Confirmed, 3));
}

#[test]
fn a_waiting_group_blocks_without_a_waitlist_and_closes_the_session() {
    let rules = SchedulingRules { max_seats_per_booking: Some(2), ..Default::default() };
    let mut f = Fixture::new(3, true, WaitlistMode::Promote, rules);
    f.book(1, 2).unwrap();
    let (g, _) = f.book(2, 2).unwrap();
    assert!(!f.session.is_closed_for_booking());
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: false }).unwrap();
    assert_eq!(kinds, vec!["waitlist_changed", "session_closed"], "a seat is free but the group waits ahead");
    assert_eq!(code(f.book(3, 1).unwrap_err()), "session_full");
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 4 }).unwrap();
    assert_eq!(kinds, vec!["capacity_changed", "booking_promoted"], "still closed: every seat taken");
    assert_eq!(f.status(g), SeatStatus::Confirmed);
    assert!(f.session.is_closed_for_booking());
}

#[test]
fn the_booking_window_governs_seats() {
    let rules = SchedulingRules { min_notice_minutes: Some(120), ..Default::default() };
    let mut f = Fixture::new(2, true, WaitlistMode::Promote, rules);
    f.now = f.session.starts_at - TimeDelta::minutes(119);
    let e = f.book(1, 1).unwrap_err();
    assert_eq!(code(e), "outside_booking_window");
    f.now = f.session.starts_at - TimeDelta::minutes(120);
    f.book(1, 1).unwrap();
    let rules = SchedulingRules { max_advance_days: Some(1), ..Default::default() };
    let mut f = Fixture::new(2, true, WaitlistMode::Promote, rules);
    f.now = f.session.starts_at - TimeDelta::days(1) - TimeDelta::seconds(1);
    assert_eq!(code(f.book(1, 1).unwrap_err()), "outside_booking_window");
    f.now += TimeDelta::seconds(1);
    f.book(1, 1).unwrap();
    // Authorization and input come first.
    assert_eq!(
        code(
            f.run(Actor::Student(student(2)), SessionCommand::BookSeat { student_id: student(3), seats: 1 })
                .unwrap_err()
        ),
        "not_authorized"
    );
}

#[test]
fn the_cancel_cutoff_binds_students_and_records_overrides() {
    let rules = SchedulingRules { cancel_cutoff_minutes: Some(24 * 60), ..Default::default() };
    let mut f = Fixture::new(1, true, WaitlistMode::Promote, rules);
    let (a, _) = f.book(1, 1).unwrap();
    let (w, _) = f.book(2, 1).unwrap();
    let (x, _) = f.book(3, 1).unwrap();
    f.now = f.session.starts_at - TimeDelta::hours(2);
    let e = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap_err();
    assert!(matches!(&e, BookingError::CutoffPassed { action, .. } if action == "cancelled"), "{e}");
    // Leaving the queue is not bound by the cut-off.
    f.run(Actor::Student(student(3)), SessionCommand::CancelBooking { booking_id: x }).unwrap();
    let ctx = DecisionContext { actor: Actor::Teacher(teacher()), now: f.now, fresh_id: uuid::Uuid::from_u128(7) };
    let (_, events) =
        decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert!(matches!(events[0].kind, EventKind::BookingCancelled { cutoff_overridden: true, .. }));
    assert!(matches!(events[1].kind, EventKind::BookingPromoted { booking_id, .. } if booking_id == w));
    // Cancelling the session is not an override.
    let (_, events) = decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelSession).unwrap();
    assert!(events.iter().all(|e| !matches!(e.kind, EventKind::BookingCancelled { cutoff_overridden: true, .. })));
    // Before the cut-off the student may.
    f.now = f.session.starts_at - TimeDelta::hours(25);
    let ctx = DecisionContext { actor: Actor::Student(student(1)), now: f.now, fresh_id: uuid::Uuid::from_u128(8) };
    let (_, events) =
        decide(&f.session, &ctx, SeatAccess::default(), &SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert!(matches!(events[0].kind, EventKind::BookingCancelled { cutoff_overridden: false, .. }));
}

#[test]
fn offers_are_made_accepted_declined_and_expire_lazily() {
    let mut f = Fixture::offer(1, 60);
    let (a, _) = f.book(1, 1).unwrap();
    let (b, _) = f.book(2, 1).unwrap();
    let (c, _) = f.book(3, 1).unwrap();
    let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled", "seat_offered"]);
    assert_eq!(f.status(b), SeatStatus::Offered);
    assert_eq!(f.session.booking(b).unwrap().offer_expires_at, Some(f.now + TimeDelta::minutes(60)));
    assert_eq!(f.session.next_offer_deadline(), Some(f.now + TimeDelta::minutes(60)));
    assert!(f.session.is_full(), "an offer holds its seat");
    // A newcomer queues behind; nobody else may accept the offer.
    let (d, _) = f.book(4, 1).unwrap();
    assert_eq!(f.status(d), SeatStatus::Waitlisted);
    assert_eq!(
        code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: b }).unwrap_err()),
        "not_authorized"
    );
    assert_eq!(
        code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err()),
        "invalid_transition"
    );
    // Declining passes the seat on.
    let kinds = f.run(Actor::Student(student(2)), SessionCommand::DeclineOffer { booking_id: b }).unwrap();
    assert_eq!(kinds, vec!["offer_declined", "seat_offered"]);
    assert_eq!((f.status(b), f.status(c)), (SeatStatus::Cancelled, SeatStatus::Offered));
    // At the deadline the offer expires before the command: accepting late is refused.
    f.now += TimeDelta::minutes(60);
    let e = f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err();
    assert!(
        matches!(e, BookingError::OfferExpired { booking_id, expired_at } if booking_id == c && expired_at == f.now)
    );
    // Any command stores the expiry and the next offer, its own events after them.
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: false }).unwrap();
    assert_eq!(kinds, vec!["offer_expired", "seat_offered", "waitlist_changed", "session_closed"]);
    assert_eq!((f.status(c), f.status(d)), (SeatStatus::Expired, SeatStatus::Offered));
    assert_eq!(
        code(f.run(Actor::Student(student(3)), SessionCommand::AcceptOffer { booking_id: c }).unwrap_err()),
        "offer_expired"
    );
    assert_eq!(
        code(f.run(Actor::Student(student(3)), SessionCommand::DeclineOffer { booking_id: c }).unwrap_err()),
        "offer_expired"
    );
    // The expired student may book again, at the back.
    f.run(Actor::Teacher(teacher()), SessionCommand::SetWaitlist { enabled: true }).unwrap();
    let (c2, _) = f.book(3, 1).unwrap();
    assert_eq!(f.status(c2), SeatStatus::Waitlisted);
    let kinds = f.run(Actor::Student(student(4)), SessionCommand::AcceptOffer { booking_id: d }).unwrap();
    assert_eq!(kinds, vec!["offer_accepted"]);
    assert_eq!((f.status(d), f.session.booking(d).unwrap().offer_expires_at), (SeatStatus::Confirmed, None));
    assert_eq!(
        code(f.run(Actor::Student(student(4)), SessionCommand::AcceptOffer { booking_id: d }).unwrap_err()),
        "invalid_transition"
    );
}

#[test]
fn expire_offers_command_and_no_offers_from_the_start() {
    let mut f = Fixture::offer(2, 7 * 24 * 60);
    let (a, _) = f.book(1, 2).unwrap();
    let (b, _) = f.book(2, 1).unwrap();
    let (c, _) = f.book(3, 1).unwrap();
    f.now = f.session.starts_at - TimeDelta::hours(1);
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled", "seat_offered", "seat_offered"], "two singles fit in two seats");
    assert_eq!(f.session.booking(b).unwrap().offer_expires_at, Some(f.session.starts_at), "never beyond the start");
    assert_eq!(code(f.run(Actor::Student(student(1)), SessionCommand::ExpireOffers).unwrap_err()), "not_authorized");
    assert_eq!(f.run(Actor::System, SessionCommand::ExpireOffers).unwrap(), Vec::<&str>::new(), "nothing due yet");
    f.now = f.session.starts_at;
    let kinds = f.run(Actor::System, SessionCommand::ExpireOffers).unwrap();
    assert_eq!(kinds, vec!["offer_expired", "offer_expired"], "no new offers at the start");
    assert_eq!((f.status(b), f.status(c)), (SeatStatus::Expired, SeatStatus::Expired));
    assert_eq!(f.session.next_offer_deadline(), None);
    // Attendance cannot mark an expired booking.
    assert_eq!(
        code(
            f.run(Actor::Teacher(teacher()), SessionCommand::MarkAttendance { booking_id: b, attended: true })
                .unwrap_err()
        ),
        "invalid_transition"
    );
}

#[test]
fn offers_follow_strict_fifo_and_capacity_increases() {
    let mut f = Fixture::offer(2, 30);
    f.book(1, 2).unwrap();
    assert_eq!(code(f.book(2, 3).unwrap_err()), "invalid_input", "3 seats are more than the capacity");
    let (g, _) = f.book(2, 2).unwrap();
    let (s, _) = f.book(3, 1).unwrap();
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 3 }).unwrap();
    assert_eq!(kinds, vec!["capacity_changed"], "the group of 2 does not fit in 1 and blocks the single");
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 5 }).unwrap();
    assert_eq!(kinds, vec!["capacity_changed", "seat_offered", "seat_offered"]);
    assert_eq!((f.status(g), f.status(s), f.session.booked_seats()), (SeatStatus::Offered, SeatStatus::Offered, 5));
    assert_eq!(
        code(f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 4 }).unwrap_err()),
        "capacity_below_booked"
    );
    // Cancelling an offered booking frees its seats like leaving the queue.
    let kinds = f.run(Actor::Student(student(2)), SessionCommand::CancelBooking { booking_id: g }).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled"]);
    assert_eq!(f.session.availability(f.now), BookingAvailability::Open);
    let (n, _) = f.book(4, 2).unwrap();
    assert_eq!(f.status(n), SeatStatus::Confirmed, "free seats nobody waits for go to a newcomer");
    let kinds = f.run(Actor::Teacher(teacher()), SessionCommand::CancelSession).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled", "booking_cancelled", "booking_cancelled", "session_cancelled"]);
    assert_eq!(f.session.next_offer_deadline(), None);
}

#[test]
fn a_course_session_seats_only_enrolled_students() {
    let mut f = Fixture::offer(1, 60);
    let course = CourseId::from_uuid(uuid::Uuid::from_u128(9));
    f.session.course_id = Some(course);
    let (a, _) = f.book(1, 1).unwrap();
    let (b, _) = f.book(2, 1).unwrap();
    f.enrolled = false;
    let e = f.book(3, 1).unwrap_err();
    assert!(
        matches!(e, BookingError::NotEnrolled { student_id, course_id } if student_id == student(3) && course_id == course)
    );
    let e = f.run(Actor::System, SessionCommand::BookSeat { student_id: student(3), seats: 1 }).unwrap_err();
    assert_eq!(code(e), "not_enrolled", "an admin or the system books under the same rule");
    // Cancelling and offering need no enrollment; accepting does, whoever accepts.
    let kinds = f.run(Actor::Student(student(1)), SessionCommand::CancelBooking { booking_id: a }).unwrap();
    assert_eq!(kinds, vec!["booking_cancelled", "seat_offered"]);
    let e = f.run(Actor::Teacher(teacher()), SessionCommand::AcceptOffer { booking_id: b }).unwrap_err();
    assert_eq!(code(e), "not_enrolled");
    f.enrolled = true;
    f.run(Actor::Student(student(2)), SessionCommand::AcceptOffer { booking_id: b }).unwrap();
    // Without a course nobody is asked.
    f.session.course_id = None;
    f.enrolled = false;
    f.run(Actor::Teacher(teacher()), SessionCommand::ChangeCapacity { capacity: 2 }).unwrap();
    f.book(4, 1).unwrap();
}
