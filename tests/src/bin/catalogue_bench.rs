//! The catalogue benchmark. A county's catalogue of 11 first-level, 79
//! second-level and 1,603 third-level categories (灌南's size) is published as an
//! XLSX sheet and as a CSV sheet through the real admin API over loopback, a
//! phone receives it by sync, and the phone's category picker is searched as a
//! cadre types: each Chinese name character by character and each name's pinyin
//! initials letter by letter. Prints a table of medians and 90th percentiles and
//! the counts on both sides.
//!
//! `cargo run --release -p fieldgrid-tests --bin catalogue-bench`

use std::time::{Duration, Instant};

use fieldgrid_core::incident::catalogue_rows::generated_rows;
use fieldgrid_core::incident::category_search::initials;
use fieldgrid_core::incident::{CATALOGUE_HEADERS, Catalogue};
use fieldgrid_core::org::demo;
use fieldgrid_tests::{Backend, Device, TestServer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const FIRST: usize = 11;
const SECOND: usize = 79;
const THIRD: usize = 1603;
const PUBLISHES: usize = 9;

fn median_p90(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 9 / 10).min(times.len() - 1)]),
    )
}

fn xlsx(rows: &[fieldgrid_core::incident::CatalogueRow]) -> Result<Vec<u8>, BoxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in CATALOGUE_HEADERS.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.cells().iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, *cell)?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

fn csv(rows: &[fieldgrid_core::incident::CatalogueRow]) -> Vec<u8> {
    let mut text = CATALOGUE_HEADERS.join(",");
    text.push('\n');
    for row in rows {
        text.push_str(&row.cells().join(","));
        text.push('\n');
    }
    text.into_bytes()
}

fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> Result<(), BoxError> {
    let server = TestServer::start(Backend::Sqlite).await;
    let rows = generated_rows(FIRST, SECOND, THIRD);
    let files = [("XLSX", xlsx(&rows)?), ("CSV", csv(&rows))];
    let client = reqwest::Client::new();
    let mut table = Vec::new();
    let mut version = 100;
    for (format, bytes) in &files {
        let mut times = Vec::new();
        for _ in 0..PUBLISHES {
            version += 1;
            let started = Instant::now();
            let response = client
                .put(format!(
                    "{}/v1/admin/reference/catalogue?version={version}",
                    server.url
                ))
                .bearer_auth(&server.admin_token)
                .body(bytes.clone())
                .send()
                .await?;
            times.push(started.elapsed());
            assert_eq!(
                response.status().as_u16(),
                204,
                "{}",
                response.text().await?
            );
        }
        let (_, body) = server.state.storage.reference("catalogue").await?.unwrap();
        let stored: Catalogue = serde_json::from_str(&body)?;
        assert_eq!(stored.version, version);
        assert_eq!(
            stored.counts(),
            [FIRST, SECOND, THIRD],
            "the server holds all of it"
        );
        let (median, p90) = median_p90(times);
        table.push((
            format!(
                "publish {} categories as {format} ({} KB) through the admin API",
                rows.len(),
                bytes.len() / 1024
            ),
            median,
            p90,
        ));
    }

    // A phone receives it by sync.
    let dir = tempfile::tempdir()?;
    let g = format!("{}001", demo::village_code(1));
    let phone = Device::worker(&server, dir.path(), "worker", &g).await;
    let started = Instant::now();
    phone.sync().await?;
    let sync_time = started.elapsed();
    let held = phone
        .store
        .catalogue()?
        .expect("the phone holds the catalogue");
    assert_eq!(
        held.counts(),
        [FIRST, SECOND, THIRD],
        "the phone holds all of it"
    );
    assert_eq!(held.version, version);

    // The picker, keystroke by keystroke.
    let started = Instant::now();
    phone.store.search_categories("x", 20)?;
    let first_search = started.elapsed();
    let names: Vec<String> = held
        .all()
        .iter()
        .filter(|(level, _)| *level == 3)
        .step_by(THIRD / 40)
        .map(|(_, c)| c.name.clone())
        .collect();
    let (mut by_name, mut by_initials) = (Vec::new(), Vec::new());
    let mut found = 0;
    for name in &names {
        let chars: Vec<char> = name.chars().collect();
        for n in 1..=chars.len() {
            let typed: String = chars[..n].iter().collect();
            let started = Instant::now();
            let hits = phone.store.search_categories(&typed, 20)?;
            by_name.push(started.elapsed());
            if n == chars.len() && hits.iter().any(|h| &h.name == name) {
                found += 1;
            }
        }
        let letters = initials(name);
        for n in 1..=letters.len() {
            let started = Instant::now();
            phone.store.search_categories(&letters[..n], 20)?;
            by_initials.push(started.elapsed());
        }
    }
    assert_eq!(found, names.len(), "every typed name finds its category");

    println!(
        "\ncatalogue: {} rows sent; the server and the phone each hold {FIRST} + {SECOND} + {THIRD} categories (version {version})\n",
        rows.len()
    );
    println!("| operation | median | p90 |\n|---|---|---|");
    for (what, median, p90) in table {
        println!("| {what} | {median:.1} ms | {p90:.1} ms |");
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| the phone's sync receiving it (with its first sync) | {:.1} ms | |",
        ms(sync_time)
    );
    println!(
        "| the picker's first search (builds its index) | {:.2} ms | |",
        ms(first_search)
    );
    let (median, p90) = median_p90(by_name.clone());
    println!(
        "| picker search per keystroke, Chinese ({} keystrokes over {} names) | {median:.3} ms | {p90:.3} ms |",
        by_name.len(),
        names.len()
    );
    let (median, p90) = median_p90(by_initials.clone());
    println!(
        "| picker search per keystroke, pinyin initials ({} keystrokes) | {median:.3} ms | {p90:.3} ms |",
        by_initials.len()
    );
    server.stop().await;
    Ok(())
}
