//! iCalendar export ([RFC 5545](https://www.rfc-editor.org/rfc/rfc5545)) of group sessions,
//! seat bookings and 1:1 lessons, so students and teachers can put them in their calendar apps.
//!
//! ```
//! use booking_core::*;
//! use chrono::{TimeZone, Utc};
//!
//! let now = Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap();
//! let engine = Engine::new(InMemoryRepository::new()).with_clock(ManualClock::new(now));
//! let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
//! let ana = UserId::from_uuid(uuid::Uuid::from_u128(2));
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Chess, openings; part 1".into(),
//!     starts_at: Utc.with_ymd_and_hms(2030, 5, 2, 17, 0, 0).unwrap(),
//!     time_zone: "Europe/Paris".into(), duration_minutes: 90,
//!     meeting_link: "https://meet.example.com/chess".into(), capacity: 8, waitlist_enabled: true,
//!     waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//! let seat = engine.book_seat(Actor::Student(ana), session.id, ana)?.value;
//!
//! // The teacher's view of the session, and Ana's booking.
//! let ics = engine.session_ical(Actor::Teacher(teacher), session.id)?;
//! assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
//! assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
//! assert!(ics.contains(&format!("\r\nUID:session-{}@booking-engine\r\n", session.id)));
//! assert!(ics.contains("\r\nSUMMARY:Chess\\, openings\\; part 1\r\n"));
//! assert!(ics.contains("\r\nDTSTART:20300502T170000Z\r\n") && ics.contains("\r\nDTEND:20300502T183000Z\r\n"));
//! assert!(ics.contains("\r\nDTSTAMP:20300501T080000Z\r\n"));
//! let mine = engine.booking_ical(Actor::Student(ana), seat.id)?;
//! assert!(mine.contains(&format!("\r\nUID:booking-{}@booking-engine\r\n", seat.id)));
//! assert!(mine.contains("\r\nSTATUS:CONFIRMED\r\n"));
//! # Ok::<(), BookingError>(())
//! ```
//!
//! # What is exported
//!
//! Each export is one `VCALENDAR` (`VERSION:2.0`, `PRODID`, `CALSCALE:GREGORIAN`,
//! `METHOD:PUBLISH`) with one `VEVENT` per object:
//!
//! | object | `UID` | `SUMMARY` | `STATUS` |
//! |---|---|---|---|
//! | a group session ([`session`], [`Engine::session_ical`](crate::Engine::session_ical)) | `session-<session id>@<domain>` | its title | `CONFIRMED`, or `CANCELLED` once cancelled |
//! | a seat booking ([`seat_booking`], [`Engine::booking_ical`](crate::Engine::booking_ical)): the session as its student sees it | `booking-<booking id>@<domain>` | the session's title | confirmed, attended, no-show: `CONFIRMED`; waitlisted, offered: `TENTATIVE`; cancelled, expired (or the session cancelled): `CANCELLED` |
//! | a 1:1 lesson ([`lesson`], [`lessons`], [`Engine::booking_ical`](crate::Engine::booking_ical), [`Engine::lessons_ical`](crate::Engine::lessons_ical)) | `booking-<lesson id>@<domain>` | `Lesson` | pending: `TENTATIVE`; confirmed, attended, no-show: `CONFIRMED`; cancelled, declined: `CANCELLED` |
//!
//! - `DTSTART` and `DTEND` are UTC (`...Z`, whole seconds): the session's or lesson's own
//!   times (a lesson's buffers are the teacher's business, not the event's).
//! - `DTSTAMP` is the instant of the export: the engine clock's now in the engine methods, the
//!   `dtstamp` argument in the functions.
//! - The meeting link, when there is one, is both `URL` and `LOCATION`.
//! - A seat booking's `DESCRIPTION` says what is not in its status: how many seats it takes
//!   (when more than one), that it is on the waitlist, or until when a seat is offered.
//!
//! # Stable UIDs and SEQUENCE
//!
//! Calendar apps match an imported event to the one they have by `UID`, and take it as a
//! change when its `SEQUENCE` is higher. The `UID` is derived from the id alone, so it is the
//! same in every export, and a rescheduled lesson (which keeps its id) keeps it: the app moves
//! the event instead of adding a second one. A seat booking and its session have different
//! `UID`s: they are different objects (the student's booking can be cancelled while the
//! session goes on). `SEQUENCE` is the aggregate's version minus 1 (0 for what was never
//! changed): a session's version grows with every change of the session (including every
//! booking in it), a lesson's with every change of the lesson (approval, reschedule,
//! cancellation, meeting link, attendance), and versions never go back, so `SEQUENCE` grows
//! with every change an app should pick up (and sometimes with changes it would not show,
//! which costs nothing). A seat booking's `SEQUENCE` is its session's. It is capped at
//! 2,147,483,647, the largest RFC 5545 `INTEGER`.
//!
//! # The writer
//!
//! The text is written here, by a small writer (about 60 lines): content lines end with CRLF,
//! are folded at 75 octets (continuation lines start with one space) without splitting a
//! UTF-8 character, and `TEXT` values (`SUMMARY`, `DESCRIPTION`, `LOCATION`, `UID`, `PRODID`)
//! are escaped (backslash, `;`, `,`, newline as `\n`); line breaks in the data become `\n`
//! and the control characters RFC 5545 does not allow in `TEXT` (everything below U+0020 but
//! tab, DEL, and the C1 controls) are dropped. `URL` is a `URI` value, which has no escapes:
//! a control character or a space in it is percent-encoded (a stored
//! [`MeetingLink`](crate::MeetingLink) has none, being normalized). Every other value
//! (`VERSION`, `CALSCALE`, `METHOD`, `DTSTAMP`, `DTSTART`, `DTEND`, `SEQUENCE`, `STATUS`) is
//! written by the engine itself, never taken from input. So no title, reason or link can end a
//! content line early: whatever a value holds, the file has exactly the properties and
//! components listed above. The [`icalendar`](https://crates.io/crates/icalendar) crate
//! (0.17.17) was tried first and left out: it folds a last continuation of 75 octets into a
//! 76-octet line (its loop stops at 75 octets where a continuation holds 74), passes CR and
//! other control characters into `TEXT` unescaped, and brings a parser (nom, iso8601) the
//! export does not need. (The first showed up in this module's folding test, run against it.)

use crate::{
    BookingError, BookingId, GroupSession, SeatBooking, SeatStatus, SessionId,
    lesson::{Lesson, LessonStatus},
};
use chrono::{DateTime, SecondsFormat, Utc};

/// The default `PRODID`: who made the file.
pub const DEFAULT_PRODID: &str = "-//booking-engine//booking-core 0.1//EN";

/// The default domain part of the `UID`s (`session-<uuid>@booking-engine`).
pub const DEFAULT_UID_DOMAIN: &str = "booking-engine";

/// The `SUMMARY` of a 1:1 lesson (a lesson has no title of its own).
pub const LESSON_SUMMARY: &str = "Lesson";

/// Longest [`IcalOptions::uid_domain`] that [`IcalOptions::validated`] accepts (a DNS name's
/// limit).
pub const MAX_UID_DOMAIN_CHARS: usize = 253;

/// Longest [`IcalOptions::prodid`] that [`IcalOptions::validated`] accepts.
pub const MAX_PRODID_CHARS: usize = 255;

/// What a host may set in its exports: the `PRODID` and the domain of the `UID`s.
///
/// The defaults are [`DEFAULT_PRODID`] and [`DEFAULT_UID_DOMAIN`]. A host that wants its own
/// gives them to the engine ([`Engine::with_ical_options`](crate::Engine::with_ical_options)),
/// or calls the methods here itself. Keep the domain once chosen: it is part of every `UID`,
/// and a new one makes apps see new events.
///
/// ```
/// use booking_core::{BookingId, ical::IcalOptions};
/// let options = IcalOptions::default().uid_domain("school.example.com").prodid("-//Example School//Bookings//EN");
/// let id = BookingId::from_uuid(uuid::Uuid::from_u128(7));
/// assert_eq!(options.booking_uid(id), "booking-00000000-0000-0000-0000-000000000007@school.example.com");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IcalOptions {
    /// The `PRODID` of the calendar ([`DEFAULT_PRODID`] by default).
    pub prodid: String,
    /// The part of each `UID` after the `@` ([`DEFAULT_UID_DOMAIN`] by default).
    pub uid_domain: String,
}

impl Default for IcalOptions {
    fn default() -> Self {
        Self { prodid: DEFAULT_PRODID.to_owned(), uid_domain: DEFAULT_UID_DOMAIN.to_owned() }
    }
}

impl IcalOptions {
    /// Sets [`prodid`](Self::prodid).
    ///
    /// ```
    /// use booking_core::ical::IcalOptions;
    /// assert_eq!(IcalOptions::default().prodid("-//Me//Mine//EN").prodid, "-//Me//Mine//EN");
    /// ```
    pub fn prodid(mut self, prodid: impl Into<String>) -> Self {
        self.prodid = prodid.into();
        self
    }

    /// Sets [`uid_domain`](Self::uid_domain).
    ///
    /// ```
    /// use booking_core::ical::IcalOptions;
    /// assert_eq!(IcalOptions::default().uid_domain("example.com").uid_domain, "example.com");
    /// ```
    pub fn uid_domain(mut self, domain: impl Into<String>) -> Self {
        self.uid_domain = domain.into();
        self
    }

    /// The options with their values checked, for values that come from outside the code (a
    /// host's settings, a binding's caller). The writer escapes whatever it is given, so
    /// unchecked values cannot break a file, but they can make odd `UID`s.
    ///
    /// `invalid_input` unless: `uid_domain` is 1 to 253 characters with no whitespace, control
    /// character or `@`; `prodid` is 1 to 255 characters, not only whitespace, with no control
    /// character.
    ///
    /// ```
    /// use booking_core::ical::IcalOptions;
    /// assert!(IcalOptions::default().uid_domain("school.example.com").validated().is_ok());
    /// let refused = IcalOptions::default().uid_domain("my school").validated().unwrap_err();
    /// assert_eq!(refused.code().as_str(), "invalid_input");
    /// assert!(IcalOptions::default().prodid(" ").validated().is_err());
    /// ```
    pub fn validated(self) -> Result<Self, BookingError> {
        let domain = &self.uid_domain;
        if domain.is_empty() || domain.chars().count() > MAX_UID_DOMAIN_CHARS {
            return Err(BookingError::invalid("uid_domain", format!("must be 1 to {MAX_UID_DOMAIN_CHARS} characters")));
        }
        if let Some(c) = domain.chars().find(|c| c.is_whitespace() || c.is_control() || *c == '@') {
            return Err(BookingError::invalid("uid_domain", format!("must not contain {c:?}")));
        }
        if self.prodid.trim().is_empty() || self.prodid.chars().count() > MAX_PRODID_CHARS {
            return Err(BookingError::invalid(
                "prodid",
                format!("must be 1 to {MAX_PRODID_CHARS} characters, not only whitespace"),
            ));
        }
        if self.prodid.chars().any(char::is_control) {
            return Err(BookingError::invalid("prodid", "must not contain control characters"));
        }
        Ok(self)
    }

    /// The `UID` of a group session: `session-<id>@<domain>`.
    ///
    /// ```
    /// use booking_core::{SessionId, ical::IcalOptions};
    /// let id = SessionId::from_uuid(uuid::Uuid::from_u128(1));
    /// assert_eq!(IcalOptions::default().session_uid(id), "session-00000000-0000-0000-0000-000000000001@booking-engine");
    /// ```
    pub fn session_uid(&self, id: SessionId) -> String {
        format!("session-{id}@{}", self.uid_domain)
    }

    /// The `UID` of a booking (a seat booking or a lesson): `booking-<id>@<domain>`.
    ///
    /// ```
    /// use booking_core::{BookingId, ical::IcalOptions};
    /// let id = BookingId::from_uuid(uuid::Uuid::from_u128(2));
    /// assert_eq!(IcalOptions::default().booking_uid(id), "booking-00000000-0000-0000-0000-000000000002@booking-engine");
    /// ```
    pub fn booking_uid(&self, id: BookingId) -> String {
        format!("booking-{id}@{}", self.uid_domain)
    }

    /// A group session as the teacher sees it; see the [module docs](self).
    ///
    /// ```
    /// # use booking_core::*;
    /// # use chrono::{TimeZone, Utc};
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// let options = ical::IcalOptions::default().uid_domain("school.example.com");
    /// let ics = options.session(&session, Utc::now());
    /// assert!(ics.contains(&format!("UID:session-{}@school.example.com\r\n", session.id)));
    /// assert!(ics.contains("SEQUENCE:0\r\n"));
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn session(&self, session: &GroupSession, dtstamp: DateTime<Utc>) -> String {
        let status = if session.cancelled_at.is_some() { CANCELLED } else { CONFIRMED };
        let mut out = self.begin();
        session_event(&mut out, &self.session_uid(session.id), session, status, None, dtstamp);
        end(out)
    }

    /// A seat booking: its session as the booking's student sees it, with the booking's
    /// status; see the [module docs](self). `booking` should be one of `session`'s bookings.
    ///
    /// ```
    /// # use booking_core::*;
    /// # use chrono::{TimeZone, Utc};
    /// # let engine = Engine::new(InMemoryRepository::new());
    /// # let (teacher, ana) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
    /// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
    /// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
    /// #     starts_at: Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
    /// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
    /// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
    /// # })?.value;
    /// let seat = engine.book_seat(Actor::Student(ana), session.id, ana)?.value;
    /// let ics = ical::IcalOptions::default().seat_booking(&*engine.session(Actor::Teacher(teacher), session.id)?, &seat, Utc::now());
    /// assert!(ics.contains("STATUS:CONFIRMED\r\n"));
    /// assert!(ics.contains("SEQUENCE:1\r\n")); // the session is at version 2
    /// # Ok::<(), BookingError>(())
    /// ```
    pub fn seat_booking(&self, session: &GroupSession, booking: &SeatBooking, dtstamp: DateTime<Utc>) -> String {
        let status = if session.cancelled_at.is_some() { CANCELLED } else { seat_status(booking.status) };
        let mut notes = Vec::new();
        if booking.seats > 1 {
            notes.push(format!("{} seats.", booking.seats));
        }
        match (booking.status, booking.offer_expires_at) {
            (SeatStatus::Waitlisted, _) => notes.push("On the waitlist.".to_owned()),
            (SeatStatus::Offered, Some(until)) => notes.push(format!(
                "A seat is offered until {}; accept it before then.",
                until.to_rfc3339_opts(SecondsFormat::Secs, true)
            )),
            (SeatStatus::Offered, None) => notes.push("A seat is offered.".to_owned()),
            _ => {}
        }
        let description = (!notes.is_empty()).then(|| notes.join(" "));
        let mut out = self.begin();
        session_event(&mut out, &self.booking_uid(booking.id), session, status, description.as_deref(), dtstamp);
        end(out)
    }

    /// A 1:1 lesson; see the [module docs](self).
    ///
    /// ```
    /// use booking_core::{ical, lesson::Lesson};
    /// # fn show(lesson: &Lesson) {
    /// let ics = ical::IcalOptions::default().lesson(lesson, chrono::Utc::now());
    /// assert!(ics.contains("SUMMARY:Lesson\r\n"));
    /// # }
    /// ```
    pub fn lesson(&self, lesson: &Lesson, dtstamp: DateTime<Utc>) -> String {
        self.lessons([lesson], dtstamp)
    }

    /// Several 1:1 lessons in one calendar, one `VEVENT` each, in the order given (for
    /// instance the lessons of a series). RFC 5545 wants at least one event in a calendar:
    /// pass at least one lesson, and each at most once (two events with one `UID` are one
    /// event to a calendar app).
    ///
    /// ```
    /// use booking_core::{ical, lesson::Lesson};
    /// # fn show(series: &[Lesson]) {
    /// let ics = ical::IcalOptions::default().lessons(series, chrono::Utc::now());
    /// assert_eq!(ics.matches("BEGIN:VEVENT\r\n").count(), series.len());
    /// # }
    /// ```
    pub fn lessons<'a>(&self, lessons: impl IntoIterator<Item = &'a Lesson>, dtstamp: DateTime<Utc>) -> String {
        let mut out = self.begin();
        for lesson in lessons {
            out.line("BEGIN", "VEVENT");
            out.text("UID", &self.booking_uid(lesson.id));
            out.line("DTSTAMP", &utc(dtstamp));
            out.line("SEQUENCE", &sequence(lesson.version).to_string());
            out.line("DTSTART", &utc(lesson.starts_at));
            out.line("DTEND", &utc(lesson.ends_at));
            out.text("SUMMARY", LESSON_SUMMARY);
            if let Some(link) = &lesson.meeting_link {
                out.text("LOCATION", link.as_str());
                out.uri("URL", link.as_str());
            }
            out.line("STATUS", lesson_status(lesson.status));
            out.line("END", "VEVENT");
        }
        end(out)
    }

    /// A calendar's opening lines.
    fn begin(&self) -> Writer {
        let mut out = Writer::default();
        out.line("BEGIN", "VCALENDAR");
        out.line("VERSION", "2.0");
        out.text("PRODID", &self.prodid);
        out.line("CALSCALE", "GREGORIAN");
        out.line("METHOD", "PUBLISH");
        out
    }
}

/// One event for a session (the session's own, or a seat booking's).
fn session_event(
    out: &mut Writer,
    uid: &str,
    session: &GroupSession,
    status: &str,
    description: Option<&str>,
    dtstamp: DateTime<Utc>,
) {
    out.line("BEGIN", "VEVENT");
    out.text("UID", uid);
    out.line("DTSTAMP", &utc(dtstamp));
    out.line("SEQUENCE", &sequence(session.version).to_string());
    out.line("DTSTART", &utc(session.starts_at));
    out.line("DTEND", &utc(session.ends_at()));
    out.text("SUMMARY", &session.title);
    if let Some(description) = description {
        out.text("DESCRIPTION", description);
    }
    out.text("LOCATION", session.meeting_link.as_str());
    out.uri("URL", session.meeting_link.as_str());
    out.line("STATUS", status);
    out.line("END", "VEVENT");
}

/// The calendar's closing line, and the text.
fn end(mut out: Writer) -> String {
    out.line("END", "VCALENDAR");
    out.0
}

/// An instant as an RFC 5545 UTC `DATE-TIME` (whole seconds).
fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Content lines, folded, with CRLF line ends.
#[derive(Default)]
struct Writer(String);

impl Writer {
    /// Octets per line, CRLF excluded (RFC 5545 section 3.1).
    const LIMIT: usize = 75;

    /// Writes `NAME:value`, `value` already in its final form: the writer's own constants,
    /// numbers and dates, or what [`text`](Self::text) and [`uri`](Self::uri) made of a value.
    fn line(&mut self, name: &str, value: &str) {
        debug_assert!(!value.contains(|c: char| c.is_control() && c != '\t'), "{name}: {value:?}");
        let line = format!("{name}:{value}");
        let mut rest = line.as_str();
        // A continuation line starts with a space, which counts.
        let mut limit = Self::LIMIT;
        while rest.len() > limit {
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.0.push_str(&rest[..cut]);
            self.0.push_str("\r\n ");
            rest = &rest[cut..];
            limit = Self::LIMIT - 1;
        }
        self.0.push_str(rest);
        self.0.push_str("\r\n");
    }

    /// Writes a `TEXT` property: cleaned and escaped.
    fn text(&mut self, name: &str, value: &str) {
        let mut escaped = String::with_capacity(value.len() + 8);
        for c in clean(value).chars() {
            match c {
                '\\' => escaped.push_str("\\\\"),
                ';' => escaped.push_str("\\;"),
                ',' => escaped.push_str("\\,"),
                '\n' => escaped.push_str("\\n"),
                c => escaped.push(c),
            }
        }
        self.line(name, &escaped);
    }

    /// Writes a `URI` property (RFC 5545 section 3.3.13): a URI has no escapes in iCalendar,
    /// and may hold no control character (a line break would end the property) nor space, so
    /// each of those is percent-encoded (RFC 3986). A [`MeetingLink`](crate::MeetingLink) has
    /// none, being normalized; this is the writer's own guarantee.
    fn uri(&mut self, name: &str, value: &str) {
        let mut encoded = String::with_capacity(value.len());
        for c in value.chars() {
            if c.is_control() || c == ' ' {
                let mut buf = [0; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    encoded.push_str(&format!("%{byte:02X}"));
                }
            } else {
                encoded.push(c);
            }
        }
        self.line(name, &encoded);
    }
}

/// [`IcalOptions::session`] with the default options.
///
/// ```
/// # use booking_core::*;
/// # let engine = Engine::new(InMemoryRepository::new());
/// # let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
/// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
/// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
/// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
/// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
/// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
/// # })?.value;
/// let ics = ical::session(&session, engine.now());
/// assert!(ics.contains("SUMMARY:Choir\r\n") && ics.contains("URL:https://meet.example.com/choir\r\n"));
/// # Ok::<(), BookingError>(())
/// ```
pub fn session(session: &GroupSession, dtstamp: DateTime<Utc>) -> String {
    IcalOptions::default().session(session, dtstamp)
}

/// [`IcalOptions::seat_booking`] with the default options.
///
/// ```
/// # use booking_core::*;
/// # let engine = Engine::new(InMemoryRepository::new());
/// # let (teacher, ana) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
/// # let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
/// #     teacher_id: teacher, course_id: None, title: "Choir".into(),
/// #     starts_at: chrono::Utc::now() + chrono::TimeDelta::days(2), time_zone: "Europe/Vienna".into(),
/// #     duration_minutes: 60, meeting_link: "https://meet.example.com/choir".into(),
/// #     capacity: 12, waitlist_enabled: false, waitlist_mode: Default::default(), rules: Default::default(),
/// # })?.value;
/// let seat = engine.book_seat(Actor::Student(ana), session.id, ana)?.value;
/// let ics = ical::seat_booking(&*engine.session(Actor::Teacher(teacher), session.id)?, &seat, engine.now());
/// assert!(ics.contains(&format!("UID:booking-{}@booking-engine\r\n", seat.id)));
/// # Ok::<(), BookingError>(())
/// ```
pub fn seat_booking(session: &GroupSession, booking: &SeatBooking, dtstamp: DateTime<Utc>) -> String {
    IcalOptions::default().seat_booking(session, booking, dtstamp)
}

/// [`IcalOptions::lesson`] with the default options.
///
/// ```
/// use booking_core::{ical, lesson::Lesson};
/// # fn show(lesson: &Lesson) {
/// assert!(ical::lesson(lesson, chrono::Utc::now()).contains(&format!("UID:booking-{}@booking-engine\r\n", lesson.id)));
/// # }
/// ```
pub fn lesson(lesson: &Lesson, dtstamp: DateTime<Utc>) -> String {
    IcalOptions::default().lesson(lesson, dtstamp)
}

/// [`IcalOptions::lessons`] with the default options.
///
/// ```
/// use booking_core::{ical, lesson::Lesson};
/// # fn show(series: &[Lesson]) {
/// let ics = ical::lessons(series, chrono::Utc::now());
/// # }
/// ```
pub fn lessons<'a>(lessons: impl IntoIterator<Item = &'a Lesson>, dtstamp: DateTime<Utc>) -> String {
    IcalOptions::default().lessons(lessons, dtstamp)
}

/// The `SEQUENCE` of an aggregate at `version`: `version - 1` (0 for a new one), capped at the
/// largest RFC 5545 `INTEGER`.
///
/// ```
/// use booking_core::ical::sequence;
/// assert_eq!((sequence(1), sequence(4)), (0, 3));
/// assert_eq!(sequence(u64::MAX), 2_147_483_647);
/// ```
pub fn sequence(version: u64) -> u32 {
    const MAX: u32 = i32::MAX as u32;
    u32::try_from(version.saturating_sub(1)).map_or(MAX, |s| s.min(MAX))
}

/// The `STATUS` of a seat booking's event (its session not cancelled): `CONFIRMED`,
/// `TENTATIVE` or `CANCELLED`.
///
/// ```
/// use booking_core::{SeatStatus, ical::seat_status};
/// assert_eq!(seat_status(SeatStatus::Offered), "TENTATIVE");
/// assert_eq!(seat_status(SeatStatus::Expired), "CANCELLED");
/// ```
pub fn seat_status(status: SeatStatus) -> &'static str {
    match status {
        SeatStatus::Confirmed | SeatStatus::Attended | SeatStatus::NoShow => CONFIRMED,
        SeatStatus::Waitlisted | SeatStatus::Offered => TENTATIVE,
        SeatStatus::Cancelled | SeatStatus::Expired => CANCELLED,
    }
}

/// The `STATUS` of a lesson's event: `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
///
/// ```
/// use booking_core::{ical::lesson_status, lesson::LessonStatus};
/// assert_eq!(lesson_status(LessonStatus::Pending), "TENTATIVE");
/// assert_eq!(lesson_status(LessonStatus::NoShow), "CONFIRMED");
/// ```
pub fn lesson_status(status: LessonStatus) -> &'static str {
    match status {
        LessonStatus::Pending => TENTATIVE,
        LessonStatus::Confirmed | LessonStatus::Attended | LessonStatus::NoShow => CONFIRMED,
        LessonStatus::Cancelled | LessonStatus::Declined => CANCELLED,
    }
}

const CONFIRMED: &str = "CONFIRMED";
const TENTATIVE: &str = "TENTATIVE";
const CANCELLED: &str = "CANCELLED";

/// `value` with line breaks as `\n` and no control characters but tab and newline (RFC 5545
/// allows no others in `TEXT`).
fn clean(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        Actor, CourseId, Engine, InMemoryRepository, ManualClock, NewGroupSession, SequentialIds, UserId,
        availability::SlotRecurrence, lesson::SlotSpec,
    };
    use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Weekday};
    use std::sync::Arc;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(uuid::Uuid::from_u128(n))
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
    }

    fn engine() -> (Engine<Arc<InMemoryRepository>>, Arc<ManualClock>, Arc<InMemoryRepository>) {
        let store = Arc::new(InMemoryRepository::new());
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = Engine::new(Arc::clone(&store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::default());
        (engine, clock, store)
    }

    fn new_session(title: &str, capacity: u32) -> NewGroupSession {
        NewGroupSession {
            teacher_id: user(1),
            course_id: None,
            title: title.into(),
            starts_at: t0() + TimeDelta::days(1),
            time_zone: "Europe/Berlin".into(),
            duration_minutes: 60,
            meeting_link: "https://meet.example.com/room?a=1,b=2;c".into(),
            capacity,
            waitlist_enabled: true,
            waitlist_mode: Default::default(),
            rules: Default::default(),
        }
    }

    /// The content lines, unfolded (RFC 5545 section 3.1).
    fn unfolded(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_owned).collect()
    }

    /// The value of the first `name` property.
    fn value(ics: &str, name: &str) -> String {
        let prefix = format!("{name}:");
        unfolded(ics)
            .into_iter()
            .find_map(|l| l.strip_prefix(&prefix).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {name} in\n{ics}"))
    }

    /// Checks the physical form of a file: CRLF line ends only, lines of at most 75 octets that
    /// are each valid UTF-8 (no character split by a fold), and the calendar's frame.
    fn check_form(ics: &str) {
        assert!(ics.ends_with("\r\n"));
        assert!(!ics.replace("\r\n", "").contains(['\r', '\n']), "a bare CR or LF in\n{ics}");
        for line in ics.as_bytes().split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(line.len() <= 75, "{} octets: {:?}", line.len(), String::from_utf8_lossy(line));
            std::str::from_utf8(line).expect("each folded line is UTF-8 on its own");
        }
        let lines = unfolded(ics);
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
        for required in ["VERSION:2.0", "METHOD:PUBLISH", "CALSCALE:GREGORIAN", &format!("PRODID:{DEFAULT_PRODID}")] {
            assert!(lines.iter().any(|l| l == required), "no {required} in\n{ics}");
        }
        let events = lines.iter().filter(|l| *l == "BEGIN:VEVENT").count();
        assert_eq!(events, lines.iter().filter(|l| *l == "END:VEVENT").count());
        for property in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS", "SUMMARY"] {
            let count = lines.iter().filter(|l| l.starts_with(&format!("{property}:"))).count();
            assert_eq!(count, events, "{property} once per event in\n{ics}");
        }
    }

    #[test]
    fn long_multibyte_text_is_folded_at_75_octets_on_character_boundaries() {
        let (engine, _, _) = engine();
        // 200 characters (the longest title) of 1 to 4 octets, with spaces where folds land.
        let title: String = "aé老😀 ,".chars().cycle().take(200).collect();
        let session = engine.create_session(Actor::Teacher(user(1)), new_session(&title, 3)).unwrap().value;
        let ics = engine.session_ical(Actor::System, session.id).unwrap();
        check_form(&ics);
        assert!(ics.lines().count() > unfolded(&ics).len(), "the summary was folded");
        assert_eq!(value(&ics, "SUMMARY"), title.replace(',', "\\,"));
        // Every fold position, for every offset of the multibyte characters.
        for skip in 0..8 {
            let title: String = "😀老é".chars().cycle().skip(skip).take(150).collect();
            let session = engine.create_session(Actor::Teacher(user(1)), new_session(&title, 3)).unwrap().value;
            let ics = engine.session_ical(Actor::System, session.id).unwrap();
            check_form(&ics);
            assert_eq!(value(&ics, "SUMMARY"), title);
        }
    }

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        let (engine, _, _) = engine();
        let title = "Algebra, part 1; \\review\r\nbring notes\rand\u{7} a pen\tplease";
        // The engine refuses such a title (see `crate::text`); the writer does not count on it.
        let refused = engine.create_session(Actor::Teacher(user(1)), new_session(title, 3)).unwrap_err();
        assert_eq!(refused.code().as_str(), "invalid_input");
        let session = engine.create_session(Actor::Teacher(user(1)), new_session("Algebra", 3)).unwrap().value;
        let session = GroupSession { title: title.to_owned(), ..(*session).clone() };
        let ics = IcalOptions::default().session(&session, t0());
        check_form(&ics);
        assert_eq!(value(&ics, "SUMMARY"), "Algebra\\, part 1\\; \\\\review\\nbring notes\\nand a pen\tplease");
        // The link: as a URI in URL, as escaped TEXT in LOCATION.
        assert_eq!(value(&ics, "URL"), "https://meet.example.com/room?a=1,b=2;c");
        assert_eq!(value(&ics, "LOCATION"), "https://meet.example.com/room?a=1\\,b=2\\;c");
    }

    #[test]
    fn a_session_keeps_its_uid_and_its_sequence_grows_with_each_change() {
        let (engine, clock, _) = engine();
        let session = engine.create_session(Actor::Teacher(user(1)), new_session("Choir", 1)).unwrap().value;
        let first = engine.session_ical(Actor::System, session.id).unwrap();
        check_form(&first);
        let uid = format!("session-{}@booking-engine", session.id);
        assert_eq!(value(&first, "UID"), uid);
        assert_eq!(value(&first, "SEQUENCE"), "0");
        assert_eq!(value(&first, "STATUS"), "CONFIRMED");
        assert_eq!(value(&first, "DTSTAMP"), "20300304T090000Z");
        assert_eq!(value(&first, "DTSTART"), "20300305T090000Z");
        assert_eq!(value(&first, "DTEND"), "20300305T100000Z");

        // Exported again later, unchanged: same UID and SEQUENCE, a new DTSTAMP.
        clock.advance(TimeDelta::minutes(5));
        let again = engine.session_ical(Actor::System, session.id).unwrap();
        assert_eq!((value(&again, "UID"), value(&again, "SEQUENCE")), (uid.clone(), "0".to_owned()));
        assert_eq!(value(&again, "DTSTAMP"), "20300304T090500Z");

        let mut sequences = vec![0];
        let ana = engine.book_seat(Actor::Student(user(2)), session.id, user(2)).unwrap().value;
        let ben = engine.book_seat(Actor::Student(user(3)), session.id, user(3)).unwrap().value;
        let ana_ics = engine.booking_ical(Actor::System, ana.id).unwrap();
        let ben_ics = engine.booking_ical(Actor::System, ben.id).unwrap();
        check_form(&ana_ics);
        check_form(&ben_ics);
        assert_eq!(value(&ana_ics, "UID"), format!("booking-{}@booking-engine", ana.id));
        assert_eq!(value(&ana_ics, "SUMMARY"), "Choir");
        assert_eq!(value(&ana_ics, "STATUS"), "CONFIRMED");
        assert_eq!(value(&ben_ics, "STATUS"), "TENTATIVE");
        assert_eq!(value(&ben_ics, "DESCRIPTION"), "On the waitlist.");
        sequences.push(value(&engine.session_ical(Actor::System, session.id).unwrap(), "SEQUENCE").parse().unwrap());

        // Ana cancels, Ben is promoted: both exports change, under the same UIDs.
        engine.cancel_booking(Actor::Student(user(2)), ana.id).unwrap();
        let ana_after = engine.booking_ical(Actor::System, ana.id).unwrap();
        let ben_after = engine.booking_ical(Actor::System, ben.id).unwrap();
        assert_eq!(value(&ana_after, "UID"), value(&ana_ics, "UID"));
        assert_eq!(value(&ana_after, "STATUS"), "CANCELLED");
        assert_eq!(value(&ben_after, "STATUS"), "CONFIRMED");
        let seq = |ics: &str| value(ics, "SEQUENCE").parse::<u32>().unwrap();
        assert!(seq(&ana_after) > seq(&ana_ics) && seq(&ben_after) > seq(&ben_ics));
        sequences.push(value(&engine.session_ical(Actor::System, session.id).unwrap(), "SEQUENCE").parse().unwrap());

        // The session is cancelled: every export says so.
        engine.cancel_session(Actor::Teacher(user(1)), session.id).unwrap();
        let cancelled = engine.session_ical(Actor::System, session.id).unwrap();
        assert_eq!((value(&cancelled, "UID"), value(&cancelled, "STATUS")), (uid, "CANCELLED".to_owned()));
        assert_eq!(value(&engine.booking_ical(Actor::System, ben.id).unwrap(), "STATUS"), "CANCELLED");
        sequences.push(value(&cancelled, "SEQUENCE").parse().unwrap());
        assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
    }

    fn weekly_slot(engine: &Engine<Arc<InMemoryRepository>>, course_id: Option<CourseId>) -> crate::SlotId {
        let spec = SlotSpec {
            course_id,
            time_zone: "Europe/Berlin".into(),
            recurrence: SlotRecurrence::Weekly {
                weekday: Weekday::Tue,
                start_time: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                end_time: NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
                valid_from: NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(),
                valid_until: None,
            },
            active: true,
            rules: Default::default(),
        };
        engine.publish_slot(Actor::Teacher(user(1)), user(1), spec).unwrap().value.id
    }

    #[test]
    fn a_lesson_keeps_its_uid_across_a_reschedule_and_its_sequence_grows() {
        let (engine, _, _) = engine();
        let slot = weekly_slot(&engine, None);
        // Tuesday 2030-03-05, 10:00 in Berlin.
        let starts_at = Utc.with_ymd_and_hms(2030, 3, 5, 9, 0, 0).unwrap();
        let lesson = engine.book_lesson(Actor::Student(user(2)), slot, starts_at, user(2)).unwrap().value;
        let before = engine.booking_ical(Actor::System, lesson.id).unwrap();
        check_form(&before);
        let uid = format!("booking-{}@booking-engine", lesson.id);
        assert_eq!(value(&before, "UID"), uid);
        assert_eq!(value(&before, "SUMMARY"), LESSON_SUMMARY);
        assert_eq!(value(&before, "STATUS"), "CONFIRMED");
        assert_eq!(value(&before, "SEQUENCE"), "0");
        assert_eq!(value(&before, "DTSTART"), "20300305T090000Z");
        assert_eq!(value(&before, "DTEND"), "20300305T100000Z");
        assert_eq!(engine.lessons_ical(Actor::System, &[lesson.id]).unwrap(), before);

        let moved = starts_at + TimeDelta::days(7);
        engine.reschedule_lesson(Actor::Student(user(2)), lesson.id, slot, moved).unwrap();
        let after = engine.booking_ical(Actor::System, lesson.id).unwrap();
        check_form(&after);
        assert_eq!(value(&after, "UID"), uid, "a rescheduled lesson keeps its UID");
        assert_eq!(value(&after, "DTSTART"), "20300312T090000Z");
        let seq = |ics: &str| value(ics, "SEQUENCE").parse::<u32>().unwrap();
        assert!(seq(&after) > seq(&before));

        engine.cancel_lesson(Actor::Student(user(2)), lesson.id).unwrap();
        let cancelled = engine.booking_ical(Actor::System, lesson.id).unwrap();
        assert_eq!((value(&cancelled, "UID"), value(&cancelled, "STATUS")), (uid, "CANCELLED".to_owned()));
        assert!(seq(&cancelled) > seq(&after));
    }

    #[test]
    fn several_lessons_are_one_calendar_with_one_event_each() {
        let (engine, _, store) = engine();
        let course = CourseId::from_uuid(uuid::Uuid::from_u128(77));
        store.set_course_approval(course, Some(true));
        store.enroll(user(2), course);
        let slot = weekly_slot(&engine, Some(course));
        let first = Utc.with_ymd_and_hms(2030, 3, 5, 9, 0, 0).unwrap();
        let ids: Vec<BookingId> = (0..3)
            .map(|week| {
                let at = first + TimeDelta::days(7 * week);
                engine.book_lesson(Actor::Student(user(2)), slot, at, user(2)).unwrap().value.id
            })
            .collect();
        let ics = engine.lessons_ical(Actor::System, &[ids[0], ids[1], ids[2], ids[0]]).unwrap();
        check_form(&ics);
        let lines = unfolded(&ics);
        let uids: Vec<_> = lines.iter().filter_map(|l| l.strip_prefix("UID:")).collect();
        let expected: Vec<_> = ids.iter().map(|id| format!("booking-{id}@booking-engine")).collect();
        assert_eq!(uids, expected, "one event per lesson, in the order given, an id given twice once");
        assert!(lines.iter().filter(|l| l.starts_with("STATUS:")).all(|l| l == "STATUS:TENTATIVE"), "pending");

        // A seat booking is not a lesson.
        let choir = NewGroupSession { starts_at: t0() + TimeDelta::hours(3), ..new_session("Choir", 2) };
        let session = engine.create_session(Actor::Teacher(user(1)), choir).unwrap().value;
        let seat = engine.book_seat(Actor::Student(user(2)), session.id, user(2)).unwrap().value;
        assert_eq!(
            engine.lessons_ical(Actor::System, &[ids[0], seat.id]).unwrap_err().code().as_str(),
            "booking_not_found"
        );
        assert_eq!(engine.lessons_ical(Actor::System, &[]).unwrap_err().code().as_str(), "invalid_input");
        let unknown = BookingId::from_uuid(uuid::Uuid::from_u128(999));
        assert_eq!(engine.booking_ical(Actor::System, unknown).unwrap_err().code().as_str(), "booking_not_found");
        let missing = SessionId::from_uuid(uuid::Uuid::from_u128(999));
        assert_eq!(engine.session_ical(Actor::System, missing).unwrap_err().code().as_str(), "session_not_found");
    }

    #[test]
    fn an_offered_group_booking_says_how_many_seats_and_until_when() {
        let (engine, _, _) = engine();
        let session = engine.create_session(Actor::Teacher(user(1)), new_session("Choir", 4)).unwrap().value;
        let booking = SeatBooking {
            id: BookingId::from_uuid(uuid::Uuid::from_u128(50)),
            session_id: session.id,
            student_id: user(2),
            status: SeatStatus::Offered,
            booked_at: t0(),
            updated_at: t0(),
            seats: 2,
            offer_expires_at: Some(t0() + TimeDelta::minutes(30)),
        };
        let ics = seat_booking(&session, &booking, t0());
        check_form(&ics);
        assert_eq!(value(&ics, "STATUS"), "TENTATIVE");
        assert_eq!(
            value(&ics, "DESCRIPTION"),
            "2 seats. A seat is offered until 2030-03-04T09:30:00Z\\; accept it before then."
        );
        let options = IcalOptions::default().uid_domain("school.example.com").prodid("-//School//Bookings//EN");
        let ics = options.seat_booking(&session, &booking, t0());
        assert_eq!(value(&ics, "UID"), "booking-00000000-0000-0000-0000-000000000032@school.example.com");
        assert_eq!(value(&ics, "PRODID"), "-//School//Bookings//EN");
    }

    #[test]
    fn every_status_has_its_ical_status() {
        use SeatStatus as S;
        let seats = [S::Confirmed, S::Waitlisted, S::Offered, S::Expired, S::Cancelled, S::Attended, S::NoShow];
        let got: Vec<_> = seats.iter().map(|s| seat_status(*s)).collect();
        assert_eq!(got, [CONFIRMED, TENTATIVE, TENTATIVE, CANCELLED, CANCELLED, CONFIRMED, CONFIRMED]);
        use LessonStatus as L;
        let lessons = [L::Pending, L::Confirmed, L::Declined, L::Cancelled, L::Attended, L::NoShow];
        let got: Vec<_> = lessons.iter().map(|s| lesson_status(*s)).collect();
        assert_eq!(got, [TENTATIVE, CONFIRMED, CANCELLED, CANCELLED, CONFIRMED, CONFIRMED]);
        assert_eq!(sequence(0), 0);
        assert_eq!(sequence(u64::from(u32::MAX)), i32::MAX as u32);
    }

    #[test]
    fn the_engine_exports_with_its_options() {
        let options = IcalOptions::default().uid_domain("school.example.com").prodid("-//School//Bookings//EN");
        let (engine, _, _) = engine();
        let engine = engine.with_ical_options(options.clone().validated().unwrap());
        let session = engine.create_session(Actor::Teacher(user(1)), new_session("Choir", 2)).unwrap().value;
        let seat = engine.book_seat(Actor::Student(user(2)), session.id, user(2)).unwrap().value;
        let ics = engine.session_ical(Actor::System, session.id).unwrap();
        assert_eq!(value(&ics, "UID"), options.session_uid(session.id));
        assert_eq!(value(&ics, "PRODID"), "-//School//Bookings//EN");
        assert!(value(&engine.booking_ical(Actor::System, seat.id).unwrap(), "UID").ends_with("@school.example.com"));
    }

    #[test]
    fn validated_options_refuse_what_makes_odd_uids() {
        let ok = IcalOptions::default().uid_domain("xn--schle-kva.example").prodid("-//Schüle//Kurse//DE");
        assert_eq!(ok.clone().validated(), Ok(ok));
        let long = "a".repeat(MAX_UID_DOMAIN_CHARS + 1);
        for (field, options) in [
            ("uid_domain", IcalOptions::default().uid_domain("")),
            ("uid_domain", IcalOptions::default().uid_domain("my school")),
            ("uid_domain", IcalOptions::default().uid_domain("a@b")),
            ("uid_domain", IcalOptions::default().uid_domain("a\nb")),
            ("uid_domain", IcalOptions::default().uid_domain(long.as_str())),
            ("prodid", IcalOptions::default().prodid("  ")),
            ("prodid", IcalOptions::default().prodid("a\r\nX-EVIL:1")),
            ("prodid", IcalOptions::default().prodid("p".repeat(MAX_PRODID_CHARS + 1))),
        ] {
            match options.validated() {
                Err(BookingError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected invalid_input, got {other:?}"),
            }
        }
    }
}
