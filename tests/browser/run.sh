#!/usr/bin/env bash
# Browser tests of the supervisor pages: Debian's headless Chromium (installed with
# apt if missing) driven by playwright-core from npm, against a real
# fieldgrid-server (embedded SQLite, demo county) and a real phone (a FieldStore
# through the generated Python bindings). Screenshots go to target/screenshots/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

# Chromium, and a Chinese font so the screenshots are readable.
if [[ ! -x /usr/bin/chromium || ! -d /usr/share/fonts/truetype/wqy ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei
fi
(cd tests/browser && npm ci --silent --no-audit --no-fund)

# The same build as tests/run-all.sh's (nothing to do when it ran first).
cargo build -q --workspace --all-targets --locked
PY="$TARGET/bindings/python"
# Generated each run: the library may have new methods since the last one.
"$TARGET/debug/uniffi-bindgen" generate --library "$TARGET/debug/libfieldgrid_ffi.so" --language python \
  --no-format --out-dir "$PY" >/dev/null
cp "$TARGET/debug/libfieldgrid_ffi.so" "$PY/"

DATA="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$TARGET/debug/fieldgrid-server" --data-dir "$DATA" serve --demo --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
cleanup() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
# The demo county's simulated phones sync in the background after start: wait for them.
for _ in $(seq 1 600); do
  grep -q "demo county ready" "$DATA/server.log" && break
  grep -q "demo simulation stopped" "$DATA/server.log" && { cat "$DATA/server.log"; exit 1; }
  sleep 0.5
done
grep -q "demo county ready" "$DATA/server.log" || { echo "the demo county did not get ready"; tail -20 "$DATA/server.log"; exit 1; }
export FIELDGRID_URL="http://127.0.0.1:$PORT" FIELDGRID_PYTHONPATH="$PY" \
  FIELDGRID_SCREENSHOTS="$TARGET/screenshots" FIELDGRID_PHONE_DIR="$DATA/phone"
mkdir -p "$FIELDGRID_SCREENSHOTS"
node --test --test-reporter=spec tests/browser/supervisor.test.mjs
