//! `POST /v1/position`: a patrolling phone's latest position, about once a minute
//! while it has signal: one CBOR array of a few dozen bytes
//! ([`fieldgrid_core::protocol::PositionUpdate`]). Answered 204 with no body.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use fieldgrid_core::protocol::PositionUpdate;

use super::{ApiError, Device};
use crate::AppState;
use crate::service::{Caller, live};

pub(crate) async fn position(
    State(state): State<AppState>,
    Device(account): Device,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let update = PositionUpdate::decode(&body).map_err(ApiError::bad_request)?;
    let staff = account.staff_id.clone().unwrap_or_default();
    let caller = Caller::new(&state, &staff, &account.device_id).await?;
    live::record_position(&state, &caller, update)
        .await
        .map_err(|e| match e {
            crate::service::ServiceError::Refused(m) => ApiError::bad_request(m),
            e => e.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}
