//! Lead, joint and supervised handling, urging and the follow-up call.

use super::tests::{T0, incident};
use super::*;
use crate::records::{Incident, IncidentTransition, JointPart, Satisfaction, Urge, UrgeMethod};

const SUP: &str = "town_supervisor";
const HANDLER: &str = "department_handler";

fn t(by: &str, role: &str, at: i64, from: &str, to: Action, note: &str) -> IncidentTransition {
    IncidentTransition {
        by: by.into(),
        role: role.into(),
        at,
        from: from.into(),
        to: to.as_str().into(),
        note: note.into(),
        ..IncidentTransition::default()
    }
}

fn part(by: &str, at: i64, to: Action, unit: &str, note: &str) -> IncidentTransition {
    IncidentTransition {
        part: Some(unit.into()),
        ..t(by, HANDLER, at, "handling", to, note)
    }
}

fn dispatch(at: i64) -> IncidentTransition {
    IncidentTransition {
        assignee: Some("lead-unit".into()),
        parts: vec![
            JointPart {
                unit: "joint-a".into(),
                task: "核实宅基地界址".into(),
                due: Some(T0 + 3 * 86_400),
            },
            JointPart {
                unit: "joint-b".into(),
                task: "调解双方".into(),
                due: None,
            },
        ],
        supervisor: Some("sup-unit".into()),
        ..t("sup", SUP, at, "accepted", Action::Dispatch, "")
    }
}

/// Reported, accepted and dispatched to a lead with two joint units.
fn dispatched() -> Incident {
    let mut i = incident();
    i.transitions
        .push(t("sup", SUP, T0 + 60, "reported", Action::Accept, ""));
    i.transitions.push(dispatch(T0 + 120));
    i
}

fn follow_up(at: i64, answer: Satisfaction) -> IncidentTransition {
    IncidentTransition {
        answer: Some(answer),
        ..t("caller", SUP, at, "closed", Action::Assess, "电话回访")
    }
}

#[test]
fn a_lead_with_two_joint_units_urged_verified_followed_up_reopened_and_closed() {
    let mut i = dispatched();
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Dispatched);
    assert_eq!(s.supervisor.as_deref(), Some("sup-unit"));
    assert_eq!(s.parts.len(), 2);
    assert!(s.parts.iter().all(|p| p.status == PartStatus::Assigned));
    assert_eq!(s.parts[0].due, Some(T0 + 3 * 86_400));

    i.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 200,
        "dispatched",
        Action::StartHandling,
        "",
    ));
    i.transitions
        .push(part("a1", T0 + 210, Action::PartStart, "joint-a", ""));
    i.transitions.push(part(
        "a1",
        T0 + 300,
        Action::PartFinish,
        "joint-a",
        "界址已核",
    ));
    i.transitions.push(part(
        "b1",
        T0 + 310,
        Action::PartFinish,
        "joint-b",
        "已调解",
    ));
    // The lead is not content with joint-b's part: sent back, redone.
    i.transitions.push(part(
        "lead",
        T0 + 320,
        Action::PartRedo,
        "joint-b",
        "调解协议未签字",
    ));
    let s = replay(&i);
    assert_eq!(s.part("joint-b").unwrap().status, PartStatus::Handling);
    assert_eq!(s.part("joint-b").unwrap().finished_at, None);
    // The lead may not finish while joint-b's part is open.
    i.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 330,
        "handling",
        Action::Finish,
        "已处理",
    ));
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Handling);
    assert!(
        s.conflicts[0].reason.contains("1 项联办任务"),
        "{:?}",
        s.conflicts
    );
    // Urged by the supervising unit, by phone, with a promised date.
    i.transitions.push(IncidentTransition {
        urge: Some(Urge {
            unit: "joint-b".into(),
            method: UrgeMethod::Phone,
            promised: Some(T0 + 86_400),
        }),
        ..t(
            "watcher",
            HANDLER,
            T0 + 400,
            "handling",
            Action::Urge,
            "已超期，请尽快办理",
        )
    });
    let s = replay(&i);
    assert_eq!(s.urges.len(), 1);
    assert_eq!(s.open_urge("joint-b").map(|u| u.at), Some(T0 + 400));
    i.transitions.push(part(
        "b1",
        T0 + 500,
        Action::PartFinish,
        "joint-b",
        "协议已签字",
    ));
    let s = replay(&i);
    assert_eq!(
        s.open_urge("joint-b"),
        None,
        "the part's step answers the urge"
    );
    i.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 600,
        "handling",
        Action::Finish,
        "已处理",
    ));
    i.transitions.push(t(
        "insp",
        "inspector",
        T0 + 700,
        "handled",
        Action::Verify,
        "",
    ));
    i.transitions
        .push(t("sup", SUP, T0 + 800, "verified", Action::Close, ""));
    // The resident cannot be reached: still closed, waiting for another call.
    i.transitions
        .push(follow_up(T0 + 900, Satisfaction::Unreachable));
    assert_eq!(replay(&i).stage, Stage::Closed);
    i.transitions
        .push(follow_up(T0 + 1000, Satisfaction::Unsatisfied));
    let s = replay(&i);
    assert_eq!(
        (s.stage, s.satisfaction),
        (Stage::Assessed, Some(Satisfaction::Unsatisfied))
    );
    assert_eq!(s.follow_ups.len(), 2);
    // Dissatisfied: the centre reopens it; dispatched again, handled, closed.
    i.transitions.push(t(
        "sup",
        SUP,
        T0 + 1100,
        "assessed",
        Action::Reprocess,
        "群众反映仍有纠纷",
    ));
    let s = replay(&i);
    assert_eq!(
        (s.stage, s.closed_at, s.satisfaction),
        (Stage::Accepted, None, None)
    );
    assert!(s.parts.is_empty());
    i.transitions.push(dispatch(T0 + 1200));
    i.transitions
        .push(part("a1", T0 + 1250, Action::PartRelease, "joint-a", "无需再核").tap_role(SUP));
    i.transitions.push(part(
        "b1",
        T0 + 1260,
        Action::PartFinish,
        "joint-b",
        "再次调解",
    ));
    i.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 1300,
        "dispatched",
        Action::StartHandling,
        "",
    ));
    i.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 1400,
        "handling",
        Action::Finish,
        "已处理",
    ));
    i.transitions.push(t(
        "insp",
        "inspector",
        T0 + 1500,
        "handled",
        Action::Verify,
        "",
    ));
    i.transitions
        .push(t("sup", SUP, T0 + 1600, "verified", Action::Close, ""));
    i.transitions
        .push(follow_up(T0 + 1700, Satisfaction::Satisfied));
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Assessed);
    assert_eq!(s.satisfaction, Some(Satisfaction::Satisfied));
    assert_eq!(s.closed_at, Some(T0 + 1600));
    assert_eq!(s.follow_ups.len(), 3);
    assert_eq!(
        s.conflicts.len(),
        1,
        "only the early finish: {:?}",
        s.conflicts
    );

    // Its statistics: accepted, closed, satisfied, urged.
    let catalogue = default_catalogue();
    let stats = statistics(
        [(&i, &s)],
        |_, _| Some("all".into()),
        &catalogue,
        DayCount::Calendar,
        (T0 - 1, T0 + 86_400),
        T0 + 2000,
    );
    let all = &stats["all"];
    assert_eq!(
        (
            all.received,
            all.closed,
            all.assessed,
            all.satisfied,
            all.urged
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(
        (all.closure_rate, all.satisfaction_rate),
        (Some(1.0), Some(1.0))
    );
}

trait TapRole {
    fn tap_role(self, role: &str) -> Self;
}

impl TapRole for IncidentTransition {
    fn tap_role(mut self, role: &str) -> Self {
        self.role = role.into();
        self
    }
}

#[test]
fn a_dispatch_with_a_unit_twice_or_a_supervisor_who_also_handles_is_refused() {
    let mut i = incident();
    i.transitions
        .push(t("sup", SUP, T0 + 60, "reported", Action::Accept, ""));
    let mut twice = dispatch(T0 + 120);
    twice.parts[1].unit = "lead-unit".into();
    i.transitions.push(twice);
    let mut watching = dispatch(T0 + 130);
    watching.supervisor = Some("joint-a".into());
    i.transitions.push(watching);
    let s = replay(&i);
    assert_eq!(s.stage, Stage::Accepted);
    let reasons: Vec<&str> = s.conflicts.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "同一单位不能在主办、联办中重复出现",
            "督办单位不能同时主办或联办"
        ]
    );
}

#[test]
fn part_steps_need_a_known_part_in_the_right_status_a_reason_and_a_handler() {
    let mut i = dispatched();
    i.transitions
        .push(part("x", T0 + 200, Action::PartStart, "nobody", ""));
    i.transitions
        .push(part("a1", T0 + 210, Action::PartFinish, "joint-a", " "));
    i.transitions
        .push(part("a1", T0 + 220, Action::PartRedo, "joint-a", "重办"));
    i.transitions.push(
        part("w", T0 + 230, Action::PartStart, "joint-a", "").tap_role("full_time_grid_worker"),
    );
    i.transitions.push(IncidentTransition {
        urge: Some(Urge {
            unit: "elsewhere".into(),
            method: UrgeMethod::Online,
            promised: None,
        }),
        ..t("sup", SUP, T0 + 240, "dispatched", Action::Urge, "请尽快")
    });
    i.transitions.push(t(
        "sup",
        SUP,
        T0 + 250,
        "dispatched",
        Action::Urge,
        "请尽快",
    ));
    let s = replay(&i);
    let reasons: Vec<&str> = s.conflicts.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "此单位没有本事件的联办任务",
            "“联办完成”需要填写理由",
            "“联办退回重办”不能用于“待办理”的联办任务",
            "专职网格员不能“联办开始”",
            "被催办单位不是此事件尚未办完的主办或联办单位",
            "催办需要指定被催办单位",
        ]
    );
    assert!(s.parts.iter().all(|p| p.status == PartStatus::Assigned));
}

#[test]
fn a_follow_up_needs_an_answer_and_only_a_dissatisfied_one_reopens() {
    let mut i = incident();
    i.transitions.push(t(
        "w",
        "grid_chief",
        T0 + 10,
        "reported",
        Action::ResolveOnSpot,
        "当场劝解",
    ));
    i.transitions
        .push(t("caller", SUP, T0 + 20, "closed", Action::Assess, "回访"));
    i.transitions.push(follow_up(T0 + 30, Satisfaction::Basic));
    i.transitions.push(t(
        "sup",
        SUP,
        T0 + 40,
        "assessed",
        Action::Reprocess,
        "重办",
    ));
    let s = replay(&i);
    assert_eq!(
        (s.stage, s.satisfaction),
        (Stage::Assessed, Some(Satisfaction::Basic))
    );
    let reasons: Vec<&str> = s.conflicts.iter().map(|c| c.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["回访需要记录群众的评价", "只有回访不满意的事件才能重新办理"]
    );
}

/// Concurrent offline steps land in an order Automerge picks the same on every
/// device; whichever order it picks, the rules give one state and flag the same
/// kind of step.
#[test]
fn concurrent_part_steps_converge_whatever_the_order() {
    let mut base = dispatched();
    base.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 200,
        "dispatched",
        Action::StartHandling,
        "",
    ));
    // Two joint units finish at once: both apply in either order.
    let a = part("a1", T0 + 300, Action::PartFinish, "joint-a", "界址已核");
    let b = part("b1", T0 + 300, Action::PartFinish, "joint-b", "已调解");
    for order in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
        let mut i = base.clone();
        i.transitions.extend(order);
        let s = replay(&i);
        assert!(s.parts.iter().all(|p| p.status == PartStatus::Finished));
        assert!(s.conflicts.is_empty());
    }
    // The lead finishes (having seen joint-a released and joint-b finished)
    // while joint-b, offline, sends its part back: whichever lands first wins,
    // the other is flagged.
    let mut seen = base.clone();
    seen.transitions
        .push(part("a1", T0 + 300, Action::PartRelease, "joint-a", "无需核实").tap_role(SUP));
    let finish = t(
        "lead",
        HANDLER,
        T0 + 400,
        "handling",
        Action::Finish,
        "已处理",
    );
    let give_back = part(
        "b1",
        T0 + 400,
        Action::PartReturn,
        "joint-b",
        "非本单位职责",
    );
    let finished_b = part("b1", T0 + 350, Action::PartFinish, "joint-b", "已调解");
    // joint-b had finished (the lead saw it) and then redone? No: the lead's view
    // had joint-b finished; joint-b's phone never synced that finish and returns.
    let mut lead_first = seen.clone();
    lead_first
        .transitions
        .extend([finished_b.clone(), finish.clone(), give_back.clone()]);
    let s = replay(&lead_first);
    assert_eq!(s.stage, Stage::Handled);
    assert_eq!(s.conflicts.len(), 1);
    assert!(
        s.conflicts[0].reason.contains("“联办退回”不能接在")
            || s.conflicts[0].reason.contains("不能用于"),
        "{:?}",
        s.conflicts
    );
    // Without joint-b's finish the lead's step is flagged and the return applies.
    let mut return_first = seen.clone();
    return_first
        .transitions
        .extend([give_back.clone(), finish.clone()]);
    let s = replay(&return_first);
    assert_eq!(s.stage, Stage::Handling);
    assert_eq!(s.part("joint-b").unwrap().status, PartStatus::Returned);
    assert_eq!(s.conflicts.len(), 1);
    assert!(
        s.conflicts[0].reason.contains("联办任务未完成"),
        "{:?}",
        s.conflicts
    );
    // A returned part blocks the lead until it is released.
    return_first.transitions.push(
        part(
            "sup",
            T0 + 500,
            Action::PartRelease,
            "joint-b",
            "改由主办单位处理",
        )
        .tap_role(SUP),
    );
    return_first.transitions.push(t(
        "lead",
        HANDLER,
        T0 + 600,
        "handling",
        Action::Finish,
        "已处理",
    ));
    assert_eq!(replay(&return_first).stage, Stage::Handled);
}

#[test]
fn the_urging_list_holds_unfinished_joint_parts_near_or_past_their_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::FieldStore::open(dir.path().join("s.sqlite")).unwrap();
    store.sign_in("worker-1");
    let now = crate::time::now();
    let mut i = incident();
    i.reported_at = now - 86_400;
    i.transitions
        .push(t("sup", SUP, now - 80_000, "reported", Action::Accept, ""));
    let mut d = dispatch(now - 70_000);
    d.parts[0].due = Some(now - 3_600); // past
    d.parts[1].due = Some(now + 3 * 86_400); // far off
    d.parts.push(JointPart {
        unit: "joint-c".into(),
        task: "已完成的任务".into(),
        due: Some(now - 7_200),
    });
    i.transitions.push(d);
    i.transitions.push(part(
        "c1",
        now - 60_000,
        Action::PartFinish,
        "joint-c",
        "已办",
    ));
    let id = store.create(&i).unwrap();
    let due = store.joint_parts_due(now + 86_400).unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(
        (due[0].id.as_str(), due[0].unit.as_str()),
        (id.as_str(), "joint-a")
    );
    assert_eq!(due[0].due, now - 3_600);
    // Within a week, the far one too, soonest first.
    let week: Vec<String> = store
        .joint_parts_due(now + 7 * 86_400)
        .unwrap()
        .into_iter()
        .map(|p| p.unit)
        .collect();
    assert_eq!(week, ["joint-a", "joint-b"]);
}
