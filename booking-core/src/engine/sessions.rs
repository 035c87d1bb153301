//! The group-session side of the engine: sweeping expired offers, and how a seat command's
//! session is loaded and decided. (The typed seat commands, like every typed command, come from
//! the command table: `typed_commands!` in `command.rs`.)

use super::*;

/// The group-session side of the engine.
impl<R: Repository> Engine<R> {
    /// The session of the booking a seat command names, as the decision sees it: with the
    /// booking in it even when it is finished and lives in the booking history, so a command
    /// on a finished booking is refused exactly as while the session still held it (where it
    /// sits in the list does not matter: a finished booking counts for nothing).
    pub(super) fn session_for_command(&self, id: BookingId) -> Result<Arc<GroupSession>, BookingError> {
        let mut session = self.session_of_booking(id)?;
        if session.booking(id).is_none()
            && let Some(booking) = self.finished_booking(&session, id)?
        {
            Arc::make_mut(&mut session).bookings.push(booking);
        }
        Ok(session)
    }

    /// Expires every seat offer that ran out by `now` and offers the seats to the next in line
    /// (never after a session's start). The engine runs no threads: the host calls this
    /// periodically (every minute, say) with the current time.
    ///
    /// Each session with an offer due is processed on its own, in its own atomic commit: one
    /// that fails (its store refuses the commit, its record is corrupt) is reported in
    /// [`OfferSweep::failures`] and changes nothing, and the others are processed all the same.
    /// [`OfferSweep::events`] holds the events of every session processed, in order. A failed
    /// session stays due, so the next call tries it again.
    ///
    /// Offers are also expired by any other command on their session, so a late call never
    /// lets an expired offer be accepted.
    ///
    /// # Errors
    ///
    /// Only when the store cannot say which sessions are due
    /// ([`Repository::sessions_with_offers_due`]); then nothing was processed.
    ///
    /// See [`OfferSweep`] for an example.
    pub fn process_expired_offers(&self, now: DateTime<Utc>) -> Result<OfferSweep, BookingError> {
        let mut sweep = OfferSweep::default();
        for session_id in self.repository.sessions_with_offers_due(now)? {
            match self.execute_at(Actor::System.into(), Command::ExpireOffers { session_id }, Some(now)) {
                Ok(receipt) => sweep.events.extend(receipt.events),
                Err(error) => sweep.failures.push((session_id, error)),
            }
        }
        Ok(sweep)
    }

    /// The session holding the seat booking `id` (a lesson id is "not found" here).
    pub(super) fn session_of_booking(&self, id: BookingId) -> Result<Arc<GroupSession>, BookingError> {
        match self.repository.locate_booking(id)? {
            Some(BookingLocation::Session(session_id)) => self.load_session(session_id),
            _ => Err(BookingError::BookingNotFound { id }),
        }
    }

    /// Loads the session a seat command is on and decides the command.
    pub(super) fn decide_session(
        &self,
        ctx: &DecisionContext,
        of: SessionOf,
        session_command: SessionCommand,
    ) -> Result<Decided, BookingError> {
        let session = match of {
            SessionOf::Id(session_id) => self.load_session(session_id)?,
            SessionOf::Booking(booking_id) => self.session_for_command(booking_id)?,
        };
        self.decide_on_session(ctx, session, session_command)
    }

    /// Decides a seat command on `session`, as loaded for it (by [`decide_session`], or from
    /// the state a batch's earlier commands produce: see `batch.rs`).
    ///
    /// [`decide_session`]: Self::decide_session
    pub(super) fn decide_on_session(
        &self,
        ctx: &DecisionContext,
        session: Arc<GroupSession>,
        session_command: SessionCommand,
    ) -> Result<Decided, BookingError> {
        // The host's word on the student a booking or an acceptance is for (see the group
        // module's enrollment rule); the decision itself reads nothing.
        let seat_student = match session_command {
            SessionCommand::BookSeat { student_id, .. } => Some(student_id),
            SessionCommand::AcceptOffer { booking_id } => session.booking(booking_id).map(|b| b.student_id),
            _ => None,
        };
        let access = match seat_student {
            Some(student_id) => SeatAccess { enrolled: self.enrolled(session.course_id, student_id)? },
            None => SeatAccess::default(),
        };
        let (mut next, events) = group::decide(&session, ctx, access, &session_command)?;
        let changed = !events.is_empty();
        if changed {
            next.version = session.version + 1;
        }
        let booking_id = match session_command {
            SessionCommand::BookSeat { .. } => Some(BookingId(ctx.fresh_id)),
            SessionCommand::CancelBooking { booking_id }
            | SessionCommand::MarkAttendance { booking_id, .. }
            | SessionCommand::AcceptOffer { booking_id }
            | SessionCommand::DeclineOffer { booking_id } => Some(booking_id),
            _ => None,
        };
        let version = next.version;
        let booking = match booking_id {
            Some(id) => Some(next.booking(id).cloned().ok_or(BookingError::BookingNotFound { id })?),
            None => None,
        };
        // Finished bookings leave the stored session for the booking history, in this commit
        // (also those of a session stored before this rule, on its first change).
        let finished = if changed { next.take_finished() } else { Vec::new() };
        let next = Arc::new(next);
        let value = match booking {
            Some(booking) => OutcomeValue::SeatBooking { booking },
            None => OutcomeValue::Session { session: Arc::clone(&next) },
        };
        let mut writes = if changed {
            vec![Write::Session { expected_version: session.version, session: next }]
        } else {
            Vec::new()
        };
        if events.iter().any(|e| matches!(e.kind, EventKind::SessionCancelled { .. })) {
            // A cancelled session frees its time in the teacher's calendar, in the same commit.
            writes.push(calendar_write(&*self.load_calendar(session.teacher_id)?, &events));
        }
        Ok((Outcome { value, events, version }, writes, finished))
    }
}
