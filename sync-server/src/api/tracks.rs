//! GPS tracks: phones upload sealed chunks (idempotent by patrol and chunk number);
//! supervisors read each patrol's review figures and authenticity findings, and a
//! worker's patrols of a day.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fieldgrid_core::patrol::codec::check_chunk;
use fieldgrid_core::protocol::ErrorCode;
use fieldgrid_core::protocol::endpoints::TrackClock;

use super::{ApiError, Device, caller_of};
use crate::AppState;
use crate::service::tracks::{self, PatrolReview};

/// `PUT /v1/tracks/{patrol}/{chunk}`: a sealed chunk from the patrol's own worker.
pub(crate) async fn put_chunk(
    State(state): State<AppState>,
    Device(account): Device,
    Path((patrol, chunk)): Path<(String, u64)>,
    Query(clock): Query<TrackClock>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let summary = check_chunk(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let caller = caller_of(&state, &account).await?;
    let clock = (clock.clock_backwards, clock.clock_skew_ms);
    match tracks::put_chunk(&state, &caller, &patrol, chunk, summary, &body, clock).await? {
        tracks::ChunkPut::Stored => Ok(StatusCode::CREATED),
        tracks::ChunkPut::AlreadyStored => Ok(StatusCode::OK),
        tracks::ChunkPut::Differs => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::BadRequest,
            format!("chunk {chunk} of patrol {patrol} is stored already with other content"),
        )),
    }
}

/// `GET /v1/tracks/{patrol}`: figures, findings and the line for the map.
pub(crate) async fn review(
    State(state): State<AppState>,
    Device(account): Device,
    Path(patrol): Path<String>,
) -> Result<Json<PatrolReview>, ApiError> {
    let caller = caller_of(&state, &account).await?;
    Ok(Json(tracks::review(&state, &caller, &patrol).await?))
}

/// `GET /v1/workers/{worker}/days/{day}/patrols`: a worker's patrols of a day
/// (China time), those in the reader's grids.
pub(crate) async fn worker_day(
    State(state): State<AppState>,
    Device(account): Device,
    Path((worker, day)): Path<(String, String)>,
) -> Result<Json<Vec<PatrolReview>>, ApiError> {
    let caller = caller_of(&state, &account).await?;
    Ok(Json(
        tracks::worker_day(&state, &caller, &worker, &day).await?,
    ))
}
