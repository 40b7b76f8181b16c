//! The load benchmark: the evening sync of a whole day for N simulated phones
//! against the real server binary over loopback, on SQLite and on PostgreSQL.
//!
//! The county has one grid per phone up to the real county's 1,500 grids; beyond
//! that, grids get part-time workers (4,000 phones: two or three a grid). Each
//! phone (a real `FieldStore`) is enrolled and given its day offline first: an
//! 8-hour patrol (one fix every 10 s), 10 incidents each with a photo, and 20
//! household edits through the forms; its store is then closed until the evening.
//! Then all phones sync at once (64 at a time) and the table reports phones per
//! minute, bytes on the wire, p50/p99 latency of the evening's requests (from the
//! server's own histogram), server CPU and peak memory, the simulated phones' CPU
//! (this process, on the same machine), and the database size.
//!
//! `tests/bench-load.sh [PHONES]` (builds in release, starts a PostgreSQL cluster).

use std::sync::Arc;
use std::time::Instant;

use fieldgrid_core::FieldStore;
use fieldgrid_core::forms::sample::example_values;
use fieldgrid_core::patrol::TravelMode;
use fieldgrid_core::patrol::synthetic::{Walk, offset};
use fieldgrid_core::records::{FieldValue, RecordKind};
use fieldgrid_core::sync::SyncClient;
use fieldgrid_server::blobs::ObjectBlobStore;
use fieldgrid_sim::{Report, SimConfig, SimPhone, county, enrol, nth_worker_of, report_incident};
use fieldgrid_tests::balancer::Balancer;
use fieldgrid_tests::process::{Server, cpu_secs, peak_mb, reset_peak};
use rand::SeedableRng;
use rand::rngs::StdRng;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CONCURRENT: usize = 64;

/// Grids in a county (the county: 1,500 grids, 4,000 workers).
const COUNTY_GRIDS: usize = 1_500;

/// A phone whose day is made, its store closed until the evening sync.
struct ClosedPhone {
    path: std::path::PathBuf,
    token: String,
    staff: String,
}

/// One phone's day, made offline before the evening sync.
fn prepare_day(
    phone: &SimPhone,
    grid: &fieldgrid_core::org::Grid,
    k: usize,
    now_ms: i64,
) -> Result<(), BoxError> {
    let s = &phone.store;
    let today = fieldgrid_core::forms::date_at(now_ms / 1000).to_string();
    let form = s.form(RecordKind::Household)?;
    // 4 households registered, then 16 edits of them: 20 household edits.
    let mut houses = Vec::new();
    for h in 0..4 {
        let mut v = example_values(&form, (k * 10 + h) as u64, &today);
        v.insert(
            "basic.head_name".into(),
            fieldgrid_core::org::demo::demo_name(k + h).into(),
        );
        v.insert(
            "basic.address".into(),
            format!("{}{}号", grid.name, h + 1).into(),
        );
        houses.push(s.new_household(&grid.code, v)?.id);
    }
    for e in 0..16 {
        let wages = FieldValue::Int(30_000 + (k as i64 * 97 + e as i64 * 1_003) % 40_000);
        s.save_fields(&houses[e % 4], &[("income.wages".into(), Some(wages))])?;
    }
    // An 8-hour patrol, one fix every 10 s, along the grid's streets.
    let [w, south] = grid.boundary[0][0];
    let origin = (south + 0.0015, w + 0.0015);
    let mut route = Vec::new();
    for lap in 0..40 {
        let north = (lap % 6) as f64 * 120.0;
        route.extend([offset(origin, 0.0, north), offset(origin, 800.0, north)]);
    }
    let start = now_ms - 9 * 3_600_000;
    let mut fixes = Walk {
        route,
        speed_mps: 1.2,
        interval_ms: 10_000,
        noise_m: 4.0,
        seed: k as u64,
    }
    .fixes(start);
    fixes.truncate(8 * 360);
    let patrol = s.start_patrol(&grid.code, "日常巡查", TravelMode::Walking)?;
    s.ingest_fixes(&patrol, &fixes)?;
    s.stop_patrol(&patrol)?;
    // 10 incidents with a photo each.
    let mut rng = StdRng::seed_from_u64(k as u64);
    for i in 0..10 {
        report_incident(
            phone,
            Report {
                grid: &grid.code,
                category: "urban.street.stalls",
                description: "占道经营",
                at: (origin.0, origin.1 + i as f64 * 0.0005),
                reported_at: now_ms / 1000 - 3_600 + i as i64 * 60,
                photo: fieldgrid_sim::photo(&mut rng),
            },
        )?;
    }
    Ok(())
}

/// The servers' request-latency histogram: (bucket upper bound in seconds,
/// requests at or under it), summed over routes and instances, in bound order.
async fn latency_histogram(urls: &[String]) -> Result<Vec<(f64, f64)>, BoxError> {
    let mut text = String::new();
    for url in urls {
        text.push_str(&reqwest::get(format!("{url}/metrics")).await?.text().await?);
    }
    let mut buckets: std::collections::BTreeMap<u64, f64> = Default::default();
    for line in text
        .lines()
        .filter(|l| l.contains("http_request_duration_seconds_bucket{"))
    {
        let Some(le) = line.split("le=\"").nth(1).and_then(|r| r.split('"').next()) else {
            continue;
        };
        let count: f64 = line
            .rsplit(' ')
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0.0);
        let bound = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap_or(f64::INFINITY)
        };
        *buckets.entry(bound.to_bits()).or_default() += count;
    }
    let mut sorted: Vec<(f64, f64)> = buckets
        .into_iter()
        .map(|(b, c)| (f64::from_bits(b), c))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(sorted)
}

/// p50 and p99 (seconds, bucket upper bounds) of the requests timed between two
/// readings of the histogram (the evening only, not the morning's enrolment).
fn quantiles(before: &[(f64, f64)], after: &[(f64, f64)]) -> (f64, f64) {
    let window: Vec<(f64, f64)> = after
        .iter()
        .map(|&(bound, n)| {
            let earlier = before
                .iter()
                .find(|(b, _)| *b == bound)
                .map_or(0.0, |(_, c)| *c);
            (bound, n - earlier)
        })
        .collect();
    let total = window.last().map_or(0.0, |b| b.1);
    let q = |p: f64| {
        window
            .iter()
            .find(|(_, c)| *c >= p * total)
            .map_or(f64::NAN, |(b, _)| *b)
    };
    (q(0.5), q(0.99))
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let m = e.metadata();
            if m.as_ref().is_ok_and(|m| m.is_dir()) {
                dir_bytes(&e.path())
            } else {
                m.map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// One deployment to measure.
struct Deployment {
    /// Its name in the table.
    name: String,
    /// PostgreSQL, or the embedded SQLite when `None`.
    database_url: Option<String>,
    /// Server instances (behind a balancer when more than one).
    instances: usize,
    /// Object storage settings (`FIELDGRID_BLOBS`...), or none for the disk.
    blobs: Vec<(String, String)>,
    /// The object store's options, to measure the bucket.
    bucket: Option<Vec<(String, String)>>,
}

async fn run(deployment: &Deployment, phones_n: usize) -> Result<Vec<String>, BoxError> {
    let binary = std::env::current_exe()?.with_file_name("fieldgrid-server");
    let work = tempfile::tempdir()?;
    let database_url = deployment.database_url.clone();
    let servers: Vec<Server> = (0..deployment.instances)
        .map(|i| {
            Server::start_env(
                &binary,
                &work.path().join(format!("server-{i}")),
                database_url.as_deref(),
                &deployment.blobs,
            )
        })
        .collect::<Result<_, _>>()?;
    let balancer = match servers.len() {
        1 => None,
        _ => Some(Balancer::start(servers.iter().map(|s| s.url.clone()).collect()).await),
    };
    let server = Entry {
        url: balancer
            .as_ref()
            .map_or_else(|| servers[0].url.clone(), |b| b.url.clone()),
    };
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let backend = deployment.name.as_str();
    let token = servers[0].admin_token()?;
    let http = reqwest::Client::new();
    // A county of the size the phones need, up to the real one's 1,500 grids;
    // beyond that, grids have part-time workers too (4,000 phones: 2 or 3 a grid).
    let grids_n = phones_n.min(COUNTY_GRIDS);
    let cfg = SimConfig {
        towns: grids_n.div_ceil(30),
        villages: 3,
        grids: 10,
        workers_per_grid: phones_n.div_ceil(grids_n),
        ..SimConfig::default()
    };
    let tree = county(&cfg);
    let put = |path: &str, body: serde_json::Value| {
        http.put(format!("{}{path}", server.url))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    put("/v1/admin/reference/org_tree", serde_json::to_value(&tree)?)
        .await?
        .error_for_status()?;
    put(
        "/v1/admin/reference/forms",
        serde_json::to_value(fieldgrid_core::forms::default_form_pack())?,
    )
    .await?
    .error_for_status()?;

    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let started = Instant::now();
    let phones_dir = work.path().join("phones");
    std::fs::create_dir_all(&phones_dir)?;
    // Enrol every phone (a few at a time, as the server would see a morning of
    // registrations) and make its day on every core, then close it: only a few
    // phones are open at once (4,000 open stores would use 12,000 files).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let open_limit = Arc::new(tokio::sync::Semaphore::new(cores + 6));
    let prep_limit = Arc::new(tokio::sync::Semaphore::new(cores));
    let mut making = Vec::new();
    for k in 0..phones_n {
        let grid = tree.grids[k % grids_n].clone();
        let staff = nth_worker_of(&grid.code, k / grids_n);
        let (url, token, dir) = (server.url.clone(), token.clone(), phones_dir.clone());
        let (open_limit, prep_limit) = (open_limit.clone(), prep_limit.clone());
        making.push(tokio::spawn(async move {
            let _open = open_limit.acquire_owned().await?;
            let phone = enrol(&url, &token, &dir, &staff, k as u32).await?;
            phone.client.sync(&phone.store, |_| {}).await?;
            let _core = prep_limit.acquire_owned().await?;
            tokio::task::spawn_blocking(move || {
                prepare_day(&phone, &grid, k, now_ms)?;
                // Closed until the evening, as the app would be (its client and
                // connection too: the evening's sync makes a new one).
                let SimPhone {
                    store,
                    token,
                    staff,
                    ..
                } = phone;
                Ok::<_, BoxError>(Arc::new(ClosedPhone {
                    path: store.path().to_owned(),
                    token,
                    staff,
                }))
            })
            .await?
        }));
    }
    let mut phones = Vec::new();
    for task in making {
        phones.push(task.await??);
    }
    let phone_bytes = dir_bytes(&phones_dir);
    eprintln!(
        "{backend}: {phones_n} phones enrolled and their days prepared in {:.0} s ({:.1} MB on each phone)",
        started.elapsed().as_secs_f64(),
        phone_bytes as f64 / 1e6 / phones_n as f64
    );

    // The evening: everyone syncs.
    let pids: Vec<u32> = servers.iter().map(|s| s.child.id()).collect();
    pids.iter().for_each(|&pid| reset_peak(pid));
    let cpu0: Vec<f64> = pids.iter().map(|&pid| cpu_secs(pid)).collect();
    let phones_cpu0 = cpu_secs(std::process::id());
    let histogram0 = latency_histogram(&urls).await?;
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for phone in &phones {
        let (phone, limit, url) = (phone.clone(), limit.clone(), server.url.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let store = FieldStore::open(&phone.path)?;
            store.sign_in(&phone.staff);
            let client = SyncClient::new(&url, &phone.token, "1.0.0")?;
            let progress = client.sync(&store, |_| {}).await?;
            let status = store.sync_status()?;
            let left = status.pending_photos + status.pending_track_chunks + status.pending_records;
            // The app stays open a while after its sync: its client (and the
            // connection it keeps alive) lives to the end of the evening.
            Ok::<_, BoxError>((progress, left, client))
        }));
    }
    let (mut up, mut down, mut chunks, mut photos, mut failed) = (0u64, 0u64, 0u64, 0u64, 0usize);
    let mut pending = 0u64;
    let mut clients = Vec::new();
    for t in tasks {
        match t.await? {
            Ok((p, left, client)) => {
                clients.push(client);
                pending += left;
                up += p.bytes_sent;
                down += p.bytes_received;
                chunks += p.track_chunks;
                photos += p.photos;
            }
            Err(e) => {
                failed += 1;
                eprintln!("a phone's sync failed: {e}");
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    drop(clients);
    let cpu: Vec<f64> = pids
        .iter()
        .zip(&cpu0)
        .map(|(&pid, c0)| cpu_secs(pid) - c0)
        .collect();
    let phones_cpu = cpu_secs(std::process::id()) - phones_cpu0;
    let peaks: Vec<f64> = pids.iter().map(|&pid| peak_mb(pid)).collect();
    let (p50, p99) = quantiles(&histogram0, &latency_histogram(&urls).await?);
    let db = match &database_url {
        Some(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
            tokio::spawn(conn);
            let row = client
                .query_one("SELECT pg_database_size(current_database())", &[])
                .await?;
            row.get::<_, i64>(0) as u64
        }
        None => dir_bytes(&servers[0].dir),
    };
    let bucket = match &deployment.bucket {
        Some(options) => {
            let usage = ObjectBlobStore::new("s3", options.clone())?.usage().await?;
            format!(
                "{} photos, {:.0} MB ({} B unfinished)",
                usage.photos,
                usage.bytes as f64 / 1e6,
                usage.partial_bytes
            )
        }
        None => "(server disk)".into(),
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = |cpu: f64| {
        format!(
            "{cpu:.0} s ({:.0}% of {cores} cores)",
            100.0 * cpu / secs / cores as f64
        )
    };
    Ok(vec![
        backend.to_owned(),
        phones_n.to_string(),
        format!("{:.0}", phones_n as f64 / (secs / 60.0)),
        format!("{secs:.1} s"),
        format!("{:.1} / {:.1} MB", up as f64 / 1e6, down as f64 / 1e6),
        format!("{chunks} / {photos}"),
        format!("{:.0} / {:.0} ms", p50 * 1e3, p99 * 1e3),
        cpu.iter()
            .map(|&c| share(c))
            .collect::<Vec<_>>()
            .join(" / "),
        share(phones_cpu),
        peaks
            .iter()
            .map(|p| format!("{p:.0} MB"))
            .collect::<Vec<_>>()
            .join(" / "),
        format!("{:.0} MB", db as f64 / 1e6),
        bucket,
        format!(
            "{failed} failed, {pending} left, {} connections turned away",
            servers
                .iter()
                .map(|s| s.log_lines("connection cap reached"))
                .sum::<usize>()
        ),
    ])
}

/// Where phones send their requests: the one instance, or the balancer.
struct Entry {
    url: String,
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let phones: usize = std::env::args().nth(1).map_or(Ok(500), |a| a.parse())?;
    // `LOAD_BENCH_RUNS` picks deployments (default: every one the machine has):
    // sqlite, pg, pg-s3-1, pg-s3-2.
    let wanted = std::env::var("LOAD_BENCH_RUNS").ok();
    let wants = |name: &str| {
        wanted
            .as_deref()
            .is_none_or(|w| w.split(',').any(|x| x.trim() == name))
    };
    let pg = std::env::var(fieldgrid_tests::pg::PG_URL_VAR).is_ok();
    let s3 = std::env::var(fieldgrid_tests::s3::S3_URL_VAR).is_ok();
    let mut deployments = Vec::new();
    if wants("sqlite") {
        deployments.push(Deployment {
            name: "SQLite".into(),
            database_url: None,
            instances: 1,
            blobs: Vec::new(),
            bucket: None,
        });
    }
    if pg && wants("pg") {
        deployments.push(Deployment {
            name: "PostgreSQL".into(),
            database_url: Some(fieldgrid_tests::pg::fresh_database().await),
            instances: 1,
            blobs: Vec::new(),
            bucket: None,
        });
    }
    for instances in [1, 2] {
        if pg && s3 && wants(&format!("pg-s3-{instances}")) {
            let options = fieldgrid_tests::s3::fresh_bucket().await;
            deployments.push(Deployment {
                name: format!("PostgreSQL + S3, {instances} instance(s)"),
                database_url: Some(fieldgrid_tests::pg::fresh_database().await),
                instances,
                blobs: fieldgrid_tests::s3::server_env(&options),
                bucket: Some(options),
            });
        }
    }
    let mut rows = Vec::new();
    for deployment in &deployments {
        rows.push(run(deployment, phones).await?);
    }
    println!();
    println!(
        "| deployment | phones | phones/min | evening sync | bytes up / down | track chunks / photos | request p50 / p99 | server CPU per instance | phones' CPU | server peak RSS per instance | database | bucket | outcome |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("| {} |", r.join(" | "));
    }
    Ok(())
}
