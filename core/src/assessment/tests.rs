use std::collections::BTreeSet;

use super::*;
use crate::incident::{Action, default_catalogue, replay};
use crate::kind::ReferenceData;
use crate::records::{Incident, IncidentTransition, RecordKind, Satisfaction};
use crate::time::day_start;

#[test]
fn periods_read_write_and_bound() {
    for (code, kind, days, label) in [
        ("2026-11-29", PeriodKind::Day, 1, "2026年11月29日"),
        (
            "2026-W48",
            PeriodKind::Week,
            7,
            "2026年第48周（11月23日—11月29日）",
        ),
        ("2026-11", PeriodKind::Month, 30, "2026年11月"),
        ("2026-Q4", PeriodKind::Quarter, 92, "2026年第四季度"),
        ("2024-02", PeriodKind::Month, 29, "2024年2月"),
    ] {
        let p = Period::parse(code).unwrap();
        assert_eq!(
            (p.kind(), p.days(), p.label_zh()),
            (kind, days, label.into())
        );
        assert_eq!(p.to_string(), code);
        assert_eq!(Period::parse(&p.previous().next().to_string()).unwrap(), p);
    }
    let nov = Period::parse("2026-11").unwrap();
    assert_eq!(nov.bounds().0, day_start("2026-11-01").unwrap());
    assert_eq!(nov.bounds().1, day_start("2026-12-01").unwrap());
    assert_eq!(nov.previous().to_string(), "2026-10");
    assert_eq!(
        Period::parse("2026-Q1").unwrap().previous().to_string(),
        "2025-Q4"
    );
    assert_eq!(
        Period::parse("2026-W01").unwrap().previous().to_string(),
        "2025-W52"
    );
    assert_eq!(nov.year_before().to_string(), "2025-11");
    // 2026-11-29 is a Sunday: its week began on Monday the 23rd.
    let sunday = day_start("2026-11-29").unwrap() + 3_600;
    assert_eq!(
        Period::containing(PeriodKind::Week, sunday).to_string(),
        "2026-W48"
    );
    assert_eq!(
        Period::containing(PeriodKind::Quarter, sunday).to_string(),
        "2026-Q4"
    );
    for bad in [
        "",
        "2026",
        "2026-13",
        "2026-Q5",
        "2026-W54",
        "2026-11-31",
        "26-11",
        "2026-1",
        "<b>",
    ] {
        let e = Period::parse(bad).unwrap_err().to_string();
        assert!(e.contains("is not a period"), "{bad}: {e}");
    }
}

#[test]
fn shipped_rules_are_valid_and_bad_rules_say_what_is_wrong() {
    let rules = default_rules();
    assert_eq!(rules.problems(), Vec::<String>::new());
    let worker: f64 = rules
        .items(Subject::Worker)
        .iter()
        .filter(|i| i.metric.kind() != MetricKind::Deduction)
        .map(|i| i.weight)
        .sum();
    assert_eq!(worker, 100.0);
    let mut bad = rules.clone();
    bad.version = 0;
    bad.sets[0].items.push(RuleItem {
        metric: Metric::Returns,
        weight: -1.0,
        target: None,
        cap: Some(f64::NAN),
    });
    let first = bad.sets[0].items[0].clone();
    bad.sets[0].items.push(first);
    bad.sets[1].items[1].target = Some(1.5);
    bad.points.push(PointRule {
        metric: Metric::Coverage,
        points: 1.0,
    });
    let problems = bad.problems().join("\n");
    for expected in [
        "version must be at least 1",
        "worker: item returns cannot be measured for a worker",
        "worker: item returns needs a weight above 0",
        "worker: item returns needs a cap above 0",
        "worker: item patrol_hours appears twice",
        "grid: item coverage is a rate; its target is at most 1",
        "points: coverage is not a count",
    ] {
        assert!(
            problems.contains(expected),
            "{expected} missing from:\n{problems}"
        );
    }
}

fn case(reporter: &str, grid: &str, at: i64, steps: &[(Action, i64, Option<&str>)]) -> Incident {
    let mut i = Incident {
        grid_code: grid.into(),
        category: "urban.street.stalls".into(),
        reporter_id: reporter.into(),
        reported_at: at,
        ..crate::incident::tests::incident()
    };
    for (action, when, unit) in steps {
        let from = replay(&i).stage.as_str().to_owned();
        i.transitions.push(IncidentTransition {
            from,
            by: match action {
                Action::StartHandling | Action::Finish | Action::Return => "handler",
                Action::Verify => "inspector",
                _ => "centre",
            }
            .into(),
            role: match action {
                Action::StartHandling | Action::Finish | Action::Return => "department_handler",
                Action::Verify => "inspector",
                _ => "town_supervisor",
            }
            .into(),
            at: *when,
            to: action.as_str().into(),
            assignee: unit.map(str::to_owned),
            note: "按规定办理".into(),
            answer: (*action == Action::Assess).then_some(Satisfaction::Satisfied),
            ..IncidentTransition::default()
        });
    }
    i
}

#[test]
fn a_worker_and_a_unit_score_by_hand() {
    let period = Period::parse("2026-11").unwrap();
    let (from, to) = period.bounds();
    let day = |d: i64| from + d * 86_400 + 9 * 3_600;
    let w = "worker-1";
    let mut activity = Activity::default();
    // 10 patrols of 3 hours on 8 different days, coverage 0.6 each; one flagged.
    for n in 0..10 {
        activity.patrols.push(PatrolBrief {
            id: format!("p{n}"),
            worker: w.into(),
            grid: "g1".into(),
            started_at: day((n % 8) + 1),
            hours: 3.0,
            coverage: Some(0.6),
            flagged: n == 9,
        });
    }
    // Another worker's patrol and one outside the month do not count.
    activity.patrols.push(PatrolBrief {
        id: "other".into(),
        worker: "worker-2".into(),
        grid: "g1".into(),
        started_at: day(3),
        hours: 9.0,
        coverage: None,
        flagged: false,
    });
    activity.patrols.push(PatrolBrief {
        id: "october".into(),
        worker: w.into(),
        grid: "g1".into(),
        started_at: from - 3_600,
        hours: 9.0,
        coverage: None,
        flagged: false,
    });
    for n in 0..15 {
        activity.edits.push(RecordEdit {
            record: format!("h{n}"),
            kind: RecordKind::Household,
            grid: "g1".into(),
            by: w.into(),
        });
    }
    activity.visits.push(VisitBrief {
        household: "h1".into(),
        grid: "g1".into(),
        by: w.into(),
        at: day(2),
    });
    // Reported by the worker: two accepted (one closed on time by 平台A), one not.
    let cases = [
        case(
            w,
            "g1",
            day(1),
            &[
                (Action::Accept, day(1), None),
                (Action::Dispatch, day(1) + 60, Some("unit-a")),
                (Action::StartHandling, day(1) + 90, None),
                (Action::Finish, day(2), None),
                (Action::Verify, day(2) + 600, None),
                (Action::Close, day(2) + 900, None),
                (Action::Assess, day(3), None),
            ],
        ),
        case(
            w,
            "g1",
            day(4),
            &[
                (Action::Accept, day(4), None),
                (Action::Dispatch, day(4) + 60, Some("unit-a")),
                (Action::Return, day(4) + 120, None),
            ],
        ),
        case(w, "g1", day(5), &[]),
    ];
    for (n, c) in cases.into_iter().enumerate() {
        let s = replay(&c);
        activity
            .incidents
            .push(CaseRow::of(&format!("i{n}"), &c, &s));
    }
    let catalogue = default_catalogue();
    let now = to + 86_400 * 10;
    let m = measure(Who::Worker(w), &activity, &catalogue, (from, to), now);
    let v = |metric| m[&metric].value.map(|x| (x * 1e6).round() / 1e6);
    assert_eq!(v(Metric::PatrolHours), Some(30.0));
    assert_eq!(v(Metric::PatrolDays), Some(8.0));
    assert_eq!(v(Metric::Coverage), Some(0.6));
    assert_eq!(v(Metric::FakedTracks), Some(1.0));
    assert_eq!(v(Metric::IncidentsReported), Some(3.0));
    assert_eq!(v(Metric::ReportsValid), Some(2.0));
    assert_eq!(m[&Metric::ReportsValid].records, vec!["i0", "i1"]);
    assert_eq!(v(Metric::HouseholdsUpdated), Some(15.0));
    assert_eq!(v(Metric::PersonsUpdated), Some(0.0));
    assert_eq!(v(Metric::Visits), Some(1.0));
    let rules = default_rules();
    let card = score(&rules, Subject::Worker, (w, "张三"), period, &m);
    // By hand, November has 30 days so targets are as written:
    // hours 30/40×20 = 15; days 8/20×10 = 4; coverage 0.6/0.8×10 = 7.5;
    // reported 3/10×10 = 3; valid 2/8×15 = 3.75; households 15/30×10 = 5;
    // persons 0; visits 1/20×15 = 0.75; one faked track −5.
    let scores: Vec<Option<f64>> = card.items.iter().map(|i| i.score).collect();
    assert_eq!(
        scores,
        [15.0, 4.0, 7.5, 3.0, 3.75, 5.0, 0.0, 0.75, -5.0]
            .map(Some)
            .to_vec()
    );
    assert_eq!(card.total, 34.0);
    assert!(
        card.items[0]
            .explain
            .contains("实际 30小时 ÷ 目标 40小时 × 20 分 = 15 分"),
        "{}",
        card.items[0].explain
    );
    // Points: 2 valid × 2 + 15 households × 0.5 + 1 visit × 1 = 12.5, plus −2.
    let ledger = points_ledger(
        &rules,
        w,
        period,
        &m,
        vec![PointAdjustment {
            staff: w.into(),
            at: day(6),
            points: -2.0,
            reason: "信息重复".into(),
            by: "supervisor".into(),
        }],
    );
    assert_eq!(
        (ledger.earned, ledger.adjusted, ledger.total),
        (12.5, -2.0, 10.5)
    );
    assert_eq!(ledger.entries.len(), 2 + 15 + 1);

    // The unit led two cases: one closed on time and satisfied, one it sent back
    // (returned to the centre, so no longer its case).
    let u = measure(Who::Unit("unit-a"), &activity, &catalogue, (from, to), now);
    assert_eq!(u[&Metric::OnTimeCloseRate].value, Some(1.0));
    assert_eq!(u[&Metric::ClosureRate].value, Some(1.0));
    assert_eq!(u[&Metric::SatisfactionRate].value, Some(1.0));
    assert_eq!(
        u[&Metric::Returns].records,
        Vec::<String>::new(),
        "the returned case's lead is no longer unit-a"
    );
    let card = score(&rules, Subject::Unit, ("unit-a", "平台A"), period, &u);
    assert_eq!(card.total, 100.0);

    // The grid: its three cases and its two workers.
    let grids: BTreeSet<String> = ["g1".to_owned()].into();
    let workers = vec![(w.to_owned(), 34.0), ("worker-2".to_owned(), 56.0)];
    let g = measure(
        Who::Area {
            grids: &grids,
            workers: &workers,
        },
        &activity,
        &catalogue,
        (from, to),
        now,
    );
    assert_eq!(g[&Metric::AcceptanceRate].hits, 2);
    assert_eq!(g[&Metric::AcceptanceRate].of, Some(3));
    assert_eq!(g[&Metric::AcceptanceRate].records, vec!["i0", "i1", "i2"]);
    assert_eq!(g[&Metric::WorkerScore].value, Some(45.0));
    assert_eq!(g[&Metric::VerifiedOnTime].value, Some(1.0));
    assert_eq!(g[&Metric::PatrolHours].value, Some(39.0));
    // Overdue now: the case never accepted is past its dispatch deadline, and the
    // returned case is back with the centre, also past it.
    assert_eq!(g[&Metric::Overdue].hits, 2);
}

#[test]
fn items_with_nothing_to_measure_do_not_count_and_the_total_scales() {
    let rules = default_rules();
    let period = Period::parse("2026-W48").unwrap();
    let mut m = std::collections::BTreeMap::new();
    m.insert(
        Metric::OnTimeCloseRate,
        Measure {
            value: Some(0.95),
            hits: 19,
            of: Some(20),
            records: vec![],
        },
    );
    // Closure and satisfaction have no cases: only on-time closing counts, and
    // its full 40 points scale to the 100 the three items are worth.
    let card = score(&rules, Subject::Unit, ("u", "单位"), period, &m);
    assert_eq!(card.items[0].score, Some(40.0));
    assert_eq!(card.items[1].score, None);
    assert!(card.items[1].explain.contains("不计入"));
    assert_eq!(card.total, 100.0);
    // A week's count target is 7/30 of the monthly one.
    let mut w = std::collections::BTreeMap::new();
    w.insert(
        Metric::PatrolHours,
        Measure {
            value: Some(7.0),
            hits: 3,
            of: None,
            records: vec![],
        },
    );
    let card = score(&rules, Subject::Worker, ("w", "网格员"), period, &w);
    assert_eq!(card.items[0].target, Some(9.33));
    assert_eq!(card.items[0].score, Some(15.0));
}

#[test]
fn a_monthly_report_groups_counts_and_compares_by_hand() {
    use crate::incident::Stage;
    use crate::records::{Channel, Urgency};
    let period = Period::parse("2026-11").unwrap();
    let (from, _) = period.bounds();
    let (oct, _) = period.previous().bounds();
    let row = |id: &str, grid: &str, category: &str, at: i64, stage: Stage, closed: Option<i64>| {
        CaseRow {
            id: id.into(),
            grid: grid.into(),
            category: category.into(),
            channel: if id.starts_with('h') {
                Channel::Hotline
            } else {
                Channel::GridWorker
            },
            urgency: Urgency::Normal,
            reported_at: at,
            stage,
            assignee: Some("unit-a".into()),
            dispatched_at: Some(at + 3_600),
            closed_at: closed,
            answer: closed.map(|_| Satisfaction::Satisfied),
            reporter: "w1".into(),
            accepted_at: (!matches!(stage, Stage::Reported | Stage::Rejected)).then_some(at + 600),
            urged_units: Vec::new(),
            returned_by: Vec::new(),
            verified_on_time: None,
        }
    };
    let rows = vec![
        // November: four cases, one waiting, two closed (one late), one open long.
        row(
            "w1",
            "g1",
            "urban.street.stalls",
            from + 86_400,
            Stage::Closed,
            Some(from + 2 * 86_400),
        ),
        row(
            "w2",
            "g1",
            "urban.street.stalls",
            from + 86_400,
            Stage::Closed,
            Some(from + 20 * 86_400),
        ),
        row(
            "h1",
            "g2",
            "dispute.neighbour.noise",
            from + 2 * 86_400,
            Stage::Handling,
            None,
        ),
        row(
            "w3",
            "g2",
            "fire.passage.blocked",
            from + 3 * 86_400,
            Stage::Reported,
            None,
        ),
        // October: one case, closed on time.
        row(
            "w0",
            "g1",
            "urban.street.stalls",
            oct + 86_400,
            Stage::Closed,
            Some(oct + 2 * 86_400),
        ),
    ];
    let catalogue = crate::incident::default_catalogue();
    let now = from + 25 * 86_400;
    let r = period_report(
        &rows,
        period,
        GroupBy::Grid,
        |c| Some((c.grid.clone(), format!("网格{}", &c.grid[1..]))),
        &catalogue,
        now,
    );
    assert_eq!(
        (r.totals.received, r.totals.accepted, r.totals.closed),
        (4, 3, 2)
    );
    assert_eq!(r.totals.acceptance_rate, Some(0.75));
    assert_eq!(r.totals.on_time_close_rate, Some(0.5));
    assert_eq!(r.totals.closure_rate, Some(2.0 / 3.0));
    assert_eq!(r.totals.satisfaction_rate, Some(1.0));
    assert_eq!(r.previous_totals.received, 1);
    assert_eq!(r.previous.to_string(), "2026-10");
    // Overdue now: the case being handled for 23 days and the one never accepted.
    let overdue: Vec<&str> = r.overdue.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(overdue, ["h1", "w3"]);
    assert_eq!(r.groups.len(), 2);
    assert_eq!(
        (
            r.groups[0].key.as_str(),
            r.groups[0].now.received,
            r.groups[0].before.received
        ),
        ("g1", 2, 1)
    );
    let hotline = r.channels.iter().find(|c| c.key == "hotline").unwrap();
    assert_eq!(
        (hotline.name.as_str(), hotline.now, hotline.before),
        ("12345热线", 1, 0)
    );
    assert_eq!(
        r.categories[0].now, 2,
        "the most reported category first: {:?}",
        r.categories
    );
    assert_eq!(r.trend.len(), TREND_PERIODS);
    assert_eq!(r.trend.last().unwrap().0, period);
    assert_eq!(r.trend[TREND_PERIODS - 2].1.received, 1);
    assert_eq!(
        rows_from(period),
        Period::parse("2026-06").unwrap().bounds().0
    );
}
