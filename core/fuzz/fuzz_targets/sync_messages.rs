//! Fuzzes everything the server and the phone decode from the network or a user:
//! sync requests and responses, cursors, the Automerge bytes they carry, track
//! chunks and GPX files.
//!
//! `cargo fuzz run sync_messages` (from `core/`). Inputs that crashed once are kept
//! in `core/fuzz/regressions/` and replayed by `cargo test` on every run.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // libfuzzer-sys aborts on every panic, even one the code under test catches
        // on purpose (the core contains panics of the Automerge decoder on crafted
        // bytes). A panic that escapes the call still aborts: the harness catches
        // the unwind and aborts itself.
        std::panic::set_hook(Box::new(|info| eprintln!("contained panic: {info}")));
    },
    |data: &[u8]| {
        fieldgrid_core::protocol::decode_untrusted(data);
    }
);
