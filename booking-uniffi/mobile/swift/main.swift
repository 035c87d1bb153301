// The Swift test program of booking-uniffi, compiled with swiftc (inside a Debian trixie root)
// and run by scripts/test-mobile against the generated bindings and the built library. It plays
// the seed's scenarios, triggers every error code through real calls, uses the SQLite store in
// a temporary directory, and runs the core's conformance suite against a document store written
// in Swift. Exits non-zero on any failure.
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
        waitlistEnabled: waitlist)
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
    private var requests: [String: String] = [:]
    private var enrollments = Set<String>()

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

    func loadRequest(scope: String, key: String) throws -> String? { locked { requests[scope + "\n" + key] } }

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
                documents[DocumentKey(kind: write.kind, id: write.id)] = Document(version: write.version, body: write.body)
            }
            for booking in commit.newBookings { bookings[booking.bookingId] = booking.location }
            for slot in commit.newSlots { slots[slot.slotId] = slot.teacherId }
            if let request = commit.request { requests[request.scope + "\n" + request.key] = request.body }
        }
    }

    func approvalSettings(courseId: String, teacherId: String) throws -> ApprovalSettings {
        ApprovalSettings(course: nil, teacherOverride: nil)
    }

    func isEnrolled(studentId: String, courseId: String) throws -> Bool {
        locked { enrollments.contains(studentId + "\n" + courseId) }
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
        actor: .teacher(id: teacher),
        session: NewGroupSession(
            teacherId: teacher, courseId: nil, title: "Chess openings",
            startsAt: ISO8601DateFormatter().date(from: "2030-05-02T17:00:00Z")!, timeZone: "Europe/Paris",
            durationMinutes: 90, meetingLink: "https://meet.example.com/chess", capacity: 1, waitlistEnabled: true)
    ).value

    let first = try engine.bookSeat(actor: .student(id: ana), sessionId: session.id, studentId: ana).value
    let second = try engine.bookSeat(actor: .student(id: ben), sessionId: session.id, studentId: ben).value
    expect(second.status == .waitlisted, "Ben is waitlisted")

    // Ana cancels: Ben is promoted in the same step, and the events say so.
    let receipt = try engine.cancelBooking(actor: .student(id: ana), bookingId: first.id)
    expect(receipt.events.map { $0.name } == ["booking_cancelled", "booking_promoted"], "events")
    expect(try engine.seatBooking(bookingId: second.id).status == .confirmed, "Ben is confirmed")

    // Refusals are thrown errors carrying the core's stable code.
    do {
        _ = try engine.bookSeat(actor: .student(id: ben), sessionId: session.id, studentId: ben)
    } catch BookingError.AlreadyBooked(let code, _) {
        expect(code == "already_booked", "the code travels with the error")
    }
    // endregion
}

func groupScenarios() throws {
    section("group sessions (seed scenarios)")
    let clock = try ManualClock(now: t0)
    let engine = Engine.inMemory(store: InMemoryStore(), clock: clock)
    let t = Actor.teacher(id: teacher)

    // 1. Create session: 10 seats, no waitlist.
    let created = try engine.createSession(actor: t, session: newGroupSession(10, waitlist: false))
    let s = created.value
    expect(s.capacity == 10 && s.remainingSeats == 10 && s.version == 1, "created with 10 free seats")
    if case .sessionCreated = created.events[0].kind {} else { expect(false, "session_created event") }
    expect(s.startsAt == t0.addingTimeInterval(day), "instants cross as Date")
    expect(try engine.bookingAvailability(sessionId: s.id) == .open, "open")

    // 2. Book to capacity: all confirmed, booking closes.
    for i in 0..<10 {
        let r = try engine.bookSeat(actor: .student(id: students[i]), sessionId: s.id, studentId: students[i])
        expect(r.value.status == .confirmed, "student \(i) confirmed")
        if i == 9 { expect(r.events.contains { $0.name == "session_closed" }, "the 10th booking closes the session") }
    }
    let full = try engine.session(sessionId: s.id)
    expect(full.isFull && full.isClosedForBooking && full.bookedSeats == 10, "full and closed")
    expect(try engine.bookingAvailability(sessionId: s.id) == .closed, "closed (booking_closed)")

    // 3. Try to overbook.
    expectError("session_full", "11th student") {
        _ = try engine.bookSeat(actor: .student(id: students[10]), sessionId: s.id, studentId: students[10])
    }
    let reopened = try engine.cancelBooking(actor: .student(id: students[0]), bookingId: full.bookings[0].id)
    expect(reopened.events.map { $0.name } == ["booking_cancelled", "session_reopened"], "cancel reopens")

    // 4. With waitlist: 15 students on 10 seats.
    let w = try engine.createSession(actor: t, session: newGroupSession(10, waitlist: true)).value
    let booked = try (0..<15).map {
        try engine.bookSeat(actor: .student(id: students[$0]), sessionId: w.id, studentId: students[$0]).value
    }
    expect(booked.filter { $0.status == .confirmed }.count == 10, "10 confirmed")
    expect(booked.filter { $0.status == .waitlisted }.count == 5, "5 waitlisted")
    expect(try engine.bookingAvailability(sessionId: w.id) == .waitlistOnly, "waitlist only")

    // 5. Cancel and promote.
    let cancel = try engine.cancelBooking(actor: .student(id: students[3]), bookingId: booked[3].id)
    let promoted = cancel.events.compactMap { event -> String? in
        if case .bookingPromoted(_, let bookingId, _) = event.kind { return bookingId }
        return nil
    }
    expect(promoted == [booked[10].id], "the first waitlisted student is promoted")
    expect(try engine.session(sessionId: w.id).waitlistedCount == 4, "4 left on the waitlist")

    // 6. The same student twice.
    expectError("already_booked", "same student twice") {
        _ = try engine.bookSeat(actor: .student(id: students[0]), sessionId: w.id, studentId: students[0])
    }

    // Capacity, waitlist, attendance, idempotent keys.
    let grown = try engine.changeCapacity(actor: t, sessionId: w.id, capacity: 12)
    expect(grown.events.filter { $0.name == "booking_promoted" }.count == 2, "2 promoted into added seats")
    _ = try engine.setWaitlist(actor: t, sessionId: w.id, enabled: false)
    try clock.advance(delta: day + 300)
    expect(try engine.markAttendance(actor: t, bookingId: booked[0].id, attended: true).value.status == .attended,
           "attended")
    let later = newGroupSession(2, waitlist: false, startsAt: t0.addingTimeInterval(3 * day))
    let k = try engine.createSession(actor: t, session: later, key: "import-1")
    let again = try engine.createSession(actor: t, session: later, key: "import-1")
    expect(!k.replayed && again.replayed && again.value.id == k.value.id, "replayed under the same key")
    let cancelled = try engine.cancelSession(actor: t, sessionId: k.value.id)
    expect(cancelled.value.isCancelled, "session cancelled")
}

func lessonScenarios() throws {
    section("1:1 lessons (seed scenarios)")
    let store = InMemoryStore()
    let clock = try ManualClock(now: t0)
    let engine = Engine.inMemory(store: store, clock: clock)
    let t = Actor.teacher(id: teacher)
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

    let lesson = try engine.bookLesson(actor: .student(id: s1), slotId: weekly.id, startsAt: listed[0].startsAt,
                                       studentId: s1).value
    expect(lesson.status == .confirmed, "booked without approval")
    expectError("slot_unavailable", "same occurrence twice") {
        _ = try engine.bookLesson(actor: .student(id: s2), slotId: weekly.id, startsAt: listed[0].startsAt,
                                  studentId: s2)
    }
    expect(try engine.listOccurrences(query: query).allSatisfy { $0.startsAt != listed[0].startsAt },
           "booked occurrence removed")

    try store.enroll(studentId: s2, courseId: course)
    try store.setCourseApproval(courseId: course, requiresApproval: true)
    let pending = try engine.bookLesson(actor: .student(id: s2), slotId: oneTime.id,
                                        startsAt: instant("2030-03-06T09:00:00Z"), studentId: s2)
    expect(pending.value.status == .pending, "pending approval")
    let approved = try engine.approveLesson(actor: t, bookingId: pending.value.id,
                                            meetingLink: "https://meet.example.com/1on1")
    expect(approved.value.status == .confirmed && approved.value.meetingLink == "https://meet.example.com/1on1",
           "approved with a meeting link")

    try store.setCourseApproval(courseId: course, requiresApproval: nil)
    let series = try engine.bookSeries(
        actor: .student(id: s3),
        series: SeriesRequest(slotId: weekly.id, studentId: s3, firstStartsAt: instant("2030-03-11T13:00:00Z"),
                              everyWeeks: 1, end: .count(count: 4), mode: .allOrNothing)
    ).value
    expect(series.lessons.count == 4, "4 lessons in the series")
    expect(series.lessons[3].startsAt == instant("2030-04-01T12:00:00Z"), "summer time: 12:00 UTC")
    let cancelledLater = try engine.cancelSeriesFrom(actor: .student(id: s3), bookingId: series.lessons[1].id)
    expect(cancelledLater.value.count == 3, "the second and later lessons cancelled")

    // A meeting-link generator written in Swift, for lessons confirmed without a link.
    let linked = Engine.inMemory(store: InMemoryStore(), clock: try ManualClock(now: t0), meetingLinks: Links())
    let linkSlot = try linked.publishSlot(
        actor: t, teacherId: teacher,
        slot: SlotSpec(courseId: nil, timeZone: "UTC",
                       recurrence: .oneTime(start: "2030-03-08T10:00", end: "2030-03-08T11:00"), active: true)
    ).value
    let withLink = try linked.bookLesson(actor: .student(id: s1), slotId: linkSlot.id,
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
    let t = Actor.teacher(id: teacher)
    let nobody = uid(999_999)
    let st = { (i: Int) in Actor.student(id: students[i]) }

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
    expectError("session_not_found", "session") { _ = try engine.session(sessionId: nobody) }
    expectError("booking_not_found", "booking") { _ = try engine.seatBooking(bookingId: nobody) }
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
    let otherSlot = try engine.publishSlot(actor: .teacher(id: other), teacherId: other,
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
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "corrupt"), clock: clock).session(sessionId: kept.id)
    }
    expectError("store_error", "the store throws StoreError.Backend") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "backend"), clock: clock).session(sessionId: kept.id)
    }
    expectError("store_error", "the store throws an unexpected error") {
        _ = try Engine.withDocumentStore(store: BrokenStore(good, "unexpected"), clock: clock).session(sessionId: kept.id)
    }

    let all = allErrorCodes()
    expect(all.count == 26 && Set(all).count == all.count, "26 distinct codes")
    expect(codesSeen == Set(all), "codes not triggered: \(Set(all).subtracting(codesSeen).sorted())")
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
    let s = try engine.createSession(actor: .teacher(id: teacher), session: newGroupSession(1, waitlist: true)).value
    _ = try engine.bookSeat(actor: .student(id: students[0]), sessionId: s.id, studentId: students[0])
    _ = try engine.bookSeat(actor: .student(id: students[1]), sessionId: s.id, studentId: students[1])
    let outbox = try store.eventsSince(after: 0, limit: 100)
    expect(outbox.map { $0.event.name } == ["session_created", "booking_confirmed", "booking_waitlisted"], "outbox")
    try store.checkIntegrity()

    let reopened = Engine.sqlite(store: try SqliteStore.open(path: path), clock: clock)
    let again = try reopened.session(sessionId: s.id)
    expect(again.bookedSeats == 1 && again.waitlistedCount == 1, "the bookings survive reopening the file")
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
    let s = try engine.createSession(actor: .teacher(id: teacher),
                                     session: newGroupSession(5, waitlist: false, startsAt: Date().addingTimeInterval(day))).value
    DispatchQueue.concurrentPerform(iterations: students.count) { i in
        _ = try? engine.bookSeat(actor: .student(id: students[i]), sessionId: s.id, studentId: students[i])
    }
    expect(try engine.session(sessionId: s.id).bookedSeats == 5, "20 threads, 5 seats: exactly 5 taken")
}

let started = Date()
do {
    try readmeQuickstart()
    try groupScenarios()
    try lessonScenarios()
    try errorCodes()
    try sqliteStore()
    try conformance()
} catch {
    failures += 1
    print("FAIL: unexpected error \(error)")
}
print("swift: \(checks) checks, \(failures) failed, \(codesSeen.count) error codes seen "
      + "(\(Int(Date().timeIntervalSince(started) * 1000)) ms)")
exit(failures > 0 ? 1 : 0)
