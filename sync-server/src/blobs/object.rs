//! Blobs as objects in any storage Apache OpenDAL reaches: S3-compatible
//! (SeaweedFS, Ceph, a government cloud's S3 API), Aliyun OSS, Huawei OBS,
//! Tencent COS, or a folder. Nothing is kept in the instance's memory, so any
//! number of server instances share one store:
//!
//! - a photo is `blobs/ab/cd/<hash>`, written only after its bytes hash to its
//!   name, with a conditional write (`If-None-Match: *`) so two instances never
//!   overwrite each other;
//! - an unfinished upload is its parts, `partial/<hash>/<offset>-<length>`, each
//!   written once (conditionally); how much is held is read from the listing, so
//!   an upload started through one instance resumes through another;
//! - completing reads the parts in order, checks the hash, writes the photo and
//!   removes the parts.

use opendal::{ErrorKind, Operator};

use super::{BlobError, BlobStore, check_name};
use async_trait::async_trait;

/// The storage kinds an [`ObjectBlobStore`] is configured for.
pub const SCHEMES: [&str; 5] = ["fs", "s3", "oss", "obs", "cos"];

/// Why the object store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BlobConfigError {
    /// Not one of [`SCHEMES`].
    #[error("unknown blob storage {0:?}: use one of fs, s3, oss, obs, cos")]
    Scheme(String),
    /// OpenDAL refused the options (a missing bucket, a bad endpoint...).
    #[error("the blob storage could not be set up: {0}")]
    Setup(String),
}

/// Blobs in an object store, shared by every instance configured with it.
#[derive(Clone)]
pub struct ObjectBlobStore {
    op: Operator,
    conditional: bool,
}

impl std::fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The options may carry credentials: only the kind and the bucket or root.
        let info = self.op.info();
        f.debug_struct("ObjectBlobStore")
            .field("scheme", &info.scheme())
            .field("name", &info.name())
            .finish()
    }
}

fn object_error(e: opendal::Error) -> BlobError {
    BlobError::Object(format!("{}: {}", e.kind(), e.message()))
}

/// What an object store holds ([`ObjectBlobStore::usage`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Photos stored whole.
    pub photos: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Bytes of unfinished uploads.
    pub partial_bytes: u64,
}

/// The parts of an upload as held: `(offset, length, path)`.
type Part = (u64, u64, String);

impl ObjectBlobStore {
    /// A store of kind `scheme` with OpenDAL's options for it (for `s3`:
    /// `bucket`, `endpoint`, `region`, `access_key_id`, `secret_access_key`,
    /// `root`; for `fs`: `root`).
    pub fn new(
        scheme: &str,
        options: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, BlobConfigError> {
        if !SCHEMES.contains(&scheme) {
            return Err(BlobConfigError::Scheme(scheme.to_owned()));
        }
        opendal::install_default();
        // Temporary failures (a 503 from the bucket, a reset connection) are
        // retried with backoff, and a hung request ends: a phone's request then
        // fails cleanly and the phone retries it. Retrying a conditional write
        // is safe: objects are content-addressed, so a repeat that meets its own
        // first write is "already there".
        let op = Operator::via_iter(scheme, options)
            .map_err(|e| BlobConfigError::Setup(e.to_string()))?
            .layer(
                opendal::layers::TimeoutLayer::new()
                    .with_timeout(std::time::Duration::from_secs(30))
                    .with_io_timeout(std::time::Duration::from_secs(20)),
            )
            .layer(
                opendal::layers::RetryLayer::new()
                    .with_max_times(4)
                    .with_jitter(),
            );
        let conditional = op.info().capability().write_with_if_not_exists;
        Ok(ObjectBlobStore { op, conditional })
    }

    /// A store configured from the environment: the kind in `FIELDGRID_BLOBS`
    /// and each option in `FIELDGRID_BLOB_<OPTION>` (`FIELDGRID_BLOB_BUCKET`,
    /// `FIELDGRID_BLOB_ENDPOINT`, `FIELDGRID_BLOB_ACCESS_KEY_ID`...). `None`
    /// when `FIELDGRID_BLOBS` is unset.
    pub fn from_env() -> Result<Option<Self>, BlobConfigError> {
        let Some(scheme) = std::env::var("FIELDGRID_BLOBS")
            .ok()
            .filter(|s| !s.is_empty())
        else {
            return Ok(None);
        };
        let options = std::env::vars().filter_map(|(k, v)| {
            k.strip_prefix("FIELDGRID_BLOB_")
                .map(|o| (o.to_ascii_lowercase(), v))
        });
        Self::new(&scheme, options).map(Some)
    }

    /// What the store holds: photos and their bytes, and unfinished uploads
    /// (for monitoring and the benchmarks; it lists every object).
    pub async fn usage(&self) -> Result<Usage, BlobError> {
        let mut usage = Usage::default();
        for (dir, uploads) in [("blobs/", false), ("partial/", true)] {
            let entries = match self.op.list_with(dir).recursive(true).await {
                Ok(e) => e,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(object_error(e)),
            };
            for entry in entries.iter().filter(|e| e.metadata().is_file()) {
                if uploads {
                    usage.partial_bytes += entry.metadata().content_length();
                } else {
                    usage.photos += 1;
                    usage.bytes += entry.metadata().content_length();
                }
            }
        }
        Ok(usage)
    }

    fn path(hash: &str) -> Result<String, BlobError> {
        check_name(hash)?;
        Ok(format!("blobs/{}/{}/{hash}", &hash[..2], &hash[2..4]))
    }

    fn partial_dir(hash: &str) -> Result<String, BlobError> {
        check_name(hash)?;
        Ok(format!("partial/{hash}/"))
    }

    /// Writes `bytes` at `path` unless something is there; `false` when it was.
    async fn write_once(&self, path: &str, bytes: Vec<u8>) -> Result<bool, BlobError> {
        let written = if self.conditional {
            self.op.write_with(path, bytes).if_not_exists(true).await
        } else if self.op.exists(path).await.map_err(object_error)? {
            return Ok(false);
        } else {
            self.op.write(path, bytes).await
        };
        match written {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::ConditionNotMatch => Ok(false),
            Err(e) => Err(object_error(e)),
        }
    }

    /// The upload's parts that chain from offset 0, in order (a part written
    /// twice at one offset by two instances holds the same bytes: the longer
    /// one is taken).
    async fn chain(&self, hash: &str) -> Result<Vec<Part>, BlobError> {
        let dir = Self::partial_dir(hash)?;
        let entries = match self.op.list(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(object_error(e)),
        };
        let mut parts: Vec<Part> = entries
            .iter()
            .filter_map(|e| {
                let (offset, len) = e.name().split_once('-')?;
                Some((offset.parse().ok()?, len.parse().ok()?, e.path().to_owned()))
            })
            .collect();
        parts.sort_by_key(|p| (p.0, std::cmp::Reverse(p.1)));
        let mut chain: Vec<Part> = Vec::new();
        let mut at = 0;
        for part in parts {
            if part.0 == at && part.1 > 0 {
                at += part.1;
                chain.push(part);
            }
        }
        Ok(chain)
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, hash: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = Self::path(hash)?;
        if blake3::hash(bytes).to_hex().as_str() != hash {
            return Err(BlobError::HashMismatch);
        }
        self.write_once(&path, bytes.to_vec()).await.map(|_| ())
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match self.op.read(&Self::path(hash)?).await {
            Ok(b) => Ok(Some(b.to_vec())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(object_error(e)),
        }
    }

    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        match self.op.stat(&Self::path(hash)?).await {
            Ok(m) => Ok(Some(m.content_length())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(object_error(e)),
        }
    }

    async fn partial_size(&self, hash: &str) -> Result<u64, BlobError> {
        Ok(self.chain(hash).await?.iter().map(|p| p.1).sum())
    }

    async fn append_partial(
        &self,
        hash: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<u64, BlobError> {
        let held = self.partial_size(hash).await?;
        if held != offset || bytes.is_empty() {
            return Ok(held);
        }
        let path = format!("{}{offset:020}-{}", Self::partial_dir(hash)?, bytes.len());
        if self.write_once(&path, bytes.to_vec()).await? {
            Ok(offset + bytes.len() as u64)
        } else {
            // Another instance wrote this part first.
            self.partial_size(hash).await
        }
    }

    async fn complete_partial(&self, hash: &str) -> Result<(), BlobError> {
        let chain = self.chain(hash).await?;
        let mut bytes = Vec::with_capacity(chain.iter().map(|p| p.1 as usize).sum());
        for (_, _, path) in &chain {
            bytes.extend_from_slice(&self.op.read(path).await.map_err(object_error)?.to_vec());
        }
        let result = self.put(hash, &bytes).await;
        self.remove_partial(hash).await?;
        result
    }

    async fn remove_partial(&self, hash: &str) -> Result<(), BlobError> {
        match self
            .op
            .delete_with(&Self::partial_dir(hash)?)
            .recursive(true)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(object_error(e)),
        }
    }
}
