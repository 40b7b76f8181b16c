//! Phones: a real `FieldStore` each, enrolled through the server's registration API
//! and an administrator's approval.

use fieldgrid_core::FieldStore;
use fieldgrid_core::sync::{RetryPolicy, SyncClient, SyncError, SyncProgress};
use std::time::Duration;

use crate::TestServer;

/// A valid ID-card number (GB 11643 check character) for test person `n`.
pub fn id_number(n: u32) -> String {
    fieldgrid_core::forms::sample::example_id_number(1980, 1, 1, n)
}

/// A phone with its store and its sync client.
pub struct Device {
    /// Its offline store.
    pub store: FieldStore,
    /// Its sync client (token approved).
    pub client: SyncClient,
    /// Its registration id on the server.
    pub registration_id: String,
    /// The org-tree person using it.
    pub staff_id: String,
    /// Its token.
    pub token: String,
}

/// Retries quick enough for tests.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 5,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        timeout: Duration::from_secs(20),
    }
}

impl Device {
    /// Registers a phone for `staff_id` at `base_url` (the server, or a proxy in front
    /// of it), and has the administrator approve it.
    pub async fn enrol(
        server: &TestServer,
        base_url: &str,
        dir: &std::path::Path,
        name: &str,
        staff_id: &str,
    ) -> Device {
        let store = FieldStore::open(dir.join(format!("{name}.sqlite"))).unwrap();
        store.sign_in(staff_id);
        let n = name.bytes().map(u32::from).sum::<u32>();
        let reg = SyncClient::register(base_url, &store, name, &id_number(n), "13912345678")
            .await
            .unwrap();
        let status = server
            .admin_post(
                &format!("/v1/admin/registrations/{}/approve", reg.registration_id),
                serde_json::json!({ "staff_id": staff_id }),
            )
            .await;
        assert_eq!(
            status,
            reqwest::StatusCode::NO_CONTENT,
            "approval of {name}"
        );
        let client = SyncClient::new(base_url, &reg.token, "1.0.0")
            .unwrap()
            .with_retry(quick_retry());
        Device {
            store,
            client,
            registration_id: reg.registration_id,
            staff_id: staff_id.to_owned(),
            token: reg.token,
        }
    }

    /// The full-time grid worker of `grid`, enrolled directly with the server.
    pub async fn worker(
        server: &TestServer,
        dir: &std::path::Path,
        name: &str,
        grid: &str,
    ) -> Device {
        Device::enrol(server, &server.url, dir, name, &format!("worker-{grid}")).await
    }

    /// One full sync.
    pub async fn sync(&self) -> Result<SyncProgress, SyncError> {
        self.client.sync(&self.store, |_| {}).await
    }
}

/// A walking patrol of `d` in `grid`, recorded and stopped: `fixes` fixes every
/// `interval_ms` from `start_ms`, sweeping a square of `side_m` metres near the demo
/// county's first village with 3 m of GPS noise (`seed`). Every fix is accepted.
pub fn walk_patrol(
    d: &Device,
    grid: &str,
    start_ms: i64,
    side_m: f64,
    interval_ms: i64,
    fixes: usize,
    seed: u64,
) -> String {
    use fieldgrid_core::patrol::TravelMode;
    use fieldgrid_core::patrol::synthetic::{Walk, sweep};
    let id = d
        .store
        .start_patrol(grid, "日常巡查", TravelMode::Walking)
        .unwrap();
    let walk = Walk {
        route: sweep((34.502, 118.7005), side_m, side_m, 50.0),
        speed_mps: 1.3,
        interval_ms,
        noise_m: 3.0,
        seed,
    };
    let all: Vec<_> = walk.fixes(start_ms).into_iter().take(fixes).collect();
    for batch in all.chunks(60) {
        let r = d.store.ingest_fixes(&id, batch).unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }
    d.store.stop_patrol(&id).unwrap();
    id
}

/// Now, unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A photo with fine detail everywhere: about 1–2 MB as a 1600 px JPEG.
pub fn detailed_photo(seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(2000, 1500, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([x as u8, (x >> 8) as u8, (x >> 16) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&image::DynamicImage::ImageRgb8(img).to_rgb8())
        .unwrap();
    jpeg
}
