//! Static files embedded in the binary: our stylesheet and scripts, and Leaflet
//! (checked in under `web/vendor/`, refreshed by `web/update-vendor.sh`).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/assets/app.css"),
    ),
    (
        "screen.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/assets/screen.css"),
    ),
    (
        "screen.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/screen.js"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/map.js"),
    ),
    (
        "incident-map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/incident-map.js"),
    ),
    (
        "intake.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/intake.js"),
    ),
    (
        "incident-steps.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/incident-steps.js"),
    ),
    (
        "report.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/assets/report.js"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/vendor/leaflet/leaflet.css"),
    ),
];

/// `GET /ui/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
