//! Photo uploads: content-addressed and resumable, each unfinished upload owned by
//! the device that started it (only it may add to it or see how far it got), sizes
//! and offsets checked without overflow, and uploads left unfinished longer than the
//! configured age removed.

use super::{Caller, ServiceError};
use crate::blobs::{BlobError, check_name};
use crate::{AppState, now};

/// The largest photo accepted, bytes.
pub const MAX_BLOB: u64 = 64 * 1024 * 1024;

/// Where an upload stands: the phones' contract.
pub use fieldgrid_core::protocol::endpoints::UploadState;

/// Why an upload part was not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The blob store refused (bad name, hash mismatch, too large, I/O).
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The offset and size do not fit the declared total.
    #[error("{0}")]
    BadPart(&'static str),
    /// Another device is uploading the same photo.
    #[error("another device is uploading this photo; try again later")]
    Busy,
    /// The service failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::storage::StorageError> for UploadError {
    fn from(e: crate::storage::StorageError) -> Self {
        UploadError::Service(e.into())
    }
}

/// Where the caller's upload of `hash` stands: a finished blob is complete for
/// everyone (it is content-addressed); an unfinished one counts only for its owner.
pub async fn status(
    state: &AppState,
    caller: &Caller,
    hash: &str,
) -> Result<UploadState, UploadError> {
    check_name(hash)?;
    if let Some(done) = stored(state, hash).await? {
        return Ok(done);
    }
    // Asking claims nothing: an upload is started by its first part. A partial
    // upload already has its owner, so this only reads it.
    let held = state.blobs.partial_size(hash).await?;
    let confirmed = if held > 0
        && state
            .storage
            .claim_upload(hash, &caller.device, now())
            .await?
            == caller.device
    {
        held
    } else {
        0
    };
    Ok(UploadState {
        confirmed,
        complete: false,
    })
}

/// The state of a blob stored whole, if it is.
async fn stored(state: &AppState, hash: &str) -> Result<Option<UploadState>, UploadError> {
    Ok(state.blobs.size(hash).await?.map(|size| UploadState {
        confirmed: size,
        complete: true,
    }))
}

/// Takes `bytes` at `offset` of a blob of `total` bytes from the caller. A part at
/// another offset than the one held changes nothing; the answer always says what is
/// held, so a retry after a lost answer is harmless.
pub async fn put_part(
    state: &AppState,
    caller: &Caller,
    hash: &str,
    offset: u64,
    total: u64,
    bytes: &[u8],
) -> Result<UploadState, UploadError> {
    check_name(hash)?;
    if total > MAX_BLOB {
        return Err(BlobError::TooLarge(MAX_BLOB).into());
    }
    let end = offset
        .checked_add(bytes.len() as u64)
        .ok_or(UploadError::BadPart("the part's offset is out of range"))?;
    if end > total {
        return Err(UploadError::BadPart(
            "the part runs past the declared total size",
        ));
    }
    if let Some(done) = stored(state, hash).await? {
        return Ok(done);
    }
    let owner = state
        .storage
        .claim_upload(hash, &caller.device, now())
        .await?;
    if owner != caller.device {
        tracing::warn!(device = %caller.device, "upload part refused: another device's upload");
        return Err(UploadError::Busy);
    }
    let confirmed = state.blobs.append_partial(hash, offset, bytes).await?;
    if confirmed == total {
        let done = state.blobs.complete_partial(hash).await;
        state.storage.end_upload(hash).await?;
        done?;
        return Ok(UploadState {
            confirmed,
            complete: true,
        });
    }
    Ok(UploadState {
        confirmed,
        complete: false,
    })
}

/// Removes the uploads started more than `max_age_s` seconds ago and not finished;
/// answers how many.
pub async fn remove_stale(state: &AppState, max_age_s: i64) -> Result<usize, ServiceError> {
    let stale = state.storage.stale_uploads(now() - max_age_s).await?;
    for hash in &stale {
        state
            .blobs
            .remove_partial(hash)
            .await
            .map_err(|e| ServiceError::Corrupt(e.to_string()))?;
        state.storage.end_upload(hash).await?;
    }
    if !stale.is_empty() {
        tracing::info!(
            removed = stale.len(),
            "unfinished uploads past their age removed"
        );
    }
    Ok(stale.len())
}
