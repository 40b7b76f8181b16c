//! The pages' logins: web users and their sessions (only a session token's hash
//! is stored). Passwords are hashed and checked by the pages; this keeps what
//! storage holds of them.

use super::ServiceError;
use crate::AppState;
use crate::storage::{WebSession, WebUser};

/// Stores `user`, replacing one of the same name.
pub async fn put_user(state: &AppState, user: &WebUser) -> Result<(), ServiceError> {
    Ok(state.storage.put_web_user(user).await?)
}

/// The web user named `username`, if any.
pub async fn user(state: &AppState, username: &str) -> Result<Option<WebUser>, ServiceError> {
    Ok(state.storage.web_user(username).await?)
}

/// The live session whose token hashes to `id_hash`, with its user.
pub async fn signed_in(
    state: &AppState,
    id_hash: &str,
) -> Result<Option<(WebSession, WebUser)>, ServiceError> {
    let Some(session) = state.storage.web_session(id_hash, crate::now()).await? else {
        return Ok(None);
    };
    Ok(state
        .storage
        .web_user(&session.username)
        .await?
        .map(|user| (session, user)))
}

/// Stores a new session.
pub async fn start(state: &AppState, session: &WebSession) -> Result<(), ServiceError> {
    Ok(state.storage.create_web_session(session).await?)
}

/// Ends the session whose token hashes to `id_hash`.
pub async fn end(state: &AppState, id_hash: &str) -> Result<(), ServiceError> {
    Ok(state.storage.delete_web_session(id_hash).await?)
}
