//! Sync through a village connection: the fault proxy drops connections, delays
//! them and cuts requests and responses mid-body while three phones keep working
//! and syncing. Once the faults stop, everything converges with nothing lost and
//! nothing duplicated.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use fieldgrid_core::records::{Household, HouseholdMember, Person};
use fieldgrid_tests::proxy::{FaultProxy, Faults};
use fieldgrid_tests::{Backend, Device, TestServer};

const ROUNDS: usize = 8;
const NEW_PER_ROUND: usize = 3;

async fn converge_after_faults(backend: Backend) {
    let server = TestServer::start(backend).await;
    let proxy = FaultProxy::start(server.addr, 20261124).await;
    let dir = tempfile::tempdir().unwrap();
    let g = format!("{}001", fieldgrid_core::org::demo::village_code(3));
    let mut phones = Vec::new();
    for (name, role) in [("a", "worker"), ("b", "chief"), ("c", "patroller")] {
        phones.push(
            Device::enrol(
                &server,
                &proxy.url,
                dir.path(),
                name,
                &format!("{role}-{g}"),
            )
            .await,
        );
    }
    // One household everyone adds members to: lists are where duplicates would show.
    let shared = phones[0]
        .store
        .create(&Household::new(&g, "南芹村1号", "黄伟"))
        .unwrap();
    phones[0].sync().await.unwrap();
    for p in &phones[1..] {
        p.sync().await.unwrap();
    }

    proxy.set(Faults {
        drop: 0.15,
        cut_request: 0.25,
        cut_response: 0.25,
        max_delay: Duration::from_millis(15),
    });
    let mut failed_syncs = 0;
    for round in 0..ROUNDS {
        for (n, p) in phones.iter().enumerate() {
            for i in 0..NEW_PER_ROUND {
                p.store
                    .create(&Household::new(
                        &g,
                        &format!("南芹村{n}-{round}-{i}号"),
                        "吴芳",
                    ))
                    .unwrap();
            }
            // A member must be a person the server holds (or receives in the same
            // push) in the phone's area.
            let person = p
                .store
                .create(&Person::new(&g, &format!("吴{n}{round}")))
                .unwrap();
            p.store
                .update::<Household>(&shared, |h| {
                    h.members.push(HouseholdMember {
                        person_id: person,
                        relation: "child".into(),
                    })
                })
                .unwrap();
            if p.sync().await.is_err() {
                failed_syncs += 1;
            }
        }
    }
    let faults = proxy.counters.faults.load(Ordering::Relaxed);
    assert!(faults >= 10, "only {faults} faults were injected");

    proxy.clear();
    for _ in 0..2 {
        for p in &phones {
            p.sync().await.unwrap();
        }
    }

    let expected_records = 1 + phones.len() * ROUNDS * (NEW_PER_ROUND + 1);
    let ids = |p: &Device| {
        let mut v: Vec<String> = p
            .store
            .documents()
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect();
        v.sort();
        v
    };
    let reference = ids(&phones[0]);
    assert_eq!(
        reference.len(),
        expected_records,
        "records lost or duplicated"
    );
    for p in &phones {
        assert_eq!(ids(p), reference);
        assert_eq!(p.store.sync_status().unwrap().pending_records, 0);
        assert_eq!(
            p.store.get::<Household>(&shared).unwrap(),
            phones[0].store.get::<Household>(&shared).unwrap()
        );
    }
    assert_eq!(
        server.state.storage.stats().await.unwrap().documents as usize,
        expected_records
    );

    let members = phones[2].store.get::<Household>(&shared).unwrap().members;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for m in &members {
        *seen.entry(m.person_id.clone()).or_default() += 1;
    }
    assert_eq!(seen.len(), phones.len() * ROUNDS, "members lost: {seen:?}");
    assert!(
        seen.values().all(|&n| n == 1),
        "members duplicated: {seen:?}"
    );
    println!(
        "{backend:?}: {faults} faults injected over {} connections, {failed_syncs} syncs failed and were resumed, {expected_records} records converged",
        proxy.counters.connections.load(Ordering::Relaxed)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converges_after_faults_on_sqlite() {
    converge_after_faults(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converges_after_faults_on_postgres() {
    converge_after_faults(Backend::Postgres).await;
}
