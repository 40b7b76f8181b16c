use super::catalogue::default_catalogue;
use super::*;
use crate::records::{Incident, IncidentTransition};
use crate::{Error, FieldStore};

pub(super) const T0: i64 = 1_795_500_000; // Tuesday 2026-11-24, 06:40 China time

/// A neighbours' dispute reported at `T0` with no steps yet.
pub(crate) fn incident() -> Incident {
    Incident {
        grid_code: "320722104201001".into(),
        category: "dispute.neighbour".into(),
        description: "邻里纠纷".into(),
        location: None,
        reporter_id: "worker-1".into(),
        reported_at: T0,
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

/// Appends a transition; the arguments mirror `IncidentTransition`'s fields.
#[allow(clippy::too_many_arguments)]
fn step(
    i: &mut Incident,
    by: &str,
    role: &str,
    at: i64,
    from: &str,
    to: &str,
    note: &str,
    assignee: Option<&str>,
) {
    i.transitions.push(IncidentTransition {
        by: by.into(),
        role: role.into(),
        at,
        from: from.into(),
        to: to.into(),
        note: note.into(),
        assignee: assignee.map(str::to_owned),
        ..IncidentTransition::default()
    });
}

#[test]
fn the_whole_loop_with_a_return_an_escalation_and_a_reopen() {
    let mut i = incident();
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 60,
        "reported",
        "escalated",
        "涉及跨镇土地",
        None,
    );
    assert_eq!(replay(&i).level, 1);
    step(
        &mut i,
        "admin",
        "county_administrator",
        T0 + 120,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "admin",
        "county_administrator",
        T0 + 180,
        "accepted",
        "dispatched",
        "",
        Some("综治工作平台/lead"),
    );
    step(
        &mut i,
        "h1",
        "department_handler",
        T0 + 240,
        "dispatched",
        "returned",
        "不属本部门职责",
        None,
    );
    step(
        &mut i,
        "admin",
        "county_administrator",
        T0 + 300,
        "accepted",
        "dispatched",
        "",
        Some("综合执法平台/lead"),
    );
    step(
        &mut i,
        "h2",
        "department_handler",
        T0 + 360,
        "dispatched",
        "handling",
        "",
        None,
    );
    step(
        &mut i,
        "h2",
        "department_handler",
        T0 + 420,
        "handling",
        "handled",
        "已调解",
        None,
    );
    step(
        &mut i,
        "insp",
        "inspector",
        T0 + 480,
        "handled",
        "reopened",
        "当事人不认可",
        None,
    );
    step(
        &mut i,
        "h2",
        "department_handler",
        T0 + 540,
        "handling",
        "handled",
        "再次调解，签订协议",
        None,
    );
    step(
        &mut i,
        "insp",
        "inspector",
        T0 + 600,
        "handled",
        "verified",
        "",
        None,
    );
    step(
        &mut i,
        "admin",
        "county_administrator",
        T0 + 660,
        "verified",
        "closed",
        "",
        None,
    );
    step(
        &mut i,
        "admin",
        "county_administrator",
        T0 + 720,
        "closed",
        "assessed",
        "满意",
        None,
    );
    i.transitions.last_mut().unwrap().answer = Some(crate::records::Satisfaction::Satisfied);
    let s = replay(&i);
    assert!(s.conflicts.is_empty(), "{:?}", s.conflicts);
    assert_eq!((s.stage, s.level), (Stage::Assessed, 1));
    assert_eq!(s.assignee.as_deref(), Some("综合执法平台/lead"));
    assert_eq!(s.closed_at, Some(T0 + 660));
}

#[test]
fn concurrent_dispatches_keep_the_first_and_flag_the_second() {
    let mut i = incident();
    step(
        &mut i,
        "sup-a",
        "town_supervisor",
        T0 + 60,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "sup-a",
        "town_supervisor",
        T0 + 100,
        "accepted",
        "dispatched",
        "",
        Some("市场监管"),
    );
    step(
        &mut i,
        "sup-b",
        "town_supervisor",
        T0 + 90,
        "accepted",
        "dispatched",
        "",
        Some("综合执法"),
    );
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Dispatched);
    assert_eq!(s.assignee.as_deref(), Some("市场监管"));
    assert_eq!(s.conflicts.len(), 1);
    assert_eq!(
        (s.conflicts[0].index, s.conflicts[0].by.as_str()),
        (2, "sup-b")
    );
    assert!(
        s.conflicts[0].reason.contains("已是“已派遣”"),
        "{}",
        s.conflicts[0].reason
    );
}

#[test]
fn rules_refuse_the_wrong_role_self_verification_and_missing_reasons() {
    let mut i = incident();
    step(
        &mut i,
        "worker-1",
        "full_time_grid_worker",
        T0 + 10,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 20,
        "reported",
        "rejected",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 30,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 40,
        "accepted",
        "dispatched",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 50,
        "accepted",
        "dispatched",
        "",
        Some("便民服务"),
    );
    step(
        &mut i,
        "h",
        "department_handler",
        T0 + 60,
        "dispatched",
        "handling",
        "",
        None,
    );
    step(
        &mut i,
        "h",
        "department_handler",
        T0 + 70,
        "handling",
        "handled",
        "修好了路灯",
        None,
    );
    step(
        &mut i,
        "h",
        "town_supervisor",
        T0 + 80,
        "handled",
        "verified",
        "",
        None,
    );
    step(
        &mut i,
        "x",
        "volunteer",
        T0 + 90,
        "handled",
        "teleported",
        "",
        None,
    );
    let s = replay(&i);
    let reasons: Vec<&str> = s.conflicts.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(s.conflicts.len(), 5, "{reasons:#?}");
    assert!(reasons[0].contains("专职网格员不能"));
    assert!(reasons[1].contains("需要填写理由"));
    assert!(reasons[2].contains("需要指定承办单位"));
    assert!(reasons[3].contains("不能核查自己"));
    assert!(reasons[4].contains("不是已知的环节"));
    assert_eq!(s.stage, Stage::Handled);
}

#[test]
fn resolved_on_the_spot_closes_at_once() {
    let mut i = incident();
    step(
        &mut i,
        "worker-1",
        "full_time_grid_worker",
        T0 + 5,
        "reported",
        "resolved_on_spot",
        "当场劝离",
        None,
    );
    let s = replay(&i);
    assert_eq!((s.stage, s.closed_at), (Stage::Closed, Some(T0 + 5)));
    assert_eq!(
        colour(
            &s,
            &StageDeadlines::default(),
            DayCount::Calendar,
            T0 + 100 * 86_400
        ),
        Colour::Done
    );
}

#[test]
fn colours_follow_the_deadlines_at_given_times() {
    let limits = StageDeadlines::default(); // dispatch in 1 day, resolve in 3
    let mut i = incident();
    let s = replay(&i);
    let cal = DayCount::Calendar;
    assert_eq!(deadline(&s, &limits, cal), Some(T0 + 86_400));
    assert_eq!(colour(&s, &limits, cal, T0 + 3600), Colour::Pending);
    assert_eq!(
        colour(&s, &limits, cal, T0 + 20 * 3600),
        Colour::Warning,
        "4 h of 24 left"
    );
    assert_eq!(colour(&s, &limits, cal, T0 + 86_401), Colour::Overdue);
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 3600,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 7200,
        "accepted",
        "dispatched",
        "",
        Some("综合执法"),
    );
    let s = replay(&i);
    assert_eq!(deadline(&s, &limits, cal), Some(T0 + 7200 + 3 * 86_400));
    assert_eq!(colour(&s, &limits, cal, T0 + 2 * 86_400), Colour::Pending);
    assert_eq!(
        colour(&s, &limits, cal, T0 + 7200 + 3 * 86_400 - 3600),
        Colour::Warning
    );
    assert_eq!(colour(&s, &limits, cal, T0 + 4 * 86_400), Colour::Overdue);
    // Work days: dispatched on Tuesday, three work days is Friday; from a Friday
    // report, one work day is Monday.
    assert_eq!(
        deadline(&s, &limits, DayCount::WorkDays),
        Some(T0 + 7200 + 3 * 86_400)
    );
    let friday = T0 + 3 * 86_400;
    assert_eq!(
        deadlines::add_days(friday, 1, DayCount::WorkDays),
        friday + 3 * 86_400
    );
    assert_eq!(
        deadlines::add_days(friday, 1, DayCount::Calendar),
        friday + 86_400
    );
}

#[test]
fn statistics_match_hand_computed_values() {
    use crate::records::Satisfaction;
    let cat = default_catalogue();
    let day = 86_400;
    let mk = |grid: &str, category: &str, at: i64| Incident {
        grid_code: grid.into(),
        category: category.into(),
        reported_at: at,
        ..incident()
    };
    let sup = |i: &mut Incident, to: &str, from: &str, at: i64, assignee: Option<&str>| {
        step(
            i,
            "sup",
            "town_supervisor",
            at,
            from,
            to,
            if to == "escalated" { "x" } else { "" },
            assignee,
        )
    };
    // Grid A: five incidents.
    let mut a1 = mk("A", "dispute.neighbour.noise", T0); // closed in 2 days of a 5-day limit: on time
    sup(&mut a1, "accepted", "reported", T0 + 3600, None);
    sup(&mut a1, "dispatched", "accepted", T0 + 7200, Some("综治"));
    step(
        &mut a1,
        "h",
        "department_handler",
        T0 + day,
        "dispatched",
        "handling",
        "",
        None,
    );
    step(
        &mut a1,
        "h",
        "department_handler",
        T0 + day + 10,
        "handling",
        "handled",
        "done",
        None,
    );
    step(
        &mut a1,
        "v",
        "inspector",
        T0 + 2 * day,
        "handled",
        "verified",
        "",
        None,
    );
    sup(&mut a1, "closed", "verified", T0 + 2 * day, None);
    a1.satisfaction = Some(Satisfaction::Satisfied);
    let mut a2 = mk("A", "fire.passage.blocked", T0); // 1-day resolve limit, closed after 3: late
    sup(&mut a2, "accepted", "reported", T0 + 60, None);
    sup(&mut a2, "dispatched", "accepted", T0 + 120, Some("执法"));
    step(
        &mut a2,
        "h",
        "department_handler",
        T0 + 200,
        "dispatched",
        "handling",
        "",
        None,
    );
    step(
        &mut a2,
        "h",
        "department_handler",
        T0 + 300,
        "handling",
        "handled",
        "done",
        None,
    );
    step(
        &mut a2,
        "v",
        "inspector",
        T0 + 400,
        "handled",
        "verified",
        "",
        None,
    );
    sup(&mut a2, "closed", "verified", T0 + 120 + 3 * day, None);
    a2.satisfaction = Some(Satisfaction::Unsatisfied);
    let mut a3 = mk("A", "other.general", T0); // resolved on the spot after an hour
    step(
        &mut a3,
        "w",
        "full_time_grid_worker",
        T0 + 3600,
        "reported",
        "resolved_on_spot",
        "当场解决",
        None,
    );
    a3.satisfaction = Some(Satisfaction::Basic);
    let a4 = mk("A", "other.general", T0); // never accepted: overdue for dispatch after a day
    let mut a5 = mk("A", "other.general", T0 - 40 * day); // outside the period
    sup(&mut a5, "accepted", "reported", T0 - 40 * day + 60, None);
    // Grid B: one rejected.
    let mut b1 = mk("B", "other.general", T0 + day);
    step(
        &mut b1,
        "sup",
        "town_supervisor",
        T0 + day + 60,
        "reported",
        "rejected",
        "重复上报",
        None,
    );

    let all = [&a1, &a2, &a3, &a4, &a5, &b1];
    let states: Vec<WorkflowState> = all.iter().map(|i| replay(i)).collect();
    let pairs: Vec<_> = all.iter().copied().zip(states.iter()).collect();
    let stats = statistics(
        pairs,
        |i, _| Some(i.grid_code.clone()),
        &cat,
        DayCount::Calendar,
        (T0 - day, T0 + 30 * day),
        T0 + 10 * day,
    );
    let a = &stats["A"];
    assert_eq!(
        (a.received, a.accepted, a.closed, a.closed_on_time),
        (4, 3, 3, 2)
    );
    assert_eq!(a.acceptance_rate, Some(0.75));
    assert_eq!(a.on_time_close_rate, Some(2.0 / 3.0));
    // Handling: 2 days, 3 days + 120 s, 1 hour → mean in hours.
    let expected = ((2 * day) + (3 * day + 120) + 3600) as f64 / 3600.0 / 3.0;
    assert!((a.avg_handling_hours.unwrap() - expected).abs() < 1e-9);
    assert_eq!(
        (a.assessed, a.satisfied, a.satisfaction_rate),
        (3, 2, Some(2.0 / 3.0))
    );
    assert_eq!(a.overdue_now, 1, "a4 waits for dispatch past its day");
    let b = &stats["B"];
    assert_eq!(
        (b.received, b.accepted, b.closed, b.overdue_now),
        (1, 0, 0, 0)
    );
    assert_eq!(
        (b.acceptance_rate, b.on_time_close_rate, b.satisfaction_rate),
        (Some(0.0), None, None)
    );
    // Grouping by platform.
    let by_platform = statistics(
        all.iter().copied().zip(states.iter()),
        |_, s| s.assignee.clone(),
        &cat,
        DayCount::Calendar,
        (T0 - day, T0 + 30 * day),
        T0 + 10 * day,
    );
    assert_eq!(by_platform.keys().collect::<Vec<_>>(), ["执法", "综治"]);
}

#[test]
fn a_step_on_the_store_replays_from_the_stage_it_sees() {
    let dir = tempfile::tempdir().unwrap();
    let store = FieldStore::open(dir.path().join("s.sqlite")).unwrap();
    store.sign_in("worker-1");
    let id = store.create(&incident()).unwrap();
    store.sign_out();
    assert!(matches!(
        store.incident_step(&id, Action::Accept, "town_supervisor", "", None),
        Err(Error::NotSignedIn)
    ));
    store.sign_in("sup");
    let state = store
        .incident_step(&id, Action::Accept, "town_supervisor", "已受理", None)
        .unwrap();
    assert_eq!(state.stage, Stage::Accepted);
    let state = store
        .incident_step(
            &id,
            Action::Dispatch,
            "town_supervisor",
            "",
            Some("handler-zhifa"),
        )
        .unwrap();
    assert_eq!(
        (state.stage, state.assignee.as_deref()),
        (Stage::Dispatched, Some("handler-zhifa"))
    );
    // A grid worker may not close it: the step is kept as a conflict, the stage
    // stays where it was.
    store.sign_in("worker-1");
    let state = store
        .incident_step(&id, Action::Close, "full_time_grid_worker", "", None)
        .unwrap();
    assert_eq!(state.stage, Stage::Dispatched);
    assert_eq!(state.conflicts.len(), 1, "{:?}", state.conflicts);
    let stored: Incident = store.get(&id).unwrap();
    assert_eq!(stored.transitions.len(), 3);
    assert_eq!(stored.transitions[2].from, "dispatched");
}

#[test]
fn after_escalation_only_the_countys_roles_act_and_nothing_goes_higher() {
    let mut i = incident();
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 60,
        "reported",
        "escalated",
        "跨镇",
        None,
    );
    // The town's supervisor can no longer accept, dispatch or close it.
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 120,
        "reported",
        "accepted",
        "",
        None,
    );
    let s = replay(&i);
    assert_eq!((s.stage, s.level), (Stage::Reported, 1));
    assert!(
        s.conflicts[0].reason.contains("已上报县指挥中心"),
        "{:?}",
        s.conflicts
    );
    step(
        &mut i,
        "cs",
        "county_supervisor",
        T0 + 180,
        "reported",
        "accepted",
        "",
        None,
    );
    step(
        &mut i,
        "cs",
        "county_supervisor",
        T0 + 200,
        "accepted",
        "escalated",
        "再上报",
        None,
    );
    let s = replay(&i);
    assert_eq!((s.stage, s.level), (Stage::Accepted, 1));
    assert!(
        s.conflicts[1].reason.contains("县级之上"),
        "{:?}",
        s.conflicts
    );
    let county_unit = "320722000000-zrzy";
    step(
        &mut i,
        "cs",
        "county_supervisor",
        T0 + 240,
        "accepted",
        "dispatched",
        "",
        Some(county_unit),
    );
    step(
        &mut i,
        "h",
        "department_handler",
        T0 + 300,
        "dispatched",
        "handling",
        "",
        None,
    );
    step(
        &mut i,
        "h",
        "department_handler",
        T0 + 360,
        "handling",
        "handled",
        "已拆除",
        None,
    );
    step(
        &mut i,
        "v",
        "village_cadre",
        T0 + 420,
        "handled",
        "verified",
        "",
        None,
    );
    step(
        &mut i,
        "sup",
        "town_supervisor",
        T0 + 480,
        "verified",
        "closed",
        "",
        None,
    );
    let s = replay(&i);
    assert_eq!(
        s.stage,
        Stage::Verified,
        "the town cannot close a county case"
    );
    step(
        &mut i,
        "cs",
        "county_supervisor",
        T0 + 540,
        "verified",
        "closed",
        "",
        None,
    );
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Closed);
    assert_eq!(s.conflicts.len(), 3);
}
