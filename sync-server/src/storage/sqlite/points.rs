//! Points adjustments of the assessment: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl PointStore for SqliteStorage {
    async fn add_point_adjustment(&self, a: &PointAdjustment) -> StorageResult<()> {
        let a = a.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO point_adjustments (staff_id, at, points, reason, by_user)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.staff, a.at, a.points, a.reason, a.by],
            )?;
            Ok(())
        })
        .await
    }

    async fn point_adjustments(
        &self,
        staff: &str,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<PointAdjustment>> {
        let staff = staff.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT staff_id, at, points, reason, by_user FROM point_adjustments
                 WHERE staff_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY id",
            )?;
            let rows = stmt
                .query_map(params![staff, from, to], |r| {
                    Ok(PointAdjustment {
                        staff: r.get(0)?,
                        at: r.get(1)?,
                        points: r.get(2)?,
                        reason: r.get(3)?,
                        by: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}
