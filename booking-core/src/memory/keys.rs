//! The in-memory read index's keys, kept without text where the text is the engine's own
//! form: a partition that is `""` or a user's id (hyphenated, lower case: every partition the
//! engine writes) and a sort key of the [`sort_key`](crate::index::sort_key) or
//! [`sort_bound`](crate::index::sort_bound) form are kept as plain integers, compared as
//! integers, and each orders exactly as its text does; so the index lists what a text-keyed
//! store lists, in the same order. A key with any other text (a page token a caller wrote, a
//! year chrono writes its own way) is kept as its texts, and a comparison that involves one
//! compares the texts (written on the stack for the other side, without allocating).
//!
//! Every key has one form only (a key that can be kept as integers always is), so equal keys
//! are equal in form and the derived equality agrees with the order.

use crate::index::{IndexPlace, ReadIndex};
use std::cmp::Ordering;

/// A read-index key: which index, whose list (the partition) and where in it (the sort key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Key {
    /// Partition and sort key of the engine's form, as integers.
    Numeric(NumericKey),
    /// Any other key, as its texts.
    Text(Box<TextKey>),
}

/// A key of the engine's form. The derived order (field by field, in declaration order) is
/// the order of its text: `""` before every id; an id's bytes (read big-endian as two `u64`)
/// order as its fixed-width hex; the instant's fourteen digits up to the seconds order as the
/// number they make; a bare instant (a bound) is a prefix of every key at it, so it comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct NumericKey {
    index: ReadIndex,
    /// `false`: the partition is `""` (and the id halves are zero).
    has_partition: bool,
    partition_high: u64,
    partition_low: u64,
    /// `YYYYMMDDHHMMSS` as a number.
    seconds: u64,
    /// The microseconds shifted left by one, plus 1 if an id follows the instant.
    tail: u32,
    /// The id after the `/` (zero for a bare instant), as two halves.
    id_high: u64,
    id_low: u64,
}

/// A key with some text not of the engine's form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TextKey {
    index: ReadIndex,
    partition: Box<str>,
    sort: Box<str>,
}

/// The length of `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
const INSTANT_LEN: usize = 27;
/// The length of a hyphenated id.
const ID_LEN: usize = 36;
/// The longest sort key of the engine's form: an instant, `/` and an id.
const SORT_LEN: usize = INSTANT_LEN + 1 + ID_LEN;
/// The shape of an instant: a `0` stands for a digit, anything else for itself.
const INSTANT_SHAPE: &[u8; INSTANT_LEN] = b"0000-00-00T00:00:00.000000Z";
/// Where the microseconds start in an instant.
const MICROS_AT: usize = 20;

/// The id of `text` as two big-endian halves if `text` is a hyphenated lower-case id, the only
/// form the engine writes.
fn id_of(text: &str) -> Option<[u64; 2]> {
    let id = uuid::Uuid::try_parse(text).ok()?;
    let mut buffer = uuid::Uuid::encode_buffer();
    (id.hyphenated().encode_lower(&mut buffer) == text).then(|| halves(id.as_u128()))
}

fn halves(id: u128) -> [u64; 2] {
    [(id >> 64) as u64, id as u64]
}

fn whole([high, low]: [u64; 2]) -> u128 {
    (u128::from(high) << 64) | u128::from(low)
}

/// Writes the hyphenated lower-case id into `out` (36 bytes).
fn write_id(id: [u64; 2], out: &mut [u8]) {
    uuid::Uuid::from_u128(whole(id)).hyphenated().encode_lower(out);
}

/// The instant's digits of `text` if it is exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the fourteen
/// up to the seconds and the six after the point.
fn instant_of(text: &[u8]) -> Option<(u64, u32)> {
    if text.len() != INSTANT_LEN {
        return None;
    }
    let (mut seconds, mut micros) = (0u64, 0u32);
    for (i, (&byte, &shape)) in text.iter().zip(INSTANT_SHAPE).enumerate() {
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
        if i < MICROS_AT {
            seconds = seconds * 10 + u64::from(digit);
        } else {
            micros = micros * 10 + u32::from(digit);
        }
    }
    Some((seconds, micros))
}

/// Writes the instant of `instant_of` back into `out` (27 bytes).
fn write_instant(mut seconds: u64, mut micros: u32, out: &mut [u8]) {
    for i in (0..INSTANT_LEN).rev() {
        out[i] = match INSTANT_SHAPE[i] {
            b'0' if i >= MICROS_AT => {
                let digit = (micros % 10) as u8;
                micros /= 10;
                b'0' + digit
            }
            b'0' => {
                let digit = (seconds % 10) as u8;
                seconds /= 10;
                b'0' + digit
            }
            other => other,
        };
    }
}

/// The sort key `text` as `(seconds, tail, id)` if it is of the engine's form.
fn sort_of(text: &str) -> Option<(u64, u32, [u64; 2])> {
    let bytes = text.as_bytes();
    let (instant, id) = match bytes.len() {
        INSTANT_LEN => (bytes, None),
        n if n > INSTANT_LEN && bytes[INSTANT_LEN] == b'/' => {
            (&bytes[..INSTANT_LEN], Some(id_of(text.get(INSTANT_LEN + 1..)?)?))
        }
        _ => return None,
    };
    let (seconds, micros) = instant_of(instant)?;
    Some((seconds, micros << 1 | u32::from(id.is_some()), id.unwrap_or_default()))
}

impl Key {
    /// The key of an entry or a bound.
    pub(super) fn of(index: ReadIndex, partition: &str, sort: &str) -> Key {
        let numeric_partition =
            if partition.is_empty() { Some((false, [0; 2])) } else { id_of(partition).map(|id| (true, id)) };
        match (numeric_partition, sort_of(sort)) {
            (Some((has_partition, [partition_high, partition_low])), Some((seconds, tail, [id_high, id_low]))) => {
                Key::Numeric(NumericKey {
                    index,
                    has_partition,
                    partition_high,
                    partition_low,
                    seconds,
                    tail,
                    id_high,
                    id_low,
                })
            }
            _ => Key::Text(Box::new(TextKey { index, partition: partition.into(), sort: sort.into() })),
        }
    }

    /// The key of an entry given as its place: the key [`Key::of`] its text gives, made
    /// without the text. A place whose instant has a year outside 0 to 9999, or falls in a
    /// leap second, is written as text and read back, as the text would be.
    pub(super) fn of_place(place: &IndexPlace) -> Key {
        use chrono::{Datelike, Timelike};
        let at = place.at;
        let Ok(year) = u32::try_from(at.year()) else { return Key::of_text(place) };
        if year > 9999 || at.nanosecond() > 999_999_999 {
            return Key::of_text(place);
        }
        let seconds = [at.month(), at.day(), at.hour(), at.minute(), at.second()]
            .into_iter()
            .fold(u64::from(year), |number, two_digits| number * 100 + u64::from(two_digits));
        let [partition_high, partition_low] = place.partition.map_or([0; 2], |user| halves(user.as_uuid().as_u128()));
        let [id_high, id_low] = halves(place.id.as_u128());
        Key::Numeric(NumericKey {
            index: place.index,
            has_partition: place.partition.is_some(),
            partition_high,
            partition_low,
            seconds,
            tail: (at.nanosecond() / 1_000) << 1 | 1,
            id_high,
            id_low,
        })
    }

    fn of_text(place: &IndexPlace) -> Key {
        let entry = place.entry();
        Key::of(entry.index, &entry.partition, &entry.sort)
    }

    fn index(&self) -> ReadIndex {
        match self {
            Key::Numeric(key) => key.index,
            Key::Text(key) => key.index,
        }
    }

    /// The partition's text, written into `buffer` if it is kept as an id.
    fn partition<'a>(&'a self, buffer: &'a mut [u8; ID_LEN]) -> &'a [u8] {
        match self {
            Key::Numeric(NumericKey { has_partition: false, .. }) => b"",
            Key::Numeric(key) => {
                write_id([key.partition_high, key.partition_low], buffer);
                buffer
            }
            Key::Text(key) => key.partition.as_bytes(),
        }
    }

    /// The sort key's text, written into `buffer` if it is kept as integers.
    fn sort<'a>(&'a self, buffer: &'a mut [u8; SORT_LEN]) -> &'a [u8] {
        match self {
            Key::Numeric(key) => {
                write_instant(key.seconds, key.tail >> 1, &mut buffer[..INSTANT_LEN]);
                if key.tail & 1 == 0 {
                    return &buffer[..INSTANT_LEN];
                }
                buffer[INSTANT_LEN] = b'/';
                write_id([key.id_high, key.id_low], &mut buffer[INSTANT_LEN + 1..]);
                buffer
            }
            Key::Text(key) => key.sort.as_bytes(),
        }
    }

    /// The sort key as text, as the index was given it.
    pub(super) fn sort_text(&self) -> String {
        let mut buffer = [0; SORT_LEN];
        // Both forms are UTF-8: the digits and ids written are ASCII, the rest was a `str`.
        String::from_utf8_lossy(self.sort(&mut buffer)).into_owned()
    }
}

impl Key {
    /// The order of two keys of which one at least is kept as text: the order of their texts.
    #[cold]
    #[inline(never)]
    fn cmp_texts(&self, other: &Self) -> Ordering {
        let (mut p1, mut p2) = ([0; ID_LEN], [0; ID_LEN]);
        let (mut s1, mut s2) = ([0; SORT_LEN], [0; SORT_LEN]);
        self.index()
            .cmp(&other.index())
            .then_with(|| self.partition(&mut p1).cmp(other.partition(&mut p2)))
            .then_with(|| self.sort(&mut s1).cmp(other.sort(&mut s2)))
    }
}

impl Ord for Key {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Numeric(a), Key::Numeric(b)) => a.cmp(b),
            _ => self.cmp_texts(other),
        }
    }
}

impl PartialOrd for Key {
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

    fn partition_text(key: &Key) -> String {
        String::from_utf8(key.partition(&mut [0; ID_LEN]).to_vec()).unwrap()
    }

    #[test]
    fn the_engines_keys_are_kept_as_integers_and_come_back_as_they_were() {
        let at = DateTime::<Utc>::from_timestamp(1_900_000_000, 123_456_789).unwrap();
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210);
        let partition = id.hyphenated().to_string();
        for sort in [sort_key(at, id), sort_bound(at)] {
            for partition in ["", partition.as_str()] {
                let key = Key::of(ReadIndex::StudentAgenda, partition, &sort);
                assert!(matches!(key, Key::Numeric(_)), "{partition} {sort}");
                assert_eq!((partition_text(&key), key.sort_text()), (partition.to_owned(), sort.clone()));
            }
        }
        // Not the engine's form: kept as text.
        let sort = sort_key(at, id);
        for other in ["0123", &partition.to_uppercase(), &id.simple().to_string()] {
            assert!(matches!(Key::of(ReadIndex::Starts, other, &sort), Key::Text(_)), "{other}");
        }
        for other in ["", "~", "+10000-01-01T00:00:00.000000Z", &format!("{}/x", sort_bound(at)), &sort_bound(at)[..26]]
        {
            let key = Key::of(ReadIndex::Starts, "", other);
            assert!(matches!(key, Key::Text(_)), "{other}");
            assert_eq!(key.sort_text(), other);
        }
    }

    /// Texts near the engine's sort keys: its keys and bounds, with any byte changed, cut or
    /// added.
    fn near_sort() -> impl Strategy<Value = String> {
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

    /// Texts near the engine's partitions.
    fn near_partition() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            any::<u128>().prop_map(|id| uuid::Uuid::from_u128(id).hyphenated().to_string()),
            any::<u128>().prop_map(|id| uuid::Uuid::from_u128(id).hyphenated().to_string().to_uppercase()),
            "[0-9a-f-]{0,40}",
        ]
    }

    /// A key's three parts, with few indexes and partitions so that many pairs share them.
    fn near_key() -> impl Strategy<Value = (ReadIndex, String, String)> {
        (prop::sample::select(ReadIndex::ALL.to_vec()), near_partition(), near_sort())
    }

    /// The first `n` bytes of `text`, or all of it.
    fn head(text: &str, n: usize) -> &str {
        text.get(..n).unwrap_or(text)
    }

    proptest! {
        /// A place's key is the key of its text, for instants of any year chrono has (those
        /// outside 0 to 9999 take the text's way) and in leap seconds.
        #[test]
        fn a_places_key_is_its_texts_key(
            index in prop::sample::select(ReadIndex::ALL.to_vec()),
            partition in prop::option::of(any::<u128>()),
            seconds in prop_oneof![
                4 => -62_167_219_200i64..=253_402_300_799i64,
                1 => -8_210_266_876_800i64..=8_210_298_412_799i64,
            ],
            nanos in 0u32..1_000_000_000,
            leap in prop::bool::weighted(0.2),
            id in any::<u128>(),
        ) {
            // A leap second's nanoseconds run on past 999,999,999, at a minute's 59th second.
            let (seconds, nanos) = if leap { (seconds - seconds.rem_euclid(60) + 59, nanos + 1_000_000_000) } else { (seconds, nanos) };
            let at = DateTime::<Utc>::from_timestamp(seconds, nanos).unwrap();
            let partition = partition.map(|p| crate::UserId::from_uuid(uuid::Uuid::from_u128(p)));
            let place = IndexPlace::new(index, partition, at, uuid::Uuid::from_u128(id));
            let entry = place.entry();
            prop_assert_eq!(Key::of_place(&place), Key::of(entry.index, &entry.partition, &entry.sort), "{:?}", entry);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// `b` takes at random `a`'s index, partition, and the start of its sort key (up to the
        /// seconds, or the whole instant), so that pairs often differ only in what follows.
        #[test]
        fn keys_order_as_their_texts(
            a in near_key(),
            b in near_key(),
            same in any::<[bool; 2]>(),
            shared in prop::sample::select(vec![0, MICROS_AT, INSTANT_LEN]),
        ) {
            let sort = format!("{}{}", head(&a.2, shared), b.2.get(shared..).unwrap_or(""));
            let b = (if same[0] { a.0 } else { b.0 }, if same[1] { a.1.clone() } else { b.1 }, sort);
            let (x, y) = (Key::of(a.0, &a.1, &a.2), Key::of(b.0, &b.1, &b.2));
            prop_assert_eq!(x.cmp(&y), a.cmp(&b), "{:?} / {:?}", a, b);
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!((x.index(), partition_text(&x), x.sort_text()), a);
        }
    }
}
