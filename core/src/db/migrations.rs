//! Schema migrations: numbered SQL files under `core/migrations/`, applied in order in
//! one IMMEDIATE transaction, with the version kept in `PRAGMA user_version`.

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
    /// derived table from the stored documents).
    pub after: Option<fn(&Transaction<'_>) -> Result<()>>,
}

/// Every migration, in order. Never edit a shipped file: add a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "001_documents.sql",
        sql: include_str!("../../migrations/001_documents.sql"),
        after: None,
    },
    Migration {
        version: 2,
        name: "002_org_tree.sql",
        sql: include_str!("../../migrations/002_org_tree.sql"),
        after: None,
    },
    Migration {
        version: 3,
        name: "003_search.sql",
        sql: include_str!("../../migrations/003_search.sql"),
        after: Some(crate::search::rebuild_index),
    },
    Migration {
        version: 4,
        name: "004_sync.sql",
        sql: include_str!("../../migrations/004_sync.sql"),
        after: None,
    },
    Migration {
        version: 5,
        name: "005_patrols.sql",
        sql: include_str!("../../migrations/005_patrols.sql"),
        after: None,
    },
    Migration {
        version: 6,
        name: "006_media.sql",
        sql: include_str!("../../migrations/006_media.sql"),
        after: None,
    },
    Migration {
        version: 7,
        name: "007_reference_data.sql",
        sql: include_str!("../../migrations/007_reference_data.sql"),
        after: None,
    },
    Migration {
        version: 8,
        name: "008_incident_state.sql",
        sql: include_str!("../../migrations/008_incident_state.sql"),
        after: Some(crate::incident::reindex_incidents),
    },
    Migration {
        version: 9,
        name: "009_household_forms.sql",
        sql: include_str!("../../migrations/009_household_forms.sql"),
        after: Some(crate::household::reindex),
    },
    Migration {
        version: 10,
        name: "010_search_units.sql",
        sql: include_str!("../../migrations/010_search_units.sql"),
        after: Some(crate::search::rebuild_index),
    },
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Brings the schema to [`LATEST`], or refuses a database from a newer app.
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    migrate_to(conn, path, LATEST)
}

/// Brings the schema to `target` (tests use this to build old-version files).
pub(crate) fn migrate_to(conn: &Connection, path: &Path, target: i64) -> Result<()> {
    let version = user_version(conn, path)?;
    if version > LATEST {
        return Err(Error::DatabaseTooNew {
            path: path.to_owned(),
            found: version,
            supported: LATEST,
        });
    }
    if version >= target {
        return Ok(());
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| classify(path, e))?;
    // Another process may have migrated while we waited for the lock.
    let version = user_version(&tx, path)?;
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > version && m.version <= target)
    {
        tracing::info!(migration = m.name, "applying schema migration");
        tx.execute_batch(m.sql).map_err(|e| classify(path, e))?;
        if let Some(after) = m.after {
            after(&tx)?;
        }
        tx.pragma_update(None, "user_version", m.version)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}

fn user_version(conn: &Connection, path: &Path) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_match_their_files() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{} is out of order", m.name);
            assert!(
                m.name.starts_with(&format!("{:03}_", m.version)),
                "{} does not carry its number",
                m.name
            );
        }
    }
}
