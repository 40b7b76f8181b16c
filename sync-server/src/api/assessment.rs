//! `GET /v1/scorecard?period=`: the signed-in grid worker's own scorecard and
//! points, computed by the service within their area (their own grids).

use axum::Json;
use axum::extract::{Query, State};
use fieldgrid_core::assessment::{Period, PeriodKind, Subject};
use fieldgrid_core::protocol::MyScorecard;
use fieldgrid_core::protocol::endpoints::Scorecard;

use super::{ApiError, Device};
use crate::AppState;
use crate::service::{Caller, assessment};

pub(crate) async fn my_scorecard(
    State(state): State<AppState>,
    Device(account): Device,
    Query(q): Query<Scorecard>,
) -> Result<Json<MyScorecard>, ApiError> {
    let period = match q.period.as_str() {
        "" => Period::containing(PeriodKind::Month, crate::now()),
        code => Period::parse(code).map_err(|e| ApiError::bad_request(e.to_string()))?,
    };
    let staff = account.staff_id.clone().unwrap_or_default();
    let caller = Caller::new(&state, &staff, &account.device_id).await?;
    let a = assessment::assess(&state, &caller, period).await?;
    let scorecard = a.card(&caller, Subject::Worker, &staff)?;
    let points = a.ledger(&state, &staff).await?;
    Ok(Json(MyScorecard { scorecard, points }))
}
