//! Reading records and photos through the caller's area, from the pages' replica.
//! A record outside the area, an id of another kind and an unknown id are answered
//! alike ([`ServiceError::NotFound`]); records a visible record names (a household's
//! members) are shown only when they too lie in the area.

use std::sync::Arc;

use fieldgrid_core::FieldStore;
use fieldgrid_core::org::Role;
use fieldgrid_core::protocol::DocPayload;
use fieldgrid_core::records::{
    Household, HouseholdMember, Incident, IncidentTransition, Person, Record, RecordKind,
};

use super::{Caller, ServiceError, blocking, push, replica};
use crate::AppState;

/// A record of type `R` in the caller's area, from the caught-up replica.
pub async fn get<R: Record + Send + 'static>(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<R, ServiceError> {
    let store = replica::store(state).await?;
    get_in(&store, caller, id).await
}

/// A record of type `R` in the caller's area, from `store`.
pub async fn get_in<R: Record + Send + 'static>(
    store: &Arc<FieldStore>,
    caller: &Caller,
    id: &str,
) -> Result<R, ServiceError> {
    let (s, i) = (store.clone(), id.to_owned());
    let record = tokio::task::spawn_blocking(move || s.get::<R>(&i))
        .await
        .map_err(|e| ServiceError::Corrupt(e.to_string()))?
        .map_err(|_| ServiceError::NotFound)?;
    caller.check(record.grid_code())?;
    Ok(record)
}

/// A household's members, each with their person record when it lies in the
/// caller's area (`None`: not shown, whatever the household says).
pub async fn members(
    store: &Arc<FieldStore>,
    caller: &Caller,
    household: &Household,
) -> Result<Vec<(HouseholdMember, Option<Person>)>, ServiceError> {
    let mut out = Vec::with_capacity(household.members.len());
    for m in &household.members {
        let person = get_in::<Person>(store, caller, &m.person_id).await.ok();
        out.push((m.clone(), person));
    }
    Ok(out)
}

/// Photo `hash`, when a stored record in the caller's area names it.
pub async fn photo(state: &AppState, caller: &Caller, hash: &str) -> Result<Vec<u8>, ServiceError> {
    crate::blobs::check_name(hash).map_err(|_| ServiceError::NotFound)?;
    let grids = state.storage.photo_grids(hash).await?;
    if !grids.iter().any(|g| caller.sees(g)) {
        return Err(ServiceError::NotFound);
    }
    match state.blobs.get(hash).await {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(ServiceError::NotFound),
        Err(e) => Err(ServiceError::Corrupt(e.to_string())),
    }
}

/// Appends a step to an incident in the caller's area as the caller (a supervisor
/// on the pages) and pushes it through the one push path, as the pages' device.
/// The step is written off to the side, against the version storage holds: the
/// push's checks (author, roles, area, the workflow) apply as to a phone's, and
/// the read model sees the step only once storage accepted it. A refused step
/// leaves no trace anywhere.
pub async fn incident_step(
    state: &AppState,
    caller: &Caller,
    id: &str,
    transition: IncidentTransition,
) -> Result<(), ServiceError> {
    let stored = state
        .storage
        .document(id)
        .await?
        .filter(|d| d.kind == RecordKind::Incident && caller.sees(&d.grid_code))
        .ok_or(ServiceError::NotFound)?;
    let (i, device, staff, at) = (
        id.to_owned(),
        caller.device.clone(),
        caller.staff.clone(),
        crate::now(),
    );
    let changes = blocking(move || {
        fieldgrid_core::change_record::<Incident>(&i, &stored.data, &device, &staff, at, |r| {
            r.transitions.push(transition)
        })
    })
    .await?;
    push_incident(state, caller, "web", id, changes).await
}

/// Pushes `changes` of incident `id`, written off to the side as `caller`,
/// through the one push path; a refusal comes back with its reason.
pub(crate) async fn push_incident(
    state: &AppState,
    caller: &Caller,
    via: &str,
    id: &str,
    changes: Vec<u8>,
) -> Result<(), ServiceError> {
    let results = push::push(
        state,
        caller,
        via,
        vec![DocPayload {
            id: id.to_owned(),
            kind: RecordKind::Incident,
            data: changes,
        }],
    )
    .await?;
    match results.into_iter().next() {
        Some(r) if r.rejected.is_none() => Ok(()),
        Some(r) => Err(ServiceError::Refused(r.reason)),
        None => Err(ServiceError::Busy),
    }
}

/// The incident queue (see `FieldStore::incident_queue`; with `include_done`, the
/// finished cases too), kept to the caller's area.
pub async fn queue(
    state: &AppState,
    caller: &Caller,
    include_done: bool,
) -> Result<Vec<fieldgrid_core::incident::QueueItem>, ServiceError> {
    let items = query(state, move |store| {
        store.incident_queue(
            crate::now(),
            fieldgrid_core::incident::DayCount::WorkDays,
            include_done,
        )
    })
    .await?;
    Ok(items
        .into_iter()
        .filter(|i| caller.sees(&i.grid_code))
        .collect())
}

/// The open cases in the caller's area, each with its record, read from one
/// state of the read model.
pub async fn open_cases(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<(fieldgrid_core::incident::QueueItem, Incident)>, ServiceError> {
    let store = replica::store(state).await?;
    let s = store.clone();
    let items = blocking(move || {
        s.incident_queue(
            crate::now(),
            fieldgrid_core::incident::DayCount::WorkDays,
            false,
        )
    })
    .await?;
    let mut out = Vec::new();
    for item in items.into_iter().filter(|i| caller.sees(&i.grid_code)) {
        if let Ok(incident) = get_in::<Incident>(&store, caller, &item.id).await {
            out.push((item, incident));
        }
    }
    Ok(out)
}

/// Cases of the caller's area reported within `range` (unix seconds) as the
/// query rows reports read (see `FieldStore::case_rows`).
pub async fn case_rows(
    state: &AppState,
    caller: &Caller,
    range: (i64, i64),
) -> Result<Vec<fieldgrid_core::assessment::CaseRow>, ServiceError> {
    let c = caller.clone();
    query(state, move |store| store.case_rows(|g| c.sees(g), range)).await
}

/// The caller's task list (see `FieldStore::tasks_for`), kept to their area.
pub async fn tasks(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<fieldgrid_core::incident::Task>, ServiceError> {
    let staff = caller.staff.clone();
    let tasks = query(state, move |store| {
        store.tasks_for(
            &staff,
            crate::now(),
            fieldgrid_core::incident::DayCount::WorkDays,
        )
    })
    .await?;
    Ok(tasks
        .into_iter()
        .filter(|t| caller.sees(&t.incident.grid_code))
        .collect())
}

/// The resident's full contact on a case, for the command centre's call (回访 or
/// to ask about the case): only to someone who holds a command centre's role over
/// the case's grid (others in the area are refused; outside it the case does not
/// exist). Each showing is logged with who and which case, never the number.
pub async fn contact_for_call(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<fieldgrid_core::records::ResidentContact, ServiceError> {
    let incident: Incident = get(state, caller, id).await?;
    let centre = caller.roles_over(&incident.grid_code).iter().any(|r| {
        matches!(
            r,
            Role::TownSupervisor | Role::CountySupervisor | Role::CountyAdministrator
        )
    });
    if !centre {
        return Err(ServiceError::Refused(
            "只有指挥中心可以查看反映人的完整电话".into(),
        ));
    }
    let contact = incident.contact.ok_or(ServiceError::NotFound)?;
    tracing::info!(incident = %id, by = %caller.staff, "a resident's contact shown for a call");
    Ok(contact)
}

/// Joint parts past or within a day of their own deadline, kept to the caller's
/// area: the urging list's joint units.
pub async fn joint_parts_due(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<fieldgrid_core::incident::PartDue>, ServiceError> {
    let until = crate::now() + 86_400;
    let parts = query(state, move |store| store.joint_parts_due(until)).await?;
    Ok(parts
        .into_iter()
        .filter(|p| caller.sees(&p.grid_code))
        .collect())
}

/// Runs a query on the caught-up replica off the async runtime.
pub async fn query<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&FieldStore) -> Result<T, fieldgrid_core::Error> + Send + 'static,
) -> Result<T, ServiceError> {
    let store = replica::store(state).await?;
    blocking(move || f(&store)).await
}
