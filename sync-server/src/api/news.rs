//! `GET /v1/news?after=N`: the phones' cheap "anything for me?" check. One small
//! JSON answer (`{"latest":…,"count":…}`, a few dozen bytes); when `count` is
//! above zero the phone runs a full sync, and keeps `latest` for its next check.

use axum::Json;
use axum::extract::{Query, State};

use super::{ApiError, Device};
use crate::AppState;
use crate::service::Caller;
use crate::service::news::{self, NewsCheck};
use fieldgrid_core::protocol::endpoints::News;

pub(crate) async fn check(
    State(state): State<AppState>,
    Device(account): Device,
    Query(q): Query<News>,
) -> Result<Json<NewsCheck>, ApiError> {
    let staff = account.staff_id.clone().unwrap_or_default();
    let caller = Caller::new(&state, &staff, &account.device_id).await?;
    Ok(Json(news::check(&state, &caller, q.after.max(0)).await?))
}
