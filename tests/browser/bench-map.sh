#!/usr/bin/env bash
# The map benchmark: fills a server with a county's day (map-load: 1,500 grids and
# 4,000 patrols by default), starts the release server on it, and measures the map
# in headless Chromium. Prints a table. Not part of the test command.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -q --release -p fieldgrid-server -p fieldgrid-tests --bin map-load --bin fieldgrid-server --locked
(cd tests/browser && npm ci --silent --no-audit --no-fund)
DATA="$(mktemp -d)"
"$TARGET/release/map-load" "$DATA" "${GRIDS:-1500}" "${WORKERS:-4000}" "${FIXES:-360}"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$TARGET/release/fieldgrid-server" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
FIELDGRID_URL="http://127.0.0.1:$PORT" FIELDGRID_SCREENSHOTS="$TARGET/screenshots" node tests/browser/bench-map.mjs
