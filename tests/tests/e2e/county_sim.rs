//! The county simulator against a real server (SQLite and PostgreSQL): a small
//! county's phones enrol, fill households through the forms, patrol (one fakes its
//! track), report incidents with photos, edit a household from two phones, one
//! stays out of signal for hours; the command centre, the platforms' handlers and
//! the inspector take the incidents round the loop; the server ends up with all
//! of it.

use fieldgrid_core::incident::DayCount;
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
        workers_per_grid: 1,
        households: 2,
        phones: 4,
        incidents: 3,
        patrol_minutes: 20,
        fake_every: 4,
        offline_every: 3,
        seed: 7,
        days: 1,
    };
    let mut tree = county(&cfg);
    tree.version = 2; // newer than the demo county the test server starts with
    admin::publish(&server.state, &tree).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = run(&server.url, &server.admin_token, dir.path(), &cfg)
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(report.phones, 4);
    assert_eq!(report.households, 8);
    assert_eq!(report.incidents, 12);
    assert_eq!(report.late_syncs, 1, "the third phone was out of signal");
    // The 9 incidents on the server before the late phone came back went round
    // the loop: dispatched to the four platforms, 9 handled, the fifth one the
    // inspector checked sent back, the other 8 verified and closed.
    assert_eq!(report.dispatched, 9, "{report}");
    assert_eq!(report.handled, 9, "{report}");
    assert_eq!((report.verified, report.reopened), (8, 1), "{report}");
    assert_eq!(report.closed, 8, "{report}");
    // Every third dispatch had a joint unit, whose part was finished from its task
    // list before the lead finished; every closed case's resident was called back.
    assert_eq!((report.joint, report.parts_finished), (3, 3), "{report}");
    assert_eq!(report.followed_up, 8, "{report}");
    assert_eq!(
        report.urged, 1,
        "the case the inspector sent back is in handling again, and urged: {report}"
    );
    assert_eq!(report.photos, 12);
    assert_eq!(report.fakes, 1);
    assert!(report.fixes > 4 * 150, "{}", report.fixes);

    // A county phone sees where every incident stands: the loop's results and the
    // late phone's reports, waiting for the command centre.
    let county_phone = fieldgrid_tests::sim::enrol(
        &server.url,
        &server.admin_token,
        dir.path(),
        "admin-donghai",
        990,
    )
    .await
    .unwrap();
    county_phone
        .client
        .sync(&county_phone.store, |_| {})
        .await
        .unwrap();
    let mut stages = std::collections::BTreeMap::new();
    for item in county_phone
        .store
        .incident_queue(now / 1000, DayCount::WorkDays, true)
        .unwrap()
    {
        *stages.entry(item.stage).or_insert(0) += 1;
    }
    // Of the 8 closed, 7 residents answered the call back; the fifth was not
    // reached and the case stays closed for another call.
    let expected: std::collections::BTreeMap<String, i32> = [
        ("assessed".into(), 7),
        ("closed".into(), 1),
        ("handling".into(), 1),
        ("reported".into(), 3),
    ]
    .into();
    assert_eq!(stages, expected);

    // The server holds the households, incidents and tracks; the faked track is
    // flagged when a supervisor reviews it.
    let stats = server.state.storage.stats().await.unwrap();
    assert!(stats.documents >= 8 + 8 + 4 + 4, "{stats:?}");
    let faker = &tree.grids[3];
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
