//! Creating a group session: the checks of what a teacher fills in.

use super::*;

/// Validates `new` and creates the session it describes (version 1, no bookings), with its
/// `SessionCreated` event. Pure: nothing is stored.
///
/// ```
/// use booking_core::{group, Actor, NewGroupSession, UserId};
/// use booking_core::group::DecisionContext;
/// use chrono::{TimeZone, Utc};
/// let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// let ctx = DecisionContext {
///     actor: Actor::Teacher(teacher),
///     now: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
///     fresh_id: uuid::Uuid::from_u128(2),
/// };
/// let mut new = NewGroupSession {
///     teacher_id: teacher, course_id: None, title: "Algebra".into(),
///     starts_at: Utc.with_ymd_and_hms(2030, 1, 8, 16, 0, 0).unwrap(),
///     time_zone: "America/New_York".into(), duration_minutes: 45,
///     meeting_link: "https://meet.example.com/algebra".into(), capacity: 5, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
/// };
/// let (session, events) = group::create(&ctx, &new, &Default::default()).unwrap();
/// assert_eq!(session.remaining_seats(), 5);
/// assert_eq!(events[0].kind.name(), "session_created");
///
/// new.capacity = 0;
/// assert_eq!(group::create(&ctx, &new, &Default::default()).unwrap_err().code().as_str(), "invalid_input");
/// ```
pub fn create(
    ctx: &DecisionContext,
    new: &NewGroupSession,
    teacher_rules: &SchedulingRules,
) -> Result<(GroupSession, Vec<Event>), BookingError> {
    if !ctx.actor.acts_for_teacher(new.teacher_id) {
        return Err(BookingError::not_authorized(format!(
            "{} cannot create a session for teacher {}",
            ctx.actor, new.teacher_id
        )));
    }
    let title = crate::text::check_text("title", &new.title, crate::text::TextKind::SingleLine)?;
    let title = title.trim();
    if title.is_empty() {
        return Err(BookingError::invalid("title", "must not be empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(BookingError::invalid("title", format!("longer than {MAX_TITLE_CHARS} characters")));
    }
    let time_zone = parse_time_zone(&new.time_zone)?;
    check_duration(new.duration_minutes)?;
    check_capacity(new.capacity)?;
    let meeting_link = MeetingLink::parse(&new.meeting_link)?;
    check_session_rules(&new.rules)?;
    let mut rules = new.rules.or(teacher_rules).for_sessions();
    rules.validate()?;
    // The limit in force is recorded, so it stays what the session was created with.
    rules.max_seats_per_booking.get_or_insert(crate::rules::DEFAULT_MAX_SEATS_PER_BOOKING);
    check_waitlist_mode(new.waitlist_mode)?;
    if new.starts_at <= ctx.now {
        return Err(BookingError::StartInPast { starts_at: new.starts_at, now: ctx.now });
    }
    if new.starts_at > ctx.now + TimeDelta::days(MAX_DAYS_AHEAD) {
        return Err(BookingError::invalid("starts_at", format!("more than {MAX_DAYS_AHEAD} days ahead")));
    }
    let session = GroupSession {
        id: SessionId(ctx.fresh_id),
        teacher_id: new.teacher_id,
        course_id: new.course_id,
        title: title.to_owned(),
        starts_at: new.starts_at,
        time_zone,
        duration_minutes: new.duration_minutes,
        meeting_link,
        capacity: new.capacity,
        waitlist_enabled: new.waitlist_enabled,
        waitlist_mode: new.waitlist_mode,
        rules,
        created_at: ctx.now,
        cancelled_at: None,
        version: 1,
        bookings: Vec::new(),
    };
    let events = vec![ctx.event(EventKind::SessionCreated { session: Box::new(session.clone()) })];
    Ok((session, events))
}

/// Longest seat offer, in minutes (a week).
pub const MAX_OFFER_HOLD_MINUTES: u32 = 7 * 24 * 60;

/// A session's own rules: valid, and only the fields that apply to seats (the booking window,
/// the cancellation cut-off and the seats per booking).
pub(super) fn check_session_rules(rules: &SchedulingRules) -> Result<(), BookingError> {
    rules.validate()?;
    let lesson_only = [
        ("buffer_before_minutes", rules.buffer_before_minutes),
        ("buffer_after_minutes", rules.buffer_after_minutes),
        ("reschedule_cutoff_minutes", rules.reschedule_cutoff_minutes),
        ("max_lessons_per_day", rules.max_lessons_per_day),
        ("max_lessons_per_week", rules.max_lessons_per_week),
        ("max_upcoming_lessons_per_student", rules.max_upcoming_lessons_per_student),
    ];
    match lesson_only.iter().find(|(_, v)| v.is_some()) {
        Some((field, _)) => Err(BookingError::invalid(
            *field,
            "applies to 1:1 lessons only; a group session takes a booking window, a cancellation cut-off and seats per booking",
        )),
        None => Ok(()),
    }
}

pub(super) fn check_waitlist_mode(mode: WaitlistMode) -> Result<(), BookingError> {
    match mode {
        WaitlistMode::Offer { hold_minutes } if hold_minutes == 0 || hold_minutes > MAX_OFFER_HOLD_MINUTES => {
            Err(BookingError::invalid(
                "hold_minutes",
                format!("must be between 1 and {MAX_OFFER_HOLD_MINUTES}, got {hold_minutes}"),
            ))
        }
        _ => Ok(()),
    }
}

pub(super) fn check_capacity(capacity: u32) -> Result<(), BookingError> {
    if capacity == 0 || capacity > MAX_CAPACITY {
        return Err(BookingError::invalid("capacity", format!("must be between 1 and {MAX_CAPACITY}, got {capacity}")));
    }
    Ok(())
}

pub(super) fn check_duration(minutes: u32) -> Result<(), BookingError> {
    if minutes == 0 || minutes > MAX_DURATION_MINUTES {
        return Err(BookingError::invalid(
            "duration_minutes",
            format!("must be between 1 and {MAX_DURATION_MINUTES}, got {minutes}"),
        ));
    }
    Ok(())
}
