//! A township publishes its own category catalogue from the file it keeps (CSV
//! from Excel or WPS, in UTF-8 or GB18030, or XLSX), through the admin API and the
//! command line; a bad sheet is refused with every problem listed and nothing
//! published; phones receive the catalogue by sync, pick from it, and neither the
//! phone nor the server takes an unknown or retired category.

use fieldgrid_core::incident::{CATALOGUE_HEADERS, Catalogue, catalogue_rows::generated_rows};
use fieldgrid_core::org::demo;
use fieldgrid_core::records::Incident;
use fieldgrid_tests::{Backend, Device, TestServer};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn put(server: &TestServer, query: &str, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .put(format!(
            "{}/v1/admin/reference/catalogue{query}",
            server.url
        ))
        .bearer_auth(&server.admin_token)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn published(server: &TestServer) -> Catalogue {
    let (_, body) = server
        .state
        .storage
        .reference("catalogue")
        .await
        .unwrap()
        .unwrap();
    serde_json::from_str(&body).unwrap()
}

/// An XLSX sheet as Excel writes one: numbers as numbers, a date as a date.
fn xlsx(rows: &[Vec<String>], retire_row: Option<usize>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in CATALOGUE_HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            if (c == 3 || c == 4)
                && let Ok(n) = cell.parse::<f64>()
            {
                sheet.write_number(r, c as u16, n).unwrap();
            } else {
                sheet.write_string(r, c as u16, cell).unwrap();
            }
        }
        if retire_row == Some(r as usize - 1) {
            let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, 6, 1).unwrap();
            sheet.write_datetime_with_format(r, 7, &day, &date).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn publishing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let start = published(&server).await.version;

    // The shipped sheet, as Excel saves "CSV UTF-8" (with a byte-order mark).
    let mut csv = b"\xEF\xBB\xBF".to_vec();
    csv.extend_from_slice(include_bytes!("../../../core/forms/catalogue.csv"));
    assert_eq!(put(&server, "", csv).await.0, 204);
    let c = published(&server).await;
    assert_eq!((c.version, c.counts()), (start + 1, [11, 79, 304]));

    // The same sheet saved as plain "CSV" by WPS on a Chinese Windows: GB18030.
    let text = include_str!("../../../core/forms/catalogue.csv").replace("噪音扰民", "噪声扰民");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    assert_eq!(put(&server, "?version=40", gbk.into_owned()).await.0, 204);
    let c = published(&server).await;
    assert_eq!(c.version, 40);
    assert_eq!(c.find("dispute.neighbour.noise").unwrap().name, "噪声扰民");

    // A county's 11/79/1,603 catalogue as XLSX, one category retired by date.
    let rows: Vec<Vec<String>> = generated_rows(11, 79, 1603)
        .iter()
        .map(|r| r.cells().iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(put(&server, "", xlsx(&rows, Some(5))).await.0, 204);
    let c = published(&server).await;
    assert_eq!((c.version, c.counts()), (41, [11, 79, 1603]));
    assert_eq!(
        c.find(&rows[5][0]).unwrap().retired_on.as_deref(),
        Some("2025-06-01")
    );

    // A bad sheet: every problem listed with its row, nothing published.
    let bad = "编码,名称,上级编码,派遣时限(天),办结时限(天),默认等级\n\
               01,矛盾纠纷,,1,5,一般\n\
               0101,邻里纠纷,01\n\
               0101,又一个,01\n\
               0102,无上级,0188\n\
               02,环甲,03\n\
               03,环乙,02\n\
               0103,时限,01,0,x\n\
               0104,等级,01,,,特大\n";
    let (status, body) = put(&server, "", bad.as_bytes().to_vec()).await;
    assert_eq!(status, 400, "{body}");
    for expected in [
        "第 4 行：编码 0101 与第 3 行重复",
        "第 5 行（0102）：上级编码 0188 不在表中",
        "第 6 行（02）：上级编码成环：02 → 03 → 02",
        "第 8 行（0103）：派遣时限(天) \\\"0\\\" 应为 1 到 365 的整数",
        "第 9 行（0104）：默认等级 \\\"特大\\\" 应为 一般、较大 或 重大",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in {body}");
    }
    // Not a sheet at all, a sheet without its headers, a broken XLSX, an older
    // version, a stranger: each refused, nothing published.
    for (query, file, want) in [
        ("", b"\x00\x01binary".to_vec(), 400),
        ("", "名字,代码\n甲,1\n".as_bytes().to_vec(), 400),
        ("", b"PK\x03\x04 not really a zip".to_vec(), 400),
        (
            "?version=3",
            include_bytes!("../../../core/forms/catalogue.csv").to_vec(),
            409,
        ),
    ] {
        let (status, body) = put(&server, query, file).await;
        assert_eq!(status, want, "{body}");
    }
    let stranger = reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/catalogue", server.url))
        .bearer_auth("adm_not-a-token")
        .body(include_bytes!("../../../core/forms/catalogue.csv").to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status().as_u16(), 401);
    let huge = vec![b'a'; 64 * 1024 * 1024];
    let refused = reqwest::Client::new()
        .put(format!("{}/v1/admin/reference/catalogue", server.url))
        .bearer_auth(&server.admin_token)
        .body(huge)
        .send()
        .await;
    assert!(refused.map_or(true, |r| r.status().as_u16() == 413));
    assert_eq!(published(&server).await.version, 41);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_township_publishes_its_sheet_on_sqlite() {
    publishing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_township_publishes_its_sheet_on_postgres() {
    publishing(Backend::Postgres).await;
}

async fn categories_in_force(backend: Backend) {
    let server = TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", demo::village_code(1));
    let worker = Device::worker(&server, dir.path(), "worker", &g).await;
    worker.sync().await.unwrap();

    // The county retires 占道经营 from today and adds 流动摊贩 under 市容秩序.
    let today = fieldgrid_core::time::date_at(now()).to_string();
    let mut text = include_str!("../../../core/forms/catalogue.csv").replace(
        "urban.street.stalls,占道经营,urban.street,,,,,,",
        &format!("urban.street.stalls,占道经营,urban.street,,,,,{today},"),
    );
    text.push_str("urban.street.hawkers,流动摊贩,urban.street,,,,,,\n");
    assert_eq!(put(&server, "", text.into_bytes()).await.0, 204);
    worker.sync().await.unwrap();

    let picked = worker.store.search_categories("ldtf", 5).unwrap();
    assert_eq!(picked[0].code, "urban.street.hawkers");
    assert!(
        worker
            .store
            .search_categories("占道经营", 5)
            .unwrap()
            .iter()
            .all(|c| c.code != "urban.street.stalls")
    );
    let report = |category: &str| Incident {
        grid_code: g.clone(),
        category: category.into(),
        description: "集镇路口有流动摊点占道".into(),
        location: None,
        reporter_id: worker.staff_id.clone(),
        reported_at: now(),
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
    let refused = worker
        .store
        .report_incident(&report("urban.street.stalls"))
        .unwrap_err();
    assert!(refused.to_string().contains("起停用"), "{refused}");
    let kept = worker
        .store
        .report_incident(&report("urban.street.hawkers"))
        .unwrap();

    // An app that skips the phone's check (an old version, a hand-made request)
    // is refused by the server too, with the reason, and nothing is stored.
    let unknown = worker
        .store
        .create(&report("urban.street.nothing"))
        .unwrap();
    let retired = worker.store.create(&report("urban.street.stalls")).unwrap();
    worker.sync().await.unwrap();
    let rejections = worker.store.sync_rejections().unwrap();
    let reason = |id: &str| {
        rejections
            .iter()
            .find(|r| r.id == id)
            .map(|r| (r.code.clone(), r.reason.clone()))
    };
    assert_eq!(
        reason(&unknown),
        Some((
            "invalid_document".into(),
            "事件类别 urban.street.nothing 不在类别目录中".into()
        ))
    );
    assert!(reason(&retired).unwrap().1.contains("起停用"));
    assert_eq!(reason(&kept), None);
    let stored = server
        .state
        .storage
        .documents(&[unknown.clone(), retired.clone(), kept.clone()])
        .await
        .unwrap();
    assert_eq!(stored.keys().collect::<Vec<_>>(), vec![&kept]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_categories_in_force_are_taken_on_sqlite() {
    categories_in_force(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_categories_in_force_are_taken_on_postgres() {
    categories_in_force(Backend::Postgres).await;
}
