//! The phone's sync bookkeeping: what is left to push, where pulls stand, how the
//! last sync went.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::documents::storage;
use crate::error::Result;
use crate::protocol::{
    Cursor, DocPayload, MAX_PUSH_DOCS, PUSH_BATCH_BYTES, RejectCode, SyncResponse,
};
use crate::records::RecordKind;
use crate::store::FieldStore;
use crate::time::now;

/// What the app shows about sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Records with changes the server does not have yet.
    pub pending_records: u64,
    /// Records whose last push the server refused (see [`FieldStore::sync_rejections`]).
    pub rejected_records: u64,
    /// Sealed GPS track chunks not yet confirmed by the server.
    pub pending_track_chunks: u64,
    /// Photos the server does not hold whole yet.
    pub pending_photos: u64,
    /// When a sync last started, in unix seconds.
    pub last_attempt: Option<i64>,
    /// When a sync last finished without error.
    pub last_success: Option<i64>,
    /// Why the last sync failed, if it did.
    pub last_error: Option<String>,
}

/// A push the server refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncRejection {
    /// The record id.
    pub id: String,
    /// The server's code, e.g. `out_of_scope`.
    pub code: String,
    /// The server's reason.
    pub reason: String,
    /// When, in unix seconds.
    pub at: i64,
}

/// A batch of pushes and the heads each carries.
pub(crate) struct PushBatch {
    pub docs: Vec<DocPayload>,
    pub heads: Vec<Vec<u8>>,
}

impl FieldStore {
    /// How sync stands, for the app's status line.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let conn = self.conn();
        let pending: i64 = conn.query_row(
            "SELECT count(*) FROM documents d WHERE d.heads <> d.synced_heads
               AND NOT EXISTS (SELECT 1 FROM sync_rejections r
                               WHERE r.doc_id = d.doc_id AND r.heads = d.heads)",
            [],
            |r| r.get(0),
        )?;
        let rejected: i64 =
            conn.query_row("SELECT count(*) FROM sync_rejections", [], |r| r.get(0))?;
        let chunks: i64 = conn.query_row(
            "SELECT count(*) FROM track_chunks WHERE uploaded = 0",
            [],
            |r| r.get(0),
        )?;
        let photos: i64 = conn.query_row(
            "SELECT count(*) FROM photos WHERE uploaded = 0 AND full_pruned = 0",
            [],
            |r| r.get(0),
        )?;
        let (last_attempt, last_success, last_error) = conn.query_row(
            "SELECT last_attempt, last_success, last_error FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(SyncStatus {
            pending_records: pending as u64,
            rejected_records: rejected as u64,
            pending_track_chunks: chunks as u64,
            pending_photos: photos as u64,
            last_attempt,
            last_success,
            last_error,
        })
    }

    /// Pushes the server refused, newest first.
    pub fn sync_rejections(&self) -> Result<Vec<SyncRejection>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT doc_id, code, reason, at FROM sync_rejections ORDER BY at DESC, doc_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SyncRejection {
                id: r.get(0)?,
                code: r.get(1)?,
                reason: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes every record, patrol, track and photo, and the sync state on this
    /// device (after the server revoked it). Reference data and the device id stay.
    pub fn wipe_local_data(&self) -> Result<()> {
        self.write(|tx| {
            tx.execute_batch(
                "DELETE FROM search_index; DELETE FROM doc_changes; DELETE FROM households;
                 DELETE FROM persons; DELETE FROM incidents; DELETE FROM patrol_logs;
                 DELETE FROM photo_refs; DELETE FROM photos;
                 DELETE FROM track_open_fixes; DELETE FROM track_chunks;
                 DELETE FROM patrol_events; DELETE FROM patrols;
                 DELETE FROM documents; DELETE FROM sync_rejections;
                 UPDATE sync_state SET cursor = NULL, last_success = NULL;",
            )?;
            Ok(())
        })?;
        match std::fs::remove_dir_all(self.media_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(crate::Error::Io {
                path: self.media_dir(),
                source: e,
            }),
            _ => Ok(()),
        }
    }

    /// The `latest` of the last news check this device acted on (0 before any).
    pub(crate) fn news_after(&self) -> Result<i64> {
        let v: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'news_after'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Remembers the `latest` of a news check acted on.
    pub(crate) fn set_news_after(&self, latest: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('news_after', ?1)",
                [latest.to_string()],
            )?;
            Ok(())
        })
    }

    /// The scorecard last fetched for `period` (kept for reading offline).
    pub fn cached_scorecard(&self, period: &str) -> Result<Option<crate::protocol::MyScorecard>> {
        let v: Option<String> = self
            .conn()
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("scorecard:{period}")],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Keeps a fetched scorecard for reading offline (the latest per period, at
    /// most the latest four periods).
    pub(crate) fn cache_scorecard(&self, card: &crate::protocol::MyScorecard) -> Result<()> {
        let body = serde_json::to_string(card).map_err(|e| crate::Error::InvalidDocument {
            id: "scorecard".into(),
            kind: crate::records::RecordKind::Incident,
            reason: e.to_string(),
        })?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                [format!("scorecard:{}", card.scorecard.period), body],
            )?;
            tx.execute(
                "DELETE FROM meta WHERE key LIKE 'scorecard:%' AND key NOT IN
                 (SELECT key FROM meta WHERE key LIKE 'scorecard:%' ORDER BY rowid DESC LIMIT 4)",
                [],
            )?;
            Ok(())
        })
    }

    pub(crate) fn sync_cursor(&self) -> Result<Option<Cursor>> {
        let c: Option<Vec<u8>> = self
            .conn()
            .query_row("SELECT cursor FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        Ok(c.map(Cursor))
    }

    pub(crate) fn record_sync_attempt(&self, error: Option<&str>) -> Result<()> {
        let at = now();
        self.write(|tx| {
            match error {
                None => tx.execute(
                    "UPDATE sync_state SET last_attempt = ?1, last_success = ?1, last_error = NULL
                     WHERE id = 1",
                    [at],
                )?,
                Some(e) => tx.execute(
                    "UPDATE sync_state SET last_attempt = ?1, last_error = ?2 WHERE id = 1",
                    params![at, e],
                )?,
            };
            Ok(())
        })
    }

    /// The next batch of documents with unpushed changes, cut at
    /// [`PUSH_BATCH_BYTES`] and [`MAX_PUSH_DOCS`]. `skip` holds ids already in
    /// flight this round.
    pub(crate) fn next_push_batch(
        &self,
        skip: &std::collections::HashSet<String>,
    ) -> Result<PushBatch> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT d.doc_id, d.kind, d.synced_heads, d.heads FROM documents d
             WHERE d.heads <> d.synced_heads
               AND NOT EXISTS (SELECT 1 FROM sync_rejections r
                               WHERE r.doc_id = d.doc_id AND r.heads = d.heads)
             ORDER BY d.id",
        )?;
        let rows: Vec<(String, String, Vec<u8>, Vec<u8>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut batch = PushBatch {
            docs: Vec::new(),
            heads: Vec::new(),
        };
        let mut bytes = 0;
        for (id, kind, synced, heads) in rows {
            if skip.contains(&id) {
                continue;
            }
            let Ok(kind) = kind.parse::<RecordKind>() else {
                continue;
            };
            let Some(mut loaded) = storage::load(&conn, &id)? else {
                continue;
            };
            let synced = storage::decode_heads(&synced);
            let data = if synced.is_empty() {
                loaded.doc.save()
            } else {
                loaded.doc.save_after(&synced)
            };
            if !batch.docs.is_empty() && bytes + data.len() > PUSH_BATCH_BYTES {
                break;
            }
            bytes += data.len();
            batch.docs.push(DocPayload { id, kind, data });
            batch.heads.push(heads);
            if batch.docs.len() >= MAX_PUSH_DOCS {
                break;
            }
        }
        Ok(batch)
    }

    /// Stores the outcome of one sync round in one transaction: the verdict on each
    /// pushed record (`heads` is what was pushed), the pulled records, and the cursor
    /// after them. Either the whole round is stored or nothing is, so a cut anywhere
    /// repeats at most this round.
    pub(crate) fn finish_round(
        &self,
        answer: &SyncResponse,
        pushed_heads: &[Vec<u8>],
    ) -> Result<RoundCounts> {
        let at = now();
        self.write(|tx| {
            let mut counts = RoundCounts::default();
            if answer.resync {
                // The server lost data (restored from a backup): offer everything again.
                tx.execute("UPDATE documents SET synced_heads = x''", [])?;
            }
            for (result, heads) in answer.pushed.iter().zip(pushed_heads) {
                match result.rejected {
                    None => {
                        tx.execute(
                            "UPDATE documents SET synced_heads = ?2 WHERE doc_id = ?1",
                            params![result.id, heads],
                        )?;
                        tx.execute("DELETE FROM sync_rejections WHERE doc_id = ?1", [&result.id])?;
                        counts.pushed += 1;
                    }
                    Some(RejectCode::MissingHistory) => {
                        // The server lacks this record's history: send all of it.
                        tx.execute(
                            "UPDATE documents SET synced_heads = x'' WHERE doc_id = ?1",
                            [&result.id],
                        )?;
                        counts.resend.push(result.id.clone());
                    }
                    Some(code) => {
                        let code = serde_json::to_value(code)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        tx.execute(
                            "INSERT OR REPLACE INTO sync_rejections (doc_id, heads, code, reason, at)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![result.id, heads, code, result.reason, at],
                        )?;
                        counts.rejected += 1;
                    }
                }
            }
            counts.pulled += super::pull::apply_page(tx, &answer.docs, answer.resync, at)?;
            tx.execute("UPDATE sync_state SET cursor = ?1 WHERE id = 1", [&answer.cursor.0])?;
            Ok(counts)
        })
    }
}

/// What one stored round did.
#[derive(Debug, Default)]
pub(crate) struct RoundCounts {
    pub pushed: u64,
    pub rejected: u64,
    pub pulled: u64,
    /// Records to push again whole in this sync.
    pub resend: Vec<String>,
}
