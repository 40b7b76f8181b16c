#!/usr/bin/env bash
# The sync benchmark: builds the server and the bench in release mode, starts a
# throwaway PostgreSQL cluster (durable settings, as in production), installs the
# automerge-repo baseline (tests/automerge-repo, from npm) and prints the table of
# tests/src/bin/sync_bench.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p fieldgrid-server -p fieldgrid-tests --bins
# (`npm install`, not `npm ci`: `npm ci` refuses this lock, which lacks entries
# for cbor-extract's optional native packages that npm did not record.)
npm install --prefix tests/automerge-repo --no-audit --no-fund --loglevel=error
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
start_pg_cluster
./target/release/sync-bench
