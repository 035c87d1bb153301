//! The commands on an existing group session, how they are decided, and how their events
//! apply to the session.

use super::*;

impl GroupSession {
    fn booking_mut(&mut self, id: BookingId) -> &mut SeatBooking {
        self.bookings.iter_mut().find(|b| b.id == id).expect("events only name bookings of their session")
    }

    /// Applies one event of this session to its state. This is the only way the engine changes
    /// a session, so a command's events describe exactly the change it made.
    ///
    /// # Panics
    /// If the event names a booking this session does not have, which the engine never
    /// produces (the events come from [`decide()`] on this very state).
    pub fn apply(&mut self, event: &Event) {
        let at = event.occurred_at;
        match &event.kind {
            EventKind::SessionCreated { .. } | EventKind::SessionClosed { .. } | EventKind::SessionReopened { .. } => {}
            EventKind::BookingConfirmed { booking_id, student_id, seats, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Confirmed, *seats, at)
            }
            EventKind::BookingWaitlisted { booking_id, student_id, seats, .. } => {
                self.push_booking(*booking_id, *student_id, SeatStatus::Waitlisted, *seats, at)
            }
            EventKind::BookingPromoted { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Confirmed, at),
            EventKind::BookingCancelled { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Cancelled, at),
            EventKind::SeatOffered { booking_id, expires_at, .. } => {
                self.set_status(*booking_id, SeatStatus::Offered, at);
                self.booking_mut(*booking_id).offer_expires_at = Some(*expires_at);
            }
            EventKind::OfferAccepted { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Confirmed, at),
            EventKind::OfferDeclined { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Cancelled, at),
            EventKind::OfferExpired { booking_id, .. } => self.set_status(*booking_id, SeatStatus::Expired, at),
            EventKind::AttendanceMarked { booking_id, status, .. } => self.set_status(*booking_id, *status, at),
            EventKind::CapacityChanged { capacity, .. } => self.capacity = *capacity,
            EventKind::WaitlistChanged { enabled, .. } => self.waitlist_enabled = *enabled,
            EventKind::SessionCancelled { .. } => self.cancelled_at = Some(at),
            // Lesson and availability events belong to calendars and lessons.
            _ => {}
        }
    }

    fn push_booking(&mut self, id: BookingId, student_id: UserId, status: SeatStatus, seats: u32, at: DateTime<Utc>) {
        // Grow the vector by exactly one rather than let `push` double it (a stored session
        // would keep the spare half). A decision's copy already has room for one booking.
        self.bookings.reserve_exact(1);
        self.bookings.push(SeatBooking {
            id,
            session_id: self.id,
            student_id,
            status,
            booked_at: at,
            updated_at: at,
            seats,
            offer_expires_at: None,
        });
    }

    /// Sets a booking's status; the offer deadline is kept while offered and, as the record of
    /// when the offer ran out, once expired, and dropped otherwise.
    fn set_status(&mut self, id: BookingId, status: SeatStatus, at: DateTime<Utc>) {
        let booking = self.booking_mut(id);
        booking.status = status;
        booking.updated_at = at;
        if !matches!(status, SeatStatus::Offered | SeatStatus::Expired) {
            booking.offer_expires_at = None;
        }
    }
}

/// A command on an existing group session, decided by [`decide()`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum SessionCommand {
    /// Book seats (or a waitlist place) for a student, all or nothing.
    BookSeat {
        /// The student.
        student_id: UserId,
        /// How many seats, at least 1.
        seats: u32,
    },
    /// Accept the seat offered to a waitlisted booking.
    AcceptOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Decline the seat offered to a waitlisted booking; it leaves the queue.
    DeclineOffer {
        /// The booking.
        booking_id: BookingId,
    },
    /// Expire the offers that ran out by now and offer their seats to the next in line (by the
    /// system, an admin or the session's teacher; every other command does it first too).
    ExpireOffers,
    /// Cancel a confirmed, waitlisted or offered booking (a student within the cancellation
    /// cut-off may not cancel a confirmed one).
    CancelBooking {
        /// The booking.
        booking_id: BookingId,
    },
    /// Set the number of seats.
    ChangeCapacity {
        /// The new number of seats.
        capacity: u32,
    },
    /// Turn the waitlist on or off.
    SetWaitlist {
        /// On or off.
        enabled: bool,
    },
    /// Cancel the session and every booking in it.
    CancelSession,
    /// Mark a confirmed booking attended or no-show (or correct an earlier mark).
    MarkAttendance {
        /// The booking.
        booking_id: BookingId,
        /// `true` for attended, `false` for no-show.
        attended: bool,
    },
}

/// The host's word on the student a seat command books or confirms (see the enrollment rule
/// in the [module docs](crate::group)): the engine asks
/// [`Repository::is_enrolled`](crate::Repository::is_enrolled) before deciding, so [`decide()`]
/// stays pure. Only booking and accepting an offer in a session of a course read it; the
/// default (not enrolled) refuses them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeatAccess {
    /// Whether the student is enrolled in the session's course (`true` for a session without
    /// one).
    pub enrolled: bool,
}

/// Decides `command` on `session` at `ctx.now`: either the session's next state (version not
/// yet bumped) with the events that produced it, or the reason for refusal. Pure: `session`
/// is not modified and nothing is stored.
///
/// The returned state is `session` with every returned event [applied](GroupSession::apply);
/// an empty event list means the command changed nothing (for instance setting the capacity it
/// already has). `access` is the host's word on the student a booking or an acceptance is for.
pub fn decide(
    session: &GroupSession,
    ctx: &DecisionContext,
    access: SeatAccess,
    command: &SessionCommand,
) -> Result<(GroupSession, Vec<Event>), BookingError> {
    // A booking adds one to the vector: the copy has room for it, one allocation, not two.
    let room = usize::from(matches!(command, SessionCommand::BookSeat { .. }));
    let mut d = Decision {
        before_closed: session.is_closed_for_booking(),
        next: session.clone_with_room(room),
        events: Vec::new(),
        ctx,
        access,
    };
    // Offers that ran out by now expire before anything else is decided.
    d.expire_due_offers();
    match *command {
        SessionCommand::BookSeat { student_id, seats } => d.book(student_id, seats)?,
        SessionCommand::AcceptOffer { booking_id } => d.accept_offer(booking_id)?,
        SessionCommand::DeclineOffer { booking_id } => d.decline_offer(booking_id)?,
        SessionCommand::ExpireOffers => d.require_teacher("expire offers")?,
        SessionCommand::CancelBooking { booking_id } => d.cancel_booking(booking_id)?,
        SessionCommand::ChangeCapacity { capacity } => d.change_capacity(capacity)?,
        SessionCommand::SetWaitlist { enabled } => d.set_waitlist(enabled)?,
        SessionCommand::CancelSession => d.cancel_session()?,
        SessionCommand::MarkAttendance { booking_id, attended } => d.mark_attendance(booking_id, attended)?,
    }
    Ok(d.finish())
}

pub(super) struct Decision<'a> {
    before_closed: bool,
    next: GroupSession,
    events: Vec<Event>,
    ctx: &'a DecisionContext,
    access: SeatAccess,
}

impl Decision<'_> {
    fn emit(&mut self, kind: EventKind) {
        let event = self.ctx.event(kind);
        self.next.apply(&event);
        self.events.push(event);
    }

    fn finish(mut self) -> (GroupSession, Vec<Event>) {
        let after_closed = self.next.is_closed_for_booking();
        // Closing and reopening concern booking, which ends at the start.
        let bookable = !self.next.is_cancelled() && !self.next.has_started(self.ctx.now);
        if bookable && after_closed != self.before_closed {
            let session_id = self.next.id;
            self.emit(if after_closed {
                EventKind::SessionClosed { session_id }
            } else {
                EventKind::SessionReopened { session_id }
            });
        }
        (self.next, self.events)
    }

    fn s(&self) -> &GroupSession {
        &self.next
    }

    fn require_teacher(&self, what: &str) -> Result<(), BookingError> {
        if self.ctx.actor.acts_for_teacher(self.s().teacher_id) {
            Ok(())
        } else {
            Err(BookingError::not_authorized(format!(
                "{} cannot {what}: only the session's teacher or an admin can",
                self.ctx.actor
            )))
        }
    }

    /// Refuses changes to seats once the session is cancelled or has started.
    fn require_open_for_changes(&self) -> Result<(), BookingError> {
        let s = self.s();
        if s.is_cancelled() {
            return Err(BookingError::SessionCancelled { session_id: s.id });
        }
        if s.has_started(self.ctx.now) {
            return Err(BookingError::SessionStarted { session_id: s.id, starts_at: s.starts_at });
        }
        Ok(())
    }

    fn find(&self, booking_id: BookingId) -> Result<SeatBooking, BookingError> {
        self.s().booking(booking_id).cloned().ok_or(BookingError::BookingNotFound { id: booking_id })
    }

    /// Refuses a seat to a student not enrolled in the session's course.
    fn require_enrolled(&self, student_id: UserId) -> Result<(), BookingError> {
        match self.s().course_id {
            Some(course_id) if !self.access.enrolled => Err(BookingError::NotEnrolled { student_id, course_id }),
            _ => Ok(()),
        }
    }

    fn book(&mut self, student_id: UserId, seats: u32) -> Result<(), BookingError> {
        if !self.ctx.actor.acts_for_student(student_id) {
            return Err(BookingError::not_authorized(format!(
                "{} cannot book for student {student_id}: students book only for themselves",
                self.ctx.actor
            )));
        }
        let s = self.s();
        if seats == 0 || seats > s.capacity {
            return Err(BookingError::invalid(
                "seats",
                format!("must be between 1 and the capacity {}, got {seats}", s.capacity),
            ));
        }
        if let Some(max) = s.rules.max_seats_per_booking
            && seats > max
        {
            return Err(BookingError::LimitReached { limit: "seats per booking in this session".to_owned(), max });
        }
        self.require_open_for_changes()?;
        let s = self.s();
        s.rules.check_window(s.starts_at, self.ctx.now)?;
        self.require_enrolled(student_id)?;
        let s = self.s();
        if let Some(existing) = s.active_booking_of(student_id) {
            return Err(BookingError::AlreadyBooked { student_id, booking_id: existing.id });
        }
        let (session_id, booking_id) = (s.id, BookingId(self.ctx.fresh_id));
        if s.remaining_seats() >= seats && s.waitlisted_count() == 0 {
            self.emit(EventKind::BookingConfirmed { session_id, booking_id, student_id, seats });
        } else if s.waitlist_enabled {
            let position = s.waitlisted_count() + 1;
            self.emit(EventKind::BookingWaitlisted { session_id, booking_id, student_id, position, seats });
        } else {
            return Err(BookingError::SessionFull { session_id, capacity: s.capacity });
        }
        Ok(())
    }

    fn cancel_booking(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        let actor = self.ctx.actor;
        if !(actor.acts_for_student(booking.student_id) || actor.acts_for_teacher(self.s().teacher_id)) {
            return Err(BookingError::not_authorized(format!(
                "{actor} cannot cancel booking {booking_id}: only its student, the session's teacher or an admin can"
            )));
        }
        self.require_open_for_changes()?;
        if !booking.status.is_active() {
            return Err(invalid_transition(&booking, "cancel"));
        }
        // Only giving up a confirmed seat is bound by the cut-off; leaving the queue is not.
        let cutoff_overridden = if booking.status == SeatStatus::Confirmed {
            let cutoff_at = self.s().rules.cancel_cutoff(self.s().starts_at);
            crate::rules::cutoff_check(actor, booking_id, "cancelled", cutoff_at, self.ctx.now)?
        } else {
            false
        };
        self.emit(EventKind::BookingCancelled {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
            previous_status: booking.status,
            cutoff_overridden,
        });
        self.serve_waitlist();
        Ok(())
    }

    /// The booking's student, the session's teacher, an admin or the system.
    fn require_student_or_teacher(&self, booking: &SeatBooking, what: &str) -> Result<(), BookingError> {
        let actor = self.ctx.actor;
        if actor.acts_for_student(booking.student_id) || actor.acts_for_teacher(self.s().teacher_id) {
            Ok(())
        } else {
            Err(BookingError::not_authorized(format!(
                "{actor} cannot {what} for booking {}: only its student, the session's teacher or an admin can",
                booking.id
            )))
        }
    }

    /// The booking, offered now: an expired offer is [`BookingError::OfferExpired`], any
    /// other status an invalid transition.
    fn require_offered(&self, booking: &SeatBooking, action: &str) -> Result<(), BookingError> {
        match booking.status {
            SeatStatus::Offered => Ok(()),
            SeatStatus::Expired => Err(BookingError::OfferExpired {
                booking_id: booking.id,
                expired_at: booking.offer_expires_at.unwrap_or(booking.updated_at),
            }),
            _ => Err(invalid_transition(booking, action)),
        }
    }

    fn accept_offer(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        // Read after the due offers expired, so a late acceptance finds the booking expired.
        let booking = self.find(booking_id)?;
        self.require_student_or_teacher(&booking, "accept the offer")?;
        self.require_offered(&booking, "accept an offer")?;
        self.require_enrolled(booking.student_id)?;
        self.emit(EventKind::OfferAccepted {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
        });
        Ok(())
    }

    fn decline_offer(&mut self, booking_id: BookingId) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        self.require_student_or_teacher(&booking, "decline the offer")?;
        self.require_offered(&booking, "decline an offer")?;
        self.emit(EventKind::OfferDeclined {
            session_id: booking.session_id,
            booking_id,
            student_id: booking.student_id,
        });
        self.serve_waitlist();
        Ok(())
    }

    /// Expires every offer whose deadline is `now` or earlier, oldest booking first, then
    /// offers the freed seats to the next in line (before the start only).
    fn expire_due_offers(&mut self) {
        // Only offer-mode sessions have offers (the mode is fixed at creation): the common
        // promote-mode command skips the scan.
        if self.s().waitlist_mode == WaitlistMode::Promote {
            return;
        }
        let now = self.ctx.now;
        let due: Vec<SeatBooking> =
            self.s().offers().filter(|b| b.offer_expires_at.is_some_and(|at| at <= now)).cloned().collect();
        if due.is_empty() {
            return;
        }
        for b in due {
            self.emit(EventKind::OfferExpired { session_id: b.session_id, booking_id: b.id, student_id: b.student_id });
        }
        self.serve_waitlist();
    }

    /// Serves the waitlist into free seats, strictly first in line first: the head is
    /// promoted (promote mode) or offered its seats (offer mode, before the start only) while
    /// all its seats are free; the first head that does not fit stops it.
    fn serve_waitlist(&mut self) {
        let now = self.ctx.now;
        loop {
            let s = self.s();
            let Some(head) = s.waitlist().next() else { break };
            if head.seats > s.remaining_seats() {
                break;
            }
            let (session_id, booking_id, student_id, seats) = (head.session_id, head.id, head.student_id, head.seats);
            match s.waitlist_mode {
                WaitlistMode::Promote => self.emit(EventKind::BookingPromoted { session_id, booking_id, student_id }),
                WaitlistMode::Offer { hold_minutes } => {
                    if s.has_started(now) {
                        break;
                    }
                    let expires_at = (now + TimeDelta::minutes(i64::from(hold_minutes))).min(s.starts_at);
                    self.emit(EventKind::SeatOffered { session_id, booking_id, student_id, seats, expires_at });
                }
            }
        }
    }

    fn change_capacity(&mut self, capacity: u32) -> Result<(), BookingError> {
        self.require_teacher("change the capacity")?;
        self.require_open_for_changes()?;
        check_capacity(capacity)?;
        let (previous, taken) = (self.s().capacity, self.s().booked_seats());
        if capacity < taken {
            return Err(BookingError::CapacityBelowBooked { requested: capacity, taken });
        }
        if capacity != previous {
            self.emit(EventKind::CapacityChanged { session_id: self.s().id, previous, capacity });
            self.serve_waitlist();
        }
        Ok(())
    }

    fn set_waitlist(&mut self, enabled: bool) -> Result<(), BookingError> {
        self.require_teacher("change the waitlist")?;
        self.require_open_for_changes()?;
        if enabled != self.s().waitlist_enabled {
            self.emit(EventKind::WaitlistChanged { session_id: self.s().id, enabled });
        }
        Ok(())
    }

    fn cancel_session(&mut self) -> Result<(), BookingError> {
        self.require_teacher("cancel the session")?;
        self.require_open_for_changes()?;
        let active: Vec<SeatBooking> = self.s().bookings.iter().filter(|b| b.status.is_active()).cloned().collect();
        for b in active {
            self.emit(EventKind::BookingCancelled {
                session_id: b.session_id,
                booking_id: b.id,
                student_id: b.student_id,
                previous_status: b.status,
                cutoff_overridden: false,
            });
        }
        self.emit(EventKind::SessionCancelled { session_id: self.s().id });
        Ok(())
    }

    fn mark_attendance(&mut self, booking_id: BookingId, attended: bool) -> Result<(), BookingError> {
        let booking = self.find(booking_id)?;
        self.require_teacher("mark attendance")?;
        let s = self.s();
        if s.is_cancelled() {
            return Err(BookingError::SessionCancelled { session_id: s.id });
        }
        if !s.has_started(self.ctx.now) {
            return Err(BookingError::SessionNotStarted { session_id: s.id, starts_at: s.starts_at });
        }
        let status = if attended { SeatStatus::Attended } else { SeatStatus::NoShow };
        match booking.status {
            SeatStatus::Confirmed | SeatStatus::Attended | SeatStatus::NoShow => {
                if booking.status != status {
                    self.emit(EventKind::AttendanceMarked {
                        session_id: booking.session_id,
                        booking_id,
                        student_id: booking.student_id,
                        status,
                    });
                }
                Ok(())
            }
            SeatStatus::Waitlisted | SeatStatus::Offered | SeatStatus::Cancelled | SeatStatus::Expired => {
                Err(invalid_transition(&booking, &format!("mark it {}", status.as_str())))
            }
        }
    }
}

pub(super) fn invalid_transition(booking: &SeatBooking, action: &str) -> BookingError {
    BookingError::InvalidTransition {
        booking_id: booking.id,
        from: booking.status.as_str().to_owned(),
        action: action.to_owned(),
    }
}
