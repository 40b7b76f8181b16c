//! Periodic reports through the caller's area: the cases of the caller's grids,
//! grouped by town, village, grid, lead unit or category, for a period against the
//! period before, with a trend (the core's `assessment::report`).

use fieldgrid_core::assessment::{
    CaseRow, GroupBy, Period, PeriodReport, period_report, rows_from,
};
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
    let tree = caller.tree.clone();
    let now = crate::now();
    tokio::task::spawn_blocking(move || {
        period_report(
            &rows,
            period,
            by,
            |r| group_of(&tree, &catalogue, by, r),
            &catalogue,
            now,
        )
    })
    .await
    .map_err(|e| ServiceError::Corrupt(format!("a worker task failed: {e}")))
}

/// A case's group as `(code, Chinese name)`.
fn group_of(
    tree: &OrgTree,
    catalogue: &fieldgrid_core::incident::Catalogue,
    by: GroupBy,
    row: &CaseRow,
) -> Option<(String, String)> {
    let unit = |code: &str| tree.units.iter().find(|u| u.code == code);
    let grid = tree.grids.iter().find(|g| g.code == row.grid);
    match by {
        GroupBy::Grid => Some((
            row.grid.clone(),
            grid.map_or_else(|| row.grid.clone(), |g| g.name.clone()),
        )),
        GroupBy::Village => {
            let v = unit(&grid?.unit)?;
            Some((v.code.clone(), v.name.clone()))
        }
        GroupBy::Town => {
            let v = unit(&grid?.unit)?;
            let t = unit(v.parent.as_deref()?)?;
            Some((t.code.clone(), t.name.clone()))
        }
        GroupBy::Unit => {
            let code = row.assignee.as_deref()?;
            Some((
                code.to_owned(),
                tree.work_unit(code)
                    .map_or_else(|| code.to_owned(), |u| u.name.clone()),
            ))
        }
        GroupBy::Category => {
            let top = catalogue.path(&row.category).first().copied()?;
            Some((top.code.clone(), top.name.clone()))
        }
    }
}
