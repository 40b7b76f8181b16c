//! The schema migration runner: numbered steps applied in order in one IMMEDIATE
//! transaction, the version kept in `PRAGMA user_version`. Which steps there are
//! is the schema's business (`crate::schema`), above every layer it rebuilds.

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{APPLICATION_ID, classify};
use crate::error::{Error, Result};

/// One schema step.
pub(crate) struct Migration {
    /// The version the schema has after this step (its file number).
    pub version: i64,
    /// The file's name, for logs.
    pub name: &'static str,
    /// The SQL of the file.
    pub sql: &'static str,
    /// Work that SQL alone cannot do, run in the same transaction (e.g. filling a new
    /// derived table from the stored documents). It runs once every pending SQL
    /// step is applied: a rebuild projects with today's code, which writes today's
    /// tables, so it needs the whole schema. Each distinct rebuild runs once, in the
    /// order of the first step that asks for it.
    pub after: Option<fn(&Transaction<'_>) -> Result<()>>,
}

/// Brings the schema to the last of `migrations`, or refuses a database from a
/// newer app.
pub(crate) fn migrate(conn: &Connection, path: &Path, migrations: &[Migration]) -> Result<()> {
    let latest = migrations.last().map_or(0, |m| m.version);
    let version = user_version(conn, path)?;
    if version > latest {
        return Err(Error::DatabaseTooNew {
            path: path.to_owned(),
            found: version,
            supported: latest,
        });
    }
    if version >= latest {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| classify(path, e))?;
    // Another process may have migrated while we waited for the lock.
    let version = user_version(&tx, path)?;
    let mut rebuilds: Vec<fn(&Transaction<'_>) -> Result<()>> = Vec::new();
    for m in migrations.iter().filter(|m| m.version > version) {
        tracing::info!(migration = m.name, "applying schema migration");
        tx.execute_batch(m.sql).map_err(|e| classify(path, e))?;
        if let Some(after) = m.after
            && !rebuilds.iter().any(|r| std::ptr::fn_addr_eq(*r, after))
        {
            rebuilds.push(after);
        }
        tx.pragma_update(None, "user_version", m.version)?;
    }
    for rebuild in rebuilds {
        rebuild(&tx)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}

fn user_version(conn: &Connection, path: &Path) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))
}
