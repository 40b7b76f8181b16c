//! Three phones edit the same household offline, exchange changes, and converge
//! field by field; the one field edited concurrently shows both values until a later
//! edit settles it; the field history names every author.

use fieldgrid_core::records::{FieldValue, Household, HouseholdMember};
use fieldgrid_core::{FieldStore, SearchFilter};
use serde_json::json;

const GRID: &str = "320722104201001";

fn device(dir: &tempfile::TempDir, name: &str, user: &str) -> FieldStore {
    let store = FieldStore::open(dir.path().join(format!("{name}.sqlite"))).unwrap();
    store.sign_in(user);
    store
}

/// Sends `from` everything `to` lacks, document by document.
fn send(from: &FieldStore, to: &FieldStore) {
    for doc in from.documents().unwrap() {
        let have = to.heads(&doc.id).unwrap_or_default();
        let bytes = from.changes_since(&doc.id, &have).unwrap();
        to.apply_changes(doc.kind, &doc.id, &bytes).unwrap();
    }
}

fn exchange_all(devices: &[&FieldStore]) {
    for a in devices {
        for b in devices {
            if !std::ptr::eq(*a, *b) {
                send(a, b);
            }
        }
    }
}

#[test]
fn three_devices_converge_and_show_then_settle_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let a = device(&dir, "a", "cadre-liu");
    let b = device(&dir, "b", "cadre-wang");
    let c = device(&dir, "c", "worker-zhang");

    let mut house = Household::new(GRID, "安峰镇安峰村12号", "刘凤");
    house
        .fields
        .insert("basic.house_type".into(), "砖混".into());
    house
        .fields
        .insert("basic.phone".into(), "13800000000".into());
    let id = a.create(&house).unwrap();
    send(&a, &b);
    send(&a, &c);

    // Offline: each device edits; A and C both change the house type.
    a.update::<Household>(&id, |h| {
        h.fields
            .insert("income.annual_total".into(), FieldValue::Int(52_000));
        h.fields.insert("basic.house_type".into(), "砖木".into());
    })
    .unwrap();
    b.update::<Household>(&id, |h| {
        h.fields.insert("basic.phone".into(), "13912345678".into());
        h.members.push(HouseholdMember {
            person_id: "p-1".into(),
            relation: "spouse".into(),
        });
    })
    .unwrap();
    c.update::<Household>(&id, |h| {
        h.address = "安峰镇安峰村12-1号".into();
        h.fields.insert("basic.house_type".into(), "钢混".into());
        h.door_plate = Some("AF-0012".into());
    })
    .unwrap();

    exchange_all(&[&a, &b, &c]);

    let ha: Household = a.get(&id).unwrap();
    let hb: Household = b.get(&id).unwrap();
    let hc: Household = c.get(&id).unwrap();
    assert_eq!(ha, hb);
    assert_eq!(hb, hc);
    assert_eq!(a.heads(&id).unwrap(), c.heads(&id).unwrap());
    // Every non-conflicting edit survived.
    assert_eq!(ha.fields["income.annual_total"], FieldValue::Int(52_000));
    assert_eq!(
        ha.fields["basic.phone"],
        FieldValue::Text("13912345678".into())
    );
    assert_eq!(ha.address, "安峰镇安峰村12-1号");
    assert_eq!(ha.door_plate.as_deref(), Some("AF-0012"));
    assert_eq!(ha.members.len(), 1);

    // The concurrent edit is a conflict with both values, the same on every device.
    let conflicts = a.conflicts(&id).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].path, "fields/basic.house_type");
    let mut values = conflicts[0].values.clone();
    assert_eq!(
        values[0],
        json!(ha.fields["basic.house_type"]),
        "the shown value comes first"
    );
    values.sort_by_key(|v| v.to_string());
    assert_eq!(values, vec![json!("砖木"), json!("钢混")]);
    assert_eq!(b.conflicts(&id).unwrap(), conflicts);
    assert_eq!(c.conflicts(&id).unwrap(), conflicts);

    // An unrelated edit on B leaves the conflict open...
    b.update::<Household>(&id, |h| h.head_name = "刘凤".into())
        .unwrap();
    b.update::<Household>(&id, |h| {
        h.fields.insert("safety.smoke_alarm".into(), true.into());
    })
    .unwrap();
    assert_eq!(b.conflicts(&id).unwrap().len(), 1);
    // ...and a later edit of the field settles it everywhere.
    b.update::<Household>(&id, |h| {
        h.fields.insert("basic.house_type".into(), "砖混".into());
    })
    .unwrap();
    exchange_all(&[&a, &b, &c]);
    for d in [&a, &b, &c] {
        assert!(d.conflicts(&id).unwrap().is_empty());
        let h: Household = d.get(&id).unwrap();
        assert_eq!(
            h.fields["basic.house_type"],
            FieldValue::Text("砖混".into())
        );
        assert_eq!(h, b.get::<Household>(&id).unwrap());
    }

    // Who changed the house type, when, from what, to what.
    let history = c.field_history(&id, "fields/basic.house_type").unwrap();
    let who: Vec<_> = history.iter().map(|h| h.user_id.clone().unwrap()).collect();
    assert_eq!(history.len(), 4, "{history:#?}");
    assert_eq!(who[0], "cadre-liu", "created by A");
    assert_eq!(history[0].old, Vec::<serde_json::Value>::new());
    assert_eq!(history[0].new, Some(json!("砖混")));
    let mut concurrent: Vec<_> = history[1..3]
        .iter()
        .map(|h| (h.user_id.clone().unwrap(), h.old.clone(), h.new.clone()))
        .collect();
    concurrent.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        concurrent,
        vec![
            (
                "cadre-liu".to_owned(),
                vec![json!("砖混")],
                Some(json!("砖木"))
            ),
            (
                "worker-zhang".to_owned(),
                vec![json!("砖混")],
                Some(json!("钢混"))
            ),
        ]
    );
    let settle = &history[3];
    assert_eq!(settle.user_id.as_deref(), Some("cadre-wang"));
    assert_eq!(settle.device_id.as_deref(), Some(b.device_id().as_str()));
    assert_eq!(settle.old.len(), 2, "the settling edit saw both values");
    assert_eq!(settle.new, Some(json!("砖混")));
    assert!(history.iter().all(|h| h.time > 1_700_000_000));

    // The phone field's history: A created it, B changed it.
    let phone = a.field_history(&id, "fields/basic.phone").unwrap();
    assert_eq!(phone.len(), 2);
    assert_eq!(phone[1].user_id.as_deref(), Some("cadre-wang"));
    assert_eq!(phone[1].old, vec![json!("13800000000")]);
    assert_eq!(phone[1].new, Some(json!("13912345678")));

    // The derived tables agree with the merged document on every device.
    for d in [&a, &b, &c] {
        let hits = d.search("12-1号", &SearchFilter::default(), 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, id);
        assert!(
            d.search("AF-0012", &SearchFilter::default(), 10)
                .unwrap()
                .len()
                == 1
        );
    }
}

#[test]
fn writes_need_a_signed_in_user_and_exchanges_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let a = device(&dir, "a", "cadre-liu");
    let b = device(&dir, "b", "cadre-wang");
    let id = a
        .create(&Household::new(GRID, "山口村3号", "王丽"))
        .unwrap();
    let all = a.changes_since(&id, &[]).unwrap();
    assert_eq!(
        b.apply_changes(fieldgrid_core::records::RecordKind::Household, &id, &all)
            .unwrap(),
        1
    );
    assert_eq!(
        b.apply_changes(fieldgrid_core::records::RecordKind::Household, &id, &all)
            .unwrap(),
        0
    );
    // Nothing new: the delta is empty and applying it changes nothing.
    let nothing = a.changes_since(&id, &b.heads(&id).unwrap()).unwrap();
    assert_eq!(
        b.apply_changes(
            fieldgrid_core::records::RecordKind::Household,
            &id,
            &nothing
        )
        .unwrap(),
        0
    );

    b.sign_out();
    let err = b
        .update::<Household>(&id, |h| h.head_name = "x".into())
        .unwrap_err();
    assert!(matches!(err, fieldgrid_core::Error::NotSignedIn), "{err}");
    // An edit that changes nothing writes nothing.
    let heads = a.heads(&id).unwrap();
    a.update::<Household>(&id, |_| {}).unwrap();
    assert_eq!(a.heads(&id).unwrap(), heads);
}
