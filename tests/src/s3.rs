//! Throwaway buckets on the S3-compatible server (SeaweedFS) `tests/run-all.sh`
//! installs and starts on loopback.

use fieldgrid_server::blobs::ObjectBlobStore;

/// The environment variable naming the test S3 endpoint.
pub const S3_URL_VAR: &str = "FIELDGRID_TEST_S3_URL";

/// The endpoint (`http://127.0.0.1:PORT`). Panics with instructions when the
/// server is missing: the object-storage tests must run, not be skipped.
pub fn endpoint() -> String {
    std::env::var(S3_URL_VAR).unwrap_or_else(|_| {
        panic!("{S3_URL_VAR} is not set: run the tests through tests/run-all.sh, which starts a throwaway SeaweedFS S3 server")
    })
}

/// The bucket the tests share; each test works under its own root in it.
pub const BUCKET: &str = "fieldgrid-tests";

/// A fresh, empty place in the test bucket (created if missing): the options
/// an [`ObjectBlobStore`] of kind `s3` takes for it.
pub async fn fresh_bucket() -> Vec<(String, String)> {
    let endpoint = endpoint();
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{BUCKET}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test S3 server: {e}"));
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    assert!(
        status.is_success()
            || body.contains("BucketAlreadyOwnedByYou")
            || body.contains("BucketAlreadyExists"),
        "creating bucket {BUCKET}: {status} {body}"
    );
    let root = format!("/t-{}/", uuid::Uuid::new_v4().simple());
    [
        ("bucket", BUCKET),
        ("root", root.as_str()),
        ("endpoint", endpoint.as_str()),
        ("region", "us-east-1"),
        ("access_key_id", "fieldgrid-test"),
        ("secret_access_key", "fieldgrid-test-secret"),
        ("disable_config_load", "true"),
        ("disable_ec2_metadata", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// A store on a fresh place, and a second store on the same place (as a second
/// server instance would open it).
pub async fn two_stores() -> (ObjectBlobStore, ObjectBlobStore) {
    let options = fresh_bucket().await;
    (
        ObjectBlobStore::new("s3", options.clone()).unwrap(),
        ObjectBlobStore::new("s3", options).unwrap(),
    )
}

/// The environment a `fieldgrid-server` process takes to keep its photos in
/// the place `options` ([`fresh_bucket`]) names.
pub fn server_env(options: &[(String, String)]) -> Vec<(String, String)> {
    std::iter::once(("FIELDGRID_BLOBS".to_owned(), "s3".to_owned()))
        .chain(
            options
                .iter()
                .map(|(k, v)| (format!("FIELDGRID_BLOB_{}", k.to_uppercase()), v.clone())),
        )
        .collect()
}
