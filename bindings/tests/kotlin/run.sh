#!/usr/bin/env bash
# Compiles the generated Kotlin bindings, the android/fieldgrid library layer and
# its JUnit suite with kotlinc on the JVM, and runs the suite against the real
# native library. Usage: run.sh GENERATED_KOTLIN_DIR NATIVE_LIB_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
GEN="$1"
NATIVE="$2"
KOTLIN_HOME="$("$ROOT/bindings/tests/kotlin/setup.sh")"
LIB="$KOTLIN_HOME/lib"
OUT="$(dirname "$GEN")/kotlin-classes"
rm -rf "$OUT" && mkdir -p "$OUT"
CP="/usr/share/java/jna.jar:$LIB/kotlinx-coroutines-core-jvm.jar:/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
echo "compiling Kotlin (bindings + library layer + tests)..."
"$KOTLIN_HOME/bin/kotlinc-jvm" -nowarn -jvm-target 17 -cp "$CP" -d "$OUT" \
  "$GEN" "$ROOT/android/fieldgrid/src/main/kotlin" "$ROOT/android/fieldgrid/src/test/kotlin" \
  ${FIELDGRID_KOTLIN_EXTRA:-} 2>&1 | grep -v "^warning:" || true
[[ -f "$OUT/org/fieldgrid/RunTestsKt.class" ]] || { echo "Kotlin compilation failed"; exit 1; }
status=0
java -Djna.library.path="$NATIVE" -cp "$OUT:$CP:$LIB/kotlin-stdlib.jar" "${FIELDGRID_KOTLIN_MAIN:-org.fieldgrid.RunTestsKt}" || status=1
# Each JVM must end by itself after async calls: no abort, no hang.
abnormal=0
for n in 1 2 3 4 5; do
  timeout 60 java -Djna.library.path="$NATIVE" -cp "$OUT:$CP:$LIB/kotlin-stdlib.jar" org.fieldgrid.ExitProbeKt "$n" >/dev/null 2>&1 \
    || abnormal=$((abnormal + 1))
done
echo "exit probe (JVM): 5 runs with async calls, $abnormal ended abnormally"
[[ $abnormal -eq 0 ]] || status=1
exit $status
