//! The knowledge base and the grid task list end to end: the county's whole set
//! (5,100 entries, 196 tasks) imported as its workbook and published; two
//! phones download it through a real server (one cut off mid-download, which
//! resumes and never shows half a set); the command centre edits 50 entries and
//! retires 10 on the pages (form and import), previews and publishes; the phones
//! take only the delta, search it and find the retired entries gone. An import
//! with every kind of mistake lists every problem and stores nothing; the export
//! reads back with calamine and imports unchanged.

use std::sync::atomic::Ordering;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use fieldgrid_core::knowledge::Item;
use fieldgrid_core::knowledge::sheet::{ENTRY_HEADERS, cells};
use fieldgrid_core::knowledge::views::KnowledgeFilter;
use fieldgrid_core::org::demo::COUNTY_ADMIN;
use fieldgrid_core::protocol::{self, KnowledgePage};
use fieldgrid_server::knowledge_sheet;
use fieldgrid_server::web::create_web_user;
use fieldgrid_sim::knowledge::{ENTRIES, TASKS, generate};
use fieldgrid_tests::proxy::{FaultProxy, Faults};
use fieldgrid_tests::web::{client, form, multipart, sign_in};
use fieldgrid_tests::{Backend, Device, TestServer};
use reqwest::StatusCode;

const GRID: &str = "320722104201001";
const TOTAL: u64 = (ENTRIES + TASKS) as u64;

fn all_items() -> Vec<Item> {
    let set = generate(ENTRIES, TASKS);
    set.entries
        .into_iter()
        .map(Item::Entry)
        .chain(set.tasks.into_iter().map(Item::Task))
        .collect()
}

async fn admin_import(server: &TestServer, bytes: Vec<u8>, publish: bool) -> reqwest::Response {
    reqwest::Client::new()
        .put(format!(
            "{}/v1/admin/knowledge?publish={publish}",
            server.url
        ))
        .bearer_auth(&server.admin_token)
        .body(bytes)
        .send()
        .await
        .unwrap()
}

/// Every page of a download as a phone fetches it (gzipped), through `proxy`:
/// (items, bytes on the wire both ways).
async fn fetch_all(proxy: &FaultProxy, token: &str, since: u64) -> (u64, u64) {
    let base = &proxy.url;
    let before = proxy.counters.bytes();
    let (mut items, mut after, mut to) = (0, None::<String>, None::<u64>);
    loop {
        let mut url = format!("{base}/v1/knowledge?since={since}&limit=500");
        if let Some(t) = to {
            url.push_str(&format!("&to={t}"));
        }
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let r = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.bytes().await.unwrap();
        let page: KnowledgePage = protocol::decode(&body).unwrap();
        items += page.items.len() as u64;
        to = Some(page.to);
        match page.next {
            Some(n) => after = Some(n),
            None => return (items, proxy.counters.bytes() - before),
        }
    }
}

fn titles(d: &Device, q: &str) -> Vec<String> {
    d.store
        .search_knowledge(q, &KnowledgeFilter::default(), 20)
        .unwrap()
        .into_iter()
        .map(|h| h.entry.title)
        .collect()
}

async fn published_set_reaches_phones_and_deltas_follow(backend: Backend) {
    let server = TestServer::start(backend).await;
    let items = all_items();
    let workbook = knowledge_sheet::workbook(&items).unwrap();
    let r = admin_import(&server, workbook.clone(), true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["added"], TOTAL);
    assert_eq!(answer["version"], 1);

    // Phone A downloads directly; phone B through a proxy that cuts it off after
    // its first page, in pages of 500.
    let dir = tempfile::tempdir().unwrap();
    let a = Device::worker(&server, dir.path(), "zs-a", GRID).await;
    let proxy = FaultProxy::start(server.addr, 21).await;
    let b = Device::enrol(
        &server,
        &proxy.url,
        dir.path(),
        "zs-b",
        &format!("worker-{GRID}"),
    )
    .await;
    let done = a.sync().await.unwrap();
    assert_eq!(done.knowledge_items, TOTAL);
    let status = a.store.knowledge_status().unwrap();
    assert_eq!(
        (status.version, status.entries, status.tasks),
        (Some(1), ENTRIES as u64, TASKS as u64)
    );
    let cut = std::sync::atomic::AtomicBool::new(false);
    let first = b
        .client
        .sync(&b.store, |p| {
            if p.knowledge_items > 0 && !cut.swap(true, Ordering::SeqCst) {
                proxy.set(Faults::offline());
            }
        })
        .await;
    assert!(first.is_err(), "the cut sync fails: {first:?}");
    let half = b.store.knowledge_status().unwrap();
    assert_eq!(
        (
            half.version,
            half.entries,
            half.downloading_to,
            half.download_fetched,
            half.download_total
        ),
        (None, 0, Some(1), 500, TOTAL),
        "half a download shows nothing"
    );
    assert!(titles(&b, "低保").is_empty());
    proxy.clear();
    let resumed = b.sync().await.unwrap();
    assert_eq!(
        resumed.knowledge_items,
        TOTAL - 500,
        "resumed, not restarted"
    );
    assert_eq!(b.store.knowledge_status().unwrap().entries, ENTRIES as u64);

    // Search on the phone: a two-character term, title matches first.
    let hits = a
        .store
        .search_knowledge("医保", &KnowledgeFilter::default(), 20)
        .unwrap();
    assert_eq!(hits.len(), 20);
    assert!(
        hits.iter()
            .all(|h| h.in_title && h.entry.title.contains("医保"))
    );
    // 低保 is how people say it; the guide carries it as a tag.
    assert!(titles(&a, "低保").contains(&"最低生活保障办理指南".to_owned()));
    let guidance = a.store.knowledge_guidance("service.assistance").unwrap();
    assert!(guidance.iter().any(|e| e.title == "最低生活保障办理指南"));
    let mine = a.store.my_grid_tasks().unwrap();
    assert!(mine.len() > 100, "{}", mine.len());
    assert!(mine.iter().all(|t| t.task.grid_kinds.is_empty()));

    // The command centre edits two entries through the form, 48 through an
    // import of the entry sheet, and retires ten there.
    create_web_user(
        &server.state,
        "xian",
        "correct horse",
        "supervisor",
        COUNTY_ADMIN,
    )
    .await
    .unwrap();
    let (cookie, csrf) = sign_in(&server.url, "xian", "correct horse").await;
    let http = client();
    let faq: Vec<&Item> = items
        .iter()
        .filter(
            |i| matches!(i, Item::Entry(e) if e.kind == fieldgrid_core::knowledge::EntryKind::Faq),
        )
        .collect();
    for (n, item) in faq.iter().take(2).enumerate() {
        let Item::Entry(e) = item else { unreachable!() };
        let body = format!(
            "{}\n# 补充说明\n- 第 {n} 次修订：请到镇为民服务中心咨询。",
            e.body
        );
        let r = http
            .post(format!(
                "{}/ui/knowledge/item/entry/{}/edit",
                server.url, e.id
            ))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("csrf", &csrf),
                ("title", &format!("{}（修订）", e.title)),
                ("kind", "faq"),
                ("department", &e.department),
                ("tags", &e.tags.join("、")),
                ("categories", &e.categories.join("、")),
                ("body", &body),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
    }
    let mut sheet = String::from("\u{feff}");
    sheet.push_str(&ENTRY_HEADERS.join(","));
    sheet.push('\n');
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for (n, item) in faq.iter().skip(2).take(58).enumerate() {
        let Item::Entry(e) = item else { unreachable!() };
        let mut e = e.clone();
        if n < 48 {
            e.body
                .push_str("\n- 2026年12月起，办理时限再压缩一个工作日。");
        } else {
            e.retired = true;
        }
        let row: Vec<String> = cells(&Item::Entry(e)).iter().map(|c| quote(c)).collect();
        sheet.push_str(&row.join(","));
        sheet.push('\n');
    }
    let (kind, body) = multipart(&[("csrf", &csrf)], Some(("file", sheet.as_bytes())));
    let r = http
        .post(format!("{}/ui/knowledge/import", server.url))
        .header("cookie", &cookie)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(
        page.contains("新增 0 项，修改 48 项，废止 10 项，未变 0 项"),
        "{page}"
    );
    let preview = http
        .get(format!("{}/ui/knowledge/preview", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("新增 0 项，修改 50 项，废止 10 项"),
        "{preview}"
    );
    let r = http
        .post(format!("{}/ui/knowledge/publish", server.url))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &csrf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.state.storage.knowledge_version().await.unwrap(), 2);

    // The delta against the full set, as a phone fetches them.
    let (full_items, full_bytes) = fetch_all(&proxy, &a.token, 0).await;
    let (delta_items, delta_bytes) = fetch_all(&proxy, &a.token, 1).await;
    assert_eq!((full_items, delta_items), (TOTAL, 60));
    println!(
        "knowledge download on the wire: full {full_items} items {full_bytes} B; delta {delta_items} items {delta_bytes} B ({:.2}% of full)",
        delta_bytes as f64 * 100.0 / full_bytes as f64
    );
    assert!(
        delta_bytes * 20 < full_bytes,
        "the delta is a small part of the set"
    );

    // Both phones take only the delta; the edits are found, the retired gone.
    for d in [&a, &b] {
        let done = d.sync().await.unwrap();
        assert_eq!(done.knowledge_items, 60);
        let status = d.store.knowledge_status().unwrap();
        assert_eq!(
            (status.version, status.entries),
            (Some(2), ENTRIES as u64 - 10)
        );
        let Item::Entry(edited) = faq[0] else {
            unreachable!()
        };
        let view = d.store.knowledge_entry(&edited.id).unwrap().unwrap();
        assert!(view.entry.title.ends_with("（修订）"));
        let admin_name = fieldgrid_core::org::demo::demo_county()
            .staff
            .into_iter()
            .find(|s| s.id == COUNTY_ADMIN)
            .unwrap()
            .name;
        assert_eq!(view.author, admin_name, "the phone names who changed it");
        assert_eq!(view.version, 2);
        for retired in faq.iter().skip(50).take(10) {
            assert!(d.store.knowledge_entry(retired.id()).unwrap().is_none());
            assert!(!titles(d, retired.title()).contains(&retired.title().to_owned()));
        }
        assert!(!titles(d, "压缩一个工作日").is_empty());
    }
    // The item page shows who changed what.
    let Item::Entry(edited) = faq[0] else {
        unreachable!()
    };
    let page = http
        .get(format!(
            "{}/ui/knowledge/item/entry/{}",
            server.url, edited.id
        ))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("第 2 版") && page.contains("修改（标题、正文）"),
        "{page}"
    );
    assert!(page.contains("管理员 test-admin"));
    drop(proxy);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_set_reaches_phones_and_deltas_follow_on_sqlite() {
    published_set_reaches_phones_and_deltas_follow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_set_reaches_phones_and_deltas_follow_on_postgres() {
    published_set_reaches_phones_and_deltas_follow(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_import_lists_every_problem_and_stores_nothing() {
    let server = TestServer::start(Backend::Sqlite).await;
    let big = "很长的正文。".repeat(4_000);
    let mut csv = String::from("编号,标题,类型,部门,正文\n");
    csv.push_str("ZS1,低保办理指南,办事指南,东海县民政局,见[[ZS9]]\n");
    csv.push_str("ZS1,重复编号,办事指南,东海县民政局,正文\n");
    csv.push_str("ZS2,,办事指南,东海县民政局,没有标题\n");
    csv.push_str(&format!("ZS3,太长,办事指南,东海县民政局,{big}\n"));
    csv.push_str("ZS4,类型不对,通知,东海县民政局,正文\n");
    let r = admin_import(&server, csv.clone().into_bytes(), true).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.unwrap();
    for want in [
        "知识条目第 3 行：编号 ZS1 与第 2 行重复",
        "知识条目第 4 行：缺少标题",
        "知识条目第 5 行：正文有 24000 字，超过 20000 字的上限",
        "知识条目第 6 行：类型“通知”应为",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    // Fixed rows leave the unknown link, which only the whole set shows.
    let fixed = "编号,标题,类型,部门,正文\nZS1,低保办理指南,办事指南,东海县民政局,见[[ZS9]]\n";
    let r = admin_import(&server, fixed.as_bytes().to_vec(), true).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("知识条目 ZS1：正文链接到不存在或已废止的条目：ZS9")
    );
    // A file that is no sheet at all, and a sheet without its columns.
    for (file, want) in [
        (b"\x00\x01garbage".to_vec(), "表头"),
        ("编号,名称\nA,B\n".as_bytes().to_vec(), "表头"),
        (b"PK\x03\x04broken".to_vec(), "无法读取 XLSX 文件"),
    ] {
        let r = admin_import(&server, file, true).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let text = r.text().await.unwrap();
        assert!(text.contains(want), "{text}");
    }
    // The same list on the page.
    create_web_user(
        &server.state,
        "xian",
        "correct horse",
        "supervisor",
        COUNTY_ADMIN,
    )
    .await
    .unwrap();
    let (cookie, csrf) = sign_in(&server.url, "xian", "correct horse").await;
    let (kind, body) = multipart(&[("csrf", &csrf)], Some(("file", csv.as_bytes())));
    let r = client()
        .post(format!("{}/ui/knowledge/import", server.url))
        .header("cookie", &cookie)
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("共 4 个问题"), "{page}");
    assert!(page.contains("编号 ZS1 与第 2 行重复"));
    // Nothing was stored.
    assert_eq!(server.state.storage.knowledge_version().await.unwrap(), 0);
    assert!(
        server
            .state
            .storage
            .knowledge_drafts()
            .await
            .unwrap()
            .is_empty()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_reads_back_and_imports_unchanged() {
    let server = TestServer::start(Backend::Sqlite).await;
    let items = all_items();
    let r = admin_import(&server, knowledge_sheet::workbook(&items).unwrap(), true).await;
    assert_eq!(r.status(), StatusCode::OK);
    create_web_user(
        &server.state,
        "sun",
        "correct horse",
        "supervisor",
        "sup-anfeng",
    )
    .await
    .unwrap();
    let (cookie, _) = sign_in(&server.url, "sun", "correct horse").await;
    let get = |path: &str| {
        client()
            .get(format!("{}{path}", server.url))
            .header("cookie", &cookie)
            .send()
    };
    let xlsx = get("/ui/export/knowledge.xlsx")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["知识条目", "网格事项"]);
    let entries = book.worksheet_range("知识条目").unwrap();
    assert_eq!(entries.height(), ENTRIES + 1);
    assert_eq!(
        entries
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ENTRY_HEADERS
    );
    let tasks = book.worksheet_range("网格事项").unwrap();
    assert_eq!(tasks.height(), TASKS + 1);
    // Reading it back changes nothing; nor does the CSV of either sheet.
    let r = admin_import(&server, xlsx.to_vec(), false).await;
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["unchanged"], TOTAL, "{answer}");
    for (path, n) in [
        ("/ui/export/knowledge-entries.csv", ENTRIES),
        ("/ui/export/knowledge-tasks.csv", TASKS),
    ] {
        let csv = get(path).await.unwrap().bytes().await.unwrap();
        let r = admin_import(&server, csv.to_vec(), false).await;
        let answer: serde_json::Value = r.json().await.unwrap();
        assert_eq!(answer["unchanged"], n as u64, "{path}: {answer}");
    }
    assert!(
        server
            .state
            .storage
            .knowledge_drafts()
            .await
            .unwrap()
            .is_empty()
    );
    // A town supervisor reads but does not edit.
    let page = get("/ui/knowledge").await.unwrap().text().await.unwrap();
    assert!(
        page.contains("知识条目 5100 条") && !page.contains("id=\"import\""),
        "{page}"
    );
    let r = get("/ui/knowledge/import").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.stop().await;
}
