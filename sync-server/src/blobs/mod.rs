//! Content-addressed blobs (photos): a trait and two stores. [`FsBlobStore`]
//! keeps files under the data folder (the embedded default). [`ObjectBlobStore`]
//! keeps objects in any storage Apache OpenDAL reaches (S3-compatible, Aliyun
//! OSS, Huawei OBS, Tencent COS, or a folder), so several server instances share
//! photos and unfinished uploads. Names are BLAKE3 hashes in lowercase hex and
//! nothing else, so no name can reach outside the store.

mod fs;
mod object;

pub use fs::FsBlobStore;
pub use object::{BlobConfigError, ObjectBlobStore, Usage};

use async_trait::async_trait;

/// A blob failure.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The name is not a 64-character lowercase hex BLAKE3 hash.
    #[error("a blob name is a 64-character lowercase hex BLAKE3 hash")]
    BadName,
    /// The bytes do not hash to the name.
    #[error("the content does not match its hash")]
    HashMismatch,
    /// The declared size is over the limit.
    #[error("a blob may be at most {0} bytes")]
    TooLarge(u64),
    /// The file system failed.
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
    /// The object storage failed.
    #[error("object storage: {0}")]
    Object(String),
}

/// Checks a blob name.
pub fn check_name(name: &str) -> Result<(), BlobError> {
    if name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(BlobError::BadName)
    }
}

/// Where blobs live.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `hash` after checking they hash to it. Storing the same
    /// blob twice is a no-op.
    async fn put(&self, hash: &str, bytes: &[u8]) -> Result<(), BlobError>;
    /// The blob, if stored.
    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// The blob's size, if stored.
    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError>;
    /// How many bytes of an unfinished upload are durably held (0 if none).
    async fn partial_size(&self, hash: &str) -> Result<u64, BlobError>;
    /// Appends `bytes` to an unfinished upload if `offset` is where it ends;
    /// otherwise changes nothing. Returns the bytes durably held afterwards.
    async fn append_partial(&self, hash: &str, offset: u64, bytes: &[u8])
    -> Result<u64, BlobError>;
    /// Turns a whole unfinished upload into the blob after checking its hash; on a
    /// mismatch the upload is discarded.
    async fn complete_partial(&self, hash: &str) -> Result<(), BlobError>;
    /// Discards an unfinished upload (nothing happens if there is none).
    async fn remove_partial(&self, hash: &str) -> Result<(), BlobError>;
}
