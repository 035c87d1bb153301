//! The read side of the engine: agendas, the approval queue, rosters, what starts soon, and
//! the outbox (see [`crate::read`] for what each means and who may ask).

use super::*;
use crate::index::{ReadIndex, sort_bound};
use crate::read::{
    AgendaStatus, ApprovalRequest, Page, PageRequest, PageToken, Roster, SessionSummary, StartingItem,
    StudentAgendaItem, TeacherAgendaItem, check_window,
};
use crate::repository::{IndexHit, IndexRange, Indexed, OutboxEntry};

/// The instant bounds of a window as exclusive sort-key bounds: `from` included, `to` not.
fn window_bounds(from: DateTime<Utc>, to: DateTime<Utc>) -> (String, String) {
    // A bare instant sorts before every key at that instant, so "after sort_bound(from)"
    // includes the items at `from` and "before sort_bound(to)" leaves out the ones at `to`.
    (sort_bound(from), sort_bound(to))
}

fn partition(user: UserId) -> String {
    user.as_uuid().hyphenated().to_string()
}

/// Whether `actor` may read what belongs to `owner`: the owner as `as_role`, an admin or the
/// system.
fn may_read(actor: &Actor, owner: UserId, own: fn(&Actor) -> Option<UserId>) -> bool {
    match actor {
        Actor::Admin(_) | Actor::System => true,
        other => own(other) == Some(owner),
    }
}

fn as_student(actor: &Actor) -> Option<UserId> {
    match actor {
        Actor::Student(id) => Some(*id),
        _ => None,
    }
}

fn as_teacher(actor: &Actor) -> Option<UserId> {
    match actor {
        Actor::Teacher(id) => Some(*id),
        _ => None,
    }
}

fn operator(actor: &Actor, what: &str) -> Result<(), BookingError> {
    match actor {
        Actor::Admin(_) | Actor::System => Ok(()),
        _ => Err(BookingError::not_authorized(format!("only an admin or the system may read {what}"))),
    }
}

/// Whether `actor` may read a booking of `student` with `teacher`: either of them (in either
/// role: a person's calendar holds the lessons they teach and the ones they take, and they
/// read both), an admin or the system.
pub(super) fn may_read_booking(actor: Actor, student: UserId, teacher: UserId) -> bool {
    match actor {
        Actor::Admin(_) | Actor::System => true,
        Actor::Student(id) | Actor::Teacher(id) => id == student || id == teacher,
    }
}

/// Who `actor` is to `session`: `None` for its teacher (in either role tag), an admin or the
/// system, who see the whole session; `Some(person)` for anyone else, who sees it without
/// other students' ids. The one rule behind [`Engine::session`], [`Engine::session_summary`]
/// and [`Engine::roster`].
fn session_viewer(actor: Actor, session: &GroupSession) -> Option<UserId> {
    match actor {
        Actor::Admin(_) | Actor::System => None,
        Actor::Teacher(person) | Actor::Student(person) if person == session.teacher_id => None,
        Actor::Teacher(other) | Actor::Student(other) => Some(other),
    }
}

/// The read side of the engine.
impl<R: Repository> Engine<R> {
    /// The session with this id, whole: every booking with its student and the meeting link.
    /// For the session's teacher, an admin or the system; anyone else gets `not_authorized`
    /// and reads [`session_summary`](Self::session_summary) instead (a student's own booking
    /// included). Errors: `session_not_found`, `not_authorized`, or the store's.
    ///
    /// ```
    /// # use booking_core::*;
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let (teacher, ana) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// engine.book_seat(Actor::Student(ana), session.id, ana)?;
    /// assert_eq!(engine.session(Actor::Teacher(teacher), session.id)?.bookings[0].student_id, ana);
    /// let refused = engine.session(Actor::Student(ana), session.id).unwrap_err();
    /// assert_eq!(refused.code(), ErrorCode::NotAuthorized);
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn session(&self, actor: Actor, id: SessionId) -> Result<Arc<GroupSession>, BookingError> {
        let session = self.load_session(id)?;
        match session_viewer(actor, &session) {
            None => Ok(session),
            Some(_) => Err(BookingError::not_authorized(
                "a whole session (every student's booking) is for its teacher and admins: read its summary",
            )),
        }
    }

    /// The session with this id as anyone may see it before booking (any actor): what it is,
    /// its seat counts and whether it takes bookings now, without any student's ids; a student
    /// also sees their own live booking there, and the meeting link once they have their place.
    /// Errors: `session_not_found`, or the store's.
    ///
    /// ```
    /// # use booking_core::*;
    /// # use booking_core::read::AgendaStatus;
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let (teacher, ana, ben) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)), UserId::from_uuid(uuid::Uuid::from_u128(3)));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 1, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// engine.book_seat(Actor::Student(ana), session.id, ana)?;
    /// engine.book_seat(Actor::Student(ben), session.id, ben)?;
    /// let seen = engine.session_summary(Actor::Student(ben), session.id)?;
    /// assert_eq!((seen.seats_remaining, seen.waitlist_length), (0, 1));
    /// let own = seen.own_booking.expect("Ben's booking");
    /// assert_eq!((own.status, own.waitlist_position), (AgendaStatus::Waitlisted, Some(1)));
    /// assert!(seen.meeting_link.is_none()); // not before Ben has his seat
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn session_summary(&self, actor: Actor, id: SessionId) -> Result<SessionSummary, BookingError> {
        let session = self.load_session(id)?;
        Ok(SessionSummary::of_session(&session, session_viewer(actor, &session), self.clock.now()))
    }

    /// The seat booking with this id: a live one from its session, a finished one (cancelled,
    /// declined, expired) from the store's booking history (see [`crate::repository`]). For
    /// its student, the session's teacher, an admin or the system. Errors:
    /// `booking_not_found`, `not_authorized`, or the store's.
    pub fn seat_booking(&self, actor: Actor, id: BookingId) -> Result<SeatBooking, BookingError> {
        Ok(self.readable_seat_booking(actor, id)?.1)
    }

    /// The seat booking `id` with its session, if `actor` may read the booking (its student,
    /// the session's teacher, an admin, the system).
    pub(super) fn readable_seat_booking(
        &self,
        actor: Actor,
        id: BookingId,
    ) -> Result<(Arc<GroupSession>, SeatBooking), BookingError> {
        let (session, booking) = self.find_seat_booking(id)?;
        if !may_read_booking(actor, booking.student_id, session.teacher_id) {
            return Err(BookingError::not_authorized("a seat booking is for its student and the session's teacher"));
        }
        Ok((session, booking))
    }

    /// The lesson with this id. For its student, its teacher, an admin or the system. Errors:
    /// `booking_not_found`, `not_authorized`, or the store's.
    pub fn lesson(&self, actor: Actor, id: BookingId) -> Result<Arc<Lesson>, BookingError> {
        let lesson = self.load_lesson(id)?;
        if !may_read_booking(actor, lesson.student_id, lesson.teacher_id) {
            return Err(BookingError::not_authorized("a lesson is for its student and its teacher"));
        }
        Ok(lesson)
    }

    /// The person's calendar (an empty one if nothing was stored for them yet): their slots,
    /// rules, time off and lessons. For its owner (as teacher or student), an admin or the
    /// system; students find a teacher's free times with
    /// [`list_occurrences`](Self::list_occurrences). Errors: `not_authorized`, or the store's.
    pub fn calendar(&self, actor: Actor, owner: UserId) -> Result<Arc<Calendar>, BookingError> {
        let allowed = match actor {
            Actor::Admin(_) | Actor::System => true,
            Actor::Teacher(id) | Actor::Student(id) => id == owner,
        };
        if !allowed {
            return Err(BookingError::not_authorized("a calendar is for its owner"));
        }
        self.load_calendar(owner)
    }

    /// Pages through one partition of a read index between two exclusive bounds, turning
    /// each listed aggregate into at most one item.
    fn page_of<T>(
        &self,
        index: ReadIndex,
        partition: String,
        (after, before): (String, String),
        page: &PageRequest,
        mut item: impl FnMut(&IndexHit) -> Option<T>,
    ) -> Result<Page<T>, BookingError> {
        let limit = page.checked_limit()?;
        let mut cursor = match &page.after {
            Some(token) if token.as_str() > after.as_str() => token.as_str().to_owned(),
            _ => after,
        };
        let mut items = Vec::new();
        loop {
            let range = IndexRange {
                index,
                partition: partition.clone(),
                after: cursor.clone(),
                before: before.clone(),
                limit: limit + 1,
            };
            let hits = self.repository.read_index(&range)?;
            let exhausted = hits.len() <= limit as usize;
            for hit in &hits {
                if items.len() == limit as usize {
                    // Another entry follows the last one taken.
                    return Ok(Page { items, next: Some(PageToken::new(cursor)) });
                }
                cursor.clone_from(&hit.sort);
                items.extend(item(hit));
            }
            if exhausted {
                return Ok(Page { items, next: None });
            }
        }
    }

    /// A student's agenda: their seat bookings (live ones) and lessons starting in
    /// `[from, to)`, by start, keeping the items whose status is in `statuses` (all when it is
    /// empty). "Upcoming" is a window from now; "past" one that ends now. The student, an
    /// admin or the system may read it.
    ///
    /// ```
    /// use booking_core::read::{AgendaStatus, PageRequest};
    /// use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
    /// use chrono::{Duration, Utc};
    ///
    /// let engine = Engine::new(InMemoryRepository::new());
    /// let teacher = UserId::from_uuid(uuid::Uuid::now_v7());
    /// let (ana, ben) = (UserId::from_uuid(uuid::Uuid::now_v7()), UserId::from_uuid(uuid::Uuid::now_v7()));
    /// let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Choir".into(),
    ///     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
    ///     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    ///     capacity: 1, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?.value;
    /// engine.book_seat(Actor::Student(ana), session.id, ana)?;
    /// engine.book_seat(Actor::Student(ben), session.id, ben)?;
    ///
    /// let (from, to) = (Utc::now(), Utc::now() + Duration::days(7));
    /// let waiting = engine.student_agenda(Actor::Student(ben), ben, from, to, &[AgendaStatus::Waitlisted], &PageRequest::first(10))?;
    /// assert_eq!(waiting.items[0].waitlist_position, Some(1));
    /// assert!(waiting.items[0].meeting_link.is_none()); // only for those with a seat
    /// # Ok::<(), booking_core::BookingError>(())
    /// ```
    pub fn student_agenda(
        &self,
        actor: Actor,
        student_id: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        statuses: &[AgendaStatus],
        page: &PageRequest,
    ) -> Result<Page<StudentAgendaItem>, BookingError> {
        if !may_read(&actor, student_id, as_student) {
            return Err(BookingError::not_authorized("a student's agenda is theirs (or an admin's) to read"));
        }
        check_window(from, to)?;
        let wanted = |item: &StudentAgendaItem| statuses.is_empty() || statuses.contains(&item.status);
        self.page_of(ReadIndex::StudentAgenda, partition(student_id), window_bounds(from, to), page, |hit| {
            let item = match &hit.aggregate {
                Indexed::Session(session) => StudentAgendaItem::of_seat(session, student_id)?,
                Indexed::Lesson(lesson) if lesson.student_id == student_id => StudentAgendaItem::of_lesson(lesson),
                Indexed::Lesson(_) => return None,
            };
            wanted(&item).then_some(item)
        })
    }

    /// A teacher's agenda: their sessions (with seats taken and left, waitlist and offers)
    /// and lessons starting in `[from, to)`, by start, cancelled ones included (flagged). The
    /// teacher, an admin or the system may read it.
    pub fn teacher_agenda(
        &self,
        actor: Actor,
        teacher_id: UserId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<TeacherAgendaItem>, BookingError> {
        if !may_read(&actor, teacher_id, as_teacher) {
            return Err(BookingError::not_authorized("a teacher's agenda is theirs (or an admin's) to read"));
        }
        check_window(from, to)?;
        self.page_of(ReadIndex::TeacherAgenda, partition(teacher_id), window_bounds(from, to), page, |hit| {
            match &hit.aggregate {
                Indexed::Session(session) if session.teacher_id == teacher_id => {
                    Some(TeacherAgendaItem::of_session(session))
                }
                Indexed::Lesson(lesson) if lesson.teacher_id == teacher_id => {
                    Some(TeacherAgendaItem::of_lesson(lesson))
                }
                _ => None,
            }
        })
    }

    /// The lessons waiting for a teacher's approval, oldest request first, with the series
    /// each belongs to. The teacher, an admin or the system may read it.
    ///
    /// ```
    /// use booking_core::read::PageRequest;
    /// use booking_core::{Actor, Engine, InMemoryRepository, UserId};
    ///
    /// let engine = Engine::new(InMemoryRepository::new());
    /// let teacher = UserId::from_uuid(uuid::Uuid::now_v7());
    /// let queue = engine.approval_queue(Actor::Teacher(teacher), teacher, &PageRequest::first(50))?;
    /// assert!(queue.items.is_empty() && queue.next.is_none());
    /// # Ok::<(), booking_core::BookingError>(())
    /// ```
    pub fn approval_queue(
        &self,
        actor: Actor,
        teacher_id: UserId,
        page: &PageRequest,
    ) -> Result<Page<ApprovalRequest>, BookingError> {
        if !may_read(&actor, teacher_id, as_teacher) {
            return Err(BookingError::not_authorized("a teacher's approval queue is theirs (or an admin's) to read"));
        }
        // Every key sorts after "" and before "~" (keys start with a digit).
        let all = (String::new(), "~".to_owned());
        self.page_of(ReadIndex::ApprovalQueue, partition(teacher_id), all, page, |hit| match &hit.aggregate {
            Indexed::Lesson(lesson) if lesson.teacher_id == teacher_id => ApprovalRequest::of_lesson(lesson),
            _ => None,
        })
    }

    /// A session's roster: its counts and one page of its bookings (seat holders in booking
    /// order, open offers by deadline, the waitlist in order). The session's teacher, an admin
    /// or the system read every entry; a student reads the same list with every other
    /// student's booking and user ids withheld; another teacher may not read it.
    pub fn roster(&self, actor: Actor, session_id: SessionId, page: &PageRequest) -> Result<Roster, BookingError> {
        let limit = page.checked_limit()? as usize;
        let session = self.load_session(session_id)?;
        let viewer = session_viewer(actor, &session);
        if viewer.is_some() && matches!(actor, Actor::Teacher(_)) {
            return Err(BookingError::not_authorized("a session's roster is for its teacher and its students"));
        }
        let start = match &page.after {
            None => 0,
            Some(token) => token
                .as_str()
                .strip_prefix("roster:")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| BookingError::invalid("page_token", "is not a roster page token"))?,
        };
        let all = Roster::entries_of(&session, viewer);
        let end = all.len().min(start.saturating_add(limit));
        let items = all.get(start..end).map(<[_]>::to_vec).unwrap_or_default();
        let next = (end < all.len()).then(|| PageToken::new(format!("roster:{end}")));
        Ok(Roster {
            session_id,
            capacity: session.capacity,
            seats_taken: session.booked_seats(),
            seats_remaining: session.remaining_seats(),
            waitlist_length: session.waitlisted_count(),
            entries: Page { items, next },
        })
    }

    /// Every session not cancelled and every lesson that takes place (confirmed, attended,
    /// no-show) starting in `[from, to)`, across all teachers, by start: for a host's job that
    /// sends reminders or shows "join now". An admin or the system may read it.
    pub fn starting_between(
        &self,
        actor: Actor,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        page: &PageRequest,
    ) -> Result<Page<StartingItem>, BookingError> {
        operator(&actor, "what starts across all teachers")?;
        check_window(from, to)?;
        self.page_of(ReadIndex::Starts, String::new(), window_bounds(from, to), page, |hit| match &hit.aggregate {
            Indexed::Session(session) => StartingItem::of_session(session),
            Indexed::Lesson(lesson) => StartingItem::of_lesson(lesson),
        })
    }

    /// The outbox: up to `limit` (1 to [`MAX_PAGE_SIZE`](crate::read::MAX_PAGE_SIZE)) events
    /// of committed commands after position `after` (0: from the oldest not yet acknowledged),
    /// in commit order. Relay them, then [`acknowledge_outbox`](Self::acknowledge_outbox) the
    /// last position relayed: delivery is at least once (a crash before the acknowledgement
    /// relays the same events again). An admin or the system may read it.
    ///
    /// ```
    /// use booking_core::{Actor, Engine, EventKind, InMemoryRepository, NewGroupSession, UserId};
    /// use chrono::{Duration, Utc};
    ///
    /// let engine = Engine::new(InMemoryRepository::new());
    /// let teacher = UserId::from_uuid(uuid::Uuid::now_v7());
    /// engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Choir".into(),
    ///     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
    ///     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    ///     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?;
    /// let events = engine.outbox(Actor::System, 0, 100)?;
    /// assert!(matches!(events[0].event.kind, EventKind::SessionCreated { .. }));
    /// let last = events.last().unwrap().position;
    /// assert_eq!(engine.acknowledge_outbox(Actor::System, last)?, events.len() as u64);
    /// assert!(engine.outbox(Actor::System, 0, 100)?.is_empty());
    /// # Ok::<(), booking_core::BookingError>(())
    /// ```
    pub fn outbox(&self, actor: Actor, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, BookingError> {
        operator(&actor, "the outbox")?;
        let limit = PageRequest::first(limit).checked_limit()?;
        Ok(self.repository.read_outbox(after, limit)?)
    }

    /// Acknowledges the outbox up to and including position `up_to`: those events were
    /// relayed and are deleted. Returns how many were deleted. An admin or the system may.
    pub fn acknowledge_outbox(&self, actor: Actor, up_to: u64) -> Result<u64, BookingError> {
        operator(&actor, "the outbox")?;
        Ok(self.repository.acknowledge_outbox(up_to)?)
    }
}
