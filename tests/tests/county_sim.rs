//! The county simulator against a real server (SQLite and PostgreSQL): a small
//! county's phones enrol, fill households through the forms, patrol (one fakes its
//! track), report incidents with photos, edit a household from two phones, and the
//! command centre dispatches; the server ends up with all of it.

use fieldgrid_core::patrol::FindingKind;
use fieldgrid_server::admin;
use fieldgrid_tests::sim::{SimConfig, county, run, worker_of};
use fieldgrid_tests::{Backend, TestServer};

async fn a_small_county_runs_a_day(backend: Backend) {
    let server = TestServer::start(backend).await;
    let cfg = SimConfig {
        towns: 1,
        villages: 2,
        grids: 2,
        households: 2,
        phones: 4,
        incidents: 1,
        patrol_minutes: 20,
        fake_every: 4,
        seed: 7,
    };
    let mut tree = county(&cfg);
    tree.version = 2; // newer than the demo county the test server starts with
    admin::publish_org_tree(&server.state, &tree).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = run(&server.url, &server.admin_token, dir.path(), &cfg)
        .await
        .unwrap();
    assert_eq!(report.phones, 4);
    assert_eq!(report.households, 8);
    assert_eq!(report.incidents, 4);
    assert_eq!(
        report.dispatched, 4,
        "the command centre dispatched every incident"
    );
    assert_eq!(report.photos, 4);
    assert_eq!(report.fakes, 1);
    assert!(report.fixes > 4 * 150, "{}", report.fixes);

    // The server holds the households, incidents and tracks; the faked track is
    // flagged when a supervisor reviews it.
    let stats = server.state.storage.stats().await.unwrap();
    assert!(stats.documents >= 8 + 8 + 4 + 4, "{stats:?}");
    let faker = &tree.grids[3];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let patrols = server
        .state
        .storage
        .patrols_between(now - 86_400_000, now + 60_000)
        .await
        .unwrap();
    assert_eq!(patrols.len(), 4);
    let (fake_patrol, _) = patrols
        .iter()
        .find(|(_, w)| *w == worker_of(&faker.code))
        .unwrap();
    let chunks = server
        .state
        .storage
        .track_chunks(fake_patrol)
        .await
        .unwrap();
    let track = fieldgrid_core::patrol::codec::decode_track(&chunks).unwrap();
    let findings = fieldgrid_core::patrol::authenticity::check(
        &track,
        &fieldgrid_core::patrol::CheckContext {
            mode: fieldgrid_core::patrol::TravelMode::Walking,
            clock_backwards: 0,
            max_clock_skew_ms: 0,
            paused: &[],
            earlier: &[],
        },
    );
    assert!(
        findings.iter().any(|f| f.kind == FindingKind::MockLocation),
        "{findings:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_county_runs_a_day_on_sqlite() {
    a_small_county_runs_a_day(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_small_county_runs_a_day_on_postgres() {
    a_small_county_runs_a_day(Backend::Postgres).await;
}
