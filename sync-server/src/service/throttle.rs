//! Throttling of logins and registrations, counted in storage so that a restart or
//! a second instance sees the same count: failed logins per user name and per client
//! address, registrations per client address
//! (`Settings::registrations_per_hour`). Keys are hashed: neither names nor
//! addresses are stored as they came.

use super::ServiceError;
use crate::{AppState, now};

/// How many attempts a window allows.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Attempts allowed within the window.
    pub max: u64,
    /// The window, seconds.
    pub window_s: i64,
}

/// Failed passwords per user name: five, then the name is locked for 15 minutes.
pub const LOGIN_PER_NAME: Limit = Limit {
    max: 5,
    window_s: 15 * 60,
};
/// Failed passwords per client address, whatever the names tried.
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    max: 20,
    window_s: 15 * 60,
};

fn key(kind: &str, value: &str) -> String {
    format!("{kind}:{}", &blake3::hash(value.as_bytes()).to_hex()[..32])
}

async fn over(state: &AppState, key: &str, limit: Limit) -> Result<bool, ServiceError> {
    Ok(state
        .storage
        .attempts_since(key, now() - limit.window_s)
        .await?
        >= limit.max)
}

/// Whether a login for `username` from `address` may be tried now.
pub async fn login_allowed(
    state: &AppState,
    username: &str,
    address: &str,
) -> Result<bool, ServiceError> {
    Ok(
        !over(state, &key("login-name", username), LOGIN_PER_NAME).await?
            && !over(state, &key("login-addr", address), LOGIN_PER_ADDRESS).await?,
    )
}

/// Counts a failed login against the name and the address.
pub async fn login_failed(
    state: &AppState,
    username: &str,
    address: &str,
) -> Result<(), ServiceError> {
    Ok(state
        .storage
        .record_attempt(
            &[key("login-name", username), key("login-addr", address)],
            now(),
        )
        .await?)
}

/// A successful login clears the name's failures (not the address's).
pub async fn login_succeeded(state: &AppState, username: &str) -> Result<(), ServiceError> {
    Ok(state
        .storage
        .clear_attempts(&key("login-name", username))
        .await?)
}

/// Counts a registration from `address`; `false` when the address is over its limit
/// (the registration is then not made).
pub async fn registration_allowed(state: &AppState, address: &str) -> Result<bool, ServiceError> {
    let k = key("register-addr", address);
    let limit = Limit {
        max: state.settings.registrations_per_hour,
        window_s: 3600,
    };
    if over(state, &k, limit).await? {
        return Ok(false);
    }
    state.storage.record_attempt(&[k], now()).await?;
    Ok(true)
}

/// Public reports per client address: a household's few, not a script's many.
pub const PUBLIC_PER_ADDRESS: Limit = Limit {
    max: 10,
    window_s: 3600,
};
/// Public reports per contact phone, whatever the address.
pub const PUBLIC_PER_PHONE: Limit = Limit {
    max: 5,
    window_s: 24 * 3600,
};

/// Counts a public report from `address` for `phone`; `false` (and nothing
/// counted) when either is over its limit.
pub async fn public_report_allowed(
    state: &AppState,
    address: &str,
    phone: &str,
) -> Result<bool, ServiceError> {
    let (a, p) = (key("public-addr", address), key("public-phone", phone));
    if over(state, &a, PUBLIC_PER_ADDRESS).await? || over(state, &p, PUBLIC_PER_PHONE).await? {
        return Ok(false);
    }
    state.storage.record_attempt(&[a, p], now()).await?;
    Ok(true)
}
