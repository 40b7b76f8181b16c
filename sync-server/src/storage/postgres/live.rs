//! Live positions and the live event channel: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

#[async_trait]
impl LiveStore for PostgresStorage {
    async fn put_position(&self, p: &LivePosition) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO live_positions (staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (staff_id) DO UPDATE SET grid_code = excluded.grid_code,
                   lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6,
                   accuracy_m = excluded.accuracy_m, at = excluded.at
                 WHERE excluded.at >= live_positions.at",
                &[
                    &p.staff_id,
                    &p.grid_code,
                    &p.lat_e6,
                    &p.lon_e6,
                    &p.accuracy_m,
                    &p.at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn live_positions(&self, since: i64) -> StorageResult<Vec<LivePosition>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT staff_id, grid_code, lat_e6, lon_e6, accuracy_m, at FROM live_positions
                 WHERE at >= $1 ORDER BY staff_id",
                &[&since],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| LivePosition {
                staff_id: r.get(0),
                grid_code: r.get(1),
                lat_e6: r.get(2),
                lon_e6: r.get(3),
                accuracy_m: r.get(4),
                at: r.get(5),
            })
            .collect())
    }

    fn shares_events(&self) -> bool {
        true
    }

    async fn notify_live(&self, payload: &str) -> StorageResult<()> {
        self.client()
            .await?
            .execute("SELECT pg_notify('fieldgrid_live', $1)", &[&payload])
            .await?;
        Ok(())
    }

    async fn listen_live(&self) -> StorageResult<Option<tokio::sync::mpsc::Receiver<String>>> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(1024);
        let tx_closed = tx.clone();
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        if tx.send(n.payload().to_owned()).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the live-events connection closed");
                        break;
                    }
                }
            }
        });
        client.batch_execute("LISTEN fieldgrid_live").await?;
        // The client lives until nobody listens any more.
        let closed = tx_closed;
        tokio::spawn(async move {
            closed.closed().await;
            drop(client);
        });
        Ok(Some(rx))
    }
}
