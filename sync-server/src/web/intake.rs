//! The desk intake (来电、来访、来信): a supervisor takes a resident's case with
//! the category picker, the place (a click on the map, or an address searched
//! over the households and grids) and hints of open incidents nearby in the
//! same category, so a second call about the same thing is not a second case.
//! The case goes through the same intake as the hotline and the public page.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use fieldgrid_core::incident::replay;
use fieldgrid_core::records::{Channel, GeoPoint, ResidentContact, Urgency};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::auth::{CsrfForm, SignedIn};
use super::page::{Head, csrf_field, layout, select};
use super::{PageError, caller};
use crate::AppState;
use crate::service::intake::{self, IntakeCase, Source};
use crate::service::records;
use crate::service::residents;

/// The channels a desk takes cases from.
const DESK_CHANNELS: [Channel; 5] = [
    Channel::Phone,
    Channel::WalkIn,
    Channel::Letter,
    Channel::Hotline,
    Channel::Inspection,
];

const URGENCIES: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Emergency];

/// The form as sent.
#[derive(Deserialize, Default, Clone)]
pub struct DeskForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    grid_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
}

fn render(signed: &SignedIn, form: &DeskForm, error: Option<&str>) -> Markup {
    let channels: Vec<(&str, &str)> = DESK_CHANNELS
        .iter()
        .map(|c| (c.as_str(), c.name_zh()))
        .collect();
    let urgencies: Vec<(&str, &str)> = URGENCIES
        .iter()
        .map(|u| (u.as_str(), u.name_zh()))
        .collect();
    let body = html! {
        h1 { "受理登记" }
        p.hint { "来电、来访、来信等群众诉求在此登记，与网格员上报、12345 热线和群众随手拍进入同一受理队列。" }
        @if let Some(e) = error { p.error #intake-error { (e) } }
        form #intake-form method="post" action="/ui/intake" {
            (csrf_field(signed))
            div.cards {
                div.card {
                    label { "来源 " (select("channel", "intake-channel", None, &channels, Some(if form.channel.is_empty() { "phone" } else { &form.channel }))) }
                    label { "紧急程度 " (select("urgency", "intake-urgency", None, &urgencies, Some(if form.urgency.is_empty() { "normal" } else { &form.urgency }))) }
                    label.wide {
                        "事件类别 "
                        input #category-search type="search" autocomplete="off" placeholder="输入名称或拼音首字母，如 zdjy";
                        input #intake-category type="hidden" name="category" value=(form.category);
                    }
                    p #category-chosen {}
                    ul #category-results .picker {}
                    label.wide { "事件描述 " textarea #intake-description name="description" rows="4" maxlength="2000" { (form.description) } }
                    label { "反映人 " input #intake-contact-name name="contact_name" maxlength="40" value=(form.contact_name); }
                    label { "联系电话 " input #intake-contact-phone name="contact_phone" maxlength="20" inputmode="tel" value=(form.contact_phone); }
                }
                div.card {
                    label.wide {
                        "地址 "
                        input #place-search name="address" type="search" autocomplete="off" maxlength="200" placeholder="输入门牌地址搜索，或在地图上点选" value=(form.address);
                    }
                    ul #place-results .picker {}
                    input #intake-lat type="hidden" name="lat" value=(form.lat);
                    input #intake-lon type="hidden" name="lon" value=(form.lon);
                    input #intake-grid type="hidden" name="grid_code" value=(form.grid_code);
                    p #place-chosen { "尚未选择位置" }
                    div #intake-map .minimap {}
                    h3 { "附近同类未办结事件" }
                    ul #duplicates { li.muted { "选择类别和位置后显示" } }
                }
            }
            button #intake-submit { "登记受理" }
        }
        script src="/ui/assets/intake.js" {}
    };
    layout(signed, "受理登记", "intake", Head { leaflet: true }, body)
}

/// `GET /ui/intake`.
pub async fn page(signed: SignedIn) -> Markup {
    render(&signed, &DeskForm::default(), None)
}

fn number(v: &str, what: &str) -> Result<Option<f64>, String> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.trim()
        .parse::<f64>()
        .map(Some)
        .map_err(|_| format!("{what}不是数字"))
}

fn case_of(f: &DeskForm) -> Result<IntakeCase, String> {
    let channel = Channel::parse(&f.channel)
        .filter(|c| DESK_CHANNELS.contains(c))
        .ok_or("请选择来源")?;
    let urgency = Urgency::parse(&f.urgency).unwrap_or_default();
    if f.category.trim().is_empty() {
        return Err("请从列表中选择事件类别".into());
    }
    let location = match (number(&f.lat, "纬度")?, number(&f.lon, "经度")?) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        _ => None,
    };
    let contact = (!f.contact_phone.trim().is_empty()).then(|| ResidentContact {
        name: f.contact_name.trim().to_owned(),
        phone: f.contact_phone.trim().to_owned(),
    });
    if contact.is_none() && !f.contact_name.trim().is_empty() {
        return Err("留了姓名请同时留联系电话，以便回访".into());
    }
    Ok(IntakeCase {
        channel,
        category: f.category.trim().to_owned(),
        description: f.description.clone(),
        location,
        grid_code: Some(f.grid_code.trim().to_owned()).filter(|g| !g.is_empty()),
        address: Some(f.address.trim().to_owned()).filter(|a| !a.is_empty()),
        contact,
        urgency,
        photos: Vec::new(),
        reported_at: crate::now(),
    })
}

/// `POST /ui/intake`: the case is taken in and the new incident shown; a
/// refusal shows the form again with what was typed and the reason.
pub async fn submit(
    State(state): State<AppState>,
    CsrfForm { signed, form }: CsrfForm<DeskForm>,
) -> Result<Response, PageError> {
    let again = |why: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&signed, &form, Some(why)),
        )
            .into_response()
    };
    let case = match case_of(&form) {
        Ok(c) => c,
        Err(why) => return Ok(again(&why)),
    };
    let caller = caller(&state, &signed).await?;
    match intake::take(&state, Source::Desk(caller), case).await {
        Ok(taken) => Ok(
            Redirect::to(&format!("/ui/incidents/{}?notice=taken", taken.incident_id))
                .into_response(),
        ),
        Err(crate::service::ServiceError::Refused(why)) => Ok(again(&why)),
        Err(crate::service::ServiceError::NotFound) => Ok(again("该位置不在您的辖区内")),
        Err(e) => Err(e.into()),
    }
}

/// `?q=` of the pickers.
#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// A category choice for the picker.
#[derive(Serialize)]
pub struct CategoryOption {
    code: String,
    name: String,
    path: String,
}

/// `GET /ui/api/categories?q=`: the picker's choices, by Chinese name or pinyin
/// initials, categories in force only.
pub async fn categories(
    State(state): State<AppState>,
    _signed: SignedIn,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<CategoryOption>>, PageError> {
    let query: String = q.q.chars().take(40).collect();
    let found = records::query(&state, move |s| s.search_categories(&query, 12)).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|c| CategoryOption {
                code: c.code,
                name: c.name,
                path: c.path,
            })
            .collect(),
    ))
}

/// A place found by address.
#[derive(Serialize)]
pub struct PlaceOption {
    address: String,
    grid_code: String,
    grid_name: String,
}

/// `GET /ui/api/places?q=`: households (by address) and grids (by name) in the
/// user's area matching the words typed.
pub async fn places(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<PlaceOption>>, PageError> {
    let caller = caller(&state, &signed).await?;
    let query: String = q.q.trim().chars().take(60).collect();
    if query.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let tree = caller.tree.clone();
    let grid_name = |code: &str| {
        tree.grids
            .iter()
            .find(|g| g.code == code)
            .map_or_else(|| code.to_owned(), |g| g.name.clone())
    };
    let mut out: Vec<PlaceOption> = tree
        .grids
        .iter()
        .filter(|g| caller.sees(&g.code) && g.name.contains(query.as_str()))
        .take(5)
        .map(|g| PlaceOption {
            address: g.name.clone(),
            grid_code: g.code.clone(),
            grid_name: g.name.clone(),
        })
        .collect();
    for h in residents::search_households(&state, &caller, &query, 10).await? {
        // The address only: the head of household's name is not shown here.
        out.push(PlaceOption {
            address: h.address,
            grid_name: grid_name(&h.grid_code),
            grid_code: h.grid_code,
        });
    }
    Ok(Json(out))
}

/// `?lat=&lon=&category=` of the duplicate hints.
#[derive(Deserialize)]
pub struct NearbyQuery {
    lat: f64,
    lon: f64,
    #[serde(default)]
    category: String,
}

/// An open incident near the place being taken in.
#[derive(Serialize)]
pub struct Nearby {
    id: String,
    category_name: String,
    stage_name: String,
    distance_m: u32,
    description: String,
}

/// How near an open incident of the same kind must be to be hinted, metres.
const NEARBY_M: f64 = 500.0;

/// `GET /ui/api/nearby`: open incidents in the user's area within 500 m of the
/// point, in the same second-level category: possibly the same case.
pub async fn nearby(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<NearbyQuery>,
) -> Result<Json<Vec<Nearby>>, PageError> {
    let here = GeoPoint {
        lat: q.lat,
        lon: q.lon,
    };
    if !here.is_valid() {
        return Err(PageError::bad("参数 lat/lon 的值无效"));
    }
    let caller = caller(&state, &signed).await?;
    let catalogue = state.catalogue().await?;
    let family: String = catalogue
        .path(&q.category)
        .iter()
        .take(2)
        .next_back()
        .map_or_else(|| q.category.clone(), |c| c.code.clone());
    let mut out = Vec::new();
    for (item, incident) in records::open_cases(&state, &caller)
        .await?
        .into_iter()
        .filter(|(i, _)| {
            family.is_empty() || catalogue.path(&i.category).iter().any(|c| c.code == family)
        })
    {
        let Some(at) = incident.location else {
            continue;
        };
        let d = distance_m(here, at);
        if d <= NEARBY_M {
            out.push(Nearby {
                id: item.id,
                category_name: item.category_name,
                stage_name: replay(&incident).stage.name_zh().to_owned(),
                distance_m: d.round() as u32,
                description: incident.description.chars().take(60).collect(),
            });
        }
    }
    out.sort_by_key(|n| n.distance_m);
    Ok(Json(out))
}

fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    use geo::Distance;
    geo::Haversine.distance(geo::Point::new(a.lon, a.lat), geo::Point::new(b.lon, b.lat))
}

/// A grid for the intake map.
#[derive(Serialize)]
pub struct GridShape {
    code: String,
    name: String,
    ring: Vec<[f64; 2]>,
}

/// `GET /ui/api/grids`: the user's grids' outlines (lat, lon) for the map.
pub async fn grids(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Json<Vec<GridShape>>, PageError> {
    let caller = caller(&state, &signed).await?;
    Ok(Json(
        caller
            .tree
            .grids
            .iter()
            .filter(|g| caller.sees(&g.code) && g.level == 1)
            .map(|g| GridShape {
                code: g.code.clone(),
                name: g.name.clone(),
                ring: g
                    .boundary
                    .first()
                    .map(|r| r.iter().map(|p| [p[1], p[0]]).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}
