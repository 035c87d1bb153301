//! # booking-core
//!
//! A storage-agnostic booking engine for teaching platforms: seat-based group sessions with
//! waitlists, and 1:1 lessons from a teacher's availability with approval and recurring series.
//!
//! The engine is *sans I/O*: each command is decided by a pure function of the current state,
//! the command, the actor and the time ([`group::decide`]), which yields the new state and the
//! [events](Event) that describe the change, or a typed [`BookingError`] with nothing changed.
//! The [`Engine`] loads state from a [`Repository`], decides, and commits with an optimistic
//! version check, retrying when it loses a race; see [`repository`] for what a store must
//! guarantee. [`InMemoryRepository`] is the thread-safe reference store.
//!
//! ```
//! use booking_core::*;
//! use chrono::{TimeZone, Utc};
//!
//! let clock = std::sync::Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2030, 5, 1, 8, 0, 0).unwrap()));
//! let engine = Engine::new(InMemoryRepository::new()).with_clock(clock.clone());
//! let teacher = UserId::from_uuid(uuid::Uuid::from_u128(1));
//! let (ana, ben) = (UserId::from_uuid(uuid::Uuid::from_u128(2)), UserId::from_uuid(uuid::Uuid::from_u128(3)));
//!
//! let session = engine.create_session(Actor::Teacher(teacher), NewGroupSession {
//!     teacher_id: teacher, course_id: None, title: "Chess openings".into(),
//!     starts_at: Utc.with_ymd_and_hms(2030, 5, 2, 17, 0, 0).unwrap(),
//!     time_zone: "Europe/Paris".into(), duration_minutes: 90,
//!     meeting_link: "https://meet.example.com/chess".into(), capacity: 1, waitlist_enabled: true, waitlist_mode: Default::default(), rules: Default::default(),
//! })?.value;
//!
//! let first = engine.book_seat(Actor::Student(ana), session.id, ana)?.value;
//! let second = engine.book_seat(Actor::Student(ben), session.id, ben)?.value;
//! assert_eq!(second.status, SeatStatus::Waitlisted);
//!
//! // Ana cancels: Ben is promoted in the same step, and the events say so.
//! let receipt = engine.cancel_booking(Actor::Student(ana), first.id)?;
//! let kinds: Vec<_> = receipt.events.iter().map(|e| e.kind.name()).collect();
//! assert_eq!(kinds, ["booking_cancelled", "booking_promoted"]);
//! assert_eq!(engine.seat_booking(Actor::Student(ben), second.id)?.status, SeatStatus::Confirmed);
//! # Ok::<(), BookingError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod actor;
pub mod availability;
mod clock;
mod command;
#[cfg(feature = "documents")]
pub mod document;
mod engine;
mod error;
mod event;
pub mod group;
pub mod ical;
mod ids;
pub mod index;
pub mod lesson;
mod meeting;
mod memory;
mod names;
pub mod read;
pub mod repository;
pub mod rules;
mod state;
pub mod text;
pub mod time;
#[cfg(feature = "uniffi")]
pub mod uniffi_support;

#[cfg(feature = "conformance")]
pub mod conformance;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();

pub use actor::Actor;
pub use clock::{Clock, ManualClock, SystemClock};
pub use command::{Command, Outcome, OutcomeValue, RequestKey};
pub use engine::{DEFAULT_MAX_ATTEMPTS, Engine, EngineCounters, MAX_BATCH, OfferSweep, Receipt, Request};
pub use error::{BookingError, ErrorCode};
pub use event::{Event, EventKind};
pub use group::NewGroupSession;
pub use ids::{
    BookingId, CourseId, IdGenerator, RandomIds, SequentialIds, SeriesId, SessionId, SlotId, TimeOffId, UserId,
};
pub use meeting::{MAX_MEETING_LINK_LEN, MeetingLink};
pub use memory::InMemoryRepository;
pub use repository::{Repository, StoreError};
pub use rules::SchedulingRules;
pub use state::{BookingAvailability, GroupSession, SeatBooking, SeatStatus, WaitlistMode};
