//! Changes from other devices that must be refused without harming what is stored,
//! and the folding of many small changes into a compact snapshot.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use fieldgrid_core::records::{FieldValue, Household, RecordKind};
use fieldgrid_core::{Error, FieldStore};

const GRID: &str = "320722104201001";

fn store(dir: &tempfile::TempDir, name: &str, user: &str) -> FieldStore {
    let s = FieldStore::open(dir.path().join(name)).unwrap();
    s.sign_in(user);
    s
}

#[test]
fn malformed_or_unfit_changes_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let a = store(&dir, "a.sqlite", "cadre-liu");
    let b = store(&dir, "b.sqlite", "cadre-wang");
    let id = a
        .create(&Household::new(GRID, "安峰村12号", "刘凤"))
        .unwrap();
    b.apply_changes(
        RecordKind::Household,
        &id,
        &a.changes_since(&id, &[]).unwrap(),
    )
    .unwrap();
    let before: Household = b.get(&id).unwrap();
    let heads = b.heads(&id).unwrap();

    // Garbage and truncated bytes.
    let full = a.changes_since(&id, &[]).unwrap();
    for bytes in [b"not automerge at all".as_slice(), &full[..full.len() / 2]] {
        let err = b
            .apply_changes(RecordKind::Household, &id, bytes)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidChanges { .. }), "{err}");
        let err = b
            .apply_changes(RecordKind::Household, "new-record", bytes)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidChanges { .. }), "{err}");
    }

    // Changes whose history is missing.
    let h1 = a.heads(&id).unwrap();
    a.update::<Household>(&id, |h| h.address = "安峰村12-1号".into())
        .unwrap();
    let h2 = a.heads(&id).unwrap();
    a.update::<Household>(&id, |h| h.address = "安峰村12-2号".into())
        .unwrap();
    let only_last = a.changes_since(&id, &h2).unwrap();
    let err = b
        .apply_changes(RecordKind::Household, &id, &only_last)
        .unwrap_err();
    assert!(matches!(err, Error::MissingHistory { .. }), "{err}");
    assert!(err.to_string().contains("not held here"), "{err}");
    assert!(!a.changes_since(&id, &h1).unwrap().is_empty());

    // The right bytes under the wrong kind.
    let err = b
        .apply_changes(RecordKind::Person, &id, &only_last)
        .unwrap_err();
    assert!(matches!(err, Error::WrongKind { .. }), "{err}");

    // A well-formed document that does not fit the household schema; its values
    // (personal data) never show in the error.
    let mut alien = AutoCommit::new();
    alien.put(ROOT, "grid_code", GRID).unwrap();
    alien.put(ROOT, "address", 42_i64).unwrap();
    alien.put(ROOT, "head_name", "110101199003070034").unwrap();
    alien.commit();
    let err = b
        .apply_changes(RecordKind::Household, "alien-1", &alien.save())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidDocument { .. }), "{err}");
    assert!(!err.to_string().contains("42"), "{err}");
    assert!(!err.to_string().contains("110101199003070034"), "{err}");
    assert!(matches!(b.heads("alien-1"), Err(Error::NotFound { .. })));

    // Ids that are not plain are refused.
    let err = b
        .apply_changes(RecordKind::Household, "../etc/passwd", &full)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRecordId { .. }), "{err}");

    // What B had is exactly as before, and sound.
    assert_eq!(b.get::<Household>(&id).unwrap(), before);
    assert_eq!(b.heads(&id).unwrap(), heads);
    assert_eq!(b.documents().unwrap().len(), 1);
    assert!(b.integrity_check().unwrap().is_empty());

    // Creating twice under one id is refused.
    let err = a
        .create_with_id(&id, &Household::new(GRID, "x", "y"))
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
}

#[test]
fn many_edits_fold_into_a_snapshot_without_losing_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let a = store(&dir, "a.sqlite", "cadre-liu");
    let id = a
        .create(&Household::new(GRID, "安峰村12号", "刘凤"))
        .unwrap();
    for i in 0..150_i64 {
        a.update::<Household>(&id, |h| {
            h.fields
                .insert("income.annual_total".into(), FieldValue::Int(40_000 + i));
        })
        .unwrap();
        let pending: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT count(*) FROM doc_changes", [], |r| r.get(0))
            .unwrap();
        assert!(pending <= 64, "{pending} changes kept beside the snapshot");
    }
    drop(a);
    let a = store(&dir, "a.sqlite", "cadre-liu");
    let h: Household = a.get(&id).unwrap();
    assert_eq!(h.fields["income.annual_total"], FieldValue::Int(40_149));
    let history = a.field_history(&id, "fields/income.annual_total").unwrap();
    assert_eq!(history.len(), 150);
    assert_eq!(history[149].old, vec![serde_json::json!(40_148)]);
    // A peer that had only the first version still gets everything after it.
    let b = store(&dir, "b.sqlite", "cadre-wang");
    b.apply_changes(
        RecordKind::Household,
        &id,
        &a.changes_since(&id, &[]).unwrap(),
    )
    .unwrap();
    assert_eq!(b.get::<Household>(&id).unwrap(), h);
    assert!(matches!(
        a.field_history(&id, "fields//x"),
        Err(Error::InvalidPath { .. })
    ));
}
