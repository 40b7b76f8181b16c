//! How much work one save through a form does.

use super::FieldStore;
use crate::forms::FORM_LOADS;
use crate::forms::validate::CHECKS;
use crate::org::demo::{demo_county, village_code};
use crate::records::{FieldValue, FormValues, Household};

/// Runs `f` and returns how many form lookups and whole-record checks it made.
fn counted<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let loads = FORM_LOADS.with(|n| n.get());
    let checks = CHECKS.with(|n| n.get());
    let out = f();
    (
        out,
        FORM_LOADS.with(|n| n.get()) - loads,
        CHECKS.with(|n| n.get()) - checks,
    )
}

#[test]
fn one_save_looks_up_and_checks_its_form_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("s.sqlite")).unwrap();
    s.import_org_tree(&demo_county()).unwrap();
    s.sign_in("worker-cadre");
    let grid = format!("{}001", village_code(0));
    let mut values = FormValues::new();
    values.insert("basic.head_name".into(), FieldValue::Text("刘凤英".into()));
    values.insert(
        "basic.address".into(),
        FieldValue::Text("山口村3组12号".into()),
    );

    let (created, loads, checks) = counted(|| s.new_household(&grid, values).unwrap());
    assert_eq!((loads, checks), (1, 1), "creating a household");
    assert!(!created.problems.is_empty(), "a draft has problems");

    let change = [("basic.floors".to_owned(), Some(FieldValue::Int(2)))];
    let (saved, loads, checks) = counted(|| s.save_fields(&created.id, &change).unwrap());
    assert_eq!((loads, checks), (1, 1), "saving answers");
    // The one check's count is what the list shows.
    let listed: i64 = s
        .conn()
        .query_row(
            "SELECT problems FROM households h JOIN documents d ON d.id = h.doc
             WHERE d.doc_id = ?1",
            [&created.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(listed, saved.problems.len() as i64);

    // A plain edit outside the form checks the record for the index, once.
    let (_, loads, checks) = counted(|| {
        s.update::<Household>(&created.id, |h| h.address = "山口村3组14号".into())
            .unwrap()
    });
    assert_eq!((loads, checks), (1, 1), "an edit outside the form");
}
