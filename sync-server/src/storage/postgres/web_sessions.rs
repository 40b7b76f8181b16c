//! The pages' users and sessions: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl WebSessionStore for PostgresStorage {
    async fn put_web_user(&self, user: &WebUser) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO web_users (username, password_hash, role, staff_id, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                    role = EXCLUDED.role, staff_id = EXCLUDED.staff_id",
                &[
                    &user.username,
                    &user.password_hash,
                    &user.role,
                    &user.staff_id,
                    &user.created_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn web_user(&self, username: &str) -> StorageResult<Option<WebUser>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("SELECT {WEB_USER_COLUMNS} FROM web_users WHERE username = $1"),
                &[&username],
            )
            .await?;
        row.as_ref().map(rows::web_user).transpose()
    }

    async fn create_web_session(&self, session: &WebSession) -> StorageResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "DELETE FROM web_sessions WHERE expires_at < $1",
                &[&(session.expires_at - 14 * 86_400)],
            )
            .await?;
        client
            .execute(
                "INSERT INTO web_sessions (id_hash, username, csrf, expires_at) VALUES ($1, $2, $3, $4)",
                &[&session.id_hash, &session.username, &session.csrf, &session.expires_at],
            )
            .await?;
        Ok(())
    }

    async fn web_session(&self, id_hash: &str, now: i64) -> StorageResult<Option<WebSession>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {WEB_SESSION_COLUMNS} FROM web_sessions
                     WHERE id_hash = $1 AND expires_at > $2"
                ),
                &[&id_hash, &now],
            )
            .await?;
        row.as_ref().map(rows::web_session).transpose()
    }

    async fn delete_web_session(&self, id_hash: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("DELETE FROM web_sessions WHERE id_hash = $1", &[&id_hash])
            .await?;
        Ok(())
    }
}
