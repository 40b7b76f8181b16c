//! Fills a server data directory with a county-sized day for the map benchmark:
//! an org tree of N grids (default 1,500) and M workers (default 4,000), and one
//! patrol per worker today, written the way phones write them (a real `FieldStore`
//! patrol, sealed track chunks, the patrol log merged into the storage).
//!
//! `cargo run --release -p fieldgrid-tests --bin map-load -- DATA_DIR [GRIDS] [WORKERS] [FIXES]`

use std::sync::Arc;

use fieldgrid_core::org::{OrgTree, Role, RoleAssignment, Scope, StaffMember};
use fieldgrid_core::patrol::codec::check_chunk;
use fieldgrid_core::patrol::{Fix, Provider, TravelMode};
use fieldgrid_core::records::RecordKind;
use fieldgrid_core::{FieldStore, merge_document};
use fieldgrid_server::storage::{DocumentSave, SqliteStorage, Storage, TrackChunk};
use fieldgrid_server::{AppState, Settings, admin, blobs::FsBlobStore};
use fieldgrid_sim::{SimConfig, county};

/// The simulator's county with `grids` grids (10 per village, 3 villages per town)
/// and `workers` grid workers spread over them.
fn tree(grids: usize, workers: usize) -> OrgTree {
    let cfg = SimConfig {
        towns: grids.div_ceil(30),
        villages: 3,
        grids: 10,
        ..SimConfig::default()
    };
    let mut tree = county(&cfg);
    tree.grids.truncate(grids);
    let codes: Vec<String> = tree.grids.iter().map(|g| g.code.clone()).collect();
    tree.staff.retain(|s| {
        !s.id.starts_with("worker-")
            && !s.id.starts_with("chief-")
            && !s.id.starts_with("inspector-")
    });
    tree.staff.extend((0..workers).map(|k| StaffMember {
        id: format!("worker-{k:05}"),
        name: format!("网格员{k}"),
        roles: vec![RoleAssignment {
            role: Role::FullTimeGridWorker,
            scope: Scope::Grid(codes[k % codes.len()].clone()),
        }],
    }));
    tree
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(
        args.get(1)
            .ok_or("usage: map-load DATA_DIR [GRIDS] [WORKERS] [FIXES]")?,
    );
    let grids: usize = args.get(2).map_or(Ok(1500), |a| a.parse())?;
    let workers: usize = args.get(3).map_or(Ok(4000), |a| a.parse())?;
    let fixes: usize = args.get(4).map_or(Ok(360), |a| a.parse())?;
    std::fs::create_dir_all(&dir)?;
    let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open(dir.join("server.sqlite"))?);
    let state = AppState::new(
        storage.clone(),
        Arc::new(FsBlobStore::new(dir.join("blobs"))?),
        Settings::default(),
    );
    let t = tree(grids, workers);
    admin::publish(&state, &t).await?;
    fieldgrid_server::web::create_web_user(
        &state,
        "anfeng",
        "anfeng-demo",
        "supervisor",
        "admin-donghai", // the county command centre sees all 1,500 grids
    )
    .await?;

    let scratch = tempfile::tempdir()?;
    let phone = FieldStore::open(scratch.path().join("phones.sqlite"))?;
    phone.import_org_tree(&t)?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let start = now_ms - (fixes as i64) * 10_000 - 60_000;
    let started = std::time::Instant::now();
    for k in 0..workers {
        let worker = format!("worker-{k:05}");
        let grid = &t.grids[k % t.grids.len()];
        let [w, s] = grid.boundary[0][0];
        phone.sign_in(&worker);
        let patrol = phone.start_patrol(&grid.code, "日常巡查", TravelMode::Walking)?;
        // A lawnmower walk over the grid at ~1.3 m/s, one fix every 10 s.
        let track: Vec<Fix> = (0..fixes)
            .map(|i| {
                let leg = (i / 30) as f64;
                let along = (i % 30) as f64 / 30.0;
                let along = if (i / 30) % 2 == 0 {
                    along
                } else {
                    1.0 - along
                };
                Fix {
                    time_ms: start + i as i64 * 10_000,
                    lat: s + 0.001 + leg * 0.0007,
                    lon: w + 0.001 + along * 0.008 + (k % 7) as f64 * 0.00001,
                    accuracy_m: 8.0,
                    altitude_m: None,
                    speed_mps: None,
                    bearing_deg: None,
                    provider: Provider::Gps,
                    mock: false,
                }
            })
            .collect();
        phone.ingest_fixes(&patrol, &track)?;
        phone.stop_patrol(&patrol)?;
        let bytes = phone.changes_since(&patrol, &[])?;
        let merged = merge_document(RecordKind::PatrolLog, &patrol, None, &bytes)?;
        storage
            .save_document(&DocumentSave {
                doc_id: &patrol,
                kind: RecordKind::PatrolLog,
                expected_version: None,
                previous_grid: None,
                merged: &merged,
                origin_device: "map-load",
                at: now_ms / 1000,
            })
            .await?;
        for chunk in phone.pending_track_chunks(1000)? {
            let summary = check_chunk(&chunk.bytes)?;
            storage
                .put_track_chunk(&TrackChunk {
                    patrol: patrol.clone(),
                    chunk: chunk.chunk,
                    worker_id: worker.clone(),
                    grid_code: grid.code.clone(),
                    day: fieldgrid_core::patrol::export::iso8601(summary.first_ms + 8 * 3_600_000)
                        [..10]
                        .to_owned(),
                    first_seq: summary.first_seq,
                    fixes: summary.fixes,
                    first_ms: summary.first_ms,
                    last_ms: summary.last_ms,
                    hash: blake3::hash(&chunk.bytes).to_hex().to_string(),
                    bytes: chunk.bytes.clone(),
                    received_at: now_ms / 1000,
                    clock_backwards: 0,
                    clock_skew_ms: 0,
                })
                .await?;
            phone.mark_track_chunk_uploaded(&patrol, chunk.chunk)?;
        }
    }
    println!(
        "{} grids, {workers} workers, one patrol of {fixes} fixes each, written in {:.1} s",
        t.grids.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
