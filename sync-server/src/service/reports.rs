//! Periodic reports through the caller's area: the cases of the caller's grids,
//! grouped by town, village, grid, lead unit or category, for a period against the
//! period before, with a trend (the core's `assessment::report`).

use fieldgrid_core::assessment::{
    CaseRow, GroupBy, Period, PeriodReport, period_report, rows_from,
};
use std::collections::HashMap;
use std::sync::Arc;

use fieldgrid_core::incident::Catalogue;
use fieldgrid_core::org::OrgTree;

use super::{Caller, ServiceError, blocking, replica};
use crate::AppState;

/// The report of `period` grouped `by`, over the caller's area only.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    period: Period,
    by: GroupBy,
) -> Result<PeriodReport, ServiceError> {
    let store = replica::store(state).await?;
    let c = caller.clone();
    let range = (rows_from(period), period.bounds().1);
    let rows = blocking(move || store.case_rows(|g| c.sees(g), range)).await?;
    let catalogue = state.catalogue().await?;
    let grouper = Grouper::new(&caller.tree, catalogue.clone(), by);
    let now = crate::now();
    tokio::task::spawn_blocking(move || {
        period_report(&rows, period, by, |r| grouper.group(r), &catalogue, now)
    })
    .await
    .map_err(|e| ServiceError::Corrupt(format!("a worker task failed: {e}")))
}

/// Names each case's group for one report: the org tree's and catalogue's
/// lookups made once, so a county's quarter groups in one pass.
pub struct Grouper {
    by: GroupBy,
    /// Grid → (grid name, village code, village name, town code, town name).
    grids: HashMap<String, [String; 5]>,
    /// Work-unit code → name.
    units: HashMap<String, String>,
    catalogue: Arc<Catalogue>,
}

impl Grouper {
    /// The lookups for grouping `by`.
    pub fn new(tree: &OrgTree, catalogue: Arc<Catalogue>, by: GroupBy) -> Grouper {
        let units: HashMap<&str, &fieldgrid_core::org::OrgUnit> =
            tree.units.iter().map(|u| (u.code.as_str(), u)).collect();
        let grids = tree
            .grids
            .iter()
            .map(|g| {
                let village = units.get(g.unit.as_str());
                let town = village
                    .and_then(|v| v.parent.as_deref())
                    .and_then(|t| units.get(t));
                let code_name = |u: Option<&&fieldgrid_core::org::OrgUnit>| {
                    u.map_or((String::new(), String::new()), |u| {
                        (u.code.clone(), u.name.clone())
                    })
                };
                let (vc, vn) = code_name(village);
                let (tc, tn) = code_name(town);
                (g.code.clone(), [g.name.clone(), vc, vn, tc, tn])
            })
            .collect();
        Grouper {
            by,
            grids,
            units: tree
                .work_units
                .iter()
                .map(|u| (u.code.clone(), u.name.clone()))
                .collect(),
            catalogue,
        }
    }

    /// A case's group as `(code, Chinese name)`; `None` leaves it out of the
    /// groups (a case with no lead unit, when grouping by unit).
    pub fn group(&self, row: &CaseRow) -> Option<(String, String)> {
        let grid = self.grids.get(&row.grid);
        let pick = |code: usize, name: usize| {
            grid.filter(|g| !g[code].is_empty())
                .map(|g| (g[code].clone(), g[name].clone()))
        };
        match self.by {
            GroupBy::Grid => Some((
                row.grid.clone(),
                grid.map_or_else(|| row.grid.clone(), |g| g[0].clone()),
            )),
            GroupBy::Village => pick(1, 2),
            GroupBy::Town => pick(3, 4),
            GroupBy::Unit => {
                let code = row.assignee.as_deref()?;
                Some((
                    code.to_owned(),
                    self.units
                        .get(code)
                        .cloned()
                        .unwrap_or_else(|| code.to_owned()),
                ))
            }
            GroupBy::Category => {
                let top = self.catalogue.path(&row.category).first().copied()?;
                Some((top.code.clone(), top.name.clone()))
            }
        }
    }
}
