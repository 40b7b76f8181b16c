//! Result rows read into the storage types, written once for both backends: each
//! mapper reads its columns by position through [`RowRead`], which SQLite's and
//! PostgreSQL's rows both implement, and names the columns it expects.

use fieldgrid_core::records::RecordKind;

use super::{
    ChangeRow, DeviceAccount, DeviceStatus, DocRow, KnowledgeRow, KnowledgeVersion, StorageError,
    StorageResult, StoredDoc, WebSession, WebUser,
};

/// A column type both backends convert.
pub(crate) trait Column:
    rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a>
{
}

impl<T> Column for T where T: rusqlite::types::FromSql + for<'a> tokio_postgres::types::FromSql<'a> {}

/// A result row of either backend.
pub(crate) trait RowRead {
    /// Column `i` (from 0) as a `T`.
    fn col<T: Column>(&self, i: usize) -> StorageResult<T>;
}

impl RowRead for rusqlite::Row<'_> {
    fn col<T: Column>(&self, i: usize) -> StorageResult<T> {
        Ok(self.get(i)?)
    }
}

impl RowRead for tokio_postgres::Row {
    fn col<T: Column>(&self, i: usize) -> StorageResult<T> {
        Ok(self.try_get(i)?)
    }
}

fn kind(r: &impl RowRead, i: usize) -> StorageResult<RecordKind> {
    r.col::<String>(i)?.parse().map_err(StorageError::Other)
}

/// The columns [`record_edit`] reads, from `record_edits`.
pub(crate) const RECORD_EDIT_COLUMNS: &str = "doc_id, kind, grid_code, author";

/// One person's edits of one record.
pub(crate) fn record_edit(
    r: &impl RowRead,
) -> StorageResult<fieldgrid_core::assessment::RecordEdit> {
    Ok(fieldgrid_core::assessment::RecordEdit {
        record: r.col(0)?,
        kind: kind(r, 1)?,
        grid: r.col(2)?,
        by: r.col(3)?,
    })
}

/// The columns [`account`] reads.
pub(crate) const ACCOUNT_COLUMNS: &str = "id, device_id, name, id_number, phone, token_hash, \
                                          status, staff_id, reason, created_at, last_sync_at";

/// A registration.
pub(crate) fn account(r: &impl RowRead) -> StorageResult<DeviceAccount> {
    Ok(DeviceAccount {
        id: r.col(0)?,
        device_id: r.col(1)?,
        name: r.col(2)?,
        id_number: r.col(3)?,
        phone: r.col(4)?,
        token_hash: r.col(5)?,
        status: DeviceStatus::parse(&r.col::<String>(6)?),
        staff_id: r.col(7)?,
        reason: r.col(8)?,
        created_at: r.col(9)?,
        last_sync_at: r.col(10)?,
    })
}

/// The columns [`stored_doc`] reads, from its `first` column on.
pub(crate) const STORED_DOC_COLUMNS: &str = "kind, grid_code, data, version";

/// A stored document, its columns starting at `first`.
pub(crate) fn stored_doc(r: &impl RowRead, first: usize) -> StorageResult<StoredDoc> {
    Ok(StoredDoc {
        kind: kind(r, first)?,
        grid_code: r.col(first + 1)?,
        data: r.col(first + 2)?,
        version: r.col(first + 3)?,
    })
}

/// The columns [`change_row`] reads.
pub(crate) const CHANGE_COLUMNS: &str = "seq, doc_id, kind, bytes";

/// One entry of the change sequence.
pub(crate) fn change_row(r: &impl RowRead) -> StorageResult<ChangeRow> {
    Ok(ChangeRow {
        seq: r.col(0)?,
        doc_id: r.col(1)?,
        kind: kind(r, 2)?,
        bytes: r.col(3)?,
    })
}

/// The columns [`doc_row`] reads.
pub(crate) const DOC_ROW_COLUMNS: &str = "doc_id, kind, data";

/// A document as a first sync pages through them.
pub(crate) fn doc_row(r: &impl RowRead) -> StorageResult<DocRow> {
    Ok(DocRow {
        doc_id: r.col(0)?,
        kind: kind(r, 1)?,
        data: r.col(2)?,
    })
}

/// The columns [`web_user`] reads.
pub(crate) const WEB_USER_COLUMNS: &str = "username, password_hash, role, staff_id, created_at";

/// A supervisor's login.
pub(crate) fn web_user(r: &impl RowRead) -> StorageResult<WebUser> {
    Ok(WebUser {
        username: r.col(0)?,
        password_hash: r.col(1)?,
        role: r.col(2)?,
        staff_id: r.col(3)?,
        created_at: r.col(4)?,
    })
}

/// The columns [`web_session`] reads.
pub(crate) const WEB_SESSION_COLUMNS: &str = "id_hash, username, csrf, expires_at";

/// A signed-in page session.
pub(crate) fn web_session(r: &impl RowRead) -> StorageResult<WebSession> {
    Ok(WebSession {
        id_hash: r.col(0)?,
        username: r.col(1)?,
        csrf: r.col(2)?,
        expires_at: r.col(3)?,
    })
}

/// The columns [`knowledge_row`] reads.
pub(crate) const KNOWLEDGE_COLUMNS: &str = "kind, id, version, item, author, at";

/// A knowledge revision or draft.
pub(crate) fn knowledge_row(r: &impl RowRead) -> StorageResult<KnowledgeRow> {
    Ok(KnowledgeRow {
        kind: r.col(0)?,
        id: r.col(1)?,
        version: r.col::<i64>(2)? as u64,
        item: r.col(3)?,
        author: r.col(4)?,
        at: r.col(5)?,
    })
}

/// A published version of the knowledge base (`version, author, at, changed`).
pub(crate) fn knowledge_version(r: &impl RowRead) -> StorageResult<KnowledgeVersion> {
    Ok(KnowledgeVersion {
        version: r.col::<i64>(0)? as u64,
        author: r.col(1)?,
        at: r.col(2)?,
        changed: r.col::<i64>(3)? as u64,
    })
}

/// The SQL of the knowledge changes query, with `{p}` for the backend's
/// parameter marker prefix (`?` or `$`): since, to, after kind, after id, limit.
pub(crate) fn knowledge_changes_sql(p: char) -> String {
    format!(
        "SELECT r.kind, r.id, r.version, r.item, r.author, r.at FROM knowledge_revisions r
         WHERE r.version > {p}1 AND r.version <= {p}2 AND (r.kind, r.id) > ({p}3, {p}4)
           AND r.version = (SELECT max(m.version) FROM knowledge_revisions m
                            WHERE m.kind = r.kind AND m.id = r.id AND m.version <= {p}2)
         ORDER BY r.kind, r.id LIMIT {p}5"
    )
}

/// The SQL of the newest revision of every item.
pub(crate) const KNOWLEDGE_LATEST_SQL: &str =
    "SELECT r.kind, r.id, r.version, r.item, r.author, r.at
     FROM knowledge_revisions r
     WHERE r.version = (SELECT max(m.version) FROM knowledge_revisions m
                        WHERE m.kind = r.kind AND m.id = r.id)
     ORDER BY r.kind, r.id";
