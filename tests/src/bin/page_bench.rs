//! The supervisor pages at a county's real size: the county is made straight into
//! PostgreSQL (灌南's size at 15 towns: 1,500 grids, 4,500 workers, 250,000
//! households and about 800,000 persons filled through the forms, 120,000
//! incidents with their steps over a year, the knowledge base), then release
//! servers on one and on two instances serve the pages to 1 and to 20 signed-in
//! supervisors (town command centres and the county's). Prints, per deployment,
//! each page's p50 and p95, the first page on a new instance (its read model
//! filled from nothing) and after a restart (kept), each instance's peak memory
//! and its read model's size on disk.
//!
//!   tests/bench-pages.sh            # the whole county (15 towns)
//!   tests/bench-pages.sh 1          # one town (100 grids)
//!
//! The documents are written with the core's off-to-the-side writers and saved
//! through the storage's own save path (no phone, no HTTP), so a county is made
//! in minutes; the tracks a month of patrols would add are not made (the map's
//! day is empty), see the README.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fieldgrid_core::forms::sample::example_values;
use fieldgrid_core::forms::{CompiledForm, FormDefinition, default_form_pack};
use fieldgrid_core::incident::{Action, Catalogue, default_catalogue};
use fieldgrid_core::org::OrgTree;
use fieldgrid_core::records::{
    Household, HouseholdMember, Incident, IncidentTransition, Person, Record, RecordKind,
};
use fieldgrid_server::blobs::FsBlobStore;
use fieldgrid_server::storage::{DocumentSave, PostgresStorage, Storage};
use fieldgrid_server::{AppState, Settings};
use fieldgrid_sim::{SimConfig, inspector_of, platform_unit, supervisor_of};
use fieldgrid_tests::process::{Server, peak_mb};
use fieldgrid_tests::web::{client, form, sign_in};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Per grid, as 灌南's figures divide over its 1,500 grids.
const HOUSEHOLDS_PER_GRID: usize = 167;
const INCIDENTS_PER_GRID: usize = 80;
/// Documents per save.
const BATCH: usize = 400;
const PASSWORD: &str = "correct horse";
/// Rounds over every page per supervisor: three alone, one each when twenty ask at
/// once (twenty samples a page).
fn rounds(supervisors: usize) -> usize {
    if supervisors == 1 { 3 } else { 1 }
}

/// One document ready to save.
struct Doc {
    id: String,
    kind: RecordKind,
    merged: fieldgrid_core::MergeOutcome,
}

fn device_of(who: &str) -> String {
    blake3::hash(who.as_bytes()).to_hex()[..32].to_owned()
}

fn form_of(kind: RecordKind) -> CompiledForm {
    let def: FormDefinition = default_form_pack()
        .forms
        .into_iter()
        .find(|f| f.kind == kind)
        .expect("the shipped pack has the form");
    CompiledForm::new(def).expect("the shipped form compiles")
}

fn doc<R: Record>(id: String, record: &R, who: &str, at: i64) -> Result<Doc, BoxError> {
    let bytes = fieldgrid_core::new_record(&id, record, &device_of(who), who, at)?;
    // What the push path's merge would make of a new record, without loading the
    // bytes again (they are our own): stored whole, sent whole, no photos.
    let merged = fieldgrid_core::MergeOutcome {
        delta: bytes.clone(),
        document: bytes,
        new_changes: 1,
        heads: Vec::new(),
        grid_code: record.grid_code().to_owned(),
        title: String::new(),
        new_references: Vec::new(),
        new_claims: Vec::new(),
        authors: Vec::new(),
    };
    Ok(Doc {
        id,
        kind: R::KIND,
        merged,
    })
}

/// Every leaf category of the catalogue.
fn leaves(c: &Catalogue) -> Vec<String> {
    fn walk(cs: &[fieldgrid_core::incident::Category], out: &mut Vec<String>) {
        for c in cs {
            if c.children.is_empty() {
                out.push(c.code.clone());
            } else {
                walk(&c.children, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&c.categories, &mut out);
    out
}

/// The platform of the sim's four that handles `category` (its routing rules).
fn platform_for(category: &str) -> usize {
    match category.split('.').next().unwrap_or_default() {
        "dispute" | "security" | "special_groups" => 0,
        "market" => 1,
        "work_safety" | "fire" | "environment" | "urban" => 2,
        _ => 3,
    }
}

/// One grid's documents, and the ids of its households and incidents.
struct GridDocs {
    docs: Vec<Doc>,
    households: Vec<String>,
    incidents: Vec<String>,
}

/// One grid's households (each with its persons, through the forms) and its
/// incidents over the last year, with their steps.
fn grid_docs(
    grid: &fieldgrid_core::org::Grid,
    town: &str,
    forms: &(CompiledForm, CompiledForm),
    categories: &[String],
    now: i64,
    seed: u64,
) -> Result<GridDocs, BoxError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = fieldgrid_core::forms::date_at(now).to_string();
    let worker = fieldgrid_sim::worker_of(&grid.code);
    let mut docs = Vec::new();
    let (mut households, mut incidents) = (Vec::new(), Vec::new());
    for h in 0..HOUSEHOLDS_PER_GRID {
        let at = now - rng.random_range(30..400) * 86_400;
        let hid = uuid::Uuid::new_v4().to_string();
        let mut house = Household::new(&grid.code, "", "");
        let mut values = example_values(&forms.0, seed * 1000 + h as u64, &today);
        let head = fieldgrid_core::org::demo::demo_name((seed as usize) * 331 + h);
        values.insert("basic.head_name".into(), head.clone().into());
        values.insert(
            "basic.address".into(),
            format!("{}{}组{}号", grid.name, h % 9 + 1, h + 1).into(),
        );
        fieldgrid_core::household::fill_through_form(&forms.0, &mut house, values, now)?;
        // 3.2 persons a household on average (800,000 of 250,000).
        let size = if h % 5 == 0 { 4 } else { 3 };
        let size = size + usize::from(rng.random_range(0..10) < 1);
        for p in 0..size {
            let pid = uuid::Uuid::new_v4().to_string();
            let mut person = Person::new(&grid.code, "");
            let mut pv = example_values(&forms.1, seed * 7919 + (h * 8 + p) as u64, &today);
            let name = if p == 0 {
                head.clone()
            } else {
                fieldgrid_core::org::demo::demo_name((seed as usize) * 977 + h * 8 + p)
            };
            pv.insert("basic.name".into(), name.into());
            fieldgrid_core::household::fill_through_form(&forms.1, &mut person, pv, now)?;
            person.household_id = Some(hid.clone());
            house.members.push(HouseholdMember {
                person_id: pid.clone(),
                relation: if p == 0 { "self" } else { "child" }.into(),
            });
            docs.push(doc(pid, &person, &worker, at)?);
        }
        docs.push(doc(hid.clone(), &house, &worker, at)?);
        households.push(hid);
    }
    let (sup, inspector) = (supervisor_of(town), inspector_of(town));
    for _ in 0..INCIDENTS_PER_GRID {
        let age = rng.random_range(0..365 * 86_400);
        let reported = now - age;
        let category = categories[rng.random_range(0..categories.len())].clone();
        let p = platform_for(&category);
        let unit = platform_unit(town, p);
        let handler = fieldgrid_sim::PLATFORMS[p].0;
        // Older cases are closed; the last ten days' at every stage.
        let steps = if age > 10 * 86_400 {
            if rng.random_range(0..20) == 0 { 3 } else { 6 }
        } else {
            rng.random_range(0..=6)
        };
        let plan: [(Action, &str, &str, &str); 6] = [
            (Action::Accept, &sup, "town_supervisor", "reported"),
            (Action::Dispatch, &sup, "town_supervisor", "accepted"),
            (
                Action::StartHandling,
                handler,
                "department_handler",
                "dispatched",
            ),
            (Action::Finish, handler, "department_handler", "handling"),
            (Action::Verify, &inspector, "inspector", "handled"),
            (Action::Close, &sup, "town_supervisor", "verified"),
        ];
        let mut transitions = Vec::new();
        let mut at = reported;
        for (action, by, role, from) in plan.iter().take(steps) {
            at += rng.random_range(600..86_400);
            transitions.push(IncidentTransition {
                by: (*by).to_owned(),
                role: (*role).to_owned(),
                at: at.min(now),
                from: (*from).to_owned(),
                to: action.as_str().to_owned(),
                note: "已处理".into(),
                assignee: (*action == Action::Dispatch).then(|| unit.clone()),
                ..IncidentTransition::default()
            });
        }
        let incident = Incident {
            grid_code: grid.code.clone(),
            category,
            description: format!("{}发现的问题，需处置", grid.name),
            location: None,
            reporter_id: worker.clone(),
            reported_at: reported,
            urgency: Default::default(),
            transitions,
            resident_id: None,
            satisfaction: None,
            photos: Vec::new(),
            channel: Default::default(),
            contact: None,
            address: None,
            ticket: None,
        };
        let id = uuid::Uuid::new_v4().to_string();
        docs.push(doc(id.clone(), &incident, &worker, reported)?);
        incidents.push(id);
    }
    Ok(GridDocs {
        docs,
        households,
        incidents,
    })
}

/// What the county holds, counted on the generating side.
#[derive(Debug, Default)]
struct Made {
    households: usize,
    persons: usize,
    incidents: usize,
    saved: usize,
    /// A few ids of each town's households and incidents, for the detail pages.
    households_of: BTreeMap<String, Vec<String>>,
    incidents_of: BTreeMap<String, Vec<String>>,
}

/// Makes the county's documents on every core and saves them as they come.
async fn make_county(storage: Arc<dyn Storage>, tree: &OrgTree) -> Result<Made, BoxError> {
    let now = fieldgrid_core::time::now();
    let categories = leaves(&default_catalogue());
    let grids: Vec<(fieldgrid_core::org::Grid, String)> = tree
        .grids
        .iter()
        .map(|g| (g.clone(), format!("{}000", &g.code[..9])))
        .collect();
    let (tx, mut rx) =
        tokio::sync::mpsc::channel::<(Vec<Doc>, String, Vec<String>, Vec<String>)>(8);
    let next = Arc::new(AtomicUsize::new(0));
    let grids = Arc::new(grids);
    let categories = Arc::new(categories);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut threads = Vec::new();
    for _ in 0..workers {
        let (tx, next, grids, categories) =
            (tx.clone(), next.clone(), grids.clone(), categories.clone());
        threads.push(std::thread::spawn(move || -> Result<(), BoxError> {
            let forms = (form_of(RecordKind::Household), form_of(RecordKind::Person));
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((grid, town)) = grids.get(i) else {
                    return Ok(());
                };
                let GridDocs {
                    docs,
                    households: h,
                    incidents: inc,
                } = grid_docs(grid, town, &forms, &categories, now, i as u64)?;
                if tx.blocking_send((docs, town.clone(), h, inc)).is_err() {
                    return Ok(());
                }
            }
        }));
    }
    drop(tx);
    let mut made = Made::default();
    let now = fieldgrid_core::time::now();
    let started = Instant::now();
    let total = grids.len();
    let mut done = 0;
    while let Some((docs, town, h, inc)) = rx.recv().await {
        for d in &docs {
            match d.kind {
                RecordKind::Household => made.households += 1,
                RecordKind::Person => made.persons += 1,
                RecordKind::Incident => made.incidents += 1,
                RecordKind::PatrolLog => {}
            }
        }
        let hs = made.households_of.entry(town.clone()).or_default();
        hs.extend(h.into_iter().take(2));
        let is = made.incidents_of.entry(town).or_default();
        is.extend(inc.into_iter().take(2));
        for chunk in docs.chunks(BATCH) {
            let saves: Vec<DocumentSave<'_>> = chunk
                .iter()
                .map(|d| DocumentSave {
                    doc_id: &d.id,
                    kind: d.kind,
                    expected_version: None,
                    previous_grid: None,
                    merged: &d.merged,
                    origin_device: "page-bench",
                    at: now,
                })
                .collect();
            let outcomes = storage.save_documents(&saves).await?;
            made.saved += outcomes.len();
        }
        done += 1;
        if done % 50 == 0 || done == total {
            eprintln!(
                "  {done}/{total} grids, {} documents saved, {:.0} s",
                made.saved,
                started.elapsed().as_secs_f64()
            );
        }
    }
    for t in threads {
        t.join().map_err(|_| "a generating thread panicked")??;
    }
    Ok(made)
}

/// Latencies of each page, in ms, of the answers that came; and how many asks
/// were refused or timed out, per page.
type Timings = BTreeMap<&'static str, Vec<f64>>;
type Failures = BTreeMap<&'static str, usize>;

/// A signed-in supervisor on one instance.
struct Signed {
    base: String,
    cookie: String,
    csrf: String,
    households: Vec<String>,
    incidents: Vec<String>,
    name: String,
}

/// Every page the benchmark asks, each a GET (or the search's POST).
const PAGES: [&str; 14] = [
    "map",
    "map data",
    "queue",
    "incident",
    "tasks",
    "urging",
    "household list",
    "household search",
    "household",
    "stats",
    "reports",
    "assessment",
    "knowledge",
    "screen data",
];

async fn ask(p: &Signed, page: &str, k: usize) -> Result<f64, BoxError> {
    let c = client();
    let started = Instant::now();
    let url = |path: &str| format!("{}{path}", p.base);
    let req = match page {
        "map" => c.get(url("/ui/")),
        "map data" => c.get(url("/ui/api/map")),
        "queue" => c.get(url("/ui/incidents")),
        "incident" => c.get(url(&format!(
            "/ui/incidents/{}",
            p.incidents[k % p.incidents.len()]
        ))),
        "tasks" => c.get(url("/ui/tasks")),
        "urging" => c.get(url("/ui/urging")),
        "household list" => c.get(url("/ui/households")),
        "household search" => c
            .post(url("/ui/households"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", &p.csrf), ("q", &p.name)])),
        "household" => c.get(url(&format!(
            "/ui/households/{}",
            p.households[k % p.households.len()]
        ))),
        "stats" => c.get(url("/ui/stats")),
        "reports" => c.get(url("/ui/reports")),
        "assessment" => c.get(url("/ui/assessment")),
        "knowledge" => c.get(url("/ui/knowledge?q=%E5%AE%85%E5%9F%BA%E5%9C%B0")),
        _ => c.get(url("/ui/api/screen")),
    };
    let r = req.header("cookie", &p.cookie).send().await?;
    let status = r.status();
    let body = r.bytes().await?;
    if !status.is_success() {
        return Err(format!(
            "{page}: {status} {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )
        .into());
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

/// `n` supervisors, each asking every page [`rounds`] times in turn.
async fn measure(
    people: Arc<Vec<Signed>>,
    n: usize,
) -> Result<(Timings, Failures, usize), BoxError> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let people = people.clone();
        tasks.push(tokio::spawn(async move {
            let p = &people[i % people.len()];
            let mut t: Timings = BTreeMap::new();
            let mut f: Failures = BTreeMap::new();
            for round in 0..rounds(n) {
                for (j, page) in PAGES.iter().enumerate() {
                    match ask(p, page, i * 31 + round * 7 + j).await {
                        Ok(ms) => t.entry(page).or_default().push(ms),
                        Err(e) => {
                            eprintln!("  {e}");
                            *f.entry(page).or_default() += 1;
                        }
                    }
                }
            }
            Ok::<_, BoxError>((t, f))
        }));
    }
    let mut all: Timings = BTreeMap::new();
    let mut failed: Failures = BTreeMap::new();
    let mut asked = 0;
    for t in tasks {
        let (times, fails) = t.await??;
        for (page, v) in times {
            asked += v.len();
            all.entry(page).or_default().extend(v);
        }
        for (page, k) in fails {
            asked += k;
            *failed.entry(page).or_default() += k;
        }
    }
    Ok((all, failed, asked))
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

fn dir_mb(dir: &Path) -> f64 {
    fn walk(d: &Path) -> u64 {
        std::fs::read_dir(d).map_or(0, |rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
    }
    walk(dir) as f64 / 1e6
}

/// Signs `user` in and answers when their first page came (the sign-in asks the
/// queue, which waits for the read model).
async fn first_page(base: &str, user: &str) -> (f64, (String, String)) {
    let started = Instant::now();
    let signed = sign_in(base, user, PASSWORD).await;
    (started.elapsed().as_secs_f64(), signed)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), BoxError> {
    let towns: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(15)
        .clamp(1, 15);
    // A smaller run for a quick look: fewer villages per town.
    let villages: usize = std::env::var("PAGE_BENCH_VILLAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let cfg = SimConfig {
        towns,
        villages,
        grids: 5,
        workers_per_grid: 3,
        ..SimConfig::default()
    };
    let tree = fieldgrid_sim::county(&cfg);
    let workers = tree
        .staff
        .iter()
        .filter(|s| s.id.starts_with("worker-") || s.id.contains("-pt"))
        .count();
    println!(
        "# the county: {} towns, {} grids, {} staff ({} grid workers)",
        towns,
        tree.grids.len(),
        tree.staff.len(),
        workers
    );
    let url = fieldgrid_tests::pg::fresh_database().await;
    let storage: Arc<dyn Storage> = Arc::new(PostgresStorage::connect(&url, 8).await?);
    let data = tempfile::Builder::new().prefix("page-bench-").tempdir_in(
        std::env::var("PAGE_BENCH_DIR")
            .unwrap_or_else(|_| std::env::temp_dir().display().to_string()),
    )?;
    let blobs = Arc::new(FsBlobStore::new(data.path().join("blobs"))?);
    let state = AppState::new(storage.clone(), blobs, Settings::default());
    fieldgrid_server::admin::publish(&state, &tree).await?;
    fieldgrid_server::admin::publish(&state, &default_catalogue()).await?;
    fieldgrid_server::admin::publish(&state, &default_form_pack()).await?;
    let started = Instant::now();
    let made = make_county(storage.clone(), &tree).await?;
    let make_s = started.elapsed().as_secs_f64();
    fieldgrid_server::demo::publish_knowledge(&state)
        .await
        .map_err(|e| e.to_string())?;
    let stats = storage.stats().await?;
    let expected = made.households + made.persons + made.incidents;
    assert_eq!(made.saved, expected, "every document made was saved");
    assert_eq!(
        stats.documents as usize, expected,
        "storage holds every document made"
    );
    println!(
        "# made in {make_s:.0} s: {} households, {} persons, {} incidents ({} documents in storage, sequence at {})",
        made.households, made.persons, made.incidents, stats.documents, stats.last_seq
    );

    let binary = std::env::current_exe()?.with_file_name("fieldgrid-server");
    let mut logins = Vec::new();
    for (town, hs) in &made.households_of {
        let user = format!("town{}", &town[6..9]);
        logins.push((user, supervisor_of(town), town.clone(), hs.clone()));
    }
    let all_households: Vec<String> = made.households_of.values().flatten().cloned().collect();
    logins.push((
        "county".into(),
        "county-sup-donghai".into(),
        String::new(),
        all_households,
    ));

    println!();
    println!(
        "| instances | supervisors | page | p50 ms | p95 ms | answered | refused or timed out |\n|---|---|---|---|---|---|---|"
    );
    let mut summary = Vec::new();
    for instances in [1usize, 2] {
        let mut servers = Vec::new();
        let mut first_fill = Vec::new();
        for n in 0..instances {
            let dir = data.path().join(format!("i{instances}-{n}"));
            std::fs::create_dir_all(&dir)?;
            let s = Server::start(&binary, &dir, Some(&url))?;
            if n == 0 {
                for (user, staff, ..) in &logins {
                    s.web_user(user, staff, PASSWORD)?;
                }
            }
            let (secs, _) = first_page(&s.url, &logins[0].0).await;
            first_fill.push(secs);
            servers.push(s);
        }
        // A restart: the first instance stops and starts again on its kept read model.
        let dir = servers[0].dir.clone();
        servers[0].kill();
        let s = Server::start(&binary, &dir, Some(&url))?;
        let (restart_s, _) = first_page(&s.url, &logins[0].0).await;
        servers[0] = s;
        let mut people = Vec::new();
        for (k, (user, _, town, households)) in logins.iter().enumerate() {
            for (n, server) in servers.iter().enumerate() {
                let (cookie, csrf) = sign_in(&server.url, user, PASSWORD).await;
                let incidents: Vec<String> = if town.is_empty() {
                    made.incidents_of.values().flatten().cloned().collect()
                } else {
                    made.incidents_of[town].clone()
                };
                people.push(Signed {
                    base: server.url.clone(),
                    cookie,
                    csrf,
                    households: households.clone(),
                    incidents,
                    name: fieldgrid_core::org::demo::demo_name(k * 331 + n),
                });
            }
        }
        let people = Arc::new(people);
        for n in [1usize, 20] {
            let (timings, failed, asked) = measure(people.clone(), n).await?;
            assert_eq!(
                asked,
                n * rounds(n) * PAGES.len(),
                "every page asked came back, answered or refused"
            );
            let mut worst: f64 = 0.0;
            for page in PAGES {
                let v = timings.get(page).cloned().unwrap_or_default();
                let p95 = pct(&v, 0.95);
                let fails = failed.get(page).copied().unwrap_or(0);
                worst = worst.max(if fails > 0 { f64::INFINITY } else { p95 });
                println!(
                    "| {instances} | {n} | {page} | {:.0} | {p95:.0} | {} | {fails} |",
                    pct(&v, 0.5),
                    v.len()
                );
            }
            summary.push(format!(
                "{instances} instance(s), {n} supervisor(s): worst page p95 {worst:.0} ms"
            ));
        }
        for (n, s) in servers.iter().enumerate() {
            summary.push(format!(
                "{instances} instance(s), instance {n}: first page on an empty read model {:.1} s, peak memory {:.0} MB, read model {:.0} MB on disk",
                first_fill[n],
                peak_mb(s.child.id()),
                dir_mb(&s.dir.join("read-model"))
            ));
        }
        summary.push(format!(
            "{instances} instance(s): first page after a restart {restart_s:.2} s"
        ));
        for mut s in servers {
            s.kill();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!();
    for line in summary {
        println!("- {line}");
    }
    Ok(())
}
