//! Host data for checks that need courses: a [`Repository`] wrapper that answers the host-owned
//! questions (enrollment, approval settings) from its own tables and forwards everything else
//! to the store under test.
//!
//! The [`Repository`] trait has no setters for host data (the engine only reads it), so a
//! check cannot enroll a student in the store under test itself. Wrapping the store keeps
//! every aggregate, index and request record in the store under test while letting the check
//! decide what the host says.

use crate::{
    CourseId, UserId,
    lesson::ApprovalSettings,
    repository::{BatchFailure, Commit, Repository, StoreError, StoreWrapper},
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock};

/// A store under test with host data (enrollments, approval settings) kept beside it.
///
/// A [`StoreWrapper`]: every [`Repository`] method is forwarded to the inner store, except
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

impl<R: Repository> StoreWrapper for HostData<R> {
    type Inner = R;

    fn inner(&self) -> &R {
        &self.inner
    }

    fn commit_all(this: &Self, commits: Vec<Commit>) -> Result<(), BatchFailure> {
        this.inner.commit_all(commits)
    }

    fn approval_settings(this: &Self, course_id: CourseId, teacher_id: UserId) -> Result<ApprovalSettings, StoreError> {
        Ok(ApprovalSettings {
            course: this.course_approval.read().unwrap_or_else(PoisonError::into_inner).get(&course_id).copied(),
            teacher_override: this
                .teacher_approval
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&(teacher_id, course_id))
                .copied(),
        })
    }

    fn is_enrolled(this: &Self, student_id: UserId, course_id: CourseId) -> Result<bool, StoreError> {
        Ok(this.enrollments.read().unwrap_or_else(PoisonError::into_inner).contains(&(student_id, course_id)))
    }
}
