//! The in-memory read index's keys, kept without text: a partition that is a user's id (the
//! hyphenated, lower-case form every partition the engine writes has) as its 16 bytes, and a
//! sort key of the [`sort_key`](crate::index::sort_key) form as its numbers. Each orders
//! exactly as its text does, so the index lists what a text-keyed store lists, in the same
//! order; any other text (a bound a caller wrote, a year chrono writes its own way) is kept as
//! text, and a comparison that involves one compares the texts.
//!
//! Every text has one form only (a text that can be kept as numbers always is), so equal keys
//! are equal in form and the derived equality agrees with the order.

use std::borrow::Cow;
use std::cmp::Ordering;

/// A read-index partition: `""`, a user's id, or any other text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Partition {
    /// `""` (the one partition of [`ReadIndex::Starts`](crate::index::ReadIndex::Starts)).
    Empty,
    /// A hyphenated lower-case id, as its bytes (their order is the text's: fixed-width hex).
    Id([u8; 16]),
    /// Any other text.
    Text(Box<str>),
}

/// A read-index sort key or bound: `YYYY-MM-DDTHH:MM:SS.ffffffZ`, alone or followed by `/` and
/// a hyphenated lower-case id, as numbers; or any other text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Sort {
    /// The instant's fourteen digits up to the seconds as one number, its six digits of
    /// microseconds, and the id after the `/` (`None`: a bare bound, which sorts before every
    /// key at its instant, as a prefix does).
    At { seconds: u64, micros: u32, id: Option<[u8; 16]> },
    /// Any other text.
    Text(Box<str>),
}

/// The bytes of `text` if it is a hyphenated lower-case id, the only form the engine writes.
fn id_of(text: &str) -> Option<[u8; 16]> {
    let id = uuid::Uuid::try_parse(text).ok()?;
    let mut buffer = uuid::Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut buffer) == text).then(|| id.into_bytes())
}

fn id_text(bytes: [u8; 16]) -> String {
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

impl Partition {
    pub(super) fn of(text: &str) -> Partition {
        if text.is_empty() {
            Partition::Empty
        } else if let Some(id) = id_of(text) {
            Partition::Id(id)
        } else {
            Partition::Text(text.into())
        }
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            Partition::Empty => Cow::Borrowed(""),
            Partition::Id(id) => Cow::Owned(id_text(*id)),
            Partition::Text(text) => Cow::Borrowed(text),
        }
    }
}

impl Ord for Partition {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Partition::Empty, Partition::Empty) => Ordering::Equal,
            (Partition::Empty, _) => Ordering::Less,
            (_, Partition::Empty) => Ordering::Greater,
            (Partition::Id(a), Partition::Id(b)) => a.cmp(b),
            _ => self.text().cmp(&other.text()),
        }
    }
}

impl PartialOrd for Partition {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The length of `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
const INSTANT_LEN: usize = 27;

/// The instant's digits of `text` if it is exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the fourteen
/// up to the seconds and the six after the point.
fn instant_of(text: &[u8]) -> Option<(u64, u32)> {
    const SHAPE: &[u8; INSTANT_LEN] = b"0000-00-00T00:00:00.000000Z";
    if text.len() != INSTANT_LEN {
        return None;
    }
    let (mut seconds, mut micros) = (0u64, 0u32);
    for (i, (&byte, &shape)) in text.iter().zip(SHAPE).enumerate() {
        if shape != b'0' {
            if byte != shape {
                return None;
            }
            continue;
        }
        if !byte.is_ascii_digit() {
            return None;
        }
        let digit = byte - b'0';
        if i < 19 {
            seconds = seconds * 10 + u64::from(digit);
        } else {
            micros = micros * 10 + u32::from(digit);
        }
    }
    Some((seconds, micros))
}

impl Sort {
    pub(super) fn of(text: &str) -> Sort {
        let bytes = text.as_bytes();
        let at = match bytes.len() {
            INSTANT_LEN => instant_of(bytes).map(|(seconds, micros)| (seconds, micros, None)),
            n if n > INSTANT_LEN && bytes[INSTANT_LEN] == b'/' => instant_of(&bytes[..INSTANT_LEN])
                .zip(text.get(INSTANT_LEN + 1..).and_then(id_of))
                .map(|((seconds, micros), id)| (seconds, micros, Some(id))),
            _ => None,
        };
        match at {
            Some((seconds, micros, id)) => Sort::At { seconds, micros, id },
            None => Sort::Text(text.into()),
        }
    }

    /// The key as text, as the index was given it.
    pub(super) fn text(&self) -> Cow<'_, str> {
        match self {
            Sort::At { seconds, micros, id } => {
                let d = format!("{seconds:014}");
                let mut text = format!(
                    "{}-{}-{}T{}:{}:{}.{micros:06}Z",
                    &d[0..4],
                    &d[4..6],
                    &d[6..8],
                    &d[8..10],
                    &d[10..12],
                    &d[12..14]
                );
                if let Some(id) = id {
                    text.push('/');
                    text.push_str(&id_text(*id));
                }
                Cow::Owned(text)
            }
            Sort::Text(text) => Cow::Borrowed(text),
        }
    }
}

impl Ord for Sort {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Fixed-width digits order as their numbers; a bare instant is a prefix of the keys
            // at it (`None` first); ids order as their bytes.
            (Sort::At { seconds: s1, micros: m1, id: i1 }, Sort::At { seconds: s2, micros: m2, id: i2 }) => {
                (s1, m1, i1).cmp(&(s2, m2, i2))
            }
            _ => self.text().cmp(&other.text()),
        }
    }
}

impl PartialOrd for Sort {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{sort_bound, sort_key};
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    #[test]
    fn the_engines_keys_are_kept_as_numbers_and_come_back_as_they_were() {
        let at = DateTime::<Utc>::from_timestamp(1_900_000_000, 123_456_789).unwrap();
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        for text in [sort_key(at, id), sort_bound(at)] {
            let sort = Sort::of(&text);
            assert!(matches!(sort, Sort::At { .. }), "{text}");
            assert_eq!(sort.text(), text);
        }
        let partition = id.hyphenated().to_string();
        assert!(matches!(Partition::of(&partition), Partition::Id(_)));
        assert_eq!(Partition::of(&partition).text(), partition);
        assert_eq!(Partition::of(""), Partition::Empty);
        // Not the engine's form: kept as text.
        for other in ["0123", &id.hyphenated().to_string().to_uppercase(), &id.simple().to_string()] {
            assert!(matches!(Partition::of(other), Partition::Text(_)), "{other}");
        }
        for other in ["", "~", "+10000-01-01T00:00:00.000000Z", &format!("{}/x", sort_bound(at)), &sort_bound(at)[..26]]
        {
            assert!(matches!(Sort::of(other), Sort::Text(_)), "{other}");
        }
    }

    /// Texts near the engine's forms: its keys and bounds, with any byte changed, cut or added.
    fn near_key() -> impl Strategy<Value = String> {
        let instant = (-62_000_000_000i64..=253_402_300_799i64, 0u32..1_000_000_000)
            .prop_map(|(s, n)| DateTime::<Utc>::from_timestamp(s, n).unwrap());
        let key = (instant, any::<u128>(), any::<bool>())
            .prop_map(|(at, id, bare)| if bare { sort_bound(at) } else { sort_key(at, uuid::Uuid::from_u128(id)) });
        (
            key,
            any::<prop::sample::Index>(),
            prop::sample::select(vec![None, Some(b'0'), Some(b'/'), Some(b'~'), Some(b'f')]),
            0..3usize,
        )
            .prop_map(|(key, at, byte, how)| {
                let mut bytes = key.into_bytes();
                let i = at.index(bytes.len());
                match (how, byte) {
                    (0, _) | (_, None) => {}
                    (1, Some(b)) => bytes[i] = b,
                    (_, Some(b)) => bytes.insert(i, b),
                }
                String::from_utf8(bytes).unwrap()
            })
    }

    fn near_partition() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            any::<u128>().prop_map(|id| uuid::Uuid::from_u128(id).hyphenated().to_string()),
            any::<u128>().prop_map(|id| uuid::Uuid::from_u128(id).hyphenated().to_string().to_uppercase()),
            "[0-9a-f-]{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn sort_keys_order_as_their_texts(a in near_key(), b in near_key()) {
            let (x, y) = (Sort::of(&a), Sort::of(&b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b), "{} / {}", a, b);
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!(x.text(), a);
        }

        #[test]
        fn partitions_order_as_their_texts(a in near_partition(), b in near_partition()) {
            let (x, y) = (Partition::of(&a), Partition::of(&b));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b), "{} / {}", a, b);
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!(x.text(), a);
        }
    }
}
