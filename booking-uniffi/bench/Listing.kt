// The Kotlin side of the listing comparison (bench/run listing): a teacher's listing through
// the generated bindings on the in-memory store, with the fixture of benches/bindings/listing.py
// and examples/listing_bench.rs (one teacher in Europe/Berlin, 20 weekly and 50 one-time slots,
// 200 lessons booked; the viewer lists in America/New_York from 10 March 2030).
//
// For each window (30, 90, 365 days) it times `engine.listOccurrences(query)` alone and with
// every field of every occurrence read, then, to show where the time goes, lifting the same
// bytes from a Java buffer without any FFI call (`FfiConverter...read`, what the call does with
// the buffer Rust returns). Each figure is the median of `repeats` runs after warm-up runs, each
// run the mean of enough listings to last about 0.1 s. Prints `RESULT lang=kotlin ...` lines.
//
//   java ... ListingKt [repeats] [windows]      (defaults 7 and 30,90,365)

import org.booking.*
import org.booking.core.*
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.time.Duration
import java.time.Instant
import java.time.LocalDate
import java.time.ZoneOffset

private val now: Instant = Instant.parse("2030-03-10T00:00:00Z")
private const val TEACHER_ZONE = "Europe/Berlin"
private const val VIEWER_ZONE = "America/New_York"

private fun user(n: Long) = java.util.UUID(1L shl 36, n).toString()
private val teacher = user(2_000_000)
private val viewer = user(3_000_000)
private val course = java.util.UUID(2L shl 36, 1).toString()
private fun lessonStudent(s: Int) = user(10_000_000L + s)

private fun fixture(): Engine {
    val store = InMemoryStore()
    store.enroll(viewer, course)
    for (s in 0 until 50) store.enroll(lessonStudent(s), course)
    val engine = Engine.inMemory(store, clock = ManualClock(now))
    val t = Actor.Teacher(teacher)
    val days = listOf(Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
    var i = 0
    for (day in days) for (hour in listOf(9, 11, 14, 16)) {
        engine.publishSlot(t, teacher, SlotSpec(
            courseId = if (i++ % 4 == 0) course else null,
            timeZone = TEACHER_ZONE,
            recurrence = SlotRecurrence.Weekly(day, "%02d:00".format(hour), "%02d:00".format(hour + 1), "2030-01-01", null),
        ))
    }
    val today = LocalDate.ofInstant(now, ZoneOffset.UTC)
    val firstSaturday = today.plusDays(((6 - today.dayOfWeek.value + 7) % 7).toLong())
    for (week in 0L until 50L) {
        val day = firstSaturday.plusWeeks(week)
        engine.publishSlot(t, teacher, SlotSpec(timeZone = TEACHER_ZONE,
            recurrence = SlotRecurrence.OneTime("${day}T10:00", "${day}T11:30")))
    }
    val all = engine.listOccurrences(query(365))
    check(all.size >= 200) { "${all.size} occurrences" }
    for (k in 0 until 200) {
        val o = all[k * all.size / 200]
        val student = lessonStudent(k % 50)
        engine.bookLesson(Actor.Student(student), o.slotId, o.startsAt, student)
    }
    return engine
}

private fun query(days: Long) = OccurrenceQuery(teacherId = teacher, studentId = viewer, from = now,
    to = now.plus(Duration.ofDays(days)), timeZone = VIEWER_ZONE)

/** Every field of every occurrence, as an app rendering them all reads them. */
private fun readAll(found: List<BookableOccurrence>): Long {
    var sink = 0L
    for (o in found) {
        sink += o.slotId.length + (o.courseId?.length ?: 0) + o.startsAt.epochSecond + o.endsAt.epochSecond +
            o.teacherTimeZone.length + o.teacherLocalStart.length + o.teacherLocalEnd.length +
            o.viewerTimeZone.length + o.viewerLocalStart.length + o.viewerLocalEnd.length
    }
    return sink
}

@Volatile private var blackhole: Any? = null

/** Median over `repeats` runs (after warm-up) of the mean ns per call of `f`. */
private fun timed(repeats: Int, f: () -> Any?): Double {
    var started = System.nanoTime()
    repeat(3) { blackhole = f() }
    val number = (0.1e9 / ((System.nanoTime() - started) / 3.0)).toInt().coerceIn(3, 100_000)
    repeat(number) { blackhole = f() }
    val runs = (0 until repeats).map {
        started = System.nanoTime()
        repeat(number) { blackhole = f() }
        (System.nanoTime() - started).toDouble() / number
    }.sorted()
    return runs[runs.size / 2]
}

fun main(args: Array<String>) {
    val repeats = args.getOrNull(0)?.toInt() ?: 7
    val windows = (args.getOrNull(1) ?: "30,90,365").split(",").map { it.toLong() }
    val engine = fixture()
    // Warm the JIT on every window first (a second of listings), so that no window is timed
    // while the lifting code is still being compiled.
    for (days in windows) timed(1) { engine.listOccurrences(query(days)) }
    for (days in windows) {
        val q = query(days)
        val found = engine.listOccurrences(q)
        // The bytes Rust sends for this listing, lifted again without the FFI.
        val room = FfiConverterSequenceTypeBookableOccurrence.allocationSize(found).toInt()
        val bytes = ByteBuffer.allocate(room).order(ByteOrder.BIG_ENDIAN)
        FfiConverterSequenceTypeBookableOccurrence.write(found, bytes)
        val size = bytes.position()
        bytes.limit(size)
        val liftedAgain = FfiConverterSequenceTypeBookableOccurrence.read(bytes.duplicate().rewind() as ByteBuffer)
        check(liftedAgain == found) { "lifting the written bytes gave another listing" }
        val list = timed(repeats) { engine.listOccurrences(q) }
        val read = timed(repeats) { readAll(engine.listOccurrences(q)) }
        val lift = timed(repeats) { FfiConverterSequenceTypeBookableOccurrence.read(bytes.duplicate().rewind() as ByteBuffer) }
        val first = found.firstOrNull()
        val last = found.lastOrNull()
        println("RESULT lang=kotlin bench=listing days=$days occurrences=${found.size} bytes=$size " +
            "list_ns=%.0f read_ns=%.0f lift_ns=%.0f first=%s last=%s repeats=%d".format(list, read, lift,
                first?.startsAt, last?.viewerLocalEnd, repeats))
    }
}
