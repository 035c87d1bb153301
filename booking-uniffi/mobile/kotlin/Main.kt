// The Kotlin test program of booking-uniffi, compiled and run by scripts/test-mobile against the
// generated bindings and the built library. It plays the seed's scenarios, triggers every error
// code through real calls, uses the SQLite store in a temporary directory, and runs the core's
// conformance suite against a document store written in Kotlin. Exits non-zero on any failure.
//
// The regions between "// region: readme-…" and "// endregion" are quoted verbatim in
// booking-uniffi/README.md (scripts/test-mobile checks that they match).

import org.booking.*
import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import kotlin.system.exitProcess

var failures = 0
var checks = 0
val codesSeen = sortedSetOf<String>()

fun expect(condition: Boolean, what: String) {
    checks++
    if (!condition) {
        failures++
        println("FAIL: $what")
    }
}

/** Runs [block], which must throw the BookingException subclass [E] with [code]. */
inline fun <reified E : BookingException> expectError(code: String, what: String, block: () -> Unit) {
    try {
        block()
        expect(false, "$what: expected $code, nothing was thrown")
    } catch (e: BookingException) {
        expect(e is E, "$what: expected ${E::class.simpleName}, got ${e::class.simpleName} (${e.message})")
        expect(e.errorCode() == code, "$what: expected code $code, got ${e.errorCode()}")
        expect(e.errorDetail().isNotEmpty(), "$what: the error has a detail")
        codesSeen.add(e.errorCode())
    }
}

fun section(name: String) = println("--- $name")

fun uid(n: Int): String = "00000000-0000-0000-0000-%012d".format(n)

val t0: Instant = Instant.parse("2030-03-04T09:00:00Z") // a Monday
val teacher = uid(1)
val students = (1..20).map { uid(100 + it) }

fun newGroupSession(capacity: UInt, waitlist: Boolean, startsAt: Instant = t0.plus(Duration.ofDays(1))) = NewGroupSession(
    teacherId = teacher,
    title = "Group session",
    startsAt = startsAt,
    timeZone = "Europe/Paris",
    durationMinutes = 60u,
    meetingLink = "https://meet.example.com/group",
    capacity = capacity,
    waitlistEnabled = waitlist,
)

// ---------------------------------------------------------------------------------------------
// A document store written in Kotlin: the reference MemoryDocumentStore of booking-core, ported.
// Thread-safe: every method holds one lock (the conformance suite calls it from several threads).
// ---------------------------------------------------------------------------------------------

// region: readme-kotlin-store
class KotlinDocumentStore : DocumentStore {
    private val lock = Any()
    private val documents = HashMap<Pair<AggregateKind, String>, Document>()
    private val bookings = HashMap<String, BookingLocation>()
    private val slots = HashMap<String, String>()
    private val requests = HashMap<Pair<String, String>, String>()
    private val approvals = HashMap<Pair<String, String>, ApprovalSettings>()
    private val enrollments = HashSet<Pair<String, String>>()

    override fun load(kind: AggregateKind, id: String): Document? = synchronized(lock) { documents[kind to id] }

    override fun locateBooking(id: String): BookingLocation? = synchronized(lock) { bookings[id] }

    override fun locateSlot(id: String): String? = synchronized(lock) { slots[id] }

    override fun loadRequest(scope: String, key: String): String? = synchronized(lock) { requests[scope to key] }

    override fun commit(commit: DocumentCommit) = synchronized(lock) {
        // Check everything first, then apply: all or nothing.
        for (write in commit.writes) {
            val stored = documents[write.kind to write.id]?.version ?: 0uL
            if (stored != write.expectedVersion) throw StoreException.Conflict("${write.kind} ${write.id}")
        }
        val request = commit.request
        if (request != null && requests.containsKey(request.scope to request.key)) {
            throw StoreException.DuplicateRequest()
        }
        for (write in commit.writes) documents[write.kind to write.id] = Document(write.version, write.body)
        for (booking in commit.newBookings) bookings[booking.bookingId] = booking.location
        for (slot in commit.newSlots) slots[slot.slotId] = slot.teacherId
        if (request != null) requests[request.scope to request.key] = request.body
    }

    override fun approvalSettings(courseId: String, teacherId: String): ApprovalSettings =
        synchronized(lock) { approvals[courseId to teacherId] ?: ApprovalSettings() }

    override fun isEnrolled(studentId: String, courseId: String): Boolean =
        synchronized(lock) { (studentId to courseId) in enrollments }

    fun enroll(studentId: String, courseId: String) = synchronized(lock) { enrollments.add(studentId to courseId) }
}
// endregion

/** A store that breaks in a chosen way, to see each failure arrive as its error code. */
class BrokenStore(private val inner: KotlinDocumentStore, private val how: String) : DocumentStore by inner {
    override fun load(kind: AggregateKind, id: String): Document? = when (how) {
        "corrupt" -> inner.load(kind, id)?.let { Document(it.version, "{not json") }
        "backend" -> throw StoreException.Backend("disk on fire")
        "unexpected" -> throw IllegalStateException("a bug in the store")
        else -> inner.load(kind, id)
    }

    override fun commit(commit: DocumentCommit) = when (how) {
        "conflict" -> throw StoreException.Conflict("always")
        else -> inner.commit(commit)
    }
}

// ---------------------------------------------------------------------------------------------

fun readmeQuickstart() {
    val teacher = uid(1)
    val (ana, ben) = uid(2) to uid(3)
    // region: readme-kotlin-quickstart
    val clock = ManualClock(Instant.parse("2030-05-01T08:00:00Z"))
    val engine = Engine.inMemory(InMemoryStore(), clock = clock)
    val session = engine.createSession(
        Actor.Teacher(teacher),
        NewGroupSession(
            teacherId = teacher, title = "Chess openings", startsAt = Instant.parse("2030-05-02T17:00:00Z"),
            timeZone = "Europe/Paris", durationMinutes = 90u, meetingLink = "https://meet.example.com/chess",
            capacity = 1u, waitlistEnabled = true,
        ),
    ).value

    val first = engine.bookSeat(Actor.Student(ana), session.id, ana).value
    val second = engine.bookSeat(Actor.Student(ben), session.id, ben).value
    expect(second.status == SeatStatus.WAITLISTED, "Ben is waitlisted")

    // Ana cancels: Ben is promoted in the same step, and the events say so.
    val receipt = engine.cancelBooking(Actor.Student(ana), first.id)
    expect(receipt.events.map { it.name } == listOf("booking_cancelled", "booking_promoted"), "events")
    expect(engine.seatBooking(second.id).status == SeatStatus.CONFIRMED, "Ben is confirmed")

    // Refusals are exceptions carrying the core's stable code.
    try {
        engine.bookSeat(Actor.Student(ben), session.id, ben)
    } catch (e: BookingException.AlreadyBooked) {
        expect(e.code == "already_booked", "the code travels with the exception")
    }
    // endregion
}

fun groupScenarios() {
    section("group sessions (seed scenarios)")
    val clock = ManualClock(t0)
    val engine = Engine.inMemory(InMemoryStore(), clock = clock)
    val t = Actor.Teacher(teacher)

    // 1. Create session: 10 seats, no waitlist.
    val created = engine.createSession(t, newGroupSession(10u, waitlist = false))
    val s = created.value
    expect(s.capacity == 10u && s.remainingSeats == 10u && s.version == 1uL, "created with 10 free seats")
    expect(created.events.single().kind is EventKind.SessionCreated, "session_created event")
    expect(s.startsAt == t0.plus(Duration.ofDays(1)), "instants cross as java.time.Instant")
    expect(engine.bookingAvailability(s.id) == BookingAvailability.OPEN, "open")

    // 2. Book to capacity: all confirmed, booking closes.
    for (i in 0 until 10) {
        val r = engine.bookSeat(Actor.Student(students[i]), s.id, students[i])
        expect(r.value.status == SeatStatus.CONFIRMED, "student $i confirmed")
        if (i == 9) expect(r.events.any { it.kind is EventKind.SessionClosed }, "the 10th booking closes the session")
    }
    val full = engine.session(s.id)
    expect(full.isFull && full.isClosedForBooking && full.bookedSeats == 10u, "full and closed")
    expect(engine.bookingAvailability(s.id) == BookingAvailability.CLOSED, "closed (booking_closed)")

    // 3. Try to overbook.
    expectError<BookingException.SessionFull>("session_full", "11th student") {
        engine.bookSeat(Actor.Student(students[10]), s.id, students[10])
    }
    expect(engine.session(s.id).bookedSeats == 10u, "still 10 seats taken")

    // Cancelling from the full session without waitlist reopens it.
    val reopened = engine.cancelBooking(Actor.Student(students[0]), full.bookings[0].id)
    expect(reopened.events.map { it.name } == listOf("booking_cancelled", "session_reopened"), "cancel reopens")

    // 4. With waitlist: 15 students on 10 seats.
    val w = engine.createSession(t, newGroupSession(10u, waitlist = true)).value
    val booked = (0 until 15).map { engine.bookSeat(Actor.Student(students[it]), w.id, students[it]).value }
    expect(booked.count { it.status == SeatStatus.CONFIRMED } == 10, "10 confirmed")
    expect(booked.count { it.status == SeatStatus.WAITLISTED } == 5, "5 waitlisted")
    expect(engine.session(w.id).waitlistedCount == 5u, "waitlisted count 5")
    expect(engine.bookingAvailability(w.id) == BookingAvailability.WAITLIST_ONLY, "waitlist only")

    // 5. Cancel and promote: the head of the waitlist gets the seat.
    val cancel = engine.cancelBooking(Actor.Student(students[3]), booked[3].id)
    val promoted = cancel.events.map { it.kind }.filterIsInstance<EventKind.BookingPromoted>().single()
    expect(promoted.bookingId == booked[10].id, "the first waitlisted student is promoted")
    expect(engine.seatBooking(booked[10].id).status == SeatStatus.CONFIRMED, "promoted booking confirmed")
    expect(engine.session(w.id).waitlistedCount == 4u, "4 left on the waitlist")

    // 6. The same student twice.
    expectError<BookingException.AlreadyBooked>("already_booked", "same student twice") {
        engine.bookSeat(Actor.Student(students[0]), w.id, students[0])
    }

    // Capacity, waitlist toggle, attendance.
    val grown = engine.changeCapacity(t, w.id, 12u)
    expect(grown.events.count { it.kind is EventKind.BookingPromoted } == 2, "2 more promoted into added seats")
    engine.setWaitlist(t, w.id, false)
    expect(!engine.session(w.id).waitlistEnabled, "waitlist off")
    clock.advance(Duration.ofDays(1).plusMinutes(5))
    val attended = engine.markAttendance(t, booked[0].id, true)
    expect(attended.value.status == SeatStatus.ATTENDED, "attended")
    expect(engine.markAttendance(t, booked[1].id, false).value.status == SeatStatus.NO_SHOW, "no-show")

    // Idempotent request keys: a retry replays, a different command under the key is refused.
    val k = engine.createSession(t, newGroupSession(2u, false, t0.plus(Duration.ofDays(3))), key = "import-1")
    val again = engine.createSession(t, newGroupSession(2u, false, t0.plus(Duration.ofDays(3))), key = "import-1")
    expect(!k.replayed && again.replayed && again.value.id == k.value.id, "replayed under the same key")
    expectError<BookingException.RequestKeyReused>("request_key_reused", "key reused for another command") {
        engine.cancelSession(t, k.value.id, key = "import-1")
    }
    val cancelled = engine.cancelSession(t, k.value.id)
    expect(cancelled.value.isCancelled && cancelled.value.cancelledAt != null, "session cancelled")
}

fun lessonScenarios() {
    section("1:1 lessons (seed scenarios)")
    val store = InMemoryStore()
    val clock = ManualClock(t0)
    val engine = Engine.inMemory(store, clock = clock)
    val t = Actor.Teacher(teacher)
    val course = uid(500)
    val (s1, s2, s3) = Triple(students[0], students[1], students[2])

    // 1. Recurring slot: Mondays 14:00-15:00, Paris time.
    val weekly = engine.publishSlot(
        t, teacher,
        SlotSpec(
            timeZone = "Europe/Paris",
            recurrence = SlotRecurrence.Weekly(Weekday.MONDAY, "14:00", "15:00", "2030-03-04", null),
        ),
    ).value
    expect(weekly.active && weekly.recurrence is SlotRecurrence.Weekly, "weekly slot published")

    // 2. One-time slot, for a course that needs approval.
    val oneTime = engine.publishSlot(
        t, teacher,
        SlotSpec(courseId = course, timeZone = "Europe/Paris",
            recurrence = SlotRecurrence.OneTime("2030-03-06T10:00", "2030-03-06T11:00")),
    ).value
    expect(engine.slots(teacher).size == 2, "two slots")

    // Listing in the student's zone.
    val query = OccurrenceQuery(teacherId = teacher, studentId = s1, from = t0, to = t0.plus(Duration.ofDays(14)),
        timeZone = "America/New_York")
    val listed = engine.listOccurrences(query)
    expect(listed.size == 2, "two Monday occurrences for a student not enrolled in the course: ${listed.size}")
    expect(listed[0].startsAt == Instant.parse("2030-03-04T13:00:00Z"), "14:00 Paris is 13:00 UTC")
    expect(listed[0].teacherLocalStart == "2030-03-04T14:00", "teacher's wall time")
    expect(listed[0].viewerLocalStart == "2030-03-04T08:00", "student's wall time (New York)")

    // 3. Book without approval: confirmed.
    val lesson = engine.bookLesson(Actor.Student(s1), weekly.id, listed[0].startsAt, s1).value
    expect(lesson.status == LessonStatus.CONFIRMED, "booked without approval")

    // 5. Double booking of the same occurrence is refused.
    expectError<BookingException.SlotUnavailable>("slot_unavailable", "same occurrence twice") {
        engine.bookLesson(Actor.Student(s2), weekly.id, listed[0].startsAt, s2)
    }
    // 6. The booked occurrence is no longer listed.
    expect(engine.listOccurrences(query).none { it.startsAt == listed[0].startsAt }, "booked occurrence removed")

    // 4. Book with approval: pending, then the teacher approves with a meeting link.
    store.enroll(s2, course)
    store.setCourseApproval(course, true)
    val pending = engine.bookLesson(Actor.Student(s2), oneTime.id, Instant.parse("2030-03-06T09:00:00Z"), s2)
    expect(pending.value.status == LessonStatus.PENDING, "pending approval")
    expect(pending.events.single().kind is EventKind.LessonRequested, "lesson_requested")
    val approved = engine.approveLesson(t, pending.value.id, meetingLink = "https://meet.example.com/1on1")
    expect(approved.value.status == LessonStatus.CONFIRMED, "approved")
    expect(approved.value.meetingLink == "https://meet.example.com/1on1", "meeting link set on approval")
    val relinked = engine.setMeetingLink(t, pending.value.id, "https://meet.example.com/other")
    expect(relinked.value.meetingLink == "https://meet.example.com/other", "meeting link replaced")

    // A declined request frees the time.
    engine.setSlotActive(t, oneTime.id, true)
    val other = engine.publishSlot(t, teacher, SlotSpec(courseId = course, timeZone = "UTC",
        recurrence = SlotRecurrence.OneTime("2030-03-07T10:00", "2030-03-07T11:00"))).value
    val request = engine.bookLesson(Actor.Student(s2), other.id, Instant.parse("2030-03-07T10:00:00Z"), s2).value
    val declined = engine.declineLesson(t, request.id, reason = "away that day")
    expect(declined.value.status == LessonStatus.DECLINED, "declined")

    // 7. Recurring series, across the DST change (Paris: 2030-03-31).
    store.setCourseApproval(course, null)
    val series = engine.bookSeries(
        Actor.Student(s3),
        SeriesRequest(weekly.id, s3, Instant.parse("2030-03-11T13:00:00Z"), 1u, SeriesEnd.Count(4u), SeriesMode.ALL_OR_NOTHING),
    ).value
    expect(series.lessons.size == 4, "4 lessons in the series")
    expect(series.lessons.all { it.localStart.endsWith("T14:00") }, "all at 14:00 Paris time")
    expect(series.lessons[3].startsAt == Instant.parse("2030-04-01T12:00:00Z"), "summer time: 12:00 UTC")
    expect(engine.activeLessons(s3).size == 4, "4 active lessons")
    val cancelledLater = engine.cancelSeriesFrom(Actor.Student(s3), series.lessons[1].id)
    expect(cancelledLater.value.size == 3 && cancelledLater.value.all { it.status == LessonStatus.CANCELLED },
        "the second and later lessons cancelled")

    // Update and deactivate a slot: booked lessons keep their time.
    val moved = engine.updateSlot(t, weekly.id, SlotSpec(timeZone = "Europe/Paris",
        recurrence = SlotRecurrence.Weekly(Weekday.TUESDAY, "09:00", "10:00", "2030-03-04", "2030-12-31")))
    expect((moved.value.recurrence as SlotRecurrence.Weekly).weekday == Weekday.TUESDAY, "slot moved")
    engine.setSlotActive(t, weekly.id, false)
    expect(!engine.slot(weekly.id).active, "deactivated")
    expect(engine.lesson(lesson.id).status == LessonStatus.CONFIRMED, "the booked lesson stays")

    // A meeting-link generator written in Kotlin, for lessons confirmed without a link; one
    // that throws leaves the link unset instead of failing the booking.
    fun linkedEngine(generator: MeetingLinkGenerator): Pair<Engine, String> {
        val e = Engine.inMemory(InMemoryStore(), clock = ManualClock(t0), meetingLinks = generator)
        val slot = e.publishSlot(t, teacher, SlotSpec(timeZone = "UTC",
            recurrence = SlotRecurrence.OneTime("2030-03-08T10:00", "2030-03-08T11:00"))).value
        return e to slot.id
    }
    val (linked, linkSlot) = linkedEngine(object : MeetingLinkGenerator {
        override fun meetingLink(lesson: Lesson): String? = "https://meet.example.com/lesson-${lesson.id}"
    })
    val withLink = linked.bookLesson(Actor.Student(s1), linkSlot, Instant.parse("2030-03-08T10:00:00Z"), s1).value
    expect(withLink.meetingLink == "https://meet.example.com/lesson-${withLink.id}", "generated meeting link")
    val (unlinked, unlinkedSlot) = linkedEngine(object : MeetingLinkGenerator {
        override fun meetingLink(lesson: Lesson): String? = throw IllegalStateException("video service down")
    })
    val noLink = unlinked.bookLesson(Actor.Student(s1), unlinkedSlot, Instant.parse("2030-03-08T10:00:00Z"), s1).value
    expect(noLink.status == LessonStatus.CONFIRMED && noLink.meetingLink == null, "a throwing generator sets no link")

    // Attendance from the start on, cancellation of a single lesson.
    val single = engine.cancelLesson(Actor.Student(s3), series.lessons[0].id)
    expect(single.value.status == LessonStatus.CANCELLED, "single lesson cancelled")
    clock.set(Instant.parse("2030-03-04T13:30:00Z"))
    val marked = engine.markLessonAttendance(t, lesson.id, true)
    expect(marked.value.status == LessonStatus.ATTENDED, "lesson attended")
}

fun errorCodes() {
    section("every error code through real calls")
    val store = InMemoryStore()
    val clock = ManualClock(t0)
    val engine = Engine.inMemory(store, clock = clock)
    val t = Actor.Teacher(teacher)
    val nobody = uid(999_999)

    expectError<BookingException.InvalidInput>("invalid_input", "capacity 0") {
        engine.createSession(t, newGroupSession(0u, false))
    }
    expectError<BookingException.InvalidInput>("invalid_input", "malformed id") { engine.session("not-a-uuid") }
    expectError<BookingException.UnknownTimeZone>("unknown_time_zone", "zone") {
        engine.createSession(t, newGroupSession(1u, false).copy(timeZone = "Mars/Olympus"))
    }
    expectError<BookingException.InvalidMeetingLink>("invalid_meeting_link", "link") {
        engine.createSession(t, newGroupSession(1u, false).copy(meetingLink = "ftp://example.com"))
    }
    expectError<BookingException.StartInPast>("start_in_past", "past") {
        engine.createSession(t, newGroupSession(1u, false, t0.minus(Duration.ofDays(1))))
    }
    expectError<BookingException.TooLarge>("too_large", "listing window") {
        engine.listOccurrences(OccurrenceQuery(teacherId = teacher, from = t0, to = t0.plus(Duration.ofDays(400))))
    }
    expectError<BookingException.NotAuthorized>("not_authorized", "a student creating a teacher's session") {
        engine.createSession(Actor.Student(students[0]), newGroupSession(1u, false))
    }
    expectError<BookingException.SessionNotFound>("session_not_found", "session") { engine.session(nobody) }
    expectError<BookingException.BookingNotFound>("booking_not_found", "booking") { engine.seatBooking(nobody) }
    expectError<BookingException.SlotNotFound>("slot_not_found", "slot") { engine.slot(nobody) }

    val s = engine.createSession(t, newGroupSession(2u, false)).value
    val b0 = engine.bookSeat(Actor.Student(students[0]), s.id, students[0]).value
    engine.bookSeat(Actor.Student(students[1]), s.id, students[1])
    expectError<BookingException.SessionFull>("session_full", "full") {
        engine.bookSeat(Actor.Student(students[2]), s.id, students[2])
    }
    expectError<BookingException.AlreadyBooked>("already_booked", "twice") {
        engine.bookSeat(Actor.Student(students[0]), s.id, students[0])
    }
    expectError<BookingException.CapacityBelowBooked>("capacity_below_booked", "shrink") {
        engine.changeCapacity(t, s.id, 1u)
    }
    expectError<BookingException.SessionNotStarted>("session_not_started", "attendance before start") {
        engine.markAttendance(t, b0.id, true)
    }
    engine.cancelBooking(Actor.Student(students[0]), b0.id)
    expectError<BookingException.InvalidTransition>("invalid_transition", "cancel twice") {
        engine.cancelBooking(Actor.Student(students[0]), b0.id)
    }
    val doomed = engine.createSession(t, newGroupSession(2u, false)).value
    engine.cancelSession(t, doomed.id)
    expectError<BookingException.SessionCancelled>("session_cancelled", "book a cancelled session") {
        engine.bookSeat(Actor.Student(students[0]), doomed.id, students[0])
    }

    // Lessons.
    val course = uid(600)
    val slot = engine.publishSlot(t, teacher, SlotSpec(timeZone = "UTC",
        recurrence = SlotRecurrence.OneTime("2030-03-05T10:00", "2030-03-05T11:00"))).value
    val courseSlot = engine.publishSlot(t, teacher, SlotSpec(courseId = course, timeZone = "UTC",
        recurrence = SlotRecurrence.OneTime("2030-03-05T12:00", "2030-03-05T13:00"))).value
    val otherTeacher = uid(2)
    val otherSlot = engine.publishSlot(Actor.Teacher(otherTeacher), otherTeacher, SlotSpec(timeZone = "UTC",
        recurrence = SlotRecurrence.OneTime("2030-03-05T10:30", "2030-03-05T11:30"))).value
    val at = Instant.parse("2030-03-05T10:00:00Z")
    expectError<BookingException.OccurrenceNotOffered>("occurrence_not_offered", "wrong start") {
        engine.bookLesson(Actor.Student(students[0]), slot.id, at.plusSeconds(60), students[0])
    }
    expectError<BookingException.NotEnrolled>("not_enrolled", "course slot") {
        engine.bookLesson(Actor.Student(students[0]), courseSlot.id, Instant.parse("2030-03-05T12:00:00Z"), students[0])
    }
    val lesson = engine.bookLesson(Actor.Student(students[0]), slot.id, at, students[0]).value
    expectError<BookingException.SlotUnavailable>("slot_unavailable", "taken") {
        engine.bookLesson(Actor.Student(students[1]), slot.id, at, students[1])
    }
    expectError<BookingException.StudentBusy>("student_busy", "overlapping lesson with another teacher") {
        engine.bookLesson(Actor.Student(students[0]), otherSlot.id, Instant.parse("2030-03-05T10:30:00Z"), students[0])
    }
    expectError<BookingException.LessonNotStarted>("lesson_not_started", "lesson attendance before start") {
        engine.markLessonAttendance(t, lesson.id, true)
    }
    val later = engine.createSession(t, newGroupSession(2u, false)).value
    clock.advance(Duration.ofDays(2))
    expectError<BookingException.LessonStarted>("lesson_started", "cancel after start") {
        engine.cancelLesson(Actor.Student(students[0]), lesson.id)
    }
    expectError<BookingException.SessionStarted>("session_started", "book after start") {
        engine.bookSeat(Actor.Student(students[0]), later.id, students[0])
    }
    engine.createSession(t, newGroupSession(1u, false, t0.plus(Duration.ofDays(5))), key = "k")
    expectError<BookingException.RequestKeyReused>("request_key_reused", "key reuse") {
        engine.createSession(t, newGroupSession(1u, false, t0.plus(Duration.ofDays(6))), key = "k")
    }

    // Store failures, from Kotlin stores that break on purpose.
    val good = KotlinDocumentStore()
    val seeded = Engine.withDocumentStore(good, clock = clock)
    val kept = seeded.createSession(t, newGroupSession(1u, false, t0.plus(Duration.ofDays(5)))).value
    expectError<BookingException.Contention>("contention", "every commit conflicts") {
        Engine.withDocumentStore(BrokenStore(good, "conflict"), clock = clock, maxAttempts = 3u)
            .bookSeat(Actor.Student(students[0]), kept.id, students[0])
    }
    expectError<BookingException.CorruptRecord>("corrupt_record", "a document that is not JSON") {
        Engine.withDocumentStore(BrokenStore(good, "corrupt"), clock = clock).session(kept.id)
    }
    expectError<BookingException.Store>("store_error", "the store throws StoreException.Backend") {
        Engine.withDocumentStore(BrokenStore(good, "backend"), clock = clock).session(kept.id)
    }
    expectError<BookingException.Store>("store_error", "the store throws an unexpected exception") {
        Engine.withDocumentStore(BrokenStore(good, "unexpected"), clock = clock).session(kept.id)
    }

    // Every code of the core has been seen as its own exception class.
    val all = allErrorCodes()
    expect(all.size == 26 && all.toSet().size == all.size, "26 distinct codes: $all")
    expect(codesSeen == all.toSortedSet(), "codes not triggered: ${all.toSortedSet() - codesSeen}")
}

fun sqliteStore() {
    section("SQLite store in a temporary directory")
    val dir = Files.createTempDirectory("booking-kotlin")
    try {
        val path = dir.resolve("bookings.db").toString()
        val clock = ManualClock(t0)
        val course = uid(700)
        val id: String
        run {
            val store = SqliteStore.open(path)
            store.enroll(students[0], course)
            val engine = Engine.sqlite(store, clock = clock)
            val s = engine.createSession(Actor.Teacher(teacher), newGroupSession(1u, true)).value
            engine.bookSeat(Actor.Student(students[0]), s.id, students[0])
            engine.bookSeat(Actor.Student(students[1]), s.id, students[1])
            id = s.id
            val outbox = store.eventsSince(0, 100u)
            expect(outbox.map { it.event.name } == listOf("session_created", "booking_confirmed", "booking_waitlisted"),
                "outbox: ${outbox.map { it.event.name }}")
            expect(store.deleteEventsThrough(outbox.last().id) == 3uL, "outbox drained")
            store.checkIntegrity()
        }
        val reopened = Engine.sqlite(SqliteStore.open(path), clock = clock)
        val s = reopened.session(id)
        expect(s.bookedSeats == 1u && s.waitlistedCount == 1u, "the bookings survive reopening the file")
        expectError<BookingException.AlreadyBooked>("already_booked", "sqlite: twice") {
            reopened.bookSeat(Actor.Student(students[0]), id, students[0])
        }
    } finally {
        dir.toFile().deleteRecursively()
    }
}

fun conformance() {
    section("conformance suite against a store written in Kotlin")
    // region: readme-kotlin-conformance
    val report = runConformance(object : StoreFactory {
        override fun newStore(): DocumentStore = KotlinDocumentStore()
    })
    // endregion
    for (check in report.checks) if (!check.passed) println("  FAILED ${check.name}: ${check.detail}")
    expect(report.passed, "every conformance check passes")
    expect(report.checks.map { it.name } == conformanceChecks(), "every check ran")
    println("  ${report.checks.count { it.passed }}/${report.checks.size} checks passed")

    // The engine over the Kotlin store, from several threads at once: no overbooking.
    val engine = Engine.withDocumentStore(KotlinDocumentStore())
    val s = engine.createSession(Actor.Teacher(teacher), newGroupSession(5u, false, Instant.now().plus(Duration.ofDays(1)))).value
    val threads = students.map { student ->
        Thread { runCatching { engine.bookSeat(Actor.Student(student), s.id, student) } }
    }
    threads.forEach { it.start() }
    threads.forEach { it.join() }
    expect(engine.session(s.id).bookedSeats == 5u, "20 threads, 5 seats: exactly 5 taken")
}

fun main() {
    val started = System.nanoTime()
    readmeQuickstart()
    groupScenarios()
    lessonScenarios()
    errorCodes()
    sqliteStore()
    conformance()
    val ms = (System.nanoTime() - started) / 1_000_000
    println("kotlin: $checks checks, $failures failed, ${codesSeen.size} error codes seen (${ms} ms)")
    if (failures > 0) exitProcess(1)
}
