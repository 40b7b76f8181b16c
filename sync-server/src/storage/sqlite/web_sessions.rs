//! The pages' users and sessions: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl WebSessionStore for SqliteStorage {
    async fn put_web_user(&self, user: &WebUser) -> StorageResult<()> {
        let u = user.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO web_users (username, password_hash, role, staff_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![u.username, u.password_hash, u.role, u.staff_id, u.created_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_user(&self, username: &str) -> StorageResult<Option<WebUser>> {
        let n = username.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!("SELECT {WEB_USER_COLUMNS} FROM web_users WHERE username = ?1"),
                params![n],
                |r| rows::web_user(r),
            )
        })
        .await
    }

    async fn create_web_session(&self, session: &WebSession) -> StorageResult<()> {
        let s = session.clone();
        self.write(move |c| {
            c.execute("DELETE FROM web_sessions WHERE expires_at < ?1", params![s.expires_at - 14 * 86_400])?;
            c.execute(
                "INSERT INTO web_sessions (id_hash, username, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![s.id_hash, s.username, s.csrf, s.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn web_session(&self, id_hash: &str, now: i64) -> StorageResult<Option<WebSession>> {
        let h = id_hash.to_owned();
        self.read(move |c| {
            one(
                c,
                &format!(
                    "SELECT {WEB_SESSION_COLUMNS} FROM web_sessions
                     WHERE id_hash = ?1 AND expires_at > ?2"
                ),
                params![h, now],
                |r| rows::web_session(r),
            )
        })
        .await
    }

    async fn delete_web_session(&self, id_hash: &str) -> StorageResult<()> {
        let h = id_hash.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM web_sessions WHERE id_hash = ?1", params![h])?;
            Ok(())
        })
        .await
    }
}
