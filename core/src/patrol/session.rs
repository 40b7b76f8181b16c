//! Patrol sessions on the store: start, pause, resume, stop, the log, and fix
//! ingestion. A batch of fixes is one transaction: when `ingest_fixes` returns, every
//! fix it accepted is on disk.

use serde::Serialize;

use super::filter::{RejectReason, TravelMode};
use crate::error::Error;

/// A chunk is sealed after this many fixes (10 minutes at 1 Hz)…
pub const SEAL_AFTER_FIXES: i64 = 600;
/// …or once its fixes span this long.
pub const SEAL_AFTER_MS: i64 = 10 * 60 * 1000;

/// Where a patrol stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolState {
    /// Recording.
    Active,
    /// Paused by the worker (a break): fixes are refused.
    Paused,
    /// Finished.
    Stopped,
}

impl PatrolState {
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "paused" => PatrolState::Paused,
            "stopped" => PatrolState::Stopped,
            _ => PatrolState::Active,
        }
    }
}

/// A patrol as the app lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatrolInfo {
    /// The patrol id (also its log's record id).
    pub id: String,
    /// The grid patrolled.
    pub grid_code: String,
    /// The grid worker.
    pub worker_id: String,
    /// Why.
    pub purpose: String,
    /// On foot, by bicycle or by car.
    pub travel_mode: TravelMode,
    /// Recording, paused or finished.
    pub state: PatrolState,
    /// Start, unix ms.
    pub started_at_ms: i64,
    /// End, unix ms.
    pub stopped_at_ms: Option<i64>,
    /// Fixes accepted.
    pub fixes: u64,
    /// Chunks sealed.
    pub chunks: u64,
}

/// A fix the filters refused, by its place in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RejectedFix {
    /// Index in the batch.
    pub index: usize,
    /// Why.
    pub reason: RejectReason,
}

/// What one ingested batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Fixes accepted (stored, durably, before the call returned).
    pub accepted: u64,
    /// Points of an imported file skipped because they could not be placed in time
    /// (no time, an unreadable one, or one without a zone when none was set).
    pub skipped_untimed: u64,
    /// The number of the first accepted fix of this batch (fixes are numbered
    /// 0, 1, 2… per patrol).
    pub first_seq: u64,
    /// Accepted fixes flagged as standing-still jitter.
    pub jitter: u64,
    /// Accepted fixes flagged as impossible jumps.
    pub jumps: u64,
    /// Accepted fixes the OS marked as mocked.
    pub mocked: u64,
    /// Fixes refused, with reasons.
    pub rejected: Vec<RejectedFix>,
    /// Chunks sealed by this batch.
    pub sealed: u64,
}

pub(crate) fn now_ms() -> i64 {
    crate::time::now() * 1000
}

pub(crate) fn state_error(id: &str, from: PatrolState, action: &str) -> Error {
    Error::InvalidPatrolState {
        id: id.to_owned(),
        state: format!("{from:?}").to_lowercase(),
        action: action.to_owned(),
    }
}

/// A sealed chunk not yet confirmed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChunk {
    /// Fixes of the patrol refused so far because the phone's clock went backwards
    /// (sent with the chunk, for the server's review).
    pub clock_backwards: u64,
    /// How far the patrol's fix times ran ahead of the phone's clock so far, ms.
    pub max_clock_skew_ms: i64,
    /// The patrol.
    pub patrol: String,
    /// The chunk's number in the patrol (0, 1, 2…).
    pub chunk: u64,
    /// The encoded chunk.
    pub bytes: Vec<u8>,
}
