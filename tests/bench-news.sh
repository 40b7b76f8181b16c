#!/usr/bin/env bash
# The "anything for me?" benchmark: N phones (default 4,000) checking for news
# against the release server (SQLite), and the dispatch-to-phone delay. Prints
# two tables.
#   tests/bench-news.sh
#   tests/bench-news.sh 500
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
./target/release/news-bench "${1:-4000}"
