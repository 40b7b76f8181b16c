//! Photos: the evidence of patrols, incidents and visits. Processed on arrival
//! (upright, resized, re-encoded, thumbnail), named by the BLAKE3 hash of the stored
//! JPEG so the same photo is stored once, written atomically before their metadata
//! row is committed, attached to records, and pruned only once the server has them.

mod decode;
pub(crate) mod process;

use std::io::Write;
use std::path::Path;

use serde::Serialize;

pub use process::{
    CaptureInfo, PhotoError, PhotoOptions, Processed, apply_orientation, process, read_capture,
};

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoInfo {
    /// BLAKE3 of the stored JPEG (hex): the photo's name.
    pub hash: String,
    /// Stored size, pixels.
    pub width: u32,
    /// Stored size, pixels.
    pub height: u32,
    /// Bytes of the stored JPEG.
    pub bytes: u64,
    /// Bytes of the thumbnail.
    pub thumb_bytes: u64,
    /// What the camera recorded.
    pub capture: CaptureInfo,
    /// Whether the server has the whole file.
    pub uploaded: bool,
    /// Whether the full-size file was deleted to save space (the thumbnail stays).
    pub full_pruned: bool,
}

/// A photo attached to a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoRef {
    /// The photo.
    pub photo: PhotoInfo,
    /// Its role on the record ("report", "before", "after", "entry"…).
    pub role: String,
}

/// How much space photos take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MediaUsage {
    /// Photos stored.
    pub photos: u64,
    /// Bytes of full-size files on the phone.
    pub full_bytes: u64,
    /// Bytes of thumbnails.
    pub thumb_bytes: u64,
    /// Bytes of full-size files the server does not have yet (never pruned).
    pub unsynced_bytes: u64,
}

impl MediaUsage {
    /// Everything on disk.
    pub fn total(&self) -> u64 {
        self.full_bytes + self.thumb_bytes
    }
}

/// Encrypts photo files of an encrypted store: ChaCha20-Poly1305 under a key
/// derived from the store's key, a random nonce per file. A file is
/// `FGE1 | nonce (12) | ciphertext+tag`.
pub(crate) struct MediaCipher {
    cipher: chacha20poly1305::ChaCha20Poly1305,
}

const SEALED_MAGIC: &[u8; 4] = b"FGE1";

impl MediaCipher {
    pub(crate) fn new(key: &[u8]) -> Self {
        use chacha20poly1305::KeyInit;
        let k = blake3::derive_key("fieldgrid 2026-11 photo file key", key);
        MediaCipher {
            cipher: chacha20poly1305::ChaCha20Poly1305::new(&k.into()),
        }
    }

    pub(crate) fn seal(&self, plain: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::Aead;
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), plain)
            .expect("ChaCha20-Poly1305 encryption does not fail for in-memory data");
        [SEALED_MAGIC.as_slice(), &nonce, &sealed].concat()
    }

    pub(crate) fn open(&self, file: &[u8]) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::Aead;
        let rest = file.strip_prefix(SEALED_MAGIC.as_slice())?;
        let (nonce, sealed) = rest.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        self.cipher.decrypt(&nonce.into(), sealed).ok()
    }
}

/// Writes `bytes` to `path` so that a reader never sees a partial file and a crash
/// leaves either the whole file or none: temporary file, fsync, rename, fsync the
/// folder.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
