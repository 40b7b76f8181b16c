//! The big-screen benchmark: N patrolling workers (default 4,000, in a county of
//! 1,500 grids) each send their position once a minute to the real release
//! server over loopback, exactly as the phones do (`POST /v1/position`, CBOR),
//! paced evenly over each minute; command-centre pages follow the live events
//! (server-sent events), and, when Chromium is here, the big screen itself runs
//! at 1920×1080 and measures its frame times. Reports the server's CPU per
//! position (its fan-out to the pages included), the bytes each page receives per
//! minute, the request latency, and the counts on both sides.
//!
//! `tests/bench-live.sh [WORKERS] [MINUTES] [PAGES]`

use std::collections::HashSet;
use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fieldgrid_core::protocol::PositionUpdate;
use fieldgrid_sim::{SimConfig, county, nth_worker_of};
use fieldgrid_tests::process::{Server, cpu_secs};
use tokio::sync::Mutex;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const COUNTY_GRIDS: usize = 1_500;

/// An enrolled worker: its token, and where it walks.
struct Worker {
    token: String,
    grid: String,
    lat: f64,
    lon: f64,
}

/// What one page saw.
#[derive(Default)]
struct Seen {
    bytes: AtomicU64,
    events: AtomicU64,
    staff: Mutex<HashSet<String>>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mut args = std::env::args().skip(1);
    let workers_n: usize = args.next().map_or(Ok(4_000), |a| a.parse())?;
    let minutes: usize = args.next().map_or(Ok(2), |a| a.parse())?;
    let pages_n: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let binary = std::env::current_exe()?.with_file_name("fieldgrid-server");
    let work = tempfile::tempdir()?;
    let server = Server::start(&binary, &work.path().join("server"), None)?;
    let admin = server.admin_token()?;
    let grids_n = workers_n.min(COUNTY_GRIDS);
    let cfg = SimConfig {
        towns: grids_n.div_ceil(30),
        villages: 3,
        grids: 10,
        workers_per_grid: workers_n.div_ceil(grids_n),
        ..SimConfig::default()
    };
    let tree = county(&cfg);
    reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/org_tree", server.url))
        .bearer_auth(&admin)
        .json(&tree)
        .send()
        .await?
        .error_for_status()?;

    // Every worker enrolled as the app does (registered, approved).
    let started = Instant::now();
    let limit = Arc::new(tokio::sync::Semaphore::new(8));
    let dir = work.path().join("phones");
    std::fs::create_dir_all(&dir)?;
    let mut tasks = Vec::new();
    for k in 0..workers_n {
        let grid = tree.grids[k % grids_n].clone();
        let staff = nth_worker_of(&grid.code, k / grids_n);
        let (url, admin, dir, limit) = (
            server.url.clone(),
            admin.clone(),
            dir.clone(),
            limit.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let store = fieldgrid_core::FieldStore::open(dir.join(format!("{k}.sqlite")))?;
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
            fieldgrid_sim::approve(&url, &admin, &reg.registration_id, &staff).await?;
            let [lon, lat] = grid.boundary[0][0];
            Ok::<_, BoxError>(Worker {
                token: reg.token,
                grid: grid.code.clone(),
                lat: lat + 0.001,
                lon: lon + 0.001,
            })
        }));
    }
    let mut workers = Vec::new();
    for t in tasks {
        workers.push(t.await??);
    }
    eprintln!(
        "{workers_n} workers enrolled in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The command centre's pages, following every live event of the county.
    server.web_user("bench-county", "admin-donghai", "bench-password")?;
    let (cookie, _) =
        fieldgrid_tests::web::sign_in(&server.url, "bench-county", "bench-password").await;
    let mut pages = Vec::new();
    for _ in 0..pages_n {
        let seen = Arc::new(Seen::default());
        let mut response = fieldgrid_tests::web::client()
            .get(format!("{}/ui/api/live", server.url))
            .header("cookie", &cookie)
            .send()
            .await?
            .error_for_status()?;
        let s = seen.clone();
        tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                s.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: "))
                        && let Ok(v) = serde_json::from_str::<serde_json::Value>(data)
                        && let Some(staff) = v["staff"].as_str()
                    {
                        s.events.fetch_add(1, Ordering::Relaxed);
                        s.staff.lock().await.insert(staff.to_owned());
                    }
                }
            }
        });
        pages.push(seen);
    }
    // The big screen in headless Chromium, when it is installed.
    let chromium = std::path::Path::new("/usr/bin/chromium").exists()
        && std::path::Path::new("tests/browser/node_modules/playwright-core").exists();
    let mut screen = if chromium {
        let seconds = (minutes * 60).to_string();
        let mut child = std::process::Command::new("node")
            .args([
                "tests/browser/bench-screen.mjs",
                &server.url,
                "bench-county",
                "bench-password",
                &seconds,
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let mut lines = std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        // Wait until the screen is drawn and following the events.
        for line in lines.by_ref() {
            if line? == "ready" {
                break;
            }
        }
        Some((child, lines))
    } else {
        eprintln!("no Chromium here: the frame times are left out");
        None
    };
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Each minute every worker sends one position, the sends spread evenly.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let workers = Arc::new(workers);
    let pid = server.child.id();
    let cpu0 = cpu_secs(pid);
    let bytes0: Vec<u64> = pages
        .iter()
        .map(|p| p.bytes.load(Ordering::Relaxed))
        .collect();
    let sent_at = Instant::now();
    let accepted = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let body_bytes = Arc::new(AtomicU64::new(0));
    let gap = Duration::from_secs_f64(60.0 / workers_n as f64);
    let inflight = Arc::new(tokio::sync::Semaphore::new(64));
    let mut sends = Vec::new();
    for minute in 0..minutes {
        for k in 0..workers_n {
            let due = sent_at + Duration::from_secs(60 * minute as u64) + gap * k as u32;
            tokio::time::sleep_until(due.into()).await;
            let permit = inflight.clone().acquire_owned().await?;
            let (http, workers, url) = (http.clone(), workers.clone(), server.url.clone());
            let (accepted, latencies, body_bytes) =
                (accepted.clone(), latencies.clone(), body_bytes.clone());
            sends.push(tokio::spawn(async move {
                let _permit = permit;
                let w = &workers[k];
                let step = minute as f64 * 0.0002;
                let body = PositionUpdate {
                    at: fieldgrid_core::time::now(),
                    lat_e6: ((w.lat + step) * 1e6) as i32,
                    lon_e6: (w.lon * 1e6) as i32,
                    accuracy_m: 6,
                    grid: w.grid.clone(),
                }
                .encode();
                body_bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                let t = Instant::now();
                let r = http
                    .post(format!("{url}/v1/position"))
                    .bearer_auth(&w.token)
                    .header("content-type", "application/cbor")
                    .body(body)
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status() == reqwest::StatusCode::NO_CONTENT) {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                latencies
                    .lock()
                    .await
                    .push(t.elapsed().as_secs_f64() * 1000.0);
            }));
        }
    }
    for s in sends {
        s.await?;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu = cpu_secs(pid) - cpu0;
    let sent = (workers_n * minutes) as u64;
    let accepted = accepted.load(Ordering::Relaxed);
    assert_eq!(accepted, sent, "every position was accepted");
    let lat = latencies.lock().await.clone();
    println!(
        "| workers | minutes | positions sent / accepted | body bytes | server CPU µs per position | POST p50 / p99 ms | pages | events per page (of {sent}) | distinct workers per page | page KB per minute |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut per_minute = Vec::new();
    let mut events = Vec::new();
    for (p, b0) in pages.iter().zip(&bytes0) {
        let bytes = p.bytes.load(Ordering::Relaxed) - b0;
        per_minute.push(bytes as f64 / minutes as f64 / 1024.0);
        events.push(p.events.load(Ordering::Relaxed));
        let distinct = p.staff.lock().await.len();
        assert_eq!(distinct, workers_n, "a page saw every worker");
    }
    assert!(
        events.iter().all(|&e| e >= sent),
        "every page got every position: {events:?}"
    );
    println!(
        "| {workers_n} | {minutes} | {sent} / {accepted} | {:.0} | {:.0} | {:.1} / {:.1} | {pages_n} | {} | {workers_n} | {:.0} |",
        body_bytes.load(Ordering::Relaxed) as f64 / sent as f64,
        cpu / sent as f64 * 1e6,
        median(lat.clone()),
        pct(lat, 0.99),
        events.iter().min().copied().unwrap_or(0),
        median(per_minute),
    );
    if let Some((mut child, lines)) = screen.take() {
        let result = lines.map_while(Result::ok).last().unwrap_or_default();
        child.wait()?;
        println!("\nbig screen in headless Chromium at 1920×1080: {result}");
    }
    Ok(())
}
