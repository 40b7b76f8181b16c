use super::*;
use crate::records::{Incident, IncidentTransition};

const T0: i64 = 1_795_500_000; // Tuesday 2026-11-24, 06:40 China time

fn incident() -> Incident {
    Incident {
        grid_code: "320722104201001".into(),
        category: "dispute.neighbour".into(),
        description: "邻里纠纷".into(),
        location: None,
        reporter_id: "worker-1".into(),
        reported_at: T0,
        urgency: Default::default(),
        transitions: vec![],
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
        s.conflicts[0].reason.contains("already dispatched"),
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
    assert!(reasons[0].contains("full_time_grid_worker may not"));
    assert!(reasons[1].contains("needs a reason"));
    assert!(reasons[2].contains("needs an assignee"));
    assert!(reasons[3].contains("may not verify their own work"));
    assert!(reasons[4].contains("not a known step"));
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
