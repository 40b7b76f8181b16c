//! Sync: the protocol both sides speak, and the phone's client.

pub mod protocol;
