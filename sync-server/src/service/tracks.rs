//! GPS tracks through the caller's area: a patrol is read only by callers whose area
//! holds its grid, and its chunks are written only by its own worker. A patrol
//! outside the area, an id of another kind and an unknown id are answered alike.

use fieldgrid_core::assessment::PatrolBrief;
use fieldgrid_core::patrol::authenticity::{self, CheckContext, Finding};
use fieldgrid_core::patrol::codec::decode_track;
use fieldgrid_core::patrol::{FigureConfig, PatrolFigures, figures, simplified};
use fieldgrid_core::read_record;
use fieldgrid_core::records::{PatrolLog, RecordKind};
use serde::Serialize;

use super::{Caller, ServiceError};
use crate::AppState;

/// The patrol's log, if it is in the caller's area.
pub async fn patrol_log(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
) -> Result<PatrolLog, ServiceError> {
    let doc = state
        .storage
        .document(patrol)
        .await?
        .filter(|d| d.kind == RecordKind::PatrolLog && caller.sees(&d.grid_code))
        .ok_or(ServiceError::NotFound)?;
    Ok(read_record(patrol, &doc.data)?)
}

/// The caller's own patrol (the one patrol whose track they may upload).
pub async fn own_patrol(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
) -> Result<PatrolLog, ServiceError> {
    let log = patrol_log(state, caller, patrol).await?;
    if log.worker_id != caller.staff {
        tracing::warn!(device = %caller.device, patrol, "track upload for someone else's patrol refused");
        return Err(ServiceError::Refused(
            "only the patrol's own worker uploads its track".into(),
        ));
    }
    Ok(log)
}

/// A patrol as a supervisor reviews it.
#[derive(Debug, Serialize)]
pub struct PatrolReview {
    /// The patrol (its log's id).
    pub patrol: String,
    /// Whose patrol.
    pub worker_id: String,
    /// The grid patrolled.
    pub grid_code: String,
    /// When the patrol started: its first fix (unix seconds), else its log's start.
    pub started_at: i64,
    /// Why.
    pub purpose: String,
    /// Fixes in the track.
    pub fixes: usize,
    /// Distance, time, stops and coverage.
    pub figures: PatrolFigures,
    /// What the authenticity checks found.
    pub findings: Vec<Finding>,
    /// The track simplified to 10 m, `[lat, lon]` pairs, for the map.
    pub line: Vec<(f64, f64)>,
}

/// Earlier patrols a review compares a track with (replay detection): the
/// worker's latest this many, within [`REPLAY_WINDOW_MS`] before it.
pub const REPLAY_WINDOW_PATROLS: u32 = 5;
/// How far back a review looks for a replayed track.
pub const REPLAY_WINDOW_MS: i64 = 30 * 86_400_000;

/// The review of a patrol in the caller's area, with every check: the phone's
/// clock findings sent with the chunks, and the worker's earlier patrols (a rolling
/// window, [`REPLAY_WINDOW_PATROLS`] within [`REPLAY_WINDOW_MS`]) for a replayed
/// track.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
) -> Result<PatrolReview, ServiceError> {
    review_with(state, caller, patrol, true).await
}

/// The review without the comparison with earlier patrols: for lists of many
/// patrols (the day's map), where each replay is opened with [`review`].
pub async fn review_brief(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
) -> Result<PatrolReview, ServiceError> {
    review_with(state, caller, patrol, false).await
}

async fn review_with(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
    with_earlier: bool,
) -> Result<PatrolReview, ServiceError> {
    let log = patrol_log(state, caller, patrol).await?;
    let chunks = state.storage.track_chunks(patrol).await?;
    let track = decode_track(&chunks)?;
    let (clock_backwards, max_clock_skew_ms) = state.storage.patrol_clock(patrol).await?;
    let mut earlier = Vec::new();
    if with_earlier && let Some(first) = track.first() {
        let start = first.fix.time_ms;
        for id in state
            .storage
            .worker_patrols_between(
                &log.worker_id,
                start - REPLAY_WINDOW_MS,
                start,
                REPLAY_WINDOW_PATROLS,
            )
            .await?
        {
            if id != patrol {
                let t = decode_track(&state.storage.track_chunks(&id).await?)?;
                earlier.push((id, t));
            }
        }
    }
    let polygon = caller
        .tree
        .grids
        .iter()
        .find(|g| g.code == log.grid_code)
        .and_then(|g| g.polygon());
    let figures = figures(
        &track,
        polygon.as_ref(),
        &log.breaks,
        &FigureConfig::default(),
    );
    let findings = authenticity::check(
        &track,
        &CheckContext {
            mode: log.travel_mode,
            clock_backwards,
            max_clock_skew_ms,
            paused: &log.paused(),
            earlier: &earlier,
        },
    );
    Ok(PatrolReview {
        patrol: patrol.to_owned(),
        fixes: track.len(),
        line: simplified(&track, 10.0),
        worker_id: log.worker_id,
        grid_code: log.grid_code,
        started_at: track
            .first()
            .map_or(log.started_at, |f| f.fix.time_ms / 1000),
        purpose: log.purpose,
        figures,
        findings,
    })
}

/// The decoded track of a patrol in the caller's area.
pub async fn track(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
) -> Result<Vec<fieldgrid_core::patrol::fix::StoredFix>, ServiceError> {
    patrol_log(state, caller, patrol).await?;
    let chunks = state.storage.track_chunks(patrol).await?;
    Ok(decode_track(&chunks)?)
}

/// China Standard Time, for "per day".
const CST_MS: i64 = 8 * 3_600_000;

/// What became of an uploaded chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkPut {
    /// Stored now.
    Stored,
    /// The same chunk was stored before (an upload repeated).
    AlreadyStored,
    /// A chunk of that number is stored with other content.
    Differs,
}

/// Stores chunk `chunk` of `patrol`, the caller's own patrol, after its bytes were
/// checked (`summary`), with what the phone measured of its clock
/// (`(times it went backwards, skew in ms)`). Idempotent.
pub async fn put_chunk(
    state: &AppState,
    caller: &Caller,
    patrol: &str,
    chunk: u64,
    summary: fieldgrid_core::patrol::codec::ChunkSummary,
    body: &[u8],
    (clock_backwards, clock_skew_ms): (u64, i64),
) -> Result<ChunkPut, ServiceError> {
    let log = own_patrol(state, caller, patrol).await?;
    let record = crate::storage::TrackChunk {
        patrol: patrol.to_owned(),
        chunk,
        worker_id: log.worker_id,
        grid_code: log.grid_code,
        day: fieldgrid_core::patrol::export::iso8601(summary.first_ms + CST_MS)[..10].to_owned(),
        first_seq: summary.first_seq,
        fixes: summary.fixes,
        first_ms: summary.first_ms,
        last_ms: summary.last_ms,
        hash: blake3::hash(body).to_hex().to_string(),
        bytes: body.to_vec(),
        received_at: crate::now(),
        clock_backwards,
        clock_skew_ms: clock_skew_ms.max(0),
    };
    Ok(match state.storage.put_track_chunk(&record).await? {
        crate::storage::ChunkOutcome::Stored => ChunkPut::Stored,
        crate::storage::ChunkOutcome::AlreadyStored => ChunkPut::AlreadyStored,
        crate::storage::ChunkOutcome::Conflict => ChunkPut::Differs,
    })
}

/// `worker`'s patrols of `day` (China time) that lie in the caller's area.
pub async fn worker_day(
    state: &AppState,
    caller: &Caller,
    worker: &str,
    day: &str,
) -> Result<Vec<PatrolReview>, ServiceError> {
    let mut out = Vec::new();
    for patrol in state.storage.worker_day_patrols(worker, day).await? {
        if let Ok(r) = review(state, caller, &patrol).await {
            out.push(r);
        }
    }
    Ok(out)
}

/// The patrols with fixes between `from_ms` and `to_ms` and their workers; each
/// is shown to a caller only through [`review`] or [`review_brief`], which keep
/// to the caller's area.
pub async fn patrols_between(
    state: &AppState,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(String, String)>, ServiceError> {
    Ok(state.storage.patrols_between(from_ms, to_ms).await?)
}

/// The patrols started in `[from, to)` (unix seconds) in the caller's area, as
/// the assessment and the statistics count them: each patrol's kept brief when
/// no chunk arrived since it was computed, else its track reviewed now and the
/// brief kept, so a county's month is decoded once, not on every page.
pub async fn patrol_briefs(
    state: &AppState,
    caller: &Caller,
    from: i64,
    to: i64,
) -> Result<Vec<PatrolBrief>, ServiceError> {
    let counts: Vec<(String, String, String, i64)> = state
        .storage
        .patrol_chunk_counts(from * 1000, to * 1000)
        .await?
        .into_iter()
        .filter(|(_, _, grid, _)| caller.sees(grid))
        .collect();
    let ids: Vec<String> = counts.iter().map(|c| c.0.clone()).collect();
    let kept = state.storage.patrol_briefs(&ids).await?;
    let mut out = Vec::with_capacity(counts.len());
    for (patrol, _, _, chunks) in counts {
        if let Some((at, brief)) = kept.get(&patrol)
            && *at == chunks
        {
            out.push(brief.clone());
            continue;
        }
        let review = match review_brief(state, caller, &patrol).await {
            Ok(r) => r,
            Err(ServiceError::NotFound) => continue,
            Err(e) => return Err(e),
        };
        let brief = PatrolBrief {
            id: review.patrol,
            worker: review.worker_id,
            grid: review.grid_code,
            started_at: review.started_at,
            hours: review.figures.duration_s / 3600.0,
            coverage: review.figures.coverage,
            flagged: review
                .findings
                .iter()
                .any(|f| f.kind != authenticity::FindingKind::Gap),
        };
        state.storage.put_patrol_brief(&brief, chunks).await?;
        out.push(brief);
    }
    Ok(out)
}
