//! The knowledge base pages (知识库): the entries and the grid task list with
//! search and filters; one item with its text, its draft (the preview before
//! publishing) and its history (who changed what, at which version); the edit
//! forms; import from and export to the sheets a county keeps; the preview of
//! every draft with the problems the set would have, and the publish.
//!
//! Everyone signed in reads; only the county's administrators and command
//! centre change anything (`service::knowledge` decides).

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fieldgrid_core::knowledge::body::{Block, BlockKind, Span, blocks};
use fieldgrid_core::knowledge::sheet::list as list_items;
use fieldgrid_core::knowledge::{
    Entry, EntryKind, Frequency, GridTask, Item, ItemKind, TASK_FORMS, form_name_zh,
};
use fieldgrid_core::org::{GridKind, Role};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{CsrfForm, SignedIn, check_csrf};
use super::page::{Head, csrf_field, layout, select, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::service::Caller;
use crate::service::knowledge::{
    self as service, ChangeKind, Editor, Published, Stored, author_name, may_edit,
};

/// How many items a list page shows.
const PAGE: usize = 50;
/// The largest edit form (a 20,000-character body, percent-encoded).
const FORM_LIMIT: usize = 512 * 1024;

fn kind_of(text: &str) -> Result<ItemKind, PageError> {
    ItemKind::parse(text).ok_or_else(PageError::not_found)
}

fn item_href(kind: ItemKind, id: &str) -> String {
    format!("/ui/knowledge/item/{}/{id}", kind.as_str())
}

/// `?q=&department=&kind=&show=tasks&retired=1&page=`.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    department: Option<String>,
    kind: Option<String>,
    show: Option<String>,
    retired: Option<String>,
    page: Option<usize>,
}

fn matches(item: &Item, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let hay = match item {
        Item::Entry(e) => format!("{} {} {} {}", e.id, e.title, e.department, e.tags.join(" ")),
        Item::Task(t) => format!("{} {} {} {}", t.id, t.name, t.department, t.duty),
    };
    q.split_whitespace().all(|w| hay.contains(w))
}

fn department_of(item: &Item) -> &str {
    match item {
        Item::Entry(e) => &e.department,
        Item::Task(t) => &t.department,
    }
}

fn drafts_banner(count: usize, editor: bool) -> Markup {
    html! {
        @if count > 0 {
            p.drafts #drafts-banner {
                "有 " strong { (count) } " 处修改尚未发布。"
                a href="/ui/knowledge/preview" { "预览并发布" }
            }
        } @else if editor {
            p.hint { "所有修改均已发布。" }
        }
    }
}

/// `GET /ui/knowledge`: the entries (or, `show=tasks`, the grid tasks).
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<ListQuery>,
) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    let preview = service::preview(&state, &caller).await?;
    let editor = may_edit(&caller);
    let kind = if q.show.as_deref() == Some("tasks") {
        ItemKind::Task
    } else {
        ItemKind::Entry
    };
    let text = q.q.as_deref().unwrap_or("").trim().to_owned();
    let department = q.department.as_deref().filter(|d| !d.is_empty());
    let entry_kind = q.kind.as_deref().and_then(EntryKind::parse);
    let with_retired = q.retired.as_deref() == Some("1");
    let published = &preview.published;
    let mut departments: Vec<&str> = published
        .items
        .values()
        .filter(|s| s.item.kind() == kind)
        .map(|s| department_of(&s.item))
        .collect();
    departments.sort_unstable();
    departments.dedup();
    let found: Vec<&Stored> = published
        .items
        .values()
        .filter(|s| s.item.kind() == kind)
        .filter(|s| with_retired || !s.item.retired())
        .filter(|s| department.is_none_or(|d| department_of(&s.item) == d))
        .filter(|s| match (&s.item, entry_kind) {
            (Item::Entry(e), Some(k)) => e.kind == k,
            _ => true,
        })
        .filter(|s| matches(&s.item, &text))
        .collect();
    let page = q.page.unwrap_or(0);
    let pages = found.len().div_ceil(PAGE).max(1);
    let rows: Vec<Vec<Markup>> = found
        .iter()
        .skip(page * PAGE)
        .take(PAGE)
        .map(|s| {
            let status = if s.item.retired() {
                "已废止"
            } else {
                "有效"
            };
            match &s.item {
                Item::Entry(e) => vec![
                    html! { (e.id) },
                    html! { a href=(item_href(ItemKind::Entry, &e.id)) { (e.title) } },
                    html! { (e.kind.name_zh()) },
                    html! { (e.department) },
                    html! { (e.tags.join("、")) },
                    html! { (status) },
                    html! { (s.version) },
                ],
                Item::Task(t) => vec![
                    html! { (t.id) },
                    html! { a href=(item_href(ItemKind::Task, &t.id)) { (t.name) } },
                    html! { (t.department) },
                    html! { (t.frequency.name_zh()) },
                    html! { (t.roles.iter().map(|r| r.name_zh()).collect::<Vec<_>>().join("、")) },
                    html! { (status) },
                    html! { (s.version) },
                ],
            }
        })
        .collect();
    let head: &[&str] = match kind {
        ItemKind::Entry => &["编号", "标题", "类型", "部门", "标签", "状态", "版本"],
        ItemKind::Task => &[
            "编号",
            "事项名称",
            "部门",
            "频次",
            "适用角色",
            "状态",
            "版本",
        ],
    };
    let kinds: Vec<(&str, &str)> = EntryKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.name_zh()))
        .collect();
    let dept_options: Vec<(&str, &str)> = departments.iter().map(|d| (*d, *d)).collect();
    let show = if kind == ItemKind::Task {
        "tasks"
    } else {
        "entries"
    };
    let page_href = |p: usize| {
        let page = p.to_string();
        let query = serde_urlencoded::to_string([
            ("show", show),
            ("q", text.as_str()),
            ("department", department.unwrap_or("")),
            ("kind", entry_kind.map_or("", EntryKind::as_str)),
            ("retired", if with_retired { "1" } else { "" }),
            ("page", page.as_str()),
        ])
        .unwrap_or_default();
        format!("/ui/knowledge?{query}")
    };
    let live = |k: ItemKind| {
        published
            .items
            .values()
            .filter(|s| s.item.kind() == k && !s.item.retired())
            .count()
    };
    let body = html! {
        h1 { "知识库与网格事项" }
        p.hint {
            "第 " (published.version) " 版 · 知识条目 " (live(ItemKind::Entry)) " 条 · 网格事项 " (live(ItemKind::Task)) " 项"
        }
        (drafts_banner(preview.drafts.len(), editor))
        nav.subjects {
            a #show-entries href="/ui/knowledge" class=[(kind == ItemKind::Entry).then_some("active")] { "知识条目" }
            " "
            a #show-tasks href="/ui/knowledge?show=tasks" class=[(kind == ItemKind::Task).then_some("active")] { "网格事项准入清单" }
            " · "
            a #export-xlsx href="/ui/export/knowledge.xlsx" { "导出 XLSX" }
            " "
            a #export-csv href={ "/ui/export/knowledge-" (show) ".csv" } { "导出 CSV" }
            @if editor {
                " · "
                a #new-item href={ "/ui/knowledge/new/" (kind.as_str()) } { "新建" (kind.name_zh()) }
                " "
                a #import href="/ui/knowledge/import" { "导入" }
            }
        }
        form.filters method="get" action="/ui/knowledge" {
            input type="hidden" name="show" value=(show);
            input #knowledge-q type="search" name="q" value=(text) placeholder="编号、标题、部门或标签";
            (select("department", "knowledge-department", Some("全部部门"), &dept_options, department))
            @if kind == ItemKind::Entry {
                (select("kind", "knowledge-kind", Some("全部类型"), &kinds, entry_kind.map(EntryKind::as_str)))
            }
            label { input type="checkbox" name="retired" value="1" checked[with_retired]; "含已废止" }
            button { "查找" }
        }
        p.hint #knowledge-count { "共 " (found.len()) " 项" }
        @if rows.is_empty() {
            p.empty { "没有符合条件的" (kind.name_zh()) "。" }
        } @else {
            (table("knowledge-list", head, &rows))
        }
        @if pages > 1 {
            nav.pages {
                @if page > 0 { a href=(page_href(page - 1)) { "上一页" } " " }
                "第 " (page + 1) " / " (pages) " 页"
                @if page + 1 < pages { " " a #next-page href=(page_href(page + 1)) { "下一页" } }
            }
        }
    };
    Ok(layout(
        &signed,
        "知识库",
        "knowledge",
        Head::default(),
        body,
    ))
}

/// An entry's text as headings, paragraphs and lists; links to entries the
/// published set holds go to their pages, others are marked.
fn render_body(body: &str, published: &Published) -> Markup {
    let title_of = |id: &str| {
        published
            .items
            .get(&(ItemKind::Entry, id.to_owned()))
            .filter(|s| !s.item.retired())
            .map(|s| s.item.title().to_owned())
    };
    let spans = |b: &Block| {
        html! {
            @for span in &b.spans {
                @match span {
                    Span::Text { text } => (text),
                    Span::Link { id, text } => @match title_of(id) {
                        Some(title) => a.entry-link href=(item_href(ItemKind::Entry, id)) {
                            @if text.is_empty() { (title) } @else { (text) }
                        },
                        None => span.broken-link title="条目不存在或已废止" {
                            @if text.is_empty() { (id) } @else { (text) }
                        },
                    },
                }
            }
        }
    };
    let all = blocks(body);
    html! {
        div.entry-body {
            @for (i, b) in all.iter().enumerate() {
                @match b.kind {
                    BlockKind::Heading => h3 { (spans(b)) },
                    BlockKind::Paragraph => p { (spans(b)) },
                    BlockKind::Item => {
                        // Consecutive items make one list.
                        @if i == 0 || all[i - 1].kind != BlockKind::Item {
                            ul {
                                @for item in all[i..].iter().take_while(|x| x.kind == BlockKind::Item) {
                                    li { (spans(item)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn category_names(codes: &[String], catalogue: &fieldgrid_core::incident::Catalogue) -> String {
    codes
        .iter()
        .map(|c| {
            catalogue.find(c).map_or_else(
                || c.clone(),
                |_| {
                    catalogue
                        .path(c)
                        .iter()
                        .map(|x| x.name.as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                },
            )
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn render_item(
    item: &Item,
    published: &Published,
    catalogue: &fieldgrid_core::incident::Catalogue,
) -> Markup {
    let status = if item.retired() {
        "已废止"
    } else {
        "有效"
    };
    match item {
        Item::Entry(e) => html! {
            dl.facts {
                dt { "类型" } dd { (e.kind.name_zh()) }
                dt { "部门" } dd { (e.department) }
                dt { "标签" } dd { (e.tags.join("、")) }
                dt { "适用事件类别" } dd { (category_names(&e.categories, catalogue)) }
                dt { "有效期" } dd { (e.valid_from.as_deref().unwrap_or("不限")) " 至 " (e.valid_to.as_deref().unwrap_or("不限")) }
                dt { "状态" } dd { (status) }
            }
            (render_body(&e.body, published))
        },
        Item::Task(t) => {
            let basis = t.basis.as_ref().map(|b| {
                let title = published
                    .items
                    .get(&(ItemKind::Entry, b.clone()))
                    .map(|s| s.item.title().to_owned());
                (b.clone(), title)
            });
            html! {
                dl.facts {
                    dt { "部门" } dd { (t.department) }
                    dt { "工作内容" } dd { (t.duty) }
                    dt { "频次" } dd { (t.frequency.name_zh()) }
                    dt { "适用角色" } dd { (t.roles.iter().map(|r| r.name_zh()).collect::<Vec<_>>().join("、")) }
                    dt { "适用网格" } dd {
                        @if t.grid_kinds.is_empty() { "全部网格" }
                        @else { (t.grid_kinds.iter().map(|k| k.name_zh()).collect::<Vec<_>>().join("、")) }
                    }
                    dt { "使用表单" } dd { (t.forms.iter().map(|f| form_name_zh(f)).collect::<Vec<_>>().join("、")) }
                    dt { "事件类别" } dd { (category_names(&t.categories, catalogue)) }
                    dt { "依据" } dd {
                        @match basis {
                            Some((id, Some(title))) => a.entry-link href=(item_href(ItemKind::Entry, &id)) { (title) },
                            Some((id, None)) => span.broken-link { (id) },
                            None => "—",
                        }
                    }
                    dt { "状态" } dd { (status) }
                }
            }
        }
    }
}

/// `GET /ui/knowledge/item/{kind}/{id}`: one item, its draft and its history.
pub async fn item(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let kind = kind_of(&kind)?;
    let caller = caller(&state, &signed).await?;
    let (current, draft) = service::item(&state, &caller, kind, &id).await?;
    let history = service::history(&state, &caller, kind, &id).await?;
    let published = service::published(&state, &caller).await?;
    let catalogue = state.catalogue().await?;
    let editor = may_edit(&caller);
    let shown = current.as_ref().or(draft.as_ref()).map(|s| &s.item);
    let title = shown.map_or(id.clone(), |i| i.title().to_owned());
    let change = draft.as_ref().map(|d| {
        service::change_of(current.as_ref().map(|c| &c.item), &d.item)
            .unwrap_or(ChangeKind::Changed(Vec::new()))
    });
    let history_rows: Vec<Vec<Markup>> = history
        .iter()
        .map(|h| {
            vec![
                html! { "第 " (h.state.version) " 版" },
                html! { (author_name(&caller, &h.state.author)) },
                html! { (time(h.state.at)) },
                html! { (h.change.name_zh()) },
            ]
        })
        .collect();
    let body = html! {
        p { a href={ "/ui/knowledge" @if kind == ItemKind::Task { "?show=tasks" } } { "← 返回" (kind.name_zh()) "列表" } }
        h1 #item-title { (title) }
        p.hint { (kind.name_zh()) " " (id) }
        @if editor {
            nav.actions {
                a #edit-item href={ (item_href(kind, &id)) "/edit" } { "编辑" }
                @if current.as_ref().is_some_and(|c| !c.item.retired()) {
                    form.inline method="post" action={ (item_href(kind, &id)) "/retire" } {
                        (csrf_field(&signed))
                        button #retire-item { "废止" }
                    }
                }
                @if draft.is_some() {
                    form.inline method="post" action={ (item_href(kind, &id)) "/discard" } {
                        (csrf_field(&signed))
                        button #discard-draft { "放弃修改" }
                    }
                }
            }
        }
        @if let (Some(d), Some(change)) = (&draft, &change) {
            section.draft #draft {
                h2 { "待发布的修改（预览）" }
                p.hint { (change.name_zh()) " · " (author_name(&caller, &d.author)) " · " (time(d.at)) }
                h3 #draft-title { (d.item.title()) }
                (render_item(&d.item, &published, &catalogue))
            }
        }
        @if let Some(c) = &current {
            section #published {
                h2 { "已发布（第 " (c.version) " 版）" }
                (render_item(&c.item, &published, &catalogue))
            }
        }
        h2 { "修改记录" }
        @if history_rows.is_empty() {
            p.empty { "尚未发布。" }
        } @else {
            (table("item-history", &["版本", "修改人", "时间", "变更"], &history_rows))
        }
    };
    Ok(layout(&signed, &title, "knowledge", Head::default(), body))
}

/// The edit form's fields as typed (kept when the form comes back with problems).
type Fields = HashMap<String, String>;

fn fields_of(item: &Item) -> Fields {
    let mut f = Fields::new();
    let mut set = |k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    match item {
        Item::Entry(e) => {
            set("id", e.id.clone());
            set("title", e.title.clone());
            set("kind", e.kind.as_str().to_owned());
            set("department", e.department.clone());
            set("tags", e.tags.join("、"));
            set("categories", e.categories.join("、"));
            set("valid_from", e.valid_from.clone().unwrap_or_default());
            set("valid_to", e.valid_to.clone().unwrap_or_default());
            set("body", e.body.clone());
        }
        Item::Task(t) => {
            set("id", t.id.clone());
            set("name", t.name.clone());
            set("department", t.department.clone());
            set("duty", t.duty.clone());
            set("frequency", t.frequency.as_str().to_owned());
            for r in &t.roles {
                set(&format!("role_{}", r.as_str()), "on".into());
            }
            for k in &t.grid_kinds {
                set(&format!("grid_{}", k.as_str()), "on".into());
            }
            for form in &t.forms {
                set(&format!("form_{form}"), "on".into());
            }
            set("categories", t.categories.join("、"));
            set("basis", t.basis.clone().unwrap_or_default());
        }
    }
    f
}

/// The item a form describes; `retired` is kept from the published state.
fn item_of(kind: ItemKind, id: &str, f: &Fields, retired: bool) -> Result<Item, Vec<String>> {
    let get = |k: &str| f.get(k).map_or("", |v| v.as_str()).trim().to_owned();
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let on = |k: String| f.get(&k).is_some_and(|v| !v.is_empty());
    match kind {
        ItemKind::Entry => {
            let kind =
                EntryKind::parse(&get("kind")).ok_or_else(|| vec!["请选择类型".to_owned()])?;
            Ok(Item::Entry(Entry {
                id: id.to_owned(),
                kind,
                title: get("title"),
                body: f
                    .get("body")
                    .map_or("", |v| v.as_str())
                    .replace("\r\n", "\n")
                    .trim()
                    .to_owned(),
                department: get("department"),
                tags: list_items(&get("tags")),
                categories: list_items(&get("categories")),
                valid_from: opt("valid_from"),
                valid_to: opt("valid_to"),
                retired,
            }))
        }
        ItemKind::Task => {
            let frequency =
                Frequency::parse(&get("frequency")).ok_or_else(|| vec!["请选择频次".to_owned()])?;
            Ok(Item::Task(GridTask {
                id: id.to_owned(),
                name: get("name"),
                department: get("department"),
                duty: f
                    .get("duty")
                    .map_or("", |v| v.as_str())
                    .replace("\r\n", "\n")
                    .trim()
                    .to_owned(),
                frequency,
                roles: Role::ALL
                    .into_iter()
                    .filter(|r| on(format!("role_{}", r.as_str())))
                    .collect(),
                grid_kinds: GridKind::ALL
                    .into_iter()
                    .filter(|k| on(format!("grid_{}", k.as_str())))
                    .collect(),
                forms: TASK_FORMS
                    .iter()
                    .filter(|(c, _)| on(format!("form_{c}")))
                    .map(|(c, _)| (*c).to_owned())
                    .collect(),
                categories: list_items(&get("categories")),
                basis: opt("basis"),
                retired,
            }))
        }
    }
}

fn edit_form(
    signed: &SignedIn,
    kind: ItemKind,
    id: Option<&str>,
    f: &Fields,
    problems: &[String],
) -> Markup {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let on = |k: String| f.get(&k).is_some_and(|v| !v.is_empty());
    let action = match id {
        Some(id) => format!("{}/edit", item_href(kind, id)),
        None => format!("/ui/knowledge/new/{}", kind.as_str()),
    };
    let kinds: Vec<(&str, &str)> = EntryKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.name_zh()))
        .collect();
    let freqs: Vec<(&str, &str)> = Frequency::ALL
        .iter()
        .map(|k| (k.as_str(), k.name_zh()))
        .collect();
    let kind_value = get("kind");
    let freq_value = get("frequency");
    html! {
        h1 { @if id.is_some() { "编辑" } @else { "新建" } (kind.name_zh()) }
        @if !problems.is_empty() {
            ul.error #form-problems { @for p in problems { li { (p) } } }
        }
        form.edit #item-form method="post" action=(action) {
            (csrf_field(signed))
            label { "编号" @match id {
                Some(id) => input type="text" value=(id) disabled;,
                None => input #f-id type="text" name="id" value=(get("id")) required placeholder="如 ZS005101";,
            } }
            @match kind {
                ItemKind::Entry => {
                    label { "标题" input #f-title type="text" name="title" value=(get("title")); }
                    label { "类型" (select("kind", "f-kind", None, &kinds, Some(kind_value.as_str()))) }
                    label { "部门" input #f-department type="text" name="department" value=(get("department")); }
                    label { "标签（用“、”分隔）" input #f-tags type="text" name="tags" value=(get("tags")); }
                    label { "适用事件类别编码（用“、”分隔）" input #f-categories type="text" name="categories" value=(get("categories")); }
                    label { "生效日期" input #f-from type="date" name="valid_from" value=(get("valid_from")); }
                    label { "失效日期" input #f-to type="date" name="valid_to" value=(get("valid_to")); }
                    label {
                        "正文（“# ”开头为小标题，“- ”开头为列表，[[条目编号]] 或 [[条目编号|文字]] 链接其他条目）"
                        textarea #f-body name="body" rows="18" { (get("body")) }
                    }
                }
                ItemKind::Task => {
                    label { "事项名称" input #f-name type="text" name="name" value=(get("name")); }
                    label { "部门" input #f-department type="text" name="department" value=(get("department")); }
                    label { "工作内容" textarea #f-duty name="duty" rows="4" { (get("duty")) } }
                    label { "频次" (select("frequency", "f-frequency", None, &freqs, Some(freq_value.as_str()))) }
                    fieldset { legend { "适用角色" }
                        @for r in Role::ALL {
                            label.check { input type="checkbox" name={ "role_" (r.as_str()) } checked[on(format!("role_{}", r.as_str()))]; (r.name_zh()) }
                        }
                    }
                    fieldset { legend { "适用网格（不选为全部）" }
                        @for k in GridKind::ALL {
                            label.check { input type="checkbox" name={ "grid_" (k.as_str()) } checked[on(format!("grid_{}", k.as_str()))]; (k.name_zh()) }
                        }
                    }
                    fieldset { legend { "使用表单" }
                        @for (code, name) in TASK_FORMS {
                            label.check { input type="checkbox" name={ "form_" (code) } checked[on(format!("form_{code}"))]; (name) }
                        }
                    }
                    label { "事件类别编码（用“、”分隔）" input #f-categories type="text" name="categories" value=(get("categories")); }
                    label { "依据条目编号" input #f-basis type="text" name="basis" value=(get("basis")); }
                }
            }
            button #save-draft { "保存为草稿" }
        }
    }
}

/// `GET /ui/knowledge/item/{kind}/{id}/edit`: the form with the draft (or the
/// published state) filled in.
pub async fn edit_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Markup, PageError> {
    let kind = kind_of(&kind)?;
    let caller = caller(&state, &signed).await?;
    refuse_reader(&caller)?;
    let (current, draft) = service::item(&state, &caller, kind, &id).await?;
    let item = draft
        .or(current)
        .map(|s| s.item)
        .ok_or_else(PageError::not_found)?;
    let body = edit_form(&signed, kind, Some(&id), &fields_of(&item), &[]);
    Ok(layout(&signed, "编辑", "knowledge", Head::default(), body))
}

/// `GET /ui/knowledge/new/{kind}`: an empty form.
pub async fn new_page(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(kind): Path<String>,
) -> Result<Markup, PageError> {
    let kind = kind_of(&kind)?;
    let caller = caller(&state, &signed).await?;
    refuse_reader(&caller)?;
    let mut f = Fields::new();
    f.insert("kind".into(), EntryKind::Guide.as_str().into());
    f.insert("frequency".into(), Frequency::Monthly.as_str().into());
    let body = edit_form(&signed, kind, None, &f, &[]);
    Ok(layout(&signed, "新建", "knowledge", Head::default(), body))
}

fn refuse_reader(caller: &Caller) -> Result<(), PageError> {
    if may_edit(caller) {
        Ok(())
    } else {
        Err(PageError(
            StatusCode::FORBIDDEN,
            "只有县级管理员和县指挥中心可以修改知识库和网格事项".into(),
        ))
    }
}

async fn save(
    state: &AppState,
    signed: &SignedIn,
    kind: ItemKind,
    id: &str,
    new: bool,
    f: Fields,
) -> Result<Response, PageError> {
    let caller = caller(state, signed).await?;
    let existing = service::item(state, &caller, kind, id).await.ok();
    if new && existing.is_some() {
        let problems = vec![format!("编号 {id} 已被使用")];
        let body = edit_form(signed, kind, None, &f, &problems);
        return Ok((
            StatusCode::BAD_REQUEST,
            layout(signed, "新建", "knowledge", Head::default(), body),
        )
            .into_response());
    }
    if !new && existing.is_none() {
        return Err(PageError::not_found());
    }
    let retired = existing
        .as_ref()
        .and_then(|(c, d)| d.as_ref().or(c.as_ref()))
        .is_some_and(|s| s.item.retired());
    let result = match item_of(kind, id, &f, retired) {
        Ok(item) => service::save_drafts(state, Editor::Staff(&caller), vec![item])
            .await
            .map(|_| ()),
        Err(problems) => Err(crate::service::ServiceError::Invalid(problems)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&item_href(kind, id)).into_response()),
        Err(crate::service::ServiceError::Invalid(problems)) => {
            let body = edit_form(signed, kind, (!new).then_some(id), &f, &problems);
            Ok((
                StatusCode::BAD_REQUEST,
                layout(signed, "编辑", "knowledge", Head::default(), body),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /ui/knowledge/item/{kind}/{id}/edit`: saves the form as a draft.
pub async fn edit(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    CsrfForm { signed, form }: CsrfForm<Fields, FORM_LIMIT>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    save(&state, &signed, kind, &id, false, form).await
}

/// `POST /ui/knowledge/new/{kind}`: saves a new item as a draft.
pub async fn create(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    CsrfForm { signed, form }: CsrfForm<Fields, FORM_LIMIT>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    let id = form.get("id").map_or("", |v| v.trim()).to_owned();
    if !fieldgrid_core::knowledge::valid_id(&id) {
        let body = edit_form(
            &signed,
            kind,
            None,
            &form,
            &["编号须为 1–32 位字母、数字、- 或 _".to_owned()],
        );
        return Ok((
            StatusCode::BAD_REQUEST,
            layout(&signed, "新建", "knowledge", Head::default(), body),
        )
            .into_response());
    }
    save(&state, &signed, kind, &id, true, form).await
}

/// `POST /ui/knowledge/item/{kind}/{id}/retire`: retires the item (a draft).
pub async fn retire(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    CsrfForm { signed, .. }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    let caller = caller(&state, &signed).await?;
    match service::retire(&state, Editor::Staff(&caller), kind, &id).await {
        Ok(()) => Ok(Redirect::to(&item_href(kind, &id)).into_response()),
        Err(crate::service::ServiceError::Invalid(problems)) => Ok(problems_page(
            &signed,
            "不能废止",
            &problems,
            &item_href(kind, &id),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /ui/knowledge/item/{kind}/{id}/discard`: drops the item's draft.
pub async fn discard(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    CsrfForm { signed, .. }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let kind = kind_of(&kind)?;
    let caller = caller(&state, &signed).await?;
    service::discard(&state, Editor::Staff(&caller), Some((kind, &id))).await?;
    let exists = service::item(&state, &caller, kind, &id).await.is_ok();
    Ok(Redirect::to(&if exists {
        item_href(kind, &id)
    } else {
        "/ui/knowledge".into()
    })
    .into_response())
}

fn problems_page(signed: &SignedIn, title: &str, problems: &[String], back: &str) -> Response {
    let body = html! {
        h1 { (title) }
        p.error { "共 " (problems.len()) " 个问题，请改正后再试：" }
        ul.error #problems { @for p in problems { li { (p) } } }
        p { a href=(back) { "返回" } }
    };
    (
        StatusCode::BAD_REQUEST,
        layout(signed, title, "knowledge", Head::default(), body),
    )
        .into_response()
}

/// `GET /ui/knowledge/import`: the import form.
pub async fn import_page(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    refuse_reader(&caller)?;
    let body = html! {
        h1 { "导入知识库" }
        p.hint {
            "上传 XLSX（工作表“知识条目”和“网格事项”，可只含其一）或其中一表的 CSV。列可按任意顺序，"
            "导出的文件可改后直接导入。导入的内容先成为草稿，预览无误后再发布。"
        }
        form #import-form method="post" action="/ui/knowledge/import" enctype="multipart/form-data" {
            (csrf_field(&signed))
            input #import-file type="file" name="file" accept=".xlsx,.csv,.json" required;
            button #import-submit { "导入为草稿" }
        }
    };
    Ok(layout(&signed, "导入", "knowledge", Head::default(), body))
}

/// `POST /ui/knowledge/import` (multipart: `csrf`, `file`).
pub async fn import(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| PageError::bad("上传的表单无法读取"))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                file = Some(
                    field
                        .bytes()
                        .await
                        .map_err(|_| PageError::bad("文件过大或上传中断"))?
                        .to_vec(),
                )
            }
            _ => {}
        }
    }
    check_csrf(&signed, &csrf, &headers).map_err(|(s, m)| PageError(s, m.into()))?;
    let file = file.ok_or_else(|| PageError::bad("请选择要导入的文件"))?;
    let caller = caller(&state, &signed).await?;
    match service::import(&state, Editor::Staff(&caller), &file).await {
        Ok(s) => {
            let body = html! {
                h1 { "导入完成" }
                p.notice #import-summary {
                    "新增 " (s.added) " 项，修改 " (s.changed) " 项，废止 " (s.retired) " 项，未变 " (s.unchanged) " 项。"
                }
                p { "以上修改已保存为草稿。" a #to-preview href="/ui/knowledge/preview" { "预览并发布" } }
            };
            Ok(layout(&signed, "导入完成", "knowledge", Head::default(), body).into_response())
        }
        Err(crate::service::ServiceError::Invalid(problems)) => Ok(problems_page(
            &signed,
            "文件有问题，未导入",
            &problems,
            "/ui/knowledge/import",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /ui/knowledge/preview`: every draft, what it changes, the problems the
/// set would have, the publish button and the versions published.
pub async fn preview(State(state): State<AppState>, signed: SignedIn) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    let p = service::preview(&state, &caller).await?;
    let versions = service::versions(&state, &caller).await?;
    let editor = may_edit(&caller);
    let rows: Vec<Vec<Markup>> = p
        .drafts
        .iter()
        .map(|d| {
            let kind = d.draft.item.kind();
            vec![
                html! { (kind.name_zh()) },
                html! { (d.draft.item.id()) },
                html! { a href=(item_href(kind, d.draft.item.id())) { (d.draft.item.title()) } },
                html! { (d.change.name_zh()) },
                html! { (author_name(&caller, &d.draft.author)) },
                html! { (time(d.draft.at)) },
            ]
        })
        .collect();
    let version_rows: Vec<Vec<Markup>> = versions
        .iter()
        .map(|v| {
            vec![
                html! { "第 " (v.version) " 版" },
                html! { (author_name(&caller, &v.author)) },
                html! { (time(v.at)) },
                html! { (v.changed) },
            ]
        })
        .collect();
    let count = |f: &dyn Fn(&ChangeKind) -> bool| p.drafts.iter().filter(|d| f(&d.change)).count();
    let body = html! {
        h1 { "预览与发布" }
        p.hint #preview-summary {
            "当前为第 " (p.published.version) " 版。待发布：新增 " (count(&|c| *c == ChangeKind::Added))
            " 项，修改 " (count(&|c| matches!(c, ChangeKind::Changed(_) | ChangeKind::Restored)))
            " 项，废止 " (count(&|c| *c == ChangeKind::Retired)) " 项。"
        }
        @if !p.problems.is_empty() {
            p.error { "发布前须改正以下 " (p.problems.len()) " 个问题：" }
            ul.error #problems { @for x in &p.problems { li { (x) } } }
        }
        @if rows.is_empty() {
            p.empty { "没有待发布的修改。" }
        } @else {
            (table("drafts", &["类型", "编号", "标题", "变更", "修改人", "时间"], &rows))
            @if editor {
                form.inline method="post" action="/ui/knowledge/publish" {
                    (csrf_field(&signed))
                    button #publish disabled[!p.problems.is_empty()] { "发布为第 " (p.published.version + 1) " 版" }
                }
                form.inline method="post" action="/ui/knowledge/discard" {
                    (csrf_field(&signed))
                    button #discard-all { "放弃全部修改" }
                }
            }
        }
        h2 { "发布记录" }
        @if version_rows.is_empty() {
            p.empty { "尚未发布。" }
        } @else {
            (table("versions", &["版本", "发布人", "时间", "变更条数"], &version_rows))
        }
    };
    Ok(layout(
        &signed,
        "预览与发布",
        "knowledge",
        Head::default(),
        body,
    ))
}

/// `POST /ui/knowledge/publish`.
pub async fn publish(
    State(state): State<AppState>,
    CsrfForm { signed, .. }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let caller = caller(&state, &signed).await?;
    match service::publish(&state, Editor::Staff(&caller)).await {
        Ok(_) => Ok(Redirect::to("/ui/knowledge/preview").into_response()),
        Err(crate::service::ServiceError::Invalid(problems)) => Ok(problems_page(
            &signed,
            "不能发布",
            &problems,
            "/ui/knowledge/preview",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /ui/knowledge/discard`: drops every draft.
pub async fn discard_all(
    State(state): State<AppState>,
    CsrfForm { signed, .. }: CsrfForm<Fields>,
) -> Result<Response, PageError> {
    let caller = caller(&state, &signed).await?;
    service::discard(&state, Editor::Staff(&caller), None).await?;
    Ok(Redirect::to("/ui/knowledge/preview").into_response())
}

async fn published_items(state: &AppState, signed: &SignedIn) -> Result<Vec<Item>, PageError> {
    let caller = caller(state, signed).await?;
    Ok(service::published(state, &caller)
        .await?
        .items
        .into_values()
        .map(|s| s.item)
        .collect())
}

/// `GET /ui/export/knowledge.xlsx`: the published set as the county's workbook.
pub async fn xlsx(State(state): State<AppState>, signed: SignedIn) -> Result<Response, PageError> {
    let items = published_items(&state, &signed).await?;
    let bytes = crate::knowledge_sheet::workbook(&items).map_err(|e| {
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("无法生成表格：{e}"),
        )
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"knowledge.xlsx\"".to_owned(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /ui/export/knowledge-entries.csv`: the entry sheet as CSV.
pub async fn entries_csv(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, PageError> {
    csv(&state, &signed, ItemKind::Entry, "knowledge-entries.csv").await
}

/// `GET /ui/export/knowledge-tasks.csv`: the task sheet as CSV.
pub async fn tasks_csv(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, PageError> {
    csv(&state, &signed, ItemKind::Task, "knowledge-tasks.csv").await
}

async fn csv(
    state: &AppState,
    signed: &SignedIn,
    kind: ItemKind,
    name: &str,
) -> Result<Response, PageError> {
    let items = published_items(state, signed).await?;
    let (head, rows) = crate::knowledge_sheet::rows(&items, kind);
    Ok(super::exports::csv(name, &head, rows))
}
