//! `POST /v1/sync`: one round of pushes and pulls for an approved device.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fieldgrid_core::protocol::{
    self, CBOR, ErrorCode, MAX_PULL_DOCS, PROTOCOL_VERSION, ServerCursor, SyncRequest, SyncResponse,
};

use super::{ApiError, Device};
use crate::AppState;
use crate::service::{self, Caller};

pub(crate) async fn sync(
    State(state): State<AppState>,
    Device(account): Device,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request = SyncRequest::decode(&body).map_err(|e| ApiError::bad_request(e.0))?;
    if request.protocol != PROTOCOL_VERSION {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UpgradeRequired,
            format!(
                "this server speaks sync protocol {PROTOCOL_VERSION}, the app speaks {}; please update the app",
                request.protocol
            ),
        ));
    }
    if protocol::version_older(&request.app_version, &state.settings.min_app_version) {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UpgradeRequired,
            format!(
                "app version {} is no longer supported; please update to {} or later",
                request.app_version, state.settings.min_app_version
            ),
        ));
    }
    let cursor = ServerCursor::from_cursor_with_scope(request.cursor.as_ref())
        .map_err(|e| ApiError::bad_request(e.0))?;

    let staff = account.staff_id.clone().unwrap_or_default();
    let caller = Caller::new(&state, &staff, &account.device_id).await?;
    let scope = caller.scope.clone();
    // A cursor issued for another scope (grids added or taken away since): page
    // through the whole current scope again. Records the phone has merge as no-ops.
    let fingerprint = protocol::scope_fingerprint(&scope.all);
    let cursor = match cursor {
        Some((pos, issued_for)) if issued_for == fingerprint => Some(pos),
        Some((ServerCursor::Changes { seq } | ServerCursor::Initial { since: seq, .. }, _)) => {
            Some(ServerCursor::Initial {
                since: seq,
                pass: 0,
                after: String::new(),
            })
        }
        None => None,
    };

    let pushed_count = request.push.len();
    let pushed = service::push::push(&state, &caller, &account.device_id, request.push).await?;
    let rejected = pushed.iter().filter(|p| p.rejected.is_some()).count();

    let max_pull = if request.max_pull == 0 {
        MAX_PULL_DOCS
    } else {
        request.max_pull.min(MAX_PULL_DOCS)
    };
    let service::pull::Pulled {
        docs,
        cursor,
        more,
        resync,
    } = service::pull::pull(&state, &caller, cursor, max_pull).await?;
    let reference = service::pull::reference_versions(&state).await?;

    let response = SyncResponse {
        protocol: PROTOCOL_VERSION,
        pushed,
        docs,
        cursor: cursor.to_cursor_for(fingerprint),
        more,
        reference,
        resync,
    };
    let bytes = protocol::encode(&response);
    state.metrics.sync_round(
        body.len(),
        bytes.len(),
        pushed_count - rejected,
        response.docs.len(),
        rejected,
    );
    service::pull::finish_round(&state, &account.id).await?;
    Ok(([(header::CONTENT_TYPE, CBOR)], bytes).into_response())
}
