//! Registration: a person registers on a device; an administrator decides.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use fieldgrid_core::id_checks::{check_id_card, is_mobile_number};
use fieldgrid_core::protocol::endpoints::{RegisterRequest, RegisterResponse, RegistrationState};

use fieldgrid_core::protocol::ErrorCode;

use super::{ApiError, Token};
use crate::http::ClientAddr;
use crate::service::throttle;
use crate::storage::{DeviceAccount, DeviceStatus};
use crate::{AppState, now};

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /v1/registrations`. Every problem is named; none repeats the data sent.
pub(crate) async fn register(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    Json(req): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisterResponse>), ApiError> {
    if !throttle::registration_allowed(&state, &address).await? {
        tracing::warn!("registrations from one address over the hourly limit");
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyRequests,
            format!(
                "too many registrations from this network: at most {} an hour; try again later",
                state.settings.registrations_per_hour
            ),
        ));
    }
    let mut problems = Vec::new();
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        problems.push("name must be 1 to 50 characters".to_owned());
    }
    if let Err(p) = check_id_card(&req.id_number) {
        problems.push(p.to_string());
    }
    if !is_mobile_number(&req.phone) {
        problems.push("phone must be an 11-digit mobile number".to_owned());
    }
    if !is_hex(&req.device_id, 32) {
        problems.push("device_id must be 32 hex characters".to_owned());
    }
    if !is_hex(&req.token_hash, 64) {
        problems.push("token_hash must be a 64-character hex BLAKE3 hash".to_owned());
    }
    if !problems.is_empty() {
        return Err(ApiError::bad_request(problems.join("; ")));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let account = DeviceAccount {
        id: id.clone(),
        device_id: req.device_id.to_ascii_lowercase(),
        name: name.to_owned(),
        id_number: req.id_number.to_ascii_uppercase(),
        phone: req.phone,
        token_hash: req.token_hash.to_ascii_lowercase(),
        status: DeviceStatus::Pending,
        staff_id: None,
        reason: None,
        created_at: now(),
        last_sync_at: None,
    };
    if !crate::service::accounts::register(&state, &account).await? {
        return Err(ApiError::bad_request(
            "this token is already registered; generate a new one",
        ));
    }
    tracing::info!(registration = %id, device = %account.device_id, "registration received");
    Ok((
        StatusCode::CREATED,
        Json(RegisterResponse {
            registration_id: id,
        }),
    ))
}

/// `GET /v1/registrations/{id}`, with the device's own token.
pub(crate) async fn status(
    Path(id): Path<String>,
    Token(account): Token,
) -> Result<Json<RegistrationState>, ApiError> {
    if account.id != id {
        return Err(ApiError::not_found("no such registration for this token"));
    }
    Ok(Json(match account.status {
        DeviceStatus::Pending => RegistrationState::Pending,
        DeviceStatus::Approved => RegistrationState::Approved {
            staff_id: account.staff_id.unwrap_or_default(),
        },
        DeviceStatus::Rejected | DeviceStatus::Revoked => RegistrationState::Rejected {
            reason: account.reason.unwrap_or_default(),
        },
    }))
}
