//! Content-addressed blobs (photos): a trait, and a filesystem store. An
//! S3-compatible store implements the same trait for deployments with several
//! server instances. Names are BLAKE3 hashes in lowercase hex and nothing else, so no
//! name can reach outside the store's folder.

use std::path::{Path, PathBuf};

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

/// Blobs as files under a folder, fanned out by the first two bytes of the hash.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// A store under `root` (created if missing).
    pub fn new(root: impl AsRef<Path>) -> std::io::Result<Self> {
        std::fs::create_dir_all(root.as_ref())?;
        Ok(FsBlobStore {
            root: root.as_ref().to_owned(),
        })
    }

    fn partial_path(&self, hash: &str) -> Result<PathBuf, BlobError> {
        check_name(hash)?;
        Ok(self.root.join("partial").join(hash))
    }

    fn path(&self, hash: &str) -> Result<PathBuf, BlobError> {
        check_name(hash)?;
        Ok(self.root.join(&hash[..2]).join(&hash[2..4]).join(hash))
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, hash: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = self.path(hash)?;
        if blake3::hash(bytes).to_hex().as_str() != hash {
            return Err(BlobError::HashMismatch);
        }
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        // Written to a temporary name, synced, then renamed: a reader never sees
        // half a blob, and a crash leaves at worst a stray temporary file.
        let tmp = dir.join(format!(".{hash}.{}", uuid::Uuid::new_v4().simple()));
        let bytes = bytes.to_vec();
        let (tmp2, path2) = (tmp.clone(), path.clone());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp2)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp2, &path2)?;
            if let Some(d) = path2.parent() {
                std::fs::File::open(d)?.sync_all()?;
            }
            Ok(())
        })
        .await
        .map_err(|e| BlobError::Io(std::io::Error::other(e)))??;
        Ok(())
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match tokio::fs::read(self.path(hash)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn size(&self, hash: &str) -> Result<Option<u64>, BlobError> {
        match tokio::fs::metadata(self.path(hash)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn partial_size(&self, hash: &str) -> Result<u64, BlobError> {
        match tokio::fs::metadata(self.partial_path(hash)?).await {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    async fn append_partial(
        &self,
        hash: &str,
        offset: u64,
        bytes: &[u8],
    ) -> Result<u64, BlobError> {
        let path = self.partial_path(hash)?;
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || -> Result<u64, BlobError> {
            use std::io::Write;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            let held = f.metadata()?.len();
            if held != offset {
                return Ok(held);
            }
            f.write_all(&bytes)?;
            // Durable before it is confirmed: a confirmed byte is never asked again.
            f.sync_all()?;
            Ok(held + bytes.len() as u64)
        })
        .await
        .map_err(|e| BlobError::Io(std::io::Error::other(e)))?
    }

    async fn complete_partial(&self, hash: &str) -> Result<(), BlobError> {
        let partial = self.partial_path(hash)?;
        let bytes = tokio::fs::read(&partial).await?;
        let result = self.put(hash, &bytes).await;
        let _ = tokio::fs::remove_file(&partial).await;
        result
    }

    async fn remove_partial(&self, hash: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.partial_path(hash)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_are_hashes_and_content_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path()).unwrap();
        let bytes = b"photo bytes";
        let hash = blake3::hash(bytes).to_hex().to_string();
        store.put(&hash, bytes).await.unwrap();
        store.put(&hash, bytes).await.unwrap();
        assert_eq!(store.get(&hash).await.unwrap().unwrap(), bytes);
        assert_eq!(store.size(&hash).await.unwrap(), Some(11));
        let other = blake3::hash(b"x").to_hex().to_string();
        assert!(matches!(
            store.put(&other, bytes).await,
            Err(BlobError::HashMismatch)
        ));
        assert_eq!(store.get(&other).await.unwrap(), None);
        for evil in [
            "../../etc/passwd",
            "..",
            "",
            &hash.to_uppercase(),
            &format!("{hash}/.."),
        ] {
            assert!(
                matches!(store.get(evil).await, Err(BlobError::BadName)),
                "{evil}"
            );
        }
    }
}
