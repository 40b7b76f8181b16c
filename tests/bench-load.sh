#!/usr/bin/env bash
# The load benchmark: the evening sync of N phones (default 500) against the
# release server, on SQLite, on a throwaway PostgreSQL cluster, and on that
# cluster with the photos in a throwaway SeaweedFS S3 server on one and on two
# instances. Prints a table. LOAD_BENCH_RUNS=sqlite,pg,pg-s3-1,pg-s3-2 picks runs.
#   tests/bench-load.sh 500
#   LOAD_BENCH_RUNS=pg-s3-1,pg-s3-2 tests/bench-load.sh 4000
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
start_pg_cluster
# shellcheck source=tests/s3-server.sh
. tests/s3-server.sh
start_s3_server
trap 'stop_s3_server; stop_pg_cluster' EXIT
./target/release/load-bench "${1:-500}"
