//! Photos in object storage across server instances: two instances share one
//! database and one S3 bucket (a real SeaweedFS server started by
//! `tests/run-all.sh`). A phone's photo upload through the first instance is
//! cut part-way; the phone finishes it through the second, sending only what was
//! not yet held; a supervisor's page on the second instance shows the photo;
//! nothing of it is on either instance's disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use fieldgrid_core::org::demo::TOWN_SUPERVISOR;
use fieldgrid_core::records::Incident;
use fieldgrid_core::sync::SyncClient;
use fieldgrid_server::Settings;
use fieldgrid_server::blobs::{BlobStore, ObjectBlobStore};
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::devices::quick_retry;
use fieldgrid_tests::proxy::{FaultProxy, Faults};
use fieldgrid_tests::server::Instance;
use fieldgrid_tests::web::{client, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer, detailed_photo, now_ms, s3};
use reqwest::StatusCode;

const GRID: &str = "320722104201001";

async fn a_photo_crosses_instances(backend: Backend) {
    let server = TestServer::start(backend).await;
    let options = s3::fresh_bucket().await;
    let store =
        || -> Arc<dyn BlobStore> { Arc::new(ObjectBlobStore::new("s3", options.clone()).unwrap()) };
    let first = Instance::start(server.state.storage.clone(), store(), Settings::default()).await;
    let second = Instance::start(server.state.storage.clone(), store(), Settings::default()).await;
    let upstream = first.url.trim_start_matches("http://").parse().unwrap();
    let proxy = FaultProxy::start(upstream, 9).await;
    let dir = tempfile::tempdir().unwrap();
    let phone = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "s3-phone",
        &format!("worker-{GRID}"),
    )
    .await;
    let photo = phone.store.add_photo(&detailed_photo(11)).unwrap();
    assert!(photo.bytes > 600_000, "{} bytes", photo.bytes);
    let incident = phone
        .store
        .create(&Incident {
            grid_code: GRID.into(),
            category: "urban.street.stalls".into(),
            description: "占道经营".into(),
            location: None,
            reporter_id: phone.staff_id.clone(),
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
    phone
        .store
        .attach_photo(&photo.hash, &incident, "report")
        .unwrap();

    // Through the first instance, cut once the first part is confirmed.
    let cut = AtomicBool::new(false);
    let started = phone
        .client
        .sync(&phone.store, |p| {
            if p.bytes_sent > 256 * 1024 && !cut.swap(true, Ordering::SeqCst) {
                proxy.set(Faults::offline());
            }
        })
        .await;
    assert!(started.is_err(), "the cut sync fails: {started:?}");
    assert_eq!(phone.store.sync_status().unwrap().pending_photos, 1);
    let held = ObjectBlobStore::new("s3", options.clone()).unwrap();
    let part_way = held.partial_size(&photo.hash).await.unwrap();
    assert!(
        part_way > 0 && part_way < photo.bytes,
        "{part_way} of {} held",
        photo.bytes
    );
    assert_eq!(
        held.get(&photo.hash).await.unwrap(),
        None,
        "not visible half-way"
    );

    // The phone reaches the second instance: it sends only the rest.
    let other = SyncClient::new(&second.url, &phone.token, "1.0.0")
        .unwrap()
        .with_retry(quick_retry());
    let done = other.sync(&phone.store, |_| {}).await.unwrap();
    assert_eq!(done.photos, 1);
    assert_eq!(
        phone.store.sync_rejections().unwrap().len(),
        0,
        "the report was taken"
    );
    assert!(
        done.bytes_sent < photo.bytes,
        "resumed: {} bytes sent of {}",
        done.bytes_sent,
        photo.bytes
    );
    assert_eq!(phone.store.sync_status().unwrap().pending_photos, 0);
    let stored =
        std::fs::read(phone.store.photo_file(&photo.hash, false).unwrap().unwrap()).unwrap();
    assert_eq!(held.get(&photo.hash).await.unwrap().unwrap(), stored);
    assert_eq!(held.partial_size(&photo.hash).await.unwrap(), 0);
    // Not on the disk store of the instance the test server runs.
    assert_eq!(server.state.blobs.get(&photo.hash).await.unwrap(), None);

    // A supervisor's page on the second instance shows it.
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        TOWN_SUPERVISOR,
    )
    .await
    .unwrap();
    let (cookie, _) = sign_in(&second.url, "sun", "correct horse").await;
    let r = client()
        .get(format!("{}/ui/photos/{}", second.url, photo.hash))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().to_vec(), stored);
    drop((first, second, proxy));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_crosses_instances_on_sqlite() {
    a_photo_crosses_instances(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_crosses_instances_on_postgres() {
    a_photo_crosses_instances(Backend::Postgres).await;
}
