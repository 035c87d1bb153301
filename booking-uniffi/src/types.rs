//! The records that cross the FFI besides the core's own (which derive uniffi's `Record` and
//! `Enum` in `booking_core` with its `uniffi` feature, computed values as methods; see
//! `booking_core::uniffi_support`): the ones whose mobile shape differs from the core's. The
//! results holding a core error ([`SeriesBooking`], [`OfferSweep`]), and one receipt record per
//! value type (uniffi has no generics). This module is the only place they are converted.

use booking_core::availability::{AvailabilitySlot, TimeOff};
use booking_core::lesson::{self as core_lesson, Lesson};
use booking_core::uniffi_support::Timestamp;
use booking_core::{Actor, Event, GroupSession, SchedulingRules, SeatBooking, SeriesId, SessionId};
use chrono::NaiveDate;
use std::sync::Arc;

uniffi::use_remote_type!(booking_core::Timestamp);
uniffi::use_remote_type!(booking_core::NaiveDate);

/// The core request of `actor` under an optional idempotency key.
pub(crate) fn request_in(actor: Actor, key: Option<String>) -> booking_core::Request {
    booking_core::Request { actor, key }
}

/// An occurrence of a series that was not booked, and why.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SkippedOccurrence {
    /// Its date in the slot's zone.
    pub local_date: NaiveDate,
    /// Its start, if the slot offers one that day.
    pub starts_at: Option<Timestamp>,
    /// The stable code of the reason, e.g. `slot_unavailable`.
    pub reason_code: String,
    /// The reason, in words.
    pub reason: String,
}

/// A booked series.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct SeriesBooking {
    /// The series.
    pub series_id: SeriesId,
    /// Its lessons, in order.
    pub lessons: Vec<Lesson>,
    /// Occurrences not booked (`BookAvailable` only).
    pub skipped: Vec<SkippedOccurrence>,
}

impl From<&core_lesson::SeriesBooking> for SeriesBooking {
    fn from(s: &core_lesson::SeriesBooking) -> Self {
        let skipped = s.skipped.iter().map(|k| SkippedOccurrence {
            local_date: k.local_date,
            starts_at: k.starts_at,
            reason_code: k.reason.code().as_str().to_owned(),
            reason: k.reason.to_string(),
        });
        SeriesBooking { series_id: s.series_id, lessons: s.lessons.clone(), skipped: skipped.collect() }
    }
}

/// What one `processExpiredOffers` call did (see `booking_core::OfferSweep`): the events of
/// every session it processed, and the sessions it could not process. A failed session is
/// unchanged and tried again by the next call; every other due session was processed.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweep {
    /// The events of every session processed, session after session.
    pub events: Vec<Event>,
    /// The sessions that could not be processed, in the order they were tried.
    pub failures: Vec<OfferSweepFailure>,
}

/// A session an offer sweep could not process, and why: the error it failed with (not
/// thrown), as its `code` and `detail`.
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct OfferSweepFailure {
    /// The session.
    pub session_id: SessionId,
    /// The error's stable code, e.g. `store_error`.
    pub code: String,
    /// The error's message.
    pub detail: String,
}

impl From<booking_core::OfferSweep> for OfferSweep {
    fn from(sweep: booking_core::OfferSweep) -> Self {
        let failures = sweep.failures.into_iter().map(|(session_id, error)| {
            let error = crate::BookingError::from(error);
            OfferSweepFailure { session_id, code: error.code().to_owned(), detail: error.detail().to_owned() }
        });
        OfferSweep { events: sweep.events, failures: failures.collect() }
    }
}

/// The record a core value travels in when a command returns it: `Receipt<T>` becomes
/// `<T as MobileReceipt>::Receipt` (uniffi has no generic records).
pub trait MobileReceipt: Sized {
    /// The receipt record for this value.
    type Receipt: From<booking_core::Receipt<Self>>;
}

macro_rules! receipts {
    ($($(#[$doc:meta])* $name:ident($ty:ty) from $core:ty = |$v:ident| $convert:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
        pub struct $name {
            /// The object the command is about, after the command.
            pub value: $ty,
            /// The events the command caused (on a replay: those of the first run).
            pub events: Vec<Event>,
            /// The changed aggregate's version after the command.
            pub version: u64,
            /// Whether this is a replay of an earlier run with the same request key (then
            /// nothing was changed now).
            pub replayed: bool,
        }

        impl MobileReceipt for $core {
            type Receipt = $name;
        }

        impl From<booking_core::Receipt<$core>> for $name {
            fn from(receipt: booking_core::Receipt<$core>) -> Self {
                let $v = receipt.value;
                $name { value: $convert, events: receipt.events, version: receipt.version, replayed: receipt.replayed }
            }
        }
    )*};
}

// One record per value type, since uniffi has no generics: `booking_core::Receipt<T>` (the
// Python binding's `Receipt[T]`) becomes `<T>Receipt`, with the same fields.
receipts! {
    /// What a group-session command returns (`Receipt<GroupSession>` in the core).
    GroupSessionReceipt(GroupSession) from Arc<GroupSession> = |s| Arc::unwrap_or_clone(s);
    /// What a seat-booking command returns (`Receipt<SeatBooking>` in the core).
    SeatBookingReceipt(SeatBooking) from SeatBooking = |b| b;
    /// What a slot command returns (`Receipt<AvailabilitySlot>` in the core).
    AvailabilitySlotReceipt(AvailabilitySlot) from AvailabilitySlot = |s| s;
    /// What a lesson command returns (`Receipt<Lesson>` in the core).
    LessonReceipt(Lesson) from Arc<Lesson> = |l| Arc::unwrap_or_clone(l);
    /// What cancelling a series from a lesson on returns: the cancelled lessons
    /// (`Receipt<Vec<Lesson>>` in the core).
    LessonsReceipt(Vec<Lesson>) from Vec<Arc<Lesson>> = |ls| ls.into_iter().map(Arc::unwrap_or_clone).collect();
    /// What booking a series returns (`Receipt<SeriesBooking>` in the core).
    SeriesBookingReceipt(SeriesBooking) from core_lesson::SeriesBooking = |s| SeriesBooking::from(&s);
    /// What setting scheduling rules returns: the rules now set at that level
    /// (`Receipt<SchedulingRules>` in the core).
    SchedulingRulesReceipt(SchedulingRules) from SchedulingRules = |r| r;
    /// What adding or removing time off returns (`Receipt<TimeOff>` in the core).
    TimeOffReceipt(TimeOff) from TimeOff = |t| t;
}
