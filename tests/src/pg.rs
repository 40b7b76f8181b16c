//! Throwaway PostgreSQL databases on the cluster `tests/run-all.sh` starts.

/// The environment variable naming the test cluster's admin URL.
pub const PG_URL_VAR: &str = "FIELDGRID_TEST_PG_URL";

/// The cluster's admin URL. Panics with instructions when the cluster is missing:
/// the PostgreSQL tests must run, not be skipped.
pub fn cluster_url() -> String {
    std::env::var(PG_URL_VAR).unwrap_or_else(|_| {
        panic!("{PG_URL_VAR} is not set: run the tests through tests/run-all.sh, which starts a throwaway PostgreSQL cluster")
    })
}

/// Creates a new empty database and returns its URL.
pub async fn fresh_database() -> String {
    let url = cluster_url();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL cluster: {e}"));
    tokio::spawn(connection);
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}
