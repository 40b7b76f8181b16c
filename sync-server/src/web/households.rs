//! Households in the supervisor's scope: search and filters, and one household
//! by modules with its members, visit timeline and field history.

use axum::extract::{Path, Query, State};
use fieldgrid_core::household::FormRecord;
use fieldgrid_core::records::{FieldValue, RecordKind};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use maud::{Markup, html};

use super::incidents::{is_code, person_name};
use super::page::{Head, csrf_field, layout, select, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::service::residents;

/// List filters (in the URL: nothing personal).
#[derive(Deserialize, Default)]
pub struct ListQuery {
    grid: Option<String>,
    filter: Option<String>,
    #[serde(default)]
    problems: Option<String>,
}

/// The search form: a name, address, door plate, ID-card number or phone. It goes
/// by POST so that numbers never sit in URLs, browser history or proxy logs.
#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    grid: Option<String>,
    #[serde(default)]
    filter: Option<String>,
    #[serde(default)]
    problems: Option<String>,
}

/// The list's filter choices: `module.field=value` and their names.
const FILTERS: [(&str, &str); 6] = [
    ("", "全部"),
    ("income.low_income=yes", "低收入户"),
    ("poverty.status=monitored", "监测户"),
    ("poverty.status=dibao", "低保户"),
    ("safety.dangerous=yes", "危房"),
    ("safety.rectify=yes", "需整改"),
];

/// `GET /ui/households`.
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    render_list(&state, &signed, q, String::new()).await
}

/// `POST /ui/households`: the same page, with a search.
pub async fn search(
    State(state): State<AppState>,
    CsrfForm { signed, form }: CsrfForm<SearchForm>,
) -> Result<Markup, PageError> {
    if form.q.chars().count() > 100 {
        return Err(PageError::bad("查找内容过长"));
    }
    let q = ListQuery {
        grid: form.grid,
        filter: form.filter,
        problems: form.problems,
    };
    render_list(&state, &signed, q, form.q).await
}

async fn render_list(
    state: &AppState,
    signed: &SignedIn,
    q: ListQuery,
    text: String,
) -> Result<Markup, PageError> {
    if q.grid.as_deref().is_some_and(|g| !is_code(g)) {
        return Err(PageError::bad("参数 grid 的值无效"));
    }
    if q.filter
        .as_deref()
        .is_some_and(|f| !FILTERS.iter().any(|(v, _)| *v == f))
    {
        return Err(PageError::bad("参数 filter 的值无效"));
    }
    if q.problems.as_deref().is_some_and(|p| p != "1") {
        return Err(PageError::bad("参数 problems 的值无效"));
    }
    let caller = caller(state, signed).await?;
    let shown_text = text.clone();
    let filters: Vec<(String, String)> = q
        .filter
        .as_deref()
        .and_then(|f| f.split_once('='))
        .map(|(k, v)| vec![(k.to_owned(), v.to_owned())])
        .unwrap_or_default();
    let with_problems = q.problems.is_some();
    let list = residents::list(
        state,
        &caller,
        q.grid.as_deref(),
        &text,
        filters,
        with_problems,
    )
    .await?;
    let duplicates = list.duplicates;
    let total = list.total;
    let rows: Vec<Vec<Markup>> = match list.found {
        Some(found) => found
            .into_iter()
            .map(|f| {
                let kind = if f.kind == RecordKind::Household {
                    "户"
                } else {
                    "人员"
                };
                vec![
                    html! {
                        @if f.kind == RecordKind::Household {
                            a.household-link href={ "/ui/households/" (f.id) } { (f.title) }
                        } @else { (f.title) }
                    },
                    html! { (kind) },
                    html! { (f.grid_code) },
                    html! {},
                    html! {},
                ]
            })
            .collect(),
        None => list
            .households
            .into_iter()
            .map(|h| {
                vec![
                    html! { a.household-link href={ "/ui/households/" (h.id) } { (h.head_name) } },
                    html! { (h.address) },
                    html! { (h.grid_code) },
                    html! {
                        @if h.problems > 0 { span.problem { (h.problems) " 项待完善" } }
                        @else if h.complete { "完整" }
                    },
                    html! { (h.last_visit_at.map(time).unwrap_or_else(|| "未走访".into())) },
                ]
            })
            .collect(),
    };
    let body = html! {
        h1 { "户籍信息 " small #household-total { (total) " 户" } }
        form.filters method="post" action="/ui/households" {
            (csrf_field(signed))
            label { "查找" input name="q" #household-search value=(shown_text) placeholder="姓名、身份证号、电话、地址"; }
            label { "网格" input name="grid" value=(q.grid.as_deref().unwrap_or("")); }
            label { "筛选" (select("filter", "filter-filter", None, &FILTERS, Some(q.filter.as_deref().unwrap_or("")))) }
            label { span { "仅待完善" } input type="checkbox" name="problems" value="1" checked[with_problems]; }
            button { "查询" }
        }
        (table("households", &["户主", "地址", "网格", "完整性", "最近走访"], &rows))
        @if !duplicates.is_empty() {
            div.card #duplicate-ids {
                h3 { "身份证号重复 " small { (duplicates.len()) " 组" } }
                p { "以下人员登记了相同的身份证号，请核对后更正。" }
                ul {
                    @for group in &duplicates {
                        li {
                            @for (i, person) in group.iter().enumerate() {
                                @if i > 0 { "、" }
                                (person.title) "（" (person.grid_code) "）"
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(signed, "户籍", "households", Head::default(), body))
}

/// A record status as a person reads it.
fn status_name(status: fieldgrid_core::records::RecordStatus) -> &'static str {
    use fieldgrid_core::records::RecordStatus;
    match status {
        RecordStatus::Active => "在册",
        RecordStatus::MovedAway => "已迁出",
        RecordStatus::Deceased => "已故",
        RecordStatus::Dissolved => "已注销",
    }
}

/// A stored answer as a person reads it: choice names, masked ID numbers (text;
/// the template escapes it).
fn show(v: &FieldValue, form: &fieldgrid_core::forms::CompiledForm, key: &str) -> String {
    use fieldgrid_core::forms::FieldType;
    let label_of = |list: &str, code: &str| {
        form.definition
            .choice_lists
            .get(list)
            .and_then(|l| l.iter().find(|c| c.code == code))
            .map_or(code.to_owned(), |c| c.label.zh.clone())
    };
    let field = form.field(key);
    match (v, field.map(|f| &f.field_type)) {
        (FieldValue::Text(s), Some(FieldType::Single { choices })) => label_of(choices, s),
        (FieldValue::Choices(c), Some(FieldType::Multiple { choices, .. })) => c
            .iter()
            .map(|x| label_of(choices, x))
            .collect::<Vec<_>>()
            .join("、"),
        (FieldValue::Text(s), Some(FieldType::IdCard)) => crate::service::admin::mask(s, 4, 2),
        (FieldValue::Bool(b), _) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        (FieldValue::Int(i), _) => i.to_string(),
        (FieldValue::Decimal(d), _) => format!("{d}"),
        (FieldValue::Text(s), _) => s.clone(),
        (FieldValue::Choices(c), _) => c.join(", "),
        (FieldValue::Point(p), _) => format!("{:.5}, {:.5}", p.lat, p.lon),
        (FieldValue::Rows(r), _) => format!("{} 行", r.len()),
    }
}

/// `GET /ui/households/{id}`: the record by modules, members, visits, history.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    let residents::HouseholdView {
        house,
        members,
        report,
        history,
        form,
    } = residents::household(&state, &caller, &id).await?;
    let values = house.form_values();
    let tree = caller.tree.clone();
    let modules = html! {
        @for module in &form.definition.modules {
            @let rows: Vec<Vec<Markup>> = module
                .sections
                .iter()
                .flat_map(|s| &s.fields)
                .filter_map(|f| {
                    let key = format!("{}.{}", module.code, f.code);
                    let v = values.get(&key)?;
                    Some(vec![
                        html! { (f.label.zh) },
                        html! {
                            (show(v, &form, &key))
                            @for p in report.problems.iter().filter(|p| p.field == key) {
                                div.problem { (p.message) }
                            }
                        },
                    ])
                })
                .collect();
            div.card.module id={ "module-" (module.code) } {
                h3 { (module.label.zh) }
                (table(&format!("fields-{}", module.code), &["项目", "内容"], &rows))
            }
        }
    };
    // A member outside the user's area shows as such, nothing of the person.
    let member_rows: Vec<Vec<Markup>> = members
        .iter()
        .map(|(m, p)| match p {
            Some(p) => vec![
                html! { (p.name) },
                html! { (m.relation) },
                html! { (status_name(p.status)) },
            ],
            None => vec![html! { "（不在本辖区）" }, html! { (m.relation) }, html! {}],
        })
        .collect();
    let mut visits = house.visits.clone();
    visits.sort_by_key(|v| std::cmp::Reverse(v.at));
    let visit_rows: Vec<Vec<Markup>> = visits
        .iter()
        .map(|v| {
            vec![
                html! { (time(v.at)) },
                html! { (person_name(&tree, &v.by)) },
                html! { (v.purpose) },
                html! { (v.notes) },
                html! { @if v.follow_up { "需回访" } },
            ]
        })
        .collect();
    // Values through the same display as the record: ID numbers stay masked.
    let as_shown = |key: &str, v: &serde_json::Value| {
        serde_json::from_value::<FieldValue>(v.clone())
            .map_or_else(|_| v.to_string(), |f| show(&f, &form, key))
    };
    let history_rows: Vec<Vec<Markup>> = history
        .iter()
        .map(|(k, c)| {
            let old: Vec<String> = c.old.iter().map(|v| as_shown(k, v)).collect();
            let new = c
                .new
                .as_ref()
                .map_or("（清除）".to_owned(), |v| as_shown(k, v));
            vec![
                html! { (time(c.time)) },
                html! { (person_name(&tree, c.user_id.as_deref().unwrap_or(""))) },
                html! { (form.field(k).map_or(k.as_str(), |f| f.label.zh.as_str())) },
                html! { (old.join(" | ")) " → " (new) },
            ]
        })
        .collect();
    let body = html! {
        h1 #household-title { (house.head_name) " · " (house.address) }
        p {
            "网格 " (house.grid_code)
            "　门牌 " (house.door_plate.as_deref().unwrap_or("—"))
            "　表单版本 " (report.saved_with.map_or("—".into(), |v| v.to_string()))
            "　" (if house.complete { "已完整" } else { "草稿" })
            "　问题 " (report.problems.len()) " 项"
        }
        div.cards {
            div.card { h3 { "家庭成员" } (table("members", &["姓名", "与户主关系", "状态"], &member_rows)) }
            div.card { h3 { "走访记录" } (table("visits", &["时间", "走访人", "目的", "情况", "回访"], &visit_rows)) }
        }
        div.cards { (modules) }
        div.card { h3 { "修改记录（最近 30 条）" } (table("history", &["时间", "修改人", "项目", "修改"], &history_rows)) }
    };
    Ok(layout(&signed, "户籍", "households", Head::default(), body))
}
