//! `GET /v1/reference/{what}`: versioned reference data for approved devices.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{ApiError, Device};
use crate::AppState;

pub(crate) async fn get_reference(
    State(state): State<AppState>,
    _device: Device,
    Path(what): Path<String>,
) -> Result<Response, ApiError> {
    let (version, body) = crate::service::pull::reference(&state, &what)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no reference data called {what:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::ETAG, format!("\"{version}\"")),
        ],
        body,
    )
        .into_response())
}
