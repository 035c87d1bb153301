// The Kotlin test program of booking-uniffi, compiled and run by scripts/test-mobile against the
// generated bindings and the built library. It checks the glue: it plays the seed's scenarios
// once, makes every type, every event kind and every store callback cross the boundary (over a
// store written in Kotlin), triggers every error code through real calls, tries hostile inputs,
// uses the SQLite store in a temporary directory, and runs the core's conformance suite (where
// the scheduling rules are checked) against a document store written in Kotlin. Exits non-zero
// on any failure.
//
// The regions between "// region: readme-…" and "// endregion" are quoted verbatim in
// booking-uniffi/README.md (scripts/test-mobile checks that they match).

import org.booking.*
import org.booking.core.*
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
    waitlistMode = WaitlistMode.Promote,
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
    private val requests = HashMap<Pair<String, String>, Pair<String, Instant>>()
    private val finished = HashMap<String, String>()
    private val approvals = HashMap<Pair<String, String>, ApprovalSettings>()
    private val enrollments = HashSet<Pair<String, String>>()
    private val offerDeadlines = HashMap<String, Instant>()
    // The read index: per (index, partition), sort key to the aggregate listed; each aggregate's entries.
    private val lists = HashMap<Pair<String, String>, java.util.TreeMap<String, Pair<AggregateKind, String>>>()
    private val entriesOf = HashMap<Pair<AggregateKind, String>, List<IndexEntry>>()
    private val outbox = ArrayList<OutboxDocument>()
    private var outboxLast = 0uL

    override fun load(kind: AggregateKind, id: String): Document? = synchronized(lock) { documents[kind to id] }

    override fun locateBooking(id: String): BookingLocation? = synchronized(lock) { bookings[id] }

    override fun locateSlot(id: String): String? = synchronized(lock) { slots[id] }

    override fun loadRequest(scope: String, key: String): String? = synchronized(lock) { requests[scope to key]?.first }

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
        for (write in commit.writes) {
            val key = write.kind to write.id
            documents[key] = Document(write.version, write.body)
            if (write.kind == AggregateKind.SESSION) {
                val deadline = write.offerDeadline
                if (deadline != null) offerDeadlines[write.id] = deadline else offerDeadlines.remove(write.id)
            }
            // Replace the aggregate's read-index entries.
            for (old in entriesOf.remove(key).orEmpty()) lists[old.index to old.partition]?.remove(old.sort)
            for (entry in write.readEntries) lists.getOrPut(entry.index to entry.partition) { java.util.TreeMap() }[entry.sort] = key
            entriesOf[key] = write.readEntries
        }
        // The events, at the next positions: assigned under the lock, so they grow in commit order.
        for (event in commit.outbox) {
            outboxLast += 1uL
            outbox.add(OutboxDocument(outboxLast, event))
        }
        for (booking in commit.newBookings) bookings[booking.bookingId] = booking.location
        for (slot in commit.newSlots) slots[slot.slotId] = slot.teacherId
        for (booking in commit.finishedBookings) finished[booking.bookingId] = booking.body
        if (request != null) requests[request.scope to request.key] = request.body to request.recordedAt
    }

    override fun loadFinishedBooking(id: String): String? = synchronized(lock) { finished[id] }

    override fun pruneRequests(recordedBefore: Instant): ULong = synchronized(lock) {
        val old = requests.filterValues { it.second < recordedBefore }.keys
        requests.keys.removeAll(old)
        old.size.toULong()
    }

    override fun approvalSettings(courseId: String, teacherId: String): ApprovalSettings =
        synchronized(lock) { approvals[courseId to teacherId] ?: ApprovalSettings() }

    override fun isEnrolled(studentId: String, courseId: String): Boolean =
        synchronized(lock) { (studentId to courseId) in enrollments }

    override fun sessionsWithOffersDue(until: Instant): List<String> = synchronized(lock) {
        offerDeadlines.filterValues { it <= until }.entries.sortedBy { it.value }.map { it.key }
    }

    override fun readIndex(index: String, partition: String, after: String, before: String, limit: UInt): List<DocumentHit> =
        synchronized(lock) {
            val list = lists[index to partition]
            if (list == null || after >= before) return@synchronized emptyList()
            list.subMap(after, false, before, false).entries.take(limit.toInt()).mapNotNull { (sort, key) ->
                documents[key]?.let { DocumentHit(sort, key.first, key.second, it) }
            }
        }

    override fun readOutbox(after: ULong, limit: UInt): List<OutboxDocument> =
        synchronized(lock) { outbox.filter { it.position > after }.take(limit.toInt()) }

    override fun acknowledgeOutbox(upTo: ULong): ULong = synchronized(lock) {
        val before = outbox.size
        outbox.removeAll { it.position <= upTo }
        (before - outbox.size).toULong()
    }

    fun enroll(studentId: String, courseId: String) = synchronized(lock) { enrollments.add(studentId to courseId) }
}
// endregion

/** A store that breaks in a chosen way, to see each failure arrive as its error code. */
class BrokenStore(private val inner: KotlinDocumentStore, private val how: String) : DocumentStore by inner {
    override fun load(kind: AggregateKind, id: String): Document? = when (how) {
        "corrupt" -> inner.load(kind, id)?.let { Document(it.version, "{not json") }
        "backend" -> throw StoreException.Backend("disk on fire")
        "unavailable" -> throw StoreException.Unavailable("the database server is not answering")
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
            capacity = 1u, waitlistEnabled = true, waitlistMode = WaitlistMode.Promote,
        ),
    ).value

    val first = engine.bookSeat(Actor.Student(ana), session.id, ana).value
    val second = engine.bookSeat(Actor.Student(ben), session.id, ben).value
    expect(second.status == SeatStatus.WAITLISTED, "Ben is waitlisted")

    // Ana cancels: Ben is promoted in the same step, and the events say so.
    val receipt = engine.cancelBooking(Actor.Student(ana), first.id)
    expect(receipt.events.map { it.name() } == listOf("booking_cancelled", "booking_promoted"), "events")
    expect(engine.seatBooking(Actor.System, second.id).status == SeatStatus.CONFIRMED, "Ben is confirmed")

    // Refusals are exceptions carrying the core's stable code.
    try {
        engine.bookSeat(Actor.Student(ben), session.id, ben)
    } catch (e: BookingException.AlreadyBooked) {
        expect(e.code == "already_booked", "the code travels with the exception")
    }

    // My bookings: Ben's agenda for May, a page of at most 20 (pass `next` as `after` for more).
    val mine = engine.studentAgenda(
        Actor.Student(ben), ben, from = clock.now(), to = Instant.parse("2030-06-01T00:00:00Z"), limit = 20u,
    )
    expect(mine.items.map { it.sessionId to it.status } == listOf(session.id to AgendaStatus.CONFIRMED), "my bookings")
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
    expect(s.capacity == 10u && s.remainingSeats() == 10u && s.version == 1uL, "created with 10 free seats")
    expect(created.events.single().kind is EventKind.SessionCreated, "session_created event")
    expect(s.startsAt == t0.plus(Duration.ofDays(1)), "instants cross as java.time.Instant")
    expect(engine.bookingAvailability(Actor.System, s.id) == BookingAvailability.OPEN, "open")

    // 2. Book to capacity: all confirmed, booking closes.
    for (i in 0 until 10) {
        val r = engine.bookSeat(Actor.Student(students[i]), s.id, students[i])
        expect(r.value.status == SeatStatus.CONFIRMED, "student $i confirmed")
        if (i == 9) expect(r.events.any { it.kind is EventKind.SessionClosed }, "the 10th booking closes the session")
    }
    val full = engine.session(t, s.id)
    expect(full.isFull() && full.isClosedForBooking() && full.bookedSeats() == 10u, "full and closed")
    // Reads are checked against who asks: a student reads the summary (counts, their own
    // booking and the link once they have their seat), never another student's booking.
    val seen = engine.sessionSummary(Actor.Student(students[3]), s.id)
    expect(seen.seatsRemaining == 0u && seen.ownBooking?.bookingId == full.bookings[3].id &&
        seen.meetingLink == full.meetingLink, "a student's summary: no seat left, their own booking, the link")
    expect(engine.sessionSummary(Actor.Student(students[12]), s.id).let { it.ownBooking == null && it.meetingLink == null },
        "no booking, no link")
    expectError<BookingException.NotAuthorized>("not_authorized", "a student reading the whole session") {
        engine.session(Actor.Student(students[3]), s.id)
    }
    expectError<BookingException.NotAuthorized>("not_authorized", "a student reading another's booking") {
        engine.seatBooking(Actor.Student(students[3]), full.bookings[4].id)
    }
    expect(engine.bookingAvailability(Actor.System, s.id) == BookingAvailability.CLOSED, "closed (booking_closed)")

    // 3. Try to overbook.
    expectError<BookingException.SessionFull>("session_full", "11th student") {
        engine.bookSeat(Actor.Student(students[10]), s.id, students[10])
    }
    expect(engine.session(Actor.System, s.id).bookedSeats() == 10u, "still 10 seats taken")

    // Cancelling from the full session without waitlist reopens it.
    val reopened = engine.cancelBooking(Actor.Student(students[0]), full.bookings[0].id)
    expect(reopened.events.map { it.name() } == listOf("booking_cancelled", "session_reopened"), "cancel reopens")

    // 4. With waitlist: 15 students on 10 seats.
    val w = engine.createSession(t, newGroupSession(10u, waitlist = true)).value
    val booked = (0 until 15).map { engine.bookSeat(Actor.Student(students[it]), w.id, students[it]).value }
    expect(booked.count { it.status == SeatStatus.CONFIRMED } == 10, "10 confirmed")
    expect(booked.count { it.status == SeatStatus.WAITLISTED } == 5, "5 waitlisted")
    expect(engine.session(Actor.System, w.id).waitlistedCount() == 5u, "waitlisted count 5")
    expect(engine.bookingAvailability(Actor.System, w.id) == BookingAvailability.WAITLIST_ONLY, "waitlist only")

    // 5. Cancel and promote: the head of the waitlist gets the seat.
    val cancel = engine.cancelBooking(Actor.Student(students[3]), booked[3].id)
    val promoted = cancel.events.map { it.kind }.filterIsInstance<EventKind.BookingPromoted>().single()
    expect(promoted.bookingId == booked[10].id, "the first waitlisted student is promoted")
    expect(engine.seatBooking(Actor.System, booked[10].id).status == SeatStatus.CONFIRMED, "promoted booking confirmed")
    expect(engine.session(Actor.System, w.id).waitlistedCount() == 4u, "4 left on the waitlist")

    // 6. The same student twice.
    expectError<BookingException.AlreadyBooked>("already_booked", "same student twice") {
        engine.bookSeat(Actor.Student(students[0]), w.id, students[0])
    }

    // Capacity, waitlist toggle, attendance.
    val grown = engine.changeCapacity(t, w.id, 12u)
    expect(grown.events.count { it.kind is EventKind.BookingPromoted } == 2, "2 more promoted into added seats")
    engine.setWaitlist(t, w.id, false)
    expect(!engine.session(Actor.System, w.id).waitlistEnabled, "waitlist off")
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
    expect(cancelled.value.isCancelled() && cancelled.value.cancelledAt != null, "session cancelled")

    // What the engine did, as a host's metrics endpoint samples it: every command counted once.
    val c = engine.counters()
    expect(c.commands == c.committed + c.unchanged + c.replayed + c.refused + c.contentionErrors + c.storeErrors,
        "every command counted once: $c")
    expect(c.refused == 3uL && c.replayed == 1uL && c.retries == 0uL && c.storeErrors == 0uL, "3 refused, 1 replayed: $c")
    expect(c.batches == 0uL && c.batchedCommits == 0uL, "one command at a time: no batch: $c")
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
    expect(engine.slots(Actor.System, teacher).size == 2, "two slots")

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
    expect(series.lessons.all { it.localStart().endsWith("T14:00") }, "all at 14:00 Paris time")
    expect(series.lessons[3].startsAt == Instant.parse("2030-04-01T12:00:00Z"), "summer time: 12:00 UTC")
    expect(engine.activeLessons(Actor.System, s3).size == 4, "4 active lessons")
    val cancelledLater = engine.cancelSeriesFrom(Actor.Student(s3), series.lessons[1].id)
    expect(cancelledLater.value.size == 3 && cancelledLater.value.all { it.status == LessonStatus.CANCELLED },
        "the second and later lessons cancelled")

    // Update and deactivate a slot: booked lessons keep their time.
    val moved = engine.updateSlot(t, weekly.id, SlotSpec(timeZone = "Europe/Paris",
        recurrence = SlotRecurrence.Weekly(Weekday.TUESDAY, "09:00", "10:00", "2030-03-04", "2030-12-31")))
    expect((moved.value.recurrence as SlotRecurrence.Weekly).weekday == Weekday.TUESDAY, "slot moved")
    engine.setSlotActive(t, weekly.id, false)
    expect(!engine.slot(weekly.id).active, "deactivated")
    expect(engine.lesson(Actor.System, lesson.id).status == LessonStatus.CONFIRMED, "the booked lesson stays")

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
    expectError<BookingException.InvalidInput>("invalid_input", "malformed id") { engine.session(Actor.System, "not-a-uuid") }
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
    expectError<BookingException.SessionNotFound>("session_not_found", "session") { engine.session(Actor.System, nobody) }
    expectError<BookingException.BookingNotFound>("booking_not_found", "booking") { engine.seatBooking(Actor.System, nobody) }
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
        Engine.withDocumentStore(BrokenStore(good, "corrupt"), clock = clock).session(Actor.System, kept.id)
    }
    expectError<BookingException.Store>("store_error", "the store throws StoreException.Backend") {
        Engine.withDocumentStore(BrokenStore(good, "backend"), clock = clock).session(Actor.System, kept.id)
    }
    expectError<BookingException.Store>("store_error", "the store throws an unexpected exception") {
        Engine.withDocumentStore(BrokenStore(good, "unexpected"), clock = clock).session(Actor.System, kept.id)
    }
    expectError<BookingException.StoreUnavailable>("store_unavailable", "the store throws StoreException.Unavailable") {
        Engine.withDocumentStore(BrokenStore(good, "unavailable"), clock = clock).session(Actor.System, kept.id)
    }
    try {
        Engine.withDocumentStore(BrokenStore(good, "unavailable"), clock = clock).session(Actor.System, kept.id)
    } catch (e: BookingException) {
        expect(e.isRetryable(), "store_unavailable is retryable")
    }
    try {
        Engine.withDocumentStore(BrokenStore(good, "backend"), clock = clock).session(Actor.System, kept.id)
    } catch (e: BookingException) {
        expect(!e.isRetryable(), "store_error is not retryable")
    }

}

// ---------------------------------------------------------------------------------------------
// The glue: every type, every event kind and every store callback crosses the boundary. The
// rules themselves are the Rust conformance suite's (run below against the Kotlin store).
// ---------------------------------------------------------------------------------------------

/** A fresh engine over an in-memory store, its clock at [t0]. */
class Fixture {
    val store = InMemoryStore()
    val clock = ManualClock(t0)
    val engine = Engine.inMemory(store, clock = clock)
}

fun at(text: String): Instant = Instant.parse(text)

fun weeklyUtc(day: Weekday, start: String, end: String) =
    SlotSpec(timeZone = "UTC", recurrence = SlotRecurrence.Weekly(day, start, end, "2030-03-04", null))

fun starts(engine: Engine, days: Long): List<Instant> =
    engine.listOccurrences(OccurrenceQuery(teacherId = teacher, from = t0, to = t0.plus(Duration.ofDays(days)))).map { it.startsAt }

fun oneTimeUtc(start: String, end: String, rules: SchedulingRules = SchedulingRules()) =
    SlotSpec(timeZone = "UTC", recurrence = SlotRecurrence.OneTime(start, end), rules = rules)

/** Every event kind of the core, by its stable name. */
val eventKinds = setOf(
    "session_created", "booking_confirmed", "booking_waitlisted", "booking_promoted", "booking_cancelled",
    "seat_offered", "offer_accepted", "offer_declined", "offer_expired", "session_closed", "session_reopened",
    "capacity_changed", "waitlist_changed", "session_cancelled", "attendance_marked", "slot_published", "slot_updated",
    "lesson_requested", "lesson_booked", "lesson_approved", "lesson_declined", "lesson_cancelled", "lesson_rescheduled",
    "meeting_link_set", "lesson_attendance_marked", "series_booked", "scheduling_rules_set", "time_off_added",
    "time_off_removed",
)

fun everyTypeCrosses() {
    section("every type, event kind and store callback crosses (a store written in Kotlin)")
    val inner = KotlinDocumentStore()
    val course = uid(700)
    val committed = java.util.Collections.synchronizedList(ArrayList<Event>())
    // The store's callbacks: the commit carries the events; the host data answers from Kotlin.
    val store = object : DocumentStore by inner {
        override fun commit(commit: DocumentCommit) {
            inner.commit(commit)
            committed.addAll(commit.events)
        }

        override fun approvalSettings(courseId: String, teacherId: String) =
            ApprovalSettings(course = courseId == course, teacherOverride = null)
    }
    val clock = ManualClock(t0)
    val e = Engine.withDocumentStore(store, clock = clock)
    val t = Actor.Teacher(teacher)
    val (s0, s1, s2) = Triple(students[0], students[1], students[2])
    inner.enroll(s1, course)

    // Every field of the scheduling rules, both ways.
    val every = SchedulingRules(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u)
    val set = e.setSchedulingRules(t, teacher, uid(701), every)
    val setEvent = set.events.single().kind as EventKind.SchedulingRulesSet
    expect(set.value == every && e.rulesForCourse(Actor.System, teacher, uid(701)) == every, "every rule crosses: ${set.value}")
    expect(setEvent.courseId == uid(701) && setEvent.rules == every, "scheduling_rules_set carries them")
    expect(e.setSchedulingRules(t, teacher, uid(701), SchedulingRules()).value == SchedulingRules(), "and removes them")

    // Group sessions.
    val g = e.createSession(t, newGroupSession(1u, waitlist = false)).value
    val a = e.bookSeat(Actor.Student(s0), g.id, s0).value
    e.cancelBooking(Actor.Student(s0), a.id)
    e.setWaitlist(t, g.id, true)
    val b = e.bookSeat(Actor.Student(s1), g.id, s1).value
    val c = e.bookSeat(Actor.Student(s2), g.id, s2)
    val waitlisted = c.events.single().kind as EventKind.BookingWaitlisted
    expect(waitlisted.position == 1u && waitlisted.seats == 1u && waitlisted.studentId == s2, "booking_waitlisted")
    val grown = e.changeCapacity(t, g.id, 2u)
    expect(grown.events.map { it.name() } == listOf("capacity_changed", "booking_promoted"), "capacity_changed, booking_promoted")
    expectError<BookingException.LimitReached>("limit_reached", "2 seats where 1 is allowed") {
        e.bookSeats(Actor.Student(s0), g.id, s0, 2u)
    }
    val pair = e.createSession(t, newGroupSession(3u, true).copy(rules = SchedulingRules(maxSeatsPerBooking = 3u))).value
    val two = e.bookSeats(Actor.Student(s0), pair.id, s0, 2u)
    expect(two.value.seats == 2u && (two.events.single().kind as EventKind.BookingConfirmed).seats == 2u, "seats cross")
    expect(e.session(Actor.System, pair.id).let { it.bookedSeats() == 2u && it.remainingSeats() == 1u && it.rules.maxSeatsPerBooking == 3u },
        "a session's computed fields")

    // Waitlist by offer, with the store's offer-deadline index.
    val o = e.createSession(t, newGroupSession(1u, true, t0.plus(Duration.ofDays(2))).copy(waitlistMode = WaitlistMode.Offer(30u))).value
    expect(o.waitlistMode == WaitlistMode.Offer(30u), "an enum case with data crosses")
    val o1 = e.bookSeat(Actor.Student(s0), o.id, s0).value
    val o2 = e.bookSeat(Actor.Student(s1), o.id, s1).value
    val o3 = e.bookSeat(Actor.Student(s2), o.id, s2).value
    val offered = e.cancelBooking(Actor.Student(s0), o1.id).events.map { it.kind }.filterIsInstance<EventKind.SeatOffered>().single()
    val deadline = t0.plus(Duration.ofMinutes(30))
    expect(offered.bookingId == o2.id && offered.expiresAt == deadline, "seat_offered with its deadline")
    expect(e.seatBooking(Actor.System, o2.id).offerExpiresAt == deadline && e.session(Actor.System, o.id).nextOfferDeadline() == deadline, "the deadline")
    expect(store.sessionsWithOffersDue(deadline) == listOf(o.id), "the store indexed the deadline")
    e.declineOffer(Actor.Student(s1), o2.id)
    clock.advance(Duration.ofMinutes(31))
    expectError<BookingException.OfferExpired>("offer_expired", "accepting after the deadline") {
        e.acceptOffer(Actor.Student(s2), o3.id)
    }
    val sweep = e.processExpiredOffers(clock.now())
    expect(sweep.events.map { it.name() } == listOf("offer_expired") && sweep.failures.isEmpty(), "the sweep expires it")
    expect(e.seatBooking(Actor.System, o3.id).status == SeatStatus.EXPIRED, "expired")
    val o4 = e.bookSeat(Actor.Student(s0), o.id, s0).value
    val o5 = e.bookSeat(Actor.Student(s2), o.id, s2).value
    e.cancelBooking(Actor.Student(s0), o4.id)
    expect(e.acceptOffer(Actor.Student(s2), o5.id).value.status == SeatStatus.CONFIRMED, "accepted in time")
    e.cancelSession(t, o.id)
    expect(e.bookingAvailability(Actor.System, o.id) == BookingAvailability.CANCELLED, "cancelled")

    // Slots and lessons: wall times, zones and instants.
    val weekly = e.publishSlot(t, teacher, SlotSpec(timeZone = "Europe/Paris",
        recurrence = SlotRecurrence.Weekly(Weekday.WEDNESDAY, "14:00", "15:00", "2030-03-04", "2030-12-31"))).value
    expect(weekly.timeZone == "Europe/Paris" && weekly.recurrence == SlotRecurrence.Weekly(Weekday.WEDNESDAY, "14:00",
        "15:00", "2030-03-04", "2030-12-31"), "a weekly slot with its wall times: ${weekly.recurrence}")
    val listed = e.listOccurrences(OccurrenceQuery(teacherId = teacher, studentId = s0, from = t0,
        to = t0.plus(Duration.ofDays(7)), timeZone = "Asia/Tokyo")).single()
    expect(listed.slotId == weekly.id && listed.startsAt == at("2030-03-06T13:00:00Z") && listed.endsAt == at("2030-03-06T14:00:00Z"),
        "an occurrence: ${listed.startsAt}")
    expect(listed.teacherTimeZone == "Europe/Paris" && listed.teacherLocalStart == "2030-03-06T14:00" &&
        listed.viewerTimeZone == "Asia/Tokyo" && listed.viewerLocalEnd == "2030-03-06T23:00", "its wall times")
    val booked = e.bookLesson(Actor.Student(s0), weekly.id, listed.startsAt, s0)
    val lesson = booked.value
    expect((booked.events.single().kind as EventKind.LessonBooked).lesson == lesson && lesson.localStart() == "2030-03-06T14:00" &&
        lesson.timeZone == "Europe/Paris" && lesson.slotId == weekly.id, "lesson_booked carries the lesson")
    e.setMeetingLink(t, lesson.id, "https://meet.example.com/x")
    val moved = e.rescheduleLesson(Actor.Student(s0), lesson.id, weekly.id, at("2030-03-13T13:00:00Z"))
    val rescheduled = moved.events.single().kind as EventKind.LessonRescheduled
    expect(rescheduled.previousSlotId == weekly.id && rescheduled.previousStartsAt == lesson.startsAt &&
        rescheduled.previousEndsAt == lesson.endsAt && rescheduled.lesson == moved.value && !rescheduled.cutoffOverridden,
        "lesson_rescheduled carries the old time")
    e.cancelLesson(Actor.Student(s0), lesson.id)
    val courseSlot = e.publishSlot(t, teacher, oneTimeUtc("2030-03-07T10:00", "2030-03-07T11:00").copy(courseId = course)).value
    val requested = e.bookLesson(Actor.Student(s1), courseSlot.id, at("2030-03-07T10:00:00Z"), s1).value
    expect(requested.status == LessonStatus.PENDING && requested.courseId == course, "the store's approval setting applies")
    e.declineLesson(t, requested.id, reason = "away")
    val again = e.bookLesson(Actor.Student(s1), courseSlot.id, at("2030-03-07T10:00:00Z"), s1).value
    val approved = e.approveLesson(t, again.id, meetingLink = "https://meet.example.com/y")
    expect((approved.events.single().kind as EventKind.LessonApproved).meetingLink == "https://meet.example.com/y", "lesson_approved")
    e.setSlotActive(t, courseSlot.id, false)
    val series = e.bookSeries(Actor.Student(s2), SeriesRequest(weekly.id, s2, at("2030-03-20T13:00:00Z"), 1u,
        SeriesEnd.Until("2030-03-27"), SeriesMode.BOOK_AVAILABLE))
    val seriesEvent = series.events.map { it.kind }.filterIsInstance<EventKind.SeriesBooked>().single()
    expect(seriesEvent.lessons == series.value.lessons.map { it.id } && seriesEvent.seriesId == series.value.seriesId &&
        series.value.lessons.all { it.seriesId == series.value.seriesId } && series.value.skipped.isEmpty(), "series_booked")
    expect(e.cancelSeriesFrom(Actor.Student(s2), series.value.lessons[0].id).value.size == 2, "a series cancelled")
    val off = e.addTimeOff(t, teacher, TimeOffSpec("2030-04-01", "2030-04-02", "Europe/Paris", note = "away"))
    expect(off.value.startsAt() == at("2030-03-31T22:00:00Z") && off.value.endsAt() == at("2030-04-02T22:00:00Z") &&
        off.value.firstDay == "2030-04-01" && off.value.note == "away" && e.timeOff(Actor.System, teacher) == listOf(off.value), "time off")
    e.removeTimeOff(t, teacher, off.value.id)
    expectError<BookingException.TimeOffNotFound>("time_off_not_found", "withdrawing it twice") {
        e.removeTimeOff(t, teacher, off.value.id)
    }

    // The remaining error codes: a booking window, a cut-off, a busy teacher.
    val soon = e.publishSlot(t, teacher, oneTimeUtc("2030-03-04T12:00", "2030-03-04T13:00", SchedulingRules(minNoticeMinutes = 600u))).value
    expect(soon.rules.minNoticeMinutes == 600u, "a slot's own rules")
    expectError<BookingException.OutsideBookingWindow>("outside_booking_window", "2.5 hours ahead, 10 hours' notice") {
        e.bookLesson(Actor.Student(s0), soon.id, at("2030-03-04T12:00:00Z"), s0)
    }
    val late = e.publishSlot(t, teacher, oneTimeUtc("2030-03-04T15:00", "2030-03-04T16:00", SchedulingRules(cancelCutoffMinutes = 1440u))).value
    val kept = e.bookLesson(Actor.Student(s0), late.id, at("2030-03-04T15:00:00Z"), s0).value
    expectError<BookingException.CutoffPassed>("cutoff_passed", "a student cancelling within the cut-off") {
        e.cancelLesson(Actor.Student(s0), kept.id)
    }
    expectError<BookingException.TeacherBusy>("teacher_busy", "a group session over a 1:1 lesson") {
        e.createSession(t, newGroupSession(3u, false, at("2030-03-04T15:30:00Z")))
    }
    clock.set(at("2030-03-04T15:10:00Z"))
    expect(e.markLessonAttendance(t, kept.id, true).value.status == LessonStatus.ATTENDED, "lesson attendance")
    clock.set(at("2030-03-05T09:05:00Z"))
    expect(e.bookingAvailability(Actor.System, g.id) == BookingAvailability.STARTED, "started")
    expect(e.markAttendance(t, b.id, false).value.status == SeatStatus.NO_SHOW, "attendance")

    // Every weekday crosses both ways.
    for (day in enumValues<Weekday>()) {
        val slot = e.publishSlot(t, teacher, weeklyUtc(day, "20:00", "21:00")).value
        expect((slot.recurrence as SlotRecurrence.Weekly).weekday == day, "$day crosses")
    }

    // Every event kind reached the Kotlin store as its own case, with its actor.
    val names = committed.map { it.name() }.toSet()
    expect(names == eventKinds, "event kinds missing: ${eventKinds - names}, unknown: ${names - eventKinds}")
    expect(committed.first().actor == t && committed.first().occurredAt == t0, "an event's actor and instant")
}

/** A store that refuses every commit of the sessions in [refused], as a full disk would. */
class RefusingStore(private val inner: KotlinDocumentStore) : DocumentStore by inner {
    val refused: MutableSet<String> = java.util.Collections.synchronizedSet(HashSet())

    override fun commit(commit: DocumentCommit) {
        if (commit.writes.any { it.kind == AggregateKind.SESSION && it.id in refused }) throw StoreException.Backend("disk full")
        inner.commit(commit)
    }
}

fun offerSweepFailures() {
    section("offer sweep: a session that fails does not stop the others")
    val clock = ManualClock(t0)
    val store = RefusingStore(KotlinDocumentStore())
    val engine = Engine.withDocumentStore(store, clock = clock)
    val waiting = HashMap<String, String>()
    for (n in 0 until 3) {
        val t = uid(50 + n)
        val s = engine.createSession(Actor.Teacher(t), newGroupSession(1u, true).copy(teacherId = t, waitlistMode = WaitlistMode.Offer(30u))).value
        val (first, second) = students[2 * n] to students[2 * n + 1]
        val seat = engine.bookSeat(Actor.Student(first), s.id, first).value
        waiting[s.id] = engine.bookSeat(Actor.Student(second), s.id, second).value.id
        engine.cancelBooking(Actor.Student(first), seat.id)
    }
    clock.advance(Duration.ofMinutes(30))
    val due = store.sessionsWithOffersDue(clock.now())
    expect(due.toSet() == waiting.keys, "three sessions are due")
    store.refused.add(due[1])

    // region: readme-kotlin-sweep
    // The host's periodic call (every minute, say). Each due session is processed on its own:
    // one that fails is reported with its error and left as it was, the others go ahead.
    val sweep = engine.processExpiredOffers(clock.now())
    for (event in sweep.events) println("  notify: ${event.name()}")
    for (failure in sweep.failures) println("  session ${failure.sessionId} failed: ${failure.code} (${failure.detail})")
    // endregion
    expect(sweep.failures.map { it.sessionId to it.code } == listOf(due[1] to "store_error"), "the refused session is reported: ${sweep.failures}")
    expect(sweep.failures.single().detail.contains("disk full"), "with the store's message")
    val expired = sweep.events.map { it.kind }.filterIsInstance<EventKind.OfferExpired>().map { it.sessionId }
    expect(expired == listOf(due[0], due[2]), "the other sessions were processed, in order: $expired")
    for ((session, booking) in waiting) {
        val status = engine.seatBooking(Actor.System, booking).status
        expect(status == (if (session == due[1]) SeatStatus.OFFERED else SeatStatus.EXPIRED), "session $session: $status")
    }
    store.refused.clear()
    val again = engine.processExpiredOffers(clock.now())
    expect(again.failures.isEmpty(), "the next sweep succeeds")
    expect(again.events.map { it.kind }.filterIsInstance<EventKind.OfferExpired>().map { it.sessionId } == listOf(due[1]), "and processes it")
}

/** The value of the first content line named [name] in an iCalendar text. */
fun icalValue(ics: String, name: String): String? =
    ics.split("\r\n").firstOrNull { it.startsWith("$name:") }?.removePrefix("$name:")

fun calendarExport() {
    section("iCalendar export (RFC 5545): stable UIDs, SEQUENCE, STATUS")
    val fixture = Fixture()
    val engine = fixture.engine
    val e = engine
    val t = Actor.Teacher(teacher)
    val s = students[0]
    val monday = e.publishSlot(t, teacher, weeklyUtc(Weekday.MONDAY, "14:00", "15:00")).value
    val series = e.bookSeries(Actor.Student(s),
        SeriesRequest(monday.id, s, at("2030-03-11T14:00:00Z"), 1u, SeriesEnd.Count(3u), SeriesMode.ALL_OR_NOTHING)).value
    val lesson = series.lessons[0]

    // region: readme-kotlin-rules
    // A student moves a lesson; its calendar entry keeps its UID and gets a higher SEQUENCE,
    // so calendar apps move the event instead of adding a second one.
    val before = engine.bookingIcal(Actor.System, lesson.id)
    val moved = engine.rescheduleLesson(Actor.Student(s), lesson.id, monday.id, Instant.parse("2030-04-01T14:00:00Z"))
    val after = engine.bookingIcal(Actor.System, lesson.id)
    expect(icalValue(after, "UID") == "booking-${lesson.id}@booking-engine", "stable UID")
    expect(icalValue(after, "UID") == icalValue(before, "UID"), "the same UID as before the move")
    expect(icalValue(after, "SEQUENCE")!!.toInt() > icalValue(before, "SEQUENCE")!!.toInt(), "a higher SEQUENCE")
    expect(icalValue(after, "DTSTART") == "20300401T140000Z", "the new time")
    // endregion
    expect(moved.value.id == lesson.id, "rescheduled")

    val all = e.lessonsIcal(Actor.System, series.lessons.map { it.id })
    for (l in series.lessons) expect(all.contains("\r\nUID:booking-${l.id}@booking-engine\r\n"), "the series holds ${l.id}")

    val session = e.createSession(t, newGroupSession(1u, true)).value
    val seat = e.bookSeat(Actor.Student(s), session.id, s).value
    val sessionIcs = e.sessionIcal(Actor.System, session.id)
    expect(icalValue(sessionIcs, "UID") == "session-${session.id}@booking-engine", "the session's UID")
    expect(icalValue(e.bookingIcal(Actor.System, seat.id), "UID") == "booking-${seat.id}@booking-engine", "a seat booking has its own UID")
    expectError<BookingException.BookingNotFound>("booking_not_found", "exporting an unknown booking") { e.bookingIcal(Actor.System, uid(999_998)) }
    expectError<BookingException.InvalidInput>("invalid_input", "exporting no lessons") { e.lessonsIcal(Actor.System, emptyList()) }

    // The host chooses the UIDs' domain (once: a new one makes apps see new events) and the PRODID.
    val ical = IcalOptions("school.example.com", prodid = "-//School//Lessons//EN")
    expect(ical.uidDomain() == "school.example.com" && ical.prodid() == "-//School//Lessons//EN", "IcalOptions keeps its values")
    val school = Engine.inMemory(fixture.store, clock = fixture.clock, ical = ical)
    val ours = school.sessionIcal(Actor.System, session.id)
    expect(icalValue(ours, "UID") == "session-${session.id}@school.example.com", "the host's UID domain")
    expect(icalValue(ours, "PRODID") == "-//School//Lessons//EN", "the host's PRODID")
    expect(icalValue(school.bookingIcal(Actor.System, seat.id), "UID") == "booking-${seat.id}@school.example.com", "also for bookings")
    expectError<BookingException.InvalidInput>("invalid_input", "a UID domain with a space") { IcalOptions("my school") }
    expectError<BookingException.InvalidInput>("invalid_input", "a blank PRODID") { IcalOptions("example.com", prodid = " ") }
}

/**
 * Runs [block], which must be refused as invalid input (`InvalidInput`, or its kin `TooLarge`,
 * `UnknownTimeZone`, `InvalidMeetingLink`) with a detail that names one of [names].
 */
fun expectInvalid(what: String, vararg names: String, block: () -> Unit) {
    try {
        block()
        expect(false, "$what: expected an invalid-input error, nothing was thrown")
    } catch (e: BookingException) {
        val invalid = e is BookingException.InvalidInput || e is BookingException.TooLarge ||
            e is BookingException.UnknownTimeZone || e is BookingException.InvalidMeetingLink
        expect(invalid, "$what: expected an invalid-input error, got ${e::class.simpleName} (${e.message})")
        expect(names.any { e.errorDetail().contains(it) }, "$what: the detail names none of ${names.toList()}: ${e.errorDetail()}")
    }
}

fun hostileInputs() {
    section("hostile inputs: integers out of the engine's range, lone surrogates, NUL, extreme instants")
    val store = InMemoryStore()
    val clock = ManualClock(t0)
    // No rule bounds the attempts: any UInt is taken as it is.
    val engine = Engine.inMemory(store, clock = clock, maxAttempts = UInt.MAX_VALUE)
    val t = Actor.Teacher(teacher)
    val s = engine.createSession(t, newGroupSession(3u, true)).value
    val slot = engine.publishSlot(t, teacher, weeklyUtc(Weekday.MONDAY, "10:00", "11:00")).value
    val monday = starts(engine, 14).first()
    val student = students[0]
    val state = { listOf(engine.session(Actor.System, s.id), engine.slots(Actor.System, teacher), engine.activeLessons(Actor.System, student), engine.rulesForCourse(Actor.System, teacher, null)) }
    val before = state()
    val unchanged = { state() == before }

    // Every UInt the engine's range leaves out (it is narrower than the type) is refused naming the field.
    for (n in listOf(0u, 10_001u, Int.MAX_VALUE.toUInt() + 1u, UInt.MAX_VALUE)) {
        expectInvalid("capacity $n", "capacity") { engine.createSession(t, newGroupSession(n, false)) }
        expectInvalid("changing the capacity to $n", "capacity") { engine.changeCapacity(t, s.id, n) }
    }
    for (n in listOf(0u, 24u * 60u + 1u, UInt.MAX_VALUE)) {
        expectInvalid("duration $n", "duration_minutes") { engine.createSession(t, newGroupSession(3u, false).copy(durationMinutes = n)) }
    }
    for (n in listOf(0u, 4u, UInt.MAX_VALUE)) {
        expectInvalid("$n seats", "seats") { engine.bookSeats(Actor.Student(student), s.id, student, n) }
    }
    for (n in listOf(0u, 7u * 24u * 60u + 1u, UInt.MAX_VALUE)) {
        expectInvalid("an offer held $n minutes", "hold_minutes") {
            engine.createSession(t, newGroupSession(3u, true).copy(waitlistMode = WaitlistMode.Offer(n)))
        }
    }
    for (n in listOf(0u, 53u, UInt.MAX_VALUE)) {
        expectInvalid("every $n weeks", "every_weeks") {
            engine.bookSeries(Actor.Student(student), SeriesRequest(slot.id, student, monday, n, SeriesEnd.Count(2u), SeriesMode.ALL_OR_NOTHING))
        }
    }
    expectInvalid("a series of 0 lessons", "end") {
        engine.bookSeries(Actor.Student(student), SeriesRequest(slot.id, student, monday, 1u, SeriesEnd.Count(0u), SeriesMode.ALL_OR_NOTHING))
    }
    expectError<BookingException.TooLarge>("too_large", "a series of UInt.MAX_VALUE lessons") {
        engine.bookSeries(Actor.Student(student), SeriesRequest(slot.id, student, monday, 1u, SeriesEnd.Count(UInt.MAX_VALUE), SeriesMode.ALL_OR_NOTHING))
    }
    val rules = listOf(
        "min_notice_minutes" to SchedulingRules(minNoticeMinutes = UInt.MAX_VALUE),
        "max_advance_days" to SchedulingRules(maxAdvanceDays = UInt.MAX_VALUE),
        "buffer_before_minutes" to SchedulingRules(bufferBeforeMinutes = UInt.MAX_VALUE),
        "buffer_after_minutes" to SchedulingRules(bufferAfterMinutes = UInt.MAX_VALUE),
        "cancel_cutoff_minutes" to SchedulingRules(cancelCutoffMinutes = UInt.MAX_VALUE),
        "reschedule_cutoff_minutes" to SchedulingRules(rescheduleCutoffMinutes = UInt.MAX_VALUE),
        "max_lessons_per_day" to SchedulingRules(maxLessonsPerDay = 0u),
        "max_lessons_per_week" to SchedulingRules(maxLessonsPerWeek = UInt.MAX_VALUE),
        "max_upcoming_lessons_per_student" to SchedulingRules(maxUpcomingLessonsPerStudent = UInt.MAX_VALUE),
    )
    for ((field, r) in rules) {
        expectInvalid("rules with $field out of range", field) { engine.setSchedulingRules(t, teacher, null, r) }
        expectInvalid("a slot with $field out of range", field) {
            engine.publishSlot(t, teacher, weeklyUtc(Weekday.TUESDAY, "10:00", "11:00").copy(rules = r))
        }
    }

    // A Kotlin String may hold a lone surrogate, which UTF-8 cannot carry: uniffi's encoder
    // refuses it (CharacterCodingException) in Kotlin, before anything reaches the engine.
    for (text in listOf("\uD800", "Chess \uDC00 openings")) {
        try {
            engine.createSession(t, newGroupSession(3u, false).copy(title = text))
            expect(false, "a title with a lone surrogate: expected CharacterCodingException")
        } catch (e: java.nio.charset.CharacterCodingException) {
            expect(true, "a lone surrogate is refused in Kotlin")
        }
        try {
            engine.session(Actor.System, text)
            expect(false, "an id with a lone surrogate: expected CharacterCodingException")
        } catch (e: java.nio.charset.CharacterCodingException) {
            expect(true, "a lone surrogate is refused in Kotlin")
        }
    }
    // NUL crosses as it is; the engine names the field it refuses it in.
    expectInvalid("a NUL in an id", "session_id") { engine.session(Actor.System, "\u0000") }
    expectInvalid("a NUL in a request key", "request_key") { engine.cancelSession(t, s.id, key = "a\u0000b") }
    expectInvalid("a NUL in a zone", "time zone") { engine.createSession(t, newGroupSession(3u, false).copy(timeZone = "\u0000")) }
    expectInvalid("a NUL for a meeting link", "meeting link") {
        engine.createSession(t, newGroupSession(3u, false).copy(meetingLink = "\u0000"))
    }
    // Within free text, a NUL is the engine's to keep or refuse, naming the field; never anything else.
    for ((field, new) in listOf(
        "title" to newGroupSession(3u, false).copy(title = "Chess\u0000openings"),
        "meeting link" to newGroupSession(3u, false).copy(meetingLink = "https://meet.example.com/a\u0000b"),
    )) {
        try {
            val made = engine.createSession(t, new).value
            expect(made.title == new.title && made.meetingLink == new.meetingLink, "a NUL in the $field is kept as it is")
            engine.cancelSession(t, made.id)
        } catch (e: BookingException) {
            expect(e.errorDetail().contains(field), "a NUL in the $field is refused naming it: ${e.errorDetail()}")
        }
    }
    // Instants beyond what the engine represents.
    for (instant in listOf(Instant.MAX, Instant.MIN)) {
        expectInvalid("a session starting at $instant", "starts_at", "instant") { engine.createSession(t, newGroupSession(3u, false, instant)) }
        expectInvalid("the clock set to $instant", "instant") { clock.set(instant) }
    }
    val now = clock.now()
    expectInvalid("moving the clock 300,000 years on", "delta") { clock.advance(Duration.ofDays(365L * 300_000)) }
    expectInvalid("moving the clock Long.MAX_VALUE seconds on", "delta") { clock.advance(Duration.ofSeconds(Long.MAX_VALUE)) }
    expect(clock.now() == now, "a refused move leaves the clock")
    expect(unchanged(), "nothing refused changed anything")
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
            expect(outbox.map { it.event.name() } == listOf("session_created", "booking_confirmed", "booking_waitlisted"),
                "outbox: ${outbox.map { it.event.name() }}")
            expect(store.deleteEventsThrough(outbox.last().id) == 3uL, "outbox drained")
            // Retention, an operator's action: request records and outbox events by age.
            val later = t0.plus(Duration.ofHours(1))
            clock.set(later)
            val left = engine.bookSeat(Actor.Student(students[2]), s.id, students[2], key = "k-2").value
            engine.cancelBooking(Actor.Student(students[2]), left.id)
            expect(engine.session(Actor.System, s.id).bookings.size == 2, "the cancelled booking left the session")
            expect(engine.seatBooking(Actor.System, left.id).status == SeatStatus.CANCELLED, "and is read by id from the history")
            expect(engine.pruneRequests(later) == 0uL, "nothing recorded before the instant")
            expect(engine.pruneRequests(later.plusSeconds(1)) == 1uL, "the keyed booking's record pruned")
            val afresh = engine.bookSeat(Actor.Student(students[2]), s.id, students[2], key = "k-2")
            expect(!afresh.replayed, "a pruned key is decided afresh")
            engine.cancelBooking(Actor.Student(students[2]), afresh.value.id)
            expect(store.pruneEvents(later) == 0uL, "no event before the instant")
            expect(store.pruneEvents(later.plusSeconds(1)) == 4uL, "the events of the last hour pruned")
            clock.set(t0)
            store.checkIntegrity()
        }
        val reopened = Engine.sqlite(SqliteStore.open(path), clock = clock)
        val s = reopened.session(Actor.System, id)
        expect(s.bookedSeats() == 1u && s.waitlistedCount() == 1u, "the bookings survive reopening the file")
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
    expect(engine.session(Actor.System, s.id).bookedSeats() == 5u, "20 threads, 5 seats: exactly 5 taken")

    // A store bound to its caller's thread (a thread-confined database handle) takes
    // groupCommit = false: each commit then runs on the thread of the command it carries (with
    // group commit, a batch runs on the thread of the command leading it).
    val caller = ThreadLocal<Actor>()
    val elsewhere = java.util.concurrent.atomic.AtomicInteger()
    val confinedInner = KotlinDocumentStore()
    val confined = object : DocumentStore by confinedInner {
        override fun commit(commit: DocumentCommit) {
            if (commit.events.any { it.actor != caller.get() }) elsewhere.incrementAndGet()
            confinedInner.commit(commit)
        }
    }
    val oneThread = Engine.withDocumentStore(confined, groupCommit = false)
    caller.set(Actor.Teacher(teacher))
    val r = oneThread.createSession(Actor.Teacher(teacher), newGroupSession(5u, false, Instant.now().plus(Duration.ofDays(1)))).value
    val confinedThreads = students.map { student ->
        Thread {
            caller.set(Actor.Student(student))
            runCatching { oneThread.bookSeat(Actor.Student(student), r.id, student) }
        }
    }
    confinedThreads.forEach { it.start() }
    confinedThreads.forEach { it.join() }
    expect(oneThread.session(Actor.System, r.id).bookedSeats() == 5u, "group commit off: exactly 5 taken")
    expect(elsewhere.get() == 0 && oneThread.counters().batches == 0uL, "group commit off: every commit on its own caller's thread")
}

fun readSide() {
    section("the read side over a store written in Kotlin: agendas, approval queue, roster, what starts, outbox")
    val inner = KotlinDocumentStore()
    val course = uid(800)
    val store = object : DocumentStore by inner {
        override fun approvalSettings(courseId: String, teacherId: String) =
            ApprovalSettings(course = courseId == course, teacherOverride = null)
    }
    val e = Engine.withDocumentStore(store, clock = ManualClock(t0))
    val t = Actor.Teacher(teacher)
    val (ana, ben) = students[0] to students[1]
    val (from, to) = t0 to t0.plus(Duration.ofDays(30))

    // Ana books two sessions: her agenda lists both, by start, one page at a time.
    val early = e.createSession(t, newGroupSession(5u, false)).value
    val late = e.createSession(t, newGroupSession(5u, false, t0.plus(Duration.ofDays(2)))).value
    val seat = e.bookSeat(Actor.Student(ana), early.id, ana).value
    e.bookSeat(Actor.Student(ana), late.id, ana)
    val first = e.studentAgenda(Actor.Student(ana), ana, from, to, limit = 1u)
    expect(first.items.single().bookingId == seat.id && first.items.single().status == AgendaStatus.CONFIRMED &&
        first.items.single().kind == AgendaKind.SESSION && first.items.single().meetingLink == "https://meet.example.com/group",
        "a student's agenda shows their booking")
    val next = first.next
    expect(next != null, "more may follow")
    val second = e.studentAgenda(Actor.Student(ana), ana, from, to, limit = 1u, after = next)
    expect(second.items.single().sessionId == late.id, "the next page: ${second.items}")
    val waiting = e.studentAgenda(Actor.Student(ana), ana, from, to, 10u, statuses = listOf(AgendaStatus.WAITLISTED))
    expect(waiting.items.isEmpty() && waiting.next == null, "filtered by status")

    // Ben asks for a lesson in a course that needs approval: the teacher's queue lists it.
    inner.enroll(ben, course)
    val slot = e.publishSlot(t, teacher, oneTimeUtc("2030-03-07T10:00", "2030-03-07T11:00").copy(courseId = course)).value
    val pending = e.bookLesson(Actor.Student(ben), slot.id, at("2030-03-07T10:00:00Z"), ben).value
    val queue = e.approvalQueue(t, teacher, 50u)
    expect(queue.items.map { it.bookingId } == listOf(pending.id) && queue.items.single().studentId == ben &&
        queue.next == null, "the approval queue lists the pending lesson")
    val teacherAgenda = e.teacherAgenda(t, teacher, from, to, 50u)
    expect(teacherAgenda.items.map { it.kind } == listOf(AgendaKind.SESSION, AgendaKind.SESSION, AgendaKind.LESSON) &&
        teacherAgenda.items[2].lessonStatus == LessonStatus.PENDING && teacherAgenda.items[0].seatsTaken == 1u,
        "the teacher's agenda: ${teacherAgenda.items}")
    val roster = e.roster(t, early.id, 50u)
    expect(roster.entries.items.single().studentId == ana && roster.seatsTaken == 1u && roster.capacity == 5u,
        "the roster lists Ana")
    val starting = e.startingBetween(Actor.System, from, to, 50u)
    expect(starting.items.map { it.sessionId } == listOf(early.id, late.id), "what starts (a pending lesson does not)")

    // Who may read what.
    expectError<BookingException.NotAuthorized>("not_authorized", "another student's agenda") {
        e.studentAgenda(Actor.Student(ben), ana, from, to, 10u)
    }
    expectError<BookingException.NotAuthorized>("not_authorized", "the outbox, as a teacher") { e.outbox(t, 0uL, 10u) }
    expectInvalid("a page of 0", "limit") { e.studentAgenda(Actor.Student(ana), ana, from, to, 0u) }
    expectInvalid("a page of 501", "limit") { e.approvalQueue(t, teacher, 501u) }
    expectInvalid("a token that is no token", "page_token") { e.teacherAgenda(t, teacher, from, to, 10u, after = "bad token") }
    expectInvalid("a roster token that is no roster token", "page_token") { e.roster(t, early.id, 10u, after = "x") }
    expectInvalid("a window that ends before it starts", "window") { e.startingBetween(Actor.System, to, from, 10u) }
    expectInvalid("a window of 401 days", "window") { e.studentAgenda(Actor.Student(ana), ana, from, from.plus(Duration.ofDays(401)), 10u) }

    // The outbox: every event in commit order; acknowledging the last one empties it.
    val events = e.outbox(Actor.System, 0uL, 100u)
    expect(events.first().event.name() == "session_created" && events.last().event.name() == "lesson_requested" &&
        events.zipWithNext().all { (a, b) -> a.position < b.position }, "the outbox: ${events.map { it.event.name() }}")
    expect(e.outbox(Actor.System, events[1].position, 100u).size == events.size - 2, "after a position")
    expect(e.acknowledgeOutbox(Actor.Admin(uid(900)), events.last().position) == events.size.toULong(), "acknowledged")
    expect(e.outbox(Actor.System, 0uL, 100u).isEmpty(), "acknowledging empties it")
}

fun main() {
    val started = System.nanoTime()
    readmeQuickstart()
    groupScenarios()
    lessonScenarios()
    errorCodes()
    everyTypeCrosses()
    offerSweepFailures()
    calendarExport()
    hostileInputs()
    sqliteStore()
    conformance()
    readSide()

    // Every code of the core has been triggered through real calls, each as its own exception class.
    val all = allErrorCodes()
    expect(all.size == 33 && all.toSet().size == all.size, "33 distinct codes: $all")
    expect(codesSeen == all.toSortedSet(), "codes not triggered: ${all.toSortedSet() - codesSeen}")
    val ms = (System.nanoTime() - started) / 1_000_000
    println("kotlin: $checks checks, $failures failed, ${codesSeen.size} error codes seen (${ms} ms)")
    if (failures > 0) exitProcess(1)
}
