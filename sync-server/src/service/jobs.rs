//! Background work run by one instance at a time: each instance asks for the
//! lead every hour (`JobStore::try_lead`, an advisory lock on PostgreSQL) and
//! only the one that gets it does the work.

use super::{ServiceError, news, uploads};
use crate::AppState;

/// The hourly sweep: unfinished photo uploads past their age are removed, and
/// news older than two weeks (a phone that has not checked since syncs anyway).
/// Returns whether this instance led it; another instance sweeping now means
/// this one does nothing.
pub async fn sweep(state: &AppState) -> Result<bool, ServiceError> {
    let Some(lease) = state.storage.try_lead("sweep").await? else {
        return Ok(false);
    };
    let age = state.settings.upload_max_age_s;
    let uploads = uploads::remove_stale(state, age).await;
    let news = news::prune(state).await;
    lease.release().await;
    if let Err(e) = uploads {
        tracing::warn!(error = %e, "removing stale uploads failed");
    }
    if let Err(e) = news {
        tracing::warn!(error = %e, "pruning old news failed");
    }
    Ok(true)
}
