//! Several real phones (`FieldStore`s) and a real server on loopback, on SQLite and
//! on PostgreSQL: convergence, the cost of a sync with nothing new, scopes, and
//! credentials.

use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::records::{FieldValue, Household, RecordKind};
use fieldgrid_core::sync::{SyncClient, SyncError};
use fieldgrid_server::Settings;
use fieldgrid_tests::proxy::FaultProxy;
use fieldgrid_tests::{Backend, Device, TestServer};

macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        $(mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$scenario(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$scenario(super::Backend::Postgres).await
            }
        })*
    };
}

on_both_backends!(
    offline_edits_on_three_devices_converge,
    a_sync_with_nothing_new_is_one_small_round_trip,
    workers_only_read_and_write_their_grids,
    credentials_are_checked_and_revoked_devices_wiped,
);

fn grid(village: usize, n: u32) -> String {
    format!("{}{n:03}", demo::village_code(village))
}

async fn offline_edits_on_three_devices_converge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = grid(0, 1);
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    let b = Device::enrol(&server, &server.url, dir.path(), "b", &format!("chief-{g}")).await;
    let c = Device::enrol(
        &server,
        &server.url,
        dir.path(),
        "c",
        &format!("inspector-{g}"),
    )
    .await;

    let mut house = Household::new(&g, "安峰镇安峰村12号", "刘凤");
    house
        .fields
        .insert("basic.house_type".into(), "砖混".into());
    let id = a.store.create(&house).unwrap();
    // A second household in a second-level grid inside g: the worker's scope covers it.
    let sub = a
        .store
        .create(&Household::new(&grid(0, 101), "安峰村南片3号", "王丽"))
        .unwrap();
    let first = a.sync().await.unwrap();
    assert_eq!(first.pushed, 2);
    for d in [&b, &c] {
        let p = d.sync().await.unwrap();
        assert_eq!(p.pulled, 2, "{p:?}");
    }
    // Reference data arrived with the first sync: the org tree and the catalogue.
    assert_eq!(b.store.org_tree_version().unwrap(), Some(1));
    let catalogue = b.store.catalogue().unwrap().expect("catalogue");
    assert_eq!(
        catalogue.deadlines_for("fire.passage.blocked").resolve_days,
        1
    );

    // Offline edits: different fields, and one field edited on A and C concurrently.
    a.store
        .update::<Household>(&id, |h| {
            h.fields
                .insert("income.annual_total".into(), FieldValue::Int(52_000));
            h.fields.insert("basic.house_type".into(), "砖木".into());
        })
        .unwrap();
    b.store
        .update::<Household>(&id, |h| h.door_plate = Some("AF-0012".into()))
        .unwrap();
    c.store
        .update::<Household>(&id, |h| {
            h.fields.insert("basic.house_type".into(), "钢混".into());
        })
        .unwrap();
    c.store
        .update::<Household>(&sub, |h| h.head_name = "王丽华".into())
        .unwrap();
    for d in [&a, &b, &c, &a, &b] {
        d.sync().await.unwrap();
    }
    let ha: Household = a.store.get(&id).unwrap();
    assert_eq!(ha, b.store.get::<Household>(&id).unwrap());
    assert_eq!(ha, c.store.get::<Household>(&id).unwrap());
    assert_eq!(a.store.heads(&id).unwrap(), c.store.heads(&id).unwrap());
    assert_eq!(ha.fields["income.annual_total"], FieldValue::Int(52_000));
    assert_eq!(ha.door_plate.as_deref(), Some("AF-0012"));
    assert_eq!(a.store.get::<Household>(&sub).unwrap().head_name, "王丽华");
    let conflicts = b.store.conflicts(&id).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].path, "fields/basic.house_type");
    assert_eq!(conflicts, a.store.conflicts(&id).unwrap());

    // B settles the conflict; everyone converges on it.
    b.store
        .update::<Household>(&id, |h| {
            h.fields.insert("basic.house_type".into(), "砖混".into());
        })
        .unwrap();
    for d in [&b, &a, &c] {
        d.sync().await.unwrap();
    }
    for d in [&a, &b, &c] {
        assert!(d.store.conflicts(&id).unwrap().is_empty());
        assert_eq!(
            d.store.get::<Household>(&id).unwrap(),
            b.store.get::<Household>(&id).unwrap()
        );
        let status = d.store.sync_status().unwrap();
        assert_eq!(status.pending_records, 0);
        assert!(status.last_success.is_some() && status.last_error.is_none());
    }
    // The field history crossed devices too.
    let history = c
        .store
        .field_history(&id, "fields/basic.house_type")
        .unwrap();
    assert_eq!(
        history.last().unwrap().user_id.as_deref(),
        Some(b.staff_id.as_str())
    );

    // A new device of the town supervisor gets everything in its first sync.
    let s = Device::enrol(&server, &server.url, dir.path(), "s", TOWN_SUPERVISOR).await;
    s.sync().await.unwrap();
    assert_eq!(
        s.store.get::<Household>(&id).unwrap(),
        b.store.get::<Household>(&id).unwrap()
    );
    assert_eq!(s.store.documents().unwrap().len(), 2);
    server.stop().await;
}

async fn a_sync_with_nothing_new_is_one_small_round_trip(backend: Backend) {
    let server = TestServer::start(backend).await;
    let proxy = FaultProxy::start(server.addr, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let g = grid(1, 2);
    let a = Device::enrol(&server, &proxy.url, dir.path(), "a", &format!("worker-{g}")).await;
    for i in 0..30 {
        a.store
            .create(&Household::new(&g, &format!("山口村{i}号"), "张军"))
            .unwrap();
    }
    a.sync().await.unwrap();
    a.sync().await.unwrap();

    let before = proxy.counters.bytes();
    let connections = proxy
        .counters
        .connections
        .load(std::sync::atomic::Ordering::Relaxed);
    let retries = a.client.retries();
    let p = a.sync().await.unwrap();
    let wire = proxy.counters.bytes() - before;
    // A request sent again (a busy database answering 503 on a loaded machine)
    // costs its bytes again: each attempt is held to the bound.
    let attempts = 1 + a.client.retries() - retries;
    assert_eq!(p.rounds, 1, "{p:?}");
    assert_eq!((p.pushed, p.pulled), (0, 0));
    assert!(
        wire < 1024 * attempts,
        "a sync with nothing new cost {wire} bytes on the wire in {attempts} attempts"
    );
    assert!(
        proxy
            .counters
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
            - connections
            <= 1,
        "at most one new connection"
    );
    println!(
        "nothing-new sync: {} request + {} response body bytes, {wire} bytes on the wire",
        p.bytes_sent, p.bytes_received
    );
    server.stop().await;
}

async fn workers_only_read_and_write_their_grids(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let (ga, gb) = (grid(0, 1), grid(1, 1));
    let a = Device::worker(&server, dir.path(), "a", &ga).await;
    let b = Device::worker(&server, dir.path(), "b", &gb).await;
    let s = Device::enrol(&server, &server.url, dir.path(), "s", TOWN_SUPERVISOR).await;

    let in_b = b
        .store
        .create(&Household::new(&gb, "山口村8号", "赵桂兰"))
        .unwrap();
    let in_a = a
        .store
        .create(&Household::new(&ga, "安峰村9号", "刘凤"))
        .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    s.sync().await.unwrap();
    // Reading: A never receives grid B's household; the supervisor gets both.
    assert!(
        a.store
            .documents()
            .unwrap()
            .iter()
            .all(|d| d.grid_code == ga)
    );
    assert!(matches!(
        a.store.heads(&in_b),
        Err(fieldgrid_core::Error::NotFound { .. })
    ));
    assert_eq!(s.store.documents().unwrap().len(), 2);

    // Writing a new record into grid B: refused, not stored, remembered on the phone.
    let stray = a
        .store
        .create(&Household::new(&gb, "山口村10号", "孙磊"))
        .unwrap();
    let p = a.sync().await.unwrap();
    assert_eq!(p.rejected, 1, "{p:?}");
    assert!(
        server
            .state
            .storage
            .document(&stray)
            .await
            .unwrap()
            .is_none()
    );
    let rejections = a.store.sync_rejections().unwrap();
    assert_eq!(
        (rejections[0].id.as_str(), rejections[0].code.as_str()),
        (stray.as_str(), "out_of_scope")
    );
    assert_eq!(a.store.sync_status().unwrap().rejected_records, 1);
    // Not pushed again until it changes.
    assert_eq!(a.sync().await.unwrap().rejected, 0);

    // Editing grid B's household with bytes obtained elsewhere: refused.
    let leaked = s.store.changes_since(&in_b, &[]).unwrap();
    a.store
        .apply_changes(RecordKind::Household, &in_b, &leaked)
        .unwrap();
    a.store
        .update::<Household>(&in_b, |h| h.head_name = "改名".into())
        .unwrap();
    assert!(a.sync().await.unwrap().rejected >= 1);
    let stored = server.state.storage.document(&in_b).await.unwrap().unwrap();
    let merged =
        fieldgrid_core::merge_document(RecordKind::Household, &in_b, None, &stored.data).unwrap();
    assert_eq!(merged.title, "赵桂兰 · 山口村8号");

    // Moving its own household into grid B: refused; the server keeps it in grid A.
    a.store
        .update::<Household>(&in_a, |h| h.grid_code = gb.clone())
        .unwrap();
    assert!(a.sync().await.unwrap().rejected >= 1);
    assert_eq!(
        server
            .state
            .storage
            .document(&in_a)
            .await
            .unwrap()
            .unwrap()
            .grid_code,
        ga
    );
    server.stop().await;
}

async fn credentials_are_checked_and_revoked_devices_wiped(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = grid(2, 1);
    let a = Device::worker(&server, dir.path(), "a", &g).await;
    a.store
        .create(&Household::new(&g, "北芹村1号", "陈敏"))
        .unwrap();
    a.sync().await.unwrap();

    // Unknown and empty tokens.
    for token in ["not-a-token", ""] {
        let bogus = SyncClient::new(&server.url, token, "1.0.0").unwrap();
        let err = bogus.sync(&a.store, |_| {}).await.unwrap_err();
        assert!(matches!(err, SyncError::Unauthenticated(_)), "{err}");
    }
    // A registration nobody approved yet.
    let pending_store = fieldgrid_core::FieldStore::open(dir.path().join("p.sqlite")).unwrap();
    let reg = SyncClient::register(
        &server.url,
        &pending_store,
        "李芳",
        &fieldgrid_tests::id_number(7),
        "13800001111",
    )
    .await
    .unwrap();
    let pending = SyncClient::new(&server.url, &reg.token, "1.0.0").unwrap();
    assert_eq!(
        pending
            .registration_state(&reg.registration_id)
            .await
            .unwrap(),
        fieldgrid_core::sync::RegistrationState::Pending
    );
    let err = pending.sync(&pending_store, |_| {}).await.unwrap_err();
    assert!(matches!(err, SyncError::Unauthenticated(_)), "{err}");
    assert!(pending_store.sync_status().unwrap().last_error.is_some());

    // Revoked: the next sync is refused and told to wipe.
    let status = server
        .admin_post(
            &format!("/v1/admin/devices/{}/revoke", a.registration_id),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let err = a.sync().await.unwrap_err();
    assert!(matches!(err, SyncError::DeviceRevoked), "{err}");
    a.store.wipe_local_data().unwrap();
    assert!(a.store.documents().unwrap().is_empty());
    // Admin calls need an admin token.
    let denied = reqwest::Client::new()
        .post(format!(
            "{}/v1/admin/devices/{}/revoke",
            server.url, a.registration_id
        ))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), reqwest::StatusCode::UNAUTHORIZED);

    // An app older than the server's minimum is told to update.
    let strict = TestServer::start_with(
        backend,
        Settings {
            min_app_version: "2.0.0".into(),
            ..Settings::default()
        },
    )
    .await;
    let old = Device::worker(&strict, dir.path(), "old", &g).await;
    let err = old.sync().await.unwrap_err();
    assert!(matches!(err, SyncError::UpgradeRequired(_)), "{err}");
    assert!(err.to_string().contains("please update"), "{err}");
    strict.stop().await;
    server.stop().await;
}

/// A phone moved to a server restored from an older backup: its cursor is ahead of
/// the server's sequence and the server lacks the history of its record. Both are
/// recovered from: a fresh first sync, and the whole document pushed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_restored_from_an_older_backup_is_caught_up() {
    let old = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let g = grid(6, 1);
    let a = Device::worker(&old, dir.path(), "a", &g).await;
    let id = a
        .store
        .create(&Household::new(&g, "石埠村3号", "杨志强"))
        .unwrap();
    for i in 0..5 {
        a.store
            .create(&Household::new(&g, &format!("石埠村{i}号"), "孙芳"))
            .unwrap();
    }
    a.sync().await.unwrap();
    old.stop().await;

    // The "restored" server knows nothing of these records, and its sequence is at 0.
    let restored = TestServer::start(Backend::Sqlite).await;
    let w = Device::enrol(
        &restored,
        &restored.url,
        dir.path(),
        "w",
        &format!("chief-{g}"),
    )
    .await;
    let theirs = w
        .store
        .create(&Household::new(&g, "石埠村9号", "吴军"))
        .unwrap();
    w.sync().await.unwrap();
    let token = {
        let reg = SyncClient::register(
            &restored.url,
            &a.store,
            "a",
            &fieldgrid_tests::id_number(77),
            "13900000000",
        )
        .await
        .unwrap();
        restored
            .admin_post(
                &format!("/v1/admin/registrations/{}/approve", reg.registration_id),
                serde_json::json!({ "staff_id": a.staff_id }),
            )
            .await;
        reg.token
    };
    let client = SyncClient::new(&restored.url, &token, "1.0.0").unwrap();
    a.store
        .update::<Household>(&id, |h| h.head_name = "杨志强(户主)".into())
        .unwrap();
    let p = client.sync(&a.store, |_| {}).await.unwrap();
    assert_eq!(
        p.rejected,
        0,
        "{p:?} {:?}",
        a.store.sync_rejections().unwrap()
    );
    let stored = restored
        .state
        .storage
        .document(&id)
        .await
        .unwrap()
        .expect("pushed whole");
    let merged =
        fieldgrid_core::merge_document(RecordKind::Household, &id, None, &stored.data).unwrap();
    assert_eq!(merged.title, "杨志强(户主) · 石埠村3号");
    assert_eq!(
        restored.state.storage.stats().await.unwrap().documents,
        7,
        "a's six records and w's one"
    );
    // And the phone received what the restored server had, despite its old cursor.
    assert!(a.store.heads(&theirs).is_ok());
    restored.stop().await;
}

/// A first sync pages through compacted documents, the device's own grids first:
/// a grid chief gets the first-level grid's records before its second-level grids'.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_first_sync_pages_own_grids_first() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let (own, sub) = (grid(7, 1), grid(7, 101));
    let w = Device::worker(&server, dir.path(), "w", &own).await;
    for i in 0..6 {
        w.store
            .create(&Household::new(
                &sub,
                &format!("林场社区南片{i}号"),
                "王建国",
            ))
            .unwrap();
        w.store
            .create(&Household::new(&own, &format!("林场社区{i}号"), "李秀英"))
            .unwrap();
    }
    w.sync().await.unwrap();

    let chief = Device::enrol(
        &server,
        &server.url,
        dir.path(),
        "chief",
        &format!("chief-{own}"),
    )
    .await;
    let client = SyncClient::new(&server.url, &chief.token, "1.0.0")
        .unwrap()
        .with_page_size(4);
    let mut grids_after_round = Vec::new();
    let p = client
        .sync(&chief.store, |_| {
            let mut grids: Vec<String> = chief
                .store
                .documents()
                .unwrap()
                .into_iter()
                .map(|d| d.grid_code)
                .collect();
            grids.sort();
            grids.dedup();
            grids_after_round.push(grids);
        })
        .await
        .unwrap();
    assert_eq!(p.pulled, 12);
    assert!(p.rounds >= 4, "{p:?}");
    // The first rounds bring only the chief's own grid; the sub-grid comes after.
    assert_eq!(grids_after_round[0], vec![own.clone()]);
    assert_eq!(grids_after_round[1], vec![own.clone()]);
    assert_eq!(
        grids_after_round.last().unwrap(),
        &[own.clone(), sub.clone()]
    );
    server.stop().await;
}

/// A worker is given a second grid (a new org tree version): the next sync brings
/// that grid's existing records, which the worker's position in the change
/// sequence had already passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_grown_scope_brings_the_new_grids_records() {
    use fieldgrid_core::org::{Role, RoleAssignment, Scope};
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let (ga, gb) = (grid(4, 2), grid(5, 2));
    let a = Device::worker(&server, dir.path(), "a", &ga).await;
    let b = Device::worker(&server, dir.path(), "b", &gb).await;
    let in_b = b
        .store
        .create(&Household::new(&gb, "西湖村20号", "孙伟"))
        .unwrap();
    b.sync().await.unwrap();
    a.store
        .create(&Household::new(&ga, "东湖村3号", "吴丽"))
        .unwrap();
    a.sync().await.unwrap();
    a.sync().await.unwrap();
    assert!(a.store.heads(&in_b).is_err(), "not in a's grids yet");

    let mut tree = demo::demo_county();
    tree.version = 2;
    let worker = tree.staff.iter_mut().find(|s| s.id == a.staff_id).unwrap();
    worker.roles.push(RoleAssignment {
        role: Role::FullTimeGridWorker,
        scope: Scope::Grid(gb.clone()),
    });
    fieldgrid_server::admin::publish(&server.state, &tree)
        .await
        .unwrap();

    let p = a.sync().await.unwrap();
    assert!(p.pulled >= 1, "{p:?}");
    assert_eq!(a.store.get::<Household>(&in_b).unwrap().head_name, "孙伟");
    assert_eq!(a.store.org_tree_version().unwrap(), Some(2));
    // And from then on, ordinary incremental syncs.
    b.store
        .update::<Household>(&in_b, |h| h.head_name = "孙伟华".into())
        .unwrap();
    b.sync().await.unwrap();
    a.sync().await.unwrap();
    assert_eq!(a.store.get::<Household>(&in_b).unwrap().head_name, "孙伟华");
    server.stop().await;
}
