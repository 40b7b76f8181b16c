//! Points adjustments of the assessment: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl PointStore for PostgresStorage {
    async fn add_point_adjustment(&self, a: &PointAdjustment) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO point_adjustments (staff_id, at, points, reason, by_user)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&a.staff, &a.at, &a.points, &a.reason, &a.by],
            )
            .await?;
        Ok(())
    }

    async fn point_adjustments(
        &self,
        staff: &str,
        from: i64,
        to: i64,
    ) -> StorageResult<Vec<PointAdjustment>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT staff_id, at, points, reason, by_user FROM point_adjustments
                 WHERE staff_id = $1 AND at >= $2 AND at < $3 ORDER BY id",
                &[&staff, &from, &to],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| PointAdjustment {
                staff: r.get(0),
                at: r.get(1),
                points: r.get(2),
                reason: r.get(3),
                by: r.get(4),
            })
            .collect())
    }
}
