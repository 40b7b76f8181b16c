//! The store's schema: every migration, in order, each a numbered SQL file under
//! `core/migrations/` and, where SQL alone cannot do it, a rebuild of the tables
//! the index layer derives from stored documents. It sits at the top of the core
//! because it names those rebuilds; the runner is `db::migrations`.

use crate::db::migrations::Migration;

/// Every migration, in order. Never edit a shipped file: add a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "001_documents.sql",
        sql: include_str!("../migrations/001_documents.sql"),
        after: None,
    },
    Migration {
        version: 2,
        name: "002_org_tree.sql",
        sql: include_str!("../migrations/002_org_tree.sql"),
        after: None,
    },
    Migration {
        version: 3,
        name: "003_search.sql",
        sql: include_str!("../migrations/003_search.sql"),
        after: Some(crate::index::rebuild_search),
    },
    Migration {
        version: 4,
        name: "004_sync.sql",
        sql: include_str!("../migrations/004_sync.sql"),
        after: None,
    },
    Migration {
        version: 5,
        name: "005_patrols.sql",
        sql: include_str!("../migrations/005_patrols.sql"),
        after: None,
    },
    Migration {
        version: 6,
        name: "006_media.sql",
        sql: include_str!("../migrations/006_media.sql"),
        after: None,
    },
    Migration {
        version: 7,
        name: "007_reference_data.sql",
        sql: include_str!("../migrations/007_reference_data.sql"),
        after: None,
    },
    Migration {
        version: 8,
        name: "008_incident_state.sql",
        sql: include_str!("../migrations/008_incident_state.sql"),
        after: Some(crate::index::rebuild_incidents),
    },
    Migration {
        version: 9,
        name: "009_household_forms.sql",
        sql: include_str!("../migrations/009_household_forms.sql"),
        after: Some(crate::index::rebuild_households),
    },
    Migration {
        version: 10,
        name: "010_search_units.sql",
        sql: include_str!("../migrations/010_search_units.sql"),
        after: Some(crate::index::rebuild_search),
    },
    Migration {
        version: 11,
        name: "011_incident_channel.sql",
        sql: include_str!("../migrations/011_incident_channel.sql"),
        after: Some(crate::index::rebuild_incidents),
    },
    Migration {
        version: 12,
        name: "012_incident_shares.sql",
        sql: include_str!("../migrations/012_incident_shares.sql"),
        after: Some(crate::index::rebuild_incidents),
    },
    Migration {
        version: 13,
        name: "013_knowledge.sql",
        sql: include_str!("../migrations/013_knowledge.sql"),
        after: None,
    },
    Migration {
        version: 14,
        name: "014_unpushed_index.sql",
        sql: include_str!("../migrations/014_unpushed_index.sql"),
        after: None,
    },
    Migration {
        version: 15,
        name: "015_case_facts.sql",
        sql: include_str!("../migrations/015_case_facts.sql"),
        after: Some(crate::index::rebuild_case_facts),
    },
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

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
