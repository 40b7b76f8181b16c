//! Photo uploads over HTTP: content-addressed, resumable from the last byte the
//! server confirmed, verified by hash on arrival, stored once (rules in
//! `service::uploads`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fieldgrid_core::protocol::ErrorCode;
use fieldgrid_core::protocol::endpoints::PartRange;

use super::{ApiError, Device, caller_of};
use crate::AppState;
use crate::blobs::BlobError;
use crate::service::uploads::{self, UploadError, UploadState};

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
            BlobError::Io(_) | BlobError::Object(_) => {
                tracing::error!(error = %e, "blob storage failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server failed; try again later",
                )
            }
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Blob(b) => b.into(),
            UploadError::BadPart(m) => ApiError::bad_request(m),
            UploadError::Busy => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Busy, e.to_string())
            }
            UploadError::Service(s) => s.into(),
        }
    }
}

/// `GET /v1/blobs/{hash}/status`.
pub(crate) async fn status(
    State(state): State<AppState>,
    Device(account): Device,
    Path(hash): Path<String>,
) -> Result<Json<UploadState>, ApiError> {
    let caller = caller_of(&state, &account).await?;
    Ok(Json(uploads::status(&state, &caller, &hash).await?))
}

/// `PUT /v1/blobs/{hash}?offset=N&total=T`: bytes from `offset` of a blob of
/// `total` bytes, from the device that started the upload.
pub(crate) async fn put_part(
    State(state): State<AppState>,
    Device(account): Device,
    Path(hash): Path<String>,
    Query(part): Query<PartRange>,
    body: Bytes,
) -> Result<Json<UploadState>, ApiError> {
    let caller = caller_of(&state, &account).await?;
    Ok(Json(
        uploads::put_part(&state, &caller, &hash, part.offset, part.total, &body).await?,
    ))
}
