// The Swift side of the listing comparison (bench/run listing): a teacher's listing through the
// generated bindings on the in-memory store, with the fixture of benches/bindings/listing.py,
// bench/Listing.kt and examples/listing_bench.rs (one teacher in Europe/Berlin, 20 weekly and 50
// one-time slots, 200 lessons booked; the viewer lists in America/New_York from 10 March 2030).
//
// For each window (30, 90, 365 days) it times `engine.listOccurrences(query:)` alone and with
// every field of every occurrence read. Each figure is the median of `repeats` runs after
// warm-up runs, each run the mean of enough listings to last about 0.1 s. Prints
// `RESULT lang=swift ...` lines. Compiled with `swiftc -O` by bench/run.
//
//   booking-swift-listing [repeats] [windows]      (defaults 7 and 30,90,365)

import Dispatch
import Foundation

let now = ISO8601DateFormatter().date(from: "2030-03-10T00:00:00Z")!
let teacherZone = "Europe/Berlin"
let viewerZone = "America/New_York"
let day: TimeInterval = 86400

func user(_ n: Int) -> String { String(format: "00000010-0000-0000-0000-%012llx", Int64(n)) }
let teacher = user(2_000_000)
let viewer = user(3_000_000)
let course = "00000020-0000-0000-0000-000000000001"
func lessonStudent(_ s: Int) -> String { user(10_000_000 + s) }

func query(_ days: Int) -> OccurrenceQuery {
    OccurrenceQuery(teacherId: teacher, courseId: nil, studentId: viewer, from: now,
                    to: now.addingTimeInterval(Double(days) * day), timeZone: viewerZone)
}

func fixture() throws -> Engine {
    let store = InMemoryStore()
    try store.enroll(studentId: viewer, courseId: course)
    for s in 0..<50 { try store.enroll(studentId: lessonStudent(s), courseId: course) }
    let engine = Engine.inMemory(store: store, clock: try ManualClock(now: now))
    let t = Actor.teacher(teacher)
    var i = 0
    for weekday in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] {
        for hour in [9, 11, 14, 16] {
            _ = try engine.publishSlot(actor: t, teacherId: teacher, slot: SlotSpec(
                courseId: i % 4 == 0 ? course : nil, timeZone: teacherZone,
                recurrence: .weekly(weekday: weekday, startTime: String(format: "%02d:00", hour),
                                    endTime: String(format: "%02d:00", hour + 1), validFrom: "2030-01-01",
                                    validUntil: nil),
                active: true))
            i += 1
        }
    }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let toSaturday = (7 - calendar.component(.weekday, from: now)) % 7  // 1 is Sunday, 7 Saturday
    let dateOnly = ISO8601DateFormatter()
    dateOnly.formatOptions = [.withFullDate]
    for week in 0..<50 {
        let date = dateOnly.string(from: now.addingTimeInterval(Double(toSaturday + 7 * week) * day))
        _ = try engine.publishSlot(actor: t, teacherId: teacher, slot: SlotSpec(
            courseId: nil, timeZone: teacherZone, recurrence: .oneTime(start: "\(date)T10:00", end: "\(date)T11:30"),
            active: true))
    }
    let all = try engine.listOccurrences(query: query(365))
    precondition(all.count >= 200, "\(all.count) occurrences")
    for k in 0..<200 {
        let o = all[k * all.count / 200]
        let student = lessonStudent(k % 50)
        _ = try engine.bookLesson(actor: .student(student), slotId: o.slotId, startsAt: o.startsAt, studentId: student)
    }
    return engine
}

/// Every field of every occurrence, as an app rendering them all reads them.
func readAll(_ found: [BookableOccurrence]) -> Int {
    var sink = 0
    for o in found {
        sink &+= o.slotId.utf8.count &+ (o.courseId?.utf8.count ?? 0) &+ Int(o.startsAt.timeIntervalSince1970)
        sink &+= Int(o.endsAt.timeIntervalSince1970) &+ o.teacherTimeZone.utf8.count &+ o.teacherLocalStart.utf8.count
        sink &+= o.teacherLocalEnd.utf8.count &+ o.viewerTimeZone.utf8.count &+ o.viewerLocalStart.utf8.count
        sink &+= o.viewerLocalEnd.utf8.count
    }
    return sink
}

var blackhole = 0

/// Median over `repeats` runs (after warm-up) of the mean ns per call of `f`.
func timed(_ repeats: Int, _ f: () throws -> Int) rethrows -> Double {
    func clock() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    var started = clock()
    for _ in 0..<3 { blackhole &+= try f() }
    let number = min(100_000, max(3, Int(0.1e9 / (Double(clock() - started) / 3))))
    for _ in 0..<number { blackhole &+= try f() }
    var runs: [Double] = []
    for _ in 0..<repeats {
        started = clock()
        for _ in 0..<number { blackhole &+= try f() }
        runs.append(Double(clock() - started) / Double(number))
    }
    runs.sort()
    return runs[runs.count / 2]
}

let arguments = CommandLine.arguments
let repeats = arguments.count > 1 ? Int(arguments[1])! : 7
let windows = (arguments.count > 2 ? arguments[2] : "30,90,365").split(separator: ",").map { Int($0)! }
let engine = try fixture()
let stamp = ISO8601DateFormatter()
for days in windows {
    let q = query(days)
    let found = try engine.listOccurrences(query: q)
    let list = try timed(repeats) { try engine.listOccurrences(query: q).count }
    let read = try timed(repeats) { readAll(try engine.listOccurrences(query: q)) }
    let first = found.first.map { stamp.string(from: $0.startsAt) } ?? "none"
    let last = found.last?.viewerLocalEnd ?? "none"
    print("RESULT lang=swift bench=listing days=\(days) occurrences=\(found.count) "
        + String(format: "list_ns=%.0f read_ns=%.0f", list, read) + " first=\(first) last=\(last) repeats=\(repeats)")
}
if blackhole == 42 { print("") }
