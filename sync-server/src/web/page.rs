//! HTML building blocks: escaping, the page layout with its navigation, tables and
//! small SVG bar charts. Pages are rendered on the server; scripts only draw the map.

use axum::response::Html;

use super::auth::SignedIn;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page without navigation (the login).
pub fn layout_bare(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{} · 网格化治理</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/ui/assets/app.css"></head><body>{body}</body></html>"#,
        escape(title)
    ))
}

/// A page with the navigation bar; `head` adds to `<head>`.
pub fn layout(
    signed: &SignedIn,
    title: &str,
    active: &str,
    head: &str,
    body: &str,
) -> Html<String> {
    let tabs = [
        ("/ui/", "map", "地图"),
        ("/ui/incidents", "incidents", "事件"),
        ("/ui/households", "households", "户籍"),
        ("/ui/stats", "stats", "统计"),
        ("/ui/admin", "admin", "管理"),
    ];
    let nav: String = tabs
        .iter()
        .filter(|(_, key, _)| *key != "admin" || signed.is_admin())
        .map(|(href, key, label)| {
            let class = if *key == active {
                " class=\"active\""
            } else {
                ""
            };
            format!(r#"<a href="{href}"{class} id="nav-{key}">{label}</a>"#)
        })
        .collect();
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title} · 网格化治理</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf" content="{csrf}">
<link rel="stylesheet" href="/ui/assets/app.css">{head}</head><body>
<header><span class="brand">综合指挥中心</span><nav>{nav}</nav>
<form method="post" action="/ui/logout" class="logout"><input type="hidden" name="csrf" value="{csrf}">
<span class="who">{who}</span><button id="logout">退出</button></form></header>
<main>{body}</main></body></html>"#,
        title = escape(title),
        csrf = escape(&signed.session.csrf),
        who = escape(&signed.user.username),
    ))
}

/// A table from a header row and body rows (cells already HTML).
pub fn table(id: &str, head: &[&str], rows: &[Vec<String>]) -> String {
    let th: String = head
        .iter()
        .map(|h| format!("<th>{}</th>", escape(h)))
        .collect();
    let body: String = rows
        .iter()
        .map(|r| {
            format!(
                "<tr>{}</tr>",
                r.iter()
                    .map(|c| format!("<td>{c}</td>"))
                    .collect::<String>()
            )
        })
        .collect();
    format!(r#"<table id="{id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"#)
}

/// A horizontal bar chart (values 0..=1 shown as percentages) as inline SVG.
pub fn bars(id: &str, title: &str, items: &[(String, Option<f64>)]) -> String {
    let h = 22 * items.len() + 30;
    let rows: String = items
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let y = 26 + i * 22;
            let w = v.map_or(0.0, |v| v.clamp(0.0, 1.0) * 300.0);
            let text = v.map_or("—".to_owned(), |v| format!("{:.0}%", v * 100.0));
            format!(
                r##"<text x="0" y="{ty}" class="label">{l}</text><rect x="160" y="{y}" width="{w:.1}" height="16" class="bar"/><text x="{tx:.1}" y="{ty}" class="value">{text}</text>"##,
                ty = y + 13,
                l = escape(label),
                tx = 166.0 + w,
            )
        })
        .collect();
    format!(
        r#"<figure class="chart"><figcaption>{}</figcaption><svg id="{id}" width="520" height="{h}" role="img">{rows}</svg></figure>"#,
        escape(title)
    )
}

/// Formats unix seconds as China time, `YYYY-MM-DD HH:MM`.
pub fn time(unix: i64) -> String {
    let iso = fieldgrid_core::patrol::export::iso8601((unix + 8 * 3600) * 1000);
    iso[..16].replacen('T', " ", 1)
}

/// Today's date in China time, `YYYY-MM-DD`.
pub fn today() -> String {
    fieldgrid_core::forms::date_at(crate::now()).to_string()
}
