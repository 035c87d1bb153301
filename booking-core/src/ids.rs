//! Identifiers: every entity is named by a UUID wrapped in its own type, so a session id can
//! never be passed where a booking id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

id_type!(
    /// A person known to the host platform: a teacher, a student or an admin.
    UserId
);
id_type!(
    /// A seat-based group session.
    SessionId
);
id_type!(
    /// A booking: a seat in a group session or a 1:1 lesson.
    BookingId
);
id_type!(
    /// A course owned by the host platform.
    CourseId
);
id_type!(
    /// A teacher's availability slot (weekly or one-time).
    SlotId
);
id_type!(
    /// A recurring series of 1:1 lessons booked together.
    SeriesId
);
id_type!(
    /// A teacher's time off: days on which their availability offers nothing.
    TimeOffId
);

/// Produces fresh identifiers for new entities.
///
/// Ids come from outside the rules so that decisions stay pure and tests stay deterministic.
/// [`RandomIds`] is the production choice; [`SequentialIds`] gives reproducible ids in tests.
pub trait IdGenerator: Send + Sync {
    /// A new, never-used UUID.
    fn next_uuid(&self) -> Uuid;
}

/// Time-ordered random UUIDs (version 7), which keep database indexes compact.
///
/// ```
/// use booking_core::{IdGenerator, RandomIds};
/// let ids = RandomIds;
/// assert_ne!(ids.next_uuid(), ids.next_uuid());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_uuid(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// Deterministic ids `00000000-0000-0000-0000-000000000001`, `...002`, ... for tests and examples.
///
/// ```
/// use booking_core::{IdGenerator, SequentialIds};
/// let ids = SequentialIds::default();
/// assert_eq!(ids.next_uuid().as_u128(), 1);
/// assert_eq!(ids.next_uuid().as_u128(), 2);
/// ```
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: std::sync::atomic::AtomicU64,
}

impl SequentialIds {
    /// Starts after `offset`, so several generators can produce disjoint ranges.
    pub fn starting_after(offset: u64) -> Self {
        Self { next: std::sync::atomic::AtomicU64::new(offset) }
    }
}

impl IdGenerator for SequentialIds {
    fn next_uuid(&self) -> Uuid {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        Uuid::from_u128(u128::from(n))
    }
}
