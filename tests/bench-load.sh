#!/usr/bin/env bash
# The load benchmark: the evening sync of N phones (default 500) against the
# release server, on SQLite and on a throwaway PostgreSQL cluster. Prints a table.
#   tests/bench-load.sh 500
#   tests/bench-load.sh 4000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
start_pg_cluster
./target/release/load-bench "${1:-500}"
