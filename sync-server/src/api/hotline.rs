//! The inbound API for 12345 hotline systems: JSON over HTTPS with the hotline's
//! own API key (`Authorization: Bearer fgk_…`, made by `fieldgrid-server admin
//! create-hotline-key NAME`). A ticket becomes an incident in the same queue as
//! every other report; the same ticket id again creates nothing and answers the
//! same incident. Its progress is read back by ticket id.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use fieldgrid_core::protocol::ErrorCode;
use fieldgrid_core::records::{Channel, GeoPoint, ResidentContact, Urgency};
use serde::Deserialize;

use super::{ApiError, bearer};
use crate::AppState;
use crate::service::intake::{self, IntakeCase, Progress, Source};

/// The largest ticket body taken: a ticket is a few hundred bytes of text.
pub const MAX_TICKET_BYTES: usize = 64 * 1024;

/// A hotline system, from its API key.
pub(crate) struct HotlineKey(pub String);

impl FromRequestParts<AppState> for HotlineKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let denied = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "a valid hotline API key is required (Authorization: Bearer <key>)",
            )
        };
        let token = bearer(parts).ok_or_else(denied)?;
        let name = intake::hotline_key(state, token)
            .await?
            .ok_or_else(denied)?;
        Ok(HotlineKey(name))
    }
}

/// A ticket as a 12345 system sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct Ticket {
    /// The hotline's own ticket id (the idempotency key).
    ticket_id: String,
    /// A catalogue code in force.
    category: String,
    /// What the caller said.
    description: String,
    /// `normal`, `urgent` or `emergency`.
    #[serde(default)]
    urgency: Option<String>,
    /// The place in words.
    #[serde(default)]
    address: Option<String>,
    /// The place as WGS-84 degrees.
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    /// The grid, when the hotline knows it.
    #[serde(default)]
    grid_code: Option<String>,
    /// The caller's name and phone (personal data: stored, never logged).
    #[serde(default)]
    caller_name: Option<String>,
    #[serde(default)]
    caller_phone: Option<String>,
    /// When the hotline took the call (unix seconds); now if absent.
    #[serde(default)]
    received_at: Option<i64>,
}

/// Reads the body, saying what is wrong without repeating any value it holds
/// (a malformed phone must not come back in an error, or go to a log).
fn parse(body: &[u8]) -> Result<Ticket, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        let what = if text.starts_with("missing field") {
            text.split(" at line").next().unwrap_or("").to_owned()
        } else {
            match e.classify() {
                serde_json::error::Category::Data => "a field has the wrong type".to_owned(),
                _ => "the body is not valid JSON".to_owned(),
            }
        };
        ApiError::bad_request(format!(
            "invalid ticket: {what} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

fn case_of(t: Ticket) -> Result<(String, IntakeCase), ApiError> {
    let urgency = match t.urgency.as_deref() {
        None | Some("") => Urgency::Normal,
        Some(u) => Urgency::parse(u)
            .ok_or_else(|| ApiError::bad_request("urgency is one of normal, urgent, emergency"))?,
    };
    let location = match (t.lat, t.lon) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        (None, None) => None,
        _ => return Err(ApiError::bad_request("give both lat and lon, or neither")),
    };
    let contact = match (t.caller_name, t.caller_phone) {
        (name, Some(phone)) => Some(ResidentContact {
            name: name.unwrap_or_default().trim().to_owned(),
            phone: phone.trim().to_owned(),
        }),
        (Some(_), None) => {
            return Err(ApiError::bad_request(
                "caller_name needs caller_phone, for the follow-up call",
            ));
        }
        (None, None) => None,
    };
    let now = crate::now();
    let reported_at = t.received_at.unwrap_or(now);
    if reported_at > now + 300 || reported_at < now - 366 * 86_400 {
        return Err(ApiError::bad_request(
            "received_at must be a unix time within the last year, not in the future",
        ));
    }
    Ok((
        t.ticket_id,
        IntakeCase {
            channel: Channel::Hotline,
            category: t.category,
            description: t.description,
            location,
            grid_code: t.grid_code,
            address: t.address,
            contact,
            urgency,
            photos: Vec::new(),
            reported_at,
        },
    ))
}

/// Refusals of the intake are the ticket's fault: 422 with the reason.
fn unprocessable(e: crate::service::ServiceError) -> ApiError {
    match e {
        crate::service::ServiceError::Refused(m) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::BadRequest, m)
        }
        e => e.into(),
    }
}

/// `POST /v1/hotline/tickets`: 201 with the new incident's id, or 200 with the
/// id the same ticket made before.
pub(crate) async fn create(
    State(state): State<AppState>,
    HotlineKey(key): HotlineKey,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (ticket, case) = case_of(parse(&body)?)?;
    let taken = intake::take(&state, Source::Hotline { key, ticket }, case)
        .await
        .map_err(unprocessable)?;
    let status = if taken.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(taken)).into_response())
}

/// `GET /v1/hotline/tickets/{ticket_id}`: the case's progress, for the key that
/// sent the ticket (another key's ticket is not found).
pub(crate) async fn status(
    State(state): State<AppState>,
    HotlineKey(key): HotlineKey,
    Path(ticket): Path<String>,
) -> Result<Json<Progress>, ApiError> {
    Ok(Json(intake::ticket_progress(&state, &key, &ticket).await?))
}
