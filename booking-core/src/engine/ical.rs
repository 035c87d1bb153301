//! The engine's iCalendar exports (the formatting is [`crate::ical`]'s).

use super::Engine;
use crate::{
    Actor, BookingError, BookingId, SessionId,
    repository::{BookingLocation, Repository},
};

/// iCalendar export of what the engine stores; see the [`ical`](crate::ical) module.
impl<R: Repository> Engine<R> {
    /// The group session as an iCalendar file (the teacher's view); `DTSTAMP` is the engine
    /// clock's now. For whoever may read the whole session ([`Engine::session`]: its teacher,
    /// an admin, the system); a student exports their seat with
    /// [`booking_ical`](Self::booking_ical). Errors: `session_not_found`, `not_authorized`, or
    /// the store's.
    ///
    /// ```
    /// # use booking_core::*;
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// let ics = engine.session_ical(Actor::Teacher(teacher), session.id)?;
    /// assert!(ics.contains("STATUS:CONFIRMED\r\n"));
    /// engine.cancel_session(Actor::Teacher(teacher), session.id)?;
    /// let ics = engine.session_ical(Actor::Teacher(teacher), session.id)?;
    /// assert!(ics.contains("STATUS:CANCELLED\r\n") && ics.contains("SEQUENCE:1\r\n"));
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn session_ical(&self, actor: Actor, session_id: SessionId) -> Result<String, BookingError> {
        Ok(self.ical_options().session(&*self.session(actor, session_id)?, self.now()))
    }

    /// One booking as an iCalendar file, `DTSTAMP` the engine clock's now: a seat booking as
    /// [`ical::seat_booking`](crate::ical::seat_booking) (its session as the student sees it), a lesson as
    /// [`ical::lesson`](crate::ical::lesson). For whoever may read the booking (its student,
    /// its teacher, an admin, the system). Errors: `booking_not_found`, `not_authorized`, or
    /// the store's.
    ///
    /// ```
    /// # use booking_core::*;
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let (teacher, ana, ben) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)), UserId::from_uuid(uuid::Uuid::from_u128(3)));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 1, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// engine.book_seat(Actor::Student(ana), session.id, ana)?;
    /// let waiting = engine.book_seat(Actor::Student(ben), session.id, ben)?.value;
    /// let ics = engine.booking_ical(Actor::Student(ben), waiting.id)?;
    /// assert!(ics.contains("STATUS:TENTATIVE\r\n") && ics.contains("DESCRIPTION:On the waitlist.\r\n"));
    /// let refused = engine.booking_ical(Actor::Student(ana), waiting.id).unwrap_err();
    /// assert_eq!(refused.code(), ErrorCode::NotAuthorized);
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn booking_ical(&self, actor: Actor, booking_id: BookingId) -> Result<String, BookingError> {
        let now = self.now();
        match self.repository().locate_booking(booking_id)? {
            Some(BookingLocation::Session(_)) => {
                let (session, booking) = self.readable_seat_booking(actor, booking_id)?;
                Ok(self.ical_options().seat_booking(&session, &booking, now))
            }
            Some(BookingLocation::Lesson) => Ok(self.ical_options().lesson(&*self.lesson(actor, booking_id)?, now)),
            None => Err(BookingError::BookingNotFound { id: booking_id }),
        }
    }

    /// Lessons as one iCalendar file, one `VEVENT` each in the order given (an id given twice
    /// is exported once), `DTSTAMP` the engine clock's now: for instance the lessons of a
    /// series. Every lesson must be one `actor` may read ([`Engine::lesson`]). Errors:
    /// `invalid_input` for no ids, `booking_not_found` for an id that is not a lesson (a seat
    /// booking's included), `not_authorized`, or the store's.
    ///
    /// ```
    /// # use booking_core::*;
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// assert_eq!(engine.lessons_ical(Actor::System, &[]).unwrap_err().code().as_str(), "invalid_input");
    /// let unknown = BookingId::from_uuid(uuid::Uuid::from_u128(9));
    /// assert_eq!(engine.lessons_ical(Actor::System, &[unknown]).unwrap_err().code().as_str(), "booking_not_found");
    /// ```
    pub fn lessons_ical(&self, actor: Actor, booking_ids: &[BookingId]) -> Result<String, BookingError> {
        if booking_ids.is_empty() {
            return Err(BookingError::invalid("booking_ids", "name at least one lesson"));
        }
        let mut seen = std::collections::HashSet::with_capacity(booking_ids.len());
        let loaded = booking_ids
            .iter()
            .filter(|id| seen.insert(**id))
            .map(|id| self.lesson(actor, *id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.ical_options().lessons(loaded.iter().map(|l| &**l), self.now()))
    }
}
