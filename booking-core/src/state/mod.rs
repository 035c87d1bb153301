//! The state the events carry: group sessions with their seat bookings, and 1:1 lessons.
//!
//! These types sit below [`crate::event`], which holds them in its payloads; the decisions
//! that change them (and their `apply` methods) sit above it, in [`crate::group`] and
//! [`crate::lesson`], which re-export them.

pub(crate) mod lesson;
pub(crate) mod session;

pub use lesson::{Lesson, LessonStatus};
pub(crate) use session::one_seat;
pub use session::{BookingAvailability, GroupSession, SeatBooking, SeatStatus, WaitlistMode};
