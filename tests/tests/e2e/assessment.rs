//! Assessment over a simulated month: the county simulator's phones patrol, report,
//! update and visit households every day for 30 days, the command centre works
//! the loop; then the server's scorecards for a few grid workers and every
//! handling unit are checked against values computed here by hand from the raw
//! records (track chunks, incident documents, household documents), every
//! record a card names is checked to exist and to belong to its subject, and the
//! pages, the CSV, the points adjustment and the phone's own card agree.

use std::collections::BTreeMap;

use fieldgrid_core::assessment::{Metric, Period, PeriodKind, Scorecard, Subject};
use fieldgrid_core::incident::replay;
use fieldgrid_core::patrol::codec::decode_track;
use fieldgrid_core::protocol::MyScorecard;
use fieldgrid_core::records::{Incident, RecordKind};
use fieldgrid_core::{change_authors, read_record};
use fieldgrid_server::admin;
use fieldgrid_server::service::{Caller, assessment};
use fieldgrid_server::web::create_web_user;
use fieldgrid_tests::sim::{
    SimConfig, county, enrol, platform_unit, run, supervisor_of, worker_of,
};
use fieldgrid_tests::web::{client, form, sign_in};
use fieldgrid_tests::{Backend, TestServer};

const DAYS: u32 = 30;
const PATROL_MINUTES: u32 = 20;

fn item(card: &Scorecard, metric: Metric) -> &fieldgrid_core::assessment::ScoreItem {
    card.items.iter().find(|i| i.metric == metric).unwrap()
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_month_scores_as_computed_by_hand() {
    let server = TestServer::start(Backend::Sqlite).await;
    let cfg = SimConfig {
        towns: 1,
        villages: 2,
        grids: 2,
        workers_per_grid: 1,
        households: 3,
        phones: 4,
        incidents: 1,
        patrol_minutes: PATROL_MINUTES,
        fake_every: 4,
        offline_every: 0,
        seed: 11,
        days: DAYS,
    };
    let mut tree = county(&cfg);
    tree.version = 2;
    admin::publish(&server.state, &tree).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = run(&server.url, &server.admin_token, dir.path(), &cfg)
        .await
        .unwrap();
    assert_eq!(report.incidents, 4 * DAYS as usize, "{report}");
    let now = fieldgrid_core::time::now();
    // The quarter the month ends in; the days before it fall out, as they should.
    let period = Period::containing(PeriodKind::Quarter, now);
    let (from, to) = period.bounds();
    let town = tree
        .units
        .iter()
        .find(|u| u.level == fieldgrid_core::org::UnitLevel::Town)
        .unwrap()
        .code
        .clone();
    let centre = Caller::new(&server.state, &supervisor_of(&town), "test")
        .await
        .unwrap();
    let a = assessment::assess(&server.state, &centre, period)
        .await
        .unwrap();
    let workers: BTreeMap<String, Scorecard> = a
        .cards(&centre, Subject::Worker)
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();

    // Each patrol's brief is kept; the next assessment reads them instead of
    // decoding the tracks again, and scores the same.
    let counted = server
        .state
        .storage
        .patrol_chunk_counts(from * 1000, to * 1000)
        .await
        .unwrap();
    let ids: Vec<String> = counted.iter().map(|c| c.0.clone()).collect();
    let kept = server.state.storage.patrol_briefs(&ids).await.unwrap();
    assert_eq!(kept.len(), ids.len(), "every patrol's brief is kept");
    let again = assessment::assess(&server.state, &centre, period)
        .await
        .unwrap()
        .cards(&centre, Subject::Worker);
    assert_eq!(again.len(), workers.len());
    for a in &again {
        assert_eq!(a, &workers[&a.id], "{}", a.id);
    }

    // The raw records, read here without the assessment code.
    let grids: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
    let docs = server
        .state
        .storage
        .documents_page(&grids, "", 100_000)
        .await
        .unwrap();
    let incidents: Vec<(String, Incident)> = docs
        .iter()
        .filter(|d| d.kind == RecordKind::Incident)
        .map(|d| (d.doc_id.clone(), read_record(&d.doc_id, &d.data).unwrap()))
        .collect();
    let sim_days_in_period = (0..i64::from(DAYS))
        .filter(|d| period.contains(now - d * 86_400 - i64::from(PATROL_MINUTES) * 60 - 600))
        .count() as f64;
    let scale = f64::from(period.days()) / 30.0;

    for (k, grid) in tree.grids.iter().take(4).enumerate() {
        let w = worker_of(&grid.code);
        let card = &workers[&w];
        // Patrols: one a day, each PATROL_MINUTES long, from the decoded chunks.
        let mut hours = 0.0;
        let mut patrols = 0;
        for (patrol, worker) in server
            .state
            .storage
            .patrols_between(from * 1000, to * 1000)
            .await
            .unwrap()
        {
            if worker != w {
                continue;
            }
            let track =
                decode_track(&server.state.storage.track_chunks(&patrol).await.unwrap()).unwrap();
            let first = track.first().unwrap().fix.time_ms;
            if !period.contains(first / 1000) {
                continue;
            }
            patrols += 1;
            hours += (track.last().unwrap().fix.time_ms - first) as f64 / 3_600_000.0;
        }
        assert_eq!(patrols as f64, sim_days_in_period, "{w}");
        let measured = item(card, Metric::PatrolHours);
        assert!(
            close(measured.value.unwrap(), hours, hours * 0.02),
            "{w}: {measured:?} against {hours}"
        );
        assert_eq!(
            item(card, Metric::PatrolDays).value,
            Some(sim_days_in_period),
            "{w}"
        );
        // Hours score by hand: 20 points at 40 hours per 30 days.
        let expected = 20.0 * (measured.value.unwrap() / (40.0 * scale)).min(1.0);
        assert!(
            close(measured.score.unwrap(), expected, 0.01),
            "{w}: {measured:?}"
        );
        // The fourth phone fakes its track every day: 5 points off each, at most 20.
        let faked = item(card, Metric::FakedTracks);
        if k == 3 {
            assert_eq!(faked.hits as f64, sim_days_in_period, "{w}");
            assert_eq!(faked.score, Some(-(5.0 * sim_days_in_period).min(20.0)));
        } else {
            assert_eq!(faked.hits, 0, "{w}: {faked:?}");
        }
        // Reports: one a day; valid when the command centre accepted them.
        let mine: Vec<&(String, Incident)> = incidents
            .iter()
            .filter(|(_, i)| i.reporter_id == w && period.contains(i.reported_at))
            .collect();
        let valid = mine
            .iter()
            .filter(|(_, i)| replay(i).accepted_at.is_some())
            .count();
        assert_eq!(
            item(card, Metric::IncidentsReported).hits as usize,
            mine.len(),
            "{w}"
        );
        assert_eq!(item(card, Metric::ReportsValid).hits as usize, valid, "{w}");
        assert!(valid > 0, "{w}");
        // Households and persons: the three filled on the first day (and the
        // households updated on later days); a visit every later day.
        let mut households = 0;
        let mut persons = 0;
        let own = server
            .state
            .storage
            .documents_page(std::slice::from_ref(&grid.code), "", 100_000)
            .await
            .unwrap();
        for d in &own {
            let by_w = change_authors(&d.doc_id, &d.data)
                .unwrap()
                .into_iter()
                .any(|(u, t)| u == w && period.contains(t));
            match (d.kind, by_w) {
                (RecordKind::Household, true) => households += 1,
                (RecordKind::Person, true) => persons += 1,
                _ => {}
            }
        }
        assert_eq!((households, persons), (3, 3), "{w}");
        assert_eq!(item(card, Metric::HouseholdsUpdated).hits, 3, "{w}");
        assert_eq!(item(card, Metric::PersonsUpdated).hits, 3, "{w}");
        assert_eq!(item(card, Metric::Visits).hits, u64::from(DAYS - 1), "{w}");
        // The total by hand from the items (the worker set has no item without data).
        let earned: f64 = card.items.iter().filter_map(|i| i.score).sum();
        assert!(close(card.total, earned.max(0.0), 0.02), "{w}: {card:?}");
        // Every record named is the worker's own.
        for id in &item(card, Metric::ReportsValid).records {
            let (_, i) = incidents
                .iter()
                .find(|(d, _)| d == id)
                .expect("a stored incident");
            assert_eq!(i.reporter_id, w);
        }
        for id in &item(card, Metric::HouseholdsUpdated).records {
            let d = own
                .iter()
                .find(|d| &d.doc_id == id)
                .expect("a household of the grid");
            assert_eq!(d.kind, RecordKind::Household);
        }
        // Points by hand: 2 per valid report, 0.5 per household, 0.2 per person,
        // 1 per visit.
        let ledger = a.ledger(&server.state, &w).await.unwrap();
        let points = 2.0 * valid as f64 + 0.5 * 3.0 + 0.2 * 3.0 + f64::from(DAYS - 1);
        assert!(
            close(ledger.total, points, 0.001),
            "{w}: {} against {points}",
            ledger.total
        );
    }

    // The units: the cases each leads, replayed here.
    let units = a.cards(&centre, Subject::Unit);
    // The town's four platforms, and the county's departments (this county's only
    // town is the whole of their area, so its command centre sees them scored).
    assert_eq!(units.len(), 7, "{units:?}");
    for n in 0..4 {
        let code = platform_unit(&town, n);
        let card = units.iter().find(|c| c.id == code).unwrap();
        let led: Vec<(&String, fieldgrid_core::incident::WorkflowState)> = incidents
            .iter()
            .filter(|(_, i)| period.contains(i.reported_at))
            .map(|(id, i)| (id, replay(i)))
            .filter(|(_, s)| s.assignee.as_deref() == Some(code.as_str()))
            .collect();
        let accepted = led.iter().filter(|(_, s)| s.accepted_at.is_some()).count();
        let closed = led.iter().filter(|(_, s)| s.closed_at.is_some()).count();
        let answered: Vec<_> = led.iter().filter_map(|(_, s)| s.satisfaction).collect();
        let satisfied = answered.iter().filter(|a| a.is_satisfied()).count();
        let closure = item(card, Metric::ClosureRate);
        assert_eq!(
            (closure.hits as usize, closure.of),
            (closed, Some(accepted as u64)),
            "{code}"
        );
        let sat = item(card, Metric::SatisfactionRate);
        assert_eq!(
            (sat.hits as usize, sat.of),
            (satisfied, Some(answered.len() as u64)),
            "{code}"
        );
        assert!(closed > 0, "{code}: {led:?}");
        // Score by hand: 30 × min(rate ÷ 0.9, 1) for closure.
        let expected = 30.0 * (closed as f64 / accepted as f64 / 0.9).min(1.0);
        assert!(
            close(closure.score.unwrap(), expected, 0.01),
            "{code}: {closure:?}"
        );
        for id in &closure.records {
            assert!(
                led.iter().any(|(l, _)| *l == id),
                "{code}: {id} is not its case"
            );
        }
    }

    // The pages and the CSV say the same; the town's card ranks the workers.
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        &supervisor_of(&town),
    )
    .await
    .unwrap();
    let (cookie, csrf) = sign_in(&server.url, "sun", "correct horse").await;
    let base = server.url.clone();
    let get = |path: String| {
        let cookie = cookie.clone();
        let url = format!("{base}{path}");
        async move {
            let r = client()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let w0 = worker_of(&tree.grids[0].code);
    let name = tree.staff.iter().find(|s| s.id == w0).unwrap().name.clone();
    let (status, page) = get(format!("/ui/assessment?period={period}&subject=worker")).await;
    assert_eq!(status, 200);
    assert!(page.contains(&name) && page.contains("巡查时长"), "{page}");
    let (_, csv) = get(format!(
        "/ui/export/scorecards.csv?period={period}&subject=worker"
    ))
    .await;
    let row = csv
        .lines()
        .find(|l| l.contains(&format!("\"{w0}\"")))
        .expect("the worker's row");
    let cells: Vec<&str> = row.split(',').map(|c| c.trim_matches('"')).collect();
    assert_eq!(cells[0], name);
    assert_eq!(cells[3].parse::<f64>().unwrap(), workers[&w0].total);
    assert!(
        csv.starts_with("\u{feff}\"名称\",\"编码\",\"考核期\",\"总分\""),
        "{csv}"
    );
    let (status, detail) = get(format!("/ui/assessment/worker/{w0}?period={period}")).await;
    assert_eq!(status, 200);
    let first_valid = &item(&workers[&w0], Metric::ReportsValid).records[0];
    assert!(
        detail.contains(&format!("/ui/incidents/{first_valid}")),
        "the card links its records"
    );
    // An adjustment with a reason is kept, attributed; one without is refused.
    let post = |body: String| {
        let cookie = cookie.clone();
        let url = format!("{base}/ui/assessment/worker/{w0}/points?period={period}");
        async move {
            client()
                .post(url)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let refused = post(form(&[("csrf", &csrf), ("points", "5"), ("reason", "")])).await;
    assert!(refused.contains("请填写调整理由"), "{refused}");
    let done = post(form(&[
        ("csrf", &csrf),
        ("points", "-2.5"),
        ("reason", "重复上报一条"),
    ]))
    .await;
    assert!(
        done.contains("已调整 -2.5 分") && done.contains("重复上报一条"),
        "{done}"
    );
    let ledger = assessment::assess(&server.state, &centre, period)
        .await
        .unwrap()
        .ledger(&server.state, &w0)
        .await
        .unwrap();
    assert_eq!(ledger.adjusted, -2.5);
    assert_eq!(ledger.adjustments[0].by, supervisor_of(&town));

    // The quarter's report grouped by grid: the page, the CSV and the workbook
    // agree with counts made here from the raw incident documents.
    let by_grid = |grid: &str| -> (usize, usize) {
        let mine: Vec<&Incident> = incidents
            .iter()
            .map(|(_, i)| i)
            .filter(|i| i.grid_code == grid && period.contains(i.reported_at))
            .collect();
        let closed = mine
            .iter()
            .filter(|i| replay(i).closed_at.is_some())
            .count();
        (mine.len(), closed)
    };
    let (status, report) = get(format!("/ui/reports?period={period}&by=grid")).await;
    assert_eq!(status, 200);
    assert!(
        report.contains("季报") && report.contains("按网格") && report.contains("超期未办结"),
        "{report}"
    );
    let r = client()
        .get(format!(
            "{base}/ui/export/report.xlsx?period={period}&by=grid"
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["汇总", "分组", "渠道", "类别", "超期清单", "趋势"]
    );
    let groups = book.worksheet_range("分组").unwrap();
    let head: Vec<String> = groups
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(&head[..4], ["名称", "编码", "考核期", "受理量"]);
    let mut checked = 0;
    for row in groups.rows().skip(1) {
        let code = row[1].to_string();
        let (received, closed) = by_grid(&code);
        assert_eq!(row[3], Data::Float(received as f64), "{code}");
        assert_eq!(row[6], Data::Float(closed as f64), "{code}");
        let name = &tree.grids.iter().find(|g| g.code == code).unwrap().name;
        assert_eq!(&row[0].to_string(), name);
        checked += 1;
    }
    assert_eq!(checked, 4, "every grid has a row");
    let trend = book.worksheet_range("趋势").unwrap();
    assert_eq!(
        trend.rows().count(),
        1 + fieldgrid_core::assessment::TREND_PERIODS
    );
    let (_, report_csv) = get(format!("/ui/export/report.csv?period={period}&by=grid")).await;
    assert!(
        report_csv.starts_with("\u{feff}\"名称\",\"编码\""),
        "{report_csv}"
    );
    assert_eq!(report_csv.lines().count(), 5);

    // The worker's phone fetches its own card and keeps it for offline reading.
    let phone = enrol(&server.url, &server.admin_token, dir.path(), &w0, 400)
        .await
        .unwrap();
    let mine: MyScorecard = phone
        .client
        .my_scorecard(&phone.store, &period)
        .await
        .unwrap();
    assert_eq!(mine.scorecard.total, workers[&w0].total);
    assert_eq!(mine.points.total, ledger.total);
    assert_eq!(
        phone.store.cached_scorecard(&period.to_string()).unwrap(),
        Some(mine)
    );
}
