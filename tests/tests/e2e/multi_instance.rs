//! A county's deployment in small: three `fieldgrid-server` processes on one
//! PostgreSQL database and one S3 bucket (the real SeaweedFS `tests/run-all.sh`
//! starts), behind a balancer that sends every request to an instance picked at
//! random. Nine workers' phones sync their day (households, reports with photos
//! of ~0.7 MB each) at once; one instance is killed (SIGKILL) while they are at
//! it. The phones finish through the other two, and then:
//! - every record is on the server exactly once, and a new phone receives
//!   exactly them;
//! - every photo is in the bucket, whole, with no unfinished parts left;
//! - a supervisor's pages on the third instance show every report and photo.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use fieldgrid_core::FieldStore;
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR, demo_name};
use fieldgrid_core::records::{FieldValue, Household, Incident};
use fieldgrid_core::sync::SyncClient;
use fieldgrid_server::blobs::{BlobStore, ObjectBlobStore};
use fieldgrid_tests::balancer::Balancer;
use fieldgrid_tests::devices::quick_retry;
use fieldgrid_tests::process::{Server, server_binary};
use fieldgrid_tests::web::sign_in;
use fieldgrid_tests::{detailed_photo, now_ms, pg, s3};

const PHONES: usize = 9;
const HOUSES: usize = 20;
const REPORTS: usize = 2;

/// A phone and what it made: its reports with their photos' hashes and bytes.
struct Phone {
    store: FieldStore,
    client: SyncClient,
    reports: Vec<(String, String, Vec<u8>)>,
}

/// Syncs until nothing is pending (a sync cut by the killed instance fails;
/// the phone simply syncs again, as the app does on its next try).
async fn sync_until_done(phone: &Phone, bytes: &AtomicU64) -> usize {
    let mut failures = 0;
    for _ in 0..10 {
        let result = phone
            .client
            .sync(&phone.store, |p| {
                bytes.fetch_max(p.bytes_sent, Ordering::Relaxed);
            })
            .await;
        let status = phone.store.sync_status().unwrap();
        match result {
            Ok(_) if status.pending_records + status.pending_photos == 0 => return failures,
            Ok(_) => {}
            Err(_) => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("a phone could not finish its sync through the live instances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_one_killed_mid_sync_lose_and_double_nothing() {
    let binary = server_binary();
    let database = pg::fresh_database().await;
    let options = s3::fresh_bucket().await;
    let env = s3::server_env(&options);
    let work = tempfile::tempdir().unwrap();
    let mut instances: Vec<Server> = (0..3)
        .map(|i| {
            Server::start_env(
                &binary,
                &work.path().join(format!("instance-{i}")),
                Some(&database),
                &env,
            )
            .unwrap()
        })
        .collect();
    let admin = instances[0].admin_token().unwrap();
    let status = reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/org_tree", instances[1].url))
        .bearer_auth(&admin)
        .json(&demo::demo_county())
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "publishing the org tree: {status}");
    let balancer = Balancer::start(instances.iter().map(|s| s.url.clone()).collect()).await;

    // Nine workers, each with a day of households and reports with photos.
    let tree = demo::demo_county();
    let grids: Vec<String> = tree
        .grids
        .iter()
        .map(|g| g.code.clone())
        // Grids of 安峰镇, the supervisor's town.
        .filter(|g| g.starts_with(&demo::village_code(0)[..9]))
        .filter(|g| tree.staff.iter().any(|s| s.id == format!("worker-{g}")))
        .take(PHONES)
        .collect();
    assert_eq!(grids.len(), PHONES);
    let phones_dir = work.path().join("phones");
    std::fs::create_dir_all(&phones_dir).unwrap();
    let mut phones = Vec::new();
    for (n, grid) in grids.iter().enumerate() {
        let staff = format!("worker-{grid}");
        let sim = fieldgrid_tests::sim::enrol(&balancer.url, &admin, &phones_dir, &staff, n as u32)
            .await
            .unwrap();
        let houses: Vec<Household> = (0..HOUSES)
            .map(|h| {
                let mut house =
                    Household::new(grid, &format!("{grid}网格{h}号"), &demo_name(n * 100 + h));
                house
                    .fields
                    .insert("income.wages".into(), FieldValue::Int(30_000 + h as i64));
                house
            })
            .collect();
        sim.store.create_batch(&houses).unwrap();
        let mut reports = Vec::new();
        for r in 0..REPORTS {
            let bytes = detailed_photo((n * REPORTS + r) as u32);
            let photo = sim.store.add_photo(&bytes).unwrap();
            let id = sim
                .store
                .create(&Incident {
                    grid_code: grid.clone(),
                    category: "urban.street.stalls".into(),
                    description: format!("第{n}号网格员上报：占道经营{r}"),
                    location: None,
                    reporter_id: staff.clone(),
                    reported_at: now_ms() / 1000,
                    urgency: Default::default(),
                    transitions: vec![],
                    resident_id: None,
                    satisfaction: None,
                    photos: vec![photo.hash.clone()],
                    channel: Default::default(),
                    contact: None,
                    address: None,
                    ticket: None,
                })
                .unwrap();
            sim.store.attach_photo(&photo.hash, &id, "report").unwrap();
            let stored =
                std::fs::read(sim.store.photo_file(&photo.hash, false).unwrap().unwrap()).unwrap();
            reports.push((id, photo.hash, stored));
        }
        phones.push(Arc::new(Phone {
            store: sim.store,
            client: sim.client.with_retry(quick_retry()),
            reports,
        }));
    }

    // Everyone syncs at once; instance 1 is killed once 2 MB have gone out.
    let sent = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = phones
        .iter()
        .map(|phone| {
            let (phone, sent, finished) = (phone.clone(), sent.clone(), finished.clone());
            tokio::spawn(async move {
                let own = AtomicU64::new(0);
                let failures = sync_until_done(&phone, &own).await;
                sent.fetch_add(own.load(Ordering::Relaxed), Ordering::Relaxed);
                finished.fetch_add(1, Ordering::SeqCst);
                failures
            })
        })
        .collect();
    let before_kill = loop {
        // Killed while it holds a request, once it has served a few.
        let served = balancer.served();
        if (served[1] >= 4 && balancer.in_flight(1) > 0)
            || finished.load(Ordering::SeqCst) == PHONES
        {
            break served;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    instances[1].kill();
    let running_at_kill = PHONES - finished.load(Ordering::SeqCst);
    let mut failures = 0;
    for task in tasks {
        failures += task.await.unwrap();
    }
    let served = balancer.served();
    assert!(
        running_at_kill > 0,
        "the instance died while phones were syncing"
    );
    assert!(
        before_kill.iter().all(|&n| n > 0),
        "requests went to every instance before the kill: {before_kill:?}"
    );
    assert_eq!(
        served[1], before_kill[1],
        "nothing reached the dead instance"
    );
    assert!(
        served[0] > before_kill[0] && served[2] > before_kill[2],
        "the live instances carried on: {before_kill:?} then {served:?}"
    );
    eprintln!(
        "requests per instance {served:?} (instance 1 killed at {before_kill:?}), \
         {running_at_kill} phones syncing at the kill, {} requests cut by it, \
         {failures} syncs failed and were redone",
        balancer.cut()
    );
    for phone in &phones {
        assert!(phone.store.sync_rejections().unwrap().is_empty());
    }

    // Every record once on the server.
    let (pgc, conn) = tokio_postgres::connect(&database, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let counted = |kind: &'static str| {
        let pgc = &pgc;
        async move {
            pgc.query_one("SELECT count(*) FROM documents WHERE kind = $1", &[&kind])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    assert_eq!(counted("household").await, (PHONES * HOUSES) as i64);
    assert_eq!(counted("incident").await, (PHONES * REPORTS) as i64);

    // A new phone of the town's supervisor receives exactly them.
    let newcomer =
        fieldgrid_tests::sim::enrol(&balancer.url, &admin, &phones_dir, TOWN_SUPERVISOR, 99)
            .await
            .unwrap();
    let client = newcomer.client.with_retry(quick_retry());
    let pulled = client.sync(&newcomer.store, |_| {}).await.unwrap().pulled;
    let want = PHONES * (HOUSES + REPORTS);
    let held = rusqlite::Connection::open(newcomer.store.path()).unwrap();
    let (rows, ids): (i64, i64) = held
        .query_row(
            "SELECT count(*), count(DISTINCT doc_id) FROM documents
             WHERE kind IN ('household', 'incident')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (pulled as usize, rows as usize, ids as usize),
        (want, want, want),
        "the newcomer holds every record once"
    );

    // Every photo whole in the bucket, once, no parts left.
    let bucket = ObjectBlobStore::new("s3", options.clone()).unwrap();
    let usage = bucket.usage().await.unwrap();
    assert_eq!(
        (usage.photos, usage.partial_bytes),
        ((PHONES * REPORTS) as u64, 0),
        "{usage:?}"
    );
    for phone in &phones {
        for (_, hash, bytes) in &phone.reports {
            assert_eq!(bucket.get(hash).await.unwrap().as_ref(), Some(bytes));
            assert_eq!(bucket.partial_size(hash).await.unwrap(), 0);
        }
    }

    // The third instance's pages show every report and its photo.
    instances[2]
        .web_user("sun", TOWN_SUPERVISOR, "correct horse")
        .unwrap();
    let (cookie, _) = sign_in(&instances[2].url, "sun", "correct horse").await;
    let http = client_with(&cookie);
    for (n, phone) in phones.iter().enumerate() {
        for (r, (id, hash, bytes)) in phone.reports.iter().enumerate() {
            let page = http
                .get(format!("{}/ui/incidents/{id}", instances[2].url))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), reqwest::StatusCode::OK);
            let html = page.text().await.unwrap();
            assert!(html.contains(&format!("第{n}号网格员上报：占道经营{r}")));
            assert!(html.contains(&format!("/ui/photos/{hash}")));
            let photo = http
                .get(format!("{}/ui/photos/{hash}", instances[2].url))
                .send()
                .await
                .unwrap();
            assert_eq!(photo.bytes().await.unwrap().to_vec(), *bytes);
        }
    }
}

/// A page client that sends the session cookie with every request.
fn client_with(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
