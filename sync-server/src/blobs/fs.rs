//! Blobs as files under a folder: the embedded default.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{BlobError, BlobStore, check_name};

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
            // Two requests for the same upload (a retry while the first still
            // runs) take turns: the length checked is the length appended to.
            f.lock()?;
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
    use crate::blobs::{BlobError, BlobStore};

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
