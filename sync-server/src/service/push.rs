//! Pushing documents: the one write path for phones (`POST /v1/sync`) and for the
//! supervisor pages (their steps are changes of the pages' replica). Each pushed
//! document is checked, merged and saved, or refused with a reason:
//! - its record, stored or merged, lies in the pusher's area (outside it is refused
//!   exactly as an unknown record would be, naming nothing);
//! - every change it adds was made on the pushing device by its user (the actor id
//!   and the author in the commit message), and everyone the record newly says acted
//!   (a visit's visitor, an incident's reporter, a step's actor) is the pusher;
//! - every record it newly names (a household's member, a person's household, an
//!   incident's resident) exists in the pusher's area, stored or in the same push;
//! - an incident's new steps are in roles the pusher holds over its grid.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use fieldgrid_core::incident::{Action, Catalogue, replay};
use fieldgrid_core::org::Role;
use fieldgrid_core::protocol::{DocPayload, PushResult, RejectCode};
use fieldgrid_core::records::{Incident, IncidentTransition, RecordKind, Reference};
use fieldgrid_core::{Error as CoreError, MergeOutcome, merge_document, read_record};

use super::{Caller, ServiceError};
use crate::storage::{DocumentSave, NewsItem, SaveOutcome, StoredDoc};
use crate::{AppState, now};

/// Merges retried when another device saved the same record in between.
const MERGE_ATTEMPTS: usize = 8;

/// The one refusal for a record outside the pusher's area, placed there or stored
/// there: the same words whether or not it exists.
const NOT_IN_AREA: &str = "this record is not in your area";

/// What a pushed document comes to after the checks and the merge.
enum Plan {
    /// Answered already: refused, or nothing new in it.
    Done(PushResult),
    /// To be saved over the stored version it was merged onto.
    Save {
        merged: Box<MergeOutcome>,
        expected: Option<i64>,
        previous_grid: Option<String>,
        /// The news its new incident steps make, stored once it is saved.
        news: Vec<NewsItem>,
        /// A new report, for the open pages once it is saved.
        live: Option<super::live::LiveEvent>,
    },
}

fn accepted(id: &str) -> PushResult {
    PushResult {
        id: id.to_owned(),
        rejected: None,
        reason: String::new(),
    }
}

fn refused(caller: &Caller, id: &str, code: RejectCode, reason: String) -> PushResult {
    // Logged by ids and codes only: record ids and staff ids are not personal data.
    tracing::warn!(device = %caller.device, staff = %caller.staff, record = %id, ?code, "push refused: {reason}");
    PushResult {
        id: id.to_owned(),
        rejected: Some(code),
        reason,
    }
}

/// The merge of `incoming` alone, as for a record the server does not hold.
fn merge_fresh(doc: &DocPayload) -> Result<MergeOutcome, (RejectCode, String)> {
    merge(doc, None)
}

fn merge(
    doc: &DocPayload,
    stored: Option<&StoredDoc>,
) -> Result<MergeOutcome, (RejectCode, String)> {
    merge_document(
        doc.kind,
        &doc.id,
        stored.map(|s| s.data.as_slice()),
        &doc.data,
    )
    .map_err(|e| match e {
        CoreError::InvalidRecordId { .. } => {
            (RejectCode::InvalidId, "not a valid record id".into())
        }
        e @ CoreError::InvalidDocument { .. } => (RejectCode::InvalidDocument, e.to_string()),
        e @ CoreError::MissingHistory { .. } => (RejectCode::MissingHistory, e.to_string()),
        e => (RejectCode::InvalidChanges, e.to_string()),
    })
}

/// An incident as stored before a push and as the merge leaves it, each read
/// once for the checks below.
struct IncidentChange {
    before: Option<Incident>,
    after: Incident,
}

impl IncidentChange {
    fn read(id: &str, stored: Option<&StoredDoc>, merged: &MergeOutcome) -> Result<Self, String> {
        let before = match stored {
            Some(s) => Some(read_record::<Incident>(id, &s.data).map_err(|e| e.to_string())?),
            None => None,
        };
        let after = read_record(id, &merged.document).map_err(|e| e.to_string())?;
        Ok(IncidentChange { before, after })
    }

    /// Every new step is in a role the pusher holds over the incident's grid.
    /// (Who made each step is checked with the other claims; the workflow's own
    /// rules, such as who may verify, are applied by every replay.)
    fn check_roles(&self, caller: &Caller) -> Result<(), String> {
        let mut known: Vec<&IncidentTransition> = self
            .before
            .iter()
            .flat_map(|b| b.transitions.iter())
            .collect();
        let roles = caller.roles_over(&self.after.grid_code);
        for (n, t) in self.after.transitions.iter().enumerate() {
            if let Some(pos) = known.iter().position(|k| *k == t) {
                known.swap_remove(pos);
                continue;
            }
            if !roles.iter().any(|r| r.as_str() == t.role) {
                return Err(format!(
                    "{} does not hold the role {} over this record's grid",
                    caller.staff, t.role
                ));
            }
            self.check_unit(caller, n, t)?;
        }
        Ok(())
    }

    /// A handler acts for their unit: the lead's steps (start, finish, return)
    /// are a member of the lead unit's; a joint part's start, finish and return
    /// a member of that joint unit's; sending a part back to redo or releasing it
    /// a member of the lead's; an urge a member of the supervising or the lead
    /// unit's. (Checked only for steps in the handler's role: the command centre's
    /// roles act for the centre.)
    fn check_unit(&self, caller: &Caller, n: usize, t: &IncidentTransition) -> Result<(), String> {
        let Some(action) = Action::parse(&t.to) else {
            return Ok(());
        };
        if t.role != Role::DepartmentHandler.as_str() {
            return Ok(());
        }
        let mut before = self.after.clone();
        before.transitions.truncate(n);
        let state = replay(&before);
        let units: Vec<Option<String>> = match action {
            Action::StartHandling | Action::Finish | Action::Return => vec![state.assignee],
            Action::PartStart | Action::PartFinish | Action::PartReturn => vec![t.part.clone()],
            Action::PartRedo | Action::PartRelease => vec![state.assignee],
            Action::Urge => vec![state.supervisor, state.assignee],
            _ => return Ok(()),
        };
        let units: Vec<_> = units
            .into_iter()
            .flatten()
            .filter_map(|u| caller.tree.work_unit(&u))
            .collect();
        // A step on a case with no known unit is the replay's to judge.
        if units.is_empty() || units.iter().any(|u| u.members.contains(&t.by)) {
            return Ok(());
        }
        Err(format!(
            "{} does not act for {}, the unit this step belongs to",
            t.by,
            units
                .iter()
                .map(|u| u.code.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }

    /// An incident new here, or whose category the push changes, takes a
    /// category in force: known to the catalogue and not retired by the day it
    /// was reported (a report made before a retirement keeps its category).
    fn check_category(&self, catalogue: &Catalogue) -> Result<(), String> {
        let category = &self.after.category;
        if self
            .before
            .as_ref()
            .is_some_and(|b| &b.category == category)
        {
            return Ok(());
        }
        catalogue
            .check_code(category, self.after.reported_at)
            .map(|_| ())
            .map_err(|refusal| refusal.to_string())
    }
}

/// Checks one pushed document against the caller and merges it. Pure CPU.
fn plan(
    caller: &Caller,
    catalogue: Option<&Catalogue>,
    doc: &DocPayload,
    stored: Option<&StoredDoc>,
) -> Plan {
    let refuse =
        |code: RejectCode, reason: String| Plan::Done(refused(caller, &doc.id, code, reason));
    // A stored record outside the area is treated as absent: the answer is the one
    // the same bytes would get if the record did not exist.
    let stored = match stored {
        Some(s) if !caller.sees(&s.grid_code) => {
            return match merge_fresh(doc) {
                Err((code, reason)) => refuse(code, reason),
                Ok(_) => refuse(RejectCode::OutOfScope, NOT_IN_AREA.into()),
            };
        }
        s => s,
    };
    if let Some(s) = stored
        && s.kind != doc.kind
    {
        return refuse(
            RejectCode::WrongKind,
            format!("record {} is a {} record", doc.id, s.kind),
        );
    }
    let merged = match merge(doc, stored) {
        Ok(m) => m,
        Err((code, reason)) => return refuse(code, reason),
    };
    if !caller.sees(&merged.grid_code) {
        return refuse(RejectCode::OutOfScope, NOT_IN_AREA.into());
    }
    if let Some(n) = merged
        .authors
        .iter()
        .position(|a| !a.is(&caller.device, &caller.staff))
    {
        return refuse(
            RejectCode::NotAuthor,
            format!(
                "change {} of {} was not made on this device by its user; only your own changes can be sent",
                n + 1,
                merged.authors.len()
            ),
        );
    }
    if let Some((what, _)) = merged
        .new_claims
        .iter()
        .find(|(_, who)| *who != caller.staff)
    {
        let what = match what.split(':').next().unwrap_or("") {
            "visit" => "visitor of a visit",
            "reporter" => "reporter",
            "step" => "actor of a workflow step",
            "worker" => "worker of the patrol",
            _ => "author",
        };
        return refuse(
            RejectCode::NotAuthor,
            format!(
                "the record names someone else as the {what} you added; only your own actions can be recorded"
            ),
        );
    }
    let mut news = Vec::new();
    let mut live = None;
    if doc.kind == RecordKind::Incident {
        let change = match IncidentChange::read(&doc.id, stored, &merged) {
            Ok(c) => c,
            Err(reason) => return refuse(RejectCode::OutOfScope, reason),
        };
        if let Err(reason) = change.check_roles(caller) {
            return refuse(RejectCode::OutOfScope, reason);
        }
        if let Some(catalogue) = catalogue
            && let Err(reason) = change.check_category(catalogue)
        {
            return refuse(RejectCode::InvalidDocument, reason);
        }
        news = super::news::news_of(
            &caller.tree,
            &doc.id,
            change.before.as_ref(),
            &change.after,
            now(),
        );
        if change.before.is_none() {
            live = Some(super::live::LiveEvent::Report {
                incident: doc.id.clone(),
                grid_code: change.after.grid_code.clone(),
                category: change.after.category.clone(),
                channel: change.after.channel.as_str().to_owned(),
                at: change.after.reported_at,
            });
        }
    }
    if merged.new_changes == 0 {
        // Everything was known already: a retry of an earlier push.
        return Plan::Done(accepted(&doc.id));
    }
    Plan::Save {
        merged: Box::new(merged),
        expected: stored.map(|s| s.version),
        previous_grid: stored.map(|s| s.grid_code.clone()),
        news,
        live,
    }
}

/// The records that the planned saves newly name and that are neither in the same
/// push (in the area) nor stored in the area: each is refused.
async fn unknown_references(
    state: &AppState,
    caller: &Caller,
    docs: &[DocPayload],
    plans: &[(usize, Plan)],
) -> Result<BTreeSet<usize>, ServiceError> {
    let in_push: HashMap<&str, &str> = plans
        .iter()
        .filter_map(|(i, p)| match p {
            Plan::Save { merged, .. } => Some((docs[*i].id.as_str(), merged.grid_code.as_str())),
            Plan::Done(r) if r.rejected.is_none() => None,
            Plan::Done(_) => None,
        })
        .collect();
    let named: BTreeSet<String> = plans
        .iter()
        .filter_map(|(_, p)| match p {
            Plan::Save { merged, .. } => Some(merged.new_references.iter()),
            Plan::Done(_) => None,
        })
        .flatten()
        .filter_map(|r| match r {
            Reference::Record(id) if !in_push.contains_key(id.as_str()) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let stored = if named.is_empty() {
        HashMap::new()
    } else {
        state
            .storage
            .documents(&named.into_iter().collect::<Vec<_>>())
            .await?
    };
    let known = |id: &str| {
        in_push
            .get(id)
            .copied()
            .or_else(|| stored.get(id).map(|s| s.grid_code.as_str()))
            .is_some_and(|grid| caller.sees(grid))
    };
    Ok(plans
        .iter()
        .filter(|(_, p)| match p {
            Plan::Save { merged, .. } => merged.new_references.iter().any(|r| match r {
                Reference::Record(id) => !known(id),
                Reference::Photo(_) => false,
            }),
            Plan::Done(_) => false,
        })
        .map(|(i, _)| *i)
        .collect())
}

/// Checks, merges and saves every pushed document: one query to load them, one
/// transaction to save them; documents another device saved in between are merged
/// again on the new version. `origin` is stored with each change (the pushing
/// device, or `web` for the pages) so a device is not sent its own changes back.
pub async fn push(
    state: &AppState,
    caller: &Caller,
    origin: &str,
    docs: Vec<DocPayload>,
) -> Result<Vec<PushResult>, ServiceError> {
    let docs = Arc::new(docs);
    // Only a push with an incident needs the catalogue.
    let catalogue = if docs.iter().any(|d| d.kind == RecordKind::Incident) {
        Some(state.catalogue().await?)
    } else {
        None
    };
    let mut results: Vec<Option<PushResult>> = vec![None; docs.len()];
    let mut pending: Vec<usize> = (0..docs.len()).collect();
    for _ in 0..MERGE_ATTEMPTS {
        if pending.is_empty() {
            break;
        }
        let ids: Vec<String> = pending.iter().map(|&i| docs[i].id.clone()).collect();
        let stored = state.storage.documents(&ids).await?;
        // Merging is CPU work: off the async runtime.
        let (d, c, p, cat) = (
            docs.clone(),
            caller.clone(),
            pending.clone(),
            catalogue.clone(),
        );
        let plans: Vec<(usize, Plan)> = tokio::task::spawn_blocking(move || {
            p.into_iter()
                .map(|i| (i, plan(&c, cat.as_deref(), &d[i], stored.get(&d[i].id))))
                .collect()
        })
        .await
        .map_err(|e| ServiceError::Refused(format!("the merge failed: {e}")))?;
        let unknown = unknown_references(state, caller, &docs, &plans).await?;
        let at = now();
        let mut to_save = Vec::new();
        let mut saves = Vec::new();
        for (i, plan) in &plans {
            match plan {
                Plan::Done(result) => results[*i] = Some(result.clone()),
                Plan::Save { .. } if unknown.contains(i) => {
                    results[*i] = Some(refused(
                        caller,
                        &docs[*i].id,
                        RejectCode::UnknownReference,
                        "the record names a record that does not exist in your area".into(),
                    ));
                }
                Plan::Save {
                    merged,
                    expected,
                    previous_grid,
                    ..
                } => {
                    to_save.push(*i);
                    saves.push(DocumentSave {
                        doc_id: &docs[*i].id,
                        kind: docs[*i].kind,
                        expected_version: *expected,
                        previous_grid: previous_grid.as_deref(),
                        merged,
                        origin_device: origin,
                        at,
                    });
                }
            }
        }
        let outcomes = if saves.is_empty() {
            Vec::new()
        } else {
            state.storage.save_documents(&saves).await?
        };
        pending = Vec::new();
        let mut news = Vec::new();
        let mut live = Vec::new();
        for (i, outcome) in to_save.into_iter().zip(outcomes) {
            match outcome {
                SaveOutcome::Saved => {
                    results[i] = Some(accepted(&docs[i].id));
                    if let Some((
                        _,
                        Plan::Save {
                            news: n, live: l, ..
                        },
                    )) = plans.iter().find(|(j, _)| *j == i)
                    {
                        news.extend(n.iter().cloned());
                        live.extend(l.iter().cloned());
                    }
                }
                SaveOutcome::Conflict => pending.push(i),
            }
        }
        // News is a hint for the phones' check, stored after the records it is
        // about; a failure here loses a hint, never a record.
        if let Err(e) = state.storage.add_news(&news).await {
            tracing::warn!(error = %e, "news not stored");
        }
        for event in live {
            super::live::publish(state, event).await;
        }
    }
    if !pending.is_empty() {
        return Err(ServiceError::Busy);
    }
    Ok(results.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldgrid_core::FieldStore;
    use fieldgrid_core::org::demo::demo_county;
    use fieldgrid_core::records::Household;

    const MINE: &str = "320722104201001";
    const ELSEWHERE: &str = "320722104202001";
    const WORKER: &str = "worker-320722104201001";

    /// A phone signed in as `staff`, and the caller it is to the server.
    fn phone(staff: &str) -> (tempfile::TempDir, FieldStore, Caller) {
        let dir = tempfile::tempdir().unwrap();
        let store = FieldStore::open(dir.path().join("phone.sqlite")).unwrap();
        store.sign_in(staff);
        let tree = demo_county();
        let caller = Caller {
            staff: staff.into(),
            device: store.device_id(),
            scope: tree.scope_of(staff),
            tree: Arc::new(tree),
        };
        (dir, store, caller)
    }

    fn household(store: &FieldStore, grid: &str) -> DocPayload {
        let id = store
            .create(&Household::new(grid, "安峰村1号", "刘凤"))
            .unwrap();
        DocPayload {
            id: id.clone(),
            kind: RecordKind::Household,
            data: store.changes_since(&id, &[]).unwrap(),
        }
    }

    fn refusal(plan: &Plan) -> Option<(RejectCode, String)> {
        match plan {
            Plan::Done(r) => r.rejected.map(|c| (c, r.reason.clone())),
            Plan::Save { .. } => None,
        }
    }

    #[test]
    fn a_record_of_ones_own_grid_is_saved() {
        let (_d, store, caller) = phone(WORKER);
        let doc = household(&store, MINE);
        assert!(matches!(
            plan(&caller, None, &doc, None),
            Plan::Save { expected: None, .. }
        ));
    }

    #[test]
    fn outside_the_area_is_answered_as_what_does_not_exist() {
        let (_d, store, caller) = phone(WORKER);
        // Placed outside the worker's grid.
        let doc = household(&store, ELSEWHERE);
        let placed = refusal(&plan(&caller, None, &doc, None)).unwrap();
        assert_eq!(placed, (RejectCode::OutOfScope, NOT_IN_AREA.to_owned()));
        // Stored outside it: the very same answer, naming nothing.
        let stored = StoredDoc {
            kind: RecordKind::Household,
            grid_code: ELSEWHERE.into(),
            data: doc.data.clone(),
            version: 3,
        };
        let (_d2, store2, _) = phone(WORKER);
        let mine = household(&store2, MINE);
        let over = DocPayload {
            id: doc.id.clone(),
            ..mine
        };
        assert_eq!(
            refusal(&plan(&caller, None, &over, Some(&stored))),
            Some(placed)
        );
    }

    #[test]
    fn only_changes_made_on_the_pushing_device_by_its_user_are_taken() {
        let (_d, store, _) = phone(WORKER);
        let doc = household(&store, MINE);
        // The same person on another device pushes what the first one made.
        let (_d2, _other, caller) = phone(WORKER);
        let (code, reason) = refusal(&plan(&caller, None, &doc, None)).unwrap();
        assert_eq!(code, RejectCode::NotAuthor);
        assert!(reason.contains("change 1 of 1"), "{reason}");
    }

    #[test]
    fn a_step_in_a_role_the_pusher_lacks_is_refused() {
        let (_d, store, caller) = phone(WORKER);
        let id = store
            .create(&Incident {
                grid_code: MINE.into(),
                category: "other.general".into(),
                description: "路灯不亮".into(),
                location: None,
                reporter_id: WORKER.into(),
                reported_at: crate::now(),
                urgency: Default::default(),
                transitions: vec![IncidentTransition {
                    by: WORKER.into(),
                    role: "town_supervisor".into(),
                    at: crate::now(),
                    from: "reported".into(),
                    to: "accepted".into(),
                    note: "受理".into(),
                    ..IncidentTransition::default()
                }],
                resident_id: None,
                satisfaction: None,
                photos: Vec::new(),
                channel: Default::default(),
                contact: None,
                address: None,
                ticket: None,
            })
            .unwrap();
        let doc = DocPayload {
            id: id.clone(),
            kind: RecordKind::Incident,
            data: store.changes_since(&id, &[]).unwrap(),
        };
        let (code, reason) = refusal(&plan(&caller, None, &doc, None)).unwrap();
        assert_eq!(code, RejectCode::OutOfScope);
        assert!(
            reason.contains("does not hold the role town_supervisor"),
            "{reason}"
        );
    }
}
