//! Device accounts: registering, the token a request carries, the lists
//! administrators decide from. An administrator on the pages may assign a
//! registration to, or revoke the device of, only a person whose whole area lies
//! inside the administrator's own.

use super::{Caller, ServiceError};
use crate::AppState;
use crate::storage::{DeviceAccount, DeviceStatus, StorageStats};

/// Stores a new registration; `false` when its token is registered already
/// (nothing stored).
pub async fn register(state: &AppState, account: &DeviceAccount) -> Result<bool, ServiceError> {
    if state
        .storage
        .account_by_token(&account.token_hash)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    state.storage.create_account(account).await?;
    Ok(true)
}

/// The account whose token hashes to `token_hash`, if any.
pub async fn by_token(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<DeviceAccount>, ServiceError> {
    Ok(state.storage.account_by_token(token_hash).await?)
}

/// The administrator whose token hashes to `token_hash`, if any.
pub async fn admin_by_token(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(state.storage.admin_by_token(token_hash).await?)
}

/// Every account, or those of one status.
pub async fn list(
    state: &AppState,
    status: Option<DeviceStatus>,
) -> Result<Vec<DeviceAccount>, ServiceError> {
    Ok(state.storage.accounts(status).await?)
}

/// The account `id` when its person lies wholly inside the caller's area (an
/// administrator on the pages); otherwise, or unknown, [`ServiceError::NotFound`].
pub async fn assignable_account(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<DeviceAccount, ServiceError> {
    state
        .storage
        .account(id)
        .await?
        .filter(|a| a.staff_id.as_deref().is_some_and(|s| assignable(caller, s)))
        .ok_or(ServiceError::NotFound)
}

/// The counts `/metrics` shows of storage.
pub async fn storage_stats(state: &AppState) -> Result<StorageStats, ServiceError> {
    Ok(state.storage.stats().await?)
}

/// Whether `staff` (an org-tree person) lies wholly inside the caller's area: a
/// person with no grids at all lies in nobody's.
pub fn assignable(caller: &Caller, staff: &str) -> bool {
    let theirs = caller.tree.scope_of(staff);
    !theirs.all.is_empty() && theirs.all.is_subset(&caller.scope.all)
}
