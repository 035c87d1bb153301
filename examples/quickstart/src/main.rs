//! Plays the seed checklist's group-session scenarios on the booking engine and prints what
//! happened, step by step.
//!
//! Run it with `cargo run -p quickstart`.

use booking_core::{
    Actor, BookingError, Engine, Event, EventKind, InMemoryRepository, ManualClock, NewGroupSession, Receipt,
    SeatBooking, SequentialIds, SessionId, UserId,
};
use chrono::{TimeDelta, TimeZone, Utc};
use std::collections::HashMap;
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

fn status_line(engine: &Engine<InMemoryRepository>, id: SessionId) {
    let s = engine.session(id).expect("the session exists");
    println!(
        "  state: {} of {} seats taken, {} remaining, {} waitlisted, {:?}",
        s.booked_seats(),
        s.capacity,
        s.remaining_seats(),
        s.waitlisted_count(),
        s.availability(engine.now())
    );
}

fn main() {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 9, 2, 8, 0, 0).unwrap()));
    let engine =
        Engine::new(InMemoryRepository::new()).with_clock(Arc::clone(&clock)).with_ids(SequentialIds::default());
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
