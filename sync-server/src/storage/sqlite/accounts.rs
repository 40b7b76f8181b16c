//! Device accounts, administrators and login attempts: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl AccountStore for SqliteStorage {
    async fn create_account(&self, a: &DeviceAccount) -> StorageResult<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"),
                params![a.id, a.device_id, a.name, a.id_number, a.phone, a.token_hash,
                        a.status.as_str(), a.staff_id, a.reason, a.created_at, a.last_sync_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn account(&self, id: &str) -> StorageResult<Option<DeviceAccount>> {
        let id = id.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                [id],
                |r| rows::account(r),
            )
        })
        .await
    }

    async fn account_by_token(&self, token_hash: &str) -> StorageResult<Option<DeviceAccount>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE token_hash = ?1"),
                [h],
                |r| rows::account(r),
            )
        })
        .await
    }

    async fn accounts(&self, status: Option<DeviceStatus>) -> StorageResult<Vec<DeviceAccount>> {
        let status = status.map(|s| s.as_str().to_owned());
        self.read(move |c| {
            all(
                c,
                &format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE ?1 IS NULL OR status = ?1
                     ORDER BY created_at, id"
                ),
                [status],
                |r| rows::account(r),
            )
        })
        .await
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
        let (id, staff_id, reason) = (
            id.to_owned(),
            staff_id.map(str::to_owned),
            reason.map(str::to_owned),
        );
        self.write(move |c| {
            let n = c.execute(
                "UPDATE accounts SET status = ?3, staff_id = coalesce(?4, staff_id),
                        reason = coalesce(?5, reason), decided_at = ?6
                 WHERE id = ?1 AND status = ?2",
                params![id, from.as_str(), to.as_str(), staff_id, reason, at],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn touch_account(&self, id: &str, at: i64) -> StorageResult<()> {
        let id = id.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE accounts SET last_sync_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn create_admin(&self, name: &str, token_hash: &str, at: i64) -> StorageResult<()> {
        let (n, h) = (name.to_owned(), token_hash.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO admins (token_hash, name, created_at) VALUES (?1, ?2, ?3)",
                params![h, n, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn admin_by_token(&self, token_hash: &str) -> StorageResult<Option<String>> {
        let h = token_hash.to_owned();
        self.read(move |c| {
            Ok(
                c.query_row("SELECT name FROM admins WHERE token_hash = ?1", [h], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    async fn record_attempt(&self, keys: &[String], at: i64) -> StorageResult<()> {
        let keys = keys.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            for k in &keys {
                tx.execute(
                    "INSERT INTO attempts (key, at) VALUES (?1, ?2)",
                    params![k, at],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn attempts_since(&self, key: &str, since: i64) -> StorageResult<u64> {
        let key = key.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM attempts WHERE at < ?1 - 86400", [since])?;
            let n: i64 = c.query_row(
                "SELECT count(*) FROM attempts WHERE key = ?1 AND at >= ?2",
                params![key, since],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    async fn clear_attempts(&self, key: &str) -> StorageResult<()> {
        let key = key.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM attempts WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }
}
