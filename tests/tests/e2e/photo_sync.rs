//! Photos through sync: uploaded in parts, verified by hash, stored once, resumed
//! after a cut in the middle of a large photo, held back on metered networks when
//! asked, left for later while another phone uploads the same photo; bad names and
//! bad content refused.

use std::time::Duration;

use fieldgrid_core::FieldStore;
use fieldgrid_core::sync::SyncClient;
use fieldgrid_tests::proxy::{FaultProxy, Faults};
use fieldgrid_tests::{Backend, Device, TestServer, detailed_photo};
use reqwest::StatusCode;

fn grid() -> String {
    format!("{}001", fieldgrid_core::org::demo::village_code(0))
}

fn file(store: &FieldStore, hash: &str) -> Vec<u8> {
    std::fs::read(store.photo_file(hash, false).unwrap().unwrap()).unwrap()
}

async fn photos_upload_verified_and_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "a", &grid()).await;
    let big = a.store.add_photo(&detailed_photo(1)).unwrap();
    assert!(big.bytes > 600_000, "{} bytes", big.bytes);
    let small = a.store.add_photo(&detailed_photo(2)[..]).unwrap();
    assert_eq!(a.store.sync_status().unwrap().pending_photos, 2);
    let p = a.sync().await.unwrap();
    assert_eq!(p.photos, 2);
    assert_eq!(a.store.sync_status().unwrap().pending_photos, 0);
    for h in [&big.hash, &small.hash] {
        assert_eq!(
            server.state.blobs.get(h).await.unwrap().unwrap(),
            file(&a.store, h)
        );
    }
    assert_eq!(a.sync().await.unwrap().photos, 0, "nothing uploaded twice");

    // The same photo from another phone is not sent again.
    let b = Device::worker(&server, dir.path(), "b", &grid()).await;
    let copy = b.store.add_photo(&detailed_photo(1)).unwrap();
    assert_eq!(copy.hash, big.hash);
    let before = b.sync().await.unwrap();
    assert_eq!(before.photos, 1);
    assert!(
        before.bytes_sent < 10_000,
        "{} bytes sent for a photo the server has",
        before.bytes_sent
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn photos_upload_on_sqlite() {
    photos_upload_verified_and_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn photos_upload_on_postgres() {
    photos_upload_verified_and_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn photos_wait_for_wifi_when_asked() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "a", &grid()).await;
    let photo = a.store.add_photo(&detailed_photo(3)).unwrap();
    let mut client = SyncClient::new(&server.url, &a.token, "1.0.0")
        .unwrap()
        .with_photos_on_metered(false);
    client.set_metered(true);
    let p = client.sync(&a.store, |_| {}).await.unwrap();
    assert_eq!((p.photos, p.photos_deferred), (0, 1));
    assert!(server.state.blobs.get(&photo.hash).await.unwrap().is_none());
    client.set_metered(false);
    assert_eq!(client.sync(&a.store, |_| {}).await.unwrap().photos, 1);
    server.stop().await;
}

/// A picture forwarded to two workers: while one phone's upload is unfinished,
/// the other's sync leaves that photo for later and succeeds; once the first
/// finishes, the second finds it stored and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_photo_from_two_phones_at_once_waits_its_turn() {
    let server = TestServer::start(Backend::Sqlite).await;
    let proxy = FaultProxy::start(server.addr, 6).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "a",
        &format!("worker-{}", grid()),
    )
    .await;
    let b = Device::worker(&server, dir.path(), "b", &grid()).await;
    let photo = a.store.add_photo(&detailed_photo(5)).unwrap();
    assert_eq!(
        b.store.add_photo(&detailed_photo(5)).unwrap().hash,
        photo.hash
    );

    // A's upload is cut after its first part.
    let cut = std::sync::atomic::AtomicBool::new(false);
    let started = a
        .client
        .sync(&a.store, |p| {
            if p.bytes_sent > 256 * 1024 && !cut.swap(true, std::sync::atomic::Ordering::SeqCst) {
                proxy.set(Faults::offline());
            }
        })
        .await;
    assert!(started.is_err());
    let held = server.state.blobs.partial_size(&photo.hash).await.unwrap();
    assert!(held > 0 && held < photo.bytes, "{held} held");

    // B's sync succeeds and leaves the photo for later.
    let p = b.sync().await.unwrap();
    assert_eq!((p.photos, p.photos_deferred), (0, 1));
    assert_eq!(b.store.sync_status().unwrap().pending_photos, 1);

    // A finishes; B then finds the photo stored.
    proxy.clear();
    assert_eq!(a.sync().await.unwrap().photos, 1);
    let p = b.sync().await.unwrap();
    assert_eq!((p.photos, p.photos_deferred), (1, 0));
    assert!(p.bytes_sent < 10_000, "{} bytes sent", p.bytes_sent);
    assert_eq!(b.store.sync_status().unwrap().pending_photos, 0);
    assert_eq!(
        server.state.blobs.get(&photo.hash).await.unwrap().unwrap(),
        file(&b.store, &photo.hash)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cut_in_the_middle_of_a_large_photo_resumes() {
    let server = TestServer::start(Backend::Sqlite).await;
    let proxy = FaultProxy::start(server.addr, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "a",
        &format!("worker-{}", grid()),
    )
    .await;
    let photo = a.store.add_photo(&detailed_photo(4)).unwrap();
    proxy.set(Faults {
        drop: 0.1,
        cut_request: 0.35,
        cut_response: 0.2,
        max_delay: Duration::from_millis(5),
    });
    let up0 = proxy.counters.up.load(std::sync::atomic::Ordering::Relaxed);
    let mut failures = 0;
    for _ in 0..8 {
        match a.sync().await {
            Ok(p) if p.photos == 1 => break,
            Ok(_) => {}
            Err(_) => failures += 1,
        }
    }
    proxy.clear();
    a.sync().await.unwrap();
    let faults = proxy
        .counters
        .faults
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(faults >= 3, "{faults} faults");
    assert_eq!(a.store.sync_status().unwrap().pending_photos, 0);
    assert_eq!(
        server.state.blobs.get(&photo.hash).await.unwrap().unwrap(),
        file(&a.store, &photo.hash)
    );
    let sent = proxy.counters.up.load(std::sync::atomic::Ordering::Relaxed) - up0;
    assert!(
        sent < 3 * photo.bytes,
        "resumed, not restarted: {sent} bytes sent for {}",
        photo.bytes
    );
    println!(
        "photo of {} bytes: {faults} faults, {failures} failed syncs, {sent} bytes sent",
        photo.bytes
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_names_and_bad_content_are_refused() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "a", &grid()).await;
    let client = reqwest::Client::new();
    let put = |name: String, offset: u64, total: u64, body: Vec<u8>, token: Option<String>| {
        let mut r = client
            .put(format!(
                "{}/v1/blobs/{name}?offset={offset}&total={total}",
                server.url
            ))
            .body(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.unwrap().status() }
    };
    let tok = Some(a.token.clone());
    for evil in [
        "..%2F..%2Fetc%2Fpasswd",
        "ABCDEF",
        &"A".repeat(64),
        &format!("{}.jpg", "a".repeat(64)),
    ] {
        assert_eq!(
            put(evil.to_owned(), 0, 3, b"abc".to_vec(), tok.clone()).await,
            StatusCode::BAD_REQUEST,
            "{evil}"
        );
    }
    let hash = blake3::hash(b"the real photo").to_hex().to_string();
    assert_eq!(
        put(hash.clone(), 0, 14, b"a forged photo".to_vec(), tok.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(server.state.blobs.get(&hash).await.unwrap().is_none());
    assert_eq!(
        server.state.blobs.partial_size(&hash).await.unwrap(),
        0,
        "the bad upload was discarded"
    );
    assert_eq!(
        put(hash.clone(), 0, 5, b"the real photo".to_vec(), tok.clone()).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        put(
            hash.clone(),
            0,
            100 * 1024 * 1024,
            b"x".to_vec(),
            tok.clone()
        )
        .await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        put(hash.clone(), 0, 14, b"the real photo".to_vec(), None).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        put(hash.clone(), 0, 14, b"the real photo".to_vec(), tok).await,
        StatusCode::OK
    );
    assert_eq!(
        server.state.blobs.get(&hash).await.unwrap().unwrap(),
        b"the real photo"
    );
    server.stop().await;
}
