//! Background jobs, one instance at a time: the PostgreSQL backend's part.

#[allow(unused_imports)]
use super::*;

/// A held advisory lock: the pooled connection whose session holds it.
struct AdvisoryLease {
    client: deadpool_postgres::Object,
    key: i64,
}

#[async_trait]
impl crate::storage::JobLease for AdvisoryLease {
    async fn release(self: Box<Self>) {
        if self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
            .await
            .is_err()
        {
            // The connection is broken: dropping it ends the session and the lock.
            let _ = deadpool_postgres::Object::take(self.client);
        }
    }
}

#[async_trait]
impl JobStore for PostgresStorage {
    async fn try_lead(
        &self,
        job: &str,
    ) -> StorageResult<Option<Box<dyn crate::storage::JobLease>>> {
        let key = crate::storage::job_key(job);
        let client = self.client().await?;
        let held: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await?
            .get(0);
        Ok(held
            .then(|| Box::new(AdvisoryLease { client, key }) as Box<dyn crate::storage::JobLease>))
    }

    async fn job_done(&self, job: &str) -> StorageResult<bool> {
        Ok(self
            .client()
            .await?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM jobs_done WHERE job = $1)",
                &[&job],
            )
            .await?
            .get(0))
    }

    async fn mark_job_done(&self, job: &str, at: i64) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO jobs_done (job, at) VALUES ($1, $2) ON CONFLICT (job) DO NOTHING",
                &[&job, &at],
            )
            .await?;
        Ok(())
    }
}
