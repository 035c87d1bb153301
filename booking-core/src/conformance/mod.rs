//! The conformance suite every store must pass (feature `conformance`).
//!
//! It plays the seed checklist's scenarios, the rules of the [group](crate::group) module,
//! idempotent retries, a table of bad inputs, a multi-threaded booking race with an audit, and
//! a property test against a plain reference model, all through an [`Engine`](crate::Engine) over the store
//! under test. Each check gets a fresh, empty store from the factory it is given.
//!
//! A Rust store runs it as one `#[test]` per check with [`conformance_tests!`](crate::conformance_tests):
//!
//! ```
//! booking_core::conformance_tests!(booking_core::InMemoryRepository::new());
//! # fn main() {}
//! ```
//!
//! A store written in another language (through a binding) calls [`run_suite`] and reads the
//! [`Report`]:
//!
//! ```
//! use booking_core::{conformance, InMemoryRepository, Repository};
//! use std::sync::Arc;
//! let report = conformance::run_checks(&|| Arc::new(InMemoryRepository::new()) as Arc<dyn Repository>, &["seed_group_create_session"]);
//! assert!(report.passed(), "{report}");
//! ```
//!
//! The property test runs [`property_cases`] cases (256 unless the environment variable
//! `BOOKING_PROPTEST_CASES` says otherwise).

mod batches;
mod concurrency;
mod dst_lengths;
mod group_history;
mod group_rules;
mod group_scenarios;
mod harness;
mod host;
mod lesson_concurrency;
mod lesson_model;
mod lesson_rules;
mod lesson_scenarios;
mod model;
mod offer_sweep;
mod read_side;
mod store_index;
mod untrusted_input;

pub use harness::{Check, CheckOutcome, Report, StoreFactory};

/// The one list of the suite's checks: each check's name (the name of its `#[test]` in
/// [`conformance_tests!`](crate::conformance_tests) and in
/// [`run_checks`](crate::conformance::run_checks)) and its function, in the order
/// [`run_suite`](crate::conformance::run_suite) runs them. `checks` expands to
/// [`CHECKS`](crate::conformance::CHECKS), `tests <store>` to one `#[test]` per check.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_checks {
    (@list [checks] $($name:ident => $check:path),* $(,)?) => {
        /// Every check of the suite, in the order [`run_suite`] runs them.
        pub const CHECKS: &[Check] = &[$(Check::new(stringify!($name), $check)),*];
    };
    (@list [tests $make:expr] $($name:ident => $check:path),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let factory = || ::std::sync::Arc::new($make) as ::std::sync::Arc<dyn $crate::Repository>;
                let report = $crate::conformance::run_checks(&factory, &[stringify!($name)]);
                assert!(report.passed(), "{report}");
            }
        )*
    };
    ($($mode:tt)*) => {
        $crate::__conformance_checks! { @list [$($mode)*]
            seed_group_create_session => group_scenarios::seed_create_session,
            seed_group_book_to_capacity => group_scenarios::seed_book_to_capacity,
            seed_group_try_overbook => group_scenarios::seed_try_overbook,
            seed_group_with_waitlist => group_scenarios::seed_with_waitlist,
            seed_group_cancel_and_promote => group_scenarios::seed_cancel_and_promote,
            seed_group_multiple_bookings => group_scenarios::seed_multiple_bookings,
            case_five_seats_close_when_full => group_scenarios::case_five_seats_close,
            case_waitlist_beyond_capacity => group_scenarios::case_waitlist_beyond_capacity,
            case_cancel_reopens_or_promotes => group_scenarios::case_cancel_reopens_or_promotes,
            case_same_student_twice => group_scenarios::case_same_student_twice,
            group_rebook_after_cancel => group_scenarios::rebook_after_cancel,
            group_capacity_changes => group_scenarios::capacity_changes,
            group_waitlist_toggle => group_scenarios::waitlist_toggle,
            group_cancel_session => group_scenarios::cancel_session,
            group_start_freezes_seats => group_scenarios::start_freezes_seats,
            group_attendance => group_scenarios::attendance,
            group_authorization => group_scenarios::authorization,
            group_bad_inputs => group_scenarios::bad_inputs,
            idempotent_retries => group_scenarios::idempotent_retries,
            group_multi_seat => group_rules::multi_seat,
            group_offer_cycle => group_rules::offer_cycle,
            group_offer_multi_seat => group_rules::offer_multi_seat,
            group_window_and_cutoff => group_rules::window_and_cutoff,
            group_offer_retries => group_rules::offer_retries,
            group_offer_authorization_and_inputs => group_rules::offer_authorization_and_inputs,
            group_sessions_and_lessons => group_rules::sessions_and_lessons,
            group_enrollment => group_rules::enrollment,
            group_seat_limit => group_rules::seat_limit,
            group_finished_bookings_leave_the_session => group_history::finished_bookings_leave_the_session,
            prune_request_records => group_history::prune_request_records,
            seed_lesson_create_availability => lesson_scenarios::seed_create_availability,
            seed_lesson_one_time_slot => lesson_scenarios::seed_one_time_slot,
            seed_lesson_book_without_approval => lesson_scenarios::seed_book_without_approval,
            seed_lesson_book_with_approval => lesson_scenarios::seed_book_with_approval,
            seed_lesson_double_booking_prevention => lesson_scenarios::seed_double_booking_prevention,
            seed_lesson_slot_removal => lesson_scenarios::seed_slot_removal,
            seed_lesson_recurring_series => lesson_scenarios::seed_recurring_series,
            lesson_dst_series_other_zones => lesson_scenarios::dst_series_in_other_zones,
            lesson_enrollment_and_courses => lesson_scenarios::enrollment_and_courses,
            lesson_approval_precedence => lesson_scenarios::approval_precedence,
            lesson_approval_rechecks => lesson_scenarios::approval_rechecks,
            lesson_transitions => lesson_scenarios::lesson_transitions,
            lesson_no_overlap_across_slots => lesson_scenarios::no_overlap_across_slots,
            lesson_student_overlap => lesson_scenarios::student_overlap,
            lesson_meeting_links => lesson_scenarios::meeting_links,
            lesson_series_all_or_nothing => lesson_scenarios::series_all_or_nothing,
            lesson_series_approval_and_cancellation => lesson_scenarios::series_approval_and_cancellation,
            lesson_slot_edits_keep_bookings => lesson_scenarios::slot_edits_keep_bookings,
            lesson_bad_inputs => lesson_scenarios::lesson_bad_inputs,
            lesson_idempotent_retries => lesson_scenarios::lesson_idempotent_retries,
            lesson_authorization => lesson_scenarios::lesson_authorization,
            lesson_booking_window_precedence => lesson_rules::booking_window_precedence,
            lesson_listings_match_bookings => lesson_rules::listings_match_bookings,
            lesson_buffers => lesson_rules::buffers,
            lesson_cutoffs => lesson_rules::cutoffs,
            lesson_reschedule_within_cancel_cutoff => lesson_rules::reschedule_within_cancel_cutoff,
            lesson_reschedule => lesson_rules::reschedule,
            lesson_reschedule_approval_and_series => lesson_rules::reschedule_approval_and_series,
            lesson_time_off => lesson_rules::time_off_days,
            lesson_sessions_block_lessons => lesson_rules::sessions_block_lessons,
            lesson_limits => lesson_rules::limits,
            lesson_attendance => lesson_rules::lesson_attendance,
            lesson_rules_bad_inputs_and_authorization => lesson_rules::rules_bad_inputs_and_authorization,
            lesson_rules_idempotent_retries => lesson_rules::rules_idempotent_retries,
            group_offer_sweep_isolates_failures => offer_sweep::offer_sweep_isolates_failures,
            read_queries_list_what_is_stored => read_side::queries_list_what_is_stored,
            read_queries_check_the_reader => read_side::queries_check_the_reader,
            read_outbox_in_commit_order => read_side::outbox_in_commit_order,
            read_outbox_across_concurrent_writers => read_side::outbox_across_concurrent_writers,
            store_index_queries_agree_with_the_core => store_index::offer_deadlines_agree_with_the_core,
            lesson_dst_occurrence_lengths => dst_lengths::dst_occurrence_lengths,
            ical_hostile_input_keeps_its_shape => untrusted_input::ical_hostile_input_keeps_its_shape,
            text_control_characters_refused => untrusted_input::text_control_characters_refused,
            concurrent_booking_audit => concurrency::booking_race_audit,
            concurrent_batch_audit => concurrency::batch_race_audit,
            store_commit_all_applies_a_prefix => batches::commit_all_applies_a_prefix,
            property_group_model => model::group_property_test,
            concurrent_lesson_audit => lesson_concurrency::lesson_race_audit,
            property_lesson_model => lesson_model::lesson_property_test
        }
    };
}

__conformance_checks!(checks);

/// Runs every check against fresh stores from `factory`.
pub fn run_suite(factory: StoreFactory<'_>) -> Report {
    Report { checks: CHECKS.iter().map(|check| check.run(factory)).collect() }
}

/// Runs the named checks only (unknown names are reported as failures).
pub fn run_checks(factory: StoreFactory<'_>, names: &[&str]) -> Report {
    Report {
        checks: names
            .iter()
            .map(|name| match CHECKS.iter().find(|c| c.name == *name) {
                Some(check) => check.run(factory),
                None => CheckOutcome { name: (*name).to_owned(), passed: false, detail: "no such check".to_owned() },
            })
            .collect(),
    }
}

/// Property-test cases per run: `BOOKING_PROPTEST_CASES`, or 256.
pub fn property_cases() -> u32 {
    std::env::var("BOOKING_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

/// Generates one `#[test]` per conformance check for the store built by `$make` (an
/// expression evaluated afresh for every store the suite needs).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::__conformance_checks!(tests $make);
    };
}
