//! Incidents on one phone: reporting, the workflow kept in the document, and the
//! queue by colour read from the query table.

use fieldgrid_core::FieldStore;
use fieldgrid_core::incident::{Colour, DayCount, Stage, default_catalogue, replay};
use fieldgrid_core::records::{Incident, IncidentTransition};

const T0: i64 = 1_795_500_000;
const DAY: i64 = 86_400;

/// A report by worker-1 in a grid of the demo county.
fn incident(category: &str, at: i64) -> Incident {
    Incident {
        grid_code: "320722104201001".into(),
        category: category.into(),
        description: "巡查发现".into(),
        location: None,
        reporter_id: "worker-1".into(),
        reported_at: at,
        urgency: Default::default(),
        transitions: vec![],
        resident_id: None,
        satisfaction: None,
        photos: Vec::new(),
        channel: Default::default(),
        contact: None,
        address: None,
        ticket: None,
    }
}

fn report(s: &FieldStore, category: &str, at: i64) -> String {
    s.create(&incident(category, at)).unwrap()
}

fn push(
    s: &FieldStore,
    id: &str,
    role: &str,
    from: &str,
    to: &str,
    at: i64,
    assignee: Option<&str>,
) {
    s.update::<Incident>(id, |i| {
        i.transitions.push(IncidentTransition {
            by: "sup".into(),
            role: role.into(),
            at,
            from: from.into(),
            to: to.into(),
            note: "说明".into(),
            assignee: assignee.map(str::to_owned),
            ..IncidentTransition::default()
        })
    })
    .unwrap();
}

#[test]
fn the_queue_shows_colours_from_the_query_table() {
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("p.sqlite")).unwrap();
    s.sign_in("sup");
    s.import_catalogue(&default_catalogue()).unwrap();
    let now = T0 + 2 * DAY;
    let overdue = report(&s, "other.general", T0); // dispatch was due at T0 + 1 day
    let warning = report(&s, "fire.passage.blocked", now - 20 * 3600); // 4 h of 24 left
    let fresh = report(&s, "other.general", now - 3600);
    let done = report(&s, "other.general", T0);
    push(
        &s,
        &done,
        "full_time_grid_worker",
        "reported",
        "resolved_on_spot",
        T0 + 60,
        None,
    );
    let q = s.incident_queue(now, DayCount::Calendar, false).unwrap();
    let order: Vec<(&str, Colour)> = q.iter().map(|i| (i.id.as_str(), i.colour)).collect();
    assert_eq!(
        order,
        [
            (overdue.as_str(), Colour::Overdue),
            (warning.as_str(), Colour::Warning),
            (fresh.as_str(), Colour::Pending)
        ]
    );
    assert_eq!(q[0].due, Some(T0 + DAY));

    // The table follows the document: dispatching moves it to the resolve deadline.
    push(
        &s,
        &overdue,
        "town_supervisor",
        "reported",
        "accepted",
        now,
        None,
    );
    push(
        &s,
        &overdue,
        "town_supervisor",
        "accepted",
        "dispatched",
        now,
        Some("综合执法"),
    );
    let q = s.incident_queue(now, DayCount::Calendar, true).unwrap();
    let item = q.iter().find(|i| i.id == overdue).unwrap();
    assert_eq!(
        (item.stage.as_str(), item.colour, item.due),
        ("dispatched", Colour::Pending, Some(now + 3 * DAY))
    );
    assert_eq!(item.assignee.as_deref(), Some("综合执法"));
    assert_eq!(q.last().unwrap().colour, Colour::Done);
    assert_eq!(
        replay(&s.get::<Incident>(&overdue).unwrap()).stage,
        Stage::Dispatched
    );
}

#[test]
fn a_report_takes_only_a_category_in_force_and_the_picker_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("s.sqlite")).unwrap();
    s.sign_in("worker-1");
    // With no catalogue from the server yet, the default one is in force.
    assert_eq!(
        s.search_categories("zyrm", 3).unwrap()[0].code,
        "dispute.neighbour.noise"
    );
    s.report_incident(&incident("dispute.neighbour.noise", T0))
        .unwrap();
    let unknown = s
        .report_incident(&incident("dispute.neighbour.nothing", T0))
        .unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "事件类别 dispute.neighbour.nothing 不在类别目录中"
    );

    // The county retires 噪音扰民 from a day on: the picker stops offering it and
    // reports made from that day are refused; one made before is kept.
    let mut catalogue = default_catalogue();
    catalogue.version = 7;
    let retired_on = fieldgrid_core::time::date_at(T0 + DAY).to_string();
    catalogue.categories[0].children[0].children[1].retired_on = Some(retired_on);
    s.import_catalogue(&catalogue).unwrap();
    assert!(
        s.search_categories("噪音", 10)
            .unwrap()
            .iter()
            .all(|c| c.code != "dispute.neighbour.noise")
    );
    let before = s.report_incident(&incident("dispute.neighbour.noise", T0));
    assert!(before.is_ok());
    let after = s
        .report_incident(&incident("dispute.neighbour.noise", T0 + 2 * DAY))
        .unwrap_err();
    assert!(after.to_string().contains("起停用"), "{after}");
    assert_eq!(
        s.incident_queue(T0, DayCount::Calendar, true)
            .unwrap()
            .len(),
        2
    );
}

/// A step with every field a test may need.
fn step(
    s: &FieldStore,
    id: &str,
    role: &str,
    from: &str,
    to: &str,
    at: i64,
    t: IncidentTransition,
) {
    s.update::<Incident>(id, |i| {
        i.transitions.push(IncidentTransition {
            by: format!("{role}-1"),
            role: role.into(),
            at,
            from: from.into(),
            to: to.into(),
            note: "说明".into(),
            ..t
        })
    })
    .unwrap();
}

#[test]
fn the_query_rows_keep_the_facts_statistics_and_assessment_count() {
    use fieldgrid_core::assessment::CaseRow;
    use fieldgrid_core::records::{Satisfaction, Urge, UrgeMethod};
    let dir = tempfile::tempdir().unwrap();
    let s = FieldStore::open(dir.path().join("p.sqlite")).unwrap();
    s.sign_in("sup");
    s.import_catalogue(&default_catalogue()).unwrap();
    let unit = |u: &str| IncidentTransition {
        assignee: Some(u.into()),
        ..IncidentTransition::default()
    };
    // Urged, sent back by 综合执法, dispatched again, finished, verified late,
    // closed and answered.
    let long = report(&s, "other.general", T0);
    step(
        &s,
        &long,
        "town_supervisor",
        "reported",
        "accepted",
        T0 + 60,
        IncidentTransition::default(),
    );
    step(
        &s,
        &long,
        "town_supervisor",
        "accepted",
        "dispatched",
        T0 + 120,
        unit("综合执法"),
    );
    let urge = IncidentTransition {
        urge: Some(Urge {
            unit: "综合执法".into(),
            method: UrgeMethod::ALL[0],
            promised: None,
        }),
        ..IncidentTransition::default()
    };
    step(
        &s,
        &long,
        "town_supervisor",
        "dispatched",
        "urged",
        T0 + DAY,
        urge.clone(),
    );
    step(
        &s,
        &long,
        "town_supervisor",
        "dispatched",
        "urged",
        T0 + DAY + 60,
        urge,
    );
    step(
        &s,
        &long,
        "department_handler",
        "dispatched",
        "returned",
        T0 + 2 * DAY,
        IncidentTransition::default(),
    );
    step(
        &s,
        &long,
        "town_supervisor",
        "accepted",
        "dispatched",
        T0 + 2 * DAY + 60,
        unit("市场监管"),
    );
    step(
        &s,
        &long,
        "department_handler",
        "dispatched",
        "handling",
        T0 + 3 * DAY,
        IncidentTransition::default(),
    );
    step(
        &s,
        &long,
        "department_handler",
        "handling",
        "handled",
        T0 + 3 * DAY + 60,
        IncidentTransition::default(),
    );
    step(
        &s,
        &long,
        "inspector",
        "handled",
        "verified",
        T0 + 9 * DAY,
        IncidentTransition::default(),
    );
    step(
        &s,
        &long,
        "town_supervisor",
        "verified",
        "closed",
        T0 + 9 * DAY + 60,
        IncidentTransition::default(),
    );
    let call = IncidentTransition {
        answer: Some(Satisfaction::Basic),
        ..IncidentTransition::default()
    };
    step(
        &s,
        &long,
        "town_supervisor",
        "closed",
        "assessed",
        T0 + 10 * DAY,
        call,
    );
    // Waiting, and resolved on the spot.
    let waiting = report(&s, "fire.passage.blocked", T0 + 3_600);
    let spot = report(&s, "other.general", T0 + 7_200);
    step(
        &s,
        &spot,
        "full_time_grid_worker",
        "reported",
        "resolved_on_spot",
        T0 + 7_300,
        IncidentTransition::default(),
    );

    let rows = s.case_rows(|_| true, (T0, T0 + DAY)).unwrap();
    assert_eq!(rows.len(), 3);
    for id in [&long, &waiting, &spot] {
        let incident: Incident = s.get(id).unwrap();
        let row = rows.iter().find(|r| &r.id == id).unwrap();
        assert_eq!(row, &CaseRow::of(id, &incident, &replay(&incident)), "{id}");
    }
    let long = rows.iter().find(|r| r.id == long).unwrap();
    assert_eq!(long.urged_units, ["综合执法"]);
    assert_eq!(long.returned_by, ["综合执法"]);
    assert_eq!(long.assignee.as_deref(), Some("市场监管"));
    assert_eq!(long.verified_on_time, Some(false));
    assert_eq!(long.stage, Stage::Assessed, "{long:?}");
    assert_eq!(long.answer, Some(Satisfaction::Basic));
    assert_eq!(long.accepted_at, Some(T0 + 60));
    let waiting = rows.iter().find(|r| r.id == waiting).unwrap();
    assert_eq!(
        (waiting.accepted_at, waiting.verified_on_time),
        (None, None)
    );
    assert!(rows.iter().find(|r| r.id == spot).unwrap().accepted());
    // Outside the period, and outside the grids one sees: nothing.
    assert!(
        s.case_rows(|_| true, (T0 + DAY, T0 + 2 * DAY))
            .unwrap()
            .is_empty()
    );
    assert!(s.case_rows(|_| false, (T0, T0 + DAY)).unwrap().is_empty());
}
