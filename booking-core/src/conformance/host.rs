//! Host data for checks that need courses: a [`Repository`] wrapper that answers the host-owned
//! questions (enrollment, approval settings) from its own tables and forwards everything else
//! to the store under test.
//!
//! The [`Repository`] trait has no setters for host data (the engine only reads it), so a
//! check cannot enroll a student in the store under test itself. Wrapping the store keeps
//! every aggregate, index and request record in the store under test while letting the check
//! decide what the host says.

use crate::{
    Actor, BookingId, CourseId, GroupSession, SessionId, SlotId, UserId,
    lesson::{ApprovalSettings, Calendar, Lesson},
    repository::{BookingLocation, Commit, Repository, RequestKey, RequestRecord, StoreError},
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

/// A store under test with host data (enrollments, approval settings) kept beside it.
///
/// Every [`Repository`] method is forwarded to the inner store, except
/// [`approval_settings`](Repository::approval_settings) and
/// [`is_enrolled`](Repository::is_enrolled), which read this wrapper's tables.
pub(crate) struct HostData<R = Arc<dyn Repository>> {
    inner: R,
    course_approval: RwLock<HashMap<CourseId, bool>>,
    teacher_approval: RwLock<HashMap<(UserId, CourseId), bool>>,
    enrollments: RwLock<HashSet<(UserId, CourseId)>>,
}

impl<R> std::fmt::Debug for HostData<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostData")
            .field("course_approval", &self.course_approval)
            .field("teacher_approval", &self.teacher_approval)
            .field("enrollments", &self.enrollments)
            .finish_non_exhaustive()
    }
}

/// Sets `key` to `value`, or removes it for `None`.
fn set_or_remove<K: std::hash::Hash + Eq>(map: &RwLock<HashMap<K, bool>>, key: K, value: Option<bool>) {
    let mut map = map.write().unwrap_or_else(PoisonError::into_inner);
    match value {
        Some(v) => map.insert(key, v),
        None => map.remove(&key),
    };
}

impl HostData {
    /// Wraps `inner`; nobody is enrolled and no course has an approval setting yet.
    pub(crate) fn new(inner: Arc<dyn Repository>) -> Arc<HostData> {
        Arc::new(HostData {
            inner,
            course_approval: RwLock::default(),
            teacher_approval: RwLock::default(),
            enrollments: RwLock::default(),
        })
    }
}

impl<R> HostData<R> {
    /// Enrolls `student` in `course`.
    pub(crate) fn enroll(&self, student: UserId, course: CourseId) {
        self.enrollments.write().unwrap_or_else(PoisonError::into_inner).insert((student, course));
    }

    /// Removes `student` from `course`.
    pub(crate) fn unenroll(&self, student: UserId, course: CourseId) {
        self.enrollments.write().unwrap_or_else(PoisonError::into_inner).remove(&(student, course));
    }

    /// The course's own approval setting (`None` removes it).
    pub(crate) fn set_course_approval(&self, course: CourseId, v: Option<bool>) {
        set_or_remove(&self.course_approval, course, v);
    }

    /// A teacher's approval override for a course (`None` removes it).
    pub(crate) fn set_teacher_approval(&self, teacher: UserId, course: CourseId, v: Option<bool>) {
        set_or_remove(&self.teacher_approval, (teacher, course), v);
    }
}

impl<R: Repository> Repository for HostData<R> {
    fn load_session(&self, id: SessionId) -> Result<Option<Arc<GroupSession>>, StoreError> {
        self.inner.load_session(id)
    }

    fn locate_booking(&self, id: BookingId) -> Result<Option<BookingLocation>, StoreError> {
        self.inner.locate_booking(id)
    }

    fn load_request(&self, actor: &Actor, key: &RequestKey) -> Result<Option<RequestRecord>, StoreError> {
        self.inner.load_request(actor, key)
    }

    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        self.inner.commit(commit)
    }

    fn load_calendar(&self, owner: UserId) -> Result<Option<Arc<Calendar>>, StoreError> {
        self.inner.load_calendar(owner)
    }

    fn load_lesson(&self, id: BookingId) -> Result<Option<Arc<Lesson>>, StoreError> {
        self.inner.load_lesson(id)
    }

    fn locate_slot(&self, id: SlotId) -> Result<Option<UserId>, StoreError> {
        self.inner.locate_slot(id)
    }

    fn approval_settings(&self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        Ok(ApprovalSettings {
            course: self.course_approval.read().unwrap_or_else(PoisonError::into_inner).get(&course_id).copied(),
            teacher_override: self
                .teacher_approval
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&(teacher_id, course_id))
                .copied(),
        })
    }

    fn is_enrolled(&self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        Ok(self.enrollments.read().unwrap_or_else(PoisonError::into_inner).contains(&(student_id, course_id)))
    }

    fn sessions_with_offers_due(
        &self,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::SessionId>, StoreError> {
        self.inner.sessions_with_offers_due(until)
    }

    fn load_finished_booking(&self, id: BookingId) -> Result<Option<crate::SeatBooking>, StoreError> {
        self.inner.load_finished_booking(id)
    }

    fn prune_requests(&self, recorded_before: chrono::DateTime<chrono::Utc>) -> Result<u64, StoreError> {
        self.inner.prune_requests(recorded_before)
    }
    fn read_index(
        &self,
        range: &crate::repository::IndexRange,
    ) -> Result<Vec<crate::repository::IndexHit>, StoreError> {
        self.inner.read_index(range)
    }
    fn read_outbox(&self, after: u64, limit: u32) -> Result<Vec<crate::repository::OutboxEntry>, StoreError> {
        self.inner.read_outbox(after, limit)
    }
    fn acknowledge_outbox(&self, up_to: u64) -> Result<u64, StoreError> {
        self.inner.acknowledge_outbox(up_to)
    }
}
