#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: formatting, clippy,
# doc tests, and every test suite (unit, public-API, end-to-end). Starts a
# throwaway PostgreSQL cluster for the tests that claim PostgreSQL and a
# throwaway SeaweedFS S3 server for the object-storage tests, and installs what
# it needs that the machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

START=$SECONDS
# A fresh clone builds everything once: incremental compilation's bookkeeping
# would only cost time (and disk) there.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step() { printf '\n== [%dm%02ds] %s\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

# Tests that claim PostgreSQL run on a real, throwaway cluster. fsync is off for
# it: these tests check behaviour, not durability of the test cluster.
step "starting a throwaway PostgreSQL cluster"
# shellcheck source=tests/pg-cluster.sh
. tests/pg-cluster.sh
PG_EXTRA_OPTS="-c fsync=off" start_pg_cluster

# Photos in object storage are tested on a real S3-compatible server.
step "starting a throwaway SeaweedFS S3 server"
# shellcheck source=tests/s3-server.sh
. tests/s3-server.sh
start_s3_server
trap 'stop_s3_server; stop_pg_cluster' EXIT

# SQLCipher (encryption at rest, used by the app bindings) links the system's
# OpenSSL libcrypto.
if [[ ! -f /usr/include/openssl/evp.h ]]; then
  step "installing libssl-dev (for SQLCipher)"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# One build of every target (libraries, binaries, tests) with one feature set:
# the doc tests, the foreign and browser suites and nextest all use it, so no
# crate is compiled twice.
step "build every target once"
cargo build --workspace --all-targets --locked --quiet

step "doc tests"
cargo test --workspace --doc --locked --quiet

step "core API docs (every intra-doc link resolves)"
RUSTDOCFLAGS="-D warnings" cargo doc -p fieldgrid-core --no-deps --locked --quiet

step "generated bindings: Python and Kotlin (JVM) suites against a real server"
bindings/tests/run-foreign.sh

step "supervisor pages in headless Chromium against a real server and phone"
tests/browser/run.sh

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  echo "(cargo-nextest not found: using cargo test)"
  cargo test --workspace --locked --no-fail-fast
fi
step "done"
