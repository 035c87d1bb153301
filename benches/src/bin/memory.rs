//! Issue 7, item 6: resident bytes per booking with a million seat bookings in the in-memory
//! store. `cargo run --release -p booking-benches --bin memory [-- SESSIONS SEATS] [--acknowledge-outbox]`.
//!
//! The shape is 100,000 group sessions of 10 seats, every seat booked (1,000,000 bookings):
//! a platform's worth of small classes, the common case (a 1:1 lesson is a different
//! aggregate). Students arrive round robin over the sessions, as real traffic interleaves,
//! so every session's bookings grow one at a time among the others.
//!
//! It reports the growth of the resident set (`/proc/self/statm`) and of the live heap (a
//! counting allocator) per booking, next to the raw size of the data a booking holds.
//!
//! By default nobody reads the store's outbox, so every event stays in it (a store whose
//! consumer is down). With `--acknowledge-outbox` a consumer reads the outbox and
//! acknowledges what it read after every 10,000 bookings, as a host's relay does, and the
//! figures are those of the engine's state and indexes alone.

use booking_benches::{book, create_session, engine, student};
use booking_core::{Actor, BookingId, GroupSession, SeatBooking, SessionId};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Resident bytes of this process: the second field of `/proc/self/statm` times the page size.
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm (Linux only)");
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("statm's resident field");
    pages * page_size()
}

fn page_size() -> usize {
    std::process::Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(4096)
}

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn main() {
    let acknowledge = std::env::args().any(|a| a == "--acknowledge-outbox");
    let mut args = std::env::args()
        .skip(1)
        .filter(|a| a != "--acknowledge-outbox")
        .map(|a| a.parse::<u64>().expect("SESSIONS SEATS as numbers"));
    let sessions_n = args.next().unwrap_or(100_000);
    let seats = args.next().unwrap_or(10);
    let bookings_n = sessions_n * seats;

    let (rss0, heap0) = (resident(), live());
    let e = engine();
    let sessions: Vec<SessionId> = (0..sessions_n).map(|_| create_session(&e, seats as u32, false)).collect();
    let (rss1, heap1) = (resident(), live());
    let started = std::time::Instant::now();
    let mut ids: Vec<BookingId> = Vec::new();
    let mut relayed = 0u64;
    let mut relay = |e: &booking_benches::BenchEngine| {
        // What a relay does: read what is new, hand it on (here: nowhere), acknowledge it.
        while let Some(last) =
            e.outbox(Actor::System, relayed, booking_core::read::MAX_PAGE_SIZE).expect("reading the outbox").last()
        {
            relayed = last.position;
        }
        e.acknowledge_outbox(Actor::System, relayed).expect("acknowledging the outbox");
    };
    for k in 0..bookings_n {
        // Round robin: booking k goes to session k mod n, for the (k / n)-th student.
        let session = sessions[(k % sessions_n) as usize];
        let id = book(&e, session, student(k / sessions_n));
        if k % 100_000 == 0 {
            ids.push(id);
        }
        if acknowledge && k % 10_000 == 9_999 {
            relay(&e);
        }
    }
    if acknowledge {
        relay(&e);
    }
    let took = started.elapsed();
    let (rss2, heap2) = (resident(), live());
    // Keep the engine and a few results alive until the figures are taken.
    assert_eq!(e.session(booking_core::Actor::System, sessions[0]).expect("a session").bookings.len() as u64, seats);
    assert!(ids.iter().all(|id| e.seat_booking(booking_core::Actor::System, *id).is_ok()));

    let per = |bytes: usize| bytes as f64 / bookings_n as f64;
    println!(
        "{bookings_n} seat bookings in {sessions_n} sessions of {seats} seats (booked round robin in {:.2?}, {:.2} µs each); \
         outbox {}",
        took,
        took.as_secs_f64() * 1e6 / bookings_n as f64,
        if acknowledge { "read and acknowledged every 10,000 bookings" } else { "never read (every event kept)" }
    );
    println!();
    println!("| memory per booking | resident (statm) | live heap (counting allocator) |");
    println!("|---|---|---|");
    println!(
        "| sessions and bookings together, per booking | **{:.0} B** | {:.0} B |",
        per(rss2.saturating_sub(rss0)),
        per(heap2.saturating_sub(heap0))
    );
    println!(
        "| bookings alone (after the empty sessions), per booking | {:.0} B | {:.0} B |",
        per(rss2.saturating_sub(rss1)),
        per(heap2.saturating_sub(heap1))
    );
    println!(
        "| an empty session, per session | {:.0} B | {:.0} B |",
        rss1.saturating_sub(rss0) as f64 / sessions_n as f64,
        heap1.saturating_sub(heap0) as f64 / sessions_n as f64
    );
    println!();
    println!(
        "raw sizes: SeatBooking {} B (of which the data proper: 3 ids x 16 B, 2 instants x 12 B, a status byte = 73 B); \
         GroupSession {} B inline; index entry (BookingId, location) {} B + 1 control byte",
        std::mem::size_of::<SeatBooking>(),
        std::mem::size_of::<GroupSession>(),
        std::mem::size_of::<(BookingId, booking_core::repository::BookingLocation)>(),
    );
    // Where the bytes are: the bookings vectors as stored (their capacity, not only their
    // length), and the booking index's hash table (hashbrown: a power of two of buckets, at
    // most 7/8 full, one control byte each).
    let slot = std::mem::size_of::<SeatBooking>();
    let (mut len, mut cap) = (0usize, 0usize);
    for id in &sessions {
        let s = e.session(booking_core::Actor::System, *id).expect("a session");
        len += s.bookings.len();
        cap += s.bookings.capacity();
    }
    let entry = std::mem::size_of::<(BookingId, booking_core::repository::BookingLocation)>() + 1;
    let buckets = (bookings_n as usize * 8).div_ceil(7).next_power_of_two();
    println!(
        "bookings vectors: {len} bookings in {cap} slots = {:.0} B per booking ({:.0} B of it unused capacity)",
        per(cap * slot),
        per((cap - len) * slot),
    );
    println!("booking index: {buckets} buckets x {entry} B = {:.0} B per booking", per(buckets * entry));
    let target = per(rss2.saturating_sub(rss0));
    println!(
        "target <= 120 B per booking (resident, sessions included; issue 18): {}",
        if target <= 120.0 { "met" } else { "MISSED" }
    );
}
