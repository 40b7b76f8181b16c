//! Sync: the protocol both sides speak, the phone's bookkeeping, and its client.

mod client;
pub mod protocol;
mod state;

pub use client::{
    RegisterRequest, RegisterResponse, Registration, RegistrationState, RetryPolicy, SyncClient,
    SyncError, SyncProgress, token_hash,
};
pub use state::{SyncRejection, SyncStatus};
