//! A store that follows what a server holds, as its read model: the server's
//! supervisor pages read the core's lists, queues and statistics from such a
//! store. It takes pages of documents or changes from the server's change
//! sequence and notes how far it has followed in the same transaction, so that
//! after a restart it goes on from where it stood.

use rusqlite::OptionalExtension;

use super::FieldStore;
use crate::error::Result;
use crate::protocol::DocPayload;
use crate::time::now;

/// Where the position is kept.
const POSITION_KEY: &str = "followed_position";
/// What was followed: a follower of another source starts again.
const SOURCE_KEY: &str = "followed_source";

/// How far a follower has come: the source it follows and the last position of
/// that source's change sequence it has applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The source's identity, as given to [`FieldStore::apply_followed`].
    pub source: String,
    /// The last position applied (0: nothing yet).
    pub position: i64,
}

impl FieldStore {
    /// How far this store has followed a server's sequence, if it follows one.
    pub fn followed(&self) -> Result<Option<Followed>> {
        let conn = self.conn();
        let read = |key: &str| -> Result<Option<String>> {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        };
        let (Some(source), Some(position)) = (read(SOURCE_KEY)?, read(POSITION_KEY)?) else {
            return Ok(None);
        };
        Ok(Some(Followed {
            source,
            position: position.parse().unwrap_or(0),
        }))
    }

    /// Applies `docs` (whole documents or changes, as a server's sequence gives
    /// them) and notes `position` of `source` as followed, in one transaction:
    /// either all of it is stored or none. Changes already held are ignored, so
    /// a page applied twice changes nothing. Returns how many documents were in
    /// the page.
    pub fn apply_followed(&self, source: &str, docs: &[DocPayload], position: i64) -> Result<u64> {
        let at = now();
        self.write(|tx| {
            let applied = super::pull::apply_page(tx, docs, false, at)?;
            let mut note =
                tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
            note.execute([SOURCE_KEY, source])?;
            note.execute([POSITION_KEY, &position.to_string()])?;
            Ok(applied)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Incident, RecordKind};

    fn incident(description: &str) -> Incident {
        serde_json::from_value(serde_json::json!({
            "grid_code": "g1", "category": "fire", "description": description,
            "reporter_id": "w1", "reported_at": 1_700_000_000,
        }))
        .expect("an incident")
    }

    #[test]
    fn a_follower_keeps_its_position_with_what_it_applied() {
        let dir = tempfile::tempdir().unwrap();
        let device = "00112233445566778899aabbccddeeff";
        let created = crate::new_record("i1", &incident("烟"), device, "w1", 1).unwrap();
        let change = crate::change_record::<Incident>("i1", &created, device, "w1", 2, |i| {
            i.description = "浓烟".into();
        })
        .unwrap();
        let path = dir.path().join("follower.sqlite");
        {
            let store = FieldStore::open(&path).unwrap();
            assert_eq!(store.followed().unwrap(), None);
            let page = |data: &[u8]| DocPayload {
                id: "i1".into(),
                kind: RecordKind::Incident,
                data: data.to_vec(),
            };
            store.apply_followed("s1", &[page(&created)], 1).unwrap();
            store.apply_followed("s1", &[page(&change)], 2).unwrap();
            // Applied twice: nothing changes.
            store.apply_followed("s1", &[page(&change)], 2).unwrap();
        }
        let store = FieldStore::open(&path).unwrap();
        assert_eq!(
            store.followed().unwrap(),
            Some(Followed {
                source: "s1".into(),
                position: 2
            })
        );
        assert_eq!(store.get::<Incident>("i1").unwrap().description, "浓烟");
        // A page that does not merge is refused whole, position unchanged.
        let bad = DocPayload {
            id: "i2".into(),
            kind: RecordKind::Incident,
            data: b"junk".to_vec(),
        };
        assert!(store.apply_followed("s1", &[bad], 3).is_err());
        assert_eq!(store.followed().unwrap().unwrap().position, 2);
    }
}
