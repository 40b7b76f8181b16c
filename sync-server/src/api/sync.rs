//! `POST /v1/sync`: one round of pushes and pulls for an approved device.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use fieldgrid_core::org::OrgTree;
use fieldgrid_core::org::StaffScope;
use fieldgrid_core::records::{Incident, IncidentTransition, RecordKind};
use fieldgrid_core::sync::protocol::{
    self, CBOR, DocPayload, ErrorCode, MAX_PULL_DOCS, PROTOCOL_VERSION, PushResult,
    ReferenceVersion, RejectCode, ServerCursor, SyncRequest, SyncResponse,
};
use fieldgrid_core::{Error as CoreError, MergeOutcome, merge_document, read_record};

use super::{ApiError, Device};
use crate::storage::{DocumentSave, SaveOutcome, StoredDoc};
use crate::{AppState, now};

/// Merges retried when another device saved the same record in between.
const MERGE_ATTEMPTS: usize = 8;
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

    let tree = state.org_tree().await?;
    let staff = account.staff_id.clone().unwrap_or_default();
    let scope = tree.scope_of(&staff);
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
    let pushed = push_all(
        &state,
        &account.device_id,
        &staff,
        &scope,
        tree.clone(),
        request.push,
    )
    .await?;
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

/// What a pushed document comes to after the checks and the merge.
enum Plan {
    /// Answered already: refused, or nothing new in it.
    Done(PushResult),
    /// To be saved over the stored version it was merged onto.
    Save {
        merged: MergeOutcome,
        expected: Option<i64>,
        previous_grid: Option<String>,
    },
}

fn accepted(id: &str) -> PushResult {
    PushResult {
        id: id.to_owned(),
        rejected: None,
        reason: String::new(),
    }
}

/// Checks one pushed document against the writer's scope and merges it. Pure CPU.
/// For an incident: every transition the push adds is by the pusher, in a role the
/// pusher holds over the incident's grid; a new incident is reported by the pusher.
/// (The workflow's own rules, such as who may verify, are applied by every replay.)
fn check_incident(
    tree: &OrgTree,
    staff: &str,
    id: &str,
    stored: Option<&StoredDoc>,
    merged: &MergeOutcome,
) -> Result<(), String> {
    let after: Incident = read_record(id, &merged.document).map_err(|e| e.to_string())?;
    let mut known: Vec<IncidentTransition> = match stored {
        Some(s) => {
            read_record::<Incident>(id, &s.data)
                .map_err(|e| e.to_string())?
                .transitions
        }
        None => {
            if after.reporter_id != staff {
                return Err(format!(
                    "an incident reported by {} cannot come from {staff}'s device",
                    after.reporter_id
                ));
            }
            Vec::new()
        }
    };
    let roles = tree.roles_over(staff, &after.grid_code);
    for t in &after.transitions {
        if let Some(pos) = known.iter().position(|k| k == t) {
            known.swap_remove(pos);
            continue;
        }
        if t.by != staff {
            return Err(format!(
                "a step by {} cannot come from {staff}'s device",
                t.by
            ));
        }
        if !roles.iter().any(|r| r.as_str() == t.role) {
            return Err(format!(
                "{staff} does not hold the role {} over grid {}",
                t.role, after.grid_code
            ));
        }
    }
    Ok(())
}

/// Checks one pushed document against the writer's scope and merges it. Pure CPU.
fn plan(
    device: &str,
    staff: &str,
    scope: &StaffScope,
    tree: &OrgTree,
    doc: &DocPayload,
    stored: Option<&StoredDoc>,
) -> Plan {
    let refuse = |code: RejectCode, reason: String| {
        // Logged by ids and codes only: grid codes and record ids are not personal.
        tracing::warn!(device, staff, record = %doc.id, ?code, "push refused: {reason}");
        Plan::Done(PushResult {
            id: doc.id.clone(),
            rejected: Some(code),
            reason,
        })
    };
    if let Some(s) = stored {
        if s.kind != doc.kind {
            return refuse(
                RejectCode::WrongKind,
                format!("record {} is a {} record", doc.id, s.kind),
            );
        }
        if !scope.contains(&s.grid_code) {
            return refuse(
                RejectCode::OutOfScope,
                format!("grid {} is not one of your grids", s.grid_code),
            );
        }
    }
    let merged = match merge_document(
        doc.kind,
        &doc.id,
        stored.map(|s| s.data.as_slice()),
        &doc.data,
    ) {
        Ok(m) => m,
        Err(CoreError::InvalidRecordId { .. }) => {
            return refuse(RejectCode::InvalidId, "not a valid record id".into());
        }
        Err(e @ CoreError::InvalidDocument { .. }) => {
            return refuse(RejectCode::InvalidDocument, e.to_string());
        }
        Err(e @ CoreError::MissingHistory { .. }) => {
            return refuse(RejectCode::MissingHistory, e.to_string());
        }
        Err(e) => return refuse(RejectCode::InvalidChanges, e.to_string()),
    };
    if !scope.contains(&merged.grid_code) {
        return refuse(
            RejectCode::OutOfScope,
            format!("grid {} is not one of your grids", merged.grid_code),
        );
    }
    if doc.kind == RecordKind::Incident
        && let Err(reason) = check_incident(tree, staff, &doc.id, stored, &merged)
    {
        return refuse(RejectCode::OutOfScope, reason);
    }
    if merged.new_changes == 0 {
        // Everything was known already: a retry of an earlier push.
        return Plan::Done(accepted(&doc.id));
    }
    Plan::Save {
        merged,
        expected: stored.map(|s| s.version),
        previous_grid: stored.map(|s| s.grid_code.clone()),
    }
}

/// Checks, merges and saves every pushed document: one query to load them, one
/// transaction to save them; documents another device saved in between are merged
/// again on the new version.
async fn push_all(
    state: &AppState,
    device: &str,
    staff: &str,
    scope: &StaffScope,
    tree: Arc<OrgTree>,
    docs: Vec<DocPayload>,
) -> Result<Vec<PushResult>, ApiError> {
    let docs = Arc::new(docs);
    let mut results: Vec<Option<PushResult>> = vec![None; docs.len()];
    let mut pending: Vec<usize> = (0..docs.len()).collect();
    for _ in 0..MERGE_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let ids: Vec<String> = pending.iter().map(|&i| docs[i].id.clone()).collect();
        let stored = state.storage.documents(&ids).await?;
        // Merging is CPU work: off the async runtime.
        let (d, dev, st, sc, tr, p) = (
            docs.clone(),
            device.to_owned(),
            staff.to_owned(),
            scope.clone(),
            tree.clone(),
            pending.clone(),
        );
        let plans: Vec<(usize, Plan)> = tokio::task::spawn_blocking(move || {
            p.into_iter()
                .map(|i| (i, plan(&dev, &st, &sc, &tr, &d[i], stored.get(&d[i].id))))
                .collect()
        })
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                e.to_string(),
            )
        })?;
        let at = now();
        let mut to_save = Vec::new();
        let mut saves = Vec::new();
        for (i, plan) in &plans {
            match plan {
                Plan::Done(result) => results[*i] = Some(result.clone()),
                Plan::Save {
                    merged,
                    expected,
                    previous_grid,
                } => {
                    to_save.push(*i);
                    saves.push(DocumentSave {
                        doc_id: &docs[*i].id,
                        kind: docs[*i].kind,
                        expected_version: *expected,
                        previous_grid: previous_grid.as_deref(),
                        merged,
                        origin_device: device,
                        at,
                    });
                }
            }
        }
        let outcomes = if saves.is_empty() {
            Vec::new()
        } else {
            state.storage.save_documents(&saves).await?
        };
        pending = Vec::new();
        for (i, outcome) in to_save.into_iter().zip(outcomes) {
            match outcome {
                SaveOutcome::Saved => results[i] = Some(accepted(&docs[i].id)),
                SaveOutcome::Conflict => pending.push(i),
            }
        }
    }
    if let Some(&i) = pending.first() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal,
            format!(
                "record {} is being changed by many devices at once; try again",
                docs[i].id
            ),
        ));
    }
    Ok(results.into_iter().flatten().collect())
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
