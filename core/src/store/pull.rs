//! Applying a page of documents pulled from the server. Documents new to this
//! store (all of them on a first sync) are decoded, read, checked against the
//! form in force and segmented for search on every core, while the one writing
//! connection stores them in page order; documents already here are merged one
//! by one as any received change is.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use rusqlite::{Connection, OptionalExtension};

use crate::documents::{self, any::AnyRecord, merge, storage};
use crate::error::Result;
use crate::forms::{CompiledForm, current_form};
use crate::index;
use crate::protocol::DocPayload;
use crate::records::RecordKind;

/// Below this many new documents a page is prepared on the writing thread alone
/// (starting threads costs more than it saves).
const PARALLEL_FROM: usize = 16;

/// At most this many preparing threads: decoding is memory-light, but a phone's
/// small cores share the work with its screens.
const MAX_WORKERS: usize = 4;

/// Stores every document of a pulled page. `in_step` says, for a document that
/// was already here, whether it had nothing unpushed (then it stays in step
/// with the server); new documents are in step unless `resync`. Returns how
/// many documents were applied.
pub(crate) fn apply_page(
    conn: &Connection,
    docs: &[DocPayload],
    resync: bool,
    at: i64,
) -> Result<u64> {
    let mut fresh = Vec::new();
    let mut known = Vec::new();
    let mut seen = HashSet::new();
    {
        let mut stored = conn.prepare_cached("SELECT 1 FROM documents WHERE doc_id = ?1")?;
        for doc in docs {
            let here = stored
                .query_row([&doc.id], |_| Ok(()))
                .optional()?
                .is_some();
            // A record new here is inserted whole; one already here (or sent
            // twice in a page) is merged.
            if here || !seen.insert(doc.id.as_str()) {
                known.push(doc);
            } else {
                fresh.push(doc);
            }
        }
    }
    let forms = Forms::current(conn)?;
    insert_fresh(conn, &fresh, &forms, !resync, at)?;
    for doc in known {
        merge_known(conn, doc, resync, at)?;
    }
    Ok(docs.len() as u64)
}

/// The forms in force, read once per page and shared by the preparing threads.
struct Forms {
    household: Option<Arc<CompiledForm>>,
    person: Option<Arc<CompiledForm>>,
}

impl Forms {
    fn current(conn: &Connection) -> Result<Forms> {
        Ok(Forms {
            household: current_form(conn, RecordKind::Household)?,
            person: current_form(conn, RecordKind::Person)?,
        })
    }

    fn of(&self, kind: RecordKind) -> Option<&CompiledForm> {
        match kind {
            RecordKind::Household => self.household.as_deref(),
            RecordKind::Person => self.person.as_deref(),
            RecordKind::Incident | RecordKind::PatrolLog => None,
        }
    }
}

/// A new document ready to store: its encoded heads and prepared projection
/// (none when the payload held no change at all).
struct Ready {
    heads: Vec<u8>,
    prepared: index::Prepared,
}

/// Everything about a new document that needs no connection.
fn prepare(doc: &DocPayload, forms: &Forms) -> Result<Option<Ready>> {
    documents::check_id(&doc.id)?;
    let mut loaded = merge::load_strict(&doc.id, &[], &doc.data)?;
    let heads = loaded.get_heads();
    if heads.is_empty() {
        return Ok(None);
    }
    let record = AnyRecord::hydrate(doc.kind, &loaded, &doc.id)?;
    drop(loaded);
    Ok(Some(Ready {
        heads: storage::encode_heads(&heads),
        prepared: index::prepare(record, forms.of(doc.kind)),
    }))
}

/// Stores one prepared new document: the validated payload is its snapshot.
fn store(
    conn: &Connection,
    doc: &DocPayload,
    ready: Option<Ready>,
    forms: &Forms,
    synced: bool,
    at: i64,
) -> Result<()> {
    let Some(ready) = ready else {
        return Ok(());
    };
    let record = &ready.prepared.record;
    let row = storage::insert_new(conn, &doc.id, record, &doc.data, &ready.heads, synced, at)?;
    index::project_prepared(conn, row, &ready.prepared, forms.of(doc.kind))
}

/// Prepares the new documents on up to [`MAX_WORKERS`] threads and stores them
/// here, in page order, as they come.
fn insert_fresh(
    conn: &Connection,
    fresh: &[&DocPayload],
    forms: &Forms,
    synced: bool,
    at: i64,
) -> Result<()> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_WORKERS);
    if fresh.len() < PARALLEL_FROM || workers < 2 {
        for doc in fresh {
            store(conn, doc, prepare(doc, forms)?, forms, synced, at)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // Bounded, so a slow writer holds few prepared records in memory.
        let (send, receive) = mpsc::sync_channel::<(usize, Result<Option<Ready>>)>(workers * 4);
        for _ in 0..workers {
            let (send, next) = (send.clone(), &next);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(doc) = fresh.get(i) else { break };
                    // A closed channel means the writer stopped on an error.
                    if send.send((i, prepare(doc, forms))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        // Leaving early (on an error) drops `receive`, which stops the workers.
        let mut waiting = BTreeMap::new();
        for (i, doc) in fresh.iter().enumerate() {
            let ready = loop {
                if let Some(ready) = waiting.remove(&i) {
                    break ready;
                }
                match receive.recv() {
                    Ok((j, ready)) => {
                        waiting.insert(j, ready);
                    }
                    // Only a panicking thread leaves a document unsent.
                    Err(_) => {
                        break Err(crate::Error::InvalidChanges {
                            id: doc.id.clone(),
                            reason: "the data made the document decoder fail".into(),
                        });
                    }
                }
            };
            store(conn, doc, ready?, forms, synced, at)?;
        }
        Ok(())
    })
}

/// Merges a pulled document into the one already here.
fn merge_known(conn: &Connection, doc: &DocPayload, resync: bool, at: i64) -> Result<()> {
    let before: Option<(Vec<u8>, Vec<u8>)> = conn
        .prepare_cached("SELECT heads, synced_heads FROM documents WHERE doc_id = ?1")?
        .query_row([&doc.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    documents::check_id(&doc.id)?;
    super::records::apply_in(conn, doc.kind, &doc.id, &doc.data, at)?;
    // A record with nothing unpushed stays "in step" with the server; one with
    // local edits keeps its old mark, so those edits get pushed.
    let in_step = before.as_ref().is_none_or(|(h, s)| h == s);
    if in_step && !resync {
        conn.prepare_cached("UPDATE documents SET synced_heads = heads WHERE doc_id = ?1")?
            .execute([&doc.id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PARALLEL_FROM;
    use crate::FieldStore;
    use crate::org::demo::{demo_county, demo_name, village_code};
    use crate::protocol::{Cursor, DocPayload, SyncResponse};
    use crate::records::{FieldValue, Household, Person, RecordKind};

    fn store(dir: &std::path::Path, name: &str) -> FieldStore {
        let s = FieldStore::open(dir.join(name)).unwrap();
        s.import_org_tree(&demo_county()).unwrap();
        s.sign_in("worker-cadre");
        s
    }

    fn page(docs: Vec<DocPayload>) -> SyncResponse {
        SyncResponse {
            protocol: crate::protocol::PROTOCOL_VERSION,
            pushed: Vec::new(),
            docs,
            cursor: Cursor(vec![7]),
            more: false,
            reference: Vec::new(),
            resync: false,
        }
    }

    fn payload(from: &FieldStore, id: &str, kind: RecordKind) -> DocPayload {
        DocPayload {
            id: id.to_owned(),
            kind,
            data: from.changes_since(id, &[]).unwrap(),
        }
    }

    /// The listed rows a phone's screens read: (record id, problems) in row order.
    fn listed(s: &FieldStore) -> Vec<(String, i64, i64)> {
        s.conn()
            .prepare(
                "SELECT d.doc_id, coalesce(h.problems, p.problems), d.heads = d.synced_heads
                 FROM documents d LEFT JOIN households h ON h.doc = d.id
                 LEFT JOIN persons p ON p.doc = d.id ORDER BY d.id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_page_is_stored_whole_in_order_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let source = store(dir.path(), "source.sqlite");
        let grid = format!("{}001", village_code(0));
        let houses: Vec<Household> = (0..40)
            .map(|n| {
                let mut h = Household::new(&grid, &format!("山口村{n}号"), &demo_name(n));
                // Every third answers a question, so problem counts differ.
                if n % 3 == 0 {
                    h.fields
                        .insert("basic.floors".into(), FieldValue::Int(n as i64 % 4 + 1));
                }
                h
            })
            .collect();
        let persons: Vec<Person> = (0..10)
            .map(|n| Person::new(&grid, &demo_name(n + 100)))
            .collect();
        let mut docs: Vec<DocPayload> = source
            .create_batch(&houses)
            .unwrap()
            .iter()
            .map(|id| payload(&source, id, RecordKind::Household))
            .collect();
        docs.extend(
            source
                .create_batch(&persons)
                .unwrap()
                .iter()
                .map(|id| payload(&source, id, RecordKind::Person)),
        );
        assert!(
            docs.len() >= PARALLEL_FROM * 2,
            "the page is prepared in parallel"
        );

        // One bad document in the middle: the page fails and nothing is kept.
        let target = store(dir.path(), "target.sqlite");
        let mut bad = docs.clone();
        let half = bad[23].data.len() / 2;
        bad[23].data.truncate(half);
        let err = target.finish_round(&page(bad), &[]).unwrap_err();
        assert!(err.to_string().contains(&docs[23].id), "{err}");
        assert!(
            listed(&target).is_empty(),
            "nothing of a failed page is kept"
        );
        assert_eq!(target.sync_cursor().unwrap(), None);

        // The whole page: every record as the source has it, rows in page order,
        // problem counts as the source's own index counted them, in step.
        let counts = target.finish_round(&page(docs.clone()), &[]).unwrap();
        assert_eq!(counts.pulled, docs.len() as u64);
        let want: Vec<(String, i64, i64)> = listed(&source)
            .into_iter()
            .map(|(id, problems, _)| (id, problems, 1))
            .collect();
        assert_eq!(listed(&target), want);
        for doc in &docs[..40] {
            assert_eq!(
                target.get::<Household>(&doc.id).unwrap(),
                source.get::<Household>(&doc.id).unwrap()
            );
        }
        let hits = target
            .search(&demo_name(105), &Default::default(), 5)
            .unwrap();
        assert_eq!(hits.len(), 1, "the search index holds pulled records");
        assert_eq!(target.sync_cursor().unwrap(), Some(Cursor(vec![7])));

        // Known records and a record sent twice in one page merge.
        source
            .update::<Household>(&docs[0].id, |h| h.head_name = "刘凤英".into())
            .unwrap();
        let fresh = Household::new(&grid, "山口村99号", "王建国");
        let fresh_id = source.create(&fresh).unwrap();
        let first = payload(&source, &fresh_id, RecordKind::Household);
        source
            .update::<Household>(&fresh_id, |h| h.address = "山口村98号".into())
            .unwrap();
        let again = payload(&source, &fresh_id, RecordKind::Household);
        let counts = target
            .finish_round(
                &page(vec![
                    payload(&source, &docs[0].id, RecordKind::Household),
                    first,
                    again,
                ]),
                &[],
            )
            .unwrap();
        assert_eq!(counts.pulled, 3);
        assert_eq!(
            target.get::<Household>(&docs[0].id).unwrap().head_name,
            "刘凤英"
        );
        assert_eq!(
            target.get::<Household>(&fresh_id).unwrap().address,
            "山口村98号"
        );
        assert!(listed(&target).iter().all(|(_, _, in_step)| *in_step == 1));
    }
}
