//! GPS tracks: phones upload sealed chunks (idempotent by patrol and chunk number);
//! supervisors read each patrol's review figures and authenticity findings, and a
//! worker's patrols of a day.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use fieldgrid_core::org::{OrgTree, StaffScope};
use fieldgrid_core::patrol::authenticity::{self, CheckContext, Finding};
use fieldgrid_core::patrol::codec::{check_chunk, decode_track};
use fieldgrid_core::patrol::export::iso8601;
use fieldgrid_core::patrol::{FigureConfig, PatrolFigures, figures, simplified};
use fieldgrid_core::read_record;
use fieldgrid_core::records::{PatrolLog, RecordKind};
use fieldgrid_core::sync::protocol::ErrorCode;
use serde::Serialize;

use super::{ApiError, Device};
use crate::storage::{ChunkOutcome, TrackChunk};
use crate::{AppState, now};

/// China Standard Time, for "per day".
const CST_MS: i64 = 8 * 3_600_000;

/// The patrol's log, which says whose patrol it is and in which grid.
pub(crate) async fn patrol_log(state: &AppState, patrol: &str) -> Result<PatrolLog, ApiError> {
    let doc =
        state.storage.document(patrol).await?.ok_or_else(|| {
            ApiError::not_found(format!("no patrol {patrol}: sync its log first"))
        })?;
    if doc.kind != RecordKind::PatrolLog {
        return Err(ApiError::bad_request(format!(
            "record {patrol} is not a patrol log"
        )));
    }
    read_record(patrol, &doc.data).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// `PUT /v1/tracks/{patrol}/{chunk}`: a sealed chunk from the patrol's own worker.
pub(crate) async fn put_chunk(
    State(state): State<AppState>,
    Device(account): Device,
    Path((patrol, chunk)): Path<(String, u64)>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let summary = check_chunk(&body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let log = patrol_log(&state, &patrol).await?;
    if account.staff_id.as_deref() != Some(log.worker_id.as_str()) {
        tracing::warn!(device = %account.device_id, patrol, "track upload for someone else's patrol refused");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the patrol's own worker uploads its track",
        ));
    }
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

/// A patrol as a supervisor reviews it.
#[derive(Debug, Serialize)]
pub(crate) struct PatrolReview {
    pub(crate) patrol: String,
    pub(crate) worker_id: String,
    pub(crate) grid_code: String,
    pub(crate) purpose: String,
    pub(crate) fixes: usize,
    pub(crate) figures: PatrolFigures,
    pub(crate) findings: Vec<Finding>,
    /// The track simplified to 10 m, `[lat, lon]` pairs, for the map.
    pub(crate) line: Vec<(f64, f64)>,
}

pub(crate) async fn review_of(
    state: &AppState,
    tree: &OrgTree,
    scope: &StaffScope,
    patrol: &str,
) -> Result<PatrolReview, ApiError> {
    let log = patrol_log(state, patrol).await?;
    if !scope.contains(&log.grid_code) {
        // Not found rather than forbidden: do not reveal other grids' patrols.
        return Err(ApiError::not_found(format!(
            "no patrol {patrol} in your grids"
        )));
    }
    let chunks = state.storage.track_chunks(patrol).await?;
    let track = decode_track(&chunks).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let polygon = tree
        .grids
        .iter()
        .find(|g| g.code == log.grid_code)
        .and_then(|g| g.polygon());
    let figures = figures(&track, polygon.as_ref(), &FigureConfig::default());
    let findings = authenticity::check(
        &track,
        &CheckContext {
            mode: log.travel_mode,
            clock_backwards: 0,
            max_clock_skew_ms: 0,
            paused: &[],
            earlier: &[],
        },
    );
    Ok(PatrolReview {
        patrol: patrol.to_owned(),
        fixes: track.len(),
        line: simplified(&track, 10.0),
        worker_id: log.worker_id,
        grid_code: log.grid_code,
        purpose: log.purpose,
        figures,
        findings,
    })
}

/// `GET /v1/tracks/{patrol}`: figures, findings and the line for the map.
pub(crate) async fn review(
    State(state): State<AppState>,
    Device(account): Device,
    Path(patrol): Path<String>,
) -> Result<Json<PatrolReview>, ApiError> {
    let tree = state.org_tree().await?;
    let scope = tree.scope_of(account.staff_id.as_deref().unwrap_or_default());
    Ok(Json(review_of(&state, &tree, &scope, &patrol).await?))
}

/// `GET /v1/workers/{worker}/days/{day}/patrols`: a worker's patrols of a day
/// (China time), those in the reader's grids.
pub(crate) async fn worker_day(
    State(state): State<AppState>,
    Device(account): Device,
    Path((worker, day)): Path<(String, String)>,
) -> Result<Json<Vec<PatrolReview>>, ApiError> {
    let tree = state.org_tree().await?;
    let scope = tree.scope_of(account.staff_id.as_deref().unwrap_or_default());
    let mut out = Vec::new();
    for patrol in state.storage.worker_day_patrols(&worker, &day).await? {
        if let Ok(r) = review_of(&state, &tree, &scope, &patrol).await {
            out.push(r);
        }
    }
    Ok(Json(out))
}
