//! The host-owned course data, set with the store's setters (mirroring
//! `InMemoryRepository`), as the engine reads it. Needs `BOOKING_PG_URL`.

mod common;

use booking_core::{CourseId, Repository, UserId, lesson::ApprovalSettings};

#[test]
fn setters_mirror_the_in_memory_store() {
    let test = common::test_store();
    let memory = booking_core::InMemoryRepository::new();
    let (course, other) =
        (CourseId::from_uuid(uuid::Uuid::from_u128(10)), CourseId::from_uuid(uuid::Uuid::from_u128(11)));
    let (teacher, student) = (UserId::from_uuid(uuid::Uuid::from_u128(1)), UserId::from_uuid(uuid::Uuid::from_u128(2)));
    let same = |what: &str| {
        for c in [course, other] {
            assert_eq!(
                test.store.approval_settings(c, teacher).unwrap(),
                memory.approval_settings(c, teacher).unwrap(),
                "{what}: approval of {c}"
            );
            assert_eq!(
                test.store.is_enrolled(student, c).unwrap(),
                memory.is_enrolled(student, c).unwrap(),
                "{what}: enrollment in {c}"
            );
        }
    };
    same("nothing set");
    assert_eq!(test.store.approval_settings(course, teacher).unwrap(), ApprovalSettings::default());

    test.store.set_course_approval(course, Some(true)).unwrap();
    memory.set_course_approval(course, Some(true));
    test.store.set_teacher_approval(teacher, course, Some(false)).unwrap();
    memory.set_teacher_approval(teacher, course, Some(false));
    test.store.enroll(student, course).unwrap();
    memory.enroll(student, course);
    test.store.enroll(student, course).unwrap(); // twice is once
    memory.enroll(student, course);
    same("set");
    assert_eq!(
        test.store.approval_settings(course, teacher).unwrap(),
        ApprovalSettings { course: Some(true), teacher_override: Some(false) }
    );

    test.store.set_course_approval(course, Some(false)).unwrap();
    memory.set_course_approval(course, Some(false));
    same("changed");

    test.store.set_course_approval(course, None).unwrap();
    memory.set_course_approval(course, None);
    test.store.set_teacher_approval(teacher, course, None).unwrap();
    memory.set_teacher_approval(teacher, course, None);
    test.store.unenroll(student, course).unwrap();
    memory.unenroll(student, course);
    test.store.unenroll(student, other).unwrap(); // never enrolled: nothing to do
    memory.unenroll(student, other);
    same("removed");
}
