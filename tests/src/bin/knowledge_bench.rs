//! The knowledge-base benchmark. The county's whole set (5,100 entries and 196
//! grid tasks from `fieldgrid_sim::knowledge`) is published as its workbook
//! through the real admin API over loopback; a new phone downloads it by sync
//! through a byte-counting proxy; 50 entries are edited and 10 retired and the
//! phone takes the delta; the phone's search is timed over a set of queries a
//! grid worker types, each many times. Prints a table: publish, first download
//! and delta (time, bytes, items on both sides), the phone's storage for the
//! set, and search p50/p90/p99 (goal: p90 under 5 ms).
//!
//! `cargo run --release -p fieldgrid-tests --bin knowledge-bench`

use std::time::{Duration, Instant};

use fieldgrid_core::FieldStore;
use fieldgrid_core::knowledge::sheet::{ENTRY_HEADERS, cells};
use fieldgrid_core::knowledge::views::KnowledgeFilter;
use fieldgrid_core::knowledge::{EntryKind, Item};
use fieldgrid_core::protocol::{self, KnowledgePage};
use fieldgrid_sim::knowledge::{ENTRIES, TASKS, generate};
use fieldgrid_tests::proxy::FaultProxy;
use fieldgrid_tests::{Backend, Device, TestServer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a grid worker types: two-character terms, names of services and
/// departments, Han with digits, a question.
const QUERIES: [&str; 20] = [
    "低保",
    "医保",
    "残疾人证",
    "宅基地",
    "80周岁",
    "12345",
    "秸秆禁烧",
    "民政局",
    "网格员",
    "办理时限",
    "户口",
    "2026年",
    "燃气",
    "家庭暴力",
    "不动产登记",
    "退役军人",
    "需要带哪些材料",
    "怎么办",
    "补贴",
    "消防通道",
];
/// Runs of each query.
const RUNS: usize = 200;

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1000.0
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

/// The bytes of a closed store's file and of its pages in use (less the free
/// pages a finished download's staging left for reuse).
fn store_bytes(path: &std::path::Path) -> Result<(u64, u64), BoxError> {
    let file = std::fs::metadata(path)?.len();
    let c = rusqlite::Connection::open(path)?;
    let pragma = |p: &str| c.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0));
    let used = (pragma("page_count")? - pragma("freelist_count")?) * pragma("page_size")?;
    Ok((file, used as u64))
}

async fn bench() -> Result<(), BoxError> {
    let server = TestServer::start(Backend::Sqlite).await;
    let set = generate(ENTRIES, TASKS);
    let items: Vec<Item> = set
        .entries
        .iter()
        .cloned()
        .map(Item::Entry)
        .chain(set.tasks.iter().cloned().map(Item::Task))
        .collect();
    let total = items.len() as u64;
    let workbook = fieldgrid_server::knowledge_sheet::workbook(&items)?;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let r = http
        .put(format!("{}/v1/admin/knowledge", server.url))
        .bearer_auth(&server.admin_token)
        .body(workbook.clone())
        .send()
        .await?;
    let publish = started.elapsed();
    let answer: serde_json::Value = r.json().await?;
    assert_eq!(answer["added"], total, "{answer}");
    let held = server.state.storage.knowledge_latest().await?.len() as u64;
    assert_eq!(held, total, "the server holds every item");

    // A new phone's first sync, through a proxy counting the bytes.
    let dir = tempfile::tempdir()?;
    let proxy = FaultProxy::start(server.addr, 1).await;
    let grid = "320722104201001";
    let phone = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "bench",
        &format!("worker-{grid}"),
    )
    .await;
    let before = proxy.counters.bytes();
    let started = Instant::now();
    let first = phone.sync().await?;
    let first_time = started.elapsed();
    let first_bytes = proxy.counters.bytes() - before;
    assert_eq!(
        first.knowledge_items, total,
        "the phone received every item"
    );
    let status = phone.store.knowledge_status()?;
    assert_eq!(
        (status.entries, status.tasks),
        (ENTRIES as u64, TASKS as u64),
        "the phone holds every item"
    );

    // The phone's storage for the set: a store holding only the set, against an
    // empty one.
    let (empty_path, full_path) = (
        dir.path().join("empty.sqlite"),
        dir.path().join("set.sqlite"),
    );
    drop(FieldStore::open(&empty_path)?);
    let store = FieldStore::open(&full_path)?;
    let (mut after, mut to) = (None::<String>, None::<u64>);
    let mut apply = Duration::ZERO;
    loop {
        let mut url = format!("{}/v1/knowledge?since=0&limit=500", server.url);
        if let Some(t) = to {
            url.push_str(&format!("&to={t}"));
        }
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let body = http
            .get(url)
            .bearer_auth(&phone.token)
            .send()
            .await?
            .bytes()
            .await?;
        let page: KnowledgePage = protocol::decode(&body)?;
        to = Some(page.to);
        let started = Instant::now();
        let done = store.take_knowledge_page(&page)?;
        apply += started.elapsed();
        match page.next {
            Some(n) if !done => after = Some(n),
            _ => break,
        }
    }
    assert_eq!(store.knowledge_status()?.entries, ENTRIES as u64);
    drop(store);
    let (empty_file, empty_used) = store_bytes(&empty_path)?;
    let (full_file, full_used) = store_bytes(&full_path)?;
    let (storage_file, storage) = (full_file - empty_file, full_used - empty_used);

    // 50 edits and 10 retirements, published; the phone takes the delta.
    let faq: Vec<_> = set
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Faq)
        .take(60)
        .cloned()
        .collect();
    let mut sheet = ENTRY_HEADERS.join(",");
    sheet.push('\n');
    for (n, e) in faq.iter().enumerate() {
        let mut e = e.clone();
        if n < 50 {
            e.body
                .push_str("\n- 2026年12月起，办理时限再压缩一个工作日。");
        } else {
            e.retired = true;
        }
        let row: Vec<String> = cells(&Item::Entry(e))
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        sheet.push_str(&row.join(","));
        sheet.push('\n');
    }
    let r = http
        .put(format!("{}/v1/admin/knowledge", server.url))
        .bearer_auth(&server.admin_token)
        .body(sheet)
        .send()
        .await?;
    let answer: serde_json::Value = r.json().await?;
    assert_eq!(
        (answer["changed"].as_u64(), answer["retired"].as_u64()),
        (Some(50), Some(10)),
        "{answer}"
    );
    let before = proxy.counters.bytes();
    let started = Instant::now();
    let delta = phone.sync().await?;
    let delta_time = started.elapsed();
    let delta_bytes = proxy.counters.bytes() - before;
    assert_eq!(delta.knowledge_items, 60, "the phone received the delta");
    assert_eq!(phone.store.knowledge_status()?.entries, ENTRIES as u64 - 10);

    // Search.
    let filter = KnowledgeFilter::default();
    let mut all = Vec::new();
    let mut rows = Vec::new();
    for q in QUERIES {
        let hits = phone.store.search_knowledge(q, &filter, 20)?;
        assert!(!hits.is_empty(), "{q} finds entries");
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let found = phone.store.search_knowledge(q, &filter, 20)?;
            times.push(started.elapsed());
            assert_eq!(found.len(), hits.len());
        }
        times.sort();
        rows.push((q, hits.len(), quantile(&times, 0.5), quantile(&times, 0.9)));
        all.extend(times);
    }
    all.sort();
    let (p50, p90, p99) = (
        quantile(&all, 0.5),
        quantile(&all, 0.9),
        quantile(&all, 0.99),
    );

    println!("| knowledge base ({ENTRIES} entries, {TASKS} tasks) | figure |");
    println!("|---|---|");
    println!(
        "| publish as XLSX ({} KB) through the admin API | {:.0} ms |",
        workbook.len() / 1024,
        publish.as_secs_f64() * 1000.0
    );
    println!(
        "| items sent / held by the server / received by the phone / held | {total} / {held} / {} / {} |",
        first.knowledge_items,
        status.entries + status.tasks
    );
    println!(
        "| new phone's first sync (everything on the wire, with the set) | {:.2} s, {} KB |",
        first_time.as_secs_f64(),
        first_bytes / 1024
    );
    println!(
        "| applying the set's pages on the phone | {:.0} ms |",
        apply.as_secs_f64() * 1000.0
    );
    println!(
        "| phone storage for the set: pages in use (file, with the staging freed for reuse) | {:.1} MB ({:.1} MB) |",
        storage as f64 / 1024.0 / 1024.0,
        storage_file as f64 / 1024.0 / 1024.0
    );
    println!(
        "| delta after 50 edits and 10 retirements: items, time, bytes | {} items, {:.0} ms, {} KB ({:.1}% of the first sync) |",
        delta.knowledge_items,
        delta_time.as_secs_f64() * 1000.0,
        delta_bytes / 1024,
        delta_bytes as f64 * 100.0 / first_bytes as f64
    );
    println!(
        "| search, {} queries x {RUNS} runs: p50 / p90 / p99 | {p50:.2} / {p90:.2} / {p99:.2} ms (goal p90 < 5 ms: {}) |",
        QUERIES.len(),
        if p90 < 5.0 { "met" } else { "NOT met" }
    );
    println!();
    println!("| query | hits (of 20) | p50 ms | p90 ms |");
    println!("|---|---|---|---|");
    for (q, n, a, b) in rows {
        println!("| {q} | {n} | {a:.2} | {b:.2} |");
    }
    drop(proxy);
    server.stop().await;
    Ok(())
}
