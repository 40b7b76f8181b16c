#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: formatting, clippy,
# doc tests, and every test suite (unit, public-API, end-to-end). Starts a
# throwaway PostgreSQL cluster for the tests that claim PostgreSQL, and installs
# what it needs that the machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# Tests that claim PostgreSQL run on a real, throwaway cluster. fsync is off for
# it: these tests check behaviour, not durability of the test cluster.
step "starting a throwaway PostgreSQL cluster"
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
PG_EXTRA_OPTS="-c fsync=off" start_pg_cluster

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "doc tests"
cargo test --workspace --doc --locked --quiet

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  echo "(cargo-nextest not found: using cargo test)"
  cargo test --workspace --locked --no-fail-fast
fi
