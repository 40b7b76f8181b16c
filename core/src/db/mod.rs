//! Opening the SQLite file: pragmas, ownership checks and corruption reporting.

pub(crate) mod migrations;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, Result};

/// `PRAGMA application_id` of a Fieldgrid store ("FGRD").
pub(crate) const APPLICATION_ID: i64 = 0x4647_5244;

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (or creates) the database file, checks that it is ours and not damaged,
/// sets the pragmas and brings the schema up to date.
pub(crate) fn open(
    path: &Path,
    key: Option<&[u8]>,
    schema: &[migrations::Migration],
) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| classify(path, e))?;
    if let Some(key) = key {
        apply_key(&conn, path, key)?;
    }

    // Read-only checks first: a file that is not ours must not be modified.
    check_ownership(&conn, path)?;

    // WAL keeps readers off the writer's back; synchronous=FULL makes every commit
    // durable against power loss, not only against the process being killed: a
    // phone's battery does run out in the middle of a patrol.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            detail: format!("could not switch to WAL journaling (got {mode})"),
        });
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(|e| classify(path, e))?;

    migrations::migrate(&conn, path, schema)?;
    Ok(conn)
}

/// Keys the connection with SQLCipher (a raw 256-bit key derived from the app's
/// secret). Refuses if this build has no SQLCipher: plain SQLite would ignore the
/// key and write the data in the clear.
fn apply_key(conn: &Connection, path: &Path, key: &[u8]) -> Result<()> {
    if key.len() < 16 {
        return Err(Error::WrongKey {
            path: path.to_owned(),
        });
    }
    let cipher: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .ok();
    if cipher.is_none() {
        return Err(Error::EncryptionUnavailable);
    }
    // SQLCipher logs failed page checks to stderr; a wrong key is our error to
    // report, not noise for the app's log.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    let raw = blake3::derive_key("fieldgrid 2026-11 sqlcipher store key", key);
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(raw)))
        .map_err(|e| classify(path, e))?;
    // The key is only tried on first use: "not a database" now means this key does
    // not open the file (another key, or a store that was never encrypted).
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => Err(Error::WrongKey {
            path: path.to_owned(),
        }),
        Err(e) => Err(classify(path, e)),
    }
}

/// Whether the file starts like an unencrypted SQLite database.
fn is_plain_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"SQLite format 3\0")
}

/// Refuses files that are SQLite but belong to something else, and reports damage.
fn check_ownership(conn: &Connection, path: &Path) -> Result<()> {
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| classify(path, e))?;
    let foreign = if app_id == 0 {
        // A brand-new file has no objects; an old file of ours always has a version.
        version == 0 && objects > 0
    } else {
        app_id != APPLICATION_ID
    };
    if foreign {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            detail: "the file is an SQLite database of another application".into(),
        });
    }
    Ok(())
}

/// Turns SQLite's "not a database" and "corrupt" codes into [`Error::Corrupt`].
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_owned(),
            detail: if is_plain_sqlite(path) || !path.exists() {
                e.to_string()
            } else {
                format!(
                    "{e} (damaged, not a database, or encrypted: an encrypted store needs its key)"
                )
            },
        },
        _ => Error::Sqlite(e),
    }
}

/// Runs `PRAGMA integrity_check` and returns the problems it lists (empty when sound).
pub(crate) fn integrity_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows.into_iter().filter(|r| r != "ok").collect())
}
