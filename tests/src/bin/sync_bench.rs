//! The sync benchmark. Prints a table of:
//! - initial sync of a village (1,000 households of ~145 fields, 3,000 persons of
//!   ~177 fields, 500 incidents, each with a few edits of history) to a new device
//!   over loopback, the median of three new devices: time, bytes on the wire, peak
//!   memory of the device process, CPU and peak memory of the server process;
//!   and, as the baseline, the same documents' first sync through automerge-repo
//!   (`tests/automerge-repo/first-sync.mjs`, measured on every run);
//! - incremental sync of 10 edited records; a sync with nothing new;
//! - server throughput with 200 concurrent simulated devices, on SQLite and (when
//!   `FIELDGRID_TEST_PG_URL` names a cluster) on PostgreSQL.
//!
//! The server is the real `fieldgrid-server` binary in a child process; the new
//! device runs in a child process of its own so each side's peak memory is its own.
//!
//! With `PERF_OUT=<file>` set, each new device runs under `perf record` (call
//! graphs) into that file, to see where a first sync spends its time.
//!
//! `tests/bench-sync.sh` builds everything in release mode, starts a throwaway
//! PostgreSQL cluster and runs this.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use fieldgrid_core::FieldStore;
use fieldgrid_core::org::demo::{self, TOWN_SUPERVISOR, demo_name};
use fieldgrid_core::records::{FieldValue, Household, Incident, Person};
use fieldgrid_core::sync::SyncClient;
use fieldgrid_tests::id_number;
use fieldgrid_tests::process::{Server, cpu_secs, peak_mb, reset_peak};
use fieldgrid_tests::proxy::FaultProxy;

const DEVICES: usize = 200;

/// New devices given the village, one after another (the table shows the median).
const FIRST_SYNCS: usize = 3;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("device") {
        return device_mode(&args[2..]);
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

// ---------------------------------------------------------------------------------
// Realistic records

const HOUSE_MODULES: [&str; 6] = [
    "basic",
    "resources",
    "business",
    "income",
    "safety",
    "relief",
];
const PERSON_MODULES: [&str; 11] = [
    "basic",
    "education",
    "family_planning",
    "movement",
    "assistance",
    "health",
    "military",
    "organisation",
    "relations",
    "special_groups",
    "employment",
];

fn value(n: usize, i: usize) -> FieldValue {
    match (n + i) % 6 {
        0 => FieldValue::Text(
            ["砖混结构", "自住", "务农", "外出务工", "良好", "无"][(n * 7 + i) % 6].into(),
        ),
        1 => FieldValue::Int(((n * 131 + i * 17) % 90_000) as i64),
        2 => FieldValue::Bool((n + i).is_multiple_of(3)),
        3 => FieldValue::Decimal(((n * 13 + i) % 1000) as f64 / 10.0),
        4 => FieldValue::Text(format!("{}年{}月", 1990 + (n + i) % 35, 1 + i % 12)),
        _ => FieldValue::Choices(vec![format!("c{}", i % 5), format!("c{}", (n + i) % 7)]),
    }
}

fn fields(
    n: usize,
    count: usize,
    modules: &[&str],
) -> std::collections::BTreeMap<String, FieldValue> {
    (0..count)
        .map(|i| {
            (
                format!("{}.f{i:03}", modules[i % modules.len()]),
                value(n, i),
            )
        })
        .collect()
}

/// Writes a village's records, each with three edits of history.
fn village(store: &FieldStore, grids: &[String]) -> Result<Vec<String>, BoxError> {
    let households: Vec<Household> = (0..1_000)
        .map(|n| {
            let mut h = Household::new(
                &grids[n % grids.len()],
                &format!("安峰镇安峰村{}组{n}号", n % 12),
                &demo_name(n),
            );
            h.door_plate = Some(format!("AF-{n:05}"));
            h.fields = fields(n, 145, &HOUSE_MODULES);
            h
        })
        .collect();
    let persons: Vec<Person> = (0..3_000)
        .map(|n| {
            let mut p = Person::new(&grids[n % grids.len()], &demo_name(n + 7));
            p.id_number = Some(id_number(n as u32));
            p.fields = fields(n, 177, &PERSON_MODULES);
            p
        })
        .collect();
    let incidents: Vec<Incident> = (0..500)
        .map(|n| Incident {
            grid_code: grids[n % grids.len()].clone(),
            category: [
                "dispute.neighbour",
                "fire.passage.blocked",
                "environment.waste.dumping",
                "urban.building.farmland",
            ][n % 4]
                .into(),
            description: format!(
                "第{n}号事件：村民反映道路旁垃圾堆放，影响通行和环境卫生，请尽快处理。"
            ),
            location: Some(fieldgrid_core::records::GeoPoint {
                lat: 34.5 + n as f64 * 1e-5,
                lon: 118.7,
            }),
            // Reported by the phone that writes the village (the server takes an
            // incident only from its reporter's device).
            reporter_id: TOWN_SUPERVISOR.into(),
            reported_at: 1_760_000_000 + n as i64 * 600,
            urgency: Default::default(),
            transitions: vec![],
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        })
        .collect();
    let mut ids = store.create_batch(&households)?;
    let hids = ids.clone();
    let pids = store.create_batch(&persons)?;
    let iids = store.create_batch(&incidents)?;
    for round in 0..3 {
        store.update_many::<Household>(&hids, |_, h| {
            h.fields.insert(
                format!("income.f{:03}", 3 + round),
                FieldValue::Int(50_000 + round as i64),
            );
        })?;
        store.update_many::<Person>(&pids, |_, p| {
            p.fields.insert(
                format!("health.f{:03}", 5 + round),
                FieldValue::Text(format!("第{round}次走访更新")),
            );
        })?;
        store.update_many::<Incident>(&iids, |_, i| i.description.push_str(" 已回访。"))?;
    }
    ids.extend(pids);
    ids.extend(iids);
    Ok(ids)
}

// ---------------------------------------------------------------------------------
// The new device, in its own process

/// `sync-bench device <db> <url> <token>`: one full sync; prints seconds, pulled
/// records, body bytes and this process's peak memory.
fn device_mode(args: &[String]) -> Result<(), BoxError> {
    let [db, url, token] = args else {
        return Err("usage: sync-bench device <db> <url> <token>".into());
    };
    // As in the app: the sync is driven from the caller's thread (a Kotlin or
    // Swift task's), and the HTTP work runs on a runtime thread of its own.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let store = FieldStore::open(db)?;
    store.sign_in(TOWN_SUPERVISOR);
    let client = SyncClient::new(url, token, "1.0.0")?.with_page_size(500);
    let start = Instant::now();
    let progress = rt.block_on(client.sync(&store, |_| {}))?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{secs} {} {} {} {}",
        progress.pulled,
        progress.bytes_sent + progress.bytes_received,
        progress.rounds,
        peak_mb(std::process::id())
    );
    Ok(())
}

struct DeviceRun {
    secs: f64,
    pulled: u64,
    rounds: u64,
    peak_mb: f64,
}

fn run_device(db: &Path, url: &str, token: &str) -> Result<DeviceRun, BoxError> {
    let mut cmd = match std::env::var("PERF_OUT") {
        Ok(o) => {
            let mut c = Command::new("perf");
            c.args([
                "record",
                "-F",
                "1999",
                "--call-graph",
                "dwarf,32768",
                "-o",
                &o,
                "--",
            ])
            .arg(std::env::current_exe()?);
            c
        }
        Err(_) => Command::new(std::env::current_exe()?),
    };
    let out = cmd
        .arg("device")
        .arg(db)
        .args([url, token])
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err("the device process failed".into());
    }
    let text = String::from_utf8(out.stdout)?;
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if f.len() != 5 {
        return Err(format!("unexpected device output {text:?}").into());
    }
    Ok(DeviceRun {
        secs: f[0],
        pulled: f[1] as u64,
        rounds: f[3] as u64,
        peak_mb: f[4],
    })
}

// ---------------------------------------------------------------------------------
// Enrolment

async fn enrol(
    server: &Server,
    admin: &str,
    store: &FieldStore,
    staff: &str,
    n: u32,
) -> Result<String, BoxError> {
    let reg =
        SyncClient::register(&server.url, store, "测试", &id_number(n), "13912345678").await?;
    fieldgrid_sim::approve(&server.url, admin, &reg.registration_id, staff).await?;
    Ok(reg.token)
}

async fn publish_tree(server: &Server, admin: &str) -> Result<(), BoxError> {
    let status = reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/org_tree", server.url))
        .bearer_auth(admin)
        .json(&demo::demo_county())
        .send()
        .await?
        .status();
    if !status.is_success() {
        return Err(format!("publishing the org tree failed: {status}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The benchmark

struct Row(String, String);

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

async fn bench() -> Result<(), BoxError> {
    let binary = std::env::current_exe()?
        .parent()
        .ok_or("no exe dir")?
        .join("fieldgrid-server");
    if !binary.exists() {
        return Err(format!(
            "{} is missing: build it first (cargo build --release -p fieldgrid-server)",
            binary.display()
        )
        .into());
    }
    let work = tempfile::tempdir()?;
    let mut rows: Vec<Row> = Vec::new();

    // --- A village on the SQLite server ---
    let server = Server::start(&binary, &work.path().join("server"), None)?;
    let admin = server.admin_token()?;
    publish_tree(&server, &admin).await?;
    let v0 = demo::village_code(0);
    let grids: Vec<String> = ["001", "101", "102", "002", "003"]
        .iter()
        .map(|g| format!("{v0}{g}"))
        .collect();

    let creator = FieldStore::open(work.path().join("creator.sqlite"))?;
    creator.sign_in(TOWN_SUPERVISOR);
    let t = Instant::now();
    let ids = village(&creator, &grids)?;
    let made = t.elapsed();
    let creator_token = enrol(&server, &admin, &creator, TOWN_SUPERVISOR, 1).await?;
    let creator_client = SyncClient::new(&server.url, &creator_token, "1.0.0")?;
    let t = Instant::now();
    let pushed = creator_client.sync(&creator, |_| {}).await?;
    // The whole workload must arrive: a refused record fails the benchmark.
    if pushed.rejected > 0 || pushed.pushed as usize != ids.len() {
        return Err(format!(
            "the server took {} of {} records and refused {}: {:?}",
            pushed.pushed,
            ids.len(),
            pushed.rejected,
            creator.sync_rejections()?.first()
        )
        .into());
    }
    rows.push(Row(
        format!(
            "village written on a phone ({} records, 3 edits each)",
            ids.len()
        ),
        format!("{:.2} s", made.as_secs_f64()),
    ));
    rows.push(Row(
        "first push of the village to the server".into(),
        format!(
            "{:.2} s, {} requests, {} body; taken {} of {}, refused {}",
            t.elapsed().as_secs_f64(),
            pushed.rounds,
            mb(pushed.bytes_sent),
            pushed.pushed,
            ids.len(),
            pushed.rejected
        ),
    ));

    // New devices: registered here, each synced in its own process through a
    // counting proxy. Three of them, so the table gives the median.
    let proxy = FaultProxy::start(server.addr, 1).await;
    let mut runs = Vec::new();
    let mut device_db = work.path().join("new-device-0.sqlite");
    let mut device_token = String::new();
    for n in 0..FIRST_SYNCS {
        device_db = work.path().join(format!("new-device-{n}.sqlite"));
        device_token = {
            let store = FieldStore::open(&device_db)?;
            enrol(&server, &admin, &store, TOWN_SUPERVISOR, 2 + n as u32).await?
        };
        reset_peak(server.child.id());
        let cpu0 = cpu_secs(server.child.id());
        let wire0 = proxy.counters.bytes();
        let run = {
            let (db, url, token) = (device_db.clone(), proxy.url.clone(), device_token.clone());
            tokio::task::spawn_blocking(move || run_device(&db, &url, &token)).await??
        };
        let wire = proxy.counters.bytes() - wire0;
        // The whole village must arrive, every time.
        if run.pulled as usize != ids.len() {
            return Err(format!(
                "new device {n} received {} of the {} records pushed",
                run.pulled,
                ids.len()
            )
            .into());
        }
        let server_cpu = cpu_secs(server.child.id()) - cpu0;
        runs.push((run, wire, server_cpu, peak_mb(server.child.id())));
    }
    runs.sort_by(|a, b| a.0.secs.total_cmp(&b.0.secs));
    let (median, wire, server_cpu, server_peak) = &runs[runs.len() / 2];
    rows.push(Row(
        format!(
            "initial sync of {} records to a new device (median of {FIRST_SYNCS})",
            median.pulled
        ),
        format!(
            "{:.2} s (runs {}), {} rounds, {} on the wire; received {} of {} each time",
            median.secs,
            runs.iter()
                .map(|r| format!("{:.2}", r.0.secs))
                .collect::<Vec<_>>()
                .join(" / "),
            median.rounds,
            mb(*wire),
            median.pulled,
            ids.len()
        ),
    ));
    rows.push(automerge_repo_row(
        &creator,
        &ids,
        work.path(),
        median.secs,
    )?);
    rows.push(Row(
        "  peak memory, device process (highest of the runs)".into(),
        format!(
            "{:.1} MB",
            runs.iter().map(|r| r.0.peak_mb).fold(0.0, f64::max)
        ),
    ));
    rows.push(Row(
        "  server process: CPU during the sync, peak memory".into(),
        format!("{server_cpu:.2} s, {server_peak:.1} MB"),
    ));

    // Incremental: 10 records edited on the creator, pushed, then pulled.
    let device = FieldStore::open(&device_db)?;
    device.sign_in(TOWN_SUPERVISOR);
    let device_client = SyncClient::new(&proxy.url, &device_token, "1.0.0")?;
    creator.update_many::<Household>(&ids[..10], |_, h| h.head_name.push('*'))?;
    creator_client.sync(&creator, |_| {}).await?;
    let wire0 = proxy.counters.bytes();
    let t = Instant::now();
    let inc = device_client.sync(&device, |_| {}).await?;
    if inc.pulled != 10 {
        return Err(format!("the device received {} of 10 edited records", inc.pulled).into());
    }
    rows.push(Row(
        format!("incremental sync of {} edited records", inc.pulled),
        format!(
            "{:.1} ms, {} round(s), {} bytes on the wire; received {} of 10",
            t.elapsed().as_secs_f64() * 1e3,
            inc.rounds,
            proxy.counters.bytes() - wire0,
            inc.pulled
        ),
    ));
    let wire0 = proxy.counters.bytes();
    let t = Instant::now();
    let none = device_client.sync(&device, |_| {}).await?;
    rows.push(Row(
        "sync with nothing new".into(),
        format!(
            "{:.1} ms, {} round(s), {} bytes on the wire ({} + {} body)",
            t.elapsed().as_secs_f64() * 1e3,
            none.rounds,
            proxy.counters.bytes() - wire0,
            none.bytes_sent,
            none.bytes_received
        ),
    ));
    drop(server);

    // --- Throughput: 200 concurrent devices, on each backend ---
    let mut backends: Vec<(&str, Option<String>)> = vec![("SQLite", None)];
    match std::env::var(fieldgrid_tests::pg::PG_URL_VAR) {
        Ok(_) => backends.push((
            "PostgreSQL",
            Some(fieldgrid_tests::pg::fresh_database().await),
        )),
        Err(_) => eprintln!(
            "({} not set: PostgreSQL throughput skipped)",
            fieldgrid_tests::pg::PG_URL_VAR
        ),
    }
    for (name, url) in backends {
        let dir = work.path().join(format!("tp-{name}"));
        let server = Server::start(&binary, &dir, url.as_deref())?;
        let admin = server.admin_token()?;
        publish_tree(&server, &admin).await?;
        for row in throughput(&server, &admin, &dir, server.child.id()).await? {
            rows.push(Row(format!("{name}: {}", row.0), row.1));
        }
    }

    println!(
        "\n| sync benchmark ({} cores) | result |",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("|---|---|");
    for Row(what, result) in rows {
        println!("| {what} | {result} |");
    }
    Ok(())
}

/// The baseline: the same documents' first sync through automerge-repo
/// (`tests/automerge-repo/first-sync.mjs`, a server repo and a new client repo
/// over a loopback WebSocket, each with its storage on disk). Every record's
/// whole history is exported from the phone that wrote the village; the
/// baseline must deliver every one of them whole.
fn automerge_repo_row(
    creator: &FieldStore,
    ids: &[String],
    work: &Path,
    ours: f64,
) -> Result<Row, BoxError> {
    let what = "  automerge-repo, the same documents to a new client repo".to_owned();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("automerge-repo");
    if !script.join("node_modules").exists() {
        return Ok(Row(
            what,
            "not measured: run `npm install --prefix tests/automerge-repo` (bench-sync.sh does)"
                .into(),
        ));
    }
    let docs = work.join("automerge-docs");
    std::fs::create_dir_all(&docs)?;
    for (n, id) in ids.iter().enumerate() {
        std::fs::write(
            docs.join(format!("{n:05}.automerge")),
            creator.changes_since(id, &[])?,
        )?;
    }
    let out = Command::new("node")
        .arg(script.join("first-sync.mjs"))
        .arg("client")
        .arg(&docs)
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err("the automerge-repo baseline failed".into());
    }
    let run: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let (secs, asked, whole) = (
        run["secs"].as_f64().ok_or("no secs")?,
        run["asked"].as_u64().ok_or("no asked")?,
        run["whole"].as_u64().ok_or("no whole")?,
    );
    // The whole workload must arrive on the baseline's side too.
    if asked as usize != ids.len() || whole != asked {
        return Err(format!(
            "automerge-repo delivered {whole} of {asked} documents whole ({} exported)",
            ids.len()
        )
        .into());
    }
    Ok(Row(
        what,
        format!(
            "{secs:.1} s, {whole} of {asked} documents whole ({} asked again), client peak {:.0} MB; ours is {:.0}× faster",
            run["retries"].as_u64().unwrap_or(0),
            run["peak_mb"].as_f64().unwrap_or(0.0),
            secs / ours
        ),
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn throughput(
    server: &Server,
    admin: &str,
    dir: &Path,
    server_pid: u32,
) -> Result<Vec<Row>, BoxError> {
    // Devices of the grids outside village 0, five records each.
    let tree = demo::demo_county();
    let v0 = demo::village_code(0);
    let workers: Vec<String> = tree
        .staff
        .iter()
        .filter(|s| s.id.starts_with("worker-") && !s.id.contains(&v0))
        .map(|s| s.id.clone())
        .collect();
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let staff = &workers[i % workers.len()];
        let grid = staff.trim_start_matches("worker-").to_owned();
        let store = FieldStore::open(dir.join(format!("device-{i}.sqlite")))?;
        store.sign_in(staff);
        let houses: Vec<Household> = (0..5)
            .map(|n| {
                let mut h =
                    Household::new(&grid, &format!("设备{i}住户{n}"), &demo_name(i * 5 + n));
                h.fields = fields(i * 5 + n, 145, &HOUSE_MODULES);
                h
            })
            .collect();
        store.create_batch(&houses)?;
        let token = enrol(server, admin, &store, staff, 1000 + i as u32).await?;
        let client = SyncClient::new(&server.url, &token, "1.0.0")?;
        devices.push(Arc::new((store, client)));
    }

    let mut out = Vec::new();
    for (label, expect) in [("push 5 records + first pull", 5), ("nothing new", 0)] {
        let cpu0 = cpu_secs(server_pid);
        let start = Instant::now();
        let tasks: Vec<_> = devices
            .iter()
            .map(|d| {
                let d = d.clone();
                tokio::spawn(async move {
                    let t = Instant::now();
                    let p = d.1.sync(&d.0, |_| {}).await?;
                    Ok::<_, BoxError>((t.elapsed().as_secs_f64(), p.rounds, p.pushed, p.rejected))
                })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut requests = 0u64;
        let (mut taken, mut refused) = (0u64, 0u64);
        for t in tasks {
            let (secs, rounds, pushed, rejected) = t.await??;
            latencies.push(secs);
            requests += u64::from(rounds);
            taken += pushed;
            refused += rejected;
        }
        let want = (DEVICES * expect) as u64;
        if taken != want || refused > 0 {
            return Err(format!(
                "{label}: the server took {taken} of {want} records and refused {refused}"
            )
            .into());
        }
        let wall = start.elapsed().as_secs_f64();
        let server_cpu = cpu_secs(server_pid) - cpu0;
        latencies.sort_by(f64::total_cmp);
        out.push(Row(
            format!("{DEVICES} devices at once, {label}"),
            format!(
                "taken {taken} of {want}; {:.2} s wall, {:.0} syncs/s, {:.0} requests/s, sync p50 {:.0} ms, p95 {:.0} ms; server CPU {:.2} s ({:.1} ms per sync)",
                wall,
                DEVICES as f64 / wall,
                requests as f64 / wall,
                percentile(&latencies, 0.5) * 1e3,
                percentile(&latencies, 0.95) * 1e3,
                server_cpu,
                server_cpu * 1e3 / DEVICES as f64
            ),
        ));
    }
    Ok(out)
}
