//! The assessment pages (考核): scorecards per grid worker, grid, village, town
//! and handling unit over a day, week, month or quarter; one card with every item
//! explained down to its records; a worker's points ledger and the form that
//! adjusts it; the rules in force; the cards as CSV.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use fieldgrid_core::assessment::{
    Metric, Period, PeriodKind, ScoreItem, Scorecard, Subject, trim_number,
};
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::CsrfForm;
use super::auth::SignedIn;
use super::page::{Head, bars, csrf_field, layout, table, time};
use super::{PageError, caller};
use crate::AppState;
use crate::service::assessment::{self, Assessment};

/// `?period=2026-11&subject=worker`.
#[derive(Deserialize, Default)]
pub struct CardQuery {
    /// A period code (default: this month).
    pub period: Option<String>,
    /// `worker`, `grid`, `village`, `town` or `unit` (default: worker).
    pub subject: Option<String>,
}

pub(crate) fn period_of(code: Option<&str>) -> Result<Period, PageError> {
    match code.filter(|c| !c.is_empty()) {
        None => Ok(Period::containing(PeriodKind::Month, crate::now())),
        Some(c) => Period::parse(c).map_err(|_| {
            PageError::bad("参数 period 的值无效（例如 2026-11-29、2026-W48、2026-11、2026-Q4）")
        }),
    }
}

fn subject_of(code: Option<&str>) -> Result<Subject, PageError> {
    match code.filter(|c| !c.is_empty()) {
        None => Ok(Subject::Worker),
        Some(c) => Subject::parse(c).ok_or_else(|| PageError::bad("参数 subject 的值无效")),
    }
}

fn value_text(metric: Metric, v: Option<f64>) -> String {
    metric.show(v)
}

fn trim(v: f64) -> String {
    trim_number(v)
}

fn score_text(s: Option<f64>) -> String {
    s.map_or("不计".into(), trim)
}

fn periods_nav(period: Period, subject: Subject, base: &str) -> Markup {
    super::page::period_nav(period, &|p| {
        format!("{base}?period={p}&subject={}", subject.as_str())
    })
}

/// The period, subject, assessment and cards a list or its CSV shows.
async fn load(
    state: &AppState,
    signed: &SignedIn,
    q: &CardQuery,
) -> Result<(Period, Subject, Assessment, Vec<Scorecard>), PageError> {
    let period = period_of(q.period.as_deref())?;
    let subject = subject_of(q.subject.as_deref())?;
    let caller = caller(state, signed).await?;
    let a = assessment::assess(state, &caller, period).await?;
    let cards = a.cards(&caller, subject);
    Ok((period, subject, a, cards))
}

/// `GET /ui/assessment`: the scorecards of one kind of subject.
pub async fn page(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<CardQuery>,
) -> Result<Markup, PageError> {
    let (period, subject, a, cards) = load(&state, &signed, &q).await?;
    let items = a.rules.items(subject);
    let mut head: Vec<&str> = vec!["名称", "总分"];
    head.extend(items.iter().map(|i| i.metric.name_zh()));
    let rows: Vec<Vec<Markup>> = cards
        .iter()
        .map(|c| {
            let mut row = vec![
                html! { a.card-link href={ "/ui/assessment/" (subject.as_str()) "/" (c.id) "?period=" (period) } { (c.name) } },
                html! { strong { (trim(c.total)) } },
            ];
            row.extend(c.items.iter().map(|i| html! { (score_text(i.score)) }));
            row
        })
        .collect();
    let body = html! {
        h1 { "考核评分" }
        p.hint { (a.rules.name) "（第 " (a.rules.version) " 版） · " a href="/ui/assessment/rules" { "查看考核办法" } }
        (periods_nav(period, subject, "/ui/assessment"))
        nav.subjects {
            @for s in Subject::ALL {
                a href={ "/ui/assessment?period=" (period) "&subject=" (s.as_str()) } id={ "subject-" (s.as_str()) }
                    class=[(s == subject).then_some("active")] { (s.name_zh()) }
                " "
            }
            a #export-cards href={ "/ui/export/scorecards.csv?period=" (period) "&subject=" (subject.as_str()) } { "导出 CSV" }
        }
        @if cards.is_empty() {
            p.empty { "本范围内没有可考核的" (subject.name_zh()) "。" }
        } @else {
            (table("scorecards", &head, &rows))
            div.cards {
                div.card { (bars("chart-totals", "总分（满分 100）", &cards.iter().map(|c| (c.name.clone(), Some(c.total / 100.0))).collect::<Vec<_>>())) }
            }
        }
    };
    Ok(layout(&signed, "考核", "assessment", Head::default(), body))
}

fn record_link(subject: Subject, item: &ScoreItem, record: &str) -> Markup {
    let short = super::incidents::short_id(record);
    match item.metric {
        Metric::IncidentsReported
        | Metric::ReportsValid
        | Metric::AcceptanceRate
        | Metric::OnTimeCloseRate
        | Metric::ClosureRate
        | Metric::SatisfactionRate
        | Metric::VerifiedOnTime
        | Metric::Overdue
        | Metric::Returns
        | Metric::Urged => html! { a.record href={ "/ui/incidents/" (record) } { (short) } },
        Metric::HouseholdsUpdated | Metric::Visits => {
            html! { a.record href={ "/ui/households/" (record) } { (short) } }
        }
        Metric::WorkerScore if subject != Subject::Worker => {
            html! { a.record href={ "/ui/assessment/worker/" (record) } { (short) } }
        }
        _ => html! { span.record { (short) } },
    }
}

/// `GET /ui/assessment/{subject}/{id}`: one card, explained.
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((subject, id)): Path<(String, String)>,
    Query(q): Query<CardQuery>,
) -> Result<Markup, PageError> {
    render_detail(
        &state,
        &signed,
        &subject,
        &id,
        q.period.as_deref(),
        None,
        None,
    )
    .await
}

async fn render_detail(
    state: &AppState,
    signed: &SignedIn,
    subject: &str,
    id: &str,
    period: Option<&str>,
    notice: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let subject = Subject::parse(subject).ok_or_else(PageError::not_found)?;
    let period = period_of(period)?;
    let caller = caller(state, signed).await?;
    let a = assessment::assess(state, &caller, period).await?;
    let card = a.card(&caller, subject, id)?;
    let previous = assessment::assess(state, &caller, period.previous())
        .await
        .ok()
        .and_then(|p| p.card(&caller, subject, id).ok());
    let names = |staff: &str| {
        caller
            .tree
            .staff
            .iter()
            .find(|s| s.id == staff)
            .map_or_else(|| "（已不在组织架构中）".to_owned(), |s| s.name.clone())
    };
    let rows: Vec<Vec<Markup>> = card
        .items
        .iter()
        .map(|i| {
            vec![
                html! { (i.name) },
                html! { (value_text(i.metric, i.value)) @if let Some(of) = i.of { " (" (i.hits) "/" (of) ")" } },
                html! { (i.target.map_or("—".into(), |t| value_text(i.metric, Some(t)))) },
                html! { (trim(i.weight)) },
                html! { strong { (score_text(i.score)) } },
                html! { (i.explain) },
                html! {
                    details.records {
                        summary { (i.records.len()) " 条" }
                        @for r in &i.records { (record_link(subject, i, r)) " " }
                    }
                },
            ]
        })
        .collect();
    let ledger = if subject == Subject::Worker {
        Some(a.ledger(state, id).await?)
    } else {
        None
    };
    let body = html! {
        h1 #card-title { (card.name) " · " (subject.name_zh()) "考核" }
        (periods_nav(period, subject, &format!("/ui/assessment/{}/{}", subject.as_str(), id)))
        @if let Some(n) = notice { p.notice { (n) } }
        @if let Some(e) = error { p.error { (e) } }
        p.total {
            "总分 " strong #card-total { (trim(card.total)) }
            @if let Some(p) = &previous {
                " · 上期 " (trim(p.total)) " · "
                @let d = card.total - p.total;
                span #card-trend class=(if d >= 0.0 { "up" } else { "down" }) {
                    (if d >= 0.0 { "↑ " } else { "↓ " }) (trim(d.abs()))
                }
            }
            " · 依据 " (a.rules.name) "（第 " (card.rules_version) " 版）"
        }
        (table("card-items", &["考核项", "实际", "目标", "分值", "得分", "计算", "依据记录"], &rows))
        @if let Some(l) = &ledger {
            h2 { "积分（以奖代补）" }
            p #points-total { "本期积分 " strong { (trim(l.total)) } "（记录所得 " (trim(l.earned)) "，调整 " (trim(l.adjusted)) "）" }
            (table("points-entries", &["来源", "记录", "积分"], &l.entries.iter().map(|e| vec![
                html! { (e.metric.name_zh()) },
                html! { (super::incidents::short_id(&e.record)) },
                html! { (trim(e.points)) },
            ]).collect::<Vec<_>>()))
            h3 { "积分调整" }
            (table("points-adjustments", &["时间", "调整", "理由", "调整人"], &l.adjustments.iter().map(|adj| vec![
                html! { (time(adj.at)) },
                html! { (trim(adj.points)) },
                html! { (adj.reason) },
                html! { (names(&adj.by)) },
            ]).collect::<Vec<_>>()))
            form #adjust-points method="post" action={ "/ui/assessment/worker/" (id) "/points?period=" (period) } {
                (csrf_field(signed))
                label { "调整分值 " input type="number" name="points" step="0.5" min="-1000" max="1000" required; }
                label { "理由 " input type="text" name="reason" minlength="2" maxlength="200" required; }
                button { "调整积分" }
            }
        }
    };
    Ok(layout(signed, "考核", "assessment", Head::default(), body))
}

/// The adjustment form.
#[derive(Deserialize)]
pub struct AdjustForm {
    /// Points, e.g. `-2` or `5`.
    pub points: String,
    /// Why.
    pub reason: String,
}

/// `POST /ui/assessment/worker/{id}/points`.
pub async fn adjust(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
    CsrfForm { signed, form }: CsrfForm<AdjustForm>,
) -> Result<Markup, PageError> {
    let caller = caller(&state, &signed).await?;
    let Ok(points) = form.points.trim().parse::<f64>() else {
        return render_detail(
            &state,
            &signed,
            "worker",
            &id,
            q.period.as_deref(),
            None,
            Some("调整分值须为数字"),
        )
        .await;
    };
    match assessment::adjust_points(&state, &caller, &id, points, &form.reason).await {
        Ok(a) => {
            let notice = format!("已调整 {} 分", trim(a.points));
            render_detail(
                &state,
                &signed,
                "worker",
                &id,
                q.period.as_deref(),
                Some(&notice),
                None,
            )
            .await
        }
        Err(crate::service::ServiceError::Refused(why)) => {
            render_detail(
                &state,
                &signed,
                "worker",
                &id,
                q.period.as_deref(),
                None,
                Some(&why),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /ui/assessment/rules`: the rules in force.
pub async fn rules(State(state): State<AppState>, signed: SignedIn) -> Result<Markup, PageError> {
    let rules = assessment::rules(&state).await?;
    let body = html! {
        h1 { (rules.name) }
        p.hint { "第 " (rules.version) " 版。计数类目标按每 30 天计，随考核期天数折算；比率类目标不折算；扣分项每次扣分，设有上限。无可计数据的项目不计入，总分按适用项折算。" }
        @for set in &rules.sets {
            h2 { (set.subject.name_zh()) }
            (table(&format!("rules-{}", set.subject.as_str()), &["考核项", "分值", "目标", "上限"], &set.items.iter().map(|i| vec![
                html! { (i.metric.name_zh()) },
                html! { @if i.metric.kind() == fieldgrid_core::assessment::MetricKind::Deduction { "每次扣 " (trim(i.weight)) } @else { (trim(i.weight)) } },
                html! { (i.target.map_or("—".into(), |t| value_text(i.metric, Some(t)))) },
                html! { (i.cap.map_or("—".into(), trim)) },
            ]).collect::<Vec<_>>()))
        }
        h2 { "积分（以奖代补）" }
        (table("rules-points", &["来源", "每条积分"], &rules.points.iter().map(|p| vec![
            html! { (p.metric.name_zh()) },
            html! { (trim(p.points)) },
        ]).collect::<Vec<_>>()))
    };
    Ok(layout(
        &signed,
        "考核办法",
        "assessment",
        Head::default(),
        body,
    ))
}

/// The cards as CSV rows: Chinese headers, the subject's code column, then each
/// item's value and score.
pub(crate) fn csv_rows(
    a: &Assessment,
    subject: Subject,
    cards: &[Scorecard],
) -> (Vec<String>, Vec<Vec<String>>) {
    let items = a.rules.items(subject);
    let mut head = vec![
        "名称".to_owned(),
        "编码".to_owned(),
        "考核期".to_owned(),
        "总分".to_owned(),
    ];
    for i in items {
        head.push(format!("{}（实际）", i.metric.name_zh()));
        head.push(format!("{}（得分）", i.metric.name_zh()));
    }
    let rows = cards
        .iter()
        .map(|c| {
            let mut r = vec![
                c.name.clone(),
                c.id.clone(),
                c.period.to_string(),
                trim(c.total),
            ];
            for i in &c.items {
                r.push(i.value.map_or(String::new(), |v| {
                    if i.metric.is_rate() {
                        format!("{v:.4}")
                    } else {
                        trim(v)
                    }
                }));
                r.push(i.score.map_or(String::new(), trim));
            }
            r
        })
        .collect();
    (head, rows)
}

/// `GET /ui/export/scorecards.csv?period=&subject=`.
pub async fn csv(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(q): Query<CardQuery>,
) -> Result<Response, PageError> {
    let (period, subject, a, cards) = load(&state, &signed, &q).await?;
    let (head, rows) = csv_rows(&a, subject, &cards);
    let head: Vec<&str> = head.iter().map(String::as_str).collect();
    Ok(super::exports::csv(
        &format!("scorecards-{}-{period}.csv", subject.as_str()),
        &head,
        rows,
    ))
}
