//! The `patrol_logs` query table.

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::records::PatrolLog;

/// Writes a patrol log's row of `patrol_logs`.
pub(crate) fn write_patrol_log(conn: &Connection, doc: i64, log: &PatrolLog) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO patrol_logs (doc, grid_code, worker_id, started_at, entries)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        doc,
        log.grid_code,
        log.worker_id,
        log.started_at,
        log.entries.len() as i64
    ])?;
    Ok(())
}
