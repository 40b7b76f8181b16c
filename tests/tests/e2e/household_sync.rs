//! Two village cadres keep the same resident's record offline, each in their own
//! modules and both in one common field, and sync through a real server (SQLite
//! and PostgreSQL): the record merges field by field, the common field shows as a
//! conflict on both phones until one of them settles it, both cadres' visits
//! survive, and a newer form pack published by the administrator reaches both.

use fieldgrid_core::forms::{FieldType, FormValues, default_form_pack};
use fieldgrid_core::household::{NewVisit, PersonQuery};
use fieldgrid_core::org::demo;
use fieldgrid_core::records::{FieldValue, Household, Person, RecordKind};
use fieldgrid_tests::{Backend, Device, TestServer};

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

fn changes(pairs: &[(&str, FieldValue)]) -> Vec<(String, Option<FieldValue>)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Some(v.clone())))
        .collect()
}

async fn two_cadres_merge_a_person_record(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", demo::village_code(2));
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    let b = Device::enrol(&server, &server.url, dir.path(), "b", &format!("chief-{g}")).await;
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    assert_eq!(
        a.store.form_pack_version().unwrap(),
        Some(1),
        "forms arrive as reference data"
    );

    // Cadre A registers the household and the resident.
    let mut house = FormValues::new();
    house.insert("basic.head_name".into(), t("赵德明"));
    house.insert("basic.address".into(), t("安峰镇河东村5组8号"));
    let hid = a.store.new_household(&g, house).unwrap().id;
    let mut person = FormValues::new();
    person.insert("basic.name".into(), t("赵德明"));
    person.insert(
        "basic.id_number".into(),
        t(&fieldgrid_core::forms::sample::example_id_number(
            1958, 4, 2, 13,
        )),
    );
    person.insert("basic.phone".into(), t("13905181111"));
    let pid = a
        .store
        .new_person(&g, person, Some((&hid, "head")))
        .unwrap()
        .id;
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    assert_eq!(b.store.get::<Person>(&pid).unwrap().name, "赵德明");
    // Calculated on A from the ID number, and synced as data.
    assert_eq!(
        b.store.get::<Person>(&pid).unwrap().fields["basic.age"],
        FieldValue::Int(68)
    );

    // Offline: A fills health and employment, B fills education and military
    // service; both change the phone number.
    let out = a
        .store
        .save_fields(
            &pid,
            &changes(&[
                ("health.status", t("chronic")),
                (
                    "health.chronic",
                    FieldValue::Choices(vec!["hypertension".into(), "diabetes".into()]),
                ),
                ("health.family_doctor", FieldValue::Bool(true)),
                ("employment.status", t("farming")),
                ("basic.phone", t("13905182222")),
            ]),
        )
        .unwrap();
    assert!(out.problems.iter().all(|p| p.field != "health.chronic"));
    b.store
        .save_fields(
            &pid,
            &changes(&[
                ("education.level", t("junior")),
                ("education.can_read", FieldValue::Bool(true)),
                ("military.veteran", FieldValue::Bool(true)),
                ("military.enlisted", t("1976-12-01")),
                ("military.discharged", t("1981-10-15")),
                ("basic.phone", t("13905183333")),
            ]),
        )
        .unwrap();
    // Both cadres visit the household while offline.
    for (d, purpose) in [(&a, "health"), (&b, "routine")] {
        d.store
            .record_visit(
                &hid,
                NewVisit {
                    purpose: purpose.into(),
                    notes: format!("{} 走访", d.staff_id),
                    ..Default::default()
                },
            )
            .unwrap();
    }

    a.sync().await.unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();

    let on_a: Person = a.store.get(&pid).unwrap();
    let on_b: Person = b.store.get(&pid).unwrap();
    assert_eq!(on_a, on_b, "both phones hold the same record");
    assert_eq!(a.store.heads(&pid).unwrap(), b.store.heads(&pid).unwrap());
    for (key, value) in [
        ("health.status", t("chronic")),
        ("employment.status", t("farming")),
        ("education.level", t("junior")),
        ("military.discharged", t("1981-10-15")),
    ] {
        assert_eq!(on_a.fields[key], value, "{key} kept from its cadre");
    }
    // The common field is a conflict on both phones, with both values.
    for d in [&a, &b] {
        let conflicts = d.store.conflicts(&pid).unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].path, "fields/basic.phone");
        let mut values: Vec<String> = conflicts[0]
            .values
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        values.sort();
        assert_eq!(values, ["13905182222", "13905183333"]);
        // The merged record is still valid against the form.
        let report = d.store.form_report(&pid).unwrap();
        assert!(
            report
                .problems
                .iter()
                .all(|p| p.severity == fieldgrid_core::forms::Severity::Incomplete),
            "{report:?}"
        );
    }
    // Both visits survive the merge.
    for d in [&a, &b] {
        let visits = d.store.visits_of(&hid).unwrap();
        let mut purposes: Vec<_> = visits.iter().map(|v| v.purpose.as_str()).collect();
        purposes.sort();
        assert_eq!(purposes, ["health", "routine"]);
    }
    // B settles the phone; after syncing the conflict is gone everywhere.
    b.store
        .save_fields(&pid, &changes(&[("basic.phone", t("13905183333"))]))
        .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    assert!(a.store.conflicts(&pid).unwrap().is_empty());
    assert_eq!(
        a.store.get::<Person>(&pid).unwrap().fields["basic.phone"],
        t("13905183333")
    );
    assert_eq!(
        a.store.find_residents("13905183333", &[], 5).unwrap()[0].id,
        pid
    );
    // The door plate B scans opens the household A created.
    let payload = a.store.door_plate_payload(&hid).unwrap();
    assert_eq!(b.store.resolve_door_plate(&payload).unwrap(), hid);
    let members = b
        .store
        .list_persons(&PersonQuery {
            household: Some(hid.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(members.len(), 1);

    // The administrator publishes form version 2 (a new required question); both
    // phones receive it on their next sync and see the record's new problem.
    let mut pack = default_form_pack();
    pack.version = 2;
    let form = pack
        .forms
        .iter_mut()
        .find(|f| f.kind == RecordKind::Person)
        .unwrap();
    form.version = 2;
    let mut q = form.modules[5].sections[0].fields[0].clone();
    q.code = "vaccinated_flu".into();
    q.field_type = FieldType::YesNo;
    q.required = true;
    q.relevant = None;
    q.filter = false;
    form.modules[5].sections[0].fields.push(q);
    let status = server
        .admin_put(
            "/v1/admin/reference/forms",
            serde_json::to_value(&pack).unwrap(),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let again = server
        .admin_put(
            "/v1/admin/reference/forms",
            serde_json::to_value(&pack).unwrap(),
        )
        .await;
    assert_eq!(
        again,
        reqwest::StatusCode::CONFLICT,
        "the same version twice"
    );
    for d in [&a, &b] {
        d.sync().await.unwrap();
        assert_eq!(d.store.form_pack_version().unwrap(), Some(2));
        let report = d.store.form_report(&pid).unwrap();
        assert_eq!(report.form_version, 2);
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.field == "health.vaccinated_flu")
        );
    }
    let _: Household = a.store.get(&hid).unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cadres_merge_a_person_record_on_sqlite() {
    two_cadres_merge_a_person_record(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cadres_merge_a_person_record_on_postgres() {
    two_cadres_merge_a_person_record(Backend::Postgres).await;
}
