//! The pull half of a sync round: what a device lacks of its area, read from the
//! change sequence (or, for a new device, from the compacted documents), with the
//! cursor after it. The area is the caller's; nothing outside it is read.

use std::collections::BTreeMap;

use fieldgrid_core::protocol::{DocPayload, ReferenceVersion, ServerCursor};

use super::{Caller, ServiceError};
use crate::AppState;

/// Change rows read per pull.
const CHANGE_ROWS: u32 = 5_000;

/// What one pull gives a device.
#[derive(Debug)]
pub struct Pulled {
    /// The documents or changes the device lacks.
    pub docs: Vec<DocPayload>,
    /// Where the next pull starts.
    pub cursor: ServerCursor,
    /// Whether more is waiting.
    pub more: bool,
    /// Whether the device must offer all its records again (the database was
    /// restored from a backup older than the device's cursor).
    pub resync: bool,
}

/// The documents or changes `caller`'s device lacks after `cursor` (`None`: a new
/// device), at most `max_docs` of them.
pub async fn pull(
    state: &AppState,
    caller: &Caller,
    cursor: Option<ServerCursor>,
    max_docs: u32,
) -> Result<Pulled, ServiceError> {
    let (storage, device, scope) = (&state.storage, caller.device.as_str(), &caller.scope);
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
            Ok(Pulled {
                docs,
                cursor: next,
                more: true,
                resync,
            })
        }
        ServerCursor::Changes { seq } => {
            let grids: Vec<String> = scope.all.iter().cloned().collect();
            // Read the high mark first: every sequence number up to it is committed,
            // so moving the cursor to it can skip nothing.
            let high = storage.last_seq().await?;
            if grids.is_empty() || high <= seq {
                return Ok(Pulled {
                    docs: Vec::new(),
                    cursor: ServerCursor::Changes { seq: high.max(seq) },
                    more: false,
                    resync: false,
                });
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
            Ok(Pulled {
                docs,
                cursor: ServerCursor::Changes { seq: next },
                more,
                resync: false,
            })
        }
    }
}

/// The versions of the reference data published now (org tree, catalogue, forms…).
pub async fn reference_versions(state: &AppState) -> Result<Vec<ReferenceVersion>, ServiceError> {
    Ok(state
        .storage
        .reference_versions()
        .await?
        .into_iter()
        .map(|(what, version)| ReferenceVersion { what, version })
        .collect())
}

/// The published reference data `what` (org tree, catalogue, forms…): its
/// version and its JSON body.
pub async fn reference(
    state: &AppState,
    what: &str,
) -> Result<Option<(u64, String)>, ServiceError> {
    Ok(state.storage.reference(what).await?)
}

/// Notes that `caller`'s account finished a sync round now.
pub async fn finish_round(state: &AppState, account: &str) -> Result<(), ServiceError> {
    Ok(state.storage.touch_account(account, crate::now()).await?)
}
