//! Administration: pending registrations to approve (as an org-tree person) or
//! reject, devices to revoke, and printable door-plate QR sheets for a village.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fieldgrid_core::household::plate_link;
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use maud::{Markup, PreEscaped, html};

use super::PageError;
use super::page::{Head, csrf_field, layout, table, time};
use crate::AppState;
use crate::service::admin::mask;
use crate::service::{accounts, residents};
use crate::storage::DeviceStatus;

fn admin_only(signed: &SignedIn) -> Result<(), PageError> {
    if signed.is_admin() {
        Ok(())
    } else {
        Err(PageError(
            StatusCode::FORBIDDEN,
            "administrators only".into(),
        ))
    }
}

/// `GET /ui/admin`.
pub async fn page(State(state): State<AppState>, signed: SignedIn) -> Result<Markup, PageError> {
    admin_only(&signed)?;
    let caller = super::caller(&state, &signed).await?;
    let tree = caller.tree.clone();
    // Only people whose whole area lies in the administrator's can be assigned.
    let staff: Vec<(&str, String)> = tree
        .staff
        .iter()
        .filter(|s| accounts::assignable(&caller, &s.id))
        .map(|s| (s.id.as_str(), format!("{}（{}）", s.name, s.id)))
        .collect();
    let staff_options: Vec<(&str, &str)> = staff.iter().map(|(id, l)| (*id, l.as_str())).collect();
    let pending: Vec<Vec<Markup>> = accounts::list(&state, Some(DeviceStatus::Pending))
        .await?
        .into_iter()
        .map(|a| {
            vec![
                html! { (time(a.created_at)) },
                html! { (a.name) },
                html! { (mask(&a.id_number, 4, 2)) },
                html! { (mask(&a.phone, 3, 2)) },
                html! {
                    form.approve method="post" action={ "/ui/admin/registrations/" (a.id) "/approve" } {
                        (csrf_field(&signed))
                        select.approve-staff name="staff_id" {
                            @for (id, label) in &staff_options { option value=(id) { (label) } }
                        }
                        button.approve-button data-id=(a.id) { "批准" }
                    }
                    form method="post" action={ "/ui/admin/registrations/" (a.id) "/reject" } {
                        (csrf_field(&signed))
                        input name="reason" placeholder="理由" required;
                        button { "拒绝" }
                    }
                },
            ]
        })
        .collect();
    let devices: Vec<Vec<Markup>> = accounts::list(&state, Some(DeviceStatus::Approved))
        .await?
        .into_iter()
        .filter(|a| {
            a.staff_id
                .as_deref()
                .is_some_and(|s| accounts::assignable(&caller, s))
        })
        .map(|a| {
            let staff = a.staff_id.as_deref().unwrap_or_default();
            vec![
                html! { (a.name) },
                html! { (super::incidents::person_name(&tree, staff)) },
                html! { (a.device_id.chars().take(8).collect::<String>()) },
                html! {
                    form method="post" action={ "/ui/admin/devices/" (a.id) "/revoke" } {
                        (csrf_field(&signed))
                        button.revoke-button { "停用并清除" }
                    }
                },
            ]
        })
        .collect();
    let body = html! {
        h1 { "管理" }
        h3 { "待审核注册 " small #pending-count { (pending.len()) } }
        (table("pending", &["申请时间", "姓名", "身份证号", "手机", "操作"], &pending))
        h3 { "已批准设备" }
        (table("devices", &["姓名", "人员", "设备", "操作"], &devices))
        h3 { "门牌二维码打印" }
        ul {
            @for u in tree.units.iter().filter(|u| u.level == fieldgrid_core::org::UnitLevel::Village) {
                li { a.plate-sheet href={ "/ui/admin/plates/" (u.code) } { (u.name) } }
            }
        }
    };
    Ok(layout(&signed, "管理", "admin", Head::default(), body))
}

/// The approve form.
#[derive(Deserialize)]
pub struct ApproveForm {
    staff_id: String,
}

/// The reject form.
#[derive(Deserialize)]
pub struct RejectForm {
    reason: String,
}

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {}

fn done(result: Result<(), crate::service::admin::AdminError>) -> Response {
    match result {
        Ok(()) => Redirect::to("/ui/admin").into_response(),
        Err(e) => PageError::bad(e.to_string()).into_response(),
    }
}

/// `POST /ui/admin/registrations/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, form: f }: CsrfForm<ApproveForm>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    let caller = super::caller(&state, &signed).await?;
    if !accounts::assignable(&caller, &f.staff_id) {
        return Err(PageError::not_found());
    }
    tracing::info!(registration = %id, admin = %signed.user.username, "approved from the web");
    Ok(done(
        crate::service::admin::approve(&state, &id, &f.staff_id).await,
    ))
}

/// `POST /ui/admin/registrations/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, form: f }: CsrfForm<RejectForm>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    Ok(done(
        crate::service::admin::reject(&state, &id, &f.reason).await,
    ))
}

/// `POST /ui/admin/devices/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, .. }: CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    let caller = super::caller(&state, &signed).await?;
    accounts::assignable_account(&state, &caller, &id).await?;
    Ok(done(crate::service::admin::revoke(&state, &id).await))
}

/// `GET /ui/admin/plates/{village}`: an A4-sized SVG sheet of the village's door
/// plates, 4 × 5 per page, each with its QR code, plate code and address.
pub async fn plates(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: axum::http::HeaderMap,
    Path(village): Path<String>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    // The plates link to the public report page at the address residents reach.
    let base = match &state.settings.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    h.bytes().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                    })
                })
                .ok_or_else(|| PageError::bad("请求缺少有效的 Host，无法生成门牌链接"))?;
            let scheme = if state.settings.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
    };
    let tree = state.org_tree().await?;
    let county = tree
        .units
        .iter()
        .find(|u| u.level == fieldgrid_core::org::UnitLevel::County)
        .map(|u| u.code.clone())
        .ok_or_else(|| PageError::bad("the org tree has no county"))?;
    let caller = super::caller(&state, &signed).await?;
    let houses = residents::plated_households(&state, &caller, &village).await?;
    let (w, h) = (210.0, 297.0);
    let mut cells = Vec::new();
    for (i, house) in houses.iter().enumerate() {
        let plate = house.door_plate.as_deref().unwrap_or_default();
        let code = qrcode::QrCode::with_error_correction_level(
            plate_link(&base, &county, plate).as_bytes(),
            qrcode::EcLevel::M,
        )
        .map_err(|e| PageError::bad(e.to_string()))?;
        // The QR library's SVG holds only its own shapes (no text of ours).
        let qr = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(120, 120)
            .quiet_zone(true)
            .build();
        let qr = qr.trim_start_matches(|c| c != '<').replacen(
            "<?xml version=\"1.0\" standalone=\"yes\"?>",
            "",
            1,
        );
        let (col, row, page) = (i % 4, (i / 4) % 5, i / 20);
        let (x, y) = (
            10.0 + col as f64 * 48.0,
            page as f64 * h + 12.0 + row as f64 * 56.0,
        );
        cells.push(html! {
            g.plate transform=(format!("translate({x},{y})")) {
                svg width="40" height="40" viewBox="0 0 120 120" x="2" y="0" { (PreEscaped(qr)) }
                text x="22" y="45" font-size="4" text-anchor="middle" { (plate) }
                text x="22" y="50" font-size="3" text-anchor="middle" { (house.address) }
            }
        });
    }
    let pages = houses.len().div_ceil(20).max(1);
    let th = h * pages as f64;
    let doc = html! {
        svg xmlns="http://www.w3.org/2000/svg" width={ (w) "mm" } height={ (th) "mm" } viewBox=(format!("0 0 {w} {th}")) {
            @for c in &cells { (c) }
        }
    }
    .into_string();
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        doc,
    )
        .into_response())
}
