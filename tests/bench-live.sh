#!/usr/bin/env bash
# The big-screen benchmark: N workers (default 4,000) sending a live position a
# minute to the release server (SQLite), pages following the events, and the big
# screen in headless Chromium measuring its frame times. Prints a table.
#   tests/bench-live.sh [WORKERS] [MINUTES] [PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
(cd tests/browser && npm ci --silent --no-audit --no-fund)
mkdir -p target/screenshots
FIELDGRID_SCREENSHOTS="$PWD/target/screenshots" ./target/release/live-bench "${1:-4000}" "${2:-2}" "${3:-3}"
