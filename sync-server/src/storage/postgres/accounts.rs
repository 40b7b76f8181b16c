//! Device accounts, administrators and login attempts: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl AccountStore for PostgresStorage {
    async fn create_account(&self, a: &DeviceAccount) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"),
                &[&a.id, &a.device_id, &a.name, &a.id_number, &a.phone, &a.token_hash,
                  &a.status.as_str(), &a.staff_id, &a.reason, &a.created_at, &a.last_sync_at],
            )
            .await?;
        Ok(())
    }

    async fn account(&self, id: &str) -> StorageResult<Option<DeviceAccount>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"),
                &[&id],
            )
            .await?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn account_by_token(&self, token_hash: &str) -> StorageResult<Option<DeviceAccount>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE token_hash = $1"),
                &[&token_hash],
            )
            .await?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn accounts(&self, status: Option<DeviceStatus>) -> StorageResult<Vec<DeviceAccount>> {
        let status = status.map(|s| s.as_str());
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE $1::TEXT IS NULL OR status = $1
                     ORDER BY created_at, id"
                ),
                &[&status],
            )
            .await?;
        rows.iter().map(rows::account).collect()
    }

    async fn set_account_status(
        &self,
        id: &str,
        from: DeviceStatus,
        to: DeviceStatus,
        staff_id: Option<&str>,
        reason: Option<&str>,
        at: i64,
    ) -> StorageResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE accounts SET status = $3, staff_id = coalesce($4, staff_id),
                        reason = coalesce($5, reason), decided_at = $6
                 WHERE id = $1 AND status = $2",
                &[&id, &from.as_str(), &to.as_str(), &staff_id, &reason, &at],
            )
            .await?;
        Ok(n == 1)
    }

    async fn touch_account(&self, id: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE accounts SET last_sync_at = $2 WHERE id = $1",
                &[&id, &at],
            )
            .await?;
        Ok(())
    }

    async fn create_admin(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO admins (token_hash, name, created_at) VALUES ($1, $2, $3)",
                &[&token_hash, &name, &at],
            )
            .await?;
        Ok(())
    }

    async fn admin_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT name FROM admins WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn record_attempt(&self, keys: &[String], at: i64) -> StorageResult<()> {
        let client = self.client().await?;
        for k in keys {
            client
                .execute("INSERT INTO attempts (key, at) VALUES ($1, $2)", &[k, &at])
                .await?;
        }
        Ok(())
    }

    async fn attempts_since(&self, key: &str, since: i64) -> StorageResult<u64> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM attempts WHERE at < $1::BIGINT - 86400",
                &[&since],
            )
            .await?;
        let n: i64 = client
            .query_one(
                "SELECT count(*) FROM attempts WHERE key = $1 AND at >= $2",
                &[&key, &since],
            )
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn clear_attempts(&self, key: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM attempts WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }
}
