// Tests of the Swift package: they use the library product `Booking` as a dependent package
// would (`import Booking`), not the generated files directly.
//
// The region between "// region: swiftpm-quickstart" and "// endregion" is quoted verbatim in
// booking-uniffi/README.md and in the top README's Install section; scripts/package-swift fails
// if a copy differs.
import XCTest

// region: swiftpm-quickstart
import Booking
import Foundation

/// A one-seat session with a waitlist: Ben waits, Ana cancels, Ben is promoted.
func waitlistPromotion() throws -> (engine: Engine, benBooking: String, events: [String]) {
    let (teacher, ana, ben) = (UUID().uuidString, UUID().uuidString, UUID().uuidString)
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
    assert(first.status == .confirmed && second.status == .waitlisted)

    // Ana cancels: Ben is promoted in the same step, and the events say so.
    let receipt = try engine.cancelBooking(actor: .student(ana), bookingId: first.id)
    return (engine, second.id, try receipt.events.map { try $0.name() })
}

/// My bookings: a student's agenda for the next 30 days, a page of at most 20 (pass `next` as
/// `after` for more).
func myBookings(engine: Engine, student: String) throws -> [StudentAgendaItem] {
    let now = engine.now()
    return try engine.studentAgenda(
        actor: .student(student), studentId: student, from: now, to: now.addingTimeInterval(30 * 86_400), limit: 20
    ).items
}
// endregion

final class BookingTests: XCTestCase {
    func testWaitlistPromotion() throws {
        let (engine, benBooking, events) = try waitlistPromotion()
        XCTAssertEqual(events, ["booking_cancelled", "booking_promoted"])
        XCTAssertEqual(try engine.seatBooking(actor: .system, bookingId: benBooking).status, .confirmed)
    }

    func testMyBookings() throws {
        let (engine, benBooking, _) = try waitlistPromotion()
        let ben = try engine.seatBooking(actor: .system, bookingId: benBooking).studentId
        let mine = try myBookings(engine: engine, student: ben)
        XCTAssertEqual(mine.map { $0.bookingId }, [benBooking])
        XCTAssertEqual(mine.first?.status, .confirmed)
    }

    func testRefusalsCarryTheStableCode() throws {
        let clock = try ManualClock(now: ISO8601DateFormatter().date(from: "2030-05-01T08:00:00Z")!)
        let engine = Engine.inMemory(store: InMemoryStore(), clock: clock)
        let (teacher, ana) = (UUID().uuidString, UUID().uuidString)
        let session = try engine.createSession(
            actor: .teacher(teacher),
            session: NewGroupSession(
                teacherId: teacher, courseId: nil, title: "Refusals",
                startsAt: ISO8601DateFormatter().date(from: "2030-05-02T17:00:00Z")!, timeZone: "UTC",
                durationMinutes: 60, meetingLink: "https://meet.example.com/r", capacity: 2, waitlistEnabled: false,
                waitlistMode: .promote)
        ).value
        _ = try engine.bookSeat(actor: .student(ana), sessionId: session.id, studentId: ana)
        XCTAssertThrowsError(try engine.bookSeat(actor: .student(ana), sessionId: session.id, studentId: ana)) {
            guard case BookingError.AlreadyBooked(let code, _) = $0 else {
                return XCTFail("expected BookingError.AlreadyBooked, got \($0)")
            }
            XCTAssertEqual(code, "already_booked")
        }
    }
}
