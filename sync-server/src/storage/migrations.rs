//! The server's schema, one list for both backends: each step is a numbered SQL
//! file in each dialect (`migrations/sqlite/`, `migrations/postgres/`), so a step
//! cannot be added to one backend and forgotten in the other. The backends apply
//! what [`pending`] returns in one transaction each.

use super::{StorageError, StorageResult};

/// One schema step, in both dialects.
pub(crate) struct Migration {
    /// The version the schema has after this step.
    pub version: i64,
    /// The SQLite dialect.
    pub sqlite: &'static str,
    /// The PostgreSQL dialect.
    pub postgres: &'static str,
}

macro_rules! step {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $file)),
            postgres: include_str!(concat!("../../migrations/postgres/", $file)),
        }
    };
}

/// Every step, in order. Never edit a shipped file: add a new step.
pub(crate) const MIGRATIONS: &[Migration] = &[
    step!(1, "001_init.sql"),
    step!(2, "002_tracks.sql"),
    step!(3, "003_web.sql"),
    step!(4, "004_security.sql"),
    step!(5, "005_track_clock.sql"),
    step!(6, "006_intake.sql"),
    step!(7, "007_news.sql"),
    step!(8, "008_points.sql"),
    step!(9, "009_live_positions.sql"),
    step!(10, "010_patrol_briefs.sql"),
    step!(11, "011_knowledge.sql"),
    step!(12, "012_identity.sql"),
    step!(13, "013_record_edits.sql"),
];

/// The steps a database at `version` still needs, or [`StorageError::TooNew`]
/// for a database written by a newer server.
pub(crate) fn pending(version: i64) -> StorageResult<&'static [Migration]> {
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    if version > latest {
        return Err(StorageError::TooNew(version));
    }
    Ok(&MIGRATIONS[version.max(0) as usize..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order_and_pending_counts_from_the_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        assert_eq!(pending(0).unwrap().len(), MIGRATIONS.len());
        assert!(pending(MIGRATIONS.len() as i64).unwrap().is_empty());
        assert!(matches!(
            pending(MIGRATIONS.len() as i64 + 1),
            Err(StorageError::TooNew(_))
        ));
    }
}
