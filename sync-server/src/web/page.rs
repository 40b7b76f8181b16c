//! HTML building blocks on maud, which escapes every value it is given: the page
//! layout with its navigation, tables and small SVG bar charts. Pages are rendered
//! on the server; scripts (files only, the CSP allows no inline script) draw maps.

use maud::{DOCTYPE, Markup, html};

use super::auth::SignedIn;

/// Stylesheets and scripts a page adds to `<head>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Head {
    /// Leaflet's stylesheet and script (map pages).
    pub leaflet: bool,
}

/// A page without navigation (the login, errors).
pub fn layout_bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (title) " · 网格化治理" }
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="stylesheet" href="/ui/assets/app.css";
            }
            body { (body) }
        }
    }
}

/// A page with the navigation bar.
pub fn layout(signed: &SignedIn, title: &str, active: &str, head: Head, body: Markup) -> Markup {
    let tabs = [
        ("/ui/", "map", "地图"),
        ("/ui/incidents", "incidents", "事件"),
        ("/ui/tasks", "tasks", "我的任务"),
        ("/ui/urging", "urging", "催办"),
        ("/ui/intake", "intake", "受理"),
        ("/ui/households", "households", "户籍"),
        ("/ui/stats", "stats", "统计"),
        ("/ui/reports", "reports", "报表"),
        ("/ui/screen", "screen", "大屏"),
        ("/ui/assessment", "assessment", "考核"),
        ("/ui/knowledge", "knowledge", "知识库"),
        ("/ui/admin", "admin", "管理"),
    ];
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { (title) " · 网格化治理" }
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf" content=(signed.session.csrf);
                link rel="stylesheet" href="/ui/assets/app.css";
                @if head.leaflet {
                    link rel="stylesheet" href="/ui/assets/leaflet.css";
                    script src="/ui/assets/leaflet.js" {}
                }
            }
            body {
                header {
                    span.brand { "综合指挥中心" }
                    nav {
                        @for (href, key, label) in tabs {
                            @if key != "admin" || signed.is_admin() {
                                a href=(href) id={ "nav-" (key) } class=[(key == active).then_some("active")] { (label) }
                            }
                        }
                    }
                    form.logout method="post" action="/ui/logout" {
                        (csrf_field(signed))
                        span.who { (signed.user.username) }
                        button #logout { "退出" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The hidden CSRF field every page form carries.
pub fn csrf_field(signed: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.session.csrf); }
}

/// A table from a header row and body rows.
pub fn table(id: &str, head: &[&str], rows: &[Vec<Markup>]) -> Markup {
    html! {
        table id=(id) {
            thead { tr { @for h in head { th { (h) } } } }
            tbody {
                @for r in rows {
                    tr { @for c in r { td { (c) } } }
                }
            }
        }
    }
}

/// A `<select>` of `(value, label)` options with `current` selected, and an empty
/// first option named `all` when given.
pub fn select(
    name: &str,
    id: &str,
    all: Option<&str>,
    options: &[(&str, &str)],
    current: Option<&str>,
) -> Markup {
    html! {
        select name=(name) id=(id) {
            @if let Some(all) = all { option value="" { (all) } }
            @for (value, label) in options {
                option value=(value) selected[current == Some(*value)] { (label) }
            }
        }
    }
}

/// A horizontal bar chart (values 0..=1 shown as percentages) as inline SVG.
pub fn bars(id: &str, title: &str, items: &[(String, Option<f64>)]) -> Markup {
    let h = 22 * items.len() + 30;
    html! {
        figure.chart {
            figcaption { (title) }
            // Scales to its card (the viewBox keeps the drawing's proportions).
            svg id=(id) viewBox=(format!("0 0 520 {h}")) width="520" height=(h) role="img" {
                @for (i, (label, v)) in items.iter().enumerate() {
                    @let y = 26 + i * 22;
                    @let w = v.map_or(0.0, |v| v.clamp(0.0, 1.0) * 300.0);
                    text x="0" y=(y + 13) class="label" { (label) }
                    rect x="160" y=(y) width=(format!("{w:.1}")) height="16" class="bar" {}
                    text x=(format!("{:.1}", 166.0 + w)) y=(y + 13) class="value" {
                        (v.map_or("—".to_owned(), |v| format!("{:.0}%", v * 100.0)))
                    }
                }
            }
        }
    }
}

/// The period switcher: the previous and next period, and this day, week, month
/// and quarter; `link` makes a period's URL.
pub fn period_nav(
    period: fieldgrid_core::assessment::Period,
    link: &dyn Fn(fieldgrid_core::assessment::Period) -> String,
) -> Markup {
    use fieldgrid_core::assessment::{Period, PeriodKind};
    let now = crate::now();
    html! {
        nav.periods {
            a #period-previous href=(link(period.previous())) { "‹ 上一期" }
            " "
            strong #period-label { (period.label_zh()) }
            " "
            a #period-next href=(link(period.next())) { "下一期 ›" }
            " · "
            @for kind in PeriodKind::ALL {
                a id={ "period-" (kind.as_str()) } href=(link(Period::containing(kind, now)))
                    class=[(kind == period.kind()).then_some("active")] {
                    "本" (match kind { PeriodKind::Day => "日", PeriodKind::Week => "周", PeriodKind::Month => "月", PeriodKind::Quarter => "季" })
                }
                " "
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        let rows = vec![vec![html! { ("<script>alert(1)</script>") }]];
        let out = table("t\"><x", &["<b>"], &rows).into_string();
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"));
        assert!(!out.contains("t\"><x"), "{out}");
        let chart = bars("c", "<i>", &[("<svg onload=x>".into(), Some(0.5))]).into_string();
        assert!(!chart.contains("<svg onload"), "{chart}");
    }
}
