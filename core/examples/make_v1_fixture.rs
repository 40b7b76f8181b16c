//! Writes `core/tests/fixtures/schema_v1.sqlite`: a store as the first schema
//! version left it (documents and query tables, no org tree, no search index), with
//! one household written the way that version wrote it. The migration test upgrades
//! a copy and compares it with a fresh store. Run once; the file is committed.
//!
//! `cargo run -p fieldgrid-core --example make_v1_fixture`

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT};
use rusqlite::{Connection, params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema_v1.sqlite");
    let _ = std::fs::remove_file(&path);
    let conn = Connection::open(&path)?;
    conn.execute_batch(include_str!("../migrations/001_documents.sql"))?;
    conn.execute_batch("PRAGMA user_version = 1; PRAGMA application_id = 1179079236;")?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('device_id', ?1)",
        ["0f0e0d0c0b0a09080706050403020100"],
    )?;

    let mut doc = AutoCommit::new().with_actor(ActorId::from(vec![7u8; 24]));
    doc.put(ROOT, "grid_code", "320722104201001")?;
    doc.put(ROOT, "address", "安峰镇安峰村12号")?;
    doc.put(ROOT, "head_name", "刘凤")?;
    doc.put(ROOT, "status", "active")?;
    doc.put_object(ROOT, "members", ObjType::List)?;
    let fields = doc.put_object(ROOT, "fields", ObjType::Map)?;
    doc.put(&fields, "basic.house_type", "砖混")?;
    doc.put(&fields, "income.annual_total", 48_000_i64)?;
    doc.commit_with(
        CommitOptions::default()
            .with_message("by:cadre-liu")
            .with_time(1_700_000_000),
    );
    let heads: Vec<u8> = doc.get_heads().iter().flat_map(|h| h.0).collect();
    conn.execute(
        "INSERT INTO documents (doc_id, kind, grid_code, title, snapshot, heads, created_at, updated_at)
         VALUES ('0190c7a2-0000-7000-8000-000000000001', 'household', '320722104201001',
                 '刘凤 · 安峰镇安峰村12号', ?1, ?2, 1700000000, 1700000000)",
        params![doc.save(), heads],
    )?;
    conn.execute(
        "INSERT INTO households (doc, grid_code, address, head_name, door_plate, status, member_count)
         VALUES (last_insert_rowid(), '320722104201001', '安峰镇安峰村12号', '刘凤', NULL, 'active', 0)",
        [],
    )?;
    drop(conn);
    println!("wrote {}", path.display());
    Ok(())
}
