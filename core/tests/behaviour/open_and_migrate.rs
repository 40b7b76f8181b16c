//! Opening the store: pragmas, schema upgrades, and files it must refuse without
//! touching them.

use std::path::Path;

use fieldgrid_core::records::{FieldValue, Household};
use fieldgrid_core::{Error, FieldStore, SCHEMA_VERSION, SearchFilter};
use rusqlite::Connection;

const FIXTURE_V1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/schema_v1.sqlite"
);
const FIXTURE_HOUSEHOLD: &str = "0190c7a2-0000-7000-8000-000000000001";

fn pragma(conn: &Connection, name: &str) -> String {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| {
        r.get::<_, rusqlite::types::Value>(0)
    })
    .map(|v| match v {
        rusqlite::types::Value::Integer(i) => i.to_string(),
        rusqlite::types::Value::Text(t) => t,
        other => format!("{other:?}"),
    })
    .unwrap()
}

/// The schema as SQLite records it, without the order objects were created in.
fn schema(path: &Path) -> Vec<(String, String, String)> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_new_store_uses_wal_foreign_keys_and_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let store = FieldStore::open(&path).unwrap();
    assert!(store.integrity_check().unwrap().is_empty());
    let settings = store.settings().unwrap();
    assert_eq!(settings.journal_mode, "wal");
    assert_eq!(settings.synchronous, 2, "FULL");
    assert!(settings.foreign_keys);
    assert_eq!(settings.busy_timeout_ms, 5000);
    assert_eq!(settings.schema_version, SCHEMA_VERSION);
    drop(store);
    let conn = Connection::open(&path).unwrap();
    assert_eq!(
        pragma(&conn, "journal_mode"),
        "wal",
        "WAL persists in the file"
    );
    assert_eq!(pragma(&conn, "application_id"), 0x4647_5244.to_string());
}

#[test]
fn reopening_keeps_the_device_id_and_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let store = FieldStore::open(&path).unwrap();
    let device = store.device_id();
    store.sign_in("cadre-liu");
    let id = store
        .create(&Household::new("320722104201001", "安峰村1号", "刘凤"))
        .unwrap();
    drop(store);
    let store = FieldStore::open(&path).unwrap();
    assert_eq!(store.device_id(), device);
    assert_eq!(store.get::<Household>(&id).unwrap().head_name, "刘凤");
}

#[test]
fn a_v1_database_upgrades_to_the_same_schema_as_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.sqlite");
    std::fs::copy(FIXTURE_V1, &old).unwrap();
    assert_eq!(
        pragma(&Connection::open(&old).unwrap(), "user_version"),
        "1"
    );

    let store = FieldStore::open(&old).unwrap();
    drop(store);
    let fresh = dir.path().join("fresh.sqlite");
    drop(FieldStore::open(&fresh).unwrap());

    assert_eq!(schema(&old), schema(&fresh));
    let conn = Connection::open(&old).unwrap();
    assert_eq!(pragma(&conn, "user_version"), SCHEMA_VERSION.to_string());
    drop(conn);

    // The old data is intact, and the new search index was filled from it.
    let store = FieldStore::open(&old).unwrap();
    assert!(store.integrity_check().unwrap().is_empty());
    assert_eq!(store.device_id(), "0f0e0d0c0b0a09080706050403020100");
    let house: Household = store.get(FIXTURE_HOUSEHOLD).unwrap();
    assert_eq!(house.head_name, "刘凤");
    assert_eq!(house.fields["income.annual_total"], FieldValue::Int(48_000));
    let hits = store.search("刘凤", &SearchFilter::default(), 5).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, FIXTURE_HOUSEHOLD);
    // And it goes on working: a new edit merges onto the old history.
    store.sign_in("cadre-wang");
    store
        .update::<Household>(FIXTURE_HOUSEHOLD, |h| {
            h.fields
                .insert("income.annual_total".into(), FieldValue::Int(50_000));
        })
        .unwrap();
    let history = store
        .field_history(FIXTURE_HOUSEHOLD, "fields/income.annual_total")
        .unwrap();
    let who: Vec<_> = history
        .iter()
        .map(|h| h.user_id.as_deref().unwrap())
        .collect();
    assert_eq!(who, ["cadre-liu", "cadre-wang"]);
}

#[test]
fn a_database_from_a_newer_app_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    drop(FieldStore::open(&path).unwrap());
    let newer = SCHEMA_VERSION + 7;
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let before = std::fs::read(&path).unwrap();

    let err = FieldStore::open(&path).unwrap_err();
    match &err {
        Error::DatabaseTooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, newer);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected DatabaseTooNew, got {other}"),
    }
    assert!(err.to_string().contains("update the app"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_file_that_is_not_a_database_is_reported_as_corrupt_and_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let garbage: Vec<u8> = (0..16_384u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = FieldStore::open(&path).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn a_damaged_store_is_reported_and_its_bytes_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.sqlite");
    let store = FieldStore::open(&path).unwrap();
    store.sign_in("u");
    let houses: Vec<_> = (0..300)
        .map(|i| Household::new("320722104201001", &format!("安峰村{i}号"), "刘凤"))
        .collect();
    store.create_batch(&houses).unwrap();
    drop(store); // checkpoints the WAL into the main file
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024);
    // Scribble over the middle of the file, as a failing flash cell would.
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8192] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    // Either opening or the integrity check reports the damage; nothing is replaced.
    match FieldStore::open(&path) {
        Err(err) => assert!(matches!(err, Error::Corrupt { .. }), "{err}"),
        Ok(store) => {
            let problems = store.integrity_check();
            assert!(
                problems.as_ref().map_or(true, |p| !p.is_empty()),
                "damage went unnoticed"
            );
        }
    }
    assert_eq!(std::fs::read(&path).unwrap().len(), bytes.len());
}

#[test]
fn an_sqlite_file_of_another_app_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    let err = FieldStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("another application"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn an_empty_file_becomes_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite");
    std::fs::write(&path, b"").unwrap();
    let store = FieldStore::open(&path).unwrap();
    assert!(store.documents().unwrap().is_empty());
}
