//! The blob stores, one suite: the filesystem store, and the object store
//! (Apache OpenDAL) on a folder and on a real S3-compatible server (SeaweedFS,
//! started by `tests/run-all.sh`). Each store is opened twice, as two server
//! instances would: a photo is checked against its hash before anyone sees it,
//! written once however many instances race, and an upload started through one
//! instance resumes and completes through the other.

use std::sync::Arc;

use fieldgrid_server::blobs::{BlobError, BlobStore, FsBlobStore, ObjectBlobStore};
use fieldgrid_tests::s3 as buckets;

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// A photo-sized body that is not all the same byte.
fn photo(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}

async fn stores(kind: &str, dir: &std::path::Path) -> (Arc<dyn BlobStore>, Arc<dyn BlobStore>) {
    match kind {
        "fs" => (
            Arc::new(FsBlobStore::new(dir).unwrap()),
            Arc::new(FsBlobStore::new(dir).unwrap()),
        ),
        "opendal-fs" => {
            let options = || vec![("root".to_owned(), dir.display().to_string())];
            (
                Arc::new(ObjectBlobStore::new("fs", options()).unwrap()),
                Arc::new(ObjectBlobStore::new("fs", options()).unwrap()),
            )
        }
        _ => {
            let (a, b) = buckets::two_stores().await;
            (Arc::new(a), Arc::new(b))
        }
    }
}

async fn names_and_content_are_checked(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = stores(kind, dir.path()).await;
    let bytes = photo(300_000, 1);
    let h = hash(&bytes);
    assert_eq!(a.get(&h).await.unwrap(), None);
    assert_eq!(a.size(&h).await.unwrap(), None);
    a.put(&h, &bytes).await.unwrap();
    a.put(&h, &bytes).await.unwrap();
    assert_eq!(
        b.get(&h).await.unwrap().unwrap(),
        bytes,
        "the other instance reads it"
    );
    assert_eq!(b.size(&h).await.unwrap(), Some(300_000));
    let other = hash(b"x");
    assert!(matches!(
        a.put(&other, &bytes).await,
        Err(BlobError::HashMismatch)
    ));
    assert_eq!(
        b.get(&other).await.unwrap(),
        None,
        "nothing visible under a wrong name"
    );
    for evil in [
        "../../etc/passwd",
        "..",
        "",
        &h.to_uppercase(),
        &format!("{h}/.."),
    ] {
        assert!(
            matches!(a.get(evil).await, Err(BlobError::BadName)),
            "{evil}"
        );
        assert!(matches!(
            a.append_partial(evil, 0, b"x").await,
            Err(BlobError::BadName)
        ));
    }
}

async fn an_upload_resumes_through_another_instance(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = stores(kind, dir.path()).await;
    let bytes = photo(600_000, 2);
    let h = hash(&bytes);
    const PART: usize = 256 * 1024;
    assert_eq!(a.partial_size(&h).await.unwrap(), 0);
    assert_eq!(
        a.append_partial(&h, 0, &bytes[..PART]).await.unwrap(),
        PART as u64
    );
    // The phone's connection moves to the other instance: it asks what is held.
    assert_eq!(b.partial_size(&h).await.unwrap(), PART as u64);
    // A part at the wrong offset changes nothing and says what is held.
    assert_eq!(
        b.append_partial(&h, 10, &bytes[10..20]).await.unwrap(),
        PART as u64
    );
    assert_eq!(
        b.append_partial(&h, PART as u64, &bytes[PART..2 * PART])
            .await
            .unwrap(),
        2 * PART as u64
    );
    // A repeat of a confirmed part (the answer was lost) changes nothing.
    assert_eq!(
        a.append_partial(&h, 0, &bytes[..PART]).await.unwrap(),
        2 * PART as u64
    );
    assert_eq!(
        a.append_partial(&h, 2 * PART as u64, &bytes[2 * PART..])
            .await
            .unwrap(),
        bytes.len() as u64
    );
    assert_eq!(
        b.get(&h).await.unwrap(),
        None,
        "not visible before completion"
    );
    b.complete_partial(&h).await.unwrap();
    assert_eq!(a.get(&h).await.unwrap().unwrap(), bytes);
    assert_eq!(a.partial_size(&h).await.unwrap(), 0, "the parts are gone");
    // An upload whose bytes do not hash to its name is discarded, never shown.
    let wrong = hash(b"another photo");
    a.append_partial(&wrong, 0, &bytes[..1000]).await.unwrap();
    assert!(matches!(
        b.complete_partial(&wrong).await,
        Err(BlobError::HashMismatch)
    ));
    assert_eq!(a.get(&wrong).await.unwrap(), None);
    assert_eq!(a.partial_size(&wrong).await.unwrap(), 0);
}

async fn racing_instances_write_once(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = stores(kind, dir.path()).await;
    let bytes = Arc::new(photo(200_000, 3));
    let h = hash(&bytes);
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (store, bytes, h) = (
            if i % 2 == 0 { a.clone() } else { b.clone() },
            bytes.clone(),
            h.clone(),
        );
        tasks.push(tokio::spawn(async move {
            store
                .append_partial(&h, 0, &bytes[..100_000])
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 100_000, "every racer sees one first part");
    }
    b.append_partial(&h, 100_000, &bytes[100_000..])
        .await
        .unwrap();
    let (x, y) = tokio::join!(a.complete_partial(&h), b.complete_partial(&h));
    assert!(x.is_ok() || y.is_ok(), "{x:?} {y:?}");
    let mut puts = Vec::new();
    for store in [a.clone(), b.clone(), a.clone(), b.clone()] {
        let (bytes, h) = (bytes.clone(), h.clone());
        puts.push(tokio::spawn(async move { store.put(&h, &bytes).await }));
    }
    for p in puts {
        p.await.unwrap().unwrap();
    }
    assert_eq!(a.get(&h).await.unwrap().unwrap(), *bytes);
}

macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        mod fs {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case("fs").await;
                }
            )*
        }
        mod opendal_fs {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case("opendal-fs").await;
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case("s3").await;
                }
            )*
        }
    };
}

on_every_store!(
    names_and_content_are_checked,
    an_upload_resumes_through_another_instance,
    racing_instances_write_once,
);
