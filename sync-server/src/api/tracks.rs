//! GPS tracks: phones upload sealed chunks (idempotent by patrol and chunk number);
//! supervisors read each patrol's review figures and authenticity findings, and a
//! worker's patrols of a day.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fieldgrid_core::patrol::codec::check_chunk;
use fieldgrid_core::patrol::export::iso8601;
use fieldgrid_core::protocol::ErrorCode;
use serde::Deserialize;

use super::{ApiError, Device, caller_of};
use crate::service::tracks::{self, PatrolReview};
use crate::storage::{ChunkOutcome, TrackChunk};
use crate::{AppState, now};

/// China Standard Time, for "per day".
const CST_MS: i64 = 8 * 3_600_000;

/// What the phone measured of its clock so far, sent with each chunk.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ClockQuery {
    #[serde(default)]
    clock_backwards: u64,
    #[serde(default)]
    clock_skew_ms: i64,
}

/// `PUT /v1/tracks/{patrol}/{chunk}`: a sealed chunk from the patrol's own worker.
pub(crate) async fn put_chunk(
    State(state): State<AppState>,
    Device(account): Device,
    Path((patrol, chunk)): Path<(String, u64)>,
    Query(clock): Query<ClockQuery>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let summary = check_chunk(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let caller = caller_of(&state, &account).await?;
    let log = tracks::own_patrol(&state, &caller, &patrol).await?;
    let record = TrackChunk {
        patrol: patrol.clone(),
        chunk,
        worker_id: log.worker_id,
        grid_code: log.grid_code,
        day: iso8601(summary.first_ms + CST_MS)[..10].to_owned(),
        first_seq: summary.first_seq,
        fixes: summary.fixes,
        first_ms: summary.first_ms,
        last_ms: summary.last_ms,
        hash: blake3::hash(&body).to_hex().to_string(),
        bytes: body.to_vec(),
        received_at: now(),
        clock_backwards: clock.clock_backwards,
        clock_skew_ms: clock.clock_skew_ms.max(0),
    };
    match state.storage.put_track_chunk(&record).await? {
        ChunkOutcome::Stored => Ok(StatusCode::CREATED),
        ChunkOutcome::AlreadyStored => Ok(StatusCode::OK),
        ChunkOutcome::Conflict => Err(ApiError::new(
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
    let mut out = Vec::new();
    for patrol in state.storage.worker_day_patrols(&worker, &day).await? {
        if let Ok(r) = tracks::review(&state, &caller, &patrol).await {
            out.push(r);
        }
    }
    Ok(Json(out))
}
