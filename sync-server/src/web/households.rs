//! Households in the supervisor's scope: search and filters, and one household
//! by modules with its members, visit timeline and field history.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use fieldgrid_core::household::{FormRecord, HouseholdQuery};
use fieldgrid_core::records::{FieldValue, Household, RecordKind};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn};
use super::incidents::is_code;
use super::page::{escape, layout, table, time};
use super::{PageError, caller, replica_store};
use crate::AppState;
use crate::service::records;

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
) -> Result<Html<String>, PageError> {
    render_list(&state, &signed, q, String::new()).await
}

/// `POST /ui/households`: the same page, with a search.
pub async fn search(
    State(state): State<AppState>,
    CsrfForm { signed, form }: CsrfForm<SearchForm>,
) -> Result<Html<String>, PageError> {
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
) -> Result<Html<String>, PageError> {
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
    let store = replica_store(state).await?;
    let caller = caller(state, signed).await?;
    let grids: Vec<String> = match q.grid.as_deref().filter(|g| !g.is_empty()) {
        Some(g) if caller.sees(g) => vec![g.to_owned()],
        Some(_) => return Err(PageError::not_found()),
        None => caller.scope.all.iter().cloned().collect(),
    };
    let shown_text = text.clone();
    let filters: Vec<(String, String)> = q
        .filter
        .as_deref()
        .and_then(|f| f.split_once('='))
        .map(|(k, v)| vec![(k.to_owned(), v.to_owned())])
        .unwrap_or_default();
    let with_problems = q.problems.is_some();
    let (rows, total) = tokio::task::spawn_blocking(
        move || -> Result<(Vec<Vec<String>>, u64), fieldgrid_core::Error> {
            if !text.trim().is_empty() {
                let found = store.find_residents(&text, &grids, 100)?;
                let rows = found
                    .into_iter()
                    .map(|f| {
                        let href = if f.kind == RecordKind::Household {
                            format!("/ui/households/{}", f.id)
                        } else {
                            String::new()
                        };
                        vec![
                            if href.is_empty() {
                                escape(&f.title)
                            } else {
                                format!(
                                    r#"<a href="{href}" class="household-link">{}</a>"#,
                                    escape(&f.title)
                                )
                            },
                            escape(f.kind.as_str()),
                            escape(&f.grid_code),
                            String::new(),
                            String::new(),
                        ]
                    })
                    .collect::<Vec<_>>();
                let n = rows.len() as u64;
                return Ok((rows, n));
            }
            let query = HouseholdQuery {
                grids,
                filters,
                with_problems,
                limit: 200,
                ..Default::default()
            };
            let total = store.count_households(&query)?;
            let rows = store
                .list_households(&query)?
                .into_iter()
                .map(|h| {
                    vec![
                        format!(
                            r#"<a href="/ui/households/{}" class="household-link">{}</a>"#,
                            escape(&h.id),
                            escape(&h.head_name)
                        ),
                        escape(&h.address),
                        escape(&h.grid_code),
                        if h.problems > 0 {
                            format!(r#"<span class="problem">{} 项待完善</span>"#, h.problems)
                        } else if h.complete {
                            "完整".into()
                        } else {
                            String::new()
                        },
                        h.last_visit_at.map(time).unwrap_or_else(|| "未走访".into()),
                    ]
                })
                .collect();
            Ok((rows, total))
        },
    )
    .await
    .map_err(|e| PageError::bad(e.to_string()))??;
    let opts: String = FILTERS
        .iter()
        .map(|(v, l)| {
            format!(
                r#"<option value="{v}"{s}>{l}</option>"#,
                s = if q.filter.as_deref() == Some(*v) {
                    " selected"
                } else {
                    ""
                }
            )
        })
        .collect();
    let body = format!(
        r#"<h1>户籍信息 <small id="household-total">{total} 户</small></h1>
<form class="filters" method="post" action="/ui/households">
<input type="hidden" name="csrf" value="{csrf}">
<label>查找<input name="q" id="household-search" value="{text}" placeholder="姓名、身份证号、电话、地址"></label>
<label>网格<input name="grid" value="{grid}"></label>
<label>筛选<select name="filter">{opts}</select></label>
<label><span>仅待完善</span><input type="checkbox" name="problems" value="1"{p}></label>
<button>查询</button></form>{t}"#,
        text = escape(&shown_text),
        csrf = escape(&signed.session.csrf),
        grid = escape(q.grid.as_deref().unwrap_or("")),
        p = if with_problems { " checked" } else { "" },
        t = table(
            "households",
            &["户主", "地址", "网格", "完整性", "最近走访"],
            &rows
        ),
    );
    Ok(layout(signed, "户籍", "households", "", &body))
}

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
        (FieldValue::Text(s), Some(FieldType::Single { choices })) => escape(&label_of(choices, s)),
        (FieldValue::Choices(c), Some(FieldType::Multiple { choices, .. })) => escape(
            &c.iter()
                .map(|x| label_of(choices, x))
                .collect::<Vec<_>>()
                .join("、"),
        ),
        (FieldValue::Text(s), Some(FieldType::IdCard)) => escape(&crate::admin::mask(s, 4, 2)),
        (FieldValue::Bool(b), _) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        (FieldValue::Int(i), _) => i.to_string(),
        (FieldValue::Decimal(d), _) => format!("{d}"),
        (FieldValue::Text(s), _) => escape(s),
        (FieldValue::Choices(c), _) => escape(&c.join(", ")),
        (FieldValue::Point(p), _) => format!("{:.5}, {:.5}", p.lat, p.lon),
        (FieldValue::Rows(r), _) => format!("{} 行", r.len()),
    }
}

/// `GET /ui/households/{id}`: the record by modules, members, visits, history.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let store = replica_store(&state).await?;
    let caller = caller(&state, &signed).await?;
    let house: Household = records::get_in(&store, &caller, &id).await?;
    let members = records::members(&store, &caller, &house).await?;
    let hid = id.clone();
    let s = store.clone();
    let fields: Vec<String> = house.fields.keys().take(400).cloned().collect();
    let (report, history) =
        tokio::task::spawn_blocking(move || -> Result<_, fieldgrid_core::Error> {
            let report = s.form_report(&hid)?;
            let mut history = Vec::new();
            for key in fields {
                for change in s.field_history(&hid, &format!("fields/{key}"))? {
                    history.push((key.clone(), change));
                }
            }
            history.sort_by_key(|h| std::cmp::Reverse(h.1.time));
            history.truncate(30);
            Ok((report, history))
        })
        .await
        .map_err(|e| PageError::bad(e.to_string()))??;
    let form = {
        let s = store.clone();
        tokio::task::spawn_blocking(move || s.form(RecordKind::Household))
            .await
            .map_err(|e| PageError::bad(e.to_string()))??
    };
    let values = house.form_values();
    let mut modules = String::new();
    for module in &form.definition.modules {
        let rows: Vec<Vec<String>> = module
            .sections
            .iter()
            .flat_map(|s| &s.fields)
            .filter_map(|f| {
                let key = format!("{}.{}", module.code, f.code);
                let v = values.get(&key)?;
                let problems: String = report
                    .problems
                    .iter()
                    .filter(|p| p.field == key)
                    .map(|p| format!(r#"<div class="problem">{}</div>"#, escape(&p.message)))
                    .collect();
                Some(vec![
                    escape(&f.label.zh),
                    format!("{}{problems}", show(v, &form, &key)),
                ])
            })
            .collect();
        modules.push_str(&format!(
            r#"<div class="card module" id="module-{code}"><h3>{label}</h3>{t}</div>"#,
            code = escape(&module.code),
            label = escape(&module.label.zh),
            t = table(&format!("fields-{}", module.code), &["项目", "内容"], &rows),
        ));
    }
    // A member outside the user's area shows as such, nothing of the person.
    let member_rows: Vec<Vec<String>> = members
        .iter()
        .map(|(m, p)| match p {
            Some(p) => vec![
                escape(&p.name),
                escape(&m.relation),
                escape(p.status.as_str()),
            ],
            None => vec!["（不在本辖区）".into(), escape(&m.relation), String::new()],
        })
        .collect();
    let mut visits = house.visits.clone();
    visits.sort_by_key(|v| std::cmp::Reverse(v.at));
    let visit_rows: Vec<Vec<String>> = visits
        .iter()
        .map(|v| {
            vec![
                time(v.at),
                escape(&v.by),
                escape(&v.purpose),
                escape(&v.notes),
                if v.follow_up {
                    "需回访".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    let history_rows: Vec<Vec<String>> = history
        .iter()
        .map(|(k, c)| {
            let old: Vec<String> = c.old.iter().map(|v| v.to_string()).collect();
            let new = c
                .new
                .as_ref()
                .map_or("（清除）".to_owned(), |v| v.to_string());
            vec![
                time(c.time),
                escape(c.user_id.as_deref().unwrap_or("")),
                escape(k),
                escape(&format!("{} → {new}", old.join(" | "))),
            ]
        })
        .collect();
    let body = format!(
        r#"<h1 id="household-title">{head} · {addr}</h1>
<p>网格 {grid}　门牌 {plate}　表单版本 {ver}　{complete}　问题 {np} 项</p>
<div class="cards"><div class="card"><h3>家庭成员</h3>{members}</div>
<div class="card"><h3>走访记录</h3>{visits}</div></div>
<div class="cards">{modules}</div>
<div class="card"><h3>修改记录（最近 30 条）</h3>{history}</div>"#,
        head = escape(&house.head_name),
        addr = escape(&house.address),
        grid = escape(&house.grid_code),
        plate = escape(house.door_plate.as_deref().unwrap_or("—")),
        ver = report.saved_with.map_or("—".into(), |v| v.to_string()),
        complete = if house.complete {
            "已完整"
        } else {
            "草稿"
        },
        np = report.problems.len(),
        members = table("members", &["姓名", "与户主关系", "状态"], &member_rows),
        visits = table(
            "visits",
            &["时间", "走访人", "目的", "情况", "回访"],
            &visit_rows
        ),
        history = table(
            "history",
            &["时间", "修改人", "项目", "修改"],
            &history_rows
        ),
    );
    Ok(layout(&signed, "户籍", "households", "", &body))
}
