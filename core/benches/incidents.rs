//! Incident benchmark: replaying an incident with 50 transitions; listing the
//! overdue incidents among 50,000; the statistics of a town over a year (50,000
//! incidents).
//!
//! `cargo bench -p fieldgrid-core --bench incidents`

use std::hint::black_box;
use std::time::Instant;

use fieldgrid_core::incident::{Colour, DayCount, colour, default_catalogue, replay, statistics};
use fieldgrid_core::records::{Incident, IncidentTransition, Satisfaction};

const YEAR_START: i64 = 1_767_196_800; // 2026-01-01 00:00 China time
const DAY: i64 = 86_400;

fn step(i: &mut Incident, role: &str, at: i64, from: &str, to: &str, assignee: Option<&str>) {
    i.transitions.push(IncidentTransition {
        by: format!("{role}-1"),
        role: role.into(),
        at,
        from: from.into(),
        to: to.into(),
        note: "处理说明".into(),
        assignee: assignee.map(str::to_owned),
        ..IncidentTransition::default()
    });
}

/// A year of a town's incidents: most run the whole loop, some stop midway.
fn town_year(n: usize) -> Vec<Incident> {
    let categories = [
        "dispute.neighbour.noise",
        "fire.passage.blocked",
        "urban.street.stalls",
        "market.food_safety.expired",
        "service.infrastructure.road",
    ];
    (0..n)
        .map(|k| {
            let at = YEAR_START + (k as i64 * 631) % (365 * DAY);
            let mut i = Incident {
                grid_code: format!("320722104{:03}{:03}", 201 + k % 8, 1 + k % 3),
                category: categories[k % categories.len()].into(),
                description: "事件".into(),
                location: None,
                reporter_id: "worker".into(),
                reported_at: at,
                urgency: Default::default(),
                transitions: vec![],
                resident_id: None,
                satisfaction: None,
                photos: Vec::new(),
                channel: Default::default(),
                contact: None,
                address: None,
                ticket: None,
            };
            let stop = k % 10; // how far along the loop this one got
            let mut t = at + 3600;
            let moves = [
                ("town_supervisor", "reported", "accepted"),
                ("town_supervisor", "accepted", "dispatched"),
                ("department_handler", "dispatched", "handling"),
                ("department_handler", "handling", "handled"),
                ("inspector", "handled", "verified"),
                ("town_supervisor", "verified", "closed"),
            ];
            for (n, (role, from, to)) in moves.iter().enumerate() {
                if n >= 2 + stop {
                    break;
                }
                let assignee = (*to == "dispatched")
                    .then_some(["综治工作", "市场监管", "综合执法", "便民服务"][k % 4]);
                step(&mut i, role, t, from, to, assignee);
                t += (k as i64 % 5 + 1) * 7200;
            }
            if stop >= 4 && k % 3 != 0 {
                i.satisfaction = Some(if k % 7 == 0 {
                    Satisfaction::Unsatisfied
                } else {
                    Satisfaction::Satisfied
                });
            }
            i
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let cat = default_catalogue();
    // An incident with 50 transitions: dispatched, returned, re-dispatched… then closed.
    let mut long = town_year(1).remove(0);
    long.transitions.clear();
    step(
        &mut long,
        "town_supervisor",
        YEAR_START + 60,
        "reported",
        "accepted",
        None,
    );
    for r in 0..23 {
        let at = YEAR_START + 120 + r * 120;
        step(
            &mut long,
            "town_supervisor",
            at,
            "accepted",
            "dispatched",
            Some("综合执法"),
        );
        step(
            &mut long,
            "department_handler",
            at + 60,
            "dispatched",
            "returned",
            None,
        );
    }
    step(
        &mut long,
        "town_supervisor",
        YEAR_START + 9000,
        "accepted",
        "dispatched",
        Some("综合执法"),
    );
    step(
        &mut long,
        "department_handler",
        YEAR_START + 9100,
        "dispatched",
        "handling",
        None,
    );
    step(
        &mut long,
        "department_handler",
        YEAR_START + 9200,
        "handling",
        "handled",
        None,
    );
    step(
        &mut long,
        "inspector",
        YEAR_START + 9300,
        "handled",
        "verified",
        None,
    );
    step(
        &mut long,
        "town_supervisor",
        YEAR_START + 9400,
        "verified",
        "closed",
        None,
    );
    assert_eq!(long.transitions.len(), 52);
    assert!(replay(&long).conflicts.is_empty());
    let mut t = Vec::new();
    for _ in 0..2001 {
        let s = Instant::now();
        black_box(replay(black_box(&long)));
        t.push(s.elapsed().as_secs_f64() * 1e6);
    }
    let replay_us = median(t);

    let year = town_year(50_000);
    let now = YEAR_START + 360 * DAY;
    let mut t = Vec::new();
    let mut overdue = 0;
    for _ in 0..5 {
        let s = Instant::now();
        overdue = year
            .iter()
            .filter(|i| {
                colour(
                    &replay(i),
                    &cat.deadlines_for(&i.category),
                    DayCount::WorkDays,
                    now,
                ) == Colour::Overdue
            })
            .count();
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let overdue_ms = median(t);

    let mut t = Vec::new();
    let mut groups = 0;
    for _ in 0..5 {
        let s = Instant::now();
        let states: Vec<_> = year.iter().map(replay).collect();
        let stats = statistics(
            year.iter().zip(states.iter()),
            |i, _| Some(i.grid_code[..12].to_owned()),
            &cat,
            DayCount::WorkDays,
            (YEAR_START, YEAR_START + 365 * DAY),
            now,
        );
        groups = stats.len();
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    let stats_ms = median(t);

    println!("\n| incident benchmark | result |\n|---|---|");
    println!(
        "| replay an incident with {} transitions (median of 2001) | {replay_us:.1} µs |",
        long.transitions.len()
    );
    println!(
        "| list overdue among 50,000 (replay + work-day deadlines), median of 5 | {overdue_ms:.1} ms ({overdue} overdue) |"
    );
    println!(
        "| statistics of a town over a year, 50,000 incidents (replay all + figures per village), median of 5 | {stats_ms:.1} ms ({groups} villages) |"
    );
}
