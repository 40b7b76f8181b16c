#!/usr/bin/env bash
# Compiles the generated Kotlin bindings, the android/fieldgrid library layer and
# its JUnit suite with kotlinc on the JVM, and runs the suite against the real
# native library. Usage: run.sh GENERATED_KOTLIN_DIR NATIVE_LIB_DIR
# With FIELDGRID_KOTLIN_STEP=compile it only compiles (run-foreign.sh does that
# while the server starts), with FIELDGRID_KOTLIN_STEP=run it only runs what was
# compiled.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
GEN="$1"
NATIVE="$2"
KOTLIN_HOME="$("$ROOT/bindings/tests/kotlin/setup.sh")"
LIB="$KOTLIN_HOME/lib"
OUT="$(dirname "$GEN")/kotlin-classes"
CP="/usr/share/java/jna.jar:$LIB/kotlinx-coroutines-core-jvm.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
STEP="${FIELDGRID_KOTLIN_STEP:-all}"
if [[ "$STEP" != run ]]; then
  rm -rf "$OUT" && mkdir -p "$OUT"
  echo "compiling Kotlin (bindings + library layer + tests)..."
  "$KOTLIN_HOME/bin/kotlinc-jvm" -nowarn -jvm-target 17 -cp "$CP" -d "$OUT" \
    "$GEN" "$ROOT/android/fieldgrid/src/main/kotlin" "$ROOT/android/fieldgrid/src/test/kotlin" \
    ${FIELDGRID_KOTLIN_EXTRA:-} 2>&1 | grep -v "^warning:" || true
fi
[[ -f "$OUT/org/fieldgrid/RunTestsKt.class" ]] || { echo "Kotlin compilation failed"; exit 1; }
[[ "$STEP" == compile ]] && exit 0
status=0
java -Djna.library.path="$NATIVE" -cp "$OUT:$CP:$LIB/kotlin-stdlib.jar" "${FIELDGRID_KOTLIN_MAIN:-org.fieldgrid.RunTestsKt}" || status=1
# Each JVM must end by itself after async calls: no abort, no hang. The five
# run side by side.
probe() {
  timeout 60 java -Djna.library.path="$NATIVE" -cp "$OUT:$CP:$LIB/kotlin-stdlib.jar" org.fieldgrid.ExitProbeKt "$1" >/dev/null 2>&1 \
    && echo ok || echo abnormal
}
export -f probe
export NATIVE OUT CP LIB
abnormal=$(printf '%s\n' 1 2 3 4 5 | xargs -P 5 -I{} bash -c 'probe {}' | grep -c abnormal || true)
echo "exit probe (JVM): 5 runs with async calls, $abnormal ended abnormally"
[[ $abnormal -eq 0 ]] || status=1
exit $status
