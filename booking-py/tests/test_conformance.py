"""The core's conformance suite, run against stores from Python (in the test build, the wheel
built with ``--features conformance``), and its absence from the default wheel."""

from __future__ import annotations

import pytest
from conftest import TEST_BUILD, needs_test_build

import booking_engine as booking


@pytest.mark.skipif(TEST_BUILD, reason="the test build has the suite")
def test_the_default_build_has_no_suite_and_says_so() -> None:
    for call in (lambda: booking.run_conformance(booking.MemoryDocumentStore), booking.conformance_checks):
        with pytest.raises(RuntimeError, match=r"no conformance suite .* --features conformance"):
            call()
    # The API is the same in both builds (one stub): the report classes are there.
    assert booking.ConformanceReport.__module__ == booking.CheckOutcome.__module__ == "booking_engine._booking"


@needs_test_build
def test_reference_python_store_passes_the_whole_suite() -> None:
    report = booking.run_conformance(booking.MemoryDocumentStore)
    assert report.passed, str(report)
    assert [c.name for c in report.checks] == booking.conformance_checks()
    assert {"concurrent_booking_audit", "concurrent_lesson_audit", "property_group_model"} <= {
        c.name for c in report.checks
    }
    # Issue 8's checks run too: offers (through the store's offer-deadline index), multi-seat
    # bookings, buffers, rescheduling, time off.
    assert {"group_offer_cycle", "group_multi_seat", "lesson_buffers", "lesson_reschedule", "lesson_time_off"} <= {
        c.name for c in report.checks
    }
    # Issue 15's read side: what the queries list, who may read, the outbox in commit order
    # (also across concurrent writers), through the store's read_index and outbox.
    assert {
        "read_queries_list_what_is_stored",
        "read_queries_check_the_reader",
        "read_outbox_in_commit_order",
        "read_outbox_across_concurrent_writers",
    } <= {c.name for c in report.checks}


@needs_test_build
def test_rust_store_through_a_factory() -> None:
    report = booking.run_conformance(booking.InMemoryStore, ["seed_group_try_overbook", "idempotent_retries"])
    assert report.passed and len(report.checks) == 2 and report.failures == []


@needs_test_build
def test_a_broken_store_fails_with_reasons() -> None:
    class Forgetful(booking.MemoryDocumentStore):
        def commit(self, commit: booking.DocumentCommit) -> None:
            pass  # accepts everything, keeps nothing

    report = booking.run_conformance(Forgetful, ["seed_group_book_to_capacity", "no_such_check"])
    assert not report.passed
    assert [f.name for f in report.failures] == ["seed_group_book_to_capacity", "no_such_check"]
    assert report.failures[1].detail == "no such check"
    assert "seed_group_book_to_capacity" in str(report)


@needs_test_build
def test_a_failing_factory_is_reported() -> None:
    def factory() -> booking.MemoryDocumentStore:
        raise RuntimeError("no database today")

    report = booking.run_conformance(factory, ["seed_group_create_session"])
    assert not report.passed and "no database today" in report.failures[0].detail
