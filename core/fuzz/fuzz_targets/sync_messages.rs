//! Fuzzes everything the server and the phone decode from the network: sync
//! requests and responses, cursors, and the Automerge bytes they carry.
//!
//! `cargo fuzz run sync_messages` (from `core/`). Inputs that crashed once are kept
//! in `core/fuzz/regressions/` and replayed by `cargo test` on every run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fieldgrid_core::sync::protocol::decode_untrusted(data);
});
