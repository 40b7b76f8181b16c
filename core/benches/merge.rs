//! Merge benchmark: what a server does for each pushed document, `merge_document`
//! of a phone's new change onto the stored version, with the authorship, the
//! claims and the references the server checks. Three workloads: one field edited
//! on a household with its whole house form answered (and 8 members, 20 visits);
//! a new step on an incident with 30 steps; a new household pushed whole. Prints a
//! table of medians; asserts that every merge took exactly the changes sent.
//!
//! `cargo bench -p fieldgrid-core --bench merge`

use std::hint::black_box;
use std::time::{Duration, Instant};

use fieldgrid_core::forms::sample::example_values;
use fieldgrid_core::household::Visit;
use fieldgrid_core::org::demo::demo_county;
use fieldgrid_core::records::{
    FieldValue, Household, HouseholdMember, Incident, IncidentTransition, RecordKind,
};
use fieldgrid_core::{FieldStore, merge_document};

const TODAY: &str = "2026-11-24";
const RUNS: usize = 2001;

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = FieldStore::open(dir.path().join("bench.sqlite")).unwrap();
    store.import_org_tree(&demo_county()).unwrap();
    store.sign_in("worker-bench");
    let form = store.form(RecordKind::Household).unwrap();
    let grid = format!("{}001", fieldgrid_core::org::demo::village_code(0));

    // A household with its whole form, members and visits.
    let mut h = Household::new(&grid, "安峰镇山口村3组8号", "孙建国");
    for (k, v) in example_values(&form, 7, TODAY) {
        if k.starts_with("basic.head_name")
            || k.starts_with("basic.address")
            || k == "basic.location"
        {
            continue;
        }
        h.fields.insert(k, v);
    }
    for n in 0..8 {
        h.members.push(HouseholdMember {
            person_id: format!("01a2000000000000000000000000000{n}"),
            relation: "child".into(),
        });
    }
    for n in 0..20 {
        h.visits.push(Visit {
            id: format!("visit-{n}"),
            at: 1_790_000_000 + n,
            by: "worker-bench".into(),
            location: None,
            purpose: "routine".into(),
            notes: "入户走访，了解家庭收入情况".into(),
            photos: vec![blake3::hash(&[n as u8]).to_hex().to_string()],
            follow_up: false,
            follow_up_note: None,
        });
    }
    let house = store.create(&h).unwrap();
    let stored_house = store.changes_since(&house, &[]).unwrap();
    let heads = store.heads(&house).unwrap();
    store
        .update::<Household>(&house, |h| {
            h.fields
                .insert("income.total".into(), FieldValue::Decimal(52_000.0));
        })
        .unwrap();
    let house_edit = store.changes_since(&house, &heads).unwrap();

    // An incident with 30 steps, and one more.
    let mut incident = Incident {
        grid_code: grid.clone(),
        category: "dispute.neighbour.noise".into(),
        description: "邻里噪音纠纷".into(),
        location: None,
        reporter_id: "worker-bench".into(),
        reported_at: 1_790_000_000,
        urgency: Default::default(),
        transitions: vec![],
        resident_id: Some(house.clone()),
        satisfaction: None,
        photos: vec![],
        channel: Default::default(),
        contact: None,
        address: None,
        ticket: None,
    };
    for n in 0..30 {
        incident.transitions.push(IncidentTransition {
            by: "worker-bench".into(),
            role: "town_supervisor".into(),
            at: 1_790_000_000 + n,
            from: "reported".into(),
            to: "accepted".into(),
            note: String::new(),
            assignee: None,
            ..IncidentTransition::default()
        });
    }
    let inc = store.create(&incident).unwrap();
    let stored_inc = store.changes_since(&inc, &[]).unwrap();
    let heads = store.heads(&inc).unwrap();
    store
        .update::<Incident>(&inc, |i| {
            i.transitions.push(IncidentTransition {
                by: "worker-bench".into(),
                role: "town_supervisor".into(),
                at: 1_790_000_100,
                from: "accepted".into(),
                to: "dispatched".into(),
                note: "派往综治工作平台".into(),
                assignee: Some("handler-zongzhi".into()),
                ..IncidentTransition::default()
            })
        })
        .unwrap();
    let inc_step = store.changes_since(&inc, &heads).unwrap();

    let mut rows = Vec::new();
    let mut check = |name: &str,
                     kind: RecordKind,
                     id: &str,
                     stored: Option<&[u8]>,
                     incoming: &[u8],
                     want: usize| {
        let m = merge_document(kind, id, stored, incoming).unwrap();
        assert_eq!(
            m.new_changes, want,
            "{name}: the merge did not take the changes sent"
        );
        let t = median(|| {
            black_box(merge_document(kind, id, stored, incoming).unwrap());
        });
        rows.push((name.to_owned(), t, m.new_changes, incoming.len()));
    };
    check(
        "one field on a full household (stored + edit)",
        RecordKind::Household,
        &house,
        Some(&stored_house),
        &house_edit,
        1,
    );
    check(
        "one step on a 30-step incident",
        RecordKind::Incident,
        &inc,
        Some(&stored_inc),
        &inc_step,
        1,
    );
    check(
        "a new full household, pushed whole",
        RecordKind::Household,
        &house,
        None,
        &stored_house,
        1,
    );

    println!("| merge (median of {RUNS}) | time | changes merged | bytes pushed |");
    println!("|---|---|---|---|");
    for (name, t, n, bytes) in rows {
        println!(
            "| {name} | {:.1} µs | {n} | {bytes} |",
            t.as_secs_f64() * 1e6
        );
    }
}
