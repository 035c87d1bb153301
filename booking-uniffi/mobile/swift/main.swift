// The Swift test program of booking-uniffi, compiled with swiftc (inside a Debian trixie root)
// and run by scripts/test-mobile against the generated bindings and the built library. It checks
// the glue: it plays the seed's scenarios once, makes every type, every event kind and every
// store callback cross the boundary (over a store written in Swift), triggers every error code
// through real calls, tries hostile inputs, uses the SQLite store in a temporary directory, and
// runs the core's conformance suite (where the scheduling rules are checked) against a document
// store written in Swift. Exits non-zero on any failure.
//
// The regions between "// region: readme-…" and "// endregion" are quoted verbatim in
// booking-uniffi/README.md (scripts/test-mobile checks that they match).

import Dispatch
import Foundation

var failures = 0
var checks = 0
var codesSeen = Set<String>()

func expect(_ condition: Bool, _ what: String) {
    checks += 1
    if !condition {
        failures += 1
        print("FAIL: \(what)")
    }
}

/// The case name a code maps to: `session_full` -> `SessionFull` (`store_error` -> `Store`).
func caseName(_ code: String) -> String {
    if code == "store_error" { return "Store" }
    return code.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

/// Runs `block`, which must throw the `BookingError` case of `code`.
func expectError(_ code: String, _ what: String, _ block: () throws -> Void) {
    do {
        try block()
        expect(false, "\(what): expected \(code), nothing was thrown")
    } catch let e as BookingError {
        let name = String(String(describing: e).prefix(while: { $0 != "(" }))
        expect(name == caseName(code), "\(what): expected case \(caseName(code)), got \(name)")
        expect(e.errorCode() == code, "\(what): expected code \(code), got \(e.errorCode())")
        expect(!e.errorDetail().isEmpty, "\(what): the error has a detail")
        codesSeen.insert(e.errorCode())
    } catch {
        expect(false, "\(what): expected BookingError, got \(error)")
    }
}

func section(_ name: String) { print("--- \(name)") }

func uid(_ n: Int) -> String { String(format: "00000000-0000-0000-0000-%012d", n) }

func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

let day: TimeInterval = 86_400
let t0 = instant("2030-03-04T09:00:00Z")  // a Monday
let teacher = uid(1)
let students = (1...20).map { uid(100 + $0) }

func newGroupSession(_ capacity: UInt32, waitlist: Bool, startsAt: Date = t0.addingTimeInterval(day)) -> NewGroupSession {
    NewGroupSession(
        teacherId: teacher, courseId: nil, title: "Group session", startsAt: startsAt, timeZone: "Europe/Paris",
        durationMinutes: 60, meetingLink: "https://meet.example.com/group", capacity: capacity,
        waitlistEnabled: waitlist, waitlistMode: .promote)
}

// ---------------------------------------------------------------------------------------------
// A document store written in Swift: the reference MemoryDocumentStore of booking-core, ported.
// Thread-safe: every method holds one lock (the conformance suite calls it from several threads).
// ---------------------------------------------------------------------------------------------

struct DocumentKey: Hashable {
    let kind: AggregateKind
    let id: String
}

// region: readme-swift-store
final class SwiftDocumentStore: DocumentStore, @unchecked Sendable {
    private let lock = NSLock()
    private var documents: [DocumentKey: Document] = [:]
    private var bookings: [String: BookingLocation] = [:]
    private var slots: [String: String] = [:]
    private var requests: [String: (body: String, recordedAt: Date)] = [:]
    private var finished: [String: String] = [:]
    private var enrollments = Set<String>()
    private var offerDeadlines: [String: Date] = [:]
    // The read index: per "index\npartition", sort key to the aggregate listed; each aggregate's entries.
    private var lists: [String: [String: DocumentKey]] = [:]
    private var entriesOf: [DocumentKey: [IndexEntry]] = [:]
    private var outbox: [OutboxDocument] = []
    private var outboxLast: UInt64 = 0

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func load(kind: AggregateKind, id: String) throws -> Document? {
        locked { documents[DocumentKey(kind: kind, id: id)] }
    }

    func locateBooking(id: String) throws -> BookingLocation? { locked { bookings[id] } }

    func locateSlot(id: String) throws -> String? { locked { slots[id] } }

    func loadRequest(scope: String, key: String) throws -> String? { locked { requests[scope + "\n" + key]?.body } }

    func commit(commit: DocumentCommit) throws {
        try locked {
            // Check everything first, then apply: all or nothing.
            for write in commit.writes {
                let stored = documents[DocumentKey(kind: write.kind, id: write.id)]?.version ?? 0
                if stored != write.expectedVersion { throw StoreError.Conflict(detail: "\(write.kind) \(write.id)") }
            }
            if let request = commit.request, requests[request.scope + "\n" + request.key] != nil {
                throw StoreError.DuplicateRequest
            }
            for write in commit.writes {
                let key = DocumentKey(kind: write.kind, id: write.id)
                documents[key] = Document(version: write.version, body: write.body)
                if write.kind == .session { offerDeadlines[write.id] = write.offerDeadline }
                // Replace the aggregate's read-index entries.
                for old in entriesOf.removeValue(forKey: key) ?? [] {
                    lists[old.index + "\n" + old.partition]?.removeValue(forKey: old.sort)
                }
                for entry in write.readEntries { lists[entry.index + "\n" + entry.partition, default: [:]][entry.sort] = key }
                entriesOf[key] = write.readEntries
            }
            // The events, at the next positions: assigned under the lock, so they grow in commit order.
            for event in commit.outbox {
                outboxLast += 1
                outbox.append(OutboxDocument(position: outboxLast, body: event))
            }
            for booking in commit.newBookings { bookings[booking.bookingId] = booking.location }
            for slot in commit.newSlots { slots[slot.slotId] = slot.teacherId }
            for booking in commit.finishedBookings { finished[booking.bookingId] = booking.body }
            if let request = commit.request {
                requests[request.scope + "\n" + request.key] = (request.body, request.recordedAt)
            }
        }
    }

    func loadFinishedBooking(id: String) throws -> String? { locked { finished[id] } }

    func pruneRequests(recordedBefore: Date) throws -> UInt64 {
        locked {
            let old = requests.filter { $0.value.recordedAt < recordedBefore }.map { $0.key }
            for key in old { requests.removeValue(forKey: key) }
            return UInt64(old.count)
        }
    }

    func approvalSettings(courseId: String, teacherId: String) throws -> ApprovalSettings {
        ApprovalSettings(course: nil, teacherOverride: nil)
    }

    func isEnrolled(studentId: String, courseId: String) throws -> Bool {
        locked { enrollments.contains(studentId + "\n" + courseId) }
    }

    func sessionsWithOffersDue(until: Date) throws -> [String] {
        locked { offerDeadlines.filter { $0.value <= until }.sorted { $0.value < $1.value }.map { $0.key } }
    }

    func readIndex(index: String, partition: String, after: String, before: String, limit: UInt32) throws -> [DocumentHit] {
        locked {
            let below = { (a: String, b: String) in a.utf8.lexicographicallyPrecedes(b.utf8) }  // byte-wise
            let listed = (lists[index + "\n" + partition] ?? [:]).filter { below(after, $0.key) && below($0.key, before) }
            return listed.sorted { below($0.key, $1.key) }.prefix(Int(limit)).compactMap { hit in
                documents[hit.value].map { DocumentHit(sort: hit.key, kind: hit.value.kind, id: hit.value.id, document: $0) }
            }
        }
    }

    func readOutbox(after: UInt64, limit: UInt32) throws -> [OutboxDocument] {
        locked { Array(outbox.filter { $0.position > after }.prefix(Int(limit))) }
    }

    func acknowledgeOutbox(upTo: UInt64) throws -> UInt64 {
        locked {
            let before = outbox.count
            outbox.removeAll { $0.position <= upTo }
            return UInt64(before - outbox.count)
        }
    }
}
// endregion

/// A store that breaks in a chosen way, to see each failure arrive as its error code.
final class BrokenStore: DocumentStore, @unchecked Sendable {
    let inner: SwiftDocumentStore
    let how: String
    init(_ inner: SwiftDocumentStore, _ how: String) {
        self.inner = inner
        self.how = how
    }

    func load(kind: AggregateKind, id: String) throws -> Document? {
        switch how {
        case "corrupt": return try inner.load(kind: kind, id: id).map { Document(version: $0.version, body: "{not json") }
        case "backend": throw StoreError.Backend(detail: "disk on fire")
        case "unavailable": throw StoreError.Unavailable(detail: "the database server is not answering")
        case "unexpected": throw CocoaError(.featureUnsupported)
        default: return try inner.load(kind: kind, id: id)
        }
    }
    func locateBooking(id: String) throws -> BookingLocation? { try inner.locateBooking(id: id) }
    func locateSlot(id: String) throws -> String? { try inner.locateSlot(id: id) }
    func loadRequest(scope: String, key: String) throws -> String? { try inner.loadRequest(scope: scope, key: key) }
    func commit(commit: DocumentCommit) throws {
        if how == "conflict" { throw StoreError.Conflict(detail: "always") }
        try inner.commit(commit: commit)
    }
    func approvalSettings(courseId: String, teacherId: String) throws -> ApprovalSettings {
        try inner.approvalSettings(courseId: courseId, teacherId: teacherId)
    }
    func isEnrolled(studentId: String, courseId: String) throws -> Bool {
        try inner.isEnrolled(studentId: studentId, courseId: courseId)
    }
    func sessionsWithOffersDue(until: Date) throws -> [String] { try inner.sessionsWithOffersDue(until: until) }
    func loadFinishedBooking(id: String) throws -> String? { try inner.loadFinishedBooking(id: id) }
    func pruneRequests(recordedBefore: Date) throws -> UInt64 { try inner.pruneRequests(recordedBefore: recordedBefore) }
    func readIndex(index: String, partition: String, after: String, before: String, limit: UInt32) throws -> [DocumentHit] {
        try inner.readIndex(index: index, partition: partition, after: after, before: before, limit: limit)
    }
    func readOutbox(after: UInt64, limit: UInt32) throws -> [OutboxDocument] { try inner.readOutbox(after: after, limit: limit) }
    func acknowledgeOutbox(upTo: UInt64) throws -> UInt64 { try inner.acknowledgeOutbox(upTo: upTo) }
}

final class Links: MeetingLinkGenerator, @unchecked Sendable {
    func meetingLink(lesson: Lesson) throws -> String? { "https://meet.example.com/lesson-\(lesson.id)" }
}

final class SwiftStoreFactory: StoreFactory, @unchecked Sendable {
    func newStore() throws -> DocumentStore { SwiftDocumentStore() }
}

// ---------------------------------------------------------------------------------------------

func readmeQuickstart() throws {
    let teacher = uid(1)
    let (ana, ben) = (uid(2), uid(3))
    // region: readme-swift-quickstart
    let clock = try ManualClock(now: ISO8601DateFormatter().date(from: "2030-05-01T08:00:00Z")!)
    let engine = Engine.inMemory(store: InMemoryStore(), clock: clock)
    let session = try engine.createSession(
        actor: .teacher(teacher),
        session: NewGroupSession(
            teacherId: teacher, courseId: nil, title: "Chess openings",
            startsAt: ISO8601DateFormatter().date(from: "2030-05-02T17:00:00Z")!, timeZone: "Europe/Paris",
            durationMinutes: 90, meetingLink: "https://meet.example.com/chess", capacity: 1, waitlistEnabled: true,
            waitlistMode: .promote)
    ).value

    let first = try engine.bookSeat(actor: .student(ana), sessionId: session.id, studentId: ana).value
    let second = try engine.bookSeat(actor: .student(ben), sessionId: session.id, studentId: ben).value
    expect(second.status == .waitlisted, "Ben is waitlisted")

    // Ana cancels: Ben is promoted in the same step, and the events say so.
    let receipt = try engine.cancelBooking(actor: .student(ana), bookingId: first.id)
    expect(try receipt.events.map { try $0.name() } == ["booking_cancelled", "booking_promoted"], "events")
    expect(try engine.seatBooking(actor: .system, bookingId: second.id).status == .confirmed, "Ben is confirmed")

    // Refusals are thrown errors carrying the core's stable code.
    do {
        _ = try engine.bookSeat(actor: .student(ben), sessionId: session.id, studentId: ben)
    } catch BookingError.AlreadyBooked(let code, _) {
        expect(code == "already_booked", "the code travels with the error")
    }

    // My bookings: Ben's agenda for May, a page of at most 20 (pass `next` as `after` for more).
    let mine = try engine.studentAgenda(
        actor: .student(ben), studentId: ben, from: clock.now(),
        to: ISO8601DateFormatter().date(from: "2030-06-01T00:00:00Z")!, limit: 20)
    expect(mine.items.map { $0.sessionId } == [session.id] && mine.items[0].status == .confirmed, "my bookings")
    // endregion
}

func groupScenarios() throws {
    section("group sessions (seed scenarios)")
    let clock = try ManualClock(now: t0)
    let engine = Engine.inMemory(store: InMemoryStore(), clock: clock)
    let t = Actor.teacher(teacher)

    // 1. Create session: 10 seats, no waitlist.
    let created = try engine.createSession(actor: t, session: newGroupSession(10, waitlist: false))
    let s = created.value
    expect(try s.capacity == 10 && s.remainingSeats() == 10 && s.version == 1, "created with 10 free seats")
    if case .sessionCreated = created.events[0].kind {} else { expect(false, "session_created event") }
    expect(s.startsAt == t0.addingTimeInterval(day), "instants cross as Date")
    expect(try engine.bookingAvailability(actor: .system, sessionId: s.id) == .open, "open")

    // 2. Book to capacity: all confirmed, booking closes.
    for i in 0..<10 {
        let r = try engine.bookSeat(actor: .student(students[i]), sessionId: s.id, studentId: students[i])
        expect(r.value.status == .confirmed, "student \(i) confirmed")
        if i == 9 { expect(try r.events.contains { try $0.name() == "session_closed" }, "the 10th booking closes the session") }
    }
    let full = try engine.session(actor: t, sessionId: s.id)
    expect(try full.isFull() && full.isClosedForBooking() && full.bookedSeats() == 10, "full and closed")
    // Reads are checked against who asks: a student reads the summary (counts, their own
    // booking and the link once they have their seat), never another student's booking.
    let seen = try engine.sessionSummary(actor: .student(students[3]), sessionId: s.id)
    expect(seen.seatsRemaining == 0 && seen.ownBooking?.bookingId == full.bookings[3].id
           && seen.meetingLink == full.meetingLink, "a student's summary: no seat left, their own booking, the link")
    let stranger = try engine.sessionSummary(actor: .student(students[12]), sessionId: s.id)
    expect(stranger.ownBooking == nil && stranger.meetingLink == nil, "no booking, no link")
    expectError("not_authorized", "a student reading the whole session") {
        _ = try engine.session(actor: .student(students[3]), sessionId: s.id)
    }
    expectError("not_authorized", "a student reading another's booking") {
        _ = try engine.seatBooking(actor: .student(students[3]), bookingId: full.bookings[4].id)
    }
    expect(try engine.bookingAvailability(actor: .system, sessionId: s.id) == .closed, "closed (booking_closed)")

    // 3. Try to overbook.
    expectError("session_full", "11th student") {
        _ = try engine.bookSeat(actor: .student(students[10]), sessionId: s.id, studentId: students[10])
    }
    let reopened = try engine.cancelBooking(actor: .student(students[0]), bookingId: full.bookings[0].id)
    expect(try reopened.events.map { try $0.name() } == ["booking_cancelled", "session_reopened"], "cancel reopens")

    // 4. With waitlist: 15 students on 10 seats.
    let w = try engine.createSession(actor: t, session: newGroupSession(10, waitlist: true)).value
    let booked = try (0..<15).map {
        try engine.bookSeat(actor: .student(students[$0]), sessionId: w.id, studentId: students[$0]).value
    }
    expect(booked.filter { $0.status == .confirmed }.count == 10, "10 confirmed")
    expect(booked.filter { $0.status == .waitlisted }.count == 5, "5 waitlisted")
    expect(try engine.bookingAvailability(actor: .system, sessionId: w.id) == .waitlistOnly, "waitlist only")

    // 5. Cancel and promote.
    let cancel = try engine.cancelBooking(actor: .student(students[3]), bookingId: booked[3].id)
    let promoted = cancel.events.compactMap { event -> String? in
        if case .bookingPromoted(_, let bookingId, _) = event.kind { return bookingId }
        return nil
    }
    expect(promoted == [booked[10].id], "the first waitlisted student is promoted")
    expect(try engine.session(actor: .system, sessionId: w.id).waitlistedCount() == 4, "4 left on the waitlist")

    // 6. The same student twice.
    expectError("already_booked", "same student twice") {
        _ = try engine.bookSeat(actor: .student(students[0]), sessionId: w.id, studentId: students[0])
    }

    // Capacity, waitlist, attendance, idempotent keys.
    let grown = try engine.changeCapacity(actor: t, sessionId: w.id, capacity: 12)
    expect(try grown.events.filter { try $0.name() == "booking_promoted" }.count == 2, "2 promoted into added seats")
    _ = try engine.setWaitlist(actor: t, sessionId: w.id, enabled: false)
    try clock.advance(delta: day + 300)
    expect(try engine.markAttendance(actor: t, bookingId: booked[0].id, attended: true).value.status == .attended,
           "attended")
    let later = newGroupSession(2, waitlist: false, startsAt: t0.addingTimeInterval(3 * day))
    let k = try engine.createSession(actor: t, session: later, key: "import-1")
    let again = try engine.createSession(actor: t, session: later, key: "import-1")
    expect(!k.replayed && again.replayed && again.value.id == k.value.id, "replayed under the same key")
    let cancelled = try engine.cancelSession(actor: t, sessionId: k.value.id)
    expect(try cancelled.value.isCancelled(), "session cancelled")

    // What the engine did, as a host's metrics endpoint samples it: every command counted once.
    let c = engine.counters()
    expect(c.commands == c.committed + c.unchanged + c.replayed + c.refused + c.contentionErrors + c.storeErrors,
           "every command counted once: \(c)")
    expect(c.refused == 2 && c.replayed == 1 && c.retries == 0 && c.storeErrors == 0, "2 refused, 1 replayed: \(c)")
    expect(c.batches == 0 && c.batchedCommits == 0, "one command at a time: no batch: \(c)")
}

func lessonScenarios() throws {
    section("1:1 lessons (seed scenarios)")
    let store = InMemoryStore()
    let clock = try ManualClock(now: t0)
    let engine = Engine.inMemory(store: store, clock: clock)
    let t = Actor.teacher(teacher)
    let course = uid(500)
    let (s1, s2, s3) = (students[0], students[1], students[2])

    let weekly = try engine.publishSlot(
        actor: t, teacherId: teacher,
        slot: SlotSpec(
            courseId: nil, timeZone: "Europe/Paris",
            recurrence: .weekly(weekday: .monday, startTime: "14:00", endTime: "15:00", validFrom: "2030-03-04",
                                validUntil: nil),
            active: true)
    ).value
    let oneTime = try engine.publishSlot(
        actor: t, teacherId: teacher,
        slot: SlotSpec(courseId: course, timeZone: "Europe/Paris",
                       recurrence: .oneTime(start: "2030-03-06T10:00", end: "2030-03-06T11:00"), active: true)
    ).value

    let query = OccurrenceQuery(teacherId: teacher, courseId: nil, studentId: s1, from: t0,
                                to: t0.addingTimeInterval(14 * day), timeZone: "Asia/Tokyo")
    let listed = try engine.listOccurrences(query: query)
    expect(listed.count == 2, "two Monday occurrences: \(listed.count)")
    expect(listed[0].startsAt == instant("2030-03-04T13:00:00Z"), "14:00 Paris is 13:00 UTC")
    expect(listed[0].viewerLocalStart == "2030-03-04T22:00", "student's wall time (Tokyo)")

    let lesson = try engine.bookLesson(actor: .student(s1), slotId: weekly.id, startsAt: listed[0].startsAt,
                                       studentId: s1).value
    expect(lesson.status == .confirmed, "booked without approval")
    expectError("slot_unavailable", "same occurrence twice") {
        _ = try engine.bookLesson(actor: .student(s2), slotId: weekly.id, startsAt: listed[0].startsAt,
                                  studentId: s2)
    }
    expect(try engine.listOccurrences(query: query).allSatisfy { $0.startsAt != listed[0].startsAt },
           "booked occurrence removed")

    try store.enroll(studentId: s2, courseId: course)
    try store.setCourseApproval(courseId: course, requiresApproval: true)
    let pending = try engine.bookLesson(actor: .student(s2), slotId: oneTime.id,
                                        startsAt: instant("2030-03-06T09:00:00Z"), studentId: s2)
    expect(pending.value.status == .pending, "pending approval")
    let approved = try engine.approveLesson(actor: t, bookingId: pending.value.id,
                                            meetingLink: "https://meet.example.com/1on1")
    expect(approved.value.status == .confirmed && approved.value.meetingLink == "https://meet.example.com/1on1",
           "approved with a meeting link")

    try store.setCourseApproval(courseId: course, requiresApproval: nil)
    let series = try engine.bookSeries(
        actor: .student(s3),
        series: SeriesRequest(slotId: weekly.id, studentId: s3, firstStartsAt: instant("2030-03-11T13:00:00Z"),
                              everyWeeks: 1, end: .count(4), mode: .allOrNothing)
    ).value
    expect(series.lessons.count == 4, "4 lessons in the series")
    expect(series.lessons[3].startsAt == instant("2030-04-01T12:00:00Z"), "summer time: 12:00 UTC")
    let cancelledLater = try engine.cancelSeriesFrom(actor: .student(s3), bookingId: series.lessons[1].id)
    expect(cancelledLater.value.count == 3, "the second and later lessons cancelled")

    // A meeting-link generator written in Swift, for lessons confirmed without a link.
    let linked = Engine.inMemory(store: InMemoryStore(), clock: try ManualClock(now: t0), meetingLinks: Links())
    let linkSlot = try linked.publishSlot(
        actor: t, teacherId: teacher,
        slot: SlotSpec(courseId: nil, timeZone: "UTC",
                       recurrence: .oneTime(start: "2030-03-08T10:00", end: "2030-03-08T11:00"), active: true)
    ).value
    let withLink = try linked.bookLesson(actor: .student(s1), slotId: linkSlot.id,
                                         startsAt: instant("2030-03-08T10:00:00Z"), studentId: s1).value
    expect(withLink.meetingLink == "https://meet.example.com/lesson-\(withLink.id)", "generated meeting link")

    _ = try engine.setSlotActive(actor: t, slotId: weekly.id, active: false)
    expect(try !engine.slot(slotId: weekly.id).active, "deactivated")
    try clock.set(now: instant("2030-03-04T13:30:00Z"))
    expect(try engine.markLessonAttendance(actor: t, bookingId: lesson.id, attended: true).value.status == .attended,
           "lesson attended")
}

func errorCodes() throws {
    section("every error code through real calls")
    let store = InMemoryStore()
    let clock = try ManualClock(now: t0)
    let engine = Engine.inMemory(store: store, clock: clock)
    let t = Actor.teacher(teacher)
    let nobody = uid(999_999)
    let st = { (i: Int) in Actor.student(students[i]) }

    expectError("invalid_input", "capacity 0") { _ = try engine.createSession(actor: t, session: newGroupSession(0, waitlist: false)) }
    var badZone = newGroupSession(1, waitlist: false)
    badZone.timeZone = "Mars/Olympus"
    expectError("unknown_time_zone", "zone") { _ = try engine.createSession(actor: t, session: badZone) }
    var badLink = newGroupSession(1, waitlist: false)
    badLink.meetingLink = "ftp://example.com"
    expectError("invalid_meeting_link", "link") { _ = try engine.createSession(actor: t, session: badLink) }
    expectError("start_in_past", "past") {
        _ = try engine.createSession(actor: t, session: newGroupSession(1, waitlist: false, startsAt: t0.addingTimeInterval(-day)))
    }
    expectError("too_large", "listing window") {
        _ = try engine.listOccurrences(query: OccurrenceQuery(teacherId: teacher, courseId: nil, studentId: nil, from: t0,
                                                              to: t0.addingTimeInterval(400 * day), timeZone: nil))
    }
    expectError("not_authorized", "student creating a session") {
        _ = try engine.createSession(actor: st(0), session: newGroupSession(1, waitlist: false))
    }
    expectError("session_not_found", "session") { _ = try engine.session(actor: .system, sessionId: nobody) }
    expectError("booking_not_found", "booking") { _ = try engine.seatBooking(actor: .system, bookingId: nobody) }
    expectError("slot_not_found", "slot") { _ = try engine.slot(slotId: nobody) }

    let s = try engine.createSession(actor: t, session: newGroupSession(2, waitlist: false)).value
    let b0 = try engine.bookSeat(actor: st(0), sessionId: s.id, studentId: students[0]).value
    _ = try engine.bookSeat(actor: st(1), sessionId: s.id, studentId: students[1])
    expectError("session_full", "full") { _ = try engine.bookSeat(actor: st(2), sessionId: s.id, studentId: students[2]) }
    expectError("already_booked", "twice") { _ = try engine.bookSeat(actor: st(0), sessionId: s.id, studentId: students[0]) }
    expectError("capacity_below_booked", "shrink") { _ = try engine.changeCapacity(actor: t, sessionId: s.id, capacity: 1) }
    expectError("session_not_started", "attendance before start") {
        _ = try engine.markAttendance(actor: t, bookingId: b0.id, attended: true)
    }
    _ = try engine.cancelBooking(actor: st(0), bookingId: b0.id)
    expectError("invalid_transition", "cancel twice") { _ = try engine.cancelBooking(actor: st(0), bookingId: b0.id) }
    let doomed = try engine.createSession(actor: t, session: newGroupSession(2, waitlist: false)).value
    _ = try engine.cancelSession(actor: t, sessionId: doomed.id)
    expectError("session_cancelled", "book a cancelled session") {
        _ = try engine.bookSeat(actor: st(0), sessionId: doomed.id, studentId: students[0])
    }

    let course = uid(600)
    let utc = { (start: String, end: String, course: String?) in
        SlotSpec(courseId: course, timeZone: "UTC", recurrence: .oneTime(start: start, end: end), active: true)
    }
    let slot = try engine.publishSlot(actor: t, teacherId: teacher, slot: utc("2030-03-05T10:00", "2030-03-05T11:00", nil)).value
    let courseSlot = try engine.publishSlot(actor: t, teacherId: teacher,
                                            slot: utc("2030-03-05T12:00", "2030-03-05T13:00", course)).value
    let other = uid(2)
    let otherSlot = try engine.publishSlot(actor: .teacher(other), teacherId: other,
                                           slot: utc("2030-03-05T10:30", "2030-03-05T11:30", nil)).value
    let at = instant("2030-03-05T10:00:00Z")
    expectError("occurrence_not_offered", "wrong start") {
        _ = try engine.bookLesson(actor: st(0), slotId: slot.id, startsAt: at.addingTimeInterval(60), studentId: students[0])
    }
    expectError("not_enrolled", "course slot") {
        _ = try engine.bookLesson(actor: st(0), slotId: courseSlot.id, startsAt: instant("2030-03-05T12:00:00Z"),
                                  studentId: students[0])
    }
    let lesson = try engine.bookLesson(actor: st(0), slotId: slot.id, startsAt: at, studentId: students[0]).value
    expectError("slot_unavailable", "taken") {
        _ = try engine.bookLesson(actor: st(1), slotId: slot.id, startsAt: at, studentId: students[1])
    }
    expectError("student_busy", "overlapping lesson") {
        _ = try engine.bookLesson(actor: st(0), slotId: otherSlot.id, startsAt: instant("2030-03-05T10:30:00Z"),
                                  studentId: students[0])
    }
    expectError("lesson_not_started", "attendance before start") {
        _ = try engine.markLessonAttendance(actor: t, bookingId: lesson.id, attended: true)
    }
    let later = try engine.createSession(actor: t, session: newGroupSession(2, waitlist: false)).value
    try clock.advance(delta: 2 * day)
    expectError("lesson_started", "cancel after start") { _ = try engine.cancelLesson(actor: st(0), bookingId: lesson.id) }
    expectError("session_started", "book after start") {
        _ = try engine.bookSeat(actor: st(0), sessionId: later.id, studentId: students[0])
    }
    _ = try engine.createSession(actor: t, session: newGroupSession(1, waitlist: false, startsAt: t0.addingTimeInterval(5 * day)),
                                 key: "k")
    expectError("request_key_reused", "key reuse") {
        _ = try engine.createSession(actor: t, session: newGroupSession(1, waitlist: false, startsAt: t0.addingTimeInterval(6 * day)),
                                     key: "k")
    }

    let good = SwiftDocumentStore()
    let kept = try Engine.withDocumentStore(store: good, clock: clock)
        .createSession(actor: t, session: newGroupSession(1, waitlist: false, startsAt: t0.addingTimeInterval(5 * day))).value
    expectError("contention", "every commit conflicts") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "conflict"), clock: clock, maxAttempts: 3)
            .bookSeat(actor: st(0), sessionId: kept.id, studentId: students[0])
    }
    expectError("corrupt_record", "a document that is not JSON") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "corrupt"), clock: clock).session(actor: .system, sessionId: kept.id)
    }
    expectError("store_error", "the store throws StoreError.Backend") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "backend"), clock: clock).session(actor: .system, sessionId: kept.id)
    }
    expectError("store_error", "the store throws an unexpected error") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "unexpected"), clock: clock).session(actor: .system, sessionId: kept.id)
    }
    expectError("store_unavailable", "the store throws StoreError.Unavailable") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "unavailable"), clock: clock).session(actor: .system, sessionId: kept.id)
    }
    do {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "unavailable"), clock: clock).session(actor: .system, sessionId: kept.id)
    } catch let e as BookingError {
        expect(e.isRetryable(), "store_unavailable is retryable")
    }
    do {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "backend"), clock: clock).session(actor: .system, sessionId: kept.id)
    } catch let e as BookingError {
        expect(!e.isRetryable(), "store_error is not retryable")
    }

}

// ---------------------------------------------------------------------------------------------
// The glue: every type, every event kind and every store callback crosses the boundary. The
// rules themselves are the Rust conformance suite's (run below against the Swift store).
// ---------------------------------------------------------------------------------------------

/// A fresh engine over an in-memory store, its clock at `t0`.
struct Fixture {
    let store = InMemoryStore()
    let clock: ManualClock
    let engine: Engine
    init() throws {
        clock = try ManualClock(now: t0)
        engine = Engine.inMemory(store: store, clock: clock)
    }
}

func oneTimeUtc(_ start: String, _ end: String, courseId: String? = nil, rules: SchedulingRules = SchedulingRules()) -> SlotSpec {
    SlotSpec(courseId: courseId, timeZone: "UTC", recurrence: .oneTime(start: start, end: end), rules: rules)
}

func weeklyUtc(_ day: Weekday, _ start: String, _ end: String, courseId: String? = nil,
               rules: SchedulingRules = SchedulingRules()) -> SlotSpec {
    SlotSpec(courseId: courseId, timeZone: "UTC",
             recurrence: .weekly(weekday: day, startTime: start, endTime: end, validFrom: "2030-03-04", validUntil: nil),
             rules: rules)
}

func starts(_ engine: Engine, days: Double, slotId: String? = nil) throws -> [Date] {
    try engine.listOccurrences(query: OccurrenceQuery(teacherId: teacher, from: t0, to: t0.addingTimeInterval(days * day)))
        .filter { slotId == nil || $0.slotId == slotId }.map { $0.startsAt }
}

/// Every event kind of the core, by its stable name.
let eventKinds: Set<String> = [
    "session_created", "booking_confirmed", "booking_waitlisted", "booking_promoted", "booking_cancelled",
    "seat_offered", "offer_accepted", "offer_declined", "offer_expired", "session_closed", "session_reopened",
    "capacity_changed", "waitlist_changed", "session_cancelled", "attendance_marked", "slot_published", "slot_updated",
    "lesson_requested", "lesson_booked", "lesson_approved", "lesson_declined", "lesson_cancelled", "lesson_rescheduled",
    "meeting_link_set", "lesson_attendance_marked", "series_booked", "scheduling_rules_set", "time_off_added",
    "time_off_removed",
]

/// A Swift store that keeps the events of every commit and answers the host data itself: one
/// course needs approval, one student is enrolled in it.
final class RecordingStore: DocumentStore, @unchecked Sendable {
    let inner = SwiftDocumentStore()
    let course: String
    let enrolled: String
    private let lock = NSLock()
    private var events: [Event] = []
    init(course: String, enrolled: String) {
        self.course = course
        self.enrolled = enrolled
    }
    var committed: [Event] { lock.lock(); defer { lock.unlock() }; return events }

    func load(kind: AggregateKind, id: String) throws -> Document? { try inner.load(kind: kind, id: id) }
    func locateBooking(id: String) throws -> BookingLocation? { try inner.locateBooking(id: id) }
    func locateSlot(id: String) throws -> String? { try inner.locateSlot(id: id) }
    func loadRequest(scope: String, key: String) throws -> String? { try inner.loadRequest(scope: scope, key: key) }
    func commit(commit: DocumentCommit) throws {
        try inner.commit(commit: commit)
        lock.lock()
        events.append(contentsOf: commit.events)
        lock.unlock()
    }
    func approvalSettings(courseId: String, teacherId: String) throws -> ApprovalSettings {
        ApprovalSettings(course: courseId == course, teacherOverride: nil)
    }
    func isEnrolled(studentId: String, courseId: String) throws -> Bool { studentId == enrolled && courseId == course }
    func sessionsWithOffersDue(until: Date) throws -> [String] { try inner.sessionsWithOffersDue(until: until) }
    func loadFinishedBooking(id: String) throws -> String? { try inner.loadFinishedBooking(id: id) }
    func pruneRequests(recordedBefore: Date) throws -> UInt64 { try inner.pruneRequests(recordedBefore: recordedBefore) }
    func readIndex(index: String, partition: String, after: String, before: String, limit: UInt32) throws -> [DocumentHit] {
        try inner.readIndex(index: index, partition: partition, after: after, before: before, limit: limit)
    }
    func readOutbox(after: UInt64, limit: UInt32) throws -> [OutboxDocument] { try inner.readOutbox(after: after, limit: limit) }
    func acknowledgeOutbox(upTo: UInt64) throws -> UInt64 { try inner.acknowledgeOutbox(upTo: upTo) }
}

func everyTypeCrosses() throws {
    section("every type, event kind and store callback crosses (a store written in Swift)")
    let course = uid(700)
    let (s0, s1, s2) = (students[0], students[1], students[2])
    let store = RecordingStore(course: course, enrolled: s1)
    let clock = try ManualClock(now: t0)
    let e = Engine.withDocumentStore(store: store, clock: clock)
    let t = Actor.teacher(teacher)

    // Every field of the scheduling rules, both ways.
    let every = SchedulingRules(minNoticeMinutes: 1, maxAdvanceDays: 2, bufferBeforeMinutes: 3, bufferAfterMinutes: 4,
                                cancelCutoffMinutes: 5, rescheduleCutoffMinutes: 6, maxLessonsPerDay: 7,
                                maxLessonsPerWeek: 8, maxUpcomingLessonsPerStudent: 9, maxSeatsPerBooking: 10)
    let set = try e.setSchedulingRules(actor: t, teacherId: teacher, courseId: uid(701), rules: every)
    expect(try set.value == every && e.rulesForCourse(actor: .system, teacherId: teacher, courseId: uid(701)) == every, "every rule crosses")
    if case .schedulingRulesSet(_, let courseId, let rules) = set.events[0].kind {
        expect(courseId == uid(701) && rules == every, "scheduling_rules_set carries them")
    } else { expect(false, "scheduling_rules_set") }
    expect(try e.setSchedulingRules(actor: t, teacherId: teacher, courseId: uid(701), rules: SchedulingRules()).value
           == SchedulingRules(), "and removes them")

    // Group sessions.
    let g = try e.createSession(actor: t, session: newGroupSession(1, waitlist: false)).value
    let a = try e.bookSeat(actor: .student(s0), sessionId: g.id, studentId: s0).value
    _ = try e.cancelBooking(actor: .student(s0), bookingId: a.id)
    _ = try e.setWaitlist(actor: t, sessionId: g.id, enabled: true)
    let b = try e.bookSeat(actor: .student(s1), sessionId: g.id, studentId: s1).value
    let c = try e.bookSeat(actor: .student(s2), sessionId: g.id, studentId: s2)
    if case .bookingWaitlisted(_, _, let studentId, let position, let seats) = c.events[0].kind {
        expect(position == 1 && seats == 1 && studentId == s2, "booking_waitlisted")
    } else { expect(false, "booking_waitlisted") }
    let grown = try e.changeCapacity(actor: t, sessionId: g.id, capacity: 2)
    expect(try grown.events.map { try $0.name() } == ["capacity_changed", "booking_promoted"], "capacity_changed, booking_promoted")
    expectError("limit_reached", "2 seats where 1 is allowed") {
        _ = try e.bookSeats(actor: .student(s0), sessionId: g.id, studentId: s0, seats: 2)
    }
    var pairNew = newGroupSession(3, waitlist: true)
    pairNew.rules = SchedulingRules(maxSeatsPerBooking: 3)
    let pair = try e.createSession(actor: t, session: pairNew).value
    let two = try e.bookSeats(actor: .student(s0), sessionId: pair.id, studentId: s0, seats: 2)
    if case .bookingConfirmed(_, _, _, let seats) = two.events[0].kind {
        expect(two.value.seats == 2 && seats == 2, "seats cross")
    } else { expect(false, "booking_confirmed") }
    let counted = try e.session(actor: .system, sessionId: pair.id)
    expect(try counted.bookedSeats() == 2 && counted.remainingSeats() == 1 && counted.rules.maxSeatsPerBooking == 3, "a session's computed fields")

    // Waitlist by offer, with the store's offer-deadline index.
    var offerNew = newGroupSession(1, waitlist: true, startsAt: t0.addingTimeInterval(2 * day))
    offerNew.waitlistMode = .offer(holdMinutes: 30)
    let o = try e.createSession(actor: t, session: offerNew).value
    expect(o.waitlistMode == .offer(holdMinutes: 30), "an enum case with data crosses")
    let o1 = try e.bookSeat(actor: .student(s0), sessionId: o.id, studentId: s0).value
    let o2 = try e.bookSeat(actor: .student(s1), sessionId: o.id, studentId: s1).value
    let o3 = try e.bookSeat(actor: .student(s2), sessionId: o.id, studentId: s2).value
    let deadline = t0.addingTimeInterval(30 * 60)
    let offered = try e.cancelBooking(actor: .student(s0), bookingId: o1.id).events.compactMap { event -> (String, Date)? in
        if case .seatOffered(_, let bookingId, _, _, let expiresAt) = event.kind { return (bookingId, expiresAt) }
        return nil
    }
    expect(offered.count == 1 && offered[0].0 == o2.id && offered[0].1 == deadline, "seat_offered with its deadline")
    expect(try e.seatBooking(actor: .system, bookingId: o2.id).offerExpiresAt == deadline && e.session(actor: .system, sessionId: o.id).nextOfferDeadline() == deadline,
           "the deadline")
    expect(try store.sessionsWithOffersDue(until: deadline) == [o.id], "the store indexed the deadline")
    _ = try e.declineOffer(actor: .student(s1), bookingId: o2.id)
    try clock.advance(delta: 31 * 60)
    expectError("offer_expired", "accepting after the deadline") {
        _ = try e.acceptOffer(actor: .student(s2), bookingId: o3.id)
    }
    let sweep = try e.processExpiredOffers(now: clock.now())
    expect(try sweep.events.map { try $0.name() } == ["offer_expired"] && sweep.failures.isEmpty, "the sweep expires it")
    expect(try e.seatBooking(actor: .system, bookingId: o3.id).status == .expired, "expired")
    let o4 = try e.bookSeat(actor: .student(s0), sessionId: o.id, studentId: s0).value
    let o5 = try e.bookSeat(actor: .student(s2), sessionId: o.id, studentId: s2).value
    _ = try e.cancelBooking(actor: .student(s0), bookingId: o4.id)
    expect(try e.acceptOffer(actor: .student(s2), bookingId: o5.id).value.status == .confirmed, "accepted in time")
    _ = try e.cancelSession(actor: t, sessionId: o.id)
    expect(try e.bookingAvailability(actor: .system, sessionId: o.id) == .cancelled, "cancelled")

    // Slots and lessons: wall times, zones and instants.
    let recurrence = SlotRecurrence.weekly(weekday: .wednesday, startTime: "14:00", endTime: "15:00", validFrom: "2030-03-04",
                                           validUntil: "2030-12-31")
    let weekly = try e.publishSlot(actor: t, teacherId: teacher,
                                   slot: SlotSpec(courseId: nil, timeZone: "Europe/Paris", recurrence: recurrence)).value
    expect(weekly.timeZone == "Europe/Paris" && weekly.recurrence == recurrence, "a weekly slot with its wall times")
    let listed = try e.listOccurrences(query: OccurrenceQuery(teacherId: teacher, studentId: s0, from: t0,
                                                              to: t0.addingTimeInterval(7 * day), timeZone: "Asia/Tokyo"))
    expect(listed.count == 1, "one occurrence")
    let occurrence = listed[0]
    expect(occurrence.slotId == weekly.id && occurrence.startsAt == instant("2030-03-06T13:00:00Z")
           && occurrence.endsAt == instant("2030-03-06T14:00:00Z"), "an occurrence")
    expect(occurrence.teacherTimeZone == "Europe/Paris" && occurrence.teacherLocalStart == "2030-03-06T14:00"
           && occurrence.viewerTimeZone == "Asia/Tokyo" && occurrence.viewerLocalEnd == "2030-03-06T23:00", "its wall times")
    let booked = try e.bookLesson(actor: .student(s0), slotId: weekly.id, startsAt: occurrence.startsAt, studentId: s0)
    let lesson = booked.value
    if case .lessonBooked(let carried) = booked.events[0].kind {
        expect(try carried == lesson && lesson.localStart() == "2030-03-06T14:00" && lesson.timeZone == "Europe/Paris"
               && lesson.slotId == weekly.id, "lesson_booked carries the lesson")
    } else { expect(false, "lesson_booked") }
    _ = try e.setMeetingLink(actor: t, bookingId: lesson.id, meetingLink: "https://meet.example.com/x")
    let moved = try e.rescheduleLesson(actor: .student(s0), bookingId: lesson.id, slotId: weekly.id,
                                       startsAt: instant("2030-03-13T13:00:00Z"))
    if case .lessonRescheduled(let after, let previousSlotId, let previousStartsAt, let previousEndsAt, let overridden)
        = moved.events[0].kind {
        expect(previousSlotId == weekly.id && previousStartsAt == lesson.startsAt && previousEndsAt == lesson.endsAt
               && after == moved.value && !overridden, "lesson_rescheduled carries the old time")
    } else { expect(false, "lesson_rescheduled") }
    _ = try e.cancelLesson(actor: .student(s0), bookingId: lesson.id)
    let courseSlot = try e.publishSlot(actor: t, teacherId: teacher,
                                       slot: oneTimeUtc("2030-03-07T10:00", "2030-03-07T11:00", courseId: course)).value
    let requested = try e.bookLesson(actor: .student(s1), slotId: courseSlot.id, startsAt: instant("2030-03-07T10:00:00Z"),
                                     studentId: s1).value
    expect(requested.status == .pending && requested.courseId == course, "the store's approval setting applies")
    _ = try e.declineLesson(actor: t, bookingId: requested.id, reason: "away")
    let again = try e.bookLesson(actor: .student(s1), slotId: courseSlot.id, startsAt: instant("2030-03-07T10:00:00Z"),
                                 studentId: s1).value
    let approved = try e.approveLesson(actor: t, bookingId: again.id, meetingLink: "https://meet.example.com/y")
    if case .lessonApproved(_, _, _, let link) = approved.events[0].kind {
        expect(link == "https://meet.example.com/y", "lesson_approved")
    } else { expect(false, "lesson_approved") }
    _ = try e.setSlotActive(actor: t, slotId: courseSlot.id, active: false)
    let series = try e.bookSeries(actor: .student(s2), series: SeriesRequest(
        slotId: weekly.id, studentId: s2, firstStartsAt: instant("2030-03-20T13:00:00Z"), everyWeeks: 1,
        end: .until("2030-03-27"), mode: .bookAvailable))
    let seriesEvents = series.events.compactMap { event -> (String, [String])? in
        if case .seriesBooked(let seriesId, _, let lessons, _) = event.kind { return (seriesId, lessons) }
        return nil
    }
    expect(seriesEvents.count == 1 && seriesEvents[0].0 == series.value.seriesId
           && seriesEvents[0].1 == series.value.lessons.map { $0.id }
           && series.value.lessons.allSatisfy { $0.seriesId == series.value.seriesId } && series.value.skipped.isEmpty,
           "series_booked")
    expect(try e.cancelSeriesFrom(actor: .student(s2), bookingId: series.value.lessons[0].id).value.count == 2,
           "a series cancelled")
    let off = try e.addTimeOff(actor: t, teacherId: teacher,
                               timeOff: TimeOffSpec(firstDay: "2030-04-01", lastDay: "2030-04-02", timeZone: "Europe/Paris", note: "away"))
    expect(try off.value.startsAt() == instant("2030-03-31T22:00:00Z") && off.value.endsAt() == instant("2030-04-02T22:00:00Z")
           && off.value.firstDay == "2030-04-01" && off.value.note == "away"
           && e.timeOff(actor: .system, teacherId: teacher) == [off.value], "time off")
    _ = try e.removeTimeOff(actor: t, teacherId: teacher, timeOffId: off.value.id)
    expectError("time_off_not_found", "withdrawing it twice") {
        _ = try e.removeTimeOff(actor: t, teacherId: teacher, timeOffId: off.value.id)
    }

    // The remaining error codes: a booking window, a cut-off, a busy teacher.
    let soon = try e.publishSlot(actor: t, teacherId: teacher, slot: oneTimeUtc(
        "2030-03-04T12:00", "2030-03-04T13:00", rules: SchedulingRules(minNoticeMinutes: 600))).value
    expect(soon.rules.minNoticeMinutes == 600, "a slot's own rules")
    expectError("outside_booking_window", "2.5 hours ahead, 10 hours' notice") {
        _ = try e.bookLesson(actor: .student(s0), slotId: soon.id, startsAt: instant("2030-03-04T12:00:00Z"), studentId: s0)
    }
    let late = try e.publishSlot(actor: t, teacherId: teacher, slot: oneTimeUtc(
        "2030-03-04T15:00", "2030-03-04T16:00", rules: SchedulingRules(cancelCutoffMinutes: 1440))).value
    let kept = try e.bookLesson(actor: .student(s0), slotId: late.id, startsAt: instant("2030-03-04T15:00:00Z"),
                                studentId: s0).value
    expectError("cutoff_passed", "a student cancelling within the cut-off") {
        _ = try e.cancelLesson(actor: .student(s0), bookingId: kept.id)
    }
    expectError("teacher_busy", "a group session over a 1:1 lesson") {
        _ = try e.createSession(actor: t, session: newGroupSession(3, waitlist: false, startsAt: instant("2030-03-04T15:30:00Z")))
    }
    try clock.set(now: instant("2030-03-04T15:10:00Z"))
    expect(try e.markLessonAttendance(actor: t, bookingId: kept.id, attended: true).value.status == .attended, "lesson attendance")
    try clock.set(now: instant("2030-03-05T09:05:00Z"))
    expect(try e.bookingAvailability(actor: .system, sessionId: g.id) == .started, "started")
    expect(try e.markAttendance(actor: t, bookingId: b.id, attended: false).value.status == .noShow, "attendance")

    // Every weekday crosses both ways.
    for weekday in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday, .saturday, .sunday] {
        let slot = try e.publishSlot(actor: t, teacherId: teacher, slot: weeklyUtc(weekday, "20:00", "21:00")).value
        if case .weekly(let crossed, _, _, _, _) = slot.recurrence { expect(crossed == weekday, "\(weekday) crosses") } else {
            expect(false, "\(weekday) crosses")
        }
    }

    // Every event kind reached the Swift store as its own case, with its actor.
    let committed = store.committed
    let names = Set(try committed.map { try $0.name() })
    expect(names == eventKinds, "event kinds missing: \(eventKinds.subtracting(names).sorted()), unknown: \(names.subtracting(eventKinds).sorted())")
    expect(committed.first?.actor == t && committed.first?.occurredAt == t0, "an event's actor and instant")
}

/// A store that refuses every commit of the sessions in `refused`, as a full disk would.
final class RefusingStore: DocumentStore, @unchecked Sendable {
    let inner = SwiftDocumentStore()
    private let lock = NSLock()
    private var refusedIds = Set<String>()
    var refused: Set<String> {
        get { lock.lock(); defer { lock.unlock() }; return refusedIds }
        set { lock.lock(); defer { lock.unlock() }; refusedIds = newValue }
    }

    func load(kind: AggregateKind, id: String) throws -> Document? { try inner.load(kind: kind, id: id) }
    func locateBooking(id: String) throws -> BookingLocation? { try inner.locateBooking(id: id) }
    func locateSlot(id: String) throws -> String? { try inner.locateSlot(id: id) }
    func loadRequest(scope: String, key: String) throws -> String? { try inner.loadRequest(scope: scope, key: key) }
    func commit(commit: DocumentCommit) throws {
        let refused = self.refused
        if commit.writes.contains(where: { $0.kind == .session && refused.contains($0.id) }) {
            throw StoreError.Backend(detail: "disk full")
        }
        try inner.commit(commit: commit)
    }
    func approvalSettings(courseId: String, teacherId: String) throws -> ApprovalSettings {
        try inner.approvalSettings(courseId: courseId, teacherId: teacherId)
    }
    func isEnrolled(studentId: String, courseId: String) throws -> Bool {
        try inner.isEnrolled(studentId: studentId, courseId: courseId)
    }
    func sessionsWithOffersDue(until: Date) throws -> [String] { try inner.sessionsWithOffersDue(until: until) }
    func loadFinishedBooking(id: String) throws -> String? { try inner.loadFinishedBooking(id: id) }
    func pruneRequests(recordedBefore: Date) throws -> UInt64 { try inner.pruneRequests(recordedBefore: recordedBefore) }
    func readIndex(index: String, partition: String, after: String, before: String, limit: UInt32) throws -> [DocumentHit] {
        try inner.readIndex(index: index, partition: partition, after: after, before: before, limit: limit)
    }
    func readOutbox(after: UInt64, limit: UInt32) throws -> [OutboxDocument] { try inner.readOutbox(after: after, limit: limit) }
    func acknowledgeOutbox(upTo: UInt64) throws -> UInt64 { try inner.acknowledgeOutbox(upTo: upTo) }
}

/// The sessions of the `offer_expired` events among `events`, in order.
func expiredSessions(_ events: [Event]) -> [String] {
    events.compactMap { event -> String? in
        if case .offerExpired(let sessionId, _, _) = event.kind { return sessionId }
        return nil
    }
}

func offerSweepFailures() throws {
    section("offer sweep: a session that fails does not stop the others")
    let clock = try ManualClock(now: t0)
    let store = RefusingStore()
    let engine = try Engine.withDocumentStore(store: store, clock: clock)
    var waiting: [String: String] = [:]
    for n in 0..<3 {
        let t = uid(50 + n)
        var new = newGroupSession(1, waitlist: true)
        new.teacherId = t
        new.waitlistMode = .offer(holdMinutes: 30)
        let s = try engine.createSession(actor: .teacher(t), session: new).value
        let (first, second) = (students[2 * n], students[2 * n + 1])
        let seat = try engine.bookSeat(actor: .student(first), sessionId: s.id, studentId: first).value
        waiting[s.id] = try engine.bookSeat(actor: .student(second), sessionId: s.id, studentId: second).value.id
        _ = try engine.cancelBooking(actor: .student(first), bookingId: seat.id)
    }
    try clock.advance(delta: 30 * 60)
    let due = try store.sessionsWithOffersDue(until: clock.now())
    expect(Set(due) == Set(waiting.keys), "three sessions are due")
    store.refused = [due[1]]

    // region: readme-swift-sweep
    // The host's periodic call (every minute, say). Each due session is processed on its own:
    // one that fails is reported with its error and left as it was, the others go ahead.
    let sweep = try engine.processExpiredOffers(now: clock.now())
    for event in sweep.events { print("  notify: \(try event.name())") }
    for failure in sweep.failures { print("  session \(failure.sessionId) failed: \(failure.code) (\(failure.detail))") }
    // endregion
    expect(sweep.failures.map { [$0.sessionId, $0.code] } == [[due[1], "store_error"]], "the refused session is reported: \(sweep.failures)")
    expect(sweep.failures.first?.detail.contains("disk full") == true, "with the store's message")
    expect(expiredSessions(sweep.events) == [due[0], due[2]], "the other sessions were processed, in order")
    for (session, booking) in waiting {
        let status = try engine.seatBooking(actor: .system, bookingId: booking).status
        expect(status == (session == due[1] ? .offered : .expired), "session \(session): \(status)")
    }
    store.refused = []
    let again = try engine.processExpiredOffers(now: clock.now())
    expect(again.failures.isEmpty, "the next sweep succeeds")
    expect(expiredSessions(again.events) == [due[1]], "and processes it")
}

/// The value of the first content line named `name` in an iCalendar text.
func icalValue(_ ics: String, _ name: String) -> String? {
    ics.components(separatedBy: "\r\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)) }
}

func calendarExport() throws {
    section("iCalendar export (RFC 5545): stable UIDs, SEQUENCE, STATUS")
    let fixture = try Fixture()
    let engine = fixture.engine
    let e = engine
    let t = Actor.teacher(teacher)
    let s = students[0]
    let monday = try e.publishSlot(actor: t, teacherId: teacher, slot: weeklyUtc(.monday, "14:00", "15:00")).value
    let series = try e.bookSeries(
        actor: .student(s),
        series: SeriesRequest(slotId: monday.id, studentId: s, firstStartsAt: instant("2030-03-11T14:00:00Z"), everyWeeks: 1,
                              end: .count(3), mode: .allOrNothing)
    ).value
    let lesson = series.lessons[0]

    // region: readme-swift-rules
    // A student moves a lesson; its calendar entry keeps its UID and gets a higher SEQUENCE,
    // so calendar apps move the event instead of adding a second one.
    let before = try engine.bookingIcal(actor: .system, bookingId: lesson.id)
    let moved = try engine.rescheduleLesson(actor: .student(s), bookingId: lesson.id, slotId: monday.id,
                                            startsAt: ISO8601DateFormatter().date(from: "2030-04-01T14:00:00Z")!)
    let after = try engine.bookingIcal(actor: .system, bookingId: lesson.id)
    expect(icalValue(after, "UID") == "booking-\(lesson.id)@booking-engine", "stable UID")
    expect(icalValue(after, "UID") == icalValue(before, "UID"), "the same UID as before the move")
    expect(Int(icalValue(after, "SEQUENCE")!)! > Int(icalValue(before, "SEQUENCE")!)!, "a higher SEQUENCE")
    expect(icalValue(after, "DTSTART") == "20300401T140000Z", "the new time")
    // endregion
    expect(moved.value.id == lesson.id, "rescheduled")

    let all = try e.lessonsIcal(actor: .system, bookingIds: series.lessons.map { $0.id })
    for l in series.lessons { expect(all.contains("\r\nUID:booking-\(l.id)@booking-engine\r\n"), "the series holds \(l.id)") }

    let session = try e.createSession(actor: t, session: newGroupSession(1, waitlist: true)).value
    let seat = try e.bookSeat(actor: .student(s), sessionId: session.id, studentId: s).value
    let sessionIcs = try e.sessionIcal(actor: .system, sessionId: session.id)
    expect(icalValue(sessionIcs, "UID") == "session-\(session.id)@booking-engine", "the session's UID")
    expect(icalValue(try e.bookingIcal(actor: .system, bookingId: seat.id), "UID") == "booking-\(seat.id)@booking-engine", "a seat booking's own UID")
    expectError("booking_not_found", "exporting an unknown booking") { _ = try e.bookingIcal(actor: .system, bookingId: uid(999_998)) }
    expectError("invalid_input", "exporting no lessons") { _ = try e.lessonsIcal(actor: .system, bookingIds: []) }

    // The host chooses the UIDs' domain (once: a new one makes apps see new events) and the PRODID.
    let ical = try IcalOptions(uidDomain: "school.example.com", prodid: "-//School//Lessons//EN")
    expect(ical.uidDomain() == "school.example.com" && ical.prodid() == "-//School//Lessons//EN", "IcalOptions keeps its values")
    let school = Engine.inMemory(store: fixture.store, clock: fixture.clock, ical: ical)
    let ours = try school.sessionIcal(actor: .system, sessionId: session.id)
    expect(icalValue(ours, "UID") == "session-\(session.id)@school.example.com", "the host's UID domain")
    expect(icalValue(ours, "PRODID") == "-//School//Lessons//EN", "the host's PRODID")
    expect(icalValue(try school.bookingIcal(actor: .system, bookingId: seat.id), "UID") == "booking-\(seat.id)@school.example.com", "also for bookings")
    expectError("invalid_input", "a UID domain with a space") { _ = try IcalOptions(uidDomain: "my school") }
    expectError("invalid_input", "a blank PRODID") { _ = try IcalOptions(uidDomain: "example.com", prodid: " ") }
}

/// Runs `block`, which must be refused as invalid input (`InvalidInput`, or its kin `TooLarge`,
/// `UnknownTimeZone`, `InvalidMeetingLink`) with a detail that names one of `names`.
func expectInvalid(_ what: String, _ names: [String], _ block: () throws -> Void) {
    do {
        try block()
        expect(false, "\(what): expected an invalid-input error, nothing was thrown")
    } catch let e as BookingError {
        let kin = ["invalid_input", "too_large", "unknown_time_zone", "invalid_meeting_link"]
        expect(kin.contains(e.errorCode()), "\(what): expected an invalid-input error, got \(e)")
        expect(names.contains { e.errorDetail().contains($0) }, "\(what): the detail names none of \(names): \(e.errorDetail())")
    } catch {
        expect(false, "\(what): expected BookingError, got \(error)")
    }
}

func hostileInputs() throws {
    section("hostile inputs: integers out of the engine's range, lone surrogates, NUL, extreme instants")
    let store = InMemoryStore()
    let clock = try ManualClock(now: t0)
    // No rule bounds the attempts: any UInt32 is taken as it is.
    let engine = Engine.inMemory(store: store, clock: clock, maxAttempts: UInt32.max)
    let t = Actor.teacher(teacher)
    let s = try engine.createSession(actor: t, session: newGroupSession(3, waitlist: true)).value
    let slot = try engine.publishSlot(actor: t, teacherId: teacher, slot: weeklyUtc(.monday, "10:00", "11:00")).value
    let monday = try starts(engine, days: 14)[0]
    let student = students[0]
    func state() throws -> String {
        "\(try engine.session(actor: .system, sessionId: s.id)) \(try engine.slots(actor: .system, teacherId: teacher)) "
            + "\(try engine.activeLessons(actor: .system, userId: student)) \(try engine.rulesForCourse(actor: .system, teacherId: teacher, courseId: nil))"
    }
    let before = try state()

    // Every UInt32 the engine's range leaves out (it is narrower than the type) is refused naming the field.
    for n: UInt32 in [0, 10_001, UInt32(Int32.max) + 1, UInt32.max] {
        expectInvalid("capacity \(n)", ["capacity"]) { _ = try engine.createSession(actor: t, session: newGroupSession(n, waitlist: false)) }
        expectInvalid("changing the capacity to \(n)", ["capacity"]) { _ = try engine.changeCapacity(actor: t, sessionId: s.id, capacity: n) }
    }
    for n: UInt32 in [0, 24 * 60 + 1, UInt32.max] {
        var new = newGroupSession(3, waitlist: false)
        new.durationMinutes = n
        expectInvalid("duration \(n)", ["duration_minutes"]) { _ = try engine.createSession(actor: t, session: new) }
    }
    for n: UInt32 in [0, 4, UInt32.max] {
        expectInvalid("\(n) seats", ["seats"]) {
            _ = try engine.bookSeats(actor: .student(student), sessionId: s.id, studentId: student, seats: n)
        }
    }
    for n: UInt32 in [0, 7 * 24 * 60 + 1, UInt32.max] {
        var new = newGroupSession(3, waitlist: true)
        new.waitlistMode = .offer(holdMinutes: n)
        expectInvalid("an offer held \(n) minutes", ["hold_minutes"]) { _ = try engine.createSession(actor: t, session: new) }
    }
    func series(_ every: UInt32, _ end: SeriesEnd) -> SeriesRequest {
        SeriesRequest(slotId: slot.id, studentId: student, firstStartsAt: monday, everyWeeks: every, end: end, mode: .allOrNothing)
    }
    for n: UInt32 in [0, 53, UInt32.max] {
        expectInvalid("every \(n) weeks", ["every_weeks"]) {
            _ = try engine.bookSeries(actor: .student(student), series: series(n, .count(2)))
        }
    }
    expectInvalid("a series of 0 lessons", ["end"]) {
        _ = try engine.bookSeries(actor: .student(student), series: series(1, .count(0)))
    }
    expectError("too_large", "a series of UInt32.max lessons") {
        _ = try engine.bookSeries(actor: .student(student), series: series(1, .count(UInt32.max)))
    }
    let rules: [(String, SchedulingRules)] = [
        ("min_notice_minutes", SchedulingRules(minNoticeMinutes: UInt32.max)),
        ("max_advance_days", SchedulingRules(maxAdvanceDays: UInt32.max)),
        ("buffer_before_minutes", SchedulingRules(bufferBeforeMinutes: UInt32.max)),
        ("buffer_after_minutes", SchedulingRules(bufferAfterMinutes: UInt32.max)),
        ("cancel_cutoff_minutes", SchedulingRules(cancelCutoffMinutes: UInt32.max)),
        ("reschedule_cutoff_minutes", SchedulingRules(rescheduleCutoffMinutes: UInt32.max)),
        ("max_lessons_per_day", SchedulingRules(maxLessonsPerDay: 0)),
        ("max_lessons_per_week", SchedulingRules(maxLessonsPerWeek: UInt32.max)),
        ("max_upcoming_lessons_per_student", SchedulingRules(maxUpcomingLessonsPerStudent: UInt32.max)),
    ]
    for (field, r) in rules {
        expectInvalid("rules with \(field) out of range", [field]) {
            _ = try engine.setSchedulingRules(actor: t, teacherId: teacher, courseId: nil, rules: r)
        }
        expectInvalid("a slot with \(field) out of range", [field]) {
            _ = try engine.publishSlot(actor: t, teacherId: teacher, slot: weeklyUtc(.tuesday, "10:00", "11:00", rules: r))
        }
    }

    // A Swift String cannot hold a lone surrogate: decoding one from UTF-16 repairs it to
    // U+FFFD, so what crosses is valid text, kept as it is.
    let repaired = String(decoding: [0xD800, 0x61] as [UInt16], as: UTF16.self)
    expect(repaired == "\u{FFFD}a", "a lone surrogate becomes U+FFFD in Swift")
    var titled = newGroupSession(3, waitlist: false)
    titled.title = repaired
    let kept = try engine.createSession(actor: t, session: titled).value
    expect(kept.title == "\u{FFFD}a", "the repaired title is kept as it is")
    _ = try engine.cancelSession(actor: t, sessionId: kept.id)
    // NUL crosses as it is; the engine names the field it refuses it in.
    expectInvalid("a NUL in an id", ["session_id"]) { _ = try engine.session(actor: .system, sessionId: "\0") }
    expectInvalid("a NUL in a request key", ["request_key"]) { _ = try engine.cancelSession(actor: t, sessionId: s.id, key: "a\0b") }
    var zoned = newGroupSession(3, waitlist: false)
    zoned.timeZone = "\0"
    expectInvalid("a NUL in a zone", ["time zone"]) { _ = try engine.createSession(actor: t, session: zoned) }
    var linked = newGroupSession(3, waitlist: false)
    linked.meetingLink = "\0"
    expectInvalid("a NUL for a meeting link", ["meeting link"]) { _ = try engine.createSession(actor: t, session: linked) }
    // Within free text, a NUL is the engine's to keep or refuse, naming the field; never anything else.
    var withTitle = newGroupSession(3, waitlist: false)
    withTitle.title = "Chess\0openings"
    var withLink = newGroupSession(3, waitlist: false)
    withLink.meetingLink = "https://meet.example.com/a\0b"
    for (field, new) in [("title", withTitle), ("meeting link", withLink)] {
        do {
            let made = try engine.createSession(actor: t, session: new).value
            expect(made.title == new.title && made.meetingLink == new.meetingLink, "a NUL in the \(field) is kept as it is")
            _ = try engine.cancelSession(actor: t, sessionId: made.id)
        } catch let e as BookingError {
            expect(e.errorDetail().contains(field), "a NUL in the \(field) is refused naming it: \(e.errorDetail())")
        }
    }
    // Instants beyond what the engine represents (a Date past ±2^63 s, or NaN, traps in
    // uniffi's generated Swift before the call: not something to pass).
    for date in [Date(timeIntervalSince1970: 1e18), Date(timeIntervalSince1970: -1e18), Date.distantFuture] {
        expectInvalid("a session starting at \(date)", ["starts_at", "instant"]) {
            _ = try engine.createSession(actor: t, session: newGroupSession(3, waitlist: false, startsAt: date))
        }
    }
    expectInvalid("the clock set 10^18 s after 1970", ["instant"]) { try clock.set(now: Date(timeIntervalSince1970: 1e18)) }
    let now = clock.now()
    expectInvalid("moving the clock 300,000 years on", ["delta"]) { try clock.advance(delta: 365 * 300_000 * day) }
    expectInvalid("moving the clock 10^16 s on", ["delta"]) { try clock.advance(delta: 1e16) }
    expect(clock.now() == now, "a refused move leaves the clock")
    expect(try state() == before, "nothing refused changed anything")
}

func sqliteStore() throws {
    section("SQLite store in a temporary directory")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("booking-swift-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("bookings.db").path
    let clock = try ManualClock(now: t0)
    let store = try SqliteStore.open(path: path)
    let engine = Engine.sqlite(store: store, clock: clock)
    let s = try engine.createSession(actor: .teacher(teacher), session: newGroupSession(1, waitlist: true)).value
    _ = try engine.bookSeat(actor: .student(students[0]), sessionId: s.id, studentId: students[0])
    _ = try engine.bookSeat(actor: .student(students[1]), sessionId: s.id, studentId: students[1])
    let outbox = try store.eventsSince(after: 0, limit: 100)
    expect(try outbox.map { try $0.event.name() } == ["session_created", "booking_confirmed", "booking_waitlisted"], "outbox")
    // Retention, an operator's action: request records and outbox events by age.
    let left = try engine.bookSeat(actor: .student(students[2]), sessionId: s.id, studentId: students[2], key: "k-2").value
    _ = try engine.cancelBooking(actor: .student(students[2]), bookingId: left.id)
    expect(try engine.session(actor: .system, sessionId: s.id).bookings.count == 2, "the cancelled booking left the session")
    expect(try engine.seatBooking(actor: .system, bookingId: left.id).status == .cancelled, "and is read by id from the history")
    expect(try engine.pruneRequests(recordedBefore: t0) == 0, "nothing recorded before the instant")
    expect(try engine.pruneRequests(recordedBefore: t0.addingTimeInterval(1)) == 1, "the keyed booking's record pruned")
    let afresh = try engine.bookSeat(actor: .student(students[2]), sessionId: s.id, studentId: students[2], key: "k-2")
    expect(!afresh.replayed, "a pruned key is decided afresh")
    _ = try engine.cancelBooking(actor: .student(students[2]), bookingId: afresh.value.id)
    expect(try store.pruneEvents(occurredBefore: t0) == 0, "no event before the instant")
    expect(try store.pruneEvents(occurredBefore: t0.addingTimeInterval(1)) == 7, "every event so far pruned")
    try store.checkIntegrity()

    let reopened = Engine.sqlite(store: try SqliteStore.open(path: path), clock: clock)
    let again = try reopened.session(actor: .system, sessionId: s.id)
    expect(try again.bookedSeats() == 1 && again.waitlistedCount() == 1, "the bookings survive reopening the file")
}

func conformance() throws {
    section("conformance suite against a store written in Swift")
    // region: readme-swift-conformance
    let report = try runConformance(factory: SwiftStoreFactory())
    // endregion
    for check in report.checks where !check.passed { print("  FAILED \(check.name): \(check.detail)") }
    expect(report.passed, "every conformance check passes")
    expect(report.checks.map { $0.name } == conformanceChecks(), "every check ran")
    print("  \(report.checks.filter { $0.passed }.count)/\(report.checks.count) checks passed")

    let engine = Engine.withDocumentStore(store: SwiftDocumentStore())
    let s = try engine.createSession(actor: .teacher(teacher),
                                     session: newGroupSession(5, waitlist: false, startsAt: Date().addingTimeInterval(day))).value
    DispatchQueue.concurrentPerform(iterations: students.count) { i in
        _ = try? engine.bookSeat(actor: .student(students[i]), sessionId: s.id, studentId: students[i])
    }
    expect(try engine.session(actor: .system, sessionId: s.id).bookedSeats() == 5, "20 threads, 5 seats: exactly 5 taken")
}

func readSide() throws {
    section("the read side over a store written in Swift: agendas, approval queue, roster, what starts, outbox")
    let course = uid(800)
    let (ana, ben) = (students[0], students[1])
    let e = Engine.withDocumentStore(store: RecordingStore(course: course, enrolled: ben), clock: try ManualClock(now: t0))
    let t = Actor.teacher(teacher)
    let (from, to) = (t0, t0.addingTimeInterval(30 * day))

    // Ana books two sessions: her agenda lists both, by start, one page at a time.
    let early = try e.createSession(actor: t, session: newGroupSession(5, waitlist: false)).value
    let late = try e.createSession(actor: t, session: newGroupSession(5, waitlist: false, startsAt: t0.addingTimeInterval(2 * day))).value
    let seat = try e.bookSeat(actor: .student(ana), sessionId: early.id, studentId: ana).value
    _ = try e.bookSeat(actor: .student(ana), sessionId: late.id, studentId: ana)
    let first = try e.studentAgenda(actor: .student(ana), studentId: ana, from: from, to: to, limit: 1)
    expect(first.items.count == 1 && first.items[0].bookingId == seat.id && first.items[0].status == .confirmed &&
           first.items[0].kind == .session && first.items[0].meetingLink == "https://meet.example.com/group",
           "a student's agenda shows their booking")
    expect(first.next != nil, "more may follow")
    let second = try e.studentAgenda(actor: .student(ana), studentId: ana, from: from, to: to, limit: 1, after: first.next)
    expect(second.items.map { $0.sessionId } == [late.id], "the next page: \(second.items)")
    let waiting = try e.studentAgenda(actor: .student(ana), studentId: ana, from: from, to: to, limit: 10, statuses: [.waitlisted])
    expect(waiting.items.isEmpty && waiting.next == nil, "filtered by status")

    // Ben asks for a lesson in a course that needs approval: the teacher's queue lists it.
    let slot = try e.publishSlot(actor: t, teacherId: teacher, slot: oneTimeUtc("2030-03-07T10:00", "2030-03-07T11:00", courseId: course)).value
    let pending = try e.bookLesson(actor: .student(ben), slotId: slot.id, startsAt: instant("2030-03-07T10:00:00Z"), studentId: ben).value
    let queue = try e.approvalQueue(actor: t, teacherId: teacher, limit: 50)
    expect(queue.items.map { $0.bookingId } == [pending.id] && queue.items[0].studentId == ben && queue.next == nil,
           "the approval queue lists the pending lesson")
    let agenda = try e.teacherAgenda(actor: t, teacherId: teacher, from: from, to: to, limit: 50)
    expect(agenda.items.map { $0.kind } == [.session, .session, .lesson] && agenda.items[2].lessonStatus == .pending &&
           agenda.items[0].seatsTaken == 1, "the teacher's agenda: \(agenda.items)")
    let roster = try e.roster(actor: t, sessionId: early.id, limit: 50)
    expect(roster.entries.items.map { $0.studentId } == [ana] && roster.seatsTaken == 1 && roster.capacity == 5, "the roster lists Ana")
    let starting = try e.startingBetween(actor: .system, from: from, to: to, limit: 50)
    expect(starting.items.map { $0.sessionId } == [early.id, late.id], "what starts (a pending lesson does not)")

    // Who may read what.
    expectError("not_authorized", "another student's agenda") {
        _ = try e.studentAgenda(actor: .student(ben), studentId: ana, from: from, to: to, limit: 10)
    }
    expectError("not_authorized", "the outbox, as a teacher") { _ = try e.outbox(actor: t, after: 0, limit: 10) }
    expectInvalid("a page of 0", ["limit"]) { _ = try e.studentAgenda(actor: .student(ana), studentId: ana, from: from, to: to, limit: 0) }
    expectInvalid("a page of 501", ["limit"]) { _ = try e.approvalQueue(actor: t, teacherId: teacher, limit: 501) }
    expectInvalid("a token that is no token", ["page_token"]) {
        _ = try e.teacherAgenda(actor: t, teacherId: teacher, from: from, to: to, limit: 10, after: "bad token")
    }
    expectInvalid("a roster token that is no roster token", ["page_token"]) {
        _ = try e.roster(actor: t, sessionId: early.id, limit: 10, after: "x")
    }
    expectInvalid("a window that ends before it starts", ["window"]) { _ = try e.startingBetween(actor: .system, from: to, to: from, limit: 10) }
    expectInvalid("a window of 401 days", ["window"]) {
        _ = try e.studentAgenda(actor: .student(ana), studentId: ana, from: from, to: from.addingTimeInterval(401 * day), limit: 10)
    }

    // The outbox: every event in commit order; acknowledging the last one empties it.
    let events = try e.outbox(actor: .system, after: 0, limit: 100)
    expect(try events.first?.event.name() == "session_created" && events.last?.event.name() == "lesson_requested" &&
           zip(events, events.dropFirst()).allSatisfy { $0.position < $1.position }, "the outbox: \(try events.map { try $0.event.name() })")
    expect(try e.outbox(actor: .system, after: events[1].position, limit: 100).count == events.count - 2, "after a position")
    expect(try e.acknowledgeOutbox(actor: .admin(uid(900)), upTo: events.last!.position) == UInt64(events.count), "acknowledged")
    expect(try e.outbox(actor: .system, after: 0, limit: 100).isEmpty, "acknowledging empties it")
}

let started = Date()
do {
    try readmeQuickstart()
    try groupScenarios()
    try lessonScenarios()
    try errorCodes()
    try everyTypeCrosses()
    try offerSweepFailures()
    try calendarExport()
    try hostileInputs()
    try sqliteStore()
    try conformance()
    try readSide()
} catch {
    failures += 1
    print("FAIL: unexpected error \(error)")
}
// Every code of the core has been triggered through real calls, each as its own error case.
let all = allErrorCodes()
expect(all.count == 33 && Set(all).count == all.count, "33 distinct codes")
expect(codesSeen == Set(all), "codes not triggered: \(Set(all).subtracting(codesSeen).sorted())")
print("swift: \(checks) checks, \(failures) failed, \(codesSeen.count) error codes seen "
      + "(\(Int(Date().timeIntervalSince(started) * 1000)) ms)")
exit(failures > 0 ? 1 : 0)
