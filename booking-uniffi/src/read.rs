//! The read side on the engine object: agendas, the approval queue, rosters, what starts
//! soon, and the outbox (`booking_core::read`: what each lists, who may ask). The core's
//! generic `Page<T>` becomes one record per item type, since uniffi has no generics; a page
//! token crosses as text.

use crate::engine::Engine;
use crate::error::{BookingError, guard};
use booking_core::Actor;
use booking_core::read::{
    AgendaStatus, ApprovalRequest, Page, PageRequest, PageToken, RosterEntry, StartingItem, StudentAgendaItem,
    TeacherAgendaItem,
};
use booking_core::repository::OutboxEntry;
use booking_core::uniffi_support::Timestamp;
use booking_core::{SessionId, UserId};

/// Declares one page record per item type, made from the core's `Page<T>`.
macro_rules! pages {
    ($($(#[$doc:meta])* $page:ident of $item:ty;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
        pub struct $page {
            /// The items, in the list's order.
            pub items: Vec<$item>,
            /// Where to continue: pass it back as `after` for the next page. Set while more
            /// items may follow (the next page may still be empty), `None` at the end.
            pub next: Option<String>,
        }

        impl From<Page<$item>> for $page {
            fn from(page: Page<$item>) -> Self {
                $page { items: page.items, next: page.next.map(|token| token.as_str().to_owned()) }
            }
        }
    )*};
}

pages! {
    /// One page of a student's agenda (`Engine::student_agenda`).
    StudentAgendaPage of StudentAgendaItem;
    /// One page of a teacher's agenda (`Engine::teacher_agenda`).
    TeacherAgendaPage of TeacherAgendaItem;
    /// One page of a teacher's approval queue (`Engine::approval_queue`).
    ApprovalQueuePage of ApprovalRequest;
    /// One page of what starts in a window (`Engine::starting_between`).
    StartingPage of StartingItem;
    /// One page of a session's roster entries (`Roster::entries`).
    RosterPage of RosterEntry;
}

/// A session's roster: its counts, and one page of its bookings (`booking_core::read::Roster`).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct Roster {
    /// The session.
    pub session_id: SessionId,
    /// Its seats.
    pub capacity: u32,
    /// Seats taken.
    pub seats_taken: u32,
    /// Seats still free.
    pub seats_remaining: u32,
    /// Bookings on the waitlist.
    pub waitlist_length: u32,
    /// Seat holders (confirmed, attended, no-show) in booking order, then the open offers by
    /// deadline, then the waitlist in order.
    pub entries: RosterPage,
}

impl From<booking_core::read::Roster> for Roster {
    fn from(roster: booking_core::read::Roster) -> Self {
        Roster {
            session_id: roster.session_id,
            capacity: roster.capacity,
            seats_taken: roster.seats_taken,
            seats_remaining: roster.seats_remaining,
            waitlist_length: roster.waitlist_length,
            entries: roster.entries.into(),
        }
    }
}

/// The page a client asks for: at most `limit` items after the token `after` (as text).
fn page_in(limit: u32, after: Option<String>) -> Result<PageRequest, booking_core::BookingError> {
    Ok(PageRequest { limit, after: after.as_deref().map(PageToken::parse).transpose()? })
}

/// The read side. Every list is paged: at most `limit` items (1 to 500), after the `next`
/// token of the previous page (`after`, `None` for the first). Windows are half-open (`from`
/// included, `to` excluded) and at most 400 days long. A limit, window or token out of these
/// bounds is `InvalidInput` (naming `limit`, `window` or `page_token`); a reader who may not
/// read the list gets `NotAuthorized`.
#[uniffi::export]
impl Engine {
    /// A student's agenda: their live seat bookings and lessons starting in `[from, to)`, by
    /// start, keeping the items whose status is in `statuses` (all when it is empty). The
    /// student, an admin or the system may read it.
    #[uniffi::method(default(statuses = [], after = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn student_agenda(
        &self,
        actor: Actor,
        student_id: UserId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
        statuses: Vec<AgendaStatus>,
        after: Option<String>,
    ) -> Result<StudentAgendaPage, BookingError> {
        guard(|| {
            let page = page_in(limit, after)?;
            Ok(self.core().student_agenda(actor, student_id, from, to, &statuses, &page)?.into())
        })
    }

    /// A teacher's agenda: their sessions (with seats taken and left, waitlist and offers) and
    /// lessons starting in `[from, to)`, by start, cancelled ones included (flagged). The
    /// teacher, an admin or the system may read it.
    #[uniffi::method(default(after = None))]
    pub fn teacher_agenda(
        &self,
        actor: Actor,
        teacher_id: UserId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
        after: Option<String>,
    ) -> Result<TeacherAgendaPage, BookingError> {
        guard(|| {
            let page = page_in(limit, after)?;
            Ok(self.core().teacher_agenda(actor, teacher_id, from, to, &page)?.into())
        })
    }

    /// The lessons waiting for a teacher's approval, oldest request first. The teacher, an
    /// admin or the system may read it.
    #[uniffi::method(default(after = None))]
    pub fn approval_queue(
        &self,
        actor: Actor,
        teacher_id: UserId,
        limit: u32,
        after: Option<String>,
    ) -> Result<ApprovalQueuePage, BookingError> {
        guard(|| {
            let page = page_in(limit, after)?;
            Ok(self.core().approval_queue(actor, teacher_id, &page)?.into())
        })
    }

    /// A session's roster: its counts and one page of its bookings. The session's teacher, an
    /// admin or the system read every entry; a student reads the same list with every other
    /// student's booking and user ids withheld; another teacher may not read it.
    #[uniffi::method(default(after = None))]
    pub fn roster(
        &self,
        actor: Actor,
        session_id: SessionId,
        limit: u32,
        after: Option<String>,
    ) -> Result<Roster, BookingError> {
        guard(|| {
            let page = page_in(limit, after)?;
            Ok(self.core().roster(actor, session_id, &page)?.into())
        })
    }

    /// Every session not cancelled and every lesson that takes place starting in `[from, to)`,
    /// across all teachers, by start (for reminders). An admin or the system may read it.
    #[uniffi::method(default(after = None))]
    pub fn starting_between(
        &self,
        actor: Actor,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
        after: Option<String>,
    ) -> Result<StartingPage, BookingError> {
        guard(|| {
            let page = page_in(limit, after)?;
            Ok(self.core().starting_between(actor, from, to, &page)?.into())
        })
    }

    /// The outbox: up to `limit` (1 to 500) events of committed commands after position
    /// `after` (0: from the oldest not yet acknowledged), in commit order. Relay them, then
    /// acknowledge the last position relayed: delivery is at least once. An admin or the
    /// system may read it.
    pub fn outbox(&self, actor: Actor, after: u64, limit: u32) -> Result<Vec<OutboxEntry>, BookingError> {
        guard(|| self.core().outbox(actor, after, limit))
    }

    /// Acknowledges the outbox up to and including position `up_to`: those events were
    /// relayed and are deleted. Returns how many were deleted. An admin or the system may.
    pub fn acknowledge_outbox(&self, actor: Actor, up_to: u64) -> Result<u64, BookingError> {
        guard(|| self.core().acknowledge_outbox(actor, up_to))
    }
}
