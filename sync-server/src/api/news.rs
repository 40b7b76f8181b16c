//! `GET /v1/news?after=N`: the phones' cheap "anything for me?" check. One small
//! JSON answer (`{"latest":…,"count":…}`, a few dozen bytes); when `count` is
//! above zero the phone runs a full sync, and keeps `latest` for its next check.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use super::{ApiError, Device};
use crate::AppState;
use crate::service::Caller;
use crate::service::news::{self, NewsCheck};

/// The query: the `latest` of the phone's previous check (0 the first time).
#[derive(Deserialize)]
pub(crate) struct After {
    #[serde(default)]
    after: i64,
}

pub(crate) async fn check(
    State(state): State<AppState>,
    Device(account): Device,
    Query(q): Query<After>,
) -> Result<Json<NewsCheck>, ApiError> {
    let staff = account.staff_id.clone().unwrap_or_default();
    let caller = Caller::new(&state, &staff, &account.device_id).await?;
    Ok(Json(news::check(&state, &caller, q.after.max(0)).await?))
}
