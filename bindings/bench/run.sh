#!/usr/bin/env bash
# The bindings benchmark: per-call overhead of a trivial call from Kotlin, and the
# per-fix cost of ingesting 1,000 fixes in one call against 1,000 calls, on the
# release native library. Prints a table. Not part of the test command.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -q --release -p fieldgrid-ffi --locked
cargo build -q -p fieldgrid-ffi --bin uniffi-bindgen --locked
OUT="$TARGET/bindings-bench"
rm -rf "$OUT"
"$TARGET/debug/uniffi-bindgen" generate --library "$TARGET/release/libfieldgrid_ffi.so" \
  --language kotlin --no-format --out-dir "$OUT/kotlin" >/dev/null
KOTLIN_HOME="$("$ROOT/bindings/tests/kotlin/setup.sh")"
CP="/usr/share/java/jna.jar:$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"
"$KOTLIN_HOME/bin/kotlinc-jvm" -nowarn -jvm-target 17 -cp "$CP" -d "$OUT/classes" \
  "$OUT/kotlin" bindings/bench/Bench.kt 2>&1 | grep -v "^warning:" || true
java -Djna.library.path="$TARGET/release" -cp "$OUT/classes:$CP:$KOTLIN_HOME/lib/kotlin-stdlib.jar" \
  org.fieldgrid.bench.BenchKt
