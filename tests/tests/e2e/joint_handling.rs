//! Lead, joint and supervised handling across real phones and a real server: a
//! case dispatched to a lead and two joint units under a supervising unit; one
//! joint part sent back and redone; the late unit urged (its phone learns it from
//! the "anything for me?" check); finished, verified, closed; followed up
//! dissatisfied and reopened; handled again, closed and followed up satisfied.
//! Every device and the server agree; the statistics show the rates. Then
//! concurrent offline steps on joint parts converge the same everywhere.

use fieldgrid_core::incident::{
    Action, DayCount, PartStatus, Stage, TaskKind, WorkflowState, replay, statistics,
};
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::records::{
    Incident, IncidentTransition, JointPart, Satisfaction, Urge, UrgeMethod,
};
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::web::{client, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer};

const LEAD: &str = "320722104000-zhifa";
const JOINT_A: &str = "320722104000-sifa";
const JOINT_B: &str = "320722104000-scjds";
const WATCHER: &str = "320722104000-zongzhi";
const SUP_ROLE: &str = "town_supervisor";
const HANDLER: &str = "department_handler";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn step(to: Action, role: &str, note: &str) -> IncidentTransition {
    IncidentTransition {
        to: to.as_str().into(),
        role: role.into(),
        note: note.into(),
        ..IncidentTransition::default()
    }
}

fn part(to: Action, unit: &str, note: &str) -> IncidentTransition {
    IncidentTransition {
        part: Some(unit.into()),
        ..step(to, HANDLER, note)
    }
}

fn dispatch(joint: &[&str]) -> IncidentTransition {
    IncidentTransition {
        assignee: Some(LEAD.into()),
        parts: joint
            .iter()
            .map(|u| JointPart {
                unit: (*u).into(),
                task: format!("{u} 的联办任务"),
                due: Some(now() + 2 * 86_400),
            })
            .collect(),
        supervisor: Some(WATCHER.into()),
        ..step(Action::Dispatch, SUP_ROLE, "")
    }
}

fn follow_up(answer: Satisfaction) -> IncidentTransition {
    IncidentTransition {
        answer: Some(answer),
        ..step(Action::Assess, SUP_ROLE, "电话回访")
    }
}

/// Syncs `d`, appends `t` as its user, syncs again; the server must take it.
async fn act(d: &Device, id: &str, t: IncidentTransition) -> WorkflowState {
    d.sync().await.unwrap();
    let what = t.to.clone();
    let state = d.store.incident_transition(id, t).unwrap();
    let p = d.sync().await.unwrap();
    assert_eq!(
        p.rejected,
        0,
        "{what} by {}: {:?}",
        d.staff_id,
        d.store.sync_rejections().unwrap()
    );
    state
}

/// Syncs every device, checks each replays incident `id` the same, and returns
/// that state.
async fn converged(all: &[&Device], id: &str) -> WorkflowState {
    for d in all {
        d.sync().await.unwrap();
    }
    let states: Vec<WorkflowState> = all
        .iter()
        .map(|d| replay(&d.store.get::<Incident>(id).unwrap()))
        .collect();
    assert!(
        states.iter().all(|s| *s == states[0]),
        "every device shows the same"
    );
    states.into_iter().next().unwrap()
}

fn task_kinds(d: &Device, id: &str) -> Vec<TaskKind> {
    d.store
        .my_tasks(now(), DayCount::WorkDays)
        .unwrap()
        .into_iter()
        .filter(|t| t.incident.id == id)
        .map(|t| t.kind)
        .collect()
}

fn report(worker: &Device, grid: &str) -> String {
    worker
        .store
        .report_incident(&Incident {
            grid_code: grid.into(),
            category: "dispute.neighbour".into(),
            description: "两户因宅基地界址发生争执，需司法所和市场监管所配合".into(),
            location: None,
            reporter_id: worker.staff_id.clone(),
            reported_at: now(),
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .unwrap()
}

async fn the_joint_loop(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", demo::village_code(1));
    let enrol = |name: &'static str, staff: String| {
        let (server, dir) = (&server, dir.path());
        async move { Device::enrol(server, &server.url, dir, name, &staff).await }
    };
    let worker = Device::worker(&server, dir.path(), "worker", &g).await;
    let sup = enrol("sup", TOWN_SUPERVISOR.into()).await;
    let lead = enrol("lead", "handler-zhifa".into()).await;
    let a = enrol("joint-a", "handler-sifa".into()).await;
    let b = enrol("joint-b", "handler-scjds".into()).await;
    let watcher = enrol("watcher", "handler-zongzhi".into()).await;
    let inspector = enrol("inspector", format!("inspector-{g}")).await;
    let all = [&worker, &sup, &lead, &a, &b, &watcher, &inspector];
    for d in all {
        d.sync().await.unwrap();
        // Nothing waits for anyone yet: the check answers, nothing to sync.
        assert!(
            d.client
                .sync_if_news(&d.store, |_| {})
                .await
                .unwrap()
                .is_none()
        );
    }

    let id = report(&worker, &g);
    worker.sync().await.unwrap();
    // The command centre hears of the new report.
    assert!(sup.client.check_news(&sup.store).await.unwrap().count >= 1);
    sup.client.sync_if_news(&sup.store, |_| {}).await.unwrap();
    assert_eq!(task_kinds(&sup, &id), [TaskKind::Accept]);
    act(&sup, &id, step(Action::Accept, SUP_ROLE, "")).await;
    let s = act(&sup, &id, dispatch(&[JOINT_A, JOINT_B])).await;
    assert_eq!((s.stage, s.parts.len()), (Stage::Dispatched, 2));

    // Each unit's phone learns of the dispatch from one small check.
    for d in [&lead, &a, &b, &watcher] {
        let check = d.client.check_news(&d.store).await.unwrap();
        assert!(check.count >= 1, "{} heard nothing", d.staff_id);
        assert!(
            d.client
                .sync_if_news(&d.store, |_| {})
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(d.client.check_news(&d.store).await.unwrap().count, 0);
    }
    assert_eq!(task_kinds(&lead, &id), [TaskKind::Lead]);
    assert_eq!(task_kinds(&a, &id), [TaskKind::Joint]);
    assert_eq!(task_kinds(&watcher, &id), [TaskKind::Supervise]);
    let joint_task = a.store.my_tasks(now(), DayCount::WorkDays).unwrap();
    assert_eq!(
        joint_task[0].part_task.as_deref(),
        Some(format!("{JOINT_A} 的联办任务").as_str())
    );
    assert_eq!(
        joint_task[0].actions,
        [Action::PartStart, Action::PartFinish, Action::PartReturn]
    );
    assert!(task_kinds(&worker, &id).is_empty());

    // A handler of another unit may not act on a joint part: the server refuses it.
    let intruder = enrol("intruder", "handler-bianmin".into()).await;
    intruder.sync().await.unwrap();
    intruder
        .store
        .incident_transition(&id, part(Action::PartFinish, JOINT_B, "代为办结"))
        .unwrap();
    assert_eq!(intruder.sync().await.unwrap().rejected, 1);
    let r = intruder.store.sync_rejections().unwrap();
    assert!(r[0].reason.contains("does not act for"), "{}", r[0].reason);

    act(&lead, &id, step(Action::StartHandling, HANDLER, "")).await;
    act(&a, &id, part(Action::PartStart, JOINT_A, "")).await;
    act(
        &a,
        &id,
        part(Action::PartFinish, JOINT_A, "已调解并形成书面协议"),
    )
    .await;
    act(&b, &id, part(Action::PartFinish, JOINT_B, "已核查经营许可")).await;
    // The lead sends joint-b's part back to be redone; joint-b hears of it.
    act(&lead, &id, part(Action::PartRedo, JOINT_B, "缺少现场照片")).await;
    assert!(
        b.client
            .sync_if_news(&b.store, |_| {})
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(task_kinds(&b, &id), [TaskKind::Joint]);
    // Urged by the supervising unit by phone, with a promised date.
    let s = act(
        &watcher,
        &id,
        IncidentTransition {
            urge: Some(Urge {
                unit: JOINT_B.into(),
                method: UrgeMethod::Phone,
                promised: Some(now() + 86_400),
            }),
            ..step(Action::Urge, HANDLER, "联办任务已预警，请今日补齐")
        },
    )
    .await;
    assert_eq!(s.urges.len(), 1);
    assert!(b.client.check_news(&b.store).await.unwrap().count >= 1);
    b.client.sync_if_news(&b.store, |_| {}).await.unwrap();
    let urged = b.store.my_tasks(now(), DayCount::WorkDays).unwrap();
    assert_eq!(urged[0].incident.id, id, "the urged task comes first");
    assert!(urged[0].urged_at.is_some());
    act(&b, &id, part(Action::PartFinish, JOINT_B, "已补拍照片")).await;
    assert!(
        b.store
            .my_tasks(now(), DayCount::WorkDays)
            .unwrap()
            .iter()
            .all(|t| t.urged_at.is_none())
    );

    act(
        &lead,
        &id,
        step(Action::Finish, HANDLER, "双方达成协议，界桩已重设"),
    )
    .await;
    inspector
        .client
        .sync_if_news(&inspector.store, |_| {})
        .await
        .unwrap();
    assert_eq!(task_kinds(&inspector, &id), [TaskKind::Verify]);
    act(&inspector, &id, step(Action::Verify, "inspector", "")).await;
    act(&sup, &id, step(Action::Close, SUP_ROLE, "")).await;
    assert_eq!(task_kinds(&sup, &id), [TaskKind::FollowUp]);
    act(&sup, &id, follow_up(Satisfaction::Unreachable)).await;
    let s = act(&sup, &id, follow_up(Satisfaction::Unsatisfied)).await;
    assert_eq!(s.stage, Stage::Assessed);
    assert_eq!(task_kinds(&sup, &id), [TaskKind::Reprocess]);
    act(
        &sup,
        &id,
        step(Action::Reprocess, SUP_ROLE, "群众反映界桩位置仍有争议"),
    )
    .await;
    act(&sup, &id, dispatch(&[])).await;
    act(&lead, &id, step(Action::StartHandling, HANDLER, "")).await;
    act(
        &lead,
        &id,
        step(Action::Finish, HANDLER, "会同双方重新测量"),
    )
    .await;
    act(&inspector, &id, step(Action::Verify, "inspector", "")).await;
    act(&sup, &id, step(Action::Close, SUP_ROLE, "")).await;
    act(&sup, &id, follow_up(Satisfaction::Satisfied)).await;

    for d in all {
        d.sync().await.unwrap();
    }
    let on_server = server.state.storage.document(&id).await.unwrap().unwrap();
    let server_copy: Incident = fieldgrid_core::read_record(&id, &on_server.data).unwrap();
    let expected = replay(&server_copy);
    assert_eq!(expected.stage, Stage::Assessed);
    assert_eq!(expected.satisfaction, Some(Satisfaction::Satisfied));
    assert_eq!(expected.follow_ups.len(), 3);
    assert!(expected.conflicts.is_empty(), "{:?}", expected.conflicts);
    for d in all
        .iter()
        .filter(|d| d.staff_id != "handler-sifa")
        .copied()
        .chain([&a])
    {
        let mine = replay(&d.store.get::<Incident>(&id).unwrap());
        assert_eq!(mine, expected, "{} agrees with the server", d.staff_id);
    }
    let catalogue = fieldgrid_core::incident::default_catalogue();
    let stats = statistics(
        [(&server_copy, &expected)],
        |_, _| Some("town".into()),
        &catalogue,
        DayCount::WorkDays,
        (now() - 3600, now() + 3600),
        now(),
    );
    // A grid worker's phone is told of nothing: none of it is theirs to act on.
    assert_eq!(
        worker.client.check_news(&worker.store).await.unwrap().count,
        0
    );
    let town = &stats["town"];
    assert_eq!(
        (town.received, town.accepted, town.closed, town.urged),
        (1, 1, 1, 1)
    );
    assert_eq!(town.closure_rate, Some(1.0));
    assert_eq!(town.satisfaction_rate, Some(1.0));

    // The command centre's statistics export says the same, from the server.
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    let (cookie, _) = sign_in(&server.url, "sun", "correct horse").await;
    let csv = client()
        .get(format!("{}/ui/export/stats.csv?by=grid", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cells = |l: &str| -> Vec<String> {
        l.trim_start_matches('\u{feff}')
            .split(',')
            .map(|c| c.trim_matches('"').to_owned())
            .collect()
    };
    let mut lines = csv.lines();
    let head = cells(lines.next().unwrap());
    let rows: Vec<Vec<String>> = lines.map(cells).collect();
    assert_eq!(rows.len(), 1, "one grid had cases: {csv}");
    let row = &rows[0];
    let col = |name: &str| -> &str {
        let at = head
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {head:?}"));
        &row[at]
    };
    assert_eq!(
        (
            col("受理量"),
            col("办结率"),
            col("已回访"),
            col("满意率"),
            col("催办")
        ),
        ("1", "1.0000", "1", "1.0000", "1"),
        "{csv}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lead_joint_and_supervised_handling_on_sqlite() {
    the_joint_loop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lead_joint_and_supervised_handling_on_postgres() {
    the_joint_loop(Backend::Postgres).await;
}

/// Two joint units finish their parts offline at once; both apply everywhere.
/// Then the lead finishes offline while the command centre sends a part back to be
/// redone: whichever Automerge orders first applies, the other is flagged, and
/// every device shows the same. Then a lead finishes while a joint unit, offline,
/// sends back a part the centre had released: the return is flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_steps_on_joint_parts_converge() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}002", demo::village_code(1));
    let worker = Device::worker(&server, dir.path(), "worker", &g).await;
    let sup = Device::enrol(&server, &server.url, dir.path(), "sup", TOWN_SUPERVISOR).await;
    let lead = Device::enrol(&server, &server.url, dir.path(), "lead", "handler-zhifa").await;
    let a = Device::enrol(&server, &server.url, dir.path(), "a", "handler-sifa").await;
    let b = Device::enrol(&server, &server.url, dir.path(), "b", "handler-scjds").await;
    let all = [&worker, &sup, &lead, &a, &b];
    let id = report(&worker, &g);
    worker.sync().await.unwrap();
    act(&sup, &id, step(Action::Accept, SUP_ROLE, "")).await;
    act(&sup, &id, dispatch(&[JOINT_A, JOINT_B])).await;
    act(&lead, &id, step(Action::StartHandling, HANDLER, "")).await;
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    // Offline at once.
    a.store
        .incident_transition(&id, part(Action::PartFinish, JOINT_A, "已调解"))
        .unwrap();
    b.store
        .incident_transition(&id, part(Action::PartFinish, JOINT_B, "已核查"))
        .unwrap();
    assert_eq!(a.sync().await.unwrap().rejected, 0);
    assert_eq!(b.sync().await.unwrap().rejected, 0);
    for d in all {
        d.sync().await.unwrap();
    }
    let s = replay(&lead.store.get::<Incident>(&id).unwrap());
    assert!(
        s.parts.iter().all(|p| p.status == PartStatus::Finished),
        "{:?}",
        s.parts
    );
    assert!(s.conflicts.is_empty());

    // The lead finishes while the centre, offline, sends joint-b's part back.
    lead.store
        .incident_transition(&id, step(Action::Finish, HANDLER, "已办结"))
        .unwrap();
    sup.store
        .incident_transition(
            &id,
            IncidentTransition {
                part: Some(JOINT_B.into()),
                ..step(Action::PartRedo, SUP_ROLE, "协议缺少签字")
            },
        )
        .unwrap();
    assert_eq!(lead.sync().await.unwrap().rejected, 0);
    assert_eq!(sup.sync().await.unwrap().rejected, 0);
    let s = &converged(&all, &id).await;
    assert_eq!(
        s.conflicts.len(),
        1,
        "one of the two is flagged: {:?}",
        s.conflicts
    );
    match s.stage {
        // The finish came first: the redo arrived too late.
        Stage::Handled => assert_eq!(s.part(JOINT_B).unwrap().status, PartStatus::Finished),
        // The redo came first: the lead may not finish with the part open.
        Stage::Handling => {
            assert_eq!(s.part(JOINT_B).unwrap().status, PartStatus::Handling);
            assert!(
                s.conflicts[0].reason.contains("联办任务"),
                "{:?}",
                s.conflicts
            );
        }
        other => panic!("unexpected stage {other:?}"),
    }

    // A lead finishing while a joint unit sends its part back: the centre had
    // released the part (the lead saw it), the joint unit's phone had not.
    let id = report(&worker, &g);
    worker.sync().await.unwrap();
    act(&sup, &id, step(Action::Accept, SUP_ROLE, "")).await;
    act(&sup, &id, dispatch(&[JOINT_A])).await;
    act(&lead, &id, step(Action::StartHandling, HANDLER, "")).await;
    a.sync().await.unwrap();
    act(
        &sup,
        &id,
        IncidentTransition {
            part: Some(JOINT_A.into()),
            ..step(Action::PartRelease, SUP_ROLE, "改由主办单位一并办理")
        },
    )
    .await;
    lead.sync().await.unwrap();
    lead.store
        .incident_transition(&id, step(Action::Finish, HANDLER, "已办结"))
        .unwrap();
    a.store
        .incident_transition(&id, part(Action::PartReturn, JOINT_A, "非本单位职责"))
        .unwrap();
    assert_eq!(a.sync().await.unwrap().rejected, 0);
    assert_eq!(lead.sync().await.unwrap().rejected, 0);
    let s = &converged(&all, &id).await;
    assert_eq!(
        s.stage,
        Stage::Handled,
        "the lead's finish stands in either order"
    );
    assert_eq!(s.part(JOINT_A).unwrap().status, PartStatus::Released);
    // The return was made without seeing the release, so Automerge may order it
    // before the release too. There it applies and the release (allowed from a
    // returned part) follows it. After the release it meets a released part, and
    // after the finish a handled case: flagged.
    let returned_first = s.conflicts.is_empty();
    if !returned_first {
        assert_eq!(s.conflicts.len(), 1, "{:?}", s.conflicts);
        assert_eq!(s.conflicts[0].by, "handler-sifa");
        let reason = &s.conflicts[0].reason;
        assert!(
            reason.contains("已免办") || reason.contains("已处置"),
            "{reason}"
        );
    }
    let on_server: Incident = fieldgrid_core::read_record(
        &id,
        &server
            .state
            .storage
            .document(&id)
            .await
            .unwrap()
            .unwrap()
            .data,
    )
    .unwrap();
    assert_eq!(replay(&on_server), *s, "the server replays the same");
    server.stop().await;
}
