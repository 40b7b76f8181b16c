//! The supervisors' pages: a map of grids, workers and tracks with patrol replay,
//! the incident queue with dispatch and the rest of the loop, households with their
//! records and visits, statistics with charts, administration (registrations,
//! devices, door-plate sheets), and exports. Behind a login (supervisor and
//! administrator accounts, session cookies, CSRF tokens on every action). Static
//! assets are embedded in the binary; Leaflet comes from npm at build time.

mod admin;
mod assessment;
mod assets;
pub mod auth;
mod exports;
mod households;
mod incident_steps;
mod incidents;
mod intake;
mod knowledge;
mod map;
mod page;
mod public;
mod reports;
mod screen;
mod stats;
mod tasks;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use auth::create_web_user;

use crate::AppState;
use crate::service::{Caller, ServiceError};

/// The pages' routes (merged into the API router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/login", get(auth::login_page).post(auth::login))
        .route("/ui/logout", post(auth::logout))
        .route("/ui/assets/{file}", get(assets::asset))
        .route("/ui/", get(map::page))
        .route("/ui/api/map", get(map::data))
        .route("/ui/api/patrols/{id}", get(map::patrol))
        .route("/ui/intake", get(intake::page).post(intake::submit))
        .route("/ui/api/categories", get(intake::categories))
        .route("/ui/api/places", get(intake::places))
        .route("/ui/api/nearby", get(intake::nearby))
        .route("/ui/api/grids", get(intake::grids))
        .route(
            "/report",
            get(public::page)
                .post(public::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    public::MAX_REPORT_BYTES,
                )),
        )
        .route("/report/receipt", get(public::receipt))
        .route("/ui/incidents", get(incidents::list))
        .route("/ui/incidents/{id}", get(incidents::detail))
        .route("/ui/incidents/{id}/step", post(incidents::step))
        .route("/ui/incidents/{id}/contact", post(incidents::contact))
        .route("/ui/photos/{hash}", get(incidents::photo))
        .route("/ui/tasks", get(tasks::tasks))
        .route("/ui/urging", get(tasks::urging))
        .route(
            "/ui/households",
            get(households::list).post(households::search),
        )
        .route("/ui/households/{id}", get(households::detail))
        .route("/ui/stats", get(stats::page))
        .route("/ui/reports", get(reports::page))
        .route("/ui/screen", get(screen::page))
        .route("/ui/api/screen", get(screen::data))
        .route("/ui/api/live", get(screen::live))
        .route("/ui/export/report.xlsx", get(reports::xlsx))
        .route("/ui/export/report.csv", get(reports::csv))
        .route("/ui/assessment", get(assessment::page))
        .route("/ui/assessment/rules", get(assessment::rules))
        .route("/ui/assessment/{subject}/{id}", get(assessment::detail))
        .route(
            "/ui/assessment/worker/{id}/points",
            post(assessment::adjust),
        )
        .route("/ui/export/scorecards.csv", get(assessment::csv))
        .route("/ui/knowledge", get(knowledge::list))
        .route("/ui/knowledge/item/{kind}/{id}", get(knowledge::item))
        .route(
            "/ui/knowledge/item/{kind}/{id}/edit",
            get(knowledge::edit_page).post(knowledge::edit),
        )
        .route(
            "/ui/knowledge/item/{kind}/{id}/retire",
            post(knowledge::retire),
        )
        .route(
            "/ui/knowledge/item/{kind}/{id}/discard",
            post(knowledge::discard),
        )
        .route(
            "/ui/knowledge/new/{kind}",
            get(knowledge::new_page).post(knowledge::create),
        )
        .route(
            "/ui/knowledge/import",
            get(knowledge::import_page).post(knowledge::import).layer(
                axum::extract::DefaultBodyLimit::max(
                    crate::knowledge_sheet::MAX_FILE_BYTES + 64 * 1024,
                ),
            ),
        )
        .route("/ui/knowledge/preview", get(knowledge::preview))
        .route("/ui/knowledge/publish", post(knowledge::publish))
        .route("/ui/knowledge/discard", post(knowledge::discard_all))
        .route("/ui/export/knowledge.xlsx", get(knowledge::xlsx))
        .route(
            "/ui/export/knowledge-entries.csv",
            get(knowledge::entries_csv),
        )
        .route("/ui/export/knowledge-tasks.csv", get(knowledge::tasks_csv))
        .route("/ui/admin", get(admin::page))
        .route("/ui/admin/registrations/{id}/approve", post(admin::approve))
        .route("/ui/admin/registrations/{id}/reject", post(admin::reject))
        .route("/ui/admin/devices/{id}/revoke", post(admin::revoke))
        .route("/ui/admin/plates/{village}", get(admin::plates))
        .route("/ui/export/patrols.geojson", get(exports::patrols_geojson))
        .route("/ui/export/patrols/{file}", get(exports::patrol_gpx))
        .route("/ui/export/incidents.csv", get(exports::incidents_csv))
        .route("/ui/export/stats.csv", get(exports::stats_csv))
}

/// The patrols with fixes on a `YYYY-MM-DD` day (China time).
pub(crate) async fn day_patrols(
    state: &AppState,
    day: &str,
) -> Result<Vec<(String, String)>, PageError> {
    let start = fieldgrid_core::forms::day_start(day)
        .ok_or_else(|| PageError::bad(format!("{day:?} is not a date")))?;
    Ok(
        crate::service::tracks::patrols_between(state, start * 1000, (start + 86_400) * 1000)
            .await?,
    )
}

/// The signed-in user as a caller of the service: their person, writing as the
/// pages' device.
pub(crate) async fn caller(state: &AppState, signed: &auth::SignedIn) -> Result<Caller, PageError> {
    Ok(Caller::on_pages(state, &signed.user.staff_id).await?)
}

/// A page that failed; the message is shown (never personal data).
#[derive(Debug)]
pub struct PageError(StatusCode, String);

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => PageError::not_found(),
            ServiceError::Refused(m) => PageError(StatusCode::FORBIDDEN, m),
            ServiceError::Invalid(problems) => {
                PageError(StatusCode::BAD_REQUEST, problems.join("\n"))
            }
            e => {
                // The details go to the log only; the page says the server failed.
                tracing::warn!(error = %e, "page failed");
                PageError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务器出错，请稍后再试".into(),
                )
            }
        }
    }
}

impl From<crate::storage::StorageError> for PageError {
    fn from(e: crate::storage::StorageError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<fieldgrid_core::Error> for PageError {
    fn from(e: fieldgrid_core::Error) -> Self {
        ServiceError::from(e).into()
    }
}

impl PageError {
    /// Not there or not in the user's area: one answer for both.
    pub(crate) fn not_found() -> Self {
        PageError(StatusCode::NOT_FOUND, "没有找到".into())
    }

    pub(crate) fn bad(what: impl Into<String>) -> Self {
        PageError(StatusCode::BAD_REQUEST, what.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = maud::html! { p.error { (self.1) } };
        (self.0, page::layout_bare("出错了", body)).into_response()
    }
}
