// The README's Kotlin quickstart as a program of its own, run against the packaged jar by
// scripts/package-kotlin. The script puts the README's `readme-kotlin-quickstart` block (the
// same block scripts/test-mobile checks is a verbatim region of mobile/kotlin/Main.kt) in place
// of the marker line below, compiles the result against only booking-<version>.jar, JNA and
// kotlin-stdlib, and runs it with no jna.library.path: the native library comes from the jar.

import org.booking.*
import org.booking.core.*
import java.time.Instant
import java.util.UUID
import kotlin.system.exitProcess

var checks = 0
var failures = 0

fun expect(condition: Boolean, what: String) {
    checks++
    if (!condition) {
        failures++
        println("FAIL: $what")
    }
}

fun main() {
    val teacher = UUID.randomUUID().toString()
    val ana = UUID.randomUUID().toString()
    val ben = UUID.randomUUID().toString()
    // README: readme-kotlin-quickstart
    println("readme-kotlin-quickstart: $checks checks, $failures failed")
    exitProcess(if (failures == 0) 0 else 1)
}
