//! Registration and sync, with progress reported through a callback the app
//! implements (Kotlin/Swift/Python).

use std::sync::Arc;

use fieldgrid_core::sync::{RegistrationState, SyncClient};

use crate::error::ApiResult;
use crate::store::FieldGrid;

/// Progress of a running sync, after every round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgressInfo {
    /// Rounds done.
    pub rounds: u32,
    /// Records pushed.
    pub pushed: u64,
    /// Records the server refused.
    pub rejected: u64,
    /// Records pulled.
    pub pulled: u64,
    /// Records still to push.
    pub pending: u64,
    /// Track chunks uploaded.
    pub track_chunks: u64,
    /// Photos uploaded.
    pub photos: u64,
    /// Bytes sent.
    pub bytes_sent: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Knowledge-base items (entries and grid tasks) received.
    pub knowledge_items: u64,
}

impl From<&fieldgrid_core::sync::SyncProgress> for SyncProgressInfo {
    fn from(p: &fieldgrid_core::sync::SyncProgress) -> Self {
        SyncProgressInfo {
            rounds: p.rounds,
            pushed: p.pushed,
            rejected: p.rejected,
            pulled: p.pulled,
            pending: p.pending,
            track_chunks: p.track_chunks,
            photos: p.photos,
            bytes_sent: p.bytes_sent,
            bytes_received: p.bytes_received,
            knowledge_items: p.knowledge_items,
        }
    }
}

/// Where the phone's data stands against the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatusInfo {
    /// Records with changes not yet on the server.
    pub pending_records: u64,
    /// Records the server refused.
    pub rejected_records: u64,
    /// Track chunks to upload.
    pub pending_track_chunks: u64,
    /// Photos to upload.
    pub pending_photos: u64,
    /// Last attempt (unix seconds).
    pub last_attempt: Option<i64>,
    /// Last success (unix seconds).
    pub last_success: Option<i64>,
    /// Last error.
    pub last_error: Option<String>,
}

/// A device's registration, to keep until it is approved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RegistrationInfo {
    /// The registration to poll.
    pub registration_id: String,
    /// The device's secret token (keep it in the Keystore / Keychain).
    pub token: String,
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RegistrationStatus {
    /// Waiting for an administrator.
    Pending,
    /// Approved for this person.
    Approved {
        /// The person's org-tree id: sign in with it.
        staff_id: String,
    },
    /// Refused.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// Receives sync progress; implemented by the app.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// Called after every round.
    fn on_progress(&self, progress: SyncProgressInfo);
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldGrid {
    /// Registers this phone with the server for the person with this ID-card
    /// number and phone; an administrator approves it.
    pub async fn register(
        self: Arc<Self>,
        server_url: String,
        name: String,
        id_number: String,
        phone: String,
    ) -> ApiResult<RegistrationInfo> {
        let r = SyncClient::register(&server_url, &self.store, &name, &id_number, &phone).await?;
        Ok(RegistrationInfo {
            registration_id: r.registration_id,
            token: r.token,
        })
    }

    /// Asks the server where a registration stands.
    pub async fn registration_status(
        self: Arc<Self>,
        server_url: String,
        token: String,
        registration_id: String,
    ) -> ApiResult<RegistrationStatus> {
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        Ok(match client.registration_state(&registration_id).await? {
            RegistrationState::Pending => RegistrationStatus::Pending,
            RegistrationState::Approved { staff_id } => RegistrationStatus::Approved { staff_id },
            RegistrationState::Rejected { reason } => RegistrationStatus::Rejected { reason },
        })
    }

    /// Pushes and pulls until nothing is left (records, then track chunks and
    /// photos), calling `listener` after every round. Safe to cancel or repeat.
    pub async fn sync(
        self: Arc<Self>,
        server_url: String,
        token: String,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> ApiResult<SyncProgressInfo> {
        let client = SyncClient::new(&server_url, &token, env!("CARGO_PKG_VERSION"))?;
        let done = client
            .sync(&self.store, |p| {
                if let Some(l) = &listener {
                    l.on_progress(p.into());
                }
            })
            .await?;
        Ok((&done).into())
    }
}

#[uniffi::export]
impl FieldGrid {
    /// Where the phone's data stands against the server.
    pub fn sync_status(&self) -> ApiResult<SyncStatusInfo> {
        let s = self.store.sync_status()?;
        Ok(SyncStatusInfo {
            pending_records: s.pending_records,
            rejected_records: s.rejected_records,
            pending_track_chunks: s.pending_track_chunks,
            pending_photos: s.pending_photos,
            last_attempt: s.last_attempt,
            last_success: s.last_success,
            last_error: s.last_error,
        })
    }
}
