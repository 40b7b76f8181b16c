//! Background jobs, one instance at a time: the SQLite backend's part.

#[allow(unused_imports)]
use super::*;

/// The lead of the one SQLite instance.
struct SoleLease;

#[async_trait]
impl crate::storage::JobLease for SoleLease {
    async fn release(self: Box<Self>) {}
}

#[async_trait]
impl JobStore for SqliteStorage {
    async fn try_lead(
        &self,
        _job: &str,
    ) -> StorageResult<Option<Box<dyn crate::storage::JobLease>>> {
        Ok(Some(Box::new(SoleLease)))
    }

    async fn job_done(&self, job: &str) -> StorageResult<bool> {
        let job = job.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM jobs_done WHERE job = ?1)",
                [&job],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn mark_job_done(&self, job: &str, at: i64) -> StorageResult<()> {
        let job = job.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO jobs_done (job, at) VALUES (?1, ?2) ON CONFLICT (job) DO NOTHING",
                params![job, at],
            )?;
            Ok(())
        })
        .await
    }
}
