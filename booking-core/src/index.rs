//! Store indexes: the values a store keeps beside an aggregate's JSON body, computed here once
//! for every store.
//!
//! A store keeps each aggregate as its body, the only source of truth, and may copy a few
//! values out of it into columns (or index maps) of its own: some it queries itself
//! ([`SessionIndex::offer_deadline`], for
//! [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due)),
//! the others are for hosts, who list "this teacher's upcoming sessions" or "this student's
//! lessons" with plain SQL instead of decoding every body. Every store (the in-memory store,
//! the document stores, SQLite, PostgreSQL) takes these values from the functions here
//! ([`SessionIndex::of`], [`LessonIndex::of`], [`FinishedBookingIndex::of`], or
//! [`Write::index`](crate::repository::Write::index) for a write) instead of deriving them
//! from the aggregate itself, so they agree by construction.
//!
//! The field names are the column names: a struct serializes (serde) to a JSON object of
//! `column: value`, which the PostgreSQL store sends to its commit function as is, and which
//! the stores' tests compare with what they stored, column by column.
//!
//! # A new index
//! 1. Add the field to the struct of its aggregate and one line to its `of` function.
//! 2. Add the column in each SQL store's next schema migration, and write it: the SQLite
//!    store's `INSERT`/`UPDATE` of the table, the PostgreSQL store's `booking_commit`
//!    function (which receives the field already).
//! 3. If a store reads it back (a new [`Repository`](crate::Repository) query), answer the
//!    query from it in each store.
//!
//! The stores' column tests (`stored_columns_are_the_core_index` in `booking-sqlite` and
//! `booking-postgres`) fail until every field is a column holding the core's value, and the
//! conformance check `store_index_queries_agree_with_the_core` compares each store's
//! [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due) with
//! the deadlines computed here.
//!
//! ```
//! use booking_core::index::SessionIndex;
//! use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
//! use chrono::{Duration, Utc};
//!
//! let engine = Engine::new(InMemoryRepository::new());
//! let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Choir".into(),
//!     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
//!     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
//!     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! let index = SessionIndex::of(&session);
//! assert_eq!((index.teacher_id, index.starts_at, index.offer_deadline), (teacher, session.starts_at, None));
//! assert_eq!(serde_json::to_value(index).unwrap()["teacher_id"], "00000000-0000-0000-0000-000000000001");
//! # Ok::<(), booking_core::BookingError>(())
//! ```

use crate::{
    CourseId, GroupSession, SeatBooking, SessionId, UserId,
    lesson::{Calendar, Lesson},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a store keeps beside a stored [`GroupSession`] (the columns of a `sessions` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionIndex {
    /// [`GroupSession::teacher_id`].
    pub teacher_id: UserId,
    /// [`GroupSession::course_id`].
    pub course_id: Option<CourseId>,
    /// [`GroupSession::starts_at`].
    pub starts_at: DateTime<Utc>,
    /// The earliest deadline of the session's outstanding seat offers
    /// ([`GroupSession::next_offer_deadline`]), `None` when it has none. Stores answer
    /// [`Repository::sessions_with_offers_due`](crate::Repository::sessions_with_offers_due)
    /// from it.
    pub offer_deadline: Option<DateTime<Utc>>,
}

impl SessionIndex {
    /// The index of this session.
    pub fn of(session: &GroupSession) -> Self {
        Self {
            teacher_id: session.teacher_id,
            course_id: session.course_id,
            starts_at: session.starts_at,
            offer_deadline: session.next_offer_deadline(),
        }
    }
}

/// What a store keeps beside a stored [`Calendar`]: nothing yet (calendars are only ever read
/// by owner, their key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CalendarIndex {}

impl CalendarIndex {
    /// The index of this calendar.
    pub fn of(calendar: &Calendar) -> Self {
        let _ = calendar;
        Self {}
    }
}

/// What a store keeps beside a stored [`Lesson`] (the columns of a `lessons` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LessonIndex {
    /// [`Lesson::teacher_id`].
    pub teacher_id: UserId,
    /// [`Lesson::student_id`].
    pub student_id: UserId,
    /// [`Lesson::course_id`].
    pub course_id: Option<CourseId>,
    /// [`Lesson::starts_at`].
    pub starts_at: DateTime<Utc>,
    /// [`Lesson::status`], as [`LessonStatus::as_str`](crate::lesson::LessonStatus::as_str)
    /// spells it.
    pub status: &'static str,
}

impl LessonIndex {
    /// The index of this lesson.
    pub fn of(lesson: &Lesson) -> Self {
        Self {
            teacher_id: lesson.teacher_id,
            student_id: lesson.student_id,
            course_id: lesson.course_id,
            starts_at: lesson.starts_at,
            status: lesson.status.as_str(),
        }
    }
}

/// What a store keeps beside a finished seat booking in its booking history (the columns of
/// a `finished_bookings` table; see [`Commit::finished_bookings`](crate::repository::Commit::finished_bookings)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FinishedBookingIndex {
    /// [`SeatBooking::session_id`].
    pub session_id: SessionId,
    /// [`SeatBooking::student_id`].
    pub student_id: UserId,
    /// [`SeatBooking::status`], as [`SeatStatus::as_str`](crate::SeatStatus::as_str) spells it.
    pub status: &'static str,
    /// When it finished: [`SeatBooking::updated_at`].
    pub finished_at: DateTime<Utc>,
}

impl FinishedBookingIndex {
    /// The index of this finished booking.
    pub fn of(booking: &SeatBooking) -> Self {
        Self {
            session_id: booking.session_id,
            student_id: booking.student_id,
            status: booking.status.as_str(),
            finished_at: booking.updated_at,
        }
    }
}

/// The index of one aggregate, whichever its kind (see
/// [`Write::index`](crate::repository::Write::index)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IndexEntries {
    /// A group session's.
    Session(SessionIndex),
    /// A calendar's.
    Calendar(CalendarIndex),
    /// A lesson's.
    Lesson(LessonIndex),
}

impl IndexEntries {
    /// The session's index, if this is one.
    pub fn session(&self) -> Option<&SessionIndex> {
        match self {
            IndexEntries::Session(index) => Some(index),
            _ => None,
        }
    }

    /// The lesson's index, if this is one.
    pub fn lesson(&self) -> Option<&LessonIndex> {
        match self {
            IndexEntries::Lesson(index) => Some(index),
            _ => None,
        }
    }
}

/// The read indexes: the lists the engine's queries ([`crate::read`]) page through. A store
/// keeps, for every aggregate it stores, the [`IndexEntry`]s the core computes for it
/// ([`Write::read_entries`](crate::repository::Write::read_entries)), replacing the
/// aggregate's previous entries in the same atomic step as its body, and answers
/// [`Repository::read_index`](crate::Repository::read_index) with a range scan of one
/// `(index, partition)` in `sort` order. Which aggregate is listed where, and in what order,
/// is decided here and nowhere else: a store only selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadIndex {
    /// Partition: a student's id. Every session in which the student holds a live seat
    /// booking, and every lesson of the student, by start.
    StudentAgenda,
    /// Partition: a teacher's id. The teacher's sessions and lessons, by start.
    TeacherAgenda,
    /// Partition: a teacher's id. The teacher's lessons waiting for approval, oldest request
    /// first.
    ApprovalQueue,
    /// One partition (`""`): every session not cancelled and every lesson that takes place
    /// (confirmed, attended or no-show), by start, across all teachers.
    Starts,
}

impl ReadIndex {
    /// Every read index.
    pub const ALL: [ReadIndex; 4] =
        [ReadIndex::StudentAgenda, ReadIndex::TeacherAgenda, ReadIndex::ApprovalQueue, ReadIndex::Starts];

    /// Its name, as stores keep it: `"student_agenda"`, `"teacher_agenda"`,
    /// `"approval_queue"` or `"starts"`.
    ///
    /// ```
    /// use booking_core::index::ReadIndex;
    /// assert_eq!(ReadIndex::ApprovalQueue.as_str(), "approval_queue");
    /// assert_eq!(ReadIndex::parse("starts"), Some(ReadIndex::Starts));
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ReadIndex::StudentAgenda => "student_agenda",
            ReadIndex::TeacherAgenda => "teacher_agenda",
            ReadIndex::ApprovalQueue => "approval_queue",
            ReadIndex::Starts => "starts",
        }
    }

    /// The index with this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|index| index.as_str() == name)
    }
}

/// One entry of a read index: the aggregate it belongs to is listed under `partition` of
/// `index`, at `sort`. Sort keys compare as byte strings (a SQL store declares the column
/// with a binary collation, `COLLATE "C"` on PostgreSQL); see [`sort_key`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct IndexEntry {
    /// Which index.
    pub index: ReadIndex,
    /// Whose list: a user's id (hyphenated, lower case), or `""` for [`ReadIndex::Starts`].
    pub partition: String,
    /// Where in the list: [`sort_key`] of an instant and the aggregate's id.
    pub sort: String,
}

/// The sort key of an aggregate listed at `at`: the instant in a fixed-width UTC form
/// (`2030-05-06T14:00:00.000000Z`), then `/`, then the aggregate's id, so that keys order by
/// instant first and are unique. A bare [`sort_bound`] of an instant sorts before every key at
/// that instant.
///
/// ```
/// use booking_core::index::{sort_bound, sort_key};
/// use chrono::{TimeZone, Utc};
/// let at = Utc.with_ymd_and_hms(2030, 5, 6, 14, 0, 0).unwrap();
/// let id = uuid::Uuid::from_u128(7);
/// assert_eq!(sort_key(at, id), "2030-05-06T14:00:00.000000Z/00000000-0000-0000-0000-000000000007");
/// assert!(sort_bound(at) < sort_key(at, id));
/// assert!(sort_key(at, id) < sort_bound(at + chrono::Duration::microseconds(1)));
/// ```
pub fn sort_key(at: DateTime<Utc>, id: uuid::Uuid) -> String {
    let mut key = sort_bound(at);
    key.push('/');
    key.push_str(id.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
    key
}

/// The instant part of a [`sort_key`]: every key at `at` or later sorts after it, every key
/// before `at` sorts before it. The text of chrono's `%Y-%m-%dT%H:%M:%S%.6fZ`; years 0 to
/// 9999 (every instant a booking can have) are written directly, since every commit computes
/// a key per index entry and chrono's formatter parses its pattern each time.
pub fn sort_bound(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let year = at.year();
    // `nanosecond` exceeds 999,999,999 only within a leap second, which `%S` and `%.6f` print
    // their own way: leave those to chrono too.
    if !(0..=9999).contains(&year) || at.nanosecond() > 999_999_999 {
        return at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (at_byte, width, value) in [
        (0, 4, year as u32),
        (5, 2, at.month()),
        (8, 2, at.day()),
        (11, 2, at.hour()),
        (14, 2, at.minute()),
        (17, 2, at.second()),
        (20, 6, at.nanosecond() / 1_000),
    ] {
        let mut rest = value;
        for digit in text[at_byte..at_byte + width].iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    // Only ASCII digits were written over ASCII text.
    String::from_utf8(text.to_vec()).unwrap_or_else(|_| at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
}

/// Where an aggregate is listed, before it is written as text: an [`IndexEntry`] as the
/// values it is made of. The engine decides its entries as places ([`places_of_session`],
/// [`places_of_lesson`]); a store that keeps text gets them as [`IndexEntry`], and the
/// in-memory store keys them without making the text at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IndexPlace {
    pub(crate) index: ReadIndex,
    /// `None`: the partition `""`.
    pub(crate) partition: Option<UserId>,
    /// To the microsecond, as the text has it (see [`IndexPlace::new`]).
    pub(crate) at: DateTime<Utc>,
    pub(crate) id: uuid::Uuid,
}

impl IndexPlace {
    /// The place; `at` is cut to the microsecond (the text's precision), so that two places
    /// are equal exactly when their entries are.
    pub(crate) fn new(index: ReadIndex, partition: Option<UserId>, at: DateTime<Utc>, id: uuid::Uuid) -> Self {
        use chrono::Timelike;
        let at = at.with_nanosecond(at.nanosecond() / 1_000 * 1_000).unwrap_or(at);
        Self { index, partition, at, id }
    }

    /// The partition's text: the user's hyphenated id, or `""`.
    pub(crate) fn partition_text(&self) -> String {
        self.partition.map(|user| user.as_uuid().hyphenated().to_string()).unwrap_or_default()
    }

    /// The entry, as text.
    pub(crate) fn entry(&self) -> IndexEntry {
        IndexEntry { index: self.index, partition: self.partition_text(), sort: sort_key(self.at, self.id) }
    }
}

/// The entries of `places`, as text; places in a row at the same instant and id (every place
/// of a session) share one sort key, made once.
fn entries_of(places: &[IndexPlace]) -> Vec<IndexEntry> {
    let mut entries: Vec<IndexEntry> = Vec::with_capacity(places.len());
    for (i, place) in places.iter().enumerate() {
        let sort = match i.checked_sub(1).map(|previous| &places[previous]) {
            Some(previous) if (previous.at, previous.id) == (place.at, place.id) => entries[i - 1].sort.clone(),
            _ => sort_key(place.at, place.id),
        };
        entries.push(IndexEntry { index: place.index, partition: place.partition_text(), sort });
    }
    entries
}

/// The places of a group session: the teacher's agenda, each student with a live booking in
/// it (once per student), and, unless it was cancelled, the list of everything that starts.
pub(crate) fn places_of_session(session: &GroupSession) -> Vec<IndexPlace> {
    let place = |index, partition| IndexPlace::new(index, partition, session.starts_at, session.id.as_uuid());
    let students = live_students(session);
    let mut places = Vec::with_capacity(2 + students.len());
    places.push(place(ReadIndex::TeacherAgenda, Some(session.teacher_id)));
    if !session.is_cancelled() {
        places.push(place(ReadIndex::Starts, None));
    }
    places.extend(students.into_iter().map(|s| place(ReadIndex::StudentAgenda, Some(s))));
    places
}

/// The places of a lesson: the teacher's and the student's agendas, the teacher's approval
/// queue while it is pending (by when it was requested), and the list of everything that
/// starts while it takes place (confirmed, attended, no-show).
pub(crate) fn places_of_lesson(lesson: &Lesson) -> Vec<IndexPlace> {
    use crate::lesson::LessonStatus;
    let id = lesson.id.as_uuid();
    let mut places = vec![
        IndexPlace::new(ReadIndex::TeacherAgenda, Some(lesson.teacher_id), lesson.starts_at, id),
        IndexPlace::new(ReadIndex::StudentAgenda, Some(lesson.student_id), lesson.starts_at, id),
    ];
    match lesson.status {
        LessonStatus::Pending => {
            places.push(IndexPlace::new(ReadIndex::ApprovalQueue, Some(lesson.teacher_id), lesson.requested_at, id))
        }
        LessonStatus::Confirmed | LessonStatus::Attended | LessonStatus::NoShow => {
            places.push(IndexPlace::new(ReadIndex::Starts, None, lesson.starts_at, id))
        }
        LessonStatus::Declined | LessonStatus::Cancelled => {}
    }
    places
}

impl IndexEntry {
    /// The read-index entries of a group session: the teacher's agenda, each student with a
    /// live booking in it (once per student), and, unless it was cancelled, the list of
    /// everything that starts.
    ///
    /// ```
    /// use booking_core::index::{IndexEntry, ReadIndex};
    /// use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
    /// use chrono::{Duration, Utc};
    ///
    /// let engine = Engine::new(InMemoryRepository::new());
    /// let (teacher, student) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
    /// let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    ///     teacher_id: teacher, course_id: None, title: "Choir".into(),
    ///     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
    ///     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    ///     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// })?.value;
    /// engine.book_seat(Actor::Student(student), session.id, student)?;
    /// let session = engine.session(Actor::Teacher(teacher), session.id)?;
    /// let indexes: Vec<_> = IndexEntry::of_session(&session).into_iter().map(|e| e.index).collect();
    /// assert_eq!(indexes, [ReadIndex::TeacherAgenda, ReadIndex::Starts, ReadIndex::StudentAgenda]);
    /// # Ok::<(), booking_core::BookingError>(())
    /// ```
    pub fn of_session(session: &GroupSession) -> Vec<IndexEntry> {
        entries_of(&places_of_session(session))
    }

    /// The read-index entries of a lesson: the teacher's and the student's agendas, the
    /// teacher's approval queue while it is pending (by when it was requested), and the list
    /// of everything that starts while it takes place (confirmed, attended, no-show).
    pub fn of_lesson(lesson: &Lesson) -> Vec<IndexEntry> {
        entries_of(&places_of_lesson(lesson))
    }
}

/// What writing an aggregate over its stored state changes in its read-index entries: the
/// entries of the stored state that the new one does not have, and the new state's entries
/// that the stored one did not have. Deleting `removed` and inserting `added` turns the
/// stored state's entries ([`IndexEntry::of_session`], [`IndexEntry::of_lesson`]) into the
/// new state's, touching only what changed: a booking changes one student's entry of a
/// session that may have hundreds.
///
/// A store uses this when it knows the state a write was decided on (the aggregate as stored
/// at [`Write::expected_version`](crate::repository::Write::expected_version), from a cache
/// of its own) and applies the changes only if the write's version check passes, in the same
/// atomic step: then its rows were the stored state's entries. Otherwise it replaces the
/// aggregate's entries with [`Write::read_entries`](crate::repository::Write::read_entries).
///
/// ```
/// use booking_core::index::{IndexEntry, IndexEntryChanges, ReadIndex};
/// use booking_core::{Actor, Engine, InMemoryRepository, NewGroupSession, UserId};
/// use chrono::{Duration, Utc};
///
/// let engine = Engine::new(InMemoryRepository::new());
/// let (teacher, student) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
/// let before = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
///     teacher_id: teacher, course_id: None, title: "Choir".into(),
///     starts_at: Utc::now() + Duration::days(2), time_zone: "Europe/Vienna".into(),
///     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
///     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
/// })?.value;
/// engine.book_seat(Actor::Student(student), before.id, student)?;
/// let after = engine.session(Actor::Teacher(teacher), before.id)?;
/// let changes = IndexEntryChanges::of_session(&before, &after);
/// assert!(changes.removed.is_empty());
/// assert_eq!(changes.added.len(), 1);
/// assert_eq!((changes.added[0].index, changes.added[0].partition.as_str()), (ReadIndex::StudentAgenda, "00000000-0000-0000-0000-000000000002"));
/// // The stored entries, less the removed, plus the added, are the new state's.
/// let mut entries = IndexEntry::of_session(&before);
/// entries.extend(changes.added);
/// entries.sort();
/// let mut expected = IndexEntry::of_session(&after);
/// expected.sort();
/// assert_eq!(entries, expected);
/// # Ok::<(), booking_core::BookingError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IndexEntryChanges {
    /// Entries of the stored state that the new state does not have: to delete.
    pub removed: Vec<IndexEntry>,
    /// Entries of the new state that the stored state did not have: to insert.
    pub added: Vec<IndexEntry>,
}

impl IndexEntryChanges {
    /// A session written over `stored`.
    pub fn of_session(stored: &GroupSession, new: &GroupSession) -> Self {
        Self::of(IndexChanges::of_session(Some(stored), new))
    }

    /// A lesson written over `stored`.
    pub fn of_lesson(stored: &Lesson, new: &Lesson) -> Self {
        Self::of(IndexChanges::of_lesson(Some(stored), new))
    }

    fn of(changes: IndexChanges) -> Self {
        Self { removed: entries_of(&changes.removed), added: entries_of(&changes.added) }
    }
}

/// The students, each once and in id order, of the live (not finished) bookings that are in
/// only one of `old` and `new`, or live in only one: bookings that came, went, finished or
/// were revived. Only these can change whether a student has a live booking in the session.
///
/// A write keeps its session's bookings in order (it appends new ones and takes finished ones
/// out), so one walk through both vectors pairs each booking with itself. Where the two orders
/// differ anyway, every live booking the walk cannot pair counts as changed: the result may
/// then name more students, never fewer, and the caller checks each one. A finished booking
/// taken out (a session stored before finished bookings left it sheds them all on its next
/// change) names nobody.
///
/// Each student comes with two flags, both false, for the caller to mark whether they have a
/// live booking before and after.
fn students_whose_bookings_changed(old: &GroupSession, new: &GroupSession) -> Vec<(UserId, [bool; 2])> {
    let live = |b: &SeatBooking| !b.status.is_finished();
    let mut students = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let Some(before) = old.bookings.get(i) {
        match new.bookings.get(j) {
            Some(after) if after.id == before.id => {
                if live(before) != live(after) {
                    students.push((before.student_id, [false; 2]));
                }
                j += 1;
            }
            // Gone from `new` (or out of order): if it was live, its student may have changed.
            _ if live(before) => students.push((before.student_id, [false; 2])),
            _ => {}
        }
        i += 1;
    }
    students.extend(new.bookings[j..].iter().filter(|b| live(b)).map(|b| (b.student_id, [false; 2])));
    students.sort_unstable_by_key(|&(student, _)| student);
    students.dedup_by_key(|&mut (student, _)| student);
    students
}

/// The students with a live booking in `session`, each once, in id order (the order of their
/// entries' partitions: a hyphenated id sorts as its number).
fn live_students(session: &GroupSession) -> Vec<UserId> {
    let mut students = Vec::with_capacity(session.bookings.len());
    students.extend(session.bookings.iter().filter(|b| !b.status.is_finished()).map(|b| b.student_id));
    students.sort_unstable();
    students.dedup();
    students
}

/// What a store changes in its read indexes when it writes an aggregate: the entries that go
/// and the ones that come, as places. Replacing the old entries with the new ones amounts to
/// the same; these touch only the entries that changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexChanges {
    /// Places of the old state that the new one does not have.
    pub(crate) removed: Vec<IndexPlace>,
    /// Places of the new state that the old one did not have.
    pub(crate) added: Vec<IndexPlace>,
}

impl IndexChanges {
    /// From the places before and after (in any order; a place given twice counts once).
    pub(crate) fn between(mut old: Vec<IndexPlace>, mut new: Vec<IndexPlace>) -> Self {
        use std::cmp::Ordering;
        for entries in [&mut old, &mut new] {
            entries.sort_unstable();
            entries.dedup();
        }
        let mut changes = Self::default();
        let (mut old, mut new) = (old.into_iter().peekable(), new.into_iter().peekable());
        loop {
            let order = match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(gone), Some(came)) => gone.cmp(came),
            };
            match order {
                Ordering::Less => changes.removed.extend(old.next()),
                Ordering::Greater => changes.added.extend(new.next()),
                Ordering::Equal => {
                    old.next();
                    new.next();
                }
            }
        }
        changes
    }

    /// A session written over `old` (`None`: created): the same as [`between`](Self::between)
    /// their [`places_of_session`], but when only who books changed (the usual commit) it
    /// compares student ids and gives the places of the students who came or went.
    pub(crate) fn of_session(old: Option<&GroupSession>, new: &GroupSession) -> Self {
        let Some(old) = old else { return Self::between(Vec::new(), places_of_session(new)) };
        if (old.id, old.teacher_id, old.starts_at, old.is_cancelled())
            != (new.id, new.teacher_id, new.starts_at, new.is_cancelled())
        {
            return Self::between(places_of_session(old), places_of_session(new));
        }
        let mut students = students_whose_bookings_changed(old, new);
        if students.is_empty() {
            return Self::default();
        }
        // Which of them have a live booking before and after. Usually one or two students (the
        // one who booked or cancelled): a search that stops at their booking. More (a batch, or
        // bookings out of order): one pass through each session, so never n searches of n.
        let sessions = [old, new];
        if students.len() <= 4 {
            for (student, live) in &mut students {
                for (side, session) in sessions.into_iter().enumerate() {
                    live[side] = session.bookings.iter().any(|b| b.student_id == *student && !b.status.is_finished());
                }
            }
        } else {
            for (side, session) in sessions.into_iter().enumerate() {
                for booking in session.bookings.iter().filter(|b| !b.status.is_finished()) {
                    if let Ok(at) = students.binary_search_by_key(&booking.student_id, |&(student, _)| student) {
                        students[at].1[side] = true;
                    }
                }
            }
        }
        let agenda_of =
            |student: UserId| IndexPlace::new(ReadIndex::StudentAgenda, Some(student), new.starts_at, new.id.as_uuid());
        let mut changes = Self::default();
        for (student, live) in students {
            match live {
                [true, false] => changes.removed.push(agenda_of(student)),
                [false, true] => changes.added.push(agenda_of(student)),
                _ => {}
            }
        }
        changes
    }

    /// A lesson written over `old` (`None`: created).
    pub(crate) fn of_lesson(old: Option<&Lesson>, new: &Lesson) -> Self {
        Self::between(old.map(places_of_lesson).unwrap_or_default(), places_of_lesson(new))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn chronos(at: DateTime<Utc>) -> String {
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }

    /// A session of 12 seats with a booking by each of `students` (student ids repeat: a
    /// student may hold two bookings), made by the engine.
    fn session_booked_by(students: &[u8]) -> GroupSession {
        use crate::{Actor, Engine, InMemoryRepository, NewGroupSession};
        let user = |n: u8| UserId::from_uuid(uuid::Uuid::from_u128(1000 + u128::from(n)));
        let engine = Engine::new(InMemoryRepository::new())
            .with_clock(crate::ManualClock::new(Utc.with_ymd_and_hms(2030, 3, 1, 8, 0, 0).unwrap()));
        let session = engine
            .create_session(
                Actor::Teacher(user(0)),
                NewGroupSession {
                    teacher_id: user(0),
                    course_id: None,
                    title: "Choir".into(),
                    starts_at: Utc.with_ymd_and_hms(2030, 3, 10, 17, 0, 0).unwrap(),
                    time_zone: "Europe/Vienna".into(),
                    duration_minutes: 60,
                    meeting_link: "https://meet.example.com/choir".into(),
                    capacity: 12,
                    waitlist_enabled: true,
                    waitlist_mode: Default::default(),
                    rules: Default::default(),
                },
            )
            .unwrap()
            .value;
        let mut repeated = Vec::new();
        for &n in students {
            let student = user(n);
            // The engine refuses a second booking of the same student; the test gives them a
            // second one anyway (as a session stored before that rule may hold), so that a
            // student can have a finished and a live booking in one session.
            if engine.book_seat(Actor::Student(student), session.id, student).is_err() {
                repeated.push(student);
            }
        }
        let mut session = GroupSession::clone(&engine.session(Actor::System, session.id).unwrap());
        for (n, student) in repeated.into_iter().enumerate() {
            let first = session.bookings.iter().find(|b| b.student_id == student).unwrap().clone();
            let id = crate::BookingId::from_uuid(uuid::Uuid::from_u128(9000 + n as u128));
            session.bookings.push(SeatBooking { id, ..first });
        }
        session
    }

    /// How a test varies a session's bookings: which are finished, which are gone from the
    /// vector (taken out, or not made yet), and whether the vector is out of its usual order.
    #[derive(Clone, Copy, Debug)]
    struct Varied {
        finished: u32,
        gone: u32,
        reversed: bool,
    }

    fn varied_bookings() -> impl Strategy<Value = Varied> {
        (any::<u32>(), prop_oneof![Just(0u32), any::<u32>()], prop_oneof![4 => Just(false), 1 => Just(true)])
            .prop_map(|(finished, gone, reversed)| Varied { finished, gone, reversed })
    }

    /// `state` with its bookings varied as `bookings` says, moved by `moved_hours`, and
    /// cancelled as a whole if `cancelled`.
    fn varied(state: &GroupSession, bookings: Varied, moved_hours: i64, cancelled: bool) -> GroupSession {
        let mut next = state.clone();
        for (i, booking) in next.bookings.iter_mut().enumerate() {
            if bookings.finished & (1 << i) != 0 {
                booking.status = crate::SeatStatus::Cancelled;
            }
        }
        let mut i = 0;
        next.bookings.retain(|_| {
            i += 1;
            bookings.gone & (1 << (i - 1)) == 0
        });
        if bookings.reversed {
            next.bookings.reverse();
        }
        next.starts_at += chrono::TimeDelta::hours(moved_hours);
        if cancelled {
            next.cancelled_at = Some(next.starts_at);
        }
        next
    }

    proptest! {
        /// The changes of a session's write turn its old entries into its new ones, whatever
        /// changed (who books, which bookings came and went, when, whether it takes place,
        /// even the bookings' order), and touch nothing that stays.
        #[test]
        fn a_sessions_index_changes_turn_its_old_entries_into_its_new(
            students in proptest::collection::vec(1u8..8, 0..12),
            old_bookings in varied_bookings(), new_bookings in varied_bookings(),
            moved in prop_oneof![Just(0i64), -3i64..3], old_cancelled in any::<bool>(), new_cancelled in any::<bool>(),
        ) {
            let base = session_booked_by(&students);
            let old = varied(&base, old_bookings, 0, old_cancelled);
            let new = varied(&base, new_bookings, moved, new_cancelled);
            let before: BTreeSet<IndexEntry> = IndexEntry::of_session(&old).into_iter().collect();
            let after: BTreeSet<IndexEntry> = IndexEntry::of_session(&new).into_iter().collect();
            let changes = IndexChanges::of_session(Some(&old), &new);
            let removed: BTreeSet<IndexEntry> = changes.removed.iter().map(IndexPlace::entry).collect();
            let added: BTreeSet<IndexEntry> = changes.added.iter().map(IndexPlace::entry).collect();
            prop_assert_eq!(removed.len(), changes.removed.len(), "an entry removed twice");
            prop_assert_eq!(added.len(), changes.added.len(), "an entry added twice");
            prop_assert_eq!(&removed, &before.difference(&after).cloned().collect::<BTreeSet<_>>());
            prop_assert_eq!(&added, &after.difference(&before).cloned().collect::<BTreeSet<_>>());
            // The same changes as text, as a store that keeps text gets them.
            let text = IndexEntryChanges::of_session(&old, &new);
            prop_assert_eq!(text.removed.iter().cloned().collect::<BTreeSet<_>>(), removed);
            prop_assert_eq!(text.added.iter().cloned().collect::<BTreeSet<_>>(), added);
            prop_assert_eq!((text.removed.len(), text.added.len()), (changes.removed.len(), changes.added.len()));
            let created = IndexChanges::of_session(None, &new);
            prop_assert!(created.removed.is_empty());
            prop_assert_eq!(created.added.iter().map(IndexPlace::entry).collect::<BTreeSet<_>>(), after);
        }
    }

    proptest! {
        #[test]
        fn a_sort_bound_is_chronos_text(secs in -63_000_000_000i64..260_000_000_000i64, nanos in 0u32..1_000_000_000) {
            let at = Utc.timestamp_opt(secs, nanos).unwrap();
            prop_assert_eq!(sort_bound(at), chronos(at));
        }
    }

    #[test]
    fn a_sort_bound_at_the_edges_is_chronos_text() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap().and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        let edges = [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + chrono::TimeDelta::nanoseconds(999_999_999),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2030, 5, 6, 14, 0, 0).unwrap() + chrono::TimeDelta::microseconds(7),
            leap.and_utc(),
        ];
        for at in edges {
            assert_eq!(sort_bound(at), chronos(at), "{at:?}");
        }
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let at = edges[6];
        assert_eq!(sort_key(at, id), format!("{}/{}", chronos(at), id.hyphenated()));
    }
}
