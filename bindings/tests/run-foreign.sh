#!/usr/bin/env bash
# Generates the Kotlin, Swift and Python bindings from the built library, starts a
# real fieldgrid-server (embedded SQLite, demo county) on a free loopback port, and
# runs the Python suite and the Kotlin/JUnit suite (real JVM, real native library)
# against it. Called by tests/run-all.sh after the workspace is built.
#
#   bindings/tests/run-foreign.sh            # both suites
#   FIELDGRID_FOREIGN=python bindings/...    # one of them
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET/bindings"
LIB="$TARGET/debug/libfieldgrid_ffi.so"
ONLY="${FIELDGRID_FOREIGN:-all}"

# The same build as tests/run-all.sh's (nothing to do when it ran first).
cargo build -q --workspace --all-targets --locked
rm -rf "$OUT"
for lang in kotlin swift python; do
  "$TARGET/debug/uniffi-bindgen" generate --library "$LIB" --language "$lang" \
    --no-format --out-dir "$OUT/$lang" >/dev/null
done
echo "bindings generated in $OUT (kotlin, swift, python)"

# The Kotlin compile (a minute of JVM) goes on while the server below starts
# and its demo county gets ready.
KOTLIN_COMPILE=""
if [[ "$ONLY" == all || "$ONLY" == kotlin ]]; then
  FIELDGRID_KOTLIN_STEP=compile bindings/tests/kotlin/run.sh "$OUT/kotlin" "$TARGET/debug" \
    >"$OUT/kotlin-compile.log" 2>&1 &
  KOTLIN_COMPILE=$!
fi

# A throwaway server with the demo county.
DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SERVER="$TARGET/debug/fieldgrid-server"
ADMIN_TOKEN="$("$SERVER" --data-dir "$DATA" admin create-admin --name foreign-tests | tail -1)"
"$SERVER" --data-dir "$DATA" serve --demo --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
  [[ -n "$KOTLIN_COMPILE" ]] && kill "$KOTLIN_COMPILE" 2>/dev/null
  kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$DATA/server.log"; exit 1; }
# The demo county's simulated phones (command centres, handlers, inspectors) work
# the loop after start: wait until they are done, so they never act on the
# suites' own cases mid-test.
for _ in $(seq 1 600); do
  grep -q "demo county ready" "$DATA/server.log" && break
  grep -q "demo simulation stopped" "$DATA/server.log" && { cat "$DATA/server.log"; exit 1; }
  sleep 0.5
done
grep -q "demo county ready" "$DATA/server.log" || { echo "the demo county did not get ready"; tail -20 "$DATA/server.log"; exit 1; }
export FIELDGRID_URL="http://127.0.0.1:$PORT" FIELDGRID_ADMIN_TOKEN="$ADMIN_TOKEN"

status=0
if [[ "$ONLY" == all || "$ONLY" == python ]]; then
  echo "== Python bindings suite"
  cp "$LIB" "$OUT/python/"
  PYTHONPATH="$OUT/python" python3 bindings/tests/python/test_bindings.py || status=1
  # The process must end cleanly after async calls, every time (no abort at
  # exit): twenty runs, four at a time.
  aborted=$(seq 1 20 | PYTHONPATH="$OUT/python" xargs -P 4 -I{} sh -c \
    'python3 bindings/tests/python/exit_probe.py {} >/dev/null 2>&1 && echo ok || echo aborted' \
    | grep -c aborted || true)
  echo "exit probe: 20 runs with async calls, $aborted ended abnormally"
  [[ $aborted -eq 0 ]] || status=1
fi
if [[ "$ONLY" == all || "$ONLY" == kotlin ]]; then
  echo "== Kotlin (JVM) bindings suite"
  if wait "$KOTLIN_COMPILE"; then
    KOTLIN_COMPILE=""
    FIELDGRID_KOTLIN_STEP=run bindings/tests/kotlin/run.sh "$OUT/kotlin" "$TARGET/debug" || status=1
  else
    KOTLIN_COMPILE=""
    cat "$OUT/kotlin-compile.log"; status=1
  fi
fi
exit $status
