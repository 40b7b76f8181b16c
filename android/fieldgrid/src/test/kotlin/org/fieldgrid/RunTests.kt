package org.fieldgrid

import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import org.junit.runner.Description
import kotlin.system.exitProcess

/** Runs the JUnit suite and ends with a plain `N passed, N failed` line. */
fun main() {
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testFinished(description: Description) = println("done  ${description.methodName}")
        override fun testFailure(failure: Failure) {
            println("FAIL  ${failure.description.methodName}: ${failure.message}")
            println(failure.trace)
        }
    })
    val result = core.run(FieldGridClientTest::class.java)
    val failed = result.failureCount
    println("${result.runCount - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
