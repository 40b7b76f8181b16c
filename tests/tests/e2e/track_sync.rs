//! GPS tracks through sync: a worker's sealed chunks upload idempotently, the server
//! keeps them per worker per day and computes the same review figures as the
//! phone; uploads survive the fault proxy's drops and mid-body cuts.

use std::time::Duration;

use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR};
use fieldgrid_core::patrol::export::iso8601;
use fieldgrid_core::patrol::{FigureConfig, figures};
use fieldgrid_tests::proxy::{FaultProxy, Faults};
use fieldgrid_tests::{Backend, Device, TestServer, now_ms, walk_patrol};
use reqwest::StatusCode;

fn grid() -> String {
    format!("{}001", demo::village_code(0))
}

/// Forty-five minutes of walking inside the grid, in batches of 60: four sealed
/// chunks and a fifth at stop.
fn patrol(d: &Device) -> String {
    walk_patrol(d, &grid(), now_ms() - 3_600_000, 800.0, 1000, 2_700, 9)
}

async fn get_json(server: &TestServer, token: &str, path: &str) -> (StatusCode, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn tracks_reach_the_server_and_give_the_same_figures(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = Device::worker(&server, dir.path(), "w", &grid()).await;
    let id = patrol(&worker);
    assert_eq!(worker.store.sync_status().unwrap().pending_track_chunks, 5);
    let p = worker.sync().await.unwrap();
    assert_eq!(p.track_chunks, 5, "{p:?}");
    assert_eq!(worker.store.sync_status().unwrap().pending_track_chunks, 0);
    assert_eq!(
        worker.sync().await.unwrap().track_chunks,
        0,
        "nothing uploaded twice"
    );

    // The supervisor reads the same figures the phone computes.
    let sup = Device::enrol(&server, &server.url, dir.path(), "s", TOWN_SUPERVISOR).await;
    let (status, review) = get_json(&server, &sup.token, &format!("/v1/tracks/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    let track = worker.store.track(&id).unwrap();
    let polygon = demo::demo_county()
        .grids
        .iter()
        .find(|g| g.code == grid())
        .unwrap()
        .polygon();
    let local = figures(&track, polygon.as_ref(), &[], &FigureConfig::default());
    assert_eq!(review["fixes"], track.len());
    assert!((review["figures"]["distance_m"].as_f64().unwrap() - local.distance_m).abs() < 1e-6);
    assert_eq!(review["figures"]["coverage"].as_f64(), local.coverage);
    // 3.5 km walked, covered 30 m either side: about 0.21 km² of the 5.1 km² grid.
    let c = local.coverage.unwrap();
    assert!((0.025..0.06).contains(&c), "coverage {c}");
    assert!(
        review["findings"].as_array().unwrap().is_empty(),
        "{}",
        review["findings"]
    );
    assert!(review["line"].as_array().unwrap().len() > 10);
    let day = &iso8601(track[0].fix.time_ms + 8 * 3_600_000)[..10];
    let (_, list) = get_json(
        &server,
        &sup.token,
        &format!("/v1/workers/{}/days/{day}/patrols", worker.staff_id),
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["patrol"], id.as_str());

    // Retries are idempotent; other content under the same number is refused; only
    // the worker uploads; garbage is refused; other grids see nothing.
    let chunk0 = worker.store.pending_track_chunks(10).unwrap();
    assert!(chunk0.is_empty());
    let conn = rusqlite::Connection::open(dir.path().join("w.sqlite")).unwrap();
    let (b0, b1): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT (SELECT bytes FROM track_chunks WHERE chunk = 0), (SELECT bytes FROM track_chunks WHERE chunk = 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let put = |token: String, n: u32, body: Vec<u8>| {
        let url = format!("{}/v1/tracks/{id}/{n}", server.url);
        async move {
            reqwest::Client::new()
                .put(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        put(worker.token.clone(), 0, b0.clone()).await,
        StatusCode::OK
    );
    assert_eq!(
        put(worker.token.clone(), 0, b1.clone()).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        put(sup.token.clone(), 7, b1.clone()).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        put(worker.token.clone(), 8, b"FGT\x01garbage".to_vec()).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put(worker.token.clone(), 9, b0[..b0.len() / 2].to_vec()).await,
        StatusCode::BAD_REQUEST
    );
    let other = Device::worker(
        &server,
        dir.path(),
        "o",
        &format!("{}001", demo::village_code(1)),
    )
    .await;
    let (status, _) = get_json(&server, &other.token, &format!("/v1/tracks/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, review) = get_json(&server, &sup.token, &format!("/v1/tracks/{id}")).await;
    assert_eq!(
        review["fixes"],
        track.len(),
        "the refused uploads changed nothing"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tracks_sync_on_sqlite() {
    tracks_reach_the_server_and_give_the_same_figures(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tracks_sync_on_postgres() {
    tracks_reach_the_server_and_give_the_same_figures(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn track_upload_survives_drops_and_cuts() {
    let server = TestServer::start(Backend::Sqlite).await;
    let proxy = FaultProxy::start(server.addr, 77).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "w",
        &format!("worker-{}", grid()),
    )
    .await;
    let id = patrol(&worker);
    proxy.set(Faults {
        drop: 0.2,
        cut_request: 0.3,
        cut_response: 0.3,
        max_delay: Duration::from_millis(10),
    });
    let mut failures = 0;
    for _ in 0..6 {
        if worker.sync().await.is_err() {
            failures += 1;
        }
    }
    let faults = proxy
        .counters
        .faults
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(faults >= 5, "{faults} faults");
    proxy.clear();
    worker.sync().await.unwrap();
    assert_eq!(worker.store.sync_status().unwrap().pending_track_chunks, 0);
    // Every chunk exactly once: the server's track is the phone's, fix for fix.
    let chunks = server.state.storage.track_chunks(&id).await.unwrap();
    assert_eq!(chunks.len(), 5);
    let on_server = fieldgrid_core::patrol::codec::decode_track(&chunks).unwrap();
    assert_eq!(on_server, worker.store.track(&id).unwrap());
    println!("track upload: {faults} faults injected, {failures} syncs failed and resumed");
    server.stop().await;
}

/// The same walk, `start_ms` on: twenty minutes of fixes every 2 s.
fn walk_from(d: &Device, start_ms: i64) -> String {
    walk_patrol(d, &grid(), start_ms, 400.0, 2000, 600, 21)
}

async fn kinds(server: &TestServer, token: &str, patrol: &str) -> Vec<String> {
    let (status, review) = get_json(server, token, &format!("/v1/tracks/{patrol}")).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

/// The server's review runs every authenticity check: a worker who uploads the
/// same track on three days is flagged on the later ones (against their earlier
/// patrols), and a phone whose clock was set back (fix times ahead of it) is
/// flagged from what the phone sent with its chunks.
async fn replays_and_clocks_are_flagged(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = Device::worker(&server, dir.path(), "w", &grid()).await;
    let sup = Device::enrol(&server, &server.url, dir.path(), "s", TOWN_SUPERVISOR).await;
    let now = now_ms();
    let days: Vec<String> = (1..=3)
        .rev()
        .map(|d| walk_from(&worker, now - d * 86_400_000))
        .collect();
    worker.sync().await.unwrap();
    assert!(
        !kinds(&server, &sup.token, &days[0])
            .await
            .contains(&"repeated_track".to_owned()),
        "the first patrol repeats nothing"
    );
    for later in &days[1..] {
        let k = kinds(&server, &sup.token, later).await;
        assert!(k.contains(&"repeated_track".to_owned()), "{later}: {k:?}");
    }
    // Fix times 40 minutes ahead of the phone's clock: the clock was set back.
    let ahead = walk_from(&worker, now + 40 * 60_000);
    worker.sync().await.unwrap();
    let k = kinds(&server, &sup.token, &ahead).await;
    assert!(k.contains(&"clock_off_device".to_owned()), "{k:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_and_clocks_are_flagged_on_sqlite() {
    replays_and_clocks_are_flagged(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_and_clocks_are_flagged_on_postgres() {
    replays_and_clocks_are_flagged(Backend::Postgres).await;
}

/// Pauses and recording breaks travel in the patrol's log and the server's
/// review honours them: a paused hole is no "gap" finding (the same hole
/// without the pause is one), and two GPX segments a minute apart are not
/// joined by a line in the server's distance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pauses_and_recording_breaks_reach_the_review() {
    use fieldgrid_core::patrol::TravelMode;
    use fieldgrid_core::patrol::synthetic::{Walk, sweep};
    use fieldgrid_core::records::{BreakKind, PatrolLog, TrackBreak};

    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = Device::worker(&server, dir.path(), "w", &grid()).await;
    let sup = Device::enrol(&server, &server.url, dir.path(), "s", TOWN_SUPERVISOR).await;

    // Twenty minutes of walking with a seven-minute hole in the middle.
    let start = now_ms() - 2 * 3_600_000;
    let walk = Walk {
        route: sweep((34.502, 118.7005), 400.0, 400.0, 50.0),
        speed_mps: 1.3,
        interval_ms: 2000,
        noise_m: 3.0,
        seed: 5,
    };
    let fixes = walk.fixes(start);
    let (hole_from, hole_to) = (start + 6 * 60_000, start + 13 * 60_000);
    let kept: Vec<_> = fixes
        .into_iter()
        .take(600)
        .filter(|f| f.time_ms < hole_from || f.time_ms > hole_to)
        .collect();
    let mut patrols = Vec::new();
    for paused in [true, false] {
        let id = worker
            .store
            .start_patrol(&grid(), "日常巡查", TravelMode::Walking)
            .unwrap();
        for batch in kept.chunks(60) {
            worker.store.ingest_fixes(&id, batch).unwrap();
        }
        if paused {
            // As `resume_patrol` writes it, at the times the worker paused.
            worker
                .store
                .update::<PatrolLog>(&id, |log| {
                    log.breaks.push(TrackBreak {
                        from_ms: hole_from,
                        to_ms: hole_to,
                        kind: BreakKind::Paused,
                    })
                })
                .unwrap();
        }
        worker.store.stop_patrol(&id).unwrap();
        patrols.push(id);
    }
    let xml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../core/tests/fixtures/gpx/segments-short-gap.gpx"
    ))
    .unwrap();
    let (imported, _) = worker
        .store
        .import_gpx(&grid(), "导入", TravelMode::Walking, &xml)
        .unwrap();
    worker.sync().await.unwrap();

    let paused = kinds(&server, &sup.token, &patrols[0]).await;
    assert!(!paused.contains(&"gap".to_owned()), "{paused:?}");
    let unpaused = kinds(&server, &sup.token, &patrols[1]).await;
    assert!(unpaused.contains(&"gap".to_owned()), "{unpaused:?}");

    let (_, review) = get_json(&server, &sup.token, &format!("/v1/tracks/{imported}")).await;
    let on_server = review["figures"]["distance_m"].as_f64().unwrap();
    let log = worker.store.get::<PatrolLog>(&imported).unwrap();
    let track = worker.store.track(&imported).unwrap();
    let cfg = FigureConfig::default();
    let phone = figures(&track, None, &log.breaks, &cfg).distance_m;
    let joined = figures(&track, None, &[], &cfg).distance_m;
    assert!(
        (on_server - phone).abs() < 1.0,
        "{on_server} against {phone}"
    );
    assert!(
        joined > on_server + 80.0,
        "{joined} joined, {on_server} apart"
    );
    server.stop().await;
}
