//! The demo behind `serve --demo`: on first start, a county of three towns from the
//! county simulator (`fieldgrid-sim`) is published (org tree, category catalogue,
//! forms, web logins), and once the server listens, simulated phones — real
//! `FieldStore`s — enrol, fill households through the forms, patrol, report
//! incidents with photos and sync to it over HTTP, and the command centres
//! dispatch; then the knowledge base and grid task list are published. A second
//! start reuses the data.

use std::path::{Path, PathBuf};

use fieldgrid_core::sync::token_hash;
use fieldgrid_sim::SimConfig;

use crate::AppState;

/// The demo supervisor's web login (printed at start).
pub const DEMO_SUPERVISOR: (&str, &str) = ("anfeng", "anfeng-demo");
/// The demo administrator's web login (printed at start).
pub const DEMO_ADMIN: (&str, &str) = ("donghai", "donghai-demo");

/// The demo's logins for the people in the loop besides the command centre
/// (username, password, staff id, who): two units' handlers and the town's
/// inspector, each seeing their own task list on the pages.
pub const DEMO_LOOP_LOGINS: [(&str, &str, &str, &str); 3] = [
    ("zhifa", "zhifa-demo", "handler-zhifa", "综合执法平台"),
    (
        "shichang",
        "shichang-demo",
        "handler-shichang",
        "市场监管平台",
    ),
    (
        "ducha",
        "ducha-demo",
        "inspector-320722104000",
        "安峰镇督查员",
    ),
];

/// The demo county: three towns of four villages of three grids; 24 phones.
pub fn demo_config() -> SimConfig {
    SimConfig {
        towns: 3,
        villages: 4,
        grids: 3,
        workers_per_grid: 1,
        households: 8,
        phones: 24,
        incidents: 2,
        patrol_minutes: 60,
        fake_every: 6,
        offline_every: 8,
        seed: 2026,
        days: 1,
    }
}

/// How many of the demo county's workers patrol live on the big screen.
pub const DEMO_WALKERS: usize = 8;

/// What the simulator still has to do after the server starts listening.
#[derive(Debug, Clone)]
pub struct PendingSimulation {
    /// An administrator token made for the simulator.
    pub admin_token: String,
    /// Where the simulated phones keep their stores.
    pub phones_dir: PathBuf,
    /// The county's shape.
    pub config: SimConfig,
}

/// Publishes the demo county, unless an org tree exists already (then nothing is
/// done and `None` returned).
pub async fn seed(
    state: &AppState,
    data_dir: &Path,
) -> Result<Option<PendingSimulation>, Box<dyn std::error::Error>> {
    if state
        .storage
        .reference(fieldgrid_core::ReferenceKind::OrgTree.as_str())
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let config = demo_config();
    let tree = fieldgrid_sim::county(&config);
    crate::admin::publish(state, &tree).await?;
    crate::admin::publish(state, &fieldgrid_core::incident::default_catalogue()).await?;
    crate::admin::publish(state, &fieldgrid_core::forms::default_form_pack()).await?;
    let (user, password) = DEMO_SUPERVISOR;
    crate::web::create_web_user(state, user, password, "supervisor", "sup-anfeng").await?;
    let (user, password) = DEMO_ADMIN;
    crate::web::create_web_user(state, user, password, "admin", "admin-donghai").await?;
    for (user, password, staff, _) in DEMO_LOOP_LOGINS {
        crate::web::create_web_user(state, user, password, "supervisor", staff).await?;
    }
    let admin_token = format!("adm_{}", uuid::Uuid::new_v4().simple());
    state
        .storage
        .create_admin("demo-simulator", &token_hash(&admin_token), crate::now())
        .await?;
    Ok(Some(PendingSimulation {
        admin_token,
        phones_dir: data_dir.join("demo-phones"),
        config,
    }))
}

/// Publishes the demo county's knowledge base and grid task list (5,100 entries,
/// 196 tasks), as an administrator's import would.
pub async fn publish_knowledge(state: &AppState) -> Result<(), Box<dyn std::error::Error>> {
    let set = fieldgrid_sim::knowledge::generate(
        fieldgrid_sim::knowledge::ENTRIES,
        fieldgrid_sim::knowledge::TASKS,
    );
    let file = crate::knowledge_sheet::KnowledgeFile {
        entries: set.entries,
        tasks: set.tasks,
    };
    crate::service::knowledge::import_and_publish(state, "demo", &serde_json::to_vec(&file)?)
        .await?;
    Ok(())
}

/// Runs the simulated phones against the server at `url` (in the background of
/// `serve --demo`), logging what they did; then publishes the knowledge base
/// (after the simulated phones' first day, so they do not each download it
/// while the county is being made; phones enrolled later receive it).
pub async fn simulate(state: AppState, url: String, pending: PendingSimulation) {
    tracing::info!(
        phones = pending.config.phones,
        "demo county: simulated phones starting"
    );
    let _ = std::fs::create_dir_all(&pending.phones_dir);
    match fieldgrid_sim::run(
        &url,
        &pending.admin_token,
        &pending.phones_dir,
        &pending.config,
    )
    .await
    {
        Ok(r) => {
            if let Err(e) = publish_knowledge(&state).await {
                tracing::warn!(error = %e, "the demo's knowledge base was not published");
            }
            tracing::info!("demo county ready: {r}");
        }
        Err(e) => {
            tracing::warn!(error = %e, "the demo simulation stopped");
            return;
        }
    }
    // Workers on patrol for the big screen, moving every 20 seconds.
    let tree = fieldgrid_sim::county(&pending.config);
    if let Err(e) = fieldgrid_sim::live_walkers(
        &url,
        &pending.admin_token,
        &pending.phones_dir,
        &tree,
        DEMO_WALKERS,
        std::time::Duration::from_secs(20),
    )
    .await
    {
        tracing::warn!(error = %e, "the demo's patrolling workers stopped");
    }
}
