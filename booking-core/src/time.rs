//! Time zones and wall times (provisional: replaced by the availability work).

use crate::BookingError;
use chrono_tz::Tz;

/// Parses an IANA time zone name such as `"Europe/Berlin"`.
pub fn parse_time_zone(name: &str) -> Result<Tz, BookingError> {
    name.parse::<Tz>().map_err(|_| BookingError::UnknownTimeZone { name: name.to_owned() })
}
