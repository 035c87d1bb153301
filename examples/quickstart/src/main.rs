//! Plays the seed checklist's scenarios (group sessions, then 1:1 lessons) on the booking
//! engine, stored in a SQLite file, and prints what happened, step by step; then the rules
//! beyond the checklist (waitlist offers, seats for a family, scheduling rules, time off,
//! rescheduling, calendar export); then what a platform shows: a student's agenda, the
//! teacher's approval queue, and the events relayed from the outbox.
//!
//! ```text
//! cargo run -p quickstart                      # plays the scenarios into ./quickstart.db
//! cargo run -p quickstart                      # again: shows what the first run stored
//! cargo run -p quickstart -- --fresh           # starts from a clean database
//! cargo run -p quickstart -- --db /tmp/demo.db # another file
//! cargo run -p quickstart -- --trace           # also the engine's tracing events, on stderr
//! ```
//!
//! `--trace` shows how a host routes the engine's `tracing` events to its own logging: here a
//! `tracing-subscriber` formatter on stderr at `DEBUG`, one `command finished` line per command
//! (its outcome code, attempts, time in the store) inside its `booking_command` span.

use booking_core::availability::SlotRecurrence;
use booking_core::availability::TimeOffSpec;
use booking_core::lesson::{OccurrenceQuery, SeriesEnd, SeriesMode, SeriesRequest, SlotSpec};
use booking_core::read::{AgendaKind, PageRequest};
use booking_core::{
    Actor, BookingError, CourseId, Engine, Event, EventKind, ManualClock, NewGroupSession, Receipt, SchedulingRules,
    SeatBooking, SequentialIds, SessionId, UserId, WaitlistMode,
};
use booking_sqlite::SqliteRepository;
use chrono::{NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Names for the people of the transcript.
struct Cast {
    names: HashMap<UserId, String>,
}

impl Cast {
    fn person(&mut self, n: u128, name: &str) -> UserId {
        let id = UserId::from_uuid(uuid::Uuid::from_u128(n));
        self.names.insert(id, name.to_owned());
        id
    }

    fn name(&self, id: UserId) -> &str {
        self.names.get(&id).map_or("someone", String::as_str)
    }

    fn describe(&self, event: &Event) -> String {
        match &event.kind {
            EventKind::SessionCreated { session } => format!(
                "session \"{}\" created: {} seats, waitlist {}",
                session.title,
                session.capacity,
                if session.waitlist_enabled { "on" } else { "off" }
            ),
            EventKind::BookingConfirmed { student_id, .. } => format!("{} got a seat", self.name(*student_id)),
            EventKind::BookingWaitlisted { student_id, position, .. } => {
                format!("{} joined the waitlist at position {position}", self.name(*student_id))
            }
            EventKind::BookingPromoted { student_id, .. } => {
                format!("{} was promoted from the waitlist", self.name(*student_id))
            }
            EventKind::BookingCancelled { student_id, previous_status, .. } => {
                format!("{}'s {previous_status} booking was cancelled", self.name(*student_id))
            }
            EventKind::SessionClosed { .. } => "booking closed: every seat is taken".to_owned(),
            EventKind::SessionReopened { .. } => "booking reopened".to_owned(),
            EventKind::SlotPublished { slot } => match &slot.recurrence {
                SlotRecurrence::Weekly { weekday, start_time, end_time, .. } => {
                    format!("weekly slot published: {weekday} {start_time}-{end_time} ({})", slot.time_zone)
                }
                SlotRecurrence::OneTime { start, end } => {
                    format!("one-time slot published: {start} to {} ({})", end.time(), slot.time_zone)
                }
            },
            EventKind::LessonBooked { lesson } => {
                format!(
                    "{} booked a lesson at {} ({})",
                    self.name(lesson.student_id),
                    lesson.local_times().0,
                    lesson.time_zone
                )
            }
            EventKind::LessonRequested { lesson } => format!(
                "{} requested a lesson at {} ({}), waiting for approval",
                self.name(lesson.student_id),
                lesson.local_times().0,
                lesson.time_zone
            ),
            EventKind::LessonApproved { meeting_link, .. } => {
                format!("lesson approved, link {}", meeting_link.as_ref().map_or("(none)", |l| l.as_str()))
            }
            EventKind::SeriesBooked { lessons, skipped, .. } => {
                format!("series booked: {} lessons, {skipped} skipped", lessons.len())
            }
            EventKind::SeatOffered { student_id, seats, expires_at, .. } => format!(
                "{seats} seat(s) offered to {} until {}",
                self.name(*student_id),
                expires_at.format("%d %b %H:%M UTC")
            ),
            EventKind::OfferAccepted { student_id, .. } => format!("{} accepted the offer", self.name(*student_id)),
            EventKind::OfferDeclined { student_id, .. } => format!("{} declined the offer", self.name(*student_id)),
            EventKind::OfferExpired { student_id, .. } => {
                format!("{}'s offer expired unanswered", self.name(*student_id))
            }
            EventKind::LessonCancelled { student_id, cutoff_overridden, .. } => format!(
                "{}'s lesson was cancelled{}",
                self.name(*student_id),
                if *cutoff_overridden { " (within the cut-off: overridden)" } else { "" }
            ),
            EventKind::LessonRescheduled { lesson, previous_starts_at, .. } => format!(
                "{}'s lesson moved from {} to {} UTC ({})",
                self.name(lesson.student_id),
                previous_starts_at.format("%d %b %H:%M"),
                lesson.starts_at.format("%d %b %H:%M"),
                lesson.status
            ),
            EventKind::TimeOffAdded { time_off } => {
                format!("time off from {} to {} ({})", time_off.first_day, time_off.last_day, time_off.time_zone)
            }
            other => other.name().replace('_', " "),
        }
    }
}

fn show<T>(cast: &Cast, what: &str, result: Result<Receipt<T>, BookingError>) -> Option<T> {
    match result {
        Ok(receipt) => {
            let replayed = if receipt.replayed { " (replayed, nothing changed)" } else { "" };
            let events: Vec<String> = receipt.events.iter().map(|e| cast.describe(e)).collect();
            println!("  {what}: ok{replayed} -> {}", events.join("; "));
            Some(receipt.value)
        }
        Err(e) => {
            println!("  {what}: refused [{}] {e}", e.code());
            None
        }
    }
}

type Store = Arc<SqliteRepository>;

fn status_line(engine: &Engine<Store>, id: SessionId) {
    let s = engine.session(Actor::System, id).expect("the session exists");
    println!(
        "  state: {} of {} seats taken, {} remaining, {} waitlisted, {:?}",
        s.booked_seats(),
        s.capacity,
        s.remaining_seats(),
        s.waitlisted_count(),
        s.availability(engine.now())
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut path = PathBuf::from("quickstart.db");
    let mut fresh = false;
    let mut trace = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fresh" => fresh = true,
            "--trace" => trace = true,
            "--db" => path = args.next().ok_or("--db needs a path")?.into(),
            other => return Err(format!("unknown argument {other:?}; use --db PATH, --fresh, --trace").into()),
        }
    }
    if trace {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::DEBUG)
            .with_target(false)
            .init();
    }
    if fresh {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    let store: Store = Arc::new(SqliteRepository::open(&path)?);
    println!("Database: {}\n", path.display());
    if show_earlier_run(&store)? {
        return Ok(());
    }
    group_sessions(&store);
    println!();
    one_to_one_lessons(&store)?;
    println!();
    beyond_the_checklist(&store)?;
    println!();
    the_read_side(&store)?;
    println!("\nAll of this is stored in {}: run again to see it, or pass --fresh to start clean.", path.display());
    Ok(())
}

/// The first session the group scenarios create: ids are sequential, so every run makes the same ones.
const FIRST_SESSION: SessionId = SessionId::from_uuid(uuid::Uuid::from_u128(1));

/// If an earlier run stored its scenarios in this database, shows what it left and returns `true`.
fn show_earlier_run(store: &Store) -> Result<bool, BookingError> {
    if booking_core::Repository::load_session(&**store, FIRST_SESSION)?.is_none() {
        return Ok(false);
    }
    // The instant the group scenarios end at, after both sessions started.
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2030, 9, 3, 16, 10, 0).unwrap());
    let engine = Engine::new(Arc::clone(store)).with_clock(clock);
    // Everything that takes place in 2030, read from the store's indexes (the read side).
    let (from, to) =
        (Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2030, 12, 31, 0, 0, 0).unwrap());
    let mut items = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let got = engine.starting_between(Actor::System, from, to, &page)?;
        items.extend(got.items);
        match got.next {
            Some(token) => page = PageRequest::after(token, 100),
            None => break,
        }
    }
    println!("An earlier run stored its scenarios here. What it left:");
    for item in items.iter().filter(|i| i.kind == AgendaKind::Session) {
        println!("  session \"{}\":", item.title.as_deref().unwrap_or(""));
        status_line(&engine, item.session_id.expect("a session item names its session"));
    }
    let lessons = items.iter().filter(|i| i.kind == AgendaKind::Lesson).count();
    println!("  1:1 lessons that take place: {lessons}");
    println!("  events not yet relayed: {}", engine.outbox(Actor::System, 0, 500)?.len());
    println!("\nPass --fresh to play the scenarios again from a clean database.");
    Ok(true)
}

/// What a platform shows its users, read from the store's indexes: a student's agenda, the
/// teacher's approval queue, and the events relayed from the outbox (read, deliver,
/// acknowledge: at least once).
fn the_read_side(store: &Store) -> Result<(), BookingError> {
    use booking_core::Clock as _;
    println!("=== What the platform shows (the read side) ===\n");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()));
    let engine =
        Engine::new(Arc::clone(store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::starting_after(3 << 20));
    let mut cast = Cast { names: HashMap::new() };
    let teacher = cast.person(2000, "Herr Becker");
    let mia = cast.person(21, "Mia");
    let theory = CourseId::from_uuid(uuid::Uuid::from_u128(32));

    // Mia asks for one more theory lesson (the course needs approval), so the queue has one.
    let theory_slot = engine
        .calendar(Actor::Teacher(teacher), teacher)?
        .slots
        .iter()
        .find(|s| s.course_id == Some(theory))
        .map(|s| s.id);
    if let Some(slot) = theory_slot {
        let start = Utc.with_ymd_and_hms(2030, 4, 8, 14, 0, 0).unwrap();
        show(&cast, "Mia requests Monday 8 April, 4pm", engine.book_lesson(Actor::Student(mia), slot, start, mia));
    }

    let (from, to) = (clock.now(), clock.now() + TimeDelta::days(60));
    println!("\nMia's agenda, the next 60 days (as Mia reads it):");
    let agenda = engine.student_agenda(Actor::Student(mia), mia, from, to, &[], &PageRequest::first(20))?;
    for item in &agenda.items {
        println!(
            "  {} UTC  {:<6}  {:<16}  with {}",
            item.starts_at.format("%a %d %b %H:%M"),
            if item.kind == AgendaKind::Lesson { "lesson" } else { "seat" },
            item.status.as_str(),
            cast.name(item.teacher_id)
        );
    }

    println!("\nHerr Becker's approval queue (oldest request first):");
    let queue = engine.approval_queue(Actor::Teacher(teacher), teacher, &PageRequest::first(20))?;
    for request in &queue.items {
        println!(
            "  {} asks for {} UTC (requested {})",
            cast.name(request.student_id),
            request.starts_at.format("%a %d %b %H:%M"),
            request.requested_at.format("%d %b %H:%M")
        );
    }
    let refused = engine.approval_queue(Actor::Student(mia), teacher, &PageRequest::first(20));
    if let Err(e) = refused {
        println!("  (Mia may not read it: [{}])", e.code());
    }

    println!("\nRelaying the outbox (every committed event, in commit order; a host sends mail or webhooks):");
    let mut relayed: Vec<(&'static str, usize)> = Vec::new();
    let mut total = 0;
    loop {
        let batch = engine.outbox(Actor::System, 0, 200)?;
        let Some(last) = batch.last().map(|e| e.position) else { break };
        for entry in &batch {
            let name = entry.event.kind.name();
            match relayed.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => relayed.push((name, 1)),
            }
        }
        total += batch.len();
        // Delivered: acknowledge up to the last one (a crash before this relays them again).
        engine.acknowledge_outbox(Actor::System, last)?;
    }
    let summary: Vec<String> = relayed.iter().map(|(name, count)| format!("{count} {name}")).collect();
    println!("  relayed {total} events: {}", summary.join(", "));
    println!("  left in the outbox: {}", engine.outbox(Actor::System, 0, 200)?.len());

    // What a metrics endpoint would sample: how this engine's commands ended.
    let c = engine.counters();
    println!(
        "\nThis engine's counters: commands {}, committed {}, refused {}, replayed {}, retries {}",
        c.commands, c.committed, c.refused, c.replayed, c.retries
    );
    Ok(())
}

fn group_sessions(store: &Store) {
    println!("=== Group sessions (seat-based) ===\n");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 9, 2, 8, 0, 0).unwrap()));
    let engine = Engine::new(Arc::clone(store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::default());
    let mut cast = Cast { names: HashMap::new() };
    let teacher = cast.person(1000, "Ms. Rivera");
    let students: Vec<UserId> = (1..=16).map(|n| cast.person(n, &format!("student {n}"))).collect();
    let session = |capacity: u32, waitlist_enabled: bool, title: &str| NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: title.to_owned(),
        starts_at: Utc.with_ymd_and_hms(2030, 9, 3, 16, 0, 0).unwrap(),
        time_zone: "America/Mexico_City".to_owned(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/rivera".to_owned(),
        capacity,
        waitlist_enabled,
        waitlist_mode: WaitlistMode::Promote,
        rules: SchedulingRules::default(),
    };
    let book =
        |session: SessionId, n: usize| engine.book_seat(Actor::Student(students[n - 1]), session, students[n - 1]);

    println!("1. Create session: a teacher creates a session with 10 seats, no waitlist");
    let Some(closed) =
        show(&cast, "create", engine.create_session(Actor::Teacher(teacher), session(10, false, "Algebra review")))
    else {
        return;
    };

    println!("\n2. Book to capacity: 10 students book");
    for n in 1..=10 {
        show(&cast, &format!("student {n} books"), book(closed.id, n));
    }
    status_line(&engine, closed.id);

    println!("\n3. Try to overbook: an 11th student books");
    show(&cast, "student 11 books", book(closed.id, 11));
    status_line(&engine, closed.id);

    println!("\n4. With waitlist: a session of 10 seats with a waitlist, 15 students book");
    let Some(queued) =
        show(&cast, "create", engine.create_session(Actor::Teacher(teacher), session(10, true, "Geometry workshop")))
    else {
        return;
    };
    let bookings: Vec<SeatBooking> =
        (1..=15).filter_map(|n| show(&cast, &format!("student {n} books"), book(queued.id, n))).collect();
    status_line(&engine, queued.id);

    println!("\n5. Cancel and promote: student 4 cancels a confirmed seat");
    show(&cast, "student 4 cancels", engine.cancel_booking(Actor::Student(students[3]), bookings[3].id));
    status_line(&engine, queued.id);

    println!("\n6. Multiple bookings: student 1 tries to book the same session again");
    show(&cast, "student 1 books again", book(queued.id, 1));

    println!("\nMore: a retry with the same request key, a capacity change, and attendance");
    let retry = |key: &str| engine.book_seat(Actor::Student(students[15]).with_key(key), queued.id, students[15]);
    show(&cast, "student 16 books with request key \"r-16\"", retry("r-16"));
    show(&cast, "student 16 retries with the same key", retry("r-16"));
    show(&cast, "the teacher adds 2 seats", engine.change_capacity(Actor::Teacher(teacher), queued.id, 12));
    show(&cast, "the teacher lowers to 5 seats", engine.change_capacity(Actor::Teacher(teacher), queued.id, 5));
    show(&cast, "student 2 changes capacity", engine.change_capacity(Actor::Student(students[1]), queued.id, 20));
    clock.set(queued.starts_at + TimeDelta::minutes(10));
    show(
        &cast,
        "student 5 cancels after the start",
        engine.cancel_booking(Actor::Student(students[4]), bookings[4].id),
    );
    show(
        &cast,
        "the teacher marks student 1 attended",
        engine.mark_attendance(Actor::Teacher(teacher), bookings[0].id, true),
    );
    show(
        &cast,
        "the teacher marks student 2 a no-show",
        engine.mark_attendance(Actor::Teacher(teacher), bookings[1].id, false),
    );
    status_line(&engine, queued.id);
}

fn one_to_one_lessons(store: &Store) -> Result<(), BookingError> {
    println!("=== 1:1 lessons from availability ===\n");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()));
    let engine =
        Engine::new(Arc::clone(store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::starting_after(1 << 20));
    let mut cast = Cast { names: HashMap::new() };
    let teacher = cast.person(2000, "Herr Becker");
    let (mia, noah) = (cast.person(21, "Mia"), cast.person(22, "Noah"));
    let (piano, theory) =
        (CourseId::from_uuid(uuid::Uuid::from_u128(31)), CourseId::from_uuid(uuid::Uuid::from_u128(32)));
    // Host-owned data: enrollments and the courses' approval settings.
    for (student, course) in [(mia, piano), (noah, piano), (mia, theory)] {
        store.enroll(student, course)?;
    }
    store.set_course_approval(theory, Some(true))?;
    let t = |h: u32| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let weekly = |course: CourseId, start: u32| SlotSpec {
        course_id: Some(course),
        time_zone: "Europe/Berlin".to_owned(),
        recurrence: SlotRecurrence::Weekly {
            weekday: Weekday::Mon,
            start_time: t(start),
            end_time: t(start + 1),
            valid_from: NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(),
            valid_until: None,
        },
        active: true,
        rules: Default::default(),
    };
    let list = |student: UserId, days: i64| {
        let query = OccurrenceQuery {
            teacher_id: teacher,
            course_id: None,
            student_id: Some(student),
            from: clock.now(),
            to: clock.now() + TimeDelta::days(days),
            time_zone: Some("America/New_York".to_owned()),
        };
        engine.list_occurrences(&query).expect("a valid query")
    };
    let show_listing = |who: &str, student: UserId, days: i64| {
        let listed = list(student, days);
        let times: Vec<String> = listed
            .iter()
            .map(|o| {
                format!(
                    "{} Berlin / {} New York",
                    o.teacher_local_start.format("%a %d %b %H:%M"),
                    o.viewer_local_start.format("%H:%M")
                )
            })
            .collect();
        println!("  {who} sees {} occurrences: {}", listed.len(), times.join("; "));
        listed
    };
    use booking_core::Clock as _;

    println!("1. Create availability: a recurring Monday 2-3pm slot (Berlin), piano course");
    let Some(piano_slot) =
        show(&cast, "publish", engine.publish_slot(Actor::Teacher(teacher), teacher, weekly(piano, 14)))
    else {
        return Ok(());
    };
    let listed = show_listing("Noah", noah, 28);

    println!("\n2. One-time slot: Wednesday 6 March, 10-11am Berlin, no course");
    let once = SlotSpec {
        course_id: None,
        time_zone: "Europe/Berlin".to_owned(),
        recurrence: SlotRecurrence::OneTime {
            start: NaiveDate::from_ymd_opt(2030, 3, 6).unwrap().and_time(t(10)),
            end: NaiveDate::from_ymd_opt(2030, 3, 6).unwrap().and_time(t(11)),
        },
        active: true,
        rules: Default::default(),
    };
    show(&cast, "publish", engine.publish_slot(Actor::Teacher(teacher), teacher, once));

    println!("\n3. Book without approval: the piano course needs none");
    let first = listed[1].starts_at;
    show(&cast, "Noah books Monday 11 March", engine.book_lesson(Actor::Student(noah), piano_slot.id, first, noah));

    println!("\n4. Book with approval: the theory course needs the teacher's approval");
    let theory_slot = show(
        &cast,
        "publish a theory slot at 4pm",
        engine.publish_slot(Actor::Teacher(teacher), teacher, weekly(theory, 16)),
    );
    if let Some(slot) = theory_slot {
        let start = Utc.with_ymd_and_hms(2030, 3, 11, 15, 0, 0).unwrap();
        if let Some(pending) = show(
            &cast,
            "Mia requests Monday 11 March, 4pm",
            engine.book_lesson(Actor::Student(mia), slot.id, start, mia),
        ) {
            show(
                &cast,
                "Noah (not enrolled in theory) tries too",
                engine.book_lesson(Actor::Student(noah), slot.id, start, noah),
            );
            let link = Some("https://meet.example.com/becker-mia".to_owned());
            show(&cast, "Herr Becker approves", engine.approve_lesson(Actor::Teacher(teacher), pending.id, link));
        }
    }

    println!("\n5. Double booking prevention: Mia tries Noah's occurrence");
    show(&cast, "Mia books Monday 11 March, 2pm", engine.book_lesson(Actor::Student(mia), piano_slot.id, first, mia));

    println!("\n6. Slot removal: the booked occurrence is gone, the other Mondays are not");
    show_listing("Mia", mia, 28);

    println!(
        "\n7. Recurring series: Mia books 4 weekly piano lessons from 18 March (Berlin's clocks change on 31 March)"
    );
    let request = SeriesRequest {
        slot_id: piano_slot.id,
        student_id: mia,
        first_starts_at: Utc.with_ymd_and_hms(2030, 3, 18, 13, 0, 0).unwrap(),
        every_weeks: 1,
        end: SeriesEnd::Count(4),
        mode: SeriesMode::AllOrNothing,
    };
    if let Some(series) = show(&cast, "book the series", engine.book_series(Actor::Student(mia), request)) {
        for lesson in &series.lessons {
            println!(
                "      lesson at {} UTC = {} in Berlin",
                lesson.starts_at.format("%d %b %H:%M"),
                lesson.local_times().0.format("%H:%M")
            );
        }
    }
    Ok(())
}

fn beyond_the_checklist(store: &Store) -> Result<(), BookingError> {
    println!("=== Beyond the checklist ===\n");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 10, 7, 8, 0, 0).unwrap()));
    let engine =
        Engine::new(Arc::clone(store)).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::starting_after(2 << 20));
    let mut cast = Cast { names: HashMap::new() };
    let teacher = cast.person(3000, "Mme Dubois");
    let (lea, tom, ana) = (cast.person(41, "Lea"), cast.person(42, "Tom"), cast.person(43, "Ana"));
    use booking_core::Clock as _;

    println!(
        "1. Waitlist by offer: 2 seats; a freed seat is held for the first in line for 30 minutes; \
         a booking may take both seats (one seat per booking unless the teacher allows more)"
    );
    let new = NewGroupSession {
        teacher_id: teacher,
        course_id: None,
        title: "Conversation club".to_owned(),
        starts_at: Utc.with_ymd_and_hms(2030, 10, 9, 17, 0, 0).unwrap(),
        time_zone: "Europe/Paris".to_owned(),
        duration_minutes: 60,
        meeting_link: "https://meet.example.com/dubois".to_owned(),
        capacity: 2,
        waitlist_enabled: true,
        waitlist_mode: WaitlistMode::Offer { hold_minutes: 30 },
        rules: SchedulingRules {
            cancel_cutoff_minutes: Some(120),
            max_seats_per_booking: Some(2),
            ..SchedulingRules::default()
        },
    };
    let Some(club) = show(&cast, "create", engine.create_session(Actor::Teacher(teacher), new)) else {
        return Ok(());
    };
    let lea_seat = show(&cast, "Lea books", engine.book_seat(Actor::Student(lea), club.id, lea));
    show(&cast, "Tom books", engine.book_seat(Actor::Student(tom), club.id, tom));
    let ana_wait = show(
        &cast,
        "Ana books for herself and her brother (2 seats)",
        engine.book_seats(Actor::Student(ana), club.id, ana, 2),
    );
    if let Some(seat) = lea_seat {
        show(&cast, "Lea cancels", engine.cancel_booking(Actor::Student(lea), seat.id));
    }
    println!("  (Ana needs 2 seats and only 1 is free: she keeps her place, and nobody jumps ahead of her)");
    let lea_wait = show(&cast, "Lea books again", engine.book_seat(Actor::Student(lea), club.id, lea));
    status_line(&engine, club.id);

    println!("\n2. Offers: the teacher adds seats; Lea accepts, Ana's offer runs out");
    show(&cast, "the teacher raises the capacity to 4", engine.change_capacity(Actor::Teacher(teacher), club.id, 4));
    if let Some(wait) = lea_wait {
        show(&cast, "Lea accepts", engine.accept_offer(Actor::Student(lea), wait.id));
    }
    println!("  (the host calls process_expired_offers(now) every minute; 31 minutes later:)");
    clock.advance(TimeDelta::minutes(31));
    let sweep = engine.process_expired_offers(clock.now())?;
    // A session the store could not process is reported and tried again by the next call.
    for (session_id, error) in &sweep.failures {
        println!("  session {session_id} not processed: {error}");
    }
    let described: Vec<String> = sweep.events.iter().map(|e| cast.describe(e)).collect();
    println!(
        "  process_expired_offers: {}",
        if described.is_empty() { "nothing due".to_owned() } else { described.join("; ") }
    );
    if let Some(wait) = ana_wait {
        show(&cast, "Ana accepts too late", engine.accept_offer(Actor::Student(ana), wait.id));
    }
    let max = cast.person(44, "Max");
    show(&cast, "Max tries to book 3 seats in one booking", engine.book_seats(Actor::Student(max), club.id, max, 3));
    status_line(&engine, club.id);

    println!(
        "\n3. Scheduling rules: 24 hours' notice, 15 minutes after each lesson, no student cancellation within 12 hours"
    );
    let rules = SchedulingRules {
        min_notice_minutes: Some(24 * 60),
        buffer_after_minutes: Some(15),
        cancel_cutoff_minutes: Some(12 * 60),
        ..SchedulingRules::default()
    };
    show(&cast, "set the teacher's rules", engine.set_scheduling_rules(Actor::Teacher(teacher), teacher, None, rules));
    let t = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let slot = |day: u32, from: NaiveTime, to: NaiveTime| SlotSpec {
        course_id: None,
        time_zone: "Europe/Paris".to_owned(),
        recurrence: SlotRecurrence::OneTime {
            start: NaiveDate::from_ymd_opt(2030, 10, day).unwrap().and_time(from),
            end: NaiveDate::from_ymd_opt(2030, 10, day).unwrap().and_time(to),
        },
        active: true,
        rules: SchedulingRules::default(),
    };
    let publish = |spec| engine.publish_slot(Actor::Teacher(teacher), teacher, spec);
    let (Some(tomorrow), Some(nine), Some(ten), Some(friday)) = (
        show(&cast, "publish Tuesday 8 October 9:00-10:00", publish(slot(8, t(9, 0), t(10, 0)))),
        show(&cast, "publish Thursday 10 October 9:00-10:00", publish(slot(10, t(9, 0), t(10, 0)))),
        show(&cast, "publish Thursday 10 October 10:00-11:00", publish(slot(10, t(10, 0), t(11, 0)))),
        show(&cast, "publish Friday 11 October 9:00-10:00", publish(slot(11, t(9, 0), t(10, 0)))),
    ) else {
        return Ok(());
    };
    let start = |s: &booking_core::availability::AvailabilitySlot| {
        booking_core::availability::occurrences(s, clock.now(), clock.now() + TimeDelta::days(7))
            .ok()
            .and_then(|mut o| o.next())
            .map(|o| o.starts_at)
            .expect("the slot occurs this week")
    };
    show(
        &cast,
        "Tom books Tuesday 9:00 (less than 24 hours ahead)",
        engine.book_lesson(Actor::Student(tom), tomorrow.id, start(&tomorrow), tom),
    );
    let lesson =
        show(&cast, "Tom books Thursday 9:00", engine.book_lesson(Actor::Student(tom), nine.id, start(&nine), tom));
    show(
        &cast,
        "Lea books Thursday 10:00 (inside Tom's 15-minute buffer)",
        engine.book_lesson(Actor::Student(lea), ten.id, start(&ten), lea),
    );

    println!("\n4. Time off: Mme Dubois takes Friday off; the slot stays, Friday is not offered");
    let off = TimeOffSpec {
        first_day: NaiveDate::from_ymd_opt(2030, 10, 11).unwrap(),
        last_day: NaiveDate::from_ymd_opt(2030, 10, 11).unwrap(),
        time_zone: "Europe/Paris".to_owned(),
        note: Some("training day".to_owned()),
    };
    show(&cast, "take Friday off", engine.add_time_off(Actor::Teacher(teacher), teacher, off));
    show(&cast, "Lea books Friday 9:00", engine.book_lesson(Actor::Student(lea), friday.id, start(&friday), lea));

    println!("\n5. Reschedule and cut-offs");
    if let Some(lesson) = lesson {
        show(
            &cast,
            "Tom moves his lesson to Thursday 10:00",
            engine.reschedule_lesson(Actor::Student(tom), lesson.id, ten.id, start(&ten)),
        );
        let next_week = show(&cast, "publish Wednesday 16 October 10:00-11:00", publish(slot(16, t(10, 0), t(11, 0))));
        clock.set(start(&ten) - TimeDelta::hours(3));
        show(&cast, "Tom cancels 3 hours before", engine.cancel_lesson(Actor::Student(tom), lesson.id));
        if let Some(later) = next_week {
            show(
                &cast,
                "Tom moves it to next Wednesday instead (no reschedule cut-off: the cancellation cut-off governs)",
                engine.reschedule_lesson(Actor::Student(tom), lesson.id, later.id, start(&later)),
            );
        }
        println!("  the lesson in iCalendar (calendar apps update it by UID and SEQUENCE):");
        if let Ok(text) = engine.booking_ical(Actor::Student(tom), lesson.id) {
            for line in text.lines().filter(|l| {
                l.starts_with("UID") || l.starts_with("SEQUENCE") || l.starts_with("DTSTART") || l.starts_with("STATUS")
            }) {
                println!("      {line}");
            }
        }
        show(&cast, "Mme Dubois cancels it", engine.cancel_lesson(Actor::Teacher(teacher), lesson.id));
    }
    Ok(())
}
