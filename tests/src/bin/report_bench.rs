//! The periodic-report benchmark. A year of a county's cases (1,500 grids in 50
//! towns, 120,000 incidents by default, each with the steps of its loop) is
//! written into a store like the pages' replica; then a town's monthly report and
//! the county's quarterly report are built as the pages build them: the query
//! rows of the caller's area, the report with its groups, channels, categories,
//! overdue list and six-period trend, and the XLSX workbook. Prints medians of
//! several runs and the counts on both sides (generated against reported).
//!
//! `cargo run --release -p fieldgrid-tests --bin report-bench [INCIDENTS]`

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fieldgrid_core::FieldStore;
use fieldgrid_core::assessment::{GroupBy, Period, PeriodKind, period_report, rows_from};
use fieldgrid_core::incident::{Action, default_catalogue};
use fieldgrid_core::org::UnitLevel;
use fieldgrid_core::records::{Channel, Incident, IncidentTransition, Satisfaction, Urgency};
use fieldgrid_server::report_sheet::workbook;
use fieldgrid_server::service::reports::Grouper;
use fieldgrid_tests::sim::{SimConfig, county, platform_unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const RUNS: usize = 7;
const CATEGORIES: [&str; 6] = [
    "urban.street.stalls",
    "fire.passage.blocked",
    "dispute.neighbour.noise",
    "service.infrastructure.road",
    "urban.street.stalls",
    "dispute.neighbour",
];

fn step(action: Action, by: &str, role: &str, at: i64) -> IncidentTransition {
    IncidentTransition {
        by: by.into(),
        role: role.into(),
        at,
        to: action.as_str().into(),
        note: "按规定办理".into(),
        ..IncidentTransition::default()
    }
}

/// One case through as much of the loop as `depth` says (0: waiting for
/// acceptance … 4: closed and called back).
fn case(grid: &str, town: &str, at: i64, depth: u32, n: usize, rng: &mut StdRng) -> Incident {
    let mut i = Incident {
        grid_code: grid.into(),
        category: CATEGORIES[n % CATEGORIES.len()].into(),
        description: "巡查发现，现场拍照上报".into(),
        location: None,
        reporter_id: format!("worker-{grid}"),
        reported_at: at,
        urgency: Urgency::Normal,
        transitions: Vec::new(),
        resident_id: None,
        satisfaction: None,
        photos: Vec::new(),
        channel: [
            Channel::GridWorker,
            Channel::GridWorker,
            Channel::Hotline,
            Channel::PublicPage,
        ][n % 4],
        contact: None,
        address: None,
        ticket: None,
    };
    let mut t = at + rng.random_range(600..7_200);
    let mut push = |i: &mut Incident, mut s: IncidentTransition, from: &str, gap: i64| {
        s.from = from.into();
        s.at = t;
        t += gap;
        i.transitions.push(s);
    };
    if depth == 0 {
        return i;
    }
    push(
        &mut i,
        step(Action::Accept, "centre", "town_supervisor", 0),
        "reported",
        600,
    );
    let mut d = step(Action::Dispatch, "centre", "town_supervisor", 0);
    d.assignee = Some(platform_unit(town, n % 4));
    push(&mut i, d, "accepted", rng.random_range(3_600..86_400));
    if depth == 1 {
        return i;
    }
    push(
        &mut i,
        step(Action::StartHandling, "handler", "department_handler", 0),
        "dispatched",
        rng.random_range(3_600..3 * 86_400),
    );
    if depth == 2 {
        return i;
    }
    push(
        &mut i,
        step(Action::Finish, "handler", "department_handler", 0),
        "handling",
        rng.random_range(3_600..40_000),
    );
    push(
        &mut i,
        step(Action::Verify, "inspector", "inspector", 0),
        "handled",
        3_600,
    );
    push(
        &mut i,
        step(Action::Close, "centre", "town_supervisor", 0),
        "verified",
        86_400,
    );
    let mut a = step(Action::Assess, "centre", "town_supervisor", 0);
    a.answer = Some(
        [
            Satisfaction::Satisfied,
            Satisfaction::Basic,
            Satisfaction::Satisfied,
            Satisfaction::Unsatisfied,
        ][n % 4],
    );
    push(&mut i, a, "closed", 0);
    i
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let total: usize = std::env::args().nth(1).map_or(Ok(120_000), |a| a.parse())?;
    let cfg = SimConfig {
        towns: 50,
        villages: 3,
        grids: 10,
        ..SimConfig::default()
    };
    let mut tree = county(&cfg);
    tree.version = 2;
    let dir = tempfile::tempdir()?;
    let store = FieldStore::open(dir.path().join("replica.sqlite"))?;
    store.import_org_tree(&tree)?;
    store.sign_in("report-bench");
    let catalogue = std::sync::Arc::new(default_catalogue());
    let now = fieldgrid_core::time::now();
    let year_start = now - 365 * 86_400;
    let town_of = |grid: &str| format!("{}000", &grid[..9]);
    let mut rng = StdRng::seed_from_u64(2026);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(2_000);
    let mut reported_at = Vec::with_capacity(total);
    for n in 0..total {
        let grid = &tree.grids[rng.random_range(0..tree.grids.len())];
        let at = year_start + rng.random_range(0..365 * 86_400);
        // Older cases are further along; the last weeks' are still open.
        let age_days = (now - at) / 86_400;
        let depth = if age_days > 14 {
            [4, 4, 4, 4, 4, 4, 4, 4, 2, 1][n % 10]
        } else {
            [0, 1, 2, 3, 4][n % 5]
        };
        batch.push(case(
            &grid.code,
            &town_of(&grid.code),
            at,
            depth,
            n,
            &mut rng,
        ));
        reported_at.push((grid.code.clone(), at));
        if batch.len() == 2_000 {
            store.create_batch(&batch)?;
            batch.clear();
        }
    }
    store.create_batch(&batch)?;
    let generated_s = started.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(dir.path().join("replica.sqlite"))?.len() as f64 / 1e6;

    let last_month = Period::containing(PeriodKind::Month, now).previous();
    let last_quarter = Period::containing(PeriodKind::Quarter, now).previous();
    let town = tree
        .units
        .iter()
        .find(|u| u.level == UnitLevel::Town)
        .ok_or("no town")?
        .code
        .clone();
    let town_grids: BTreeSet<String> = tree
        .grids
        .iter()
        .filter(|g| town_of(&g.code) == town)
        .map(|g| g.code.clone())
        .collect();
    let names = |c: &fieldgrid_core::assessment::CaseRow| {
        [
            catalogue.display_path(&c.category),
            c.grid.clone(),
            c.assignee.clone().unwrap_or_default(),
            c.reported_at.to_string(),
        ]
    };
    println!(
        "| report | cases in period (generated / reported) | rows read | groups | overdue | xlsx KB | median ms (rows) | median ms (report) | median ms (xlsx) | median ms (total) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (label, period, by, area) in [
        (
            "town monthly",
            last_month,
            GroupBy::Village,
            Some(&town_grids),
        ),
        ("county quarterly", last_quarter, GroupBy::Town, None),
    ] {
        let sees = |g: &str| area.is_none_or(|a| a.contains(g));
        let expected = reported_at
            .iter()
            .filter(|(g, at)| sees(g) && period.contains(*at))
            .count();
        let (mut t_rows, mut t_report, mut t_xlsx, mut t_total) = (vec![], vec![], vec![], vec![]);
        let mut last = None;
        for _ in 0..RUNS {
            let t0 = Instant::now();
            let rows = store.case_rows(sees, (rows_from(period), period.bounds().1))?;
            let t1 = Instant::now();
            let grouper = Grouper::new(&tree, catalogue.clone(), by);
            let report = period_report(&rows, period, by, |r| grouper.group(r), &catalogue, now);
            let t2 = Instant::now();
            let xlsx = workbook(&report, &names)?;
            let t3 = Instant::now();
            t_rows.push(t1 - t0);
            t_report.push(t2 - t1);
            t_xlsx.push(t3 - t2);
            t_total.push(t3 - t0);
            last = Some((rows.len(), report, xlsx.len()));
        }
        let (rows, report, xlsx) = last.ok_or("no run")?;
        assert_eq!(
            report.totals.received as usize, expected,
            "{label}: every case of the period is in the report"
        );
        let grouped: u64 = report.groups.iter().map(|g| g.now.received).sum();
        assert_eq!(grouped as usize, expected, "{label}: the groups add up");
        println!(
            "| {label} {} | {expected} / {} | {rows} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} |",
            period,
            report.totals.received,
            report.groups.len(),
            report.overdue.len(),
            xlsx as f64 / 1024.0,
            median(t_rows),
            median(t_report),
            median(t_xlsx),
            median(t_total),
        );
    }
    println!(
        "\n{total} incidents over a year in {} grids, written in {generated_s:.0} s; store {file_mb:.0} MB; {RUNS} runs each, medians.",
        tree.grids.len()
    );
    Ok(())
}
