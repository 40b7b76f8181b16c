//! Live positions and the live event channel: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl LiveStore for SqliteStorage {
    async fn put_position(&self, p: &LivePosition) -> StorageResult<()> {
        let p = p.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO live_positions (staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (staff_id) DO UPDATE SET grid_code = excluded.grid_code,
                   lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6,
                   accuracy_m = excluded.accuracy_m, at = excluded.at
                 WHERE excluded.at >= live_positions.at",
                params![
                    p.staff_id,
                    p.grid_code,
                    p.lat_e6,
                    p.lon_e6,
                    p.accuracy_m,
                    p.at
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn live_positions(&self, since: i64) -> StorageResult<Vec<LivePosition>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at FROM live_positions
                 WHERE at >= ?1 ORDER BY staff_id",
            )?;
            let rows = stmt
                .query_map([since], |r| {
                    Ok(LivePosition {
                        staff_id: r.get(0)?,
                        grid_code: r.get(1)?,
                        lat_e6: r.get(2)?,
                        lon_e6: r.get(3)?,
                        accuracy_m: r.get(4)?,
                        at: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
        .await
    }
}
