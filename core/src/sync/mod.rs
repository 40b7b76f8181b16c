//! The phone's sync client: it drives a [`crate::FieldStore`] through rounds of
//! pushing and pulling changes over HTTP. The protocol both sides speak is
//! [`crate::protocol`]; the bookkeeping it reads and writes is in the store.

mod client;

pub use crate::store::sync::{SyncRejection, SyncStatus};
pub use client::{
    FULL_SYNC_AFTER_S, RegisterRequest, RegisterResponse, Registration, RegistrationState,
    RetryPolicy, SyncClient, SyncError, SyncProgress, token_hash,
};
