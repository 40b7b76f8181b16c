//! The HTTP API under `/v1`: sync, registrations, administration, reference data,
//! the OpenAPI description, health and metrics.

mod accounts;
mod admin;
mod assessment;
mod blobs;
mod hotline;
mod knowledge;
mod live;
mod news;
mod reference;
mod sync;
pub(crate) mod tracks;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use fieldgrid_core::protocol::endpoints::{self as ep, Endpoint};
use fieldgrid_core::protocol::{ErrorBody, ErrorCode};
use fieldgrid_core::sync::token_hash;

use crate::AppState;
use crate::service::ServiceError;
use crate::storage::{DeviceAccount, DeviceStatus, StorageError};

/// The whole API.
pub fn app(state: AppState) -> Router {
    Router::new()
        // The phones' endpoints, each declared by its contract in
        // `fieldgrid_core::protocol::endpoints`.
        .route(ep::Sync::ROUTE, post(sync::sync))
        .route(ep::News::ROUTE, get(news::check))
        .route(ep::Scorecard::ROUTE, get(assessment::my_scorecard))
        .route(ep::Position::ROUTE, post(live::position))
        .route(ep::Register::ROUTE, post(accounts::register))
        .route(ep::RegistrationStatus::ROUTE, get(accounts::status))
        .route(ep::Reference::ROUTE, get(reference::get_reference))
        // Chinese text: a page of guides gzips to about a third.
        .route(
            ep::KnowledgeChanges::ROUTE,
            get(knowledge::changes).layer(tower_http::compression::CompressionLayer::new()),
        )
        .route(ep::TrackChunk::ROUTE, put(tracks::put_chunk))
        .route("/v1/tracks/{patrol}", get(tracks::review))
        .route(ep::BlobPart::ROUTE, put(blobs::put_part))
        .route(ep::BlobStatus::ROUTE, get(blobs::status))
        .route(
            "/v1/workers/{worker}/days/{day}/patrols",
            get(tracks::worker_day),
        )
        .route("/v1/admin/registrations", get(admin::list))
        .route("/v1/admin/registrations/{id}/approve", post(admin::approve))
        .route("/v1/admin/registrations/{id}/reject", post(admin::reject))
        .route("/v1/admin/devices/{id}/revoke", post(admin::revoke))
        .route("/v1/admin/reference/org_tree", put(admin::put_org_tree))
        .route("/v1/admin/reference/forms", put(admin::put_form_pack))
        .route("/v1/admin/reference/catalogue", put(admin::put_catalogue))
        .route("/v1/admin/knowledge", put(knowledge::import))
        .route(
            "/v1/admin/reference/assessment_rules",
            put(admin::put_assessment_rules),
        )
        .route(
            "/v1/hotline/tickets",
            post(hotline::create).layer(DefaultBodyLimit::max(hotline::MAX_TICKET_BYTES)),
        )
        .route("/v1/hotline/tickets/{ticket}", get(hotline::status))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .merge(crate::web::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .with_state(state)
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../openapi.json"),
    )
}

/// `GET /metrics`: for a scraper on this machine (a loopback peer, not a request a
/// proxy forwarded), or anywhere with `Settings::metrics_token` as a bearer token.
/// Anyone else is answered as for a route that does not exist.
async fn metrics(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let headers = request.headers();
    let connect = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
    let local = connect.is_none_or(|c| c.0.ip().is_loopback())
        && !headers.contains_key("x-forwarded-for")
        && !headers.contains_key("forwarded");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let with_token = matches!((&state.settings.metrics_token, token), (Some(want), Some(got))
        if blake3::hash(want.as_bytes()) == blake3::hash(got.as_bytes()));
    if !(local || with_token) {
        return Ok(StatusCode::NOT_FOUND.into_response());
    }
    let stats = crate::service::accounts::storage_stats(&state).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&stats),
    )
        .into_response())
}

/// An error answer: an HTTP status and an [`ErrorBody`].
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                wipe: false,
            },
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    fn revoked() -> Self {
        let mut e = Self::new(
            StatusCode::GONE,
            ErrorCode::DeviceRevoked,
            "this device was revoked by an administrator; wipe its local data",
        );
        e.body.wipe = true;
        e
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({:?}): {}",
            self.status, self.body.code, self.body.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        // Storage messages never carry request data; log them, answer generically.
        tracing::error!(error = %e, "storage failure");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the server failed; try again later",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => ApiError::not_found("not found"),
            ServiceError::Refused(m) => {
                ApiError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, m)
            }
            ServiceError::Invalid(problems) => ApiError::bad_request(problems.join("\n")),
            ServiceError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                e.to_string(),
            ),
            ServiceError::Storage(s) => s.into(),
            ServiceError::Core(_) | ServiceError::Corrupt(_) => {
                tracing::error!(error = %e, "stored data failed to load");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the server failed; try again later",
                )
            }
        }
    }
}

/// The caller a device account acts as: its person, on its device.
pub(crate) async fn caller_of(
    state: &AppState,
    account: &DeviceAccount,
) -> Result<crate::service::Caller, ApiError> {
    Ok(crate::service::Caller::new(
        state,
        account.staff_id.as_deref().unwrap_or_default(),
        &account.device_id,
    )
    .await?)
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// An approved device, from its bearer token.
pub(crate) struct Device(pub DeviceAccount);

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let account = Token::from_request_parts(parts, state).await?.0;
        match account.status {
            DeviceStatus::Approved => Ok(Device(account)),
            DeviceStatus::Revoked => Err(ApiError::revoked()),
            DeviceStatus::Pending => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotApproved,
                "this device's registration is waiting for an administrator",
            )),
            DeviceStatus::Rejected => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::NotApproved,
                "this device's registration was rejected",
            )),
        }
    }
}

/// Any registered device, whatever its status, from its bearer token.
pub(crate) struct Token(pub DeviceAccount);

impl FromRequestParts<AppState> for Token {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "a valid device token is required",
            )
        };
        let token = bearer(parts).ok_or_else(unauthenticated)?;
        let account = crate::service::accounts::by_token(state, &token_hash(token))
            .await?
            .ok_or_else(unauthenticated)?;
        Ok(Token(account))
    }
}

/// An administrator, from their bearer token.
pub(crate) struct Admin(pub String);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let denied = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthenticated,
                "an administrator token is required",
            )
        };
        let token = bearer(parts).ok_or_else(denied)?;
        let name = crate::service::accounts::admin_by_token(state, &token_hash(token))
            .await?
            .ok_or_else(denied)?;
        Ok(Admin(name))
    }
}
