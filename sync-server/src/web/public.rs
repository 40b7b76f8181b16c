//! The public report page (群众随手拍) for residents: mobile web, Chinese, no
//! login. A resident picks what kind of problem it is, says what and where
//! (typed, from the phone's position, or from the QR door plate they scanned),
//! leaves a phone for the follow-up call, and may add a photo. The case enters
//! the same queue as every other; the resident gets a receipt code to read its
//! progress later. Reports are limited per client address and per phone.

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fieldgrid_core::records::{Channel, GeoPoint, ResidentContact, Urgency};
use maud::{Markup, html};
use serde::Deserialize;

use super::PageError;
use super::page::{layout_bare, time};
use crate::AppState;
use crate::http::ClientAddr;
use crate::service::intake::{self, IntakeCase, Source};
use crate::service::{ServiceError, residents, throttle};

/// The largest request the page takes: a phone photo and a few fields.
pub const MAX_REPORT_BYTES: usize = 15 * 1024 * 1024;

/// `?plate=` from a door plate's link.
#[derive(Deserialize, Default)]
pub struct PlateQuery {
    #[serde(default)]
    plate: String,
}

/// What the resident typed, kept to show the form again.
#[derive(Default, Clone)]
struct Typed {
    category: String,
    description: String,
    address: String,
    name: String,
    phone: String,
    lat: String,
    lon: String,
    plate: String,
}

async fn render(state: &AppState, typed: &Typed, error: Option<&str>) -> Result<Markup, PageError> {
    let catalogue = state.catalogue().await?;
    let today = super::page::today();
    let in_force = |c: &&fieldgrid_core::incident::Category| {
        c.retired_on.as_deref().is_none_or(|d| d > today.as_str())
    };
    let plate = residents::plate_household(state, &typed.plate).await;
    let body = html! {
        div.public {
            h1 { "随手拍 · 反映问题" }
            p.hint { "您反映的问题将进入综合指挥中心受理队列，由相关单位处置。提交后请保存受理编号，可随时查询办理进度。" }
            @if let Some(e) = error { p.error #report-error { (e) } }
            form #report-form method="post" action="/report" enctype="multipart/form-data" {
                input type="hidden" name="plate" value=(typed.plate);
                label {
                    "问题类型"
                    select #report-category name="category" required {
                        option value="" { "请选择" }
                        @for first in catalogue.categories.iter().filter(in_force) {
                            optgroup label=(first.name) {
                                @for second in first.children.iter().filter(in_force) {
                                    option value=(second.code) selected[typed.category == second.code] { (second.name) }
                                }
                            }
                        }
                    }
                }
                label { "问题描述" textarea #report-description name="description" rows="4" maxlength="2000" required { (typed.description) } }
                @if let Some(h) = &plate {
                    p #report-plate { "位置：" (h.address) "（扫门牌）" }
                } @else {
                    label { "地点" input #report-address name="address" maxlength="200" placeholder="如：安峰村3组12号" value=(typed.address); }
                    button #report-locate type="button" { "使用我的位置" }
                    p #report-located {}
                }
                input #report-lat type="hidden" name="lat" value=(typed.lat);
                input #report-lon type="hidden" name="lon" value=(typed.lon);
                label { "联系电话（用于回访，不会公开）" input #report-phone name="phone" inputmode="tel" maxlength="20" required value=(typed.phone); }
                label { "称呼（可不填）" input #report-name name="name" maxlength="40" value=(typed.name); }
                label { "照片（可不传）" input #report-photo type="file" name="photo" accept="image/jpeg,image/png"; }
                button #report-submit { "提交" }
            }
            p { a href="/report/receipt" { "查询办理进度" } }
        }
        script src="/ui/assets/report.js" {}
    };
    Ok(layout_bare("随手拍", body))
}

/// `GET /report[?plate=…]`.
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<PlateQuery>,
) -> Result<Markup, PageError> {
    let typed = Typed {
        plate: q.plate.trim().to_owned(),
        ..Typed::default()
    };
    render(&state, &typed, None).await
}

fn too_many() -> Response {
    let body = html! {
        div.public {
            h1 { "提交过于频繁" }
            p.error #report-error { "同一网络或同一电话在短时间内提交太多，请稍后再试；紧急情况请拨打 110 或 12345。" }
        }
    };
    (StatusCode::TOO_MANY_REQUESTS, layout_bare("随手拍", body)).into_response()
}

/// Reads the multipart form: the fields as text, the photo as bytes.
async fn read_form(mut form: Multipart) -> Result<(Typed, Option<Vec<u8>>), String> {
    let mut typed = Typed::default();
    let mut photo = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| "表单无法读取，请重新提交".to_owned())?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "照片过大或上传中断，请重新提交".to_owned())?;
            if !bytes.is_empty() {
                photo = Some(bytes.to_vec());
            }
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| "表单无法读取，请重新提交".to_owned())?;
        let text: String = text.chars().take(4000).collect();
        match name.as_str() {
            "category" => typed.category = text,
            "description" => typed.description = text,
            "address" => typed.address = text,
            "name" => typed.name = text,
            "phone" => typed.phone = text,
            "lat" => typed.lat = text,
            "lon" => typed.lon = text,
            "plate" => typed.plate = text,
            _ => {}
        }
    }
    Ok((typed, photo))
}

/// `POST /report`: takes the case in and shows the receipt code.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    form: Multipart,
) -> Result<Response, PageError> {
    let (typed, photo) = match read_form(form).await {
        Ok(read) => read,
        Err(why) => {
            let page = render(&state, &Typed::default(), Some(&why)).await?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let again = |why: String| {
        let state = state.clone();
        let typed = typed.clone();
        async move {
            let page = render(&state, &typed, Some(&why)).await?;
            Ok::<_, PageError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    };
    let phone = typed.phone.trim().to_owned();
    if phone.is_empty() {
        return again("请留下联系电话，以便回访".into()).await;
    }
    if !throttle::public_report_allowed(&state, &address, &phone).await? {
        tracing::warn!("public reports from one address or phone over the limit");
        return Ok(too_many());
    }
    let location = match (
        typed.lat.trim().parse::<f64>(),
        typed.lon.trim().parse::<f64>(),
    ) {
        (Ok(lat), Ok(lon)) => Some(GeoPoint { lat, lon }),
        _ => None,
    };
    let plate = residents::plate_household(&state, typed.plate.trim()).await;
    let mut photos = Vec::new();
    if let Some(bytes) = photo {
        match intake::store_photo(&state, bytes).await {
            Ok(hash) => photos.push(hash),
            Err(intake::PhotoRefused::Unreadable) => {
                return again("照片无法识别，请上传手机拍摄的 JPEG 或 PNG 照片，或不传照片".into())
                    .await;
            }
            Err(intake::PhotoRefused::NotStored) => {
                return Err(PageError::bad("照片保存失败，请稍后再试"));
            }
        }
    }
    let case = IntakeCase {
        channel: Channel::PublicPage,
        category: typed.category.trim().to_owned(),
        description: typed.description.clone(),
        location,
        grid_code: plate.as_ref().map(|h| h.grid_code.clone()),
        address: plate
            .as_ref()
            .map(|h| h.address.clone())
            .or_else(|| Some(typed.address.trim().to_owned()).filter(|a| !a.is_empty())),
        contact: Some(ResidentContact {
            name: typed.name.trim().to_owned(),
            phone,
        }),
        urgency: Urgency::Normal,
        photos,
        reported_at: crate::now(),
    };
    if case.category.is_empty() {
        return again("请选择问题类型".into()).await;
    }
    match intake::take(&state, Source::Public, case).await {
        Ok(taken) => {
            let code = taken.receipt.unwrap_or_default();
            let body = html! {
                div.public {
                    h1 { "提交成功" }
                    p { "您的受理编号：" }
                    p.receipt #receipt-code { (code) }
                    p.hint { "请截图或记下受理编号，凭编号查询办理进度。" }
                    p { a #receipt-link href={ "/report/receipt?code=" (code) } { "查询办理进度" } }
                }
            };
            Ok((StatusCode::CREATED, layout_bare("提交成功", body)).into_response())
        }
        Err(ServiceError::Refused(why)) => again(why).await,
        Err(e) => Err(e.into()),
    }
}

/// `?code=` of the progress lookup.
#[derive(Deserialize, Default)]
pub struct ReceiptQuery {
    #[serde(default)]
    code: String,
}

/// `GET /report/receipt[?code=…]`: a case's progress by its receipt code: the
/// stage and the handling unit, nothing personal.
pub async fn receipt(
    State(state): State<AppState>,
    Query(q): Query<ReceiptQuery>,
) -> Result<Response, PageError> {
    let form = html! {
        form #receipt-form method="get" action="/report/receipt" {
            label { "受理编号" input #receipt-input name="code" maxlength="10" autocapitalize="characters" value=(q.code); }
            button { "查询" }
        }
    };
    if q.code.trim().is_empty() {
        let body = html! { div.public { h1 { "查询办理进度" } (form) } };
        return Ok(layout_bare("查询办理进度", body).into_response());
    }
    match intake::receipt_progress(&state, &q.code).await {
        Ok(p) => {
            let body = html! {
                div.public {
                    h1 { "办理进度" }
                    dl #progress {
                        dt { "问题类型" } dd { (p.category_name) }
                        dt { "当前状态" } dd #progress-stage data-stage=(p.stage) { (p.stage_name) }
                        dt { "承办单位" } dd { (p.unit_name.as_deref().unwrap_or("待分派")) }
                        dt { "提交时间" } dd { (time(p.reported_at)) }
                        dt { "最近更新" } dd { (time(p.updated_at)) }
                        @if let Some(answer) = &p.follow_up_name {
                            dt { "回访结果" } dd #progress-follow-up data-answer=(p.follow_up.as_deref().unwrap_or_default()) { (answer) }
                        }
                    }
                    (form)
                }
            };
            Ok(layout_bare("办理进度", body).into_response())
        }
        Err(ServiceError::NotFound) => {
            let body = html! {
                div.public { h1 { "查询办理进度" } p.error #receipt-error { "没有找到该受理编号，请核对后重试" } (form) }
            };
            Ok((StatusCode::NOT_FOUND, layout_bare("查询办理进度", body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
