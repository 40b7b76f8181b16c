//! The PostgreSQL backend: a connection pool, nothing kept in process memory, so any
//! number of server instances can share one database.

mod accounts;
mod documents;
mod intake;
mod jobs;
mod knowledge;
mod live;
mod news;
mod points;
mod reference;
mod tracks;
mod uploads;
mod web_sessions;

use super::LivePosition;
use fieldgrid_core::assessment::{PatrolBrief, PointAdjustment};
use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::prelude::*;
use super::rows::{
    self, ACCOUNT_COLUMNS, CHANGE_COLUMNS, DOC_ROW_COLUMNS, RECORD_EDIT_COLUMNS, RowRead,
    STORED_DOC_COLUMNS, WEB_SESSION_COLUMNS, WEB_USER_COLUMNS,
};
use super::{
    ChangeRow, ChunkOutcome, DeviceAccount, DeviceStatus, DocRow, DocumentSave, NewsItem,
    SaveOutcome, Storage, StorageError, StorageResult, StorageStats, StoredDoc, TrackChunk,
    WebSession, WebUser,
};

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    /// For the dedicated LISTEN connection.
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage").finish_non_exhaustive()
    }
}

fn pool_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Pool(e.to_string())
}

impl PostgresStorage {
    /// Connects to `url` (e.g. `postgres://user@127.0.0.1:5432/fieldgrid`) and
    /// brings the schema up to date (under an advisory lock, so instances starting
    /// together migrate once).
    pub async fn connect(url: &str, max_connections: usize) -> StorageResult<Self> {
        let config: tokio_postgres::Config = url.parse()?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections)
            .build()
            .map_err(pool_err)?;
        let storage = PostgresStorage { pool, config };
        storage.migrate().await?;
        Ok(storage)
    }

    async fn migrate(&self) -> StorageResult<()> {
        let mut client = self.pool.get().await.map_err(pool_err)?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock(4647524401)", &[])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await?;
        let version: i64 = tx
            .query_opt("SELECT version FROM schema_version", &[])
            .await?
            .map_or(0, |r| r.get(0));
        let steps = super::migrations::pending(version)?;
        let Some(last) = steps.last() else {
            return Ok(());
        };
        for step in steps {
            tx.batch_execute(step.postgres).await?;
        }
        tx.execute("DELETE FROM schema_version", &[]).await?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&last.version],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self) -> StorageResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn stats(&self) -> StorageResult<StorageStats> {
        let client = self.client().await?;
        let devices = client
            .query("SELECT status, count(*) FROM accounts GROUP BY status", &[])
            .await?
            .iter()
            .map(|r| (DeviceStatus::parse(r.get(0)), r.get(1)))
            .collect();
        let documents: i64 = client
            .query_one("SELECT count(*) FROM documents", &[])
            .await?
            .get(0);
        let last_seq: i64 = client
            .query_one("SELECT value FROM counters WHERE name = 'seq'", &[])
            .await?
            .get(0);
        Ok(StorageStats {
            devices,
            documents,
            last_seq,
        })
    }
}
