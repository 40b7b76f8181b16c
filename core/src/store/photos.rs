//! Photos on the phone: adding (decoded, fitted and stripped once), attaching to
//! records, upload bookkeeping and clean-up.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::media::{
    CaptureInfo, MediaUsage, PhotoInfo, PhotoOptions, PhotoRef, process, write_atomically,
};
use crate::time::now;

impl FieldStore {
    /// The folder photos are kept in, next to the database.
    pub fn media_dir(&self) -> PathBuf {
        let mut p = self.path().as_os_str().to_owned();
        p.push(".media");
        PathBuf::from(p)
    }

    /// A photo's JPEG bytes (`thumbnail` for the small one), decrypted if the store
    /// is encrypted. `None` when that file was pruned or the photo is unknown. A
    /// file that fails its check (damaged, or not sealed by this store's key) is an
    /// error, never shown.
    pub fn photo_bytes(&self, hash: &str, thumbnail: bool) -> Result<Option<Vec<u8>>> {
        let Some(path) = self.photo_file(hash, thumbnail)? else {
            return Ok(None);
        };
        let file = std::fs::read(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        match self.media_cipher() {
            None => Ok(Some(file)),
            Some(c) => c.open(&file).map(Some).ok_or_else(|| Error::Io {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the photo file is damaged or was not sealed with this store's key",
                ),
            }),
        }
    }

    /// Where a photo's file is (`thumbnail` for the small one). `None` when that
    /// file was pruned or the photo is unknown. In an encrypted store the file is
    /// sealed: read it with [`FieldStore::photo_bytes`].
    pub fn photo_file(&self, hash: &str, thumbnail: bool) -> Result<Option<PathBuf>> {
        let pruned: Option<i64> = self
            .conn()
            .query_row(
                "SELECT full_pruned FROM photos WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match pruned {
            None => None,
            Some(1) if !thumbnail => None,
            Some(_) => Some(self.file_for(hash, thumbnail)),
        })
    }

    fn file_for(&self, hash: &str, thumbnail: bool) -> PathBuf {
        let name = if thumbnail {
            format!("{hash}.thumb.jpg")
        } else {
            format!("{hash}.jpg")
        };
        self.media_dir().join(&hash[..2]).join(name)
    }

    /// Processes and stores a photo (JPEG or PNG bytes) with default options.
    pub fn add_photo(&self, bytes: &[u8]) -> Result<PhotoInfo> {
        self.add_photo_with(bytes, &PhotoOptions::default())
    }

    /// Reads a photo from a file and stores it.
    pub fn add_photo_file(&self, path: impl AsRef<Path>) -> Result<PhotoInfo> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        self.add_photo(&bytes)
    }

    /// Processes and stores a photo. The same photo added twice is stored once.
    /// The files are durable before the metadata row is committed; a refused photo
    /// leaves nothing behind.
    pub fn add_photo_with(&self, bytes: &[u8], options: &PhotoOptions) -> Result<PhotoInfo> {
        let processed = process(bytes, options)?;
        let hash = blake3::hash(&processed.jpeg).to_hex().to_string();
        if let Some(existing) = self.photo(&hash)? {
            return Ok(existing);
        }
        for (thumb, data) in [(false, &processed.jpeg), (true, &processed.thumb)] {
            let path = self.file_for(&hash, thumb);
            let stored = match self.media_cipher() {
                Some(c) => c.seal(data),
                None => data.clone(),
            };
            write_atomically(&path, &stored).map_err(|source| Error::Io { path, source })?;
        }
        let c = &processed.capture;
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO photos (hash, width, height, bytes, thumb_bytes, taken_at_ms, lat, lon,
                    device, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    hash,
                    processed.width,
                    processed.height,
                    processed.jpeg.len() as i64,
                    processed.thumb.len() as i64,
                    c.taken_at_ms,
                    c.lat,
                    c.lon,
                    c.device,
                    now()
                ],
            )?;
            Ok(())
        })?;
        self.photo(&hash)?
            .map(|mut p| {
                p.capture.orientation = c.orientation;
                p
            })
            .ok_or(Error::NotFound { id: hash })
    }

    /// A stored photo.
    pub fn photo(&self, hash: &str) -> Result<Option<PhotoInfo>> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM photos WHERE hash = ?1"),
                [hash],
                info,
            )
            .optional()?)
    }

    /// Attaches a stored photo to a record in a role. Attaching twice is a no-op.
    pub fn attach_photo(&self, hash: &str, record_id: &str, role: &str) -> Result<()> {
        self.write(|tx| {
            let known: bool = tx.query_row("SELECT count(*) FROM photos WHERE hash = ?1", [hash], |r| r.get::<_, i64>(0))? > 0;
            if !known {
                return Err(Error::NotFound { id: hash.to_owned() });
            }
            let record: bool =
                tx.query_row("SELECT count(*) FROM documents WHERE doc_id = ?1", [record_id], |r| r.get::<_, i64>(0))? > 0;
            if !record {
                return Err(Error::NotFound { id: record_id.to_owned() });
            }
            tx.execute(
                "INSERT OR IGNORE INTO photo_refs (hash, record_id, role, added_at) VALUES (?1, ?2, ?3, ?4)",
                params![hash, record_id, role, now()],
            )?;
            Ok(())
        })
    }

    /// Detaches a photo from a record; the file stays while anything refers to it
    /// (and until the next garbage collection).
    pub fn detach_photo(&self, hash: &str, record_id: &str, role: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM photo_refs WHERE hash = ?1 AND record_id = ?2 AND role = ?3",
                params![hash, record_id, role],
            )? == 1)
        })
    }

    /// The photos attached to a record, in the order attached.
    pub fn photos_of(&self, record_id: &str) -> Result<Vec<PhotoRef>> {
        let conn = self.conn();
        let cols: String = COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT {cols}, r.role FROM photo_refs r JOIN photos p ON p.hash = r.hash
             WHERE r.record_id = ?1 ORDER BY r.added_at, r.hash"
        ))?;
        let rows = stmt
            .query_map([record_id], |r| {
                Ok(PhotoRef {
                    photo: info(r)?,
                    role: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Photos the server does not have yet, oldest first: `(hash, size, bytes the
    /// server confirmed so far)`.
    pub fn pending_photo_uploads(&self, limit: usize) -> Result<Vec<(String, u64, u64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT hash, bytes, uploaded_bytes FROM photos WHERE uploaded = 0 AND full_pruned = 0
             ORDER BY added_at, hash LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Notes how much of a photo the server confirmed.
    pub fn record_photo_upload(&self, hash: &str, confirmed: u64, complete: bool) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE photos SET uploaded_bytes = ?2, uploaded = ?3 WHERE hash = ?1",
                params![hash, confirmed as i64, i64::from(complete)],
            )?;
            Ok(())
        })
    }

    /// Notes that the server holds the whole photo (set by the upload).
    pub fn mark_photo_uploaded(&self, hash: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE photos SET uploaded = 1, uploaded_bytes = bytes WHERE hash = ?1",
                [hash],
            )?;
            Ok(())
        })
    }

    /// How much space photos take.
    pub fn media_usage(&self) -> Result<MediaUsage> {
        Ok(self.conn().query_row(
            "SELECT count(*),
                    coalesce(sum(CASE WHEN full_pruned = 0 THEN bytes ELSE 0 END), 0),
                    coalesce(sum(thumb_bytes), 0),
                    coalesce(sum(CASE WHEN uploaded = 0 THEN bytes ELSE 0 END), 0)
             FROM photos",
            [],
            |r| {
                Ok(MediaUsage {
                    photos: r.get::<_, i64>(0)? as u64,
                    full_bytes: r.get::<_, i64>(1)? as u64,
                    thumb_bytes: r.get::<_, i64>(2)? as u64,
                    unsynced_bytes: r.get::<_, i64>(3)? as u64,
                })
            },
        )?)
    }

    /// Frees space until photos take at most `budget` bytes: deletes full-size files
    /// the server has confirmed, oldest first, keeping their thumbnails. Photos the
    /// server does not have are never pruned, whatever the budget. Returns how many
    /// full-size files were deleted.
    pub fn prune_photos(&self, budget: u64) -> Result<usize> {
        let mut usage = self.media_usage()?;
        let candidates: Vec<(String, i64)> = self
            .conn()
            .prepare("SELECT hash, bytes FROM photos WHERE uploaded = 1 AND full_pruned = 0 ORDER BY added_at, hash")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut pruned = 0;
        for (hash, bytes) in candidates {
            if usage.total() <= budget {
                break;
            }
            // Row first: a crash after it leaves a stray file for the sweep, never a
            // row pointing at a missing file.
            self.write(|tx| {
                tx.execute("UPDATE photos SET full_pruned = 1 WHERE hash = ?1", [&hash])?;
                Ok(())
            })?;
            let _ = std::fs::remove_file(self.file_for(&hash, false));
            usage.full_bytes -= bytes as u64;
            pruned += 1;
        }
        Ok(pruned)
    }

    /// Deletes photos no record refers to, added more than `grace_s` seconds ago
    /// (a photo just taken is not attached yet), and stray files older than that.
    /// Returns how many photos were deleted.
    pub fn gc_photos(&self, grace_s: i64) -> Result<usize> {
        let cutoff = now() - grace_s;
        let doomed: Vec<String> = self.write(|tx| {
            let hashes: Vec<String> = tx
                .prepare(
                    "SELECT hash FROM photos p WHERE added_at <= ?1
                     AND NOT EXISTS (SELECT 1 FROM photo_refs r WHERE r.hash = p.hash)",
                )?
                .query_map([cutoff], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for h in &hashes {
                tx.execute("DELETE FROM photos WHERE hash = ?1", [h])?;
            }
            Ok(hashes)
        })?;
        for h in &doomed {
            let _ = std::fs::remove_file(self.file_for(h, false));
            let _ = std::fs::remove_file(self.file_for(h, true));
        }
        // Files without a row (a crash between writing a file and its row, or after
        // deleting a row) are swept once they are old enough.
        let known: std::collections::HashSet<String> = self
            .conn()
            .prepare("SELECT hash FROM photos")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let limit =
            std::time::SystemTime::now() - std::time::Duration::from_secs(grace_s.max(0) as u64);
        if let Ok(dirs) = std::fs::read_dir(self.media_dir()) {
            for entry in dirs
                .flatten()
                .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let hash = name.split('.').next().unwrap_or_default().to_owned();
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t <= limit);
                if old && (name.starts_with(".tmp-") || !known.contains(&hash)) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(doomed.len())
    }
}

const COLUMNS: &str =
    "hash, width, height, bytes, thumb_bytes, taken_at_ms, lat, lon, device, uploaded, full_pruned";

fn info(r: &rusqlite::Row<'_>) -> rusqlite::Result<PhotoInfo> {
    Ok(PhotoInfo {
        hash: r.get(0)?,
        width: r.get(1)?,
        height: r.get(2)?,
        bytes: r.get::<_, i64>(3)? as u64,
        thumb_bytes: r.get::<_, i64>(4)? as u64,
        capture: CaptureInfo {
            taken_at_ms: r.get(5)?,
            lat: r.get(6)?,
            lon: r.get(7)?,
            device: r.get(8)?,
            orientation: 1,
        },
        uploaded: r.get::<_, i64>(9)? != 0,
        full_pruned: r.get::<_, i64>(10)? != 0,
    })
}
