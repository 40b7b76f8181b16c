//! One suite, run against both server storage backends (the embedded SQLite file
//! and a fresh PostgreSQL database): accounts, reference data, optimistic document
//! saves, the change sequence that phones' cursors follow, tracks, uploads, web
//! sessions and the rest of every store trait. Each case is its
//! own test on each backend (`sqlite::accounts`, `postgres::accounts`, …), on
//! fresh storage, so one failure hides no other.

use std::sync::Arc;

use fieldgrid_core::assessment::PatrolBrief;
use fieldgrid_core::records::{Household, RecordKind};
use fieldgrid_core::{FieldStore, MergeOutcome, merge_document};
use fieldgrid_server::storage::{
    ChunkOutcome, DeviceAccount, DeviceStatus, DocumentSave, SaveOutcome, Storage, TrackChunk,
    WebSession, WebUser,
};
use fieldgrid_tests::Backend;

const G1: &str = "320722104201001";
const G2: &str = "320722104202001";

fn account(id: &str, token: &str) -> DeviceAccount {
    DeviceAccount {
        id: id.into(),
        device_id: "00112233445566778899aabbccddeeff".into(),
        name: "刘凤".into(),
        id_number: "11010519491231002X".into(),
        phone: "13912345678".into(),
        token_hash: token.into(),
        status: DeviceStatus::Pending,
        staff_id: None,
        reason: None,
        created_at: 1_700_000_000,
        last_sync_at: None,
    }
}

/// A household document and a later edit of it, as phones make them.
fn household(dir: &std::path::Path, grid: &str) -> (String, MergeOutcome, Vec<u8>) {
    let store = FieldStore::open(dir.join(format!("{}.sqlite", uuid::Uuid::new_v4()))).unwrap();
    store.sign_in("u");
    let id = store
        .create(&Household::new(grid, "安峰村1号", "刘凤"))
        .unwrap();
    let first = store.changes_since(&id, &[]).unwrap();
    let heads = store.heads(&id).unwrap();
    store
        .update::<Household>(&id, |h| h.head_name = "刘凤英".into())
        .unwrap();
    let edit = store.changes_since(&id, &heads).unwrap();
    let merged = merge_document(RecordKind::Household, &id, None, &first).unwrap();
    (id, merged, edit)
}

fn save<'a>(
    id: &'a str,
    expected: Option<i64>,
    previous: Option<&'a str>,
    m: &'a MergeOutcome,
    origin: &'a str,
) -> DocumentSave<'a> {
    DocumentSave {
        doc_id: id,
        kind: RecordKind::Household,
        expected_version: expected,
        previous_grid: previous,
        merged: m,
        origin_device: origin,
        at: 1_700_000_000,
    }
}

/// Fresh storage of `backend` in a temporary folder.
async fn open(backend: Backend) -> (Arc<dyn Storage>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s: Arc<dyn Storage> = backend.open(dir.path()).await;
    (s, dir)
}

/// A household saved, then edited from another device: version 2, sequence 2.
/// Returns its id and the edit's merge.
async fn saved_twice(s: &Arc<dyn Storage>, dir: &std::path::Path) -> (String, MergeOutcome) {
    let (id, merged, edit) = household(dir, G1);
    assert_eq!(
        s.save_document(&save(&id, None, None, &merged, "dev-a"))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    let stored = s.document(&id).await.unwrap().unwrap();
    let second = merge_document(RecordKind::Household, &id, Some(&stored.data), &edit).unwrap();
    assert_eq!(
        s.save_document(&save(&id, Some(1), Some(G1), &second, "dev-b"))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    (id, second)
}

async fn accounts(backend: Backend) {
    let (s, _dir) = open(backend).await;
    // Accounts.
    s.create_account(&account("r1", "hash-1")).await.unwrap();
    s.create_account(&account("r2", "hash-2")).await.unwrap();
    assert!(
        s.create_account(&account("r3", "hash-1")).await.is_err(),
        "token hashes are unique"
    );
    assert_eq!(
        s.account_by_token("hash-2").await.unwrap().unwrap().id,
        "r2"
    );
    assert!(s.account_by_token("nope").await.unwrap().is_none());
    assert!(
        s.set_account_status(
            "r1",
            DeviceStatus::Pending,
            DeviceStatus::Approved,
            Some("w-1"),
            None,
            5
        )
        .await
        .unwrap()
    );
    assert!(
        !s.set_account_status(
            "r1",
            DeviceStatus::Pending,
            DeviceStatus::Rejected,
            None,
            Some("x"),
            6
        )
        .await
        .unwrap()
    );
    let r1 = s.account("r1").await.unwrap().unwrap();
    assert_eq!(
        (r1.status, r1.staff_id.as_deref()),
        (DeviceStatus::Approved, Some("w-1"))
    );
    assert_eq!(r1.id_number, "11010519491231002X");
    assert_eq!(
        s.accounts(Some(DeviceStatus::Pending)).await.unwrap().len(),
        1
    );
    assert_eq!(s.accounts(None).await.unwrap().len(), 2);
    s.touch_account("r1", 99).await.unwrap();
    assert_eq!(
        s.account("r1").await.unwrap().unwrap().last_sync_at,
        Some(99)
    );
    s.create_admin("张主任", "adm-hash", 1).await.unwrap();
    assert_eq!(
        s.admin_by_token("adm-hash").await.unwrap().as_deref(),
        Some("张主任")
    );
    assert!(s.admin_by_token("hash-1").await.unwrap().is_none());
}

async fn reference_data(backend: Backend) {
    let (s, _dir) = open(backend).await;
    // Reference data.
    assert!(s.reference("org_tree").await.unwrap().is_none());
    s.put_reference("org_tree", 1, "{\"v\":1}").await.unwrap();
    s.put_reference("org_tree", 2, "{\"v\":2}").await.unwrap();
    assert_eq!(
        s.reference("org_tree").await.unwrap(),
        Some((2, "{\"v\":2}".into()))
    );
    assert_eq!(
        s.reference_versions().await.unwrap(),
        vec![("org_tree".to_owned(), 2)]
    );
}

async fn optimistic_saves(backend: Backend) {
    let (s, dir) = open(backend).await;
    // Documents: optimistic saves.
    assert_eq!(s.last_seq().await.unwrap(), 0);
    let (id, merged, edit) = household(dir.path(), G1);
    assert_eq!(
        s.save_document(&save(&id, None, None, &merged, "dev-a"))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(
        s.save_document(&save(&id, None, None, &merged, "dev-a"))
            .await
            .unwrap(),
        SaveOutcome::Conflict
    );
    let stored = s.document(&id).await.unwrap().unwrap();
    assert_eq!(
        (stored.kind, stored.grid_code.as_str(), stored.version),
        (RecordKind::Household, G1, 1)
    );
    let second = merge_document(RecordKind::Household, &id, Some(&stored.data), &edit).unwrap();
    assert_eq!(second.new_changes, 1);
    assert_eq!(
        s.save_document(&save(&id, Some(7), Some(G1), &second, "dev-b"))
            .await
            .unwrap(),
        SaveOutcome::Conflict
    );
    assert_eq!(
        s.save_document(&save(&id, Some(1), Some(G1), &second, "dev-b"))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    assert_eq!(s.document(&id).await.unwrap().unwrap().version, 2);
    assert_eq!(s.last_seq().await.unwrap(), 2);
}

async fn the_sequence_filters_and_replays(backend: Backend) {
    let (s, dir) = open(backend).await;
    let (id, _) = saved_twice(&s, dir.path()).await;
    // The sequence, filtered by grid, origin, range and count.
    let g1 = vec![G1.to_owned()];
    let all = s.changes_after(0, 2, &g1, "nobody", 10).await.unwrap();
    assert_eq!(all.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(
        s.changes_after(0, 2, &g1, "dev-a", 10).await.unwrap().len(),
        1,
        "own changes skipped"
    );
    assert_eq!(
        s.changes_after(1, 2, &g1, "nobody", 10).await.unwrap()[0].seq,
        2
    );
    assert_eq!(
        s.changes_after(0, 1, &g1, "nobody", 10)
            .await
            .unwrap()
            .len(),
        1,
        "bounded by upto"
    );
    assert_eq!(
        s.changes_after(0, 2, &g1, "nobody", 1).await.unwrap().len(),
        1,
        "bounded by limit"
    );
    assert!(
        s.changes_after(0, 2, &[G2.to_owned()], "nobody", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Rows replayed in order rebuild the document.
    let bytes: Vec<u8> = all.iter().flat_map(|r| r.bytes.clone()).collect();
    assert_eq!(
        merge_document(RecordKind::Household, &id, None, &bytes)
            .unwrap()
            .title,
        "刘凤英 · 安峰村1号"
    );
}

async fn a_record_moving_grids(backend: Backend) {
    let (s, dir) = open(backend).await;
    let (id, _) = saved_twice(&s, dir.path()).await;
    // A record moving grids appends its whole document for the new grid's readers.
    let store = FieldStore::open(dir.path().join("mover.sqlite")).unwrap();
    store.sign_in("u");
    store
        .apply_changes(
            RecordKind::Household,
            &id,
            &s.document(&id).await.unwrap().unwrap().data,
        )
        .unwrap();
    let h = store.heads(&id).unwrap();
    store
        .update::<Household>(&id, |x| x.grid_code = G2.into())
        .unwrap();
    let moved = merge_document(
        RecordKind::Household,
        &id,
        Some(&s.document(&id).await.unwrap().unwrap().data),
        &store.changes_since(&id, &h).unwrap(),
    )
    .unwrap();
    assert_eq!(
        s.save_document(&save(&id, Some(2), Some(G1), &moved, "dev-c"))
            .await
            .unwrap(),
        SaveOutcome::Saved
    );
    let for_g2 = s
        .changes_after(0, 3, &[G2.to_owned()], "nobody", 10)
        .await
        .unwrap();
    assert_eq!(for_g2.len(), 1);
    let fresh = merge_document(RecordKind::Household, &id, None, &for_g2[0].bytes).unwrap();
    assert_eq!(
        fresh.grid_code, G2,
        "a reader of the new grid gets the whole record"
    );
}

async fn pages_by_grid(backend: Backend) {
    let (s, dir) = open(backend).await;
    let g1 = vec![G1.to_owned()];
    let mut ids = Vec::new();
    for _ in 0..6 {
        let (i, m, _) = household(dir.path(), G2);
        s.save_document(&save(&i, None, None, &m, "dev-a"))
            .await
            .unwrap();
        ids.push(i);
    }
    ids.sort();
    let g2 = vec![G2.to_owned()];
    let page1 = s.documents_page(&g2, "", 4).await.unwrap();
    let page2 = s
        .documents_page(&g2, &page1.last().unwrap().doc_id, 4)
        .await
        .unwrap();
    let paged: Vec<_> = page1
        .iter()
        .chain(&page2)
        .map(|d| d.doc_id.clone())
        .collect();
    assert_eq!(paged, ids);
    assert!(s.documents_page(&g1, "", 10).await.unwrap().is_empty());
}

async fn concurrent_saves_are_gap_free(backend: Backend) {
    let (s, dir) = open(backend).await;
    saved_twice(&s, dir.path()).await;
    let g1 = vec![G1.to_owned()];
    // Concurrent saves: sequence numbers stay unique and gap-free.
    let before = s.last_seq().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (i, m, _) = household(dir.path(), G1);
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.save_document(&save(&i, None, None, &m, "dev-x"))
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), SaveOutcome::Saved);
    }
    let after = s.last_seq().await.unwrap();
    let rows = s
        .changes_after(before, after, &g1, "nobody", 100)
        .await
        .unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, ((before + 1)..=after).collect::<Vec<_>>());
    assert_eq!(seqs.len(), 16);
}

async fn a_batch_with_one_conflict(backend: Backend) {
    let (s, dir) = open(backend).await;
    let (id, second) = saved_twice(&s, dir.path()).await;
    // A batch: one save conflicts, the others land, in one transaction.
    let (b1, m1, _) = household(dir.path(), G1);
    let (b2, m2, _) = household(dir.path(), G1);
    let stale_version = s.document(&id).await.unwrap().unwrap().version - 1;
    let seq0 = s.last_seq().await.unwrap();
    let outcomes = s
        .save_documents(&[
            save(&b1, None, None, &m1, "dev-y"),
            save(&id, Some(stale_version), Some(G1), &second, "dev-y"),
            save(&b2, None, None, &m2, "dev-y"),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            SaveOutcome::Saved,
            SaveOutcome::Conflict,
            SaveOutcome::Saved
        ]
    );
    assert_eq!(s.last_seq().await.unwrap(), seq0 + 2);
    let found = s
        .documents(&[b1.clone(), b2.clone(), "missing".to_owned()])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[&b1].version, 1);

    let stats = s.stats().await.unwrap();
    assert_eq!(stats.documents, 3);
    assert_eq!(stats.last_seq, seq0 + 2);
}

/// Points adjustments: kept as written, per person and period, oldest first.
async fn point_adjustments_are_kept(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let adj = |staff: &str, at: i64, points: f64| fieldgrid_core::assessment::PointAdjustment {
        staff: staff.into(),
        at,
        points,
        reason: "重复上报，扣减".into(),
        by: "sup-anfeng".into(),
    };
    for a in [
        adj("w1", 100, -2.5),
        adj("w1", 200, 5.0),
        adj("w2", 150, 1.0),
    ] {
        s.add_point_adjustment(&a).await.unwrap();
    }
    assert_eq!(
        s.point_adjustments("w1", 0, 1000).await.unwrap(),
        vec![adj("w1", 100, -2.5), adj("w1", 200, 5.0)]
    );
    assert_eq!(
        s.point_adjustments("w1", 150, 1000).await.unwrap(),
        vec![adj("w1", 200, 5.0)]
    );
    assert_eq!(
        s.point_adjustments("w1", 0, 200).await.unwrap().len(),
        1,
        "the end is excluded"
    );
    assert!(s.point_adjustments("w3", 0, 1000).await.unwrap().is_empty());
}

/// Live positions: one per person, an older one never replaces a newer.
async fn live_positions_keep_the_latest(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let at = |staff: &str, at: i64, lat: i32| fieldgrid_server::storage::LivePosition {
        staff_id: staff.into(),
        grid_code: "320722104201001".into(),
        lat_e6: lat,
        lon_e6: 118_700_000,
        accuracy_m: 5,
        at,
    };
    s.put_position(&at("w1", 100, 34_500_000)).await.unwrap();
    s.put_position(&at("w1", 160, 34_500_100)).await.unwrap();
    s.put_position(&at("w1", 130, 34_400_000)).await.unwrap();
    s.put_position(&at("w2", 90, 34_600_000)).await.unwrap();
    assert_eq!(
        s.live_positions(0).await.unwrap(),
        vec![at("w1", 160, 34_500_100), at("w2", 90, 34_600_000)]
    );
    assert_eq!(
        s.live_positions(100).await.unwrap(),
        vec![at("w1", 160, 34_500_100)]
    );
}

/// News: counted per target after a number, the newest number for everyone,
/// old items pruned.
async fn news_counts_and_prunes(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let none: Vec<String> = Vec::new();
    assert_eq!(s.news_after(&none, 0).await.unwrap(), (0, 0));
    let item = |target: &str, at: i64| fieldgrid_server::storage::NewsItem {
        target: target.into(),
        incident_id: "i-1".into(),
        kind: "dispatched".into(),
        at,
    };
    s.add_news(&[
        item("unit:a", 100),
        item("unit:b", 100),
        item("centre:t", 200),
    ])
    .await
    .unwrap();
    s.add_news(&[]).await.unwrap();
    let a = vec!["unit:a".to_owned()];
    let (latest, count) = s.news_after(&a, 0).await.unwrap();
    assert_eq!(count, 1);
    assert!(latest >= 3, "{latest}");
    assert_eq!(s.news_after(&a, latest).await.unwrap(), (latest, 0));
    let both = vec![
        "unit:b".to_owned(),
        "centre:t".to_owned(),
        "unit:none".to_owned(),
    ];
    assert_eq!(s.news_after(&both, 0).await.unwrap().1, 2);
    assert_eq!(s.prune_news(150).await.unwrap(), 2);
    assert_eq!(s.news_after(&both, 0).await.unwrap().1, 1);
    assert_eq!(s.news_after(&a, 0).await.unwrap().1, 0);
}

/// Hotline keys (by hash, revocable) and intake references: the first claim of a
/// reference wins, a later or concurrent one answers the first's incident.
async fn intake_keys_and_references(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    s.create_intake_key("12345-donghai", "hash-a", 1)
        .await
        .unwrap();
    assert!(
        s.create_intake_key("12345-donghai", "hash-b", 2)
            .await
            .is_err(),
        "names are unique"
    );
    assert_eq!(
        s.intake_key_by_token("hash-a").await.unwrap().as_deref(),
        Some("12345-donghai")
    );
    assert_eq!(s.intake_key_by_token("hash-x").await.unwrap(), None);
    assert!(s.revoke_intake_key("12345-donghai", 3).await.unwrap());
    assert!(!s.revoke_intake_key("12345-donghai", 4).await.unwrap());
    assert_eq!(s.intake_key_by_token("hash-a").await.unwrap(), None);

    let claims: Vec<_> = (0..8)
        .map(|n| {
            let s = s.clone();
            tokio::spawn(async move {
                s.claim_intake_ref("ticket:k:T-1", &format!("inc-{n}"), 5)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut owners = std::collections::BTreeSet::new();
    for c in claims {
        owners.insert(c.await.unwrap());
    }
    assert_eq!(owners.len(), 1, "one claim wins: {owners:?}");
    let owner = owners.into_iter().next().unwrap();
    assert_eq!(
        s.intake_ref("ticket:k:T-1").await.unwrap(),
        Some(owner.clone())
    );
    assert_eq!(
        s.claim_intake_ref("ticket:k:T-1", "later", 6)
            .await
            .unwrap(),
        owner
    );
    s.drop_intake_ref("ticket:k:T-1").await.unwrap();
    assert_eq!(s.intake_ref("ticket:k:T-1").await.unwrap(), None);
}

/// Knowledge drafts publish as versions; a delta gives each item changed after a
/// version as it stood at the target, in pages; a publish on a moved version is
/// refused and changes nothing.
async fn knowledge_revisions_and_deltas(backend: Backend) {
    use fieldgrid_server::storage::{KnowledgeRow, StorageError};
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let draft = |id: &str, item: &str| KnowledgeRow {
        kind: "entry".into(),
        id: id.into(),
        version: 0,
        item: item.into(),
        author: "admin-donghai".into(),
        at: 100,
    };
    assert_eq!(s.knowledge_version().await.unwrap(), 0);
    assert_eq!(
        s.publish_knowledge(0, "a", 1).await.unwrap(),
        None,
        "nothing to publish"
    );
    s.put_knowledge_drafts(&[draft("A", "a1"), draft("B", "b1"), draft("C", "c1")])
        .await
        .unwrap();
    s.put_knowledge_drafts(&[draft("B", "b1'")]).await.unwrap();
    assert_eq!(s.knowledge_drafts().await.unwrap().len(), 3);
    assert_eq!(s.publish_knowledge(0, "pub", 10).await.unwrap(), Some(1));
    assert!(s.knowledge_drafts().await.unwrap().is_empty());
    s.put_knowledge_drafts(&[draft("B", "b2"), draft("D", "d2")])
        .await
        .unwrap();
    // A publish that expected another version changes nothing.
    assert!(matches!(
        s.publish_knowledge(0, "late", 11).await,
        Err(StorageError::Conflict(_))
    ));
    assert_eq!(s.knowledge_drafts().await.unwrap().len(), 2);
    assert_eq!(s.publish_knowledge(1, "pub", 20).await.unwrap(), Some(2));
    s.put_knowledge_drafts(&[draft("A", "a3")]).await.unwrap();
    assert_eq!(s.publish_knowledge(2, "pub", 30).await.unwrap(), Some(3));
    let items = |rows: Vec<KnowledgeRow>| {
        rows.into_iter()
            .map(|r| format!("{}@{}={}", r.id, r.version, r.item))
            .collect::<Vec<_>>()
    };
    // Since 0 up to 2: every item as it stood at 2 (A's version 3 is not seen).
    assert_eq!(
        items(s.knowledge_changes(0, 2, None, 10).await.unwrap()),
        ["A@1=a1", "B@2=b2", "C@1=c1", "D@2=d2"]
    );
    assert_eq!(s.knowledge_change_count(0, 2).await.unwrap(), 4);
    // Since 1 up to 3, in pages of one.
    let first = s.knowledge_changes(1, 3, None, 1).await.unwrap();
    assert_eq!(items(first), ["A@3=a3"]);
    let rest = s
        .knowledge_changes(1, 3, Some(("entry".into(), "A".into())), 10)
        .await
        .unwrap();
    assert_eq!(items(rest), ["B@2=b2", "D@2=d2"]);
    assert_eq!(s.knowledge_change_count(1, 3).await.unwrap(), 3);
    assert_eq!(
        items(s.knowledge_history("entry", "A").await.unwrap()),
        ["A@3=a3", "A@1=a1"]
    );
    assert_eq!(s.knowledge_latest().await.unwrap().len(), 4);
    let versions = s.knowledge_versions().await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.changed))
            .collect::<Vec<_>>(),
        [(3, 1), (2, 2), (1, 3)]
    );
    // The sync's reference versions say so.
    let refs = s.reference_versions().await.unwrap();
    assert!(refs.contains(&("knowledge".to_owned(), 3)), "{refs:?}");
    s.put_knowledge_drafts(&[draft("E", "e")]).await.unwrap();
    assert_eq!(
        s.discard_knowledge_drafts(Some(("entry", "E")))
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.discard_knowledge_drafts(None).await.unwrap(), 0);
}

/// Background work has one leader: on PostgreSQL a second ask (another instance's,
/// on another connection) is refused while the lead is held, other jobs are not
/// held up, and a released lead is taken again; the one SQLite instance always
/// leads.
async fn background_jobs_have_one_leader(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let first = s
        .try_lead("sweep")
        .await
        .unwrap()
        .expect("the first ask leads");
    let second = s.try_lead("sweep").await.unwrap();
    match backend {
        Backend::Postgres => assert!(second.is_none(), "two leaders"),
        Backend::Sqlite => assert!(second.is_some()),
    }
    if let Some(l) = second {
        l.release().await;
    }
    let other = s
        .try_lead("reports")
        .await
        .unwrap()
        .expect("another job is free");
    other.release().await;
    first.release().await;
    let again = s
        .try_lead("sweep")
        .await
        .unwrap()
        .expect("a released lead is taken again");
    again.release().await;
}

/// A database has one identity for good (a read model kept on an instance's
/// disk tells it from another database), and one-time jobs are noted once.
async fn identity_and_one_time_jobs(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let s = backend.open(dir.path()).await;
    let id = s.identity().await.unwrap();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(s.identity().await.unwrap(), id, "the same on every ask");
    let other_dir = tempfile::tempdir().unwrap();
    let other = backend.open(other_dir.path()).await;
    assert_ne!(
        other.identity().await.unwrap(),
        id,
        "another database, another identity"
    );
    if backend == Backend::Sqlite {
        drop(s);
        let reopened = backend.open(dir.path()).await;
        assert_eq!(
            reopened.identity().await.unwrap(),
            id,
            "kept across a restart"
        );
    }
    assert!(!other.job_done("backfill").await.unwrap());
    other.mark_job_done("backfill", 10).await.unwrap();
    other.mark_job_done("backfill", 20).await.unwrap();
    assert!(other.job_done("backfill").await.unwrap());
    assert!(!other.job_done("another").await.unwrap());
}

/// Each case as one test per backend.
async fn record_edits_by_day(backend: Backend) {
    let (s, dir) = open(backend).await;
    let (id, _) = saved_twice(&s, dir.path()).await;
    let today = fieldgrid_core::time::day_start_at(fieldgrid_core::time::now());
    // Both changes were "u"'s, today: one edit of the record by "u".
    let edits = s.record_edits(today, today + 86_400).await.unwrap();
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(
        (
            edits[0].record.as_str(),
            edits[0].kind,
            edits[0].grid.as_str(),
            edits[0].by.as_str()
        ),
        (id.as_str(), RecordKind::Household, G1, "u")
    );
    // A period that starts within today counts today's edits; one ending at
    // today's start does not.
    assert_eq!(
        s.record_edits(today + 3_600, today + 86_400)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.record_edits(today - 86_400, today)
            .await
            .unwrap()
            .is_empty()
    );
    // The one-time backfill's notes, idempotent, for a person stored before.
    let earlier = vec![("w2".to_owned(), today - 86_400), ("w3".to_owned(), today)];
    for _ in 0..2 {
        s.note_record_edits("p-old", RecordKind::Person, G2, &earlier)
            .await
            .unwrap();
    }
    let two_days = s
        .record_edits(today - 86_400, today + 86_400)
        .await
        .unwrap();
    let mut seen: Vec<(String, String)> = two_days
        .iter()
        .map(|e| (e.record.clone(), e.by.clone()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (id.clone(), "u".to_owned()),
            ("p-old".to_owned(), "w2".to_owned()),
            ("p-old".to_owned(), "w3".to_owned()),
        ]
    );
    assert!(
        two_days
            .iter()
            .filter(|e| e.record == "p-old")
            .all(|e| e.kind == RecordKind::Person && e.grid == G2)
    );
}

/// Chunk `n` of `patrol` by `worker`, fixes from `first_ms` for a minute.
fn chunk(patrol: &str, n: u64, worker: &str, first_ms: i64, bytes: &[u8]) -> TrackChunk {
    TrackChunk {
        patrol: patrol.into(),
        chunk: n,
        worker_id: worker.into(),
        grid_code: G1.into(),
        day: fieldgrid_core::time::date_at(first_ms / 1000).to_string(),
        first_seq: n * 60,
        fixes: 60,
        first_ms,
        last_ms: first_ms + 59_000,
        bytes: bytes.to_vec(),
        hash: blake3::hash(bytes).to_hex().to_string(),
        received_at: first_ms / 1000 + 120,
        clock_backwards: n,
        clock_skew_ms: 1_000 * n as i64,
    }
}

async fn tracks_and_briefs(backend: Backend) {
    let (s, _dir) = open(backend).await;
    // 2026-12-08 08:00 China time, in ms.
    let t0 = (fieldgrid_core::time::day_start("2026-12-08").unwrap() + 8 * 3_600) * 1000;
    let hour = 3_600_000;
    for (n, first) in [(0, t0), (1, t0 + 60_000), (2, t0 + 120_000)] {
        let c = chunk("p-morning", n, "w1", first, &[n as u8; 32]);
        assert_eq!(s.put_track_chunk(&c).await.unwrap(), ChunkOutcome::Stored);
    }
    // A retry is the same chunk; other bytes under the same number are a conflict.
    let again = chunk("p-morning", 1, "w1", t0 + 60_000, &[1; 32]);
    assert_eq!(
        s.put_track_chunk(&again).await.unwrap(),
        ChunkOutcome::AlreadyStored
    );
    let other = chunk("p-morning", 1, "w1", t0 + 60_000, &[9; 32]);
    assert_eq!(
        s.put_track_chunk(&other).await.unwrap(),
        ChunkOutcome::Conflict
    );
    s.put_track_chunk(&chunk("p-afternoon", 0, "w1", t0 + 6 * hour, &[7; 16]))
        .await
        .unwrap();
    s.put_track_chunk(&chunk("p-other", 0, "w2", t0 + hour, &[8; 16]))
        .await
        .unwrap();
    // Chunks in order, the largest clock findings, the worker's day.
    assert_eq!(
        s.track_chunks("p-morning").await.unwrap(),
        vec![vec![0u8; 32], vec![1u8; 32], vec![2u8; 32]]
    );
    assert_eq!(s.patrol_clock("p-morning").await.unwrap(), (2, 2_000));
    assert_eq!(
        s.worker_day_patrols("w1", "2026-12-08").await.unwrap(),
        ["p-morning", "p-afternoon"]
    );
    assert!(
        s.worker_day_patrols("w1", "2026-12-07")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.worker_patrols_between("w1", t0, t0 + 12 * hour, 10)
            .await
            .unwrap(),
        ["p-afternoon", "p-morning"],
        "latest first"
    );
    assert_eq!(
        s.worker_patrols_between("w1", t0, t0 + 12 * hour, 1)
            .await
            .unwrap(),
        ["p-afternoon"]
    );
    let between = s.patrols_between(t0, t0 + 2 * hour).await.unwrap();
    assert_eq!(
        between,
        [
            ("p-morning".to_owned(), "w1".to_owned()),
            ("p-other".to_owned(), "w2".to_owned())
        ]
    );
    let mut counts = s.patrol_chunk_counts(t0, t0 + 24 * hour).await.unwrap();
    counts.sort();
    assert_eq!(
        counts,
        [
            ("p-afternoon".to_owned(), "w1".to_owned(), G1.to_owned(), 1),
            ("p-morning".to_owned(), "w1".to_owned(), G1.to_owned(), 3),
            ("p-other".to_owned(), "w2".to_owned(), G1.to_owned(), 1),
        ]
    );
    // Briefs are kept with the chunk count they were computed at, and replaced.
    let brief = |hours: f64| PatrolBrief {
        id: "p-morning".into(),
        worker: "w1".into(),
        grid: G1.into(),
        started_at: t0 / 1000,
        hours,
        coverage: Some(0.5),
        flagged: false,
    };
    s.put_patrol_brief(&brief(0.05), 2).await.unwrap();
    s.put_patrol_brief(&brief(0.06), 3).await.unwrap();
    let kept = s
        .patrol_briefs(&["p-morning".into(), "p-other".into()])
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept["p-morning"], (3, brief(0.06)));
}

async fn uploads_and_photo_refs(backend: Backend) {
    let (s, dir) = open(backend).await;
    let (id, _) = saved_twice(&s, dir.path()).await;
    let photo = "a".repeat(64);
    assert!(!s.has_photo_refs().await.unwrap());
    assert!(s.photo_grids(&photo).await.unwrap().is_empty());
    s.add_photo_refs(&id, std::slice::from_ref(&photo))
        .await
        .unwrap();
    s.add_photo_refs(&id, std::slice::from_ref(&photo))
        .await
        .unwrap();
    assert!(s.has_photo_refs().await.unwrap());
    assert_eq!(s.photo_grids(&photo).await.unwrap(), [G1]);
    // One device owns an upload until it ends; a second is told whose it is.
    assert_eq!(s.claim_upload(&photo, "dev-a", 100).await.unwrap(), "dev-a");
    assert_eq!(s.claim_upload(&photo, "dev-b", 200).await.unwrap(), "dev-a");
    let other = "b".repeat(64);
    s.claim_upload(&other, "dev-b", 500).await.unwrap();
    assert_eq!(
        s.stale_uploads(300).await.unwrap(),
        std::slice::from_ref(&photo)
    );
    s.end_upload(&photo).await.unwrap();
    assert!(s.stale_uploads(300).await.unwrap().is_empty());
    assert_eq!(s.claim_upload(&photo, "dev-b", 600).await.unwrap(), "dev-b");
}

async fn web_users_and_sessions(backend: Backend) {
    let (s, _dir) = open(backend).await;
    let user = WebUser {
        username: "anfeng".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: "supervisor".into(),
        staff_id: "anfeng-centre".into(),
        created_at: 1_000,
    };
    assert!(s.web_user("anfeng").await.unwrap().is_none());
    s.put_web_user(&user).await.unwrap();
    assert_eq!(s.web_user("anfeng").await.unwrap().as_ref(), Some(&user));
    // Replacing keeps one account with the new values.
    let admin = WebUser {
        role: "admin".into(),
        ..user.clone()
    };
    s.put_web_user(&admin).await.unwrap();
    assert_eq!(s.web_user("anfeng").await.unwrap(), Some(admin));
    let session = WebSession {
        id_hash: "h1".into(),
        username: "anfeng".into(),
        csrf: "c1".into(),
        expires_at: 5_000,
    };
    s.create_web_session(&session).await.unwrap();
    assert_eq!(s.web_session("h1", 4_999).await.unwrap(), Some(session));
    assert!(
        s.web_session("h1", 5_000).await.unwrap().is_none(),
        "expired"
    );
    assert!(s.web_session("h2", 10).await.unwrap().is_none());
    s.delete_web_session("h1").await.unwrap();
    assert!(s.web_session("h1", 10).await.unwrap().is_none());
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(fieldgrid_tests::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(fieldgrid_tests::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_both_backends!(
    accounts,
    reference_data,
    optimistic_saves,
    the_sequence_filters_and_replays,
    a_record_moving_grids,
    pages_by_grid,
    concurrent_saves_are_gap_free,
    a_batch_with_one_conflict,
    intake_keys_and_references,
    news_counts_and_prunes,
    point_adjustments_are_kept,
    live_positions_keep_the_latest,
    knowledge_revisions_and_deltas,
    background_jobs_have_one_leader,
    identity_and_one_time_jobs,
    record_edits_by_day,
    tracks_and_briefs,
    uploads_and_photo_refs,
    web_users_and_sessions,
);
