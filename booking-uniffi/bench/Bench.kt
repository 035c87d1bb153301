// The Kotlin side of the per-call comparison: times engine.bookSeat through the generated
// bindings on the in-memory store. Same workload as examples/book_seat_bench.rs: each round
// creates `sessions` sessions of `seats` seats, then books every seat (one call per seat);
// 3 warm-up rounds are discarded and the median of the others is printed. Run it with bench/run.

import org.booking.*
import org.booking.core.*
import java.time.Duration
import java.time.Instant

fun main(args: Array<String>) {
    val sessions = args.getOrNull(0)?.toInt() ?: 2000
    val seats = args.getOrNull(1)?.toInt() ?: 10
    val repeats = args.getOrNull(2)?.toInt() ?: 7
    val warmups = 3
    val calls = sessions.toDouble() * seats
    fun uid(n: Int) = "00000000-0000-0000-0000-%012d".format(n)
    val teacher = uid(1)
    val students = (0 until seats).map { uid(100 + it) }
    val actors = students.map { Actor.Student(it) }
    val engine = Engine.inMemory(InMemoryStore())
    val results = mutableListOf<Double>()
    repeat(warmups + repeats) { round ->
        val ids = (0 until sessions).map {
            engine.createSession(
                Actor.Teacher(teacher),
                NewGroupSession(teacherId = teacher, title = "Bench", startsAt = Instant.now().plus(Duration.ofDays(1)),
                    timeZone = "Europe/Paris", durationMinutes = 60u, meetingLink = "https://meet.example.com/bench",
                    capacity = seats.toUInt(), waitlistEnabled = false, waitlistMode = WaitlistMode.Promote),
            ).value.id
        }
        val started = System.nanoTime()
        for (id in ids) for (i in students.indices) engine.bookSeat(actors[i], id, students[i])
        val perCall = (System.nanoTime() - started) / calls
        if (round >= warmups) results.add(perCall)
    }
    results.sort()

    // Where the time goes: the same engine, calls with fewer arguments crossing.
    fun floor(n: Int, f: () -> Unit): Double {
        repeat(n) { f() }
        val rounds = (0 until 5).map {
            val t = System.nanoTime()
            repeat(n) { f() }
            (System.nanoTime() - t).toDouble() / n
        }.sorted()
        return rounds[2]
    }
    val someId = engine.createSession(Actor.Teacher(teacher), NewGroupSession(teacherId = teacher, title = "Bench",
        startsAt = Instant.now().plus(Duration.ofDays(1)), timeZone = "Europe/Paris", durationMinutes = 60u,
        meetingLink = "https://meet.example.com/bench", capacity = 1u, waitlistEnabled = false, waitlistMode = WaitlistMode.Promote)).value.id
    println("kotlin allErrorCodes() (no args): median %.0f ns/call".format(floor(5000) { allErrorCodes() }))
    println("kotlin engine.now() (no args):    median %.0f ns/call".format(floor(5000) { engine.now() }))
    println("kotlin engine.session(actor, id): median %.0f ns/call".format(floor(5000) { engine.session(Actor.System, someId) }))
    println("kotlin new JNA call-status struct: median %.0f ns".format(floor(20000) { org.booking.UniffiRustCallStatus() }))
    println("kotlin engine.bookSeat (FFI):    median %.0f ns/call (%d rounds of %.0f calls; all: %s)".format(
        results[results.size / 2], repeats, calls, results.joinToString { "%.0f".format(it) }))
}
