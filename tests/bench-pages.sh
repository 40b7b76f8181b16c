#!/usr/bin/env bash
# The pages at a county's real size: makes the county in a throwaway PostgreSQL
# cluster (15 towns by default: 1,500 grids, 250,000 households, about 800,000
# persons, 120,000 incidents), then measures every supervisor page on one and on
# two release instances with 1 and 20 supervisors. Prints a table.
#   tests/bench-pages.sh        # the whole county (about 40 minutes and 15 GB here)
#   tests/bench-pages.sh 1      # one town
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
PG_EXTRA_OPTS="-c fsync=off -c shared_buffers=1GB" start_pg_cluster
trap stop_pg_cluster EXIT
./target/release/page-bench "${1:-15}"
