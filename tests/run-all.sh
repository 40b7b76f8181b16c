#!/usr/bin/env bash
# Runs every check and test of the project on a fresh machine: formatting, clippy,
# the Rust test suites (unit, public-API, end-to-end with SIGKILL recovery).
# Later suites (PostgreSQL, Kotlin on the JVM, headless Chromium) install what
# they need from this script.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

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
