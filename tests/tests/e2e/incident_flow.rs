//! The closed loop across devices: a grid worker reports, the town supervisor
//! escalates, the county administrator accepts and dispatches, a platform handler
//! returns it, handles it, an inspector reopens and then verifies it, and it is
//! closed — each on their own store, syncing through a real server. The server
//! refuses steps from someone without the role or scope.

use fieldgrid_core::incident::{Stage, replay};
use fieldgrid_core::org::demo::{self, COUNTY_ADMIN, TOWN_SUPERVISOR};
use fieldgrid_core::records::Incident;
use fieldgrid_tests::{Backend, Device, TestServer};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Appends a step as `d`'s user would, from the stage `d` sees.
fn act(d: &Device, id: &str, role: &str, to: &str, note: &str, assignee: Option<&str>) {
    let action = fieldgrid_core::incident::Action::parse(to).expect("a known step");
    d.store
        .incident_step(id, action, role, note, assignee)
        .unwrap();
}

async fn the_loop(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", demo::village_code(2));
    let worker = Device::worker(&server, dir.path(), "worker", &g).await;
    let sup = Device::enrol(&server, &server.url, dir.path(), "sup", TOWN_SUPERVISOR).await;
    let county = Device::enrol(&server, &server.url, dir.path(), "county", COUNTY_ADMIN).await;
    let handler = Device::enrol(&server, &server.url, dir.path(), "handler", "handler-zhifa").await;
    let verifier = Device::enrol(
        &server,
        &server.url,
        dir.path(),
        "verifier",
        &format!("inspector-{g}"),
    )
    .await;
    let all = [&worker, &sup, &county, &handler, &verifier];

    let id = worker
        .store
        .create(&Incident {
            grid_code: g.clone(),
            category: "urban.building.farmland".into(),
            description: "村民在耕地上违规搭建彩钢棚".into(),
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
        .unwrap();
    worker.sync().await.unwrap();

    let steps: [(&Device, &str, &str, &str, Option<&str>); 10] = [
        (
            &sup,
            "town_supervisor",
            "escalated",
            "涉及基本农田，需县里处理",
            None,
        ),
        (&county, "county_administrator", "accepted", "", None),
        (
            &county,
            "county_administrator",
            "dispatched",
            "",
            Some("综合执法平台"),
        ),
        (
            &handler,
            "department_handler",
            "returned",
            "需国土部门先行认定",
            None,
        ),
        (
            &county,
            "county_administrator",
            "dispatched",
            "",
            Some("综合执法平台/联办"),
        ),
        (&handler, "department_handler", "handling", "", None),
        (
            &handler,
            "department_handler",
            "handled",
            "已责令拆除",
            None,
        ),
        (
            &verifier,
            "inspector",
            "reopened",
            "现场仍有部分未拆除",
            None,
        ),
        (
            &handler,
            "department_handler",
            "handled",
            "已全部拆除并复耕",
            None,
        ),
        (&verifier, "inspector", "verified", "", None),
    ];
    for (d, role, to, note, assignee) in steps {
        d.sync().await.unwrap();
        act(d, &id, role, to, note, assignee);
        let p = d.sync().await.unwrap();
        assert_eq!(
            p.rejected,
            0,
            "{to} by {}: {:?}",
            d.staff_id,
            d.store.sync_rejections().unwrap()
        );
    }
    county.sync().await.unwrap();
    act(&county, &id, "county_administrator", "closed", "", None);
    county.sync().await.unwrap();
    for d in all {
        d.sync().await.unwrap();
    }
    let states: Vec<_> = all
        .iter()
        .map(|d| replay(&d.store.get::<Incident>(&id).unwrap()))
        .collect();
    assert_eq!(states[0].stage, Stage::Closed);
    assert_eq!(states[0].level, 1, "escalated once");
    assert!(states[0].conflicts.is_empty(), "{:?}", states[0].conflicts);
    assert!(
        states.iter().all(|s| *s == states[0]),
        "every device replays the same state"
    );

    // A grid worker cannot take the command centre's steps, nor sign as someone else.
    let second = worker
        .store
        .create(&Incident {
            transitions: vec![],
            ..worker.store.get::<Incident>(&id).unwrap()
        })
        .unwrap();
    worker.sync().await.unwrap();
    act(&worker, &second, "town_supervisor", "accepted", "", None);
    let p = worker.sync().await.unwrap();
    assert_eq!(p.rejected, 1);
    let r = worker.store.sync_rejections().unwrap();
    assert!(
        r[0].reason
            .contains("does not hold the role town_supervisor"),
        "{}",
        r[0].reason
    );
    let on_server = server
        .state
        .storage
        .document(&second)
        .await
        .unwrap()
        .unwrap();
    let server_copy: Incident = fieldgrid_core::read_record(&second, &on_server.data).unwrap();
    assert!(
        server_copy.transitions.is_empty(),
        "the forged step never reached the server"
    );

    // Nor report an incident in someone else's name.
    let forged = worker
        .store
        .create(&Incident {
            reporter_id: "worker-someone-else".into(),
            transitions: vec![],
            ..server_copy
        })
        .unwrap();
    assert!(worker.sync().await.unwrap().rejected >= 1);
    assert!(
        server
            .state
            .storage
            .document(&forged)
            .await
            .unwrap()
            .is_none()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_closed_loop_on_sqlite() {
    the_loop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_closed_loop_on_postgres() {
    the_loop(Backend::Postgres).await;
}

/// Two dispatchers dispatch the same incident offline to different platforms. After
/// syncing, every device shows the same dispatch and flags the other as a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_dispatches_resolve_the_same_everywhere() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", demo::village_code(3));
    let worker = Device::worker(&server, dir.path(), "worker", &g).await;
    let a = Device::enrol(&server, &server.url, dir.path(), "a", TOWN_SUPERVISOR).await;
    let b = Device::enrol(&server, &server.url, dir.path(), "b", COUNTY_ADMIN).await;
    let id = worker
        .store
        .create(&Incident {
            grid_code: g.clone(),
            category: "market.food_safety".into(),
            description: "集市摊点售卖过期食品".into(),
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
        .unwrap();
    worker.sync().await.unwrap();
    a.sync().await.unwrap();
    act(&a, &id, "town_supervisor", "accepted", "", None);
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    // Offline on both: each dispatches to a different platform.
    act(
        &a,
        &id,
        "town_supervisor",
        "dispatched",
        "",
        Some("市场监管平台"),
    );
    act(
        &b,
        &id,
        "county_administrator",
        "dispatched",
        "",
        Some("综合执法平台"),
    );
    for d in [&a, &b, &worker, &a, &b] {
        let p = d.sync().await.unwrap();
        assert_eq!(p.rejected, 0);
    }
    let states: Vec<_> = [&a, &b, &worker]
        .iter()
        .map(|d| replay(&d.store.get::<Incident>(&id).unwrap()))
        .collect();
    assert_eq!(states[0].stage, Stage::Dispatched);
    assert_eq!(states[0].conflicts.len(), 1, "{:?}", states[0].conflicts);
    assert!(
        states.iter().all(|s| *s == states[0]),
        "the same winner and the same conflict on every device"
    );
    let winner = states[0].assignee.clone().unwrap();
    let loser = &states[0].conflicts[0];
    assert!(["市场监管平台", "综合执法平台"].contains(&winner.as_str()));
    assert_ne!(
        loser.by,
        if winner == "市场监管平台" {
            TOWN_SUPERVISOR
        } else {
            COUNTY_ADMIN
        }
    );
    server.stop().await;
}
