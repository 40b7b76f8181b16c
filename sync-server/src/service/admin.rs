//! Administration, shared by the HTTP API and the CLI: deciding registrations,
//! revoking devices, publishing the org tree.

use fieldgrid_core::ReferenceData;

use crate::storage::{DeviceStatus, StorageError};
use crate::{AppState, now};

/// Why an administrative action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such registration.
    #[error("no registration {0}")]
    NotFound(String),
    /// The registration is not in the status the action needs.
    #[error("registration {id} is {actual}, not {expected}")]
    WrongStatus {
        /// The registration.
        id: String,
        /// Its status.
        actual: &'static str,
        /// The status needed.
        expected: &'static str,
    },
    /// The person is not in the published org tree.
    #[error("staff {0} is not in the org tree")]
    UnknownStaff(String),
    /// The reference data (org tree, catalogue, form pack) breaks its rules.
    #[error("the reference data was rejected: {}", .0.join("; "))]
    InvalidReference(Vec<String>),
    /// The reference data is not newer than the published version.
    #[error("version {offered} is not newer than the published {current}")]
    NotNewer {
        /// Offered version.
        offered: u64,
        /// Published version.
        current: u64,
    },
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Keeps the first `head` and last `tail` characters of personal data, masks the rest.
pub fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Approves a pending registration as `staff_id` of the org tree.
pub async fn approve(state: &AppState, id: &str, staff_id: &str) -> Result<(), AdminError> {
    let tree = state.org_tree().await?;
    if !tree.staff.iter().any(|s| s.id == staff_id) {
        return Err(AdminError::UnknownStaff(staff_id.to_owned()));
    }
    decide(
        state,
        id,
        DeviceStatus::Pending,
        DeviceStatus::Approved,
        Some(staff_id),
        None,
    )
    .await
}

/// Rejects a pending registration.
pub async fn reject(state: &AppState, id: &str, reason: &str) -> Result<(), AdminError> {
    decide(
        state,
        id,
        DeviceStatus::Pending,
        DeviceStatus::Rejected,
        None,
        Some(reason),
    )
    .await
}

/// Revokes an approved device.
pub async fn revoke(state: &AppState, id: &str) -> Result<(), AdminError> {
    decide(
        state,
        id,
        DeviceStatus::Approved,
        DeviceStatus::Revoked,
        None,
        Some("revoked"),
    )
    .await
}

async fn decide(
    state: &AppState,
    id: &str,
    from: DeviceStatus,
    to: DeviceStatus,
    staff: Option<&str>,
    reason: Option<&str>,
) -> Result<(), AdminError> {
    if state
        .storage
        .set_account_status(id, from, to, staff, reason, now())
        .await?
    {
        return Ok(());
    }
    match state.storage.account(id).await? {
        None => Err(AdminError::NotFound(id.to_owned())),
        Some(a) => Err(AdminError::WrongStatus {
            id: id.to_owned(),
            actual: a.status.as_str(),
            expected: from.as_str(),
        }),
    }
}

/// Checks and publishes a newer version of any kind of reference data (the org
/// tree, the category catalogue, the form pack): one path for every kind. Phones
/// fetch it from `/v1/reference/{kind}` when the sync tells them it is newer.
pub async fn publish<R: ReferenceData>(state: &AppState, data: &R) -> Result<(), AdminError> {
    let problems = data.problems();
    if !problems.is_empty() {
        return Err(AdminError::InvalidReference(problems));
    }
    let kind = R::KIND.as_str();
    if let Some((current, _)) = state.storage.reference(kind).await?
        && current >= data.version()
    {
        return Err(AdminError::NotNewer {
            offered: data.version(),
            current,
        });
    }
    let body = serde_json::to_string(data).map_err(|e| StorageError::Other(e.to_string()))?;
    state
        .storage
        .put_reference(kind, data.version(), &body)
        .await?;
    Ok(())
}

/// Publishes a category catalogue from the file a township keeps (JSON, CSV or
/// XLSX; see [`crate::catalogue_sheet`]). A sheet becomes `version`, or the next
/// version after the published one. Returns the catalogue published.
pub async fn publish_catalogue(
    state: &AppState,
    file: &[u8],
    version: Option<u64>,
) -> Result<fieldgrid_core::incident::Catalogue, AdminError> {
    let kind = fieldgrid_core::ReferenceKind::Catalogue.as_str();
    let current = state
        .storage
        .reference_versions()
        .await?
        .into_iter()
        .find(|(what, _)| what == kind)
        .map_or(0, |(_, v)| v);
    let version = version.unwrap_or(current + 1);
    let catalogue = crate::catalogue_sheet::read_catalogue(file, version)
        .map_err(AdminError::InvalidReference)?;
    publish(state, &catalogue).await?;
    Ok(catalogue)
}
