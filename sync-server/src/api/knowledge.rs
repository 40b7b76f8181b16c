//! The knowledge base for phones and administrators:
//! - `GET /v1/knowledge?since=N&to=T&after=K&limit=L`: one page of the items
//!   changed after version N up to T (CBOR, [`KnowledgePage`]);
//! - `PUT /v1/admin/knowledge?publish=true`: an administrator's import (XLSX,
//!   CSV or JSON) saved as drafts and, unless `publish=false`, published.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fieldgrid_core::protocol::endpoints::KnowledgeChanges;
use fieldgrid_core::protocol::{self, CBOR, KnowledgePage};
use serde::{Deserialize, Serialize};

use super::{Admin, ApiError, Device, caller_of};
use crate::AppState;
use crate::service::knowledge;

pub(crate) async fn changes(
    State(state): State<AppState>,
    Device(account): Device,
    Query(q): Query<KnowledgeChanges>,
) -> Result<Response, ApiError> {
    let caller = caller_of(&state, &account).await?;
    let page: KnowledgePage = knowledge::changes(
        &state,
        &caller,
        q.since,
        q.to,
        q.after.as_deref(),
        q.limit.unwrap_or(500),
    )
    .await
    .map_err(|e| match e {
        crate::service::ServiceError::Refused(m) => ApiError::bad_request(m),
        e => e.into(),
    })?;
    Ok(([(header::CONTENT_TYPE, CBOR)], protocol::encode(&page)).into_response())
}

/// `?publish=false` leaves the import as drafts.
#[derive(Deserialize)]
pub(crate) struct ImportQuery {
    publish: Option<bool>,
}

/// What an import did.
#[derive(Serialize)]
pub(crate) struct ImportAnswer {
    added: u64,
    changed: u64,
    retired: u64,
    unchanged: u64,
    /// The version published (none: left as drafts, or nothing changed).
    version: Option<u64>,
}

pub(crate) async fn import(
    State(state): State<AppState>,
    Admin(name): Admin,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Json<ImportAnswer>, ApiError> {
    let editor = knowledge::Editor::Admin(&name);
    let summary = knowledge::import(&state, editor, &body).await?;
    let version = if q.publish.unwrap_or(true) {
        knowledge::publish(&state, editor).await?
    } else {
        None
    };
    tracing::info!(admin = %name, added = summary.added, changed = summary.changed,
        retired = summary.retired, version = ?version, "knowledge base imported");
    Ok(Json(ImportAnswer {
        added: summary.added,
        changed: summary.changed,
        retired: summary.retired,
        unchanged: summary.unchanged,
        version,
    }))
}
