//! Administration: pending registrations to approve (as an org-tree person) or
//! reject, devices to revoke, and printable door-plate QR sheets for a village.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use fieldgrid_core::household::{HouseholdQuery, plate_payload};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use super::page::{escape, layout, table, time};
use super::{PageError, replica_store};
use crate::AppState;
use crate::admin::mask;
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
pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Html<String>, PageError> {
    admin_only(&signed)?;
    let csrf = escape(&signed.session.csrf);
    let tree = state.org_tree().await?;
    let staff_options: String = tree
        .staff
        .iter()
        .map(|s| {
            format!(
                r#"<option value="{id}">{name}（{id}）</option>"#,
                id = escape(&s.id),
                name = escape(&s.name)
            )
        })
        .collect();
    let pending: Vec<Vec<String>> = state
        .storage
        .accounts(Some(DeviceStatus::Pending))
        .await?
        .into_iter()
        .map(|a| {
            let id = escape(&a.id);
            vec![
                time(a.created_at),
                escape(&a.name),
                escape(&mask(&a.id_number, 4, 2)),
                escape(&mask(&a.phone, 3, 2)),
                format!(
                    r#"<form method="post" action="/ui/admin/registrations/{id}/approve" class="approve"><input type="hidden" name="csrf" value="{csrf}">
<select name="staff_id" class="approve-staff">{staff_options}</select><button class="approve-button" data-id="{id}">批准</button></form>
<form method="post" action="/ui/admin/registrations/{id}/reject"><input type="hidden" name="csrf" value="{csrf}"><input name="reason" placeholder="理由" required><button>拒绝</button></form>"#
                ),
            ]
        })
        .collect();
    let devices: Vec<Vec<String>> = state
        .storage
        .accounts(Some(DeviceStatus::Approved))
        .await?
        .into_iter()
        .map(|a| {
            let id = escape(&a.id);
            vec![
                escape(&a.name),
                escape(a.staff_id.as_deref().unwrap_or("")),
                escape(&a.device_id[..8.min(a.device_id.len())]),
                format!(r#"<form method="post" action="/ui/admin/devices/{id}/revoke"><input type="hidden" name="csrf" value="{csrf}"><button class="revoke-button">停用并清除</button></form>"#),
            ]
        })
        .collect();
    let villages: String = tree
        .units
        .iter()
        .filter(|u| u.level == fieldgrid_core::org::UnitLevel::Village)
        .map(|u| {
            format!(
                r#"<li><a href="/ui/admin/plates/{code}" class="plate-sheet">{name}</a></li>"#,
                code = escape(&u.code),
                name = escape(&u.name)
            )
        })
        .collect();
    let body = format!(
        r#"<h1>管理</h1>
<h3>待审核注册 <small id="pending-count">{n}</small></h3>{p}
<h3>已批准设备</h3>{d}
<h3>门牌二维码打印</h3><ul>{villages}</ul>"#,
        n = pending.len(),
        p = table(
            "pending",
            &["申请时间", "姓名", "身份证号", "手机", "操作"],
            &pending
        ),
        d = table("devices", &["姓名", "人员", "设备", "操作"], &devices),
    );
    Ok(layout(&signed, "管理", "admin", "", &body))
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

fn done(result: Result<(), crate::admin::AdminError>) -> Response {
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
    tracing::info!(registration = %id, admin = %signed.user.username, "approved from the web");
    Ok(done(crate::admin::approve(&state, &id, &f.staff_id).await))
}

/// `POST /ui/admin/registrations/{id}/reject`.
pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, form: f }: CsrfForm<RejectForm>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    Ok(done(crate::admin::reject(&state, &id, &f.reason).await))
}

/// `POST /ui/admin/devices/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { signed, .. }: CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    Ok(done(crate::admin::revoke(&state, &id).await))
}

/// `GET /ui/admin/plates/{village}`: an A4-sized SVG sheet of the village's door
/// plates, 4 × 5 per page, each with its QR code, plate code and address.
pub async fn plates(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(village): Path<String>,
) -> Result<Response, PageError> {
    admin_only(&signed)?;
    let tree = state.org_tree().await?;
    let county = tree
        .units
        .iter()
        .find(|u| u.level == fieldgrid_core::org::UnitLevel::County)
        .map(|u| u.code.clone())
        .ok_or_else(|| PageError::bad("the org tree has no county"))?;
    let caller = super::caller(&state, &signed).await?;
    let store = replica_store(&state).await?;
    let v = village.clone();
    let houses = tokio::task::spawn_blocking(move || {
        store.list_households(&HouseholdQuery {
            village: Some(v),
            limit: 2000,
            ..Default::default()
        })
    })
    .await
    .map_err(|e| PageError::bad(e.to_string()))??;
    let (w, h) = (210.0, 297.0);
    let mut cells = String::new();
    let houses: Vec<_> = houses
        .into_iter()
        .filter(|h| h.door_plate.is_some() && caller.sees(&h.grid_code))
        .collect();
    for (i, house) in houses.iter().enumerate() {
        let plate = house.door_plate.as_deref().unwrap_or_default();
        let code = qrcode::QrCode::with_error_correction_level(
            plate_payload(&county, plate).as_bytes(),
            qrcode::EcLevel::M,
        )
        .map_err(|e| PageError::bad(e.to_string()))?;
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(120, 120)
            .quiet_zone(true)
            .build();
        let svg = svg.trim_start_matches(|c| c != '<').replacen(
            "<?xml version=\"1.0\" standalone=\"yes\"?>",
            "",
            1,
        );
        let (col, row, page) = (i % 4, (i / 4) % 5, i / 20);
        let (x, y) = (
            10.0 + col as f64 * 48.0,
            page as f64 * h + 12.0 + row as f64 * 56.0,
        );
        cells.push_str(&format!(
            r#"<g transform="translate({x},{y})" class="plate"><svg width="40" height="40" viewBox="0 0 120 120" x="2" y="0">{svg}</svg>
<text x="22" y="45" font-size="4" text-anchor="middle">{plate}</text><text x="22" y="50" font-size="3" text-anchor="middle">{addr}</text></g>"#,
            plate = escape(plate),
            addr = escape(&house.address),
        ));
    }
    let pages = houses.len().div_ceil(20).max(1);
    let doc = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{th}mm" viewBox="0 0 {w} {th}">{cells}</svg>"#,
        th = h * pages as f64
    );
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        doc,
    )
        .into_response())
}
