//! The "anything for me?" benchmark: N phones (default 4,000) each asking the
//! real server binary over loopback whether there is news for them, as their
//! background jobs do every 5 minutes, through a proxy that counts every byte.
//!
//! A county of 1,500 grids; every phone is enrolled, one in twenty as a
//! platform's handler and the rest as grid workers; a town's command centre
//! dispatches a case to a platform each round, so the news table holds real rows
//! and the platform's handlers find it. Reported: checks per second the server sustained, server CPU
//! per check and for a county's 5-minute period, bytes per check on the wire (both
//! ways, headers included), and the delay from a dispatch on the supervisor's
//! page to the handler's phone holding it: measured end to end with the phone's
//! job checking every second, and what that makes with a check every 5 minutes.
//!
//! `tests/bench-news.sh [PHONES]`

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fieldgrid_core::incident::Action;
use fieldgrid_core::records::IncidentTransition;
use fieldgrid_sim::{
    SimConfig, SimPhone, county, enrol, nth_worker_of, platform_unit, supervisor_of,
};
use fieldgrid_tests::process::{Server, cpu_secs};
use fieldgrid_tests::proxy::FaultProxy;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CONCURRENT: usize = 64;
const COUNTY_GRIDS: usize = 1_500;
/// How often the phones' background job checks, in the county being modelled.
const PERIOD_MINUTES: f64 = 5.0;
/// Rounds of checks by every phone (medians over these).
const ROUNDS: usize = 3;
/// Cases dispatched for the delay measurement.
const DISPATCHES: usize = 15;

/// An enrolled phone whose store is closed between its checks.
struct Closed {
    path: std::path::PathBuf,
    url: String,
    token: String,
    staff: String,
}

impl Closed {
    /// The phone as its background job finds it: the store opened, a new client
    /// (a new connection, closed when the job ends).
    fn open(&self) -> Result<SimPhone, BoxError> {
        let store = fieldgrid_core::FieldStore::open(&self.path)?;
        store.sign_in(&self.staff);
        Ok(SimPhone {
            store,
            client: fieldgrid_core::sync::SyncClient::new(&self.url, &self.token, "1.0.0")?,
            token: self.token.clone(),
            staff: self.staff.clone(),
        })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn incident(phone: &SimPhone, grid: &str, n: usize) -> Result<String, BoxError> {
    Ok(phone
        .store
        .report_incident(&fieldgrid_core::records::Incident {
            grid_code: grid.into(),
            category: "urban.street.stalls".into(),
            description: format!("菜市场门口占道摆摊（第{n}起）"),
            location: None,
            reporter_id: phone.staff.clone(),
            reported_at: fieldgrid_core::time::now(),
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })?)
}

fn step(to: Action, note: &str, assignee: Option<String>) -> IncidentTransition {
    IncidentTransition {
        to: to.as_str().into(),
        role: "town_supervisor".into(),
        note: note.into(),
        assignee,
        ..IncidentTransition::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let phones_n: usize = std::env::args().nth(1).map_or(Ok(4_000), |a| a.parse())?;
    let binary = std::env::current_exe()?.with_file_name("fieldgrid-server");
    let work = tempfile::tempdir()?;
    let server = Server::start(&binary, &work.path().join("server"), None)?;
    let token = server.admin_token()?;
    let grids_n = phones_n.min(COUNTY_GRIDS);
    let cfg = SimConfig {
        towns: grids_n.div_ceil(30),
        villages: 3,
        grids: 10,
        workers_per_grid: phones_n.div_ceil(grids_n),
        ..SimConfig::default()
    };
    let tree = county(&cfg);
    reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/org_tree", server.url))
        .bearer_auth(&token)
        .json(&tree)
        .send()
        .await?
        .error_for_status()?;
    let proxy = FaultProxy::start(server.addr, 1).await;
    let dir = work.path().join("phones");
    std::fs::create_dir_all(&dir)?;

    // Every phone enrolled (through the proxy, so the counts below start after).
    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(8));
    let mut tasks = Vec::new();
    for k in 0..phones_n {
        let grid = tree.grids[k % grids_n].code.clone();
        // One phone in twenty is a platform's handler (the rest grid workers):
        // theirs are the checks that find the rounds' dispatches.
        let staff = if k % 20 == 19 {
            fieldgrid_sim::PLATFORMS[(k / 20) % 4].0.to_owned()
        } else {
            nth_worker_of(&grid, k / grids_n)
        };
        let (url, token, dir, limit) =
            (proxy.url.clone(), token.clone(), dir.clone(), limit.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            // Registered and approved as the app does; then closed until its job
            // runs, as on a phone (4,000 open stores and idle connections would
            // hold this process's file handles and the server's connection slots).
            let store = fieldgrid_core::FieldStore::open(dir.join(format!("{k}-{staff}.sqlite")))?;
            store.sign_in(&staff);
            let n = k as u32;
            let reg = fieldgrid_core::sync::SyncClient::register(
                &url,
                &store,
                &staff,
                &fieldgrid_core::forms::sample::example_id_number(
                    1975 + n % 25,
                    1 + n % 12,
                    1 + n % 28,
                    n,
                ),
                "13905180000",
            )
            .await?;
            fieldgrid_sim::approve(&url, &token, &reg.registration_id, &staff).await?;
            Ok::<_, BoxError>(Arc::new(Closed {
                path: store.path().to_owned(),
                url,
                token: reg.token,
                staff,
            }))
        }));
    }
    let mut phones = Vec::new();
    for t in tasks {
        phones.push(t.await??);
    }
    let town = tree.grids[0].code[..9].to_owned() + "000";
    // The town's command centre on the pages, for the dispatches whose delay is
    // measured.
    server.web_user("bench-sup", &supervisor_of(&town), "bench-password")?;
    let (cookie, csrf) =
        fieldgrid_tests::web::sign_in(&server.url, "bench-sup", "bench-password").await;
    let sup = enrol(&proxy.url, &token, &dir, &supervisor_of(&town), 90_001).await?;
    let handler = enrol(&proxy.url, &token, &dir, "handler-zhifa", 90_002).await?;
    for p in [&sup, &handler] {
        p.client.sync(&p.store, |_| {}).await?;
        p.client.sync_if_news(&p.store, |_| {}).await?;
    }
    eprintln!(
        "{phones_n} phones enrolled in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Each round: every phone checks once (a county's 5-minute period), while
    // the first grid's worker reports and the centre dispatches a case.
    let pid = server.child.id();
    let (mut cpu_per_check, mut bytes_per_check, mut rate) = (Vec::new(), Vec::new(), Vec::new());
    let (mut checks_done, mut with_news) = (0u64, 0u64);
    for round in 0..ROUNDS {
        let reporter = phones[0].open()?;
        let id = incident(&reporter, &tree.grids[0].code, round)?;
        reporter.client.sync(&reporter.store, |_| {}).await?;
        drop(reporter);
        let up0 = proxy.counters.up.load(Ordering::Relaxed);
        let down0 = proxy.counters.down.load(Ordering::Relaxed);
        let cpu0 = cpu_secs(pid);
        let t0 = Instant::now();
        let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
        let mut tasks = Vec::new();
        for p in &phones {
            let (p, limit) = (p.clone(), limit.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = limit.acquire_owned().await?;
                let phone = p.open()?;
                Ok::<_, BoxError>(phone.client.check_news(&phone.store).await?)
            }));
        }
        let mut n = 0u64;
        for t in tasks {
            let check = t.await??;
            n += 1;
            with_news += u64::from(check.count > 0);
        }
        let secs = t0.elapsed().as_secs_f64();
        let cpu = cpu_secs(pid) - cpu0;
        let bytes = proxy.counters.up.load(Ordering::Relaxed) - up0
            + proxy.counters.down.load(Ordering::Relaxed)
            - down0;
        assert_eq!(n, phones_n as u64, "every phone's check was answered");
        checks_done += n;
        cpu_per_check.push(cpu / n as f64);
        bytes_per_check.push(bytes as f64 / n as f64);
        rate.push(n as f64 / secs);
        // The centre accepts and dispatches the round's case.
        sup.client.sync(&sup.store, |_| {}).await?;
        sup.store
            .incident_transition(&id, step(Action::Accept, "", None))?;
        sup.store.incident_transition(
            &id,
            step(Action::Dispatch, "", Some(platform_unit(&town, 2))),
        )?;
        sup.client.sync(&sup.store, |_| {}).await?;
    }

    // The delay from a dispatch on the supervisor's page to the handler's phone
    // holding it: the page's answer comes back, the handler's job finds news at
    // its next tick and syncs.
    let mut delays = Vec::new();
    let mut syncs = Vec::new();
    for n in 0..DISPATCHES {
        let reporter = phones[0].open()?;
        let id = incident(&reporter, &tree.grids[0].code, 100 + n)?;
        reporter.client.sync(&reporter.store, |_| {}).await?;
        drop(reporter);
        handler.client.sync_if_news(&handler.store, |_| {}).await?;
        // Accepted and dispatched on the supervisor's page: the dispatch is on
        // the server when the page's answer comes back.
        for (to, assignee) in [
            ("accepted", String::new()),
            ("dispatched", platform_unit(&town, 2)),
        ] {
            let r = fieldgrid_tests::web::client()
                .post(format!("{}/ui/incidents/{id}/step", server.url))
                .header("cookie", &cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(fieldgrid_tests::web::form(&[
                    ("csrf", &csrf),
                    ("to", to),
                    ("assignee", &assignee),
                    ("note", "请及时处置"),
                ]))
                .send()
                .await?;
            if !r.status().is_redirection() {
                return Err(format!("the page refused {to}: {}", r.status()).into());
            }
        }
        let t0 = Instant::now();
        let phase = Duration::from_millis(((n as u64 * 1000) / DISPATCHES as u64 + 61) % 1000);
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + phase, Duration::from_secs(1));
        loop {
            ticker.tick().await;
            let s0 = Instant::now();
            if handler
                .client
                .sync_if_news(&handler.store, |_| {})
                .await?
                .is_some()
                && handler
                    .store
                    .get::<fieldgrid_core::records::Incident>(&id)
                    .is_ok()
            {
                syncs.push(s0.elapsed().as_secs_f64());
                break;
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err("the dispatch never reached the handler's phone".into());
            }
        }
        delays.push(t0.elapsed().as_secs_f64());
    }
    let dispatched = handler
        .store
        .incident_queue(
            fieldgrid_core::time::now(),
            fieldgrid_core::incident::DayCount::WorkDays,
            false,
        )?
        .iter()
        .filter(|q| q.stage == "dispatched")
        .count();
    assert!(
        dispatched >= DISPATCHES,
        "every dispatched case is on the handler's phone"
    );

    let cpu = median(cpu_per_check.clone());
    let sync_s = median(syncs.clone());
    println!();
    println!(
        "| phones | checks (all rounds) | checks with news | checks/s sustained | server CPU per check | server CPU per 5-minute period | bytes per check (both ways) | bytes per phone per day |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {phones_n} | {checks_done} | {with_news} | {:.0} | {:.0} µs | {:.2} s ({:.2}% of one core) | {:.0} | {:.0} KB |",
        median(rate),
        cpu * 1e6,
        cpu * phones_n as f64,
        cpu * phones_n as f64 / (PERIOD_MINUTES * 60.0) * 100.0,
        median(bytes_per_check.clone()),
        median(bytes_per_check) * (24.0 * 60.0 / PERIOD_MINUTES) / 1e3,
    );
    println!();
    println!("| dispatch → handler's phone | cases | median | max | check + sync when news |");
    println!("|---|---|---|---|---|");
    println!(
        "| measured, the handler's job checking every 1 s | {} | {:.2} s | {:.2} s | {:.0} ms |",
        delays.len(),
        median(delays.clone()),
        delays.iter().cloned().fold(0.0, f64::max),
        sync_s * 1000.0
    );
    println!(
        "| with a check every {PERIOD_MINUTES:.0} min | (model) | {:.1} min | {:.1} min | {:.0} ms |",
        PERIOD_MINUTES / 2.0 + sync_s / 60.0,
        PERIOD_MINUTES + sync_s / 60.0,
        sync_s * 1000.0
    );
    drop(server);
    Ok(())
}
