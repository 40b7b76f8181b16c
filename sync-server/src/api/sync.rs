//! `POST /v1/sync`: one round of pushes and pulls for an approved device.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fieldgrid_core::org::StaffScope;
use fieldgrid_core::protocol::{
    self, CBOR, DocPayload, ErrorCode, MAX_PULL_DOCS, PROTOCOL_VERSION, ReferenceVersion,
    ServerCursor, SyncRequest, SyncResponse,
};

use super::{ApiError, Device};
use crate::service::{self, Caller};
use crate::{AppState, now};
/// Change rows read per pull.
const CHANGE_ROWS: u32 = 5_000;

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
    let (docs, cursor, more, resync) =
        pull(&state, &account.device_id, &scope, cursor, max_pull).await?;
    let reference = state
        .storage
        .reference_versions()
        .await?
        .into_iter()
        .map(|(what, version)| ReferenceVersion { what, version })
        .collect();

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
    state.storage.touch_account(&account.id, now()).await?;
    Ok(([(header::CONTENT_TYPE, CBOR)], bytes).into_response())
}

/// The documents or changes the device lacks, the cursor after them, whether more
/// is waiting, and whether the device must offer all its records again.
async fn pull(
    state: &AppState,
    device: &str,
    scope: &StaffScope,
    cursor: Option<ServerCursor>,
    max_docs: u32,
) -> Result<(Vec<DocPayload>, ServerCursor, bool, bool), ApiError> {
    let storage = &state.storage;
    let last = storage.last_seq().await?;
    // A cursor ahead of the sequence was issued before this database was restored
    // from a backup: start over as for a new device (or changes numbered again
    // below the cursor would be skipped), and have the device offer everything it
    // holds (it believes the server has records the backup lacks).
    let resync = matches!(
        cursor,
        Some(ServerCursor::Changes { seq } | ServerCursor::Initial { since: seq, .. }) if seq > last
    );
    let cursor = match cursor {
        Some(c) if !resync => c,
        // A new device: page through compacted documents from now's sequence on.
        _ => ServerCursor::Initial {
            since: last,
            pass: 0,
            after: String::new(),
        },
    };
    match cursor {
        ServerCursor::Initial { since, pass, after } => {
            let grids: Vec<String> = if pass == 0 {
                scope.direct.iter().cloned().collect()
            } else {
                scope.all.difference(&scope.direct).cloned().collect()
            };
            let rows = if grids.is_empty() {
                Vec::new()
            } else {
                storage.documents_page(&grids, &after, max_docs).await?
            };
            let full = rows.len() as u32 == max_docs;
            let next = match (full, pass) {
                (true, _) => ServerCursor::Initial {
                    since,
                    pass,
                    after: rows.last().map(|r| r.doc_id.clone()).unwrap_or_default(),
                },
                (false, 0) => ServerCursor::Initial {
                    since,
                    pass: 1,
                    after: String::new(),
                },
                (false, _) => ServerCursor::Changes { seq: since },
            };
            let docs = rows
                .into_iter()
                .map(|r| DocPayload {
                    id: r.doc_id,
                    kind: r.kind,
                    data: r.data,
                })
                .collect();
            Ok((docs, next, true, resync))
        }
        ServerCursor::Changes { seq } => {
            let grids: Vec<String> = scope.all.iter().cloned().collect();
            // Read the high mark first: every sequence number up to it is committed,
            // so moving the cursor to it can skip nothing.
            let high = storage.last_seq().await?;
            if grids.is_empty() || high <= seq {
                return Ok((
                    Vec::new(),
                    ServerCursor::Changes { seq: high.max(seq) },
                    false,
                    false,
                ));
            }
            let rows = storage
                .changes_after(seq, high, &grids, device, CHANGE_ROWS)
                .await?;
            let mut by_doc: BTreeMap<String, usize> = BTreeMap::new();
            let mut docs: Vec<DocPayload> = Vec::new();
            let mut last = seq;
            let mut more = rows.len() as u32 == CHANGE_ROWS;
            for row in rows {
                if !by_doc.contains_key(&row.doc_id) && docs.len() as u32 == max_docs {
                    more = true;
                    break;
                }
                last = row.seq;
                match by_doc.get(&row.doc_id) {
                    Some(&i) => docs[i].data.extend_from_slice(&row.bytes),
                    None => {
                        by_doc.insert(row.doc_id.clone(), docs.len());
                        docs.push(DocPayload {
                            id: row.doc_id,
                            kind: row.kind,
                            data: row.bytes,
                        });
                    }
                }
            }
            let next = if more { last } else { high };
            Ok((docs, ServerCursor::Changes { seq: next }, more, false))
        }
    }
}
