// The `fieldgrid` library: the UniFFI-generated Kotlin bindings of fieldgrid-ffi
// (generated, never committed), the native library for each ABI, and the thin
// idiomatic layer in src/main/kotlin (suspend functions, Flow of sync progress).
//
// `./gradlew :fieldgrid:assemble` runs cargo-ndk for the ABIs below and
// uniffi-bindgen for the Kotlin sources. The same layer is compiled and tested on
// a desktop JVM by `tests/run-all.sh` (bindings/tests/kotlin/run.sh).
import org.gradle.api.tasks.Exec

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

val repo = rootDir.parentFile
val generated = layout.buildDirectory.dir("generated/uniffi")
val jniOut = layout.buildDirectory.dir("rustJniLibs")

android {
    namespace = "org.fieldgrid"
    compileSdk = 35
    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].java.srcDir(generated)
    sourceSets["main"].jniLibs.srcDir(jniOut)
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

// SQLCipher on Android links a vendored OpenSSL (no system libcrypto to use).
val cargoNdk by tasks.registering(Exec::class) {
    workingDir = repo
    commandLine(
        "cargo", "ndk", "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", jniOut.get().asFile.path, "build", "--release", "-p", "fieldgrid-ffi", "--features", "vendored-openssl",
    )
}

val uniffiKotlin by tasks.registering(Exec::class) {
    dependsOn(cargoNdk)
    workingDir = repo
    commandLine(
        "cargo", "run", "-p", "fieldgrid-ffi", "--bin", "uniffi-bindgen", "--", "generate",
        "--library", jniOut.get().file("arm64-v8a/libfieldgrid_ffi.so").asFile.path,
        "--language", "kotlin", "--out-dir", generated.get().asFile.path,
    )
}

tasks.named("preBuild") { dependsOn(uniffiKotlin) }

dependencies {
    api("net.java.dev.jna:jna:5.14.0@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    testImplementation("junit:junit:4.13.2")
}
