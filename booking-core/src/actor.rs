//! Who is asking: every mutating command names its actor and is checked against it.

use crate::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The identity a command runs as.
///
/// The host authenticates people; the engine decides what each identity may do:
///
/// | command | allowed actors |
/// |---|---|
/// | create a group session | the teacher it is for; an admin; the system |
/// | change capacity, waitlist, cancel a session, mark attendance | the session's teacher; an admin; the system |
/// | book a seat | the student the seat is for; an admin; the system |
/// | cancel a seat booking | the booking's student; the session's teacher; an admin; the system |
///
/// [`Actor::System`] is the host acting on its own behalf (imports, scheduled jobs). It is
/// trusted like an admin; never map an end user to it.
///
/// ```
/// use booking_core::{Actor, UserId};
/// let alice = UserId::from_uuid(uuid::Uuid::from_u128(7));
/// assert!(Actor::Student(alice).is_user(alice));
/// assert!(!Actor::Teacher(alice).is_user(alice) || Actor::Teacher(alice).user_id() == Some(alice));
/// assert!(Actor::System.is_privileged());
/// ```
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "role", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// A teacher, acting on their own sessions and availability.
    Teacher(UserId),
    /// A student, acting for themselves.
    Student(UserId),
    /// A platform administrator: may act on anything.
    Admin(UserId),
    /// The host platform itself (jobs, imports): trusted like an admin.
    System,
}

impl Actor {
    /// The actor's role, as serialized in its `role` tag: `teacher`, `student`, `admin` or
    /// `system`.
    ///
    /// ```
    /// use booking_core::Actor;
    /// assert_eq!(Actor::System.role(), "system");
    /// ```
    pub fn role(&self) -> &'static str {
        match self {
            Actor::Teacher(_) => "teacher",
            Actor::Student(_) => "student",
            Actor::Admin(_) => "admin",
            Actor::System => "system",
        }
    }

    /// The person behind the actor, if any.
    pub fn user_id(&self) -> Option<UserId> {
        match *self {
            Actor::Teacher(id) | Actor::Student(id) | Actor::Admin(id) => Some(id),
            Actor::System => None,
        }
    }

    /// Whether this is an admin or the system.
    pub fn is_privileged(&self) -> bool {
        matches!(self, Actor::Admin(_) | Actor::System)
    }

    /// Whether this actor is the given person (in any role).
    pub fn is_user(&self, id: UserId) -> bool {
        self.user_id() == Some(id)
    }

    /// Whether this actor is the given teacher, or privileged.
    pub fn acts_for_teacher(&self, teacher_id: UserId) -> bool {
        self.is_privileged() || *self == Actor::Teacher(teacher_id)
    }

    /// Whether this actor is the given student, or privileged.
    pub fn acts_for_student(&self, student_id: UserId) -> bool {
        self.is_privileged() || *self == Actor::Student(student_id)
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Teacher(id) => write!(f, "teacher {id}"),
            Actor::Student(id) => write!(f, "student {id}"),
            Actor::Admin(id) => write!(f, "admin {id}"),
            Actor::System => f.write_str("system"),
        }
    }
}
