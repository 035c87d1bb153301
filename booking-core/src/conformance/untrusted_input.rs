//! What people type, made hostile: control characters in free text are refused the same way on
//! every store (see [`crate::text`]), meeting links are refused or stored normalized (see
//! [`MeetingLink`](crate::MeetingLink)), and no title or link changes the shape of an
//! iCalendar export (see [`crate::ical`]).

use super::harness::{Harness, StoreFactory, ensure, ensure_eq, expect_error, new_session, step, student, t0, teacher};
use super::lesson_scenarios::{Lessons, course, date, utc, weekly};
use crate::availability::TimeOffSpec;
use crate::{Actor, BookingError, EventKind, NewGroupSession};
use chrono::{TimeDelta, Weekday};

/// The content lines of an iCalendar file, unfolded, after checking its physical form: CRLF
/// line ends only, at most 75 octets a line. Lines are split at CRLF, and also at a bare CR or
/// LF, as lenient readers split them, so a stray line break would show up as a line (and a
/// property) of its own.
fn content_lines(ics: &str) -> Result<Vec<String>, String> {
    ensure(ics.ends_with("\r\n"), || format!("the file does not end with CRLF: {ics:?}"))?;
    ensure(!ics.replace("\r\n", "").contains(['\r', '\n']), || format!("a bare CR or LF in {ics:?}"))?;
    let physical = ics.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<String> = Vec::new();
    for line in physical.split('\n').filter(|l| !l.is_empty()) {
        ensure(line.len() <= 75, || format!("a line of {} octets: {line:?}", line.len()))?;
        match (line.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(line.to_owned()),
        }
    }
    Ok(lines)
}

/// The property name of a content line (up to its first `;` or `:`), and its value.
fn split_line(line: &str) -> (&str, &str) {
    let name_end = line.find([';', ':']).unwrap_or(line.len());
    let value = line.find(':').map_or("", |colon| &line[colon + 1..]);
    (&line[..name_end], value)
}

/// A `TEXT` value with its escapes undone (RFC 5545 section 3.3.11).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// The property names of one event of the engine, in order.
fn event_names(description: bool, link: bool) -> Vec<&'static str> {
    let mut names = vec!["BEGIN", "UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY"];
    if description {
        names.push("DESCRIPTION");
    }
    if link {
        names.extend(["LOCATION", "URL"]);
    }
    names.extend(["STATUS", "END"]);
    names
}

/// Checks that `ics` is one calendar with one event whose properties are exactly `names`, and
/// returns the event's values by name.
fn check_shape(ics: &str, names: &[&str], what: &str) -> Result<Vec<(String, String)>, String> {
    let lines = content_lines(ics).map_err(|e| format!("{what}: {e}"))?;
    let parsed: Vec<(String, String)> =
        lines.iter().map(|l| split_line(l)).map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    let mut expected = vec!["BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD"];
    expected.extend(names);
    expected.push("END");
    let got: Vec<&str> = parsed.iter().map(|(n, _)| n.as_str()).collect();
    ensure_eq(got, expected, &format!("{what}: the property names"))?;
    let components: Vec<&str> =
        parsed.iter().filter(|(n, _)| n == "BEGIN" || n == "END").map(|(_, v)| v.as_str()).collect();
    ensure_eq(components, vec!["VCALENDAR", "VEVENT", "VEVENT", "VCALENDAR"], &format!("{what}: the components"))?;
    Ok(parsed)
}

fn value_of<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

/// Titles a teacher may type: accepted, and exported as one `SUMMARY`.
fn hostile_titles() -> Vec<String> {
    vec![
        "Algebra; part 1, \\review\\n".to_owned(),
        "END:VEVENT BEGIN:VEVENT SUMMARY:injected".to_owned(),
        "x\u{2028}ATTACH:https://evil.example/a".to_owned(),
        "\"Quoted\" <b>bold</b> & 'single' :colon".to_owned(),
        "é老😀;,\\:".chars().cycle().take(200).collect(),
    ]
}

/// Links a teacher may type, accepted and stored normalized: exported as `URL` and `LOCATION`.
fn accepted_links() -> Vec<String> {
    vec![
        "https://meet.example.com/room?a=1,b=2;c".to_owned(),
        "https://meet.example.com/x?q=END:VEVENT%0D%0ABEGIN:VEVENT".to_owned(),
        "https://meet.example.com/a b\"c<d>\\e".to_owned(),
        "HTTPS://Meet.Example.COM:443/Raum?name=Grüße".to_owned(),
        "https://bücher.example/会議/😀".to_owned(),
        format!("https://meet.example.com/{}", "a;,\\".repeat(500)),
    ]
}

/// Links with control characters: refused, never silently cleaned.
fn refused_links() -> Vec<String> {
    let base = "https://meet.example.com/x";
    vec![
        format!("{base}\nATTACH:https://evil.example/a"),
        format!("{base}\r\nATTENDEE:mailto:a@evil.example"),
        format!("{base}\rX-EVIL:1"),
        format!("{base}\tATTACH:https://evil.example/a"),
        format!("{base}\u{0}"),
        format!("{base}\u{7f}"),
        format!("{base}\u{85}"),
        format!("https://meet.example.com/{}", "a".repeat(10_000)),
    ]
}

/// Hostile titles and links round-trip through the store and export with the engine's exact
/// properties and components; links with control characters are refused and change nothing.
pub(crate) fn ical_hostile_input_keeps_its_shape(f: StoreFactory<'_>) -> Result<(), String> {
    let h = Harness::new(f);
    let mut n = 0;
    let mut next_start = || {
        n += 1;
        t0() + TimeDelta::days(1) + TimeDelta::hours(2 * n)
    };
    for title in hostile_titles() {
        for link in accepted_links() {
            let what = format!("title {title:?}, link {link:?}");
            let new = NewGroupSession {
                title: title.clone(),
                meeting_link: link.clone(),
                starts_at: next_start(),
                ..new_session(teacher(1), 1, true)
            };
            let session = step(&what, h.engine.create_session(Actor::Teacher(teacher(1)), new))?.value;
            let stored = h.load(session.id)?;
            let normalized = crate::MeetingLink::parse(&link).map_err(|e| format!("{what}: {e}"))?;
            ensure_eq(&stored.meeting_link, &normalized, &format!("{what}: stored normalized"))?;
            ensure(stored.meeting_link.as_str().is_ascii(), || format!("{what}: {:?}", stored.meeting_link))?;
            let ics = step("export the session", h.engine.session_ical(Actor::System, session.id))?;
            let values = check_shape(&ics, &event_names(false, true), &what)?;
            ensure_eq(unescape(value_of(&values, "SUMMARY")), stored.title.clone(), &format!("{what}: SUMMARY"))?;
            ensure_eq(value_of(&values, "URL"), stored.meeting_link.as_str(), &format!("{what}: URL"))?;
            ensure_eq(
                unescape(value_of(&values, "LOCATION")),
                stored.meeting_link.as_str().to_owned(),
                &format!("{what}: LOCATION"),
            )?;
            // A waitlisted seat's export has a DESCRIPTION as well.
            step("book", h.engine.book_seat(Actor::Student(student(1)), session.id, student(1)))?;
            let waiting = step("wait", h.engine.book_seat(Actor::Student(student(2)), session.id, student(2)))?.value;
            let ics = step("export the booking", h.engine.booking_ical(Actor::System, waiting.id))?;
            check_shape(&ics, &event_names(true, true), &format!("{what}, waitlisted"))?;
        }
    }
    let base = new_session(teacher(2), 1, true);
    let teacher_calendar = || step("teacher's calendar", h.engine.calendar(Actor::System, teacher(2)));
    let before = teacher_calendar()?;
    for link in refused_links() {
        let new = NewGroupSession { meeting_link: link.clone(), ..base.clone() };
        expect_error(
            "invalid_meeting_link",
            &format!("session link {link:?}"),
            h.engine.create_session(Actor::Teacher(teacher(2)), new),
        )?;
    }
    ensure(teacher_calendar()? == before, || "a refused session changed the teacher's calendar".to_owned())?;

    // A lesson's link, set by the teacher or when approving.
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(1), course(1));
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Tue, (8, 0), (9, 0)))?;
    let lesson =
        step("request", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 5, 8, 0), student(1)))?
            .value;
    let people = [teacher(1), student(1)];
    for link in refused_links() {
        let what = format!("lesson link {link:?}");
        l.expect_refused(&people, "invalid_meeting_link", &what, || {
            l.engine.approve_lesson(Actor::Teacher(teacher(1)), lesson.id, Some(link.clone()))
        })?;
        let before = step("load", l.engine.lesson(Actor::System, lesson.id))?;
        expect_error(
            "invalid_meeting_link",
            &what,
            l.engine.set_meeting_link(Actor::Teacher(teacher(1)), lesson.id, link),
        )?;
        ensure(step("load", l.engine.lesson(Actor::System, lesson.id))? == before, || {
            format!("{what}: the lesson changed")
        })?;
    }
    let ics = step("export the pending lesson", l.engine.booking_ical(Actor::System, lesson.id))?;
    check_shape(&ics, &event_names(false, false), "pending lesson")?;
    let approved = step(
        "approve",
        l.engine.approve_lesson(Actor::Teacher(teacher(1)), lesson.id, Some(accepted_links()[2].clone())),
    )?;
    for link in accepted_links() {
        let set = step("set the link", l.engine.set_meeting_link(Actor::Teacher(teacher(1)), lesson.id, link.clone()))?;
        let stored = set.value.meeting_link.clone().ok_or("no link stored")?;
        ensure_eq(
            stored.as_str(),
            crate::MeetingLink::parse(&link).map_err(|e| e.to_string())?.as_str(),
            "lesson link",
        )?;
        let ics = step("export the lesson", l.engine.booking_ical(Actor::System, lesson.id))?;
        let values = check_shape(&ics, &event_names(false, true), &format!("lesson link {link:?}"))?;
        ensure_eq(value_of(&values, "URL"), stored.as_str(), "lesson URL")?;
    }
    ensure(approved.value.meeting_link.is_some(), || "approved without its link".to_owned())
}

/// Characters every free-text field refuses (see [`crate::text`]).
const CONTROLS: [char; 12] =
    ['\u{0}', '\u{1}', '\u{8}', '\t', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}'];

/// `Ok` if `result` is `invalid_input` naming `field`.
fn expect_invalid_field<T: std::fmt::Debug>(
    field: &str,
    what: &str,
    result: Result<T, BookingError>,
) -> Result<(), String> {
    match result {
        Err(BookingError::InvalidInput { field: f, .. }) if f == field => Ok(()),
        other => Err(format!("{what}: expected invalid_input naming {field}, got {other:?}")),
    }
}

/// A title, a decline reason and a time-off note with NUL or another control character are
/// refused with `invalid_input` naming the field, on every store, and nothing changes; line
/// breaks in the multi-line ones are kept as line feeds.
pub(crate) fn text_control_characters_refused(f: StoreFactory<'_>) -> Result<(), String> {
    let l = Lessons::new(f);
    l.host.set_course_approval(course(1), Some(true));
    l.host.enroll(student(1), course(1));
    let slot = l.publish(teacher(1), weekly(Some(course(1)), "UTC", Weekday::Tue, (8, 0), (9, 0)))?;
    let pending =
        step("request", l.engine.book_lesson(Actor::Student(student(1)), slot, utc(2030, 3, 5, 8, 0), student(1)))?
            .value;
    let people = [teacher(1), student(1)];
    let single_line = CONTROLS.iter().chain(&['\n', '\r']);
    for c in single_line {
        for title in [format!("Algebra{c}II"), format!("{c}"), format!("Algebra {c}")] {
            let what = format!("title {title:?}");
            let new = NewGroupSession { title, ..new_session(teacher(1), 3, true) };
            let before = l.calendars(&people)?;
            expect_invalid_field("title", &what, l.engine.create_session(Actor::Teacher(teacher(1)), new))?;
            ensure(l.calendars(&people)? == before, || format!("{what}: a calendar changed"))?;
        }
    }
    for c in CONTROLS {
        let text = format!("Sorry,\r\nnot this week{c} ok?");
        let what = format!("reason {text:?}");
        let before = (l.calendars(&people)?, step("load", l.engine.lesson(Actor::System, pending.id))?);
        expect_invalid_field(
            "reason",
            &what,
            l.engine.decline_lesson(Actor::Teacher(teacher(1)), pending.id, Some(text.clone())),
        )?;
        ensure((l.calendars(&people)?, step("load", l.engine.lesson(Actor::System, pending.id))?) == before, || {
            format!("{what}: the lesson or a calendar changed")
        })?;
        let what = format!("note {text:?}");
        let spec = TimeOffSpec {
            first_day: date(2030, 4, 1),
            last_day: date(2030, 4, 2),
            time_zone: "UTC".to_owned(),
            note: Some(text),
        };
        let before = l.calendars(&people)?;
        expect_invalid_field("note", &what, l.engine.add_time_off(Actor::Teacher(teacher(1)), teacher(1), spec))?;
        ensure(l.calendars(&people)? == before, || format!("{what}: a calendar changed"))?;
    }

    // Accepted: line breaks in the multi-line fields, stored as line feeds; other scripts.
    let spec = TimeOffSpec {
        first_day: date(2030, 4, 1),
        last_day: date(2030, 4, 2),
        time_zone: "UTC".to_owned(),
        note: Some("Conference\r\nin Lyon\rback on 3 April ✈".to_owned()),
    };
    let off =
        step("time off with a multi-line note", l.engine.add_time_off(Actor::Teacher(teacher(1)), teacher(1), spec))?;
    let stored = step("calendar", l.engine.calendar(Actor::System, teacher(1)))?;
    let note = stored.time_off.iter().find(|t| t.id == off.value.id).and_then(|t| t.note.clone());
    ensure_eq(note.as_deref(), Some("Conference\nin Lyon\nback on 3 April ✈"), "the stored note")?;
    let declined = step(
        "decline with a multi-line reason",
        l.engine.decline_lesson(
            Actor::Teacher(teacher(1)),
            pending.id,
            Some(" Sorry,\r\nI am\u{2028}ill. ".to_owned()),
        ),
    )?;
    let reasons: Vec<Option<String>> = declined
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LessonDeclined { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    ensure_eq(reasons, vec![Some("Sorry,\nI am\u{2028}ill.".to_owned())], "the reason, as stored")?;
    let session = step(
        "a title in other scripts",
        l.engine.create_session(
            Actor::Teacher(teacher(1)),
            NewGroupSession {
                title: "  Алгебра · 代数 😀  ".to_owned(), ..new_session(teacher(1), 3, true)
            },
        ),
    )?;
    ensure_eq(session.value.title.as_str(), "Алгебра · 代数 😀", "the stored title")
}
