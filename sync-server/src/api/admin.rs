//! Administration: decide registrations, revoke devices, publish the org tree.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fieldgrid_core::org::OrgTree;
use fieldgrid_core::protocol::ErrorCode;
use serde::{Deserialize, Serialize};

use super::{Admin, ApiError};
use crate::AppState;
use crate::service::admin::{self, AdminError};
use crate::storage::{DeviceAccount, DeviceStatus};

/// A registration as administrators see it: identity data masked.
#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    #[serde(flatten)]
    account: DeviceAccount,
    id_number_masked: String,
    phone_masked: String,
}

impl From<DeviceAccount> for AccountView {
    fn from(account: DeviceAccount) -> Self {
        AccountView {
            id_number_masked: admin::mask(&account.id_number, 6, 4),
            phone_masked: admin::mask(&account.phone, 3, 4),
            account,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
}

/// `GET /v1/admin/registrations?status=pending`.
pub(crate) async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let status = match q.status.as_deref() {
        None => None,
        Some(s @ ("pending" | "approved" | "rejected" | "revoked")) => Some(DeviceStatus::parse(s)),
        Some(_) => {
            return Err(ApiError::bad_request(
                "status is one of pending, approved, rejected, revoked",
            ));
        }
    };
    let accounts = crate::service::accounts::list(&state, status).await?;
    Ok(Json(accounts.into_iter().map(AccountView::from).collect()))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Approve {
    staff_id: String,
}

/// `POST /v1/admin/registrations/{id}/approve` with the org-tree person it is.
pub(crate) async fn approve(
    State(state): State<AppState>,
    Admin(name): Admin,
    Path(id): Path<String>,
    Json(body): Json<Approve>,
) -> Result<StatusCode, ApiError> {
    admin::approve(&state, &id, &body.staff_id).await?;
    tracing::info!(registration = %id, staff = %body.staff_id, admin = %name, "registration approved");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub(crate) struct Reason {
    reason: String,
}

/// `POST /v1/admin/registrations/{id}/reject`.
pub(crate) async fn reject(
    State(state): State<AppState>,
    Admin(name): Admin,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Result<StatusCode, ApiError> {
    admin::reject(&state, &id, &body.reason).await?;
    tracing::info!(registration = %id, admin = %name, "registration rejected");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/admin/devices/{id}/revoke`: the device's next sync is refused and
/// told to wipe.
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Admin(name): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin::revoke(&state, &id).await?;
    tracing::info!(registration = %id, admin = %name, "device revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/reference/org_tree`: publishes a newer org tree.
pub(crate) async fn put_org_tree(
    State(state): State<AppState>,
    Admin(name): Admin,
    Json(tree): Json<OrgTree>,
) -> Result<StatusCode, ApiError> {
    admin::publish(&state, &tree).await?;
    tracing::info!(version = tree.version, admin = %name, "org tree published");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/reference/forms`: publishes a newer form pack.
pub(crate) async fn put_form_pack(
    State(state): State<AppState>,
    Admin(name): Admin,
    Json(pack): Json<fieldgrid_core::forms::FormPack>,
) -> Result<StatusCode, ApiError> {
    admin::publish(&state, &pack).await?;
    tracing::info!(version = pack.version, admin = %name, "form pack published");
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v1/admin/reference/assessment_rules`: publishes newer assessment rules
/// (JSON); every problem is listed when they are refused.
pub(crate) async fn put_assessment_rules(
    State(state): State<AppState>,
    Admin(name): Admin,
    Json(rules): Json<fieldgrid_core::assessment::AssessmentRules>,
) -> Result<StatusCode, ApiError> {
    admin::publish(&state, &rules).await?;
    tracing::info!(version = rules.version, admin = %name, "assessment rules published");
    Ok(StatusCode::NO_CONTENT)
}

/// Which version a published sheet becomes.
#[derive(serde::Deserialize)]
pub(crate) struct VersionQuery {
    version: Option<u64>,
}

/// `PUT /v1/admin/reference/catalogue`: publishes a newer category catalogue
/// from JSON, CSV or XLSX (the body), as `?version=N` or the next version.
pub(crate) async fn put_catalogue(
    State(state): State<AppState>,
    Admin(name): Admin,
    axum::extract::Query(query): axum::extract::Query<VersionQuery>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let catalogue = admin::publish_catalogue(&state, &body, query.version).await?;
    tracing::info!(version = catalogue.version, admin = %name, "catalogue published");
    Ok(StatusCode::NO_CONTENT)
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound(_) => ApiError::not_found(e.to_string()),
            AdminError::WrongStatus { .. } | AdminError::NotNewer { .. } => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::BadRequest, e.to_string())
            }
            AdminError::UnknownStaff(_) | AdminError::InvalidReference(_) => {
                ApiError::bad_request(e.to_string())
            }
            AdminError::Storage(s) => s.into(),
        }
    }
}
