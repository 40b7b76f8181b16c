//! Households and persons as the pages read them from the read model: lists and
//! searches kept to the caller's grids, one household with its members, form
//! problems and field history, and the households a door plate names.

use std::sync::Arc;

use fieldgrid_core::FieldChange;
use fieldgrid_core::forms::CompiledForm;
use fieldgrid_core::household::{FormReport, FoundRecord, HouseholdQuery, HouseholdSummary};
use fieldgrid_core::records::{Household, HouseholdMember, Person, RecordKind};

use super::{Caller, ServiceError, blocking, records, replica};
use crate::AppState;

/// How many households a list shows at most.
const LIST_LIMIT: u32 = 200;

/// A list of households, or what a search found, in the caller's grids.
#[derive(Debug)]
pub struct ResidentList {
    /// Groups of records sharing an ID-card number.
    pub duplicates: Vec<Vec<FoundRecord>>,
    /// What the search found (households and persons), when text was given.
    pub found: Option<Vec<FoundRecord>>,
    /// The households of the list, when no text was given.
    pub households: Vec<HouseholdSummary>,
    /// How many households or records match in all.
    pub total: u64,
}

/// The grids to list: `grid` when given (outside the area: not found), else the
/// caller's whole area.
fn grids_of(caller: &Caller, grid: Option<&str>) -> Result<Vec<String>, ServiceError> {
    match grid.filter(|g| !g.is_empty()) {
        Some(g) if caller.sees(g) => Ok(vec![g.to_owned()]),
        Some(_) => Err(ServiceError::NotFound),
        None => Ok(caller.scope.all.iter().cloned().collect()),
    }
}

/// Households of `grid` (or the whole area) matching `filters` (form answers)
/// and, with `with_problems`, only those with form problems; or, with `text`,
/// the households and persons a search finds.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    grid: Option<&str>,
    text: &str,
    filters: Vec<(String, String)>,
    with_problems: bool,
) -> Result<ResidentList, ServiceError> {
    let grids = grids_of(caller, grid)?;
    let store = replica::store(state).await?;
    let text = text.to_owned();
    blocking(move || {
        let duplicates = store.duplicate_id_numbers(&grids)?;
        if !text.trim().is_empty() {
            let found = store.find_residents(&text, &grids, 100)?;
            return Ok(ResidentList {
                duplicates,
                total: found.len() as u64,
                found: Some(found),
                households: Vec::new(),
            });
        }
        let query = HouseholdQuery {
            grids,
            filters,
            with_problems,
            limit: LIST_LIMIT,
            ..Default::default()
        };
        Ok(ResidentList {
            duplicates,
            total: store.count_households(&query)?,
            households: store.list_households(&query)?,
            found: None,
        })
    })
    .await
}

/// One household as its page shows it.
#[derive(Debug)]
pub struct HouseholdView {
    /// The record.
    pub house: Household,
    /// Its members, each with their person record when it lies in the area.
    pub members: Vec<(HouseholdMember, Option<Person>)>,
    /// Its problems against the form in force.
    pub report: FormReport,
    /// The latest 30 changes of its answers: the answer's key and the change.
    pub history: Vec<(String, FieldChange)>,
    /// The household form in force.
    pub form: Arc<CompiledForm>,
}

/// Household `id` in the caller's area, with what its page shows.
pub async fn household(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<HouseholdView, ServiceError> {
    let store = replica::store(state).await?;
    let house: Household = records::get_in(&store, caller, id).await?;
    let members = records::members(&store, caller, &house).await?;
    let fields: Vec<String> = house.fields.keys().take(400).cloned().collect();
    let id = id.to_owned();
    let (report, history, form) = blocking(move || {
        let report = store.form_report(&id)?;
        let mut history = Vec::new();
        for key in fields {
            for change in store.field_history(&id, &format!("fields/{key}"))? {
                history.push((key.clone(), change));
            }
        }
        history.sort_by_key(|h| std::cmp::Reverse(h.1.time));
        history.truncate(30);
        Ok((report, history, store.form(RecordKind::Household)?))
    })
    .await?;
    Ok(HouseholdView {
        house,
        members,
        report,
        history,
        form,
    })
}

/// The household a scanned door plate names, if the payload is a plate of this
/// county: the public report page takes its address and grid from it (the plate
/// hangs on the door, so anyone may read where it is).
pub async fn plate_household(state: &AppState, payload: &str) -> Option<Household> {
    if payload.is_empty() || payload.len() > 100 {
        return None;
    }
    let store = replica::store(state).await.ok()?;
    let p = payload.to_owned();
    blocking(move || {
        let id = store.resolve_door_plate(&p)?;
        store.get::<Household>(&id)
    })
    .await
    .ok()
}

/// The households of `village` in the caller's area that have a door plate, for
/// printing the plates.
pub async fn plated_households(
    state: &AppState,
    caller: &Caller,
    village: &str,
) -> Result<Vec<HouseholdSummary>, ServiceError> {
    let store = replica::store(state).await?;
    let v = village.to_owned();
    let houses = blocking(move || {
        store.list_households(&HouseholdQuery {
            village: Some(v),
            limit: 2000,
            ..Default::default()
        })
    })
    .await?;
    Ok(houses
        .into_iter()
        .filter(|h| h.door_plate.is_some() && caller.sees(&h.grid_code))
        .collect())
}

/// Households in the caller's area a desk search for `query` finds, at most
/// `limit`.
pub async fn search_households(
    state: &AppState,
    caller: &Caller,
    query: &str,
    limit: usize,
) -> Result<Vec<Household>, ServiceError> {
    let grids: Vec<String> = caller.scope.all.iter().cloned().collect();
    let store = replica::store(state).await?;
    let (s, q) = (store.clone(), query.to_owned());
    let hits = blocking(move || {
        s.search(
            &q,
            &fieldgrid_core::SearchFilter {
                kinds: vec![RecordKind::Household],
                grid_codes: grids,
            },
            limit,
        )
    })
    .await?;
    let mut out = Vec::with_capacity(hits.len());
    for hit in hits {
        if let Ok(h) = records::get_in::<Household>(&store, caller, &hit.id).await {
            out.push(h);
        }
    }
    Ok(out)
}
