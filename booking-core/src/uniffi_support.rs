//! What the Kotlin and Swift binding (`booking-uniffi`) needs from the core (feature `uniffi`):
//! the uniffi custom types of the core's scalars, and the error the binding throws.
//!
//! With the feature, the core's data types derive uniffi's `Record` and `Enum` (each marked
//! `#[cfg_attr(feature = "uniffi", ...)]` where it is declared), so the binding exports them as
//! they are instead of mirroring them: a field or variant added to the core reaches Kotlin and
//! Swift with no edit in the binding. What the core computes from a record ([`GroupSession`]'s
//! seat counts, a [`Lesson`]'s wall times, a [`TimeOff`]'s instants, an [`Event`]'s name) is a
//! method of the record there (`session.remainingSeats()`, `event.name()`), declared below.
//! Their scalars cross the FFI as:
//! - **ids** ([`UserId`], [`SessionId`], …): UUID strings; a malformed one is refused with
//!   [`BookingError::InvalidInput`] naming the id's kind (`session_id`, …);
//! - **instants** (`DateTime<Utc>`, the custom type [`Timestamp`]): `java.time.Instant` in
//!   Kotlin, `Date` in Swift (uniffi's timestamp);
//! - **zones** ([`Tz`]): IANA names (`"Europe/Paris"`);
//! - **wall times** of availability slots: ISO-8601 strings, times `"14:00"` (or `"14:00:30"`),
//!   dates `"2030-05-06"`, date-times `"2030-05-06T14:00"`;
//! - **weekdays**: the enum [`WeekdayName`] (`Weekday.MONDAY`, …).
//!
//! Kotlin puts these types in their own package (`org.booking.core`, see `uniffi.toml`); Swift
//! compiles both generated files into one module.

use crate::availability::TimeOff;
use crate::lesson::Lesson;
use crate::{
    BookingError as CoreError, BookingId, CourseId, ErrorCode, Event, GroupSession, MeetingLink, SeriesId, SessionId,
    SlotId, TimeOffId, UserId,
};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use std::time::{SystemTime, UNIX_EPOCH};

/// An instant (`DateTime<Utc>`), the name of the custom type the bindings see.
pub type Timestamp = DateTime<Utc>;

/// An `InvalidInput` error for a value that cannot be lifted.
fn invalid(field: &str, reason: String) -> uniffi::deps::anyhow::Error {
    BookingError::from(CoreError::invalid(field, reason)).into()
}

macro_rules! ids {
    ($($id:ident $field:literal),* $(,)?) => {$(
        uniffi::custom_type!($id, String, {
            try_lift: |s| uuid::Uuid::parse_str(&s).map($id).map_err(|e| invalid($field, format!("not a UUID: {e}"))),
            lower: |id| id.to_string(),
        });
    )*};
}

ids! {
    UserId "user_id", SessionId "session_id", BookingId "booking_id", SlotId "slot_id",
    CourseId "course_id", SeriesId "series_id", TimeOffId "time_off_id",
}

uniffi::custom_type!(Timestamp, SystemTime, {
    remote,
    try_lift: |t| instant_in(t).ok_or_else(|| invalid("instant", "out of range".to_owned())),
    lower: |t| SystemTime::from(t),
});

/// A `SystemTime` as a UTC date-time, if it is in chrono's range.
fn instant_in(instant: SystemTime) -> Option<DateTime<Utc>> {
    match instant.duration_since(UNIX_EPOCH) {
        Ok(after) => DateTime::from_timestamp(i64::try_from(after.as_secs()).ok()?, after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let secs = i64::try_from(before.as_secs()).ok()?;
            match before.subsec_nanos() {
                0 => DateTime::from_timestamp(-secs, 0),
                nanos => DateTime::from_timestamp(-secs - 1, 1_000_000_000 - nanos),
            }
        }
    }
}

uniffi::custom_type!(MeetingLink, String, {
    try_lift: |s| MeetingLink::parse(&s).map_err(|e| BookingError::from(e).into()),
    lower: |link| link.as_str().to_owned(),
});

uniffi::custom_type!(Tz, String, {
    remote,
    try_lift: |s| s.parse::<Tz>().map_err(|_| BookingError::from(CoreError::UnknownTimeZone { name: s }).into()),
    lower: |tz| tz.name().to_owned(),
});

uniffi::custom_type!(NaiveTime, String, {
    remote,
    try_lift: |s| NaiveTime::parse_from_str(&s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&s, "%H:%M:%S"))
        .map_err(|e| invalid("time", format!("expected a wall time like 14:00: {e}"))),
    lower: |t| time_out(t),
});

uniffi::custom_type!(NaiveDate, String, {
    remote,
    try_lift: |s| NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .map_err(|e| invalid("date", format!("expected a date like 2030-05-06: {e}"))),
    lower: |d| d.format("%Y-%m-%d").to_string(),
});

uniffi::custom_type!(NaiveDateTime, String, {
    remote,
    try_lift: |s| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|e| invalid("date_time", format!("expected a wall time like 2030-05-06T14:00: {e}"))),
    lower: |t| date_time_out(t),
});

/// A wall date-time as `2030-05-06T14:00` (`2030-05-06T14:00:30` when it has seconds).
///
/// A listing lowers four of these per occurrence, so the usual case (a year of four digits, a
/// whole minute) is written with one `write!` of its numbers; chrono's `format` parses its
/// pattern and builds a string per piece, which made these strings most of the lowering's
/// time (booking-uniffi/bench/README.md). Any other value takes chrono's way, as before.
fn date_time_out(t: NaiveDateTime) -> String {
    use std::fmt::Write;
    let (date, time) = (t.date(), t.time());
    if (0..=9999).contains(&date.year()) && time.second() == 0 && time.nanosecond() == 0 {
        let mut out = String::with_capacity(16);
        let (y, m, d, h, min) = (date.year(), date.month(), date.day(), time.hour(), time.minute());
        // Writing into a String cannot fail.
        let _ = write!(out, "{y:04}-{m:02}-{d:02}T{h:02}:{min:02}");
        out
    } else {
        format!("{}T{}", date.format("%Y-%m-%d"), time_out(time))
    }
}

/// A wall time as `14:00`, or `14:00:30` when it has seconds.
fn time_out(time: NaiveTime) -> String {
    if time.second() == 0 && time.nanosecond() == 0 { time.format("%H:%M").to_string() } else { time.to_string() }
}

/// A day of the week, as the bindings see `chrono::Weekday` (Kotlin and Swift name the type
/// `Weekday`, an alias of this enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum WeekdayName {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

const WEEKDAYS: [(Weekday, WeekdayName); 7] = [
    (Weekday::Mon, WeekdayName::Monday),
    (Weekday::Tue, WeekdayName::Tuesday),
    (Weekday::Wed, WeekdayName::Wednesday),
    (Weekday::Thu, WeekdayName::Thursday),
    (Weekday::Fri, WeekdayName::Friday),
    (Weekday::Sat, WeekdayName::Saturday),
    (Weekday::Sun, WeekdayName::Sunday),
];

uniffi::custom_type!(Weekday, WeekdayName, {
    remote,
    try_lift: |n| Ok(WEEKDAYS.iter().find(|(_, name)| *name == n).map_or(Weekday::Mon, |(d, _)| *d)),
    lower: |d| WEEKDAYS[d.num_days_from_monday() as usize].1,
});

/// Declares the computed values of a core record as methods of the record in Kotlin and Swift
/// (`session.remainingSeats()`, `event.name()`), each calling the core's method of the same
/// name: the bindings compute nothing themselves. A record built by hand in Kotlin or Swift can
/// hold what the engine never stores (an instant at the end of time, say): a panic of the
/// core's method is caught and thrown as [`BookingError::Internal`], never crossing the FFI.
macro_rules! record_methods {
    ($($ty:ident { $($(#[$doc:meta])* $name:literal => $ffi:ident: $out:ty = |$v:ident| $body:expr;)* })*) => {$(
        #[uniffi::export]
        impl $ty {$(
            $(#[$doc])*
            #[uniffi::method(name = $name)]
            fn $ffi(&self) -> Result<$out, BookingError> {
                let $v = self;
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)).map_err(|_| BookingError::Internal {
                    code: INTERNAL_CODE.to_owned(),
                    detail: format!("panic: {} cannot be computed for this record", $name),
                })
            }
        )*}
    )*};
}

record_methods! {
    GroupSession {
        /// When it ends ([`GroupSession::ends_at`]).
        "ends_at" => ffi_ends_at: Timestamp = |s| s.ends_at();
        /// Seats taken (confirmed, offered and attended bookings, counting each booking's seats).
        "booked_seats" => ffi_booked_seats: u32 = |s| s.booked_seats();
        /// Seats still free.
        "remaining_seats" => ffi_remaining_seats: u32 = |s| s.remaining_seats();
        /// Bookings on the waitlist (a booking for several seats counts once).
        "waitlisted_count" => ffi_waitlisted_count: u32 = |s| s.waitlisted_count();
        /// Seats the waitlisted bookings ask for.
        "waitlisted_seats" => ffi_waitlisted_seats: u32 = |s| s.waitlisted_seats();
        /// Seats held by outstanding offers (offer mode).
        "offered_seats" => ffi_offered_seats: u32 = |s| s.offered_seats();
        /// Whether every seat is taken.
        "is_full" => ffi_is_full: bool = |s| s.is_full();
        /// Full with the waitlist off: takes no bookings.
        "is_closed_for_booking" => ffi_is_closed_for_booking: bool = |s| s.is_closed_for_booking();
        /// Whether it was cancelled.
        "is_cancelled" => ffi_is_cancelled: bool = |s| s.is_cancelled();
        /// The earliest instant an outstanding seat offer runs out, if any.
        "next_offer_deadline" => ffi_next_offer_deadline: Option<Timestamp> = |s| s.next_offer_deadline();
    }
    Lesson {
        /// Its start as a wall time in its zone, e.g. `"2030-05-06T14:00"`
        /// ([`Lesson::local_times`]).
        "local_start" => ffi_local_start: NaiveDateTime = |l| l.local_times().0;
        /// Its end as a wall time in its zone.
        "local_end" => ffi_local_end: NaiveDateTime = |l| l.local_times().1;
    }
    TimeOff {
        /// The instant it starts: the start of `first_day` in `time_zone`.
        "starts_at" => ffi_starts_at: Timestamp = |t| t.starts_at();
        /// The instant it ends: the start of the day after `last_day`.
        "ends_at" => ffi_ends_at: Timestamp = |t| t.ends_at();
    }
    Event {
        /// The kind's stable snake_case name, e.g. `booking_promoted`
        /// ([`EventKind::name`](crate::EventKind::name)), for logs and outboxes.
        "name" => ffi_name: String = |e| e.kind.name().to_owned();
    }
}

macro_rules! booking_errors {
    ($($variant:ident => $code:literal),* $(,)?) => {
        /// Why a call was refused, or why the store could not carry it out, as the bindings
        /// throw it: one variant per stable code of the core ([`ErrorCode`]), each with the
        /// `code` string and the core's message as `detail` (`message` itself is taken by
        /// Kotlin's `Throwable`). Kotlin sees a sealed `BookingException` class, Swift a
        /// `BookingError` enum.
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        pub enum BookingError {
            $(
                /// The core's error of the same name and code.
                #[error("{code}: {detail}")]
                $variant {
                    /// The stable machine-readable code, e.g. `session_full`.
                    code: String,
                    /// What happened, in words (the core's message).
                    detail: String,
                },
            )*
            /// A panic caught at the FFI boundary (code `internal`). Never a booking rule.
            #[error("{code}: {detail}")]
            Internal {
                /// `internal`.
                code: String,
                /// What happened, in words.
                detail: String,
            },
        }

        /// The codes with a variant of their own, in the core's declaration order.
        #[cfg(test)]
        const MAPPED_CODES: &[ErrorCode] = &[$(ErrorCode::$variant),*];

        impl From<CoreError> for BookingError {
            fn from(error: CoreError) -> Self {
                let code = error.code();
                let (code_str, detail) = (code.as_str().to_owned(), error.to_string());
                match code {
                    $(ErrorCode::$variant => BookingError::$variant { code: code_str, detail },)*
                }
            }
        }

        impl BookingError {
            /// The stable code.
            pub fn code(&self) -> &str {
                match self {
                    $(BookingError::$variant { code, .. })|* | BookingError::Internal { code, .. } => code,
                }
            }

            /// The human-readable detail.
            pub fn detail(&self) -> &str {
                match self {
                    $(BookingError::$variant { detail, .. })|* | BookingError::Internal { detail, .. } => detail,
                }
            }
        }
    };
}

// One variant per core code, from the core's one list of codes.
crate::error::for_each_error_code!(booking_errors);

/// The code of [`BookingError::Internal`] for a caught panic.
pub const INTERNAL_CODE: &str = "internal";

#[uniffi::export]
impl BookingError {
    /// The stable code of any variant (Kotlin: `e.errorCode()` on a `BookingException`; Swift:
    /// `error.errorCode()`), for code that handles every refusal alike.
    pub fn error_code(&self) -> String {
        self.code().to_owned()
    }

    /// The human-readable detail of any variant.
    pub fn error_detail(&self) -> String {
        self.detail().to_owned()
    }

    /// Whether the same call, sent again later with the same request key, may succeed
    /// (`store_unavailable`, `contention`; [`ErrorCode::is_retryable`]): retry these with a
    /// backoff.
    pub fn is_retryable(&self) -> bool {
        ErrorCode::ALL.iter().any(|c| c.as_str() == self.code() && c.is_retryable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_variant() {
        assert_eq!(
            MAPPED_CODES,
            ErrorCode::ALL,
            "every core code has its variant (generated from for_each_error_code!)"
        );
        for code in ErrorCode::ALL {
            let mapped = BookingError::from(code.example());
            assert_eq!(mapped.code(), code.as_str());
            assert!(!matches!(mapped, BookingError::Internal { .. }), "{code} falls through to Internal");
        }
    }

    #[test]
    fn weekdays_round_trip() {
        for (day, name) in WEEKDAYS {
            assert_eq!(WEEKDAYS[day.num_days_from_monday() as usize].1, name);
        }
    }

    #[test]
    fn a_record_method_that_panics_throws_instead() {
        let time_off = TimeOff {
            id: TimeOffId(uuid::Uuid::nil()),
            teacher_id: UserId(uuid::Uuid::nil()),
            first_day: NaiveDate::MIN,
            last_day: NaiveDate::MIN,
            time_zone: Tz::Asia__Tokyo,
            note: None,
        };
        let error = time_off.ffi_starts_at().unwrap_err();
        assert_eq!(error.code(), INTERNAL_CODE);
        assert!(error.detail().contains("starts_at"), "{error}");
    }

    #[test]
    fn date_times_are_written_as_chrono_writes_them() {
        let chrono_way = |t: NaiveDateTime| format!("{}T{}", t.date().format("%Y-%m-%d"), time_out(t.time()));
        let times = ["00:00", "09:05", "14:00:30", "23:59:59.5"].map(|t| {
            NaiveTime::parse_from_str(t, "%H:%M:%S%.f").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")).unwrap()
        });
        let dates = [(-1, 12, 31), (0, 1, 1), (999, 2, 3), (2030, 3, 10), (9999, 12, 31), (10_000, 1, 1)]
            .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
        for date in dates.into_iter().chain([NaiveDate::MIN, NaiveDate::MAX]) {
            for time in times {
                let t = date.and_time(time);
                assert_eq!(date_time_out(t), chrono_way(t), "{t:?}");
            }
        }
        assert_eq!(date_time_out(dates[3].and_time(times[1])), "2030-03-10T09:05");
    }

    #[test]
    fn instants_before_the_epoch_keep_their_nanoseconds() {
        let before = UNIX_EPOCH - std::time::Duration::new(1, 250_000_000);
        let at = instant_in(before).unwrap();
        assert_eq!((at.timestamp(), at.timestamp_subsec_nanos()), (-2, 750_000_000));
        assert_eq!(SystemTime::from(at), before);
    }
}
