//! Photo uploads: content-addressed, resumable from the last byte the server
//! confirmed, verified by hash on arrival, stored once.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fieldgrid_core::sync::protocol::ErrorCode;
use serde::{Deserialize, Serialize};

use super::{ApiError, Device};
use crate::AppState;
use crate::blobs::{BlobError, check_name};

/// The largest photo accepted, bytes.
pub(crate) const MAX_BLOB: u64 = 64 * 1024 * 1024;

/// Where an upload stands.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct UploadState {
    /// Bytes the server durably holds: send from here.
    confirmed: u64,
    /// The whole blob is stored and verified.
    complete: bool,
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::BadName => ApiError::bad_request(e.to_string()),
            BlobError::HashMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::BadRequest,
                "the uploaded bytes do not match their hash; the upload was discarded, send it again",
            ),
            BlobError::TooLarge(_) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::PayloadTooLarge,
                e.to_string(),
            ),
            BlobError::Io(io) => {
                tracing::error!(error = %io, "blob storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server failed; try again later",
                )
            }
        }
    }
}

async fn state_of(state: &AppState, hash: &str) -> Result<UploadState, ApiError> {
    if let Some(size) = state.blobs.size(hash).await? {
        return Ok(UploadState {
            confirmed: size,
            complete: true,
        });
    }
    Ok(UploadState {
        confirmed: state.blobs.partial_size(hash).await?,
        complete: false,
    })
}

/// `GET /v1/blobs/{hash}/status`.
pub(crate) async fn status(
    State(state): State<AppState>,
    _device: Device,
    Path(hash): Path<String>,
) -> Result<Json<UploadState>, ApiError> {
    check_name(&hash)?;
    Ok(Json(state_of(&state, &hash).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Part {
    offset: u64,
    total: u64,
}

/// `PUT /v1/blobs/{hash}?offset=N&total=T`: bytes from `offset` of a blob of
/// `total` bytes. A part at any other offset than the one held changes nothing;
/// the answer always says what is held, so a retry after a lost answer is harmless.
pub(crate) async fn put_part(
    State(state): State<AppState>,
    _device: Device,
    Path(hash): Path<String>,
    Query(part): Query<Part>,
    body: Bytes,
) -> Result<Json<UploadState>, ApiError> {
    check_name(&hash)?;
    if part.total > MAX_BLOB {
        return Err(BlobError::TooLarge(MAX_BLOB).into());
    }
    if part.offset + body.len() as u64 > part.total {
        return Err(ApiError::bad_request(
            "the part runs past the declared total size",
        ));
    }
    let held = state_of(&state, &hash).await?;
    if held.complete {
        return Ok(Json(held));
    }
    let confirmed = state
        .blobs
        .append_partial(&hash, part.offset, &body)
        .await?;
    if confirmed == part.total {
        state.blobs.complete_partial(&hash).await?;
        return Ok(Json(UploadState {
            confirmed,
            complete: true,
        }));
    }
    Ok(Json(UploadState {
        confirmed,
        complete: false,
    }))
}
