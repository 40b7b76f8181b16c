//! Households and persons through the forms: drafts and completion, wrong values
//! refused with nothing changed, skip logic, members and moves, inactive records,
//! visits, door plates, lists and lookups, and form versions.

use fieldgrid_core::forms::{FormPack, FormValues, Severity, default_form_pack};
use fieldgrid_core::household::{HouseholdQuery, NewVisit, PersonQuery, PlateError, plate_payload};
use fieldgrid_core::org::demo::{COUNTY, demo_county, village_code};
use fieldgrid_core::records::{FieldValue, GeoPoint, Household, Person, RecordKind, RecordStatus};
use fieldgrid_core::{Error, FieldStore};

fn grid(village: usize, n: usize) -> String {
    format!("{}{:03}", village_code(village), n)
}

fn store(dir: &tempfile::TempDir, name: &str) -> FieldStore {
    let s = FieldStore::open(dir.path().join(format!("{name}.sqlite"))).unwrap();
    s.import_org_tree(&demo_county()).unwrap();
    s.sign_in("worker-cadre");
    s
}

fn t(s: &str) -> FieldValue {
    FieldValue::Text(s.into())
}

/// A valid ID-card number for person `n`, born in `year`.
fn id_number(year: u32, n: u32) -> String {
    fieldgrid_core::forms::sample::example_id_number(year, 6, 12, n)
}

fn house_values(head: &str) -> FormValues {
    let mut v = FormValues::new();
    v.insert("basic.head_name".into(), t(head));
    v.insert("basic.address".into(), t("安峰镇山口村3组12号"));
    v.insert("basic.phone".into(), t("13905180001"));
    v.insert("basic.member_count".into(), FieldValue::Int(4));
    v.insert("basic.resident_count".into(), FieldValue::Int(3));
    v
}

/// Answers every required house question, as a cadre finishing the record.
fn complete_house(store: &FieldStore, id: &str) {
    let changes: Vec<(String, Option<FieldValue>)> = [
        ("basic.hukou_type", t("agricultural")),
        ("basic.structure", t("brick_concrete")),
        ("basic.house_use", t("own_living")),
        ("basic.floors", FieldValue::Int(2)),
        ("basic.building_area", FieldValue::Decimal(168.5)),
        ("basic.property", t("own")),
        ("basic.water", t("tap")),
        ("basic.toilet", t("flush")),
        ("business.has_business", FieldValue::Bool(false)),
        ("income.year", FieldValue::Int(2025)),
        ("income.wages", FieldValue::Int(42_000)),
        ("income.farming", FieldValue::Decimal(6_500.0)),
        ("income.main_source", t("wages")),
        ("safety.smoke_alarm", FieldValue::Bool(true)),
        ("safety.extinguisher", FieldValue::Bool(false)),
        ("safety.wiring_ok", FieldValue::Bool(true)),
        ("safety.ebike_indoor", FieldValue::Bool(false)),
        ("safety.grade", t("b")),
        ("safety.inspected", t("2026-10-08")),
        ("poverty.status", t("none")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Some(v)))
    .collect();
    let out = store.save_fields(id, &changes).unwrap();
    assert!(out.problems.is_empty(), "{:#?}", out.problems);
}

fn set(
    store: &FieldStore,
    id: &str,
    key: &str,
    value: FieldValue,
) -> Result<fieldgrid_core::household::FormOutcome, Error> {
    store.save_fields(id, &[(key.to_owned(), Some(value))])
}

#[test]
fn a_household_goes_from_draft_to_complete_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let out = s
        .new_household(&grid(0, 1), house_values("刘凤英"))
        .unwrap();
    let id = out.id.clone();
    assert!(!out.complete);
    assert!(
        out.problems
            .iter()
            .all(|p| p.severity == Severity::Incomplete)
    );
    assert!(
        out.problems
            .iter()
            .any(|p| p.field == "basic.structure" && p.label == "房屋结构")
    );
    let house: Household = s.get(&id).unwrap();
    assert_eq!(house.head_name, "刘凤英");
    assert_eq!(house.form_version, Some(1));
    let plate = house.door_plate.clone().unwrap();
    assert_eq!(plate.len(), 9, "four characters, a dash, four characters");

    // Marking complete lists every open problem and changes nothing.
    let heads = s.heads(&id).unwrap();
    match s.mark_complete(&id) {
        Err(Error::Incomplete { problems, .. }) => assert_eq!(problems.len(), out.problems.len()),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.heads(&id).unwrap(), heads);

    complete_house(&s, &id);
    // Calculations ran: the total and per-head income, the low-income flag.
    let house: Household = s.get(&id).unwrap();
    assert_eq!(
        house.fields["income.annual_total"],
        FieldValue::Decimal(48_500.0)
    );
    assert_eq!(
        house.fields["income.per_capita"],
        FieldValue::Decimal(12_125.0)
    );
    assert_eq!(house.fields["income.low_income"], FieldValue::Bool(false));
    assert!(s.mark_complete(&id).unwrap().complete);
    assert_eq!(
        s.list_households(&HouseholdQuery::default()).unwrap()[0].problems,
        0
    );

    // Clearing a required answer drops the record back to draft.
    let out = s
        .save_fields(&id, &[("safety.grade".into(), None)])
        .unwrap();
    assert!(!out.complete);
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].field, "safety.grade");
    let listed = s
        .list_households(&HouseholdQuery {
            with_problems: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        (listed.len(), listed[0].problems, listed[0].complete),
        (1, 1, false)
    );
}

#[test]
fn wrong_values_are_refused_naming_the_field_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let good_id = id_number(1985, 7);
    let mut v = FormValues::new();
    v.insert("basic.name".into(), t("王建国"));
    v.insert("basic.id_number".into(), t(&good_id));
    v.insert("basic.phone".into(), t("13905180002"));
    let id = s.new_person(&grid(0, 1), v, None).unwrap().id;
    let before: Person = s.get(&id).unwrap();
    let heads = s.heads(&id).unwrap();

    // Wrong check digit.
    let mut wrong = good_id.clone();
    let last = if wrong.ends_with('1') { "2" } else { "1" };
    wrong.replace_range(17.., last);
    // A well-formed number whose birth date is in the future.
    let future = id_number(2099, 7);
    let cases: Vec<(&str, FieldValue, &str)> = vec![
        ("basic.id_number", t(&wrong), "check character"),
        ("basic.id_number", t(&future), "birth date"),
        ("movement.moved_in_on", t("2099-01-01"), "in the future"),
        ("family_planning.children", t("三"), "whole number"),
        ("basic.phone", t("1390518"), "mobile number"),
        ("basic.ethnicity", t("martian"), "offered choices"),
        ("basic.birth_date", t("1985-06-12"), "calculated"),
        ("nope.field", t("x"), "no such field"),
    ];
    for (key, value, expected) in cases {
        let err = set(&s, &id, key, value).unwrap_err();
        let Error::InvalidFields { problems, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].field, key);
        assert!(
            problems[0].message.contains(expected),
            "{key}: {}",
            problems[0].message
        );
        let text = err.to_string();
        assert!(text.contains(key), "{text}");
        assert!(
            !text.contains(&wrong) && !text.contains(&future) && !text.contains("1390518"),
            "{text}"
        );
        assert_eq!(s.heads(&id).unwrap(), heads, "{key}: nothing written");
    }
    // Several wrong values in one save: every one listed, none written.
    let err = s
        .save_fields(
            &id,
            &[
                ("basic.id_number".into(), Some(t(&wrong))),
                ("basic.phone".into(), Some(t("abc"))),
                ("basic.ethnicity".into(), Some(t("han"))),
            ],
        )
        .unwrap_err();
    let Error::InvalidFields { problems, .. } = err else {
        panic!()
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["basic.id_number", "basic.phone"]);
    assert_eq!(s.get::<Person>(&id).unwrap(), before);
    assert_eq!(s.heads(&id).unwrap(), heads);
}

#[test]
fn skip_logic_clears_answers_the_change_hides_and_history_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let id = s
        .new_household(&grid(1, 2), house_values("陈玉兰"))
        .unwrap()
        .id;
    s.save_fields(
        &id,
        &[
            ("basic.property".into(), Some(t("rented"))),
            ("basic.landlord_name".into(), Some(t("赵大海"))),
        ],
    )
    .unwrap();
    // The landlord question is hidden for an owned house: the answer is cleared.
    let out = set(&s, &id, "basic.property", t("own")).unwrap();
    assert_eq!(out.cleared, vec!["basic.landlord_name".to_owned()]);
    let house: Household = s.get(&id).unwrap();
    assert!(!house.fields.contains_key("basic.landlord_name"));
    let history = s.field_history(&id, "fields/basic.landlord_name").unwrap();
    assert_eq!(history.len(), 2, "set, then cleared: {history:?}");
    // An answer to a hidden question is not kept: the save reports it cleared.
    let out = set(&s, &id, "basic.landlord_name", t("赵大海")).unwrap();
    assert_eq!(out.cleared, vec!["basic.landlord_name".to_owned()]);
    assert!(s.form_report(&id).unwrap().hidden.is_empty());
    // A blank income section computes nothing (not a total of 0).
    let house: Household = s.get(&id).unwrap();
    assert!(!house.fields.contains_key("income.annual_total"));
    assert!(!house.fields.contains_key("income.low_income"));
}

#[test]
fn members_move_between_households_and_inactive_records_keep_history() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let a = s
        .new_household(&grid(0, 1), house_values("李国强"))
        .unwrap()
        .id;
    let b = s
        .new_household(&grid(2, 3), house_values("张秀兰"))
        .unwrap()
        .id;
    let person = |name: &str, n: u32, hh: &str, rel: &str| {
        let mut v = FormValues::new();
        v.insert("basic.name".into(), t(name));
        v.insert("basic.id_number".into(), t(&id_number(1990, n)));
        s.new_person(&grid(0, 1), v, Some((hh, rel))).unwrap().id
    };
    let head = person("李国强", 1, &a, "head");
    let daughter = person("李小梅", 2, &a, "child");
    let err = s
        .new_person(&grid(0, 1), FormValues::new(), Some((&a, "head")))
        .unwrap_err();
    assert!(err.to_string().contains("has a head already"), "{err}");
    assert!(matches!(
        s.new_person(
            &grid(0, 1),
            FormValues::new(),
            Some((&a, "cousin_twice_removed"))
        ),
        Err(Error::InvalidChange(_))
    ));
    let members = s
        .list_persons(&PersonQuery {
            household: Some(a.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(members.len(), 2);

    // The daughter marries into household B in another village's grid.
    s.move_person(&daughter, &b, "child_in_law").unwrap();
    let house_a: Household = s.get(&a).unwrap();
    let house_b: Household = s.get(&b).unwrap();
    assert_eq!(
        house_a
            .members
            .iter()
            .map(|m| m.person_id.as_str())
            .collect::<Vec<_>>(),
        [head.as_str()]
    );
    assert_eq!(house_b.members[0].person_id, daughter);
    assert_eq!(house_b.members[0].relation, "child_in_law");
    let moved: Person = s.get(&daughter).unwrap();
    assert_eq!(
        (moved.household_id.as_deref(), moved.grid_code.as_str()),
        (Some(b.as_str()), grid(2, 3).as_str())
    );
    assert!(
        s.move_person(&daughter, &b, "child").is_err(),
        "already there"
    );

    // The head dies: the record stays, inactive, with its history.
    s.set_record_status(&head, RecordStatus::Deceased).unwrap();
    let active = s
        .list_persons(&PersonQuery {
            status: Some(RecordStatus::Active),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(s.get::<Person>(&head).unwrap().name, "李国强");
    assert!(s.field_history(&head, "status").unwrap().len() >= 2);
    assert!(matches!(
        s.set_record_status(&a, RecordStatus::Deceased),
        Err(Error::InvalidChange(_))
    ));
    s.set_record_status(&a, RecordStatus::Dissolved).unwrap();
    assert!(
        s.move_person(&daughter, &a, "child")
            .unwrap_err()
            .to_string()
            .contains("dissolved")
    );
}

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

#[test]
fn visits_form_the_households_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let id = s
        .new_household(&grid(0, 1), house_values("孙桂芳"))
        .unwrap()
        .id;
    let photo = s.add_photo(&jpeg()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let here = GeoPoint {
        lat: 34.52,
        lon: 118.76,
    };
    s.record_visit(
        &id,
        NewVisit {
            at: Some(now - 40 * 86_400),
            purpose: "routine".into(),
            notes: "家中无人".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = s
        .record_visit(
            &id,
            NewVisit {
                location: Some(here),
                purpose: "assistance".into(),
                notes: "送去慰问品，老人腿脚不便".into(),
                photos: vec![photo.hash.clone()],
                follow_up: true,
                follow_up_note: Some("联系卫生院上门".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(v.by, "worker-cadre");
    let timeline = s.visits_of(&id).unwrap();
    assert_eq!(timeline.len(), 2);
    assert_eq!(timeline[0].purpose, "assistance", "newest first");
    assert_eq!(timeline[0].photos, vec![photo.hash.clone()]);
    assert!(
        s.photos_of(&id)
            .unwrap()
            .iter()
            .any(|p| p.photo.hash == photo.hash),
        "photo attached to the household"
    );

    // Bad visits are refused and the timeline is unchanged.
    let bad = [
        NewVisit {
            purpose: "gossip".into(),
            ..Default::default()
        },
        NewVisit {
            purpose: "routine".into(),
            location: Some(GeoPoint {
                lat: 134.0,
                lon: 0.0,
            }),
            ..Default::default()
        },
        NewVisit {
            purpose: "routine".into(),
            at: Some(now + 86_400),
            ..Default::default()
        },
        NewVisit {
            purpose: "routine".into(),
            photos: vec!["0".repeat(64)],
            ..Default::default()
        },
    ];
    for visit in bad {
        assert!(matches!(
            s.record_visit(&id, visit),
            Err(Error::InvalidChange(_))
        ));
    }
    assert_eq!(s.visits_of(&id).unwrap().len(), 2);

    // "Not visited for 30 days" finds only households without a recent visit.
    let other = s
        .new_household(&grid(0, 1), house_values("周建华"))
        .unwrap()
        .id;
    let stale = s
        .list_households(&HouseholdQuery {
            not_visited_days: Some(30),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        stale.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        [other.as_str()]
    );
    let all = s.list_households(&HouseholdQuery::default()).unwrap();
    let visited = all.iter().find(|h| h.id == id).unwrap();
    assert_eq!(visited.visits, 2);
}

#[test]
fn door_plates_open_their_household_and_refuse_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let id = s
        .new_household(&grid(0, 1), house_values("吴志明"))
        .unwrap()
        .id;
    let payload = s.door_plate_payload(&id).unwrap();
    assert!(
        payload.starts_with(&format!("FGDP:1:{COUNTY}:")),
        "{payload}"
    );
    assert!(
        payload
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b':' || b == b'-'),
        "QR alphanumeric"
    );
    assert_eq!(s.resolve_door_plate(&payload).unwrap(), id);
    assert_eq!(
        s.resolve_door_plate(&format!("  {}\n", payload.to_lowercase()))
            .unwrap(),
        id
    );

    let plate = s.get::<Household>(&id).unwrap().door_plate.unwrap();
    let flip = |p: &str| {
        let mut b = p.as_bytes().to_vec();
        let i = b.len() - 7;
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).unwrap()
    };
    type Expect = fn(&PlateError) -> bool;
    let cases: Vec<(String, Expect)> = vec![
        ("https://weixin.qq.com/x".into(), |e| {
            matches!(e, PlateError::NotAPlate)
        }),
        (flip(&payload), |e| matches!(e, PlateError::Damaged)),
        (payload[..payload.len() - 3].to_owned(), |e| {
            matches!(e, PlateError::Damaged)
        }),
        (payload.replace("FGDP:1:", "FGDP:9:"), |e| {
            matches!(e, PlateError::UnsupportedVersion(9))
        }),
        (plate_payload("320723000000", &plate), |e| {
            matches!(e, PlateError::OtherCounty { .. })
        }),
        (plate_payload(COUNTY, "ZZZZ-ZZZZ"), |e| {
            matches!(e, PlateError::Unknown { .. })
        }),
    ];
    for (scanned, expected) in cases {
        match s.resolve_door_plate(&scanned) {
            Err(Error::DoorPlate(e)) => assert!(expected(&e), "{scanned}: {e}"),
            other => panic!("{scanned}: {other:?}"),
        }
    }
    // A phone without its org tree cannot tell which county it serves.
    let bare = FieldStore::open(dir.path().join("bare.sqlite")).unwrap();
    assert!(matches!(
        bare.resolve_door_plate(&payload),
        Err(Error::DoorPlate(PlateError::NoCounty))
    ));
}

#[test]
fn lists_filter_by_form_fields_village_and_lookups_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let mut ids = Vec::new();
    for i in 0..12u32 {
        let mut v = house_values(&format!("户主{i}"));
        v.insert("basic.phone".into(), t(&format!("139051800{i:02}")));
        let id = s.new_household(&grid((i % 2) as usize, 1), v).unwrap().id;
        // Every third household earns little.
        let wages = if i % 3 == 0 { 9_000 } else { 60_000 };
        set(&s, &id, "income.wages", FieldValue::Int(wages)).unwrap();
        if i % 4 == 0 {
            set(
                &s,
                &id,
                "safety.hazards",
                FieldValue::Choices(vec!["wiring".into(), "gas".into()]),
            )
            .unwrap();
        }
        ids.push(id);
    }
    let q = |filters: &[(&str, &str)], village: Option<usize>| HouseholdQuery {
        filters: filters
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
        village: village.map(village_code),
        ..Default::default()
    };
    assert_eq!(
        s.list_households(&q(&[("income.low_income", "yes")], None))
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        s.count_households(&q(&[("income.low_income", "no")], None))
            .unwrap(),
        8
    );
    assert_eq!(
        s.list_households(&q(&[("income.low_income", "yes")], Some(0)))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        s.list_households(&q(&[("safety.hazards", "gas")], None))
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        s.list_households(&q(
            &[("safety.hazards", "gas"), ("income.low_income", "yes")],
            None
        ))
        .unwrap()
        .len(),
        1
    );
    assert_eq!(s.list_households(&q(&[], Some(1))).unwrap().len(), 6);
    let page = s
        .list_households(&HouseholdQuery {
            limit: 5,
            offset: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.len(), 2);

    // Persons: exact lookups by ID number and phone; names by full text.
    let mut v = FormValues::new();
    let number = id_number(1972, 31);
    v.insert("basic.name".into(), t("刘凤英"));
    v.insert("basic.id_number".into(), t(&number));
    v.insert("basic.phone".into(), t("13905189999"));
    let p = s
        .new_person(&grid(0, 1), v, Some((&ids[0], "spouse")))
        .unwrap()
        .id;
    assert_eq!(s.find_by_id_number(&number).unwrap()[0].id, p);
    assert_eq!(
        s.find_by_id_number(&number.to_lowercase()).unwrap().len(),
        1
    );
    assert!(
        s.find_by_id_number(&id_number(1972, 32))
            .unwrap()
            .is_empty()
    );
    let by_phone = s.find_residents("139 0518 9999", &[], 10).unwrap();
    assert_eq!((by_phone.len(), by_phone[0].kind), (1, RecordKind::Person));
    assert_eq!(
        s.find_residents("13905180003", &[], 10).unwrap()[0].id,
        ids[3]
    );
    assert_eq!(s.find_residents(&number, &[], 10).unwrap()[0].id, p);
    // Typed with full-width digits (a Chinese input method's default), it is the
    // same number.
    let wide: String = number
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap(),
            'X' => 'Ｘ',
            c => c,
        })
        .collect();
    assert_eq!(s.find_residents(&wide, &[], 10).unwrap()[0].id, p);

    assert_eq!(
        s.find_residents(&number, &[grid(5, 1)], 10).unwrap().len(),
        0,
        "outside the grids asked"
    );
    assert_eq!(s.find_residents("凤英", &[], 10).unwrap()[0].id, p);
    assert_eq!(
        s.find_residents("安峰镇 山口村", &[], 100).unwrap().len(),
        12
    );
    // Neither number is kept in the clear anywhere in the query tables.
    let db = std::fs::read(s.path()).unwrap();
    let wal = std::fs::read(s.path().with_extension("sqlite-wal")).unwrap_or_default();
    let hay = [db, wal].concat();
    let count = |needle: &str| {
        hay.windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count()
    };
    assert!(
        count(&number) <= 2,
        "only inside the record document's own bytes"
    );

    // The same number on a second person: saved, with a warning that never shows
    // the number; typed with spaces and full-width digits it is still the same
    // number (validated, stored and looked up in one normal form).
    let spaced = format!("{} {} {}", &wide[..18], &number[6..14], &number[14..]);
    let mut v = FormValues::new();
    v.insert("basic.name".into(), t("刘凤"));
    v.insert("basic.id_number".into(), t(&spaced));
    let twin = s.new_person(&grid(0, 1), v, None).unwrap();
    assert_eq!(twin.warnings.len(), 1, "{:?}", twin.warnings);
    assert_eq!(twin.warnings[0].field, "basic.id_number");
    assert!(!twin.warnings[0].message.contains(&number[..6]));
    let stored: Person = s.get(&twin.id).unwrap();
    assert_eq!(stored.id_number.as_deref(), Some(number.as_str()));
    let groups = s.duplicate_id_numbers(&[]).unwrap();
    assert_eq!(groups.len(), 1);
    let mut members: Vec<&str> = groups[0].iter().map(|f| f.id.as_str()).collect();
    members.sort();
    let mut want = vec![p.as_str(), twin.id.as_str()];
    want.sort();
    assert_eq!(members, want);
    assert!(s.duplicate_id_numbers(&[grid(5, 1)]).unwrap().is_empty());
    // A different number on a third person: no warning.
    let mut v = FormValues::new();
    v.insert("basic.name".into(), t("王磊"));
    v.insert("basic.id_number".into(), t(&id_number(1980, 5)));
    assert!(
        s.new_person(&grid(0, 1), v, None)
            .unwrap()
            .warnings
            .is_empty()
    );
}

#[test]
fn a_newer_form_version_opens_records_of_an_older_one() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir, "phone");
    let id = s
        .new_household(&grid(0, 1), house_values("郑海燕"))
        .unwrap()
        .id;
    set(&s, &id, "basic.broadband", FieldValue::Bool(true)).unwrap();

    // Version 2 drops the broadband question and adds a required solar-panel one.
    let mut pack: FormPack = default_form_pack();
    pack.version = 2;
    let house = pack
        .forms
        .iter_mut()
        .find(|f| f.kind == RecordKind::Household)
        .unwrap();
    house.version = 2;
    let living = &mut house.modules[0].sections[1].fields;
    living.retain(|f| f.code != "broadband");
    let mut solar = living[0].clone();
    solar.code = "solar_panels".into();
    solar.label.zh = "安装光伏板".into();
    solar.field_type = fieldgrid_core::forms::FieldType::YesNo;
    solar.required = true;
    living.push(solar);
    s.import_form_pack(&pack).unwrap();
    assert_eq!(s.form_pack_version().unwrap(), Some(2));

    let report = s.form_report(&id).unwrap();
    assert_eq!((report.saved_with, report.form_version), (Some(1), 2));
    assert_eq!(report.unknown, vec!["basic.broadband".to_owned()]);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.field == "basic.solar_panels")
    );
    // Problem counts were recomputed on import.
    let listed = &s.list_households(&HouseholdQuery::default()).unwrap()[0];
    assert_eq!(listed.problems as usize, report.problems.len());
    // Saving with version 2 stamps it and keeps the dropped answer.
    set(&s, &id, "basic.solar_panels", FieldValue::Bool(false)).unwrap();
    let house: Household = s.get(&id).unwrap();
    assert_eq!(house.form_version, Some(2));
    assert_eq!(house.fields["basic.broadband"], FieldValue::Bool(true));
    // An older pack, or a broken one, is refused.
    assert!(matches!(
        s.import_form_pack(&default_form_pack()),
        Err(Error::StaleReferenceData { .. })
    ));
    let mut broken = pack.clone();
    broken.version = 3;
    broken.forms[0].modules[0].sections[0].fields[0].relevant = Some("nope.x == 1".into());
    assert!(matches!(
        s.import_form_pack(&broken),
        Err(Error::InvalidFormPack { .. })
    ));
}
