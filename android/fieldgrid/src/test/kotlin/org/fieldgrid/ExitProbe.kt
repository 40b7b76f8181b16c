package org.fieldgrid

import java.nio.file.Files
import kotlinx.coroutines.runBlocking

/**
 * Opens a store, makes async calls (a photo processed off-thread, a registration
 * over HTTP to the real server) and returns from `main` without `exitProcess`:
 * bindings/tests/kotlin/run.sh starts it several times and fails unless every
 * JVM ends by itself, promptly, with status 0 (no abort, no thread left holding
 * it open).
 */
fun main(args: Array<String>) = runBlocking {
    val n = args.firstOrNull()?.toInt() ?: 0
    val dir = Files.createTempDirectory("fieldgrid-exit").toString()
    FieldGridClient.open("$dir/probe.sqlite", "exit-probe-key-0123456789abcdef".toByteArray(), FieldGridClientTest.url).use { c ->
        c.signIn("worker-probe")
        c.addPhoto(FieldGridClientTest.cameraJpeg())
        c.register("退出探针", FieldGridClientTest.idNumber(700 + n), "1390518%04d".format(700 + n))
    }
    Unit
}
