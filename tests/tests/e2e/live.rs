//! Live positions and new reports, end to end: a phone on patrol sends its latest
//! position in one tiny request; an open page's server-sent events carry it within
//! seconds, with the worker's name; a new report follows the same way. On
//! PostgreSQL the page is open on a second server instance and everything reaches
//! it through LISTEN/NOTIFY. A phone with no signal sends nothing and nothing is
//! kept; bad, stale and out-of-area positions are refused.

use std::time::Duration;

use fieldgrid_core::org::demo::TOWN_SUPERVISOR;
use fieldgrid_core::patrol::TravelMode;
use fieldgrid_core::patrol::synthetic::{Walk, sweep};
use fieldgrid_core::protocol::PositionUpdate;
use fieldgrid_core::records::{GeoPoint, Incident};
use fieldgrid_core::sync::SyncClient;
use fieldgrid_server::Settings;
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::server::Instance;
use fieldgrid_tests::web::{Events, client, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer, now_ms};
use reqwest::StatusCode;

const GRID: &str = "320722104201001";

/// A patrol running now, with a minute of fixes just taken.
fn patrolling(d: &Device) -> String {
    let patrol = d
        .store
        .start_patrol(GRID, "日常巡查", TravelMode::Walking)
        .unwrap();
    let walk = Walk {
        route: sweep((34.502, 118.7005), 200.0, 200.0, 50.0),
        speed_mps: 1.3,
        interval_ms: 1_000,
        noise_m: 3.0,
        seed: 5,
    };
    let fixes: Vec<_> = walk.fixes(now_ms() - 60_000).into_iter().take(60).collect();
    d.store.ingest_fixes(&patrol, &fixes).unwrap();
    patrol
}

async fn positions_reach_an_open_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    // On PostgreSQL the page is open on a second instance: the events cross
    // between the instances through the database's LISTEN/NOTIFY.
    let second = match backend {
        Backend::Postgres => Some(
            Instance::start(
                server.state.storage.clone(),
                server.state.blobs.clone(),
                Settings::default(),
            )
            .await,
        ),
        Backend::Sqlite => None,
    };
    let page_url = second
        .as_ref()
        .map_or(server.url.clone(), |s| s.url.clone());
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    let (cookie, _) = sign_in(&page_url, "sun", "correct horse").await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Device::worker(&server, dir.path(), "live", GRID).await;
    phone.sync().await.unwrap();
    let mut events = Events::open(&page_url, &cookie).await;

    // No patrol running: nothing to send.
    assert!(!phone.client.send_position(&phone.store).await.unwrap());
    let patrol = patrolling(&phone);
    let sent = std::time::Instant::now();
    assert!(phone.client.send_position(&phone.store).await.unwrap());
    let data = events
        .wait_for("position", &phone.staff_id, Duration::from_secs(10))
        .await
        .expect("the position reached the open page");
    let latency = sent.elapsed();
    let shown: serde_json::Value = serde_json::from_str(&data).unwrap();
    let name = &server
        .state
        .org_tree()
        .await
        .unwrap()
        .staff
        .iter()
        .find(|s| s.id == phone.staff_id)
        .unwrap()
        .name
        .clone();
    assert_eq!(&shown["name"], name.as_str());
    assert_eq!(shown["grid"], GRID);
    assert!(
        (shown["lat"].as_f64().unwrap() - 34.502).abs() < 0.01,
        "{shown}"
    );
    println!("position to page in {latency:?}");
    assert!(latency < Duration::from_secs(5), "{latency:?}");
    // The body on the wire is a few dozen bytes.
    let update = phone
        .store
        .live_position(now_ms(), 120_000)
        .unwrap()
        .unwrap();
    assert!(
        update.encode().len() < 40,
        "{} bytes",
        update.encode().len()
    );

    // A new report reaches the page the same way, with its category in Chinese.
    let incident = phone
        .store
        .report_incident(&Incident {
            grid_code: GRID.into(),
            category: "fire.passage.blocked".into(),
            description: "楼道堆放杂物".into(),
            location: Some(GeoPoint {
                lat: 34.5021,
                lon: 118.7006,
            }),
            reporter_id: phone.staff_id.clone(),
            reported_at: now_ms() / 1000,
            urgency: Default::default(),
            transitions: Vec::new(),
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .unwrap();
    phone.sync().await.unwrap();
    let report = events
        .wait_for("report", &incident, Duration::from_secs(10))
        .await
        .expect("the new report reached the open page");
    assert!(report.contains("通道堵塞"), "{report}");

    // The page starts from the positions already known (a page opened later).
    let mut later = Events::open(&page_url, &cookie).await;
    assert!(
        later
            .wait_for("position", &phone.staff_id, Duration::from_secs(5))
            .await
            .is_some()
    );
    let (status, screen) = {
        let r = client()
            .get(format!("{page_url}/ui/api/screen"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<serde_json::Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(screen["live_workers"], 1, "{screen}");
    assert!(
        screen["figures"]["received"].as_u64().unwrap() >= 1,
        "{screen}"
    );

    // No signal: the send fails as offline, nothing is queued or kept.
    let kept = server.state.storage.live_positions(0).await.unwrap();
    let offline = SyncClient::new("http://127.0.0.1:9", &phone.token, "test").unwrap();
    assert!(offline.send_position(&phone.store).await.is_err());
    assert_eq!(server.state.storage.live_positions(0).await.unwrap(), kept);
    assert_eq!(phone.store.sync_status().unwrap().pending_records, 0);

    // Bad input: refused with what was wrong; nothing kept.
    let post = |body: Vec<u8>| {
        let url = format!("{}/v1/position", server.url);
        let token = phone.token.clone();
        async move {
            let r = client()
                .post(url)
                .bearer_auth(token)
                .header("content-type", "application/cbor")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let now = now_ms() / 1000;
    let at = |at: i64, grid: &str, lat: i32| {
        PositionUpdate {
            at,
            lat_e6: lat,
            lon_e6: 118_700_500,
            accuracy_m: 5,
            grid: grid.into(),
        }
        .encode()
    };
    for (body, status, says) in [
        (b"not cbor".to_vec(), StatusCode::BAD_REQUEST, "CBOR array"),
        (vec![0u8; 400], StatusCode::BAD_REQUEST, "at most 128 bytes"),
        (
            at(now, GRID, 95_000_000),
            StatusCode::BAD_REQUEST,
            "out of range",
        ),
        (
            at(now - 3_600, GRID, 34_502_000),
            StatusCode::BAD_REQUEST,
            "stale",
        ),
        (
            at(now + 3_600, GRID, 34_502_000),
            StatusCode::BAD_REQUEST,
            "clock",
        ),
        (
            at(now, "320722105201001", 34_502_000),
            StatusCode::NOT_FOUND,
            "not found",
        ),
        (
            at(now, "<script>", 34_502_000),
            StatusCode::BAD_REQUEST,
            "not a grid code",
        ),
    ] {
        let (s, text) = post(body).await;
        assert_eq!(s, status, "{text}");
        assert!(text.contains(says), "{text}");
    }
    assert_eq!(server.state.storage.live_positions(0).await.unwrap(), kept);
    phone.store.stop_patrol(&patrol).unwrap();
    assert!(
        !phone.client.send_position(&phone.store).await.unwrap(),
        "a stopped patrol sends nothing"
    );
    println!("{} bytes of events read by the first page", events.bytes);
    // A server stopping ends the open pages' streams instead of waiting on them.
    let stopping = std::time::Instant::now();
    drop(second);
    server.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "stopping took {:?} with pages open",
        stopping.elapsed()
    );
    assert!(
        events
            .wait_for("position", "none", Duration::from_secs(2))
            .await
            .is_none()
    );
    drop(later);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_reach_an_open_page_on_sqlite() {
    positions_reach_an_open_page(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_reach_an_open_page_on_another_instance_over_postgres() {
    positions_reach_an_open_page(Backend::Postgres).await;
}
