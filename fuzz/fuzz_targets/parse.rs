//! Every input the public API parses: time zone names, meeting links (stored normalized), request keys, and the
//! JSON of every public type (scheduling rules, waitlist modes and time off included). Never a
//! panic; whatever decodes re-encodes, and decoding that again gives an equal value.
#![no_main]

use booking_core::availability::{AvailabilitySlot, TimeOff, TimeOffSpec};
use booking_core::lesson::{Calendar, Lesson, OccurrenceQuery, SeriesRequest, SlotSpec};
use booking_core::repository::RequestRecord;
use booking_core::time::parse_time_zone;
use booking_core::{
    BookingError, Command, Event, GroupSession, MeetingLink, RequestKey, SchedulingRules, WaitlistMode,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// Decodes `data` as a `T`; if that works, checks that encoding and decoding again gives an
/// equal value (and the same encoding).
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let name = std::any::type_name::<T>();
    let encoded = serde_json::to_vec(&value).unwrap_or_else(|e| panic!("{name} {value:?} does not encode: {e}"));
    let again: T = serde_json::from_slice(&encoded).unwrap_or_else(|e| {
        panic!("{name} {value:?} encodes as {} which does not decode: {e}", String::from_utf8_lossy(&encoded))
    });
    assert_eq!(again, value, "{name} changed through {}", String::from_utf8_lossy(&encoded));
    let encoded_again = serde_json::to_vec(&again).expect("encodes");
    assert_eq!(encoded_again, encoded, "{name}: the encoding is not stable");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(tz) = parse_time_zone(text) {
            // Names and aliases parse to a zone whose canonical name parses to itself.
            assert_eq!(parse_time_zone(tz.name()), Ok(tz), "{text:?}");
        }
        match MeetingLink::parse(text) {
            Ok(link) => {
                // Stored normalized: printable, no control character (as typed none either),
                // and normalizing again changes nothing.
                assert!(!text.contains(char::is_control), "{text:?} has a control character");
                assert!(!link.as_str().contains(|c: char| c.is_control() || c == ' '), "{link:?}");
                assert!(link.as_str().len() <= booking_core::MAX_MEETING_LINK_LEN, "{link:?}");
                assert_eq!(MeetingLink::parse(link.as_str()).as_ref(), Ok(&link));
                let json = serde_json::to_string(&link).expect("a link encodes");
                assert_eq!(serde_json::from_str::<MeetingLink>(&json).ok().as_ref(), Some(&link));
            }
            Err(e) => assert_eq!(e.code().as_str(), "invalid_meeting_link", "{text:?}: {e:?}"),
        }
        match RequestKey::new(text) {
            Ok(key) => {
                assert_eq!(key.as_str(), text);
                let json = serde_json::to_string(&key).expect("a key encodes");
                assert_eq!(serde_json::from_str::<RequestKey>(&json).ok().as_ref(), Some(&key));
            }
            Err(e) => assert_eq!(e.code().as_str(), "invalid_input", "{text:?}: {e:?}"),
        }
    }
    round_trip::<GroupSession>(data);
    round_trip::<Event>(data);
    round_trip::<Command>(data);
    round_trip::<BookingError>(data);
    round_trip::<Lesson>(data);
    round_trip::<Calendar>(data);
    round_trip::<AvailabilitySlot>(data);
    round_trip::<SlotSpec>(data);
    round_trip::<SeriesRequest>(data);
    round_trip::<OccurrenceQuery>(data);
    round_trip::<RequestRecord>(data);
    round_trip::<MeetingLink>(data);
    round_trip::<RequestKey>(data);
    round_trip::<SchedulingRules>(data);
    round_trip::<WaitlistMode>(data);
    round_trip::<TimeOff>(data);
    round_trip::<TimeOffSpec>(data);
});
